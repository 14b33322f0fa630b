/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encapsulation: byte-exact output for a known inner packet (headers written out by hand,
 * checksum recomputed here, tag from Python's hmac module), counters and identification
 * stepping, and every refusal leaving the packet untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_errno.h> /* test_eal.h uses rte_errno without including it */
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "aves_tunnel.h"
#include "test_eal.h"

static struct rte_mempool *pool;
static struct aves_auth_ctx *actx;
static struct aves_key key42;

/* 198.51.100.7:5353 -> 10.1.2.3:53 UDP, TOS 0xb8, id 0x04d2, DF, TTL 63, 32 payload bytes. */
static const uint8_t inner_pkt[60] = {
	0x45, 0xb8, 0x00, 0x3c, 0x04, 0xd2, 0x40, 0x00, 0x3f, 0x11, 0xff, 0xe8, 0xc6, 0x33,
	0x64, 0x07, 0x0a, 0x01, 0x02, 0x03, 0x14, 0xe9, 0x00, 0x35, 0x00, 0x28, 0x00, 0x00,
	0x41, 0x56, 0x45, 0x53, 0x20, 0x69, 0x6e, 0x6e, 0x65, 0x72, 0x20, 0x70, 0x61, 0x79,
	0x6c, 0x6f, 0x61, 0x64, 0x2c, 0x20, 0x33, 0x32, 0x20, 0x62, 0x79, 0x74, 0x65, 0x73,
	0x21, 0x21, 0x21, 0x21,
};

/* What aves_encap() must prepend for the parameters of test_encap_known_answer(). */
static const uint8_t expected_outer[48] = {
	/* IPv4: 0x45, TOS copied, length 124, id 3, no flags, TTL 64, UDP, checksum (checked
	 * separately), 203.0.113.10 -> 192.0.2.1 */
	0x45, 0xb8, 0x00, 0x7c, 0x00, 0x03, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0xcb, 0x00, 0x71, 0x0a, 0xc0, 0x00, 0x02, 0x01,
	/* UDP: 49152 + (0x12345 mod 16384) = 0xe345 -> 4797, length 104, checksum 0 */
	0xe3, 0x45, 0x12, 0xbd, 0x00, 0x68, 0x00, 0x00,
	/* AVES: version 1, FORWARD, HMAC-MD5, flags 0, key 42, W, sequence sender 3 */
	0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xcb, 0x00, 0x71, 0x0a,
	0x03, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

/* Python: hmac.new(bytes(range(32)), aves_header + inner_pkt, hashlib.md5).hexdigest() */
static const uint8_t expected_tag[16] = {
	0x5e, 0x3c, 0x12, 0xd1, 0x19, 0x2b, 0xf2, 0xb7,
	0x1d, 0xc1, 0x1d, 0x7b, 0xdf, 0xcf, 0x87, 0xec,
};

static int
group_setup(void **state)
{
	uint8_t secret[32];
	unsigned int i;

	(void)state;
	if (aves_test_eal_init() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("encap_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	actx = aves_auth_ctx_create();
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	if (pool == NULL || actx == NULL ||
	    aves_key_init(actx, &key42, 42, AVES_ALG_HMAC_MD5, secret, sizeof(secret)) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_auth_ctx_free(actx);
	rte_mempool_free(pool);
	return aves_test_eal_cleanup();
}

/* The test's own IPv4 header checksum: one's complement of the one's complement sum. */
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

static struct rte_mbuf *
make_pkt(const uint8_t *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, len), data, len);
	return m;
}

static struct aves_encap_params
default_params(void)
{
	struct aves_encap_params p = {
		.key = &key42,
		.outer_src = RTE_BE32(0xcb00710a), /* 203.0.113.10 = W */
		.outer_dst = RTE_BE32(0xc0000201), /* 192.0.2.1 = R */
		.waypoint = RTE_BE32(0xcb00710a),
		.flow_hash = 0x12345,
		.dport = AVES_TUNNEL_PORT,
		.type = AVES_TYPE_FORWARD,
	};

	return p;
}

static void
test_encap_known_answer(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = default_params();
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));
	const struct aves_key *keys[1] = { &key42 };
	uint8_t hdr[48];
	const uint8_t *d;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(&ctx, 3, 4, 0x0102030405060708ull), 0);
	assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
	assert_int_equal(m->pkt_len, sizeof(inner_pkt) + AVES_TUNNEL_OVERHEAD);
	assert_int_equal(m->nb_segs, 1);
	d = rte_pktmbuf_mtod(m, const uint8_t *);

	memcpy(hdr, d, sizeof(hdr));
	hdr[10] = 0;
	hdr[11] = 0;
	assert_memory_equal(hdr, expected_outer, sizeof(expected_outer));
	assert_int_equal(d[10] << 8 | d[11], ref_ipv4_cksum(hdr, 20));
	assert_int_equal(ref_ipv4_cksum(hdr, 20), 0x7baa); /* and what Python computes */
	assert_memory_equal(d + 48, inner_pkt, sizeof(inner_pkt));

	assert_int_equal(aves_tag_burst(actx, &stats, &m, keys, 1), 1);
	assert_memory_equal(d + 48 + sizeof(inner_pkt), expected_tag, sizeof(expected_tag));
	assert_int_equal(stats.encap[AVES_ENCAP_OK], 1);
	assert_int_equal(stats.tag[AVES_TAG_OK], 1);
	rte_pktmbuf_free(m);
}

/* Identification steps by the sender count, the sequence by one. */
static void
test_encap_counters_advance(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = default_params();
	struct aves_encap_ctx ctx;
	unsigned int i;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(&ctx, 3, 4, 0x0102030405060708ull), 0);
	for (i = 0; i < 3; i++) {
		struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));
		const uint8_t *d;
		uint64_t seq = 0;
		unsigned int b;

		assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		assert_int_equal(d[4] << 8 | d[5], 3 + 4 * i);
		for (b = 0; b < 8; b++)
			seq = seq << 8 | d[40 + b];
		assert_true(seq == 0x0302030405060708ull + i);
		rte_pktmbuf_free(m);
	}

	/* The 56-bit counter wraps without touching the sender id. */
	assert_int_equal(aves_encap_ctx_init(&ctx, 5, 6, 0xabffffffffffffffull), 0);
	for (i = 0; i < 2; i++) {
		struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));
		const uint8_t *d;

		assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		assert_int_equal(d[40], 0x05);
		assert_int_equal(d[41], i == 0 ? 0xff : 0x00);
		assert_int_equal(d[47], i == 0 ? 0xff : 0x00);
		rte_pktmbuf_free(m);
	}

	/* Identification wraps modulo 2^16. */
	ctx.ip_id = 0xfffe;
	ctx.ip_id_stride = 3;
	{
		struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));

		assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
		assert_int_equal(ctx.ip_id, 1);
		rte_pktmbuf_free(m);
	}
}

static void
test_encap_sport_and_type(void **state)
{
	static const struct {
		uint32_t hash;
		uint16_t sport;
	} cases[] = {
		{ 0, 0xc000 }, { 0x3fff, 0xffff }, { 0x4000, 0xc000 }, { 0xffffffff, 0xffff },
	};
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = default_params();
	struct aves_encap_ctx ctx;
	unsigned int i;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	for (i = 0; i < RTE_DIM(cases); i++) {
		struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));
		const uint8_t *d;

		p.flow_hash = cases[i].hash;
		p.type = i % 2 ? AVES_TYPE_REVERSE : AVES_TYPE_FORWARD;
		p.dport = (uint16_t)(5000 + i);
		assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		assert_int_equal(d[20] << 8 | d[21], cases[i].sport);
		assert_int_equal(d[22] << 8 | d[23], 5000 + i);
		assert_int_equal(d[29], p.type);
		rte_pktmbuf_free(m);
	}
}

static void
test_encap_tx_offload(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = default_params();
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m = make_pkt(inner_pkt, sizeof(inner_pkt));
	const uint8_t *d;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	assert_int_equal(aves_encap(&ctx, &stats, m, &p, AVES_ENCAP_F_TX_IP_CKSUM), AVES_ENCAP_OK);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(d[10], 0);
	assert_int_equal(d[11], 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(m->l3_len, 20);
	rte_pktmbuf_free(m);
}

/* A chained inner packet whose first segment has the room is linearized, then encapsulated
 * exactly like the contiguous one. */
static void
test_encap_chained(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = default_params();
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m = make_pkt(inner_pkt, 25);
	struct rte_mbuf *tail = make_pkt(inner_pkt + 25, sizeof(inner_pkt) - 25);

	(void)state;
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(aves_encap_ctx_init(&ctx, 3, 4, 0x0102030405060708ull), 0);
	assert_int_equal(aves_encap(&ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->pkt_len, sizeof(inner_pkt) + AVES_TUNNEL_OVERHEAD);
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, const uint8_t *, 12), expected_outer + 12,
			    36);
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, const uint8_t *, 48), inner_pkt,
			    sizeof(inner_pkt));
	rte_pktmbuf_free(m);
}

/* Snapshot of everything a refused encapsulation must leave alone. */
struct pkt_snapshot {
	uint8_t bytes[2048];
	uint32_t pkt_len;
	uint16_t data_off;
	uint16_t data_len;
	uint16_t nb_segs;
};

static void
snapshot(const struct rte_mbuf *m, struct pkt_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->pkt_len = m->pkt_len;
	s->data_off = m->data_off;
	s->data_len = m->data_len;
	s->nb_segs = m->nb_segs;
	if (m->pkt_len <= sizeof(s->bytes)) {
		const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, s->bytes);

		assert_non_null(p);
		if (p != s->bytes)
			memcpy(s->bytes, p, m->pkt_len);
	}
}

static void
assert_refused(struct rte_mbuf *m, const struct aves_encap_params *p,
	       enum aves_encap_result expected)
{
	struct aves_tunnel_stats stats = { 0 };
	struct pkt_snapshot before, after;
	struct aves_encap_ctx ctx;

	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	snapshot(m, &before);
	assert_int_equal(aves_encap(&ctx, &stats, m, p, 0), expected);
	snapshot(m, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(stats.encap[expected], 1);
	assert_int_equal(stats.encap[AVES_ENCAP_OK], 0);
	assert_int_equal(ctx.seq, 0);
	assert_int_equal(ctx.ip_id, 0);
}

static void
test_encap_refusals(void **state)
{
	struct aves_encap_params p = default_params();
	struct aves_key gmac = key42;
	struct rte_mbuf *m, *tail;
	uint8_t bad[60];

	(void)state;
	m = make_pkt(inner_pkt, sizeof(inner_pkt));
	p.key = NULL;
	assert_refused(m, &p, AVES_ENCAP_BAD_PARAM);
	p = default_params();
	gmac.alg = AVES_ALG_AES_GMAC;
	p.key = &gmac;
	assert_refused(m, &p, AVES_ENCAP_BAD_PARAM);
	p = default_params();
	p.type = AVES_TYPE_KEEPALIVE;
	assert_refused(m, &p, AVES_ENCAP_BAD_PARAM);
	p.type = 0;
	assert_refused(m, &p, AVES_ENCAP_BAD_PARAM);
	assert_refused(m, NULL, AVES_ENCAP_BAD_PARAM);
	p = default_params();

	/* Headroom: move the data to 47 bytes from the start of the buffer. */
	m->data_off = AVES_TUNNEL_PREPEND_LEN - 1;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), inner_pkt, sizeof(inner_pkt));
	assert_refused(m, &p, AVES_ENCAP_NO_HEADROOM);
	m->data_off = AVES_TUNNEL_PREPEND_LEN;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), inner_pkt, sizeof(inner_pkt));
	rte_pktmbuf_free(m);

	/* Tailroom: the packet ends 15 bytes before the end of the buffer. */
	m = rte_pktmbuf_alloc(pool);
	m->data_off = (uint16_t)(m->buf_len - sizeof(inner_pkt) - (AVES_TAG_LEN - 1));
	memcpy(rte_pktmbuf_append(m, sizeof(inner_pkt)), inner_pkt, sizeof(inner_pkt));
	assert_refused(m, &p, AVES_ENCAP_NO_TAILROOM);
	rte_pktmbuf_free(m);

	/* Inner length field disagrees with the packet, or no IPv4 header at all. */
	memcpy(bad, inner_pkt, sizeof(bad));
	bad[3] = 0x3d;
	m = make_pkt(bad, sizeof(bad));
	assert_refused(m, &p, AVES_ENCAP_BAD_INNER);
	rte_pktmbuf_free(m);
	m = make_pkt(inner_pkt, 19);
	assert_refused(m, &p, AVES_ENCAP_BAD_INNER);
	rte_pktmbuf_free(m);

	/* Shared: another reference to the same buffer. */
	m = make_pkt(inner_pkt, sizeof(inner_pkt));
	rte_mbuf_refcnt_update(m, 1);
	assert_refused(m, &p, AVES_ENCAP_NOT_WRITABLE);
	rte_mbuf_refcnt_update(m, -1);
	tail = rte_pktmbuf_clone(m, pool);
	assert_non_null(tail);
	assert_refused(tail, &p, AVES_ENCAP_NOT_WRITABLE);
	rte_pktmbuf_free(tail);
	rte_pktmbuf_free(m);

	/* Chained, and the first segment cannot take the rest. */
	m = rte_pktmbuf_alloc(pool);
	m->data_off = (uint16_t)(m->buf_len - 30);
	memcpy(rte_pktmbuf_append(m, 20), inner_pkt, 20);
	tail = make_pkt(inner_pkt + 20, sizeof(inner_pkt) - 20);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_refused(m, &p, AVES_ENCAP_NOT_LINEAR);
	/* ... it can take the rest but not the tag after it. */
	m->data_off = (uint16_t)(m->buf_len - 20 - (sizeof(inner_pkt) - 20) - 10);
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), inner_pkt, 20);
	assert_refused(m, &p, AVES_ENCAP_NO_TAILROOM);
	rte_pktmbuf_free(m);
}

/* An inner packet of AVES_TUNNEL_INNER_MAX + 1 bytes, chained over many mbufs. */
static void
test_encap_too_big(void **state)
{
	const uint32_t len = AVES_TUNNEL_INNER_MAX + 1;
	struct aves_encap_params p = default_params();
	struct rte_mbuf *m = NULL;
	uint32_t done = 0;

	(void)state;
	while (done < len) {
		uint16_t n = (uint16_t)RTE_MIN(len - done, 2000u);
		struct rte_mbuf *seg = rte_pktmbuf_alloc(pool);

		assert_non_null(seg);
		memset(rte_pktmbuf_append(seg, n), 0, n);
		if (m == NULL)
			m = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
		done += n;
	}
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), inner_pkt, 20);
	rte_pktmbuf_mtod(m, uint8_t *)[2] = (uint8_t)(len >> 8);
	rte_pktmbuf_mtod(m, uint8_t *)[3] = (uint8_t)len;
	assert_refused(m, &p, AVES_ENCAP_TOO_BIG);
	rte_pktmbuf_free(m);
}

static void
test_encap_ctx_init_rejects(void **state)
{
	struct aves_encap_ctx ctx;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(NULL, 0, 1, 0), -EINVAL);
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 0, 0), -EINVAL);
	assert_int_equal(aves_encap_ctx_init(&ctx, 1, 1, 0), -EINVAL);
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 257, 0), -EINVAL);
	assert_int_equal(aves_encap_ctx_init(&ctx, 255, 256, 0), 0);
	assert_true(ctx.seq == 0xff00000000000000ull);
	assert_int_equal(ctx.ip_id, 255);
	assert_int_equal(ctx.ip_id_stride, 256);
}

static void
test_result_names(void **state)
{
	unsigned int i;

	(void)state;
	assert_string_equal(aves_encap_result_name(AVES_ENCAP_NO_HEADROOM), "no_headroom");
	assert_string_equal(aves_encap_result_name(AVES_ENCAP_MAX), "unknown");
	assert_string_equal(aves_tag_result_name(AVES_TAG_REFUSED), "refused");
	assert_string_equal(aves_rx_verdict_name(AVES_RX_BAD_TAG), "bad_tag");
	assert_string_equal(aves_rx_verdict_name(AVES_RX_MAX), "unknown");
	assert_string_equal(aves_frag_result_name(AVES_FRAG_DF_SET), "df_set");
	assert_string_equal(aves_reasm_result_name(AVES_REASM_DUPLICATE), "duplicate");
	assert_string_equal(aves_reasm_result_name(AVES_REASM_MAX), "unknown");
	for (i = 0; i < AVES_RX_MAX; i++)
		assert_string_not_equal(aves_rx_verdict_name(i), "unknown");
	for (i = 0; i < AVES_REASM_MAX; i++)
		assert_string_not_equal(aves_reasm_result_name(i), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encap_known_answer),
		cmocka_unit_test(test_encap_counters_advance),
		cmocka_unit_test(test_encap_sport_and_type),
		cmocka_unit_test(test_encap_tx_offload),
		cmocka_unit_test(test_encap_chained),
		cmocka_unit_test(test_encap_refusals),
		cmocka_unit_test(test_encap_too_big),
		cmocka_unit_test(test_encap_ctx_init_rejects),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
