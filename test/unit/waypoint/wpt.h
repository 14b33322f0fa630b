/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixture of the aves-waypoint packet-level suites: one net_ring port ("net_ring_wpt") with a
 * queue per worker (and a TX queue for the control lcore), a configuration written for the
 * test topology below, the application built on it, and builders for the frames that go in
 * and the frames expected out. Expected bytes are assembled by hand here; checksums come from
 * the harness's own RFC 1071 code and tags from a one-shot aves_tag_compute() over the
 * expected bytes.
 *
 * Topology (port address 192.0.2.10/24, default route via the router 192.0.2.1):
 *   control address 192.0.2.11, waypoint addresses W1 192.0.2.100, W2 192.0.2.101,
 *   DNS front end 198.51.100.53, initiators 203.0.113.x, gateway R 198.51.100.20 (key 101,
 *   via the router), gateway R2 192.0.2.20 (key 102, on-link), responders 10.0.0.x.
 */
#ifndef WPT_H
#define WPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aves_harness.h"
#include "wp.h"

#define WPT_WALL_US UINT64_C(1700000000000000)	/* wall clock at start, µs */
#define WPT_T0 UINT64_C(1000000)		/* lcore clock at start, ms */
#define WPT_FRAME_MAX 2048

extern const struct rte_ether_addr wpt_router_mac;
extern const struct rte_ether_addr wpt_r2_mac;

/* Addresses of the topology (network order), set by wpt_init(). */
extern uint32_t WPT_IFACE, WPT_CONTROL, WPT_ROUTER, WPT_W1, WPT_W2, WPT_DNS, WPT_R, WPT_R2,
	WPT_A, WPT_A2, WPT_V, WPT_S, WPT_B, WPT_B2;

/* The fixture's state. */
struct wpt {
	struct aves_h_port port;
	struct rte_mempool *pool;	/* the test's own mbufs (injected frames) */
	struct wp_config cfg;
	struct wp_app *app;
	struct aves_auth_ctx *auth;
	struct aves_key service, gw101, gw102;
	struct rte_ether_addr mac;	/* the waypoint's port */
	unsigned int n_workers;
	uint64_t now;			/* ms, lcore clock */
	uint64_t wall;			/* ms, wall clock */
	uint64_t setup_serial;		/* next SETUP serial the test sends */
	uint64_t reply_serial;		/* serial of the next ACCEPT/REJECT expected */
	uint16_t ctrl_ip_id;		/* id of the next packet the control lcore originates */
};
extern struct wpt T;

/* Group set-up: EAL (lcores NULL: the default single lcore), pool, port, keys. 0 or -1. */
int wpt_init(unsigned int n_workers, const char *lcores);
void wpt_fini(void);

/* Per test: write and load the configuration (with @p extra appended), build the app, bring
 * the workers online, resolve the router. Returns 0 or -1. */
int wpt_start(const char *extra);
void wpt_stop(void);

/* Run worker @p i once / every worker once / the control lcore once, at T.now. */
void wpt_worker(unsigned int i);
void wpt_workers(void);
void wpt_control(void);
/* Workers, control, workers, control: enough for any hand-over and its consequences. */
void wpt_run(void);

int wpt_inject(unsigned int q, const uint8_t *frame, size_t len);
/* Next frame sent on TX queue q (q == T.n_workers: the control lcore's), or -1. */
int wpt_take(unsigned int q, uint8_t *buf);
/* Frames waiting on every TX queue. */
unsigned int wpt_pending(void);
/* Frames waiting on every TX queue, then freed. */
unsigned int wpt_drain(void);

/* Counters summed over lcores. */
uint64_t wpt_ctr(enum wp_ctr c);
uint64_t wpt_verdict(enum aves_verdict v);
uint64_t wpt_parse(enum aves_parse_reason r);
uint64_t wpt_ctrl(enum aves_ctrl_verdict v);
uint64_t wpt_reject(unsigned int reason);

/* Frames arriving from the router (Ethernet src = router, dst = waypoint). */
struct aves_h_eth wpt_from_router(void);
/* Frames the waypoint sends to the router. */
struct aves_h_eth wpt_to(const struct rte_ether_addr *dst);

/* A SETUP from the DNS front end (198.51.100.53:4796) to the control address. */
size_t wpt_setup_frame(uint8_t *buf, uint8_t mode, uint32_t w, uint32_t initiator, uint32_t r,
		       uint32_t b, uint32_t key_id, uint64_t serial, uint64_t ts_ms);
/* Send a SETUP with the next serial and the current wall clock; returns its serial. */
uint64_t wpt_send_setup(uint8_t mode, uint32_t w, uint32_t initiator, uint32_t r, uint32_t b,
			uint32_t key_id);

/* The ACCEPT (@p type 2, @p value = wait) or REJECT (3, @p value = reason) the waypoint must
 * send for SETUP @p setup_serial, with the expected serial, timestamp and IPv4 id. Advances
 * T.reply_serial and T.ctrl_ip_id. */
size_t wpt_reply_frame(uint8_t *buf, uint8_t type, uint64_t setup_serial, uint32_t w,
		       uint32_t value);
/* Take the control lcore's next frame and compare it with wpt_reply_frame(). */
void wpt_expect_reply(uint8_t type, uint64_t setup_serial, uint32_t w, uint32_t value);

/*
 * The tunnel frame expected for the IPv4 packet @p inner (already rewritten to B, checksums
 * right) relayed through W toward R: outer header id @p ip_id, AVES sequence @p seq, key.
 */
size_t wpt_tunnel_frame(uint8_t *buf, const uint8_t *inner, uint16_t inner_len, uint32_t w,
			uint32_t r, uint16_t dport, const struct aves_key *key,
			const struct rte_ether_addr *dst_mac, uint16_t ip_id, uint64_t seq);
/* Copy the IPv4 packet of @p frame to @p out with its destination set to @p dst and every
 * checksum recomputed; returns its length. */
uint16_t wpt_rewritten(uint8_t *out, const uint8_t *frame, size_t len, uint32_t dst);
/* Sequence number of the k-th tunnel packet of sender @p sender. */
uint64_t wpt_seq(unsigned int sender, uint64_t k);

/* Assert that @p got (length @p n) equals @p want (length @p len), printing a diff. */
void wpt_assert_frame(const uint8_t *got, int n, const uint8_t *want, size_t len);

/* Intranet binding (W, A) -> (R, B) through a SETUP; asserts the ACCEPT. */
void wpt_bind(uint32_t w, uint32_t a, uint32_t r, uint32_t b, uint32_t key_id);

/* The binding of (W, A), or NULL. */
struct wp_binding *wpt_binding(uint32_t w, uint32_t a);

#endif /* WPT_H */
