/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one consumer of the workers' telemetry rings (on the control lcore): records
 * are drained in bursts and each goes to the handler of its type. A record of an
 * unknown type is counted and dropped: a worker and its control lcore are one
 * binary, so it would be a bug, never a reason to stop.
 */
#include <rte_ring.h>

#include "common/aces.h"
#include "health/health.h"
#include "manager/manager.h"

typedef void (*tmsg_handler)(unsigned int worker, const struct aces_tmsg *r);

static const tmsg_handler handlers[ACES_TMSG_MAX] = {
	[ACES_TMSG_EP_SIDE] = aces_epm_rec_ep,
	[ACES_TMSG_BACKEND] = aces_epm_rec_be,
	[ACES_TMSG_EP_HEALTH] = aces_health_rec_ep,
	[ACES_TMSG_EP_HIST] = aces_health_rec_hist,
	[ACES_TMSG_BE_HEALTH] = aces_health_rec_be,
};

void
aces_tmsg_drain(void)
{
	struct aces_tmsg recs[256];
	unsigned int w, n, i;

	for (w = 0; w < aces.n_workers; w++) {
		do {
			n = rte_ring_sc_dequeue_burst_elem(aces.workers[w].tmsg_ring, recs,
							   sizeof(recs[0]), RTE_DIM(recs), NULL);
			for (i = 0; i < n; i++) {
				if (recs[i].type < ACES_TMSG_MAX && handlers[recs[i].type] != NULL)
					handlers[recs[i].type](w, &recs[i]);
				else
					aces_cp.ctl[ACES_CTL_TMSG_UNKNOWN]++;
			}
		} while (n == RTE_DIM(recs));
	}
}
