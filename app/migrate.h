/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_MIGRATE_H
#define ACES_APP_MIGRATE_H

/**
 * @file
 * migrate.c: moving established connections with the backend agents (control lcore).
 */

#include <stdint.h>

#include "snapshot-t.h"

struct rte_mbuf;
struct aces_pkt;

int aces_mig_init(void);
void aces_mig_fini(void);
/** Every control loop: answers of the workers, moves to start, agents to ask again. */
void aces_mig_poll(uint64_t now_ms);
/** A frame to ACES's backend address: 0 when it was an agent's answer (consumed). */
int aces_mig_rx(struct rte_mbuf *m, const struct aces_pkt *p);
/** For the manager: endpoint @ep has nothing left that can be moved. */
int aces_mig_over(uint32_t ep);
/** A reload (workers paused and remapped): moves under way to the new indexes. */
void aces_mig_reload(const int32_t *ep_new, uint32_t n_old_ep, const int32_t *be_new,
		     uint32_t n_old_be);
/** Counters and freeze percentiles, for the snapshot. */
void aces_mig_snap(struct aces_snap_mig *out);
/** Flows of endpoint @ep moved (and in @failed: not moved) since start. */
uint64_t aces_mig_ep_moved(uint32_t ep, uint64_t *failed);

#endif /* ACES_APP_MIGRATE_H */
