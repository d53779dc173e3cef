/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_DATAPATH_H
#define ACES_APP_DATAPATH_H

/**
 * @file
 * What the worker lcores offer the rooms above: the endpoint and VIP lookup tables, the
 * workers' state, rings and flow tables, their loop, pause and remap for a reload, and the
 * steering rule every worker and every process follows.
 *
 * Room app/datapath; it may use: common (tools/check_layers.py).
 */

#include "aces/chash.h"
#include "aces/flow.h"
#include "common/aces.h"

/* endpoints.c: the endpoint hash and the VIP set (owned there) */
int aces_endpoints_init(void);
void aces_endpoints_fini(void);

/* workers.c: the workers' state, rings and flow tables (owned there) */
int aces_workers_init(void);
void aces_workers_fini(void);
/** The memory of one worker's flow table, in bytes. */
uint64_t aces_workers_flow_table_bytes(void);

/** The worker that owns the flow of this client end (network order). */
unsigned int aces_flow_owner_of(uint32_t client_ip, uint16_t client_port, uint8_t proto);
/** A reload: every worker stops at the end of its loop (within 1 s, else -ETIMEDOUT). */
int aces_workers_pause(void);
void aces_workers_resume(void);
/** The paused workers' counters, flows and jobs to the new configuration's indexes. */
int aces_workers_remap(const int32_t *ep_new, uint32_t n_old_ep, const int32_t *be_new,
		       uint32_t n_old_be, int swap, uint64_t *lost);

/* worker.c */
int aces_worker_main(void *arg);

/*
 * The steering hash of a connection: its client and VIP ends, unseeded, so it is
 * the same in every worker and every process (a restarted ACES, or another worker,
 * steers a flow it has never seen where its first packet was steered).
 */
static inline uint32_t
aces_steer_hash(const struct aces_flow_tuple *t)
{
	uint64_t k = ((uint64_t)t->client_ip << 32 | t->peer_ip) ^
		     (((uint64_t)t->client_port << 32 | (uint64_t)t->peer_port << 16 | t->proto) *
		      0x9e3779b97f4a7c15ull);

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

/** The consistent-hash bucket of a connection with steering hash @sh (either side's table). */
static inline uint32_t
aces_steer_bucket(uint32_t sh)
{
	return aces_chash_mix32(sh ^ 0x9e3779b9u) & (ACES_CHASH_SIZE - 1);
}

#endif /* ACES_APP_DATAPATH_H */
