/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <string.h>

#include "aces/param.h"

int
aces_param_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

void
aces_param_page(uint64_t off, uint32_t page, uint32_t total, uint32_t *start, uint32_t *end,
		uint32_t *next)
{
	uint64_t e;

	if (off >= total) {
		*start = *end = total;
		*next = 0;
		return;
	}
	e = off + (page != 0 ? page : 1);	/* < 2^33: no wrap in 64 bits; never empty */
	*start = (uint32_t)off;
	*end = e < total ? (uint32_t)e : total;
	*next = *end < total ? *end : 0;
}

uint64_t
aces_param_events_start(uint64_t since, uint64_t first, uint64_t next)
{
	if (since >= next || since == UINT64_MAX)
		return next;
	return since + 1 > first ? since + 1 : first;
}

int
aces_param_client(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[32];
	const char *colon;
	uint64_t p;
	struct in_addr a;
	size_t n;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || aces_param_uint(colon + 1, 65535, &p) != 0 ||
	    p == 0)
		return -1;
	*ip = a.s_addr;
	*port = htons((uint16_t)p);
	return 0;
}

const char *
aces_param_safe(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len && i < 40; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' : (char)c;
	}
	out[i] = '\0';
	if (in[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
	return out;
}
