/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: the loop. RX per port -> a burst's stages (burst.h: parse, classify,
 * flow lookup, create on a first packet steered by the published assignment, NAT) ->
 * TX flush; the bursts that came another way (hand-offs, replays) the same; one call
 * for the periodic jobs; the quiescent state. Runs to completion, never blocks, never
 * allocates, never takes a lock. The only shared state it reads is the RCU-published
 * assignment table, the read-only endpoint hash and the neighbour MAC words.
 */
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "datapath/burst.h"

/* Bursts that did not come from a port: a released held flow's kept segments (one port's
 * per loop), then what other workers handed over. Returns how many were handed over. */
static __rte_noinline uint16_t
other_bursts(struct aces_worker *w, struct tx_buf *tx, struct rte_mbuf **pkts, uint64_t now)
{
	struct aces_wk_bursts b;
	uint16_t n = 0;
	uint8_t pi;

	if (unlikely(w->replay_n != 0)) {
		uint16_t k = aces_wk_replay_take(w, pkts, &pi);

		handle_burst(w, pi, pkts, k, now, tx, ACES_WK_FROM_REPLAY);
		aces_wk_tx_flush(w, tx);
	}
	if (aces.n_workers > 1 && !rte_ring_empty(w->handoff_ring)) {
		n = aces_wk_take_handoffs(w, &b);
		for (pi = 0; pi < aces.n_ports; pi++) {
			if (b.n[pi] == 0)
				continue;
			handle_burst(w, pi, b.pkts[pi], b.n[pi], now, tx, ACES_WK_FROM_HANDOFF);
			aces_wk_tx_flush(w, tx);
		}
	}
	return n;
}

/* The loop's own accounting: busy loops and their cycles, the restart gap's ends. */
static inline void
loop_done(struct aces_worker *w, uint64_t now, uint16_t rx)
{
	w->st.loops++;
	if (rx == 0)
		return;
	if (w->st.forwarded != w->fwd_seen) {	/* the restart gap's ends */
		w->fwd_seen = w->st.forwarded;
		w->last_fwd_tsc = now;
		if (unlikely(w->first_fwd_tsc == 0))
			__atomic_store_n(&w->first_fwd_tsc, now, __ATOMIC_RELAXED);
	}
	w->st.busy_loops++;
	w->st.busy_cycles += rte_rdtsc() - now;
}

/*
 * A loop that found nothing to do: after IDLE_SPINS of them in a row the worker sleeps
 * (workers.idle "sleep", the default), IDLE_SLEEP_MIN_US first, each sleep twice the last up
 * to workers.idle_sleep_max_us, offline for RCU meanwhile so no publisher waits for it; the
 * first packet ends it. "busy" polls on (a core of its own). The time a packet can wait at
 * an idle worker is the cap; a loaded worker never sleeps.
 */
#define IDLE_SPINS		256
#define IDLE_SLEEP_MIN_US	8

static __rte_noinline void
idle(struct aces_worker *w)
{
	const struct aces_cfg_workers *c = &aces.cfg->workers;
	struct timespec ts;
	uint64_t t0;

	if (c->idle == ACES_IDLE_BUSY || ++w->idle_loops < IDLE_SPINS)
		return;
	w->sleep_us = w->sleep_us == 0 ? IDLE_SLEEP_MIN_US :
		      RTE_MIN(w->sleep_us * 2, c->idle_sleep_max_us);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)w->sleep_us * 1000;
	rte_rcu_qsbr_thread_offline(aces.qsbr, w->idx);
	t0 = rte_rdtsc();
	nanosleep(&ts, NULL);
	w->loop_tsc = rte_rdtsc();	/* a sleep is no stall */
	rte_rcu_qsbr_thread_online(aces.qsbr, w->idx);
	w->st.idle_sleeps++;
	w->st.idle_sleep_us += (w->loop_tsc - t0) * 1000000 / aces.tsc_hz;
}

int
aces_worker_main(void *arg)
{
	struct aces_worker *w = arg;
	struct rte_mbuf *pkts[ACES_BURST];
	struct tx_buf tx;

	memset(&tx, 0, sizeof(tx));
	w->ft->age_last = rte_rdtsc();
	rte_rcu_qsbr_thread_register(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_online(aces.qsbr, w->idx);
	/* an idle worker's sleeps end when asked for, not up to 50 us later (timer slack) */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	w->loop_tsc = rte_rdtsc();
	while (!aces.force_quit) {
		uint64_t now = rte_rdtsc();
		uint16_t rx = 0, n;
		uint8_t pi;
		int jobs;

		/* A loop that begins long after the one before: the lcore lost its CPU (a core
		 * it shares), counted so an operator sees it */
		if (unlikely(now - w->loop_tsc > aces.tsc_hz / 2048))
			w->st.stalls++;
		w->loop_tsc = now;

		for (pi = 0; pi < aces.n_ports; pi++) {
			n = rte_eth_rx_burst(aces.port_ids[pi], w->idx, pkts, ACES_BURST);
			if (n == 0)
				continue;
			rx += n;
			handle_burst(w, pi, pkts, n, now, &tx, ACES_WK_FROM_PORT);
			aces_wk_tx_flush(w, &tx);
		}
		if (unlikely(w->replay_n != 0) ||
		    (aces.n_workers > 1 && !rte_ring_empty(w->handoff_ring)))
			rx += other_bursts(w, &tx, pkts, now);
		jobs = aces_wk_jobs(w, &tx, now, rx);
		loop_done(w, now, rx);

		rte_rcu_qsbr_quiescent(aces.qsbr, w->idx);
		if (unlikely(__atomic_load_n(&aces.park, __ATOMIC_ACQUIRE))) {
			aces_wk_park(w);	/* a reload: holds nothing shared here */
			w->loop_tsc = rte_rdtsc();	/* parked is no stall */
		}
		if (rx == 0 && !jobs)
			idle(w);
		else
			w->idle_loops = w->sleep_us = 0;
	}
	aces_wk_drop_flush(w);
	rte_rcu_qsbr_thread_offline(aces.qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(aces.qsbr, w->idx);
	return 0;
}
