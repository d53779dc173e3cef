/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The snapshot telemetry threads read. The control lcore fills it after every tick
 * and every command, under a sequence lock: the sequence is odd while it writes, and
 * a reader copies the whole snapshot and keeps the copy only when the sequence was
 * even and unchanged around it. Readers never block the control lcore; a reader that
 * keeps meeting a write (it cannot: a snapshot is taken at most once a command or a
 * tick) gives up with -EAGAIN after a bounded number of tries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_pause.h>

#include "aces/manager.h"
#include "common/aces.h"
#include "health/health.h"
#include "handover/handover.h"
#include "manager/epm.h"
#include "manager/manager.h"

#define READ_TRIES 1000

static struct {
	uint64_t seq;
	struct aces_snap head;
	struct aces_snap_ep *ep;
	struct aces_snap_be *be;
} snap;

static int
snap_alloc(void)
{
	snap.ep = calloc(aces.cfg->n_endpoints ? aces.cfg->n_endpoints : 1, sizeof(*snap.ep));
	snap.be = calloc(aces.cfg->n_backends ? aces.cfg->n_backends : 1, sizeof(*snap.be));
	if (snap.ep == NULL || snap.be == NULL) {
		aces_snap_fini();
		return -ENOMEM;
	}
	return 0;
}

int
aces_snap_init(void)
{
	int rc = snap_alloc();

	if (rc == 0)
		aces_snap_publish(aces_now_ms());
	return rc;
}

int
aces_snap_reload(struct aces_remap *r)
{
	int rc;

	aces_snap_fini();
	rc = snap_alloc();
	if (rc == 0)
		aces_snap_publish(r->now);
	return rc;
}

void
aces_snap_fini(void)
{
	free(snap.ep);
	free(snap.be);
	snap.ep = NULL;
	snap.be = NULL;
}

void
aces_snap_publish(uint64_t now_ms)
{
	const struct aces_config *c = aces.cfg;
	uint32_t e, b, n_ep2 = c->n_endpoints * 2;

	ACES_ON_CONTROL_LCORE();

	__atomic_store_n(&snap.seq, snap.seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	snap.head.at_ms = now_ms;
	snap.head.tstate = (uint32_t)aces_mgr_state(aces_cp.mgr);
	snap.head.tnumber = aces_mgr_transition(aces_cp.mgr);
	snap.head.tstarted_ms = aces_mgr_started_ms(aces_cp.mgr);
	snap.head.tended_ms = aces_mgr_ended_ms(aces_cp.mgr);
	for (e = 0; e < c->n_endpoints; e++) {
		struct aces_snap_ep *x = &snap.ep[e];
		const struct aces_mgr_ep_health *h = aces_health_ep(e);
		int s;

		for (s = 0; s < ACES_SIDE_MAX; s++) {
			x->c[s] = aces_epm.ctr_sum[e * 2 + s];
			x->pps[s] = aces_epm.ep_load[e].pps[s];
			x->new_fps[s] = aces_epm.ep_load[e].new_fps[s];
		}
		if (h != NULL)
			x->h = *h;
		for (s = 0; s < ACES_SIDE_MAX; s++)
			if (aces_health_hist(e * 2 + (uint32_t)s, x->hs_hist[s]) != 0)
				memset(x->hs_hist[s], 0, sizeof(x->hs_hist[s]));
		x->weight = aces.assign->weight[e];
		x->removed = e >= aces.n_ep_live;	/* a reload removed it: its flows drain */
		x->phase = x->removed ? ACES_PHASE_ORIGINAL : (uint8_t)aces_mgr_phase(aces_cp.mgr, e);
		x->pinned = x->removed ? 0 : (uint8_t)aces_mgr_pinned(aces_cp.mgr, e);
		x->moved = aces_mig_ep_moved(e, &x->move_failed);
	}
	aces_mig_snap(&snap.head.mig);
	for (b = 0; b < c->n_backends; b++) {
		struct aces_snap_be *x = &snap.be[b];

		x->c = aces_epm.ctr_sum[n_ep2 + b];
		aces_health_counters(n_ep2 + b, &x->hc);
		x->pps = aces_epm.be_pps[b];
		x->cpu = aces_health_cpu(b, &x->cpu_ms);
		x->state = aces_health_state(b, &x->since_ms, x->reason, sizeof(x->reason));
	}
	__atomic_store_n(&snap.seq, snap.seq + 1, __ATOMIC_RELEASE);
}

int
aces_snap_read(struct aces_snap *head, struct aces_snap_ep *ep, struct aces_snap_be *be)
{
	const struct aces_config *c = aces.cfg;
	int i;

	for (i = 0; i < READ_TRIES; i++) {
		uint64_t s0 = __atomic_load_n(&snap.seq, __ATOMIC_ACQUIRE), s1;

		if (s0 & 1) {
			rte_pause();
			continue;
		}
		*head = snap.head;
		if (ep != NULL)
			memcpy(ep, snap.ep, c->n_endpoints * sizeof(*ep));
		if (be != NULL)
			memcpy(be, snap.be, c->n_backends * sizeof(*be));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s1 = __atomic_load_n(&snap.seq, __ATOMIC_RELAXED);
		if (s0 == s1)
			return 0;
	}
	return -EAGAIN;
}
