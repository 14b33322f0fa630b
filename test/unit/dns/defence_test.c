/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Defences at their boundaries: the rate limiter (burst, steady rate, exact interval), and the
 * penalty table (threshold, duration, no extension, bounded memory under many requesters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dns_defence.h"

#define S 1000000ull

static void
test_rate_burst_and_interval(void **state)
{
	struct dns_rate r = {.per_second = 10, .burst = 3}; /* one per 100 ms */
	uint64_t tat = 0, t0 = 5 * S;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_true(dns_rate_take(&tat, &r, t0));
	assert_false(dns_rate_take(&tat, &r, t0));
	assert_false(dns_rate_take(&tat, &r, t0 + 99999));
	assert_true(dns_rate_take(&tat, &r, t0 + 100000));
	assert_false(dns_rate_take(&tat, &r, t0 + 100000));
	/* A long pause refills the burst, not more. */
	for (i = 0; i < 3; i++)
		assert_true(dns_rate_take(&tat, &r, t0 + 10 * S));
	assert_false(dns_rate_take(&tat, &r, t0 + 10 * S));
}

static void
test_rate_steady(void **state)
{
	struct dns_rate r = {.per_second = 1000, .burst = 1};
	uint64_t tat = 0, t;
	unsigned int ok = 0;

	(void)state;
	/* Offered every 250 us for one second: exactly the rate gets through. */
	for (t = 1 * S; t < 2 * S; t += 250)
		ok += dns_rate_take(&tat, &r, t);
	assert_int_equal(ok, 1000);
}

static struct dns_penalty *
table(uint32_t capacity, uint32_t threshold)
{
	struct dns_penalty *pen = dns_penalty_create(&(struct dns_penalty_params){
		.capacity = capacity, .threshold = threshold, .time_us = 60 * S, .seed = 7});

	assert_non_null(pen);
	return pen;
}

static void
test_penalty_first_strike(void **state)
{
	struct dns_penalty *pen = table(64, 1);

	(void)state;
	assert_false(dns_penalty_active(pen, 1, 0));
	assert_true(dns_penalty_strike(pen, 1, 10 * S));
	assert_true(dns_penalty_active(pen, 1, 10 * S));
	assert_false(dns_penalty_active(pen, 2, 10 * S));
	assert_true(dns_penalty_active(pen, 1, 70 * S - 1));
	assert_false(dns_penalty_active(pen, 1, 70 * S));
	assert_int_equal(dns_penalty_count(pen, 10 * S), 1);
	assert_int_equal(dns_penalty_count(pen, 70 * S), 0);
	dns_penalty_free(pen);
}

static void
test_penalty_threshold(void **state)
{
	struct dns_penalty *pen = table(64, 3);

	(void)state;
	assert_false(dns_penalty_strike(pen, 1, 0));
	assert_false(dns_penalty_strike(pen, 1, 1 * S));
	assert_false(dns_penalty_active(pen, 1, 1 * S));
	assert_true(dns_penalty_strike(pen, 1, 2 * S));
	assert_true(dns_penalty_active(pen, 1, 2 * S));
	/* The penalty runs from the strike that started it. */
	assert_true(dns_penalty_active(pen, 1, 62 * S - 1));
	assert_false(dns_penalty_active(pen, 1, 62 * S));
	/* Strikes are forgotten after the penalty time: two old ones and one new are not three. */
	assert_false(dns_penalty_strike(pen, 2, 0));
	assert_false(dns_penalty_strike(pen, 2, 1 * S));
	assert_false(dns_penalty_strike(pen, 2, 61 * S));
	assert_false(dns_penalty_active(pen, 2, 61 * S));
	dns_penalty_free(pen);
}

static void
test_penalty_not_extended(void **state)
{
	struct dns_penalty *pen = table(64, 1);

	(void)state;
	assert_true(dns_penalty_strike(pen, 1, 0));
	/* More scanning while penalised (queries that are dropped anyway) does not extend it. */
	assert_false(dns_penalty_strike(pen, 1, 30 * S));
	assert_false(dns_penalty_active(pen, 1, 60 * S));
	dns_penalty_retune(pen, 2, 10 * S);
	assert_false(dns_penalty_strike(pen, 1, 100 * S));
	assert_true(dns_penalty_strike(pen, 1, 101 * S));
	assert_false(dns_penalty_active(pen, 1, 111 * S));
	dns_penalty_free(pen);
}

static void
test_penalty_bounded(void **state)
{
	/* 4 entries: one set. A fifth requester replaces the entry that expires first. */
	struct dns_penalty *pen = table(4, 1);
	uint32_t a;

	(void)state;
	for (a = 1; a <= 4; a++)
		assert_true(dns_penalty_strike(pen, a, a * S));
	assert_int_equal(dns_penalty_count(pen, 5 * S), 4);
	assert_true(dns_penalty_strike(pen, 5, 5 * S));
	assert_int_equal(dns_penalty_count(pen, 5 * S), 4);
	assert_false(dns_penalty_active(pen, 1, 5 * S));
	for (a = 2; a <= 5; a++)
		assert_true(dns_penalty_active(pen, a, 5 * S));
	/* A flood of distinct sources never grows the table. */
	for (a = 100; a < 100000; a++)
		dns_penalty_strike(pen, a, 6 * S);
	assert_true(dns_penalty_count(pen, 6 * S) <= 4);
	dns_penalty_free(pen);

	/* A larger table keeps every requester of a moderate scan. */
	pen = table(1024, 1);
	for (a = 1; a <= 200; a++)
		dns_penalty_strike(pen, a * 7919, 0);
	assert_true(dns_penalty_count(pen, 0) >= 190);
	dns_penalty_free(pen);
}

static void
test_penalty_create_validates(void **state)
{
	(void)state;
	assert_null(dns_penalty_create(NULL));
	assert_null(dns_penalty_create(&(struct dns_penalty_params){.capacity = 4, .threshold = 0}));
	assert_null(dns_penalty_create(&(struct dns_penalty_params){.capacity = 0, .threshold = 1}));
	dns_penalty_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_burst_and_interval),
		cmocka_unit_test(test_rate_steady),
		cmocka_unit_test(test_penalty_first_strike),
		cmocka_unit_test(test_penalty_threshold),
		cmocka_unit_test(test_penalty_not_extended),
		cmocka_unit_test(test_penalty_bounded),
		cmocka_unit_test(test_penalty_create_validates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
