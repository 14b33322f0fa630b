/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_core.h
 * The DNS front end without its sockets: the configuration in force, the defences, the held
 * queries and the control protocol, and the decisions that join them. The server feeds it
 * datagrams and TCP messages and sends what it hands back through struct dns_core_io, so the
 * whole behaviour can be driven from a test with explicit time.
 *
 * A query goes: penalty check → query engine → (error replies: error-rate limit) →
 * (NXDOMAIN: a strike against the requester) → (held answers: gateway registered? coalesce
 * with a held twin, per-responder session rate, SETUP to a waypoint).
 *
 * SETUPs are not sent by the call that starts them but queued, and tagged in one multi-buffer
 * burst (aves_ctrl_encode_burst(): a fraction of the cost of one tag at a time) and handed to
 * io.send_control by dns_core_flush(), which the caller runs once per round of its event loop
 * and before it waits; a queue that fills (DNS_CORE_SETUP_BURST) is flushed at once. Received
 * control messages are verified a burst at a time too (dns_core_control_burst()).
 *
 * Time: @c now is monotonic microseconds; @c wall_ms the wall clock in milliseconds since the
 * Unix epoch (control-message timestamps and freshness). Threads: one.
 */
#ifndef DNS_CORE_H
#define DNS_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "aves_auth.h"
#include "aves_ctrl.h"
#include "dns_config.h"
#include "dns_pending.h"
#include "dns_query.h"
#include "dns_stats.h"

/** Largest query accepted over TCP; queries are tens of bytes, EDNS padding a few hundred. */
#define DNS_TCP_QUERY_MAX 4096
/** Largest reply sent over TCP; a larger one is sent truncated (TC). The AVES zone's largest
 * answer, the NS set with its glue, is far below this. */
#define DNS_TCP_REPLY_MAX 16384

/** Replay windows kept per role (waypoints, gateways): bounded, least recently used evicted. */
#define DNS_REPLAY_WINDOWS 4096

/** SETUPs tagged in one burst, and most handed to io.send_control at once. */
#define DNS_CORE_SETUP_BURST AVES_TAG_BURST_MAX

/** A control message to send (dns_core_io.send_control). */
struct dns_ctrl_out {
	struct sockaddr_in to;
	const uint8_t *msg;
	size_t len;
	int error; /**< set by send_control: 0 when sent, else a negative errno */
};

struct dns_core_io {
	/**
	 * Send a DNS reply to a client (UDP datagram, or TCP message without its length), now or
	 * later in the caller's round: @p msg is valid only during the call.
	 */
	void (*send_reply)(void *arg, const struct dns_client *client, const uint8_t *msg,
			   size_t len);
	/** A held query will get no reply: a TCP client should be disconnected. */
	void (*abandon)(void *arg, const struct dns_client *client);
	/**
	 * Send @p n (1..DNS_CORE_SETUP_BURST) control messages from the control socket, in this
	 * order, before returning, and set each one's error: one that fails must not keep the
	 * others from being sent. The core counts them, and moves the queries of those that
	 * failed on to their next attempt.
	 */
	void (*send_control)(void *arg, struct dns_ctrl_out *out, unsigned int n);
};

struct dns_core_params {
	struct aves_auth_ctx *auth; /**< MAC context of the server thread */
	const struct dns_core_io *io;
	void *io_arg;
	uint64_t wall_us; /**< wall clock at start: first SETUP serial; older messages refused */
	uint64_t seed;    /**< hash seed (random) */
	dns_random_fn rnd; /**< waypoint choice (random) */
	void *rnd_arg;
};

struct dns_core;

/**
 * Start a front end with @p cfg, which it then owns.
 * @return the core, or NULL with errno (EINVAL, ENOMEM); @p cfg is not freed on failure.
 */
struct dns_core *dns_core_create(struct dns_config *cfg, const struct dns_core_params *params);

/** Free the core and its configuration; held queries are dropped silently. NULL: no-op. */
void dns_core_free(struct dns_core *core);

/**
 * Replace the configuration, everything or nothing. Gateway registrations and held queries
 * carry over; per-responder rate state starts afresh. SETUPs queued under the old
 * configuration are sent first, tagged with its key.
 * @return NULL when @p next is now in force (and owned by the core), or the name of a setting
 *         that only a restart can change (@p next stays the caller's).
 */
const char *dns_core_reload(struct dns_core *core, struct dns_config *next);

/** The configuration in force. */
const struct dns_config *dns_core_config(const struct dns_core *core);

/**
 * One DNS query from @p client.
 * @return DNS_VERDICT_RESPOND (a reply was sent), DNS_VERDICT_HOLD (a reply or an abandon
 *         callback will follow) or DNS_VERDICT_DISCARD (nothing will ever be sent: a TCP
 *         client is best disconnected).
 */
enum dns_verdict dns_core_query(struct dns_core *core, const uint8_t *msg, size_t len,
		    const struct dns_client *client, uint64_t now, uint64_t wall_ms);

/**
 * Datagrams received on the control socket, in arrival order: verified a burst at a time
 * (aves_ctrl_decode_burst(): the same verdicts as one after another, replays within the
 * burst included), then acted on in that order. Replies and SETUPs that follow are sent as
 * dns_core_query()'s are.
 */
void dns_core_control_burst(struct dns_core *core, const struct aves_ctrl_dgram *in,
			    unsigned int n, uint64_t now, uint64_t wall_ms);

/** One datagram received on the control socket: dns_core_control_burst() of one. */
void dns_core_control(struct dns_core *core, const uint8_t *msg, size_t len, uint64_t now,
		      uint64_t wall_ms);

/**
 * Send the SETUPs queued since the last flush: tag them in one burst and hand them to
 * io.send_control. A SETUP that could not be sent is counted as a send error and its query
 * moves on at once (another address, whose SETUP this call sends too; a query none of whose
 * SETUPs could be sent is answered SERVFAIL, as when no waypoint is usable). Run it at the end
 * of every round of the event loop and before waiting.
 */
void dns_core_flush(struct dns_core *core, uint64_t now, uint64_t wall_ms);

/** Attempt timeouts and give-ups due now. */
void dns_core_run(struct dns_core *core, uint64_t now, uint64_t wall_ms);

/** When dns_core_run() next has work (UINT64_MAX: none). */
uint64_t dns_core_next_event(const struct dns_core *core);

/** The counters (the server adds its TCP and framing counters to them). */
struct dns_stats *dns_core_stats(struct dns_core *core);

/** The statistics dump: counters plus the current state (held, penalised, registered). */
size_t dns_core_format_stats(const struct dns_core *core, uint64_t now, char *buf, size_t cap);

#endif /* DNS_CORE_H */
