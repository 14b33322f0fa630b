/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_defence.h
 * The DNS front end's defences (the AVES paper §6.2): requesters that ask for names that do
 * not exist are penalised (their queries dropped for a while), the rate of new sessions per
 * responder is limited, and error replies are rate-limited so aves-dns is a poor reflector.
 *
 * Rates use the generic cell rate algorithm: one 64-bit "theoretical arrival time" per limiter,
 * integer arithmetic, exact boundaries. The penalty table is a fixed-size 4-way set-associative
 * cache with a per-process random hash seed: memory stays bounded under a flood of distinct
 * sources, and a full set replaces the entry that would expire first.
 *
 * Time: every function takes @c now, monotonic microseconds. Threads: one (the server thread).
 */
#ifndef DNS_DEFENCE_H
#define DNS_DEFENCE_H

#include <stdbool.h>
#include <stdint.h>

#define DNS_US_PER_S 1000000ull

/**
 * Keyed 64-bit mixing for the bounded tables: without the seed, an outsider cannot choose many
 * keys that land in one bucket. Not a MAC; enough to spread addresses a flood picks.
 */
static inline uint64_t
dns_hash64(uint64_t key, uint64_t seed)
{
	uint64_t h = (key ^ seed) * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	h *= seed | 1;
	return h ^ (h >> 32);
}

/** A rate: @c per_second events on average, @c burst back to back. */
struct dns_rate {
	uint32_t per_second; /**< >= 1 */
	uint32_t burst;      /**< >= 1 */
};

/**
 * Take one event from a limiter whose state is @p tat (start it at 0).
 * @return true if the event is within the rate (the state advances), false if not (unchanged).
 */
bool dns_rate_take(uint64_t *tat, const struct dns_rate *rate, uint64_t now);

struct dns_penalty_params {
	uint32_t capacity;  /**< entries; rounded up to a power of two, at least 4 */
	uint32_t threshold; /**< nonexistent-name queries that start a penalty, >= 1 */
	uint64_t time_us;   /**< how long strikes are remembered and a penalty lasts */
	uint64_t seed;      /**< hash seed (random in production, fixed in tests) */
};

struct dns_penalty;

/** @return the table, or NULL (EINVAL, ENOMEM). */
struct dns_penalty *dns_penalty_create(const struct dns_penalty_params *params);

/** NULL is a no-op. */
void dns_penalty_free(struct dns_penalty *pen);

/** Change threshold and time (a reload); capacity and seed stay. Entries are kept. */
void dns_penalty_retune(struct dns_penalty *pen, uint32_t threshold, uint64_t time_us);

/** Whether queries from @p addr are to be dropped now. */
bool dns_penalty_active(const struct dns_penalty *pen, uint32_t addr, uint64_t now);

/**
 * Record that @p addr asked for a name that does not exist.
 * @return true when this strike starts a penalty.
 */
bool dns_penalty_strike(struct dns_penalty *pen, uint32_t addr, uint64_t now);

/** Requesters penalised right now (a full scan: for the statistics dump only). */
unsigned int dns_penalty_count(const struct dns_penalty *pen, uint64_t now);

#endif /* DNS_DEFENCE_H */
