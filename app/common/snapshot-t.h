/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_SNAPSHOT_T_H
#define ACES_APP_SNAPSHOT_T_H

/**
 * @file
 * What telemetry threads show of the control lcore's state: a snapshot it publishes
 * after every tick and every command (snapshot.c), read whole and consistent.
 */

#include <stdint.h>

#include "aces/manager-t.h"
#include "aces/tmsg-t.h"

/** One endpoint as of the snapshot. */
struct aces_snap_ep {
	struct aces_ctr c[ACES_SIDE_MAX];	/**< summed over the workers, per side */
	double pps[ACES_SIDE_MAX];		/**< windowed */
	double new_fps[ACES_SIDE_MAX];
	struct aces_mgr_ep_health h;		/**< windowed health */
	uint64_t hs_hist[ACES_SIDE_MAX][ACES_HS_BUCKETS];	/**< cumulative handshake times */
	uint8_t weight;				/**< replacement weight published */
	uint8_t phase;				/**< enum aces_phase */
	uint8_t pinned;				/**< set by hand */
	uint8_t removed;			/**< removed by a reload, its flows draining */
	uint64_t moved, move_failed;		/**< established flows moved (migrate.c) */
};

/** One backend as of the snapshot. */
struct aces_snap_be {
	struct aces_ctr c;
	struct aces_health_ctr hc;		/**< cumulative passive counters */
	double pps;
	uint64_t since_ms;			/**< of its state */
	uint64_t cpu_ms;			/**< when its CPU figure came */
	uint32_t cpu;				/**< reported CPU %, UINT32_MAX: none */
	uint8_t state;				/**< enum aces_be_state */
	char reason[112];
};

/** Moving established connections (migrate.c). */
/*
 * The moves' counters (cumulative, control lcore), named once: the fields, the names
 * /aces/transition shows under "moves" and their meaning come from this list.
 */
#define ACES_MIG_CTR_LIST(_) \
	_(started, "started", "moves of established connections started") \
	_(moved, "moved", "connections moved to the replacement") \
	_(failed, "failed", "moves that failed: the connection stays on the original") \
	_(timed_out, "timed_out", "moves without an answer in agents.move_timeout_ms") \
	_(lost, "lost_in_reload", "moves under way when a reload removed their endpoint") \
	_(no_backend, "no_replacement_backend", "moves not started: no replacement backend") \
	_(datagrams_sent, "datagrams_sent", "MOVE datagrams sent to agents (resends included)") \
	_(send_failed, "datagrams_not_sent", "MOVE datagrams that could not be sent") \
	_(refused, "answers_refused", "agent datagrams that were not authentic") \
	_(late, "answers_late", "agent answers to moves already ended") \
	_(agents_not_answering, "agents_not_answering", "times an agent was left alone for a while")

struct aces_snap_mig {
#define ACES_MIG_CTR_FIELD(f, n, d) uint64_t f;
	ACES_MIG_CTR_LIST(ACES_MIG_CTR_FIELD)
#undef ACES_MIG_CTR_FIELD
	uint64_t first_ms, last_ms;		/**< this run of moves: first started, last ended */
	uint64_t run_base;			/**< moves ended before this run */
	uint32_t in_flight;
	uint32_t freeze_samples;		/**< of the last 4,096 moves */
	uint32_t freeze_p50_us, freeze_p99_us, freeze_max_us;
	char last_error[160];
};

/** The snapshot's head (the arrays come beside it). */
struct aces_snap {
	uint64_t at_ms;				/**< manager clock when it was taken */
	uint32_t tstate;			/**< enum aces_transition_state */
	uint32_t tnumber;			/**< the transition's number, 0: none yet */
	uint64_t tstarted_ms;
	uint64_t tended_ms;
	struct aces_snap_mig mig;
};

#endif /* ACES_APP_SNAPSHOT_T_H */
