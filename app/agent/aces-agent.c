/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aces-agent: the backend host's side of moving established TCP connections (issue
 * #11). ACES asks it, in an authenticated UDP datagram (MOVE), to move one connection
 * to another backend host; it waits for a quiet point, freezes the socket (lib/tcpmig,
 * TCP_REPAIR), hands it with the application's state to the other host's agent over
 * TCP (HANDOFF, authenticated too), and answers ACES (RESULT) once that agent has the
 * connection running, or once the move is called off and the socket thawed here again.
 *
 * Where the connections come from:
 *  - relay mode (--relay LISTEN=UPSTREAM), for applications that know nothing of it:
 *    the agent accepts the endpoint's connections and relays each to the local
 *    application. A connection is quiet when nothing is buffered either way, the client
 *    has acknowledged everything, and the last bytes went to the client (a reply, not a
 *    request waiting for one) at least --quiet-ms ago. The agent that takes a moved
 *    connection opens a fresh upstream to its own local application.
 *  - cooperating applications (--unix PATH, aces/agentapp.h) hand their sockets over
 *    with their own state and take moved ones on.
 *
 *   aces-agent --port PORT --secret-file FILE [--listen ADDR] [--unix PATH]
 *              [--relay ADDR:PORT=ADDR:PORT]... [--aces ADDR]... [--quiet-ms MS] [-v]
 *
 * One thread, one poll loop. A handoff is carried out within the loop (connect, send,
 * wait for the answer, bounded by the move's budget): other connections wait meanwhile.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "aces/agentapp.h"
#include "aces/agentproto.h"
#include "aces/resp.h"
#include "aces/tcpmig.h"

#define MAX_CONNS	4096
#define MAX_APPS	64
#define MAX_MOVES	1024
#define MAX_RELAYS	16
#define MAX_ACES	8
/* Every MOVE id is kept for SEEN_KEEP_MS: a repeat is answered again (or ignored while under
 * way), never carried out twice. A message older than ACES_AP_MAX_AGE_MS (either clock) is
 * refused anyway, so that covers every replay; with no free slot a MOVE is refused. */
#define N_SEEN		65536	/* power of two */
#define SEEN_PROBE	16
#define SEEN_KEEP_MS	(2 * ACES_AP_MAX_AGE_MS + 5000)
#define RBUF		16384
#define SECRET_MAX	256

enum { DIR_NONE = 0, DIR_C2U, DIR_U2C };

struct relay {
	struct sockaddr_in la, ua;
	int lfd;
	int redis;		/* ",redis": the connections' Redis sessions are followed */
	uint64_t gated_until;	/* > now: nothing read from its clients (a cut-over) */
	uint64_t gated_at;	/* when the gate came; 0 once its last connection left */
};

#define MAX_CTL		8

/* A local control connection (--ctl): one command line, one answer line. */
struct ctl {
	int fd;
	char buf[256];
	size_t len;
	uint16_t gate_port;	/* network order: a gate waiting until drained */
	uint64_t drain_deadline;
	uint64_t gate_t0;
};

struct rconn {
	int cfd, ufd;
	int relay;
	int moving;		/* a move waits for its quiet point */
	uint8_t last_dir;
	uint64_t last_ms;
	uint32_t lip, pip;	/* network order */
	uint16_t lport, pport;
	size_t c2u_len, u2c_len;
	char *c2u, *u2c;	/* RBUF each */
	struct aces_resp_conn *resp;	/* redis relays: the session, the replies counted */
};

struct app {
	int fd;
	uint32_t lip;
	uint16_t lport;
};

enum { M_FREE = 0, M_QUIET, M_GIVE };

struct move {
	int state;
	uint64_t id;
	struct aces_ap_move m;
	struct sockaddr_in from;
	uint64_t deadline_ms;
	int conn, app;
};

struct seen {
	uint64_t id;
	uint64_t at_ms;		/* 0: free */
	uint8_t done;
	struct aces_ap_result r;
};

static struct {
	uint8_t secret[SECRET_MAX];
	size_t secret_len;
	uint32_t listen_ip;
	uint16_t port;
	const char *unix_path;
	const char *ctl_path;
	int ctlfd;
	struct ctl ctls[MAX_CTL];
	uint32_t aces[MAX_ACES];
	int n_aces;
	uint32_t quiet_ms;
	int verbose;
	int udp, tcp, ux;
	struct relay relays[MAX_RELAYS];
	int n_relays;
	struct rconn *conns[MAX_CONNS];
	struct app apps[MAX_APPS];
	struct move moves[MAX_MOVES];
	struct seen *seen;	/* N_SEEN */
	/* counters, logged at the end */
	uint64_t moved_out, failed_out, moved_in, failed_in, refused;
} ag;

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "aces-agent: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
ep_str(uint32_t ip, uint16_t port, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = ip };
	char s[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &a, s, sizeof(s)), ntohs(port));
	return buf;
}

static void
set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* A socket that must leave without a word (it is live, but the connection lives on
 * elsewhere or is about to): into repair mode, then closed. */
static void
close_silently(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));
	close(fd);
}

/* ---- relay connections ---- */

static int
relay_gated(int r, uint64_t now)
{
	return ag.relays[r].gated_until > now;
}

static void
conn_free(int i, int silently)
{
	struct rconn *c = ag.conns[i];

	if (c == NULL)
		return;
	if (silently)
		close_silently(c->cfd);
	else
		close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	free(c->c2u);
	free(c->u2c);
	free(c->resp);
	free(c);
	ag.conns[i] = NULL;
}

static int
conn_add(int cfd, int ufd, int relay)
{
	struct sockaddr_in l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	struct rconn *c;
	int i;

	for (i = 0; i < MAX_CONNS && ag.conns[i] != NULL; i++)
		;
	if (i == MAX_CONNS || getsockname(cfd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(cfd, (struct sockaddr *)&p, &pl) != 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->c2u = malloc(RBUF)) == NULL || (c->u2c = malloc(RBUF)) == NULL ||
	    (ag.relays[relay].redis && (c->resp = malloc(sizeof(*c->resp))) == NULL)) {
		if (c != NULL) {
			free(c->c2u);
			free(c->u2c);
		}
		free(c);
		return -1;
	}
	if (c->resp != NULL)
		aces_resp_init(c->resp);
	c->cfd = cfd;
	c->ufd = ufd;
	c->relay = relay;
	c->lip = l.sin_addr.s_addr;
	c->lport = l.sin_port;
	c->pip = p.sin_addr.s_addr;
	c->pport = p.sin_port;
	c->last_ms = mono_ms();
	set_nonblock(cfd, 1);
	set_nonblock(ufd, 1);
	ag.conns[i] = c;
	return i;
}

/* A blocking connect bounded by @ms, the socket non-blocking afterwards. */
static int
connect_within(const struct sockaddr_in *a, uint32_t ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) != 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, (int)ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
	    err != 0) {
		close(fd);
		return err != 0 ? -err : -ETIMEDOUT;
	}
	return fd;
}

static void
relay_accept(int r)
{
	int cfd = accept4(ag.relays[r].lfd, NULL, NULL, SOCK_CLOEXEC), ufd;

	if (cfd < 0)
		return;
	ufd = connect_within(&ag.relays[r].ua, 1000);
	if (ufd < 0) {
		say("relay: upstream %s:%u: %s", inet_ntoa(ag.relays[r].ua.sin_addr),
		    ntohs(ag.relays[r].ua.sin_port), strerror(-ufd));
		close(cfd);
		return;
	}
	if (conn_add(cfd, ufd, r) < 0) {
		close(cfd);
		close(ufd);
	}
}

/* Move bytes one way: read what fits, write what the other side takes. -1: ended. */
static int
pump(int from, int to, char *buf, size_t *len, int may_read, uint8_t dir, struct rconn *c)
{
	ssize_t n;

	if (may_read && *len < RBUF) {
		n = recv(from, buf + *len, RBUF - *len, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			if (c->resp != NULL && dir == DIR_C2U)
				aces_resp_client(c->resp, buf + *len, (size_t)n);
			else if (c->resp != NULL)
				aces_resp_server(c->resp, buf + *len, (size_t)n);
			*len += (size_t)n;
			c->last_dir = dir;
			c->last_ms = mono_ms();
		}
	}
	if (*len > 0) {
		n = send(to, buf, *len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			memmove(buf, buf + n, *len - (size_t)n);
			*len -= (size_t)n;
			c->last_ms = mono_ms();
		}
	}
	return 0;
}

static void
conn_io(int i, short crev, short urev)
{
	struct rconn *c = ag.conns[i];

	if (((crev & (POLLIN | POLLHUP | POLLERR)) || c->c2u_len > 0 || (urev & POLLOUT)) &&
	    pump(c->cfd, c->ufd, c->c2u, &c->c2u_len, !c->moving && !relay_gated(c->relay, mono_ms()) &&
		 (crev & (POLLIN | POLLHUP | POLLERR)), DIR_C2U, c) < 0) {
		conn_free(i, 0);
		return;
	}
	if (((urev & (POLLIN | POLLHUP | POLLERR)) || c->u2c_len > 0 || (crev & POLLOUT)) &&
	    pump(c->ufd, c->cfd, c->u2c, &c->u2c_len, (urev & (POLLIN | POLLHUP | POLLERR)) != 0,
		 DIR_U2C, c) < 0)
		conn_free(i, 0);
}

/* Quiet: nothing buffered, everything acknowledged, nothing waiting from upstream, and no
 * request waiting for its reply: for a Redis relay as its replies are counted, else the last
 * bytes a reply, quiet_ms ago. */
static int
conn_quiet(const struct rconn *c, uint64_t now)
{
	int outq = 1, inq = 1;

	if (c->c2u_len != 0 || c->u2c_len != 0 || ioctl(c->cfd, SIOCOUTQ, &outq) != 0 || outq != 0 ||
	    ioctl(c->ufd, SIOCINQ, &inq) != 0 || inq != 0)
		return 0;
	if (c->resp != NULL)
		return aces_resp_movable(c->resp) == ACES_RESP_OK;
	return c->last_dir != DIR_C2U && now - c->last_ms >= ag.quiet_ms;
}

/* ---- results and moves ---- */

static uint32_t
seen_slot(uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 48) & (N_SEEN - 1);
}

static struct seen *
seen_find(uint64_t id)
{
	uint32_t i, k;

	for (k = 0, i = seen_slot(id); k < SEEN_PROBE; k++, i = (i + 1) & (N_SEEN - 1))
		if (ag.seen[i].at_ms != 0 && ag.seen[i].id == id)
			return &ag.seen[i];
	return NULL;
}

/* Record a new id; NULL when every slot it may take is still needed. */
static struct seen *
seen_add(uint64_t id, uint64_t now)
{
	uint32_t i, k;

	for (k = 0, i = seen_slot(id); k < SEEN_PROBE; k++, i = (i + 1) & (N_SEEN - 1)) {
		struct seen *x = &ag.seen[i];

		if (x->at_ms == 0 || now - x->at_ms > SEEN_KEEP_MS) {
			*x = (struct seen){ .id = id, .at_ms = now };
			return x;
		}
	}
	return NULL;
}

static void
send_result(uint64_t id, const struct aces_ap_result *r, const struct sockaddr_in *to)
{
	uint8_t buf[aces_ap_wire_len(ACES_AP_RESULT_LEN)];
	struct aces_ap_hdr h = { .type = ACES_AP_RESULT, .len = ACES_AP_RESULT_LEN, .id = id,
				 .time_ms = wall_ms() };
	size_t n;

	aces_ap_result_put(buf + ACES_AP_HDR_LEN, r);
	n = aces_ap_seal(buf, sizeof(buf), &h, NULL, ag.secret, ag.secret_len);
	if (sendto(ag.udp, buf, n, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		say("answer to %s: %s", inet_ntoa(to->sin_addr), strerror(errno));
}

static void
finish(struct move *mv, int status, int stage, uint32_t frozen_us, const char *fmt, ...)
{
	struct seen *x = seen_find(mv->id);
	struct aces_ap_result r = { .status = status, .stage = (uint8_t)stage,
				    .frozen_us = frozen_us };
	char a[32], b[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	if (x != NULL) {	/* a repeat of this MOVE gets this answer again */
		x->r = r;
		x->done = 1;
	}
	send_result(mv->id, &r, &mv->from);
	if (status == 0)
		ag.moved_out++;
	else
		ag.failed_out++;
	if (status != 0 || ag.verbose)
		say("move %llx of %s to %s: %s%s%s (frozen %u us)", (unsigned long long)mv->id,
		    ep_str(mv->m.peer_ip, mv->m.peer_port, a, sizeof(a)),
		    ep_str(mv->m.dst_ip, mv->m.dst_port, b, sizeof(b)),
		    status == 0 ? "moved" : aces_ap_stage_name((unsigned int)stage),
		    status == 0 ? "" : ": ", status == 0 ? "" : r.msg, frozen_us);
	mv->state = M_FREE;
}

static int
write_all(int fd, const uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		uint64_t now = mono_ms();
		ssize_t w;

		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) != 1)
			return -ETIMEDOUT;
		w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
	return 0;
}

static int
read_all(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t r;

		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) != 1)
			return -ETIMEDOUT;
		r = recv(fd, p, n, MSG_DONTWAIT);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		}
	}
	return 0;
}

/*
 * Freeze @fd, send it with @state to the other agent, wait for its answer. 0: the other
 * agent runs the connection now (@fd is still open, frozen: the caller closes it);
 * else the socket is thawed again and the move failed at *stage with @msg.
 */
static int
handoff(struct move *mv, int fd, const void *state, uint32_t slen, int *stage, uint32_t *frozen_us,
	char *msg, size_t mlen)
{
	size_t cap = aces_tcpmig_export_size(fd) + 65536;
	size_t off = ACES_AP_HDR_LEN + ACES_AP_HANDOFF_LEN, n;
	uint8_t *buf = malloc(off + cap + slen + ACES_AP_MAC_LEN);
	uint8_t ack[aces_ap_wire_len(ACES_AP_ACK_LEN)];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = mv->m.dst_ip,
				  .sin_port = mv->m.dst_agent_port };
	struct aces_ap_handoff x = { .local_ip = mv->m.dst_ip, .local_port = mv->m.dst_port,
				     .state_len = slen };
	struct aces_ap_hdr h = { .type = ACES_AP_HANDOFF, .id = mv->id };
	struct aces_ap_ack a;
	uint64_t t0, deadline;
	int64_t bl;
	int s = -1, rc;
	char err[160];

	*frozen_us = 0;
	if (buf == NULL) {
		*stage = ACES_AP_ST_EXPORT;
		snprintf(msg, mlen, "out of memory");
		return -ENOMEM;
	}
	t0 = mono_us();
	bl = aces_tcpmig_export(fd, buf + off, cap, err, sizeof(err));
	if (bl < 0) {
		*stage = ACES_AP_ST_EXPORT;
		snprintf(msg, mlen, "%s", err);
		free(buf);
		return (int)bl;
	}
	/* frozen from here on: every failure thaws it */
	x.blob_len = (uint32_t)bl;
	if (slen > 0)
		memcpy(buf + off + bl, state, slen);
	aces_ap_handoff_put(buf + ACES_AP_HDR_LEN, &x);
	h.len = ACES_AP_HANDOFF_LEN + x.blob_len + slen;
	h.time_ms = wall_ms();
	n = aces_ap_seal(buf, off + cap + slen + ACES_AP_MAC_LEN, &h, NULL, ag.secret, ag.secret_len);
	deadline = mv->deadline_ms;
	rc = n == 0 ? -EMSGSIZE : 0;
	*stage = ACES_AP_ST_SEND;
	if (rc == 0) {
		uint64_t now = mono_ms();

		s = connect_within(&to, now < deadline ? (uint32_t)(deadline - now) : 1);
		rc = s < 0 ? s : 0;
	}
	if (rc == 0)
		rc = write_all(s, buf, n, deadline);
	if (rc == 0)
		rc = read_all(s, ack, sizeof(ack), deadline);
	if (rc == 0) {
		struct aces_ap_hdr ah;

		rc = aces_ap_open(ack, sizeof(ack), ag.secret, ag.secret_len, wall_ms(), &ah, err,
				  sizeof(err));
		if (rc == 0 && (ah.type != ACES_AP_ACK || ah.id != mv->id ||
				aces_ap_ack_get(ack + ACES_AP_HDR_LEN, ah.len, &a) != 0)) {
			rc = -EBADMSG;
			snprintf(err, sizeof(err), "not the answer to this handoff");
		}
		if (rc != 0) {
			snprintf(msg, mlen, "answer: %s", err);
		} else if (a.status != 0) {
			*stage = ACES_AP_ST_IMPORT;
			rc = a.status;
			snprintf(msg, mlen, "%s", a.msg);
		}
	} else {
		char d[32];

		snprintf(msg, mlen, "agent %s: %s", ep_str(to.sin_addr.s_addr, to.sin_port, d, sizeof(d)),
			 strerror(-rc));
	}
	if (s >= 0)
		close(s);
	free(buf);
	if (rc != 0)
		aces_tcpmig_thaw(fd);
	*frozen_us = (uint32_t)(mono_us() - t0);
	return rc;
}

static void
move_relay(struct move *mv)
{
	struct rconn *c = ag.conns[mv->conn];
	char msg[ACES_AP_MSG_LEN];
	uint32_t fus;
	/* a Redis relay's session goes along, for the fresh upstream over there */
	int stage, rc = handoff(mv, c->cfd, c->resp != NULL ? &c->resp->s : NULL,
				c->resp != NULL ? (uint32_t)sizeof(c->resp->s) : 0, &stage, &fus, msg,
				sizeof(msg));

	if (rc == 0) {
		conn_free(mv->conn, 1);	/* frozen: silently; the upstream closes normally */
		finish(mv, 0, ACES_AP_ST_DONE, fus, "moved");
	} else {
		c->moving = 0;
		finish(mv, rc, stage, fus, "%s", msg);
	}
}

static void
start_move(const struct aces_ap_hdr *h, const struct aces_ap_move *m, const struct sockaddr_in *from)
{
	struct move *mv = NULL;
	int i;

	for (i = 0; i < MAX_MOVES && mv == NULL; i++)
		if (ag.moves[i].state == M_FREE)
			mv = &ag.moves[i];
	if (mv == NULL) {
		struct move tmp = { .id = h->id, .m = *m, .from = *from };

		finish(&tmp, -EBUSY, ACES_AP_ST_REFUSED, 0, "%d moves under way already", MAX_MOVES);
		return;
	}
	*mv = (struct move){ .id = h->id, .m = *m, .from = *from, .conn = -1, .app = -1,
			     .deadline_ms = mono_ms() + (m->budget_ms < 10 ? 10 :
							  m->budget_ms > 60000 ? 60000 : m->budget_ms) };
	for (i = 0; i < MAX_CONNS; i++) {
		struct rconn *c = ag.conns[i];

		if (c != NULL && c->pip == m->peer_ip && c->pport == m->peer_port &&
		    c->lport == m->local_port && c->lip == m->local_ip) {
			if (c->moving) {
				finish(mv, -EALREADY, ACES_AP_ST_REFUSED, 0, "a move of it is under way");
				return;
			}
			c->moving = 1;
			mv->conn = i;
			mv->state = M_QUIET;
			return;
		}
	}
	for (i = 0; i < MAX_APPS; i++) {
		struct app *a = &ag.apps[i];

		if (a->fd > 0 && a->lport == m->local_port && (a->lip == 0 || a->lip == m->local_ip)) {
			struct aces_aa_msg t = { .type = ACES_AA_TAKE, .id = h->id,
						 .local_ip = m->local_ip, .local_port = m->local_port,
						 .peer_ip = m->peer_ip, .peer_port = m->peer_port };

			if (aces_agentapp_send(a->fd, &t, NULL, -1) != 0)
				continue;
			mv->app = i;
			mv->state = M_GIVE;
			return;
		}
	}
	finish(mv, -ENOENT, ACES_AP_ST_FIND, 0, "no relay or application here has it");
}

static void
udp_rx(void)
{
	uint8_t buf[512];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(ag.udp, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	struct aces_ap_hdr h;
	struct aces_ap_move m;
	struct seen *r;
	char err[128];
	int i, ok = ag.n_aces == 0;

	if (n <= 0)
		return;
	for (i = 0; i < ag.n_aces; i++)
		ok |= ag.aces[i] == from.sin_addr.s_addr;
	if (!ok || aces_ap_open(buf, (size_t)n, ag.secret, ag.secret_len, wall_ms(), &h, err,
				sizeof(err)) != 0 || h.type != ACES_AP_MOVE ||
	    aces_ap_move_get(buf + ACES_AP_HDR_LEN, h.len, &m) != 0) {
		if (ag.refused++ < 20 || ag.verbose)
			say("refused a datagram from %s: %s", inet_ntoa(from.sin_addr),
			    !ok ? "not a configured ACES address" : err);
		return;
	}
	r = seen_find(h.id);
	if (r != NULL) {
		if (r->done)
			send_result(h.id, &r->r, &from);	/* the answer was lost: again */
		return;	/* else under way */
	}
	if (seen_add(h.id, mono_ms()) == NULL) {
		struct move tmp = { .id = h.id, .m = m, .from = from };

		finish(&tmp, -EBUSY, ACES_AP_ST_REFUSED, 0, "more than %d moves in %d s: refused, "
		       "a replay could not be told", N_SEEN, SEEN_KEEP_MS / 1000);
		return;
	}
	start_move(&h, &m, &from);
}

static void
check_moves(uint64_t now)
{
	int i;

	for (i = 0; i < MAX_MOVES; i++) {
		struct move *mv = &ag.moves[i];

		if (mv->state == M_QUIET) {
			struct rconn *c = ag.conns[mv->conn];

			if (c == NULL) {
				finish(mv, -ECONNRESET, ACES_AP_ST_FIND, 0, "the connection ended");
			} else if (c->resp != NULL && aces_resp_movable(c->resp) == ACES_RESP_STUCK) {
				c->moving = 0;
				finish(mv, -EPERM, ACES_AP_ST_QUIET, 0, "its Redis session cannot move: %s",
				       c->resp->why);
			} else if (conn_quiet(c, now)) {
				move_relay(mv);
			} else if (now >= mv->deadline_ms) {
				int outq = -1, inq = -1;

				ioctl(c->cfd, SIOCOUTQ, &outq);
				ioctl(c->ufd, SIOCINQ, &inq);
				c->moving = 0;
				finish(mv, -ETIMEDOUT, ACES_AP_ST_QUIET, 0,
				       "no quiet point: %zu/%zu bytes relayed, %d not acknowledged, %d "
				       "from upstream; last %s %llu ms ago", c->c2u_len, c->u2c_len, outq,
				       inq, c->last_dir == DIR_C2U ? "a request" : "a reply",
				       (unsigned long long)(now - c->last_ms));
			}
		} else if (mv->state == M_GIVE && now >= mv->deadline_ms) {
			struct aces_aa_msg d = { .type = ACES_AA_DONE, .id = mv->id, .status = 0 };

			if (ag.apps[mv->app].fd > 0)
				aces_agentapp_send(ag.apps[mv->app].fd, &d, NULL, -1);
			finish(mv, -ETIMEDOUT, ACES_AP_ST_QUIET, 0, "the application did not hand it over");
		}
	}
}

/* ---- cooperating applications ---- */

static void
app_drop(int i)
{
	int k;

	for (k = 0; k < MAX_MOVES; k++)
		if (ag.moves[k].state == M_GIVE && ag.moves[k].app == i)
			finish(&ag.moves[k], -EPIPE, ACES_AP_ST_FIND, 0, "the application went away");
	close(ag.apps[i].fd);
	ag.apps[i].fd = 0;
}

static void
app_rx(int i)
{
	static uint8_t state[ACES_AA_STATE_MAX];
	struct app *a = &ag.apps[i];
	struct aces_aa_msg m;
	int sock, rc, k;

	while ((rc = aces_agentapp_recv(a->fd, &m, state, sizeof(state), &sock)) == 1) {
		struct move *mv = NULL;

		if (m.type == ACES_AA_REGISTER) {
			a->lip = m.local_ip;
			a->lport = m.local_port;
			if (sock >= 0)
				close(sock);
			continue;
		}
		for (k = 0; k < MAX_MOVES; k++)
			if (ag.moves[k].state == M_GIVE && ag.moves[k].id == m.id && ag.moves[k].app == i)
				mv = &ag.moves[k];
		if (mv == NULL) {
			if (sock >= 0)
				close(sock);	/* late (timed out): the application keeps its own */
			continue;
		}
		if (m.type == ACES_AA_REFUSE || sock < 0) {
			finish(mv, m.status != 0 ? m.status : -EINVAL, ACES_AP_ST_QUIET, 0,
			       "the application refused: %s", strerror(m.status < 0 ? -m.status : EINVAL));
			if (sock >= 0)
				close(sock);
			continue;
		}
		{
			char msg[ACES_AP_MSG_LEN];
			uint32_t fus;
			int stage;
			struct aces_aa_msg d = { .type = ACES_AA_DONE, .id = m.id };

			rc = handoff(mv, sock, state, m.state_len, &stage, &fus, msg, sizeof(msg));
			/* ACES first: once it has re-pointed the flow, the connection lives there
			 * whatever becomes of this agent */
			if (rc == 0)
				finish(mv, 0, ACES_AP_ST_DONE, fus, "moved");
			else
				finish(mv, rc, stage, fus, "%s", msg);
			d.status = rc == 0;
			aces_agentapp_send(a->fd, &d, NULL, -1);
			close(sock);	/* ours; the application closes its own on DONE */
		}
	}
	if (rc < 0)
		app_drop(i);
}

static void
app_accept(void)
{
	int fd = accept4(ag.ux, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_APPS && ag.apps[i].fd > 0; i++)
		;
	if (i == MAX_APPS) {
		close(fd);
		return;
	}
	ag.apps[i] = (struct app){ .fd = fd };
}

/* ---- taking moved connections ---- */

static void
send_ack(int s, uint64_t id, int status, const char *msg, uint64_t deadline)
{
	uint8_t buf[aces_ap_wire_len(ACES_AP_ACK_LEN)];
	struct aces_ap_hdr h = { .type = ACES_AP_ACK, .len = ACES_AP_ACK_LEN, .id = id,
				 .time_ms = wall_ms() };
	struct aces_ap_ack a = { .status = status };

	snprintf(a.msg, sizeof(a.msg), "%s", msg);
	aces_ap_ack_put(buf + ACES_AP_HDR_LEN, &a);
	aces_ap_seal(buf, sizeof(buf), &h, NULL, ag.secret, ag.secret_len);
	write_all(s, buf, sizeof(buf), deadline);
}

/* Bring a fresh upstream Redis connection to a moved client's session: its replies read
 * (bounded by @deadline), an error refuses the move. */
static int
redis_replay(int ufd, const struct aces_resp_session *sess, uint64_t deadline, char *msg,
	     size_t mlen)
{
	static char cmd[16384], rep_buf[16384];
	struct aces_resp_parser p;
	uint32_t want, got = 0;
	size_t have = 0, used;
	int64_t n = aces_resp_replay(sess, cmd, sizeof(cmd), &want);
	int rc, err = 0;

	if (n < 0) {
		snprintf(msg, mlen, "the Redis session does not fit a replay");
		return -EMSGSIZE;
	}
	if (n == 0)
		return 0;
	rc = write_all(ufd, (const uint8_t *)cmd, (size_t)n, deadline);
	memset(&p, 0, sizeof(p));
	while (rc == 0 && got < want) {
		struct pollfd pf = { .fd = ufd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t r;

		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) != 1) {
			rc = -ETIMEDOUT;
			break;
		}
		r = recv(ufd, rep_buf + have, sizeof(rep_buf) - have, MSG_DONTWAIT);
		if (r <= 0) {
			rc = r == 0 ? -ECONNRESET : (errno == EAGAIN ? 0 : -errno);
			continue;
		}
		got += aces_resp_count_replies(&p, rep_buf, have + (size_t)r, &used, &err);
		memmove(rep_buf, rep_buf + used, have + (size_t)r - used);
		have = have + (size_t)r - used;
		if (err) {
			rc = -EPERM;
			snprintf(msg, mlen, "the replacement's Redis refused the session's set-up");
			return rc;
		}
	}
	if (rc != 0) {
		snprintf(msg, mlen, "replaying the Redis session: %s", strerror(-rc));
		return rc;
	}
	if (have != 0) {
		snprintf(msg, mlen, "replaying the Redis session: more than its replies came");
		return -EPROTO;
	}
	return 0;
}

static void
take_handoff(void)
{
	int s = accept4(ag.tcp, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), fd = -1, ufd = -1, r;
	uint64_t deadline = mono_ms() + 2000;
	uint8_t head[ACES_AP_HDR_LEN], *buf = NULL;
	struct aces_ap_hdr h;
	struct aces_ap_handoff x;
	struct aces_tcpmig_info info;
	char err[160] = "", msg[ACES_AP_MSG_LEN];
	struct aces_resp_session sess;
	int app = -1, relay = -1, rc, have_sess = 0;

	if (s < 0)
		return;
	rc = read_all(s, head, sizeof(head), deadline);
	if (rc == 0 && (aces_ap_peek_hdr(head, sizeof(head), &h) != 0 || h.type != ACES_AP_HANDOFF ||
			h.len > ACES_AP_HANDOFF_MAX + ACES_AP_HANDOFF_LEN))
		rc = -EBADMSG;
	if (rc == 0 && (buf = malloc(aces_ap_wire_len(h.len))) == NULL)
		rc = -ENOMEM;
	if (rc == 0) {
		memcpy(buf, head, sizeof(head));
		rc = read_all(s, buf + sizeof(head), aces_ap_wire_len(h.len) - sizeof(head), deadline);
	}
	if (rc == 0)
		rc = aces_ap_open(buf, aces_ap_wire_len(h.len), ag.secret, ag.secret_len, wall_ms(), &h,
				  err, sizeof(err));
	if (rc != 0) {	/* not an authentic handoff: no answer worth giving */
		ag.refused++;
		say("refused a handoff: %s", err[0] ? err : strerror(-rc));
		goto out;
	}
	if (aces_ap_handoff_get(buf + ACES_AP_HDR_LEN, h.len, &x) != 0 ||
	    x.state_len > ACES_AA_STATE_MAX ||
	    aces_tcpmig_peek(buf + ACES_AP_HDR_LEN + ACES_AP_HANDOFF_LEN, x.blob_len, &info, err,
			     sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "bad handoff: %s", err[0] ? err : "lengths");
		rc = -EINVAL;
		goto answer;
	}
	if (info.local_port != x.local_port) {
		snprintf(msg, sizeof(msg), "the connection's port %u is not %u", ntohs(info.local_port),
			 ntohs(x.local_port));
		rc = -EINVAL;
		goto answer;
	}
	for (r = 0; r < ag.n_relays && relay < 0; r++)
		if (ag.relays[r].la.sin_port == x.local_port &&
		    (ag.relays[r].la.sin_addr.s_addr == 0 || ag.relays[r].la.sin_addr.s_addr == x.local_ip))
			relay = r;
	for (r = 0; r < MAX_APPS && relay < 0 && app < 0; r++)
		if (ag.apps[r].fd > 0 && ag.apps[r].lport == x.local_port &&
		    (ag.apps[r].lip == 0 || ag.apps[r].lip == x.local_ip))
			app = r;
	if (relay < 0 && app < 0) {
		snprintf(msg, sizeof(msg), "no relay or application serves port %u here",
			 ntohs(x.local_port));
		rc = -ENOENT;
		goto answer;
	}
	if (relay >= 0) {	/* the fresh upstream first: nothing to undo if it fails */
		ufd = connect_within(&ag.relays[relay].ua, 1000);
		if (ufd < 0) {
			rc = ufd;
			snprintf(msg, sizeof(msg), "upstream %s:%u: %s",
				 inet_ntoa(ag.relays[relay].ua.sin_addr),
				 ntohs(ag.relays[relay].ua.sin_port), strerror(-ufd));
			goto answer;
		}
		if (ag.relays[relay].redis && x.state_len > 0) {
			if (x.state_len != sizeof(struct aces_resp_session)) {
				rc = -EINVAL;
				snprintf(msg, sizeof(msg), "a Redis session of %u bytes, %zu expected",
					 x.state_len, sizeof(struct aces_resp_session));
				goto answer;
			}
			memcpy(&sess, buf + ACES_AP_HDR_LEN + ACES_AP_HANDOFF_LEN + x.blob_len, sizeof(sess));
			rc = redis_replay(ufd, &sess, deadline, msg, sizeof(msg));
			if (rc != 0)
				goto answer;
			have_sess = 1;
		}
	}
	fd = aces_tcpmig_import(buf + ACES_AP_HDR_LEN + ACES_AP_HANDOFF_LEN, x.blob_len, x.local_ip,
				err, sizeof(err));
	if (fd < 0) {
		rc = fd;
		snprintf(msg, sizeof(msg), "import: %s", err);
		goto answer;
	}
	if (relay >= 0) {
		int ci = conn_add(fd, ufd, relay);

		if (ci < 0) {
			rc = -ENOSPC;
			snprintf(msg, sizeof(msg), "too many connections");
			close_silently(fd);
		} else if (have_sess && ag.conns[ci]->resp != NULL) {
			ag.conns[ci]->resp->s = sess;	/* it can move on again */
		}
		ufd = -1;
	} else {
		struct aces_aa_msg m = { .type = ACES_AA_ADOPT, .id = h.id, .local_ip = info.local_ip,
					 .local_port = info.local_port, .peer_ip = info.peer_ip,
					 .peer_port = info.peer_port, .state_len = x.state_len };

		rc = aces_agentapp_send(ag.apps[app].fd, &m,
					buf + ACES_AP_HDR_LEN + ACES_AP_HANDOFF_LEN + x.blob_len, fd);
		if (rc != 0) {
			snprintf(msg, sizeof(msg), "the application: %s", strerror(-rc));
			close_silently(fd);
		} else {
			close(fd);	/* the application has its own */
		}
	}
	if (rc == 0)
		snprintf(msg, sizeof(msg), "taken");
answer:
	if (ufd >= 0)
		close(ufd);
	if (rc == 0)
		ag.moved_in++;
	else
		ag.failed_in++;
	if (rc != 0 || ag.verbose)
		say("handoff %llx: %s", (unsigned long long)h.id, msg);
	send_ack(s, h.id, rc, msg, deadline + 1000);
out:
	free(buf);
	close(s);
}

/* ---- local control (--ctl): gate a relay for a cut-over ---- */

/* No request of relay port @port waits for its reply (and nothing is half relayed). */
static int
relay_drained(uint16_t port, uint32_t *n)
{
	int i, busy = 0;

	*n = 0;
	for (i = 0; i < MAX_CONNS; i++) {
		const struct rconn *c = ag.conns[i];

		if (c == NULL || ag.relays[c->relay].la.sin_port != port)
			continue;
		(*n)++;
		if (c->c2u_len != 0 || (c->resp != NULL ? aces_resp_movable(c->resp) == ACES_RESP_WAITING :
					 c->last_dir == DIR_C2U))
			busy++;
	}
	return busy == 0;
}

static void
ctl_answer(struct ctl *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ctl_answer(struct ctl *k, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (send(k->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		say("ctl: %s", strerror(errno));
	close(k->fd);
	k->fd = 0;
}

static void
ctl_command(struct ctl *k, char *line)
{
	char *verb = strtok(line, " \t\r"), *a1 = strtok(NULL, " \t\r"), *a2 = strtok(NULL, " \t\r");
	long port = a1 != NULL ? strtol(a1, NULL, 10) : 0;
	uint64_t now = mono_ms();
	int r, found = 0;

	if (verb == NULL || (strcmp(verb, "gate") != 0 && strcmp(verb, "ungate") != 0) ||
	    port <= 0 || port > 65535) {
		ctl_answer(k, "error usage: gate PORT [MS] | ungate PORT");
		return;
	}
	for (r = 0; r < ag.n_relays; r++) {
		if (ag.relays[r].la.sin_port != htons((uint16_t)port))
			continue;
		found = 1;
		if (strcmp(verb, "ungate") == 0) {
			ag.relays[r].gated_until = 0;
		} else {
			long ms = a2 != NULL ? strtol(a2, NULL, 10) : 30000;

			ag.relays[r].gated_until = now + (uint64_t)(ms < 100 ? 100 : ms > 600000 ? 600000 : ms);
			ag.relays[r].gated_at = now;
		}
	}
	if (!found) {
		ctl_answer(k, "error no relay on port %ld", port);
		return;
	}
	if (strcmp(verb, "ungate") == 0) {
		say("relay port %ld ungated", port);
		ctl_answer(k, "ungated %ld", port);
		return;
	}
	/* answered once nothing is in flight (check_ctls), at most 5 s */
	k->gate_port = htons((uint16_t)port);
	k->gate_t0 = now;
	k->drain_deadline = now + 5000;
	say("relay port %ld gated: its clients' requests wait", port);
}

static void
ctl_rx(struct ctl *k)
{
	ssize_t n = recv(k->fd, k->buf + k->len, sizeof(k->buf) - 1 - k->len, MSG_DONTWAIT);
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(k->fd);
			k->fd = 0;
		}
		return;
	}
	k->len += (size_t)n;
	k->buf[k->len] = '\0';
	nl = strchr(k->buf, '\n');
	if (nl == NULL) {
		if (k->len == sizeof(k->buf) - 1)
			ctl_answer(k, "error line too long");
		return;
	}
	*nl = '\0';
	ctl_command(k, k->buf);
}

static void
check_ctls(uint64_t now)
{
	int i, r;

	for (i = 0; i < MAX_CTL; i++) {
		struct ctl *k = &ag.ctls[i];
		uint32_t n;

		if (k->fd <= 0 || k->gate_port == 0)
			continue;
		if (relay_drained(k->gate_port, &n)) {
			ctl_answer(k, "gated %u connections, drained in %llu ms", n,
				   (unsigned long long)(now - k->gate_t0));
		} else if (now >= k->drain_deadline) {
			for (r = 0; r < ag.n_relays; r++)
				if (ag.relays[r].la.sin_port == k->gate_port)
					ag.relays[r].gated_until = 0;
			ctl_answer(k, "busy: requests still waiting for replies after 5 s; ungated");
		} else {
			continue;
		}
		k->gate_port = 0;
	}
	for (r = 0; r < ag.n_relays; r++) {
		struct relay *rl = &ag.relays[r];

		/* how long the clients waited: until the last one was moved away */
		if (rl->gated_at != 0 && rl->gated_until > now) {
			for (i = 0; i < MAX_CONNS && (ag.conns[i] == NULL || ag.conns[i]->relay != r); i++)
				;
			if (i == MAX_CONNS) {
				say("relay port %u: its last connection left %llu ms after the gate",
				    ntohs(rl->la.sin_port), (unsigned long long)(now - rl->gated_at));
				rl->gated_at = 0;
			}
		}
		if (ag.relays[r].gated_until != 0 && ag.relays[r].gated_until <= now) {
			ag.relays[r].gated_until = 0;
			say("relay port %u: its gate expired", ntohs(ag.relays[r].la.sin_port));
		}
	}
}

static void
ctl_accept(void)
{
	int fd = accept4(ag.ctlfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CTL && ag.ctls[i].fd > 0; i++)
		;
	if (i == MAX_CTL) {
		close(fd);
		return;
	}
	ag.ctls[i] = (struct ctl){ .fd = fd };
}

/* aces-agent ctl PATH WORDS...: one command to a running agent, its answer printed. */
static int
ctl_client(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[256] = "", ans[256];
	int fd, i;
	ssize_t n;
	size_t got = 0;

	if (argc < 4 || strlen(argv[2]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: aces-agent ctl PATH gate PORT [MS] | ungate PORT\n");
		return 2;
	}
	strcpy(a.sun_path, argv[2]);
	for (i = 3; i < argc; i++) {
		strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
		strncat(line, i + 1 < argc ? " " : "\n", sizeof(line) - strlen(line) - 1);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "aces-agent ctl: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (got < sizeof(ans) - 1 && (n = recv(fd, ans + got, sizeof(ans) - 1 - got, 0)) > 0)
		got += (size_t)n;
	ans[got] = '\0';
	close(fd);
	fputs(ans, stdout);
	return strncmp(ans, "gated", 5) == 0 || strncmp(ans, "ungated", 7) == 0 ? 0 : 1;
}

/* ---- set-up ---- */

static int
parse_addr(const char *s, struct sockaddr_in *a)
{
	char buf[64], *colon;
	long port;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	return (port > 0 && port < 65536 && inet_pton(AF_INET, buf, &a->sin_addr) == 1) ? 0 : -1;
}

static int
listen_on(int type, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = ip, .sin_port = port };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 512) != 0)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

static void
usage(void)
{
	fprintf(stderr, "usage: aces-agent --port PORT --secret-file FILE [--listen ADDR] "
		"[--unix PATH] [--ctl PATH] [--relay ADDR:PORT=ADDR:PORT[,redis]]... [--aces ADDR]... "
		"[--quiet-ms MS] [-v]\n       aces-agent ctl PATH gate PORT [MS] | ungate PORT\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "secret-file", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' }, { "unix", required_argument, NULL, 'u' },
		{ "relay", required_argument, NULL, 'r' }, { "aces", required_argument, NULL, 'a' },
		{ "quiet-ms", required_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *secret_file = NULL;
	char err[256];
	long port = 0;
	int c, i, rc;

	ag.quiet_ms = 5;
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_client(argc, argv);
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 's':
			secret_file = optarg;
			break;
		case 'l':
			if (inet_pton(AF_INET, optarg, &ag.listen_ip) != 1) {
				fprintf(stderr, "aces-agent: --listen: \"%s\" is not an IPv4 address\n", optarg);
				return 2;
			}
			break;
		case 'u':
			ag.unix_path = optarg;
			break;
		case 'c':
			ag.ctl_path = optarg;
			break;
		case 'r': {
			char *eq = strchr(optarg, '=');

			if (ag.n_relays == MAX_RELAYS || eq == NULL) {
				fprintf(stderr, "aces-agent: --relay: LISTEN=UPSTREAM (ADDR:PORT each), "
					"at most %d\n", MAX_RELAYS);
				return 2;
			}
			*eq = '\0';
			{
				char *opt = strchr(eq + 1, ',');

				if (opt != NULL) {
					*opt = '\0';
					if (strcmp(opt + 1, "redis") != 0) {
						fprintf(stderr, "aces-agent: --relay: \"%s\": the only "
							"protocol is redis\n", opt + 1);
						return 2;
					}
					ag.relays[ag.n_relays].redis = 1;
				}
			}
			if (parse_addr(optarg, &ag.relays[ag.n_relays].la) != 0 ||
			    parse_addr(eq + 1, &ag.relays[ag.n_relays].ua) != 0) {
				fprintf(stderr, "aces-agent: --relay: \"%s=%s\" is not ADDR:PORT=ADDR:PORT\n",
					optarg, eq + 1);
				return 2;
			}
			ag.n_relays++;
			break;
		}
		case 'a':
			if (ag.n_aces == MAX_ACES || inet_pton(AF_INET, optarg, &ag.aces[ag.n_aces]) != 1) {
				fprintf(stderr, "aces-agent: --aces: an IPv4 address, at most %d\n", MAX_ACES);
				return 2;
			}
			ag.n_aces++;
			break;
		case 'q': {
			long q = strtol(optarg, NULL, 10);

			if (q < 0 || q > 10000) {
				fprintf(stderr, "aces-agent: --quiet-ms: 0..10000\n");
				return 2;
			}
			ag.quiet_ms = (uint32_t)q;
			break;
		}
		case 'v':
			ag.verbose = 1;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	if (port <= 0 || port > 65535 || secret_file == NULL) {
		usage();
		fprintf(stderr, "aces-agent: --port (1..65535) and --secret-file are required\n");
		return 2;
	}
	rc = aces_ap_secret_load(secret_file, ag.secret, sizeof(ag.secret), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "aces-agent: --secret-file: %s\n", err);
		return 2;
	}
	ag.secret_len = (size_t)rc;
	ag.seen = calloc(N_SEEN, sizeof(*ag.seen));
	if (ag.seen == NULL) {
		say("out of memory");
		return 1;
	}
	ag.port = htons((uint16_t)port);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ag.udp = listen_on(SOCK_DGRAM, ag.listen_ip, ag.port);
	ag.tcp = listen_on(SOCK_STREAM, ag.listen_ip, ag.port);
	if (ag.udp < 0 || ag.tcp < 0) {
		say("port %ld: %s", port, strerror(-(ag.udp < 0 ? ag.udp : ag.tcp)));
		return 1;
	}
	for (i = 0; i < ag.n_relays; i++) {
		ag.relays[i].lfd = listen_on(SOCK_STREAM, ag.relays[i].la.sin_addr.s_addr,
					     ag.relays[i].la.sin_port);
		if (ag.relays[i].lfd < 0) {
			say("relay %s:%u: %s", inet_ntoa(ag.relays[i].la.sin_addr),
			    ntohs(ag.relays[i].la.sin_port), strerror(-ag.relays[i].lfd));
			return 1;
		}
	}
	ag.ux = -1;
	if (ag.unix_path != NULL) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		if (strlen(ag.unix_path) >= sizeof(a.sun_path)) {
			say("--unix: path too long");
			return 2;
		}
		strcpy(a.sun_path, ag.unix_path);
		unlink(ag.unix_path);
		ag.ux = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (ag.ux < 0 || bind(ag.ux, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    listen(ag.ux, 16) != 0) {
			say("--unix %s: %s", ag.unix_path, strerror(errno));
			return 1;
		}
	}
	ag.ctlfd = -1;
	if (ag.ctl_path != NULL) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		if (strlen(ag.ctl_path) >= sizeof(a.sun_path)) {
			say("--ctl: path too long");
			return 2;
		}
		strcpy(a.sun_path, ag.ctl_path);
		unlink(ag.ctl_path);
		ag.ctlfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (ag.ctlfd < 0 || bind(ag.ctlfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    listen(ag.ctlfd, 8) != 0) {
			say("--ctl %s: %s", ag.ctl_path, strerror(errno));
			return 1;
		}
	}
	say("port %ld, %d relays%s%s, ready", port, ag.n_relays,
	    ag.unix_path != NULL ? ", applications at " : "", ag.unix_path != NULL ? ag.unix_path : "");
	while (!stop) {
		static struct pollfd p[4 + MAX_RELAYS + MAX_APPS + MAX_CTL + 2 * MAX_CONNS];
		static int who[4 + MAX_RELAYS + MAX_APPS + MAX_CTL + 2 * MAX_CONNS];
		int np = 0, busy = 0, k;
		uint64_t now = mono_ms();

		p[np] = (struct pollfd){ .fd = ag.udp, .events = POLLIN };
		who[np++] = -1;
		p[np] = (struct pollfd){ .fd = ag.tcp, .events = POLLIN };
		who[np++] = -2;
		if (ag.ux >= 0) {
			p[np] = (struct pollfd){ .fd = ag.ux, .events = POLLIN };
			who[np++] = -3;
		}
		for (i = 0; i < ag.n_relays; i++) {
			p[np] = (struct pollfd){ .fd = ag.relays[i].lfd, .events = POLLIN };
			who[np++] = -100 - i;
		}
		if (ag.ctlfd >= 0) {
			p[np] = (struct pollfd){ .fd = ag.ctlfd, .events = POLLIN };
			who[np++] = -4;
		}
		for (i = 0; i < MAX_CTL; i++) {
			if (ag.ctls[i].fd > 0) {
				p[np] = (struct pollfd){ .fd = ag.ctls[i].fd, .events = POLLIN };
				who[np++] = -2000 - i;
			}
			busy |= ag.ctls[i].gate_port != 0;
		}
		for (i = 0; i < MAX_APPS; i++) {
			if (ag.apps[i].fd > 0) {
				p[np] = (struct pollfd){ .fd = ag.apps[i].fd, .events = POLLIN };
				who[np++] = -1000 - i;
			}
		}
		for (i = 0; i < MAX_CONNS; i++) {
			struct rconn *cn = ag.conns[i];

			if (cn == NULL)
				continue;
			p[np] = (struct pollfd){ .fd = cn->cfd,
				.events = (short)((cn->moving || relay_gated(cn->relay, now) ? 0 : POLLIN) |
						  (cn->u2c_len ? POLLOUT : 0)) };
			who[np++] = 2 * i;
			p[np] = (struct pollfd){ .fd = cn->ufd,
				.events = (short)(POLLIN | (cn->c2u_len ? POLLOUT : 0)) };
			who[np++] = 2 * i + 1;
		}
		for (i = 0; i < MAX_MOVES && !busy; i++)
			busy = ag.moves[i].state != M_FREE;
		k = poll(p, (nfds_t)np, busy ? 2 : 200);
		if (k < 0 && errno != EINTR)
			break;
		for (i = 0; k > 0 && i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (who[i] == -1) {
				udp_rx();
			} else if (who[i] == -2) {
				take_handoff();
			} else if (who[i] == -3) {
				app_accept();
			} else if (who[i] == -4) {
				ctl_accept();
			} else if (who[i] <= -2000) {
				if (ag.ctls[-2000 - who[i]].fd > 0)
					ctl_rx(&ag.ctls[-2000 - who[i]]);
			} else if (who[i] <= -1000) {
				if (ag.apps[-1000 - who[i]].fd > 0)
					app_rx(-1000 - who[i]);
			} else if (who[i] <= -100) {
				relay_accept(-100 - who[i]);
			} else if (who[i] % 2 == 0 && ag.conns[who[i] / 2] != NULL) {
				short urev = (i + 1 < np && who[i + 1] == who[i] + 1) ? p[i + 1].revents : 0;

				conn_io(who[i] / 2, p[i].revents, urev);
				if (urev != 0)
					p[i + 1].revents = 0;
			} else if (who[i] % 2 == 1 && ag.conns[who[i] / 2] != NULL) {
				conn_io(who[i] / 2, 0, p[i].revents);
			}
		}
		now = mono_ms();
		check_moves(now);
		check_ctls(now);
	}
	say("stopping: moved out %llu (failed %llu), taken in %llu (failed %llu), refused %llu",
	    (unsigned long long)ag.moved_out, (unsigned long long)ag.failed_out,
	    (unsigned long long)ag.moved_in, (unsigned long long)ag.failed_in,
	    (unsigned long long)ag.refused);
	for (i = 0; i < MAX_CONNS; i++)
		conn_free(i, 0);
	if (ag.unix_path != NULL)
		unlink(ag.unix_path);
	if (ag.ctl_path != NULL)
		unlink(ag.ctl_path);
	free(ag.seen);
	return 0;
}
