/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CHASH_H
#define ACES_CHASH_H

/**
 * @file
 * Weighted consistent hashing into a fixed lookup table.
 *
 * Each bucket of the table belongs to the member with the highest weighted
 * rendezvous score  w / -ln(u(member_key, bucket)). This gives two properties
 * the data plane relies on:
 *  - shares follow the weights (a bucket is won with probability w_i / sum(w));
 *  - removing a member (or setting its weight to 0) moves only the buckets it
 *    owned: every other bucket keeps its owner, so other backends' flows stay.
 * Members are identified by a stable key (hash of the backend name), not by
 * position, so reordering a list does not reshuffle the table.
 * Pure C; the build is O(size * members) and runs on the control lcore only.
 */

#include <stdint.h>

/** Buckets in a lookup table; a power of two so lookups mask instead of divide. */
#define ACES_CHASH_SIZE 65536u
/** Table value meaning "no member" (no member with a weight > 0). */
#define ACES_CHASH_NONE 0xffffu
/** Most members one table can hold. */
#define ACES_CHASH_MAX_MEMBERS 4096u

/** One member of a table. */
struct aces_chash_member {
	uint64_t key;		/**< stable identity, e.g. aces_chash_key(name) */
	uint32_t weight;	/**< relative weight; 0 means "not in the table" */
};

/** Stable 64-bit key of a name (FNV-1a). */
uint64_t aces_chash_key(const char *name);

/**
 * Fill @p table (@p size buckets, a power of two) with member indexes.
 * @return 0, or -EINVAL for a bad size or member count.
 */
int aces_chash_build(uint16_t *table, uint32_t size, const struct aces_chash_member *members,
		     uint32_t n_members);

/** Mix a 32-bit flow hash into a bucket index spread (murmur3 finaliser). */
static inline uint32_t
aces_chash_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif /* ACES_CHASH_H */
