/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/param: the telemetry parameters, strict, and pages that never wrap (issue #13's
 * fuzzing findings kept as cases). */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "aces/param.h"
#include "unit.h"

static void
test_param_uint(void)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "01", "007", "1e3", "0x10",
		"1.0", "18446744073709551616", "99999999999999999999", "4294967296", "\n1", NULL };
	uint64_t v;
	size_t i;

	CU_ASSERT(aces_param_uint("0", 10, &v) == 0 && v == 0);
	CU_ASSERT(aces_param_uint("4294967295", UINT32_MAX, &v) == 0 && v == UINT32_MAX);
	CU_ASSERT(aces_param_uint("18446744073709551615", UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CU_ASSERT(aces_param_uint("101", 100, &v) == -1);
	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT(aces_param_uint(bad[i], UINT32_MAX, &v) == -1);
	}
	CU_ASSERT(aces_param_uint(NULL, 1, &v) == -1);
}

static void
test_param_page(void)
{
	uint32_t s, e, n;

	aces_param_page(0, 64, 100, &s, &e, &n);
	CU_ASSERT(s == 0 && e == 64 && n == 64);
	aces_param_page(64, 64, 100, &s, &e, &n);
	CU_ASSERT(s == 64 && e == 100 && n == 0);
	/* the finding: /aces/endpoints,4294967256 answered next_offset 0 (the offset wrapped) */
	aces_param_page(4294967256u, 64, 100, &s, &e, &n);
	CU_ASSERT(s == 100 && e == 100 && n == 0);
	aces_param_page(UINT32_MAX, 64, 100, &s, &e, &n);
	CU_ASSERT(s == 100 && e == 100 && n == 0);
	aces_param_page(99, UINT32_MAX, 100, &s, &e, &n);
	CU_ASSERT(s == 99 && e == 100 && n == 0);
}

static void
test_param_events(void)
{
	CU_ASSERT(aces_param_events_start(0, 1, 10) == 1);
	CU_ASSERT(aces_param_events_start(5, 1, 10) == 6);
	CU_ASSERT(aces_param_events_start(5, 8, 10) == 8);	/* older ones are gone */
	CU_ASSERT(aces_param_events_start(9, 1, 10) == 10);
	CU_ASSERT(aces_param_events_start(50, 1, 10) == 10);
	/* the finding: since = 2^64 - 1 returned the oldest events (since + 1 wrapped) */
	CU_ASSERT(aces_param_events_start(UINT64_MAX, 1, 10) == 10);
	CU_ASSERT(aces_param_events_start(UINT64_MAX - 1, 1, 10) == 10);
}

static void
test_param_client(void)
{
	static const char *const bad[] = { "10.0.0.1", ":80", "10.0.0.1:", "10.0.0.1:0",
		"10.0.0.1:65536", "10.0.0.1:+80", "10.0.0.1: 80", "10.0.0.1:080", "10.0.0:80",
		"010.0.0.1:80", "10.0.0.1:80:80", "x:80", NULL };
	uint32_t ip;
	uint16_t port;
	size_t i;

	CU_ASSERT_FATAL(aces_param_client("10.1.2.3:65535", &ip, &port) == 0);
	CU_ASSERT(ntohl(ip) == 0x0a010203 && ntohs(port) == 65535);
	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT(aces_param_client(bad[i], &ip, &port) == -1);
}

static void
test_param_safe(void)
{
	char out[48], in[100];

	CU_ASSERT_STRING_EQUAL(aces_param_safe("a\"b\\c\nd\xc3\xa9", out, sizeof(out)), "a?b?c?d??");
	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	aces_param_safe(in, out, sizeof(out));
	CU_ASSERT(strlen(out) == 40 && strcmp(out + 37, "...") == 0);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "numbers: plain decimal, no wrap", test_param_uint },
		{ "pages past the end are empty", test_param_page },
		{ "events after since_id, never older", test_param_events },
		{ "CLIENT_IP:PORT", test_param_client },
		{ "what an error echoes", test_param_safe },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("param", tests);
}
