/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the aves-dns unit suites: a configuration from a string, queries built
 * byte by byte (independently of dns_wire's writer), and a hex dump for failed comparisons.
 */
#ifndef DNS_TEST_H
#define DNS_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aves_auth.h"
#include "dns_config.h"

/* The configuration most suites use, in three parts so a suite can swap the zone. */
#define TEST_CONF_HEAD                                                                       \
	"listen = [\"127.0.0.1\"];\n"                                                         \
	"port = 15353;\n"                                                                      \
	"control = { address = \"192.0.2.53\"; port = 14796; };\n"

#define TEST_CONF_ZONE                                                                       \
	"zone = {\n"                                                                           \
	"  name = \"avesnet.test\";\n"                                                        \
	"  soa = { serial = 7; };\n"                                                           \
	"  ns = ( { name = \"ns1\"; address = \"192.0.2.53\"; },\n"                           \
	"         { name = \"ns.example.net.\"; } );\n"                                         \
	"};\n"

#define TEST_CONF_REST                                                                       \
	"service-keys = ( { id = 1; secret = \"00112233445566778899aabbccddeeff\"; } );\n"    \
	"waypoints = ( { address = \"192.0.2.10\"; port = 14797;\n"                           \
	"  addresses = [\"192.0.2.100\", \"192.0.2.101\", \"192.0.2.102\"]; } );\n"           \
	"subscribers = ( { name = \"home1\";\n"                                                \
	"  keys = ( { id = 101; secret = \"0123456789abcdef0123456789abcdef\"; } );\n"        \
	"  hosts = ( { name = \"web\"; address = \"10.0.0.2\"; },\n"                          \
	"            { name = \"x.deep\"; address = \"10.0.0.3\"; } ); } );\n"

#define TEST_CONF_BASE TEST_CONF_HEAD TEST_CONF_ZONE TEST_CONF_REST

/* Collected configuration errors, one per line. */
struct test_errors {
	char text[8192];
	unsigned int count;
};

static inline void
test_collect_error(void *arg, const char *message)
{
	struct test_errors *e = arg;
	size_t used = strlen(e->text);

	snprintf(e->text + used, sizeof(e->text) - used, "%s\n", message);
	e->count++;
}

/* Write @p text to a temporary file and load it; NULL on errors (collected in @p errors). */
static inline struct dns_config *
test_load_conf(struct aves_auth_ctx *auth, const char *text, struct test_errors *errors,
	       char *path_out)
{
	static struct test_errors ignored;
	char path[] = "/tmp/aves-dns-test-XXXXXX";
	struct dns_config *cfg;
	int fd = mkstemp(path);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	if (errors == NULL) {
		memset(&ignored, 0, sizeof(ignored));
		errors = &ignored;
	}
	cfg = dns_config_load(path, auth, test_collect_error, errors);
	if (path_out != NULL)
		strcpy(path_out, path);
	unlink(path);
	return cfg;
}

/* Append a presentation name as wire labels (no compression). */
static inline size_t
test_put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot != NULL);
	}
	p[n++] = 0;
	return n;
}

#define TEST_NO_EDNS (-1)

/*
 * A query: header (id, flags), one question, and an OPT record with @p payload and TTL
 * @p opt_ttl unless @p payload is TEST_NO_EDNS.
 */
static inline size_t
test_query(uint8_t *p, uint16_t id, uint16_t flags, const char *name, uint16_t qtype,
	   uint16_t qclass, int payload, uint32_t opt_ttl)
{
	size_t n = 12;

	memset(p, 0, 12);
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[5] = 1;
	n += test_put_name(p + n, name);
	p[n++] = (uint8_t)(qtype >> 8);
	p[n++] = (uint8_t)qtype;
	p[n++] = (uint8_t)(qclass >> 8);
	p[n++] = (uint8_t)qclass;
	if (payload != TEST_NO_EDNS) {
		p[11] = 1;
		p[n++] = 0;
		p[n++] = 0;
		p[n++] = 41;
		p[n++] = (uint8_t)(payload >> 8);
		p[n++] = (uint8_t)payload;
		p[n++] = (uint8_t)(opt_ttl >> 24);
		p[n++] = (uint8_t)(opt_ttl >> 16);
		p[n++] = (uint8_t)(opt_ttl >> 8);
		p[n++] = (uint8_t)opt_ttl;
		p[n++] = 0;
		p[n++] = 0;
	}
	return n;
}

static inline void
test_hexdump(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "%s (%zu bytes):", label, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 == 0 ? "\n  " : " ", p[i]);
	fprintf(stderr, "\n");
}

/* Compare a reply with the expected bytes; dump both when they differ. */
#define assert_bytes(got, got_len, want, want_len)                                        \
	do {                                                                               \
		if ((got_len) != (want_len) || memcmp((got), (want), (want_len)) != 0) {      \
			test_hexdump("expected", (want), (want_len));                         \
			test_hexdump("got", (got), (got_len));                                \
			fail_msg("reply differs");                                            \
		}                                                                          \
	} while (0)

#endif /* DNS_TEST_H */
