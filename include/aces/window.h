/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_WINDOW_H
#define ACES_WINDOW_H

/**
 * @file
 * Sliding windows over cumulative counters: the control lcore takes one sample of
 * every series each tick (a timestamp shared by all series, and @p width counters
 * per series), and asks for the change over about the last span of time. The load
 * rates the manager sees and the health signals both come from here. Pure C, one
 * writer (the control lcore); nothing allocates after aces_window_create().
 */

#include <stdint.h>

struct aces_window {
	uint32_t slots;		/**< samples kept */
	uint32_t n_series;
	uint32_t width;		/**< counters per series and sample */
	uint32_t head;		/**< slot of the newest sample */
	uint32_t count;		/**< samples taken, at most slots */
	uint64_t *t_ms;		/**< [slots] time of each sample */
	uint64_t *v;		/**< [series][slots][width] */
};

/** A window of @p slots samples (at least 2) of @p n_series series. NULL with errno. */
struct aces_window *aces_window_create(uint32_t slots, uint32_t n_series, uint32_t width);

void aces_window_free(struct aces_window *w);

/** Start a new sample at @p now_ms: the oldest is overwritten. Fill it with aces_window_at(). */
void aces_window_advance(struct aces_window *w, uint64_t now_ms);

/** The @p width counters of @p series in sample @p slot. */
static inline uint64_t *
aces_window_at(const struct aces_window *w, uint32_t series, uint32_t slot)
{
	return &w->v[((uint64_t)series * w->slots + slot) * w->width];
}

/** The newest sample of @p series (to fill after aces_window_advance()). */
static inline uint64_t *
aces_window_newest(const struct aces_window *w, uint32_t series)
{
	return aces_window_at(w, series, w->head);
}

/**
 * The slot of the newest sample at least @p span_ms older than the newest one, or
 * the oldest sample there is when none is that old (the newest itself when it is
 * the only one).
 */
uint32_t aces_window_start(const struct aces_window *w, uint64_t span_ms);

/**
 * Newest minus sample @p start of @p series into @p out (@p width values).
 * @return the time between the two in ms (0 when they are the same sample).
 */
uint64_t aces_window_delta(const struct aces_window *w, uint32_t series, uint32_t start,
			   uint64_t *out);

/**
 * A window of @p n_series series with the samples of @p w: series i takes the history of
 * series src_of[i] of @p w, or none (zeros) when src_of[i] is -1 (the entities of a
 * reloaded configuration keep their rates). NULL with errno set on failure.
 */
struct aces_window *aces_window_remap(const struct aces_window *w, uint32_t n_series,
				      const int32_t *src_of);

#endif /* ACES_WINDOW_H */
