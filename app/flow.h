/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FLOW_H
#define ACES_FLOW_H

/**
 * @file
 * Per-worker flow table. One flow owns two keys in one rte_hash: the client
 * side tuple (client -> VIP) and the backend side tuple (backend -> client), so
 * a packet of either direction finds its flow with one lookup. The table is
 * private to its worker lcore (single writer, single reader: no locks). Flow
 * entries live in a preallocated array with a free stack: creating a flow
 * never allocates, and a full table refuses instead of evicting.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>

enum aces_flow_dir {
	ACES_DIR_FWD = 0,	/**< client -> VIP */
	ACES_DIR_REV = 1,	/**< backend -> client */
};

enum aces_tcp_state {
	ACES_TCP_SYN_SENT = 0,	/**< client SYN seen */
	ACES_TCP_SYN_RECV,	/**< backend SYN-ACK seen */
	ACES_TCP_ESTABLISHED,	/**< client ACK after SYN-ACK */
	ACES_TCP_CLOSING,	/**< FIN seen */
	ACES_TCP_CLOSED,	/**< RST seen */
	ACES_UDP_ACTIVE,	/**< UDP flows have one state */
};

struct aces_flow_key {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t pad[3];
};

/*
 * One flow, one cache line. The VIP address comes from the endpoint (cfg), the
 * idle timeout from the state (aces.to_state[]).
 */
struct aces_flow {
	uint32_t client_ip;	/**< all network order */
	uint32_t backend_ip;
	uint16_t client_port;
	uint16_t vip_port;
	uint16_t backend_port;
	uint16_t backend;	/**< index in cfg->backends */
	uint16_t ep;		/**< index in cfg->endpoints */
	uint8_t side;
	uint8_t proto;
	uint8_t state;		/**< enum aces_tcp_state */
	uint8_t in_use;
	uint8_t client_mac[6];	/**< L2 source of the client side: where replies go */
	uint8_t open;		/**< counted as open (no FIN/RST seen, not reset) */
	uint8_t flags;		/**< ACES_FLOW_F_* */
	uint32_t cli_nxt;	/**< client's next sequence number (host order), for RSTs */
	uint32_t srv_nxt;	/**< backend's next sequence number (host order) */
	uint32_t gen;		/**< bumped at every create: tells reuses of the slot apart */
	uint64_t last_tsc;
	uint64_t created_tsc;	/**< first packet: handshake time, SYN timeout */
} __rte_cache_aligned;

#define ACES_FLOW_STATES	6	/**< enum aces_tcp_state values */

#define ACES_FLOW_F_REPLIED	0x01	/**< the backend sent something back */
#define ACES_FLOW_F_TIMED_OUT	0x02	/**< SYN/UDP request counted as timed out */

struct aces_flow_table {
	struct rte_hash *h;
	struct aces_flow *flows;
	uint32_t *free_stack;
	uint32_t n_free;
	uint32_t capacity;
	uint32_t age_cursor;
	uint32_t n_deleted;	/**< free-running: tells a burst its lookups went stale */
	uint64_t age_rate;	/**< entries to look at per TSC cycle, 32.32 fixed point */
	uint64_t age_due;	/**< entries owed to the sweep, 32.32 fixed point */
	uint64_t age_last_tsc;
	uint64_t forced_tsc;	/**< loop of the last extra reap for a full table */
};

/** Create a table of @p capacity flows on @p socket. NULL with rte_errno on failure. */
struct aces_flow_table *aces_flow_table_create(const char *name, uint32_t capacity, int socket);
void aces_flow_table_free(struct aces_flow_table *ft);

static inline void
aces_flow_key_set(struct aces_flow_key *k, uint32_t sip, uint32_t dip, uint16_t sp, uint16_t dp,
		  uint8_t proto)
{
	k->src_ip = sip;
	k->dst_ip = dip;
	k->src_port = sp;
	k->dst_port = dp;
	k->proto = proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/** Data word stored in the hash for a key: flow index and direction. */
static inline void *
aces_flow_data(uint32_t idx, enum aces_flow_dir dir)
{
	return (void *)(uintptr_t)(((uint64_t)idx << 1) | dir);
}

#endif /* ACES_FLOW_H */
