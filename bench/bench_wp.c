/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The waypoint under aves-bench: built from a configuration exactly as the packet-level tests
 * build it (wp_app_create() on a net_ring port), bindings created through its own control path
 * (signed intranet SETUPs punted by the worker and handled by wp_control_poll()), and its
 * inbound path [A -> W] -> [W -> R [A -> B]] measured through wp_worker_poll().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "bench.h"
#include "wp.h"

static const struct rte_ether_addr router_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };

static struct {
	struct aves_h_port port;
	struct wp_config cfg;
	struct wp_app *app;
	struct rte_ether_addr mac;
	uint64_t now, wall, serial;
	uint32_t w1, control, dns, router, r, b, iface;
} W;

/* Initiators: 100.64.0.0/11. */
#define INITIATORS 0x64400000u

static void
wp_poll(void)
{
	wp_worker_poll(W.app->workers[0], W.now);
}

/* [A_i -> W1] UDP, A_i spread over the bound initiators; tagged bytes: the AVES header the
 * waypoint will prepend and the packet (the MAC floor reads the frame's headroom for the
 * header's 20 bytes: only the lengths matter to it). */
static int
wp_make(const uint16_t *payloads, unsigned int n_payloads)
{
	static const uint8_t zeros[BENCH_FRAME_MAX];
	struct aves_h_eth eth = { .dst = W.mac, .src = router_mac };
	unsigned int j;

	if (wp_inbound_path.n_entries == 0)
		return -1;
	B.f.n = BENCH_FRAMES;
	for (j = 0; j < B.f.n; j++) {
		uint32_t a = bench_host(INITIATORS, bench_spread(j, wp_inbound_path.n_entries));
		struct aves_h_ip ip = { .src = a, .dst = W.w1, .id = (uint16_t)j };
		struct aves_wp_key key = aves_wp_key_make(W.w1, a);

		B.f.len[j] = (uint16_t)aves_h_udp_frame(B.f.frame[j], &eth, &ip,
							(uint16_t)(1024 + j % 50000), 5000, zeros,
							payloads[j % n_payloads]);
		B.f.mac_src[j] = B.f.frame[j] + RTE_ETHER_HDR_LEN - AVES_TUNNEL_HDR_LEN;
		B.f.mac_len[j] = (uint16_t)(B.f.len[j] - RTE_ETHER_HDR_LEN + AVES_TUNNEL_HDR_LEN);
		memset(B.f.key[j], 0, sizeof(B.f.key[j]));
		memcpy(B.f.key[j], &key, sizeof(key));
	}
	return 0;
}

struct bench_path wp_inbound_path = {
	.name = "wp_inbound",
	.title = "Waypoint inbound [A -> W] -> [W -> R [A -> B]]",
	.label = "waypoint inbound",
	.target = 1.15,
	.entries = "bindings",
	.tunnel = true,
	.paper = true,
	.in = &W.port,
	.out = &W.port,
	.poll = wp_poll,
	.make = wp_make,
};

static int
take(unsigned int q, uint8_t *buf)
{
	return aves_h_take(&W.port, q, buf, AVES_H_FRAME_MAX);
}

int
wp_bench_start(uint32_t capacity, unsigned int connections)
{
	char path[] = "/tmp/aves-bench-XXXXXX";
	struct wp_start start = { .wall_us = BENCH_WALL_US, .now_ms = BENCH_T0_MS,
				  .start_ports = true };
	uint8_t frame[AVES_H_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;
	FILE *f;
	int fd, n;

	W.iface = aves_h_addr(192, 0, 2, 10);
	W.control = aves_h_addr(192, 0, 2, 11);
	W.router = aves_h_addr(192, 0, 2, 1);
	W.w1 = aves_h_addr(192, 0, 2, 100);
	W.dns = aves_h_addr(198, 51, 100, 53);
	W.r = aves_h_addr(198, 51, 100, 20);
	W.b = aves_h_addr(10, 0, 0, 2);
	if (aves_h_port_create(&W.port, "bench", 1, 2) != 0)
		return -1;
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	/* MTU 1600 toward the gateways: the largest case (a 1500-byte IPv4 packet plus the
	 * tunnel's 64 bytes) is relayed whole, as the paper's were, not fragmented. */
	fprintf(f,
		"ports = ( { device = \"net_ring_bench\"; address = \"192.0.2.10/24\"; mtu = 1600; } );\n"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"192.0.2.1\"; } );\n"
		"control = { address = \"192.0.2.11\"; };\n"
		"waypoints = [ \"192.0.2.100\" ];\n"
		"keys = {\n"
		"  service = ( { id = 1; secret = \"%s\"; } );\n"
		"  gateways = ( { id = 101; secret = \"%s\"; } );\n"
		"};\n"
		"lcores = { control = 0; workers = [ 1 ]; };\n"
		"mbufs = { count = 16383; cache = 256; };\n"
		"datapath = { link-wait = 0; burst = 64; };\n"
		"tables = { bindings = %u; blocks = 1024; connections = %u; neighbours = 16;"
		" punt-ring = 1024; };\n"
		"neighbours = { reachable = \"1d\"; };\n"
		"timers = { idle-udp = \"1d\"; };\n",
		bench_service_hex, bench_gw_hex, capacity, connections);
	fclose(f);
	n = wp_config_load(&W.cfg, path, stderr);
	unlink(path);
	if (n != 0)
		return -1;
	W.now = BENCH_T0_MS;
	W.wall = BENCH_WALL_US / 1000 + 1000;
	W.serial = BENCH_WALL_US;
	W.app = wp_app_create(&W.cfg, &start);
	if (W.app == NULL)
		return -1;
	wp_inbound_path.table = W.app->bindings;
	wp_inbound_path.n_entries = 0;
	rte_eth_macaddr_get(W.port.port_id, &W.mac);
	wp_worker_online(W.app->workers[0]);
	/* The router is resolved at start: its ARP request answered. */
	wp_control_start(W.app->control, W.now);
	if (take(1, frame) != 42)
		return -1;
	eth = (struct aves_h_eth){ .dst = W.mac, .src = router_mac };
	len = aves_h_arp_frame(frame, &eth, 2, &router_mac, W.router, &W.mac, W.iface);
	if (aves_h_inject(&W.port, 0, B.pool, frame, (uint16_t)len) != 0)
		return -1;
	wp_worker_poll(W.app->workers[0], W.now);
	wp_control_poll(W.app->control, W.now, W.wall);
	return aves_h_drain(&W.port) == 0 ? 0 : -1;
}

void
wp_bench_stop(void)
{
	if (W.app != NULL) {
		wp_worker_offline(W.app->workers[0]);
		wp_app_free(W.app);
		W.app = NULL;
	}
	wp_config_clear(&W.cfg);
	aves_h_port_destroy(&W.port);
}

/* A signed SETUP (intranet mode) from the DNS front end for (W1, initiator i). */
static size_t
setup_frame(uint8_t *buf, uint32_t i)
{
	struct aves_ctrl_msg msg = {
		.type = AVES_CTRL_SETUP,
		.origin = W.dns,
		.serial = W.serial++,
		.timestamp_ms = W.wall,
		.body.setup = { .mode = AVES_CTRL_MODE_INTRANET, .gw_port = AVES_TUNNEL_PORT,
				.waypoint = W.w1, .initiator = bench_host(INITIATORS, i),
				.gateway = W.r, .responder = W.b, .gw_key_id = B.gw.id },
	};
	struct aves_h_ip ip = { .src = W.dns, .dst = W.control, .id = 0x1234 };
	struct aves_h_eth eth = { .dst = W.mac, .src = router_mac };
	uint8_t payload[AVES_CTRL_MAX_LEN];
	int n = aves_ctrl_encode(B.auth, &B.service, &msg, payload, sizeof(payload));

	if (n <= 0)
		return 0;
	return aves_h_udp_frame(buf, &eth, &ip, AVES_CTRL_PORT, AVES_CTRL_PORT, payload,
				(uint16_t)n);
}

double
wp_bench_bind_to(uint32_t target)
{
	uint8_t frame[AVES_H_FRAME_MAX];
	uint64_t cycles = 0, accepts = 0, n = 0;
	uint32_t bound = wp_inbound_path.n_entries;

	while (bound < target) {
		uint32_t k, batch = RTE_MIN(32u, target - bound);
		uint64_t t0;
		int len;

		for (k = 0; k < batch; k++) {
			size_t fl = setup_frame(frame, bound + k);

			if (fl == 0 || aves_h_inject(&W.port, 0, B.pool, frame, (uint16_t)fl) != 0)
				return -1;
		}
		wp_worker_poll(W.app->workers[0], W.now);
		t0 = rte_rdtsc();
		wp_control_poll(W.app->control, W.now, W.wall);
		cycles += rte_rdtsc() - t0;
		n += batch;
		while ((len = take(1, frame)) > 0)
			accepts += len > 42 + 8 && frame[42 + 1] == AVES_CTRL_ACCEPT;
		bound += batch;
		wp_inbound_path.n_entries = bound;
	}
	if (accepts != n)
		return -1;
	return n != 0 ? (double)cycles / (double)n : 0;
}

double
wp_bench_ctrl_tag(unsigned int rounds)
{
	uint8_t msg[AVES_CTRL_SETUP_LEN - AVES_TAG_LEN] = { 1 };
	uint8_t tag[AVES_TAG_LEN];
	uint64_t t0 = rte_rdtsc();
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		msg[2] = (uint8_t)r;
		if (aves_tag_compute(B.auth, &B.service, msg, sizeof(msg), tag) != 0)
			return -1;
	}
	return (double)(rte_rdtsc() - t0) / rounds;
}
