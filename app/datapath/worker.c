/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: RX burst -> parse -> classify (direction, owner, flow key) ->
 * flow lookup -> create on a first packet, steered by the published assignment ->
 * NAT rewrite -> TX burst. Runs to completion, never blocks, never allocates,
 * never takes a lock. The only shared state it reads is the RCU-published
 * assignment table, the read-only endpoint hash and the neighbour MAC words.
 * A flow's life is in flowtrack.c, hand-offs in handoff.c, periodic jobs in
 * worker_jobs.c.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "datapath/worker.h"

#define PREFETCH_OFFSET 3
#define ACES_EST_RECENT	1024	/**< loops after an established packet that count as "recent" */

/*
 * Send what the burst queued. Counted here, by what the queue took: forwarded, echo
 * replies, RSTs sent; a refused received packet is the drop tx_full, a refused RST is
 * rst_tx_refused (no received packet was lost).
 */
void
aces_wk_tx_flush(struct aces_worker *w, struct tx_buf *tx)
{
	uint8_t pi;

	for (pi = 0; pi < aces.n_ports; pi++) {
		uint16_t n = tx->n[pi], sent, i;
		uint64_t bytes = 0, by_kind[ACES_WK_TX_KINDS] = { 0 };

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(aces.port_ids[pi], w->idx, tx->pkts[pi], n);
		for (i = 0; i < sent; i++) {
			bytes += tx->pkts[pi][i]->pkt_len;
			by_kind[tx->kind[pi][i]]++;
		}
		for (i = sent; i < n; i++) {
			switch (tx->kind[pi][i]) {
			case ACES_WK_TX_RST:
				w->st.rst_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			case ACES_WK_TX_ICMP:
				w->st.icmp_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			case ACES_WK_TX_FRAG:
				w->st.frag_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			default:
				aces_wk_drop(w, tx->pkts[pi][i], ACES_DROP_TX_FULL);
				break;
			}
		}
		w->st.forwarded += by_kind[ACES_WK_TX_FWD];
		w->st.icmp_echo_replies += by_kind[ACES_WK_TX_ECHO];
		w->st.rst_sent += by_kind[ACES_WK_TX_RST];
		w->st.icmp_sent += by_kind[ACES_WK_TX_ICMP];
		w->st.frag_made += by_kind[ACES_WK_TX_FRAG];
		w->st.tx_pkts[pi] += sent;
		w->st.tx_bytes[pi] += bytes;
		tx->n[pi] = 0;
	}
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

static inline int
is_own_addr(uint32_t a)
{
	return a == aces.cfg->client.addr || a == aces.cfg->backend.addr;
}

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
		if (unlikely(!aces_wk_neigh_mac(aces.backend_nh[f->backend], &mac))) {
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

static void
handle_ipv4_other(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
		  const struct aces_pkt *p)
{
	int is_vip = aces_is_vip(p->dst_ip);

	if (p->proto == ACES_IPPROTO_ICMP && p->icmp_type == 8 &&
	    (is_vip || is_own_addr(p->dst_ip))) {
		echo_reply(tx, pi, m, p);
		return;
	}
	if (is_own_addr(p->dst_ip))
		aces_wk_drop(w, m, ACES_DROP_LOCAL);
	else if (p->proto == ACES_IPPROTO_ICMP && (p->icmp_type == ACES_ICMP_UNREACH ||
		 p->icmp_type == ACES_ICMP_TIME_EXCEEDED || p->icmp_type == ACES_ICMP_PARAM_PROBLEM))
		aces_wk_drop(w, m, ACES_DROP_ICMP_NO_FLOW);	/* about nothing a flow sent */
	else if (is_vip)
		aces_wk_drop(w, m, ACES_DROP_UNSUPPORTED);
	else
		aces_wk_drop(w, m, ACES_DROP_UNKNOWN_DEST);
}

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
		if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
			aces_wk_drop(w, m, ACES_DROP_SLOWPATH_FULL);
			return 1;
		}
		w->st.slowpath++;
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
		if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
			aces_wk_drop(w, m, ACES_DROP_SLOWPATH_FULL);
			return 1;
		}
		w->st.to_local++;
		w->st.slowpath++;
		return 1;
	}
	return 0;
}

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
		if (rte_hash_lookup_data(aces.ep_hash, &ek, &d) < 0) {
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

/*
 * Stage 1's fragments (reassembly on): @m goes to the worker that reassembles its datagram,
 * or into this worker's table; the datagram comes back once complete, parsed anew into
 * @p / @res. NULL when @m was kept, handed over or dropped. Only fragments that can be of a
 * flow are kept: to a VIP, or from a backend.
 */
static __rte_noinline struct rte_mbuf *
fragment(struct aces_worker *w, struct rte_mbuf *m, uint8_t pi, struct aces_pkt *p,
	 enum aces_parse_result *res, struct rte_mbuf *out[][ACES_BURST], uint16_t *nout,
	 int handed, uint64_t now)
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
	if (aces.n_workers > 1 && !handed) {
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
overloaded(struct aces_worker *w, uint8_t pi, int handed, uint64_t now)
{
	if (handed)
		return handed == 1 && rte_ring_count(w->handoff_ring) > ACES_HANDOFF_RING / 2;
	if (now - __atomic_load_n(&aces.rx_loss_tsc[pi], __ATOMIC_RELAXED) < aces.tsc_hz / 5)
		return 1;
	if (aces.rxq_count_ok[pi]) {
		if ((w->depth_poll[pi]++ & 3) == 0)	/* every 4th full burst: it walks descriptors */
			w->deep[pi] = rte_eth_rx_queue_count(aces.port_ids[pi], w->idx) >
				      ACES_RX_DESC / 2;
		return w->deep[pi];
	}
	return 0;
}

void
aces_wk_handle_burst(struct aces_worker *w, uint8_t pi, struct rte_mbuf **pkts, uint16_t n,
		     uint64_t now, struct tx_buf *tx, int handed)
{
	struct rte_mbuf *out[ACES_MAX_WORKERS][ACES_BURST];
	uint16_t nout[ACES_MAX_WORKERS] = { 0 };
	int sharded = aces.n_workers > 1 && !handed;
	int behind = n == ACES_BURST && overloaded(w, pi, handed, now);
	uint32_t budget = ACES_BURST;
	struct aces_flow_table *ft = w->ft;
	const struct aces_assign *a = __atomic_load_n(&aces.assign, __ATOMIC_ACQUIRE);
	struct burst b;
	uint64_t rx_bytes = 0;
	uint16_t i, j = 0;
	int likely_hits = 0;

	/* stage 1: parse, classify, hash; prefetch each flow's bucket */
	for (i = 0; i < n && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		int whole = 0;

		rx_bytes += m->pkt_len;
		b.res[j] = aces_parse_seg(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					  m->pkt_len, &b.p[j]);
		if (unlikely(b.res[j] == ACES_PARSE_FRAGMENT) && w->frag_tbl != NULL) {
			m = fragment(w, m, pi, &b.p[j], &b.res[j], out, nout, handed, now);
			if (m == NULL)
				continue;	/* kept for reassembly, handed over, or dropped */
			whole = aces.n_workers > 1;	/* its flow may be another worker's */
		}
		b.keyed[j] = b.res[j] == ACES_PARSE_IPV4 && b.p[j].has_l4;
		if (unlikely(b.res[j] == ACES_PARSE_IPV4 && b.p[j].icmp_err))
			b.keyed[j] = 2;		/* keyed by the flow it quotes */
		if (b.keyed[j]) {
			if (likely(b.keyed[j] == 1))
				classify(&b.p[j], &b.t[j]);
			else
				classify_icmp(&b.p[j], &b.t[j]);
			if (sharded || whole) {
				uint32_t o = aces_wk_flow_owner(&b.t[j]);

				if (o != w->idx) {
					out[o][nout[o]++] = m;
					continue;
				}
			}
			b.h[j] = aces_flow_hash(ft, &b.t[j]);
			aces_flow_prefetch(ft, b.h[j]);
		}
		pkts[j++] = m;
	}
	if (handed == 2) {
		w->st.held_replayed += n;
	} else if (handed) {
		w->st.handoff_in += n;
	} else {
		w->st.rx_pkts[pi] += n;
		w->st.rx_bytes[pi] += rx_bytes;
	}
	/* packets of other workers' flows (a reassembled datagram too, even one that came by
	 * hand-off as fragments); j < n also when fragments were kept */
	if (aces.n_workers > 1 && j < n)
		aces_wk_handoff(w, out, nout);
	n = j;

	/* stage 2: the entries each bucket names with the packet's signature */
	for (i = 0; i < n; i++)
		if (b.keyed[i] && aces_flow_prefetch_entries(ft, b.h[i]) != 0)
			likely_hits = 1;
	if (likely_hits)
		w->est_seen_loop = w->st.loops + 1;	/* 0: never */
	if (behind && w->est_seen_loop != 0 && w->st.loops + 1 - w->est_seen_loop < ACES_EST_RECENT)
		budget = aces.cfg->flows.overload_new_flows;

	/* stage 3, in order: each packet sees the table as the ones before it left it */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t idx;

		if (screen(w, tx, pi, m, b.res[i], &b.p[i]))
			continue;
		idx = aces_flow_lookup(ft, &b.t[i], b.h[i]);
		if (unlikely(b.keyed[i] == 2)) {	/* an ICMP error of a flow */
			if (idx != ACES_FLOW_NONE)
				aces_wk_icmp_forward(w, tx, m, &b.p[i], aces_flow_get(ft, idx),
						     (enum aces_flow_dir)b.t[i].dir);
			else
				aces_wk_drop(w, m, ACES_DROP_ICMP_NO_FLOW);
			continue;
		}
		if (idx != ACES_FLOW_NONE)
			known_flow(w, tx, m, &b.p[i], &b.t[i], b.h[i], a, &budget,
				   aces_flow_get(ft, idx), now);
		else
			new_flow(w, tx, m, &b.p[i], &b.t[i], b.h[i], a, &budget, now);
	}
}

int
aces_worker_main(void *arg)
{
	struct aces_worker *w = arg;
	struct rte_mbuf *pkts[ACES_BURST];
	struct tx_buf tx;
	uint8_t pi;

	memset(&tx, 0, sizeof(tx));
	w->ft->age_last = rte_rdtsc();
	rte_rcu_qsbr_thread_register(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_online(aces.qsbr, w->idx);
	w->loop_tsc = rte_rdtsc();
	while (!aces.force_quit) {
		uint64_t now = rte_rdtsc();
		uint16_t total = 0;

		/* A loop that begins long after the one before: the lcore lost its CPU (a core
		 * it shares), counted so an operator sees it */
		if (unlikely(now - w->loop_tsc > aces.tsc_hz / 2048))
			w->st.stalls++;
		w->loop_tsc = now;

		for (pi = 0; pi < aces.n_ports; pi++) {
			uint16_t n = rte_eth_rx_burst(aces.port_ids[pi], w->idx, pkts, ACES_BURST);

			if (n == 0)
				continue;
			total += n;
			aces_wk_handle_burst(w, pi, pkts, n, now, &tx, 0);
			aces_wk_tx_flush(w, &tx);
		}
		if (unlikely(w->replay_n != 0))
			aces_wk_replay(w, now, &tx);
		if (aces.n_workers > 1 && !rte_ring_empty(w->handoff_ring))
			total += aces_wk_take_handoffs(w, now, &tx);
		if (!rte_ring_empty(w->ctl_tx_ring))
			aces_wk_send_ctl_frames(w);
		if (unlikely(!rte_ring_empty(w->msg_ring)))
			aces_wk_poll_msgs(w);
		if (unlikely(w->reset_job != NULL))
			aces_wk_reset_step(w, &tx);
		if (unlikely(w->mig_list_seq != 0))
			aces_wk_list_step(w);
		if (w->n_drop != 0)
			aces_wk_drop_flush(w);
		aces_wk_report(w, now);
		aces_wk_pending_check(w, now);
		aces_flow_age(w->ft, now, total == 0 ? 256 : 64);
		if (w->frag_tbl != NULL)
			aces_wk_frag_age(w, now);
		w->st.loops++;
		if (total != 0) {
			if (w->st.forwarded != w->fwd_seen) {	/* the restart gap's ends */
				w->fwd_seen = w->st.forwarded;
				w->last_fwd_tsc = now;
				if (unlikely(w->first_fwd_tsc == 0))
					__atomic_store_n(&w->first_fwd_tsc, now, __ATOMIC_RELAXED);
			}
			w->st.busy_loops++;
			w->st.busy_cycles += rte_rdtsc() - now;
		}
		rte_rcu_qsbr_quiescent(aces.qsbr, w->idx);
		if (unlikely(__atomic_load_n(&aces.park, __ATOMIC_ACQUIRE))) {
			aces_wk_park(w);	/* a reload: holds nothing shared here */
			w->loop_tsc = rte_rdtsc();	/* parked is no stall */
		}
	}
	aces_wk_drop_flush(w);
	rte_rcu_qsbr_thread_offline(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(aces.qsbr, w->idx);
	return 0;
}
