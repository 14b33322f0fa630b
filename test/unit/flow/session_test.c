/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The paper's session rules (lib/aves_flow/aves_session.h), no EAL.
 *
 * The wait-state tests drive the machine through a small model of the caller ("world"): a
 * binding table and a reject/penalty table for one waypoint address, looked up before every
 * event and updated from every result exactly as the header tells the caller to. So each
 * test states the paper's rule in terms of what happens to later packets, not in terms of
 * the machine's internals.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aves_session.h"

/* The paper's numbers, written out independently of the header's constants. */
#define SEC 1000ull
#define MIN (60ull * SEC)
#define HOUR (60ull * MIN)

#define T0 (1000ull * HOUR) /* an arbitrary start, far from 0 */

/* Addresses: opaque to the rules. */
enum {
	R1 = 0xc6336401, /* 198.51.100.1 */
	R2 = 0xc6336402,
	B1 = 0x0a000001,
	B2 = 0x0a000002,
};

#define WORLD_MAX 256

struct world {
	struct aves_wait w;
	struct aves_session_timers t;
	unsigned int n_entries, n_blocks;
	struct {
		uint32_t src;
		struct aves_binding b;
	} entries[WORLD_MAX];
	struct {
		uint32_t src;
		struct aves_block blk;
	} blocks[WORLD_MAX];
	struct aves_wait_result last;
};

static struct aves_binding
binding(uint32_t nat, uint32_t responder)
{
	return (struct aves_binding){ .nat = nat, .responder = responder, .gw_key_id = 7,
				      .gw_port = 4797 };
}

static const struct aves_binding *
world_entry(const struct world *x, uint32_t src)
{
	for (unsigned int i = 0; i < x->n_entries; i++)
		if (x->entries[i].src == src)
			return &x->entries[i].b;
	return NULL;
}

static void
world_bind(struct world *x, uint32_t src, const struct aves_binding *b)
{
	assert_null(world_entry(x, src)); /* the rules never bind a source twice */
	assert_true(x->n_entries < WORLD_MAX);
	x->entries[x->n_entries].src = src;
	x->entries[x->n_entries].b = *b;
	x->n_entries++;
}

static struct aves_block *
world_block(struct world *x, uint32_t src)
{
	for (unsigned int i = 0; i < x->n_blocks; i++)
		if (x->blocks[i].src == src)
			return &x->blocks[i].blk;
	return NULL;
}

static void
world_record_block(struct world *x, uint32_t src, enum aves_block_kind kind, uint64_t until)
{
	struct aves_block *b = world_block(x, src);

	if (b == NULL) {
		assert_true(x->n_blocks < WORLD_MAX);
		x->blocks[x->n_blocks].src = src;
		b = &x->blocks[x->n_blocks++].blk;
	}
	*b = (struct aves_block){ .until_ms = until, .kind = (uint8_t)kind };
}

static void
world_init(struct world *x)
{
	memset(x, 0, sizeof(*x));
	aves_wait_init(&x->w);
	aves_session_timers_default(&x->t);
}

/* Apply a result the way the header says a caller must. */
static void
world_apply(struct world *x, uint32_t src, const struct aves_wait_result *r)
{
	if (r->wait_ended)
		for (unsigned int i = 0; i < r->n_rejected; i++)
			world_record_block(x, r->rejected[i], AVES_BLOCK_REJECT,
					   r->reject_until_ms);
	if (r->verdict == AVES_VERDICT_BIND || r->verdict == AVES_VERDICT_SETUP_ACCEPT_NEW)
		world_bind(x, src, &r->bind);
	if (r->block != AVES_BLOCK_NONE)
		world_record_block(x, src, r->block, r->block_until_ms);
}

static enum aves_verdict
world_event(struct world *x, enum aves_wait_event_type type, uint32_t src,
	    const struct aves_binding *setup, uint64_t now)
{
	struct aves_wait_event ev = {
		.type = type,
		.src = src,
		.src_entry = world_entry(x, src),
		.src_block = aves_block_status(world_block(x, src), now),
	};

	if (setup != NULL)
		ev.setup = *setup;
	assert_int_equal(aves_wait_step(&x->w, &x->t, &ev, now, &x->last), 0);
	world_apply(x, src, &x->last);
	return x->last.verdict;
}

static enum aves_verdict
conn(struct world *x, uint32_t src, uint64_t now)
{
	return world_event(x, AVES_WAIT_EV_NEW_CONNECTION, src, NULL, now);
}

static enum aves_verdict
pkt(struct world *x, uint32_t src, uint64_t now)
{
	return world_event(x, AVES_WAIT_EV_PACKET, src, NULL, now);
}

static enum aves_verdict
setup_delayed(struct world *x, uint32_t nat, uint32_t responder, uint64_t now)
{
	struct aves_binding b = binding(nat, responder);

	return world_event(x, AVES_WAIT_EV_SETUP_DELAYED, 0x08080808 /* resolver */, &b, now);
}

static enum aves_verdict
setup_intranet(struct world *x, uint32_t initiator, uint32_t nat, uint32_t responder,
	       uint64_t now)
{
	struct aves_binding b = binding(nat, responder);

	return world_event(x, AVES_WAIT_EV_SETUP_INTRANET, initiator, &b, now);
}

static enum aves_verdict
tick(struct world *x, uint64_t now)
{
	assert_int_equal(aves_wait_tick(&x->w, &x->t, now, &x->last), 0);
	world_apply(x, 0, &x->last);
	return x->last.verdict;
}

static void
assert_bound_to(const struct world *x, uint32_t src, uint32_t nat, uint32_t responder)
{
	const struct aves_binding *b = world_entry(x, src);

	assert_non_null(b);
	assert_int_equal(b->nat, nat);
	assert_int_equal(b->responder, responder);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_timer_defaults(void **state)
{
	struct aves_session_timers t;
	const char *field = "x";

	(void)state;
	aves_session_timers_default(&t);
	assert_int_equal(t.twait_ms, 2 * SEC);
	assert_int_equal(t.treject_ms, 3 * MIN);
	assert_int_equal(t.penalty_ms, 3 * HOUR);
	assert_int_equal(t.idle_icmp_ms, 1 * MIN);
	assert_int_equal(t.idle_udp_ms, 15 * MIN);
	assert_int_equal(t.idle_tcp_ms, 30 * MIN);
	assert_int_equal(t.idle_other_ms, 15 * MIN);
	assert_int_equal(t.idle_http_ms, 20 * MIN);
	assert_int_equal(t.traceroute_icmp_ms, 5 * SEC);
	assert_int_equal(t.tcp_linger_ms, 10 * SEC);
	assert_int_equal(aves_session_timers_check(&t, &field), 0);
	assert_null(field);
}

static void
test_timer_check(void **state)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
#define F_(f) { #f, offsetof(struct aves_session_timers, f) }
		F_(twait_ms), F_(treject_ms), F_(penalty_ms), F_(idle_icmp_ms),
		F_(idle_udp_ms), F_(idle_tcp_ms), F_(idle_other_ms), F_(idle_http_ms),
		F_(traceroute_icmp_ms), F_(tcp_linger_ms),
#undef F_
	};
	struct aves_session_timers t;
	const char *field;

	(void)state;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t v;

		/* zero: refused except for the linger */
		aves_session_timers_default(&t);
		v = 0;
		memcpy((char *)&t + fields[i].offset, &v, sizeof(v));
		if (strcmp(fields[i].name, "tcp_linger_ms") == 0) {
			assert_int_equal(aves_session_timers_check(&t, &field), 0);
		} else {
			assert_int_equal(aves_session_timers_check(&t, &field), -EINVAL);
			assert_string_equal(field, fields[i].name);
		}
		/* above the maximum: refused */
		aves_session_timers_default(&t);
		v = AVES_TIMER_MS_MAX + 1;
		memcpy((char *)&t + fields[i].offset, &v, sizeof(v));
		assert_int_equal(aves_session_timers_check(&t, &field), -EINVAL);
		assert_string_equal(field, fields[i].name);
		/* exactly the maximum: accepted except Twait, which has its own */
		aves_session_timers_default(&t);
		v = AVES_TIMER_MS_MAX;
		memcpy((char *)&t + fields[i].offset, &v, sizeof(v));
		assert_int_equal(aves_session_timers_check(&t, NULL),
				 strcmp(fields[i].name, "twait_ms") == 0 ? -EINVAL : 0);
	}
	aves_session_timers_default(&t);
	t.twait_ms = 60 * SEC;
	assert_int_equal(aves_session_timers_check(&t, NULL), 0);
	t.twait_ms = 60 * SEC + 1;
	assert_int_equal(aves_session_timers_check(&t, &field), -EINVAL);
	assert_string_equal(field, "twait_ms");
	/* no ordering is imposed: a reject shorter than the wait is consistent */
	aves_session_timers_default(&t);
	t.treject_ms = 1;
	assert_int_equal(aves_session_timers_check(&t, NULL), 0);
	assert_int_equal(aves_session_timers_check(NULL, &field), -EINVAL);
}

static void
test_admission_rule(void **state)
{
	struct aves_binding e = binding(R1, B1);
	struct aves_binding other_fields = binding(R1, B1);

	(void)state;
	assert_int_equal(aves_admit(NULL, R1, B1), AVES_ADMIT_NEW);
	assert_int_equal(aves_admit(&e, R1, B1), AVES_ADMIT_SAME);
	assert_int_equal(aves_admit(&e, R2, B1), AVES_ADMIT_VIOLATION);
	assert_int_equal(aves_admit(&e, R1, B2), AVES_ADMIT_VIOLATION);
	assert_int_equal(aves_admit(&e, R2, B2), AVES_ADMIT_VIOLATION);
	/* only (R, B) take part: a gateway key rotation or port change is not a violation */
	other_fields.gw_key_id = 99;
	other_fields.gw_port = 1;
	assert_int_equal(aves_admit(&other_fields, R1, B1), AVES_ADMIT_SAME);
}

static void
test_block_status(void **state)
{
	struct aves_block b = { .until_ms = T0 + 100, .kind = AVES_BLOCK_PENALTY };

	(void)state;
	assert_int_equal(aves_block_status(NULL, T0), AVES_BLOCK_NONE);
	assert_int_equal(aves_block_status(&b, T0), AVES_BLOCK_PENALTY);
	assert_int_equal(aves_block_status(&b, T0 + 99), AVES_BLOCK_PENALTY);
	assert_int_equal(aves_block_status(&b, T0 + 100), AVES_BLOCK_NONE);
	b.kind = AVES_BLOCK_REJECT;
	assert_int_equal(aves_block_status(&b, T0 + 99), AVES_BLOCK_REJECT);
}

static void
test_intranet_setup(void **state)
{
	struct world x;

	(void)state;
	world_init(&x);
	/* NEW: bound, with the SETUP's data-path fields */
	assert_int_equal(setup_intranet(&x, 0xA, R1, B1, T0), AVES_VERDICT_SETUP_ACCEPT_NEW);
	assert_bound_to(&x, 0xA, R1, B1);
	assert_int_equal(world_entry(&x, 0xA)->gw_key_id, 7);
	assert_int_equal(world_entry(&x, 0xA)->gw_port, 4797);
	/* SAME: accepted, nothing new */
	assert_int_equal(setup_intranet(&x, 0xA, R1, B1, T0 + 1), AVES_VERDICT_SETUP_ACCEPT_SAME);
	assert_int_equal(x.n_entries, 1);
	/* VIOLATION: a different responder, or the same responder behind a different NAT */
	assert_int_equal(setup_intranet(&x, 0xA, R1, B2, T0 + 2),
			 AVES_VERDICT_SETUP_REJECT_ADMISSION);
	assert_int_equal(setup_intranet(&x, 0xA, R2, B1, T0 + 3),
			 AVES_VERDICT_SETUP_REJECT_ADMISSION);
	assert_bound_to(&x, 0xA, R1, B1);
	/* another initiator may be bound to B2 through the same W at the same time */
	assert_int_equal(setup_intranet(&x, 0xD, R1, B2, T0 + 4), AVES_VERDICT_SETUP_ACCEPT_NEW);
	assert_bound_to(&x, 0xD, R1, B2);
	/* a blocked initiator is refused, whatever the rule would say */
	world_record_block(&x, 0xE, AVES_BLOCK_PENALTY, T0 + HOUR);
	assert_int_equal(setup_intranet(&x, 0xE, R1, B1, T0 + 5),
			 AVES_VERDICT_SETUP_REJECT_BLOCKED);
	world_record_block(&x, 0xA, AVES_BLOCK_REJECT, T0 + MIN);
	assert_int_equal(setup_intranet(&x, 0xA, R1, B1, T0 + 6),
			 AVES_VERDICT_SETUP_REJECT_BLOCKED);
	/* ... and accepted once the block is over */
	assert_int_equal(setup_intranet(&x, 0xA, R1, B1, T0 + MIN),
			 AVES_VERDICT_SETUP_ACCEPT_SAME);
	assert_null(world_entry(&x, 0xE));
	assert_int_equal(x.w.state, AVES_WAIT_IDLE);
	assert_false(x.last.send_icmp);
}

static void
test_setup_enters_wait_and_setups_ignored(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;

	(void)state;
	world_init(&x);
	assert_int_equal(aves_wait_deadline(&x.w), UINT64_MAX);
	assert_int_equal(setup_delayed(&x, R1, B1, T0), AVES_VERDICT_SETUP_ACCEPT_WAIT);
	assert_int_equal(x.w.state, AVES_WAIT_WAITING);
	assert_int_equal(aves_wait_deadline(&x.w), until);
	/* any SETUP while waiting: no reply, and the pending binding is untouched */
	assert_int_equal(setup_delayed(&x, R2, B2, T0 + 1), AVES_VERDICT_SETUP_IGNORED);
	assert_int_equal(setup_intranet(&x, 0xA, R2, B2, T0 + 2), AVES_VERDICT_SETUP_IGNORED);
	assert_null(world_entry(&x, 0xA));
	assert_int_equal(setup_delayed(&x, R2, B2, until - 1), AVES_VERDICT_SETUP_IGNORED);
	assert_int_equal(aves_wait_deadline(&x.w), until);
	assert_int_equal(conn(&x, 0xA, T0 + 3), AVES_VERDICT_BIND);
	assert_bound_to(&x, 0xA, R1, B1);
	assert_int_equal(x.w.stats.verdicts[AVES_VERDICT_SETUP_IGNORED], 3);
	assert_int_equal(x.w.stats.waits_entered, 1);
	/* at the wait's end the next SETUP is served again */
	assert_int_equal(setup_delayed(&x, R2, B2, until), AVES_VERDICT_SETUP_ACCEPT_WAIT);
	assert_true(x.last.wait_ended);
	assert_int_equal(aves_wait_deadline(&x.w), until + 2 * SEC);
}

/* An attacker's packet arrives first: Figure 6 binds it too, and the legitimate initiator
 * arriving later is still bound; the wait goes on. */
static void
test_attacker_first_both_bound(void **state)
{
	struct world x;

	(void)state;
	world_init(&x);
	setup_delayed(&x, R1, B1, T0);
	assert_int_equal(conn(&x, 0x66, T0 + 5), AVES_VERDICT_BIND);
	assert_false(x.last.send_icmp);
	assert_int_equal(x.w.state, AVES_WAIT_WAITING);
	assert_int_equal(conn(&x, 0xA, T0 + 400), AVES_VERDICT_BIND);
	assert_bound_to(&x, 0x66, R1, B1);
	assert_bound_to(&x, 0xA, R1, B1);
	/* a further new connection of the bound initiator: same binding, forwarded */
	assert_int_equal(conn(&x, 0xA, T0 + 500), AVES_VERDICT_FORWARD);
	assert_int_equal(x.w.state, AVES_WAIT_WAITING);
	assert_int_equal(x.n_entries, 2);
	/* after the wait both are ordinary bound initiators */
	assert_int_equal(pkt(&x, 0xA, T0 + 3 * SEC), AVES_VERDICT_FORWARD);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.n_rejected, 0);
	assert_int_equal(conn(&x, 0x66, T0 + 4 * SEC), AVES_VERDICT_FORWARD);
}

/* A penalised or rejected attacker is not bound (and not put in X); the initiator is. */
static void
test_blocked_attacker_not_bound(void **state)
{
	struct world x;

	(void)state;
	world_init(&x);
	/* the attacker scanned W outside a wait: penalised */
	assert_int_equal(conn(&x, 0x66, T0), AVES_VERDICT_DISCARD_STRAY);
	/* another was rejected after an earlier wait */
	world_record_block(&x, 0x77, AVES_BLOCK_REJECT, T0 + MIN);
	setup_delayed(&x, R1, B1, T0 + SEC);
	assert_int_equal(conn(&x, 0x66, T0 + SEC + 1), AVES_VERDICT_DISCARD_PENALISED);
	assert_false(x.last.send_icmp);
	assert_int_equal(conn(&x, 0x77, T0 + SEC + 2), AVES_VERDICT_DISCARD_REJECTED);
	assert_true(x.last.send_icmp);
	assert_int_equal(conn(&x, 0xA, T0 + SEC + 3), AVES_VERDICT_BIND);
	assert_null(world_entry(&x, 0x66));
	assert_null(world_entry(&x, 0x77));
	assert_bound_to(&x, 0xA, R1, B1);
	assert_int_equal(x.w.n_violators, 0);
	tick(&x, T0 + 3 * SEC);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.n_rejected, 0);
}

/* A violator (bound at W to another (R, B)) is discarded, put in X, and rejected for exactly
 * Treject from the wait's end — not before the end. */
static void
test_violator_rejected_after_exit(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;
	uint64_t reject_end = until + 3 * MIN;

	(void)state;
	world_init(&x);
	assert_int_equal(setup_intranet(&x, 0xB, R2, B2, T0 - MIN),
			 AVES_VERDICT_SETUP_ACCEPT_NEW);
	setup_delayed(&x, R1, B1, T0);
	assert_int_equal(conn(&x, 0xB, T0 + 10), AVES_VERDICT_DISCARD_VIOLATOR);
	assert_true(x.last.send_icmp);
	assert_int_equal(x.last.block, AVES_BLOCK_NONE); /* rejected on exit, not now */
	assert_null(world_block(&x, 0xB));
	/* retried: still a violator, recorded once */
	assert_int_equal(conn(&x, 0xB, T0 + 1010), AVES_VERDICT_DISCARD_VIOLATOR);
	assert_int_equal(x.w.n_violators, 1);
	/* its established connections to B2 still pass */
	assert_int_equal(pkt(&x, 0xB, T0 + 1500), AVES_VERDICT_FORWARD);
	assert_int_equal(conn(&x, 0xB, until - 1), AVES_VERDICT_DISCARD_VIOLATOR);
	assert_null(world_block(&x, 0xB));
	/* the wait ends at `until`; the event is then handled outside the wait */
	assert_int_equal(conn(&x, 0xB, until), AVES_VERDICT_DISCARD_REJECTED);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.n_rejected, 1);
	assert_int_equal(x.last.rejected[0], 0xB);
	assert_int_equal(x.last.reject_until_ms, reject_end);
	assert_true(x.last.send_icmp);
	assert_int_equal(conn(&x, 0xB, reject_end - 1), AVES_VERDICT_DISCARD_REJECTED);
	assert_int_equal(pkt(&x, 0xB, reject_end - 1), AVES_VERDICT_FORWARD);
	/* the reject ends exactly at Treject: the old binding is in force again */
	assert_int_equal(conn(&x, 0xB, reject_end), AVES_VERDICT_FORWARD);
	assert_bound_to(&x, 0xB, R2, B2);
	assert_int_equal(x.w.stats.rejected_on_exit, 1);
	assert_int_equal(x.w.stats.verdicts[AVES_VERDICT_DISCARD_VIOLATOR], 3);
}

/* The exit happens inside the call that handles an intranet SETUP for a member of X: the
 * SETUP is judged with the reject that begins at that moment. */
static void
test_exit_inside_setup_for_violator(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;

	(void)state;
	world_init(&x);
	setup_intranet(&x, 0xB, R2, B2, T0 - MIN);
	setup_delayed(&x, R1, B1, T0);
	conn(&x, 0xB, T0 + 1);
	assert_int_equal(setup_intranet(&x, 0xB, R2, B2, until),
			 AVES_VERDICT_SETUP_REJECT_BLOCKED);
	assert_true(x.last.wait_ended);
	/* another initiator in the same situation but not in X is served normally */
	setup_intranet(&x, 0xC, R2, B2, until + 1);
	assert_int_equal(x.last.verdict, AVES_VERDICT_SETUP_ACCEPT_NEW);
}

/* A flood of packets of every kind does not shorten the wait: it ends exactly at Twait. */
static void
test_flood_does_not_shorten_wait(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;

	(void)state;
	world_init(&x);
	for (uint32_t i = 0; i < 16; i++) /* some initiators bound elsewhere: violators */
		setup_intranet(&x, 0x1000 + i, R2, B2, T0 - MIN);
	setup_delayed(&x, R1, B1, T0);
	for (uint64_t now = T0; now < until; now += 10) {
		uint32_t src = (uint32_t)(now - T0) / 10;

		conn(&x, 0x2000 + src, now);			/* binds */
		conn(&x, 0x1000 + src % 16, now);		/* violates */
		pkt(&x, 0x9000 + src, now);			/* no entry: discarded */
		setup_delayed(&x, R2, B2, now);			/* ignored */
		assert_int_equal(x.last.verdict, AVES_VERDICT_SETUP_IGNORED);
		tick(&x, now);
		assert_int_equal(x.w.state, AVES_WAIT_WAITING);
	}
	assert_int_equal(conn(&x, 0xA, until - 1), AVES_VERDICT_BIND);
	assert_int_equal(tick(&x, until - 1), AVES_VERDICT_NONE);
	assert_false(x.last.wait_ended);
	assert_int_equal(x.w.state, AVES_WAIT_WAITING);
	assert_int_equal(tick(&x, until), AVES_VERDICT_NONE);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.n_rejected, 16);
	assert_int_equal(x.w.state, AVES_WAIT_IDLE);
	assert_bound_to(&x, 0xA, R1, B1);
	/* nothing sent during the wait was penalised */
	assert_null(world_block(&x, 0x9000));
	assert_int_equal(x.w.stats.verdicts[AVES_VERDICT_DISCARD_NO_ENTRY], 200);
}

static void
test_expiry_by_tick(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;

	(void)state;
	world_init(&x);
	setup_intranet(&x, 0xB, R2, B2, T0 - MIN);
	setup_delayed(&x, R1, B1, T0);
	conn(&x, 0xB, T0 + 1);
	tick(&x, until - 1);
	assert_false(x.last.wait_ended);
	assert_null(world_block(&x, 0xB));
	tick(&x, until);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.n_rejected, 1);
	assert_int_equal(x.last.reject_until_ms, until + 3 * MIN);
	assert_int_equal(aves_block_status(world_block(&x, 0xB), until), AVES_BLOCK_REJECT);
	assert_int_equal(x.w.state, AVES_WAIT_IDLE);
	assert_int_equal(aves_wait_deadline(&x.w), UINT64_MAX);
	/* one exit only */
	tick(&x, until + 1);
	assert_false(x.last.wait_ended);
	assert_int_equal(x.w.stats.waits_exited, 1);
}

/* Lazy expiry: an event long after the wait's end first ends the wait — with rejects
 * measured from the wait's fixed end, not from the late event — then is judged outside the
 * wait: an unknown source is now a stray, not bound. */
static void
test_expiry_lazy(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;
	uint64_t late = T0 + 1 * MIN;

	(void)state;
	world_init(&x);
	setup_intranet(&x, 0xB, R2, B2, T0 - MIN);
	setup_delayed(&x, R1, B1, T0);
	conn(&x, 0xB, T0 + 1);
	assert_int_equal(conn(&x, 0x55, late), AVES_VERDICT_DISCARD_STRAY);
	assert_true(x.last.wait_ended);
	assert_int_equal(x.last.reject_until_ms, until + 3 * MIN);
	assert_null(world_entry(&x, 0x55));
	assert_int_equal(aves_block_status(world_block(&x, 0x55), late), AVES_BLOCK_PENALTY);
	assert_int_equal(world_block(&x, 0x55)->until_ms, late + 3 * HOUR);
	assert_int_equal(aves_block_status(world_block(&x, 0xB), until + 3 * MIN - 1),
			 AVES_BLOCK_REJECT);
	assert_int_equal(aves_block_status(world_block(&x, 0xB), until + 3 * MIN),
			 AVES_BLOCK_NONE);
}

/* More violators than X holds: the overflow is rejected directly, with the same end, so
 * every violator is rejected. */
static void
test_violator_overflow(void **state)
{
	struct world x;
	uint64_t until = T0 + 2 * SEC;
	uint64_t reject_end = until + 3 * MIN;
	const uint32_t n = AVES_WAIT_VIOLATORS_MAX + 10;

	(void)state;
	world_init(&x);
	for (uint32_t i = 0; i < n; i++)
		setup_intranet(&x, 0x1000 + i, R2, B2, T0 - MIN);
	setup_delayed(&x, R1, B1, T0);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(conn(&x, 0x1000 + i, T0 + 1 + i), AVES_VERDICT_DISCARD_VIOLATOR);
		assert_true(x.last.send_icmp);
		if (i < AVES_WAIT_VIOLATORS_MAX) {
			assert_int_equal(x.last.block, AVES_BLOCK_NONE);
		} else {
			assert_int_equal(x.last.block, AVES_BLOCK_REJECT);
			assert_int_equal(x.last.block_until_ms, reject_end);
		}
	}
	assert_int_equal(x.w.n_violators, AVES_WAIT_VIOLATORS_MAX);
	assert_int_equal(x.w.stats.violator_overflow, 10);
	/* an overflowed violator retrying inside the wait: blocked, not counted again */
	assert_int_equal(conn(&x, 0x1000 + n - 1, T0 + 500), AVES_VERDICT_DISCARD_REJECTED);
	assert_true(x.last.send_icmp);
	assert_int_equal(x.w.stats.violator_overflow, 10);
	/* the legitimate initiator still binds */
	assert_int_equal(conn(&x, 0xA, T0 + 600), AVES_VERDICT_BIND);
	tick(&x, until);
	assert_int_equal(x.last.n_rejected, AVES_WAIT_VIOLATORS_MAX);
	for (uint32_t i = 0; i < n; i++) {
		const struct aves_block *b = world_block(&x, 0x1000 + i);

		assert_non_null(b);
		assert_int_equal(b->kind, AVES_BLOCK_REJECT);
		assert_int_equal(b->until_ms, reject_end);
		assert_int_equal(conn(&x, 0x1000 + i, reject_end - 1),
				 AVES_VERDICT_DISCARD_REJECTED);
	}
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(conn(&x, 0x1000 + i, reject_end), AVES_VERDICT_FORWARD);
}

/* Outside a wait: a source without state is penalised for 3 hours, silently. */
static void
test_stray_penalty(void **state)
{
	struct world x;
	uint64_t end = T0 + 3 * HOUR;

	(void)state;
	world_init(&x);
	assert_int_equal(conn(&x, 0x66, T0), AVES_VERDICT_DISCARD_STRAY);
	assert_false(x.last.send_icmp);
	assert_int_equal(x.last.block, AVES_BLOCK_PENALTY);
	assert_int_equal(x.last.block_until_ms, end);
	assert_int_equal(conn(&x, 0x66, end - 1), AVES_VERDICT_DISCARD_PENALISED);
	assert_false(x.last.send_icmp);
	assert_int_equal(x.last.block, AVES_BLOCK_NONE); /* not extended by its packets */
	assert_int_equal(pkt(&x, 0x66, end - 1), AVES_VERDICT_DISCARD_PENALISED);
	/* a penalised source is not bound by a wait that starts while it is penalised */
	setup_delayed(&x, R1, B1, end - 1000);
	assert_int_equal(conn(&x, 0x66, end - 999), AVES_VERDICT_DISCARD_PENALISED);
	assert_null(world_entry(&x, 0x66));
	tick(&x, end + 1000);
	/* the penalty ends at exactly 3 hours; a stray again is penalised again */
	assert_int_equal(pkt(&x, 0x66, end + 1000), AVES_VERDICT_DISCARD_STRAY);
	assert_int_equal(world_block(&x, 0x66)->until_ms, end + 1000 + 3 * HOUR);
	/* any packet without state counts, not only new connections */
	assert_int_equal(pkt(&x, 0x67, end + 2000), AVES_VERDICT_DISCARD_STRAY);
	/* bound sources are forwarded */
	setup_intranet(&x, 0xA, R1, B1, end + 3000);
	assert_int_equal(conn(&x, 0xA, end + 3001), AVES_VERDICT_FORWARD);
	assert_int_equal(pkt(&x, 0xA, end + 3002), AVES_VERDICT_FORWARD);
}

/* A packet that does not open a connection, without an entry, during a wait: discarded,
 * not penalised, not bound, not a violator. */
static void
test_packet_in_wait_not_penalised(void **state)
{
	struct world x;

	(void)state;
	world_init(&x);
	setup_delayed(&x, R1, B1, T0);
	assert_int_equal(pkt(&x, 0x55, T0 + 1), AVES_VERDICT_DISCARD_NO_ENTRY);
	assert_false(x.last.send_icmp);
	assert_int_equal(x.last.block, AVES_BLOCK_NONE);
	assert_null(world_entry(&x, 0x55));
	/* its SYN in the same wait binds it */
	assert_int_equal(conn(&x, 0x55, T0 + 2), AVES_VERDICT_BIND);
	/* a second source's stray ACK in the wait, then after it: penalised only then */
	assert_int_equal(pkt(&x, 0x56, T0 + 3), AVES_VERDICT_DISCARD_NO_ENTRY);
	assert_null(world_block(&x, 0x56));
	assert_int_equal(pkt(&x, 0x56, T0 + 2 * SEC), AVES_VERDICT_DISCARD_STRAY);
	assert_true(x.last.wait_ended);
}

/* Every duration comes from the configuration. */
static void
test_config_takes_effect(void **state)
{
	struct world x;

	(void)state;
	world_init(&x);
	x.t.twait_ms = 500;
	x.t.treject_ms = 1000;
	x.t.penalty_ms = 7000;
	assert_int_equal(aves_session_timers_check(&x.t, NULL), 0);
	setup_intranet(&x, 0xB, R2, B2, T0 - 1);
	setup_delayed(&x, R1, B1, T0);
	assert_int_equal(aves_wait_deadline(&x.w), T0 + 500);
	conn(&x, 0xB, T0 + 1);
	assert_int_equal(conn(&x, 0xA, T0 + 499), AVES_VERDICT_BIND);
	assert_int_equal(conn(&x, 0xC, T0 + 500), AVES_VERDICT_DISCARD_STRAY);
	assert_int_equal(x.last.reject_until_ms, T0 + 1500);
	assert_int_equal(world_block(&x, 0xC)->until_ms, T0 + 7500);
	assert_int_equal(conn(&x, 0xB, T0 + 1499), AVES_VERDICT_DISCARD_REJECTED);
	assert_int_equal(conn(&x, 0xB, T0 + 1500), AVES_VERDICT_FORWARD);
	assert_int_equal(conn(&x, 0xC, T0 + 7499), AVES_VERDICT_DISCARD_PENALISED);
	assert_int_equal(conn(&x, 0xC, T0 + 7500), AVES_VERDICT_DISCARD_STRAY);
}

static void
test_step_invalid(void **state)
{
	struct world x;
	struct aves_wait_event ev = { .type = AVES_WAIT_EV_EXPIRED };
	struct aves_wait_result r;

	(void)state;
	world_init(&x);
	assert_int_equal(aves_wait_step(&x.w, &x.t, &ev, T0, &r), -EINVAL);
	ev.type = AVES_WAIT_EV_MAX;
	assert_int_equal(aves_wait_step(&x.w, &x.t, &ev, T0, &r), -EINVAL);
	ev.type = (enum aves_wait_event_type)-1;
	assert_int_equal(aves_wait_step(&x.w, &x.t, &ev, T0, &r), -EINVAL);
	ev.type = AVES_WAIT_EV_TIME;
	assert_int_equal(aves_wait_step(NULL, &x.t, &ev, T0, &r), -EINVAL);
	assert_int_equal(aves_wait_step(&x.w, NULL, &ev, T0, &r), -EINVAL);
	assert_int_equal(aves_wait_step(&x.w, &x.t, NULL, T0, &r), -EINVAL);
	assert_int_equal(aves_wait_step(&x.w, &x.t, &ev, T0, NULL), -EINVAL);
	x.w.state = AVES_WAIT_STATE_MAX;
	assert_int_equal(aves_wait_step(&x.w, &x.t, &ev, T0, &r), -EINVAL);
}

static void
test_names(void **state)
{
	(void)state;
	for (int i = 0; i < AVES_VERDICT_MAX; i++) {
		const char *n = aves_verdict_name((enum aves_verdict)i);

		assert_non_null(n);
		assert_string_not_equal(n, "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, aves_verdict_name((enum aves_verdict)j));
	}
	assert_string_equal(aves_verdict_name(AVES_VERDICT_MAX), "?");
	assert_string_equal(aves_verdict_name(AVES_VERDICT_DISCARD_STRAY), "discard_stray");
	assert_string_equal(aves_wait_state_name(AVES_WAIT_WAITING), "waiting");
	assert_string_equal(aves_wait_state_name(AVES_WAIT_STATE_MAX), "?");
	assert_string_equal(aves_wait_event_name(AVES_WAIT_EV_NEW_CONNECTION), "new_connection");
	assert_string_equal(aves_wait_event_name(AVES_WAIT_EV_MAX), "?");
}

/* ---------------------------------------------------------------------------------------- */
/* Liveness                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Expires exactly `timeout` after the last packet: alive one millisecond before. */
static void
assert_expires_after(const struct aves_liveness *l, const struct aves_session_timers *t,
		     uint64_t last, uint64_t timeout)
{
	assert_int_equal(aves_live_deadline(l, t), last + timeout);
	assert_false(aves_live_expired(l, t, last + timeout - 1));
	assert_int_equal(aves_live_time_left(l, t, last + timeout - 1), 1);
	assert_true(aves_live_expired(l, t, last + timeout));
	assert_int_equal(aves_live_time_left(l, t, last + timeout), 0);
	assert_int_equal(aves_live_time_left(l, t, last), timeout);
}

static void
session_with(struct aves_liveness *l, const uint8_t *protos, const uint16_t *dports,
	     unsigned int n, uint64_t now)
{
	aves_live_init(l, 0, now - 1000);
	for (unsigned int i = 0; i < n; i++)
		aves_live_touch(l, protos[i], dports[i], now);
}

static void
test_idle_timeouts_by_class(void **state)
{
	static const struct {
		uint8_t protos[3];
		uint16_t dports[3];
		unsigned int n;
		uint64_t timeout;
	} cases[] = {
		{ { 1 }, { 0 }, 1, 1 * MIN },			/* ICMP */
		{ { 17 }, { 53 }, 1, 15 * MIN },		/* UDP */
		{ { 6 }, { 22 }, 1, 30 * MIN },			/* TCP */
		{ { 47 }, { 0 }, 1, 15 * MIN },			/* GRE: other */
		{ { 17, 1 }, { 53, 0 }, 2, 15 * MIN },		/* mixed */
		{ { 6, 17 }, { 22, 53 }, 2, 15 * MIN },		/* mixed */
		{ { 6 }, { 80 }, 1, 20 * MIN },			/* HTTP */
		{ { 6, 6 }, { 22, 80 }, 2, 20 * MIN },		/* HTTP among TCP */
		{ { 6, 1 }, { 80, 0 }, 2, 20 * MIN },		/* HTTP + ICMP: never below HTTP */
		{ { 17 }, { 80 }, 1, 15 * MIN },		/* UDP to port 80 is not HTTP */
		{ { 0 }, { 0 }, 0, 15 * MIN },			/* nothing seen yet */
	};
	struct aves_session_timers t;
	struct aves_liveness l;

	(void)state;
	aves_session_timers_default(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_with(&l, cases[i].protos, cases[i].dports, cases[i].n, T0);
		assert_expires_after(&l, &t, cases[i].n ? T0 : T0 - 1000, cases[i].timeout);
	}
	/* the gateway's traceroute ICMP entry: 5 seconds, whatever it carries */
	aves_live_init(&l, AVES_LIVE_TRACEROUTE, T0);
	assert_expires_after(&l, &t, T0, 5 * SEC);
	aves_live_touch(&l, 1, 0, T0 + 100);
	assert_expires_after(&l, &t, T0 + 100, 5 * SEC);
}

static void
test_idle_timeouts_configurable(void **state)
{
	struct aves_session_timers t = {
		.twait_ms = 1, .treject_ms = 1, .penalty_ms = 1,
		.idle_icmp_ms = 11, .idle_udp_ms = 12, .idle_tcp_ms = 13, .idle_other_ms = 14,
		.idle_http_ms = 9, .traceroute_icmp_ms = 3, .tcp_linger_ms = 2,
	};
	struct aves_liveness l;
	const uint8_t p_icmp[] = { 1 }, p_udp[] = { 17 }, p_tcp[] = { 6 }, p_gre[] = { 47 };
	const uint8_t p_http_udp[] = { 6, 17 };
	const uint16_t d0[] = { 0 }, d80[] = { 80, 0 };

	(void)state;
	assert_int_equal(aves_session_timers_check(&t, NULL), 0);
	session_with(&l, p_icmp, d0, 1, T0);
	assert_expires_after(&l, &t, T0, 11);
	session_with(&l, p_udp, d0, 1, T0);
	assert_expires_after(&l, &t, T0, 12);
	session_with(&l, p_tcp, d0, 1, T0);
	assert_expires_after(&l, &t, T0, 13);
	session_with(&l, p_gre, d0, 1, T0);
	assert_expires_after(&l, &t, T0, 14);
	session_with(&l, p_tcp, d80, 1, T0);
	assert_expires_after(&l, &t, T0, 9);
	/* HTTP + UDP: the larger of HTTP (9) and mixed (14) */
	session_with(&l, p_http_udp, d80, 2, T0);
	assert_expires_after(&l, &t, T0, 14);
	aves_live_init(&l, AVES_LIVE_TRACEROUTE, T0);
	assert_expires_after(&l, &t, T0, 3);
}

static void
test_touch_refreshes(void **state)
{
	struct aves_session_timers t;
	struct aves_liveness l;

	(void)state;
	aves_session_timers_default(&t);
	aves_live_init(&l, 0, T0);
	aves_live_touch(&l, 17, 53, T0);
	aves_live_touch(&l, 17, 53, T0 + 10 * MIN);
	assert_expires_after(&l, &t, T0 + 10 * MIN, 15 * MIN);
	/* a worker with an older clock does not move the time back */
	aves_live_touch(&l, 17, 53, T0 + 5 * MIN);
	assert_expires_after(&l, &t, T0 + 10 * MIN, 15 * MIN);
	assert_int_equal(l.born_ms, T0);
}

/* One packet of a TCP connection at the waypoint (one-way observer). */
static void
tcp_packet(struct aves_liveness *l, uint8_t *conn_state, uint8_t flags, uint16_t dport,
	   uint64_t now)
{
	aves_live_touch(l, 6, dport, now);
	aves_live_conn_apply(l, aves_tcp_step(conn_state,
					      aves_tcp_classify(flags, true, false)));
}

enum { SYN = AVES_TCP_BIT_SYN, ACK = AVES_TCP_BIT_ACK, FIN = AVES_TCP_BIT_FIN,
       RST = AVES_TCP_BIT_RST };

static void
test_fin_tracking(void **state)
{
	struct aves_session_timers t;
	struct aves_liveness l;
	uint8_t c1 = AVES_TCP_NONE, c2 = AVES_TCP_NONE;

	(void)state;
	aves_session_timers_default(&t);
	aves_live_init(&l, 0, T0);
	tcp_packet(&l, &c1, SYN, 22, T0);
	tcp_packet(&l, &c1, SYN, 22, T0 + 1); /* retransmission: still one */
	tcp_packet(&l, &c2, SYN, 22, T0 + 2);
	assert_int_equal(l.open_tcp, 2);
	tcp_packet(&l, &c1, ACK, 22, T0 + 3);
	tcp_packet(&l, &c1, FIN | ACK, 22, T0 + 4);
	assert_int_equal(c1, AVES_TCP_CLOSED);
	/* one connection still open: the TCP idle timeout, no early end */
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 4, 30 * MIN);
	/* the initiator's final ACK after its FIN refreshes, without reopening */
	tcp_packet(&l, &c1, ACK, 22, T0 + 5);
	assert_int_equal(l.open_tcp, 1);
	/* the last one closes (RST): the session ends after the linger */
	tcp_packet(&l, &c2, RST | ACK, 22, T0 + 6);
	assert_int_equal(l.open_tcp, 0);
	assert_true(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 6, 10 * SEC);
	/* stragglers keep it for another linger */
	tcp_packet(&l, &c2, ACK, 22, T0 + 5 * SEC);
	assert_expires_after(&l, &t, T0 + 5 * SEC, 10 * SEC);
	/* a new connection cancels the end */
	tcp_packet(&l, &c1, SYN, 22, T0 + 6 * SEC);
	assert_int_equal(c1, AVES_TCP_OPEN);
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 6 * SEC, 30 * MIN);
}

static void
test_fin_linger_zero_and_configured(void **state)
{
	struct aves_session_timers t;
	struct aves_liveness l;
	uint8_t c = AVES_TCP_NONE;

	(void)state;
	aves_session_timers_default(&t);
	t.tcp_linger_ms = 0; /* the paper: removed immediately */
	aves_live_init(&l, 0, T0);
	tcp_packet(&l, &c, SYN, 443, T0);
	tcp_packet(&l, &c, FIN | ACK, 443, T0 + 100);
	assert_true(aves_live_expired(&l, &t, T0 + 100));
	assert_false(aves_live_expired(&l, &t, T0 + 99));
	t.tcp_linger_ms = 1234;
	assert_expires_after(&l, &t, T0 + 100, 1234);
}

static void
test_http_never_fin_ended(void **state)
{
	struct aves_session_timers t;
	struct aves_liveness l;
	uint8_t c = AVES_TCP_NONE, c2 = AVES_TCP_NONE;

	(void)state;
	aves_session_timers_default(&t);
	aves_live_init(&l, 0, T0);
	tcp_packet(&l, &c, SYN, 80, T0);
	tcp_packet(&l, &c, FIN | ACK, 80, T0 + 1);
	assert_int_equal(l.open_tcp, 0);
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 1, 20 * MIN);
	/* HTTP seen once marks the session for good, even after a non-HTTP connection */
	tcp_packet(&l, &c2, SYN, 22, T0 + 2);
	tcp_packet(&l, &c2, FIN, 22, T0 + 3);
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 3, 20 * MIN);
}

static void
test_fin_not_for_mixed_or_untracked(void **state)
{
	struct aves_session_timers t;
	struct aves_liveness l;
	uint8_t c = AVES_TCP_NONE, mid = AVES_TCP_NONE;

	(void)state;
	aves_session_timers_default(&t);
	/* TCP + UDP: "assuming they are all TCP" does not hold */
	aves_live_init(&l, 0, T0);
	aves_live_touch(&l, 17, 53, T0);
	tcp_packet(&l, &c, SYN, 22, T0 + 1);
	tcp_packet(&l, &c, FIN, 22, T0 + 2);
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 2, 15 * MIN);
	/* a connection first seen mid-stream cannot be counted: FIN tracking stops */
	c = AVES_TCP_NONE;
	aves_live_init(&l, 0, T0);
	tcp_packet(&l, &c, SYN, 22, T0);
	tcp_packet(&l, &mid, ACK, 22, T0 + 1);
	assert_int_equal(l.flags & AVES_LIVE_NO_FIN, AVES_LIVE_NO_FIN);
	tcp_packet(&l, &c, FIN, 22, T0 + 2);
	assert_int_equal(l.open_tcp, 0);
	assert_false(aves_live_fin_ended(&l));
	assert_expires_after(&l, &t, T0 + 2, 30 * MIN);
	/* a caller that could not keep a record says so directly */
	c = AVES_TCP_NONE;
	aves_live_init(&l, 0, T0);
	tcp_packet(&l, &c, SYN, 22, T0);
	aves_live_conn_apply(&l, AVES_TCP_EFFECT_UNTRACKED);
	tcp_packet(&l, &c, FIN, 22, T0 + 2);
	assert_false(aves_live_fin_ended(&l));
	/* a session whose connections were never seen opening is not FIN-ended either */
	aves_live_init(&l, 0, T0);
	aves_live_touch(&l, 6, 22, T0);
	assert_false(aves_live_fin_ended(&l));
}

static void
test_tcp_classify(void **state)
{
	(void)state;
	/* the waypoint (one-way) */
	assert_int_equal(aves_tcp_classify(SYN, true, false), AVES_TCP_IN_SYN);
	assert_int_equal(aves_tcp_classify(SYN | ACK, true, false), AVES_TCP_IN_OTHER);
	assert_int_equal(aves_tcp_classify(ACK, true, false), AVES_TCP_IN_OTHER);
	assert_int_equal(aves_tcp_classify(FIN | ACK, true, false), AVES_TCP_IN_CLOSE);
	assert_int_equal(aves_tcp_classify(RST, true, false), AVES_TCP_IN_CLOSE);
	assert_int_equal(aves_tcp_classify(RST | SYN, true, false), AVES_TCP_IN_CLOSE);
	assert_int_equal(aves_tcp_classify(SYN | FIN, true, false), AVES_TCP_IN_OTHER);
	/* the gateway (two-way) */
	assert_int_equal(aves_tcp_classify(FIN | ACK, true, true), AVES_TCP_IN_FIN_INITIATOR);
	assert_int_equal(aves_tcp_classify(FIN | ACK, false, true), AVES_TCP_IN_FIN_RESPONDER);
	assert_int_equal(aves_tcp_classify(RST, false, true), AVES_TCP_IN_CLOSE);
	assert_int_equal(aves_tcp_classify(SYN, false, true), AVES_TCP_IN_OTHER);
	assert_int_equal(aves_tcp_classify(SYN | ACK, false, true), AVES_TCP_IN_OTHER);
}

static void
test_tcp_two_way(void **state)
{
	uint8_t c = AVES_TCP_NONE;

	(void)state;
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_SYN), AVES_TCP_EFFECT_OPENED);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_OTHER), AVES_TCP_EFFECT_NONE);
	/* one direction finished: still open */
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_FIN_INITIATOR), AVES_TCP_EFFECT_NONE);
	assert_int_equal(c, AVES_TCP_FIN_INITIATOR);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_FIN_INITIATOR), AVES_TCP_EFFECT_NONE);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_OTHER), AVES_TCP_EFFECT_NONE);
	/* both: closed, counted once */
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_FIN_RESPONDER), AVES_TCP_EFFECT_CLOSED);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_FIN_RESPONDER), AVES_TCP_EFFECT_NONE);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_CLOSE), AVES_TCP_EFFECT_NONE);
	/* the 4-tuple reused */
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_SYN), AVES_TCP_EFFECT_OPENED);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_FIN_RESPONDER), AVES_TCP_EFFECT_NONE);
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_CLOSE), AVES_TCP_EFFECT_CLOSED);
	/* an unseen connection's RST changes nothing */
	c = AVES_TCP_NONE;
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_CLOSE), AVES_TCP_EFFECT_NONE);
	/* out of range: unchanged */
	c = AVES_TCP_STATE_MAX;
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_SYN), AVES_TCP_EFFECT_NONE);
	assert_int_equal(c, AVES_TCP_STATE_MAX);
	c = AVES_TCP_OPEN;
	assert_int_equal(aves_tcp_step(&c, AVES_TCP_IN_MAX), AVES_TCP_EFFECT_NONE);
	assert_int_equal(c, AVES_TCP_OPEN);
}

/* Several workers update one session at once: no update is lost. */
#define RACE_ROUNDS 200000
static struct aves_liveness race_live;

static void *
race_worker(void *arg)
{
	uint64_t base = (uintptr_t)arg;

	for (uint64_t i = 0; i < RACE_ROUNDS; i++) {
		uint8_t c = AVES_TCP_NONE;

		aves_live_touch(&race_live, 6, (uint16_t)(1000 + base), T0 + i);
		aves_live_conn_apply(&race_live, aves_tcp_step(&c, AVES_TCP_IN_SYN));
		aves_live_conn_apply(&race_live, aves_tcp_step(&c, AVES_TCP_IN_CLOSE));
	}
	aves_live_touch(&race_live, base == 0 ? 17 : 1, 0, T0 + RACE_ROUNDS);
	return NULL;
}

static void
test_concurrent_updates(void **state)
{
	pthread_t th[2];

	(void)state;
	aves_live_init(&race_live, 0, T0);
	for (uintptr_t i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, (void *)i), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(race_live.open_tcp, 0);
	assert_int_equal(race_live.flags & (AVES_LIVE_TCP | AVES_LIVE_UDP | AVES_LIVE_ICMP |
					    AVES_LIVE_TCP_CLOSED),
			 AVES_LIVE_TCP | AVES_LIVE_UDP | AVES_LIVE_ICMP | AVES_LIVE_TCP_CLOSED);
	assert_int_equal(race_live.last_seen_ms, T0 + RACE_ROUNDS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_defaults),
		cmocka_unit_test(test_timer_check),
		cmocka_unit_test(test_admission_rule),
		cmocka_unit_test(test_block_status),
		cmocka_unit_test(test_intranet_setup),
		cmocka_unit_test(test_setup_enters_wait_and_setups_ignored),
		cmocka_unit_test(test_attacker_first_both_bound),
		cmocka_unit_test(test_blocked_attacker_not_bound),
		cmocka_unit_test(test_violator_rejected_after_exit),
		cmocka_unit_test(test_exit_inside_setup_for_violator),
		cmocka_unit_test(test_flood_does_not_shorten_wait),
		cmocka_unit_test(test_expiry_by_tick),
		cmocka_unit_test(test_expiry_lazy),
		cmocka_unit_test(test_violator_overflow),
		cmocka_unit_test(test_stray_penalty),
		cmocka_unit_test(test_packet_in_wait_not_penalised),
		cmocka_unit_test(test_config_takes_effect),
		cmocka_unit_test(test_step_invalid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_idle_timeouts_by_class),
		cmocka_unit_test(test_idle_timeouts_configurable),
		cmocka_unit_test(test_touch_refreshes),
		cmocka_unit_test(test_fin_tracking),
		cmocka_unit_test(test_fin_linger_zero_and_configured),
		cmocka_unit_test(test_http_never_fin_ended),
		cmocka_unit_test(test_fin_not_for_mixed_or_untracked),
		cmocka_unit_test(test_tcp_classify),
		cmocka_unit_test(test_tcp_two_way),
		cmocka_unit_test(test_concurrent_updates),
	};

	return cmocka_run_group_tests_name("flow/session", tests, NULL, NULL);
}
