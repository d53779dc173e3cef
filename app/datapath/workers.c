/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcores' state, owned here: one struct aces_worker per worker lcore with
 * its flow table (in hugepages of its socket), its rings (to and from the control
 * lcore, hand-offs from other workers) and its counters; and the RCU state and the
 * command ring the workers and the control lcore share.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "aces/flow.h"
#include "common/aces.h"
#include "datapath/datapath.h"
#include "datapath/worker.h"

#define ACES_TMSG_RING	4096	/* records per worker ring */

RTE_LOG_REGISTER(aces_logtype_workers, user.aces.workers, INFO);
#define WK_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_workers, "aces: " fmt "\n", ## __VA_ARGS__)

static uint64_t flow_table_bytes;	/* memory of one worker's flow table */

uint64_t
aces_workers_flow_table_bytes(void)
{
	return flow_table_bytes;
}

static void *
flow_zalloc(void *arg, size_t size, size_t align)
{
	return rte_zmalloc_socket("aces_flows", size, align, (int)(intptr_t)arg);
}

static void
flow_free(void *arg, void *p)
{
	(void)arg;
	rte_free(p);
}

/*
 * A worker's flow table, in hugepages of its socket, with the config's timeouts. A
 * flow is reaped at most half its shortest timeout late (at least every 100 ms, at
 * most every 10 s): the sweep's cost follows the table size and the timeouts, not
 * the packet rate. The hash seed is random: nobody can aim flows at one bucket.
 */
/* The config's timeouts and the sweep they call for, on table @ft (at creation and at a reload). */
static int
flow_table_timeouts(struct aces_flow_table *ft)
{
	const struct aces_cfg_flows *fc = &aces.cfg->flows;
	uint64_t est = (uint64_t)fc->tcp_established_timeout_s * aces.tsc_hz;
	uint64_t trans = (uint64_t)fc->tcp_transitory_timeout_s * aces.tsc_hz;
	uint64_t udp = (uint64_t)fc->udp_timeout_s * aces.tsc_hz, t;

	if (aces_flow_set_timeout(ft, ACES_TCP_SYN_SENT, trans) != 0 ||
	    aces_flow_set_timeout(ft, ACES_TCP_SYN_RECV, trans) != 0 ||
	    aces_flow_set_timeout(ft, ACES_TCP_ESTABLISHED, est) != 0 ||
	    aces_flow_set_timeout(ft, ACES_TCP_CLOSING, trans) != 0 ||
	    aces_flow_set_timeout(ft, ACES_TCP_CLOSED, trans) != 0 ||
	    aces_flow_set_timeout(ft, ACES_TCP_ADOPTED, trans) != 0 ||
	    aces_flow_set_timeout(ft, ACES_UDP_ACTIVE, udp) != 0)
		return -EINVAL;	/* the config allows at most 7 days, the table 12: not reached */
	t = RTE_MIN(trans, udp);
	t = RTE_MIN(t, est) / 2;
	t = RTE_MAX(t, aces.tsc_hz / 10);
	aces_flow_set_sweep(ft, RTE_MIN(t, aces.tsc_hz * 10));
	return 0;
}

/*
 * A worker's flow table, in hugepages of its socket, with the config's timeouts. A
 * flow is reaped at most half its shortest timeout late (at least every 100 ms, at
 * most every 10 s): the sweep's cost follows the table size and the timeouts, not
 * the packet rate. The hash seed is random: nobody can aim flows at one bucket.
 */
static struct aces_flow_table *
flow_table_create(struct aces_worker *w, int socket)
{
	const struct aces_cfg_flows *fc = &aces.cfg->flows;
	struct aces_flow_mem mem = { flow_zalloc, flow_free, (void *)(intptr_t)socket };
	struct aces_flow_params p = {
		.capacity = fc->capacity, .clock_hz = aces.tsc_hz, .seed = rte_rand(),
		.expire = aces_wk_flow_expired, .cb_arg = w, .mem = &mem,
	};
	struct aces_flow_table *ft = aces_flow_table_create(&p);

	if (ft == NULL)
		return NULL;
	if (flow_table_timeouts(ft) != 0) {
		aces_flow_table_free(ft);
		errno = EINVAL;
		return NULL;
	}
	flow_table_bytes = aces_flow_table_bytes(fc->capacity);
	return ft;
}

int
aces_workers_init(void)
{
	const struct aces_config *c = aces.cfg;
	unsigned int lcore, i = 0;
	size_t qsz;

	aces.workers = rte_zmalloc("aces_workers", aces.n_workers * sizeof(struct aces_worker),
				   RTE_CACHE_LINE_SIZE);
	if (aces.workers == NULL)
		return -ENOMEM;
	qsz = rte_rcu_qsbr_get_memsize(aces.n_workers);
	aces.qsbr = rte_zmalloc("aces_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (aces.qsbr == NULL || rte_rcu_qsbr_init(aces.qsbr, aces.n_workers) != 0)
		return -ENOMEM;
	aces.cmd_ring = rte_ring_create("aces_cmd", 64, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (aces.cmd_ring == NULL)
		return -ENOMEM;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct aces_worker *w = &aces.workers[i];
		char name[RTE_RING_NAMESIZE];
		int socket = (int)rte_lcore_to_socket_id(lcore);

		w->lcore_id = lcore;
		w->idx = (uint16_t)i;
		w->ft = flow_table_create(w, socket);
		if (w->ft == NULL) {
			WK_LOG(ERR, "worker %u: cannot allocate a table of %u flows (%zu MiB): %s "
				 "(reserve more hugepages or lower flows.capacity)", i,
				 c->flows.capacity, aces_flow_table_bytes(c->flows.capacity) >> 20,
				 strerror(errno));
			return -ENOMEM;
		}
		if (aces_wk_frag_init(w, socket) != 0) {
			WK_LOG(ERR, "worker %u: cannot allocate a reassembly table of %u datagrams",
			       i, c->ip.reassembly_max);
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "aces_slow_%u", i);
		w->slow_ring = rte_ring_create(name, ACES_RING_SIZE, socket,
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "aces_ctltx_%u", i);
		w->ctl_tx_ring = rte_ring_create(name, ACES_RING_SIZE, socket,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "aces_tmsg_%u", i);
		w->tmsg_ring = rte_ring_create_elem(name, sizeof(struct aces_tmsg), ACES_TMSG_RING,
						    socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "aces_handoff_%u", i);
		w->handoff_ring = rte_ring_create(name, ACES_HANDOFF_RING, socket, RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "aces_wmsg_%u", i);
		w->msg_ring = rte_ring_create_elem(name, sizeof(struct aces_wmsg), 64, socket,
						   RING_F_SC_DEQ);
		w->eps = rte_zmalloc_socket(NULL, c->n_endpoints * 2 * sizeof(struct aces_ctr), 64,
					    socket);
		w->bes = rte_zmalloc_socket(NULL, c->n_backends * sizeof(struct aces_ctr), 64,
					    socket);
		w->jobs = rte_zmalloc_socket(NULL, ACES_MAX_JOBS * sizeof(struct aces_wmsg), 64,
					     socket);
		w->eph = rte_zmalloc_socket(NULL, c->n_endpoints * 2 * sizeof(*w->eph), 64, socket);
		w->ephist = rte_zmalloc_socket(NULL, c->n_endpoints * 2 * sizeof(*w->ephist), 64,
					       socket);
		w->beh = rte_zmalloc_socket(NULL, c->n_backends * sizeof(*w->beh), 64, socket);
		w->pend = rte_zmalloc_socket(NULL, ACES_PEND_SIZE * sizeof(*w->pend), 64, socket);
		if (w->slow_ring == NULL || w->ctl_tx_ring == NULL || w->tmsg_ring == NULL ||
		    w->handoff_ring == NULL ||
		    w->msg_ring == NULL || w->eps == NULL || w->bes == NULL || w->jobs == NULL ||
		    w->eph == NULL || w->ephist == NULL || w->beh == NULL || w->pend == NULL)
			return -ENOMEM;
		i++;
	}
	return 0;
}

void
aces_workers_fini(void)
{
	unsigned int i;
	void *m;

	if (aces.workers == NULL)
		return;
	for (i = 0; i < aces.n_workers; i++) {
		struct aces_worker *w = &aces.workers[i];

		aces_flow_table_free(w->ft);
		aces_wk_frag_fini(w);
		while (w->slow_ring != NULL && rte_ring_dequeue(w->slow_ring, &m) == 0)
			rte_pktmbuf_free(m);
		while (w->ctl_tx_ring != NULL && rte_ring_dequeue(w->ctl_tx_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->slow_ring);
		rte_ring_free(w->ctl_tx_ring);
		while (w->handoff_ring != NULL && rte_ring_dequeue(w->handoff_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->handoff_ring);
		aces_wk_held_drop(w);
		rte_ring_free(w->tmsg_ring);
		rte_ring_free(w->msg_ring);
		rte_free(w->eps);
		rte_free(w->bes);
		rte_free(w->jobs);
		rte_free(w->eph);
		rte_free(w->ephist);
		rte_free(w->beh);
		rte_free(w->pend);
	}
	rte_free(aces.workers);
	aces.workers = NULL;
	rte_ring_free(aces.cmd_ring);
	rte_free(aces.qsbr);
	aces.cmd_ring = NULL;
	aces.qsbr = NULL;
}

/* ---- a reload: pause the workers, move their state to the new configuration ---- */

int
aces_workers_pause(void)
{
	uint64_t end = rte_get_tsc_cycles() + aces.tsc_hz;	/* 1 s */
	unsigned int i, parked;

	ACES_ON_CONTROL_LCORE();

	__atomic_store_n(&aces.park, 1, __ATOMIC_RELEASE);
	do {
		parked = 0;
		for (i = 0; i < aces.n_workers; i++)
			parked += __atomic_load_n(&aces.workers[i].parked, __ATOMIC_ACQUIRE);
		if (parked == aces.n_workers)
			return 0;
		rte_delay_us_sleep(50);
	} while (rte_get_tsc_cycles() < end);
	__atomic_store_n(&aces.park, 0, __ATOMIC_RELEASE);
	return -ETIMEDOUT;
}

void
aces_workers_resume(void)
{
	ACES_ON_CONTROL_LCORE();
	__atomic_store_n(&aces.park, 0, __ATOMIC_RELEASE);
}

/* Worker side: stay here, touching nothing shared, until the control lcore is done. */
void
aces_wk_park(struct aces_worker *w)
{
	__atomic_store_n(&w->parked, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&aces.park, __ATOMIC_ACQUIRE)) {
		rte_pause();
		sched_yield();	/* the control lcore may share this CPU */
	}
	__atomic_store_n(&w->parked, 0, __ATOMIC_RELEASE);
}

/* New index of old endpoint side (e, s) / backend b: -1 when it is gone. */
static inline int32_t
map_ep(const int32_t *ep_new, uint32_t n_old, uint32_t e)
{
	return e < n_old ? ep_new[e] : -1;
}

static int
remap_job(struct aces_wmsg *m, const int32_t *ep_new, uint32_t n_old_ep, const int32_t *be_new,
	  uint32_t n_old_be, int swap)
{
	int32_t x;

	if (m->type == ACES_WMSG_FLOW || m->type == ACES_WMSG_FLOWS || m->type == ACES_WMSG_LIST)
		return -1;	/* its endpoint and backend indexes are gone: the caller asks again */
	if (m->type == ACES_WMSG_RESET) {
		x = map_ep(ep_new, n_old_ep, m->ep);
		if (x < 0)
			return -1;
		m->ep = (uint32_t)x;
		m->side = swap ? 1 - m->side : m->side;
		return 0;
	}
	x = map_ep(be_new, n_old_be, m->ep);
	if (x < 0)
		return -1;
	m->ep = (uint32_t)x;
	if (m->pad != 0) {	/* an endpoint filter, + 1 */
		int32_t f = map_ep(ep_new, n_old_ep, m->pad - 1);

		if (f < 0)
			return -1;
		m->pad = (uint32_t)f + 1;
	}
	return 0;
}

/*
 * Every worker paused; aces.cfg is the new configuration. Each worker's counters move to
 * the new indexes (@ep_new / @be_new: old index -> new, -1: gone; @swap: a release swapped
 * the sides), then every flow of its table is re-pointed (a flow whose endpoint or backend
 * is gone cannot exist: the reload keeps every entity that still has one), and its drain
 * jobs and queued commands follow. The flow timeouts are the new ones.
 */
static int
workers_remap(const int32_t *ep_new, uint32_t n_old_ep, const int32_t *be_new,
	      uint32_t n_old_be, int swap, uint64_t *lost)
{
	const struct aces_config *c = aces.cfg;
	uint32_t n_ep = c->n_endpoints, n_be = c->n_backends, e, b, s, i;
	unsigned int wi;

	ACES_ON_CONTROL_LCORE();

	*lost = 0;
	for (wi = 0; wi < aces.n_workers; wi++) {
		struct aces_worker *w = &aces.workers[wi];
		int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
		struct aces_ctr *eps = rte_zmalloc_socket(NULL, n_ep * 2 * sizeof(*eps), 64, socket);
		struct aces_ctr *bes = rte_zmalloc_socket(NULL, (n_be ? n_be : 1) * sizeof(*bes), 64,
							  socket);
		struct aces_health_ctr *eph = rte_zmalloc_socket(NULL, n_ep * 2 * sizeof(*eph), 64,
								 socket);
		struct aces_hs_hist *ephist = rte_zmalloc_socket(NULL, n_ep * 2 * sizeof(*ephist),
								 64, socket);
		struct aces_health_ctr *beh = rte_zmalloc_socket(NULL, (n_be ? n_be : 1) *
								 sizeof(*beh), 64, socket);
		struct aces_flow_table *ft = w->ft;
		struct aces_wmsg m;
		struct aces_wmsg queued[64];
		unsigned int nq = 0, k;

		if (eps == NULL || bes == NULL || eph == NULL || ephist == NULL || beh == NULL) {
			rte_free(eps);
			rte_free(bes);
			rte_free(eph);
			rte_free(ephist);
			rte_free(beh);
			return -ENOMEM;
		}
		for (e = 0; e < n_old_ep; e++) {
			if (ep_new[e] < 0)
				continue;
			for (s = 0; s < 2; s++) {
				uint32_t to = (uint32_t)ep_new[e] * 2 + (swap ? 1 - s : s);

				eps[to] = w->eps[e * 2 + s];
				eph[to] = w->eph[e * 2 + s];
				ephist[to] = w->ephist[e * 2 + s];
			}
		}
		for (b = 0; b < n_old_be; b++) {
			if (be_new[b] < 0)
				continue;
			bes[be_new[b]] = w->bes[b];
			beh[be_new[b]] = w->beh[b];
		}
		for (i = 0; i < ft->capacity; i++) {
			struct aces_flow *f = &ft->flows[i];
			int32_t ne, nb;

			if (!f->in_use)
				continue;
			ne = map_ep(ep_new, n_old_ep, f->ep);
			nb = map_ep(be_new, n_old_be, f->backend);
			if (ne < 0 || nb < 0) {
				/* a closed flow of a dropped entity (only closed ones can be left):
				 * it goes with it; an open one cannot happen: counted, never silent */
				if (f->open)
					(*lost)++;
				aces_flow_delete(ft, i);
				w->st.flows_active--;
				w->st.flows_expired++;
				continue;
			}
			f->ep = (uint16_t)ne;
			f->backend = (uint16_t)nb;
			if (swap)
				f->side = (uint8_t)(1 - f->side);
		}
		/* drain jobs and queued commands name old indexes */
		for (k = 0, i = 0; k < w->n_jobs; k++)
			if (remap_job(&w->jobs[k], ep_new, n_old_ep, be_new, n_old_be, swap) == 0)
				w->jobs[i++] = w->jobs[k];
		if (i != w->n_jobs || (w->reset_job != NULL && i == 0))
			w->reset_cursor = 0;	/* the job in progress went: start the next afresh */
		w->n_jobs = i;
		w->reset_job = i > 0 ? &w->jobs[0] : NULL;
		w->mig_list_seq = 0;	/* a list under way names an old endpoint: the mover asks again */
		aces_wk_held_drop(w);	/* kept segments of held flows: TCP resends them */
		while (nq < RTE_DIM(queued) &&
		       rte_ring_sc_dequeue_elem(w->msg_ring, &m, sizeof(m)) == 0)
			if (remap_job(&m, ep_new, n_old_ep, be_new, n_old_be, swap) == 0)
				queued[nq++] = m;
		for (k = 0; k < nq; k++)
			rte_ring_mp_enqueue_elem(w->msg_ring, &queued[k], sizeof(queued[k]));
		rte_free(w->eps);
		rte_free(w->bes);
		rte_free(w->eph);
		rte_free(w->ephist);
		rte_free(w->beh);
		w->eps = eps;
		w->bes = bes;
		w->eph = eph;
		w->ephist = ephist;
		w->beh = beh;
		w->tm_cursor = 0;	/* a new report round, of the new entities */
		if (flow_table_timeouts(ft) != 0)
			return -EINVAL;
	}
	return 0;
}

/* The module table's reload of the workers: @r->lost counts the flows that had to go. */
int
aces_workers_reload(struct aces_remap *r)
{
	return workers_remap(r->ep_new, r->n_old_ep, r->be_new, r->n_old_be, r->release, &r->lost);
}
