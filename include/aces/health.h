/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_HEALTH_H
#define ACES_HEALTH_H

/**
 * @file
 * A backend's health state machine (pure C): active probes with HAProxy's
 * rise/fall semantics, plus passive signals from the data plane. A backend is
 * `down` after `fall` consecutive failed probes, or when `passive_fall` SYN
 * timeouts and refusals happen within the window; it is `up` again after `rise`
 * consecutive answered probes. `degraded` (still in service) when its failure
 * ratio or its reported CPU is over the limits.
 */

#include <stdint.h>

#include "aces/config-t.h"

enum aces_be_state {
	ACES_BE_UP = 0,
	ACES_BE_DEGRADED,
	ACES_BE_DOWN,
	ACES_BE_STATE_MAX
};

struct aces_be_health {
	enum aces_be_state state;
	uint32_t ok_run;	/**< consecutive answered probes */
	uint32_t fail_run;	/**< consecutive failed probes */
	uint64_t since_ms;	/**< last change */
	char reason[112];	/**< why the last change */
};

/** Passive signals of one backend over the health window. */
struct aces_be_signals {
	uint64_t attempts;	/**< new TCP flows and UDP requests sent to it */
	uint64_t syn_timeouts;	/**< no SYN-ACK within syn_timeout_ms */
	uint64_t refused;	/**< SYN answered with RST */
	uint64_t udp_noreply;	/**< UDP requests without a reply */
	int32_t cpu_percent;	/**< reported, -1 when none (or too old) */
};

void aces_be_health_init(struct aces_be_health *h, uint64_t now_ms);

/**
 * One probe result (@p ok, with @p what saying how it failed or succeeded).
 * @return 1 when the state changed; the new reason is in h->reason.
 */
int aces_be_health_probe(struct aces_be_health *h, const struct aces_cfg_health *c,
			 const char *name, int ok, const char *what, uint64_t now_ms);

/** Passive signals over the window. @return 1 when the state changed. */
int aces_be_health_passive(struct aces_be_health *h, const struct aces_cfg_health *c,
			   const char *name, const struct aces_be_signals *s, uint64_t now_ms);

const char *aces_be_state_name(enum aces_be_state s);

#endif /* ACES_HEALTH_H */
