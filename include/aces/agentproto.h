/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_AGENTPROTO_H
#define ACES_AGENTPROTO_H

/**
 * @file
 * The messages between ACES and the backend agents, and between two agents (issue
 * #11): every message is authenticated with HMAC-SHA-256 under a shared secret, and
 * carries the sender's wall clock so that a recorded one is refused once it is old.
 *
 * On the wire (network byte order):
 *   magic "ACAP" | version u8 | type u8 | flags u16 | len u32 | id u64 | time_ms u64
 *   | payload (len bytes) | HMAC-SHA-256 of everything before it (32 bytes)
 *
 * ACES -> original's agent (UDP, from ACES's backend address): MOVE; the agent answers
 * with RESULT (UDP, to where MOVE came from). Original's agent -> replacement's agent
 * (TCP, the same port number): HANDOFF with the frozen socket (lib/tcpmig blob) and
 * the application's state; answered by ACK. No DPDK, no allocation.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_AP_MAGIC		0x41434150u	/* "ACAP" */
#define ACES_AP_VERSION		1
#define ACES_AP_HDR_LEN		28
#define ACES_AP_MAC_LEN		32
#define ACES_AP_MSG_LEN		96	/* the text of RESULT and ACK */
#define ACES_AP_SECRET_MIN	16	/* bytes of a shared secret, at least */
#define ACES_AP_MAX_AGE_MS	30000	/* a message older (or newer) than this is refused */
/** Largest HANDOFF payload (blob + state): a socket's queues fit, a stray length does not. */
#define ACES_AP_HANDOFF_MAX	(64u << 20)

enum aces_ap_type {
	ACES_AP_MOVE = 1,	/**< ACES -> agent: move this connection there */
	ACES_AP_RESULT,		/**< agent -> ACES: how the move ended */
	ACES_AP_HANDOFF,	/**< agent -> agent: the frozen socket and its state */
	ACES_AP_ACK,		/**< agent -> agent: taken (status 0) or not */
	ACES_AP_TYPE_MAX
};

/** Where a move stopped (RESULT.stage). */
enum aces_ap_stage {
	ACES_AP_ST_DONE = 0,	/**< moved */
	ACES_AP_ST_FIND,	/**< the connection is not at this agent */
	ACES_AP_ST_QUIET,	/**< no quiet point before the deadline */
	ACES_AP_ST_EXPORT,	/**< freezing or dumping the socket */
	ACES_AP_ST_SEND,	/**< reaching the other agent */
	ACES_AP_ST_IMPORT,	/**< the other agent could not take it */
	ACES_AP_ST_REFUSED,	/**< bad or stale request */
	ACES_AP_ST_MAX
};

const char *aces_ap_stage_name(unsigned int stage);

/* ---- SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104) ---- */
struct aces_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes so far */
	uint8_t buf[64];
	uint32_t fill;
};

void aces_sha256_init(struct aces_sha256 *s);
void aces_sha256_update(struct aces_sha256 *s, const void *data, size_t len);
void aces_sha256_final(struct aces_sha256 *s, uint8_t out[32]);

struct aces_hmac {
	struct aces_sha256 inner, outer;
};

void aces_hmac_init(struct aces_hmac *h, const void *key, size_t keylen);
void aces_hmac_update(struct aces_hmac *h, const void *data, size_t len);
void aces_hmac_final(struct aces_hmac *h, uint8_t out[32]);
void aces_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		      uint8_t out[32]);

/* ---- messages ---- */
struct aces_ap_hdr {
	uint8_t version, type;
	uint16_t flags;
	uint32_t len;		/**< payload bytes */
	uint64_t id;		/**< the move's id (ACES picks it; answers repeat it) */
	uint64_t time_ms;	/**< sender's CLOCK_REALTIME */
};

/** MOVE: all addresses and ports in network order, as on the wire. */
struct aces_ap_move {
	uint32_t local_ip;	/**< the connection's end at this agent's host (backend) */
	uint16_t local_port;
	uint16_t peer_port;
	uint32_t peer_ip;	/**< the client */
	uint32_t dst_ip;	/**< the replacement backend (its agent, and the new local address) */
	uint16_t dst_agent_port;
	uint16_t dst_port;	/**< the connection's end there (the endpoint's backend port) */
	uint32_t budget_ms;	/**< the agent gives up (connection kept) after this long */
};
#define ACES_AP_MOVE_LEN 24

struct aces_ap_result {
	int32_t status;		/**< 0, or -errno */
	uint8_t stage;		/**< enum aces_ap_stage */
	uint32_t frozen_us;	/**< socket frozen -> closed (moved) or thawed */
	char msg[ACES_AP_MSG_LEN];
};
#define ACES_AP_RESULT_LEN (12 + ACES_AP_MSG_LEN)

/** HANDOFF payload head; the blob and then the state follow it. */
struct aces_ap_handoff {
	uint32_t local_ip;	/**< bind the socket to this (network order) */
	uint16_t local_port;	/**< network order */
	uint16_t flags;
	uint32_t blob_len, state_len;
};
#define ACES_AP_HANDOFF_LEN 16

struct aces_ap_ack {
	int32_t status;
	char msg[ACES_AP_MSG_LEN];
};
#define ACES_AP_ACK_LEN (4 + ACES_AP_MSG_LEN)

/** Bytes a message with @p len payload bytes takes on the wire. */
static inline size_t
aces_ap_wire_len(size_t len)
{
	return ACES_AP_HDR_LEN + len + ACES_AP_MAC_LEN;
}

/**
 * Write a message: header, @p payload, MAC. @p buf may already hold the payload at
 * offset ACES_AP_HDR_LEN (then pass @p payload NULL). Returns the wire length, or 0 when
 * @p cap is too small.
 */
size_t aces_ap_seal(uint8_t *buf, size_t cap, const struct aces_ap_hdr *h, const void *payload,
		    const void *key, size_t keylen);

/** Read just the header of @p buf (for the length before the rest arrives). 0 or -EINVAL. */
int aces_ap_peek_hdr(const uint8_t *buf, size_t len, struct aces_ap_hdr *h);

/**
 * Check a whole message: magic, version, type, length, MAC (constant time) and age
 * against @p now_ms (0: not checked). 0 with the header in @p h and the payload at
 * buf + ACES_AP_HDR_LEN, or -EINVAL/-EBADMSG/-ETIMEDOUT with the reason in @p err.
 */
int aces_ap_open(const uint8_t *buf, size_t len, const void *key, size_t keylen, uint64_t now_ms,
		 struct aces_ap_hdr *h, char *err, size_t errlen);

void aces_ap_move_put(uint8_t *p, const struct aces_ap_move *m);
int aces_ap_move_get(const uint8_t *p, size_t len, struct aces_ap_move *m);
void aces_ap_result_put(uint8_t *p, const struct aces_ap_result *r);
int aces_ap_result_get(const uint8_t *p, size_t len, struct aces_ap_result *r);
void aces_ap_handoff_put(uint8_t *p, const struct aces_ap_handoff *x);
int aces_ap_handoff_get(const uint8_t *p, size_t len, struct aces_ap_handoff *x);
void aces_ap_ack_put(uint8_t *p, const struct aces_ap_ack *a);
int aces_ap_ack_get(const uint8_t *p, size_t len, struct aces_ap_ack *a);

/**
 * A shared secret from the file @p path (its bytes, a trailing newline dropped): at
 * least ACES_AP_SECRET_MIN bytes, at most @p cap. Returns its length, or -errno with the
 * reason in @p err.
 */
int aces_ap_secret_load(const char *path, uint8_t *out, size_t cap, char *err, size_t errlen);

#endif /* ACES_AGENTPROTO_H */
