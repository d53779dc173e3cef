/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aces/window.h"

struct aces_window *
aces_window_create(uint32_t slots, uint32_t n_series, uint32_t width)
{
	struct aces_window *w;

	if (slots < 2 || width == 0 || (uint64_t)slots * n_series * width > (1ull << 32)) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->slots = slots;
	w->n_series = n_series;
	w->width = width;
	w->t_ms = calloc(slots, sizeof(*w->t_ms));
	w->v = calloc((size_t)slots * (n_series ? n_series : 1) * width, sizeof(*w->v));
	if (w->t_ms == NULL || w->v == NULL) {
		aces_window_free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void
aces_window_free(struct aces_window *w)
{
	if (w == NULL)
		return;
	free(w->t_ms);
	free(w->v);
	free(w);
}

void
aces_window_advance(struct aces_window *w, uint64_t now_ms)
{
	w->head = (w->head + 1) % w->slots;
	if (w->count < w->slots)
		w->count++;
	w->t_ms[w->head] = now_ms;
}

uint32_t
aces_window_start(const struct aces_window *w, uint64_t span_ms)
{
	uint64_t now = w->t_ms[w->head];
	uint32_t back, slot = w->head;

	for (back = 1; back < w->count; back++) {
		slot = (w->head + w->slots - back) % w->slots;
		if (now - w->t_ms[slot] >= span_ms)
			break;
	}
	return slot;
}

uint64_t
aces_window_delta(const struct aces_window *w, uint32_t series, uint32_t start, uint64_t *out)
{
	const uint64_t *a = aces_window_newest(w, series), *o = aces_window_at(w, series, start);
	uint32_t i;

	for (i = 0; i < w->width; i++)
		out[i] = a[i] - o[i];
	if (start == w->head || w->t_ms[w->head] <= w->t_ms[start])
		return 0;
	return w->t_ms[w->head] - w->t_ms[start];
}

struct aces_window *
aces_window_remap(const struct aces_window *w, uint32_t n_series, const int32_t *src_of)
{
	struct aces_window *n = aces_window_create(w->slots, n_series, w->width);
	uint32_t i;

	if (n == NULL)
		return NULL;
	n->head = w->head;
	n->count = w->count;
	memcpy(n->t_ms, w->t_ms, (size_t)w->slots * sizeof(*w->t_ms));
	for (i = 0; i < n_series; i++)
		if (src_of[i] >= 0 && (uint32_t)src_of[i] < w->n_series)
			memcpy(aces_window_at(n, i, 0), aces_window_at(w, (uint32_t)src_of[i], 0),
			       (size_t)w->slots * w->width * sizeof(*w->v));
	return n;
}
