/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_replay.h
 * Replay windows for control messages (docs/PROTOCOL.md §4.6 step 6): one RFC 6479-style
 * sliding bitmap of AVES_REPLAY_WINDOW serials per (key id, origin), in a table of fixed
 * capacity that evicts the least recently used window when a new sender arrives and it is
 * full. No DPDK dependency.
 *
 * Threads: a table belongs to one thread (the control thread that decodes messages); every
 * function on it, aves_replay_stats() included, is called from that thread only. There are no
 * locks. Only authenticated messages reach the table, so its keys are not attacker-chosen
 * and its hash is not keyed.
 */
#ifndef AVES_REPLAY_H
#define AVES_REPLAY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Serials a window remembers: the highest seen and the 1023 below it. */
#define AVES_REPLAY_WINDOW 1024
/** Upper bound on a table's capacity (windows). */
#define AVES_REPLAY_MAX (1u << 20)

/** Whether a serial may still be accepted from a sender. */
enum aves_replay_result {
	AVES_REPLAY_FRESH = 0, /**< not seen, and within or above the window */
	AVES_REPLAY_SEEN,      /**< already accepted once */
	AVES_REPLAY_TOO_OLD,   /**< AVES_REPLAY_WINDOW or more below the highest serial seen */
};

struct aves_replay;

/** Counters of one table. */
struct aves_replay_stats {
	unsigned int capacity; /**< windows the table can hold */
	unsigned int used;     /**< windows held now */
	uint64_t evictions;    /**< windows dropped to make room for a new sender */
};

/**
 * Create a table. All memory is allocated here; nothing is allocated afterwards.
 * @param capacity  most windows held at once, 1..AVES_REPLAY_MAX
 * @return the table, or NULL with errno set (EINVAL, ENOMEM).
 * Thread: any; the table then belongs to the thread that uses it.
 */
struct aves_replay *aves_replay_create(unsigned int capacity);

/** Free a table; NULL is a no-op. Thread: the owner. */
void aves_replay_free(struct aves_replay *table);

/**
 * Look a serial up without changing anything (not even the LRU order).
 * A sender with no window yet is FRESH for every serial.
 * @return AVES_REPLAY_FRESH, AVES_REPLAY_SEEN or AVES_REPLAY_TOO_OLD.
 * Thread: the owner.
 */
enum aves_replay_result aves_replay_check(const struct aves_replay *table, uint32_t key_id,
					  uint32_t origin, uint64_t serial);

/**
 * Accept a serial: if it is FRESH, mark it seen, slide the window up to it when it is the
 * highest yet, and make the window the most recently used, creating it (evicting the least
 * recently used window when the table is full) for a new sender. Otherwise change nothing.
 * Call it only for a message that passed every other check.
 * @return the result aves_replay_check() would have returned before the call.
 * Thread: the owner. O(1) expected; no allocation.
 */
enum aves_replay_result aves_replay_commit(struct aves_replay *table, uint32_t key_id,
					   uint32_t origin, uint64_t serial);

/** Read a table's counters into @p stats. Thread: the owner. */
void aves_replay_stats(const struct aves_replay *table, struct aves_replay_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* AVES_REPLAY_H */
