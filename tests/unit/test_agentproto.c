/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agents' messages: SHA-256 and HMAC-SHA-256 against the published vectors (FIPS
 * 180-4 examples, RFC 4231), sealed messages opened again, and every damaged, forged,
 * stale or truncated one refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aces/agentproto.h"
#include "unit.h"

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void
sha_is(const void *data, size_t len, const char *want)
{
	struct aces_sha256 s;
	uint8_t d[32];
	char h[65];
	size_t i;

	/* whole, then byte by byte (the block buffer's edges) */
	aces_sha256_init(&s);
	aces_sha256_update(&s, data, len);
	aces_sha256_final(&s, d);
	hex(d, 32, h);
	CU_ASSERT_STRING_EQUAL(h, want);
	aces_sha256_init(&s);
	for (i = 0; i < len; i++)
		aces_sha256_update(&s, (const uint8_t *)data + i, 1);
	aces_sha256_final(&s, d);
	hex(d, 32, h);
	CU_ASSERT_STRING_EQUAL(h, want);
}

static void
test_sha256(void)
{
	static char million[1000000];

	sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	sha_is(million, sizeof(million),
	       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
hmac_is(const void *key, size_t kl, const void *data, size_t dl, const char *want)
{
	uint8_t d[32];
	char h[65];

	aces_hmac_sha256(key, kl, data, dl, d);
	hex(d, 32, h);
	CU_ASSERT_STRING_EQUAL(h, want);
}

static void
test_hmac(void)
{
	uint8_t k[131], d[50];

	memset(k, 0x0b, 20);	/* RFC 4231 test case 1 */
	hmac_is(k, 20, "Hi There", 8,
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_is("Jefe", 4, "what do ya want for nothing?", 28,	/* case 2 */
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20);	/* case 3 */
	memset(d, 0xdd, 50);
	hmac_is(k, 20, d, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	memset(k, 0xaa, 131);	/* case 6: a key longer than a block */
	hmac_is(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static const char key[] = "a shared secret of the test";

static size_t
seal_move(uint8_t *buf, size_t cap, uint64_t id, uint64_t t)
{
	struct aces_ap_move m = { .local_ip = 0x0a02020a, .local_port = 0x581b, .peer_port = 0x3930,
				  .peer_ip = 0x0201010a, .dst_ip = 0x1402020a,
				  .dst_agent_port = 0x781e, .dst_port = 0x581b, .budget_ms = 1500 };
	struct aces_ap_hdr h = { .type = ACES_AP_MOVE, .len = ACES_AP_MOVE_LEN, .id = id,
				 .time_ms = t };

	aces_ap_move_put(buf + ACES_AP_HDR_LEN, &m);
	return aces_ap_seal(buf, cap, &h, NULL, key, strlen(key));
}

static void
test_roundtrip(void)
{
	uint8_t buf[256];
	struct aces_ap_hdr h;
	struct aces_ap_move m;
	struct aces_ap_result r = { .status = -ENOENT, .stage = ACES_AP_ST_FIND, .frozen_us = 77 },
			      r2;
	struct aces_ap_ack a = { .status = 0 }, a2;
	struct aces_ap_handoff x = { .local_ip = 1, .local_port = 2, .blob_len = 3, .state_len = 4 }, x2;
	char err[128];
	size_t n = seal_move(buf, sizeof(buf), 42, 1000000);

	CU_ASSERT_EQUAL(n, aces_ap_wire_len(ACES_AP_MOVE_LEN));
	CU_ASSERT_EQUAL(seal_move(buf, n - 1, 42, 1000000), 0);	/* too small */
	n = seal_move(buf, sizeof(buf), 42, 1000000);
	CU_ASSERT_EQUAL(aces_ap_open(buf, n, key, strlen(key), 1000500, &h, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(h.type, ACES_AP_MOVE);
	CU_ASSERT_EQUAL(h.id, 42);
	CU_ASSERT_EQUAL(aces_ap_move_get(buf + ACES_AP_HDR_LEN, h.len, &m), 0);
	CU_ASSERT_EQUAL(m.local_ip, 0x0a02020a);
	CU_ASSERT_EQUAL(m.peer_port, 0x3930);
	CU_ASSERT_EQUAL(m.dst_ip, 0x1402020a);
	CU_ASSERT_EQUAL(m.dst_agent_port, 0x781e);
	CU_ASSERT_EQUAL(m.budget_ms, 1500);
	CU_ASSERT_NOT_EQUAL(aces_ap_move_get(buf + ACES_AP_HDR_LEN, h.len - 1, &m), 0);

	snprintf(r.msg, sizeof(r.msg), "no such connection\x01");
	aces_ap_result_put(buf, &r);
	CU_ASSERT_EQUAL(aces_ap_result_get(buf, ACES_AP_RESULT_LEN, &r2), 0);
	CU_ASSERT_EQUAL(r2.status, -ENOENT);
	CU_ASSERT_EQUAL(r2.stage, ACES_AP_ST_FIND);
	CU_ASSERT_EQUAL(r2.frozen_us, 77);
	CU_ASSERT_STRING_EQUAL(r2.msg, "no such connection?");	/* control bytes masked */
	buf[4] = ACES_AP_ST_MAX;
	CU_ASSERT_NOT_EQUAL(aces_ap_result_get(buf, ACES_AP_RESULT_LEN, &r2), 0);
	snprintf(a.msg, sizeof(a.msg), "taken");
	aces_ap_ack_put(buf, &a);
	CU_ASSERT_EQUAL(aces_ap_ack_get(buf, ACES_AP_ACK_LEN, &a2), 0);
	CU_ASSERT_STRING_EQUAL(a2.msg, "taken");
	aces_ap_handoff_put(buf, &x);
	CU_ASSERT_EQUAL(aces_ap_handoff_get(buf, ACES_AP_HANDOFF_LEN + 7, &x2), 0);
	CU_ASSERT_EQUAL(x2.state_len, 4);
	CU_ASSERT_NOT_EQUAL(aces_ap_handoff_get(buf, ACES_AP_HANDOFF_LEN + 8, &x2), 0);
}

static void
test_refused(void)
{
	uint8_t buf[256], bad[256];
	struct aces_ap_hdr h;
	char err[128];
	size_t n = seal_move(buf, sizeof(buf), 7, 5000000), i;
	int bit;

	/* every bit of the message flipped: refused */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, buf, n);
			bad[i] ^= (uint8_t)(1 << bit);
			CU_ASSERT_NOT_EQUAL(aces_ap_open(bad, n, key, strlen(key), 0, &h, err,
							 sizeof(err)), 0);
		}
	}
	CU_ASSERT_EQUAL(aces_ap_open(buf, n, "another secret here", 19, 0, &h, err, sizeof(err)),
			-EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "MAC"));
	for (i = 0; i < n; i++)	/* truncated anywhere */
		CU_ASSERT_NOT_EQUAL(aces_ap_open(buf, i, key, strlen(key), 0, &h, err, sizeof(err)), 0);
	/* recorded and sent again later, or from a clock far ahead */
	CU_ASSERT_EQUAL(aces_ap_open(buf, n, key, strlen(key), 5000000 + ACES_AP_MAX_AGE_MS + 1, &h,
				     err, sizeof(err)), -ETIMEDOUT);
	CU_ASSERT_EQUAL(aces_ap_open(buf, n, key, strlen(key), 5000000 - ACES_AP_MAX_AGE_MS - 1, &h,
				     err, sizeof(err)), -ETIMEDOUT);
	/* random bytes, and random bytes behind a valid magic */
	srand(11);
	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % sizeof(bad), j;

		for (j = 0; j < len; j++)
			bad[j] = (uint8_t)rand();
		if (i & 1 && len >= 4)
			memcpy(bad, buf, 4);
		CU_ASSERT_NOT_EQUAL(aces_ap_open(bad, len, key, strlen(key), 0, &h, err, sizeof(err)), 0);
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "SHA-256 vectors", test_sha256 },
		{ "HMAC-SHA-256 vectors (RFC 4231)", test_hmac },
		{ "messages sealed and opened", test_roundtrip },
		{ "damaged, forged, stale, truncated: refused", test_refused },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("agentproto", tests);
}
