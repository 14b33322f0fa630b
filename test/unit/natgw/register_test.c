/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw's REGISTER and its public address: REGISTER to every DNS front end at start,
 * at the fast rate for the fast period, then periodically; read back with lib/aves_ctrl as a
 * DNS front end would (tag with the gateway's key, freshness, replay window: serials strictly
 * increase). A change of the public address through ngw_set_public_address() — what the
 * telemetry command calls — is registered at once and then fast again, and everything keyed
 * on the address follows: NAPT, the tunnel, ARP and echo. A front end on the outside link is
 * resolved with ARP first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "ngt.h"

#define REGISTER_DEFAULTS "register = { servers = [ \"192.0.2.53\", \"192.0.2.54\" ]; };\n"

static uint32_t DNS2;

static int
group_setup(void **state)
{
	(void)state;
	if (ngt_init(1) != 0)
		return -1;
	DNS2 = aves_h_addr(192, 0, 2, 54);
	return 0;
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
	return ngt_start(REGISTER_DEFAULTS);
}

static int
teardown(void **state)
{
	(void)state;
	ngt_stop();
	return 0;
}

/* Move both clocks to T0 + @p ms and run the control lcore once. */
static void
at(uint64_t ms)
{
	T.wall += NGT_T0 + ms - T.now;
	T.now = NGT_T0 + ms;
	ngt_control();
}

/* Expect one REGISTER of @p pub to each front end, serials above *last; returns the
 * message to the second. */
static void
expect_round(uint32_t pub, uint64_t *last)
{
	struct aves_ctrl_msg m = ngt_expect_register(pub, NGT_DNS);

	assert_true(m.serial > *last);
	*last = m.serial;
	m = ngt_expect_register(pub, DNS2);
	assert_true(m.serial > *last);
	*last = m.serial;
	assert_int_equal(ngt_pending(), 0);
}

static void
test_register_periodic(void **state)
{
	uint64_t last = 0, t;

	(void)state;
	/* The start-up round (taken by the fixture) came at T0; the fast rate follows: every
	 * second until the fast period of 10 s is over, ... */
	for (t = 1000; t <= 10000; t += 1000) {
		at(t - 1);
		assert_int_equal(ngt_pending(), 0);
		at(t);
		expect_round(NGT_R, &last);
	}
	/* ... then every 30 s. */
	at(39999);
	assert_int_equal(ngt_pending(), 0);
	at(40000);
	expect_round(NGT_R, &last);
	at(70000);
	expect_round(NGT_R, &last);
	assert_int_equal(ngt_ctr(NGW_CTR_REGISTER_SENT), 2 * (1 + 10 + 2));
	assert_int_equal(ngw_control_next_register(T.app->control), NGT_T0 + 100000);
}

static void
test_register_after_address_change(void **state)
{
	const uint32_t r2 = aves_h_addr(198, 51, 100, 21);
	uint64_t last = 0;

	(void)state;
	at(10000);
	expect_round(NGT_R, &last);
	at(20000);
	assert_int_equal(ngt_pending(), 0);
	/* DHCP gives another address: registered at once, then fast again. */
	assert_int_equal(ngw_set_public_address(T.app, r2), 0);
	at(20001);
	assert_int_equal(ngw_public(T.app), r2);
	expect_round(r2, &last);
	at(21000);
	assert_int_equal(ngt_pending(), 0);
	at(21001);
	expect_round(r2, &last);
	/* A loop that comes late sends one round, not the ones it missed. */
	at(30001);
	expect_round(r2, &last);
	at(60000);
	assert_int_equal(ngt_pending(), 0);
	at(60001);
	expect_round(r2, &last);
	assert_int_equal(ngt_ctr(NGW_CTR_PUBLIC_CHANGES), 1);
	/* Asking for the address in use changes nothing. */
	assert_int_equal(ngw_set_public_address(T.app, r2), 0);
	at(60002);
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_PUBLIC_CHANGES), 1);
}

static void
test_set_public_address_refuses(void **state)
{
	(void)state;
	/* Off the outside network, its network and broadcast addresses, an inside address,
	 * and what cannot be a host's. */
	assert_int_equal(ngw_set_public_address(T.app, aves_h_addr(203, 0, 113, 9)), -EINVAL);
	assert_int_equal(ngw_set_public_address(T.app, aves_h_addr(198, 51, 100, 0)), -EINVAL);
	assert_int_equal(ngw_set_public_address(T.app, aves_h_addr(198, 51, 100, 255)), -EINVAL);
	assert_int_equal(ngw_set_public_address(T.app, NGT_I), -EINVAL);
	assert_int_equal(ngw_set_public_address(T.app, aves_h_addr(127, 0, 0, 1)), -EINVAL);
	assert_int_equal(ngw_set_public_address(NULL, NGT_R), -EINVAL);
	at(1);
	assert_int_equal(ngw_public(T.app), NGT_R);
	assert_int_equal(ngt_ctr(NGW_CTR_PUBLIC_CHANGES), 0);
}

/* Everything keyed on the public address follows a change. */
static void
test_address_change_followed(void **state)
{
	static const struct rte_ether_addr zero;
	const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff,
							      0xff } };
	const uint32_t r2 = aves_h_addr(198, 51, 100, 21);
	struct aves_h_eth in = ngt_eth_in(NGT_IN, &ngt_h_mac);
	struct aves_h_eth out = ngt_eth_in(NGT_OUT, &ngt_router_mac);
	struct aves_h_ip ip = { .src = NGT_HOST, .dst = NGT_X, .id = 1 };
	uint8_t frame[NGT_FRAME_MAX], got[NGT_FRAME_MAX], inner[NGT_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;
	int n;

	(void)state;
	ngt_stop();
	assert_int_equal(ngt_start(NULL), 0);
	/* A NAPT session under R. */
	len = aves_h_udp_frame(frame, &in, &ip, 40000, 53, "q", 1);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	n = ngt_take_any(NGT_OUT, got);
	assert_true(n > 0);
	assert_memory_equal(got + 14 + 12, &NGT_R, 4);

	assert_int_equal(ngw_set_public_address(T.app, r2), 0);
	ngt_run();
	ngt_expect_register(r2, NGT_DNS);
	/* The host's next packet leaves from the new address: a new session. */
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	n = ngt_take_any(NGT_OUT, got);
	assert_true(n > 0);
	assert_memory_equal(got + 14 + 12, &r2, 4);
	/* The control lcore's sweep retired the old session when it applied the change. */
	assert_int_equal(ngt_ctr(NGW_CTR_SESSIONS_RETIRED), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_NAPT_CREATED), 2);
	/* Replies to the old address are not ours any more; to the new one they are. */
	ip = (struct aves_h_ip){ .src = NGT_X, .dst = NGT_R, .id = 2 };
	ngt_inject(NGT_OUT, frame, aves_h_udp_frame(frame, &out, &ip, 53, 40000, "a", 1));
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_RX_NOT_LOCAL), 1);
	ip.dst = r2;
	ngt_inject(NGT_OUT, frame, aves_h_udp_frame(frame, &out, &ip, 53, 40000, "a", 1));
	ngt_run();
	assert_true(ngt_take_any(NGT_IN, got) > 0);
	/* ARP is answered for the new address only. */
	eth = (struct aves_h_eth){ .dst = bcast, .src = ngt_router_mac };
	len = aves_h_arp_frame(frame, &eth, 1, &ngt_router_mac, NGT_ROUTER, &zero, NGT_R);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	len = aves_h_arp_frame(frame, &eth, 1, &ngt_router_mac, NGT_ROUTER, &zero, r2);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	assert_int_equal(ngt_take_any(NGT_OUT, got), 42);
	assert_memory_equal(got + 28, &r2, 4);
	/* The tunnel arrives at the new address. */
	{
		struct aves_h_eth e0 = { 0 };
		struct aves_h_ip h = { .src = NGT_A, .dst = NGT_B, .id = 3 };
		size_t ilen = aves_h_udp_frame(got, &e0, &h, 5000, 53, "tunnelled", 9) - 14;

		memcpy(inner, got + 14, ilen);
		len = ngt_tunnel_frame(frame, inner, (uint16_t)ilen, NGT_W, &T.k101);
		/* The outer destination: where the waypoint sends now. */
		memcpy(frame + 14 + 16, &r2, 4);
		aves_h_ipv4_fix(frame + 14);
		ngt_inject(NGT_OUT, frame, len);
		ngt_run();
		n = ngt_take_any(NGT_IN, got);
		assert_int_equal(n, 14 + (int)ilen);
		assert_memory_equal(got + 14, inner, ilen);
	}
	assert_int_equal(ngt_pending(), 0);
}

/* A front end on the outside link: the REGISTER waits for its ARP answer. */
static void
test_register_resolves_next_hop(void **state)
{
	const uint32_t dns = aves_h_addr(198, 51, 100, 53);
	const struct rte_ether_addr dns_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x53 } };
	uint8_t frame[NGT_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;
	int n;

	(void)state;
	ngt_stop();
	assert_int_equal(ngt_start("register = { servers = [ \"198.51.100.53\" ]; };\n"), 0);
	/* The first REGISTER is held; an ARP request for the front end went out. */
	assert_int_equal(ngt_take(NGT_OUT, T.n_workers, frame), 42);
	assert_memory_equal(frame, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(frame + 28, &NGT_R, 4);
	assert_memory_equal(frame + 38, &dns, 4);
	assert_int_equal(ngt_pending(), 0);
	eth = ngt_eth_in(NGT_OUT, &dns_mac);
	len = aves_h_arp_frame(frame, &eth, 2, &dns_mac, dns, &T.mac[NGT_OUT], NGT_R);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	/* Released, to the front end's own MAC. */
	n = ngt_take(NGT_OUT, T.n_workers, frame);
	assert_memory_equal(frame, &dns_mac, 6);
	ngt_register_check(frame, n, NGT_R, dns);
	assert_int_equal(ngt_pending(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_after_address_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_set_public_address_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_change_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_resolves_next_hop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
