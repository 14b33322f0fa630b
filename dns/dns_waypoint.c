/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waypoint choice and health.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "dns_waypoint.h"

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

static bool
usable(const struct dns_waypoints *wp, unsigned int a, uint64_t now, const uint32_t *exclude,
       unsigned int n_exclude)
{
	unsigned int i;

	if (wp->addrs[a].busy_until > now || wp->servers[wp->addrs[a].server].down_until > now)
		return false;
	for (i = 0; i < n_exclude; i++)
		if (exclude[i] == wp->addrs[a].addr)
			return false;
	return true;
}

uint64_t
dns_waypoints_next_usable(const struct dns_waypoints *wp, uint64_t now, const uint32_t *exclude,
			  unsigned int n_exclude)
{
	uint64_t next = UINT64_MAX;
	unsigned int a, i;

	for (a = 0; a < wp->n_addrs; a++) {
		uint64_t t = wp->addrs[a].busy_until > now ? wp->addrs[a].busy_until : now;
		bool excluded = false;

		for (i = 0; i < n_exclude && !excluded; i++)
			excluded = exclude[i] == wp->addrs[a].addr;
		/* A server that stopped answering stays out: only a wait is worth waiting for. */
		if (excluded || wp->servers[wp->addrs[a].server].down_until > now)
			continue;
		if (t < next)
			next = t;
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

void
dns_waypoints_answered(struct dns_waypoints *wp, unsigned int a)
{
	struct dns_waypoint_server *s = &wp->servers[wp->addrs[a].server];

	s->fails = 0;
	s->down_until = 0;
}

int
dns_waypoints_timed_out(struct dns_waypoints *wp, unsigned int a, uint64_t now)
{
	struct dns_waypoint_server *s = &wp->servers[wp->addrs[a].server];

	if (++s->fails < wp->fail_threshold || s->down_until > now)
		return 0;
	s->down_until = now + wp->down_time_us;
	s->fails = 0;
	return 1;
}

void
dns_waypoints_busy(struct dns_waypoints *wp, unsigned int a, uint64_t until)
{
	wp->addrs[a].busy_until = until;
}
