/* SPDX-License-Identifier: BSD-3-Clause */
/* Translation tables over rte_hash (lib/aves_flow/aves_table.h), with EAL (--no-huge). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "aves_table.h"
#include "test_eal.h"

/* A reader thread id registered with the QSBR variable but driven by the test itself. */
#define READER_ID 1

struct test_entry {
	uint32_t id;
	uint32_t pattern;
	uint8_t pad[20];
};

static struct rte_rcu_qsbr *qsbr;

static int
group_setup(void **state)
{
	size_t sz;

	(void)state;
	if (aves_test_eal_init() < 0)
		return -1;
	sz = rte_rcu_qsbr_get_memsize(2);
	qsbr = rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_free(qsbr);
	return aves_test_eal_cleanup();
}

static struct aves_table_params
params(const char *name, uint32_t capacity, enum aves_table_mode mode)
{
	return (struct aves_table_params){
		.name = name,
		.capacity = capacity,
		.key_len = sizeof(struct aves_wp_key),
		.entry_size = sizeof(struct test_entry),
		.socket_id = SOCKET_ID_ANY,
		.mode = mode,
		.qsbr = mode == AVES_TABLE_SHARED ? qsbr : NULL,
	};
}

static struct aves_table *
create(const char *name, uint32_t capacity, enum aves_table_mode mode)
{
	struct aves_table_params p = params(name, capacity, mode);
	struct aves_table *t = aves_table_create(&p);

	assert_non_null(t);
	return t;
}

static struct aves_wp_key
key_of(uint32_t i)
{
	return aves_wp_key_make(0xc0000201 /* W */, 0x0a000000 + i);
}

/* Reserve, fill, publish; returns the entry. */
static struct test_entry *
insert(struct aves_table *t, uint32_t i)
{
	struct aves_wp_key k = key_of(i);
	void *e;

	assert_int_equal(aves_table_reserve(t, &e), 0);
	((struct test_entry *)e)->id = i;
	((struct test_entry *)e)->pattern = ~i;
	assert_int_equal(aves_table_publish(t, &k, e), 0);
	return e;
}

static struct test_entry *
lookup(const struct aves_table *t, uint32_t i)
{
	struct aves_wp_key k = key_of(i);

	return aves_table_lookup(t, &k);
}

static int
del(struct aves_table *t, uint32_t i)
{
	struct aves_wp_key k = key_of(i);

	return aves_table_del(t, &k);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_key_layout(void **state)
{
	struct aves_wp_key k = aves_wp_key_make(1, 2);

	(void)state;
	assert_int_equal(sizeof(k), 8);
	assert_int_equal(offsetof(struct aves_wp_key, peer), 4);
	assert_int_equal(k.waypoint, 1);
	assert_int_equal(k.peer, 2);
}

static void
test_create_validation(void **state)
{
	struct aves_table_params p;
	struct aves_table *t;

	(void)state;
	rte_errno = 0;
	assert_null(aves_table_create(NULL));
	assert_int_equal(rte_errno, EINVAL);
#define REFUSED(field, value)							\
	do {								\
		p = params("val", 16, AVES_TABLE_SHARED);		\
		p.field = value;					\
		rte_errno = 0;						\
		assert_null(aves_table_create(&p));			\
		assert_int_equal(rte_errno, EINVAL);			\
	} while (0)
	REFUSED(name, NULL);
	REFUSED(name, "");
	REFUSED(name, "a-name-of-21-chars-xx");
	REFUSED(capacity, 0);
	REFUSED(capacity, AVES_TABLE_CAPACITY_MAX + 1);
	REFUSED(key_len, 0);
	REFUSED(key_len, AVES_TABLE_KEY_MAX + 1);
	REFUSED(entry_size, 0);
	REFUSED(entry_size, AVES_TABLE_ENTRY_MAX + 1);
	REFUSED(socket_id, -2);
	REFUSED(socket_id, RTE_MAX_NUMA_NODES);
	REFUSED(mode, (enum aves_table_mode)0);
	REFUSED(mode, (enum aves_table_mode)3);
	REFUSED(qsbr, NULL);
#undef REFUSED
	p = params("val", 16, AVES_TABLE_PRIVATE);
	p.qsbr = qsbr;
	assert_null(aves_table_create(&p));
	assert_int_equal(rte_errno, EINVAL);

	/* 20 characters is the longest name; the same name twice is refused */
	t = create("a-name-of-20-chars-x", 16, AVES_TABLE_SHARED);
	p = params("a-name-of-20-chars-x", 16, AVES_TABLE_SHARED);
	rte_errno = 0;
	assert_null(aves_table_create(&p));
	assert_int_equal(rte_errno, EEXIST);
	aves_table_free(t);
	/* and may be used again once freed */
	t = create("a-name-of-20-chars-x", 16, AVES_TABLE_SHARED);
	aves_table_free(t);
	aves_table_free(NULL);
}

static void
test_insert_lookup_delete(void **state)
{
	struct aves_table *t = create("basic", 100, AVES_TABLE_SHARED);
	struct aves_table_stats s;
	struct aves_wp_key k = key_of(7);
	struct test_entry *e;
	void *dup;

	(void)state;
	assert_int_equal(aves_table_capacity(t), 100);
	assert_null(lookup(t, 7));
	e = insert(t, 7);
	assert_ptr_equal(lookup(t, 7), e);
	assert_int_equal(lookup(t, 7)->pattern, ~7u);
	assert_null(lookup(t, 8));
	assert_int_equal(aves_table_count(t), 1);
	/* a second entry for a present key is refused and its slot given back */
	assert_int_equal(aves_table_reserve(t, &dup), 0);
	assert_int_equal(aves_table_publish(t, &k, dup), -EEXIST);
	assert_ptr_equal(lookup(t, 7), e);
	assert_int_equal(aves_table_publish(t, &k, dup), -EINVAL); /* no longer reserved */
	/* reserved entries come zeroed */
	assert_int_equal(aves_table_reserve(t, &dup), 0);
	assert_int_equal(((struct test_entry *)dup)->id, 0);
	assert_int_equal(aves_table_cancel(t, dup), 0);
	assert_int_equal(aves_table_cancel(t, dup), -EINVAL);
	/* pointers that are not reserved entries of this table */
	assert_int_equal(aves_table_publish(t, &k, (char *)e + 1), -EINVAL);
	assert_int_equal(aves_table_publish(t, &k, e), -EINVAL); /* live, not reserved */
	assert_int_equal(aves_table_publish(t, &k, &k), -EINVAL);
	assert_int_equal(aves_table_publish(t, NULL, e), -EINVAL);

	assert_int_equal(del(t, 7), 0);
	assert_null(lookup(t, 7));
	assert_int_equal(del(t, 7), -ENOENT);
	assert_int_equal(aves_table_count(t), 0);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.published, 1);
	assert_int_equal(s.exists, 1);
	assert_int_equal(s.deleted, 1);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.reserved, 0);
	/* no reader is registered: the grace period is over at once */
	assert_int_equal(aves_table_reclaim(t), 1);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.retiring, 0);
	assert_int_equal(s.reclaimed, 1);
	/* the key can come back */
	e = insert(t, 7);
	assert_ptr_equal(lookup(t, 7), e);
	aves_table_free(t);
}

static void
test_bulk_lookup(void **state)
{
	struct aves_table *t = create("bulk", 256, AVES_TABLE_SHARED);
	struct test_entry *inserted[AVES_TABLE_BULK_MAX] = { NULL };
	struct aves_wp_key keys[AVES_TABLE_BULK_MAX];
	const void *kp[AVES_TABLE_BULK_MAX + 1];
	void *found[AVES_TABLE_BULK_MAX + 1];
	uint64_t mask = 0, expect = 0;
	int hits;

	(void)state;
	/* every third key present, plus unrelated entries */
	for (uint32_t i = 0; i < AVES_TABLE_BULK_MAX; i++) {
		keys[i] = key_of(i);
		kp[i] = &keys[i];
		if (i % 3 == 0) {
			inserted[i] = insert(t, i);
			expect |= UINT64_C(1) << i;
		}
	}
	for (uint32_t i = 1000; i < 1100; i++)
		insert(t, i);
	for (uint32_t i = 0; i < AVES_TABLE_BULK_MAX; i++)
		found[i] = (void *)0x1; /* must be overwritten, hit or miss */
	hits = aves_table_lookup_bulk(t, kp, AVES_TABLE_BULK_MAX, found, &mask);
	assert_int_equal(hits, 22);
	assert_int_equal(mask, expect);
	for (uint32_t i = 0; i < AVES_TABLE_BULK_MAX; i++)
		assert_ptr_equal(found[i], inserted[i]);
	/* a shorter burst: keys 1..6, of which 3 and 6 are present */
	hits = aves_table_lookup_bulk(t, kp + 1, 6, found, &mask);
	assert_int_equal(hits, 2);
	assert_int_equal(mask, 0x24);
	assert_null(found[0]);
	assert_ptr_equal(found[2], inserted[3]);
	assert_ptr_equal(found[5], inserted[6]);
	assert_int_equal(aves_table_lookup_bulk(t, kp, 0, found, &mask), -EINVAL);
	assert_int_equal(aves_table_lookup_bulk(t, kp, AVES_TABLE_BULK_MAX + 1, found, &mask),
			 -EINVAL);
	assert_int_equal(aves_table_lookup_bulk(t, kp, 1, found, NULL), -EINVAL);
	aves_table_free(t);
}

static void
hard_cap(enum aves_table_mode mode, uint32_t capacity, const char *name)
{
	struct aves_table *t = create(name, capacity, mode);
	struct aves_table_stats s;
	void *e;

	for (uint32_t i = 0; i < capacity; i++)
		insert(t, i);
	assert_int_equal(aves_table_count(t), capacity);
	assert_int_equal(aves_table_reserve(t, &e), -ENOSPC);
	assert_int_equal(aves_table_reserve(t, &e), -ENOSPC);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.full, 2);
	assert_int_equal(s.hash_full, 0);
	for (uint32_t i = 0; i < capacity; i++)
		assert_int_equal(lookup(t, i)->id, i);
	/* one out, one in */
	assert_int_equal(del(t, capacity / 2), 0);
	insert(t, capacity);
	assert_int_equal(aves_table_reserve(t, &e), -ENOSPC);
	aves_table_free(t);
}

static void
test_hard_cap_exact(void **state)
{
	(void)state;
	hard_cap(AVES_TABLE_SHARED, 1000, "cap1000");
	hard_cap(AVES_TABLE_SHARED, 1, "cap1"); /* below rte_hash's minimum of 8 */
	hard_cap(AVES_TABLE_SHARED, 4096, "cap4096"); /* a power of two: 25% headroom */
	hard_cap(AVES_TABLE_PRIVATE, 777, "cap777p");
}

/*
 * A reader that found an entry before it was deleted may still use it: the entry keeps its
 * contents and is not handed out again until the reader reports a quiescent state.
 */
static void
test_grace_period(void **state)
{
	struct aves_table *t = create("grace", 4, AVES_TABLE_SHARED);
	struct aves_table_stats s;
	struct test_entry *held, *held3;
	void *e;

	(void)state;
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, READER_ID), 0);
	rte_rcu_qsbr_thread_online(qsbr, READER_ID);

	for (uint32_t i = 0; i < 4; i++)
		insert(t, i);
	held = lookup(t, 2); /* the reader holds entry 2 */
	assert_int_equal(del(t, 2), 0);
	assert_null(lookup(t, 2));
	/* the table is not full of live entries, but the deleted one is not free yet */
	assert_int_equal(aves_table_count(t), 3);
	assert_int_equal(aves_table_reclaim(t), 0);
	assert_int_equal(aves_table_reserve(t, &e), -ENOSPC);
	assert_int_equal(held->id, 2);
	assert_int_equal(held->pattern, ~2u);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.retiring, 1);
	assert_int_equal(s.full, 1);

	/* the reader is done with it */
	rte_rcu_qsbr_quiescent(qsbr, READER_ID);
	assert_int_equal(aves_table_reserve(t, &e), 0);
	assert_ptr_equal(e, held);
	assert_int_equal(aves_table_cancel(t, e), 0);

	/* grace periods are per delete: a report covers only what was deleted before it */
	assert_int_equal(del(t, 0), 0);
	assert_int_equal(del(t, 1), 0);
	rte_rcu_qsbr_quiescent(qsbr, READER_ID);
	held3 = lookup(t, 3);
	assert_int_equal(del(t, 3), 0);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.retiring, 3);
	assert_int_equal(aves_table_reclaim(t), 2); /* 0 and 1, in delete order; 3 stays */
	/* the free entries are used; the retiring one is never among them */
	assert_ptr_not_equal(insert(t, 10), held3);
	assert_ptr_not_equal(insert(t, 11), held3);
	assert_ptr_not_equal(insert(t, 12), held3);
	assert_int_equal(aves_table_reserve(t, &e), -ENOSPC);
	assert_int_equal(held3->id, 3);
	rte_rcu_qsbr_quiescent(qsbr, READER_ID);
	assert_int_equal(aves_table_reserve(t, &e), 0);
	assert_ptr_equal(e, held3);
	assert_int_equal(aves_table_cancel(t, e), 0);

	rte_rcu_qsbr_thread_offline(qsbr, READER_ID);
	assert_int_equal(rte_rcu_qsbr_thread_unregister(qsbr, READER_ID), 0);
	aves_table_free(t);
}

/*
 * A sparse table: three live entries among 20000 slots. Every call looks at no more than
 * AVES_TABLE_ITER_SLOTS slots (the cursor moves by at most that much), an empty stretch says
 * -EAGAIN, and the pass still finds each live entry once.
 */
static void
test_iterate_sparse_is_bounded(void **state)
{
	enum { N = 20000 };
	struct aves_table *t = create("sparse", N, AVES_TABLE_PRIVATE);
	uint32_t cursor = 0, calls = 0, found = 0, again = 0;
	const void *key;
	void *entry;
	int ret;

	(void)state;
	for (uint32_t i = 0; i < N; i++)
		insert(t, i);
	for (uint32_t i = 0; i < N; i++)
		if (i != 5 && i != 9000 && i != N - 1) {
			struct aves_wp_key k = key_of(i);

			assert_int_equal(aves_table_del(t, &k), 0);
		}
	do {
		uint32_t before = cursor;

		ret = aves_table_iterate(t, &cursor, &key, &entry);
		calls++;
		assert_true(cursor > before || (ret == -ENOENT && cursor == N));
		assert_true(cursor - before <= AVES_TABLE_ITER_SLOTS);
		if (ret == 0) {
			const struct test_entry *te = entry;

			assert_true(te->id == 5 || te->id == 9000 || te->id == N - 1);
			assert_ptr_equal(lookup(t, te->id), te);
			found++;
		} else if (ret == -EAGAIN) {
			again++;
		}
	} while (ret != -ENOENT);
	assert_int_equal(found, 3);
	assert_true(again > 0);
	assert_true(calls >= N / AVES_TABLE_ITER_SLOTS);
	/* A finished pass stays finished until the cursor is reset. */
	assert_int_equal(aves_table_iterate(t, &cursor, &key, &entry), -ENOENT);
	aves_table_free(t);
}

struct sweep_arg {
	struct aves_table *t;
	uint32_t visited;
};

/* Deletes even ids, counts every visit; returns 1 per deletion. */
static unsigned int
sweep_visit(void *arg, const void *key, void *entry)
{
	struct sweep_arg *a = arg;
	const struct test_entry *te = entry;

	a->visited++;
	if (te->id % 2 != 0)
		return 0;
	assert_int_equal(aves_table_del(a->t, key), 0);
	return 1;
}

/*
 * aves_table_sweep: at most `calls` steps a round; a round that finds only empty slots stops
 * at once with stop_on_empty; the cursor wraps to 0 at the end of a pass; the visitor may
 * delete what it visits.
 */
static void
test_sweep_rounds(void **state)
{
	enum { N = 1000 };
	struct aves_table *t = create("sweep", N, AVES_TABLE_PRIVATE);
	struct sweep_arg a = { .t = t };
	uint32_t cursor = 0;
	unsigned int removed = 0, rounds = 0;

	(void)state;
	for (uint32_t i = 0; i < 10; i++)
		insert(t, i);
	/* Ten live entries among 1000 slots: a round of 4 steps visits 4 of them. */
	assert_int_equal(aves_table_sweep(t, &cursor, 4, false, sweep_visit, &a), 2);
	assert_int_equal(a.visited, 4);
	/* Rounds until the pass wraps: every entry visited once, the even ones removed. */
	removed = 2;
	do {
		removed += aves_table_sweep(t, &cursor, 4, false, sweep_visit, &a);
		rounds++;
	} while (cursor != 0);
	assert_int_equal(a.visited, 10);
	assert_int_equal(removed, 5);
	assert_int_equal(aves_table_count(t), 5);
	assert_true(rounds >= (N - 10) / AVES_TABLE_ITER_SLOTS / 4);
	/* stop_on_empty: from a cursor in the empty part the round ends after one stretch. */
	cursor = 500;
	assert_int_equal(aves_table_sweep(t, &cursor, 100, true, sweep_visit, &a), 0);
	assert_int_equal(cursor, 500 + AVES_TABLE_ITER_SLOTS);
	aves_table_free(t);
}

static void
iterate_all(enum aves_table_mode mode, const char *name)
{
	enum { N = 500 };
	struct aves_table *t = create(name, N, mode);
	uint8_t seen[N] = { 0 };
	uint32_t cursor = 0, visited = 0, rounds = 0;
	const void *key;
	void *entry;

	for (uint32_t i = 0; i < N; i++)
		insert(t, i);
	/* a sweeper doing at most 7 entries per round */
	for (;;) {
		int ret = 0;

		for (int budget = 0; budget < 7; budget++) {
			const struct test_entry *te;
			struct aves_wp_key k;

			ret = aves_table_iterate(t, &cursor, &key, &entry);
			if (ret != 0)
				break;
			te = entry;
			memcpy(&k, key, sizeof(k));
			assert_true(te->id < N);
			assert_int_equal(k.peer, key_of(te->id).peer);
			assert_ptr_equal(lookup(t, te->id), te);
			seen[te->id]++;
			visited++;
		}
		rounds++;
		if (ret != 0) {
			assert_int_equal(ret, -ENOENT);
			break;
		}
	}
	assert_int_equal(visited, N);
	assert_int_equal(rounds, N / 7 + 1);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	/* a pass that deletes every other entry it visits */
	memset(seen, 0, sizeof(seen));
	cursor = 0;
	while (aves_table_iterate(t, &cursor, &key, &entry) == 0) {
		const struct test_entry *te = entry;

		assert_int_equal(seen[te->id], 0);
		seen[te->id] = 1;
		if (te->id % 2 == 0)
			assert_int_equal(aves_table_del(t, key), 0);
	}
	for (uint32_t i = 0; i < N; i++)
		if (i % 2 == 0 && seen[i])
			assert_null(lookup(t, i));
	assert_int_equal(aves_table_iterate(t, NULL, &key, &entry), -EINVAL);
	aves_table_free(t);
}

static void
test_iterate(void **state)
{
	(void)state;
	iterate_all(AVES_TABLE_SHARED, "iter_s");
	iterate_all(AVES_TABLE_PRIVATE, "iter_p");
}

/* A private table: no RCU; a deleted entry is free at once. */
static void
test_private_mode(void **state)
{
	struct aves_table *t = create("private", 3, AVES_TABLE_PRIVATE);
	struct aves_table_stats s;
	struct test_entry *e;
	void *again;

	(void)state;
	insert(t, 1);
	e = insert(t, 2);
	insert(t, 3);
	assert_int_equal(aves_table_reserve(t, &again), -ENOSPC);
	assert_int_equal(del(t, 2), 0);
	assert_int_equal(aves_table_reserve(t, &again), 0);
	assert_ptr_equal(again, e);
	assert_int_equal(aves_table_reclaim(t), 0);
	aves_table_stats_get(t, &s);
	assert_int_equal(s.retiring, 0);
	assert_int_equal(s.reclaimed, 0);
	assert_int_equal(s.reserved, 1);
	assert_int_equal(aves_table_cancel(t, again), 0);
	assert_int_equal(lookup(t, 1)->id, 1);
	aves_table_free(t);
}

/* Entries are aligned so that a shared entry has its cache lines to itself. */
static void
test_entry_alignment(void **state)
{
	struct aves_table *t = create("align", 8, AVES_TABLE_SHARED);
	struct aves_table_params p = params("align_p", 8, AVES_TABLE_PRIVATE);
	struct aves_table *tp;
	void *a, *b;

	(void)state;
	assert_int_equal(aves_table_reserve(t, &a), 0);
	assert_int_equal(aves_table_reserve(t, &b), 0);
	assert_int_equal((uintptr_t)a % RTE_CACHE_LINE_SIZE, 0);
	assert_int_equal((uintptr_t)b % RTE_CACHE_LINE_SIZE, 0);
	aves_table_free(t);
	/* private: 28-byte entries packed at 32 bytes, never straddling a line */
	tp = aves_table_create(&p);
	assert_non_null(tp);
	assert_int_equal(aves_table_reserve(tp, &a), 0);
	assert_int_equal(aves_table_reserve(tp, &b), 0);
	assert_int_equal((char *)b - (char *)a, 32);
	aves_table_free(tp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_layout),
		cmocka_unit_test(test_create_validation),
		cmocka_unit_test(test_insert_lookup_delete),
		cmocka_unit_test(test_bulk_lookup),
		cmocka_unit_test(test_hard_cap_exact),
		cmocka_unit_test(test_grace_period),
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_iterate_sparse_is_bounded),
		cmocka_unit_test(test_sweep_rounds),
		cmocka_unit_test(test_private_mode),
		cmocka_unit_test(test_entry_alignment),
	};

	return cmocka_run_group_tests_name("flow/table", tests, group_setup, group_teardown);
}
