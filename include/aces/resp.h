/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_RESP_H
#define ACES_RESP_H

/**
 * @file
 * A Redis connection's session, as a relay sees it (issue #12): the bytes each way are
 * watched, never changed. The client's commands (RESP arrays or inline) update the session
 * (SELECT, AUTH, HELLO, CLIENT SETNAME, SUBSCRIBE/PSUBSCRIBE and their UN-, MULTI/EXEC,
 * WATCH, MONITOR, CLIENT REPLY, RESET) and say how many replies they wait for; the server's
 * replies (RESP2 and RESP3, pushes and attributes told apart) are counted against them. A
 * connection can move when every command has its reply and it is in no state a fresh
 * connection could not be brought back to: then aces_resp_replay() writes the commands that
 * rebuild its session on a new connection, and how many replies they will get.
 * Pure C, no allocation.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_RESP_NAME_MAX	128	/**< client name, user, password: at most this many bytes */
#define ACES_RESP_SUBS_MAX	32	/**< channels + patterns a session may have to be movable */
#define ACES_RESP_CHAN_MAX	128	/**< bytes of one channel or pattern */
#define ACES_RESP_ARGS_MAX	4096	/**< bytes of a command's arguments kept (longer: counted only) */

/** What rebuilds a session (it travels with a moved connection: plain bytes, fixed size). */
struct aces_resp_session {
	uint32_t version;		/**< of this layout: ACES_RESP_SESSION_VERSION */
	int32_t db;			/**< SELECT */
	uint8_t proto;			/**< 2, or 3 after HELLO 3 */
	uint8_t has_auth, has_name;
	uint8_t n_subs, n_psubs;
	char user[ACES_RESP_NAME_MAX];	/**< AUTH user (empty: "default") */
	char pass[ACES_RESP_NAME_MAX];
	char name[ACES_RESP_NAME_MAX];	/**< CLIENT SETNAME / HELLO SETNAME */
	char subs[ACES_RESP_SUBS_MAX][ACES_RESP_CHAN_MAX];	/**< channels, then patterns */
};
#define ACES_RESP_SESSION_VERSION 1

/** Why a connection cannot move now (aces_resp_movable()). */
enum aces_resp_hold {
	ACES_RESP_OK = 0,
	ACES_RESP_WAITING,	/**< replies outstanding */
	ACES_RESP_MULTI,	/**< inside MULTI or WATCH */
	ACES_RESP_STUCK,	/**< never: MONITOR, CLIENT REPLY OFF/SKIP, a protocol error, too many
				 *   subscriptions, a session command too long to keep */
};

/** One direction's incremental parser (internal). */
struct aces_resp_parser {
	uint8_t state;
	uint8_t type;		/* of the value being read */
	uint8_t top_type;	/* of the top-level value */
	uint8_t top_push;	/* the top-level value is a push (not a reply) */
	uint8_t top_attr;	/* ... an attribute (comes before a reply) */
	int64_t num;		/* a length or count being read */
	uint8_t neg;
	int64_t left;		/* bulk bytes left (+2 for CRLF) */
	uint32_t depth;
	int64_t stack[16];	/* elements left at each depth */
	uint32_t first_len;	/* the top-level aggregate's first string, for pushes */
	uint8_t first[16];
	uint8_t in_first;
	/* client side: the command's arguments */
	uint32_t argc, argn;	/* arguments announced, read */
	uint32_t args_len;
	uint8_t args_over;	/* too long to keep */
	uint16_t arg_off[8];	/* the first 8 arguments' offsets in args */
	uint16_t arg_len[8];
	char args[ACES_RESP_ARGS_MAX];
	uint8_t inline_cmd;
};

/** A connection's watch: both parsers, the session, the counts. */
struct aces_resp_conn {
	struct aces_resp_parser cp, sp;
	struct aces_resp_session s;
	uint64_t commands, expected, replies;
	uint8_t in_multi, watching, stuck;
	uint8_t skip_next;	/* CLIENT REPLY SKIP */
	char why[96];		/**< why stuck */
};

void aces_resp_init(struct aces_resp_conn *c);
/** Bytes the client sent (on their way to the server). */
void aces_resp_client(struct aces_resp_conn *c, const void *data, size_t len);
/** Bytes the server sent (on their way to the client). */
void aces_resp_server(struct aces_resp_conn *c, const void *data, size_t len);
/** May it move now? */
enum aces_resp_hold aces_resp_movable(const struct aces_resp_conn *c);

/**
 * The commands that bring a fresh connection to session @p s (RESP), into @p buf. Returns
 * their length (0: nothing to do) and in @p n_replies the replies they will get, or -1 when
 * @p cap is too small.
 */
int64_t aces_resp_replay(const struct aces_resp_session *s, char *buf, size_t cap,
			 uint32_t *n_replies);

/**
 * Count complete replies at the front of @p data (@p len bytes) with parser @p p (start it
 * zeroed): returns how many, and in @p used the bytes they took; *@p error set when one was
 * an error reply. For reading the replies to a replay.
 */
uint32_t aces_resp_count_replies(struct aces_resp_parser *p, const void *data, size_t len,
				 size_t *used, int *error);

#endif /* ACES_RESP_H */
