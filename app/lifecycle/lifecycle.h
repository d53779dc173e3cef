/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_LIFECYCLE_H
#define ACES_APP_LIFECYCLE_H

/**
 * @file
 * Live reconfiguration and the state a restart hands to the next process.
 *
 * Room app/lifecycle; it may use: every room below it: common to routing (tools/check_layers.py).
 */

#include "common/aces.h"

/* state.c: what a restart hands to the next process */
/** Before the modules: read the state file, if any, and continue the manager clock. */
int aces_state_open(void);
/** After the modules, before the workers: flows, manager, health. Removes the file. */
int aces_state_apply(void);
/** At a clean stop, once the workers have stopped: write the state file. */
int aces_state_write(void);
/** Control loop: write the control state (no flows) within a second of a change. */
void aces_state_checkpoint(uint64_t now_ms);
/** Control loop: note when the first packet is forwarded after a take-over. */
void aces_state_watch_gap(void);

/* reload.c: live reconfiguration */
#include <pthread.h>
/** Telemetry handlers hold it for reading; a reload's swap for writing. */
extern pthread_rwlock_t aces_cfg_lock;
/** Set on a telemetry thread while its handler holds aces_cfg_lock for reading. */
extern __thread int aces_tel_read_held;
/** Make @rt the running configuration (its first n_*_live entries are the file's). */
void aces_config_install(struct aces_config *rt, uint32_t n_ep_live, uint32_t n_be_live);
void aces_config_uninstall(void);
/** The module table main.c starts (@n rows): a reload's swap asks each row to remap. */
void aces_reload_modules(const struct aces_module *m, unsigned int n);
/** Re-read --config and apply the difference (control lcore). 0, or -errno with @msg. */
int aces_reload(const char *why, char *msg, size_t len);
/** Every tick: drain deadlines of removed endpoints and backends. */
void aces_reload_tick(uint64_t now_ms);

#endif /* ACES_APP_LIFECYCLE_H */
