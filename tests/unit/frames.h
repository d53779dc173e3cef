/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_TEST_FRAMES_H
#define ACES_TEST_FRAMES_H

/* Frame builders for the unit tests: Ethernet (+VLAN) / IPv4 / TCP|UDP|ICMP with
 * checksums computed from scratch. */

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "aces/cksum.h"
#include "aces/pkt-t.h"

struct frame_spec {
	int n_vlan;
	uint8_t proto;
	uint32_t src, dst;		/* host order */
	uint16_t sport, dport;		/* host order */
	uint8_t tcp_flags;
	uint8_t ttl;
	int ip_opt_words;		/* 32-bit words of IP options (NOPs) */
	size_t payload;
};

/* Build into buf; returns the frame length. */
static inline size_t
frame_build(uint8_t *buf, const struct frame_spec *s)
{
	size_t off = 12, ihl = 20 + 4 * (size_t)s->ip_opt_words, l4len, i;
	uint8_t *ip, *l4;
	uint16_t v, ck;
	uint32_t a;

	memset(buf, 0, 2048);
	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (i = 0; i < (size_t)s->n_vlan; i++) {
		buf[off] = 0x81;
		buf[off + 1] = 0x00;
		buf[off + 2] = 0;
		buf[off + 3] = (uint8_t)(10 + i);
		off += 4;
	}
	buf[off] = 0x08;
	buf[off + 1] = 0x00;
	off += 2;
	ip = buf + off;
	l4len = s->proto == ACES_IPPROTO_TCP ? 20 : 8;
	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	v = htons((uint16_t)(ihl + l4len + s->payload));
	memcpy(ip + 2, &v, 2);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	a = htonl(s->src);
	memcpy(ip + 12, &a, 4);
	a = htonl(s->dst);
	memcpy(ip + 16, &a, 4);
	for (i = 20; i < ihl; i++)
		ip[i] = 1;	/* NOP options */
	l4 = ip + ihl;
	for (i = 0; i < s->payload; i++)
		l4[l4len + i] = (uint8_t)(i * 7 + 3);
	if (s->proto == ACES_IPPROTO_ICMP) {
		l4[0] = 8;
		ck = (uint16_t)~aces_cksum_fold(aces_cksum_sum(l4, l4len + s->payload, 0));
		memcpy(l4 + 2, &ck, 2);
	} else {
		v = htons(s->sport);
		memcpy(l4, &v, 2);
		v = htons(s->dport);
		memcpy(l4 + 2, &v, 2);
		if (s->proto == ACES_IPPROTO_TCP) {
			l4[12] = 5 << 4;
			l4[13] = s->tcp_flags;
		} else {
			v = htons((uint16_t)(8 + s->payload));
			memcpy(l4 + 4, &v, 2);
		}
		ck = aces_cksum_l4(htonl(s->src), htonl(s->dst), s->proto, l4, l4len + s->payload);
		memcpy(l4 + (s->proto == ACES_IPPROTO_TCP ? 16 : 6), &ck, 2);
	}
	ck = aces_cksum_ipv4_hdr(ip, ihl);
	memcpy(ip + 10, &ck, 2);
	return off + ihl + l4len + s->payload;
}

/*
 * An ICMP error (@type/@code) from @src to @dst (host order) quoting the first @quote bytes
 * of the IPv4 packet of frame @inner (@inner_n bytes, 14 bytes of Ethernet), into @buf.
 * Returns the frame length.
 */
static inline size_t
frame_icmp_error(uint8_t *buf, uint8_t type, uint8_t code, uint32_t src, uint32_t dst,
		 const uint8_t *inner, size_t inner_n, size_t quote)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_ICMP, .src = src, .dst = dst };
	size_t n, avail = inner_n - 14;
	uint8_t *ip, *icmp;
	uint16_t v, ck;

	if (quote > avail)
		quote = avail;
	s.payload = quote;
	n = frame_build(buf, &s);
	ip = buf + 14;
	icmp = ip + 20;
	memcpy(icmp + 8, inner + 14, quote);
	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, 6);
	if (type == 3 && code == 4) {
		v = htons(1400);
		memcpy(icmp + 6, &v, 2);
	}
	ck = (uint16_t)~aces_cksum_fold(aces_cksum_sum(icmp, 8 + quote, 0));
	memcpy(icmp + 2, &ck, 2);
	v = aces_cksum_ipv4_hdr(ip, 20);
	memcpy(ip + 10, &v, 2);
	return n;
}

#endif /* ACES_TEST_FRAMES_H */
