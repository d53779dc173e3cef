/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/flow: the flow table itself, with a clock in ms (clock_hz 1000: one tick a ms). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aces/flow.h"
#include "unit.h"

#define HZ 1000

static unsigned int n_expired_cb;

static void
count_expire(void *arg, struct aces_flow *f)
{
	(void)arg;
	CU_ASSERT(f->in_use);
	n_expired_cb++;
}

static struct aces_flow_table *
table(uint32_t capacity)
{
	struct aces_flow_params p = { .capacity = capacity, .clock_hz = HZ, .seed = 0x1234,
				      .expire = count_expire };
	struct aces_flow_table *ft = aces_flow_table_create(&p);

	CU_ASSERT_FATAL(ft != NULL);
	n_expired_cb = 0;
	return ft;
}

static struct aces_flow_tuple
fwd(uint32_t cip, uint16_t cport, uint32_t vip, uint16_t vport)
{
	return (struct aces_flow_tuple){ .client_ip = cip, .client_port = cport, .proto = 6,
					 .dir = ACES_DIR_FWD, .peer_ip = vip, .peer_port = vport };
}

static struct aces_flow_tuple
rev(uint32_t cip, uint16_t cport, uint32_t bip, uint16_t bport)
{
	return (struct aces_flow_tuple){ .client_ip = cip, .client_port = cport, .proto = 6,
					 .dir = ACES_DIR_REV, .peer_ip = bip, .peer_port = bport };
}

/* Insert a forward tuple and point it at a backend, as the worker does. */
static int
add(struct aces_flow_table *ft, const struct aces_flow_tuple *t, uint32_t bip, uint16_t bport,
    uint64_t now, uint8_t state)
{
	int idx = aces_flow_insert(ft, t, aces_flow_hash(ft, t), now);
	struct aces_flow *f;

	if (idx < 0)
		return idx;
	f = aces_flow_get(ft, (uint32_t)idx);
	f->backend_ip = bip;
	f->backend_port = bport;
	f->state = state;
	f->created = now;
	aces_flow_touch(ft, f, now);
	return idx;
}

static uint32_t
find(const struct aces_flow_table *ft, struct aces_flow_tuple t)
{
	return aces_flow_lookup(ft, &t, aces_flow_hash(ft, &t));
}

static void
test_flow_both_directions(void)
{
	struct aces_flow_table *ft = table(1024);
	struct aces_flow_tuple t = fwd(0x0a000002, 40000, 0x0a000063, 80);
	int idx = add(ft, &t, 0x0a000102, 8080, 0, ACES_TCP_SYN_SENT);

	CU_ASSERT_FATAL(idx >= 0);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 1);
	CU_ASSERT_EQUAL(find(ft, t), (uint32_t)idx);
	CU_ASSERT_EQUAL(find(ft, rev(0x0a000002, 40000, 0x0a000102, 8080)), (uint32_t)idx);
	/* the other end must match too */
	CU_ASSERT_EQUAL(find(ft, fwd(0x0a000002, 40000, 0x0a000064, 80)), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(find(ft, fwd(0x0a000002, 40000, 0x0a000063, 81)), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(find(ft, rev(0x0a000002, 40000, 0x0a000102, 8081)), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(find(ft, fwd(0x0a000002, 40001, 0x0a000063, 80)), ACES_FLOW_NONE);
	t.proto = 17;
	CU_ASSERT_EQUAL(find(ft, t), ACES_FLOW_NONE);
	aces_flow_delete(ft, (uint32_t)idx);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 0);
	CU_ASSERT_EQUAL(find(ft, fwd(0x0a000002, 40000, 0x0a000063, 80)), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(n_expired_cb, 0);
	aces_flow_table_free(ft);
}

/* One client port to two VIPs: two flows of one key, told apart by their other end. */
static void
test_flow_shared_key(void)
{
	struct aces_flow_table *ft = table(1024);
	struct aces_flow_tuple a = fwd(7, 1000, 100, 80), b = fwd(7, 1000, 101, 80);
	int ia = add(ft, &a, 200, 8080, 0, ACES_TCP_SYN_SENT);
	int ib = add(ft, &b, 201, 8080, 0, ACES_TCP_SYN_SENT);

	CU_ASSERT_FATAL(ia >= 0 && ib >= 0 && ia != ib);
	CU_ASSERT_EQUAL(find(ft, a), (uint32_t)ia);
	CU_ASSERT_EQUAL(find(ft, b), (uint32_t)ib);
	CU_ASSERT_EQUAL(find(ft, rev(7, 1000, 200, 8080)), (uint32_t)ia);
	CU_ASSERT_EQUAL(find(ft, rev(7, 1000, 201, 8080)), (uint32_t)ib);
	/* re-pointing a onto b's backend end would make replies ambiguous */
	CU_ASSERT_EQUAL(aces_flow_repoint(ft, (uint32_t)ia, 9, 201, 8080), -EEXIST);
	CU_ASSERT_EQUAL(aces_flow_repoint(ft, (uint32_t)ia, 9, 202, 8080), 0);
	CU_ASSERT_EQUAL(find(ft, rev(7, 1000, 202, 8080)), (uint32_t)ia);
	CU_ASSERT_EQUAL(find(ft, rev(7, 1000, 200, 8080)), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(aces_flow_get(ft, (uint32_t)ia)->backend, 9);
	CU_ASSERT_EQUAL(aces_flow_repoint(ft, 5000, 9, 203, 8080), -EINVAL);
	aces_flow_delete(ft, (uint32_t)ia);
	CU_ASSERT_EQUAL(find(ft, b), (uint32_t)ib);
	aces_flow_table_free(ft);
}

/* Every entry usable, then a refusal; everything found; overflow buckets come back. */
static void
test_flow_full_table(void)
{
	const uint32_t cap = 50000;
	struct aces_flow_table *ft = table(cap);
	uint32_t i, *idx = calloc(cap, sizeof(*idx));
	struct aces_flow_tuple t;

	CU_ASSERT_FATAL(idx != NULL);
	for (i = 0; i < cap; i++) {
		t = fwd(0x0a000000 + i / 1000, (uint16_t)(i % 1000), 100, 80);
		int r = add(ft, &t, 200, 8080, 0, ACES_TCP_ESTABLISHED);

		CU_ASSERT_FATAL(r >= 0);
		idx[i] = (uint32_t)r;
	}
	CU_ASSERT_EQUAL(aces_flow_count(ft), cap);
	t = fwd(0x0b000000, 1, 100, 80);
	CU_ASSERT_EQUAL(add(ft, &t, 200, 8080, 0, ACES_TCP_ESTABLISHED), -ENOSPC);
	CU_ASSERT_EQUAL(ft->st.insert_no_flow, 1);
	CU_ASSERT(ft->st.overflow_in_use > 0);
	for (i = 0; i < cap; i++)
		CU_ASSERT_EQUAL(find(ft, rev(0x0a000000 + i / 1000, (uint16_t)(i % 1000), 200,
					     8080)), idx[i]);
	for (i = 0; i < cap; i++)
		aces_flow_delete(ft, idx[i]);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 0);
	CU_ASSERT_EQUAL(ft->st.overflow_in_use, 0);
	CU_ASSERT_EQUAL(ft->n_free_ovf, ft->n_ovf);
	free(idx);
	aces_flow_table_free(ft);
}

/* Timeouts by state, the sweep with its callback, touch, holds. */
static void
test_flow_expiry(void)
{
	struct aces_flow_table *ft = table(4096);
	struct aces_flow_tuple a = fwd(1, 1, 100, 80), b = fwd(2, 2, 100, 80),
			       c = fwd(3, 3, 100, 80);
	int ia, ib, ic;

	CU_ASSERT_EQUAL(aces_flow_set_timeout(ft, ACES_TCP_SYN_SENT, 2 * HZ), 0);
	CU_ASSERT_EQUAL(aces_flow_set_timeout(ft, ACES_TCP_ESTABLISHED, 100 * HZ), 0);
	CU_ASSERT_EQUAL(aces_flow_set_timeout(ft, ACES_FLOW_STATES, HZ), -EINVAL);
	ia = add(ft, &a, 200, 8080, 0, ACES_TCP_SYN_SENT);
	ib = add(ft, &b, 200, 8080, 0, ACES_TCP_ESTABLISHED);
	ic = add(ft, &c, 200, 8080, 0, ACES_TCP_SYN_SENT);
	CU_ASSERT_FATAL(ia >= 0 && ib >= 0 && ic >= 0);
	CU_ASSERT_EQUAL(aces_flow_hold(ft, (uint32_t)ic), 0);
	CU_ASSERT_EQUAL(aces_flow_hold(ft, (uint32_t)ic), -EALREADY);
	/* a whole sweep before the timeout: nothing goes */
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 1 * HZ, ft->n_bkts + ft->n_ovf), 0);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 3);
	/* after it: the SYN_SENT flow goes, the established one stays, the held one stays */
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 3 * HZ, ft->n_bkts + ft->n_ovf), 1);
	CU_ASSERT_EQUAL(n_expired_cb, 1);
	CU_ASSERT_EQUAL(find(ft, a), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(find(ft, b), (uint32_t)ib);
	CU_ASSERT_EQUAL(find(ft, c), (uint32_t)ic);
	/* a touch starts the timer again */
	aces_flow_touch(ft, aces_flow_get(ft, (uint32_t)ib), 90 * HZ);
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 150 * HZ, ft->n_bkts + ft->n_ovf), 0);
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 191 * HZ, ft->n_bkts + ft->n_ovf), 1);
	/* released, the held flow's timer runs from the release */
	CU_ASSERT_EQUAL(aces_flow_release(ft, (uint32_t)ic, 200 * HZ), 0);
	CU_ASSERT_EQUAL(aces_flow_release(ft, (uint32_t)ic, 200 * HZ), -EINVAL);
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 201 * HZ, ft->n_bkts + ft->n_ovf), 0);
	CU_ASSERT_EQUAL(aces_flow_reap(ft, 203 * HZ, ft->n_bkts + ft->n_ovf), 1);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 0);
	CU_ASSERT_EQUAL(n_expired_cb, 3);
	aces_flow_table_free(ft);
}

/* The paced sweep looks at every bucket once per period: all expired flows are gone
 * one period after their timeout, without any call looking at more than its share. */
static void
test_flow_paced_sweep(void)
{
	struct aces_flow_table *ft = table(8192);
	uint32_t i, t, buckets = ft->n_bkts + ft->n_ovf;

	aces_flow_set_timeout(ft, ACES_UDP_ACTIVE, HZ);
	aces_flow_set_sweep(ft, HZ);
	for (i = 0; i < 8000; i++) {
		struct aces_flow_tuple x = fwd(i, 53, 100, 53);

		CU_ASSERT_FATAL(add(ft, &x, 200, 53, 0, ACES_UDP_ACTIVE) >= 0);
	}
	aces_flow_age(ft, 0, buckets);
	for (t = 1; t <= 2 * HZ + 10; t++)
		aces_flow_age(ft, t, buckets);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 0);
	CU_ASSERT_EQUAL(n_expired_cb, 8000);
	aces_flow_table_free(ft);
}

/* An insert takes an expired flow's slot and entry in its chain (no sweep needed). */
static void
test_flow_stale_reuse(void)
{
	struct aces_flow_table *ft = table(1024);
	struct aces_flow_tuple a = fwd(1, 1, 100, 80), b;
	uint32_t i;
	int ia, ib = -1;

	aces_flow_set_timeout(ft, ACES_UDP_ACTIVE, HZ);
	ia = add(ft, &a, 200, 80, 0, ACES_UDP_ACTIVE);
	CU_ASSERT_FATAL(ia >= 0);
	/* a key in the same bucket */
	for (i = 2; i < 1000000; i++) {
		b = fwd(i, 1, 100, 80);
		if ((aces_flow_hash(ft, &b) & ft->bkt_mask) ==
		    (aces_flow_hash(ft, &a) & ft->bkt_mask))
			break;
	}
	ib = add(ft, &b, 200, 80, 5 * HZ, ACES_UDP_ACTIVE);
	CU_ASSERT_EQUAL(ib, ia);
	CU_ASSERT_EQUAL(ft->st.reused_stale, 1);
	CU_ASSERT_EQUAL(n_expired_cb, 1);
	CU_ASSERT_EQUAL(aces_flow_count(ft), 1);
	CU_ASSERT_EQUAL(find(ft, a), ACES_FLOW_NONE);
	CU_ASSERT_EQUAL(find(ft, b), (uint32_t)ib);
	aces_flow_table_free(ft);
}

/* Random inserts, deletes and expiries against a plain array model. */
static void
test_flow_random_model(void)
{
	enum { CAP = 3000, KEYS = 6000 };
	struct aces_flow_table *ft = table(CAP);
	static int32_t model[KEYS];	/* key -> index, -1 */
	unsigned int seed = 7, op, k;
	uint32_t live = 0;

	for (k = 0; k < KEYS; k++)
		model[k] = -1;
	for (op = 0; op < 200000; op++) {
		/* few client addresses and ports: many keys share buckets and chains */
		struct aces_flow_tuple t;
		uint32_t got;

		k = (unsigned int)rand_r(&seed) % KEYS;
		t = fwd(k % 97, (uint16_t)(k % 61), 100 + k / (97 * 61), 80);
		got = find(ft, t);
		CU_ASSERT_EQUAL_FATAL(got, model[k] < 0 ? ACES_FLOW_NONE : (uint32_t)model[k]);
		if (model[k] < 0) {
			int r = add(ft, &t, 200 + k, 8080, 0, ACES_TCP_ESTABLISHED);

			if (live < CAP) {
				CU_ASSERT_FATAL(r >= 0);
				model[k] = r;
				live++;
			} else {
				CU_ASSERT_EQUAL(r, -ENOSPC);
			}
		} else if (rand_r(&seed) % 2) {
			aces_flow_delete(ft, (uint32_t)model[k]);
			model[k] = -1;
			live--;
		}
		CU_ASSERT_EQUAL_FATAL(aces_flow_count(ft), live);
	}
	for (k = 0; k < KEYS; k++)
		if (model[k] >= 0)
			CU_ASSERT_EQUAL(find(ft, rev(k % 97, (uint16_t)(k % 61), 200 + k, 8080)),
					(uint32_t)model[k]);
	aces_flow_table_free(ft);
}

static void
test_flow_bulk_equals_single(void)
{
	struct aces_flow_table *ft = table(2048);
	struct aces_flow_tuple t[100];
	uint32_t idx[100], i;

	for (i = 0; i < 100; i++) {
		t[i] = fwd(i, (uint16_t)i, 100, 80);
		if (i % 3 != 0)
			CU_ASSERT_FATAL(add(ft, &t[i], 200, 80, 0, ACES_TCP_SYN_SENT) >= 0);
	}
	aces_flow_lookup_bulk(ft, t, 100, idx);
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(idx[i], find(ft, t[i]));
		CU_ASSERT_EQUAL(idx[i] == ACES_FLOW_NONE, i % 3 == 0);
	}
	aces_flow_table_free(ft);
}

struct sink {
	uint8_t *buf;
	size_t len, cap;
};

static int
sink_write(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	if (s->len + n > s->cap)
		return -ENOSPC;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

static int
refuse_ep7(void *arg, struct aces_flow *f)
{
	(void)arg;
	return f->ep == 7;
}

/* Export, import into a table of another seed and clock origin: every flow and field
 * back, timers as time left; a bad stream changes nothing and says why. */
static void
test_flow_export_import(void)
{
	struct aces_flow_table *a = table(4096), *b;
	struct aces_flow_params p = { .capacity = 4096, .clock_hz = HZ, .seed = 0x9999 };
	struct aces_flow_import_stats st;
	struct sink s = { .cap = 1 << 20 };
	char err[128];
	uint32_t i;
	int64_t n;

	s.buf = malloc(s.cap);
	CU_ASSERT_FATAL(s.buf != NULL);
	aces_flow_set_timeout(a, ACES_TCP_ESTABLISHED, 100 * HZ);
	for (i = 0; i < 1000; i++) {
		struct aces_flow_tuple t = fwd(0x0a000000 + i, (uint16_t)(1000 + i), 100, 80);
		int r = add(a, &t, 200 + i % 3, 8080, 10 * HZ, ACES_TCP_ESTABLISHED);
		struct aces_flow *f;

		CU_ASSERT_FATAL(r >= 0);
		f = aces_flow_get(a, (uint32_t)r);
		f->ep = (uint16_t)(i % 10);
		f->backend = (uint16_t)(i % 3);
		f->side = (uint8_t)(i & 1);
		f->open = 1;
		f->cli_nxt = i * 7;
		f->srv_nxt = i * 11;
		memcpy(f->client_mac, "\x02\x00\x00\x00\x00\x09", 6);
		if (i == 5)
			aces_flow_hold(a, (uint32_t)r);
	}
	/* 30 s later: 70 s left of 100 */
	n = aces_flow_export(a, 40 * HZ, sink_write, &s);
	CU_ASSERT_EQUAL(n, 1000);

	b = aces_flow_table_create(&p);
	CU_ASSERT_FATAL(b != NULL);
	aces_flow_set_timeout(b, ACES_TCP_ESTABLISHED, 100 * HZ);
	/* damaged streams: nothing imported, a reason given */
	s.buf[s.len / 2] ^= 1;
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 0, NULL, NULL, &st, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT(strstr(err, "checksum") != NULL);
	s.buf[s.len / 2] ^= 1;
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len - 1, 0, NULL, NULL, &st, err,
					 sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "length") != NULL);
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, 10, 0, NULL, NULL, &st, err, sizeof(err)),
			-EINVAL);
	s.buf[0] = 'X';
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 0, NULL, NULL, &st, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT(strstr(err, "magic") != NULL);
	s.buf[0] = 'A';
	CU_ASSERT_EQUAL(aces_flow_count(b), 0);

	/* the new process's clock reads 100 s */
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 100 * HZ, refuse_ep7, NULL, &st, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(st.in_stream, 1000);
	CU_ASSERT_EQUAL(st.refused, 100);
	CU_ASSERT_EQUAL(st.imported, 900);
	CU_ASSERT_EQUAL(aces_flow_count(b), 900);
	for (i = 0; i < 1000; i++) {
		struct aces_flow_tuple t = fwd(0x0a000000 + i, (uint16_t)(1000 + i), 100, 80);
		uint32_t ia = find(a, t), ib = find(b, t);
		const struct aces_flow *fa, *fb;

		if (i % 10 == 7) {
			CU_ASSERT_EQUAL(ib, ACES_FLOW_NONE);
			continue;
		}
		CU_ASSERT_FATAL(ia != ACES_FLOW_NONE && ib != ACES_FLOW_NONE);
		fa = aces_flow_get(a, ia);
		fb = aces_flow_get(b, ib);
		CU_ASSERT_EQUAL(find(b, rev(fa->client_ip, fa->client_port, fa->backend_ip,
					    fa->backend_port)), ib);
		CU_ASSERT_EQUAL(fb->backend, fa->backend);
		CU_ASSERT_EQUAL(fb->ep, fa->ep);
		CU_ASSERT_EQUAL(fb->side, fa->side);
		CU_ASSERT_EQUAL(fb->state, fa->state);
		CU_ASSERT_EQUAL(fb->open, fa->open);
		CU_ASSERT_EQUAL(fb->cli_nxt, fa->cli_nxt);
		CU_ASSERT_EQUAL(fb->srv_nxt, fa->srv_nxt);
		CU_ASSERT(memcmp(fb->client_mac, fa->client_mac, 6) == 0);
		CU_ASSERT_EQUAL(fb->flags & ACES_FLOW_F_HELD, 0);
		/* created 30 s before the export: 30 s before the import */
		CU_ASSERT_EQUAL(fb->created, 70 * HZ);
	}
	/* time left travels: 70 s after the import the flows go, not before (the held one
	 * restarts its full timeout) */
	CU_ASSERT_EQUAL(aces_flow_reap(b, 100 * HZ + 69 * HZ, b->n_bkts + b->n_ovf), 0);
	CU_ASSERT_EQUAL(aces_flow_reap(b, 100 * HZ + 72 * HZ, b->n_bkts + b->n_ovf), 899);
	CU_ASSERT_EQUAL(aces_flow_count(b), 1);
	/* importing the same stream again: duplicates, not second copies */
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 180 * HZ, NULL, NULL, &st, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(st.duplicate, 1);
	aces_flow_table_free(a);
	aces_flow_table_free(b);
	free(s.buf);
}

/* Rename field @i of an exported stream and mend its checksum. */
static void
rename_field(struct sink *s, unsigned int i, const char *name)
{
	uint64_t sum = 0xcbf29ce484222325ull;
	size_t j, trailer = s->len - 24;	/* magic, count, checksum */

	memset(s->buf + 32 + 32 * i, 0, 24);	/* after the 32-byte header, 32 bytes each */
	memcpy(s->buf + 32 + 32 * i, name, strlen(name));
	for (j = 0; j < trailer; j++) {
		sum ^= s->buf[j];
		sum *= 0x100000001b3ull;
	}
	memcpy(s->buf + trailer + 16, &sum, 8);
}

/* A stream from a newer writer with a field this version does not know imports (the
 * field is skipped); one without a required field does not. */
static void
test_flow_stream_fields(void)
{
	struct aces_flow_table *a = table(64), *b = table(64);
	struct sink s = { .cap = 1 << 16 };
	struct aces_flow_tuple t = fwd(1, 2, 3, 4);
	struct aces_flow_import_stats st;
	char err[128];
	int r;

	s.buf = malloc(s.cap);
	CU_ASSERT_FATAL(s.buf != NULL);
	r = add(a, &t, 5, 6, 0, ACES_TCP_ESTABLISHED);
	CU_ASSERT_FATAL(r >= 0);
	aces_flow_get(a, (uint32_t)r)->flags = ACES_FLOW_F_REPLIED;
	CU_ASSERT_EQUAL(aces_flow_export(a, 0, sink_write, &s), 1);
	rename_field(&s, 11, "flags_v9");	/* fields[11] is flags, not required */
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 0, NULL, NULL, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(st.imported, 1);
	CU_ASSERT_EQUAL(aces_flow_get(b, find(b, t))->flags, 0);
	CU_ASSERT_EQUAL(aces_flow_get(b, find(b, t))->backend_ip, 5);
	aces_flow_delete(b, find(b, t));
	rename_field(&s, 0, "client_ipv9");	/* required */
	CU_ASSERT_EQUAL(aces_flow_import(b, s.buf, s.len, 0, NULL, NULL, &st, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT(strstr(err, "required") != NULL);
	CU_ASSERT_EQUAL(aces_flow_count(b), 0);
	aces_flow_table_free(a);
	aces_flow_table_free(b);
	free(s.buf);
}

static void
test_flow_bad_params(void)
{
	struct aces_flow_params p = { .capacity = 0, .clock_hz = HZ };

	CU_ASSERT_PTR_NULL(aces_flow_table_create(&p));
	CU_ASSERT_EQUAL(errno, EINVAL);
	p.capacity = 10;
	p.clock_hz = 0;
	CU_ASSERT_PTR_NULL(aces_flow_table_create(&p));
	CU_ASSERT_PTR_NULL(aces_flow_table_create(NULL));
	/* the config's longest timeout (7 days) fits a TSC clock's ticks; 20 days do not */
	p.capacity = 10;
	p.clock_hz = 1999ull << 21;	/* a 4.19 GHz TSC: ticks of 0.5 ms, the shortest */
	{
		struct aces_flow_table *ft = aces_flow_table_create(&p);

		CU_ASSERT_FATAL(ft != NULL);
		CU_ASSERT_EQUAL(aces_flow_set_timeout(ft, ACES_TCP_ESTABLISHED,
						      7ull * 86400 * p.clock_hz), 0);
		CU_ASSERT_EQUAL(aces_flow_set_timeout(ft, ACES_TCP_ESTABLISHED,
						      20ull * 86400 * p.clock_hz), -EINVAL);
		aces_flow_table_free(ft);
	}
	/* at most 128 bytes a flow, as the issue asks of 4 M flows */
	CU_ASSERT(aces_flow_table_bytes(4u << 20) <= (size_t)128 * (4u << 20));
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "both directions find the flow", test_flow_both_directions },
		{ "flows sharing a key; re-point", test_flow_shared_key },
		{ "full table", test_flow_full_table },
		{ "expiry by state, touch, hold", test_flow_expiry },
		{ "paced sweep", test_flow_paced_sweep },
		{ "insert reuses an expired slot", test_flow_stale_reuse },
		{ "random operations against a model", test_flow_random_model },
		{ "bulk lookup == single lookups", test_flow_bulk_equals_single },
		{ "export and import", test_flow_export_import },
		{ "stream field list", test_flow_stream_fields },
		{ "bad parameters", test_flow_bad_params },
		CU_TEST_INFO_NULL,
	};

	return aces_unit_run("flow", tests);
}
