/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation tables: rte_hash for the key -> entry map, our own preallocated entry array,
 * free list and defer queue for everything else.
 *
 * Why our own defer queue rather than rte_hash_rcu_qsbr_add(RTE_HASH_QSBR_MODE_DQ): the hash's
 * internal queue reclaims only when another key is deleted or when the hash itself runs out
 * of key slots, and it cannot be asked to reclaim. Our cap is on our entries, so a writer at
 * the cap must be able to reclaim whatever has passed its grace period before refusing an
 * insertion (and the control loop must be able to reclaim when idle). rte_rcu_qsbr_dq_* is
 * also still experimental API in DPDK 22.11. The queue is a FIFO of deleted entries, each
 * stamped with the QSBR token taken at delete time; tokens grow in FIFO order, so reclaim
 * stops at the first entry whose grace period is not over.
 *
 * In SHARED mode the hash runs with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, which implies
 * NO_FREE_ON_DEL: rte_hash_del_key() unlinks the key but keeps its key slot (and any emptied
 * overflow bucket) until we call rte_hash_free_key_with_position() — at reclaim time, together
 * with our entry.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_string_fns.h>

#include "aves_table.h"

/* The library's log type; other aves_flow files that log may declare it extern. */
RTE_LOG_REGISTER(aves_flow_logtype, aves.flow, NOTICE);
#define RTE_LOGTYPE_AVES_FLOW aves_flow_logtype
#define TABLE_LOG(level, ...) RTE_LOG(level, AVES_FLOW, "aves_table: " __VA_ARGS__)

static_assert(AVES_TABLE_BULK_MAX == RTE_HASH_LOOKUP_BULK_MAX, "bulk limit mismatch");
static_assert(AVES_TABLE_CAPACITY_MAX + AVES_TABLE_CAPACITY_MAX / 4 + 1 <= RTE_HASH_ENTRIES_MAX,
	      "hash sizing overflows rte_hash's maximum");

enum slot_state {
	SLOT_FREE = 0,
	SLOT_RESERVED,
	SLOT_LIVE,
	SLOT_RETIRING,
};

struct slot_meta {
	uint64_t retire_token;	/* QSBR token taken when deleted (RETIRING) */
	int32_t hash_pos;	/* rte_hash key position to free at reclaim (RETIRING) */
	uint8_t state;		/* enum slot_state */
};

struct aves_table {
	struct rte_hash *hash;
	struct rte_rcu_qsbr *qsbr;	/* SHARED only */
	enum aves_table_mode mode;
	uint32_t capacity;
	uint32_t entry_size;
	uint32_t stride;		/* bytes between entries */
	uint8_t *entries;		/* capacity * stride, cache-line aligned */
	struct slot_meta *meta;		/* capacity */
	uint32_t *free_stack;		/* capacity; free_stack[0..n_free) are free slots */
	uint32_t n_free;
	uint32_t *retire_fifo;		/* capacity; ring of RETIRING slots in delete order */
	uint32_t retire_head;
	struct aves_table_stats stats;
	char name[AVES_TABLE_NAME_MAX + 1];
};

static int
params_check(const struct aves_table_params *p)
{
	size_t name_len;

	if (p == NULL) {
		TABLE_LOG(ERR, "no parameters\n");
		return -EINVAL;
	}
	if (p->name == NULL) {
		TABLE_LOG(ERR, "no name\n");
		return -EINVAL;
	}
	name_len = strnlen(p->name, AVES_TABLE_NAME_MAX + 1);
	if (name_len == 0 || name_len > AVES_TABLE_NAME_MAX) {
		TABLE_LOG(ERR, "name must be 1..%u characters\n", AVES_TABLE_NAME_MAX);
		return -EINVAL;
	}
	if (p->capacity == 0 || p->capacity > AVES_TABLE_CAPACITY_MAX) {
		TABLE_LOG(ERR, "%s: capacity %u not in 1..%u\n", p->name, p->capacity,
			  AVES_TABLE_CAPACITY_MAX);
		return -EINVAL;
	}
	if (p->key_len == 0 || p->key_len > AVES_TABLE_KEY_MAX) {
		TABLE_LOG(ERR, "%s: key length %u not in 1..%u\n", p->name, p->key_len,
			  AVES_TABLE_KEY_MAX);
		return -EINVAL;
	}
	if (p->entry_size == 0 || p->entry_size > AVES_TABLE_ENTRY_MAX) {
		TABLE_LOG(ERR, "%s: entry size %u not in 1..%u\n", p->name, p->entry_size,
			  AVES_TABLE_ENTRY_MAX);
		return -EINVAL;
	}
	if (p->socket_id != SOCKET_ID_ANY &&
	    (p->socket_id < 0 || p->socket_id >= RTE_MAX_NUMA_NODES)) {
		TABLE_LOG(ERR, "%s: socket %d invalid\n", p->name, p->socket_id);
		return -EINVAL;
	}
	switch (p->mode) {
	case AVES_TABLE_SHARED:
		if (p->qsbr == NULL) {
			TABLE_LOG(ERR, "%s: a shared table needs a QSBR variable\n", p->name);
			return -EINVAL;
		}
		break;
	case AVES_TABLE_PRIVATE:
		if (p->qsbr != NULL) {
			TABLE_LOG(ERR, "%s: a private table takes no QSBR variable\n", p->name);
			return -EINVAL;
		}
		break;
	default:
		TABLE_LOG(ERR, "%s: unknown mode %d\n", p->name, (int)p->mode);
		return -EINVAL;
	}
	return 0;
}

/*
 * Shared tables: a whole number of cache lines per entry, because workers on different
 * lcores write the liveness of different entries and must not share a line. Private tables:
 * the next power of two up to a cache line, so that an entry never straddles two lines while
 * small records (a TCP connection's state) stay dense.
 */
static uint32_t
entry_stride(uint32_t entry_size, enum aves_table_mode mode)
{
	if (mode == AVES_TABLE_SHARED || entry_size >= RTE_CACHE_LINE_SIZE)
		return RTE_ALIGN_CEIL(entry_size, RTE_CACHE_LINE_SIZE);
	return rte_align32pow2(entry_size);
}

struct aves_table *
aves_table_create(const struct aves_table_params *p)
{
	struct aves_table *t;
	struct rte_hash_parameters hp;
	uint32_t i;
	int ret;

	ret = params_check(p);
	if (ret < 0) {
		rte_errno = -ret;
		return NULL;
	}

	t = rte_zmalloc_socket(p->name, sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL)
		goto nomem;
	t->mode = p->mode;
	t->qsbr = p->qsbr;
	t->capacity = p->capacity;
	t->entry_size = p->entry_size;
	t->stride = entry_stride(p->entry_size, p->mode);
	strlcpy(t->name, p->name, sizeof(t->name));

	t->entries = rte_zmalloc_socket(p->name, (size_t)p->capacity * t->stride,
					 RTE_CACHE_LINE_SIZE, p->socket_id);
	t->meta = rte_zmalloc_socket(p->name, (size_t)p->capacity * sizeof(t->meta[0]),
				     RTE_CACHE_LINE_SIZE, p->socket_id);
	t->free_stack = rte_malloc_socket(p->name, (size_t)p->capacity * sizeof(uint32_t),
					  RTE_CACHE_LINE_SIZE, p->socket_id);
	t->retire_fifo = rte_malloc_socket(p->name, (size_t)p->capacity * sizeof(uint32_t),
					   RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->entries == NULL || t->meta == NULL || t->free_stack == NULL ||
	    t->retire_fifo == NULL)
		goto nomem;
	/* Hand out low slots first: a lightly used table touches few pages. */
	for (i = 0; i < p->capacity; i++)
		t->free_stack[i] = p->capacity - 1 - i;
	t->n_free = p->capacity;

	memset(&hp, 0, sizeof(hp));
	hp.name = p->name;
	hp.entries = RTE_MAX(p->capacity + (p->capacity + 3) / 4, 8u);
	hp.key_len = p->key_len;
	hp.hash_func = rte_hash_crc;
	hp.hash_func_init_val = (uint32_t)rte_rand();
	hp.socket_id = p->socket_id;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	if (p->mode == AVES_TABLE_SHARED)
		hp.extra_flag |= RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		ret = rte_errno;
		TABLE_LOG(ERR, "%s: rte_hash_create: %s\n", p->name, rte_strerror(ret));
		aves_table_free(t);
		rte_errno = ret == EEXIST ? EEXIST : ENOMEM;
		return NULL;
	}
	return t;

nomem:
	TABLE_LOG(ERR, "%s: cannot allocate %u entries of %u bytes\n", p->name, p->capacity,
		  p->entry_size);
	aves_table_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void
aves_table_free(struct aves_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->retire_fifo);
	rte_free(t->free_stack);
	rte_free(t->meta);
	rte_free(t->entries);
	rte_free(t);
}

/* The slot of an entry pointer, or UINT32_MAX when it is not one of ours. */
static uint32_t
slot_of(const struct aves_table *t, const void *entry)
{
	uintptr_t base = (uintptr_t)t->entries;
	uintptr_t at = (uintptr_t)entry;
	uintptr_t off;

	if (at < base)
		return UINT32_MAX;
	off = at - base;
	if (off % t->stride != 0 || off / t->stride >= t->capacity)
		return UINT32_MAX;
	return (uint32_t)(off / t->stride);
}

static void *
entry_at(const struct aves_table *t, uint32_t slot)
{
	return t->entries + (size_t)slot * t->stride;
}

static void
slot_free(struct aves_table *t, uint32_t slot)
{
	t->meta[slot].state = SLOT_FREE;
	t->free_stack[t->n_free++] = slot;
}

unsigned int
aves_table_reclaim(struct aves_table *t)
{
	unsigned int n = 0;

	if (t == NULL || t->mode != AVES_TABLE_SHARED)
		return 0;
	while (t->stats.retiring > 0) {
		uint32_t slot = t->retire_fifo[t->retire_head];
		struct slot_meta *m = &t->meta[slot];

		if (rte_rcu_qsbr_check(t->qsbr, m->retire_token, false) != 1)
			break;
		rte_hash_free_key_with_position(t->hash, m->hash_pos);
		slot_free(t, slot);
		t->retire_head = (t->retire_head + 1) % t->capacity;
		t->stats.retiring--;
		t->stats.reclaimed++;
		n++;
	}
	return n;
}

int
aves_table_reserve(struct aves_table *t, void **entry)
{
	uint32_t slot;

	if (t == NULL || entry == NULL)
		return -EINVAL;
	if (t->n_free == 0 && aves_table_reclaim(t) == 0) {
		t->stats.full++;
		return -ENOSPC;
	}
	slot = t->free_stack[--t->n_free];
	t->meta[slot].state = SLOT_RESERVED;
	t->stats.reserved++;
	*entry = entry_at(t, slot);
	memset(*entry, 0, t->entry_size);
	return 0;
}

static int
reserved_slot(const struct aves_table *t, const void *entry, uint32_t *slot)
{
	*slot = slot_of(t, entry);
	if (*slot == UINT32_MAX || t->meta[*slot].state != SLOT_RESERVED)
		return -EINVAL;
	return 0;
}

int
aves_table_cancel(struct aves_table *t, void *entry)
{
	uint32_t slot;

	if (t == NULL || reserved_slot(t, entry, &slot) < 0)
		return -EINVAL;
	t->stats.reserved--;
	slot_free(t, slot);
	return 0;
}

int
aves_table_publish(struct aves_table *t, const void *key, void *entry)
{
	hash_sig_t sig;
	uint32_t slot;
	int ret;

	if (t == NULL || key == NULL || reserved_slot(t, entry, &slot) < 0)
		return -EINVAL;
	t->stats.reserved--;
	sig = rte_hash_hash(t->hash, key); /* once for the three calls below */
	/* rte_hash_add_key_data() would silently replace the data of a present key, leaking
	 * the old entry while readers still use it: refuse instead (one writer: no race). */
	if (rte_hash_lookup_with_hash(t->hash, key, sig) >= 0) {
		t->stats.exists++;
		slot_free(t, slot);
		return -EEXIST;
	}
	ret = rte_hash_add_key_with_hash_data(t->hash, key, sig, entry);
	if (ret < 0) {
		slot_free(t, slot);
		if (ret != -ENOSPC)
			return -EINVAL;
		t->stats.hash_full++;
		return -ENOSPC;
	}
	/* Where the hash keeps the key (stable while it is present): aves_table_iterate() walks
	 * the slots and reads each key from there. */
	t->meta[slot].hash_pos = rte_hash_lookup_with_hash(t->hash, key, sig);
	t->meta[slot].state = SLOT_LIVE;
	t->stats.live++;
	t->stats.published++;
	return 0;
}

int
aves_table_del(struct aves_table *t, const void *key)
{
	void *entry;
	uint32_t slot;
	int32_t pos;

	if (t == NULL || key == NULL)
		return -EINVAL;
	if (rte_hash_lookup_data(t->hash, key, &entry) < 0)
		return -ENOENT;
	slot = slot_of(t, entry);
	if (slot == UINT32_MAX || t->meta[slot].state != SLOT_LIVE)
		return -EINVAL; /* not our entry: the hash was written behind our back */
	pos = rte_hash_del_key(t->hash, key);
	if (pos < 0)
		return -ENOENT;
	t->stats.live--;
	t->stats.deleted++;
	if (t->mode == AVES_TABLE_PRIVATE) {
		slot_free(t, slot);
		return 0;
	}
	/* Readers that found the key before the unlink may still hold the entry: stamp it
	 * with a new grace period and queue it. */
	t->meta[slot].state = SLOT_RETIRING;
	t->meta[slot].hash_pos = pos;
	t->meta[slot].retire_token = rte_rcu_qsbr_start(t->qsbr);
	t->retire_fifo[(t->retire_head + t->stats.retiring) % t->capacity] = slot;
	t->stats.retiring++;
	return 0;
}

void *
aves_table_lookup(const struct aves_table *t, const void *key)
{
	void *entry;

	if (rte_hash_lookup_data(t->hash, key, &entry) < 0)
		return NULL;
	return entry;
}

int
aves_table_lookup_bulk(const struct aves_table *t, const void **keys, unsigned int n,
		       void *entries[], uint64_t *hit_mask)
{
	uint64_t misses;
	int hits;

	if (t == NULL || keys == NULL || entries == NULL || hit_mask == NULL || n == 0 ||
	    n > AVES_TABLE_BULK_MAX)
		return -EINVAL;
	hits = rte_hash_lookup_bulk_data(t->hash, keys, n, hit_mask, entries);
	if (hits < 0)
		return -EINVAL;
	/* rte_hash leaves the data of a miss unwritten. */
	misses = ~*hit_mask & (n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1);
	while (misses != 0) {
		entries[rte_bsf64(misses)] = NULL;
		misses &= misses - 1;
	}
	return hits;
}

int
aves_table_iterate(const struct aves_table *t, uint32_t *cursor, const void **key,
		   void **entry)
{
	uint32_t slot, end;

	if (t == NULL || cursor == NULL || key == NULL || entry == NULL)
		return -EINVAL;
	if (*cursor >= t->capacity)
		return -ENOENT;
	/* Our own slot array, not rte_hash_iterate(): that one skips any number of empty hash
	 * slots inside one call, so a sweep over a sparse table cost the whole table per call. */
	end = t->capacity - *cursor > AVES_TABLE_ITER_SLOTS ? *cursor + AVES_TABLE_ITER_SLOTS :
							      t->capacity;
	for (slot = *cursor; slot < end; slot++) {
		void *k;

		if (t->meta[slot].state != SLOT_LIVE ||
		    rte_hash_get_key_with_position(t->hash, t->meta[slot].hash_pos, &k) != 0)
			continue;
		*cursor = slot + 1;
		*key = k;
		*entry = entry_at(t, slot);
		return 0;
	}
	*cursor = end;
	return end == t->capacity ? -ENOENT : -EAGAIN;
}

unsigned int
aves_table_sweep(struct aves_table *t, uint32_t *cursor, unsigned int calls, bool stop_on_empty,
		 aves_table_visit_fn visit, void *arg)
{
	unsigned int done = 0;

	for (unsigned int i = 0; i < calls; i++) {
		const void *key;
		void *entry;
		int it = aves_table_iterate(t, cursor, &key, &entry);

		if (it == -ENOENT) {
			*cursor = 0;
			break;
		}
		if (it == -EAGAIN && stop_on_empty)
			break;
		if (it != 0)
			continue;
		done += visit(arg, key, entry);
	}
	return done;
}

uint32_t
aves_table_count(const struct aves_table *t)
{
	return t->stats.live;
}

uint32_t
aves_table_capacity(const struct aves_table *t)
{
	return t->capacity;
}

void
aves_table_stats_get(const struct aves_table *t, struct aves_table_stats *s)
{
	*s = t->stats;
}
