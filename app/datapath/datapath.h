/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_DATAPATH_H
#define ACES_APP_DATAPATH_H

/**
 * @file
 * What the worker lcores offer the rooms above: the endpoint and VIP lookup tables, the
 * workers' state, rings and flow tables, their loop, pause and remap for a reload.
 *
 * Room app/datapath; it may use: common (tools/check_layers.py).
 */

#include "common/aces.h"

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

#endif /* ACES_APP_DATAPATH_H */
