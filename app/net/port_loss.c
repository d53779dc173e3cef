/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Evidence that a port is losing received packets (control lcore).
 *
 * A worker sheds new flows only when packets are being lost, or soon will be (worker.c,
 * overloaded()): full bursts alone say nothing, since a poll-mode worker that reads as fast
 * as packets come sees full bursts without losing one. The depth of a receive queue is read
 * by the worker itself where the port tells it (a NIC); loss is read here, every 20 ms:
 *  - the port's imissed and rx_nombuf, where its driver counts them (NICs);
 *  - for net_af_packet ports, which count neither, the kernel's drops on ACES's own packet
 *    sockets of the port's interface (PACKET_STATISTICS tp_drops: frames that found the
 *    packet ring full). The kernel resets that counter when it is read, and only ACES reads
 *    it: the sum is kept here and shown per port (telemetry_cmds.c).
 * A port that tells neither depth nor loss (net_pcap from a file, net_null) never sheds.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "common/aces.h"
#include "net/net.h"

RTE_LOG_REGISTER(aces_logtype_loss, user.aces.loss, INFO);
#define LOSS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_loss, "aces: " fmt "\n", ## __VA_ARGS__)

#define PORT_SOCKS	16	/**< packet sockets per port: net_af_packet's qpairs limit */

struct aces_port_loss aces_loss;

/* net_af_packet: the kernel's drops on each port's packet sockets (the control lcore adds,
 * telemetry threads read: aces_port_socket_drops) */
static uint64_t sock_rx_drops[ACES_MAX_PORTS];

uint64_t
aces_port_socket_drops(uint8_t pi)
{
	return __atomic_load_n(&sock_rx_drops[pi], __ATOMIC_RELAXED);
}

static struct {
	int fd[PORT_SOCKS];
	unsigned int n;
	uint64_t last_lost;	/**< imissed + rx_nombuf at the last read */
	int read_once;
} ports[ACES_MAX_PORTS];

/*
 * The AF_PACKET sockets of this process bound to interface @ifindex, into @fd (at most
 * PORT_SOCKS). Returns how many, or -errno when /proc/self/fd cannot be read.
 */
static int
packet_sockets(int ifindex, int *fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL && n < PORT_SOCKS) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(sll);
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (*end != '\0' || end == e->d_name || v < 0 || v == dirfd(d))
			continue;
		memset(&sll, 0, sizeof(sll));
		if (getsockname((int)v, (struct sockaddr *)&sll, &len) != 0 ||
		    sll.sll_family != AF_PACKET || sll.sll_ifindex != ifindex)
			continue;
		fd[n++] = (int)v;
	}
	closedir(d);
	return n;
}

/* tp_drops of the port's packet sockets since the last read (the kernel resets them) */
static uint64_t
socket_drops(uint8_t pi)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < ports[pi].n; i++) {
		struct tpacket_stats_v3 st;	/* a TPACKET_V2 ring fills the first two fields */
		socklen_t len = sizeof(st);

		memset(&st, 0, sizeof(st));
		if (getsockopt(ports[pi].fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			sum += st.tp_drops;
	}
	return sum;
}

const char *
aces_port_loss_init(uint8_t pi)
{
	static char what[ACES_MAX_PORTS][48];
	uint16_t port = aces.port_ids[pi];
	struct rte_eth_dev_info info;
	int n;

	ports[pi].n = 0;
	ports[pi].read_once = 0;
	aces_loss.rxq_count_ok[pi] = rte_eth_rx_queue_count(port, 0) >= 0;
	if (rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == NULL ||
	    strcmp(info.driver_name, "net_af_packet") != 0)
		return aces_loss.rxq_count_ok[pi] ? "receive-queue depth and imissed" :
		       "imissed, where the driver counts it (else it never sheds)";
	n = info.if_index != 0 ? packet_sockets((int)info.if_index, ports[pi].fd) : 0;
	if (n <= 0) {
		LOSS_LOG(WARNING, "port %u: no packet socket of interface index %u found (%s): "
			 "its losses are not seen, it never sheds new flows", port, info.if_index,
			 n < 0 ? strerror(-n) : "none bound to it");
		return "nothing (it never sheds)";
	}
	ports[pi].n = (unsigned int)n;
	snprintf(what[pi], sizeof(what[pi]), "the kernel's drops on its %d packet socket%s", n,
		 n == 1 ? "" : "s");
	return what[pi];
}

void
aces_port_loss_watch(uint64_t now)
{
	struct rte_eth_stats st;
	uint8_t pi;

	ACES_ON_CONTROL_LCORE();

	for (pi = 0; pi < aces.n_ports; pi++) {
		uint64_t lost = 0, drops = socket_drops(pi);
		int seen = drops != 0;

		if (drops != 0)
			__atomic_fetch_add(&sock_rx_drops[pi], drops, __ATOMIC_RELAXED);
		if (rte_eth_stats_get(aces.port_ids[pi], &st) == 0) {
			lost = st.imissed + st.rx_nombuf;
			seen |= lost > ports[pi].last_lost;
			ports[pi].last_lost = lost;
		}
		/* the first read holds what was lost before the workers polled: counted, not
		 * taken as overload */
		if (seen && ports[pi].read_once)
			__atomic_store_n(&aces_loss.rx_loss_tsc[pi], now, __ATOMIC_RELAXED);
		ports[pi].read_once = 1;
	}
}
