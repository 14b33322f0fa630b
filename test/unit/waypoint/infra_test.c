/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK-linked pieces of app/common on their own: routes and local addresses, the rate
 * limiter, idle back-off, the punt ring, transmit buffers and their drop counting, packets the
 * appliances originate, the harness's own checksum, and the neighbour table (ARP answers,
 * learning rules, resolution with held packets, re-checks) through a net_ring port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aves_build.h"
#include "aves_icmp.h"
#include "aves_harness.h"
#include "aves_neigh.h"
#include "aves_port.h"
#include "aves_punt.h"
#include "aves_route.h"
#include "aves_runtime.h"
#include "aves_tx.h"
#include "test_eal.h"

static struct rte_mempool *pool;
static struct aves_h_port hp;
static struct rte_ether_addr port_mac;

#define A(a, b, c, d) aves_h_addr(a, b, c, d)

static int
group_setup(void **state)
{
	struct aves_port_params pp = { .n_rxq = 1, .n_txq = 1, .mtu = 1500, .rx_desc = 128,
				       .tx_desc = 128 };
	struct aves_port_info info;

	(void)state;
	if (aves_test_eal_init() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("infra_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || aves_h_port_create(&hp, "infra", 1, 1) != 0)
		return -1;
	pp.port_id = hp.port_id;
	pp.pool = pool;
	if (aves_port_by_name("net_ring_infra") != hp.port_id ||
	    aves_port_start(&pp, &info) != 0 || !info.link_up)
		return -1;
	port_mac = info.mac;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_h_port_destroy(&hp);
	rte_mempool_free(pool);
	return aves_test_eal_cleanup();
}

/* ---------------------------------------------------------------------------------------- */

static void
test_routes_longest_prefix(void **state)
{
	struct aves_route_table *rt = aves_route_create("infra_rt", 8, SOCKET_ID_ANY);
	struct aves_hop hop;

	(void)state;
	assert_non_null(rt);
	assert_int_equal(aves_route_lookup(rt, A(8, 8, 8, 8), &hop), -ENOENT);
	assert_int_equal(aves_route_add(rt, A(192, 0, 2, 0), 24, 0, 3, 1500), 0);
	assert_int_equal(aves_route_add(rt, A(0, 0, 0, 0), 0, A(192, 0, 2, 1), 3, 1500), 0);
	assert_int_equal(aves_route_add(rt, A(198, 51, 100, 0), 24, A(192, 0, 2, 2), 3, 1400),
			 0);
	assert_int_equal(aves_route_add(rt, A(198, 51, 100, 128), 25, A(192, 0, 2, 3), 3, 9000),
			 0);
	/* On-link: the destination is its own next hop. */
	assert_int_equal(aves_route_lookup(rt, A(192, 0, 2, 77), &hop), 0);
	assert_int_equal(hop.nh, A(192, 0, 2, 77));
	assert_int_equal(hop.port, 3);
	/* Longest prefix wins, default route catches the rest (both halves of the space). */
	assert_int_equal(aves_route_lookup(rt, A(198, 51, 100, 200), &hop), 0);
	assert_int_equal(hop.nh, A(192, 0, 2, 3));
	assert_int_equal(hop.mtu, 9000);
	assert_int_equal(aves_route_lookup(rt, A(198, 51, 100, 5), &hop), 0);
	assert_int_equal(hop.nh, A(192, 0, 2, 2));
	assert_int_equal(aves_route_lookup(rt, A(8, 8, 8, 8), &hop), 0);
	assert_int_equal(hop.nh, A(192, 0, 2, 1));
	assert_int_equal(aves_route_lookup(rt, A(200, 1, 1, 1), &hop), 0);
	assert_int_equal(hop.nh, A(192, 0, 2, 1));
	/* Refused: a repeat, a /1 next to the default route, host bits. */
	assert_int_equal(aves_route_add(rt, A(192, 0, 2, 0), 24, 0, 3, 1500), -EEXIST);
	assert_int_equal(aves_route_add(rt, A(128, 0, 0, 0), 1, A(192, 0, 2, 9), 3, 1500),
			 -EEXIST);
	assert_int_equal(aves_route_add(rt, A(192, 0, 2, 1), 24, 0, 3, 1500), -EINVAL);
	assert_int_equal(aves_route_count(rt), 4);
	aves_route_free(rt);
	aves_route_free(NULL);
}

static void
test_address_map(void **state)
{
	struct aves_addr_map *m = aves_addr_map_create("infra_map", 4, SOCKET_ID_ANY);
	uint32_t v;

	(void)state;
	assert_non_null(m);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 1), 7), 0);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 2), AVES_ADDR_VALUE_MAX), 0);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 1), 8), -EEXIST);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 3), AVES_ADDR_VALUE_MAX + 1), -EINVAL);
	assert_int_equal(aves_addr_map_lookup(m, A(192, 0, 2, 1), &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(aves_addr_map_lookup(m, A(192, 0, 2, 2), &v), 0);
	assert_int_equal(v, AVES_ADDR_VALUE_MAX);
	assert_int_equal(aves_addr_map_lookup(m, A(192, 0, 2, 3), &v), -ENOENT);
	/* Full at max_addrs; address 0 and value 0 are ordinary. */
	assert_int_equal(aves_addr_map_add(m, 0, 0), 0);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 4), 4), 0);
	assert_int_equal(aves_addr_map_add(m, A(192, 0, 2, 5), 5), -ENOSPC);
	assert_int_equal(aves_addr_map_lookup(m, 0, &v), 0);
	assert_int_equal(v, 0);
	aves_addr_map_free(m);
	aves_addr_map_free(NULL);

	/* A large map against a model: every address added is found with its value, probes
	 * that collide are resolved, nothing else is found. */
	m = aves_addr_map_create("infra_map_big", 65536, SOCKET_ID_ANY);
	assert_non_null(m);
	for (uint32_t i = 0; i < 65536; i++)
		assert_int_equal(aves_addr_map_add(m, rte_cpu_to_be_32(0xc6336400u + i * 3),
						   i & AVES_ADDR_VALUE_MAX), 0);
	assert_int_equal(aves_addr_map_add(m, A(10, 0, 0, 1), 1), -ENOSPC);
	for (uint32_t i = 0; i < 3 * 65536; i++) {
		int r = aves_addr_map_lookup(m, rte_cpu_to_be_32(0xc6336400u + i), &v);

		if (i % 3 == 0) {
			assert_int_equal(r, 0);
			assert_int_equal(v, i / 3);
		} else {
			assert_int_equal(r, -ENOENT);
		}
	}
	assert_null(aves_addr_map_create("infra_map_bad", 65537, SOCKET_ID_ANY));
	assert_null(aves_addr_map_create("infra_map_bad", 0, SOCKET_ID_ANY));
	aves_addr_map_free(m);
}

static void
test_rate_limiter(void **state)
{
	struct aves_ratelimit rl;
	unsigned int i, ok = 0;

	(void)state;
	aves_ratelimit_init(&rl, 100, 5); /* one per 10 ms, 5 back to back */
	for (i = 0; i < 10; i++)
		ok += aves_ratelimit_take(&rl, 1000000);
	assert_int_equal(ok, 5);
	assert_false(aves_ratelimit_take(&rl, 1000000 + 9999));
	assert_true(aves_ratelimit_take(&rl, 1000000 + 10000));
	assert_false(aves_ratelimit_take(&rl, 1000000 + 10000));
	/* A long quiet period refills the burst, not more. */
	for (ok = 0, i = 0; i < 10; i++)
		ok += aves_ratelimit_take(&rl, 9000000);
	assert_int_equal(ok, 5);
}

/*
 * The appliances' millisecond clock keeps the kernel's pace: over 1.5 s it may differ from
 * CLOCK_MONOTONIC_RAW by its own granularity, not by the nominal TSC rate's error (0.19 % on the
 * VM this was found on: 2.9 ms here).
 */
static void
test_clock_rate(void **state)
{
	struct aves_clock c;
	struct timespec a, b, pause = { .tv_sec = 1, .tv_nsec = 500 * 1000 * 1000 };
	uint64_t ms0, ms1;
	int64_t mono_ms, drift;

	(void)state;
	aves_clock_init(&c);
	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	ms0 = aves_clock_ms(&c);
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	ms1 = aves_clock_ms(&c);
	mono_ms = (int64_t)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	drift = (int64_t)(ms1 - ms0) - mono_ms;
	assert_true(drift >= -2 && drift <= 2);
}

static void
test_idle_backoff(void **state)
{
	struct aves_idle idle;
	unsigned int i;

	(void)state;
	aves_idle_init(&idle, 2, 4, 0);
	for (i = 0; i < 10; i++)
		aves_idle_poll(&idle, 0);
	assert_int_equal(idle.empty, 10);
	aves_idle_poll(&idle, 3);
	assert_int_equal(idle.empty, 0);
	/* With a sleep configured, the empty polls past sleep_after sleep (briefly here). */
	aves_idle_init(&idle, 1, 2, 1);
	for (i = 0; i < 4; i++)
		aves_idle_poll(&idle, 0);
	assert_int_equal(idle.empty, 4);
}

static void
test_punt_ring_order_and_bound(void **state)
{
	struct rte_ring *r = aves_punt_create("infra_punt", 3, SOCKET_ID_ANY);
	struct aves_punt in[5], out[5];
	unsigned int i, left;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 5; i++)
		in[i] = (struct aves_punt){ .m = rte_pktmbuf_alloc(pool), .arg = i, .port = 9,
					    .kind = 2, .from = 1 };
	/* Three fit; the producer keeps (and must free) the rest. */
	assert_int_equal(aves_punt_put(r, in, 5), 3);
	rte_pktmbuf_free(in[3].m);
	rte_pktmbuf_free(in[4].m);
	assert_int_equal(aves_punt_take(r, out, 2, &left), 2);
	assert_int_equal(left, 1);
	assert_int_equal(out[0].arg, 0);
	assert_int_equal(out[1].arg, 1);
	assert_ptr_equal(out[1].m, in[1].m);
	rte_pktmbuf_free(out[0].m);
	rte_pktmbuf_free(out[1].m);
	/* What is left is freed with the ring. */
	aves_punt_free(r);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
test_tx_counts_and_drops(void **state)
{
	struct aves_port_ctr ctr[RTE_MAX_ETHPORTS];
	struct aves_tx *tx = rte_zmalloc("infra_tx", sizeof(*tx), 0);
	unsigned int i;

	(void)state;
	memset(ctr, 0, sizeof(ctr));
	aves_tx_init(tx, 0, ctr);
	/* The TX ring holds 1023 frames: the rest is freed and counted, never retried. */
	for (i = 0; i < 1030; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		assert_non_null(rte_pktmbuf_append(m, 60));
		aves_tx_push(tx, hp.port_id, m);
	}
	aves_tx_flush(tx);
	assert_int_equal(ctr[hp.port_id].tx_pkts, 1023);
	assert_int_equal(ctr[hp.port_id].tx_bytes, 1023 * 60);
	assert_int_equal(ctr[hp.port_id].tx_dropped, 7);
	assert_int_equal(aves_h_drain(&hp), 1023);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	rte_free(tx);
}

static void
test_built_packets(void **state)
{
	struct rte_mbuf *m = aves_build_udp(pool, A(192, 0, 2, 1), 4796, A(198, 51, 100, 53),
					    5353, "hello", 5, 77);
	const uint8_t *ip;
	int refusal;

	(void)state;
	assert_non_null(m);
	ip = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 33);
	assert_true(aves_h_ipv4_ok(ip));
	assert_int_equal(ip[4] << 8 | ip[5], 77);
	assert_int_equal(ip[8], AVES_BUILD_TTL);
	assert_memory_equal(ip + 28, "hello", 5);
	/* Never an ICMP error about an ICMP error. */
	{
		uint8_t err[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 192, 0, 2, 7,
				    192, 0, 2, 1, 3, 1 };

		aves_h_ipv4_fix(err);
		assert_null(aves_build_icmp_error(pool, err, sizeof(err), A(192, 0, 2, 1), 3, 1,
						  0, 1, &refusal));
		assert_int_equal(refusal, AVES_ICMP_REFUSE_ORIG_ICMP_ERROR);
	}
	/* An error about the datagram above: quoted whole, both checksums right. */
	{
		struct rte_mbuf *e = aves_build_icmp_error(pool, ip, 33, A(192, 0, 2, 9), 3, 1, 0,
							   5, &refusal);

		assert_non_null(e);
		assert_int_equal(rte_pktmbuf_pkt_len(e), 28 + 33);
		assert_true(aves_h_ipv4_ok(rte_pktmbuf_mtod(e, const uint8_t *)));
		assert_memory_equal(rte_pktmbuf_mtod_offset(e, const uint8_t *, 28), ip, 33);
		rte_pktmbuf_free(e);
	}
	/* The Ethernet header goes in front. */
	{
		struct rte_ether_addr dst = { .addr_bytes = { 2, 1, 2, 3, 4, 5 } };

		assert_int_equal(aves_eth_prepend(m, &port_mac, &dst, RTE_ETHER_TYPE_IPV4), 0);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), &dst, 6);
		assert_int_equal(rte_pktmbuf_pkt_len(m), 47);
	}
	rte_pktmbuf_free(m);
}

static void
test_harness_checksum_known_answer(void **state)
{
	/* A well-known IPv4 header whose checksum is 0xb861. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t ck = aves_h_cksum(h, sizeof(h));

	(void)state;
	assert_int_equal(rte_be_to_cpu_16(ck), 0xb861);
}

/* ---------------------------------------------------------------------------------------- */
/* Neighbours                                                                                */
/* ---------------------------------------------------------------------------------------- */

static const struct rte_ether_addr peer_mac = { .addr_bytes = { 2, 0, 0, 0, 0, 0x33 } };
static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr bcast_mac = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff,
								 0xff, 0xff } };

struct nfix {
	struct aves_addr_map *local;
	struct rte_rcu_qsbr *qsbr;
	struct aves_neigh_table *nt;
	struct aves_tx *tx;
	struct aves_port_ctr ctr[RTE_MAX_ETHPORTS];
};
static struct nfix N;

static int
neigh_setup(void **state)
{
	struct aves_neigh_params p = {
		.name = "infra_neigh",
		.capacity = 4,
		.hold_max = 2,
		.max_probes = 2,
		.retry_ms = 100,
		.reachable_ms = 1000,
		.failed_ms = 500,
		.socket_id = SOCKET_ID_ANY,
		.pool = pool,
	};

	(void)state;
	memset(&N, 0, sizeof(N));
	N.local = aves_addr_map_create("infra_local", 4, SOCKET_ID_ANY);
	N.qsbr = rte_zmalloc("infra_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	N.tx = rte_zmalloc("infra_ntx", sizeof(*N.tx), 0);
	if (N.local == NULL || N.qsbr == NULL || N.tx == NULL ||
	    rte_rcu_qsbr_init(N.qsbr, 1) != 0 ||
	    aves_addr_map_add(N.local, A(192, 0, 2, 10), 1) != 0 ||
	    aves_addr_map_add(N.local, A(192, 0, 2, 100), 2) != 0)
		return -1;
	p.qsbr = N.qsbr;
	p.local = N.local;
	N.nt = aves_neigh_create(&p);
	if (N.nt == NULL ||
	    aves_neigh_port(N.nt, hp.port_id, &port_mac, A(192, 0, 2, 10), 24) != 0)
		return -1;
	aves_tx_init(N.tx, 0, N.ctr);
	return 0;
}

static int
neigh_teardown(void **state)
{
	(void)state;
	aves_neigh_free(N.nt);
	aves_addr_map_free(N.local);
	rte_free(N.qsbr);
	rte_free(N.tx);
	aves_h_drain(&hp);
	return rte_mempool_in_use_count(pool) == 0 ? 0 : -1;
}

static uint64_t
nctr(enum aves_neigh_ctr c)
{
	uint64_t v[AVES_NEIGH_CTR_MAX];

	aves_neigh_counters(N.nt, v);
	return v[c];
}

/* Feed an ARP frame to the table as the control lcore would; flush what it sends. */
static void
arp_in(uint16_t op, const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *sha,
       uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip, uint64_t now)
{
	struct aves_h_eth eth = { .dst = *eth_dst, .src = *sha };
	uint8_t frame[64];
	size_t len = aves_h_arp_frame(frame, &eth, op, sha, sip, tha, tip);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *data = m != NULL ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;

	if (data == NULL)
		fail();
	memcpy(data, frame, len);
	aves_neigh_arp_input(N.nt, N.tx, hp.port_id, m, now);
	aves_tx_flush(N.tx);
}

/* A 30-byte IPv4 packet (data at IPv4), tagged with @p id. */
static struct rte_mbuf *
packet(uint16_t id)
{
	const uint32_t src = A(192, 0, 2, 10), dst = A(192, 0, 2, 33);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *data = m != NULL ? rte_pktmbuf_append(m, 30) : NULL;
	uint8_t ip[30];

	if (data == NULL)
		fail();
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[3] = 30;
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[8] = 64;
	ip[9] = 253;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	aves_h_ipv4_fix(ip);
	memcpy(data, ip, sizeof(ip));
	return m;
}

static void
expect_request(const struct rte_ether_addr *dst, uint32_t target)
{
	struct aves_h_eth eth = { .dst = *dst, .src = port_mac };
	uint8_t got[128], want[64];
	size_t len = aves_h_arp_frame(want, &eth, 1, &port_mac, A(192, 0, 2, 10), &zero_mac,
				      target);

	assert_int_equal(aves_h_take(&hp, 0, got, sizeof(got)), (int)len);
	assert_memory_equal(got, want, len);
}

static void
test_neigh_answers_for_our_addresses(void **state)
{
	struct aves_h_eth eth = { .dst = peer_mac, .src = port_mac };
	uint8_t got[128], want[64];
	struct rte_ether_addr mac;
	size_t len;

	(void)state;
	/* A request for one of our addresses is answered from the port's MAC... */
	arp_in(1, &bcast_mac, &peer_mac, A(192, 0, 2, 33), &zero_mac, A(192, 0, 2, 100), 0);
	len = aves_h_arp_frame(want, &eth, 2, &port_mac, A(192, 0, 2, 100), &peer_mac,
			       A(192, 0, 2, 33));
	assert_int_equal(aves_h_take(&hp, 0, got, sizeof(got)), (int)len);
	assert_memory_equal(got, want, len);
	/* ... and its on-link sender learned (RFC 826). */
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 33), &mac),
			 AVES_NEIGH_OK);
	assert_memory_equal(&mac, &peer_mac, 6);
	assert_int_equal(nctr(AVES_NEIGH_LEARNED), 1);
	/* An address probe (sender 0.0.0.0) is answered, and teaches nothing. */
	arp_in(1, &bcast_mac, &peer_mac, 0, &zero_mac, A(192, 0, 2, 10), 0);
	assert_int_equal(aves_h_pending(&hp, 0), 1);
	aves_h_drain(&hp);
	/* Not for us: ignored. Off-link sender, unsolicited reply, someone claiming our
	 * address, a group sender MAC: none learned. */
	arp_in(1, &bcast_mac, &peer_mac, A(192, 0, 2, 34), &zero_mac, A(192, 0, 2, 99), 0);
	arp_in(1, &bcast_mac, &peer_mac, A(10, 9, 9, 9), &zero_mac, A(192, 0, 2, 10), 0);
	arp_in(2, &port_mac, &peer_mac, A(192, 0, 2, 35), &port_mac, A(192, 0, 2, 10), 0);
	arp_in(2, &bcast_mac, &peer_mac, A(192, 0, 2, 100), &zero_mac, A(192, 0, 2, 100), 0);
	arp_in(1, &bcast_mac, &bcast_mac, A(192, 0, 2, 36), &zero_mac, A(192, 0, 2, 10), 0);
	assert_int_equal(nctr(AVES_NEIGH_NOT_FOR_US), 1);
	assert_int_equal(nctr(AVES_NEIGH_OFF_LINK), 1);
	assert_int_equal(nctr(AVES_NEIGH_UNSOLICITED), 1);
	assert_int_equal(nctr(AVES_NEIGH_CONFLICT), 1);
	assert_int_equal(nctr(AVES_NEIGH_BAD_SENDER), 1);
	assert_int_equal(aves_neigh_count(N.nt), 1);
	/* The off-link request for our address still gets its answer. */
	assert_int_equal(aves_h_pending(&hp, 0), 1);
}

static void
test_neigh_resolution_holds_and_releases(void **state)
{
	struct rte_ether_addr mac;
	uint8_t got[128];
	unsigned int i;

	(void)state;
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 33), &mac),
			 AVES_NEIGH_PENDING);
	/* Three packets for an unknown neighbour: one request, two held, one dropped. */
	for (i = 0; i < 3; i++)
		aves_neigh_output(N.nt, N.tx, hp.port_id, A(192, 0, 2, 33), packet((uint16_t)i),
				  0);
	aves_tx_flush(N.tx);
	expect_request(&bcast_mac, A(192, 0, 2, 33));
	assert_int_equal(aves_h_pending(&hp, 0), 0);
	assert_int_equal(nctr(AVES_NEIGH_HELD), 2);
	assert_int_equal(nctr(AVES_NEIGH_HOLD_FULL), 1);
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 33), &mac),
			 AVES_NEIGH_PENDING);
	/* The answer releases them, in order, framed for the neighbour. */
	arp_in(2, &port_mac, &peer_mac, A(192, 0, 2, 33), &port_mac, A(192, 0, 2, 10), 50);
	for (i = 0; i < 2; i++) {
		assert_int_equal(aves_h_take(&hp, 0, got, sizeof(got)), 14 + 30);
		assert_memory_equal(got, &peer_mac, 6);
		assert_memory_equal(got + 6, &port_mac, 6);
		assert_int_equal(got[14 + 5], i);
	}
	assert_int_equal(nctr(AVES_NEIGH_RELEASED), 2);
	/* Resolved: sent at once from now on. */
	assert_int_equal(aves_neigh_output(N.nt, N.tx, hp.port_id, A(192, 0, 2, 33), packet(9),
					   60), AVES_NEIGH_OUT_SENT);
	aves_tx_flush(N.tx);
	assert_int_equal(aves_h_drain(&hp), 1);

	/* After reachable_ms it is re-checked with unicast requests while still in use... */
	assert_int_equal(aves_neigh_timers(N.nt, N.tx, 1049, 16), 0);
	assert_int_equal(aves_neigh_timers(N.nt, N.tx, 1050, 16), 1);
	aves_tx_flush(N.tx);
	expect_request(&peer_mac, A(192, 0, 2, 33));
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 33), &mac),
			 AVES_NEIGH_OK);
	/* ... an answer confirms it ... */
	arp_in(2, &port_mac, &peer_mac, A(192, 0, 2, 33), &port_mac, A(192, 0, 2, 10), 1100);
	assert_int_equal(nctr(AVES_NEIGH_CONFIRMED), 1);
	/* ... and silence deletes it after max_probes requests. */
	aves_neigh_timers(N.nt, N.tx, 2100, 16);
	aves_neigh_timers(N.nt, N.tx, 2200, 16);
	aves_neigh_timers(N.nt, N.tx, 2300, 16);
	aves_tx_flush(N.tx);
	assert_int_equal(aves_h_drain(&hp), 2);
	assert_int_equal(nctr(AVES_NEIGH_DELETED), 1);
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 33), &mac),
			 AVES_NEIGH_PENDING);
}

static void
test_neigh_failure_and_cap(void **state)
{
	struct rte_ether_addr mac;
	unsigned int i;

	(void)state;
	aves_neigh_output(N.nt, N.tx, hp.port_id, A(192, 0, 2, 44), packet(1), 0);
	/* Retries retry_ms apart, max_probes requests in all, then failed. */
	aves_neigh_timers(N.nt, N.tx, 99, 16);
	aves_neigh_timers(N.nt, N.tx, 100, 16);
	aves_neigh_timers(N.nt, N.tx, 200, 16);
	aves_tx_flush(N.tx);
	assert_int_equal(aves_h_drain(&hp), 2);
	assert_int_equal(nctr(AVES_NEIGH_FAILED), 1);
	assert_int_equal(nctr(AVES_NEIGH_FAILED_DROP), 1);
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 44), &mac),
			 AVES_NEIGH_UNREACHABLE);
	assert_int_equal(aves_neigh_output(N.nt, N.tx, hp.port_id, A(192, 0, 2, 44), packet(2),
					   300), AVES_NEIGH_OUT_DROPPED);
	/* failed_ms later the entry is gone, and a new resolution may start. */
	aves_neigh_timers(N.nt, N.tx, 700, 16);
	assert_int_equal(aves_neigh_lookup(N.nt, hp.port_id, A(192, 0, 2, 44), &mac),
			 AVES_NEIGH_PENDING);
	/* The cap: four entries, the fifth is refused and counted. */
	for (i = 0; i < 5; i++)
		aves_neigh_resolve(N.nt, N.tx, hp.port_id, A(192, 0, 2, (uint8_t)(50 + i)), 800);
	aves_tx_flush(N.tx);
	aves_h_drain(&hp);
	assert_int_equal(aves_neigh_count(N.nt), 4);
	assert_int_equal(nctr(AVES_NEIGH_TABLE_FULL), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_longest_prefix),
		cmocka_unit_test(test_address_map),
		cmocka_unit_test(test_rate_limiter),
		cmocka_unit_test(test_idle_backoff),
		cmocka_unit_test(test_clock_rate),
		cmocka_unit_test(test_punt_ring_order_and_bound),
		cmocka_unit_test(test_tx_counts_and_drops),
		cmocka_unit_test(test_built_packets),
		cmocka_unit_test(test_harness_checksum_known_answer),
		cmocka_unit_test_setup_teardown(test_neigh_answers_for_our_addresses, neigh_setup,
						neigh_teardown),
		cmocka_unit_test_setup_teardown(test_neigh_resolution_holds_and_releases,
						neigh_setup, neigh_teardown),
		cmocka_unit_test_setup_teardown(test_neigh_failure_and_cap, neigh_setup,
						neigh_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
