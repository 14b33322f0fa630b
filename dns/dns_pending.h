/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_pending.h
 * Held answers (the AVES paper §5.1): an A query for a subscriber host is answered only after a
 * waypoint ACCEPTs the SETUP for it.
 *
 * Per held query: up to @c max_attempts SETUPs, each to a different waypoint address chosen at
 * random among the usable ones; the next attempt starts on REJECT, on a send error (reported
 * with dns_pending_unsent(), handled at the next dns_pending_run()), or when the current attempt
 * has had no reply for @c attempt_timeout. A delayed-binding SETUP holds its
 * address until its reply or timeout, and an ACCEPT's wait follows (dns_waypoint.h): when no
 * untried address is free, the query waits for the first that will be, within @c hold_time. Every attempt's serial stays valid
 * until the query is done, so a late ACCEPT for an earlier attempt still answers it. After
 * @c hold_time in total, or when no attempt is left and the last one was rejected, the query is
 * given up: no reply is sent (as in the paper; the requester's retry starts afresh) and the
 * client is "abandoned" (a TCP connection is closed so its client does not wait forever).
 *
 * A second query from the same requester for the same host while one is held (a resolver's
 * retransmission) does not start another SETUP: it replaces the client of the held query,
 * which is answered to the newest one.
 *
 * The table is bounded (@c capacity held queries); dns_pending_hold() refuses when it is full.
 *
 * Time: every function takes @c now, monotonic microseconds; the caller runs
 * dns_pending_run() when dns_pending_next_event() has passed. Threads: one.
 */
#ifndef DNS_PENDING_H
#define DNS_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "dns_stats.h"
#include "dns_waypoint.h"

/** Most SETUP attempts per held query. */
#define DNS_PENDING_ATTEMPTS_MAX 8
/** A held reply: header, question (at most 259 bytes), the A record, OPT. */
#define DNS_HELD_REPLY_MAX 512

/** SETUP mode (docs/PROTOCOL.md §4.2). */
enum dns_setup_mode {
	DNS_MODE_INTRANET = 1, /**< the requester is the initiator */
	DNS_MODE_DELAYED = 2,  /**< the requester is the initiator's resolver */
};

/** Where a reply goes. */
struct dns_client {
	bool tcp;
	uint32_t addr;     /**< requester, host order */
	uint16_t port;
	uint32_t local;    /**< address the query arrived at (UDP reply source), host order */
	uint32_t socket;   /**< listener index (UDP) or connection slot (TCP) */
	uint32_t conn_gen; /**< TCP: the connection slot's generation */
};

/** A query to hold, with what the SETUP needs. */
struct dns_hold {
	struct dns_client client;
	uint32_t host;             /**< the responder's id (zone host index), for coalescing */
	enum dns_setup_mode mode;
	uint32_t responder;        /**< B */
	uint32_t gateway;          /**< R, from the gateway's REGISTER */
	uint16_t gateway_port;
	uint32_t gateway_key;
	const uint8_t *reply;      /**< the reply built by dns_query_answer() */
	size_t reply_len;          /**< <= DNS_HELD_REPLY_MAX */
	size_t rdata_off;          /**< where the waypoint address goes */
};

/** One SETUP to send. */
struct dns_setup {
	uint64_t serial;
	enum dns_setup_mode mode;
	uint16_t gateway_port;
	uint32_t waypoint;  /**< W */
	uint32_t initiator; /**< A (intranet) or the resolver (delayed binding) */
	uint32_t gateway;   /**< R */
	uint32_t responder; /**< B */
	uint32_t gateway_key;
	const struct sockaddr_in *to; /**< the waypoint appliance's control endpoint */
};

struct dns_pending_ops {
	/**
	 * Send a SETUP, now or later (a sender that batches queues it): the attempt runs from
	 * this call. One that cannot be sent is reported with dns_pending_unsent(), which may be
	 * called from within this callback. The sender counts DNS_CTR_SETUP_SENT when it leaves.
	 */
	void (*send_setup)(void *arg, const struct dns_setup *setup);
	/** Send the held reply, now carrying the waypoint address. */
	void (*reply)(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len);
	/** The query will get no reply (given up, or replaced by a newer one). */
	void (*abandon)(void *arg, const struct dns_client *client);
	/**
	 * None of the query's SETUPs could be sent and no other waypoint address can be tried:
	 * answer with an error, as dns_pending_hold() would have (DNS_HOLD_NO_WAYPOINT) had it
	 * known. @p msg is the held reply, whose address is not filled in.
	 */
	void (*fail)(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len);
};

struct dns_pending_params {
	unsigned int capacity;       /**< held queries, >= 1 */
	unsigned int max_attempts;   /**< 1..DNS_PENDING_ATTEMPTS_MAX */
	uint64_t attempt_timeout_us; /**< > 0 */
	uint64_t hold_time_us;       /**< > 0 */
	uint64_t first_serial;       /**< wall-clock microseconds at start (docs/PROTOCOL.md §4.1) */
	uint64_t seed;               /**< hash seed */
	dns_random_fn rnd;           /**< waypoint choice */
	void *rnd_arg;
	const struct dns_pending_ops *ops;
	void *ops_arg;
	struct dns_stats *stats;
};

struct dns_pending;

/** @return the table, or NULL with errno (EINVAL, ENOMEM). */
struct dns_pending *dns_pending_create(const struct dns_pending_params *params);

/** Free the table without calling any callback; NULL is a no-op. */
void dns_pending_free(struct dns_pending *p);

/** Change the timing of future attempts (a reload); held queries keep their deadlines. */
void dns_pending_retune(struct dns_pending *p, unsigned int max_attempts,
			uint64_t attempt_timeout_us, uint64_t hold_time_us);

/**
 * Forget which requester/host each held query is for (after a reload renumbered the hosts):
 * held queries still complete, later queries no longer coalesce with them.
 */
void dns_pending_forget_hosts(struct dns_pending *p);

/**
 * If a query from the same requester for the same host is held, make @p h's client the one
 * that gets the reply (the previous client is abandoned).
 * @return true if it was coalesced (nothing else to do), false if not held.
 */
bool dns_pending_refresh(struct dns_pending *p, const struct dns_hold *h);

enum dns_hold_result {
	DNS_HOLD_STARTED,     /**< a SETUP is on its way */
	DNS_HOLD_FULL,        /**< the table is full */
	DNS_HOLD_NO_WAYPOINT, /**< no waypoint usable */
};

/** Hold a query and send its first SETUP. */
enum dns_hold_result dns_pending_hold(struct dns_pending *p, struct dns_waypoints *wp,
				      const struct dns_hold *h, uint64_t now);

/**
 * An authenticated ACCEPT: answer the held query with @p waypoint. Whether or not it matches
 * a held query, it tells the waypoint set that W's appliance answers, ends the hold of
 * @p serial on W and starts W's wait.
 * @param wait_ms  Twait announced by the waypoint (delayed binding; 0 in intranet mode)
 * @return true if it answered a held query, false if ignored (unknown serial, wrong W).
 */
bool dns_pending_accept(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial,
			uint32_t waypoint, uint32_t wait_ms, uint64_t now);

/**
 * An authenticated REJECT: try the next waypoint (if this was the latest attempt). Whether or
 * not it matches a held query, it tells the waypoint set that W's appliance answers and ends
 * the hold of @p serial on W.
 * @return true if it matched a held query's attempt, false if ignored.
 */
bool dns_pending_reject(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial,
			uint32_t waypoint, uint64_t now);

/**
 * The SETUP @p serial, handed to send_setup(), could not be sent: counted as a send error; the
 * address it held is free again; and the next dns_pending_run() (due at once) carries on as
 * after a REJECT of it: the next attempt if it was the latest, and when no address is left,
 * ops->fail() if none of the query's SETUPs left, else a give-up once no attempt is open.
 * Unknown serials are ignored. Safe to call from within send_setup().
 */
void dns_pending_unsent(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial,
			uint64_t now);

/** Handle every attempt timeout, give-up and unsent SETUP due at @p now. */
void dns_pending_run(struct dns_pending *p, struct dns_waypoints *wp, uint64_t now);

/** When dns_pending_run() next has something to do (UINT64_MAX: nothing held). */
uint64_t dns_pending_next_event(const struct dns_pending *p);

/** Queries held now. */
unsigned int dns_pending_count(const struct dns_pending *p);

/** The serial the next SETUP will carry. */
uint64_t dns_pending_next_serial(const struct dns_pending *p);

#endif /* DNS_PENDING_H */
