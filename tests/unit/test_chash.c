/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aces/chash.h"
#include "unit.h"

static uint16_t table_a[ACES_CHASH_SIZE];
static uint16_t table_b[ACES_CHASH_SIZE];

static void
members(struct aces_chash_member *m, uint32_t n, const uint32_t *weights)
{
	char name[32];
	uint32_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "backend-%u", i);
		m[i].key = aces_chash_key(name);
		m[i].weight = weights[i];
	}
}

/*
 * Each member's share of buckets must be within 2 percentage points of its weight's
 * share, and within 4 standard deviations of a fair draw (sqrt(p(1-p)/size)): the
 * rendezvous table is a random sample of the weights, exact only in expectation.
 */
static void
check_shares(const uint16_t *t, const struct aces_chash_member *m, uint32_t n)
{
	uint32_t count[64] = { 0 }, i;
	double wsum = 0;

	for (i = 0; i < n; i++)
		wsum += m[i].weight;
	for (i = 0; i < ACES_CHASH_SIZE; i++) {
		CU_ASSERT_FATAL(t[i] < n);
		count[t[i]]++;
	}
	for (i = 0; i < n; i++) {
		double want = m[i].weight / wsum;
		double got = (double)count[i] / ACES_CHASH_SIZE;

		double sigma = sqrt(want * (1 - want) / ACES_CHASH_SIZE);
		int ok = fabs(got - want) <= 0.02 && fabs(got - want) <= 4 * sigma;

		CU_ASSERT(ok);
		if (!ok)
			printf("\n member %u: share %.4f, weight share %.4f\n", i, got, want);
	}
}

static void
test_chash_equal_weights(void)
{
	static const uint32_t w[4] = { 1, 1, 1, 1 };
	struct aces_chash_member m[4];

	members(m, 4, w);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 4), 0);
	check_shares(table_a, m, 4);
}

static void
test_chash_weighted(void)
{
	static const uint32_t w[5] = { 1, 2, 3, 4, 10 };
	struct aces_chash_member m[5];

	members(m, 5, w);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 5), 0);
	check_shares(table_a, m, 5);
}

/* Removing one member moves only the buckets it owned. */
static void
test_chash_removal_moves_only_its_share(void)
{
	static const uint32_t w[6] = { 1, 1, 2, 1, 3, 1 };
	struct aces_chash_member m[6];
	uint32_t i, moved = 0, owned = 0;

	members(m, 6, w);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 6), 0);
	m[2].weight = 0;
	CU_ASSERT_EQUAL(aces_chash_build(table_b, ACES_CHASH_SIZE, m, 6), 0);
	for (i = 0; i < ACES_CHASH_SIZE; i++) {
		if (table_a[i] == 2) {
			owned++;
			CU_ASSERT_NOT_EQUAL(table_b[i], 2);
		} else if (table_a[i] != table_b[i]) {
			moved++;
		}
	}
	CU_ASSERT(owned > 0);
	CU_ASSERT_EQUAL(moved, 0);
}

/* Adding a member takes buckets only for itself. */
static void
test_chash_addition_takes_only_for_itself(void)
{
	static const uint32_t w[4] = { 1, 1, 1, 1 };
	struct aces_chash_member m[4];
	uint32_t i;

	members(m, 4, w);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 3), 0);
	CU_ASSERT_EQUAL(aces_chash_build(table_b, ACES_CHASH_SIZE, m, 4), 0);
	for (i = 0; i < ACES_CHASH_SIZE; i++)
		CU_ASSERT_FATAL(table_b[i] == 3 || table_b[i] == table_a[i]);
}

/* Identity is the key, not the position: reordering members keeps owners. */
static void
test_chash_order_independent(void)
{
	static const uint32_t w[3] = { 1, 2, 3 };
	struct aces_chash_member m[3], r[3];
	uint32_t i;

	members(m, 3, w);
	r[0] = m[2];
	r[1] = m[0];
	r[2] = m[1];
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 3), 0);
	CU_ASSERT_EQUAL(aces_chash_build(table_b, ACES_CHASH_SIZE, r, 3), 0);
	for (i = 0; i < ACES_CHASH_SIZE; i++) {
		static const uint16_t map[3] = { 1, 2, 0 };	/* m index -> r index */

		CU_ASSERT_FATAL(table_b[i] == map[table_a[i]]);
	}
}

static void
test_chash_empty_and_invalid(void)
{
	struct aces_chash_member m[2] = { { 1, 0 }, { 2, 0 } };
	uint32_t i;

	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, 2), 0);
	for (i = 0; i < ACES_CHASH_SIZE; i++)
		CU_ASSERT_FATAL(table_a[i] == ACES_CHASH_NONE);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, NULL, 0), 0);
	CU_ASSERT_EQUAL(table_a[0], ACES_CHASH_NONE);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, 1000, m, 2), -EINVAL);
	CU_ASSERT_EQUAL(aces_chash_build(NULL, ACES_CHASH_SIZE, m, 2), -EINVAL);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, NULL, 2), -EINVAL);
	CU_ASSERT_EQUAL(aces_chash_build(table_a, ACES_CHASH_SIZE, m, ACES_CHASH_MAX_MEMBERS + 1),
			-EINVAL);
}

static void
test_chash_key_stable(void)
{
	/* the published FNV-1a 64 test vectors: a key is the same in every process and
	 * release, so a restarted ACES builds the same tables */
	CU_ASSERT_EQUAL(aces_chash_key(""), 0xcbf29ce484222325ull);
	CU_ASSERT_EQUAL(aces_chash_key("a"), 0xaf63dc4c8601ec8cull);
	CU_ASSERT_EQUAL(aces_chash_key("foobar"), 0x85944171f73967e8ull);
	CU_ASSERT_NOT_EQUAL(aces_chash_key("orig-1"), aces_chash_key("orig-2"));
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "equal weights share evenly", test_chash_equal_weights },
		{ "shares follow weights within 2%", test_chash_weighted },
		{ "removal moves only that backend's share", test_chash_removal_moves_only_its_share },
		{ "addition takes only for itself", test_chash_addition_takes_only_for_itself },
		{ "member order does not matter", test_chash_order_independent },
		{ "empty and invalid tables", test_chash_empty_and_invalid },
		{ "keys are stable", test_chash_key_stable },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("chash", tests);
}
