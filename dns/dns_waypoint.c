/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waypoint choice and health.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "dns_waypoint.h"

/*
 * The wait is timed by the waypoint's clock from when it took the SETUP; the ACCEPT arrives
 * later than that, but the two clocks' rates differ. An aves-waypoint that converted TSC ticks
 * by DPDK's nominal rate (0.19 % off on a 2.45 GHz VM; it now measures the rate at start-up)
 * made a 2-second wait last 2003.7 ms, and SETUPs sent when our copy of the wait ended were
 * ignored. 1/256 of the wait (0.4 %) plus a millisecond of timer granularity covers such
 * drift and NTP's 500 ppm bound, for 9 ms in 2 s; a SETUP lost to an early end costs its
 * lookup a setup-timeout (700 ms).
 */
#define WAIT_GUARD_SHIFT 8
#define WAIT_GUARD_US 1000

struct dns_waypoints *
dns_waypoints_create(unsigned int n_servers, unsigned int n_addrs)
{
	static uint32_t generations;
	struct dns_waypoints *wp = calloc(1, sizeof(*wp));

	if (wp == NULL)
		return NULL;
	wp->servers = calloc(n_servers + 1, sizeof(*wp->servers));
	wp->addrs = calloc(n_addrs + 1, sizeof(*wp->addrs));
	if (wp->servers == NULL || wp->addrs == NULL) {
		dns_waypoints_free(wp);
		return NULL;
	}
	wp->n_servers = n_servers;
	wp->n_addrs = n_addrs;
	wp->generation = ++generations;
	return wp;
}

void
dns_waypoints_free(struct dns_waypoints *wp)
{
	if (wp == NULL)
		return;
	free(wp->servers);
	free(wp->addrs);
	free(wp);
}

/* When address @p w can next be used, ignoring its appliance's health (at least @p now). */
static uint64_t
free_at(const struct dns_waypoint_addr *w, uint64_t now)
{
	uint64_t t = w->wait_until > w->hold_until ? w->wait_until : w->hold_until;

	return t > now ? t : now;
}

static bool
excluded(const struct dns_waypoint_addr *w, const uint32_t *exclude, unsigned int n_exclude)
{
	unsigned int i;

	for (i = 0; i < n_exclude; i++)
		if (exclude[i] == w->addr)
			return true;
	return false;
}

static bool
usable(const struct dns_waypoints *wp, unsigned int a, uint64_t now, const uint32_t *exclude,
       unsigned int n_exclude)
{
	const struct dns_waypoint_addr *w = &wp->addrs[a];

	return free_at(w, now) == now && wp->servers[w->server].down_until <= now &&
	       !excluded(w, exclude, n_exclude);
}

uint64_t
dns_waypoints_next_usable(const struct dns_waypoints *wp, uint64_t now, const uint32_t *exclude,
			  unsigned int n_exclude)
{
	uint64_t next = UINT64_MAX;
	unsigned int a;

	for (a = 0; a < wp->n_addrs; a++) {
		const struct dns_waypoint_addr *w = &wp->addrs[a];

		/* A server that stopped answering stays out: only a wait is worth waiting for. */
		if (excluded(w, exclude, n_exclude) || wp->servers[w->server].down_until > now)
			continue;
		if (free_at(w, now) < next)
			next = free_at(w, now);
	}
	return next;
}

int
dns_waypoints_pick(const struct dns_waypoints *wp, uint64_t now, const uint32_t *exclude,
		   unsigned int n_exclude, dns_random_fn rnd, void *rnd_arg)
{
	unsigned int a, n = 0;
	uint32_t k;

	for (a = 0; a < wp->n_addrs; a++)
		n += usable(wp, a, now, exclude, n_exclude);
	if (n == 0)
		return -1;
	k = rnd(rnd_arg, n);
	for (a = 0; a < wp->n_addrs; a++)
		if (usable(wp, a, now, exclude, n_exclude) && k-- == 0)
			return (int)a;
	return -1;
}

int
dns_waypoints_find(const struct dns_waypoints *wp, uint32_t addr)
{
	unsigned int a;

	for (a = 0; a < wp->n_addrs; a++)
		if (wp->addrs[a].addr == addr)
			return (int)a;
	return -1;
}

void
dns_waypoints_hold(struct dns_waypoints *wp, unsigned int a, uint64_t serial, uint64_t until)
{
	wp->addrs[a].hold_serial = serial;
	wp->addrs[a].hold_until = until;
}

bool
dns_waypoints_replied(struct dns_waypoints *wp, unsigned int a, uint64_t serial,
		      uint64_t wait_us, uint64_t now)
{
	struct dns_waypoint_addr *w = &wp->addrs[a];
	struct dns_waypoint_server *s = &wp->servers[w->server];
	bool released = false;

	s->fails = 0;
	s->down_until = 0;
	s->last_reply = now;
	/* A reply to another SETUP (a late one, whose hold had lapsed) must not free an address
	 * a newer SETUP holds: that one may yet start a wait. */
	if (w->hold_serial == serial && w->hold_until > now) {
		w->hold_until = 0;
		released = true;
	}
	if (wait_us > 0) {
		uint64_t until = now + wait_us + (wait_us >> WAIT_GUARD_SHIFT) + WAIT_GUARD_US;

		if (until > w->wait_until)
			w->wait_until = until;
	}
	return released && w->wait_until <= now;
}

bool
dns_waypoints_unhold(struct dns_waypoints *wp, unsigned int a, uint64_t serial, uint64_t now)
{
	struct dns_waypoint_addr *w = &wp->addrs[a];

	if (w->hold_serial != serial || w->hold_until <= now)
		return false;
	w->hold_until = 0;
	return w->wait_until <= now;
}

enum dns_timeout_verdict
dns_waypoints_timed_out(struct dns_waypoints *wp, unsigned int a, uint64_t sent, uint64_t now)
{
	struct dns_waypoint_server *s = &wp->servers[wp->addrs[a].server];

	if (s->last_reply > sent)
		return DNS_TIMEOUT_EXCUSED;
	if (++s->fails < wp->fail_threshold || s->down_until > now)
		return DNS_TIMEOUT_COUNTED;
	s->down_until = now + wp->down_time_us;
	s->fails = 0;
	return DNS_TIMEOUT_MARKED_DOWN;
}
