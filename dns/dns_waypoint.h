/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_waypoint.h
 * The waypoints a DNS front end may choose from: each waypoint appliance has a control
 * endpoint (address:port receiving SETUP) and serves a list of waypoint addresses.
 *
 * Health: an appliance that lets @c fail_threshold SETUP attempts in a row time out is skipped
 * for @c down_time; any authenticated reply from it clears that. A waypoint address that
 * ACCEPTed a delayed-binding SETUP is in its wait state for the Twait the ACCEPT announced and
 * would ignore SETUPs meanwhile (docs/PROTOCOL.md §4.4), so it is skipped until then.
 *
 * Threads: one (the server thread). Time: @c now, monotonic microseconds.
 */
#ifndef DNS_WAYPOINT_H
#define DNS_WAYPOINT_H

#include <stdint.h>

#include <netinet/in.h>

struct dns_waypoint_server {
	struct sockaddr_in control; /**< where SETUPs go */
	unsigned int fails;         /**< attempts timed out in a row */
	uint64_t down_until;
};

struct dns_waypoint_addr {
	uint32_t addr;       /**< W, host order */
	uint32_t server;     /**< index into servers[] */
	uint64_t busy_until; /**< in a delayed-binding wait state until then */
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
 * Choose a waypoint address uniformly among those usable now: appliance not down, address not
 * in a wait state, address not in @p exclude (already tried for this lookup).
 * @return an index into addrs[], or -1 when none is usable.
 */
int dns_waypoints_pick(const struct dns_waypoints *wp, uint64_t now, const uint32_t *exclude,
		       unsigned int n_exclude, dns_random_fn rnd, void *rnd_arg);

/** An authenticated ACCEPT or REJECT came from the appliance serving address @p a. */
/**
 * The earliest time at or after @p now when an address not in @p exclude, on a server that is
 * answering, is out of its wait state (busy_until): UINT64_MAX when there is none.
 */
uint64_t dns_waypoints_next_usable(const struct dns_waypoints *wp, uint64_t now,
				   const uint32_t *exclude, unsigned int n_exclude);

void dns_waypoints_answered(struct dns_waypoints *wp, unsigned int a);

/**
 * A SETUP to address @p a went unanswered.
 * @return 1 if this marked its appliance down, else 0.
 */
int dns_waypoints_timed_out(struct dns_waypoints *wp, unsigned int a, uint64_t now);

/** Address @p a is in a wait state until @p until. */
void dns_waypoints_busy(struct dns_waypoints *wp, unsigned int a, uint64_t until);

#endif /* DNS_WAYPOINT_H */
