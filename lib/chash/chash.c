/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "aces/chash.h"
#include "aces/fnv.h"

uint64_t
aces_chash_key(const char *name)
{
	return aces_fnv1a(ACES_FNV1A_INIT, name, strlen(name));
}

/* splitmix64: a strong 64-bit mixer, so that u(member, bucket) is uniform. */
static inline uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int
aces_chash_build(uint16_t *table, uint32_t size, const struct aces_chash_member *members,
		 uint32_t n_members)
{
	uint32_t b, i;

	if (table == NULL || size == 0 || (size & (size - 1)) != 0 ||
	    n_members > ACES_CHASH_MAX_MEMBERS || (n_members > 0 && members == NULL))
		return -EINVAL;

	for (b = 0; b < size; b++) {
		double best = -1.0;
		uint16_t owner = ACES_CHASH_NONE;

		for (i = 0; i < n_members; i++) {
			uint64_t h;
			double u, score;

			if (members[i].weight == 0)
				continue;
			h = mix64(members[i].key ^ mix64(b));
			/* u in (0, 1): 53 random bits, never 0 nor 1. */
			u = ((double)(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
			score = (double)members[i].weight / -log(u);
			if (score > best) {
				best = score;
				owner = (uint16_t)i;
			}
		}
		table[b] = owner;
	}
	return 0;
}
