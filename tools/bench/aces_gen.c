/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aces-gen: a small DPDK traffic generator for the benchmark harness.
 *
 * One lcore transmits UDP (or TCP SYN) frames to DST_MAC / VIP:PORT from FLOWS
 * distinct source endpoints (10.64.0.0/10 addresses, ports 1024-65023), and
 * counts what comes back on the same port. Every second it prints one line;
 * at the end one JSON object with the totals and the rates of the measuring
 * interval (the first second is warm-up and not measured).
 *
 *   aces-gen EAL... -- --dst-mac M --vip A --port P [--flows N] [--size B]
 *            [--proto udp|syn] [--seconds S] [--new-flows] [--rate PPS]
 * --new-flows: every frame a new source endpoint (SYN flood shape).
 * --reverse IP:PORT: every other frame is the backend's answer of a flow
 *   (IP:PORT -> client), so both directions of the NAT are measured.
 * --warmup: first send one client frame of every flow (not measured), so a run
 *   with millions of flows measures established flows, not their creation.
 * --flood TCPPORT: mix the (paced, --rate) frames above, packet by packet, into
 *   bursts filled up with new TCP SYNs to VIP:TCPPORT, as fast as the link takes
 *   them or at --flood-rate PPS; what comes back is counted apart (rx_est: UDP, rx_flood: TCP), so
 *   established traffic under a flood is measured.
 * --flood-after S, --flood-for S: the flood only from S seconds after the start (decimals
 *   allowed), for S seconds; the paced frames go on throughout.
 * --ticks: every 100 ms one line "tick UNIX_MS TX_EST RX_EST TX_FLOOD RX_FLOOD" (totals so
 *   far), and "flood-start UNIX_MS" / "flood-end UNIX_MS" when the flood begins and ends,
 *   so a test can line the generator's view up with the device's.
 */
#define _GNU_SOURCE	/* RUSAGE_THREAD */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define BURST 32

static struct {
	struct rte_ether_addr dst_mac, src_mac;
	uint32_t vip;
	uint16_t port;
	uint32_t flows;
	uint32_t size;
	int syn;
	int new_flows;
	uint32_t seconds;
	uint64_t rate;
	uint32_t rev_ip;		/* network order; 0: forward only */
	uint16_t rev_port;
	int warmup;
	uint16_t flood_port;		/* 0: no flood */
	uint64_t flood_rate;		/* flood packets/s; 0: as fast as the link takes them */
	uint64_t flood_seq, rx_est, rx_flood, tx_flood;
	double flood_after, flood_for;	/* seconds; flood_for 0: to the end */
	int ticks;
	struct rte_mempool *pool;
	volatile int stop;
	volatile int done;
	uint64_t tx, rx, tx_fail;
} g = { .flows = 1024, .size = 64, .seconds = 5 };

static void
on_signal(int s)
{
	(void)s;
	g.stop = 1;
}

static void
build(struct rte_mbuf *m, uint64_t seq)
{
	int rev = g.rev_ip != 0 && (seq & 1);
	uint32_t flow;

	if (g.rev_ip != 0)
		seq >>= 1;	/* forward and reverse frame of the same flow in turn */
	flow = g.new_flows ? (uint32_t)seq : (uint32_t)(seq % g.flows);
	uint32_t src = RTE_IPV4(10, 64, 0, 0) + (flow / 64000) % (1u << 22);
	uint16_t sport = (uint16_t)(1024 + flow % 64000);
	uint16_t l4len = g.syn ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	uint16_t len = (uint16_t)(g.size - RTE_ETHER_CRC_LEN);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint16_t iplen = (uint16_t)(len - sizeof(*eth));

	m->data_len = m->pkt_len = len;
	rte_ether_addr_copy(&g.dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g.src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(iplen);
	ip->time_to_live = 64;
	ip->next_proto_id = g.syn ? IPPROTO_TCP : IPPROTO_UDP;
	ip->src_addr = rev ? g.rev_ip : rte_cpu_to_be_32(src);
	ip->dst_addr = rev ? rte_cpu_to_be_32(src) : g.vip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (g.syn) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(g.port);
		t->sent_seq = rte_cpu_to_be_32((uint32_t)seq);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_SYN_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->src_port = rte_cpu_to_be_16(rev ? g.rev_port : sport);
		u->dst_port = rte_cpu_to_be_16(rev ? sport : g.port);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(iplen - sizeof(*ip)));
		u->dgram_cksum = 0;
	}
	(void)l4len;
}

/* A new TCP SYN (source from a space apart from the established flows). */
static void
build_flood(struct rte_mbuf *m)
{
	int syn = g.syn, nf = g.new_flows;
	uint32_t rip = g.rev_ip;
	uint16_t port = g.port;

	g.syn = 1;
	g.new_flows = 1;
	g.rev_ip = 0;
	g.port = g.flood_port;
	build(m, 32000ull * 64000 + g.flood_seq++);	/* sources 10.64.125.0 on */
	g.syn = syn;
	g.new_flows = nf;
	g.rev_ip = rip;
	g.port = port;
}

static void
count_rx(struct rte_mbuf **rx, unsigned int n)
{
	unsigned int i;

	g.rx += n;
	if (g.flood_port == 0) {
		g.rx_est += n;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(rx[i], const struct rte_ipv4_hdr *,
									 sizeof(struct rte_ether_hdr));

		if (ip->next_proto_id == IPPROTO_TCP)
			g.rx_flood++;
		else
			g.rx_est++;
	}
}

/* One client frame of every flow, before the measurement. */
static void
warm_up(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint64_t f = 0, hz = rte_get_tsc_hz(), end = rte_rdtsc() + 60 * hz;
	unsigned int i, n, sent;

	while (f < g.flows && !g.stop && rte_rdtsc() < end) {
		n = (unsigned int)RTE_MIN((uint64_t)BURST, g.flows - f);
		if (rte_pktmbuf_alloc_bulk(g.pool, tx, n) != 0)
			continue;
		for (i = 0; i < n; i++)
			build(tx[i], g.rev_ip != 0 ? 2 * (f + i) : f + i);
		sent = 0;
		while (sent < n && rte_rdtsc() < end) {
			sent += rte_eth_tx_burst(0, 0, tx + sent, (uint16_t)(n - sent));
			i = rte_eth_rx_burst(0, 0, rx, BURST);
			if (i > 0)
				rte_pktmbuf_free_bulk(rx, i);
		}
		if (sent < n)
			rte_pktmbuf_free_bulk(tx + sent, n - sent);
		f += n;
	}
	/* let the device under test drain, then forget what came back */
	end = rte_rdtsc() + hz / 2;
	while (rte_rdtsc() < end) {
		n = rte_eth_rx_burst(0, 0, rx, BURST);
		if (n > 0)
			rte_pktmbuf_free_bulk(rx, n);
	}
	printf("gen: warm-up sent %" PRIu64 " flows\n", f);
	fflush(stdout);
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CPU time of the calling thread, in seconds */
static double
thread_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0.0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
run(void *arg)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint64_t hz, start, next_print;
	struct rte_eth_link link;
	int waited;

	/* the device under test may start after us: wait for the link (30 s at most) */
	for (waited = 0; waited < 3000 && !g.stop; waited++) {
		if (rte_eth_link_get_nowait(0, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			break;
		rte_delay_us_sleep(10000);	/* sleep: the device under test needs the CPU */
	}
	printf("gen: link %s\n", link.link_status == RTE_ETH_LINK_UP ? "up" : "down");
	fflush(stdout);
	if (g.warmup && link.link_status == RTE_ETH_LINK_UP)
		warm_up();
	hz = rte_get_tsc_hz();
	start = rte_rdtsc();
	next_print = start + hz;
	{
	uint64_t end = start + (uint64_t)g.seconds * hz, seq = 0, last_tx = 0, last_rx = 0;
	uint64_t m_start_tx = 0, m_start_rx = 0, m_start = 0, t;
	uint64_t m_start_est = 0, m_start_flood = 0, m_start_txf = 0;
	uint64_t est_built = 0, flood_built = 0;
	double m_start_cpu = 0.0;
	uint64_t gap = g.rate ? hz * BURST / g.rate : 0, next_tx = start;
	uint64_t flood_from = start + (uint64_t)(g.flood_after * hz);
	uint64_t flood_to = g.flood_for > 0 ? flood_from + (uint64_t)(g.flood_for * hz) : UINT64_MAX;
	uint64_t next_tick = start, flood_base = 0;
	int flood_state = 0;	/* 0: not begun, 1: flooding, 2: over */
	unsigned int i, n;

	(void)arg;
	if (link.link_status != RTE_ETH_LINK_UP) {
		g.done = 1;
		return -1;
	}
	while (!g.stop && (t = rte_rdtsc()) < end) {
		if (g.flood_port != 0) {
			/* One link, both kinds interleaved packet by packet, as they would reach
			 * a NIC: the established packets due by the pacing, spread over the burst,
			 * the rest new SYNs. What the link does not take is lost, whatever kind. */
			uint64_t due = (uint64_t)((double)(t - start) * g.rate / hz) - est_built;
			uint64_t fdue = 0;

			if (flood_state == 0 && t >= flood_from) {
				flood_state = 1;
				flood_base = flood_built;
				if (g.ticks)
					printf("flood-start %" PRIu64 "\n", unix_ms());
			}
			if (flood_state == 1 && t >= flood_to) {
				flood_state = 2;
				if (g.ticks)
					printf("flood-end %" PRIu64 "\n", unix_ms());
			}
			if (flood_state == 1)
				fdue = g.flood_rate == 0 ? BURST :
				       (uint64_t)((double)(t - flood_from) * g.flood_rate / hz) -
				       (flood_built - flood_base);
			unsigned int ne = (unsigned int)RTE_MIN(due, (uint64_t)BURST), k = 0;
			unsigned int nb = (unsigned int)RTE_MIN((uint64_t)ne + fdue, (uint64_t)BURST);

			if (nb > 0 && rte_pktmbuf_alloc_bulk(g.pool, tx, nb) == 0) {
				uint8_t is_est[BURST];

				for (i = 0; i < nb; i++) {
					is_est[i] = (i + 1) * ne / nb > i * ne / nb;
					if (is_est[i]) {
						build(tx[i], seq++);
						k++;
					} else {
						build_flood(tx[i]);
					}
				}
				est_built += k;
				flood_built += nb - k;
				n = rte_eth_tx_burst(0, 0, tx, (uint16_t)nb);
				for (i = 0; i < nb; i++) {
					if (is_est[i])
						*(i < n ? &g.tx : &g.tx_fail) += 1;
					else if (i < n)
						g.tx_flood++;
				}
				if (n < nb)
					rte_pktmbuf_free_bulk(tx + n, nb - n);
			}
		} else if (gap == 0 || t >= next_tx) {
			if (rte_pktmbuf_alloc_bulk(g.pool, tx, BURST) == 0) {
				for (i = 0; i < BURST; i++)
					build(tx[i], seq++);
				n = rte_eth_tx_burst(0, 0, tx, BURST);
				g.tx += n;
				if (n < BURST) {
					g.tx_fail += BURST - n;
					rte_pktmbuf_free_bulk(tx + n, BURST - n);
				}
			}
			next_tx += gap;
		}
		n = rte_eth_rx_burst(0, 0, rx, BURST);
		if (n > 0) {
			count_rx(rx, n);
			rte_pktmbuf_free_bulk(rx, n);
		}
		if (g.ticks && t >= next_tick) {
			printf("tick %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			       unix_ms(), g.tx, g.rx_est, g.tx_flood, g.rx_flood);
			fflush(stdout);
			next_tick += hz / 10;
		}
		if (t >= next_print) {
			printf("gen: tx %" PRIu64 " pps  rx %" PRIu64 " pps\n", g.tx - last_tx,
			       g.rx - last_rx);
			fflush(stdout);
			last_tx = g.tx;
			last_rx = g.rx;
			if (m_start == 0) {	/* the first second is warm-up */
				m_start = t;
				m_start_tx = g.tx;
				m_start_rx = g.rx;
				m_start_est = g.rx_est;
				m_start_flood = g.rx_flood;
				m_start_txf = g.tx_flood;
				m_start_cpu = thread_cpu();
			}
			next_print += hz;
		}
	}
	t = rte_rdtsc();
	if (m_start == 0 || t <= m_start)
		m_start = start;
	{
		double secs = (double)(t - m_start) / hz;
		double cpu = (thread_cpu() - m_start_cpu) / secs;

		printf("{\"tx_pps\": %.0f, \"rx_pps\": %.0f, \"tx\": %" PRIu64 ", \"rx\": %" PRIu64
		       ", \"tx_fail\": %" PRIu64 ", \"seconds\": %.2f, \"rx_est_pps\": %.0f"
		       ", \"rx_flood_pps\": %.0f, \"tx_flood_pps\": %.0f, \"cpu_share\": %.3f}\n",
		       (g.tx - m_start_tx) / secs, (g.rx - m_start_rx) / secs, g.tx, g.rx, g.tx_fail,
		       secs, (g.rx_est - m_start_est) / secs, (g.rx_flood - m_start_flood) / secs,
		       (g.tx_flood - m_start_txf) / secs, cpu);
		fflush(stdout);
	}
	g.done = 1;
	return 0;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst-mac", required_argument, NULL, 'm' }, { "vip", required_argument, NULL, 'v' },
		{ "port", required_argument, NULL, 'p' }, { "flows", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' }, { "proto", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 't' }, { "new-flows", no_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' }, { "reverse", required_argument, NULL, 'R' },
		{ "warmup", no_argument, NULL, 'w' }, { "flood", required_argument, NULL, 'F' },
		{ "flood-rate", required_argument, NULL, 'G' },
		{ "flood-after", required_argument, NULL, 'A' },
		{ "flood-for", required_argument, NULL, 'D' }, { "ticks", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct rte_eth_conf conf;
	char rundir[PATH_MAX];
	struct in_addr a;
	int ret, c;
	unsigned int lcore;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 1;
	argc -= ret;
	argv += ret;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (rte_ether_unformat_addr(optarg, &g.dst_mac) != 0)
				return 2;
			break;
		case 'v':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return 2;
			g.vip = a.s_addr;
			break;
		case 'p': g.port = (uint16_t)atoi(optarg); break;
		case 'f': g.flows = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': g.size = (uint32_t)atoi(optarg); break;
		case 'P': g.syn = strcmp(optarg, "syn") == 0; break;
		case 't': g.seconds = (uint32_t)atoi(optarg); break;
		case 'n': g.new_flows = 1; break;
		case 'w': g.warmup = 1; break;
		case 'F': g.flood_port = (uint16_t)atoi(optarg); break;
		case 'G': g.flood_rate = strtoull(optarg, NULL, 10); break;
		case 'A': g.flood_after = strtod(optarg, NULL); break;
		case 'D': g.flood_for = strtod(optarg, NULL); break;
		case 'T': g.ticks = 1; break;
		case 'r': g.rate = strtoull(optarg, NULL, 10); break;
		case 'R': {
			char ipbuf[32], *colon;

			snprintf(ipbuf, sizeof(ipbuf), "%s", optarg);
			colon = strchr(ipbuf, ':');
			if (colon == NULL)
				return 2;
			*colon = '\0';
			if (inet_pton(AF_INET, ipbuf, &a) != 1)
				return 2;
			g.rev_ip = a.s_addr;
			g.rev_port = (uint16_t)atoi(colon + 1);
			break;
		}
		default:
			fprintf(stderr, "aces-gen: bad option\n");
			return 2;
		}
	}
	if (g.flows == 0 || g.size < 64 || g.size > 1500 || g.vip == 0 || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "aces-gen: needs --vip, --port, a port, flows > 0, size 64..1500\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	g.pool = rte_pktmbuf_pool_create("gen", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 rte_socket_id());
	memset(&conf, 0, sizeof(conf));
	if (g.pool == NULL || rte_eth_dev_configure(0, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, 1024, rte_socket_id(), NULL, g.pool) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, 1024, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(0) != 0) {
		fprintf(stderr, "aces-gen: port setup failed\n");
		return 1;
	}
	rte_eth_macaddr_get(0, &g.src_mac);
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "aces-gen: needs a worker lcore\n");
		return 2;
	}
	rte_eal_remote_launch(run, NULL, lcore);
	/* the main lcore shares the CPU with the generating one: sleep, never spin
	 * (rte_eal_mp_wait_lcore polls, and would take half of that CPU) */
	while (!g.done)
		usleep(10000);
	rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* the EAL leaves /var/run/dpdk/<prefix> behind, with the telemetry socket until exit */
	{
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", rundir);
		unlink(path);
		rmdir(rundir);
	}
	return 0;
}
