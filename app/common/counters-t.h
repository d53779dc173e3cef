/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_APP_COUNTERS_T_H
#define ACES_APP_COUNTERS_T_H

/**
 * @file
 * Counters, each from one list (X-macros): drop reasons, control-plane counters,
 * worker counters. The names are what /aces/stats shows.
 */

#include <stdint.h>

#include "common/limits-t.h"

/* Packet drop reasons (worker lcores): every received packet not sent on has one (the
 * invariant is written at ACES_WK_LIST). */
#define ACES_DROP_LIST(_) \
	_(L2_OTHER_HOST,    "l2_other_host",       "unicast frame for another MAC") \
	_(BAD_L2,           "malformed_l2",        "truncated Ethernet/VLAN/ARP header") \
	_(BAD_L3,           "malformed_ip",        "truncated IPv4, bad version/IHL/length") \
	_(BAD_L4,           "malformed_l4",        "truncated TCP/UDP/ICMP header") \
	_(NON_IP,           "non_ip",              "ethertype not IPv4/ARP (IPv6 included)") \
	_(MULTICAST,        "ip_multicast",        "IPv4 to a multicast/broadcast address (IGMP, mDNS)") \
	_(FRAGMENT,         "ip_fragment",         "IPv4 fragment, reassembly off (ip.reassembly_max 0)") \
	_(FRAG_GIVEN_UP,    "fragment_given_up",   "fragment of a datagram given up: timeout, overlap, > 8 fragments, table full") \
	_(ICMP_NO_FLOW,     "icmp_error_no_flow",  "ICMP error whose embedded header matches no flow") \
	_(TOO_BIG,          "too_big",             "DF packet longer than the egress MTU (fragmentation needed sent)") \
	_(BAD_CKSUM,        "bad_checksum",        "NIC reported a bad IPv4/L4 checksum; a fragment's IPv4 header checked in software") \
	_(TTL,              "ttl_exceeded",        "TTL <= 1 on a packet to forward (time exceeded sent)") \
	_(UNKNOWN_DEST,     "unknown_destination", "not an endpoint, not ours, no flow") \
	_(UNSUPPORTED,      "unsupported_protocol","protocol/ICMP type not served at a VIP") \
	_(LOCAL,            "local_unhandled",     "to an own address, not ICMP echo") \
	_(NO_FLOW,          "no_flow",             "TCP non-SYN or backend reply without flow, not adoptable") \
	_(NO_FLOW_SPLIT,    "no_flow_split",       "packet without flow of a split endpoint: not adopted") \
	_(NO_BACKEND,       "no_backend",          "side has no backend with weight") \
	_(TABLE_FULL,       "flow_table_full",     "flow table full: new flow refused") \
	_(NEW_FLOW_SHED,    "new_flow_shed",       "overloaded: new flow shed, established first") \
	_(FLOW_CONFLICT,    "flow_tuple_conflict", "backend-side 5-tuple already in use") \
	_(FLOW_HELD,        "flow_held",           "packet of a flow held while it moves: TCP resends it") \
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

/* Per-port counters (/aces/stats "portN"): ACES's own per port, then the port's (ethdev). */
#define ACES_PORT_CTR_LIST(_) \
	_(RX_PKTS,     "rx_packets",        "packets the workers received on the port") \
	_(RX_BYTES,    "rx_bytes",          "bytes the workers received on the port") \
	_(TX_PKTS,     "tx_packets",        "packets the port's TX queues took") \
	_(TX_BYTES,    "tx_bytes",          "bytes the port's TX queues took") \
	_(HW_MISSED,   "hw_rx_missed",      "received packets the port lost: its imissed, plus socket_rx_dropped") \
	_(SOCK_DROPS,  "socket_rx_dropped", "net_af_packet: the kernel's drops on ACES's packet sockets") \
	_(HW_ERRORS,   "hw_rx_errors",      "erroneous received packets (ierrors)") \
	_(HW_NOMBUF,   "hw_rx_nombuf",      "receive buffer allocation failures (rx_nombuf)") \
	_(HW_TX_ERR,   "hw_tx_errors",      "failed transmitted packets (oerrors)")

#define ACES_PORT_CTR_ENUM(n, s, d) ACES_PORT_##n,
enum aces_port_counter {
	ACES_PORT_CTR_LIST(ACES_PORT_CTR_ENUM)
	ACES_PORT_CTR_MAX
};
#undef ACES_PORT_CTR_ENUM

/* Control-plane counters (control lcore only): name, what /aces/stats calls it, meaning. */
#define ACES_CTL_LIST(_) \
	_(ARP_RX,          "arp_received",                "ARP frames (and other slow-path frames) the control lcore read") \
	_(ARP_REPLIES,     "arp_replies_sent",            "ARP replies sent for own addresses and VIPs") \
	_(ARP_REQUESTS,    "arp_requests_sent",           "ARP requests sent for next hops") \
	_(ARP_LEARNED,     "arp_neighbors_learned",       "next-hop MACs learnt or changed") \
	_(ARP_IGNORED,     "arp_ignored",                 "slow-path frames that were no ARP for ACES") \
	_(ALLOC_FAIL,      "ctl_mbuf_alloc_failed",       "control frames not built: no mbuf") \
	_(CTL_TX_FULL,     "ctl_tx_ring_full",            "control frames or worker commands not queued: ring full") \
	_(COMMANDS,        "commands_done",               "telemetry commands carried out") \
	_(COMMANDS_FAILED, "commands_refused",            "telemetry commands refused") \
	_(TABLES,          "assignment_tables_published", "assignment tables published") \
	_(RETIRE_WAITS,    "assignment_publish_waits",    "publications that waited for the workers' quiescent states") \
	_(LOCAL_IGNORED,   "local_ignored",               "frames to an own address nobody waited for") \
	_(PROBES_SENT,     "probes_sent",                 "active health probes sent") \
	_(PROBE_ANSWERS,   "probe_answers",               "probes answered in time") \
	_(PROBE_FAILURES,  "probe_failures",              "probes refused or unanswered") \
	_(PROBE_STALE,     "probe_stale_answers_reset",   "late SYN-ACKs to a probe given up on, answered with RST") \
	_(TMSG_UNKNOWN,    "telemetry_records_unknown",   "workers' telemetry records of no known type") \
	_(KERNEL_IN,       "kernel_path_in",              "frames passed to a kernel interface (to ACES's own address, and copies of ARP)") \
	_(KERNEL_IN_LIMITED, "kernel_path_in_limited",    "frames not passed to a kernel interface: over its packets_per_s") \
	_(KERNEL_IN_FAILED, "kernel_path_in_failed",      "frames not passed to a kernel interface: it took no more") \
	_(KERNEL_OUT,      "kernel_path_out",             "frames a kernel interface sent, out through its port") \
	_(KERNEL_OUT_LIMITED, "kernel_path_out_limited",  "frames a kernel interface sent, dropped: over its packets_per_s")

#define ACES_CTL_ENUM(n, s, d) ACES_CTL_##n,
enum aces_ctl_counter {
	ACES_CTL_LIST(ACES_CTL_ENUM)
	ACES_CTL_MAX
};
#undef ACES_CTL_ENUM

extern const char *const aces_drop_names[ACES_DROP_MAX];
extern const char *const aces_ctl_names[ACES_CTL_MAX];

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
	_(forwarded, "forwarded", \
	  "received packets sent on by a TX queue") \
	_(icmp_echo_replies, "icmp_echo_replies", \
	  "echo requests answered (sent)") \
	_(slowpath, "to_control_plane", \
	  "ARP and own-address frames to the control lcore") \
	_(to_local, "to_own_address", \
	  "of which TCP/UDP to an own address (probe answers)") \
	_(flows_created, "flows_created", \
	  "flows created") \
	_(flows_expired, "flows_expired", \
	  "flows aged out (the sweep, or an insert reusing the slot)") \
	_(flows_reused, "flows_reused", \
	  "closed flow replaced by a new SYN on the same tuple") \
	_(flows_reset, "flows_reset", \
	  "flows ended by a drain reset") \
	_(flows_rescued, "flows_rescued", \
	  "retransmitted SYNs re-steered after the SYN timeout") \
	_(flows_imported, "flows_imported", \
	  "flows taken over from the last process (state file)") \
	_(flows_adopted, "flows_adopted", \
	  "mid-connection packets without a flow steered by the hash and adopted") \
	_(handshakes_elsewhere, "handshakes_answered_elsewhere", \
	  "SYN-ACKs that went back through another instance: the client's ACK came (routing.return_prefixes)") \
	_(flows_repointed, "flows_repointed", \
	  "flows pointed at another backend by a command (a connection moved)") \
	_(held_data_stripped, "held_data_stripped", \
	  "data segments of held flows forwarded as bare ACKs") \
	_(held_kept, "held_data_kept", \
	  "... of which a copy was kept, passed on once the flow was released") \
	_(held_not_kept, "held_data_not_kept", \
	  "... of which no copy could be kept (queue full, no mbuf): TCP resends the data") \
	_(held_replayed, "held_data_passed_on", \
	  "kept copies processed again once their flow was released (to where it then points)") \
	_(icmp_fwd_unreach, "icmp_errors_forwarded_unreachable", \
	  "ICMP destination unreachable of a flow, rewritten and forwarded (not fragmentation needed)") \
	_(icmp_fwd_needfrag, "icmp_errors_forwarded_frag_needed", \
	  "ICMP fragmentation needed of a flow, rewritten and forwarded (path MTU discovery)") \
	_(icmp_fwd_time, "icmp_errors_forwarded_time_exceeded", \
	  "ICMP time exceeded of a flow, rewritten and forwarded") \
	_(icmp_fwd_param, "icmp_errors_forwarded_param_problem", \
	  "ICMP parameter problem of a flow, rewritten and forwarded") \
	_(icmp_sent, "icmp_errors_sent", \
	  "ICMP errors ACES sent (time exceeded, fragmentation needed) a TX queue took") \
	_(icmp_rate_limited, "icmp_errors_rate_limited", \
	  "ICMP errors not sent: over ip.icmp_errors_per_s") \
	_(icmp_not_built, "icmp_errors_not_built", \
	  "ICMP errors not sent: no mbuf") \
	_(icmp_tx_refused, "icmp_errors_tx_refused", \
	  "ICMP errors a TX queue refused") \
	_(frag_in, "fragments_received", \
	  "IPv4 fragments taken for reassembly") \
	_(frag_merged, "fragments_merged", \
	  "fragments that became part of a reassembled datagram (its first counts as the datagram)") \
	_(frag_reassembled, "datagrams_reassembled", \
	  "datagrams reassembled from fragments (then handled as one packet)") \
	_(frag_made, "fragments_sent_extra", \
	  "fragments sent beyond one per datagram (datagrams longer than the egress MTU)") \
	_(frag_tx_refused, "fragments_extra_tx_refused", \
	  "fragments beyond the first of a split datagram a TX queue refused") \
	_(frag_split_failed, "fragmentation_failed", \
	  "datagrams longer than the egress MTU not split: no mbuf (counted as too_big)") \
	_(flows_active, "flows_active", \
	  "flows in the tables now") \
	_(pending_full, "flows_unwatched", \
	  "new flows not watched for a first answer (queue full)") \
	_(timeouts_own_loss, "timeouts_own_loss", \
	  "SYN timeouts and unanswered UDP requests not held against the backend: the backend " \
	  "port lost received packets meanwhile") \
	_(rst_sent, "rst_sent", \
	  "drain-reset RSTs a TX queue took") \
	_(rst_alloc_failed, "rst_alloc_failed", \
	  "drain-reset RSTs not built: no mbuf") \
	_(rst_tx_refused, "rst_tx_refused", \
	  "drain-reset RSTs a TX queue refused") \
	_(ctl_tx_sent, "control_frames_sent", \
	  "control lcore frames (ARP, probes) sent") \
	_(ctl_tx_refused, "control_frames_refused", \
	  "control lcore frames a TX queue refused") \
	_(handoff_out, "handed_to_owner_worker", \
	  "packets handed to the flow's owner worker") \
	_(handoff_in, "taken_from_other_workers", \
	  "packets taken from other workers' rings") \
	_(tmsg_sent, "telemetry_records_sent", \
	  "records to the control lcore") \
	_(tmsg_dropped, "telemetry_records_dropped", \
	  "records lost to a full ring") \
	_(loops, "worker_loops", \
	  "poll loops") \
	_(busy_loops, "worker_busy_loops", \
	  "loops that handled packets") \
	_(busy_cycles, "worker_busy_cycles", \
	  "TSC cycles of those loops") \
	_(stalls, "worker_stalls", \
	  "loops that began over 0.5 ms after the one before: the lcore lost its CPU") \
	_(idle_sleeps, "worker_idle_sleeps", \
	  "sleeps of an idle worker (workers.idle: sleep)") \
	_(idle_sleep_us, "worker_idle_sleep_us", \
	  "microseconds the worker slept, idle")

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

#endif /* ACES_APP_COUNTERS_T_H */
