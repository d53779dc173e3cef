/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_HOOKS_H
#define ACES_HOOKS_H

/**
 * @file
 * Hook commands (replicate, release) run from the control lcore without ever
 * waiting on them: /bin/sh -c CMD in its own process group, stdout and stderr
 * into a non-blocking pipe, polled once per control tick.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

#endif /* ACES_HOOKS_H */
