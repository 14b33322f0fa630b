/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration reading: values, ranges, units, and the file:line: setting: message form. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "aves_conf.h"

struct fixture {
	char path[64];
	struct aves_conf conf;
	char *errbuf;
	size_t errlen;
	FILE *err;
};

/* Write @p text to a temporary file and open it; returns aves_conf_open()'s result. */
static int
load(struct fixture *f, const char *text)
{
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/aves-conf-test-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	f->err = open_memstream(&f->errbuf, &f->errlen);
	assert_non_null(f->err);
	return aves_conf_open(&f->conf, f->path, f->err);
}

/* The problems reported so far, as one string. */
static const char *
errors(struct fixture *f)
{
	fflush(f->err);
	return f->errbuf;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	aves_conf_close(&f->conf);
	fclose(f->err);
	free(f->errbuf);
	unlink(f->path);
	free(f);
	return 0;
}

static int
setup(void **state)
{
	*state = calloc(1, sizeof(struct fixture));
	return *state == NULL;
}

static void
test_values_and_defaults(void **state)
{
	struct fixture *f = *state;
	const config_setting_t *g;
	uint64_t n, ms;
	bool b;
	char s[16];
	uint32_t a;
	uint8_t len;

	assert_int_equal(load(f, "g = { n = 42; big = 0x10; on = true; name = \"wp1\";\n"
				 "addr = \"192.0.2.1\"; net = \"10.0.0.0/8\"; wait = \"2s\"; "
				 "raw = 1500; }\n"), 0);
	g = aves_conf_member(&f->conf, aves_conf_root(&f->conf), "g", AVES_CONF_REQUIRED);
	assert_non_null(g);
	assert_true(aves_conf_uint(&f->conf, g, "n", AVES_CONF_REQUIRED, 0, 100, 7, &n));
	assert_int_equal(n, 42);
	assert_true(aves_conf_uint(&f->conf, g, "big", AVES_CONF_REQUIRED, 0, 100, 7, &n));
	assert_int_equal(n, 16);
	assert_true(aves_conf_uint(&f->conf, g, "absent", AVES_CONF_OPTIONAL, 0, 100, 7, &n));
	assert_int_equal(n, 7);
	assert_true(aves_conf_bool(&f->conf, g, "on", AVES_CONF_REQUIRED, false, &b));
	assert_true(b);
	assert_true(aves_conf_string(&f->conf, g, "name", AVES_CONF_REQUIRED, "x", s, sizeof(s)));
	assert_string_equal(s, "wp1");
	assert_true(aves_conf_ipv4(&f->conf, g, "addr", AVES_CONF_REQUIRED, &a));
	assert_int_equal(a, htonl(0xc0000201));
	assert_true(aves_conf_prefix(&f->conf, g, "net", AVES_CONF_REQUIRED, &a, &len));
	assert_int_equal(a, htonl(0x0a000000));
	assert_int_equal(len, 8);
	assert_true(aves_conf_duration_ms(&f->conf, g, "wait", AVES_CONF_REQUIRED, 1, 10000, 5,
					  &ms));
	assert_int_equal(ms, 2000);
	assert_true(aves_conf_duration_ms(&f->conf, g, "raw", AVES_CONF_REQUIRED, 1, 10000, 5,
					  &ms));
	assert_int_equal(ms, 1500);
	assert_int_equal(aves_conf_errors(&f->conf), 0);
	assert_true(f->errlen == 0);
}

static void
test_errors_name_file_line_setting(void **state)
{
	struct fixture *f = *state;
	const config_setting_t *g;
	uint64_t n;
	char expect[256];

	assert_int_equal(load(f, "# comment\n"
				 "timers = {\n"
				 "  wait = \"2 fortnights\";\n"
				 "  reject = 99999999999;\n"
				 "  colour = \"blue\";\n"
				 "};\n"), 0);
	g = aves_conf_member(&f->conf, aves_conf_root(&f->conf), "timers", AVES_CONF_REQUIRED);
	assert_false(aves_conf_duration_ms(&f->conf, g, "wait", AVES_CONF_REQUIRED, 1, 10000, 2000,
					   &n));
	assert_int_equal(n, 2000); /* left at the default */
	assert_false(aves_conf_uint(&f->conf, g, "reject", AVES_CONF_REQUIRED, 1, 1000, 5, &n));
	assert_false(aves_conf_uint(&f->conf, g, "missing", AVES_CONF_REQUIRED, 1, 1000, 5, &n));
	aves_conf_reject_unknown(&f->conf, g, (const char *const[]){ "wait", "reject", NULL });
	/* All four problems are reported, not just the first. */
	assert_int_equal(aves_conf_errors(&f->conf), 4);

	snprintf(expect, sizeof(expect), "%s:3: timers.wait: not a duration", f->path);
	assert_non_null(strstr(errors(f), expect));
	snprintf(expect, sizeof(expect),
		 "%s:4: timers.reject: integer does not fit 32 bits", f->path);
	assert_non_null(strstr(errors(f), expect));
	snprintf(expect, sizeof(expect), "%s:2: timers.missing: required setting is missing",
		 f->path);
	assert_non_null(strstr(errors(f), expect));
	snprintf(expect, sizeof(expect), "%s:5: timers.colour: unknown setting", f->path);
	assert_non_null(strstr(errors(f), expect));
}

static void
test_syntax_error_names_line(void **state)
{
	struct fixture *f = *state;
	char expect[128];

	assert_int_equal(load(f, "a = 1;\nb = ;\n"), -1);
	snprintf(expect, sizeof(expect), "%s:2: syntax error", f->path);
	assert_non_null(strstr(errors(f), expect));
	assert_int_equal(aves_conf_errors(&f->conf), 1);
}

static void
test_wrong_types(void **state)
{
	struct fixture *f = *state;
	const config_setting_t *root;
	uint64_t n;
	bool b;
	uint32_t a;
	uint8_t len;
	char s[4];

	assert_int_equal(load(f, "n = \"12\"; b = 1; a = \"10.0.0\"; p = \"10.0.0.1/8\";\n"
				 "q = \"10.0.0.0/33\"; s = \"toolong\"; neg = -1; d = 2.5;\n"), 0);
	root = aves_conf_root(&f->conf);
	assert_false(aves_conf_uint(&f->conf, root, "n", AVES_CONF_REQUIRED, 0, 99, 1, &n));
	assert_false(aves_conf_bool(&f->conf, root, "b", AVES_CONF_REQUIRED, false, &b));
	assert_false(aves_conf_ipv4(&f->conf, root, "a", AVES_CONF_REQUIRED, &a));
	assert_false(aves_conf_prefix(&f->conf, root, "p", AVES_CONF_REQUIRED, &a, &len));
	assert_false(aves_conf_prefix(&f->conf, root, "q", AVES_CONF_REQUIRED, &a, &len));
	assert_false(aves_conf_string(&f->conf, root, "s", AVES_CONF_REQUIRED, "", s, sizeof(s)));
	assert_false(aves_conf_uint(&f->conf, root, "neg", AVES_CONF_REQUIRED, 0, 99, 1, &n));
	assert_false(aves_conf_duration_ms(&f->conf, root, "d", AVES_CONF_REQUIRED, 0, 99, 1, &n));
	assert_int_equal(aves_conf_errors(&f->conf), 8);
	assert_non_null(strstr(errors(f), ":1: b: must be true or false"));
	assert_non_null(strstr(errors(f), "(\"10.0.0.1/8\")"));
}

static void
test_parsers(void **state)
{
	uint64_t ms;
	uint32_t a;
	uint8_t len;

	(void)state;
	assert_int_equal(aves_conf_parse_duration_ms("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(aves_conf_parse_duration_ms("3min", &ms), 0);
	assert_int_equal(ms, 180000);
	assert_int_equal(aves_conf_parse_duration_ms("3h", &ms), 0);
	assert_int_equal(ms, 10800000);
	assert_int_equal(aves_conf_parse_duration_ms("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(aves_conf_parse_duration_ms("0s", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(aves_conf_parse_duration_ms("2", &ms), -EINVAL); /* unit required in text */
	assert_int_equal(aves_conf_parse_duration_ms("-2s", &ms), -EINVAL);
	assert_int_equal(aves_conf_parse_duration_ms("s", &ms), -EINVAL);
	assert_int_equal(aves_conf_parse_duration_ms("99999999999999999999d", &ms), -ERANGE);
	assert_int_equal(aves_conf_parse_duration_ms("9999999999999999d", &ms), -ERANGE);
	assert_int_equal(aves_conf_parse_ipv4("192.0.2.300", &a), -EINVAL);
	assert_int_equal(aves_conf_parse_ipv4("192.0.2.3 ", &a), -EINVAL);
	assert_int_equal(aves_conf_parse_prefix("0.0.0.0/0", &a, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(aves_conf_parse_prefix("192.0.2.1/32", &a, &len), 0);
	assert_int_equal(aves_conf_parse_prefix("192.0.2.0/", &a, &len), -EINVAL);
	assert_int_equal(aves_conf_parse_prefix("192.0.2.0/+8", &a, &len), -EINVAL);
	assert_int_equal(aves_conf_parse_prefix("192.0.2.0/24x", &a, &len), -EINVAL);
	assert_int_equal(aves_conf_parse_prefix("192.0.2.0", &a, &len), -EINVAL);
}

/* libconfig wraps 32-bit overflow silently; a wrapped value inside the range must not pass. */
static void
test_wrapped_integer_literal(void **state)
{
	struct fixture *f = *state;
	const config_setting_t *root;
	uint64_t n;

	assert_int_equal(load(f, "size = 4294967396;\nbig = 5000000000L;\nok = 100;\n"
				 "ms = 4294967396;\n"
				 "keys = ( { id = 101; }, { id = 102; }, { id = 4294967397; } );\n"), 0);
	root = aves_conf_root(&f->conf);
	assert_false(aves_conf_uint(&f->conf, root, "size", AVES_CONF_REQUIRED, 0, 1000, 1, &n));
	assert_non_null(strstr(errors(f), ":1: size: integer does not fit 32 bits"));
	assert_true(aves_conf_uint(&f->conf, root, "big", AVES_CONF_REQUIRED, 0, UINT64_MAX, 1, &n));
	assert_int_equal(n, 5000000000ull);
	assert_true(aves_conf_uint(&f->conf, root, "ok", AVES_CONF_REQUIRED, 0, 1000, 1, &n));
	assert_int_equal(n, 100);
	assert_false(aves_conf_duration_ms(&f->conf, root, "ms", AVES_CONF_REQUIRED, 0, 1000, 1,
					   &n));
	assert_int_equal(aves_conf_errors(&f->conf), 2);

	/* Same name several times on one line: each element is judged by its own literal. */
	const config_setting_t *keys = config_setting_get_member(root, "keys");
	assert_true(aves_conf_uint(&f->conf, config_setting_get_elem(keys, 0), "id",
				   AVES_CONF_REQUIRED, 0, 1000, 1, &n));
	assert_int_equal(n, 101);
	assert_true(aves_conf_uint(&f->conf, config_setting_get_elem(keys, 1), "id",
				   AVES_CONF_REQUIRED, 0, 1000, 1, &n));
	assert_int_equal(n, 102);
	assert_false(aves_conf_uint(&f->conf, config_setting_get_elem(keys, 2), "id",
				    AVES_CONF_REQUIRED, 0, 1000, 1, &n));
	assert_int_equal(aves_conf_errors(&f->conf), 3);
}

/* Cross-checks name the setting even when the file leaves it at its default. */
static void
test_error_path_defaulted(void **state)
{
	struct fixture *f = *state;
	char expect[256];

	assert_int_equal(load(f, "a = 1;\nreassembly = {\n  datagrams = 64;\n};\n"), 0);
	aves_conf_error_path(&f->conf, "reassembly.datagrams", "set (%d)", 64);
	aves_conf_error_path(&f->conf, "reassembly.per-source", "defaulted (%d > %d)", 256, 64);
	aves_conf_error_path(&f->conf, "nat.port-min", "whole group defaulted");
	assert_int_equal(aves_conf_errors(&f->conf), 3);
	snprintf(expect, sizeof(expect), "%s:3: reassembly.datagrams: set (64)", f->path);
	assert_non_null(strstr(errors(f), expect));
	snprintf(expect, sizeof(expect), "%s:2: reassembly.per-source: defaulted (256 > 64)",
		 f->path);
	assert_non_null(strstr(errors(f), expect));
	snprintf(expect, sizeof(expect), "%s: nat.port-min: whole group defaulted", f->path);
	assert_non_null(strstr(errors(f), expect));
}

static void
test_list_element_paths(void **state)
{
	struct fixture *f = *state;
	const config_setting_t *ports, *p1;
	uint32_t a;

	assert_int_equal(load(f, "ports = (\n  { address = \"192.0.2.1\"; },\n"
				 "  { address = \"nope\"; }\n);\n"), 0);
	ports = aves_conf_member(&f->conf, aves_conf_root(&f->conf), "ports", AVES_CONF_REQUIRED);
	p1 = config_setting_get_elem(ports, 1);
	assert_false(aves_conf_ipv4(&f->conf, p1, "address", AVES_CONF_REQUIRED, &a));
	assert_non_null(strstr(errors(f), ":3: ports[1].address: not an IPv4 address"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_and_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_line_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_names_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test_setup_teardown(test_wrapped_integer_literal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_path_defaulted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_element_paths, setup, teardown),
	};

	return cmocka_run_group_tests_name("app/common conf", tests, NULL, NULL);
}
