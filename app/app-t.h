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
#include "assign-t.h"
#include "counters-t.h"
#include "limits-t.h"
#include "neigh-t.h"
#include "worker-t.h"

struct aces_app {
	struct aces_config *cfg;
	const char *config_path;
	uint16_t n_ports;			/**< distinct ports: 1 (one-armed) or 2 */
	uint16_t port_ids[ACES_MAX_PORTS];	/**< by port index */
	uint8_t client_pi;			/**< port index of the client role */
	uint8_t backend_pi;			/**< port index of the backend role */
	struct rte_ether_addr port_mac[ACES_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_hash *ep_hash;		/**< (vip, port, proto) -> endpoint; read-only */
	struct aces_neigh *neigh;
	uint32_t n_neigh;
	uint32_t *backend_nh;			/**< backend -> neigh index */
	uint32_t vip_set[ACES_VIP_SET];		/**< VIP addresses, open addressing; 0: empty */
	int32_t client_gw_nh;			/**< neigh index of the client gateway, or -1 */
	struct aces_assign *assign;		/**< current table; RCU protected */
	struct aces_mgr *mgr;			/**< Endpoint Manager (control lcore) */
	struct aces_mgr_ep_load *ep_load;	/**< windowed load; written by control */
	struct aces_ctr *ctr_sum;		/**< summed counters per entity (control) */
	double *be_pps;				/**< per backend, windowed (control) */
	uint32_t *be_cpu;			/**< backend-reported CPU %, UINT32_MAX = none */
	uint64_t *be_cpu_ms;			/**< when it was reported (manager clock) */
	uint32_t n_entities;			/**< endpoints * 2 + backends */
	uint32_t n_report;			/**< records per report round */
	uint64_t syn_timeout_tsc;		/**< health.syn_timeout_ms in TSC cycles */
	uint64_t tmsg_period;			/**< TSC cycles between report rounds */
	uint64_t flow_table_bytes;		/**< memory of one worker's flow table */
	uint64_t start_realtime_ms;		/**< wall clock at start, for event times */
	uint64_t start_mono_ms;			/**< CLOCK_MONOTONIC at start */
	volatile int usr2;			/**< SIGUSR2 seen: start a transition */
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *cmd_ring;		/**< telemetry threads -> control (MP/SC) */
	unsigned int n_workers;
	struct aces_worker *workers;		/**< rte_zmalloc'd array */
	uint64_t ctl[ACES_CTL_MAX];
	uint64_t tsc_hz;
	uint64_t start_tsc;
	volatile bool force_quit;
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
