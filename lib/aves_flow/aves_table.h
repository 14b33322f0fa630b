/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_table.h
 * Translation tables over rte_hash, with a hard cap and entries that are published complete
 * and reclaimed only after an RCU grace period.
 *
 * A table maps a fixed-length key to an entry of fixed size. Entries live in an array
 * preallocated at creation (capacity entries, aligned); the hash maps each key to a pointer
 * into that array. Inserting is two steps for the writer: aves_table_reserve() hands out a
 * zeroed free entry, the writer fills it, and aves_table_publish() inserts the key with the
 * entry as its data — readers never see a half-written entry.
 *
 * Modes, chosen at creation:
 * - AVES_TABLE_SHARED: lock-free readers (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) on any
 *   number of lcores and exactly ONE writer thread (the control lcore) for every function
 *   marked "writer". Readers must be registered with the table's QSBR variable and report a
 *   quiescent state (rte_rcu_qsbr_quiescent()) when they hold no entry pointer, e.g. once
 *   per burst; an entry pointer a reader got from a lookup stays valid until that report.
 *   A deleted entry (and the hash's own key slot) goes back to the free list only once every
 *   registered reader has reported since the delete.
 * - AVES_TABLE_PRIVATE: one thread owns the table and calls everything (e.g. a worker's own
 *   TCP-connection table). No lock-free flags, no RCU: a deleted entry is free at once.
 *
 * Readers may write to a published entry only through atomics (e.g. struct aves_liveness);
 * everything else in an entry is immutable once published.
 *
 * The tables the applications build on this:
 * - Waypoint bindings, key struct aves_wp_key (W, A), entry = binding + liveness.
 *   Writer: the control lcore (SETUP handling, delayed-binding BIND verdicts punted from
 *   workers, the aging sweep). Readers: every worker (bulk lookup per burst; they touch the
 *   liveness). Reclaim: delete by the sweep or on expiry seen at lookup (punted), free after
 *   the grace period.
 * - Reject/penalty blocks, key struct aves_wp_key (W, S), entry = struct aves_block.
 *   Writer: the control lcore (wait exits, penalties and overflow rejects punted from
 *   workers, the sweep deleting ended blocks). Readers: workers. Reclaim: as above.
 * - NAT gateway sessions and reply paths, keyed by flow (16-byte struct aves_flow_key of
 *   aves_flow.h, or the gateway's own longer keys that add the waypoint address). Writer: the
 *   gateway's control lcore. Readers: workers. Reclaim: as above.
 * - A worker's TCP-connection records (FIN tracking), AVES_TABLE_PRIVATE: the worker alone
 *   reads, writes and ages them.
 */
#ifndef AVES_TABLE_H
#define AVES_TABLE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest table name (characters, without the terminator): rte_hash derives ring names
 *  such as "HT_EXT_<name>" that must fit RTE_RING_NAMESIZE without truncation. */
#define AVES_TABLE_NAME_MAX 20
/** Largest capacity accepted. */
#define AVES_TABLE_CAPACITY_MAX (1u << 26)
/** Longest key accepted, in bytes. */
#define AVES_TABLE_KEY_MAX 64
/** Largest entry accepted, in bytes. */
#define AVES_TABLE_ENTRY_MAX 4096
/** Most keys in one aves_table_lookup_bulk() call (RTE_HASH_LOOKUP_BULK_MAX). */
#define AVES_TABLE_BULK_MAX 64

/**
 * Key of the waypoint binding table, (W, A), and of the reject/penalty table, (W, S).
 * Addresses in network byte order. Two 32-bit fields: no padding to zero.
 */
struct aves_wp_key {
	uint32_t waypoint;	/**< W */
	uint32_t peer;		/**< the initiator A, or the blocked source S */
};
static_assert(sizeof(struct aves_wp_key) == 8, "aves_wp_key must be 8 bytes, no padding");

/** Build a key (any thread). */
static inline struct aves_wp_key
aves_wp_key_make(uint32_t waypoint, uint32_t peer)
{
	return (struct aves_wp_key){ .waypoint = waypoint, .peer = peer };
}

/** Concurrency mode of a table. */
enum aves_table_mode {
	AVES_TABLE_SHARED = 1,	/**< one writer, lock-free readers, RCU reclaim */
	AVES_TABLE_PRIVATE,	/**< one thread does everything */
};

/** Parameters of aves_table_create(). */
struct aves_table_params {
	const char *name;		/**< unique per process, 1..AVES_TABLE_NAME_MAX chars */
	uint32_t capacity;		/**< hard cap on entries, 1..AVES_TABLE_CAPACITY_MAX */
	uint32_t key_len;		/**< bytes, 1..AVES_TABLE_KEY_MAX */
	uint32_t entry_size;		/**< bytes, 1..AVES_TABLE_ENTRY_MAX */
	int socket_id;			/**< NUMA socket, or SOCKET_ID_ANY */
	enum aves_table_mode mode;
	/** SHARED: the QSBR variable the readers report on (required). PRIVATE: NULL. */
	struct rte_rcu_qsbr *qsbr;
};

/** Counters, maintained by the writer. */
struct aves_table_stats {
	uint64_t published;		/**< entries made visible */
	uint64_t deleted;		/**< entries removed */
	uint64_t reclaimed;		/**< SHARED: entries freed after their grace period */
	uint64_t full;			/**< reservations refused at the hard cap (-ENOSPC) */
	uint64_t hash_full;		/**< publishes rte_hash refused below the cap (-ENOSPC) */
	uint64_t exists;		/**< publishes refused because the key was present */
	uint32_t live;			/**< published entries */
	uint32_t reserved;		/**< handed out, not yet published */
	uint32_t retiring;		/**< deleted, waiting for the grace period */
};

struct aves_table;

/**
 * Create a table.
 *
 * The hash is sized 25% above the cap (at least 8 entries, rte_hash's minimum) and uses the
 * extendable bucket table, so a key whose two buckets are full goes to an overflow bucket
 * instead of failing: insertion does not fail below the cap because of bucket collisions,
 * and the cap — the number of preallocated entries — is exact. The hash seed is random per
 * table so that collisions cannot be computed in advance.
 *
 * @param p  parameters; every field is checked
 * @return the table, or NULL with rte_errno set: EINVAL (a parameter, logged with the
 *         reason), EEXIST (name in use), ENOMEM.
 * Any thread that may allocate DPDK memory, before the table is shared.
 */
struct aves_table *aves_table_create(const struct aves_table_params *p);

/**
 * Free a table and every entry in it. NULL is a no-op.
 * No reader may be using the table (SHARED: after the readers have stopped or reported).
 */
void aves_table_free(struct aves_table *t);

/**
 * Take a free entry, zeroed, for the writer to fill. SHARED: when none is free, first
 * reclaims the entries whose grace period has passed.
 * @param t      the table
 * @param entry  out: the entry
 * @return 0, -ENOSPC (the cap is reached; counted in stats.full), -EINVAL.
 * Writer.
 */
int aves_table_reserve(struct aves_table *t, void **entry);

/**
 * Make a reserved, filled entry visible under @p key.
 * @return 0; -EEXIST (key present; counted) or -ENOSPC (rte_hash refused; counted), and the
 *         entry, never visible, is back on the free list; -EINVAL (NULL argument, or @p entry
 *         is not a reserved entry of @p t), and nothing changed.
 * Writer.
 */
int aves_table_publish(struct aves_table *t, const void *key, void *entry);

/**
 * Give back a reserved entry that will not be published.
 * @return 0, or -EINVAL (@p entry is not a reserved entry of @p t). Writer.
 */
int aves_table_cancel(struct aves_table *t, void *entry);

/**
 * Remove @p key. Readers stop finding it at once; SHARED: its entry returns to the free list
 * only after the grace period (aves_table_reclaim()), PRIVATE: at once.
 * It is safe to delete the entry just returned by aves_table_iterate().
 * @return 0, -ENOENT, -EINVAL. Writer.
 */
int aves_table_del(struct aves_table *t, const void *key);

/**
 * Free the deleted entries whose grace period has passed (non-blocking).
 * @return the number freed. Writer (call it from the control loop; reserve also calls it
 * when the free list is empty). PRIVATE tables have nothing to reclaim: returns 0.
 */
unsigned int aves_table_reclaim(struct aves_table *t);

/**
 * Look one key up.
 * @return the entry, or NULL. Readers (and the writer).
 */
void *aves_table_lookup(const struct aves_table *t, const void *key);

/**
 * Look up to AVES_TABLE_BULK_MAX keys at once (rte_hash_lookup_bulk_data).
 * @param keys      n key pointers
 * @param n         1..AVES_TABLE_BULK_MAX
 * @param entries   out: entries[i] is key i's entry, NULL on a miss
 * @param hit_mask  out: bit i set when key i was found
 * @return the number of hits, or -EINVAL. Readers (and the writer).
 */
int aves_table_lookup_bulk(const struct aves_table *t, const void **keys, unsigned int n,
			   void *entries[], uint64_t *hit_mask);

/** Most entry slots one aves_table_iterate() call looks at. */
#define AVES_TABLE_ITER_SLOTS 64

/**
 * Visit the next published entry, walking the table's entry slots in order. Start a pass with
 * *cursor = 0. One call looks at no more than AVES_TABLE_ITER_SLOTS slots, however sparse the
 * table, so an aging sweep that makes a bounded number of calls per round does bounded work.
 * Deleting the entry just visited is allowed; an entry published behind the cursor during a
 * pass is seen in the next pass; none is visited twice in one pass.
 * @param cursor  in/out position (a slot index)
 * @param key     out: the key (valid until the entry is reclaimed)
 * @param entry   out: the entry
 * @return 0 (an entry), -EAGAIN (no entry among the slots this call looked at: the cursor
 *         moved on; call again, e.g. next round), -ENOENT at the end of the pass (reset
 *         *cursor to 0 for the next one), or -EINVAL.
 * Writer (the owner).
 */
int aves_table_iterate(const struct aves_table *t, uint32_t *cursor, const void **key,
		       void **entry);

/**
 * What a sweep does with one entry it visits: may delete it (aves_table_del() on @p key) and
 * returns how much it did (summed into aves_table_sweep()'s result, e.g. 1 per entry removed).
 */
typedef unsigned int (*aves_table_visit_fn)(void *arg, const void *key, void *entry);

/**
 * One bounded round of an aging sweep: up to @p calls aves_table_iterate() steps from
 * *cursor, @p visit called on each entry found, *cursor reset to 0 at the end of a pass so the
 * next round starts the next pass. A stretch of empty slots (-EAGAIN) counts as one step, or
 * with @p stop_on_empty ends the round, so the round looks at no more than
 * AVES_TABLE_ITER_SLOTS slots of nothing (a worker aging between bursts).
 * @return the sum of what @p visit returned. Writer (the owner).
 */
unsigned int aves_table_sweep(struct aves_table *t, uint32_t *cursor, unsigned int calls,
			      bool stop_on_empty, aves_table_visit_fn visit, void *arg);

/** Published entries. Any thread (a snapshot). */
uint32_t aves_table_count(const struct aves_table *t);

/** The hard cap. Any thread. */
uint32_t aves_table_capacity(const struct aves_table *t);

/** Copy the counters. Any thread (a snapshot; fields may be mutually inconsistent). */
void aves_table_stats_get(const struct aves_table *t, struct aves_table_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* AVES_TABLE_H */
