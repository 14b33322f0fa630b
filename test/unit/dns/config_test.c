/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loading: the annotated example loads; defaults; every problem in a bad file is
 * reported, each as "file:line: setting: what (value)" (golden messages); names relative and
 * absolute; cross-checks; what a reload may change; --check-config output.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_test.h"

static struct aves_auth_ctx *auth;

static int
setup(void **state)
{
	(void)state;
	auth = aves_auth_ctx_create();
	return auth == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	aves_auth_ctx_free(auth);
	return 0;
}

static void
test_example_file_loads(void **state)
{
	struct test_errors e = {0};
	struct dns_config *cfg = dns_config_load(AVES_DNS_EXAMPLE_CONF, auth, test_collect_error, &e);

	(void)state;
	if (cfg == NULL)
		fail_msg("config/dns.conf: %s", e.text);
	assert_int_equal(cfg->zone->n_subs, 2);
	assert_int_equal(cfg->zone->n_hosts, 3);
	assert_int_equal(cfg->waypoints->n_addrs, 3);
	assert_int_equal(cfg->service_send_key.id, 1);
	dns_config_free(cfg);
}

static void
test_defaults(void **state)
{
	const char *text = "control = { address = \"192.0.2.53\"; };\n" TEST_CONF_ZONE TEST_CONF_REST;
	struct test_errors e = {0};
	struct dns_config *cfg = test_load_conf(auth, text, &e, NULL);
	char name[300];

	(void)state;
	if (cfg == NULL)
		fail_msg("%s", e.text);
	assert_int_equal(cfg->s.port, 53);
	assert_int_equal(cfg->s.control_port, 4796);
	assert_int_equal(cfg->s.edns_max_payload, 1232);
	assert_int_equal(cfg->s.setup_timeout, 700);
	assert_int_equal(cfg->s.hold_time, 3000);
	assert_int_equal(cfg->s.setup_attempts, 3);
	assert_int_equal(cfg->n_listen, 1);
	assert_int_equal(cfg->listen[0], 0);
	assert_int_equal(cfg->n_local_prefixes, 0);
	assert_int_equal(cfg->zone->ttl, 3600);
	assert_int_equal(cfg->zone->soa.serial, 7);
	assert_int_equal(cfg->zone->soa.minimum, 60);
	assert_string_equal(dns_name_to_text(cfg->zone->soa.mname.wire, cfg->zone->soa.mname.len,
					     name, sizeof(name)),
			    "ns1.avesnet.test.");
	assert_string_equal(dns_name_to_text(cfg->zone->soa.rname.wire, cfg->zone->soa.rname.len,
					     name, sizeof(name)),
			    "hostmaster.avesnet.test.");
	/* Waypoint port default, service key for SETUP, subscriber keys. */
	assert_int_equal(ntohs(cfg->waypoints->servers[0].control.sin_port), 14797);
	assert_int_equal(cfg->service_send_key.id, 1);
	assert_int_equal(dns_zone_sub_by_key(cfg->zone, 101), 0);
	assert_int_equal(dns_zone_sub_by_key(cfg->zone, 1), -1);
	assert_non_null(aves_keyring_find(cfg->gateway_keys, 101));
	assert_null(aves_keyring_find(cfg->gateway_keys, 1));
	dns_config_free(cfg);
}

/* Expect a message ending "<line>: <rest>" among the errors. */
static void
expect_error(const struct test_errors *e, unsigned int line, const char *rest)
{
	char needle[512];

	snprintf(needle, sizeof(needle), ":%u: %s\n", line, rest);
	if (strstr(e->text, needle) == NULL)
		fail_msg("missing error \"%s\" in:\n%s", needle, e->text);
}

static void
test_every_problem_reported(void **state)
{
	const char *text =
		/* 1 */ "listen = [ \"127.0.0.1\", \"1.2.3\" ];\n"
		/* 2 */ "port = 70000;\n"
		/* 3 */ "bogus = 1;\n"
		/* 4 */ "control = { port = \"x\"; extra = 2; };\n"
		/* 5 */ "zone = {\n"
		/* 6 */ "  name = \"avesnet.test\";\n"
		/* 7 */ "  ns = ( { name = \"ns1\"; }, { name = \"ns.example.net.\"; address = \"1.2.3.4\"; } );\n"
		/* 8 */ "  soa = { minimum = -1; colour = 1; };\n"
		/* 9 */ "};\n"
		/* 10 */ "service-keys = ( { id = 0; secret = \"0011\"; } );\n"
		/* 11 */ "waypoints = ( { address = \"1.1.1.1\"; addresses = [ \"2.2.2.2\", \"2.2.2.2\" ]; color = \"red\"; } );\n"
		/* 12 */ "subscribers = (\n"
		/* 13 */ "  { name = \"home1\"; keys = ( { id = 5; secret = \"zz\"; } );\n"
		/* 14 */ "    hosts = ( { name = \"web\"; address = \"10.0.0.2\"; }, { name = \"web\"; address = \"10.0.0.0\"; } ); },\n"
		/* 15 */ "  { name = \"a.home1\"; keys = ( { id = 5; secret = \"0123456789abcdef0123456789abcdef\"; } ); }\n"
		/* 16 */ ");\n"
		/* 17 */ "local-prefixes = [ \"10.0.0.1/8\", \"bad\", \"10.0.0.0/33\" ];\n"
		/* 18 */ "setup-attempts = 2.5;\n";
	struct test_errors e = {0};

	(void)state;
	assert_null(test_load_conf(auth, text, &e, NULL));
	expect_error(&e, 1, "listen: not an IPv4 address (\"1.2.3\")");
	expect_error(&e, 2, "port: out of range 1..65535 (70000)");
	expect_error(&e, 3, "bogus: unknown setting");
	expect_error(&e, 4, "control.port: must be an integer (\"x\")");
	expect_error(&e, 4, "control.extra: unknown setting");
	expect_error(&e, 4, "control.address: required setting missing (the address SETUPs leave "
			    "from; their origin)");
	expect_error(&e, 7, "zone.ns: a name server inside the zone needs an address "
			    "(ns1.avesnet.test.)");
	expect_error(&e, 7, "zone.ns: address given for a name server outside the zone (no glue "
			    "is served) (ns.example.net.)");
	expect_error(&e, 8, "zone.soa.minimum: out of range 0..2147483647 (-1)");
	expect_error(&e, 8, "zone.soa.colour: unknown setting");
	expect_error(&e, 10, "service-keys.id: out of range 1..4294967295 (0)");
	expect_error(&e, 10, "service-keys.secret: secret must be 16 to 64 bytes (32 to 128 hex "
			     "digits)");
	expect_error(&e, 11, "waypoints.color: unknown setting");
	expect_error(&e, 11, "waypoints.addresses: waypoint address listed twice (2.2.2.2)");
	expect_error(&e, 13, "subscribers.keys.secret: not hexadecimal (an even number of hex "
			     "digits)");
	expect_error(&e, 14, "subscribers.hosts.name: name already defined (line 14) "
			     "(web.home1.avesnet.test.)");
	expect_error(&e, 15, "subscribers.name: subscriber domains must not be nested "
			     "(a.home1.avesnet.test.)");
	expect_error(&e, 17, "local-prefixes: address bits set beyond the prefix length "
			     "(10.0.0.1/8)");
	expect_error(&e, 17, "local-prefixes: not a prefix (a.b.c.d/len) (bad)");
	expect_error(&e, 17, "local-prefixes: not a prefix (a.b.c.d/len) (10.0.0.0/33)");
	expect_error(&e, 18, "setup-attempts: must be an integer (2.5)");
	assert_int_equal(e.count, 21);
}

static void
test_syntax_error(void **state)
{
	struct test_errors e = {0};

	(void)state;
	assert_null(test_load_conf(auth, "port = 53;\nzone = { name = ;\n", &e, NULL));
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(e.text, ":2: syntax: "));
	assert_null(dns_config_load("/nonexistent/dns.conf", auth, test_collect_error, &e));
	assert_non_null(strstr(e.text, "/nonexistent/dns.conf: cannot read the file"));
}

static void
test_missing_required(void **state)
{
	struct test_errors e = {0};

	(void)state;
	assert_null(test_load_conf(auth, "port = 53;\n", &e, NULL));
	assert_non_null(strstr(e.text, ": control.address: required setting missing"));
	assert_non_null(strstr(e.text, ": zone.name: required setting missing"));
	assert_non_null(strstr(e.text, ": zone.ns: at least one name server is needed"));
	assert_non_null(strstr(e.text, ": service-keys: required setting missing"));
	assert_non_null(strstr(e.text, ": waypoints: at least one waypoint is needed"));
	assert_int_equal(e.count, 5);
}

static void
test_names_and_cross_checks(void **state)
{
	const char *ok = TEST_CONF_HEAD TEST_CONF_ZONE TEST_CONF_REST
		"local-prefixes = [ \"10.0.0.0/8\", \"192.0.2.0/28\" ];\n";
	const char *dup_key = TEST_CONF_HEAD TEST_CONF_ZONE
		"service-keys = ( { id = 101; secret = \"00112233445566778899aabbccddeeff\"; } );\n"
		"waypoints = ( { address = \"192.0.2.10\"; addresses = [\"192.0.2.100\"]; } );\n"
		"subscribers = ( { name = \"sub.avesnet.test.\";\n"
		"  keys = ( { id = 101; secret = \"0123456789abcdef0123456789abcdef\"; } );\n"
		"  hosts = ( { name = \"@\"; address = \"10.0.0.2\"; },\n"
		"            { name = \"Mail.SUB.avesnet.test.\"; address = \"10.0.0.3\"; },\n"
		"            { name = \"web.other.avesnet.test.\"; address = \"10.0.0.4\"; } ); } );\n";
	struct test_errors e = {0};
	struct dns_config *cfg = test_load_conf(auth, ok, &e, NULL);

	(void)state;
	if (cfg == NULL)
		fail_msg("%s", e.text);
	assert_true(dns_config_is_local(cfg, 0x0a010203));
	assert_true(dns_config_is_local(cfg, 0xc000020f));
	assert_false(dns_config_is_local(cfg, 0xc0000210));
	dns_config_free(cfg);

	memset(&e, 0, sizeof(e));
	assert_null(test_load_conf(auth, dup_key, &e, NULL));
	expect_error(&e, 13, "subscribers.keys.id: key id already used by a service key (101)");
	expect_error(&e, 16, "subscribers.hosts.name: host outside its subscriber's domain "
			     "(web.other.avesnet.test.)");
	assert_int_equal(e.count, 2);
}

static void
test_reload_rules(void **state)
{
	struct dns_config *a = test_load_conf(auth, TEST_CONF_BASE, NULL, NULL);
	struct dns_config *b = test_load_conf(auth, TEST_CONF_BASE "setup-timeout = 500;\n", NULL, NULL);
	struct dns_config *c = test_load_conf(auth, TEST_CONF_BASE "pending-max = 10;\n", NULL, NULL);
	struct dns_config *d = test_load_conf(
		auth,
		"listen = [\"127.0.0.2\"];\nport = 15353;\n"
		"control = { address = \"192.0.2.53\"; port = 14796; };\n" TEST_CONF_ZONE TEST_CONF_REST,
		NULL, NULL);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_null(dns_config_restart_needed(a, b));
	assert_string_equal(dns_config_restart_needed(a, c), "pending-max");
	assert_string_equal(dns_config_restart_needed(a, d), "listen");
	dns_config_free(a);
	dns_config_free(b);
	dns_config_free(c);
	dns_config_free(d);
	dns_config_free(NULL);
}

static void
test_print(void **state)
{
	struct dns_config *cfg = test_load_conf(auth, TEST_CONF_BASE, NULL, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	dns_config_print(cfg, f);
	fclose(f);
	assert_non_null(strstr(text, "\nport = 15353;  # DNS port, UDP and TCP; 1..65535, default 53; "
				     "restart to change\n"));
	assert_non_null(strstr(text, "\nhold-time = 3000;  # "));
	assert_non_null(strstr(text, "\nlisten = [\"127.0.0.1\"];\n"));
	assert_non_null(strstr(text, "\nwaypoint: control 192.0.2.10:14797 addresses 192.0.2.100 "
				     "192.0.2.101 192.0.2.102\n"));
	assert_non_null(strstr(text, "\n  host: \"web.home1.avesnet.test.\" 10.0.0.2\n"));
	/* Never a secret. */
	assert_null(strstr(text, "0123456789abcdef"));
	free(text);
	dns_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_names_and_cross_checks),
		cmocka_unit_test(test_reload_rules),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
