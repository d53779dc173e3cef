/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_CONTROL_H
#define ACES_APP_CONTROL_H

/**
 * @file
 * The control loop and the commands telemetry threads hand it.
 *
 * Room app/control; it may use: every room below it: common to lifecycle (tools/check_layers.py).
 */

#include "common/aces.h"

/* control.c: the control loop (what it runs is started by main.c's module table) */
void aces_control_loop(void);
/** A signal for the control lcore (async-signal-safe): SIGUSR2 starts a transition, SIGHUP
 * reloads the configuration; others are ignored. */
void aces_control_signal(int sig);

/* cmd.c */
/** Hand a command to the control lcore and wait for it (bounded). Telemetry threads only. */
int aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen);
/** Carry out a command (control lcore), publish what it changed, answer it. */
void aces_cmd_run(struct aces_cmd *cmd);
/** Answer the commands still queued as refused (shutdown). */
void aces_cmd_fini(void);

#endif /* ACES_APP_CONTROL_H */
