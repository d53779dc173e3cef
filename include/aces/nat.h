/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_NAT_H
#define ACES_NAT_H

/**
 * @file
 * Address and port rewriting of IPv4 TCP/UDP packets with incremental checksum
 * updates (RFC 1624), as ACES's DNAT towards a backend and the reverse on the way
 * back do it. Pure C: the functions take the raw IPv4 and L4 headers as they sit
 * in the packet, so they are tested without DPDK.
 *
 * The L4 checksum covers the pseudo header, so an address change updates it too.
 * A UDP checksum of 0 means "not computed" (RFC 768): it stays 0, and an updated
 * checksum that comes out 0 is sent as 0xffff, its one's complement equal.
 */

#include <stdint.h>

/** Which end of the packet a rewrite changes. */
enum aces_nat_end {
	ACES_NAT_DST = 0,	/**< destination address and port (client -> backend) */
	ACES_NAT_SRC = 1,	/**< source address and port (backend -> client) */
};

/**
 * Set the @p end address of the IPv4 header at @p ip to @p new_ip and the same
 * end's port of the TCP or UDP header at @p l4 to @p new_port (both network order),
 * updating the IPv4 header checksum and the L4 checksum. @p proto is 6 or 17;
 * other protocols get the IPv4 part only.
 */
void aces_nat_rewrite(void *ip, void *l4, uint8_t proto, enum aces_nat_end end, uint32_t new_ip,
		      uint16_t new_port);

/** Decrement the TTL of the IPv4 header at @p ip, updating its checksum. TTL 0 is not checked. */
void aces_nat_ttl_dec(void *ip);

#endif /* ACES_NAT_H */
