/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-plane lcore (the EAL main lcore): the only writer of assignment state
 * and neighbour MACs. It answers and sends ARP, carries out commands handed
 * over by telemetry threads, samples per-endpoint rates, and publishes new
 * assignment tables with RCU QSBR (build, store-release, and free the old table once
 * every worker has passed a quiescent state: checked each loop, never waited for,
 * so a control lcore sharing a CPU with a worker never spins while it holds it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "aces/manager.h"
#include "aces/parse.h"
#include "aces.h"

#define ARP_RETRY_S	1	/* unresolved: ask again every second */
#define ARP_REFRESH_S	60	/* resolved by ARP: refresh every minute */

RTE_LOG_REGISTER(aces_logtype_ctl, user.aces.control, INFO);
#define CTL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_ctl, "aces: " fmt "\n", ## __VA_ARGS__)

/* Frames go out through worker 0's TX queue: the control lcore owns no queue. */
void
aces_ctl_send(struct rte_mbuf *m, uint16_t port_id)
{
	m->port = port_id;
	if (rte_ring_enqueue(aces.workers[0].ctl_tx_ring, m) != 0) {
		aces.ctl[ACES_CTL_CTL_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static void
send_arp(uint16_t pi, uint16_t op, uint32_t sip, uint32_t tip, const struct rte_ether_addr *tha)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(aces.pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL) {
		aces.ctl[ACES_CTL_ALLOC_FAIL]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&aces.port_mac[pi], &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&aces.port_mac[pi], &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip;
	if (tha != NULL)
		rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	else
		memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = tip;
	aces_ctl_send(m, aces.port_ids[pi]);
}

/* Is @ip one ACES answers ARP for on port index @pi? */
static int
is_arp_target(uint16_t pi, uint32_t ip)
{
	const struct aces_config *c = aces.cfg;
	uint32_t i;

	if (pi == aces.client_pi && ip == c->client.addr)
		return 1;
	if (pi == aces.backend_pi && ip == c->backend.addr)
		return 1;
	if (pi != aces.client_pi)
		return 0;
	for (i = 0; i < c->n_endpoints; i++)
		if (c->endpoints[i].vip == ip)
			return 1;
	return 0;
}

static void
handle_arp(struct rte_mbuf *m)
{
	struct aces_pkt p;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;
	uint16_t pi = aces_port_index(m->port), op;
	uint32_t i, sip, tip;

	aces.ctl[ACES_CTL_ARP_RX]++;
	if (aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p) != ACES_PARSE_ARP) {
		aces.ctl[ACES_CTL_ARP_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}
	arp = (struct rte_arp_hdr *)((uint8_t *)eth + p.l2_len);
	op = rte_be_to_cpu_16(arp->arp_opcode);
	sip = arp->arp_data.arp_sip;
	tip = arp->arp_data.arp_tip;

	/* Learn (or refresh) a neighbour we track, from any ARP it sends. */
	for (i = 0; i < aces.n_neigh; i++) {
		struct aces_neigh *n = &aces.neigh[i];
		uint64_t v = ACES_NEIGH_VALID, old;

		if (n->addr != sip || aces_port_index(n->port) != pi || n->is_static)
			continue;
		if (rte_is_zero_ether_addr(&arp->arp_data.arp_sha) ||
		    rte_is_multicast_ether_addr(&arp->arp_data.arp_sha))
			continue;
		memcpy(&v, arp->arp_data.arp_sha.addr_bytes, RTE_ETHER_ADDR_LEN);
		v |= ACES_NEIGH_VALID;
		old = __atomic_load_n(&n->mac, __ATOMIC_RELAXED);
		if (old != v) {
			char a[16];

			__atomic_store_n(&n->mac, v, __ATOMIC_RELEASE);
			aces.ctl[ACES_CTL_ARP_LEARNED]++;
			CTL_LOG(INFO, "neighbor %s is at " RTE_ETHER_ADDR_PRT_FMT,
				aces_ip_str(n->addr, a, sizeof(a)),
				RTE_ETHER_ADDR_BYTES(&arp->arp_data.arp_sha));
		}
		n->learned_tsc = rte_rdtsc();
	}

	if (op != RTE_ARP_OP_REQUEST || !is_arp_target(pi, tip) || sip == tip) {
		if (op != RTE_ARP_OP_REPLY)
			aces.ctl[ACES_CTL_ARP_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Turn the request into the reply in place (keeps any VLAN tags). */
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(&aces.port_mac[pi], &eth->src_addr);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = sip;
	rte_ether_addr_copy(&aces.port_mac[pi], &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = tip;
	aces.ctl[ACES_CTL_ARP_REPLIES]++;
	aces_ctl_send(m, m->port);
}

/* Frames the workers hand over: ARP, and TCP/UDP sent to ACES's own addresses. */
static void
slow_path(struct rte_mbuf *m)
{
	struct aces_pkt p;
	enum aces_parse_result r = aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					      &p);

	if (r == ACES_PARSE_ARP) {
		handle_arp(m);
		return;
	}
	if (r == ACES_PARSE_IPV4 && p.has_l4 && aces_health_rx(m, &p) == 0)
		return;		/* a probe's answer */
	aces.ctl[ACES_CTL_LOCAL_IGNORED]++;
	rte_pktmbuf_free(m);
}

static void
neigh_maintain(uint64_t now)
{
	uint32_t i;

	for (i = 0; i < aces.n_neigh; i++) {
		struct aces_neigh *n = &aces.neigh[i];
		uint64_t v = __atomic_load_n(&n->mac, __ATOMIC_RELAXED);
		uint64_t every = (v & ACES_NEIGH_VALID) ? ARP_REFRESH_S : ARP_RETRY_S;
		uint16_t pi = aces_port_index(n->port);

		if (n->is_static)
			continue;
		if (n->last_req_tsc != 0 && now - n->last_req_tsc < every * aces.tsc_hz)
			continue;
		n->last_req_tsc = now;
		send_arp(pi, RTE_ARP_OP_REQUEST, n->src_addr, n->addr, NULL);
		aces.ctl[ACES_CTL_ARP_REQUESTS]++;
	}
}

/* Gratuitous ARP for every address ACES owns, so switches and hosts learn it at once. */
static void
announce(void)
{
	const struct aces_config *c = aces.cfg;
	uint32_t i, j;

	send_arp(aces.client_pi, RTE_ARP_OP_REQUEST, c->client.addr, c->client.addr, NULL);
	if (c->backend.addr != c->client.addr || aces.backend_pi != aces.client_pi)
		send_arp(aces.backend_pi, RTE_ARP_OP_REQUEST, c->backend.addr, c->backend.addr,
			 NULL);
	for (i = 0; i < c->n_endpoints; i++) {
		for (j = 0; j < i; j++)
			if (c->endpoints[j].vip == c->endpoints[i].vip)
				break;
		if (j == i && c->endpoints[i].vip != c->client.addr)
			send_arp(aces.client_pi, RTE_ARP_OP_REQUEST, c->endpoints[i].vip,
				 c->endpoints[i].vip, NULL);
	}
}

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
			mem[n].weight = (down != NULL && down[b]) ? 0 : c->backends[b].weight;
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

struct aces_assign *
aces_assign_copy(void)
{
	struct aces_assign *t = rte_malloc("aces_assign", sizeof(*t), RTE_CACHE_LINE_SIZE);

	if (t == NULL) {
		aces.ctl[ACES_CTL_ALLOC_FAIL]++;
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

void
aces_assign_publish(struct aces_assign *t)
{
	struct aces_assign *old = aces.assign;
	uint32_t e;

	__atomic_store_n(&aces.assign, t, __ATOMIC_RELEASE);
	for (e = 0; e < aces.cfg->n_endpoints; e++)
		__atomic_store_n(&aces.ep_weight[e], t->weight[e], __ATOMIC_RELEASE);
	/* every worker passes a quiescent state once per loop: then nobody holds old */
	if (n_retired == ACES_RETIRED_MAX) {
		/* 64 publications before a worker loop went by: wait for the oldest */
		aces.ctl[ACES_CTL_RETIRE_WAITS]++;
		rte_rcu_qsbr_check(aces.qsbr, retired[0].token, true);
		aces_assign_reclaim(false);
	}
	retired[n_retired].t = old;
	retired[n_retired++].token = rte_rcu_qsbr_start(aces.qsbr);
	aces.ctl[ACES_CTL_TABLES]++;
}

int
aces_assign_set_down(const uint8_t *down)
{
	struct aces_assign *t = aces_assign_copy();

	if (t == NULL)
		return -ENOMEM;
	if (build_chash(t, down) != 0) {
		rte_free(t);
		return -EINVAL;
	}
	aces_assign_publish(t);
	return 0;
}

static void
run_cmd(struct aces_cmd *cmd)
{
	cmd->result = aces_epm_cmd(cmd, aces_now_ms());
	aces.ctl[cmd->result == 0 ? ACES_CTL_COMMANDS : ACES_CTL_COMMANDS_FAILED]++;
	__atomic_store_n(&cmd->done, 1, __ATOMIC_RELEASE);
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(cmd);
}

int
aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen)
{
	int i, rc;

	cmd->refs = 2;
	cmd->done = 0;
	if (rte_ring_mp_enqueue(aces.cmd_ring, cmd) != 0) {
		snprintf(err, errlen, "control plane busy: command queue full");
		free(cmd);
		return -EBUSY;
	}
	for (i = 0; i < ACES_CMD_TIMEOUT_MS; i++) {
		if (__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	if (!__atomic_load_n(&cmd->done, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "control plane did not answer within %d ms",
			 ACES_CMD_TIMEOUT_MS);
		rc = -ETIMEDOUT;
	} else {
		rc = cmd->result;
		if (rc != 0)
			snprintf(err, errlen, "%s", cmd->msg);
	}
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(cmd);
	return rc;
}

int
aces_control_init(void)
{
	int rc = aces_assign_init();

	if (rc == 0)
		rc = aces_epm_init();
	return rc != 0 ? rc : aces_health_init();
}

void
aces_control_loop(void)
{
	uint64_t next_neigh = 0, next_tick = 0;
	uint64_t tick_cycles = aces.tsc_hz * aces.cfg->manager.tick_ms / 1000;
	void *objs[ACES_BURST];
	unsigned int i, n, wi;

	announce();
	while (!aces.force_quit) {
		uint64_t now = rte_rdtsc();
		unsigned int work = 0;

		for (wi = 0; wi < aces.n_workers; wi++) {
			n = rte_ring_sc_dequeue_burst(aces.workers[wi].slow_ring, objs, ACES_BURST,
						      NULL);
			for (i = 0; i < n; i++)
				slow_path(objs[i]);
			work += n;
		}
		n = rte_ring_sc_dequeue_burst(aces.cmd_ring, objs, ACES_BURST, NULL);
		for (i = 0; i < n; i++)
			run_cmd(objs[i]);
		work += n;
		if (now >= next_neigh) {
			neigh_maintain(now);
			next_neigh = now + aces.tsc_hz / 10;
		}
		aces_epm_drain();
		if (aces.usr2) {
			struct aces_cmd c = { .type = ACES_CMD_START, .weight = 1 };

			aces.usr2 = 0;
			if (aces_epm_cmd(&c, aces_now_ms()) != 0)
				CTL_LOG(WARNING, "SIGUSR2: transition not started: %s", c.msg);
		}
		aces_health_poll(aces_now_ms());
		aces_assign_reclaim(false);
		if (now >= next_tick) {
			aces_health_tick(aces_now_ms());
			aces_epm_tick(aces_now_ms());
			next_tick = now + tick_cycles;
		}
		/* The control plane sleeps when idle (1 ms): it must leave the CPU to others, a worker
		 * on the same CPU above all. ARP and commands wait at most that long. */
		if (work == 0)
			usleep(1000);
	}
}

void
aces_control_fini(void)
{
	void *obj;

	aces_health_fini();
	aces_epm_fini();
	aces_mgr_free(aces.mgr);
	aces.mgr = NULL;
	/* Commands still queued are answered as refused so no handler waits in vain. */
	while (rte_ring_sc_dequeue(aces.cmd_ring, &obj) == 0) {
		struct aces_cmd *cmd = obj;

		cmd->result = -ESHUTDOWN;
		snprintf(cmd->msg, sizeof(cmd->msg), "appliance is shutting down");
		__atomic_store_n(&cmd->done, 1, __ATOMIC_RELEASE);
		if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0)
			free(cmd);
	}
}
