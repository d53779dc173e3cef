/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * linesrv: a small service that cooperates in moving its connections (issue #11's
 * example application, aces/agentapp.h). Two protocols:
 *   lines (default): every line a client sends is answered with
 *       NAME n=COUNT LINE
 *     where COUNT is the connection's own running count: state that must survive a move;
 *   --echo: every byte is sent back as it came (bulk data both ways).
 * With --agent PATH it registers with the backend agent on that Unix socket. Asked to
 * hand a connection over (TAKE), it stops reading and writing it, waits until the
 * client has acknowledged everything sent (a quiet point: the new host's socket has no
 * round-trip estimate yet and would be slow to resend), and gives the agent the socket
 * with its state (count and half-read line, or bytes echoed and not yet sent). A
 * connection the agent moved here (ADOPT) is served on with its state. If the agent
 * goes away mid-move, the socket is thawed and served on here.
 * Without --agent it is an ordinary service (the relay mode's "unmodified" one).
 *
 *   linesrv --listen ADDR:PORT --name NAME [--agent PATH] [--echo]
 */
#include <arpa/inet.h>
#include <errno.h>
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

#include "aces/agentapp.h"

#define MAX_CONNS	2048
#define LINE_MAX_LEN	1024
#define OUT_MAX		32768	/* echo bytes not sent yet, at most */

struct conn {
	int fd;
	uint32_t pip;			/* the client's end, network order */
	uint16_t pport;
	uint64_t count;			/* lines answered, or bytes echoed */
	uint64_t taking;		/* a TAKE's id: stop, hand over when quiet */
	uint64_t given;			/* handed over: waiting for DONE */
	uint64_t take_since_ms;
	size_t len;			/* lines: bytes of a line not complete yet */
	size_t out_len;			/* echo: bytes to send */
	char buf[LINE_MAX_LEN];
	char out[OUT_MAX];
};

/* What travels with a connection (host order: both ends are this program). */
struct state {
	uint64_t count;
	uint32_t len, out_len;
	/* buf[len], then out[out_len] */
};

static struct conn *conns[MAX_CONNS];
static volatile sig_atomic_t stop;
static const char *name = "linesrv", *agent_path;
static int echo, agent = -1;
static uint32_t own_ip;
static uint16_t own_port;
static uint64_t adopted, handed, kept;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct conn *
add_conn(int fd, const struct state *st, const char *data)
{
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	struct conn *c;
	int i;

	for (i = 0; i < MAX_CONNS && conns[i] != NULL; i++)
		;
	if (i == MAX_CONNS || getpeername(fd, (struct sockaddr *)&pa, &pl) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->pip = pa.sin_addr.s_addr;
	c->pport = pa.sin_port;
	if (st != NULL) {
		c->count = st->count;
		c->len = st->len;
		c->out_len = st->out_len;
		memcpy(c->buf, data, st->len);
		memcpy(c->out, data + st->len, st->out_len);
	}
	conns[i] = c;
	return c;
}

static void
drop_conn(int i)
{
	close(conns[i]->fd);
	free(conns[i]);
	conns[i] = NULL;
}

static int
flush_out(struct conn *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

/* Serve what came in: answer complete lines, or echo. -1: the connection ended. */
static int
serve(struct conn *c)
{
	ssize_t r;
	char *nl;

	if (echo) {
		if (flush_out(c) < 0)
			return -1;
		if (c->out_len == OUT_MAX)
			return 0;	/* the client reads slowly: so do we */
		r = recv(c->fd, c->out + c->out_len, OUT_MAX - c->out_len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (r > 0) {
			c->out_len += (size_t)r;
			c->count += (uint64_t)r;
		}
		return flush_out(c);
	}
	r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (r < 0)
		return 0;
	c->len += (size_t)r;
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		char out[LINE_MAX_LEN + 128];
		size_t ll = (size_t)(nl - c->buf);
		int n;

		c->count++;
		n = snprintf(out, sizeof(out), "%s n=%llu %.*s\n", name,
			     (unsigned long long)c->count, (int)ll, c->buf);
		if (send(c->fd, out, (size_t)n, MSG_NOSIGNAL) != n)
			return -1;
		memmove(c->buf, nl + 1, c->len - ll - 1);
		c->len -= ll + 1;
	}
	return c->len == sizeof(c->buf) ? -1 : 0;	/* a line too long */
}

static void
agent_connect(void)
{
	char err[256];

	agent = aces_agentapp_connect(agent_path, own_ip, own_port, err, sizeof(err));
	if (agent < 0)
		fprintf(stderr, "linesrv %s: agent: %s\n", name, err);
}

/* A taking connection at its quiet point: hand it over. */
static void
give(struct conn *c)
{
	static char buf[sizeof(struct state) + LINE_MAX_LEN + OUT_MAX];
	struct state *st = (struct state *)buf;
	int outq = 1;

	if (ioctl(c->fd, SIOCOUTQ, &outq) != 0 || outq > 0)
		return;	/* not yet: the client has not acknowledged everything */
	st->count = c->count;
	st->len = (uint32_t)c->len;
	st->out_len = (uint32_t)c->out_len;
	memcpy(buf + sizeof(*st), c->buf, c->len);
	memcpy(buf + sizeof(*st) + c->len, c->out, c->out_len);
	if (aces_agentapp_give(agent, c->taking, c->fd, buf,
			       sizeof(*st) + c->len + c->out_len) != 0) {
		c->taking = 0;	/* the agent will time the move out */
		return;
	}
	c->given = c->taking;
	c->taking = 0;
}

static void
agent_rx(void)
{
	static char state[ACES_AA_STATE_MAX];
	struct aces_aa_msg m;
	int sock, rc, i;

	while ((rc = aces_agentapp_recv(agent, &m, state, sizeof(state), &sock)) == 1) {
		if (m.type == ACES_AA_ADOPT && sock >= 0) {
			const struct state *st = (const struct state *)state;

			if (m.state_len < sizeof(*st) || st->len > LINE_MAX_LEN || st->out_len > OUT_MAX ||
			    m.state_len != sizeof(*st) + st->len + st->out_len) {
				fprintf(stderr, "linesrv %s: a moved connection with bad state\n", name);
				add_conn(sock, NULL, NULL);
			} else if (add_conn(sock, st, state + sizeof(*st)) != NULL) {
				adopted++;
			}
			continue;
		}
		if (sock >= 0)
			close(sock);
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = conns[i];

			if (c == NULL)
				continue;
			if (m.type == ACES_AA_TAKE && c->pip == m.peer_ip && c->pport == m.peer_port) {
				c->taking = m.id;
				c->take_since_ms = now_ms();
				break;
			}
			if (m.type == ACES_AA_DONE && (c->given == m.id || c->taking == m.id)) {
				if (m.status == 1 && c->given == m.id) {
					drop_conn(i);	/* frozen: closes silently */
					handed++;
				} else {
					c->given = c->taking = 0;	/* thawed by the agent: on */
					kept++;
				}
				break;
			}
		}
		if (m.type == ACES_AA_TAKE && i == MAX_CONNS)
			aces_agentapp_refuse(agent, m.id, -ENOENT);
	}
	if (rc < 0) {
		/* the agent is gone: whatever it had not finished stays here */
		fprintf(stderr, "linesrv %s: the agent went away\n", name);
		close(agent);
		agent = -1;
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i] != NULL && conns[i]->given) {
				aces_agentapp_thaw(conns[i]->fd);
				kept++;
			}
			if (conns[i] != NULL)
				conns[i]->given = conns[i]->taking = 0;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "name", required_argument, NULL, 'n' },
		{ "agent", required_argument, NULL, 'a' }, { "echo", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in la = { .sin_family = AF_INET };
	char *listen_at = NULL, *colon;
	uint64_t next_try = 0;
	int c, ls, one = 1, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'n': name = optarg; break;
		case 'a': agent_path = optarg; break;
		case 'e': echo = 1; break;
		default:
			fprintf(stderr, "usage: linesrv --listen ADDR:PORT --name NAME [--agent PATH] "
				"[--echo]\n");
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
	own_port = la.sin_port;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		fprintf(stderr, "linesrv: socket: %s\n", strerror(errno));
		return 1;
	}
	/* a moved-in connection of a process before may still hold the port while it closes */
	for (i = 0; bind(ls, (struct sockaddr *)&la, sizeof(la)) != 0; i++) {
		if (errno != EADDRINUSE || i == 100) {
			fprintf(stderr, "linesrv: bind: %s\n", strerror(errno));
			return 1;
		}
		usleep(50000);
	}
	if (listen(ls, 1024) != 0) {
		fprintf(stderr, "linesrv: listen: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "linesrv %s: listening%s\n", name, echo ? " (echo)" : "");
	while (!stop) {
		static struct pollfd p[MAX_CONNS + 2];
		static int map[MAX_CONNS + 2];
		int np = 0, k, taking = 0;

		if (agent_path != NULL && agent < 0 && now_ms() >= next_try) {
			agent_connect();
			next_try = now_ms() + 1000;
		}
		p[np].fd = ls;
		p[np++].events = POLLIN;
		if (agent >= 0) {
			map[np] = -1;
			p[np].fd = agent;
			p[np++].events = POLLIN;
		}
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *cn = conns[i];

			if (cn == NULL)
				continue;
			if (cn->taking || cn->given) {	/* frozen for the move: left alone */
				taking |= cn->taking != 0;
				continue;
			}
			map[np] = i;
			p[np].fd = cn->fd;
			p[np++].events = (short)(POLLIN | (cn->out_len ? POLLOUT : 0));
		}
		k = poll(p, (nfds_t)np, taking ? 1 : 50);
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i] != NULL && conns[i]->taking)
				give(conns[i]);
		if (k <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept(ls, NULL, NULL);

			if (fd >= 0)
				add_conn(fd, NULL, NULL);
		}
		for (i = 1; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (map[i] < 0) {
				agent_rx();
				continue;
			}
			if (conns[map[i]] != NULL && !conns[map[i]]->taking && !conns[map[i]]->given &&
			    serve(conns[map[i]]) < 0)
				drop_conn(map[i]);
		}
	}
	fprintf(stderr, "linesrv %s: stopping: %llu handed over, %llu adopted, %llu kept\n", name,
		(unsigned long long)handed, (unsigned long long)adopted, (unsigned long long)kept);
	return 0;
}
