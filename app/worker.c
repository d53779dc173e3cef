/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: RX burst -> parse -> flow lookup (bulk) -> create on first
 * packet by the published assignment -> NAT rewrite -> TX burst.
 * Runs to completion, never blocks, never allocates, never takes a lock.
 * The only shared state it reads is the RCU-published assignment table, the
 * read-only endpoint hash and the neighbour MAC words.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "aces/parse.h"
#include "aces.h"
#include "flow.h"
#include "frame.h"

#define PREFETCH_OFFSET 3
#define ACES_FULL_REAP	64	/**< entries looked at when a full table meets a new flow */
#define ACES_EST_RECENT	1024	/**< loops after an established packet that count as "recent" */
#define ACES_EPX_NONE	0xffff	/**< the bulk endpoint lookup found none */
#define ACES_EPX_UNKNOWN 0xfffe	/**< not looked up in bulk */

struct tx_buf {
	uint16_t n[ACES_MAX_PORTS];
	struct rte_mbuf *pkts[ACES_MAX_PORTS][ACES_BURST];
};

static void
drop_flush(struct aces_worker *w)
{
	rte_pktmbuf_free_bulk(w->dropq, w->n_drop);
	w->n_drop = 0;
}

/* Count and free: in bulk, once per loop or every ACES_DROPQ packets (a flood is cheap). */
static inline void
drop(struct aces_worker *w, struct rte_mbuf *m, enum aces_drop r)
{
	w->st.drops[r]++;
	w->dropq[w->n_drop++] = m;
	if (unlikely(w->n_drop == ACES_DROPQ))
		drop_flush(w);
}

static inline void
tx_enqueue(struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m)
{
	tx->pkts[pi][tx->n[pi]++] = m;
}

static void
tx_flush(struct aces_worker *w, struct tx_buf *tx)
{
	uint8_t pi;

	for (pi = 0; pi < aces.n_ports; pi++) {
		uint16_t n = tx->n[pi], sent, i;
		uint64_t bytes = 0;

		if (n == 0)
			continue;
		for (i = 0; i < n; i++)
			bytes += tx->pkts[pi][i]->pkt_len;
		sent = rte_eth_tx_burst(aces.port_ids[pi], w->idx, tx->pkts[pi], n);
		for (i = sent; i < n; i++) {
			bytes -= tx->pkts[pi][i]->pkt_len;
			drop(w, tx->pkts[pi][i], ACES_DROP_TX_FULL);
		}
		w->st.tx_pkts[pi] += sent;
		w->st.tx_bytes[pi] += bytes;
		tx->n[pi] = 0;
	}
}

static inline uint16_t
rd16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
wr16(void *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Read a neighbour's MAC; 0 when unresolved. */
static inline int
neigh_mac(uint32_t nh, struct rte_ether_addr *out)
{
	uint64_t v = __atomic_load_n(&aces.neigh[nh].mac, __ATOMIC_ACQUIRE);

	if (unlikely((v & ACES_NEIGH_VALID) == 0))
		return 0;
	memcpy(out->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 1;
}

/* A flow stops counting as open (FIN, RST, reset, expiry): once. */
static inline void
flow_close(struct aces_worker *w, struct aces_flow *f)
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

static const uint32_t hs_bounds_ms[ACES_HS_BUCKETS] = ACES_HS_BOUNDS_MS;

/* SYN -> SYN-ACK time into the endpoint side's histogram. */
static inline void
handshake_done(struct aces_worker *w, struct aces_flow *f, uint64_t now)
{
	uint64_t ms = now > f->created_tsc ? (now - f->created_tsc) * 1000 / aces.tsc_hz : 0;
	uint32_t b = 0;

	while (b < ACES_HS_BUCKETS - 1 && ms > hs_bounds_ms[b])
		b++;
	w->ephist[f->ep * 2 + f->side].b[b]++;
	w->eph[f->ep * 2 + f->side].handshakes++;
	w->beh[f->backend].handshakes++;
}

static inline void
tcp_track(struct aces_worker *w, struct aces_flow *f, uint8_t flags, enum aces_flow_dir dir,
	  uint64_t now)
{
	if (flags & ACES_TCP_RST) {
		f->state = ACES_TCP_CLOSED;
		flow_close(w, f);
		return;
	}
	if (flags & ACES_TCP_FIN) {
		if (f->state < ACES_TCP_CLOSING)
			f->state = ACES_TCP_CLOSING;
		flow_close(w, f);
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

/* Remove flow @idx whose two keys (and their hashes) the caller worked out. */
static void
flow_delete_keys(struct aces_worker *w, uint32_t idx, const struct aces_flow_key *k,
		 const hash_sig_t *sig)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_flow *f = &ft->flows[idx];

	rte_hash_del_key_with_hash(ft->h, &k[0], sig[0]);
	rte_hash_del_key_with_hash(ft->h, &k[1], sig[1]);
	flow_close(w, f);
	w->eps[f->ep * 2 + f->side].flows--;
	w->bes[f->backend].flows--;
	w->st.flows_active--;
	f->in_use = 0;
	ft->free_stack[ft->n_free++] = idx;
	ft->n_deleted++;
}

/* A flow's two keys (client side, backend side) and their hashes, from its entry. */
static inline void
flow_keys(const struct aces_flow_table *ft, const struct aces_flow *f, struct aces_flow_key *k,
	  hash_sig_t *sig)
{
	aces_flow_key_set(&k[0], f->client_ip, aces.cfg->endpoints[f->ep].vip, f->client_port,
			  f->vip_port, f->proto);
	aces_flow_key_set(&k[1], f->backend_ip, f->client_ip, f->backend_port, f->client_port,
			  f->proto);
	sig[0] = rte_hash_hash(ft->h, &k[0]);
	sig[1] = rte_hash_hash(ft->h, &k[1]);
}

static void
flow_delete(struct aces_worker *w, uint32_t idx)
{
	struct aces_flow_key k[2];
	hash_sig_t sig[2];

	flow_keys(w->ft, &w->ft->flows[idx], k, sig);
	flow_delete_keys(w, idx, k, sig);
}

#define ACES_REAP_BATCH 8

/*
 * Delete a batch of flows. Their keys are looked up in bulk first: rte_hash has no
 * prefetch call, and the bulk lookup overlaps the bucket and key misses that the
 * deletes would otherwise take one after another.
 */
static void
flow_delete_batch(struct aces_worker *w, const uint32_t *idx, unsigned int n)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_flow_key keys[2 * ACES_REAP_BATCH];
	const void *kp[2 * ACES_REAP_BATCH];
	hash_sig_t sigs[2 * ACES_REAP_BATCH];
	int32_t pos[2 * ACES_REAP_BATCH];
	unsigned int i;

	for (i = 0; i < n; i++) {
		flow_keys(ft, &ft->flows[idx[i]], &keys[2 * i], &sigs[2 * i]);
		kp[2 * i] = &keys[2 * i];
		kp[2 * i + 1] = &keys[2 * i + 1];
	}
	rte_hash_lookup_with_hash_bulk(ft->h, kp, sigs, 2 * n, pos);
	for (i = 0; i < n; i++)
		flow_delete_keys(w, idx[i], &keys[2 * i], &sigs[2 * i]);
	w->st.flows_expired += n;
}

/* Look at the next @n entries of the table and reap the expired ones. */
static void
flow_reap(struct aces_worker *w, uint64_t now, uint32_t n)
{
	struct aces_flow_table *ft = w->ft;
	uint32_t cur = ft->age_cursor, cap = ft->capacity;
	uint32_t batch[ACES_REAP_BATCH];
	unsigned int nb = 0;

	while (n-- > 0) {
		struct aces_flow *f = &ft->flows[cur];

		rte_prefetch0(&ft->flows[cur + 8 < cap ? cur + 8 : cur + 8 - cap]);
		if (f->in_use && now - f->last_tsc > aces.to_state[f->state]) {
			batch[nb++] = cur;
			if (nb == ACES_REAP_BATCH) {
				flow_delete_batch(w, batch, nb);
				nb = 0;
			}
		}
		if (++cur == cap)
			cur = 0;
	}
	if (nb > 0)
		flow_delete_batch(w, batch, nb);
	ft->age_cursor = cur;
}

/*
 * Aging paced by time: the cursor passes every entry once per age_sweep_tsc, so its
 * cost follows the table size and the timeouts, not the packet rate; at most @max
 * entries per call, so a worker never stalls.
 */
static void
flow_age(struct aces_worker *w, uint64_t now, uint32_t max)
{
	struct aces_flow_table *ft = w->ft;
	uint64_t gap = RTE_MIN(now - ft->age_last_tsc, aces.age_sweep_tsc);
	uint64_t due = RTE_MIN(ft->age_due + gap * ft->age_rate, (uint64_t)ft->capacity << 32);
	uint32_t n = (uint32_t)RTE_MIN(due >> 32, (uint64_t)max);

	ft->age_last_tsc = now;
	ft->age_due = due - ((uint64_t)n << 32);
	if (n > 0 && ft->n_free != ft->capacity)
		flow_reap(w, now, n);
}

/*
 * A connection that never got going: the backend refused the SYN (RST) or did not
 * answer it in syn_timeout_ms. The refusal is counted and dropped and the flow
 * forgotten, so the client's retransmitted SYN (about a second later) is steered
 * again by the table of that moment; a retransmission after the timeout is
 * re-steered at once. Returns 1 when the packet was consumed or must be decided
 * again (then the flow is gone).
 */
static int
syn_rescue(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
	   struct aces_flow *f, uint32_t idx, enum aces_flow_dir dir, uint64_t now)
{
	if (dir == ACES_DIR_REV && (p->tcp_flags & ACES_TCP_RST)) {
		w->eph[f->ep * 2 + f->side].refused++;
		w->beh[f->backend].refused++;
		if (!aces.cfg->manager.health.rescue_syn)
			return 0;
		w->eph[f->ep * 2 + f->side].rescued++;
		w->beh[f->backend].rescued++;
		flow_delete(w, idx);
		drop(w, m, ACES_DROP_SYN_REFUSED);
		return 1;
	}
	if (dir == ACES_DIR_FWD && aces.cfg->manager.health.rescue_syn &&
	    (p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == ACES_TCP_SYN &&
	    now - f->created_tsc > aces.syn_timeout_tsc) {
		w->eph[f->ep * 2 + f->side].rescued++;
		w->beh[f->backend].rescued++;
		w->st.flows_rescued++;
		flow_delete(w, idx);
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
static void
pending_check(struct aces_worker *w, uint64_t now)
{
	struct aces_flow_table *ft = w->ft;
	uint32_t budget = 64;

	while (w->pend_head != w->pend_tail && budget-- > 0) {
		const struct aces_pending *e = &w->pend[w->pend_head & (ACES_PEND_SIZE - 1)];
		struct aces_flow *f = &ft->flows[e->idx];

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
 * What a new flow will be: its side and backend (by the published assignment and
 * the hash of its client key), its backend side key, and whether that key is taken.
 * Worked out for a whole burst before the flows are created, so the backend side
 * keys are looked up in bulk (their cache misses overlap).
 */
struct flow_plan {
	struct aces_flow_key rk;	/**< backend -> client key */
	hash_sig_t sig;			/**< hash of the client key */
	hash_sig_t rs;			/**< hash of rk */
	void *rdata;			/**< rk's data when rhit */
	uint16_t b;			/**< backend, or ACES_CHASH_NONE */
	uint8_t side;
	uint8_t rhit;			/**< rk was in the table at the bulk lookup */
	uint8_t rvalid;			/**< rhit/rdata still hold (set by the caller) */
};

static inline void
flow_plan(struct flow_plan *pl, const struct aces_assign *a, const struct aces_pkt *p,
	  uint16_t ep, hash_sig_t sig, const struct rte_hash *h)
{
	uint8_t weight = a->weight[ep];

	pl->sig = sig;
	if (weight == 0)
		pl->side = ACES_SIDE_ORIGINAL;
	else if (weight >= 100)
		pl->side = ACES_SIDE_REPLACEMENT;
	else
		pl->side = (aces_chash_mix32(sig) % 100) < weight ? ACES_SIDE_REPLACEMENT :
								     ACES_SIDE_ORIGINAL;
	pl->b = a->chash[pl->side][aces_chash_mix32(sig ^ 0x9e3779b9u) & (ACES_CHASH_SIZE - 1)];
	pl->rvalid = 0;
	if (pl->b == ACES_CHASH_NONE)
		return;
	aces_flow_key_set(&pl->rk, aces.cfg->backends[pl->b].addr, p->src_ip,
			  rte_cpu_to_be_16(aces.cfg->endpoints[ep].backend_port), p->src_port,
			  p->proto);
	pl->rs = rte_hash_hash(h, &pl->rk);
}

/*
 * Create a flow for a first packet to endpoint @ep as planned in @pl (the caller
 * says in pl->rvalid whether the bulk answer for the backend side key still holds).
 * Returns the index or -1 (dropped).
 */
static int
flow_create(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
	    const struct aces_flow_key *key, const struct flow_plan *pl, uint16_t ep, uint64_t now)
{
	struct aces_flow_table *ft = w->ft;
	const struct aces_cfg_backend *be;
	const struct aces_flow_key *rk = &pl->rk;
	struct rte_ether_addr mac;
	struct aces_flow *f;
	hash_sig_t sig = pl->sig, rs = pl->rs;
	uint32_t idx, deleted = ft->n_deleted;
	uint8_t side = pl->side;
	uint16_t b = pl->b;
	int ret;

	if (unlikely(b == ACES_CHASH_NONE)) {
		drop(w, m, ACES_DROP_NO_BACKEND);
		return -1;
	}
	if (unlikely(ft->n_free == 0)) {
		/* expired flows may wait for the sweep: look further once per loop */
		if (ft->age_last_tsc != ft->forced_tsc) {
			ft->forced_tsc = ft->age_last_tsc;
			flow_reap(w, now, ACES_FULL_REAP);
		}
		if (ft->n_free == 0) {
			drop(w, m, ACES_DROP_TABLE_FULL);
			return -1;
		}
	}
	if (unlikely(!neigh_mac(aces.backend_nh[b], &mac))) {
		drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
		return -1;
	}
	be = &aces.cfg->backends[b];
	{
		void *d = pl->rdata;
		/* the caller's answer, unless the reap above has just deleted flows */
		int taken = pl->rvalid && ft->n_deleted == deleted ? pl->rhit :
			    rte_hash_lookup_with_hash_data(ft->h, rk, rs, &d) >= 0;

		/* The backend-side tuple is taken. By a connection that is over (FIN/RST
		 * seen): the client reused its port, so the old flow goes, as conntrack does
		 * for TIME_WAIT. By a live one: the backend could not tell the two apart. */
		if (unlikely(taken)) {
			uint32_t old = (uint32_t)((uintptr_t)d >> 1);

			if (ft->flows[old].proto != ACES_IPPROTO_TCP ||
			    ft->flows[old].state < ACES_TCP_CLOSING) {
				drop(w, m, ACES_DROP_FLOW_CONFLICT);
				return -1;
			}
			flow_delete(w, old);
			w->st.flows_reused++;
		}
	}
	idx = ft->free_stack[ft->n_free - 1];
	ret = rte_hash_add_key_with_hash_data(ft->h, key, sig, aces_flow_data(idx, ACES_DIR_FWD));
	if (likely(ret == 0))
		ret = rte_hash_add_key_with_hash_data(ft->h, rk, rs,
						      aces_flow_data(idx, ACES_DIR_REV));
	if (unlikely(ret != 0)) {
		rte_hash_del_key_with_hash(ft->h, key, sig);
		drop(w, m, ACES_DROP_TABLE_FULL);
		return -1;
	}
	ft->n_free--;
	f = &ft->flows[idx];
	f->client_ip = p->src_ip;
	f->client_port = p->src_port;
	f->vip_port = p->dst_port;
	f->backend_ip = be->addr;
	f->backend_port = rk->src_port;
	f->backend = b;
	f->ep = ep;
	f->side = side;
	f->proto = p->proto;
	f->in_use = 1;
	f->state = p->proto == ACES_IPPROTO_TCP ? ACES_TCP_SYN_SENT : ACES_UDP_ACTIVE;
	memcpy(f->client_mac, rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes,
	       RTE_ETHER_ADDR_LEN);
	f->open = 1;
	f->flags = 0;
	f->cli_nxt = 0;
	f->srv_nxt = 0;
	/* the loop's clock: a SYN-ACK handled in the same loop must not look older */
	f->created_tsc = now;
	f->last_tsc = now;
	w->eph[ep * 2 + side].attempts++;
	w->beh[b].attempts++;
	f->gen++;
	pending_push(w, idx, f->gen, f->created_tsc);
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
	return (int)idx;
}

/* Answer an ICMP echo request in place, out of the port it came in on. */
static void
echo_reply(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
	   const struct aces_pkt *p)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((uint8_t *)eth + p->l2_len);
	uint8_t *icmp = (uint8_t *)ip + p->l3_len;
	uint16_t old = rd16(icmp), ck;
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
	ck = aces_cksum_update16(ck, old, rd16(icmp));
	memcpy(icmp + 2, &ck, 2);
	w->st.icmp_echo_replies++;
	tx_enqueue(tx, pi, m);
}

static inline int
is_own_addr(uint32_t a)
{
	return a == aces.cfg->client.addr || a == aces.cfg->backend.addr;
}

/* Forward a packet of flow @f in direction @dir: NAT, MACs, TTL, queue for TX. */
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
		drop(w, m, ACES_DROP_TTL);
		return;
	}
	if (dir == ACES_DIR_FWD) {
		if (unlikely(!neigh_mac(aces.backend_nh[f->backend], &mac))) {
			drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
			return;
		}
		aces_nat_rewrite(ip, l4, p->proto, ACES_NAT_DST, f->backend_ip, f->backend_port);
		out = aces.backend_pi;
	} else {
		f->flags |= ACES_FLOW_F_REPLIED;
		if (aces.client_gw_nh >= 0) {
			if (unlikely(!neigh_mac((uint32_t)aces.client_gw_nh, &mac))) {
				drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
				return;
			}
		} else {
			memcpy(mac.addr_bytes, f->client_mac, RTE_ETHER_ADDR_LEN);
		}
		aces_nat_rewrite(ip, l4, p->proto, ACES_NAT_SRC, aces.cfg->endpoints[f->ep].vip,
				 f->vip_port);
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
	f->last_tsc = now;
	{
		struct aces_ctr *ec = &w->eps[f->ep * 2 + f->side], *bc = &w->bes[f->backend];

		ec->pkts++;
		ec->bytes += m->pkt_len;
		bc->pkts++;
		bc->bytes += m->pkt_len;
	}
	w->st.forwarded++;
	tx_enqueue(tx, out, m);
}

static void
handle_ipv4_other(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m,
		  const struct aces_pkt *p)
{
	int is_vip = aces_is_vip(p->dst_ip);

	if (p->proto == ACES_IPPROTO_ICMP && p->icmp_type == 8 &&
	    (is_vip || is_own_addr(p->dst_ip))) {
		echo_reply(w, tx, pi, m, p);
		return;
	}
	if (is_own_addr(p->dst_ip))
		drop(w, m, ACES_DROP_LOCAL);
	else if (is_vip)
		drop(w, m, ACES_DROP_UNSUPPORTED);
	else
		drop(w, m, ACES_DROP_UNKNOWN_DEST);
}

/*
 * Several workers: a flow belongs to the worker chosen by its client address and
 * port, which both directions carry (client -> VIP as source, backend -> client
 * as destination), so each flow lives in exactly one table whatever queue the NIC
 * (or af_packet's fanout) put its packets on.
 */
static inline uint32_t
flow_owner(uint8_t pi, const struct aces_pkt *p)
{
	int fwd;

	if (aces.n_ports == 2)
		fwd = pi == aces.client_pi;
	else
		fwd = aces_is_vip(p->dst_ip);
	return aces_chash_mix32((fwd ? p->src_ip : p->dst_ip) ^
				((uint32_t)(fwd ? p->src_port : p->dst_port) << 16) ^ p->proto) %
	       aces.n_workers;
}

/* Hand packets of other workers' flows over; a full ring drops and counts. */
static void
handoff(struct aces_worker *w, struct rte_mbuf *out[][ACES_BURST], const uint16_t *nout)
{
	unsigned int o, sent, i;

	for (o = 0; o < aces.n_workers; o++) {
		if (nout[o] == 0)
			continue;
		sent = rte_ring_mp_enqueue_burst(aces.workers[o].handoff_ring, (void **)out[o],
						 nout[o], NULL);
		w->st.handoff_out += sent;
		for (i = sent; i < nout[o]; i++)
			drop(w, out[o][i], ACES_DROP_HANDOFF_FULL);
	}
}

/*
 * For each packet whose key the bulk lookup missed and that would create a flow
 * (a SYN or UDP to an endpoint), plan the flow and look its backend side key up,
 * all of them in one bulk lookup.
 */
static void
plan_new_flows(const struct aces_flow_table *ft, const struct aces_assign *a,
	       const struct aces_flow_key *keys, const uint8_t *kidx, const struct aces_pkt *p,
	       uint16_t n, uint64_t hits, uint32_t budget,
	       struct flow_plan *plans, uint8_t *planned, uint16_t *epx)
{
	struct aces_ep_key ek[ACES_BURST];
	const void *ekp[ACES_BURST];
	void *edata[ACES_BURST];
	const void *rkp[ACES_BURST];
	hash_sig_t rs[ACES_BURST];
	void *rdata[ACES_BURST];
	uint8_t at[ACES_BURST], eat[ACES_BURST], eon[ACES_BURST];
	uint64_t rhits = 0, ehits = 0;
	unsigned int i, ne = 0, nr = 0;

	/* the endpoints of every packet that may start a flow, in one bulk lookup */
	for (i = 0; i < n; i++) {
		const struct aces_pkt *pk = &p[i];
		uint8_t k = kidx[i];

		if (k == 0xff)
			continue;
		planned[k] = 0;
		epx[k] = ACES_EPX_UNKNOWN;
		if (((hits >> k) & 1) ||	/* a key index: IPv4 with TCP/UDP */
		    (pk->proto == ACES_IPPROTO_TCP &&
		     (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK | ACES_TCP_RST)) != ACES_TCP_SYN))
			continue;
		ek[ne].vip = pk->dst_ip;
		ek[ne].port = pk->dst_port;
		ek[ne].proto = pk->proto;
		ek[ne].pad = 0;
		ekp[ne] = &ek[ne];
		eon[ne] = (uint8_t)i;
		eat[ne++] = k;
	}
	if (ne == 0)
		return;
	rte_hash_lookup_bulk_data(aces.ep_hash, ekp, ne, &ehits, edata);
	for (i = 0; i < ne; i++) {
		uint8_t k = eat[i];
		struct flow_plan *pl;

		if (!((ehits >> i) & 1)) {
			epx[k] = ACES_EPX_NONE;
			continue;
		}
		epx[k] = (uint16_t)(uintptr_t)edata[i];
		if (budget == 0)
			continue;	/* shed by the caller: not worth planning */
		budget--;
		pl = &plans[k];
		flow_plan(pl, a, &p[eon[i]], epx[k], rte_hash_hash(ft->h, &keys[k]), ft->h);
		planned[k] = 1;
		pl->rhit = 0;
		if (pl->b == ACES_CHASH_NONE)
			continue;
		rkp[nr] = &pl->rk;
		rs[nr] = pl->rs;
		at[nr++] = k;
	}
	if (nr == 0)
		return;
	/* the flow slots these will take (top of the free stack): cold after a long rest */
	for (i = 0; i < nr && i < ft->n_free; i++)
		rte_prefetch0(&ft->flows[ft->free_stack[ft->n_free - 1 - i]]);
	rte_hash_lookup_with_hash_bulk_data(ft->h, rkp, rs, nr, &rhits, rdata);
	for (i = 0; i < nr; i++) {
		plans[at[i]].rhit = (rhits >> i) & 1;
		plans[at[i]].rdata = rdata[i];
	}
}

/* A 512-bit filter of the hashes a burst created: most keys need no comparison at all. */
static inline void
sig_mark(uint64_t *bits, hash_sig_t sig)
{
	bits[(sig >> 7) & 7] |= 1ull << ((sig >> 10) & 63);
}

static inline int
sig_maybe(const uint64_t *bits, hash_sig_t sig)
{
	return (bits[(sig >> 7) & 7] >> ((sig >> 10) & 63)) & 1;
}

static void
handle_burst(struct aces_worker *w, uint8_t pi, struct rte_mbuf **pkts, uint16_t n,
	     uint64_t now, struct tx_buf *tx, int handed)
{
	struct rte_mbuf *out[ACES_MAX_WORKERS][ACES_BURST];
	uint16_t nout[ACES_MAX_WORKERS] = { 0 };
	int sharded = aces.n_workers > 1 && !handed;
	/* Two full bursts in a row: the worker is behind (one alone may be a sender's burst).
	 * Then, if established flows have had packets in the last ACES_EST_RECENT loops, new
	 * flows wait behind them: creating one costs several times what forwarding does, and
	 * packets the worker does not read in time are lost in the receive queue, whichever
	 * flow they belong to. */
	uint8_t *was_full = &w->was_full[handed ? ACES_MAX_PORTS : pi];
	int behind = n == ACES_BURST && *was_full;
	uint32_t budget = ACES_BURST;
	uint16_t j = 0;
	struct aces_flow_table *ft = w->ft;
	const struct aces_assign *a = __atomic_load_n(&aces.assign, __ATOMIC_ACQUIRE);
	const struct rte_ether_addr *own_mac = &aces.port_mac[pi];
	struct aces_pkt p[ACES_BURST];
	struct aces_flow_key keys[ACES_BURST];
	const void *kp[ACES_BURST];
	void *data[ACES_BURST];
	uint8_t kidx[ACES_BURST];
	enum aces_parse_result res[ACES_BURST];
	hash_sig_t csig[2 * ACES_BURST];	/* keys this burst created: see below */
	uint64_t cbits[8] = { 0 };		/* and a 512-bit filter of their hashes */
	struct flow_plan plans[ACES_BURST];	/* by key index, for misses that may create */
	uint8_t planned[ACES_BURST];
	uint16_t epx[ACES_BURST];		/* by key index: endpoint of a miss, see above */
	uint64_t hits = 0, rx_bytes = 0;
	uint32_t del0;
	int nk = 0, ncs = 0;
	uint16_t i;

	for (i = 0; i < n && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		rx_bytes += m->pkt_len;
		res[j] = aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p[j]);
		kidx[j] = 0xff;
		if (res[j] == ACES_PARSE_IPV4 && p[j].has_l4) {
			if (sharded) {
				uint32_t o = flow_owner(pi, &p[j]);

				if (o != w->idx) {
					out[o][nout[o]++] = m;
					continue;
				}
			}
			aces_flow_key_set(&keys[nk], p[j].src_ip, p[j].dst_ip, p[j].src_port,
					  p[j].dst_port, p[j].proto);
			kp[nk] = &keys[nk];
			kidx[j] = (uint8_t)nk++;
		}
		pkts[j++] = m;
	}
	*was_full = n == ACES_BURST;
	if (handed) {
		w->st.handoff_in += n;
	} else {
		w->st.rx_pkts[pi] += n;
		w->st.rx_bytes[pi] += rx_bytes;
	}
	if (sharded && j < n)
		handoff(w, out, nout);
	n = j;
	if (nk > 0) {
		uint64_t hm;

		rte_hash_lookup_bulk_data(ft->h, kp, (uint32_t)nk, &hits, data);
		for (hm = hits; hm != 0; hm &= hm - 1)
			rte_prefetch0(&ft->flows[(uintptr_t)data[__builtin_ctzll(hm)] >> 1]);
	}
	if (hits != 0)
		w->est_seen_loop = w->st.loops + 1;	/* 0: never */
	if (behind && w->est_seen_loop != 0 && w->st.loops + 1 - w->est_seen_loop < ACES_EST_RECENT)
		budget = aces.cfg->flows.overload_new_flows;
	plan_new_flows(ft, a, keys, kidx, p, n, hits, budget, plans, planned, epx);
	del0 = ft->n_deleted;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct aces_pkt *pk = &p[i];
		const struct rte_ether_hdr *eth;
		struct aces_flow_key *key;
		struct aces_ep_key ek;
		struct aces_flow *f;
		enum aces_flow_dir dir;
		struct flow_plan own, *pl;
		hash_sig_t sig = 0;
		int c, k, idx, hit, have_sig = 0;
		void *d;

		switch (res[i]) {
		case ACES_PARSE_IPV4:
		case ACES_PARSE_ARP:
			break;
		case ACES_PARSE_NON_IP:
			drop(w, m, ACES_DROP_NON_IP);
			continue;
		case ACES_PARSE_BAD_L2:
			drop(w, m, ACES_DROP_BAD_L2);
			continue;
		case ACES_PARSE_BAD_L3:
			drop(w, m, ACES_DROP_BAD_L3);
			continue;
		case ACES_PARSE_FRAGMENT:
			drop(w, m, ACES_DROP_FRAGMENT);
			continue;
		case ACES_PARSE_BAD_L4:
		default:
			drop(w, m, ACES_DROP_BAD_L4);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(!rte_is_multicast_ether_addr(&eth->dst_addr) &&
			     !rte_is_same_ether_addr(&eth->dst_addr, own_mac))) {
			drop(w, m, ACES_DROP_L2_OTHER_HOST);
			continue;
		}
		if (res[i] == ACES_PARSE_ARP) {
			if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
				drop(w, m, ACES_DROP_SLOWPATH_FULL);
				continue;
			}
			w->st.slowpath++;
			continue;
		}
		/* 224.0.0.0/4 and 255.255.255.255: never a VIP, never forwarded */
		if (unlikely((((const uint8_t *)&pk->dst_ip)[0] & 0xf0) == 0xe0 ||
			     pk->dst_ip == UINT32_MAX)) {
			drop(w, m, ACES_DROP_MULTICAST);
			continue;
		}
		if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
			     RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			     (pk->has_l4 && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
			      RTE_MBUF_F_RX_L4_CKSUM_BAD))) {
			drop(w, m, ACES_DROP_BAD_CKSUM);
			continue;
		}
		if (!pk->has_l4) {
			handle_ipv4_other(w, tx, pi, m, pk);
			continue;
		}
		if (unlikely(is_own_addr(pk->dst_ip))) {
			/* answers to the control lcore's health probes (and anything else
			 * sent to ACES itself): the control lcore sorts them out */
			if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
				drop(w, m, ACES_DROP_SLOWPATH_FULL);
				continue;
			}
			w->st.to_local++;
			w->st.slowpath++;
			continue;
		}
		k = kidx[i];
		key = &keys[k];
		/*
		 * The bulk lookup's answer, unless an earlier packet of this burst changed
		 * the table in a way that matters: a hit may have been deleted since (any
		 * delete: look again); a miss may have been created since (only a key whose
		 * hash this burst created: look again).
		 */
		hit = (hits >> k) & 1;
		d = data[k];
		if (hit) {
			if (unlikely(ft->n_deleted != del0))
				hit = rte_hash_lookup_data(ft->h, key, &d) >= 0;
		} else if (ncs > 0) {
			sig = planned[k] ? plans[k].sig : rte_hash_hash(ft->h, key);
			have_sig = 1;
			c = ncs;
			if (sig_maybe(cbits, sig))
				for (c = 0; c < ncs; c++)
					if (csig[c] == sig)
						break;
			if (c < ncs)
				hit = rte_hash_lookup_with_hash_data(ft->h, key, sig, &d) >= 0;
		}
		if (hit) {
			idx = (int)((uintptr_t)d >> 1);
			dir = (enum aces_flow_dir)((uintptr_t)d & 1);
			f = &ft->flows[idx];
			if (pk->proto == ACES_IPPROTO_TCP) {
				/* A new SYN on a closed tuple is a new connection: decide again. */
				if (dir == ACES_DIR_FWD && f->state >= ACES_TCP_CLOSING &&
				    (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) ==
				    ACES_TCP_SYN) {
					flow_delete(w, (uint32_t)idx);
					w->st.flows_reused++;
					goto new_flow;
				}
				if (unlikely(f->state == ACES_TCP_SYN_SENT && syn_rescue(w, m, pk, f,
							     (uint32_t)idx, dir, now))) {
					if (dir == ACES_DIR_FWD)
						goto new_flow;	/* decide again */
					continue;
				}
				tcp_track(w, f, pk->tcp_flags, dir, now);
			}
			forward(w, tx, m, pk, f, dir, now);
			continue;
		}
new_flow:
		if (epx[k] == ACES_EPX_UNKNOWN) {	/* decided again, or not a SYN/UDP */
			ek.vip = pk->dst_ip;
			ek.port = pk->dst_port;
			ek.proto = pk->proto;
			ek.pad = 0;
			if (rte_hash_lookup_data(aces.ep_hash, &ek, &d) < 0)
				d = (void *)(uintptr_t)ACES_EPX_NONE;
			epx[k] = (uint16_t)(uintptr_t)d;
		}
		if (epx[k] == ACES_EPX_NONE) {
			drop(w, m, ACES_DROP_UNKNOWN_DEST);
			continue;
		}
		d = (void *)(uintptr_t)epx[k];
		if (pk->proto == ACES_IPPROTO_TCP &&
		    (pk->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK | ACES_TCP_RST)) != ACES_TCP_SYN) {
			drop(w, m, ACES_DROP_NO_FLOW);
			continue;
		}
		if (unlikely(pk->ttl <= 1)) {
			drop(w, m, ACES_DROP_TTL);
			continue;
		}
		if (unlikely(budget == 0)) {
			drop(w, m, ACES_DROP_NEW_FLOW_SHED);
			continue;
		}
		budget--;
		if (planned[k]) {
			pl = &plans[k];
			/* the bulk answer for the backend side key holds unless the table lost a
			 * key since, or this burst created a key of the same hash */
			pl->rvalid = ft->n_deleted == del0;
			if (sig_maybe(cbits, pl->rs))
				for (c = 0; c < ncs && pl->rvalid; c++)
					pl->rvalid = csig[c] != pl->rs;
		} else {	/* decided again after a delete: plan it alone */
			pl = &own;
			flow_plan(pl, a, pk, (uint16_t)(uintptr_t)d,
				  have_sig ? sig : rte_hash_hash(ft->h, key), ft->h);
		}
		idx = flow_create(w, m, pk, key, pl, (uint16_t)(uintptr_t)d, now);
		if (idx < 0)
			continue;
		csig[ncs] = pl->sig;
		csig[ncs + 1] = pl->rs;
		ncs += 2;
		sig_mark(cbits, pl->sig);
		sig_mark(cbits, pl->rs);
		forward(w, tx, m, pk, &ft->flows[idx], ACES_DIR_FWD, now);
	}
}

/* Packets other workers received for this worker's flows, grouped by their port. */
static uint16_t
take_handoffs(struct aces_worker *w, uint64_t now, struct tx_buf *tx)
{
	struct rte_mbuf *ms[ACES_BURST], *by_port[ACES_MAX_PORTS][ACES_BURST];
	uint16_t cnt[ACES_MAX_PORTS] = { 0 };
	unsigned int n, i;
	uint8_t pi;

	n = rte_ring_sc_dequeue_burst(w->handoff_ring, (void **)ms, ACES_BURST, NULL);
	for (i = 0; i < n; i++) {
		pi = aces_port_index(ms[i]->port);
		by_port[pi][cnt[pi]++] = ms[i];
	}
	for (pi = 0; pi < aces.n_ports; pi++) {
		if (cnt[pi] == 0)
			continue;
		handle_burst(w, pi, by_port[pi], cnt[pi], now, tx, 1);
		tx_flush(w, tx);
	}
	return (uint16_t)n;
}

/* Frames built by the control lcore (ARP), to send on m->port. */
static void
send_ctl_frames(struct aces_worker *w)
{
	struct rte_mbuf *ms[ACES_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(w->ctl_tx_ring, (void **)ms, ACES_BURST, NULL);
	for (i = 0; i < n; i++) {
		uint8_t pi = aces_port_index(ms[i]->port);
		uint32_t len = ms[i]->pkt_len;

		if (rte_eth_tx_burst(ms[i]->port, w->idx, &ms[i], 1) == 1) {
			w->st.tx_pkts[pi]++;
			w->st.tx_bytes[pi] += len;
		} else {
			drop(w, ms[i], ACES_DROP_TX_FULL);
		}
	}
}

/* Report round: every tmsg_period, push every record (counters, passive health,
 * handshake histograms of each endpoint side and backend), 32 per loop. */
static void
report(struct aces_worker *w, uint64_t now)
{
	struct aces_tmsg recs[ACES_BURST];
	uint32_t n_ep2 = aces.cfg->n_endpoints * 2, n_be = aces.cfg->n_backends, n = 0, sent;

	if (w->tm_cursor >= aces.n_report) {
		if (now < w->tm_next_tsc)
			return;
		w->tm_cursor = 0;
		w->tm_next_tsc = now + aces.tmsg_period;
	}
	while (n < ACES_BURST && w->tm_cursor < aces.n_report) {
		uint32_t id = w->tm_cursor++;
		struct aces_tmsg *r = &recs[n++];

		r->worker = w->idx;
		r->tsc = now;
		if (id < n_ep2) {
			r->type = ACES_TMSG_EP_SIDE;
			r->id = id;
			r->c = w->eps[id];
		} else if ((id -= n_ep2) < n_be) {
			r->type = ACES_TMSG_BACKEND;
			r->id = id;
			r->c = w->bes[id];
		} else if ((id -= n_be) < n_ep2) {
			r->type = ACES_TMSG_EP_HEALTH;
			r->id = id;
			r->h = w->eph[id];
		} else if ((id -= n_ep2) < n_ep2) {
			r->type = ACES_TMSG_EP_HIST;
			r->id = id;
			r->hist = w->ephist[id];
		} else {
			id -= n_ep2;
			r->type = ACES_TMSG_BE_HEALTH;
			r->id = id;
			r->h = w->beh[id];
		}
	}
	sent = rte_ring_sp_enqueue_burst_elem(w->tmsg_ring, recs, sizeof(recs[0]), n, NULL);
	w->st.tmsg_sent += sent;
	w->st.tmsg_dropped += n - sent;
}

/* Build one RST from (sip:sp) to (dip:dp) with @seq, out of port index @pi. */
static void
send_rst(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, const struct rte_ether_addr *dst,
	 uint32_t sip, uint32_t dip, uint16_t sp, uint16_t dp, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(aces.pool);

	if (m == NULL) {
		w->st.rst_alloc_failed++;
		return;
	}
	aces_frame_tcp((struct rte_tcp_hdr *)aces_frame_ipv4(m, dst, &aces.port_mac[pi], sip, dip,
							     ACES_IPPROTO_TCP,
							     sizeof(struct rte_tcp_hdr)),
		       sip, dip, sp, dp, seq, ACES_TCP_RST, 0);
	w->st.rst_sent++;
	if (tx->n[pi] == ACES_BURST)
		tx_flush(w, tx);
	tx_enqueue(tx, pi, m);
}

/* Drain reset: end the open flows of (ep, side), a bounded slice per loop. */
static void
reset_step(struct aces_worker *w, struct tx_buf *tx)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_wmsg *job = w->reset_job;
	uint32_t budget = 64;

	while (budget-- > 0 && w->reset_cursor < ft->capacity) {
		uint32_t idx = w->reset_cursor++;
		struct aces_flow *f = &ft->flows[idx];
		struct rte_ether_addr mac;

		if (!f->in_use || !f->open)
			continue;
		if (job->type == ACES_WMSG_RESET ? (f->ep != job->ep || f->side != job->side) :
		    f->backend != job->ep)
			continue;
		if (f->proto == ACES_IPPROTO_TCP) {
			if (neigh_mac(aces.backend_nh[f->backend], &mac))
				send_rst(w, tx, aces.backend_pi, &mac, f->client_ip, f->backend_ip,
					 f->client_port, f->backend_port, f->cli_nxt);
			if (aces.client_gw_nh < 0 || !neigh_mac((uint32_t)aces.client_gw_nh, &mac))
				memcpy(mac.addr_bytes, f->client_mac, RTE_ETHER_ADDR_LEN);
			send_rst(w, tx, aces.client_pi, &mac, aces.cfg->endpoints[f->ep].vip,
				 f->client_ip, f->vip_port,
				 f->client_port, f->srv_nxt);
			f->state = ACES_TCP_CLOSED;
			flow_close(w, f);
		} else {
			flow_delete(w, idx);	/* UDP: the next datagram decides again */
		}
		w->st.flows_reset++;
	}
	tx_flush(w, tx);
	if (w->reset_cursor >= ft->capacity) {
		/* job done: shift the queue */
		memmove(w->jobs, w->jobs + 1, (w->n_jobs - 1) * sizeof(*w->jobs));
		w->n_jobs--;
		w->reset_cursor = 0;
		w->reset_job = w->n_jobs > 0 ? &w->jobs[0] : NULL;
	}
}

static void
poll_msgs(struct aces_worker *w)
{
	struct aces_wmsg m;

	while (w->n_jobs < ACES_MAX_JOBS &&
	       rte_ring_sc_dequeue_elem(w->msg_ring, &m, sizeof(m)) == 0) {
		if (m.type == ACES_WMSG_RESET ? (m.ep >= aces.cfg->n_endpoints || m.side > 1) :
		    (m.type != ACES_WMSG_RESET_BACKEND || m.ep >= aces.cfg->n_backends))
			continue;
		w->jobs[w->n_jobs++] = m;
		if (w->reset_job == NULL) {
			w->reset_job = &w->jobs[0];
			w->reset_cursor = 0;
		}
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
	w->ft->age_rate = ((uint64_t)w->ft->capacity << 32) / aces.age_sweep_tsc;
	w->ft->age_last_tsc = rte_rdtsc();
	rte_rcu_qsbr_thread_register(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_online(aces.qsbr, w->idx);
	while (!aces.force_quit) {
		uint64_t now = rte_rdtsc();
		uint16_t total = 0;

		for (pi = 0; pi < aces.n_ports; pi++) {
			uint16_t n = rte_eth_rx_burst(aces.port_ids[pi], w->idx, pkts, ACES_BURST);

			if (n == 0)
				continue;
			total += n;
			handle_burst(w, pi, pkts, n, now, &tx, 0);
			tx_flush(w, &tx);
		}
		if (aces.n_workers > 1 && !rte_ring_empty(w->handoff_ring))
			total += take_handoffs(w, now, &tx);
		if (!rte_ring_empty(w->ctl_tx_ring))
			send_ctl_frames(w);
		if (unlikely(!rte_ring_empty(w->msg_ring)))
			poll_msgs(w);
		if (unlikely(w->reset_job != NULL))
			reset_step(w, &tx);
		if (w->n_drop != 0)
			drop_flush(w);
		report(w, now);
		pending_check(w, now);
		flow_age(w, now, total == 0 ? 256 : 64);
		w->st.loops++;
		if (total != 0) {
			w->st.busy_loops++;
			w->st.busy_cycles += rte_rdtsc() - now;
		}
		rte_rcu_qsbr_quiescent(aces.qsbr, w->idx);
	}
	drop_flush(w);
	rte_rcu_qsbr_thread_offline(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(aces.qsbr, w->idx);
	return 0;
}
