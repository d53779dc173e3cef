/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_MANAGER_H
#define ACES_MANAGER_H

/**
 * @file
 * The Endpoint Manager. Single-threaded: the control lcore calls every function
 * except the journal readers, which telemetry threads may call concurrently
 * (the journal slots are sequence-locked).
 *
 * Rules (see README "Endpoint Manager"): critical endpoints first (at once when
 * stateless, after state transfer when stateful); high stateless endpoints in
 * steps of step_percent every step_interval_ms while the replacement's load
 * stays under its capacity; medium/low stateless endpoints when idle for
 * low_activity_window_ms, else progressively after max_wait_ms; stateful ones
 * through replicating -> cutover -> draining -> released; an endpoint moves only
 * when all its dependencies carry 100 % on the replacement; abort returns
 * everything, dependents first; a manual pin takes an endpoint out of the rules.
 *
 * Health (when the input carries it): a side with no healthy backend sends every
 * endpoint's new flows to the other side; an overloaded or unstable replacement
 * (handshake p95, failure ratio, capacity, CPU) makes an endpoint step back
 * (critical and stateful ones to 0), its dependents first; it moves forward
 * again only after cooldown_ms of health, at most max_reshards_per_minute times.
 */

#include <stddef.h>
#include <stdint.h>

#include "aces/config-t.h"
#include "aces/manager-t.h"

struct aces_mgr;

/** NULL with errno set on failure. Keeps a pointer to @p cfg, which must outlive it. */
struct aces_mgr *aces_mgr_create(const struct aces_config *cfg, uint32_t journal_size);
void aces_mgr_free(struct aces_mgr *m);

/** Start a transition (numbered 1, 2, ...). -EALREADY when one runs or is complete,
 * -EBUSY while an abort drains. */
int aces_mgr_start(struct aces_mgr *m, uint64_t now_ms, const char *why, char *err, size_t errlen);
/** Abort the running transition: everything back to the original, dependents first. */
int aces_mgr_abort(struct aces_mgr *m, uint64_t now_ms, const char *why, char *err, size_t errlen);
/** Operator says a replicating endpoint's state is in place. */
int aces_mgr_state_ready(struct aces_mgr *m, uint32_t ep, uint64_t now_ms, char *err,
			 size_t errlen);
/** Pin an endpoint at a replacement weight (0-100) outside the rules. */
int aces_mgr_pin(struct aces_mgr *m, uint32_t ep, uint8_t weight, uint64_t now_ms);
/** Hand a pinned endpoint back to the rules ("auto"). */
int aces_mgr_unpin(struct aces_mgr *m, uint32_t ep, uint64_t now_ms, char *err, size_t errlen);
/** A hook the manager asked for ended with @p status (exit code, or 128+signal). */
void aces_mgr_hook_done(struct aces_mgr *m, uint32_t ep, enum aces_hook_kind kind, int status,
			const char *output, uint64_t now_ms);
/** Apply the rules once. */
void aces_mgr_tick(struct aces_mgr *m, const struct aces_mgr_input *in);
/** Journal an event about backend @p backend (health changes of the appliance). */
void aces_mgr_note(struct aces_mgr *m, uint64_t now_ms, int32_t backend, const char *from,
		   const char *to, const char *reason);
/** Move up to @p max pending actions into @p out; returns how many. */
uint32_t aces_mgr_take_actions(struct aces_mgr *m, struct aces_mgr_action *out, uint32_t max);

/**
 * The state to carry to the next process: fills @p out (its ep array malloc'd, n_ep =
 * the endpoints). 0 or -ENOMEM. Free with aces_mgr_saved_free().
 */
int aces_mgr_save(const struct aces_mgr *m, struct aces_mgr_saved *out);
void aces_mgr_saved_free(struct aces_mgr_saved *s);
/**
 * Take over a saved state (a new manager, before its first tick; times are of the same
 * manager clock). Endpoints are matched by name: a saved one the configuration lacks
 * is left out, one it does not hold starts as a new one would (waiting in a running
 * transition). A hook that was running is asked for again (an action), unless
 * @p hooks_alive (a reload in the same process: it still runs). The result is
 * journalled, naming @p source ("the last process"; NULL: not journalled). 0, or -EINVAL with the reason in @p err (a bad phase or state).
 */
int aces_mgr_restore(struct aces_mgr *m, const struct aces_mgr_saved *s, uint64_t now_ms,
		     const char *source, int hooks_alive, char *err, size_t errlen);
/**
 * Put the last process's events back, oldest first, into a journal nothing was written
 * to yet (before aces_mgr_restore()): their ids continue. 0, -EBUSY (journal in use),
 * -EINVAL (ids not increasing: the ones before are kept).
 */
int aces_mgr_journal_restore(struct aces_mgr *m, const struct aces_event *ev, uint32_t n);
/**
 * Release after release: the complete transition's replacement is the service's
 * current version, named original from now on (the caller swapped the sides). The
 * transition goes idle with every endpoint's new flows where they went (weight 0; a
 * pinned one keeps its split, 100 - weight); the next one can start. -EINVAL unless
 * complete.
 */
int aces_mgr_release(struct aces_mgr *m, uint64_t now_ms, char *err, size_t errlen);
/** Number of the last transition started (1, 2, ...), 0 before the first. */
uint32_t aces_mgr_transition(const struct aces_mgr *m);

/* Read-only views (control lcore; the app mirrors them for other threads). */
enum aces_transition_state aces_mgr_state(const struct aces_mgr *m);
uint64_t aces_mgr_started_ms(const struct aces_mgr *m);
uint64_t aces_mgr_ended_ms(const struct aces_mgr *m);
/** The weight to publish: the rules' weight, unless a side has no healthy backend. */
uint8_t aces_mgr_weight(const struct aces_mgr *m, uint32_t ep);
enum aces_phase aces_mgr_phase(const struct aces_mgr *m, uint32_t ep);
int aces_mgr_pinned(const struct aces_mgr *m, uint32_t ep);

/* Journal: safe from any thread. */
/** Id the next event will get (events so far: 1 .. next-1). */
uint64_t aces_mgr_journal_next_id(const struct aces_mgr *m);
/** Copy event @p id into @p out: 0, or -ENOENT when not written yet or overwritten. */
int aces_mgr_journal_read(const struct aces_mgr *m, uint64_t id, struct aces_event *out);
/** Oldest id still in the journal. */
uint64_t aces_mgr_journal_first_id(const struct aces_mgr *m);

const char *aces_phase_name(enum aces_phase p);
const char *aces_transition_state_name(enum aces_transition_state s);

#endif /* ACES_MANAGER_H */
