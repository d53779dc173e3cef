/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_HANDOVER_H
#define ACES_APP_HANDOVER_H

/**
 * @file
 * Stateful handover (specification, section 4) on the control lcore: hook commands
 * (replicate, release) run without ever waiting on them, and established connections
 * moved with the backend agents (migrate.c).
 *
 * Hooks: /bin/sh -c CMD in its own process group, stdout and stderr into a non-blocking
 * pipe, polled once per control tick (hooks.c).
 *
 * Room app/handover; it may use: common, net, datapath (worker.h: the workers' move jobs), health (tools/check_layers.py).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/module-t.h"
#include "common/snapshot-t.h"

struct aces_hook {
	pid_t pid;		/**< 0 when not running */
	int fd;			/**< read end of its output pipe */
	uint64_t start_ms;
	size_t len;
	char out[1024];		/**< the last bytes of its output */
};

/** Start @p cmd with the extra environment @p env (NULL-terminated "K=V" list). */
int aces_hook_start(struct aces_hook *h, const char *cmd, char *const env[], uint64_t now_ms);

/**
 * Poll a running hook. Returns 1 when it has ended: @p status is its exit code
 * (128 + signal when killed by one) and @p summary its last output line
 * (printable ASCII, at most @p len - 1 characters). 0 while it runs.
 */
int aces_hook_poll(struct aces_hook *h, int *status, char *summary, size_t len);

/** Kill a running hook (its whole process group) and reap it. */
void aces_hook_kill(struct aces_hook *h);
#define ACES_HOOK_GRACE_MS 3000	/**< a stopped hook's time to clean up (SIGTERM .. SIGKILL) */
/** Hooks told to stop: reaped, killed once their grace is over (@all: now, and waited for). */
void aces_hooks_reap(uint64_t now_ms, int all);

/* migrate.c: moving established connections with the backend agents */
struct rte_mbuf;
struct aces_pkt;

int aces_mig_init(void);
void aces_mig_fini(void);
/** Every control loop: answers of the workers, moves to start, agents to ask again. */
void aces_mig_poll(uint64_t now_ms);
/** A frame to ACES's backend address: 0 when it was an agent's answer (consumed). */
int aces_mig_rx(struct rte_mbuf *m, const struct aces_pkt *p);
/** For the manager: endpoint @ep has nothing left that can be moved. */
int aces_mig_over(uint32_t ep);
/** A reload (workers paused and remapped): moves under way to the new indexes. */
int aces_mig_reload(struct aces_remap *r);
/** Counters and freeze percentiles, for the snapshot. */
void aces_mig_snap(struct aces_snap_mig *out);
/** Flows of endpoint @ep moved (and in @failed: not moved) since start. */
uint64_t aces_mig_ep_moved(uint32_t ep, uint64_t *failed);

#endif /* ACES_APP_HANDOVER_H */
