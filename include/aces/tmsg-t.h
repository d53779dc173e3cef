/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_TMSG_T_H
#define ACES_TMSG_T_H

/**
 * @file
 * Ring telemetry: fixed-size records that each worker lcore pushes into its own
 * single-producer/single-consumer rte_ring for the control lcore. Counters are
 * cumulative since start, so a record lost to a full ring only delays the
 * control lcore's view (the next one carries the total); the worker counts the
 * loss and never waits.
 */

#include <stdint.h>

enum aces_tmsg_type {
	ACES_TMSG_EP_SIDE = 0,	/**< c: id = endpoint * 2 + side */
	ACES_TMSG_BACKEND,	/**< c: id = backend index */
	ACES_TMSG_EP_HEALTH,	/**< h: id = endpoint * 2 + side */
	ACES_TMSG_EP_HIST,	/**< hist: id = endpoint * 2 + side */
	ACES_TMSG_BE_HEALTH,	/**< h: id = backend index */
	ACES_TMSG_MAX
};

/*
 * Passive health counters (cumulative), per endpoint side and per backend, named once: the
 * struct fields, the names /aces/backends shows (and acesctl exports, from /aces/counters)
 * and their meaning come from this list.
 */
#define ACES_HEALTH_CTR_LIST(_) \
	_(attempts, "attempts", "new TCP flows (SYNs) and UDP flows sent") \
	_(handshakes, "handshakes", "SYN-ACKs seen") \
	_(syn_timeouts, "syn_timeouts", "SYNs without SYN-ACK within health.syn_timeout_ms") \
	_(refused, "refused", "SYNs answered with RST") \
	_(udp_noreply, "udp_noreply", "UDP flows without reply within health.syn_timeout_ms") \
	_(syn_rescued, "syn_rescued", "refused or timed-out SYNs re-steered on retransmission")

struct aces_health_ctr {
#define ACES_HEALTH_CTR_FIELD(f, n, d) uint64_t f;
	ACES_HEALTH_CTR_LIST(ACES_HEALTH_CTR_FIELD)
#undef ACES_HEALTH_CTR_FIELD
};

/** Upper bounds (ms) of the handshake-time histogram buckets; the last is open. */
#define ACES_HS_BUCKETS 12
#define ACES_HS_BOUNDS_MS { 1, 2, 5, 10, 20, 50, 100, 150, 200, 500, 1000, 2000 }

/** SYN -> SYN-ACK time histogram (cumulative counts). */
struct aces_hs_hist {
	uint32_t b[ACES_HS_BUCKETS];
};

/*
 * Cumulative counters of one endpoint side or one backend, on one worker, named once: the
 * fields, the names /aces/endpoint shows (both sides summed) and their meaning.
 */
#define ACES_SIDE_CTR_LIST(_) \
	_(pkts, "packets", "packets of the endpoint's flows forwarded, both directions") \
	_(bytes, "bytes", "bytes of the endpoint's flows forwarded, both directions") \
	_(new_flows, "new_flows", "flows created")

/** Cumulative counters (the list) and gauges of one endpoint side or one backend. */
struct aces_ctr {
#define ACES_SIDE_CTR_FIELD(f, n, d) uint64_t f;
	ACES_SIDE_CTR_LIST(ACES_SIDE_CTR_FIELD)
#undef ACES_SIDE_CTR_FIELD
	uint64_t closed_flows;	/**< flows that saw FIN/RST, were reset, or expired */
	uint64_t flows;		/**< flows in the table now (closing ones included) */
	uint64_t open;		/**< flows in the table not closed yet */
};

/** One record: 64 bytes (a multiple of 4, as rte_ring_create_elem wants). */
struct aces_tmsg {
	uint16_t type;		/**< enum aces_tmsg_type */
	uint16_t worker;
	uint32_t id;
	uint64_t tsc;		/**< when the worker read its counters */
	union {
		struct aces_ctr c;
		struct aces_health_ctr h;
		struct aces_hs_hist hist;
	};
};

#endif /* ACES_TMSG_T_H */
