/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's ICMP (issue #13). An ICMP error about a packet of a flow (destination
 * unreachable with fragmentation needed, time exceeded, parameter problem), from either
 * side, is delivered to that flow's other end with its outer and embedded headers
 * rewritten as the flow's own packets are (RFC 5508): path-MTU discovery works through
 * the VIP. And ACES, a router, answers what it cannot forward: a TTL that runs out (time
 * exceeded) and a DF packet longer than the egress MTU (fragmentation needed), at most
 * ip.icmp_errors_per_s per worker. Out of the common path: only such packets come here.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "datapath/worker.h"

/* Bytes of the packet in error an ICMP error ACES sends carries: its IPv4 header and as
 * much after it as keeps the error within 576 bytes (RFC 1812 4.3.2.3). */
#define ICMP_QUOTE_MAX (576 - 20 - 8)

/* A token of the worker's ICMP budget (ip.icmp_errors_per_s, bursts of up to 16). */
static int
icmp_token(struct aces_worker *w, uint64_t now)
{
	uint32_t rate = aces.cfg->ip.icmp_errors_per_s;
	uint32_t burst = rate < 16 ? rate : 16;
	uint64_t el = now - w->icmp_tsc, add;

	if (rate == 0)
		return 0;
	if (el >= aces.tsc_hz) {
		w->icmp_tokens = burst;
		w->icmp_tsc = now;
	} else if ((add = el * rate / aces.tsc_hz) != 0) {
		w->icmp_tokens = w->icmp_tokens + add > burst ? burst : (uint32_t)(w->icmp_tokens + add);
		w->icmp_tsc += add * aces.tsc_hz / rate;
	}
	if (w->icmp_tokens == 0)
		return 0;
	w->icmp_tokens--;
	return 1;
}

void
aces_wk_icmp_send(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m,
		  const struct aces_pkt *p, enum aces_flow_dir dir, uint8_t type, uint8_t code,
		  uint16_t mtu, uint64_t now)
{
	/* out of the port it came in on, from ACES's address there */
	uint8_t pi = dir == ACES_DIR_FWD ? aces.client_pi : aces.backend_pi;
	uint32_t src = dir == ACES_DIR_FWD ? aces.cfg->client.addr : aces.cfg->backend.addr;
	const uint8_t *fr = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t n = p->ip_total_len < ICMP_QUOTE_MAX ? p->ip_total_len : ICMP_QUOTE_MAX;
	struct rte_mbuf *mb;
	uint8_t *d, *ip, *icmp;
	const void *q;
	uint16_t ck;

	/* never about an ICMP error (RFC 1122 3.2.2), from nobody, or about a fragment
	 * past the first (only the first can be told apart by the sender) */
	if ((p->proto == ACES_IPPROTO_ICMP && p->icmp_type != ACES_ICMP_ECHO) || p->src_ip == 0 ||
	    p->frag_off != 0)
		return;
	if (!icmp_token(w, now)) {
		w->st.icmp_rate_limited++;
		return;
	}
	if (tx->n[pi] == ACES_BURST)
		aces_wk_tx_flush(w, tx);
	mb = rte_pktmbuf_alloc(aces.pool);
	if (mb == NULL || (d = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)(p->l2_len + 28 + n))) ==
	    NULL) {
		if (mb != NULL)
			rte_pktmbuf_free(mb);
		w->st.icmp_not_built++;
		return;
	}
	memcpy(d, fr + 6, 6);				/* back to who sent it */
	memcpy(d + 6, aces.port_mac[pi].addr_bytes, 6);
	memcpy(d + 12, fr + 12, p->l2_len - 12u);	/* the same VLAN tags and ethertype */
	ip = d + p->l2_len;
	icmp = ip + 20;
	ip[0] = 0x45;
	ip[1] = 0xc0;					/* internetwork control */
	aces_nat_wr16(ip + 2, rte_cpu_to_be_16((uint16_t)(28 + n)));
	aces_nat_wr16(ip + 4, rte_cpu_to_be_16(w->ip_id++));
	aces_nat_wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = ACES_IPPROTO_ICMP;
	aces_nat_wr16(ip + 10, 0);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &p->src_ip, 4);
	aces_nat_wr16(ip + 10, aces_cksum_ipv4_hdr(ip, 20));
	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, 6);
	if (type == ACES_ICMP_UNREACH && code == ACES_ICMP_UNREACH_NEEDFRAG)
		aces_nat_wr16(icmp + 6, rte_cpu_to_be_16(mtu));
	q = rte_pktmbuf_read(m, p->l2_len, n, icmp + 8);
	if (q != icmp + 8)
		memcpy(icmp + 8, q, n);
	ck = (uint16_t)~aces_cksum_fold(aces_cksum_sum(icmp, 8 + n, 0));
	aces_nat_wr16(icmp + 2, ck);
	aces_wk_tx_enqueue(tx, pi, mb, ACES_WK_TX_ICMP);
}

void
aces_wk_icmp_forward(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf *m,
		     const struct aces_pkt *p, struct aces_flow *f, enum aces_flow_dir dir)
{
	uint8_t *fr = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = fr + p->l2_len, *icmp = ip + p->l3_len;
	uint8_t *in_ip = fr + p->inner_off, *in_l4 = in_ip + p->inner_l3_len;
	struct rte_ether_addr mac;
	uint8_t out;

	/* an error goes to the sender of the packet it is about */
	if (p->dst_ip != p->inner_src_ip) {
		aces_wk_drop(w, m, ACES_DROP_ICMP_NO_FLOW);
		return;
	}
	if (p->ttl <= 1) {		/* no error about an error */
		aces_wk_drop(w, m, ACES_DROP_TTL);
		return;
	}
	if (dir == ACES_DIR_FWD) {
		/* from the client's side, about what the VIP sent: to the backend, about
		 * what it sent */
		if (unlikely(!aces_wk_neigh_mac(aces_nh.backend_nh[f->backend], &mac))) {
			aces_wk_drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
			return;
		}
		aces_nat_rewrite(ip, icmp, ACES_IPPROTO_ICMP, ACES_NAT_DST, f->backend_ip, 0);
		aces_nat_icmp_inner(icmp, in_ip, in_l4, p->inner_l4_avail, p->inner_proto,
				    ACES_NAT_SRC, f->backend_ip, f->backend_port);
		out = aces.backend_pi;
	} else {
		/* from the backend's side (the backend or a router there), about what the
		 * client sent: to the client, from the VIP, about what it sent the VIP; the
		 * backend side's addresses stay behind ACES as the flow's do */
		if (unlikely(!aces_wk_client_mac(f, &mac))) {
			aces_wk_drop(w, m, ACES_DROP_NEIGH_UNRESOLVED);
			return;
		}
		aces_nat_rewrite(ip, icmp, ACES_IPPROTO_ICMP, ACES_NAT_SRC, f->vip_ip, 0);
		aces_nat_icmp_inner(icmp, in_ip, in_l4, p->inner_l4_avail, p->inner_proto,
				    ACES_NAT_DST, f->vip_ip, f->vip_port);
		out = aces.client_pi;
	}
	aces_nat_ttl_dec(ip);
	memcpy(fr, mac.addr_bytes, 6);
	memcpy(fr + 6, aces.port_mac[out].addr_bytes, 6);
	switch (p->icmp_type) {
	case ACES_ICMP_UNREACH:
		if (p->icmp_code == ACES_ICMP_UNREACH_NEEDFRAG)
			w->st.icmp_fwd_needfrag++;
		else
			w->st.icmp_fwd_unreach++;
		break;
	case ACES_ICMP_TIME_EXCEEDED:
		w->st.icmp_fwd_time++;
		break;
	default:
		w->st.icmp_fwd_param++;
		break;
	}
	aces_wk_tx_enqueue(tx, out, m, ACES_WK_TX_FWD);
}
