/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_NEIGH_T_H
#define ACES_APP_NEIGH_T_H

/**
 * @file
 * Next hops: written by the control lcore (neigh.c), read by workers.
 */

#include <stdint.h>

/** One next hop ACES resolves: a backend on-link, or a gateway. */
struct aces_neigh {
	uint32_t addr;		/**< network order */
	uint32_t src_addr;	/**< own address ARP requests for it come from */
	uint16_t port;		/**< port id it lives behind */
	uint8_t is_static;	/**< from config "neighbors": never ARPed */
	/** bit 63 = valid, bytes 0..5 = MAC in wire order; written by control, read by workers */
	uint64_t mac;
	uint64_t last_req_tsc;	/**< control only */
	uint64_t learned_tsc;	/**< control only */
};

#define ACES_NEIGH_VALID (1ull << 63)

#endif /* ACES_APP_NEIGH_T_H */
