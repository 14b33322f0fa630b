/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_waypoint.h
 * The waypoints a DNS front end may choose from: each waypoint appliance has a control
 * endpoint (address:port receiving SETUP) and serves a list of waypoint addresses.
 *
 * Health: an appliance that lets @c fail_threshold SETUP attempts in a row time out is skipped
 * for @c down_time; any authenticated reply from it clears that. A SETUP that times out after
 * its appliance has sent some authenticated reply is not held against it: the appliance is
 * alive, and the silence was a wait state (perhaps one started by another DNS front end) or
 * a lost datagram.
 *
 * Wait states: a waypoint address ignores SETUPs during its delayed-binding wait
 * (docs/PROTOCOL.md §4.4), so an address is unusable
 *  - while it is @e held: from the moment a delayed-binding SETUP is sent to it until that
 *    SETUP's reply or timeout, since the SETUP may start a wait;
 *  - while it is @e waiting: for the Twait an ACCEPT announced, counted from the ACCEPT's
 *    arrival, plus a guard of Twait/256 + 1 ms against the waypoint's clock running slow.
 * An ACCEPT turns the hold into the wait; a REJECT of the holding SETUP ends the hold at once;
 * a timeout lets it lapse. Only the holding SETUP (by serial) ends a hold early.
 *
 * Threads: one (the server thread). Time: @c now, monotonic microseconds.
 */
#ifndef DNS_WAYPOINT_H
#define DNS_WAYPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

struct dns_waypoint_server {
	struct sockaddr_in control; /**< where SETUPs go */
	unsigned int fails;         /**< attempts timed out in a row */
	uint64_t down_until;
	uint64_t last_reply;        /**< when its latest authenticated reply arrived (0: never) */
};

struct dns_waypoint_addr {
	uint32_t addr;        /**< W, host order */
	uint32_t server;      /**< index into servers[] */
	uint64_t wait_until;  /**< in a delayed-binding wait state until then */
	uint64_t hold_until;  /**< held by a delayed-binding SETUP until then */
	uint64_t hold_serial; /**< that SETUP's serial */
};

struct dns_waypoints {
	struct dns_waypoint_server *servers;
	unsigned int n_servers;
	struct dns_waypoint_addr *addrs;
	unsigned int n_addrs;
	unsigned int fail_threshold;
	uint64_t down_time_us;
	uint32_t generation; /**< differs between two sets alive at once (a reload) */
};

/**
 * Allocate a set with room for the given numbers of servers and addresses (the counts are set;
 * the loader fills every element).
 * @return the set, or NULL (ENOMEM).
 */
struct dns_waypoints *dns_waypoints_create(unsigned int n_servers, unsigned int n_addrs);

/** NULL is a no-op. */
void dns_waypoints_free(struct dns_waypoints *wp);

/** Random number below @p bound (bound >= 1). */
typedef uint32_t (*dns_random_fn)(void *arg, uint32_t bound);

/**
 * Choose a waypoint address uniformly among those usable now: appliance not down, address
 * neither held nor waiting, address not in @p exclude (already tried for this lookup).
 * @return an index into addrs[], or -1 when none is usable.
 */
int dns_waypoints_pick(const struct dns_waypoints *wp, uint64_t now, const uint32_t *exclude,
		       unsigned int n_exclude, dns_random_fn rnd, void *rnd_arg);

/**
 * The earliest time at or after @p now when an address not in @p exclude, on an appliance
 * that is not down, is neither held nor waiting: UINT64_MAX when there is none. A hold may
 * end sooner (dns_waypoints_replied() says so).
 */
uint64_t dns_waypoints_next_usable(const struct dns_waypoints *wp, uint64_t now,
				   const uint32_t *exclude, unsigned int n_exclude);

/** The index of address @p addr (host order) in addrs[], or -1. */
int dns_waypoints_find(const struct dns_waypoints *wp, uint32_t addr);

/**
 * A delayed-binding SETUP with @p serial was sent to address @p a: nobody else may use it
 * until @p until (the attempt's timeout) unless its reply comes first.
 */
void dns_waypoints_hold(struct dns_waypoints *wp, unsigned int a, uint64_t serial,
			uint64_t until);

/**
 * An authenticated ACCEPT or REJECT naming address @p a, in reply to the SETUP @p serial,
 * arrived at @p now: the appliance is answering (failures cleared, not down); the hold of
 * @p serial on @p a, if any, ends; and a wait of @p wait_us (an ACCEPT's announced Twait; 0
 * for a REJECT or an intranet ACCEPT) starts, with its guard.
 * @return true if this made @p a usable before dns_waypoints_next_usable() said it would be
 *         (a hold ended and no wait began): queries waiting for an address may try again.
 */
bool dns_waypoints_replied(struct dns_waypoints *wp, unsigned int a, uint64_t serial,
			   uint64_t wait_us, uint64_t now);

/**
 * The delayed-binding SETUP @p serial to address @p a was never sent after all (a sender that
 * batches learns of its failure later): the hold it took ends, as if it had not been taken.
 * Says nothing about the appliance's health.
 * @return true if this made @p a usable now: queries waiting for an address may try again.
 */
bool dns_waypoints_unhold(struct dns_waypoints *wp, unsigned int a, uint64_t serial, uint64_t now);

/** What an unanswered SETUP did to its appliance's health. */
enum dns_timeout_verdict {
	DNS_TIMEOUT_EXCUSED,     /**< not counted: the appliance replied since it was sent */
	DNS_TIMEOUT_COUNTED,     /**< one more failure in a row */
	DNS_TIMEOUT_MARKED_DOWN, /**< the failure that marked the appliance down */
};

/**
 * The SETUP sent to address @p a at @p sent went unanswered. It counts against the appliance
 * only if the appliance has sent no authenticated reply since @p sent.
 */
enum dns_timeout_verdict dns_waypoints_timed_out(struct dns_waypoints *wp, unsigned int a,
						 uint64_t sent, uint64_t now);

#endif /* DNS_WAYPOINT_H */
