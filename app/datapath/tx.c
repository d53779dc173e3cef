/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's TX: one burst per port of what the stages queued, counted by kind. The leaf
 * of the worker's files (datapath/tx.h).
 */
#include <rte_ethdev.h>

#include "datapath/tx.h"

void
aces_wk_tx_flush(struct aces_worker *w, struct tx_buf *tx)
{
	uint8_t pi;

	for (pi = 0; pi < aces.n_ports; pi++) {
		uint16_t n = tx->n[pi], sent, i;
		uint64_t bytes = 0, by_kind[ACES_WK_TX_KINDS] = { 0 };

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(aces.port_ids[pi], w->idx, tx->pkts[pi], n);
		for (i = 0; i < sent; i++) {
			bytes += tx->pkts[pi][i]->pkt_len;
			by_kind[tx->kind[pi][i]]++;
		}
		for (i = sent; i < n; i++) {
			switch (tx->kind[pi][i]) {
			case ACES_WK_TX_RST:
				w->st.rst_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			case ACES_WK_TX_ICMP:
				w->st.icmp_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			case ACES_WK_TX_FRAG:
				w->st.frag_tx_refused++;
				aces_wk_free(w, tx->pkts[pi][i]);
				break;
			default:
				aces_wk_drop(w, tx->pkts[pi][i], ACES_DROP_TX_FULL);
				break;
			}
		}
		w->st.forwarded += by_kind[ACES_WK_TX_FWD];
		w->st.icmp_echo_replies += by_kind[ACES_WK_TX_ECHO];
		w->st.rst_sent += by_kind[ACES_WK_TX_RST];
		w->st.icmp_sent += by_kind[ACES_WK_TX_ICMP];
		w->st.frag_made += by_kind[ACES_WK_TX_FRAG];
		w->st.tx_pkts[pi] += sent;
		w->st.tx_bytes[pi] += bytes;
		tx->n[pi] = 0;
	}
}
