/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "aces/cksum.h"
#include "aces/nat.h"

/* IPv4 and L4 header offsets: the headers may sit at any alignment in a frame. */
#define IP_TTL		8
#define IP_CKSUM	10
#define IP_SRC		12
#define IP_DST		16
#define TCP_CKSUM	16
#define UDP_CKSUM	6
#define PROTO_TCP	6
#define PROTO_UDP	17

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

void
aces_nat_rewrite(void *ip_hdr, void *l4_hdr, uint8_t proto, enum aces_nat_end end, uint32_t new_ip,
		 uint16_t new_port)
{
	uint8_t *ip = ip_hdr, *l4 = l4_hdr;
	size_t a_off = end == ACES_NAT_DST ? IP_DST : IP_SRC;
	size_t p_off = end == ACES_NAT_DST ? 2 : 0;
	uint32_t old_ip;
	uint16_t old_port, ck;

	memcpy(&old_ip, ip + a_off, 4);
	wr16(ip + IP_CKSUM, aces_cksum_update32(rd16(ip + IP_CKSUM), old_ip, new_ip));
	memcpy(ip + a_off, &new_ip, 4);
	if (proto != PROTO_TCP && proto != PROTO_UDP)
		return;
	old_port = rd16(l4 + p_off);
	if (proto == PROTO_TCP) {
		ck = aces_cksum_update32(rd16(l4 + TCP_CKSUM), old_ip, new_ip);
		wr16(l4 + TCP_CKSUM, aces_cksum_update16(ck, old_port, new_port));
	} else if ((ck = rd16(l4 + UDP_CKSUM)) != 0) {	/* 0: the sender did not checksum */
		ck = aces_cksum_update32(ck, old_ip, new_ip);
		ck = aces_cksum_update16(ck, old_port, new_port);
		wr16(l4 + UDP_CKSUM, ck == 0 ? 0xffff : ck);
	}
	wr16(l4 + p_off, new_port);
}

void
aces_nat_ttl_dec(void *ip_hdr)
{
	uint8_t *ip = ip_hdr;
	uint16_t old = rd16(ip + IP_TTL);

	ip[IP_TTL]--;
	wr16(ip + IP_CKSUM, aces_cksum_update16(rd16(ip + IP_CKSUM), old, rd16(ip + IP_TTL)));
}
