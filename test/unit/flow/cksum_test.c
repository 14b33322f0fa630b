/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 1624 primitives and the in-place rewrites, checked against a full recomputation written
 * here from scratch (RFC 1071, byte-wise, big-endian): for each random packet and each kind of
 * rewrite, the same change is made to a copy by the reference code, every checksum recomputed
 * over the whole datagram, and the two results compared byte for byte. Fragments are compared
 * with fragments of the rewritten whole datagram; ICMP errors with errors quoting the rewritten
 * original.
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

#include "aves_cksum.h"
#include "aves_flow.h"
#include "flow_ref.h"

#define IP4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define ROUTER IP4(192, 0, 2, 1)
#define F_VERIFY AVES_PARSE_F_VERIFY_L4_CKSUM
#define RANDOM_PACKETS 1500
#define BUF 2048

/* ---- reference ---- */

static void
fix_ip(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, ~ref_sum(ip, ihl_of(ip), 0) & 0xffff);
}

static bool
is_query(uint8_t type)
{
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static uint32_t
l4_sum(const uint8_t *ip, size_t l4len)
{
	uint8_t pseudo[12];
	uint32_t s = 0;

	if (ip[9] != IPPROTO_ICMP) {
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = ip[9];
		put16(pseudo + 10, (unsigned int)l4len);
		s = ref_sum(pseudo, 12, 0);
	}
	return ref_sum(ip + ihl_of(ip), l4len, s);
}

static size_t
cksum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

/*
 * Recompute the L4 checksum of a whole datagram whose L4 part is @p l4len bytes (the IP total
 * length may describe a fragment of it). A UDP checksum of 0 means none and stays 0.
 */
static void
fix_l4(uint8_t *ip, size_t l4len)
{
	uint8_t *ck = ip + ihl_of(ip) + cksum_off(ip[9]);
	unsigned int v;

	if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP && ip[9] != IPPROTO_ICMP)
		return;
	if (ip[9] == IPPROTO_UDP && get16(ck) == 0)
		return;
	put16(ck, 0);
	v = ~l4_sum(ip, l4len) & 0xffff;
	put16(ck, ip[9] == IPPROTO_UDP && v == 0 ? 0xffff : v);
}

/* Choose the word at L4 offset @p off so that the L4 sum is -0: a computed checksum of 0. */
static void
force_l4_sum_ffff(uint8_t *ip, size_t l4len, size_t off)
{
	uint8_t *l4 = ip + ihl_of(ip);

	put16(l4 + off, 0);
	put16(l4 + cksum_off(ip[9]), 0);
	put16(l4 + off, 0xffff - l4_sum(ip, l4len));
	put16(l4 + cksum_off(ip[9]), 1); /* not 0, which for UDP would mean "none" */
}

/* ---- random packets ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

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

/* Ports and identifiers: biased towards the edges where carries and -0 live. */
static uint16_t
rnd_port(void)
{
	static const uint16_t edge[] = { 0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff };

	return below(4) == 0 ? edge[below(6)] : (uint16_t)rnd();
}

enum kind { K_TCP, K_UDP, K_UDP_NO_CKSUM, K_ICMP, K_OTHER, K_COUNT };

/* A whole datagram with valid checksums; L4 at least @p min_l4 bytes. Returns its length. */
static size_t
rand_datagram(uint8_t *ip, enum kind k, size_t min_l4)
{
	static const uint8_t query_types[] = { 0, 8, 13, 14, 15, 16, 17, 18 };
	size_t hlen = 20 + (below(3) == 0 ? 4 * below(11) : 0);
	uint8_t *l4 = ip + hlen;
	size_t pay = below(301), l4len = 0, hdr = 8, i;
	uint32_t a;

	memset(ip, 0, hlen);
	ip[0] = (uint8_t)(0x40 | hlen / 4);
	ip[1] = (uint8_t)rnd();
	put16(ip + 4, rnd());
	ip[6] = below(2) ? 0x40 : 0;
	ip[8] = (uint8_t)(1 + below(255));
	a = rnd_addr();
	memcpy(ip + 12, &a, 4);
	a = rnd_addr();
	memcpy(ip + 16, &a, 4);
	memset(ip + 20, 1, hlen - 20); /* NOP options */
	switch (k) {
	case K_TCP:
		hdr = 20 + 4 * below(11);
		ip[9] = IPPROTO_TCP;
		break;
	case K_UDP:
	case K_UDP_NO_CKSUM:
		ip[9] = IPPROTO_UDP;
		break;
	case K_ICMP:
		ip[9] = IPPROTO_ICMP;
		break;
	default:
		ip[9] = 47;
		break;
	}
	l4len = hdr + pay;
	if (l4len < min_l4)
		l4len = min_l4 + below(8);
	for (i = 0; i < l4len; i++)
		l4[i] = (uint8_t)rnd();
	put16(ip + 2, (unsigned int)(hlen + l4len));
	switch (k) {
	case K_TCP:
		l4[12] = (uint8_t)((hdr / 4) << 4);
		l4[13] = 0x10 | (rnd() & 0x08);
		memset(l4 + 20, 1, hdr - 20);
		put16(l4 + 16, 1);
		break;
	case K_UDP:
	case K_UDP_NO_CKSUM:
		put16(l4 + 4, (unsigned int)l4len);
		put16(l4 + 6, k == K_UDP);
		break;
	case K_ICMP:
		l4[0] = query_types[below(sizeof(query_types))];
		l4[1] = 0;
		break;
	default:
		break;
	}
	fix_l4(ip, l4len);
	fix_ip(ip);
	return hlen + l4len;
}

/* ---- the rewrites, by reference and by the library ---- */

enum side { SRC, DST };

struct change {
	enum side side;
	unsigned int what;
	uint32_t addr;
	uint16_t port; /* host order */
};

static struct change
rnd_change(enum side side, unsigned int what)
{
	struct change c = { side, what, rnd_addr(), rnd_port() };

	return c;
}

/* Apply @p c to a whole datagram and recompute every checksum from scratch. */
static void
ref_apply(uint8_t *ip, size_t l4len, const struct change *c)
{
	uint8_t *l4 = ip + ihl_of(ip);

	if (c->what & AVES_RW_ADDR)
		memcpy(ip + (c->side == SRC ? 12 : 16), &c->addr, 4);
	if (c->what & AVES_RW_PORT) {
		if (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP)
			put16(l4 + (c->side == SRC ? 0 : 2), c->port);
		else if (ip[9] == IPPROTO_ICMP && is_query(l4[0]))
			put16(l4 + 4, c->port);
	}
	fix_l4(ip, l4len);
	fix_ip(ip);
}

static void
lib_apply(uint8_t *buf, struct aves_pkt *pkt, const struct change *c)
{
	if (c->side == SRC)
		aves_rewrite_src(buf, pkt, c->addr, htons(c->port), c->what);
	else
		aves_rewrite_dst(buf, pkt, c->addr, htons(c->port), c->what);
}

static void
lib_apply_inner(uint8_t *buf, struct aves_pkt *pkt, const struct change *c)
{
	int ret;

	if (c->side == SRC)
		ret = aves_rewrite_inner_src(buf, pkt, c->addr, htons(c->port), c->what);
	else
		ret = aves_rewrite_inner_dst(buf, pkt, c->addr, htons(c->port), c->what);
	assert_int_equal(ret, 0);
}

static void
assert_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what,
	     unsigned int iter)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s #%u: byte %zu is %02x, want %02x", what, iter, i, got[i],
				 want[i]);
}

/* The key the library kept up to date must be the key of the bytes it wrote. */
static void
assert_reparse(const uint8_t *buf, size_t len, size_t l3, const struct aves_pkt *pkt,
	       unsigned int flags)
{
	struct aves_pkt again;

	assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, (uint16_t)l3, flags, &again),
			 AVES_PARSE_OK);
	assert_memory_equal(&again.key, &pkt->key, sizeof(pkt->key));
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR)
		assert_memory_equal(&again.inner.key, &pkt->inner.key, sizeof(pkt->inner.key));
}

static const unsigned int whats[] = { AVES_RW_ADDR, AVES_RW_PORT, AVES_RW_ADDR | AVES_RW_PORT };

/* ---- primitives ---- */

static void
test_rfc1624_example(void **state)
{
	(void)state;
	/* RFC 1624 §4: the other octets sum to 0xCD7A; m = 0x5555 becomes 0x3285. */
	assert_int_equal(aves_cksum_adjust16(0xdd2f, 0x5555, 0x3285), 0x0000);
	assert_int_equal(aves_cksum_adjust16(0x0000, 0x3285, 0x5555), 0xdd2f);
}

/*
 * A checksum over 64 bytes kept beside them; one 16- or 32-bit word changes. The last byte is
 * never zero and never changed, so the data is never all zero, as for IP, TCP and UDP.
 */
static void
test_adjust_vs_recompute(void **state)
{
	uint8_t data[64];
	unsigned int iter, i;

	(void)state;
	for (iter = 0; iter < 100000; iter++) {
		unsigned int ck, want;
		uint16_t old16, new16, got;
		uint32_t old32, new32;
		size_t w;

		for (i = 0; i < sizeof(data); i++)
			data[i] = below(8) == 0 ? (below(2) ? 0xff : 0) : (uint8_t)rnd();
		data[63] |= 1;
		ck = ~ref_sum(data, sizeof(data), 0) & 0xffff;
		if (iter & 1) {
			w = 2 * below(31);
			memcpy(&old16, data + w, 2);
			new16 = below(4) == 0 ? (below(2) ? 0xffff : 0) : (uint16_t)rnd();
			memcpy(data + w, &new16, 2);
			got = aves_cksum_adjust16(htons((uint16_t)ck), old16, new16);
		} else {
			w = 4 * below(15);
			memcpy(&old32, data + w, 4);
			new32 = below(4) == 0 ? (below(2) ? 0xffffffff : 0) : rnd();
			memcpy(data + w, &new32, 4);
			got = aves_cksum_adjust32(htons((uint16_t)ck), old32, new32);
		}
		want = ~ref_sum(data, sizeof(data), 0) & 0xffff;
		if (ntohs(got) != want)
			fail_msg("#%u: adjust gives %04x, recomputation %04x", iter, ntohs(got),
				 want);
	}
}

/* Folding is reduction modulo 0xffff, with a non-zero multiple of 0xffff shown as 0xffff. */
static void
test_fold(void **state)
{
	static const uint64_t edge[] = { 0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0xffffffff,
					 0x100000000ull, 0x1fffffffeull, 0x20000fffdull,
					 0x00010000ffffffffull, 0xffff0000ffffffffull,
					 0xffffffff0000ull, 0xfffffffffffeull, UINT64_MAX - 1,
					 UINT64_MAX };
	unsigned int i;

	(void)state;
	for (i = 0; i < 100000 + sizeof(edge) / sizeof(edge[0]); i++) {
		uint64_t x = i < sizeof(edge) / sizeof(edge[0]) ? edge[i] :
			     (uint64_t)rnd() << 32 | rnd();
		uint64_t want = x % 0xffff;

		if (want == 0 && x != 0)
			want = 0xffff;
		if (aves_cksum_fold(x) != want)
			fail_msg("fold(%#llx) = %#x, want %#llx", (unsigned long long)x,
				 aves_cksum_fold(x), (unsigned long long)want);
	}
}

static void
test_sum_any_length_and_alignment(void **state)
{
	uint8_t data[300];
	size_t len, start, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rnd();
	for (start = 0; start < 4; start++) {
		for (len = 0; len + start <= sizeof(data); len++) {
			uint16_t got = aves_cksum_fold(aves_cksum_add(0, data + start, len));
			uint8_t bytes[2];

			memcpy(bytes, &got, 2);
			assert_int_equal(get16(bytes), ref_sum(data + start, len, 0));
		}
	}
	/* A sum of several regions equals the sum of their concatenation. */
	assert_int_equal(aves_cksum_fold(aves_cksum_add(aves_cksum_add(0, data, 12), data + 12,
							31)),
			 aves_cksum_fold(aves_cksum_add(0, data, 43)));
}

/* ---- rewrites of whole packets ---- */

static void
test_random_rewrites(void **state)
{
	static uint8_t orig[BUF], buf[BUF], want[BUF];
	unsigned int iter, s, w;

	(void)state;
	for (iter = 0; iter < RANDOM_PACKETS; iter++) {
		enum kind k = (enum kind)(iter % K_COUNT);
		size_t l3 = below(2) ? 14 : 0, len, l4len;

		memset(orig, 0x5a, l3);
		len = l3 + rand_datagram(orig + l3, k, 8);
		l4len = len - l3 - ihl_of(orig + l3);
		for (s = SRC; s <= DST; s++) {
			for (w = 0; w < 3; w++) {
				struct change c = rnd_change((enum side)s, whats[w]);
				struct aves_pkt pkt;

				memcpy(buf, orig, len);
				memcpy(want, orig, len);
				assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, (uint16_t)l3,
								 F_VERIFY, &pkt), AVES_PARSE_OK);
				lib_apply(buf, &pkt, &c);
				ref_apply(want + l3, l4len, &c);
				assert_bytes(buf, want, len, "rewrite", iter);
				assert_reparse(buf, len, l3, &pkt, F_VERIFY);
			}
		}
	}
}

/* Rewriting a field to the value it already has changes nothing, checksums included. */
static void
test_rewrite_to_same_value(void **state)
{
	static uint8_t orig[BUF], buf[BUF];
	const unsigned int both = AVES_RW_ADDR | AVES_RW_PORT;
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 500; iter++) {
		size_t len = rand_datagram(orig, (enum kind)(iter % K_COUNT), 8);
		struct aves_pkt pkt;

		memcpy(buf, orig, len);
		assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, 0, F_VERIFY, &pkt), 0);
		aves_rewrite_src(buf, &pkt, pkt.key.src, pkt.key.sport, both);
		aves_rewrite_dst(buf, &pkt, pkt.key.dst, pkt.key.dport, both);
		assert_memory_equal(buf, orig, len);
	}
}

/* Cut @p whole into the fragment [off, off + n) of its L4 part. */
static size_t
fragment(uint8_t *out, const uint8_t *whole, size_t off, size_t n, bool more)
{
	size_t hlen = ihl_of(whole);

	memcpy(out, whole, hlen);
	memcpy(out + hlen, whole + hlen + off, n);
	put16(out + 2, (unsigned int)(hlen + n));
	put16(out + 6, (whole[6] & 0x40) << 8 | (more ? 0x2000 : 0) | (unsigned int)(off / 8));
	fix_ip(out);
	return hlen + n;
}

static void
test_fragment_rewrites(void **state)
{
	static uint8_t whole[BUF], want_whole[BUF], buf[BUF], want[BUF];
	unsigned int iter, s, w;

	(void)state;
	for (iter = 0; iter < RANDOM_PACKETS; iter++) {
		enum kind k = (enum kind)(iter % K_COUNT);
		size_t len = rand_datagram(whole, k, 200), hlen = ihl_of(whole);
		size_t l4len = len - hlen;
		size_t l4hdr = k == K_TCP ? (size_t)(whole[hlen + 12] >> 4) * 4 : 8;
		size_t first = 8 * ((l4hdr + 7) / 8 + below(8));

		for (s = SRC; s <= DST; s++) {
			for (w = 0; w < 3; w++) {
				struct change c = rnd_change((enum side)s, whats[w]);
				struct aves_pkt pkt;
				size_t n, later;

				memcpy(want_whole, whole, len);
				ref_apply(want_whole, l4len, &c);

				n = fragment(buf, whole, 0, first, true);
				assert_int_equal(aves_parse_ipv4(buf, (uint16_t)n, 0, F_VERIFY,
								 &pkt), AVES_PARSE_OK);
				assert_int_equal(pkt.flags & AVES_PKT_F_LATER_FRAG, 0);
				lib_apply(buf, &pkt, &c);
				fragment(want, want_whole, 0, first, true);
				assert_bytes(buf, want, n, "first fragment", iter);
				assert_reparse(buf, n, 0, &pkt, F_VERIFY);

				later = fragment(buf, whole, first, l4len - first, false);
				assert_int_equal(aves_parse_ipv4(buf, (uint16_t)later, 0, F_VERIFY,
								 &pkt), AVES_PARSE_OK);
				assert_true(pkt.flags & AVES_PKT_F_LATER_FRAG);
				lib_apply(buf, &pkt, &c);
				fragment(want, want_whole, first, l4len - first, false);
				assert_bytes(buf, want, later, "later fragment", iter);
				assert_reparse(buf, later, 0, &pkt, F_VERIFY);
			}
		}
	}
}

/* ---- the edges: 0x0000, 0xffff and UDP's "no checksum" ---- */

/*
 * Build @p after, forced so that its L4 sum is -0, then @p before, which differs only by
 * @p c's inverse; rewriting @p before with @p c must give exactly @p after.
 */
static void
expect_rewrite_gives(const uint8_t *before, const uint8_t *after, size_t len,
		     const struct change *c)
{
	uint8_t buf[BUF];
	struct aves_pkt pkt;

	memcpy(buf, before, len);
	assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, 0, F_VERIFY, &pkt), AVES_PARSE_OK);
	lib_apply(buf, &pkt, c);
	assert_memory_equal(buf, after, len);
	assert_reparse(buf, len, 0, &pkt, F_VERIFY);
}

static void
test_udp_computed_zero_sent_as_ffff(void **state)
{
	uint8_t before[BUF], after[BUF];
	size_t len = rand_datagram(after, K_UDP, 16), l4len = len - ihl_of(after);
	struct change c = { SRC, AVES_RW_PORT, 0, 0 };

	(void)state;
	force_l4_sum_ffff(after, l4len, 8);
	fix_l4(after, l4len);
	assert_int_equal(get16(after + ihl_of(after) + 6), 0xffff);
	c.port = (uint16_t)get16(after + ihl_of(after));
	memcpy(before, after, len);
	put16(before + ihl_of(before), c.port ^ 0x1357);
	fix_l4(before, l4len);
	fix_ip(before);
	expect_rewrite_gives(before, after, len, &c);

	/* And back: a checksum of 0xffff (a computed 0) is a valid starting point. */
	c.port ^= 0x1357;
	expect_rewrite_gives(after, before, len, &c);
}

static void
test_udp_no_cksum_stays_zero(void **state)
{
	uint8_t before[BUF], after[BUF];
	unsigned int w;

	(void)state;
	for (w = 0; w < 3; w++) {
		size_t len = rand_datagram(before, K_UDP_NO_CKSUM, 8);
		struct change c = rnd_change(DST, whats[w]);

		memcpy(after, before, len);
		ref_apply(after, len - ihl_of(after), &c);
		assert_int_equal(get16(after + ihl_of(after) + 6), 0);
		expect_rewrite_gives(before, after, len, &c);
	}
}

static void
test_tcp_result_zero(void **state)
{
	uint8_t before[BUF], after[BUF];
	size_t len = rand_datagram(after, K_TCP, 64), l4len = len - ihl_of(after);
	size_t hdr = (size_t)(after[ihl_of(after) + 12] >> 4) * 4;
	struct change c = { DST, AVES_RW_ADDR, 0, 0 };

	(void)state;
	force_l4_sum_ffff(after, l4len, hdr);
	fix_l4(after, l4len);
	fix_ip(after);
	assert_int_equal(get16(after + ihl_of(after) + 16), 0x0000);
	memcpy(&c.addr, after + 16, 4);
	memcpy(before, after, len);
	before[17] ^= 0x21;
	fix_l4(before, l4len);
	fix_ip(before);
	expect_rewrite_gives(before, after, len, &c);
}

static void
test_ip_result_zero(void **state)
{
	uint8_t before[BUF], after[BUF];
	size_t len = rand_datagram(after, K_OTHER, 8);
	struct change c = { SRC, AVES_RW_ADDR, 0, 0 };

	(void)state;
	/* The identification word makes the header sum -0, so its checksum is 0x0000. */
	put16(after + 4, 0);
	put16(after + 10, 0);
	put16(after + 4, 0xffff - ref_sum(after, ihl_of(after), 0));
	fix_ip(after);
	assert_int_equal(get16(after + 10), 0x0000);
	memcpy(&c.addr, after + 12, 4);
	memcpy(before, after, len);
	before[14] ^= 0x44;
	fix_ip(before);
	expect_rewrite_gives(before, after, len, &c);
}

static void
test_icmp_result_zero(void **state)
{
	uint8_t before[BUF], after[BUF];
	size_t len, l4len;
	struct change c = { SRC, AVES_RW_PORT, 0, 0 };

	(void)state;
	do
		len = rand_datagram(after, K_ICMP, 16);
	while (after[ihl_of(after)] == 0); /* a type that is not 0: never all zero */
	l4len = len - ihl_of(after);
	force_l4_sum_ffff(after, l4len, 8);
	fix_l4(after, l4len);
	assert_int_equal(get16(after + ihl_of(after) + 2), 0x0000);
	c.port = (uint16_t)get16(after + ihl_of(after) + 4);
	memcpy(before, after, len);
	put16(before + ihl_of(before) + 4, c.port ^ 0xa5a5);
	fix_l4(before, l4len);
	expect_rewrite_gives(before, after, len, &c);
}

/* An echo reply with identifier, sequence and data all 0 sums to +0: its checksum is 0xffff. */
static void
all_zero_echo_reply(uint8_t *ip, uint16_t ident)
{
	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, 28);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, (uint32_t[]){ IP4(198, 51, 100, 1) }, 4);
	memcpy(ip + 16, (uint32_t[]){ IP4(203, 0, 113, 1) }, 4);
	put16(ip + 24, ident);
	fix_l4(ip, 8);
	fix_ip(ip);
}

static void
test_icmp_all_zero(void **state)
{
	uint8_t before[64], after[64];
	struct change to_zero = { DST, AVES_RW_PORT, 0, 0 };
	struct change from_zero = { SRC, AVES_RW_PORT, 0, 0x4321 };

	(void)state;
	all_zero_echo_reply(before, 0x4321);
	all_zero_echo_reply(after, 0);
	assert_int_equal(get16(after + 22), 0xffff);
	expect_rewrite_gives(before, after, 28, &to_zero);
	expect_rewrite_gives(after, before, 28, &from_zero);
}

/*
 * A first fragment that is all zero but for the identifier, of a datagram whose later data is
 * not: after the identifier goes to 0 the whole message sums to -0, so its checksum is 0x0000.
 * Only the whole datagram could show a 0xffff to be right; a fragment must not be "settled".
 */
static void
test_icmp_first_fragment_not_settled(void **state)
{
	uint8_t whole[64], first[64], want[64];
	struct change c = { DST, AVES_RW_PORT, 0, 0 };
	struct aves_pkt pkt;

	(void)state;
	all_zero_echo_reply(whole, 0);
	put16(whole + 2, 28 + 16);
	memset(whole + 28, 0, 16);
	put16(whole + 36, 0xffff); /* the one non-zero word, in the second fragment */
	fix_l4(whole, 24);
	fix_ip(whole);
	assert_int_equal(get16(whole + 22), 0x0000);
	fragment(want, whole, 0, 16, true);
	put16(whole + 24, 0x2222);
	fix_l4(whole, 24);
	fragment(first, whole, 0, 16, true);
	assert_int_equal(aves_parse_ipv4(first, 36, 0, F_VERIFY, &pkt), AVES_PARSE_OK);
	lib_apply(first, &pkt, &c);
	assert_memory_equal(first, want, 36);
}

/* ---- ICMP errors: the quoted packet ---- */

/* An ICMP error at @p ip from @p src to @p dst quoting @p q bytes of @p orig. */
static size_t
ref_error(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
	  const uint8_t *orig, size_t q)
{
	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned int)(28 + q));
	put16(ip + 4, 0x0707);
	ip[8] = 250;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	ip[20] = type;
	ip[21] = code;
	if (type == 3 && code == 4)
		put16(ip + 26, 1436);
	memcpy(ip + 28, orig, q);
	fix_l4(ip, 8 + q);
	fix_ip(ip);
	return 28 + q;
}

static size_t
rnd_quote(const uint8_t *orig, size_t len)
{
	size_t ihl = ihl_of(orig), max = len < 548 ? len : 548, q;

	switch (below(4)) {
	case 0:
		q = ihl + 8;
		break;
	case 1:
		q = ihl + 17 + below(2); /* a TCP checksum half or just inside */
		break;
	case 2:
		q = len;
		break;
	default:
		q = ihl + 8 + below((unsigned int)(max - ihl - 8 + 1));
		break;
	}
	return q < max ? q : max;
}

enum inner_case { INNER_ONLY, OUTER_DST_INNER_SRC, OUTER_SRC_INNER_DST };

static void
check_error_rewrite(const uint8_t *orig, size_t olen, size_t q, enum inner_case ic,
		    const struct change *c, unsigned int iter)
{
	static uint8_t buf[BUF], want[BUF], want_orig[BUF];
	uint8_t type = below(2) ? 3 : 11, code = type == 3 ? (uint8_t)below(5) : 0;
	uint32_t osrc, want_src = ROUTER, want_dst;
	size_t l3 = below(2) ? 14 : 0, len;
	struct aves_pkt pkt;

	memcpy(&osrc, orig + 12, 4);
	want_dst = osrc;
	memset(buf, 0x77, l3);
	len = l3 + ref_error(buf + l3, ROUTER, osrc, type, code, orig, q);
	assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, (uint16_t)l3, F_VERIFY, &pkt),
			 AVES_PARSE_OK);
	assert_true(pkt.flags & AVES_PKT_F_ICMP_ERROR);

	switch (ic) {
	case INNER_ONLY:
		lib_apply_inner(buf, &pkt, c);
		break;
	case OUTER_DST_INNER_SRC:
		/* NAT, inbound: the error to R about [R:P -> A] goes to B about [B:p -> A]. */
		aves_rewrite_dst(buf, &pkt, c->addr, htons(c->port), c->what);
		lib_apply_inner(buf, &pkt, c);
		if (c->what & AVES_RW_ADDR)
			want_dst = c->addr;
		break;
	case OUTER_SRC_INNER_DST:
		aves_rewrite_src(buf, &pkt, c->addr, htons(c->port), c->what);
		lib_apply_inner(buf, &pkt, c);
		if (c->what & AVES_RW_ADDR)
			want_src = c->addr;
		break;
	}
	memcpy(want_orig, orig, olen);
	ref_apply(want_orig, olen - ihl_of(orig), c);
	/*
	 * A quote that ends one byte into the TCP checksum: the new high byte depends on the
	 * missing low byte, so it must stay as it was (and the outer checksum match it).
	 */
	if (orig[9] == IPPROTO_TCP && q == ihl_of(orig) + 17)
		want_orig[q - 1] = orig[q - 1];
	memset(want, 0x77, l3);
	ref_error(want + l3, want_src, want_dst, type, code, want_orig, q);
	assert_bytes(buf, want, len, "icmp error", iter);
	assert_reparse(buf, len, l3, &pkt, F_VERIFY);
}

static void
test_random_inner_rewrites(void **state)
{
	static uint8_t orig[BUF];
	unsigned int iter, w;

	(void)state;
	for (iter = 0; iter < RANDOM_PACKETS; iter++) {
		size_t olen = rand_datagram(orig, (enum kind)(iter % K_COUNT), 8);

		for (w = 0; w < 3; w++) {
			struct change c = rnd_change(below(2) ? SRC : DST, whats[w]);

			check_error_rewrite(orig, olen, rnd_quote(orig, olen), INNER_ONLY, &c,
					    iter);
			c = rnd_change(SRC, whats[w]);
			check_error_rewrite(orig, olen, rnd_quote(orig, olen),
					    OUTER_DST_INNER_SRC, &c, iter);
			c = rnd_change(DST, whats[w]);
			check_error_rewrite(orig, olen, rnd_quote(orig, olen),
					    OUTER_SRC_INNER_DST, &c, iter);
		}
	}
}

static void
test_inner_all_zero_echo_reply(void **state)
{
	uint8_t orig[64];
	struct change c = { SRC, AVES_RW_PORT, 0, 0 };

	(void)state;
	all_zero_echo_reply(orig, 0x0bad);
	check_error_rewrite(orig, 28, 28, INNER_ONLY, &c, 0);
	all_zero_echo_reply(orig, 0);
	c.port = 0x0bad;
	check_error_rewrite(orig, 28, 28, INNER_ONLY, &c, 0);
}

/*
 * A quoted echo reply whose quoted part is all zero once its identifier is 0, while data past
 * the quote is not: the whole message sums to -0 and its checksum is 0x0000, which only the
 * unquoted data could show. A partial quote must not be "settled" to 0xffff.
 */
static void
test_inner_partial_quote_not_settled(void **state)
{
	uint8_t orig[64];
	struct change c = { DST, AVES_RW_PORT, 0, 0 };

	(void)state;
	all_zero_echo_reply(orig, 0x6666);
	put16(orig + 2, 28 + 16);
	memset(orig + 28, 0, 16);
	put16(orig + 36, 0xffff);
	fix_l4(orig, 24);
	fix_ip(orig);
	check_error_rewrite(orig, 44, 28, INNER_ONLY, &c, 0);
	check_error_rewrite(orig, 44, 44, INNER_ONLY, &c, 0);
}

static void
test_inner_rewrite_needs_an_error(void **state)
{
	uint8_t buf[BUF], copy[BUF];
	size_t len = rand_datagram(buf, K_UDP, 8);
	struct aves_pkt pkt;

	(void)state;
	memcpy(copy, buf, len);
	assert_int_equal(aves_parse_ipv4(buf, (uint16_t)len, 0, F_VERIFY, &pkt), 0);
	assert_int_equal(aves_rewrite_inner_src(buf, &pkt, ROUTER, 1, AVES_RW_ADDR), -EINVAL);
	assert_int_equal(aves_rewrite_inner_dst(buf, &pkt, ROUTER, 1, AVES_RW_PORT), -EINVAL);
	assert_memory_equal(buf, copy, len);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1624_example),
		cmocka_unit_test(test_adjust_vs_recompute),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_sum_any_length_and_alignment),
		cmocka_unit_test(test_random_rewrites),
		cmocka_unit_test(test_rewrite_to_same_value),
		cmocka_unit_test(test_fragment_rewrites),
		cmocka_unit_test(test_udp_computed_zero_sent_as_ffff),
		cmocka_unit_test(test_udp_no_cksum_stays_zero),
		cmocka_unit_test(test_tcp_result_zero),
		cmocka_unit_test(test_ip_result_zero),
		cmocka_unit_test(test_icmp_result_zero),
		cmocka_unit_test(test_icmp_all_zero),
		cmocka_unit_test(test_icmp_first_fragment_not_settled),
		cmocka_unit_test(test_random_inner_rewrites),
		cmocka_unit_test(test_inner_all_zero_echo_reply),
		cmocka_unit_test(test_inner_partial_quote_not_settled),
		cmocka_unit_test(test_inner_rewrite_needs_an_error),
	};

	return cmocka_run_group_tests_name("flow_cksum", tests, NULL, NULL);
}
