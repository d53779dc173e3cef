/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_STAGE_CLASSIFY_H
#define ACES_DATAPATH_STAGE_CLASSIFY_H

/**
 * @file
 * Stage 1 of a burst: what each packet is, which way it goes (to a VIP: from the client),
 * its flow key, its owner among the workers; fragments to their reassembly; whether the
 * worker is behind on what its port delivers. *
 * Included only by datapath/worker.c, the worker's one compilation unit of the per-packet
 * path (tools/check_layers.py checks it), so the compiler sees every stage at once.
 */

#include <rte_ethdev.h>

#include "datapath/worker.h"

/* Stage 1 of a burst: what each packet is (parse), which way it goes (to a VIP: from
 * the client), its flow key and hash, and its owner among the workers. */
struct burst {
	struct aces_pkt p[ACES_BURST];
	struct aces_flow_tuple t[ACES_BURST];
	uint64_t h[ACES_BURST];
	enum aces_parse_result res[ACES_BURST];
	uint8_t keyed[ACES_BURST];	/**< t and h are set: 1 IPv4 with TCP/UDP, 2 an ICMP
					 *   error keyed by the flow it quotes */
};


/* An ICMP error's flow: the one whose packet it quotes, as its recipient sent it (the
 * VIP to a client, or a client to a backend). */
static __rte_noinline void
classify_icmp(const struct aces_pkt *p, struct aces_flow_tuple *t)
{
	if (aces_is_vip(p->inner_src_ip)) {
		t->client_ip = p->inner_dst_ip;
		t->client_port = p->inner_dst_port;
		t->dir = ACES_DIR_FWD;
		t->peer_ip = p->inner_src_ip;
		t->peer_port = p->inner_src_port;
	} else {
		t->client_ip = p->inner_src_ip;
		t->client_port = p->inner_src_port;
		t->dir = ACES_DIR_REV;
		t->peer_ip = p->inner_dst_ip;
		t->peer_port = p->inner_dst_port;
	}
	t->proto = p->inner_proto;
	t->pad = 0;
}

static inline void
classify(const struct aces_pkt *p, struct aces_flow_tuple *t)
{
	if (aces_is_vip(p->dst_ip)) {
		t->client_ip = p->src_ip;
		t->client_port = p->src_port;
		t->dir = ACES_DIR_FWD;
		t->peer_ip = p->dst_ip;
		t->peer_port = p->dst_port;
	} else {
		t->client_ip = p->dst_ip;
		t->client_port = p->dst_port;
		t->dir = ACES_DIR_REV;
		t->peer_ip = p->src_ip;
		t->peer_port = p->src_port;
	}
	t->proto = p->proto;
	t->pad = 0;
}


/* A unicast frame for another MAC than port @pi's (a switch flooding, a promiscuous port). */
static inline int
other_host(uint8_t pi, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return !rte_is_multicast_ether_addr(&eth->dst_addr) &&
	       !rte_is_same_ether_addr(&eth->dst_addr, &aces.port_mac[pi]);
}


/*
 * Stage 1's fragments (reassembly on): @m goes to the worker that reassembles its datagram,
 * or into this worker's table; the datagram comes back once complete, parsed anew into
 * @p / @res. NULL when @m was kept, handed over or dropped. Only fragments that can be of a
 * flow are kept: to a VIP, or from a backend.
 */
static __rte_noinline struct rte_mbuf *
fragment(struct aces_worker *w, struct rte_mbuf *m, uint8_t pi, struct aces_pkt *p,
	 enum aces_parse_result *res, struct rte_mbuf *out[][ACES_BURST], uint16_t *nout,
	 enum aces_wk_from from, uint64_t now)
{
	struct rte_mbuf *d;

	if (other_host(pi, m)) {
		aces_wk_drop(w, m, ACES_DROP_L2_OTHER_HOST);
		return NULL;
	}
	if (!aces_is_vip(p->dst_ip) && aces_backend_by_addr(p->src_ip) < 0) {
		aces_wk_drop(w, m, ACES_DROP_UNKNOWN_DEST);
		return NULL;
	}
	if (aces.n_workers > 1 && from == ACES_WK_FROM_PORT) {
		uint32_t o = aces_wk_frag_owner(p);

		if (o != w->idx) {
			out[o][nout[o]++] = m;
			return NULL;
		}
	}
	d = aces_wk_frag_take(w, m, p, now);
	if (d == NULL)
		return NULL;
	*res = aces_parse_seg(rte_pktmbuf_mtod(d, const uint8_t *), d->data_len, d->pkt_len, p);
	if (*res == ACES_PARSE_FRAGMENT) {	/* never: reassembled means whole */
		aces_wk_drop(w, d, ACES_DROP_FRAG_GIVEN_UP);
		return NULL;
	}
	return d;
}


/*
 * Is the worker behind on what port @pi (or the hand-off ring) delivers, so that packets it
 * does not read in time are lost, whichever flow they belong to? Asked for full bursts only.
 * Behind on evidence of loss alone: the port lost received packets in the last 200 ms (its
 * imissed, or the kernel's packet-socket drops for net_af_packet: port_loss.c), or its
 * receive queue is over half full (where the port tells its depth: a NIC), or the hand-off
 * ring is. Full bursts alone are not overload: a worker that reads as fast as packets come
 * sees full bursts without losing one, and a link delivers in bursts. A port that tells
 * neither depth nor loss never sheds.
 */
static __rte_noinline int
overloaded(struct aces_worker *w, uint8_t pi, enum aces_wk_from from, uint64_t now)
{
	if (from != ACES_WK_FROM_PORT)
		return from == ACES_WK_FROM_HANDOFF && rte_ring_count(w->handoff_ring) > ACES_HANDOFF_RING / 2;
	if (now - __atomic_load_n(&aces_loss.rx_loss_tsc[pi], __ATOMIC_RELAXED) < aces.tsc_hz / 5)
		return 1;
	if (aces_loss.rxq_count_ok[pi]) {
		if ((w->depth_poll[pi]++ & 3) == 0)	/* every 4th full burst: it walks descriptors */
			w->deep[pi] = rte_eth_rx_queue_count(aces.port_ids[pi], w->idx) >
				      ACES_RX_DESC / 2;
		return w->deep[pi];
	}
	return 0;
}

#endif /* ACES_DATAPATH_STAGE_CLASSIFY_H */
