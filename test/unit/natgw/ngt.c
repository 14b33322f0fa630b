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

#include "test_eal.h"
#include "ngt.h"

struct ngt T;

const struct rte_ether_addr ngt_router_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
const struct rte_ether_addr ngt_h_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0x05 } };
const struct rte_ether_addr ngt_b_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0x02 } };
const struct rte_ether_addr ngt_b2_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0x03 } };
const struct rte_ether_addr ngt_z_mac = { .addr_bytes = { 0x02, 0, 0, 0, 1, 0xfe } };

uint32_t NGT_R, NGT_ROUTER, NGT_DNS, NGT_W, NGT_W2, NGT_A, NGT_X, NGT_I, NGT_HOST, NGT_B, NGT_B2,
	NGT_Z;

static const char k101_hex[] = "0123456789abcdef0123456789abcdef";
static const char k102_hex[] = "fedcba9876543210fedcba9876543210";
static const char forged_hex[] = "0123456789abcdef0123456789abcdee";

/* REGISTER is read back with this. */
static struct aves_keyring *reg_ring;
static struct aves_replay *reg_replay;

static int
key_from_hex(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[AVES_KEY_MAX_LEN];
	int len = aves_key_parse_hex(hex, secret, sizeof(secret));

	return len < 0 ? -1 : aves_key_init(T.auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)len);
}

int
ngt_init(unsigned int n_workers)
{
	memset(&T, 0, sizeof(T));
	T.n_workers = n_workers;
	NGT_R = aves_h_addr(198, 51, 100, 20);
	NGT_ROUTER = aves_h_addr(198, 51, 100, 1);
	NGT_DNS = aves_h_addr(192, 0, 2, 53);
	NGT_W = aves_h_addr(192, 0, 2, 100);
	NGT_W2 = aves_h_addr(192, 0, 2, 101);
	NGT_A = aves_h_addr(203, 0, 113, 7);
	NGT_X = aves_h_addr(203, 0, 113, 80);
	NGT_I = aves_h_addr(10, 0, 0, 1);
	NGT_HOST = aves_h_addr(10, 0, 0, 5);
	NGT_B = aves_h_addr(10, 0, 0, 2);
	NGT_B2 = aves_h_addr(10, 0, 0, 3);
	NGT_Z = aves_h_addr(10, 0, 0, 254);

	if (aves_test_eal_init() != 0)
		return -1;
	T.pool = rte_pktmbuf_pool_create("ngt_pool", 4095, 0, 0, NGT_FRAME_MAX + 256,
					 SOCKET_ID_ANY);
	T.auth = aves_auth_ctx_create();
	if (T.pool == NULL || T.auth == NULL ||
	    aves_h_port_create(&T.port[NGT_OUT], "ngt_out", n_workers, n_workers + 1) != 0 ||
	    aves_h_port_create(&T.port[NGT_IN], "ngt_in", n_workers, n_workers + 1) != 0)
		return -1;
	if (key_from_hex(&T.k101, 101, k101_hex) != 0 ||
	    key_from_hex(&T.k102, 102, k102_hex) != 0 ||
	    key_from_hex(&T.forged101, 101, forged_hex) != 0)
		return -1;
	reg_ring = aves_keyring_create(1);
	if (reg_ring == NULL || aves_keyring_add(reg_ring, &T.k101) != 0)
		return -1;
	return aves_encap_ctx_init(&T.encap, 0, 1, NGT_WALL_US);
}

void
ngt_fini(void)
{
	aves_h_port_destroy(&T.port[NGT_OUT]);
	aves_h_port_destroy(&T.port[NGT_IN]);
	aves_keyring_free(reg_ring);
	aves_auth_ctx_free(T.auth);
	rte_mempool_free(T.pool);
	aves_test_eal_cleanup();
}

/* Small tables, unless the test gives its own "tables" group. ARP answers are trusted for a
 * day (below), so that tests stepping through hours of timers are not interrupted by
 * re-checks of the router. */
static const char default_ports[] =
	"ports = ( { device = \"net_ring_ngt_out\"; side = \"outside\";"
	" address = \"198.51.100.20/24\"; },\n"
	"          { device = \"net_ring_ngt_in\"; side = \"inside\";"
	" address = \"10.0.0.1/24\"; } );\n";
static const char default_tables[] =
	"tables = { sessions = 64; trusted-sources = 16; neighbours = 32; punt-ring = 256; };\n";
/* One REGISTER at start, then none for a day, unless the test gives its own "register"
 * group: suites stepping through timeouts see only the frames they cause. */
static const char default_register[] =
	"register = { servers = [ \"192.0.2.53\" ]; interval = \"1d\"; fast-period = 0; };\n";

/* The fixture's group @p def, unless @p extra has a group of that name. */
static const char *
group_or_default(const char *extra, const char *name, const char *def)
{
	char key[32];

	snprintf(key, sizeof(key), "%s =", name);
	return extra != NULL && strstr(extra, key) != NULL ? "" : def;
}

/* An inside host asks for the gateway's address: the gateway learns it (RFC 826). */
static int
learn(const struct rte_ether_addr *mac, uint32_t ip)
{
	static const struct rte_ether_addr zero;
	struct aves_h_eth eth = { .dst = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
				  .src = *mac };
	uint8_t frame[64];
	size_t len = aves_h_arp_frame(frame, &eth, 1, mac, ip, &zero, NGT_I);

	return aves_h_inject(&T.port[NGT_IN], 0, T.pool, frame, (uint16_t)len);
}

int
ngt_start(const char *extra)
{
	char path[] = "/tmp/ngt-XXXXXX";
	char workers[64] = "";
	struct ngw_start start = { .wall_us = NGT_WALL_US, .now_ms = NGT_T0, .start_ports = true };
	uint8_t frame[NGT_FRAME_MAX];
	struct aves_h_eth eth;
	unsigned int i;
	size_t len;
	unsigned int on_link;
	FILE *f;
	int fd, n;

	for (i = 0; i < T.n_workers; i++)
		snprintf(workers + strlen(workers), sizeof(workers) - strlen(workers), "%s%u",
			 i ? ", " : "", i + 1);
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(f,
		"%s"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"198.51.100.1\"; } );\n"
		"keys = ( { id = 101; secret = \"%s\"; } );\n"
		"lcores = { control = 0; workers = [ %s ]; };\n"
		"mbufs = { count = 4095; cache = 32; };\n"
		"datapath = { link-wait = 0; };\n"
		"neighbours = { reachable = \"1d\"; };\n"
		"reassembly = { datagrams = 16; per-source = 4; trusted-datagrams = 16;"
		" trusted-per-source = 8; buffers = 8; };\n"
		"%s%s%s",
		group_or_default(extra, "ports", default_ports), k101_hex, workers,
		group_or_default(extra, "tables", default_tables),
		group_or_default(extra, "register", default_register), extra != NULL ? extra : "");
	fclose(f);
	n = ngw_config_load(&T.cfg, path, stderr);
	unlink(path);
	if (n != 0)
		return -1;
	T.now = NGT_T0;
	T.wall = NGT_WALL_US / 1000 + 1000;
	reg_replay = aves_replay_create(16);
	T.app = ngw_app_create(&T.cfg, &start);
	if (T.app == NULL || reg_replay == NULL)
		return -1;
	rte_eth_macaddr_get(T.port[NGT_OUT].port_id, &T.mac[NGT_OUT]);
	rte_eth_macaddr_get(T.port[NGT_IN].port_id, &T.mac[NGT_IN]);
	for (i = 0; i < T.n_workers; i++)
		ngw_worker_online(T.app->workers[i]);

	/* The router is resolved at start: a broadcast request, answered. */
	ngw_control_start(T.app->control, T.now);
	n = ngt_take(NGT_OUT, T.n_workers, frame);
	if (n != 42 || memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) != 0 ||
	    memcmp(frame + 38, &NGT_ROUTER, 4) != 0)
		return -1;
	eth = ngt_eth_in(NGT_OUT, &ngt_router_mac);
	len = aves_h_arp_frame(frame, &eth, 2, &ngt_router_mac, NGT_ROUTER, &T.mac[NGT_OUT], NGT_R);
	ngt_inject(NGT_OUT, frame, len);
	if (learn(&ngt_h_mac, NGT_HOST) != 0 || learn(&ngt_b_mac, NGT_B) != 0 ||
	    learn(&ngt_b2_mac, NGT_B2) != 0 || learn(&ngt_z_mac, NGT_Z) != 0)
		return -1;
	ngt_run();
	/* Four ARP replies to the inside hosts, and the first REGISTER to each front end
	 * reached through the router (one on the outside link is left to the test: it needs
	 * its address resolved first). */
	for (i = 0; i < 4; i++)
		if (ngt_take(NGT_IN, T.n_workers, frame) != 42)
			return -1;
	on_link = 0;
	for (i = 0; i < T.cfg.n_servers; i++) {
		if ((T.cfg.servers[i] & RTE_BE32(0xffffff00)) == (NGT_R & RTE_BE32(0xffffff00)))
			on_link++;
		else
			ngt_expect_register(NGT_R, T.cfg.servers[i]);
	}
	return on_link != 0 || ngt_pending() == 0 ? 0 : -1;
}

void
ngt_stop(void)
{
	unsigned int i;

	if (T.app != NULL) {
		for (i = 0; i < T.n_workers; i++)
			ngw_worker_offline(T.app->workers[i]);
		ngw_app_free(T.app);
		T.app = NULL;
	}
	aves_replay_free(reg_replay);
	reg_replay = NULL;
	ngw_config_clear(&T.cfg);
	aves_h_drain(&T.port[NGT_OUT]);
	aves_h_drain(&T.port[NGT_IN]);
}

void
ngt_workers(void)
{
	unsigned int i;

	for (i = 0; i < T.n_workers; i++)
		ngw_worker_poll(T.app->workers[i], T.now);
}

void
ngt_control(void)
{
	ngw_control_poll(T.app->control, T.now, T.wall);
}

void
ngt_run(void)
{
	ngt_workers();
	ngt_control();
	ngt_workers();
	ngt_control();
}

void
ngt_inject(int p, const uint8_t *frame, size_t len)
{
	ngt_inject_q(p, 0, frame, len);
}

void
ngt_inject_q(int p, unsigned int q, const uint8_t *frame, size_t len)
{
	assert_int_equal(aves_h_inject(&T.port[p], q, T.pool, frame, (uint16_t)len), 0);
}

int
ngt_take(int p, unsigned int q, uint8_t *buf)
{
	return aves_h_take(&T.port[p], q, buf, NGT_FRAME_MAX);
}

int
ngt_take_any(int p, uint8_t *buf)
{
	unsigned int q;
	int n;

	for (q = 0; q <= T.n_workers; q++)
		if ((n = ngt_take(p, q, buf)) >= 0)
			return n;
	return -1;
}

unsigned int
ngt_pending(void)
{
	unsigned int q, n = 0;
	int p;

	for (p = 0; p < 2; p++)
		for (q = 0; q <= T.n_workers; q++)
			n += aves_h_pending(&T.port[p], q);
	return n;
}

unsigned int
ngt_drain(void)
{
	return aves_h_drain(&T.port[NGT_OUT]) + aves_h_drain(&T.port[NGT_IN]);
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
ngt_ctr(enum ngw_ctr c)
{
	return sum(offsetof(struct ngw_stats, ctr), c);
}

uint64_t
ngt_parse(enum aves_parse_reason r)
{
	return sum(offsetof(struct ngw_stats, parse), r);
}

uint64_t
ngt_rx(enum aves_rx_verdict v)
{
	return sum(offsetof(struct ngw_stats, tunnel.rx), v);
}

uint64_t
ngt_reasm(enum aves_reasm_result r)
{
	return sum(offsetof(struct ngw_stats, tunnel.reasm), r);
}

struct aves_h_eth
ngt_eth_in(int p, const struct rte_ether_addr *src)
{
	return (struct aves_h_eth){ .dst = T.mac[p], .src = *src };
}

struct aves_h_eth
ngt_eth_out(int p, const struct rte_ether_addr *dst)
{
	return (struct aves_h_eth){ .dst = *dst, .src = T.mac[p] };
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t
ngt_frame_out(uint8_t *buf, int p, const struct rte_ether_addr *dst, const uint8_t *ip)
{
	uint16_t len = get16(ip + 2);

	memcpy(buf, dst, 6);
	memcpy(buf + 6, &T.mac[p], 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memcpy(buf + 14, ip, len);
	return 14u + len;
}

void
ngt_set_src(uint8_t *ip, uint32_t addr)
{
	memcpy(ip + 12, &addr, 4);
}

void
ngt_set_dst(uint8_t *ip, uint32_t addr)
{
	memcpy(ip + 16, &addr, 4);
}

/* The word "port" means for this packet: TCP/UDP port, or ICMP query identifier. */
static uint8_t *
port_at(uint8_t *ip, bool src)
{
	uint8_t *l4 = ip + (ip[0] & 0xf) * 4;

	if (ip[9] == IPPROTO_ICMP)
		return l4 + 4;
	return l4 + (src ? 0 : 2);
}

void
ngt_set_sport(uint8_t *ip, uint16_t port)
{
	put16(port_at(ip, true), port);
}

void
ngt_set_dport(uint8_t *ip, uint16_t port)
{
	put16(port_at(ip, false), port);
}

uint8_t *
ngt_quote(uint8_t *ip)
{
	return ip + (ip[0] & 0xf) * 4 + 8;
}

void
ngt_fix(uint8_t *ip)
{
	const uint8_t *l4 = ip + (ip[0] & 0xf) * 4;

	if (ip[9] == IPPROTO_ICMP && aves_icmp_is_error(l4[0]))
		aves_h_ipv4_fix(ngt_quote(ip));
	aves_h_ipv4_fix(ip);
}

size_t
ngt_icmp_error_frame(uint8_t *buf, int p, const struct rte_ether_addr *mac, uint32_t src,
		     uint32_t dst, uint8_t type, uint8_t code, const uint8_t *orig)
{
	struct aves_h_eth eth = ngt_eth_in(p, mac);
	struct aves_h_ip ip = { .src = src, .dst = dst, .id = 0x3333 };
	uint8_t msg[NGT_FRAME_MAX];
	uint16_t olen = get16(orig + 2);
	size_t len;

	memset(msg, 0, 8);
	msg[0] = type;
	msg[1] = code;
	memcpy(msg + 8, orig, olen);
	len = aves_h_ip_frame(buf, &eth, &ip, IPPROTO_ICMP, msg, (uint16_t)(8 + olen));
	aves_h_ipv4_fix(buf + 14);
	return len;
}

size_t
ngt_tunnel_frame(uint8_t *buf, const uint8_t *inner, uint16_t inner_len, uint32_t w,
		 const struct aves_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(T.pool);
	const struct aves_key *keys[1] = { key };
	struct aves_encap_params p = {
		.key = key,
		.outer_src = w,
		.outer_dst = NGT_R,
		.waypoint = w,
		.flow_hash = 0x1234,
		.dport = AVES_TUNNEL_PORT,
		.type = AVES_TYPE_FORWARD,
	};
	struct aves_h_eth eth = ngt_eth_in(NGT_OUT, &ngt_router_mac);
	uint8_t *data;
	size_t len;

	assert_non_null(m);
	data = (uint8_t *)rte_pktmbuf_append(m, inner_len);
	assert_non_null(data);
	memcpy(data, inner, inner_len);
	assert_int_equal(aves_encap(&T.encap, &T.tstats, m, &p, 0), AVES_ENCAP_OK);
	assert_int_equal(aves_tag_burst(T.auth, &T.tstats, &m, keys, 1), 1);
	memcpy(buf, &eth.dst, 6);
	memcpy(buf + 6, &eth.src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	len = rte_pktmbuf_pkt_len(m);
	assert_true(len + 14 <= NGT_FRAME_MAX);
	memcpy(buf + 14, rte_pktmbuf_mtod(m, const uint8_t *), len);
	rte_pktmbuf_free(m);
	return 14 + len;
}

unsigned int
ngt_fragment(const uint8_t *frame, size_t len, uint16_t chunk, uint8_t frames[][NGT_FRAME_MAX],
	     size_t *lens, unsigned int max)
{
	const uint8_t *ip = frame + 14;
	uint16_t total = get16(ip + 2), payload = (uint16_t)(total - 20), off;
	unsigned int n = 0;

	assert_true(len >= 14u + total);
	assert_int_equal(chunk % 8, 0);
	for (off = 0; off < payload && n < max; off = (uint16_t)(off + chunk), n++) {
		uint16_t part = (uint16_t)RTE_MIN(chunk, payload - off);
		uint8_t *f = frames[n];
		uint8_t *fip = f + 14;

		memcpy(f, frame, 14 + 20);
		memcpy(fip + 20, ip + 20 + off, part);
		put16(fip + 2, (uint16_t)(20 + part));
		put16(fip + 6, (uint16_t)((off + part < payload ? 0x2000 : 0) | off / 8));
		aves_h_ipv4_fix(fip);
		lens[n] = 14u + 20 + part;
	}
	return n;
}

void
ngt_assert_frame(const uint8_t *got, int n, const uint8_t *want, size_t len)
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
ngt_expect(int p, const uint8_t *want, size_t len)
{
	uint8_t got[NGT_FRAME_MAX];

	ngt_assert_frame(got, ngt_take_any(p, got), want, len);
}

struct ngw_session *
ngt_session(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	const struct aves_flow_key k __rte_aligned(8) = {
		.src = src, .dst = dst, .sport = rte_cpu_to_be_16(sport),
		.dport = rte_cpu_to_be_16(dport), .proto = proto,
	};

	return aves_table_lookup(T.app->sessions, &k);
}

struct aves_ctrl_msg
ngt_expect_register(uint32_t pub, uint32_t server)
{
	uint8_t got[NGT_FRAME_MAX];
	int n = ngt_take(NGT_OUT, T.n_workers, got);

	return ngt_register_check(got, n, pub, server);
}

struct aves_ctrl_msg
ngt_register_check(const uint8_t *got, int n, uint32_t pub, uint32_t server)
{
	const struct aves_ctrl_keyset ks = { .keyring = reg_ring,
					     .types = AVES_CTRL_TYPE_BIT(AVES_CTRL_REGISTER),
					     .replay = reg_replay };
	const struct aves_ctrl_rx rx = { .auth = T.auth, .keysets = &ks, .n_keysets = 1,
					 .start_ms = NGT_WALL_US / 1000,
					 .max_skew_ms = AVES_CTRL_MAX_SKEW_MS };
	struct aves_ctrl_msg msg;
	const uint8_t *ip = got + 14, *udp = got + 34;

	assert_int_equal(n, 14 + 20 + 8 + AVES_CTRL_REGISTER_LEN);
	assert_memory_equal(got + 6, &T.mac[NGT_OUT], 6);
	assert_true(aves_h_ipv4_ok(ip));
	assert_int_equal(ip[9], IPPROTO_UDP);
	assert_memory_equal(ip + 12, &pub, 4);
	assert_memory_equal(ip + 16, &server, 4);
	assert_int_equal(get16(udp), AVES_TUNNEL_PORT);
	assert_int_equal(get16(udp + 2), AVES_CTRL_PORT);
	assert_int_equal(aves_ctrl_decode(&rx, udp + 8, AVES_CTRL_REGISTER_LEN, T.wall, &msg),
			 AVES_CTRL_RX_OK);
	assert_int_equal(msg.type, AVES_CTRL_REGISTER);
	assert_int_equal(msg.key_id, 101);
	assert_int_equal(msg.origin, pub);
	assert_int_equal(msg.body.reg.public_addr, pub);
	assert_int_equal(msg.body.reg.tunnel_port, AVES_TUNNEL_PORT);
	assert_int_equal(msg.timestamp_ms, T.wall);
	return msg;
}
