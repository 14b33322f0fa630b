/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The paper's session rules. Two state machines, each an enum pair plus a transition table
 * with one comment per transition: the wait state of a waypoint address (Figure 6) and the
 * FIN tracking of one TCP connection. Pure C: no DPDK, no clock, no allocation.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "aves_session.h"

/* ---------------------------------------------------------------------------------------- */
/* Timers                                                                                    */
/* ---------------------------------------------------------------------------------------- */

void
aves_session_timers_default(struct aves_session_timers *t)
{
	*t = (struct aves_session_timers){
		.twait_ms = AVES_TWAIT_MS_DEFAULT,
		.treject_ms = AVES_TREJECT_MS_DEFAULT,
		.penalty_ms = AVES_PENALTY_MS_DEFAULT,
		.idle_icmp_ms = AVES_IDLE_ICMP_MS_DEFAULT,
		.idle_udp_ms = AVES_IDLE_UDP_MS_DEFAULT,
		.idle_tcp_ms = AVES_IDLE_TCP_MS_DEFAULT,
		.idle_other_ms = AVES_IDLE_OTHER_MS_DEFAULT,
		.idle_http_ms = AVES_IDLE_HTTP_MS_DEFAULT,
		.traceroute_icmp_ms = AVES_TRACEROUTE_ICMP_MS_DEFAULT,
		.tcp_linger_ms = AVES_TCP_LINGER_MS_DEFAULT,
	};
}

int
aves_session_timers_check(const struct aves_session_timers *t, const char **field)
{
	static const struct {
		const char *name;
		size_t offset;
		uint32_t min, max;
	} range[] = {
#define AVES_TIMER_RANGE_(f, lo, hi) { #f, offsetof(struct aves_session_timers, f), lo, hi }
		AVES_TIMER_RANGE_(twait_ms, 1, AVES_TWAIT_MS_MAX),
		AVES_TIMER_RANGE_(treject_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(penalty_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(idle_icmp_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(idle_udp_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(idle_tcp_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(idle_other_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(idle_http_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(traceroute_icmp_ms, 1, AVES_TIMER_MS_MAX),
		AVES_TIMER_RANGE_(tcp_linger_ms, 0, AVES_TIMER_MS_MAX),
#undef AVES_TIMER_RANGE_
	};
	size_t i;

	if (field != NULL)
		*field = NULL;
	if (t == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
		uint32_t v;

		memcpy(&v, (const char *)t + range[i].offset, sizeof(v));
		if (v < range[i].min || v > range[i].max) {
			if (field != NULL)
				*field = range[i].name;
			return -EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Names                                                                                     */
/* ---------------------------------------------------------------------------------------- */

const char *
aves_verdict_name(enum aves_verdict v)
{
#define AVES_VERDICT_NAME_(name, str) [AVES_VERDICT_##name] = str,
	static const char *const names[AVES_VERDICT_MAX] = {
		AVES_VERDICT_LIST(AVES_VERDICT_NAME_)
	};
#undef AVES_VERDICT_NAME_

	if ((unsigned int)v >= AVES_VERDICT_MAX)
		return "?";
	return names[v];
}

const char *
aves_wait_state_name(enum aves_wait_state s)
{
	static const char *const names[AVES_WAIT_STATE_MAX] = {
		[AVES_WAIT_IDLE] = "idle",
		[AVES_WAIT_WAITING] = "waiting",
	};

	if ((unsigned int)s >= AVES_WAIT_STATE_MAX)
		return "?";
	return names[s];
}

const char *
aves_wait_event_name(enum aves_wait_event_type e)
{
	static const char *const names[AVES_WAIT_EV_MAX] = {
		[AVES_WAIT_EV_SETUP_DELAYED] = "setup_delayed",
		[AVES_WAIT_EV_SETUP_INTRANET] = "setup_intranet",
		[AVES_WAIT_EV_NEW_CONNECTION] = "new_connection",
		[AVES_WAIT_EV_PACKET] = "packet",
		[AVES_WAIT_EV_TIME] = "time",
		[AVES_WAIT_EV_EXPIRED] = "expired",
	};

	if ((unsigned int)e >= AVES_WAIT_EV_MAX)
		return "?";
	return names[e];
}

/* ---------------------------------------------------------------------------------------- */
/* The wait state machine                                                                    */
/* ---------------------------------------------------------------------------------------- */

typedef enum aves_verdict (*wait_action_fn)(struct aves_wait *w,
					    const struct aves_session_timers *t,
					    const struct aves_wait_event *ev, uint64_t now,
					    struct aves_wait_result *res);

/*
 * A source that is blocked at W loses its new connections (and anything else it sends without
 * an entry). Rejected sources are told with ICMP host unreachable (§5.2: "this signals to the
 * initiator that it needs to retry"); penalised ones are not. A penalised source sent to W
 * outside any wait without state: it is a scanner, a spoofed address, or an initiator with a
 * long-stale DNS answer. Answering it turns W into a reflector towards spoofed addresses
 * (one ICMP per packet for 3 hours) and confirms to a scanner that W is live; the stale
 * initiator is the only one helped, and §6.1 already requires it to re-resolve on failure.
 */
static enum aves_verdict
blocked_verdict(const struct aves_wait_event *ev)
{
	switch (ev->src_block) {
	case AVES_BLOCK_REJECT:
		return AVES_VERDICT_DISCARD_REJECTED;
	case AVES_BLOCK_PENALTY:
		return AVES_VERDICT_DISCARD_PENALISED;
	default:
		return AVES_VERDICT_NONE;
	}
}

static enum aves_verdict
act_nothing(struct aves_wait *w, const struct aves_session_timers *t,
	    const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	(void)w, (void)t, (void)ev, (void)now, (void)res;
	return AVES_VERDICT_NONE;
}

static enum aves_verdict
act_enter_wait(struct aves_wait *w, const struct aves_session_timers *t,
	       const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	(void)res;
	w->until_ms = now + t->twait_ms;
	w->pending = ev->setup;
	w->n_violators = 0;
	w->stats.waits_entered++;
	return AVES_VERDICT_SETUP_ACCEPT_WAIT;
}

/*
 * Intranet SETUP. A blocked initiator is refused before the admission rule is consulted: the
 * paper does not say what to do, and the conservative answer is REJECT. While A is blocked at
 * W, W discards A's new connections (the block is checked before the entry, see
 * act_conn_outside_wait), so an ACCEPT would hand A a DNS answer that cannot work — the stale
 * view of §6.1 — whereas a REJECT lets the DNS front end try another waypoint at once.
 */
static enum aves_verdict
act_admit_intranet(struct aves_wait *w, const struct aves_session_timers *t,
		   const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	(void)w, (void)t, (void)now;
	if (ev->src_block != AVES_BLOCK_NONE)
		return AVES_VERDICT_SETUP_REJECT_BLOCKED;
	switch (aves_admit(ev->src_entry, ev->setup.nat, ev->setup.responder)) {
	case AVES_ADMIT_NEW:
		res->bind = ev->setup;
		return AVES_VERDICT_SETUP_ACCEPT_NEW;
	case AVES_ADMIT_SAME:
		return AVES_VERDICT_SETUP_ACCEPT_SAME;
	default:
		return AVES_VERDICT_SETUP_REJECT_ADMISSION;
	}
}

static enum aves_verdict
act_ignore_setup(struct aves_wait *w, const struct aves_session_timers *t,
		 const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	(void)w, (void)t, (void)ev, (void)now, (void)res;
	return AVES_VERDICT_SETUP_IGNORED;
}

static enum aves_verdict
stray(const struct aves_session_timers *t, uint64_t now, struct aves_wait_result *res)
{
	res->block = AVES_BLOCK_PENALTY;
	res->block_until_ms = now + t->penalty_ms;
	return AVES_VERDICT_DISCARD_STRAY;
}

/*
 * New connection outside a wait. The block is checked before the entry: a violator is exactly
 * a source that HAS an entry (to another responder), and its reject period exists so that its
 * retried connection — meant for the new responder — is not forwarded through that old entry
 * (§3.3.2, §6.1). Without state and without a block, the source is a stray (§6.2).
 */
static enum aves_verdict
act_conn_outside_wait(struct aves_wait *w, const struct aves_session_timers *t,
		      const struct aves_wait_event *ev, uint64_t now,
		      struct aves_wait_result *res)
{
	enum aves_verdict v = blocked_verdict(ev);

	(void)w;
	if (v != AVES_VERDICT_NONE)
		return v;
	if (ev->src_entry != NULL)
		return AVES_VERDICT_FORWARD;
	return stray(t, now, res);
}

/*
 * A packet that does not open a connection, outside a wait. The entry comes first: a reject
 * period refuses new connections, it does not cut a violator's established connections to
 * the responder it is bound to. Without an entry it is blocked or a stray, as above: §6.2
 * penalises "packets with source addresses that it has no state for", whatever they are.
 */
static enum aves_verdict
act_packet_outside_wait(struct aves_wait *w, const struct aves_session_timers *t,
			const struct aves_wait_event *ev, uint64_t now,
			struct aves_wait_result *res)
{
	enum aves_verdict v;

	(void)w;
	if (ev->src_entry != NULL)
		return AVES_VERDICT_FORWARD;
	v = blocked_verdict(ev);
	if (v != AVES_VERDICT_NONE)
		return v;
	return stray(t, now, res);
}

/*
 * A packet that does not open a connection, during a wait: "processed normally according to
 * existing translation table entries" (§5.2). With no entry it is discarded but NOT
 * penalised: §6.2 penalises only outside a wait, and the wait is the one window in which a
 * source W has never seen may legitimately appear; only Figure 6 judges sources in it.
 */
static enum aves_verdict
act_packet_in_wait(struct aves_wait *w, const struct aves_session_timers *t,
		   const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	enum aves_verdict v;

	(void)w, (void)t, (void)now, (void)res;
	if (ev->src_entry != NULL)
		return AVES_VERDICT_FORWARD;
	v = blocked_verdict(ev);
	if (v != AVES_VERDICT_NONE)
		return v;
	return AVES_VERDICT_DISCARD_NO_ENTRY;
}

/*
 * X <- X U {S}. X is a set: a violator retrying within the wait is recorded once.
 *
 * When X is full the violator is still discarded, and — to keep "all admission violations
 * caught" (§6.2) — it is rejected directly: the result asks the caller to record the reject
 * now, ending at until_ms + Treject, exactly when it would have ended had S fitted in X. The
 * only difference is that the reject is visible during the rest of the wait, where it changes
 * nothing: S's new connections are discarded with ICMP either way (as blocked instead of as a
 * violator), and S is not added to X again.
 */
static void
add_violator(struct aves_wait *w, const struct aves_session_timers *t, uint32_t src,
	     struct aves_wait_result *res)
{
	unsigned int i;

	for (i = 0; i < w->n_violators; i++)
		if (w->violators[i] == src)
			return;
	if (w->n_violators < AVES_WAIT_VIOLATORS_MAX) {
		w->violators[w->n_violators++] = src;
		return;
	}
	w->stats.violator_overflow++;
	res->block = AVES_BLOCK_REJECT;
	res->block_until_ms = w->until_ms + t->treject_ms;
}

/*
 * Figure 6, "on receiving new connection packet [S -> W]":
 *   if S should be rejected: discard; return            (S is NOT added to X)
 *   if exists E with initiator S and (R_E, B_E) != (R, B): discard; X <- X U {S}
 *   else: accept; if no E with initiator S: create E = {S, R, B}
 *
 * Taken literally, every source that is not blocked and has no entry is bound during the
 * wait — not just the first. That is what the figure says and what §6.2 relies on: an
 * attacker's packet arriving first cannot end the wait or take the binding away from the
 * legitimate initiator, who arrives later and is bound too. The attacker does gain a binding
 * to B for its own address (the exposure §6.2 accepts); penalties outside the wait are what
 * keep attackers from lingering at W to catch waits.
 */
static enum aves_verdict
act_figure6(struct aves_wait *w, const struct aves_session_timers *t,
	    const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	enum aves_verdict v = blocked_verdict(ev);

	(void)now;
	if (v != AVES_VERDICT_NONE)
		return v;
	switch (aves_admit(ev->src_entry, w->pending.nat, w->pending.responder)) {
	case AVES_ADMIT_VIOLATION:
		add_violator(w, t, ev->src, res);
		return AVES_VERDICT_DISCARD_VIOLATOR;
	case AVES_ADMIT_SAME:
		return AVES_VERDICT_FORWARD;
	default:
		res->bind = w->pending;
		return AVES_VERDICT_BIND;
	}
}

/*
 * Figure 6, "on exiting wait state after Twait: reject connections from all S in X for
 * Treject". The exit time is the wait's fixed end, until_ms, however late the exit is
 * processed, so a reject period never depends on when the next packet or tick came.
 */
static enum aves_verdict
act_exit_wait(struct aves_wait *w, const struct aves_session_timers *t,
	      const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	(void)ev, (void)now;
	res->wait_ended = true;
	res->n_rejected = w->n_violators;
	res->reject_until_ms = w->until_ms + t->treject_ms;
	memcpy(res->rejected, w->violators, (size_t)w->n_violators * sizeof(w->violators[0]));
	w->stats.waits_exited++;
	w->stats.rejected_on_exit += w->n_violators;
	w->n_violators = 0;
	return AVES_VERDICT_NONE;
}

struct wait_transition {
	uint8_t next;		/* enum aves_wait_state after the action */
	wait_action_fn action;
};

static const struct wait_transition wait_table[AVES_WAIT_STATE_MAX][AVES_WAIT_EV_MAX] = {
	[AVES_WAIT_IDLE] = {
		/* §3.3.2: the initiator is unknown, so W accepts optimistically (the paper's
		 * simplest policy) and waits Twait for its connection; this serialises SETUPs. */
		[AVES_WAIT_EV_SETUP_DELAYED] = { AVES_WAIT_WAITING, act_enter_wait },
		/* §3.3.1: the initiator is known; the admission rule decides at once. */
		[AVES_WAIT_EV_SETUP_INTRANET] = { AVES_WAIT_IDLE, act_admit_intranet },
		/* §6.2: outside a wait, blocked first, then the entry, else penalise. */
		[AVES_WAIT_EV_NEW_CONNECTION] = { AVES_WAIT_IDLE, act_conn_outside_wait },
		/* §5.2/§6.2: the entry first (established connections), else as above. */
		[AVES_WAIT_EV_PACKET] = { AVES_WAIT_IDLE, act_packet_outside_wait },
		/* Nothing is waiting to expire. */
		[AVES_WAIT_EV_TIME] = { AVES_WAIT_IDLE, act_nothing },
		/* Never generated in IDLE (only when WAITING and now >= until). */
		[AVES_WAIT_EV_EXPIRED] = { AVES_WAIT_IDLE, act_nothing },
	},
	[AVES_WAIT_WAITING] = {
		/* §5.2: "when IPW is in a wait state, AVES SETUP messages sent to IPW are
		 * ignored": no ACCEPT, no REJECT; the DNS front end's timeout moves on. */
		[AVES_WAIT_EV_SETUP_DELAYED] = { AVES_WAIT_WAITING, act_ignore_setup },
		/* The same for intranet SETUPs: the paper ignores every SETUP to W while
		 * it waits; the wait belongs to the address, not to a mode. */
		[AVES_WAIT_EV_SETUP_INTRANET] = { AVES_WAIT_WAITING, act_ignore_setup },
		/* Figure 6; the wait goes on whatever the outcome (§6.2). */
		[AVES_WAIT_EV_NEW_CONNECTION] = { AVES_WAIT_WAITING, act_figure6 },
		/* §5.2: by existing entries only; no penalty inside a wait. */
		[AVES_WAIT_EV_PACKET] = { AVES_WAIT_WAITING, act_packet_in_wait },
		/* Not yet at until_ms (checked before the table is consulted): keep waiting. */
		[AVES_WAIT_EV_TIME] = { AVES_WAIT_WAITING, act_nothing },
		/* The only way out of a wait: its fixed end. X is released for Treject. */
		[AVES_WAIT_EV_EXPIRED] = { AVES_WAIT_IDLE, act_exit_wait },
	},
};

static enum aves_verdict
wait_run(struct aves_wait *w, const struct aves_session_timers *t,
	 const struct aves_wait_event *ev, enum aves_wait_event_type type, uint64_t now,
	 struct aves_wait_result *res)
{
	const struct wait_transition *tr = &wait_table[w->state][type];
	enum aves_verdict v = tr->action(w, t, ev, now, res);

	w->state = tr->next;
	return v;
}

/* Whether the event's source is one of the violators the exit in this call just released. */
static bool
released_now(const struct aves_wait_event *ev, const struct aves_wait_result *res)
{
	unsigned int i;

	if (ev->type == AVES_WAIT_EV_SETUP_DELAYED || ev->type == AVES_WAIT_EV_TIME ||
	    ev->src_block != AVES_BLOCK_NONE)
		return false;
	for (i = 0; i < res->n_rejected; i++)
		if (res->rejected[i] == ev->src)
			return true;
	return false;
}

void
aves_wait_init(struct aves_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->state = AVES_WAIT_IDLE;
}

int
aves_wait_step(struct aves_wait *w, const struct aves_session_timers *t,
	       const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res)
{
	enum aves_verdict v;

	if (w == NULL || t == NULL || ev == NULL || res == NULL ||
	    (unsigned int)ev->type >= AVES_WAIT_EV_EXPIRED || w->state >= AVES_WAIT_STATE_MAX)
		return -EINVAL;

	/* Everything but the (possibly unused) rejected[] array. */
	memset(res, 0, offsetof(struct aves_wait_result, rejected));

	if (w->state == AVES_WAIT_WAITING && now >= w->until_ms) {
		wait_run(w, t, ev, AVES_WAIT_EV_EXPIRED, now, res);
		if (released_now(ev, res)) {
			/* The caller looked the source up before this call, when its reject
			 * did not exist yet: it begins now, so judge the event with it. */
			struct aves_wait_event seen = *ev;

			seen.src_block = AVES_BLOCK_REJECT;
			v = wait_run(w, t, &seen, ev->type, now, res);
			goto done;
		}
	}
	v = wait_run(w, t, ev, ev->type, now, res);
done:

	res->verdict = v;
	res->send_icmp = v == AVES_VERDICT_DISCARD_REJECTED || v == AVES_VERDICT_DISCARD_VIOLATOR;
	w->stats.verdicts[v]++;
	return 0;
}

int
aves_wait_tick(struct aves_wait *w, const struct aves_session_timers *t, uint64_t now,
	       struct aves_wait_result *res)
{
	const struct aves_wait_event ev = { .type = AVES_WAIT_EV_TIME };

	return aves_wait_step(w, t, &ev, now, res);
}

uint64_t
aves_wait_deadline(const struct aves_wait *w)
{
	return w->state == AVES_WAIT_WAITING ? w->until_ms : UINT64_MAX;
}

/* ---------------------------------------------------------------------------------------- */
/* Liveness                                                                                  */
/* ---------------------------------------------------------------------------------------- */

void
aves_live_init(struct aves_liveness *l, uint8_t flags, uint64_t now)
{
	atomic_init(&l->last_seen_ms, now);
	l->born_ms = now;
	atomic_init(&l->open_tcp, 0);
	atomic_init(&l->flags, (uint8_t)(flags & AVES_LIVE_TRACEROUTE));
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

uint32_t
aves_live_idle_timeout(uint8_t flags, const struct aves_session_timers *t)
{
	uint8_t classes = flags & AVES_LIVE_CLASS_MASK;

	if (flags & AVES_LIVE_TRACEROUTE)
		return t->traceroute_icmp_ms;
	if (flags & AVES_LIVE_HTTP)
		return (classes & ~AVES_LIVE_TCP) != 0 ?
			max_u32(t->idle_http_ms, t->idle_other_ms) : t->idle_http_ms;
	switch (classes) {
	case AVES_LIVE_ICMP:
		return t->idle_icmp_ms;
	case AVES_LIVE_UDP:
		return t->idle_udp_ms;
	case AVES_LIVE_TCP:
		return t->idle_tcp_ms;
	default:
		return t->idle_other_ms;
	}
}

/* §5.2 and §6.1: "when all connections of the session (assuming they are all TCP) are
 * terminated", except HTTP, and only while every connection is accounted for. */
bool
aves_live_fin_ended(const struct aves_liveness *l)
{
	uint8_t flags = atomic_load_explicit(&l->flags, memory_order_relaxed);

	if ((flags & (AVES_LIVE_CLASS_MASK | AVES_LIVE_HTTP | AVES_LIVE_NO_FIN |
		      AVES_LIVE_TRACEROUTE | AVES_LIVE_TCP_CLOSED)) !=
	    (AVES_LIVE_TCP | AVES_LIVE_TCP_CLOSED))
		return false;
	return atomic_load_explicit(&l->open_tcp, memory_order_relaxed) == 0;
}

uint64_t
aves_live_deadline(const struct aves_liveness *l, const struct aves_session_timers *t)
{
	uint64_t last = atomic_load_explicit(&l->last_seen_ms, memory_order_relaxed);
	uint8_t flags = atomic_load_explicit(&l->flags, memory_order_relaxed);
	uint32_t timeout = aves_live_idle_timeout(flags, t);

	if (t->tcp_linger_ms < timeout && aves_live_fin_ended(l))
		timeout = t->tcp_linger_ms;
	return last + timeout;
}

bool
aves_live_expired(const struct aves_liveness *l, const struct aves_session_timers *t,
		  uint64_t now)
{
	return now >= aves_live_deadline(l, t);
}

uint64_t
aves_live_time_left(const struct aves_liveness *l, const struct aves_session_timers *t,
		    uint64_t now)
{
	uint64_t deadline = aves_live_deadline(l, t);

	return deadline > now ? deadline - now : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* TCP connection FIN tracking                                                               */
/* ---------------------------------------------------------------------------------------- */

enum aves_tcp_input
aves_tcp_classify(uint8_t tcp_flags, bool from_initiator, bool two_way)
{
	if (tcp_flags & AVES_TCP_BIT_RST)
		return AVES_TCP_IN_CLOSE;
	if (tcp_flags & AVES_TCP_BIT_FIN) {
		/* SYN+FIN is not a valid segment: neither opens nor closes anything. */
		if (tcp_flags & AVES_TCP_BIT_SYN)
			return AVES_TCP_IN_OTHER;
		if (!from_initiator)
			return AVES_TCP_IN_FIN_RESPONDER;
		return two_way ? AVES_TCP_IN_FIN_INITIATOR : AVES_TCP_IN_CLOSE;
	}
	if (from_initiator && (tcp_flags & (AVES_TCP_BIT_SYN | AVES_TCP_BIT_ACK)) ==
				      AVES_TCP_BIT_SYN)
		return AVES_TCP_IN_SYN;
	return AVES_TCP_IN_OTHER;
}

struct tcp_transition {
	uint8_t next;		/* enum aves_tcp_state */
	uint8_t effect;		/* enum aves_tcp_effect */
};

#define TCP_TR_(state, effect) { AVES_TCP_##state, AVES_TCP_EFFECT_##effect }

static const struct tcp_transition tcp_table[AVES_TCP_STATE_MAX][AVES_TCP_IN_MAX] = {
	[AVES_TCP_NONE] = {
		/* A live connection whose SYN we never saw: the count cannot include it. */
		[AVES_TCP_IN_OTHER] = TCP_TR_(NONE, UNTRACKED),
		/* The opening SYN: one more open connection. */
		[AVES_TCP_IN_SYN] = TCP_TR_(OPEN, OPENED),
		/* Half-close of an unseen connection: the other direction may go on. */
		[AVES_TCP_IN_FIN_INITIATOR] = TCP_TR_(NONE, UNTRACKED),
		[AVES_TCP_IN_FIN_RESPONDER] = TCP_TR_(NONE, UNTRACKED),
		/* An unseen connection ends: it was never counted, nothing to undo. */
		[AVES_TCP_IN_CLOSE] = TCP_TR_(CLOSED, NONE),
	},
	[AVES_TCP_OPEN] = {
		/* Data and ACKs. */
		[AVES_TCP_IN_OTHER] = TCP_TR_(OPEN, NONE),
		/* A retransmitted SYN is the same connection. */
		[AVES_TCP_IN_SYN] = TCP_TR_(OPEN, NONE),
		/* Two-way observer: one direction done; the connection is open until both are. */
		[AVES_TCP_IN_FIN_INITIATOR] = TCP_TR_(FIN_INITIATOR, NONE),
		[AVES_TCP_IN_FIN_RESPONDER] = TCP_TR_(FIN_RESPONDER, NONE),
		/* RST, or the initiator's FIN at the waypoint (§5.2): terminated. */
		[AVES_TCP_IN_CLOSE] = TCP_TR_(CLOSED, CLOSED),
	},
	[AVES_TCP_FIN_INITIATOR] = {
		/* The responder may still be sending; the initiator ACKs. */
		[AVES_TCP_IN_OTHER] = TCP_TR_(FIN_INITIATOR, NONE),
		/* A SYN on a half-closed 4-tuple is not a new connection yet. */
		[AVES_TCP_IN_SYN] = TCP_TR_(FIN_INITIATOR, NONE),
		/* A retransmitted FIN. */
		[AVES_TCP_IN_FIN_INITIATOR] = TCP_TR_(FIN_INITIATOR, NONE),
		/* Both directions finished: terminated. */
		[AVES_TCP_IN_FIN_RESPONDER] = TCP_TR_(CLOSED, CLOSED),
		/* RST: terminated. */
		[AVES_TCP_IN_CLOSE] = TCP_TR_(CLOSED, CLOSED),
	},
	[AVES_TCP_FIN_RESPONDER] = {
		/* The initiator may still be sending. */
		[AVES_TCP_IN_OTHER] = TCP_TR_(FIN_RESPONDER, NONE),
		/* A SYN on a half-closed 4-tuple is not a new connection yet. */
		[AVES_TCP_IN_SYN] = TCP_TR_(FIN_RESPONDER, NONE),
		/* Both directions finished: terminated. */
		[AVES_TCP_IN_FIN_INITIATOR] = TCP_TR_(CLOSED, CLOSED),
		/* A retransmitted FIN. */
		[AVES_TCP_IN_FIN_RESPONDER] = TCP_TR_(FIN_RESPONDER, NONE),
		/* RST: terminated. */
		[AVES_TCP_IN_CLOSE] = TCP_TR_(CLOSED, CLOSED),
	},
	[AVES_TCP_CLOSED] = {
		/* Final ACKs and retransmissions after the close: known, not counted. */
		[AVES_TCP_IN_OTHER] = TCP_TR_(CLOSED, NONE),
		/* The 4-tuple reused by a new connection. */
		[AVES_TCP_IN_SYN] = TCP_TR_(OPEN, OPENED),
		/* Late FINs and RSTs of the finished connection. */
		[AVES_TCP_IN_FIN_INITIATOR] = TCP_TR_(CLOSED, NONE),
		[AVES_TCP_IN_FIN_RESPONDER] = TCP_TR_(CLOSED, NONE),
		[AVES_TCP_IN_CLOSE] = TCP_TR_(CLOSED, NONE),
	},
};

#undef TCP_TR_

enum aves_tcp_effect
aves_tcp_step(uint8_t *state, enum aves_tcp_input in)
{
	const struct tcp_transition *tr;

	if (*state >= AVES_TCP_STATE_MAX || (unsigned int)in >= AVES_TCP_IN_MAX)
		return AVES_TCP_EFFECT_NONE;
	tr = &tcp_table[*state][in];
	*state = tr->next;
	return (enum aves_tcp_effect)tr->effect;
}
