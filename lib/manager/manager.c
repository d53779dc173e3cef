/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Endpoint Manager's rules. Everything here runs on the control lcore, except
 * the journal readers. Every decision is an event with its reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aces/config.h"
#include "aces/manager.h"

/* Why an endpoint waits: reported once per change, not every tick. */
enum wait_code {
	WAIT_NONE = 0,
	WAIT_CRITICAL,
	WAIT_DEPENDENCY,
	WAIT_NO_BACKEND,
	WAIT_ACTIVITY,
	WAIT_CAPACITY,
	WAIT_COOLDOWN,
	WAIT_FLAPS,
};

#define RESHARD_LOG ACES_MGR_RESHARD_LOG

struct mgr_ep {
	enum aces_phase phase;
	uint8_t weight;
	uint8_t pinned;
	uint8_t drain_acted;
	uint8_t hook_running[ACES_HOOK_MAX];
	enum wait_code wait;
	uint32_t wait_arg;		/* dependency index, weight... */
	uint64_t phase_since;
	uint64_t last_step;
	uint64_t low_since;		/* 0: not under the low-activity threshold */
	uint64_t cool_until;		/* no forward move before (health needed) */
	uint64_t last_reshard;		/* last step back */
	uint64_t reshard_t[RESHARD_LOG];	/* ring of step-back times */
	uint32_t reshard_n;		/* step-backs so far */
};

struct journal_slot {
	uint32_t seq;			/* odd while being written */
	struct aces_event ev;
};

struct aces_mgr {
	const struct aces_config *cfg;
	enum aces_transition_state state;
	uint32_t transition;		/* number of the last one started */
	uint64_t started_ms;
	uint64_t ended_ms;
	struct mgr_ep *ep;
	uint16_t *order;		/* dependencies before dependents, then by priority */
	struct aces_mgr_action *act;
	uint32_t act_cap, act_n;
	struct journal_slot *slots;
	uint32_t jcap;
	uint64_t next_id;		/* written by control, read by telemetry (atomic) */
	uint32_t healthy[ACES_SIDE_MAX];	/* last input: backends in service */
	uint8_t have_health;		/* a tick has run */
	uint8_t side_known[ACES_SIDE_MAX];	/* the side's first verdict is in the journal */
};

static const char *const phase_names[ACES_PHASE_MAX] = {
	"original", "waiting", "migrating", "replicating", "cutover", "draining", "released",
	"returning", "failed", "moving",
};
static const char *const state_names[ACES_TRANSITION_MAX] = {
	"idle", "running", "complete", "aborted",
};

const char *
aces_phase_name(enum aces_phase p)
{
	return (unsigned)p < ACES_PHASE_MAX ? phase_names[p] : "?";
}

const char *
aces_transition_state_name(enum aces_transition_state s)
{
	return (unsigned)s < ACES_TRANSITION_MAX ? state_names[s] : "?";
}

/* ---- journal ---- */

static void
journal_add(struct aces_mgr *m, uint64_t now, int32_t ep, const char *from, const char *to,
	    uint8_t weight, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void
journal_addv(struct aces_mgr *m, uint64_t now, int32_t ep, const char *from, const char *to,
	     uint8_t weight, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

/* The one place an event is written: the reason is formatted straight into the slot. */
static void
journal_addv(struct aces_mgr *m, uint64_t now, int32_t ep, const char *from, const char *to,
	     uint8_t weight, const char *fmt, va_list ap)
{
	uint64_t id = m->next_id;
	struct journal_slot *s = &m->slots[id % m->jcap];

	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);	/* odd: writing */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->ev.id = id;
	s->ev.t_ms = now;
	s->ev.ep = ep;
	s->ev.backend = -1;
	s->ev.weight = weight;
	snprintf(s->ev.from, sizeof(s->ev.from), "%s", from);
	snprintf(s->ev.to, sizeof(s->ev.to), "%s", to);
	vsnprintf(s->ev.reason, sizeof(s->ev.reason), fmt, ap);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);	/* even: done */
	__atomic_store_n(&m->next_id, id + 1, __ATOMIC_RELEASE);
}

static void
journal_add(struct aces_mgr *m, uint64_t now, int32_t ep, const char *from, const char *to,
	    uint8_t weight, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	journal_addv(m, now, ep, from, to, weight, fmt, ap);
	va_end(ap);
}

void
aces_mgr_note(struct aces_mgr *m, uint64_t now, int32_t backend, const char *from, const char *to,
	      const char *reason)
{
	struct journal_slot *s;

	journal_add(m, now, -1, from, to, 0, "%s", reason);
	/* the slot just written: add the backend (readers see the id only after next_id) */
	s = &m->slots[(m->next_id - 1) % m->jcap];
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->ev.backend = backend;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

uint64_t
aces_mgr_journal_next_id(const struct aces_mgr *m)
{
	return __atomic_load_n(&m->next_id, __ATOMIC_ACQUIRE);
}

uint64_t
aces_mgr_journal_first_id(const struct aces_mgr *m)
{
	uint64_t next = aces_mgr_journal_next_id(m);

	return next > m->jcap ? next - m->jcap : 1;
}

int
aces_mgr_journal_read(const struct aces_mgr *m, uint64_t id, struct aces_event *out)
{
	const struct journal_slot *s = &m->slots[id % m->jcap];
	int tries;

	if (id == 0 || id >= aces_mgr_journal_next_id(m))
		return -ENOENT;
	for (tries = 0; tries < 1000; tries++) {
		uint32_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), s2;

		if (s1 & 1)
			continue;
		memcpy(out, &s->ev, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return out->id == id ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* ---- helpers ---- */

static void
push_action(struct aces_mgr *m, enum aces_mgr_action_type t, uint32_t ep, uint8_t hook,
	    uint8_t side)
{
	if (m->act_n == m->act_cap) {
		/* Cannot happen: at most one action per endpoint and hook between takes. */
		journal_add(m, 0, (int32_t)ep, "-", "-", 0, "internal: action queue full, dropped");
		return;
	}
	m->act[m->act_n].type = t;
	m->act[m->act_n].ep = ep;
	m->act[m->act_n].hook = hook;
	m->act[m->act_n].side = side;
	m->act_n++;
}

uint32_t
aces_mgr_take_actions(struct aces_mgr *m, struct aces_mgr_action *out, uint32_t max)
{
	uint32_t n = m->act_n < max ? m->act_n : max;

	memcpy(out, m->act, n * sizeof(*out));
	memmove(m->act, m->act + n, (m->act_n - n) * sizeof(*out));
	m->act_n -= n;
	return n;
}

static const char *
ename(const struct aces_mgr *m, uint32_t e)
{
	return m->cfg->endpoints[e].name;
}

/* Change phase (and weight), with an event. */
static void
set_phase(struct aces_mgr *m, uint32_t e, enum aces_phase to, uint8_t weight, uint64_t now,
	  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
set_phase(struct aces_mgr *m, uint32_t e, enum aces_phase to, uint8_t weight, uint64_t now,
	  const char *fmt, ...)
{
	struct mgr_ep *x = &m->ep[e];
	va_list ap;

	va_start(ap, fmt);
	journal_addv(m, now, (int32_t)e, phase_names[x->phase], phase_names[to], weight, fmt, ap);
	va_end(ap);
	if (x->phase != to)
		x->phase_since = now;
	x->phase = to;
	x->weight = weight;
	x->wait = WAIT_NONE;
	x->drain_acted = 0;
}

/* Report a wait once per change of its reason. */
static void
set_wait(struct aces_mgr *m, uint32_t e, enum wait_code code, uint32_t arg, uint64_t now,
	 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
set_wait(struct aces_mgr *m, uint32_t e, enum wait_code code, uint32_t arg, uint64_t now,
	 const char *fmt, ...)
{
	struct mgr_ep *x = &m->ep[e];
	va_list ap;

	if (x->wait == code && x->wait_arg == arg)
		return;
	x->wait = code;
	x->wait_arg = arg;
	va_start(ap, fmt);
	journal_addv(m, now, (int32_t)e, phase_names[x->phase], phase_names[x->phase], x->weight,
		     fmt, ap);
	va_end(ap);
}

static int
is_stateful(const struct aces_cfg_endpoint *c)
{
	return c->statefulness != ACES_STATELESS;
}

/* Carries 100 % of its new flows on the replacement. */
static int
on_replacement(const struct mgr_ep *x)
{
	return x->weight == 100 && (x->pinned || x->phase == ACES_PHASE_CUTOVER ||
				    x->phase == ACES_PHASE_DRAINING ||
				    x->phase == ACES_PHASE_MOVING ||
				    x->phase == ACES_PHASE_RELEASED);
}

/* Load of one endpoint in the capacity unit (both sides). */
static double
ep_load(const struct aces_mgr *m, const struct aces_mgr_ep_load *l, int side)
{
	switch (m->cfg->manager.capacity_unit) {
	case ACES_LOAD_PPS:
		return l->pps[side];
	case ACES_LOAD_BPS:
		return l->bps[side];
	case ACES_LOAD_NEW_FLOWS:
		return l->new_fps[side];
	case ACES_LOAD_ACTIVE_FLOWS:
		return (double)l->open_flows[side];
	default:
		return 0;
	}
}

/* ---- construction ---- */

/* Kahn's algorithm over depends_on, picking the best priority among the ready ones. */
static int
build_order(struct aces_mgr *m)
{
	const struct aces_config *c = m->cfg;
	uint32_t n = c->n_endpoints, i, k, done = 0;
	uint8_t *placed = calloc(n, 1);

	if (placed == NULL)
		return -ENOMEM;
	while (done < n) {
		int best = -1;

		for (i = 0; i < n; i++) {
			const struct aces_cfg_endpoint *e = &c->endpoints[i];
			int ready = !placed[i];

			for (k = 0; k < e->n_deps && ready; k++)
				ready = placed[e->deps[k]];
			if (ready && (best < 0 || e->priority < c->endpoints[best].priority))
				best = (int)i;
		}
		if (best < 0) {		/* a cycle: the config validator refuses these */
			free(placed);
			return -EINVAL;
		}
		placed[best] = 1;
		m->order[done++] = (uint16_t)best;
	}
	free(placed);
	return 0;
}

struct aces_mgr *
aces_mgr_create(const struct aces_config *cfg, uint32_t journal_size)
{
	struct aces_mgr *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cfg = cfg;
	m->jcap = journal_size < 16 ? 16 : journal_size;
	m->next_id = 1;
	m->ep = calloc(cfg->n_endpoints, sizeof(*m->ep));
	m->order = calloc(cfg->n_endpoints, sizeof(*m->order));
	m->act_cap = cfg->n_endpoints * (ACES_HOOK_MAX + 2) + 16;
	m->act = calloc(m->act_cap, sizeof(*m->act));
	m->slots = calloc(m->jcap, sizeof(*m->slots));
	if (m->ep == NULL || m->order == NULL || m->act == NULL || m->slots == NULL ||
	    build_order(m) != 0) {
		aces_mgr_free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void
aces_mgr_free(struct aces_mgr *m)
{
	if (m == NULL)
		return;
	free(m->ep);
	free(m->order);
	free(m->act);
	free(m->slots);
	free(m);
}

/* ---- commands ---- */

int
aces_mgr_start(struct aces_mgr *m, uint64_t now, const char *why, char *err, size_t errlen)
{
	uint32_t i;

	if (m->state == ACES_TRANSITION_RUNNING) {
		snprintf(err, errlen, "transition %u is already running", m->transition);
		return -EALREADY;
	}
	if (m->state == ACES_TRANSITION_COMPLETE) {
		snprintf(err, errlen, "transition %u is complete: the next release is a reload whose "
			 "original names the replacement's backends", m->transition);
		return -EALREADY;
	}
	for (i = 0; i < m->cfg->n_endpoints; i++) {
		if (m->ep[i].phase == ACES_PHASE_RETURNING) {
			snprintf(err, errlen, "endpoint %s is still returning from the last abort",
				 ename(m, i));
			return -EBUSY;
		}
	}
	m->transition++;
	journal_add(m, now, -1, state_names[m->state], state_names[ACES_TRANSITION_RUNNING], 0,
		    "transition %u started (%s)", m->transition, why);
	m->state = ACES_TRANSITION_RUNNING;
	m->started_ms = now;
	m->ended_ms = 0;
	for (i = 0; i < m->cfg->n_endpoints; i++) {
		struct mgr_ep *x = &m->ep[i];

		if (x->pinned)
			continue;
		x->phase = ACES_PHASE_WAITING;
		x->phase_since = now;
		x->weight = 0;
		x->wait = WAIT_NONE;
		x->low_since = 0;
		x->last_step = 0;
	}
	return 0;
}

static void
kill_hooks(struct aces_mgr *m, uint32_t e)
{
	int k;

	for (k = 0; k < ACES_HOOK_MAX; k++) {
		if (m->ep[e].hook_running[k]) {
			push_action(m, ACES_ACT_KILL_HOOK, e, (uint8_t)k, 0);
			m->ep[e].hook_running[k] = 0;
		}
	}
}

static void
return_to_original(struct aces_mgr *m, uint32_t e, uint64_t now, const char *why)
{
	struct mgr_ep *x = &m->ep[e];

	kill_hooks(m, e);
	switch (x->phase) {
	case ACES_PHASE_MIGRATING:
	case ACES_PHASE_CUTOVER:
	case ACES_PHASE_DRAINING:
	case ACES_PHASE_MOVING:
	case ACES_PHASE_RELEASED:
		set_phase(m, e, ACES_PHASE_RETURNING, 0, now,
			  "%s: new flows back to the original; flows on the replacement drain", why);
		break;
	case ACES_PHASE_WAITING:
	case ACES_PHASE_REPLICATING:
		set_phase(m, e, ACES_PHASE_ORIGINAL, 0, now, "%s: stays on the original", why);
		break;
	default:
		break;
	}
}

int
aces_mgr_abort(struct aces_mgr *m, uint64_t now, const char *why, char *err, size_t errlen)
{
	uint32_t i;

	if (m->state != ACES_TRANSITION_RUNNING) {
		snprintf(err, errlen, "no transition is running (state %s)", state_names[m->state]);
		return -EINVAL;
	}
	journal_add(m, now, -1, state_names[m->state], state_names[ACES_TRANSITION_ABORTED], 0,
		    "transition %u aborted (%s)", m->transition, why);
	m->state = ACES_TRANSITION_ABORTED;
	m->ended_ms = now;
	/* reverse dependency order: dependents return before what they depend on */
	for (i = m->cfg->n_endpoints; i-- > 0;) {
		uint32_t e = m->order[i];

		if (!m->ep[e].pinned)
			return_to_original(m, e, now, "abort");
	}
	return 0;
}

int
aces_mgr_state_ready(struct aces_mgr *m, uint32_t e, uint64_t now, char *err, size_t errlen)
{
	struct mgr_ep *x = &m->ep[e];

	if (x->phase != ACES_PHASE_REPLICATING || x->pinned) {
		snprintf(err, errlen, "endpoint %s is not replicating (phase %s%s)", ename(m, e),
			 phase_names[x->phase], x->pinned ? ", pinned" : "");
		return -EINVAL;
	}
	if (x->hook_running[ACES_HOOK_REPLICATE]) {
		push_action(m, ACES_ACT_KILL_HOOK, e, ACES_HOOK_REPLICATE, 0);
		x->hook_running[ACES_HOOK_REPLICATE] = 0;
	}
	set_phase(m, e, ACES_PHASE_CUTOVER, 100, now,
		  "state ready (operator): cutover, new flows to the replacement");
	return 0;
}

int
aces_mgr_pin(struct aces_mgr *m, uint32_t e, uint8_t weight, uint64_t now)
{
	struct mgr_ep *x = &m->ep[e];

	if (weight > 100)
		return -EINVAL;
	kill_hooks(m, e);
	x->pinned = 1;
	x->weight = weight;
	journal_add(m, now, (int32_t)e, phase_names[x->phase], "manual", weight,
		    "pinned by hand at %u%% replacement", weight);
	return 0;
}

int
aces_mgr_unpin(struct aces_mgr *m, uint32_t e, uint64_t now, char *err, size_t errlen)
{
	struct mgr_ep *x = &m->ep[e];
	const struct aces_cfg_endpoint *c = &m->cfg->endpoints[e];

	if (!x->pinned) {
		snprintf(err, errlen, "endpoint %s is not pinned", ename(m, e));
		return -EINVAL;
	}
	x->pinned = 0;
	switch (m->state) {
	case ACES_TRANSITION_RUNNING:
		if (x->weight == 100)
			set_phase(m, e, ACES_PHASE_DRAINING, 100, now,
				  "back to the rules at 100 %%: draining the original");
		else if (x->weight > 0 && !is_stateful(c)) {
			set_phase(m, e, ACES_PHASE_MIGRATING, x->weight, now,
				  "back to the rules at %u%%: migrating on", x->weight);
			x->last_step = now;	/* next step after one interval */
		}
		else
			set_phase(m, e, ACES_PHASE_WAITING, 0, now,
				  "back to the rules: handover starts over");
		break;
	case ACES_TRANSITION_COMPLETE:
		set_phase(m, e, ACES_PHASE_RELEASED, 100, now,
			  "back to the rules: the transition is complete, replacement");
		break;
	default:
		set_phase(m, e, x->weight > 0 ? ACES_PHASE_RETURNING : ACES_PHASE_ORIGINAL, 0, now,
			  "back to the rules: no transition, original");
		break;
	}
	return 0;
}

void
aces_mgr_hook_done(struct aces_mgr *m, uint32_t e, enum aces_hook_kind kind, int status,
		   const char *output, uint64_t now)
{
	struct mgr_ep *x = &m->ep[e];

	if (!x->hook_running[kind])
		return;		/* killed or superseded: its result no longer matters */
	x->hook_running[kind] = 0;
	if (kind == ACES_HOOK_RELEASE) {
		journal_add(m, now, (int32_t)e, phase_names[x->phase], phase_names[x->phase],
			    x->weight, "release hook exited %d: %s", status, output);
		return;
	}
	if (x->phase != ACES_PHASE_REPLICATING)
		return;
	if (status == 0)
		set_phase(m, e, ACES_PHASE_CUTOVER, 100, now,
			  "replicate hook exited 0 (%s): cutover, new flows to the replacement",
			  output);
	else
		set_phase(m, e, ACES_PHASE_FAILED, 0, now,
			  "replicate hook exited %d (%s): back on the original", status, output);
}

/* ---- rules ---- */

static double
replacement_load(const struct aces_mgr *m, const struct aces_mgr_input *in)
{
	double s = 0;
	uint32_t i;

	for (i = 0; i < m->cfg->n_endpoints; i++)
		s += ep_load(m, &in->ep[i], ACES_SIDE_REPLACEMENT);
	return s;
}

/* Step-backs within the last minute. */
static uint32_t
recent_reshards(const struct mgr_ep *x, uint64_t now)
{
	uint32_t i, n = 0, k = x->reshard_n < RESHARD_LOG ? x->reshard_n : RESHARD_LOG;

	for (i = 0; i < k; i++)
		n += now - x->reshard_t[i] < 60000;
	return n;
}

/* May @e move forward now? (cool-down after trouble, flap limit) Reports why not. */
static int
may_advance(struct aces_mgr *m, uint32_t e, uint64_t now)
{
	const struct aces_cfg_health *hc = &m->cfg->manager.health;
	struct mgr_ep *x = &m->ep[e];
	uint32_t n;

	if (now < x->cool_until) {
		set_wait(m, e, WAIT_COOLDOWN, 0, now, "holds at %u%%: cooling down, %llu ms of health "
			 "needed", x->weight, (unsigned long long)(x->cool_until - now));
		return 0;
	}
	n = recent_reshards(x, now);
	if (n >= hc->max_reshards_per_minute) {
		set_wait(m, e, WAIT_FLAPS, n, now, "holds at %u%%: %u step-backs in the last minute "
			 "(limit %u)", x->weight, n, hc->max_reshards_per_minute);
		return 0;
	}
	return 1;
}

/* One progressive step if due and within capacity. */
static void
progressive(struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in)
{
	const struct aces_cfg_manager *mc = &m->cfg->manager;
	struct mgr_ep *x = &m->ep[e];
	uint32_t next = x->weight + mc->step_percent;
	double load = 0, extra = 0;

	if (x->last_step != 0 && in->now_ms - x->last_step < mc->step_interval_ms)
		return;
	if (!may_advance(m, e, in->now_ms))
		return;
	if (next > 100)
		next = 100;
	if (mc->capacity_unit != ACES_LOAD_NONE) {
		const struct aces_mgr_ep_load *l = &in->ep[e];

		load = replacement_load(m, in);
		extra = (ep_load(m, l, ACES_SIDE_ORIGINAL) + ep_load(m, l, ACES_SIDE_REPLACEMENT)) *
			(next - x->weight) / 100.0;
		if (load + extra > (double)mc->capacity) {
			set_wait(m, e, WAIT_CAPACITY, x->weight, in->now_ms,
				 "waits at %u%%: the step to %u%% would bring the replacement to "
				 "%.0f %s, over its capacity %llu", x->weight, next, load + extra,
				 aces_load_unit_name(mc->capacity_unit),
				 (unsigned long long)mc->capacity);
			return;
		}
	}
	x->last_step = in->now_ms;
	if (next == 100)
		set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
			  "step %u%% -> 100%%: all new flows to the replacement; %llu flows left "
			  "on the original drain", x->weight,
			  (unsigned long long)in->ep[e].open_flows[ACES_SIDE_ORIGINAL]);
	else if (mc->capacity_unit != ACES_LOAD_NONE)
		set_phase(m, e, ACES_PHASE_MIGRATING, (uint8_t)next, in->now_ms,
			  "step %u%% -> %u%% (replacement load %.0f of %llu %s)", x->weight, next,
			  load + extra, (unsigned long long)mc->capacity,
			  aces_load_unit_name(mc->capacity_unit));
	else
		set_phase(m, e, ACES_PHASE_MIGRATING, (uint8_t)next, in->now_ms,
			  "step %u%% -> %u%%", x->weight, next);
}

/* Can @e leave WAITING? Reports why not. */
static int
may_begin(struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in)
{
	const struct aces_config *c = m->cfg;
	const struct aces_cfg_endpoint *ce = &c->endpoints[e];
	uint32_t k, i;

	for (k = 0; k < ce->n_deps; k++) {
		const struct mgr_ep *d = &m->ep[ce->deps[k]];

		if (!on_replacement(d)) {
			set_wait(m, e, WAIT_DEPENDENCY, ce->deps[k], in->now_ms,
				 "waits for its dependency %s (%s, %u%%)", ename(m, ce->deps[k]),
				 phase_names[d->phase], d->weight);
			return 0;
		}
	}
	if (ce->priority != ACES_PRIO_CRITICAL) {
		for (i = 0; i < c->n_endpoints; i++) {
			const struct mgr_ep *o = &m->ep[i];

			if (c->endpoints[i].priority == ACES_PRIO_CRITICAL && !o->pinned &&
			    !on_replacement(o) && o->phase != ACES_PHASE_FAILED) {
				set_wait(m, e, WAIT_CRITICAL, i, in->now_ms,
					 "waits for critical endpoint %s to move first (%s)",
					 ename(m, i), phase_names[o->phase]);
				return 0;
			}
		}
	}
	if (in->healthy_backends[ACES_SIDE_REPLACEMENT] == 0) {
		set_wait(m, e, WAIT_NO_BACKEND, 0, in->now_ms,
			 "waits: the replacement has no healthy backend");
		return 0;
	}
	return may_advance(m, e, in->now_ms);
}

static void
begin(struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in)
{
	const struct aces_cfg_manager *mc = &m->cfg->manager;
	const struct aces_cfg_endpoint *ce = &m->cfg->endpoints[e];
	struct mgr_ep *x = &m->ep[e];
	double pps = in->ep[e].pps[0] + in->ep[e].pps[1];

	if (!may_begin(m, e, in))
		return;
	if (is_stateful(ce)) {
		if (ce->hook_replicate != NULL) {
			set_phase(m, e, ACES_PHASE_REPLICATING, 0, in->now_ms,
				  "%s %s: replicating state (running the replicate hook)",
				  aces_priority_name(ce->priority),
				  aces_statefulness_name(ce->statefulness));
			x->hook_running[ACES_HOOK_REPLICATE] = 1;
			push_action(m, ACES_ACT_RUN_HOOK, e, ACES_HOOK_REPLICATE, 0);
		} else {
			set_phase(m, e, ACES_PHASE_REPLICATING, 0, in->now_ms,
				  "%s %s: replicating state (waiting for "
				  "/aces/endpoint/state_ready)", aces_priority_name(ce->priority),
				  aces_statefulness_name(ce->statefulness));
		}
		return;
	}
	switch (ce->priority) {
	case ACES_PRIO_CRITICAL:
		set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
			  "critical stateless: all new flows to the replacement at once");
		return;
	case ACES_PRIO_HIGH:
		x->last_step = 0;
		progressive(m, e, in);	/* first step now; waits (in WAITING) if over capacity */
		return;
	default:
		if (x->low_since != 0 && in->now_ms - x->low_since >= mc->low_activity_window_ms) {
			set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
				  "low activity (%.0f pps < %llu for %llu ms): all new flows to the "
				  "replacement", pps, (unsigned long long)mc->low_activity_pps,
				  (unsigned long long)(in->now_ms - x->low_since));
			return;
		}
		if (in->now_ms - m->started_ms >= mc->max_wait_ms) {
			set_phase(m, e, ACES_PHASE_MIGRATING, 0, in->now_ms,
				  "max_wait %u ms reached at %.0f pps: migrating progressively",
				  mc->max_wait_ms, pps);
			x->last_step = 0;
			progressive(m, e, in);
			return;
		}
		set_wait(m, e, WAIT_ACTIVITY, 0, in->now_ms,
			 "waits for low activity (%.0f pps, threshold %llu) or max_wait (%u ms)",
			 pps, (unsigned long long)mc->low_activity_pps, mc->max_wait_ms);
		return;
	}
}

static void
drain(struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in, enum aces_side side)
{
	const struct aces_cfg_endpoint *ce = &m->cfg->endpoints[e];
	struct mgr_ep *x = &m->ep[e];
	uint64_t left = in->ep[e].open_flows[side];

	if (left == 0) {
		if (side == ACES_SIDE_ORIGINAL) {
			set_phase(m, e, ACES_PHASE_RELEASED, 100, in->now_ms,
				  "no flow left on the original: released%s",
				  ce->hook_release != NULL ? " (running the release hook)" : "");
			if (ce->hook_release != NULL) {
				x->hook_running[ACES_HOOK_RELEASE] = 1;
				push_action(m, ACES_ACT_RUN_HOOK, e, ACES_HOOK_RELEASE, 0);
			}
		} else {
			set_phase(m, e, ACES_PHASE_ORIGINAL, 0, in->now_ms,
				  "no flow left on the replacement: back on the original");
		}
		return;
	}
	if (x->drain_acted || in->now_ms - x->phase_since < ce->drain_timeout_ms)
		return;
	x->drain_acted = 1;
	if (ce->drain_action == ACES_DRAIN_RESET) {
		push_action(m, ACES_ACT_RESET_FLOWS, e, 0, (uint8_t)side);
		journal_add(m, in->now_ms, (int32_t)e, phase_names[x->phase], phase_names[x->phase],
			    x->weight, "drain timeout (%u ms): resetting %llu flows on the %s",
			    ce->drain_timeout_ms, (unsigned long long)left, aces_side_name(side));
	} else {
		journal_add(m, in->now_ms, (int32_t)e, phase_names[x->phase], phase_names[x->phase],
			    x->weight, "drain timeout (%u ms): keeping %llu flows on the %s until "
			    "they end", ce->drain_timeout_ms, (unsigned long long)left,
			    aces_side_name(side));
	}
}

static void
update_activity(struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in)
{
	struct mgr_ep *x = &m->ep[e];
	double pps = in->ep[e].pps[0] + in->ep[e].pps[1];

	if (pps < (double)m->cfg->manager.low_activity_pps) {
		if (x->low_since == 0)
			x->low_since = in->now_ms ? in->now_ms : 1;
	} else {
		x->low_since = 0;
	}
}

/* Step @e back, its dependents first (all the way: they need it at 100 %). Critical and
 * stateful endpoints, and @all_the_way, go to 0; the others one step. */
static void
step_back(struct aces_mgr *m, uint32_t e, uint64_t now, const char *why, int all_the_way)
{
	const struct aces_config *c = m->cfg;
	const struct aces_cfg_endpoint *ce = &c->endpoints[e];
	struct mgr_ep *x = &m->ep[e];
	uint32_t d, k;
	int to;

	if (x->pinned)
		return;
	for (d = 0; d < c->n_endpoints; d++) {
		const struct aces_cfg_endpoint *cd = &c->endpoints[d];
		const struct mgr_ep *y = &m->ep[d];

		if (y->weight == 0 && y->phase != ACES_PHASE_REPLICATING)
			continue;
		for (k = 0; k < cd->n_deps; k++) {
			if (cd->deps[k] == e) {
				char r[ACES_EVENT_REASON_MAX];

				snprintf(r, sizeof(r), "its dependency %s steps back", ce->name);
				step_back(m, d, now, r, 1);
				break;
			}
		}
	}
	if (all_the_way || ce->priority == ACES_PRIO_CRITICAL || is_stateful(ce) ||
	    x->weight <= c->manager.step_percent)
		to = 0;
	else
		to = x->weight - (int)c->manager.step_percent;
	kill_hooks(m, e);
	x->reshard_t[x->reshard_n % RESHARD_LOG] = now;
	x->reshard_n++;
	x->last_reshard = now;
	x->cool_until = now + c->manager.health.cooldown_ms;
	x->last_step = now;
	set_phase(m, e, to == 0 ? ACES_PHASE_WAITING : ACES_PHASE_MIGRATING, (uint8_t)to, now,
		  "%s: step back %u%% -> %d%%", why, x->weight, to);
}

/* Overload or instability of @e's replacement side; writes the reason. */
static int
trouble(const struct aces_mgr *m, uint32_t e, const struct aces_mgr_input *in, char *why,
	size_t len)
{
	const struct aces_cfg_health *hc = &m->cfg->manager.health;
	const struct aces_mgr_ep_health *h = in->health != NULL ? &in->health[e] : NULL;
	const char *name = m->cfg->endpoints[e].name;
	const int R = ACES_SIDE_REPLACEMENT;

	if (h != NULL && h->attempts[R] >= hc->min_samples) {
		if (h->hs_p95_ms[R] > hc->max_handshake_ms) {
			snprintf(why, len, "%s: replacement SYN->SYN-ACK p95 %.0f ms > %u ms", name,
				 h->hs_p95_ms[R], hc->max_handshake_ms);
			return 1;
		}
		if (h->failures[R] * 100 > (uint64_t)hc->max_failure_percent * h->attempts[R]) {
			snprintf(why, len, "%s: replacement failures %llu of %llu attempts > %u%%",
				 name, (unsigned long long)h->failures[R],
				 (unsigned long long)h->attempts[R], hc->max_failure_percent);
			return 1;
		}
	}
	if (in->repl_cpu_max >= 0 && (uint32_t)in->repl_cpu_max > hc->max_cpu_percent) {
		snprintf(why, len, "%s: replacement CPU %d%% > %u%%", name, in->repl_cpu_max,
			 hc->max_cpu_percent);
		return 1;
	}
	return 0;
}

/*
 * Journal side @s's health (@ok: it has a backend in service): its first verdict is its
 * first state ("-" -> down; one that comes up first is no event), then every change.
 * @then: what no healthy backend means for new flows (NULL: nothing more to say); @up: the
 * event of coming back.
 */
static void
side_health_event(struct aces_mgr *m, const struct aces_mgr_input *in, int s, int ok,
		  const char *then, const char *up)
{
	const char *name = s == ACES_SIDE_ORIGINAL ? "original" : "replacement";
	int first = !m->side_known[s];

	if (first) {
		if (in->health_unknown[s])
			return;
		m->side_known[s] = 1;
		if (ok)
			return;
	} else if (ok == (m->healthy[s] > 0)) {
		return;
	}
	if (ok)
		journal_add(m, in->now_ms, -1, "down", "up", 0, "%s", up);
	else
		journal_add(m, in->now_ms, -1, first ? "-" : "up", "down", 0,
			    "the %s has no healthy backend%s%s%s", name,
			    first ? " (first verdict)" : "", then != NULL ? ": " : "",
			    then != NULL ? then : "");
}

/* Sides without healthy backends, overload and instability: step back. */
static void
health_rules(struct aces_mgr *m, const struct aces_mgr_input *in)
{
	const struct aces_config *c = m->cfg;
	const struct aces_cfg_manager *mc = &c->manager;
	int repl_ok = in->healthy_backends[ACES_SIDE_REPLACEMENT] > 0;
	int orig_ok = in->healthy_backends[ACES_SIDE_ORIGINAL] > 0;
	char why[ACES_EVENT_REASON_MAX];
	uint32_t i;

	side_health_event(m, in, ACES_SIDE_ORIGINAL, orig_ok,
			  repl_ok ? "all new flows to the replacement" : NULL,
			  "the original has a healthy backend again: assignments apply");
	side_health_event(m, in, ACES_SIDE_REPLACEMENT, repl_ok, "all new flows to the original",
			  "the replacement has a healthy backend again");
	m->healthy[0] = in->healthy_backends[0];
	m->healthy[1] = in->healthy_backends[1];
	m->have_health = 1;
	if (m->state != ACES_TRANSITION_RUNNING)
		return;
	/* dependents before their dependencies: reverse order */
	for (i = c->n_endpoints; i-- > 0;) {
		uint32_t e = m->order[i];
		struct mgr_ep *x = &m->ep[e];

		if (x->pinned)
			continue;
		if (!repl_ok) {
			/* the cool-down counts from when the replacement is healthy again */
			if (x->cool_until < in->now_ms + mc->health.cooldown_ms)
				x->cool_until = in->now_ms + mc->health.cooldown_ms;
		}
		if (!repl_ok && orig_ok &&
		    (x->weight > 0 || x->phase == ACES_PHASE_REPLICATING)) {
			step_back(m, e, in->now_ms, "the replacement has no healthy backend", 1);
			continue;
		}
		if (x->weight == 0 || !trouble(m, e, in, why, sizeof(why)))
			continue;
		/* the cool-down counts from the last trouble seen */
		if (x->cool_until < in->now_ms + mc->health.cooldown_ms)
			x->cool_until = in->now_ms + mc->health.cooldown_ms;
		if (in->now_ms - x->last_reshard < mc->health.window_ms)
			continue;	/* let the window see the effect of the last step back */
		step_back(m, e, in->now_ms, why, 0);
	}
	/* over capacity: the lowest-priority endpoint that carries replacement load steps back */
	if (mc->capacity_unit != ACES_LOAD_NONE && replacement_load(m, in) > (double)mc->capacity) {
		for (i = c->n_endpoints; i-- > 0;) {
			uint32_t e = m->order[i];
			struct mgr_ep *x = &m->ep[e];

			if (x->pinned || x->weight == 0 ||
			    in->now_ms - x->last_reshard < mc->health.window_ms)
				continue;
			snprintf(why, sizeof(why), "replacement load %.0f %s > capacity %llu",
				 replacement_load(m, in), aces_load_unit_name(mc->capacity_unit),
				 (unsigned long long)mc->capacity);
			step_back(m, e, in->now_ms, why, 0);
			break;
		}
	}
}

void
aces_mgr_tick(struct aces_mgr *m, const struct aces_mgr_input *in)
{
	const struct aces_config *c = m->cfg;
	uint32_t i, done = 0;

	for (i = 0; i < c->n_endpoints; i++)
		update_activity(m, i, in);
	health_rules(m, in);
	for (i = 0; i < c->n_endpoints; i++) {
		uint32_t e = m->order[i];
		struct mgr_ep *x = &m->ep[e];

		if (x->pinned)
			continue;
		switch (x->phase) {
		case ACES_PHASE_WAITING:
			if (m->state == ACES_TRANSITION_RUNNING)
				begin(m, e, in);
			break;
		case ACES_PHASE_MIGRATING:
			progressive(m, e, in);
			break;
		case ACES_PHASE_REPLICATING:
			if (in->now_ms - x->phase_since >= c->endpoints[e].hook_timeout_ms) {
				kill_hooks(m, e);
				set_phase(m, e, ACES_PHASE_FAILED, 0, in->now_ms,
					  "state transfer timed out after %u ms: back on the original",
					  c->endpoints[e].hook_timeout_ms);
			}
			break;
		case ACES_PHASE_CUTOVER:
			if (c->endpoints[e].migrate && in->ep[e].open_flows[ACES_SIDE_ORIGINAL] > 0)
				set_phase(m, e, ACES_PHASE_MOVING, 100, in->now_ms,
					  "moving the %llu flows left on the original to the "
					  "replacement", (unsigned long long)
					  in->ep[e].open_flows[ACES_SIDE_ORIGINAL]);
			else
				set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
					  "draining: %llu flows left on the original",
					  (unsigned long long)in->ep[e].open_flows[ACES_SIDE_ORIGINAL]);
			break;
		case ACES_PHASE_MOVING:
			/* no drain deadline while flows move: it counts once moving is over */
			if (in->ep[e].open_flows[ACES_SIDE_ORIGINAL] == 0)
				drain(m, e, in, ACES_SIDE_ORIGINAL);
			else if (in->ep[e].moving_over)
				set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
					  "%llu flows could not be moved: draining them",
					  (unsigned long long)
					  in->ep[e].open_flows[ACES_SIDE_ORIGINAL]);
			else if (!c->endpoints[e].migrate)	/* a reload turned it off */
				set_phase(m, e, ACES_PHASE_DRAINING, 100, in->now_ms,
					  "migrate is off now: draining the %llu flows left",
					  (unsigned long long)
					  in->ep[e].open_flows[ACES_SIDE_ORIGINAL]);
			break;
		case ACES_PHASE_DRAINING:
			drain(m, e, in, ACES_SIDE_ORIGINAL);
			break;
		case ACES_PHASE_RELEASED:
			if (x->hook_running[ACES_HOOK_RELEASE] &&
			    in->now_ms - x->phase_since >= c->endpoints[e].hook_timeout_ms) {
				x->hook_running[ACES_HOOK_RELEASE] = 0;
				push_action(m, ACES_ACT_KILL_HOOK, e, ACES_HOOK_RELEASE, 0);
				journal_add(m, in->now_ms, (int32_t)e, phase_names[x->phase],
					    phase_names[x->phase], x->weight,
					    "release hook still running after %u ms: stopped",
					    c->endpoints[e].hook_timeout_ms);
			}
			break;
		case ACES_PHASE_RETURNING:
			drain(m, e, in, ACES_SIDE_REPLACEMENT);
			break;
		default:
			break;
		}
		if (x->phase == ACES_PHASE_RELEASED)
			done++;
	}
	if (m->state != ACES_TRANSITION_RUNNING)
		return;
	for (i = 0; i < c->n_endpoints; i++) {
		const struct mgr_ep *x = &m->ep[i];

		if (x->pinned && x->weight == 100 &&
		    in->ep[i].open_flows[ACES_SIDE_ORIGINAL] == 0)
			done++;
	}
	if (done == c->n_endpoints) {
		journal_add(m, in->now_ms, -1, state_names[m->state],
			    state_names[ACES_TRANSITION_COMPLETE], 100,
			    "transition %u complete after %llu ms: every endpoint on the "
			    "replacement, the original holds no flow", m->transition,
			    (unsigned long long)(in->now_ms - m->started_ms));
		m->state = ACES_TRANSITION_COMPLETE;
		m->ended_ms = in->now_ms;
	}
}

/* ---- carried across a restart ---- */

int
aces_mgr_save(const struct aces_mgr *m, struct aces_mgr_saved *out)
{
	uint32_t e;

	memset(out, 0, sizeof(*out));
	out->ep = calloc(m->cfg->n_endpoints ? m->cfg->n_endpoints : 1, sizeof(*out->ep));
	if (out->ep == NULL)
		return -ENOMEM;
	out->state = (uint8_t)m->state;
	out->transition = m->transition;
	out->started_ms = m->started_ms;
	out->ended_ms = m->ended_ms;
	out->n_ep = m->cfg->n_endpoints;
	for (e = 0; e < m->cfg->n_endpoints; e++) {
		const struct mgr_ep *x = &m->ep[e];
		struct aces_mgr_saved_ep *o = &out->ep[e];

		snprintf(o->name, sizeof(o->name), "%s", ename(m, e));
		o->phase = (uint8_t)x->phase;
		o->weight = x->weight;
		o->pinned = x->pinned;
		o->drain_acted = x->drain_acted;
		memcpy(o->hook_running, x->hook_running, sizeof(o->hook_running));
		o->phase_since = x->phase_since;
		o->last_step = x->last_step;
		o->low_since = x->low_since;
		o->cool_until = x->cool_until;
		o->last_reshard = x->last_reshard;
		o->reshard_n = x->reshard_n;
		memcpy(o->reshard_t, x->reshard_t, sizeof(o->reshard_t));
	}
	return 0;
}

void
aces_mgr_saved_free(struct aces_mgr_saved *s)
{
	if (s == NULL)
		return;
	free(s->ep);
	s->ep = NULL;
	s->n_ep = 0;
}

int
aces_mgr_restore(struct aces_mgr *m, const struct aces_mgr_saved *s, uint64_t now,
		 const char *source, int hooks_alive, char *err, size_t errlen)
{
	uint32_t i, e, kept = 0, gone = 0, fresh = 0;
	uint8_t *seen;

	if (s->state >= ACES_TRANSITION_MAX) {
		snprintf(err, errlen, "transition state %u is not one of idle, running, complete, "
			 "aborted", s->state);
		return -EINVAL;
	}
	for (i = 0; i < s->n_ep; i++) {
		if (s->ep[i].phase >= ACES_PHASE_MAX || s->ep[i].weight > 100 ||
		    s->ep[i].reshard_n > UINT32_MAX / 2) {
			snprintf(err, errlen, "endpoint %s: phase %u / weight %u out of range",
				 s->ep[i].name, s->ep[i].phase, s->ep[i].weight);
			return -EINVAL;
		}
	}
	seen = calloc(m->cfg->n_endpoints ? m->cfg->n_endpoints : 1, 1);
	if (seen == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->state = (enum aces_transition_state)s->state;
	m->transition = s->transition;
	m->started_ms = s->started_ms;
	m->ended_ms = s->ended_ms;
	for (i = 0; i < s->n_ep; i++) {
		const struct aces_mgr_saved_ep *o = &s->ep[i];
		struct mgr_ep *x;
		int k, idx = aces_config_endpoint_index(m->cfg, o->name);

		if (idx < 0 || seen[idx]) {
			gone++;
			continue;
		}
		e = (uint32_t)idx;
		seen[e] = 1;
		kept++;
		x = &m->ep[e];
		memset(x, 0, sizeof(*x));
		x->phase = (enum aces_phase)o->phase;
		x->weight = o->weight;
		x->pinned = o->pinned != 0;
		x->drain_acted = o->drain_acted;
		x->phase_since = o->phase_since;
		x->last_step = o->last_step;
		x->low_since = o->low_since;
		x->cool_until = o->cool_until;
		x->last_reshard = o->last_reshard;
		x->reshard_n = o->reshard_n;
		memcpy(x->reshard_t, o->reshard_t, sizeof(x->reshard_t));
		/* a hook dies with its process: run it again where its phase still wants it */
		for (k = 0; k < ACES_HOOK_MAX; k++) {
			if (!o->hook_running[k])
				continue;
			if (k == ACES_HOOK_REPLICATE && x->phase != ACES_PHASE_REPLICATING)
				continue;
			x->hook_running[k] = 1;
			if (hooks_alive)
				continue;	/* a reload: the hook still runs */
			push_action(m, ACES_ACT_RUN_HOOK, e, (uint8_t)k, 0);
			journal_add(m, now, (int32_t)e, phase_names[x->phase], phase_names[x->phase],
				    x->weight, "%s hook run again: its process ended with %s",
				    k == ACES_HOOK_REPLICATE ? "replicate" : "release",
				    source != NULL ? source : "the last process");
		}
	}
	for (e = 0; e < m->cfg->n_endpoints; e++) {
		if (seen[e])
			continue;
		fresh++;
		if (m->state == ACES_TRANSITION_RUNNING) {
			m->ep[e].phase = ACES_PHASE_WAITING;
			m->ep[e].phase_since = now;
		}
	}
	free(seen);
	if (source != NULL)	/* NULL: a reload, which journals itself */
		journal_add(m, now, -1, state_names[m->state], state_names[m->state], 0,
			    "state of %s taken over: transition %u %s, %u endpoints kept, %u left "
			    "out (not configured), %u new", source, m->transition,
			    state_names[m->state], kept, gone, fresh);
	return 0;
}

int
aces_mgr_journal_restore(struct aces_mgr *m, const struct aces_event *ev, uint32_t n)
{
	uint32_t i;

	if (m->next_id != 1)
		return -EBUSY;
	for (i = 0; i < n; i++) {
		struct journal_slot *sl;

		if (ev[i].id < m->next_id)
			return -EINVAL;		/* ids must increase */
		sl = &m->slots[ev[i].id % m->jcap];
		__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		sl->ev = ev[i];
		__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&m->next_id, ev[i].id + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int
aces_mgr_release(struct aces_mgr *m, uint64_t now, char *err, size_t errlen)
{
	uint32_t e;

	if (m->state != ACES_TRANSITION_COMPLETE) {
		snprintf(err, errlen, "transition %u is %s, not complete", m->transition,
			 state_names[m->state]);
		return -EINVAL;
	}
	journal_add(m, now, -1, state_names[m->state], state_names[ACES_TRANSITION_IDLE], 0,
		    "release: the replacement of transition %u is the original now; transition %u "
		    "can start", m->transition, m->transition + 1);
	m->state = ACES_TRANSITION_IDLE;
	m->started_ms = 0;
	m->ended_ms = 0;
	for (e = 0; e < m->cfg->n_endpoints; e++) {
		struct mgr_ep *x = &m->ep[e];

		kill_hooks(m, e);
		/* the same backends keep taking the same share of new flows */
		memset(x->reshard_t, 0, sizeof(x->reshard_t));
		x->reshard_n = 0;
		x->cool_until = 0;
		x->low_since = 0;
		x->last_step = 0;
		x->wait = WAIT_NONE;
		x->drain_acted = 0;
		x->phase = ACES_PHASE_ORIGINAL;
		x->phase_since = now;
		x->weight = x->pinned ? (uint8_t)(100 - x->weight) : 0;
	}
	return 0;
}

uint32_t
aces_mgr_transition(const struct aces_mgr *m)
{
	return m->transition;
}

enum aces_transition_state
aces_mgr_state(const struct aces_mgr *m)
{
	return m->state;
}

uint64_t
aces_mgr_started_ms(const struct aces_mgr *m)
{
	return m->started_ms;
}

uint64_t
aces_mgr_ended_ms(const struct aces_mgr *m)
{
	return m->ended_ms;
}

uint8_t
aces_mgr_weight(const struct aces_mgr *m, uint32_t e)
{
	if (m->have_health) {
		int repl_ok = m->healthy[ACES_SIDE_REPLACEMENT] > 0;
		int orig_ok = m->healthy[ACES_SIDE_ORIGINAL] > 0;

		if (!repl_ok && orig_ok)
			return 0;	/* an unavailable side sends its endpoints to the other */
		if (!orig_ok && repl_ok)
			return 100;
	}
	return m->ep[e].weight;
}

enum aces_phase
aces_mgr_phase(const struct aces_mgr *m, uint32_t e)
{
	return m->ep[e].phase;
}

int
aces_mgr_pinned(const struct aces_mgr *m, uint32_t e)
{
	return m->ep[e].pinned;
}
