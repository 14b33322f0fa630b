/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-dns-bench: TSC cycles per operation of aves-dns, next to the AVES paper's figures
 * (§5.4: 142,000 cycles from a query to the SETUP, 17,900 from the ACCEPT to the answer,
 * "including socket reads and writes", on a 400 MHz DNS host).
 *
 * The same code is driven two ways:
 * - daemon: aves-dns's own event loop (dns/dns_server.c) with its sockets on loopback
 *   addresses. A client socket sends the queries and a scripted waypoint socket answers each
 *   SETUP with an ACCEPT, both outside the timed part; what is timed is the loop's rounds
 *   (dns_server_poll(): epoll_wait, the recvmmsg of the datagrams, the core, and at the end of
 *   the round the sendmmsg of the SETUPs or of the answers, a sendto when there is one).
 * - core: the functions those rounds call, with in-memory I/O: aves-dns's own work without the
 *   system calls. dns_core_query() per query, then dns_core_flush() (the SETUPs tagged in one
 *   burst and handed to the I/O); dns_core_control_burst() with the ACCEPTs (and a flush, as
 *   the round ends with one). Time is a parameter here, so delayed binding (an address busy
 *   for Twait after its ACCEPT) runs without waiting.
 *
 * Burst 1: one lookup at a time. Burst 64: 64 queries are read in one round (the loop reads up
 * to 64 datagrams per socket and readiness), then their 64 ACCEPTs. Figures are cycles per
 * lookup: a call made once for the burst (the flush, the ACCEPTs' burst, a round) is shared
 * equally among its lookups.
 * The waypoint choice is arc4random_uniform(), as in dns/dns_main.c.
 *
 * Usage: aves-dns-bench [--quick] [--csv FILE]
 * Rows are appended to FILE (or to $AVES_BENCH_CSV), with the header if the file is empty.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <x86intrin.h>

#include "aves_ctrl.h"
#include "dns_core.h"
#include "dns_server.h"

/* The paper's figures (BRIEF.md §4), printed beside ours. */
#define PAPER_QUERY_CYCLES 142000.0  /* query -> SETUP sent, 400 MHz DNS host */
#define PAPER_ACCEPT_CYCLES 17900.0  /* ACCEPT -> answer sent */
#define PAPER_LOOKUP_CYCLES 159900.0 /* the two together: aves-dns per bound lookup */

#define N_WAYPOINTS 50u /* the paper's 50 waypoint addresses */
#define N_HOSTS 1000u   /* names asked in turn, so no two held queries coalesce */
#define BURST_MAX 64u   /* dns_server.c reads at most 64 datagrams per socket and round */
#define TWAIT_MS 2000u  /* the waypoint's wait state, as its ACCEPT announces it */
#define POLLS_MAX 1000u /* rounds allowed for one step before the case is failed */

/* Loopback addresses and ports of their own, so the bench can run beside test/dns/run.sh. */
#define DNS_ADDR "127.77.0.1"
#define DNS_PORT 25353
#define CTRL_PORT 24796
#define WAYPOINT_ADDR "127.77.0.30"
#define WAYPOINT_PORT 24797
#define INITIATOR_ADDR "127.77.0.11" /* inside local-prefixes: intranet mode */
#define RESOLVER 0xc6336435u          /* 198.51.100.53, outside them: delayed binding */
#define GATEWAY 0xc6336414u           /* 198.51.100.20 */
#define FIRST_W 0xc0000264u           /* 192.0.2.100 */

static const char service_hex[] = "00112233445566778899aabbccddeeff";
static const char gateway_hex[] = "0123456789abcdef0123456789abcdef";

enum drive { DRIVE_DAEMON, DRIVE_CORE };

struct bench_case {
	enum drive drive;
	enum dns_setup_mode mode;
	unsigned int burst;
};

/* Per-lookup samples of one case, in TSC cycles. */
struct samples {
	uint64_t *query;  /* query arrival -> SETUP sent */
	uint64_t *accept; /* ACCEPT arrival -> answer sent */
	uint64_t *lookup; /* the whole work of both */
	unsigned int n;
};

/* What the core handed to its I/O (core drive), in order. */
struct captured {
	size_t len;
	uint8_t msg[DNS_HELD_REPLY_MAX];
};

static struct {
	bool quick;
	FILE *csv;
	double hz;
	char conf_path[64];
	struct aves_auth_ctx *auth;
	struct aves_key service_key, gateway_key;
	/* The scripted waypoint: verifies each SETUP as a waypoint does, and ACCEPTs it. */
	struct aves_keyring *waypoint_ring;
	struct aves_replay *waypoint_replay;
	struct aves_ctrl_keyset waypoint_keyset;
	struct aves_ctrl_rx waypoint_rx;
	uint64_t waypoint_serial, gateway_serial;
	/* Core drive: simulated clocks and the captured messages. */
	uint64_t now_us, wall_ms;
	struct captured setups[BURST_MAX], replies[BURST_MAX];
	unsigned int n_setups, n_replies, n_abandoned;
} D;

static inline uint64_t
tsc(void)
{
	return __rdtsc();
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* TSC ticks per second against CLOCK_MONOTONIC (aves-dns does not link DPDK's rte_get_tsc_hz). */
static double
tsc_hz(void)
{
	struct timespec a, b, pause = { 0, 50 * 1000 * 1000 };
	uint64_t c0, c1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	c0 = tsc();
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	c1 = tsc();
	return (double)(c1 - c0) /
	       ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

static uint32_t
random_below(void *arg, uint32_t bound)
{
	(void)arg;
	return arc4random_uniform(bound);
}

/* ---------------------------------------------------------------------------------------- */
/* Configuration, keys, messages                                                             */
/* ---------------------------------------------------------------------------------------- */

/* The zone: one subscriber with N_HOSTS names, and one waypoint appliance with N_WAYPOINTS
 * addresses. The per-responder session limit is lifted: it is not what is measured. */
static int
write_conf(void)
{
	int fd;
	FILE *f;
	unsigned int i;

	strcpy(D.conf_path, "/tmp/aves-dns-bench-XXXXXX");
	fd = mkstemp(D.conf_path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(f,
		"listen = [ \"" DNS_ADDR "\" ];\nport = %d;\n"
		"control = { address = \"" DNS_ADDR "\"; port = %d; };\n"
		"zone = { name = \"avesnet.test\"; ns = ( { name = \"ns1\"; address = \"192.0.2.53\"; } ); };\n"
		"service-keys = ( { id = 1; secret = \"%s\"; } );\n"
		"local-prefixes = [ \"127.77.0.0/24\" ];\n"
		"registration-lifetime = 86400;\nsession-rate = 1000000;\nsession-burst = 1000000;\n"
		"waypoints = ( { address = \"" WAYPOINT_ADDR "\"; port = %d; addresses = [ ",
		DNS_PORT, CTRL_PORT, service_hex, WAYPOINT_PORT);
	for (i = 0; i < N_WAYPOINTS; i++)
		fprintf(f, "%s\"192.0.2.%u\"", i ? ", " : "", (FIRST_W & 0xff) + i);
	fprintf(f, " ]; } );\nsubscribers = ( { name = \"bench\"; keys = ( { id = 101; "
		   "secret = \"%s\"; } );\n  hosts = (", gateway_hex);
	for (i = 0; i < N_HOSTS; i++)
		fprintf(f, "%s { name = \"h%u\"; address = \"10.0.%u.%u\"; }", i ? "," : "", i,
			i / 250, 2 + i % 250);
	fprintf(f, " ); } );\n");
	return fclose(f) == 0 ? 0 : -1;
}

static void
print_conf_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "aves-dns-bench: %s\n", message);
}

static int
key_from_hex(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[AVES_KEY_MAX_LEN];
	int len = aves_key_parse_hex(hex, secret, sizeof(secret));

	return len < 0 ? -1 : aves_key_init(D.auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)len);
}

/* A query as a stub sends it: header, one question for A, no EDNS. */
static size_t
make_query(uint8_t *q, uint16_t id, unsigned int host)
{
	char label[16];
	size_t n = 12;
	int l = snprintf(label, sizeof(label), "h%u", host);

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	q[n++] = (uint8_t)l;
	memcpy(q + n, label, (size_t)l);
	n += (size_t)l;
	memcpy(q + n, "\x05" "bench" "\x07" "avesnet" "\x04" "test", 19);
	n += 19;
	memcpy(q + n, "\0\0\1\0\1", 5); /* root, QTYPE A, QCLASS IN */
	return n + 5;
}

/* The REGISTER of the subscriber's gateway, stamped @p ts. */
static int
make_register(uint8_t *buf, uint64_t ts)
{
	struct aves_ctrl_msg m = {
		.type = AVES_CTRL_REGISTER, .origin = htonl(GATEWAY), .serial = D.gateway_serial++,
		.timestamp_ms = ts, .body.reg = { htonl(GATEWAY), 4797 },
	};

	return aves_ctrl_encode(D.auth, &D.gateway_key, &m, buf, AVES_CTRL_MAX_LEN);
}

/*
 * The scripted waypoint: verify a SETUP (mode and initiator as expected) and build its
 * ACCEPT, stamped @p ts, announcing Twait in delayed binding. Returns the ACCEPT's length,
 * or -1 with the reason on stderr. @p w receives the SETUP's waypoint address (host order).
 */
static int
answer_setup(const uint8_t *setup, size_t len, enum dns_setup_mode mode, uint32_t initiator,
	     uint64_t ts, uint8_t *out, uint32_t *w)
{
	struct aves_ctrl_msg s, a;
	enum aves_ctrl_verdict v = aves_ctrl_decode(&D.waypoint_rx, setup, len, ts, &s);

	if (v != AVES_CTRL_RX_OK || s.type != AVES_CTRL_SETUP || s.body.setup.mode != mode ||
	    ntohl(s.body.setup.initiator) != initiator) {
		fprintf(stderr, "aves-dns-bench: unexpected SETUP (%s, mode %u)\n",
			aves_ctrl_verdict_name(v), s.body.setup.mode);
		return -1;
	}
	*w = ntohl(s.body.setup.waypoint);
	a = (struct aves_ctrl_msg){
		.type = AVES_CTRL_ACCEPT, .origin = inet_addr(WAYPOINT_ADDR),
		.serial = D.waypoint_serial++, .timestamp_ms = ts,
		.body.accept = { s.serial, s.body.setup.waypoint,
				 mode == DNS_MODE_DELAYED ? TWAIT_MS : 0 },
	};
	return aves_ctrl_encode(D.auth, &D.service_key, &a, out, AVES_CTRL_MAX_LEN);
}

/* The answer carries W with TTL 0: NOERROR, one A record, W in its last four bytes. */
static bool
answer_ok(const uint8_t *msg, size_t len, uint32_t w)
{
	return len >= 12 + 16 && (msg[3] & 0x0f) == 0 && msg[6] == 0 && msg[7] == 1 &&
	       msg[len - 4] == (uint8_t)(w >> 24) && msg[len - 3] == (uint8_t)(w >> 16) &&
	       msg[len - 2] == (uint8_t)(w >> 8) && msg[len - 1] == (uint8_t)w;
}

/* ---------------------------------------------------------------------------------------- */
/* Core drive: in-memory I/O                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* Every call is counted, so a step that got more messages than it asked for fails its check. */
static void
capture(struct captured *c, unsigned int *n, const uint8_t *msg, size_t len)
{
	if (*n < BURST_MAX && len <= sizeof(c[0].msg)) {
		c[*n].len = len;
		memcpy(c[*n].msg, msg, len);
	}
	(*n)++;
}

static void
mem_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	(void)arg, (void)client;
	capture(D.replies, &D.n_replies, msg, len);
}

static void
mem_abandon(void *arg, const struct dns_client *client)
{
	(void)arg, (void)client;
	D.n_abandoned++;
}

static void
mem_control(void *arg, struct dns_ctrl_out *out, unsigned int n)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < n; i++) {
		capture(D.setups, &D.n_setups, out[i].msg, out[i].len);
		out[i].error = 0;
	}
}

static const struct dns_core_io mem_io = { mem_reply, mem_abandon, mem_control };

/* A front end on @p cfg (which it then owns), as dns/dns_main.c creates it. */
static struct dns_core *
new_core(struct dns_config *cfg, const struct dns_core_io *io, void *io_arg)
{
	return dns_core_create(cfg, &(struct dns_core_params){
		.auth = D.auth, .io = io, .io_arg = io_arg, .wall_us = wall_ms() * 1000,
		.seed = (uint64_t)arc4random() << 32 | arc4random(), .rnd = random_below,
	});
}

/* @p n lookups through the core, @p burst at a time. */
static int
run_core(const struct bench_case *bc, unsigned int n, struct samples *out)
{
	struct dns_client client = {
		.addr = bc->mode == DNS_MODE_INTRANET ? ntohl(inet_addr(INITIATOR_ADDR)) : RESOLVER,
		.port = 5300, .local = ntohl(inet_addr(DNS_ADDR)),
	};
	struct dns_config *cfg = dns_config_load(D.conf_path, D.auth, print_conf_error, NULL);
	uint64_t t0[BURST_MAX], t1[BURST_MAX], flush_cycles, accept_cycles, t;
	uint8_t q[512], accepts[BURST_MAX][AVES_CTRL_MAX_LEN], reg[AVES_CTRL_MAX_LEN];
	struct aves_ctrl_dgram dgrams[BURST_MAX];
	int accept_len, reg_len;
	uint32_t w[BURST_MAX];
	unsigned int host = 0, since_wait = 0, done, i;
	struct dns_core *core = NULL;
	int rc = -1;

	D.now_us = UINT64_C(1000000000);
	D.wall_ms = wall_ms();
	D.n_abandoned = 0;
	if (cfg == NULL || (core = new_core(cfg, &mem_io, NULL)) == NULL) {
		dns_config_free(cfg);
		return -1;
	}
	reg_len = make_register(reg, D.wall_ms);
	if (reg_len < 0)
		goto out;
	dns_core_control(core, reg, (size_t)reg_len, D.now_us, D.wall_ms);
	dns_core_flush(core, D.now_us, D.wall_ms);
	for (done = 0; done + bc->burst <= n; done += bc->burst) {
		/* Delayed binding: every address is in its wait once each has ACCEPTed; the next
		 * lookup would wait Twait for one. Skip that time (not timed), with the guard
		 * aves-dns adds to every announced wait (Twait/256 + 1 ms, dns_waypoint.c). */
		if (bc->mode == DNS_MODE_DELAYED && since_wait + bc->burst > N_WAYPOINTS) {
			uint64_t skip_ms = TWAIT_MS + TWAIT_MS / 128 + 2;

			D.now_us += skip_ms * 1000;
			D.wall_ms += skip_ms;
			dns_core_run(core, D.now_us, D.wall_ms);
			dns_core_flush(core, D.now_us, D.wall_ms);
			since_wait = 0;
		}
		since_wait += bc->burst;
		D.n_setups = D.n_replies = 0;
		for (i = 0; i < bc->burst; i++) {
			size_t len = make_query(q, (uint16_t)(done + i), host++ % N_HOSTS);

			t0[i] = tsc();
			dns_core_query(core, q, len, &client, D.now_us, D.wall_ms);
			t1[i] = tsc();
		}
		t = tsc();
		dns_core_flush(core, D.now_us, D.wall_ms);
		flush_cycles = tsc() - t;
		if (D.n_setups != bc->burst) {
			fprintf(stderr, "aves-dns-bench: %u SETUPs for %u queries\n", D.n_setups,
				bc->burst);
			goto out;
		}
		for (i = 0; i < bc->burst; i++) {
			accept_len = answer_setup(D.setups[i].msg, D.setups[i].len, bc->mode,
						  client.addr, D.wall_ms, accepts[i], &w[i]);
			if (accept_len < 0)
				goto out;
			dgrams[i] = (struct aves_ctrl_dgram){accepts[i], (size_t)accept_len};
		}
		t = tsc();
		dns_core_control_burst(core, dgrams, bc->burst, D.now_us, D.wall_ms);
		dns_core_flush(core, D.now_us, D.wall_ms);
		accept_cycles = tsc() - t;
		if (D.n_replies != bc->burst || D.n_abandoned != 0) {
			fprintf(stderr, "aves-dns-bench: %u answers for %u ACCEPTs, %u queries dropped\n",
				D.n_replies, bc->burst, D.n_abandoned);
			goto out;
		}
		for (i = 0; i < bc->burst; i++) {
			if (!answer_ok(D.replies[i].msg, D.replies[i].len, w[i])) {
				fprintf(stderr, "aves-dns-bench: answer %u does not carry W\n", i);
				goto out;
			}
			out->query[out->n] = t1[i] - t0[i] + flush_cycles / bc->burst;
			out->accept[out->n] = accept_cycles / bc->burst;
			out->lookup[out->n] = out->query[out->n] + out->accept[out->n];
			out->n++;
		}
	}
	rc = 0;
out:
	dns_core_free(core);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Daemon drive: the event loop and its sockets                                              */
/* ---------------------------------------------------------------------------------------- */

/* The bench blocks no signal, so the server's signalfd never reports one to act on. */
static void
no_signal_action(void *arg)
{
	(void)arg;
}

static const struct dns_server_hooks hooks = { no_signal_action, no_signal_action, NULL };

static int
udp_socket(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = inet_addr(addr) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "aves-dns-bench: bind %s:%u: %s\n", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_to(int fd, const char *addr, uint16_t port, const void *msg, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = inet_addr(addr) };

	return sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len ? 0 : -1;
}

/* One datagram, waiting up to a second for it. */
static ssize_t
recv_one(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 1000) != 1)
		return -1;
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

/*
 * Run the loop's rounds until counter @p c has grown by @p want (loopback delivers within the
 * sender's sendto, so one round normally does it). Returns the TSC cycles of those rounds, or
 * 0 if it did not happen within POLLS_MAX rounds.
 */
static uint64_t
loop_until(struct dns_server *srv, struct dns_core *core, enum dns_counter c, unsigned int want)
{
	const struct dns_stats *st = dns_core_stats(core);
	uint64_t target = st->c[c] + want, t0 = tsc();
	unsigned int i;

	for (i = 0; i < POLLS_MAX && st->c[c] < target; i++)
		if (dns_server_poll(srv, &hooks, 0) < 0)
			return 0;
	return st->c[c] >= target ? tsc() - t0 : 0;
}

/* @p n intranet lookups through aves-dns's event loop, @p burst at a time. */
static int
run_daemon(const struct bench_case *bc, unsigned int n, struct samples *out)
{
	int client = udp_socket(INITIATOR_ADDR, 0), waypoint = udp_socket(WAYPOINT_ADDR, WAYPOINT_PORT);
	uint8_t q[512], buf[DNS_HELD_REPLY_MAX], accept[AVES_CTRL_MAX_LEN];
	struct dns_server *srv = NULL;
	struct dns_core *core = NULL;
	struct dns_config *cfg = NULL;
	unsigned int host = 0, done, i;
	uint32_t w[BURST_MAX];
	int rc = -1, len;

	if (client < 0 || waypoint < 0)
		goto out;
	/* The server is created from the configuration the core then owns, as dns_main.c does. */
	cfg = dns_config_load(D.conf_path, D.auth, print_conf_error, NULL);
	if (cfg == NULL || (srv = dns_server_create(cfg)) == NULL)
		goto out;
	core = new_core(cfg, &dns_server_io, srv);
	if (core == NULL)
		goto out;
	cfg = NULL; /* the core's now */
	dns_server_attach(srv, core);
	len = make_register(buf, wall_ms());
	if (len < 0 || send_to(client, DNS_ADDR, CTRL_PORT, buf, (size_t)len) != 0 ||
	    loop_until(srv, core, DNS_CTR_REGISTER_OK, 1) == 0)
		goto out;

	for (done = 0; done + bc->burst <= n; done += bc->burst) {
		uint64_t query_cycles, accept_cycles;

		for (i = 0; i < bc->burst; i++) {
			size_t qlen = make_query(q, (uint16_t)(done + i), host++ % N_HOSTS);

			if (send_to(client, DNS_ADDR, DNS_PORT, q, qlen) != 0)
				goto out;
		}
		query_cycles = loop_until(srv, core, DNS_CTR_SETUP_SENT, bc->burst);
		if (query_cycles == 0)
			goto out;
		for (i = 0; i < bc->burst; i++) {
			ssize_t slen = recv_one(waypoint, buf, sizeof(buf));

			if (slen < 0 ||
			    (len = answer_setup(buf, (size_t)slen, DNS_MODE_INTRANET,
						ntohl(inet_addr(INITIATOR_ADDR)), wall_ms(), accept,
						&w[i])) < 0 ||
			    send_to(waypoint, DNS_ADDR, CTRL_PORT, accept, (size_t)len) != 0)
				goto out;
		}
		accept_cycles = loop_until(srv, core, DNS_CTR_REPLY_WAYPOINT, bc->burst);
		if (accept_cycles == 0)
			goto out;
		for (i = 0; i < bc->burst; i++) {
			ssize_t alen = recv_one(client, buf, sizeof(buf));

			if (alen < 0 || !answer_ok(buf, (size_t)alen, w[i])) {
				fprintf(stderr, "aves-dns-bench: answer %u missing or without W\n", i);
				goto out;
			}
		}
		for (i = 0; i < bc->burst; i++) {
			out->query[out->n] = query_cycles / bc->burst;
			out->accept[out->n] = accept_cycles / bc->burst;
			out->lookup[out->n++] = (query_cycles + accept_cycles) / bc->burst;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "aves-dns-bench: the daemon case stopped after %u lookups\n", out->n);
	dns_core_free(core);
	dns_config_free(cfg);
	dns_server_free(srv);
	if (client >= 0)
		close(client);
	if (waypoint >= 0)
		close(waypoint);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Report                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of the samples after the first tenth (warm-up). */
static double
median(uint64_t *v, unsigned int n)
{
	unsigned int skip = n / 10;

	if (n == 0)
		return 0;
	qsort(v + skip, n - skip, sizeof(v[0]), cmp_u64);
	return (double)v[skip + (n - skip) / 2];
}

static void
csv(const char *path, const char *mode, unsigned int burst, const char *metric, double value,
    double paper)
{
	if (D.csv == NULL)
		return;
	fprintf(D.csv, "%s,%s,%u,-,%s,%.0f,", path, mode, burst, metric, value);
	if (paper > 0)
		fprintf(D.csv, "%.0f", paper);
	fprintf(D.csv, "\n");
}

static int tap_n;

static void
tap(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
}

static void
row(const char *what, const char *label, double ours, double paper, const char *note)
{
	printf("  %-16s %-36s %8.0f %8.0f %6.1fx%s\n", what, label, ours, paper, paper / ours, note);
}

static bool
run_case(const struct bench_case *bc, unsigned int n)
{
	const char *path = bc->drive == DRIVE_DAEMON ? "dns" : "dns_core";
	const char *mode = bc->mode == DNS_MODE_INTRANET ? "intranet" : "delayed";
	struct samples s = {
		.query = calloc(n, sizeof(uint64_t)),
		.accept = calloc(n, sizeof(uint64_t)),
		.lookup = calloc(n, sizeof(uint64_t)),
	};
	char label[64], what[160];
	bool ok = false;
	double q, a, l;

	snprintf(label, sizeof(label), "(%s, %s, burst %u)",
		 bc->drive == DRIVE_DAEMON ? "daemon" : "core", mode, bc->burst);
	/* Each case's aves-dns starts its SETUP serials afresh, from its own clock. */
	aves_replay_free(D.waypoint_replay);
	D.waypoint_keyset.replay = D.waypoint_replay = aves_replay_create(16);
	if (D.waypoint_replay != NULL && s.query != NULL && s.accept != NULL && s.lookup != NULL)
		ok = (bc->drive == DRIVE_DAEMON ? run_daemon(bc, n, &s) : run_core(bc, n, &s)) == 0;
	if (ok) {
		q = median(s.query, s.n);
		a = median(s.accept, s.n);
		l = median(s.lookup, s.n);
		row("query -> SETUP", label, q, PAPER_QUERY_CYCLES, "");
		row("ACCEPT -> answer", label, a, PAPER_ACCEPT_CYCLES, "");
		row("per lookup", label, l, PAPER_LOOKUP_CYCLES, "   (target 10000, issue 7)");
		csv(path, mode, bc->burst, "query_to_setup_cycles", q, PAPER_QUERY_CYCLES);
		csv(path, mode, bc->burst, "accept_to_answer_cycles", a, PAPER_ACCEPT_CYCLES);
		csv(path, mode, bc->burst, "lookup_cycles", l, PAPER_LOOKUP_CYCLES);
	}
	snprintf(what, sizeof(what), "aves-dns %s: %u lookups answered with the ACCEPTed W", label,
		 s.n);
	tap(ok, what);
	free(s.query);
	free(s.accept);
	free(s.lookup);
	return ok;
}

static int
setup(void)
{
	D.hz = tsc_hz();
	D.auth = aves_auth_ctx_create();
	if (D.auth == NULL || key_from_hex(&D.service_key, 1, service_hex) != 0 ||
	    key_from_hex(&D.gateway_key, 101, gateway_hex) != 0 || write_conf() != 0)
		return -1;
	D.waypoint_ring = aves_keyring_create(1);
	if (D.waypoint_ring == NULL || aves_keyring_add(D.waypoint_ring, &D.service_key) != 0)
		return -1;
	D.waypoint_keyset = (struct aves_ctrl_keyset){ D.waypoint_ring,
						       AVES_CTRL_TYPE_BIT(AVES_CTRL_SETUP), NULL };
	D.waypoint_rx = (struct aves_ctrl_rx){ D.auth, &D.waypoint_keyset, 1, 0,
					       AVES_CTRL_MAX_SKEW_MS };
	D.waypoint_serial = D.gateway_serial = wall_ms() * 1000;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct bench_case cases[] = {
		{ DRIVE_DAEMON, DNS_MODE_INTRANET, 1 },
		{ DRIVE_DAEMON, DNS_MODE_INTRANET, BURST_MAX },
		{ DRIVE_CORE, DNS_MODE_INTRANET, 1 },
		{ DRIVE_CORE, DNS_MODE_INTRANET, BURST_MAX },
		{ DRIVE_CORE, DNS_MODE_DELAYED, 1 },
	};
	const char *csv_path = getenv("AVES_BENCH_CSV");
	unsigned int n, i;
	int opt, failed = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			D.quick = true;
			break;
		case 'c':
			csv_path = optarg;
			break;
		default:
			fprintf(stderr, "usage: aves-dns-bench [--quick] [--csv FILE]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: aves-dns-bench [--quick] [--csv FILE]\n");
		return 2;
	}
	if (csv_path != NULL && csv_path[0] != '\0') {
		D.csv = fopen(csv_path, "a");
		if (D.csv == NULL) {
			perror(csv_path);
			return 1;
		}
		if (ftell(D.csv) == 0)
			fprintf(D.csv, "path,size,burst,bindings,metric,value,paper\n");
	}
	if (setup() != 0) {
		fprintf(stderr, "aves-dns-bench: cannot prepare keys and configuration\n");
		return 1;
	}
	n = D.quick ? 1024 : 16384;
	printf("aves-dns-bench: TSC %.3f GHz, %s, %u lookups per case, %u waypoint addresses, "
	       "%u names, MAC code path %s\n",
	       D.hz / 1e9, D.quick ? "quick" : "full", n, N_WAYPOINTS, N_HOSTS,
	       aves_auth_ctx_arch(D.auth));
	printf("\nControl path, TSC cycles per operation (median)                   ours    paper      x\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += !run_case(&cases[i], n);
	printf("daemon: aves-dns's event loop rounds incl. epoll_wait, recvmmsg, sendmmsg/sendto on "
	       "loopback;\ncore: dns_core_query()/dns_core_flush()/dns_core_control_burst() with "
	       "in-memory I/O. x: the paper's cycles (400 MHz host) / ours.\n");
	printf("1..%d\n", tap_n);
	unlink(D.conf_path);
	aves_replay_free(D.waypoint_replay);
	aves_keyring_free(D.waypoint_ring);
	aves_auth_ctx_free(D.auth);
	if (D.csv != NULL)
		fclose(D.csv);
	return failed ? 1 : 0;
}
