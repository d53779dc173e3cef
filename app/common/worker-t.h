/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_WORKER_T_H
#define ACES_APP_WORKER_T_H

/**
 * @file
 * A worker lcore's state and the commands the control lcore sends it.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "aces/flow-t.h"
#include "aces/tmsg-t.h"
#include "common/counters-t.h"
#include "common/limits-t.h"

/** Commands from the control lcore to a worker. */
enum aces_wmsg_type {
	ACES_WMSG_RESET = 0,		/**< end the open flows of (ep, side): RST for TCP */
	ACES_WMSG_RESET_BACKEND,	/**< end the open flows to backend ep (a backend index) */
	ACES_WMSG_FLOW,			/**< one flow: show, hold, release, re-point (op) */
	ACES_WMSG_FLOWS,		/**< the batch in mig_ops (pad ops), acked in mig_ops_ack */
	ACES_WMSG_LIST,			/**< movable flows of endpoint ep into mig_list */
	ACES_WMSG_MAX
};

/** Operations on one flow (ACES_WMSG_FLOW), for moving a connection. */
enum aces_flow_op {
	ACES_FLOW_OP_SHOW = 0,
	ACES_FLOW_OP_HOLD,	/**< its packets are dropped (counted; TCP resends them) */
	ACES_FLOW_OP_RELEASE,
	ACES_FLOW_OP_REPOINT,	/**< to backend @backend (its side follows) */
	ACES_FLOW_OP_MOVED,	/**< re-point to @backend and release (a move done) */
	ACES_FLOW_OP_KEEP,	/**< release, and never try to move it again (a move failed) */
};

#define ACES_HELD_Q	128	/**< held flows' data segments kept per worker, for after the move */
#define ACES_HELD_PER_FLOW 8	/**< ... per flow */
#define ACES_MIG_BATCH	64	/**< flow operations per batch (ACES_WMSG_FLOWS) */
#define ACES_MIG_LIST	256	/**< movable flows per list (ACES_WMSG_LIST) */

/** One operation of a batch: the control lcore writes it, the owner worker its rc. */
struct aces_mig_op {
	uint32_t client_ip;	/**< network order */
	uint16_t client_port;
	uint16_t backend;
	uint16_t ep;
	uint8_t op;		/**< enum aces_flow_op */
	int8_t rc;		/**< 0 or -errno */
};

/** A flow that can be moved (ACES_WMSG_LIST). */
struct aces_mig_cand {
	uint32_t client_ip;
	uint16_t client_port;
	uint16_t backend;
};

/**
 * One worker's mailbox for moving connections, owned by app/handover (migrate.c allocates
 * one per worker). One batch and one list at a time:
 *  - a batch: the control lcore writes ops[] (all but rc), then sends ACES_WMSG_FLOWS with
 *    the batch's seq; the worker writes each op's rc, then ops_ack = seq (release); the
 *    control lcore reads the rcs once ops_ack is its seq (acquire), and only then writes
 *    ops[] again;
 *  - a list: the control lcore sends ACES_WMSG_LIST; the worker writes list[] and list_n,
 *    then list_ack = seq (release); the control lcore reads them once list_ack is its seq.
 * So each word has one writer at a time, and the ack, written last, hands it over.
 */
struct aces_mig_box {
	struct aces_mig_op ops[ACES_MIG_BATCH];
	uint32_t ops_ack;		/**< worker: seq of the last batch carried out */
	uint32_t list_ack;		/**< worker: seq of the last list finished */
	uint32_t list_n;		/**< worker */
	struct aces_mig_cand list[ACES_MIG_LIST];	/**< worker */
} __rte_cache_aligned;

struct aces_wmsg {
	uint32_t type;
	uint32_t ep;
	uint32_t side;
	uint32_t pad;		/**< RESET_BACKEND: only endpoint pad - 1's flows (0: all) */
	uint32_t client_ip;	/**< FLOW: the client's end, network order */
	uint16_t client_port;
	uint16_t backend;	/**< FLOW, REPOINT: the new backend */
	uint32_t op;		/**< FLOW: enum aces_flow_op */
	uint32_t seq;		/**< FLOW: answered in the worker's flow_ack */
};

/** A worker's answer to its last ACES_WMSG_FLOW (read by the control lcore). */
struct aces_flow_ack {
	uint32_t seq;		/**< written last (release) */
	int32_t rc;		/**< 0 or -errno */
	uint16_t backend;
	uint8_t side, state, flags, open;
	uint64_t age_ms;
};

#define ACES_MAX_JOBS 64
#define ACES_PEND_SIZE 8192	/* power of two */

/** A new flow waiting for its backend's first answer (SYN-ACK or UDP reply). */
struct aces_pending {
	uint32_t idx;
	uint32_t gen;		/**< the flow's generation when it was created */
	uint64_t created_tsc;
};

/** Per-worker state; written only by its own lcore. */
struct aces_worker {
	unsigned int lcore_id;
	uint16_t idx;			/**< RCU thread id and queue id */
	struct aces_flow_table *ft;
	struct rte_ring *slow_ring;	/**< worker -> control (ARP frames) */
	struct rte_ring *ctl_tx_ring;	/**< control -> worker (frames to send, m->port set) */
	struct rte_ring *tmsg_ring;	/**< worker -> control: struct aces_tmsg records */
	struct rte_ring *handoff_ring;	/**< other workers -> this one: packets of its flows */
	struct rte_ring *msg_ring;	/**< control -> worker: struct aces_wmsg commands */
	struct aces_ctr *eps;		/**< [endpoint * 2 + side] */
	struct aces_ctr *bes;		/**< [backend] */
	struct aces_health_ctr *eph;	/**< [endpoint * 2 + side] passive health */
	struct aces_hs_hist *ephist;	/**< [endpoint * 2 + side] handshake times */
	struct aces_health_ctr *beh;	/**< [backend] passive health */
	struct aces_pending *pend;	/**< FIFO of new flows awaiting an answer */
	uint64_t loop_tsc;		/**< when the current poll loop began */
	uint32_t idle_loops;		/**< loops in a row that found nothing to do */
	uint32_t sleep_us;		/**< the idle worker's next sleep (doubles up to the cap) */
	uint8_t deep[ACES_MAX_PORTS];	/**< the receive queue was over half full when last read */
	uint8_t depth_poll[ACES_MAX_PORTS];	/**< full bursts, to read the depth every 4th */
	uint64_t est_seen_loop;		/**< 1 + loop of the last established flow's packet; 0: none yet */
	uint64_t forced_loop;		/**< 1 + loop of the last extra reap for a full table */
	uint16_t n_drop;
	struct rte_mbuf *dropq[ACES_DROPQ];	/**< dropped, freed in bulk */
	uint32_t pend_head, pend_tail;	/**< free-running indexes, ACES_PEND_SIZE ring */
	uint32_t tm_cursor;		/**< next entity of the current report round */
	uint64_t tm_next_tsc;		/**< when the next round starts */
	struct aces_wmsg *reset_job;	/**< drain reset in progress (points into jobs) */
	uint32_t reset_cursor;
	uint32_t n_jobs;
	struct aces_wmsg *jobs;		/**< pending drain resets, ACES_MAX_JOBS */
	int parked;			/**< paused for a reload (set by the worker) */
	struct aces_flow_ack flow_ack;	/**< answer to the last one-flow command */
	/* moving connections: one batch and one list at a time, through the mailbox */
	struct aces_mig_box *mig_box;	/**< app/handover's, set before the workers run */
	uint32_t mig_list_seq;		/**< list under way (0: none) */
	uint32_t mig_list_ep;
	uint32_t mig_list_cursor;
	/* held flows' data segments (copies), passed on once their flow is released */
	uint16_t held_n, replay_n;
	uint32_t held_total;		/**< flows held now (0: skip looking for them) */
	uint32_t held_idx[ACES_HELD_Q];	/**< flow of each kept segment */
	struct rte_mbuf *held_q[ACES_HELD_Q];
	struct rte_mbuf *replay[ACES_HELD_Q];	/**< released: to process again, next loop */
	/* ICMP errors ACES sends (icmp.c), fragments (frag.c) */
	uint32_t icmp_tokens;
	uint64_t icmp_tsc;		/**< when the token count was last topped up */
	uint16_t ip_id;			/**< IPv4 id of the next ICMP error */
	struct rte_ip_frag_tbl *frag_tbl;	/**< datagrams under reassembly (NULL: off) */
	struct rte_ip_frag_death_row frag_dr;	/**< fragments given up, freed each loop */
	uint64_t fwd_seen;		/**< forwarded, as of the last busy loop */
	uint64_t first_fwd_tsc;		/**< loop that first forwarded (restart gap), 0: none */
	uint64_t last_fwd_tsc;		/**< loop that last forwarded */
	struct aces_worker_stats st __rte_cache_aligned;
} __rte_cache_aligned;

#endif /* ACES_APP_WORKER_T_H */
