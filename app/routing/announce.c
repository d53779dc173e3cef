/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VIPs' routes (issue #21). ACES decides what is announced and when; a routing daemon
 * on the host (BIRD, FRR) tells the router. For each VIP this instance can serve, ACES
 * keeps the route VIP/32 dev <client kernel interface> proto 249 in `routing.table`, a
 * table nothing forwards by; the daemon imports that table and announces what is in it.
 *
 * A VIP is announced while: the control loop runs (the last process's state is taken over
 * by then), both ports' links are up, no drain or stop is under way, and one of its
 * endpoints has a backend that is not down and whose next hop is resolved on a side its
 * assignment sends new flows to. A drain (acesctl drain) and a clean stop withdraw every
 * route; the stop then forwards on until no new flow came for `drain_quiet_ms` (the router
 * has moved the traffic away) or `drain_timeout_ms` passed. The routes point at the kernel
 * interface, so a process that dies takes them with it: its interface goes, and the kernel
 * removes the routes through it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "aces/manager.h"
#include "common/aces.h"
#include "net/net.h"
#include "health/health.h"
#include "routing/routing.h"

RTE_LOG_REGISTER(aces_logtype_routing, user.aces.routing, INFO);
#define RT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_routing, "aces: routing: " fmt "\n", ## __VA_ARGS__)

#define ACES_ROUTE_WHY_NAME(n, s, d) s,
const char *const aces_route_why_names[ACES_ROUTE_WHY_MAX] = {
	ACES_ROUTE_WHY_LIST(ACES_ROUTE_WHY_NAME)
};
#undef ACES_ROUTE_WHY_NAME

static struct aces_routing_view rv;
static uint32_t *vips;		/* rv.vip */
static uint8_t *why;		/* rv.why */
static uint8_t *in_table;	/* the route is in the table */
static int ticked;		/* the control loop has run a tick */
static int ret_ifindex;		/* the return prefixes' interface: the backend port's kernel one */
static uint8_t ret_in[ACES_MAX_RETURN_PREFIXES];	/* that return prefix is in the table */
static uint64_t ret_gone_ms;	/* a stop withdrew the return prefixes then (0: not yet) */
static uint64_t flows_seen;	/* flows created, all workers, at the last look */

/* Add or remove @addr/@plen dev @ifindex in routing.table, counted; 0 or -errno (logged). */
static int
change(uint32_t addr, uint8_t plen, int ifindex, int add)
{
	char a[16];
	int rc = aces_nl_route(rv.table, addr, plen, ifindex, add);

	/* a route already gone (its interface went) is withdrawn all the same */
	if (rc == -ESRCH && !add)
		rc = 0;
	if (rc != 0) {
		__atomic_fetch_add(&rv.failed, 1, __ATOMIC_RELAXED);
		RT_LOG(ERR, "%s %s/%u in table %u (ifindex %d): %s", add ? "adding" : "removing",
		       aces_ip_str(addr, a, sizeof(a)), plen, rv.table, ifindex, strerror(-rc));
		return rc;
	}
	__atomic_fetch_add(add ? &rv.announced : &rv.withdrawn, 1, __ATOMIC_RELAXED);
	return 0;
}

static int
route(uint32_t i, int add)
{
	int rc = change(vips[i], 32, rv.ifindex, add);

	if (rc == 0)
		in_table[i] = (uint8_t)add;
	return rc;
}

static int
ret_route(uint32_t i, int add)
{
	const struct aces_cfg_routing *c = &aces.cfg->routing;
	char a[16];
	int rc = change(c->return_addr[i], c->return_plen[i], ret_ifindex, add);

	if (rc != 0)
		return rc;
	__atomic_store_n(&ret_in[i], (uint8_t)add, __ATOMIC_RELAXED);
	RT_LOG(INFO, "return prefix %s/%u: %s", aces_ip_str(c->return_addr[i], a, sizeof(a)),
	       c->return_plen[i], add ? "announced" : "withdrawn");
	return 0;
}

/* The distinct VIPs of the configuration's live endpoints. */
static int
build(void)
{
	const struct aces_config *c = aces.cfg;
	uint32_t e, j, n = 0;

	vips = calloc(c->n_endpoints + 1, sizeof(*vips));
	why = calloc(c->n_endpoints + 1, 1);
	in_table = calloc(c->n_endpoints + 1, 1);
	if (vips == NULL || why == NULL || in_table == NULL)
		return -ENOMEM;
	for (e = 0; e < c->n_endpoints; e++) {
		if (c->endpoints[e].retired)
			continue;
		for (j = 0; j < n && vips[j] != c->endpoints[e].vip; j++)
			;
		if (j == n)
			vips[n++] = c->endpoints[e].vip;
	}
	for (j = 0; j < n; j++)
		why[j] = ACES_ROUTE_STARTING;
	rv.vip = vips;
	rv.why = why;
	__atomic_store_n(&rv.n_vips, n, __ATOMIC_RELEASE);
	return 0;
}

static void
free3(uint32_t *v, uint8_t *w, uint8_t *t)
{
	free(v);
	free(w);
	free(t);
}

static void
release(void)
{
	__atomic_store_n(&rv.n_vips, 0, __ATOMIC_RELEASE);
	free3(vips, why, in_table);
	vips = NULL;
	why = NULL;
	in_table = NULL;
}

int
aces_routing_init(void)
{
	const struct aces_config *c = aces.cfg;

	memset(&rv, 0, sizeof(rv));
	memset(ret_in, 0, sizeof(ret_in));
	ticked = 0;
	ret_gone_ms = 0;
	if (!c->routing.enabled)
		return 0;
	rv.enabled = 1;
	rv.table = c->routing.table;
	rv.ifindex = aces_kernel_ifindex(aces.client_pi);
	rv.ifname = aces_kernel_ifname(aces.client_pi);
	ret_ifindex = aces_kernel_ifindex(aces.backend_pi);
	rv.n_return = c->routing.n_return;
	rv.ret_addr = c->routing.return_addr;
	rv.ret_plen = c->routing.return_plen;
	rv.ret_in = ret_in;
	rv.ret_ifname = aces_kernel_ifname(aces.backend_pi);
	if (rv.ifindex == 0 || (rv.n_return > 0 && ret_ifindex == 0))
		return -ENODEV;	/* the config requires the kernel path; it is made first */
	RT_LOG(INFO, "VIP routes in table %u, dev %s, proto %d, once this instance serves them",
	       rv.table, rv.ifname, ACES_RTPROT);
	return build();
}

void
aces_routing_fini(void)
{
	uint32_t i;

	for (i = 0; i < rv.n_vips; i++)
		if (in_table[i])
			(void)route(i, 0);
	for (i = 0; i < rv.n_return; i++)
		if (ret_in[i])
			(void)ret_route(i, 0);
	release();
	rv.enabled = 0;
}

int
aces_routing_reload(struct aces_remap *r)
{
	uint32_t *ov = vips, on = rv.n_vips, i, j;
	uint8_t *ow = why, *ot = in_table;
	int rc;

	RTE_SET_USED(r);
	if (!rv.enabled)
		return 0;
	vips = NULL;
	why = NULL;
	in_table = NULL;
	rc = build();
	if (rc != 0) {
		free3(vips, why, in_table);
		vips = ov;
		why = ow;
		in_table = ot;
		rv.vip = vips;
		rv.why = why;
		rv.n_vips = on;
		return rc;
	}
	for (i = 0; i < on; i++) {
		for (j = 0; j < rv.n_vips && vips[j] != ov[i]; j++)
			;
		if (j < rv.n_vips) {	/* kept: as it was until the next tick */
			in_table[j] = ot[i];
			why[j] = ow[i];
		} else if (ot[i] && change(ov[i], 32, rv.ifindex, 0) == 0) {
			char a[16];	/* gone from the configuration: withdrawn now */

			RT_LOG(INFO, "%s withdrawn: no endpoint of the configuration has it",
			       aces_ip_str(ov[i], a, sizeof(a)));
		}
	}
	free3(ov, ow, ot);
	return 0;
}

/* Backend @b can take a new flow: not down, its next hop resolved. */
static int
backend_ready(uint32_t b, const uint8_t *down)
{
	const struct aces_neigh *n = &aces_nh.neigh[aces_nh.backend_nh[b]];

	return !aces.cfg->backends[b].retired && (down == NULL || !down[b]) &&
	       (__atomic_load_n(&n->mac, __ATOMIC_RELAXED) & ACES_NEIGH_VALID) != 0;
}

/* Can VIP @v be served now: a live endpoint of it has a ready backend on a side that its
 * assignment sends new flows to. */
static int
vip_servable(uint32_t v, const uint8_t *down)
{
	const struct aces_config *c = aces.cfg;
	uint32_t e, b;

	for (e = 0; e < aces.n_ep_live; e++) {
		uint8_t w;

		if (c->endpoints[e].vip != v || c->endpoints[e].retired)
			continue;
		w = aces_mgr_weight(aces_cp.mgr, e);
		for (b = 0; b < aces.n_be_live; b++) {
			enum aces_side s = c->backends[b].side;

			if (((s == ACES_SIDE_ORIGINAL && w < 100) ||
			     (s == ACES_SIDE_REPLACEMENT && w > 0)) && backend_ready(b, down))
				return 1;
		}
	}
	return 0;
}

static int
links_up(void)
{
	struct rte_eth_link l;
	uint16_t pi;

	for (pi = 0; pi < aces.n_ports; pi++)
		if (rte_eth_link_get_nowait(aces.port_ids[pi], &l) != 0 ||
		    l.link_status != RTE_ETH_LINK_UP)
			return 0;
	return 1;
}

void
aces_routing_tick(uint64_t now_ms)
{
	const uint8_t *down;
	uint64_t gen;
	uint32_t i;
	int up;

	ACES_ON_CONTROL_LCORE();
	RTE_SET_USED(now_ms);
	if (!rv.enabled)
		return;
	ticked = 1;
	down = aces_health_down(&gen);
	up = links_up();
	for (i = 0; i < rv.n_vips; i++) {
		uint8_t w;
		char a[16];

		if (rv.stopping)
			w = ACES_ROUTE_STOPPING;
		else if (rv.drained)
			w = ACES_ROUTE_DRAINED;
		else if (!up)
			w = ACES_ROUTE_PORT_DOWN;
		else if (!vip_servable(vips[i], down))
			w = ACES_ROUTE_NO_BACKEND;
		else
			w = ACES_ROUTE_ANNOUNCED;
		if ((w == ACES_ROUTE_ANNOUNCED) != (in_table[i] != 0) &&
		    route(i, w == ACES_ROUTE_ANNOUNCED) != 0)
			w = ACES_ROUTE_ROUTE_FAILED;
		if (w != why[i])
			RT_LOG(INFO, "%s: %s (%s)", aces_ip_str(vips[i], a, sizeof(a)),
			       in_table[i] ? "announced" : "not announced", aces_route_why_names[w]);
		__atomic_store_n(&why[i], w, __ATOMIC_RELAXED);
	}
	/* the clients' networks, for the backends' replies: while it runs with its links up,
	 * also drained (it still translates replies), until the end of a stop */
	for (i = 0; i < rv.n_return; i++) {
		int want = up && ret_gone_ms == 0;

		if (want != (ret_in[i] != 0))
			(void)ret_route(i, want);
	}
}

int
aces_routing_drain(int drain, char *msg, size_t len)
{
	if (!rv.enabled) {
		snprintf(msg, len, "no routing section in the configuration: nothing is announced "
			 "by this instance, so there is nothing to drain");
		return -ENOTSUP;
	}
	if (rv.stopping) {
		snprintf(msg, len, "the appliance is stopping");
		return -EBUSY;
	}
	if (drain && !rv.drained)
		__atomic_fetch_add(&rv.drains, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&rv.drained, drain, __ATOMIC_RELAXED);
	RT_LOG(INFO, "%s", drain ? "drained: every VIP withdrawn, established flows forwarded "
	       "on" : "undrained: the VIPs it can serve are announced again");
	aces_routing_tick(aces_now_ms());	/* at once, not at the next tick */
	return 0;
}

static uint64_t
flows_created(void)
{
	uint64_t s = 0;
	unsigned int w;

	for (w = 0; w < aces.n_workers; w++)
		s += __atomic_load_n(&aces.workers[w].st.flows_created, __ATOMIC_RELAXED);
	return s;
}

int
aces_routing_stop_begin(uint64_t now_ms)
{
	if (!rv.enabled || !ticked)
		return 0;	/* nothing announced: stop now */
	rv.stop_ms = now_ms;
	rv.last_new_flow_ms = now_ms;
	flows_seen = flows_created();
	__atomic_store_n(&rv.stopping, 1, __ATOMIC_RELAXED);
	RT_LOG(INFO, "stopping: every VIP withdrawn; forwarding until no new flow came for %u ms "
	       "(at most %u ms)", aces.cfg->routing.drain_quiet_ms,
	       aces.cfg->routing.drain_timeout_ms);
	aces_routing_tick(now_ms);
	return 1;
}

int
aces_routing_stop_due(uint64_t now_ms)
{
	const struct aces_cfg_routing *c = &aces.cfg->routing;
	uint64_t f = flows_created();
	uint32_t i;

	if (f != flows_seen) {
		flows_seen = f;
		rv.last_new_flow_ms = now_ms;
	}
	if (ret_gone_ms != 0)	/* the return prefixes' withdrawal has had drain_quiet_ms */
		return now_ms - ret_gone_ms >= c->drain_quiet_ms;
	if (now_ms - rv.stop_ms >= c->drain_timeout_ms)
		RT_LOG(WARNING, "stopping after %u ms (drain_timeout_ms): new flows still came "
		       "%" PRIu64 " ms ago", c->drain_timeout_ms, now_ms - rv.last_new_flow_ms);
	else if (now_ms - rv.last_new_flow_ms >= c->drain_quiet_ms)
		RT_LOG(INFO, "stopping: no new flow for %u ms, %" PRIu64 " ms after the withdrawal",
		       c->drain_quiet_ms, now_ms - rv.stop_ms);
	else
		return 0;
	if (rv.n_return == 0)
		return 1;
	/* then the clients' networks: the backends' replies go to the other instances, which
	 * translate them as well; it forwards on for drain_quiet_ms more while the routers
	 * take that in */
	ret_gone_ms = now_ms;
	for (i = 0; i < rv.n_return; i++)
		if (ret_in[i])
			(void)ret_route(i, 0);
	RT_LOG(INFO, "stopping: return prefixes withdrawn; stopping in %u ms", c->drain_quiet_ms);
	return 0;
}

const struct aces_routing_view *
aces_routing_view(void)
{
	return &rv;
}
