/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_HEALTH_H
#define ACES_APP_HEALTH_H

/**
 * @file
 * Backend health: probes, passive signals from the workers, backend states.
 *
 * Room app/health; it may use: common, net, datapath (tools/check_layers.py).
 */

#include "common/aces.h"

/* health_mon.c: probes, backend states, passive signals */
struct aces_pkt;
struct aces_mgr_input;
int aces_health_init(void);
void aces_health_fini(void);
/** Telemetry records of worker @w: passive health of an endpoint side, of a backend,
 * an endpoint side's handshake histogram. */
void aces_health_rec_ep(unsigned int w, const struct aces_tmsg *r);
void aces_health_rec_be(unsigned int w, const struct aces_tmsg *r);
void aces_health_rec_hist(unsigned int w, const struct aces_tmsg *r);
/** Backends that are down (1), and in @gen a number that changes whenever they do. */
const uint8_t *aces_health_down(uint64_t *gen);
/** A frame to an own address: 0 when it was a probe's answer (consumed). */
int aces_health_rx(struct rte_mbuf *m, const struct aces_pkt *p);
/** Every control loop: send due probes, time out unanswered ones. */
void aces_health_poll(uint64_t now_ms);
/** Every tick: passive signals, backend states, table changes. */
void aces_health_tick(uint64_t now_ms);
/** Healthy backends per side, endpoint health and CPU for the manager. */
void aces_health_fill(struct aces_mgr_input *in);
/** Backend state for telemetry: enum aces_be_state, since (ms), reason. */
uint8_t aces_health_state(uint32_t b, uint64_t *since_ms, char *reason, size_t len);
/** Cumulative passive counters of entity @id (endpoint * 2 + side, or 2 * endpoints + backend). */
void aces_health_counters(uint32_t id, struct aces_health_ctr *out);
/** Cumulative handshake-time histogram of endpoint side @id (endpoint * 2 + side), summed
 *  over the workers as of the last tick, into @out (ACES_HS_BUCKETS counts); 0, or -1. */
int aces_health_hist(uint32_t id, uint64_t *out);
/** Windowed health of endpoint @e (control lcore's last tick), or NULL. */
const struct aces_mgr_ep_health *aces_health_ep(uint32_t e);
struct json_t;
/** Every backend's health, for the state file (a JSON array, NULL: no memory). */
struct json_t *aces_health_save(void);
/** Health from aces_health_save() of the last process, by backend name; @kept: how many. */
int aces_health_restore(const struct json_t *arr, uint32_t *kept);
/** A reload: the newest records from the paused workers' counters. */
void aces_health_seed(void);
/** A reload, before the new configuration: every backend's health, kept. */
int aces_health_reload_save(struct aces_remap *r);
/** A reload (manager remapped): the monitor for the new configuration, health and CPU
 *  reports kept by backend name. */
int aces_health_reload(struct aces_remap *r);
/** A backend's report of its CPU use, in percent, at manager clock @now (control lcore). */
void aces_health_cpu_report(uint32_t b, uint32_t percent, uint64_t now);
/** Backend @b's last CPU report (UINT32_MAX: none), and in @ms when it came. */
uint32_t aces_health_cpu(uint32_t b, uint64_t *ms);

#endif /* ACES_APP_HEALTH_H */
