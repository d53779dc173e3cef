/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_STAGE_FORWARD_H
#define ACES_DATAPATH_STAGE_FORWARD_H

/**
 * @file
 * The last stage: a packet of a known flow rewritten (NAT, MACs, TTL) and queued for TX,
 * split when longer than its egress MTU; TTL and "too big" answered with ICMP errors. *
 * Included only by datapath/worker.c, the worker's one compilation unit of the per-packet
 * path (tools/check_layers.py checks it), so the compiler sees every stage at once.
 */

#include <rte_ip.h>
#include <rte_tcp.h>

#include "aces/nat.h"
#include "datapath/worker.h"

/* A packet whose TTL runs out here: dropped, answered with time exceeded. */
static __rte_noinline void
ttl_expired(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m, const struct aces_pkt *p,
	    enum aces_flow_dir dir, uint64_t now)
{
	aces_wk_icmp_send(w, tx, m, p, dir, ACES_ICMP_TIME_EXCEEDED, 0, 0, now);
	aces_wk_drop(w, m, ACES_DROP_TTL);
}

/* A packet longer than the smallest MTU: 1 when it was dropped, a DF packet longer than its
 * egress port's MTU (answered with fragmentation needed); else it goes on (and is split
 * if longer than that MTU). */
static __rte_noinline int
too_big(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m, const struct aces_pkt *p,
	enum aces_flow_dir dir, uint64_t now)
{
	uint8_t out = dir == ACES_DIR_FWD ? aces.backend_pi : aces.client_pi;
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *) + p->l2_len;

	if (p->ip_total_len <= aces.port_mtu[out] || (ip[6] & 0x40) == 0)	/* DF */
		return 0;
	aces_wk_icmp_send(w, tx, m, p, dir, ACES_ICMP_UNREACH, ACES_ICMP_UNREACH_NEEDFRAG,
			  aces.port_mtu[out], now);
	aces_wk_drop(w, m, ACES_DROP_TOO_BIG);
	return 1;
}

/* Forward a packet of flow @f in direction @dir: NAT, MACs, TTL, queue for TX (in
 * fragments when it is longer than the egress MTU and may be split). */
static inline void
forward(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m, const struct aces_pkt *p,
	struct aces_flow *f, enum aces_flow_dir dir, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((uint8_t *)eth + p->l2_len);
	uint8_t *l4 = (uint8_t *)ip + p->l3_len;
	struct rte_ether_addr mac;
	uint8_t out;

	if (unlikely(p->ttl <= 1)) {
		ttl_expired(w, tx, m, p, dir, now);
		return;
	}
	/* longer than the smallest MTU of any port: one compare on the common path */
	if (unlikely(p->ip_total_len > aces.min_mtu) && too_big(w, tx, m, p, dir, now))
		return;
	if (dir == ACES_DIR_FWD) {
		if (unlikely(!aces_wk_neigh_mac(aces_nh.backend_nh[f->backend], &mac))) {
			aces_wk_drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
			return;
		}
		aces_nat_rewrite(ip, l4, p->proto, ACES_NAT_DST, f->backend_ip, f->backend_port);
		out = aces.backend_pi;
	} else {
		f->flags |= ACES_FLOW_F_REPLIED;
		if (unlikely(!aces_wk_client_mac(f, &mac))) {
			aces_wk_drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
			return;
		}
		aces_nat_rewrite(ip, l4, p->proto, ACES_NAT_SRC, f->vip_ip, f->vip_port);
		out = aces.client_pi;
	}
	if (p->proto == ACES_IPPROTO_TCP) {
		/* next sequence number of the sender, for a drain reset's RST */
		const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)l4;
		uint32_t nxt = rte_be_to_cpu_32(t->sent_seq) +
			       (uint32_t)(p->ip_total_len - p->l3_len - p->l4_len) +
			       ((p->tcp_flags & ACES_TCP_SYN) ? 1 : 0) +
			       ((p->tcp_flags & ACES_TCP_FIN) ? 1 : 0);

		if (dir == ACES_DIR_FWD)
			f->cli_nxt = nxt;
		else
			f->srv_nxt = nxt;
	}
	aces_nat_ttl_dec(ip);
	rte_ether_addr_copy(&mac, &eth->dst_addr);
	rte_ether_addr_copy(&aces.port_mac[out], &eth->src_addr);
	aces_flow_touch(w->ft, f, now);
	{
		struct aces_ctr *ec = &w->eps[f->ep * 2 + f->side], *bc = &w->bes[f->backend];

		ec->pkts++;
		ec->bytes += m->pkt_len;
		bc->pkts++;
		bc->bytes += m->pkt_len;
	}
	if (unlikely(p->ip_total_len > aces.min_mtu) && p->ip_total_len > aces.port_mtu[out]) {
		aces_wk_frag_split(w, tx, out, m, p);
		return;
	}
	aces_wk_tx_enqueue(tx, out, m, ACES_WK_TX_FWD);
}

#endif /* ACES_DATAPATH_STAGE_FORWARD_H */
