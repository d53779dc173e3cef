/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_H
#define ACES_APP_H

/**
 * @file
 * Room app/common, the lowest: the appliance's shared state and the helpers every room
 * reads it with; it uses no other room. The functions each room offers are in its own
 * header (net/net.h, datapath/datapath.h, ...), and so is the state only that room writes
 * (struct aces_dp, aces_nh, aces_loss, ...). The types are in the *-t.h headers beside this
 * one (limits, counters, assignment table, neighbours, worker, commands, snapshot, the
 * module table's rows, the shared struct aces_app and struct aces_cplane), which include
 * only each other, so a room includes just the types it needs.
 *
 * Ownership (who writes what):
 *  - worker lcores: their own struct aces_worker (flow table, counters); nothing else.
 *  - control lcore (the EAL main lcore): every shared table below, and control counters.
 *  - telemetry threads: nothing. They read counters and snapshots and hand every
 *    change to the control lcore through cmd_ring.
 * Counters are single-writer uint64_t; readers sum them across workers.
 *
 * One publisher per shared table. Each publisher's entry says ACES_ON_CONTROL_LCORE(): in
 * debug and sanitizer builds (ACES_CHECKED, app/meson.build) a call off the control lcore
 * stops the process with its name; elsewhere it costs nothing.
 *
 *  table                         writer (publisher)                mechanism                   readers
 *  assignment table aces.assign  manager/assign.c assign_publish,  RCU QSBR: the new copy      workers, every
 *                                aces_assign_reload                stored (release), the old   burst
 *                                                                  freed once every worker
 *                                                                  passed a quiescent state
 *  neighbour MACs aces_nh.neigh  net/neigh.c handle_arp            one 64-bit word, valid bit, workers, every
 *                                                                  store-release               forward
 *  telemetry snapshot            manager/snapshot.c                sequence lock (odd while    telemetry threads
 *                                aces_snap_publish                 written), readers retry
 *  backend health states         health/health_mon.c set_state     sequence lock per backend   telemetry threads
 *  port loss                     net/port_loss.c                   relaxed 64-bit words        workers (full
 *  aces_loss.rx_loss_tsc         aces_port_loss_watch                                          bursts)
 *  moves' mailboxes              handover/migrate.c send_batches,  struct aces_mig_box: the    each mailbox's
 *  (struct aces_mig_box)         take_lists (the worker answers)   ack, written last, hands    worker
 *                                                                  it over
 *  configuration (aces), the     the module table's reload hooks   written only while every    workers
 *  datapath block (aces_dp),     in lifecycle/reload.c swap, or    worker is parked (aces.park),
 *  next-hop arrays (aces_nh)     their init at start               or before they run
 *  worker commands (msg_ring),   the control lcore                 rte_ring, one producer      each worker
 *  control frames (ctl_tx_ring)
 *  commands (cmd_ring)           telemetry threads                 rte_ring, many producers    the control lcore
 *  telemetry records (tmsg_ring) each worker                       rte_ring, one producer      the control lcore
 *  hand-offs (handoff_ring)      other workers                     rte_ring, many producers    its worker
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_branch_prediction.h>
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
#include "common/app-t.h"
#include "common/assign-t.h"
#include "common/cmd-t.h"
#include "common/counters-t.h"
#include "common/limits-t.h"
#include "common/module-t.h"
#include "common/neigh-t.h"
#include "common/snapshot-t.h"
#include "common/worker-t.h"

extern struct aces_app aces;
extern struct aces_cplane aces_cp;

#ifdef ACES_CHECKED
#include <rte_debug.h>
#include <rte_lcore.h>

/* A publisher runs on the control lcore, the only writer of the shared tables. */
static inline void
aces_on_control_lcore(const char *publisher)
{
	if (unlikely(rte_lcore_id() != rte_get_main_lcore()))
		rte_panic("%s: a publisher called off the control lcore (lcore %d, control %u)\n",
			  publisher, (int)rte_lcore_id(), rte_get_main_lcore());
}
#define ACES_ON_CONTROL_LCORE() aces_on_control_lcore(__func__)
#else
#define ACES_ON_CONTROL_LCORE() do { } while (0)
#endif

/** Port index (0 or 1) of a DPDK port id that ACES uses. */
static inline uint8_t
aces_port_index(uint16_t port_id)
{
	return port_id == aces.port_ids[0] ? 0 : 1;
}

/* Manager clock: milliseconds since start, CLOCK_MONOTONIC (control plane and telemetry
 * only; it keeps event times in step with the wall clock, which a TSC estimate drifts from). */
static inline uint64_t
aces_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - aces_cp.start_mono_ms;
}

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
