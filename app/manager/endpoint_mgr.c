/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Endpoint Manager on the control lcore: keeps the workers' newest counters
 * (telemetry_ring.c hands them over), samples them into sliding windows every tick,
 * runs the rules every tick_ms and carries out their actions (hooks, drain resets);
 * assign.c publishes the weights they decide.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "aces/manager.h"
#include "aces/window.h"
#include "common/aces.h"
#include "datapath/datapath.h"
#include "health/health.h"
#include "handover/handover.h"
#include "manager/epm.h"
#include "manager/manager.h"

#define WIN_SLOTS	32	/* samples kept per entity */
#define WIN_MS		1000	/* rates are taken over about this long */

enum { WV_PKTS = 0, WV_BYTES, WV_NEW_FLOWS, WV_MAX };	/* counters of a window sample */

RTE_LOG_REGISTER(aces_logtype_mgr, user.aces.manager, INFO);
#define MGR_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_mgr, "aces: " fmt "\n", ## __VA_ARGS__)

struct aces_epm_state aces_epm;

static struct {
	struct aces_ctr *wk_last;	/* [worker * n_entities + entity] latest record */
	struct aces_window *win;	/* per entity: WV_* */
	struct aces_hook *hooks;	/* [endpoint * ACES_HOOK_MAX] */
	uint64_t last_event_logged;
} epm;

/* The manager's view of the running configuration: the file's part (its first entries);
 * what reloads removed and still drains is the workers' and the health monitor's only. */
static struct aces_config *view;

static struct aces_config *
view_make(void)
{
	struct aces_config *v = malloc(sizeof(*v));

	if (v == NULL)
		return NULL;
	*v = *aces.cfg;
	v->n_endpoints = aces.n_ep_live;
	v->n_backends = aces.n_be_live;
	return v;
}

int
aces_epm_init(void)
{
	const struct aces_config *c = aces.cfg;

	/* the load and counter state the manager and the snapshot read (owned here) */
	aces_epm.ep_load = calloc(c->n_endpoints ? c->n_endpoints : 1, sizeof(*aces_epm.ep_load));
	aces_epm.ctr_sum = calloc(aces_dp.n_entities, sizeof(*aces_epm.ctr_sum));
	aces_epm.be_pps = calloc(c->n_backends, sizeof(*aces_epm.be_pps));
	if (aces_epm.ep_load == NULL || aces_epm.ctr_sum == NULL || aces_epm.be_pps == NULL)
		return -ENOMEM;
	view = view_make();
	if (view == NULL)
		return -ENOMEM;
	aces_cp.mgr = aces_mgr_create(view, 4096);
	epm.wk_last = calloc((size_t)aces.n_workers * aces_dp.n_entities, sizeof(*epm.wk_last));
	epm.win = aces_window_create(WIN_SLOTS, aces_dp.n_entities, WV_MAX);
	epm.hooks = calloc((size_t)c->n_endpoints * ACES_HOOK_MAX, sizeof(*epm.hooks));
	if (aces_cp.mgr == NULL || epm.wk_last == NULL || epm.win == NULL || epm.hooks == NULL)
		return -ENOMEM;
	epm.last_event_logged = 1;
	return 0;
}

/* The per-entity arrays this room owns (sized by the endpoints and backends). */
struct epm_arrays {
	struct aces_mgr_ep_load *ep_load;
	struct aces_ctr *ctr_sum;
	double *be_pps;
	struct aces_ctr *wk_last;
	struct aces_hook *hooks;
	struct aces_window *win;
};

/* The arrays in use, handed to the caller (and no longer in use). */
static struct epm_arrays
arrays_take(void)
{
	struct epm_arrays a = { aces_epm.ep_load, aces_epm.ctr_sum, aces_epm.be_pps, epm.wk_last,
				epm.hooks, epm.win };

	aces_epm.ep_load = NULL;
	aces_epm.ctr_sum = NULL;
	aces_epm.be_pps = NULL;
	epm.wk_last = NULL;
	epm.hooks = NULL;
	epm.win = NULL;
	return a;
}

static void
arrays_put(const struct epm_arrays *a)
{
	aces_epm.ep_load = a->ep_load;
	aces_epm.ctr_sum = a->ctr_sum;
	aces_epm.be_pps = a->be_pps;
	epm.wk_last = a->wk_last;
	epm.hooks = a->hooks;
	epm.win = a->win;
}

/* Free arrays (their hooks must be killed or moved already). */
static void
arrays_free(struct epm_arrays *a)
{
	free(a->ep_load);
	free(a->ctr_sum);
	free(a->be_pps);
	free(a->wk_last);
	free(a->hooks);
	aces_window_free(a->win);
	memset(a, 0, sizeof(*a));
}

void
aces_epm_fini(void)
{
	struct epm_arrays a;
	uint32_t i;

	for (i = 0; epm.hooks != NULL && i < aces.cfg->n_endpoints * ACES_HOOK_MAX; i++)
		aces_hook_kill(&epm.hooks[i]);
	aces_hooks_reap(aces_now_ms(), 1);
	a = arrays_take();
	arrays_free(&a);
	/* the module table stops the telemetry threads first: nobody reads the manager now */
	aces_mgr_free(aces_cp.mgr);
	aces_cp.mgr = NULL;
	free(view);
	view = NULL;
}

/* Telemetry ring records (telemetry_ring.c): the newest counters of each worker and
 * entity (endpoint sides, then backends). */
void
aces_epm_rec_ep(unsigned int w, const struct aces_tmsg *r)
{
	if (r->id < aces.cfg->n_endpoints * 2)
		epm.wk_last[(size_t)w * aces_dp.n_entities + r->id] = r->c;
}

void
aces_epm_rec_be(unsigned int w, const struct aces_tmsg *r)
{
	if (r->id < aces.cfg->n_backends)
		epm.wk_last[(size_t)w * aces_dp.n_entities + aces.cfg->n_endpoints * 2 + r->id] = r->c;
}

static inline void
ctr_add(struct aces_ctr *sum, const struct aces_ctr *x)
{
	sum->pkts += x->pkts;
	sum->bytes += x->bytes;
	sum->new_flows += x->new_flows;
	sum->closed_flows += x->closed_flows;
	sum->flows += x->flows;
	sum->open += x->open;
}

/* Sum the workers, push a window sample, and derive rates over about WIN_MS. */
static void
update_windows(uint64_t now)
{
	uint32_t n_ep2 = aces.cfg->n_endpoints * 2, e, w, start;

	aces_window_advance(epm.win, now);
	for (e = 0; e < aces_dp.n_entities; e++) {
		struct aces_ctr sum = { 0 };
		uint64_t *s = aces_window_newest(epm.win, e);

		for (w = 0; w < aces.n_workers; w++)
			ctr_add(&sum, &epm.wk_last[(size_t)w * aces_dp.n_entities + e]);
		aces_epm.ctr_sum[e] = sum;
		s[WV_PKTS] = sum.pkts;
		s[WV_BYTES] = sum.bytes;
		s[WV_NEW_FLOWS] = sum.new_flows;
	}
	start = aces_window_start(epm.win, WIN_MS);
	for (e = 0; e < aces_dp.n_entities; e++) {
		uint64_t d[WV_MAX];
		double dt = (double)aces_window_delta(epm.win, e, start, d) / 1000;

		if (e < n_ep2) {
			struct aces_mgr_ep_load *l = &aces_epm.ep_load[e / 2];
			int side = (int)(e % 2);

			l->pps[side] = dt > 0 ? (double)d[WV_PKTS] / dt : 0;
			l->bps[side] = dt > 0 ? (double)d[WV_BYTES] / dt : 0;
			l->new_fps[side] = dt > 0 ? (double)d[WV_NEW_FLOWS] / dt : 0;
			l->open_flows[side] = aces_epm.ctr_sum[e].open;
		} else {
			aces_epm.be_pps[e - n_ep2] = dt > 0 ? (double)d[WV_PKTS] / dt : 0;
		}
	}
}

static void
run_hook(uint32_t e, enum aces_hook_kind kind, uint64_t now)
{
	const struct aces_config *c = aces.cfg;
	const struct aces_cfg_endpoint *ep = &c->endpoints[e];
	const char *cmd = kind == ACES_HOOK_REPLICATE ? ep->hook_replicate : ep->hook_release;
	struct aces_hook *h = &epm.hooks[e * ACES_HOOK_MAX + kind];
	char env[8][320], *envp[9], a[16];
	char lists[2][256] = { "", "" };
	uint32_t b;
	int rc;

	if (cmd == NULL)
		return;
	aces_hook_kill(h);
	for (b = 0; b < c->n_backends; b++) {
		char *l = lists[c->backends[b].side];

		if (l[0] != '\0')
			strncat(l, ",", 255 - strlen(l));
		strncat(l, aces_ip_str(c->backends[b].addr, a, sizeof(a)), 255 - strlen(l));
	}
	snprintf(env[0], sizeof(env[0]), "ACES_ENDPOINT=%s", ep->name);
	snprintf(env[1], sizeof(env[1]), "ACES_HOOK=%s",
		 kind == ACES_HOOK_REPLICATE ? "replicate" : "release");
	snprintf(env[2], sizeof(env[2]), "ACES_VIP=%s", aces_ip_str(ep->vip, a, sizeof(a)));
	snprintf(env[3], sizeof(env[3]), "ACES_PORT=%u", ep->port);
	snprintf(env[4], sizeof(env[4]), "ACES_PROTOCOL=%s", aces_proto_name(ep->proto));
	snprintf(env[5], sizeof(env[5]), "ACES_BACKEND_PORT=%u", ep->backend_port);
	snprintf(env[6], sizeof(env[6]), "ACES_ORIGINAL=%s", lists[0]);
	snprintf(env[7], sizeof(env[7]), "ACES_REPLACEMENT=%s", lists[1]);
	for (b = 0; b < 8; b++)
		envp[b] = env[b];
	envp[8] = NULL;
	rc = aces_hook_start(h, cmd, envp, now);
	if (rc != 0)
		aces_mgr_hook_done(aces_cp.mgr, e, kind, 127, strerror(-rc), now);
}

static void
poll_hooks(uint64_t now)
{
	uint32_t i, n = aces.cfg->n_endpoints * ACES_HOOK_MAX;

	aces_hooks_reap(now, 0);

	for (i = 0; i < n; i++) {
		char summary[64];
		int status;

		if (epm.hooks[i].pid != 0 &&
		    aces_hook_poll(&epm.hooks[i], &status, summary, sizeof(summary)))
			aces_mgr_hook_done(aces_cp.mgr, i / ACES_HOOK_MAX,
					   (enum aces_hook_kind)(i % ACES_HOOK_MAX), status, summary,
					   now);
	}
}

static void
do_actions(uint64_t now)
{
	struct aces_mgr_action act[32];
	uint32_t n, i, w;

	while ((n = aces_mgr_take_actions(aces_cp.mgr, act, RTE_DIM(act))) > 0) {
		for (i = 0; i < n; i++) {
			switch (act[i].type) {
			case ACES_ACT_RUN_HOOK:
				run_hook(act[i].ep, (enum aces_hook_kind)act[i].hook, now);
				break;
			case ACES_ACT_KILL_HOOK:
				aces_hook_kill(&epm.hooks[act[i].ep * ACES_HOOK_MAX + act[i].hook]);
				break;
			case ACES_ACT_RESET_FLOWS: {
				struct aces_wmsg m = { .type = ACES_WMSG_RESET, .ep = act[i].ep,
						       .side = act[i].side };

				for (w = 0; w < aces.n_workers; w++)
					if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &m,
								     sizeof(m)) != 0)
						aces_cp.ctl[ACES_CTL_CTL_TX_FULL]++;
				break;
			}
			}
		}
	}
}

/* Copy new journal entries to the log, so the decisions are in the process log too. */
static void
log_events(void)
{
	uint64_t next = aces_mgr_journal_next_id(aces_cp.mgr), id;
	struct aces_event ev;

	for (id = epm.last_event_logged; id < next; id++) {
		if (aces_mgr_journal_read(aces_cp.mgr, id, &ev) != 0)
			continue;
		MGR_LOG(INFO, "event %llu: %s: %s -> %s (%u%%): %s", (unsigned long long)ev.id,
			ev.ep >= 0 ? aces.cfg->endpoints[ev.ep].name : "transition", ev.from, ev.to,
			ev.weight, ev.reason);
	}
	epm.last_event_logged = next;
}

/* After any manager call: carry out its actions (assign.c publishes its weights,
 * snapshot.c what telemetry shows of it). */
void
aces_epm_apply(uint64_t now)
{
	do_actions(now);
	log_events();
}

void
aces_epm_tick(uint64_t now)
{
	struct aces_mgr_input in = { .now_ms = now, .ep = aces_epm.ep_load };
	uint32_t e;

	update_windows(now);
	poll_hooks(now);
	aces_health_fill(&in);
	for (e = 0; e < aces.n_ep_live; e++)
		aces_epm.ep_load[e].moving_over = (uint8_t)aces_mig_over(e);
	aces_mgr_tick(aces_cp.mgr, &in);
	aces_epm_apply(now);
}

/* Commands from telemetry threads (via the control lcore's command ring). */
int
aces_epm_cmd(struct aces_cmd *cmd, uint64_t now)
{
	int rc = 0;

	switch (cmd->type) {
	case ACES_CMD_ASSIGN:
		rc = aces_mgr_pin(aces_cp.mgr, cmd->ep, (uint8_t)cmd->weight, now);
		if (rc != 0)
			snprintf(cmd->msg, sizeof(cmd->msg), "bad weight %d", cmd->weight);
		break;
	case ACES_CMD_AUTO:
		rc = aces_mgr_unpin(aces_cp.mgr, cmd->ep, now, cmd->msg, sizeof(cmd->msg));
		break;
	case ACES_CMD_START:
		rc = aces_mgr_start(aces_cp.mgr, now, cmd->weight ? "SIGUSR2" : "telemetry command",
				    cmd->msg, sizeof(cmd->msg));
		break;
	case ACES_CMD_ABORT:
		rc = aces_mgr_abort(aces_cp.mgr, now, "telemetry command", cmd->msg, sizeof(cmd->msg));
		break;
	case ACES_CMD_STATE_READY:
		rc = aces_mgr_state_ready(aces_cp.mgr, cmd->ep, now, cmd->msg, sizeof(cmd->msg));
		break;
	case ACES_CMD_BACKEND_LOAD:
		aces_health_cpu_report(cmd->ep, (uint32_t)cmd->weight, now);
		break;
	default:
		snprintf(cmd->msg, sizeof(cmd->msg), "unknown command %d", cmd->type);
		rc = -EINVAL;
		break;
	}
	aces_epm_apply(now);
	return rc;
}

/*
 * A reload, every worker paused and already remapped (workers.c): this room's arrays for
 * the new endpoints and backends. @ep_src[e] / @be_src[b]: the old index each new one
 * comes from (-1: new). @swap: a release swapped the sides. Rates keep their history,
 * running hooks their processes; the counter sums start from the workers' counters as
 * they are now (no jump in any rate).
 */
static int
epm_remap(const int32_t *ep_src, const int32_t *be_src, uint32_t old_n_ep, int swap)
{
	const struct aces_config *c = aces.cfg;
	uint32_t n_ep = c->n_endpoints, n_be = c->n_backends, n_ent = n_ep * 2 + n_be, e, s, b, w;
	struct epm_arrays n = {
		.ep_load = calloc(n_ep ? n_ep : 1, sizeof(*n.ep_load)),
		.ctr_sum = calloc(n_ent, sizeof(*n.ctr_sum)),
		.be_pps = calloc(n_be ? n_be : 1, sizeof(*n.be_pps)),
		.wk_last = calloc((size_t)aces.n_workers * n_ent, sizeof(*n.wk_last)),
		.hooks = calloc((size_t)(n_ep ? n_ep : 1) * ACES_HOOK_MAX, sizeof(*n.hooks)),
	}, old;
	int32_t *src = calloc(n_ent, sizeof(*src));
	uint8_t *moved = calloc((size_t)old_n_ep * ACES_HOOK_MAX + 1, 1);

	if (n.ep_load == NULL || n.ctr_sum == NULL || n.be_pps == NULL || n.wk_last == NULL ||
	    n.hooks == NULL || src == NULL || moved == NULL)
		goto nomem;
	for (e = 0; e < n_ep; e++) {
		for (s = 0; s < 2; s++)
			src[e * 2 + s] = ep_src[e] < 0 ? -1 :
					 (int32_t)((uint32_t)ep_src[e] * 2 + (swap ? 1 - s : s));
		if (ep_src[e] >= 0) {
			struct aces_mgr_ep_load *o = &aces_epm.ep_load[ep_src[e]];

			for (s = 0; s < 2; s++) {
				uint32_t os = swap ? 1 - s : s;

				n.ep_load[e].pps[s] = o->pps[os];
				n.ep_load[e].bps[s] = o->bps[os];
				n.ep_load[e].new_fps[s] = o->new_fps[os];
				n.ep_load[e].open_flows[s] = o->open_flows[os];
			}
			memcpy(&n.hooks[e * ACES_HOOK_MAX], &epm.hooks[ep_src[e] * ACES_HOOK_MAX],
			       ACES_HOOK_MAX * sizeof(*n.hooks));
			memset(&moved[ep_src[e] * ACES_HOOK_MAX], 1, ACES_HOOK_MAX);
		}
	}
	for (b = 0; b < n_be; b++) {
		src[n_ep * 2 + b] = be_src[b] < 0 ? -1 : (int32_t)(old_n_ep * 2 + (uint32_t)be_src[b]);
		n.be_pps[b] = be_src[b] < 0 ? 0 : aces_epm.be_pps[be_src[b]];
	}
	n.win = aces_window_remap(epm.win, n_ent, src);
	if (n.win == NULL)
		goto nomem;
	/* the workers' counters as they are now: the next records change them by their traffic */
	for (w = 0; w < aces.n_workers; w++) {
		const struct aces_worker *k = &aces.workers[w];

		for (e = 0; e < n_ep * 2; e++)
			n.wk_last[(size_t)w * n_ent + e] = k->eps[e];
		for (b = 0; b < n_be; b++)
			n.wk_last[(size_t)w * n_ent + n_ep * 2 + b] = k->bes[b];
	}
	for (e = 0; e < n_ent; e++)
		for (w = 0; w < aces.n_workers; w++)
			ctr_add(&n.ctr_sum[e], &n.wk_last[(size_t)w * n_ent + e]);
	/* hooks of endpoints that are gone end with them */
	for (e = 0; e < old_n_ep * ACES_HOOK_MAX; e++)
		if (!moved[e])
			aces_hook_kill(&epm.hooks[e]);
	free(moved);
	free(src);
	old = arrays_take();
	arrays_free(&old);
	arrays_put(&n);
	return 0;
nomem:
	arrays_free(&n);
	free(src);
	free(moved);
	return -ENOMEM;
}

/* A reload: what the manager carries over, taken before the new configuration is installed:
 * its state, and its events (they keep their ids), their indexes translated. */
static struct {
	struct aces_mgr_saved sv;
	struct aces_event *ev;
	uint32_t n_ev;
} carry;

int
aces_epm_save(struct aces_remap *r)
{
	uint64_t next = aces_mgr_journal_next_id(aces_cp.mgr);
	uint64_t id = aces_mgr_journal_first_id(aces_cp.mgr);
	uint32_t e;

	if (aces_mgr_save(aces_cp.mgr, &carry.sv) != 0)
		return -ENOMEM;
	carry.ev = calloc(next - id + 1, sizeof(*carry.ev));
	carry.n_ev = 0;
	for (; carry.ev != NULL && id < next; id++)
		if (aces_mgr_journal_read(aces_cp.mgr, id, &carry.ev[carry.n_ev]) == 0)
			carry.n_ev++;
	for (e = 0; e < carry.n_ev; e++) {
		struct aces_event *v = &carry.ev[e];

		if (v->ep >= 0)
			v->ep = (uint32_t)v->ep < r->n_old_ep ? r->ep_new[v->ep] : -1;
		if (v->backend >= 0)
			v->backend = (uint32_t)v->backend < r->n_old_be ? r->be_new[v->backend] : -1;
	}
	return 0;
}

/* A reload (workers paused and remapped): rates, sums and hooks to the new indexes, then a
 * manager for the new view with the old one's state and events (a release: sides swapped). */
int
aces_epm_reload(struct aces_remap *r)
{
	struct aces_mgr *old_mgr = aces_cp.mgr, *m;
	struct aces_config *old_view = view;
	char err[256];
	int rc = epm_remap(r->ep_src, r->be_src, r->n_old_ep, r->release);

	if (rc != 0)
		return rc;
	view = view_make();
	m = view != NULL ? aces_mgr_create(view, 4096) : NULL;
	if (m == NULL)
		return -ENOMEM;
	aces_mgr_journal_restore(m, carry.ev, carry.n_ev);
	free(carry.ev);
	carry.ev = NULL;
	aces_cp.mgr = m;
	if (aces_mgr_restore(m, &carry.sv, r->now, NULL, 1, err, sizeof(err)) != 0) {
		MGR_LOG(ERR, "reload: the manager's state could not be carried over: %s", err);
		return -EINVAL;
	}
	if (r->release && aces_mgr_release(m, r->now, err, sizeof(err)) != 0) {
		MGR_LOG(ERR, "reload: release: %s", err);
		return -EINVAL;
	}
	aces_mgr_saved_free(&carry.sv);
	aces_mgr_free(old_mgr);
	free(old_view);
	return 0;
}
