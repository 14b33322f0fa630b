/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-bench: cycles per packet of the real aves-waypoint pipeline, by stage, next to the
 * floors measured in the same run and the AVES paper's figures (§5.4).
 *
 * The waypoint is built from a configuration exactly as the packet-level tests build it
 * (wp_app_create() on a net_ring port), bindings are created through its own control path
 * (signed SETUPs punted by the worker and handled by wp_control_poll()), and generated frames
 * are replayed through wp_worker_poll(), the function the worker lcore loops on. The core
 * library is a second build of app/waypoint compiled with -DAVES_BENCH_STAGES, whose probes
 * (app/common/aves_probe.h) charge the cycles of each burst to named stages.
 *
 * Per round the driver copies a burst of frames into mbufs and enqueues them on the port's
 * RX ring (not timed), times one poll, and takes what the waypoint sent from the TX ring (not
 * timed). The I/O floor is the same rounds with rte_eth_rx_burst + rte_eth_tx_burst on the
 * same port and nothing else; the MAC floor is ipsec-mb computing HMAC-MD5 over the same
 * lengths the tunnel tags, a burst submitted then flushed, alone.
 *
 * Usage: aves-bench [--quick] [--csv FILE] [--connections N] [-- EAL options]
 * --connections: the worker's TCP connection table (default 65536 as in the appliance; the traffic is UDP, so it
 * stays empty, but the worker's aging walks it every poll: see bench/README.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "aves_harness.h"
#include "aves_probe.h"
#include "wp.h"

__thread uint64_t aves_probe_cycles[AVES_STAGE_MAX];
__thread uint64_t aves_probe_last;

static const char *const stage_names[AVES_STAGE_MAX] = {
#define STAGE_NAME_(name, str) [AVES_STAGE_##name] = str,
	AVES_STAGES(STAGE_NAME_)
#undef STAGE_NAME_
};

#define WALL_US UINT64_C(1700000000000000)
#define T0_MS UINT64_C(1000000)
#define FRAMES_MAX 8192u
#define FRAME_MAX 1600u
#define BURST_MAX 64u
#define AVES_OVERHEAD 64u	/* outer IPv4 20 + UDP 8 + AVES header 20 + tag 16 */
#define TAGGED_HDR 20u		/* the AVES header, covered by the tag with the inner packet */

static const char service_hex[] = "00112233445566778899aabbccddeeff";
static const char gw_hex[] = "0123456789abcdef0123456789abcdef";
static const struct rte_ether_addr router_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };

/* Everything the run shares. */
static struct {
	bool quick;
	unsigned int connections;	/* the worker's TCP table capacity */
	FILE *csv;
	uint64_t hz;
	struct aves_h_port port;
	struct rte_mempool *pool;
	struct wp_config cfg;
	struct wp_app *app;
	struct aves_auth_ctx *auth;
	struct aves_key service, gw;
	struct rte_ether_addr mac;
	uint64_t now, wall;
	uint64_t serial;
	uint32_t n_bound;
	uint32_t w1, control, dns, router, r, b, iface;
	IMB_MGR *mb;
	/* The frames of the current case. */
	unsigned int n_frames;
	uint16_t len[FRAMES_MAX];
	uint8_t *frame[FRAMES_MAX];
} B;

/* The paper's figures (BRIEF.md §4), printed beside ours. */
#define PAPER_SMALL_CYCLES 17500.0	/* 48-byte packets, 866 MHz Pentium III */
#define PAPER_LARGE_CYCLES 43500.0	/* 1464-byte packets */
#define PAPER_SETUP_CYCLES 71000.0	/* SETUP -> ACCEPT at the waypoint */
#define PAPER_CTRL_TAG_CYCLES 3100.0	/* tag of one control message */

/* ---------------------------------------------------------------------------------------- */
/* Building the waypoint, as the tests do                                                    */
/* ---------------------------------------------------------------------------------------- */

static int
key_from_hex(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[AVES_KEY_MAX_LEN];
	int len = aves_key_parse_hex(hex, secret, sizeof(secret));

	return len < 0 ? -1 : aves_key_init(B.auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)len);
}

static int
take(unsigned int q, uint8_t *buf)
{
	return aves_h_take(&B.port, q, buf, AVES_H_FRAME_MAX);
}

static int
waypoint_start(uint32_t bindings)
{
	char path[] = "/tmp/aves-bench-XXXXXX";
	struct wp_start start = { .wall_us = WALL_US, .now_ms = T0_MS, .start_ports = true };
	uint8_t frame[AVES_H_FRAME_MAX];
	struct aves_h_eth eth;
	size_t len;
	FILE *f;
	int fd, n;

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
		service_hex, gw_hex, bindings, B.connections);
	fclose(f);
	n = wp_config_load(&B.cfg, path, stderr);
	unlink(path);
	if (n != 0)
		return -1;
	B.now = T0_MS;
	B.wall = WALL_US / 1000 + 1000;
	B.serial = WALL_US;
	B.app = wp_app_create(&B.cfg, &start);
	if (B.app == NULL)
		return -1;
	rte_eth_macaddr_get(B.port.port_id, &B.mac);
	wp_worker_online(B.app->workers[0]);
	/* The router is resolved at start: its ARP request answered. */
	wp_control_start(B.app->control, B.now);
	if (take(1, frame) != 42)
		return -1;
	eth = (struct aves_h_eth){ .dst = B.mac, .src = router_mac };
	len = aves_h_arp_frame(frame, &eth, 2, &router_mac, B.router, &B.mac, B.iface);
	if (aves_h_inject(&B.port, 0, B.pool, frame, (uint16_t)len) != 0)
		return -1;
	wp_worker_poll(B.app->workers[0], B.now);
	wp_control_poll(B.app->control, B.now, B.wall);
	return aves_h_drain(&B.port) == 0 ? 0 : -1;
}

static void
waypoint_stop(void)
{
	if (B.app != NULL) {
		wp_worker_offline(B.app->workers[0]);
		wp_app_free(B.app);
		B.app = NULL;
	}
	wp_config_clear(&B.cfg);
	aves_h_drain(&B.port);
}

/* The i-th initiator: 100.64.0.0/10 (room for four million). */
static uint32_t
initiator(uint32_t i)
{
	return rte_cpu_to_be_32(UINT32_C(0x64400000) + i);
}

/* A signed SETUP (intranet mode) from the DNS front end for (W1, initiator i). */
static size_t
setup_frame(uint8_t *buf, uint32_t i)
{
	struct aves_ctrl_msg msg = {
		.type = AVES_CTRL_SETUP,
		.origin = B.dns,
		.serial = B.serial++,
		.timestamp_ms = B.wall,
		.body.setup = { .mode = AVES_CTRL_MODE_INTRANET, .gw_port = AVES_TUNNEL_PORT,
				.waypoint = B.w1, .initiator = initiator(i), .gateway = B.r,
				.responder = B.b, .gw_key_id = B.gw.id },
	};
	struct aves_h_ip ip = { .src = B.dns, .dst = B.control, .id = 0x1234 };
	struct aves_h_eth eth = { .dst = B.mac, .src = router_mac };
	uint8_t payload[AVES_CTRL_MAX_LEN];
	int n = aves_ctrl_encode(B.auth, &B.service, &msg, payload, sizeof(payload));

	if (n <= 0)
		return 0;
	return aves_h_udp_frame(buf, &eth, &ip, AVES_CTRL_PORT, AVES_CTRL_PORT, payload,
				(uint16_t)n);
}

/*
 * Bind initiators until @p target are bound, through the waypoint's control path: SETUPs in
 * batches of 32 through the worker (which hands them over) and the control lcore (which
 * verifies, binds and answers). Returns the control lcore's cycles per SETUP -> ACCEPT, or
 * a negative value when an ACCEPT is missing.
 */
static double
bind_to(uint32_t target)
{
	uint8_t frame[AVES_H_FRAME_MAX];
	uint64_t cycles = 0, accepts = 0, n = 0;

	while (B.n_bound < target) {
		uint32_t k, batch = RTE_MIN(32u, target - B.n_bound);
		uint64_t t0;
		int len;

		for (k = 0; k < batch; k++) {
			size_t fl = setup_frame(frame, B.n_bound + k);

			if (fl == 0 || aves_h_inject(&B.port, 0, B.pool, frame, (uint16_t)fl) != 0)
				return -1;
		}
		wp_worker_poll(B.app->workers[0], B.now);
		t0 = rte_rdtsc();
		wp_control_poll(B.app->control, B.now, B.wall);
		cycles += rte_rdtsc() - t0;
		n += batch;
		while ((len = take(1, frame)) > 0)
			accepts += len > 42 + 8 && frame[42 + 1] == AVES_CTRL_ACCEPT;
		B.n_bound += batch;
	}
	if (accepts != n)
		return -1;
	return n != 0 ? (double)cycles / (double)n : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Traffic                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A case's frames: [A_i -> W1] UDP with these payload sizes, cycling, over the bound
 * initiators spread across the table. */
static void
make_frames(const uint16_t *payloads, unsigned int n_payloads, unsigned int n_frames)
{
	static uint8_t zeros[FRAME_MAX];
	struct aves_h_eth eth = { .dst = B.mac, .src = router_mac };
	unsigned int j;

	B.n_frames = RTE_MIN(n_frames, FRAMES_MAX);
	for (j = 0; j < B.n_frames; j++) {
		/* A stride coprime with the table size visits every bound initiator. */
		uint32_t a = (uint32_t)(((uint64_t)j * 2654435761u) % B.n_bound);
		struct aves_h_ip ip = { .src = initiator(a), .dst = B.w1, .id = (uint16_t)j };

		B.len[j] = (uint16_t)aves_h_udp_frame(B.frame[j], &eth, &ip,
						      (uint16_t)(1024 + j % 50000), 5000, zeros,
						      payloads[j % n_payloads]);
	}
}

/* Put @p n frames (from @p *next) on the port's RX ring. */
static int
load_burst(unsigned int n, unsigned int *next)
{
	struct rte_mbuf *m[BURST_MAX];
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(B.pool, m, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int j = (*next)++ % B.n_frames;

		rte_memcpy(rte_pktmbuf_mtod(m[i], void *), B.frame[j], B.len[j]);
		m[i]->data_len = B.len[j];
		m[i]->pkt_len = B.len[j];
	}
	if (rte_ring_enqueue_bulk(B.port.rx[0], (void **)m, n, NULL) != n) {
		rte_pktmbuf_free_bulk(m, n);
		return -1;
	}
	return 0;
}

/* Free what was sent on TX queue 0; returns how many. */
static unsigned int
unload(void)
{
	void *m[BURST_MAX];
	unsigned int n, total = 0;

	while ((n = rte_ring_dequeue_burst(B.port.tx[0], m, BURST_MAX, NULL)) != 0) {
		rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
		total += n;
	}
	return total;
}

struct result {
	double total;			/* cycles per packet */
	double stage[AVES_STAGE_MAX];
	double out_ratio;		/* packets sent / packets offered */
};

/* The waypoint's worker on @p rounds bursts of @p burst frames. */
static int
run_waypoint(unsigned int burst, unsigned int rounds, struct result *res)
{
	uint64_t cycles = 0, sent = 0;
	unsigned int r, s, next = 0;

	for (r = 0; r < rounds + rounds / 10; r++) {
		uint64_t t0;

		if (r == rounds / 10) {	/* the first tenth warms the caches */
			memset(aves_probe_cycles, 0, sizeof(aves_probe_cycles));
			cycles = 0;
			sent = 0;
		}
		if (load_burst(burst, &next) != 0)
			return -1;
		t0 = rte_rdtsc();
		wp_worker_poll(B.app->workers[0], B.now);
		cycles += rte_rdtsc() - t0;
		sent += unload();
	}
	res->total = (double)cycles / ((double)rounds * burst);
	for (s = 0; s < AVES_STAGE_MAX; s++)
		res->stage[s] = (double)aves_probe_cycles[s] / ((double)rounds * burst);
	res->out_ratio = (double)sent / ((double)rounds * burst);
	return 0;
}

/* The I/O floor: the same frames through the same port, received and sent, nothing else. */
static double
run_io_floor(unsigned int burst, unsigned int rounds)
{
	struct rte_mbuf *m[BURST_MAX];
	uint64_t cycles = 0;
	unsigned int r, next = 0;

	for (r = 0; r < rounds + rounds / 10; r++) {
		uint64_t t0;
		uint16_t n, sent;

		if (r == rounds / 10)
			cycles = 0;
		if (load_burst(burst, &next) != 0)
			return -1;
		t0 = rte_rdtsc();
		n = rte_eth_rx_burst(B.port.port_id, 0, m, (uint16_t)burst);
		sent = rte_eth_tx_burst(B.port.port_id, 0, m, n);
		cycles += rte_rdtsc() - t0;
		if (sent < n)
			rte_pktmbuf_free_bulk(m + sent, n - sent);
		unload();
	}
	return (double)cycles / ((double)rounds * burst);
}

/* The MAC floor: HMAC-MD5 with ipsec-mb over the lengths the tunnel tags (AVES header and
 * inner packet), @p burst jobs submitted then flushed. */
static double
run_mac_floor(unsigned int burst, unsigned int rounds)
{
	static uint8_t tags[BURST_MAX][AVES_TAG_LEN];
	uint64_t cycles = 0;
	unsigned int r, i, next = 0;

	for (r = 0; r < rounds + rounds / 10; r++) {
		uint64_t t0;
		IMB_JOB *job;

		if (r == rounds / 10)
			cycles = 0;
		t0 = rte_rdtsc();
		for (i = 0; i < burst; i++) {
			unsigned int j = next++ % B.n_frames;

			job = IMB_GET_NEXT_JOB(B.mb);
			job->src = B.frame[j] + RTE_ETHER_HDR_LEN - TAGGED_HDR;
			job->hash_start_src_offset_in_bytes = 0;
			job->msg_len_to_hash_in_bytes = B.len[j] - RTE_ETHER_HDR_LEN + TAGGED_HDR;
			job->auth_tag_output = tags[i];
			job->auth_tag_output_len_in_bytes = AVES_TAG_LEN;
			job->u.HMAC._hashed_auth_key_xor_ipad = B.gw.ipad_state;
			job->u.HMAC._hashed_auth_key_xor_opad = B.gw.opad_state;
			job->cipher_mode = IMB_CIPHER_NULL;
			job->cipher_direction = IMB_DIR_ENCRYPT;
			job->hash_alg = IMB_AUTH_MD5;
			job->chain_order = IMB_ORDER_HASH_CIPHER;
			job = IMB_SUBMIT_JOB(B.mb);
			while (job != NULL)
				job = IMB_GET_COMPLETED_JOB(B.mb);
		}
		while (IMB_FLUSH_JOB(B.mb) != NULL)
			;
		cycles += rte_rdtsc() - t0;
	}
	return (double)cycles / ((double)rounds * burst);
}

/* One-shot tag of a control message (the SETUP's tagged bytes), as the control lcore does. */
static double
run_ctrl_tag(unsigned int rounds)
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

/* ---------------------------------------------------------------------------------------- */
/* Cases and output                                                                          */
/* ---------------------------------------------------------------------------------------- */

struct size_case {
	const char *name;
	uint16_t payloads[12];	/* UDP payload bytes, cycled */
	unsigned int n;
	double paper;		/* the paper's cycles per packet, 0 when it has none */
};

/* IMIX 7:4:1 of 64-, 594- and 1518-byte frames (FCS included). */
static const struct size_case sizes[] = {
	{ "udp36", { 36 }, 1, PAPER_SMALL_CYCLES },
	{ "udp1464", { 1464 }, 1, PAPER_LARGE_CYCLES },
	{ "frame64", { 18 }, 1, 0 },
	{ "imix", { 18, 548, 18, 18, 548, 18, 1472, 18, 548, 18, 548, 18 }, 12, 0 },
};

/* Average frame bytes on the wire (with FCS, preamble and gap) of the current frames. */
static double
wire_bytes(void)
{
	double sum = 0;
	unsigned int j;

	for (j = 0; j < B.n_frames; j++)
		sum += B.len[j] + 4 + 20;
	return sum / B.n_frames;
}

static unsigned int csv_rows;

static void
csv(const char *path, const char *size, unsigned int burst, uint32_t table, const char *metric,
    double value, double paper)
{
	if (B.csv == NULL)
		return;
	if (csv_rows++ == 0)
		fprintf(B.csv, "path,size,burst,bindings,metric,value,paper\n");
	fprintf(B.csv, "%s,%s,%u,%" PRIu32 ",%s,%.1f,", path, size, burst, table, metric, value);
	if (paper > 0)
		fprintf(B.csv, "%.0f", paper);
	fprintf(B.csv, "\n");
}

static int tap_n;

static void
tap(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
}

/* The main table: every size at one burst and one table size. */
static int
data_table(unsigned int burst, unsigned int rounds)
{
	unsigned int c, s;
	bool ok = true;

	printf("\nWaypoint inbound [A -> W] -> [W -> R [A -> B]], HMAC-MD5 tag, burst %u, "
	       "%" PRIu32 " bindings, TSC cycles per packet\n", burst, B.n_bound);
	printf("%-8s", "size");
	for (s = 0; s < AVES_STAGE_MAX; s++)
		printf(" %7s", stage_names[s]);
	printf(" %7s %8s | %7s %7s %6s | %6s %6s %5s %5s | %8s %7s\n", "other", "total",
	       "io", "mac", "ratio", "Mpps", "Gbit/s", "10G", "40G", "paper", "x");
	for (c = 0; c < RTE_DIM(sizes); c++) {
		const struct size_case *sc = &sizes[c];
		struct result res;
		double io, mac, other, mpps, gbps, wire;

		make_frames(sc->payloads, sc->n, 4096);
		wire = wire_bytes();
		if (run_waypoint(burst, rounds, &res) != 0)
			return -1;
		io = run_io_floor(burst, rounds);
		mac = run_mac_floor(burst, rounds);
		other = res.total;
		for (s = 0; s < AVES_STAGE_MAX; s++)
			other -= res.stage[s];
		mpps = (double)B.hz / res.total / 1e6;
		gbps = mpps * wire * 8 / 1e3;
		printf("%-8s", sc->name);
		for (s = 0; s < AVES_STAGE_MAX; s++)
			printf(" %7.0f", res.stage[s]);
		printf(" %7.0f %8.0f | %7.0f %7.0f %6.2f | %6.2f %6.2f %5.0f %5.0f |",
		       other, res.total, io, mac, res.total / (io + mac), mpps, gbps,
		       ceil(10.0 / gbps), ceil(40.0 / gbps));
		if (sc->paper > 0)
			printf(" %8.0f %6.1fx\n", sc->paper, sc->paper / res.total);
		else
			printf(" %8s %7s\n", "-", "-");
		if (res.out_ratio < 0.999) {
			printf("#   only %.1f%% of the packets came out\n", 100 * res.out_ratio);
			ok = false;
		}
		for (s = 0; s < AVES_STAGE_MAX; s++)
			csv("wp_inbound", sc->name, burst, B.n_bound, stage_names[s], res.stage[s], 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "other", other, 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "total", res.total, sc->paper);
		csv("wp_inbound", sc->name, burst, B.n_bound, "floor_io", io, 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "floor_mac", mac, 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "ratio_to_floors",
		    res.total / (io + mac), 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "mpps_per_lcore", mpps, 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "gbps_per_lcore", gbps, 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "cores_10g", ceil(10.0 / gbps), 0);
		csv("wp_inbound", sc->name, burst, B.n_bound, "cores_40g", ceil(40.0 / gbps), 0);
	}
	printf("io: rx+tx burst on the same port alone; mac: ipsec-mb HMAC-MD5 over the same "
	       "lengths, batched, alone;\nratio = total / (io + mac) (target 1.15); 10G/40G: "
	       "lcores for line rate at this size; x: the paper's cycles / ours.\n");
	tap(ok, "waypoint inbound: every size, stages and floors");
	return 0;
}

/* Total cycles per packet at one size over bursts or table sizes. */
static int
sweep_point(const char *what, unsigned int burst, unsigned int rounds)
{
	struct result res;
	double io;

	make_frames(sizes[2].payloads, 1, 4096);
	if (run_waypoint(burst, rounds, &res) != 0)
		return -1;
	io = run_io_floor(burst, rounds);
	printf("  %-8s burst %2u  bindings %8" PRIu32 "  total %6.0f  lookup %5.0f  tag %5.0f"
	       "  io %5.0f\n", what, burst, B.n_bound, res.total, res.stage[AVES_STAGE_LOOKUP],
	       res.stage[AVES_STAGE_TAG], io);
	csv("wp_inbound", "frame64", burst, B.n_bound, "total", res.total, 0);
	csv("wp_inbound", "frame64", burst, B.n_bound, "lookup", res.stage[AVES_STAGE_LOOKUP], 0);
	csv("wp_inbound", "frame64", burst, B.n_bound, "floor_io", io, 0);
	return res.out_ratio < 0.999 ? -1 : 0;
}

static int
bench_init(void)
{
	IMB_ARCH arch;
	unsigned int j;

	B.hz = rte_get_tsc_hz();
	B.iface = aves_h_addr(192, 0, 2, 10);
	B.control = aves_h_addr(192, 0, 2, 11);
	B.router = aves_h_addr(192, 0, 2, 1);
	B.w1 = aves_h_addr(192, 0, 2, 100);
	B.dns = aves_h_addr(198, 51, 100, 53);
	B.r = aves_h_addr(198, 51, 100, 20);
	B.b = aves_h_addr(10, 0, 0, 2);
	B.pool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	B.auth = aves_auth_ctx_create();
	B.mb = alloc_mb_mgr(0);
	if (B.pool == NULL || B.auth == NULL || B.mb == NULL ||
	    aves_h_port_create(&B.port, "bench", 1, 2) != 0 ||
	    key_from_hex(&B.service, 1, service_hex) != 0 ||
	    key_from_hex(&B.gw, 101, gw_hex) != 0)
		return -1;
	init_mb_mgr_auto(B.mb, &arch);
	for (j = 0; j < FRAMES_MAX; j++) {
		B.frame[j] = malloc(FRAME_MAX);
		if (B.frame[j] == NULL)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ "connections", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static char *default_eal[] = {
		"aves-bench", "--no-huge", "-m", "2048", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", "-l", "0",
	};
	const char *csv_path = NULL;

	B.connections = 65536; /* the appliance's default (tables.connections) */
	unsigned int rounds, b;
	double setup = 0, ctrl_tag;
	int opt, eal_argc, ret;
	char **eal_argv;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': B.quick = true; break;
		case 'c': csv_path = optarg; break;
		case 'n': B.connections = (unsigned int)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: aves-bench [--quick] [--csv FILE] [--connections N]"
				" [-- EAL options]\n");
			return 2;
		}
	}
	if (optind < argc) {
		eal_argv = argv + optind - 1;
		eal_argv[0] = argv[0];
		eal_argc = argc - optind + 1;
	} else {
		eal_argv = default_eal;
		eal_argc = (int)RTE_DIM(default_eal);
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "aves-bench: EAL init failed\n");
		return 1;
	}
	if (csv_path != NULL && (B.csv = fopen(csv_path, "w")) == NULL) {
		perror(csv_path);
		return 1;
	}
	ret = 1;
	if (bench_init() != 0 || waypoint_start(B.quick ? 4096 : 1100000) != 0) {
		fprintf(stderr, "aves-bench: cannot build the waypoint\n");
		goto out;
	}
	rounds = B.quick ? 300 : 20000;
	printf("aves-bench: TSC %.3f GHz, lcore %u, ipsec-mb %s, %s, connection table %u\n",
	       B.hz / 1e9, rte_lcore_id(), imb_get_version_str(), B.quick ? "quick" : "full",
	       B.connections);

	printf("\nTable size (64-byte frames; SETUP -> ACCEPT: the control lcore's cycles per SETUP "
	       "while growing to that size):\n");
	{
		static const uint32_t table_sizes[] = { 1, 1000, 100000, 1000000 };
		unsigned int t;

		for (t = 0; t < (B.quick ? 2u : RTE_DIM(table_sizes)); t++) {
			double s = bind_to(table_sizes[t]);

			if (s < 0 || sweep_point("bindings", 32, rounds / 4) != 0)
				goto out;
			printf("           SETUP -> ACCEPT %8.0f cycles\n", s);
			csv("wp_setup_accept", "ctrl", 32, B.n_bound, "total", s, PAPER_SETUP_CYCLES);
			if (t == 1)
				setup = s;
		}
	}
	tap(true, "waypoint inbound: table sizes");

	if (data_table(32, rounds) != 0)
		goto out;

	printf("\nBurst size (64-byte frames, %" PRIu32 " bindings):\n", B.n_bound);
	for (b = 1; b <= BURST_MAX; b *= 2)
		if (sweep_point("burst", b, rounds / 4) != 0)
			goto out;
	tap(true, "waypoint inbound: burst sizes");

	ctrl_tag = run_ctrl_tag(rounds);
	printf("\nControl path, TSC cycles per operation          ours    paper      x\n");
	printf("  waypoint SETUP -> ACCEPT, 2..1000 bound  %8.0f %8.0f %6.1fx   (target 2000)\n",
	       setup, PAPER_SETUP_CYCLES, PAPER_SETUP_CYCLES / setup);
	printf("  tag of one control message (HMAC-MD5)   %8.0f %8.0f %6.1fx\n", ctrl_tag,
	       PAPER_CTRL_TAG_CYCLES, PAPER_CTRL_TAG_CYCLES / ctrl_tag);
	csv("ctrl_tag", "ctrl", 1, 0, "total", ctrl_tag, PAPER_CTRL_TAG_CYCLES);
	tap(setup > 0, "waypoint SETUP -> ACCEPT");
	tap(ctrl_tag > 0, "control message tag");
	printf("1..%d\n", tap_n);
	ret = 0;
out:
	waypoint_stop();
	aves_h_port_destroy(&B.port);
	aves_auth_ctx_free(B.auth);
	if (B.mb != NULL)
		free_mb_mgr(B.mb);
	rte_mempool_free(B.pool);
	if (B.csv != NULL)
		fclose(B.csv);
	rte_eal_cleanup();
	return ret;
}
