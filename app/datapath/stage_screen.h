/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_STAGE_SCREEN_H
#define ACES_DATAPATH_STAGE_SCREEN_H

/**
 * @file
 * Stage 3's first step: what needs no flow. Malformed and foreign frames are dropped with
 * their reasons, ARP and ACES's own traffic go to the control lcore, echo requests to a VIP
 * or to ACES are answered. *
 * Included only by datapath/worker.c, the worker's one compilation unit of the per-packet
 * path (tools/check_layers.py checks it), so the compiler sees every stage at once.
 */

#include <rte_ip.h>
#include <rte_ring.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "datapath/stage_classify.h"

static inline int
is_own_addr(uint32_t a)
{
	return a == aces.cfg->client.addr || a == aces.cfg->backend.addr;
}


/* Answer an ICMP echo request in place, out of the port it came in on. */
static void
echo_reply(struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
	   const struct aces_pkt *p)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((uint8_t *)eth + p->l2_len);
	uint8_t *icmp = (uint8_t *)ip + p->l3_len;
	uint16_t old = aces_nat_rd16(icmp), ck;
	uint32_t a;

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&aces.port_mac[pi], &eth->src_addr);
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = aces_cksum_ipv4_hdr(ip, p->l3_len);
	icmp[0] = 0;	/* echo reply, same code */
	memcpy(&ck, icmp + 2, 2);
	ck = aces_cksum_update16(ck, old, aces_nat_rd16(icmp));
	memcpy(icmp + 2, &ck, 2);
	aces_wk_tx_enqueue(tx, pi, m, ACES_WK_TX_ECHO);
}


/* Port index @pi has a kernel interface (interfaces.ROLE.kernel): what ACES does not answer
 * itself at its own address goes to the kernel there. */
static inline int
kernel_path(uint8_t pi)
{
	const struct aces_config *c = aces.cfg;

	return (pi == aces.client_pi ? c->client.kernel[0] : c->backend.kernel[0]) != '\0';
}

static inline int to_slow_path(struct aces_worker *w, struct rte_mbuf *m);

static void
handle_ipv4_other(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
		  const struct aces_pkt *p)
{
	int is_vip = aces_is_vip(p->dst_ip), own = is_own_addr(p->dst_ip);

	if (own && kernel_path(pi)) {	/* echo included: the host answers for its address */
		if (to_slow_path(w, m) == 0)
			w->st.to_local++;
		return;
	}
	if (p->proto == ACES_IPPROTO_ICMP && p->icmp_type == 8 && (is_vip || own)) {
		echo_reply(tx, pi, m, p);
		return;
	}
	if (own)
		aces_wk_drop(w, m, ACES_DROP_LOCAL);
	else if (p->proto == ACES_IPPROTO_ICMP && (p->icmp_type == ACES_ICMP_UNREACH ||
		 p->icmp_type == ACES_ICMP_TIME_EXCEEDED || p->icmp_type == ACES_ICMP_PARAM_PROBLEM))
		aces_wk_drop(w, m, ACES_DROP_ICMP_NO_FLOW);	/* about nothing a flow sent */
	else if (is_vip)
		aces_wk_drop(w, m, ACES_DROP_UNSUPPORTED);
	else
		aces_wk_drop(w, m, ACES_DROP_UNKNOWN_DEST);
}


/* Hand @m to the control lcore (ARP, frames to an own address): 0, counted, or -1 when its
 * ring was full (a counted drop). */
static inline int
to_slow_path(struct aces_worker *w, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
		aces_wk_drop(w, m, ACES_DROP_SLOWPATH_FULL);
		return -1;
	}
	w->st.slowpath++;
	return 0;
}

/* Drops that need no flow: 1 when @m was dropped or sent elsewhere (ARP, local). */
static inline int
screen(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
       enum aces_parse_result res, const struct aces_pkt *pk)
{
	switch (res) {
	case ACES_PARSE_IPV4:
	case ACES_PARSE_ARP:
		break;
	case ACES_PARSE_NON_IP:
		aces_wk_drop(w, m, ACES_DROP_NON_IP);
		return 1;
	case ACES_PARSE_BAD_L2:
		aces_wk_drop(w, m, ACES_DROP_BAD_L2);
		return 1;
	case ACES_PARSE_BAD_L3:
		aces_wk_drop(w, m, ACES_DROP_BAD_L3);
		return 1;
	case ACES_PARSE_FRAGMENT:
		aces_wk_drop(w, m, ACES_DROP_FRAGMENT);
		return 1;
	case ACES_PARSE_BAD_L4:
	default:
		aces_wk_drop(w, m, ACES_DROP_BAD_L4);
		return 1;
	}
	if (unlikely(other_host(pi, m))) {
		aces_wk_drop(w, m, ACES_DROP_L2_OTHER_HOST);
		return 1;
	}
	if (res == ACES_PARSE_ARP) {
		(void)to_slow_path(w, m);
		return 1;
	}
	/* 224.0.0.0/4 and 255.255.255.255: never a VIP, never forwarded */
	if (unlikely((((const uint8_t *)&pk->dst_ip)[0] & 0xf0) == 0xe0 ||
		     pk->dst_ip == UINT32_MAX)) {
		aces_wk_drop(w, m, ACES_DROP_MULTICAST);
		return 1;
	}
	if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		     (pk->has_l4 && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		      RTE_MBUF_F_RX_L4_CKSUM_BAD))) {
		aces_wk_drop(w, m, ACES_DROP_BAD_CKSUM);
		return 1;
	}
	if (!pk->has_l4 && (!pk->icmp_err || is_own_addr(pk->dst_ip))) {
		handle_ipv4_other(w, tx, pi, m, pk);
		return 1;
	}
	if (unlikely(is_own_addr(pk->dst_ip))) {
		/* answers to the control lcore's health probes (and anything else sent to
		 * ACES itself): the control lcore sorts them out */
		if (to_slow_path(w, m) == 0)
			w->st.to_local++;
		return 1;
	}
	return 0;
}

#endif /* ACES_DATAPATH_STAGE_SCREEN_H */
