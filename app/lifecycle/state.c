/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What one ACES process hands to the next: a state file written at a clean stop
 * (SIGINT, SIGTERM) once the workers have stopped, read by the next start before
 * its workers run, then removed. It holds every flow of every worker (the flow
 * table's own versioned stream), the Endpoint Manager (the transition, each
 * endpoint's phase, weight, pin and timers, the journal), each backend's health,
 * and the names the indexes in all of them refer to, so the next process maps them
 * onto its own configuration by name: a restart with a changed configuration, or
 * an upgraded binary, keeps what still exists and says what it left out.
 *
 * Layout: "ACESSTAT", format version (u32), 0 (u32), JSON length (u64), the JSON
 * (meta, names, manager, journal, health, the stream lengths), each worker's flow
 * stream, FNV-1a 64 of everything before it (u64). Host byte order, named in the
 * JSON; a file written on another machine or before the last boot is refused. The
 * manager clock (CLOCK_MONOTONIC since the first start) continues, so its times
 * need no conversion; flow timers are moved back by the time the file lay unread.
 *
 * A file that cannot be read is refused as a whole, logged, shown by /aces/restart
 * and renamed to FILE.refused: ACES starts without it (what a crash costs: flows are
 * then adopted by their packets, see worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "aces/flow.h"
#include "aces/fnv.h"
#include "aces/manager.h"
#include "common/aces.h"
#include "datapath/datapath.h"
#include "health/health.h"
#include "manager/manager.h"
#include "lifecycle/lifecycle.h"

RTE_LOG_REGISTER(aces_logtype_state, user.aces.state, INFO);
#define ST_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, aces_logtype_state, "aces: " fmt "\n", ## __VA_ARGS__)

#define STATE_MAGIC	"ACESSTAT"
#define STATE_FORMAT	1u
#define STATE_JOURNAL	1024	/* newest events carried over */

struct aces_restart_info aces_restart;

static struct {
	uint8_t *buf;		/* the file read at start, until applied */
	size_t len;
	json_t *js;
	const uint8_t *streams;	/* first flow stream */
	uint64_t saved_mono_ms;	/* when it was written (CLOCK_MONOTONIC) */
} rd;


static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	snprintf(out, len, "unknown");
	if (f == NULL)
		return;
	if (fgets(out, (int)len, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Wall clock of a worker's TSC stamp. */
static uint64_t
tsc_to_realtime_ms(uint64_t tsc)
{
	uint64_t now = rte_rdtsc(), rt = clock_ms(CLOCK_REALTIME);

	if (tsc == 0 || tsc > now)
		return rt;
	return rt - (now - tsc) * 1000 / aces.tsc_hz;
}

static void
refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The file cannot be used: say why, keep it aside for a post-mortem. */
static void
refuse(const char *fmt, ...)
{
	char why[sizeof(aces_restart.status) - 16], aside[4200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(aces_restart.status, sizeof(aces_restart.status), "refused: %s", why);
	snprintf(aside, sizeof(aside), "%s.refused", aces_restart.path);
	if (rename(aces_restart.path, aside) != 0)
		unlink(aces_restart.path);
	ST_LOG(WARNING, "state file %s refused: %s (kept as %s); starting without the last "
	       "process's flows: a connection survives only if its packets are adopted",
	       aces_restart.path, why, aside);
	json_decref(rd.js);
	free(rd.buf);
	memset(&rd, 0, sizeof(rd));
}

/* ---- reading, before the modules start ---- */

int
aces_state_open(void)
{
	char boot[64];
	const char *bo = NULL, *bid = NULL;
	json_int_t start_mono = 0, start_rt = 0, saved_mono = 0, format = 0;
	json_error_t je;
	uint64_t jlen, sum;
	struct stat sb;
	FILE *f;

	if (!aces_restart.enabled) {
		snprintf(aces_restart.status, sizeof(aces_restart.status), "disabled (--no-state)");
		return 0;
	}
	f = fopen(aces_restart.path, "rb");
	if (f == NULL) {
		snprintf(aces_restart.status, sizeof(aces_restart.status), "%s",
			 errno == ENOENT ? "no state file: a fresh start" : strerror(errno));
		if (errno != ENOENT)
			ST_LOG(WARNING, "state file %s: %s", aces_restart.path, strerror(errno));
		return 0;
	}
	if (fstat(fileno(f), &sb) != 0 || sb.st_size < 32) {
		fclose(f);
		refuse("too short (%lld bytes)", (long long)sb.st_size);
		return 0;
	}
	rd.len = (size_t)sb.st_size;
	rd.buf = malloc(rd.len + 1);
	if (rd.buf == NULL || fread(rd.buf, 1, rd.len, f) != rd.len) {
		fclose(f);
		refuse("cannot read it whole (%zu bytes)", rd.len);
		return 0;
	}
	fclose(f);
	if (memcmp(rd.buf, STATE_MAGIC, 8) != 0) {
		refuse("not an ACES state file (bad magic)");
		return 0;
	}
	memcpy(&format, rd.buf + 8, 4);
	if ((uint32_t)format != STATE_FORMAT) {
		refuse("format %u, this ACES reads format %u", (uint32_t)format, STATE_FORMAT);
		return 0;
	}
	memcpy(&sum, rd.buf + rd.len - 8, 8);
	if (aces_fnv1a(ACES_FNV1A_INIT, rd.buf, rd.len - 8) != sum) {
		refuse("checksum mismatch: the file is damaged or was cut short");
		return 0;
	}
	memcpy(&jlen, rd.buf + 16, 8);
	if (jlen > rd.len - 32) {
		refuse("JSON length %llu beyond the file", (unsigned long long)jlen);
		return 0;
	}
	rd.js = json_loadb((const char *)rd.buf + 24, jlen, 0, &je);
	if (rd.js == NULL) {
		refuse("JSON: %s (line %d)", je.text, je.line);
		return 0;
	}
	rd.streams = rd.buf + 24 + jlen;
	if (json_unpack(rd.js, "{s:s, s:s, s:I, s:I, s:I}", "byte_order", &bo, "boot_id", &bid,
			"start_mono_ms", &start_mono, "start_realtime_ms", &start_rt,
			"written_mono_ms", &saved_mono) != 0) {
		refuse("meta: byte_order, boot_id, start_mono_ms, start_realtime_ms or "
		       "written_mono_ms missing");
		return 0;
	}
	if (strcmp(bo, RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? "little" : "big") != 0) {
		refuse("written with byte order %s", bo);
		return 0;
	}
	boot_id(boot, sizeof(boot));
	if (strcmp(bid, boot) != 0) {
		refuse("written before the last boot (boot id %s, now %s): its connections are "
		       "gone", bid, boot);
		return 0;
	}
	if ((uint64_t)saved_mono > clock_ms(CLOCK_MONOTONIC) || start_mono > saved_mono) {
		refuse("its times are in the future");
		return 0;
	}
	/* the manager clock goes on from the last process */
	aces_cp.start_mono_ms = (uint64_t)start_mono;
	aces_cp.start_realtime_ms = (uint64_t)start_rt;
	rd.saved_mono_ms = (uint64_t)saved_mono;
	return 0;
}

/* ---- applying, after the modules, before the workers ---- */

struct import_map {
	uint32_t n_ep, n_be;
	int32_t *ep;		/* old endpoint index -> new, -1: gone */
	int32_t *be;		/* old backend index -> new, -1: gone */
	struct aces_worker *w;
	int route;		/* the worker count changed: keep only this worker's flows */
	uint32_t other_owner, unknown;
};

static int
import_accept(void *arg, struct aces_flow *f)
{
	struct import_map *m = arg;
	struct aces_worker *w = m->w;
	int32_t e, b;

	if (m->route) {
		if (aces_flow_owner_of(f->client_ip, f->client_port, f->proto) != w->idx) {
			m->other_owner++;
			return 1;
		}
	}
	e = f->ep < m->n_ep ? m->ep[f->ep] : -1;
	b = f->backend < m->n_be ? m->be[f->backend] : -1;
	if (e < 0 || b < 0) {
		m->unknown++;
		return 1;
	}
	f->ep = (uint16_t)e;
	f->backend = (uint16_t)b;
	f->side = (uint8_t)aces.cfg->backends[b].side;
	w->eps[e * 2 + f->side].flows++;
	w->bes[b].flows++;
	if (f->open) {
		w->eps[e * 2 + f->side].open++;
		w->bes[b].open++;
	}
	w->st.flows_active++;
	w->st.flows_imported++;
	return 0;
}

/* Old index -> new of the endpoints and backends: same name and same identity (an
 * endpoint's VIP, port, protocol and backend port; a backend's address). */
static int
build_maps(struct import_map *m)
{
	const struct aces_config *c = aces.cfg;
	json_t *eps = json_object_get(rd.js, "endpoints"), *bes = json_object_get(rd.js, "backends");
	json_t *v;
	size_t i;

	if (!json_is_array(eps) || !json_is_array(bes))
		return -EINVAL;
	m->n_ep = (uint32_t)json_array_size(eps);
	m->n_be = (uint32_t)json_array_size(bes);
	m->ep = calloc(m->n_ep + 1, sizeof(*m->ep));
	m->be = calloc(m->n_be + 1, sizeof(*m->be));
	if (m->ep == NULL || m->be == NULL)
		return -ENOMEM;
	json_array_foreach(eps, i, v) {
		const char *name = "";
		json_int_t vip = 0, port = 0, proto = 0, bport = 0;
		int idx;

		if (json_unpack(v, "{s:s, s:I, s:I, s:I, s:I}", "name", &name, "vip", &vip,
				"port", &port, "proto", &proto, "backend_port", &bport) != 0)
			return -EINVAL;
		idx = aces_config_endpoint_index(c, name);
		if (idx >= 0 && (c->endpoints[idx].vip != (uint32_t)vip ||
				 c->endpoints[idx].port != port || c->endpoints[idx].proto != proto ||
				 c->endpoints[idx].backend_port != bport)) {
			ST_LOG(WARNING, "endpoint %s changed its address, port or protocol: its "
			       "flows are not carried over", name);
			idx = -1;
		}
		m->ep[i] = idx;
	}
	json_array_foreach(bes, i, v) {
		const char *name = "";
		json_int_t addr = 0;
		int idx;

		if (json_unpack(v, "{s:s, s:I}", "name", &name, "addr", &addr) != 0)
			return -EINVAL;
		idx = aces_config_backend_index(c, name);
		if (idx >= 0 && c->backends[idx].addr != (uint32_t)addr) {
			ST_LOG(WARNING, "backend %s changed its address: its flows are not carried "
			       "over", name);
			idx = -1;
		}
		m->be[i] = idx;
	}
	return 0;
}

static int
restore_manager(char *err, size_t errlen)
{
	json_t *mj = json_object_get(rd.js, "manager"), *jr = json_object_get(rd.js, "journal");
	json_t *eps, *v;
	struct aces_mgr_saved s;
	struct aces_event *ev = NULL;
	json_int_t state = 0, tr = 0, started = 0, ended = 0;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	if (json_unpack(mj, "{s:I, s:I, s:I, s:I, s:o}", "state", &state, "transition", &tr,
			"started_ms", &started, "ended_ms", &ended, "endpoints", &eps) != 0 ||
	    !json_is_array(eps) || state < 0 || state > 255 || tr < 0 || tr > UINT32_MAX) {
		snprintf(err, errlen, "manager: state, transition, started_ms, ended_ms or "
			 "endpoints missing or out of range");
		return -EINVAL;
	}
	/* the journal first: its ids go on */
	if (json_is_array(jr) && json_array_size(jr) > 0) {
		ev = calloc(json_array_size(jr), sizeof(*ev));
		if (ev == NULL)
			return -ENOMEM;
		json_array_foreach(jr, i, v) {
			const char *ep = "-", *from = "", *to = "", *why = "";
			json_int_t id = 0, t = 0, be = -1, w = 0;

			if (json_unpack(v, "{s:I, s:I, s:s, s:I, s:I, s:s, s:s, s:s}", "id", &id,
					"t_ms", &t, "endpoint", &ep, "backend", &be, "weight", &w,
					"from", &from, "to", &to, "reason", &why) != 0 || id <= 0) {
				free(ev);
				snprintf(err, errlen, "journal: event %zu malformed", i);
				return -EINVAL;
			}
			ev[i].id = (uint64_t)id;
			ev[i].t_ms = (uint64_t)t;
			ev[i].ep = aces_config_endpoint_index(aces.cfg, ep);
			be = be >= 0 ? aces_config_backend_index(aces.cfg, json_string_value(
				json_object_get(v, "backend_name")) ?: "") : -1;
			ev[i].backend = (int32_t)be;
			ev[i].weight = (uint8_t)(w < 0 || w > 100 ? 0 : w);
			snprintf(ev[i].from, sizeof(ev[i].from), "%s", from);
			snprintf(ev[i].to, sizeof(ev[i].to), "%s", to);
			snprintf(ev[i].reason, sizeof(ev[i].reason), "%s", why);
		}
		if (aces_mgr_journal_restore(aces_cp.mgr, ev, (uint32_t)json_array_size(jr)) != 0)
			ST_LOG(WARNING, "state file: journal ids not increasing; older events left out");
		free(ev);
	}
	s.state = (uint8_t)state;
	s.transition = (uint32_t)tr;
	s.started_ms = (uint64_t)started;
	s.ended_ms = (uint64_t)ended;
	s.n_ep = (uint32_t)json_array_size(eps);
	s.ep = calloc(s.n_ep + 1, sizeof(*s.ep));
	if (s.ep == NULL)
		return -ENOMEM;
	json_array_foreach(eps, i, v) {
		struct aces_mgr_saved_ep *o = &s.ep[i];
		const char *name = "";
		json_int_t ph = 0, wt = 0, pin = 0, da = 0, hr = 0, hl = 0, ps = 0, ls = 0, lo = 0,
			   cu = 0, lr = 0, rn = 0;
		json_t *rt = NULL, *x;
		size_t k;

		if (json_unpack(v, "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				"s:I, s:o}", "name", &name, "phase", &ph, "weight", &wt, "pinned",
				&pin, "drain_acted", &da, "hook_replicate", &hr, "hook_release", &hl,
				"phase_since", &ps, "last_step", &ls, "low_since", &lo, "cool_until",
				&cu, "last_reshard", &lr, "reshard_n", &rn, "reshard_t", &rt) != 0 ||
		    !json_is_array(rt) || ph < 0 || ph > 255 || wt < 0 || wt > 255 || rn < 0) {
			aces_mgr_saved_free(&s);
			snprintf(err, errlen, "manager: endpoint %zu malformed", i);
			return -EINVAL;
		}
		snprintf(o->name, sizeof(o->name), "%s", name);
		o->phase = (uint8_t)ph;
		o->weight = (uint8_t)wt;
		o->pinned = pin != 0;
		o->drain_acted = da != 0;
		o->hook_running[ACES_HOOK_REPLICATE] = hr != 0;
		o->hook_running[ACES_HOOK_RELEASE] = hl != 0;
		o->phase_since = (uint64_t)ps;
		o->last_step = (uint64_t)ls;
		o->low_since = (uint64_t)lo;
		o->cool_until = (uint64_t)cu;
		o->last_reshard = (uint64_t)lr;
		o->reshard_n = (uint32_t)RTE_MIN(rn, (json_int_t)UINT32_MAX / 2);
		json_array_foreach(rt, k, x)
			if (k < ACES_MGR_RESHARD_LOG)
				o->reshard_t[k] = (uint64_t)json_integer_value(x);
	}
	rc = aces_mgr_restore(aces_cp.mgr, &s, aces_now_ms(), "the last process", 0, err, errlen);
	aces_mgr_saved_free(&s);
	return rc;
}

int
aces_state_apply(void)
{
	json_t *lens;
	struct import_map map;
	uint64_t t0 = rte_rdtsc(), lay_ms, lay_tsc, now;
	json_int_t saved_workers = 0, last_fwd = 0;
	int clean = 0;
	const uint8_t *p;
	unsigned int i, j;
	char err[256];
	uint32_t kept = 0;

	if (rd.js == NULL)
		return 0;
	memset(&map, 0, sizeof(map));
	lens = json_object_get(rd.js, "streams");
	if (json_unpack(rd.js, "{s:I, s:I, s:b}", "workers", &saved_workers,
			"last_forward_realtime_ms", &last_fwd, "clean_stop", &clean) != 0 ||
	    !json_is_array(lens) ||
	    json_array_size(lens) != (size_t)saved_workers || saved_workers < 0) {
		refuse("meta: workers, last_forward_realtime_ms or streams missing");
		return 0;
	}
	if (build_maps(&map) != 0) {
		free(map.ep);
		free(map.be);
		refuse("names: endpoints or backends malformed");
		return 0;
	}
	/* every stream lies within the file before anything changes */
	p = rd.streams;
	for (j = 0; j < (unsigned int)saved_workers; j++) {
		json_int_t l = json_integer_value(json_array_get(lens, j));

		if (l < 0 || (size_t)l > (size_t)(rd.buf + rd.len - 8 - p)) {
			free(map.ep);
			free(map.be);
			refuse("flow stream %u: length %lld beyond the file", j, (long long)l);
			return 0;
		}
		p += l;
	}
	if (restore_manager(err, sizeof(err)) != 0) {
		free(map.ep);
		free(map.be);
		refuse("%s", err);
		return 0;
	}
	if (aces_health_restore(json_object_get(rd.js, "health"), &kept) != 0)
		ST_LOG(WARNING, "state file: backend health malformed; every backend starts up");
	/* flows: timers moved back by the time the file lay unread */
	lay_ms = clock_ms(CLOCK_MONOTONIC) - rd.saved_mono_ms;
	lay_tsc = lay_ms * aces.tsc_hz / 1000;
	now = rte_rdtsc();
	for (i = 0; i < aces.n_workers; i++) {
		map.w = &aces.workers[i];
		map.route = (unsigned int)saved_workers != aces.n_workers;
		p = rd.streams;
		for (j = 0; j < (unsigned int)saved_workers; j++) {
			size_t l = (size_t)json_integer_value(json_array_get(lens, j));
			struct aces_flow_import_stats st;

			if (map.route || i == j) {
				memset(&st, 0, sizeof(st));
				if (aces_flow_import(map.w->ft, p, l, now - lay_tsc, import_accept, &map,
						     &st, err, sizeof(err)) != 0) {
					ST_LOG(WARNING, "state file: flows of worker %u refused: %s", j,
					       err);
					aces_restart.streams_refused++;
				}
				if (!map.route || i == 0)
					aces_restart.flows_in_file += st.in_stream;
				aces_restart.flows_expired += st.expired;
				aces_restart.flows_no_room += st.no_room + st.duplicate;
			}
			p += l;
		}
	}
	aces_restart.flows_imported = 0;
	for (i = 0; i < aces.n_workers; i++)
		aces_restart.flows_imported += aces.workers[i].st.flows_imported;
	aces_restart.flows_left_out = map.unknown;
	aces_restart.taken = 1;
	aces_restart.clean = clean;
	aces_restart.last_forward_realtime_ms = (uint64_t)last_fwd;
	aces_restart.lay_ms = lay_ms;
	aces_restart.apply_ms = (rte_rdtsc() - t0) * 1000 / aces.tsc_hz;
	snprintf(aces_restart.status, sizeof(aces_restart.status), "%s", clean ?
		 "taken over from a clean stop" :
		 "checkpoint of a process that did not stop cleanly: the transition, weights and "
		 "health taken over, flows adopted by their packets");
	free(map.ep);
	free(map.be);
	/* workers start on the restored weights and down set */
	aces_assign_sync();
	ST_LOG(INFO, "%s state of the last process taken over from %s: %llu of %llu flows "
	       "(%u for endpoints or backends no longer configured, %llu expired, %llu no room), "
	       "transition %u %s, health of %u backends; file lay %llu ms, applied in %llu ms",
	       clean ? "clean stop:" : "checkpoint (no clean stop):", aces_restart.path,
	       (unsigned long long)aces_restart.flows_imported,
	       (unsigned long long)aces_restart.flows_in_file, map.unknown,
	       (unsigned long long)aces_restart.flows_expired,
	       (unsigned long long)aces_restart.flows_no_room, aces_mgr_transition(aces_cp.mgr),
	       aces_transition_state_name(aces_mgr_state(aces_cp.mgr)), kept,
	       (unsigned long long)lay_ms, (unsigned long long)aces_restart.apply_ms);
	if (unlink(aces_restart.path) != 0)
		ST_LOG(WARNING, "state file %s: cannot remove it: %s", aces_restart.path,
		       strerror(errno));
	json_decref(rd.js);
	free(rd.buf);
	memset(&rd, 0, sizeof(rd));
	return 0;
}

/* Control loop, until it happens: the first packet forwarded since the take-over. */
void
aces_state_watch_gap(void)
{
	uint64_t first = 0;
	unsigned int i;

	if (!aces_restart.taken || !aces_restart.clean || aces_restart.gap_known)
		return;
	for (i = 0; i < aces.n_workers; i++) {
		uint64_t t = __atomic_load_n(&aces.workers[i].first_fwd_tsc, __ATOMIC_RELAXED);

		if (t != 0 && (first == 0 || t < first))
			first = t;
	}
	if (first == 0)
		return;
	aces_restart.first_forward_realtime_ms = tsc_to_realtime_ms(first);
	aces_restart.gap_ms = (int64_t)aces_restart.first_forward_realtime_ms -
			      (int64_t)aces_restart.last_forward_realtime_ms;
	__atomic_store_n(&aces_restart.gap_known, 1, __ATOMIC_RELEASE);
	ST_LOG(INFO, "restart gap: %lld ms from the last packet the old process forwarded to the "
	       "first this one did", (long long)aces_restart.gap_ms);
}

/* ---- writing, at a clean stop ---- */

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int
mem_write(void *arg, const void *buf, size_t len)
{
	struct membuf *b = arg;

	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		uint8_t *n;

		while (cap < b->len + len)
			cap *= 2;
		n = realloc(b->p, cap);
		if (n == NULL)
			return -ENOMEM;
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return 0;
}

static json_t *
manager_json(void)
{
	struct aces_mgr_saved s;
	json_t *eps, *o;
	uint32_t e;

	if (aces_mgr_save(aces_cp.mgr, &s) != 0)
		return NULL;
	eps = json_array();
	for (e = 0; eps != NULL && e < s.n_ep; e++) {
		const struct aces_mgr_saved_ep *x = &s.ep[e];
		json_t *rt = json_array();
		int k;

		for (k = 0; rt != NULL && k < ACES_MGR_RESHARD_LOG; k++)
			json_array_append_new(rt, json_integer((json_int_t)x->reshard_t[k]));
		json_array_append_new(eps, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I, "
			"s:I, s:I, s:I, s:I, s:I, s:o}", "name", x->name, "phase", x->phase,
			"weight", x->weight, "pinned", x->pinned, "drain_acted", x->drain_acted,
			"hook_replicate", x->hook_running[ACES_HOOK_REPLICATE],
			"hook_release", x->hook_running[ACES_HOOK_RELEASE],
			"phase_since", (json_int_t)x->phase_since,
			"last_step", (json_int_t)x->last_step, "low_since", (json_int_t)x->low_since,
			"cool_until", (json_int_t)x->cool_until,
			"last_reshard", (json_int_t)x->last_reshard,
			"reshard_n", (json_int_t)x->reshard_n, "reshard_t", rt));
	}
	o = json_pack("{s:i, s:I, s:I, s:I, s:o}", "state", s.state,
		      "transition", (json_int_t)s.transition, "started_ms", (json_int_t)s.started_ms,
		      "ended_ms", (json_int_t)s.ended_ms, "endpoints", eps);
	aces_mgr_saved_free(&s);
	return o;
}

static json_t *
journal_json(void)
{
	const struct aces_config *c = aces.cfg;
	uint64_t next = aces_mgr_journal_next_id(aces_cp.mgr), id = aces_mgr_journal_first_id(aces_cp.mgr);
	json_t *arr = json_array();

	if (next > STATE_JOURNAL && id < next - STATE_JOURNAL)
		id = next - STATE_JOURNAL;
	for (; arr != NULL && id < next; id++) {
		struct aces_event ev;

		if (aces_mgr_journal_read(aces_cp.mgr, id, &ev) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:I, s:s, s:i, s:s, s:s, s:s}",
			"id", (json_int_t)ev.id, "t_ms", (json_int_t)ev.t_ms,
			"endpoint", ev.ep >= 0 && (uint32_t)ev.ep < c->n_endpoints ?
				c->endpoints[ev.ep].name : "-",
			"backend", (json_int_t)ev.backend,
			"backend_name", ev.backend >= 0 && (uint32_t)ev.backend < c->n_backends ?
				c->backends[ev.backend].name : "",
			"weight", ev.weight, "from", ev.from, "to", ev.to, "reason", ev.reason));
	}
	return arr;
}

static json_t *
names_json(int backends)
{
	const struct aces_config *c = aces.cfg;
	json_t *arr = json_array();
	uint32_t i;

	for (i = 0; arr != NULL && !backends && i < c->n_endpoints; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:i, s:i, s:i}",
			"name", c->endpoints[i].name, "vip", (json_int_t)c->endpoints[i].vip,
			"port", c->endpoints[i].port, "proto", c->endpoints[i].proto,
			"backend_port", c->endpoints[i].backend_port));
	for (i = 0; arr != NULL && backends && i < c->n_backends; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:i}", "name", c->backends[i].name,
			"addr", (json_int_t)c->backends[i].addr, "side", c->backends[i].side));
	return arr;
}

/* Write the whole file to PATH.tmp, then rename: the next start sees all or nothing.
 * @flows: every worker's flows (a clean stop; the workers have stopped), or none (a
 * checkpoint of the control state while they run). */
static int
state_write(int with_flows)
{
	struct membuf *fl = NULL;
	json_t *js = NULL, *lens;
	char boot[64], tmp[4200], *text = NULL;
	uint64_t t0 = rte_rdtsc(), last = 0, sum = ACES_FNV1A_INIT, jlen, flows = 0;
	uint8_t head[24];
	unsigned int i;
	int fd = -1, rc = -1;
	FILE *f = NULL;

	if (!aces_restart.enabled || aces_cp.mgr == NULL || aces.workers == NULL)
		return 0;
	for (i = 0; i < aces.n_workers; i++)
		if (aces.workers[i].last_fwd_tsc > last)
			last = aces.workers[i].last_fwd_tsc;
	fl = calloc(aces.n_workers, sizeof(*fl));
	lens = json_array();
	if (fl == NULL || lens == NULL)
		goto out;
	for (i = 0; with_flows && i < aces.n_workers; i++) {
		int64_t n = aces_flow_export(aces.workers[i].ft, rte_rdtsc(), mem_write, &fl[i]);

		if (n < 0) {
			ST_LOG(ERR, "state file: flows of worker %u: %s", i, strerror((int)-n));
			goto out;
		}
		flows += (uint64_t)n;
		json_array_append_new(lens, json_integer((json_int_t)fl[i].len));
	}
	boot_id(boot, sizeof(boot));
	js = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:o, s:b, s:o, s:o, "
		       "s:o, s:o, s:o}",
		       "aces_version", ACES_VERSION, "config", aces_cp.config_path,
		       "byte_order", RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? "little" : "big",
		       "boot_id", boot, "start_mono_ms", (json_int_t)aces_cp.start_mono_ms,
		       "start_realtime_ms", (json_int_t)aces_cp.start_realtime_ms,
		       "written_mono_ms", (json_int_t)clock_ms(CLOCK_MONOTONIC),
		       "written_realtime_ms", (json_int_t)clock_ms(CLOCK_REALTIME),
		       "last_forward_realtime_ms",
		       (json_int_t)(last ? tsc_to_realtime_ms(last) : clock_ms(CLOCK_REALTIME)),
		       "workers", with_flows ? (int)aces.n_workers : 0, "streams", lens,
		       "clean_stop", with_flows,
		       "endpoints", names_json(0), "backends", names_json(1),
		       "manager", manager_json(), "journal", journal_json(),
		       "health", aces_health_save());
	lens = NULL;
	if (js == NULL)
		goto out;
	text = json_dumps(js, JSON_COMPACT);
	if (text == NULL)
		goto out;
	jlen = strlen(text);
	memcpy(head, STATE_MAGIC, 8);
	{
		uint32_t v = STATE_FORMAT, z = 0;

		memcpy(head + 8, &v, 4);
		memcpy(head + 12, &z, 4);
		memcpy(head + 16, &jlen, 8);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", aces_restart.path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
		ST_LOG(ERR, "state file %s: %s: the next process starts without these flows", tmp,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	sum = aces_fnv1a(sum, head, sizeof(head));
	sum = aces_fnv1a(sum, text, jlen);
	fwrite(head, 1, sizeof(head), f);
	fwrite(text, 1, jlen, f);
	for (i = 0; with_flows && i < aces.n_workers; i++) {
		sum = aces_fnv1a(sum, fl[i].p, fl[i].len);
		fwrite(fl[i].p, 1, fl[i].len, f);
	}
	fwrite(&sum, 1, sizeof(sum), f);
	if (fflush(f) != 0 || ferror(f) || (with_flows && fsync(fileno(f)) != 0)) {
		ST_LOG(ERR, "state file %s: write failed: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	if (rename(tmp, aces_restart.path) != 0) {
		ST_LOG(ERR, "state file %s: %s", aces_restart.path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (with_flows)
		ST_LOG(INFO, "state written to %s: %llu flows, transition %u %s, %llu ms",
		       aces_restart.path, (unsigned long long)flows, aces_mgr_transition(aces_cp.mgr),
		       aces_transition_state_name(aces_mgr_state(aces_cp.mgr)),
		       (unsigned long long)((rte_rdtsc() - t0) * 1000 / aces.tsc_hz));
	else
		aces_restart.checkpoints++;
	rc = 0;
out:
	if (rc != 0 && f == NULL && fd < 0)
		ST_LOG(ERR, "state file %s not written: the next process starts without these flows",
		       aces_restart.path);
	free(text);
	json_decref(js);
	json_decref(lens);
	for (i = 0; fl != NULL && i < aces.n_workers; i++)
		free(fl[i].p);
	free(fl);
	return rc;
}

int
aces_state_write(void)
{
	return state_write(1);
}

/*
 * While running: the control state (the transition, weights, pins, health; no flows)
 * is written again within a second of a change, so that a process that is killed
 * leaves the next one where it was: new flows keep going where they went, and the
 * packets of its connections are adopted by the same steering (worker.c).
 */
void
aces_state_checkpoint(uint64_t now_ms)
{
	static uint64_t last_ms, last_digest;
	const struct aces_config *c = aces.cfg;
	uint64_t down_gen, d = ACES_FNV1A_INIT;
	uint32_t e, v;

	if (!aces_restart.enabled || now_ms - last_ms < 1000)
		return;
	aces_health_down(&down_gen);
	d = aces_fnv1a(d, &down_gen, sizeof(down_gen));
	d = aces_fnv1a(d, &aces_cp.cfg_gen, sizeof(aces_cp.cfg_gen));	/* a reload */
	v = aces_mgr_transition(aces_cp.mgr) << 4 | (uint32_t)aces_mgr_state(aces_cp.mgr);
	d = aces_fnv1a(d, &v, sizeof(v));
	for (e = 0; e < c->n_endpoints; e++) {
		v = (uint32_t)aces_mgr_phase(aces_cp.mgr, e) << 16 |
		    (uint32_t)aces_mgr_pinned(aces_cp.mgr, e) << 8 | aces.assign->weight[e];
		d = aces_fnv1a(d, &v, sizeof(v));
	}
	if (d == last_digest && last_ms != 0)
		return;
	last_ms = now_ms;
	if (state_write(0) == 0)
		last_digest = d;
}
