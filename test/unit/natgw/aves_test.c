/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw's AVES inbound path, with one worker, through net_ring ports. Tunnel packets are
 * built by lib/aves_tunnel (aves_encap + aves_tag_burst) with the test's keys, as a waypoint
 * builds them: a good tag delivers exactly the inner packet to the responder; forged tags,
 * another gateway's key and unknown key ids are dropped and counted; fragmented tunnel
 * packets are reassembled in order, reversed and with a duplicate fragment; the responder's
 * replies [B -> A] leave as [W -> A]; traceroute's ICMP (port unreachable from B, time
 * exceeded from an inside router) is translated with its quote; a tuple that belongs to a
 * NAPT session is refused; a path re-made through another waypoint address; misdirected and
 * malformed inner packets; and the multi-homed variant (source rewritten to the inside
 * address and a chosen port or ICMP identifier, replies mapped back, errors too).
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
setup_mh(void **state)
{
	(void)state;
	return ngt_start("tunnel = { multihomed = true; };\n");
}

static int
teardown(void **state)
{
	(void)state;
	ngt_stop();
	return 0;
}

/* An inner packet [src:sport -> dst:dport] as the waypoint forwards it (IPv4, no Ethernet):
 * written to @p ip, returns its length. */
static uint16_t
inner_udp(uint8_t *ip, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint16_t n,
	  uint8_t ttl)
{
	static uint8_t payload[NGT_FRAME_MAX];
	struct aves_h_eth eth = { 0 };
	struct aves_h_ip h = { .src = src, .dst = dst, .id = 0x0707, .ttl = ttl };
	uint8_t frame[NGT_FRAME_MAX];
	size_t len;
	uint16_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 3 + 5);
	len = aves_h_udp_frame(frame, &eth, &h, sport, dport, payload, n);
	memcpy(ip, frame + 14, len - 14);
	return (uint16_t)(len - 14);
}

static uint16_t
inner_tcp(uint8_t *ip, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	  uint8_t flags)
{
	struct aves_h_eth eth = { 0 };
	struct aves_h_ip h = { .src = src, .dst = dst, .id = 0x0808, .frag = 0x4000 };
	uint8_t frame[NGT_FRAME_MAX];
	size_t len = aves_h_tcp_frame(frame, &eth, &h, sport, dport, 5000, 0, flags, "hello", 5);

	memcpy(ip, frame + 14, len - 14);
	return (uint16_t)(len - 14);
}

static uint16_t
inner_echo(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t type, uint16_t ident)
{
	struct aves_h_eth eth = { 0 };
	struct aves_h_ip h = { .src = src, .dst = dst, .id = 0x0909 };
	uint8_t frame[NGT_FRAME_MAX];
	size_t len = aves_h_icmp_echo_frame(frame, &eth, &h, type, ident, 1, "abcdefgh", 8);

	memcpy(ip, frame + 14, len - 14);
	return (uint16_t)(len - 14);
}

/* @p ip as a frame from inside host @p mac. */
static size_t
from_inside(uint8_t *frame, const struct rte_ether_addr *mac, const uint8_t *ip)
{
	uint16_t len = (uint16_t)(ip[2] << 8 | ip[3]);

	memcpy(frame, &T.mac[NGT_IN], 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memcpy(frame + 14, ip, len);
	return 14u + len;
}

/* Tunnel @p inner through @p w with key 101; expect exactly @p inner on the inside, to B. */
static void
expect_delivered(const uint8_t *inner, uint16_t len, uint32_t w,
		 const struct rte_ether_addr *to)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	size_t flen = ngt_tunnel_frame(frame, inner, len, w, &T.k101);

	ngt_inject(NGT_OUT, frame, flen);
	ngt_run();
	ngt_expect(NGT_IN, want, ngt_frame_out(want, NGT_IN, to, inner));
	assert_int_equal(ngt_pending(), 0);
}

/* B's packet @p ip must leave as [W -> ...] with every checksum recomputed: source address
 * @p src, and (multi-homed) destination @p dst:@p dport. */
static void
expect_reply(const uint8_t *ip, uint32_t src, uint32_t dst, int dport)
{
	uint8_t frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX], out[NGT_FRAME_MAX];
	size_t len = from_inside(frame, &ngt_b_mac, ip);

	memcpy(out, ip, (size_t)(ip[2] << 8 | ip[3]));
	ngt_set_src(out, src);
	ngt_set_dst(out, dst);
	if (dport >= 0)
		ngt_set_dport(out, (uint16_t)dport);
	ngt_fix(out);
	ngt_inject(NGT_IN, frame, len);
	ngt_run();
	ngt_expect(NGT_OUT, want, ngt_frame_out(want, NGT_OUT, &ngt_router_mac, out));
	assert_int_equal(ngt_pending(), 0);
}

/* The session a tunnelled flow [A:pa -> B:pb] through W made, or NULL. */
static struct ngw_session *
path_of(uint8_t proto, uint32_t a, uint16_t pa, uint32_t b, uint16_t pb, uint32_t w)
{
	const struct ngw_in_key k __rte_aligned(8) = {
		.flow = { .src = a, .dst = b, .sport = rte_cpu_to_be_16(pa),
			  .dport = rte_cpu_to_be_16(pb), .proto = proto },
		.waypoint = w,
	};
	const struct ngw_ref *ref = aves_table_lookup(T.app->inbound, &k);

	return ref != NULL ? ref->s : NULL;
}

/* ---------------------------------------------------------------------------------------- */

static void
test_good_tag_delivered_and_replied(void **state)
{
	uint8_t ip[NGT_FRAME_MAX];
	struct ngw_session *s;
	uint16_t len;

	(void)state;
	len = inner_tcp(ip, NGT_A, 5000, NGT_B, 22, RTE_TCP_SYN_FLAG);
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
	s = path_of(IPPROTO_TCP, NGT_A, 5000, NGT_B, 22, NGT_W);
	assert_non_null(s);
	assert_int_equal(s->kind, NGW_AVES);
	assert_ptr_equal(s, ngt_session(IPPROTO_TCP, NGT_B, 22, NGT_A, 5000));
	assert_int_equal(ngt_rx(AVES_RX_OK), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_PUNT_AVES), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_CREATED), 1);
	/* The reply [B:22 -> A:5000] leaves as [W:22 -> A:5000]. */
	len = inner_tcp(ip, NGT_B, 22, NGT_A, 5000, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	expect_reply(ip, NGT_W, NGT_A, -1);
	/* Later packets of the connection go through the worker alone. */
	len = inner_tcp(ip, NGT_A, 5000, NGT_B, 22, RTE_TCP_ACK_FLAG);
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
	assert_int_equal(ngt_ctr(NGW_CTR_PUNT_AVES), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_IN), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_OUT), 1);
	assert_int_equal(atomic_load(&s->live.open_tcp), 1);
	/* The waypoint is trusted for reassembly now. */
	assert_int_equal(aves_table_count(T.app->trust), 1);
	/* Another responder through the same W: a session of its own. */
	len = inner_udp(ip, NGT_A, 5001, NGT_B2, 53, 20, 64);
	expect_delivered(ip, len, NGT_W, &ngt_b2_mac);
	assert_int_equal(ngw_control_sessions(T.app->control, NGW_AVES), 2);
}

static void
test_refused_tags(void **state)
{
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX];
	struct aves_key k999;
	uint16_t len;
	size_t flen;

	(void)state;
	len = inner_tcp(ip, NGT_A, 5000, NGT_B, 22, RTE_TCP_SYN_FLAG);
	/* Our key id, the wrong secret: a forgery. */
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.forged101));
	/* Another gateway's key: not ours to hold. */
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k102));
	/* A key id nobody configured. */
	k999 = T.k101;
	k999.id = 999;
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &k999));
	/* A good packet with one byte of the inner packet changed after tagging. */
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	frame[flen - 16 - 1] ^= 0x20;
	ngt_inject(NGT_OUT, frame, flen);
	/* ... and with the waypoint address changed (it is authenticated too). */
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	memcpy(frame + 14 + 28 + 8, &NGT_W2, 4);
	ngt_inject(NGT_OUT, frame, flen);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_rx(AVES_RX_BAD_TAG), 3);
	assert_int_equal(ngt_rx(AVES_RX_UNKNOWN_KEY), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_REJECTED), 5);
	assert_int_equal(aves_table_count(T.app->sessions), 0);
	assert_int_equal(aves_table_count(T.app->trust), 0);
	/* The genuine packet still goes through. */
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
}

static void
test_fragmented_tunnel_packets(void **state)
{
	static uint8_t frags[8][NGT_FRAME_MAX];
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	size_t lens[8], flen, wlen;
	unsigned int n, i;
	uint16_t len;

	(void)state;
	/* 1400 inner bytes: 1464 in the tunnel, sent as three fragments of <= 512 bytes. */
	len = inner_udp(ip, NGT_A, 7000, NGT_B, 9000, 1372, 64);
	assert_int_equal(len, 1400);
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	n = ngt_fragment(frame, flen, 512, frags, lens, 8);
	assert_int_equal(n, 3);
	wlen = ngt_frame_out(want, NGT_IN, &ngt_b_mac, ip);
	/* In order. */
	for (i = 0; i < n; i++)
		ngt_inject(NGT_OUT, frags[i], lens[i]);
	ngt_run();
	ngt_expect(NGT_IN, want, wlen);
	assert_int_equal(ngt_pending(), 0);
	/* Reversed (a new datagram: a new outer identification). */
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	n = ngt_fragment(frame, flen, 512, frags, lens, 8);
	for (i = n; i-- > 0;)
		ngt_inject(NGT_OUT, frags[i], lens[i]);
	ngt_run();
	ngt_expect(NGT_IN, want, wlen);
	assert_int_equal(ngt_pending(), 0);
	/* With a duplicate of the middle fragment, and the first one twice as well: the copy
	 * is dropped alone, the datagram survives. W has a reply path now: the trusted table
	 * holds it while it is incomplete. */
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	n = ngt_fragment(frame, flen, 512, frags, lens, 8);
	ngt_inject(NGT_OUT, frags[0], lens[0]);
	ngt_inject(NGT_OUT, frags[1], lens[1]);
	ngt_inject(NGT_OUT, frags[1], lens[1]);
	ngt_inject(NGT_OUT, frags[0], lens[0]);
	ngt_workers();
	assert_int_equal(ngw_worker_reasm_pending(T.app->workers[0], true), 1);
	assert_int_equal(ngw_worker_reasm_pending(T.app->workers[0], false), 0);
	ngt_inject(NGT_OUT, frags[2], lens[2]);
	ngt_run();
	ngt_expect(NGT_IN, want, wlen);
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_reasm(AVES_REASM_REASSEMBLED), 3);
	assert_int_equal(ngt_reasm(AVES_REASM_DUPLICATE), 2);
	assert_int_equal(ngt_ctr(NGW_CTR_REASSEMBLED), 3);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_IN), 3);
	/* An incomplete datagram times out. */
	flen = ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101);
	n = ngt_fragment(frame, flen, 512, frags, lens, 8);
	ngt_inject(NGT_OUT, frags[0], lens[0]);
	ngt_run();
	T.now += T.app->cfg.reasm_timeout_ms;
	ngt_run();
	assert_int_equal(ngw_worker_reasm_pending(T.app->workers[0], true), 1);
	T.now += 1;
	ngt_run();
	assert_int_equal(ngt_reasm(AVES_REASM_TIMEOUT), 1);
	assert_int_equal(ngw_worker_reasm_pending(T.app->workers[0], true), 0);
	assert_int_equal(ngt_pending(), 0);
}

static void
test_icmp_echo_through_aves(void **state)
{
	uint8_t ip[NGT_FRAME_MAX];
	uint16_t len;

	(void)state;
	len = inner_echo(ip, NGT_A, NGT_B, 8, 0x4321);
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
	inner_echo(ip, NGT_B, NGT_A, 0, 0x4321);
	expect_reply(ip, NGT_W, NGT_A, -1);
	/* ICMP paths live a minute. */
	T.now += 60000 - 1;
	ngt_control();
	assert_non_null(path_of(IPPROTO_ICMP, NGT_A, 0x4321, NGT_B, 0x4321, NGT_W));
	T.now += 1;
	ngt_control();
	assert_null(path_of(IPPROTO_ICMP, NGT_A, 0x4321, NGT_B, 0x4321, NGT_W));
	assert_int_equal(aves_table_count(T.app->sessions), 0);
}

/*
 * traceroute through AVES (§5.3): the initiator's UDP probes come in through the tunnel; what
 * they trigger goes out as ICMP — port unreachable from B, time exceeded from a router on the
 * inside — and must reach A as if W had answered, about the probe A sent to W.
 */
static void
test_traceroute_icmp_translated(void **state)
{
	uint8_t probe[NGT_FRAME_MAX], frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	uint8_t out[NGT_FRAME_MAX];
	uint16_t len;
	size_t flen;
	uint8_t type;

	(void)state;
	len = inner_udp(probe, NGT_A, 40000, NGT_B, 33434, 24, 1);
	expect_delivered(probe, len, NGT_W, &ngt_b_mac);
	for (type = 3; type <= 11; type = (uint8_t)(type + 8)) {
		const struct rte_ether_addr *mac = type == 3 ? &ngt_b_mac : &ngt_z_mac;
		uint32_t from = type == 3 ? NGT_B : NGT_Z;

		flen = ngt_icmp_error_frame(frame, NGT_IN, mac, from, NGT_A, type,
					    type == 3 ? 3 : 0, probe);
		/* Expected: [W -> A] quoting [A:40000 -> W:33434], every checksum right. */
		memcpy(out, frame + 14, flen - 14);
		ngt_set_src(out, NGT_W);
		ngt_set_dst(ngt_quote(out), NGT_W);
		ngt_fix(out);
		ngt_inject(NGT_IN, frame, flen);
		ngt_run();
		ngt_expect(NGT_OUT, want, ngt_frame_out(want, NGT_OUT, &ngt_router_mac, out));
		assert_int_equal(ngt_pending(), 0);
	}
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_ERR_OUT), 2);
	/* The probe's path is the only state: the errors created none and kept nothing alive. */
	assert_int_equal(aves_table_count(T.app->sessions), 1);
	assert_int_equal(atomic_load(&path_of(IPPROTO_UDP, NGT_A, 40000, NGT_B, 33434,
					      NGT_W)->live.flags), AVES_LIVE_UDP);
	/* Once the path is gone, an error about it is not translated. */
	T.now += 15 * 60000;
	ngt_control();
	assert_int_equal(aves_table_count(T.app->sessions), 0);
	ngt_inject(NGT_IN, frame, flen);
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_NO_SESSION), 1);
}

static void
test_conflict_with_napt(void **state)
{
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX], got[NGT_FRAME_MAX];
	uint16_t len;

	(void)state;
	/* B itself talks to A:5000 from port 22 through NAPT. */
	len = inner_udp(ip, NGT_B, 22, NGT_A, 5000, 8, 64);
	ngt_inject(NGT_IN, frame, from_inside(frame, &ngt_b_mac, ip));
	ngt_run();
	assert_true(ngt_take_any(NGT_OUT, got) > 0);
	/* A tunnelled [A:5000 -> B:22] would need the same reply tuple: refused. */
	len = inner_udp(ip, NGT_A, 5000, NGT_B, 22, 8, 64);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_CONFLICT), 1);
	assert_int_equal(ngt_session(IPPROTO_UDP, NGT_B, 22, NGT_A, 5000)->kind, NGW_NAPT);
	/* B's next packet to A:5000 is still NAPT traffic, from R. */
	len = inner_udp(ip, NGT_B, 22, NGT_A, 5000, 8, 64);
	ngt_inject(NGT_IN, frame, from_inside(frame, &ngt_b_mac, ip));
	ngt_run();
	assert_true(ngt_take_any(NGT_OUT, got) > 0);
	assert_memory_equal(got + 14 + 12, &NGT_R, 4);
	/* And the other way round: a reply path first, then B's packet on that tuple is the
	 * reply, never a new NAPT session. */
	len = inner_udp(ip, NGT_A, 6000, NGT_B, 22, 8, 64);
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
	inner_udp(ip, NGT_B, 22, NGT_A, 6000, 8, 64);
	expect_reply(ip, NGT_W, NGT_A, -1);
	assert_int_equal(ngt_ctr(NGW_CTR_NAPT_CREATED), 1);
}

static void
test_path_moves_to_newer_waypoint(void **state)
{
	uint8_t ip[NGT_FRAME_MAX];
	uint16_t len;

	(void)state;
	len = inner_udp(ip, NGT_A, 5000, NGT_B, 53, 8, 64);
	expect_delivered(ip, len, NGT_W, &ngt_b_mac);
	/* A reaches B:53 from the same port through W2 (a new DNS answer): replies follow. */
	expect_delivered(ip, len, NGT_W2, &ngt_b_mac);
	assert_int_equal(ngt_ctr(NGW_CTR_AVES_MOVED), 1);
	assert_null(path_of(IPPROTO_UDP, NGT_A, 5000, NGT_B, 53, NGT_W));
	inner_udp(ip, NGT_B, 53, NGT_A, 5000, 8, 64);
	expect_reply(ip, NGT_W2, NGT_A, -1);
	assert_int_equal(aves_table_count(T.app->sessions), 1);
	assert_int_equal(aves_table_count(T.app->inbound), 1);
}

static void
test_misdirected_and_malformed_inner(void **state)
{
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX];
	uint16_t len;

	(void)state;
	/* To a host on the Internet: the gateway is no relay for waypoints. */
	len = inner_udp(ip, NGT_A, 5000, NGT_X, 53, 8, 64);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	/* To the gateway itself. */
	len = inner_udp(ip, NGT_A, 5000, NGT_I, 53, 8, 64);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	/* From an inside address. */
	len = inner_udp(ip, aves_h_addr(10, 0, 0, 9), 5000, NGT_B, 53, 8, 64);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	assert_int_equal(ngt_ctr(NGW_CTR_INNER_MISDIRECTED), 3);
	/* An inner packet with a broken header checksum (the tag covers it as it is). */
	len = inner_udp(ip, NGT_A, 5000, NGT_B, 53, 8, 64);
	ip[10] ^= 0x55;
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	assert_int_equal(ngt_ctr(NGW_CTR_INNER_INVALID), 1);
	assert_int_equal(ngw_lcore_stats(T.app, 0)->inner_parse[AVES_PARSE_IP_CKSUM], 1);
	assert_int_equal(ngt_pending(), 0);
	assert_int_equal(aves_table_count(T.app->sessions), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Multi-homed                                                                               */
/* ---------------------------------------------------------------------------------------- */

static void
test_mh_source_rewritten_and_mapped_back(void **state)
{
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	uint8_t got[NGT_FRAME_MAX];
	struct ngw_session *s;
	uint16_t len, pi;

	(void)state;
	/* [A:5000 -> B:22] reaches B as [I:5000 -> B:22] (the port was free). */
	len = inner_tcp(ip, NGT_A, 5000, NGT_B, 22, RTE_TCP_SYN_FLAG);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	ngt_set_src(ip, NGT_I);
	ngt_fix(ip);
	ngt_expect(NGT_IN, want, ngt_frame_out(want, NGT_IN, &ngt_b_mac, ip));
	s = path_of(IPPROTO_TCP, NGT_A, 5000, NGT_B, 22, NGT_W);
	assert_non_null(s);
	assert_int_equal(s->kind, NGW_AVES_MH);
	assert_ptr_equal(s, ngt_session(IPPROTO_TCP, NGT_B, 22, NGT_I, 5000));
	/* B answers I:5000; it leaves as [W:22 -> A:5000]. */
	inner_tcp(ip, NGT_B, 22, NGT_I, 5000, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	expect_reply(ip, NGT_W, NGT_A, 5000);
	/* Another initiator from the same port to the same service: another port on I. */
	len = inner_tcp(ip, NGT_X, 5000, NGT_B, 22, RTE_TCP_SYN_FLAG);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	s = path_of(IPPROTO_TCP, NGT_X, 5000, NGT_B, 22, NGT_W);
	assert_non_null(s);
	pi = rte_be_to_cpu_16(s->orig.dport);
	assert_int_not_equal(pi, 5000);
	assert_true(pi >= 1024);
	ngt_set_src(ip, NGT_I);
	ngt_set_sport(ip, pi);
	ngt_fix(ip);
	ngt_expect(NGT_IN, want, ngt_frame_out(want, NGT_IN, &ngt_b_mac, ip));
	inner_tcp(ip, NGT_B, 22, NGT_I, pi, RTE_TCP_ACK_FLAG);
	expect_reply(ip, NGT_W, NGT_X, 5000);
	/* The first connection is undisturbed. */
	len = inner_tcp(ip, NGT_A, 5000, NGT_B, 22, RTE_TCP_ACK_FLAG);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	assert_true(ngt_take_any(NGT_IN, got) > 0);
	assert_memory_equal(got + 14 + 12, &NGT_I, 4);
	assert_int_equal(ngw_control_sessions(T.app->control, NGW_AVES_MH), 2);
}

static void
test_mh_icmp_identifier(void **state)
{
	uint8_t ip[NGT_FRAME_MAX], frame[NGT_FRAME_MAX], want[NGT_FRAME_MAX];
	struct ngw_session *s;
	uint16_t len, id;

	(void)state;
	/* Identifier 0x77 is below nat.port-min: B sees another one, chosen by the gateway. */
	len = inner_echo(ip, NGT_A, NGT_B, 8, 0x77);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, ip, len, NGT_W, &T.k101));
	ngt_run();
	s = path_of(IPPROTO_ICMP, NGT_A, 0x77, NGT_B, 0x77, NGT_W);
	assert_non_null(s);
	id = rte_be_to_cpu_16(s->orig.dport);
	assert_true(id >= 1024);
	assert_int_equal(s->orig.sport, s->orig.dport);
	ngt_set_src(ip, NGT_I);
	ngt_set_sport(ip, id);
	ngt_fix(ip);
	ngt_expect(NGT_IN, want, ngt_frame_out(want, NGT_IN, &ngt_b_mac, ip));
	/* B's reply carries that identifier back; A gets its own. */
	inner_echo(ip, NGT_B, NGT_I, 0, id);
	expect_reply(ip, NGT_W, NGT_A, 0x77);
}

static void
test_mh_icmp_errors(void **state)
{
	uint8_t probe[NGT_FRAME_MAX], at_b[NGT_FRAME_MAX], frame[NGT_FRAME_MAX];
	uint8_t want[NGT_FRAME_MAX], out[NGT_FRAME_MAX], ip[NGT_FRAME_MAX];
	uint16_t len;
	size_t flen;
	int n;

	(void)state;
	len = inner_udp(probe, NGT_A, 40000, NGT_B, 33434, 24, 1);
	ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, probe, len, NGT_W, &T.k101));
	ngt_run();
	n = ngt_take_any(NGT_IN, at_b); /* [I:40000 -> B:33434] */
	assert_true(n > 0);
	/* B's port unreachable [B -> I] quoting [I:40000 -> B:33434] reaches A as
	 * [W -> A] quoting [A:40000 -> W:33434]. */
	flen = ngt_icmp_error_frame(frame, NGT_IN, &ngt_b_mac, NGT_B, NGT_I, 3, 3, at_b + 14);
	memcpy(out, frame + 14, flen - 14);
	ngt_set_src(out, NGT_W);
	ngt_set_dst(out, NGT_A);
	ngt_set_src(ngt_quote(out), NGT_A);
	ngt_set_dst(ngt_quote(out), NGT_W);
	ngt_fix(out);
	ngt_inject(NGT_IN, frame, flen);
	ngt_run();
	ngt_expect(NGT_OUT, want, ngt_frame_out(want, NGT_OUT, &ngt_router_mac, out));
	/* The other way: A's error about B's reply, relayed by the waypoint (quote rewritten
	 * to [B:33434 -> A:40000]) reaches B as an error from I about [B:33434 -> I:40000]. */
	len = inner_udp(ip, NGT_B, 33434, NGT_A, 40000, 4, 64);
	memcpy(out, ip, len);
	{
		uint8_t err[NGT_FRAME_MAX];
		uint8_t e[NGT_FRAME_MAX];
		uint16_t elen;

		/* [A -> B] port unreachable quoting [B:33434 -> A:40000], as the inner packet. */
		flen = ngt_icmp_error_frame(err, NGT_OUT, &ngt_router_mac, NGT_A, NGT_B, 3, 3, out);
		elen = (uint16_t)(flen - 14);
		memcpy(e, err + 14, elen);
		ngt_inject(NGT_OUT, frame, ngt_tunnel_frame(frame, e, elen, NGT_W, &T.k101));
		ngt_run();
		ngt_set_src(e, NGT_I);
		ngt_set_dst(ngt_quote(e), NGT_I);
		ngt_fix(e);
		ngt_expect(NGT_IN, want, ngt_frame_out(want, NGT_IN, &ngt_b_mac, e));
	}
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_ERR_OUT), 1);
	assert_int_equal(ngt_ctr(NGW_CTR_ICMP_ERR_IN), 1);
	assert_int_equal(ngt_pending(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_tag_delivered_and_replied, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_tunnel_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo_through_aves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traceroute_icmp_translated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_with_napt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_moves_to_newer_waypoint, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_misdirected_and_malformed_inner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mh_source_rewritten_and_mapped_back, setup_mh,
						teardown),
		cmocka_unit_test_setup_teardown(test_mh_icmp_identifier, setup_mh, teardown),
		cmocka_unit_test_setup_teardown(test_mh_icmp_errors, setup_mh, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
