/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aces/flow.h"
#include "aces/fnv.h"

_Static_assert(sizeof(struct aces_flow) == 64, "a flow is one cache line");
_Static_assert(sizeof(struct aces_flow_bucket) == 64, "a bucket is one cache line");

#define REAP_BATCH	8
/* ticks: expiry compares as a signed 32-bit difference, so a timeout stays well under
 * 2^31 ticks (12 days at the shortest tick of 0.5 ms; config allows 7) */
#define MAX_TIMEOUT	((1u << 31) - (1u << 24))

static void *
default_zalloc(void *arg, size_t size, size_t align)
{
	void *p;

	(void)arg;
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static void
default_free(void *arg, void *p)
{
	(void)arg;
	free(p);
}

static const struct aces_flow_mem default_mem = { default_zalloc, default_free, NULL };

/* Heads: a power of two at least half the capacity, so a full table holds one to two
 * flows a bucket (of five); overflow: one in sixteen, plenty for Poisson tails. */
static uint32_t
n_heads(uint32_t capacity)
{
	uint32_t n = 1;

	while (n < (capacity + 1) / 2)
		n <<= 1;
	return n;
}

static uint32_t
n_overflow(uint32_t heads)
{
	return heads / 16 + 16;
}

size_t
aces_flow_table_bytes(uint32_t capacity)
{
	uint32_t h = n_heads(capacity), o = n_overflow(h);

	return sizeof(struct aces_flow_table) + (size_t)capacity * sizeof(struct aces_flow) +
	       (size_t)(h + o) * sizeof(struct aces_flow_bucket) +
	       (size_t)capacity * sizeof(uint32_t) + (size_t)o * sizeof(uint32_t);
}

void
aces_flow_table_free(struct aces_flow_table *ft)
{
	struct aces_flow_mem mem;

	if (ft == NULL)
		return;
	mem = ft->mem;
	mem.free(mem.arg, ft->bkts);
	mem.free(mem.arg, ft->flows);
	mem.free(mem.arg, ft->free_flows);
	mem.free(mem.arg, ft->free_ovf);
	mem.free(mem.arg, ft);
}

struct aces_flow_table *
aces_flow_table_create(const struct aces_flow_params *p)
{
	const struct aces_flow_mem *mem = p != NULL && p->mem != NULL ? p->mem : &default_mem;
	struct aces_flow_table *ft;
	uint32_t i, ticks_hz;

	if (p == NULL || p->capacity == 0 || p->capacity > (1u << 30) || p->clock_hz == 0) {
		errno = EINVAL;
		return NULL;
	}
	ft = mem->zalloc(mem->arg, sizeof(*ft), 64);
	if (ft == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ft->mem = *mem;
	ft->capacity = p->capacity;
	ft->n_bkts = n_heads(p->capacity);
	ft->bkt_mask = ft->n_bkts - 1;
	ft->n_ovf = n_overflow(ft->n_bkts);
	ft->bkts = mem->zalloc(mem->arg, (size_t)(ft->n_bkts + ft->n_ovf) *
			       sizeof(struct aces_flow_bucket), 64);
	ft->flows = mem->zalloc(mem->arg, (size_t)p->capacity * sizeof(struct aces_flow), 64);
	ft->free_flows = mem->zalloc(mem->arg, (size_t)p->capacity * sizeof(uint32_t), 64);
	ft->free_ovf = mem->zalloc(mem->arg, (size_t)ft->n_ovf * sizeof(uint32_t), 64);
	if (ft->bkts == NULL || ft->flows == NULL || ft->free_flows == NULL ||
	    ft->free_ovf == NULL) {
		aces_flow_table_free(ft);
		errno = ENOMEM;
		return NULL;
	}
	/* Lowest indexes on top of the stack: new flows fill the array from the front. */
	for (i = 0; i < p->capacity; i++)
		ft->free_flows[i] = p->capacity - 1 - i;
	ft->n_free = p->capacity;
	for (i = 0; i < ft->n_ovf; i++)
		ft->free_ovf[i] = ft->n_bkts + ft->n_ovf - 1 - i;
	ft->n_free_ovf = ft->n_ovf;
	/* a tick of 0.5 to 1 ms: the largest power of two of clock units under a ms */
	ft->clock_hz = p->clock_hz;
	ft->shift = 0;
	while ((p->clock_hz >> (ft->shift + 1)) >= 1000)
		ft->shift++;
	ticks_hz = (uint32_t)(p->clock_hz >> ft->shift);
	for (i = 0; i < ACES_FLOW_STATES; i++)
		ft->timeout[i] = 60 * ticks_hz;
	ft->seed = p->seed;
	ft->expire = p->expire;
	ft->cb_arg = p->cb_arg;
	aces_flow_set_sweep(ft, p->clock_hz * 10);
	return ft;
}

int
aces_flow_set_timeout(struct aces_flow_table *ft, unsigned int state, uint64_t clock_units)
{
	uint64_t t = clock_units >> ft->shift;

	if (state >= ACES_FLOW_STATES || t > MAX_TIMEOUT)
		return -EINVAL;
	ft->timeout[state] = (uint32_t)t;
	return 0;
}

void
aces_flow_set_sweep(struct aces_flow_table *ft, uint64_t period)
{
	ft->age_rate = period == 0 ? 0 :
		       ((uint64_t)(ft->n_bkts + ft->n_ovf) << 32) / period;
	ft->age_due = 0;
}

static inline int
expired(uint32_t exp, uint32_t tick)
{
	return (int32_t)(exp - tick) < 0;
}

/* Unlink the empty overflow bucket @b from the chain that starts at @head. */
static void
ovf_unlink(struct aces_flow_table *ft, uint32_t head, uint32_t b)
{
	uint32_t cur = head;

	while (ft->bkts[cur].next != 0) {
		if (ft->bkts[cur].next - 1 == b) {
			ft->bkts[cur].next = ft->bkts[b].next;
			ft->bkts[b].next = 0;
			ft->free_ovf[ft->n_free_ovf++] = b;
			ft->st.overflow_in_use--;
			return;
		}
		cur = ft->bkts[cur].next - 1;
	}
}

/* Free flow @idx's slot and entry. */
static void
flow_remove(struct aces_flow_table *ft, uint32_t idx)
{
	struct aces_flow *f = &ft->flows[idx];
	struct aces_flow_bucket *b = &ft->bkts[f->bkt];
	unsigned int s;

	b->sig[f->slot] = 0;
	if (f->bkt >= ft->n_bkts) {
		for (s = 0; s < ACES_FLOW_BUCKET_SLOTS && b->sig[s] == 0; s++)
			;
		if (s == ACES_FLOW_BUCKET_SLOTS) {
			struct aces_flow_tuple t = { .client_ip = f->client_ip,
						     .client_port = f->client_port,
						     .proto = f->proto };

			ovf_unlink(ft, (uint32_t)(aces_flow_hash(ft, &t) & ft->bkt_mask), f->bkt);
		}
	}
	f->in_use = 0;
	f->flags = 0;
	ft->free_flows[ft->n_free++] = idx;
	ft->n_deleted++;
}

void
aces_flow_delete(struct aces_flow_table *ft, uint32_t idx)
{
	flow_remove(ft, idx);
	ft->st.deleted++;
}

void
aces_flow_lookup_bulk(const struct aces_flow_table *ft, const struct aces_flow_tuple *t,
		      unsigned int n, uint32_t *idx)
{
	uint64_t h[64];
	unsigned int i, j, m;

	for (i = 0; i < n; i += m) {
		m = n - i < 64 ? n - i : 64;
		for (j = 0; j < m; j++) {
			h[j] = aces_flow_hash(ft, &t[i + j]);
			aces_flow_prefetch(ft, h[j]);
		}
		for (j = 0; j < m; j++)
			aces_flow_prefetch_entries(ft, h[j]);
		for (j = 0; j < m; j++)
			idx[i + j] = aces_flow_lookup(ft, &t[i + j], h[j]);
	}
}

int
aces_flow_insert(struct aces_flow_table *ft, const struct aces_flow_tuple *t, uint64_t h,
		 uint64_t now)
{
	uint32_t sig = aces_flow_sig(h), tick = aces_flow_tick(ft, now);
	uint32_t b = (uint32_t)(h & ft->bkt_mask), last = b, free_b = UINT32_MAX, idx;
	unsigned int s, free_s = 0;
	struct aces_flow_bucket *bk;
	struct aces_flow *f;

	/* One walk of the chain: the first expired flow's slot and entry are taken at
	 * once; otherwise the first free slot. */
	for (;;) {
		bk = &ft->bkts[b];
		for (s = 0; s < ACES_FLOW_BUCKET_SLOTS; s++) {
			if (bk->sig[s] == 0) {
				if (free_b == UINT32_MAX) {
					free_b = b;
					free_s = s;
				}
				continue;
			}
			if (!expired(bk->exp[s], tick))
				continue;
			idx = bk->idx[s];
			f = &ft->flows[idx];
			if (f->flags & ACES_FLOW_F_HELD)
				continue;
			if (ft->expire != NULL)
				ft->expire(ft->cb_arg, f);
			ft->st.reused_stale++;
			ft->n_deleted++;
			goto fill;
		}
		last = b;
		if (bk->next == 0)
			break;
		b = bk->next - 1;
	}
	if (ft->n_free == 0) {
		ft->st.insert_no_flow++;
		return -ENOSPC;
	}
	if (free_b == UINT32_MAX) {
		if (ft->n_free_ovf == 0) {
			ft->st.insert_no_bucket++;
			return -ENOBUFS;
		}
		free_b = ft->free_ovf[--ft->n_free_ovf];
		free_s = 0;
		memset(&ft->bkts[free_b], 0, sizeof(ft->bkts[free_b]));
		ft->bkts[last].next = free_b + 1;
		ft->st.overflow_in_use++;
	}
	b = free_b;
	s = free_s;
	bk = &ft->bkts[b];
	idx = ft->free_flows[--ft->n_free];
	f = &ft->flows[idx];
fill:
	bk->sig[s] = sig;
	bk->idx[s] = idx;
	bk->exp[s] = tick + ft->timeout[0];
	f->client_ip = t->client_ip;
	f->client_port = t->client_port;
	f->proto = t->proto;
	if (t->dir == ACES_DIR_FWD) {
		f->vip_ip = t->peer_ip;
		f->vip_port = t->peer_port;
	} else {
		f->backend_ip = t->peer_ip;
		f->backend_port = t->peer_port;
	}
	f->state = 0;
	f->flags = 0;
	f->in_use = 1;
	f->bkt = b;
	f->slot = (uint8_t)s;
	f->gen++;
	ft->st.inserted++;
	return (int)idx;
}

/* Reclaim the expired flows of a batch (their entries were prefetched together). */
static uint32_t
reap_batch(struct aces_flow_table *ft, const uint32_t *batch, unsigned int nb)
{
	uint32_t done = 0;
	unsigned int i;

	for (i = 0; i < nb; i++) {
		struct aces_flow *f = &ft->flows[batch[i]];

		if (f->flags & ACES_FLOW_F_HELD)
			continue;
		if (ft->expire != NULL)
			ft->expire(ft->cb_arg, f);
		flow_remove(ft, batch[i]);
		done++;
	}
	return done;
}

uint32_t
aces_flow_reap(struct aces_flow_table *ft, uint64_t now, uint32_t n)
{
	uint32_t total = ft->n_bkts + ft->n_ovf, cur = ft->age_cursor, tick;
	uint32_t batch[REAP_BATCH], done = 0;
	unsigned int nb = 0, s;

	if (ft->n_free == ft->capacity) {
		ft->age_cursor = (uint32_t)((cur + (uint64_t)n) % total);
		return 0;
	}
	tick = aces_flow_tick(ft, now);
	while (n-- > 0) {
		const struct aces_flow_bucket *bk = &ft->bkts[cur];

		__builtin_prefetch(&ft->bkts[cur + 4 < total ? cur + 4 : cur + 4 - total], 0, 0);
		for (s = 0; s < ACES_FLOW_BUCKET_SLOTS; s++) {
			if (bk->sig[s] == 0 || !expired(bk->exp[s], tick))
				continue;
			batch[nb] = bk->idx[s];
			__builtin_prefetch(&ft->flows[batch[nb]], 1, 3);
			if (++nb == REAP_BATCH) {
				done += reap_batch(ft, batch, nb);
				nb = 0;
			}
		}
		if (++cur == total)
			cur = 0;
	}
	done += reap_batch(ft, batch, nb);
	ft->age_cursor = cur;
	ft->st.expired += done;
	return done;
}

uint32_t
aces_flow_age(struct aces_flow_table *ft, uint64_t now, uint32_t max)
{
	uint64_t total = (uint64_t)(ft->n_bkts + ft->n_ovf) << 32;
	uint64_t gap = now - ft->age_last, due;
	uint32_t n;

	if (ft->age_rate == 0)
		return 0;
	if (gap > total / ft->age_rate)
		gap = total / ft->age_rate;
	due = ft->age_due + gap * ft->age_rate;
	if (due > total)
		due = total;
	n = (uint32_t)(due >> 32) < max ? (uint32_t)(due >> 32) : max;
	ft->age_last = now;
	ft->age_due = due - ((uint64_t)n << 32);
	return n > 0 ? aces_flow_reap(ft, now, n) : 0;
}

uint32_t
aces_flow_next(const struct aces_flow_table *ft, uint32_t *cursor)
{
	uint32_t i;

	for (i = *cursor; i < ft->capacity; i++) {
		if (ft->flows[i].in_use) {
			*cursor = i + 1;
			return i;
		}
	}
	*cursor = ft->capacity;
	return ACES_FLOW_NONE;
}

int
aces_flow_hold(struct aces_flow_table *ft, uint32_t idx)
{
	struct aces_flow *f;

	if (idx >= ft->capacity || !ft->flows[idx].in_use)
		return -EINVAL;
	f = &ft->flows[idx];
	if (f->flags & ACES_FLOW_F_HELD)
		return -EALREADY;
	f->flags |= ACES_FLOW_F_HELD;
	return 0;
}

int
aces_flow_release(struct aces_flow_table *ft, uint32_t idx, uint64_t now)
{
	struct aces_flow *f;

	if (idx >= ft->capacity || !ft->flows[idx].in_use ||
	    !(ft->flows[idx].flags & ACES_FLOW_F_HELD))
		return -EINVAL;
	f = &ft->flows[idx];
	f->flags &= (uint8_t)~ACES_FLOW_F_HELD;
	aces_flow_touch(ft, f, now);
	return 0;
}

int
aces_flow_repoint(struct aces_flow_table *ft, uint32_t idx, uint16_t backend, uint32_t ip,
		  uint16_t port)
{
	struct aces_flow *f;
	struct aces_flow_tuple t;
	uint32_t other;

	if (idx >= ft->capacity || !ft->flows[idx].in_use)
		return -EINVAL;
	f = &ft->flows[idx];
	t = (struct aces_flow_tuple){ .client_ip = f->client_ip, .client_port = f->client_port,
				      .proto = f->proto, .dir = ACES_DIR_REV, .peer_ip = ip,
				      .peer_port = port };
	other = aces_flow_lookup(ft, &t, aces_flow_hash(ft, &t));
	if (other != ACES_FLOW_NONE && other != idx)
		return -EEXIST;
	f->backend = backend;
	f->backend_ip = ip;
	f->backend_port = port;
	return 0;
}

/* ---- export and import ---- */

#define STREAM_MAGIC	"ACESFLOW"
#define STREAM_END	"ACESEND"
#define STREAM_BOM	0x01020304u
#define NAME_LEN	24

struct stream_hdr {
	char magic[8];
	uint32_t bom;		/* written in the writer's byte order */
	uint16_t version;
	uint16_t n_fields;
	uint32_t rec_len;
	uint32_t n_flows;
	uint64_t clock_hz;	/* informative */
};

struct stream_field {
	char name[NAME_LEN];
	uint32_t offset;	/* in a record */
	uint32_t size;
};

struct stream_trailer {
	char magic[8];
	uint64_t n_flows;
	uint64_t sum;		/* FNV-1a 64 of the header, fields and records */
};

/* Timers: not entry fields, but time left and age in ms. */
enum {
	F_IDLE_LEFT = -1,
	F_AGE = -2,
};

struct field_def {
	const char *name;
	int off;		/* in struct aces_flow, or F_* */
	uint32_t size;
	int required;		/* an import without it is refused */
};

#define FLD(n, req) \
	{ #n, (int)offsetof(struct aces_flow, n), sizeof(((struct aces_flow *)0)->n), req }

static const struct field_def fields[] = {
	FLD(client_ip, 1), FLD(client_port, 1), FLD(proto, 1), FLD(state, 1),
	FLD(vip_ip, 1), FLD(vip_port, 1), FLD(backend_ip, 1), FLD(backend_port, 1),
	FLD(backend, 1), FLD(ep, 1), FLD(side, 1), FLD(flags, 0), FLD(open, 0),
	FLD(client_mac, 0), FLD(cli_nxt, 0), FLD(srv_nxt, 0),
	{ "idle_left_ms", F_IDLE_LEFT, 4, 1 },
	{ "age_ms", F_AGE, 8, 0 },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static uint32_t
rec_len(void)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < N_FIELDS; i++)
		n += fields[i].size;
	return n;
}

/* Caller clock units -> ms, and back, without overflow for any sane span. */
static uint64_t
to_ms(const struct aces_flow_table *ft, uint64_t units)
{
	return units / ft->clock_hz * 1000 + units % ft->clock_hz * 1000 / ft->clock_hz;
}

static uint64_t
from_ms(const struct aces_flow_table *ft, uint64_t ms)
{
	return ms / 1000 * ft->clock_hz + ms % 1000 * ft->clock_hz / 1000;
}

int64_t
aces_flow_export(const struct aces_flow_table *ft, uint64_t now, aces_flow_write_cb write,
		 void *arg)
{
	struct stream_hdr hdr;
	struct stream_field sf[N_FIELDS];
	struct stream_trailer tr;
	uint8_t rec[128];
	uint32_t tick = aces_flow_tick(ft, now), cursor = 0, idx, off = 0, n = 0;
	uint64_t sum = ACES_FNV1A_INIT;
	size_t i;
	int ret;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, STREAM_MAGIC, 8);
	hdr.bom = STREAM_BOM;
	hdr.version = ACES_FLOW_STREAM_VERSION;
	hdr.n_fields = (uint16_t)N_FIELDS;
	hdr.rec_len = rec_len();
	hdr.n_flows = aces_flow_count(ft);
	hdr.clock_hz = ft->clock_hz;
	memset(sf, 0, sizeof(sf));
	for (i = 0; i < N_FIELDS; i++) {
		snprintf(sf[i].name, NAME_LEN, "%s", fields[i].name);
		sf[i].offset = off;
		sf[i].size = fields[i].size;
		off += fields[i].size;
	}
	sum = aces_fnv1a(sum, &hdr, sizeof(hdr));
	sum = aces_fnv1a(sum, sf, sizeof(sf));
	if ((ret = write(arg, &hdr, sizeof(hdr))) < 0 || (ret = write(arg, sf, sizeof(sf))) < 0)
		return ret;
	while ((idx = aces_flow_next(ft, &cursor)) != ACES_FLOW_NONE) {
		const struct aces_flow *f = &ft->flows[idx];
		struct aces_flow c = *f;

		c.flags &= (uint8_t)~ACES_FLOW_F_HELD;
		for (i = 0, off = 0; i < N_FIELDS; off += fields[i].size, i++) {
			if (fields[i].off == F_IDLE_LEFT) {
				int32_t left = (int32_t)(ft->bkts[f->bkt].exp[f->slot] - tick);
				uint32_t ms = left <= 0 ? 0 :
					      (uint32_t)to_ms(ft, (uint64_t)left << ft->shift);

				if (f->flags & ACES_FLOW_F_HELD)	/* a held flow's timer restarts */
					ms = (uint32_t)to_ms(ft, (uint64_t)ft->timeout[f->state]
							     << ft->shift);
				memcpy(rec + off, &ms, 4);
			} else if (fields[i].off == F_AGE) {
				uint64_t age = to_ms(ft, now > f->created ? now - f->created : 0);

				memcpy(rec + off, &age, 8);
			} else {
				memcpy(rec + off, (const uint8_t *)&c + fields[i].off, fields[i].size);
			}
		}
		sum = aces_fnv1a(sum, rec, off);
		if ((ret = write(arg, rec, off)) < 0)
			return ret;
		n++;
	}
	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, STREAM_END, sizeof(STREAM_END));
	tr.n_flows = n;
	tr.sum = sum;
	if ((ret = write(arg, &tr, sizeof(tr))) < 0)
		return ret;
	return n;
}

static int
import_err(char *err, size_t len, const char *msg)
{
	if (err != NULL && len > 0)
		snprintf(err, len, "%s", msg);
	return -EINVAL;
}

int
aces_flow_import(struct aces_flow_table *ft, const void *buf, size_t len, uint64_t now,
		 aces_flow_import_cb accept, void *arg, struct aces_flow_import_stats *st,
		 char *err, size_t errlen)
{
	const uint8_t *p = buf;
	struct stream_hdr hdr;
	struct stream_trailer tr;
	int map[N_FIELDS];	/* our field i -> stream field index, or -1 */
	uint32_t map_off[N_FIELDS];
	struct aces_flow_import_stats local;
	uint64_t sum = ACES_FNV1A_INIT, need;
	size_t i, j, fl_len;
	uint32_t r;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (buf == NULL || len < sizeof(hdr) + sizeof(tr))
		return import_err(err, errlen, "flow stream: shorter than a header and trailer");
	memcpy(&hdr, p, sizeof(hdr));
	if (memcmp(hdr.magic, STREAM_MAGIC, 8) != 0)
		return import_err(err, errlen, "flow stream: not a flow stream (magic)");
	if (hdr.bom != STREAM_BOM)
		return import_err(err, errlen, "flow stream: written with another byte order");
	if (hdr.version != ACES_FLOW_STREAM_VERSION)
		return import_err(err, errlen, "flow stream: unknown version");
	if (hdr.n_fields == 0 || hdr.n_fields > 256 || hdr.rec_len == 0 || hdr.rec_len > 4096)
		return import_err(err, errlen, "flow stream: bad field count or record length");
	fl_len = (size_t)hdr.n_fields * sizeof(struct stream_field);
	need = sizeof(hdr) + fl_len + (uint64_t)hdr.n_flows * hdr.rec_len + sizeof(tr);
	if (need != len)
		return import_err(err, errlen, "flow stream: length does not match its header "
				  "(truncated or padded)");
	for (i = 0; i < N_FIELDS; i++)
		map[i] = -1;
	for (j = 0; j < hdr.n_fields; j++) {
		struct stream_field sf;

		memcpy(&sf, p + sizeof(hdr) + j * sizeof(sf), sizeof(sf));
		if (sf.name[NAME_LEN - 1] != '\0' || (uint64_t)sf.offset + sf.size > hdr.rec_len)
			return import_err(err, errlen, "flow stream: bad field descriptor");
		for (i = 0; i < N_FIELDS; i++) {
			if (strcmp(sf.name, fields[i].name) != 0)
				continue;
			if (sf.size != fields[i].size)
				return import_err(err, errlen,
						  "flow stream: a field has another size");
			map[i] = (int)j;
			map_off[i] = sf.offset;
		}
	}
	for (i = 0; i < N_FIELDS; i++)
		if (map[i] < 0 && fields[i].required)
			return import_err(err, errlen, "flow stream: a required field is missing");
	memcpy(&tr, p + len - sizeof(tr), sizeof(tr));
	sum = aces_fnv1a(sum, p, len - sizeof(tr));
	if (memcmp(tr.magic, STREAM_END, sizeof(STREAM_END)) != 0 || tr.n_flows != hdr.n_flows ||
	    tr.sum != sum)
		return import_err(err, errlen, "flow stream: checksum or trailer mismatch");

	st->in_stream = hdr.n_flows;
	for (r = 0; r < hdr.n_flows; r++) {
		const uint8_t *rec = p + sizeof(hdr) + fl_len + (size_t)r * hdr.rec_len;
		struct aces_flow c;
		struct aces_flow_tuple t;
		uint32_t left_ms = 0, idx;
		uint64_t age_ms = 0, age, h;
		struct aces_flow *f;
		int ret;

		memset(&c, 0, sizeof(c));
		for (i = 0; i < N_FIELDS; i++) {
			if (map[i] < 0)
				continue;
			if (fields[i].off == F_IDLE_LEFT)
				memcpy(&left_ms, rec + map_off[i], 4);
			else if (fields[i].off == F_AGE)
				memcpy(&age_ms, rec + map_off[i], 8);
			else
				memcpy((uint8_t *)&c + fields[i].off, rec + map_off[i],
				       fields[i].size);
		}
		if (c.state >= ACES_FLOW_STATES || left_ms == 0) {
			st->expired++;
			continue;
		}
		t = (struct aces_flow_tuple){ .client_ip = c.client_ip,
					      .client_port = c.client_port, .proto = c.proto,
					      .dir = ACES_DIR_FWD, .peer_ip = c.vip_ip,
					      .peer_port = c.vip_port };
		h = aces_flow_hash(ft, &t);
		idx = aces_flow_lookup(ft, &t, h);
		if (idx == ACES_FLOW_NONE) {
			struct aces_flow_tuple rt = t;

			rt.dir = ACES_DIR_REV;
			rt.peer_ip = c.backend_ip;
			rt.peer_port = c.backend_port;
			idx = aces_flow_lookup(ft, &rt, h);
		}
		if (idx != ACES_FLOW_NONE) {
			st->duplicate++;
			continue;
		}
		ret = aces_flow_insert(ft, &t, h, now);
		if (ret < 0) {
			st->no_room++;
			continue;
		}
		f = &ft->flows[ret];
		c.gen = f->gen;
		c.bkt = f->bkt;
		c.slot = f->slot;
		c.in_use = 1;
		c.flags &= (uint8_t)~ACES_FLOW_F_HELD;
		age = from_ms(ft, age_ms);
		c.created = now > age ? now - age : 0;
		*f = c;
		ft->bkts[f->bkt].exp[f->slot] = aces_flow_tick(ft, now) +
			(uint32_t)(from_ms(ft, left_ms) >> ft->shift) + 1;
		if (accept != NULL && accept(arg, f) != 0) {
			flow_remove(ft, (uint32_t)ret);
			st->refused++;
			continue;
		}
		st->imported++;
	}
	return 0;
}
