/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's IPv4 fragments (issue #13). Fragments are reassembled (DPDK's rte_ip_frag,
 * one table per worker: ip.reassembly_max datagrams, each given up after
 * ip.reassembly_timeout_ms, at most RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments, overlaps
 * refused), so a datagram is steered, rewritten and counted as one packet of its flow;
 * one longer than the egress MTU is split again on the way out. Below jumbo MTUs what ACES
 * sends is one segment per frame (no multi-segment TX needed, main.c): a reassembled
 * datagram that fits one mbuf is copied into its first, and fragments are built as copies;
 * towards a port of jumbo frames they point into the datagram (indirect mbufs). The
 * fragments of a datagram meet at one worker, picked by what every fragment carries (addresses, id,
 * protocol); the datagram then goes to its flow's owner like any packet.
 */
/* rte_ip_frag_table_del_expired_entries() is experimental in DPDK 22.11 */
#define ALLOW_EXPERIMENTAL_API 1

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "datapath/worker.h"

/* Most fragments one datagram ACES splits may become (64 KiB at the least MTU, 576). */
#define SPLIT_MAX 128

/* Ports of jumbo frames (set at start) and the data-less mbufs of their fragments. */
static uint8_t port_segs[ACES_MAX_PORTS];
static struct rte_mempool *frag_pool;

int
aces_frag_pool_create(unsigned int n, unsigned int cache)
{
	frag_pool = rte_pktmbuf_pool_create("aces_frag", n, cache, 0, 0, rte_socket_id());
	return frag_pool != NULL ? 0 : -ENOMEM;
}

void
aces_frag_port_segs(uint8_t pi, int segs)
{
	port_segs[pi] = segs != 0;
}

int
aces_wk_frag_init(struct aces_worker *w, int socket)
{
	uint32_t n = aces.cfg->ip.reassembly_max, buckets = 1;
	uint64_t cycles = (uint64_t)aces.cfg->ip.reassembly_timeout_ms * rte_get_tsc_hz() / 1000;

	if (n == 0)
		return 0;
	while (buckets * 8 < n)
		buckets <<= 1;
	w->frag_tbl = rte_ip_frag_table_create(buckets, 8, n, cycles, socket);
	return w->frag_tbl != NULL ? 0 : -ENOMEM;
}

void
aces_wk_frag_fini(struct aces_worker *w)
{
	if (w->frag_tbl != NULL) {
		rte_ip_frag_table_destroy(w->frag_tbl);
		w->frag_tbl = NULL;
	}
	rte_ip_frag_free_death_row(&w->frag_dr, 0);
}

/* Free what the table gave up: each a received fragment, a drop. */
static inline void
death_row_flush(struct aces_worker *w)
{
	if (w->frag_dr.cnt != 0) {
		w->st.drops[ACES_DROP_FRAG_GIVEN_UP] += w->frag_dr.cnt;
		rte_ip_frag_free_death_row(&w->frag_dr, 0);
	}
}

struct rte_mbuf *
aces_wk_frag_take(struct aces_worker *w, struct rte_mbuf *m, const struct aces_pkt *p,
		  uint64_t now)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) +
							  p->l2_len);
	struct rte_mbuf *d;
	uint64_t ck;

	w->st.frag_in++;
	/* The datagram gets a header checksum of its own (below), so a fragment's header is
	 * checked first: by the NIC where it does, else here (fragments are rare). */
	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	     aces_cksum_ipv4_hdr(ip, p->l3_len) != ip->hdr_checksum)) {
		aces_wk_drop(w, m, ACES_DROP_BAD_CKSUM);
		return NULL;
	}
	/* what is past the datagram (Ethernet padding) would end up inside it */
	if (m->pkt_len > (uint32_t)p->l2_len + p->ip_total_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - p->l2_len - p->ip_total_len));
	m->l2_len = p->l2_len;
	m->l3_len = p->l3_len;
	d = rte_ipv4_frag_reassemble_packet(w->frag_tbl, &w->frag_dr, m, now, ip);
	death_row_flush(w);
	if (d == NULL)
		return NULL;
	/* the datagram counts as its first fragment; the others merged into it */
	w->st.frag_reassembled++;
	w->st.frag_merged += d->nb_segs > 1 ? d->nb_segs - 1u : 0;
	/* rte_ip_frag leaves the datagram's header checksum 0 (its length and offset
	 * changed): a datagram sent on whole needs the real one */
	ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(d, uint8_t *) + d->l2_len);
	ip->hdr_checksum = aces_cksum_ipv4_hdr(ip, (size_t)(ip->version_ihl & 0x0f) * 4);
	/* one segment where it fits (all up to an MTU below jumbo frames); longer, it is
	 * split on the way out, or goes to a port that sends segments */
	if (d->nb_segs > 1)
		(void)rte_pktmbuf_linearize(d);
	return d;
}

void
aces_wk_frag_age(struct aces_worker *w, uint64_t now)
{
	if (w->frag_tbl == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(w->frag_tbl, &w->frag_dr, now);
	death_row_flush(w);
}

void
aces_wk_frag_split(struct aces_worker *w, struct tx_buf *tx, uint8_t out, struct rte_mbuf *m,
		   const struct aces_pkt *p)
{
	struct rte_mbuf *frags[SPLIT_MAX];
	uint8_t l2[14 + 4 * ACES_MAX_VLAN];
	uint16_t l2_len = p->l2_len;
	int n, i;

	memcpy(l2, rte_pktmbuf_mtod(m, const uint8_t *), l2_len);
	rte_pktmbuf_adj(m, l2_len);
	n = port_segs[out] ?
	    rte_ipv4_fragment_packet(m, frags, SPLIT_MAX, aces.port_mtu[out], aces.pool,
				     frag_pool) :
	    rte_ipv4_fragment_copy_nonseg_packet(m, frags, SPLIT_MAX, aces.port_mtu[out],
						 aces.pool);
	if (n <= 0) {
		w->st.frag_split_failed++;
		aces_wk_drop(w, m, ACES_DROP_TOO_BIG);
		return;
	}
	rte_pktmbuf_free(m);	/* copied, or the fragments hold their own references */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(f, l2_len);
		struct rte_ipv4_hdr *fip;

		if (h == NULL) {	/* a direct mbuf always has the headroom: never */
			if (i == 0)
				aces_wk_drop(w, f, ACES_DROP_TOO_BIG);
			else
				rte_pktmbuf_free(f);
			continue;
		}
		memcpy(h, l2, l2_len);
		fip = (struct rte_ipv4_hdr *)(h + l2_len);
		fip->hdr_checksum = aces_cksum_ipv4_hdr(fip, (size_t)(fip->version_ihl & 0x0f) * 4);
		if (tx->n[out] == ACES_BURST)
			aces_wk_tx_flush(w, tx);
		aces_wk_tx_enqueue(tx, out, f, i == 0 ? ACES_WK_TX_FWD : ACES_WK_TX_FRAG);
	}
}
