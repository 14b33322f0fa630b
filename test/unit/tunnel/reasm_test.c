/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guarded reassembly: datagrams come back byte for byte in any fragment order; duplicates do
 * not kill a datagram; overlaps do, and are counted; zero-length, oversize and malformed
 * fragments are dropped with their own counters; a flood of strays fills the general table
 * but not the trusted one; per-source limits; timeouts with explicit time; the 8-fragment
 * limit; and no mbuf is ever lost (every test ends with the pools full again).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_errno.h> /* test_eal.h uses rte_errno without including it */
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "aves_tunnel.h"
#include "test_eal.h"

#define DGRAM_MAX 8192
#define TIMEOUT 1000
#define WAYPOINT 0xcb00710a /* 203.0.113.10 */
#define GATEWAY 0xc0000201  /* 192.0.2.1 */

static struct rte_mempool *pool;        /* fragments as a NIC would deliver them */
static struct rte_mempool *linear_pool; /* room for any reassembled datagram */
static struct rte_mempool *small_pool;  /* too small for a 4000-byte datagram */

static int
group_setup(void **state)
{
	(void)state;
	if (aves_test_eal_init() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("reasm_frags", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	linear_pool = rte_pktmbuf_pool_create("reasm_linear", 63, 0, 0,
					      RTE_PKTMBUF_HEADROOM + DGRAM_MAX, SOCKET_ID_ANY);
	small_pool = rte_pktmbuf_pool_create("reasm_small", 63, 0, 0, RTE_PKTMBUF_HEADROOM + 1024,
					     SOCKET_ID_ANY);
	return pool == NULL || linear_pool == NULL || small_pool == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_mempool_free(linear_pool);
	rte_mempool_free(small_pool);
	return aves_test_eal_cleanup();
}

static void
assert_pools_full(void)
{
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	assert_int_equal(rte_mempool_in_use_count(linear_pool), 0);
	assert_int_equal(rte_mempool_in_use_count(small_pool), 0);
}

static uint16_t
ref_ipv4_cksum(const uint8_t *hdr, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(hdr[i] << 8 | hdr[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
fix_cksum(uint8_t *p)
{
	uint16_t c;

	p[10] = 0;
	p[11] = 0;
	c = ref_ipv4_cksum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

/* One datagram: header fields, and a payload that depends on its id. */
struct dgram {
	uint8_t bytes[DGRAM_MAX];
	uint16_t len;
};

static void
dgram_init(struct dgram *d, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto,
	   uint16_t payload)
{
	unsigned int i;

	memset(d->bytes, 0, 20);
	d->len = (uint16_t)(20 + payload);
	d->bytes[0] = 0x45;
	d->bytes[2] = (uint8_t)(d->len >> 8);
	d->bytes[3] = (uint8_t)d->len;
	d->bytes[4] = (uint8_t)(id >> 8);
	d->bytes[5] = (uint8_t)id;
	d->bytes[8] = 64;
	d->bytes[9] = proto;
	for (i = 0; i < 4; i++) {
		d->bytes[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		d->bytes[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	fix_cksum(d->bytes);
	for (i = 20; i < d->len; i++)
		d->bytes[i] = (uint8_t)(i * 7 + id);
}

/* A fragment of d carrying payload bytes [ofs, ofs + len), as one flat mbuf. */
static struct rte_mbuf *
frag_of(const struct dgram *d, uint16_t ofs, uint16_t len, bool mf)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	uint16_t field = (uint16_t)((mf ? 0x2000 : 0) | ofs / 8);

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(20 + len));
	assert_non_null(p);
	memcpy(p, d->bytes, 20);
	p[2] = (uint8_t)((20 + len) >> 8);
	p[3] = (uint8_t)(20 + len);
	p[6] = (uint8_t)(field >> 8);
	p[7] = (uint8_t)field;
	fix_cksum(p);
	if (len > 0)
		memcpy(p + 20, d->bytes + 20 + ofs, len);
	return m;
}

/* Split d into fragments of at most `size` payload bytes (a multiple of 8). */
static unsigned int
split(const struct dgram *d, uint16_t size, struct rte_mbuf **out)
{
	uint16_t payload = (uint16_t)(d->len - 20), ofs;
	unsigned int n = 0;

	for (ofs = 0; ofs < payload; ofs = (uint16_t)(ofs + size)) {
		uint16_t len = (uint16_t)RTE_MIN(size, payload - ofs);

		out[n++] = frag_of(d, ofs, len, ofs + len < payload);
	}
	return n;
}

static struct aves_reasm *
reasm_new(uint32_t general_max, uint32_t general_per_src, uint32_t trusted_max,
	  uint32_t trusted_per_src, struct rte_mempool *lin)
{
	struct aves_reasm_params p = {
		.general = { general_max, general_per_src },
		.trusted = { trusted_max, trusted_per_src },
		.timeout_cycles = TIMEOUT,
		.linear_pool = lin,
		.socket_id = SOCKET_ID_ANY,
	};
	struct aves_reasm *r = aves_reasm_create(&p);

	assert_non_null(r);
	return r;
}

static struct aves_reasm *
reasm_default(void)
{
	return reasm_new(64, 4, 16, 16, linear_pool);
}

/* Feed fragments in the given order; only the last may complete the datagram. */
static struct rte_mbuf *
feed(struct aves_reasm *r, struct aves_tunnel_stats *st, struct rte_mbuf **frags,
     const unsigned int *order, unsigned int n, bool trusted, uint64_t now)
{
	struct rte_mbuf *out = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = frags[order != NULL ? order[i] : i];

		out = aves_reasm_packet(r, st, m, trusted, now);
		if (i + 1 < n)
			assert_null(out);
	}
	return out;
}

static void
assert_is_dgram(struct rte_mbuf *m, const struct dgram *d)
{
	assert_non_null(m);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->pkt_len, d->len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), d->bytes, d->len);
	assert_int_equal(ref_ipv4_cksum(rte_pktmbuf_mtod(m, const uint8_t *), 20), 0);
	rte_pktmbuf_free(m);
}

static void
test_orders(void **state)
{
	static const unsigned int orders[][5] = {
		{ 0, 1, 2, 3, 4 }, { 4, 3, 2, 1, 0 }, { 2, 0, 4, 1, 3 }, { 3, 4, 0, 2, 1 },
		{ 1, 3, 0, 4, 2 },
	};
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *frags[8];
	unsigned int i, t;

	(void)state;
	for (t = 0; t < 2; t++) {
		for (i = 0; i < RTE_DIM(orders); i++) {
			dgram_init(&d, WAYPOINT, GATEWAY, (uint16_t)(100 + i), 17, 4000);
			assert_int_equal(split(&d, 800, frags), 5);
			assert_is_dgram(feed(r, &st, frags, orders[i], 5, t == 1, 10), &d);
		}
	}
	/* A small datagram fits its first fragment's mbuf: linearized in place. */
	dgram_init(&d, WAYPOINT, GATEWAY, 7, 17, 1000);
	assert_int_equal(split(&d, 504, frags), 2);
	assert_is_dgram(feed(r, &st, frags, NULL, 2, false, 10), &d);

	assert_int_equal(st.reasm[AVES_REASM_REASSEMBLED], 2 * RTE_DIM(orders) + 1);
	assert_int_equal(st.reasm[AVES_REASM_HELD], 2 * RTE_DIM(orders) * 4 + 1);
	assert_int_equal(aves_reasm_pending(r, false), 0);
	assert_int_equal(aves_reasm_pending(r, true), 0);
	aves_reasm_free(r);
	assert_pools_full();
}

/* An exact duplicate of the first, a middle or the last fragment is dropped alone. */
static void
test_duplicates(void **state)
{
	static const unsigned int orders[][4] = {
		{ 0, 0, 1, 2 }, { 0, 1, 1, 2 }, { 2, 2, 0, 1 }, { 1, 0, 1, 2 },
	};
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *frags[3], *in[4];
	unsigned int i, j;

	(void)state;
	for (i = 0; i < RTE_DIM(orders); i++) {
		dgram_init(&d, WAYPOINT, GATEWAY, (uint16_t)(200 + i), 17, 3000);
		assert_int_equal(split(&d, 1480, frags), 3);
		for (j = 0; j < 4; j++) {
			bool seen = false;
			unsigned int k;

			for (k = 0; k < j; k++)
				seen |= orders[i][k] == orders[i][j];
			/* A second copy is a fresh mbuf with the same bytes. */
			in[j] = seen ? frag_of(&d, (uint16_t)(orders[i][j] * 1480),
					       (uint16_t)(orders[i][j] == 2 ? 40 : 1480),
					       orders[i][j] != 2)
				     : frags[orders[i][j]];
		}
		assert_is_dgram(feed(r, &st, in, NULL, 4, true, 10), &d);
	}
	assert_int_equal(st.reasm[AVES_REASM_DUPLICATE], RTE_DIM(orders));
	assert_int_equal(st.reasm[AVES_REASM_REASSEMBLED], RTE_DIM(orders));
	assert_int_equal(st.reasm[AVES_REASM_OVERLAP], 0);
	aves_reasm_free(r);
	assert_pools_full();
}

/* Inconsistent fragments keep the library's answer: the datagram is discarded. */
static void
test_overlaps(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 300, 17, 3000);

	/* Two different first fragments. */
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), false, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 800, true), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_OVERLAP], 1);
	assert_int_equal(aves_reasm_pending(r, false), 0);

	/* Overlap making more bytes than the datagram has. */
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), false, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 1000, 1480, true), false, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 2480, 520, false), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_OVERLAP], 2);

	/* Overlap and a hole that add up exactly to the datagram's length. */
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), true, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 1200, 1280, true), true, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 2760, 240, false), true, 10));
	assert_int_equal(st.reasm[AVES_REASM_OVERLAP], 3);
	assert_int_equal(st.reasm[AVES_REASM_REASSEMBLED], 0);
	assert_int_equal(aves_reasm_pending(r, false), 0);
	assert_int_equal(aves_reasm_pending(r, true), 0);

	/* The datagram can still arrive whole afterwards. */
	{
		struct rte_mbuf *frags[3];

		assert_int_equal(split(&d, 1480, frags), 3);
		assert_is_dgram(feed(r, &st, frags, NULL, 3, false, 10), &d);
	}
	aves_reasm_free(r);
	assert_pools_full();
}

static void
test_zero_length_and_oversize(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 400, 17, 64);
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 8, 0, true), false, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 8, 0, false), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_ZERO_LENGTH], 2);

	/* Offset 0 without MF is a whole datagram, not a fragment. */
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 8, false), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_BAD_FRAGMENT], 1);

	/* Header + offset + length: 20 + 65528 + 8 and 20 + 65512 + 8 exceed 65535 ... */
	{
		struct rte_mbuf *m = frag_of(&d, 8, 8, false);
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

		p[6] = 0x1f; /* offset 8191 * 8 = 65528 */
		p[7] = 0xff;
		fix_cksum(p);
		assert_null(aves_reasm_packet(r, &st, m, false, 10));
		m = frag_of(&d, 8, 8, false);
		p = rte_pktmbuf_mtod(m, uint8_t *);
		p[6] = 0x1f; /* offset 8189 * 8 = 65512 */
		p[7] = 0xfd;
		fix_cksum(p);
		assert_null(aves_reasm_packet(r, &st, m, false, 10));
		assert_int_equal(st.reasm[AVES_REASM_TOO_BIG], 2);
		/* ... 20 + 65504 + 8 = 65532 does not. */
		m = frag_of(&d, 8, 8, false);
		p = rte_pktmbuf_mtod(m, uint8_t *);
		p[6] = 0x1f;
		p[7] = 0xfc;
		fix_cksum(p);
		assert_null(aves_reasm_packet(r, &st, m, false, 10));
		assert_int_equal(st.reasm[AVES_REASM_HELD], 1);
	}
	aves_reasm_free(r);
	assert_pools_full();
}

/* 8 fragments reassemble; a 9th (a 7th middle one) discards the datagram. */
static void
test_fragment_count(void **state)
{
	static const unsigned int reverse9[9] = { 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *frags[9];
	unsigned int i;

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 500, 17, 64);
	assert_int_equal(split(&d, 8, frags), 8);
	assert_is_dgram(feed(r, &st, frags, NULL, 8, false, 10), &d);

	dgram_init(&d, WAYPOINT, GATEWAY, 501, 17, 72);
	assert_int_equal(split(&d, 8, frags), 9);
	for (i = 0; i < 8; i++)
		assert_null(aves_reasm_packet(r, &st, frags[i], false, 10));
	assert_int_equal(st.reasm[AVES_REASM_TOO_MANY_FRAGS], 1);
	assert_int_equal(aves_reasm_pending(r, false), 0);
	/* The last one starts a datagram of its own, which can never complete. */
	assert_null(aves_reasm_packet(r, &st, frags[8], false, 10));
	assert_int_equal(aves_reasm_pending(r, false), 1);
	aves_reasm_expire(r, &st, 10 + TIMEOUT + 1);
	assert_int_equal(aves_reasm_pending(r, false), 0);

	dgram_init(&d, WAYPOINT, GATEWAY, 502, 17, 72);
	assert_int_equal(split(&d, 8, frags), 9);
	for (i = 0; i < 9; i++)
		assert_null(aves_reasm_packet(r, &st, frags[reverse9[i]], true, 5000));
	assert_int_equal(st.reasm[AVES_REASM_TOO_MANY_FRAGS], 2);
	assert_int_equal(st.reasm[AVES_REASM_REASSEMBLED], 1);
	aves_reasm_free(r);
	assert_pools_full();
}

/* Stray first fragments from many sources fill the general table; a trusted datagram still
 * gets through, an untrusted one does not. */
static void
test_flood_spares_trusted(void **state)
{
	static struct dgram d, stray;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *frags[3];
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		dgram_init(&stray, 0x64400000 + i, GATEWAY, (uint16_t)i, 17, 2000);
		assert_null(aves_reasm_packet(r, &st, frag_of(&stray, 0, 1480, true), false,
					      10 + i));
	}
	assert_int_equal(st.reasm[AVES_REASM_HELD], 64);
	assert_int_equal(st.reasm[AVES_REASM_TABLE_FULL], 300 - 64);
	assert_int_equal(aves_reasm_pending(r, false), 64);

	dgram_init(&d, WAYPOINT, GATEWAY, 9, 17, 3000);
	assert_int_equal(split(&d, 1480, frags), 3);
	assert_null(feed(r, &st, frags, NULL, 3, false, 400));
	assert_int_equal(st.reasm[AVES_REASM_TABLE_FULL], 300 - 64 + 3);

	assert_int_equal(split(&d, 1480, frags), 3);
	assert_is_dgram(feed(r, &st, frags, NULL, 3, true, 400), &d);
	assert_int_equal(aves_reasm_pending(r, false), 64);
	assert_int_equal(aves_reasm_pending(r, true), 0);

	/* Once the strays time out the general table works again. */
	assert_int_equal(split(&d, 1480, frags), 3);
	assert_is_dgram(feed(r, &st, frags, NULL, 3, false, 310 + TIMEOUT + 1), &d);
	assert_int_equal(st.reasm[AVES_REASM_TIMEOUT], 64);
	assert_int_equal(aves_reasm_pending(r, false), 0);
	aves_reasm_free(r);
	assert_pools_full();
}

static void
test_per_source_limit(void **state)
{
	static struct dgram d[6];
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_new(64, 4, 16, 2, linear_pool);
	struct rte_mbuf *other;
	unsigned int i;

	(void)state;
	for (i = 0; i < 6; i++)
		dgram_init(&d[i], 0x64400001, GATEWAY, (uint16_t)(600 + i), 17, 2000);
	for (i = 0; i < 5; i++)
		assert_null(aves_reasm_packet(r, &st, frag_of(&d[i], 0, 1480, true), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_HELD], 4);
	assert_int_equal(st.reasm[AVES_REASM_PER_SOURCE_LIMIT], 1);

	/* Fragments of datagrams already pending are not limited; completing one frees a slot. */
	assert_is_dgram(aves_reasm_packet(r, &st, frag_of(&d[0], 1480, 520, false), false, 20),
			&d[0]);
	assert_null(aves_reasm_packet(r, &st, frag_of(&d[5], 0, 1480, true), false, 20));
	assert_int_equal(st.reasm[AVES_REASM_HELD], 5);

	/* Another source is not affected. */
	dgram_init(&d[0], 0x64400002, GATEWAY, 600, 17, 2000);
	other = frag_of(&d[0], 0, 1480, true);
	assert_null(aves_reasm_packet(r, &st, other, false, 20));
	assert_int_equal(st.reasm[AVES_REASM_HELD], 6);
	assert_int_equal(aves_reasm_pending(r, false), 5);

	/* The trusted table has its own limit (2 here). */
	for (i = 0; i < 3; i++) {
		dgram_init(&d[i], WAYPOINT, GATEWAY, (uint16_t)(700 + i), 17, 2000);
		assert_null(aves_reasm_packet(r, &st, frag_of(&d[i], 0, 1480, true), true, 20));
	}
	assert_int_equal(st.reasm[AVES_REASM_PER_SOURCE_LIMIT], 2);
	assert_int_equal(aves_reasm_pending(r, true), 2);
	aves_reasm_free(r);
	assert_pools_full();
}

/* Time is a parameter: a datagram lives from its first fragment for TIMEOUT, inclusive. */
static void
test_timeout(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 800, 17, 2000);
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), true, 100));
	assert_is_dgram(aves_reasm_packet(r, &st, frag_of(&d, 1480, 520, false), true,
					  100 + TIMEOUT), &d);

	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), true, 5000));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 1480, 520, false), true,
				      5000 + TIMEOUT + 1));
	assert_int_equal(st.reasm[AVES_REASM_TIMEOUT], 1);
	assert_int_equal(aves_reasm_pending(r, true), 1); /* the late last fragment */
	aves_reasm_expire(r, &st, 5000 + TIMEOUT + 1 + TIMEOUT);
	assert_int_equal(aves_reasm_pending(r, true), 1);
	aves_reasm_expire(r, &st, 5000 + TIMEOUT + 1 + TIMEOUT + 1);
	assert_int_equal(aves_reasm_pending(r, true), 0);
	assert_int_equal(st.reasm[AVES_REASM_TIMEOUT], 2);
	assert_pools_full();

	/* Many expiring at once: more fragments than one death-row pass takes. */
	{
		static struct dgram many;
		unsigned int i, k;

		for (i = 0; i < 16 + 64; i++) {
			bool trusted = i < 16;

			dgram_init(&many, trusted ? WAYPOINT : 0x64400000 + i, GATEWAY,
				   (uint16_t)(900 + i), 17, 56);
			for (k = 0; k < 6; k++) {
				struct rte_mbuf *m = frag_of(&many, (uint16_t)(8 * k), 8, true);

				assert_null(aves_reasm_packet(r, &st, m, trusted, 20000));
			}
		}
		assert_int_equal(aves_reasm_pending(r, true), 16);
		assert_int_equal(aves_reasm_pending(r, false), 64);
		aves_reasm_expire(r, &st, 20000 + TIMEOUT + 1);
		assert_int_equal(aves_reasm_pending(r, true), 0);
		assert_int_equal(aves_reasm_pending(r, false), 0);
		assert_int_equal(st.reasm[AVES_REASM_TIMEOUT], 2 + 16 + 64);
	}
	aves_reasm_free(r);
	assert_pools_full();
}

static void
test_bad_fragments(void **state)
{
	static struct dgram d, other;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *m;
	uint8_t *p;

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 1000, 17, 2000);

	m = frag_of(&d, 0, 1480, true);
	rte_pktmbuf_mtod(m, uint8_t *)[11] ^= 1; /* checksum */
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 1480, true);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	p[6] |= 0x80; /* reserved flag */
	fix_cksum(p);
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 12, true); /* MF with a length not a multiple of 8 */
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 1480, true);
	rte_pktmbuf_trim(m, 1); /* total length beyond the packet */
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 1480, true);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	p[0] = 0x44; /* IHL 4 */
	fix_cksum(p);
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 1480, true);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	p[0] = 0x65; /* IPv6 */
	fix_cksum(p);
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	m = frag_of(&d, 0, 1480, true);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - 19)); /* no room for a header */
	assert_null(aves_reasm_packet(r, &st, m, false, 10));
	assert_int_equal(st.reasm[AVES_REASM_BAD_FRAGMENT], 7);

	/* Same (source, destination, id), other protocol. */
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), false, 10));
	dgram_init(&other, WAYPOINT, GATEWAY, 1000, 6, 2000);
	assert_null(aves_reasm_packet(r, &st, frag_of(&other, 1480, 520, false), false, 10));
	assert_int_equal(st.reasm[AVES_REASM_PROTO_MISMATCH], 1);
	assert_is_dgram(aves_reasm_packet(r, &st, frag_of(&d, 1480, 520, false), false, 10), &d);

	/* Ethernet padding after the fragment is ignored. */
	m = frag_of(&d, 0, 1480, true);
	memset(rte_pktmbuf_append(m, 6), 0, 6);
	assert_null(aves_reasm_packet(r, &st, m, false, 20));
	assert_is_dgram(aves_reasm_packet(r, &st, frag_of(&d, 1480, 520, false), false, 20), &d);
	aves_reasm_free(r);
	assert_pools_full();
}

/* A datagram stays in the table its first fragment chose. */
static void
test_table_is_sticky(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();

	(void)state;
	dgram_init(&d, WAYPOINT, GATEWAY, 1100, 17, 3000);
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), false, 10));
	assert_null(aves_reasm_packet(r, &st, frag_of(&d, 1480, 1480, true), true, 10));
	assert_int_equal(aves_reasm_pending(r, false), 1);
	assert_int_equal(aves_reasm_pending(r, true), 0);
	assert_is_dgram(aves_reasm_packet(r, &st, frag_of(&d, 2960, 40, false), true, 10), &d);
	assert_int_equal(aves_reasm_pending(r, false), 0);
	aves_reasm_free(r);
	assert_pools_full();
}

static void
test_linearize(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	struct rte_mbuf *frags[4], *m;

	(void)state;
	/* Too long for the first fragment's mbuf: copied into the linear pool. */
	dgram_init(&d, WAYPOINT, GATEWAY, 1200, 17, 4000);
	assert_int_equal(split(&d, 1480, frags), 3);
	m = feed(r, &st, frags, NULL, 3, true, 10);
	assert_non_null(m);
	assert_ptr_equal(m->pool, linear_pool);
	assert_is_dgram(m, &d);
	aves_reasm_free(r);

	/* And when that pool's mbufs are too small too: counted, nothing leaks. */
	r = reasm_new(64, 4, 16, 16, small_pool);
	assert_int_equal(split(&d, 1480, frags), 3);
	assert_null(feed(r, &st, frags, NULL, 3, true, 10));
	assert_int_equal(st.reasm[AVES_REASM_LINEARIZE_FAILED], 1);
	aves_reasm_free(r);
	assert_pools_full();
}

/* Freeing a context frees the fragments it holds. */
static void
test_free_pending(void **state)
{
	static struct dgram d;
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = reasm_default();
	unsigned int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		dgram_init(&d, WAYPOINT + i, GATEWAY, (uint16_t)i, 17, 3000);
		assert_null(aves_reasm_packet(r, &st, frag_of(&d, 0, 1480, true), i % 2, 10));
		assert_null(aves_reasm_packet(r, &st, frag_of(&d, 2960, 40, false), i % 2, 10));
	}
	assert_true(rte_mempool_in_use_count(pool) >= 20);
	aves_reasm_free(r);
	aves_reasm_free(NULL);
	assert_pools_full();
}

static void
test_create_rejects(void **state)
{
	struct aves_reasm_params p = {
		.general = { 64, 4 },
		.trusted = { 16, 16 },
		.timeout_cycles = TIMEOUT,
		.linear_pool = linear_pool,
		.socket_id = SOCKET_ID_ANY,
	};
	struct aves_reasm_params bad;
	struct aves_reasm *r;

	(void)state;
	rte_errno = 0;
	assert_null(aves_reasm_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
	bad = p;
	bad.general.max_datagrams = 0;
	assert_null(aves_reasm_create(&bad));
	bad = p;
	bad.trusted.max_datagrams = 65537;
	bad.trusted.max_per_source = 1;
	assert_null(aves_reasm_create(&bad));
	bad = p;
	bad.general.max_per_source = 0;
	assert_null(aves_reasm_create(&bad));
	bad = p;
	bad.trusted.max_per_source = 17;
	assert_null(aves_reasm_create(&bad));
	bad = p;
	bad.timeout_cycles = 0;
	assert_null(aves_reasm_create(&bad));
	bad = p;
	bad.linear_pool = NULL;
	rte_errno = 0;
	assert_null(aves_reasm_create(&bad));
	assert_int_equal(rte_errno, EINVAL);

	r = aves_reasm_create(&p);
	assert_non_null(r);
	aves_reasm_free(r);
	p.general.max_datagrams = 1;
	p.general.max_per_source = 1;
	r = aves_reasm_create(&p);
	assert_non_null(r);
	aves_reasm_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_zero_length_and_oversize),
		cmocka_unit_test(test_fragment_count),
		cmocka_unit_test(test_flood_spares_trusted),
		cmocka_unit_test(test_per_source_limit),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_bad_fragments),
		cmocka_unit_test(test_table_is_sticky),
		cmocka_unit_test(test_linearize),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_create_rejects),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
