/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-waypoint with one worker, driven through a net_ring port: crafted frames in, the
 * frames that come out compared byte for byte with frames assembled independently (wpt.c).
 * Intranet SETUP/ACCEPT/REJECT, the tunnel, ARP, echo, protocol timeouts, FIN tracking, the
 * HTTP exception, fragmentation and path MTU, malformed input, full tables, replays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "wpt.h"

#define CONTROL_Q 1 /* the control lcore's TX queue: one worker */

static int
group_setup(void **state)
{
	(void)state;
	return wpt_init(1, NULL);
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

/* A's UDP datagram to W (payload @p n bytes), from the router. */
static size_t
udp_to(uint8_t *buf, uint32_t src, uint32_t w, uint16_t sport, uint16_t dport, uint16_t n,
       uint16_t frag)
{
	static uint8_t payload[9000];
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = src, .dst = w, .id = 0x0101, .frag = frag, .tos = 0x10 };
	uint16_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	return aves_h_udp_frame(buf, &eth, &ip, sport, dport, payload, n);
}

static size_t
tcp_to(uint8_t *buf, uint32_t src, uint32_t w, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = src, .dst = w, .id = 0x0202, .frag = 0x4000 };

	return aves_h_tcp_frame(buf, &eth, &ip, sport, dport, 1000, 0, flags, "data", 4);
}

/* The W and B a frame is relayed with: its own destination, and B of its binding. */
static void
expect_relayed_via(const uint8_t *frame, size_t len, uint32_t w, uint32_t b, uint32_t r,
		   const struct aves_key *key, const struct rte_ether_addr *mac, uint64_t k)
{
	uint8_t inner[WPT_FRAME_MAX], want[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	uint16_t inner_len = wpt_rewritten(inner, frame, len, b);
	size_t want_len = wpt_tunnel_frame(want, inner, inner_len, w, r, AVES_TUNNEL_PORT, key,
					   mac, (uint16_t)(k * (T.n_workers + 1)), wpt_seq(0, k));

	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	wpt_assert_frame(got, wpt_take(0, got), want, want_len);
	assert_int_equal(wpt_pending(), 0);
}

/* Inject @p frame, run, and check that exactly the tunnel packet for it comes out of
 * worker 0's queue as the @p k-th packet of sender 0 (toward R via the router). */
static void
expect_relayed(const uint8_t *frame, size_t len, uint32_t w, uint32_t b, uint64_t k)
{
	expect_relayed_via(frame, len, w, b, WPT_R, &T.gw101, &wpt_router_mac, k);
}

/* The same toward W1 -> B through gateway @p r. */
static void
expect_relayed_to(const uint8_t *frame, size_t len, uint32_t r, const struct aves_key *key,
		  const struct rte_ether_addr *mac, uint64_t k)
{
	expect_relayed_via(frame, len, WPT_W1, WPT_B, r, key, mac, k);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_intranet_setup_accept(void **state)
{
	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	assert_int_equal(wpt_pending(), 0);
	assert_non_null(wpt_binding(WPT_W1, WPT_A));
	assert_int_equal(aves_table_count(T.app->bindings), 1);
	assert_int_equal(wpt_ctr(WP_CTR_ACCEPT_SENT), 1);
	assert_int_equal(wpt_verdict(AVES_VERDICT_SETUP_ACCEPT_NEW), 1);
	/* The same request again is accepted without a second binding. */
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	assert_int_equal(wpt_verdict(AVES_VERDICT_SETUP_ACCEPT_SAME), 1);
	assert_int_equal(aves_table_count(T.app->bindings), 1);
}

static void
test_intranet_setup_rejects(void **state)
{
	uint64_t s;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	/* The admission rule: A is bound at W1 to B, not B2. */
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_A, WPT_R, WPT_B2, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_ADMISSION);
	/* ... but W2 is free for it. */
	wpt_bind(WPT_W2, WPT_A, WPT_R, WPT_B2, 101);
	/* Not one of our waypoint addresses. */
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, aves_h_addr(192, 0, 2, 99), WPT_A, WPT_R,
			   WPT_B, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, aves_h_addr(192, 0, 2, 99),
			 AVES_CTRL_REASON_UNKNOWN_WAYPOINT);
	/* A gateway key we do not hold. */
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_A2, WPT_R, WPT_B, 999);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_UNKNOWN_KEY);
	/* A gateway address that cannot be one (loopback). */
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_A2, aves_h_addr(127, 0, 0, 1),
			   WPT_B, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_BAD_REQUEST);
	assert_int_equal(wpt_reject(AVES_CTRL_REASON_ADMISSION), 1);
	assert_int_equal(wpt_ctr(WP_CTR_REJECT_SENT), 4);
	assert_int_equal(wpt_pending(), 0);
}

static void
test_data_packet_tunnelled(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];
	size_t len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	len = udp_to(frame, WPT_A, WPT_W1, 5353, 53, 100, 0);
	expect_relayed(frame, len, WPT_W1, WPT_B, 0);
	len = tcp_to(frame, WPT_A, WPT_W1, 40000, 22, RTE_TCP_SYN_FLAG);
	expect_relayed(frame, len, WPT_W1, WPT_B, 1);
	assert_int_equal(wpt_ctr(WP_CTR_FWD_PKTS), 2);
	assert_int_equal(wpt_verdict(AVES_VERDICT_FORWARD), 2);
	/* The periodic log line says so too. */
	{
		char line[512];

		wp_summary(T.app, line, sizeof(line));
		assert_non_null(strstr(line, "relayed 2 discarded 0"));
		assert_non_null(strstr(line, "bindings 1 blocks 0 waiting 0"));
		assert_non_null(strstr(line, "setups accepted 1 rejected 0"));
	}
}

/*
 * A relayed packet's L4 checksum is the end hosts' to check: one that arrives wrong is
 * relayed like any other (not dropped, not repaired), everything else exactly as a correct
 * packet's relay.
 */
static void
test_relayed_checksum_left_alone(void **state)
{
	uint8_t frame[WPT_FRAME_MAX], inner[WPT_FRAME_MAX], want[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	const size_t tunnel_hdrs = 14 + 20 + 8 + AVES_TUNNEL_HDR_LEN;
	uint16_t inner_len;
	size_t len, want_len, got_len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	len = udp_to(frame, WPT_A, WPT_W1, 5353, 53, 100, 0);
	inner_len = wpt_rewritten(inner, frame, len, WPT_B);
	want_len = wpt_tunnel_frame(want, inner, inner_len, WPT_W1, WPT_R, AVES_TUNNEL_PORT,
				    &T.gw101, &wpt_router_mac, 0, wpt_seq(0, 0));
	frame[14 + 20 + 20] ^= 0x5a; /* a payload byte: the UDP checksum no longer matches */
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	got_len = wpt_take(0, got);
	assert_int_equal(got_len, want_len);
	assert_int_equal(wpt_ctr(WP_CTR_FWD_PKTS), 1);
	assert_int_equal(wpt_ctr(WP_CTR_RX_IP_INVALID), 0);
	/* Byte for byte the correct packet's relay, checksum included (the sender's, updated
	 * for W -> B), but for the changed payload byte and the tag over it. */
	assert_memory_equal(got, want, tunnel_hdrs + 40);
	assert_int_equal(got[tunnel_hdrs + 40] ^ want[tunnel_hdrs + 40], 0x5a);
	assert_memory_equal(got + tunnel_hdrs + 41, want + tunnel_hdrs + 41,
			    want_len - AVES_TAG_LEN - (tunnel_hdrs + 41));
	assert_memory_not_equal(got + want_len - AVES_TAG_LEN, want + want_len - AVES_TAG_LEN,
				AVES_TAG_LEN);
	assert_int_equal(wpt_pending(), 0);
}

static void
test_replayed_setup_rejected(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];
	uint64_t serial = T.setup_serial++;
	size_t len = wpt_setup_frame(frame, AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_A, WPT_R,
				     WPT_B, 101, serial, T.wall);

	(void)state;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_ACCEPT, serial, WPT_W1, 0);
	/* The same datagram again: a replay, dropped without an answer. */
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctrl(AVES_CTRL_RX_REPLAY), 1);
	assert_int_equal(wpt_ctr(WP_CTR_CTRL_INVALID), 1);
	/* A forged one (tag broken) is dropped before anything else is read. */
	frame[len - 1] ^= 1;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctrl(AVES_CTRL_RX_BAD_TAG), 0); /* UDP checksum catches it first */
	assert_int_equal(wpt_parse(AVES_PARSE_UDP_CKSUM), 1);
}


/* ---------------------------------------------------------------------------------------- */
/* Being a host: ARP and echo                                                                */
/* ---------------------------------------------------------------------------------------- */

/* The router asks who has @p target; returns what comes back on the control queue. */
static int
arp_ask(uint32_t target, uint8_t *reply)
{
	static const struct rte_ether_addr zero;
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff,
								     0xff, 0xff } };
	struct aves_h_eth eth = { .dst = bcast, .src = wpt_router_mac };
	uint8_t frame[64];
	size_t len = aves_h_arp_frame(frame, &eth, 1, &wpt_router_mac, WPT_ROUTER, &zero, target);

	/* Padded to the Ethernet minimum, as on a real link. */
	memset(frame + len, 0, 60 - len);
	assert_int_equal(wpt_inject(0, frame, 60), 0);
	wpt_run();
	return wpt_take(CONTROL_Q, reply);
}

static void
test_arp_request_answered(void **state)
{
	const uint32_t ours[] = { WPT_IFACE, WPT_CONTROL, WPT_W1, WPT_W2 };
	struct aves_h_eth eth = wpt_to(&wpt_router_mac);
	uint8_t got[WPT_FRAME_MAX], want[64];
	size_t len;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(ours); i++) {
		int n = arp_ask(ours[i], got);

		len = aves_h_arp_frame(want, &eth, 2, &T.mac, ours[i], &wpt_router_mac,
				       WPT_ROUTER);
		memset(want + len, 0, 60 - len); /* the request's padding stays */
		wpt_assert_frame(got, n, want, 60);
	}
	/* Not ours: no answer, counted. */
	assert_int_equal(arp_ask(aves_h_addr(192, 0, 2, 99), got), -1);
	assert_int_equal(wpt_pending(), 0);
	{
		uint64_t c[AVES_NEIGH_CTR_MAX];

		aves_neigh_counters(T.app->base.neigh, c);
		assert_int_equal(c[AVES_NEIGH_REPLY_TX], 4);
		assert_int_equal(c[AVES_NEIGH_NOT_FOR_US], 1);
	}
	assert_int_equal(wpt_ctr(WP_CTR_PUNT_ARP), 6); /* 5 here, 1 at start (router) */
}

/* The expected echo reply to @p req: addresses swapped, TTL 64, type 0, checksums recomputed,
 * framed for the router. */
static size_t
echo_reply(uint8_t *out, const uint8_t *req, size_t len)
{
	struct aves_h_eth eth = wpt_to(&wpt_router_mac);
	uint8_t *ip = out + RTE_ETHER_HDR_LEN;
	uint8_t tmp[4];

	memcpy(out, req, len);
	memcpy(out, &eth.dst, 6);
	memcpy(out + 6, &eth.src, 6);
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = 64;
	ip[20] = 0;
	aves_h_ipv4_fix(ip);
	return len;
}

static size_t
echo_to(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t seq, uint8_t ttl)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 0x4242, .ttl = ttl };

	return aves_h_icmp_echo_frame(buf, &eth, &ip, 8, 0x77, seq, "ping-payload", 12);
}

static void
test_echo_to_own_addresses(void **state)
{
	uint8_t req[WPT_FRAME_MAX], want[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	const uint32_t ours[] = { WPT_IFACE, WPT_CONTROL };
	unsigned int i;
	size_t len;

	(void)state;
	for (i = 0; i < RTE_DIM(ours); i++) {
		len = echo_to(req, WPT_A, ours[i], (uint16_t)i, 3);
		assert_int_equal(wpt_inject(0, req, len), 0);
		wpt_run();
		wpt_assert_frame(got, wpt_take(0, got), want, echo_reply(want, req, len));
	}
	assert_int_equal(wpt_ctr(WP_CTR_ECHO_REPLIED), 2);
	/* Other traffic to an interface address is not ours to answer: counted. */
	len = udp_to(req, WPT_A, WPT_IFACE, 1000, 9, 10, 0);
	assert_int_equal(wpt_inject(0, req, len), 0);
	/* Nor is an address that is not ours at all: the waypoint does not route. */
	len = echo_to(req, WPT_A, aves_h_addr(192, 0, 2, 77), 9, 64);
	assert_int_equal(wpt_inject(0, req, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctr(WP_CTR_RX_LOCAL_OTHER), 1);
	assert_int_equal(wpt_ctr(WP_CTR_RX_NOT_LOCAL), 1);
}

static void
test_echo_to_waypoint_relayed(void **state)
{
	uint8_t req[WPT_FRAME_MAX];
	size_t len;

	(void)state;
	/* Without a binding, an echo to W is a stray's packet: dropped, never answered. */
	len = echo_to(req, WPT_A, WPT_W1, 1, 64);
	assert_int_equal(wpt_inject(0, req, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 1);
	/* Bound (at W2, since A is now penalised at W1): relayed to the responder. */
	wpt_bind(WPT_W2, WPT_A, WPT_R, WPT_B, 101);
	len = echo_to(req, WPT_A, WPT_W2, 2, 64);
	expect_relayed(req, len, WPT_W2, WPT_B, 0);
	assert_int_equal(wpt_ctr(WP_CTR_ECHO_REPLIED), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Next-hop resolution                                                                       */
/* ---------------------------------------------------------------------------------------- */

static void
test_next_hop_resolution_holds_packets(void **state)
{
	const unsigned int hold = 8, sent = hold + 1;
	uint8_t frames[9][WPT_FRAME_MAX], got[WPT_FRAME_MAX], want[WPT_FRAME_MAX];
	uint8_t inner[WPT_FRAME_MAX];
	size_t lens[9], len;
	struct aves_h_eth eth;
	uint64_t c[AVES_NEIGH_CTR_MAX];
	unsigned int i;
	int n;

	(void)state;
	/* R2 is on the link and nobody has asked for its address yet. */
	wpt_bind(WPT_W1, WPT_A, WPT_R2, WPT_B, 102);
	for (i = 0; i < sent; i++) {
		lens[i] = udp_to(frames[i], WPT_A, WPT_W1, 5000, (uint16_t)(6000 + i), 20, 0);
		assert_int_equal(wpt_inject(0, frames[i], lens[i]), 0);
	}
	wpt_run();
	/* One request, broadcast, from the port's address; the packets wait. */
	n = wpt_take(CONTROL_Q, got);
	assert_int_equal(n, 42);
	assert_memory_equal(got, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(got + 28, &WPT_IFACE, 4);
	assert_memory_equal(got + 38, &WPT_R2, 4);
	assert_int_equal(wpt_pending(), 0);
	aves_neigh_counters(T.app->base.neigh, c);
	assert_int_equal(c[AVES_NEIGH_HELD], hold);
	assert_int_equal(c[AVES_NEIGH_HOLD_FULL], 1); /* bounded per neighbour */

	/* R2 answers: the held packets leave, in order, byte for byte as tunnelled. */
	eth = (struct aves_h_eth){ .dst = T.mac, .src = wpt_r2_mac };
	len = aves_h_arp_frame(got, &eth, 2, &wpt_r2_mac, WPT_R2, &T.mac, WPT_IFACE);
	assert_int_equal(wpt_inject(0, got, len), 0);
	wpt_run();
	for (i = 0; i < hold; i++) {
		uint16_t inner_len = wpt_rewritten(inner, frames[i], lens[i], WPT_B);

		len = wpt_tunnel_frame(want, inner, inner_len, WPT_W1, WPT_R2, AVES_TUNNEL_PORT,
				       &T.gw102, &wpt_r2_mac, (uint16_t)(i * 2), wpt_seq(0, i));
		wpt_assert_frame(got, wpt_take(CONTROL_Q, got), want, len);
	}
	assert_int_equal(wpt_pending(), 0);
	aves_neigh_counters(T.app->base.neigh, c);
	assert_int_equal(c[AVES_NEIGH_RELEASED], hold);
	assert_int_equal(c[AVES_NEIGH_RESOLVED], 2); /* the router at start, R2 */

	/* From now on the worker frames them itself. */
	expect_relayed_to(frames[8], lens[8], WPT_R2, &T.gw102, &wpt_r2_mac, sent);
}

static void
test_next_hop_resolution_fails(void **state)
{
	uint8_t frame[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	uint64_t c[AVES_NEIGH_CTR_MAX];
	size_t len;
	unsigned int probe;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R2, WPT_B, 102);
	len = udp_to(frame, WPT_A, WPT_W1, 5000, 6000, 20, 0);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	/* Three requests, one second apart (the defaults), then the resolution fails. */
	for (probe = 0; probe < 3; probe++) {
		assert_int_equal(wpt_take(CONTROL_Q, got), 42);
		assert_memory_equal(got + 38, &WPT_R2, 4);
		T.now += 999;
		wpt_control();
		assert_int_equal(wpt_pending(), 0);
		T.now += 1;
		wpt_control();
	}
	assert_int_equal(wpt_pending(), 0);
	aves_neigh_counters(T.app->base.neigh, c);
	assert_int_equal(c[AVES_NEIGH_FAILED], 1);
	assert_int_equal(c[AVES_NEIGH_FAILED_DROP], 1);
	/* While it is failed, packets toward it are dropped by the worker, counted. */
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctr(WP_CTR_NEIGH_UNREACHABLE), 1);
	/* After the failed period the entry is gone and the next packet asks again. */
	T.now += 20000;
	wpt_control();
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_take(CONTROL_Q, got), 42);
	assert_memory_equal(got + 38, &WPT_R2, 4);
}

/* ---------------------------------------------------------------------------------------- */
/* Session lifetime: protocol timeouts, FIN tracking, HTTP                                   */
/* ---------------------------------------------------------------------------------------- */

/* Relay @p frame (from initiator @p a at W1) and discard the tunnel packet it produced. */
static void
send_bound(const uint8_t *frame, size_t len)
{
	uint8_t got[WPT_FRAME_MAX];

	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_true(wpt_take(0, got) > 0);
	assert_int_equal(wpt_pending(), 0);
}

/* The binding of (W1, a) lives until exactly @p deadline (the sweep finds it expired then). */
static void
expect_deadline(uint32_t a, uint64_t deadline)
{
	T.now = deadline - 1;
	wpt_control();
	assert_non_null(wpt_binding(WPT_W1, a));
	T.now = deadline;
	wpt_control();
	assert_null(wpt_binding(WPT_W1, a));
}

static void
test_timeouts_per_protocol(void **state)
{
	const struct aves_session_timers *t = &T.app->base.timers;
	struct aves_h_eth eth = wpt_from_router();
	uint8_t frame[WPT_FRAME_MAX];
	uint32_t a;
	size_t len;

	(void)state;
	/* ICMP only: 1 minute. */
	a = aves_h_addr(203, 0, 113, 20);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	send_bound(frame, echo_to(frame, a, WPT_W1, 1, 64));
	expect_deadline(a, T.now + t->idle_icmp_ms);
	assert_int_equal(t->idle_icmp_ms, 60000);

	/* UDP only: 15 minutes. */
	a = aves_h_addr(203, 0, 113, 21);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	send_bound(frame, udp_to(frame, a, WPT_W1, 1, 2, 10, 0));
	expect_deadline(a, T.now + 15 * 60000);

	/* TCP only, the connection never closed: 30 minutes. */
	a = aves_h_addr(203, 0, 113, 22);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	send_bound(frame, tcp_to(frame, a, WPT_W1, 40000, 22, RTE_TCP_SYN_FLAG));
	expect_deadline(a, T.now + 30 * 60000);

	/* Another protocol (GRE): 15 minutes. */
	a = aves_h_addr(203, 0, 113, 23);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	{
		struct aves_h_ip ip = { .src = a, .dst = WPT_W1, .id = 9 };

		len = aves_h_ip_frame(frame, &eth, &ip, 47, "\x00\x00\x08\x00grepayload", 14);
	}
	send_bound(frame, len);
	expect_deadline(a, T.now + 15 * 60000);

	/* Mixed ICMP and UDP: 15 minutes. */
	a = aves_h_addr(203, 0, 113, 24);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	send_bound(frame, echo_to(frame, a, WPT_W1, 1, 64));
	send_bound(frame, udp_to(frame, a, WPT_W1, 1, 2, 10, 0));
	expect_deadline(a, T.now + 15 * 60000);

	/* Nothing sent after the SETUP: 15 minutes. */
	a = aves_h_addr(203, 0, 113, 25);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	expect_deadline(a, T.now + 15 * 60000);
	assert_int_equal(wpt_ctr(WP_CTR_BINDINGS_EXPIRED), 6);

	/* An expired entry is never used, even before the sweep finds it: the initiator's
	 * next packet is a stray's (penalised), not relayed. */
	a = aves_h_addr(203, 0, 113, 26);
	wpt_bind(WPT_W1, a, WPT_R, WPT_B, 101);
	send_bound(frame, echo_to(frame, a, WPT_W1, 1, 64));
	T.now += t->idle_icmp_ms;
	len = echo_to(frame, a, WPT_W1, 2, 64);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_workers();
	assert_int_equal(wpt_ctr(WP_CTR_STALE_BINDING), 1);
	wpt_control();
	assert_int_equal(wpt_pending(), 0);
	assert_null(wpt_binding(WPT_W1, a));
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 1);
}

static void
test_fin_tracking_with_linger(void **state)
{
	const uint32_t linger = T.app->base.timers.tcp_linger_ms;
	const uint8_t ack = RTE_TCP_ACK_FLAG;
	uint8_t frame[WPT_FRAME_MAX];

	(void)state;
	assert_int_equal(linger, 10000);
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	/* Two connections open; closing one leaves the session alone. */
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22, RTE_TCP_SYN_FLAG));
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40001, 22, RTE_TCP_SYN_FLAG));
	T.now += 10;
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22, ack));
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22, ack | RTE_TCP_FIN_FLAG));
	assert_int_equal(atomic_load(&wpt_binding(WPT_W1, WPT_A)->live.open_tcp), 1);
	T.now += linger;
	wpt_control();
	assert_non_null(wpt_binding(WPT_W1, WPT_A));
	/* The other one ends with a reset: no connection is left, the session lingers, and
	 * the final ACK of the first one keeps it a little longer. */
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40001, 22, RTE_TCP_RST_FLAG));
	T.now += 3000;
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22, ack));
	expect_deadline(WPT_A, T.now + linger);
	assert_int_equal(wpt_ctr(WP_CTR_CONN_UNTRACKED), 0);
}

static void
test_http_exception(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 80, RTE_TCP_SYN_FLAG));
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 80,
				 RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG));
	/* The FIN ends nothing: browsers reuse the answer, so 20 minutes from the last packet. */
	expect_deadline(WPT_A, T.now + 20 * 60000);
	assert_int_equal(wp_worker_conns(T.app->workers[0]), 0); /* HTTP is not tracked */
}

/* ---------------------------------------------------------------------------------------- */
/* Fragmentation and path MTU                                                                */
/* ---------------------------------------------------------------------------------------- */

static void
test_oversize_fragmented(void **state)
{
	uint8_t frame[WPT_FRAME_MAX], inner[WPT_FRAME_MAX], whole[WPT_FRAME_MAX];
	uint8_t got[WPT_FRAME_MAX], want[WPT_FRAME_MAX];
	uint16_t inner_len, ip_len, part;
	size_t len, whole_len;
	const uint8_t *payload;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	/* A 1500-byte datagram without DF: 1564 bytes in the tunnel, over a 1500 MTU. */
	len = udp_to(frame, WPT_A, WPT_W1, 5000, 6000, 1472, 0);
	inner_len = wpt_rewritten(inner, frame, len, WPT_B);
	assert_int_equal(inner_len, 1500);
	whole_len = wpt_tunnel_frame(whole, inner, inner_len, WPT_W1, WPT_R, AVES_TUNNEL_PORT,
				     &T.gw101, &wpt_router_mac, 0, wpt_seq(0, 0));
	assert_int_equal(whole_len, 14 + 1564);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();

	/* Two fragments of the outer datagram: 1480 payload bytes, then the 84 left. */
	payload = whole + 14 + 20;
	ip_len = 1564 - 20;
	for (part = 0; part < 2; part++) {
		uint16_t off = (uint16_t)(part * 1480);
		uint16_t n = part == 0 ? 1480 : (uint16_t)(ip_len - 1480);
		uint16_t fo = (uint16_t)((part == 0 ? 0x2000 : 0) | off / 8);
		uint8_t *ip = want + 14;

		memcpy(want, whole, 14 + 20);
		ip[2] = (uint8_t)((20 + n) >> 8);
		ip[3] = (uint8_t)(20 + n);
		ip[6] = (uint8_t)(fo >> 8);
		ip[7] = (uint8_t)fo;
		memcpy(ip + 20, payload + off, n);
		aves_h_ipv4_fix(ip);
		wpt_assert_frame(got, wpt_take(0, got), want, 14u + 20 + n);
	}
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wp_lcore_stats(T.app, 0)->tunnel.frag[AVES_FRAG_FRAGMENTED], 1);
}

static void
test_path_mtu_icmp(void **state)
{
	uint8_t frame[WPT_FRAME_MAX], icmp[WPT_FRAME_MAX], got[WPT_FRAME_MAX];
	uint8_t want[WPT_FRAME_MAX];
	struct aves_h_eth eth = wpt_to(&wpt_router_mac);
	struct aves_h_ip ip = { .src = WPT_W1, .dst = WPT_A, .id = 0, .tos = 0xc0 };
	size_t len, want_len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	/* The same 1500 bytes with DF: refused, and A is told 1436 (1500 - 64). */
	len = udp_to(frame, WPT_A, WPT_W1, 5000, 6000, 1472, 0x4000);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 4;
	icmp[6] = 1436 >> 8;
	icmp[7] = 1436 & 0xff;
	/* The quote: the packet as A sent it (to W1), as much as fits 576 bytes. */
	memcpy(icmp + 8, frame + 14, 576 - 28);
	want_len = aves_h_ip_frame(want, &eth, &ip, IPPROTO_ICMP, icmp, 576 - 20);
	aves_h_ipv4_fix(want + 14);
	wpt_assert_frame(got, wpt_take(0, got), want, want_len);
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctr(WP_CTR_PMTU_DROPPED), 1);
	assert_int_equal(wpt_ctr(WP_CTR_ICMP_FRAGNEEDED_SENT), 1);
	/* A packet that fits goes through with DF kept. */
	len = udp_to(frame, WPT_A, WPT_W1, 5000, 6000, 1436 - 28, 0x4000);
	expect_relayed(frame, len, WPT_W1, WPT_B, 0);
}

/* An ICMP error from A about our [W -> A] packet reaches B as an error about [B -> A]. */
static void
test_icmp_error_quote_rewritten(void **state)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = WPT_A, .dst = WPT_W1, .id = 5 };
	uint8_t msg[36], frame[WPT_FRAME_MAX], inner[WPT_FRAME_MAX], want[WPT_FRAME_MAX];
	uint8_t got[WPT_FRAME_MAX];
	uint8_t *q = msg + 8;
	size_t len, want_len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	memset(msg, 0, sizeof(msg));
	msg[0] = 3; /* port unreachable */
	msg[1] = 3;
	q[0] = 0x45;
	q[3] = 28 + 4;
	q[8] = 60;
	q[9] = IPPROTO_UDP;
	memcpy(q + 12, &WPT_W1, 4);
	memcpy(q + 16, &WPT_A, 4);
	q[20] = 0x13; /* UDP 5000 -> 6000, no checksum */
	q[21] = 0x88;
	q[22] = 0x17;
	q[23] = 0x70;
	q[25] = 12;
	{
		uint16_t ck = aves_h_cksum(q, 20);

		memcpy(q + 10, &ck, 2);
	}
	len = aves_h_ip_frame(frame, &eth, &ip, IPPROTO_ICMP, msg, sizeof(msg));
	aves_h_ipv4_fix(frame + 14);

	/* Expected: outer destination B, quoted source B, every checksum right. */
	memcpy(inner, frame + 14, len - 14);
	memcpy(inner + 16, &WPT_B, 4);
	memcpy(inner + 28 + 12, &WPT_B, 4);
	memset(inner + 28 + 10, 0, 2);
	{
		uint16_t ck = aves_h_cksum(inner + 28, 20);

		memcpy(inner + 28 + 10, &ck, 2);
	}
	aves_h_ipv4_fix(inner);
	want_len = wpt_tunnel_frame(want, inner, (uint16_t)(len - 14), WPT_W1, WPT_R,
				    AVES_TUNNEL_PORT, &T.gw101, &wpt_router_mac, 0, wpt_seq(0, 0));
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	wpt_assert_frame(got, wpt_take(0, got), want, want_len);
}

/*
 * R answers one of our tunnel packets [W1:50000 -> R:4797] with port unreachable. It is
 * dropped and counted as tunnel feedback: not relayed (no binding for R), and R is not
 * penalised as a stray, which would be wrong however long R stays unreachable.
 */
static void
test_tunnel_icmp_feedback(void **state)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_ip ip = { .src = WPT_R, .dst = WPT_W1, .id = 9 };
	uint8_t msg[36], frame[WPT_FRAME_MAX];
	uint8_t *q = msg + 8;
	struct aves_wp_key key = aves_wp_key_make(WPT_W1, WPT_R);
	size_t len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	memset(msg, 0, sizeof(msg));
	msg[0] = 3; /* port unreachable */
	msg[1] = 3;
	q[0] = 0x45;
	q[3] = 28 + 4;
	q[8] = 60;
	q[9] = IPPROTO_UDP;
	memcpy(q + 12, &WPT_W1, 4);
	memcpy(q + 16, &WPT_R, 4);
	q[20] = 50000 >> 8; /* the tunnel's source-port range */
	q[21] = 50000 & 0xff;
	q[22] = AVES_TUNNEL_PORT >> 8;
	q[23] = AVES_TUNNEL_PORT & 0xff;
	q[25] = 12;
	{
		uint16_t ck = aves_h_cksum(q, 20);

		memcpy(q + 10, &ck, 2);
	}
	len = aves_h_ip_frame(frame, &eth, &ip, IPPROTO_ICMP, msg, sizeof(msg));
	aves_h_ipv4_fix(frame + 14);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctr(WP_CTR_TUNNEL_ICMP), 1);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 0);
	assert_null(aves_table_lookup(T.app->blocks, &key));

	/* The same error quoting a port below the tunnel range is initiator-like traffic from a
	 * source without state: a stray, penalised as before. */
	q[20] = 5000 >> 8;
	q[21] = 5000 & 0xff;
	len = aves_h_ip_frame(frame, &eth, &ip, IPPROTO_ICMP, msg, sizeof(msg));
	aves_h_ipv4_fix(frame + 14);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();
	assert_int_equal(wpt_ctr(WP_CTR_TUNNEL_ICMP), 1);
	assert_int_equal(wpt_verdict(AVES_VERDICT_DISCARD_STRAY), 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Refused input and caps                                                                    */
/* ---------------------------------------------------------------------------------------- */

static void
test_malformed_dropped(void **state)
{
	struct aves_h_eth eth = wpt_from_router();
	struct aves_h_eth other = { .dst = { .addr_bytes = { 2, 9, 9, 9, 9, 9 } },
				    .src = wpt_router_mac };
	uint8_t frame[WPT_FRAME_MAX];
	size_t len;

	(void)state;
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	/* Too short for Ethernet. */
	assert_int_equal(wpt_inject(0, frame, 10), 0);
	/* IPv6 (not ours to handle). */
	len = udp_to(frame, WPT_A, WPT_W1, 1, 2, 10, 0);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* For another host's MAC. */
	{
		struct aves_h_ip ip = { .src = WPT_A, .dst = WPT_W1 };

		len = aves_h_udp_frame(frame, &other, &ip, 1, 2, "x", 1);
	}
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* IPv4 header checksum broken. */
	len = udp_to(frame, WPT_A, WPT_W1, 1, 2, 10, 0);
	frame[14 + 10] ^= 0xff;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* UDP checksum broken, to the interface address: a host checks what it receives
	 * (to a waypoint address it is relayed: test_relayed_checksum_left_alone). */
	len = udp_to(frame, WPT_A, WPT_IFACE, 1, 2, 10, 0);
	frame[len - 1] ^= 0xff;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* Total length beyond the frame. */
	len = udp_to(frame, WPT_A, WPT_W1, 1, 2, 10, 0);
	assert_int_equal(wpt_inject(0, frame, len - 4), 0);
	/* SYN and FIN together. */
	len = tcp_to(frame, WPT_A, WPT_W1, 1, 2, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* A loopback source. */
	len = udp_to(frame, aves_h_addr(127, 0, 0, 1), WPT_W1, 1, 2, 10, 0);
	assert_int_equal(wpt_inject(0, frame, len), 0);
	/* ARP that is not Ethernet/IPv4. */
	len = aves_h_arp_frame(frame, &eth, 1, &wpt_router_mac, WPT_ROUTER, &T.mac, WPT_IFACE);
	frame[14 + 4] = 8;
	assert_int_equal(wpt_inject(0, frame, len), 0);
	wpt_run();

	assert_int_equal(wpt_pending(), 0);
	assert_int_equal(wpt_ctr(WP_CTR_RX_ETH_SHORT), 1);
	assert_int_equal(wpt_ctr(WP_CTR_RX_ETHERTYPE), 1);
	assert_int_equal(wpt_ctr(WP_CTR_RX_NOT_OURS), 1);
	assert_int_equal(wpt_ctr(WP_CTR_RX_IP_INVALID), 5);
	assert_int_equal(wpt_parse(AVES_PARSE_IP_CKSUM), 1);
	assert_int_equal(wpt_parse(AVES_PARSE_UDP_CKSUM), 1);
	assert_int_equal(wpt_parse(AVES_PARSE_IP_TOTAL_LEN), 1);
	assert_int_equal(wpt_parse(AVES_PARSE_TCP_FLAGS), 1);
	assert_int_equal(wpt_parse(AVES_PARSE_IP_SRC_MARTIAN), 1);
	{
		uint64_t c[AVES_NEIGH_CTR_MAX];

		aves_neigh_counters(T.app->base.neigh, c);
		assert_int_equal(c[AVES_NEIGH_FORMAT], 1);
	}
	assert_int_equal(wpt_ctr(WP_CTR_FWD_PKTS), 0);
	/* The port counted every frame it received. */
	assert_int_equal(wp_lcore_stats(T.app, 0)->port[T.port.port_id].rx_pkts, 1 + 1 + 9);
}

static void
test_full_tables_counted(void **state)
{
	uint8_t frame[WPT_FRAME_MAX];
	struct aves_table_stats ts;
	uint64_t s;

	(void)state;
	wpt_stop();
	assert_int_equal(wpt_start("tables = { bindings = 2; blocks = 1; connections = 1;"
				   " neighbours = 16; punt-ring = 256; };\n"), 0);
	/* Bindings: two fit, the third SETUP is refused. */
	wpt_bind(WPT_W1, WPT_A, WPT_R, WPT_B, 101);
	wpt_bind(WPT_W1, WPT_A2, WPT_R, WPT_B, 101);
	s = wpt_send_setup(AVES_CTRL_MODE_INTRANET, WPT_W1, WPT_V, WPT_R, WPT_B, 101);
	wpt_run();
	wpt_expect_reply(AVES_CTRL_REJECT, s, WPT_W1, AVES_CTRL_REASON_TABLE_FULL);
	assert_int_equal(wpt_ctr(WP_CTR_BINDING_TABLE_FULL), 1);
	aves_table_stats_get(T.app->bindings, &ts);
	assert_int_equal(ts.full, 1);
	/* Connections: one tracked, the second is not, and FIN tracking stops for its session
	 * (it then ends by its idle timeout only). */
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22, RTE_TCP_SYN_FLAG));
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40001, 22, RTE_TCP_SYN_FLAG));
	assert_int_equal(wpt_ctr(WP_CTR_CONN_UNTRACKED), 1);
	send_bound(frame, tcp_to(frame, WPT_A, WPT_W1, 40000, 22,
				 RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG));
	assert_false(aves_live_fin_ended(&wpt_binding(WPT_W1, WPT_A)->live));
	/* Blocks: one stray penalised, the second finds no room. */
	assert_int_equal(wpt_inject(0, frame, udp_to(frame, WPT_S, WPT_W2, 1, 2, 1, 0)), 0);
	assert_int_equal(wpt_inject(0, frame, udp_to(frame, WPT_V, WPT_W2, 1, 2, 1, 0)), 0);
	wpt_run();
	assert_int_equal(wpt_ctr(WP_CTR_BLOCKS_RECORDED), 1);
	assert_int_equal(wpt_ctr(WP_CTR_BLOCK_TABLE_FULL), 1);
	assert_int_equal(wpt_pending(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intranet_setup_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intranet_setup_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_packet_tunnelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relayed_checksum_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replayed_setup_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_request_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_to_own_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_to_waypoint_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_hop_resolution_holds_packets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_next_hop_resolution_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts_per_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_tracking_with_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_exception, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_fragmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_mtu_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_quote_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_icmp_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_tables_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
