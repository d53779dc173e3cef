/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_H
#define ACES_APP_H

/**
 * @file
 * The appliance's shared state and the functions its rooms call in each other. The
 * types are in the *-t.h headers beside it (limits, counters, assignment table,
 * neighbours, worker, commands, the global struct aces_app), which include only
 * each other, so a room includes just the types it needs.
 *
 * Ownership (who writes what):
 *  - worker lcores: their own struct aces_worker (flow table, counters); nothing else.
 *  - control lcore (the EAL main lcore): the assignment table (published with RCU
 *    QSBR), the neighbour MACs, the per-endpoint rate snapshot, control counters.
 *  - telemetry threads: nothing. They read counters and snapshots and hand every
 *    change to the control lcore through cmd_ring.
 * Counters are single-writer uint64_t; readers sum them across workers.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "aces/chash.h"
#include "aces/config.h"
#include "aces/flow-t.h"
#include "aces/manager-t.h"
#include "aces/tmsg-t.h"
#include "app-t.h"
#include "assign-t.h"
#include "cmd-t.h"
#include "counters-t.h"
#include "limits-t.h"
#include "neigh-t.h"
#include "snapshot-t.h"
#include "worker-t.h"

extern struct aces_app aces;

static inline uint32_t
aces_vip_slot(uint32_t addr)
{
	return (addr * 0x9e3779b1u) >> (32 - ACES_VIP_SET_BITS);
}

/** Is @addr (network order) a VIP? Read-only after start: a probe or two, no hash call. */
static inline int
aces_is_vip(uint32_t addr)
{
	uint32_t i = aces_vip_slot(addr);

	while (aces.vip_set[i] != 0) {
		if (aces.vip_set[i] == addr)
			return 1;
		i = (i + 1) & (ACES_VIP_SET - 1);
	}
	return 0;
}

static inline uint32_t
aces_be_slot(uint32_t addr)
{
	return (addr * 0x9e3779b1u) >> (32 - ACES_BE_SET_BITS);
}

/** Backend index of address @addr (network order), or -1. */
static inline int
aces_backend_by_addr(uint32_t addr)
{
	uint32_t i = aces_be_slot(addr);

	while (aces.be_set_idx[i] != 0) {
		if (aces.be_set_addr[i] == addr)
			return aces.be_set_idx[i] - 1;
		i = (i + 1) & (ACES_BE_SET - 1);
	}
	return -1;
}

static inline uint32_t
aces_bport_head(uint16_t port_be, uint8_t proto)
{
	return ((uint32_t)port_be * 0x9e37u ^ proto) & (ACES_BPORT_HEADS - 1);
}

/** Port index (0 or 1) of a DPDK port id that ACES uses. */
static inline uint8_t
aces_port_index(uint16_t port_id)
{
	return port_id == aces.port_ids[0] ? 0 : 1;
}

/* endpoints.c: the endpoint hash and the VIP set (owned there) */
int aces_endpoints_init(void);
void aces_endpoints_fini(void);

/* workers.c: the workers' state, rings and flow tables (owned there) */
int aces_workers_init(void);
void aces_workers_fini(void);

/** The worker that owns the flow of this client end (network order). */
unsigned int aces_flow_owner_of(uint32_t client_ip, uint16_t client_port, uint8_t proto);
/** A reload: every worker stops at the end of its loop (within 1 s, else -ETIMEDOUT). */
int aces_workers_pause(void);
void aces_workers_resume(void);
/** The paused workers' counters, flows and jobs to the new configuration's indexes. */
int aces_workers_remap(const int32_t *ep_new, uint32_t n_old_ep, const int32_t *be_new,
		       uint32_t n_old_be, int swap, uint64_t *lost);
/** Worker side of aces_workers_pause(). */
void aces_wk_park(struct aces_worker *w);

/* worker.c */
int aces_worker_main(void *arg);
/* flowtrack.c: the flow table's expire callback (@arg: the worker), for its creator */
void aces_wk_flow_expired(void *arg, struct aces_flow *f);

/* Manager clock: milliseconds since start, CLOCK_MONOTONIC (control plane and telemetry
 * only; it keeps event times in step with the wall clock, which a TSC estimate drifts from). */
static inline uint64_t
aces_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - aces.start_mono_ms;
}

/* port_loss.c: evidence that a port loses received packets (control lcore) */
/**
 * Find what tells port index @pi's losses (after the port started): for net_af_packet, the
 * packet sockets of its interface. Returns what tells the port's overload, for the log.
 */
const char *aces_port_loss_init(uint8_t pi);
/** Read every port's losses (every 20 ms); a loss sets aces.rx_loss_tsc[port]. */
void aces_port_loss_watch(uint64_t now_tsc);

/* control.c: the control loop */
int aces_control_init(void);
void aces_control_loop(void);
void aces_control_fini(void);

/* assign.c: the one publisher of assignment tables */
/** Build the initial assignment table (everything on the original). */
int aces_assign_init(void);
/**
 * Publish a new table when the manager's weights or the health monitor's down set
 * changed since the last one (control lcore only). 0, or -errno (tried again next loop).
 */
int aces_assign_sync(void);
/** Free retired tables no worker holds (@wait: wait for all). Returns how many. */
unsigned int aces_assign_reclaim(bool wait);
/** A reload, every worker paused: drop every table, publish one for the new config
 * (@same_backends: its backends, weights and sides are the old ones: tables copied). */
int aces_assign_reset(int same_backends);
/** Free every table (shutdown, no worker running). */
void aces_assign_fini(void);

/* neigh.c: ARP and neighbours */
/** The next hops of the config's backends and gateways (owned here). */
int aces_neigh_init(void);
void aces_neigh_fini(void);
/** A reload (workers paused): next hops of the new config, learned MACs kept. */
int aces_neigh_reload(void);
/** Send a frame the control lcore built, through worker 0's queue on port @port_id. */
void aces_ctl_send(struct rte_mbuf *m, uint16_t port_id);
/** A frame a worker handed over: ARP, or TCP/UDP to an own address (probe answers). */
void aces_neigh_slow_path(struct rte_mbuf *m);
/** ARP requests that are due (unresolved every second, resolved every minute). */
void aces_neigh_maintain(uint64_t now_tsc);
/** Gratuitous ARP for every address ACES owns. */
void aces_neigh_announce(void);

/* snapshot.c: what telemetry threads read of the control lcore's state */
int aces_snap_init(void);
void aces_snap_fini(void);
/** Take a snapshot (control lcore: after every tick and every command). */
void aces_snap_publish(uint64_t now_ms);
/**
 * Copy the latest snapshot (telemetry threads): the head, and the endpoints and
 * backends into @ep and @be (n_endpoints and n_backends entries, or NULL). 0 or -EAGAIN.
 */
int aces_snap_read(struct aces_snap *head, struct aces_snap_ep *ep, struct aces_snap_be *be);

/* state.c: what a restart hands to the next process */
/** Before the modules: read the state file, if any, and continue the manager clock. */
int aces_state_open(void);
/** After the modules, before the workers: flows, manager, health. Removes the file. */
int aces_state_apply(void);
/** At a clean stop, once the workers have stopped: write the state file. */
int aces_state_write(void);
/** Control loop: write the control state (no flows) within a second of a change. */
void aces_state_checkpoint(uint64_t now_ms);
/** Control loop: note when the first packet is forwarded after a take-over. */
void aces_state_watch_gap(void);

/* reload.c: live reconfiguration */
#include <pthread.h>
/** Telemetry handlers hold it for reading; a reload's swap for writing. */
extern pthread_rwlock_t aces_cfg_lock;
/** Set on a telemetry thread while its handler holds aces_cfg_lock for reading. */
extern __thread int aces_tel_read_held;
/** Make @rt the running configuration (its first n_*_live entries are the file's). */
int aces_config_install(struct aces_config *rt, uint32_t n_ep_live, uint32_t n_be_live);
void aces_config_uninstall(void);
/** Re-read --config and apply the difference (control lcore). 0, or -errno with @msg. */
int aces_reload(const char *why, char *msg, size_t len);
/** Every tick: drain deadlines of removed endpoints and backends. */
void aces_reload_tick(uint64_t now_ms);

/* telemetry_ring.c */
/** Drain every worker's telemetry ring, each record to the handler of its type. */
void aces_tmsg_drain(void);

/* cmd.c */
/** Hand a command to the control lcore and wait for it (bounded). Telemetry threads only. */
int aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen);
/** Carry out a command (control lcore), publish what it changed, answer it. */
void aces_cmd_run(struct aces_cmd *cmd);
/** Answer the commands still queued as refused (shutdown). */
void aces_cmd_fini(void);

/* health_mon.c: probes, backend states, passive signals */
struct aces_pkt;
struct aces_mgr_input;
int aces_health_init(void);
void aces_health_fini(void);
/** Telemetry records of worker @w: passive health of an endpoint side, of a backend,
 * an endpoint side's handshake histogram. */
void aces_health_rec_ep(unsigned int w, const struct aces_tmsg *r);
void aces_health_rec_be(unsigned int w, const struct aces_tmsg *r);
void aces_health_rec_hist(unsigned int w, const struct aces_tmsg *r);
/** Backends that are down (1), and in @gen a number that changes whenever they do. */
const uint8_t *aces_health_down(uint64_t *gen);
/** A frame to an own address: 0 when it was a probe's answer (consumed). */
int aces_health_rx(struct rte_mbuf *m, const struct aces_pkt *p);
/** Every control loop: send due probes, time out unanswered ones. */
void aces_health_poll(uint64_t now_ms);
/** Every tick: passive signals, backend states, table changes. */
void aces_health_tick(uint64_t now_ms);
/** Healthy backends per side, endpoint health and CPU for the manager. */
void aces_health_fill(struct aces_mgr_input *in);
/** Backend state for telemetry: enum aces_be_state, since (ms), reason. */
uint8_t aces_health_state(uint32_t b, uint64_t *since_ms, char *reason, size_t len);
/** Cumulative passive counters of entity @id (endpoint * 2 + side, or 2 * endpoints + backend). */
void aces_health_counters(uint32_t id, struct aces_health_ctr *out);
/** Cumulative handshake-time histogram of endpoint side @id (endpoint * 2 + side), summed
 *  over the workers as of the last tick, into @out (ACES_HS_BUCKETS counts); 0, or -1. */
int aces_health_hist(uint32_t id, uint64_t *out);
/** Windowed health of endpoint @e (control lcore's last tick), or NULL. */
const struct aces_mgr_ep_health *aces_health_ep(uint32_t e);
struct json_t;
/** Every backend's health, for the state file (a JSON array, NULL: no memory). */
struct json_t *aces_health_save(void);
/** Health from aces_health_save() of the last process, by backend name; @kept: how many. */
int aces_health_restore(const struct json_t *arr, uint32_t *kept);
/** A reload: the newest records from the paused workers' counters. */
void aces_health_seed(void);

/* endpoint_mgr.c: the Endpoint Manager on the control lcore */
int aces_epm_init(void);
void aces_epm_fini(void);
/** Telemetry records of worker @w: counters of an endpoint side, of a backend. */
void aces_epm_rec_ep(unsigned int w, const struct aces_tmsg *r);
void aces_epm_rec_be(unsigned int w, const struct aces_tmsg *r);
void aces_epm_tick(uint64_t now_ms);
void aces_epm_apply(uint64_t now_ms);
int aces_epm_cmd(struct aces_cmd *cmd, uint64_t now_ms);
/** A reload (workers paused and remapped): rates, sums and hooks to the new indexes. */
int aces_epm_remap(const int32_t *ep_src, const int32_t *be_src, uint32_t old_n_ep, int swap);

/* telemetry_cmds.c */
int aces_telemetry_init(void);
/** Refuse new requests and wait for running handlers (before state is freed). */
void aces_telemetry_fini(void);

static inline uint64_t
aces_sum_worker(size_t offset)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < aces.n_workers; i++)
		s += *(const volatile uint64_t *)((const char *)&aces.workers[i].st + offset);
	return s;
}

#define ACES_SUM(field) aces_sum_worker(offsetof(struct aces_worker_stats, field))

#endif /* ACES_APP_H */
