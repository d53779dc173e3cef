/* SPDX-License-Identifier: BSD-3-Clause */
/* Incremental checksum updates must equal checksums recomputed from scratch. */
#include <stdlib.h>
#include <string.h>

#include "aces/cksum.h"
#include "aces/parse.h"
#include "frames.h"
#include "unit.h"

static uint8_t buf[2048];

/* Verify a frame's IPv4 and L4 checksums from scratch: 1 when both are right. */
static int
frame_ok(const uint8_t *f, size_t n)
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
		want = aces_cksum_l4(p.src_ip, p.dst_ip, p.proto, l4, l4len);
		return ck == want;
	}
	return 1;
}

static void
test_cksum_known_vector(void)
{
	/* RFC 1071-style example header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
	static const uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40,
					 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
					 0x00, 0xc7 };
	uint16_t ck = aces_cksum_ipv4_hdr(hdr, 20);

	CU_ASSERT_EQUAL(((const uint8_t *)&ck)[0], 0xb8);
	CU_ASSERT_EQUAL(((const uint8_t *)&ck)[1], 0x61);
}

/* DNAT and reverse SNAT as the worker does them, on many random packets. */
static void
test_cksum_nat_rewrites(void)
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
		struct aces_pkt p;
		uint8_t *ip, *l4;
		uint32_t new_ip = (uint32_t)rand_r(&seed), old_ip;
		uint16_t new_port = (uint16_t)rand_r(&seed), old_port, ck, ttlw_old, ttlw_new;
		int fwd = (i >> 1) & 1;
		size_t ck_off;

		CU_ASSERT_FATAL(frame_ok(buf, n));
		CU_ASSERT_FATAL(aces_parse(buf, n, &p) == ACES_PARSE_IPV4);
		ip = buf + p.l2_len;
		l4 = ip + p.l3_len;
		ck_off = s.proto == ACES_IPPROTO_TCP ? 16 : 6;
		memcpy(&old_ip, ip + (fwd ? 16 : 12), 4);
		memcpy(&old_port, l4 + (fwd ? 2 : 0), 2);

		memcpy(&ck, ip + 10, 2);
		ck = aces_cksum_update32(ck, old_ip, new_ip);
		memcpy(&ttlw_old, ip + 8, 2);
		ip[8]--;
		memcpy(&ttlw_new, ip + 8, 2);
		ck = aces_cksum_update16(ck, ttlw_old, ttlw_new);
		memcpy(ip + 10, &ck, 2);

		memcpy(&ck, l4 + ck_off, 2);
		ck = aces_cksum_update32(ck, old_ip, new_ip);
		ck = aces_cksum_update16(ck, old_port, new_port);
		if (s.proto == ACES_IPPROTO_UDP && ck == 0)
			ck = 0xffff;
		memcpy(l4 + ck_off, &ck, 2);
		memcpy(ip + (fwd ? 16 : 12), &new_ip, 4);
		memcpy(l4 + (fwd ? 2 : 0), &new_port, 2);
		CU_ASSERT(frame_ok(buf, n));
	}
}

/* An odd-length payload sums its last byte as the high byte of a padded word. */
static void
test_cksum_odd_length(void)
{
	static const uint8_t d[3] = { 0x01, 0x02, 0x03 };
	static const uint8_t e[4] = { 0x01, 0x02, 0x03, 0x00 };

	CU_ASSERT_EQUAL(aces_cksum_sum(d, 3, 0), aces_cksum_sum(e, 4, 0));
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "known IPv4 header vector", test_cksum_known_vector },
		{ "incremental NAT == from scratch", test_cksum_nat_rewrites },
		{ "odd length", test_cksum_odd_length },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("cksum", tests);
}
