/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/resp: a Redis connection's session and reply count as the relay sees it, fed whole and
 * byte by byte (every split point), RESP2 and RESP3, pushes and attributes; the commands
 * that rebuild a session; garbage that must not crash it.
 */
#include <stdlib.h>
#include <string.h>

#include "aces/resp.h"
#include "unit.h"

static struct aces_resp_conn c;

/* Feed @cl to the client side and @sv to the server side, whole or byte by byte. */
static void
feed(const char *cl, const char *sv, int bytewise)
{
	size_t i;

	if (bytewise) {
		for (i = 0; cl && cl[i]; i++)
			aces_resp_client(&c, cl + i, 1);
		for (i = 0; sv && sv[i]; i++)
			aces_resp_server(&c, sv + i, 1);
	} else {
		if (cl)
			aces_resp_client(&c, cl, strlen(cl));
		if (sv)
			aces_resp_server(&c, sv, strlen(sv));
	}
}

static void
test_session(void)
{
	int bw;

	for (bw = 0; bw < 2; bw++) {
		aces_resp_init(&c);
		feed("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$6\r\nclient\r\n$7\r\nsetname\r\n$4\r\nweb1\r\n",
		     NULL, bw);
		CU_ASSERT_EQUAL(c.s.db, 3);
		CU_ASSERT(c.s.has_name && strcmp(c.s.name, "web1") == 0);
		CU_ASSERT_EQUAL(c.expected, 2);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_WAITING);
		feed(NULL, "+OK\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_WAITING);
		feed(NULL, "+OK\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
		/* inline, a half-sent command, replies of every shape */
		feed("PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel", NULL, bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_WAITING);
		feed("lo\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$4\r\nHGET\r\n$1\r\nh\r\n"
		     "*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n*1\r\n$4\r\nINFO\r\n*1\r\n$4\r\nMGET\r\n",
		     "+PONG\r\n+OK\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n"
		     "|1\r\n+ttl\r\n:3\r\n$3\r\nabc\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_WAITING);	/* MGET not answered */
		feed(NULL, "%1\r\n+a\r\n*0\r\n", bw);
		CU_ASSERT_EQUAL(c.replies, c.expected);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
		/* MULTI/EXEC and WATCH */
		feed("*1\r\n$5\r\nMULTI\r\n", "+OK\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_MULTI);
		feed("*1\r\n$4\r\nEXEC\r\n", "*1\r\n-ERR in exec\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
		feed("*2\r\n$5\r\nWATCH\r\n$1\r\nk\r\n", "+OK\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_MULTI);
		feed("*1\r\n$7\r\nUNWATCH\r\n", "+OK\r\n", bw);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
		/* RESET: a fresh session, counts go on */
		feed("*1\r\n$5\r\nRESET\r\n", "+RESET\r\n", bw);
		CU_ASSERT_EQUAL(c.s.db, 0);
		CU_ASSERT(!c.s.has_name);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
	}
}

static void
test_pubsub(void)
{
	int bw;

	for (bw = 0; bw < 2; bw++) {
		aces_resp_init(&c);
		feed("*3\r\n$9\r\nSUBSCRIBE\r\n$2\r\nc1\r\n$2\r\nc2\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\np*\r\n",
		     "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n", bw);
		CU_ASSERT_EQUAL(c.expected, 3);
		CU_ASSERT_EQUAL(c.s.n_subs, 2);
		CU_ASSERT_EQUAL(c.s.n_psubs, 1);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_WAITING);
		/* a message between the confirmations is no reply */
		feed(NULL, "*3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$2\r\nhi\r\n"
		     "*3\r\n$9\r\nsubscribe\r\n$2\r\nc2\r\n:2\r\n"
		     "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n"
		     "*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$1\r\nx\r\n", bw);
		CU_ASSERT_EQUAL(c.replies, 3);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
		feed("*2\r\n$11\r\nUNSUBSCRIBE\r\n$2\r\nc1\r\n", "*3\r\n$11\r\nunsubscribe\r\n$2\r\nc1\r\n:2\r\n", bw);
		CU_ASSERT_EQUAL(c.s.n_subs, 1);
		CU_ASSERT_STRING_EQUAL(c.s.subs[0], "c2");
		CU_ASSERT_STRING_EQUAL(c.s.subs[1], "p*");
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
	}
	/* RESP3: pushes are told apart by type */
	aces_resp_init(&c);
	feed("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0);
	CU_ASSERT_EQUAL(c.s.proto, 3);
	feed("*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n", ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
	     ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n", 0);
	CU_ASSERT_EQUAL(c.replies, c.expected);
	CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_OK);
}

static void
test_stuck(void)
{
	static const char *const cmds[] = {
		"*1\r\n$7\r\nMONITOR\r\n",
		"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n",
		"*2\r\n$10\r\nSSUBSCRIBE\r\n$1\r\nx\r\n",
		"*2\r\n+x\r\n",	/* an array of something else than bulk strings */
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		aces_resp_init(&c);
		feed(cmds[i], NULL, 0);
		CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_STUCK);
		CU_ASSERT(c.why[0] != '\0');
	}
	aces_resp_init(&c);
	feed("PING\r\n", "+PONG\r\n+PONG\r\n", 0);	/* more replies than commands */
	CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_STUCK);
	aces_resp_init(&c);
	feed("PING\r\n", "?what\r\n", 0);
	CU_ASSERT_EQUAL(aces_resp_movable(&c), ACES_RESP_STUCK);
}

static void
test_replay(void)
{
	char buf[1024];
	uint32_t n;
	int64_t len;
	struct aces_resp_parser p;
	size_t used;
	int err;

	aces_resp_init(&c);
	CU_ASSERT_EQUAL(aces_resp_replay(&c.s, buf, sizeof(buf), &n), 0);	/* nothing to do */
	CU_ASSERT_EQUAL(n, 0);
	feed("*3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"
	     "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n"
	     "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nb*\r\n", NULL, 0);
	len = aces_resp_replay(&c.s, buf, sizeof(buf), &n);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_FATAL(len > 0);
	buf[len] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "*3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$2\r\npw\r\n"
			       "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n"
			       "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n"
			       "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nb*\r\n");
	CU_ASSERT_EQUAL(aces_resp_replay(&c.s, buf, 20, &n), -1);	/* too small */
	aces_resp_init(&c);
	feed("*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\n$7\r\nSETNAME\r\n$2\r\nnm\r\n",
	     NULL, 1);
	len = aces_resp_replay(&c.s, buf, sizeof(buf), &n);
	CU_ASSERT_FATAL(len > 0);
	buf[len] = '\0';
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(buf, "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\n"
			       "$7\r\nSETNAME\r\n$2\r\nnm\r\n");
	/* the replies to a replay, counted, an error told */
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL(aces_resp_count_replies(&p, "+OK\r\n-ERR no\r\n:1", 17, &used, &err), 2);
	CU_ASSERT_EQUAL(used, 17);	/* the partial third is consumed, not counted */
	CU_ASSERT(err);
}

static void
test_garbage(void)
{
	char b[512];
	int i, k;

	srand(5);
	for (i = 0; i < 3000; i++) {
		int n = rand() % (int)sizeof(b);

		for (k = 0; k < n; k++)
			b[k] = (char)(i & 1 ? "*$\r\n0123456789+-:%>|~abc"[rand() % 24] : rand());
		aces_resp_init(&c);
		aces_resp_client(&c, b, (size_t)n);
		aces_resp_server(&c, b, (size_t)n);
		(void)aces_resp_movable(&c);
	}
	CU_PASS("no crash on random bytes");
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "session and reply counts", test_session },
		{ "subscriptions and pushes", test_pubsub },
		{ "what cannot move", test_stuck },
		{ "replay of a session", test_replay },
		{ "random bytes", test_garbage },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("resp", tests);
}
