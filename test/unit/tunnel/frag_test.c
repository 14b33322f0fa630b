/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path MTU and fragmentation: the decision before encapsulation, fragments that fit the MTU
 * with correct offsets and flags, a round trip through reassembly in any order that gives back
 * the tunnel packet byte for byte and verifies, and the ICMP answer for DF packets.
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

#define INNER_LEN 4000
#define MAX_FRAGS 16
#define TUNNEL_LEN (INNER_LEN + AVES_TUNNEL_OVERHEAD)

#define W_ADDR RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define R_ADDR RTE_BE32(0xc0000201) /* 192.0.2.1 */

static struct rte_mempool *pool;     /* packets, and the fragments' header mbufs */
static struct rte_mempool *indirect; /* the fragments' payload references */
static struct rte_mempool *linear;   /* reassembled datagrams */
static struct aves_auth_ctx *actx;
static struct aves_key key;
static struct aves_keyring *ring;

static const struct aves_rx_filter gw_filter = {
	.dst_addr = R_ADDR,
	.dst_mask = RTE_BE32(0xffffffff),
	.port = AVES_TUNNEL_PORT,
	.type = AVES_TYPE_FORWARD,
};

static int
group_setup(void **state)
{
	uint8_t secret[20];

	(void)state;
	if (aves_test_eal_init() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("frag_pkts", 1023, 0, 0,
				       RTE_PKTMBUF_HEADROOM + TUNNEL_LEN + 64, SOCKET_ID_ANY);
	indirect = rte_pktmbuf_pool_create("frag_indirect", 1023, 0, 0, 0, SOCKET_ID_ANY);
	linear = rte_pktmbuf_pool_create("frag_linear", 63, 0, 0,
					 RTE_PKTMBUF_HEADROOM + TUNNEL_LEN + 64, SOCKET_ID_ANY);
	actx = aves_auth_ctx_create();
	ring = aves_keyring_create(1);
	memset(secret, 0x42, sizeof(secret));
	if (pool == NULL || indirect == NULL || linear == NULL || actx == NULL || ring == NULL ||
	    aves_key_init(actx, &key, 77, AVES_ALG_HMAC_MD5, secret, sizeof(secret)) != 0 ||
	    aves_keyring_add(ring, &key) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_keyring_free(ring);
	aves_auth_ctx_free(actx);
	rte_mempool_free(pool);
	rte_mempool_free(indirect);
	rte_mempool_free(linear);
	return aves_test_eal_cleanup();
}

static void
assert_pools_full(void)
{
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	assert_int_equal(rte_mempool_in_use_count(indirect), 0);
	assert_int_equal(rte_mempool_in_use_count(linear), 0);
}

static uint16_t
ref_cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len % 2)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
make_inner(uint8_t *p, uint16_t len, bool df)
{
	uint16_t c;
	unsigned int i;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = df ? 0x40 : 0;
	p[8] = 63;
	p[9] = 17;
	p[12] = 198; /* 198.51.100.7 -> 10.1.2.3 */
	p[13] = 51;
	p[14] = 100;
	p[15] = 7;
	p[16] = 10;
	p[17] = 1;
	p[18] = 2;
	p[19] = 3;
	c = ref_cksum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	for (i = 20; i < len; i++)
		p[i] = (uint8_t)(i * 13 + (i >> 8));
}

static struct rte_mbuf *
mbuf_from(const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

/* A tagged tunnel packet around an inner packet of len bytes; its bytes in *copy. */
static struct rte_mbuf *
tunnel_pkt(uint16_t len, bool df, uint8_t *inner, uint8_t *copy)
{
	struct aves_tunnel_stats st = { 0 };
	struct aves_encap_params p = {
		.key = &key,
		.outer_src = W_ADDR,
		.outer_dst = R_ADDR,
		.waypoint = W_ADDR,
		.flow_hash = 99,
		.dport = AVES_TUNNEL_PORT,
		.type = AVES_TYPE_FORWARD,
	};
	const struct aves_key *k = &key;
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m;

	make_inner(inner, len, df);
	m = mbuf_from(inner, len);
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	ctx.ip_id = 0xbeef;
	assert_int_equal(aves_encap(&ctx, &st, m, &p, 0), AVES_ENCAP_OK);
	assert_int_equal(aves_tag_burst(actx, &st, &m, &k, 1), 1);
	if (copy != NULL)
		memcpy(copy, rte_pktmbuf_mtod(m, const uint8_t *), m->pkt_len);
	return m;
}

static void
test_mtu_check(void **state)
{
	uint8_t inner[1500];

	(void)state;
	assert_int_equal(aves_tunnel_inner_mtu(1500), 1436);
	assert_int_equal(aves_tunnel_inner_mtu(576), 512);
	assert_int_equal(aves_tunnel_inner_mtu(65), 1);
	assert_int_equal(aves_tunnel_inner_mtu(64), 0);
	assert_int_equal(aves_tunnel_inner_mtu(0), 0);

	make_inner(inner, 1436, true);
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 1500), AVES_MTU_FITS);
	make_inner(inner, 1437, true);
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 1500),
			 AVES_MTU_FRAG_NEEDED);
	make_inner(inner, 1437, false);
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 1500),
			 AVES_MTU_FRAGMENT);
	make_inner(inner, 512, true);
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 576), AVES_MTU_FITS);
	make_inner(inner, 513, true);
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 576),
			 AVES_MTU_FRAG_NEEDED);
}

/* Fragments of the tunnel packet `orig` (tlen bytes): each fits, offsets are contiguous,
 * MF on all but the last, checksums right, payloads add up to the original's. */
static void
check_fragments(struct rte_mbuf **frags, int n, uint16_t mtu, const uint8_t *orig,
		uint16_t tlen)
{
	static uint8_t flat[TUNNEL_LEN];
	uint32_t expected_ofs = 0;
	int i;

	for (i = 0; i < n; i++) {
		const uint8_t *h;
		uint16_t total, field, payload;

		assert_true(frags[i]->pkt_len <= mtu);
		h = rte_pktmbuf_read(frags[i], 0, frags[i]->pkt_len, flat);
		assert_non_null(h);
		total = (uint16_t)(h[2] << 8 | h[3]);
		field = (uint16_t)(h[6] << 8 | h[7]);
		payload = (uint16_t)(total - 20);
		assert_int_equal(total, frags[i]->pkt_len);
		assert_int_equal(ref_cksum(h, 20), 0);
		assert_memory_equal(h + 4, orig + 4, 2); /* identification */
		assert_memory_equal(h + 12, orig + 12, 8); /* addresses */
		assert_int_equal((field & 0x1fff) * 8, expected_ofs);
		assert_int_equal((field & 0x2000) != 0, i + 1 < n);
		assert_int_equal(field & 0xc000, 0);
		if (i + 1 < n)
			assert_int_equal(payload % 8, 0);
		assert_memory_equal(h + 20, orig + 20 + expected_ofs, payload);
		expected_ofs += payload;
	}
	assert_int_equal(expected_ofs, tlen - 20);
}

/* Copy fragments into flat mbufs, as they would arrive from a NIC. */
static void
to_wire(struct rte_mbuf **frags, int n, struct rte_mbuf **wire)
{
	static uint8_t flat[TUNNEL_LEN];
	int i;

	for (i = 0; i < n; i++) {
		const void *p = rte_pktmbuf_read(frags[i], 0, frags[i]->pkt_len, flat);

		wire[i] = mbuf_from(p, frags[i]->pkt_len);
		rte_pktmbuf_free(frags[i]);
	}
}

static void
round_trip(uint16_t mtu, int expected_frags)
{
	static uint8_t inner[INNER_LEN], orig[TUNNEL_LEN];
	struct aves_reasm_params rp = {
		.general = { 16, 4 },
		.trusted = { 16, 16 },
		.timeout_cycles = 1000,
		.linear_pool = linear,
		.socket_id = SOCKET_ID_ANY,
	};
	struct aves_tunnel_stats st = { 0 };
	struct aves_reasm *r = aves_reasm_create(&rp);
	uint32_t seed = mtu;
	unsigned int order;

	assert_non_null(r);
	for (order = 0; order < 3; order++) {
		struct rte_mbuf *m = tunnel_pkt(INNER_LEN, false, inner, orig);
		struct rte_mbuf *frags[MAX_FRAGS], *wire[MAX_FRAGS], *out = NULL;
		enum aves_rx_verdict v;
		struct aves_rx_info info;
		int n, i, perm[MAX_FRAGS];

		n = aves_frag_packet(&st, m, mtu, 0, pool, indirect, frags, MAX_FRAGS);
		assert_int_equal(n, expected_frags);
		check_fragments(frags, n, mtu, orig, TUNNEL_LEN);
		to_wire(frags, n, wire);
		/* In order, reversed, or shuffled (Fisher-Yates, fixed seed). */
		for (i = 0; i < n; i++)
			perm[i] = order == 1 ? n - 1 - i : i;
		for (i = n - 1; order == 2 && i > 0; i--) {
			int j = (int)((seed = seed * 1103515245u + 12345u) >> 16) % (i + 1), t;

			t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		for (i = 0; i < n; i++) {
			out = aves_reasm_packet(r, &st, wire[perm[i]], order == 2, 100);
			if (i + 1 < n)
				assert_null(out);
		}
		assert_non_null(out);
		assert_int_equal(out->nb_segs, 1);
		assert_int_equal(out->pkt_len, TUNNEL_LEN);
		assert_memory_equal(rte_pktmbuf_mtod(out, const uint8_t *), orig, TUNNEL_LEN);

		assert_int_equal(aves_verify_burst(actx, ring, &gw_filter, &st, &out, 1, &v, &info),
				 1);
		assert_int_equal(v, AVES_RX_OK);
		assert_int_equal(out->pkt_len, INNER_LEN);
		assert_memory_equal(rte_pktmbuf_mtod(out, const uint8_t *), inner, INNER_LEN);
		rte_pktmbuf_free(out);
	}
	assert_int_equal(st.frag[AVES_FRAG_FRAGMENTED], 3);
	assert_int_equal(st.reasm[AVES_REASM_REASSEMBLED], 3);
	aves_reasm_free(r);
	assert_pools_full();
}

static void
test_round_trip_1500(void **state)
{
	(void)state;
	round_trip(1500, 3); /* 4064 bytes: 1480 + 1480 + 1084 of payload */
}

static void
test_round_trip_576(void **state)
{
	(void)state;
	round_trip(576, 8); /* 552 per fragment: 8 fragments, ip_frag's maximum */
}

static void
test_fits(void **state)
{
	struct aves_tunnel_stats st = { 0 };
	uint8_t inner[1436];
	struct rte_mbuf *m = tunnel_pkt(1436, true, inner, NULL), *out[2] = { NULL, NULL };

	(void)state;
	assert_int_equal(aves_frag_packet(&st, m, 1500, 0, pool, indirect, out, 2), 1);
	assert_ptr_equal(out[0], m);
	assert_int_equal(st.frag[AVES_FRAG_FITS], 1);
	rte_pktmbuf_free(m);
	assert_pools_full();
}

/* DF inner packet too big: nothing is fragmented, the initiator gets ICMP 3/4 with 1436. */
static void
test_df_frag_needed(void **state)
{
	static uint8_t inner[1437], before[1437 + AVES_TUNNEL_OVERHEAD];
	struct aves_tunnel_stats st = { 0 };
	struct rte_mbuf *m = tunnel_pkt(1437, true, inner, before), *out[4], *orig, *reply;
	const uint8_t *icmp;
	const uint8_t *ip;

	(void)state;
	assert_int_equal(aves_frag_packet(&st, m, 1500, 0, pool, indirect, out, 4), -EMSGSIZE);
	assert_int_equal(st.frag[AVES_FRAG_DF_SET], 1);
	assert_int_equal(m->pkt_len, sizeof(before));
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), before, sizeof(before));
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	rte_pktmbuf_free(m);

	/* The waypoint asks first and answers from the packet as the initiator sent it. */
	assert_int_equal(aves_mtu_check((const struct rte_ipv4_hdr *)inner, 1500),
			 AVES_MTU_FRAG_NEEDED);
	orig = mbuf_from(inner, sizeof(inner));
	reply = aves_icmp_frag_needed(&st, pool, orig, W_ADDR, 1500, 0x4242);
	assert_non_null(reply);
	assert_int_equal(st.frag[AVES_FRAG_ICMP_BUILT], 1);
	ip = rte_pktmbuf_mtod(reply, const uint8_t *);
	assert_int_equal(reply->pkt_len, ip[2] << 8 | ip[3]);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[9], 1);
	assert_int_equal(ref_cksum(ip, 20), 0);
	assert_memory_equal(ip + 12, &(rte_be32_t){ W_ADDR }, 4); /* from W */
	assert_memory_equal(ip + 16, inner + 12, 4);               /* to A */
	icmp = ip + 20;
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], 4);
	assert_int_equal(icmp[6] << 8 | icmp[7], 1436);
	assert_int_equal(ref_cksum(icmp, reply->pkt_len - 20), 0);
	assert_memory_equal(icmp + 8, inner, 28); /* quotes A's header and 8 bytes */
	rte_pktmbuf_free(reply);

	/* No answer to a non-first fragment (RFC 1122); none when the pool is empty. */
	inner[6] = 0x20;
	inner[7] = 0x10;
	rte_pktmbuf_mtod(orig, uint8_t *)[7] = 0x10;
	assert_null(aves_icmp_frag_needed(&st, pool, orig, W_ADDR, 1500, 1));
	assert_int_equal(st.frag[AVES_FRAG_ICMP_REFUSED], 1);
	rte_pktmbuf_free(orig);
	{
		struct rte_mempool *empty = rte_pktmbuf_pool_create("frag_empty", 1, 0, 0,
								    RTE_MBUF_DEFAULT_BUF_SIZE,
								    SOCKET_ID_ANY);
		struct rte_mbuf *hold;

		assert_non_null(empty);
		hold = rte_pktmbuf_alloc(empty);
		assert_non_null(hold);
		orig = mbuf_from(inner, sizeof(inner));
		assert_null(aves_icmp_frag_needed(&st, empty, orig, W_ADDR, 1500, 1));
		assert_int_equal(st.frag[AVES_FRAG_ICMP_NO_MBUF], 1);
		rte_pktmbuf_free(orig);
		rte_pktmbuf_free(hold);
		rte_mempool_free(empty);
	}
	assert_pools_full();
}

static void
test_refusals(void **state)
{
	static uint8_t inner[INNER_LEN], before[TUNNEL_LEN];
	struct aves_tunnel_stats st = { 0 };
	struct rte_mbuf *m = tunnel_pkt(INNER_LEN, false, inner, before), *out[MAX_FRAGS];
	struct rte_mempool *tiny;
	struct rte_mbuf *hold[2];

	(void)state;
	assert_int_equal(aves_frag_packet(&st, m, 1500, 0, pool, indirect, out, 2), -E2BIG);
	assert_int_equal(st.frag[AVES_FRAG_TOO_MANY], 1);
	assert_int_equal(aves_frag_packet(&st, m, AVES_TUNNEL_MTU_MIN - 1, 0, pool, indirect, out,
					  MAX_FRAGS), -EINVAL);
	assert_int_equal(aves_frag_packet(&st, m, 1500, 0, NULL, indirect, out, MAX_FRAGS),
			 -EINVAL);
	assert_int_equal(st.frag[AVES_FRAG_BAD_PARAM], 2);

	/* Direct pool runs dry after two fragments: everything is given back. */
	tiny = rte_pktmbuf_pool_create("frag_tiny", 2, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	assert_non_null(tiny);
	assert_int_equal(aves_frag_packet(&st, m, 1500, 0, tiny, indirect, out, MAX_FRAGS),
			 -ENOMEM);
	assert_int_equal(st.frag[AVES_FRAG_NO_MBUF], 1);
	assert_int_equal(rte_mempool_in_use_count(tiny), 0);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), before, TUNNEL_LEN);
	hold[0] = rte_pktmbuf_alloc(tiny);
	hold[1] = rte_pktmbuf_alloc(tiny);
	rte_pktmbuf_free(hold[0]);
	rte_pktmbuf_free(hold[1]);
	rte_mempool_free(tiny);

	/* Checksums left to the NIC. */
	{
		int n = aves_frag_packet(&st, m, 1500, AVES_FRAG_F_TX_IP_CKSUM, pool, indirect, out,
					 MAX_FRAGS);
		int i;

		assert_int_equal(n, 3);
		for (i = 0; i < n; i++) {
			const uint8_t *h = rte_pktmbuf_mtod(out[i], const uint8_t *);

			assert_int_equal(h[10] | h[11], 0);
			assert_true(out[i]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
			assert_true(out[i]->ol_flags & RTE_MBUF_F_TX_IPV4);
			assert_int_equal(out[i]->l3_len, 20);
			rte_pktmbuf_free(out[i]);
		}
	}
	assert_pools_full();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtu_check),
		cmocka_unit_test(test_round_trip_1500),
		cmocka_unit_test(test_round_trip_576),
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_df_frag_needed),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
