/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "aces/cksum.h"

uint32_t
aces_cksum_sum(const void *data, size_t len, uint32_t initial)
{
	const uint8_t *p = data;
	uint64_t sum = initial;
	uint16_t w;

	while (len >= 2) {
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		w = 0;
		memcpy(&w, p, 1);	/* pad with a zero byte, in memory order */
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffff) + (sum >> 32);
	return aces_cksum_fold((uint32_t)sum) ;
}

uint16_t
aces_cksum_ipv4_hdr(const void *ip_hdr, size_t ihl_bytes)
{
	uint8_t buf[60];

	if (ihl_bytes > sizeof(buf))
		ihl_bytes = sizeof(buf);
	memcpy(buf, ip_hdr, ihl_bytes);
	buf[10] = 0;
	buf[11] = 0;
	return (uint16_t)~aces_cksum_fold(aces_cksum_sum(buf, ihl_bytes, 0));
}

uint16_t
aces_cksum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, size_t l4_len)
{
	const uint8_t *p = l4;
	size_t ck_off = proto == 6 ? 16 : 6;
	uint8_t pseudo[12];
	uint16_t plen = (uint16_t)l4_len;
	uint32_t sum;
	uint16_t zero = 0, res;

	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = proto;
	pseudo[10] = (uint8_t)(plen >> 8);
	pseudo[11] = (uint8_t)plen;
	sum = aces_cksum_sum(pseudo, sizeof(pseudo), 0);
	/* Sum around the checksum field so the input stays const. */
	sum = aces_cksum_sum(p, ck_off, sum);
	sum = aces_cksum_sum(&zero, 2, sum);
	if (l4_len > ck_off + 2)
		sum = aces_cksum_sum(p + ck_off + 2, l4_len - ck_off - 2, sum);
	res = (uint16_t)~aces_cksum_fold(sum);
	if (proto == 17 && res == 0)
		res = 0xffff;	/* RFC 768: a computed 0 is sent as all ones */
	return res;
}
