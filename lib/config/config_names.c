/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's leaf: errors that name their JSON path, the names of its enums and
 * lookups by name. Used by the loader (config.c) and the cross-field rules
 * (config_validate.c); it uses neither.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aces/pkt-t.h"
#include "config_pvt.h"

/*
 * Errors are one line whatever the file holds: in what a message echoes of it (keys,
 * values, jansson's syntax errors), control characters and bytes >= 0x80 are written as
 * escapes (\n, \t, \xNN).
 */
void
aces_config_escape(char *err, size_t errlen, const char *raw)
{
	size_t o = 0, i;

	for (i = 0; raw[i] != '\0' && o + 5 < errlen; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c >= 0x20 && c < 0x7f) {
			err[o++] = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			err[o++] = '\\';
			err[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else {
			o += (size_t)snprintf(err + o, errlen - o, "\\x%02x", c);
		}
	}
	err[o] = '\0';
}

void
aces_config_err(char *err, size_t errlen, const struct aces_config *cfg, const char *path,
		const char *fmt, ...)
{
	char raw[1024];
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = snprintf(raw, sizeof(raw), "%s: %s%s", cfg->source, path, path[0] != '\0' ? ": " : "");
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(raw)) {
		va_start(ap, fmt);
		vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	aces_config_escape(err, errlen, raw);
}

const char *
aces_side_name(enum aces_side s)
{
	return s == ACES_SIDE_ORIGINAL ? "original" :
	       s == ACES_SIDE_REPLACEMENT ? "replacement" : "?";
}

const char *const aces_cfg_prio_names[ACES_PRIO_MAX] = { "critical", "high", "medium", "low" };
const char *const aces_cfg_stateful_names[ACES_STATEFULNESS_MAX] = {
	"stateless", "session", "persistent"
};

const char *
aces_priority_name(enum aces_priority p)
{
	return (unsigned)p < ACES_PRIO_MAX ? aces_cfg_prio_names[p] : "?";
}

const char *
aces_statefulness_name(enum aces_statefulness s)
{
	return (unsigned)s < ACES_STATEFULNESS_MAX ? aces_cfg_stateful_names[s] : "?";
}

const char *
aces_proto_name(uint8_t proto)
{
	return proto == ACES_IPPROTO_TCP ? "tcp" : proto == ACES_IPPROTO_UDP ? "udp" : "?";
}

const char *const aces_cfg_drain_names[2] = { "keep", "reset" };
const char *const aces_cfg_idle_names[ACES_IDLE_MAX] = { "sleep", "busy" };

const char *
aces_idle_mode_name(enum aces_idle_mode m)
{
	return (unsigned)m < ACES_IDLE_MAX ? aces_cfg_idle_names[m] : "?";
}
const char *const aces_cfg_unit_names[ACES_LOAD_UNIT_MAX] = {
	"none", "pps", "bps", "new_flows_per_s", "active_flows"
};

const char *
aces_drain_action_name(enum aces_drain_action a)
{
	return (unsigned)a < 2 ? aces_cfg_drain_names[a] : "unset";
}

const char *
aces_load_unit_name(enum aces_load_unit u)
{
	return (unsigned)u < ACES_LOAD_UNIT_MAX ? aces_cfg_unit_names[u] : "?";
}

const char *
aces_ip_str(uint32_t addr, char *buf, size_t len)
{
	if (inet_ntop(AF_INET, &addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int
aces_config_endpoint_index(const struct aces_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_endpoints; i++)
		if (strcmp(cfg->endpoints[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
aces_config_backend_index(const struct aces_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return (int)i;
	return -1;
}
