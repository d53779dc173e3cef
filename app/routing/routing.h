/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_ROUTING_H
#define ACES_APP_ROUTING_H

/**
 * @file
 * What this instance asks the router for (issue #21): a route per VIP it can serve, kept in
 * a kernel routing table of its own (`routing.table`), through the client port's kernel
 * interface, for a routing daemon (BIRD, FRR) to announce; withdrawn by a drain and first
 * thing at a clean stop, which then forwards on until no new flow comes.
 *
 * Room app/routing; it may use: common, net, datapath, health, handover, manager
 * (tools/check_layers.py).
 */

#include "common/aces.h"

/** Why a VIP is (not) announced. */
#define ACES_ROUTE_WHY_LIST(_) \
	_(ANNOUNCED,  "announced",  "this instance serves it") \
	_(STARTING,   "starting",   "the control loop has not run yet") \
	_(DRAINED,    "drained",    "acesctl drain") \
	_(STOPPING,   "stopping",   "a clean stop: forwarding until no new flow comes") \
	_(PORT_DOWN,  "port_down",  "a port's link is down") \
	_(NO_BACKEND, "no_backend", "no backend of a side its endpoints send to is up and resolved") \
	_(ROUTE_FAILED, "route_failed", "the kernel refused the route (see the log)")

#define ACES_ROUTE_WHY_ENUM(n, s, d) ACES_ROUTE_##n,
enum aces_route_why {
	ACES_ROUTE_WHY_LIST(ACES_ROUTE_WHY_ENUM)
	ACES_ROUTE_WHY_MAX
};
#undef ACES_ROUTE_WHY_ENUM

extern const char *const aces_route_why_names[ACES_ROUTE_WHY_MAX];

/** The routing counters (/aces/routing), named once. */
#define ACES_ROUTING_CTR_LIST(_) \
	_(announced,   "routes_announced",   "VIP routes added to routing.table") \
	_(withdrawn,   "routes_withdrawn",   "VIP routes removed from it") \
	_(failed,      "route_changes_failed", "route changes the kernel refused") \
	_(drains,      "drains",             "acesctl drain commands done")

/** What telemetry reads (relaxed loads; the control lcore writes). */
struct aces_routing_view {
	int enabled;
	uint32_t table;
	int ifindex;
	const char *ifname;
	uint32_t n_vips;
	const uint32_t *vip;		/**< n_vips addresses, network order */
	const uint8_t *why;		/**< n_vips enum aces_route_why */
	int drained;
	int stopping;
	uint32_t n_return;		/**< routing.return_prefixes: the clients' networks ... */
	const uint32_t *ret_addr;	/**< ... (network order) */
	const uint8_t *ret_plen;
	const uint8_t *ret_in;		/**< ... each in the table now */
	const char *ret_ifname;		/**< ... through the backend port's kernel interface */
	uint64_t stop_ms;		/**< manager clock of the stop's start */
	uint64_t last_new_flow_ms;	/**< ... and of the last new flow seen since */
#define ACES_ROUTING_CTR_FIELD(f, n, d) uint64_t f;
	ACES_ROUTING_CTR_LIST(ACES_ROUTING_CTR_FIELD)
#undef ACES_ROUTING_CTR_FIELD
};

int aces_routing_init(void);
/** Withdraws every route this process added (a clean stop, a failed start). */
void aces_routing_fini(void);
/** A reload (workers parked): the new configuration's VIPs; gone ones withdrawn. */
int aces_routing_reload(struct aces_remap *r);
/** Every manager tick: add and remove routes as the VIPs become (un)servable. */
void aces_routing_tick(uint64_t now_ms);
/** acesctl drain (@drain 1) / undrain (0): 0, or -errno with @msg. */
int aces_routing_drain(int drain, char *msg, size_t len);
/**
 * A stop was asked (SIGTERM, SIGINT): 1 when it must wait (routes withdrawn now, the
 * stop comes from aces_routing_stop_due()), 0 when it may stop at once (no routing).
 */
int aces_routing_stop_begin(uint64_t now_ms);
/** During a stop, every control loop: 1 once no new flow came for routing.drain_quiet_ms
 *  (or routing.drain_timeout_ms passed). */
int aces_routing_stop_due(uint64_t now_ms);
const struct aces_routing_view *aces_routing_view(void);

#endif /* ACES_APP_ROUTING_H */
