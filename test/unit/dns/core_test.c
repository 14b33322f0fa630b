/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front end end to end without sockets, through the real control codec (lib/aves_ctrl):
 * the test plays the NAT gateway (REGISTER under its own key) and the waypoint (decodes each
 * SETUP with the service key as a waypoint would, answers ACCEPT or REJECT). Covers the SETUP
 * fields in both modes, ACCEPT → the waypoint's address with TTL 0, forged and replayed
 * control messages, registration and its expiry, penalties, per-responder session rate, the
 * error-reply rate, a full pending table, give-up, reload, concurrent delayed-binding
 * lookups (one SETUP per address until its reply), and the batching: SETUPs queued until the
 * flush and tagged in one burst, control messages verified a burst at a time, SETUPs the I/O
 * could not send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include "aves_ctrl.h"
#include "dns_core.h"
#include "dns_test.h"

#define MS 1000ull
#define S 1000000ull
#define WALL0 1700000000000ull /* ms: the test's wall clock at start */
#define MONO0 (1000 * S)
#define GATEWAY 0xcb007101u /* 203.0.113.1 */
#define RESOLVER 0xc6336407u /* 198.51.100.7 */
#define WAYPOINT_ORIGIN 0xc000020au
#define W1 0xc0000264u
#define W2 0xc0000265u

static struct aves_auth_ctx *auth;
static struct aves_key service_key, gateway_key, stranger_key;
static struct aves_keyring *waypoint_ring;
static struct aves_replay *waypoint_replay;
static struct aves_ctrl_keyset waypoint_keyset;
static struct aves_ctrl_rx waypoint_rx;
static struct dns_core *core;
static uint64_t now, wall, waypoint_serial, gateway_serial;

#define IO_MAX 128

static struct {
	struct dns_client client[IO_MAX];
	uint8_t msg[IO_MAX][512];
	size_t len[IO_MAX];
	unsigned int n;
	unsigned int abandoned;
	uint8_t ctrl[IO_MAX][AVES_CTRL_MAX_LEN];
	size_t ctrl_len[IO_MAX];
	struct sockaddr_in ctrl_to[IO_MAX];
	unsigned int n_ctrl;
	unsigned int ctrl_calls;     /* send_control calls */
	unsigned int ctrl_batch[8];  /* messages in each of the first calls */
	uint64_t fail_mask;          /* messages (by index among all handed over) that fail */
	unsigned int n_handed;
} io;

static void
io_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	(void)arg;
	assert_true(io.n < IO_MAX && len <= 512);
	io.client[io.n] = *client;
	memcpy(io.msg[io.n], msg, len);
	io.len[io.n++] = len;
}

static void
io_abandon(void *arg, const struct dns_client *client)
{
	(void)arg;
	(void)client;
	io.abandoned++;
}

/* Keeps what was sent; a message whose bit is set in fail_mask fails (and is not kept). */
static void
io_control(void *arg, struct dns_ctrl_out *out, unsigned int n)
{
	unsigned int i;

	(void)arg;
	assert_true(n >= 1 && n <= DNS_CORE_SETUP_BURST);
	if (io.ctrl_calls < 8)
		io.ctrl_batch[io.ctrl_calls] = n;
	io.ctrl_calls++;
	for (i = 0; i < n; i++) {
		bool fail = io.n_handed < 64 && (io.fail_mask >> io.n_handed & 1);

		io.n_handed++;
		out[i].error = fail ? -EPERM : 0;
		if (fail)
			continue;
		assert_true(io.n_ctrl < IO_MAX && out[i].len <= AVES_CTRL_MAX_LEN);
		memcpy(io.ctrl[io.n_ctrl], out[i].msg, out[i].len);
		io.ctrl_len[io.n_ctrl] = out[i].len;
		io.ctrl_to[io.n_ctrl++] = out[i].to;
	}
}

static const struct dns_core_io core_io = {io_reply, io_abandon, io_control};

static uint32_t
first(void *arg, uint32_t bound)
{
	(void)arg;
	(void)bound;
	return 0;
}

static void
make_key(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[64];
	int n = aves_key_parse_hex(hex, secret, sizeof(secret));

	assert_true(n > 0);
	assert_int_equal(aves_key_init(auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)n), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	auth = aves_auth_ctx_create();
	make_key(&service_key, 1, "00112233445566778899aabbccddeeff");
	make_key(&gateway_key, 101, "0123456789abcdef0123456789abcdef");
	make_key(&stranger_key, 1, "ffeeddccbbaa99887766554433221100");
	waypoint_ring = aves_keyring_create(1);
	aves_keyring_add(waypoint_ring, &service_key);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_keyring_free(waypoint_ring);
	aves_auth_ctx_free(auth);
	return 0;
}

static void
start_core(const char *extra)
{
	char text[4096];
	struct test_errors e = {0};
	struct dns_config *cfg;

	snprintf(text, sizeof(text), "%s%s", TEST_CONF_BASE, extra);
	cfg = test_load_conf(auth, text, &e, NULL);
	if (cfg == NULL)
		fail_msg("%s", e.text);
	memset(&io, 0, sizeof(io));
	now = MONO0;
	wall = WALL0;
	waypoint_serial = WALL0 * 1000;
	gateway_serial = WALL0 * 1000;
	core = dns_core_create(cfg, &(struct dns_core_params){
		.auth = auth, .io = &core_io, .wall_us = wall * 1000, .seed = 1,
		.rnd = first});
	assert_non_null(core);
	waypoint_replay = aves_replay_create(16);
	waypoint_keyset = (struct aves_ctrl_keyset){waypoint_ring,
						    AVES_CTRL_TYPE_BIT(AVES_CTRL_SETUP),
						    waypoint_replay};
	waypoint_rx = (struct aves_ctrl_rx){auth, &waypoint_keyset, 1, 0, AVES_CTRL_MAX_SKEW_MS};
}

static int
teardown(void **state)
{
	(void)state;
	dns_core_free(core);
	aves_replay_free(waypoint_replay);
	core = NULL;
	return 0;
}

/* A round of the server's loop: timers, then what they queued is sent. */
static void
advance(uint64_t us)
{
	now += us;
	wall += us / 1000;
	dns_core_run(core, now, wall);
	dns_core_flush(core, now, wall);
}

static size_t
encode_ctrl(const struct aves_key *key, const struct aves_ctrl_msg *m, uint8_t *buf)
{
	int n = aves_ctrl_encode(auth, key, m, buf, AVES_CTRL_MAX_LEN);

	assert_true(n > 0);
	return (size_t)n;
}

static void
send_ctrl(const struct aves_key *key, struct aves_ctrl_msg *m, uint8_t *buf, size_t *len)
{
	*len = encode_ctrl(key, m, buf);
	dns_core_control(core, buf, *len, now, wall);
	dns_core_flush(core, now, wall);
}

/* An ACCEPT from the waypoint, encoded but not delivered. */
static size_t
make_accept(const struct aves_key *key, uint64_t request, uint32_t w, uint8_t *buf)
{
	struct aves_ctrl_msg m = {.type = AVES_CTRL_ACCEPT, .origin = htonl(WAYPOINT_ORIGIN),
				  .serial = waypoint_serial++, .timestamp_ms = wall,
				  .body.accept = {request, htonl(w), 0}};

	return encode_ctrl(key, &m, buf);
}

static void
do_register(uint32_t public_addr, uint16_t port)
{
	struct aves_ctrl_msg m = {.type = AVES_CTRL_REGISTER, .origin = htonl(GATEWAY),
				  .serial = gateway_serial++, .timestamp_ms = wall,
				  .body.reg = {htonl(public_addr), port}};
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;

	send_ctrl(&gateway_key, &m, buf, &len);
}

static void
reply_ctrl(const struct aves_key *key, uint8_t type, uint64_t request, uint32_t w, uint32_t wait,
	   uint8_t *buf, size_t *len)
{
	struct aves_ctrl_msg m = {.type = type, .origin = htonl(WAYPOINT_ORIGIN),
				  .serial = waypoint_serial++, .timestamp_ms = wall};

	if (type == AVES_CTRL_ACCEPT)
		m.body.accept = (struct aves_ctrl_accept){request, htonl(w), wait};
	else
		m.body.reject = (struct aves_ctrl_reject){request, htonl(w), AVES_CTRL_REASON_ADMISSION};
	send_ctrl(key, &m, buf, len);
}

/* A query, as the server hands one over within a round (nothing is flushed). */
static enum dns_verdict
query_in_round(const char *name, uint16_t qtype, uint32_t from, uint16_t port, bool tcp)
{
	uint8_t q[512];
	size_t n = test_query(q, port, DNS_FLAG_RD, name, qtype, 1, TEST_NO_EDNS, 0);
	struct dns_client c = {.tcp = tcp, .addr = from, .port = port, .local = 0x7f000001};

	return dns_core_query(core, q, n, &c, now, wall);
}

/* A round with one query. */
static void
query(const char *name, uint16_t qtype, uint32_t from, uint16_t port, bool tcp)
{
	query_in_round(name, qtype, from, port, tcp);
	dns_core_flush(core, now, wall);
}

/* Decode SETUP number @p i as a waypoint would (once: a second decode is a replay). */
static struct aves_ctrl_msg
setup_sent(unsigned int i)
{
	static struct aves_ctrl_msg decoded[IO_MAX];
	static uint8_t bytes[IO_MAX][AVES_CTRL_MAX_LEN];
	enum aves_ctrl_verdict v;

	assert_true(i < io.n_ctrl);
	if (memcmp(bytes[i], io.ctrl[i], io.ctrl_len[i]) == 0)
		return decoded[i];
	v = aves_ctrl_decode(&waypoint_rx, io.ctrl[i], io.ctrl_len[i], wall, &decoded[i]);
	if (v != AVES_CTRL_RX_OK)
		fail_msg("SETUP %u does not verify: %s", i, aves_ctrl_verdict_name(v));
	memcpy(bytes[i], io.ctrl[i], io.ctrl_len[i]);
	assert_int_equal(decoded[i].type, AVES_CTRL_SETUP);
	return decoded[i];
}

static unsigned int
rcode(unsigned int i)
{
	return io.msg[i][3] & 0x0f;
}

static void
test_unregistered_servfail(void **state)
{
	(void)state;
	start_core("");
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	assert_int_equal(io.n, 1);
	assert_int_equal(rcode(0), DNS_RCODE_SERVFAIL);
	assert_int_equal(io.n_ctrl, 0);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SERVFAIL_UNREGISTERED], 1);
}

static void
test_delayed_binding_setup_and_accept(void **state)
{
	const uint8_t answer[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 100};
	struct aves_ctrl_msg s;
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;

	(void)state;
	start_core("");
	do_register(GATEWAY, 4797);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_REGISTER_OK], 1);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 0x1234, false);
	assert_int_equal(io.n, 0); /* held */
	assert_int_equal(io.n_ctrl, 1);
	assert_int_equal(ntohl(io.ctrl_to[0].sin_addr.s_addr), 0xc000020a);
	assert_int_equal(ntohs(io.ctrl_to[0].sin_port), 14797);
	s = setup_sent(0);
	assert_int_equal(s.key_id, 1);
	assert_int_equal(ntohl(s.origin), 0xc0000235); /* control.address */
	assert_true(s.serial >= WALL0 * 1000);
	assert_int_equal(s.timestamp_ms, wall);
	assert_int_equal(s.body.setup.mode, AVES_CTRL_MODE_DELAYED);
	assert_int_equal(ntohl(s.body.setup.initiator), RESOLVER);
	assert_int_equal(ntohl(s.body.setup.waypoint), W1);
	assert_int_equal(ntohl(s.body.setup.gateway), GATEWAY);
	assert_int_equal(ntohl(s.body.setup.responder), 0x0a000002);
	assert_int_equal(s.body.setup.gw_port, 4797);
	assert_int_equal(s.body.setup.gw_key_id, 101);

	advance(3 * MS);
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, s.serial, W1, 2000, buf, &len);
	assert_int_equal(io.n, 1);
	assert_int_equal(io.client[0].addr, RESOLVER);
	assert_int_equal(io.msg[0][0], 0x12);
	assert_int_equal(io.msg[0][1], 0x34);
	assert_int_equal(rcode(0), DNS_RCODE_NOERROR);
	assert_int_equal(io.msg[0][7], 1);
	assert_memory_equal(io.msg[0] + io.len[0] - sizeof(answer), answer, sizeof(answer));
	assert_int_equal(dns_core_stats(core)->rtt_count, 1);
	assert_int_equal(dns_core_stats(core)->rtt_min_us, 3 * MS);
	/* The same ACCEPT again is a replay: no second answer. */
	dns_core_control(core, buf, len, now, wall);
	assert_int_equal(io.n, 1);
	assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_REPLAY], 1);
	/* W1 waits for its initiator (Twait 2 s): the next lookup goes to W2. */
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 1, 7, false);
	assert_int_equal(ntohl(setup_sent(1).body.setup.waypoint), W2);
}

/*
 * The bench's collapse: concurrent delayed-binding lookups through the real codec. Each SETUP
 * holds its address, so none is sent where the waypoint would ignore it; a REJECT frees the
 * address for a lookup waiting for one; and a silence after the appliance has answered does
 * not mark it down, even with a threshold of one.
 */
static void
test_concurrent_delayed_lookups(void **state)
{
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;
	unsigned int i;

	(void)state;
	start_core("waypoint-fail-threshold = 1;\n");
	do_register(GATEWAY, 4797);
	for (i = 0; i < 4; i++)
		query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + i, (uint16_t)(10 + i),
		      false);
	assert_int_equal(io.n_ctrl, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(ntohl(setup_sent(i).body.setup.waypoint), W1 + i);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD_WAYPOINT_BUSY], 1);

	advance(3 * MS);
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, setup_sent(0).serial, W1, 2000, buf, &len);
	assert_int_equal(io.n, 1);
	reply_ctrl(&service_key, AVES_CTRL_REJECT, setup_sent(1).serial, W2, 0, buf, &len);
	advance(0);
	assert_int_equal(io.n_ctrl, 4);
	assert_int_equal(ntohl(setup_sent(3).body.setup.waypoint), W2);
	assert_int_equal(ntohl(setup_sent(3).body.setup.initiator), RESOLVER + 3);
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, setup_sent(3).serial, W2, 2000, buf, &len);
	assert_int_equal(io.n, 2);

	/* W3 stays silent (a wait another front end started): not the appliance's fault. */
	advance(697 * MS);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_TIMEOUT], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_TIMEOUT_EXCUSED], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_WAYPOINT_DOWN], 0);
}

static void
test_intranet_mode(void **state)
{
	struct aves_ctrl_msg s;

	(void)state;
	start_core("local-prefixes = [ \"10.9.0.0/16\" ];\n");
	do_register(GATEWAY, 5000);
	query("web.home1.avesnet.test", DNS_TYPE_A, 0x0a090005, 9, false);
	s = setup_sent(0);
	assert_int_equal(s.body.setup.mode, AVES_CTRL_MODE_INTRANET);
	assert_int_equal(ntohl(s.body.setup.initiator), 0x0a090005);
	assert_int_equal(s.body.setup.gw_port, 5000);
	query("web.home1.avesnet.test", DNS_TYPE_A, 0x0a0a0005, 9, false);
	assert_int_equal(setup_sent(1).body.setup.mode, AVES_CTRL_MODE_DELAYED);
}

static void
test_forged_accepts_ignored(void **state)
{
	struct aves_ctrl_msg s;
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;

	(void)state;
	start_core("");
	do_register(GATEWAY, 4797);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	s = setup_sent(0);
	/* Signed with another secret under the service key's id. */
	reply_ctrl(&stranger_key, AVES_CTRL_ACCEPT, s.serial, W1, 0, buf, &len);
	assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_BAD_TAG], 1);
	/* Signed with a gateway's key: not a key ACCEPTs may use. */
	reply_ctrl(&gateway_key, AVES_CTRL_ACCEPT, s.serial, W1, 0, buf, &len);
	assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_UNKNOWN_KEY], 1);
	/* A genuine ACCEPT with one bit flipped. */
	{
		struct aves_ctrl_msg m = {.type = AVES_CTRL_ACCEPT, .origin = htonl(WAYPOINT_ORIGIN),
					  .serial = waypoint_serial++, .timestamp_ms = wall,
					  .body.accept = {s.serial, htonl(W1), 0}};
		int n = aves_ctrl_encode(auth, &service_key, &m, buf, sizeof(buf));

		buf[40] ^= 1;
		dns_core_control(core, buf, (size_t)n, now, wall);
		assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_BAD_TAG], 2);
	}
	/* A genuine ACCEPT for a serial never sent, and one naming another waypoint. */
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, s.serial + 100, W1, 0, buf, &len);
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, s.serial, W2, 0, buf, &len);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_REPLY_UNKNOWN], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_REPLY_MISMATCH], 1);
	/* A REGISTER signed with the service key (wrong role). */
	{
		struct aves_ctrl_msg m = {.type = AVES_CTRL_REGISTER, .origin = htonl(GATEWAY),
					  .serial = gateway_serial++, .timestamp_ms = wall,
					  .body.reg = {htonl(0x08080808), 4797}};

		send_ctrl(&service_key, &m, buf, &len);
		assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_UNKNOWN_KEY], 2);
	}
	/* Garbage. */
	dns_core_control(core, (const uint8_t *)"hello", 5, now, wall);
	assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_TOO_SHORT], 1);
	assert_int_equal(io.n, 0);
	/* The real ACCEPT still answers. */
	reply_ctrl(&service_key, AVES_CTRL_ACCEPT, s.serial, W1, 0, buf, &len);
	assert_int_equal(io.n, 1);
	assert_int_equal(ntohl(setup_sent(0).body.setup.gateway), GATEWAY);
}

static void
test_reject_then_timeout_then_give_up(void **state)
{
	struct aves_ctrl_msg s;
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;

	(void)state;
	start_core("");
	do_register(GATEWAY, 4797);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, true);
	s = setup_sent(0);
	reply_ctrl(&service_key, AVES_CTRL_REJECT, s.serial, W1, 0, buf, &len);
	assert_int_equal(io.n_ctrl, 2);
	assert_int_equal(ntohl(setup_sent(1).body.setup.waypoint), W2);
	assert_true(setup_sent(1).serial > s.serial);
	assert_int_equal(dns_core_stats(core)->reject_reason[AVES_CTRL_REASON_ADMISSION], 1);
	advance(699 * MS);
	assert_int_equal(io.n_ctrl, 2);
	advance(1 * MS);
	assert_int_equal(io.n_ctrl, 3);
	assert_int_equal(dns_core_next_event(core), now + 700 * MS);
	advance(700 * MS);
	advance(1599 * MS);
	assert_int_equal(io.abandoned, 0);
	advance(1 * MS); /* 3 s after the query */
	assert_int_equal(io.abandoned, 1);
	assert_int_equal(io.n, 0);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD_GAVE_UP], 1);
}

static void
test_registration_expires(void **state)
{
	(void)state;
	start_core("registration-lifetime = 60;\n");
	do_register(GATEWAY, 4797);
	advance(59 * S);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	assert_int_equal(io.n_ctrl, 1);
	advance(1 * S);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 1, 2, false);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SERVFAIL_UNREGISTERED], 1);
	assert_int_equal(rcode(io.n - 1), DNS_RCODE_SERVFAIL);
	/* A new REGISTER brings it back; an address change is counted. */
	do_register(GATEWAY + 1, 4797);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_REGISTER_CHANGED], 1);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 2, 3, false);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD], 2);
	assert_int_equal(ntohl(setup_sent(io.n_ctrl - 1).body.setup.gateway), GATEWAY + 1);
	/* A loopback address is refused even when signed. */
	do_register(0x7f000001, 4797);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_REGISTER_BAD], 1);
}

static void
test_stale_register(void **state)
{
	struct aves_ctrl_msg m;
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;

	(void)state;
	start_core("");
	advance(60 * S);
	m = (struct aves_ctrl_msg){.type = AVES_CTRL_REGISTER, .origin = htonl(GATEWAY),
				   .serial = gateway_serial++, .timestamp_ms = wall - 31000,
				   .body.reg = {htonl(GATEWAY), 4797}};
	send_ctrl(&gateway_key, &m, buf, &len);
	assert_int_equal(dns_core_stats(core)->ctrl_reason[AVES_CTRL_RX_STALE], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_REGISTER_OK], 0);
}

static void
test_scanner_penalised(void **state)
{
	(void)state;
	start_core("");
	query("nope.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	assert_int_equal(io.n, 1);
	assert_int_equal(rcode(0), DNS_RCODE_NXDOMAIN);
	query("avesnet.test", DNS_TYPE_SOA, RESOLVER, 2, false);
	assert_int_equal(io.n, 1); /* dropped */
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_DROP_PENALISED], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_PENALTY_STARTED], 1);
	query("avesnet.test", DNS_TYPE_SOA, RESOLVER + 1, 3, false);
	assert_int_equal(io.n, 2);
	advance(600 * S);
	query("avesnet.test", DNS_TYPE_SOA, RESOLVER, 4, false);
	assert_int_equal(io.n, 3);
}

static void
test_session_rate(void **state)
{
	(void)state;
	start_core("session-rate = 1;\nsession-burst = 2;\nwaypoint-fail-threshold = 100;\n");
	do_register(GATEWAY, 4797);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 1, 2, false);
	/* A retransmission is not a new session. */
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 5, false);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD_COALESCED], 1);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 2, 3, false);
	assert_int_equal(io.n_ctrl, 2);
	assert_int_equal(io.n, 0);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_DROP_SESSION_RATE], 1);
	/* Another responder has its own budget. */
	query("x.deep.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 2, 3, false);
	assert_int_equal(io.n_ctrl, 3);
	/* One more after a second (the rate), while the held ones time out and retry. */
	advance(1 * S);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 3, 4, false);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_HELD], 4);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_DROP_SESSION_RATE], 1);
}

static void
test_error_rate(void **state)
{
	(void)state;
	start_core("error-rate = 1;\nerror-burst = 2;\n");
	query("example.com", DNS_TYPE_A, RESOLVER, 1, false);
	query("example.com", DNS_TYPE_A, RESOLVER, 2, false);
	query("example.com", DNS_TYPE_A, RESOLVER, 3, false);
	assert_int_equal(io.n, 2);
	assert_int_equal(rcode(0), DNS_RCODE_REFUSED);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_DROP_ERROR_RATE], 1);
	/* Over TCP the source is real: not limited. Positive answers are never limited. */
	query("example.com", DNS_TYPE_A, RESOLVER, 4, true);
	query("avesnet.test", DNS_TYPE_SOA, RESOLVER, 5, false);
	assert_int_equal(io.n, 4);
}

static void
test_pending_full(void **state)
{
	(void)state;
	start_core("pending-max = 1;\n");
	do_register(GATEWAY, 4797);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 1, 2, false);
	assert_int_equal(io.n_ctrl, 1);
	assert_int_equal(io.n, 1);
	assert_int_equal(rcode(0), DNS_RCODE_SERVFAIL);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SERVFAIL_PENDING_FULL], 1);
}

static void
test_reload(void **state)
{
	struct dns_config *next;
	char text[4096];

	(void)state;
	start_core("");
	do_register(GATEWAY, 4797);
	/* A restart-only change is refused and changes nothing. */
	snprintf(text, sizeof(text), "%s%s", TEST_CONF_BASE, "pending-max = 5;\n");
	next = test_load_conf(auth, text, NULL, NULL);
	assert_string_equal(dns_core_reload(core, next), "pending-max");
	dns_config_free(next);
	/* Anything else is applied; the gateway's registration survives. */
	snprintf(text, sizeof(text), "%s%s", TEST_CONF_BASE, "setup-timeout = 100;\n");
	next = test_load_conf(auth, text, NULL, NULL);
	assert_null(dns_core_reload(core, next));
	assert_int_equal(dns_core_config(core)->s.setup_timeout, 100);
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER, 1, false);
	assert_int_equal(io.n_ctrl, 1);
	advance(100 * MS);
	assert_int_equal(io.n_ctrl, 2);
}

static void
test_stats_text(void **state)
{
	char text[8192];

	(void)state;
	start_core("");
	query("nope.avesnet.test", DNS_TYPE_AAAA, RESOLVER, 1, false);
	{
		uint8_t junk[5] = {1, 2, 3, 4, 5};
		struct dns_client c = {.addr = RESOLVER + 1};

		dns_core_query(core, junk, sizeof(junk), &c, now, wall);
	}
	dns_core_format_stats(core, now, text, sizeof(text));
	assert_non_null(strstr(text, "queries: udp=2 tcp=0 a=0 aaaa=1 "));
	assert_non_null(strstr(text, " nxdomain=1 "));
	assert_non_null(strstr(text, "\nmalformed: short_header=1\n"));
	assert_non_null(strstr(text, "\nstate: held=0 penalised=1 gateways_registered=0/1"));
}

#define INTRANET "local-prefixes = [ \"10.9.0.0/16\" ];\n"
#define A_HOST(i) (0x0a090001u + (i)) /* intranet requesters */

/* The SETUPs of a round leave together at its flush, tagged in one burst, in query order. */
static void
test_setups_flushed_in_one_burst(void **state)
{
	unsigned int i;

	(void)state;
	start_core(INTRANET);
	do_register(GATEWAY, 4797);
	for (i = 0; i < 3; i++)
		assert_int_equal(query_in_round(i % 2 ? "x.deep.home1.avesnet.test"
						      : "web.home1.avesnet.test",
						DNS_TYPE_A, A_HOST(i), (uint16_t)i, false),
				 DNS_VERDICT_HOLD);
	assert_int_equal(io.n_ctrl, 0);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_SENT], 0);
	dns_core_flush(core, now, wall);
	assert_int_equal(io.ctrl_calls, 1);
	assert_int_equal(io.ctrl_batch[0], 3);
	for (i = 0; i < 3; i++) {
		struct aves_ctrl_msg m = setup_sent(i);

		assert_int_equal(ntohl(m.body.setup.initiator), A_HOST(i));
		assert_int_equal(ntohl(m.body.setup.responder), i % 2 ? 0x0a000003 : 0x0a000002);
		assert_int_equal(m.body.setup.mode, AVES_CTRL_MODE_INTRANET);
		assert_int_equal(ntohl(io.ctrl_to[i].sin_addr.s_addr), 0xc000020a);
		if (i > 0)
			assert_int_equal(m.serial, setup_sent(i - 1).serial + 1);
	}
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_SENT], 3);
	/* Nothing queued: a flush hands nothing over. */
	dns_core_flush(core, now, wall);
	assert_int_equal(io.ctrl_calls, 1);
}

/* More SETUPs in a round than one burst holds: the full queue goes at once, the rest at the
 * flush; none is lost or reordered. */
static void
test_setup_queue_fills(void **state)
{
	const unsigned int n = DNS_CORE_SETUP_BURST + 6;
	unsigned int i;

	(void)state;
	start_core(INTRANET "session-rate = 1000;\nsession-burst = 1000;\n");
	do_register(GATEWAY, 4797);
	for (i = 0; i < n; i++)
		query_in_round("web.home1.avesnet.test", DNS_TYPE_A, A_HOST(i), 1, false);
	assert_int_equal(io.ctrl_calls, 1);
	assert_int_equal(io.ctrl_batch[0], DNS_CORE_SETUP_BURST);
	dns_core_flush(core, now, wall);
	assert_int_equal(io.ctrl_calls, 2);
	assert_int_equal(io.ctrl_batch[1], 6);
	assert_int_equal(io.n_ctrl, n);
	for (i = 0; i < n; i++)
		assert_int_equal(ntohl(setup_sent(i).body.setup.initiator), A_HOST(i));
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_SENT], n);
}

/*
 * One SETUP of a batch fails to send: counted, the others still go, and its query moves on to
 * another address within the same flush; every lookup is answered.
 */
static void
test_send_error_in_a_batch(void **state)
{
	uint8_t buf[AVES_CTRL_MAX_LEN];
	size_t len;
	unsigned int i;

	(void)state;
	start_core(INTRANET);
	do_register(GATEWAY, 4797);
	io.fail_mask = 1u << 1;
	for (i = 0; i < 3; i++)
		query_in_round("web.home1.avesnet.test", DNS_TYPE_A, A_HOST(i), 1, false);
	dns_core_flush(core, now, wall);
	assert_int_equal(io.ctrl_calls, 2);
	assert_int_equal(io.ctrl_batch[0], 3);
	assert_int_equal(io.ctrl_batch[1], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_SEND_ERROR], 1);
	assert_int_equal(dns_core_stats(core)->c[DNS_CTR_SETUP_SENT], 3);
	/* Intranet SETUPs hold nothing: all go to W1, the retry to W2. */
	assert_int_equal(ntohl(setup_sent(0).body.setup.initiator), A_HOST(0));
	assert_int_equal(ntohl(setup_sent(1).body.setup.initiator), A_HOST(2));
	assert_int_equal(ntohl(setup_sent(2).body.setup.initiator), A_HOST(1));
	assert_int_equal(ntohl(setup_sent(1).body.setup.waypoint), W1);
	assert_int_equal(ntohl(setup_sent(2).body.setup.waypoint), W2);
	for (i = 0; i < 3; i++)
		reply_ctrl(&service_key, AVES_CTRL_ACCEPT, setup_sent(i).serial,
			   ntohl(setup_sent(i).body.setup.waypoint), 0, buf, &len);
	assert_int_equal(io.n, 3);
	assert_int_equal(io.client[2].addr, A_HOST(1));
	assert_int_equal(io.msg[2][io.len[2] - 1], 101); /* 192.0.2.101 */
}

/*
 * No SETUP of a query can be sent, to any address: SERVFAIL, as when no waypoint is usable,
 * the question and EDNS (DO bit) echoed, AA cleared; the query is no longer held.
 */
static void
test_every_send_fails(void **state)
{
	const uint8_t want[] = {
		0x42, 0x42, 0x81, 0x02, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'e', 'b', 5, 'h', 'o', 'm', 'e', '1',
		7, 'a', 'v', 'e', 's', 'n', 'e', 't', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0,
	};
	struct dns_client c = {.addr = RESOLVER, .port = 5353, .local = 0x7f000001};
	const struct dns_stats *st;
	char text[8192];
	uint8_t q[512];
	size_t n = test_query(q, 0x4242, DNS_FLAG_RD, "web.home1.avesnet.test", DNS_TYPE_A, 1,
			      4096, DNS_EDNS_DO);

	(void)state;
	start_core("");
	do_register(GATEWAY, 4797);
	st = dns_core_stats(core);
	io.fail_mask = 0x7;
	assert_int_equal(dns_core_query(core, q, n, &c, now, wall), DNS_VERDICT_HOLD);
	dns_core_flush(core, now, wall);
	assert_int_equal(io.ctrl_calls, 3); /* W1, then W2, then W3, each failing */
	assert_int_equal(io.n_ctrl, 0);
	assert_int_equal(st->c[DNS_CTR_SETUP_SEND_ERROR], 3);
	assert_int_equal(io.n, 1);
	assert_int_equal(io.client[0].addr, RESOLVER);
	assert_bytes(io.msg[0], io.len[0], want, sizeof(want));
	assert_int_equal(st->c[DNS_CTR_SERVFAIL_NO_WAYPOINT], 1);
	assert_int_equal(st->c[DNS_CTR_REPLY_SERVFAIL], 1);
	assert_int_equal(st->c[DNS_CTR_HELD_GAVE_UP], 0);
	dns_core_format_stats(core, now, text, sizeof(text));
	assert_non_null(strstr(text, "\nstate: held=0 "));
	/* The addresses are free again: the next lookup's SETUP goes to W1. */
	query("web.home1.avesnet.test", DNS_TYPE_A, RESOLVER + 1, 9, false);
	assert_int_equal(ntohl(setup_sent(0).body.setup.waypoint), W1);
}

/*
 * Control messages of one read, verified in one burst: the same outcome as one after another,
 * in arrival order (a replay within the burst is refused, a forgery is dropped, the answers go
 * out in the order of their ACCEPTs).
 */
static void
test_control_burst(void **state)
{
	uint8_t bufs[5][AVES_CTRL_MAX_LEN];
	struct aves_ctrl_dgram in[5];
	const struct dns_stats *st;
	struct aves_ctrl_msg reg = {.type = AVES_CTRL_REGISTER, .origin = htonl(GATEWAY),
				    .body.reg = {htonl(GATEWAY + 1), 4797}};
	uint64_t received;

	(void)state;
	start_core(INTRANET);
	do_register(GATEWAY, 4797);
	st = dns_core_stats(core);
	query("web.home1.avesnet.test", DNS_TYPE_A, A_HOST(0), 1, false);
	query("x.deep.home1.avesnet.test", DNS_TYPE_A, A_HOST(1), 2, false);
	in[0] = (struct aves_ctrl_dgram){bufs[0], make_accept(&service_key, setup_sent(1).serial, W1,
							      bufs[0])};
	in[1] = in[0];
	in[2] = (struct aves_ctrl_dgram){bufs[2], make_accept(&stranger_key, setup_sent(0).serial,
							      W1, bufs[2])};
	in[3] = (struct aves_ctrl_dgram){bufs[3], make_accept(&service_key, setup_sent(0).serial, W1,
							      bufs[3])};
	reg.serial = gateway_serial++;
	reg.timestamp_ms = wall;
	in[4] = (struct aves_ctrl_dgram){bufs[4], encode_ctrl(&gateway_key, &reg, bufs[4])};
	received = st->c[DNS_CTR_CTRL_RECEIVED];
	dns_core_control_burst(core, in, 5, now, wall);
	assert_int_equal(st->c[DNS_CTR_CTRL_RECEIVED], received + 5);
	assert_int_equal(st->ctrl_reason[AVES_CTRL_RX_REPLAY], 1);
	assert_int_equal(st->ctrl_reason[AVES_CTRL_RX_BAD_TAG], 1);
	assert_int_equal(st->c[DNS_CTR_CTRL_INVALID], 2);
	assert_int_equal(io.n, 2);
	assert_int_equal(io.client[0].addr, A_HOST(1));
	assert_int_equal(io.client[1].addr, A_HOST(0));
	assert_int_equal(st->c[DNS_CTR_REGISTER_CHANGED], 1);
	assert_int_equal(st->c[DNS_CTR_REGISTER_OK], 2);
	/* A burst of none changes nothing. */
	dns_core_control_burst(core, in, 0, now, wall);
	assert_int_equal(st->c[DNS_CTR_CTRL_RECEIVED], received + 5);
}

/* A reload sends the SETUPs queued before it under the old configuration's key. */
static void
test_reload_sends_queued_setups_first(void **state)
{
	static const char old_key[] = "{ id = 1; secret = \"0011";
	struct dns_config *next;
	char text[4096];
	char *k;

	(void)state;
	start_core(INTRANET);
	do_register(GATEWAY, 4797);
	query_in_round("web.home1.avesnet.test", DNS_TYPE_A, A_HOST(0), 1, false);
	assert_int_equal(io.n_ctrl, 0);
	snprintf(text, sizeof(text), "%s%s", TEST_CONF_BASE, INTRANET);
	k = strstr(text, old_key);
	assert_non_null(k);
	k[7] = '2'; /* the service key's id: 2 from now on */
	next = test_load_conf(auth, text, NULL, NULL);
	assert_non_null(next);
	assert_null(dns_core_reload(core, next));
	assert_int_equal(io.n_ctrl, 1);
	assert_int_equal(ntohl(setup_sent(0).body.setup.initiator), A_HOST(0));
	assert_int_equal(setup_sent(0).key_id, 1);
	query("web.home1.avesnet.test", DNS_TYPE_A, A_HOST(1), 1, false);
	assert_int_equal(io.n_ctrl, 2);
	assert_int_equal(io.ctrl[1][11], 2); /* key id, offset 8, big-endian */
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unregistered_servfail),
		T(test_delayed_binding_setup_and_accept),
		T(test_concurrent_delayed_lookups),
		T(test_intranet_mode),
		T(test_forged_accepts_ignored),
		T(test_reject_then_timeout_then_give_up),
		T(test_registration_expires),
		T(test_stale_register),
		T(test_scanner_penalised),
		T(test_session_rate),
		T(test_error_rate),
		T(test_pending_full),
		T(test_reload),
		T(test_stats_text),
		T(test_setups_flushed_in_one_burst),
		T(test_setup_queue_fills),
		T(test_send_error_in_a_batch),
		T(test_every_send_fails),
		T(test_control_burst),
		T(test_reload_sends_queued_setups_first),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
