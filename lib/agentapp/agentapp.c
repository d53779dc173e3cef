/* SPDX-License-Identifier: BSD-3-Clause */
/* A cooperating application's side of the backend agent's Unix socket (aces/agentapp.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "aces/agentapp.h"
#include "aces/tcpmig.h"

#define MSG_MAX (sizeof(struct aces_aa_msg) + ACES_AA_STATE_MAX)

int
aces_agentapp_send(int fd, const struct aces_aa_msg *m, const void *state, int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov[2] = { { (void *)(uintptr_t)m, sizeof(*m) },
				{ (void *)(uintptr_t)state, m->state_len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = m->state_len > 0 ? 2 : 1 };
	ssize_t n;

	if (m->state_len > ACES_AA_STATE_MAX)
		return -EMSGSIZE;
	if (sock >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sock, sizeof(int));
	}
	do {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*m) + m->state_len ? 0 : -EIO;
}

int
aces_agentapp_connect(const char *path, uint32_t local_ip, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct aces_aa_msg m = { .type = ACES_AA_REGISTER, .local_ip = local_ip, .local_port = port };
	int fd, rc;

	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = aces_agentapp_send(fd, &m, NULL, -1);
	if (rc != 0) {
		snprintf(err, errlen, "%s: register: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int
aces_agentapp_recv(int fd, struct aces_aa_msg *m, void *state, size_t cap, int *sock)
{
	static __thread char buf[MSG_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	struct cmsghdr *c;
	ssize_t n;

	*sock = -1;
	do {
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(sock, CMSG_DATA(c), sizeof(int));
	if ((size_t)n < sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		goto bad;
	memcpy(m, buf, sizeof(*m));
	if (m->type == 0 || m->type >= ACES_AA_TYPE_MAX || m->state_len > cap ||
	    (size_t)n != sizeof(*m) + m->state_len)
		goto bad;
	if (m->state_len > 0)
		memcpy(state, buf + sizeof(*m), m->state_len);
	return 1;
bad:
	if (*sock >= 0)
		close(*sock);
	*sock = -1;
	return -EBADMSG;
}

int
aces_agentapp_give(int fd, uint64_t id, int sock, const void *state, size_t len)
{
	struct aces_aa_msg m = { .type = ACES_AA_GIVE, .id = id, .state_len = (uint32_t)len };

	if (len > ACES_AA_STATE_MAX)
		return -EMSGSIZE;
	return aces_agentapp_send(fd, &m, state, sock);
}

int
aces_agentapp_refuse(int fd, uint64_t id, int status)
{
	struct aces_aa_msg m = { .type = ACES_AA_REFUSE, .id = id, .status = status };

	return aces_agentapp_send(fd, &m, NULL, -1);
}

int
aces_agentapp_thaw(int sock)
{
	return aces_tcpmig_thaw(sock);
}
