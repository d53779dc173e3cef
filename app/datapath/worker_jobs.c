/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's periodic jobs, off the per-packet path: report rounds of counters to
 * the control lcore, drain resets it asks for, and the frames it built (ARP, probes)
 * sent through this worker's queues.
 */
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "common/frame.h"
#include "datapath/worker.h"

/* Frames built by the control lcore (ARP, probes), to send on m->port. */
static void
send_ctl_frames(struct aces_worker *w)
{
	struct rte_mbuf *ms[ACES_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(w->ctl_tx_ring, (void **)ms, ACES_BURST, NULL);
	for (i = 0; i < n; i++) {
		uint8_t pi = aces_port_index(ms[i]->port);
		uint32_t len = ms[i]->pkt_len;

		if (rte_eth_tx_burst(ms[i]->port, w->idx, &ms[i], 1) == 1) {
			w->st.tx_pkts[pi]++;
			w->st.tx_bytes[pi] += len;
			w->st.ctl_tx_sent++;
		} else {
			w->st.ctl_tx_refused++;	/* not a received packet: no drop */
			aces_wk_free(w, ms[i]);
		}
	}
}

/* Report round: every tmsg_period, push every record (counters, passive health,
 * handshake histograms of each endpoint side and backend), 32 per loop. */
static void
report_round(struct aces_worker *w, uint64_t now)
{
	struct aces_tmsg recs[ACES_BURST];
	uint32_t n_ep2 = aces.cfg->n_endpoints * 2, n_be = aces.cfg->n_backends, n = 0, sent;

	if (w->tm_cursor >= aces_dp.n_report) {
		if (now < w->tm_next_tsc)
			return;
		w->tm_cursor = 0;
		w->tm_next_tsc = now + aces_dp.tmsg_period;
	}
	while (n < ACES_BURST && w->tm_cursor < aces_dp.n_report) {
		uint32_t id = w->tm_cursor++;
		struct aces_tmsg *r = &recs[n++];

		r->worker = w->idx;
		r->tsc = now;
		if (id < n_ep2) {
			r->type = ACES_TMSG_EP_SIDE;
			r->id = id;
			r->c = w->eps[id];
		} else if ((id -= n_ep2) < n_be) {
			r->type = ACES_TMSG_BACKEND;
			r->id = id;
			r->c = w->bes[id];
		} else if ((id -= n_be) < n_ep2) {
			r->type = ACES_TMSG_EP_HEALTH;
			r->id = id;
			r->h = w->eph[id];
		} else if ((id -= n_ep2) < n_ep2) {
			r->type = ACES_TMSG_EP_HIST;
			r->id = id;
			r->hist = w->ephist[id];
		} else {
			id -= n_ep2;
			r->type = ACES_TMSG_BE_HEALTH;
			r->id = id;
			r->h = w->beh[id];
		}
	}
	sent = rte_ring_sp_enqueue_burst_elem(w->tmsg_ring, recs, sizeof(recs[0]), n, NULL);
	w->st.tmsg_sent += sent;
	w->st.tmsg_dropped += n - sent;
}

/* Build one RST from (sip:sp) to (dip:dp) with @seq, out of port index @pi. */
static void
send_rst(struct aces_worker *w, struct tx_buf *tx, uint8_t pi, const struct rte_ether_addr *dst,
	 uint32_t sip, uint32_t dip, uint16_t sp, uint16_t dp, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(aces.pool);

	if (m == NULL) {
		w->st.rst_alloc_failed++;
		return;
	}
	aces_frame_tcp((struct rte_tcp_hdr *)aces_frame_ipv4(m, dst, &aces.port_mac[pi], sip, dip,
							     ACES_IPPROTO_TCP,
							     sizeof(struct rte_tcp_hdr)),
		       sip, dip, sp, dp, seq, ACES_TCP_RST, 0);
	if (tx->n[pi] == ACES_BURST)
		aces_wk_tx_flush(w, tx);
	aces_wk_tx_enqueue(tx, pi, m, ACES_WK_TX_RST);
}

/* Drain reset: end the open flows of (ep, side), a bounded slice per loop. */
static void
reset_step(struct aces_worker *w, struct tx_buf *tx)
{
	struct aces_flow_table *ft = w->ft;
	struct aces_wmsg *job = w->reset_job;
	uint32_t budget = 64;

	while (budget-- > 0 && w->reset_cursor < ft->capacity) {
		uint32_t idx = w->reset_cursor++;
		struct aces_flow *f = &ft->flows[idx];
		struct rte_ether_addr mac;

		if (!f->in_use || !f->open)
			continue;
		if (job->type == ACES_WMSG_RESET ? (f->ep != job->ep || f->side != job->side) :
		    (f->backend != job->ep || (job->pad != 0 && f->ep != job->pad - 1)))
			continue;
		if (f->proto == ACES_IPPROTO_TCP) {
			if (aces_wk_neigh_mac(aces_nh.backend_nh[f->backend], &mac))
				send_rst(w, tx, aces.backend_pi, &mac, f->client_ip, f->backend_ip,
					 f->client_port, f->backend_port, f->cli_nxt);
			if (aces_nh.client_gw_nh < 0 || !aces_wk_neigh_mac((uint32_t)aces_nh.client_gw_nh, &mac))
				memcpy(mac.addr_bytes, f->client_mac, RTE_ETHER_ADDR_LEN);
			send_rst(w, tx, aces.client_pi, &mac, aces.cfg->endpoints[f->ep].vip,
				 f->client_ip, f->vip_port,
				 f->client_port, f->srv_nxt);
			f->state = ACES_TCP_CLOSED;
			aces_wk_flow_close(w, f);
		} else {
			aces_wk_flow_delete(w, idx);	/* UDP: the next datagram decides again */
		}
		w->st.flows_reset++;
	}
	aces_wk_tx_flush(w, tx);
	if (w->reset_cursor >= ft->capacity) {
		/* job done: shift the queue */
		memmove(w->jobs, w->jobs + 1, (w->n_jobs - 1) * sizeof(*w->jobs));
		w->n_jobs--;
		w->reset_cursor = 0;
		w->reset_job = w->n_jobs > 0 ? &w->jobs[0] : NULL;
	}
}

/* One flow operation, for a move: the flow found by its client end and endpoint. */
static int
flow_op(struct aces_worker *w, uint32_t ep, uint32_t client_ip, uint16_t client_port,
	uint32_t op, uint16_t nb, uint32_t *idx_out)
{
	const struct aces_config *c = aces.cfg;
	uint64_t now = rte_rdtsc();
	struct aces_flow_tuple t;
	struct aces_flow *f;
	uint32_t idx;
	int rc = 0;

	if (ep >= aces.n_ep_live)
		return -EINVAL;
	t = (struct aces_flow_tuple){ .client_ip = client_ip, .client_port = client_port,
				      .proto = c->endpoints[ep].proto, .dir = ACES_DIR_FWD,
				      .peer_ip = c->endpoints[ep].vip,
				      .peer_port = rte_cpu_to_be_16(c->endpoints[ep].port) };
	idx = aces_flow_lookup(w->ft, &t, aces_flow_hash(w->ft, &t));
	if (idx == ACES_FLOW_NONE)
		return -ENOENT;
	*idx_out = idx;
	f = aces_flow_get(w->ft, idx);
	switch (op) {
	case ACES_FLOW_OP_HOLD:
		rc = aces_flow_hold(w->ft, idx);
		if (rc == 0)
			w->held_total++;
		break;
	case ACES_FLOW_OP_KEEP:
		f->flags |= ACES_FLOW_F_NOMOVE;
		/* fall through */
	case ACES_FLOW_OP_RELEASE:
		rc = aces_flow_release(w->ft, idx, now);
		if (rc == 0)
			aces_wk_held_release(w, idx);
		break;
	case ACES_FLOW_OP_REPOINT:
	case ACES_FLOW_OP_MOVED: {
		uint16_t ob = f->backend;
		uint8_t os = f->side, ns;

		if (nb >= aces.n_be_live)
			return -EINVAL;
		if (nb != ob) {
			rc = aces_flow_repoint(w->ft, idx, nb, c->backends[nb].addr,
					       rte_cpu_to_be_16(c->endpoints[ep].backend_port));
			if (rc != 0)
				break;
			/* its counters follow it: the backend's, and the side's if that changed */
			ns = (uint8_t)c->backends[nb].side;
			w->bes[ob].flows--;
			w->bes[nb].flows++;
			w->eps[f->ep * 2 + os].flows--;
			w->eps[f->ep * 2 + ns].flows++;
			if (f->open) {
				w->bes[ob].open--;
				w->bes[nb].open++;
				w->eps[f->ep * 2 + os].open--;
				w->eps[f->ep * 2 + ns].open++;
			}
			f->side = ns;
			w->st.flows_repointed++;
		}
		if (op == ACES_FLOW_OP_MOVED) {
			rc = aces_flow_release(w->ft, idx, now);
			if (rc == 0)
				aces_wk_held_release(w, idx);
		}
		break;
	}
	default:
		break;
	}
	return rc;
}

/* One flow (telemetry's /aces/flow): answered in flow_ack. */
static void
flow_cmd(struct aces_worker *w, const struct aces_wmsg *m)
{
	struct aces_flow_ack *a = &w->flow_ack;
	uint32_t idx = ACES_FLOW_NONE;
	int rc;

	memset((char *)a + sizeof(a->seq), 0, sizeof(*a) - sizeof(a->seq));
	rc = flow_op(w, m->ep, m->client_ip, m->client_port, m->op, m->backend, &idx);
	if (idx != ACES_FLOW_NONE) {
		const struct aces_flow *f = aces_flow_get(w->ft, idx);

		a->backend = f->backend;
		a->side = f->side;
		a->state = f->state;
		a->flags = f->flags;
		a->open = f->open;
		a->age_ms = (rte_rdtsc() - f->created) * 1000 / aces.tsc_hz;
	}
	a->rc = rc;
	__atomic_store_n(&a->seq, m->seq, __ATOMIC_RELEASE);
}

/* A batch of flow operations for the mover (control lcore): results in place. */
static void
flows_cmd(struct aces_worker *w, const struct aces_wmsg *m)
{
	uint32_t i, idx;

	for (i = 0; i < m->pad && i < ACES_MIG_BATCH; i++) {
		struct aces_mig_op *o = &w->mig_box->ops[i];

		o->rc = (int8_t)flow_op(w, o->ep, o->client_ip, o->client_port, o->op, o->backend, &idx);
	}
	__atomic_store_n(&w->mig_box->ops_ack, m->seq, __ATOMIC_RELEASE);
}

/* A slice of the movable-flows list under way: established TCP flows of the endpoint on
 * the original, not held, not given up on. */
static void
list_step(struct aces_worker *w)
{
	struct aces_flow_table *ft = w->ft;
	uint32_t budget = 4096;

	struct aces_mig_box *box = w->mig_box;

	while (budget-- > 0 && w->mig_list_cursor < ft->capacity && box->list_n < ACES_MIG_LIST) {
		const struct aces_flow *f = &ft->flows[w->mig_list_cursor++];

		if (!f->in_use || !f->open || f->ep != w->mig_list_ep ||
		    f->side != ACES_SIDE_ORIGINAL || f->proto != ACES_IPPROTO_TCP ||
		    (f->state != ACES_TCP_ESTABLISHED && f->state != ACES_TCP_ADOPTED) ||
		    (f->flags & (ACES_FLOW_F_HELD | ACES_FLOW_F_NOMOVE)))
			continue;
		box->list[box->list_n++] = (struct aces_mig_cand){
			.client_ip = f->client_ip, .client_port = f->client_port,
			.backend = f->backend };
	}
	if (w->mig_list_cursor >= ft->capacity || box->list_n == ACES_MIG_LIST) {
		uint32_t seq = w->mig_list_seq;

		w->mig_list_seq = 0;
		__atomic_store_n(&box->list_ack, seq, __ATOMIC_RELEASE);
	}
}

static void
poll_msgs(struct aces_worker *w)
{
	struct aces_wmsg m;

	while (w->n_jobs < ACES_MAX_JOBS &&
	       rte_ring_sc_dequeue_elem(w->msg_ring, &m, sizeof(m)) == 0) {
		if (m.type == ACES_WMSG_FLOW) {
			flow_cmd(w, &m);
			continue;
		}
		if (m.type == ACES_WMSG_FLOWS) {
			flows_cmd(w, &m);
			continue;
		}
		if (m.type == ACES_WMSG_LIST) {
			w->mig_box->list_n = 0;
			w->mig_list_cursor = 0;
			w->mig_list_ep = m.ep;
			w->mig_list_seq = m.seq;
			continue;
		}
		if (m.type == ACES_WMSG_RESET ? (m.ep >= aces.cfg->n_endpoints || m.side > 1) :
		    (m.type != ACES_WMSG_RESET_BACKEND || m.ep >= aces.cfg->n_backends ||
		     m.pad > aces.cfg->n_endpoints))
			continue;
		w->jobs[w->n_jobs++] = m;
		if (w->reset_job == NULL) {
			w->reset_job = &w->jobs[0];
			w->reset_cursor = 0;
		}
	}
}

int
aces_wk_jobs(struct aces_worker *w, struct tx_buf *tx, uint64_t now, uint16_t rx)
{
	int work = 0;

	if (!rte_ring_empty(w->ctl_tx_ring)) {
		send_ctl_frames(w);
		work = 1;
	}
	if (unlikely(!rte_ring_empty(w->msg_ring))) {
		poll_msgs(w);
		work = 1;
	}
	if (unlikely(w->reset_job != NULL)) {
		reset_step(w, tx);
		work = 1;
	}
	if (unlikely(w->mig_list_seq != 0)) {
		list_step(w);
		work = 1;
	}
	if (w->n_drop != 0)
		aces_wk_drop_flush(w);
	report_round(w, now);
	aces_wk_pending_check(w, now);
	aces_flow_age(w->ft, now, rx == 0 ? 256 : 64);
	if (w->frag_tbl != NULL)
		aces_wk_frag_age(w, now);
	return work;
}
