/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys and tags: RFC 2202 HMAC-MD5 vectors whose keys are within our 16..64-byte range, more
 * known answers computed with Python's hmac module, key-length limits, tamper detection,
 * the hex secret parser and the keyring.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aves_auth.h"

struct kat {
	const char *name;
	uint8_t key[AVES_KEY_MAX_LEN];
	size_t key_len;
	const uint8_t *msg;
	size_t msg_len;
	const char *tag_hex;
};

static struct aves_auth_ctx *ctx;

static int
group_setup(void **state)
{
	(void)state;
	ctx = aves_auth_ctx_create();
	return ctx == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	aves_auth_ctx_free(ctx);
	return 0;
}

static void
hex_to_tag(const char *hex, uint8_t tag[AVES_TAG_LEN])
{
	unsigned int i, v;

	assert_int_equal(strlen(hex), 2 * AVES_TAG_LEN);
	for (i = 0; i < AVES_TAG_LEN; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		tag[i] = (uint8_t)v;
	}
}

static void
check_kat(const struct kat *k)
{
	struct aves_key key;
	uint8_t tag[AVES_TAG_LEN], expected[AVES_TAG_LEN];

	hex_to_tag(k->tag_hex, expected);
	assert_int_equal(aves_key_init(ctx, &key, 7, AVES_ALG_HMAC_MD5, k->key, k->key_len), 0);
	assert_int_equal(aves_tag_compute(ctx, &key, k->msg, k->msg_len, tag), 0);
	if (memcmp(tag, expected, AVES_TAG_LEN) != 0)
		fail_msg("known answer '%s' differs", k->name);
	assert_true(aves_tag_equal(tag, expected));
}

static void
test_ctx_arch(void **state)
{
	const char *arch = aves_auth_ctx_arch(ctx);

	(void)state;
	assert_non_null(aves_auth_ctx_mgr(ctx));
	assert_non_null(arch);
	assert_string_not_equal(arch, "none");
	assert_string_not_equal(arch, "unknown");
	assert_null(aves_auth_ctx_mgr(NULL));
	aves_auth_ctx_free(NULL);
}

/* RFC 2202 §2, test cases 1, 3, 4 and 5: the ones with 16..64-byte keys. */
static void
test_rfc2202_vectors(void **state)
{
	uint8_t dd50[50], cd50[50];
	struct kat kats[] = {
		{ "rfc2202 case 1", { 0 }, 16, (const uint8_t *)"Hi There", 8,
		  "9294727a3638bb1c13f48ef8158bfc9d" },
		{ "rfc2202 case 3", { 0 }, 16, dd50, sizeof(dd50),
		  "56be34521d144c88dbb8c733f0e8b3f6" },
		{ "rfc2202 case 4", { 0 }, 25, cd50, sizeof(cd50),
		  "697eaf0aca3a3aea3a75164746ffaa79" },
		{ "rfc2202 case 5", { 0 }, 16, (const uint8_t *)"Test With Truncation", 20,
		  "56461ef2342edc00f9bab995690efd4c" },
	};
	unsigned int i;

	(void)state;
	memset(dd50, 0xdd, sizeof(dd50));
	memset(cd50, 0xcd, sizeof(cd50));
	memset(kats[0].key, 0x0b, 16);
	memset(kats[1].key, 0xaa, 16);
	for (i = 0; i < 25; i++)
		kats[2].key[i] = (uint8_t)(i + 1);
	memset(kats[3].key, 0x0c, 16);
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		check_kat(&kats[i]);
}

/* Python: hmac.new(key, msg, hashlib.md5).hexdigest(), at the key-length limits and at the
 * message lengths where MD5 padding spills into an extra block. */
static void
test_python_vectors(void **state)
{
	static uint8_t msg1000[1000];
	uint8_t a64[64];
	struct kat kats[] = {
		{ "64-byte key, 1000 bytes", { 0 }, 64, msg1000, sizeof(msg1000),
		  "31749561811002866d565852bfaf0fa6" },
		{ "16-byte key, 55 bytes", { 0 }, 16, a64, 55, "9f942a70d5f848740b065c912ee5467f" },
		{ "16-byte key, 56 bytes", { 0 }, 16, a64, 56, "904cfb4aed0951e893be986f0c1a1100" },
		{ "16-byte key, 64 bytes", { 0 }, 16, a64, 64, "8dde5b3df0a439469cf3b24c1ea63162" },
	};
	unsigned int i, j;

	(void)state;
	memset(a64, 'A', sizeof(a64));
	for (i = 0; i < sizeof(msg1000); i++)
		msg1000[i] = (uint8_t)(i * 7);
	for (j = 0; j < 64; j++)
		kats[0].key[j] = (uint8_t)(0x40 + j);
	for (i = 1; i < sizeof(kats) / sizeof(kats[0]); i++)
		for (j = 0; j < 16; j++)
			kats[i].key[j] = (uint8_t)j;
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		check_kat(&kats[i]);
}

static void
test_key_length_limits(void **state)
{
	uint8_t secret[80];
	struct aves_key key;

	(void)state;
	memset(secret, 0xaa, sizeof(secret));
	/* RFC 2202 case 2 ("Jefe", 4 bytes) and cases 6/7 (80 bytes) are outside 16..64. */
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5,
				       (const uint8_t *)"Jefe", 4), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 80), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 15), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 65), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 16), 0);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 64), 0);
}

static void
test_key_init_rejects(void **state)
{
	uint8_t secret[16] = { 1 };
	struct aves_key key;

	(void)state;
	assert_int_equal(aves_key_init(ctx, &key, 0, AVES_ALG_HMAC_MD5, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_AES_GMAC, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, (enum aves_alg)0, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, (enum aves_alg)3, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(NULL, &key, 1, AVES_ALG_HMAC_MD5, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, NULL, 1, AVES_ALG_HMAC_MD5, secret, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, NULL, 16), -EINVAL);
	assert_int_equal(aves_key_init(ctx, &key, 0xffffffffu, AVES_ALG_HMAC_MD5, secret, 16), 0);
	assert_int_equal(key.id, 0xffffffffu);
	assert_int_equal(key.alg, AVES_ALG_HMAC_MD5);
}

static void
test_tag_compute_rejects(void **state)
{
	uint8_t secret[16] = { 1 }, tag[AVES_TAG_LEN];
	struct aves_key key;

	(void)state;
	assert_int_equal(aves_key_init(ctx, &key, 1, AVES_ALG_HMAC_MD5, secret, 16), 0);
	assert_int_equal(aves_tag_compute(ctx, &key, NULL, 1, tag), -EINVAL);
	/* Lengths ipsec-mb 1.3 cannot MAC: empty, and 65535 bytes or more. */
	assert_int_equal(aves_tag_compute(ctx, &key, secret, 0, tag), -EINVAL);
	{
		uint8_t *big = calloc(1, 65535);

		assert_non_null(big);
		assert_int_equal(aves_tag_compute(ctx, &key, big, 65534, tag), 0);
		assert_int_equal(aves_tag_compute(ctx, &key, big, 65535, tag), -EINVAL);
		free(big);
	}
	assert_int_equal(aves_tag_compute(NULL, &key, secret, 1, tag), -EINVAL);
	assert_int_equal(aves_tag_compute(ctx, NULL, secret, 1, tag), -EINVAL);
	assert_int_equal(aves_tag_compute(ctx, &key, secret, 1, NULL), -EINVAL);
	key.alg = AVES_ALG_AES_GMAC;
	assert_int_equal(aves_tag_compute(ctx, &key, secret, 1, tag), -EINVAL);
}

/*
 * A burst gives every job the tag a single computation gives, whatever the mix of lengths
 * (1..1500 bytes, so jobs finish out of order) and keys; invalid jobs are skipped alone.
 */
static void
test_tag_burst(void **state)
{
	enum { N = AVES_TAG_BURST_MAX };
	static uint8_t data[N][1500];
	uint8_t tags[N][AVES_TAG_LEN], single[AVES_TAG_LEN];
	uint8_t secret_a[16], secret_b[64];
	struct aves_key key_a, key_b, gmac;
	struct aves_tag_job jobs[N];
	bool done[N];
	unsigned int i;

	(void)state;
	memset(secret_a, 0x0b, sizeof(secret_a));
	memset(secret_b, 0x5a, sizeof(secret_b));
	assert_int_equal(aves_key_init(ctx, &key_a, 1, AVES_ALG_HMAC_MD5, secret_a, 16), 0);
	assert_int_equal(aves_key_init(ctx, &key_b, 2, AVES_ALG_HMAC_MD5, secret_b, 64), 0);
	gmac = key_a;
	gmac.alg = AVES_ALG_AES_GMAC;
	for (i = 0; i < N; i++) {
		memset(data[i], (int)i, sizeof(data[i]));
		jobs[i] = (struct aves_tag_job){ .data = data[i], .tag = tags[i],
						 .key = i % 3 ? &key_a : &key_b,
						 .len = (uint32_t)(1 + (i * 397) % 1500) };
	}
	jobs[5].len = 0;
	jobs[6].key = &gmac;
	jobs[7].tag = NULL;
	assert_int_equal(aves_tag_compute_burst(ctx, jobs, N, done), N - 3);
	for (i = 0; i < N; i++) {
		if (i >= 5 && i <= 7) {
			assert_false(done[i]);
			continue;
		}
		assert_true(done[i]);
		assert_int_equal(aves_tag_compute(ctx, jobs[i].key, data[i], jobs[i].len, single), 0);
		assert_memory_equal(tags[i], single, AVES_TAG_LEN);
	}
	/* RFC 2202 case 1 alone in a burst */
	memcpy(data[0], "Hi There", 8);
	jobs[0] = (struct aves_tag_job){ .data = data[0], .tag = tags[0], .key = &key_a, .len = 8 };
	assert_int_equal(aves_tag_compute_burst(ctx, jobs, 1, done), 1);
	hex_to_tag("9294727a3638bb1c13f48ef8158bfc9d", single);
	assert_memory_equal(tags[0], single, AVES_TAG_LEN);
	/* refused calls */
	assert_int_equal(aves_tag_compute_burst(ctx, jobs, N + 1, done), 0);
	assert_int_equal(aves_tag_compute_burst(NULL, jobs, 1, done), 0);
	assert_int_equal(aves_tag_compute_burst(ctx, NULL, 1, done), 0);
	assert_int_equal(aves_tag_compute_burst(ctx, jobs, 0, done), 0);
}

/* Every single-bit change of the message, and a different key, change the tag. */
static void
test_tamper_detected(void **state)
{
	uint8_t secret[32], other[32], msg[72], tag[AVES_TAG_LEN], t2[AVES_TAG_LEN];
	struct aves_key key, key2;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(secret); i++) {
		secret[i] = (uint8_t)(0x11 * i);
		other[i] = secret[i];
	}
	other[31] ^= 1;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(aves_key_init(ctx, &key, 9, AVES_ALG_HMAC_MD5, secret, 32), 0);
	assert_int_equal(aves_key_init(ctx, &key2, 9, AVES_ALG_HMAC_MD5, other, 32), 0);
	assert_int_equal(aves_tag_compute(ctx, &key, msg, sizeof(msg), tag), 0);

	assert_int_equal(aves_tag_compute(ctx, &key, msg, sizeof(msg), t2), 0);
	assert_true(aves_tag_equal(tag, t2));
	for (i = 0; i < sizeof(msg) * 8; i++) {
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(aves_tag_compute(ctx, &key, msg, sizeof(msg), t2), 0);
		assert_false(aves_tag_equal(tag, t2));
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(aves_tag_compute(ctx, &key2, msg, sizeof(msg), t2), 0);
	assert_false(aves_tag_equal(tag, t2));
	/* One byte shorter is a different message too. */
	assert_int_equal(aves_tag_compute(ctx, &key, msg, sizeof(msg) - 1, t2), 0);
	assert_false(aves_tag_equal(tag, t2));
}

static void
test_tag_equal(void **state)
{
	uint8_t a[AVES_TAG_LEN], b[AVES_TAG_LEN];
	unsigned int i, bit;

	(void)state;
	for (i = 0; i < AVES_TAG_LEN; i++)
		a[i] = (uint8_t)(i * 17 + 3);
	memcpy(b, a, sizeof(a));
	assert_true(aves_tag_equal(a, b));
	for (i = 0; i < AVES_TAG_LEN; i++)
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_false(aves_tag_equal(a, b));
			b[i] ^= (uint8_t)(1u << bit);
		}
	assert_true(aves_tag_equal(a, b));
}

static void
test_key_wipe(void **state)
{
	static const struct aves_key zero;
	uint8_t secret[16] = { 0x5a };
	struct aves_key key;

	(void)state;
	assert_int_equal(aves_key_init(ctx, &key, 3, AVES_ALG_HMAC_MD5, secret, 16), 0);
	assert_memory_not_equal(&key, &zero, sizeof(key));
	aves_key_wipe(&key);
	assert_memory_equal(&key, &zero, sizeof(key));
	aves_key_wipe(NULL);
}

static void
test_parse_hex(void **state)
{
	static const char h16[] = "000102030405060708090a0b0c0d0e0f";
	uint8_t out[AVES_KEY_MAX_LEN], sentinel[AVES_KEY_MAX_LEN];
	char buf[2 * AVES_KEY_MAX_LEN + 8];
	unsigned int i;

	(void)state;
	assert_int_equal(aves_key_parse_hex(h16, out, sizeof(out)), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(out[i], i);
	assert_int_equal(aves_key_parse_hex("0xFFfeFDfcFBfaF9f8F7f6F5f4F3f2F1f0", out, 16), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(out[i], 0xff - i);
	assert_int_equal(aves_key_parse_hex("0X00112233445566778899aabbccddeeff", out, 16), 16);
	assert_int_equal(out[15], 0xff);

	/* 64 bytes fit exactly; 65 do not; cap limits too. */
	for (i = 0; i < 128; i++)
		buf[i] = "0123456789abcdef"[i % 16];
	buf[128] = '\0';
	assert_int_equal(aves_key_parse_hex(buf, out, sizeof(out)), 64);
	assert_int_equal(aves_key_parse_hex(buf, out, 63), -ERANGE);
	buf[128] = 'a';
	buf[129] = 'b';
	buf[130] = '\0';
	assert_int_equal(aves_key_parse_hex(buf, out, sizeof(out)), -ERANGE);

	/* Errors leave out untouched. */
	memset(out, 0xee, sizeof(out));
	memcpy(sentinel, out, sizeof(out));
	assert_int_equal(aves_key_parse_hex("", out, sizeof(out)), -ERANGE);
	assert_int_equal(aves_key_parse_hex("0x", out, sizeof(out)), -ERANGE);
	assert_int_equal(aves_key_parse_hex("000102030405060708090a0b0c0d0e", out, sizeof(out)),
			 -ERANGE);
	assert_int_equal(aves_key_parse_hex("000102030405060708090a0b0c0d0e0", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("000102030405060708090a0b0c0d0e0g", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("00010203040506070809 a0b0c0d0e0f", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex(" 000102030405060708090a0b0c0d0e0f", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("000102030405060708090a0b0c0d0e0f\n", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("0x0x0102030405060708090a0b0c0d0e0f", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("x000102030405060708090a0b0c0d0e0f", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex("-000102030405060708090a0b0c0d0e0f", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(aves_key_parse_hex(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(aves_key_parse_hex(h16, NULL, sizeof(out)), -EINVAL);
	assert_memory_equal(out, sentinel, sizeof(out));
}

static void
make_key(struct aves_key *key, uint32_t id)
{
	uint8_t secret[16];

	memset(secret, (int)(id & 0xff), sizeof(secret));
	assert_int_equal(aves_key_init(ctx, key, id, AVES_ALG_HMAC_MD5, secret, sizeof(secret)), 0);
}

static void
test_keyring_basic(void **state)
{
	static const uint32_t ids[] = { 50, 10, 40, 20, 30, 0xffffffffu, 1 };
	struct aves_keyring *ring;
	const struct aves_key *found;
	struct aves_key key;
	unsigned int i;

	(void)state;
	errno = 0;
	assert_null(aves_keyring_create(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(aves_keyring_create(AVES_KEYRING_MAX + 1));
	assert_int_equal(errno, EINVAL);

	ring = aves_keyring_create(7);
	assert_non_null(ring);
	assert_int_equal(aves_keyring_count(ring), 0);
	assert_null(aves_keyring_find(ring, 10));
	for (i = 0; i < 7; i++) {
		make_key(&key, ids[i]);
		assert_int_equal(aves_keyring_add(ring, &key), 0);
		assert_int_equal(aves_keyring_count(ring), i + 1);
	}
	for (i = 0; i < 7; i++) {
		make_key(&key, ids[i]);
		found = aves_keyring_find(ring, ids[i]);
		assert_non_null(found);
		assert_memory_equal(found, &key, sizeof(key));
	}
	assert_null(aves_keyring_find(ring, 0));
	assert_null(aves_keyring_find(ring, 15));
	assert_null(aves_keyring_find(ring, 60));
	assert_null(aves_keyring_find(ring, 0xfffffffeu));

	/* Duplicate before full: the more specific answer. */
	make_key(&key, 40);
	assert_int_equal(aves_keyring_add(ring, &key), -EEXIST);
	make_key(&key, 45);
	assert_int_equal(aves_keyring_add(ring, &key), -ENOSPC);
	assert_int_equal(aves_keyring_count(ring), 7);

	assert_int_equal(aves_keyring_remove(ring, 40), 0);
	assert_int_equal(aves_keyring_remove(ring, 40), -ENOENT);
	assert_int_equal(aves_keyring_remove(ring, 0), -ENOENT);
	assert_null(aves_keyring_find(ring, 40));
	assert_non_null(aves_keyring_find(ring, 30));
	assert_non_null(aves_keyring_find(ring, 50));
	assert_int_equal(aves_keyring_add(ring, &key), 0);
	assert_non_null(aves_keyring_find(ring, 45));

	key.id = 0;
	assert_int_equal(aves_keyring_add(ring, &key), -EINVAL);
	make_key(&key, 46);
	key.alg = AVES_ALG_AES_GMAC;
	assert_int_equal(aves_keyring_add(ring, &key), -EINVAL);
	assert_int_equal(aves_keyring_add(NULL, &key), -EINVAL);
	assert_int_equal(aves_keyring_add(ring, NULL), -EINVAL);
	assert_int_equal(aves_keyring_remove(NULL, 1), -ENOENT);
	assert_null(aves_keyring_find(NULL, 1));
	assert_int_equal(aves_keyring_count(NULL), 0);

	aves_keyring_free(ring);
	aves_keyring_free(NULL);
}

/* Random adds and removes against a presence bitmap: the ring always agrees. */
static void
test_keyring_model(void **state)
{
	enum { IDS = 200, CAP = 64 };
	bool present[IDS + 1] = { false };
	unsigned int held = 0, i, id;
	struct aves_keyring *ring = aves_keyring_create(CAP);
	struct aves_key key;
	uint32_t rnd = 12345;

	(void)state;
	assert_non_null(ring);
	for (i = 0; i < 20000; i++) {
		rnd = rnd * 1103515245u + 12345u;
		id = 1 + (rnd >> 8) % IDS;
		if ((rnd >> 4) & 1) {
			make_key(&key, id);
			int rc = aves_keyring_add(ring, &key);

			if (present[id])
				assert_int_equal(rc, -EEXIST);
			else if (held == CAP)
				assert_int_equal(rc, -ENOSPC);
			else {
				assert_int_equal(rc, 0);
				present[id] = true;
				held++;
			}
		} else {
			assert_int_equal(aves_keyring_remove(ring, id), present[id] ? 0 : -ENOENT);
			if (present[id]) {
				present[id] = false;
				held--;
			}
		}
		assert_int_equal(aves_keyring_count(ring), held);
		id = 1 + (rnd >> 16) % IDS;
		const struct aves_key *f = aves_keyring_find(ring, id);

		if (present[id]) {
			assert_non_null(f);
			assert_int_equal(f->id, id);
		} else {
			assert_null(f);
		}
	}
	aves_keyring_free(ring);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_arch),
		cmocka_unit_test(test_rfc2202_vectors),
		cmocka_unit_test(test_python_vectors),
		cmocka_unit_test(test_key_length_limits),
		cmocka_unit_test(test_key_init_rejects),
		cmocka_unit_test(test_tag_compute_rejects),
		cmocka_unit_test(test_tag_burst),
		cmocka_unit_test(test_tamper_detected),
		cmocka_unit_test(test_tag_equal),
		cmocka_unit_test(test_key_wipe),
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_keyring_basic),
		cmocka_unit_test(test_keyring_model),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
