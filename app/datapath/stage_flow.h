/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_STAGE_FLOW_H
#define ACES_DATAPATH_STAGE_FLOW_H

/**
 * @file
 * Stage 3 for keyed packets: a first packet creates its flow (steered by the assignment),
 * a packet of a known flow is tracked, a held flow's packets are held (section 4), then
 * each goes to the forward stage. *
 * Included only by datapath/worker.c, the worker's one compilation unit of the per-packet
 * path (tools/check_layers.py checks it), so the compiler sees every stage at once.
 */

#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "aces/cksum.h"
#include "datapath/stage_forward.h"

/* A packet whose flow is not in the table: a first packet creates one. */
static inline void
new_flow(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m, const struct aces_pkt *pk,
	 const struct aces_flow_tuple *t, uint64_t h, const struct aces_assign *a,
	 uint32_t *budget, uint64_t now)
{
	struct aces_ep_key ek;
	struct aces_flow *f;
	int ep = -1;
	void *d;

	if (t->dir == ACES_DIR_REV) {
		/* a reply (not to a VIP) without a flow: adopted below, when its backend is known */
		if (aces_backend_by_addr(pk->src_ip) < 0) {
			aces_wk_drop(w, m, ACES_DROP_UNKNOWN_DEST);
			return;
		}
	} else {
		ek.vip = pk->dst_ip;
		ek.port = pk->dst_port;
		ek.proto = pk->proto;
		ek.pad = 0;
		if (rte_hash_lookup_data(aces_dp.ep_hash, &ek, &d) < 0) {
			aces_wk_drop(w, m, ACES_DROP_UNKNOWN_DEST);
			return;
		}
		ep = (int)(uintptr_t)d;
		if (unlikely(pk->ttl <= 1)) {
			ttl_expired(w, tx, m, pk, ACES_DIR_FWD, now);
			return;
		}
	}
	if (unlikely(*budget == 0)) {
		aces_wk_drop(w, m, ACES_DROP_NEW_FLOW_SHED);
		return;
	}
	(*budget)--;
	/* a reply, or TCP other than a SYN: a connection under way, adopted */
	if (ep < 0 || (pk->proto == ACES_IPPROTO_TCP &&
		       (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK | ACES_TCP_RST)) != ACES_TCP_SYN))
		f = aces_wk_flow_adopt(w, m, pk, t, h, a, ep, now);
	else
		f = aces_wk_flow_create(w, m, pk, t, h, a, (uint16_t)ep, now);
	if (f != NULL)
		forward(w, tx, m, pk, f, (enum aces_flow_dir)t->dir, now);
}


/* A held flow's data segment from the client, made a bare ACK: payload and PSH gone,
 * lengths and checksums made anew (the NAT's incremental updates follow). */
static void
held_ack_only(struct rte_mbuf *m, struct aces_pkt *pk)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + pk->l2_len);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + pk->l3_len);
	uint16_t tot = (uint16_t)(pk->l3_len + pk->l4_len);

	ip->total_length = rte_cpu_to_be_16(tot);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = aces_cksum_ipv4_hdr(ip, pk->l3_len);
	t->tcp_flags &= (uint8_t)~ACES_TCP_PSH;
	t->cksum = aces_cksum_l4(ip->src_addr, ip->dst_addr, ACES_IPPROTO_TCP, t, pk->l4_len);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (pk->l2_len + tot)));
	pk->ip_total_len = tot;
	pk->tcp_flags &= (uint8_t)~ACES_TCP_PSH;
}

/*
 * A packet of a held flow (moving): 1 when it was dropped. No new data may reach the
 * backend, whose socket is about to be frozen, but its last words must reach the client and
 * the client's acknowledgement of them must come back (its agent waits for that: a restored
 * socket resends unacknowledged data slowly). So: the client's data segments go on as bare
 * ACKs (@pk, the burst's own parse, is changed to match), a copy kept for when the flow is
 * released; the backend's segments pass, but for an RST (a closed socket's answer to a late
 * ACK once the connection lives elsewhere); everything else is dropped. Out of line: the
 * common path stays small.
 */
static __rte_noinline int
held_packet(struct aces_worker *w, struct rte_mbuf *m, struct aces_pkt *pk, enum aces_flow_dir dir,
	    uint32_t idx)
{
	if (pk->proto != ACES_IPPROTO_TCP || (dir == ACES_DIR_REV ?
	    (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_RST)) != 0 :
	    (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_FIN | ACES_TCP_RST | ACES_TCP_ACK)) !=
	    ACES_TCP_ACK)) {
		aces_wk_drop(w, m, ACES_DROP_FLOW_HELD);
		return 1;
	}
	if (dir == ACES_DIR_FWD && pk->ip_total_len != pk->l3_len + pk->l4_len) {
		if (m->nb_segs > 1) {	/* a datagram longer than an mbuf: TCP resends it */
			aces_wk_drop(w, m, ACES_DROP_FLOW_HELD);
			return 1;
		}
		aces_wk_held_keep(w, m, idx);
		held_ack_only(m, pk);
		w->st.held_data_stripped++;
	}
	return 0;
}


/* A packet of flow @f: TCP state, then forward. */
static inline void
known_flow(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m,
	   const struct aces_pkt *pk, const struct aces_flow_tuple *t, uint64_t h,
	   const struct aces_assign *a, uint32_t *budget, struct aces_flow *f, uint64_t now)
{
	enum aces_flow_dir dir = (enum aces_flow_dir)t->dir;

	if (unlikely(f->flags & ACES_FLOW_F_HELD) &&
	    held_packet(w, m, (struct aces_pkt *)(uintptr_t)pk, dir, (uint32_t)(f - w->ft->flows)))
		return;
	if (pk->proto == ACES_IPPROTO_TCP) {
		/* A new SYN on a closed tuple is a new connection: decide again. */
		if (dir == ACES_DIR_FWD && aces_tcp_over(f->state) &&
		    (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_SYN) {
			aces_wk_flow_delete(w, (uint32_t)(f - w->ft->flows));
			w->st.flows_reused++;
			new_flow(w, tx, m, pk, t, h, a, budget, now);
			return;
		}
		if (unlikely(f->state == ACES_TCP_SYN_SENT &&
			     aces_wk_syn_rescue(w, m, pk, f, dir, now))) {
			if (dir == ACES_DIR_FWD)	/* decide again */
				new_flow(w, tx, m, pk, t, h, a, budget, now);
			return;
		}
		aces_wk_tcp_track(w, f, pk->tcp_flags, dir, now);
	}
	forward(w, tx, m, pk, f, dir, now);
}

#endif /* ACES_DATAPATH_STAGE_FLOW_H */
