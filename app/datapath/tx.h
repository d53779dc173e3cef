/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_DATAPATH_TX_H
#define ACES_DATAPATH_TX_H

/**
 * @file
 * The worker's leaf: frames queued per port for one TX burst (l3fwd's send_burst), the drop
 * queue freed in bulk, and the neighbour MACs a frame is addressed with. Every stage of the
 * worker uses it; it uses no stage. Private to app/datapath.
 */

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "aces/flow.h"
#include "common/aces.h"
#include "net/net.h"

/* What a queued frame is, for the counters of aces_wk_tx_flush(): a received packet
 * sent on, an echo reply, or a frame ACES built (a drain reset's RST). */
enum aces_wk_tx_kind {
	ACES_WK_TX_FWD = 0,
	ACES_WK_TX_ECHO,
	ACES_WK_TX_RST,
	ACES_WK_TX_ICMP,	/**< an ICMP error ACES built */
	ACES_WK_TX_FRAG,	/**< a fragment of a split datagram, past its first */
	ACES_WK_TX_KINDS
};

struct tx_buf {
	uint16_t n[ACES_MAX_PORTS];
	struct rte_mbuf *pkts[ACES_MAX_PORTS][ACES_BURST];
	uint8_t kind[ACES_MAX_PORTS][ACES_BURST];	/**< enum aces_wk_tx_kind */
};

static inline void
aces_wk_drop_flush(struct aces_worker *w)
{
	rte_pktmbuf_free_bulk(w->dropq, w->n_drop);
	w->n_drop = 0;
}

/* Count and free: in bulk, once per loop or every ACES_DROPQ packets (a flood is cheap). */
static inline void
aces_wk_drop(struct aces_worker *w, struct rte_mbuf *m, enum aces_drop r)
{
	w->st.drops[r]++;
	w->dropq[w->n_drop++] = m;
	if (unlikely(w->n_drop == ACES_DROPQ))
		aces_wk_drop_flush(w);
}

/* Free a frame that is no received packet (not a drop): in bulk with the drops. */
static inline void
aces_wk_free(struct aces_worker *w, struct rte_mbuf *m)
{
	w->dropq[w->n_drop++] = m;
	if (unlikely(w->n_drop == ACES_DROPQ))
		aces_wk_drop_flush(w);
}

static inline void
aces_wk_tx_enqueue(struct tx_buf *tx, uint8_t pi, struct rte_mbuf *m, enum aces_wk_tx_kind kind)
{
	tx->kind[pi][tx->n[pi]] = (uint8_t)kind;
	tx->pkts[pi][tx->n[pi]++] = m;
}

/* Read a neighbour's MAC; 0 when unresolved. */
static inline int
aces_wk_neigh_mac(uint32_t nh, struct rte_ether_addr *out)
{
	uint64_t v = __atomic_load_n(&aces_nh.neigh[nh].mac, __ATOMIC_ACQUIRE);

	if (unlikely((v & ACES_NEIGH_VALID) == 0))
		return 0;
	memcpy(out->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 1;
}

/* The next hop towards flow @f's client: the client gateway, else the MAC its packets came
 * from; 0 when the gateway is unresolved. */
static inline int
aces_wk_client_mac(const struct aces_flow *f, struct rte_ether_addr *out)
{
	if (aces_nh.client_gw_nh >= 0)
		return aces_wk_neigh_mac((uint32_t)aces_nh.client_gw_nh, out);
	memcpy(out->addr_bytes, f->client_mac, RTE_ETHER_ADDR_LEN);
	return 1;
}

/**
 * Send what the stages queued. Counted here, by what the queue took: forwarded, echo
 * replies, RSTs sent; a refused received packet is the drop tx_full, a refused RST is
 * rst_tx_refused (no received packet was lost).
 */
void aces_wk_tx_flush(struct aces_worker *w, struct tx_buf *tx);

#endif /* ACES_DATAPATH_TX_H */
