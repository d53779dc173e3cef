/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handover/handover.h"

extern char **environ;

#define MAX_ENV 256

int
aces_hook_start(struct aces_hook *h, const char *cmd, char *const env[], uint64_t now_ms)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *envp[MAX_ENV + 16];
	char *argv[] = { (char *)(uintptr_t)"/bin/sh", (char *)(uintptr_t)"-c",
			 (char *)(uintptr_t)cmd, NULL };
	int fds[2], rc, n = 0, i;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	for (i = 0; environ != NULL && environ[i] != NULL && n < MAX_ENV; i++)
		envp[n++] = environ[i];
	for (i = 0; env != NULL && env[i] != NULL && n < MAX_ENV + 15; i++)
		envp[n++] = env[i];
	envp[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGUSR2);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&h->pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		h->pid = 0;
		return -rc;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	h->fd = fds[0];
	h->len = 0;
	h->start_ms = now_ms;
	return 0;
}

static void
drain_output(struct aces_hook *h)
{
	char buf[512];
	ssize_t r;

	while ((r = read(h->fd, buf, sizeof(buf))) > 0) {
		size_t n = (size_t)r;	/* < sizeof(h->out): keep the newest bytes */

		if (h->len + n > sizeof(h->out)) {
			size_t drop = h->len + n - sizeof(h->out);

			memmove(h->out, h->out + drop, h->len - drop);
			h->len -= drop;
		}
		memcpy(h->out + h->len, buf, n);
		h->len += n;
	}
}

/* The last non-empty line, printable ASCII only. */
static void
summarize(const struct aces_hook *h, char *out, size_t len)
{
	size_t end = h->len, start, i, k = 0;

	while (end > 0 && (h->out[end - 1] == '\n' || h->out[end - 1] == '\r' ||
			   h->out[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && h->out[start - 1] != '\n')
		start--;
	for (i = start; i < end && k + 1 < len; i++) {
		unsigned char c = (unsigned char)h->out[i];

		out[k++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	out[k] = '\0';
	if (k == 0)
		snprintf(out, len, "no output");
}

int
aces_hook_poll(struct aces_hook *h, int *status, char *summary, size_t len)
{
	int st;
	pid_t r;

	if (h->pid == 0)
		return 0;
	drain_output(h);
	r = waitpid(h->pid, &st, WNOHANG);
	if (r == 0)
		return 0;
	if (r < 0)
		st = 127 << 8;
	drain_output(h);
	close(h->fd);
	h->pid = 0;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	summarize(h, summary, len);
	return 1;
}

/* Hooks told to stop: SIGTERM first, so that a recipe can undo what it began (a replica
 * detached, a gate lifted); SIGKILL after ACES_HOOK_GRACE_MS; reaped without waiting. */
#define DYING_MAX 64
static struct {
	pid_t pid;
	int fd;
	uint64_t kill_at;
} dying[DYING_MAX];

static void
reap_one(int i, int force)
{
	char junk[512];

	while (read(dying[i].fd, junk, sizeof(junk)) > 0)
		;	/* its last words: the pipe must not fill */
	if (force)
		kill(-dying[i].pid, SIGKILL);
	if (waitpid(dying[i].pid, NULL, force ? 0 : WNOHANG) == dying[i].pid || force) {
		close(dying[i].fd);
		dying[i].pid = 0;
	}
}

void
aces_hook_kill(struct aces_hook *h)
{
	int i;

	if (h->pid == 0)
		return;
	for (i = 0; i < DYING_MAX && dying[i].pid != 0; i++)
		;
	if (i == DYING_MAX || kill(-h->pid, SIGTERM) != 0) {
		kill(-h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		close(h->fd);
	} else {
		dying[i].pid = h->pid;
		dying[i].fd = h->fd;	/* non-blocking already */
		dying[i].kill_at = 0;	/* set by the next reap, which knows the time */
	}
	h->pid = 0;
}

void
aces_hooks_reap(uint64_t now_ms, int all)
{
	int i;

	for (i = 0; i < DYING_MAX; i++) {
		if (dying[i].pid == 0)
			continue;
		if (dying[i].kill_at == 0)
			dying[i].kill_at = now_ms + ACES_HOOK_GRACE_MS;
		reap_one(i, all || now_ms >= dying[i].kill_at);
	}
}
