/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "aces/parse.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
rd32_raw(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
rd16_raw(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The TCP/UDP header an ICMP error carries (@icmp: the ICMP message, @n bytes of it
 * readable): the packet it is about, as its recipient sent it. Only an IPv4 header of
 * a first fragment (or none) with at least 8 bytes of TCP or UDP after it counts: that
 * holds the ports a flow is found by (RFC 792 promises those 8 bytes).
 */
static void
parse_icmp_inner(const uint8_t *icmp, size_t n, const uint8_t *frame, struct aces_pkt *pkt)
{
	const uint8_t *in = icmp + 8;
	size_t ihl;

	if (n < 8 + 20 || (in[0] >> 4) != 4)
		return;
	ihl = (size_t)(in[0] & 0x0f) * 4;
	if (ihl < 20 || n < 8 + ihl + 8 || (rd16(in + 6) & 0x1fff) != 0)
		return;
	if (in[9] != ACES_IPPROTO_TCP && in[9] != ACES_IPPROTO_UDP)
		return;
	pkt->icmp_err = 1;
	pkt->inner_proto = in[9];
	pkt->inner_l3_len = (uint8_t)ihl;
	pkt->inner_off = (uint16_t)(in - frame);
	pkt->inner_l4_avail = (uint16_t)(n - 8 - ihl);
	pkt->inner_src_ip = rd32_raw(in + 12);
	pkt->inner_dst_ip = rd32_raw(in + 16);
	pkt->inner_src_port = rd16_raw(in + ihl);
	pkt->inner_dst_port = rd16_raw(in + ihl + 2);
}

enum aces_parse_result
aces_parse(const uint8_t *data, size_t len, struct aces_pkt *pkt)
{
	return aces_parse_seg(data, len, len, pkt);
}

enum aces_parse_result
aces_parse_seg(const uint8_t *data, size_t len, size_t frame_len, struct aces_pkt *pkt)
{
	size_t off = 14;
	uint16_t et;
	const uint8_t *ip;
	size_t ip_avail;
	uint16_t frag;

	memset(pkt, 0, ACES_PKT_CLEAR);
	if (len < 14)
		return ACES_PARSE_BAD_L2;
	et = rd16(data + 12);
	while (et == ACES_ETHERTYPE_VLAN || et == ACES_ETHERTYPE_QINQ) {
		if (pkt->n_vlan == ACES_MAX_VLAN || len < off + 4)
			return ACES_PARSE_BAD_L2;
		pkt->n_vlan++;
		et = rd16(data + off + 2);
		off += 4;
	}
	pkt->l2_len = (uint16_t)off;
	pkt->ethertype = et;

	if (et == ACES_ETHERTYPE_ARP) {
		const uint8_t *a = data + off;

		/* Only Ethernet/IPv4 ARP: htype 1, ptype 0x0800, hlen 6, plen 4. */
		if (len < off + 28 || rd16(a) != 1 || rd16(a + 2) != ACES_ETHERTYPE_IPV4 ||
		    a[4] != 6 || a[5] != 4)
			return ACES_PARSE_BAD_L2;
		pkt->src_ip = rd32_raw(a + 14);
		pkt->dst_ip = rd32_raw(a + 24);
		return ACES_PARSE_ARP;
	}
	if (et != ACES_ETHERTYPE_IPV4)
		return ACES_PARSE_NON_IP;

	ip = data + off;
	ip_avail = len - off;
	if (frame_len < len)
		frame_len = len;
	if (ip_avail < 20 || (ip[0] >> 4) != 4)
		return ACES_PARSE_BAD_L3;
	pkt->l3_len = (uint16_t)((ip[0] & 0x0f) * 4);
	pkt->ip_total_len = rd16(ip + 2);
	if (pkt->l3_len < 20 || pkt->l3_len > ip_avail || pkt->ip_total_len < pkt->l3_len ||
	    pkt->ip_total_len > frame_len - off)
		return ACES_PARSE_BAD_L3;
	pkt->ttl = ip[8];
	pkt->proto = ip[9];
	pkt->src_ip = rd32_raw(ip + 12);
	pkt->dst_ip = rd32_raw(ip + 16);
	frag = rd16(ip + 6);
	if ((frag & 0x3fff) != 0) {	/* MF or fragment offset */
		pkt->frag_id = rd16_raw(ip + 4);
		pkt->frag_off = (uint16_t)((frag & 0x1fff) * 8);
		return ACES_PARSE_FRAGMENT;
	}

	{
		const uint8_t *l4 = ip + pkt->l3_len;
		/* the whole L4 length (the frame's), and what of it is in [data, data + len) */
		size_t l4_avail = (size_t)pkt->ip_total_len - pkt->l3_len;
		size_t l4_here = ip_avail - pkt->l3_len < l4_avail ? ip_avail - pkt->l3_len :
				 l4_avail;

		switch (pkt->proto) {
		case ACES_IPPROTO_TCP:
			if (l4_here < 20)
				return ACES_PARSE_BAD_L4;
			pkt->l4_len = (uint16_t)((l4[12] >> 4) * 4);
			if (pkt->l4_len < 20 || pkt->l4_len > l4_here)
				return ACES_PARSE_BAD_L4;
			pkt->src_port = rd16_raw(l4);
			pkt->dst_port = rd16_raw(l4 + 2);
			pkt->tcp_flags = l4[13];
			pkt->has_l4 = 1;
			break;
		case ACES_IPPROTO_UDP:
			if (l4_here < 8 || rd16(l4 + 4) < 8 || rd16(l4 + 4) > l4_avail)
				return ACES_PARSE_BAD_L4;
			pkt->l4_len = 8;
			pkt->src_port = rd16_raw(l4);
			pkt->dst_port = rd16_raw(l4 + 2);
			pkt->has_l4 = 1;
			break;
		case ACES_IPPROTO_ICMP:
			if (l4_here < 8)
				return ACES_PARSE_BAD_L4;
			pkt->l4_len = 8;
			pkt->icmp_type = l4[0];
			pkt->icmp_code = l4[1];
			if (l4[0] == ACES_ICMP_UNREACH || l4[0] == ACES_ICMP_TIME_EXCEEDED ||
			    l4[0] == ACES_ICMP_PARAM_PROBLEM)
				parse_icmp_inner(l4, l4_here, data, pkt);
			break;
		default:
			break;
		}
	}
	return ACES_PARSE_IPV4;
}

const char *
aces_parse_result_name(enum aces_parse_result r)
{
	switch (r) {
	case ACES_PARSE_IPV4: return "ipv4";
	case ACES_PARSE_ARP: return "arp";
	case ACES_PARSE_NON_IP: return "non_ip";
	case ACES_PARSE_BAD_L2: return "bad_l2";
	case ACES_PARSE_BAD_L3: return "bad_l3";
	case ACES_PARSE_FRAGMENT: return "fragment";
	case ACES_PARSE_BAD_L4: return "bad_l4";
	}
	return "unknown";
}
