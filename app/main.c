/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACES appliance entry point: arguments, configuration, EAL, ports, the module
 * table (initialised in order, torn down in reverse), lcore launch.
 *
 * Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 on a runtime failure
 * (EAL, ports, memory), 2 on a usage or configuration error.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include "aces/pkt-t.h"
#include "common/aces.h"
#include "net/net.h"
#include "datapath/datapath.h"
#include "health/health.h"
#include "handover/handover.h"
#include "manager/manager.h"
#include "routing/routing.h"
#include "lifecycle/lifecycle.h"
#include "control/control.h"
#include "telemetry/telemetry.h"

#define NB_MBUF		16383
#define MBUF_CACHE	256
#define RX_DESC		ACES_RX_DESC
#define TX_DESC		ACES_TX_DESC

RTE_LOG_REGISTER(aces_logtype_main, user.aces.main, INFO);
#define MAIN_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_main, "aces: " fmt "\n", ## __VA_ARGS__)

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- --config FILE [--state-file FILE | --no-state]\n"
		"       %s -- --config FILE --check-config\n"
		"  --config FILE      appliance configuration (JSON), required\n"
		"  --state-file FILE  what a clean stop hands to the next start (flows, transition,\n"
		"                     health); default /run/aces/<file-prefix>.state\n"
		"  --no-state         neither read nor write a state file\n"
		"  --check-config     read and validate the file, say what it holds, exit (0 when\n"
		"                     valid, 2 with the error when not); EAL options are not needed\n"
		"  --help             show this help\n"
		"  --version          show the version\n"
		"Example:\n"
		"  %s -l 0-1 --no-pci --file-prefix demo --vdev net_af_packet0,iface=v-cli \\\n"
		"     --vdev net_af_packet1,iface=v-be -- --config configs/demo.json\n"
		"The EAL main lcore runs the control plane; every other lcore is a worker.\n",
		prog, prog, prog);
}

static int check_only;	/* --check-config */

/* App arguments are the ones after "--"; parsed before EAL so errors are quick. */
static int
parse_app_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-file", required_argument, NULL, 's' },
		{ "no-state", no_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int i, sep = -1, c;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
		/* --help/--version also work without EAL arguments */
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout, argv[0]);
			exit(0);
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("aces %s\n", ACES_VERSION);
			exit(0);
		}
	}
	if (sep < 0) {
		fprintf(stderr, "aces: missing \"-- --config FILE\" after the EAL options\n");
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	aces_restart.enabled = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - sep, argv + sep, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 's':
			if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(aces_restart.path) - 16) {
				fprintf(stderr, "aces: --state-file: the path must have 1 to %zu "
					"characters\n", sizeof(aces_restart.path) - 17);
				return -EINVAL;
			}
			snprintf(aces_restart.path, sizeof(aces_restart.path), "%s", optarg);
			break;
		case 'n':
			aces_restart.enabled = 0;
			break;
		case 'k':
			check_only = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		case 'v':
			printf("aces %s\n", ACES_VERSION);
			exit(0);
		default:
			fprintf(stderr, "aces: unknown or incomplete option \"%s\"\n",
				argv[sep + optind - 1]);
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc - sep) {
		fprintf(stderr, "aces: unexpected argument \"%s\"\n", argv[sep + optind]);
		return -EINVAL;
	}
	if (check_only) {
		if (*config == NULL) {
			fprintf(stderr, "aces: --check-config needs --config FILE\n");
			return -EINVAL;
		}
		optind = 1;
		return 0;
	}
	if (!aces_restart.enabled && aces_restart.path[0] != '\0') {
		fprintf(stderr, "aces: --state-file and --no-state exclude each other\n");
		return -EINVAL;
	}
	if (aces_restart.enabled && aces_restart.path[0] == '\0') {
		/* one state file per DPDK file prefix: processes side by side keep apart */
		const char *prefix = "rte";

		for (i = 1; i < sep; i++) {
			if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < sep)
				prefix = argv[i + 1];
			else if (strncmp(argv[i], "--file-prefix=", 14) == 0)
				prefix = argv[i] + 14;
		}
		if (strchr(prefix, '/') != NULL || strlen(prefix) > 200) {
			fprintf(stderr, "aces: --file-prefix \"%s\" cannot name a state file; give "
				"--state-file\n", prefix);
			return -EINVAL;
		}
		snprintf(aces_restart.path, sizeof(aces_restart.path), "/run/aces/%s.state",
			 prefix);
		if (mkdir("/run/aces", 0700) != 0 && errno != EEXIST)
			fprintf(stderr, "aces: /run/aces: %s (the state file cannot be written)\n",
				strerror(errno));
	}
	if (*config == NULL) {
		fprintf(stderr, "aces: --config FILE is required\n");
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	optind = 1;
	return 0;
}

/* SIGTERM, SIGINT: with a routing section the first one asks the control lcore for a stop
 * that withdraws the VIPs first and forwards on until no new flow comes; the second (or
 * any, without routing) stops at once. */
static void
on_signal(int sig)
{
	static volatile sig_atomic_t stops;

	if ((sig == SIGINT || sig == SIGTERM) && (!aces.cfg->routing.enabled || stops++ > 0))
		aces.force_quit = true;
	else
		aces_control_signal(sig);	/* SIGUSR2, SIGHUP, a stop: the control lcore acts */
}

/* Ports named by the config must exist: a config error, reported like one. */
static int
check_ports(void)
{
	const struct aces_config *c = aces.cfg;
	const struct { const char *role; uint16_t port; } roles[2] = {
		{ "client", c->client.port }, { "backend", c->backend.port },
	};
	int i;

	for (i = 0; i < 2; i++) {
		if (!rte_eth_dev_is_valid_port(roles[i].port)) {
			fprintf(stderr, "%s: interfaces.%s.port: port %u does not exist "
				"(%u ports are available; add --vdev or a device)\n", c->source,
				roles[i].role, roles[i].port, rte_eth_dev_count_avail());
			return -ENODEV;
		}
	}
	aces.port_ids[0] = c->client.port;
	aces.client_pi = 0;
	if (c->backend.port == c->client.port) {
		aces.n_ports = 1;
		aces.backend_pi = 0;
	} else {
		aces.n_ports = 2;
		aces.port_ids[1] = c->backend.port;
		aces.backend_pi = 1;
	}
	return 0;
}

static int
port_init(uint16_t pi)
{
	uint16_t port = aces.port_ids[pi], q, nb_rxd = RX_DESC, nb_txd = TX_DESC;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	char name[RTE_ETH_NAME_MAX_LEN] = "";
	const char *told;
	uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
			 RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	rte_eth_dev_get_name_by_port(port, name);
	if (info.max_rx_queues < aces.n_workers || info.max_tx_queues < aces.n_workers) {
		MAIN_LOG(ERR, "port %u (%s) has %u rx / %u tx queues, %u workers need one each "
			 "(net_af_packet: add qpairs=%u to its --vdev)", port, name,
			 info.max_rx_queues, info.max_tx_queues, aces.n_workers, aces.n_workers);
		return -EINVAL;
	}
	/* Several workers: let the NIC spread flows by RSS where it can. Both directions of
	 * a NAT'd flow hash differently, so the workers hand packets to the flow's owner
	 * anyway (worker.c); RSS only spreads the load. */
	if (aces.n_workers > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	/* Use the NIC's RX checksum check when it has one; without it nothing is
	 * verified on RX (the end hosts verify), and NAT keeps checksums correct
	 * incrementally either way. */
	if ((info.rx_offload_capa & rx_ck) == rx_ck)
		conf.rxmode.offloads |= rx_ck;
	/* The MTU the config asks for (else the port's own). Scatter RX and multi-segment TX
	 * only where a frame of that MTU does not fit one mbuf (jumbo frames): on many NICs
	 * either one selects a slower receive or send routine. Below that every frame ACES
	 * sends is one segment: a reassembled datagram that fits is copied into one mbuf, and
	 * fragments are built as copies (frag.c). */
	{
		const struct aces_config *c = aces.cfg;
		uint16_t mtu = pi == aces.client_pi && c->client.mtu != 0 ? c->client.mtu :
			       pi == aces.backend_pi && c->backend.mtu != 0 ? c->backend.mtu : 0;
		uint32_t room = rte_pktmbuf_data_room_size(aces.pool) - RTE_PKTMBUF_HEADROOM;
		uint32_t frame = (uint32_t)(mtu != 0 ? mtu : RTE_ETHER_MTU) + RTE_ETHER_HDR_LEN +
				 4 * ACES_MAX_VLAN;

		if (mtu != 0) {
			if (mtu > info.max_mtu || mtu < info.min_mtu) {
				MAIN_LOG(ERR, "port %u (%s): MTU %u is outside what it takes (%u..%u)",
					 port, name, mtu, info.min_mtu, info.max_mtu);
				return -EINVAL;
			}
			conf.rxmode.mtu = mtu;
		}
		aces_frag_port_segs((uint8_t)pi, frame > room);
		if (frame > room) {
			/* drivers differ in what they say: some chain or gather segments
			 * without offering it (net_pcap), so a missing offer is told, not refused */
			if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
				conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
			if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
				conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
			if (!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
			    !(conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER))
				MAIN_LOG(WARNING, "port %u (%s): MTU %u takes frames longer than an "
					 "mbuf (%u bytes) and the port offers no %s: such frames pass "
					 "only where its driver handles several mbufs unasked",
					 port, name, mtu, room,
					 !(conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER) ?
					 "scatter RX" : "multi-segment TX");
		}
	}

	ret = rte_eth_dev_configure(port, aces.n_workers, aces.n_workers, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (q = 0; q < aces.n_workers; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL,
					     aces.pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, rte_eth_dev_socket_id(port), NULL);
		if (ret != 0)
			return ret;
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		return ret;
	rte_eth_macaddr_get(port, &aces.port_mac[pi]);
	told = aces_port_loss_init((uint8_t)pi);
	if (rte_eth_dev_get_mtu(port, &aces.port_mtu[pi]) != 0 || aces.port_mtu[pi] < 576)
		aces.port_mtu[pi] = RTE_ETHER_MTU;
	if (aces.min_mtu == 0 || aces.port_mtu[pi] < aces.min_mtu)
		aces.min_mtu = aces.port_mtu[pi];
	MAIN_LOG(INFO, "port %u (%s) " RTE_ETHER_ADDR_PRT_FMT " up as %s%s, MTU %u, rx checksum %s, "
		 "overload told by %s",
		 port, name, RTE_ETHER_ADDR_BYTES(&aces.port_mac[pi]),
		 pi == aces.client_pi ? "client" : "backend",
		 aces.n_ports == 1 ? "+backend (one-armed)" : "", aces.port_mtu[pi],
		 (conf.rxmode.offloads & rx_ck) ? "offloaded" : "not checked",
		 told);
	return 0;
}

static void
ports_fini(void)
{
	uint16_t pi;

	for (pi = 0; pi < aces.n_ports; pi++) {
		rte_eth_dev_stop(aces.port_ids[pi]);
		rte_eth_dev_close(aces.port_ids[pi]);
	}
}

static int
ports_setup(void)
{
	uint16_t pi;
	int ret;

	aces.pool = rte_pktmbuf_pool_create("aces_mbuf", NB_MBUF, MBUF_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (aces.pool == NULL) {
		MAIN_LOG(ERR, "cannot create mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	/* the data-less mbufs that point into a datagram ACES splits into fragments for a
	 * port of jumbo frames (others get fragments copied into one mbuf each) */
	if (aces_frag_pool_create(NB_MBUF / 2, MBUF_CACHE) != 0) {
		MAIN_LOG(ERR, "cannot create fragment mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (pi = 0; pi < aces.n_ports; pi++) {
		ret = port_init(pi);
		if (ret != 0) {
			MAIN_LOG(ERR, "port %u: setup failed: %s", aces.port_ids[pi],
				 strerror(ret < 0 ? -ret : ret));
			return ret;
		}
	}
	return 0;
}



/*
 * DPDK's packet-capture framework: dpdk-dumpcap and dpdk-pdump (secondary processes) can
 * then capture a port's traffic while ACES forwards it. They need the primary's shared
 * memory: not with --in-memory (or --no-shconf), where capture is said to be off.
 */
static int capture_on;

/* The EAL's --file-prefix: the last part of its runtime directory (/var/run/dpdk/<prefix>). */
static const char *
file_prefix(void)
{
	const char *rd = rte_eal_get_runtime_dir();
	const char *slash = rd != NULL ? strrchr(rd, '/') : NULL;

	return slash != NULL ? slash + 1 : rd;
}

static int
capture_init(void)
{
	if (rte_pdump_init() != 0) {
		MAIN_LOG(NOTICE, "packet capture off (%s): secondary processes cannot attach "
			 "(--in-memory?)", rte_strerror(rte_errno));
		return 0;
	}
	capture_on = 1;
	MAIN_LOG(INFO, "packet capture on: dpdk-dumpcap --file-prefix=%s -i <port> (runtime "
		 "directory %s)", file_prefix(), rte_eal_get_runtime_dir());
	return 0;
}

static void
capture_fini(void)
{
	if (capture_on)
		rte_pdump_uninit();
}

/*
 * The EAL's runtime folder (/var/run/dpdk/<prefix>) stays after rte_eal_cleanup(), empty with
 * --in-memory, else with the files secondary processes attach by (config, fbarray_*,
 * hugepage_info, mp_socket*): this primary is gone, so they serve nobody; removed, then the
 * folder. Other files are left alone, and so is the folder then.
 */
static void
runtime_dir_remove(const char *dir)
{
	static const char *const eal_files[] = { "config", "fbarray_", "hugepage_info", "mp_socket",
						 "dpdk_telemetry" };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		for (i = 0; i < RTE_DIM(eal_files); i++)
			if (strncmp(de->d_name, eal_files[i], strlen(eal_files[i])) == 0) {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				unlink(path);
				break;
			}
	closedir(d);
	if (rmdir(dir) != 0 && errno != ENOENT)
		fprintf(stderr, "aces: runtime folder %s not removed: %s\n", dir, strerror(errno));
}

/*
 * With shared memory the hugepage files stay after rte_eal_cleanup(): a clean stop removes
 * its own (<hugetlbfs mount>/<prefix>map_*), so they hold no memory until the next start with
 * the prefix (which would reclaim them too, as after a crash).
 */
static void
hugepage_files_remove(const char *prefix)
{
	char line[512], dir[256], fs[64], path[600];
	size_t plen = strlen(prefix);
	FILE *m = fopen("/proc/mounts", "r");

	if (m == NULL)
		return;
	while (fgets(line, sizeof(line), m) != NULL) {
		DIR *d;
		struct dirent *de;

		if (sscanf(line, "%*s %255s %63s", dir, fs) != 2 || strcmp(fs, "hugetlbfs") != 0 ||
		    (d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, prefix, plen) == 0 &&
			    strncmp(de->d_name + plen, "map_", 4) == 0) {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				unlink(path);
			}
		closedir(d);
	}
	fclose(m);
}

/*
 * The module table (common/module-t.h): started in order, stopped in reverse; a reload's
 * swap (lifecycle/reload.c) calls every save, installs the new configuration, then every
 * reload, in order. A row needs what the rows above it hold: the manager the endpoints'
 * counts and the workers' counters, the health monitor the next hops and the manager's
 * new indexes, the assignment table the manager's weights and the backends' health, the
 * snapshot everything.
 */
static const struct aces_module modules[] = {
	/* name		init			save			reload			fini */
	{ "ports",	ports_setup,		NULL,			NULL,			ports_fini },
	{ "kernel",	aces_kernel_init,	NULL,			NULL,			aces_kernel_fini },
	{ "endpoints",	aces_endpoints_init,	NULL,			aces_endpoints_reload,	aces_endpoints_fini },
	{ "neighbors",	aces_neigh_init,	NULL,			aces_neigh_reload,	aces_neigh_fini },
	{ "workers",	aces_workers_init,	NULL,			aces_workers_reload,	aces_workers_fini },
	{ "manager",	aces_epm_init,		aces_epm_save,		aces_epm_reload,	aces_epm_fini },
	{ "health",	aces_health_init,	aces_health_reload_save, aces_health_reload,	aces_health_fini },
	{ "moves",	aces_mig_init,		NULL,			aces_mig_reload,	aces_mig_fini },
	{ "assignment",	aces_assign_init,	NULL,			aces_assign_reload,	aces_assign_fini },
	{ "routing",	aces_routing_init,	NULL,			aces_routing_reload,	aces_routing_fini },
	{ "snapshot",	aces_snap_init,		NULL,			aces_snap_reload,	aces_snap_fini },
	{ "commands",	NULL,			NULL,			NULL,			aces_cmd_fini },
	{ "telemetry",	aces_telemetry_init,	NULL,			NULL,			aces_telemetry_fini },
	{ "capture",	capture_init,		NULL,			NULL,			capture_fini },
};

int
main(int argc, char **argv)
{
	const char *config = NULL;
	char err[512];
	int ret, n_init = 0, status = 0, i;
	unsigned int w;

	if (parse_app_args(argc, argv, &config) != 0)
		return 2;
	{
		struct aces_config *c = aces_config_load(config, err, sizeof(err));

		if (c == NULL) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		if (check_only) {
			if (c->client.port == c->backend.port)
				printf("%s: valid: %u endpoints, %u backends, interfaces on port %u "
				       "(one-armed)\n", config, c->n_endpoints, c->n_backends,
				       c->client.port);
			else
				printf("%s: valid: %u endpoints, %u backends, interfaces on ports %u "
				       "and %u\n", config, c->n_endpoints, c->n_backends,
				       c->client.port, c->backend.port);
			aces_config_free(c);
			return 0;
		}
		aces.cfg = c;	/* installed (with the manager's view) once the clock is known */
	}
	aces_cp.config_path = config;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "aces: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		aces_config_free(aces.cfg);
		/* its runtime folder, if it got as far as making one (empty: a running process
		 * with the prefix keeps files in its own) */
		if (rte_eal_get_runtime_dir()[0] != '\0')
			(void)rmdir(rte_eal_get_runtime_dir());
		return 1;
	}
	aces.tsc_hz = rte_get_tsc_hz();
	aces_cp.start_tsc = rte_rdtsc();
	aces_config_install(aces.cfg, aces.cfg->n_endpoints, aces.cfg->n_backends);
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		aces_cp.start_realtime_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		aces_cp.start_mono_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}

	aces_state_open();	/* may continue the last process's manager clock */
	if (check_ports() != 0) {
		status = 2;
		goto out;
	}
	aces.n_workers = rte_lcore_count() - 1;
	if (aces.n_workers == 0) {
		fprintf(stderr, "aces: needs at least two lcores (-l 0-1): the main lcore runs "
			"the control plane, the others are workers\n");
		status = 2;
		goto out;
	}
	if (aces.n_workers > ACES_MAX_WORKERS) {
		fprintf(stderr, "aces: %u worker lcores given, at most %d are supported\n",
			aces.n_workers, ACES_MAX_WORKERS);
		status = 2;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);	/* a hook that closes its pipe early must not kill us */

	aces_reload_modules(modules, RTE_DIM(modules));
	for (i = 0; i < (int)RTE_DIM(modules); i++) {
		ret = modules[i].init != NULL ? modules[i].init() : 0;
		if (ret != 0) {
			MAIN_LOG(ERR, "%s: initialisation failed: %s", modules[i].name,
				 strerror(ret < 0 ? -ret : ret));
			status = 1;
			goto out;
		}
		n_init++;
	}
	aces_state_apply();	/* before any worker reads a flow table */
	for (w = 0; w < aces.n_workers; w++)
		rte_eal_remote_launch(aces_worker_main, &aces.workers[w], aces.workers[w].lcore_id);
	MAIN_LOG(INFO, "ready: %u endpoints, %u backends, %u worker(s), config %s",
		 aces.cfg->n_endpoints, aces.cfg->n_backends, aces.n_workers, config);
	aces_control_loop();
	rte_eal_mp_wait_lcore();
	MAIN_LOG(INFO, "stopping");
	aces_state_write();	/* the workers have stopped: their flows stand still */
out:
	for (i = n_init - 1; i >= 0; i--)
		if (modules[i].fini != NULL)
			modules[i].fini();
	aces_config_uninstall();
	{
		char prefix[256] = "", rundir[PATH_MAX];

		if (capture_on && file_prefix() != NULL)	/* gone with the EAL: copied */
			snprintf(prefix, sizeof(prefix), "%s", file_prefix());
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		if (prefix[0] != '\0')
			hugepage_files_remove(prefix);
		runtime_dir_remove(rundir);
	}
	return status;
}
