/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP_REPAIR export and import of an established IPv4 socket (see aces/tcpmig.h).
 *
 * Blob: "ACESTCPM", version (u16), 0 (u16), total length (u32); then fields, each a
 * tag (u16), 0 (u16), a length (u32) and its bytes; then FNV-1a 64 of everything
 * before. Integers are big-endian, addresses and ports as on the wire. Unknown tags
 * are skipped; a missing required one, a wrong size or any damage refuses the blob.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aces/fnv.h"
#include "aces/tcpmig.h"
#include "aces/wire.h"

#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif
#ifndef TCPOPT_MAXSEG
#define TCPOPT_MAXSEG 2
#endif
#ifndef TCPOPT_WINDOW
#define TCPOPT_WINDOW 3
#endif
#ifndef TCPOPT_SACK_PERMITTED
#define TCPOPT_SACK_PERMITTED 4
#endif
#ifndef TCPOPT_TIMESTAMP
#define TCPOPT_TIMESTAMP 8
#endif

#define MAGIC		"ACESTCPM"
#define HEAD_LEN	16
#define FIELD_HEAD	8
#define TRAILER		8
#define TCP_STATE_ESTABLISHED 1

enum tag {
	T_ADDRS = 1,	/* local ip, local port, peer ip, peer port: 12 bytes */
	T_SEQ,		/* send queue end, receive queue end: 8 */
	T_OPTS,		/* mss u16, snd_wscale, rcv_wscale, sack, timestamps, wscale, 0: 8 */
	T_TSVAL,	/* the timestamp clock: 4 */
	T_WINDOW,	/* snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup: 20 */
	T_SENDQ,	/* bytes never sent (u32), then the send queue's bytes */
	T_RECVQ,	/* the receive queue's bytes */
};

static int
fail(char *err, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A field: its head at @p, @len bytes of value follow (written by the caller). */
static uint8_t *
field(uint8_t *p, enum tag t, uint32_t len)
{
	aces_put16(p, (uint16_t)t);
	aces_put16(p + 2, 0);
	aces_put32(p + 4, len);
	return p + FIELD_HEAD;
}

size_t
aces_tcpmig_export_size(int fd)
{
	int outq = 0, inq = 0;

	if (ioctl(fd, SIOCOUTQ, &outq) != 0 || ioctl(fd, SIOCINQ, &inq) != 0)
		return 0;
	return HEAD_LEN + 7 * FIELD_HEAD + 12 + 8 + 8 + 4 + 20 + 4 + (size_t)outq + (size_t)inq +
	       TRAILER;
}

int
aces_tcpmig_thaw(int fd)
{
	int off = TCP_REPAIR_OFF_NO_WP;

	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) == 0 ? 0 : -errno;
}

/* Select queue @q and read its sequence number and @n bytes (peeked, not taken). */
static int
read_queue(int fd, int q, uint32_t *seq, uint8_t *out, int n)
{
	socklen_t len = sizeof(*seq);
	int got;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) != 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &len) != 0)
		return -errno;
	if (n == 0)
		return 0;
	got = (int)recv(fd, out, (size_t)n, MSG_PEEK | MSG_DONTWAIT);
	if (got < 0)
		return -errno;
	return got == n ? 0 : -EIO;
}

int64_t
aces_tcpmig_export(int fd, void *buf, size_t cap, char *err, size_t errlen)
{
	struct sockaddr_in la, pa;
	socklen_t sl = sizeof(la), pl = sizeof(pa), len;
	struct tcp_info ti;
	struct tcp_repair_window w;
	uint32_t snd_seq = 0, rcv_seq = 0, tsval = 0;
	int on = TCP_REPAIR_ON, outq = 0, nsd = 0, inq = 0, mss = 0, rc;
	uint8_t *p = buf, *b = buf, *q;
	size_t need;

	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return fail(err, errlen, -errno, "TCP_INFO: %s (not a TCP socket?)", strerror(errno));
	if (ti.tcpi_state != TCP_STATE_ESTABLISHED)
		return fail(err, errlen, -EINVAL, "the connection is not established (TCP state %u)",
			    ti.tcpi_state);
	if (getsockname(fd, (struct sockaddr *)&la, &sl) != 0 ||
	    getpeername(fd, (struct sockaddr *)&pa, &pl) != 0 || la.sin_family != AF_INET ||
	    pa.sin_family != AF_INET)
		return fail(err, errlen, -EAFNOSUPPORT, "not an IPv4 connection");
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) != 0)
		return fail(err, errlen, -errno, "TCP_REPAIR: %s (needs CAP_NET_ADMIN)",
			    strerror(errno));
	/* frozen from here: every failure thaws it again */
	if (ioctl(fd, SIOCOUTQ, &outq) != 0 || ioctl(fd, SIOCOUTQNSD, &nsd) != 0 ||
	    ioctl(fd, SIOCINQ, &inq) != 0 || outq < 0 || nsd < 0 || inq < 0 || nsd > outq) {
		rc = fail(err, errlen, -EIO, "queue sizes: %s", strerror(errno));
		goto thaw;
	}
	need = HEAD_LEN + 7 * FIELD_HEAD + 12 + 8 + 8 + 4 + 20 + 4 + (size_t)outq + (size_t)inq +
	       TRAILER;
	if (need > cap) {
		rc = fail(err, errlen, -ENOBUFS, "the blob needs %zu bytes, %zu given", need, cap);
		goto thaw;
	}
	p = b + HEAD_LEN;
	q = field(p, T_SENDQ, 4 + (uint32_t)outq);
	aces_put32(q, (uint32_t)nsd);
	rc = read_queue(fd, TCP_SEND_QUEUE, &snd_seq, q + 4, outq);
	if (rc != 0) {
		fail(err, errlen, rc, "send queue: %s", strerror(-rc));
		goto thaw;
	}
	p = q + 4 + outq;
	q = field(p, T_RECVQ, (uint32_t)inq);
	rc = read_queue(fd, TCP_RECV_QUEUE, &rcv_seq, q, inq);
	if (rc != 0) {
		fail(err, errlen, rc, "receive queue: %s", strerror(-rc));
		goto thaw;
	}
	p = q + inq;
	len = sizeof(mss);
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0) {
		rc = fail(err, errlen, -errno, "TCP_MAXSEG: %s", strerror(errno));
		goto thaw;
	}
	len = sizeof(w);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len) != 0 || len != sizeof(w)) {
		rc = fail(err, errlen, -EIO, "TCP_REPAIR_WINDOW: %s", strerror(errno));
		goto thaw;
	}
	len = sizeof(tsval);
	if ((ti.tcpi_options & TCPI_OPT_TIMESTAMPS) &&
	    getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &tsval, &len) != 0) {
		rc = fail(err, errlen, -errno, "TCP_TIMESTAMP: %s", strerror(errno));
		goto thaw;
	}
	q = field(p, T_ADDRS, 12);
	memcpy(q, &la.sin_addr.s_addr, 4);
	memcpy(q + 4, &la.sin_port, 2);
	memcpy(q + 6, &pa.sin_addr.s_addr, 4);
	memcpy(q + 10, &pa.sin_port, 2);
	p = q + 12;
	q = field(p, T_SEQ, 8);
	aces_put32(q, snd_seq);
	aces_put32(q + 4, rcv_seq);
	p = q + 8;
	q = field(p, T_OPTS, 8);
	aces_put16(q, (uint16_t)mss);
	q[2] = ti.tcpi_snd_wscale;
	q[3] = ti.tcpi_rcv_wscale;
	q[4] = !!(ti.tcpi_options & TCPI_OPT_SACK);
	q[5] = !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	q[6] = !!(ti.tcpi_options & TCPI_OPT_WSCALE);
	q[7] = 0;
	p = q + 8;
	q = field(p, T_TSVAL, 4);
	aces_put32(q, tsval);
	p = q + 4;
	q = field(p, T_WINDOW, 20);
	aces_put32(q, w.snd_wl1);
	aces_put32(q + 4, w.snd_wnd);
	aces_put32(q + 8, w.max_window);
	aces_put32(q + 12, w.rcv_wnd);
	aces_put32(q + 16, w.rcv_wup);
	p = q + 20;
	memcpy(b, MAGIC, 8);
	aces_put16(b + 8, ACES_TCPMIG_VERSION);
	aces_put16(b + 10, 0);
	aces_put32(b + 12, (uint32_t)(p - b + TRAILER));
	{
		uint64_t h = aces_fnv1a(ACES_FNV1A_INIT, b, (size_t)(p - b));

		aces_put32(p, (uint32_t)(h >> 32));
		aces_put32(p + 4, (uint32_t)h);
	}
	return (int64_t)(p - b + TRAILER);
thaw:
	aces_tcpmig_thaw(fd);
	return rc;
}

/* A parsed blob: its fields point into the caller's buffer. */
struct parsed {
	struct aces_tcpmig_info i;
	uint32_t w[5];
	uint32_t tsval;
	const uint8_t *sendq, *recvq;
};

static int
parse(const void *buf, size_t len, struct parsed *o, char *err, size_t errlen)
{
	const uint8_t *b = buf, *p, *end;
	unsigned int seen = 0;
	uint64_t h;

	memset(o, 0, sizeof(*o));
	if (len < HEAD_LEN + TRAILER || memcmp(b, MAGIC, 8) != 0)
		return fail(err, errlen, -EINVAL, "not a connection blob (magic)");
	if (aces_get16(b + 8) != ACES_TCPMIG_VERSION)
		return fail(err, errlen, -EINVAL, "blob version %u, this reads %u", aces_get16(b + 8),
			    ACES_TCPMIG_VERSION);
	if (aces_get32(b + 12) != len)
		return fail(err, errlen, -EINVAL, "blob of %u bytes, %zu given (cut short?)",
			    aces_get32(b + 12), len);
	h = aces_fnv1a(ACES_FNV1A_INIT, b, len - TRAILER);
	if (aces_get32(b + len - 8) != (uint32_t)(h >> 32) || aces_get32(b + len - 4) != (uint32_t)h)
		return fail(err, errlen, -EINVAL, "checksum mismatch: the blob is damaged");
	end = b + len - TRAILER;
	for (p = b + HEAD_LEN; p < end;) {
		uint16_t t;
		uint32_t fl;
		const uint8_t *v;

		if ((size_t)(end - p) < FIELD_HEAD)
			return fail(err, errlen, -EINVAL, "field head past the end");
		t = aces_get16(p);
		fl = aces_get32(p + 4);
		v = p + FIELD_HEAD;
		if (fl > (size_t)(end - v))
			return fail(err, errlen, -EINVAL, "field %u: %u bytes past the end", t, fl);
		switch (t) {
		case T_ADDRS:
			if (fl != 12)
				goto size;
			memcpy(&o->i.local_ip, v, 4);
			memcpy(&o->i.local_port, v + 4, 2);
			memcpy(&o->i.peer_ip, v + 6, 4);
			memcpy(&o->i.peer_port, v + 10, 2);
			break;
		case T_SEQ:
			if (fl != 8)
				goto size;
			o->i.snd_seq = aces_get32(v);
			o->i.rcv_seq = aces_get32(v + 4);
			break;
		case T_OPTS:
			if (fl != 8)
				goto size;
			o->i.mss = aces_get16(v);
			o->i.snd_wscale = v[2];
			o->i.rcv_wscale = v[3];
			o->i.sack = v[4];
			o->i.timestamps = v[5];
			o->i.wscale = v[6];
			break;
		case T_TSVAL:
			if (fl != 4)
				goto size;
			o->tsval = aces_get32(v);
			break;
		case T_WINDOW: {
			int k;

			if (fl != 20)
				goto size;
			for (k = 0; k < 5; k++)
				o->w[k] = aces_get32(v + 4 * k);
			break;
		}
		case T_SENDQ:
			if (fl < 4 || aces_get32(v) > fl - 4)
				goto size;
			o->i.sendq_unsent = aces_get32(v);
			o->i.sendq_len = fl - 4;
			o->sendq = v + 4;
			break;
		case T_RECVQ:
			o->i.recvq_len = fl;
			o->recvq = v;
			break;
		default:
			break;	/* a newer writer's field: skipped */
		}
		if (t < 32)
			seen |= 1u << t;
		p = v + fl;
		continue;
size:
		return fail(err, errlen, -EINVAL, "field %u has %u bytes", t, fl);
	}
	if ((seen & ((1u << T_ADDRS) | (1u << T_SEQ) | (1u << T_OPTS) | (1u << T_WINDOW))) !=
	    ((1u << T_ADDRS) | (1u << T_SEQ) | (1u << T_OPTS) | (1u << T_WINDOW)))
		return fail(err, errlen, -EINVAL, "a required field (addresses, sequence numbers, "
			    "options, windows) is missing");
	if (o->i.mss == 0 || o->i.peer_port == 0 || o->i.local_port == 0 || o->i.peer_ip == 0)
		return fail(err, errlen, -EINVAL, "MSS, a port or the peer address is 0");
	return 0;
}

int
aces_tcpmig_peek(const void *buf, size_t len, struct aces_tcpmig_info *info, char *err,
		 size_t errlen)
{
	struct parsed o;
	int rc = parse(buf, len, &o, err, errlen);

	if (rc == 0 && info != NULL)
		*info = o.i;
	return rc;
}

/* Put @n bytes into the selected repair queue (the kernel may take less at once). */
static int
fill_queue(int fd, int q, const uint8_t *data, uint32_t n)
{
	size_t chunk = n, off = 0;

	if (n == 0)
		return 0;
	if (q != TCP_NO_QUEUE &&	/* TCP_NO_QUEUE: out of repair mode, a plain send */
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) != 0)
		return -errno;
	while (off < n) {
		ssize_t r = send(fd, data + off, chunk < n - off ? chunk : n - off, 0);

		if (r <= 0) {
			if (chunk > 1024) {
				chunk /= 2;
				continue;
			}
			return r < 0 ? -errno : -EIO;
		}
		off += (size_t)r;
	}
	return 0;
}

static int
set_seq(int fd, int q, uint32_t seq)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) != 0)
		return -errno;
	return 0;
}

int
aces_tcpmig_import(const void *buf, size_t len, uint32_t local_ip, char *err, size_t errlen)
{
	struct parsed o;
	struct sockaddr_in la, pa;
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window w;
	int fd, on = TCP_REPAIR_ON, mss, rc, n = 0;
	uint32_t sent;
	const char *step;

	rc = parse(buf, len, &o, err, errlen);
	if (rc != 0)
		return rc;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "socket: %s", strerror(errno));
	/* repair mode binds over anything, a listener on the port included (SO_REUSEADDR
	 * after it would take that back) */
	step = "TCP_REPAIR (needs CAP_NET_ADMIN)";
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) != 0)
		goto sys;
	memset(&la, 0, sizeof(la));
	la.sin_family = AF_INET;
	la.sin_addr.s_addr = local_ip != 0 ? local_ip : o.i.local_ip;
	la.sin_port = o.i.local_port;
	step = "bind to the local address and port";
	if (bind(fd, (struct sockaddr *)&la, sizeof(la)) != 0)
		goto sys;
	/* sequence numbers where the queues start: their bytes are put back below */
	step = "receive queue sequence";
	if ((rc = set_seq(fd, TCP_RECV_QUEUE, o.i.rcv_seq - o.i.recvq_len)) != 0)
		goto rc;
	step = "send queue sequence";
	if ((rc = set_seq(fd, TCP_SEND_QUEUE, o.i.snd_seq - o.i.sendq_len)) != 0)
		goto rc;
	/* through the repair options alone the MSS stays at 524: the user MSS too (at most
	 * 32767, what TCP_MAXSEG takes: loopback's 65483 is cut to it) */
	mss = o.i.mss < 32767 ? o.i.mss : 32767;
	step = "TCP_MAXSEG";
	if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) != 0)
		goto sys;
	memset(&pa, 0, sizeof(pa));
	pa.sin_family = AF_INET;
	pa.sin_addr.s_addr = o.i.peer_ip;
	pa.sin_port = o.i.peer_port;
	step = "connect in repair mode";
	if (connect(fd, (struct sockaddr *)&pa, sizeof(pa)) != 0)
		goto sys;
	if (o.i.sack) {
		opts[n].opt_code = TCPOPT_SACK_PERMITTED;
		opts[n++].opt_val = 0;
	}
	if (o.i.wscale) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = (uint32_t)o.i.snd_wscale | (uint32_t)o.i.rcv_wscale << 16;
	}
	if (o.i.timestamps) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	opts[n].opt_code = TCPOPT_MAXSEG;
	opts[n++].opt_val = o.i.mss;
	step = "TCP_REPAIR_OPTIONS";
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, (socklen_t)(n * sizeof(opts[0]))) != 0)
		goto sys;
	/* the timestamp clock goes on from the old host's, or the peer's PAWS check drops us */
	step = "TCP_TIMESTAMP";
	if (o.i.timestamps &&
	    setsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &o.tsval, sizeof(o.tsval)) != 0)
		goto sys;
	step = "receive queue bytes";
	if ((rc = fill_queue(fd, TCP_RECV_QUEUE, o.recvq, o.i.recvq_len)) != 0)
		goto rc;
	sent = o.i.sendq_len - o.i.sendq_unsent;
	step = "send queue bytes";
	if ((rc = fill_queue(fd, TCP_SEND_QUEUE, o.sendq, sent)) != 0)
		goto rc;
	w.snd_wl1 = o.w[0];
	w.snd_wnd = o.w[1];
	w.max_window = o.w[2];
	w.rcv_wnd = o.w[3];
	w.rcv_wup = o.w[4];
	step = "TCP_REPAIR_WINDOW";
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) != 0)
		goto sys;
	step = "leaving repair mode";
	if (aces_tcpmig_thaw(fd) != 0)
		goto sys;
	/* what had never been sent goes out now, as any new data would */
	if (o.i.sendq_unsent > 0 && (rc = fill_queue(fd, TCP_NO_QUEUE, o.sendq + sent,
						     o.i.sendq_unsent)) != 0) {
		step = "unsent bytes";
		goto rc;
	}
	return fd;
sys:
	rc = -errno;
rc:
	fail(err, errlen, rc, "%s: %s", step, strerror(-rc));
	close(fd);
	return rc;
}
