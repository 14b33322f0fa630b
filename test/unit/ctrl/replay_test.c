/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay windows (lib/aves_ctrl/aves_replay.h): the sliding window against a reference
 * model that remembers every serial, and the bounded table's LRU eviction against a
 * reference LRU.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aves_replay.h"

#define KEY 0x101u
#define ORIGIN 0xc6336435u

static uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct aves_replay *
table_new(unsigned int capacity)
{
	struct aves_replay *t = aves_replay_create(capacity);

	assert_non_null(t);
	return t;
}

static void
test_create_parameters(void **state)
{
	struct aves_replay *t;
	struct aves_replay_stats st;

	(void)state;
	errno = 0;
	assert_null(aves_replay_create(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(aves_replay_create(AVES_REPLAY_MAX + 1));
	assert_int_equal(errno, EINVAL);

	t = table_new(1);
	aves_replay_stats(t, &st);
	assert_int_equal(st.capacity, 1);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.evictions, 0);
	aves_replay_free(t);

	t = table_new(AVES_REPLAY_MAX);
	aves_replay_stats(t, &st);
	assert_int_equal(st.capacity, AVES_REPLAY_MAX);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 7), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 7), AVES_REPLAY_SEEN);
	aves_replay_free(t);

	aves_replay_free(NULL);
}

static void
test_same_serial_twice(void **state)
{
	struct aves_replay *t = table_new(4);
	struct aves_replay_stats st;

	(void)state;
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 1000), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 1000), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 1000), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 1000), AVES_REPLAY_SEEN);
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, 1);
	aves_replay_free(t);
}

/* Checking alone never marks or slides anything. */
static void
test_check_does_not_commit(void **state)
{
	struct aves_replay *t = table_new(4);

	(void)state;
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 5000), AVES_REPLAY_FRESH);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 4990), AVES_REPLAY_FRESH);
		assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 100000), AVES_REPLAY_FRESH);
		assert_int_equal(aves_replay_check(t, KEY, ORIGIN + 1, 5000), AVES_REPLAY_FRESH);
	}
	/* 100000 was only checked: 4990 is still inside the window */
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 4990), AVES_REPLAY_FRESH);
	aves_replay_free(t);
}

static void
test_out_of_order_within_window(void **state)
{
	static const uint64_t late[] = {4999, 4000, 4064, 4063, 3977, 4500};
	struct aves_replay *t = table_new(4);

	(void)state;
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 5000), AVES_REPLAY_FRESH);
	for (unsigned int i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, late[i]), AVES_REPLAY_FRESH);
	for (unsigned int i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, late[i]), AVES_REPLAY_SEEN);
	/* 5000 - 1023 is the oldest serial the window holds */
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 3976), AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 3976), AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 0), AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 4998), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 3978), AVES_REPLAY_FRESH);
	aves_replay_free(t);
}

static void
test_edges_of_serial_space(void **state)
{
	struct aves_replay *t = table_new(4);

	(void)state;
	/* serial 0 is a serial like any other */
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 0), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 0), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 1023), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 0), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 1024), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 0), AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 1), AVES_REPLAY_FRESH);

	/* the top of the 64-bit space: no arithmetic wraps */
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, UINT64_MAX - 1), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, UINT64_MAX), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, UINT64_MAX), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, UINT64_MAX - 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, UINT64_MAX - 1023), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, UINT64_MAX - 1024),
			 AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 1024), AVES_REPLAY_TOO_OLD);
	aves_replay_free(t);
}

/* Fill a whole window, then jump by @p jump: every serial now in the window but the new
 * top must be FRESH (no stale bit survives the slide), everything below TOO_OLD. */
static void
fill_then_jump(uint64_t base, uint64_t jump)
{
	struct aves_replay *t = table_new(2);
	const uint64_t top = base + AVES_REPLAY_WINDOW - 1;
	const uint64_t new_top = top + jump;

	for (uint64_t s = base; s <= top; s++)
		assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, s), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, new_top), AVES_REPLAY_FRESH);
	for (uint64_t back = 1; back < AVES_REPLAY_WINDOW; back++) {
		uint64_t s = new_top - back;

		assert_int_equal(aves_replay_check(t, KEY, ORIGIN, s),
				 s > top ? AVES_REPLAY_FRESH : AVES_REPLAY_SEEN);
	}
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, new_top - AVES_REPLAY_WINDOW),
			 AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, new_top), AVES_REPLAY_SEEN);
	aves_replay_free(t);
}

static void
test_large_jumps(void **state)
{
	/* Word-aligned and unaligned bases; jumps below, at and beyond the window and the
	 * bitmap ring (17 words of 64), and beyond 2^32. */
	static const uint64_t bases[] = {0, 37, 1u << 20, UINT64_C(1700000000000000)};
	static const uint64_t jumps[] = {
		1, 63, 64, 65, 1000, 1023, 1024, 1025, 1087, 1088, 1089, 2048, 17 * 64 * 3,
		(UINT64_C(1) << 32) + 5, UINT64_C(1) << 40,
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (unsigned int j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++)
			fill_then_jump(bases[i], jumps[j]);
}

/*
 * Random serials around the top, with occasional jumps, for several senders at once,
 * compared with a model that remembers every serial ever accepted.
 */
#define MODEL_SPAN (1u << 22)
#define MODEL_SENDERS 3

static void
test_against_model(void **state)
{
	struct aves_replay *t = table_new(MODEL_SENDERS);
	uint8_t *seen[MODEL_SENDERS];
	uint64_t top[MODEL_SENDERS] = {0};
	bool started[MODEL_SENDERS] = {false};
	uint64_t seed = 12345;
	unsigned int fresh = 0, dup = 0, old = 0;

	(void)state;
	for (int k = 0; k < MODEL_SENDERS; k++) {
		seen[k] = calloc(MODEL_SPAN, 1);
		assert_non_null(seen[k]);
	}
	for (int op = 0; op < 60000; op++) {
		uint64_t r = xorshift64(&seed);
		unsigned int k = (unsigned int)(r % MODEL_SENDERS);
		uint64_t s, delta = (r >> 8) % 100;
		enum aves_replay_result want, got;

		if (delta < 2)      /* jump ahead */
			s = top[k] + 500 + (r >> 16) % 3000;
		else if (delta < 50) /* a little ahead */
			s = top[k] + (r >> 16) % 40;
		else                 /* behind, across the window's lower edge */
			s = top[k] - (r >> 16) % 1300;
		if (s >= MODEL_SPAN) /* includes a step below 0 that wrapped */
			continue;

		if (started[k] && s <= top[k] && top[k] - s >= AVES_REPLAY_WINDOW)
			want = AVES_REPLAY_TOO_OLD;
		else if (seen[k][s])
			want = AVES_REPLAY_SEEN;
		else
			want = AVES_REPLAY_FRESH;

		got = (r >> 60) & 1 ? aves_replay_check(t, KEY, ORIGIN + k, s)
				    : aves_replay_commit(t, KEY, ORIGIN + k, s);
		assert_int_equal(got, want);
		if (!((r >> 60) & 1) && want == AVES_REPLAY_FRESH) {
			seen[k][s] = 1;
			if (!started[k] || s > top[k])
				top[k] = s;
			started[k] = true;
		}
		fresh += want == AVES_REPLAY_FRESH;
		dup += want == AVES_REPLAY_SEEN;
		old += want == AVES_REPLAY_TOO_OLD;
	}
	/* the walk reached all three outcomes many times */
	assert_true(fresh > 1000 && dup > 1000 && old > 1000);
	for (int k = 0; k < MODEL_SENDERS; k++)
		free(seen[k]);
	aves_replay_free(t);
}

static void
test_windows_are_per_key_and_origin(void **state)
{
	struct aves_replay *t = table_new(8);

	(void)state;
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 100), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN + 1, 100), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY + 1, ORIGIN, 100), AVES_REPLAY_FRESH);
	/* the halves of the key are not interchangeable */
	assert_int_equal(aves_replay_commit(t, ORIGIN, KEY, 100), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN + 1, 100), AVES_REPLAY_SEEN);
	/* sliding one window leaves the others */
	assert_int_equal(aves_replay_commit(t, KEY, ORIGIN, 100000), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN, 99), AVES_REPLAY_TOO_OLD);
	assert_int_equal(aves_replay_check(t, KEY, ORIGIN + 1, 99), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY + 1, ORIGIN, 99), AVES_REPLAY_FRESH);
	aves_replay_free(t);
}

static void
test_lru_eviction(void **state)
{
	struct aves_replay *t = table_new(3);
	struct aves_replay_stats st;
	const uint32_t a = 1, b = 2, c = 3, d = 4, e = 5;

	(void)state;
	assert_int_equal(aves_replay_commit(t, KEY, a, 1), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, b, 1), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_commit(t, KEY, c, 1), AVES_REPLAY_FRESH);
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, 3);
	assert_int_equal(st.evictions, 0);

	/* a is used again; b is only looked at, which does not count as use */
	assert_int_equal(aves_replay_commit(t, KEY, a, 2), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, b, 1), AVES_REPLAY_SEEN);
	/* d arrives: b, the least recently used, goes */
	assert_int_equal(aves_replay_commit(t, KEY, d, 1), AVES_REPLAY_FRESH);
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, 3);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(aves_replay_check(t, KEY, b, 1), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, a, 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, c, 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, d, 1), AVES_REPLAY_SEEN);

	/* a refused replay from c does not refresh c: e evicts c */
	assert_int_equal(aves_replay_commit(t, KEY, c, 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_commit(t, KEY, e, 1), AVES_REPLAY_FRESH);
	aves_replay_stats(t, &st);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(aves_replay_check(t, KEY, c, 1), AVES_REPLAY_FRESH);
	assert_int_equal(aves_replay_check(t, KEY, a, 2), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, d, 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_check(t, KEY, e, 1), AVES_REPLAY_SEEN);

	/* an evicted sender starts a new window: its old serials are accepted again */
	assert_int_equal(aves_replay_commit(t, KEY, b, 1), AVES_REPLAY_FRESH);
	aves_replay_stats(t, &st);
	assert_int_equal(st.evictions, 3);
	assert_int_equal(aves_replay_check(t, KEY, a, 2), AVES_REPLAY_FRESH);
	aves_replay_free(t);
}

/* Capacity 1: every new sender replaces the only window. */
static void
test_capacity_one(void **state)
{
	struct aves_replay *t = table_new(1);
	struct aves_replay_stats st;

	(void)state;
	for (uint32_t origin = 1; origin <= 100; origin++) {
		assert_int_equal(aves_replay_commit(t, KEY, origin, 9), AVES_REPLAY_FRESH);
		assert_int_equal(aves_replay_commit(t, KEY, origin, 9), AVES_REPLAY_SEEN);
		if (origin > 1)
			assert_int_equal(aves_replay_check(t, KEY, origin - 1, 9),
					 AVES_REPLAY_FRESH);
	}
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, 1);
	assert_int_equal(st.evictions, 99);
	aves_replay_free(t);
}

/* A full table whose capacity is a power of two still finds that a sender is absent. */
static void
test_full_table_lookup_of_absent_sender(void **state)
{
	struct aves_replay *t = table_new(64);
	struct aves_replay_stats st;

	(void)state;
	for (uint32_t origin = 0; origin < 64; origin++)
		assert_int_equal(aves_replay_commit(t, KEY, origin, 1), AVES_REPLAY_FRESH);
	for (uint32_t origin = 64; origin < 1000; origin++)
		assert_int_equal(aves_replay_check(t, KEY, origin, 1), AVES_REPLAY_FRESH);
	for (uint32_t origin = 0; origin < 64; origin++)
		assert_int_equal(aves_replay_check(t, KEY, origin, 1), AVES_REPLAY_SEEN);
	assert_int_equal(aves_replay_commit(t, KEY, 64, 1), AVES_REPLAY_FRESH);
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, 64);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(aves_replay_check(t, KEY, 0, 1), AVES_REPLAY_FRESH);
	aves_replay_free(t);
}

/*
 * Many senders through a small table against a reference LRU: after each step exactly the
 * most recently used windows are present. Exercises probing and backward-shift deletion.
 */
#define LRU_CAPACITY 61
#define LRU_SENDERS 400

static void
test_eviction_against_model(void **state)
{
	struct aves_replay *t = table_new(LRU_CAPACITY);
	uint64_t last_use[LRU_SENDERS] = {0}; /* 0: not in the table */
	uint64_t serial[LRU_SENDERS] = {0};
	uint64_t clock = 0, evictions = 0, seed = 777;
	unsigned int present = 0;
	struct aves_replay_stats st;

	(void)state;
	for (int op = 0; op < 20000; op++) {
		uint64_t r = xorshift64(&seed);
		/* a skewed choice, so some senders stay hot and others come and go */
		unsigned int k = (unsigned int)((r % LRU_SENDERS) * ((r >> 20) % LRU_SENDERS) /
						LRU_SENDERS);
		uint32_t key = KEY + (k & 3), origin = ORIGIN + (k >> 2);

		if (last_use[k] == 0) {
			if (present == LRU_CAPACITY) {
				unsigned int victim = 0;

				for (unsigned int j = 0; j < LRU_SENDERS; j++)
					if (last_use[j] != 0 &&
					    (last_use[victim] == 0 || last_use[j] < last_use[victim]))
						victim = j;
				last_use[victim] = 0;
				evictions++;
			} else {
				present++;
			}
		}
		serial[k]++;
		assert_int_equal(aves_replay_commit(t, key, origin, serial[k]), AVES_REPLAY_FRESH);
		last_use[k] = ++clock;

		if (op % 97 == 0) {
			for (unsigned int j = 0; j < LRU_SENDERS; j++) {
				if (serial[j] == 0)
					continue;
				assert_int_equal(aves_replay_check(t, KEY + (j & 3), ORIGIN + (j >> 2),
								   serial[j]),
						 last_use[j] != 0 ? AVES_REPLAY_SEEN
								  : AVES_REPLAY_FRESH);
			}
		}
	}
	aves_replay_stats(t, &st);
	assert_int_equal(st.used, LRU_CAPACITY);
	assert_int_equal(st.evictions, evictions);
	assert_true(evictions > 1000);
	aves_replay_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_parameters),
		cmocka_unit_test(test_same_serial_twice),
		cmocka_unit_test(test_check_does_not_commit),
		cmocka_unit_test(test_out_of_order_within_window),
		cmocka_unit_test(test_edges_of_serial_space),
		cmocka_unit_test(test_large_jumps),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_windows_are_per_key_and_origin),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_full_table_lookup_of_absent_sender),
		cmocka_unit_test(test_eviction_against_model),
	};

	return cmocka_run_group_tests_name("ctrl_replay", tests, NULL, NULL);
}
