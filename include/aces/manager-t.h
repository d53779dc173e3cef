/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_MANAGER_T_H
#define ACES_MANAGER_T_H

/**
 * @file
 * Types of the Endpoint Manager: the pure-C rules that move endpoints from the
 * original to the replacement (no DPDK types; fed with load snapshots and a
 * millisecond clock, so every rule is unit-tested with simulated time).
 */

#include <stdint.h>

#include "aces/config-t.h"

/** Where an endpoint is in its handover. */
enum aces_phase {
	ACES_PHASE_ORIGINAL = 0,	/**< all new flows to the original; no transition for it */
	ACES_PHASE_WAITING,		/**< transition running; not started (dependency, activity) */
	ACES_PHASE_MIGRATING,		/**< stateless: replacement weight rising in steps */
	ACES_PHASE_REPLICATING,		/**< stateful: state being transferred (hook or operator) */
	ACES_PHASE_CUTOVER,		/**< stateful: new flows switched to the replacement */
	ACES_PHASE_DRAINING,		/**< 100 % new flows on the replacement; flows left on original */
	ACES_PHASE_RELEASED,		/**< no flow left on the original: original released */
	ACES_PHASE_RETURNING,		/**< abort: new flows back on the original, replacement drains */
	ACES_PHASE_FAILED,		/**< handover failed (state transfer); back on the original */
	ACES_PHASE_MOVING,		/**< migrate: 100 % new flows on the replacement; the flows
					 *   left on the original are being moved there (agents) */
	ACES_PHASE_MAX
};

/** The whole transition. */
enum aces_transition_state {
	ACES_TRANSITION_IDLE = 0,
	ACES_TRANSITION_RUNNING,
	ACES_TRANSITION_COMPLETE,
	ACES_TRANSITION_ABORTED,
	ACES_TRANSITION_MAX
};

/** Live load of one endpoint, per side (index enum aces_side). */
struct aces_mgr_ep_load {
	double pps[ACES_SIDE_MAX];		/**< packets/s over the window */
	double bps[ACES_SIDE_MAX];		/**< bytes/s */
	double new_fps[ACES_SIDE_MAX];		/**< new flows/s */
	uint64_t open_flows[ACES_SIDE_MAX];	/**< flows not closed yet */
	uint8_t moving_over;			/**< MOVING: no flow left that can be moved */
};

/** Health of one endpoint per side over the health window (from passive signals). */
struct aces_mgr_ep_health {
	double hs_p95_ms[ACES_SIDE_MAX];	/**< SYN -> SYN-ACK time, 95th percentile */
	uint64_t attempts[ACES_SIDE_MAX];	/**< new flows sent to that side */
	uint64_t failures[ACES_SIDE_MAX];	/**< SYN timeouts + refusals + UDP without reply */
};

/** Everything a tick looks at. */
struct aces_mgr_input {
	uint64_t now_ms;
	const struct aces_mgr_ep_load *ep;	/**< one per endpoint */
	const struct aces_mgr_ep_health *health; /**< one per endpoint, or NULL */
	uint32_t healthy_backends[ACES_SIDE_MAX]; /**< backends in service per side */
	/** 1 while a side has no verdict yet (just started: no backend resolved, no probe
	 *  answered): its count is no news, and the journal says nothing of it */
	uint8_t health_unknown[ACES_SIDE_MAX];
	int32_t repl_cpu_max;			/**< highest replacement CPU %, -1: none */
};

enum aces_hook_kind {
	ACES_HOOK_REPLICATE = 0,
	ACES_HOOK_RELEASE,
	ACES_HOOK_MAX
};

enum aces_mgr_action_type {
	ACES_ACT_RUN_HOOK = 0,		/**< run ep's hook (kind) */
	ACES_ACT_KILL_HOOK,		/**< stop ep's running hook (kind) */
	ACES_ACT_RESET_FLOWS,		/**< TCP RST both ends of ep's flows on side */
};

/** Work the manager asks the appliance to do; taken with aces_mgr_take_actions(). */
struct aces_mgr_action {
	enum aces_mgr_action_type type;
	uint32_t ep;
	uint8_t hook;		/**< enum aces_hook_kind */
	uint8_t side;		/**< enum aces_side */
};

#define ACES_MGR_RESHARD_LOG 32	/**< step-back times kept per endpoint (flap limit) */

/** What the manager keeps of one endpoint across a restart, by name. */
struct aces_mgr_saved_ep {
	char name[ACES_NAME_MAX];
	uint8_t phase;				/**< enum aces_phase */
	uint8_t weight;
	uint8_t pinned;
	uint8_t drain_acted;
	uint8_t hook_running[2];		/**< ACES_HOOK_MAX: run again after a restart */
	uint64_t phase_since;			/**< manager clock, like every time here */
	uint64_t last_step;
	uint64_t low_since;
	uint64_t cool_until;
	uint64_t last_reshard;
	uint32_t reshard_n;
	uint64_t reshard_t[ACES_MGR_RESHARD_LOG];
};

/** The manager's state (aces_mgr_save(), aces_mgr_restore()): the transition and every endpoint. */
struct aces_mgr_saved {
	uint8_t state;				/**< enum aces_transition_state */
	uint32_t transition;			/**< number of the last transition started, 0: none */
	uint64_t started_ms;
	uint64_t ended_ms;
	uint32_t n_ep;
	struct aces_mgr_saved_ep *ep;		/**< n_ep entries */
};

#define ACES_EVENT_REASON_MAX 128	/* = RTE_TEL_MAX_STRING_LEN: shown whole */
#define ACES_EVENT_STATE_MAX 16

/** One decision, kept in the bounded journal. */
struct aces_event {
	uint64_t id;				/**< 1, 2, 3, ... */
	uint64_t t_ms;				/**< manager clock */
	int32_t ep;				/**< endpoint index, -1 for the transition */
	int32_t backend;			/**< backend index for backend events, else -1 */
	uint8_t weight;				/**< replacement weight after the decision */
	char from[ACES_EVENT_STATE_MAX];	/**< phase (or transition state) before */
	char to[ACES_EVENT_STATE_MAX];		/**< after */
	char reason[ACES_EVENT_REASON_MAX];
};

#endif /* ACES_MANAGER_T_H */
