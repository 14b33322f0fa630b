/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include "test_eal.h"
#include "wpt.h"

struct wpt T;

const struct rte_ether_addr wpt_router_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
const struct rte_ether_addr wpt_r2_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x20 } };

uint32_t WPT_IFACE, WPT_CONTROL, WPT_ROUTER, WPT_W1, WPT_W2, WPT_DNS, WPT_R, WPT_R2, WPT_A,
	WPT_A2, WPT_V, WPT_S, WPT_B, WPT_B2;

static const char service_hex[] = "00112233445566778899aabbccddeeff";
static const char gw101_hex[] = "0123456789abcdef0123456789abcdef";
static const char gw102_hex[] = "fedcba9876543210fedcba9876543210";

static int
key_from_hex(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[AVES_KEY_MAX_LEN];
	int len = aves_key_parse_hex(hex, secret, sizeof(secret));

	return len < 0 ? -1 : aves_key_init(T.auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)len);
}

int
wpt_init(unsigned int n_workers, const char *lcores)
{
	memset(&T, 0, sizeof(T));
	T.n_workers = n_workers;
	WPT_IFACE = aves_h_addr(192, 0, 2, 10);
	WPT_CONTROL = aves_h_addr(192, 0, 2, 11);
	WPT_ROUTER = aves_h_addr(192, 0, 2, 1);
	WPT_W1 = aves_h_addr(192, 0, 2, 100);
	WPT_W2 = aves_h_addr(192, 0, 2, 101);
	WPT_DNS = aves_h_addr(198, 51, 100, 53);
	WPT_R = aves_h_addr(198, 51, 100, 20);
	WPT_R2 = aves_h_addr(192, 0, 2, 20);
	WPT_A = aves_h_addr(203, 0, 113, 7);
	WPT_A2 = aves_h_addr(203, 0, 113, 8);
	WPT_V = aves_h_addr(203, 0, 113, 9);
	WPT_S = aves_h_addr(203, 0, 113, 66);
	WPT_B = aves_h_addr(10, 0, 0, 2);
	WPT_B2 = aves_h_addr(10, 0, 0, 3);

	if ((lcores == NULL ? aves_test_eal_init() : aves_test_eal_init_lcores(lcores)) != 0)
		return -1;
	T.pool = rte_pktmbuf_pool_create("wpt_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	T.auth = aves_auth_ctx_create();
	if (T.pool == NULL || T.auth == NULL ||
	    aves_h_port_create(&T.port, "wpt", n_workers, n_workers + 1) != 0)
		return -1;
	if (key_from_hex(&T.service, 1, service_hex) != 0 ||
	    key_from_hex(&T.gw101, 101, gw101_hex) != 0 ||
	    key_from_hex(&T.gw102, 102, gw102_hex) != 0)
		return -1;
	return 0;
}

void
wpt_fini(void)
{
	aves_h_port_destroy(&T.port);
	aves_auth_ctx_free(T.auth);
	rte_mempool_free(T.pool);
	aves_test_eal_cleanup();
}

/* Small tables; ARP answers trusted for a day, so that tests stepping through hours of
 * timers are not interrupted by re-checks of the router (tested on their own). */
static const char default_tables[] =
	"tables = { bindings = 64; blocks = 64; connections = 64; neighbours = 16;"
	" punt-ring = 256; };\n"
	"neighbours = { reachable = \"1d\"; };\n";

int
wpt_start(const char *extra)
{
	char path[] = "/tmp/wpt-XXXXXX";
	char workers[64] = "";
	struct wp_start start = { .wall_us = WPT_WALL_US, .now_ms = WPT_T0, .start_ports = true };
	uint8_t frame[WPT_FRAME_MAX];
	struct aves_h_eth eth;
	unsigned int i;
	size_t len;
	FILE *f;
	int fd, n;

	for (i = 0; i < T.n_workers; i++)
		snprintf(workers + strlen(workers), sizeof(workers) - strlen(workers), "%s%u",
			 i ? ", " : "", i + 1);
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(f,
		"ports = ( { device = \"net_ring_wpt\"; address = \"192.0.2.10/24\"; } );\n"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"192.0.2.1\"; } );\n"
		"control = { address = \"192.0.2.11\"; };\n"
		"waypoints = [ \"192.0.2.100\", \"192.0.2.101\" ];\n"
		"keys = {\n"
		"  service = ( { id = 1; secret = \"%s\"; } );\n"
		/* One key per line: aves_conf's 32-bit wrap check re-reads the line and would
		 * compare the second id with the first. */
		"  gateways = ( { id = 101; secret = \"%s\"; },\n"
		"               { id = 102; secret = \"%s\"; } );\n"
		"};\n"
		"lcores = { control = 0; workers = [ %s ]; };\n"
		"mbufs = { count = 4095; cache = 32; };\n"
		"datapath = { link-wait = 0; };\n"
		"%s",
		service_hex, gw101_hex, gw102_hex, workers, extra != NULL ? extra : default_tables);
	fclose(f);
	n = wp_config_load(&T.cfg, path, stderr);
	unlink(path);
	if (n != 0)
		return -1;
	T.now = WPT_T0;
	T.wall = WPT_WALL_US / 1000 + 1000;
	T.setup_serial = WPT_WALL_US;
	T.reply_serial = WPT_WALL_US;
	T.ctrl_ip_id = 0;
	T.app = wp_app_create(&T.cfg, &start);
	if (T.app == NULL)
		return -1;
	rte_eth_macaddr_get(T.port.port_id, &T.mac);
	for (i = 0; i < T.n_workers; i++)
		wp_worker_online(T.app->workers[i]);

	/* The router is resolved at start: a broadcast request, answered. */
	wp_control_start(T.app->control, T.now);
	n = wpt_take(T.n_workers, frame);
	if (n != 42 || memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) != 0 ||
	    memcmp(frame + 38, &WPT_ROUTER, 4) != 0)
		return -1;
	eth = wpt_from_router();
	len = aves_h_arp_frame(frame, &eth, 2, &wpt_router_mac, WPT_ROUTER, &T.mac, WPT_IFACE);
	wpt_inject(0, frame, len);
	wpt_run();
	if (wpt_pending() != 0)
		return -1;
	return 0;
}

void
wpt_stop(void)
{
	unsigned int i;

	if (T.app != NULL) {
		for (i = 0; i < T.n_workers; i++)
			wp_worker_offline(T.app->workers[i]);
		wp_app_free(T.app);
		T.app = NULL;
	}
	wp_config_clear(&T.cfg);
	aves_h_drain(&T.port);
}

void
wpt_worker(unsigned int i)
{
	wp_worker_poll(T.app->workers[i], T.now);
}

void
wpt_workers(void)
{
	unsigned int i;

	for (i = 0; i < T.n_workers; i++)
		wpt_worker(i);
}

void
wpt_control(void)
{
	wp_control_poll(T.app->control, T.now, T.wall);
}

void
wpt_run(void)
{
	wpt_workers();
	wpt_control();
	wpt_workers();
	wpt_control();
}

int
wpt_inject(unsigned int q, const uint8_t *frame, size_t len)
{
	return aves_h_inject(&T.port, q, T.pool, frame, (uint16_t)len);
}

int
wpt_take(unsigned int q, uint8_t *buf)
{
	return aves_h_take(&T.port, q, buf, WPT_FRAME_MAX);
}

unsigned int
wpt_pending(void)
{
	unsigned int q, n = 0;

	for (q = 0; q <= T.n_workers; q++)
		n += aves_h_pending(&T.port, q);
	return n;
}

unsigned int
wpt_drain(void)
{
	return aves_h_drain(&T.port);
}

static uint64_t
sum(size_t off, unsigned int i)
{
	uint64_t v = 0;
	unsigned int l;

	for (l = 0; l <= T.n_workers; l++)
		v += ((const uint64_t *)((const char *)T.app->base.stats[l] + off))[i];
	return v;
}

uint64_t
wpt_ctr(enum wp_ctr c)
{
	return sum(offsetof(struct wp_stats, ctr), c);
}

uint64_t
wpt_verdict(enum aves_verdict v)
{
	return sum(offsetof(struct wp_stats, verdict), v);
}

uint64_t
wpt_parse(enum aves_parse_reason r)
{
	return sum(offsetof(struct wp_stats, parse), r);
}

uint64_t
wpt_ctrl(enum aves_ctrl_verdict v)
{
	return sum(offsetof(struct wp_stats, ctrl), v);
}

uint64_t
wpt_reject(unsigned int reason)
{
	return sum(offsetof(struct wp_stats, reject), reason);
}

struct aves_h_eth
wpt_from_router(void)
{
	return (struct aves_h_eth){ .dst = T.mac, .src = wpt_router_mac };
}

struct aves_h_eth
wpt_to(const struct rte_ether_addr *dst)
{
	return (struct aves_h_eth){ .dst = *dst, .src = T.mac };
}

size_t
wpt_setup_frame(uint8_t *buf, uint8_t mode, uint32_t w, uint32_t initiator, uint32_t r,
		uint32_t b, uint32_t key_id, uint64_t serial, uint64_t ts_ms)
{
	struct aves_ctrl_msg msg = {
		.type = AVES_CTRL_SETUP,
		.origin = WPT_DNS,
		.serial = serial,
		.timestamp_ms = ts_ms,
		.body.setup = { .mode = mode, .gw_port = AVES_TUNNEL_PORT, .waypoint = w,
				.initiator = initiator, .gateway = r, .responder = b,
				.gw_key_id = key_id },
	};
	struct aves_h_ip ip = { .src = WPT_DNS, .dst = WPT_CONTROL, .id = 0x1234 };
	struct aves_h_eth eth = wpt_from_router();
	uint8_t payload[AVES_CTRL_MAX_LEN];
	int n = aves_ctrl_encode(T.auth, &T.service, &msg, payload, sizeof(payload));

	assert_int_equal(n, AVES_CTRL_SETUP_LEN);
	return aves_h_udp_frame(buf, &eth, &ip, AVES_CTRL_PORT, AVES_CTRL_PORT, payload,
				(uint16_t)n);
}

uint64_t
wpt_send_setup(uint8_t mode, uint32_t w, uint32_t initiator, uint32_t r, uint32_t b,
	       uint32_t key_id)
{
	uint8_t frame[WPT_FRAME_MAX];
	uint64_t serial = T.setup_serial++;
	size_t len = wpt_setup_frame(frame, mode, w, initiator, r, b, key_id, serial, T.wall);

	assert_int_equal(wpt_inject(0, frame, len), 0);
	return serial;
}

static void
put16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, 2);
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
	v = rte_cpu_to_be_64(v);
	memcpy(p, &v, 8);
}

size_t
wpt_reply_frame(uint8_t *buf, uint8_t type, uint64_t setup_serial, uint32_t w, uint32_t value)
{
	struct aves_h_ip ip = { .src = WPT_CONTROL, .dst = WPT_DNS, .id = T.ctrl_ip_id++ };
	struct aves_h_eth eth = wpt_to(&wpt_router_mac);
	uint8_t p[64];

	memset(p, 0, sizeof(p));
	p[0] = 1;
	p[1] = type;
	put16(p + 2, 64);
	p[4] = AVES_ALG_HMAC_MD5;
	put32(p + 8, 1);
	memcpy(p + 12, &WPT_CONTROL, 4);
	put64(p + 16, T.reply_serial++);
	put64(p + 24, T.wall);
	put64(p + 32, setup_serial);
	memcpy(p + 40, &w, 4);
	if (type == AVES_CTRL_ACCEPT)
		put32(p + 44, value);
	else
		put16(p + 44, (uint16_t)value);
	assert_int_equal(aves_tag_compute(T.auth, &T.service, p, 48, p + 48), 0);
	return aves_h_udp_frame(buf, &eth, &ip, AVES_CTRL_PORT, AVES_CTRL_PORT, p, sizeof(p));
}

void
wpt_assert_frame(const uint8_t *got, int n, const uint8_t *want, size_t len)
{
	size_t i;

	if (n == (int)len && memcmp(got, want, len) == 0)
		return;
	for (i = 0; i < len && (int)i < n && got[i] == want[i]; i++)
		;
	print_error("frame differs: got %d bytes, want %zu; first difference at %zu "
		    "(got 0x%02x, want 0x%02x)\n", n, len, i,
		    (int)i < n ? got[i] : 0, i < len ? want[i] : 0);
	fail();
}

void
wpt_expect_reply(uint8_t type, uint64_t setup_serial, uint32_t w, uint32_t value)
{
	uint8_t got[WPT_FRAME_MAX], want[WPT_FRAME_MAX];
	int n = wpt_take(T.n_workers, got);
	size_t len = wpt_reply_frame(want, type, setup_serial, w, value);

	wpt_assert_frame(got, n, want, len);
}

uint16_t
wpt_rewritten(uint8_t *out, const uint8_t *frame, size_t len, uint32_t dst)
{
	const uint8_t *ip = frame + RTE_ETHER_HDR_LEN;
	uint16_t ip_len = (uint16_t)(ip[2] << 8 | ip[3]);

	assert_true(len >= RTE_ETHER_HDR_LEN + (size_t)ip_len);
	memcpy(out, ip, ip_len);
	memcpy(out + 16, &dst, 4);
	aves_h_ipv4_fix(out);
	return ip_len;
}

uint64_t
wpt_seq(unsigned int sender, uint64_t k)
{
	const uint64_t mask = (UINT64_C(1) << 56) - 1;

	return (uint64_t)sender << 56 | ((WPT_WALL_US + k) & mask);
}

/* The hash the UDP source port carries: CRC32-C over the protocol, the addresses and the
 * ports (zero for fragments) of the inner packet, read from its bytes. */
static uint32_t
flow_hash(const uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 0xf) * 4u;
	uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);
	const uint8_t *l4 = ip + ihl;
	uint32_t src, dst, h;
	uint16_t sport = 0, dport = 0;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	if ((frag & 0x3fff) == 0) {
		if (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) {
			memcpy(&sport, l4, 2);
			memcpy(&dport, l4 + 2, 2);
		} else if (ip[9] == IPPROTO_ICMP && aves_icmp_is_query(l4[0])) {
			memcpy(&sport, l4 + 4, 2);
			memcpy(&dport, l4 + 4, 2);
		}
	}
	h = rte_hash_crc_4byte(src, ip[9]);
	h = rte_hash_crc_4byte(dst, h);
	return rte_hash_crc_4byte((uint32_t)sport << 16 | dport, h);
}

size_t
wpt_tunnel_frame(uint8_t *buf, const uint8_t *inner, uint16_t inner_len, uint32_t w, uint32_t r,
		 uint16_t dport, const struct aves_key *key, const struct rte_ether_addr *dst_mac,
		 uint16_t ip_id, uint64_t seq)
{
	struct aves_h_ip ip = { .src = w, .dst = r, .id = ip_id, .tos = inner[1] };
	struct aves_h_eth eth = wpt_to(dst_mac);
	uint8_t p[WPT_FRAME_MAX];
	uint16_t udp_len = (uint16_t)(8 + 20 + inner_len + 16);

	put16(p, (uint16_t)(49152 + (flow_hash(inner) & 0x3fff)));
	put16(p + 2, dport);
	put16(p + 4, udp_len);
	put16(p + 6, 0);
	p[8] = 1;
	p[9] = 1;
	p[10] = AVES_ALG_HMAC_MD5;
	p[11] = 0;
	put32(p + 12, key->id);
	memcpy(p + 16, &w, 4);
	put64(p + 20, seq);
	memcpy(p + 28, inner, inner_len);
	assert_int_equal(aves_tag_compute(T.auth, key, p + 8, 20u + inner_len, p + 28 + inner_len),
			 0);
	return aves_h_ip_frame(buf, &eth, &ip, IPPROTO_UDP, p, udp_len);
}

void
wpt_bind(uint32_t w, uint32_t a, uint32_t r, uint32_t b, uint32_t key_id)
{
	uint64_t serial = wpt_send_setup(AVES_CTRL_MODE_INTRANET, w, a, r, b, key_id);

	wpt_run();
	wpt_expect_reply(AVES_CTRL_ACCEPT, serial, w, 0);
}

struct wp_binding *
wpt_binding(uint32_t w, uint32_t a)
{
	const struct aves_wp_key k = aves_wp_key_make(w, a);

	return aves_table_lookup(T.app->bindings, &k);
}
