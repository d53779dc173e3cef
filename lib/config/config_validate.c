/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-field rules of a configuration. Field-level checks (types, ranges,
 * enums) are done while loading; what is left needs the whole picture.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_pvt.h"

int
aces_config_in_subnet(uint32_t addr, uint32_t net_addr, uint8_t prefix_len)
{
	uint32_t mask = prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);

	return (ntohl(addr) & mask) == (ntohl(net_addr) & mask);
}

#define VFAIL(path, ...) do { \
		aces_config_err(err, errlen, cfg, (path), __VA_ARGS__); \
		return -EINVAL; \
	} while (0)

static int
check_iface(const struct aces_config *cfg, const struct aces_cfg_iface *ifc, const char *role,
	    char *err, size_t errlen)
{
	char path[64], a[16];
	uint32_t h = ntohl(ifc->addr);
	uint32_t host_mask = ifc->prefix_len >= 31 ? 0 : (0xffffffffu >> ifc->prefix_len);

	snprintf(path, sizeof(path), "interfaces.%s.address", role);
	if (host_mask != 0 && ((h & host_mask) == 0 || (h & host_mask) == host_mask))
		VFAIL(path, "%s is the network or broadcast address of its /%u",
		      aces_ip_str(ifc->addr, a, sizeof(a)), ifc->prefix_len);
	if (!ifc->has_gateway)
		return 0;
	snprintf(path, sizeof(path), "interfaces.%s.gateway", role);
	if (ifc->gateway == ifc->addr)
		VFAIL(path, "%s is the interface's own address", aces_ip_str(ifc->gateway, a, 16));
	if (!aces_config_in_subnet(ifc->gateway, ifc->addr, ifc->prefix_len))
		VFAIL(path, "%s is not on the interface's subnet",
		      aces_ip_str(ifc->gateway, a, sizeof(a)));
	return 0;
}

/* DFS colouring: 0 white, 1 on stack, 2 done. Writes the cycle into err. */
static int
find_cycle(const struct aces_config *cfg, uint32_t v, uint8_t *colour, uint16_t *stack,
	   uint32_t depth, char *err, size_t errlen)
{
	const struct aces_cfg_endpoint *ep = &cfg->endpoints[v];
	uint32_t k;

	colour[v] = 1;
	stack[depth] = (uint16_t)v;
	for (k = 0; k < ep->n_deps; k++) {
		uint16_t d = ep->deps[k];

		if (colour[d] == 1) {
			char chain[512] = "", path[64];
			uint32_t s = 0, i;

			while (stack[s] != d)
				s++;
			for (i = s; i <= depth; i++) {
				strncat(chain, cfg->endpoints[stack[i]].name,
					sizeof(chain) - strlen(chain) - 1);
				strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
			}
			strncat(chain, cfg->endpoints[d].name, sizeof(chain) - strlen(chain) - 1);
			snprintf(path, sizeof(path), "endpoints[%u].depends_on", v);
			aces_config_err(err, errlen, cfg, path, "dependency cycle %s", chain);
			return -EINVAL;
		}
		if (colour[d] == 0 &&
		    find_cycle(cfg, d, colour, stack, depth + 1, err, errlen) < 0)
			return -EINVAL;
	}
	colour[v] = 2;
	return 0;
}

/* Telemetry dict keys allow only [A-Za-z0-9_]: names are shown with '-' and '.'
 * as '_', so two names that differ only there would collide. */
static int
same_tel_key(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = (*a == '-' || *a == '.') ? '_' : *a;
		char y = (*b == '-' || *b == '.') ? '_' : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

int
aces_config_validate(const struct aces_config *cfg, char *err, size_t errlen)
{
	char path[96], a[16];
	uint32_t i, j;
	uint8_t *colour;
	uint16_t *stack;
	int rc = 0;

	if (check_iface(cfg, &cfg->client, "client", err, errlen) < 0 ||
	    check_iface(cfg, &cfg->backend, "backend", err, errlen) < 0)
		return -EINVAL;
	if (cfg->client.port != cfg->backend.port && cfg->client.addr == cfg->backend.addr)
		VFAIL("interfaces.backend.address",
		      "%s is already the client interface's address on another port",
		      aces_ip_str(cfg->backend.addr, a, sizeof(a)));
	if (cfg->client.port == cfg->backend.port && cfg->client.mtu != 0 &&
	    cfg->backend.mtu != 0 && cfg->client.mtu != cfg->backend.mtu)
		VFAIL("interfaces.backend.mtu", "%u differs from interfaces.client.mtu (%u) on the "
		      "same port", cfg->backend.mtu, cfg->client.mtu);
	if (cfg->client.port == cfg->backend.port && cfg->backend.kernel[0] != '\0')
		VFAIL("interfaces.backend.kernel", "the backend role shares port %u with the client "
		      "role (one-armed): its kernel path is interfaces.client.kernel",
		      cfg->backend.port);
	if (cfg->client.kernel[0] != '\0' && strcmp(cfg->client.kernel, cfg->backend.kernel) == 0)
		VFAIL("interfaces.backend.kernel.interface", "\"%s\" is already the client's",
		      cfg->backend.kernel);
	if (cfg->routing.n_return > 0 && cfg->client.port != cfg->backend.port &&
	    cfg->backend.kernel[0] == '\0')
		VFAIL("routing.return_prefixes", "needs interfaces.backend.kernel: they are announced "
		      "on the backend side, through the backend port's kernel interface");
	if (cfg->routing.enabled && cfg->client.kernel[0] == '\0')
		VFAIL("routing", "needs interfaces.client.kernel: the VIPs' routes point at the "
		      "client port's kernel interface, through which the routing daemon reaches "
		      "the router");

	for (i = 0; i < cfg->n_backends; i++) {
		const struct aces_cfg_backend *b = &cfg->backends[i];
		uint32_t side_idx = 0;

		for (j = 0; j < i; j++)
			side_idx += cfg->backends[j].side == b->side;
		snprintf(path, sizeof(path), "applications.%s.backends[%u]", aces_side_name(b->side),
			 side_idx);
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->backends[j].name, b->name) == 0)
				VFAIL(path, "name \"%s\" is already used by another backend",
				      b->name);
			if (same_tel_key(cfg->backends[j].name, b->name))
				VFAIL(path, "name \"%s\" clashes with backend \"%s\" ('-' and '.' "
				      "read as '_' in telemetry keys)", b->name, cfg->backends[j].name);
			if (cfg->backends[j].addr == b->addr)
				VFAIL(path, "address %s is already used by backend \"%s\"",
				      aces_ip_str(b->addr, a, sizeof(a)), cfg->backends[j].name);
		}
		if (b->addr == cfg->client.addr || b->addr == cfg->backend.addr)
			VFAIL(path, "address %s is one of ACES's own interface addresses",
			      aces_ip_str(b->addr, a, sizeof(a)));
		if (aces_config_in_subnet(b->addr, cfg->backend.addr, cfg->backend.prefix_len) &&
		    cfg->backend.prefix_len < 31) {
			uint32_t hm = 0xffffffffu >> cfg->backend.prefix_len, h = ntohl(b->addr);

			if ((h & hm) == 0 || (h & hm) == hm)
				VFAIL(path, "address %s is the network or broadcast address of the "
				      "backend interface's /%u", aces_ip_str(b->addr, a, sizeof(a)),
				      cfg->backend.prefix_len);
		}
		if (!cfg->backend.has_gateway &&
		    !aces_config_in_subnet(b->addr, cfg->backend.addr, cfg->backend.prefix_len))
			VFAIL(path, "address %s is not on the backend interface's subnet and "
			      "interfaces.backend has no gateway", aces_ip_str(b->addr, a, sizeof(a)));
	}

	for (i = 0; i < cfg->n_endpoints; i++) {
		const struct aces_cfg_endpoint *ep = &cfg->endpoints[i];

		snprintf(path, sizeof(path), "endpoints[%u]", i);
		for (j = 0; j < i; j++) {
			const struct aces_cfg_endpoint *o = &cfg->endpoints[j];

			if (strcmp(o->name, ep->name) == 0)
				VFAIL(path, "name \"%s\" is already used by endpoints[%u]",
				      ep->name, j);
			if (same_tel_key(o->name, ep->name))
				VFAIL(path, "name \"%s\" clashes with endpoint \"%s\" ('-' and '.' "
				      "read as '_' in telemetry keys)", ep->name, o->name);
			if (o->vip == ep->vip && o->port == ep->port && o->proto == ep->proto)
				VFAIL(path, "%s:%u/%s is already served by endpoint \"%s\"",
				      aces_ip_str(ep->vip, a, sizeof(a)), ep->port,
				      aces_proto_name(ep->proto), o->name);
		}
		for (j = 0; j < cfg->n_backends; j++)
			if (cfg->backends[j].addr == ep->vip)
				VFAIL(path, "vip %s is the address of backend \"%s\"",
				      aces_ip_str(ep->vip, a, sizeof(a)), cfg->backends[j].name);
		if (ep->vip == cfg->backend.addr && cfg->backend.addr != cfg->client.addr)
			VFAIL(path, "vip %s is the backend interface's address",
			      aces_ip_str(ep->vip, a, sizeof(a)));
		for (j = 0; j < ep->n_deps; j++)
			if (ep->deps[j] >= cfg->n_endpoints || ep->deps[j] == i)
				VFAIL(path, "depends_on[%u] is not another endpoint", j);
	}

	colour = calloc(cfg->n_endpoints + 1, 1);
	stack = calloc(cfg->n_endpoints + 1, sizeof(*stack));
	if (colour == NULL || stack == NULL) {
		free(colour);
		free(stack);
		VFAIL("endpoints", "out of memory");
	}
	for (i = 0; i < cfg->n_endpoints && rc == 0; i++)
		if (colour[i] == 0)
			rc = find_cycle(cfg, i, colour, stack, 0, err, errlen);
	free(colour);
	free(stack);
	if (rc != 0)
		return rc;

	for (i = 0; i < cfg->n_neighbors; i++) {
		const struct aces_cfg_neighbor *n = &cfg->neighbors[i];
		int used = (cfg->client.has_gateway && n->addr == cfg->client.gateway) ||
			   (cfg->backend.has_gateway && n->addr == cfg->backend.gateway);

		snprintf(path, sizeof(path), "neighbors[%u].address", i);
		for (j = 0; j < cfg->n_backends && !used; j++)
			used = cfg->backends[j].addr == n->addr;
		if (!used)
			VFAIL(path, "%s is neither a backend nor a gateway",
			      aces_ip_str(n->addr, a, sizeof(a)));
		for (j = 0; j < i; j++)
			if (cfg->neighbors[j].addr == n->addr)
				VFAIL(path, "%s is listed twice", aces_ip_str(n->addr, a, sizeof(a)));
	}
	if (cfg->flows.tcp_transitory_timeout_s > cfg->flows.tcp_established_timeout_s)
		VFAIL("flows.tcp_transitory_timeout_s", "%u is longer than "
		      "tcp_established_timeout_s (%u)", cfg->flows.tcp_transitory_timeout_s,
		      cfg->flows.tcp_established_timeout_s);
	return 0;
}
