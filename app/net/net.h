/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_NET_H
#define ACES_APP_NET_H

/**
 * @file
 * The ports' side of the control lcore: ARP and neighbours, the frames the control lcore
 * sends, and the evidence that a port loses received packets.
 *
 * Room app/net; it may use: common (tools/check_layers.py).
 */

#include "common/aces.h"

/* port_loss.c: evidence that a port loses received packets (control lcore) */
/**
 * Find what tells port index @pi's losses (after the port started): for net_af_packet, the
 * packet sockets of its interface. Returns what tells the port's overload, for the log.
 */
const char *aces_port_loss_init(uint8_t pi);
/** Read every port's losses (every 20 ms); a loss sets aces.rx_loss_tsc[port]. */
void aces_port_loss_watch(uint64_t now_tsc);
/** net_af_packet: the kernel's drops on port @pi's packet sockets so far (0 elsewhere). */
uint64_t aces_port_socket_drops(uint8_t pi);

/* neigh.c: ARP and neighbours */
/** The next hops of the config's backends and gateways (owned here). */
int aces_neigh_init(void);
void aces_neigh_fini(void);
/** A reload (workers paused): next hops of the new config, learned MACs kept. */
int aces_neigh_reload(void);
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

#endif /* ACES_APP_NET_H */
