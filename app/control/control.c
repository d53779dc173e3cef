/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control loop (the EAL main lcore): the only writer of assignment state and
 * neighbour MACs. Each loop it sorts what the workers handed over (neigh.c), runs
 * the commands of telemetry threads (cmd.c), drains the telemetry rings
 * (telemetry_ring.c), sends due health probes (health_mon.c), moves connections
 * (migrate.c), runs the manager
 * every tick (endpoint_mgr.c) and publishes what changed (assign.c).
 */
#include <signal.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "aces/manager.h"
#include "aces/parse.h"
#include "common/aces.h"
#include "net/net.h"
#include "datapath/datapath.h"
#include "health/health.h"
#include "handover/handover.h"
#include "manager/manager.h"
#include "routing/routing.h"
#include "lifecycle/lifecycle.h"
#include "control/control.h"

RTE_LOG_REGISTER(aces_logtype_ctl, user.aces.control, INFO);
#define CTL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_ctl, "aces: " fmt "\n", ## __VA_ARGS__)

#define CTL_IDLE_LOOPS 5	/* empty control loops before the longer sleep */
#define CTL_IDLE_LONG_US 3000	/* the control lcore's sleep once idle */

static volatile sig_atomic_t usr2;	/* SIGUSR2 seen: start a transition */
static volatile sig_atomic_t hup;	/* SIGHUP seen: reload the configuration */
static volatile sig_atomic_t stop;	/* SIGTERM/SIGINT seen: a stop that withdraws first */

void
aces_control_signal(int sig)
{
	if (sig == SIGUSR2)
		usr2 = 1;
	else if (sig == SIGHUP)
		hup = 1;
	else if (sig == SIGTERM || sig == SIGINT)
		stop = 1;
}

/*
 * Frames to an own address that are no ARP: the answers of conversations the rooms below
 * hold, offered to each room's handler in turn (0: it was one of its answers, consumed);
 * what none of them takes goes to the port's kernel interface, if it has one.
 */
static int (*const local_rx[])(struct rte_mbuf *m, const struct aces_pkt *p) = {
	aces_health_rx,		/* health probes */
	aces_mig_rx,		/* backend agents */
};

static void
slow_path(struct rte_mbuf *m)
{
	struct aces_pkt p;
	unsigned int i;

	aces_kernel_arp_copy(m);	/* the kernel's neighbours learn as ACES's do */
	if (aces_neigh_slow_path(m, &p) == 0)
		return;
	for (i = 0; p.has_l4 && i < RTE_DIM(local_rx); i++)
		if (local_rx[i](m, &p) == 0)
			return;
	if (aces_kernel_in(m) == 0)	/* the port's kernel interface takes the rest */
		return;
	aces_cp.ctl[ACES_CTL_LOCAL_IGNORED]++;
	rte_pktmbuf_free(m);
}

void
aces_control_loop(void)
{
	uint64_t next_neigh = 0, next_tick = 0, next_loss = 0;
	void *objs[ACES_BURST];
	unsigned int i, n, wi, idle_loops = 0;
	int stopping = 0;

	aces_neigh_announce();
	while (!aces.force_quit) {
		uint64_t now = rte_rdtsc();
		unsigned int work = 0;
		int ticked = 0;

		for (wi = 0; wi < aces.n_workers; wi++) {
			n = rte_ring_sc_dequeue_burst(aces.workers[wi].slow_ring, objs, ACES_BURST,
						      NULL);
			for (i = 0; i < n; i++)
				slow_path(objs[i]);
			work += n;
		}
		work += aces_kernel_poll(now);
		n = rte_ring_sc_dequeue_burst(aces.cmd_ring, objs, ACES_BURST, NULL);
		for (i = 0; i < n; i++)
			aces_cmd_run(objs[i]);
		work += n;
		if (now >= next_neigh) {
			aces_neigh_maintain(now);
			next_neigh = now + aces.tsc_hz / 10;
		}
		/* every 20 ms: a loss is seen well within the first 200 ms, when shedding must
		 * start (a few syscalls per port) */
		if (now >= next_loss) {
			aces_port_loss_watch(now);
			next_loss = now + aces.tsc_hz / 50;
		}
		aces_tmsg_drain();
		if (usr2) {
			struct aces_cmd c = { .type = ACES_CMD_START, .weight = 1 };

			usr2 = 0;
			if (aces_epm_cmd(&c, aces_now_ms()) != 0)
				CTL_LOG(WARNING, "SIGUSR2: transition not started: %s", c.msg);
		}
		if (stop && !stopping) {	/* withdraw, then forward on until it is quiet */
			stopping = 1;
			if (!aces_routing_stop_begin(aces_now_ms()))
				aces.force_quit = true;
		}
		if (stopping && aces_routing_stop_due(aces_now_ms()))
			aces.force_quit = true;
		if (hup) {
			char msg[512];

			hup = 0;
			aces_reload("SIGHUP", msg, sizeof(msg));	/* logs what it did */
		}
		aces_health_poll(aces_now_ms());
		aces_mig_poll(aces_now_ms());
		if (now >= next_tick) {
			aces_health_tick(aces_now_ms());
			aces_epm_tick(aces_now_ms());
			aces_routing_tick(aces_now_ms());
			aces_reload_tick(aces_now_ms());
			next_tick = now + aces_dp.tmsg_period;	/* a tick: manager.tick_ms */
			ticked = 1;
		}
		aces_assign_sync();
		if (ticked) {	/* what telemetry shows (commands publish their own) */
			aces_snap_publish(aces_now_ms());
			aces_state_checkpoint(aces_now_ms());
		}
		aces_assign_reclaim(false);
		aces_state_watch_gap();
		/* The control plane sleeps when idle: it must leave the CPU to others, a worker on
		 * the same CPU above all. 1 ms, and once nothing came for CTL_IDLE_LOOPS loops
		 * CTL_IDLE_LONG_US: ARP, BFD, probe answers and commands that come to an idle
		 * appliance wait at most that long; any work ends it (a burst of frames, a move,
		 * is taken without sleeping). */
		if (work != 0) {
			idle_loops = 0;
		} else {
			idle_loops += idle_loops < CTL_IDLE_LOOPS;
			usleep(idle_loops < CTL_IDLE_LOOPS ? 1000 : CTL_IDLE_LONG_US);
		}
	}
}
