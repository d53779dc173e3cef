/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Assignment tables: the one place that publishes them. A table is immutable and
 * versioned: the replacement weight of every endpoint (the manager's) and, per
 * side, the consistent-hash table of the backends that are not down (the health
 * monitor's). aces_assign_sync() builds a new one when either changed, stores it
 * with release semantics, and retires the old one until every worker has passed a
 * quiescent state (RCU QSBR: checked each control loop, never waited for, so a
 * control lcore sharing a CPU with a worker never spins while it holds it).
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "aces/chash.h"
#include "aces/manager.h"
#include "common/aces.h"
#include "health/health.h"
#include "manager/manager.h"

/* Fill @t's consistent-hash tables; backends marked in @down (may be NULL) get weight 0,
 * so only their buckets move. */
static int
build_chash(struct aces_assign *t, const uint8_t *down)
{
	const struct aces_config *c = aces.cfg;
	struct aces_chash_member mem[ACES_MAX_BACKENDS];
	uint16_t idx[ACES_MAX_BACKENDS];
	uint32_t s, i, b, n;

	for (s = 0; s < ACES_SIDE_MAX; s++) {
		n = 0;
		for (b = 0; b < c->n_backends; b++) {
			if (c->backends[b].side != s)
				continue;
			mem[n].key = aces_chash_key(c->backends[b].name);
			/* a down backend, or one a reload removed, takes no new flow */
			mem[n].weight = ((down != NULL && down[b]) || c->backends[b].retired) ? 0 :
					c->backends[b].weight;
			idx[n++] = (uint16_t)b;
		}
		if (aces_chash_build(t->chash[s], ACES_CHASH_SIZE, mem, n) != 0)
			return -EINVAL;
		/* member position -> global backend index */
		for (i = 0; i < ACES_CHASH_SIZE; i++)
			if (t->chash[s][i] != ACES_CHASH_NONE)
				t->chash[s][i] = idx[t->chash[s][i]];
	}
	return 0;
}

int
aces_assign_init(void)
{
	struct aces_assign *t = rte_zmalloc("aces_assign", sizeof(*t), RTE_CACHE_LINE_SIZE);

	if (t == NULL)
		return -ENOMEM;
	if (build_chash(t, NULL) != 0) {
		rte_free(t);
		return -EINVAL;
	}
	t->version = 1;
	aces.assign = t;
	return 0;
}

static struct aces_assign *
assign_copy(void)
{
	struct aces_assign *t = rte_malloc("aces_assign", sizeof(*t), RTE_CACHE_LINE_SIZE);

	if (t == NULL) {
		aces_cp.ctl[ACES_CTL_ALLOC_FAIL]++;
		return NULL;
	}
	memcpy(t, aces.assign, sizeof(*t));
	t->version++;
	return t;
}

/* Tables replaced but maybe still read by a worker: freed when their token is passed. */
#define ACES_RETIRED_MAX 64
static struct {
	struct aces_assign *t;
	uint64_t token;
} retired[ACES_RETIRED_MAX];
static unsigned int n_retired;

/* Free the retired tables every worker is done with; @wait: all of them, waiting. */
unsigned int
aces_assign_reclaim(bool wait)
{
	unsigned int n = 0;

	while (n < n_retired && rte_rcu_qsbr_check(aces.qsbr, retired[n].token, wait) == 1) {
		rte_free(retired[n].t);
		n++;
	}
	if (n > 0) {
		memmove(retired, retired + n, (n_retired - n) * sizeof(retired[0]));
		n_retired -= n;
	}
	return n;
}

static void
assign_publish(struct aces_assign *t)
{
	struct aces_assign *old = aces.assign;

	ACES_ON_CONTROL_LCORE();

	__atomic_store_n(&aces.assign, t, __ATOMIC_RELEASE);
	/* every worker passes a quiescent state once per loop: then nobody holds old */
	if (n_retired == ACES_RETIRED_MAX) {
		/* 64 publications before a worker loop went by: wait for the oldest */
		aces_cp.ctl[ACES_CTL_RETIRE_WAITS]++;
		rte_rcu_qsbr_check(aces.qsbr, retired[0].token, true);
		aces_assign_reclaim(false);
	}
	retired[n_retired].t = old;
	retired[n_retired++].token = rte_rcu_qsbr_start(aces.qsbr);
	aces_cp.ctl[ACES_CTL_TABLES]++;
}

/* The health monitor's down set as of the last table: its chash tables change only
 * when it does (a rebuild costs 65,536 buckets times the members of a side). */
static uint64_t built_down_gen;

int
aces_assign_sync(void)
{
	uint64_t down_gen;
	const uint8_t *down = aces_health_down(&down_gen);
	struct aces_assign *t;
	uint32_t e;
	int changed = down_gen != built_down_gen;

	for (e = 0; e < aces.n_ep_live && !changed; e++)
		changed = aces.assign->weight[e] != aces_mgr_weight(aces_cp.mgr, e);
	if (!changed)
		return 0;
	t = assign_copy();
	if (t == NULL)
		return -ENOMEM;		/* tried again next loop */
	for (e = 0; e < aces.n_ep_live; e++)	/* removed endpoints take no new flow */
		t->weight[e] = aces_mgr_weight(aces_cp.mgr, e);
	if (down_gen != built_down_gen && build_chash(t, down) != 0) {
		rte_free(t);
		return -EINVAL;
	}
	built_down_gen = down_gen;
	assign_publish(t);
	return 0;
}

/* A reload, while every worker is paused after a quiescent state (so none holds a
 * table): every table goes, a new one is built for the new backends and published. */
int
aces_assign_reload(struct aces_remap *r)
{
	int same_backends = r->same_backends;
	struct aces_assign *t = rte_zmalloc("aces_assign", sizeof(*t), RTE_CACHE_LINE_SIZE);
	const uint8_t *down;
	unsigned int i;
	uint64_t g;
	uint32_t e;

	ACES_ON_CONTROL_LCORE();

	if (t == NULL)
		return -ENOMEM;
	down = aces_health_down(&g);
	if (same_backends)	/* same backends, weights and health: the same tables */
		memcpy(t->chash, aces.assign->chash, sizeof(t->chash));
	else if (build_chash(t, down) != 0) {	/* one build: the new backends, the down set */
		rte_free(t);
		return -EINVAL;
	}
	for (e = 0; e < aces.n_ep_live; e++)
		t->weight[e] = aces_mgr_weight(aces_cp.mgr, e);
	t->version = aces.assign->version + 1;
	for (i = 0; i < n_retired; i++)
		rte_free(retired[i].t);
	n_retired = 0;
	rte_free(aces.assign);
	__atomic_store_n(&aces.assign, t, __ATOMIC_RELEASE);
	built_down_gen = g;
	aces_cp.ctl[ACES_CTL_TABLES]++;
	return 0;
}

/* At shutdown, once no worker runs: every table, retired or current. */
void
aces_assign_fini(void)
{
	aces_assign_reclaim(true);
	rte_free(aces.assign);
	aces.assign = NULL;
}
