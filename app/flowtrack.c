/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flow's life on its worker: created on a first packet by the published
 * assignment, tracked through TCP's states, rescued when its backend refuses or
 * ignores the SYN, watched for a first answer, counted out when it ends. The table
 * itself is lib/flow; this room keeps the counters that follow a flow.
 */
#include <rte_ether.h>

#include "aces/chash.h"
#include "worker.h"

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
		if (f->state < ACES_TCP_CLOSING)
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
		w->eph[f->ep * 2 + f->side].rescued++;
		w->beh[f->backend].rescued++;
		aces_wk_flow_delete(w, idx);
		aces_wk_drop(w, m, ACES_DROP_SYN_REFUSED);
		return 1;
	}
	if (dir == ACES_DIR_FWD && aces.cfg->manager.health.rescue_syn &&
	    (p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_SYN &&
	    now - f->created > aces.syn_timeout_tsc) {
		w->eph[f->ep * 2 + f->side].rescued++;
		w->beh[f->backend].rescued++;
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
			if (now - e->created_tsc <= aces.syn_timeout_tsc)
				return;
			f->flags |= ACES_FLOW_F_TIMED_OUT;
			if (f->proto == ACES_IPPROTO_TCP) {
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
	return a->chash[*side][aces_chash_mix32(sh ^ 0x9e3779b9u) & (ACES_CHASH_SIZE - 1)];
}

#define ACES_FULL_REAP	64	/**< buckets looked at when a full table meets a new flow */

struct aces_flow *
aces_wk_flow_create(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		    const struct aces_flow_tuple *t, uint64_t h, const struct aces_assign *a,
		    uint16_t ep, uint64_t now)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_flow_tuple rt;
	struct rte_ether_addr mac;
	struct aces_flow *f;
	uint32_t old;
	uint8_t side;
	uint16_t b = steer(a, ep, aces_wk_steer_hash(t), &side);
	int idx;

	if (unlikely(b == ACES_CHASH_NONE)) {
		aces_wk_drop(w, m, ACES_DROP_NO_BACKEND);
		return NULL;
	}
	if (unlikely(!aces_wk_neigh_mac(aces.backend_nh[b], &mac))) {
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
		if (f->proto != ACES_IPPROTO_TCP || f->state < ACES_TCP_CLOSING) {
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
	f->state = p->proto == ACES_IPPROTO_TCP ? ACES_TCP_SYN_SENT : ACES_UDP_ACTIVE;
	memcpy(f->client_mac, rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes,
	       RTE_ETHER_ADDR_LEN);
	f->open = 1;
	f->cli_nxt = 0;
	f->srv_nxt = 0;
	/* the loop's clock: a SYN-ACK handled in the same loop must not look older */
	f->created = now;
	w->eph[ep * 2 + side].attempts++;
	w->beh[b].attempts++;
	pending_push(w, (uint32_t)idx, f->gen, now);
	w->st.flows_created++;
	w->st.flows_active++;
	{
		struct aces_ctr *ec = &w->eps[ep * 2 + side], *bc = &w->bes[b];

		ec->new_flows++;
		ec->flows++;
		ec->open++;
		bc->new_flows++;
		bc->flows++;
		bc->open++;
	}
	return f;
}
