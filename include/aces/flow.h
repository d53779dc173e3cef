/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ACES_FLOW_H
#define ACES_FLOW_H

/**
 * @file
 * The flow table: one connection, one key, one 64-byte entry.
 *
 * ACES rewrites only the VIP end of a connection, so both of its directions carry
 * the client's (address, port, protocol): as source going to the VIP, as
 * destination coming back from the backend. That triple is the key; the rare flows
 * that share it (one client port to two VIPs) are told apart by their other end,
 * the VIP for a forward packet and the backend for a reply (struct aces_flow_tuple).
 * One key means one insert and one delete per flow.
 *
 * The hash is a table of 64-byte buckets, each holding five flows' signatures,
 * entry indexes and expiry times (after VPP's clib_bihash and its load balancer's
 * sticky table): a lookup reads one bucket line and the entry it points to, and
 * the sweep that ages flows out reads the buckets alone. A bucket whose five slots
 * are taken chains to an overflow bucket from a preallocated pool. An insert takes
 * the slot of an expired flow in its chain before a free one, and that flow's entry
 * with it, so under churn a new flow reuses what the old one left in cache and no
 * separate delete is needed. Free entries are a stack: the last freed (warm) first.
 *
 * Time is the caller's clock (TSC, or anything counting up at clock_hz); expiry is
 * kept in ticks of 0.5 to 1 ms. A table has one writer and no locks: it belongs to
 * one worker lcore. Nothing here allocates after aces_flow_table_create().
 *
 * Flows can leave the process and come back (aces_flow_export() and
 * aces_flow_import(): a versioned stream whose header names every field), be held
 * (never aged out while their owner queues their packets) and be re-pointed to
 * another backend. Pure C: no DPDK type, so it is tested without EAL.
 */

#include <stddef.h>
#include <stdint.h>

#include "aces/flow-t.h"

/** Stream format written by aces_flow_export(). */
#define ACES_FLOW_STREAM_VERSION 1

/**
 * Make a table for @p p->capacity flows (at least 1). NULL with errno set (EINVAL,
 * ENOMEM) on failure. Every state's timeout starts at 60 s; the sweep at 10 s.
 */
struct aces_flow_table *aces_flow_table_create(const struct aces_flow_params *p);

/** Free a table made by aces_flow_table_create() (NULL is fine). */
void aces_flow_table_free(struct aces_flow_table *ft);

/** Bytes a table of @p capacity flows takes (entries, buckets, free stacks). */
size_t aces_flow_table_bytes(uint32_t capacity);

/** Idle timeout of @p state in clock units; 0 or -EINVAL (bad state, 12 days or more). */
int aces_flow_set_timeout(struct aces_flow_table *ft, unsigned int state, uint64_t clock_units);

/** The sweep looks at every bucket once per @p period clock units (0: never by itself). */
void aces_flow_set_sweep(struct aces_flow_table *ft, uint64_t period);

/** Flows in the table. */
static inline uint32_t
aces_flow_count(const struct aces_flow_table *ft)
{
	return ft->capacity - ft->n_free;
}

static inline struct aces_flow *
aces_flow_get(const struct aces_flow_table *ft, uint32_t idx)
{
	return &ft->flows[idx];
}

static inline uint32_t
aces_flow_tick(const struct aces_flow_table *ft, uint64_t now)
{
	return (uint32_t)(now >> ft->shift);
}

/** Hash of a tuple's key (client address, port, protocol), seeded per table. */
static inline uint64_t
aces_flow_hash(const struct aces_flow_table *ft, const struct aces_flow_tuple *t)
{
	uint64_t k = (((uint64_t)t->client_ip << 32) | ((uint64_t)t->client_port << 16) |
		      t->proto) ^ ft->seed;

	/* murmur3's 64-bit finaliser: every key bit reaches the bucket and the signature */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

static inline uint32_t
aces_flow_sig(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

/** Prefetch the bucket of hash @p h (first stage of a burst's lookups). */
static inline void
aces_flow_prefetch(const struct aces_flow_table *ft, uint64_t h)
{
	__builtin_prefetch(&ft->bkts[h & ft->bkt_mask], 0, 3);
}

/**
 * Prefetch the entries the head bucket of @p h names with its signature (second
 * stage). @return how many it named: 0 means the lookup will most likely miss.
 */
static inline unsigned int
aces_flow_prefetch_entries(const struct aces_flow_table *ft, uint64_t h)
{
	const struct aces_flow_bucket *b = &ft->bkts[h & ft->bkt_mask];
	uint32_t sig = aces_flow_sig(h);
	unsigned int s, n = 0;

	for (s = 0; s < ACES_FLOW_BUCKET_SLOTS; s++) {
		if (b->sig[s] == sig) {
			__builtin_prefetch(&ft->flows[b->idx[s]], 1, 3);
			n++;
		}
	}
	return n;
}

/** Does flow @p f carry tuple @p t (key and the end @p t->dir names)? */
static inline int
aces_flow_match(const struct aces_flow *f, const struct aces_flow_tuple *t)
{
	if (f->client_ip != t->client_ip || f->client_port != t->client_port ||
	    f->proto != t->proto)
		return 0;
	if (t->dir == ACES_DIR_FWD)
		return f->vip_ip == t->peer_ip && f->vip_port == t->peer_port;
	return f->backend_ip == t->peer_ip && f->backend_port == t->peer_port;
}

/**
 * The flow of @p t (whose hash is @p h), or ACES_FLOW_NONE. An expired flow the
 * sweep has not reclaimed yet is still found: expiry is the sweep's business.
 */
static inline uint32_t
aces_flow_lookup(const struct aces_flow_table *ft, const struct aces_flow_tuple *t, uint64_t h)
{
	uint32_t sig = aces_flow_sig(h), b = (uint32_t)(h & ft->bkt_mask);
	unsigned int s;

	for (;;) {
		const struct aces_flow_bucket *bk = &ft->bkts[b];

		for (s = 0; s < ACES_FLOW_BUCKET_SLOTS; s++)
			if (bk->sig[s] == sig && aces_flow_match(&ft->flows[bk->idx[s]], t))
				return bk->idx[s];
		if (bk->next == 0)
			return ACES_FLOW_NONE;
		b = bk->next - 1;
	}
}

/**
 * A packet of flow @p f at @p now: its idle timer starts again from its state's
 * timeout (call it after a state change too). A held flow keeps no timer.
 */
static inline void
aces_flow_touch(struct aces_flow_table *ft, const struct aces_flow *f, uint64_t now)
{
	ft->bkts[f->bkt].exp[f->slot] = aces_flow_tick(ft, now) + ft->timeout[f->state];
}

/** Look @p n tuples up: hashes and buckets prefetched together. @p idx gets each answer. */
void aces_flow_lookup_bulk(const struct aces_flow_table *ft, const struct aces_flow_tuple *t,
			   unsigned int n, uint32_t *idx);

/**
 * Add a flow for @p t (hash @p h) at @p now; the caller has looked it up and not
 * found it. The entry gets the key, t's peer as its VIP (ACES_DIR_FWD) or backend
 * (ACES_DIR_REV), in_use, gen + 1, flags 0, state 0 and a timer; the caller fills
 * the rest and calls aces_flow_touch() once the state is set.
 * @return the entry index, -ENOSPC (every entry in use) or -ENOBUFS (the chain is
 *	full and no overflow bucket is left).
 */
int aces_flow_insert(struct aces_flow_table *ft, const struct aces_flow_tuple *t, uint64_t h,
		     uint64_t now);

/** Remove flow @p idx (in use) now. The expire callback is not called. */
void aces_flow_delete(struct aces_flow_table *ft, uint32_t idx);

/**
 * Paced aging: look at the buckets owed since the last call (the sweep period),
 * at most @p max, and reclaim the expired flows (callback, then free).
 * @return flows reclaimed.
 */
uint32_t aces_flow_age(struct aces_flow_table *ft, uint64_t now, uint32_t max);

/** Look at the next @p n buckets now, whatever the pace. @return flows reclaimed. */
uint32_t aces_flow_reap(struct aces_flow_table *ft, uint64_t now, uint32_t n);

/** Next flow in use at or after *@p cursor (then advanced past it), or ACES_FLOW_NONE. */
uint32_t aces_flow_next(const struct aces_flow_table *ft, uint32_t *cursor);

/** Hold flow @p idx: it does not expire until released. 0, -EINVAL, -EALREADY. */
int aces_flow_hold(struct aces_flow_table *ft, uint32_t idx);

/** Release a held flow; its timer starts again at @p now. 0, -EINVAL (not held). */
int aces_flow_release(struct aces_flow_table *ft, uint32_t idx, uint64_t now);

/**
 * Point flow @p idx at another backend (@p backend, address @p ip, port @p port,
 * network order). -EEXIST when another flow of the same key already has that
 * backend end (replies could not be told apart); -EINVAL when @p idx is not in use.
 */
int aces_flow_repoint(struct aces_flow_table *ft, uint32_t idx, uint16_t backend, uint32_t ip,
		      uint16_t port);

/**
 * Write every flow to @p write as a stream: a header (magic, byte order, version,
 * count, the name, offset and size of each field in a record), the records, and a
 * trailer with a checksum. Timers travel as time left and age, so the reader's
 * clock need not match. Holds are not exported.
 * @return flows written, or the writer's -errno.
 */
int64_t aces_flow_export(const struct aces_flow_table *ft, uint64_t now, aces_flow_write_cb write,
			 void *arg);

/**
 * Read a stream of aces_flow_export() into @p ft at @p now. The whole stream is
 * checked first (magic, byte order, version, field list, length, checksum): a bad
 * one changes nothing and returns -EINVAL with the reason in @p err. Then each flow
 * is added, given to @p accept (may be NULL) and kept or dropped; the counts go to
 * @p st. Fields the stream has and this version does not know are skipped.
 */
int aces_flow_import(struct aces_flow_table *ft, const void *buf, size_t len, uint64_t now,
		     aces_flow_import_cb accept, void *arg, struct aces_flow_import_stats *st,
		     char *err, size_t errlen);

#endif /* ACES_FLOW_H */
