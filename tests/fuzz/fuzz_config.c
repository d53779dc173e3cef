/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config loader on any text: a config (freed: LeakSanitizer sees what is not), or one
 * line of error that starts with the file's label, printable ASCII only (what it echoes
 * escaped), never empty. Mutations: half of them libFuzzer's own on the raw bytes, half
 * structure-aware: the input read as JSON (the corpus holds valid configs), one value
 * anywhere in it replaced by an edge case (numbers at and past every range, strings with
 * blanks, signs, newlines, bytes >= 0x80, addresses and MACs bent out of shape, another
 * type), a member removed or an array element doubled, written back.
 */
#include <string.h>

#include <jansson.h>

#include "aces/config.h"
#include "fuzz.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];
	struct aces_config *c;
	size_t i, n;

	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	c = aces_config_parse(text, "fuzz.json", err, sizeof(err));
	if (c != NULL) {
		aces_config_free(c);
	} else {
		n = strlen(err);
		PROMISE(n > 0 && n < sizeof(err));
		PROMISE(strncmp(err, "fuzz.json", 9) == 0);
		for (i = 0; i < n; i++)
			PROMISE(err[i] >= 0x20 && err[i] < 0x7f);
	}
	free(text);
	return 0;
}

static unsigned int
rnd(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static json_t *
edge_value(unsigned int *s)
{
	static const long long ints[] = { -1, 0, 1, 2, 7, 31, 32, 33, 100, 101, 575, 576, 1000,
		1001, 1023, 1024, 65535, 65536, 86400, 1000000, 2147483647LL, 2147483648LL,
		4294967295LL, 4294967296LL, 9223372036854775807LL, -9223372036854775807LL - 1 };
	static const char *const strs[] = { "", " ", "\n", "-1", "+1", "0x10", "1e9", "007",
		"10.10.2.0", "10.10.2.255", "240.0.0.1", "0.1.2.3", "127.0.0.1", "224.0.0.1",
		"255.255.255.255", "10.10.1.1/+24", "10.10.1.1/ 24", "10.10.1.1/024", "10.10.1.1/\n24",
		"10.10.1.1/33", "10.10.1.1", "02:-1:00:00:00:01", " 2: 0:00:00:00:01",
		"02:+1:00:00:00:01", "02:0x:00:00:00:01", "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff",
		"a\nb", "\xc3\xa9", "\xff\xfe", "web", "tcp", "udp", "sctp", "persistent", "session",
		"reset", "keep", "critical", "%s%n", "/dev/zero", "/nonexistent" };
	switch (rnd(s) % 7) {
	case 0: case 1:
		return json_integer(ints[rnd(s) % (sizeof(ints) / sizeof(ints[0]))]);
	case 2: case 3:
		return json_string(strs[rnd(s) % (sizeof(strs) / sizeof(strs[0]))]) ?:
		       json_null();
	case 4:
		return json_real(0.5);
	case 5:
		return rnd(s) & 1 ? json_true() : json_null();
	default:
		return rnd(s) & 1 ? json_object() : json_array();
	}
}

/* Replace (or remove, or double) the @k-th value met in a walk of @v. */
static int
mutate(json_t *v, unsigned int *k, unsigned int *s)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if ((*k)-- == 0) {
				switch (rnd(s) % 4) {
				case 0:
					json_object_del(v, key);
					break;
				case 1:
					json_object_set_new(v, rnd(s) & 1 ? "" : "bad\nkey",
							    edge_value(s));
					break;
				default:
					json_object_set_new(v, key, edge_value(s));
					break;
				}
				return 1;
			}
			if (mutate(x, k, s))
				return 1;
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			x = json_array_get(v, i);
			if ((*k)-- == 0) {
				if (rnd(s) & 1)
					json_array_append(v, x);	/* a duplicate */
				else
					json_array_set_new(v, i, edge_value(s));
				return 1;
			}
			if (mutate(x, k, s))
				return 1;
		}
	}
	return 0;
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	json_error_t je;
	json_t *root;
	char *out;
	size_t n;
	unsigned int k, tries;

	if (seed & 1)
		return LLVMFuzzerMutate(data, size, max_size);
	root = json_loadb((const char *)data, size, 0, &je);
	if (root == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	for (tries = 0; tries < 4; tries++) {	/* a walk shorter than k: try a smaller k */
		k = rnd(&seed) % (tries == 0 ? 64 : 8);
		if (mutate(root, &k, &seed))
			break;
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (out == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	n = strlen(out);
	if (n > max_size) {
		free(out);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, out, n);
	free(out);
	return n;
}
