/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst tagging and verification: bursts of every interesting size with mixed lengths and
 * keys give the tags one-at-a-time computation gives, verify and decapsulate to the original
 * inner packet; every bit of the authenticated area, and of the tag, matters; every verdict
 * is reachable and leaves a refused packet alone; truncation at every length is refused.
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

/* Under ASan, the bytes around a truncated packet are poisoned so that any read outside the
 * packet is reported (Debian's DPDK is not instrumented: mbuf memory is otherwise fair game). */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define NB_KEYS 4
#define MAX_INNER 3000
#define MAX_BURST 100

static struct rte_mempool *pool;
static struct aves_auth_ctx *actx;
static struct aves_key keys[NB_KEYS];
static struct aves_keyring *ring;      /* the four keys */
static struct aves_keyring *evil_ring; /* same ids, but key 0x2002 has another secret */
static struct aves_tunnel_stats reach;  /* verdicts seen by test_every_verdict */

static const uint32_t key_ids[NB_KEYS] = { 0x1001, 0x2002, 0x3003, 0x4004 };
static const uint16_t sizes[] = { 20, 28, 40, 64, 100, 576, 1000, 1400, 1436, 1500, 2000, 3000 };

#define W_ADDR RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define R_ADDR RTE_BE32(0xc0000201) /* 192.0.2.1 */

static const struct aves_rx_filter gw_filter = {
	.dst_addr = RTE_BE32(0xc0000200),
	.dst_mask = RTE_BE32(0xffffff00),
	.port = AVES_TUNNEL_PORT,
	.type = AVES_TYPE_FORWARD,
};

static int
group_setup(void **state)
{
	uint8_t secret[64];
	struct aves_key evil;
	unsigned int i, j;

	(void)state;
	if (aves_test_eal_init() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("tag_test", 2047, 0, 0,
				       RTE_PKTMBUF_HEADROOM + MAX_INNER + 256, SOCKET_ID_ANY);
	actx = aves_auth_ctx_create();
	ring = aves_keyring_create(NB_KEYS);
	evil_ring = aves_keyring_create(NB_KEYS);
	if (pool == NULL || actx == NULL || ring == NULL || evil_ring == NULL)
		return -1;
	for (i = 0; i < NB_KEYS; i++) {
		for (j = 0; j < sizeof(secret); j++)
			secret[j] = (uint8_t)(i * 31 + j * 7 + 1);
		if (aves_key_init(actx, &keys[i], key_ids[i], AVES_ALG_HMAC_MD5, secret,
				  16 * (i + 1)) != 0 ||
		    aves_keyring_add(ring, &keys[i]) != 0)
			return -1;
		secret[0] ^= 0x80;
		if (aves_key_init(actx, &evil, key_ids[i], AVES_ALG_HMAC_MD5, secret,
				  16 * (i + 1)) != 0 ||
		    aves_keyring_add(evil_ring, i == 1 ? &evil : &keys[i]) != 0)
			return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_keyring_free(ring);
	aves_keyring_free(evil_ring);
	aves_auth_ctx_free(actx);
	rte_mempool_free(pool);
	return aves_test_eal_cleanup();
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

/* Recompute the checksum of the IPv4 header (20 bytes) at p. */
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

/* An inner IPv4/UDP-ish packet of len bytes whose content depends on seed. */
static void
make_inner(uint8_t *p, uint16_t len, unsigned int seed)
{
	unsigned int i;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[1] = (uint8_t)(seed << 2);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = (uint8_t)seed;
	p[8] = 63;
	p[9] = 17;
	p[12] = 198;
	p[13] = 51;
	p[14] = 100;
	p[15] = (uint8_t)seed;
	p[16] = 10;
	p[19] = (uint8_t)(seed * 3);
	fix_cksum(p);
	for (i = 20; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 17);
}

static struct rte_mbuf *
mbuf_from(const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	assert_true(rte_pktmbuf_tailroom(m) >= len);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
	return m;
}

/* Encapsulate (not tag) an inner packet made by make_inner(). */
static struct rte_mbuf *
make_tunnel_pkt(struct aves_encap_ctx *ctx, uint16_t len, unsigned int seed,
		const struct aves_key *key, uint8_t type, uint8_t *inner_copy)
{
	static uint8_t buf[MAX_INNER];
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_params p = {
		.key = key,
		.outer_src = type == AVES_TYPE_FORWARD ? W_ADDR : R_ADDR,
		.outer_dst = type == AVES_TYPE_FORWARD ? R_ADDR : W_ADDR,
		.waypoint = W_ADDR,
		.flow_hash = seed * 2654435761u,
		.dport = AVES_TUNNEL_PORT,
		.type = type,
	};
	struct rte_mbuf *m;

	make_inner(buf, len, seed);
	if (inner_copy != NULL)
		memcpy(inner_copy, buf, len);
	m = mbuf_from(buf, len);
	assert_int_equal(aves_encap(ctx, &stats, m, &p, 0), AVES_ENCAP_OK);
	return m;
}

static void
tag_one(struct rte_mbuf *m, const struct aves_key *key)
{
	struct aves_tunnel_stats stats = { 0 };

	assert_int_equal(aves_tag_burst(actx, &stats, &m, &key, 1), 1);
}

/* Verify one packet against gw_filter; the verdict. */
static enum aves_rx_verdict
verify_one(struct rte_mbuf *m, const struct aves_keyring *kr, const struct aves_rx_filter *f,
	   struct aves_tunnel_stats *stats, struct aves_rx_info *info)
{
	enum aves_rx_verdict v = AVES_RX_MAX;
	struct aves_rx_info scratch;
	uint16_t accepted;

	accepted = aves_verify_burst(actx, kr, f, stats, &m, 1, &v, info != NULL ? info : &scratch);
	assert_int_equal(accepted, v == AVES_RX_OK ? 1 : 0);
	return v;
}

static void
run_burst(uint16_t n)
{
	static uint8_t inner[MAX_BURST][MAX_INNER];
	struct aves_tunnel_stats stats = { 0 };
	struct rte_mbuf *pkts[MAX_BURST];
	const struct aves_key *pkt_keys[MAX_BURST];
	enum aves_rx_verdict verdicts[MAX_BURST];
	struct aves_rx_info info[MAX_BURST];
	uint16_t lens[MAX_BURST];
	struct aves_encap_ctx ctx;
	unsigned int i;

	assert_int_equal(aves_encap_ctx_init(&ctx, 2, 3, 1000), 0);
	for (i = 0; i < n; i++) {
		pkt_keys[i] = &keys[(i * 7 + n) % NB_KEYS];
		lens[i] = sizes[(i * 5 + n) % RTE_DIM(sizes)];
		pkts[i] = make_tunnel_pkt(&ctx, lens[i], i + n, pkt_keys[i], AVES_TYPE_FORWARD,
					  inner[i]);
	}
	assert_int_equal(aves_tag_burst(actx, &stats, pkts, pkt_keys, n), n);
	assert_int_equal(stats.tag[AVES_TAG_OK], n);
	for (i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint8_t tag[AVES_TAG_LEN];

		/* One at a time, through the control plane's single-job path. */
		assert_int_equal(aves_tag_compute(actx, pkt_keys[i], d + 28,
						  pkts[i]->pkt_len - 28 - AVES_TAG_LEN, tag), 0);
		assert_memory_equal(tag, d + pkts[i]->pkt_len - AVES_TAG_LEN, AVES_TAG_LEN);
	}

	assert_int_equal(aves_verify_burst(actx, ring, &gw_filter, &stats, pkts, n, verdicts, info),
			 n);
	assert_int_equal(stats.rx[AVES_RX_OK], n);
	for (i = 0; i < n; i++) {
		assert_int_equal(verdicts[i], AVES_RX_OK);
		assert_int_equal(pkts[i]->pkt_len, lens[i]);
		assert_int_equal(pkts[i]->nb_segs, 1);
		assert_memory_equal(rte_pktmbuf_mtod(pkts[i], const uint8_t *), inner[i], lens[i]);
		assert_int_equal(info[i].key_id, pkt_keys[i]->id);
		assert_int_equal(info[i].waypoint, W_ADDR);
		assert_int_equal(info[i].outer_src, W_ADDR);
		assert_int_equal(info[i].outer_dst, R_ADDR);
		assert_int_equal(info[i].type, AVES_TYPE_FORWARD);
		assert_int_equal(info[i].alg, AVES_ALG_HMAC_MD5);
		assert_true(info[i].seq == ((2ull << 56) | (1000 + i)));
		assert_true(info[i].sport >= AVES_TUNNEL_SPORT_BASE);
		rte_pktmbuf_free(pkts[i]);
	}
}

static void
test_bursts(void **state)
{
	static const uint16_t burst_sizes[] = { 1, 15, 16, 17, 32, 64, 65, MAX_BURST };
	struct aves_tunnel_stats stats = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(burst_sizes); i++)
		run_burst(burst_sizes[i]);
	assert_int_equal(aves_tag_burst(actx, &stats, NULL, NULL, 0), 0);
	assert_int_equal(aves_verify_burst(actx, ring, &gw_filter, &stats, NULL, 0, NULL, NULL), 0);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* Refused packets go behind the tagged ones, which keep their order. */
static void
test_tag_refusals(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct rte_mbuf *pkts[6], *good[3], *bad[3];
	const struct aves_key *pkt_keys[6];
	struct aves_key gmac = keys[0];
	struct aves_encap_ctx ctx;
	uint8_t junk[100] = { 0x45 };
	unsigned int i;

	(void)state;
	gmac.alg = AVES_ALG_AES_GMAC;
	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	for (i = 0; i < 3; i++)
		good[i] = make_tunnel_pkt(&ctx, 100, i, &keys[i], AVES_TYPE_FORWARD, NULL);
	bad[0] = mbuf_from(junk, AVES_TUNNEL_OVERHEAD + 19); /* too short */
	bad[1] = make_tunnel_pkt(&ctx, 100, 9, &keys[0], AVES_TYPE_FORWARD, NULL);
	bad[2] = make_tunnel_pkt(&ctx, 100, 9, &keys[0], AVES_TYPE_FORWARD, NULL);
	assert_int_equal(rte_pktmbuf_chain(bad[2], mbuf_from(junk, 10)), 0); /* chained */
	pkts[0] = good[0];
	pkt_keys[0] = &keys[0];
	pkts[1] = bad[0];
	pkt_keys[1] = &keys[0];
	pkts[2] = good[1];
	pkt_keys[2] = &keys[1];
	pkts[3] = bad[1];
	pkt_keys[3] = NULL; /* no key */
	pkts[4] = bad[2];
	pkt_keys[4] = &keys[0];
	pkts[5] = good[2];
	pkt_keys[5] = &keys[2];
	assert_int_equal(aves_tag_burst(actx, &stats, pkts, pkt_keys, 6), 3);
	assert_ptr_equal(pkts[0], good[0]);
	assert_ptr_equal(pkts[1], good[1]);
	assert_ptr_equal(pkts[2], good[2]);
	for (i = 3; i < 6; i++)
		assert_true(pkts[i] == bad[0] || pkts[i] == bad[1] || pkts[i] == bad[2]);
	assert_true(pkts[3] != pkts[4] && pkts[4] != pkts[5] && pkts[3] != pkts[5]);
	assert_int_equal(stats.tag[AVES_TAG_OK], 3);
	assert_int_equal(stats.tag[AVES_TAG_REFUSED], 3);

	pkt_keys[0] = &gmac;
	assert_int_equal(aves_tag_burst(actx, &stats, pkts, pkt_keys, 1), 0);
	for (i = 0; i < 6; i++)
		rte_pktmbuf_free(pkts[i]);
}

/* A tagged FORWARD packet with a 60-byte inner packet, as bytes. */
static uint32_t
good_packet(uint8_t *out, uint16_t inner_len, const struct aves_key *key)
{
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m;
	uint32_t len;

	assert_int_equal(aves_encap_ctx_init(&ctx, 1, 2, 77), 0);
	m = make_tunnel_pkt(&ctx, inner_len, 5, key, AVES_TYPE_FORWARD, NULL);
	tag_one(m, key);
	len = m->pkt_len;
	memcpy(out, rte_pktmbuf_mtod(m, const uint8_t *), len);
	rte_pktmbuf_free(m);
	return len;
}

/* Every bit of the AVES header and the inner packet, and every bit of the tag, matters;
 * the verdict is the first check the flipped field fails. */
static void
test_every_bit_matters(void **state)
{
	uint8_t pkt[200], copy[200];
	uint32_t len = good_packet(pkt, 60, &keys[2]);
	unsigned int bit;

	(void)state;
	for (bit = 28 * 8; bit < len * 8; bit++) {
		struct aves_tunnel_stats stats = { 0 };
		unsigned int off = bit / 8;
		enum aves_rx_verdict expected = AVES_RX_BAD_TAG;
		struct rte_mbuf *m;

		memcpy(copy, pkt, len);
		copy[off] ^= (uint8_t)(1u << (bit % 8));
		if (off == 28)
			expected = AVES_RX_BAD_VERSION;
		else if (off == 29)
			expected = AVES_RX_BAD_TYPE;
		else if (off == 30)
			expected = AVES_RX_BAD_ALG;
		else if (off >= 32 && off < 36) {
			uint32_t id = (uint32_t)copy[32] << 24 | copy[33] << 16 | copy[34] << 8 |
				      copy[35];

			expected = aves_keyring_find(ring, id) != NULL ? AVES_RX_BAD_TAG :
								       AVES_RX_UNKNOWN_KEY;
		}
		m = mbuf_from(copy, len);
		assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL), expected);
		assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), copy, len);
		rte_pktmbuf_free(m);
	}
}

/* Build, from a good packet, a packet for one verdict; mutate() may change anything. */
struct verdict_case {
	const char *name;
	enum aves_rx_verdict expected;
	void (*mutate)(uint8_t *p, uint32_t *len);
	struct aves_keyring *const *kr;
	const struct aves_rx_filter *filter;
	uint64_t ol_flags;
};

static void mut_none(uint8_t *p, uint32_t *len) { (void)p; (void)len; }
static void mut_short(uint8_t *p, uint32_t *len) { (void)p; *len = 27; }
static void mut_ihl(uint8_t *p, uint32_t *len) { (void)len; p[0] = 0x46; fix_cksum(p); }
static void mut_version4(uint8_t *p, uint32_t *len) { (void)len; p[0] = 0x55; fix_cksum(p); }
static void mut_iplen_big(uint8_t *p, uint32_t *len) { p[3] = (uint8_t)(*len + 1); fix_cksum(p); }
static void mut_iplen_small(uint8_t *p, uint32_t *len) { (void)len; p[3] = 27; fix_cksum(p); }
static void mut_mf(uint8_t *p, uint32_t *len) { (void)len; p[6] = 0x20; fix_cksum(p); }
static void mut_offset(uint8_t *p, uint32_t *len) { (void)len; p[7] = 1; fix_cksum(p); }
static void mut_df_ok(uint8_t *p, uint32_t *len) { (void)len; p[6] = 0x40; fix_cksum(p); }
static void mut_proto(uint8_t *p, uint32_t *len) { (void)len; p[9] = 6; fix_cksum(p); }
static void mut_cksum(uint8_t *p, uint32_t *len) { (void)len; p[11] ^= 1; }
static void mut_udp_len_up(uint8_t *p, uint32_t *len) { (void)len; p[25]++; }
static void mut_udp_len_down(uint8_t *p, uint32_t *len) { (void)len; p[25]--; }
static void mut_aves_version(uint8_t *p, uint32_t *len) { (void)len; p[28] = 2; }
static void mut_type_reverse(uint8_t *p, uint32_t *len) { (void)len; p[29] = AVES_TYPE_REVERSE; }
static void mut_type_keepalive(uint8_t *p, uint32_t *len) { (void)len; p[29] = 3; }
static void mut_alg_gmac(uint8_t *p, uint32_t *len) { (void)len; p[30] = AVES_ALG_AES_GMAC; }
static void mut_alg_zero(uint8_t *p, uint32_t *len) { (void)len; p[30] = 0; }
static void mut_key_unknown(uint8_t *p, uint32_t *len) { (void)len; p[34] = 0x99; }
static void mut_key_zero(uint8_t *p, uint32_t *len) { (void)len; memset(p + 32, 0, 4); }
static void mut_padding(uint8_t *p, uint32_t *len) { memset(p + *len, 0xee, 10); *len += 10; }

/* A payload of 55 bytes (< 20 + 20 + 16) with consistent lengths and checksum. */
static void
mut_short_payload(uint8_t *p, uint32_t *len)
{
	*len = 28 + 55;
	p[2] = 0;
	p[3] = (uint8_t)*len;
	p[24] = 0;
	p[25] = 8 + 55;
	fix_cksum(p);
}

static const struct aves_rx_filter other_net = {
	.dst_addr = RTE_BE32(0xc0000300), .dst_mask = RTE_BE32(0xffffff00),
	.port = AVES_TUNNEL_PORT, .type = AVES_TYPE_FORWARD,
};
static const struct aves_rx_filter host_filter = {
	.dst_addr = RTE_BE32(0xc0000201), .dst_mask = RTE_BE32(0xffffffff),
	.port = AVES_TUNNEL_PORT, .type = AVES_TYPE_FORWARD,
};
static const struct aves_rx_filter other_port = {
	.dst_addr = RTE_BE32(0xc0000200), .dst_mask = RTE_BE32(0xffffff00),
	.port = AVES_TUNNEL_PORT + 1, .type = AVES_TYPE_FORWARD,
};
static const struct aves_rx_filter reverse_filter = {
	.dst_addr = RTE_BE32(0xc0000200), .dst_mask = RTE_BE32(0xffffff00),
	.port = AVES_TUNNEL_PORT, .type = AVES_TYPE_REVERSE,
};

static const struct aves_rx_filter wp_filter = {
	.dst_addr = RTE_BE32(0xcb007100), .dst_mask = RTE_BE32(0xffffff00),
	.port = AVES_TUNNEL_PORT, .type = AVES_TYPE_REVERSE,
};

static void
run_verdict_case(const struct verdict_case *c)
{
	static uint8_t pkt[300], before[300];
	struct aves_tunnel_stats stats = { 0 };
	struct aves_rx_info info;
	uint32_t len = good_packet(pkt, 60, &keys[1]);
	enum aves_rx_verdict v;
	struct rte_mbuf *m;

	c->mutate(pkt, &len);
	memcpy(before, pkt, len);
	m = mbuf_from(pkt, len);
	m->ol_flags |= c->ol_flags;
	v = verify_one(m, c->kr != NULL ? *c->kr : ring, c->filter ? c->filter : &gw_filter,
		       &stats, &info);
	if (v != c->expected)
		fail_msg("case %s: verdict %s, expected %s", c->name, aves_rx_verdict_name(v),
			 aves_rx_verdict_name(c->expected));
	assert_int_equal(stats.rx[v], 1);
	reach.rx[v]++;
	if (v != AVES_RX_OK)
		assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), before, len);
	else
		assert_int_equal(m->pkt_len, 60);
	rte_pktmbuf_free(m);
}

/* Packets whose fields covered by the tag were changed and then re-tagged, so that the
 * check after the tag is what refuses them. */
static void
run_retagged_case(enum aves_rx_verdict expected, unsigned int off, uint8_t value)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_encap_ctx ctx;
	struct rte_mbuf *m;

	assert_int_equal(aves_encap_ctx_init(&ctx, 0, 1, 0), 0);
	m = make_tunnel_pkt(&ctx, 60, 3, &keys[3], AVES_TYPE_FORWARD, NULL);
	rte_pktmbuf_mtod(m, uint8_t *)[off] = value;
	tag_one(m, &keys[3]);
	assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL), expected);
	reach.rx[expected]++;
	rte_pktmbuf_free(m);
}

static void
test_every_verdict(void **state)
{
	const struct verdict_case cases[] = {
		{ "good", AVES_RX_OK, mut_none, NULL, NULL, 0 },
		{ "good, one host", AVES_RX_OK, mut_none, NULL, &host_filter, 0 },
		{ "good, DF on outer", AVES_RX_OK, mut_df_ok, NULL, NULL, 0 },
		{ "good, Ethernet padding", AVES_RX_OK, mut_padding, NULL, NULL, 0 },
		{ "NIC says checksum good", AVES_RX_OK, mut_cksum, NULL, NULL,
		  RTE_MBUF_F_RX_IP_CKSUM_GOOD },
		{ "27 bytes", AVES_RX_SHORT, mut_short, NULL, NULL, 0 },
		{ "payload 55", AVES_RX_SHORT, mut_short_payload, NULL, NULL, 0 },
		{ "IHL 6", AVES_RX_BAD_OUTER, mut_ihl, NULL, NULL, 0 },
		{ "IP version 5", AVES_RX_BAD_OUTER, mut_version4, NULL, NULL, 0 },
		{ "IP length > packet", AVES_RX_BAD_OUTER, mut_iplen_big, NULL, NULL, 0 },
		{ "IP length 27", AVES_RX_BAD_OUTER, mut_iplen_small, NULL, NULL, 0 },
		{ "MF", AVES_RX_BAD_OUTER, mut_mf, NULL, NULL, 0 },
		{ "offset", AVES_RX_BAD_OUTER, mut_offset, NULL, NULL, 0 },
		{ "TCP", AVES_RX_BAD_OUTER, mut_proto, NULL, NULL, 0 },
		{ "checksum", AVES_RX_BAD_OUTER, mut_cksum, NULL, NULL, 0 },
		{ "NIC says checksum bad", AVES_RX_BAD_OUTER, mut_none, NULL, NULL,
		  RTE_MBUF_F_RX_IP_CKSUM_BAD },
		{ "other network", AVES_RX_NOT_LOCAL, mut_none, NULL, &other_net, 0 },
		{ "other port", AVES_RX_BAD_PORT, mut_none, NULL, &other_port, 0 },
		{ "UDP length + 1", AVES_RX_BAD_UDP_LEN, mut_udp_len_up, NULL, NULL, 0 },
		{ "UDP length - 1", AVES_RX_BAD_UDP_LEN, mut_udp_len_down, NULL, NULL, 0 },
		{ "AVES version 2", AVES_RX_BAD_VERSION, mut_aves_version, NULL, NULL, 0 },
		{ "FORWARD at a waypoint", AVES_RX_BAD_TYPE, mut_none, NULL, &reverse_filter, 0 },
		{ "REVERSE at a gateway", AVES_RX_BAD_TYPE, mut_type_reverse, NULL, NULL, 0 },
		{ "KEEPALIVE", AVES_RX_BAD_TYPE, mut_type_keepalive, NULL, NULL, 0 },
		{ "GMAC", AVES_RX_BAD_ALG, mut_alg_gmac, NULL, NULL, 0 },
		{ "alg 0", AVES_RX_BAD_ALG, mut_alg_zero, NULL, NULL, 0 },
		{ "unknown key", AVES_RX_UNKNOWN_KEY, mut_key_unknown, NULL, NULL, 0 },
		{ "key 0", AVES_RX_UNKNOWN_KEY, mut_key_zero, NULL, NULL, 0 },
		{ "same id, other key", AVES_RX_BAD_TAG, mut_none, &evil_ring,
		  NULL, 0 },
	};
	struct rte_mbuf *m, *tail;
	struct aves_tunnel_stats stats = { 0 };
	uint8_t pkt[300];
	uint32_t len;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++)
		run_verdict_case(&cases[i]);
	run_retagged_case(AVES_RX_BAD_FLAGS, 31, 0x80);
	run_retagged_case(AVES_RX_BAD_FLAGS, 31, 0x01);
	run_retagged_case(AVES_RX_BAD_INNER_LEN, 48 + 3, 59);
	run_retagged_case(AVES_RX_BAD_INNER_LEN, 48 + 3, 61);

	/* Chained, with no room in the first segment for the rest. */
	len = good_packet(pkt, 60, &keys[1]);
	m = rte_pktmbuf_alloc(pool);
	m->data_off = (uint16_t)(m->buf_len - 40);
	memcpy(rte_pktmbuf_append(m, 30), pkt, 30);
	tail = mbuf_from(pkt + 30, len - 30);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL), AVES_RX_NOT_LINEAR);
	reach.rx[AVES_RX_NOT_LINEAR]++;
	/* ... and with room: made contiguous and accepted. */
	m->data_off = RTE_PKTMBUF_HEADROOM;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), pkt, 30);
	assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL), AVES_RX_OK);
	assert_int_equal(m->nb_segs, 1);
	rte_pktmbuf_free(m);

	for (i = 0; i < AVES_RX_MAX; i++)
		if (reach.rx[i] == 0)
			fail_msg("verdict %s never produced", aves_rx_verdict_name(i));
}

/* Decapsulation clears what described the outer header and keeps the rest. */
static void
test_decap_metadata(void **state)
{
	struct aves_tunnel_stats stats = { 0 };
	struct aves_rx_info info;
	uint8_t pkt[300], inner[100];
	uint32_t len;
	struct rte_mbuf *m;
	struct aves_encap_ctx ctx;

	(void)state;
	assert_int_equal(aves_encap_ctx_init(&ctx, 4, 5, 9), 0);
	m = make_tunnel_pkt(&ctx, 100, 11, &keys[0], AVES_TYPE_REVERSE, inner);
	tag_one(m, &keys[0]);
	len = m->pkt_len;
	memcpy(pkt, rte_pktmbuf_mtod(m, const uint8_t *), len);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD |
		       RTE_MBUF_F_RX_RSS_HASH;
	m->packet_type = RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;
	m->hash.rss = 0x5eed;
	/* A waypoint receives REVERSE packets sent to one of its W addresses. */
	assert_int_equal(verify_one(m, ring, &wp_filter, &stats, &info), AVES_RX_OK);
	assert_int_equal(m->pkt_len, 100);
	assert_int_equal(m->data_len, 100);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), inner, 100);
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, const uint8_t *, -48), pkt, 48);
	assert_int_equal(m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK),
			 0);
	assert_true(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH);
	assert_int_equal(m->hash.rss, 0x5eed);
	assert_int_equal(m->packet_type, 0);
	assert_int_equal(info.type, AVES_TYPE_REVERSE);
	assert_int_equal(info.outer_src, R_ADDR);
	assert_int_equal(info.outer_dst, W_ADDR);
	assert_int_equal(info.waypoint, W_ADDR);
	assert_int_equal(info.key_id, keys[0].id);
	assert_true(info.seq == ((4ull << 56) | 9));
	assert_int_equal(stats.rx[AVES_RX_OK], 1);
	(void)len;
	rte_pktmbuf_free(m);
}

static void
poison_outside(struct rte_mbuf *m)
{
	uint8_t *buf = m->buf_addr;

	ASAN_POISON_MEMORY_REGION(buf, m->data_off);
	ASAN_POISON_MEMORY_REGION(buf + m->data_off + m->data_len,
				  m->buf_len - m->data_off - m->data_len);
}

static void
unpoison_and_free(struct rte_mbuf *m)
{
	ASAN_UNPOISON_MEMORY_REGION(m->buf_addr, m->buf_len);
	rte_pktmbuf_free(m);
}

/* Cut anywhere, with the lengths as they were or made consistent again, never accepted. */
static void
test_truncation(void **state)
{
	uint8_t pkt[300], copy[300];
	uint32_t len = good_packet(pkt, 100, &keys[0]);
	uint32_t k;

	(void)state;
	for (k = 0; k < len; k++) {
		struct aves_tunnel_stats stats = { 0 };
		struct rte_mbuf *m = mbuf_from(pkt, k);

		poison_outside(m);
		assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL),
				 k < 28 ? AVES_RX_SHORT : AVES_RX_BAD_OUTER);
		unpoison_and_free(m);

		if (k < 28)
			continue;
		memcpy(copy, pkt, k);
		copy[2] = (uint8_t)(k >> 8);
		copy[3] = (uint8_t)k;
		copy[24] = (uint8_t)((k - 20) >> 8);
		copy[25] = (uint8_t)(k - 20);
		fix_cksum(copy);
		m = mbuf_from(copy, k);
		poison_outside(m);
		assert_int_equal(verify_one(m, ring, &gw_filter, &stats, NULL),
				 k < 28 + 56 ? AVES_RX_SHORT : AVES_RX_BAD_TAG);
		unpoison_and_free(m);
	}
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bursts),
		cmocka_unit_test(test_tag_refusals),
		cmocka_unit_test(test_every_bit_matters),
		cmocka_unit_test(test_every_verdict),
		cmocka_unit_test(test_decap_metadata),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
