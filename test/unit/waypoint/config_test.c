/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-waypoint's configuration file: the annotated example loads with the values it
 * documents, defaults are the paper's, every problem of a bad file is reported with file, line
 * and setting (all of them at once), cross-checks catch what refers to nothing, and
 * --check-config's printout shows the effective values. No EAL.
 */
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
#include "wp_config.h"
#include "conf_file.h"

static char path[64];

/* Load @p text; returns the result and leaves the error output in *err (caller frees). */
static int
load(const char *text, struct wp_config *cfg, char **err)
{
	size_t size;
	FILE *mem = open_memstream(err, &size);
	int ret;

	conf_file_write(path, sizeof(path), "/tmp/wpcfg-XXXXXX", text);
	ret = wp_config_load(cfg, path, mem);
	fclose(mem);
	unlink(path);
	return ret;
}

static const char minimal[] =
	"ports = ( { device = \"net_tap0\"; address = \"192.0.2.10/24\"; } );\n"
	"control = { address = \"192.0.2.10\"; };\n"
	"waypoints = [ \"192.0.2.100\" ];\n"
	"keys = { service = ( { id = 1; secret = \"00112233445566778899aabbccddeeff\"; } ); };\n"
	"lcores = { workers = [ 1 ]; };\n";

static void
test_example_loads(void **state)
{
	struct wp_config cfg;
	struct aves_session_timers paper;
	char *err = NULL;
	size_t size;
	FILE *mem = open_memstream(&err, &size);

	(void)state;
	assert_int_equal(wp_config_load(&cfg, WP_EXAMPLE_CONF, mem), 0);
	fclose(mem);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.base.n_ports, 1);
	assert_string_equal(cfg.base.ports[0].device, "net_tap0");
	assert_int_equal(cfg.base.ports[0].prefix_len, 24);
	assert_int_equal(cfg.base.ports[0].mtu, 1500);
	assert_int_equal(cfg.base.n_routes, 1);
	assert_int_equal(cfg.base.routes[0].len, 0);
	/* Two addresses and a /30: six in all. */
	assert_int_equal(cfg.n_waypoints, 6);
	assert_int_equal(cfg.n_service_keys, 1);
	assert_int_equal(cfg.n_gateway_keys, 2);
	assert_int_equal(cfg.gateway_keys[1].id, 102);
	assert_int_equal(cfg.gateway_keys[1].len, 16);
	assert_int_equal(cfg.control_port, 4796);
	aves_session_timers_default(&paper);
	assert_memory_equal(&cfg.base.timers, &paper, sizeof(paper));
	assert_int_equal(cfg.base.n_workers, 1);
	assert_int_equal(cfg.base.workers[0], 1);
	assert_int_equal(cfg.base.control_lcore, 0);
	wp_config_clear(&cfg);
	assert_null(cfg.gateway_keys);
}

static void
test_defaults(void **state)
{
	struct wp_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(minimal, &cfg, &err), 0);
	free(err);
	assert_int_equal(cfg.base.timers.twait_ms, 2000);
	assert_int_equal(cfg.base.timers.treject_ms, 180000);
	assert_int_equal(cfg.base.timers.penalty_ms, 3 * 3600 * 1000);
	assert_int_equal(cfg.base.timers.idle_http_ms, 20 * 60000);
	assert_int_equal(cfg.bindings, 65536);
	assert_int_equal(cfg.base.punt_ring, 4096);
	assert_int_equal(cfg.base.neigh_hold, 8);
	assert_int_equal(cfg.base.burst, 32);
	assert_int_equal(cfg.max_skew_ms, 30000);
	assert_int_equal(cfg.base.stats_interval_ms, 0);
	assert_int_equal(cfg.n_gateway_keys, 0);
	wp_config_clear(&cfg);
}

static void
test_bad_file_all_problems_reported(void **state)
{
	static const char bad[] =
		"ports = ( { device = \"net_tap0\"; address = \"192.0.2.10/24\"; mtu = 50; } );\n"
		"control = { address = \"192.0.2.10\"; portt = 1; };\n"
		"waypoints = [ \"192.0.2.300\" ];\n"
		"keys = { service = ( { id = 1; secret = \"0011\"; } ); };\n"
		"lcores = { workers = [ 1 ]; };\n"
		"timers = { wait = \"2min\"; reject = \"soon\"; };\n"
		"tables = { bindings = 0; };\n"
		"color = \"blue\";\n";
	struct wp_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(bad, &cfg, &err), -1);
	assert_has(err, ":1: ports[0].mtu: must be between 576 and 9000 (50)");
	assert_has(err, ":2: control.portt: unknown setting");
	assert_has(err, ":3: waypoints[0]: not an address");
	assert_has(err, ":4: keys.service[0].secret: must be 16 to 64 bytes");
	assert_has(err, ":6: timers.wait: must be between 1 ms and 60000 ms (120000 ms)");
	assert_has(err, ":6: timers.reject: not a duration");
	assert_has(err, ":7: tables.bindings: must be between 1 and");
	assert_has(err, ":8: color: unknown setting");
	assert_has(err, path);
	free(err);
	/* Nothing is left behind by a failed load. */
	assert_int_equal(cfg.base.n_ports, 0);
	assert_null(cfg.gateway_keys);
}

static void
test_missing_and_syntax(void **state)
{
	struct wp_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load("ports = ( );\n", &cfg, &err), -1);
	assert_has(err, "ports: must list 1 to 8 ports (0)");
	assert_has(err, "control: required setting is missing");
	assert_has(err, "waypoints: required setting is missing");
	assert_has(err, "keys: required setting is missing");
	assert_has(err, "lcores: required setting is missing");
	free(err);
	err = NULL;
	assert_int_equal(load("ports = ( { device = ; } );\n", &cfg, &err), -1);
	assert_has(err, ":1: syntax error");
	free(err);
}

static void
test_cross_checks(void **state)
{
	static const char bad[] =
		"ports = ( { device = \"a\"; address = \"192.0.2.10/24\"; },\n"
		"          { device = \"a\"; address = \"192.0.2.11/25\"; } );\n"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"203.0.113.1\"; },\n"
		"           { prefix = \"10.0.0.0/8\"; via = \"192.0.2.10\"; } );\n"
		"control = { address = \"198.51.100.1\"; };\n"
		"waypoints = [ \"192.0.2.100\", \"192.0.2.100\", \"192.0.2.10\" ];\n"
		"keys = { service = ( { id = 7; secret = \"00112233445566778899aabbccddeeff\"; } );\n"
		"         gateways = ( { id = 7; secret = \"00112233445566778899aabbccddeeff\"; } );"
		" };\n"
		"lcores = { control = 2; workers = [ 1, 2, 1 ]; };\n"
		"idle = { pause-after = 100; sleep-after = 10; };\n";
	struct wp_config cfg;
	char *err = NULL;

	(void)state;
	assert_int_equal(load(bad, &cfg, &err), -1);
	assert_has(err, "ports 0 and 1 name the same device (\"a\")");
	assert_has(err, "ports 0 and 1 are on the same network");
	assert_has(err, "control.address: 198.51.100.1 is on no port's network");
	assert_has(err, ":3: routes[0]: gateway 203.0.113.1 is on no port's network");
	assert_has(err, ":4: routes[1]: gateway 192.0.2.10 is one of our own addresses");
	assert_has(err, "192.0.2.100 is listed twice");
	assert_has(err, "192.0.2.10 is also an interface or the control address");
	assert_has(err, "key id 7 is used twice");
	assert_has(err, "lcore 2 is both a worker and the control lcore");
	assert_has(err, "lcore 1 is listed twice");
	assert_has(err, "idle.sleep-after: must not be smaller than idle.pause-after");
	free(err);
}

static void
test_check_config_prints_effective_values(void **state)
{
	struct wp_config cfg;
	char *err = NULL, *out = NULL;
	size_t size;
	FILE *mem;

	(void)state;
	assert_int_equal(load(minimal, &cfg, &err), 0);
	free(err);
	mem = open_memstream(&out, &size);
	wp_config_print(&cfg, mem);
	fclose(mem);
	assert_has(out, "device = \"net_tap0\"; address = \"192.0.2.10/24\"; mtu = 1500;");
	assert_has(out, "waypoints = [ \"192.0.2.100\" ];");
	assert_has(out, "\twait = 2000;");
	assert_has(out, "\tpenalty = 10800000;");
	assert_has(out, "\tworkers = [ 1 ];");
	assert_has(out, "\taddress = \"192.0.2.10\";");
	/* Secrets never appear, only their length. */
	assert_has(out, "secret = \"(16 bytes)\"");
	assert_null(strstr(out, "00112233"));
	free(out);
	wp_config_clear(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_file_all_problems_reported),
		cmocka_unit_test(test_missing_and_syntax),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_check_config_prints_effective_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
