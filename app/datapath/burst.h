/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_BURST_H
#define ACES_DATAPATH_BURST_H

/**
 * @file
 * A burst's three stages, in the order of DPDK's l3fwd_em_hlm.h: parse, classify and hash
 * every packet and prefetch its bucket; prefetch the entries the buckets name; then each
 * packet in order, screened, looked up, created or tracked, forwarded. *
 * Included only by datapath/worker.c, the worker's one compilation unit of the per-packet
 * path (tools/check_layers.py checks it), so the compiler sees every stage at once.
 */

#include <rte_prefetch.h>

#include "datapath/stage_classify.h"
#include "datapath/stage_screen.h"
#include "datapath/stage_flow.h"

#define PREFETCH_OFFSET 3
#define ACES_EST_RECENT	1024	/**< loops after an established packet that count as "recent" */

static __rte_noinline void
handle_burst(struct aces_worker *w, uint8_t pi, struct rte_mbuf **pkts, uint16_t n,
		     uint64_t now, struct tx_buf *tx, enum aces_wk_from from)
{
	struct rte_mbuf *out[ACES_MAX_WORKERS][ACES_BURST];
	uint16_t nout[ACES_MAX_WORKERS] = { 0 };
	int sharded = aces.n_workers > 1 && from == ACES_WK_FROM_PORT;
	int behind = n == ACES_BURST && overloaded(w, pi, from, now);
	uint32_t budget = ACES_BURST;
	struct aces_flow_table *ft = w->ft;
	const struct aces_assign *a = __atomic_load_n(&aces.assign, __ATOMIC_ACQUIRE);
	struct burst b;
	uint64_t rx_bytes = 0;
	uint16_t i, j = 0;
	int likely_hits = 0;

	/* stage 1: parse, classify, hash; prefetch each flow's bucket */
	for (i = 0; i < n && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		int whole = 0;

		rx_bytes += m->pkt_len;
		b.res[j] = aces_parse_seg(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					  m->pkt_len, &b.p[j]);
		if (unlikely(b.res[j] == ACES_PARSE_FRAGMENT) && w->frag_tbl != NULL) {
			m = fragment(w, m, pi, &b.p[j], &b.res[j], out, nout, from, now);
			if (m == NULL)
				continue;	/* kept for reassembly, handed over, or dropped */
			whole = aces.n_workers > 1;	/* its flow may be another worker's */
		}
		b.keyed[j] = b.res[j] == ACES_PARSE_IPV4 && b.p[j].has_l4;
		if (unlikely(b.res[j] == ACES_PARSE_IPV4 && b.p[j].icmp_err))
			b.keyed[j] = 2;		/* keyed by the flow it quotes */
		if (b.keyed[j]) {
			if (likely(b.keyed[j] == 1))
				classify(&b.p[j], &b.t[j]);
			else
				classify_icmp(&b.p[j], &b.t[j]);
			if (sharded || whole) {
				uint32_t o = aces_wk_flow_owner(&b.t[j]);

				if (o != w->idx) {
					out[o][nout[o]++] = m;
					continue;
				}
			}
			b.h[j] = aces_flow_hash(ft, &b.t[j]);
			aces_flow_prefetch(ft, b.h[j]);
		}
		pkts[j++] = m;
	}
	if (from == ACES_WK_FROM_REPLAY) {
		w->st.held_replayed += n;
	} else if (from == ACES_WK_FROM_HANDOFF) {
		w->st.handoff_in += n;
	} else {
		w->st.rx_pkts[pi] += n;
		w->st.rx_bytes[pi] += rx_bytes;
	}
	/* packets of other workers' flows (a reassembled datagram too, even one that came by
	 * hand-off as fragments); j < n also when fragments were kept */
	if (aces.n_workers > 1 && j < n)
		aces_wk_handoff(w, out, nout);
	n = j;

	/* stage 2: the entries each bucket names with the packet's signature */
	for (i = 0; i < n; i++)
		if (b.keyed[i] && aces_flow_prefetch_entries(ft, b.h[i]) != 0)
			likely_hits = 1;
	if (likely_hits)
		w->est_seen_loop = w->st.loops + 1;	/* 0: never */
	if (behind && w->est_seen_loop != 0 && w->st.loops + 1 - w->est_seen_loop < ACES_EST_RECENT)
		budget = aces.cfg->flows.overload_new_flows;

	/* stage 3, in order: each packet sees the table as the ones before it left it */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t idx;

		if (screen(w, tx, pi, m, b.res[i], &b.p[i]))
			continue;
		idx = aces_flow_lookup(ft, &b.t[i], b.h[i]);
		if (unlikely(b.keyed[i] == 2)) {	/* an ICMP error of a flow */
			if (idx != ACES_FLOW_NONE)
				aces_wk_icmp_forward(w, tx, m, &b.p[i], aces_flow_get(ft, idx),
						     (enum aces_flow_dir)b.t[i].dir);
			else
				aces_wk_drop(w, m, ACES_DROP_ICMP_NO_FLOW);
			continue;
		}
		if (idx != ACES_FLOW_NONE)
			known_flow(w, tx, m, &b.p[i], &b.t[i], b.h[i], a, &budget,
				   aces_flow_get(ft, idx), now);
		else
			new_flow(w, tx, m, &b.p[i], &b.t[i], b.h[i], a, &budget, now);
	}
}

#endif /* ACES_DATAPATH_BURST_H */
