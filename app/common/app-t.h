/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_APP_T_H
#define ACES_APP_APP_T_H

/**
 * @file
 * The appliance's global state (struct aces_app) and the endpoint hash key.
 */

#include <stdbool.h>
#include <stdint.h>

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

struct aces_app {
	struct aces_config *cfg;		/**< the running configuration: the file's, then
						 *   what reloads removed while it drains */
	struct aces_config *mgr_cfg;		/**< the manager's view: the file's part */
	uint32_t n_ep_live;			/**< endpoints of the file (the first ones) */
	uint32_t n_be_live;			/**< backends of the file (the first ones) */
	const char *config_path;
	uint16_t n_ports;			/**< distinct ports: 1 (one-armed) or 2 */
	uint16_t port_ids[ACES_MAX_PORTS];	/**< by port index */
	uint8_t client_pi;			/**< port index of the client role */
	uint8_t backend_pi;			/**< port index of the backend role */
	struct rte_ether_addr port_mac[ACES_MAX_PORTS];
	uint16_t port_mtu[ACES_MAX_PORTS];	/**< IP MTU of each port: longer packets are
						 *   fragmented, or answered "too big" (DF) */
	uint16_t min_mtu;			/**< the smallest of them */
	/** the port's frames can be longer than an mbuf (jumbo MTU): scatter RX and
	 *  multi-segment TX are on; elsewhere every frame ACES sends is one segment */
	uint8_t port_segs[ACES_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_mempool *frag_pool;		/**< indirect mbufs of fragments for port_segs ports */
	uint8_t rxq_count_ok[ACES_MAX_PORTS];	/**< rte_eth_rx_queue_count() works on the port */
	uint64_t rx_loss_tsc[ACES_MAX_PORTS];	/**< when the control lcore last saw the port
						 *   lose received packets (imissed, rx_nombuf,
						 *   packet-socket drops: port_loss.c) */
	struct rte_hash *ep_hash;		/**< (vip, port, proto) -> endpoint; read-only */
	struct aces_neigh *neigh;		/**< next hops (net/neigh.c owns them) */
	uint32_t *backend_nh;			/**< backend -> neigh index */
	uint32_t vip_set[ACES_VIP_SET];		/**< VIP addresses, open addressing; 0: empty */
	/** backend address -> index + 1 (open addressing, 0: empty), for adoption */
	uint32_t be_set_addr[ACES_BE_SET];
	uint16_t be_set_idx[ACES_BE_SET];
	/** endpoints by (backend port, protocol): chain heads and links, index + 1 (0: end) */
	uint16_t ep_bport_head[ACES_BPORT_HEADS];
	uint16_t *ep_bport_next;
	int32_t client_gw_nh;			/**< neigh index of the client gateway, or -1 */
	struct aces_assign *assign;		/**< current table; RCU protected */
	struct aces_mgr *mgr;			/**< Endpoint Manager (control lcore) */
	uint32_t *be_cpu;			/**< backend-reported CPU %, UINT32_MAX = none */
	uint64_t *be_cpu_ms;			/**< when it was reported (manager clock) */
	uint32_t n_entities;			/**< endpoints * 2 + backends */
	uint32_t n_report;			/**< records per report round */
	uint64_t syn_timeout_tsc;		/**< health.syn_timeout_ms in TSC cycles */
	uint64_t tmsg_period;			/**< TSC cycles between report rounds */
	uint64_t start_realtime_ms;		/**< wall clock at start, for event times */
	uint64_t start_mono_ms;			/**< CLOCK_MONOTONIC at start */
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *cmd_ring;		/**< telemetry threads -> control (MP/SC) */
	unsigned int n_workers;
	struct aces_worker *workers;		/**< rte_zmalloc'd array */
	uint64_t ctl[ACES_CTL_MAX];
	uint64_t tsc_hz;
	uint64_t start_tsc;
	volatile bool force_quit;
	int park;				/**< control: workers pause (a reload) */
	uint64_t cfg_gen;			/**< bumped by every reload done */
};

/* Key of the endpoint hash. ICMP entries (port 0) mark VIP addresses. */
struct aces_ep_key {
	uint32_t vip;
	uint16_t port;		/**< network order */
	uint8_t proto;
	uint8_t pad;
};

#define ACES_EP_VIP_MARK 0xffffu	/**< endpoint hash data for a VIP address entry */

#endif /* ACES_APP_APP_T_H */
