/* SPDX-License-Identifier: BSD-3-Clause */
/* A Redis connection's session and its replies counted, as a relay sees it (aces/resp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aces/resp.h"

enum { S_TYPE = 0, S_LINE, S_NUM, S_BULK, S_INLINE };

void
aces_resp_init(struct aces_resp_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->s.version = ACES_RESP_SESSION_VERSION;
	c->s.proto = 2;
}

static void
stuck(struct aces_resp_conn *c, const char *why)
{
	if (!c->stuck)
		snprintf(c->why, sizeof(c->why), "%s", why);
	c->stuck = 1;
}

enum aces_resp_hold
aces_resp_movable(const struct aces_resp_conn *c)
{
	if (c->stuck)
		return ACES_RESP_STUCK;
	if (c->in_multi || c->watching)
		return ACES_RESP_MULTI;
	if (c->replies < c->expected || c->cp.state != S_TYPE || c->sp.state != S_TYPE ||
	    c->sp.depth != 0)
		return ACES_RESP_WAITING;
	return ACES_RESP_OK;
}

/* ---- the client's commands ---- */

static int
arg_is(const struct aces_resp_parser *p, uint32_t i, const char *s)
{
	return i < p->argn && i < 8 && p->arg_len[i] == strlen(s) &&
	       strncasecmp(p->args + p->arg_off[i], s, p->arg_len[i]) == 0;
}

static int
arg_copy(const struct aces_resp_parser *p, uint32_t i, char *out, size_t cap)
{
	if (i >= p->argn || i >= 8 || p->arg_len[i] >= cap)
		return -1;
	memcpy(out, p->args + p->arg_off[i], p->arg_len[i]);
	out[p->arg_len[i]] = '\0';
	return 0;
}

static int
sub_find(const struct aces_resp_session *s, int pattern, const char *name)
{
	int i, from = pattern ? s->n_subs : 0, to = pattern ? s->n_subs + s->n_psubs : s->n_subs;

	for (i = from; i < to; i++)
		if (strcmp(s->subs[i], name) == 0)
			return i;
	return -1;
}

static void
sub_add(struct aces_resp_conn *c, int pattern, const char *name)
{
	struct aces_resp_session *s = &c->s;
	int n = s->n_subs + s->n_psubs, at;

	if (sub_find(s, pattern, name) >= 0)
		return;
	if (n == ACES_RESP_SUBS_MAX) {
		stuck(c, "too many subscriptions to carry");
		return;
	}
	at = pattern ? n : s->n_subs;	/* channels first, then patterns */
	memmove(s->subs[at + 1], s->subs[at], (size_t)(n - at) * ACES_RESP_CHAN_MAX);
	snprintf(s->subs[at], ACES_RESP_CHAN_MAX, "%s", name);
	if (pattern)
		s->n_psubs++;
	else
		s->n_subs++;
}

static void
sub_del(struct aces_resp_session *s, int pattern, const char *name)
{
	int n = s->n_subs + s->n_psubs, i = sub_find(s, pattern, name);

	if (i < 0)
		return;
	memmove(s->subs[i], s->subs[i + 1], (size_t)(n - i - 1) * ACES_RESP_CHAN_MAX);
	if (pattern)
		s->n_psubs--;
	else
		s->n_subs--;
}

/* A complete command: its replies expected, its effect on the session. */
static void
cmd_done(struct aces_resp_conn *c)
{
	struct aces_resp_parser *p = &c->cp;
	struct aces_resp_session *s = &c->s;
	uint64_t expect = 1;
	uint32_t i, argc = p->argn;
	char a[ACES_RESP_CHAN_MAX];

	c->commands++;
	if (argc == 0)
		return;
	if (p->args_over && (arg_is(p, 0, "subscribe") || arg_is(p, 0, "psubscribe") ||
			     arg_is(p, 0, "unsubscribe") || arg_is(p, 0, "punsubscribe") ||
			     arg_is(p, 0, "auth") || arg_is(p, 0, "hello") || arg_is(p, 0, "client")))
		stuck(c, "a session command too long to keep");
	if (arg_is(p, 0, "select") && arg_copy(p, 1, a, sizeof(a)) == 0) {
		s->db = (int32_t)strtol(a, NULL, 10);
	} else if (arg_is(p, 0, "auth")) {
		if (argc == 2) {
			s->user[0] = '\0';
			arg_copy(p, 1, s->pass, sizeof(s->pass));
		} else if (argc == 3) {
			arg_copy(p, 1, s->user, sizeof(s->user));
			arg_copy(p, 2, s->pass, sizeof(s->pass));
		}
		s->has_auth = 1;
	} else if (arg_is(p, 0, "hello")) {
		if (argc >= 2 && arg_copy(p, 1, a, sizeof(a)) == 0)
			s->proto = (uint8_t)(strtol(a, NULL, 10) == 3 ? 3 : 2);
		for (i = 2; i < argc && i < 8; i++) {
			if (arg_is(p, i, "auth") && i + 2 < argc) {
				arg_copy(p, i + 1, s->user, sizeof(s->user));
				arg_copy(p, i + 2, s->pass, sizeof(s->pass));
				s->has_auth = 1;
				i += 2;
			} else if (arg_is(p, i, "setname") && i + 1 < argc) {
				s->has_name = arg_copy(p, i + 1, s->name, sizeof(s->name)) == 0;
				i++;
			}
		}
	} else if (arg_is(p, 0, "client") && arg_is(p, 1, "setname")) {
		s->has_name = arg_copy(p, 2, s->name, sizeof(s->name)) == 0 && s->name[0] != '\0';
	} else if (arg_is(p, 0, "client") && arg_is(p, 1, "reply")) {
		if (arg_is(p, 2, "off") || arg_is(p, 2, "skip"))
			stuck(c, "CLIENT REPLY OFF/SKIP: replies cannot be counted");
	} else if (arg_is(p, 0, "subscribe") || arg_is(p, 0, "psubscribe") ||
		   arg_is(p, 0, "ssubscribe")) {
		int pat = arg_is(p, 0, "psubscribe");

		if (arg_is(p, 0, "ssubscribe"))
			stuck(c, "sharded subscriptions are not carried");
		expect = argc - 1;	/* one confirmation per channel */
		for (i = 1; i < argc && i < 8; i++)
			if (arg_copy(p, i, a, sizeof(a)) == 0)
				sub_add(c, pat, a);
			else
				stuck(c, "a channel name too long to carry");
		if (argc > 8)
			stuck(c, "more channels in one command than are kept");
	} else if (arg_is(p, 0, "unsubscribe") || arg_is(p, 0, "punsubscribe")) {
		int pat = arg_is(p, 0, "punsubscribe");
		uint32_t had = pat ? c->s.n_psubs : c->s.n_subs;

		if (argc == 1) {
			expect = had > 0 ? had : 1;
			if (pat)
				s->n_psubs = 0;
			else
				s->n_subs = 0;
		} else {
			expect = argc - 1;
			for (i = 1; i < argc && i < 8; i++)
				if (arg_copy(p, i, a, sizeof(a)) == 0)
					sub_del(s, pat, a);
		}
	} else if (arg_is(p, 0, "multi")) {
		c->in_multi = 1;
	} else if (arg_is(p, 0, "exec") || arg_is(p, 0, "discard")) {
		c->in_multi = 0;
		c->watching = 0;
	} else if (arg_is(p, 0, "watch")) {
		c->watching = 1;
	} else if (arg_is(p, 0, "unwatch")) {
		c->watching = 0;
	} else if (arg_is(p, 0, "monitor")) {
		stuck(c, "MONITOR streams forever");
	} else if (arg_is(p, 0, "reset")) {
		/* back to a fresh connection's session: the counts go on */
		memset(s, 0, sizeof(*s));
		s->version = ACES_RESP_SESSION_VERSION;
		s->proto = 2;
		c->in_multi = c->watching = 0;
	}
	c->expected += expect;
}

void
aces_resp_client(struct aces_resp_conn *c, const void *data, size_t len)
{
	struct aces_resp_parser *p = &c->cp;
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len && !c->stuck; i++) {
		uint8_t ch = b[i];

		switch (p->state) {
		case S_TYPE:
			if (p->argc == 0) {	/* a command starts */
				p->argn = p->args_len = 0;
				p->args_over = 0;
				if (ch == '*') {
					p->state = S_NUM;
					p->num = 0;
					p->type = '*';
				} else if (ch == '\r' || ch == '\n') {
					/* empty inline lines are ignored by Redis */
				} else {
					p->inline_cmd = 1;
					p->state = S_INLINE;
					p->arg_off[0] = 0;
					p->arg_len[0] = 0;
					i--;	/* this byte is the line's first */
				}
			} else if (ch == '$') {
				p->state = S_NUM;
				p->num = 0;
				p->type = '$';
			} else {
				stuck(c, "not a RESP command");
			}
			break;
		case S_NUM:
			if (ch >= '0' && ch <= '9') {
				p->num = p->num * 10 + (ch - '0');
				if (p->num > (1ll << 40))
					stuck(c, "a length out of range");
			} else if (ch == '\n') {
				if (p->type == '*') {
					p->argc = (uint32_t)p->num;
					p->state = S_TYPE;
					if (p->argc == 0)
						cmd_done(c);
				} else {
					p->left = p->num + 2;
					if (p->argn < 8) {
						p->arg_off[p->argn] = (uint16_t)p->args_len;
						p->arg_len[p->argn] = 0;
					}
					p->state = S_BULK;
				}
			} else if (ch != '\r') {
				stuck(c, "a bad length");
			}
			break;
		case S_BULK: {
			size_t take = len - i < (size_t)p->left ? len - i : (size_t)p->left, k;

			for (k = 0; k < take; k++) {
				int64_t pos = p->num + 2 - p->left + (int64_t)k;	/* in the argument */

				if (pos < p->num) {
					if (p->args_len < ACES_RESP_ARGS_MAX) {
						p->args[p->args_len++] = (char)b[i + k];
						if (p->argn < 8)
							p->arg_len[p->argn]++;
					} else {
						p->args_over = 1;
					}
				}
			}
			p->left -= (int64_t)take;
			i += take - 1;
			if (p->left == 0) {
				p->argn++;
				p->state = S_TYPE;
				if (p->argn == p->argc) {
					p->argc = 0;
					cmd_done(c);
				}
			}
			break;
		}
		case S_INLINE:
			if (ch == '\n') {
				if (p->argn < 8 && p->arg_len[p->argn] > 0)
					p->argn++;
				p->state = S_TYPE;
				p->argc = 0;
				p->inline_cmd = 0;
				cmd_done(c);
			} else if (ch == ' ' || ch == '\r' || ch == '\t') {
				if (p->argn < 8 && p->arg_len[p->argn] > 0) {
					p->argn++;
					if (p->argn < 8) {
						p->arg_off[p->argn] = (uint16_t)p->args_len;
						p->arg_len[p->argn] = 0;
					}
				}
			} else if (p->args_len < ACES_RESP_ARGS_MAX) {
				p->args[p->args_len++] = (char)ch;
				if (p->argn < 8)
					p->arg_len[p->argn]++;
			} else {
				p->args_over = 1;
			}
			break;
		default:
			break;
		}
	}
}

/* ---- the server's replies ---- */

/*
 * A value ended at the current depth: pop finished aggregates; 1 when a top-level value
 * ended. Marks the top-level value as a push or an attribute as it began.
 */
static int
value_done(struct aces_resp_parser *p)
{
	while (p->depth > 0) {
		if (--p->stack[p->depth - 1] > 0)
			return 0;
		p->depth--;
	}
	return 1;
}

/* Feed server bytes; @on_top is called for each top-level value with (push/attr flags). */
static size_t
parse_server(struct aces_resp_parser *p, const uint8_t *b, size_t len, int subscribed,
	     void (*on_top)(void *arg, int counted, int error), void *arg, uint32_t max_tops,
	     int *bad)
{
	uint32_t tops = 0;
	size_t i;

	for (i = 0; i < len && tops < max_tops; i++) {
		uint8_t ch = b[i];
		int top_end = 0;

		switch (p->state) {
		case S_TYPE:
			p->type = ch;
			if (p->depth == 0) {
				p->top_type = ch;
				p->top_push = ch == '>';
				p->top_attr = ch == '|';
				p->first_len = 0;
				p->in_first = 0;
			}
			if (p->depth == 1 && p->stack[0] >= 0 && p->in_first == 1)
				p->in_first = 2;	/* the first element of the top aggregate */
			p->num = 0;
			p->neg = 0;
			switch (ch) {
			case '+': case '-': case ':': case '_': case ',': case '#': case '(':
				p->state = S_LINE;
				break;
			case '$': case '!': case '=': case '*': case '~': case '>': case '%': case '|':
				p->state = S_NUM;
				break;
			default:
				*bad = 1;
				return i;
			}
			break;
		case S_LINE:
			if (p->in_first == 2 && ch != '\r' && ch != '\n' && p->first_len < sizeof(p->first))
				p->first[p->first_len++] = ch;
			if (ch == '\n') {
				p->state = S_TYPE;
				if (p->in_first == 2)
					p->in_first = 3;
				top_end = value_done(p);
			}
			break;
		case S_NUM:
			if (ch == '-') {
				p->neg = 1;
			} else if (ch >= '0' && ch <= '9') {
				p->num = p->num * 10 + (ch - '0');
				if (p->num > (1ll << 40)) {
					*bad = 1;
					return i;
				}
			} else if (ch == '\n') {
				int agg = p->type == '*' || p->type == '~' || p->type == '>' ||
					  p->type == '%' || p->type == '|';
				int64_t n = p->neg ? -1 : p->num;

				p->state = S_TYPE;
				if (agg) {
					if (p->type == '%' || p->type == '|')
						n *= 2;
					if (n <= 0) {
						top_end = value_done(p);
					} else if (p->depth == 16) {
						*bad = 1;
						return i;
					} else {
						p->stack[p->depth++] = n;
						if (p->depth == 1)
							p->in_first = 1;
					}
				} else if (n < 0) {
					top_end = value_done(p);	/* a null bulk */
				} else {
					p->left = n + 2;
					p->state = S_BULK;
				}
			} else if (ch != '\r') {
				*bad = 1;
				return i;
			}
			break;
		case S_BULK: {
			size_t take = len - i < (size_t)p->left ? len - i : (size_t)p->left, k;

			if (p->in_first == 2)
				for (k = 0; k < take && p->first_len < sizeof(p->first); k++)
					if (b[i + k] != '\r' && b[i + k] != '\n')
						p->first[p->first_len++] = b[i + k];
			p->left -= (int64_t)take;
			i += take - 1;
			if (p->left == 0) {
				p->state = S_TYPE;
				if (p->in_first == 2)
					p->in_first = 3;
				top_end = value_done(p);
			}
			break;
		}
		default:
			break;
		}
		if (top_end) {
			int counted = 1, error = p->top_type == '-' || p->top_type == '!';
			const char *f = (const char *)p->first;
			uint32_t fl = p->first_len, skip = fl > 0 && (f[0] == 'p' || f[0] == 'P');

			if (p->top_attr) {
				counted = 0;	/* an attribute: its reply follows */
			} else if (p->top_push || subscribed) {
				/* a message is a push; an (un)subscribe confirmation is a reply */
				int message = (fl == 7 && strncasecmp(f, "message", 7) == 0) ||
					      (fl == 8 && (strncasecmp(f, "pmessage", 8) == 0 ||
							   strncasecmp(f, "smessage", 8) == 0));
				int confirm = (fl == 9 + skip && strncasecmp(f + skip, "subscribe", 9) == 0) ||
					      (fl == 11 + skip && strncasecmp(f + skip, "unsubscribe", 11) == 0);

				if (message || (p->top_push && !confirm))
					counted = 0;	/* RESP3: other pushes (invalidations) too */
			}
			on_top(arg, counted, error);
			tops++;
		}
	}
	return i;
}

static void
conn_top(void *arg, int counted, int error)
{
	struct aces_resp_conn *c = arg;

	(void)error;
	if (counted)
		c->replies++;
}

void
aces_resp_server(struct aces_resp_conn *c, const void *data, size_t len)
{
	int bad = 0;

	if (c->stuck)
		return;
	parse_server(&c->sp, data, len, c->s.n_subs + c->s.n_psubs > 0 && c->s.proto == 2, conn_top,
		     c, UINT32_MAX, &bad);
	if (bad)
		stuck(c, "a reply that is not RESP");
	if (c->replies > c->expected)
		stuck(c, "more replies than commands (a reply mode not followed)");
}

struct count_arg {
	uint32_t n;
	int error;
};

static void
count_top(void *arg, int counted, int error)
{
	struct count_arg *a = arg;

	if (counted)
		a->n++;
	a->error |= error;
}

uint32_t
aces_resp_count_replies(struct aces_resp_parser *p, const void *data, size_t len, size_t *used,
			int *error)
{
	struct count_arg a = { 0, 0 };
	int bad = 0;

	*used = parse_server(p, data, len, 0, count_top, &a, UINT32_MAX, &bad);
	*error = a.error || bad;
	return a.n;
}

/* ---- rebuilding a session ---- */

static int
put_cmd(char *buf, size_t cap, size_t *off, int argc, const char *const *argv)
{
	int i, n = snprintf(buf + *off, cap - *off, "*%d\r\n", argc);

	if (n < 0 || (size_t)n >= cap - *off)
		return -1;
	*off += (size_t)n;
	for (i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);

		n = snprintf(buf + *off, cap - *off, "$%zu\r\n", l);
		if (n < 0 || (size_t)n + l + 2 > cap - *off)
			return -1;
		*off += (size_t)n;
		memcpy(buf + *off, argv[i], l);
		memcpy(buf + *off + l, "\r\n", 2);
		*off += l + 2;
	}
	return 0;
}

int64_t
aces_resp_replay(const struct aces_resp_session *s, char *buf, size_t cap, uint32_t *n_replies)
{
	const char *argv[3 + ACES_RESP_SUBS_MAX];
	char db[16];
	size_t off = 0;
	int i, n;

	*n_replies = 0;
	if (s->proto == 3) {
		n = 0;
		argv[n++] = "HELLO";
		argv[n++] = "3";
		if (s->has_auth) {
			argv[n++] = "AUTH";
			argv[n++] = s->user[0] ? s->user : "default";
			argv[n++] = s->pass;
		}
		if (s->has_name) {
			argv[n++] = "SETNAME";
			argv[n++] = s->name;
		}
		if (put_cmd(buf, cap, &off, n, argv) != 0)
			return -1;
		(*n_replies)++;
	} else {
		if (s->has_auth) {
			n = 0;
			argv[n++] = "AUTH";
			if (s->user[0])
				argv[n++] = s->user;
			argv[n++] = s->pass;
			if (put_cmd(buf, cap, &off, n, argv) != 0)
				return -1;
			(*n_replies)++;
		}
		if (s->has_name) {
			argv[0] = "CLIENT";
			argv[1] = "SETNAME";
			argv[2] = s->name;
			if (put_cmd(buf, cap, &off, 3, argv) != 0)
				return -1;
			(*n_replies)++;
		}
	}
	if (s->db != 0) {
		snprintf(db, sizeof(db), "%d", s->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (put_cmd(buf, cap, &off, 2, argv) != 0)
			return -1;
		(*n_replies)++;
	}
	for (i = 0; i < 2; i++) {
		int from = i == 0 ? 0 : s->n_subs, k = i == 0 ? s->n_subs : s->n_psubs, j;

		if (k == 0)
			continue;
		argv[0] = i == 0 ? "SUBSCRIBE" : "PSUBSCRIBE";
		for (j = 0; j < k; j++)
			argv[1 + j] = s->subs[from + j];
		if (put_cmd(buf, cap, &off, 1 + k, argv) != 0)
			return -1;
		*n_replies += (uint32_t)k;
	}
	return (int64_t)off;
}
