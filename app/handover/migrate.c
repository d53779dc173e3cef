/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Moving established connections (issue #11), on the control lcore. While an endpoint
 * with "migrate" is in the manager's MOVING phase (all its new flows go to the
 * replacement), its flows left on the original are moved, a bounded number at a time
 * and at a bounded rate:
 *   1. its owner worker holds the flow (packets dropped and counted: TCP resends them);
 *   2. the original backend's agent is asked (MOVE, UDP from ACES's backend address,
 *      HMAC-SHA-256 under agents.secret_file) to hand the connection to the replacement
 *      backend's agent; resent until answered or the move's time is up;
 *   3. RESULT moved: the worker re-points the flow to the replacement backend and
 *      releases it (the client keeps the VIP); anything else, or no answer in time: the
 *      flow is released where it was, on the original, and not tried again.
 * A flow's freeze (held -> released, as the control lcore sees the workers' answers) is
 * sampled for p50/p99. An agent that leaves three moves in a row unanswered is left alone
 * for 10 s. Once a full pass over the workers finds nothing left that can be moved, the
 * manager is told (moving_over) and drains what stayed.
 *
 * The workers carry out the flow operations in batches (one per worker at a time,
 * ACES_WMSG_FLOWS) and list movable flows (ACES_WMSG_LIST): the control lcore never
 * reads a flow table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "aces/agentproto.h"
#include "aces/cksum.h"
#include "aces/manager.h"
#include "aces/parse.h"
#include "common/aces.h"
#include "common/frame.h"
#include "net/net.h"
#include "datapath/datapath.h"
#include "handover/handover.h"

RTE_LOG_REGISTER(aces_logtype_mig, user.aces.migrate, INFO);
#define MIG_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_mig, "aces: " fmt "\n", ## __VA_ARGS__)

#define MIG_SPORT	49999	/* ACES's UDP port towards the agents (probes use 50000..) */
#define MIG_MAX		1024	/* moves under way at most (power of two: the id's low bits) */
#define MIG_GRACE_MS	500	/* waited past the agent's budget for its answer */
#define AGENT_DOWN_MS	10000	/* an agent that does not answer is left alone this long */
#define AGENT_STRIKES	3	/* unanswered moves in a row that make an agent "not answering" */
#define LIST_EVERY_MS	200	/* a new pass over the workers' flows, at most this often */
#define FREEZE_N	4096	/* freeze samples kept */
#define EVENTS_MAX	16	/* failed moves journalled per endpoint and moving phase */

enum mv_state { MV_FREE = 0, MV_HOLD_Q, MV_HOLD, MV_AGENT, MV_FIN_Q, MV_FIN };

struct mv {
	uint8_t st;
	uint8_t fin_op;			/* enum aces_flow_op: MOVED, KEEP or RELEASE */
	uint16_t ep, from_be, to_be;
	uint16_t worker;
	uint32_t client_ip;
	uint16_t client_port;
	uint64_t id;
	uint64_t held_tsc;		/* the worker's hold seen */
	uint64_t next_send_ms, deadline_ms;
};

struct agent {
	uint32_t strikes;
	uint64_t down_until_ms;
};

static struct {
	struct mv mv[MIG_MAX];
	uint32_t n_active;
	uint64_t id_base;
	uint32_t id_seq;
	/* candidates of the endpoint being listed */
	struct aces_mig_cand *cand;	/* n_workers * ACES_MIG_LIST */
	uint32_t n_cand, cand_pos;
	int32_t list_ep;		/* endpoint of the pass under way or of cand, -1 */
	uint32_t *list_seq;		/* per worker: list asked for (0: answered) */
	uint32_t list_found;		/* candidates of the pass */
	uint32_t pass_started;		/* moves the pass started */
	uint32_t seq;
	uint64_t *last_pass_ms;		/* per endpoint */
	uint8_t *over;			/* per endpoint: a pass found nothing movable */
	uint64_t *ep_moved, *ep_failed;	/* per endpoint */
	uint32_t *ep_events;		/* per endpoint: failures journalled this phase */
	/* per worker: its mailbox (struct aces_mig_box says who writes what), the batch under way */
	struct aces_mig_box *box;
	uint32_t *batch_seq;
	uint16_t (*batch_mv)[ACES_MIG_BATCH];
	uint32_t *batch_n;
	struct agent *agents;		/* per backend */
	uint32_t n_ep, n_be;
	double tokens;
	uint64_t tokens_ms;
	struct aces_snap_mig pub;	/* counters (published with the snapshot) */
	uint32_t freeze_us[FREEZE_N];
	uint32_t n_freeze;
	int dirty;			/* samples since the last percentiles */
} mg;

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
alloc_per_entity(uint32_t n_ep, uint32_t n_be)
{
	mg.last_pass_ms = calloc(n_ep + 1, sizeof(*mg.last_pass_ms));
	mg.over = calloc(n_ep + 1, sizeof(*mg.over));
	mg.ep_moved = calloc(n_ep + 1, sizeof(*mg.ep_moved));
	mg.ep_failed = calloc(n_ep + 1, sizeof(*mg.ep_failed));
	mg.ep_events = calloc(n_ep + 1, sizeof(*mg.ep_events));
	mg.agents = calloc(n_be + 1, sizeof(*mg.agents));
	mg.n_ep = n_ep;
	mg.n_be = n_be;
	return mg.last_pass_ms && mg.over && mg.ep_moved && mg.ep_failed && mg.ep_events &&
	       mg.agents ? 0 : -ENOMEM;
}

static void
free_per_entity(void)
{
	free(mg.last_pass_ms);
	free(mg.over);
	free(mg.ep_moved);
	free(mg.ep_failed);
	free(mg.ep_events);
	free(mg.agents);
	mg.last_pass_ms = NULL;
	mg.over = NULL;
	mg.ep_moved = mg.ep_failed = NULL;
	mg.ep_events = NULL;
	mg.agents = NULL;
}

int
aces_mig_init(void)
{
	unsigned int nw = aces.n_workers, w;

	mg.cand = calloc((size_t)nw * ACES_MIG_LIST, sizeof(*mg.cand));
	mg.list_seq = calloc(nw, sizeof(*mg.list_seq));
	mg.batch_seq = calloc(nw, sizeof(*mg.batch_seq));
	mg.batch_mv = calloc(nw, sizeof(*mg.batch_mv));
	mg.batch_n = calloc(nw, sizeof(*mg.batch_n));
	mg.box = rte_zmalloc("aces_mig_box", (size_t)nw * sizeof(*mg.box), RTE_CACHE_LINE_SIZE);
	mg.list_ep = -1;
	/* ids: a random base per process, so a late answer to the last one is not ours */
	mg.id_base = ((uint64_t)rte_rand() << 20) & ~(uint64_t)(MIG_MAX - 1);
	if (mg.cand == NULL || mg.list_seq == NULL || mg.batch_seq == NULL || mg.batch_mv == NULL ||
	    mg.batch_n == NULL || mg.box == NULL ||
	    alloc_per_entity(aces.cfg->n_endpoints, aces.cfg->n_backends) != 0) {
		aces_mig_fini();
		return -ENOMEM;
	}
	for (w = 0; w < nw; w++)	/* before the workers run: they read it from then on */
		aces.workers[w].mig_box = &mg.box[w];
	return 0;
}

void
aces_mig_fini(void)
{
	free(mg.cand);
	free(mg.list_seq);
	free(mg.batch_seq);
	free(mg.batch_mv);
	free(mg.batch_n);
	if (mg.box != NULL)
		for (unsigned int w = 0; w < aces.n_workers; w++)
			aces.workers[w].mig_box = NULL;
	rte_free(mg.box);
	free_per_entity();
	memset(&mg, 0, sizeof(mg));
}

int
aces_mig_over(uint32_t ep)
{
	return ep < mg.n_ep && mg.over[ep];
}

/* ---- talking to the agents ---- */

static void
send_move(const struct mv *v)
{
	const struct aces_config *c = aces.cfg;
	const struct aces_cfg_agents *ag = &c->agents;
	uint8_t *l4;
	struct rte_udp_hdr *u;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	struct aces_ap_move mvp = {
		.local_ip = c->backends[v->from_be].addr,
		.local_port = rte_cpu_to_be_16(c->endpoints[v->ep].backend_port),
		.peer_ip = v->client_ip, .peer_port = v->client_port,
		.dst_ip = c->backends[v->to_be].addr,
		.dst_agent_port = rte_cpu_to_be_16(ag->port),
		.dst_port = rte_cpu_to_be_16(c->endpoints[v->ep].backend_port),
		.budget_ms = ag->move_timeout_ms };
	struct aces_ap_hdr h = { .type = ACES_AP_MOVE, .len = ACES_AP_MOVE_LEN, .id = v->id,
				 .time_ms = wall_ms() };
	uint16_t len = (uint16_t)(sizeof(*u) + aces_ap_wire_len(ACES_AP_MOVE_LEN));
	uint64_t nv = __atomic_load_n(&aces_nh.neigh[aces_nh.backend_nh[v->from_be]].mac, __ATOMIC_ACQUIRE);

	if (!(nv & ACES_NEIGH_VALID)) {
		mg.pub.send_failed++;
		return;
	}
	memcpy(mac.addr_bytes, &nv, RTE_ETHER_ADDR_LEN);
	m = rte_pktmbuf_alloc(aces.pool);
	if (m == NULL) {
		aces_cp.ctl[ACES_CTL_ALLOC_FAIL]++;
		mg.pub.send_failed++;
		return;
	}
	l4 = aces_frame_ipv4(m, &mac, &aces.port_mac[aces.backend_pi], c->backend.addr,
			     mvp.local_ip, ACES_IPPROTO_UDP, len);
	u = (struct rte_udp_hdr *)l4;
	u->src_port = rte_cpu_to_be_16(MIG_SPORT);
	u->dst_port = rte_cpu_to_be_16(ag->port);
	u->dgram_len = rte_cpu_to_be_16(len);
	aces_ap_move_put((uint8_t *)(u + 1) + ACES_AP_HDR_LEN, &mvp);
	aces_ap_seal((uint8_t *)(u + 1), aces_ap_wire_len(ACES_AP_MOVE_LEN), &h, NULL, ag->secret,
		     ag->secret_len);
	u->dgram_cksum = aces_cksum_l4(c->backend.addr, mvp.local_ip, ACES_IPPROTO_UDP, u, len);
	aces_ctl_send(m, aces.port_ids[aces.backend_pi]);
	mg.pub.datagrams_sent++;
}

static void
set_error(const struct mv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(const struct mv *v, const char *fmt, ...)
{
	char a[16], msg[sizeof(mg.pub.last_error) - 48];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(mg.pub.last_error, sizeof(mg.pub.last_error), "%s:%u: %s",
		 aces_ip_str(v->client_ip, a, sizeof(a)), rte_be_to_cpu_16(v->client_port), msg);
	if (mg.pub.failed + mg.pub.timed_out < 20)
		MIG_LOG(WARNING, "move of %s:%u (%s) failed: %s", a, rte_be_to_cpu_16(v->client_port),
			aces.cfg->endpoints[v->ep].name, msg);
	/* the first failures of each moving phase are events; the rest are counted */
	if (mg.ep_events[v->ep] < EVENTS_MAX) {
		char why[224];

		mg.ep_events[v->ep]++;
		snprintf(why, sizeof(why), "%s: the move of %s:%u failed, it stays on the original: "
			 "%s%s", aces.cfg->endpoints[v->ep].name, a, rte_be_to_cpu_16(v->client_port),
			 msg, mg.ep_events[v->ep] == EVENTS_MAX ? " (further failures are counted only)" :
			 "");
		aces_mgr_note(aces_cp.mgr, aces_now_ms(), v->from_be, "moving", "move failed", why);
	}
}

static void
finish(struct mv *v, uint8_t op)
{
	v->fin_op = op;
	v->st = MV_FIN_Q;
}

int
aces_mig_rx(struct rte_mbuf *m, const struct aces_pkt *p)
{
	const struct aces_cfg_agents *ag = &aces.cfg->agents;
	const uint8_t *l4 = rte_pktmbuf_mtod(m, const uint8_t *) + p->l2_len + p->l3_len;
	const uint8_t *pl = l4 + sizeof(struct rte_udp_hdr);
	size_t len;
	struct aces_ap_hdr h;
	struct aces_ap_result r;
	char err[128];
	struct mv *v;
	int b;

	if (p->proto != ACES_IPPROTO_UDP || p->dst_ip != aces.cfg->backend.addr ||
	    rte_be_to_cpu_16(p->dst_port) != MIG_SPORT)
		return -1;
	len = m->data_len - p->l2_len - p->l3_len;
	len = len > sizeof(struct rte_udp_hdr) ? len - sizeof(struct rte_udp_hdr) : 0;
	if (len > rte_be_to_cpu_16(((const struct rte_udp_hdr *)l4)->dgram_len) - 8u)
		len = rte_be_to_cpu_16(((const struct rte_udp_hdr *)l4)->dgram_len) - 8u;
	b = aces_backend_by_addr(p->src_ip);
	if (!ag->enabled || b < 0 || rte_be_to_cpu_16(p->src_port) != ag->port ||
	    aces_ap_open(pl, len, ag->secret, ag->secret_len, wall_ms(), &h, err, sizeof(err)) != 0 ||
	    h.type != ACES_AP_RESULT || aces_ap_result_get(pl + ACES_AP_HDR_LEN, h.len, &r) != 0) {
		mg.pub.refused++;
		rte_pktmbuf_free(m);
		return 0;
	}
	rte_pktmbuf_free(m);
	v = &mg.mv[h.id & (MIG_MAX - 1)];
	if (v->st != MV_AGENT || v->id != h.id || v->from_be != (uint32_t)b) {
		mg.pub.late++;	/* a repeated answer, or one to a move given up on */
		return 0;
	}
	mg.agents[b].strikes = 0;
	if (r.status == 0) {
		finish(v, ACES_FLOW_OP_MOVED);
		return 0;
	}
	mg.pub.failed++;
	mg.ep_failed[v->ep]++;
	set_error(v, "%s: %s", aces_ap_stage_name(r.stage), r.msg);
	finish(v, ACES_FLOW_OP_KEEP);	/* stays on the original, not tried again */
	return 0;
}

/* ---- the workers' side ---- */

static void
take_batches(void)
{
	unsigned int w;

	ACES_ON_CONTROL_LCORE();

	for (w = 0; w < aces.n_workers; w++) {
		uint64_t now_tsc = rte_rdtsc();
		uint32_t i;

		if (mg.batch_seq[w] == 0 ||
		    __atomic_load_n(&mg.box[w].ops_ack, __ATOMIC_ACQUIRE) != mg.batch_seq[w])
			continue;
		for (i = 0; i < mg.batch_n[w]; i++) {
			struct mv *v = &mg.mv[mg.batch_mv[w][i]];
			int rc = mg.box[w].ops[i].rc;

			if (v->st == MV_HOLD) {
				if (rc == 0) {
					v->held_tsc = now_tsc;
					v->st = MV_AGENT;
					v->deadline_ms = aces_now_ms() +
						aces.cfg->agents.move_timeout_ms + MIG_GRACE_MS;
					v->next_send_ms = 0;	/* now */
				} else {
					v->st = MV_FREE;	/* gone, or held by hand */
					mg.n_active--;
				}
				continue;
			}
			if (v->st != MV_FIN)
				continue;
			if (v->fin_op == ACES_FLOW_OP_MOVED) {
				if (rc == 0) {
					mg.pub.moved++;
					mg.ep_moved[v->ep]++;
				} else {
					/* re-pointing failed (a tuple clash): released where it was; the
					 * other agent's socket is orphaned and times out */
					mg.pub.failed++;
					mg.ep_failed[v->ep]++;
					set_error(v, "re-pointing the flow: %s", strerror(-rc));
				}
			}
			mg.pub.last_ms = aces_now_ms();
			mg.freeze_us[mg.n_freeze++ % FREEZE_N] =
				(uint32_t)((now_tsc - v->held_tsc) * 1000000 / aces.tsc_hz);
			mg.dirty = 1;
			v->st = MV_FREE;
			mg.n_active--;
		}
		mg.batch_seq[w] = 0;
	}
}

/* One batch per worker: its queued holds and finishes. */
static void
send_batches(void)
{
	unsigned int w;
	uint32_t i;

	ACES_ON_CONTROL_LCORE();

	for (w = 0; w < aces.n_workers; w++)
		if (mg.batch_seq[w] == 0)	/* else its batch is under way: batch_n is its size */
			mg.batch_n[w] = 0;
	for (i = 0; i < MIG_MAX && mg.n_active > 0; i++) {
		struct mv *v = &mg.mv[i];
		struct aces_mig_op *o;

		if ((v->st != MV_HOLD_Q && v->st != MV_FIN_Q) || mg.batch_seq[v->worker] != 0 ||
		    mg.batch_n[v->worker] == ACES_MIG_BATCH)
			continue;
		o = &mg.box[v->worker].ops[mg.batch_n[v->worker]];
		*o = (struct aces_mig_op){ .client_ip = v->client_ip, .client_port = v->client_port,
					   .ep = v->ep, .backend = v->to_be,
					   .op = v->st == MV_HOLD_Q ? ACES_FLOW_OP_HOLD : v->fin_op };
		mg.batch_mv[v->worker][mg.batch_n[v->worker]++] = (uint16_t)i;
		v->st = v->st == MV_HOLD_Q ? MV_HOLD : MV_FIN;
	}
	for (w = 0; w < aces.n_workers; w++) {
		struct aces_wmsg m = { .type = ACES_WMSG_FLOWS, .pad = mg.batch_n[w] };

		if (mg.batch_n[w] == 0 || mg.batch_seq[w] != 0)
			continue;
		m.seq = ++mg.seq ? mg.seq : ++mg.seq;
		if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &m, sizeof(m)) != 0) {
			/* queue full: put them back, next loop */
			for (i = 0; i < mg.batch_n[w]; i++) {
				struct mv *v = &mg.mv[mg.batch_mv[w][i]];

				v->st = v->st == MV_HOLD ? MV_HOLD_Q : MV_FIN_Q;
			}
			continue;
		}
		mg.batch_seq[w] = m.seq;
	}
}

static void
take_lists(uint64_t now)
{
	unsigned int w, waiting = 0;

	ACES_ON_CONTROL_LCORE();

	if (mg.list_ep < 0)
		return;
	for (w = 0; w < aces.n_workers; w++) {
		uint32_t i, n;

		if (mg.list_seq[w] == 0)
			continue;
		if (__atomic_load_n(&mg.box[w].list_ack, __ATOMIC_ACQUIRE) != mg.list_seq[w]) {
			waiting++;
			continue;
		}
		n = mg.box[w].list_n < ACES_MIG_LIST ? mg.box[w].list_n : ACES_MIG_LIST;
		for (i = 0; i < n; i++)
			mg.cand[mg.n_cand++] = mg.box[w].list[i];
		mg.list_found += n;
		mg.list_seq[w] = 0;
	}
	if (waiting == 0 && mg.cand_pos >= mg.n_cand) {
		uint32_t e = (uint32_t)mg.list_ep, i, busy = 0;

		for (i = 0; i < MIG_MAX && mg.n_active > 0; i++)
			busy |= mg.mv[i].st != MV_FREE && mg.mv[i].ep == e;
		/* a pass that could start nothing (nothing found, or only flows whose agent does
		 * not answer), with no move of it under way: nothing left to move */
		if (mg.pass_started == 0 && !busy && !mg.over[e]) {
			char why[160];

			mg.over[e] = 1;
			snprintf(why, sizeof(why), "%s: nothing left to move (%llu moved, %llu failed)",
				 aces.cfg->endpoints[e].name, (unsigned long long)mg.ep_moved[e],
				 (unsigned long long)mg.ep_failed[e]);
			aces_mgr_note(aces_cp.mgr, now, -1, "moving", "moving", why);
		}
		mg.list_ep = -1;
	}
}

static void
ask_lists(uint32_t e, uint64_t now)
{
	unsigned int w;

	mg.list_ep = (int32_t)e;
	mg.n_cand = mg.cand_pos = 0;
	mg.list_found = 0;
	mg.pass_started = 0;
	mg.last_pass_ms[e] = now;
	for (w = 0; w < aces.n_workers; w++) {
		struct aces_wmsg m = { .type = ACES_WMSG_LIST, .ep = e };

		m.seq = ++mg.seq ? mg.seq : ++mg.seq;
		if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &m, sizeof(m)) == 0)
			mg.list_seq[w] = m.seq;
	}
}

/* The replacement backend a flow goes to: the one its steering hash picks there now. */
static int
dest_backend(uint32_t e, uint32_t client_ip, uint16_t client_port)
{
	const struct aces_cfg_endpoint *ep = &aces.cfg->endpoints[e];
	struct aces_flow_tuple t = { .client_ip = client_ip, .client_port = client_port,
				     .proto = ep->proto, .dir = ACES_DIR_FWD, .peer_ip = ep->vip,
				     .peer_port = rte_cpu_to_be_16(ep->port) };
	uint32_t sh = aces_steer_hash(&t);
	uint16_t b = aces.assign->chash[ACES_SIDE_REPLACEMENT][aces_steer_bucket(sh)];

	return b == ACES_CHASH_NONE ? -1 : b;
}

static void
start_moves(uint32_t e, uint64_t now)
{
	const struct aces_cfg_agents *ag = &aces.cfg->agents;
	double cap = ag->moves_per_s / 10.0 > ag->concurrency ? ag->moves_per_s / 10.0 : ag->concurrency;

	mg.tokens += (double)(now - mg.tokens_ms) * ag->moves_per_s / 1000.0;
	mg.tokens_ms = now;
	if (mg.tokens > cap)
		mg.tokens = cap;
	while (mg.cand_pos < mg.n_cand && mg.n_active < ag->concurrency && mg.tokens >= 1) {
		const struct aces_mig_cand *cd = &mg.cand[mg.cand_pos++];
		int to = dest_backend(e, cd->client_ip, cd->client_port);
		uint32_t slot = mg.id_seq & (MIG_MAX - 1), k;
		struct mv *v;

		if (to < 0) {
			mg.pub.no_backend++;
			continue;
		}
		if (cd->backend >= mg.n_be || mg.agents[cd->backend].down_until_ms > now)
			continue;	/* its agent does not answer: a later pass */
		for (k = 0; k < MIG_MAX && mg.mv[slot].st != MV_FREE; k++)
			slot = ++mg.id_seq & (MIG_MAX - 1);
		if (k == MIG_MAX)
			break;
		v = &mg.mv[slot];
		*v = (struct mv){ .st = MV_HOLD_Q, .ep = (uint16_t)e, .from_be = cd->backend,
				  .to_be = (uint16_t)to, .client_ip = cd->client_ip,
				  .client_port = cd->client_port,
				  .worker = (uint16_t)aces_flow_owner_of(cd->client_ip, cd->client_port,
									 ACES_IPPROTO_TCP),
				  .id = mg.id_base + ((uint64_t)(mg.id_seq / MIG_MAX) << 10 | slot) };
		mg.id_seq++;
		mg.n_active++;
		mg.pass_started++;
		if (mg.n_active == 1 && (mg.pub.started == 0 || now - mg.pub.last_ms > 1000)) {
			/* a run of moves begins (the first, or one after a second without any) */
			mg.pub.first_ms = now;
			mg.pub.run_base = mg.pub.moved + mg.pub.failed + mg.pub.timed_out;
		}
		mg.pub.started++;
		mg.tokens -= 1;
	}
}

static void
agent_timeouts(uint64_t now)
{
	uint32_t i;

	for (i = 0; i < MIG_MAX && mg.n_active > 0; i++) {
		struct mv *v = &mg.mv[i];
		struct agent *a;

		if (v->st != MV_AGENT)
			continue;
		if (now < v->deadline_ms) {
			if (now >= v->next_send_ms) {
				uint32_t every = aces.cfg->agents.move_timeout_ms / 4;

				send_move(v);
				v->next_send_ms = now + (every < 100 ? 100 : every);
			}
			continue;
		}
		mg.pub.timed_out++;
		mg.ep_failed[v->ep]++;
		set_error(v, "the agent of %s did not answer", aces.cfg->backends[v->from_be].name);
		a = &mg.agents[v->from_be];
		if (++a->strikes >= AGENT_STRIKES && a->down_until_ms <= now) {
			char why[160];

			a->down_until_ms = now + AGENT_DOWN_MS;
			snprintf(why, sizeof(why), "the agent of %s left %u moves unanswered: no moves "
				 "from it for %u s", aces.cfg->backends[v->from_be].name, a->strikes,
				 AGENT_DOWN_MS / 1000);
			aces_mgr_note(aces_cp.mgr, now, v->from_be, "agent", "not answering", why);
			mg.pub.agents_not_answering++;
		}
		/* the outcome is unknown to us: the flow stays where it is, and is not tried
		 * again (had the agent moved it, its answer would have come) */
		finish(v, ACES_FLOW_OP_KEEP);
	}
}

void
aces_mig_poll(uint64_t now)
{
	const struct aces_config *c = aces.cfg;
	uint32_t e;

	if (!c->agents.enabled || mg.cand == NULL)
		return;
	take_batches();
	take_lists(now);
	agent_timeouts(now);
	for (e = 0; e < aces.n_ep_live; e++) {
		int moving = c->endpoints[e].migrate &&
			     aces_mgr_phase(aces_cp.mgr, e) == ACES_PHASE_MOVING;

		if (!moving) {
			mg.over[e] = 0;	/* the next MOVING phase starts afresh */
			mg.ep_events[e] = 0;
			if (mg.list_ep == (int32_t)e && mg.cand_pos < mg.n_cand)
				mg.cand_pos = mg.n_cand;	/* not moving any more: candidates go */
			continue;
		}
		if (mg.over[e])
			continue;
		if (mg.list_ep < 0 && now - mg.last_pass_ms[e] >= LIST_EVERY_MS)
			ask_lists(e, now);
		if (mg.list_ep == (int32_t)e)
			start_moves(e, now);
	}
	if (mg.n_active > 0)
		send_batches();
}

/* ---- reload and telemetry ---- */

int
aces_mig_reload(struct aces_remap *r)
{
	const int32_t *ep_new = r->ep_new, *be_new = r->be_new;
	uint32_t n_old_ep = r->n_old_ep, n_old_be = r->n_old_be, i;

	/* batches the paused workers carried out are taken; the ones they did not were
	 * dropped from their rings with the old indexes: queued again */
	take_batches();
	for (i = 0; i < aces.n_workers; i++)
		mg.batch_seq[i] = 0;
	for (i = 0; i < MIG_MAX; i++) {
		struct mv *v = &mg.mv[i];
		int32_t ne = v->ep < n_old_ep ? ep_new[v->ep] : -1;
		int32_t fb = v->from_be < n_old_be ? be_new[v->from_be] : -1;
		int32_t tb = v->to_be < n_old_be ? be_new[v->to_be] : -1;

		if (v->st == MV_FREE)
			continue;
		if (ne < 0 || fb < 0 || tb < 0) {	/* gone with its flow */
			v->st = MV_FREE;
			mg.n_active--;
			mg.pub.lost++;
			continue;
		}
		v->ep = (uint16_t)ne;
		v->from_be = (uint16_t)fb;
		v->to_be = (uint16_t)tb;
		if (v->st == MV_HOLD)
			v->st = MV_HOLD_Q;
		else if (v->st == MV_FIN)
			v->st = MV_FIN_Q;
	}
	/* lists and candidates name old indexes: a new pass */
	memset(mg.list_seq, 0, aces.n_workers * sizeof(*mg.list_seq));
	mg.list_ep = -1;
	mg.n_cand = mg.cand_pos = 0;
	free_per_entity();
	if (alloc_per_entity(aces.cfg->n_endpoints, aces.cfg->n_backends) != 0) {
		MIG_LOG(ERR, "reload: out of memory for the connection mover");
		return -ENOMEM;
	}
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
aces_mig_snap(struct aces_snap_mig *out)
{
	if (mg.dirty) {
		static uint32_t s[FREEZE_N];
		uint32_t n = mg.n_freeze < FREEZE_N ? mg.n_freeze : FREEZE_N;

		memcpy(s, mg.freeze_us, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_u32);
		mg.pub.freeze_samples = n;
		mg.pub.freeze_p50_us = n ? s[n / 2] : 0;
		mg.pub.freeze_p99_us = n ? s[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
		mg.pub.freeze_max_us = n ? s[n - 1] : 0;
		mg.dirty = 0;
	}
	mg.pub.in_flight = mg.n_active;
	*out = mg.pub;
}

uint64_t
aces_mig_ep_moved(uint32_t ep, uint64_t *failed)
{
	*failed = ep < mg.n_ep ? mg.ep_failed[ep] : 0;
	return ep < mg.n_ep ? mg.ep_moved[ep] : 0;
}
