/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_AGENTAPP_H
#define ACES_AGENTAPP_H

/**
 * @file
 * How a cooperating application hands its connections to the backend agent, and takes
 * moved ones on (issue #11). The application connects to the agent's Unix socket
 * (SOCK_SEQPACKET) and registers the address it serves; the agent then sends
 *   TAKE  id, client end: hand that connection over at a quiet point (answer GIVE with
 *         the socket and the connection's state, or REFUSE);
 *   DONE  id, moved: the move ended; moved = 1: close the socket (it is frozen, so
 *         closing it sends nothing); moved = 0: the agent thawed it, serve it on;
 *   ADOPT id, state, a socket: a connection moved here: serve it with that state.
 * If the agent goes away between GIVE and DONE, the application thaws the socket
 * itself (aces_agentapp_thaw()) and serves it on: the move never completed.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_AA_STATE_MAX	(60u << 10)	/* bytes of application state per connection */

enum aces_aa_type {
	ACES_AA_REGISTER = 1,	/**< app -> agent: I serve local_ip:local_port */
	ACES_AA_TAKE,		/**< agent -> app */
	ACES_AA_GIVE,		/**< app -> agent (+ the socket) */
	ACES_AA_REFUSE,		/**< app -> agent: status says why */
	ACES_AA_DONE,		/**< agent -> app: status 1 moved, 0 kept */
	ACES_AA_ADOPT,		/**< agent -> app (+ the socket) */
	ACES_AA_TYPE_MAX
};

/** A message's head; state_len bytes of state follow it. Host order except addresses. */
struct aces_aa_msg {
	uint32_t type;
	int32_t status;
	uint64_t id;
	uint32_t local_ip, peer_ip;	/**< network order */
	uint16_t local_port, peer_port;	/**< network order */
	uint32_t state_len;
};

/**
 * Connect to the agent at @p path and register @p local_ip:@p port (network order;
 * local_ip 0: any address). Returns the socket (non-blocking), or -errno with @p err.
 */
int aces_agentapp_connect(const char *path, uint32_t local_ip, uint16_t port, char *err,
			  size_t errlen);

/**
 * Receive one message. Its state goes to @p state (@p cap bytes), a socket that came
 * with it to @p *sock (else -1). 1: a message; 0: none waiting; -errno: the agent is
 * gone (-EPIPE) or sent something malformed (-EBADMSG, the connection is unusable).
 */
int aces_agentapp_recv(int fd, struct aces_aa_msg *m, void *state, size_t cap, int *sock);

/** Hand connection @p id over: its socket and state. 0 or -errno. */
int aces_agentapp_give(int fd, uint64_t id, int sock, const void *state, size_t len);

/** Refuse to hand connection @p id over (@p status: -errno). 0 or -errno. */
int aces_agentapp_refuse(int fd, uint64_t id, int status);

/** A socket given away whose move never ended: out of repair mode, served on. */
int aces_agentapp_thaw(int sock);

/* For the agent: send @p m (+ @p state, + @p sock if >= 0) on @p fd. 0 or -errno. */
int aces_agentapp_send(int fd, const struct aces_aa_msg *m, const void *state, int sock);

#endif /* ACES_AGENTAPP_H */
