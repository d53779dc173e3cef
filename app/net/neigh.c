/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours and ARP on the control lcore: ACES answers ARP for the VIPs and its
 * interface addresses, announces them at start, resolves backends and gateways and
 * learns their MACs, which the workers read as one 64-bit word each. Also the way
 * out for every frame the control lcore builds (through worker 0's TX queue), and
 * the sorting of what the workers hand over (ARP, frames to ACES itself).
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "aces/parse.h"
#include "common/aces.h"
#include "net/net.h"

#define ARP_RETRY_S	1	/* unresolved: ask again every second */
#define ARP_REFRESH_S	60	/* resolved by ARP: refresh every minute */

struct aces_next_hops aces_nh;
static uint32_t n_neigh;	/* entries of aces_nh.neigh in use */

RTE_LOG_REGISTER(aces_logtype_neigh, user.aces.neigh, INFO);
#define CTL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_neigh, "aces: " fmt "\n", ## __VA_ARGS__)

/* Frames go out through worker 0's TX queue: the control lcore owns no queue. */
void
aces_ctl_send(struct rte_mbuf *m, uint16_t port_id)
{
	m->port = port_id;
	if (rte_ring_enqueue(aces.workers[0].ctl_tx_ring, m) != 0) {
		aces_cp.ctl[ACES_CTL_CTL_TX_FULL]++;
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
		aces_cp.ctl[ACES_CTL_ALLOC_FAIL]++;
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

	ACES_ON_CONTROL_LCORE();

	aces_cp.ctl[ACES_CTL_ARP_RX]++;
	if (aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p) != ACES_PARSE_ARP) {
		aces_cp.ctl[ACES_CTL_ARP_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}
	arp = (struct rte_arp_hdr *)((uint8_t *)eth + p.l2_len);
	op = rte_be_to_cpu_16(arp->arp_opcode);
	sip = arp->arp_data.arp_sip;
	tip = arp->arp_data.arp_tip;

	/* Learn (or refresh) a neighbour we track, from any ARP it sends. */
	for (i = 0; i < n_neigh; i++) {
		struct aces_neigh *n = &aces_nh.neigh[i];
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
			aces_cp.ctl[ACES_CTL_ARP_LEARNED]++;
			CTL_LOG(INFO, "neighbor %s is at " RTE_ETHER_ADDR_PRT_FMT,
				aces_ip_str(n->addr, a, sizeof(a)),
				RTE_ETHER_ADDR_BYTES(&arp->arp_data.arp_sha));
		}
		n->learned_tsc = rte_rdtsc();
	}

	if (op != RTE_ARP_OP_REQUEST || !is_arp_target(pi, tip) || sip == tip) {
		if (op != RTE_ARP_OP_REPLY)
			aces_cp.ctl[ACES_CTL_ARP_IGNORED]++;
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
	aces_cp.ctl[ACES_CTL_ARP_REPLIES]++;
	aces_ctl_send(m, m->port);
}

/* Frames the workers hand over: ARP is answered here; TCP/UDP sent to ACES's own addresses
 * go back to the control loop, which hands them to the rooms that wait for answers. */
int
aces_neigh_slow_path(struct rte_mbuf *m, struct aces_pkt *p)
{
	enum aces_parse_result r = aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					      p);

	if (r == ACES_PARSE_ARP) {
		handle_arp(m);
		return 0;
	}
	if (r == ACES_PARSE_IPV4)
		return 1;
	aces_cp.ctl[ACES_CTL_LOCAL_IGNORED]++;
	rte_pktmbuf_free(m);
	return 0;
}

void
aces_neigh_maintain(uint64_t now)
{
	uint32_t i;

	for (i = 0; i < n_neigh; i++) {
		struct aces_neigh *n = &aces_nh.neigh[i];
		uint64_t v = __atomic_load_n(&n->mac, __ATOMIC_RELAXED);
		uint64_t every = (v & ACES_NEIGH_VALID) ? ARP_REFRESH_S : ARP_RETRY_S;
		uint16_t pi = aces_port_index(n->port);

		if (n->is_static)
			continue;
		if (n->last_req_tsc != 0 && now - n->last_req_tsc < every * aces.tsc_hz)
			continue;
		n->last_req_tsc = now;
		send_arp(pi, RTE_ARP_OP_REQUEST, n->src_addr, n->addr, NULL);
		aces_cp.ctl[ACES_CTL_ARP_REQUESTS]++;
	}
}

/* Gratuitous ARP for every address ACES owns, so switches and hosts learn it at once. */
void
aces_neigh_announce(void)
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
		if (j == i && c->endpoints[i].vip != c->client.addr && !c->endpoints[i].retired)
			send_arp(aces.client_pi, RTE_ARP_OP_REQUEST, c->endpoints[i].vip,
				 c->endpoints[i].vip, NULL);
	}
}

static int
add_neigh(uint32_t addr, uint16_t port_id, uint32_t src)
{
	uint32_t i;

	for (i = 0; i < n_neigh; i++)
		if (aces_nh.neigh[i].addr == addr && aces_nh.neigh[i].port == port_id)
			return (int)i;
	aces_nh.neigh[n_neigh].addr = addr;
	aces_nh.neigh[n_neigh].port = port_id;
	aces_nh.neigh[n_neigh].src_addr = src;
	for (i = 0; i < aces.cfg->n_neighbors; i++) {
		const struct aces_cfg_neighbor *sn = &aces.cfg->neighbors[i];
		uint64_t v = 0;

		if (sn->addr != addr)
			continue;
		memcpy(&v, sn->mac, 6);
		aces_nh.neigh[n_neigh].mac = v | ACES_NEIGH_VALID;
		aces_nh.neigh[n_neigh].is_static = 1;
	}
	return (int)n_neigh++;
}

/* Next hops: on-link backends, else the backend gateway; the client gateway. Statically
 * configured MACs are valid from the start; the others are ARPed for. */
int
aces_neigh_init(void)
{
	const struct aces_config *c = aces.cfg;
	uint32_t i;

	aces_nh.neigh = rte_zmalloc("aces_neigh", (c->n_backends + 2) * sizeof(*aces_nh.neigh),
				 RTE_CACHE_LINE_SIZE);
	aces_nh.backend_nh = rte_zmalloc("aces_be_nh", c->n_backends * sizeof(uint32_t), 0);
	if (aces_nh.neigh == NULL || aces_nh.backend_nh == NULL) {
		aces_neigh_fini();
		return -ENOMEM;
	}
	n_neigh = 0;
	for (i = 0; i < c->n_backends; i++) {
		uint32_t a = c->backends[i].addr;

		if (c->backend.has_gateway &&
		    !aces_config_in_subnet(a, c->backend.addr, c->backend.prefix_len))
			a = c->backend.gateway;
		aces_nh.backend_nh[i] = (uint32_t)add_neigh(a, c->backend.port, c->backend.addr);
	}
	aces_nh.client_gw_nh = c->client.has_gateway ?
		add_neigh(c->client.gateway, c->client.port, c->client.addr) : -1;
	return 0;
}

void
aces_neigh_fini(void)
{
	rte_free(aces_nh.neigh);
	rte_free(aces_nh.backend_nh);
	aces_nh.neigh = NULL;
	aces_nh.backend_nh = NULL;
	n_neigh = 0;
}

/* A reload (workers paused, aces.cfg the new one): the next hops of the new backends;
 * the MACs already learned stay, so no flow waits for ARP. */
int
aces_neigh_reload(struct aces_remap *r)
{
	struct aces_neigh *old = aces_nh.neigh;
	uint32_t n_old = n_neigh, i, j;
	uint32_t *old_nh = aces_nh.backend_nh;
	int rc;

	RTE_SET_USED(r);
	aces_nh.neigh = NULL;
	aces_nh.backend_nh = NULL;
	n_neigh = 0;
	rc = aces_neigh_init();
	if (rc != 0) {
		aces_nh.neigh = old;
		aces_nh.backend_nh = old_nh;
		n_neigh = n_old;
		return rc;
	}
	for (i = 0; i < n_neigh; i++) {
		struct aces_neigh *n = &aces_nh.neigh[i];

		for (j = 0; j < n_old && !n->is_static; j++) {
			if (old[j].addr != n->addr || old[j].port != n->port || old[j].is_static)
				continue;
			n->mac = old[j].mac;
			n->last_req_tsc = old[j].last_req_tsc;
			n->learned_tsc = old[j].learned_tsc;
		}
	}
	rte_free(old);
	rte_free(old_nh);
	return 0;
}
