/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A held flow's kept segments (stateful handover, specification section 4): while a flow
 * moves, the client's data segments reach the backend as bare ACKs and a copy of each is
 * kept here; once the flow is released the copies are handed back to the worker's loop as
 * bursts of their own (replays), once it is dropped they are freed.
 */
#include <rte_mbuf.h>

#include "datapath/worker.h"

void
aces_wk_held_keep(struct aces_worker *w, struct rte_mbuf *m, uint32_t idx)
{
	struct rte_mbuf *c;
	uint16_t i, n = 0;

	for (i = 0; i < w->held_n; i++)
		n += w->held_idx[i] == idx;
	if (w->held_n == ACES_HELD_Q || n >= ACES_HELD_PER_FLOW ||
	    (c = rte_pktmbuf_copy(m, aces.pool, 0, UINT32_MAX)) == NULL) {
		w->st.held_not_kept++;
		return;
	}
	w->held_idx[w->held_n] = idx;
	w->held_q[w->held_n++] = c;
	w->st.held_kept++;
}

void
aces_wk_held_release(struct aces_worker *w, uint32_t idx)
{
	uint16_t i, j = 0;

	if (w->held_total > 0)
		w->held_total--;
	for (i = 0; i < w->held_n; i++) {
		if (w->held_idx[i] != idx) {
			w->held_idx[j] = w->held_idx[i];
			w->held_q[j++] = w->held_q[i];
		} else if (w->replay_n < ACES_HELD_Q) {
			w->replay[w->replay_n++] = w->held_q[i];
		} else {
			rte_pktmbuf_free(w->held_q[i]);
			w->st.held_not_kept++;
		}
	}
	w->held_n = j;
}

uint16_t
aces_wk_replay_take(struct aces_worker *w, struct rte_mbuf **ms, uint8_t *port)
{
	uint16_t n = 0, i, k = 0;
	uint8_t pi = aces_port_index(w->replay[0]->port);

	/* one port per burst: the first one's, in their order; the rest next loop */
	for (i = 0; i < w->replay_n; i++) {
		if (n < ACES_BURST && aces_port_index(w->replay[i]->port) == pi)
			ms[n++] = w->replay[i];
		else
			w->replay[k++] = w->replay[i];
	}
	w->replay_n = k;
	*port = pi;
	return n;
}

void
aces_wk_held_drop(struct aces_worker *w)
{
	uint16_t i;

	for (i = 0; i < w->held_n; i++)
		rte_pktmbuf_free(w->held_q[i]);
	for (i = 0; i < w->replay_n; i++)
		rte_pktmbuf_free(w->replay[i]);
	w->held_n = w->replay_n = 0;
}
