/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums from scratch (the NAT tests check the incremental ones against them). */
#include "aces/cksum.h"
#include "unit.h"

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
		{ "odd length", test_cksum_odd_length },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("cksum", tests);
}
