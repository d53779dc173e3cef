/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_WORKER_H
#define ACES_WORKER_H

/**
 * @file
 * What the worker's rooms share: TX and drop batching, neighbour reads, the
 * steering hash, and the functions one room calls in another. Private to the
 * worker lcore's files (worker.c, flowtrack.c, handoff.c, worker_jobs.c).
 *
 *   worker.c      the loop and a burst's stages: RX -> parse -> classify -> flow ->
 *                 steer -> NAT -> TX (forward, ICMP echo, local traffic)
 *   flowtrack.c   a flow's life: create (steered by the assignment), TCP tracking,
 *                 SYN rescue, watching for a first answer, delete and expiry counters
 *   handoff.c     several workers: which one owns a flow, packets handed between them
 *   worker_jobs.c periodic jobs: reports to the control lcore, drain resets, commands
 *                 from the control lcore, frames it built
 */

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "aces/flow.h"
#include "aces/parse.h"
#include "common/aces.h"
#include "datapath/datapath.h"

/* What a queued frame is, for the counters of aces_wk_tx_flush(): a received packet
 * sent on, an echo reply, or a frame ACES built (a drain reset's RST). */
enum aces_wk_tx_kind {
	ACES_WK_TX_FWD = 0,
	ACES_WK_TX_ECHO,
	ACES_WK_TX_RST,
	ACES_WK_TX_ICMP,	/**< an ICMP error ACES built */
	ACES_WK_TX_FRAG,	/**< a fragment of a split datagram, past its first */
	ACES_WK_TX_KINDS
};

struct tx_buf {
	uint16_t n[ACES_MAX_PORTS];
	struct rte_mbuf *pkts[ACES_MAX_PORTS][ACES_BURST];
	uint8_t kind[ACES_MAX_PORTS][ACES_BURST];	/**< enum aces_wk_tx_kind */
};

static inline void
aces_wk_drop_flush(struct aces_worker *w)
{
	rte_pktmbuf_free_bulk(w->dropq, w->n_drop);
	w->n_drop = 0;
}

/* Count and free: in bulk, once per loop or every ACES_DROPQ packets (a flood is cheap). */
static inline void
aces_wk_drop(struct aces_worker *w, struct rte_mbuf *m, enum aces_drop r)
{
	w->st.drops[r]++;
	w->dropq[w->n_drop++] = m;
	if (unlikely(w->n_drop == ACES_DROPQ))
		aces_wk_drop_flush(w);
}

/* Free a frame that is no received packet (not a drop): in bulk with the drops. */
static inline void
aces_wk_free(struct aces_worker *w, struct rte_mbuf *m)
{
	w->dropq[w->n_drop++] = m;
	if (unlikely(w->n_drop == ACES_DROPQ))
		aces_wk_drop_flush(w);
}

static inline void
aces_wk_tx_enqueue(struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m, enum aces_wk_tx_kind kind)
{
	tx->kind[pi][tx->n[pi]] = (uint8_t)kind;
	tx->pkts[pi][tx->n[pi]++] = m;
}

/* Read a neighbour's MAC; 0 when unresolved. */
static inline int
aces_wk_neigh_mac(uint32_t nh, struct rte_ether_addr *out)
{
	uint64_t v = __atomic_load_n(&aces.neigh[nh].mac, __ATOMIC_ACQUIRE);

	if (unlikely((v & ACES_NEIGH_VALID) == 0))
		return 0;
	memcpy(out->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 1;
}

/* The next hop towards flow @f's client: the client gateway, else the MAC its packets came
 * from; 0 when the gateway is unresolved. */
static inline int
aces_wk_client_mac(const struct aces_flow *f, struct rte_ether_addr *out)
{
	if (aces.client_gw_nh >= 0)
		return aces_wk_neigh_mac((uint32_t)aces.client_gw_nh, out);
	memcpy(out->addr_bytes, f->client_mac, RTE_ETHER_ADDR_LEN);
	return 1;
}

/*
 * The steering hash of a connection: its client and VIP ends, unseeded, so it is
 * the same in every worker and every process (a restarted ACES, or another worker,
 * steers a flow it has never seen where its first packet was steered).
 */
static inline uint32_t
aces_wk_steer_hash(const struct aces_flow_tuple *t)
{
	uint64_t k = ((uint64_t)t->client_ip << 32 | t->peer_ip) ^
		     (((uint64_t)t->client_port << 32 | (uint64_t)t->peer_port << 16 | t->proto) *
		      0x9e3779b97f4a7c15ull);

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

/** The consistent-hash bucket of a connection with steering hash @sh (either side's table). */
static inline uint32_t
aces_steer_bucket(uint32_t sh)
{
	return aces_chash_mix32(sh ^ 0x9e3779b9u) & (ACES_CHASH_SIZE - 1);
}

/* flowtrack.c */
/** Delete flow @idx now, with its counters. */
void aces_wk_flow_delete(struct aces_worker *w, uint32_t idx);
/** A flow stops counting as open (FIN, RST, reset, expiry): once. */
void aces_wk_flow_close(struct aces_worker *w, struct aces_flow *f);
/**
 * Create the flow of first packet @m (tuple @t, key hash @h) to endpoint @ep, steered
 * by the assignment table @a. Returns the flow, or NULL when @m was dropped.
 */
struct aces_flow *aces_wk_flow_create(struct aces_worker *w, struct rte_mbuf *m,
				      const struct aces_pkt *p, const struct aces_flow_tuple *t,
				      uint64_t h, const struct aces_assign *a, uint16_t ep,
				      uint64_t now);
/**
 * Adopt a mid-connection packet without a flow (the process that saw its first packet
 * ended without handing its flows over): steered by the hash its first packet was,
 * when its endpoint (@ep for a forward packet; found by the backend's port for a
 * reply) sends every new flow to one side. NULL when @m was dropped.
 */
struct aces_flow *aces_wk_flow_adopt(struct aces_worker *w, struct rte_mbuf *m,
				     const struct aces_pkt *p, const struct aces_flow_tuple *t,
				     uint64_t h, const struct aces_assign *a, int ep, uint64_t now);
/** TCP state from a packet's flags in direction @dir. */
void aces_wk_tcp_track(struct aces_worker *w, struct aces_flow *f, uint8_t flags,
		       enum aces_flow_dir dir, uint64_t now);
/**
 * A SYN_SENT flow's refusal or retransmitted SYN: 1 when the packet was consumed
 * (dropped) or must be decided again (the flow is gone then).
 */
int aces_wk_syn_rescue(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		       struct aces_flow *f, enum aces_flow_dir dir, uint64_t now);
/** New flows whose first answer is overdue: counted as timeouts. */
void aces_wk_pending_check(struct aces_worker *w, uint64_t now);

/* handoff.c */
/** The worker that owns the flow of client end @t (both directions agree). */
static inline uint32_t
aces_wk_flow_owner(const struct aces_flow_tuple *t)
{
	return aces_chash_mix32(t->client_ip ^ ((uint32_t)t->client_port << 16) ^ t->proto) %
	       aces.n_workers;
}
/** Hand packets of other workers' flows over; a full ring drops and counts. */
void aces_wk_handoff(struct aces_worker *w, struct rte_mbuf *out[][ACES_BURST],
		     const uint16_t *nout);
/** Packets other workers received for this worker's flows. Returns how many. */
uint16_t aces_wk_take_handoffs(struct aces_worker *w, uint64_t now, struct tx_buf *tx);

/* worker.c */
void aces_wk_handle_burst(struct aces_worker *w, uint8_t pi, struct rte_mbuf **pkts, uint16_t n,
			  uint64_t now, struct tx_buf *tx, int handed);
void aces_wk_tx_flush(struct aces_worker *w, struct tx_buf *tx);

/* icmp.c */
/**
 * Answer @m (parsed @p, received in direction @dir) with an ICMP error @type/@code (@mtu:
 * the next-hop MTU of "fragmentation needed") out of the port it came in on, within the
 * worker's budget. @m itself is left to the caller (dropped, with its reason).
 */
void aces_wk_icmp_send(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m,
		       const struct aces_pkt *p, enum aces_flow_dir dir, uint8_t type, uint8_t code,
		       uint16_t mtu, uint64_t now);
/** Deliver ICMP error @m about a packet of flow @f (found in direction @dir), rewritten. */
void aces_wk_icmp_forward(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m,
			  const struct aces_pkt *p, struct aces_flow *f, enum aces_flow_dir dir);
/* frag.c */
int aces_wk_frag_init(struct aces_worker *w, int socket);
void aces_wk_frag_fini(struct aces_worker *w);
/**
 * Fragment @m (parsed @p) to the reassembly table: the whole datagram once it is complete
 * (a chain of segments, handled as one packet from then on), else NULL (@m is kept, or
 * was given up and counted).
 */
struct rte_mbuf *aces_wk_frag_take(struct aces_worker *w, struct rte_mbuf *m,
				   const struct aces_pkt *p, uint64_t now);
/** Give up datagrams not complete in time. */
void aces_wk_frag_age(struct aces_worker *w, uint64_t now);
/** Send @m (rewritten, longer than port @out's MTU, DF clear) as fragments. */
void aces_wk_frag_split(struct aces_worker *w, struct tx_buf *tx, uint8_t out, struct rte_mbuf *m,
			const struct aces_pkt *p);
/** The worker that reassembles the datagram fragment @p belongs to. */
static inline uint32_t
aces_wk_frag_owner(const struct aces_pkt *p)
{
	return aces_chash_mix32(p->src_ip ^ p->dst_ip ^ ((uint32_t)p->frag_id << 8) ^ p->proto) %
	       aces.n_workers;
}
/* worker_jobs.c */
/** Report round: every tmsg_period, every record to the control lcore, 32 per loop. */
void aces_wk_report(struct aces_worker *w, uint64_t now);
/** Commands from the control lcore (drain resets). */
void aces_wk_poll_msgs(struct aces_worker *w);
/** Keep a copy of @m (as received) for held flow @idx, processed again once it is released. */
void aces_wk_held_keep(struct aces_worker *w, struct rte_mbuf *m, uint32_t idx);
/** Flow @idx was released: its kept data segments are processed again (next loop). */
void aces_wk_held_release(struct aces_worker *w, uint32_t idx);
/** Process the released flows' kept segments (handle_burst with handed = 2). */
void aces_wk_replay(struct aces_worker *w, uint64_t now, struct tx_buf *tx);
/** Free every kept segment (a reload's remap, shutdown: flow indexes may change). */
void aces_wk_held_drop(struct aces_worker *w);
/** A bounded slice of the movable-flows list under way (mig_list_seq). */
void aces_wk_list_step(struct aces_worker *w);
/** A bounded slice of the running drain reset. */
void aces_wk_reset_step(struct aces_worker *w, struct tx_buf *tx);
/** Frames built by the control lcore, to send on m->port. */
void aces_wk_send_ctl_frames(struct aces_worker *w);

#endif /* ACES_WORKER_H */
