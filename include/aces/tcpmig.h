/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_TCPMIG_H
#define ACES_TCPMIG_H

/**
 * @file
 * Moving an established TCP connection's socket from one host to another (Linux
 * TCP_REPAIR; root, or CAP_NET_ADMIN in the socket's network namespace). The first
 * piece of issue #11's backend agent; no DPDK.
 *
 * aces_tcpmig_export() freezes a socket (repair mode: from then on it sends nothing,
 * not even a FIN or RST when closed) and writes its state to a blob: the sequence
 * numbers of both queues, their bytes (the receive queue not read yet; the send queue
 * not acknowledged yet, and how much of it was not sent at all), MSS, window scales,
 * SACK and timestamp options, the timestamp clock and the windows. The blob is a
 * versioned list of tagged fields with a checksum, so a reader skips what it does not
 * know and refuses damage as a whole.
 *
 * aces_tcpmig_import() makes a new socket from a blob, bound to the given local
 * address (the new host's own, or the old one's), connected to the peer in repair mode
 * (no handshake), its queues and options restored, then out of repair mode without a
 * window probe. Whatever was in flight is resent by TCP itself. Between the two, the
 * connection's packets must reach neither socket (held, or dropped: TCP resends them),
 * and the network must deliver the peer's packets to the new socket (ACES re-points
 * the flow).
 *
 * Order of the calls after CRIU's soccr (sequence numbers before connect, options and
 * timestamp after, queues, window last) with what tries on this machine showed: the
 * MSS is set with TCP_MAXSEG before connect as well (through TCP_REPAIR_OPTIONS alone
 * it stays at 524), and the unsent part of the send queue is sent normally once repair
 * mode is off.
 */

#include <stddef.h>
#include <stdint.h>

#define ACES_TCPMIG_VERSION 1

/** What a blob says about its connection (aces_tcpmig_peek()). */
struct aces_tcpmig_info {
	uint32_t local_ip, peer_ip;	/**< network order */
	uint16_t local_port, peer_port;	/**< network order */
	uint32_t snd_seq;		/**< next sequence number to be written (send queue end) */
	uint32_t rcv_seq;		/**< next expected from the peer (receive queue end) */
	uint32_t sendq_len;		/**< bytes not acknowledged by the peer yet */
	uint32_t sendq_unsent;		/**< ... of which never sent */
	uint32_t recvq_len;		/**< bytes received, not read by the application */
	uint16_t mss;
	uint8_t snd_wscale, rcv_wscale;
	uint8_t sack, timestamps, wscale;
};

/**
 * Freeze @p fd (an established TCP socket over IPv4) and write its state to @p buf
 * (@p cap bytes). Returns the blob's length, or -errno with the reason in @p err: then
 * @p fd is out of repair mode again, as it was. On success it stays frozen: close it
 * (silently) once the blob is safely elsewhere, or aces_tcpmig_thaw() it to go on.
 * -ENOBUFS: @p cap is too small (the queues are in it); aces_tcpmig_export_size() says
 * how much is needed.
 */
int64_t aces_tcpmig_export(int fd, void *buf, size_t cap, char *err, size_t errlen);

/** Bytes a blob of @p fd takes now (its queues grow while it is not frozen). */
size_t aces_tcpmig_export_size(int fd);

/** Unfreeze a socket aces_tcpmig_export() froze (the move was called off). 0 or -errno. */
int aces_tcpmig_thaw(int fd);

/**
 * Check a blob whole (magic, version, length, checksum, required fields, sizes) and
 * say what it holds. 0, or -EINVAL with the reason in @p err.
 */
int aces_tcpmig_peek(const void *buf, size_t len, struct aces_tcpmig_info *info, char *err,
		     size_t errlen);

/**
 * A new socket from blob @p buf, bound to @p local_ip (network order; 0: the blob's
 * own address) and the blob's local port, connected to the blob's peer. Returns the
 * socket (blocking), or -errno with the reason in @p err (nothing is left open).
 */
int aces_tcpmig_import(const void *buf, size_t len, uint32_t local_ip, char *err, size_t errlen);

#endif /* ACES_TCPMIG_H */
