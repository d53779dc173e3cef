/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry parameters (lib/param): a number is accepted only as the plain decimal it
 * prints back to, never above its bound; a page stays inside the list and a next offset
 * moves forward; a journal read never starts at or before since_id (nor before the
 * oldest kept); CLIENT_IP:PORT round-trips; what an error echoes is printable and short.
 * Input: 8 bytes of numbers, then the text.
 */
#include <arpa/inet.h>
#include <string.h>

#include "aces/param.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t nums[3] = { 0, 0, 0 }, v;
	char *text, buf[64], out[48];
	uint32_t start, end, next, ip;
	uint16_t port;
	size_t i;

	if (size < 24)
		return 0;
	memcpy(nums, data, 24);
	text = malloc(size - 24 + 1);
	memcpy(text, data + 24, size - 24);
	text[size - 24] = '\0';

	if (aces_param_uint(text, nums[0], &v) == 0) {
		PROMISE(v <= nums[0]);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		PROMISE(strcmp(buf, text) == 0);
	}
	aces_param_page(nums[0], (uint32_t)nums[1], (uint32_t)nums[2], &start, &end, &next);
	PROMISE(start <= end && end <= (uint32_t)nums[2]);
	PROMISE(end - start <= ((uint32_t)nums[1] ? (uint32_t)nums[1] : 1));
	PROMISE(next == 0 || (next == end && next < (uint32_t)nums[2] && next > nums[0]));
	if (nums[0] < (uint32_t)nums[2])
		PROMISE(start == nums[0]);
	{
		uint64_t first = nums[1] < nums[2] ? nums[1] : nums[2];
		uint64_t last = nums[1] < nums[2] ? nums[2] : nums[1];
		uint64_t r = aces_param_events_start(nums[0], first, last);

		PROMISE(r == last || (r > nums[0] && r >= first && r < last));
	}
	if (aces_param_client(text, &ip, &port) == 0) {
		struct in_addr a = { .s_addr = ip };

		snprintf(buf, sizeof(buf), "%s:%u", inet_ntoa(a), ntohs(port));
		PROMISE(strcmp(buf, text) == 0 && port != 0);
	}
	aces_param_safe(text, out, sizeof(out));
	PROMISE(strlen(out) <= 40);
	for (i = 0; out[i] != '\0'; i++)
		PROMISE(out[i] >= 0x20 && out[i] < 0x7f && out[i] != '"' && out[i] != '\\');
	free(text);
	return 0;
}
