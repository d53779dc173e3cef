/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcpmig on real sockets over loopback (TCP_REPAIR needs root): a connection's
 * server socket is frozen, exported, closed (silently), imported as a new socket and
 * the connection goes on: queued bytes in both directions arrive complete and in order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aces/tcpmig.h"
#include "unit.h"

static char err[256];

/* A connected pair over 127.0.0.1: *cli and *srv; the client's receive buffer @rcvbuf (0:
 * default). */
static int
pair(int *cli, int *srv, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) != 0)
		return -1;
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf > 0)
		setsockopt(*cli, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(*cli, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	*srv = accept(l, NULL, NULL);
	close(l);
	return *srv < 0 ? -1 : 0;
}

/* Read exactly @n bytes within 20 s. */
static int
read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	time_t end = time(NULL) + 20;

	while (got < n && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		r = recv(fd, (char *)buf + got, n - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return got == n ? 0 : -1;
}

static int
root(void)
{
	if (geteuid() == 0)
		return 1;
	printf("\n  (not root: TCP_REPAIR cannot be tried here; CI runs as root)\n");
	return 0;
}

/* Export the server end, close it frozen, import it: the new socket. */
static int
move(int srv, struct aces_tcpmig_info *info)
{
	size_t cap = aces_tcpmig_export_size(srv) + 65536;
	uint8_t *blob = malloc(cap);
	int64_t n;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	n = aces_tcpmig_export(srv, blob, cap, err, sizeof(err));
	if (n < 0)
		printf("\n  export: %s\n", err);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(aces_tcpmig_peek(blob, (size_t)n, info, err, sizeof(err)), 0);
	close(srv);	/* frozen: no FIN, no RST */
	fd = aces_tcpmig_import(blob, (size_t)n, 0, err, sizeof(err));
	if (fd < 0)
		printf("\n  import: %s\n", err);
	free(blob);
	return fd;
}

static void
test_tcpmig_queues_move(void)
{
	struct aces_tcpmig_info info;
	char buf[64];
	int cli, srv, nsrv;

	if (!root())
		return;
	CU_ASSERT_EQUAL_FATAL(pair(&cli, &srv, 0), 0);
	CU_ASSERT_EQUAL(send(srv, "hi ", 3, 0), 3);
	CU_ASSERT_EQUAL(read_all(cli, buf, 3), 0);
	CU_ASSERT_EQUAL(send(cli, "hello", 5, 0), 5);	/* left unread on the server */
	usleep(50000);
	nsrv = move(srv, &info);
	CU_ASSERT_FATAL(nsrv >= 0);
	CU_ASSERT_EQUAL(info.recvq_len, 5);
	CU_ASSERT_EQUAL(info.sendq_len, 0);
	CU_ASSERT(info.mss > 536);
	CU_ASSERT(info.timestamps && info.sack && info.wscale);
	CU_ASSERT_EQUAL(read_all(nsrv, buf, 5), 0);	/* the receive queue came along */
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(send(cli, "more", 4, 0), 4);	/* and the connection goes on */
	CU_ASSERT_EQUAL(read_all(nsrv, buf, 4), 0);
	CU_ASSERT_EQUAL(memcmp(buf, "more", 4), 0);
	CU_ASSERT_EQUAL(send(nsrv, "reply", 5, 0), 5);
	CU_ASSERT_EQUAL(read_all(cli, buf, 5), 0);
	CU_ASSERT_EQUAL(memcmp(buf, "reply", 5), 0);
	{
		int mss = 0;
		socklen_t l = sizeof(mss);

		getsockopt(nsrv, IPPROTO_TCP, TCP_MAXSEG, &mss, &l);
		printf("\n  MSS %u before, %d after the move\n", info.mss, mss);
		/* not the 524 that the repair options alone leave (loopback's MSS is above the
		 * 32767 TCP_MAXSEG takes: cut to it) */
		CU_ASSERT(mss + 40 >= (info.mss < 32767 ? info.mss : 32767));	/* less options */
	}
	close(nsrv);
	close(cli);
}

/* A client that does not read: the server's send queue holds sent-unacknowledged and
 * never-sent bytes when it moves; all of them reach the client, in order. */
static void
test_tcpmig_send_queue_move(void)
{
	enum { TOTAL = 4 << 20 };
	struct aces_tcpmig_info info;
	uint8_t *out = malloc(TOTAL), *in = malloc(TOTAL);
	size_t written = 0, i;
	int cli, srv, nsrv, fl;

	if (!root()) {
		free(out);
		free(in);
		return;
	}
	CU_ASSERT_FATAL(out != NULL && in != NULL);
	for (i = 0; i < TOTAL; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 13));
	CU_ASSERT_EQUAL_FATAL(pair(&cli, &srv, 65536), 0);
	fl = fcntl(srv, F_GETFL);
	fcntl(srv, F_SETFL, fl | O_NONBLOCK);
	while (written < TOTAL) {
		ssize_t r = send(srv, out + written, TOTAL - written, 0);

		if (r <= 0)
			break;	/* the client's window and the server's buffer are full */
		written += (size_t)r;
	}
	fcntl(srv, F_SETFL, fl);
	CU_ASSERT_FATAL(written > 0 && written < TOTAL);
	usleep(50000);
	nsrv = move(srv, &info);
	CU_ASSERT_FATAL(nsrv >= 0);
	CU_ASSERT(info.sendq_len > 0);
	printf("\n  moved with %u bytes unacknowledged (%u never sent), %zu written\n",
	       info.sendq_len, info.sendq_unsent, written);
	/* the rest goes through the new socket while the client reads it all */
	{
		size_t got = 0;
		time_t end = time(NULL) + 30;

		fcntl(nsrv, F_SETFL, fcntl(nsrv, F_GETFL) | O_NONBLOCK);
		while (got < TOTAL && time(NULL) < end) {
			struct pollfd p[2] = { { .fd = cli, .events = POLLIN },
					       { .fd = nsrv, .events = written < TOTAL ? POLLOUT : 0 } };
			ssize_t r;

			if (poll(p, 2, 1000) <= 0)
				continue;
			if (p[1].revents & POLLOUT) {
				r = send(nsrv, out + written, TOTAL - written, 0);
				if (r > 0)
					written += (size_t)r;
			}
			if (p[0].revents & POLLIN) {
				r = recv(cli, in + got, TOTAL - got, 0);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
		}
		CU_ASSERT_EQUAL(got, TOTAL);
	}
	CU_ASSERT_EQUAL(memcmp(in, out, TOTAL), 0);
	close(nsrv);
	close(cli);
	free(out);
	free(in);
}

/* A move called off: thawed, the socket goes on. Too small a buffer: refused, thawed. */
static void
test_tcpmig_thaw(void)
{
	uint8_t blob[64];
	char buf[8];
	int cli, srv;
	size_t cap;
	uint8_t *big;
	int64_t n;

	if (!root())
		return;
	CU_ASSERT_EQUAL_FATAL(pair(&cli, &srv, 0), 0);
	CU_ASSERT_EQUAL(aces_tcpmig_export(srv, blob, sizeof(blob), err, sizeof(err)), -ENOBUFS);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs"));
	CU_ASSERT_EQUAL(send(cli, "abc", 3, 0), 3);
	CU_ASSERT_EQUAL(read_all(srv, buf, 3), 0);	/* still alive */
	cap = aces_tcpmig_export_size(srv) + 1024;
	big = malloc(cap);
	n = aces_tcpmig_export(srv, big, cap, err, sizeof(err));
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(aces_tcpmig_thaw(srv), 0);
	CU_ASSERT_EQUAL(send(srv, "xyz", 3, 0), 3);
	CU_ASSERT_EQUAL(read_all(cli, buf, 3), 0);
	CU_ASSERT_EQUAL(memcmp(buf, "xyz", 3), 0);
	free(big);
	close(srv);
	close(cli);
}

/* Bad input: refused with a reason, nothing left open, never a crash. */
static void
test_tcpmig_bad(void)
{
	uint8_t blob[4096], junk[200];
	int cli, srv, l, i, before, after;
	int64_t n;

	if (!root())
		return;
	l = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(aces_tcpmig_export(l, blob, sizeof(blob), err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not established"));
	close(l);
	CU_ASSERT_EQUAL_FATAL(pair(&cli, &srv, 0), 0);
	n = aces_tcpmig_export(srv, blob, sizeof(blob), err, sizeof(err));
	CU_ASSERT_FATAL(n > 0);
	aces_tcpmig_thaw(srv);
	before = dup(0);
	close(before);
	CU_ASSERT(aces_tcpmig_import(blob, (size_t)n - 1, 0, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cut short"));
	blob[20] ^= 0x40;
	CU_ASSERT(aces_tcpmig_import(blob, (size_t)n, 0, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "checksum"));
	blob[20] ^= 0x40;
	blob[9] = 9;
	CU_ASSERT_EQUAL(aces_tcpmig_peek(blob, (size_t)n, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "version"));
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t k, len = (size_t)rand() % sizeof(junk);

		for (k = 0; k < len; k++)
			junk[k] = (uint8_t)rand();
		if (len >= 8 && (i & 1))
			memcpy(junk, "ACESTCPM", 8);
		CU_ASSERT(aces_tcpmig_import(junk, len, 0, err, sizeof(err)) < 0);
	}
	after = dup(0);
	close(after);
	CU_ASSERT_EQUAL(after, before);	/* no socket left open by a refusal */
	close(srv);
	close(cli);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "queues move with the socket", test_tcpmig_queues_move },
		{ "unacknowledged and unsent bytes move", test_tcpmig_send_queue_move },
		{ "thaw and too small a buffer", test_tcpmig_thaw },
		{ "bad blobs and sockets", test_tcpmig_bad },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("tcpmig", tests);
}
