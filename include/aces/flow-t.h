/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FLOW_T_H
#define ACES_FLOW_T_H

/**
 * @file
 * Types of the flow table (lib/flow). See aces/flow.h for the design.
 */

#include <stdint.h>

/** Direction of a packet within its flow. */
enum aces_flow_dir {
	ACES_DIR_FWD = 0,	/**< client -> VIP */
	ACES_DIR_REV = 1,	/**< backend -> client */
};

/** Connection state; each has its own idle timeout. */
enum aces_tcp_state {
	ACES_TCP_SYN_SENT = 0,	/**< client SYN seen */
	ACES_TCP_SYN_RECV,	/**< backend SYN-ACK seen */
	ACES_TCP_ESTABLISHED,	/**< client ACK after SYN-ACK */
	ACES_TCP_CLOSING,	/**< FIN seen */
	ACES_TCP_CLOSED,	/**< RST seen */
	ACES_UDP_ACTIVE,	/**< UDP flows have one state */
	ACES_TCP_ADOPTED,	/**< taken up mid-connection; established once the other end speaks */
	ACES_FLOW_STATES
};

#define ACES_FLOW_F_REPLIED	0x01	/**< the backend sent something back */
#define ACES_FLOW_F_TIMED_OUT	0x02	/**< SYN/UDP request counted as timed out */
#define ACES_FLOW_F_HELD	0x04	/**< held: never expires, its owner queues its packets */
#define ACES_FLOW_F_ADOPTED_REV	0x08	/**< adopted from a reply (ACES_TCP_ADOPTED) */
#define ACES_FLOW_F_NOMOVE	0x10	/**< a move of it failed: not tried again */

/** A TCP state after FIN or RST: the connection is over. */
static inline int
aces_tcp_over(uint8_t state)
{
	return state == ACES_TCP_CLOSING || state == ACES_TCP_CLOSED;
}

/** Index meaning "no flow". */
#define ACES_FLOW_NONE UINT32_MAX

/**
 * What a packet says about its flow: the client's end (the key: both directions
 * carry it, as source going to the VIP and as destination coming back) and the
 * other end, which tells the flows that share a key apart.
 */
struct aces_flow_tuple {
	uint32_t client_ip;	/**< network order, as all addresses and ports here */
	uint16_t client_port;
	uint8_t proto;
	uint8_t dir;		/**< enum aces_flow_dir: which end @peer is */
	uint32_t peer_ip;	/**< the VIP (ACES_DIR_FWD) or the backend (ACES_DIR_REV) */
	uint16_t peer_port;
	uint16_t pad;
};

/**
 * One flow, one cache line. The key fields and bkt/slot belong to the table; the
 * others are the caller's (written after aces_flow_insert()) and are exported and
 * imported as they are.
 */
struct aces_flow {
	uint32_t client_ip;	/**< key; all addresses and ports in network order */
	uint16_t client_port;	/**< key */
	uint8_t proto;		/**< key */
	uint8_t state;		/**< enum aces_tcp_state: picks the idle timeout */
	uint32_t vip_ip;
	uint16_t vip_port;
	uint16_t backend_port;
	uint32_t backend_ip;
	uint16_t backend;	/**< the caller's backend index */
	uint16_t ep;		/**< the caller's endpoint index */
	uint8_t side;		/**< the caller's application side */
	uint8_t flags;		/**< ACES_FLOW_F_* */
	uint8_t in_use;		/**< set by insert, cleared by delete */
	uint8_t open;		/**< the caller's: counted as open */
	uint8_t client_mac[6];	/**< L2 source of the client side: where replies go */
	uint8_t slot;		/**< table: slot within bkt */
	uint8_t pad;
	uint32_t cli_nxt;	/**< client's next sequence number (host order) */
	uint32_t srv_nxt;	/**< backend's next sequence number (host order) */
	uint32_t gen;		/**< bumped at every insert: tells reuses of the slot apart */
	uint32_t bkt;		/**< table: bucket holding this flow */
	uint64_t created;	/**< caller's clock at the first packet */
} __attribute__((aligned(64)));

#define ACES_FLOW_BUCKET_SLOTS 5

/**
 * One cache line of the hash: five flows' signatures, indexes and expiry times
 * (the table's ticks), and the next bucket of the chain. A slot is free when its
 * signature is 0 (signatures have their low bit set).
 */
struct aces_flow_bucket {
	uint32_t sig[ACES_FLOW_BUCKET_SLOTS];
	uint32_t idx[ACES_FLOW_BUCKET_SLOTS];
	uint32_t exp[ACES_FLOW_BUCKET_SLOTS];	/**< tick when the flow expires */
	uint32_t next;				/**< next bucket of the chain + 1, 0: none */
} __attribute__((aligned(64)));

/**
 * Counters the table keeps itself (single writer: the table's owner), named once: the
 * struct fields, the names a caller shows them under and their meaning.
 */
#define ACES_FLOW_STATS_LIST(_) \
	_(inserted,         "inserted",                "flows inserted") \
	_(deleted,          "deleted",                 "flows deleted by their owner") \
	_(expired,          "expired_by_sweep",        "flows the sweep reclaimed") \
	_(reused_stale,     "expired_slot_reused",     "expired flows whose slot an insert took") \
	_(insert_no_flow,   "refused_no_entry",        "inserts refused: every entry in use") \
	_(insert_no_bucket, "refused_no_bucket",       "inserts refused: chain full, no overflow") \
	_(overflow_in_use,  "overflow_buckets_in_use", "overflow buckets linked now")

struct aces_flow_table_stats {
#define ACES_FLOW_STAT_FIELD(f, n, d) uint64_t f;
	ACES_FLOW_STATS_LIST(ACES_FLOW_STAT_FIELD)
#undef ACES_FLOW_STAT_FIELD
};

/**
 * Called for every flow the table removes by itself (the sweep, or an insert that
 * takes an expired flow's slot), before the entry is reused: the caller's counters.
 */
typedef void (*aces_flow_expire_cb)(void *arg, struct aces_flow *f);

/**
 * Import: called for each flow read from a stream, already in the table; returns
 * 0 to keep it, or anything else to drop it (an unknown endpoint or backend).
 */
typedef int (*aces_flow_import_cb)(void *arg, struct aces_flow *f);

/** Export: write @p len bytes of the stream; 0 or -errno. */
typedef int (*aces_flow_write_cb)(void *arg, const void *buf, size_t len);

/** Memory for the table: NULL ops mean calloc/free. */
struct aces_flow_mem {
	void *(*zalloc)(void *arg, size_t size, size_t align);	/**< zeroed; NULL: no memory */
	void (*free)(void *arg, void *p);
	void *arg;
};

/** How a table is made. */
struct aces_flow_params {
	uint32_t capacity;		/**< flows */
	uint64_t clock_hz;		/**< the caller's clock (TSC, or ms in tests) */
	uint64_t seed;			/**< hash seed: a random one resists chosen collisions */
	aces_flow_expire_cb expire;	/**< may be NULL */
	void *cb_arg;
	const struct aces_flow_mem *mem;	/**< may be NULL */
};

/** What an import did. */
struct aces_flow_import_stats {
	uint32_t in_stream;	/**< flows the stream holds */
	uint32_t imported;
	uint32_t refused;	/**< by the caller's callback */
	uint32_t expired;	/**< already past their timeout */
	uint32_t duplicate;	/**< same flow as one already in the table */
	uint32_t no_room;	/**< table full */
};

/**
 * The table. Public so that the lookups inline into the caller's loop; fields are
 * the library's, read them through the functions of aces/flow.h.
 */
struct aces_flow_table {
	struct aces_flow_bucket *bkts;	/**< n_bkts heads, then n_ovf overflow buckets */
	struct aces_flow *flows;	/**< capacity entries */
	uint32_t *free_flows;		/**< stack of free entry indexes: last freed on top */
	uint32_t *free_ovf;		/**< stack of free overflow buckets */
	uint32_t bkt_mask;		/**< n_bkts - 1 */
	uint32_t n_bkts;
	uint32_t n_ovf;
	uint32_t n_free_ovf;
	uint32_t capacity;
	uint32_t n_free;
	uint32_t n_deleted;		/**< free-running: flows removed in any way */
	uint32_t shift;			/**< tick = clock >> shift (0.5 to 1 ms) */
	uint64_t seed;
	uint64_t clock_hz;
	uint32_t timeout[ACES_FLOW_STATES];	/**< idle timeout of each state, in ticks */
	/* aging */
	uint32_t age_cursor;		/**< next bucket the sweep looks at */
	uint64_t age_rate;		/**< buckets per clock unit, 32.32 fixed point */
	uint64_t age_due;		/**< buckets owed to the sweep, 32.32 fixed point */
	uint64_t age_last;		/**< clock of the last aces_flow_age() */
	aces_flow_expire_cb expire;
	void *cb_arg;
	struct aces_flow_mem mem;
	struct aces_flow_table_stats st;
};

#endif /* ACES_FLOW_T_H */
