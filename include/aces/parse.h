/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_PARSE_H
#define ACES_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "aces/pkt-t.h"

/**
 * Parse one frame of @p len readable bytes at @p data.
 *
 * Accepts Ethernet II with up to two VLAN tags, then ARP or IPv4 (IP options
 * allowed). IPv4 total length must fit in the bytes present (trailing Ethernet
 * padding is allowed and ignored); fragments are reported as such, never
 * parsed past L3. An ICMP error's embedded IPv4 + TCP/UDP header is read when it is
 * complete (icmp_err). Never reads outside [data, data + len).
 *
 * @return an enum aces_parse_result; @p pkt is valid up to the layer reached.
 */
enum aces_parse_result aces_parse(const uint8_t *data, size_t len, struct aces_pkt *pkt);

/**
 * aces_parse() of a frame of @p frame_len bytes whose first @p len are at @p data
 * (a multi-segment mbuf: a reassembled datagram, a jumbo frame): every header must be
 * in the first @p len bytes, the IPv4 total length within @p frame_len.
 */
enum aces_parse_result aces_parse_seg(const uint8_t *data, size_t len, size_t frame_len,
				      struct aces_pkt *pkt);

/** Name of a parse result, for logs and tests. */
const char *aces_parse_result_name(enum aces_parse_result r);

#endif /* ACES_PARSE_H */
