/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend health on the control lcore: active probes (TCP SYN -> SYN-ACK -> RST,
 * or a configured UDP datagram) from the backend interface address, passive
 * signals from the workers' telemetry rings (SYN timeouts, refusals, UDP without
 * reply, handshake times), backend states (up, degraded, down) and what follows
 * from them: a down backend leaves the consistent-hash tables (only its buckets
 * move), its flows are reset if configured, and the manager learns which sides
 * have healthy backends and how each endpoint's replacement side behaves.
 *
 * Probe answers never reach a flow table: they are addressed to ACES itself, and
 * the workers hand every such frame to the control lcore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aces/cksum.h"
#include "aces/health.h"
#include "aces/manager.h"
#include "aces/parse.h"
#include "aces/window.h"
#include "common/aces.h"
#include "common/frame.h"
#include "net/net.h"
#include "health/health.h"

#define HWIN		64	/* window samples (one per tick) */
#define PROBE_SPORT	50000	/* probe i uses source ports PROBE_SPORT + i * hm.k + 0..k-1 */
#define PROBE_PORTS	15536	/* PROBE_SPORT..65535 */
#define PROBE_ROTATE	8	/* source ports per probe, taken in turn */
#define CPU_FRESH_MS	10000	/* a reported CPU figure counts this long */

RTE_LOG_REGISTER(aces_logtype_health, user.aces.health, INFO);
#define H_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_health, "aces: " fmt "\n", ## __VA_ARGS__)

struct probe {
	uint32_t backend;
	uint16_t port;			/* backend port, host order */
	uint8_t proto;
	uint8_t outstanding;
	uint16_t sport;			/* of the probe in flight, host order */
	uint32_t attempt;		/* probes sent: picks the next source port */
	uint32_t seq;			/* of the SYN sent */
	uint64_t sent_ms;
	uint64_t next_ms;
	const char *payload;		/* UDP probes */
	struct aces_be_health h;	/* this port's own state */
};

/* A window sample of a health series is its struct aces_health_ctr, counter by counter. */
#define HCTR_WIDTH	(sizeof(struct aces_health_ctr) / sizeof(uint64_t))
_Static_assert(sizeof(struct aces_health_ctr) % sizeof(uint64_t) == 0, "health counters are u64");

static struct {
	struct probe *p;
	uint32_t n;
	struct aces_be_health *be;	/* per backend: passive + all its probes */
	uint8_t *state;			/* effective state per backend */
	uint8_t *down;			/* 1 when down (what the tables exclude) */
	uint64_t down_gen;		/* bumped at every change of down */
	struct aces_health_ctr *wk_h;	/* [worker * (n_ep2 + n_be) + id] latest */
	struct aces_hs_hist *wk_hist;	/* [worker * n_ep2 + id] latest */
	struct aces_window *win;	/* per endpoint side, then backend: health counters */
	struct aces_window *hwin;	/* per endpoint side: handshake histogram */
	struct aces_mgr_ep_health *eph;	/* for the manager */
	uint32_t seq;
	uint32_t k;			/* source ports per probe */
	uint64_t *since;		/* effective state: last change */
	char (*reason)[112];		/* effective state: why */
	uint32_t *rseq;			/* per backend: odd while state/since/reason change */
	uint32_t *cpu;			/* per backend: reported CPU %, UINT32_MAX: none */
	uint64_t *cpu_ms;		/* ... when it came (manager clock) */
	uint8_t side_seen[ACES_SIDE_MAX];	/* a backend of the side resolved or judged */
	uint64_t first_fill_ms;		/* the first aces_health_fill(): start-up */
} hm;

/* How long a side with no resolved backend has no verdict at start (ARP asks every second). */
#define FIRST_VERDICT_MS 3000

static uint32_t
n_hent(void)
{
	return aces.cfg->n_endpoints * 2 + aces.cfg->n_backends;
}

int
aces_health_init(void)
{
	const struct aces_config *c = aces.cfg;
	uint32_t b, e, k, n_ep2 = c->n_endpoints * 2;
	uint64_t now = aces_now_ms();

	hm.p = calloc((size_t)c->n_backends * c->n_endpoints + 1, sizeof(*hm.p));
	hm.be = calloc(c->n_backends, sizeof(*hm.be));
	hm.state = calloc(c->n_backends, 1);
	hm.down = calloc(c->n_backends, 1);
	hm.wk_h = calloc((size_t)aces.n_workers * n_hent(), sizeof(*hm.wk_h));
	hm.wk_hist = calloc((size_t)aces.n_workers * n_ep2, sizeof(*hm.wk_hist));
	hm.win = aces_window_create(HWIN, n_hent(), HCTR_WIDTH);
	hm.hwin = aces_window_create(HWIN, n_ep2, ACES_HS_BUCKETS);
	hm.eph = calloc(c->n_endpoints, sizeof(*hm.eph));
	hm.since = calloc(c->n_backends, sizeof(*hm.since));
	hm.reason = calloc(c->n_backends, sizeof(*hm.reason));
	hm.rseq = calloc(c->n_backends, sizeof(*hm.rseq));
	hm.cpu = calloc(c->n_backends + 1, sizeof(*hm.cpu));
	hm.cpu_ms = calloc(c->n_backends + 1, sizeof(*hm.cpu_ms));
	if (hm.p == NULL || hm.be == NULL || hm.state == NULL || hm.down == NULL ||
	    hm.wk_h == NULL || hm.wk_hist == NULL || hm.win == NULL || hm.hwin == NULL ||
	    hm.eph == NULL || hm.since == NULL || hm.reason == NULL || hm.rseq == NULL ||
	    hm.cpu == NULL || hm.cpu_ms == NULL)
		return -ENOMEM;
	for (b = 0; b < c->n_backends; b++) {
		hm.cpu[b] = UINT32_MAX;
		hm.since[b] = now;
		snprintf(hm.reason[b], sizeof(hm.reason[b]), "initial state");
	}
	hm.seq = (uint32_t)rte_rdtsc();
	/* one probe per backend and distinct (backend port, protocol) it serves */
	for (b = 0; b < c->n_backends; b++) {
		aces_be_health_init(&hm.be[b], now);
		for (e = 0; c->manager.health.probe && !c->backends[b].retired &&
			    e < c->n_endpoints; e++) {
			const struct aces_cfg_endpoint *ep = &c->endpoints[e];
			int dup = 0;

			if ((ep->proto == ACES_IPPROTO_UDP && ep->udp_probe == NULL) || ep->retired)
				continue;	/* UDP without a probe: passive signals only */
			for (k = 0; k < hm.n; k++)
				dup |= hm.p[k].backend == b && hm.p[k].port == ep->backend_port &&
				       hm.p[k].proto == ep->proto;
			if (dup)
				continue;
			hm.p[hm.n].backend = b;
			hm.p[hm.n].port = ep->backend_port;
			hm.p[hm.n].proto = ep->proto;
			hm.p[hm.n].payload = ep->udp_probe;
			/* spread the first probes over one interval */
			hm.p[hm.n].next_ms = now + (uint64_t)c->manager.health.probe_interval_ms *
					     (hm.n % 8) / 8;
			aces_be_health_init(&hm.p[hm.n].h, now);
			hm.n++;
		}
	}
	/*
	 * Each probe takes its source ports in turn: a backend that still holds a half-open
	 * connection of an earlier probe on one 4-tuple (an ACES restart between SYN and RST,
	 * a SYN-ACK that came after the timeout) answers a new SYN there with the old
	 * SYN-ACK; the next probe goes out on another tuple.
	 */
	if (hm.n > PROBE_PORTS) {
		H_LOG(ERR, "%u health probes need %u source ports from %u: at most %u",
		      hm.n, hm.n, PROBE_SPORT, PROBE_PORTS);
		return -E2BIG;
	}
	hm.k = hm.n == 0 ? 1 : RTE_MIN((uint32_t)PROBE_ROTATE, PROBE_PORTS / hm.n);
	return 0;
}

void
aces_health_fini(void)
{
	free(hm.p);
	free(hm.be);
	free(hm.state);
	free(hm.down);
	free(hm.wk_h);
	free(hm.wk_hist);
	aces_window_free(hm.win);
	aces_window_free(hm.hwin);
	free(hm.eph);
	free(hm.since);
	free(hm.reason);
	free(hm.rseq);
	free(hm.cpu);
	free(hm.cpu_ms);
	memset(&hm, 0, sizeof(hm));
}

/* A backend's agent reports its CPU use (a command, on the control lcore). */
void
aces_health_cpu_report(uint32_t b, uint32_t percent, uint64_t now)
{
	if (hm.cpu == NULL || b >= aces.cfg->n_backends)
		return;
	hm.cpu[b] = percent;
	hm.cpu_ms[b] = now;
}

uint32_t
aces_health_cpu(uint32_t b, uint64_t *ms)
{
	int ok = hm.cpu != NULL && b < aces.cfg->n_backends;

	*ms = ok ? hm.cpu_ms[b] : 0;
	return ok ? hm.cpu[b] : UINT32_MAX;
}

/* Telemetry ring records (telemetry_ring.c): the newest of each worker and entity. */
void
aces_health_rec_ep(unsigned int w, const struct aces_tmsg *r)
{
	if (hm.wk_h != NULL && r->id < aces.cfg->n_endpoints * 2)
		hm.wk_h[(size_t)w * n_hent() + r->id] = r->h;
}

void
aces_health_rec_be(unsigned int w, const struct aces_tmsg *r)
{
	if (hm.wk_h != NULL && r->id < aces.cfg->n_backends)
		hm.wk_h[(size_t)w * n_hent() + aces.cfg->n_endpoints * 2 + r->id] = r->h;
}

void
aces_health_rec_hist(unsigned int w, const struct aces_tmsg *r)
{
	uint32_t n_ep2 = aces.cfg->n_endpoints * 2;

	if (hm.wk_hist != NULL && r->id < n_ep2)
		hm.wk_hist[(size_t)w * n_ep2 + r->id] = r->hist;
}

const uint8_t *
aces_health_down(uint64_t *gen)
{
	*gen = hm.down_gen;
	return hm.down;
}

/* ---- probes ---- */

static struct rte_mbuf *
probe_frame(const struct probe *pr, size_t l4_len, uint8_t **l4out)
{
	const struct aces_config *c = aces.cfg;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	uint64_t v = __atomic_load_n(&aces_nh.neigh[aces_nh.backend_nh[pr->backend]].mac,
				     __ATOMIC_ACQUIRE);

	if (!(v & ACES_NEIGH_VALID))
		return NULL;
	memcpy(mac.addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	m = rte_pktmbuf_alloc(aces.pool);
	if (m == NULL) {
		aces_cp.ctl[ACES_CTL_ALLOC_FAIL]++;
		return NULL;
	}
	*l4out = aces_frame_ipv4(m, &mac, &aces.port_mac[aces.backend_pi], c->backend.addr,
				 c->backends[pr->backend].addr, pr->proto, l4_len);
	return m;
}

/* A TCP segment of probe @pr from source port @sport (host order). */
static void
send_tcp_from(const struct probe *pr, uint16_t sport, uint8_t flags, uint32_t seq)
{
	const struct aces_config *c = aces.cfg;
	struct rte_tcp_hdr *t;
	uint8_t *l4;
	struct rte_mbuf *m = probe_frame(pr, sizeof(*t), &l4);

	if (m == NULL)
		return;
	t = (struct rte_tcp_hdr *)l4;
	aces_frame_tcp(t, c->backend.addr, c->backends[pr->backend].addr,
		       rte_cpu_to_be_16(sport), rte_cpu_to_be_16(pr->port), seq, flags, 1024);
	aces_ctl_send(m, aces.port_ids[aces.backend_pi]);
}

static void
send_tcp(const struct probe *pr, uint8_t flags, uint32_t seq)
{
	send_tcp_from(pr, pr->sport, flags, seq);
}

static void
send_udp(const struct probe *pr)
{
	const struct aces_config *c = aces.cfg;
	size_t len = strlen(pr->payload);
	struct rte_udp_hdr *u;
	uint8_t *l4;
	struct rte_mbuf *m = probe_frame(pr, sizeof(*u) + len, &l4);

	if (m == NULL)
		return;
	u = (struct rte_udp_hdr *)l4;
	u->src_port = rte_cpu_to_be_16(pr->sport);
	u->dst_port = rte_cpu_to_be_16(pr->port);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + len));
	memcpy(u + 1, pr->payload, len);
	u->dgram_cksum = aces_cksum_l4(c->backend.addr, c->backends[pr->backend].addr,
				       ACES_IPPROTO_UDP, u, sizeof(*u) + len);
	aces_ctl_send(m, aces.port_ids[aces.backend_pi]);
}

static void
probe_result(struct probe *pr, int ok, const char *what, uint64_t now)
{
	const char *name = aces.cfg->backends[pr->backend].name;

	pr->outstanding = 0;
	aces_cp.ctl[ok ? ACES_CTL_PROBE_ANSWERS : ACES_CTL_PROBE_FAILURES]++;
	aces_be_health_probe(&pr->h, &aces.cfg->manager.health, name, ok, what, now);
	aces_be_health_probe(&hm.be[pr->backend], &aces.cfg->manager.health, name, ok, what, now);
}

void
aces_health_poll(uint64_t now)
{
	const struct aces_cfg_health *hc = &aces.cfg->manager.health;
	uint32_t i;

	for (i = 0; i < hm.n; i++) {
		struct probe *pr = &hm.p[i];

		if (pr->outstanding && now - pr->sent_ms >= hc->probe_timeout_ms)
			probe_result(pr, 0, "no answer", now);
		if (now < pr->next_ms)
			continue;
		pr->next_ms = now + hc->probe_interval_ms;
		if (pr->outstanding)
			continue;
		pr->outstanding = 1;
		pr->sent_ms = now;
		pr->sport = (uint16_t)(PROBE_SPORT + i * hm.k + pr->attempt++ % hm.k);
		aces_cp.ctl[ACES_CTL_PROBES_SENT]++;
		if (pr->proto == ACES_IPPROTO_TCP) {
			pr->seq = hm.seq += 0x10001;
			send_tcp(pr, ACES_TCP_SYN, pr->seq);
		} else {
			send_udp(pr);
		}
	}
}

int
aces_health_rx(struct rte_mbuf *m, const struct aces_pkt *p)
{
	const struct aces_config *c = aces.cfg;
	const uint8_t *l4 = rte_pktmbuf_mtod(m, const uint8_t *) + p->l2_len + p->l3_len;
	uint16_t dport = rte_be_to_cpu_16(p->dst_port), sport = rte_be_to_cpu_16(p->src_port);
	uint64_t now = aces_now_ms();
	struct probe *pr;
	uint32_t i;

	if (p->dst_ip != c->backend.addr || dport < PROBE_SPORT || dport >= PROBE_SPORT + hm.n * hm.k)
		return -1;
	i = (dport - PROBE_SPORT) / hm.k;
	pr = &hm.p[i];
	if (p->src_ip != c->backends[pr->backend].addr || sport != pr->port || p->proto != pr->proto)
		return -1;
	if (p->proto == ACES_IPPROTO_TCP) {
		const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)l4;
		uint32_t ack = rte_be_to_cpu_32(t->recv_ack);

		if (!pr->outstanding || dport != pr->sport || ack != pr->seq + 1) {
			/* an answer to an older probe (late, or an ACES restart ago): reset the
			 * half-open connection the backend keeps for it (RFC 793: the RST takes
			 * its sequence number from the ACK) and leave the current probe alone */
			if ((p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK | ACES_TCP_RST)) ==
			    (ACES_TCP_SYN | ACES_TCP_ACK)) {
				send_tcp_from(pr, dport, ACES_TCP_RST, ack);
				aces_cp.ctl[ACES_CTL_PROBE_STALE]++;
			}
			return -1;
		}
		if ((p->tcp_flags & (ACES_TCP_SYN | ACES_TCP_ACK)) == (ACES_TCP_SYN | ACES_TCP_ACK)) {
			send_tcp(pr, ACES_TCP_RST, pr->seq + 1);	/* close it at once */
			probe_result(pr, 1, "SYN-ACK", now);
		} else if (p->tcp_flags & ACES_TCP_RST) {
			probe_result(pr, 0, "refused", now);
		} else {
			return -1;
		}
	} else {
		if (!pr->outstanding || dport != pr->sport)
			return -1;	/* an answer to an older probe */
		probe_result(pr, 1, "UDP answer", now);
	}
	rte_pktmbuf_free(m);
	return 0;
}

/* ---- windows and states ---- */

static void
sum_workers(uint32_t id, struct aces_health_ctr *out)
{
	unsigned int w;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < aces.n_workers; w++) {
		const struct aces_health_ctr *x = &hm.wk_h[(size_t)w * n_hent() + id];

#define SUM_FIELD(f, n, d) out->f += x->f;
		ACES_HEALTH_CTR_LIST(SUM_FIELD)
#undef SUM_FIELD
	}
}

/* The 95th percentile of the handshake times of a window's histogram change @d. */
/* The change of health series @id since window slot @start. */
static void
window_delta(uint32_t id, uint32_t start, struct aces_health_ctr *d)
{
	uint64_t v[HCTR_WIDTH];

	aces_window_delta(hm.win, id, start, v);
	memcpy(d, v, sizeof(*d));
}

static double
p95_ms(const uint64_t *d)
{
	static const uint32_t bounds[ACES_HS_BUCKETS] = ACES_HS_BOUNDS_MS;
	uint64_t total = 0, acc = 0;
	int b;

	for (b = 0; b < ACES_HS_BUCKETS; b++)
		total += d[b];
	if (total == 0)
		return 0;
	for (b = 0; b < ACES_HS_BUCKETS; b++) {
		acc += d[b];
		if (acc * 100 >= total * 95)
			return bounds[b];
	}
	return bounds[ACES_HS_BUCKETS - 1];
}

static void
set_state(uint32_t b, uint8_t to, const char *reason, uint64_t now)
{
	const struct aces_config *c = aces.cfg;
	uint8_t from = hm.state[b];

	ACES_ON_CONTROL_LCORE();

	if (from == to)
		return;
	/* a sequence lock: telemetry threads read the three together (aces_health_state) */
	__atomic_store_n(&hm.rseq[b], hm.rseq[b] + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&hm.state[b], to, __ATOMIC_RELAXED);
	__atomic_store_n(&hm.since[b], now, __ATOMIC_RELAXED);
	snprintf(hm.reason[b], sizeof(hm.reason[b]), "%s", reason);
	__atomic_store_n(&hm.rseq[b], hm.rseq[b] + 1, __ATOMIC_RELEASE);
	aces_mgr_note(aces_cp.mgr, now, (int32_t)b, aces_be_state_name((enum aces_be_state)from),
		      aces_be_state_name((enum aces_be_state)to), reason);
	H_LOG(INFO, "backend %s: %s -> %s: %s", c->backends[b].name,
	      aces_be_state_name((enum aces_be_state)from), aces_be_state_name((enum aces_be_state)to),
	      reason);
	if ((to == ACES_BE_DOWN) != hm.down[b]) {
		/* assign.c publishes tables without it (or with it again) this control loop */
		hm.down[b] = to == ACES_BE_DOWN;
		hm.down_gen++;
		if (to == ACES_BE_DOWN && c->manager.health.on_backend_down == ACES_DRAIN_RESET) {
			struct aces_wmsg msg = { .type = ACES_WMSG_RESET_BACKEND, .ep = b };
			unsigned int w;

			for (w = 0; w < aces.n_workers; w++)
				if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &msg,
							     sizeof(msg)) != 0)
					aces_cp.ctl[ACES_CTL_CTL_TX_FULL]++;
		}
	}
}

void
aces_health_tick(uint64_t now)
{
	const struct aces_config *c = aces.cfg;
	const struct aces_cfg_health *hc = &c->manager.health;
	uint32_t n_ep2 = c->n_endpoints * 2, id, start, b, i;

	if (hm.win == NULL)
		return;
	aces_window_advance(hm.win, now);
	aces_window_advance(hm.hwin, now);
	for (id = 0; id < n_hent(); id++) {
		struct aces_health_ctr sum;

		sum_workers(id, &sum);
		memcpy(aces_window_newest(hm.win, id), &sum, sizeof(sum));
	}
	for (id = 0; id < n_ep2; id++) {
		uint64_t *h = aces_window_newest(hm.hwin, id);
		unsigned int w;
		int k;

		for (k = 0; k < ACES_HS_BUCKETS; k++)
			h[k] = 0;
		for (w = 0; w < aces.n_workers; w++)
			for (k = 0; k < ACES_HS_BUCKETS; k++)
				h[k] += hm.wk_hist[(size_t)w * n_ep2 + id].b[k];
	}
	start = aces_window_start(hm.win, hc->window_ms);
	/* endpoint sides, for the manager */
	for (id = 0; id < n_ep2; id++) {
		struct aces_mgr_ep_health *e = &hm.eph[id / 2];
		uint64_t dh[ACES_HS_BUCKETS];
		struct aces_health_ctr d;
		int side = (int)(id % 2);

		window_delta(id, start, &d);
		e->attempts[side] = d.attempts;
		e->failures[side] = d.syn_timeouts + d.refused + d.udp_noreply;
		aces_window_delta(hm.hwin, id, start, dh);
		e->hs_p95_ms[side] = p95_ms(dh);
	}
	/* backends: passive signals, then the effective state of each */
	for (b = 0; b < c->n_backends; b++) {
		struct aces_health_ctr d;
		struct aces_be_signals sig = { .cpu_percent = -1 };
		const char *reason = hm.be[b].reason;
		uint8_t st;

		window_delta(n_ep2 + b, start, &d);
		sig.attempts = d.attempts;
		sig.syn_timeouts = d.syn_timeouts;
		sig.refused = d.refused;
		sig.udp_noreply = d.udp_noreply;
		if (hm.cpu[b] != UINT32_MAX && now - hm.cpu_ms[b] < CPU_FRESH_MS)
			sig.cpu_percent = (int32_t)hm.cpu[b];
		aces_be_health_passive(&hm.be[b], hc, c->backends[b].name, &sig, now);
		st = (uint8_t)hm.be[b].state;
		for (i = 0; i < hm.n; i++) {
			if (hm.p[i].backend == b && hm.p[i].h.state == ACES_BE_DOWN &&
			    st != ACES_BE_DOWN) {
				st = ACES_BE_DOWN;
				reason = hm.p[i].h.reason;
			}
		}
		set_state(b, st, reason, now);
	}
}

void
aces_health_fill(struct aces_mgr_input *in)
{
	const struct aces_config *c = aces.cfg;
	uint64_t now = in->now_ms;
	uint32_t b;

	in->health = hm.eph;
	in->repl_cpu_max = -1;
	in->healthy_backends[0] = in->healthy_backends[1] = 0;
	if (hm.first_fill_ms == 0)
		hm.first_fill_ms = now ? now : 1;
	for (b = 0; b < aces.n_be_live; b++) {	/* removed backends serve no new flow */
		uint64_t mac = __atomic_load_n(&aces_nh.neigh[aces_nh.backend_nh[b]].mac,
					       __ATOMIC_RELAXED);
		enum aces_side s = c->backends[b].side;

		if ((mac & ACES_NEIGH_VALID) && hm.state[b] != ACES_BE_DOWN)
			in->healthy_backends[s]++;
		if ((mac & ACES_NEIGH_VALID) || hm.state[b] == ACES_BE_DOWN)
			hm.side_seen[s] = 1;
		if (s == ACES_SIDE_REPLACEMENT && hm.cpu[b] != UINT32_MAX &&
		    now - hm.cpu_ms[b] < CPU_FRESH_MS && (int32_t)hm.cpu[b] > in->repl_cpu_max)
			in->repl_cpu_max = (int32_t)hm.cpu[b];
	}
	/* a side is "no news" at start until one of its backends is resolved or judged, for
	 * FIRST_VERDICT_MS at most: then no backend resolved is its first verdict */
	for (b = 0; b < ACES_SIDE_MAX; b++) {
		if (!hm.side_seen[b] && now - hm.first_fill_ms >= FIRST_VERDICT_MS)
			hm.side_seen[b] = 1;
		in->health_unknown[b] = !hm.side_seen[b];
	}
}

uint8_t
aces_health_state(uint32_t b, uint64_t *since_ms, char *reason, size_t len)
{
	char buf[sizeof(hm.reason[0])];
	uint8_t st = ACES_BE_UP;
	int tries;

	/* read by telemetry threads while the control lcore may change them: take a copy
	 * between two equal, even sequence numbers; a bounded number of tries (the writer
	 * holds it for one snprintf), never a wait on the control lcore */
	if (hm.state == NULL || len == 0)
		return ACES_BE_UP;
	snprintf(buf, sizeof(buf), "(changing)");
	for (tries = 0; tries < 1000; tries++) {
		uint32_t s1 = __atomic_load_n(&hm.rseq[b], __ATOMIC_ACQUIRE);
		char tmp[sizeof(hm.reason[0])];

		if (s1 & 1) {
			rte_pause();
			continue;
		}
		st = __atomic_load_n(&hm.state[b], __ATOMIC_RELAXED);
		*since_ms = __atomic_load_n(&hm.since[b], __ATOMIC_RELAXED);
		memcpy(tmp, hm.reason[b], sizeof(tmp));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&hm.rseq[b], __ATOMIC_RELAXED) == s1) {
			memcpy(buf, tmp, sizeof(buf));
			buf[sizeof(buf) - 1] = '\0';
			break;
		}
	}
	snprintf(reason, len, "%s", buf);
	return st;
}

void
aces_health_counters(uint32_t id, struct aces_health_ctr *out)
{
	if (hm.win == NULL || hm.win->count == 0) {
		memset(out, 0, sizeof(*out));
		return;
	}
	memcpy(out, aces_window_newest(hm.win, id), sizeof(*out));
}

int
aces_health_hist(uint32_t id, uint64_t *out)
{
	const uint64_t *h;

	if (hm.hwin == NULL || id >= aces.cfg->n_endpoints * 2u)
		return -1;
	h = aces_window_newest(hm.hwin, id);
	memcpy(out, h, ACES_HS_BUCKETS * sizeof(*out));
	return 0;
}

const struct aces_mgr_ep_health *
aces_health_ep(uint32_t e)
{
	return hm.eph != NULL ? &hm.eph[e] : NULL;
}

/* ---- carried across a restart (state.c) ---- */

static json_t *
be_health_json(const struct aces_be_health *h)
{
	return json_pack("{s:i, s:I, s:I, s:I, s:s}", "state", (int)h->state,
			 "ok_run", (json_int_t)h->ok_run, "fail_run", (json_int_t)h->fail_run,
			 "since_ms", (json_int_t)h->since_ms, "reason", h->reason);
}

static int
be_health_from(const json_t *j, struct aces_be_health *h)
{
	int st = -1;
	json_int_t ok = 0, fail = 0, since = 0;
	const char *reason = "";

	if (j == NULL || json_unpack((json_t *)(uintptr_t)j, "{s:i, s:I, s:I, s:I, s:s}", "state",
				     &st, "ok_run", &ok, "fail_run", &fail, "since_ms", &since,
				     "reason", &reason) != 0 ||
	    st < 0 || st >= ACES_BE_STATE_MAX || ok < 0 || fail < 0 || since < 0)
		return -EINVAL;
	h->state = (enum aces_be_state)st;
	h->ok_run = (uint32_t)RTE_MIN(ok, (json_int_t)UINT32_MAX);
	h->fail_run = (uint32_t)RTE_MIN(fail, (json_int_t)UINT32_MAX);
	h->since_ms = (uint64_t)since;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	return 0;
}

json_t *
aces_health_save(void)
{
	const struct aces_config *c = aces.cfg;
	json_t *arr = json_array();
	uint32_t b, i;

	for (b = 0; arr != NULL && b < c->n_backends; b++) {
		json_t *probes = json_array();

		for (i = 0; probes != NULL && i < hm.n; i++)
			if (hm.p[i].backend == b)
				json_array_append_new(probes, json_pack("{s:i, s:i, s:o}",
					"port", hm.p[i].port, "proto", hm.p[i].proto,
					"health", be_health_json(&hm.p[i].h)));
		json_array_append_new(arr, json_pack("{s:s, s:i, s:I, s:s, s:o, s:o}",
			"name", c->backends[b].name, "state", hm.state[b],
			"since_ms", (json_int_t)hm.since[b], "reason", hm.reason[b],
			"passive", be_health_json(&hm.be[b]), "probes", probes));
	}
	return arr;
}

int
aces_health_restore(const json_t *arr, uint32_t *kept)
{
	const struct aces_config *c = aces.cfg;
	size_t k, j;
	json_t *v;

	*kept = 0;
	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, k, v) {
		const char *name = NULL, *reason = "";
		json_t *passive = NULL, *probes = NULL, *pv;
		json_int_t since = 0;
		int st = -1, b;
		uint32_t i;

		if (json_unpack(v, "{s:s, s:i, s:I, s:s, s:o, s:o}", "name", &name, "state", &st,
				"since_ms", &since, "reason", &reason, "passive", &passive,
				"probes", &probes) != 0 || st < 0 || st >= ACES_BE_STATE_MAX ||
		    since < 0 || !json_is_array(probes))
			return -EINVAL;
		b = aces_config_backend_index(c, name);
		if (b < 0)
			continue;	/* not configured any more */
		if (be_health_from(passive, &hm.be[b]) != 0)
			return -EINVAL;
		json_array_foreach(probes, j, pv) {
			int port = -1, proto = -1;
			json_t *h = NULL;

			if (json_unpack(pv, "{s:i, s:i, s:o}", "port", &port, "proto", &proto,
					"health", &h) != 0)
				return -EINVAL;
			for (i = 0; i < hm.n; i++)
				if (hm.p[i].backend == (uint32_t)b && hm.p[i].port == port &&
				    hm.p[i].proto == proto && be_health_from(h, &hm.p[i].h) != 0)
					return -EINVAL;
		}
		/* no worker or telemetry reader runs yet: no sequence lock needed */
		hm.state[b] = (uint8_t)st;
		hm.since[b] = (uint64_t)since;
		snprintf(hm.reason[b], sizeof(hm.reason[b]), "%s", reason);
		if ((st == ACES_BE_DOWN) != hm.down[b]) {
			hm.down[b] = st == ACES_BE_DOWN;
			hm.down_gen++;
		}
		(*kept)++;
	}
	return 0;
}

/* After a reload's re-initialisation (workers paused): the newest records are the
 * workers' counters as they are now, so no passive signal sees a jump. */
void
aces_health_seed(void)
{
	uint32_t n_ep2 = aces.cfg->n_endpoints * 2, n_be = aces.cfg->n_backends, id;
	unsigned int w;

	for (w = 0; w < aces.n_workers; w++) {
		const struct aces_worker *k = &aces.workers[w];

		for (id = 0; id < n_ep2; id++) {
			hm.wk_h[(size_t)w * n_hent() + id] = k->eph[id];
			hm.wk_hist[(size_t)w * n_ep2 + id] = k->ephist[id];
		}
		for (id = 0; id < n_be; id++)
			hm.wk_h[(size_t)w * n_hent() + n_ep2 + id] = k->beh[id];
	}
}

/* A reload: every backend's health, taken before the new configuration is installed. */
static json_t *reload_saved;

int
aces_health_reload_save(struct aces_remap *r)
{
	RTE_SET_USED(r);
	reload_saved = aces_health_save();
	return reload_saved != NULL ? 0 : -ENOMEM;
}

/* A reload (the manager already remapped): the monitor for the new configuration, each
 * backend's health and CPU report kept by name, the newest records from the workers. */
int
aces_health_reload(struct aces_remap *r)
{
	uint32_t *cpu = hm.cpu, kept = 0, b;
	uint64_t *cpu_ms = hm.cpu_ms;
	int rc;

	hm.cpu = NULL;
	hm.cpu_ms = NULL;
	aces_health_fini();
	rc = aces_health_init();
	if (rc == 0) {
		aces_health_restore(reload_saved, &kept);
		aces_health_seed();
		for (b = 0; b < aces.cfg->n_backends; b++) {
			hm.cpu[b] = r->be_src[b] < 0 ? UINT32_MAX : cpu[r->be_src[b]];
			hm.cpu_ms[b] = r->be_src[b] < 0 ? 0 : cpu_ms[r->be_src[b]];
		}
	}
	json_decref(reload_saved);
	reload_saved = NULL;
	free(cpu);
	free(cpu_ms);
	return rc;
}
