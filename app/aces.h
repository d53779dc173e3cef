/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_H
#define ACES_APP_H

/**
 * @file
 * The appliance's shared state.
 *
 * Ownership (who writes what):
 *  - worker lcores: their own struct aces_worker (flow table, counters); nothing else.
 *  - control lcore (the EAL main lcore): the assignment table (published with RCU
 *    QSBR), the neighbour MACs, the per-endpoint rate snapshot, control counters.
 *  - telemetry threads: nothing. They read counters and snapshots and hand every
 *    change to the control lcore through cmd_ring.
 * Counters are single-writer uint64_t; readers sum them across workers.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "aces/chash.h"
#include "aces/config.h"
#include "aces/manager-t.h"
#include "aces/tmsg-t.h"
#include "aces/flow-t.h"

#define ACES_BURST		32
#define ACES_MAX_WORKERS	16
#define ACES_MAX_PORTS		2	/**< client and backend roles (may be one port) */
#define ACES_RING_SIZE		1024
#define ACES_DROPQ		64	/**< dropped mbufs freed together */
#define ACES_VIP_SET_BITS	11	/**< VIP set: 2,048 slots, at most half used */
#define ACES_VIP_SET		(1u << ACES_VIP_SET_BITS)
#define ACES_CMD_TIMEOUT_MS	2000

/* Packet drop reasons (worker lcores): every received packet not sent on has one (the
 * invariant is written at ACES_WK_LIST). */
#define ACES_DROP_LIST(_) \
	_(L2_OTHER_HOST,    "l2_other_host",       "unicast frame for another MAC") \
	_(BAD_L2,           "malformed_l2",        "truncated Ethernet/VLAN/ARP header") \
	_(BAD_L3,           "malformed_ip",        "truncated IPv4, bad version/IHL/length") \
	_(BAD_L4,           "malformed_l4",        "truncated TCP/UDP/ICMP header") \
	_(NON_IP,           "non_ip",              "ethertype not IPv4/ARP (IPv6 included)") \
	_(MULTICAST,        "ip_multicast",        "IPv4 to a multicast/broadcast address (IGMP, mDNS)") \
	_(FRAGMENT,         "ip_fragment",         "IPv4 fragment") \
	_(BAD_CKSUM,        "bad_checksum",        "NIC reported a bad IPv4/L4 checksum") \
	_(TTL,              "ttl_exceeded",        "TTL <= 1 on a packet to forward") \
	_(UNKNOWN_DEST,     "unknown_destination", "not an endpoint, not ours, no flow") \
	_(UNSUPPORTED,      "unsupported_protocol","protocol/ICMP type not served at a VIP") \
	_(LOCAL,            "local_unhandled",     "to an own address, not ICMP echo") \
	_(NO_FLOW,          "no_flow",             "TCP non-SYN or backend reply without flow") \
	_(NO_BACKEND,       "no_backend",          "side has no backend with weight") \
	_(TABLE_FULL,       "flow_table_full",     "flow table full: new flow refused") \
	_(NEW_FLOW_SHED,    "new_flow_shed",       "overloaded: new flow shed, established first") \
	_(FLOW_CONFLICT,    "flow_tuple_conflict", "backend-side 5-tuple already in use") \
	_(SYN_REFUSED,      "syn_refused_rescued", "backend RST to a SYN: dropped, SYN retried") \
	_(NEIGH_UNRESOLVED, "neighbor_unresolved", "next hop MAC not resolved yet") \
	_(SLOWPATH_FULL,    "slowpath_ring_full",  "ARP ring to control lcore full") \
	_(HANDOFF_FULL,     "handoff_ring_full",   "ring to the flow's owner worker full") \
	_(TX_FULL,          "tx_full",             "TX queue did not take the packet")

#define ACES_DROP_ENUM(n, s, d) ACES_DROP_##n,
enum aces_drop {
	ACES_DROP_LIST(ACES_DROP_ENUM)
	ACES_DROP_MAX
};
#undef ACES_DROP_ENUM

/* Control-plane counters (control lcore only). */
#define ACES_CTL_LIST(_) \
	_(ARP_RX,          "arp_received") \
	_(ARP_REPLIES,     "arp_replies_sent") \
	_(ARP_REQUESTS,    "arp_requests_sent") \
	_(ARP_LEARNED,     "arp_neighbors_learned") \
	_(ARP_IGNORED,     "arp_ignored") \
	_(ALLOC_FAIL,      "ctl_mbuf_alloc_failed") \
	_(CTL_TX_FULL,     "ctl_tx_ring_full") \
	_(COMMANDS,        "commands_done") \
	_(COMMANDS_FAILED, "commands_refused") \
	_(TABLES,          "assignment_tables_published") \
	_(RETIRE_WAITS,    "assignment_publish_waits") \
	_(LOCAL_IGNORED,   "local_ignored") \
	_(PROBES_SENT,     "probes_sent") \
	_(PROBE_ANSWERS,   "probe_answers") \
	_(PROBE_FAILURES,  "probe_failures") \
	_(PROBE_STALE,     "probe_stale_answers_reset")

#define ACES_CTL_ENUM(n, s) ACES_CTL_##n,
enum aces_ctl_counter {
	ACES_CTL_LIST(ACES_CTL_ENUM)
	ACES_CTL_MAX
};
#undef ACES_CTL_ENUM

extern const char *const aces_drop_names[ACES_DROP_MAX];
extern const char *const aces_ctl_names[ACES_CTL_MAX];

/** Immutable assignment table, published by the control lcore with RCU. */
struct aces_assign {
	uint64_t version;
	/** per side: bucket -> backend index in cfg->backends, or ACES_CHASH_NONE */
	uint16_t chash[ACES_SIDE_MAX][ACES_CHASH_SIZE];
	/** per endpoint: replacement weight 0..100 (0 = original, 100 = replacement) */
	uint8_t weight[ACES_MAX_ENDPOINTS];
};

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

/*
 * Worker counters (one writer each: their worker), named once: the struct fields, the
 * telemetry names of /aces/stats and their meaning come from this list.
 * Invariant, summed over the workers (the data-plane tests hold it, also while a TX
 * queue refuses):
 *   rx_packets (all ports) = forwarded + icmp_echo_replies + to_control_plane
 *                            + sum(drops) (+ packets in a burst or a hand-off ring)
 * forwarded and icmp_echo_replies count what a TX queue took; what it refused is the
 * drop tx_full. Frames ACES makes itself (drain-reset RSTs, the control lcore's ARP and
 * probes) are no received packets: their refusals are rst_tx_refused and
 * ctl_tx_refused, not drops.
 */
#define ACES_WK_LIST(_) \
	_(forwarded,         "forwarded",               "received packets sent on by a TX queue") \
	_(icmp_echo_replies, "icmp_echo_replies",       "echo requests answered (sent)") \
	_(slowpath,          "to_control_plane",        "ARP and own-address frames to the control lcore") \
	_(to_local,          "to_own_address",          "of which TCP/UDP to an own address (probe answers)") \
	_(flows_created,     "flows_created",           "flows created") \
	_(flows_expired,     "flows_expired",           "flows aged out (the sweep, or an insert reusing the slot)") \
	_(flows_reused,      "flows_reused",            "closed flow replaced by a new SYN on the same tuple") \
	_(flows_reset,       "flows_reset",             "flows ended by a drain reset") \
	_(flows_rescued,     "flows_rescued",           "retransmitted SYNs re-steered after the SYN timeout") \
	_(flows_active,      "flows_active",            "flows in the tables now") \
	_(pending_full,      "flows_unwatched",         "new flows not watched for a first answer (queue full)") \
	_(rst_sent,          "rst_sent",                "drain-reset RSTs a TX queue took") \
	_(rst_alloc_failed,  "rst_alloc_failed",        "drain-reset RSTs not built: no mbuf") \
	_(rst_tx_refused,    "rst_tx_refused",          "drain-reset RSTs a TX queue refused") \
	_(ctl_tx_sent,       "control_frames_sent",     "control lcore frames (ARP, probes) sent") \
	_(ctl_tx_refused,    "control_frames_refused",  "control lcore frames a TX queue refused") \
	_(handoff_out,       "handed_to_owner_worker",  "packets handed to the flow's owner worker") \
	_(handoff_in,        "taken_from_other_workers","packets taken from other workers' rings") \
	_(tmsg_sent,         "telemetry_records_sent",  "records to the control lcore") \
	_(tmsg_dropped,      "telemetry_records_dropped","records lost to a full ring") \
	_(loops,             "worker_loops",            "poll loops") \
	_(busy_loops,        "worker_busy_loops",       "loops that handled packets") \
	_(busy_cycles,       "worker_busy_cycles",      "TSC cycles of those loops")

struct aces_worker_stats {
	uint64_t rx_pkts[ACES_MAX_PORTS];
	uint64_t rx_bytes[ACES_MAX_PORTS];
	uint64_t tx_pkts[ACES_MAX_PORTS];
	uint64_t tx_bytes[ACES_MAX_PORTS];
	uint64_t drops[ACES_DROP_MAX];
#define ACES_WK_FIELD(f, n, d) uint64_t f;
	ACES_WK_LIST(ACES_WK_FIELD)
#undef ACES_WK_FIELD
};

/** Commands from the control lcore to a worker. */
enum aces_wmsg_type {
	ACES_WMSG_RESET = 0,		/**< end the open flows of (ep, side): RST for TCP */
	ACES_WMSG_RESET_BACKEND,	/**< end the open flows to backend ep (a backend index) */
	ACES_WMSG_MAX
};

struct aces_wmsg {
	uint32_t type;
	uint32_t ep;
	uint32_t side;
	uint32_t pad;
};

#define ACES_MAX_JOBS 64
#define ACES_PEND_SIZE 8192	/* power of two */

/** A new flow waiting for its backend's first answer (SYN-ACK or UDP reply). */
struct aces_pending {
	uint32_t idx;
	uint32_t gen;		/**< the flow's generation when it was created */
	uint64_t created_tsc;
};

/** Per-worker state; written only by its own lcore. */
struct aces_worker {
	unsigned int lcore_id;
	uint16_t idx;			/**< RCU thread id and queue id */
	struct aces_flow_table *ft;
	struct rte_ring *slow_ring;	/**< worker -> control (ARP frames) */
	struct rte_ring *ctl_tx_ring;	/**< control -> worker (frames to send, m->port set) */
	struct rte_ring *tmsg_ring;	/**< worker -> control: struct aces_tmsg records */
	struct rte_ring *handoff_ring;	/**< other workers -> this one: packets of its flows */
	struct rte_ring *msg_ring;	/**< control -> worker: struct aces_wmsg commands */
	struct aces_ctr *eps;		/**< [endpoint * 2 + side] */
	struct aces_ctr *bes;		/**< [backend] */
	struct aces_health_ctr *eph;	/**< [endpoint * 2 + side] passive health */
	struct aces_hs_hist *ephist;	/**< [endpoint * 2 + side] handshake times */
	struct aces_health_ctr *beh;	/**< [backend] passive health */
	struct aces_pending *pend;	/**< FIFO of new flows awaiting an answer */
	uint8_t was_full[ACES_MAX_PORTS + 1];	/**< last burst per port (+ hand-offs) was full */
	uint64_t est_seen_loop;		/**< 1 + loop of the last established flow's packet; 0: none yet */
	uint64_t forced_loop;		/**< 1 + loop of the last extra reap for a full table */
	uint16_t n_drop;
	struct rte_mbuf *dropq[ACES_DROPQ];	/**< dropped, freed in bulk */
	uint32_t pend_head, pend_tail;	/**< free-running indexes, ACES_PEND_SIZE ring */
	uint32_t tm_cursor;		/**< next entity of the current report round */
	uint64_t tm_next_tsc;		/**< when the next round starts */
	struct aces_wmsg *reset_job;	/**< drain reset in progress (points into jobs) */
	uint32_t reset_cursor;
	uint32_t n_jobs;
	struct aces_wmsg *jobs;		/**< pending drain resets, ACES_MAX_JOBS */
	struct aces_worker_stats st __rte_cache_aligned;
} __rte_cache_aligned;

struct aces_app {
	struct aces_config *cfg;
	const char *config_path;
	uint16_t n_ports;			/**< distinct ports: 1 (one-armed) or 2 */
	uint16_t port_ids[ACES_MAX_PORTS];	/**< by port index */
	uint8_t client_pi;			/**< port index of the client role */
	uint8_t backend_pi;			/**< port index of the backend role */
	struct rte_ether_addr port_mac[ACES_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_hash *ep_hash;		/**< (vip, port, proto) -> endpoint; read-only */
	struct aces_neigh *neigh;
	uint32_t n_neigh;
	uint32_t *backend_nh;			/**< backend -> neigh index */
	uint32_t vip_set[ACES_VIP_SET];		/**< VIP addresses, open addressing; 0: empty */
	int32_t client_gw_nh;			/**< neigh index of the client gateway, or -1 */
	struct aces_assign *assign;		/**< current table; RCU protected */
	uint8_t *ep_weight;			/**< mirror of assign->weight for readers */
	uint8_t *ep_pinned;			/**< mirror: 1 when set by hand */
	uint8_t *ep_phase;			/**< mirror: enum aces_phase */
	struct aces_mgr *mgr;			/**< Endpoint Manager (control lcore) */
	struct aces_mgr_ep_load *ep_load;	/**< windowed load; written by control */
	struct aces_ctr *ctr_sum;		/**< summed counters per entity (control) */
	double *be_pps;				/**< per backend, windowed (control) */
	uint32_t *be_cpu;			/**< backend-reported CPU %, UINT32_MAX = none */
	uint64_t *be_cpu_ms;			/**< when it was reported (manager clock) */
	uint32_t n_entities;			/**< endpoints * 2 + backends */
	uint32_t n_report;			/**< records per report round */
	uint64_t syn_timeout_tsc;		/**< health.syn_timeout_ms in TSC cycles */
	uint32_t tstate;			/**< mirror: enum aces_transition_state */
	uint64_t tstarted_ms;			/**< mirror */
	uint64_t tended_ms;			/**< mirror */
	uint64_t tmsg_period;			/**< TSC cycles between report rounds */
	uint64_t flow_table_bytes;		/**< memory of one worker's flow table */
	uint64_t start_realtime_ms;		/**< wall clock at start, for event times */
	uint64_t start_mono_ms;			/**< CLOCK_MONOTONIC at start */
	volatile int usr2;			/**< SIGUSR2 seen: start a transition */
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *cmd_ring;		/**< telemetry threads -> control (MP/SC) */
	unsigned int n_workers;
	struct aces_worker *workers;		/**< rte_zmalloc'd array */
	uint64_t ctl[ACES_CTL_MAX];
	uint64_t tsc_hz;
	uint64_t start_tsc;
	volatile bool force_quit;
};

extern struct aces_app aces;

/* Key of the endpoint hash. ICMP entries (port 0) mark VIP addresses. */
struct aces_ep_key {
	uint32_t vip;
	uint16_t port;		/**< network order */
	uint8_t proto;
	uint8_t pad;
};

#define ACES_EP_VIP_MARK 0xffffu	/**< endpoint hash data for a VIP address entry */

static inline uint32_t
aces_vip_slot(uint32_t addr)
{
	return (addr * 0x9e3779b1u) >> (32 - ACES_VIP_SET_BITS);
}

/** Is @addr (network order) a VIP? Read-only after start: a probe or two, no hash call. */
static inline int
aces_is_vip(uint32_t addr)
{
	uint32_t i = aces_vip_slot(addr);

	while (aces.vip_set[i] != 0) {
		if (aces.vip_set[i] == addr)
			return 1;
		i = (i + 1) & (ACES_VIP_SET - 1);
	}
	return 0;
}

/** Port index (0 or 1) of a DPDK port id that ACES uses. */
static inline uint8_t
aces_port_index(uint16_t port_id)
{
	return port_id == aces.port_ids[0] ? 0 : 1;
}

/* worker.c */
int aces_worker_main(void *arg);
/* flowtrack.c: the flow table's expire callback (@arg: the worker), for its creator */
void aces_wk_flow_expired(void *arg, struct aces_flow *f);

/* Manager clock: milliseconds since start, CLOCK_MONOTONIC (control plane and telemetry
 * only; it keeps event times in step with the wall clock, which a TSC estimate drifts from). */
static inline uint64_t
aces_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - aces.start_mono_ms;
}

/* control.c */
int aces_control_init(void);
void aces_control_loop(void);
void aces_control_fini(void);
/** Build the initial assignment table (everything on the original). */
int aces_assign_init(void);

/* Commands from telemetry threads to the control lcore. */
enum aces_cmd_type {
	ACES_CMD_ASSIGN = 0,	/**< set an endpoint's replacement weight (pins it) */
	ACES_CMD_AUTO,		/**< hand a pinned endpoint back to the manager */
	ACES_CMD_START,		/**< start a transition */
	ACES_CMD_ABORT,		/**< abort the running transition */
	ACES_CMD_STATE_READY,	/**< a replicating endpoint's state is in place */
	ACES_CMD_BACKEND_LOAD,	/**< backend-reported CPU percent */
	ACES_CMD_MAX
};

struct aces_cmd {
	enum aces_cmd_type type;
	uint32_t ep;		/**< endpoint (or backend for BACKEND_LOAD) */
	int weight;		/**< 0..100 (ASSIGN), percent (BACKEND_LOAD) */
	int result;		/**< 0 or -errno, set by control */
	char msg[160];		/**< reason when result != 0 */
	int done;		/**< set by control (release) */
	int refs;		/**< 2 at submit: handler + control; last one frees */
};

/** Hand a command to the control lcore and wait for it (bounded). Telemetry threads only. */
int aces_cmd_submit(struct aces_cmd *cmd, char *err, size_t errlen);

/* control.c: assignment tables */
/** A copy of the current table, version + 1, to change and publish (NULL: no memory). */
struct aces_assign *aces_assign_copy(void);
/** Publish @t with RCU; the old table is freed once no worker can hold it. */
void aces_assign_publish(struct aces_assign *t);
/** Free retired tables no worker holds (@wait: wait for all). Returns how many. */
unsigned int aces_assign_reclaim(bool wait);
/** Publish consistent-hash tables without the backends marked in @down. */
int aces_assign_set_down(const uint8_t *down);
/** Send a frame the control lcore built, through worker 0's queue on port @port_id. */
void aces_ctl_send(struct rte_mbuf *m, uint16_t port_id);

/* health_mon.c: probes, backend states, passive signals */
struct aces_pkt;
struct aces_mgr_input;
int aces_health_init(void);
void aces_health_fini(void);
/** A telemetry record of a health type from worker @w. */
void aces_health_record(unsigned int w, const struct aces_tmsg *r);
/** A frame to an own address: 0 when it was a probe's answer (consumed). */
int aces_health_rx(struct rte_mbuf *m, const struct aces_pkt *p);
/** Every control loop: send due probes, time out unanswered ones. */
void aces_health_poll(uint64_t now_ms);
/** Every tick: passive signals, backend states, table changes. */
void aces_health_tick(uint64_t now_ms);
/** Healthy backends per side, endpoint health and CPU for the manager. */
void aces_health_fill(struct aces_mgr_input *in);
/** Backend state for telemetry: enum aces_be_state, since (ms), reason. */
uint8_t aces_health_state(uint32_t b, uint64_t *since_ms, char *reason, size_t len);
/** Cumulative passive counters of entity @id (endpoint * 2 + side, or 2 * endpoints + backend). */
void aces_health_counters(uint32_t id, struct aces_health_ctr *out);
/** Windowed health of endpoint @e (control lcore's last tick), or NULL. */
const struct aces_mgr_ep_health *aces_health_ep(uint32_t e);

/* endpoint_mgr.c: the Endpoint Manager on the control lcore */
int aces_epm_init(void);
void aces_epm_fini(void);
void aces_epm_drain(void);
void aces_epm_tick(uint64_t now_ms);
void aces_epm_apply(uint64_t now_ms);
int aces_epm_cmd(struct aces_cmd *cmd, uint64_t now_ms);

/* telemetry_cmds.c */
int aces_telemetry_init(void);
/** Refuse new requests and wait for running handlers (before state is freed). */
void aces_telemetry_fini(void);

static inline uint64_t
aces_sum_worker(size_t offset)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < aces.n_workers; i++)
		s += *(const volatile uint64_t *)((const char *)&aces.workers[i].st + offset);
	return s;
}

#define ACES_SUM(field) aces_sum_worker(offsetof(struct aces_worker_stats, field))

#endif /* ACES_APP_H */
