/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/window: which sample a span starts at, and the deltas over it. */
#include <errno.h>

#include "aces/window.h"
#include "unit.h"

/* Sample every 100 ms: counter 0 grows by 10 a sample, counter 1 by series + 1. */
static void
fill(struct aces_window *w, uint32_t n, uint64_t t0)
{
	uint32_t i, s;

	for (i = 0; i < n; i++) {
		aces_window_advance(w, t0 + 100 * i);
		for (s = 0; s < w->n_series; s++) {
			uint64_t *v = aces_window_newest(w, s);

			v[0] = 10 * (t0 / 100 + i);
			v[1] = (s + 1) * (t0 / 100 + i);
		}
	}
}

static void
test_window_first_sample(void)
{
	struct aces_window *w = aces_window_create(8, 2, 2);
	uint64_t d[2];

	CU_ASSERT_FATAL(w != NULL);
	fill(w, 1, 0);
	CU_ASSERT_EQUAL(aces_window_start(w, 1000), w->head);
	CU_ASSERT_EQUAL(aces_window_delta(w, 1, aces_window_start(w, 1000), d), 0);
	CU_ASSERT_EQUAL(d[0], 0);
	CU_ASSERT_EQUAL(d[1], 0);
	aces_window_free(w);
}

/* Fewer samples than the span: from the oldest there is. */
static void
test_window_short_history(void)
{
	struct aces_window *w = aces_window_create(32, 1, 2);
	uint64_t d[2], dt;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, 4, 1000);	/* 1000..1300 ms */
	dt = aces_window_delta(w, 0, aces_window_start(w, 1000), d);
	CU_ASSERT_EQUAL(dt, 300);
	CU_ASSERT_EQUAL(d[0], 30);
	CU_ASSERT_EQUAL(d[1], 3);
	aces_window_free(w);
}

/* Enough samples: the newest one at least the span old, after the ring wrapped. */
static void
test_window_span_and_wrap(void)
{
	struct aces_window *w = aces_window_create(16, 3, 2);
	uint64_t d[2], dt;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, 50, 0);		/* 0..4900 ms, 16 kept: 3400..4900 */
	dt = aces_window_delta(w, 2, aces_window_start(w, 1000), d);
	CU_ASSERT_EQUAL(dt, 1000);
	CU_ASSERT_EQUAL(d[0], 100);
	CU_ASSERT_EQUAL(d[1], 3 * 10);
	/* a span longer than the history: the oldest kept, 1500 ms back */
	dt = aces_window_delta(w, 0, aces_window_start(w, 60000), d);
	CU_ASSERT_EQUAL(dt, 1500);
	CU_ASSERT_EQUAL(d[0], 150);
	/* a span of 250 ms starts 300 ms back (the newest sample at least that old) */
	CU_ASSERT_EQUAL(aces_window_delta(w, 1, aces_window_start(w, 250), d), 300);
	CU_ASSERT_EQUAL(d[1], 2 * 3);
	aces_window_free(w);
}

/* A reload: series keep their history under their new index; a new one starts empty. */
static void
test_window_remap(void)
{
	struct aces_window *w = aces_window_create(8, 3, 2), *n;
	const int32_t src[4] = { 2, -1, 0, 1 };
	uint64_t d[2], dt;

	CU_ASSERT_FATAL(w != NULL);
	fill(w, 12, 0);		/* wrapped: 0..1100 ms */
	n = aces_window_remap(w, 4, src);
	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT_EQUAL(n->n_series, 4);
	dt = aces_window_delta(n, 0, aces_window_start(n, 500), d);
	CU_ASSERT_EQUAL(dt, 500);
	CU_ASSERT_EQUAL(d[1], 3 * 5);	/* old series 2 grows by 3 a sample */
	aces_window_delta(n, 3, aces_window_start(n, 500), d);
	CU_ASSERT_EQUAL(d[1], 2 * 5);	/* old series 1 */
	aces_window_delta(n, 1, aces_window_start(n, 500), d);
	CU_ASSERT_EQUAL(d[0], 0);	/* new: no history */
	/* it goes on like the old one */
	aces_window_advance(n, 1200);
	aces_window_advance(w, 1200);
	CU_ASSERT_EQUAL(aces_window_start(n, 500), aces_window_start(w, 500));
	aces_window_free(n);
	aces_window_free(w);
}

static void
test_window_bad_params(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(aces_window_create(1, 1, 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(aces_window_create(8, 1, 0));
	aces_window_free(NULL);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "one sample: no change", test_window_first_sample },
		{ "short history: from the oldest", test_window_short_history },
		{ "span and wrap-around", test_window_span_and_wrap },
		{ "remap for a reload", test_window_remap },
		{ "bad parameters", test_window_bad_params },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("window", tests);
}
