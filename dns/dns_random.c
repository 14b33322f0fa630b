/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random numbers from the kernel's CSPRNG, fetched in blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_random.h"

struct dns_random {
	dns_random_source_fn source;
	void *arg;
	size_t used; /* bytes of block[] consumed (and wiped) */
	uint8_t block[DNS_RANDOM_BLOCK];
};

static int
getrandom_source(void *arg, uint8_t *buf, size_t len)
{
	size_t done = 0;

	(void)arg;
	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue; /* only while the pool is not yet initialised, at boot */
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

static int
refill(struct dns_random *r)
{
	int rc = r->source(r->arg, r->block, sizeof(r->block));

	r->used = rc == 0 ? 0 : sizeof(r->block);
	return rc;
}

struct dns_random *
dns_random_create(dns_random_source_fn source, void *arg)
{
	struct dns_random *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL)
		return NULL;
	r->source = source != NULL ? source : getrandom_source;
	r->arg = arg;
	rc = refill(r);
	if (rc != 0) {
		dns_random_free(r);
		errno = -rc;
		return NULL;
	}
	return r;
}

void
dns_random_free(struct dns_random *r)
{
	if (r == NULL)
		return;
	explicit_bzero(r->block, sizeof(r->block));
	free(r);
}

static uint32_t
next_u32(struct dns_random *r)
{
	uint32_t x;

	/* A source that worked at creation and then fails leaves no safe way on: a predictable
	 * waypoint choice is the attack the randomness is there to stop. */
	if (r->used + sizeof(x) > sizeof(r->block) && refill(r) != 0)
		abort();
	memcpy(&x, r->block + r->used, sizeof(x));
	explicit_bzero(r->block + r->used, sizeof(x));
	r->used += sizeof(x);
	return x;
}

uint32_t
dns_random_uniform(struct dns_random *r, uint32_t bound)
{
	/* 2^32 mod bound, computed in 32 bits: the count of words that would over-represent
	 * the results below it. */
	uint32_t reject_below, x;

	if (bound <= 1)
		return 0;
	reject_below = (uint32_t)-bound % bound;
	do
		x = next_u32(r);
	while (x < reject_below);
	return x % bound;
}

uint64_t
dns_random_u64(struct dns_random *r)
{
	uint64_t hi = next_u32(r);

	return hi << 32 | next_u32(r);
}
