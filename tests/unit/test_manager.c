/* SPDX-License-Identifier: BSD-3-Clause */
/* The Endpoint Manager's rules, driven with simulated time and load. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aces/config.h"
#include "aces/health.h"
#include "aces/manager.h"
#include "unit.h"

#define MAX_EP 8

static struct aces_config *cfg;
static struct aces_mgr *mgr;
static struct aces_mgr_ep_load load[MAX_EP];
static struct aces_mgr_ep_health health[MAX_EP];
static uint32_t healthy[2] = { 1, 1 };
static uint8_t unknown[2];
static int32_t cpu = -1;
static uint64_t now;
static char err[256];

/* endpoints: JSON array body; manager: JSON object body */
static void
setup(const char *endpoints, const char *manager)
{
	char text[8192];

	snprintf(text, sizeof(text),
		 ACES_TEST_CFG_HEAD
		 " \"endpoints\": [%s], \"manager\": {%s}}", endpoints, manager);
	cfg = aces_config_parse(text, "test", err, sizeof(err));
	if (cfg == NULL)
		printf("\nconfig: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	mgr = aces_mgr_create(cfg, 256);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mgr);
	memset(load, 0, sizeof(load));
	memset(health, 0, sizeof(health));
	healthy[0] = healthy[1] = 1;
	unknown[0] = unknown[1] = 0;
	cpu = -1;
	now = 1000;
}

static void
teardown(void)
{
	aces_mgr_free(mgr);
	aces_config_free(cfg);
	mgr = NULL;
	cfg = NULL;
}

static void
tick(void)
{
	struct aces_mgr_input in = { .now_ms = now, .ep = load, .health = health,
				     .healthy_backends = { healthy[0], healthy[1] },
				     .health_unknown = { unknown[0], unknown[1] },
				     .repl_cpu_max = cpu };

	aces_mgr_tick(mgr, &in);
}

/* Advance simulated time in 100 ms ticks. */
static void
run_ms(uint64_t ms)
{
	uint64_t end = now + ms;

	while (now < end) {
		now += 100;
		tick();
	}
}

static int
ep(const char *name)
{
	return aces_config_endpoint_index(cfg, name);
}

static uint8_t
weight(const char *name)
{
	return aces_mgr_weight(mgr, (uint32_t)ep(name));
}

static enum aces_phase
phase(const char *name)
{
	return aces_mgr_phase(mgr, (uint32_t)ep(name));
}

/* Index in the journal of the first event of @name whose "to" is @to (0: none). */
static uint64_t
event_at(const char *name, const char *to, const char *reason_part)
{
	uint64_t id, next = aces_mgr_journal_next_id(mgr);
	struct aces_event ev;
	int e = name != NULL ? ep(name) : -1;

	for (id = aces_mgr_journal_first_id(mgr); id < next; id++) {
		if (aces_mgr_journal_read(mgr, id, &ev) != 0)
			continue;
		if (ev.ep == e && (to == NULL || strcmp(ev.to, to) == 0) &&
		    (reason_part == NULL || strstr(ev.reason, reason_part) != NULL))
			return id;
	}
	return 0;
}

static void
start(void)
{
	CU_ASSERT_EQUAL_FATAL(aces_mgr_start(mgr, now, "test", err, sizeof(err)), 0);
}

#define EP(name, prio, state) \
	"{\"name\": \"" name "\", \"vip\": \"10.0.0.9\", \"port\": " #prio "0, \"protocol\": \"tcp\"," \
	" \"priority\": \"" state "\"}"

static void
test_manager_idle_until_started(void)
{
	setup("{\"name\": \"a\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"}", "");
	run_ms(1000);
	CU_ASSERT_EQUAL(weight("a"), 0);
	CU_ASSERT_EQUAL(phase("a"), ACES_PHASE_ORIGINAL);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_IDLE);
	teardown();
}

static void
test_manager_critical_first_at_once(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"critical\"}",
	      "\"step_percent\": 50, \"step_interval_ms\": 1000");
	start();
	tick();
	CU_ASSERT_EQUAL(weight("c"), 100);
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_DRAINING);
	/* the critical one's decision is journaled before any move of the high one */
	CU_ASSERT(event_at("c", "draining", NULL) != 0);
	CU_ASSERT(event_at("c", "draining", NULL) < event_at("h", "migrating", NULL));
	teardown();
}

static void
test_manager_critical_stateful_holds_others(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"critical\","
	      " \"statefulness\": \"session\"}", "");
	start();
	run_ms(2000);
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_REPLICATING);
	CU_ASSERT_EQUAL(weight("h"), 0);
	CU_ASSERT(event_at("h", "waiting", "critical endpoint c") != 0);
	CU_ASSERT_EQUAL(aces_mgr_state_ready(mgr, (uint32_t)ep("c"), now, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(weight("c"), 100);
	run_ms(200);
	CU_ASSERT(weight("h") > 0);
	teardown();
}

/* High stateless: steps of step_percent every step_interval_ms through 20,40,...,100. */
static void
test_manager_high_progressive(void)
{
	uint8_t seen[6] = { 0 };
	int i;

	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}",
	      "\"step_percent\": 20, \"step_interval_ms\": 1000");
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 5;	/* keeps it draining at the end */
	start();
	tick();
	CU_ASSERT_EQUAL(weight("h"), 20);
	run_ms(900);
	CU_ASSERT_EQUAL(weight("h"), 20);	/* not before the interval */
	for (i = 0; i < 5; i++) {
		seen[i] = weight("h");
		run_ms(1000);
	}
	CU_ASSERT_EQUAL(seen[0], 20);
	CU_ASSERT_EQUAL(seen[1], 40);
	CU_ASSERT_EQUAL(seen[2], 60);
	CU_ASSERT_EQUAL(seen[3], 80);
	CU_ASSERT_EQUAL(weight("h"), 100);
	CU_ASSERT_EQUAL(phase("h"), ACES_PHASE_DRAINING);
	teardown();
}

/* Capacity: the next step would exceed it, so the endpoint waits, and says so. */
static void
test_manager_capacity_stops_step(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}",
	      "\"step_percent\": 25, \"step_interval_ms\": 500, \"replacement_capacity\": {\"pps\": 1000}");
	start();
	load[0].pps[ACES_SIDE_ORIGINAL] = 1500;	/* 1500 pps in all */
	tick();
	CU_ASSERT_EQUAL(weight("h"), 25);	/* 0 + 375 <= 1000 */
	load[0].pps[ACES_SIDE_ORIGINAL] = 1125;
	load[0].pps[ACES_SIDE_REPLACEMENT] = 375;
	run_ms(500);
	CU_ASSERT_EQUAL(weight("h"), 50);	/* 375 + 375 <= 1000 */
	load[0].pps[ACES_SIDE_ORIGINAL] = 750;
	load[0].pps[ACES_SIDE_REPLACEMENT] = 750;
	run_ms(3000);
	CU_ASSERT_EQUAL(weight("h"), 50);	/* 750 + 375 > 1000: waits */
	CU_ASSERT_EQUAL(phase("h"), ACES_PHASE_MIGRATING);
	CU_ASSERT(event_at("h", "migrating", "over its capacity 1000") != 0);
	/* load drops: it moves on */
	load[0].pps[ACES_SIDE_ORIGINAL] = 100;
	load[0].pps[ACES_SIDE_REPLACEMENT] = 100;
	run_ms(500);
	CU_ASSERT_EQUAL(weight("h"), 75);
	teardown();
}

static void
test_manager_low_activity_medium(void)
{
	setup("{\"name\": \"m\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"medium\"}",
	      "\"low_activity_pps\": 50, \"low_activity_window_ms\": 2000, \"max_wait_ms\": 60000");
	start();
	load[0].pps[ACES_SIDE_ORIGINAL] = 400;
	run_ms(5000);
	CU_ASSERT_EQUAL(weight("m"), 0);	/* busy: waits */
	CU_ASSERT(event_at("m", "waiting", "waits for low activity") != 0);
	load[0].pps[ACES_SIDE_ORIGINAL] = 10;
	run_ms(1500);
	CU_ASSERT_EQUAL(weight("m"), 0);	/* not idle long enough yet */
	run_ms(700);
	CU_ASSERT_EQUAL(weight("m"), 100);
	CU_ASSERT(event_at("m", "draining", "low activity") != 0);
	teardown();
}

static void
test_manager_max_wait_low_busy(void)
{
	setup("{\"name\": \"l\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"low\"}",
	      "\"low_activity_pps\": 50, \"max_wait_ms\": 4000, \"step_percent\": 50, \"step_interval_ms\": 1000");
	start();
	load[0].pps[ACES_SIDE_ORIGINAL] = 900;
	run_ms(3800);
	CU_ASSERT_EQUAL(weight("l"), 0);
	run_ms(300);
	CU_ASSERT_EQUAL(weight("l"), 50);	/* progressive after max_wait */
	CU_ASSERT(event_at("l", "migrating", "max_wait 4000 ms reached") != 0);
	run_ms(1000);
	CU_ASSERT_EQUAL(weight("l"), 100);
	teardown();
}

static void
test_manager_dependency_holds(void)
{
	setup("{\"name\": \"db\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"web\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"high\","
	      " \"depends_on\": [\"db\"]}",
	      "\"step_percent\": 50, \"step_interval_ms\": 1000");
	start();
	tick();
	CU_ASSERT_EQUAL(weight("db"), 50);
	CU_ASSERT_EQUAL(weight("web"), 0);
	CU_ASSERT(event_at("web", "waiting", "waits for its dependency db") != 0);
	run_ms(1000);
	CU_ASSERT_EQUAL(weight("db"), 100);
	run_ms(100);
	CU_ASSERT_EQUAL(weight("web"), 50);
	/* the dependent's first move comes after the dependency reached 100 % */
	CU_ASSERT(event_at("db", "draining", NULL) < event_at("web", "migrating", NULL));
	teardown();
}

static void
test_manager_cycle_rejected(void)
{
	char text[2048];
	struct aces_config *c;

	snprintf(text, sizeof(text),
		 ACES_TEST_CFG_HEAD
		 " \"endpoints\": ["
		 "{\"name\": \"a\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"depends_on\": [\"c\"]},"
		 "{\"name\": \"b\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"depends_on\": [\"a\"]},"
		 "{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 3, \"protocol\": \"tcp\", \"depends_on\": [\"b\"]}]}");
	c = aces_config_parse(text, "cycle", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dependency cycle"));
	aces_config_free(c);
}

static void
test_manager_abort_returns_all(void)
{
	struct aces_mgr_action act[16];
	uint32_t n;

	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"},"
	      "{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"high\", \"depends_on\": [\"c\"]},"
	      "{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 3, \"protocol\": \"tcp\", \"priority\": \"medium\","
	      " \"statefulness\": \"persistent\", \"drain_action\": \"reset\", \"drain_timeout_ms\": 1000,"
	      " \"hooks\": {\"replicate\": \"sleep 100\"}}",
	      "\"step_percent\": 20, \"step_interval_ms\": 1000");
	start();
	run_ms(1500);
	CU_ASSERT_EQUAL(weight("c"), 100);
	CU_ASSERT_EQUAL(weight("h"), 40);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	n = aces_mgr_take_actions(mgr, act, 16);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(act[0].type, ACES_ACT_RUN_HOOK);
	load[ep("c")].open_flows[ACES_SIDE_REPLACEMENT] = 3;
	CU_ASSERT_EQUAL(aces_mgr_abort(mgr, now, "test", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_ABORTED);
	CU_ASSERT_EQUAL(weight("c"), 0);
	CU_ASSERT_EQUAL(weight("h"), 0);
	CU_ASSERT_EQUAL(weight("s"), 0);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_ORIGINAL);
	/* dependents first: h returns before c */
	CU_ASSERT(event_at("h", "returning", NULL) < event_at("c", "returning", NULL));
	/* the running replicate hook is killed */
	n = aces_mgr_take_actions(mgr, act, 16);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(act[0].type, ACES_ACT_KILL_HOOK);
	run_ms(300);
	CU_ASSERT_EQUAL(phase("h"), ACES_PHASE_ORIGINAL);	/* no flow on the replacement */
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_RETURNING);	/* 3 flows still there */
	/* a new start must wait until c is back */
	CU_ASSERT_EQUAL(aces_mgr_start(mgr, now, "again", err, sizeof(err)), -EBUSY);
	load[ep("c")].open_flows[ACES_SIDE_REPLACEMENT] = 0;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_ORIGINAL);
	CU_ASSERT_EQUAL(aces_mgr_start(mgr, now, "again", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(aces_mgr_abort(mgr, now, "x", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(aces_mgr_abort(mgr, now, "x", err, sizeof(err)), -EINVAL);
	teardown();
}

static void
test_manager_state_timeout(void)
{
	struct aces_mgr_action act[4];

	setup("{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\","
	      " \"statefulness\": \"session\", \"hooks\": {\"replicate\": \"sleep 100\"}}",
	      "\"state_timeout_ms\": 3000");
	start();
	tick();
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	run_ms(2800);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	run_ms(300);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_FAILED);
	CU_ASSERT_EQUAL(weight("s"), 0);
	CU_ASSERT(event_at("s", "failed", "timed out after 3000 ms") != 0);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT_EQUAL(act[0].type, ACES_ACT_KILL_HOOK);
	/* a late hook result changes nothing */
	aces_mgr_hook_done(mgr, (uint32_t)ep("s"), ACES_HOOK_REPLICATE, 0, "late", now);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_FAILED);
	teardown();
}

/* Stateful: replicating -> cutover -> draining -> (drain timeout: reset) -> released. */
static void
test_manager_stateful_phases(void)
{
	struct aces_mgr_action act[4];
	uint32_t s;

	setup("{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"medium\","
	      " \"statefulness\": \"persistent\", \"drain_action\": \"reset\", \"drain_timeout_ms\": 2000,"
	      " \"hooks\": {\"replicate\": \"true\", \"release\": \"true\"}}", "");
	s = (uint32_t)ep("s");
	start();
	tick();
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_RUN_HOOK && act[0].hook == ACES_HOOK_REPLICATE);
	aces_mgr_hook_done(mgr, s, ACES_HOOK_REPLICATE, 0, "copied 42 keys", now);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_CUTOVER);
	CU_ASSERT_EQUAL(weight("s"), 100);
	load[s].open_flows[ACES_SIDE_ORIGINAL] = 7;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_DRAINING);
	run_ms(1800);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 0);
	run_ms(300);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_RESET_FLOWS && act[0].side == ACES_SIDE_ORIGINAL &&
		  act[0].ep == s);
	run_ms(500);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 0);	/* reset once */
	load[s].open_flows[ACES_SIDE_ORIGINAL] = 0;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_RELEASED);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_RUN_HOOK && act[0].hook == ACES_HOOK_RELEASE);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_COMPLETE);
	CU_ASSERT(event_at("s", "replicating", NULL) < event_at("s", "cutover", NULL));
	CU_ASSERT(event_at("s", "cutover", NULL) < event_at("s", "draining", NULL));
	CU_ASSERT(event_at("s", "draining", NULL) < event_at("s", "draining", "resetting 7 flows"));
	CU_ASSERT(event_at("s", "draining", "resetting") < event_at("s", "released", NULL));
	CU_ASSERT(event_at(NULL, "complete", NULL) != 0);
	teardown();
}

/* A secret file for configs with "agents" (removed at exit). */
static const char *
secret_file(void)
{
	static char path[] = "/tmp/aces-test-secret.XXXXXX";
	static int made;

	if (!made) {
		int fd = mkstemp(path);

		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_FATAL(write(fd, "0123456789abcdef0123\n", 21) == 21);
		close(fd);
		made = 1;
	}
	return path;
}

/* migrate: cutover -> moving (no drain deadline) -> released at once when no flow is left,
 * or -> draining (deadline from then) when the mover says nothing more can move. */
static void
test_manager_moving_phase(void)
{
	struct aces_mgr_action act[4];
	char text[4096];
	uint32_t s;

	snprintf(text, sizeof(text), ACES_TEST_CFG_HEAD
		 " \"endpoints\": [{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\","
		 " \"statefulness\": \"persistent\", \"drain_action\": \"reset\", \"drain_timeout_ms\": 1000,"
		 " \"migrate\": true, \"hooks\": {\"replicate\": \"true\", \"release\": \"true\","
		 " \"timeout_ms\": 1500}},"
		 " {\"name\": \"t\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\","
		 " \"statefulness\": \"session\", \"migrate\": true, \"hooks\": {\"replicate\": \"true\"}},"
		 " {\"name\": \"u\", \"vip\": \"10.0.0.9\", \"port\": 3, \"protocol\": \"tcp\","
		 " \"statefulness\": \"session\", \"migrate\": true}],"
		 " \"agents\": {\"port\": 7800, \"secret_file\": \"%s\"}}", secret_file());
	cfg = aces_config_parse(text, "test", err, sizeof(err));
	if (cfg == NULL)
		printf("\nconfig: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	mgr = aces_mgr_create(cfg, 256);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mgr);
	memset(load, 0, sizeof(load));
	healthy[0] = healthy[1] = 1;
	now = 1000;
	s = (uint32_t)ep("s");
	start();
	tick();
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 2);	/* both replicate hooks */
	load[s].open_flows[ACES_SIDE_ORIGINAL] = 5;
	load[ep("u")].open_flows[ACES_SIDE_ORIGINAL] = 4;
	CU_ASSERT_EQUAL(aces_mgr_state_ready(mgr, (uint32_t)ep("u"), now, err, sizeof(err)), 0);
	load[ep("t")].open_flows[ACES_SIDE_ORIGINAL] = 3;
	aces_mgr_hook_done(mgr, s, ACES_HOOK_REPLICATE, 0, "", now);
	aces_mgr_hook_done(mgr, (uint32_t)ep("t"), ACES_HOOK_REPLICATE, 0, "", now);
	run_ms(100);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_MOVING);
	CU_ASSERT_EQUAL(weight("s"), 100);
	CU_ASSERT(event_at("s", "moving", "moving the 5 flows") != 0);
	run_ms(5000);	/* far past drain_timeout_ms: no reset while moving */
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_MOVING);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 0);
	/* s: everything moved -> released at once, its release hook runs */
	load[s].open_flows[ACES_SIDE_ORIGINAL] = 0;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_RELEASED);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_RUN_HOOK && act[0].hook == ACES_HOOK_RELEASE);
	/* its release hook does not end: stopped at hooks.timeout_ms (1500) */
	run_ms(1400);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 0);
	run_ms(200);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_KILL_HOOK && act[0].hook == ACES_HOOK_RELEASE);
	CU_ASSERT(event_at("s", "released", "release hook still running after 1500 ms") != 0);
	/* t: 2 could not be moved -> draining; the deadline counts from then */
	load[ep("t")].open_flows[ACES_SIDE_ORIGINAL] = 2;
	load[ep("t")].moving_over = 1;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("t"), ACES_PHASE_DRAINING);
	CU_ASSERT(event_at("t", "draining", "2 flows could not be moved") != 0);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_RUNNING);
	/* u: a reload turns migrate off (the manager's view of the config changes) */
	CU_ASSERT_EQUAL(phase("u"), ACES_PHASE_MOVING);
	cfg->endpoints[ep("u")].migrate = 0;
	run_ms(100);
	CU_ASSERT_EQUAL(phase("u"), ACES_PHASE_DRAINING);
	CU_ASSERT(event_at("u", "draining", "migrate is off now") != 0);
	/* an abort while moving sends new flows back */
	CU_ASSERT_EQUAL(aces_mgr_abort(mgr, now, "test", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(phase("t"), ACES_PHASE_RETURNING);
	teardown();
}

static void
test_manager_hook_failure(void)
{
	struct aces_mgr_action act[4];

	setup("{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"statefulness\": \"session\","
	      " \"hooks\": {\"replicate\": \"false\"}}", "");
	start();
	tick();
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);
	aces_mgr_hook_done(mgr, 0, ACES_HOOK_REPLICATE, 3, "disk full", now);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_FAILED);
	CU_ASSERT(event_at("s", "failed", "exited 3 (disk full)") != 0);
	teardown();
}

/* Stateless endpoints keep lingering flows by default until they end. */
static void
test_manager_keep_lingering(void)
{
	struct aces_mgr_action act[4];

	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"}",
	      "\"drain_timeout_ms\": 1000");
	start();
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 2;
	run_ms(3000);
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_DRAINING);
	CU_ASSERT(event_at("c", "draining", "keeping 2 flows") != 0);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 0);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_RUNNING);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 0;
	run_ms(100);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_COMPLETE);
	teardown();
}

static void
test_manager_pin_respected(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"critical\"}",
	      "\"step_percent\": 50, \"step_interval_ms\": 1000");
	CU_ASSERT_EQUAL(aces_mgr_pin(mgr, (uint32_t)ep("h"), 10, now), 0);
	CU_ASSERT_EQUAL(aces_mgr_pin(mgr, (uint32_t)ep("c"), 0, now), 0);
	start();
	run_ms(5000);
	CU_ASSERT_EQUAL(weight("h"), 10);
	CU_ASSERT_EQUAL(weight("c"), 0);	/* a pinned critical one does not move either */
	CU_ASSERT(aces_mgr_pinned(mgr, (uint32_t)ep("h")));
	CU_ASSERT_EQUAL(aces_mgr_unpin(mgr, (uint32_t)ep("c"), now, err, sizeof(err)), 0);
	run_ms(100);
	CU_ASSERT_EQUAL(weight("c"), 100);
	CU_ASSERT_EQUAL(weight("h"), 10);
	CU_ASSERT_EQUAL(aces_mgr_unpin(mgr, (uint32_t)ep("h"), now, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(phase("h"), ACES_PHASE_MIGRATING);
	run_ms(1100);
	CU_ASSERT_EQUAL(weight("h"), 60);
	CU_ASSERT_EQUAL(aces_mgr_unpin(mgr, (uint32_t)ep("h"), now, err, sizeof(err)), -EINVAL);
	teardown();
}

static void
test_manager_no_replacement_backend(void)
{
	struct aces_mgr_input in = { .ep = load, .healthy_backends = { 1, 0 } };

	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"}", "");
	start();
	in.now_ms = now + 100;
	aces_mgr_tick(mgr, &in);
	CU_ASSERT_EQUAL(weight("c"), 0);
	CU_ASSERT(event_at("c", "waiting", "no healthy backend") != 0);
	teardown();
}

static void
test_manager_journal_wraps(void)
{
	struct aces_event ev;
	uint64_t first;
	int i;

	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}", "");
	for (i = 0; i < 300; i++) {
		aces_mgr_pin(mgr, 0, (uint8_t)(i % 100), now);
	}
	CU_ASSERT_EQUAL(aces_mgr_journal_next_id(mgr), 301);
	first = aces_mgr_journal_first_id(mgr);
	CU_ASSERT_EQUAL(first, 301 - 256);
	CU_ASSERT_EQUAL(aces_mgr_journal_read(mgr, first - 1, &ev), -ENOENT);
	CU_ASSERT_EQUAL(aces_mgr_journal_read(mgr, 300, &ev), 0);
	CU_ASSERT_EQUAL(ev.id, 300);
	CU_ASSERT_EQUAL(ev.weight, 299 % 100);
	CU_ASSERT_EQUAL(aces_mgr_journal_read(mgr, 301, &ev), -ENOENT);
	CU_ASSERT_EQUAL(aces_mgr_journal_read(mgr, 0, &ev), -ENOENT);
	teardown();
}

static void
test_manager_start_twice(void)
{
	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"}", "");
	start();
	CU_ASSERT_EQUAL(aces_mgr_start(mgr, now, "again", err, sizeof(err)), -EALREADY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "already running"));
	run_ms(200);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_COMPLETE);
	CU_ASSERT_EQUAL(aces_mgr_start(mgr, now, "again", err, sizeof(err)), -EALREADY);
	CU_ASSERT_EQUAL(aces_mgr_abort(mgr, now, "late", err, sizeof(err)), -EINVAL);
	teardown();
}

static void
test_manager_config_section(void)
{
	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"drain_timeout_ms\": 5}",
	      "\"tick_ms\": 50, \"replacement_capacity\": {\"new_flows_per_s\": 900}, \"drain_timeout_ms\": 7000");
	CU_ASSERT_EQUAL(cfg->manager.tick_ms, 50);
	CU_ASSERT_EQUAL(cfg->manager.capacity_unit, ACES_LOAD_NEW_FLOWS);
	CU_ASSERT_EQUAL(cfg->manager.capacity, 900);
	CU_ASSERT_EQUAL(cfg->manager.step_percent, 20);
	CU_ASSERT_EQUAL(cfg->manager.max_wait_ms, 30000);
	CU_ASSERT_EQUAL(cfg->endpoints[0].drain_timeout_ms, 5);
	CU_ASSERT_EQUAL(cfg->endpoints[0].drain_action, ACES_DRAIN_KEEP);
	teardown();
	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\"}", "");
	CU_ASSERT_EQUAL(cfg->manager.capacity_unit, ACES_LOAD_NONE);
	CU_ASSERT_EQUAL(cfg->endpoints[0].drain_timeout_ms, 30000);
	teardown();
}

/* ---- health ---- */

/*
 * Save and restore (a restart): a second manager fed the first's saved state and journal
 * steps on exactly where the first would have, and numbers its events on.
 */
static void
test_manager_save_restore_midway(void)
{
	struct aces_mgr_saved sv;
	struct aces_event evs[64];
	struct aces_mgr *m2;
	uint64_t id, n_ev = 0, next;
	int i;

	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"p\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"low\"}",
	      "\"step_percent\": 20, \"step_interval_ms\": 1000");
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 5;
	CU_ASSERT_EQUAL(aces_mgr_transition(mgr), 0);
	start();
	CU_ASSERT_EQUAL(aces_mgr_transition(mgr), 1);
	CU_ASSERT_EQUAL(aces_mgr_pin(mgr, (uint32_t)ep("p"), 30, now), 0);
	tick();
	run_ms(1500);
	CU_ASSERT_EQUAL(weight("h"), 40);
	CU_ASSERT_EQUAL_FATAL(aces_mgr_save(mgr, &sv), 0);
	CU_ASSERT_EQUAL(sv.n_ep, 2);
	CU_ASSERT_EQUAL(sv.transition, 1);
	next = aces_mgr_journal_next_id(mgr);
	for (id = aces_mgr_journal_first_id(mgr); id < next && n_ev < 64; id++)
		if (aces_mgr_journal_read(mgr, id, &evs[n_ev]) == 0)
			n_ev++;
	CU_ASSERT(n_ev >= 3);

	m2 = aces_mgr_create(cfg, 256);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m2);
	CU_ASSERT_EQUAL(aces_mgr_journal_restore(m2, evs, (uint32_t)n_ev), 0);
	CU_ASSERT_EQUAL(aces_mgr_journal_next_id(m2), next);
	CU_ASSERT_EQUAL(aces_mgr_journal_restore(m2, evs, 1), -EBUSY);
	CU_ASSERT_EQUAL(aces_mgr_restore(m2, &sv, now, "the last process", 0, err, sizeof(err)), 0);
	aces_mgr_saved_free(&sv);
	CU_ASSERT_EQUAL(aces_mgr_state(m2), ACES_TRANSITION_RUNNING);
	CU_ASSERT_EQUAL(aces_mgr_transition(m2), 1);
	CU_ASSERT_EQUAL(aces_mgr_weight(m2, (uint32_t)ep("h")), 40);
	CU_ASSERT_EQUAL(aces_mgr_weight(m2, (uint32_t)ep("p")), 30);
	CU_ASSERT(aces_mgr_pinned(m2, (uint32_t)ep("p")));
	CU_ASSERT_EQUAL(aces_mgr_started_ms(m2), aces_mgr_started_ms(mgr));
	/* both go on in step, tick for tick */
	for (i = 0; i < 40; i++) {
		struct aces_mgr_input in = { .now_ms = now + 100, .ep = load, .health = health,
					     .healthy_backends = { 1, 1 }, .repl_cpu_max = -1 };

		run_ms(100);
		aces_mgr_tick(m2, &in);
		CU_ASSERT_EQUAL(aces_mgr_weight(m2, (uint32_t)ep("h")), weight("h"));
		CU_ASSERT_EQUAL(aces_mgr_phase(m2, (uint32_t)ep("h")), phase("h"));
	}
	CU_ASSERT_EQUAL(aces_mgr_weight(m2, (uint32_t)ep("h")), 100);
	/* the restore's own event follows the old ones */
	{
		struct aces_event ev;

		CU_ASSERT_EQUAL(aces_mgr_journal_read(m2, next, &ev), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev.reason, "taken over: transition 1 running, 2 "
						"endpoints kept"));
	}
	aces_mgr_free(m2);
	teardown();
}

/* Restore onto another configuration: by name; a hook that was running is asked again;
 * bad saved values are refused whole. */
static void
test_manager_restore_other_config(void)
{
	struct aces_mgr_saved sv;
	struct aces_mgr_action act[4];
	struct aces_config *c2;
	struct aces_mgr *m2;
	char text[4096];
	uint8_t keep;

	setup("{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"medium\","
	      " \"statefulness\": \"persistent\", \"drain_action\": \"reset\","
	      " \"hooks\": {\"replicate\": \"true\"}},"
	      "{\"name\": \"gone\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"high\"}", "");
	start();
	tick();
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	CU_ASSERT_EQUAL(aces_mgr_take_actions(mgr, act, 4), 1);	/* the hook runs ... */
	CU_ASSERT_EQUAL_FATAL(aces_mgr_save(mgr, &sv), 0);	/* ... when ACES stops */

	snprintf(text, sizeof(text), ACES_TEST_CFG_HEAD " \"endpoints\": ["
		 "{\"name\": \"new\", \"vip\": \"10.0.0.9\", \"port\": 3, \"protocol\": \"tcp\"},"
		 "{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\","
		 " \"priority\": \"medium\", \"statefulness\": \"persistent\", \"drain_action\": \"reset\","
		 " \"hooks\": {\"replicate\": \"true\"}}]}");
	c2 = aces_config_parse(text, "test2", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	m2 = aces_mgr_create(c2, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m2);
	/* out of range: refused, nothing taken */
	keep = sv.ep[0].phase;
	sv.ep[0].phase = ACES_PHASE_MAX;
	CU_ASSERT_EQUAL(aces_mgr_restore(m2, &sv, now, "the last process", 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "endpoint s"));
	CU_ASSERT_EQUAL(aces_mgr_state(m2), ACES_TRANSITION_IDLE);
	sv.ep[0].phase = keep;
	sv.state = ACES_TRANSITION_MAX;
	CU_ASSERT_EQUAL(aces_mgr_restore(m2, &sv, now, "the last process", 0, err, sizeof(err)), -EINVAL);
	sv.state = ACES_TRANSITION_RUNNING;

	CU_ASSERT_EQUAL(aces_mgr_restore(m2, &sv, now, "the last process", 0, err, sizeof(err)), 0);
	aces_mgr_saved_free(&sv);
	CU_ASSERT_EQUAL(aces_mgr_phase(m2, 1), ACES_PHASE_REPLICATING);	/* "s", now index 1 */
	CU_ASSERT_EQUAL(aces_mgr_phase(m2, 0), ACES_PHASE_WAITING);	/* "new" joins the run */
	CU_ASSERT_EQUAL(aces_mgr_take_actions(m2, act, 4), 1);
	CU_ASSERT(act[0].type == ACES_ACT_RUN_HOOK && act[0].hook == ACES_HOOK_REPLICATE &&
		  act[0].ep == 1);
	aces_mgr_hook_done(m2, 1, ACES_HOOK_REPLICATE, 0, "copied", now);
	CU_ASSERT_EQUAL(aces_mgr_phase(m2, 1), ACES_PHASE_CUTOVER);
	{
		struct aces_event ev;
		uint64_t id, found = 0;

		for (id = 1; id < aces_mgr_journal_next_id(m2); id++)
			if (aces_mgr_journal_read(m2, id, &ev) == 0 &&
			    strstr(ev.reason, "1 endpoints kept, 1 left out (not configured), 1 new"))
				found = id;
		CU_ASSERT(found != 0);
	}
	aces_mgr_free(m2);
	aces_config_free(c2);
	teardown();
}

/* Release after release: a complete transition goes idle with new flows where they went;
 * the next one is numbered on; a release before completion is refused. */
static void
test_manager_release(void)
{
	setup("{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"},"
	      "{\"name\": \"p\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"low\"}", "");
	CU_ASSERT_EQUAL(aces_mgr_release(mgr, now, err, sizeof(err)), -EINVAL);
	start();
	run_ms(500);
	CU_ASSERT_EQUAL(aces_mgr_release(mgr, now, err, sizeof(err)), -EINVAL);	/* running */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "transition 1 is running"));
	run_ms(7000);	/* the low endpoint: idle long enough */
	CU_ASSERT_EQUAL_FATAL(aces_mgr_state(mgr), ACES_TRANSITION_COMPLETE);
	CU_ASSERT_EQUAL(aces_mgr_pin(mgr, (uint32_t)ep("p"), 30, now), 0);	/* by hand, after */
	CU_ASSERT_EQUAL(aces_mgr_start(mgr, now, "again", err, sizeof(err)), -EALREADY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "next release is a reload"));
	CU_ASSERT_EQUAL(weight("c"), 100);
	CU_ASSERT_EQUAL(aces_mgr_release(mgr, now, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(aces_mgr_state(mgr), ACES_TRANSITION_IDLE);
	CU_ASSERT_EQUAL(weight("c"), 0);	/* the new original: where its flows went */
	CU_ASSERT_EQUAL(phase("c"), ACES_PHASE_ORIGINAL);
	CU_ASSERT_EQUAL(weight("p"), 70);	/* a pin keeps its split: 30 % was the other side */
	CU_ASSERT(event_at(NULL, "idle", "release: the replacement of transition 1") != 0);
	start();
	CU_ASSERT_EQUAL(aces_mgr_transition(mgr), 2);
	CU_ASSERT(event_at(NULL, "running", "transition 2 started") != 0);
	teardown();
}

static const struct aces_cfg_health hcfg = {
	.fall = 3, .rise = 2, .passive_fall = 3, .window_ms = 1000, .min_samples = 10,
	.max_failure_percent = 5, .max_cpu_percent = 90,
};

static void
test_health_rise_fall(void)
{
	struct aces_be_health h;
	int i, changes = 0;

	aces_be_health_init(&h, 0);
	CU_ASSERT_EQUAL(h.state, ACES_BE_UP);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 0, "timeout", 10), 0);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 0, "timeout", 20), 0);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 1, "answered", 30), 0);	/* resets */
	for (i = 0; i < 2; i++)
		changes += aces_be_health_probe(&h, &hcfg, "b", 0, "refused", 40);
	CU_ASSERT_EQUAL(h.state, ACES_BE_UP);
	changes += aces_be_health_probe(&h, &hcfg, "b", 0, "refused", 50);
	CU_ASSERT_EQUAL(changes, 1);
	CU_ASSERT_EQUAL(h.state, ACES_BE_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.reason, "b down: 3 probes failed (refused)"));
	CU_ASSERT_EQUAL(h.since_ms, 50);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 0, "refused", 60), 0);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 1, "answered", 70), 0);
	CU_ASSERT_EQUAL(aces_be_health_probe(&h, &hcfg, "b", 1, "answered", 80), 1);
	CU_ASSERT_EQUAL(h.state, ACES_BE_UP);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.reason, "b up: 2 probes answered"));
}

static void
test_health_passive(void)
{
	struct aces_be_health h;
	struct aces_be_signals sig = { .attempts = 100, .cpu_percent = -1 };

	aces_be_health_init(&h, 0);
	sig.syn_timeouts = 1;
	sig.attempts = 100;
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &hcfg, "r", &sig, 10), 0);	/* 1 % */
	sig.syn_timeouts = 3;
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &hcfg, "r", &sig, 20), 1);
	CU_ASSERT_EQUAL(h.state, ACES_BE_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.reason, "r down: 3 SYN timeouts, 0 refused"));
	sig.syn_timeouts = 0;
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &hcfg, "r", &sig, 30), 0);	/* probes only */
	CU_ASSERT_EQUAL(h.state, ACES_BE_DOWN);
}

static void
test_health_degraded(void)
{
	struct aces_cfg_health c = hcfg;
	struct aces_be_health h;
	struct aces_be_signals sig = { .attempts = 100, .refused = 0, .cpu_percent = 95 };

	c.passive_fall = 0;	/* passive never marks it down here */
	aces_be_health_init(&h, 0);
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &c, "r", &sig, 10), 1);
	CU_ASSERT_EQUAL(h.state, ACES_BE_DEGRADED);
	CU_ASSERT_PTR_NOT_NULL(strstr(h.reason, "CPU 95% > 90%"));
	sig.cpu_percent = 20;
	sig.refused = 9;	/* 9 % > 5 % */
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &c, "r", &sig, 20), 0);	/* still degraded */
	CU_ASSERT_PTR_NOT_NULL(strstr(h.reason, "9 of 100 attempts failed"));
	sig.refused = 0;
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &c, "r", &sig, 30), 1);
	CU_ASSERT_EQUAL(h.state, ACES_BE_UP);
	sig.attempts = 5;	/* too few samples for a ratio */
	sig.refused = 4;
	CU_ASSERT_EQUAL(aces_be_health_passive(&h, &c, "r", &sig, 40), 0);
}

#define HEALTH_MGR "\"step_percent\": 25, \"step_interval_ms\": 500, " \
	"\"health\": {\"max_handshake_ms\": 50, \"window_ms\": 1000, \"cooldown_ms\": 3000, " \
	"\"max_reshards_per_minute\": 3, \"min_samples\": 10, \"max_failure_percent\": 5}"

/* Handshake p95 over the limit steps back; cool-down before moving forward again. */
static void
test_manager_overload_hysteresis(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}",
	      HEALTH_MGR);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 3;
	start();
	run_ms(1100);
	CU_ASSERT_EQUAL(weight("h"), 75);
	health[0].attempts[ACES_SIDE_REPLACEMENT] = 40;
	health[0].hs_p95_ms[ACES_SIDE_REPLACEMENT] = 180;
	run_ms(100);
	CU_ASSERT_EQUAL(weight("h"), 50);
	CU_ASSERT(event_at("h", "migrating", "replacement SYN->SYN-ACK p95 180 ms > 50 ms: step back 75% -> 50%") != 0);
	run_ms(900);
	CU_ASSERT_EQUAL(weight("h"), 50);	/* one step back per window */
	run_ms(200);
	CU_ASSERT_EQUAL(weight("h"), 25);	/* still slow after the window: again */
	health[0].hs_p95_ms[ACES_SIDE_REPLACEMENT] = 5;
	run_ms(2800);
	CU_ASSERT_EQUAL(weight("h"), 25);	/* cooling down: 3000 ms of health */
	CU_ASSERT(event_at("h", "migrating", "cooling down") != 0);
	run_ms(400);
	CU_ASSERT_EQUAL(weight("h"), 50);	/* forward again */
	teardown();
}

/* No more than max_reshards_per_minute step-backs; then it holds. */
static void
test_manager_flap_limit(void)
{
	int cycle, backs = 0;
	uint8_t prev;

	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}",
	      HEALTH_MGR);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 3;
	health[0].attempts[ACES_SIDE_REPLACEMENT] = 40;
	start();
	prev = weight("h");
	for (cycle = 0; cycle < 40; cycle++) {
		/* alternate: 1.5 s of trouble, 4 s of health */
		health[0].hs_p95_ms[ACES_SIDE_REPLACEMENT] = (cycle % 2 == 0) ? 5 : 500;
		run_ms(cycle % 2 == 0 ? 4000 : 1500);
		if (weight("h") < prev)
			backs++;
		prev = weight("h");
		if (now > 60000)
			break;
	}
	CU_ASSERT(backs >= 3);
	/* flapping = moving forward again after a step back: at most 3 within any minute */
	{
		uint64_t id, next = aces_mgr_journal_next_id(mgr), times[256];
		struct aces_event ev;
		int n = 0, i, j, last_back = 0;

		for (id = aces_mgr_journal_first_id(mgr); id < next; id++) {
			if (aces_mgr_journal_read(mgr, id, &ev) != 0 || ev.ep != 0)
				continue;
			if (getenv("DEBUG_FLAP"))
				printf("\n%6llu %3u %s", (unsigned long long)ev.t_ms, ev.weight, ev.reason);
			if (strstr(ev.reason, "step back") != NULL)
				last_back = 1;
			else if (last_back && strncmp(ev.reason, "step ", 5) == 0) {
				times[n++] = ev.t_ms;
				last_back = 0;
			}
		}
		for (i = 0; i < n; i++) {
			int in_minute = 0;

			for (j = i; j < n && times[j] - times[i] < 60000; j++)
				in_minute++;
			CU_ASSERT(in_minute <= 3);
		}
		CU_ASSERT(n >= 1);
	}
	CU_ASSERT(event_at("h", NULL, "step-backs in the last minute (limit 3)") != 0);
	teardown();
}

/* Dependents follow their dependency back, before it. */
static void
test_manager_dependents_follow(void)
{
	setup("{\"name\": \"db\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"critical\"},"
	      "{\"name\": \"web\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"priority\": \"high\","
	      " \"depends_on\": [\"db\"]}", HEALTH_MGR);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 3;
	load[1].open_flows[ACES_SIDE_ORIGINAL] = 3;
	start();
	run_ms(1100);
	CU_ASSERT_EQUAL(weight("db"), 100);
	CU_ASSERT(weight("web") >= 50);
	health[ep("db")].attempts[ACES_SIDE_REPLACEMENT] = 50;
	health[ep("db")].failures[ACES_SIDE_REPLACEMENT] = 20;
	run_ms(100);
	CU_ASSERT_EQUAL(weight("db"), 0);	/* critical: all the way */
	CU_ASSERT_EQUAL(weight("web"), 0);
	CU_ASSERT(event_at("web", "waiting", "its dependency db steps back") != 0);
	CU_ASSERT(event_at("web", "waiting", NULL) < event_at("db", "waiting", "failures 20 of 50"));
	teardown();
}

/* Issue #14's start-up journal: a side with no verdict yet says nothing; its first verdict
 * is its first state ("-" -> down), an "up" first is no event; changes after it are. */
static void
test_manager_first_verdict(void)
{
	uint64_t id, next;
	struct aces_event ev;
	int n = 0;

	setup(EP("a", 1, "high"), HEALTH_MGR);
	unknown[0] = unknown[1] = 1;
	healthy[0] = healthy[1] = 0;	/* nothing resolved yet */
	run_ms(300);
	CU_ASSERT_EQUAL(event_at(NULL, NULL, NULL), 0);
	unknown[0] = unknown[1] = 0;	/* resolved: the original up, the replacement not */
	healthy[ACES_SIDE_ORIGINAL] = 1;
	run_ms(100);
	CU_ASSERT_EQUAL(event_at(NULL, "up", NULL), 0);
	CU_ASSERT(event_at(NULL, "down", "the replacement has no healthy backend (first verdict)") != 0);
	healthy[ACES_SIDE_REPLACEMENT] = 1;
	run_ms(100);
	CU_ASSERT(event_at(NULL, "up", "the replacement has a healthy backend again") != 0);
	healthy[ACES_SIDE_ORIGINAL] = 0;
	run_ms(100);
	next = aces_mgr_journal_next_id(mgr);
	for (id = aces_mgr_journal_first_id(mgr); id < next; id++)
		if (aces_mgr_journal_read(mgr, id, &ev) == 0 && ev.ep == -1) {
			n++;
			if (strcmp(ev.to, "down") == 0 && strncmp(ev.reason, "the original", 12) == 0)
				CU_ASSERT_STRING_EQUAL(ev.from, "up");
			if (strstr(ev.reason, "first verdict") != NULL)
				CU_ASSERT_STRING_EQUAL(ev.from, "-");
		}
	CU_ASSERT_EQUAL(n, 3);	/* first verdict down, replacement up, original down */
	teardown();
}

/* A side without healthy backends: its endpoints' new flows go to the other side. */
static void
test_manager_side_down(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"},"
	      "{\"name\": \"s\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"tcp\", \"statefulness\": \"session\"}",
	      HEALTH_MGR);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 3;
	/* before any transition, the original dies: everything to the replacement */
	healthy[ACES_SIDE_ORIGINAL] = 0;
	tick();
	CU_ASSERT_EQUAL(weight("h"), 100);
	CU_ASSERT_EQUAL(weight("s"), 100);
	CU_ASSERT(event_at(NULL, "down", "the original has no healthy backend (first verdict): all new "
			   "flows to the replacement") != 0);
	healthy[ACES_SIDE_ORIGINAL] = 1;
	tick();
	CU_ASSERT_EQUAL(weight("h"), 0);
	/* mid-transition the replacement dies: back to the original at once */
	start();
	run_ms(600);
	CU_ASSERT_EQUAL(weight("h"), 50);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	healthy[ACES_SIDE_REPLACEMENT] = 0;
	now += 100;
	tick();
	CU_ASSERT_EQUAL(weight("h"), 0);
	CU_ASSERT_EQUAL(phase("h"), ACES_PHASE_WAITING);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_WAITING);	/* its replication starts over later */
	CU_ASSERT(event_at("h", "waiting", "the replacement has no healthy backend: step back 50% -> 0%") != 0);
	run_ms(2000);
	CU_ASSERT_EQUAL(weight("h"), 0);
	/* it comes back: after the cool-down, migration resumes by itself */
	healthy[ACES_SIDE_REPLACEMENT] = 1;
	run_ms(2500);
	CU_ASSERT_EQUAL(weight("h"), 0);
	run_ms(1000);
	CU_ASSERT(weight("h") > 0);
	CU_ASSERT_EQUAL(phase("s"), ACES_PHASE_REPLICATING);
	teardown();
}

static void
test_manager_cpu_overload(void)
{
	setup("{\"name\": \"h\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\", \"priority\": \"high\"}",
	      HEALTH_MGR);
	load[0].open_flows[ACES_SIDE_ORIGINAL] = 3;
	start();
	run_ms(600);
	CU_ASSERT_EQUAL(weight("h"), 50);
	cpu = 97;
	run_ms(100);
	CU_ASSERT_EQUAL(weight("h"), 25);
	CU_ASSERT(event_at("h", "migrating", "replacement CPU 97% > 90%") != 0);
	teardown();
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "idle until started", test_manager_idle_until_started },
		{ "critical stateless first, at once", test_manager_critical_first_at_once },
		{ "critical stateful holds the others", test_manager_critical_stateful_holds_others },
		{ "high stateless: progressive steps", test_manager_high_progressive },
		{ "capacity stops a progressive step", test_manager_capacity_stops_step },
		{ "low activity triggers a medium endpoint", test_manager_low_activity_medium },
		{ "max_wait triggers a busy low endpoint", test_manager_max_wait_low_busy },
		{ "a dependency holds an endpoint back", test_manager_dependency_holds },
		{ "a cycle is rejected at load", test_manager_cycle_rejected },
		{ "abort returns everything, dependents first", test_manager_abort_returns_all },
		{ "state timeout fails an endpoint back", test_manager_state_timeout },
		{ "stateful: replicating, cutover, draining, reset, released", test_manager_stateful_phases },
		{ "moving phase (migrate)", test_manager_moving_phase },
		{ "replicate hook failure", test_manager_hook_failure },
		{ "lingering flows kept by default", test_manager_keep_lingering },
		{ "a manual pin is respected", test_manager_pin_respected },
		{ "no replacement backend: waits", test_manager_no_replacement_backend },
		{ "journal wraps", test_manager_journal_wraps },
		{ "start twice, abort when not running", test_manager_start_twice },
		{ "manager config section", test_manager_config_section },
		{ "save and restore midway: in step, events go on", test_manager_save_restore_midway },
		{ "restore onto another config, hook asked again", test_manager_restore_other_config },
		{ "release after release", test_manager_release },
		{ "health: rise and fall", test_health_rise_fall },
		{ "health: passive signals mark a backend down", test_health_passive },
		{ "health: degraded by failures or CPU", test_health_degraded },
		{ "overload: step back, cool-down, forward", test_manager_overload_hysteresis },
		{ "flap limit", test_manager_flap_limit },
		{ "dependents follow their dependency back", test_manager_dependents_follow },
		{ "a side without healthy backends", test_manager_side_down },
		{ "a side's first verdict is its first state", test_manager_first_verdict },
		{ "backend CPU over the limit", test_manager_cpu_overload },
		CU_TEST_INFO_NULL,
	};

	int rc = aces_unit_run("manager", tests);

	unlink(secret_file());
	return rc;
}
