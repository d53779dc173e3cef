/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FRAME_H
#define ACES_FRAME_H

/**
 * @file
 * Frames ACES builds itself (drain-reset RSTs on the workers, health probes on the
 * control lcore): Ethernet + IPv4 (no options, DF, TTL 64) + an L4 header.
 */

#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "aces/cksum.h"
#include "aces/parse.h"

/**
 * Append Ethernet and IPv4 headers for @l4_len bytes of @proto from @sip to @dip
 * (network order) to the empty mbuf @m, the IPv4 checksum set, the L4 part zeroed.
 * Returns the L4 header.
 */
static inline uint8_t *
aces_frame_ipv4(struct rte_mbuf *m, const struct rte_ether_addr *dst,
		const struct rte_ether_addr *src, uint32_t sip, uint32_t dip, uint8_t proto,
		uint16_t l4_len)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*ip) + l4_len);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip) + l4_len);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = sip;
	ip->dst_addr = dip;
	ip->hdr_checksum = aces_cksum_ipv4_hdr(ip, sizeof(*ip));
	return (uint8_t *)(ip + 1);
}

/** A 20-byte TCP header (ports in network order), its checksum over @sip/@dip. */
static inline void
aces_frame_tcp(struct rte_tcp_hdr *t, uint32_t sip, uint32_t dip, uint16_t sp, uint16_t dp,
	       uint32_t seq, uint8_t flags, uint16_t win)
{
	t->src_port = sp;
	t->dst_port = dp;
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->data_off = 5 << 4;
	t->tcp_flags = flags;
	t->rx_win = rte_cpu_to_be_16(win);
	t->cksum = aces_cksum_l4(sip, dip, ACES_IPPROTO_TCP, t, sizeof(*t));
}

#endif /* ACES_FRAME_H */
