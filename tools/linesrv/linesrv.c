/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * linesrv: a small line service that cooperates in moving its connections (issue #11's
 * example application). Every line a client sends is answered with
 *     NAME n=COUNT LINE
 * where COUNT is the connection's own running count of lines: state that must survive
 * a move. On SIGUSR1 it hands every connection over: waits for a quiet point (no line
 * half read, every reply acknowledged), freezes and exports the socket with lib/tcpmig,
 * and writes the blob with its count to DIR/CLIENT-PORT.conn (tmp, then rename); the
 * frozen socket is closed silently. Started with --adopt, it takes every such file from
 * DIR, imports the socket bound to its own address, and serves it on with its count.
 *
 *   linesrv --listen ADDR:PORT --name NAME [--dir DIR] [--adopt]
 *
 * The files stand in for the agents' channel, which issue #11 still has to build.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aces/tcpmig.h"

#define MAX_CONNS	1024
#define LINE_MAX_LEN	1024
#define FILE_MAGIC	"LINESRV1"

struct conn {
	int fd;
	uint64_t count;
	size_t len;			/* bytes of a line not complete yet */
	char buf[LINE_MAX_LEN];
};

static struct conn conns[MAX_CONNS];
static volatile sig_atomic_t handover, stop;
static const char *name = "linesrv", *dir = ".";
static uint32_t own_ip;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		handover = 1;
	else
		stop = 1;
}

static int
add_conn(int fd, uint64_t count, const char *part, size_t len)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd <= 0) {
			conns[i].fd = fd;
			conns[i].count = count;
			conns[i].len = len;
			memcpy(conns[i].buf, part, len);
			return 0;
		}
	}
	close(fd);
	return -1;
}

static void
drop_conn(struct conn *c)
{
	close(c->fd);
	c->fd = 0;
}

/* Answer every complete line in the connection's buffer. */
static void
serve(struct conn *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	char *nl;

	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			drop_conn(c);
		return;
	}
	c->len += (size_t)r;
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		char out[LINE_MAX_LEN + 128];
		size_t ll = (size_t)(nl - c->buf);
		int n;

		c->count++;
		n = snprintf(out, sizeof(out), "%s n=%llu %.*s\n", name,
			     (unsigned long long)c->count, (int)ll, c->buf);
		if (send(c->fd, out, (size_t)n, MSG_NOSIGNAL) != n) {
			drop_conn(c);
			return;
		}
		memmove(c->buf, nl + 1, c->len - ll - 1);
		c->len -= ll + 1;
	}
	if (c->len == sizeof(c->buf))
		drop_conn(c);	/* a line too long */
}

/* Hand one connection over: at a quiet point, its socket and count into a file. */
static int
hand_over(struct conn *c)
{
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	char path[4096], tmp[4200], err[256];
	size_t cap;
	uint8_t *blob;
	int64_t n;
	int outq = 1, i;
	FILE *f;

	/* quiet: every reply acknowledged (else the new socket, with no RTT yet, would
	 * take seconds to resend them) */
	for (i = 0; i < 200 && outq > 0; i++) {
		if (ioctl(c->fd, SIOCOUTQ, &outq) != 0)
			break;
		if (outq > 0)
			usleep(5000);
	}
	if (getpeername(c->fd, (struct sockaddr *)&pa, &pl) != 0)
		return -1;
	cap = aces_tcpmig_export_size(c->fd) + 65536;
	blob = malloc(cap);
	if (blob == NULL)
		return -1;
	n = aces_tcpmig_export(c->fd, blob, cap, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "linesrv: export: %s\n", err);
		free(blob);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s-%u.conn", dir, inet_ntoa(pa.sin_addr),
		 ntohs(pa.sin_port));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (f == NULL || fwrite(FILE_MAGIC, 1, 8, f) != 8 ||
	    fwrite(&c->count, sizeof(c->count), 1, f) != 1 ||
	    fwrite(&c->len, sizeof(c->len), 1, f) != 1 ||
	    fwrite(c->buf, 1, c->len, f) != c->len ||
	    fwrite(blob, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "linesrv: %s: %s\n", path, strerror(errno));
		aces_tcpmig_thaw(c->fd);	/* stays here, served on */
		free(blob);
		return -1;
	}
	free(blob);
	close(c->fd);	/* frozen: silently */
	c->fd = 0;
	return 0;
}

/* Take every handed-over connection in the directory. */
static void
adopt(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4200], err[256], magic[8];
		uint64_t count;
		size_t len, blen;
		uint8_t *buf;
		long sz;
		FILE *f;
		int fd;

		if (strlen(e->d_name) < 6 || strcmp(e->d_name + strlen(e->d_name) - 5, ".conn") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc(sz > 0 ? (size_t)sz : 1);
		if (buf == NULL || fread(magic, 1, 8, f) != 8 || memcmp(magic, FILE_MAGIC, 8) != 0 ||
		    fread(&count, sizeof(count), 1, f) != 1 || fread(&len, sizeof(len), 1, f) != 1 ||
		    len > LINE_MAX_LEN || sz < (long)(24 + len)) {
			fprintf(stderr, "linesrv: %s: not a handed-over connection\n", path);
			fclose(f);
			free(buf);
			unlink(path);
			continue;
		}
		blen = (size_t)sz - 24 - len;
		if (fread(buf, 1, len, f) != len) {
			fclose(f);
			free(buf);
			continue;
		}
		{
			char part[LINE_MAX_LEN];

			memcpy(part, buf, len);
			if (fread(buf, 1, blen, f) != blen) {
				fclose(f);
				free(buf);
				continue;
			}
			fclose(f);
			unlink(path);
			fd = aces_tcpmig_import(buf, blen, own_ip, err, sizeof(err));
			if (fd < 0)
				fprintf(stderr, "linesrv: %s: import: %s\n", path, err);
			else
				add_conn(fd, count, part, len);
		}
		free(buf);
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' }, { "adopt", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in la = { .sin_family = AF_INET };
	char *listen_at = NULL, *colon;
	int c, ls, one = 1, do_adopt = 0, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'n': name = optarg; break;
		case 'd': dir = optarg; break;
		case 'a': do_adopt = 1; break;
		default:
			fprintf(stderr, "usage: linesrv --listen ADDR:PORT --name NAME [--dir DIR] "
				"[--adopt]\n");
			return 2;
		}
	}
	if (listen_at == NULL || (colon = strrchr(listen_at, ':')) == NULL) {
		fprintf(stderr, "linesrv: --listen ADDR:PORT is required\n");
		return 2;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, listen_at, &la.sin_addr) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		fprintf(stderr, "linesrv: --listen: not ADDR:PORT\n");
		return 2;
	}
	la.sin_port = htons((uint16_t)atoi(colon + 1));
	own_ip = la.sin_addr.s_addr;
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&la, sizeof(la)) != 0 || listen(ls, 256) != 0) {
		fprintf(stderr, "linesrv: listen: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "linesrv %s: listening%s\n", name, do_adopt ? ", adopting" : "");
	while (!stop) {
		struct pollfd p[MAX_CONNS + 1];
		int map[MAX_CONNS + 1], np = 0, k;

		p[np].fd = ls;
		p[np++].events = POLLIN;
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd > 0) {
				map[np] = i;
				p[np].fd = conns[i].fd;
				p[np++].events = POLLIN;
			}
		}
		k = poll(p, (nfds_t)np, 20);
		if (handover) {
			int moved = 0, failed = 0;

			handover = 0;
			for (i = 0; i < MAX_CONNS; i++)
				if (conns[i].fd > 0)
					(hand_over(&conns[i]) == 0) ? moved++ : failed++;
			fprintf(stderr, "linesrv %s: handed over %d connections, %d failed\n", name,
				moved, failed);
			continue;
		}
		if (do_adopt)
			adopt();
		if (k <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept(ls, NULL, NULL);

			if (fd >= 0)
				add_conn(fd, 0, "", 0);
		}
		for (i = 1; i < np; i++)
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR) && conns[map[i]].fd > 0)
				serve(&conns[map[i]]);
	}
	return 0;
}
