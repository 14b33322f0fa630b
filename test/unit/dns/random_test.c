/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The random number generator: rejection sampling checked word by word with a scripted source
 * (the rejected words, bound 1, bound 2^32 - 1), refills in blocks of DNS_RANDOM_BLOCK bytes,
 * uniformity by chi-square tests over a deterministic source (cannot flake) and over
 * getrandom(2) itself (each bound exceeded by chance with probability 1e-10), a failing source.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_random.h"

#define WORDS_PER_BLOCK (DNS_RANDOM_BLOCK / 4)

/* Hands out scripted 32-bit words, then splitmix64 output (a fixed seed: the same every run). */
struct script {
	const uint32_t *words;
	size_t n_words;
	size_t next_word;
	uint64_t state;
	unsigned int calls;
	int fail_after; /* fail the call after this many (-1: never) */
};

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
script_source(void *arg, uint8_t *buf, size_t len)
{
	struct script *s = arg;
	size_t i;

	assert_int_equal(len, DNS_RANDOM_BLOCK);
	if (s->fail_after >= 0 && s->calls == (unsigned int)s->fail_after)
		return -EIO;
	s->calls++;
	for (i = 0; i < len; i += 4) {
		uint32_t w = s->next_word < s->n_words ? s->words[s->next_word++]
						       : (uint32_t)splitmix64(&s->state);

		memcpy(buf + i, &w, 4);
	}
	return 0;
}

static void
test_rejection_sampling(void **state)
{
	/* bound 3: 2^32 mod 3 = 1, so only word 0 is rejected (it and 2^32 - 3 .. 2^32 - 1
	 * would give 0 one time too many). bound 2^32 - 1: 2^32 mod bound = 1; word 0 and word
	 * 2^32 - 1 both give 0, so 0 is rejected. bound 6: 2^32 mod 6 = 4. */
	static const uint32_t words[] = {0, 5, 0, 0xffffffffu, 7, 3, 0, 4, 2010};
	struct script s = {.words = words, .n_words = 9, .fail_after = -1};
	struct dns_random *r;

	(void)state;
	r = dns_random_create(script_source, &s);
	assert_non_null(r);
	assert_int_equal(dns_random_uniform(r, 3), 2);          /* 0 rejected, 5 % 3 */
	assert_int_equal(dns_random_uniform(r, 0xffffffffu), 0); /* 0 rejected; bound % bound */
	assert_int_equal(dns_random_uniform(r, 0xffffffffu), 7);
	assert_int_equal(dns_random_uniform(r, 6), 4);           /* 3, 0 rejected; 4 % 6 */
	/* bound 1 (and 0) is always 0 and consumes nothing: the next word is still 2010. */
	assert_int_equal(dns_random_uniform(r, 1), 0);
	assert_int_equal(dns_random_uniform(r, 0), 0);
	assert_int_equal(dns_random_uniform(r, 1000), 10); /* 2^32 mod 1000 = 296 */
	assert_int_equal(s.calls, 1);
	dns_random_free(r);
}

static void
test_refills_by_block(void **state)
{
	struct script s = {.state = 1, .fail_after = -1};
	struct dns_random *r;
	unsigned int i;

	(void)state;
	r = dns_random_create(script_source, &s);
	assert_non_null(r);
	assert_int_equal(s.calls, 1); /* fetched at creation */
	for (i = 0; i < WORDS_PER_BLOCK; i++)
		dns_random_uniform(r, 0x80000000u); /* a power of two: nothing rejected */
	assert_int_equal(s.calls, 1);
	dns_random_uniform(r, 0x80000000u);
	assert_int_equal(s.calls, 2);
	/* u64: two words, high first. */
	{
		struct script t = {.words = (const uint32_t[]){0x01234567u, 0x89abcdefu},
				   .n_words = 2, .fail_after = -1};
		struct dns_random *u = dns_random_create(script_source, &t);

		assert_non_null(u);
		assert_int_equal(dns_random_u64(u), 0x0123456789abcdefull);
		dns_random_free(u);
	}
	dns_random_free(r);
}

/* Pearson's chi-square of @p draws uniform(bound) draws against the uniform distribution. */
static double
chi_square(struct dns_random *r, uint32_t bound, unsigned int draws)
{
	unsigned int *count = calloc(bound, sizeof(*count));
	double expected = (double)draws / bound, chi = 0;
	unsigned int i;

	assert_non_null(count);
	for (i = 0; i < draws; i++) {
		uint32_t x = dns_random_uniform(r, bound);

		assert_true(x < bound);
		count[x]++;
	}
	for (i = 0; i < bound; i++)
		chi += (count[i] - expected) * (count[i] - expected) / expected;
	free(count);
	return chi;
}

/*
 * The chi-square values that k degrees of freedom exceed with probability 1e-10 (so the test
 * on getrandom(2) fails by chance less than once in 3e9 runs). A sampler that takes "x % bound"
 * without rejection is caught only where that bias is large: for 7 outcomes it is 1 in 6e8
 * and invisible here, so the last check uses a bound of 3 * 2^30, where it would make results
 * below 2^30 twice as likely as the others.
 */
#define CHI2_K2 46.1
#define CHI2_K6 58.3
#define CHI2_K49 140.3

static void
check_uniform(struct dns_random *r)
{
	double chi;

	chi = chi_square(r, 7, 700000);
	if (chi > CHI2_K6)
		fail_msg("bound 7: chi-square %.1f > %.1f", chi, CHI2_K6);
	chi = chi_square(r, 50, 500000);
	if (chi > CHI2_K49)
		fail_msg("bound 50: chi-square %.1f > %.1f", chi, CHI2_K49);
	/* bound 3 * 2^30: without rejection, results below 2^30 would come twice as often. Split
	 * the range into its three 2^30-wide thirds: each must get a third of the draws. */
	{
		const uint32_t bound = 3u << 30;
		unsigned int third[3] = {0}, i, n = 300000;
		double e = n / 3.0;

		for (i = 0; i < n; i++)
			third[dns_random_uniform(r, bound) >> 30]++;
		chi = 0;
		for (i = 0; i < 3; i++)
			chi += (third[i] - e) * (third[i] - e) / e;
		if (chi > CHI2_K2)
			fail_msg("bound 3 * 2^30: thirds %u %u %u", third[0], third[1], third[2]);
	}
}

static void
test_uniform_deterministic(void **state)
{
	struct script s = {.state = 0x5eed, .fail_after = -1};
	struct dns_random *r = dns_random_create(script_source, &s);

	(void)state;
	assert_non_null(r);
	check_uniform(r);
	dns_random_free(r);
}

static void
test_uniform_getrandom(void **state)
{
	struct dns_random *r = dns_random_create(NULL, NULL);
	uint64_t a, b;

	(void)state;
	assert_non_null(r);
	check_uniform(r);
	/* Two 64-bit draws alike: 1 in 2^64. */
	a = dns_random_u64(r);
	b = dns_random_u64(r);
	assert_true(a != b);
	dns_random_free(r);
}

static void
test_source_failure(void **state)
{
	struct script s = {.fail_after = 0};

	(void)state;
	errno = 0;
	assert_null(dns_random_create(script_source, &s));
	assert_int_equal(errno, EIO);
	dns_random_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejection_sampling),
		cmocka_unit_test(test_refills_by_block),
		cmocka_unit_test(test_uniform_deterministic),
		cmocka_unit_test(test_uniform_getrandom),
		cmocka_unit_test(test_source_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
