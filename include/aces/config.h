/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CONFIG_H
#define ACES_CONFIG_H

#include <stddef.h>

#include "aces/config-t.h"

/**
 * Read and validate the configuration file at @p path.
 *
 * @return a config to release with aces_config_free(), or NULL with one line in
 * @p err: "<file>: <json.path>: <reason>" (or "<file>:<line>:<column>: <reason>"
 * for JSON syntax errors). Unknown keys are errors.
 */
struct aces_config *aces_config_load(const char *path, char *err, size_t errlen);

/** Same as aces_config_load() for a JSON text; @p label stands for the file name. */
struct aces_config *aces_config_parse(const char *text, const char *label, char *err,
				      size_t errlen);

/**
 * Cross-field checks (names, duplicates, dependencies and cycles, subnets).
 * Called by the loaders; exposed for configs built in code.
 * @return 0, or -EINVAL with the reason in @p err.
 */
int aces_config_validate(const struct aces_config *cfg, char *err, size_t errlen);

void aces_config_free(struct aces_config *cfg);

const char *aces_side_name(enum aces_side s);
const char *aces_priority_name(enum aces_priority p);
const char *aces_statefulness_name(enum aces_statefulness s);
const char *aces_proto_name(uint8_t proto);
const char *aces_drain_action_name(enum aces_drain_action a);
const char *aces_idle_mode_name(enum aces_idle_mode m);
const char *aces_load_unit_name(enum aces_load_unit u);

/** Format a network-order IPv4 address into @p buf (at least 16 bytes). */
const char *aces_ip_str(uint32_t addr, char *buf, size_t len);

/** 1 when @p addr is inside @p net_addr / @p prefix_len (all network order). */
int aces_config_in_subnet(uint32_t addr, uint32_t net_addr, uint8_t prefix_len);

/** Index of the endpoint named @p name, or -1. */
int aces_config_endpoint_index(const struct aces_config *cfg, const char *name);

/** Index of the backend named @p name, or -1. */
int aces_config_backend_index(const struct aces_config *cfg, const char *name);

#endif /* ACES_CONFIG_H */
