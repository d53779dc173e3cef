/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_TELEMETRY_H
#define ACES_APP_TELEMETRY_H

/**
 * @file
 * The /aces/... telemetry commands (telemetry threads).
 *
 * Room app/telemetry; it may use: every room below it (tools/check_layers.py).
 */

#include "common/aces.h"

/* telemetry_cmds.c */
int aces_telemetry_init(void);
/** Refuse new requests and wait for running handlers (before state is freed). */
void aces_telemetry_fini(void);

#endif /* ACES_APP_TELEMETRY_H */
