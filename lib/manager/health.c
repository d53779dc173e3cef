/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "aces/health.h"

static const char *const names[ACES_BE_STATE_MAX] = { "up", "degraded", "down" };

const char *
aces_be_state_name(enum aces_be_state s)
{
	return (unsigned)s < ACES_BE_STATE_MAX ? names[s] : "?";
}

void
aces_be_health_init(struct aces_be_health *h, uint64_t now_ms)
{
	memset(h, 0, sizeof(*h));
	h->state = ACES_BE_UP;
	h->since_ms = now_ms;
	snprintf(h->reason, sizeof(h->reason), "initial state");
}

static int
change(struct aces_be_health *h, enum aces_be_state to, uint64_t now)
{
	if (h->state == to)
		return 0;
	h->state = to;
	h->since_ms = now;
	return 1;
}

int
aces_be_health_probe(struct aces_be_health *h, const struct aces_cfg_health *c, const char *name,
		     int ok, const char *what, uint64_t now)
{
	if (ok) {
		h->fail_run = 0;
		h->ok_run++;
		if (h->state == ACES_BE_DOWN && h->ok_run >= c->rise) {
			snprintf(h->reason, sizeof(h->reason), "%s up: %u probes answered (%s)", name,
				 h->ok_run, what);
			return change(h, ACES_BE_UP, now);
		}
		return 0;
	}
	h->ok_run = 0;
	h->fail_run++;
	if (h->state != ACES_BE_DOWN && h->fail_run >= c->fall) {
		snprintf(h->reason, sizeof(h->reason), "%s down: %u probes failed (%s)", name,
			 h->fail_run, what);
		return change(h, ACES_BE_DOWN, now);
	}
	return 0;
}

int
aces_be_health_passive(struct aces_be_health *h, const struct aces_cfg_health *c,
		       const char *name, const struct aces_be_signals *s, uint64_t now)
{
	uint64_t bad = s->syn_timeouts + s->refused + s->udp_noreply;

	if (h->state == ACES_BE_DOWN)
		return 0;	/* only probes bring it back */
	if (c->passive_fall > 0 && bad >= c->passive_fall) {
		snprintf(h->reason, sizeof(h->reason),
			 "%s down: %llu SYN timeouts, %llu refused, %llu UDP without reply in %u ms",
			 name, (unsigned long long)s->syn_timeouts, (unsigned long long)s->refused,
			 (unsigned long long)s->udp_noreply, c->window_ms);
		h->ok_run = 0;
		return change(h, ACES_BE_DOWN, now);
	}
	if (s->attempts >= c->min_samples && bad * 100 > (uint64_t)c->max_failure_percent * s->attempts) {
		snprintf(h->reason, sizeof(h->reason), "%s degraded: %llu of %llu attempts failed "
			 "in %u ms", name, (unsigned long long)bad, (unsigned long long)s->attempts,
			 c->window_ms);
		return change(h, ACES_BE_DEGRADED, now);
	}
	if (s->cpu_percent >= 0 && (uint32_t)s->cpu_percent > c->max_cpu_percent) {
		snprintf(h->reason, sizeof(h->reason), "%s degraded: CPU %d%% > %u%%", name,
			 s->cpu_percent, c->max_cpu_percent);
		return change(h, ACES_BE_DEGRADED, now);
	}
	if (h->state == ACES_BE_DEGRADED) {
		snprintf(h->reason, sizeof(h->reason), "%s up: failures and CPU within limits", name);
		return change(h, ACES_BE_UP, now);
	}
	return 0;
}
