/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_NET_H
#define ACES_APP_NET_H

/**
 * @file
 * The ports' side of the control lcore: ARP and neighbours, the frames the control lcore
 * sends, the evidence that a port loses received packets, the kernel path (a kernel
 * interface per port) and rtnetlink.
 *
 * Room app/net; it may use: common (tools/check_layers.py).
 */

#include "common/aces.h"

/*
 * The ports' losses as the workers read them (port_loss.c owns them): the control lcore
 * stores the time it last saw a port lose received packets; a worker whose burst came back
 * full asks whether that was recent (shedding new flows). On its own cache line: it is
 * written every 20 ms while the workers read.
 */
struct aces_port_loss {
	uint64_t rx_loss_tsc[ACES_MAX_PORTS];	/**< when the control lcore last saw the port
						 *   lose received packets (imissed, rx_nombuf,
						 *   packet-socket drops); relaxed 64-bit words */
	uint8_t rxq_count_ok[ACES_MAX_PORTS];	/**< rte_eth_rx_queue_count() works on the port */
} __rte_cache_aligned;

extern struct aces_port_loss aces_loss;

/*
 * The next hops (neigh.c owns them): the neighbour table, each backend's entry in it and
 * the client gateway's. The table's MACs are published one 64-bit word at a time (valid
 * bit, store-release) by the control lcore; the arrays themselves change only at start and
 * in a reload's swap, while the workers are parked.
 */
struct aces_next_hops {
	struct aces_neigh *neigh;		/**< next hops */
	uint32_t *backend_nh;			/**< backend -> neigh index */
	int32_t client_gw_nh;			/**< neigh index of the client gateway, or -1 */
} __rte_cache_aligned;

extern struct aces_next_hops aces_nh;

/* port_loss.c: evidence that a port loses received packets (control lcore) */
/**
 * Find what tells port index @pi's losses (after the port started): for net_af_packet, the
 * packet sockets of its interface. Returns what tells the port's overload, for the log.
 */
const char *aces_port_loss_init(uint8_t pi);
/** Read every port's losses (every 20 ms); a loss sets aces_loss.rx_loss_tsc[port]. */
void aces_port_loss_watch(uint64_t now_tsc);
/** net_af_packet: the kernel's drops on port @pi's packet sockets so far (0 elsewhere). */
uint64_t aces_port_socket_drops(uint8_t pi);

/* neigh.c: ARP and neighbours */
/** The next hops of the config's backends and gateways (owned here). */
int aces_neigh_init(void);
void aces_neigh_fini(void);
/** A reload (workers paused): next hops of the new config, learned MACs kept. */
int aces_neigh_reload(struct aces_remap *r);
/** Send a frame the control lcore built, through worker 0's queue on port @port_id. */
void aces_ctl_send(struct rte_mbuf *m, uint16_t port_id);
struct aces_pkt;
/**
 * A frame a worker handed over: ARP is handled (0). TCP/UDP to an own address returns 1 with
 * @p parsed, for the control loop to hand to the rooms waiting for answers; anything else is
 * counted as local_ignored and freed (0).
 */
int aces_neigh_slow_path(struct rte_mbuf *m, struct aces_pkt *p);
/** ARP requests that are due (unresolved every second, resolved every minute). */
void aces_neigh_maintain(uint64_t now_tsc);
/** Gratuitous ARP for every address ACES owns. */
void aces_neigh_announce(void);

/* kernel.c: the kernel path (a net_tap per port that names interfaces.ROLE.kernel) */
/** Make the kernel interfaces (after the ports started): 0 or -errno, logged. */
int aces_kernel_init(void);
void aces_kernel_fini(void);
/** Port index @pi has a kernel interface. */
int aces_kernel_on(uint8_t pi);
/** Its kernel interface index and name (0 / NULL: none). */
int aces_kernel_ifindex(uint8_t pi);
const char *aces_kernel_ifname(uint8_t pi);
/**
 * A frame from the wire for the kernel of the port it came in on (m->port): passed,
 * limited or refused (counted; consumed, 0), or -1 when that port has no kernel path.
 */
int aces_kernel_in(struct rte_mbuf *m);
/** A copy of ARP frame @m for the port's kernel, if it has one. */
void aces_kernel_arp_copy(const struct rte_mbuf *m);
/** The kernel's frames out through their ports (each control loop); how many were read. */
unsigned int aces_kernel_poll(uint64_t now_tsc);

/* netlink.c: rtnetlink, one request at a time (control lcore, never per packet) */
/** The routing protocol number of the routes ACES adds (`ip route show proto 249`). */
#define ACES_RTPROT 249
/** Add (or, @add 0, remove) IPv4 address @addr/@prefix_len on @ifindex: 0 or -errno. */
int aces_nl_addr(int ifindex, uint32_t addr, uint8_t prefix_len, int add);
/** Add (replace) or remove the route @dst/@plen dev @ifindex in @table: 0 or -errno. */
int aces_nl_route(uint32_t table, uint32_t dst, uint8_t plen, int ifindex, int add);

#endif /* ACES_APP_NET_H */
