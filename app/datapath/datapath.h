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

/*
 * The datapath's read-mostly block, owned by endpoints.c: the endpoint lookups, the entity
 * counts and the workers' timing, built from the running configuration at start and by a
 * reload's swap while every worker is parked; the workers only read it.
 */
struct aces_dp {
	struct rte_hash *ep_hash;		/**< (vip, port, proto) -> endpoint */
	uint16_t *ep_bport_next;		/**< endpoint chains by backend port (links) */
	uint32_t n_entities;			/**< endpoints * 2 + backends */
	uint32_t n_report;			/**< records per report round */
	uint64_t syn_timeout_tsc;		/**< health.syn_timeout_ms in TSC cycles */
	uint64_t tmsg_period;			/**< TSC cycles between report rounds (tick_ms) */
	uint32_t vip_set[ACES_VIP_SET];		/**< VIP addresses, open addressing; 0: empty */
	/** backend address -> index + 1 (open addressing, 0: empty), for adoption */
	uint32_t be_set_addr[ACES_BE_SET];
	uint16_t be_set_idx[ACES_BE_SET];
	/** endpoints by (backend port, protocol): chain heads, index + 1 (0: end) */
	uint16_t ep_bport_head[ACES_BPORT_HEADS];
} __rte_cache_aligned;

extern struct aces_dp aces_dp;

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

	while (aces_dp.vip_set[i] != 0) {
		if (aces_dp.vip_set[i] == addr)
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

	while (aces_dp.be_set_idx[i] != 0) {
		if (aces_dp.be_set_addr[i] == addr)
			return aces_dp.be_set_idx[i] - 1;
		i = (i + 1) & (ACES_BE_SET - 1);
	}
	return -1;
}

static inline uint32_t
aces_bport_head(uint16_t port_be, uint8_t proto)
{
	return ((uint32_t)port_be * 0x9e37u ^ proto) & (ACES_BPORT_HEADS - 1);
}

/* endpoints.c: the block above, from the running configuration */
int aces_endpoints_init(void);
void aces_endpoints_fini(void);
/** A reload (workers parked): the block built again from the new configuration. */
int aces_endpoints_reload(struct aces_remap *r);

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
/** A reload: the paused workers' counters, flows and jobs to the new configuration's
 *  indexes; r->lost counts the open flows whose endpoint or backend vanished. */
int aces_workers_reload(struct aces_remap *r);

/* worker.c */
int aces_worker_main(void *arg);

/* frag.c: what splitting for a port of jumbo frames needs (owned there; set at start) */
/** The pool of data-less mbufs the fragments for a port of jumbo frames point with. */
int aces_frag_pool_create(unsigned int n, unsigned int cache);
/** Port index @pi's frames can be longer than an mbuf (scatter RX, multi-segment TX on). */
void aces_frag_port_segs(uint8_t pi, int segs);

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
