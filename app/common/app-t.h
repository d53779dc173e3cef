/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_APP_T_H
#define ACES_APP_APP_T_H

/**
 * @file
 * The state the rooms share (struct aces_app aces, struct aces_cplane aces_cp), what
 * restarts and reloads counted, and the endpoint hash key.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "aces/config-t.h"
#include "aces/manager-t.h"
#include "aces/tmsg-t.h"
#include "common/assign-t.h"
#include "common/counters-t.h"
#include "common/limits-t.h"
#include "common/neigh-t.h"
#include "common/worker-t.h"

/*
 * What a start took over, counted (state.c), named once: the fields, the names /aces/restart
 * shows and their meaning come from this list.
 */
#define ACES_RESTART_CTR_LIST(_) \
	_(flows_in_file, "flows_in_file", "flows the state file held") \
	_(flows_imported, "flows_imported", "flows taken into the tables") \
	_(flows_left_out, "flows_left_out", "flows of an endpoint or backend no longer configured") \
	_(flows_expired, "flows_expired", "flows that timed out while ACES was down") \
	_(flows_no_room, "flows_no_room", "flows not taken: table full, or the same flow twice") \
	_(streams_refused, "streams_refused", "workers' flow streams refused as damaged")

/** What a start took over from the last process (state.c, /aces/restart). */
struct aces_restart_info {
	int enabled;				/**< 0: --no-state */
	char path[4096];			/**< the state file */
	char status[256];			/**< what happened to it at start */
	int taken;				/**< a state was taken over */
	int clean;				/**< ... written at a clean stop, with flows */
	int gap_known;				/**< the first packet has been forwarded */
#define ACES_RESTART_CTR_FIELD(f, n, d) uint64_t f;
	ACES_RESTART_CTR_LIST(ACES_RESTART_CTR_FIELD)
#undef ACES_RESTART_CTR_FIELD
	uint64_t last_forward_realtime_ms;	/**< the old process's last forward */
	uint64_t first_forward_realtime_ms;	/**< this one's first */
	int64_t gap_ms;
	uint64_t lay_ms;			/**< written -> read */
	uint64_t apply_ms;			/**< reading it took */
	uint64_t checkpoints;			/**< control state written while running */
};

extern struct aces_restart_info aces_restart;

/* Reloads of the configuration, counted (reload.c), named once: fields, the names
 * /aces/config shows, meaning. */
#define ACES_RELOAD_CTR_LIST(_) \
	_(done, "reloads", "reloads of the configuration done") \
	_(refused, "reloads_refused", "reloads refused: the running configuration stays")

/** Reloads of the configuration (reload.c, /aces/config). */
struct aces_reload_info {
	uint64_t attempts;
#define ACES_RELOAD_CTR_FIELD(f, n, d) uint64_t f;
	ACES_RELOAD_CTR_LIST(ACES_RELOAD_CTR_FIELD)
#undef ACES_RELOAD_CTR_FIELD
	uint64_t last_ms;			/**< manager clock of the last one done */
	uint64_t last_pause_us;			/**< the workers paused that long for it */
	char last[256];				/**< what the last one changed */
	char last_error[512];			/**< why the last refused one was */
};

extern struct aces_reload_info aces_reloads;

/*
 * The state every room shares, in two parts; what one room keeps for itself is in that
 * room (struct aces_dp: datapath/datapath.h, struct aces_next_hops and the ports' losses:
 * net/net.h, the manager's view: manager/, CPU reports: health/).
 *
 * struct aces_app aces: what the workers read, on its own cache lines. It is written at
 * start, before the workers run, and by a reload's swap while they are parked; in between
 * only force_quit and park change (the control lcore stops or parks the workers with them).
 */
struct aces_app {
	struct aces_config *cfg;		/**< the running configuration: the file's, then
						 *   what reloads removed while it drains */
	uint32_t n_ep_live;			/**< endpoints of the file (the first ones) */
	uint32_t n_be_live;			/**< backends of the file (the first ones) */
	unsigned int n_workers;
	struct aces_worker *workers;		/**< rte_zmalloc'd array */
	struct aces_assign *assign;		/**< current table; RCU protected */
	struct rte_rcu_qsbr *qsbr;
	struct rte_mempool *pool;
	struct rte_ring *cmd_ring;		/**< telemetry threads -> control (MP/SC) */
	uint64_t tsc_hz;
	uint16_t n_ports;			/**< distinct ports: 1 (one-armed) or 2 */
	uint16_t port_ids[ACES_MAX_PORTS];	/**< by port index */
	uint8_t client_pi;			/**< port index of the client role */
	uint8_t backend_pi;			/**< port index of the backend role */
	struct rte_ether_addr port_mac[ACES_MAX_PORTS];
	uint16_t port_mtu[ACES_MAX_PORTS];	/**< IP MTU of each port: longer packets are
						 *   fragmented, or answered "too big" (DF) */
	uint16_t min_mtu;			/**< the smallest of them */
	volatile bool force_quit;
	int park;				/**< control: workers pause (a reload) */
} __rte_cache_aligned;

/*
 * struct aces_cplane aces_cp: the control plane's own (control lcore and telemetry
 * threads): no worker reads it, so its counters' writes stay off the workers' lines.
 */
struct aces_cplane {
	struct aces_mgr *mgr;			/**< Endpoint Manager (manager/, control lcore) */
	uint64_t ctl[ACES_CTL_MAX];		/**< control counters (ACES_CTL_LIST) */
	uint64_t cfg_gen;			/**< bumped by every reload done */
	const char *config_path;
	uint64_t start_tsc;
	uint64_t start_realtime_ms;		/**< wall clock at start, for event times */
	uint64_t start_mono_ms;			/**< CLOCK_MONOTONIC at start */
} __rte_cache_aligned;

/* Key of the endpoint hash. ICMP entries (port 0) mark VIP addresses. */
struct aces_ep_key {
	uint32_t vip;
	uint16_t port;		/**< network order */
	uint8_t proto;
	uint8_t pad;
};

#define ACES_EP_VIP_MARK 0xffffu	/**< endpoint hash data for a VIP address entry */

#endif /* ACES_APP_APP_T_H */
