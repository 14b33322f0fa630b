/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves_parse_ipv4(): known packets of every kind with their expected keys and offsets, one
 * crafted packet per drop reason, and every truncation of valid packets, each copied into an
 * exact-size malloc buffer so that valgrind or ASan would see any read past the end.
 * Checksums here are computed by the test's own RFC 1071 code, not the library's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "aves_flow.h"
#include "flow_ref.h"

#define IP4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define SRC_A IP4(198, 51, 100, 7)
#define DST_B IP4(203, 0, 113, 9)
#define ROUTER IP4(192, 0, 2, 1)

#define F_VERIFY AVES_PARSE_F_VERIFY_L4_CKSUM

/* ---- packet construction and reference checksums (RFC 1071, byte-wise, big-endian) ---- */

struct tp {
	uint8_t b[1600];
	size_t len; /* frame length */
	size_t l3;  /* IPv4 header offset */
};

static void
put32n(uint8_t *p, uint32_t net)
{
	memcpy(p, &net, 4);
}

static void
fix_ip(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, ~ref_sum(ip, ihl_of(ip), 0) & 0xffff);
}

/* The L4 checksum of a whole (unfragmented) datagram. */
static void
fix_l4(uint8_t *ip)
{
	size_t ihl = ihl_of(ip), l4len = get16(ip + 2) - ihl;
	uint8_t *l4 = ip + ihl;
	uint8_t pseudo[12];
	uint32_t s;

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	put16(pseudo + 10, (unsigned int)l4len);
	switch (ip[9]) {
	case IPPROTO_TCP:
		put16(l4 + 16, 0);
		s = ref_sum(l4, l4len, ref_sum(pseudo, 12, 0));
		put16(l4 + 16, ~s & 0xffff);
		break;
	case IPPROTO_UDP:
		put16(l4 + 6, 0);
		s = ~ref_sum(l4, l4len, ref_sum(pseudo, 12, 0)) & 0xffff;
		put16(l4 + 6, s == 0 ? 0xffff : s);
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, 0);
		put16(l4 + 2, ~ref_sum(l4, l4len, 0) & 0xffff);
		break;
	default:
		break;
	}
}

static void
fix(struct tp *t)
{
	fix_l4(t->b + t->l3);
	fix_ip(t->b + t->l3);
}

/* IPv4 header (with options) at @p l3 for @p l4len bytes of L4; returns the L4 pointer. */
static uint8_t *
ip_hdr(struct tp *t, size_t l3, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *opt,
       size_t optlen, size_t l4len)
{
	uint8_t *ip = t->b + l3;
	size_t i;

	memset(t->b, 0, sizeof(t->b));
	for (i = 0; i < l3; i++)
		t->b[i] = (uint8_t)(0xa0 + i); /* an L2 header the parser must skip */
	ip[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
	put16(ip + 2, (unsigned int)(20 + optlen + l4len));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	put32n(ip + 12, src);
	put32n(ip + 16, dst);
	if (optlen)
		memcpy(ip + 20, opt, optlen);
	for (i = 0; i < l4len; i++)
		ip[20 + optlen + i] = (uint8_t)(i * 7 + 3);
	t->l3 = l3;
	t->len = l3 + 20 + optlen + l4len;
	return ip + 20 + optlen;
}

static uint8_t *
tcp_pkt(struct tp *t, size_t l3, uint16_t sport, uint16_t dport, uint8_t flags, size_t optlen,
	size_t paylen)
{
	uint8_t *l4 = ip_hdr(t, l3, SRC_A, DST_B, IPPROTO_TCP, NULL, 0, 20 + optlen + paylen);

	put16(l4, sport);
	put16(l4 + 2, dport);
	l4[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	l4[13] = flags;
	put16(l4 + 14, 65535);
	memset(l4 + 20, 1, optlen); /* NOPs */
	fix(t);
	return l4;
}

static uint8_t *
udp_pkt(struct tp *t, size_t l3, uint16_t sport, uint16_t dport, size_t paylen)
{
	uint8_t *l4 = ip_hdr(t, l3, SRC_A, DST_B, IPPROTO_UDP, NULL, 0, 8 + paylen);

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (unsigned int)(8 + paylen));
	fix(t);
	return l4;
}

static uint8_t *
icmp_pkt(struct tp *t, size_t l3, uint8_t type, uint8_t code, uint16_t ident, size_t paylen)
{
	uint8_t *l4 = ip_hdr(t, l3, SRC_A, DST_B, IPPROTO_ICMP, NULL, 0, 8 + paylen);

	l4[0] = type;
	l4[1] = code;
	put16(l4 + 4, ident);
	put16(l4 + 6, 1);
	fix(t);
	return l4;
}

/* An ICMP error from ROUTER to the original's source, quoting @p quote bytes of it. */
static uint8_t *
icmp_err(struct tp *t, size_t l3, uint8_t type, uint8_t code, const struct tp *orig,
	 size_t quote)
{
	const uint8_t *o = orig->b + orig->l3;
	uint32_t osrc;
	uint8_t *l4;

	memcpy(&osrc, o + 12, 4);
	l4 = ip_hdr(t, l3, ROUTER, osrc, IPPROTO_ICMP, NULL, 0, 8 + quote);
	l4[0] = type;
	l4[1] = code;
	memset(l4 + 4, 0, 4);
	memcpy(l4 + 8, o, quote);
	fix(t);
	return l4;
}

static int
parse(const struct tp *t, unsigned int flags, struct aves_pkt *pkt)
{
	return aves_parse_ipv4(t->b, (uint16_t)t->len, (uint16_t)t->l3, flags, pkt);
}

static void
assert_key(const struct aves_flow_key *k, uint32_t src, uint32_t dst, unsigned int sport,
	   unsigned int dport, uint8_t proto)
{
	assert_int_equal(k->src, src);
	assert_int_equal(k->dst, dst);
	assert_int_equal(ntohs(k->sport), sport);
	assert_int_equal(ntohs(k->dport), dport);
	assert_int_equal(k->proto, proto);
	assert_int_equal(k->pad[0] | k->pad[1] | k->pad[2], 0);
}

/* ---- known packets ---- */

static void
test_tcp_syn(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	tcp_pkt(&t, 14, 40000, 80, 0x02, 4, 0);
	memset(&pkt, 0xee, sizeof(pkt)); /* every field must be written */
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, SRC_A, DST_B, 40000, 80, IPPROTO_TCP);
	assert_int_equal(pkt.l3_off, 14);
	assert_int_equal(pkt.l4_off, 34);
	assert_int_equal(pkt.payload_off, 58);
	assert_int_equal(pkt.ip_len, 44);
	assert_int_equal(pkt.ip_id, 0x1234);
	assert_int_equal(pkt.frag_off, 0);
	assert_int_equal(pkt.flags, 0);
	assert_int_equal(pkt.tcp_flags, 0x02);
	assert_int_equal(pkt.icmp_type, 0);
}

static void
test_tcp_data_with_padding(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	tcp_pkt(&t, 0, 22, 50123, 0x18, 0, 5);
	/* Ethernet pads short frames: the buffer is longer than the datagram. */
	t.len += 13;
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, SRC_A, DST_B, 22, 50123, IPPROTO_TCP);
	assert_int_equal(pkt.ip_len, 45);
	assert_int_equal(pkt.payload_off, 40);
	assert_int_equal(pkt.tcp_flags, 0x18);
}

static void
test_udp(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	udp_pkt(&t, 14, 5353, 53, 33);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, SRC_A, DST_B, 5353, 53, IPPROTO_UDP);
	assert_int_equal(pkt.l4_off, 34);
	assert_int_equal(pkt.payload_off, 42);
	assert_int_equal(pkt.ip_len, 61);
	assert_int_equal(pkt.flags, 0);
}

static void
test_udp_zero_cksum_not_verified(void **state)
{
	struct tp t;
	struct aves_pkt pkt;
	uint8_t *l4 = udp_pkt(&t, 0, 1, 2, 10);

	(void)state;
	put16(l4 + 6, 0);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
}

static void
test_icmp_echo(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	icmp_pkt(&t, 14, 8, 0, 0xbeef, 56);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, SRC_A, DST_B, 0xbeef, 0xbeef, IPPROTO_ICMP);
	assert_int_equal(pkt.flags, AVES_PKT_F_ICMP_QUERY);
	assert_int_equal(pkt.icmp_type, 8);
	assert_int_equal(pkt.icmp_code, 0);
	assert_int_equal(pkt.payload_off, 42);
}

static void
test_icmp_queries_expose_ident(void **state)
{
	static const uint8_t types[] = { 0, 8, 13, 14, 15, 16, 17, 18 };
	struct tp t;
	struct aves_pkt pkt;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		icmp_pkt(&t, 0, types[i], 0, (uint16_t)(0x100 + i), 12);
		assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
		assert_int_equal(pkt.flags, AVES_PKT_F_ICMP_QUERY);
		assert_key(&pkt.key, SRC_A, DST_B, 0x100 + i, 0x100 + i, IPPROTO_ICMP);
	}
}

static void
test_icmp_other_and_unknown_code(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	icmp_pkt(&t, 0, 9, 0, 0x4242, 8); /* router advertisement: no identifier */
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.flags, 0);
	assert_key(&pkt.key, SRC_A, DST_B, 0, 0, IPPROTO_ICMP);
	assert_int_equal(pkt.icmp_type, 9);

	icmp_pkt(&t, 0, 8, 77, 0x0101, 0); /* echo with an undefined code */
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.icmp_code, 77);
	assert_int_equal(pkt.flags, AVES_PKT_F_ICMP_QUERY);
}

static void
test_icmp_error_quoting_udp(void **state)
{
	struct tp o, t;
	struct aves_pkt pkt;

	(void)state;
	udp_pkt(&o, 0, 40000, 53, 100);
	icmp_err(&t, 14, 3, 3, &o, 28);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, ROUTER, SRC_A, 0, 0, IPPROTO_ICMP);
	assert_int_equal(pkt.flags, AVES_PKT_F_ICMP_ERROR);
	assert_int_equal(pkt.icmp_type, 3);
	assert_int_equal(pkt.icmp_code, 3);
	assert_key(&pkt.inner.key, SRC_A, DST_B, 40000, 53, IPPROTO_UDP);
	assert_int_equal(pkt.inner.l3_off, 14 + 20 + 8);
	assert_int_equal(pkt.inner.l4_off, 14 + 20 + 8 + 20);
	assert_int_equal(pkt.inner.l4_len, 8);
	assert_int_equal(pkt.inner.ip_len, 128);
	assert_int_equal(pkt.inner.flags, 0);
}

static void
test_icmp_error_quoting_tcp_and_echo(void **state)
{
	struct tp o, t;
	struct aves_pkt pkt;

	(void)state;
	tcp_pkt(&o, 0, 1234, 443, 0x10, 0, 200);
	o.b[6] = 0x40; /* DF */
	fix(&o);
	icmp_err(&t, 0, 3, 4, &o, 548);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.inner.key, SRC_A, DST_B, 1234, 443, IPPROTO_TCP);
	assert_int_equal(pkt.inner.l4_len, 220); /* the whole datagram is quoted, not more */
	assert_int_equal(pkt.inner.flags, AVES_PKT_F_DF);

	icmp_pkt(&o, 0, 8, 0, 0x7777, 32);
	icmp_err(&t, 0, 11, 0, &o, 28);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.inner.key, SRC_A, DST_B, 0x7777, 0x7777, IPPROTO_ICMP);
	assert_int_equal(pkt.inner.flags, AVES_PKT_F_ICMP_QUERY);
	assert_int_equal(pkt.inner.icmp_type, 8);
}

static void
test_icmp_error_quoting_other_and_first_fragment(void **state)
{
	struct tp o, t;
	struct aves_pkt pkt;

	(void)state;
	ip_hdr(&o, 0, SRC_A, DST_B, 47, NULL, 0, 40); /* GRE */
	fix(&o);
	icmp_err(&t, 0, 12, 0, &o, 28);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.inner.key, SRC_A, DST_B, 0, 0, 47);

	udp_pkt(&o, 0, 7, 9, 100);
	o.b[6] = 0x20; /* MF: the quoted packet is a first fragment */
	fix_ip(o.b);
	icmp_err(&t, 0, 11, 1, &o, 28);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.inner.flags, AVES_PKT_F_FRAG);
	assert_key(&pkt.inner.key, SRC_A, DST_B, 7, 9, IPPROTO_UDP);
}

static void
test_other_protocol(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	ip_hdr(&t, 14, SRC_A, DST_B, 50, NULL, 0, 37); /* ESP */
	fix(&t);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_key(&pkt.key, SRC_A, DST_B, 0, 0, 50);
	assert_int_equal(pkt.l4_off, 34);
	assert_int_equal(pkt.payload_off, 34);
}

static void
test_ip_options_accepted(void **state)
{
	/* NOP, record route (7, len 11, ptr 4), timestamp (68, len 12), EOL + padding. */
	static const uint8_t opts[28] = { 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					  68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct tp t;
	struct aves_pkt pkt;
	uint8_t *l4;

	(void)state;
	l4 = ip_hdr(&t, 0, SRC_A, DST_B, IPPROTO_UDP, opts, sizeof(opts), 8);
	put16(l4, 1);
	put16(l4 + 2, 2);
	put16(l4 + 4, 8);
	fix(&t);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.l4_off, 48);
	assert_key(&pkt.key, SRC_A, DST_B, 1, 2, IPPROTO_UDP);
}

static void
test_first_fragment(void **state)
{
	struct tp t;
	struct aves_pkt pkt;
	uint8_t *l4 = udp_pkt(&t, 0, 1111, 2222, 100);

	(void)state;
	/* First 48 bytes of a 108-byte UDP datagram: the UDP length is the datagram's. */
	put16(t.b + 2, 20 + 48);
	put16(t.b + 6, 0x2000); /* MF */
	put16(l4 + 6, 0x1234); /* a checksum over bytes not here: must not be verified */
	fix_ip(t.b);
	t.len = 68;
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.flags, AVES_PKT_F_FRAG);
	assert_key(&pkt.key, SRC_A, DST_B, 1111, 2222, IPPROTO_UDP);
	assert_int_equal(pkt.payload_off, 28);
}

static void
test_later_fragment(void **state)
{
	struct tp t;
	struct aves_pkt pkt;

	(void)state;
	tcp_pkt(&t, 14, 1, 2, 0x10, 0, 60);
	put16(t.b + 14 + 6, 0x2000 | 3); /* MF, offset 24 bytes; bytes after: not a header */
	fix_ip(t.b + 14);
	memset(&pkt, 0xee, sizeof(pkt));
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.flags, AVES_PKT_F_FRAG | AVES_PKT_F_LATER_FRAG);
	assert_key(&pkt.key, SRC_A, DST_B, 0, 0, IPPROTO_TCP);
	assert_int_equal(pkt.frag_off, 24);
	assert_int_equal(pkt.ip_id, 0x1234);
	assert_int_equal(pkt.l4_off, 34);
	assert_int_equal(pkt.payload_off, 34);
	assert_int_equal(pkt.tcp_flags, 0);

	put16(t.b + 14 + 6, 100); /* last fragment: MF clear, offset 800 */
	fix_ip(t.b + 14);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_int_equal(pkt.flags, AVES_PKT_F_FRAG | AVES_PKT_F_LATER_FRAG);
	assert_int_equal(pkt.frag_off, 800);
}

static void
test_l4_cksum_only_with_flag(void **state)
{
	struct tp t;
	struct aves_pkt pkt;
	uint8_t *l4 = tcp_pkt(&t, 0, 1, 2, 0x10, 0, 10);

	(void)state;
	l4[25] ^= 0x40;
	assert_int_equal(parse(&t, 0, &pkt), AVES_PARSE_OK);
	assert_int_equal(parse(&t, F_VERIFY, &pkt), AVES_PARSE_TCP_CKSUM);
}

static void
test_reason_names(void **state)
{
	int r, s;

	(void)state;
	assert_string_equal(aves_parse_reason_name(AVES_PARSE_OK), "ok");
	assert_string_equal(aves_parse_reason_name(AVES_PARSE_IP_CKSUM), "ip_cksum");
	assert_string_equal(aves_parse_reason_name(AVES_PARSE_ICMP_CKSUM), "icmp_cksum");
	assert_string_equal(aves_parse_reason_name(-1), "unknown");
	assert_string_equal(aves_parse_reason_name(AVES_PARSE_REASON_MAX), "unknown");
	for (r = 1; r < AVES_PARSE_REASON_MAX; r++) {
		assert_non_null(aves_parse_reason_name(r));
		assert_string_not_equal(aves_parse_reason_name(r), "unknown");
		for (s = 0; s < r; s++)
			assert_string_not_equal(aves_parse_reason_name(r),
						aves_parse_reason_name(s));
	}
}

/* ---- one crafted packet per reason ---- */

struct reason_case {
	const char *name;
	void (*build)(struct tp *t);
	int expect;
	unsigned int flags;
};

static void
b_ip_truncated(struct tp *t)
{
	udp_pkt(t, 14, 1, 2, 0);
	t->len = 14 + 19;
}

static void
b_ip_truncated_l3_beyond(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	t->l3 = 40; /* the L2 header claims more than the frame holds */
}

static void
b_ip_version(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	t->b[0] = 0x65;
	fix_ip(t->b);
}

static void
b_ip_hdr_len_small(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	t->b[0] = 0x44;
}

static void
b_ip_hdr_len_past_buffer(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	t->b[0] = 0x46;
	t->len = 20;
}

static void
b_ip_total_short(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	put16(t->b + 2, 19);
	fix_ip(t->b);
}

static void
b_ip_total_past_buffer(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 10);
	t->len--;
}

static void
b_ip_cksum(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 10);
	t->b[11] ^= 0x01;
}

static void
options(struct tp *t, const uint8_t *opt, size_t optlen)
{
	uint8_t *l4 = ip_hdr(t, 0, SRC_A, DST_B, IPPROTO_UDP, opt, optlen, 8);

	put16(l4 + 4, 8);
	fix(t);
}

static void
b_ip_option_len_1(struct tp *t)
{
	static const uint8_t opt[4] = { 1, 7, 1, 0 };

	options(t, opt, sizeof(opt));
}

static void
b_ip_option_len_past_header(struct tp *t)
{
	static const uint8_t opt[8] = { 7, 11, 4, 0, 0, 0, 0, 0 };

	options(t, opt, sizeof(opt));
}

static void
b_ip_option_len_one_past_header(struct tp *t)
{
	static const uint8_t opt[4] = { 7, 5, 4, 0 };

	options(t, opt, sizeof(opt));
}

/* Nothing follows the header: reading a length byte for the last option would overrun. */
static void
b_ip_option_no_len_byte_at_end(struct tp *t)
{
	static const uint8_t opt[4] = { 1, 1, 1, 68 };

	ip_hdr(t, 0, SRC_A, DST_B, 47, opt, sizeof(opt), 0);
	fix(t);
}

static void
b_ip_option_no_len_byte(struct tp *t)
{
	static const uint8_t opt[4] = { 1, 1, 1, 68 };

	options(t, opt, sizeof(opt));
}

static void
b_ip_lsrr(struct tp *t)
{
	static const uint8_t opt[8] = { 1, 131, 7, 4, 192, 0, 2, 99 };

	options(t, opt, sizeof(opt));
}

static void
b_ip_ssrr(struct tp *t)
{
	static const uint8_t opt[8] = { 137, 7, 4, 192, 0, 2, 99, 0 };

	options(t, opt, sizeof(opt));
}

static void
b_ip_reserved_flag(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 0);
	t->b[6] = 0x80;
	fix_ip(t->b);
}

static void
b_ip_frag_oversize(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 92);
	put16(t->b + 6, 8180); /* 65440 + 100 bytes of payload */
	fix_ip(t->b);
}

static void
with_src(struct tp *t, uint32_t src)
{
	udp_pkt(t, 0, 1, 2, 4);
	put32n(t->b + 12, src);
	fix(t);
}

static void
with_dst(struct tp *t, uint32_t dst)
{
	udp_pkt(t, 0, 1, 2, 4);
	put32n(t->b + 16, dst);
	fix(t);
}

static void b_src_zero(struct tp *t) { with_src(t, IP4(0, 1, 2, 3)); }
static void b_src_loop(struct tp *t) { with_src(t, IP4(127, 0, 0, 1)); }
static void b_src_mcast(struct tp *t) { with_src(t, IP4(224, 0, 0, 251)); }
static void b_src_class_e(struct tp *t) { with_src(t, IP4(240, 1, 1, 1)); }
static void b_src_bcast(struct tp *t) { with_src(t, IP4(255, 255, 255, 255)); }
static void b_dst_zero(struct tp *t) { with_dst(t, IP4(0, 0, 0, 0)); }
static void b_dst_loop(struct tp *t) { with_dst(t, IP4(127, 9, 9, 9)); }

static void
b_tcp_overlap(struct tp *t)
{
	tcp_pkt(t, 0, 1, 2, 0x10, 0, 16);
	put16(t->b + 6, 1);
	fix_ip(t->b);
}

static void
first_fragment(struct tp *t, size_t keep)
{
	put16(t->b + 2, (unsigned int)(20 + keep));
	put16(t->b + 6, 0x2000);
	fix_ip(t->b);
	t->len = 20 + keep;
}

static void
b_frag_tiny_tcp(struct tp *t)
{
	tcp_pkt(t, 0, 1, 2, 0x02, 0, 100);
	first_fragment(t, 16);
}

static void
b_frag_tiny_tcp_options(struct tp *t)
{
	tcp_pkt(t, 0, 1, 2, 0x02, 20, 100); /* header 40 bytes, 32 in the fragment */
	first_fragment(t, 32);
}

static void
b_frag_tiny_udp(struct tp *t)
{
	udp_pkt(t, 0, 1, 2, 100);
	first_fragment(t, 0);
}

static void
b_frag_tiny_icmp(struct tp *t)
{
	icmp_pkt(t, 0, 8, 0, 1, 100);
	first_fragment(t, 4);
}

static void
b_tcp_truncated(struct tp *t)
{
	uint8_t *l4 = ip_hdr(t, 0, SRC_A, DST_B, IPPROTO_TCP, NULL, 0, 19);

	l4[12] = 0x50;
	l4[13] = 0x10;
	fix(t);
}

static void
b_tcp_doff_small(struct tp *t)
{
	uint8_t *l4 = tcp_pkt(t, 0, 1, 2, 0x10, 0, 8);

	l4[12] = 0x40;
	fix(t);
}

static void
b_tcp_doff_past_segment(struct tp *t)
{
	uint8_t *l4 = tcp_pkt(t, 0, 1, 2, 0x10, 0, 0);

	l4[12] = 0x60;
	fix(t);
}

static void
tcp_flags(struct tp *t, uint8_t flags)
{
	tcp_pkt(t, 0, 1, 2, flags, 0, 0);
}

static void b_tcp_syn_fin(struct tp *t) { tcp_flags(t, 0x03); }
static void b_tcp_syn_rst(struct tp *t) { tcp_flags(t, 0x16); }
static void b_tcp_fin_no_ack(struct tp *t) { tcp_flags(t, 0x05); } /* FIN+RST */
static void b_tcp_psh_only(struct tp *t) { tcp_flags(t, 0x08); }
static void b_tcp_no_flags(struct tp *t) { tcp_flags(t, 0x00); }

static void
b_udp_truncated(struct tp *t)
{
	ip_hdr(t, 0, SRC_A, DST_B, IPPROTO_UDP, NULL, 0, 7);
	fix(t);
}

static void
b_udp_length_small(struct tp *t)
{
	uint8_t *l4 = udp_pkt(t, 0, 1, 2, 0);

	put16(l4 + 4, 7);
	fix(t);
}

static void
b_udp_length_mismatch(struct tp *t)
{
	uint8_t *l4 = udp_pkt(t, 0, 1, 2, 20);

	put16(l4 + 4, 27);
	fix(t);
}

static void
b_udp_length_beyond(struct tp *t)
{
	uint8_t *l4 = udp_pkt(t, 0, 1, 2, 20);

	put16(l4 + 4, 29);
	fix(t);
}

static void
b_udp_length_small_first_frag(struct tp *t)
{
	uint8_t *l4 = udp_pkt(t, 0, 1, 2, 100);

	put16(l4 + 4, 7);
	first_fragment(t, 16);
}

static void
b_icmp_truncated(struct tp *t)
{
	uint8_t *l4 = ip_hdr(t, 0, SRC_A, DST_B, IPPROTO_ICMP, NULL, 0, 7);

	l4[0] = 8;
	fix(t);
}

static void
b_inner_short_hdr(struct tp *t)
{
	struct tp o;

	udp_pkt(&o, 0, 1, 2, 20);
	icmp_err(t, 0, 3, 1, &o, 19);
}

static void
b_inner_short_l4(struct tp *t)
{
	struct tp o;

	udp_pkt(&o, 0, 1, 2, 20);
	icmp_err(t, 0, 3, 1, &o, 27);
}

static void
b_inner_short_datagram(struct tp *t)
{
	struct tp o;

	/* The quoted datagram itself had only 4 bytes after its header. */
	ip_hdr(&o, 0, SRC_A, DST_B, 47, NULL, 0, 4);
	fix(&o);
	memset(o.b + 24, 0x55, 8);
	icmp_err(t, 0, 3, 1, &o, 32);
}

static void
inner_broken(struct tp *t, void (*breakit)(uint8_t *ip))
{
	struct tp o;

	udp_pkt(&o, 0, 1, 2, 20);
	breakit(o.b);
	icmp_err(t, 0, 3, 1, &o, 48);
}

static void brk_version(uint8_t *ip) { ip[0] = 0x65; fix_ip(ip); }
static void brk_ihl(uint8_t *ip) { ip[0] = 0x44; }
static void brk_total(uint8_t *ip) { put16(ip + 2, 16); fix_ip(ip); }
static void brk_reserved(uint8_t *ip) { ip[6] |= 0x80; fix_ip(ip); }
static void brk_cksum(uint8_t *ip) { ip[10] ^= 0x10; }
static void brk_later_frag(uint8_t *ip) { put16(ip + 6, 0x2000 | 7); fix_ip(ip); }

static void b_inner_version(struct tp *t) { inner_broken(t, brk_version); }
static void b_inner_ihl(struct tp *t) { inner_broken(t, brk_ihl); }
static void b_inner_total(struct tp *t) { inner_broken(t, brk_total); }
static void b_inner_reserved(struct tp *t) { inner_broken(t, brk_reserved); }
static void b_inner_cksum(struct tp *t) { inner_broken(t, brk_cksum); }
static void b_inner_later_frag(struct tp *t) { inner_broken(t, brk_later_frag); }

static void
b_inner_bad_option(struct tp *t)
{
	static const uint8_t opt[4] = { 7, 0, 0, 0 };
	struct tp o;
	uint8_t *l4 = ip_hdr(&o, 0, SRC_A, DST_B, IPPROTO_UDP, opt, sizeof(opt), 8);

	put16(l4 + 4, 8);
	fix(&o);
	icmp_err(t, 0, 3, 1, &o, 32);
}

static void
nested(struct tp *t, uint8_t inner_type)
{
	struct tp o, u;

	udp_pkt(&u, 0, 1, 2, 20);
	icmp_err(&o, 0, inner_type, 0, &u, 28);
	icmp_err(t, 0, 3, 1, &o, 28);
}

static void b_nested_unreach(struct tp *t) { nested(t, 3); }
static void b_nested_quench(struct tp *t) { nested(t, 4); }
static void b_nested_redirect(struct tp *t) { nested(t, 5); }
static void b_nested_time(struct tp *t) { nested(t, 11); }
static void b_nested_param(struct tp *t) { nested(t, 12); }

static void
b_tcp_cksum(struct tp *t)
{
	uint8_t *l4 = tcp_pkt(t, 0, 1, 2, 0x10, 0, 9);

	l4[28] ^= 0x01; /* the odd trailing byte counts too */
}

static void
b_udp_cksum(struct tp *t)
{
	uint8_t *l4 = udp_pkt(t, 0, 1, 2, 9);

	l4[7] ^= 0x80;
}

static void
b_udp_cksum_pseudo(struct tp *t)
{
	/* The pseudo-header covers the addresses: a NAT that forgets it is caught. */
	udp_pkt(t, 0, 1, 2, 9);
	t->b[19] ^= 0x01;
	fix_ip(t->b);
}

static void
b_icmp_cksum(struct tp *t)
{
	uint8_t *l4 = icmp_pkt(t, 0, 8, 0, 1, 33);

	l4[40] ^= 0x01;
}

static void
b_icmp_err_cksum(struct tp *t)
{
	struct tp o;
	uint8_t *l4;

	udp_pkt(&o, 0, 1, 2, 20);
	l4 = icmp_err(t, 0, 3, 1, &o, 48);
	l4[50] ^= 0x20;
}

#define CASE(fn, reason, fl) { #fn, fn, AVES_PARSE_##reason, fl }

static struct reason_case reason_cases[] = {
	CASE(b_ip_truncated, IP_TRUNCATED, 0),
	CASE(b_ip_truncated_l3_beyond, IP_TRUNCATED, 0),
	CASE(b_ip_version, IP_VERSION, 0),
	CASE(b_ip_hdr_len_small, IP_HDR_LEN, 0),
	CASE(b_ip_hdr_len_past_buffer, IP_HDR_LEN, 0),
	CASE(b_ip_total_short, IP_TOTAL_LEN, 0),
	CASE(b_ip_total_past_buffer, IP_TOTAL_LEN, 0),
	CASE(b_ip_cksum, IP_CKSUM, 0),
	CASE(b_ip_option_len_1, IP_OPTION, 0),
	CASE(b_ip_option_len_past_header, IP_OPTION, 0),
	CASE(b_ip_option_len_one_past_header, IP_OPTION, 0),
	CASE(b_ip_option_no_len_byte, IP_OPTION, 0),
	CASE(b_ip_option_no_len_byte_at_end, IP_OPTION, 0),
	CASE(b_ip_lsrr, IP_SOURCE_ROUTE, 0),
	CASE(b_ip_ssrr, IP_SOURCE_ROUTE, 0),
	CASE(b_ip_reserved_flag, IP_RESERVED_FLAG, 0),
	CASE(b_ip_frag_oversize, IP_FRAG_OVERSIZE, 0),
	CASE(b_src_zero, IP_SRC_MARTIAN, 0),
	CASE(b_src_loop, IP_SRC_MARTIAN, 0),
	CASE(b_src_mcast, IP_SRC_MARTIAN, 0),
	CASE(b_src_class_e, IP_SRC_MARTIAN, 0),
	CASE(b_src_bcast, IP_SRC_MARTIAN, 0),
	CASE(b_dst_zero, IP_DST_MARTIAN, 0),
	CASE(b_dst_loop, IP_DST_MARTIAN, 0),
	CASE(b_tcp_overlap, IP_FRAG_TCP_OVERLAP, 0),
	CASE(b_frag_tiny_tcp, IP_FRAG_TINY, 0),
	CASE(b_frag_tiny_tcp_options, IP_FRAG_TINY, 0),
	CASE(b_frag_tiny_udp, IP_FRAG_TINY, 0),
	CASE(b_frag_tiny_icmp, IP_FRAG_TINY, 0),
	CASE(b_tcp_truncated, TCP_TRUNCATED, 0),
	CASE(b_tcp_doff_small, TCP_DATA_OFFSET, 0),
	CASE(b_tcp_doff_past_segment, TCP_DATA_OFFSET, 0),
	CASE(b_tcp_syn_fin, TCP_FLAGS, 0),
	CASE(b_tcp_syn_rst, TCP_FLAGS, 0),
	CASE(b_tcp_fin_no_ack, TCP_FLAGS, 0),
	CASE(b_tcp_psh_only, TCP_FLAGS, 0),
	CASE(b_tcp_no_flags, TCP_FLAGS, 0),
	CASE(b_udp_truncated, UDP_TRUNCATED, 0),
	CASE(b_udp_length_small, UDP_LENGTH, 0),
	CASE(b_udp_length_mismatch, UDP_LENGTH, 0),
	CASE(b_udp_length_beyond, UDP_LENGTH, 0),
	CASE(b_udp_length_small_first_frag, UDP_LENGTH, 0),
	CASE(b_icmp_truncated, ICMP_TRUNCATED, 0),
	CASE(b_inner_short_hdr, ICMP_INNER_SHORT, 0),
	CASE(b_inner_short_l4, ICMP_INNER_SHORT, 0),
	CASE(b_inner_short_datagram, ICMP_INNER_SHORT, 0),
	CASE(b_inner_version, ICMP_INNER_HDR, 0),
	CASE(b_inner_ihl, ICMP_INNER_HDR, 0),
	CASE(b_inner_total, ICMP_INNER_HDR, 0),
	CASE(b_inner_reserved, ICMP_INNER_HDR, 0),
	CASE(b_inner_bad_option, ICMP_INNER_HDR, 0),
	CASE(b_inner_cksum, ICMP_INNER_CKSUM, 0),
	CASE(b_inner_later_frag, ICMP_INNER_FRAG, 0),
	CASE(b_nested_unreach, ICMP_NESTED_ERROR, 0),
	CASE(b_nested_quench, ICMP_NESTED_ERROR, 0),
	CASE(b_nested_redirect, ICMP_NESTED_ERROR, 0),
	CASE(b_nested_time, ICMP_NESTED_ERROR, 0),
	CASE(b_nested_param, ICMP_NESTED_ERROR, 0),
	CASE(b_tcp_cksum, TCP_CKSUM, F_VERIFY),
	CASE(b_udp_cksum, UDP_CKSUM, F_VERIFY),
	CASE(b_udp_cksum_pseudo, UDP_CKSUM, F_VERIFY),
	CASE(b_icmp_cksum, ICMP_CKSUM, F_VERIFY),
	CASE(b_icmp_err_cksum, ICMP_CKSUM, F_VERIFY),
};

/* Each crafted packet yields its reason, from an exact-size copy of the frame. */
static void
test_reason(void **state)
{
	const struct reason_case *c = *state;
	struct tp t;
	struct aves_pkt pkt;
	uint8_t *copy;
	int ret;

	c->build(&t);
	copy = malloc(t.len ? t.len : 1);
	assert_non_null(copy);
	memcpy(copy, t.b, t.len);
	ret = aves_parse_ipv4(copy, (uint16_t)t.len, (uint16_t)t.l3, c->flags, &pkt);
	free(copy);
	if (ret != c->expect)
		fail_msg("%s: got %s, want %s", c->name, aves_parse_reason_name(ret),
			 aves_parse_reason_name(c->expect));
}

static void
test_every_reason_has_a_case(void **state)
{
	int reached[AVES_PARSE_REASON_MAX] = { 0 };
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++)
		reached[reason_cases[i].expect]++;
	for (r = 1; r < AVES_PARSE_REASON_MAX; r++)
		if (!reached[r])
			fail_msg("no crafted packet for %s", aves_parse_reason_name(r));
}

/* ---- truncation ---- */

static void
expect_all_truncations_fail(const struct tp *t, unsigned int flags)
{
	struct aves_pkt pkt;
	size_t n;

	assert_int_equal(aves_parse_ipv4(t->b, (uint16_t)t->len, (uint16_t)t->l3, flags, &pkt),
			 AVES_PARSE_OK);
	for (n = 0; n < t->len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		int ret;

		assert_non_null(copy);
		memcpy(copy, t->b, n);
		ret = aves_parse_ipv4(copy, (uint16_t)n, (uint16_t)t->l3, flags, &pkt);
		free(copy);
		if (ret == AVES_PARSE_OK)
			fail_msg("accepted truncated to %zu of %zu bytes", n, t->len);
	}
}

static void
test_truncation_every_length(void **state)
{
	static const uint8_t opts[8] = { 1, 7, 7, 4, 0, 0, 0, 0 };
	struct tp t, o;
	uint8_t *l4;
	size_t l3;

	(void)state;
	for (l3 = 0; l3 <= 14; l3 += 14) {
		tcp_pkt(&t, l3, 1, 2, 0x12, 12, 31);
		expect_all_truncations_fail(&t, F_VERIFY);
		udp_pkt(&t, l3, 1, 2, 17);
		expect_all_truncations_fail(&t, F_VERIFY);
		icmp_pkt(&t, l3, 8, 0, 9, 21);
		expect_all_truncations_fail(&t, F_VERIFY);
		ip_hdr(&t, l3, SRC_A, DST_B, 47, opts, sizeof(opts), 13);
		fix(&t);
		expect_all_truncations_fail(&t, F_VERIFY);
		tcp_pkt(&o, 0, 1, 2, 0x10, 4, 64);
		icmp_err(&t, l3, 3, 4, &o, 60);
		expect_all_truncations_fail(&t, F_VERIFY);
		expect_all_truncations_fail(&t, 0);
		l4 = udp_pkt(&t, l3, 1, 2, 40);
		(void)l4;
		put16(t.b + l3 + 2, 20 + 24);
		put16(t.b + l3 + 6, 0x2000);
		fix_ip(t.b + l3);
		t.len = l3 + 44;
		expect_all_truncations_fail(&t, F_VERIFY);
		tcp_pkt(&t, l3, 1, 2, 0x10, 0, 40);
		put16(t.b + l3 + 6, 5);
		fix_ip(t.b + l3);
		expect_all_truncations_fail(&t, F_VERIFY);
	}
}

/* Quotes cut at every length: rejected below IP header + 8 bytes, accepted from there on. */
static void
test_icmp_quote_every_length(void **state)
{
	static const uint8_t opts[4] = { 1, 1, 1, 0 };
	struct tp o, t;
	struct aves_pkt pkt;
	size_t q, ihl = 24;
	uint8_t *l4;

	(void)state;
	l4 = ip_hdr(&o, 0, SRC_A, DST_B, IPPROTO_TCP, opts, sizeof(opts), 20 + 60);
	put16(l4, 4000);
	put16(l4 + 2, 5000);
	l4[12] = 0x50;
	l4[13] = 0x18;
	fix(&o);
	for (q = 0; q <= o.len; q++) {
		uint8_t *copy;
		int ret;

		icmp_err(&t, 14, 3, 3, &o, q);
		copy = malloc(t.len);
		assert_non_null(copy);
		memcpy(copy, t.b, t.len);
		ret = aves_parse_ipv4(copy, (uint16_t)t.len, 14, F_VERIFY, &pkt);
		free(copy);
		if (q < ihl + 8) {
			assert_int_equal(ret, AVES_PARSE_ICMP_INNER_SHORT);
			continue;
		}
		assert_int_equal(ret, AVES_PARSE_OK);
		assert_key(&pkt.inner.key, SRC_A, DST_B, 4000, 5000, IPPROTO_TCP);
		assert_int_equal(pkt.inner.l3_off, 42);
		assert_int_equal(pkt.inner.l4_off, 42 + ihl);
		assert_int_equal(pkt.inner.l4_len, q - ihl);
	}
}

int
main(void)
{
	struct CMUnitTest tests[64 + sizeof(reason_cases) / sizeof(reason_cases[0])];
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_tcp_syn),
		cmocka_unit_test(test_tcp_data_with_padding),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_zero_cksum_not_verified),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_queries_expose_ident),
		cmocka_unit_test(test_icmp_other_and_unknown_code),
		cmocka_unit_test(test_icmp_error_quoting_udp),
		cmocka_unit_test(test_icmp_error_quoting_tcp_and_echo),
		cmocka_unit_test(test_icmp_error_quoting_other_and_first_fragment),
		cmocka_unit_test(test_other_protocol),
		cmocka_unit_test(test_ip_options_accepted),
		cmocka_unit_test(test_first_fragment),
		cmocka_unit_test(test_later_fragment),
		cmocka_unit_test(test_l4_cksum_only_with_flag),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_every_reason_has_a_case),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_icmp_quote_every_length),
	};
	size_t n = 0, i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++) {
		struct CMUnitTest c = cmocka_unit_test_prestate(test_reason,
							       &reason_cases[i]);

		c.name = reason_cases[i].name;
		tests[n++] = c;
	}
	return _cmocka_run_group_tests("flow_parse", tests, n, NULL, NULL);
}
