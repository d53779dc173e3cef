/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_PARAM_H
#define ACES_PARAM_H

/**
 * @file
 * Telemetry parameters: strict parsing and the arithmetic of pages, pure C (no DPDK) so
 * it is unit-tested and fuzzed (tests/fuzz/fuzz_param.c). Numbers are plain decimal
 * digits: no sign, no blanks, no leading zeros (but "0" itself), no wrap-around.
 */

#include <stddef.h>
#include <stdint.h>

/** @p s as a decimal number 0..@p max into @p out: 0, or -1 when it is not one. */
int aces_param_uint(const char *s, uint64_t max, uint64_t *out);

/**
 * A page of @p page items from offset @p off of @p total: [*start, *end), and
 * *next the offset of the next page, 0 when this is the last. An offset at or past the
 * end gives an empty page (start = end = total). A page of 0 is one of 1: a next offset
 * always moves forward.
 */
void aces_param_page(uint64_t off, uint32_t page, uint32_t total, uint32_t *start,
		     uint32_t *end, uint32_t *next);

/**
 * The first journal id after @p since that is still kept, for journal ids
 * [@p first, @p next): never older than asked for (@p since at the top of the range
 * gives @p next: nothing).
 */
uint64_t aces_param_events_start(uint64_t since, uint64_t first, uint64_t next);

/** "A.B.C.D:PORT" (PORT 1..65535) into network-order @p ip and @p port: 0, or -1. */
int aces_param_client(const char *s, uint32_t *ip, uint16_t *port);

/**
 * @p in made safe to echo in a one-line reply into @p out (@p len bytes, >= 8): printable
 * ASCII, quotes, backslashes and anything else replaced by '?', at most 40 characters
 * (longer input ends in "..."). Returns @p out.
 */
const char *aces_param_safe(const char *in, char *out, size_t len);

#endif /* ACES_PARAM_H */
