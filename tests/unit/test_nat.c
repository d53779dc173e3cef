/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/nat: the worker's own rewrite must leave checksums equal to ones recomputed from scratch. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "aces/parse.h"
#include "frames.h"
#include "unit.h"

static uint8_t buf[2048];

/* Verify a frame's IPv4 and L4 checksums from scratch: 1 when both are right. A UDP
 * checksum of 0 is right only when @udp_zero_ok. */
static int
frame_ok(const uint8_t *f, size_t n, int udp_zero_ok)
{
	struct aces_pkt p;
	const uint8_t *ip, *l4;
	uint16_t ck, want;
	size_t l4len;

	if (aces_parse(f, n, &p) != ACES_PARSE_IPV4)
		return 0;
	ip = f + p.l2_len;
	l4 = ip + p.l3_len;
	l4len = p.ip_total_len - p.l3_len;
	memcpy(&ck, ip + 10, 2);
	if (ck != aces_cksum_ipv4_hdr(ip, p.l3_len))
		return 0;
	if (p.proto == ACES_IPPROTO_TCP || p.proto == ACES_IPPROTO_UDP) {
		memcpy(&ck, l4 + (p.proto == ACES_IPPROTO_TCP ? 16 : 6), 2);
		if (p.proto == ACES_IPPROTO_UDP && ck == 0)
			return udp_zero_ok;
		want = aces_cksum_l4(p.src_ip, p.dst_ip, p.proto, l4, l4len);
		/* a UDP sum that comes out 0 is sent as 0xffff */
		return ck == want || (p.proto == ACES_IPPROTO_UDP && want == 0 && ck == 0xffff);
	}
	return 1;
}

/* Both ends, TCP and UDP, IP options, random payloads: checksums stay right and the
 * rewritten fields hold the new values, the others their old ones. */
static void
test_nat_rewrite_random(void)
{
	unsigned int seed = 99, i;

	for (i = 0; i < 20000; i++) {
		struct frame_spec s = {
			.proto = (i & 1) ? ACES_IPPROTO_TCP : ACES_IPPROTO_UDP,
			.src = (uint32_t)rand_r(&seed), .dst = (uint32_t)rand_r(&seed),
			.sport = (uint16_t)rand_r(&seed), .dport = (uint16_t)rand_r(&seed),
			.ttl = (uint8_t)(2 + rand_r(&seed) % 250),
			.ip_opt_words = (int)(i % 3), .payload = (size_t)(rand_r(&seed) % 64),
		};
		size_t n = frame_build(buf, &s);
		enum aces_nat_end end = ((i >> 1) & 1) ? ACES_NAT_SRC : ACES_NAT_DST;
		uint32_t new_ip = (uint32_t)rand_r(&seed);
		uint16_t new_port = (uint16_t)rand_r(&seed);
		struct aces_pkt p, q;

		CU_ASSERT_FATAL(frame_ok(buf, n, 0));
		CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4);
		aces_nat_rewrite(buf + p.l2_len, buf + p.l2_len + p.l3_len, p.proto, end, new_ip,
				 new_port);
		aces_nat_ttl_dec(buf + p.l2_len);
		CU_ASSERT(frame_ok(buf, n, 0));
		CU_ASSERT_FATAL(aces_parse(buf, n, &q) == ACES_PARSE_IPV4);
		CU_ASSERT_EQUAL(q.ttl, p.ttl - 1);
		if (end == ACES_NAT_DST) {
			CU_ASSERT_EQUAL(q.dst_ip, new_ip);
			CU_ASSERT_EQUAL(q.dst_port, new_port);
			CU_ASSERT_EQUAL(q.src_ip, p.src_ip);
			CU_ASSERT_EQUAL(q.src_port, p.src_port);
		} else {
			CU_ASSERT_EQUAL(q.src_ip, new_ip);
			CU_ASSERT_EQUAL(q.src_port, new_port);
			CU_ASSERT_EQUAL(q.dst_ip, p.dst_ip);
			CU_ASSERT_EQUAL(q.dst_port, p.dst_port);
		}
	}
}

/* A UDP datagram sent without a checksum (0) keeps 0: computing one would be a change. */
static void
test_nat_udp_zero_checksum(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_UDP, .src = 0x0a000002, .dst = 0x0a000063,
				.sport = 40000, .dport = 53, .ttl = 64, .payload = 12 };
	size_t n = frame_build(buf, &s);
	struct aces_pkt p;
	uint8_t *l4;
	uint16_t ck;

	CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4);
	l4 = buf + p.l2_len + p.l3_len;
	memset(l4 + 6, 0, 2);
	aces_nat_rewrite(buf + p.l2_len, l4, p.proto, ACES_NAT_DST, htonl(0x0a000102), htons(5353));
	memcpy(&ck, l4 + 6, 2);
	CU_ASSERT_EQUAL(ck, 0);
	CU_ASSERT(frame_ok(buf, n, 1));
	CU_ASSERT_EQUAL(aces_parse(buf, n, &p), ACES_PARSE_IPV4);
	CU_ASSERT_EQUAL(p.dst_ip, htonl(0x0a000102));
	CU_ASSERT_EQUAL(p.dst_port, htons(5353));
}

/* A rewrite whose incremental UDP checksum comes out 0 sends 0xffff, never "no checksum".
 * Search for a new port that makes the sum 0 and check the field. */
static void
test_nat_udp_sum_zero_sent_as_ffff(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_UDP, .src = 0x0a000002, .dst = 0x0a000063,
				.sport = 40000, .dport = 53, .ttl = 64, .payload = 7 };
	uint32_t port;
	int found = 0;

	for (port = 0; port < 65536 && !found; port++) {
		size_t n = frame_build(buf, &s);
		struct aces_pkt p;
		uint8_t *ip, *l4;
		uint16_t ck;

		CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4);
		ip = buf + p.l2_len;
		l4 = ip + p.l3_len;
		aces_nat_rewrite(ip, l4, p.proto, ACES_NAT_DST, htonl(0x0a000102), (uint16_t)port);
		aces_parse(buf, n, &p);
		/* from scratch, a sum of 0 is already given as 0xffff */
		if (aces_cksum_l4(p.src_ip, p.dst_ip, p.proto, l4, p.ip_total_len - p.l3_len) !=
		    0xffff)
			continue;
		found = 1;
		memcpy(&ck, l4 + 6, 2);
		CU_ASSERT_EQUAL(ck, 0xffff);
		CU_ASSERT(frame_ok(buf, n, 0));
	}
	CU_ASSERT(found);
}

/* A round trip DST then SRC with the original values gives back the original bytes. */
static void
test_nat_round_trip(void)
{
	struct frame_spec s = { .proto = ACES_IPPROTO_TCP, .src = 0x0a000002, .dst = 0x0a000063,
				.sport = 40000, .dport = 80, .ttl = 64, .payload = 33 };
	uint8_t orig[2048];
	size_t n = frame_build(buf, &s);
	struct aces_pkt p;
	uint8_t *ip, *l4;

	memcpy(orig, buf, n);
	CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4);
	ip = buf + p.l2_len;
	l4 = ip + p.l3_len;
	aces_nat_rewrite(ip, l4, p.proto, ACES_NAT_DST, htonl(0x0a000105), htons(8080));
	CU_ASSERT(memcmp(orig, buf, n) != 0);
	aces_nat_rewrite(ip, l4, p.proto, ACES_NAT_DST, htonl(0x0a000063), htons(80));
	CU_ASSERT(memcmp(orig, buf, n) == 0);
}

/*
 * An ICMP error's embedded header rewritten: the same bytes as the quoted packet rewritten
 * whole (whose checksums the tests above check from scratch), the ICMP checksum right
 * from scratch; for TCP and UDP, both ends, every quote length from 8 bytes of L4 up.
 */
static void
test_nat_icmp_inner(void)
{
	static const uint8_t protos[] = { ACES_IPPROTO_TCP, ACES_IPPROTO_UDP };
	uint8_t inner[2048], whole[2048];
	unsigned int seed = 99;
	size_t pi, q, e;

	for (pi = 0; pi < 2; pi++) {
		for (e = 0; e < 2; e++) {
			for (q = 28; q <= 60; q++) {
				struct frame_spec is = { .proto = protos[pi],
							 .src = (uint32_t)rand_r(&seed),
							 .dst = (uint32_t)rand_r(&seed),
							 .sport = (uint16_t)rand_r(&seed),
							 .dport = (uint16_t)rand_r(&seed),
							 .tcp_flags = ACES_TCP_ACK, .payload = 40 };
				size_t in_n = frame_build(inner, &is), n, cmp;
				uint32_t nip = (uint32_t)rand_r(&seed);
				uint16_t nport = (uint16_t)rand_r(&seed);
				struct aces_pkt p, ip_;
				uint8_t *icmp;

				memcpy(whole, inner, in_n);
				CU_ASSERT_FATAL(aces_parse(whole, in_n, &ip_) == ACES_PARSE_IPV4);
				aces_nat_rewrite(whole + 14, whole + 34, protos[pi],
						 (enum aces_nat_end)e, nip, nport);
				n = frame_icmp_error(buf, 3, 4, 1, 2, inner, in_n, q);
				CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4 &&
						p.icmp_err);
				icmp = buf + 14 + 20;
				aces_nat_icmp_inner(icmp, buf + p.inner_off,
						    buf + p.inner_off + p.inner_l3_len,
						    p.inner_l4_avail, p.inner_proto,
						    (enum aces_nat_end)e, nip, nport);
				/* half a checksum quoted cannot be updated: left as it is */
				cmp = q - 20 == (protos[pi] == ACES_IPPROTO_TCP ? 17u : 7u) ? q - 1 : q;
				CU_ASSERT_EQUAL(memcmp(buf + p.inner_off, whole + 14, cmp), 0);
				CU_ASSERT_EQUAL(aces_cksum_fold(aces_cksum_sum(icmp, 8 + q, 0)),
						0xffff);
			}
		}
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "rewrite both ends == from scratch", test_nat_rewrite_random },
		{ "UDP without checksum keeps 0", test_nat_udp_zero_checksum },
		{ "UDP sum 0 is sent as 0xffff", test_nat_udp_sum_zero_sent_as_ffff },
		{ "rewrite and back gives the same bytes", test_nat_round_trip },
		{ "ICMP error's embedded header == the packet rewritten whole", test_nat_icmp_inner },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("nat", tests);
}
