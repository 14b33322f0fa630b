/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control message codec (docs/PROTOCOL.md §4). Decoding follows §4.6 step by step and works
 * on locals: the replay window and the caller's message change only once every check passed.
 */
#include <endian.h>
#include <stdalign.h>
#include <stdbool.h>
#include <errno.h>
#include <string.h>

#include "aves_ctrl.h"

static const uint16_t type_length[AVES_CTRL_TYPE_MAX + 1] = {
	[AVES_CTRL_SETUP] = AVES_CTRL_SETUP_LEN,
	[AVES_CTRL_ACCEPT] = AVES_CTRL_ACCEPT_LEN,
	[AVES_CTRL_REJECT] = AVES_CTRL_REJECT_LEN,
	[AVES_CTRL_REGISTER] = AVES_CTRL_REGISTER_LEN,
};

static inline unsigned int
min_uint(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* Total length of a message of this type, 0 for a type version 1 does not define. */
static size_t
message_length(unsigned int type)
{
	return type <= AVES_CTRL_TYPE_MAX ? type_length[type] : 0;
}

/*
 * Registered in §2, whether or not this build can compute it: a peer that moved to a
 * reserved algorithm then shows up as a key/algorithm mismatch, not as garbage.
 */
static int
alg_registered(unsigned int alg)
{
	return alg == AVES_ALG_HMAC_MD5 || alg == AVES_ALG_AES_GMAC;
}

static const struct aves_ctrl_keyset *
keyset_for_type(const struct aves_ctrl_rx *rx, unsigned int type)
{
	unsigned int i;

	for (i = 0; i < rx->n_keysets; i++)
		if (rx->keysets[i].types & AVES_CTRL_TYPE_BIT(type))
			return &rx->keysets[i];
	return NULL;
}

/* Body rules of §4.2-§4.5 (step 7), shared by the sender and the receiver. */
static enum aves_ctrl_verdict
body_check(const struct aves_ctrl_msg *msg)
{
	const struct aves_ctrl_setup *setup = &msg->body.setup;

	switch (msg->type) {
	case AVES_CTRL_SETUP:
		if (setup->mode != AVES_CTRL_MODE_INTRANET && setup->mode != AVES_CTRL_MODE_DELAYED)
			return AVES_CTRL_RX_BAD_MODE;
		if (setup->waypoint == 0 || setup->initiator == 0 || setup->gateway == 0 ||
		    setup->responder == 0)
			return AVES_CTRL_RX_BAD_ADDRESS;
		if (setup->gw_port == 0)
			return AVES_CTRL_RX_BAD_PORT;
		if (setup->gw_key_id == 0)
			return AVES_CTRL_RX_BAD_KEY_ID;
		return AVES_CTRL_RX_OK;
	case AVES_CTRL_ACCEPT:
		return msg->body.accept.waypoint == 0 ? AVES_CTRL_RX_BAD_ADDRESS : AVES_CTRL_RX_OK;
	case AVES_CTRL_REJECT:
		if (msg->body.reject.waypoint == 0)
			return AVES_CTRL_RX_BAD_ADDRESS;
		if (msg->body.reject.reason == 0 || msg->body.reject.reason > AVES_CTRL_REASON_MAX)
			return AVES_CTRL_RX_BAD_REASON;
		return AVES_CTRL_RX_OK;
	case AVES_CTRL_REGISTER:
		if (msg->body.reg.public_addr == 0)
			return AVES_CTRL_RX_BAD_ADDRESS;
		if (msg->body.reg.tunnel_port == 0)
			return AVES_CTRL_RX_BAD_PORT;
		return AVES_CTRL_RX_OK;
	default:
		return AVES_CTRL_RX_BAD_TYPE;
	}
}

/* Write the body of a message whose type message_length() knows. Reserved fields are zero. */
static void
body_write(const struct aves_ctrl_msg *msg, uint8_t *body)
{
	switch (msg->type) {
	case AVES_CTRL_SETUP: {
		const struct aves_ctrl_setup *s = &msg->body.setup;
		struct aves_ctrl_wire_setup w = {
			.mode = s->mode,
			.gw_port = htobe16(s->gw_port),
			.waypoint = s->waypoint,
			.initiator = s->initiator,
			.gateway = s->gateway,
			.responder = s->responder,
			.gw_key_id = htobe32(s->gw_key_id),
		};
		memcpy(body, &w, sizeof(w));
		break;
	}
	case AVES_CTRL_ACCEPT: {
		struct aves_ctrl_wire_accept w = {
			.request_serial = htobe64(msg->body.accept.request_serial),
			.waypoint = msg->body.accept.waypoint,
			.wait_ms = htobe32(msg->body.accept.wait_ms),
		};
		memcpy(body, &w, sizeof(w));
		break;
	}
	case AVES_CTRL_REJECT: {
		struct aves_ctrl_wire_reject w = {
			.request_serial = htobe64(msg->body.reject.request_serial),
			.waypoint = msg->body.reject.waypoint,
			.reason = htobe16(msg->body.reject.reason),
		};
		memcpy(body, &w, sizeof(w));
		break;
	}
	case AVES_CTRL_REGISTER: {
		struct aves_ctrl_wire_register w = {
			.public_addr = msg->body.reg.public_addr,
			.tunnel_port = htobe16(msg->body.reg.tunnel_port),
		};
		memcpy(body, &w, sizeof(w));
		break;
	}
	}
}

/*
 * Read the body of an authenticated message of a known type into msg.
 * Returns false when a reserved field is not zero (step 4).
 */
static bool
body_read(const uint8_t *body, struct aves_ctrl_msg *msg)
{
	switch (msg->type) {
	case AVES_CTRL_SETUP: {
		struct aves_ctrl_wire_setup w;

		memcpy(&w, body, sizeof(w));
		msg->body.setup = (struct aves_ctrl_setup){
			.mode = w.mode,
			.gw_port = be16toh(w.gw_port),
			.waypoint = w.waypoint,
			.initiator = w.initiator,
			.gateway = w.gateway,
			.responder = w.responder,
			.gw_key_id = be32toh(w.gw_key_id),
		};
		return w.reserved == 0;
	}
	case AVES_CTRL_ACCEPT: {
		struct aves_ctrl_wire_accept w;

		memcpy(&w, body, sizeof(w));
		msg->body.accept = (struct aves_ctrl_accept){
			.request_serial = be64toh(w.request_serial),
			.waypoint = w.waypoint,
			.wait_ms = be32toh(w.wait_ms),
		};
		return true;
	}
	case AVES_CTRL_REJECT: {
		struct aves_ctrl_wire_reject w;

		memcpy(&w, body, sizeof(w));
		msg->body.reject = (struct aves_ctrl_reject){
			.request_serial = be64toh(w.request_serial),
			.waypoint = w.waypoint,
			.reason = be16toh(w.reason),
		};
		return w.reserved == 0;
	}
	case AVES_CTRL_REGISTER: {
		struct aves_ctrl_wire_register w;

		memcpy(&w, body, sizeof(w));
		msg->body.reg = (struct aves_ctrl_register){
			.public_addr = w.public_addr,
			.tunnel_port = be16toh(w.tunnel_port),
		};
		return w.reserved == 0;
	}
	default:
		return false;
	}
}

void
aves_ctrl_serial_init(struct aves_ctrl_serial *counter, uint64_t wall_clock_us)
{
	counter->next = wall_clock_us;
}

int
aves_ctrl_serial_next(struct aves_ctrl_serial *counter, uint64_t *serial)
{
	/* UINT64_MAX is never handed out: after it nothing would be greater. */
	if (counter->next == UINT64_MAX)
		return -EOVERFLOW;
	*serial = counter->next++;
	return 0;
}

/* Header and body of one message, everything but the tag: its length, or a negative errno. */
static int
encode_untagged(const struct aves_key *key, const struct aves_ctrl_msg *msg, uint8_t *out,
		size_t size)
{
	struct aves_ctrl_wire_hdr hdr;
	size_t len;

	if (key == NULL || msg == NULL || out == NULL || key->id == 0)
		return -EINVAL;
	len = message_length(msg->type);
	if (len == 0 || body_check(msg) != AVES_CTRL_RX_OK)
		return -EINVAL;
	if (size < len)
		return -ENOSPC;

	hdr = (struct aves_ctrl_wire_hdr){
		.version = AVES_CTRL_VERSION,
		.type = msg->type,
		.length = htobe16((uint16_t)len),
		.alg = key->alg,
		.key_id = htobe32(key->id),
		.origin = msg->origin,
		.serial = htobe64(msg->serial),
		.timestamp = htobe64(msg->timestamp_ms),
	};
	memcpy(out, &hdr, sizeof(hdr));
	body_write(msg, out + AVES_CTRL_HDR_LEN);
	return (int)len;
}

unsigned int
aves_ctrl_encode_burst(struct aves_auth_ctx *auth, const struct aves_key *const *keys,
		       const struct aves_ctrl_msg *msgs, unsigned int n,
		       uint8_t (*bufs)[AVES_CTRL_MAX_LEN], int *lens)
{
	struct aves_tag_job jobs[AVES_TAG_BURST_MAX];
	unsigned int job_msg[AVES_TAG_BURST_MAX];
	bool done[AVES_TAG_BURST_MAX];
	unsigned int base, chunk, i, n_jobs, encoded = 0;

	if (auth == NULL || keys == NULL || msgs == NULL || bufs == NULL || lens == NULL)
		return 0;
	for (base = 0; base < n; base += chunk) {
		chunk = min_uint(n - base, AVES_TAG_BURST_MAX);
		n_jobs = 0;
		for (i = base; i < base + chunk; i++) {
			lens[i] = encode_untagged(keys[i], &msgs[i], bufs[i], AVES_CTRL_MAX_LEN);
			if (lens[i] < 0)
				continue;
			jobs[n_jobs] = (struct aves_tag_job){
				.data = bufs[i], .tag = bufs[i] + lens[i] - AVES_TAG_LEN,
				.key = keys[i], .len = (uint32_t)lens[i] - AVES_TAG_LEN };
			job_msg[n_jobs++] = i;
		}
		aves_tag_compute_burst(auth, jobs, n_jobs, done);
		for (i = 0; i < n_jobs; i++) {
			if (done[i])
				encoded++;
			else
				lens[job_msg[i]] = -EINVAL; /* a key aves_tag_compute() cannot use */
		}
	}
	return encoded;
}

int
aves_ctrl_encode(struct aves_auth_ctx *auth, const struct aves_key *key,
		 const struct aves_ctrl_msg *msg, void *buf, size_t size)
{
	uint8_t out[1][AVES_CTRL_MAX_LEN];
	int len;

	if (auth == NULL || key == NULL || msg == NULL || buf == NULL)
		return -EINVAL;
	aves_ctrl_encode_burst(auth, &key, msg, 1, out, &len);
	if (len < 0)
		return len;
	if (size < (size_t)len)
		return -ENOSPC;
	memcpy(buf, out[0], (size_t)len);
	return len;
}

/*
 * Steps 1 and 2 of §4.6: lengths, version, type; the keyset for the type; alg and key.
 * On AVES_CTRL_RX_OK *keyset and *key are set and the datagram is exactly one message.
 */
static enum aves_ctrl_verdict
check_before_tag(const struct aves_ctrl_rx *rx, const uint8_t *in, size_t len,
		 const struct aves_ctrl_keyset **keyset, const struct aves_key **key)
{
	struct aves_ctrl_wire_hdr hdr;
	size_t expected;

	/* Nothing is read beyond what the length allows. */
	if (len < AVES_CTRL_MIN_LEN)
		return AVES_CTRL_RX_TOO_SHORT;
	memcpy(&hdr, in, sizeof(hdr));
	if (hdr.version != AVES_CTRL_VERSION)
		return AVES_CTRL_RX_BAD_VERSION;
	expected = message_length(hdr.type);
	if (expected == 0)
		return AVES_CTRL_RX_BAD_TYPE;
	if (be16toh(hdr.length) != expected)
		return AVES_CTRL_RX_BAD_LENGTH;
	if (len != expected)
		return AVES_CTRL_RX_BAD_DGRAM_LEN;

	/* The receiver's policy names the keyring for this type; then alg and key. */
	*keyset = keyset_for_type(rx, hdr.type);
	if (*keyset == NULL)
		return AVES_CTRL_RX_TYPE_NOT_ALLOWED;
	if (!alg_registered(hdr.alg))
		return AVES_CTRL_RX_BAD_ALG;
	*key = aves_keyring_find((*keyset)->keyring, be32toh(hdr.key_id));
	if (*key == NULL)
		return AVES_CTRL_RX_UNKNOWN_KEY;
	if ((*key)->alg != hdr.alg)
		return AVES_CTRL_RX_KEY_ALG_MISMATCH;
	return AVES_CTRL_RX_OK;
}

/* Steps 4-7 of §4.6, for a message whose tag verified under @p key. */
static enum aves_ctrl_verdict
check_after_tag(const struct aves_ctrl_rx *rx, const struct aves_ctrl_keyset *keyset,
		const struct aves_key *key, const uint8_t *in, uint64_t now_ms,
		struct aves_ctrl_msg *msg)
{
	struct aves_ctrl_wire_hdr hdr;
	struct aves_ctrl_msg decoded;
	enum aves_ctrl_verdict verdict;

	/* 4. Authenticated from here on. MBZ fields. */
	memcpy(&hdr, in, sizeof(hdr));
	memset(&decoded, 0, sizeof(decoded));
	decoded.type = hdr.type;
	decoded.key_id = key->id;
	decoded.origin = hdr.origin;
	decoded.serial = be64toh(hdr.serial);
	decoded.timestamp_ms = be64toh(hdr.timestamp);
	if (hdr.flags != 0 || hdr.reserved != 0 || !body_read(in + AVES_CTRL_HDR_LEN, &decoded))
		return AVES_CTRL_RX_BAD_MBZ;

	/* 5. Freshness; written so that no sum can overflow. */
	if (decoded.timestamp_ms < now_ms && now_ms - decoded.timestamp_ms > rx->max_skew_ms)
		return AVES_CTRL_RX_STALE;
	if (decoded.timestamp_ms > now_ms && decoded.timestamp_ms - now_ms > rx->max_skew_ms)
		return AVES_CTRL_RX_FUTURE;
	if (decoded.timestamp_ms < rx->start_ms)
		return AVES_CTRL_RX_BEFORE_START;

	/* 6. Replay: checked now, committed only after the body passed. */
	switch (aves_replay_check(keyset->replay, decoded.key_id, decoded.origin, decoded.serial)) {
	case AVES_REPLAY_FRESH:
		break;
	case AVES_REPLAY_SEEN:
		return AVES_CTRL_RX_REPLAY;
	case AVES_REPLAY_TOO_OLD:
		return AVES_CTRL_RX_TOO_OLD;
	}

	/* 7. Body. */
	verdict = body_check(&decoded);
	if (verdict != AVES_CTRL_RX_OK)
		return verdict;

	aves_replay_commit(keyset->replay, decoded.key_id, decoded.origin, decoded.serial);
	*msg = decoded;
	return AVES_CTRL_RX_OK;
}

unsigned int
aves_ctrl_decode_burst(const struct aves_ctrl_rx *rx, const struct aves_ctrl_dgram *in,
		       unsigned int n, uint64_t now_ms, struct aves_ctrl_msg *msgs,
		       enum aves_ctrl_verdict *verdicts)
{
	const struct aves_ctrl_keyset *keysets[AVES_TAG_BURST_MAX];
	alignas(16) uint8_t computed[AVES_TAG_BURST_MAX][AVES_TAG_LEN];
	struct aves_tag_job jobs[AVES_TAG_BURST_MAX];
	unsigned int job_msg[AVES_TAG_BURST_MAX];
	bool done[AVES_TAG_BURST_MAX];
	unsigned int base, chunk, i, n_jobs, accepted = 0;

	for (base = 0; base < n; base += chunk) {
		chunk = min_uint(n - base, AVES_TAG_BURST_MAX);
		n_jobs = 0;
		for (i = base; i < base + chunk; i++) {
			const struct aves_key *key = NULL;

			verdicts[i] = check_before_tag(rx, in[i].buf, in[i].len,
						       &keysets[n_jobs], &key);
			if (verdicts[i] != AVES_CTRL_RX_OK)
				continue;
			jobs[n_jobs] = (struct aves_tag_job){
				.data = in[i].buf, .tag = computed[n_jobs], .key = key,
				.len = (uint32_t)in[i].len - AVES_TAG_LEN };
			job_msg[n_jobs++] = i;
		}
		/* 3. Tags, all at once. A key whose tag cannot be computed authenticates nothing. */
		aves_tag_compute_burst(rx->auth, jobs, n_jobs, done);
		/* In arrival order, so a message replayed within the burst is refused. */
		for (i = 0; i < n_jobs; i++) {
			unsigned int k = job_msg[i];
			const uint8_t *buf = in[k].buf;

			if (!done[i] || !aves_tag_equal(computed[i], buf + in[k].len - AVES_TAG_LEN))
				verdicts[k] = AVES_CTRL_RX_BAD_TAG;
			else
				verdicts[k] = check_after_tag(rx, keysets[i], jobs[i].key, buf, now_ms,
							      &msgs[k]);
			accepted += verdicts[k] == AVES_CTRL_RX_OK;
		}
	}
	return accepted;
}

enum aves_ctrl_verdict
aves_ctrl_decode(const struct aves_ctrl_rx *rx, const void *buf, size_t len, uint64_t now_ms,
		 struct aves_ctrl_msg *msg)
{
	const struct aves_ctrl_dgram in = { .buf = buf, .len = len };
	enum aves_ctrl_verdict verdict;

	aves_ctrl_decode_burst(rx, &in, 1, now_ms, msg, &verdict);
	return verdict;
}

const char *
aves_ctrl_verdict_name(enum aves_ctrl_verdict verdict)
{
	static const char *const names[] = {
#define AVES_CTRL_VERDICT_NAME(name, str) [AVES_CTRL_RX_##name] = str,
		AVES_CTRL_VERDICTS(AVES_CTRL_VERDICT_NAME)
#undef AVES_CTRL_VERDICT_NAME
	};

	if ((unsigned int)verdict >= AVES_CTRL_RX_VERDICT_COUNT)
		return "unknown";
	return names[verdict];
}

const char *
aves_ctrl_type_name(unsigned int type)
{
	static const char *const names[AVES_CTRL_TYPE_MAX + 1] = {
		[AVES_CTRL_SETUP] = "setup",
		[AVES_CTRL_ACCEPT] = "accept",
		[AVES_CTRL_REJECT] = "reject",
		[AVES_CTRL_REGISTER] = "register",
	};

	if (type == 0 || type > AVES_CTRL_TYPE_MAX)
		return "unknown";
	return names[type];
}

const char *
aves_ctrl_reason_name(unsigned int reason)
{
	static const char *const names[AVES_CTRL_REASON_MAX + 1] = {
#define AVES_CTRL_REASON_NAME(name, value, str) [value] = str,
		AVES_CTRL_REASONS(AVES_CTRL_REASON_NAME)
#undef AVES_CTRL_REASON_NAME
	};

	if (reason == 0 || reason > AVES_CTRL_REASON_MAX)
		return "unknown";
	return names[reason];
}
