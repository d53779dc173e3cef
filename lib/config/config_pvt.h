/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CONFIG_PVT_H
#define ACES_CONFIG_PVT_H

#include <stdarg.h>
#include <stddef.h>

#include "aces/config.h"

/* Write "<source>: <path>: <reason>" into err. */
void aces_config_err(char *err, size_t errlen, const struct aces_config *cfg, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Write @raw into @err as one line: control characters and bytes >= 0x80 as escapes. */
void aces_config_escape(char *err, size_t errlen, const char *raw);

/* The names of the enums a file spells (config_names.c). */
extern const char *const aces_cfg_prio_names[ACES_PRIO_MAX];
extern const char *const aces_cfg_stateful_names[ACES_STATEFULNESS_MAX];
extern const char *const aces_cfg_drain_names[2];
extern const char *const aces_cfg_idle_names[ACES_IDLE_MAX];
extern const char *const aces_cfg_unit_names[ACES_LOAD_UNIT_MAX];

int aces_config_in_subnet(uint32_t addr, uint32_t net_addr, uint8_t prefix_len);

#endif /* ACES_CONFIG_PVT_H */
