/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_session.h
 * The AVES paper's session rules as pure functions of (state, event, now): the admission
 * rule (§3.3.1), the delayed-binding wait state of Figure 6 (§3.3.2, §5.2), reject periods
 * and stray-source penalties (§5.2, §6.2), protocol-specific idle timeouts and TCP FIN
 * tracking (§5.2, §5.3, §6.1).
 *
 * Nothing here calls DPDK, allocates, logs, locks or reads a clock: time is the parameter
 * `now`, in milliseconds on any monotonic clock the caller chooses (the same clock for every
 * call). Addresses are opaque 32-bit values (network byte order by convention); the rules
 * only compare them.
 *
 * Threads:
 * - struct aves_wait (one per waypoint address W) belongs to one thread at a time: the caller
 *   serialises every event for a given W (SETUPs and the packets that need the machine).
 * - struct aves_liveness is shared: any number of worker lcores may call aves_live_touch()
 *   and aves_live_conn_apply() on the same session concurrently, without locks (C11 atomics:
 *   a relaxed store for the last-seen time, atomic OR for the flag bits, atomic add/sub for
 *   the open-connection count), while the owner's sweeper calls aves_live_expired().
 * - Everything else is a pure function and may be called from any thread.
 */
#ifndef AVES_SESSION_H
#define AVES_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Timers                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Twait, the delayed-binding wait (§3.3.2, §5.2: 2 seconds). */
#define AVES_TWAIT_MS_DEFAULT		(2u * 1000u)
/** Treject, how long a violator of the admission rule is rejected after a wait (§5.2: 3 min). */
#define AVES_TREJECT_MS_DEFAULT		(3u * 60u * 1000u)
/** How long a source that sent to W outside a wait without state is blocked (§6.2: 3 hours). */
#define AVES_PENALTY_MS_DEFAULT		(3u * 60u * 60u * 1000u)
/** Idle timeouts by protocol (§5.2; the gateway uses the same policy, §5.3). */
#define AVES_IDLE_ICMP_MS_DEFAULT	(1u * 60u * 1000u)
#define AVES_IDLE_UDP_MS_DEFAULT	(15u * 60u * 1000u)
#define AVES_IDLE_TCP_MS_DEFAULT	(30u * 60u * 1000u)
/** Unknown protocol, or a mix of protocols in one session (§5.2: 15 minutes). */
#define AVES_IDLE_OTHER_MS_DEFAULT	(15u * 60u * 1000u)
/** HTTP (TCP to port 80): 20 minutes and no FIN tracking (§5.2: browsers cache DNS 15 min). */
#define AVES_IDLE_HTTP_MS_DEFAULT	(20u * 60u * 1000u)
/** Gateway: the entry for the ICMP a traceroute probe may trigger (§5.3: 5 seconds). */
#define AVES_TRACEROUTE_ICMP_MS_DEFAULT	(5u * 1000u)
/**
 * How long a TCP-only session survives after its last connection closed (10 seconds).
 *
 * The paper removes the entry "immediately" (§5.2), and 0 configures exactly that. We keep it
 * a little longer because the waypoint sees the initiator's last FIN before the packets that
 * follow it: the initiator's final ACK of the responder's FIN, and a retransmitted FIN if the
 * first was lost, still arrive at W. With the entry gone they come from a source W has no
 * state for, outside a wait — a stray — and §6.2 blocks the initiator at W for 3 hours for
 * closing its connection properly. The linger is measured from the session's last packet, so
 * those stragglers also keep a half-closed connection (initiator done, responder still
 * sending, initiator still ACKing) alive.
 */
#define AVES_TCP_LINGER_MS_DEFAULT	(10u * 1000u)

/** Longest Twait accepted: every wait serialises SETUPs for W (N / Twait sessions per second,
 *  §3.3.2) and is the only window in which unknown sources can bind (§6.2). */
#define AVES_TWAIT_MS_MAX		(60u * 1000u)
/** Longest value accepted for any other duration (7 days). */
#define AVES_TIMER_MS_MAX		(7u * 24u * 60u * 60u * 1000u)

/** Every duration the rules use, in milliseconds. */
struct aves_session_timers {
	uint32_t twait_ms;		/**< wait state length */
	uint32_t treject_ms;		/**< reject period of violators, from the wait's end */
	uint32_t penalty_ms;		/**< block of a stray source, from its packet */
	uint32_t idle_icmp_ms;		/**< ICMP-only session */
	uint32_t idle_udp_ms;		/**< UDP-only session */
	uint32_t idle_tcp_ms;		/**< TCP-only session */
	uint32_t idle_other_ms;		/**< other protocol, mixed protocols, or nothing seen yet */
	uint32_t idle_http_ms;		/**< a session that carried TCP to port 80 */
	uint32_t traceroute_icmp_ms;	/**< gateway's traceroute ICMP entry */
	uint32_t tcp_linger_ms;		/**< after the last TCP connection closed; 0 = at once */
};

/**
 * Fill @p t with the paper's values (the AVES_*_DEFAULT constants).
 * Any thread.
 */
void aves_session_timers_default(struct aves_session_timers *t);

/**
 * Check a timer configuration.
 *
 * Every duration must be at least 1 ms and at most AVES_TIMER_MS_MAX (Twait at most
 * AVES_TWAIT_MS_MAX), except tcp_linger_ms, which may be 0 (the paper's "removed immediately").
 * A zero Twait would never bind anything, a zero reject or penalty would not block, a zero
 * idle timeout would expire a session before its first packet.
 *
 * No ordering between durations is required, deliberately: a reject period starts when its wait
 * ends and Figure 6 re-examines, in a later wait, a source whose reject has ended, so any
 * (Twait, Treject) pair is consistent. What bounds Treject from below is the initiators' own
 * connection-retry horizon (Linux retries a SYN for about two minutes; a violator's retry after
 * its reject ended would be forwarded through its other, older binding), which a configuration
 * check cannot see.
 *
 * @param t      the configuration
 * @param field  if not NULL, set to the name of the first offending field (or NULL when valid)
 * @return 0, or -EINVAL. Any thread.
 */
int aves_session_timers_check(const struct aves_session_timers *t, const char **field);

/* ---------------------------------------------------------------------------------------- */
/* Bindings and the admission rule (§3.3.1)                                                  */
/* ---------------------------------------------------------------------------------------- */

/**
 * What a waypoint translation entry E(W, A) binds the initiator A to. Only (nat, responder)
 * take part in the admission rule; the other fields are carried for the data path.
 * Immutable once the entry is published.
 */
struct aves_binding {
	uint32_t nat;		/**< R, the AVES NAT gateway's public address */
	uint32_t responder;	/**< B, the responder's private address behind R */
	uint32_t gw_key_id;	/**< key the waypoint tags tunnel packets to R with (opaque here) */
	uint16_t gw_port;	/**< R's tunnel UDP port (opaque here) */
	uint16_t reserved;	/**< zero */
};

/** Outcome of the admission rule. */
enum aves_admission {
	AVES_ADMIT_NEW = 1,	/**< no entry for the initiator: a new binding may be created */
	AVES_ADMIT_SAME,	/**< the entry binds the initiator to this (R, B) already */
	AVES_ADMIT_VIOLATION,	/**< the entry binds the initiator to a different (R, B) */
};

/**
 * The admission rule of §3.3.1: W accepts (A, R, B) iff every entry with initiator A has
 * (R_E, B_E) == (R, B). Tables are keyed by (W, A), so there is at most one such entry.
 * @param existing   E(W, A), or NULL when there is none
 * @param nat        R of the request
 * @param responder  B of the request
 * Any thread.
 */
static inline enum aves_admission
aves_admit(const struct aves_binding *existing, uint32_t nat, uint32_t responder)
{
	if (existing == NULL)
		return AVES_ADMIT_NEW;
	if (existing->nat == nat && existing->responder == responder)
		return AVES_ADMIT_SAME;
	return AVES_ADMIT_VIOLATION;
}

/* ---------------------------------------------------------------------------------------- */
/* Reject periods and penalties                                                              */
/* ---------------------------------------------------------------------------------------- */

/** Why a source is blocked at W. */
enum aves_block_kind {
	AVES_BLOCK_NONE = 0,	/**< not blocked */
	AVES_BLOCK_REJECT,	/**< reject period after violating the admission rule in a wait */
	AVES_BLOCK_PENALTY,	/**< penalty for sending to W outside a wait without state */
};

/**
 * Value of the reject/penalty table, keyed by (W, S). The rules only ask for a block on a
 * source that has no active one, so a caller recording a block may overwrite what it finds.
 */
struct aves_block {
	uint64_t until_ms;	/**< blocked while now < until_ms */
	uint8_t kind;		/**< enum aves_block_kind */
	uint8_t reserved[7];	/**< zero */
};

/**
 * The block in force at @p now.
 * @param b    the table's value for (W, S), or NULL when there is none
 * @return AVES_BLOCK_NONE when @p b is NULL or its period is over (now >= until_ms).
 * Any thread.
 */
static inline enum aves_block_kind
aves_block_status(const struct aves_block *b, uint64_t now)
{
	if (b == NULL || now >= b->until_ms)
		return AVES_BLOCK_NONE;
	return (enum aves_block_kind)b->kind;
}

/* ---------------------------------------------------------------------------------------- */
/* Verdicts                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/**
 * Every outcome of the wait-state machine, with what the caller must do. X-macro: the enum
 * and the telemetry names come from this one list.
 *
 * "ICMP" means ICMP host unreachable from W to the source (the paper, §5.2), rate-limited by
 * the caller; aves_wait_result.send_icmp is set exactly for those verdicts.
 */
#define AVES_VERDICT_LIST(X)						\
	/* TIME event, or an expiry with no packet: nothing for a packet */	\
	X(NONE, "none")							\
	/* source has an entry: forward by it and touch its liveness */	\
	X(FORWARD, "forward")						\
	/* wait: create E(W, S) = result.bind, then forward and touch */	\
	X(BIND, "bind")							\
	/* source in a reject period: discard, ICMP */			\
	X(DISCARD_REJECTED, "discard_rejected")				\
	/* penalised source: discard silently */				\
	X(DISCARD_PENALISED, "discard_penalised")			\
	/* wait: admission violator, discard, ICMP; rejected after the wait */ \
	X(DISCARD_VIOLATOR, "discard_violator")				\
	/* no state, outside a wait: discard silently, record the penalty */	\
	X(DISCARD_STRAY, "discard_stray")				\
	/* wait: not a new connection and no entry: discard, no penalty */	\
	X(DISCARD_NO_ENTRY, "discard_no_entry")				\
	/* delayed SETUP: reply ACCEPT (wait = Twait); the wait began */	\
	X(SETUP_ACCEPT_WAIT, "setup_accept_wait")			\
	/* intranet SETUP: create E(W, A) = result.bind, reply ACCEPT */	\
	X(SETUP_ACCEPT_NEW, "setup_accept_new")				\
	/* intranet SETUP: E(W, A) already binds this (R, B); reply ACCEPT */	\
	X(SETUP_ACCEPT_SAME, "setup_accept_same")			\
	/* intranet SETUP: A bound to another (R, B): REJECT (ADMISSION) */	\
	X(SETUP_REJECT_ADMISSION, "setup_reject_admission")		\
	/* intranet SETUP: A blocked at W: REJECT (INITIATOR_BLOCKED) */	\
	X(SETUP_REJECT_BLOCKED, "setup_reject_blocked")			\
	/* any SETUP while W waits: no reply at all (§5.2) */		\
	X(SETUP_IGNORED, "setup_ignored")

#define AVES_VERDICT_ENUM_(name, str) AVES_VERDICT_##name,
/** Outcome of one event (see AVES_VERDICT_LIST). */
enum aves_verdict {
	AVES_VERDICT_LIST(AVES_VERDICT_ENUM_)
	AVES_VERDICT_MAX
};
#undef AVES_VERDICT_ENUM_

/** Name of a verdict for counters and logs ("?" when out of range). Any thread. */
const char *aves_verdict_name(enum aves_verdict v);

/* ---------------------------------------------------------------------------------------- */
/* The delayed-binding wait state of one waypoint address (Figure 6)                         */
/* ---------------------------------------------------------------------------------------- */

/** Capacity of the violator set X of one wait. See DISCARD_VIOLATOR and reject_source. */
#define AVES_WAIT_VIOLATORS_MAX 64

/** States of one waypoint address. */
enum aves_wait_state {
	AVES_WAIT_IDLE = 0,	/**< no wait: SETUPs are served, strays are penalised */
	AVES_WAIT_WAITING,	/**< Figure 6 runs until `until_ms`; SETUPs are ignored */
	AVES_WAIT_STATE_MAX
};

/** Events fed to the machine. */
enum aves_wait_event_type {
	/** SETUP in delayed-binding mode (initiator unknown). */
	AVES_WAIT_EV_SETUP_DELAYED = 0,
	/** SETUP in intranet mode: `src` is the initiator A named by the DNS front end. */
	AVES_WAIT_EV_SETUP_INTRANET,
	/** A new connection from `src` to W: a TCP SYN without ACK, or any non-TCP packet (§5.2). */
	AVES_WAIT_EV_NEW_CONNECTION,
	/** Any other packet from `src` to W (a TCP segment that is not an opening SYN). */
	AVES_WAIT_EV_PACKET,
	/** Time passes: only expires the wait (the control loop's tick). */
	AVES_WAIT_EV_TIME,
	/** Internal: generated when now >= until_ms. Not accepted from callers. */
	AVES_WAIT_EV_EXPIRED,
	AVES_WAIT_EV_MAX
};

/**
 * One event. For every event but TIME the caller has looked up the source at W first: its
 * entry E(W, src) in the binding table and its block in the reject/penalty table.
 */
struct aves_wait_event {
	enum aves_wait_event_type type;
	uint32_t src;			/**< S (packets) or A (intranet SETUP) */
	/** SETUP_*: the requested (R, B) and the data-path fields to bind with. */
	struct aves_binding setup;
	/** Packets, intranet SETUP: E(W, src)'s binding, or NULL when src has no entry. */
	const struct aves_binding *src_entry;
	/** Packets, intranet SETUP: aves_block_status() of (W, src) at now. */
	enum aves_block_kind src_block;
};

/** Counters of one waypoint address (written by its owner, read by telemetry). */
struct aves_wait_stats {
	uint64_t verdicts[AVES_VERDICT_MAX];	/**< one per verdict */
	uint64_t waits_entered;
	uint64_t waits_exited;
	uint64_t rejected_on_exit;		/**< members of X given a reject period at exit */
	uint64_t violator_overflow;		/**< violators that found X full (rejected directly) */
};

/** State of one waypoint address W. Initialise with aves_wait_init(). */
struct aves_wait {
	uint8_t state;				/**< enum aves_wait_state */
	uint16_t n_violators;			/**< members of X */
	uint64_t until_ms;			/**< WAITING: the wait ends at this time, fixed */
	struct aves_binding pending;		/**< WAITING: (R, B, ...) of the SETUP */
	uint32_t violators[AVES_WAIT_VIOLATORS_MAX];	/**< X */
	struct aves_wait_stats stats;
};

/** What the caller must do after one event. */
struct aves_wait_result {
	enum aves_verdict verdict;
	/** Send ICMP host unreachable from W to the source (DISCARD_REJECTED, DISCARD_VIOLATOR). */
	bool send_icmp;
	/** BIND, SETUP_ACCEPT_NEW: the entry to create for (W, source). */
	struct aves_binding bind;
	/**
	 * Not AVES_BLOCK_NONE: record (W, source) in the reject/penalty table with this kind
	 * until block_until_ms. Set with DISCARD_STRAY (penalty) and with DISCARD_VIOLATOR when X
	 * was full (reject, ending exactly when the members of X will be released).
	 */
	enum aves_block_kind block;
	uint64_t block_until_ms;
	/**
	 * The wait ended during this call (before the event was handled): every address in
	 * rejected[0..n_rejected) must be recorded as AVES_BLOCK_REJECT until reject_until_ms.
	 */
	bool wait_ended;
	uint16_t n_rejected;
	uint64_t reject_until_ms;
	uint32_t rejected[AVES_WAIT_VIOLATORS_MAX];
};

/** Start a waypoint address in IDLE with zero counters. Owner thread. */
void aves_wait_init(struct aves_wait *w);

/**
 * Feed one event to W's machine (the transition table in aves_session.c).
 *
 * First, if W is WAITING and now >= until_ms, the wait ends (Figure 6's exit: X is released
 * into result.rejected, each rejected until until_ms + Treject) and the event is then handled
 * in IDLE — as coming from a rejected source when its source is among those just released,
 * since the caller's src_block was looked up before their reject existed. The wait ends only
 * by time: no packet, binding or SETUP shortens it.
 *
 * @param w    the machine of W
 * @param t    timer configuration (valid per aves_session_timers_check())
 * @param ev   the event; AVES_WAIT_EV_EXPIRED is internal and refused
 * @param now  current time in ms
 * @param res  output, always fully set on success
 * @return 0, or -EINVAL (NULL argument, unknown event type). Owner thread of W.
 */
int aves_wait_step(struct aves_wait *w, const struct aves_session_timers *t,
		   const struct aves_wait_event *ev, uint64_t now, struct aves_wait_result *res);

/** aves_wait_step() with a TIME event: the control loop's periodic expiry check. */
int aves_wait_tick(struct aves_wait *w, const struct aves_session_timers *t, uint64_t now,
		   struct aves_wait_result *res);

/** When the control loop next needs to tick W: until_ms while WAITING, else UINT64_MAX. */
uint64_t aves_wait_deadline(const struct aves_wait *w);

/** Names for logs ("?" when out of range). Any thread. */
const char *aves_wait_state_name(enum aves_wait_state s);
const char *aves_wait_event_name(enum aves_wait_event_type e);

/* ---------------------------------------------------------------------------------------- */
/* Session liveness: idle timeouts and FIN tracking                                          */
/* ---------------------------------------------------------------------------------------- */

/** TCP destination port treated as HTTP (§5.2). */
#define AVES_HTTP_PORT 80

/** Bits of aves_liveness.flags. The low four are the protocol classes seen. */
enum aves_live_flag {
	AVES_LIVE_ICMP = 0x01,		/**< ICMP seen */
	AVES_LIVE_UDP = 0x02,		/**< UDP seen */
	AVES_LIVE_TCP = 0x04,		/**< TCP seen */
	AVES_LIVE_OTHER = 0x08,		/**< another IP protocol seen */
	AVES_LIVE_HTTP = 0x10,		/**< TCP to AVES_HTTP_PORT seen: no FIN-based end */
	AVES_LIVE_TCP_CLOSED = 0x20,	/**< a tracked TCP connection of the session has closed */
	/**
	 * A TCP connection of this session is not being tracked (e.g. the caller's connection
	 * table was full): the open count cannot be trusted, so FIN tracking is off and only
	 * the idle timeout ends the session.
	 */
	AVES_LIVE_NO_FIN = 0x40,
	/** Gateway's traceroute ICMP entry (§5.3): fixed traceroute_icmp_ms idle timeout. */
	AVES_LIVE_TRACEROUTE = 0x80,
};
#define AVES_LIVE_CLASS_MASK \
	(AVES_LIVE_ICMP | AVES_LIVE_UDP | AVES_LIVE_TCP | AVES_LIVE_OTHER)

/**
 * Liveness of one session entry. Workers update it concurrently through aves_live_touch() and
 * aves_live_conn_apply() (atomics, no locks); the owner's sweeper reads it with
 * aves_live_expired(). Initialise with aves_live_init() before the entry is published.
 */
struct aves_liveness {
	_Atomic uint64_t last_seen_ms;	/**< time of the latest packet (relaxed) */
	uint64_t born_ms;		/**< creation time, immutable: identifies this session */
	_Atomic uint32_t open_tcp;	/**< tracked TCP connections currently open */
	_Atomic uint8_t flags;		/**< enum aves_live_flag bits, only ever set */
};

/**
 * Initialise before publishing the entry. @p flags may be 0 or AVES_LIVE_TRACEROUTE.
 * Owner thread (the entry is not yet visible).
 */
void aves_live_init(struct aves_liveness *l, uint8_t flags, uint64_t now);

/**
 * The class bit of an IP protocol number (1 ICMP, 6 TCP, 17 UDP, anything else OTHER).
 * Any thread.
 */
static inline uint8_t
aves_live_class(uint8_t ip_proto)
{
	switch (ip_proto) {
	case 1:
		return AVES_LIVE_ICMP;
	case 6:
		return AVES_LIVE_TCP;
	case 17:
		return AVES_LIVE_UDP;
	default:
		return AVES_LIVE_OTHER;
	}
}

/**
 * Record a packet of the session: its class (and HTTP when it is TCP to port 80) and the time.
 * Writes only what changes, so the shared cache line is not dirtied by every packet.
 * The last-seen time may end up a little behind the newest `now` when two workers race (their
 * clocks differ by at most a burst), which is noise against second-scale timeouts.
 *
 * Call it before aves_live_conn_apply() for the same packet, so that a session is never seen
 * with its last connection closed and a stale last-seen time.
 *
 * @param l         the session
 * @param ip_proto  IP protocol number of the packet
 * @param dport     responder-side port in host byte order (ignored unless TCP)
 * @param now       current time in ms
 * Any worker thread, concurrently.
 */
static inline void
aves_live_touch(struct aves_liveness *l, uint8_t ip_proto, uint16_t dport, uint64_t now)
{
	uint8_t bits = aves_live_class(ip_proto);

	if (bits == AVES_LIVE_TCP && dport == AVES_HTTP_PORT)
		bits |= AVES_LIVE_HTTP;
	if ((atomic_load_explicit(&l->flags, memory_order_relaxed) & bits) != bits)
		atomic_fetch_or_explicit(&l->flags, bits, memory_order_relaxed);
	if (atomic_load_explicit(&l->last_seen_ms, memory_order_relaxed) < now)
		atomic_store_explicit(&l->last_seen_ms, now, memory_order_relaxed);
}

/** What one segment did to its connection, as far as the session is concerned. */
enum aves_tcp_effect {
	AVES_TCP_EFFECT_NONE = 0,	/**< nothing changes */
	AVES_TCP_EFFECT_OPENED,		/**< one more open connection */
	AVES_TCP_EFFECT_CLOSED,		/**< one open connection fewer */
	/**
	 * A live connection whose opening SYN was never seen (its record was created
	 * mid-stream): the open count cannot account for it, so FIN tracking must stop.
	 */
	AVES_TCP_EFFECT_UNTRACKED,
};

/**
 * Apply to the session what aves_tcp_step() returned for one of its connections.
 *
 * The caller must apply CLOSED only to the session that received the matching OPENED: keep
 * the session's born_ms in the connection record and compare, because a connection record
 * can outlive its session (the session expired and a new one was created for the same key).
 * When the caller cannot keep a record for a connection at all (its table is full), it
 * applies UNTRACKED.
 *
 * When the last open connection closes, AVES_LIVE_TCP_CLOSED is set. Call aves_live_touch()
 * for the same packet first, so that the sweeper never sees a closed session with a stale
 * last-seen time.
 * Any worker thread, concurrently.
 */
static inline void
aves_live_conn_apply(struct aves_liveness *l, enum aves_tcp_effect e)
{
	switch (e) {
	case AVES_TCP_EFFECT_OPENED:
		atomic_fetch_add_explicit(&l->open_tcp, 1, memory_order_relaxed);
		break;
	case AVES_TCP_EFFECT_CLOSED:
		if (atomic_fetch_sub_explicit(&l->open_tcp, 1, memory_order_relaxed) == 1)
			atomic_fetch_or_explicit(&l->flags, AVES_LIVE_TCP_CLOSED,
						 memory_order_relaxed);
		break;
	case AVES_TCP_EFFECT_UNTRACKED:
		if ((atomic_load_explicit(&l->flags, memory_order_relaxed) &
		     AVES_LIVE_NO_FIN) == 0)
			atomic_fetch_or_explicit(&l->flags, AVES_LIVE_NO_FIN,
						 memory_order_relaxed);
		break;
	default:
		break;
	}
}

/**
 * The idle timeout for a set of flag bits:
 * - traceroute entry: traceroute_icmp_ms;
 * - HTTP seen: idle_http_ms, or the larger of idle_http_ms and idle_other_ms when the
 *   session also carried something other than TCP (never less than the HTTP timeout);
 * - exactly one class: that class's timeout;
 * - several classes, OTHER, or none yet (an intranet entry before its first packet):
 *   idle_other_ms, the paper's default.
 * Any thread.
 */
uint32_t aves_live_idle_timeout(uint8_t flags, const struct aves_session_timers *t);

/**
 * Whether FIN tracking has ended the session (subject to the linger): TCP is the only class
 * seen, no HTTP, every connection tracked, at least one has closed and none is open.
 */
bool aves_live_fin_ended(const struct aves_liveness *l);

/**
 * The time at which the session expires: last_seen + idle timeout, or last_seen +
 * tcp_linger_ms when aves_live_fin_ended() and that is earlier.
 */
uint64_t aves_live_deadline(const struct aves_liveness *l, const struct aves_session_timers *t);

/** now >= aves_live_deadline(). Owner's sweeper, or a worker checking lazily at lookup. */
bool aves_live_expired(const struct aves_liveness *l, const struct aves_session_timers *t,
		       uint64_t now);

/** Milliseconds until the session expires, 0 when it has. For the sweeper's scheduling. */
uint64_t aves_live_time_left(const struct aves_liveness *l,
			     const struct aves_session_timers *t, uint64_t now);

/* ---------------------------------------------------------------------------------------- */
/* One TCP connection: the FIN tracking state machine                                        */
/* ---------------------------------------------------------------------------------------- */

/** TCP header flag bits as on the wire (RFC 9293). */
enum aves_tcp_bit {
	AVES_TCP_BIT_FIN = 0x01,
	AVES_TCP_BIT_SYN = 0x02,
	AVES_TCP_BIT_RST = 0x04,
	AVES_TCP_BIT_ACK = 0x10,
};

/** State of one TCP connection of a session (kept in the caller's connection record). */
enum aves_tcp_state {
	AVES_TCP_NONE = 0,		/**< no opening SYN seen: not counted */
	AVES_TCP_OPEN,			/**< opening SYN seen: counted as open */
	AVES_TCP_FIN_INITIATOR,		/**< two-way observer: the initiator's FIN seen */
	AVES_TCP_FIN_RESPONDER,		/**< two-way observer: the responder's FIN seen */
	AVES_TCP_CLOSED,		/**< closed: no longer counted */
	AVES_TCP_STATE_MAX
};

/** What a segment means to the connection. */
enum aves_tcp_input {
	AVES_TCP_IN_OTHER = 0,		/**< anything that neither opens nor closes */
	AVES_TCP_IN_SYN,		/**< SYN without ACK (and without FIN) from the initiator */
	AVES_TCP_IN_FIN_INITIATOR,	/**< FIN from the initiator, seen by a two-way observer */
	AVES_TCP_IN_FIN_RESPONDER,	/**< FIN from the responder, seen by a two-way observer */
	/**
	 * The connection is over: RST from either side, the initiator's FIN at a one-way
	 * observer (the waypoint never sees the responder's FIN), or the caller aging out a
	 * connection record that has been idle for the TCP timeout.
	 */
	AVES_TCP_IN_CLOSE,
	AVES_TCP_IN_MAX
};

/**
 * Classify a TCP segment for aves_tcp_step().
 * @param tcp_flags       the header's flag byte (AVES_TCP_BIT_*)
 * @param from_initiator  the segment travels initiator -> responder
 * @param two_way         the observer sees both directions (the NAT gateway) rather than
 *                        the initiator's only (the waypoint)
 * Any thread.
 */
enum aves_tcp_input aves_tcp_classify(uint8_t tcp_flags, bool from_initiator, bool two_way);

/**
 * Advance one connection (the transition table in aves_session.c) and return what it means
 * for the session, for aves_live_conn_apply().
 * An out-of-range state or input leaves the state unchanged and returns
 * AVES_TCP_EFFECT_NONE.
 * Any thread (the connection record belongs to the caller).
 */
enum aves_tcp_effect aves_tcp_step(uint8_t *state, enum aves_tcp_input in);

#ifdef __cplusplus
}
#endif

#endif /* AVES_SESSION_H */
