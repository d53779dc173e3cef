/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_NAT_H
#define ACES_NAT_H

/**
 * @file
 * Address and port rewriting of IPv4 TCP/UDP packets with incremental checksum
 * updates (RFC 1624), as ACES's DNAT towards a backend and the reverse on the way
 * back do it. Pure C: the functions take the raw IPv4 and L4 headers as they sit
 * in the packet, so they are tested without DPDK. They are inline: the worker calls
 * them for every packet (out of line they took 7 % of its cycles, LTO or not).
 *
 * The L4 checksum covers the pseudo header, so an address change updates it too.
 * A UDP checksum of 0 means "not computed" (RFC 768): it stays 0, and an updated
 * checksum that comes out 0 is sent as 0xffff, its one's complement equal.
 */

#include <stdint.h>
#include <string.h>

#include "aces/cksum.h"

/** Which end of the packet a rewrite changes. */
enum aces_nat_end {
	ACES_NAT_DST = 0,	/**< destination address and port (client -> backend) */
	ACES_NAT_SRC = 1,	/**< source address and port (backend -> client) */
};

/* IPv4 and L4 header offsets: the headers may sit at any alignment in a frame. */
#define ACES_NAT_IP_TTL		8
#define ACES_NAT_IP_CKSUM	10
#define ACES_NAT_IP_SRC		12
#define ACES_NAT_IP_DST		16
#define ACES_NAT_TCP_CKSUM	16
#define ACES_NAT_UDP_CKSUM	6
#define ACES_NAT_PROTO_TCP	6
#define ACES_NAT_PROTO_UDP	17

static inline uint16_t
aces_nat_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
aces_nat_wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/**
 * Set the @p end address of the IPv4 header at @p ip to @p new_ip and the same
 * end's port of the TCP or UDP header at @p l4 to @p new_port (both network order),
 * updating the IPv4 header checksum and the L4 checksum. @p proto is 6 or 17;
 * other protocols get the IPv4 part only.
 */
static inline void
aces_nat_rewrite(void *ip_hdr, void *l4_hdr, uint8_t proto, enum aces_nat_end end, uint32_t new_ip,
		 uint16_t new_port)
{
	uint8_t *ip = ip_hdr, *l4 = l4_hdr;
	size_t a_off = end == ACES_NAT_DST ? ACES_NAT_IP_DST : ACES_NAT_IP_SRC;
	size_t p_off = end == ACES_NAT_DST ? 2 : 0;
	uint32_t old_ip;
	uint16_t old_port, ck;

	memcpy(&old_ip, ip + a_off, 4);
	ck = aces_cksum_update32(aces_nat_rd16(ip + ACES_NAT_IP_CKSUM), old_ip, new_ip);
	aces_nat_wr16(ip + ACES_NAT_IP_CKSUM, ck);
	memcpy(ip + a_off, &new_ip, 4);
	if (proto != ACES_NAT_PROTO_TCP && proto != ACES_NAT_PROTO_UDP)
		return;
	old_port = aces_nat_rd16(l4 + p_off);
	if (proto == ACES_NAT_PROTO_TCP) {
		ck = aces_cksum_update32(aces_nat_rd16(l4 + ACES_NAT_TCP_CKSUM), old_ip, new_ip);
		aces_nat_wr16(l4 + ACES_NAT_TCP_CKSUM, aces_cksum_update16(ck, old_port, new_port));
	} else if ((ck = aces_nat_rd16(l4 + ACES_NAT_UDP_CKSUM)) != 0) {	/* 0: not computed */
		ck = aces_cksum_update32(ck, old_ip, new_ip);
		ck = aces_cksum_update16(ck, old_port, new_port);
		aces_nat_wr16(l4 + ACES_NAT_UDP_CKSUM, ck == 0 ? 0xffff : ck);
	}
	aces_nat_wr16(l4 + p_off, new_port);
}

/** Decrement the TTL of the IPv4 header at @p ip, updating its checksum. TTL 0 is not checked. */
static inline void
aces_nat_ttl_dec(void *ip_hdr)
{
	uint8_t *ip = ip_hdr;
	uint16_t old = aces_nat_rd16(ip + ACES_NAT_IP_TTL), ck;

	ip[ACES_NAT_IP_TTL]--;
	ck = aces_cksum_update16(aces_nat_rd16(ip + ACES_NAT_IP_CKSUM), old,
				 aces_nat_rd16(ip + ACES_NAT_IP_TTL));
	aces_nat_wr16(ip + ACES_NAT_IP_CKSUM, ck);
}

/**
 * Rewrite the embedded header of an ICMP error (RFC 5508): address @p end of the embedded
 * IPv4 header at @p in_ip and its port in the TCP/UDP header at @p in_l4 (@p l4_avail bytes
 * of it present) become @p new_ip / @p new_port; the embedded IPv4 checksum, the embedded
 * TCP/UDP checksum when it is there (TCP: only if the error carries it; UDP: unless 0) and
 * the ICMP checksum of the message at @p icmp are updated incrementally. The embedded
 * header sits at an even offset of the ICMP message, as every field changed here.
 */
static inline void
aces_nat_icmp_inner(void *icmp_hdr, void *in_ip, void *in_l4, size_t l4_avail, uint8_t proto,
		    enum aces_nat_end end, uint32_t new_ip, uint16_t new_port)
{
	uint8_t *icmp = icmp_hdr, *ip = in_ip, *l4 = in_l4;
	size_t a_off = end == ACES_NAT_DST ? ACES_NAT_IP_DST : ACES_NAT_IP_SRC;
	size_t p_off = end == ACES_NAT_DST ? 2 : 0;
	uint16_t ick = aces_nat_rd16(icmp + 2), old16, new16;
	uint32_t old_ip;
	uint16_t old_port = aces_nat_rd16(l4 + p_off);
	size_t ck_off = proto == ACES_NAT_PROTO_TCP ? ACES_NAT_TCP_CKSUM : ACES_NAT_UDP_CKSUM;

	memcpy(&old_ip, ip + a_off, 4);
	old16 = aces_nat_rd16(ip + ACES_NAT_IP_CKSUM);
	new16 = aces_cksum_update32(old16, old_ip, new_ip);
	aces_nat_wr16(ip + ACES_NAT_IP_CKSUM, new16);
	memcpy(ip + a_off, &new_ip, 4);
	ick = aces_cksum_update32(ick, old_ip, new_ip);
	ick = aces_cksum_update16(ick, old16, new16);
	if (l4_avail >= ck_off + 2) {
		old16 = aces_nat_rd16(l4 + ck_off);
		if (proto == ACES_NAT_PROTO_TCP || old16 != 0) {
			new16 = aces_cksum_update32(old16, old_ip, new_ip);
			new16 = aces_cksum_update16(new16, old_port, new_port);
			if (proto == ACES_NAT_PROTO_UDP && new16 == 0)
				new16 = 0xffff;
			aces_nat_wr16(l4 + ck_off, new16);
			ick = aces_cksum_update16(ick, old16, new16);
		}
	}
	aces_nat_wr16(l4 + p_off, new_port);
	ick = aces_cksum_update16(ick, old_port, new_port);
	aces_nat_wr16(icmp + 2, ick);
}

#endif /* ACES_NAT_H */
