/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Penalties for name scanning, and rate limits.
 */
#include <errno.h>
#include <stdlib.h>

#include "dns_defence.h"

#define PENALTY_WAYS 4

bool
dns_rate_take(uint64_t *tat, const struct dns_rate *rate, uint64_t now)
{
	uint64_t interval = DNS_US_PER_S / rate->per_second;
	uint64_t start = *tat > now ? *tat : now;

	if (interval == 0)
		interval = 1;
	/* Admit while the backlog after this event stays within the burst. */
	if (start + interval - now > (uint64_t)rate->burst * interval)
		return false;
	*tat = start + interval;
	return true;
}

struct penalty_entry {
	uint32_t addr;
	uint32_t strikes;
	uint64_t expires; /* 0: free */
};

struct dns_penalty {
	uint32_t threshold;
	uint64_t time_us;
	uint64_t seed;
	uint32_t set_mask;
	struct penalty_entry entries[]; /* (set_mask + 1) * PENALTY_WAYS */
};

struct dns_penalty *
dns_penalty_create(const struct dns_penalty_params *params)
{
	struct dns_penalty *pen;
	uint32_t sets = 1;

	if (params == NULL || params->threshold == 0 || params->capacity == 0 ||
	    params->capacity > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (sets * PENALTY_WAYS < params->capacity)
		sets <<= 1;
	pen = calloc(1, sizeof(*pen) + (size_t)sets * PENALTY_WAYS * sizeof(pen->entries[0]));
	if (pen == NULL)
		return NULL;
	pen->threshold = params->threshold;
	pen->time_us = params->time_us;
	pen->seed = params->seed;
	pen->set_mask = sets - 1;
	return pen;
}

void
dns_penalty_free(struct dns_penalty *pen)
{
	free(pen);
}

void
dns_penalty_retune(struct dns_penalty *pen, uint32_t threshold, uint64_t time_us)
{
	pen->threshold = threshold;
	pen->time_us = time_us;
}

/* The index of the first way of @p addr's set. */
static size_t
set_of(const struct dns_penalty *pen, uint32_t addr)
{
	return (size_t)(dns_hash64(addr, pen->seed) & pen->set_mask) * PENALTY_WAYS;
}

static int
lookup(const struct dns_penalty *pen, uint32_t addr, uint64_t now)
{
	size_t set = set_of(pen, addr);
	unsigned int i;

	for (i = 0; i < PENALTY_WAYS; i++)
		if (pen->entries[set + i].expires > now && pen->entries[set + i].addr == addr)
			return (int)(set + i);
	return -1;
}

bool
dns_penalty_active(const struct dns_penalty *pen, uint32_t addr, uint64_t now)
{
	int i = lookup(pen, addr, now);

	return i >= 0 && pen->entries[i].strikes >= pen->threshold;
}

bool
dns_penalty_strike(struct dns_penalty *pen, uint32_t addr, uint64_t now)
{
	int found = lookup(pen, addr, now);
	struct penalty_entry *e;
	unsigned int i;

	if (found >= 0) {
		e = &pen->entries[found];
	} else {
		struct penalty_entry *set = &pen->entries[set_of(pen, addr)];

		/* A free (or expired) way, else the one that would expire first. */
		e = &set[0];
		for (i = 1; i < PENALTY_WAYS && e->expires > now; i++)
			if (set[i].expires < e->expires)
				e = &set[i];
		e->addr = addr;
		e->strikes = 0;
		e->expires = now + pen->time_us;
	}
	if (e->strikes >= pen->threshold)
		return false; /* already penalised: the penalty is not extended */
	e->strikes++;
	if (e->strikes < pen->threshold)
		return false;
	e->expires = now + pen->time_us;
	return true;
}

unsigned int
dns_penalty_count(const struct dns_penalty *pen, uint64_t now)
{
	unsigned int n = 0;
	size_t i, total = ((size_t)pen->set_mask + 1) * PENALTY_WAYS;

	for (i = 0; i < total; i++)
		if (pen->entries[i].expires > now && pen->entries[i].strikes >= pen->threshold)
			n++;
	return n;
}
