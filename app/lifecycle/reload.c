/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live reconfiguration (SIGHUP, /aces/config/reload): the --config file is read and
 * validated whole; a bad file changes nothing and its one-line error (file, JSON path,
 * reason) is returned and logged. What a running process cannot change (the
 * interfaces, flows.capacity, ip.reassembly_*) is refused naming the key; so is a change of an
 * endpoint's VIP, port, protocol or backend port, or a backend's address, under the
 * same name (a new name is a new entity, and the old one drains).
 *
 * Then the difference is applied while the workers pause at the end of their loop for
 * the swap (they hold nothing shared there; it is measured and reported): endpoints
 * and backends are matched by name and every flow, counter, rate, hook, learned MAC,
 * backend health and the manager's state follow them to their new indexes. Established
 * flows keep their backend. Endpoints and backends the file no longer has keep their
 * flows, retired: no new flow reaches them, and at their drain deadline (the endpoint's
 * drain_timeout_ms) the flows of endpoints whose drain_action is reset are reset; a
 * retired entity without open flows is dropped at the next reload (its closed ones,
 * waiting for their timeout, go with it).
 *
 * Release after release: when the transition is complete and the file names the
 * replacement's backends as the original, every backend changes sides (the ones the
 * file lists, and the retired ones), every flow and counter with them, and the manager
 * goes idle with the new flows where they went: transition N + 1 can start.
 *
 * Control lcore only. The telemetry threads are kept out for the swap by a write lock
 * on the configuration (telemetry_cmds.c holds the read side around each handler).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "aces/config.h"
#include "aces/manager.h"
#include "common/aces.h"
#include "datapath/datapath.h"
#include "manager/manager.h"
#include "lifecycle/lifecycle.h"

RTE_LOG_REGISTER(aces_logtype_reload, user.aces.reload, INFO);
#define RL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_reload, "aces: " fmt "\n", ## __VA_ARGS__)

pthread_rwlock_t aces_cfg_lock = PTHREAD_RWLOCK_INITIALIZER;
__thread int aces_tel_read_held;
struct aces_reload_info aces_reloads;

/* The modules main.c starts, in its order: a reload asks each to carry its state over. */
static const struct aces_module *modules;
static unsigned int n_modules;

void
aces_reload_modules(const struct aces_module *m, unsigned int n)
{
	modules = m;
	n_modules = n;
}

void
aces_config_install(struct aces_config *rt, uint32_t n_ep_live, uint32_t n_be_live)
{
	ACES_ON_CONTROL_LCORE();

	aces.cfg = rt;
	aces.n_ep_live = n_ep_live;
	aces.n_be_live = n_be_live;
}

void
aces_config_uninstall(void)
{
	aces_config_free(aces.cfg);
	aces.cfg = NULL;
}

/* ---- checks: nothing changes when one fails ---- */

static int
check_iface(const char *role, const struct aces_cfg_iface *a, const struct aces_cfg_iface *b,
	    char *err, size_t len)
{
	const char *key = NULL;

	if (a->port != b->port)
		key = "port";
	else if (a->addr != b->addr || a->prefix_len != b->prefix_len)
		key = "address";
	else if (a->has_gateway != b->has_gateway || (a->has_gateway && a->gateway != b->gateway))
		key = "gateway";
	else if (a->mtu != b->mtu)
		key = "mtu";
	else if (strcmp(a->kernel, b->kernel) != 0 || a->kernel_pps != b->kernel_pps)
		key = "kernel";
	if (key == NULL)
		return 0;
	snprintf(err, len, "interfaces.%s.%s: cannot change in a running process (restart ACES "
		 "to change it: its connections are kept)", role, key);
	return -EINVAL;
}

struct plan {
	struct aces_config *rt;		/* the new running configuration */
	uint32_t n_ep_live, n_be_live;
	int32_t *ep_new;		/* old endpoint -> new, -1: gone */
	int32_t *be_new;		/* old backend -> new */
	int32_t *ep_src;		/* new endpoint -> old, -1: new */
	int32_t *be_src;
	int release;
	int same_backends;		/* backends, weights, sides as before: no table rebuild */
	uint32_t ep_added, ep_removed, ep_changed, ep_dropped;
	uint32_t be_added, be_removed, be_reweighted, be_dropped;
};

static void
plan_free(struct plan *p)
{
	free(p->ep_new);
	free(p->be_new);
	free(p->ep_src);
	free(p->be_src);
	if (p->rt != NULL)
		aces_config_free(p->rt);
	memset(p, 0, sizeof(*p));
}

/* Open flows (no FIN or RST seen) of an old entity, over the workers (paused when the plan
 * is made). A removed entity is kept while it has one; its closed flows only wait for
 * their timeout and go with it. */
static uint64_t
ep_flows(uint32_t e)
{
	uint64_t n = 0;
	unsigned int w;

	for (w = 0; w < aces.n_workers; w++)
		n += aces.workers[w].eps[e * 2].open + aces.workers[w].eps[e * 2 + 1].open;
	return n;
}

static uint64_t
be_flows(uint32_t b)
{
	uint64_t n = 0;
	unsigned int w;

	for (w = 0; w < aces.n_workers; w++)
		n += aces.workers[w].bes[b].open;
	return n;
}

static int
endpoint_changed(const struct aces_cfg_endpoint *a, const struct aces_cfg_endpoint *b)
{
	if (a->priority != b->priority || a->statefulness != b->statefulness ||
	    a->drain_action != b->drain_action || a->drain_timeout_ms != b->drain_timeout_ms ||
	    a->n_deps != b->n_deps)
		return 1;
	if ((a->hook_replicate == NULL) != (b->hook_replicate == NULL) ||
	    (a->hook_release == NULL) != (b->hook_release == NULL) ||
	    (a->hook_replicate && strcmp(a->hook_replicate, b->hook_replicate) != 0) ||
	    (a->hook_release && strcmp(a->hook_release, b->hook_release) != 0))
		return 1;
	return 0;
}

/*
 * The new running configuration: the file's endpoints and backends, then the old ones the
 * file no longer has that still have flows (retired), and the index maps between them.
 */
static int
make_plan(struct aces_config *nc, struct plan *p, uint64_t now, char *err, size_t len)
{
	const struct aces_config *oc = aces.cfg;
	int complete = aces_mgr_state(aces_cp.mgr) == ACES_TRANSITION_COMPLETE;
	uint32_t i, n_ep, n_be;
	struct aces_cfg_endpoint *eps;
	struct aces_cfg_backend *bes;

	if (check_iface("client", &oc->client, &nc->client, err, len) != 0 ||
	    check_iface("backend", &oc->backend, &nc->backend, err, len) != 0)
		return -EINVAL;
	if (oc->flows.capacity != nc->flows.capacity) {
		snprintf(err, len, "flows.capacity: cannot change in a running process (restart "
			 "ACES to change it: its connections are kept)");
		return -EINVAL;
	}
	if (oc->ip.reassembly_max != nc->ip.reassembly_max ||
	    oc->ip.reassembly_timeout_ms != nc->ip.reassembly_timeout_ms) {
		snprintf(err, len, "ip.%s: cannot change in a running process (restart ACES to "
			 "change it: its connections are kept)",
			 oc->ip.reassembly_max != nc->ip.reassembly_max ? "reassembly_max" :
			 "reassembly_timeout_ms");
		return -EINVAL;
	}
	if (oc->routing.enabled != nc->routing.enabled || oc->routing.table != nc->routing.table ||
	    oc->routing.drain_quiet_ms != nc->routing.drain_quiet_ms ||
	    oc->routing.drain_timeout_ms != nc->routing.drain_timeout_ms ||
	    oc->routing.n_return != nc->routing.n_return ||
	    memcmp(oc->routing.return_addr, nc->routing.return_addr,
		   sizeof(oc->routing.return_addr)) != 0 ||
	    memcmp(oc->routing.return_plen, nc->routing.return_plen,
		   sizeof(oc->routing.return_plen)) != 0) {
		snprintf(err, len, "routing: cannot change in a running process (restart ACES to "
			 "change it, one instance at a time: see \"On a routed network\")");
		return -EINVAL;
	}
	/* a release: complete, and the file's original names a backend of the replacement */
	for (i = 0; complete && i < nc->n_backends && !p->release; i++) {
		int o = aces_config_backend_index(oc, nc->backends[i].name);

		p->release = o >= 0 && (uint32_t)o < aces.n_be_live &&
			     nc->backends[i].side == ACES_SIDE_ORIGINAL &&
			     oc->backends[o].side == ACES_SIDE_REPLACEMENT;
	}
	for (i = 0; i < nc->n_endpoints; i++) {
		const struct aces_cfg_endpoint *n = &nc->endpoints[i];
		int o = aces_config_endpoint_index(oc, n->name);

		if (o >= 0 && (oc->endpoints[o].vip != n->vip || oc->endpoints[o].port != n->port ||
			       oc->endpoints[o].proto != n->proto ||
			       oc->endpoints[o].backend_port != n->backend_port)) {
			snprintf(err, len, "%s: endpoints[%u] (\"%s\"): its vip, port, protocol or "
				 "backend_port changed: a running endpoint keeps them; give the new "
				 "one another name (the old one then drains)", nc->source, i, n->name);
			return -EINVAL;
		}
	}
	for (i = 0; i < nc->n_backends; i++) {
		const struct aces_cfg_backend *n = &nc->backends[i];
		int o = aces_config_backend_index(oc, n->name);
		enum aces_side want;
		uint32_t k;

		if (o >= 0 && oc->backends[o].retired && be_flows((uint32_t)o) == 0)
			o = -1;	/* removed, drained: back in the file as a new one */
		if (o < 0) {
			/* a new name on the address of a removed backend whose flows drain */
			for (k = aces.n_be_live; k < oc->n_backends; k++)
				if (oc->backends[k].addr == n->addr && be_flows(k) > 0) {
					snprintf(err, len, "%s: backend \"%s\": address %s is still "
						 "used by the removed backend \"%s\", whose flows drain",
						 nc->source, n->name,
						 aces_ip_str(n->addr, (char[16]){ 0 }, 16),
						 oc->backends[k].name);
					return -EINVAL;
				}
			for (k = 0; k < aces.n_be_live; k++)
				if (oc->backends[k].addr == n->addr &&
				    aces_config_backend_index(nc, oc->backends[k].name) < 0 &&
				    be_flows(k) > 0) {
					snprintf(err, len, "%s: backend \"%s\": address %s is the one of "
						 "\"%s\", which this file removes while it has flows: "
						 "keep its name", nc->source, n->name,
						 aces_ip_str(n->addr, (char[16]){ 0 }, 16),
						 oc->backends[k].name);
					return -EINVAL;
				}
			continue;
		}
		if (oc->backends[o].addr != n->addr && oc->backends[o].retired) {
			snprintf(err, len, "%s: backend \"%s\": a removed backend of that name still "
				 "drains its flows at another address: give the new one another name",
				 nc->source, n->name);
			return -EINVAL;
		}
		if (oc->backends[o].addr != n->addr) {
			snprintf(err, len, "%s: backend \"%s\": its address changed: a running backend "
				 "keeps it; give the new one another name (the old one then drains)",
				 nc->source, n->name);
			return -EINVAL;
		}
		want = p->release ? (enum aces_side)(1 - oc->backends[o].side) : oc->backends[o].side;
		if (n->side != want) {
			if (p->release)
				snprintf(err, len, "%s: backend \"%s\": a release makes the replacement's "
					 "backends the original and the original's the replacement: it "
					 "was %s and would stay %s", nc->source, n->name,
					 aces_side_name(oc->backends[o].side), aces_side_name(n->side));
			else
				snprintf(err, len, "%s: backend \"%s\" moves from %s to %s: backends "
					 "change sides only in a release, once a transition is complete "
					 "(transition %u is %s)", nc->source, n->name,
					 aces_side_name(oc->backends[o].side), aces_side_name(n->side),
					 aces_mgr_transition(aces_cp.mgr),
					 aces_transition_state_name(aces_mgr_state(aces_cp.mgr)));
			return -EINVAL;
		}
	}

	/* the file's entities, then the old ones it lacks that still have flows */
	n_ep = nc->n_endpoints;
	n_be = nc->n_backends;
	for (i = 0; i < oc->n_endpoints; i++)
		if (aces_config_endpoint_index(nc, oc->endpoints[i].name) < 0 && ep_flows(i) > 0)
			n_ep++;
	for (i = 0; i < oc->n_backends; i++)
		if (aces_config_backend_index(nc, oc->backends[i].name) < 0 && be_flows(i) > 0)
			n_be++;
	if (n_ep > ACES_MAX_ENDPOINTS) {
		snprintf(err, len, "%s: endpoints: %u in the file and %u removed ones whose flows "
			 "drain: at most %d at once", nc->source, nc->n_endpoints,
			 n_ep - nc->n_endpoints, ACES_MAX_ENDPOINTS);
		return -E2BIG;
	}
	if (n_be > 2 * ACES_MAX_BACKENDS) {
		snprintf(err, len, "%s: backends: %u in the file and %u removed ones whose flows "
			 "drain: at most %d at once", nc->source, nc->n_backends,
			 n_be - nc->n_backends, 2 * ACES_MAX_BACKENDS);
		return -E2BIG;
	}
	eps = realloc(nc->endpoints, (n_ep ? n_ep : 1) * sizeof(*eps));
	if (eps == NULL)
		return -ENOMEM;
	nc->endpoints = eps;
	bes = realloc(nc->backends, (n_be ? n_be : 1) * sizeof(*bes));
	if (bes == NULL)
		return -ENOMEM;
	nc->backends = bes;
	p->n_ep_live = nc->n_endpoints;
	p->n_be_live = nc->n_backends;
	p->ep_new = malloc((oc->n_endpoints + 1) * sizeof(*p->ep_new));
	p->be_new = malloc((oc->n_backends + 1) * sizeof(*p->be_new));
	p->ep_src = malloc((n_ep + 1) * sizeof(*p->ep_src));
	p->be_src = malloc((n_be + 1) * sizeof(*p->be_src));
	if (p->ep_new == NULL || p->be_new == NULL || p->ep_src == NULL || p->be_src == NULL)
		return -ENOMEM;
	for (i = 0; i < n_ep; i++)
		p->ep_src[i] = -1;
	for (i = 0; i < n_be; i++)
		p->be_src[i] = -1;
	for (i = 0; i < oc->n_endpoints; i++) {
		const struct aces_cfg_endpoint *o = &oc->endpoints[i];
		int n = aces_config_endpoint_index(nc, o->name);

		if (n < 0 && ep_flows(i) > 0) {
			struct aces_cfg_endpoint *r = &nc->endpoints[nc->n_endpoints];

			*r = *o;
			r->hook_replicate = NULL;
			r->hook_release = NULL;
			r->udp_probe = NULL;
			r->n_deps = 0;
			if (!o->retired) {
				r->retired = 1;
				r->drain_acted = 0;
				r->retire_deadline_ms = now + o->drain_timeout_ms;
				p->ep_removed++;
			}
			n = (int)nc->n_endpoints++;
		} else if (n < 0) {
			if (!o->retired)
				p->ep_removed++;
			p->ep_dropped++;
		} else if (o->retired) {
			p->ep_added++;	/* back in the file */
		} else if (endpoint_changed(o, &nc->endpoints[n])) {
			p->ep_changed++;
		}
		p->ep_new[i] = n;
		if (n >= 0)
			p->ep_src[n] = (int32_t)i;
	}
	for (i = 0; i < p->n_ep_live; i++)
		if (p->ep_src[i] < 0)
			p->ep_added++;
	for (i = 0; i < oc->n_backends; i++) {
		const struct aces_cfg_backend *o = &oc->backends[i];
		int n = aces_config_backend_index(nc, o->name);

		if (n < 0 && be_flows(i) > 0) {
			struct aces_cfg_backend *r = &nc->backends[nc->n_backends];

			*r = *o;
			if (p->release)
				r->side = (enum aces_side)(1 - o->side);
			if (!o->retired) {
				r->retired = 1;
				r->drain_acted = 0;
				r->retire_deadline_ms = now + nc->manager.drain_timeout_ms;
				p->be_removed++;
			}
			n = (int)nc->n_backends++;
		} else if (n < 0) {
			if (!o->retired)
				p->be_removed++;
			p->be_dropped++;
		} else if (o->retired) {
			p->be_added++;
		} else if (o->weight != nc->backends[n].weight) {
			p->be_reweighted++;
		}
		p->be_new[i] = n;
		if (n >= 0)
			p->be_src[n] = (int32_t)i;
	}
	for (i = 0; i < p->n_be_live; i++)
		if (p->be_src[i] < 0)
			p->be_added++;
	p->same_backends = !p->release && nc->n_backends == oc->n_backends &&
			   p->n_be_live == aces.n_be_live;
	for (i = 0; p->same_backends && i < nc->n_backends; i++)
		p->same_backends = p->be_src[i] == (int32_t)i &&
				   nc->backends[i].weight == oc->backends[i].weight &&
				   nc->backends[i].side == oc->backends[i].side &&
				   nc->backends[i].retired == oc->backends[i].retired;
	p->rt = nc;
	return 0;
}

/* ---- the swap ---- */

/* Everything moves to the new configuration (workers paused, telemetry locked out): each
 * module, in the module table's order, takes what it carries over, the configuration is
 * installed, and each remaps itself. A failure here leaves the process inconsistent: it is
 * fatal, and said so. */
static void
swap(struct plan *p, uint64_t now)
{
	struct aces_config *old = aces.cfg;
	struct aces_remap r = {
		.ep_new = p->ep_new, .be_new = p->be_new, .ep_src = p->ep_src, .be_src = p->be_src,
		.n_old_ep = old->n_endpoints, .n_old_be = old->n_backends, .release = p->release,
		.same_backends = p->same_backends, .now = now,
	};
	const char *step = "save";
	unsigned int i;

	ACES_ON_CONTROL_LCORE();

	for (i = 0; i < n_modules; i++)
		if (modules[i].save != NULL && modules[i].save(&r) != 0)
			goto fatal;
	aces_config_install(p->rt, p->n_ep_live, p->n_be_live);
	p->rt = NULL;
	step = "reload";
	for (i = 0; i < n_modules; i++)
		if (modules[i].reload != NULL && modules[i].reload(&r) != 0)
			goto fatal;
	if (r.lost != 0)
		RL_LOG(ERR, "reload: %llu open flows whose endpoint or backend vanished were dropped",
		       (unsigned long long)r.lost);
	aces_config_free(old);
	return;
fatal:
	RL_LOG(CRIT, "reload: the %s of module %s failed in the middle of the swap (out of "
	       "memory, or its log says why): the process cannot go on consistently; stopping "
	       "(a restart keeps the connections)", step, modules[i].name);
	abort();
}

/* Every control tick: the drain deadlines of what reloads removed. */
void
aces_reload_tick(uint64_t now)
{
	struct aces_config *c = aces.cfg;
	uint32_t i, e, s;
	unsigned int w;

	for (i = aces.n_ep_live; i < c->n_endpoints; i++) {
		struct aces_cfg_endpoint *x = &c->endpoints[i];

		if (x->drain_acted || now < x->retire_deadline_ms)
			continue;
		x->drain_acted = 1;
		if (x->drain_action != ACES_DRAIN_RESET)
			continue;
		for (s = 0; s < 2; s++) {
			struct aces_wmsg msg = { .type = ACES_WMSG_RESET, .ep = i, .side = s };

			for (w = 0; w < aces.n_workers; w++)
				if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &msg,
							     sizeof(msg)) != 0)
					aces_cp.ctl[ACES_CTL_CTL_TX_FULL]++;
		}
		aces_mgr_note(aces_cp.mgr, now, -1, "removed", "removed", "a removed endpoint's drain "
			      "deadline passed: its flows are reset");
		RL_LOG(INFO, "removed endpoint %s: drain deadline passed, resetting its flows",
		       x->name);
	}
	for (i = aces.n_be_live; i < c->n_backends; i++) {
		struct aces_cfg_backend *x = &c->backends[i];

		if (x->drain_acted || now < x->retire_deadline_ms)
			continue;
		x->drain_acted = 1;
		/* per endpoint: its flows to this backend go as its drain_action says */
		for (e = 0; e < c->n_endpoints; e++) {
			struct aces_wmsg msg = { .type = ACES_WMSG_RESET_BACKEND, .ep = i,
						 .pad = e + 1 };

			if (c->endpoints[e].drain_action != ACES_DRAIN_RESET)
				continue;
			for (w = 0; w < aces.n_workers; w++)
				if (rte_ring_mp_enqueue_elem(aces.workers[w].msg_ring, &msg,
							     sizeof(msg)) != 0)
					aces_cp.ctl[ACES_CTL_CTL_TX_FULL]++;
		}
		RL_LOG(INFO, "removed backend %s: drain deadline passed: flows of endpoints whose "
		       "drain_action is reset are reset, the others kept until they end", x->name);
	}
}

int
aces_reload(const char *why, char *msg, size_t len)
{
	char err[512];
	struct aces_config *nc;
	struct plan p;
	uint64_t now = aces_now_ms(), t0, pause_us;
	int rc;

	memset(&p, 0, sizeof(p));
	aces_reloads.attempts++;
	nc = aces_config_load(aces_cp.config_path, err, sizeof(err));
	if (nc == NULL) {
		rc = -EINVAL;
		goto refused;
	}
	/* the manager's pending actions name old indexes: carry them out first */
	aces_epm_apply(now);
	pthread_rwlock_wrlock(&aces_cfg_lock);
	t0 = rte_rdtsc();
	rc = aces_workers_pause();
	if (rc != 0) {
		pthread_rwlock_unlock(&aces_cfg_lock);
		aces_config_free(nc);
		snprintf(err, sizeof(err), "the workers did not pause within 1 s: nothing changed");
		goto refused;
	}
	/* planned with the workers paused: which removed entity still has flows is exact */
	rc = make_plan(nc, &p, now, err, sizeof(err));
	if (rc != 0) {
		aces_workers_resume();
		pthread_rwlock_unlock(&aces_cfg_lock);
		if (p.rt == NULL)
			aces_config_free(nc);
		plan_free(&p);
		goto refused;
	}
	aces_tmsg_drain();	/* records of the old indexes */
	swap(&p, now);
	__atomic_add_fetch(&aces_cp.cfg_gen, 1, __ATOMIC_RELEASE);
	aces_workers_resume();
	pause_us = (rte_rdtsc() - t0) * 1000000 / aces.tsc_hz;
	pthread_rwlock_unlock(&aces_cfg_lock);

	aces_reloads.done++;
	aces_reloads.last_pause_us = pause_us;
	aces_reloads.last_ms = now;
	snprintf(aces_reloads.last, sizeof(aces_reloads.last),
		 "%s%u endpoints (+%u -%u, %u changed), %u backends (+%u -%u, %u re-weighted), "
		 "%u removed ones draining; workers paused %llu us",
		 p.release ? "release: sides swapped; " : "", p.n_ep_live, p.ep_added,
		 p.ep_removed, p.ep_changed, p.n_be_live, p.be_added, p.be_removed,
		 p.be_reweighted, (aces.cfg->n_endpoints - p.n_ep_live) +
		 (aces.cfg->n_backends - p.n_be_live), (unsigned long long)pause_us);
	{
		char reason[ACES_EVENT_REASON_MAX];

		snprintf(reason, sizeof(reason), "reload %llu (%s): %s",
			 (unsigned long long)aces_reloads.done, why, aces_reloads.last);
		aces_mgr_note(aces_cp.mgr, now, -1, "config", "config", reason);
	}
	RL_LOG(INFO, "configuration %s reloaded (%s): %s", aces_cp.config_path, why,
	       aces_reloads.last);
	snprintf(msg, len, "%s", aces_reloads.last);
	plan_free(&p);
	aces_snap_publish(aces_now_ms());
	return 0;
refused:
	aces_reloads.refused++;
	snprintf(aces_reloads.last_error, sizeof(aces_reloads.last_error), "%s", err);
	RL_LOG(WARNING, "reload (%s) refused, nothing changed: %s", why, err);
	{
		char reason[ACES_EVENT_REASON_MAX];

		snprintf(reason, sizeof(reason), "reload refused, nothing changed: %s", err);
		aces_mgr_note(aces_cp.mgr, now, -1, "config", "config", reason);
	}
	snprintf(msg, len, "%s", err);
	return rc != 0 ? rc : -EINVAL;
}
