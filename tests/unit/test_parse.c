/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "aces/parse.h"
#include "frames.h"
#include "unit.h"

static uint8_t buf[2048];

static const struct frame_spec tcp_spec = {
	.proto = ACES_IPPROTO_TCP, .src = 0x0a0a0102, .dst = 0x0a0a0164,
	.sport = 40000, .dport = 80, .tcp_flags = ACES_TCP_SYN, .payload = 0,
};

static void
test_parse_tcp(void)
{
	struct aces_pkt p;
	size_t n = frame_build(buf, &tcp_spec);

	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.l2_len, 14);
	CU_ASSERT_EQUAL(p.l3_len, 20);
	CU_ASSERT_EQUAL(p.l4_len, 20);
	CU_ASSERT_EQUAL(p.proto, ACES_IPPROTO_TCP);
	CU_ASSERT_EQUAL(p.has_l4, 1);
	CU_ASSERT_EQUAL(ntohl(p.src_ip), 0x0a0a0102);
	CU_ASSERT_EQUAL(ntohl(p.dst_ip), 0x0a0a0164);
	CU_ASSERT_EQUAL(ntohs(p.src_port), 40000);
	CU_ASSERT_EQUAL(ntohs(p.dst_port), 80);
	CU_ASSERT_EQUAL(p.tcp_flags, ACES_TCP_SYN);
	CU_ASSERT_EQUAL(p.ttl, 64);
}

static void
test_parse_udp_vlan_options(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_UDP, .src = 1, .dst = 2, .sport = 5,
				.dport = 53, .n_vlan = 2, .ip_opt_words = 3, .payload = 11 };
	struct aces_pkt p;
	size_t n = frame_build(buf, &s);

	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.n_vlan, 2);
	CU_ASSERT_EQUAL(p.l2_len, 22);
	CU_ASSERT_EQUAL(p.l3_len, 32);
	CU_ASSERT_EQUAL(p.l4_len, 8);
	CU_ASSERT_EQUAL(ntohs(p.dst_port), 53);
	/* Ethernet padding after the IP packet is fine */
	CU_ASSERT_EQUAL(aces_parse(buf, n + 10, &p), ACES_PARSE_IPV4);
}

static void
test_parse_icmp_and_other(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_ICMP, .src = 1, .dst = 2, .payload = 8 };
	struct aces_pkt p;
	size_t n = frame_build(buf, &s);

	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.icmp_type, 8);
	CU_ASSERT_EQUAL(p.has_l4, 0);
	buf[14 + 9] = 47;	/* GRE: parsed to L3, no ports */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.proto, 47);
	CU_ASSERT_EQUAL(p.has_l4, 0);
}

static void
test_parse_arp_and_non_ip(void)
{
	struct aces_pkt p;
	uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
			    0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
			    0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };

	CU_ASSERT_EQUAL(aces_parse(arp, sizeof(arp), &p), ACES_PARSE_ARP);
	CU_ASSERT_EQUAL(ntohl(p.src_ip), 0x0a000001);
	CU_ASSERT_EQUAL(ntohl(p.dst_ip), 0x0a000002);
	CU_ASSERT_EQUAL(aces_parse(arp, 41, &p), ACES_PARSE_BAD_L2);
	arp[18] = 8;	/* hlen 8: not Ethernet */
	CU_ASSERT_EQUAL(aces_parse(arp, sizeof(arp), &p), ACES_PARSE_BAD_L2);
	arp[12] = 0x86;
	arp[13] = 0xdd;	/* IPv6 */
	CU_ASSERT_EQUAL(aces_parse(arp, sizeof(arp), &p), ACES_PARSE_NON_IP);
}

static void
test_parse_malformed(void)
{
	struct aces_pkt p;
	size_t n = frame_build(buf, &tcp_spec);
	struct frame_spec v3 = tcp_spec;

	buf[14] = 0x44;		/* IHL 4 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L3);
	buf[14] = 0x65;		/* version 6 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L3);
	buf[14] = 0x4f;		/* IHL 15: longer than the packet's total length */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L3);
	n = frame_build(buf, &tcp_spec);
	buf[16] = 0x10;		/* total length 4096 > frame */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L3);
	buf[16] = 0;
	buf[17] = 10;		/* total length 10 < IHL */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L3);
	n = frame_build(buf, &tcp_spec);
	buf[20] = 0x20;		/* MF */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_FRAGMENT);
	buf[20] = 0x00;
	buf[21] = 0x10;		/* offset 16 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_FRAGMENT);
	buf[20] = 0x40;		/* DF only: fine */
	buf[21] = 0;
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	buf[14 + 20 + 12] = 0x40;	/* TCP data offset 4 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L4);
	buf[14 + 20 + 12] = 0xf0;	/* data offset 15: past the packet */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L4);
	v3.n_vlan = 3;		/* three tags: too deep */
	n = frame_build(buf, &v3);
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L2);
	{
		struct frame_spec u = { .proto = ACES_IPPROTO_UDP, .src = 1, .dst = 2, .payload = 4 };

		n = frame_build(buf, &u);
		buf[14 + 20 + 5] = 4;	/* UDP length 4 < 8 */
		CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L4);
		buf[14 + 20 + 5] = 200;	/* UDP length past the IP packet */
		CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_BAD_L4);
	}
}

/* Every truncation of a valid frame gives an error result, never a read past the end
 * (run under ASan: the copy is heap-allocated with the exact length). */
static void
test_parse_every_truncation(void)
{
	static const struct frame_spec specs[] = {
		{ .proto = ACES_IPPROTO_TCP, .src = 1, .dst = 2, .n_vlan = 1, .payload = 3 },
		{ .proto = ACES_IPPROTO_UDP, .src = 1, .dst = 2, .ip_opt_words = 2, .payload = 0 },
		{ .proto = ACES_IPPROTO_ICMP, .src = 1, .dst = 2, .payload = 0 },
	};
	size_t k, n, len;

	for (k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		n = frame_build(buf, &specs[k]);
		for (len = 0; len < n; len++) {
			uint8_t *copy = malloc(len + 1);
			struct aces_pkt p;
			enum aces_parse_result r;

			memcpy(copy, buf, len);
			r = aces_parse(copy, len, &p);
			CU_ASSERT(r == ACES_PARSE_BAD_L2 || r == ACES_PARSE_BAD_L3 ||
				  r == ACES_PARSE_BAD_L4);
			free(copy);
		}
	}
}

/* An ICMP error's embedded header: read when complete, ignored when not usable. */
static void
test_parse_icmp_error(void)
{
	static const uint8_t types[] = { 3, 11, 12 };
	uint8_t inner[2048];
	struct frame_spec is = { .proto = ACES_IPPROTO_TCP, .src = 0x0a0a0164, .dst = 0x0a0a0102,
				 .sport = 80, .dport = 40000, .tcp_flags = ACES_TCP_ACK,
				 .payload = 100 };
	size_t in_n = frame_build(inner, &is), n, q, t;
	struct aces_pkt p;

	for (t = 0; t < sizeof(types); t++) {
		n = frame_icmp_error(buf, types[t], 4, 0x0a0a0101, 0x0a0a0164, inner, in_n, 28);
		CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
		CU_ASSERT_EQUAL(p.icmp_type, types[t]);
		CU_ASSERT_EQUAL(p.icmp_code, 4);
		CU_ASSERT_EQUAL(p.has_l4, 0);
		CU_ASSERT_EQUAL_FATAL(p.icmp_err, 1);
		CU_ASSERT_EQUAL(p.inner_proto, ACES_IPPROTO_TCP);
		CU_ASSERT_EQUAL(p.inner_off, 14 + 20 + 8);
		CU_ASSERT_EQUAL(p.inner_l3_len, 20);
		CU_ASSERT_EQUAL(p.inner_l4_avail, 8);
		CU_ASSERT_EQUAL(ntohl(p.inner_src_ip), 0x0a0a0164);
		CU_ASSERT_EQUAL(ntohl(p.inner_dst_ip), 0x0a0a0102);
		CU_ASSERT_EQUAL(ntohs(p.inner_src_port), 80);
		CU_ASSERT_EQUAL(ntohs(p.inner_dst_port), 40000);
	}
	/* the whole TCP header quoted: all of it counted */
	n = frame_icmp_error(buf, 3, 4, 1, 2, inner, in_n, 60);
	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.inner_l4_avail, 40);
	/* less than 8 bytes of L4 quoted (every length): no embedded flow, never more */
	for (q = 0; q < 28; q++) {
		n = frame_icmp_error(buf, 3, 1, 1, 2, inner, in_n, q);
		CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
		CU_ASSERT_EQUAL(p.icmp_err, 0);
	}
	/* not an error type (echo reply, redirect): not read */
	n = frame_icmp_error(buf, 5, 0, 1, 2, inner, in_n, 28);
	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.icmp_err, 0);
	/* the embedded packet a later fragment (no ports in it), or ICMP itself: not read */
	n = frame_icmp_error(buf, 3, 1, 1, 2, inner, in_n, 28);
	buf[14 + 28 + 6] = 0x00;
	buf[14 + 28 + 7] = 0x10;
	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.icmp_err, 0);
	n = frame_icmp_error(buf, 3, 1, 1, 2, inner, in_n, 28);
	buf[14 + 28 + 9] = ACES_IPPROTO_ICMP;
	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.icmp_err, 0);
	/* an embedded IHL past what is quoted */
	n = frame_icmp_error(buf, 3, 1, 1, 2, inner, in_n, 28);
	buf[14 + 28] = 0x4f;
	CU_ASSERT_EQUAL_FATAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.icmp_err, 0);
}

/* Headers in the first segment, the datagram longer (a reassembled one): parsed. */
static void
test_parse_segments(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_UDP, .src = 1, .dst = 2, .sport = 5,
				.dport = 53, .payload = 1000 };
	struct aces_pkt p;
	size_t n = frame_build(buf, &s);

	CU_ASSERT_EQUAL(aces_parse_seg(buf, 14 + 28, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.ip_total_len, 1028);
	CU_ASSERT_EQUAL(p.has_l4, 1);
	/* the UDP header cut by the segment's end: refused */
	CU_ASSERT_EQUAL(aces_parse_seg(buf, 14 + 27, n, &p), ACES_PARSE_BAD_L4);
	/* a total length past the frame: refused */
	CU_ASSERT_EQUAL(aces_parse_seg(buf, 14 + 28, n - 1, &p), ACES_PARSE_BAD_L3);
	/* fragment fields */
	buf[14 + 4] = 0x12;
	buf[14 + 5] = 0x34;
	buf[14 + 6] = 0x20;	/* MF, offset 0 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_FRAGMENT);
	CU_ASSERT_EQUAL(ntohs(p.frag_id), 0x1234);
	CU_ASSERT_EQUAL(p.frag_off, 0);
	buf[14 + 6] = 0x00;
	buf[14 + 7] = 0x10;	/* offset 16 * 8 */
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_FRAGMENT);
	CU_ASSERT_EQUAL(p.frag_off, 128);
}

/* Random bytes never crash the parser and always give a known result. */
static void
test_parse_random_garbage(void)
{
	unsigned int seed = 12345, i, j;

	for (i = 0; i < 200000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 128);
		uint8_t *b = malloc(len + 1);
		struct aces_pkt p;
		enum aces_parse_result r;

		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rand_r(&seed);
		if (len > 13 && (i & 1)) {	/* bias half of them towards IPv4 */
			b[12] = 8;
			b[13] = 0;
			if (len > 14)
				b[14] = (uint8_t)(0x45 + (i % 3));
		}
		r = aces_parse(b, len, &p);
		CU_ASSERT_FATAL(r <= ACES_PARSE_BAD_L4);
		free(b);
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "tcp", test_parse_tcp },
		{ "udp with vlans and ip options", test_parse_udp_vlan_options },
		{ "icmp and other protocols", test_parse_icmp_and_other },
		{ "arp and non-ip", test_parse_arp_and_non_ip },
		{ "malformed headers", test_parse_malformed },
		{ "every truncation", test_parse_every_truncation },
		{ "icmp errors' embedded headers", test_parse_icmp_error },
		{ "headers in a first segment", test_parse_segments },
		{ "random garbage", test_parse_random_garbage },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("parse", tests);
}
