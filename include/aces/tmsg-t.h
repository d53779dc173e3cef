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

/** Passive health counters (cumulative). */
struct aces_health_ctr {
	uint64_t attempts;	/**< new TCP flows (SYNs) and UDP flows sent */
	uint64_t handshakes;	/**< SYN-ACKs seen */
	uint64_t syn_timeouts;	/**< SYNs without SYN-ACK within syn_timeout_ms */
	uint64_t refused;	/**< SYNs answered with RST */
	uint64_t udp_noreply;	/**< UDP flows without reply within syn_timeout_ms */
	uint64_t rescued;	/**< refused or timed-out SYNs re-steered on retransmission */
};

/** Upper bounds (ms) of the handshake-time histogram buckets; the last is open. */
#define ACES_HS_BUCKETS 12
#define ACES_HS_BOUNDS_MS { 1, 2, 5, 10, 20, 50, 100, 150, 200, 500, 1000, 2000 }

/** SYN -> SYN-ACK time histogram (cumulative counts). */
struct aces_hs_hist {
	uint32_t b[ACES_HS_BUCKETS];
};

/** Cumulative counters of one endpoint side or one backend, on one worker. */
struct aces_ctr {
	uint64_t pkts;		/**< packets forwarded, both directions */
	uint64_t bytes;
	uint64_t new_flows;
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
