/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands under /aces/. Handlers run on the telemetry library's own
 * threads, concurrently: they only read counters and snapshots, and hand every
 * change to the control lcore (aces_cmd_submit). Bad parameters get a reply
 * {"error": "..."} that names the problem; nothing changes then.
 *
 * Dict keys may hold only [A-Za-z0-9_/], so entries are keyed by their name
 * with '-' and '.' turned into '_' (the config refuses names that would clash)
 * and carry the real name in "name".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "aces/health.h"
#include "aces/manager.h"
#include "aces/param.h"
#include "common/aces.h"
#include "net/net.h"
#include "datapath/datapath.h"
#include "manager/manager.h"
#include "routing/routing.h"
#include "lifecycle/lifecycle.h"
#include "control/control.h"
#include "telemetry/telemetry.h"

#define EP_PAGE 40	/* endpoints per reply: stays under the 16 KiB output limit */

static int tel_active;		/* handlers running */
static int tel_closing;		/* set at shutdown: handlers refuse */

/* {"error": "..."}: a telemetry string holds 127 characters, so a longer message (a
 * configuration error names the file and the JSON path) goes on in "error_2" .. "error_5",
 * which acesctl joins. */
static int
tel_error(struct rte_tel_data *d, const char *fmt, ...)
{
	char msg[5 * (RTE_TEL_MAX_STRING_LEN - 1) + 1], part[RTE_TEL_MAX_STRING_LEN];
	size_t len, off, k = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_tel_data_start_dict(d);
	len = strlen(msg);
	for (off = 0; off == 0 || off < len; off += sizeof(part) - 1, k++) {
		char key[16];

		snprintf(part, sizeof(part), "%s", msg + off);
		if (k == 0)
			snprintf(key, sizeof(key), "error");
		else
			snprintf(key, sizeof(key), "error_%zu", k + 1);
		rte_tel_data_add_dict_string(d, key, part);
	}
	return 0;
}

/* A parameter echoed in an error: printable ASCII only, quotes and backslashes
 * replaced, at most 40 characters (aces_param_safe). DPDK 22.11's JSON writer does not
 * escape bytes >= 0x80 validly, so raw input must never reach a reply. */
#define SAFE(s) aces_param_safe((s), (char[48]){ 0 }, 48)

/* Index of the endpoint called @name; -1, with the error in @d, when there is none. */
static int
endpoint_named(struct rte_tel_data *d, const char *name)
{
	int e = aces_config_endpoint_index(aces.cfg, name);

	if (e < 0)
		tel_error(d, "no endpoint named \"%s\"", SAFE(name));
	return e;
}

/* An endpoint the manager has (not one a reload removed): for the commands. */
static int
live_endpoint_named(struct rte_tel_data *d, const char *name)
{
	int e = endpoint_named(d, name);

	if (e >= 0 && (uint32_t)e >= aces.n_ep_live) {
		tel_error(d, "endpoint \"%s\" was removed by a reload: its flows drain",
			  SAFE(name));
		return -1;
	}
	return e;
}

/* After a command: the index it was asked with, if no reload came between (else -1). */
static int
same_endpoint(struct rte_tel_data *d, int e, uint64_t gen, const char *name)
{
	if (gen == __atomic_load_n(&aces_cp.cfg_gen, __ATOMIC_ACQUIRE))
		return e;
	e = aces_config_endpoint_index(aces.cfg, name);
	if (e < 0)
		tel_error(d, "done, and a reload removed endpoint \"%s\" since", SAFE(name));
	return e;
}

static void
tel_key(const char *name, char *key, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		key[i] = (name[i] == '-' || name[i] == '.') ? '_' : name[i];
	key[i] = '\0';
}

static void
add_ip(struct rte_tel_data *d, const char *key, uint32_t addr)
{
	char buf[16];

	rte_tel_data_add_dict_string(d, key, aces_ip_str(addr, buf, sizeof(buf)));
}

static void
add_mac(struct rte_tel_data *d, const char *key, const struct rte_ether_addr *mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), mac);
	rte_tel_data_add_dict_string(d, key, buf);
}

static const char *
assignment_name(uint8_t w)
{
	return w == 0 ? "original" : w >= 100 ? "replacement" : "split";
}

static int
cmd_info(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct aces_config *c = aces.cfg;
	struct rte_tel_data *ports, *lc;
	unsigned int i;
	uint8_t r;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", ACES_VERSION);
	rte_tel_data_add_dict_u64(d, "pid", (uint64_t)getpid());
	rte_tel_data_add_dict_u64(d, "uptime_s", (rte_rdtsc() - aces_cp.start_tsc) / aces.tsc_hz);
	rte_tel_data_add_dict_string(d, "config", aces_cp.config_path);
	rte_tel_data_add_dict_u64(d, "endpoints", c->n_endpoints);
	rte_tel_data_add_dict_u64(d, "backends", c->n_backends);
	rte_tel_data_add_dict_u64(d, "flow_capacity_per_worker", c->flows.capacity);
	rte_tel_data_add_dict_string(d, "workers_idle", aces_idle_mode_name(c->workers.idle));
	rte_tel_data_add_dict_u64(d, "workers_idle_sleep_max_us", c->workers.idle_sleep_max_us);
	rte_tel_data_add_dict_u64(d, "flow_table_bytes_per_worker", aces_workers_flow_table_bytes());
	rte_tel_data_add_dict_u64(d, "flow_table_bytes_per_flow",
				  aces_workers_flow_table_bytes() / (c->flows.capacity ? c->flows.capacity : 1));
	lc = rte_tel_data_alloc();
	if (lc != NULL) {
		rte_tel_data_start_dict(lc);
		rte_tel_data_add_dict_u64(lc, "control", rte_get_main_lcore());
		for (i = 0; i < aces.n_workers; i++) {
			char k[32];

			snprintf(k, sizeof(k), "worker%u", i);
			rte_tel_data_add_dict_u64(lc, k, aces.workers[i].lcore_id);
		}
		rte_tel_data_add_dict_container(d, "lcores", lc, 0);
	}
	for (r = 0; r < 2; r++) {
		const struct aces_cfg_iface *ifc = r == 0 ? &c->client : &c->backend;
		uint8_t pi = r == 0 ? aces.client_pi : aces.backend_pi;
		char name[RTE_ETH_NAME_MAX_LEN] = "";

		ports = rte_tel_data_alloc();
		if (ports == NULL)
			continue;
		rte_tel_data_start_dict(ports);
		rte_tel_data_add_dict_u64(ports, "port", ifc->port);
		rte_eth_dev_get_name_by_port(ifc->port, name);
		rte_tel_data_add_dict_string(ports, "device", name);
		add_mac(ports, "mac", &aces.port_mac[pi]);
		add_ip(ports, "address", ifc->addr);
		rte_tel_data_add_dict_u64(ports, "prefix_len", ifc->prefix_len);
		if (ifc->has_gateway)
			add_ip(ports, "gateway", ifc->gateway);
		if (aces_kernel_on(pi))
			rte_tel_data_add_dict_string(ports, "kernel_interface", aces_kernel_ifname(pi));
		rte_tel_data_add_dict_container(d, r == 0 ? "client" : "backend", ports, 0);
	}
	rte_tel_data_add_dict_u64(d, "one_armed", aces.n_ports == 1);
	return 0;
}

/* The worker counters of /aces/stats, from their one list. */
#define PORT_NAME(n, s, d) [ACES_PORT_##n] = s,
static const char *const port_names[ACES_PORT_CTR_MAX] = { ACES_PORT_CTR_LIST(PORT_NAME) };
#undef PORT_NAME

/* A counter as a family lists it: name, meaning (/aces/counters) and, for the workers'
 * counters, where it is in struct aces_worker_stats (/aces/stats sums them). */
struct counter_help {
	const char *name, *help;
	size_t off;
};

#define WK_COUNTER(f, n, d) { n, d, offsetof(struct aces_worker_stats, f) },
static const struct counter_help wk_counters[] = { ACES_WK_LIST(WK_COUNTER) };
#undef WK_COUNTER

static int
cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct rte_tel_data *drops, *ctl, *p, *per, *ft;
	uint64_t total = 0, v;
	uint8_t pi;
	int i;

	rte_tel_data_start_dict(d);
	for (pi = 0; pi < aces.n_ports; pi++) {
		struct rte_eth_stats es;
		uint64_t v_port[ACES_PORT_CTR_MAX];
		int n_port;
		char key[16];

		p = rte_tel_data_alloc();
		if (p == NULL)
			continue;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_u64(p, "port", aces.port_ids[pi]);
		rte_tel_data_add_dict_string(p, "role", aces.n_ports == 1 ? "client+backend" :
					     pi == aces.client_pi ? "client" : "backend");
		v_port[ACES_PORT_RX_PKTS] = ACES_SUM(rx_pkts[pi]);
		v_port[ACES_PORT_RX_BYTES] = ACES_SUM(rx_bytes[pi]);
		v_port[ACES_PORT_TX_PKTS] = ACES_SUM(tx_pkts[pi]);
		v_port[ACES_PORT_TX_BYTES] = ACES_SUM(tx_bytes[pi]);
		n_port = ACES_PORT_HW_MISSED;
		if (rte_eth_stats_get(aces.port_ids[pi], &es) == 0) {
			uint64_t sock = aces_port_socket_drops(pi);

			/* net_af_packet counts no imissed: the kernel's drops on its packet
			 * sockets are that port's (port_loss.c) */
			v_port[ACES_PORT_HW_MISSED] = es.imissed + sock;
			v_port[ACES_PORT_SOCK_DROPS] = sock;
			v_port[ACES_PORT_HW_ERRORS] = es.ierrors;
			v_port[ACES_PORT_HW_NOMBUF] = es.rx_nombuf;
			v_port[ACES_PORT_HW_TX_ERR] = es.oerrors;
			n_port = ACES_PORT_CTR_MAX;
		}
		for (i = 0; i < n_port; i++)	/* the port's own only when it tells them */
			rte_tel_data_add_dict_u64(p, port_names[i], v_port[i]);
		snprintf(key, sizeof(key), "port%u", aces.port_ids[pi]);
		rte_tel_data_add_dict_container(d, key, p, 0);
	}
	drops = rte_tel_data_alloc();
	if (drops != NULL) {
		rte_tel_data_start_dict(drops);
		for (i = 0; i < ACES_DROP_MAX; i++) {
			v = ACES_SUM(drops[i]);
			total += v;
			rte_tel_data_add_dict_u64(drops, aces_drop_names[i], v);
		}
		rte_tel_data_add_dict_container(d, "drops", drops, 0);
	}
	rte_tel_data_add_dict_u64(d, "drops_total", total);
	for (i = 0; i < (int)RTE_DIM(wk_counters); i++)
		rte_tel_data_add_dict_u64(d, wk_counters[i].name, aces_sum_worker(wk_counters[i].off));
	per = rte_tel_data_alloc();
	if (per != NULL) {	/* how the flows spread over the workers */
		rte_tel_data_start_array(per, RTE_TEL_U64_VAL);
		for (i = 0; i < (int)aces.n_workers; i++)
			rte_tel_data_add_array_u64(per, *(volatile uint64_t *)
						   &aces.workers[i].st.flows_active);
		rte_tel_data_add_dict_container(d, "flows_active_per_worker", per, 0);
	}
	rte_tel_data_add_dict_u64(d, "flow_capacity",
				  (uint64_t)aces.cfg->flows.capacity * aces.n_workers);
	ft = rte_tel_data_alloc();
	if (ft != NULL) {	/* the tables' own counters (lib/flow), summed */
#define FT_STAT(f, n, d) { n, offsetof(struct aces_flow_table_stats, f) },
		static const struct {
			const char *name;
			size_t off;
		} fts[] = { ACES_FLOW_STATS_LIST(FT_STAT) };
#undef FT_STAT
		size_t k;

		rte_tel_data_start_dict(ft);
		for (k = 0; k < RTE_DIM(fts); k++) {
			uint64_t sum = 0;

			for (i = 0; i < (int)aces.n_workers; i++)
				sum += *(const volatile uint64_t *)((const char *)&aces.workers[i].ft->st +
								   fts[k].off);
			rte_tel_data_add_dict_u64(ft, fts[k].name, sum);
		}
		rte_tel_data_add_dict_container(d, "flow_table", ft, 0);
	}
	rte_tel_data_add_dict_u64(d, "tsc_hz", aces.tsc_hz);
	ctl = rte_tel_data_alloc();
	if (ctl != NULL) {
		rte_tel_data_start_dict(ctl);
		for (i = 0; i < ACES_CTL_MAX; i++)
			rte_tel_data_add_dict_u64(ctl, aces_ctl_names[i],
						  *(volatile uint64_t *)&aces_cp.ctl[i]);
		rte_tel_data_add_dict_container(d, "control", ctl, 0);
	}
	return 0;
}

/* One request's copy of the control lcore's snapshot (snapshot.c): handlers show that,
 * never fields the control lcore is writing. */
struct view {
	struct aces_snap head;
	struct aces_snap_ep *ep;
	struct aces_snap_be *be;
};

static void
view_put(struct view *v)
{
	free(v->ep);
	free(v->be);
	v->ep = NULL;
	v->be = NULL;
}

/* 0, or -1 with the reason in @d. */
static int
view_get(struct view *v, struct rte_tel_data *d)
{
	v->ep = calloc(aces.cfg->n_endpoints ? aces.cfg->n_endpoints : 1, sizeof(*v->ep));
	v->be = calloc(aces.cfg->n_backends ? aces.cfg->n_backends : 1, sizeof(*v->be));
	if (v->ep == NULL || v->be == NULL) {
		view_put(v);
		tel_error(d, "out of memory");
		return -1;
	}
	if (aces_snap_read(&v->head, v->ep, v->be) != 0) {
		view_put(v);
		tel_error(d, "control plane snapshot busy, try again");
		return -1;
	}
	return 0;
}

/* Fill dict @x with endpoint @e of view @v; @full adds its metadata. */
static void
endpoint_fill(struct rte_tel_data *x, const struct view *v, uint32_t e, int full)
{
	const struct aces_cfg_endpoint *ep = &aces.cfg->endpoints[e];
	const struct aces_snap_ep *se = &v->ep[e];
	uint8_t w = se->weight;

	rte_tel_data_start_dict(x);
	rte_tel_data_add_dict_string(x, "name", ep->name);
	rte_tel_data_add_dict_string(x, "assignment", se->removed ? "removed" : assignment_name(w));
	rte_tel_data_add_dict_u64(x, "replacement_weight", w);
	rte_tel_data_add_dict_string(x, "phase", aces_phase_name((enum aces_phase)se->phase));
	rte_tel_data_add_dict_string(x, "control", se->pinned ? "manual" : "auto");
	rte_tel_data_add_dict_u64(x, "flows_original", se->c[0].open);
	rte_tel_data_add_dict_u64(x, "flows_replacement", se->c[1].open);
	rte_tel_data_add_dict_u64(x, "pps", (uint64_t)(se->pps[0] + se->pps[1] + 0.5));
	if (!full)
		return;
	rte_tel_data_add_dict_string(x, "migrate", ep->migrate ? "yes" : "no");
	rte_tel_data_add_dict_u64(x, "flows_moved", se->moved);
	rte_tel_data_add_dict_u64(x, "flows_not_moved", se->move_failed);
	add_ip(x, "vip", ep->vip);
	rte_tel_data_add_dict_u64(x, "port", ep->port);
	rte_tel_data_add_dict_string(x, "protocol", aces_proto_name(ep->proto));
	rte_tel_data_add_dict_u64(x, "backend_port", ep->backend_port);
	rte_tel_data_add_dict_string(x, "priority", aces_priority_name(ep->priority));
	rte_tel_data_add_dict_string(x, "statefulness", aces_statefulness_name(ep->statefulness));
	{
		char deps[RTE_TEL_MAX_STRING_LEN] = "";
		uint16_t k;

		for (k = 0; k < ep->n_deps; k++) {
			if (k > 0)
				strncat(deps, ",", sizeof(deps) - strlen(deps) - 1);
			strncat(deps, aces.cfg->endpoints[ep->deps[k]].name,
				sizeof(deps) - strlen(deps) - 1);
		}
		rte_tel_data_add_dict_string(x, "depends_on", deps);
	}
	rte_tel_data_add_dict_string(x, "drain_action", aces_drain_action_name(ep->drain_action));
	rte_tel_data_add_dict_u64(x, "drain_timeout_ms", ep->drain_timeout_ms);
	rte_tel_data_add_dict_u64(x, "pps_original", (uint64_t)(se->pps[0] + 0.5));
	rte_tel_data_add_dict_u64(x, "pps_replacement", (uint64_t)(se->pps[1] + 0.5));
	rte_tel_data_add_dict_u64(x, "new_flows_per_s",
				  (uint64_t)(se->new_fps[0] + se->new_fps[1] + 0.5));
#define ADD_SIDE(f, n, dsc) rte_tel_data_add_dict_u64(x, n, se->c[0].f + se->c[1].f);
	ACES_SIDE_CTR_LIST(ADD_SIDE)
#undef ADD_SIDE
	rte_tel_data_add_dict_u64(x, "flows_in_table", se->c[0].flows + se->c[1].flows);
	{
		const struct aces_mgr_ep_health *h = &se->h;
		int side;

		for (side = 0; side < ACES_SIDE_MAX; side++) {
			const char *sn = side == 0 ? "original" : "replacement";
			char k[48];

			snprintf(k, sizeof(k), "handshake_p95_ms_%s", sn);
			rte_tel_data_add_dict_u64(x, k, (uint64_t)h->hs_p95_ms[side]);
			snprintf(k, sizeof(k), "attempts_window_%s", sn);
			rte_tel_data_add_dict_u64(x, k, h->attempts[side]);
			snprintf(k, sizeof(k), "failures_window_%s", sn);
			rte_tel_data_add_dict_u64(x, k, h->failures[side]);
			if (full) {	/* cumulative counts per bucket (ACES_HS_BOUNDS_MS) */
				struct rte_tel_data *a = rte_tel_data_alloc();
				int b;

				if (a == NULL)
					continue;
				rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
				for (b = 0; b < ACES_HS_BUCKETS; b++)
					rte_tel_data_add_array_u64(a, se->hs_hist[side][b]);
				snprintf(k, sizeof(k), "handshake_hist_%s", sn);
				rte_tel_data_add_dict_container(x, k, a, 0);
			}
		}
	}
}

/* Parse a whole decimal number in [min, max]; -1 when it is not one. */
/* A plain decimal number min..max (aces_param_uint), or -1. */
static long
parse_num(const char *s, long min, long max)
{
	uint64_t v;

	if (aces_param_uint(s, (uint64_t)max, &v) != 0 || v < (uint64_t)min)
		return -1;
	return (long)v;
}

static int
cmd_endpoints(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	uint32_t n = aces.cfg->n_endpoints, e, start, end, next;
	struct view v;
	uint64_t off = 0;

	if (params != NULL && params[0] != '\0' && aces_param_uint(params, UINT32_MAX, &off) != 0)
		return tel_error(d, "offset \"%s\" is not a number 0..4294967295", SAFE(params));
	if (view_get(&v, d) != 0)
		return 0;
	aces_param_page(off, EP_PAGE, n, &start, &end, &next);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", n);
	rte_tel_data_add_dict_u64(d, "offset", off);
	if (next != 0)
		rte_tel_data_add_dict_u64(d, "next_offset", next);
	for (e = start; e < end; e++) {
		struct rte_tel_data *x = rte_tel_data_alloc();
		char key[ACES_NAME_MAX];

		if (x == NULL)
			continue;
		endpoint_fill(x, &v, e, 0);
		tel_key(aces.cfg->endpoints[e].name, key, sizeof(key));
		rte_tel_data_add_dict_container(d, key, x, 0);
	}
	view_put(&v);
	return 0;
}

static int
cmd_endpoint(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct view v;
	int e;

	if (params == NULL || params[0] == '\0')
		return tel_error(d, "usage: /aces/endpoint,<name>");
	e = endpoint_named(d, params);
	if (e < 0 || view_get(&v, d) != 0)
		return 0;
	endpoint_fill(d, &v, (uint32_t)e, 1);
	view_put(&v);
	return 0;
}

/* Submit a command without parameters beyond an endpoint; fills @d on error. */
static int
submit(struct rte_tel_data *d, enum aces_cmd_type type, uint32_t ep, int weight)
{
	struct aces_cmd *c = calloc(1, sizeof(*c));
	char err[512];
	int rc;

	if (c == NULL)
		return tel_error(d, "out of memory");
	c->type = type;
	c->ep = ep;
	c->weight = weight;
	rc = aces_cmd_submit(c, err, sizeof(err));
	if (rc != 0)
		tel_error(d, "%s", err);
	return rc;
}

static int
cmd_assign(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char buf[160], *comma, *name, *what;
	struct view v;
	uint64_t gen;
	long weight;
	int e;

	if (params == NULL || strlen(params) >= sizeof(buf))
		return tel_error(d, "usage: /aces/endpoint/assign,<name>,"
				 "<original|replacement|0-100>");
	snprintf(buf, sizeof(buf), "%s", params);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return tel_error(d, "usage: /aces/endpoint/assign,<name>,"
				 "<original|replacement|0-100>");
	*comma = '\0';
	name = buf;
	what = comma + 1;
	e = live_endpoint_named(d, name);
	if (e < 0)
		return 0;
	gen = __atomic_load_n(&aces_cp.cfg_gen, __ATOMIC_ACQUIRE);
	if (strcmp(what, "original") == 0)
		weight = 0;
	else if (strcmp(what, "replacement") == 0)
		weight = 100;
	else if (strcmp(what, "auto") == 0)
		weight = -1;
	else if ((weight = parse_num(what, 0, 100)) < 0)
		return tel_error(d, "\"%s\" is not original, replacement, auto or a weight 0-100",
				 SAFE(what));
	if (submit(d, weight < 0 ? ACES_CMD_AUTO : ACES_CMD_ASSIGN, (uint32_t)e, (int)weight) != 0 ||
	    (e = same_endpoint(d, e, gen, name)) < 0 || view_get(&v, d) != 0)
		return 0;
	weight = v.ep[e].weight;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "endpoint", aces.cfg->endpoints[e].name);
	rte_tel_data_add_dict_string(d, "assignment", assignment_name((uint8_t)weight));
	rte_tel_data_add_dict_u64(d, "replacement_weight", (uint64_t)weight);
	rte_tel_data_add_dict_string(d, "control", v.ep[e].pinned ? "manual" : "auto");
	view_put(&v);
	return 0;
}

static int
cmd_backends(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct aces_config *c = aces.cfg;
	struct view v;
	uint32_t b;

	if (view_get(&v, d) != 0)
		return 0;
	rte_tel_data_start_dict(d);
	for (b = 0; b < c->n_backends && b < RTE_TEL_MAX_DICT_ENTRIES; b++) {
		const struct aces_cfg_backend *be = &c->backends[b];
		const struct aces_neigh *n = &aces_nh.neigh[aces_nh.backend_nh[b]];
		uint64_t mac = __atomic_load_n(&n->mac, __ATOMIC_ACQUIRE);
		struct rte_tel_data *x = rte_tel_data_alloc();
		char key[ACES_NAME_MAX];

		if (x == NULL)
			continue;
		rte_tel_data_start_dict(x);
		rte_tel_data_add_dict_string(x, "name", be->name);
		rte_tel_data_add_dict_string(x, "side", aces_side_name(be->side));
		if (be->retired)
			rte_tel_data_add_dict_string(x, "removed", "by a reload: no new flow, its "
						     "flows drain");
		add_ip(x, "address", be->addr);
		rte_tel_data_add_dict_u64(x, "weight", be->weight);
		if (n->addr != be->addr)
			add_ip(x, "via", n->addr);
		if (mac & ACES_NEIGH_VALID) {
			struct rte_ether_addr ea;

			memcpy(ea.addr_bytes, &mac, RTE_ETHER_ADDR_LEN);
			add_mac(x, "mac", &ea);
		} else {
			rte_tel_data_add_dict_string(x, "mac", "unresolved");
		}
		rte_tel_data_add_dict_string(x, "neighbor", n->is_static ? "static" :
					     (mac & ACES_NEIGH_VALID) ? "arp" : "unresolved");
		{
			const struct aces_snap_be *sb = &v.be[b];
			const struct aces_health_ctr *hc = &sb->hc;

			rte_tel_data_add_dict_string(x, "state",
						     aces_be_state_name((enum aces_be_state)sb->state));
			rte_tel_data_add_dict_u64(x, "state_since_ms_ago", aces_now_ms() - sb->since_ms);
			rte_tel_data_add_dict_string(x, "state_reason", sb->reason);
#define ADD_HEALTH(f, n, dsc) rte_tel_data_add_dict_u64(x, n, hc->f);
			ACES_HEALTH_CTR_LIST(ADD_HEALTH)
#undef ADD_HEALTH
			rte_tel_data_add_dict_u64(x, "flows_active", sb->c.open);
			rte_tel_data_add_dict_u64(x, "pps", (uint64_t)(sb->pps + 0.5));
			if (sb->cpu != UINT32_MAX) {
				rte_tel_data_add_dict_u64(x, "cpu_percent", sb->cpu);
				rte_tel_data_add_dict_u64(x, "cpu_reported_ms_ago",
							  aces_now_ms() - sb->cpu_ms);
			}
		}
		tel_key(be->name, key, sizeof(key));
		rte_tel_data_add_dict_container(d, key, x, 0);
	}
	view_put(&v);
	return 0;
}

static void
add_wall_time(struct rte_tel_data *d, const char *key, uint64_t t_ms)
{
	uint64_t ms = aces_cp.start_realtime_ms + t_ms;
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];

	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(ms % 1000));
	rte_tel_data_add_dict_string(d, key, buf);
}

static void
transition_fill(struct rte_tel_data *d)
{
	uint32_t count[ACES_PHASE_MAX] = { 0 }, st, e;
	uint64_t started, ended;
	struct rte_tel_data *ph, *left;
	struct view v;
	int p;

	if (view_get(&v, d) != 0)
		return;
	st = v.head.tstate;
	started = v.head.tstarted_ms;
	ended = v.head.tended_ms;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state",
				     aces_transition_state_name((enum aces_transition_state)st));
	rte_tel_data_add_dict_u64(d, "number", v.head.tnumber);
	if (st != ACES_TRANSITION_IDLE) {
		add_wall_time(d, "started", started);
		rte_tel_data_add_dict_u64(d, "elapsed_ms",
					  (ended != 0 ? ended : aces_now_ms()) - started);
		if (ended != 0)
			add_wall_time(d, "ended", ended);
	}
	ph = rte_tel_data_alloc();
	left = rte_tel_data_alloc();
	if (ph == NULL || left == NULL) {
		rte_tel_data_free(ph);
		rte_tel_data_free(left);
		view_put(&v);
		return;
	}
	rte_tel_data_start_dict(ph);
	rte_tel_data_start_dict(left);
	for (e = 0; e < aces.cfg->n_endpoints; e++) {
		uint64_t n = v.ep[e].c[0].open;

		count[v.ep[e].phase < ACES_PHASE_MAX ? v.ep[e].phase : 0]++;
		if (n > 0 && v.ep[e].weight == 100 && e < RTE_TEL_MAX_DICT_ENTRIES) {
			char key[ACES_NAME_MAX];

			tel_key(aces.cfg->endpoints[e].name, key, sizeof(key));
			rte_tel_data_add_dict_u64(left, key, n);
		}
	}
	for (p = 0; p < ACES_PHASE_MAX; p++)
		rte_tel_data_add_dict_u64(ph, aces_phase_name((enum aces_phase)p), count[p]);
	rte_tel_data_add_dict_container(d, "endpoints_by_phase", ph, 0);
	rte_tel_data_add_dict_container(d, "flows_left_on_original", left, 0);
	if (aces.cfg->agents.enabled) {
		const struct aces_snap_mig *g = &v.head.mig;
		struct rte_tel_data *mv = rte_tel_data_alloc();

		if (mv != NULL) {
			rte_tel_data_start_dict(mv);
#define ADD_MIG(f, n, dsc) rte_tel_data_add_dict_u64(mv, n, g->f);
			ACES_MIG_CTR_LIST(ADD_MIG)
#undef ADD_MIG
			rte_tel_data_add_dict_u64(mv, "in_flight", g->in_flight);
			/* the last run of moves: its first started to its last ended, and the moves
			 * that ended per second in it */
			rte_tel_data_add_dict_u64(mv, "moving_ms", g->last_ms > g->first_ms ?
						  g->last_ms - g->first_ms : 0);
			rte_tel_data_add_dict_u64(mv, "moves_per_s", g->last_ms > g->first_ms ?
						  (g->moved + g->failed + g->timed_out - g->run_base) *
						  1000 / (g->last_ms - g->first_ms) : 0);
			rte_tel_data_add_dict_u64(mv, "freeze_samples", g->freeze_samples);
			rte_tel_data_add_dict_u64(mv, "freeze_p50_us", g->freeze_p50_us);
			rte_tel_data_add_dict_u64(mv, "freeze_p99_us", g->freeze_p99_us);
			rte_tel_data_add_dict_u64(mv, "freeze_max_us", g->freeze_max_us);
			{
				char e1[RTE_TEL_MAX_STRING_LEN];

				snprintf(e1, sizeof(e1), "%s", g->last_error);
				rte_tel_data_add_dict_string(mv, "last_error", e1);
			}
			rte_tel_data_add_dict_container(d, "moves", mv, 0);
		}
	}
	rte_tel_data_add_dict_u64(d, "last_event_id", aces_mgr_journal_next_id(aces_cp.mgr) - 1);
	view_put(&v);
}

static int
cmd_transition(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	transition_fill(d);
	return 0;
}

/* /aces/transition/start and /aces/transition/abort: the path says which. */
static int
cmd_transition_change(const char *cmd, const char *params __rte_unused, struct rte_tel_data *d)
{
	if (submit(d, strcmp(cmd, "/aces/transition/start") == 0 ? ACES_CMD_START : ACES_CMD_ABORT,
		   0, 0) != 0)
		return 0;
	transition_fill(d);
	return 0;
}

/* /aces/config: the running configuration's file and its reloads. */
static void
config_fill(struct rte_tel_data *d)
{
	const struct aces_reload_info *r = &aces_reloads;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "file", aces_cp.config_path);
	rte_tel_data_add_dict_u64(d, "endpoints", aces.n_ep_live);
	rte_tel_data_add_dict_u64(d, "backends", aces.n_be_live);
	rte_tel_data_add_dict_u64(d, "removed_endpoints_draining",
				  aces.cfg->n_endpoints - aces.n_ep_live);
	rte_tel_data_add_dict_u64(d, "removed_backends_draining",
				  aces.cfg->n_backends - aces.n_be_live);
#define ADD_RELOAD(f, n, dsc) rte_tel_data_add_dict_u64(d, n, r->f);
	ACES_RELOAD_CTR_LIST(ADD_RELOAD)
#undef ADD_RELOAD
	if (r->done > 0) {
		add_wall_time(d, "last_reload", r->last_ms);
		rte_tel_data_add_dict_string(d, "last_reload_result", r->last);
		rte_tel_data_add_dict_u64(d, "last_reload_pause_us", r->last_pause_us);
	}
	if (r->refused > 0) {
		char part[RTE_TEL_MAX_STRING_LEN];

		snprintf(part, sizeof(part), "%s", r->last_error);
		rte_tel_data_add_dict_string(d, "last_refusal", part);
	}
}

static int
cmd_config(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	config_fill(d);
	return 0;
}

/* /aces/config/reload: re-read the file; its error, whole, when it is refused. */
static int
cmd_reload(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	if (params != NULL && params[0] != '\0')
		return tel_error(d, "/aces/config/reload takes no parameters (it re-reads %s)",
				 aces_cp.config_path);
	if (submit(d, ACES_CMD_RELOAD, 0, 0) != 0)
		return 0;
	config_fill(d);
	return 0;
}

/* /aces/flow[/hold|/release|/repoint],ENDPOINT,CLIENT_IP:PORT[,BACKEND]: one flow, for a
 * move (hold it, point it at another backend, release it). */
static int
cmd_flow(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const states[ACES_FLOW_STATES] = {
		"syn_sent", "syn_recv", "established", "closing", "closed", "udp", "adopted",
	};
	char buf[200], *ep_name, *client, *backend;
	struct aces_cmd *c;
	struct in_addr ip;
	unsigned long port;
	uint16_t port16;
	int e, b = 0, rc, op;

	op = strcmp(cmd, "/aces/flow/hold") == 0 ? ACES_FLOW_OP_HOLD :
	     strcmp(cmd, "/aces/flow/release") == 0 ? ACES_FLOW_OP_RELEASE :
	     strcmp(cmd, "/aces/flow/repoint") == 0 ? ACES_FLOW_OP_REPOINT : ACES_FLOW_OP_SHOW;
	if (params == NULL || strlen(params) >= sizeof(buf))
		goto usage;
	snprintf(buf, sizeof(buf), "%s", params);
	ep_name = buf;
	client = strchr(buf, ',');
	if (client == NULL)
		goto usage;
	*client++ = '\0';
	backend = strchr(client, ',');
	if (backend != NULL)
		*backend++ = '\0';
	if ((op == ACES_FLOW_OP_REPOINT) != (backend != NULL))
		goto usage;
	if (aces_param_client(client, &ip.s_addr, &port16) != 0)
		return tel_error(d, "\"%s\" is not CLIENT_IP:PORT", SAFE(client));
	port = ntohs(port16);
	e = live_endpoint_named(d, ep_name);
	if (e < 0)
		return 0;
	if (backend != NULL) {
		b = aces_config_backend_index(aces.cfg, backend);
		if (b < 0 || (uint32_t)b >= aces.n_be_live)
			return tel_error(d, "no backend named \"%s\"", SAFE(backend));
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tel_error(d, "out of memory");
	c->type = ACES_CMD_FLOW;
	c->ep = (uint32_t)e;
	c->flow_op = (uint32_t)op;
	c->client_ip = ip.s_addr;
	c->client_port = rte_cpu_to_be_16((uint16_t)port);
	c->backend = (uint16_t)b;
	c->refs = 1;	/* ours: the answer is copied out before the last reference goes */
	{
		char err[512];
		struct aces_flow_ack ack;

		rc = aces_cmd_submit(c, err, sizeof(err));
		ack = c->ack;
		if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
			free(c);
		if (rc != 0)
			return tel_error(d, "%s", err);
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "endpoint", aces.cfg->endpoints[e].name);
		snprintf(buf, sizeof(buf), "%s:%lu", inet_ntoa(ip), port);
		rte_tel_data_add_dict_string(d, "client", buf);
		rte_tel_data_add_dict_string(d, "backend", ack.backend < aces.cfg->n_backends ?
					     aces.cfg->backends[ack.backend].name : "?");
		rte_tel_data_add_dict_string(d, "side", aces_side_name((enum aces_side)ack.side));
		rte_tel_data_add_dict_string(d, "state", ack.state < ACES_FLOW_STATES ?
					     states[ack.state] : "?");
		rte_tel_data_add_dict_u64(d, "held", !!(ack.flags & ACES_FLOW_F_HELD));
		rte_tel_data_add_dict_u64(d, "open", ack.open);
		rte_tel_data_add_dict_u64(d, "age_ms", ack.age_ms);
	}
	return 0;
usage:
	return tel_error(d, "usage: %s,ENDPOINT,CLIENT_IP:PORT%s", cmd,
			 op == ACES_FLOW_OP_REPOINT ? ",BACKEND" : "");
}

/* /aces/restart: what this start took over from the last process. */
static int
cmd_restart(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct aces_restart_info *r = &aces_restart;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state_file", r->enabled ? r->path : "");
	rte_tel_data_add_dict_string(d, "at_start", r->status);
	rte_tel_data_add_dict_u64(d, "taken_over", (uint64_t)r->taken);
	rte_tel_data_add_dict_u64(d, "checkpoints_written", r->checkpoints);
	if (!r->taken)
		return 0;
	rte_tel_data_add_dict_u64(d, "clean_stop", (uint64_t)r->clean);
#define ADD_RESTART(f, n, dsc) rte_tel_data_add_dict_u64(d, n, r->f);
	ACES_RESTART_CTR_LIST(ADD_RESTART)
#undef ADD_RESTART
	rte_tel_data_add_dict_u64(d, "file_unread_ms", r->lay_ms);
	rte_tel_data_add_dict_u64(d, "apply_ms", r->apply_ms);
	if (!r->clean)
		rte_tel_data_add_dict_string(d, "gap_ms", "unknown: no clean stop");
	else if (__atomic_load_n(&r->gap_known, __ATOMIC_ACQUIRE))
		rte_tel_data_add_dict_int(d, "gap_ms", (int)r->gap_ms);
	else
		rte_tel_data_add_dict_string(d, "gap_ms", "nothing forwarded yet");
	return 0;
}

static int
cmd_state_ready(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct view v;
	uint64_t gen;
	int e;

	if (params == NULL || params[0] == '\0')
		return tel_error(d, "usage: /aces/endpoint/state_ready,<name>");
	gen = __atomic_load_n(&aces_cp.cfg_gen, __ATOMIC_ACQUIRE);
	e = live_endpoint_named(d, params);
	if (e < 0)
		return 0;
	if (submit(d, ACES_CMD_STATE_READY, (uint32_t)e, 0) != 0 ||
	    (e = same_endpoint(d, e, gen, params)) < 0 || view_get(&v, d) != 0)
		return 0;
	endpoint_fill(d, &v, (uint32_t)e, 0);
	view_put(&v);
	return 0;
}

static int
cmd_backend_load(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char buf[160], *comma;
	long pct;
	int b;

	if (params == NULL || strlen(params) >= sizeof(buf) || strchr(params, ',') == NULL)
		return tel_error(d, "usage: /aces/backend/load,<backend>,<percent>");
	snprintf(buf, sizeof(buf), "%s", params);
	comma = strchr(buf, ',');
	*comma = '\0';
	b = aces_config_backend_index(aces.cfg, buf);
	if (b < 0)
		return tel_error(d, "no backend named \"%s\"", SAFE(buf));
	pct = parse_num(comma + 1, 0, 100);
	if (pct < 0)
		return tel_error(d, "percent \"%s\" is not a number 0-100", SAFE(comma + 1));
	if (submit(d, ACES_CMD_BACKEND_LOAD, (uint32_t)b, (int)pct) != 0)
		return 0;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "backend", aces.cfg->backends[b].name);
	rte_tel_data_add_dict_u64(d, "cpu_percent", (uint64_t)pct);
	return 0;
}

#define EVENTS_PAGE 30	/* events per reply: stays under the 16 KiB output limit */

static int
cmd_events(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	uint64_t since = 0, id, next, first;
	int n = 0;

	if (params != NULL && params[0] != '\0' && aces_param_uint(params, UINT64_MAX, &since) != 0)
		return tel_error(d, "since_id \"%s\" is not a number", SAFE(params));
	next = aces_mgr_journal_next_id(aces_cp.mgr);
	first = aces_mgr_journal_first_id(aces_cp.mgr);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "first_id", first);
	rte_tel_data_add_dict_u64(d, "next_id", next);
	for (id = aces_param_events_start(since, first, next); id < next && n < EVENTS_PAGE; id++) {
		struct rte_tel_data *x;
		struct aces_event ev;
		char key[24];

		if (aces_mgr_journal_read(aces_cp.mgr, id, &ev) != 0)
			continue;
		x = rte_tel_data_alloc();
		if (x == NULL)
			break;
		rte_tel_data_start_dict(x);
		rte_tel_data_add_dict_u64(x, "id", ev.id);
		add_wall_time(x, "time", ev.t_ms);
		rte_tel_data_add_dict_u64(x, "t_ms", ev.t_ms);
		rte_tel_data_add_dict_string(x, "endpoint",
					     ev.ep >= 0 && (uint32_t)ev.ep < aces.cfg->n_endpoints ?
					     aces.cfg->endpoints[ev.ep].name : "-");
		if (ev.backend >= 0 && (uint32_t)ev.backend < aces.cfg->n_backends)
			rte_tel_data_add_dict_string(x, "backend",
						     aces.cfg->backends[ev.backend].name);
		rte_tel_data_add_dict_string(x, "from", ev.from);
		rte_tel_data_add_dict_string(x, "to", ev.to);
		rte_tel_data_add_dict_u64(x, "weight", ev.weight);
		rte_tel_data_add_dict_string(x, "reason", ev.reason);
		snprintf(key, sizeof(key), "%llu", (unsigned long long)ev.id);
		rte_tel_data_add_dict_container(d, key, x, 0);
		n++;
	}
	rte_tel_data_add_dict_u64(d, "more", id < next);
	return 0;
}

/* /aces/routing: what this instance asks the router for, VIP by VIP, and why. */
static int
cmd_routing(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct aces_routing_view *r = aces_routing_view();
	struct rte_tel_data *vips;
	uint32_t i, n;
	uint8_t pi;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "enabled", r->enabled);
	for (pi = 0; pi < aces.n_ports; pi++) {
		char key[32];

		if (!aces_kernel_on(pi))
			continue;
		snprintf(key, sizeof(key), "kernel_interface_%s",
			 pi == aces.client_pi ? "client" : "backend");
		rte_tel_data_add_dict_string(d, key, aces_kernel_ifname(pi));
	}
	if (!r->enabled)
		return 0;
	rte_tel_data_add_dict_u64(d, "table", r->table);
	rte_tel_data_add_dict_string(d, "interface", r->ifname);
	rte_tel_data_add_dict_int(d, "drained", __atomic_load_n(&r->drained, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_int(d, "stopping", __atomic_load_n(&r->stopping, __ATOMIC_RELAXED));
#define ADD_ROUTING(f, nm, dsc) \
	rte_tel_data_add_dict_u64(d, nm, __atomic_load_n(&r->f, __ATOMIC_RELAXED));
	ACES_ROUTING_CTR_LIST(ADD_ROUTING)
#undef ADD_ROUTING
	vips = rte_tel_data_alloc();
	if (vips == NULL)
		return tel_error(d, "out of memory");
	rte_tel_data_start_dict(vips);
	n = __atomic_load_n(&r->n_vips, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		char a[16], key[16];
		uint8_t w = __atomic_load_n(&r->why[i], __ATOMIC_RELAXED);

		/* keyed by address with '_' for '.' (telemetry keys allow no dot) */
		tel_key(aces_ip_str(r->vip[i], a, sizeof(a)), key, sizeof(key));
		rte_tel_data_add_dict_string(vips, key, w < ACES_ROUTE_WHY_MAX ?
					     aces_route_why_names[w] : "?");
	}
	rte_tel_data_add_dict_container(d, "vips", vips, 0);
	if (r->n_return == 0)
		return 0;
	rte_tel_data_add_dict_string(d, "return_interface", r->ret_ifname);
	vips = rte_tel_data_alloc();
	if (vips == NULL)
		return tel_error(d, "out of memory");
	rte_tel_data_start_dict(vips);
	for (i = 0; i < r->n_return; i++) {
		char a[24], key[24];

		snprintf(a, sizeof(a), "%s/%u", aces_ip_str(r->ret_addr[i], key, sizeof(key)),
			 r->ret_plen[i]);
		tel_key(a, key, sizeof(key));
		rte_tel_data_add_dict_string(vips, key, __atomic_load_n(&r->ret_in[i],
					     __ATOMIC_RELAXED) ? "announced" : "withdrawn");
	}
	rte_tel_data_add_dict_container(d, "return_prefixes", vips, 0);
	return 0;
}

/* /aces/routing/drain and /undrain: withdraw every VIP (established flows forwarded on), or
 * announce again what can be served. */
static int
cmd_drain(const char *cmd, const char *params __rte_unused, struct rte_tel_data *d)
{
	if (submit(d, ACES_CMD_DRAIN, 0, strcmp(cmd, "/aces/routing/drain") == 0) != 0)
		return 0;
	return cmd_routing(cmd, NULL, d);
}

/*
 * Every counter family, from its list: the names each command shows and what they mean, so
 * a client (acesctl's exporter) takes them from the process instead of keeping its own copy.
 * A meaning must fit a telemetry string: checked when this file compiles.
 */
#define HELP_FITS(f, n, dsc) \
	_Static_assert(sizeof(dsc) <= RTE_TEL_MAX_STRING_LEN, "the meaning of " n " is too long");
ACES_WK_LIST(HELP_FITS)
ACES_DROP_LIST(HELP_FITS)
ACES_CTL_LIST(HELP_FITS)
ACES_PORT_CTR_LIST(HELP_FITS)
ACES_FLOW_STATS_LIST(HELP_FITS)
ACES_HEALTH_CTR_LIST(HELP_FITS)
ACES_SIDE_CTR_LIST(HELP_FITS)
ACES_MIG_CTR_LIST(HELP_FITS)
ACES_RELOAD_CTR_LIST(HELP_FITS)
ACES_RESTART_CTR_LIST(HELP_FITS)
ACES_ROUTING_CTR_LIST(HELP_FITS)
#undef HELP_FITS

#define COUNTER_HELP(f, n, dsc) { n, dsc, 0 },
static const struct counter_help drop_help[] = { ACES_DROP_LIST(COUNTER_HELP) };
static const struct counter_help ctl_help[] = { ACES_CTL_LIST(COUNTER_HELP) };
static const struct counter_help port_help[] = { ACES_PORT_CTR_LIST(COUNTER_HELP) };
static const struct counter_help ft_help[] = { ACES_FLOW_STATS_LIST(COUNTER_HELP) };
static const struct counter_help health_help[] = { ACES_HEALTH_CTR_LIST(COUNTER_HELP) };
static const struct counter_help side_help[] = { ACES_SIDE_CTR_LIST(COUNTER_HELP) };
static const struct counter_help mig_help[] = { ACES_MIG_CTR_LIST(COUNTER_HELP) };
static const struct counter_help reload_help[] = { ACES_RELOAD_CTR_LIST(COUNTER_HELP) };
static const struct counter_help restart_help[] = { ACES_RESTART_CTR_LIST(COUNTER_HELP) };
static const struct counter_help routing_help[] = { ACES_ROUTING_CTR_LIST(COUNTER_HELP) };
#undef COUNTER_HELP

static const struct {
	const char *family;		/* where it is shown, README "Counters" */
	const struct counter_help *c;
	size_t n;
} families[] = {
	{ "stats", wk_counters, RTE_DIM(wk_counters) },		/* /aces/stats */
	{ "drops", drop_help, RTE_DIM(drop_help) },		/* /aces/stats "drops" */
	{ "control", ctl_help, RTE_DIM(ctl_help) },		/* /aces/stats "control" */
	{ "port", port_help, RTE_DIM(port_help) },		/* /aces/stats "portN" */
	{ "flow_table", ft_help, RTE_DIM(ft_help) },		/* /aces/stats "flow_table" */
	{ "endpoint", side_help, RTE_DIM(side_help) },		/* /aces/endpoint */
	{ "backend_health", health_help, RTE_DIM(health_help) },	/* /aces/backends */
	{ "moves", mig_help, RTE_DIM(mig_help) },		/* /aces/transition "moves" */
	{ "reload", reload_help, RTE_DIM(reload_help) },	/* /aces/config */
	{ "restart", restart_help, RTE_DIM(restart_help) },	/* /aces/restart */
	{ "routing", routing_help, RTE_DIM(routing_help) },	/* /aces/routing */
};

static int
cmd_counters(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	size_t f, i;

	rte_tel_data_start_dict(d);
	for (f = 0; f < RTE_DIM(families); f++) {
		struct rte_tel_data *x = rte_tel_data_alloc();

		if (x == NULL)
			return tel_error(d, "out of memory");
		rte_tel_data_start_dict(x);
		for (i = 0; i < families[f].n; i++)
			rte_tel_data_add_dict_string(x, families[f].c[i].name, families[f].c[i].help);
		rte_tel_data_add_dict_container(d, families[f].family, x, 0);
	}
	return 0;
}

static const struct {
	const char *path;
	telemetry_cb fn;
	const char *help;
	int no_params;		/* dispatch refuses parameters for it */
} commands[] = {
	{ "/aces/info", cmd_info, "Version, uptime, lcores, ports, config. No parameters.", 1 },
	{ "/aces/stats", cmd_stats,
	  "Per-port rx/tx, drops by reason, flows active and capacity. No parameters.", 1 },
	{ "/aces/endpoints", cmd_endpoints,
	  "Endpoints with assignment, weight, flows per side, pps. Parameters: int offset." },
	{ "/aces/endpoint", cmd_endpoint, "One endpoint with metadata. Parameters: string name." },
	{ "/aces/endpoint/assign", cmd_assign,
	  "Set an endpoint's assignment by hand, or hand it back to the manager. "
	  "Parameters: name,original|replacement|0-100|auto." },
	{ "/aces/endpoint/state_ready", cmd_state_ready,
	  "Tell the manager a replicating endpoint's state is in place. Parameters: name." },
	{ "/aces/transition", cmd_transition,
	  "Transition state, times, endpoints per phase, flows left on the original.", 1 },
	{ "/aces/transition/start", cmd_transition_change, "Start the transition. No parameters.", 1 },
	{ "/aces/transition/abort", cmd_transition_change,
	  "Abort the transition: everything back to the original. No parameters.", 1 },
	{ "/aces/events", cmd_events,
	  "Decisions of the manager, oldest first. Parameters: int since_id (default 0)." },
	{ "/aces/backend/load", cmd_backend_load,
	  "Report a backend's CPU load. Parameters: backend,percent (0-100)." },
	{ "/aces/config", cmd_config,
	  "The configuration file, its entities, reloads done and refused. No parameters.", 1 },
	{ "/aces/config/reload", cmd_reload,
	  "Re-read the configuration file and apply the difference live (a bad file changes "
	  "nothing). No parameters." },
	{ "/aces/flow", cmd_flow,
	  "One flow: backend, side, state, held. Parameters: endpoint,client_ip:port." },
	{ "/aces/flow/hold", cmd_flow,
	  "Hold a flow for a move: its packets are dropped (counted), TCP resends them. "
	  "Parameters: endpoint,client_ip:port." },
	{ "/aces/flow/release", cmd_flow,
	  "Release a held flow. Parameters: endpoint,client_ip:port." },
	{ "/aces/flow/repoint", cmd_flow,
	  "Point a flow at another backend (its socket moved there). "
	  "Parameters: endpoint,client_ip:port,backend." },
	{ "/aces/restart", cmd_restart,
	  "What this start took over from the last process (state file, flows, gap). "
	  "No parameters.", 1 },
	{ "/aces/backends", cmd_backends,
	  "Backends: side, address, MAC, active flows. No parameters.", 1 },
	{ "/aces/routing", cmd_routing,
	  "VIP routes kept for the routing daemon, why each is (not) announced, counters. "
	  "No parameters.", 1 },
	{ "/aces/routing/drain", cmd_drain,
	  "Withdraw every VIP route; established flows are forwarded on. No parameters.", 1 },
	{ "/aces/routing/undrain", cmd_drain,
	  "Announce again the VIPs this instance can serve. No parameters.", 1 },
	{ "/aces/counters", cmd_counters,
	  "Every counter family: the names each command shows and what they mean. "
	  "No parameters.", 1 },
};

/* Every path is registered with this one function, which finds the row by the
 * path it is called for; it also lets shutdown wait for running handlers. */
static int
dispatch(const char *cmd, const char *params, struct rte_tel_data *d)
{
	size_t i;
	int rc = -EINVAL;

	__atomic_add_fetch(&tel_active, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&tel_closing, __ATOMIC_SEQ_CST)) {
		rc = tel_error(d, "appliance is shutting down");
	} else {
		/* the configuration stays as it is while the handler reads it (a reload waits;
		 * a handler that waits for the control lcore lets go meanwhile: cmd.c) */
		pthread_rwlock_rdlock(&aces_cfg_lock);
		aces_tel_read_held = 1;
		for (i = 0; i < RTE_DIM(commands); i++)
			if (strcmp(cmd, commands[i].path) == 0) {
				if (commands[i].no_params && params != NULL && params[0] != '\0')
					rc = tel_error(d, "%s takes no parameters", cmd);
				else
					rc = commands[i].fn(cmd, params, d);
				break;
			}
		aces_tel_read_held = 0;
		pthread_rwlock_unlock(&aces_cfg_lock);
	}
	__atomic_sub_fetch(&tel_active, 1, __ATOMIC_SEQ_CST);
	return rc;
}

int
aces_telemetry_init(void)
{
	size_t i;
	int rc;

	for (i = 0; i < RTE_DIM(commands); i++) {
		rc = rte_telemetry_register_cmd(commands[i].path, dispatch, commands[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
aces_telemetry_fini(void)
{
	__atomic_store_n(&tel_closing, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&tel_active, __ATOMIC_SEQ_CST) != 0)
		usleep(1000);
}
