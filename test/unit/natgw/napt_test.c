/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw as an ordinary NAT, with one worker, through net_ring ports: inside hosts reach
 * the Internet through NAPT for UDP, TCP and ICMP echo, out and back; ICMP errors in both
 * directions with the headers they quote translated; port collisions; per-protocol idle
 * timeouts and two-way FIN tracking; the table cap; echo and ARP for the gateway's own
 * addresses; what is not forwarded; fragmented datagrams reassembled, translated and
 * fragmented again. Every frame out is compared byte for byte with one assembled here, its
 * checksums recomputed in full by the harness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "ngt.h"

static int
group_setup(void **state)
{
	(void)state;
	return ngt_init(1);
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

static const struct rte_ether_addr *
mac_of(uint32_t host)
{
	if (host == NGT_B)
		return &ngt_b_mac;
	if (host == NGT_B2)
		return &ngt_b2_mac;
	if (host == NGT_Z)
		return &ngt_z_mac;
	return &ngt_h_mac;
}

/* A UDP datagram into port @p p (from the router outside, from the host inside). */
static size_t
udp(uint8_t *buf, int p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint16_t n)
{
	static uint8_t payload[NGT_FRAME_MAX];
	struct aves_h_eth eth = ngt_eth_in(p, p == NGT_OUT ? &ngt_router_mac : mac_of(src));
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 0x0101, .tos = 0x10 };
	uint16_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	return aves_h_udp_frame(buf, &eth, &ip, sport, dport, payload, n);
}

static size_t
tcp(uint8_t *buf, int p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint8_t flags)
{
	struct aves_h_eth eth = ngt_eth_in(p, p == NGT_OUT ? &ngt_router_mac : mac_of(src));
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 0x0202, .frag = 0x4000 };

	return aves_h_tcp_frame(buf, &eth, &ip, sport, dport, 1000, 77, flags, "data", 4);
}

static size_t
echo(uint8_t *buf, int p, uint32_t src, uint32_t dst, uint8_t type, uint16_t ident,
     uint16_t seq)
{
	struct aves_h_eth eth = ngt_eth_in(p, p == NGT_OUT ? &ngt_router_mac : mac_of(src));
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 0x4242 };

	return aves_h_icmp_echo_frame(buf, &eth, &ip, type, ident, seq, "ping-payload", 12);
}

/* What @p frame (from inside) must look like leaving by the outside port: source R:@p port
 * (or identifier), every checksum recomputed. */
static size_t
as_napt_out(uint8_t *want, const uint8_t *frame, uint16_t port)
{
	uint8_t ip[NGT_FRAME_MAX];

	memcpy(ip, frame + 14, (size_t)(frame[16] << 8 | frame[17]));
	ngt_set_src(ip, NGT_R);
	ngt_set_sport(ip, port);
	ngt_fix(ip);
	return ngt_frame_out(want, NGT_OUT, &ngt_router_mac, ip);
}

/* What @p frame (from outside, to R) must look like delivered to @p host:@p port. */
static size_t
as_napt_in(uint8_t *want, const uint8_t *frame, uint32_t host, uint16_t port)
{
	uint8_t ip[NGT_FRAME_MAX];

	memcpy(ip, frame + 14, (size_t)(frame[16] << 8 | frame[17]));
	ngt_set_dst(ip, host);
	ngt_set_dport(ip, port);
	ngt_fix(ip);
	return ngt_frame_out(want, NGT_IN, mac_of(host), ip);
}

/* Inject, run, and expect exactly @p want on port @p out. */
static void
expect_through(int in, const uint8_t *frame, size_t len, int out, const uint8_t *want,
	       size_t want_len)
{
	ngt_inject(in, frame, len);
	ngt_run();
	ngt_expect(out, want, want_len);
	assert_int_equal(ngt_pending(), 0);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_napt_udp_out_and_back(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	struct ngw_session *s;
	size_t len;

	(void)state;
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 30);
	/* The first packet goes to the control lcore, which creates the session and sends it;
	 * the port is kept (it is free and in range). */
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 40000));
	s = ngt_session(IPPROTO_UDP, NGT_HOST, 40000, NGT_X, 53);
	assert_non_null(s);
	assert_int_equal(s->kind, NGW_NAPT);
	assert_int_equal(ngt_ctr(NGW_CTR_PUNT_NAPT), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_NAPT_CREATED), 1);
	/* The next one is translated by the worker itself. */
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 31);
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 40000));
	assert_int_equal(ngt_ctr(NGW_CTR_PUNT_NAPT), 1);
	/* The reply comes back to the host. */
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40000, 100);
	expect_through(NGT_OUT, frame, len, NGT_IN, want, as_napt_in(want, frame, NGT_HOST, 40000));
	assert_int_equal(ngt_ctr(NGW_CTR_NAPT_OUT), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_NAPT_IN), 1);
	assert_int_equal(aves_table_count(T.app->sessions), 1);
	assert_int_equal(aves_table_count(T.app->inbound), 1);
	assert_int_equal(ngw_control_sessions(T.app->control, NGW_NAPT), 1);
}

static void
test_napt_tcp_out_and_back(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	size_t len;

	(void)state;
	len = tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 443, RTE_TCP_SYN_FLAG);
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 45000));
	len = tcp(frame, NGT_OUT, NGT_X, 443, NGT_R, 45000, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	expect_through(NGT_OUT, frame, len, NGT_IN, want, as_napt_in(want, frame, NGT_HOST, 45000));
	len = tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 443, RTE_TCP_ACK_FLAG);
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 45000));
	assert_int_equal(atomic_load(&ngt_session(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 443)->tcp),
			 AVES_TCP_OPEN);
}

static void
test_napt_icmp_echo(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	struct ngw_session *s;
	uint16_t id;
	size_t len;

	(void)state;
	/* Identifier 0x77 is below nat.port-min: a random one in range is chosen. */
	len = echo(frame, NGT_IN, NGT_HOST, NGT_X, 8, 0x77, 1);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	s = ngt_session(IPPROTO_ICMP, NGT_HOST, 0x77, NGT_X, 0x77);
	assert_non_null(s);
	id = rte_be_to_cpu_16(s->t_sport);
	assert_true(id >= 1024);
	assert_int_equal(s->t_dport, s->t_sport);
	ngt_expect(NGT_OUT, want, as_napt_out(want, frame, id));
	/* The reply to that identifier goes back with the host's own. */
	len = echo(frame, NGT_OUT, NGT_X, NGT_R, 0, id, 1);
	expect_through(NGT_OUT, frame, len, NGT_IN, want, as_napt_in(want, frame, NGT_HOST, 0x77));
	/* An echo request to R is ours to answer, not NAT traffic. */
	assert_int_equal(ngt_ctr(NGW_CTR_ECHO_REPLIED), 0);
}

static void
test_napt_port_collision(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	struct ngw_session *s;
	uint16_t port;
	size_t len;

	(void)state;
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 10);
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 40000));
	/* Another host, same port, same destination: it cannot have R:40000 too. */
	len = udp(frame, NGT_IN, NGT_B, 40000, NGT_X, 53, 10);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	s = ngt_session(IPPROTO_UDP, NGT_B, 40000, NGT_X, 53);
	assert_non_null(s);
	port = rte_be_to_cpu_16(s->t_sport);
	assert_int_not_equal(port, 40000);
	assert_true(port >= 1024);
	assert_int_not_equal(port, AVES_TUNNEL_PORT);
	ngt_expect(NGT_OUT, want, as_napt_out(want, frame, port));
	/* Each reply finds its own host. */
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, port, 10);
	expect_through(NGT_OUT, frame, len, NGT_IN, want, as_napt_in(want, frame, NGT_B, 40000));
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40000, 10);
	expect_through(NGT_OUT, frame, len, NGT_IN, want, as_napt_in(want, frame, NGT_HOST, 40000));
	/* The same host and port toward another destination keeps its port (per-destination
	 * mapping). */
	len = udp(frame, NGT_IN, NGT_B, 40000, NGT_A, 53, 10);
	expect_through(NGT_IN, frame, len, NGT_OUT, want, as_napt_out(want, frame, 40000));
}

/* ---------------------------------------------------------------------------------------- */
/* ICMP errors                                                                               */
/* ---------------------------------------------------------------------------------------- */

static void
test_icmp_error_from_outside(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], sent[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	uint8_t ip[NGT_FRAME_MAX];
	struct ngw_session *s;
	size_t len;
	int n;

	(void)state;
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 30);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	n = ngt_take_any(NGT_OUT, sent); /* [R:40000 -> X:53] */
	assert_true(n > 0);
	/* X answers port unreachable quoting what it received: [R:40000 -> X:53]. */
	len = ngt_icmp_error_frame(frame, NGT_OUT, &ngt_router_mac, NGT_X, NGT_R, 3, 3, sent + 14);
	/* H must get it about its own packet: [X -> H] quoting [H:40000 -> X:53]. */
	memcpy(ip, frame + 14, len - 14);
	ngt_set_dst(ip, NGT_HOST);
	ngt_set_src(ngt_quote(ip), NGT_HOST);
	ngt_set_sport(ngt_quote(ip), 40000);
	ngt_fix(ip);
	expect_through(NGT_OUT, frame, len, NGT_IN, want,
		       ngt_frame_out(want, NGT_IN, &ngt_h_mac, ip));
	/* A router on the way (not X) says time exceeded: same translation. */
	len = ngt_icmp_error_frame(frame, NGT_OUT, &ngt_router_mac, NGT_ROUTER, NGT_R, 11, 0,
				   sent + 14);
	memcpy(ip, frame + 14, len - 14);
	ngt_set_dst(ip, NGT_HOST);
	ngt_set_src(ngt_quote(ip), NGT_HOST);
	ngt_set_sport(ngt_quote(ip), 40000);
	ngt_fix(ip);
	expect_through(NGT_OUT, frame, len, NGT_IN, want,
		       ngt_frame_out(want, NGT_IN, &ngt_h_mac, ip));
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_ERR_IN), 2);
	/* Errors never keep a session alive nor add ICMP to it. */
	s = ngt_session(IPPROTO_UDP, NGT_HOST, 40000, NGT_X, 53);
	assert_int_equal(atomic_load(&s->live.flags), AVES_LIVE_UDP);
}

static void
test_icmp_error_from_inside(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], got[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	uint8_t ip[NGT_FRAME_MAX];
	size_t len;
	int n;

	(void)state;
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 30);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	ngt_drain();
	/* X's datagram arrives for H... */
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40000, 20);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	n = ngt_take_any(NGT_IN, got); /* [X:53 -> H:40000] */
	assert_true(n > 0);
	/* ...and H has closed its socket: port unreachable quoting [X:53 -> H:40000]. It must
	 * leave as [R -> X] quoting [X:53 -> R:40000], what X sent. */
	len = ngt_icmp_error_frame(frame, NGT_IN, &ngt_h_mac, NGT_HOST, NGT_X, 3, 3, got + 14);
	memcpy(ip, frame + 14, len - 14);
	ngt_set_src(ip, NGT_R);
	ngt_set_dst(ngt_quote(ip), NGT_R);
	ngt_set_dport(ngt_quote(ip), 40000);
	ngt_fix(ip);
	expect_through(NGT_IN, frame, len, NGT_OUT, want,
		       ngt_frame_out(want, NGT_OUT, &ngt_router_mac, ip));
	/* An inside router's error about the same packet leaves from R too: no inside address
	 * leaks. */
	len = ngt_icmp_error_frame(frame, NGT_IN, &ngt_z_mac, NGT_Z, NGT_X, 11, 0, got + 14);
	memcpy(ip, frame + 14, len - 14);
	ngt_set_src(ip, NGT_R);
	ngt_set_dst(ngt_quote(ip), NGT_R);
	ngt_set_dport(ngt_quote(ip), 40000);
	ngt_fix(ip);
	expect_through(NGT_IN, frame, len, NGT_OUT, want,
		       ngt_frame_out(want, NGT_OUT, &ngt_router_mac, ip));
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_ERR_OUT), 2);
}

static void
test_no_session_dropped(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], orig[NGT_FRAME_MAX];
	size_t len;

	(void)state;
	/* Unsolicited traffic to R: dropped and counted, no session made. */
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40000, 10);
	ngt_inject(NGT_OUT, frame, len);
	len = tcp(frame, NGT_OUT, NGT_X, 443, NGT_R, 22, RTE_TCP_SYN_FLAG);
	ngt_inject(NGT_OUT, frame, len);
	/* An error about a flow nobody has, either way. */
	udp(orig, NGT_IN, NGT_R, 40000, NGT_X, 53, 10);
	aves_h_ipv4_fix(orig + 14);
	len = ngt_icmp_error_frame(frame, NGT_OUT, &ngt_router_mac, NGT_X, NGT_R, 3, 3,
				   orig + 14);
	ngt_inject(NGT_OUT, frame, len);
	udp(orig, NGT_OUT, NGT_X, 53, NGT_HOST, 40000, 10);
	len = ngt_icmp_error_frame(frame, NGT_IN, &ngt_h_mac, NGT_HOST, NGT_X, 3, 3, orig + 14);
	ngt_inject(NGT_IN, frame, len);
	/* To an address that is not ours at all. */
	len = udp(frame, NGT_OUT, NGT_X, 53, aves_h_addr(198, 51, 100, 77), 40000, 10);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_NO_SESSION), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_NO_SESSION), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_RX_NOT_LOCAL), 1);
	assert_int_equal(aves_table_count(T.app->sessions), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Being a host: echo and ARP; what is not forwarded                                         */
/* ---------------------------------------------------------------------------------------- */

static size_t
echo_reply(uint8_t *out, int p, const struct rte_ether_addr *dst, const uint8_t *req)
{
	uint8_t ip[NGT_FRAME_MAX];
	uint32_t a, b;

	memcpy(ip, req + 14, (size_t)(req[16] << 8 | req[17]));
	memcpy(&a, ip + 12, 4);
	memcpy(&b, ip + 16, 4);
	ngt_set_src(ip, b);
	ngt_set_dst(ip, a);
	ip[8] = 64;
	ip[20] = 0;
	ngt_fix(ip);
	return ngt_frame_out(out, p, dst, ip);
}

static void
test_echo_and_arp_for_own_addresses(void **state)
{
	static const struct rte_ether_addr zero;
	const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff,
							      0xff } };
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;

	(void)state;
	len = echo(frame, NGT_OUT, NGT_X, NGT_R, 8, 0x99, 3);
	expect_through(NGT_OUT, frame, len, NGT_OUT, want,
		       echo_reply(want, NGT_OUT, &ngt_router_mac, frame));
	len = echo(frame, NGT_IN, NGT_HOST, NGT_I, 8, 0x99, 4);
	expect_through(NGT_IN, frame, len, NGT_IN, want,
		       echo_reply(want, NGT_IN, &ngt_h_mac, frame));
	/* R from the inside is ours too (no hairpin NAT: only echo is answered). */
	len = echo(frame, NGT_IN, NGT_HOST, NGT_R, 8, 0x99, 5);
	expect_through(NGT_IN, frame, len, NGT_IN, want,
		       echo_reply(want, NGT_IN, &ngt_h_mac, frame));
	len = udp(frame, NGT_IN, NGT_HOST, 1000, NGT_R, 9, 4);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	assert_int_equal(ngt_ctr(NGW_CTR_RX_LOCAL_OTHER), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_ECHO_REPLIED), 3);
	/* ARP for R on the outside is answered. */
	eth = (struct aves_h_eth){ .dst = bcast, .src = ngt_router_mac };
	len = aves_h_arp_frame(frame, &eth, 1, &ngt_router_mac, NGT_ROUTER, &zero, NGT_R);
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	eth = ngt_eth_out(NGT_OUT, &ngt_router_mac);
	len = aves_h_arp_frame(want, &eth, 2, &T.mac[NGT_OUT], NGT_R, &ngt_router_mac,
			       NGT_ROUTER);
	ngt_expect(NGT_OUT, want, len);
	assert_int_equal(ngt_pending(), 0);
}

/*
 * A translated packet's L4 checksum is the end hosts' to check: one sent wrong is translated
 * like any other (the incremental update keeps it exactly as wrong), both ways; a packet for
 * the gateway itself is checked and dropped.
 */
static void
test_checksums_end_to_end(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	const size_t payload = 14 + 20 + 8;
	size_t len, want_len;

	(void)state;
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 30);
	want_len = as_napt_out(want, frame, 40000);
	frame[payload + 3] ^= 0x5a;
	want[payload + 3] ^= 0x5a;
	expect_through(NGT_IN, frame, len, NGT_OUT, want, want_len);
	len = udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40000, 100);
	want_len = as_napt_in(want, frame, NGT_HOST, 40000);
	frame[payload + 99] ^= 0x5a;
	want[payload + 99] ^= 0x5a;
	expect_through(NGT_OUT, frame, len, NGT_IN, want, want_len);
	assert_int_equal(ngt_ctr(NGW_CTR_RX_IP_INVALID), 0);

	/* An echo request to R with a wrong ICMP checksum is not answered. */
	len = echo(frame, NGT_OUT, NGT_X, NGT_R, 8, 0x99, 3);
	frame[len - 1] ^= 0x5a;
	ngt_inject(NGT_OUT, frame, len);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_ECHO_REPLIED), 0);
	assert_int_equal(ngt_parse(AVES_PARSE_ICMP_CKSUM), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_RX_IP_INVALID), 1);
}

static void
test_not_forwarded(void **state)
{
	uint8_t frame[NGT_FRAME_MAX];
	size_t len;

	(void)state;
	/* Multicast, and an inside destination: neither is NAT traffic. */
	len = udp(frame, NGT_IN, NGT_HOST, 5353, aves_h_addr(224, 0, 0, 251), 5353, 10);
	ngt_inject(NGT_IN, frame, len);
	len = udp(frame, NGT_IN, NGT_HOST, 5353, aves_h_addr(10, 0, 0, 77), 5353, 10);
	ngt_inject(NGT_IN, frame, len);
	/* An echo reply nobody asked for opens nothing. */
	len = echo(frame, NGT_IN, NGT_HOST, NGT_X, 0, 0x1234, 1);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_RX_NOT_FORWARDED), 3);
	assert_int_equal(ngt_ctr(NGW_CTR_PUNT_NAPT), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Lifetime                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Send @p frame through and discard what comes out (exactly one frame). */
static void
through(int in, const uint8_t *frame, size_t len)
{
	uint8_t got[NGT_FRAME_MAX];

	ngt_inject(in, frame, len);
	ngt_run();
	assert_true(ngt_take_any(in == NGT_IN ? NGT_OUT : NGT_IN, got) > 0);
	assert_int_equal(ngt_pending(), 0);
}

/* The session lives until exactly @p deadline (the sweep removes it then). */
static void
expect_deadline(uint8_t proto, uint32_t h, uint16_t hp, uint32_t x, uint16_t xp,
		uint64_t deadline)
{
	T.now = deadline - 1;
	ngt_control();
	assert_non_null(ngt_session(proto, h, hp, x, xp));
	T.now = deadline;
	ngt_control();
	assert_null(ngt_session(proto, h, hp, x, xp));
}

static void
test_timeouts_per_protocol(void **state)
{
	struct aves_h_eth eth = ngt_eth_in(NGT_IN, &ngt_h_mac);
	uint8_t frame[NGT_FRAME_MAX];
	size_t len;

	(void)state;
	through(NGT_IN, frame, echo(frame, NGT_IN, NGT_HOST, NGT_X, 8, 2000, 1));
	expect_deadline(IPPROTO_ICMP, NGT_HOST, 2000, NGT_X, 2000, T.now + 60000);
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 10));
	expect_deadline(IPPROTO_UDP, NGT_HOST, 40000, NGT_X, 53, T.now + 15 * 60000);
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 22, RTE_TCP_SYN_FLAG));
	expect_deadline(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 22, T.now + 30 * 60000);
	{
		struct aves_h_ip ip = { .src = NGT_HOST, .dst = NGT_X, .id = 9 };

		len = aves_h_ip_frame(frame, &eth, &ip, 47, "\x00\x00\x08\x00grepayload", 14);
	}
	through(NGT_IN, frame, len);
	expect_deadline(47, NGT_HOST, 0, NGT_X, 0, T.now + 15 * 60000);
	/* Return traffic keeps a session alive as well. */
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40001, NGT_X, 53, 10));
	T.now += 10 * 60000;
	through(NGT_OUT, frame, udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40001, 10));
	expect_deadline(IPPROTO_UDP, NGT_HOST, 40001, NGT_X, 53, T.now + 15 * 60000);
	assert_int_equal(ngt_ctr(NGW_CTR_SESSIONS_EXPIRED), 5);
	/* An expired session is never used, even before the sweep: the late reply is dropped. */
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40002, NGT_X, 53, 10));
	T.now += 15 * 60000;
	ngt_inject(NGT_OUT, frame, udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40002, 10));
	ngt_workers();
	assert_int_equal(ngt_ctr(NGW_CTR_STALE_SESSION), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_NO_SESSION), 1);
	assert_int_equal(ngt_pending(), 0);
}

static void
test_fin_tracking_two_way(void **state)
{
	const uint8_t ack = RTE_TCP_ACK_FLAG, fin = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	const uint32_t linger = T.app->base.timers.tcp_linger_ms;
	uint8_t frame[NGT_FRAME_MAX];
	struct ngw_session *s;

	(void)state;
	assert_int_equal(linger, 10000);
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 22, RTE_TCP_SYN_FLAG));
	through(NGT_OUT, frame, tcp(frame, NGT_OUT, NGT_X, 22, NGT_R, 45000,
				    RTE_TCP_SYN_FLAG | ack));
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 22, ack));
	s = ngt_session(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 22);
	assert_int_equal(atomic_load(&s->live.open_tcp), 1);
	/* The host's FIN alone closes one direction: still open. */
	T.now += 100;
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 22, fin));
	assert_int_equal(atomic_load(&s->tcp), AVES_TCP_FIN_INITIATOR);
	T.now += linger;
	ngt_control();
	assert_non_null(ngt_session(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 22));
	/* The server's FIN completes it; the last ACK passes within the linger. */
	through(NGT_OUT, frame, tcp(frame, NGT_OUT, NGT_X, 22, NGT_R, 45000, fin));
	assert_int_equal(atomic_load(&s->tcp), AVES_TCP_CLOSED);
	assert_int_equal(atomic_load(&s->live.open_tcp), 0);
	T.now += 1000;
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45000, NGT_X, 22, ack));
	expect_deadline(IPPROTO_TCP, NGT_HOST, 45000, NGT_X, 22, T.now + linger);

	/* An RST from either side ends a connection at once. */
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45001, NGT_X, 22, RTE_TCP_SYN_FLAG));
	through(NGT_OUT, frame, tcp(frame, NGT_OUT, NGT_X, 22, NGT_R, 45001, RTE_TCP_RST_FLAG));
	expect_deadline(IPPROTO_TCP, NGT_HOST, 45001, NGT_X, 22, T.now + linger);

	/* HTTP is not FIN-tracked: 20 minutes after the last packet. */
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45002, NGT_X, 80, RTE_TCP_SYN_FLAG));
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45002, NGT_X, 80, fin));
	through(NGT_OUT, frame, tcp(frame, NGT_OUT, NGT_X, 80, NGT_R, 45002, fin));
	expect_deadline(IPPROTO_TCP, NGT_HOST, 45002, NGT_X, 80, T.now + 20 * 60000);

	/* A connection seen mid-stream cannot be counted: idle timeout only. */
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45003, NGT_X, 22, ack));
	through(NGT_IN, frame, tcp(frame, NGT_IN, NGT_HOST, 45003, NGT_X, 22, fin));
	through(NGT_OUT, frame, tcp(frame, NGT_OUT, NGT_X, 22, NGT_R, 45003, fin));
	expect_deadline(IPPROTO_TCP, NGT_HOST, 45003, NGT_X, 22, T.now + 30 * 60000);
}

static void
test_full_table_counted(void **state)
{
	uint8_t frame[NGT_FRAME_MAX];
	struct aves_table_stats ts;

	(void)state;
	ngt_stop();
	assert_int_equal(ngt_start("tables = { sessions = 2; trusted-sources = 16;"
				   " neighbours = 32; punt-ring = 256; };\n"), 0);
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 53, 10));
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40001, NGT_X, 53, 10));
	/* The third finds no room: dropped and counted; the others are not disturbed. */
	ngt_inject(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40002, NGT_X, 53, 10));
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_SESSION_TABLE_FULL), 1);
	aves_table_stats_get(T.app->sessions, &ts);
	assert_int_equal(ts.full, 1);
	assert_int_equal(aves_table_count(T.app->sessions), 2);
	through(NGT_OUT, frame, udp(frame, NGT_OUT, NGT_X, 53, NGT_R, 40001, 10));
	/* Once one expires, there is room again. */
	T.now += 15 * 60000;
	ngt_control();
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40002, NGT_X, 53, 10));
	assert_int_equal(ngt_ctr(NGW_CTR_SESSIONS_EXPIRED), 2);
}

/* ---------------------------------------------------------------------------------------- */
/* Fragments and MTU                                                                         */
/* ---------------------------------------------------------------------------------------- */

/* Inject every fragment, run, and expect the fragments of @p want_whole (an Ethernet frame
 * of the translated datagram) cut at @p chunk bytes on port @p out. */
static void
expect_refragmented(int in, uint8_t frags[][NGT_FRAME_MAX], const size_t *lens, unsigned int n,
		    int out, const uint8_t *want_whole, size_t want_len, uint16_t chunk)
{
	static uint8_t want[8][NGT_FRAME_MAX];
	size_t wlens[8];
	unsigned int i, m;

	for (i = 0; i < n; i++)
		ngt_inject(in, frags[i], lens[i]);
	ngt_run();
	m = ngt_fragment(want_whole, want_len, chunk, want, wlens, 8);
	for (i = 0; i < m; i++)
		ngt_expect(out, want[i], wlens[i]);
	assert_int_equal(ngt_pending(), 0);
}

static void
test_fragmented_datagrams_translated(void **state)
{
	static uint8_t frags[8][NGT_FRAME_MAX];
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	size_t lens[8], len, wlen;
	unsigned int n;

	(void)state;
	/* 3000 bytes from H in three fragments: reassembled (the ports are in the first one
	 * only), translated, and fragmented again for the 1500-byte outside link. */
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 9000, 2972);
	n = ngt_fragment(frame, len, 1480, frags, lens, 8);
	assert_int_equal(n, 3);
	wlen = as_napt_out(want, frame, 40000);
	expect_refragmented(NGT_IN, frags, lens, n, NGT_OUT, want, wlen, 1480);
	/* The answer, fragmented on the way, reaches H the same way. */
	len = udp(frame, NGT_OUT, NGT_X, 9000, NGT_R, 40000, 2972);
	n = ngt_fragment(frame, len, 1480, frags, lens, 8);
	wlen = as_napt_in(want, frame, NGT_HOST, 40000);
	expect_refragmented(NGT_OUT, frags, lens, n, NGT_IN, want, wlen, 1480);
	assert_int_equal(ngt_ctr(NGW_CTR_REASSEMBLED), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_FRAGMENTED), 2);
	/* Fragments from the Internet go to the general reassembly table. */
	assert_int_equal(ngt_reasm(AVES_REASM_REASSEMBLED), 2);
}

/* A smaller MTU outside: DF packets that do not fit are refused with ICMP, others split. */
static void
test_path_mtu(void **state)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX], icmp[NGT_FRAME_MAX];
	static uint8_t none[1][NGT_FRAME_MAX];
	struct aves_h_eth eth;
	struct aves_h_ip ip = { .src = NGT_I, .dst = NGT_HOST, .id = 0, .tos = 0xc0 };
	size_t len, wlen;

	(void)state;
	ngt_stop();
	assert_int_equal(ngt_start(
		"ports = ( { device = \"net_ring_ngt_out\"; side = \"outside\";"
		" address = \"198.51.100.20/24\"; mtu = 1400; },\n"
		"          { device = \"net_ring_ngt_in\"; side = \"inside\";"
		" address = \"10.0.0.1/24\"; } );\n"), 0);
	through(NGT_IN, frame, udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 9000, 10));
	/* 1500 bytes with DF: H is told 1400, from the gateway's address on its network,
	 * about its packet as it sent it. */
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 9000, 1472);
	frame[14 + 6] = 0x40;
	aves_h_ipv4_fix(frame + 14);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 4;
	icmp[6] = 1400 >> 8;
	icmp[7] = 1400 & 0xff;
	memcpy(icmp + 8, frame + 14, 576 - 28);
	eth = ngt_eth_out(NGT_IN, &ngt_h_mac);
	wlen = aves_h_ip_frame(want, &eth, &ip, IPPROTO_ICMP, icmp, 576 - 20);
	aves_h_ipv4_fix(want + 14);
	ngt_expect(NGT_IN, want, wlen);
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_PMTU_DROPPED), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_SENT), 1);
	/* Without DF it is fragmented to fit. */
	len = udp(frame, NGT_IN, NGT_HOST, 40000, NGT_X, 9000, 1472);
	wlen = as_napt_out(want, frame, 40000);
	memcpy(none[0], frame, len);
	{
		size_t one = len;

		expect_refragmented(NGT_IN, none, &one, 1, NGT_OUT, want, wlen, 1376);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_napt_udp_out_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_napt_tcp_out_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_napt_icmp_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_napt_port_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_from_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_from_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_session_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_and_arp_for_own_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_checksums_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts_per_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_tracking_two_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_datagrams_translated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_mtu, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
