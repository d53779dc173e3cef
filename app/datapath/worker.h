/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_WORKER_H
#define ACES_WORKER_H

/**
 * @file
 * The worker lcore's files and what each offers the ones above it.
 * Private to app/datapath. Each file uses only files listed before it (tools/check_cycles.py
 * checks that no two of them use each other, even through a third):
 *
 *   tx.c, tx.h    the leaf: TX batching per port, the drop queue, neighbour MACs
 *   held.c        a held flow's kept segments, replayed as bursts once it is released
 *   flowtrack.c   a flow's life: create (steered by the assignment), TCP tracking,
 *                 SYN rescue, watching for a first answer, delete and expiry counters
 *   icmp.c        ICMP errors: sent (TTL, fragmentation needed), forwarded to a flow's ends
 *   frag.c        fragments: reassembly before the flow is known, splitting on the way out
 *   handoff.c     several workers: which one owns a flow, packets handed between them
 *   worker_jobs.c the periodic jobs of one loop: control frames, commands from the control
 *                 lcore, drain resets, reports, expiry
 *   workers.c     set-up, tear-down and a reload's park
 *   worker.c      the loop: RX -> a burst's stages -> TX flush -> jobs -> quiescent state.
 *                 The stages are headers only worker.c includes (l3fwd_em.c with its
 *                 l3fwd_em_hlm.h): stage_classify.h, stage_screen.h, stage_forward.h,
 *                 stage_flow.h, burst.h.
 */

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "aces/flow.h"
#include "aces/parse.h"
#include "common/aces.h"
#include "datapath/datapath.h"
#include "datapath/tx.h"

/** Where a burst the loop hands to the stages came from. */
enum aces_wk_from {
	ACES_WK_FROM_PORT = 0,	/**< received on a port by this worker */
	ACES_WK_FROM_HANDOFF,	/**< received by another worker for a flow of this one */
	ACES_WK_FROM_REPLAY,	/**< a released held flow's kept segments (held.c) */
};

/** Bursts by the port their packets came in on (hand-offs come from every port). */
struct aces_wk_bursts {
	uint16_t n[ACES_MAX_PORTS];
	struct rte_mbuf *pkts[ACES_MAX_PORTS][ACES_BURST];
};

/* workers.c */
/** Worker side of aces_workers_pause(): stops at the end of its loop until resumed. */
void aces_wk_park(struct aces_worker *w);
/* flowtrack.c: the flow table's expire callback (@arg: the worker), for workers.c */
void aces_wk_flow_expired(void *arg, struct aces_flow *f);

/* held.c */
/** Keep a copy of @m (as received) for held flow @idx, processed again once it is released. */
void aces_wk_held_keep(struct aces_worker *w, struct rte_mbuf *m, uint32_t idx);
/** Flow @idx was released: its kept data segments are processed again (next loop). */
void aces_wk_held_release(struct aces_worker *w, uint32_t idx);
/**
 * The next burst of released flows' kept segments (call when replay_n != 0): those of one
 * port, in their order, into @ms; the port in @port. Returns how many.
 */
uint16_t aces_wk_replay_take(struct aces_worker *w, struct rte_mbuf **ms, uint8_t *port);
/** Free every kept segment (a reload's remap, shutdown: flow indexes may change). */
void aces_wk_held_drop(struct aces_worker *w);

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
/** Packets other workers received for this worker's flows, by port into @b. Returns how
 * many. */
uint16_t aces_wk_take_handoffs(struct aces_worker *w, struct aces_wk_bursts *b);

/* worker_jobs.c */
/**
 * One loop's periodic jobs, after its bursts (GLB director's processor_base_workload): the
 * control lcore's frames and commands, a slice of a drain reset and of a movable-flows list,
 * the drop queue freed, a report round, overdue first answers, flow and fragment expiry
 * (more when the loop received nothing: @rx is what it received). Returns nonzero while
 * a job has work left for the next loop (frames or commands came, a reset or a list under
 * way): an idle worker does not sleep then.
 */
int aces_wk_jobs(struct aces_worker *w, struct tx_buf *tx, uint64_t now, uint16_t rx);

#endif /* ACES_WORKER_H */
