/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Held answers driven by a scripted fake waypoint: the test plays the waypoint, reading the
 * SETUPs the table sends and feeding ACCEPT, REJECT or silence with explicit times. Covers
 * ACCEPT → answer, REJECT → next waypoint, per-attempt timeout → next, the 3-second give-up,
 * late and replayed ACCEPTs, coalescing, the bound on held queries, waypoint health (and
 * silence not blamed on an appliance that has replied since), the hold a delayed-binding
 * SETUP keeps on its address until its reply or timeout, and SETUPs reported unsent (later, as
 * a batching sender does, or from inside the send callback).
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

#include "dns_pending.h"

#define MS 1000ull
/* The margin aves-dns adds to an announced wait (dns_waypoint.c): wait/256 + 1 ms. */
#define GUARD(wait_us) ((wait_us) / 256 + 1 * MS)
#define W1 0xc0000264u /* 192.0.2.100, appliance 0 */
#define W2 0xc0000265u /* 192.0.2.101, appliance 0 */
#define W3 0xc0000266u /* 192.0.2.102, appliance 1 */
#define FIRST_SERIAL 1000
#define REPLY_LEN 16
#define RDATA_OFF 12

static struct {
	struct dns_setup setups[32];
	unsigned int n_setups;
	struct dns_client replied[8];
	uint8_t reply[8][REPLY_LEN];
	unsigned int n_replies;
	struct dns_client abandoned[8];
	unsigned int n_abandoned;
	struct dns_client failed[8];
	uint8_t failed_reply[8][REPLY_LEN];
	unsigned int n_failed;
	/* The next sends that fail: reported by report_unsent(), or at once from the callback. */
	int send_errors_left;
	bool report_at_once;
	uint64_t now;
	uint64_t unsent[32];
	unsigned int n_unsent;
	uint32_t pick;
} fake;

static struct dns_stats stats;
static struct dns_waypoints *wp;
static struct dns_pending *p;

static void
fake_send_setup(void *arg, const struct dns_setup *setup)
{
	(void)arg;
	if (fake.send_errors_left > 0) {
		fake.send_errors_left--;
		if (fake.report_at_once) {
			dns_pending_unsent(p, wp, setup->serial, fake.now);
		} else {
			assert_true(fake.n_unsent < 32);
			fake.unsent[fake.n_unsent++] = setup->serial;
		}
		return;
	}
	assert_true(fake.n_setups < 32);
	fake.setups[fake.n_setups++] = *setup;
}

static void
fake_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	(void)arg;
	assert_int_equal(len, REPLY_LEN);
	fake.replied[fake.n_replies] = *client;
	memcpy(fake.reply[fake.n_replies], msg, len);
	fake.n_replies++;
}

static void
fake_abandon(void *arg, const struct dns_client *client)
{
	(void)arg;
	fake.abandoned[fake.n_abandoned++] = *client;
}

static void
fake_fail(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	(void)arg;
	assert_int_equal(len, REPLY_LEN);
	assert_true(fake.n_failed < 8);
	fake.failed[fake.n_failed] = *client;
	memcpy(fake.failed_reply[fake.n_failed++], msg, len);
}

static uint32_t
fake_random(void *arg, uint32_t bound)
{
	(void)arg;
	return fake.pick < bound ? fake.pick : bound - 1;
}

static const struct dns_pending_ops ops = {fake_send_setup, fake_reply, fake_abandon, fake_fail};

static int
setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&stats, 0, sizeof(stats));
	wp = dns_waypoints_create(2, 3);
	wp->servers[0].control = (struct sockaddr_in){.sin_family = AF_INET,
						      .sin_port = htons(4796),
						      .sin_addr.s_addr = htonl(0xc000020a)};
	wp->servers[1].control = (struct sockaddr_in){.sin_family = AF_INET,
						      .sin_port = htons(4796),
						      .sin_addr.s_addr = htonl(0xc000020b)};
	wp->addrs[0] = (struct dns_waypoint_addr){.addr = W1, .server = 0};
	wp->addrs[1] = (struct dns_waypoint_addr){.addr = W2, .server = 0};
	wp->addrs[2] = (struct dns_waypoint_addr){.addr = W3, .server = 1};
	wp->fail_threshold = 2;
	wp->down_time_us = 10000 * MS;
	p = dns_pending_create(&(struct dns_pending_params){
		.capacity = 4,
		.max_attempts = 3,
		.attempt_timeout_us = 700 * MS,
		.hold_time_us = 3000 * MS,
		.first_serial = FIRST_SERIAL,
		.seed = 42,
		.rnd = fake_random,
		.ops = &ops,
		.stats = &stats,
	});
	return p == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	dns_pending_free(p);
	dns_waypoints_free(wp);
	return 0;
}

static uint8_t reply_template[REPLY_LEN] = {0xab, 0xcd, 0x85, 0, 0, 1, 0, 1, 0, 0, 0, 0};

static struct dns_hold
hold_for(uint32_t requester, uint16_t port, uint32_t host)
{
	return (struct dns_hold){
		.client = {.tcp = false, .addr = requester, .port = port, .local = 0x7f000001},
		.host = host,
		.mode = DNS_MODE_DELAYED,
		.responder = 0x0a000002,
		.gateway = 0xcb007101,
		.gateway_port = 4797,
		.gateway_key = 101,
		.reply = reply_template,
		.reply_len = REPLY_LEN,
		.rdata_off = RDATA_OFF,
	};
}

static void
start_mode(uint32_t requester, uint32_t host, enum dns_setup_mode mode, uint64_t now)
{
	struct dns_hold h = hold_for(requester, 5300, host);

	h.mode = mode;
	assert_int_equal(dns_pending_hold(p, wp, &h, now), DNS_HOLD_STARTED);
}

static void
start(uint32_t requester, uint32_t host, uint64_t now)
{
	start_mode(requester, host, DNS_MODE_DELAYED, now);
}

static uint32_t
reply_waypoint(unsigned int i)
{
	const uint8_t *r = fake.reply[i] + RDATA_OFF;

	return (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
}

static void
test_accept_answers(void **state)
{
	const struct dns_setup *s;

	(void)state;
	start(0xc6336401, 0, 0);
	assert_int_equal(fake.n_setups, 1);
	s = &fake.setups[0];
	assert_int_equal(s->serial, FIRST_SERIAL);
	assert_int_equal(s->mode, DNS_MODE_DELAYED);
	assert_int_equal(s->waypoint, W1);
	assert_int_equal(s->initiator, 0xc6336401);
	assert_int_equal(s->gateway, 0xcb007101);
	assert_int_equal(s->responder, 0x0a000002);
	assert_int_equal(s->gateway_port, 4797);
	assert_int_equal(s->gateway_key, 101);
	assert_int_equal(ntohl(s->to->sin_addr.s_addr), 0xc000020a);
	assert_int_equal(dns_pending_count(p), 1);
	assert_int_equal(dns_pending_next_event(p), 700 * MS);

	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 5 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(reply_waypoint(0), W1);
	assert_memory_equal(fake.reply[0], reply_template, RDATA_OFF);
	assert_int_equal(fake.replied[0].port, 5300);
	assert_int_equal(dns_pending_count(p), 0);
	assert_int_equal(stats.c[DNS_CTR_SETUP_ACCEPTED], 1);
	assert_int_equal(stats.rtt_count, 1);
	assert_int_equal(stats.rtt_min_us, 5 * MS);
	/* The same ACCEPT again (a replay, or a duplicate): nothing. */
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 6 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(stats.c[DNS_CTR_SETUP_REPLY_UNKNOWN], 1);
	/* Nothing held, nothing to wake for: a run later does nothing. */
	dns_pending_run(p, wp, 10000 * MS);
	assert_int_equal(fake.n_abandoned, 0);
}

static void
test_reject_tries_next(void **state)
{
	(void)state;
	start(1, 0, 0);
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL, W1, 1 * MS));
	assert_int_equal(fake.n_setups, 2);
	assert_int_equal(fake.setups[1].waypoint, W2);
	assert_int_equal(fake.setups[1].serial, FIRST_SERIAL + 1);
	/* The rejected serial is closed. */
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 2 * MS));
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W2, 0, 3 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(reply_waypoint(0), W2);
	assert_int_equal(stats.c[DNS_CTR_SETUP_REJECTED], 1);
}

static void
test_timeouts_then_give_up(void **state)
{
	(void)state;
	start(1, 0, 0);
	dns_pending_run(p, wp, 699 * MS);
	assert_int_equal(fake.n_setups, 1);
	dns_pending_run(p, wp, 700 * MS);
	assert_int_equal(fake.n_setups, 2);
	assert_int_equal(fake.setups[1].waypoint, W2);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT], 1);
	assert_int_equal(dns_pending_next_event(p), 1400 * MS);
	dns_pending_run(p, wp, 1400 * MS);
	assert_int_equal(fake.n_setups, 3);
	assert_int_equal(fake.setups[2].waypoint, W3);
	/* Out of attempts: wait for a late reply until the hold time is up. */
	dns_pending_run(p, wp, 2100 * MS);
	assert_int_equal(fake.n_setups, 3);
	assert_int_equal(dns_pending_next_event(p), 3000 * MS);
	dns_pending_run(p, wp, 2999 * MS);
	assert_int_equal(fake.n_abandoned, 0);
	dns_pending_run(p, wp, 3000 * MS);
	assert_int_equal(fake.n_abandoned, 1);
	assert_int_equal(fake.n_replies, 0);
	assert_int_equal(dns_pending_count(p), 0);
	assert_int_equal(stats.c[DNS_CTR_HELD_GAVE_UP], 1);
	assert_int_equal(dns_pending_next_event(p), UINT64_MAX);
	/* An ACCEPT after the give-up is ignored. */
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL + 2, W3, 0, 3001 * MS));
	assert_int_equal(fake.n_replies, 0);
}

static void
test_late_accept_of_earlier_attempt(void **state)
{
	(void)state;
	start(1, 0, 0);
	dns_pending_run(p, wp, 700 * MS);
	assert_int_equal(fake.n_setups, 2);
	/* The first waypoint answers late, while the second attempt runs: still an answer. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 800 * MS));
	assert_int_equal(reply_waypoint(0), W1);
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W2, 0, 801 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(stats.rtt_max_us, 800 * MS);
}

static void
test_reply_naming_wrong_waypoint(void **state)
{
	(void)state;
	start(1, 0, 0);
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL, W2, 0, 1 * MS));
	assert_false(dns_pending_reject(p, wp, FIRST_SERIAL, W3, 1 * MS));
	assert_int_equal(stats.c[DNS_CTR_SETUP_REPLY_MISMATCH], 2);
	assert_int_equal(fake.n_setups, 1);
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 2 * MS));
}

static void
test_all_rejected(void **state)
{
	(void)state;
	start(1, 0, 0);
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL, W1, 1 * MS));
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL + 1, W2, 2 * MS));
	assert_int_equal(fake.n_setups, 3);
	assert_int_equal(fake.n_abandoned, 0);
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL + 2, W3, 3 * MS));
	/* Nothing left to wait for: given up at once, not after 3 s. */
	assert_int_equal(fake.n_abandoned, 1);
	assert_int_equal(dns_pending_count(p), 0);
}

static void
test_reject_of_older_attempt(void **state)
{
	(void)state;
	start(1, 0, 0);
	dns_pending_run(p, wp, 700 * MS);
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL, W1, 750 * MS));
	/* The second attempt is still running: no third SETUP for a rejection of the first. */
	assert_int_equal(fake.n_setups, 2);
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W2, 0, 760 * MS));
	assert_int_equal(reply_waypoint(0), W2);
}

static void
test_table_full(void **state)
{
	struct dns_hold h = hold_for(9, 1, 9);

	(void)state;
	start(1, 1, 0);
	start(1, 2, 0);
	start(1, 3, 0);
	start(1, 4, 0);
	assert_int_equal(dns_pending_hold(p, wp, &h, 0), DNS_HOLD_FULL);
	assert_int_equal(dns_pending_count(p), 4);
	/* One answered: room again. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 1 * MS));
	assert_int_equal(dns_pending_hold(p, wp, &h, 1 * MS), DNS_HOLD_STARTED);
}

/*
 * Every address in its wait state (the paper serialises SETUPs per address): the query is held
 * until the first one leaves its wait, not answered SERVFAIL (which resolvers cache).
 */
static void
test_waits_for_a_free_waypoint(void **state)
{
	struct dns_hold h = hold_for(1, 1, 1);

	(void)state;
	wp->addrs[0].wait_until = 400 * MS;
	wp->addrs[1].wait_until = 100 * MS;
	wp->addrs[2].wait_until = 250 * MS;
	assert_int_equal(dns_pending_hold(p, wp, &h, 0), DNS_HOLD_STARTED);
	assert_int_equal(dns_pending_count(p), 1);
	assert_int_equal(fake.n_setups, 0);
	assert_int_equal(stats.c[DNS_CTR_HELD_WAYPOINT_BUSY], 1);
	dns_pending_run(p, wp, 99 * MS);
	assert_int_equal(fake.n_setups, 0);
	/* W2 leaves its wait first: the SETUP goes there, and it is no timeout of anyone. */
	dns_pending_run(p, wp, 100 * MS);
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.setups[0].waypoint, W2);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT], 0);
	assert_true(dns_pending_accept(p, wp, fake.setups[0].serial, W2, 0, 120 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(reply_waypoint(0), W2);
}

/* No address frees up before the hold time is over, or none is answering: SERVFAIL at once. */
static void
test_no_waypoint(void **state)
{
	struct dns_hold h = hold_for(1, 1, 1);

	(void)state;
	wp->addrs[0].wait_until = 3000 * MS;
	wp->addrs[1].wait_until = 3000 * MS;
	wp->addrs[2].wait_until = 5000 * MS;
	assert_int_equal(dns_pending_hold(p, wp, &h, 0), DNS_HOLD_NO_WAYPOINT);
	assert_int_equal(dns_pending_count(p), 0);
	assert_int_equal(fake.n_setups, 0);
	assert_int_equal(dns_pending_hold(p, wp, &h, 3000 * MS), DNS_HOLD_STARTED);
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.setups[0].waypoint == W1 || fake.setups[0].waypoint == W2, 1);

	/* Servers down count as unusable however soon their waits end. */
	wp->servers[0].down_until = 10000 * MS;
	wp->servers[1].down_until = 10000 * MS;
	h = hold_for(2, 2, 2);
	assert_int_equal(dns_pending_hold(p, wp, &h, 3100 * MS), DNS_HOLD_NO_WAYPOINT);
}

/* Report the SETUPs that failed since the last call, as a batching sender does, and run. */
static void
report_unsent(uint64_t now)
{
	unsigned int i, n = fake.n_unsent;

	fake.n_unsent = 0;
	for (i = 0; i < n; i++)
		dns_pending_unsent(p, wp, fake.unsent[i], now);
	if (n > 0)
		assert_int_equal(dns_pending_next_event(p), now); /* carried on at once */
	dns_pending_run(p, wp, now);
}

static void
test_send_error_moves_on(void **state)
{
	struct dns_hold h = hold_for(1, 1, 1);

	(void)state;
	h.mode = DNS_MODE_INTRANET; /* holds nothing: the next lookup may use every address */
	fake.send_errors_left = 1;
	assert_int_equal(dns_pending_hold(p, wp, &h, 0), DNS_HOLD_STARTED);
	assert_int_equal(fake.n_setups, 0);
	report_unsent(1 * MS);
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.setups[0].waypoint, W2);
	assert_int_equal(fake.setups[0].serial, FIRST_SERIAL + 1);
	assert_int_equal(stats.c[DNS_CTR_SETUP_SEND_ERROR], 1);
	/* The unsent serial is closed; the second attempt's timeout runs from its start. */
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 2 * MS));
	assert_int_equal(stats.c[DNS_CTR_SETUP_REPLY_UNKNOWN], 1);
	assert_int_equal(dns_pending_next_event(p), 701 * MS);
	/* A send error is no timeout and says nothing about the appliance. */
	assert_int_equal(wp->servers[0].fails, 0);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT], 0);
	/* Every send failing: the error answer (as dns_pending_hold() finding no waypoint),
	 * nothing held, nothing given up. */
	fake.send_errors_left = 3;
	h = hold_for(2, 7, 2);
	assert_int_equal(dns_pending_hold(p, wp, &h, 3 * MS), DNS_HOLD_STARTED);
	report_unsent(3 * MS);
	assert_int_equal(fake.n_failed, 0);
	report_unsent(3 * MS);
	report_unsent(3 * MS);
	assert_int_equal(fake.n_failed, 1);
	assert_int_equal(fake.failed[0].addr, 2);
	assert_int_equal(fake.failed[0].port, 7);
	assert_memory_equal(fake.failed_reply[0], reply_template, REPLY_LEN);
	assert_int_equal(stats.c[DNS_CTR_SETUP_SEND_ERROR], 4);
	assert_int_equal(dns_pending_count(p), 1);
	assert_int_equal(fake.n_abandoned, 0);
	assert_int_equal(stats.c[DNS_CTR_HELD_GAVE_UP], 0);
	assert_int_equal(fake.n_setups, 1);
}

/*
 * A sender that knows at once reports from inside the callback: the attempt is complete by
 * then, so its hold on the address ends, and the next run moves on.
 */
static void
test_unsent_reported_from_callback(void **state)
{
	(void)state;
	fake.report_at_once = true;
	fake.send_errors_left = 1;
	start(1, 0, 0);
	assert_int_equal(fake.n_setups, 0);
	assert_int_equal(wp->addrs[0].hold_until, 0);
	assert_int_equal(stats.c[DNS_CTR_SETUP_SEND_ERROR], 1);
	assert_int_equal(dns_pending_next_event(p), 0);
	dns_pending_run(p, wp, 0);
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.setups[0].waypoint, W2);
	assert_int_equal(wp->addrs[1].hold_serial, FIRST_SERIAL + 1);
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W2, 0, 1 * MS));
	assert_int_equal(reply_waypoint(0), W2);
	/* Every attempt failing inside the callback, each reported from within a run. */
	fake.send_errors_left = 3;
	start(2, 1, 2 * MS);
	dns_pending_run(p, wp, 2 * MS);
	assert_int_equal(fake.n_failed, 0);
	assert_int_equal(dns_pending_next_event(p), 2 * MS);
	dns_pending_run(p, wp, 2 * MS);
	dns_pending_run(p, wp, 2 * MS);
	assert_int_equal(fake.n_failed, 1);
	assert_int_equal(dns_pending_count(p), 0);
	assert_int_equal(dns_pending_next_event(p), UINT64_MAX);
}

/* An unsent delayed-binding SETUP frees its address at once for a lookup waiting for one. */
static void
test_unsent_frees_address(void **state)
{
	(void)state;
	wp->addrs[1].wait_until = 2000 * MS;
	wp->addrs[2].wait_until = 2000 * MS;
	fake.send_errors_left = 1;
	start(1, 0, 0);              /* W1, held; its SETUP fails */
	start(2, 1, 0);              /* nothing free: waits */
	assert_int_equal(stats.c[DNS_CTR_HELD_WAYPOINT_BUSY], 1);
	assert_int_equal(fake.n_setups, 0);
	report_unsent(5 * MS);
	/* Lookup 1 has tried W1 and waits for W2 or W3; lookup 2 takes W1. */
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.setups[0].waypoint, W1);
	assert_int_equal(fake.setups[0].initiator, 2);
	assert_int_equal(wp->addrs[0].hold_serial, fake.setups[0].serial);
	assert_int_equal(stats.c[DNS_CTR_HELD_WAYPOINT_BUSY], 2);
	assert_int_equal(fake.n_failed, 0);
	assert_int_equal(dns_pending_count(p), 2);
}

/*
 * Unsent after others were sent: the next attempt starts; when none is left, a query some of
 * whose SETUPs left is given up once none is open (as after REJECTs), with no error answer;
 * an unsent older attempt does not disturb the latest.
 */
static void
test_unsent_after_sent(void **state)
{
	(void)state;
	start(1, 0, 0);                          /* W1 sent */
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL, W1, 1 * MS));
	fake.send_errors_left = 1;
	dns_pending_run(p, wp, 1 * MS);           /* nothing due */
	assert_int_equal(fake.n_setups, 2);       /* W2 sent */
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL + 1, W2, 2 * MS)); /* W3: fails */
	report_unsent(3 * MS);
	assert_int_equal(fake.n_failed, 0);
	assert_int_equal(fake.n_abandoned, 1);
	assert_int_equal(stats.c[DNS_CTR_HELD_GAVE_UP], 1);
	assert_int_equal(dns_pending_count(p), 0);

	start(2, 1, 10 * MS);                     /* W1 */
	fake.send_errors_left = 1;
	dns_pending_run(p, wp, 710 * MS);         /* timed out: W2, which fails */
	report_unsent(711 * MS);                  /* so W3 */
	assert_int_equal(fake.n_setups, 4);
	assert_int_equal(fake.setups[3].waypoint, W3);
	/* The first SETUP's serial is still open: its late ACCEPT answers. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 3, W1, 0, 720 * MS));
	assert_int_equal(fake.n_replies, 1);

	fake.send_errors_left = 1;
	start(3, 2, 800 * MS);                    /* W1: fails, reported late */
	dns_pending_run(p, wp, 1500 * MS);        /* its timeout: W2 sent */
	assert_int_equal(fake.n_setups, 5);
	assert_int_equal(fake.setups[4].waypoint, W2);
	report_unsent(1500 * MS);                 /* the latest runs: nothing new */
	assert_int_equal(fake.n_setups, 5);
	assert_int_equal(fake.n_failed, 0);
	assert_int_equal(dns_pending_count(p), 1);
	assert_true(dns_pending_accept(p, wp, fake.setups[4].serial, W2, 0, 1600 * MS));
	assert_int_equal(fake.n_replies, 2);
}

static void
test_coalesce_retransmission(void **state)
{
	struct dns_hold again = hold_for(1, 6000, 0), other = hold_for(1, 6000, 1);

	(void)state;
	start(1, 0, 0);
	assert_true(dns_pending_refresh(p, &again));
	assert_int_equal(fake.n_setups, 1);
	assert_int_equal(fake.n_abandoned, 1);
	assert_int_equal(fake.abandoned[0].port, 5300);
	/* The same client again: nothing abandoned. */
	assert_true(dns_pending_refresh(p, &again));
	assert_int_equal(fake.n_abandoned, 1);
	assert_false(dns_pending_refresh(p, &other));
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 0, 1 * MS));
	assert_int_equal(fake.n_replies, 1);
	assert_int_equal(fake.replied[0].port, 6000);
	/* Done: a new query is not coalesced with anything. */
	assert_false(dns_pending_refresh(p, &again));
	/* After a reload renumbered the hosts, held queries no longer absorb new ones. */
	start(1, 0, 2 * MS);
	dns_pending_forget_hosts(p);
	assert_false(dns_pending_refresh(p, &again));
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W1, 0, 3 * MS));
}

static void
test_waypoint_marked_down(void **state)
{
	(void)state;
	/* Intranet lookups: no holds, so each pick is the lowest address of a healthy appliance. */
	start_mode(1, 0, DNS_MODE_INTRANET, 0); /* W1 */
	dns_pending_run(p, wp, 700 * MS);  /* W1 timed out: appliance 0 fails once; W2 */
	assert_int_equal(fake.setups[1].waypoint, W2);
	dns_pending_run(p, wp, 1400 * MS); /* W2 timed out: twice, appliance 0 is down; W3 */
	assert_int_equal(fake.setups[2].waypoint, W3);
	assert_int_equal(stats.c[DNS_CTR_WAYPOINT_DOWN], 1);
	/* A new lookup skips appliance 0 while it is down ... */
	start_mode(2, 1, DNS_MODE_INTRANET, 1500 * MS);
	assert_int_equal(fake.setups[3].waypoint, W3);
	/* ... and uses it again afterwards. */
	start_mode(3, 2, DNS_MODE_INTRANET, 11400 * MS);
	assert_int_equal(fake.setups[4].waypoint, W1);
	/* Any authenticated reply clears the failure count. */
	dns_pending_run(p, wp, 12100 * MS); /* W1 timed out once */
	assert_int_equal(wp->servers[0].fails, 1);
	assert_true(dns_pending_accept(p, wp, fake.setups[5].serial, fake.setups[5].waypoint, 0,
				       12200 * MS));
	assert_int_equal(wp->servers[0].fails, 0);
}

static void
test_wait_state_skipped(void **state)
{
	(void)state;
	start(1, 0, 0);
	/* Delayed binding: W1 waits 2 s for the initiator and ignores SETUPs meanwhile, and a
	 * little longer in case the waypoint's clock runs slow. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 2000, 1 * MS));
	start(2, 1, 10 * MS);
	assert_int_equal(fake.setups[1].waypoint, W2);
	start_mode(3, 2, DNS_MODE_INTRANET, 2001 * MS + GUARD(2000 * MS) - 1);
	assert_int_equal(fake.setups[2].waypoint, W2); /* its hold lapsed at 710 ms */
	start_mode(4, 3, DNS_MODE_INTRANET, 2001 * MS + GUARD(2000 * MS));
	assert_int_equal(fake.setups[3].waypoint, W1);
	/* Intranet mode announces no wait and marks nothing. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 3, W1, 0, 2020 * MS));
	assert_int_equal(wp->addrs[0].wait_until, 2001 * MS + GUARD(2000 * MS));
	start(5, 1, 2021 * MS);
	assert_int_equal(fake.setups[4].waypoint, W1);
}

/*
 * Concurrent delayed-binding lookups: each SETUP holds its address until its reply, so no two
 * go to the same W before its ACCEPT (the waypoint would ignore the second, §4.4). Intranet
 * SETUPs neither hold nor use a held address.
 */
static void
test_delayed_setup_holds_address(void **state)
{
	(void)state;
	start(1, 0, 0);
	start(2, 1, 0);
	assert_int_equal(fake.setups[0].waypoint, W1);
	assert_int_equal(fake.setups[1].waypoint, W2);
	assert_int_equal(wp->addrs[0].hold_serial, FIRST_SERIAL);
	assert_int_equal(wp->addrs[0].hold_until, 700 * MS);
	start_mode(3, 2, DNS_MODE_INTRANET, 0);
	assert_int_equal(fake.setups[2].waypoint, W3);
	assert_int_equal(wp->addrs[2].hold_until, 0);
	/* The ACCEPT turns W1's hold into the wait it announces. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 2000, 5 * MS));
	assert_int_equal(wp->addrs[0].hold_until, 0);
	assert_int_equal(wp->addrs[0].wait_until, 2005 * MS + GUARD(2000 * MS));
	/* W1 waits, W2 is held: only W3 is left, for either mode. */
	start_mode(4, 3, DNS_MODE_INTRANET, 6 * MS);
	assert_int_equal(fake.setups[3].waypoint, W3);
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 2, W3, 0, 7 * MS));
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 3, W3, 0, 7 * MS));
	start(5, 4, 8 * MS);
	assert_int_equal(fake.setups[4].waypoint, W3);
	assert_int_equal(stats.c[DNS_CTR_HELD_WAYPOINT_BUSY], 0);
}

/*
 * A REJECT of the holding SETUP frees the address at once, and a lookup waiting for an address
 * takes it at the next run rather than when the hold would have lapsed.
 */
static void
test_reject_releases_hold(void **state)
{
	(void)state;
	start(1, 0, 0); /* W1 */
	start(2, 1, 0); /* W2 */
	start(3, 2, 0); /* W3 */
	start(4, 3, 0); /* every address held: waits for the first free one */
	assert_int_equal(fake.n_setups, 3);
	assert_int_equal(stats.c[DNS_CTR_HELD_WAYPOINT_BUSY], 1);
	assert_int_equal(dns_pending_next_event(p), 700 * MS);
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL + 1, W2, 10 * MS));
	/* The rejected lookup has no other free address (W1, W3 held): it waits too. */
	assert_int_equal(fake.n_setups, 3);
	assert_int_equal(wp->addrs[1].hold_until, 0);
	assert_int_equal(dns_pending_next_event(p), 10 * MS);
	dns_pending_run(p, wp, 10 * MS);
	assert_int_equal(fake.n_setups, 4);
	assert_int_equal(fake.setups[3].waypoint, W2);
	assert_int_equal(fake.setups[3].initiator, 4);
	assert_int_equal(wp->addrs[1].hold_serial, FIRST_SERIAL + 3);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT], 0);
	/* A REJECT that leaves a wait (the ACCEPT came first) frees nothing early. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 3, W2, 2000, 20 * MS));
	assert_false(dns_pending_reject(p, wp, FIRST_SERIAL + 3, W2, 21 * MS));
	assert_int_equal(wp->addrs[1].wait_until, 2020 * MS + GUARD(2000 * MS));
}

/*
 * Only the holding SETUP ends a hold early; a timeout lets it lapse; a late ACCEPT for a lapsed
 * hold starts the wait but leaves the newer SETUP's hold alone.
 */
static void
test_hold_owned_by_serial(void **state)
{
	(void)state;
	start(1, 0, 0); /* W1, serial FIRST */
	/* A REJECT naming W1 for a serial that never held it (a replayed or stray reply). */
	assert_false(dns_pending_reject(p, wp, FIRST_SERIAL + 50, W1, 5 * MS));
	assert_int_equal(stats.c[DNS_CTR_SETUP_REPLY_UNKNOWN], 1);
	assert_int_equal(wp->addrs[0].hold_until, 700 * MS);
	start(2, 1, 6 * MS);
	assert_int_equal(fake.setups[1].waypoint, W2);
	/* The first SETUP times out: its hold lapses (the lookup moves on to W3). */
	dns_pending_run(p, wp, 700 * MS);
	assert_int_equal(fake.setups[2].waypoint, W3);
	start(3, 2, 701 * MS);
	assert_int_equal(fake.setups[3].waypoint, W1);
	assert_int_equal(wp->addrs[0].hold_serial, FIRST_SERIAL + 3);
	/* The first SETUP's ACCEPT comes late: it answers, W1 is waiting, the hold stays. */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 2000, 750 * MS));
	assert_int_equal(reply_waypoint(0), W1);
	assert_int_equal(wp->addrs[0].wait_until, 2750 * MS + GUARD(2000 * MS));
	assert_int_equal(wp->addrs[0].hold_serial, FIRST_SERIAL + 3);
	assert_int_equal(wp->addrs[0].hold_until, 1401 * MS);
}

/*
 * An unanswered SETUP is not held against an appliance that has replied since it was sent
 * (a wait state, perhaps another front end's, or one lost datagram); one sent after the
 * appliance's latest reply still counts.
 */
static void
test_silence_after_reply_excused(void **state)
{
	(void)state;
	start(1, 0, 0);      /* W1, appliance 0 */
	start(2, 1, 0);      /* W2, appliance 0 */
	assert_true(dns_pending_accept(p, wp, FIRST_SERIAL + 1, W2, 2000, 100 * MS));
	dns_pending_run(p, wp, 700 * MS);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT], 1);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT_EXCUSED], 1);
	assert_int_equal(wp->servers[0].fails, 0);
	assert_int_equal(fake.setups[2].waypoint, W3); /* appliance 1 */
	/* W1's hold lapsed: a new lookup uses it, and nothing is heard from appliance 0 again. */
	start(3, 2, 800 * MS);
	assert_int_equal(fake.setups[3].waypoint, W1);
	dns_pending_run(p, wp, 1400 * MS); /* W3: appliance 1 never answered */
	assert_int_equal(wp->servers[1].fails, 1);
	dns_pending_run(p, wp, 1500 * MS); /* W1 again: counted */
	assert_int_equal(wp->servers[0].fails, 1);
	assert_int_equal(stats.c[DNS_CTR_SETUP_TIMEOUT_EXCUSED], 1);
	assert_int_equal(stats.c[DNS_CTR_WAYPOINT_DOWN], 0);
}

/*
 * A reply for a query already given up is no answer to anyone, but it is still news: the
 * appliance is alive (no longer down) and W has started its wait.
 */
static void
test_late_reply_after_give_up(void **state)
{
	(void)state;
	start(1, 0, 0);
	dns_pending_run(p, wp, 700 * MS);
	dns_pending_run(p, wp, 1400 * MS); /* W1, W2 unanswered: appliance 0 down */
	assert_int_equal(stats.c[DNS_CTR_WAYPOINT_DOWN], 1);
	dns_pending_run(p, wp, 3000 * MS);
	assert_int_equal(stats.c[DNS_CTR_HELD_GAVE_UP], 1);
	assert_false(dns_pending_accept(p, wp, FIRST_SERIAL, W1, 2000, 3100 * MS));
	assert_int_equal(stats.c[DNS_CTR_SETUP_REPLY_UNKNOWN], 1);
	assert_int_equal(wp->servers[0].down_until, 0);
	assert_int_equal(wp->servers[0].last_reply, 3100 * MS);
	assert_int_equal(wp->addrs[0].wait_until, 5100 * MS + GUARD(2000 * MS));
	start(2, 1, 3200 * MS);
	assert_int_equal(fake.setups[3].waypoint, W2);
	/* A reply naming an address nobody serves changes nothing. */
	assert_false(dns_pending_reject(p, wp, FIRST_SERIAL + 9, 0x01020304, 3300 * MS));
}

static void
test_random_choice_and_serials(void **state)
{
	unsigned int i;

	(void)state;
	/* The random value picks among usable addresses, in order. */
	fake.pick = 2;
	start(1, 0, 0);
	assert_int_equal(fake.setups[0].waypoint, W3);
	fake.pick = 1;
	assert_true(dns_pending_reject(p, wp, FIRST_SERIAL, W3, 1 * MS));
	assert_int_equal(fake.setups[1].waypoint, W2); /* W1, W2 left: index 1 */
	for (i = 1; i < fake.n_setups; i++)
		assert_true(fake.setups[i].serial > fake.setups[i - 1].serial);
	assert_int_equal(dns_pending_next_serial(p), FIRST_SERIAL + 2);
}

static void
test_create_validates(void **state)
{
	struct dns_pending_params bad = {
		.capacity = 4, .max_attempts = 9, .attempt_timeout_us = 1, .hold_time_us = 1,
		.rnd = fake_random, .ops = &ops, .stats = &stats,
	};

	(void)state;
	assert_null(dns_pending_create(&bad));
	bad.max_attempts = 1;
	bad.capacity = 0;
	assert_null(dns_pending_create(&bad));
	bad.capacity = 1;
	bad.rnd = NULL;
	assert_null(dns_pending_create(&bad));
	assert_null(dns_pending_create(NULL));
	dns_pending_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_accept_answers),
		T(test_reject_tries_next),
		T(test_timeouts_then_give_up),
		T(test_late_accept_of_earlier_attempt),
		T(test_reply_naming_wrong_waypoint),
		T(test_all_rejected),
		T(test_reject_of_older_attempt),
		T(test_table_full),
		T(test_no_waypoint),
		T(test_send_error_moves_on),
		T(test_unsent_reported_from_callback),
		T(test_unsent_frees_address),
		T(test_unsent_after_sent),
		T(test_coalesce_retransmission),
		T(test_waypoint_marked_down),
		T(test_wait_state_skipped),
		T(test_waits_for_a_free_waypoint),
		T(test_delayed_setup_holds_address),
		T(test_reject_releases_hold),
		T(test_hold_owned_by_serial),
		T(test_silence_after_reply_excused),
		T(test_late_reply_after_give_up),
		T(test_random_choice_and_serials),
		cmocka_unit_test(test_create_validates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
