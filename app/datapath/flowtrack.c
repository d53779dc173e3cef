/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flow's life on its worker: created on a first packet by the published
 * assignment, tracked through TCP's states, rescued when its backend refuses or
 * ignores the SYN, watched for a first answer, counted out when it ends. The table
 * itself is lib/flow; this room keeps the counters that follow a flow.
 */
#include <rte_ether.h>

#include "aces/chash.h"
#include "datapath/worker.h"

void
aces_wk_flow_close(struct aces_worker *w, struct aces_flow *f)
{
	struct aces_ctr *e, *b;

	if (!f->open)
		return;
	f->open = 0;
	e = &w->eps[f->ep * 2 + f->side];
	b = &w->bes[f->backend];
	e->open--;
	e->closed_flows++;
	b->open--;
	b->closed_flows++;
}

/* A flow leaves the table: its counters. */
static inline void
flow_gone(struct aces_worker *w, struct aces_flow *f)
{
	aces_wk_flow_close(w, f);
	w->eps[f->ep * 2 + f->side].flows--;
	w->bes[f->backend].flows--;
	w->st.flows_active--;
}

void
aces_wk_flow_expired(void *arg, struct aces_flow *f)
{
	struct aces_worker *w = arg;

	flow_gone(w, f);
	w->st.flows_expired++;
}

void
aces_wk_flow_delete(struct aces_worker *w, uint32_t idx)
{
	flow_gone(w, aces_flow_get(w->ft, idx));
	aces_flow_delete(w->ft, idx);
}

static const uint32_t hs_bounds_ms[ACES_HS_BUCKETS] = ACES_HS_BOUNDS_MS;

/* SYN -> SYN-ACK time into the endpoint side's histogram. */
static inline void
handshake_done(struct aces_worker *w, struct aces_flow *f, uint64_t now)
{
	uint64_t ms = now > f->created ? (now - f->created) * 1000 / aces.tsc_hz : 0;
	uint32_t b = 0;

	while (b < ACES_HS_BUCKETS - 1 && ms > hs_bounds_ms[b])
		b++;
	w->ephist[f->ep * 2 + f->side].b[b]++;
	w->eph[f->ep * 2 + f->side].handshakes++;
	w->beh[f->backend].handshakes++;
}

void
aces_wk_tcp_track(struct aces_worker *w, struct aces_flow *f, uint8_t flags,
		  enum aces_flow_dir dir, uint64_t now)
{
	if (flags & ACES_TCP_RST) {
		f->state = ACES_TCP_CLOSED;
		aces_wk_flow_close(w, f);
		return;
	}
	if (flags & ACES_TCP_FIN) {
		if (!aces_tcp_over(f->state))
			f->state = ACES_TCP_CLOSING;
		aces_wk_flow_close(w, f);
		return;
	}
	if (f->state == ACES_TCP_SYN_SENT && dir == ACES_DIR_REV &&
	    (flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == (ACES_TCP_SYN | ACES_TCP_ACK)) {
		f->state = ACES_TCP_SYN_RECV;
		f->flags |= ACES_FLOW_F_REPLIED;
		handshake_done(w, f, now);
	} else if (f->state == ACES_TCP_SYN_RECV && dir == ACES_DIR_FWD &&
		   (flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_ACK) {
		f->state = ACES_TCP_ESTABLISHED;
	} else if (f->state == ACES_TCP_SYN_SENT && dir == ACES_DIR_FWD &&
		   (flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_ACK &&
		   aces.cfg->routing.n_return != 0) {
		/* the backend's SYN-ACK went back through another instance (the routers spread
		 * the replies: routing.return_prefixes): the client's ACK says it came */
		f->state = ACES_TCP_ESTABLISHED;
		f->flags |= ACES_FLOW_F_REPLIED;
		w->st.handshakes_elsewhere++;
	} else if (unlikely(f->state == ACES_TCP_ADOPTED) &&
		   (dir == ACES_DIR_REV) != !!(f->flags & ACES_FLOW_F_ADOPTED_REV)) {
		f->state = ACES_TCP_ESTABLISHED;	/* both ends of the adopted flow are there */
	}
}

/*
 * A connection that never got going: the backend refused the SYN (RST) or did not
 * answer it in syn_timeout_ms. The refusal is counted and dropped and the flow
 * forgotten, so the client's retransmitted SYN (about a second later) is steered
 * again by the table of that moment; a retransmission after the timeout is
 * re-steered at once.
 */
int
aces_wk_syn_rescue(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		   struct aces_flow *f, enum aces_flow_dir dir, uint64_t now)
{
	uint32_t idx = (uint32_t)(f - w->ft->flows);

	if (dir == ACES_DIR_REV && (p->tcp_flags & ACES_TCP_RST)) {
		w->eph[f->ep * 2 + f->side].refused++;
		w->beh[f->backend].refused++;
		if (!aces.cfg->manager.health.rescue_syn)
			return 0;
		w->eph[f->ep * 2 + f->side].syn_rescued++;
		w->beh[f->backend].syn_rescued++;
		aces_wk_flow_delete(w, idx);
		aces_wk_drop(w, m, ACES_DROP_SYN_REFUSED);
		return 1;
	}
	if (dir == ACES_DIR_FWD && aces.cfg->manager.health.rescue_syn &&
	    (p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_SYN &&
	    now - f->created > aces_dp.syn_timeout_tsc) {
		w->eph[f->ep * 2 + f->side].syn_rescued++;
		w->beh[f->backend].syn_rescued++;
		w->st.flows_rescued++;
		aces_wk_flow_delete(w, idx);
		return 1;	/* the caller creates the flow anew */
	}
	return 0;
}

/* Watch a new flow for its first answer (SYN timeout, UDP without reply). */
static inline void
pending_push(struct aces_worker *w, uint32_t idx, uint32_t gen, uint64_t now)
{
	struct aces_pending *e;

	if (w->pend_tail - w->pend_head >= ACES_PEND_SIZE) {
		w->st.pending_full++;
		return;
	}
	e = &w->pend[w->pend_tail++ & (ACES_PEND_SIZE - 1)];
	e->idx = idx;
	e->gen = gen;
	e->created_tsc = now;
}

/* Oldest first: stop at the first flow still within its time. */
void
aces_wk_pending_check(struct aces_worker *w, uint64_t now)
{
	uint32_t budget = 64;

	while (w->pend_head != w->pend_tail && budget-- > 0) {
		const struct aces_pending *e = &w->pend[w->pend_head & (ACES_PEND_SIZE - 1)];
		struct aces_flow *f = aces_flow_get(w->ft, e->idx);

		if (f->in_use && f->gen == e->gen &&
		    !(f->flags & ACES_FLOW_F_REPLIED) &&
		    (f->proto != ACES_IPPROTO_TCP || f->state == ACES_TCP_SYN_SENT)) {
			if (now - e->created_tsc <= aces_dp.syn_timeout_tsc)
				return;
			f->flags |= ACES_FLOW_F_TIMED_OUT;
			if (__atomic_load_n(&aces_loss.rx_loss_tsc[aces.backend_pi], __ATOMIC_RELAXED) >
			    e->created_tsc) {
				/* the backend port lost received packets since: the answer may
				 * have been among them, which is no fault of the backend's */
				w->st.timeouts_own_loss++;
			} else if (f->proto == ACES_IPPROTO_TCP) {
				w->eph[f->ep * 2 + f->side].syn_timeouts++;
				w->beh[f->backend].syn_timeouts++;
			} else {
				w->eph[f->ep * 2 + f->side].udp_noreply++;
				w->beh[f->backend].udp_noreply++;
			}
		}
		w->pend_head++;
	}
}

/*
 * The side (by the endpoint's replacement weight) and the backend (by the side's
 * consistent-hash table) of a new connection, both from its steering hash.
 */
static inline uint16_t
steer(const struct aces_assign *a, uint16_t ep, uint32_t sh, uint8_t *side)
{
	uint8_t weight = a->weight[ep];

	if (weight == 0)
		*side = ACES_SIDE_ORIGINAL;
	else if (weight >= 100)
		*side = ACES_SIDE_REPLACEMENT;
	else
		*side = (aces_chash_mix32(sh) % 100) < weight ? ACES_SIDE_REPLACEMENT :
								ACES_SIDE_ORIGINAL;
	return a->chash[*side][aces_steer_bucket(sh)];
}

#define ACES_FULL_REAP	64	/**< buckets looked at when a full table meets a new flow */

/*
 * Put flow @t (its forward tuple: client and VIP ends) in the table, to backend @b on
 * @side. @adopt: a connection already under way (its first packet was seen by an
 * earlier process); it is no attempt for the health signals and is not watched for a
 * first answer. @client_mac: where replies go (NULL: not known, the client gateway's).
 */
static struct aces_flow *
flow_make(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
	  const struct aces_flow_tuple *t, uint64_t h, uint16_t ep, uint16_t b, uint8_t side,
	  int adopt, const uint8_t *client_mac, uint64_t now)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_flow_tuple rt;
	struct rte_ether_addr mac;
	struct aces_flow *f;
	uint32_t old;
	int idx;

	if (unlikely(b == ACES_CHASH_NONE)) {
		aces_wk_drop(w, m, ACES_DROP_NO_BACKEND);
		return NULL;
	}
	if (unlikely(!aces_wk_neigh_mac(aces_nh.backend_nh[b], &mac))) {
		aces_wk_drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
		return NULL;
	}
	/* Replies must find one flow: is the backend end of this one taken by another
	 * flow of the same client end (the same bucket chain, in cache)? By a connection
	 * that is over (FIN/RST seen): the client reused its port, so the old flow goes,
	 * as conntrack does for TIME_WAIT. By a live one: the backend could not tell the
	 * two apart. */
	rt = (struct aces_flow_tuple){ .client_ip = t->client_ip, .client_port = t->client_port,
				       .proto = t->proto, .dir = ACES_DIR_REV,
				       .peer_ip = aces.cfg->backends[b].addr,
				       .peer_port = rte_cpu_to_be_16(aces.cfg->endpoints[ep].backend_port) };
	old = aces_flow_lookup(ft, &rt, h);
	if (unlikely(old != ACES_FLOW_NONE)) {
		f = aces_flow_get(ft, old);
		if (f->proto != ACES_IPPROTO_TCP || !aces_tcp_over(f->state)) {
			aces_wk_drop(w, m, ACES_DROP_FLOW_CONFLICT);
			return NULL;
		}
		aces_wk_flow_delete(w, old);
		w->st.flows_reused++;
	}
	idx = aces_flow_insert(ft, t, h, now);
	if (unlikely(idx < 0)) {
		/* expired flows may wait for the sweep: look further once per loop */
		if (w->forced_loop != w->st.loops + 1) {
			w->forced_loop = w->st.loops + 1;
			aces_flow_reap(ft, now, ACES_FULL_REAP);
			idx = aces_flow_insert(ft, t, h, now);
		}
		if (idx < 0) {
			aces_wk_drop(w, m, ACES_DROP_TABLE_FULL);
			return NULL;
		}
	}
	f = aces_flow_get(ft, (uint32_t)idx);
	f->backend_ip = rt.peer_ip;
	f->backend_port = rt.peer_port;
	f->backend = b;
	f->ep = ep;
	f->side = side;
	if (client_mac != NULL)
		memcpy(f->client_mac, client_mac, RTE_ETHER_ADDR_LEN);
	else
		memset(f->client_mac, 0, RTE_ETHER_ADDR_LEN);
	f->open = 1;
	f->cli_nxt = 0;
	f->srv_nxt = 0;
	/* the loop's clock: a SYN-ACK handled in the same loop must not look older */
	f->created = now;
	if (!adopt) {
		f->state = p->proto == ACES_IPPROTO_TCP ? ACES_TCP_SYN_SENT : ACES_UDP_ACTIVE;
		w->eph[ep * 2 + side].attempts++;
		w->beh[b].attempts++;
		pending_push(w, (uint32_t)idx, f->gen, now);
		w->st.flows_created++;
	} else {
		/* an adopted connection lives as long as a handshake until its other end
		 * answers: a flood of made-up ACKs costs no more table than one of SYNs */
		f->state = p->proto != ACES_IPPROTO_TCP ? ACES_UDP_ACTIVE :
			   (p->tcp_flags & ACES_TCP_FIN) ? ACES_TCP_CLOSING : ACES_TCP_ADOPTED;
		f->flags |= ACES_FLOW_F_REPLIED |
			    (client_mac == NULL ? ACES_FLOW_F_ADOPTED_REV : 0);
		w->st.flows_adopted++;
	}
	w->st.flows_active++;
	{
		struct aces_ctr *ec = &w->eps[ep * 2 + side], *bc = &w->bes[b];

		if (!adopt) {
			ec->new_flows++;
			bc->new_flows++;
		}
		ec->flows++;
		ec->open++;
		bc->flows++;
		bc->open++;
	}
	if (adopt && f->state == ACES_TCP_CLOSING)
		aces_wk_flow_close(w, f);	/* taken up at its FIN: over already */
	return f;
}

struct aces_flow *
aces_wk_flow_create(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		    const struct aces_flow_tuple *t, uint64_t h, const struct aces_assign *a,
		    uint16_t ep, uint64_t now)
{
	uint8_t side;
	uint16_t b = steer(a, ep, aces_steer_hash(t), &side);

	return flow_make(w, m, p, t, h, ep, b, side, 0,
			 rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes, now);
}

/* The side every new flow of @ep goes to, or -1 while it is split between the two. */
static inline int
whole_side(const struct aces_assign *a, uint16_t ep)
{
	uint8_t weight = a->weight[ep];

	return weight == 0 ? ACES_SIDE_ORIGINAL : weight >= 100 ? ACES_SIDE_REPLACEMENT : -1;
}

/*
 * A packet from a backend that matches no flow may come from where a held flow is moving:
 * the new socket answering before the flow is re-pointed there. A copy is kept for the held
 * flow (processed again once it is released, re-pointed: then it matches) and the packet
 * dropped as held. 1 when it was.
 */
static int
held_reply(struct aces_worker *w, struct rte_mbuf *m, const struct aces_flow_tuple *t)
{
	struct aces_flow_tuple fwd = { .client_ip = t->client_ip, .client_port = t->client_port,
				       .proto = t->proto, .dir = ACES_DIR_FWD };
	uint32_t e, idx;

	if (w->held_total == 0)
		return 0;	/* nothing held by this worker: the common case, at once */
	for (e = aces_dp.ep_bport_head[aces_bport_head(t->peer_port, t->proto)]; e != 0;
	     e = aces_dp.ep_bport_next[e - 1]) {
		const struct aces_cfg_endpoint *c = &aces.cfg->endpoints[e - 1];

		if (c->proto != t->proto || rte_cpu_to_be_16(c->backend_port) != t->peer_port)
			continue;
		fwd.peer_ip = c->vip;
		fwd.peer_port = rte_cpu_to_be_16(c->port);
		idx = aces_flow_lookup(w->ft, &fwd, aces_flow_hash(w->ft, &fwd));
		if (idx != ACES_FLOW_NONE && (aces_flow_get(w->ft, idx)->flags & ACES_FLOW_F_HELD)) {
			aces_wk_held_keep(w, m, idx);
			aces_wk_drop(w, m, ACES_DROP_FLOW_HELD);
			return 1;
		}
	}
	return 0;
}

struct aces_flow *
aces_wk_flow_adopt(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		   const struct aces_flow_tuple *t, uint64_t h, const struct aces_assign *a,
		   int ep, uint64_t now)
{
	struct aces_flow_tuple fwd;
	uint16_t b;
	int side, be, found = -1;
	uint8_t s;
	uint32_t e;

	/* a RST ends nothing we know of; a SYN is no connection under way: neither is adopted,
	 * but a backend's SYN-ACK is when the routers spread the replies over the instances
	 * (routing.return_prefixes): the SYN went through another one */
	if (p->proto == ACES_IPPROTO_TCP && (p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_RST)) &&
	    !(t->dir == ACES_DIR_REV && aces.cfg->routing.n_return != 0 &&
	      (p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK | ACES_TCP_RST)) ==
	      (ACES_TCP_SYN | ACES_TCP_ACK))) {
		aces_wk_drop(w, m, ACES_DROP_NO_FLOW);
		return NULL;
	}
	if (t->dir == ACES_DIR_FWD) {
		side = whole_side(a, (uint16_t)ep);
		if (side < 0) {
			aces_wk_drop(w, m, ACES_DROP_NO_FLOW_SPLIT);
			return NULL;
		}
		b = steer(a, (uint16_t)ep, aces_steer_hash(t), &s);
		return flow_make(w, m, p, t, h, (uint16_t)ep, b, s, 1,
				 rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes,
				 now);
	}
	/* A reply: from a backend, to a client the replies reach through the client
	 * gateway (its own MAC is not known here). Its endpoint is the one using the
	 * backend's port whose steering sends this client's connection to that backend. */
	be = aces_backend_by_addr(t->peer_ip);
	if (be >= 0 && held_reply(w, m, t))
		return NULL;
	if (be < 0 || aces_nh.client_gw_nh < 0) {
		aces_wk_drop(w, m, ACES_DROP_NO_FLOW);
		return NULL;
	}
	fwd = (struct aces_flow_tuple){ .client_ip = t->client_ip, .client_port = t->client_port,
					.proto = t->proto, .dir = ACES_DIR_FWD };
	for (e = aces_dp.ep_bport_head[aces_bport_head(t->peer_port, t->proto)]; e != 0;
	     e = aces_dp.ep_bport_next[e - 1]) {
		const struct aces_cfg_endpoint *c = &aces.cfg->endpoints[e - 1];

		if (c->proto != t->proto || rte_cpu_to_be_16(c->backend_port) != t->peer_port)
			continue;
		side = whole_side(a, (uint16_t)(e - 1));
		if (side < 0 || (int)aces.cfg->backends[be].side != side)
			continue;
		fwd.peer_ip = c->vip;
		fwd.peer_port = rte_cpu_to_be_16(c->port);
		if (steer(a, (uint16_t)(e - 1), aces_steer_hash(&fwd), &s) != be)
			continue;
		if (found >= 0) {	/* two endpoints would send it there: not ours to pick */
			aces_wk_drop(w, m, ACES_DROP_NO_FLOW);
			return NULL;
		}
		found = (int)(e - 1);
	}
	if (found < 0) {
		aces_wk_drop(w, m, ACES_DROP_NO_FLOW);
		return NULL;
	}
	fwd.peer_ip = aces.cfg->endpoints[found].vip;
	fwd.peer_port = rte_cpu_to_be_16(aces.cfg->endpoints[found].port);
	return flow_make(w, m, p, &fwd, h, (uint16_t)found, (uint16_t)be,
			 (uint8_t)aces.cfg->backends[be].side, 1, NULL, now);
}
