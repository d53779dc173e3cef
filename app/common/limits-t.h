/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_LIMITS_T_H
#define ACES_APP_LIMITS_T_H

/**
 * @file
 * Sizes the appliance is built with.
 */

#include <stdint.h>

#define ACES_BURST		32
#define ACES_MAX_WORKERS	16
#define ACES_MAX_PORTS		2	/**< client and backend roles (may be one port) */
#define ACES_RING_SIZE		1024
#define ACES_RX_DESC		1024	/**< receive descriptors per queue */
#define ACES_TX_DESC		1024
#define ACES_HANDOFF_RING	4096	/**< packets handed to a flow's owner worker */
#define ACES_DROPQ		64	/**< dropped mbufs freed together */
#define ACES_VIP_SET_BITS	11	/**< VIP set: 2,048 slots, at most half used */
#define ACES_VIP_SET		(1u << ACES_VIP_SET_BITS)
#define ACES_CMD_TIMEOUT_MS	2000
#define ACES_BE_SET_BITS	10	/**< backend addresses: 1,024 slots, at most half used */
#define ACES_BE_SET		(1u << ACES_BE_SET_BITS)
#define ACES_BPORT_HEADS	256	/**< endpoints by (backend port, protocol): chain heads */

#endif /* ACES_APP_LIMITS_T_H */
