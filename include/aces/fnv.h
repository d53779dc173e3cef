/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FNV_H
#define ACES_FNV_H

/**
 * @file
 * FNV-1a 64: the one checksum of every stream and file ACES writes (flow streams,
 * state files, connection blobs) and the key of a consistent-hash member's name.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_FNV1A_INIT 0xcbf29ce484222325ull

/** Go on hashing @p n bytes at @p p from @p h (ACES_FNV1A_INIT to start). */
static inline uint64_t
aces_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif /* ACES_FNV_H */
