/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_random.h
 * aves-dns's random numbers: the choice of waypoint address, which must stay unpredictable to
 * an attacker (the AVES paper §6.2: the only way in without a host name is to hit a waypoint
 * address in its wait state), and the hash seeds.
 *
 * The bytes come from the kernel's CSPRNG, getrandom(2), 256 at a time — the largest request
 * that Linux always satisfies in full, without interruption by signals — so a lookup costs no
 * system call (glibc 2.36's arc4random_uniform() makes one per call). Each byte is used once
 * and wiped when used, so a later memory disclosure does not reveal past choices.
 * dns_random_uniform() is unbiased (rejection sampling).
 *
 * fork() copies the state: only one of the two processes may go on drawing from it.
 * Threads: one per generator.
 */
#ifndef DNS_RANDOM_H
#define DNS_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/** Bytes fetched from the source at a time. */
#define DNS_RANDOM_BLOCK 256

/**
 * Fill @p buf with @p len random bytes.
 * @return 0, or a negative errno (the generator's creation fails; later, the process aborts).
 */
typedef int (*dns_random_source_fn)(void *arg, uint8_t *buf, size_t len);

struct dns_random;

/**
 * Create a generator and fetch its first block (so a missing source shows at start).
 * @param source  where the bytes come from; NULL: getrandom(2). Tests give a deterministic one.
 * @param arg     passed to @p source
 * @return the generator, or NULL with errno (ENOMEM, or the source's error).
 */
struct dns_random *dns_random_create(dns_random_source_fn source, void *arg);

/** Wipe and free; NULL is a no-op. */
void dns_random_free(struct dns_random *r);

/**
 * A number uniformly distributed in [0, @p bound): draws 32-bit words and rejects the
 * 2^32 mod @p bound lowest, which would make small results likelier. Aborts if the source
 * fails after creation (getrandom(2) does not, for 256 bytes, once created successfully).
 * @return 0 when @p bound is 0 or 1 (and nothing is consumed).
 */
uint32_t dns_random_uniform(struct dns_random *r, uint32_t bound);

/** 64 random bits (hash seeds). Aborts as dns_random_uniform() does. */
uint64_t dns_random_u64(struct dns_random *r);

#endif /* DNS_RANDOM_H */
