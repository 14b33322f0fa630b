/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw's configuration file: the annotated example loads with the values it documents,
 * defaults are the paper's, every problem of a bad file is reported with file, line and
 * setting (all of them at once), cross-checks catch what refers to nothing or contradicts
 * itself, --check-config's printout shows the effective values and no secret, and the check
 * of a new public address. No EAL.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aves_session.h"
#include "ngw_config.h"
#include "conf_file.h"

static char path[64];

/* Load @p text; returns the result and leaves the error output in *err (caller frees). */
static int
load(const char *text, struct ngw_config *cfg, char **err)
{
	size_t size;
	FILE *mem = open_memstream(err, &size);
	int ret;

	conf_file_write(path, sizeof(path), "/tmp/ngwcfg-XXXXXX", text);
	ret = ngw_config_load(cfg, path, mem);
	fclose(mem);
	unlink(path);
	return ret;
}

static unsigned int
lines(const char *text)
{
	unsigned int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static uint32_t
addr(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return a.s_addr;
}

#define PORTS \
	"ports = ( { device = \"net_tap0\"; side = \"outside\"; address = \"198.51.100.20/24\"; },\n" \
	"          { device = \"net_tap1\"; side = \"inside\"; address = \"10.0.0.1/24\"; } );\n"
#define KEYS "keys = ( { id = 101; secret = \"0123456789abcdef0123456789abcdef\"; } );\n"
#define REGISTER "register = { servers = [ \"192.0.2.53\" ]; };\n"
#define LCORES "lcores = { workers = [ 1 ]; };\n"

#define MINIMAL PORTS KEYS REGISTER LCORES
static const char minimal[] = MINIMAL;

static void
test_example_loads(void **state)
{
	struct ngw_config cfg;
	struct aves_session_timers paper;
	char *err = NULL;
	size_t size;
	FILE *mem = open_memstream(&err, &size);

	(void)state;
	assert_int_equal(ngw_config_load(&cfg, NGW_EXAMPLE_CONF, mem), 0);
	fclose(mem);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.base.n_ports, 2);
	assert_int_equal(cfg.outside, 0);
	assert_int_equal(cfg.side[0], NGW_OUTSIDE);
	assert_int_equal(cfg.side[1], NGW_INSIDE);
	assert_int_equal(cfg.base.ports[0].addr, addr("198.51.100.20"));
	assert_int_equal(cfg.base.ports[0].prefix_len, 24);
	assert_int_equal(cfg.base.n_routes, 1);
	assert_int_equal(cfg.n_keys, 1);
	assert_int_equal(cfg.keys[0].id, 101);
	assert_int_equal(cfg.keys[0].len, 16);
	assert_int_equal(cfg.tunnel_port, 4797);
	assert_false(cfg.multihomed);
	assert_int_equal(cfg.n_trusted, 1);
	assert_int_equal(cfg.trusted_len[0], 24);
	assert_int_equal(cfg.n_servers, 1);
	assert_int_equal(cfg.servers[0], addr("192.0.2.53"));
	assert_int_equal(cfg.register_interval_ms, 30000);
	assert_int_equal(cfg.register_fast_interval_ms, 1000);
	assert_int_equal(cfg.register_fast_period_ms, 10000);
	aves_session_timers_default(&paper);
	assert_memory_equal(&cfg.base.timers, &paper, sizeof(paper));
	ngw_config_clear(&cfg);
	assert_int_equal(cfg.keys[0].len, 0);
}

static void
test_defaults(void **state)
{
	struct ngw_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(minimal, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.base.ports[0].mtu, 1500);
	assert_int_equal(cfg.base.n_routes, 0);
	assert_int_equal(cfg.tunnel_port, 4797);
	assert_int_equal(cfg.register_port, 4796);
	assert_int_equal(cfg.port_min, 1024);
	assert_int_equal(cfg.port_max, 65535);
	assert_int_equal(cfg.base.timers.idle_icmp_ms, 60000);
	assert_int_equal(cfg.base.timers.idle_udp_ms, 15 * 60000);
	assert_int_equal(cfg.base.timers.idle_tcp_ms, 30 * 60000);
	assert_int_equal(cfg.base.timers.idle_other_ms, 15 * 60000);
	assert_int_equal(cfg.base.timers.idle_http_ms, 20 * 60000);
	assert_int_equal(cfg.base.timers.tcp_linger_ms, 10000);
	assert_int_equal(cfg.sessions, 65536);
	assert_int_equal(cfg.reasm_timeout_ms, 2000);
	assert_int_equal(cfg.reasm_trust_ms, 60000);
	assert_int_equal(cfg.base.control_lcore, 0);
	assert_int_equal(cfg.base.n_workers, 1);
	assert_int_equal(cfg.base.mbufs, 32767);
	ngw_config_clear(&cfg);
}

/* Every problem is reported, each on its own line with file:line and the setting. */
static void
test_all_problems_reported(void **state)
{
	static const char text[] =
		"ports = ( { device = \"net_tap0\"; side = \"outside\"; address = \"198.51.100.20/24\"; },\n"
		"          { device = \"net_tap1\"; side = \"sideways\"; address = \"10.0.0.1/33\"; mtu = 100; } );\n"
		"keys = ( { id = 0; alg = \"sha1\"; secret = \"xyz\"; } );\n"
		"register = { servers = [ \"192.0.2.300\" ]; interval = \"30 parsecs\"; };\n"
		"lcores = { workers = [ 1, 200 ]; };\n"
		"timers = { idle-udp = -5; idle-tcpp = 1; };\n"
		"nat = { port-max = 70000; };\n"
		"colour = \"blue\";\n";
	struct ngw_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(text, &cfg, &err), -1);
	assert_has(err, ":2: ports[1].side: must be \"inside\" or \"outside\" (\"sideways\")");
	assert_has(err, ":2: ports[1].address: not an interface address");
	assert_has(err, ":2: ports[1].mtu: must be between 576 and 9000 (100)");
	assert_has(err, ":3: keys[0].id: must be between 1 and 4294967295 (0)");
	assert_has(err, ":3: keys[0].alg: the only algorithm is \"hmac-md5\" (\"sha1\")");
	assert_has(err, ":3: keys[0].secret: must be 16 to 64 bytes");
	assert_has(err, ":4: register.servers[0]: not an IPv4 address");
	assert_has(err, ":4: register.interval: not a duration");
	assert_has(err, ":5: lcores.workers[1]: must be an lcore id 0..127");
	assert_has(err, ":6: timers.idle-udp: must not be negative (-5)");
	assert_has(err, ":6: timers.idle-tcpp: unknown setting");
	assert_has(err, ":7: nat.port-max: must be between 1 and 65535 (70000)");
	assert_has(err, ":8: colour: unknown setting");
	assert_int_equal(lines(err), 13);
	free(err);
}

static void
test_required_and_types(void **state)
{
	struct ngw_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load("ports = 3;\ntunnel = [ 1 ];\n", &cfg, &err), -1);
	assert_has(err, ":1: ports: must be a list ( { ... }, ... )");
	assert_has(err, ":2: tunnel: must be a group { ... }");
	assert_has(err, "keys: required setting is missing");
	assert_has(err, "register: required setting is missing");
	assert_has(err, "lcores: required setting is missing");
	assert_int_equal(lines(err), 5);
	free(err);
	assert_int_equal(load("ports = ( { device = \"a\"; side = \"inside\"; "
			      "address = \"10.0.0.1/24\"; } );\n" KEYS REGISTER LCORES,
			      &cfg, &err), -1);
	assert_has(err, ":1: ports: must list 2 to 8 ports (1)");
	free(err);
	/* A syntax error names its line. */
	assert_int_equal(load(MINIMAL "nat = { port-min = = 5; };\n", &cfg, &err), -1);
	assert_has(err, ":6: syntax error");
	free(err);
}

/* What only a second pass over the whole file can see. */
static void
test_cross_checks(void **state)
{
	struct ngw_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(
		"ports = ( { device = \"a\"; side = \"outside\"; address = \"198.51.100.20/24\"; },\n"
		"          { device = \"a\"; side = \"outside\"; address = \"198.51.100.30/24\"; },\n"
		"          { device = \"c\"; side = \"inside\"; address = \"10.0.0.0/24\"; } );\n"
		KEYS REGISTER LCORES, &cfg, &err), -1);
	assert_has(err, "ports 0 and 1 name the same device (\"a\")");
	assert_has(err, "ports 0 and 1 are on the same network");
	assert_has(err, "exactly one port must have side = \"outside\" (2 do)");
	assert_has(err, "port 2: 10.0.0.0/24 cannot be an interface address");
	free(err);

	assert_int_equal(load(
		"ports = ( { device = \"a\"; side = \"outside\"; address = \"198.51.100.20/24\"; },\n"
		"          { device = \"b\"; side = \"outside\"; address = \"203.0.113.1/24\"; } );\n"
		KEYS REGISTER LCORES, &cfg, &err), -1);
	assert_has(err, "at least one port must have side = \"inside\"");
	free(err);

	assert_int_equal(load(PORTS
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"192.168.1.1\"; },\n"
		"           { prefix = \"10.1.0.0/16\"; via = \"10.0.0.1\"; },\n"
		"           { prefix = \"0.0.0.0/0\"; via = \"198.51.100.1\"; } );\n"
		"keys = ( { id = 7; secret = \"0123456789abcdef0123456789abcdef\"; },\n"
		"         { id = 7; secret = \"fedcba9876543210fedcba9876543210\"; } );\n"
		"register = { servers = [ \"10.0.0.53\", \"127.0.0.1\" ]; interval = \"1s\";"
		" fast-interval = \"2s\"; };\n"
		"nat = { port-min = 5000; port-max = 4000; };\n"
		"reassembly = { datagrams = 4; per-source = 8; };\n"
		"lcores = { control = 1; workers = [ 1, 2, 2 ]; };\n"
		"idle = { pause-after = 100; sleep-after = 10; };\n"
		"mbufs = { count = 2000; cache = 512; };\n",
		&cfg, &err), -1);
	assert_has(err, ":3: routes[0]: gateway 192.168.1.1 is on no port's network");
	assert_has(err, ":4: routes[1]: gateway 10.0.0.1 is one of our own addresses");
	assert_has(err, ":5: routes[2]: prefix 0.0.0.0/0 is routed twice");
	assert_has(err, "key id 7 is used twice");
	assert_has(err, "10.0.0.53 is on an inside network");
	assert_has(err, "127.0.0.1 cannot be a DNS front end");
	assert_has(err, "register.fast-interval: must not be longer than register.interval");
	assert_has(err, "nat.port-min: must not be above nat.port-max (5000 > 4000)");
	assert_has(err, "reassembly.per-source: must not be above reassembly.datagrams (8 > 4)");
	assert_has(err, "lcore 1 is both a worker and the control lcore");
	assert_has(err, "lcore 2 is listed twice");
	assert_has(err, "idle.sleep-after: must not be smaller than idle.pause-after");
	assert_has(err, "mbufs.cache: must be at most a quarter of mbufs.count");
	free(err);

	/* A port range that holds nothing but the tunnel port has nothing to hand out. */
	assert_int_equal(load(MINIMAL "nat = { port-min = 4797; port-max = 4797; };\n", &cfg,
			      &err), -1);
	assert_has(err, "the range holds only the tunnel port (4797)");
	free(err);
}

static void
test_check_config_printout(void **state)
{
	struct ngw_config cfg;
	char *err = NULL, *out = NULL;
	size_t size;
	FILE *mem;

	(void)state;
	assert_int_equal(load(MINIMAL "tunnel = { multihomed = true; trusted = [ \"192.0.2.0/24\","
			      " \"192.0.2.99\" ]; };\n", &cfg, &err), 0);
	free(err);
	assert_true(cfg.multihomed);
	assert_int_equal(cfg.trusted_len[1], 32);
	mem = open_memstream(&out, &size);
	ngw_config_print(&cfg, mem);
	fclose(mem);
	assert_has(out, "side = \"outside\"; address = \"198.51.100.20/24\"; mtu = 1500;");
	assert_has(out, "{ id = 101; alg = \"hmac-md5\"; secret = \"(16 bytes)\"; }");
	assert_has(out, "multihomed = true;");
	assert_has(out, "trusted = [ \"192.0.2.0/24\", \"192.0.2.99/32\" ];");
	assert_has(out, "servers = [ \"192.0.2.53\" ];");
	assert_has(out, "idle-icmp = 60000;");
	assert_has(out, "fast-period = 10000;");
	assert_has(out, "workers = [ 1 ];");
	assert_null(strstr(out, "0123456789abcdef"));
	/* The printout is itself a valid configuration with the same values, once the secret
	 * is put back. */
	{
		static const char hidden[] = "(16 bytes)";
		struct ngw_config again;
		char *at = strstr(out, hidden), *text;
		int ret;

		assert_non_null(at);
		assert_true(asprintf(&text, "%.*s0123456789abcdef0123456789abcdef%s",
				     (int)(at - out), out, at + strlen(hidden)) > 0);
		ret = load(text, &again, &err);
		free(text);
		if (ret != 0)
			print_error("%s", err);
		assert_int_equal(ret, 0);
		free(err);
		assert_int_equal(again.n_trusted, 2);
		assert_true(again.multihomed);
		assert_int_equal(again.base.timers.idle_udp_ms, cfg.base.timers.idle_udp_ms);
		ngw_config_clear(&again);
	}
	free(out);
	ngw_config_clear(&cfg);
}

static void
test_public_address_check(void **state)
{
	struct ngw_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(minimal, &cfg, &err), 0);
	free(err);
	assert_true(ngw_config_public_ok(&cfg, addr("198.51.100.21")));
	assert_true(ngw_config_public_ok(&cfg, addr("198.51.100.20")));
	assert_false(ngw_config_public_ok(&cfg, addr("203.0.113.9")));
	assert_false(ngw_config_public_ok(&cfg, addr("198.51.100.0")));
	assert_false(ngw_config_public_ok(&cfg, addr("198.51.100.255")));
	assert_false(ngw_config_public_ok(&cfg, addr("10.0.0.1")));
	ngw_config_clear(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_problems_reported),
		cmocka_unit_test(test_required_and_types),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_check_config_printout),
		cmocka_unit_test(test_public_address_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
