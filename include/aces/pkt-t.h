/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_PKT_T_H
#define ACES_PKT_T_H

/**
 * @file
 * Parsed view of one frame. The parser is pure C (no DPDK types) so it can be
 * unit-tested on byte arrays and reused by tools; the data plane runs it on the
 * first mbuf segment. Offsets are from the start of the frame; addresses and
 * ports stay in network byte order, exactly as on the wire, so the NAT code can
 * rewrite them without conversions.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_ETHERTYPE_IPV4 0x0800
#define ACES_ETHERTYPE_ARP  0x0806
#define ACES_ETHERTYPE_VLAN 0x8100
#define ACES_ETHERTYPE_QINQ 0x88a8

#define ACES_IPPROTO_ICMP 1
#define ACES_IPPROTO_TCP  6
#define ACES_IPPROTO_UDP  17

/* ICMP types ACES reads, answers or sends */
#define ACES_ICMP_ECHO_REPLY	0
#define ACES_ICMP_UNREACH	3
#define ACES_ICMP_UNREACH_NEEDFRAG 4	/**< code: fragmentation needed and DF set */
#define ACES_ICMP_ECHO		8
#define ACES_ICMP_TIME_EXCEEDED	11
#define ACES_ICMP_PARAM_PROBLEM	12

#define ACES_TCP_FIN 0x01
#define ACES_TCP_SYN 0x02
#define ACES_TCP_RST 0x04
#define ACES_TCP_PSH 0x08
#define ACES_TCP_ACK 0x10

/** Deepest VLAN stack the parser accepts (802.1ad outer + 802.1Q inner). */
#define ACES_MAX_VLAN 2

/** What the parser made of a frame. Every value but IPV4 and ARP is a drop reason. */
enum aces_parse_result {
	ACES_PARSE_IPV4 = 0,	/**< IPv4 with a complete L4 header (TCP, UDP, ICMP) or other proto */
	ACES_PARSE_ARP,		/**< ARP for IPv4 over Ethernet, complete */
	ACES_PARSE_NON_IP,	/**< an ethertype we do not route (IPv6, LLDP, ...) */
	ACES_PARSE_BAD_L2,	/**< truncated Ethernet/VLAN header, too many tags, bad ARP */
	ACES_PARSE_BAD_L3,	/**< truncated IPv4, version != 4, IHL < 5, bad total length */
	ACES_PARSE_FRAGMENT,	/**< IPv4 fragment (MF set or offset != 0): no L4 ports */
	ACES_PARSE_BAD_L4,	/**< truncated TCP/UDP/ICMP header, TCP data offset < 5 */
};

/** Parsed packet metadata. Filled only as far as the result says. */
struct aces_pkt {
	uint16_t l2_len;	/**< Ethernet + VLAN header bytes */
	uint16_t l3_len;	/**< IPv4 header bytes (IHL * 4) */
	uint16_t l4_len;	/**< L4 header bytes (TCP doff * 4, 8 for UDP/ICMP) */
	uint16_t ethertype;	/**< host order, innermost */
	uint16_t ip_total_len;	/**< host order, IPv4 total length */
	uint8_t n_vlan;		/**< number of VLAN tags seen */
	uint8_t proto;		/**< IPv4 protocol */
	uint8_t ttl;		/**< IPv4 TTL */
	uint8_t tcp_flags;	/**< TCP flags byte (0 for other protocols) */
	uint8_t icmp_type;	/**< ICMP type (ICMP only) */
	uint8_t has_l4;		/**< 1 when src_port/dst_port are meaningful (TCP, UDP) */
	uint8_t icmp_code;	/**< ICMP code (ICMP only) */
	uint8_t icmp_err;	/**< an ICMP error (unreachable, time exceeded, parameter
				 *   problem) whose embedded TCP/UDP header was read: inner_* set */
	uint16_t frag_id;	/**< IPv4 identification, network order (fragments) */
	uint16_t frag_off;	/**< fragment offset in bytes (fragments) */
	uint32_t src_ip;	/**< network order */
	uint32_t dst_ip;	/**< network order */
	uint16_t src_port;	/**< network order (TCP/UDP), 0 otherwise */
	uint16_t dst_port;	/**< network order (TCP/UDP), 0 otherwise */
	/* Only when icmp_err (not cleared by the parser otherwise: the common path writes
	 * less): the embedded header of an ICMP error. */
	uint8_t inner_proto;	/**< embedded header's protocol (TCP or UDP) */
	uint8_t inner_l3_len;	/**< embedded IPv4 header bytes */
	uint16_t inner_off;	/**< offset of the embedded IPv4 header from the frame start */
	uint16_t inner_l4_avail;/**< bytes of the embedded L4 header present (8 at least) */
	uint32_t inner_src_ip;	/**< embedded header's addresses and ports, network order */
	uint32_t inner_dst_ip;
	uint16_t inner_src_port;
	uint16_t inner_dst_port;
};

/** Bytes of struct aces_pkt the parser clears: all but the embedded header's fields. */
#define ACES_PKT_CLEAR offsetof(struct aces_pkt, inner_proto)

#endif /* ACES_PKT_T_H */
