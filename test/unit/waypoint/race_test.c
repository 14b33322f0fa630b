/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two workers on two real lcores (EAL --lcores "(0-2)@(0-1)": lcores 1 and 2 run the workers,
 * lcore 0 — the test — runs the control lcore's loop). A delayed binding is raced by packets
 * from the same initiator arriving on both RX queues at once: the binding must be made
 * exactly once, and every packet must be either forwarded through that one binding or
 * accounted for by a counter. Then, after the wait, both workers forward in parallel through
 * the binding on their own queues.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "wpt.h"

#define PER_QUEUE 300
#define CONTROL_Q 2
#define TWAIT 2000

static atomic_bool go, stop;

static int
group_setup(void **state)
{
	(void)state;
	return wpt_init(2, "(0-2)@(0-1)");
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
	return wpt_start("tables = { bindings = 64; blocks = 64; connections = 64;"
			 " neighbours = 16; punt-ring = 1024; };\n"
			 "neighbours = { reachable = \"1d\"; };\n");
}

static int
teardown(void **state)
{
	(void)state;
	wpt_stop();
	return 0;
}

/* A worker's loop on its own lcore, at the fixed time T.now, until told to stop. */
static int
worker_loop(void *arg)
{
	struct wp_worker *w = arg;

	while (!atomic_load(&go))
		rte_pause();
	while (!atomic_load(&stop))
		wp_worker_poll(w, T.now);
	return 0;
}

static void
launch_workers(void)
{
	unsigned int lcore, i = 0;

	atomic_store(&go, false);
	atomic_store(&stop, false);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		assert_true(i < T.n_workers);
		assert_int_equal(rte_eal_remote_launch(worker_loop, T.app->workers[i++], lcore),
				 0);
	}
	assert_int_equal(i, T.n_workers);
	atomic_store(&go, true);
}

/* Run the control loop here until @p done() holds (or 10 s pass), then stop the workers. */
static void
control_until(bool (*done)(void))
{
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	while (!done() && rte_get_timer_cycles() < deadline)
		wpt_control();
	atomic_store(&stop, true);
	rte_eal_mp_wait_lcore();
	wpt_control();
}

static uint64_t
accounted(void)
{
	return wpt_ctr(WP_CTR_FWD_PKTS) + wpt_ctr(WP_CTR_PUNT_FULL) + wpt_ctr(WP_CTR_DISCARDED);
}

static bool
all_accounted(void)
{
	return accounted() >= 2 * PER_QUEUE;
}

static bool
all_accounted_twice(void)
{
	return accounted() >= 4 * PER_QUEUE;
}

static void
inject_both_queues(void)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = WPT_A, .dst = WPT_W1, .id = 1 };
	uint8_t frame[WPT_FRAME_MAX];
	unsigned int i, q;

	for (i = 0; i < PER_QUEUE; i++) {
		for (q = 0; q < 2; q++) {
			size_t len = aves_h_udp_frame(frame, &eth, &ip, (uint16_t)(1000 + q),
						      (uint16_t)(2000 + i), "race", 4);

			assert_int_equal(wpt_inject(q, frame, len), 0);
		}
	}
}

/* Every frame on TX queue @p q is a tunnel packet W1 -> R; returns how many. */
static unsigned int
count_tunnel_frames(unsigned int q)
{
	uint8_t got[WPT_FRAME_MAX];
	unsigned int n = 0;
	int len;

	while ((len = wpt_take(q, got)) > 0) {
		assert_int_equal(len, 14 + 20 + 8 + 20 + 32 + 16);
		assert_memory_equal(got + 14 + 12, &WPT_W1, 4);
		assert_memory_equal(got + 14 + 16, &WPT_R, 4);
		assert_memory_equal(got + 14 + 48 + 16, &WPT_B, 4); /* inner destination */
		n++;
	}
	return n;
}

static void
test_delayed_binding_raced_on_two_queues(void **state)
{
	uint64_t s, accepted;
	unsigned int on_control, on_workers;

	(void)state;
	/* The SETUP goes through the pipeline before the workers are launched. */
	s = wpt_send_setup(AVES_CTRL_MODE_DELAYED, WPT_W1, aves_h_addr(198, 51, 100, 99), WPT_R,
			   WPT_B, 101);
	accepted = T.now;
	wpt_run();
	wpt_expect_reply(AVES_CTRL_ACCEPT, s, WPT_W1, TWAIT);

	/* Both queues full of A's new connections, both workers released at once. */
	T.now += 100;
	inject_both_queues();
	launch_workers();
	control_until(all_accounted);

	assert_int_equal(wpt_ctr(WP_CTR_BINDINGS_CREATED), 1);
	assert_int_equal(wpt_verdict(AVES_VERDICT_BIND), 1);
	assert_int_equal(aves_table_count(T.app->bindings), 1);
	assert_non_null(wpt_binding(WPT_W1, WPT_A));
	/* Every packet: forwarded through the binding, or counted where it was dropped. */
	assert_int_equal(accounted(), 2 * PER_QUEUE);
	assert_int_equal(wpt_verdict(AVES_VERDICT_BIND) + wpt_verdict(AVES_VERDICT_FORWARD),
			 wpt_ctr(WP_CTR_FWD_PKTS));
	on_control = count_tunnel_frames(CONTROL_Q);
	on_workers = count_tunnel_frames(0) + count_tunnel_frames(1);
	assert_int_equal(on_control + on_workers, wpt_ctr(WP_CTR_FWD_PKTS));
	/* In the wait, the machine judged them all: the workers forwarded none themselves. */
	assert_int_equal(on_workers, 0);
	assert_int_equal(wpt_ctr(WP_CTR_PUNT_DECIDE), 2 * PER_QUEUE);

	/* After the wait both workers forward through the binding in parallel. */
	T.now = accepted + TWAIT;
	wpt_control();
	inject_both_queues();
	launch_workers();
	control_until(all_accounted_twice);
	assert_int_equal(accounted(), 4 * PER_QUEUE);
	assert_int_equal(count_tunnel_frames(0), PER_QUEUE);
	assert_int_equal(count_tunnel_frames(1), PER_QUEUE);
	assert_int_equal(count_tunnel_frames(CONTROL_Q), 0);
	assert_int_equal(wpt_ctr(WP_CTR_BINDINGS_CREATED), 1);
	assert_int_equal(wpt_pending(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delayed_binding_raced_on_two_queues, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
