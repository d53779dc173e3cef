/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_WIRE_H
#define ACES_WIRE_H

/**
 * @file
 * Big-endian integers in byte buffers, for the formats ACES writes itself (connection blobs,
 * the agents' messages): no alignment assumed.
 */

#include <stdint.h>

static inline void
aces_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
aces_put32(uint8_t *p, uint32_t v)
{
	aces_put16(p, (uint16_t)(v >> 16));
	aces_put16(p + 2, (uint16_t)v);
}

static inline void
aces_put64(uint8_t *p, uint64_t v)
{
	aces_put32(p, (uint32_t)(v >> 32));
	aces_put32(p + 4, (uint32_t)v);
}

static inline uint16_t
aces_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
aces_get32(const uint8_t *p)
{
	return (uint32_t)aces_get16(p) << 16 | aces_get16(p + 2);
}

static inline uint64_t
aces_get64(const uint8_t *p)
{
	return (uint64_t)aces_get32(p) << 32 | aces_get32(p + 4);
}

#endif /* ACES_WIRE_H */
