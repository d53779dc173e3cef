/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several workers: a flow belongs to the worker chosen by its client address and
 * port, which both directions carry (client -> VIP as source, backend -> client
 * as destination), so each flow lives in exactly one table whatever queue the NIC
 * (or af_packet's fanout) put its packets on. Packets that reached another worker
 * are handed to the owner through its ring.
 */
#include <string.h>

#include <rte_ring.h>

#include "datapath/worker.h"

/* Control lcore: which worker to ask about a flow (the same rule the workers follow). */
unsigned int
aces_flow_owner_of(uint32_t client_ip, uint16_t client_port, uint8_t proto)
{
	struct aces_flow_tuple t = { .client_ip = client_ip, .client_port = client_port,
				     .proto = proto };

	return aces_wk_flow_owner(&t);
}

void
aces_wk_handoff(struct aces_worker *w, struct rte_mbuf *out[][ACES_BURST], const uint16_t *nout)
{
	unsigned int o, sent, i;

	for (o = 0; o < aces.n_workers; o++) {
		if (nout[o] == 0)
			continue;
		sent = rte_ring_mp_enqueue_burst(aces.workers[o].handoff_ring, (void **)out[o],
						 nout[o], NULL);
		w->st.handoff_out += sent;
		for (i = sent; i < nout[o]; i++)
			aces_wk_drop(w, out[o][i], ACES_DROP_HANDOFF_FULL);
	}
}

/* Grouped by the port they came in on: a burst's rules depend on its port. */
uint16_t
aces_wk_take_handoffs(struct aces_worker *w, struct aces_wk_bursts *b)
{
	struct rte_mbuf *ms[ACES_BURST];
	unsigned int n, i;
	uint8_t pi;

	memset(b->n, 0, sizeof(b->n));
	n = rte_ring_sc_dequeue_burst(w->handoff_ring, (void **)ms, ACES_BURST, NULL);
	for (i = 0; i < n; i++) {
		pi = aces_port_index(ms[i]->port);
		b->pkts[pi][b->n[pi]++] = ms[i];
	}
	return (uint16_t)n;
}
