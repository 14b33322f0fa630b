/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors and echo replies: two byte-exact known answers (checked by hand and against
 * scapy 2.5), properties of many random errors checked with the test's own RFC 1071 code and
 * the parser, every refusal, and echo replies compared with a reply built from scratch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "aves_flow.h"
#include "flow_ref.h"
#include "aves_icmp.h"

#define IP4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define HOST_A IP4(198, 51, 100, 7)
#define HOST_B IP4(203, 0, 113, 9)
#define US IP4(192, 0, 2, 1)
#define F_VERIFY AVES_PARSE_F_VERIFY_L4_CKSUM
#define BUF 2048

/* ---- reference (RFC 1071, byte-wise) and packet construction ---- */

static void
fix(uint8_t *ip)
{
	size_t ihl = ihl_of(ip), l4len = get16(ip + 2) - ihl;
	uint8_t *l4 = ip + ihl, pseudo[12];
	unsigned int v;

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	put16(pseudo + 10, (unsigned int)l4len);
	if (ip[9] == IPPROTO_TCP) {
		put16(l4 + 16, 0);
		put16(l4 + 16, ~ref_sum(l4, l4len, ref_sum(pseudo, 12, 0)) & 0xffff);
	} else if (ip[9] == IPPROTO_UDP) {
		put16(l4 + 6, 0);
		v = ~ref_sum(l4, l4len, ref_sum(pseudo, 12, 0)) & 0xffff;
		put16(l4 + 6, v ? v : 0xffff);
	} else if (ip[9] == IPPROTO_ICMP) {
		put16(l4 + 2, 0);
		put16(l4 + 2, ~ref_sum(l4, l4len, 0) & 0xffff);
	}
	put16(ip + 10, 0);
	put16(ip + 10, ~ref_sum(ip, ihl, 0) & 0xffff);
}

static bool
ip_cksum_ok(const uint8_t *ip)
{
	return ref_sum(ip, ihl_of(ip), 0) == 0xffff;
}

/* IPv4 header with @p optlen bytes of NOP options and @p l4len bytes of L4 (pattern-filled). */
static uint8_t *
ip_hdr(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto, size_t optlen, size_t l4len)
{
	size_t hlen = 20 + optlen, i;

	memset(ip, 0, hlen);
	ip[0] = (uint8_t)(0x40 | hlen / 4);
	put16(ip + 2, (unsigned int)(hlen + l4len));
	put16(ip + 4, 0xabcd);
	ip[8] = 57;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	memset(ip + 20, 1, optlen);
	for (i = 0; i < l4len; i++)
		ip[hlen + i] = (uint8_t)i;
	return ip + hlen;
}

static size_t
udp(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, size_t paylen)
{
	uint8_t *l4 = ip_hdr(ip, src, dst, IPPROTO_UDP, 0, 8 + paylen);

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (unsigned int)(8 + paylen));
	fix(ip);
	return 28 + paylen;
}

static size_t
echo(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t type, uint16_t ident, size_t optlen,
     size_t paylen)
{
	uint8_t *l4 = ip_hdr(ip, src, dst, IPPROTO_ICMP, optlen, 8 + paylen);

	l4[0] = type;
	l4[1] = 0;
	put16(l4 + 4, ident);
	put16(l4 + 6, 1);
	fix(ip);
	return 20 + optlen + 8 + paylen;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static unsigned int
below(unsigned int n)
{
	return rnd() % n;
}

static uint32_t
rnd_addr(void)
{
	uint32_t first;

	do
		first = 1 + below(223);
	while (first == 127);
	return htonl(first << 24 | (rnd() & 0xffffff));
}

/* A valid TCP, UDP, ICMP echo or other-protocol datagram of up to 1500 bytes. */
static size_t
rnd_datagram(uint8_t *ip)
{
	size_t optlen = below(3) == 0 ? 4 * below(11) : 0, l4len = 8 + below(1473 - 20 - optlen);
	uint8_t proto = (uint8_t[]){ IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47 }[below(4)];
	uint8_t *l4;
	size_t i;

	if (proto == IPPROTO_TCP && l4len < 20)
		l4len = 20;
	l4 = ip_hdr(ip, rnd_addr(), rnd_addr(), proto, optlen, l4len);
	for (i = 0; i < l4len; i++)
		l4[i] = (uint8_t)rnd();
	if (below(2))
		ip[6] = 0x40;
	if (proto == IPPROTO_TCP) {
		l4[12] = 0x50;
		l4[13] = 0x10;
	} else if (proto == IPPROTO_UDP) {
		put16(l4 + 4, (unsigned int)l4len);
	} else if (proto == IPPROTO_ICMP) {
		l4[0] = below(2) ? 8 : 0;
	}
	fix(ip);
	return 20 + optlen + l4len;
}

/* ---- errors: known answers ---- */

/* Port unreachable about a 32-byte UDP packet; every checksum below computed by hand:
 *   original header: ~fold(4500+0020+abcd+0000+0111+c633+6407+cb00+7109) = a7bb
 *   original UDP:    ~fold(pseudo c633+6407+cb00+7109+0011+000c + 9c40+829a+000c+4156+4553) = f40c
 *   reply header:    ~fold(45c0+003c+0042+0000+4001+c000+0201+c633+6407) = 8d83
 *   ICMP:            ~fold(0303 + (quoted header: ffff) + 9c40+829a+000c+f40c+4156+4553) = 635f
 * and the whole reply is byte for byte what scapy 2.5 builds for the same fields. */
static const uint8_t port_unreach[60] = {
	0x45, 0xc0, 0x00, 0x3c, 0x00, 0x42, 0x00, 0x00, 0x40, 0x01, 0x8d, 0x83,
	0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07,
	0x03, 0x03, 0x63, 0x5f, 0x00, 0x00, 0x00, 0x00,
	0x45, 0x00, 0x00, 0x20, 0xab, 0xcd, 0x00, 0x00, 0x01, 0x11, 0xa7, 0xbb,
	0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09,
	0x9c, 0x40, 0x82, 0x9a, 0x00, 0x0c, 0xf4, 0x0c, 0x41, 0x56, 0x45, 0x53,
};

static void
test_port_unreachable_known_bytes(void **state)
{
	uint8_t orig[32], out[AVES_ICMP_ERROR_MAX_LEN];
	uint8_t *l4 = ip_hdr(orig, HOST_A, HOST_B, IPPROTO_UDP, 0, 12);

	(void)state;
	orig[8] = 1;
	put16(l4, 40000);
	put16(l4 + 2, 33434);
	put16(l4 + 4, 12);
	memcpy(l4 + 8, "AVES", 4);
	fix(orig);
	assert_memory_equal(orig, port_unreach + 28, 32);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, sizeof(orig), US, 3, 3, 0,
					       0x0042), 60);
	assert_memory_equal(out, port_unreach, 60);
	assert_int_equal(out[60], 0xee); /* nothing written past the reply */
}

/* Fragmentation needed about a 1500-byte DF packet: quoted up to 576 bytes in all (scapy). */
static void
test_frag_needed_known_header(void **state)
{
	static const uint8_t want_hdr[28] = {
		0x45, 0xc0, 0x02, 0x40, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x79, 0x8d,
		0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07,
		0x03, 0x04, 0x5c, 0x51, 0x00, 0x00, 0x05, 0x9c,
	};
	uint8_t orig[1500], out[AVES_ICMP_ERROR_MAX_LEN];
	uint8_t *l4 = ip_hdr(orig, HOST_A, HOST_B, IPPROTO_UDP, 0, 1480);
	size_t i;

	(void)state;
	orig[6] = 0x40;
	put16(l4, 40000);
	put16(l4 + 2, 4797);
	put16(l4 + 4, 1480);
	for (i = 0; i < 1472; i++)
		l4[8 + i] = (uint8_t)i;
	fix(orig);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, sizeof(orig), US, 3, 4, 1436,
					       0x1234), 576);
	assert_memory_equal(out, want_hdr, 28);
	assert_memory_equal(out + 28, orig, 548);
}

/* ---- errors: properties ---- */

static void
check_error(const uint8_t *out, int len, const uint8_t *orig, size_t quote, uint8_t type,
	    uint8_t code, uint16_t mtu, uint16_t id)
{
	struct aves_pkt pkt, opkt;

	assert_int_equal(len, 28 + quote);
	assert_true(len <= AVES_ICMP_ERROR_MAX_LEN);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(out[1], 0xc0);
	assert_int_equal(get16(out + 2), len);
	assert_int_equal(get16(out + 4), id);
	assert_int_equal(get16(out + 6), 0); /* DF clear, not a fragment */
	assert_int_equal(out[8], 64);
	assert_int_equal(out[9], IPPROTO_ICMP);
	assert_true(ip_cksum_ok(out));
	assert_memory_equal(out + 12, (uint32_t[]){ US }, 4);
	assert_memory_equal(out + 16, orig + 12, 4);
	assert_int_equal(out[20], type);
	assert_int_equal(out[21], code);
	assert_int_equal(get16(out + 24), 0);
	assert_int_equal(get16(out + 26), type == 3 && code == 4 ? mtu : 0);
	assert_int_equal(ref_sum(out + 20, (size_t)len - 20, 0), 0xffff);
	assert_memory_equal(out + 28, orig, quote);

	/* What we send is what we would accept, and it names the original's flow. */
	assert_int_equal(aves_parse_ipv4(out, (uint16_t)len, 0, F_VERIFY, &pkt), AVES_PARSE_OK);
	assert_true(pkt.flags & AVES_PKT_F_ICMP_ERROR);
	assert_int_equal(aves_parse_ipv4(orig, get16(orig + 2), 0, F_VERIFY, &opkt),
			 AVES_PARSE_OK);
	assert_memory_equal(&pkt.inner.key, &opkt.key, sizeof(opkt.key));
}

static void
test_random_errors(void **state)
{
	static const uint8_t codes3[] = { 0, 1, 3, 4, 13 };
	static uint8_t orig[BUF], out[BUF];
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 2000; iter++) {
		size_t len = rnd_datagram(orig), quote = len < 548 ? len : 548;
		uint8_t type = below(3) ? 3 : 11;
		uint8_t code = type == 3 ? codes3[below(sizeof(codes3))] : (uint8_t)below(2);
		uint16_t mtu = (uint16_t)(68 + below(1500)), id = (uint16_t)rnd();
		size_t padding = below(2) ? below(40) : 0;
		uint8_t *exact = malloc(len + padding), *outx;
		int ret;

		/* The original in an exact-size buffer, with Ethernet padding at times. */
		assert_non_null(exact);
		memcpy(exact, orig, len);
		memset(exact + len, 0xaa, padding);
		outx = malloc(28 + quote);
		assert_non_null(outx);
		ret = aves_icmp_error_build(outx, 28 + quote, exact, len + padding, US, type, code,
					    mtu, id);
		check_error(outx, ret, orig, quote, type, code, mtu, id);
		assert_int_equal(aves_icmp_error_build(out, 27 + quote, exact, len + padding, US,
						       type, code, mtu, id),
				 -AVES_ICMP_REFUSE_NO_ROOM);
		free(outx);
		free(exact);
	}
}

static void
test_quote_length(void **state)
{
	uint8_t orig[BUF], out[BUF];
	size_t len;

	(void)state;
	/* Whole datagram when it fits; never bytes past its total length. */
	len = udp(orig, HOST_A, HOST_B, 1, 2, 100);
	memset(orig + len, 0x99, 30);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len + 30, US, 3, 1, 0, 7),
			 28 + len);
	/* 548 bytes of quote is the most that fits in 576. */
	len = udp(orig, HOST_A, HOST_B, 1, 2, 548 - 28);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 11, 0, 0, 7), 576);
	len = udp(orig, HOST_A, HOST_B, 1, 2, 549 - 28);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 11, 0, 0, 7), 576);
	assert_memory_equal(out + 28, orig, 548);
	/* A datagram cut short by the caller's buffer is quoted as far as it goes. */
	len = udp(orig, HOST_A, HOST_B, 1, 2, 400);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, 100, US, 3, 3, 0, 7),
			 128);
	assert_memory_equal(out + 28, orig, 100);
	/* What the RFC requires at least: the header and 8 bytes. */
	len = udp(orig, HOST_A, HOST_B, 1, 2, 0);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 3, 3, 0, 7), 56);
}

static void
test_answers_queries_and_first_fragments(void **state)
{
	uint8_t orig[BUF], out[BUF];
	size_t len;

	(void)state;
	len = echo(orig, HOST_A, HOST_B, 8, 77, 0, 10);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 11, 0, 0, 1),
			 28 + len);
	len = echo(orig, HOST_A, HOST_B, 9, 0, 0, 10); /* an ICMP that is not an error */
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 3, 1, 0, 1),
			 28 + len);
	len = udp(orig, HOST_A, HOST_B, 1, 2, 100);
	orig[6] = 0x20; /* MF, offset 0 */
	fix(orig);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 3, 4, 576, 1),
			 28 + len);
}

/* ---- errors: refusals ---- */

static void
expect_refusal(const uint8_t *orig, size_t len, uint8_t type, uint8_t code, uint16_t mtu,
	       int reason)
{
	uint8_t out[BUF], untouched[BUF];

	memset(out, 0x3c, sizeof(out));
	memset(untouched, 0x3c, sizeof(untouched));
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, type, code, mtu, 1),
			 -reason);
	assert_memory_equal(out, untouched, sizeof(out));
}

static void
test_refuse_bad_arg(void **state)
{
	uint8_t orig[BUF], out[BUF];
	size_t len = udp(orig, HOST_A, HOST_B, 1, 2, 10);

	(void)state;
	assert_int_equal(aves_icmp_error_build(NULL, 576, orig, len, US, 3, 1, 0, 1),
			 -AVES_ICMP_REFUSE_BAD_ARG);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), NULL, len, US, 3, 1, 0, 1),
			 -AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 5, 0, 0, AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 0, 0, 0, AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 12, 0, 0, AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 3, 16, 0, AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 11, 2, 0, AVES_ICMP_REFUSE_BAD_ARG);
	expect_refusal(orig, len, 3, 4, 67, AVES_ICMP_REFUSE_BAD_ARG);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 3, 4, 68, 1),
			 28 + len);
}

static void
test_refuse_malformed(void **state)
{
	uint8_t orig[BUF];
	size_t len = udp(orig, HOST_A, HOST_B, 1, 2, 10);

	(void)state;
	expect_refusal(orig, 19, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
	orig[0] = 0x65;
	expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
	orig[0] = 0x44;
	expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
	orig[0] = 0x46;
	expect_refusal(orig, 20, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
	orig[0] = 0x45;
	put16(orig + 2, 19);
	expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
	/* ICMP without even a type byte: it might be an error. */
	len = echo(orig, HOST_A, HOST_B, 8, 1, 0, 0);
	put16(orig + 2, 20);
	expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_MALFORMED);
}

static void
test_refuse_later_fragment(void **state)
{
	uint8_t orig[BUF];
	size_t len = udp(orig, HOST_A, HOST_B, 1, 2, 10);

	(void)state;
	put16(orig + 6, 1);
	expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_LATER_FRAG);
	put16(orig + 6, 0x2000 | 0x1fff);
	expect_refusal(orig, len, 11, 1, 0, AVES_ICMP_REFUSE_ORIG_LATER_FRAG);
}

static void
test_refuse_icmp_error(void **state)
{
	static const uint8_t errors[] = { 3, 4, 5, 11, 12 };
	uint8_t orig[BUF];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(errors); i++) {
		len = echo(orig, HOST_A, HOST_B, errors[i], 0, 8, 28);
		expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_ICMP_ERROR);
	}
}

static void
test_refuse_source(void **state)
{
	const uint32_t bad[] = { IP4(0, 0, 0, 0), IP4(0, 1, 2, 3), IP4(127, 0, 0, 1),
				 IP4(224, 0, 0, 5), IP4(239, 1, 1, 1), IP4(240, 0, 0, 1),
				 IP4(255, 255, 255, 255) };
	uint8_t orig[BUF];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = udp(orig, bad[i], HOST_B, 1, 2, 10);
		expect_refusal(orig, len, 3, 1, 0, AVES_ICMP_REFUSE_ORIG_SRC);
	}
}

static void
test_refuse_destination(void **state)
{
	const uint32_t bad[] = { IP4(224, 0, 0, 1), IP4(239, 255, 255, 250),
				 IP4(255, 255, 255, 255) };
	uint8_t orig[BUF], out[BUF];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = udp(orig, HOST_A, bad[i], 1, 2, 10);
		expect_refusal(orig, len, 3, 3, 0, AVES_ICMP_REFUSE_ORIG_DST);
	}
	/* Only the caller knows a subnet's directed broadcast; 240/4 is not a group. */
	len = udp(orig, HOST_A, IP4(240, 0, 0, 1), 1, 2, 10);
	assert_int_equal(aves_icmp_error_build(out, sizeof(out), orig, len, US, 3, 3, 0, 1),
			 28 + len);
}

static void
test_refuse_no_room(void **state)
{
	uint8_t orig[BUF], out[BUF];
	size_t len = udp(orig, HOST_A, HOST_B, 1, 2, 10);

	(void)state;
	assert_int_equal(aves_icmp_error_build(out, 0, orig, len, US, 3, 1, 0, 1),
			 -AVES_ICMP_REFUSE_NO_ROOM);
	assert_int_equal(aves_icmp_error_build(out, 28 + len - 1, orig, len, US, 3, 1, 0, 1),
			 -AVES_ICMP_REFUSE_NO_ROOM);
	assert_int_equal(aves_icmp_error_build(out, 28 + len, orig, len, US, 3, 1, 0, 1),
			 28 + len);
}

static void
test_refusal_names(void **state)
{
	int r, s;

	(void)state;
	assert_string_equal(aves_icmp_refusal_name(0), "none");
	assert_string_equal(aves_icmp_refusal_name(-AVES_ICMP_REFUSE_ORIG_SRC), "orig_src");
	assert_string_equal(aves_icmp_refusal_name(AVES_ICMP_REFUSE_NO_ROOM), "no_room");
	assert_string_equal(aves_icmp_refusal_name(AVES_ICMP_REFUSE_MAX), "unknown");
	for (r = 1; r < AVES_ICMP_REFUSE_MAX; r++)
		for (s = 0; s < r; s++)
			assert_string_not_equal(aves_icmp_refusal_name(r),
						aves_icmp_refusal_name(s));
}

/* ---- echo replies ---- */

/* What the reply must be, built from scratch: swapped, TTL 64, type 0 code 0, all recomputed. */
static void
ref_echo_reply(uint8_t *ip)
{
	uint8_t tmp[4];

	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = 64;
	ip[ihl_of(ip)] = 0;
	ip[ihl_of(ip) + 1] = 0;
	fix(ip);
}

static void
expect_echo_reply(uint8_t *frame, size_t len, size_t l3)
{
	uint8_t *want = malloc(len);
	struct aves_pkt pkt, again;
	uint32_t src, dst;

	assert_non_null(want);
	memcpy(want, frame, len);
	ref_echo_reply(want + l3);
	assert_int_equal(aves_parse_ipv4(frame, (uint16_t)len, (uint16_t)l3, F_VERIFY, &pkt),
			 AVES_PARSE_OK);
	src = pkt.key.src;
	dst = pkt.key.dst;
	assert_int_equal(aves_icmp_echo_reply(frame, &pkt), 0);
	assert_memory_equal(frame, want, len);
	assert_int_equal(pkt.key.src, dst);
	assert_int_equal(pkt.key.dst, src);
	assert_int_equal(pkt.icmp_type, 0);
	assert_int_equal(aves_parse_ipv4(frame, (uint16_t)len, (uint16_t)l3, F_VERIFY, &again),
			 AVES_PARSE_OK);
	assert_memory_equal(&again.key, &pkt.key, sizeof(pkt.key));
	free(want);
}

static void
test_echo_reply_known(void **state)
{
	uint8_t frame[BUF];
	size_t len;

	(void)state;
	len = echo(frame, HOST_A, US, 8, 0x4d2, 0, 4);
	frame[8] = 1; /* the request's last hop: the reply still gets a full TTL */
	memcpy(frame + 28, "ping", 4);
	fix(frame);
	expect_echo_reply(frame, len, 0);
	assert_int_equal(frame[8], 64);
	assert_int_equal(frame[20], 0);
	assert_int_equal(get16(frame + 24), 0x4d2);
	assert_memory_equal(frame + 12, (uint32_t[]){ US }, 4);
	assert_memory_equal(frame + 16, (uint32_t[]){ HOST_A }, 4);
}

static void
test_echo_reply_random(void **state)
{
	uint8_t frame[BUF];
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 2000; iter++) {
		size_t l3 = below(2) ? 14 : 0, optlen = below(2) ? 4 * below(11) : 0;
		size_t len = l3 + echo(frame + l3, rnd_addr(), rnd_addr(), 8, (uint16_t)rnd(),
				       optlen, below(1400));
		size_t i;

		memset(frame, 0x11, l3);
		for (i = l3 + 20 + optlen + 8; i < len; i++)
			frame[i] = (uint8_t)rnd();
		frame[l3 + 20 + optlen + 1] = (uint8_t)(below(2) ? rnd() : 0); /* any code */
		frame[l3 + 8] = (uint8_t)(1 + below(255));
		fix(frame + l3);
		expect_echo_reply(frame, len, l3);
	}
}

/* A request with identifier, sequence and data all 0 has an all-zero reply: checksum 0xffff. */
static void
test_echo_reply_all_zero(void **state)
{
	uint8_t frame[BUF];
	size_t len = echo(frame, HOST_A, US, 8, 0, 0, 0);

	(void)state;
	put16(frame + 26, 0);
	fix(frame);
	expect_echo_reply(frame, len, 0);
	assert_int_equal(get16(frame + 22), 0xffff);
}

static void
expect_echo_refused(uint8_t *frame, size_t len, int err)
{
	uint8_t copy[BUF];
	struct aves_pkt pkt;

	memcpy(copy, frame, len);
	assert_int_equal(aves_parse_ipv4(frame, (uint16_t)len, 0, 0, &pkt), AVES_PARSE_OK);
	assert_int_equal(aves_icmp_echo_reply(frame, &pkt), err);
	assert_memory_equal(frame, copy, len);
}

static void
test_echo_reply_refusals(void **state)
{
	uint8_t frame[BUF];
	size_t len;

	(void)state;
	len = echo(frame, HOST_A, US, 0, 1, 0, 8); /* already a reply */
	expect_echo_refused(frame, len, -EINVAL);
	len = echo(frame, HOST_A, US, 13, 1, 0, 12); /* timestamp request */
	expect_echo_refused(frame, len, -EINVAL);
	len = udp(frame, HOST_A, US, 7, 7, 8);
	expect_echo_refused(frame, len, -EINVAL);
	len = echo(frame, HOST_A, US, 8, 1, 0, 64);
	frame[6] = 0x20; /* first fragment of a larger request */
	fix(frame);
	expect_echo_refused(frame, len, -EINVAL);
	put16(frame + 6, 8); /* a later fragment */
	fix(frame);
	expect_echo_refused(frame, len, -EINVAL);
	len = echo(frame, HOST_A, IP4(224, 0, 0, 1), 8, 1, 0, 8);
	expect_echo_refused(frame, len, -EADDRNOTAVAIL);
	len = echo(frame, HOST_A, IP4(255, 255, 255, 255), 8, 1, 0, 8);
	expect_echo_refused(frame, len, -EADDRNOTAVAIL);
	len = echo(frame, HOST_A, IP4(240, 0, 0, 1), 8, 1, 0, 8); /* would answer from class E */
	expect_echo_refused(frame, len, -EADDRNOTAVAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_unreachable_known_bytes),
		cmocka_unit_test(test_frag_needed_known_header),
		cmocka_unit_test(test_random_errors),
		cmocka_unit_test(test_quote_length),
		cmocka_unit_test(test_answers_queries_and_first_fragments),
		cmocka_unit_test(test_refuse_bad_arg),
		cmocka_unit_test(test_refuse_malformed),
		cmocka_unit_test(test_refuse_later_fragment),
		cmocka_unit_test(test_refuse_icmp_error),
		cmocka_unit_test(test_refuse_source),
		cmocka_unit_test(test_refuse_destination),
		cmocka_unit_test(test_refuse_no_room),
		cmocka_unit_test(test_refusal_names),
		cmocka_unit_test(test_echo_reply_known),
		cmocka_unit_test(test_echo_reply_random),
		cmocka_unit_test(test_echo_reply_all_zero),
		cmocka_unit_test(test_echo_reply_refusals),
	};

	return cmocka_run_group_tests_name("flow_icmp", tests, NULL, NULL);
}
