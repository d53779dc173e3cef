/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_CONFIG_T_H
#define ACES_CONFIG_T_H

/**
 * @file
 * The appliance configuration as loaded from JSON: plain C, no DPDK types, so
 * the loader and validator are unit-tested without EAL. Addresses are kept in
 * network byte order (as they appear in packets).
 */

#include <stdint.h>

#define ACES_NAME_MAX		64	/**< names: 1..63 chars of [A-Za-z0-9_.-] */
#define ACES_IFNAME_MAX		16	/**< kernel interface names: 1..15 chars (IFNAMSIZ) */
#define ACES_MAX_ENDPOINTS	1024
#define ACES_MAX_BACKENDS	256	/**< per application side */
#define ACES_MAX_DEPS		32	/**< depends_on entries per endpoint */
#define ACES_MAX_NEIGHBORS	512

#define ACES_FLOWS_MIN		1024u
#define ACES_FLOWS_MAX		(64u * 1024 * 1024)

/** Application side. */
enum aces_side {
	ACES_SIDE_ORIGINAL = 0,
	ACES_SIDE_REPLACEMENT = 1,
	ACES_SIDE_MAX
};

enum aces_priority {
	ACES_PRIO_CRITICAL = 0,
	ACES_PRIO_HIGH,
	ACES_PRIO_MEDIUM,
	ACES_PRIO_LOW,
	ACES_PRIO_MAX
};

enum aces_statefulness {
	ACES_STATELESS = 0,
	ACES_SESSION,
	ACES_PERSISTENT,
	ACES_STATEFULNESS_MAX
};

/** What happens to flows left on a side when its drain deadline passes. */
enum aces_drain_action {
	ACES_DRAIN_KEEP = 0,	/**< keep them until they end */
	ACES_DRAIN_RESET,	/**< TCP RST to both ends (UDP flows are forgotten) */
	ACES_DRAIN_UNSET,	/**< not given in the config (persistent endpoints must give it) */
};

/** Unit of the replacement's capacity and load. */
enum aces_load_unit {
	ACES_LOAD_NONE = 0,	/**< no capacity limit */
	ACES_LOAD_PPS,		/**< packets per second */
	ACES_LOAD_BPS,		/**< bytes per second */
	ACES_LOAD_NEW_FLOWS,	/**< new flows per second */
	ACES_LOAD_ACTIVE_FLOWS,	/**< open flows */
	ACES_LOAD_UNIT_MAX
};

#define ACES_HOOK_CMD_MAX 1024	/**< hook command length */

/** One interface role (client side or backend side). */
struct aces_cfg_iface {
	uint16_t port;		/**< DPDK port id */
	uint8_t prefix_len;	/**< of address */
	uint8_t has_gateway;	/**< 1 when gateway is set */
	uint16_t mtu;		/**< IP MTU to set on the port; 0: the port's own */
	uint32_t addr;		/**< own address, network order */
	uint32_t gateway;	/**< next-hop router, network order */
	char kernel[ACES_IFNAME_MAX];	/**< kernel interface made for the port ("": none) */
	uint32_t kernel_pps;	/**< frames per second through it, each way, at most */
};

struct aces_cfg_backend {
	char name[ACES_NAME_MAX];
	enum aces_side side;
	uint32_t addr;		/**< network order */
	uint32_t weight;	/**< 1..1000 */
	/* the running appliance's, never read from a file: */
	uint8_t retired;		/**< removed by a reload; kept while its flows drain */
	uint8_t drain_acted;		/**< its drain deadline was acted on */
	uint64_t retire_deadline_ms;	/**< manager clock: its flows' drain deadline */
};

struct aces_cfg_endpoint {
	char name[ACES_NAME_MAX];
	uint32_t vip;			/**< network order */
	uint16_t port;			/**< host order */
	uint16_t backend_port;		/**< host order */
	uint8_t proto;			/**< ACES_IPPROTO_TCP or ACES_IPPROTO_UDP */
	enum aces_priority priority;
	enum aces_statefulness statefulness;
	uint16_t n_deps;
	uint16_t deps[ACES_MAX_DEPS];	/**< indexes into aces_config.endpoints */
	enum aces_drain_action drain_action;	/**< resolved: never UNSET after loading */
	uint32_t drain_timeout_ms;	/**< resolved: the manager's unless overridden */
	char *hook_replicate;		/**< shell command or NULL */
	char *hook_release;		/**< shell command or NULL */
	char *udp_probe;		/**< UDP probe payload (UDP endpoints) or NULL */
	uint8_t migrate;		/**< move established flows with the agents' help */
	uint32_t hook_timeout_ms;	/**< resolved: a hook running longer is stopped */
	/* the running appliance's, never read from a file: */
	uint8_t retired;		/**< removed by a reload; kept while its flows drain */
	uint8_t drain_acted;		/**< its drain deadline was acted on */
	uint64_t retire_deadline_ms;	/**< manager clock: its flows' drain deadline */
};

/** Health checks and re-sharding ("manager": { "health": ... }). */
struct aces_cfg_health {
	uint32_t probe_interval_ms;	/**< active probe period per backend port */
	uint32_t probe_timeout_ms;	/**< a probe without answer by then failed */
	uint32_t fall;			/**< consecutive failures: down */
	uint32_t rise;			/**< consecutive successes: up again */
	uint32_t syn_timeout_ms;	/**< SYN (or UDP request) without answer by then: a timeout */
	uint32_t passive_fall;		/**< SYN timeouts + refusals within window_ms: down */
	uint32_t window_ms;		/**< window of the passive and overload signals */
	uint32_t max_handshake_ms;	/**< replacement SYN->SYN-ACK p95 above: overloaded */
	uint32_t max_failure_percent;	/**< replacement failed attempts above: unstable */
	uint32_t min_samples;		/**< attempts in the window before ratios/p95 count */
	uint32_t max_cpu_percent;	/**< backend-reported CPU above: overloaded */
	uint32_t cooldown_ms;		/**< health needed before moving forward again */
	uint32_t max_reshards_per_minute; /**< step-backs per endpoint per minute */
	enum aces_drain_action on_backend_down;	/**< flows to a down backend: reset or keep */
	uint8_t rescue_syn;		/**< re-steer a refused or timed-out SYN (1) */
	uint8_t probe;			/**< send active probes (1) */
};

/** The Endpoint Manager's knobs ("manager"). */
struct aces_cfg_manager {
	uint32_t tick_ms;
	enum aces_load_unit capacity_unit;	/**< ACES_LOAD_NONE: no limit */
	uint64_t capacity;
	uint32_t step_percent;
	uint32_t step_interval_ms;
	uint64_t low_activity_pps;
	uint32_t low_activity_window_ms;
	uint32_t max_wait_ms;
	uint32_t state_timeout_ms;
	uint32_t drain_timeout_ms;
	struct aces_cfg_health health;
};

/** A static neighbour entry (like `ip neigh add ... permanent`): no ARP is sent for it. */
struct aces_cfg_neighbor {
	uint32_t addr;		/**< network order */
	uint8_t mac[6];
};

/** The backend agents that move established connections ("agents"; issue #11). */
struct aces_cfg_agents {
	uint8_t enabled;		/**< the section is there */
	uint16_t port;			/**< agents' UDP and TCP port, host order */
	char secret_file[256];
	uint8_t secret[256];		/**< read from secret_file when the config is loaded */
	uint32_t secret_len;
	uint32_t moves_per_s;		/**< moves started per second, at most */
	uint32_t concurrency;		/**< moves under way at once, at most */
	uint32_t move_timeout_ms;	/**< the agent's budget for one move */
};

struct aces_cfg_flows {
	uint32_t capacity;		/**< concurrent flows per worker */
	uint32_t tcp_established_timeout_s;
	uint32_t tcp_transitory_timeout_s;
	uint32_t udp_timeout_s;
	uint32_t overload_new_flows;	/**< new flows created from a full RX burst, at most */
};

/** IP handling ("ip"; issue #13): ICMP errors ACES sends, fragment reassembly. */
struct aces_cfg_ip {
	uint32_t icmp_errors_per_s;	/**< per worker; 0: never send one */
	uint32_t reassembly_max;	/**< datagrams under reassembly per worker; 0: drop fragments */
	uint32_t reassembly_timeout_ms;	/**< a datagram not complete by then is given up */
};

/** What a worker lcore does when it finds nothing to do ("workers.idle"). */
enum aces_idle_mode {
	ACES_IDLE_SLEEP,		/**< back off into sleeps, up to idle_sleep_max_us */
	ACES_IDLE_BUSY,			/**< poll without pause (a core of its own) */
	ACES_IDLE_MAX
};

/** The worker lcores ("workers"; issue #21). */
struct aces_cfg_workers {
	enum aces_idle_mode idle;
	uint32_t idle_sleep_max_us;	/**< the longest sleep of an idle worker */
};

/** The VIPs' routes for a routing daemon ("routing"; issue #21). */
#define ACES_MAX_RETURN_PREFIXES 16

struct aces_cfg_routing {
	uint8_t enabled;		/**< the section is there */
	uint32_t table;			/**< kernel routing table that holds them */
	uint32_t n_return;		/**< return_prefixes: the clients' networks, announced */
	uint32_t return_addr[ACES_MAX_RETURN_PREFIXES];	/**< ... on the backend side (network order) */
	uint8_t return_plen[ACES_MAX_RETURN_PREFIXES];
	uint32_t drain_quiet_ms;	/**< a stop ends after this long without a new flow */
	uint32_t drain_timeout_ms;	/**< ... or after this long in any case */
};

struct aces_config {
	char source[256];		/**< file name (or label) it was read from */
	struct aces_cfg_iface client;
	struct aces_cfg_iface backend;
	uint32_t n_backends;		/**< both sides; original ones first */
	struct aces_cfg_backend *backends;
	uint32_t n_endpoints;
	struct aces_cfg_endpoint *endpoints;
	uint32_t n_neighbors;
	struct aces_cfg_neighbor *neighbors;
	struct aces_cfg_flows flows;
	struct aces_cfg_manager manager;
	struct aces_cfg_agents agents;
	struct aces_cfg_ip ip;
	struct aces_cfg_workers workers;
	struct aces_cfg_routing routing;
};

#endif /* ACES_CONFIG_T_H */
