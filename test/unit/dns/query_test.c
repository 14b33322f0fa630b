/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The query engine. Each kind of answer is compared byte for byte with a reply encoded by
 * hand here (RFC 1035 §4, RFC 2308 §3, RFC 6891, RFC 8482); hostile and malformed queries
 * (counts that lie, truncation at every length, bad EDNS) must get FORMERR or be dropped; and a
 * fuzz loop over random mutations of valid queries checks that nothing crashes or reads past
 * the message (each input is an exact-size malloc copy, for ASan and valgrind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_query.h"
#include "dns_test.h"

#define AVESNET 7, 'a', 'v', 'e', 's', 'n', 'e', 't', 4, 't', 'e', 's', 't', 0
#define HOSTMASTER 10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'
#define NS1 3, 'n', 's', '1'
/* SOA rdata numbers: serial 7, refresh 3600, retry 600, expire 86400, minimum 60. */
#define SOA_NUMBERS 0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80, 0, 0, 0, 0x3c
#define TTL_3600 0, 0, 0x0e, 0x10
#define TTL_60 0, 0, 0, 0x3c

static struct aves_auth_ctx *auth;
static struct dns_config *cfg;
static struct dns_query_params qp;
static uint8_t out[DNS_MSG_MAX];

static int
setup(void **state)
{
	(void)state;
	auth = aves_auth_ctx_create();
	cfg = test_load_conf(auth, TEST_CONF_BASE, NULL, NULL);
	if (cfg == NULL)
		return -1;
	qp.zone = cfg->zone;
	qp.edns_max = 1232;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dns_config_free(cfg);
	aves_auth_ctx_free(auth);
	return 0;
}

/* Run the engine on an exact-size copy of the query. */
static void
answer(const uint8_t *q, size_t len, bool tcp, struct dns_reply *r)
{
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, q, len);
	dns_query_answer(&qp, copy, len, tcp, out, sizeof(out), r);
	free(copy);
}

static void
test_soa(void **state)
{
	const uint8_t want[] = {
		0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		AVESNET, 0, 6, 0, 1,
		0xc0, 12, 0, 6, 0, 1, TTL_3600, 0, 39,
		NS1, 0xc0, 12, HOSTMASTER, 0xc0, 12, SOA_NUMBERS,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 0x1234, DNS_FLAG_RD, "avesnet.test", DNS_TYPE_SOA, 1,
			      TEST_NO_EDNS, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_RESPOND);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	assert_bytes(out, r.len, want, sizeof(want));
}

static void
test_ns_with_glue_and_edns(void **state)
{
	const uint8_t want[] = {
		0xbe, 0xef, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 2,
		AVESNET, 0, 2, 0, 1,
		/* 30 */ 0xc0, 12, 0, 2, 0, 1, TTL_3600, 0, 6, NS1, 0xc0, 12,
		/* 48 */ 0xc0, 12, 0, 2, 0, 1, TTL_3600, 0, 16,
		2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
		/* 76: glue for ns1 (at 42) */ 0xc0, 42, 0, 1, 0, 1, TTL_3600, 0, 4, 192, 0, 2, 53,
		/* 92: OPT, our payload 1232 */ 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 0xbeef, 0, "avesnet.test", DNS_TYPE_NS, 1, 4096, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	assert_bytes(out, r.len, want, sizeof(want));
}

static void
test_nxdomain(void **state)
{
	const uint8_t want[] = {
		0, 1, 0x85, 0x03, 0, 1, 0, 0, 0, 1, 0, 0,
		4, 'n', 'o', 'p', 'e', AVESNET, 0, 1, 0, 1,
		/* 35: SOA, owner the apex at 17, TTL = SOA minimum */
		0xc0, 17, 0, 6, 0, 1, TTL_60, 0, 39,
		NS1, 0xc0, 17, HOSTMASTER, 0xc0, 17, SOA_NUMBERS,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 1, DNS_FLAG_RD, "nope.avesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NXDOMAIN);
	assert_bytes(out, r.len, want, sizeof(want));
	/* Below an existing host is nonexistent too; an empty non-terminal is not. */
	n = test_query(q, 1, 0, "a.web.home1.avesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NXDOMAIN);
	n = test_query(q, 1, 0, "deep.home1.avesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NODATA);
	n = test_query(q, 1, 0, "home1.avesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NODATA);
}

static void
test_nodata_with_do_bit(void **state)
{
	const uint8_t want[] = {
		0, 2, 0x84, 0x00, 0, 1, 0, 0, 0, 1, 0, 1,
		3, 'w', 'e', 'b', 5, 'h', 'o', 'm', 'e', '1', AVESNET, 0, 28, 0, 1,
		/* 40: SOA, the apex is at 22 */
		0xc0, 22, 0, 6, 0, 1, TTL_60, 0, 39,
		NS1, 0xc0, 22, HOSTMASTER, 0xc0, 22, SOA_NUMBERS,
		/* OPT with DO copied (RFC 3225) */
		0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 2, 0, "web.home1.avesnet.test", DNS_TYPE_AAAA, 1, 1232,
			      DNS_EDNS_DO);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NODATA);
	assert_bytes(out, r.len, want, sizeof(want));
}

static void
test_held_answer(void **state)
{
	/* The question keeps the asker's spelling; the answer's owner points at it. */
	const uint8_t want[] = {
		0x42, 0x42, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'W', 'e', 'B', 5, 'h', 'o', 'm', 'e', '1', AVESNET, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 101,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 0x4242, DNS_FLAG_RD, "WeB.home1.avesnet.test", DNS_TYPE_A, 1,
			      TEST_NO_EDNS, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_HOLD);
	assert_int_equal(r.outcome, DNS_OUTCOME_HELD);
	assert_int_equal(r.host, 0);
	assert_int_equal(cfg->zone->hosts[r.host].addr, 0x0a000002);
	assert_int_equal(r.rdata_off, sizeof(want) - 4);
	dns_query_set_waypoint(out, &r, 0xc0000265);
	assert_bytes(out, r.len, want, sizeof(want));
}

static void
test_held_to_servfail(void **state)
{
	const uint8_t want[] = {
		0, 3, 0x81, 0x02, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'e', 'b', 5, 'h', 'o', 'm', 'e', '1', AVESNET, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 3, DNS_FLAG_RD, "web.home1.avesnet.test", DNS_TYPE_A, 1, 1400, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_HOLD);
	dns_query_error(out, sizeof(out), &r, DNS_RCODE_SERVFAIL);
	assert_int_equal(r.verdict, DNS_VERDICT_RESPOND);
	assert_int_equal(r.outcome, DNS_OUTCOME_SERVFAIL);
	assert_bytes(out, r.len, want, sizeof(want));
}

/*
 * The held-answer table keeps only a held reply's bytes: when no SETUP for it can be sent, the
 * SERVFAIL is made from those. The description recovered from them must be the engine's own,
 * with and without EDNS and its DO bit, and give the very SERVFAIL above.
 */
static void
test_held_described_later(void **state)
{
	static const struct {
		const char *name;
		int payload;
		uint32_t opt_ttl;
	} cases[] = {
		{"web.home1.avesnet.test", TEST_NO_EDNS, 0},
		{"web.home1.avesnet.test", 1400, 0},
		{"X.Deep.home1.avesnet.test", 4096, DNS_EDNS_DO},
		{"x.deep.HOME1.avesnet.test", 512, 0},
	};
	const uint8_t want[] = {
		0, 3, 0x81, 0x02, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'e', 'b', 5, 'h', 'o', 'm', 'e', '1', AVESNET, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t q[512], *held;
	struct dns_reply r, d;
	unsigned int i;
	size_t n, cut;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = test_query(q, 3, DNS_FLAG_RD, cases[i].name, DNS_TYPE_A, 1, cases[i].payload,
			       cases[i].opt_ttl);
		answer(q, n, false, &r);
		assert_int_equal(r.verdict, DNS_VERDICT_HOLD);
		held = malloc(r.len); /* exact size: a read past it is seen */
		memcpy(held, out, r.len);
		dns_query_describe_held(held, r.len, &d);
		assert_int_equal(d.len, r.len);
		assert_int_equal(d.question_end, r.question_end);
		assert_int_equal(d.edns, r.edns);
		assert_int_equal(d.edns, cases[i].payload != TEST_NO_EDNS);
		assert_int_equal(d.edns_do, r.edns_do);
		assert_int_equal(d.edns_do, cases[i].opt_ttl == DNS_EDNS_DO);
		assert_int_equal(d.edns_payload, r.edns ? r.edns_payload : 0);
		/* Cut short anywhere (never done, but it must not read past the end). */
		for (cut = 0; cut < r.len; cut++) {
			struct dns_reply c;
			uint8_t *part = malloc(cut ? cut : 1);

			memcpy(part, held, cut);
			dns_query_describe_held(part, cut, &c);
			assert_true(c.question_end == 0 || c.question_end == r.question_end);
			assert_true(cut >= r.question_end || c.question_end == 0);
			free(part);
		}
		free(held);
	}
	/* The second case's SERVFAIL, made from the bytes alone. */
	n = test_query(q, 3, DNS_FLAG_RD, "web.home1.avesnet.test", DNS_TYPE_A, 1, 1400, 0);
	answer(q, n, false, &r);
	dns_query_describe_held(out, r.len, &d);
	dns_query_error(out, sizeof(out), &d, DNS_RCODE_SERVFAIL);
	assert_int_equal(d.outcome, DNS_OUTCOME_SERVFAIL);
	assert_bytes(out, d.len, want, sizeof(want));
}

static void
test_refused(void **state)
{
	const uint8_t want[] = {
		0, 4, 0x80, 0x05, 0, 1, 0, 0, 0, 0, 0, 1,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 4, 0, "example.com", DNS_TYPE_A, 1, 512, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	assert_bytes(out, r.len, want, sizeof(want));
	/* A name that merely ends like the zone. */
	n = test_query(q, 4, 0, "xavesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	/* Zone transfers, inside the zone, over TCP too. */
	n = test_query(q, 4, 0, "avesnet.test", DNS_TYPE_AXFR, 1, TEST_NO_EDNS, 0);
	answer(q, n, true, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	n = test_query(q, 4, 0, "avesnet.test", DNS_TYPE_IXFR, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	/* An IXFR query as sent: the client's SOA in the authority section (RFC 1995 §3). */
	q[9] = 1;
	memcpy(q + n, (const uint8_t[]){0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	       34);
	answer(q, n + 34, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	answer(q, n + 33, false, &r);
	assert_int_equal(r.malformed, DNS_MALFORMED_RR_TRUNCATED);
	/* Class CH (and any class but IN and ANY). */
	n = test_query(q, 4, 0, "avesnet.test", DNS_TYPE_SOA, 3, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_REFUSED);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_REFUSED);
	assert_int_equal(out[2] & (DNS_FLAG_AA >> 8), 0);
}

static void
test_formerr_and_notimp(void **state)
{
	const uint8_t want_formerr[] = {0, 5, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t want_notimp[] = {0, 6, 0x90, 0x04, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 5, DNS_FLAG_RD, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);

	(void)state;
	q[5] = 2; /* QDCOUNT 2 */
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_FORMERR);
	assert_int_equal(r.malformed, DNS_MALFORMED_QDCOUNT);
	assert_bytes(out, r.len, want_formerr, sizeof(want_formerr));
	q[5] = 0;
	answer(q, n, false, &r);
	assert_int_equal(r.malformed, DNS_MALFORMED_QDCOUNT);

	/* Opcode STATUS (2): not implemented, whatever follows. */
	n = test_query(q, 6, 2 << DNS_OPCODE_SHIFT, "avesnet.test", DNS_TYPE_SOA, 1,
		       TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOTIMP);
	assert_bytes(out, r.len, want_notimp, sizeof(want_notimp));
	/* MAILA is obsolete: NOTIMP with the question. */
	n = test_query(q, 6, 0, "avesnet.test", DNS_TYPE_MAILA, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOTIMP);
	assert_int_equal(r.len, n);
	/* QTYPE OPT, TSIG and 0 cannot be asked for. */
	n = test_query(q, 6, 0, "avesnet.test", DNS_TYPE_OPT, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.malformed, DNS_MALFORMED_QTYPE);
	n = test_query(q, 6, 0, "avesnet.test", 0, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.malformed, DNS_MALFORMED_QTYPE);
}

static void
test_badvers(void **state)
{
	const uint8_t want[] = {
		0, 7, 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		AVESNET, 0, 6, 0, 1,
		/* BADVERS = 16: 0 in the header, 1 in the OPT's extended RCODE; our version 0 */
		0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 7, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 1u << 16);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_BADVERS);
	assert_bytes(out, r.len, want, sizeof(want));
}

static void
test_any_and_class_any(void **state)
{
	const uint8_t want[] = {
		0, 8, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		AVESNET, 0, 255, 0, 1,
		0xc0, 12, 0, 13, 0, 1, TTL_3600, 0, 9, 7, 'R', 'F', 'C', '8', '4', '8', '2', 0,
	};
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 8, 0, "avesnet.test", DNS_TYPE_ANY, 1, TEST_NO_EDNS, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	assert_bytes(out, r.len, want, sizeof(want));
	/* ANY for a host does not start a SETUP. */
	n = test_query(q, 8, 0, "web.home1.avesnet.test", DNS_TYPE_ANY, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_RESPOND);
	/* QCLASS ANY: answered from IN, never authoritative (RFC 6895 §3.2). */
	n = test_query(q, 8, 0, "avesnet.test", DNS_TYPE_SOA, DNS_CLASS_ANY, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	assert_int_equal(out[2], 0x80);
	assert_int_equal(out[7], 1);
	/* A name server's own address. */
	n = test_query(q, 8, 0, "NS1.avesnet.test", DNS_TYPE_A, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	assert_memory_equal(out + r.len - 4, ((uint8_t[]){192, 0, 2, 53}), 4);
}

static void
test_payload_sizes_and_truncation(void **state)
{
	/* A zone whose NS set (40 names) does not fit 512 bytes but fits 1232. */
	char conf[8192], *p;
	uint8_t q[512];
	struct dns_reply r;
	struct dns_config *big;
	const struct dns_zone *keep = qp.zone;
	size_t n;
	int i;

	(void)state;
	p = conf + sprintf(conf, "%s%s", TEST_CONF_HEAD, TEST_CONF_REST);
	p += sprintf(p, "zone = { name = \"avesnet.test\"; ns = (");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "%s{ name = \"n%02d.example.net.\"; }", i ? "," : "", i);
	sprintf(p, "); };\n");
	big = test_load_conf(auth, conf, NULL, NULL);
	assert_non_null(big);
	qp.zone = big->zone;

	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, 512, 0);
	answer(q, n, false, &r);
	assert_true(r.truncated);
	assert_int_equal(out[2] & (DNS_FLAG_TC >> 8), DNS_FLAG_TC >> 8);
	assert_int_equal(r.len, n); /* header, question, OPT: the query's own shape */
	assert_int_equal(out[7], 0);
	assert_int_equal(out[11], 1);
	/* Below 512 means 512 (RFC 6891 §6.2.5). */
	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, 100, 0);
	answer(q, n, false, &r);
	assert_true(r.truncated);
	/* No EDNS: 512. */
	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, TEST_NO_EDNS, 0);
	answer(q, n, false, &r);
	assert_true(r.truncated);
	assert_int_equal(r.len, n);
	/* 4096 asked, capped at 1232: fits. */
	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, 4096, 0);
	answer(q, n, false, &r);
	assert_false(r.truncated);
	assert_true(r.len > 512 && r.len <= 1232);
	assert_int_equal(out[7], 40);
	/* Over TCP, no limit but the buffer. */
	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, TEST_NO_EDNS, 0);
	answer(q, n, true, &r);
	assert_false(r.truncated);
	assert_int_equal(out[7], 40);
	/* A cap below what the zone needs truncates even a large request. */
	qp.edns_max = 512;
	n = test_query(q, 9, 0, "avesnet.test", DNS_TYPE_NS, 1, 4096, 0);
	answer(q, n, false, &r);
	assert_true(r.truncated);
	assert_int_equal(out[n - 8], 0x02); /* advertised payload 512 */
	assert_int_equal(out[n - 7], 0x00);
	qp.edns_max = 1232;
	qp.zone = keep;
	dns_config_free(big);
}

static void
test_dropped(void **state)
{
	uint8_t q[512];
	struct dns_reply r;
	size_t n = test_query(q, 10, DNS_FLAG_QR, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);

	(void)state;
	answer(q, n, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_DISCARD);
	assert_true(r.response);
	answer(q, 11, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_DISCARD);
	assert_int_equal(r.malformed, DNS_MALFORMED_SHORT_HEADER);
	answer(q, 0, false, &r);
	assert_int_equal(r.verdict, DNS_VERDICT_DISCARD);
}

/* Expect FORMERR with @p why for the query in @p q. */
static void
expect_formerr(const uint8_t *q, size_t n, enum dns_malformed why)
{
	struct dns_reply r;

	answer(q, n, false, &r);
	if (r.outcome != DNS_OUTCOME_FORMERR || r.malformed != why)
		fail_msg("want formerr %s, got outcome %d malformed %s", dns_malformed_name(why),
			 r.outcome, dns_malformed_name(r.malformed));
	assert_int_equal(r.len, DNS_HEADER_LEN);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_FORMERR);
}

static void
test_hostile_sections(void **state)
{
	uint8_t q[512];
	size_t n;

	(void)state;
	/* ARCOUNT larger than the data. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 0);
	q[11] = 2;
	expect_formerr(q, n, DNS_MALFORMED_RR_TRUNCATED);
	q[11] = 0xff;
	expect_formerr(q, n, DNS_MALFORMED_RR_TRUNCATED);
	/* ANCOUNT or NSCOUNT in a query (an OPT in the answer section is one of those). */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 0);
	q[7] = 1;
	q[11] = 0;
	expect_formerr(q, n, DNS_MALFORMED_SECTIONS);
	q[7] = 0;
	q[9] = 1;
	expect_formerr(q, n, DNS_MALFORMED_SECTIONS);
	/* Two OPT records. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 0);
	memcpy(q + n, q + n - 11, 11);
	n += 11;
	q[11] = 2;
	expect_formerr(q, n, DNS_MALFORMED_OPT_DUPLICATE);
	/* OPT owned by a name other than the root. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);
	q[11] = 1;
	q[n++] = 0xc0; /* pointer to the question name */
	q[n++] = 12;
	memcpy(q + n, (const uint8_t[]){0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0}, 10);
	n += 10;
	expect_formerr(q, n, DNS_MALFORMED_OPT_OWNER);
	/* Options that overrun the OPT rdata: rdlength 6 holds a 4-byte option header whose
	 * length says 4 more bytes, only 2 present. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 0);
	q[n - 1] = 6;
	memcpy(q + n, (const uint8_t[]){0, 10, 0, 4, 1, 2}, 6);
	n += 6;
	expect_formerr(q, n, DNS_MALFORMED_OPT_OPTIONS);
	/* Options that tile it exactly are fine (a cookie, then a zero-length option). */
	q[n - 6 - 1] = 12;
	memcpy(q + n - 6, (const uint8_t[]){0, 10, 0, 4, 1, 2, 3, 4, 0, 12, 0, 0}, 12);
	n += 6;
	{
		struct dns_reply r;

		answer(q, n, false, &r);
		assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
	}
	/* Trailing bytes after the last record. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, 1232, 0);
	q[n++] = 0;
	expect_formerr(q, n, DNS_MALFORMED_TRAILING);
	/* A compression loop in the question. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);
	q[12] = 0xc0;
	q[13] = 12;
	expect_formerr(q, n, DNS_MALFORMED_POINTER_FORWARD);
	/* A label of 64 in the question. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);
	q[12] = 64;
	expect_formerr(q, n, DNS_MALFORMED_LABEL_TYPE);
	/* An additional record other than OPT is skipped, not misread. */
	n = test_query(q, 11, 0, "avesnet.test", DNS_TYPE_SOA, 1, TEST_NO_EDNS, 0);
	q[11] = 1;
	memcpy(q + n, (const uint8_t[]){0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'x'}, 13);
	n += 13;
	{
		struct dns_reply r;

		answer(q, n, false, &r);
		assert_int_equal(r.outcome, DNS_OUTCOME_NOERROR);
		assert_false(r.edns);
	}
}

static void
test_truncated_everywhere(void **state)
{
	uint8_t q[512];
	size_t n = test_query(q, 12, 0, "web.home1.avesnet.test", DNS_TYPE_A, 1, 1232, DNS_EDNS_DO);
	size_t cut;

	(void)state;
	for (cut = 0; cut < n; cut++) {
		struct dns_reply r;

		answer(q, cut, false, &r);
		if (cut < DNS_HEADER_LEN) {
			assert_int_equal(r.verdict, DNS_VERDICT_DISCARD);
			continue;
		}
		assert_int_equal(r.verdict, DNS_VERDICT_RESPOND);
		assert_int_equal(r.outcome, DNS_OUTCOME_FORMERR);
		assert_int_not_equal(r.malformed, DNS_MALFORMED_NONE);
	}
}

/* Minimal linear congruential generator: reproducible across runs and platforms. */
static uint32_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void
test_fuzz_mutations(void **state)
{
	static const struct {
		const char *name;
		uint16_t qtype;
		int payload;
	} seeds[] = {
		{"avesnet.test", DNS_TYPE_SOA, TEST_NO_EDNS},
		{"avesnet.test", DNS_TYPE_NS, 1232},
		{"web.home1.avesnet.test", DNS_TYPE_A, 4096},
		{"nope.avesnet.test", DNS_TYPE_AAAA, 512},
		{"example.com", DNS_TYPE_A, TEST_NO_EDNS},
	};
	uint64_t rng = 0x5eed;
	unsigned int iter, counts[3] = {0, 0, 0};

	(void)state;
	for (iter = 0; iter < 60000; iter++) {
		uint8_t q[600];
		size_t n = test_query(q, (uint16_t)iter, 0, seeds[iter % 5].name,
				      seeds[iter % 5].qtype, 1, seeds[iter % 5].payload, 0);
		unsigned int k, edits = 1 + lcg(&rng) % 6;
		struct dns_reply r;

		for (k = 0; k < edits; k++) {
			uint32_t what = lcg(&rng) % 10, at = lcg(&rng) % (uint32_t)(n ? n : 1);

			if (what < 5) {
				q[at] = (uint8_t)lcg(&rng); /* random byte */
			} else if (what < 7) {
				q[at] ^= (uint8_t)(1u << (lcg(&rng) % 8)); /* bit flip */
			} else if (what == 7) {
				n = at; /* truncate */
			} else if (what == 8 && n + 2 < sizeof(q)) {
				q[n++] = (uint8_t)lcg(&rng); /* append */
			} else {
				q[at] = (uint8_t)(0xc0 | (lcg(&rng) & 1)); /* plant a pointer */
				if (at + 1 < n)
					q[at + 1] = (uint8_t)lcg(&rng);
			}
		}
		answer(q, n, (iter & 1) != 0, &r);
		counts[r.verdict]++;
		assert_true(r.len <= sizeof(out));
		if (r.verdict == DNS_VERDICT_DISCARD)
			continue;
		/* Every reply is a response to this query. */
		assert_true(r.len >= DNS_HEADER_LEN);
		assert_memory_equal(out, q, 2);
		assert_true(out[2] & 0x80);
		if (!(iter & 1))
			assert_true(r.len <= 1232);
		if (r.verdict == DNS_VERDICT_HOLD)
			assert_true(r.rdata_off + 4 <= r.len && r.len <= 512);
	}
	/* The mutations reach every verdict. */
	assert_true(counts[DNS_VERDICT_DISCARD] > 0);
	assert_true(counts[DNS_VERDICT_RESPOND] > 0);
	assert_true(counts[DNS_VERDICT_HOLD] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soa),
		cmocka_unit_test(test_ns_with_glue_and_edns),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_nodata_with_do_bit),
		cmocka_unit_test(test_held_answer),
		cmocka_unit_test(test_held_to_servfail),
		cmocka_unit_test(test_held_described_later),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_formerr_and_notimp),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_any_and_class_any),
		cmocka_unit_test(test_payload_sizes_and_truncation),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_hostile_sections),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_fuzz_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
