/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delayed binding (the paper §3.3.2, §5.2, §6.2, Figure 6) through the real pipeline, one
 * worker: SETUP -> ACCEPT with the wait, the first new connection bound (by the control lcore,
 * which forwards it on its own queue), a violator discarded with ICMP host unreachable, SETUPs
 * ignored during the wait, the wait ending exactly at Twait, the reject period, the stray
 * penalty, rate-limited ICMP, and a full table. Time is stepped, never slept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_tcp.h>

#include "wpt.h"

#define CONTROL_Q 1
#define CONTROL_SENDER 1	/* the control lcore's sender index (after the one worker) */
#define TWAIT 2000
#define TREJECT (3 * 60 * 1000)
#define PENALTY (3 * 60 * 60 * 1000)

static uint32_t resolver;

static int
group_setup(void **state)
{
	(void)state;
	if (wpt_init(1, NULL) != 0)
		return -1;
	resolver = aves_h_addr(198, 51, 100, 99);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	wpt_fini();
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	return wpt_start(NULL);
}

static int
teardown(void **state)
{
	(void)state;
	wpt_stop();
	return 0;
}

static size_t
udp_from(uint8_t *buf, uint32_t src, uint32_t w, uint16_t sport)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = src, .dst = w, .id = 0x0303 };

	return aves_h_udp_frame(buf, &eth, &ip, sport, 53, "query", 5);
}

static size_t
tcp_from(uint8_t *buf, uint32_t src, uint32_t w, uint16_t sport, uint8_t flags)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = src, .dst = w, .id = 0x0404, .frag = 0x4000 };

	return aves_h_tcp_frame(buf, &eth, &ip, sport, 22, 1, 0, flags, NULL, 0);
}

/* A delayed-binding SETUP for W toward (R, B); asserts the ACCEPT carrying Twait. */
static uint64_t
delayed_setup(uint32_t w, uint32_t b)
{
	uint64_t s = wpt_send_setup(AVES_CTRL_MODE_DELAYED, w, resolver, WPT_R, b, 101);

	wpt_run();
	wpt_expect_reply(AVES_CTRL_ACCEPT, s, w, TWAIT);
	return s;
}

static bool
waiting(unsigned int w)
{
	return atomic_load(&T.app->addrs[w].wait_until_ms) != 0;
}

/* Check the next frame on queue @p q is @p frame relayed W -> B as packet k of @p sender. */
static void
expect_tunnel(unsigned int q, const uint8_t *frame, size_t len, uint32_t w, uint32_t b,
	      unsigned int sender, uint64_t k)
{
	uint8_t inner[WPT_FRAME_MAX], want[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	uint16_t inner_len = wpt_rewritten(inner, frame, len, b);
	size_t want_len = wpt_tunnel_frame(want, inner, inner_len, w, WPT_R, AVES_TUNNEL_PORT,
					   &T.gw101, &wpt_router_mac,
					   (uint16_t)(sender + k * (T.n_workers + 1)),
					   wpt_seq(sender, k));

	wpt_assert_frame(got, wpt_take(q, got), want, want_len);
}

/* Check the next frame on queue @p q is ICMP host unreachable from W about @p frame. */
static void
expect_unreachable(unsigned int q, const uint8_t *frame, size_t len, uint32_t w, uint16_t id)
{
	struct aves_h_eth eth = wpt_to(&wpt_router_mac);
	uint8_t msg[WPT_FRAME_MAX], got[WPT_FRAME_MAX], want[WPT_FRAME_MAX];
	struct aves_h_ip ip = { .src = w, .id = id, .tos = 0xc0 };
	size_t quote = len - 14, want_len;

	memcpy(&ip.dst, frame + 14 + 12, 4);
	memset(msg, 0, 8);
	msg[0] = 3;
	msg[1] = 1;
	memcpy(msg + 8, frame + 14, quote);
	want_len = aves_h_ip_frame(want, &eth, &ip, IPPROTO_ICMP, msg, (uint16_t)(8 + quote));
	aves_h_ipv4_fix(want + 14);
	wpt_assert_frame(got, wpt_take(q, got), want, want_len);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_wait_binds_new_connections(void **state)
{
	uint8_t syn[WPT_FRAME_MAX], frame[WPT_FRAME_MAX];
	size_t syn_len, len;
	struct wp_binding *e;
	uint64_t accepted = T.now;

	(void)state;
	delayed_setup(WPT_W1, WPT_B);
	assert_true(waiting(0));
	assert_int_equal(atomic_load(&T.app->addrs[0].wait_until_ms), accepted + TWAIT);
	assert_null(wpt_binding(WPT_W1, WPT_A));

	/* A's SYN: the worker cannot bind, the control lcore does and forwards it itself. */
	T.now += 100;
	syn_len = tcp_from(syn, WPT_A, WPT_W1, 40000, RTE_TCP_SYN_FLAG);
	assert_int_equal(wpt_inject(0, syn, syn_len), 0);
	wpt_run();
	expect_tunnel(CONTROL_Q, syn, syn_len, WPT_W1, WPT_B, CONTROL_SENDER, 0);
	assert_int_equal(wpt_pending(), 0);
	e = wpt_binding(WPT_W1, WPT_A);
	assert_non_null(e);
	assert_int_equal(e->b.nat, WPT_R);
	assert_int_equal(e->b.responder, WPT_B);
	assert_int_equal(wpt_verdict(AVES_VERDICT_BIND), 1);
	assert_int_equal(wpt_ctr(WP_CTR_PUNT_DECIDE), 1);

	/* Its next segment is the worker's, and counts the connection that SYN opened. */
	len = tcp_from(frame, WPT_A, WPT_W1, 40000, RTE_TCP_ACK_FLAG);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_tunnel(0, frame, len, WPT_W1, WPT_B, 0, 0);
	assert_int_equal(atomic_load(&e->live.open_tcp), 1);

	/* A second connection from A while W still waits: judged by the machine (same R, B),
	 * forwarded, not bound again. */
	len = tcp_from(frame, WPT_A, WPT_W1, 40001, RTE_TCP_SYN_FLAG);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_tunnel(CONTROL_Q, frame, len, WPT_W1, WPT_B, CONTROL_SENDER, 1);
	assert_int_equal(wpt_verdict(AVES_VERDICT_BIND), 1);

	/* Another initiator's SYN, sent twice: bound once; both copies leave through the
	 * control lcore, and a record waits for the connection's next packet. */
	len = tcp_from(frame, aves_h_addr(203, 0, 113, 68), WPT_W1, 5, RTE_TCP_SYN_FLAG);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_tunnel(CONTROL_Q, frame, len, WPT_W1, WPT_B, CONTROL_SENDER, 2);
	expect_tunnel(CONTROL_Q, frame, len, WPT_W1, WPT_B, CONTROL_SENDER, 3);
	assert_int_equal(wpt_verdict(AVES_VERDICT_BIND), 2);
	assert_int_equal(wp_worker_conns(T.app->workers[0]), 3);

	/* Figure 6 binds every source without an entry that arrives in the wait. */
	len = udp_from(frame, WPT_A2, WPT_W1, 7);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_tunnel(CONTROL_Q, frame, len, WPT_W1, WPT_B, CONTROL_SENDER, 4);
	assert_non_null(wpt_binding(WPT_W1, WPT_A2));
	assert_int_equal(aves_table_count(T.app->bindings), 3);
	assert_int_equal(wpt_pending(), 0);

	/* Nothing followed the last two SYNs (A's second connection, the other initiator's):
	 * Twait later their records are gone; A's first connection, counted, stays. */
	T.now += TWAIT;
	wpt_workers();
	assert_int_equal(wp_worker_conns(T.app->workers[0]), 1);
	assert_int_equal(wpt_ctr(WP_CTR_CONN_AGED), 2);
	assert_int_equal(atomic_load(&e->live.open_tcp), 1);
}

static void
test_setups_ignored_until_twait(void **state)
{
	uint64_t accepted = T.now, s;

	(void)state;
	delayed_setup(WPT_W1, WPT_B);
	/* Delayed or intranet, a SETUP for W1 gets no answer at all while it waits. */
	T.now += 500;
	wpt_send_setup(AVES_CTRL_MODE_DELAYED, WPT_W1, resolver, WPT_R, WPT_B2, 101);
	wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_A, WPT_R, WPT_B2, 101);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_verdict(AVES_VERDICT_SETUP_IGNORED), 2);
	/* Every address is independent: W2 answers meanwhile. */
	wpt_bind(WPT_W2, WPT_A, WPT_R, WPT_B, 101);

	/* One millisecond before Twait: still waiting. */
	T.now = accepted + TWAIT - 1;
	wpt_send_setup(AVES_CTRL_MODE_DELAYED, WPT_W1, resolver, WPT_R, WPT_B2, 101);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_true(waiting(0));
	/* At Twait exactly the wait is over (no packet needed) and the next SETUP is served. */
	T.now = accepted + TWAIT;
	wpt_control();
	assert_false(waiting(0));
	assert_int_equal(wpt_ctr(WP_CTR_WAITS_ENDED), 1);
	s = wpt_send_setup(AVES_CTRL_MODE_DELAYED, WPT_W1, resolver, WPT_R, WPT_B2, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_ACCEPT, s, WPT_W1, TWAIT);
	assert_true(waiting(0));
}

static void
test_violator_rejected(void **state)
{
	uint8_t frame[WPT_FRAME_MAX], ack[WPT_FRAME_MAX];
	uint16_t worker_icmp_id = 0;
	uint64_t accepted;
	size_t len, ack_len;

	(void)state;
	/* V already uses W1 for B2 (intranet), then W1 waits for an initiator of B. */
	wpt_bind(WPT_W1, WPT_V, WPT_R, WPT_B2, 101);
	accepted = T.now;
	delayed_setup(WPT_W1, WPT_B);

	/* V opens a new connection to W1 during the wait: ambiguous, so refused and told. */
	T.now += 50;
	len = udp_from(frame, WPT_V, WPT_W1, 9);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_unreachable(CONTROL_Q, frame, len, WPT_W1, T.ctrl_ip_id++);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_VIOLATOR), 1);
	/* V's established connection is not cut. */
	ack_len = tcp_from(ack, WPT_V, WPT_W1, 40000, RTE_TCP_ACK_FLAG);
	assert_int_equal(wpt_inject(0, ack, ack_len), 0);
	wpt_run();
	expect_tunnel(0, ack, ack_len, WPT_W1, WPT_B2, 0, 0);
	assert_int_equal(wpt_pending(), 0);

	/* The wait ends: V is rejected for Treject from that moment. */
	T.now = accepted + TWAIT;
	wpt_control();
	assert_int_equal(wpt_ctr(WP_CTR_BLOCKS_RECORDED), 1);
	T.now += 1000;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	/* Discarded by the worker itself, with ICMP. */
	expect_unreachable(0, frame, len, WPT_W1, worker_icmp_id++);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_REJECTED), 1);
	assert_int_equal(wpt_ctr(WP_CTR_PUNT_DECIDE), 1);
	/* ... its established connection still works (entry first for non-new packets). */
	assert_int_equal(wpt_inject(0, ack, ack_len), 0);
	wpt_run();
	expect_tunnel(0, ack, ack_len, WPT_W1, WPT_B2, 0, 1);
	/* An intranet SETUP naming V is refused while the reject lasts. */
	{
		uint64_t s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_V, WPT_R, WPT_B2,
					    101);

		wpt_run();
		wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_INITIATOR_BLOCKED);
	}

	/* One millisecond before the reject ends: still refused. At the end: V's new
	 * connection goes through its binding again. */
	T.now = accepted + TWAIT + TREJECT - 1;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_unreachable(0, frame, len, WPT_W1, worker_icmp_id++);
	T.now = accepted + TWAIT + TREJECT;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	expect_tunnel(0, frame, len, WPT_W1, WPT_B2, 0, 2);
	assert_int_equal(wpt_pending(), 0);
}

static void
test_stray_penalised(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];
	uint64_t first, s;
	size_t len;

	(void)state;
	/* S sends to W1 with no state and no wait: dropped silently, penalised for 3 hours. */
	first = T.now;
	len = udp_from(frame, WPT_S, WPT_W1, 1);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 1);
	assert_int_equal(wpt_ctr(WP_CTR_BLOCKS_RECORDED), 1);
	/* A stray's SYN leaves no connection record behind (a spoofed flood must not fill the
	 * worker's table): only a wait can let a SYN through. */
	{
		uint8_t syn[WPT_FRAME_MAX];

		assert_int_equal(wpt_inject(0, syn, tcp_from(syn, aves_h_addr(203, 0, 113, 67),
							     WPT_W1, 4000, RTE_TCP_SYN_FLAG)), 0);
		wpt_run();
		assert_int_equal(wp_worker_conns(T.app->workers[0]), 0);
		assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 2);
	}
	/* Its next packets are the worker's to drop: no ICMP, not handed over. */
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_PENALISED), 1);
	assert_int_equal(wpt_ctr(WP_CTR_PUNT_DECIDE), 2);
	/* Even a wait does not let a penalised source bind. */
	delayed_setup(WPT_W1, WPT_B);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_null(wpt_binding(WPT_W1, WPT_S));
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_PENALISED), 2);
	/* Nor does an intranet SETUP. */
	T.now += TWAIT;
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_S, WPT_R, WPT_B, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_INITIATOR_BLOCKED);
	/* Other addresses do not share W1's penalty. */
	wpt_bind(WPT_W2, WPT_S, WPT_R, WPT_B, 101);

	/* At the end of the penalty S is a stray again, penalised again. */
	T.now = first + PENALTY - 1;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_PENALISED), 3);
	T.now = first + PENALTY;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 3);
	assert_int_equal(wpt_pending(), 0);
}

static void
test_unreachable_rate_limited(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];
	uint64_t accepted;
	unsigned int i;
	size_t len;

	(void)state;
	wpt_stop();
	assert_int_equal(wpt_start("tables = { bindings = 64; blocks = 64; connections = 64;"
				   " neighbours = 16; punt-ring = 256; };\n"
				   "icmp = { unreachable-rate = 10; unreachable-burst = 2; };\n"), 0);
	wpt_bind(WPT_W1, WPT_V, WPT_R, WPT_B2, 101);
	accepted = T.now;
	delayed_setup(WPT_W1, WPT_B);
	T.now += 10;
	len = udp_from(frame, WPT_V, WPT_W1, 9);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_drain(), 1); /* the violator's ICMP */
	T.now = accepted + TWAIT;
	wpt_control();
	/* Five rejected packets at once: a burst of 2 answered (one was used above). */
	for (i = 0; i < 5; i++)
		assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_drain(), 2);
	assert_int_equal(wpt_ctr(WP_CTR_ICMP_UNREACH_LIMITED), 3);
	/* 10 per second: one more 100 ms later, and only one. */
	T.now += 100;
	for (i = 0; i < 3; i++)
		assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_drain(), 1);
	assert_int_equal(wpt_ctr(WP_CTR_ICMP_UNREACH_SENT), 4);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_REJECTED), 8);
}

static void
test_full_table_refuses_wait(void **state)
{
	uint64_t s;

	(void)state;
	wpt_stop();
	assert_int_equal(wpt_start("tables = { bindings = 1; blocks = 64; connections = 64;"
				   " neighbours = 16; punt-ring = 256; };\n"), 0);
	wpt_bind(WPT_W2, WPT_A, WPT_R, WPT_B, 101);
	/* No room to bind anything: a wait would only make the initiator time out. */
	s = wpt_send_setup(AVES_CTRL_MODE_DELAYED, WPT_W1, resolver, WPT_R, WPT_B, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_TABLE_FULL);
	assert_false(waiting(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_binds_new_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setups_ignored_until_twait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_violator_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stray_penalised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table_refuses_wait, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
