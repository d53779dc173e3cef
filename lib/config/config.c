/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON -> struct aces_config. Every field is checked where it is read, so each
 * error names its JSON path; cross-field rules are in config_validate.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aces/pkt-t.h"
#include "aces/agentproto.h"
#include "config_pvt.h"

#define PATH_MAX_LEN 160
/* A loading context: where errors go. */
struct ld {
	struct aces_config *cfg;
	char *err;
	size_t errlen;
};

#define FAIL(ld, path, ...) do { \
		aces_config_err((ld)->err, (ld)->errlen, (ld)->cfg, (path), __VA_ARGS__); \
		return -EINVAL; \
	} while (0)

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Object at path with only the allowed keys. */
static int
check_object(struct ld *ld, const json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		FAIL(ld, path, "must be an object, not %s", json_type_name(obj));
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		const char *const *a;
		char sub[PATH_MAX_LEN];

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] != '\0' ? "." : "",
				 key[0] != '\0' ? key : "\"\"");
			FAIL(ld, sub, "unknown key");
		}
	}
	return 0;
}

static void
subpath(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
}

/* Integer member: required when dflt < 0. */
static int
get_uint(struct ld *ld, const json_t *obj, const char *path, const char *key, long long min,
	 long long max, long long dflt, uint32_t *out)
{
	char p[PATH_MAX_LEN];
	json_t *v = json_object_get(obj, key);
	long long x;

	subpath(p, sizeof(p), path, key);
	if (v == NULL) {
		if (dflt < 0)
			FAIL(ld, p, "is required");
		*out = (uint32_t)dflt;
		return 0;
	}
	if (!json_is_integer(v))
		FAIL(ld, p, "must be an integer, not %s", json_type_name(v));
	x = json_integer_value(v);
	if (x < min || x > max)
		FAIL(ld, p, "%lld is out of range %lld..%lld", x, min, max);
	*out = (uint32_t)x;
	return 0;
}

static int
get_string(struct ld *ld, const json_t *obj, const char *path, const char *key, int required,
	   const char **out)
{
	char p[PATH_MAX_LEN];
	json_t *v = json_object_get(obj, key);

	subpath(p, sizeof(p), path, key);
	*out = NULL;
	if (v == NULL) {
		if (required)
			FAIL(ld, p, "is required");
		return 0;
	}
	if (!json_is_string(v))
		FAIL(ld, p, "must be a string, not %s", json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

static int
get_enum(struct ld *ld, const json_t *obj, const char *path, const char *key,
	 const char *const *names, int n, int dflt, int *out)
{
	char p[PATH_MAX_LEN], list[128] = "";
	const char *s;
	int i;

	if (get_string(ld, obj, path, key, dflt < 0, &s) < 0)
		return -EINVAL;
	if (s == NULL) {
		*out = dflt;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
	}
	subpath(p, sizeof(p), path, key);
	FAIL(ld, p, "\"%s\" is not one of %s", s, list);
}

static int
parse_name(struct ld *ld, const char *path, const char *s, char *out)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= ACES_NAME_MAX)
		FAIL(ld, path, "must be 1 to %d characters", ACES_NAME_MAX - 1);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			FAIL(ld, path, "\"%s\" may hold only letters, digits, '_', '-' and '.'", s);
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* A unicast IPv4 address in dotted-quad form. */
static int
parse_ip(struct ld *ld, const char *path, const char *s, uint32_t *out)
{
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, s, &a) != 1)
		FAIL(ld, path, "\"%s\" is not an IPv4 address", s);
	h = ntohl(a.s_addr);
	/* 0.0.0.0/8 (this network), 127/8, 224/4 (multicast), 240/4 (reserved, broadcast) */
	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) == 0xe || (h >> 28) == 0xf)
		FAIL(ld, path, "\"%s\" is not a usable unicast address", s);
	*out = a.s_addr;
	return 0;
}

static int
get_ip(struct ld *ld, const json_t *obj, const char *path, const char *key, int required,
       uint32_t *out, int *present)
{
	char p[PATH_MAX_LEN];
	const char *s;

	if (get_string(ld, obj, path, key, required, &s) < 0)
		return -EINVAL;
	if (present != NULL)
		*present = s != NULL;
	if (s == NULL)
		return 0;
	subpath(p, sizeof(p), path, key);
	return parse_ip(ld, p, s, out);
}

/* routing.return_prefixes: ["A.B.C.D/L", ...], networks (no host bits), none twice. */
static int
load_return_prefixes(struct ld *ld, const json_t *arr, struct aces_cfg_routing *r)
{
	const char *path = "routing.return_prefixes";
	char p[PATH_MAX_LEN], buf[20];
	const json_t *e;
	size_t i, j;

	r->n_return = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		FAIL(ld, path, "must be an array of networks (like [\"10.20.0.0/16\"])");
	if (json_array_size(arr) > ACES_MAX_RETURN_PREFIXES)
		FAIL(ld, path, "has %zu entries, at most %d are supported", json_array_size(arr),
		     ACES_MAX_RETURN_PREFIXES);
	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(e), *slash;
		struct in_addr a;
		uint32_t mask;
		long pl = -1;
		char *end;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (s == NULL)
			FAIL(ld, p, "must be a string (a network like 10.20.0.0/16)");
		slash = strchr(s, '/');
		if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
			FAIL(ld, p, "\"%s\" is not a network like 10.20.0.0/16", s);
		memcpy(buf, s, (size_t)(slash - s));
		buf[slash - s] = '\0';
		if (inet_pton(AF_INET, buf, &a) != 1)
			FAIL(ld, p, "\"%s\" is not a network like 10.20.0.0/16", s);
		/* one or two digits, no sign, blank or leading zero (0 alone is the default route) */
		if (slash[1] >= '0' && slash[1] <= '9' &&
		    (slash[2] == '\0' || (slash[1] != '0' && slash[2] >= '0' && slash[2] <= '9' &&
					  slash[3] == '\0')))
			pl = strtol(slash + 1, &end, 10);
		if (pl < 0 || pl > 32)
			FAIL(ld, p, "prefix length \"%s\" is not 0..32", slash + 1);
		mask = pl == 0 ? 0 : htonl(~0u << (32 - pl));
		if ((a.s_addr & ~mask) != 0)
			FAIL(ld, p, "\"%s\" has host bits set (the network is %s/%ld?)", s,
			     inet_ntop(AF_INET, &(struct in_addr){ .s_addr = a.s_addr & mask }, buf,
				       sizeof(buf)), pl);
		for (j = 0; j < r->n_return; j++)
			if (r->return_addr[j] == a.s_addr && r->return_plen[j] == pl)
				FAIL(ld, p, "\"%s\" is listed twice", s);
		r->return_addr[r->n_return] = a.s_addr;
		r->return_plen[r->n_return] = (uint8_t)pl;
		r->n_return++;
	}
	return 0;
}

static int
load_iface(struct ld *ld, const json_t *root, const char *role, struct aces_cfg_iface *ifc)
{
	static const char *const keys[] = { "port", "address", "gateway", "mtu", "kernel", NULL };
	static const char *const kernel_keys[] = { "interface", "packets_per_s", NULL };
	char path[PATH_MAX_LEN], p[PATH_MAX_LEN], buf[64];
	const json_t *o = json_object_get(root, role);
	const char *s, *slash;
	uint32_t v;
	int present;
	char *end;
	long pl;

	snprintf(path, sizeof(path), "interfaces.%s", role);
	if (o == NULL)
		FAIL(ld, path, "is required");
	if (check_object(ld, o, path, keys) < 0)
		return -EINVAL;
	if (get_uint(ld, o, path, "port", 0, 31, -1, &v) < 0)
		return -EINVAL;
	ifc->port = (uint16_t)v;
	if (get_string(ld, o, path, "address", 1, &s) < 0)
		return -EINVAL;
	subpath(p, sizeof(p), path, "address");
	slash = strchr(s, '/');
	if (slash == NULL)
		FAIL(ld, p, "\"%s\" needs a prefix length (like 10.0.0.1/24)", s);
	if ((size_t)(slash - s) >= sizeof(buf))
		FAIL(ld, p, "\"%s\" is not an IPv4 address", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip(ld, p, buf, &ifc->addr) < 0)
		return -EINVAL;
	/* one or two digits, no sign, blank or leading zero */
	pl = -1;
	if (slash[1] >= '1' && slash[1] <= '9' &&
	    (slash[2] == '\0' || (slash[2] >= '0' && slash[2] <= '9' && slash[3] == '\0')))
		pl = strtol(slash + 1, &end, 10);
	if (pl < 1 || pl > 32)
		FAIL(ld, p, "prefix length \"%s\" is not 1..32", slash + 1);
	ifc->prefix_len = (uint8_t)pl;
	if (get_ip(ld, o, path, "gateway", 0, &ifc->gateway, &present) < 0)
		return -EINVAL;
	ifc->has_gateway = (uint8_t)present;
	/* 0: what the port reports. 576: the least an IPv4 host must take (RFC 791). */
	if (get_uint(ld, o, path, "mtu", 576, 9702, 0, &v) < 0)
		return -EINVAL;
	ifc->mtu = (uint16_t)v;
	/* the kernel path (issue #21): an interface the kernel sees on the port */
	ifc->kernel[0] = '\0';
	ifc->kernel_pps = 0;
	if (json_object_get(o, "kernel") != NULL) {
		const json_t *k = json_object_get(o, "kernel");
		size_t i, n;

		subpath(p, sizeof(p), path, "kernel");
		if (check_object(ld, k, p, kernel_keys) < 0 ||
		    get_string(ld, k, p, "interface", 1, &s) < 0)
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%s.interface", p);
		n = strlen(s);
		if (n == 0 || n >= ACES_IFNAME_MAX)
			FAIL(ld, buf, "\"%s\" must be 1..%d characters (a kernel interface name)",
			     s, ACES_IFNAME_MAX - 1);
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' &&
			    s[i] != '.')
				FAIL(ld, buf, "\"%s\" may hold only letters, digits, _ - .", s);
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			FAIL(ld, buf, "\"%s\" is no interface name", s);
		memcpy(ifc->kernel, s, n + 1);
		if (get_uint(ld, k, p, "packets_per_s", 10, 1000000, 10000, &ifc->kernel_pps) < 0)
			return -EINVAL;
	}
	return 0;
}

static int
load_side(struct ld *ld, const json_t *apps, enum aces_side side, uint32_t *n)
{
	static const char *const app_keys[] = { "backends", NULL };
	static const char *const be_keys[] = { "name", "address", "weight", NULL };
	const char *sname = aces_side_name(side);
	char path[PATH_MAX_LEN], bpath[PATH_MAX_LEN];
	const json_t *o = json_object_get(apps, sname), *arr, *b;
	size_t i;

	snprintf(path, sizeof(path), "applications.%s", sname);
	if (o == NULL)
		FAIL(ld, path, "is required");
	if (check_object(ld, o, path, app_keys) < 0)
		return -EINVAL;
	snprintf(bpath, sizeof(bpath), "%s.backends", path);
	arr = json_object_get(o, "backends");
	if (arr == NULL)
		FAIL(ld, bpath, "is required");
	if (!json_is_array(arr))
		FAIL(ld, bpath, "must be an array, not %s", json_type_name(arr));
	if (json_array_size(arr) == 0)
		FAIL(ld, bpath, "needs at least one backend");
	if (json_array_size(arr) > ACES_MAX_BACKENDS)
		FAIL(ld, bpath, "has %zu backends, at most %d are supported",
		     json_array_size(arr), ACES_MAX_BACKENDS);
	json_array_foreach(arr, i, b) {
		struct aces_cfg_backend *be = &ld->cfg->backends[*n];
		char p[PATH_MAX_LEN], np[PATH_MAX_LEN];
		const char *s;

		snprintf(p, sizeof(p), "%s[%zu]", bpath, i);
		if (check_object(ld, b, p, be_keys) < 0)
			return -EINVAL;
		if (get_string(ld, b, p, "name", 1, &s) < 0)
			return -EINVAL;
		subpath(np, sizeof(np), p, "name");
		if (parse_name(ld, np, s, be->name) < 0)
			return -EINVAL;
		if (get_ip(ld, b, p, "address", 1, &be->addr, NULL) < 0)
			return -EINVAL;
		if (get_uint(ld, b, p, "weight", 1, 1000, 1, &be->weight) < 0)
			return -EINVAL;
		be->side = side;
		(*n)++;
	}
	return 0;
}

static int
load_endpoint(struct ld *ld, const json_t *e, size_t idx, struct aces_cfg_endpoint *ep)
{
	static const char *const keys[] = { "name", "vip", "port", "protocol", "backend_port",
		"priority", "statefulness", "depends_on", "hooks", "drain_action", "drain_timeout_ms",
		"udp_probe", "migrate", NULL };
	static const char *const hook_keys[] = { "replicate", "release", "timeout_ms", NULL };
	static const char *const protos[] = { "tcp", "udp" };
	const json_t *hooks;
	char p[PATH_MAX_LEN], np[PATH_MAX_LEN];
	const char *s;
	uint32_t v;
	int x;

	snprintf(p, sizeof(p), "endpoints[%zu]", idx);
	if (check_object(ld, e, p, keys) < 0)
		return -EINVAL;
	if (get_string(ld, e, p, "name", 1, &s) < 0)
		return -EINVAL;
	subpath(np, sizeof(np), p, "name");
	if (parse_name(ld, np, s, ep->name) < 0)
		return -EINVAL;
	if (get_ip(ld, e, p, "vip", 1, &ep->vip, NULL) < 0)
		return -EINVAL;
	if (get_uint(ld, e, p, "port", 1, 65535, -1, &v) < 0)
		return -EINVAL;
	ep->port = (uint16_t)v;
	if (get_uint(ld, e, p, "backend_port", 1, 65535, ep->port, &v) < 0)
		return -EINVAL;
	ep->backend_port = (uint16_t)v;
	if (get_enum(ld, e, p, "protocol", protos, 2, -1, &x) < 0)
		return -EINVAL;
	ep->proto = x == 0 ? ACES_IPPROTO_TCP : ACES_IPPROTO_UDP;
	if (get_enum(ld, e, p, "priority", aces_cfg_prio_names, ACES_PRIO_MAX, ACES_PRIO_MEDIUM, &x) < 0)
		return -EINVAL;
	ep->priority = (enum aces_priority)x;
	if (get_enum(ld, e, p, "statefulness", aces_cfg_stateful_names, ACES_STATEFULNESS_MAX,
		     ACES_STATELESS, &x) < 0)
		return -EINVAL;
	ep->statefulness = (enum aces_statefulness)x;
	if (get_enum(ld, e, p, "drain_action", aces_cfg_drain_names, 2, ACES_DRAIN_UNSET, &x) < 0)
		return -EINVAL;
	ep->drain_action = (enum aces_drain_action)x;
	if (ep->drain_action == ACES_DRAIN_UNSET && ep->statefulness == ACES_PERSISTENT) {
		subpath(np, sizeof(np), p, "drain_action");
		FAIL(ld, np, "is required for a persistent endpoint (\"reset\" or \"keep\")");
	}
	if (ep->drain_action == ACES_DRAIN_UNSET)
		ep->drain_action = ACES_DRAIN_KEEP;
	/* UINT32_MAX marks "use the manager's"; resolved once the manager is read */
	if (get_uint(ld, e, p, "drain_timeout_ms", 0, 86400000, UINT32_MAX, &ep->drain_timeout_ms) < 0)
		return -EINVAL;
	{
		const char *pl;

		if (get_string(ld, e, p, "udp_probe", 0, &pl) < 0)
			return -EINVAL;
		if (pl != NULL) {
			subpath(np, sizeof(np), p, "udp_probe");
			if (ep->proto != ACES_IPPROTO_UDP)
				FAIL(ld, np, "only UDP endpoints take a udp_probe");
			if (pl[0] == '\0' || strlen(pl) > 512)
				FAIL(ld, np, "must be a payload of 1 to 512 characters");
			ep->udp_probe = strdup(pl);
			if (ep->udp_probe == NULL)
				FAIL(ld, np, "out of memory");
		}
	}
	{
		const json_t *mg = json_object_get(e, "migrate");

		subpath(np, sizeof(np), p, "migrate");
		if (mg != NULL && !json_is_boolean(mg))
			FAIL(ld, np, "must be true or false, not %s", json_type_name(mg));
		ep->migrate = mg != NULL && json_is_true(mg);
		if (ep->migrate && ep->proto != ACES_IPPROTO_TCP)
			FAIL(ld, np, "only TCP connections can be moved");
		if (ep->migrate && ep->statefulness == ACES_STATELESS)
			FAIL(ld, np, "is for session and persistent endpoints (a stateless one's "
			     "flows are not worth moving)");
	}
	hooks = json_object_get(e, "hooks");
	if (hooks != NULL) {
		char hp[PATH_MAX_LEN];
		const char *cmd;
		int k;

		subpath(hp, sizeof(hp), p, "hooks");
		if (check_object(ld, hooks, hp, hook_keys) < 0 ||
		    get_uint(ld, hooks, hp, "timeout_ms", 100, 86400000, UINT32_MAX,
			     &ep->hook_timeout_ms) < 0)
			return -EINVAL;
		for (k = 0; k < 2; k++) {
			char **dst = k == 0 ? &ep->hook_replicate : &ep->hook_release;
			char kp[PATH_MAX_LEN];

			if (get_string(ld, hooks, hp, hook_keys[k], 0, &cmd) < 0)
				return -EINVAL;
			if (cmd == NULL)
				continue;
			subpath(kp, sizeof(kp), hp, hook_keys[k]);
			if (cmd[0] == '\0' || strlen(cmd) >= ACES_HOOK_CMD_MAX)
				FAIL(ld, kp, "must be a command of 1 to %d characters", ACES_HOOK_CMD_MAX - 1);
			*dst = strdup(cmd);
			if (*dst == NULL)
				FAIL(ld, kp, "out of memory");
		}
		if (ep->hook_replicate != NULL && ep->statefulness == ACES_STATELESS)
			FAIL(ld, hp, "a replicate hook needs a stateful endpoint (session or "
			     "persistent)");
	}
	return 0;
}

/* depends_on needs every name loaded first. */
static int
load_deps(struct ld *ld, const json_t *e, size_t idx, struct aces_cfg_endpoint *ep)
{
	char p[PATH_MAX_LEN], dp[PATH_MAX_LEN];
	const json_t *arr = json_object_get(e, "depends_on"), *d;
	size_t j, k;

	snprintf(p, sizeof(p), "endpoints[%zu].depends_on", idx);
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		FAIL(ld, p, "must be an array of endpoint names, not %s", json_type_name(arr));
	if (json_array_size(arr) > ACES_MAX_DEPS)
		FAIL(ld, p, "has %zu entries, at most %d are supported", json_array_size(arr),
		     ACES_MAX_DEPS);
	json_array_foreach(arr, j, d) {
		int di;

		snprintf(dp, sizeof(dp), "%s[%zu]", p, j);
		if (!json_is_string(d))
			FAIL(ld, dp, "must be a string, not %s", json_type_name(d));
		di = aces_config_endpoint_index(ld->cfg, json_string_value(d));
		if (di < 0)
			FAIL(ld, dp, "\"%s\" is not the name of an endpoint",
			     json_string_value(d));
		if ((size_t)di == idx)
			FAIL(ld, dp, "\"%s\" depends on itself", ep->name);
		for (k = 0; k < ep->n_deps; k++)
			if (ep->deps[k] == di)
				FAIL(ld, dp, "\"%s\" is listed twice", json_string_value(d));
		ep->deps[ep->n_deps++] = (uint16_t)di;
	}
	return 0;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Exactly six pairs of hex digits separated by ':' (no signs, blanks, or "0x"). */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[i * 3]);
		lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
load_neighbors(struct ld *ld, const json_t *arr)
{
	static const char *const keys[] = { "address", "mac", NULL };
	const json_t *n;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		FAIL(ld, "neighbors", "must be an array, not %s", json_type_name(arr));
	if (json_array_size(arr) > ACES_MAX_NEIGHBORS)
		FAIL(ld, "neighbors", "has %zu entries, at most %d are supported",
		     json_array_size(arr), ACES_MAX_NEIGHBORS);
	ld->cfg->neighbors = calloc(json_array_size(arr) + 1, sizeof(*ld->cfg->neighbors));
	if (ld->cfg->neighbors == NULL)
		FAIL(ld, "neighbors", "out of memory");
	json_array_foreach(arr, i, n) {
		struct aces_cfg_neighbor *nb = &ld->cfg->neighbors[i];
		char p[PATH_MAX_LEN], mp[PATH_MAX_LEN];
		const char *s;

		snprintf(p, sizeof(p), "neighbors[%zu]", i);
		if (check_object(ld, n, p, keys) < 0)
			return -EINVAL;
		if (get_ip(ld, n, p, "address", 1, &nb->addr, NULL) < 0)
			return -EINVAL;
		if (get_string(ld, n, p, "mac", 1, &s) < 0)
			return -EINVAL;
		subpath(mp, sizeof(mp), p, "mac");
		if (parse_mac(s, nb->mac) < 0)
			FAIL(ld, mp, "\"%s\" is not a MAC address like 02:00:00:00:00:01", s);
		if ((nb->mac[0] & 1) != 0 ||
		    (nb->mac[0] | nb->mac[1] | nb->mac[2] | nb->mac[3] | nb->mac[4] | nb->mac[5]) == 0)
			FAIL(ld, mp, "\"%s\" is not a unicast MAC address", s);
		ld->cfg->n_neighbors++;
	}
	return 0;
}

static int
load_manager(struct ld *ld, const json_t *o)
{
	static const char *const keys[] = { "tick_ms", "replacement_capacity", "step_percent",
		"step_interval_ms", "low_activity_pps", "low_activity_window_ms", "max_wait_ms",
		"state_timeout_ms", "drain_timeout_ms", "health", NULL };
	static const char *const hkeys[] = { "probe_interval_ms", "probe_timeout_ms", "fall",
		"rise", "syn_timeout_ms", "passive_fall", "window_ms", "max_handshake_ms",
		"max_failure_percent", "min_samples", "max_cpu_percent", "cooldown_ms",
		"max_reshards_per_minute", "on_backend_down", "rescue_syn", "probe", NULL };
	struct aces_cfg_manager *m = &ld->cfg->manager;
	struct aces_cfg_health *hc = &m->health;
	const json_t *h;
	json_t *hdflt = NULL;
	const json_t *cap;
	uint32_t v;
	json_t *dflt = NULL;
	int rc = -EINVAL;

	if (o == NULL)
		o = dflt = json_object();
	else if (check_object(ld, o, "manager", keys) < 0)
		return -EINVAL;
	if (get_uint(ld, o, "manager", "tick_ms", 10, 1000, 100, &m->tick_ms) < 0 ||
	    get_uint(ld, o, "manager", "step_percent", 1, 100, 20, &m->step_percent) < 0 ||
	    get_uint(ld, o, "manager", "step_interval_ms", 10, 3600000, 1000,
		     &m->step_interval_ms) < 0 ||
	    get_uint(ld, o, "manager", "low_activity_pps", 0, 1000000000, 50, &v) < 0)
		goto out;
	m->low_activity_pps = v;
	if (get_uint(ld, o, "manager", "low_activity_window_ms", 0, 3600000, 2000,
		     &m->low_activity_window_ms) < 0 ||
	    get_uint(ld, o, "manager", "max_wait_ms", 0, 86400000, 30000, &m->max_wait_ms) < 0 ||
	    get_uint(ld, o, "manager", "state_timeout_ms", 100, 86400000, 60000,
		     &m->state_timeout_ms) < 0 ||
	    get_uint(ld, o, "manager", "drain_timeout_ms", 0, 86400000, 30000,
		     &m->drain_timeout_ms) < 0)
		goto out;
	cap = json_object_get(o, "replacement_capacity");
	m->capacity_unit = ACES_LOAD_NONE;
	if (cap != NULL) {
		static const char *const cap_keys[] = { "pps", "bps", "new_flows_per_s",
			"active_flows", NULL };
		const char *key;
		json_t *val;
		int k;

		if (check_object(ld, cap, "manager.replacement_capacity", cap_keys) < 0)
			goto out;
		if (json_object_size(cap) != 1) {
			aces_config_err(ld->err, ld->errlen, ld->cfg, "manager.replacement_capacity",
					"needs exactly one of pps, bps, new_flows_per_s, active_flows");
			goto out;
		}
		json_object_foreach((json_t *)(uintptr_t)cap, key, val) {
			char p[PATH_MAX_LEN];

			snprintf(p, sizeof(p), "manager.replacement_capacity.%s", key);
			if (!json_is_integer(val) || json_integer_value(val) < 1) {
				aces_config_err(ld->err, ld->errlen, ld->cfg, p,
						"must be a positive integer");
				goto out;
			}
			m->capacity = (uint64_t)json_integer_value(val);
			for (k = 1; k < ACES_LOAD_UNIT_MAX; k++)
				if (strcmp(key, aces_cfg_unit_names[k]) == 0)
					m->capacity_unit = (enum aces_load_unit)k;
		}
	}
	h = json_object_get(o, "health");
	if (h == NULL)
		h = hdflt = json_object();
	else if (check_object(ld, h, "manager.health", hkeys) < 0)
		goto out;
	{
		const char *P = "manager.health";
		int x;

		if (get_uint(ld, h, P, "probe_interval_ms", 10, 60000, 200, &hc->probe_interval_ms) < 0 ||
		    get_uint(ld, h, P, "probe_timeout_ms", 10, 60000, 200, &hc->probe_timeout_ms) < 0 ||
		    get_uint(ld, h, P, "fall", 1, 100, 3, &hc->fall) < 0 ||
		    get_uint(ld, h, P, "rise", 1, 100, 2, &hc->rise) < 0 ||
		    get_uint(ld, h, P, "syn_timeout_ms", 10, 60000, 300, &hc->syn_timeout_ms) < 0 ||
		    get_uint(ld, h, P, "passive_fall", 0, 100000, 3, &hc->passive_fall) < 0 ||
		    get_uint(ld, h, P, "window_ms", 100, 600000, 1000, &hc->window_ms) < 0 ||
		    get_uint(ld, h, P, "max_handshake_ms", 1, 600000, 50, &hc->max_handshake_ms) < 0 ||
		    get_uint(ld, h, P, "max_failure_percent", 0, 100, 5, &hc->max_failure_percent) < 0 ||
		    get_uint(ld, h, P, "min_samples", 1, 1000000, 10, &hc->min_samples) < 0 ||
		    get_uint(ld, h, P, "max_cpu_percent", 1, 100, 90, &hc->max_cpu_percent) < 0 ||
		    get_uint(ld, h, P, "cooldown_ms", 0, 3600000, 5000, &hc->cooldown_ms) < 0 ||
		    get_uint(ld, h, P, "max_reshards_per_minute", 1, 1000, 4,
			     &hc->max_reshards_per_minute) < 0 ||
		    get_enum(ld, h, P, "on_backend_down", aces_cfg_drain_names, 2, ACES_DRAIN_RESET, &x) < 0)
			goto out;
		hc->on_backend_down = (enum aces_drain_action)x;
		for (x = 0; x < 2; x++) {
			const char *key = x == 0 ? "rescue_syn" : "probe";
			const json_t *bv = json_object_get(h, key);
			char bp[PATH_MAX_LEN];

			snprintf(bp, sizeof(bp), "manager.health.%s", key);
			if (bv != NULL && !json_is_boolean(bv)) {
				aces_config_err(ld->err, ld->errlen, ld->cfg, bp,
						"must be true or false, not %s", json_type_name(bv));
				goto out;
			}
			if (x == 0)
				hc->rescue_syn = bv == NULL || json_is_true(bv);
			else
				hc->probe = bv == NULL || json_is_true(bv);
		}
		if (hc->probe_timeout_ms > hc->probe_interval_ms) {
			aces_config_err(ld->err, ld->errlen, ld->cfg, "manager.health.probe_timeout_ms",
					"%u is longer than probe_interval_ms (%u)",
					hc->probe_timeout_ms, hc->probe_interval_ms);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(hdflt);
	json_decref(dflt);
	return rc;
}

static int
load_agents(struct ld *ld, const json_t *o)
{
	static const char *const keys[] = { "port", "secret_file", "moves_per_s", "concurrency",
		"move_timeout_ms", NULL };
	struct aces_cfg_agents *a = &ld->cfg->agents;
	char err[300];
	const char *sf;
	uint32_t v;
	size_t i;
	int n;

	if (o == NULL) {
		for (i = 0; i < ld->cfg->n_endpoints; i++) {
			if (ld->cfg->endpoints[i].migrate) {
				char p[PATH_MAX_LEN];

				snprintf(p, sizeof(p), "endpoints[%zu].migrate", i);
				FAIL(ld, p, "needs the \"agents\" section (their port and secret)");
			}
		}
		return 0;
	}
	if (check_object(ld, o, "agents", keys) < 0 ||
	    get_uint(ld, o, "agents", "port", 1, 65535, -1, &v) < 0)
		return -EINVAL;
	a->port = (uint16_t)v;
	if (get_string(ld, o, "agents", "secret_file", 1, &sf) < 0)
		return -EINVAL;
	if (strlen(sf) >= sizeof(a->secret_file))
		FAIL(ld, "agents.secret_file", "a path of at most %zu characters",
		     sizeof(a->secret_file) - 1);
	snprintf(a->secret_file, sizeof(a->secret_file), "%s", sf);
	n = aces_ap_secret_load(sf, a->secret, sizeof(a->secret), err, sizeof(err));
	if (n < 0)
		FAIL(ld, "agents.secret_file", "%s", err);
	a->secret_len = (uint32_t)n;
	if (get_uint(ld, o, "agents", "moves_per_s", 1, 100000, 1000, &a->moves_per_s) < 0 ||
	    get_uint(ld, o, "agents", "concurrency", 1, 1024, 32, &a->concurrency) < 0 ||
	    get_uint(ld, o, "agents", "move_timeout_ms", 10, 60000, 2000, &a->move_timeout_ms) < 0)
		return -EINVAL;
	a->enabled = 1;
	return 0;
}

/* Optional section @name of @root, its keys checked: a reference the caller drops, an empty
 * object when absent (every key takes its default), NULL on an error (set in @ld). */
static const json_t *
section(struct ld *ld, const json_t *root, const char *name, const char *const *keys)
{
	const json_t *o = json_object_get(root, name);

	if (o == NULL) {
		o = json_object();
		if (o == NULL)
			aces_config_err(ld->err, ld->errlen, ld->cfg, name, "out of memory");
		return o;
	}
	if (check_object(ld, o, name, keys) < 0)
		return NULL;
	json_incref((json_t *)(uintptr_t)o);
	return o;
}

static int
load_root(struct ld *ld, const json_t *root)
{
	static const char *const root_keys[] = { "interfaces", "applications", "endpoints",
		"flows", "neighbors", "manager", "agents", "ip", "workers", "routing", NULL };
	static const char *const ifc_keys[] = { "client", "backend", NULL };
	static const char *const app_keys[] = { "original", "replacement", NULL };
	static const char *const flow_keys[] = { "capacity", "tcp_established_timeout_s",
		"tcp_transitory_timeout_s", "udp_timeout_s", "overload_new_flows", NULL };
	static const char *const ip_keys[] = { "icmp_errors_per_s", "reassembly_max",
		"reassembly_timeout_ms", NULL };
	static const char *const wk_keys[] = { "idle", "idle_sleep_max_us", NULL };
	static const char *const rt_keys[] = { "table", "drain_quiet_ms", "drain_timeout_ms",
		"return_prefixes", NULL };
	struct aces_config *cfg = ld->cfg;
	const json_t *o, *arr, *e;
	size_t i, nb = 0;
	uint32_t n = 0;

	if (check_object(ld, root, "", root_keys) < 0)
		return -EINVAL;

	o = json_object_get(root, "interfaces");
	if (o == NULL)
		FAIL(ld, "interfaces", "is required");
	if (check_object(ld, o, "interfaces", ifc_keys) < 0 ||
	    load_iface(ld, o, "client", &cfg->client) < 0 ||
	    load_iface(ld, o, "backend", &cfg->backend) < 0)
		return -EINVAL;

	o = json_object_get(root, "applications");
	if (o == NULL)
		FAIL(ld, "applications", "is required");
	if (check_object(ld, o, "applications", app_keys) < 0)
		return -EINVAL;
	for (i = 0; i < ACES_SIDE_MAX; i++) {
		const json_t *side = json_object_get(o, aces_side_name((enum aces_side)i));
		const json_t *b = json_is_object(side) ? json_object_get(side, "backends") : NULL;

		if (json_is_array(b))
			nb += json_array_size(b);
	}
	cfg->backends = calloc(nb + 1, sizeof(*cfg->backends));
	if (cfg->backends == NULL)
		FAIL(ld, "applications", "out of memory");
	if (load_side(ld, o, ACES_SIDE_ORIGINAL, &n) < 0 ||
	    load_side(ld, o, ACES_SIDE_REPLACEMENT, &n) < 0)
		return -EINVAL;
	cfg->n_backends = n;

	arr = json_object_get(root, "endpoints");
	if (arr == NULL)
		FAIL(ld, "endpoints", "is required");
	if (!json_is_array(arr))
		FAIL(ld, "endpoints", "must be an array, not %s", json_type_name(arr));
	if (json_array_size(arr) == 0)
		FAIL(ld, "endpoints", "needs at least one endpoint");
	if (json_array_size(arr) > ACES_MAX_ENDPOINTS)
		FAIL(ld, "endpoints", "has %zu endpoints, at most %d are supported",
		     json_array_size(arr), ACES_MAX_ENDPOINTS);
	cfg->endpoints = calloc(json_array_size(arr), sizeof(*cfg->endpoints));
	if (cfg->endpoints == NULL)
		FAIL(ld, "endpoints", "out of memory");
	json_array_foreach(arr, i, e) {
		cfg->n_endpoints++;	/* counted first: aces_config_free() releases its hooks */
		if (load_endpoint(ld, e, i, &cfg->endpoints[i]) < 0)
			return -EINVAL;
	}
	/* Names must be unique before depends_on can be resolved by name. */
	for (i = 0; i < cfg->n_endpoints; i++) {
		int first = aces_config_endpoint_index(cfg, cfg->endpoints[i].name);
		char p[PATH_MAX_LEN];

		if ((size_t)first != i) {
			snprintf(p, sizeof(p), "endpoints[%zu].name", i);
			FAIL(ld, p, "\"%s\" is already the name of endpoints[%d]",
			     cfg->endpoints[i].name, first);
		}
	}
	json_array_foreach(arr, i, e)
		if (load_deps(ld, e, i, &cfg->endpoints[i]) < 0)
			return -EINVAL;

	o = section(ld, root, "flows", flow_keys);	/* absent: all defaults */
	if (o == NULL)
		return -EINVAL;
	if (get_uint(ld, o, "flows", "capacity", ACES_FLOWS_MIN, ACES_FLOWS_MAX, 1048576,
		     &cfg->flows.capacity) < 0 ||
	    get_uint(ld, o, "flows", "tcp_established_timeout_s", 1, 7 * 86400, 7200,
		     &cfg->flows.tcp_established_timeout_s) < 0 ||
	    get_uint(ld, o, "flows", "tcp_transitory_timeout_s", 1, 3600, 30,
		     &cfg->flows.tcp_transitory_timeout_s) < 0 ||
	    get_uint(ld, o, "flows", "udp_timeout_s", 1, 86400, 60,
		     &cfg->flows.udp_timeout_s) < 0 ||
	    get_uint(ld, o, "flows", "overload_new_flows", 1, 32, 4,
		     &cfg->flows.overload_new_flows) < 0) {
		json_decref((json_t *)(uintptr_t)o);
		return -EINVAL;
	}
	json_decref((json_t *)(uintptr_t)o);

	o = section(ld, root, "ip", ip_keys);	/* absent: all defaults */
	if (o == NULL)
		return -EINVAL;
	if (get_uint(ld, o, "ip", "icmp_errors_per_s", 0, 1000000, 1000,
		     &cfg->ip.icmp_errors_per_s) < 0 ||
	    get_uint(ld, o, "ip", "reassembly_max", 0, 65536, 1024, &cfg->ip.reassembly_max) < 0 ||
	    get_uint(ld, o, "ip", "reassembly_timeout_ms", 10, 30000, 1000,
		     &cfg->ip.reassembly_timeout_ms) < 0) {
		json_decref((json_t *)(uintptr_t)o);
		return -EINVAL;
	}
	json_decref((json_t *)(uintptr_t)o);

	o = section(ld, root, "workers", wk_keys);	/* absent: all defaults */
	if (o == NULL)
		return -EINVAL;
	{
		int x = ACES_IDLE_SLEEP;

		if (get_enum(ld, o, "workers", "idle", aces_cfg_idle_names, ACES_IDLE_MAX,
			     ACES_IDLE_SLEEP, &x) < 0 ||
		    get_uint(ld, o, "workers", "idle_sleep_max_us", 10, 100000, 1000,
			     &cfg->workers.idle_sleep_max_us) < 0) {
			json_decref((json_t *)(uintptr_t)o);
			return -EINVAL;
		}
		cfg->workers.idle = (enum aces_idle_mode)x;
	}
	json_decref((json_t *)(uintptr_t)o);

	if (json_object_get(root, "routing") != NULL) {
		o = section(ld, root, "routing", rt_keys);
		if (o == NULL)
			return -EINVAL;
		if (get_uint(ld, o, "routing", "table", 1, UINT32_MAX, -1,
			     &cfg->routing.table) < 0 ||
		    get_uint(ld, o, "routing", "drain_quiet_ms", 100, 60000, 1000,
			     &cfg->routing.drain_quiet_ms) < 0 ||
		    get_uint(ld, o, "routing", "drain_timeout_ms", 100, 600000, 10000,
			     &cfg->routing.drain_timeout_ms) < 0) {
			json_decref((json_t *)(uintptr_t)o);
			return -EINVAL;
		}
		if (load_return_prefixes(ld, json_object_get(o, "return_prefixes"),
					 &cfg->routing) < 0) {
			json_decref((json_t *)(uintptr_t)o);
			return -EINVAL;
		}
		json_decref((json_t *)(uintptr_t)o);
		/* 253..255: the kernel's default, main and local tables, which it forwards by */
		if (cfg->routing.table >= 253 && cfg->routing.table <= 255)
			FAIL(ld, "routing.table", "%u is one of the kernel's own tables (default, "
			     "main, local): take a table of its own, which nothing forwards by",
			     cfg->routing.table);
		if (cfg->routing.drain_quiet_ms > cfg->routing.drain_timeout_ms)
			FAIL(ld, "routing.drain_quiet_ms", "%u is longer than drain_timeout_ms (%u)",
			     cfg->routing.drain_quiet_ms, cfg->routing.drain_timeout_ms);
		cfg->routing.enabled = 1;
	}

	if (load_manager(ld, json_object_get(root, "manager")) < 0 ||
	    load_agents(ld, json_object_get(root, "agents")) < 0)
		return -EINVAL;
	for (i = 0; i < cfg->n_endpoints; i++) {
		if (cfg->endpoints[i].drain_timeout_ms == UINT32_MAX)
			cfg->endpoints[i].drain_timeout_ms = cfg->manager.drain_timeout_ms;
		if (cfg->endpoints[i].hook_timeout_ms == UINT32_MAX || cfg->endpoints[i].hook_timeout_ms == 0)
			cfg->endpoints[i].hook_timeout_ms = cfg->manager.state_timeout_ms;
	}
	return load_neighbors(ld, json_object_get(root, "neighbors"));
}

struct aces_config *
aces_config_parse(const char *text, const char *label, char *err, size_t errlen)
{
	struct aces_config *cfg = calloc(1, sizeof(*cfg));
	struct ld ld = { .cfg = cfg, .err = err, .errlen = errlen };
	json_error_t jerr;
	json_t *root;
	int rc;

	if (cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", label);
		return NULL;
	}
	snprintf(cfg->source, sizeof(cfg->source), "%s", label);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		char raw[512];

		snprintf(raw, sizeof(raw), "%s:%d:%d: %s", label, jerr.line, jerr.column, jerr.text);
		aces_config_escape(err, errlen, raw);
		free(cfg);
		return NULL;
	}
	rc = load_root(&ld, root);
	json_decref(root);
	if (rc == 0)
		rc = aces_config_validate(cfg, err, errlen);
	if (rc != 0) {
		aces_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct aces_config *
aces_config_load(const char *path, char *err, size_t errlen)
{
	struct aces_config *cfg;
	FILE *f = fopen(path, "rb");
	char *text;
	long sz;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (sz > 16 * 1024 * 1024) {
		snprintf(err, errlen, "%s: file is larger than 16 MiB", path);
		fclose(f);
		return NULL;
	}
	text = malloc((size_t)sz + 1);
	if (text == NULL || fread(text, 1, (size_t)sz, f) != (size_t)sz) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 text == NULL ? "out of memory" : "short read");
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	text[sz] = '\0';
	if (strlen(text) != (size_t)sz) {
		snprintf(err, errlen, "%s: file contains a NUL byte", path);
		free(text);
		return NULL;
	}
	cfg = aces_config_parse(text, path, err, errlen);
	free(text);
	return cfg;
}

void
aces_config_free(struct aces_config *cfg)
{
	uint32_t i;

	if (cfg == NULL)
		return;
	for (i = 0; cfg->endpoints != NULL && i < cfg->n_endpoints; i++) {
		free(cfg->endpoints[i].hook_replicate);
		free(cfg->endpoints[i].hook_release);
		free(cfg->endpoints[i].udp_probe);
	}
	free(cfg->backends);
	free(cfg->endpoints);
	free(cfg->neighbors);
	free(cfg);
}
