/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two workers, each with its own RX queue on both ports, and the two directions of every
 * session arriving on different ones — as RSS spreads them. Both workers only read the
 * session; its liveness and its TCP state (FIN tracking needs both directions) are updated
 * with atomics, and the connection closes exactly once. The same for an AVES reply path:
 * tunnel packets on one worker, the responder's replies on the other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ngt.h"

static int
group_setup(void **state)
{
	(void)state;
	return ngt_init(2);
}

static int
group_teardown(void **state)
{
	(void)state;
	ngt_fini();
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	return ngt_start(NULL);
}

static int
teardown(void **state)
{
	(void)state;
	ngt_stop();
	return 0;
}

/* A TCP segment into port @p p on worker @p q's queue; the frame that comes out, taken. */
static void
segment(int p, unsigned int q, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	uint8_t flags, unsigned int expect_q)
{
	const struct rte_ether_addr *mac = p == NGT_OUT ? &ngt_router_mac : &ngt_h_mac;
	struct aves_h_eth eth = ngt_eth_in(p, mac);
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 1 };
	uint8_t frame[NGT_FRAME_MAX];

	ngt_inject_q(p, q, frame, aves_h_tcp_frame(frame, &eth, &ip, sport, dport, 1, 1, flags,
						   NULL, 0));
	ngt_run();
	assert_true(ngt_take(p == NGT_OUT ? NGT_IN : NGT_OUT, expect_q, frame) > 0);
	assert_int_equal(ngt_pending(), 0);
}

static void
test_napt_directions_on_two_workers(void **state)
{
	const uint8_t ack = RTE_TCP_ACK_FLAG, fin = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	struct ngw_session *s;

	(void)state;
	/* The SYN is punted (the control lcore sends it), the rest stays on the workers. */
	segment(NGT_IN, 0, NGT_HOST, 45000, NGT_X, 22, RTE_TCP_SYN_FLAG, T.n_workers);
	segment(NGT_OUT, 1, NGT_X, 22, NGT_R, 45000, RTE_TCP_SYN_FLAG | ack, 1);
	segment(NGT_IN, 0, NGT_HOST, 45000, NGT_X, 22, ack, 0);
	s = ngt_session(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 22);
	assert_int_equal(atomic_load(&s->live.open_tcp), 1);
	segment(NGT_IN, 0, NGT_HOST, 45000, NGT_X, 22, fin, 0);
	segment(NGT_OUT, 1, NGT_X, 22, NGT_R, 45000, fin, 1);
	assert_int_equal(atomic_load(&s->tcp), AVES_TCP_CLOSED);
	assert_int_equal(atomic_load(&s->live.open_tcp), 0);
	/* Retransmitted FINs on either worker change nothing. */
	segment(NGT_OUT, 1, NGT_X, 22, NGT_R, 45000, fin, 1);
	segment(NGT_IN, 0, NGT_HOST, 45000, NGT_X, 22, fin, 0);
	assert_int_equal(atomic_load(&s->live.open_tcp), 0);
	assert_true(aves_live_fin_ended(&s->live));
	assert_int_equal(ngw_lcore_stats(T.app, 0)->ctr[NGW_CTR_NAPT_OUT], 3);
	assert_int_equal(ngw_lcore_stats(T.app, 1)->ctr[NGW_CTR_NAPT_IN], 3);
}

static void
test_aves_directions_on_two_workers(void **state)
{
	struct aves_h_eth e0 = { 0 }, in = ngt_eth_in(NGT_IN, &ngt_b_mac);
	struct aves_h_ip ip = { .src = NGT_A, .dst = NGT_B, .id = 2 };
	uint8_t frame[NGT_FRAME_MAX], inner[NGT_FRAME_MAX];
	size_t len;
	unsigned int k;

	(void)state;
	for (k = 0; k < 3; k++) {
		len = aves_h_udp_frame(frame, &e0, &ip, 5000, 53, "query", 5) - 14;
		memcpy(inner, frame + 14, len);
		ngt_inject_q(NGT_OUT, 1, frame,
			     ngt_tunnel_frame(frame, inner, (uint16_t)len, NGT_W, &T.k101));
		ngt_run();
		assert_true(ngt_take(NGT_IN, k == 0 ? T.n_workers : 1, frame) > 0);
		ip = (struct aves_h_ip){ .src = NGT_B, .dst = NGT_A, .id = 3 };
		ngt_inject_q(NGT_IN, 0, frame, aves_h_udp_frame(frame, &in, &ip, 53, 5000, "a", 1));
		ngt_run();
		assert_true(ngt_take(NGT_OUT, 0, frame) > 0);
		assert_memory_equal(frame + 14 + 12, &NGT_W, 4);
		assert_int_equal(ngt_pending(), 0);
		ip = (struct aves_h_ip){ .src = NGT_A, .dst = NGT_B, .id = 2 };
	}
	assert_int_equal(ngw_lcore_stats(T.app, 1)->ctr[NGW_CTR_AVES_IN], 2);
	assert_int_equal(ngw_lcore_stats(T.app, 0)->ctr[NGW_CTR_AVES_OUT], 3);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_CREATED), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_napt_directions_on_two_workers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_aves_directions_on_two_workers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
