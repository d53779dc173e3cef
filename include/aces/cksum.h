/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CKSUM_H
#define ACES_CKSUM_H

/**
 * @file
 * Internet checksum helpers. The incremental updates follow RFC 1624
 * (HC' = ~(~HC + ~m + m')); one's complement sums do not depend on byte order
 * as long as the checksum and the words are taken in the same order, so all
 * values here are the raw 16/32-bit words as they sit in the packet.
 */

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
aces_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/** Checksum after one 16-bit word of the covered data changes from @p old to @p new_. */
static inline uint16_t
aces_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old;
	sum += new_;
	return (uint16_t)~aces_cksum_fold(sum);
}

/** Checksum after one 32-bit field (an address) changes from @p old to @p new_. */
static inline uint16_t
aces_cksum_update32(uint16_t cksum, uint32_t old, uint32_t new_)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~(old >> 16);
	sum += (uint16_t)~(old & 0xffff);
	sum += new_ >> 16;
	sum += new_ & 0xffff;
	return (uint16_t)~aces_cksum_fold(sum);
}

/**
 * One's complement sum of @p len bytes (not inverted), added to @p initial.
 * Used to build checksums from scratch (generated packets, tests).
 */
uint32_t aces_cksum_sum(const void *data, size_t len, uint32_t initial);

/** Full IPv4 header checksum of @p ihl_bytes bytes, with the checksum field taken as 0. */
uint16_t aces_cksum_ipv4_hdr(const void *ip_hdr, size_t ihl_bytes);

/**
 * Full TCP/UDP checksum of the L4 segment at @p l4 (@p l4_len bytes) with the
 * IPv4 pseudo header of @p src / @p dst (network order); the checksum field in
 * the segment is taken as 0 whatever it holds.
 */
uint16_t aces_cksum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4,
		       size_t l4_len);

#endif /* ACES_CKSUM_H */
