/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_MANAGER_H
#define ACES_APP_MANAGER_H

/**
 * @file
 * The Endpoint Manager on the control lcore, the one publisher of assignment tables, and
 * the snapshot of the control lcore's state that telemetry threads read; the one consumer of
 * the workers' telemetry rings, whose records feed the manager and the health monitor.
 *
 * Room app/manager; it may use: common, net, datapath, health, handover (tools/check_layers.py).
 */

#include "common/aces.h"

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
 * (r->same_backends: its backends, weights and sides are the old ones: tables copied). */
int aces_assign_reload(struct aces_remap *r);
/** Free every table (shutdown, no worker running). */
void aces_assign_fini(void);

/* endpoint_mgr.c: the Endpoint Manager on the control lcore */
int aces_epm_init(void);
void aces_epm_fini(void);
/** Telemetry records of worker @w: counters of an endpoint side, of a backend. */
void aces_epm_rec_ep(unsigned int w, const struct aces_tmsg *r);
void aces_epm_rec_be(unsigned int w, const struct aces_tmsg *r);
void aces_epm_tick(uint64_t now_ms);
void aces_epm_apply(uint64_t now_ms);
int aces_epm_cmd(struct aces_cmd *cmd, uint64_t now_ms);
/** A reload, before the new configuration: the manager's state and events, kept. */
int aces_epm_save(struct aces_remap *r);
/** A reload (workers paused and remapped): rates, sums and hooks to the new indexes, and a
 *  manager for the new configuration with the old one's state. */
int aces_epm_reload(struct aces_remap *r);

/* snapshot.c: what telemetry threads read of the control lcore's state */
/** The snapshot's arrays, and the first snapshot. */
int aces_snap_init(void);
void aces_snap_fini(void);
/** A reload: arrays for the new configuration, and its first snapshot. */
int aces_snap_reload(struct aces_remap *r);
/** Take a snapshot (control lcore: after every tick and every command). */
void aces_snap_publish(uint64_t now_ms);
/**
 * Copy the latest snapshot (telemetry threads): the head, and the endpoints and
 * backends into @ep and @be (n_endpoints and n_backends entries, or NULL). 0 or -EAGAIN.
 */
int aces_snap_read(struct aces_snap *head, struct aces_snap_ep *ep, struct aces_snap_be *be);

/* telemetry_ring.c */
/** Drain every worker's telemetry ring, each record to the handler of its type. */
void aces_tmsg_drain(void);

#endif /* ACES_APP_MANAGER_H */
