/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixture of the aves-natgw packet-level suites: two net_ring ports, "net_ring_ngt_out" (the
 * outside) and "net_ring_ngt_in" (the inside), each with a queue per worker and a TX queue for
 * the control lcore; a configuration written for the topology below; the application built on
 * it; and builders for the frames that go in and the frames expected out. Expected bytes are
 * assembled here: checksums from the harness's own RFC 1071 code, tunnel packets from
 * lib/aves_tunnel with the test's keys, REGISTER read back with lib/aves_ctrl.
 *
 * Topology:
 *   outside 198.51.100.20/24 (R, the public address), router 198.51.100.1 (default route),
 *   DNS front end 192.0.2.53, waypoint W 192.0.2.100 (and W2 .101), initiator A 203.0.113.7,
 *   Internet server X 203.0.113.80 — all via the router;
 *   inside 10.0.0.1/24 (I), hosts H 10.0.0.5, responders B 10.0.0.2 and B2 10.0.0.3, inside
 *   router Z 10.0.0.254 — each learned at start (ARP requests from them to I).
 */
#ifndef NGT_H
#define NGT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aves_harness.h"
#include "ngw.h"

#define NGT_WALL_US UINT64_C(1700000000000000)	/* wall clock at start, µs */
#define NGT_T0 UINT64_C(1000000)		/* lcore clock at start, ms */
#define NGT_FRAME_MAX 9216

/* Ports of the fixture. */
enum { NGT_OUT = 0, NGT_IN = 1 };

extern const struct rte_ether_addr ngt_router_mac, ngt_h_mac, ngt_b_mac, ngt_b2_mac,
	ngt_z_mac;

/* Addresses of the topology (network order), set by ngt_init(). */
extern uint32_t NGT_R, NGT_ROUTER, NGT_DNS, NGT_W, NGT_W2, NGT_A, NGT_X, NGT_I, NGT_HOST,
	NGT_B, NGT_B2, NGT_Z;

/* The fixture's state. */
struct ngt {
	struct aves_h_port port[2];
	struct rte_mempool *pool;	/* the test's own mbufs */
	struct ngw_config cfg;
	struct ngw_app *app;
	struct aves_auth_ctx *auth;
	/* ours; another gateway's; our id with the wrong secret */
	struct aves_key k101, k102, forged101;
	struct aves_encap_ctx encap;	/* the test's waypoint sender */
	struct aves_tunnel_stats tstats;
	struct rte_ether_addr mac[2];	/* the gateway's ports */
	unsigned int n_workers;
	uint64_t now;			/* ms, lcore clock */
	uint64_t wall;			/* ms, wall clock */
};
extern struct ngt T;

/* Group set-up: EAL, pool, ports, keys. 0 or -1. */
int ngt_init(unsigned int n_workers);
void ngt_fini(void);

/* Per test: write and load the configuration (@p extra appended, e.g. a tunnel group; a
 * "ports", "tables" or "register" setting in it replaces the fixture's default one: the two
 * ports with MTU 1500, small tables, and REGISTER once at start then daily), build
 * the app, bring the workers online, resolve the router, learn the inside hosts, and consume
 * the first REGISTER. 0 or -1. */
int ngt_start(const char *extra);
void ngt_stop(void);

/* Run every worker once / the control lcore once / both twice, at T.now. */
void ngt_workers(void);
void ngt_control(void);
void ngt_run(void);

/* Inject a frame on RX queue 0 of port @p p (NGT_OUT or NGT_IN). Asserts success. */
void ngt_inject(int p, const uint8_t *frame, size_t len);
/* The same on RX queue @p q (worker q's), as RSS would choose. */
void ngt_inject_q(int p, unsigned int q, const uint8_t *frame, size_t len);
/* Next frame sent on port @p p, TX queue @p q (q == T.n_workers: the control lcore's). */
int ngt_take(int p, unsigned int q, uint8_t *buf);
/* Next frame sent on port @p p by any lcore (workers first). */
int ngt_take_any(int p, uint8_t *buf);
/* Frames waiting on every TX queue of both ports. */
unsigned int ngt_pending(void);
unsigned int ngt_drain(void);

/* Counters summed over lcores. */
uint64_t ngt_ctr(enum ngw_ctr c);
uint64_t ngt_parse(enum aves_parse_reason r);
uint64_t ngt_rx(enum aves_rx_verdict v);
uint64_t ngt_reasm(enum aves_reasm_result r);

/* Ethernet headers: into the gateway from @p src on port @p p, out of it to @p dst. */
struct aves_h_eth ngt_eth_in(int p, const struct rte_ether_addr *src);
struct aves_h_eth ngt_eth_out(int p, const struct rte_ether_addr *dst);

/* A frame of an IPv4 packet (@p ip, its total length) sent by the gateway on @p p to @p dst. */
size_t ngt_frame_out(uint8_t *buf, int p, const struct rte_ether_addr *dst, const uint8_t *ip);

/* Rewrite helpers on an IPv4 packet (its header at @p ip), then ngt_fix(): they set fields
 * only, the checksums come from the harness's full recomputation. */
void ngt_set_src(uint8_t *ip, uint32_t addr);
void ngt_set_dst(uint8_t *ip, uint32_t addr);
void ngt_set_sport(uint8_t *ip, uint16_t port);	/* TCP/UDP port, or ICMP identifier */
void ngt_set_dport(uint8_t *ip, uint16_t port);
/* The header quoted by the ICMP error at @p ip. */
uint8_t *ngt_quote(uint8_t *ip);
/* Recompute every checksum of @p ip, and of the header it quotes when it is an ICMP error
 * (the quote must hold its whole datagram). */
void ngt_fix(uint8_t *ip);

/* An ICMP error (type, code) from @p src to @p dst quoting the IPv4 packet @p orig (whole),
 * as an Ethernet frame into port @p p from @p mac. */
size_t ngt_icmp_error_frame(uint8_t *buf, int p, const struct rte_ether_addr *mac, uint32_t src,
			    uint32_t dst, uint8_t type, uint8_t code, const uint8_t *orig);

/* A tunnel packet [W -> R [inner]] tagged with @p key by lib/aves_tunnel (aves_encap +
 * aves_tag_burst), as an Ethernet frame from the router. Returns its length. */
size_t ngt_tunnel_frame(uint8_t *buf, const uint8_t *inner, uint16_t inner_len, uint32_t w,
			const struct aves_key *key);

/* Split the IPv4 datagram of @p frame into fragments carrying at most @p chunk payload bytes
 * (a multiple of 8), each a frame like the original. Returns the number written to
 * frames[i] (lens[i] bytes each). */
unsigned int ngt_fragment(const uint8_t *frame, size_t len, uint16_t chunk,
			  uint8_t frames[][NGT_FRAME_MAX], size_t *lens, unsigned int max);

/* Assert that @p got (length @p n) equals @p want (length @p len), printing a diff. */
void ngt_assert_frame(const uint8_t *got, int n, const uint8_t *want, size_t len);

/* Take the next frame on port @p p (any queue) and compare it with @p want. */
void ngt_expect(int p, const uint8_t *want, size_t len);

/* The session whose O is [src:sport -> dst:dport] (ports host order), or NULL. */
struct ngw_session *ngt_session(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
				uint16_t dport);

/* Take the control lcore's next frame on the outside port and decode it as a REGISTER of
 * @p pub to @p server: checks the framing (IPv4/UDP from pub's tunnel port to the server's
 * port 4796; the Ethernet destination is the caller's to check) and the tag with key 101,
 * the replay window and the clock as a DNS front end would. Returns the message; fails the
 * test otherwise. */
struct aves_ctrl_msg ngt_expect_register(uint32_t pub, uint32_t server);
/* The same checks on a frame the caller took (@p n bytes). */
struct aves_ctrl_msg ngt_register_check(const uint8_t *frame, int n, uint32_t pub,
					uint32_t server);

#endif /* NGT_H */
