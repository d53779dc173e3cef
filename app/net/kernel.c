/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel path (issue #21; DPVS's KNI and VPP's linux-cp are the models): for every port
 * whose role names `kernel.interface`, a DPDK net_tap device whose kernel interface carries
 * the port's MAC, MTU and ACES's address on that side. The control lcore alone touches it:
 *
 *   wire -> kernel: what the workers hand over that ACES does not answer itself (frames to
 *     ACES's own address that are no answer to its probes or agents: BGP, BFD, SSH, ICMP),
 *     and a copy of every ARP frame of the port, so the kernel's neighbours stay as current
 *     as ACES's own (ACES still answers ARP for its addresses and VIPs itself);
 *   kernel -> wire: every frame the kernel sends on the interface, out through the port
 *     (worker 0's TX queue, as every frame the control lcore sends).
 *
 * Both ways are bounded by `kernel.packets_per_s` (a token bucket each) and counted. Nothing
 * of a VIP goes this way: the workers steer VIP traffic and never hand it over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <net/if.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "aces/parse.h"
#include "common/aces.h"
#include "net/net.h"

RTE_LOG_REGISTER(aces_logtype_kernel, user.aces.kernel, INFO);
#define K_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_kernel, "aces: " fmt "\n", ## __VA_ARGS__)

#define K_DESC	512

struct bucket {
	double tokens;
	uint64_t tsc;
};

struct kpath {
	int on;
	uint16_t tap;			/* the net_tap's DPDK port */
	int ifindex;
	char vdev[32];			/* its vdev name, for the hot-unplug */
	const char *ifname;		/* the config's */
	uint32_t pps;
	struct bucket in, out;
};

static struct kpath kp[ACES_MAX_PORTS];

static const struct aces_cfg_iface *
role_of(uint8_t pi)
{
	return pi == aces.client_pi ? &aces.cfg->client : &aces.cfg->backend;
}

/* A token for one frame: refilled at @pps, at most a twentieth of a second's worth banked. */
static int
take(struct bucket *b, uint32_t pps, uint64_t now)
{
	double cap = pps / 20.0 > 32 ? pps / 20.0 : 32;

	if (now > b->tsc) {
		b->tokens += (double)(now - b->tsc) * pps / (double)aces.tsc_hz;
		if (b->tokens > cap)
			b->tokens = cap;
	}
	b->tsc = now;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

/* A sysctl written, or a warning that names it: the kernel path works without it, but the
 * kernel may then answer twice (or send IPv6 solicitations) as the comment at each use says. */
static void
write_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok = f != NULL && fputs(val, f) >= 0;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok)
		K_LOG(WARNING, "kernel path: could not write %s to %s: %s", val, path,
		      strerror(errno));
}

static int
kpath_open(uint8_t pi)
{
	const struct aces_cfg_iface *ifc = role_of(pi);
	struct kpath *k = &kp[pi];
	struct rte_eth_conf conf;
	char args[192], path[128];
	uint16_t nb_rxd = K_DESC, nb_txd = K_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	snprintf(k->vdev, sizeof(k->vdev), "net_tap_aces%u", pi);
	snprintf(args, sizeof(args), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, k->vdev,
		 ifc->kernel, RTE_ETHER_ADDR_BYTES(&aces.port_mac[pi]));
	if (if_nametoindex(ifc->kernel) != 0) {
		K_LOG(ERR, "kernel path: interface %s exists already (another ACES, or a name "
		      "taken): interfaces.%s.kernel.interface must name a new one", ifc->kernel,
		      pi == aces.client_pi ? "client" : "backend");
		return -EEXIST;
	}
	rc = rte_dev_probe(args);	/* a vdev hot-plugged (DPDK's net_tap) */
	if (rc != 0) {
		K_LOG(ERR, "kernel path: cannot make %s (net_tap %s): %s", ifc->kernel, args,
		      strerror(rc < 0 ? -rc : rc));
		return rc < 0 ? rc : -rc;
	}
	k->on = 1;	/* from here fini removes it */
	k->ifname = ifc->kernel;
	k->pps = ifc->kernel_pps;
	rc = rte_eth_dev_get_port_by_name(k->vdev, &k->tap);
	if (rc != 0)
		return rc;
	/* IPv6 off until ACES speaks it (issue #24): the kernel would only send router and
	 * neighbour solicitations nobody answers */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifc->kernel);
	write_sysctl(path, "1");
	if ((rc = rte_eth_dev_configure(k->tap, 1, 1, &conf)) != 0 ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(k->tap, &nb_rxd, &nb_txd)) != 0 ||
	    (rc = rte_eth_rx_queue_setup(k->tap, 0, nb_rxd, rte_eth_dev_socket_id(k->tap), NULL,
					 aces.pool)) != 0 ||
	    (rc = rte_eth_tx_queue_setup(k->tap, 0, nb_txd, rte_eth_dev_socket_id(k->tap),
					 NULL)) != 0)
		return rc;
	rc = rte_eth_dev_set_mtu(k->tap, aces.port_mtu[pi]);
	if (rc != 0)
		K_LOG(WARNING, "kernel path: %s: MTU %u not set: %s", ifc->kernel,
		      aces.port_mtu[pi], strerror(-rc));
	rc = rte_eth_dev_start(k->tap);
	if (rc != 0)
		return rc;
	k->ifindex = (int)if_nametoindex(ifc->kernel);
	if (k->ifindex == 0) {
		K_LOG(ERR, "kernel path: %s is gone after it was made", ifc->kernel);
		return -ENODEV;
	}
	rc = aces_nl_addr(k->ifindex, ifc->addr, ifc->prefix_len, 1);
	if (rc != 0) {
		K_LOG(ERR, "kernel path: %s: address not set: %s", ifc->kernel, strerror(-rc));
		return rc;
	}
	/* net_af_packet leaves the port's own interface in the kernel, which would then answer
	 * for the kernel path's address on it too (the weak host model): twice every echo,
	 * a second SYN-ACK. Off on that interface: reverse-path filtering (the kernel path is
	 * the way to the port's subnet now) and ARP replies. A NIC bound to DPDK has no
	 * kernel interface left. */
	{
		struct rte_eth_dev_info info;
		char name[IF_NAMESIZE];

		if (rte_eth_dev_info_get(aces.port_ids[pi], &info) == 0 &&
		    info.driver_name != NULL && strcmp(info.driver_name, "net_af_packet") == 0 &&
		    info.if_index != 0 && if_indextoname(info.if_index, name) != NULL) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", name);
			write_sysctl(path, "1");
			snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/arp_ignore", name);
			write_sysctl(path, "8");
			K_LOG(INFO, "kernel path: port %u is net_af_packet on %s: that interface "
			      "neither answers ARP nor takes IPv4 from the wire in the kernel "
			      "(arp_ignore 8, rp_filter 1)", aces.port_ids[pi], name);
		}
	}
	k->in.tsc = k->out.tsc = rte_rdtsc();
	{
		char a[16];
		struct rte_ether_addr mac;

		rte_eth_macaddr_get(k->tap, &mac);
		K_LOG(INFO, "kernel path: port %u (%s) <-> kernel interface %s (ifindex %d, "
		      RTE_ETHER_ADDR_PRT_FMT "), %s/%u, MTU %u, at most %u frames/s each way",
		      aces.port_ids[pi], pi == aces.client_pi ? "client" : "backend", ifc->kernel,
		      k->ifindex, RTE_ETHER_ADDR_BYTES(&mac), aces_ip_str(ifc->addr, a, sizeof(a)),
		      ifc->prefix_len, aces.port_mtu[pi], k->pps);
	}
	return 0;
}

int
aces_kernel_init(void)
{
	uint8_t pi;
	int rc;

	memset(kp, 0, sizeof(kp));
	for (pi = 0; pi < aces.n_ports; pi++) {
		if (role_of(pi)->kernel[0] == '\0')
			continue;
		rc = kpath_open(pi);
		if (rc != 0)
			return rc;
	}
	/* The backend address's ports 49999..65535 are ACES's own (probes, agents): the kernel
	 * must not pick them for its connections from that address. */
	if (kp[aces.backend_pi].on)
		write_sysctl("/proc/sys/net/ipv4/ip_local_reserved_ports", "49999-65535");
	return 0;
}

void
aces_kernel_fini(void)
{
	uint8_t pi;

	for (pi = 0; pi < ACES_MAX_PORTS; pi++) {
		struct kpath *k = &kp[pi];

		if (!k->on)
			continue;
		rte_eth_dev_stop(k->tap);
		rte_eth_dev_close(k->tap);
		/* the kernel interface goes, its routes with it */
		rte_eal_hotplug_remove("vdev", k->vdev);
		k->on = 0;
	}
}

int
aces_kernel_on(uint8_t pi)
{
	return pi < ACES_MAX_PORTS && kp[pi].on;
}

int
aces_kernel_ifindex(uint8_t pi)
{
	return aces_kernel_on(pi) ? kp[pi].ifindex : 0;
}

const char *
aces_kernel_ifname(uint8_t pi)
{
	return aces_kernel_on(pi) ? kp[pi].ifname : NULL;
}

int
aces_kernel_in(struct rte_mbuf *m)
{
	uint8_t pi = aces_port_index(m->port);
	struct kpath *k = &kp[pi];

	ACES_ON_CONTROL_LCORE();
	if (!k->on)
		return -1;
	if (!take(&k->in, k->pps, rte_rdtsc())) {
		aces_cp.ctl[ACES_CTL_KERNEL_IN_LIMITED]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	m->ol_flags = 0;
	if (rte_eth_tx_burst(k->tap, 0, &m, 1) != 1) {
		aces_cp.ctl[ACES_CTL_KERNEL_IN_FAILED]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	aces_cp.ctl[ACES_CTL_KERNEL_IN]++;
	return 0;
}

void
aces_kernel_arp_copy(const struct rte_mbuf *m)
{
	struct rte_mbuf *c;
	struct aces_pkt p;

	if (!kp[aces_port_index(m->port)].on ||
	    aces_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p) != ACES_PARSE_ARP)
		return;
	c = rte_pktmbuf_copy(m, aces.pool, 0, UINT32_MAX);
	if (c == NULL) {
		aces_cp.ctl[ACES_CTL_ALLOC_FAIL]++;
		return;
	}
	c->port = m->port;
	(void)aces_kernel_in(c);
}

unsigned int
aces_kernel_poll(uint64_t now)
{
	struct rte_mbuf *m[ACES_BURST];
	unsigned int total = 0;
	uint8_t pi;
	uint16_t n, i;

	for (pi = 0; pi < aces.n_ports; pi++) {
		struct kpath *k = &kp[pi];

		if (!k->on)
			continue;
		n = rte_eth_rx_burst(k->tap, 0, m, ACES_BURST);
		for (i = 0; i < n; i++) {
			if (!take(&k->out, k->pps, now)) {
				aces_cp.ctl[ACES_CTL_KERNEL_OUT_LIMITED]++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
			m[i]->ol_flags = 0;
			aces_cp.ctl[ACES_CTL_KERNEL_OUT]++;
			aces_ctl_send(m[i], aces.port_ids[pi]);
		}
		total += n;
	}
	return total;
}
