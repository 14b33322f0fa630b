/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys and tags (docs/PROTOCOL.md §2) on top of ipsec-mb. HMAC-MD5 keys are reduced to the
 * two MD5 chaining states after (key ^ ipad) and (key ^ opad), so a tag costs only the
 * message blocks plus one outer block.
 */
#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "aves_auth.h"

#define MD5_BLOCK_LEN 64
#define HMAC_IPAD_BYTE 0x36
#define HMAC_OPAD_BYTE 0x5c

struct aves_auth_ctx {
	IMB_MGR *mgr;
	IMB_ARCH arch;
};

struct aves_keyring {
	unsigned int capacity;
	unsigned int count;
	struct aves_key keys[]; /* sorted by id, ascending */
};

struct aves_auth_ctx *
aves_auth_ctx_create(void)
{
	struct aves_auth_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->mgr = alloc_mb_mgr(0);
	if (ctx->mgr == NULL) {
		free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	init_mb_mgr_auto(ctx->mgr, &ctx->arch);
	if (ctx->arch == IMB_ARCH_NONE || imb_get_errno(ctx->mgr) != 0) {
		/* A CPU without even SSE4.1: ipsec-mb has no code path for it. */
		free_mb_mgr(ctx->mgr);
		free(ctx);
		errno = ENOTSUP;
		return NULL;
	}
	return ctx;
}

void
aves_auth_ctx_free(struct aves_auth_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free_mb_mgr(ctx->mgr);
	free(ctx);
}

void *
aves_auth_ctx_mgr(struct aves_auth_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->mgr;
}

const char *
aves_auth_ctx_arch(const struct aves_auth_ctx *ctx)
{
	static const char *const names[IMB_ARCH_NUM] = {
		[IMB_ARCH_NONE] = "none",
		[IMB_ARCH_NOAESNI] = "noaesni",
		[IMB_ARCH_SSE] = "sse",
		[IMB_ARCH_AVX] = "avx",
		[IMB_ARCH_AVX2] = "avx2",
		[IMB_ARCH_AVX512] = "avx512",
	};

	if (ctx == NULL || (unsigned int)ctx->arch >= IMB_ARCH_NUM)
		return "unknown";
	return names[ctx->arch];
}

int
aves_key_init(struct aves_auth_ctx *ctx, struct aves_key *key, uint32_t id,
	      enum aves_alg alg, const uint8_t *secret, size_t len)
{
	alignas(16) uint8_t block[MD5_BLOCK_LEN];
	size_t i;

	if (ctx == NULL || key == NULL || secret == NULL || id == 0 ||
	    alg != AVES_ALG_HMAC_MD5 || len < AVES_KEY_MIN_LEN || len > AVES_KEY_MAX_LEN)
		return -EINVAL;

	memset(key, 0, sizeof(*key));
	key->id = id;
	key->alg = (uint8_t)alg;

	memset(block, 0, sizeof(block));
	memcpy(block, secret, len);
	for (i = 0; i < sizeof(block); i++)
		block[i] ^= HMAC_IPAD_BYTE;
	IMB_MD5_ONE_BLOCK(ctx->mgr, block, key->ipad_state);
	for (i = 0; i < sizeof(block); i++)
		block[i] ^= HMAC_IPAD_BYTE ^ HMAC_OPAD_BYTE;
	IMB_MD5_ONE_BLOCK(ctx->mgr, block, key->opad_state);
	explicit_bzero(block, sizeof(block));
	return 0;
}

void
aves_key_wipe(struct aves_key *key)
{
	if (key != NULL)
		explicit_bzero(key, sizeof(*key));
}

static int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
aves_key_parse_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t digits, i;

	if (hex == NULL || out == NULL)
		return -EINVAL;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	/* Validate everything before writing, so a bad secret never leaves half a key in out. */
	for (digits = 0; hex[digits] != '\0'; digits++)
		if (hex_digit_value(hex[digits]) < 0)
			return -EINVAL;
	if (digits % 2 != 0)
		return -EINVAL;
	if (digits / 2 > cap || digits / 2 < AVES_KEY_MIN_LEN)
		return -ERANGE;
	for (i = 0; i < digits / 2; i++)
		out[i] = (uint8_t)(hex_digit_value(hex[2 * i]) << 4 |
				   hex_digit_value(hex[2 * i + 1]));
	return (int)(digits / 2);
}

/* Jobs complete in whatever order the lanes finish: user_data says which one this is. */
static unsigned int
mark_done(const IMB_JOB *job, unsigned int n, bool *done)
{
	uintptr_t i = (uintptr_t)job->user_data;

	if (i >= n || job->status != IMB_STATUS_COMPLETED)
		return 0;
	done[i] = true;
	return 1;
}

static bool
tag_job_valid(const struct aves_tag_job *j)
{
	/* ipsec-mb 1.3 refuses HMAC messages of 0 bytes and of 65535 bytes or more (job status
	 * INVALID_ARGS); no AVES message is either. */
	return j->data != NULL && j->tag != NULL && j->key != NULL &&
	       j->key->alg == AVES_ALG_HMAC_MD5 && j->len != 0 && j->len < UINT16_MAX;
}

unsigned int
aves_tag_compute_burst(struct aves_auth_ctx *ctx, const struct aves_tag_job *jobs,
		       unsigned int n, bool *done)
{
	unsigned int i, ok = 0;
	IMB_JOB *job;

	if (ctx == NULL || jobs == NULL || done == NULL || n > AVES_TAG_BURST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		done[i] = false;
		if (!tag_job_valid(&jobs[i]))
			continue;
		job = IMB_GET_NEXT_JOB(ctx->mgr);
		/* Jobs are recycled: set every field the HMAC path and its validation read. */
		job->enc_keys = NULL;
		job->dec_keys = NULL;
		job->key_len_in_bytes = 0;
		job->src = jobs[i].data;
		job->dst = NULL;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = 0;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = jobs[i].len;
		job->iv = NULL;
		job->iv_len_in_bytes = 0;
		job->auth_tag_output = jobs[i].tag;
		job->auth_tag_output_len_in_bytes = AVES_TAG_LEN;
		job->u.HMAC._hashed_auth_key_xor_ipad = jobs[i].key->ipad_state;
		job->u.HMAC._hashed_auth_key_xor_opad = jobs[i].key->opad_state;
		job->cipher_mode = IMB_CIPHER_NULL;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->hash_alg = IMB_AUTH_MD5;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		job->user_data = (void *)(uintptr_t)i;
		for (job = IMB_SUBMIT_JOB(ctx->mgr); job != NULL;
		     job = IMB_GET_COMPLETED_JOB(ctx->mgr))
			ok += mark_done(job, n, done);
	}
	while ((job = IMB_FLUSH_JOB(ctx->mgr)) != NULL)
		ok += mark_done(job, n, done);
	return ok;
}

int
aves_tag_compute(struct aves_auth_ctx *ctx, const struct aves_key *key, const void *data,
		 size_t len, uint8_t tag[AVES_TAG_LEN])
{
	const struct aves_tag_job job = { .data = data, .tag = tag, .key = key,
					  .len = len < UINT16_MAX ? (uint32_t)len : 0 };
	bool done;

	return aves_tag_compute_burst(ctx, &job, 1, &done) == 1 ? 0 : -EINVAL;
}

bool
aves_tag_equal(const uint8_t a[AVES_TAG_LEN], const uint8_t b[AVES_TAG_LEN])
{
	/* Accumulate every difference: no early exit whose timing depends on the tag. Two
	 * 64-bit words; the barrier keeps the compiler from turning the OR into a branch. */
	uint64_t a0, a1, b0, b1, diff;

	static_assert(AVES_TAG_LEN == 2 * sizeof(uint64_t), "a tag is two words");
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	diff = (a0 ^ b0) | (a1 ^ b1);
	__asm__ volatile("" : "+r"(diff));
	return diff == 0;
}

struct aves_keyring *
aves_keyring_create(unsigned int capacity)
{
	struct aves_keyring *ring;
	size_t size;

	if (capacity == 0 || capacity > AVES_KEYRING_MAX) {
		errno = EINVAL;
		return NULL;
	}
	size = sizeof(*ring) + (size_t)capacity * sizeof(struct aves_key);
	size = (size + alignof(struct aves_key) - 1) & ~(alignof(struct aves_key) - 1);
	ring = aligned_alloc(alignof(struct aves_key), size);
	if (ring == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(ring, 0, size);
	ring->capacity = capacity;
	return ring;
}

void
aves_keyring_free(struct aves_keyring *ring)
{
	if (ring == NULL)
		return;
	explicit_bzero(ring->keys, (size_t)ring->capacity * sizeof(struct aves_key));
	free(ring);
}

/* Index of the first key whose id is >= id (count when there is none). */
static unsigned int
keyring_lower_bound(const struct aves_keyring *ring, uint32_t id)
{
	unsigned int lo = 0, hi = ring->count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ring->keys[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
aves_keyring_add(struct aves_keyring *ring, const struct aves_key *key)
{
	unsigned int pos;

	if (ring == NULL || key == NULL || key->id == 0 || key->alg != AVES_ALG_HMAC_MD5)
		return -EINVAL;
	pos = keyring_lower_bound(ring, key->id);
	if (pos < ring->count && ring->keys[pos].id == key->id)
		return -EEXIST;
	if (ring->count == ring->capacity)
		return -ENOSPC;
	memmove(&ring->keys[pos + 1], &ring->keys[pos],
		(size_t)(ring->count - pos) * sizeof(struct aves_key));
	ring->keys[pos] = *key;
	ring->count++;
	return 0;
}

int
aves_keyring_remove(struct aves_keyring *ring, uint32_t id)
{
	unsigned int pos;

	if (ring == NULL)
		return -ENOENT;
	pos = keyring_lower_bound(ring, id);
	if (pos == ring->count || ring->keys[pos].id != id)
		return -ENOENT;
	memmove(&ring->keys[pos], &ring->keys[pos + 1],
		(size_t)(ring->count - pos - 1) * sizeof(struct aves_key));
	ring->count--;
	aves_key_wipe(&ring->keys[ring->count]);
	return 0;
}

const struct aves_key *
aves_keyring_find(const struct aves_keyring *ring, uint32_t id)
{
	unsigned int pos;

	if (ring == NULL || id == 0)
		return NULL;
	pos = keyring_lower_bound(ring, id);
	if (pos == ring->count || ring->keys[pos].id != id)
		return NULL;
	return &ring->keys[pos];
}

unsigned int
aves_keyring_count(const struct aves_keyring *ring)
{
	return ring == NULL ? 0 : ring->count;
}
