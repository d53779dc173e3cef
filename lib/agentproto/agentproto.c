/* SPDX-License-Identifier: BSD-3-Clause */
/* The agents' messages: sealing, checking, and their payloads (aces/agentproto.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aces/agentproto.h"
#include "aces/wire.h"

static const char *const stage_names[ACES_AP_ST_MAX] = {
	"done", "find", "quiet point", "export", "send", "import", "refused",
};

const char *
aces_ap_stage_name(unsigned int stage)
{
	return stage < ACES_AP_ST_MAX ? stage_names[stage] : "?";
}

/* Addresses and ports stay in network order: copied as bytes. */
static void
putn(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
}

static void
getn(void *v, const uint8_t *p, size_t n)
{
	memcpy(v, p, n);
}

size_t
aces_ap_seal(uint8_t *buf, size_t cap, const struct aces_ap_hdr *h, const void *payload,
	     const void *key, size_t keylen)
{
	size_t n = aces_ap_wire_len(h->len);

	if (cap < n || h->len > ACES_AP_HANDOFF_MAX + ACES_AP_HANDOFF_LEN)
		return 0;
	aces_put32(buf, ACES_AP_MAGIC);
	buf[4] = ACES_AP_VERSION;
	buf[5] = h->type;
	aces_put16(buf + 6, h->flags);
	aces_put32(buf + 8, h->len);
	aces_put64(buf + 12, h->id);
	aces_put64(buf + 20, h->time_ms);
	if (payload != NULL)
		memmove(buf + ACES_AP_HDR_LEN, payload, h->len);
	aces_hmac_sha256(key, keylen, buf, ACES_AP_HDR_LEN + h->len, buf + ACES_AP_HDR_LEN + h->len);
	return n;
}

int
aces_ap_peek_hdr(const uint8_t *buf, size_t len, struct aces_ap_hdr *h)
{
	if (len < ACES_AP_HDR_LEN || aces_get32(buf) != ACES_AP_MAGIC)
		return -EINVAL;
	h->version = buf[4];
	h->type = buf[5];
	h->flags = aces_get16(buf + 6);
	h->len = aces_get32(buf + 8);
	h->id = aces_get64(buf + 12);
	h->time_ms = aces_get64(buf + 20);
	return 0;
}

int
aces_ap_open(const uint8_t *buf, size_t len, const void *key, size_t keylen, uint64_t now_ms,
	     struct aces_ap_hdr *h, char *err, size_t errlen)
{
	uint8_t mac[ACES_AP_MAC_LEN], diff = 0;
	size_t i;

	if (aces_ap_peek_hdr(buf, len, h) != 0) {
		snprintf(err, errlen, "not an agent message (%zu bytes)", len);
		return -EINVAL;
	}
	if (h->version != ACES_AP_VERSION) {
		snprintf(err, errlen, "version %u, this side speaks %u", h->version, ACES_AP_VERSION);
		return -EINVAL;
	}
	if (h->type == 0 || h->type >= ACES_AP_TYPE_MAX) {
		snprintf(err, errlen, "unknown message type %u", h->type);
		return -EINVAL;
	}
	if (h->len > ACES_AP_HANDOFF_MAX + ACES_AP_HANDOFF_LEN ||
	    len != aces_ap_wire_len(h->len)) {
		snprintf(err, errlen, "length %zu does not match the header's %u", len, h->len);
		return -EINVAL;
	}
	aces_hmac_sha256(key, keylen, buf, ACES_AP_HDR_LEN + h->len, mac);
	for (i = 0; i < ACES_AP_MAC_LEN; i++)
		diff |= mac[i] ^ buf[ACES_AP_HDR_LEN + h->len + i];
	if (diff != 0) {
		snprintf(err, errlen, "bad MAC (not our secret, or damaged)");
		return -EBADMSG;
	}
	if (now_ms != 0 && (h->time_ms + ACES_AP_MAX_AGE_MS < now_ms ||
			    h->time_ms > now_ms + ACES_AP_MAX_AGE_MS)) {
		snprintf(err, errlen, "sent %lld ms from now: stale or replayed",
			 (long long)(h->time_ms - now_ms));
		return -ETIMEDOUT;
	}
	return 0;
}

void
aces_ap_move_put(uint8_t *p, const struct aces_ap_move *m)
{
	putn(p, &m->local_ip, 4);
	putn(p + 4, &m->local_port, 2);
	putn(p + 6, &m->peer_port, 2);
	putn(p + 8, &m->peer_ip, 4);
	putn(p + 12, &m->dst_ip, 4);
	putn(p + 16, &m->dst_agent_port, 2);
	putn(p + 18, &m->dst_port, 2);
	aces_put32(p + 20, m->budget_ms);
}

int
aces_ap_move_get(const uint8_t *p, size_t len, struct aces_ap_move *m)
{
	if (len != ACES_AP_MOVE_LEN)
		return -EINVAL;
	getn(&m->local_ip, p, 4);
	getn(&m->local_port, p + 4, 2);
	getn(&m->peer_port, p + 6, 2);
	getn(&m->peer_ip, p + 8, 4);
	getn(&m->dst_ip, p + 12, 4);
	getn(&m->dst_agent_port, p + 16, 2);
	getn(&m->dst_port, p + 18, 2);
	m->budget_ms = aces_get32(p + 20);
	return 0;
}

static void
put_msg(uint8_t *p, const char *msg)
{
	size_t n = strnlen(msg, ACES_AP_MSG_LEN - 1);

	memset(p, 0, ACES_AP_MSG_LEN);
	memcpy(p, msg, n);
}

static void
get_msg(char *msg, const uint8_t *p)
{
	size_t i;

	memcpy(msg, p, ACES_AP_MSG_LEN);
	msg[ACES_AP_MSG_LEN - 1] = '\0';
	for (i = 0; msg[i] != '\0'; i++)	/* text only: it ends up in logs and JSON */
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			msg[i] = '?';
}

void
aces_ap_result_put(uint8_t *p, const struct aces_ap_result *r)
{
	aces_put32(p, (uint32_t)r->status);
	p[4] = r->stage;
	p[5] = p[6] = p[7] = 0;
	aces_put32(p + 8, r->frozen_us);
	put_msg(p + 12, r->msg);
}

int
aces_ap_result_get(const uint8_t *p, size_t len, struct aces_ap_result *r)
{
	if (len != ACES_AP_RESULT_LEN || p[4] >= ACES_AP_ST_MAX)
		return -EINVAL;
	r->status = (int32_t)aces_get32(p);
	r->stage = p[4];
	r->frozen_us = aces_get32(p + 8);
	get_msg(r->msg, p + 12);
	return 0;
}

void
aces_ap_handoff_put(uint8_t *p, const struct aces_ap_handoff *x)
{
	putn(p, &x->local_ip, 4);
	putn(p + 4, &x->local_port, 2);
	aces_put16(p + 6, x->flags);
	aces_put32(p + 8, x->blob_len);
	aces_put32(p + 12, x->state_len);
}

int
aces_ap_handoff_get(const uint8_t *p, size_t len, struct aces_ap_handoff *x)
{
	if (len < ACES_AP_HANDOFF_LEN)
		return -EINVAL;
	getn(&x->local_ip, p, 4);
	getn(&x->local_port, p + 4, 2);
	x->flags = aces_get16(p + 6);
	x->blob_len = aces_get32(p + 8);
	x->state_len = aces_get32(p + 12);
	if ((uint64_t)x->blob_len + x->state_len != len - ACES_AP_HANDOFF_LEN)
		return -EINVAL;
	return 0;
}

void
aces_ap_ack_put(uint8_t *p, const struct aces_ap_ack *a)
{
	aces_put32(p, (uint32_t)a->status);
	put_msg(p + 4, a->msg);
}

int
aces_ap_ack_get(const uint8_t *p, size_t len, struct aces_ap_ack *a)
{
	if (len != ACES_AP_ACK_LEN)
		return -EINVAL;
	a->status = (int32_t)aces_get32(p);
	get_msg(a->msg, p + 4);
	return 0;
}

int
aces_ap_secret_load(const char *path, uint8_t *out, size_t cap, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO or a terminal named by mistake must not hang the loader */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	uint8_t extra;

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: is not a regular file", path);
		return -EINVAL;
	}
	n = read(fd, out, cap);
	if (n >= 0 && (size_t)n == cap && read(fd, &extra, 1) == 1)
		n = -2;
	close(fd);
	if (n == -2) {
		snprintf(err, errlen, "%s: a secret of at most %zu bytes", path, cap);
		return -EINVAL;
	}
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read it", path);
		return -EIO;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	if ((size_t)n < ACES_AP_SECRET_MIN) {
		snprintf(err, errlen, "%s: the secret has %zd bytes, at least %d are needed", path, n,
			 ACES_AP_SECRET_MIN);
		return -EINVAL;
	}
	return (int)n;
}
