/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT helpers against a full recompute. Input: 7 bytes of rewrite (new address,
 * new port, which end) and a frame. When it parses as TCP/UDP, its checksums are first
 * made right, then rewritten incrementally (aces_nat_rewrite, aces_nat_ttl_dec): the
 * IPv4 and L4 checksums must verify from scratch afterwards, and a UDP checksum of 0
 * stays 0. When it parses as an ICMP error, its ICMP and embedded IPv4 checksums are made
 * right, the embedded header rewritten (aces_nat_icmp_inner): both must verify, and the
 * embedded address and port hold the new values.
 */
#include <string.h>

#include "aces/cksum.h"
#include "aces/nat.h"
#include "aces/parse.h"
#include "fuzz.h"

static int
ip_ok(const uint8_t *ip, size_t ihl)
{
	return aces_cksum_fold(aces_cksum_sum(ip, ihl, 0)) == 0xffff;
}

/* The L4 checksum in place verifies: pseudo-header + segment sum to -0. */
static int
l4_ok(const uint8_t *ip, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	return aces_cksum_fold(aces_cksum_sum(l4, len, aces_cksum_sum(ph, 12, 0))) == 0xffff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t nip;
	uint16_t nport;
	enum aces_nat_end end;
	struct aces_pkt p;
	uint8_t *f, *ip, *l4;
	size_t n, l4len;

	if (size < 7 + 14)
		return 0;
	memcpy(&nip, data, 4);
	memcpy(&nport, data + 4, 2);
	end = (enum aces_nat_end)(data[6] & 1);
	n = size - 7;
	f = malloc(n);
	memcpy(f, data + 7, n);
	if (aces_parse(f, n, &p) != ACES_PARSE_IPV4)
		goto out;
	ip = f + p.l2_len;
	l4 = ip + p.l3_len;
	l4len = (size_t)p.ip_total_len - p.l3_len;
	aces_nat_wr16(ip + ACES_NAT_IP_CKSUM, aces_cksum_ipv4_hdr(ip, p.l3_len));
	if (p.has_l4) {
		size_t off = p.proto == ACES_IPPROTO_TCP ? 16 : 6;
		int udp0 = p.proto == ACES_IPPROTO_UDP && aces_nat_rd16(l4 + 6) == 0;

		uint32_t s, d;

		memcpy(&s, ip + 12, 4);
		memcpy(&d, ip + 16, 4);
		if (!udp0)
			aces_nat_wr16(l4 + off, aces_cksum_l4(s, d, p.proto, l4, l4len));
		aces_nat_rewrite(ip, l4, p.proto, end, nip, nport);
		if (ip[ACES_NAT_IP_TTL] != 0)
			aces_nat_ttl_dec(ip);
		PROMISE(ip_ok(ip, p.l3_len));
		PROMISE(memcmp(ip + (end == ACES_NAT_DST ? 16 : 12), &nip, 4) == 0);
		PROMISE(aces_nat_rd16(l4 + (end == ACES_NAT_DST ? 2 : 0)) == nport);
		if (udp0)
			PROMISE(aces_nat_rd16(l4 + 6) == 0);
		else
			PROMISE(l4_ok(ip, p.proto, l4, l4len));
	} else if (p.icmp_err) {
		uint8_t *in_ip = f + p.inner_off, *in_l4 = in_ip + p.inner_l3_len;
		size_t icmp_len = l4len;

		aces_nat_wr16(in_ip + ACES_NAT_IP_CKSUM, aces_cksum_ipv4_hdr(in_ip, p.inner_l3_len));
		aces_nat_wr16(l4 + 2, 0);
		aces_nat_wr16(l4 + 2, (uint16_t)~aces_cksum_fold(aces_cksum_sum(l4, icmp_len, 0)));
		aces_nat_icmp_inner(l4, in_ip, in_l4, p.inner_l4_avail, p.inner_proto, end, nip, nport);
		PROMISE(ip_ok(in_ip, p.inner_l3_len));
		PROMISE(aces_cksum_fold(aces_cksum_sum(l4, icmp_len, 0)) == 0xffff);
		PROMISE(memcmp(in_ip + (end == ACES_NAT_DST ? 16 : 12), &nip, 4) == 0);
		PROMISE(aces_nat_rd16(in_l4 + (end == ACES_NAT_DST ? 2 : 0)) == nport);
	}
out:
	free(f);
	return 0;
}
