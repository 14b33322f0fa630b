/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT gateway under aves-bench: built from a configuration exactly as test/unit/natgw
 * builds it (ngw_app_create() on two net_ring ports, the outside and an inside one), its
 * sessions created by first packets through its own worker and control lcore, and four paths
 * measured through ngw_worker_poll() on established sessions:
 *
 *   gw_inbound  [W -> R [A -> B]] on the outside -> [A -> B] on the inside (verify, decap)
 *   gw_reply    [B -> A] on the inside -> [W -> A] on the outside (the reply path)
 *   napt_out    [H -> X] on the inside -> [R -> X] on the outside
 *   napt_in     [X -> R] on the outside -> [X -> H] on the inside
 *
 * Topology (the unit tests'): outside 198.51.100.20/24 (R) behind router 198.51.100.1, the
 * waypoint address W 192.0.2.100; inside 10.0.0.1/24 with responder B 10.0.0.2 and host H
 * 10.0.0.5. Reply path i is the UDP flow [A_i:pa_i -> B:5000] with A_i in 100.64.0.0/11;
 * NAPT session i is [H:ph_i -> X_i:5000] with X_i in 100.96.0.0/11. Each kind has its own
 * addresses, so a table of N sessions of each holds 2N entries.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "bench.h"
#include "ngw.h"

#define INITIATORS 0x64400000u		/* A_i: 100.64.0.0/11 */
#define INTERNET 0x64600000u		/* X_i: 100.96.0.0/11 */
#define SERVICE_PORT 5000		/* B's port, and X_i's */

static const struct rte_ether_addr router_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct rte_ether_addr b_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0x02 } };
static const struct rte_ether_addr h_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0x05 } };

static struct {
	struct aves_h_port out, in;
	struct ngw_config cfg;
	struct ngw_app *app;
	struct rte_ether_addr out_mac, in_mac;
	struct aves_encap_ctx encap;	/* the bench's waypoint sender */
	struct aves_tunnel_stats tstats;
	uint64_t now, wall;
	uint32_t r, router, w, b, h, inside;
	uint32_t n_reply, n_napt;	/* sessions of each kind created */
} G;

/* The ports of the flows of session i (network order). */
static uint16_t
flow_port(uint32_t i)
{
	return rte_cpu_to_be_16((uint16_t)(1024 + i % 60000));
}

static void
gw_poll(void)
{
	ngw_worker_poll(G.app->workers[0], G.now);
}

/*
 * Frame j's key in its path's table: its IPv4 packet (at @p l3_off) parsed as the worker
 * parses it, then the gateway's own key function — the inbound table's with @p waypoint
 * (0: direct, else a tunnelled packet's W), or the session table's. 0, or -1 when it does not
 * parse.
 */
static int
frame_key(unsigned int j, uint16_t l3_off, bool inbound, uint32_t waypoint)
{
	struct ngw_in_key in;
	struct aves_flow_key out;
	struct aves_pkt pkt;

	if (aves_parse_ipv4(B.f.frame[j], B.f.len[j], l3_off, 0, &pkt) != AVES_PARSE_OK)
		return -1;
	memset(B.f.key[j], 0, sizeof(B.f.key[j]));
	if (inbound) {
		ngw_in_key(&pkt, waypoint, &in);
		memcpy(B.f.key[j], &in, sizeof(in));
	} else {
		ngw_out_key(&pkt, &out);
		memcpy(B.f.key[j], &out, sizeof(out));
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Frames                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* An IPv4/UDP packet [src:sport -> dst:dport] with @p payload zero bytes, framed from @p smac
 * to @p dmac, into @p buf. Returns the frame's length. */
static uint16_t
udp_frame(uint8_t *buf, const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
	  uint32_t src, uint16_t sport_be, uint32_t dst, uint16_t dport, uint16_t payload,
	  uint16_t id)
{
	static const uint8_t zeros[BENCH_FRAME_MAX];
	struct aves_h_eth eth = { .dst = *dmac, .src = *smac };
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = id };

	return (uint16_t)aves_h_udp_frame(buf, &eth, &ip, rte_be_to_cpu_16(sport_be), dport, zeros,
					  payload);
}

/*
 * Tunnel packets of reply paths idx[0..n) as the waypoint sends them: the inner [A_i -> B]
 * encapsulated and tagged by lib/aves_tunnel with the gateway's key, framed from the router
 * to the outside port. 0, or -1 (every mbuf freed).
 */
static int
tunnel_mbufs(struct rte_mbuf **m, const uint32_t *idx, unsigned int n, uint16_t payload)
{
	const struct aves_key *keys[BENCH_BURST_MAX];
	uint8_t frame[BENCH_FRAME_MAX];
	unsigned int k;

	if (n > BENCH_BURST_MAX || rte_pktmbuf_alloc_bulk(B.pool, m, n) != 0)
		return -1;
	for (k = 0; k < n; k++) {
		struct aves_encap_params p = {
			.key = &B.gw, .outer_src = G.w, .outer_dst = G.r, .waypoint = G.w,
			.flow_hash = idx[k], .dport = AVES_TUNNEL_PORT, .type = AVES_TYPE_FORWARD,
		};
		uint16_t len = udp_frame(frame, &router_mac, &G.out_mac,
					 bench_host(INITIATORS, idx[k]), flow_port(idx[k]), G.b,
					 SERVICE_PORT, payload, (uint16_t)idx[k]);
		uint8_t *data = (uint8_t *)rte_pktmbuf_append(m[k], len - RTE_ETHER_HDR_LEN);

		if (data == NULL)
			goto fail;
		memcpy(data, frame + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN);
		if (aves_encap(&G.encap, &G.tstats, m[k], &p, 0) != AVES_ENCAP_OK)
			goto fail;
		keys[k] = &B.gw;
	}
	if (aves_tag_burst(B.auth, &G.tstats, m, keys, (uint16_t)n) != n)
		goto fail;
	for (k = 0; k < n; k++) {
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(
			m[k], RTE_ETHER_HDR_LEN);

		if (eth == NULL)
			goto fail;
		eth->dst_addr = G.out_mac;
		eth->src_addr = router_mac;
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	}
	return 0;
fail:
	rte_pktmbuf_free_bulk(m, n);
	return -1;
}

static int
inbound_make(const uint16_t *payloads, unsigned int n_payloads)
{
	struct rte_mbuf *m[1];
	unsigned int j;

	if (G.n_reply == 0)
		return -1;
	B.f.n = BENCH_FRAMES;
	for (j = 0; j < B.f.n; j++) {
		uint32_t i = bench_spread(j, G.n_reply);

		if (tunnel_mbufs(m, &i, 1, payloads[j % n_payloads]) != 0)
			return -1;
		B.f.len[j] = (uint16_t)rte_pktmbuf_pkt_len(m[0]);
		memcpy(B.f.frame[j], rte_pktmbuf_mtod(m[0], const uint8_t *), B.f.len[j]);
		rte_pktmbuf_free(m[0]);
		/* The tag covers the AVES header and the inner packet. */
		B.f.mac_src[j] = B.f.frame[j] + RTE_ETHER_HDR_LEN + AVES_TUNNEL_PREPEND_LEN -
				 AVES_TUNNEL_HDR_LEN;
		B.f.mac_len[j] = (uint16_t)(B.f.len[j] - RTE_ETHER_HDR_LEN - AVES_TUNNEL_OVERHEAD +
					    AVES_TUNNEL_HDR_LEN);
		if (frame_key(j, RTE_ETHER_HDR_LEN + AVES_TUNNEL_PREPEND_LEN, true, G.w) != 0)
			return -1;
	}
	return 0;
}

static int
reply_make(const uint16_t *payloads, unsigned int n_payloads)
{
	unsigned int j;

	if (G.n_reply == 0)
		return -1;
	B.f.n = BENCH_FRAMES;
	for (j = 0; j < B.f.n; j++) {
		uint32_t i = bench_spread(j, G.n_reply);

		B.f.len[j] = udp_frame(B.f.frame[j], &b_mac, &G.in_mac, G.b,
				       rte_cpu_to_be_16(SERVICE_PORT), bench_host(INITIATORS, i),
				       rte_be_to_cpu_16(flow_port(i)), payloads[j % n_payloads],
				       (uint16_t)j);
		if (frame_key(j, RTE_ETHER_HDR_LEN, false, 0) != 0)
			return -1;
	}
	return 0;
}

static int
napt_out_make(const uint16_t *payloads, unsigned int n_payloads)
{
	unsigned int j;

	if (G.n_napt == 0)
		return -1;
	B.f.n = BENCH_FRAMES;
	for (j = 0; j < B.f.n; j++) {
		uint32_t i = bench_spread(j, G.n_napt);

		B.f.len[j] = udp_frame(B.f.frame[j], &h_mac, &G.in_mac, G.h, flow_port(i),
				       bench_host(INTERNET, i), SERVICE_PORT,
				       payloads[j % n_payloads], (uint16_t)j);
		if (frame_key(j, RTE_ETHER_HDR_LEN, false, 0) != 0)
			return -1;
	}
	return 0;
}

/* Return traffic [X_i:5000 -> R:pr_i]: pr_i is whatever port the control lcore gave the
 * session (the inside port when it was free), read from the session itself. */
static int
napt_in_make(const uint16_t *payloads, unsigned int n_payloads)
{
	unsigned int j;

	if (G.n_napt == 0)
		return -1;
	B.f.n = BENCH_FRAMES;
	for (j = 0; j < B.f.n; j++) {
		uint32_t i = bench_spread(j, G.n_napt);
		const struct aves_flow_key o __rte_aligned(8) = {
			.src = G.h, .dst = bench_host(INTERNET, i), .sport = flow_port(i),
			.dport = rte_cpu_to_be_16(SERVICE_PORT), .proto = IPPROTO_UDP,
		};
		const struct ngw_session *s = aves_table_lookup(G.app->sessions, &o);

		if (s == NULL)
			return -1;
		B.f.len[j] = udp_frame(B.f.frame[j], &router_mac, &G.out_mac, o.dst,
				       o.dport, s->t_src, rte_be_to_cpu_16(s->t_sport),
				       payloads[j % n_payloads], (uint16_t)j);
		if (frame_key(j, RTE_ETHER_HDR_LEN, true, 0) != 0)
			return -1;
	}
	return 0;
}

struct bench_path gw_inbound_path = {
	.name = "gw_inbound",
	.title = "Gateway inbound [W -> R [A -> B]] -> [A -> B]",
	.label = "gateway inbound",
	.entries = "reply paths",
	.tunnel = true,
	.paper = true,
	.in = &G.out,
	.out = &G.in,
	.poll = gw_poll,
	.make = inbound_make,
};

struct bench_path gw_reply_path = {
	.name = "gw_reply",
	.title = "Gateway reply [B -> A] -> [W -> A]",
	.label = "gateway reply",
	.target = 1.5,
	.entries = "reply paths",
	.paper = true,
	.in = &G.in,
	.out = &G.out,
	.poll = gw_poll,
	.make = reply_make,
};

struct bench_path napt_out_path = {
	.name = "napt_out",
	.title = "Gateway NAPT out [H -> X] -> [R -> X]",
	.label = "NAPT out",
	.target = 1.5,
	.entries = "NAPT sessions",
	.in = &G.in,
	.out = &G.out,
	.poll = gw_poll,
	.make = napt_out_make,
};

struct bench_path napt_in_path = {
	.name = "napt_in",
	.title = "Gateway NAPT in [X -> R] -> [X -> H]",
	.label = "NAPT in",
	.target = 1.5,
	.entries = "NAPT sessions",
	.in = &G.out,
	.out = &G.in,
	.poll = gw_poll,
	.make = napt_in_make,
};

/* ---------------------------------------------------------------------------------------- */
/* Building the gateway, as the tests do                                                     */
/* ---------------------------------------------------------------------------------------- */

/* An inside host asks for the gateway's address: the gateway learns it (RFC 826). */
static int
learn(const struct rte_ether_addr *mac, uint32_t ip)
{
	static const struct rte_ether_addr zero;
	struct aves_h_eth eth = { .dst = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
				  .src = *mac };
	uint8_t frame[64];
	size_t len = aves_h_arp_frame(frame, &eth, 1, mac, ip, &zero, G.inside);

	return aves_h_inject(&G.in, 0, B.pool, frame, (uint16_t)len);
}

static void
set_entries(void)
{
	gw_inbound_path.n_entries = G.n_reply;
	gw_reply_path.n_entries = G.n_reply;
	napt_out_path.n_entries = G.n_napt;
	napt_in_path.n_entries = G.n_napt;
}

int
gw_bench_start(uint32_t capacity)
{
	char path[] = "/tmp/aves-bench-gw-XXXXXX";
	struct ngw_start start = { .wall_us = BENCH_WALL_US, .now_ms = BENCH_T0_MS,
				   .start_ports = true };
	uint8_t frame[AVES_H_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;
	FILE *f;
	int fd, n;

	G.r = aves_h_addr(198, 51, 100, 20);
	G.router = aves_h_addr(198, 51, 100, 1);
	G.w = aves_h_addr(192, 0, 2, 100);
	G.inside = aves_h_addr(10, 0, 0, 1);
	G.b = aves_h_addr(10, 0, 0, 2);
	G.h = aves_h_addr(10, 0, 0, 5);
	G.n_reply = 0;
	G.n_napt = 0;
	set_entries();
	if (aves_h_port_create(&G.out, "gwout", 1, 2) != 0 ||
	    aves_h_port_create(&G.in, "gwin", 1, 2) != 0 ||
	    aves_encap_ctx_init(&G.encap, 0, 1, BENCH_WALL_US) != 0)
		return -1;
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	/* MTU 1600 outside, as at the waypoint: the largest case arrives whole. REGISTER once
	 * at start, then daily: the runs see only their own packets. */
	fprintf(f,
		"ports = ( { device = \"net_ring_gwout\"; side = \"outside\";"
		" address = \"198.51.100.20/24\"; mtu = 1600; },\n"
		"          { device = \"net_ring_gwin\"; side = \"inside\";"
		" address = \"10.0.0.1/24\"; } );\n"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"198.51.100.1\"; } );\n"
		"keys = ( { id = 101; secret = \"%s\"; } );\n"
		"lcores = { control = 0; workers = [ 1 ]; };\n"
		"mbufs = { count = 16383; cache = 256; };\n"
		"datapath = { link-wait = 0; burst = 64; };\n"
		"tables = { sessions = %u; trusted-sources = 16; neighbours = 16;"
		" punt-ring = 1024; };\n"
		"neighbours = { reachable = \"1d\"; };\n"
		"timers = { idle-udp = \"1d\"; };\n"
		"register = { servers = [ \"192.0.2.53\" ]; interval = \"1d\"; fast-period = 0; };\n",
		bench_gw_hex, capacity);
	fclose(f);
	n = ngw_config_load(&G.cfg, path, stderr);
	unlink(path);
	if (n != 0)
		return -1;
	G.now = BENCH_T0_MS;
	G.wall = BENCH_WALL_US / 1000 + 1000;
	G.app = ngw_app_create(&G.cfg, &start);
	if (G.app == NULL)
		return -1;
	gw_inbound_path.table = G.app->inbound;
	gw_reply_path.table = G.app->sessions;
	napt_out_path.table = G.app->sessions;
	napt_in_path.table = G.app->inbound;
	rte_eth_macaddr_get(G.out.port_id, &G.out_mac);
	rte_eth_macaddr_get(G.in.port_id, &G.in_mac);
	ngw_worker_online(G.app->workers[0]);

	/* The router is resolved at start (its ARP request answered), B and H ask for the
	 * gateway's address, and the first REGISTER leaves. */
	ngw_control_start(G.app->control, G.now);
	if (aves_h_take(&G.out, 1, frame, sizeof(frame)) != 42)
		return -1;
	eth = (struct aves_h_eth){ .dst = G.out_mac, .src = router_mac };
	len = aves_h_arp_frame(frame, &eth, 2, &router_mac, G.router, &G.out_mac, G.r);
	if (aves_h_inject(&G.out, 0, B.pool, frame, (uint16_t)len) != 0 ||
	    learn(&b_mac, G.b) != 0 || learn(&h_mac, G.h) != 0)
		return -1;
	for (n = 0; n < 2; n++) {
		gw_poll();
		ngw_control_poll(G.app->control, G.now, G.wall);
	}
	/* Two ARP replies inside, one REGISTER outside. */
	return aves_h_drain(&G.in) == 2 && aves_h_drain(&G.out) == 1 ? 0 : -1;
}

void
gw_bench_stop(void)
{
	if (G.app != NULL) {
		ngw_worker_offline(G.app->workers[0]);
		ngw_app_free(G.app);
		G.app = NULL;
	}
	ngw_config_clear(&G.cfg);
	aves_h_port_destroy(&G.out);
	aves_h_port_destroy(&G.in);
}

/* ---------------------------------------------------------------------------------------- */
/* Creating sessions                                                                         */
/* ---------------------------------------------------------------------------------------- */

/* One batch of first packets through the worker and the control lcore: adds the cycles of
 * each, returns how many packets the control lcore forwarded on @p out (created sessions). */
static unsigned int
first_packets(struct aves_h_port *in, struct rte_mbuf **m, unsigned int n,
	      struct aves_h_port *out, uint64_t *worker, uint64_t *control)
{
	uint64_t t0, t1, t2;

	if (rte_ring_enqueue_bulk(in->rx[0], (void **)m, n, NULL) != n) {
		rte_pktmbuf_free_bulk(m, n);
		return 0;
	}
	t0 = rte_rdtsc();
	gw_poll();
	t1 = rte_rdtsc();
	ngw_control_poll(G.app->control, G.now, G.wall);
	t2 = rte_rdtsc();
	*worker += t1 - t0;
	*control += t2 - t1;
	bench_unload(in, 0);
	bench_unload(in, 1);
	bench_unload(out, 0);
	return bench_unload(out, 1);
}

static int
grow_reply(uint32_t target, double *worker, double *control)
{
	uint64_t wc = 0, cc = 0, made = 0, n = 0;
	struct rte_mbuf *m[32];
	uint32_t idx[32];

	while (G.n_reply < target) {
		unsigned int k, batch = RTE_MIN(32u, target - G.n_reply);

		for (k = 0; k < batch; k++)
			idx[k] = G.n_reply + k;
		if (tunnel_mbufs(m, idx, batch, 18) != 0)
			return -1;
		made += first_packets(&G.out, m, batch, &G.in, &wc, &cc);
		n += batch;
		G.n_reply += batch;
	}
	set_entries();
	*worker = n != 0 ? (double)wc / (double)n : 0;
	*control = n != 0 ? (double)cc / (double)n : 0;
	return made == n ? 0 : -1;
}

static int
grow_napt(uint32_t target, double *worker, double *control)
{
	uint64_t wc = 0, cc = 0, made = 0, n = 0;
	struct rte_mbuf *m[32];

	while (G.n_napt < target) {
		unsigned int k, batch = RTE_MIN(32u, target - G.n_napt);

		if (rte_pktmbuf_alloc_bulk(B.pool, m, batch) != 0)
			return -1;
		for (k = 0; k < batch; k++) {
			uint32_t i = G.n_napt + k;
			uint8_t *data = rte_pktmbuf_mtod(m[k], uint8_t *);

			m[k]->data_len = udp_frame(data, &h_mac, &G.in_mac, G.h, flow_port(i),
						   bench_host(INTERNET, i), SERVICE_PORT, 18,
						   (uint16_t)i);
			m[k]->pkt_len = m[k]->data_len;
		}
		made += first_packets(&G.in, m, batch, &G.out, &wc, &cc);
		n += batch;
		G.n_napt += batch;
	}
	set_entries();
	*worker = n != 0 ? (double)wc / (double)n : 0;
	*control = n != 0 ? (double)cc / (double)n : 0;
	return made == n ? 0 : -1;
}

int
gw_bench_grow_to(uint32_t target, struct gw_create_cost *cost)
{
	if (grow_reply(target, &cost->reply_worker, &cost->reply_control) != 0 ||
	    grow_napt(target, &cost->napt_worker, &cost->napt_control) != 0)
		return -1;
	return 0;
}
