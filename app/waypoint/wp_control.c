/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore: the single writer of every shared table. It receives what the workers
 * hand over (control messages, ARP, packets that need a wait machine, packets for unresolved
 * next hops), answers SETUP with ACCEPT or REJECT, runs the wait machine of every waypoint
 * address (Figure 6), records reject periods and penalties, creates bindings, ages bindings
 * and blocks out a bounded number per loop, runs the neighbour timers, and reclaims deleted
 * entries once the workers have moved past them. It never waits for a worker.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "aves_build.h"
#include "wp.h"

struct wp_control {
	struct wp_lcore lc;
	struct aves_replay *replay;		/* SETUP replay windows per (key, origin) */
	struct aves_ctrl_keyset keyset;
	struct aves_ctrl_rx rx;
	struct aves_ctrl_serial serial;		/* of ACCEPT and REJECT */
	const struct aves_key *reply_key;
	struct aves_wait *waits;		/* one machine per waypoint address */
	uint32_t n_waiting;
	uint32_t bind_cursor, block_cursor;
	unsigned int backlog;			/* descriptors left in the ring at the last take */
	uint64_t next_sweep_ms;			/* aging rounds are paced by time, not by poll */
	uint64_t next_log_ms;
	/* ACCEPT/REJECT of this poll, tagged in one burst when the poll ends. */
	unsigned int n_replies;
	struct aves_ctrl_msg reply_msg[WP_BURST_MAX];
	struct wp_reply {
		uint32_t dst;
		uint16_t dport;
	} replies[WP_BURST_MAX];
	struct aves_idle idle;
	struct aves_clock clock;
};

struct wp_control *
wp_control_create(struct wp_app *app, const struct wp_config *cfg, uint64_t wall_us)
{
	struct wp_control *c = rte_zmalloc("wp_control", sizeof(*c), RTE_CACHE_LINE_SIZE);
	uint32_t i;

	if (c == NULL)
		return NULL;
	if (wp_lcore_init(&c->lc, app, app->base.n_workers, true, wall_us) != 0) {
		rte_free(c);
		return NULL;
	}
	c->replay = aves_replay_create(cfg->replay_windows);
	c->waits = rte_zmalloc("wp_waits", app->n_addrs * sizeof(c->waits[0]), 0);
	c->reply_key = aves_keyring_find(app->service_keys, app->reply_key_id);
	if (c->replay == NULL || c->waits == NULL || c->reply_key == NULL) {
		wp_control_free(c);
		return NULL;
	}
	for (i = 0; i < app->n_addrs; i++)
		aves_wait_init(&c->waits[i]);
	c->keyset = (struct aves_ctrl_keyset){
		.keyring = app->service_keys,
		.types = AVES_CTRL_TYPE_BIT(AVES_CTRL_SETUP),
		.replay = c->replay,
	};
	c->rx = (struct aves_ctrl_rx){
		.auth = c->lc.core.auth,
		.keysets = &c->keyset,
		.n_keysets = 1,
		.start_ms = wall_us / 1000,
		.max_skew_ms = cfg->max_skew_ms,
	};
	aves_ctrl_serial_init(&c->serial, wall_us);
	aves_idle_init(&c->idle, app->base.idle_pause_after, app->base.idle_sleep_after,
		       app->base.idle_sleep_us);
	aves_clock_init(&c->clock);
	return c;
}

void
wp_control_free(struct wp_control *c)
{
	if (c == NULL)
		return;
	wp_lcore_fini(&c->lc);
	aves_replay_free(c->replay);
	rte_free(c->waits);
	rte_free(c);
}

const struct aves_wait *
wp_control_wait(const struct wp_control *c, uint32_t w)
{
	return &c->waits[w];
}

/* ---------------------------------------------------------------------------------------- */
/* Bindings and blocks (this lcore is their only writer)                                     */
/* ---------------------------------------------------------------------------------------- */

/* E(W, S) if it exists and has not expired; an expired one is deleted on the spot. */
static struct wp_binding *
binding_find(struct wp_control *c, uint32_t w, uint32_t src, uint64_t now)
{
	struct wp_app *app = c->lc.app;
	const struct aves_wp_key key __rte_aligned(8) = aves_wp_key_make(app->addrs[w].addr, src);
	struct wp_binding *e = aves_table_lookup(app->bindings, &key);

	if (e != NULL && wp_binding_live(app, e, now) == NULL) {
		aves_table_del(app->bindings, &key);
		c->lc.st->ctr[WP_CTR_BINDINGS_EXPIRED]++;
		return NULL;
	}
	return e;
}

/* Create E(W, S) = @p b: filled, then published. NULL when the table is full. */
static struct wp_binding *
binding_create(struct wp_control *c, uint32_t w, uint32_t src, const struct aves_binding *b,
	       uint64_t now)
{
	struct wp_app *app = c->lc.app;
	const struct aves_wp_key key __rte_aligned(8) = aves_wp_key_make(app->addrs[w].addr, src);
	const struct aves_key *gw_key = aves_keyring_find(app->gateway_keys, b->gw_key_id);
	struct wp_binding *e;
	void *slot;

	if (gw_key == NULL || aves_table_reserve(app->bindings, &slot) != 0) {
		c->lc.st->ctr[WP_CTR_BINDING_TABLE_FULL]++;
		return NULL;
	}
	e = slot;
	e->b = *b;
	e->key = gw_key;
	e->w = w;
	aves_live_init(&e->live, 0, now);
	if (aves_table_publish(app->bindings, &key, e) != 0) {
		c->lc.st->ctr[WP_CTR_BINDING_TABLE_FULL]++;
		return NULL;
	}
	c->lc.st->ctr[WP_CTR_BINDINGS_CREATED]++;
	c->lc.actr[w].binds++;
	return e;
}

/* Record that S is blocked at W until @p until. Published entries are immutable: a block
 * already there is replaced by a new entry (the rules only ask when none is in force). */
static void
block_record(struct wp_control *c, uint32_t w, uint32_t src, enum aves_block_kind kind,
	     uint64_t until)
{
	struct wp_app *app = c->lc.app;
	const struct aves_wp_key key __rte_aligned(8) = aves_wp_key_make(app->addrs[w].addr, src);
	struct aves_block *b;
	void *slot;

	aves_table_del(app->blocks, &key);
	if (aves_table_reserve(app->blocks, &slot) != 0) {
		c->lc.st->ctr[WP_CTR_BLOCK_TABLE_FULL]++;
		return;
	}
	b = slot;
	b->until_ms = until;
	b->kind = (uint8_t)kind;
	if (aves_table_publish(app->blocks, &key, b) != 0) {
		c->lc.st->ctr[WP_CTR_BLOCK_TABLE_FULL]++;
		return;
	}
	c->lc.st->ctr[WP_CTR_BLOCKS_RECORDED]++;
}

static enum aves_block_kind
block_status(struct wp_control *c, uint32_t w, uint32_t src, uint64_t now)
{
	struct wp_app *app = c->lc.app;
	const struct aves_wp_key key __rte_aligned(8) = aves_wp_key_make(app->addrs[w].addr, src);

	if (aves_table_count(app->blocks) == 0)
		return AVES_BLOCK_NONE; /* the normal case: nobody rejected or penalised */
	return aves_block_status(aves_table_lookup(app->blocks, &key), now);
}

/* Carry out what the machine of W asked for besides the verdict. */
static void
apply_result(struct wp_control *c, uint32_t w, uint32_t src, const struct aves_wait_result *r)
{
	struct wp_app *app = c->lc.app;
	unsigned int i;

	if (r->wait_ended) {
		for (i = 0; i < r->n_rejected; i++)
			block_record(c, w, r->rejected[i], AVES_BLOCK_REJECT, r->reject_until_ms);
		atomic_store_explicit(&app->addrs[w].wait_until_ms, 0, memory_order_release);
		c->n_waiting--;
		c->lc.st->ctr[WP_CTR_WAITS_ENDED]++;
	}
	if (r->block != AVES_BLOCK_NONE)
		block_record(c, w, src, r->block, r->block_until_ms);
}

/* ---------------------------------------------------------------------------------------- */
/* Packets for the wait machines                                                             */
/* ---------------------------------------------------------------------------------------- */

/*
 * A packet to W that a worker could not judge alone. The worker looked its source up before
 * handing it over; look again here, now that every earlier decision for W is in the tables:
 * a binding made for an earlier packet of the same source is found, and it is forwarded
 * through it instead of being bound twice.
 */
static void
decide(struct wp_control *c, struct rte_mbuf *m, uint32_t w, uint64_t now)
{
	struct wp_lcore *lc = &c->lc;
	struct wp_app *app = lc->app;
	struct aves_wait_result res;
	struct aves_wait_event ev;
	struct wp_binding *e;
	struct aves_pkt pkt;

	if (w >= app->n_addrs ||
	    aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			    RTE_ETHER_HDR_LEN, 0, &pkt) != AVES_PARSE_OK) {
		wp_drop(lc, WP_CTR_CTRL_MALFORMED, m);
		return;
	}
	e = binding_find(c, w, pkt.key.src, now);
	memset(&ev, 0, sizeof(ev));
	ev.type = wp_new_connection(&pkt) ? AVES_WAIT_EV_NEW_CONNECTION : AVES_WAIT_EV_PACKET;
	ev.src = pkt.key.src;
	ev.src_entry = e != NULL ? &e->b : NULL;
	ev.src_block = block_status(c, w, pkt.key.src, now);
	aves_wait_step(&c->waits[w], &app->base.timers, &ev, now, &res);
	apply_result(c, w, pkt.key.src, &res);

	switch (res.verdict) {
	case AVES_VERDICT_BIND:
		e = binding_create(c, w, pkt.key.src, &res.bind, now);
		if (e == NULL) {
			wp_discard(lc, m, w, AVES_VERDICT_BIND, false, now);
			return;
		}
		break;
	case AVES_VERDICT_FORWARD:
		break;
	default:
		wp_discard(lc, m, w, res.verdict, res.send_icmp, now);
		return;
	}
	lc->st->verdict[res.verdict]++;
	aves_live_touch(&e->live, pkt.key.proto,
			rte_be_to_cpu_16(pkt.key.dport), now);
	wp_fwd_prepare(lc, m, &pkt, e, now);
}

/* End the waits that are due (Figure 6's exit), releasing their violators into rejects. */
static unsigned int
tick_waits(struct wp_control *c, uint64_t now)
{
	struct wp_app *app = c->lc.app;
	struct aves_wait_result res;
	unsigned int n = 0;
	uint32_t w;

	for (w = 0; w < app->n_addrs && c->n_waiting != 0; w++) {
		if (aves_wait_deadline(&c->waits[w]) > now)
			continue;
		aves_wait_tick(&c->waits[w], &app->base.timers, now, &res);
		apply_result(c, w, 0, &res);
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------------------------------- */
/* SETUP -> ACCEPT / REJECT                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Queue an ACCEPT or REJECT of @p setup_serial to (dst, dport); replies_flush() sends it. */
static void
reply(struct wp_control *c, uint8_t type, uint64_t setup_serial, uint32_t waypoint,
      uint32_t wait_ms, uint16_t reason, uint32_t dst, uint16_t dport, uint64_t wall_ms)
{
	struct wp_lcore *lc = &c->lc;
	struct aves_ctrl_msg *msg;

	/* A take holds at most WP_BURST_MAX messages, each answered at most once: the queue
	 * cannot fill, but an index is checked rather than assumed. */
	if (c->n_replies == RTE_DIM(c->replies)) {
		lc->st->ctr[WP_CTR_REPLY_FAILED]++;
		return;
	}
	msg = &c->reply_msg[c->n_replies];
	memset(msg, 0, sizeof(*msg));
	if (aves_ctrl_serial_next(&c->serial, &msg->serial) != 0) {
		lc->st->ctr[WP_CTR_REPLY_FAILED]++;
		return;
	}
	msg->type = type;
	msg->origin = lc->app->control_addr;
	msg->timestamp_ms = wall_ms;
	if (type == AVES_CTRL_ACCEPT)
		msg->body.accept = (struct aves_ctrl_accept){ .request_serial = setup_serial,
							      .waypoint = waypoint,
							      .wait_ms = wait_ms };
	else
		msg->body.reject = (struct aves_ctrl_reject){ .request_serial = setup_serial,
							      .waypoint = waypoint,
							      .reason = reason };
	c->replies[c->n_replies].dst = dst;
	c->replies[c->n_replies].dport = dport;
	c->n_replies++;
}

/* Tag every queued reply in one burst and send them. */
static void
replies_flush(struct wp_control *c, uint64_t now)
{
	struct wp_lcore *lc = &c->lc;
	struct wp_app *app = lc->app;
	const struct aves_key *keys[WP_BURST_MAX];
	uint8_t bufs[WP_BURST_MAX][AVES_CTRL_MAX_LEN];
	int lens[WP_BURST_MAX];
	unsigned int i, n = c->n_replies;

	if (n == 0)
		return;
	c->n_replies = 0;
	for (i = 0; i < n; i++)
		keys[i] = c->reply_key;
	aves_ctrl_encode_burst(lc->core.auth, keys, c->reply_msg, n, bufs, lens);
	for (i = 0; i < n; i++) {
		const struct wp_reply *r = &c->replies[i];
		const struct aves_ctrl_msg *msg = &c->reply_msg[i];
		struct rte_mbuf *m;

		if (lens[i] < 0 ||
		    (m = aves_build_udp(app->base.pool, app->control_addr, app->control_port,
					r->dst, r->dport, bufs[i], (uint16_t)lens[i],
					lc->core.ip_id++)) == NULL) {
			lc->st->ctr[WP_CTR_REPLY_FAILED]++;
			continue;
		}
		if (msg->type == AVES_CTRL_ACCEPT) {
			lc->st->ctr[WP_CTR_ACCEPT_SENT]++;
		} else {
			lc->st->ctr[WP_CTR_REJECT_SENT]++;
			lc->st->reject[msg->body.reject.reason]++;
		}
		wp_send(lc, m, now);
	}
}

/* Fields a waypoint refuses although the codec accepted them (REJECT BAD_REQUEST). */
static bool
setup_sane(const struct wp_app *app, const struct aves_ctrl_setup *s)
{
	uint32_t value;

	return !aves_ipv4_martian_src(s->initiator) && !aves_ipv4_martian_src(s->gateway) &&
	       !aves_ipv4_martian_src(s->responder) &&
	       aves_addr_map_lookup(app->base.local, s->gateway, &value) != 0;
}

static void
setup_input(struct wp_control *c, const struct aves_ctrl_msg *msg, uint32_t from,
	    uint16_t from_port, uint64_t now, uint64_t wall_ms)
{
	struct wp_lcore *lc = &c->lc;
	struct wp_app *app = lc->app;
	const struct aves_ctrl_setup *s = &msg->body.setup;
	struct aves_wait_result res;
	struct aves_wait_event ev;
	struct wp_binding *e;
	struct aves_wait *machine;
	uint16_t reason = 0;
	int w = wp_app_addr_index(app, s->waypoint);

#define REJECT_(r) do { reason = AVES_CTRL_REASON_##r; goto rejected; } while (0)
	if (w < 0)
		REJECT_(UNKNOWN_WAYPOINT);
	if (aves_keyring_find(app->gateway_keys, s->gw_key_id) == NULL)
		REJECT_(UNKNOWN_KEY);
	if (!setup_sane(app, s))
		REJECT_(BAD_REQUEST);
	/* More than three quarters of the ring still to read: tell the DNS front end to try
	 * another waypoint now rather than after its timeout. */
	if ((uint64_t)c->backlog * 4 > (uint64_t)app->base.punt_ring_size * 3)
		REJECT_(OVERLOAD);

	machine = &c->waits[w];
	/* A wait that is over ends first, so the checks below see W as it is at now. */
	aves_wait_tick(machine, &app->base.timers, now, &res);
	apply_result(c, (uint32_t)w, 0, &res);

	memset(&ev, 0, sizeof(ev));
	ev.setup = (struct aves_binding){ .nat = s->gateway, .responder = s->responder,
					  .gw_key_id = s->gw_key_id, .gw_port = s->gw_port };
	if (s->mode == AVES_CTRL_MODE_DELAYED) {
		/* A wait with no room to bind in would only delay the initiator's failure. */
		if (machine->state == AVES_WAIT_IDLE &&
		    aves_table_count(app->bindings) >= aves_table_capacity(app->bindings))
			REJECT_(TABLE_FULL);
		ev.type = AVES_WAIT_EV_SETUP_DELAYED;
		ev.src = s->initiator;
	} else {
		e = binding_find(c, (uint32_t)w, s->initiator, now);
		ev.type = AVES_WAIT_EV_SETUP_INTRANET;
		ev.src = s->initiator;
		ev.src_entry = e != NULL ? &e->b : NULL;
		ev.src_block = block_status(c, (uint32_t)w, s->initiator, now);
	}
	aves_wait_step(machine, &app->base.timers, &ev, now, &res);
	apply_result(c, (uint32_t)w, s->initiator, &res);
	lc->st->verdict[res.verdict]++;

	switch (res.verdict) {
	case AVES_VERDICT_SETUP_ACCEPT_WAIT:
		atomic_store_explicit(&app->addrs[w].wait_until_ms, machine->until_ms,
				      memory_order_release);
		c->n_waiting++;
		lc->st->ctr[WP_CTR_WAITS_STARTED]++;
		reply(c, AVES_CTRL_ACCEPT, msg->serial, s->waypoint, app->base.timers.twait_ms, 0, from,
		      from_port, wall_ms);
		return;
	case AVES_VERDICT_SETUP_ACCEPT_NEW:
		if (binding_create(c, (uint32_t)w, s->initiator, &res.bind, now) == NULL)
			REJECT_(TABLE_FULL);
		/* fall through */
	case AVES_VERDICT_SETUP_ACCEPT_SAME:
		reply(c, AVES_CTRL_ACCEPT, msg->serial, s->waypoint, 0, 0, from, from_port, wall_ms);
		return;
	case AVES_VERDICT_SETUP_REJECT_ADMISSION:
		REJECT_(ADMISSION);
	case AVES_VERDICT_SETUP_REJECT_BLOCKED:
		REJECT_(INITIATOR_BLOCKED);
	default:
		return; /* SETUP_IGNORED: W is waiting, nothing is sent (§5.2) */
	}
#undef REJECT_
rejected:
	reply(c, AVES_CTRL_REJECT, msg->serial, s->waypoint, 0, reason, from, from_port, wall_ms);
}

/* What the control datagrams of one take decoded to (control_decode()). */
struct ctrl_batch {
	uint8_t setup_of[WP_BURST_MAX];		/* per punt: index of its SETUP, or NO_SETUP */
	struct aves_ctrl_dgram in[WP_BURST_MAX];
	struct aves_ctrl_msg msg[WP_BURST_MAX];
	enum aves_ctrl_verdict verdict[WP_BURST_MAX];
	uint32_t from[WP_BURST_MAX];		/* network order */
	uint16_t from_port[WP_BURST_MAX];	/* host order */
};
#define NO_SETUP UINT8_MAX
static_assert(WP_BURST_MAX < NO_SETUP, "setup_of holds every index");

/*
 * Decode every control datagram of a take (UDP to the control address and port: the worker
 * checked that much) with one MAC burst, and free them; the SETUPs among them are acted on
 * afterwards in their place in the take (b->setup_of).
 */
static void
control_decode(struct wp_control *c, const struct aves_punt *d, unsigned int n,
	       uint64_t wall_ms, struct ctrl_batch *b)
{
	struct wp_lcore *lc = &c->lc;
	unsigned int i, k, n_in = 0;
	struct aves_pkt pkt;

	for (i = 0; i < n; i++) {
		const uint8_t *data;

		b->setup_of[i] = NO_SETUP;
		if (d[i].kind != WP_PUNT_CTRL)
			continue;
		data = rte_pktmbuf_mtod(d[i].m, const uint8_t *);
		if (aves_parse_ipv4(data, rte_pktmbuf_data_len(d[i].m), RTE_ETHER_HDR_LEN, 0, &pkt) !=
			    AVES_PARSE_OK ||
		    pkt.key.proto != IPPROTO_UDP) {
			wp_drop(lc, WP_CTR_CTRL_MALFORMED, d[i].m);
			continue;
		}
		b->in[n_in] = (struct aves_ctrl_dgram){
			.buf = data + pkt.payload_off,
			.len = (size_t)(pkt.l3_off + pkt.ip_len - pkt.payload_off) };
		b->from[n_in] = pkt.key.src;
		b->from_port[n_in] = rte_be_to_cpu_16(pkt.key.sport);
		b->setup_of[i] = (uint8_t)n_in++;
	}
	if (n_in == 0)
		return;
	aves_ctrl_decode_burst(&c->rx, b->in, n_in, wall_ms, b->msg, b->verdict);
	for (i = 0; i < n; i++) {
		if (b->setup_of[i] == NO_SETUP)
			continue;
		k = b->setup_of[i];
		lc->st->ctrl[b->verdict[k]]++;
		if (b->verdict[k] != AVES_CTRL_RX_OK || b->msg[k].type != AVES_CTRL_SETUP) {
			b->setup_of[i] = NO_SETUP;
			wp_drop(lc, WP_CTR_CTRL_INVALID, d[i].m);
			continue;
		}
		rte_pktmbuf_free(d[i].m);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Aging                                                                                     */
/* ---------------------------------------------------------------------------------------- */

struct sweep_ctx {
	struct wp_control *c;
	uint64_t now;
};

static unsigned int
binding_expire(void *arg, const void *key, void *entry)
{
	const struct sweep_ctx *x = arg;
	struct wp_app *app = x->c->lc.app;

	if (wp_binding_live(app, entry, x->now) != NULL)
		return 0;
	aves_table_del(app->bindings, key);
	x->c->lc.st->ctr[WP_CTR_BINDINGS_EXPIRED]++;
	return 1;
}

static unsigned int
sweep_bindings(struct wp_control *c, uint64_t now)
{
	struct sweep_ctx x = { c, now };

	return aves_table_sweep(c->lc.app->bindings, &c->bind_cursor, c->lc.app->base.sweep_budget,
				false, binding_expire, &x);
}

static unsigned int
block_expire(void *arg, const void *key, void *entry)
{
	const struct sweep_ctx *x = arg;

	if (aves_block_status(entry, x->now) != AVES_BLOCK_NONE)
		return 0;
	aves_table_del(x->c->lc.app->blocks, key);
	x->c->lc.st->ctr[WP_CTR_BLOCKS_EXPIRED]++;
	return 1;
}

static unsigned int
sweep_blocks(struct wp_control *c, uint64_t now)
{
	struct sweep_ctx x = { c, now };

	return aves_table_sweep(c->lc.app->blocks, &c->block_cursor, c->lc.app->base.sweep_budget,
				false, block_expire, &x);
}

/* ---------------------------------------------------------------------------------------- */
/* The loop                                                                                  */
/* ---------------------------------------------------------------------------------------- */

unsigned int
wp_control_poll(struct wp_control *c, uint64_t now, uint64_t wall_ms)
{
	struct wp_lcore *lc = &c->lc;
	struct wp_app *app = lc->app;
	struct aves_punt d[WP_BURST_MAX];
	struct ctrl_batch ctrl;
	unsigned int n, i, k, work;

	aves_lcore_burst_begin(&lc->core);
	n = aves_punt_take(app->base.punt, d, app->base.burst, &c->backlog);
	control_decode(c, d, n, wall_ms, &ctrl);
	for (i = 0; i < n; i++) {
		switch (d[i].kind) {
		case WP_PUNT_CTRL:
			k = ctrl.setup_of[i];
			if (k != NO_SETUP)
				setup_input(c, &ctrl.msg[k], ctrl.from[k], ctrl.from_port[k], now,
					    wall_ms);
			break;
		case WP_PUNT_ARP:
			aves_neigh_arp_input(app->base.neigh, &lc->core.tx, d[i].port, d[i].m, now);
			break;
		case WP_PUNT_DECIDE:
			decide(c, d[i].m, d[i].arg, now);
			break;
		case WP_PUNT_HOLD:
			aves_neigh_output(app->base.neigh, &lc->core.tx, d[i].port, d[i].arg, d[i].m, now);
			break;
		default:
			wp_drop(lc, WP_CTR_CTRL_MALFORMED, d[i].m);
			break;
		}
	}
	work = n + tick_waits(c, now);
	work += aves_control_redirect(&app->base, &lc->st->ctr[WP_CTR_REDIRECT_FULL]);
	replies_flush(c, now);
	/* An aging round looks at up to sweep-budget x 64 slots: once per millisecond is enough
	 * (lookups never use an expired entry) and keeps it off the SETUP path. */
	if (now >= c->next_sweep_ms) {
		c->next_sweep_ms = now + 1;
		work += sweep_bindings(c, now) + sweep_blocks(c, now);
	}
	work += aves_neigh_timers(app->base.neigh, &lc->core.tx, now, app->base.sweep_budget);
	aves_table_reclaim(app->bindings);
	aves_table_reclaim(app->blocks);
	{
		struct aves_replay_stats rs;

		/* The replay table is this lcore's alone: publish its eviction count. */
		aves_replay_stats(c->replay, &rs);
		lc->st->ctr[WP_CTR_REPLAY_EVICTIONS] = rs.evictions;
	}
	wp_fwd_flush(lc, now);
	aves_tx_flush(&lc->core.tx);

	if (aves_control_summary_due(&app->base, &c->next_log_ms, now)) {
		char line[512];

		wp_summary(app, line, sizeof(line));
		WP_LOG(INFO, "%s", line);
	}
	return work;
}

void
wp_control_start(struct wp_control *c, uint64_t now)
{
	struct wp_app *app = c->lc.app;

	aves_control_resolve_gateways(&app->base, &c->lc.core.tx, now);
}

int
wp_control_main(void *arg)
{
	struct wp_control *c = arg;

	while (aves_running())
		aves_idle_poll(&c->idle,
			       wp_control_poll(c, aves_clock_ms(&c->clock), aves_wall_ms()));
	return 0;
}
