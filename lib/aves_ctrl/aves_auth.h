/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_auth.h
 * Keys, MAC algorithms and tags shared by the control protocol and the data-path tunnel
 * (docs/PROTOCOL.md §2). No DPDK dependency: aves-dns links this.
 *
 * Threads: an aves_auth_ctx (one ipsec-mb manager) belongs to exactly one thread. Keys are
 * plain values: a key is initialised once (by the thread that loads configuration) and then
 * only read, so any number of threads may read the same key concurrently.
 */
#ifndef AVES_AUTH_H
#define AVES_AUTH_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default UDP port of the control protocol (docs/PROTOCOL.md). */
#define AVES_CTRL_PORT 4796
/** Default UDP port a tunnel receiver (a NAT gateway) listens on (docs/PROTOCOL.md §3). */
#define AVES_TUNNEL_PORT 4797

/** Length in bytes of every AVES tag on the wire. */
#define AVES_TAG_LEN 16
/** Bounds on secret length (HMAC keys longer than one MD5 block are not accepted). */
#define AVES_KEY_MIN_LEN 16
#define AVES_KEY_MAX_LEN 64
/** Upper bound on the capacity of one keyring (a waypoint holds one key per gateway). */
#define AVES_KEYRING_MAX (1u << 20)

/** MAC algorithm identifiers as carried on the wire (docs/PROTOCOL.md §2). */
enum aves_alg {
	AVES_ALG_HMAC_MD5 = 1, /**< RFC 2104 HMAC-MD5, 16-byte tag: the paper's keyed MD5 */
	AVES_ALG_AES_GMAC = 2, /**< reserved in protocol v1; not accepted by aves_key_init() */
};

/**
 * A key ready for use: the secret is not kept, only what the MAC needs.
 * For HMAC-MD5 these are the MD5 chaining states after one block of (key ^ ipad) and of
 * (key ^ opad), exactly what ipsec-mb's job API takes in
 * job->u.HMAC._hashed_auth_key_xor_ipad / _xor_opad. Computing them once per key saves two
 * MD5 blocks per packet.
 */
struct aves_key {
	uint32_t id;   /**< key identifier, never 0 */
	uint8_t alg;   /**< enum aves_alg */
	alignas(16) uint8_t ipad_state[16];
	alignas(16) uint8_t opad_state[16];
};

struct aves_auth_ctx;

/**
 * Create a MAC context for the calling thread: one ipsec-mb manager initialised for the best
 * instruction set this CPU has.
 * @return the context, or NULL with errno set (ENOMEM, or ENOTSUP when ipsec-mb finds no code
 *         path this CPU can run).
 */
struct aves_auth_ctx *aves_auth_ctx_create(void);

/** Free a context; NULL is a no-op. */
void aves_auth_ctx_free(struct aves_auth_ctx *ctx);

/**
 * The ipsec-mb manager behind a context (an IMB_MGR *), for callers that submit their own
 * jobs in bursts (lib/aves_tunnel). Declared void * so this header does not pull in
 * intel-ipsec-mb.h.
 */
void *aves_auth_ctx_mgr(struct aves_auth_ctx *ctx);

/** Name of the ipsec-mb code path in use ("avx2", "sse", ...), for the start-up log. */
const char *aves_auth_ctx_arch(const struct aves_auth_ctx *ctx);

/**
 * Prepare a key from its secret.
 * @param ctx     the calling thread's context (used for the one-block MD5 computations)
 * @param key     output
 * @param id      key identifier, non-zero
 * @param alg     AVES_ALG_HMAC_MD5
 * @param secret  secret bytes
 * @param len     AVES_KEY_MIN_LEN..AVES_KEY_MAX_LEN
 * @return 0, or -EINVAL (bad id, algorithm or length).
 * The caller should wipe its copy of the secret afterwards.
 */
int aves_key_init(struct aves_auth_ctx *ctx, struct aves_key *key, uint32_t id,
		  enum aves_alg alg, const uint8_t *secret, size_t len);

/** Overwrite a key so no derived material stays in memory (not optimised away). */
void aves_key_wipe(struct aves_key *key);

/**
 * Parse a secret written as hexadecimal (an even number of hex digits, optionally prefixed
 * "0x"; no other characters).
 * @return the number of bytes written to @p out, or -EINVAL (bad digit, odd length) or
 *         -ERANGE (longer than @p cap or shorter than AVES_KEY_MIN_LEN).
 */
int aves_key_parse_hex(const char *hex, uint8_t *out, size_t cap);

/**
 * Compute the tag of one message (the control plane: one message at a time).
 * @return 0, or -EINVAL (NULL argument, unsupported algorithm, or @p len outside 1..65534:
 *         ipsec-mb 1.3 hashes at most 65534 bytes in one HMAC job; no AVES message is longer).
 */
int aves_tag_compute(struct aves_auth_ctx *ctx, const struct aves_key *key, const void *data,
		     size_t len, uint8_t tag[AVES_TAG_LEN]);

/** One tag computation of a burst (aves_tag_compute_burst()). */
struct aves_tag_job {
	const void *data;           /**< the bytes the tag covers */
	uint8_t *tag;               /**< AVES_TAG_LEN bytes out */
	const struct aves_key *key;
	uint32_t len;               /**< 1..65534 bytes at @p data */
};

/** Most jobs one aves_tag_compute_burst() call takes (the ipsec-mb manager's queue holds 128). */
#define AVES_TAG_BURST_MAX 64

/**
 * Compute the tags of up to AVES_TAG_BURST_MAX messages at once. Every job is submitted
 * before any is waited for, so ipsec-mb fills all its SIMD lanes: per message this costs a
 * fraction of aves_tag_compute() (PLATFORM-NOTES.md: ~210 against ~1,350 cycles at 64 bytes).
 * @param ctx   the calling thread's context
 * @param jobs  @p n jobs; a job with a NULL pointer, a key of another algorithm or a length
 *              outside 1..65534 is not computed
 * @param n     0..AVES_TAG_BURST_MAX
 * @param done  out: done[i] is true when job i's tag was written
 * @return the number of tags written; 0 when @p ctx or @p jobs is NULL or @p n is too large.
 * Thread: the owner of @p ctx. No allocation.
 */
unsigned int aves_tag_compute_burst(struct aves_auth_ctx *ctx, const struct aves_tag_job *jobs,
				    unsigned int n, bool *done);

/** Constant-time comparison of two tags: true when equal. */
bool aves_tag_equal(const uint8_t a[AVES_TAG_LEN], const uint8_t b[AVES_TAG_LEN]);

/**
 * A bounded set of keys looked up by id (kept sorted; binary search). Built by the thread that
 * loads configuration, then only read: a reload builds a new keyring and the application
 * swaps the pointer, freeing the old one after its readers are done.
 */
struct aves_keyring;

/**
 * @param capacity  most keys the ring will hold, 1..AVES_KEYRING_MAX
 * @return the keyring, or NULL with errno set (EINVAL, ENOMEM).
 */
struct aves_keyring *aves_keyring_create(unsigned int capacity);

/** Wipe every key and free the ring; NULL is a no-op. */
void aves_keyring_free(struct aves_keyring *ring);

/**
 * Add a prepared key (copied). Not safe concurrently with readers.
 * @return 0, -EEXIST (id already present), -ENOSPC (ring full), -EINVAL (id 0, bad alg).
 */
int aves_keyring_add(struct aves_keyring *ring, const struct aves_key *key);

/** Remove and wipe the key with this id: 0, or -ENOENT. Not safe concurrently with readers. */
int aves_keyring_remove(struct aves_keyring *ring, uint32_t id);

/** Find a key by id: the key, or NULL. Any number of threads may call this concurrently. */
const struct aves_key *aves_keyring_find(const struct aves_keyring *ring, uint32_t id);

/** Number of keys held. */
unsigned int aves_keyring_count(const struct aves_keyring *ring);

#ifdef __cplusplus
}
#endif

#endif /* AVES_AUTH_H */
