/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frame parser on any bytes, with its promises (include/aces/parse.h, pkt-t.h) as
 * assertions: a known result; every offset and length it reports inside the frame and
 * inside the IPv4 total length; an ICMP error's embedded header inside the ICMP message;
 * and parsed as the first segment of a longer frame, it never reads past the segment and
 * agrees with the whole frame wherever the headers fit. The input is copied to a buffer of
 * exactly its size, so ASan sees any read past it.
 */
#include <string.h>

#include "aces/parse.h"
#include "fuzz.h"

static void
check(const uint8_t *f, size_t len, size_t frame_len, enum aces_parse_result r,
      const struct aces_pkt *p)
{
	PROMISE(r <= ACES_PARSE_BAD_L4);
	if (r == ACES_PARSE_ARP)
		PROMISE(p->l2_len + 28u <= len);
	if (r == ACES_PARSE_FRAGMENT)
		PROMISE(p->frag_off % 8 == 0 && p->l2_len + (size_t)p->ip_total_len <= frame_len);
	if (r != ACES_PARSE_IPV4)
		return;
	PROMISE(p->l2_len >= 14 && p->l2_len <= 14 + 4 * ACES_MAX_VLAN);
	PROMISE(p->l3_len >= 20 && p->l3_len <= 60 && p->l2_len + (size_t)p->l3_len <= len);
	PROMISE(p->ip_total_len >= p->l3_len && p->l2_len + (size_t)p->ip_total_len <= frame_len);
	PROMISE(f[p->l2_len] >> 4 == 4);
	if (p->has_l4) {
		PROMISE(p->proto == ACES_IPPROTO_TCP || p->proto == ACES_IPPROTO_UDP);
		PROMISE(p->l4_len >= 8 && p->l3_len + (size_t)p->l4_len <= p->ip_total_len);
		PROMISE(p->l2_len + (size_t)p->l3_len + p->l4_len <= len);
		PROMISE(!p->icmp_err);
	}
	if (p->icmp_err) {
		size_t icmp = (size_t)p->l2_len + p->l3_len;

		PROMISE(p->proto == ACES_IPPROTO_ICMP && !p->has_l4);
		PROMISE(p->icmp_type == 3 || p->icmp_type == 11 || p->icmp_type == 12);
		PROMISE(p->inner_off == icmp + 8);
		PROMISE(p->inner_proto == ACES_IPPROTO_TCP || p->inner_proto == ACES_IPPROTO_UDP);
		PROMISE(p->inner_l3_len >= 20 && p->inner_l4_avail >= 8);
		PROMISE(p->inner_off + (size_t)p->inner_l3_len + p->inner_l4_avail <= len);
		PROMISE(p->inner_off + (size_t)p->inner_l3_len + p->inner_l4_avail <=
			p->l2_len + (size_t)p->ip_total_len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1), *seg;
	struct aces_pkt p, q;
	enum aces_parse_result r, rs;
	size_t k;

	memcpy(f, data, size);
	r = aces_parse(f, size, &p);
	check(f, size, size, r, &p);
	/* the same frame as a first segment of k bytes */
	k = size ? data[size - 1] % (size + 1) : 0;
	seg = malloc(k ? k : 1);
	memcpy(seg, data, k);
	rs = aces_parse_seg(seg, k, size, &q);
	check(seg, k, size, rs, &q);
	if (rs == ACES_PARSE_IPV4) {	/* the headers fit in k: the same answer as whole */
		PROMISE(r == ACES_PARSE_IPV4);
		PROMISE(p.has_l4 == q.has_l4 && p.l4_len == q.l4_len && p.src_port == q.src_port &&
			p.dst_port == q.dst_port && p.ip_total_len == q.ip_total_len);
	}
	free(seg);
	free(f);
	return 0;
}
