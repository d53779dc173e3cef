/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CONFIG_PVT_H
#define ACES_CONFIG_PVT_H

#include <stdarg.h>
#include <stddef.h>

#include "aces/config.h"

/* Write "<source>: <path>: <reason>" into err. */
void aces_config_err(char *err, size_t errlen, const struct aces_config *cfg, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

int aces_config_in_subnet(uint32_t addr, uint32_t net_addr, uint8_t prefix_len);

#endif /* ACES_CONFIG_PVT_H */
