/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Endpoints as the workers look them up, owned here: the read-only hash of
 * (VIP, port, protocol) -> endpoint index (with one ICMP entry per VIP address), the
 * open-addressed set of VIP addresses that tells a packet's direction, the backends by
 * address and the endpoints by backend port (adoption), the entity counts the rooms size
 * their per-endpoint and per-backend state by, and the workers' timing: struct aces_dp
 * (datapath/datapath.h), rebuilt whole by a reload's swap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "aces/pkt-t.h"
#include "common/aces.h"
#include "datapath/datapath.h"

struct aces_dp aces_dp;

int
aces_endpoints_init(void)
{
	const struct aces_config *c = aces.cfg;
	struct rte_hash_parameters hp = {
		.name = "aces_endpoints",
		.entries = 2 * ACES_MAX_ENDPOINTS,
		.key_len = sizeof(struct aces_ep_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
	};
	uint32_t i;
	int ret;

	aces_dp.ep_hash = rte_hash_create(&hp);
	if (aces_dp.ep_hash == NULL)
		return -ENOMEM;
	for (i = 0; i < c->n_endpoints; i++) {
		struct aces_ep_key k = {
			.vip = c->endpoints[i].vip,
			.port = rte_cpu_to_be_16(c->endpoints[i].port),
			.proto = c->endpoints[i].proto,
		};

		RTE_BUILD_BUG_ON(ACES_VIP_SET < 2 * ACES_MAX_ENDPOINTS);
		/* a removed endpoint takes no new flow; its VIP still tells its flows' direction */
		ret = c->endpoints[i].retired ? 0 :
		      rte_hash_add_key_data(aces_dp.ep_hash, &k, (void *)(uintptr_t)i);
		if (!aces_is_vip(k.vip)) {	/* ACES_MAX_ENDPOINTS VIPs at most: never full */
			uint32_t j = aces_vip_slot(k.vip);

			while (aces_dp.vip_set[j] != 0)
				j = (j + 1) & (ACES_VIP_SET - 1);
			aces_dp.vip_set[j] = k.vip;
		}
		k.port = 0;
		k.proto = ACES_IPPROTO_ICMP;
		if (ret == 0)
			ret = rte_hash_add_key_data(aces_dp.ep_hash, &k,
						    (void *)(uintptr_t)ACES_EP_VIP_MARK);
		if (ret != 0)
			return ret;
	}

	/* what adopting a reply without a flow needs: its backend by address, the
	 * endpoints that use its port */
	RTE_BUILD_BUG_ON(ACES_BE_SET < 2 * 2 * ACES_MAX_BACKENDS);
	for (i = 0; i < c->n_backends; i++) {
		uint32_t j = aces_be_slot(c->backends[i].addr);

		if (c->backends[i].retired || aces_backend_by_addr(c->backends[i].addr) >= 0)
			continue;	/* the config refuses a duplicate address */
		while (aces_dp.be_set_idx[j] != 0)
			j = (j + 1) & (ACES_BE_SET - 1);
		aces_dp.be_set_addr[j] = c->backends[i].addr;
		aces_dp.be_set_idx[j] = (uint16_t)(i + 1);
	}
	aces_dp.ep_bport_next = calloc(c->n_endpoints + 1, sizeof(*aces_dp.ep_bport_next));
	if (aces_dp.ep_bport_next == NULL)
		return -ENOMEM;
	for (i = c->n_endpoints; i-- > 0;) {
		uint32_t hd;

		if (c->endpoints[i].retired)
			continue;
		hd = aces_bport_head(rte_cpu_to_be_16(c->endpoints[i].backend_port),
				     c->endpoints[i].proto);
		aces_dp.ep_bport_next[i] = aces_dp.ep_bport_head[hd];
		aces_dp.ep_bport_head[hd] = (uint16_t)(i + 1);
	}

	aces_dp.n_entities = c->n_endpoints * 2 + c->n_backends;
	aces_dp.n_report = c->n_endpoints * 2 * 3 + c->n_backends * 2;
	aces_dp.tmsg_period = aces.tsc_hz * c->manager.tick_ms / 1000;
	aces_dp.syn_timeout_tsc = aces.tsc_hz * c->manager.health.syn_timeout_ms / 1000;
	return 0;
}

void
aces_endpoints_fini(void)
{
	rte_hash_free(aces_dp.ep_hash);
	aces_dp.ep_hash = NULL;
	memset(aces_dp.vip_set, 0, sizeof(aces_dp.vip_set));
	memset(aces_dp.be_set_idx, 0, sizeof(aces_dp.be_set_idx));
	memset(aces_dp.ep_bport_head, 0, sizeof(aces_dp.ep_bport_head));
	free(aces_dp.ep_bport_next);
	aces_dp.ep_bport_next = NULL;
}

int
aces_endpoints_reload(struct aces_remap *r)
{
	RTE_SET_USED(r);
	aces_endpoints_fini();
	return aces_endpoints_init();
}
