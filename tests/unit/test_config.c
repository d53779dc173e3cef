/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aces/config.h"
#include "aces/pkt-t.h"
#include "unit.h"

static const char *data_dir = "tests/data/config";

static const char *
path_of(const char *rel)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", data_dir, rel);
	return buf;
}

static const char *minimal =
	"{\"interfaces\": {\"client\": {\"port\": 0, \"address\": \"10.0.0.1/24\"},"
	" \"backend\": {\"port\": 0, \"address\": \"10.0.1.1/24\", \"gateway\": \"10.0.1.254\"}},"
	" \"applications\": {\"original\": {\"backends\": [{\"name\": \"o\", \"address\": \"10.9.0.1\"}]},"
	" \"replacement\": {\"backends\": [{\"name\": \"r\", \"address\": \"10.0.1.5\", \"weight\": 7}]}},"
	" \"endpoints\": [{\"name\": \"a\", \"vip\": \"10.0.0.100\", \"port\": 443, \"protocol\": \"tcp\"}]}";

static void
test_config_demo_loads(void)
{
	char err[512] = "";
	struct aces_config *c = aces_config_load(path_of("good-demo.json"), err, sizeof(err));
	char a[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(c->n_endpoints, 2);
	CU_ASSERT_EQUAL(c->n_backends, 2);
	CU_ASSERT_STRING_EQUAL(c->backends[0].name, "orig-1");
	CU_ASSERT_EQUAL(c->backends[0].side, ACES_SIDE_ORIGINAL);
	CU_ASSERT_EQUAL(c->backends[1].side, ACES_SIDE_REPLACEMENT);
	CU_ASSERT_STRING_EQUAL(aces_ip_str(c->client.addr, a, sizeof(a)), "10.10.1.1");
	CU_ASSERT_EQUAL(c->client.prefix_len, 24);
	CU_ASSERT_EQUAL(c->endpoints[0].port, 80);
	CU_ASSERT_EQUAL(c->endpoints[0].backend_port, 8080);
	CU_ASSERT_EQUAL(c->endpoints[0].proto, ACES_IPPROTO_TCP);
	CU_ASSERT_EQUAL(c->endpoints[0].priority, ACES_PRIO_HIGH);
	CU_ASSERT_EQUAL(c->endpoints[1].proto, ACES_IPPROTO_UDP);
	CU_ASSERT_EQUAL(c->endpoints[1].priority, ACES_PRIO_LOW);
	CU_ASSERT_EQUAL(c->flows.capacity, 65536);
	aces_config_free(c);
}

static void
test_config_defaults(void)
{
	char err[512] = "";
	struct aces_config *c = aces_config_parse(minimal, "mem", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->endpoints[0].backend_port, 443);
	CU_ASSERT_EQUAL(c->endpoints[0].priority, ACES_PRIO_MEDIUM);
	CU_ASSERT_EQUAL(c->endpoints[0].statefulness, ACES_STATELESS);
	CU_ASSERT_EQUAL(c->endpoints[0].n_deps, 0);
	CU_ASSERT_EQUAL(c->backends[0].weight, 1);
	CU_ASSERT_EQUAL(c->backends[1].weight, 7);
	CU_ASSERT_EQUAL(c->flows.capacity, 1048576);
	CU_ASSERT_EQUAL(c->flows.tcp_established_timeout_s, 7200);
	CU_ASSERT_EQUAL(c->flows.tcp_transitory_timeout_s, 30);
	CU_ASSERT_EQUAL(c->flows.udp_timeout_s, 60);
	CU_ASSERT_EQUAL(c->flows.overload_new_flows, 4);
	CU_ASSERT_EQUAL(c->ip.icmp_errors_per_s, 1000);
	CU_ASSERT_EQUAL(c->ip.reassembly_max, 1024);
	CU_ASSERT_EQUAL(c->ip.reassembly_timeout_ms, 1000);
	CU_ASSERT_EQUAL(c->workers.idle, ACES_IDLE_SLEEP);
	CU_ASSERT_EQUAL(c->workers.idle_sleep_max_us, 1000);
	CU_ASSERT_EQUAL(c->client.mtu, 0);
	CU_ASSERT_EQUAL(c->backend.has_gateway, 1);
	CU_ASSERT_EQUAL(c->client.has_gateway, 0);
	CU_ASSERT_EQUAL(c->client.kernel[0], '\0');	/* no kernel path, no routing */
	CU_ASSERT_EQUAL(c->routing.enabled, 0);
	/* one-armed: both roles on port 0 */
	CU_ASSERT_EQUAL(c->client.port, c->backend.port);
	aces_config_free(c);
}

/* The kernel path and routing (issue #21): names kept, defaults filled in. */
static void
test_config_kernel_routing(void)
{
	static const char *text =
		"{\"interfaces\": {\"client\": {\"port\": 0, \"address\": \"10.0.0.1/24\","
		" \"kernel\": {\"interface\": \"aces-c.0\"}},"
		" \"backend\": {\"port\": 1, \"address\": \"10.0.1.1/24\","
		" \"kernel\": {\"interface\": \"aces_b\", \"packets_per_s\": 500}}},"
		" \"applications\": {\"original\": {\"backends\": [{\"name\": \"o\", \"address\": \"10.0.1.4\"}]},"
		" \"replacement\": {\"backends\": [{\"name\": \"r\", \"address\": \"10.0.1.5\"}]}},"
		" \"endpoints\": [{\"name\": \"a\", \"vip\": \"10.0.0.100\", \"port\": 443, \"protocol\": \"tcp\"}],"
		" \"routing\": {\"table\": 100, \"drain_quiet_ms\": 500}}";
	char err[512] = "";
	struct aces_config *c = aces_config_parse(text, "mem", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->client.kernel, "aces-c.0");
	CU_ASSERT_EQUAL(c->client.kernel_pps, 10000);
	CU_ASSERT_STRING_EQUAL(c->backend.kernel, "aces_b");
	CU_ASSERT_EQUAL(c->backend.kernel_pps, 500);
	CU_ASSERT_EQUAL(c->routing.enabled, 1);
	CU_ASSERT_EQUAL(c->routing.table, 100);
	CU_ASSERT_EQUAL(c->routing.drain_quiet_ms, 500);
	CU_ASSERT_EQUAL(c->routing.drain_timeout_ms, 10000);
	aces_config_free(c);
}

static void
test_config_dependencies_resolved(void)
{
	char err[512] = "", text[4096];
	struct aces_config *c;

	snprintf(text, sizeof(text),
		 ACES_TEST_CFG_HEAD
		 " \"endpoints\": ["
		 "{\"name\": \"c\", \"vip\": \"10.0.0.9\", \"port\": 3, \"protocol\": \"tcp\", \"depends_on\": [\"a\", \"b\"]},"
		 "{\"name\": \"a\", \"vip\": \"10.0.0.9\", \"port\": 1, \"protocol\": \"tcp\"},"
		 "{\"name\": \"b\", \"vip\": \"10.0.0.9\", \"port\": 2, \"protocol\": \"udp\", \"depends_on\": [\"a\"]}]}");
	c = aces_config_parse(text, "deps", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->endpoints[0].n_deps, 2);
	CU_ASSERT_EQUAL(c->endpoints[0].deps[0], 1);
	CU_ASSERT_EQUAL(c->endpoints[0].deps[1], 2);
	CU_ASSERT_EQUAL(c->endpoints[2].deps[0], 1);
	CU_ASSERT_EQUAL(aces_config_endpoint_index(c, "b"), 2);
	CU_ASSERT_EQUAL(aces_config_endpoint_index(c, "zz"), -1);
	CU_ASSERT_EQUAL(aces_config_backend_index(c, "r"), 1);
	aces_config_free(c);
}

/* Every file of the bad corpus is refused with one line naming file, path, reason. */
static void
test_config_bad_corpus(void)
{
	char line[1024], err[512];
	FILE *f = fopen(path_of("bad/expect.tsv"), "r");
	unsigned int listed = 0, files = 0;
	DIR *dir;
	struct dirent *de;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t'), file[512];
		struct aces_config *c;
		size_t n;

		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		n = strlen(tab + 1);
		if (n > 0 && tab[n] == '\n')
			tab[n] = '\0';
		snprintf(file, sizeof(file), "bad/%s", line);
		err[0] = '\0';
		c = aces_config_load(path_of(file), err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		if (c != NULL) {
			printf("\n  %s: accepted\n", line);
			aces_config_free(c);
			continue;
		}
		/* starts with the file name, holds the expected text, is one line */
		CU_ASSERT_PTR_NOT_NULL(strstr(err, line));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, tab + 1));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (strstr(err, tab + 1) == NULL)
			printf("\n  %s: got \"%s\", want \"%s\"\n", line, err, tab + 1);
		listed++;
	}
	fclose(f);
	dir = opendir(path_of("bad"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);

		files += n > 5 && strcmp(de->d_name + n - 5, ".json") == 0;
	}
	closedir(dir);
	/* every bad file has an expectation, and the corpus is at least 30 strong */
	CU_ASSERT_EQUAL(listed, files);
	CU_ASSERT(listed >= 30);
}

static void
test_config_missing_file(void)
{
	char err[512];

	CU_ASSERT_PTR_NULL(aces_config_load(path_of("does-not-exist.json"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does-not-exist.json: cannot open"));
	CU_ASSERT_PTR_NULL(aces_config_load(data_dir, err, sizeof(err)));	/* a directory */
}

/* Every prefix of a valid file is refused cleanly (no crash, no leak under ASan). */
static void
test_config_truncations(void)
{
	char err[512], *text;
	FILE *f = fopen(path_of("good-demo.json"), "r");
	long n, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	CU_ASSERT_FATAL(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	for (i = n - 1; i >= 0; i--) {
		struct aces_config *c;
		char saved = text[i];

		text[i] = '\0';
		c = aces_config_parse(text, "cut", err, sizeof(err));
		if (c != NULL) {
			/* only a cut inside trailing whitespace may still be valid */
			CU_ASSERT(i >= n - 2);
			aces_config_free(c);
		}
		text[i] = saved;
	}
	free(text);
}

static void
test_config_names(void)
{
	CU_ASSERT_STRING_EQUAL(aces_priority_name(ACES_PRIO_CRITICAL), "critical");
	CU_ASSERT_STRING_EQUAL(aces_statefulness_name(ACES_PERSISTENT), "persistent");
	CU_ASSERT_STRING_EQUAL(aces_side_name(ACES_SIDE_REPLACEMENT), "replacement");
	CU_ASSERT_STRING_EQUAL(aces_proto_name(ACES_IPPROTO_UDP), "udp");
	CU_ASSERT_STRING_EQUAL(aces_idle_mode_name(ACES_IDLE_BUSY), "busy");
}

/* "agents" and endpoints[].migrate: loaded with the secret, every misuse refused by name. */
static void
test_config_agents_migrate(void)
{
	static const struct {
		const char *agents, *ep_extra, *want;
	} bad[] = {
		{ NULL, ", \"statefulness\": \"session\", \"migrate\": true",
		  "endpoints[0].migrate: needs the \"agents\" section" },
		{ "{\"port\": 7800, \"secret_file\": \"%s\"}", ", \"protocol\": \"udp\", \"statefulness\": \"session\", \"migrate\": true",
		  "endpoints[0].migrate: only TCP connections can be moved" },
		{ "{\"port\": 7800, \"secret_file\": \"%s\"}", ", \"migrate\": true",
		  "endpoints[0].migrate: is for session and persistent endpoints" },
		{ "{\"port\": 7800, \"secret_file\": \"%s\"}", ", \"statefulness\": \"session\", \"migrate\": 1",
		  "endpoints[0].migrate: must be true or false" },
		{ "{\"secret_file\": \"%s\"}", "", "agents.port: is required" },
		{ "{\"port\": 7800}", "", "agents.secret_file: is required" },
		{ "{\"port\": 7800, \"secret_file\": \"/nonexistent/secret\"}", "",
		  "agents.secret_file: /nonexistent/secret: No such file or directory" },
		{ "{\"port\": 7800, \"secret_file\": \"%s.short\"}", "", "at least 16 are needed" },
		{ "{\"port\": 7800, \"secret_file\": \"%s\", \"concurrency\": 0}", "",
		  "agents.concurrency: 0 is out of range 1..1024" },
		{ "{\"port\": 7800, \"secret_file\": \"%s\", \"secret\": \"x\"}", "", "agents.secret: unknown key" },
	};
	char path[] = "/tmp/aces-cfg-secret.XXXXXX", shortp[64], text[4096], agents[512], err[512];
	struct aces_config *c;
	int fd = mkstemp(path);
	FILE *f;
	size_t i;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "0123456789abcdef0123\n", 21) == 21);
	close(fd);
	snprintf(shortp, sizeof(shortp), "%s.short", path);
	f = fopen(shortp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("too-short\n", f);
	fclose(f);

	snprintf(text, sizeof(text), ACES_TEST_CFG_HEAD " \"endpoints\": [{\"name\": \"a\", \"vip\": "
		 "\"10.0.0.100\", \"port\": 443, \"protocol\": \"tcp\", \"statefulness\": \"persistent\","
		 " \"drain_action\": \"keep\", \"migrate\": true}], \"agents\": {\"port\": 7800,"
		 " \"secret_file\": \"%s\"}}", path);
	c = aces_config_parse(text, "mem", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(c->endpoints[0].migrate);
	CU_ASSERT(c->agents.enabled);
	CU_ASSERT_EQUAL(c->agents.port, 7800);
	CU_ASSERT_EQUAL(c->agents.secret_len, 20);	/* the newline dropped */
	CU_ASSERT_EQUAL(memcmp(c->agents.secret, "0123456789abcdef0123", 20), 0);
	CU_ASSERT_EQUAL(c->agents.moves_per_s, 1000);
	CU_ASSERT_EQUAL(c->agents.concurrency, 32);
	CU_ASSERT_EQUAL(c->agents.move_timeout_ms, 2000);
	aces_config_free(c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char ag[600] = "";

		if (bad[i].agents != NULL) {
			const char *at = strstr(bad[i].agents, "%s");	/* the secret's path */

			if (at != NULL)
				snprintf(agents, sizeof(agents), "%.*s%s%s", (int)(at - bad[i].agents),
					 bad[i].agents, path, at + 2);
			else
				snprintf(agents, sizeof(agents), "%s", bad[i].agents);
			snprintf(ag, sizeof(ag), ", \"agents\": %s", agents);
		}
		snprintf(text, sizeof(text), ACES_TEST_CFG_HEAD " \"endpoints\": [{\"name\": \"a\", \"vip\": "
			 "\"10.0.0.100\", \"port\": 443%s%s}]%s}",
			 strstr(bad[i].ep_extra, "udp") ? "" : ", \"protocol\": \"tcp\"", bad[i].ep_extra, ag);
		err[0] = '\0';
		c = aces_config_parse(text, "mem", err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		if (strstr(err, bad[i].want) == NULL)
			printf("\n  case %zu: \"%s\" does not hold \"%s\"\n", i, err, bad[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		aces_config_free(c);
	}
	unlink(path);
	unlink(shortp);
}

int
main(int argc, char **argv)
{
	CU_TestInfo tests[] = {
		{ "demo config loads", test_config_demo_loads },
		{ "defaults", test_config_defaults },
		{ "kernel path and routing", test_config_kernel_routing },
		{ "dependencies resolved by name", test_config_dependencies_resolved },
		{ "bad corpus: one clear line each", test_config_bad_corpus },
		{ "missing file", test_config_missing_file },
		{ "every truncation refused", test_config_truncations },
		{ "enum names", test_config_names },
		{ "agents and migrate", test_config_agents_migrate },
		CU_TEST_INFO_NULL,
	};

	if (argc > 1)
		data_dir = argv[1];
	return aces_unit_run("config", tests);
}
