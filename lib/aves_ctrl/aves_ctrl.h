/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_ctrl.h
 * Control messages SETUP, ACCEPT, REJECT and REGISTER (docs/PROTOCOL.md §4): wire layouts,
 * encoding with a tag, and decoding in the exact order of §4.6 with one verdict per failure.
 * No DPDK dependency: aves-dns links this. Never logs; every outcome is a return value.
 *
 * Byte order of the decoded structures: IPv4 addresses (origin, waypoint, initiator, gateway,
 * responder, public address) stay in network byte order, as in struct in_addr and
 * rte_ipv4_hdr, so they go into sockets and packets unchanged; every other integer (ports,
 * serials, timestamps, key ids, wait, reason) is in host byte order.
 *
 * Threads: the codec keeps no state of its own. A call uses the caller's aves_auth_ctx and
 * aves_replay table, which belong to one thread each (aves_auth.h, aves_replay.h), so encode
 * and decode run on the thread that owns those; keyrings are only read.
 */
#ifndef AVES_CTRL_H
#define AVES_CTRL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "aves_auth.h"
#include "aves_replay.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default ports, AVES_CTRL_PORT and AVES_TUNNEL_PORT, are in aves_auth.h. */
/** The one protocol version implemented. */
#define AVES_CTRL_VERSION 1
/** Default allowed clock difference between sender and receiver, milliseconds. */
#define AVES_CTRL_MAX_SKEW_MS 30000

/** Lengths in bytes: header, shortest datagram worth looking at, and each type's total. */
#define AVES_CTRL_HDR_LEN 32
#define AVES_CTRL_MIN_LEN (AVES_CTRL_HDR_LEN + AVES_TAG_LEN)
#define AVES_CTRL_SETUP_LEN 72
#define AVES_CTRL_ACCEPT_LEN 64
#define AVES_CTRL_REJECT_LEN 64
#define AVES_CTRL_REGISTER_LEN 56
/** Buffer size that holds any control message. */
#define AVES_CTRL_MAX_LEN AVES_CTRL_SETUP_LEN

/** Message types (wire values). */
enum aves_ctrl_type {
	AVES_CTRL_SETUP = 1,    /**< DNS front end -> waypoint */
	AVES_CTRL_ACCEPT = 2,   /**< waypoint -> DNS front end */
	AVES_CTRL_REJECT = 3,   /**< waypoint -> DNS front end */
	AVES_CTRL_REGISTER = 4, /**< NAT gateway -> DNS front ends */
};
/** Highest type value defined in version 1. */
#define AVES_CTRL_TYPE_MAX AVES_CTRL_REGISTER

/** Bit of @p type in an allowed-type mask (struct aves_ctrl_keyset). */
#define AVES_CTRL_TYPE_BIT(type) (UINT32_C(1) << (type))

/** SETUP modes (wire values). */
enum aves_ctrl_mode {
	AVES_CTRL_MODE_INTRANET = 1, /**< SETUP names the initiator A */
	AVES_CTRL_MODE_DELAYED = 2,  /**< SETUP names A's recursive resolver: delayed binding */
};

/** REJECT reasons: X(name, wire value, string). */
#define AVES_CTRL_REASONS(X) \
	X(ADMISSION, 1, "admission") \
	X(UNKNOWN_WAYPOINT, 2, "unknown_waypoint") \
	X(UNKNOWN_KEY, 3, "unknown_key") \
	X(TABLE_FULL, 4, "table_full") \
	X(BAD_REQUEST, 5, "bad_request") \
	X(INITIATOR_BLOCKED, 6, "initiator_blocked") \
	X(OVERLOAD, 7, "overload")

enum aves_ctrl_reason {
#define AVES_CTRL_REASON_ENUM(name, value, str) AVES_CTRL_REASON_##name = value,
	AVES_CTRL_REASONS(AVES_CTRL_REASON_ENUM)
#undef AVES_CTRL_REASON_ENUM
};
/** Highest reason value defined in version 1. */
#define AVES_CTRL_REASON_MAX AVES_CTRL_REASON_OVERLOAD

/**
 * Outcome of decoding one received datagram: X(name, string). Listed in the order the checks
 * run (docs/PROTOCOL.md §4.6), so the first failing check names the drop. The strings are
 * counter names for telemetry.
 */
#define AVES_CTRL_VERDICTS(X) \
	X(OK, "ok")                             /* accepted; the replay window was updated */ \
	X(TOO_SHORT, "too_short")               /* datagram shorter than header + tag */ \
	X(BAD_VERSION, "bad_version")           /* version is not 1 */ \
	X(BAD_TYPE, "bad_type")                 /* type is not one of the four */ \
	X(BAD_LENGTH, "bad_length")             /* length field is not the type's length */ \
	X(BAD_DGRAM_LEN, "bad_dgram_len")       /* datagram length differs from the length field */ \
	X(TYPE_NOT_ALLOWED, "type_not_allowed") /* no keyset accepts this type here */ \
	X(BAD_ALG, "bad_alg")                   /* alg is not a registered algorithm */ \
	X(UNKNOWN_KEY, "unknown_key")           /* key id not in the type's keyring */ \
	X(KEY_ALG_MISMATCH, "key_alg_mismatch") /* the key has another algorithm */ \
	X(BAD_TAG, "bad_tag")                   /* tag does not verify */ \
	X(BAD_MBZ, "bad_mbz")                   /* a flags or reserved field is not zero */ \
	X(STALE, "stale")                       /* timestamp older than now - skew */ \
	X(FUTURE, "future")                     /* timestamp newer than now + skew */ \
	X(BEFORE_START, "before_start")         /* timestamp before the receiver started */ \
	X(REPLAY, "replay")                     /* serial already seen in the window */ \
	X(TOO_OLD, "too_old")                   /* serial below the replay window */ \
	X(BAD_MODE, "bad_mode")                 /* SETUP mode neither 1 nor 2 */ \
	X(BAD_ADDRESS, "bad_address")           /* a required address is 0.0.0.0 */ \
	X(BAD_PORT, "bad_port")                 /* a port is 0 */ \
	X(BAD_KEY_ID, "bad_key_id")             /* SETUP gateway key id is 0 */ \
	X(BAD_REASON, "bad_reason")             /* REJECT reason outside 1..7 */

enum aves_ctrl_verdict {
#define AVES_CTRL_VERDICT_ENUM(name, str) AVES_CTRL_RX_##name,
	AVES_CTRL_VERDICTS(AVES_CTRL_VERDICT_ENUM)
#undef AVES_CTRL_VERDICT_ENUM
	AVES_CTRL_RX_VERDICT_COUNT /**< number of verdicts, for counter arrays */
};

/*
 * Wire layouts. Every multi-byte field is big-endian. The structures are naturally aligned
 * with no padding (asserted below), so they can be memcpy'd to and from a datagram.
 */

/** Common header, offsets 0..31. */
struct aves_ctrl_wire_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t length;   /**< header + body + tag */
	uint8_t alg;       /**< enum aves_alg */
	uint8_t flags;     /**< MBZ */
	uint16_t reserved; /**< MBZ */
	uint32_t key_id;
	uint32_t origin;    /**< sender's IPv4 address: names its replay window */
	uint64_t serial;    /**< per-origin, strictly increasing */
	uint64_t timestamp; /**< sender's wall clock, ms since the Unix epoch */
};

/** SETUP body, offsets 32..55. */
struct aves_ctrl_wire_setup {
	uint8_t mode;      /**< enum aves_ctrl_mode */
	uint8_t reserved;  /**< MBZ */
	uint16_t gw_port;  /**< tunnel port of the gateway R */
	uint32_t waypoint; /**< W */
	uint32_t initiator; /**< A (intranet) or A's resolver (delayed binding) */
	uint32_t gateway;   /**< R */
	uint32_t responder; /**< B */
	uint32_t gw_key_id; /**< key for tunnel packets to R */
};

/** ACCEPT body, offsets 32..47. */
struct aves_ctrl_wire_accept {
	uint64_t request_serial; /**< serial of the SETUP accepted */
	uint32_t waypoint;
	uint32_t wait_ms; /**< Twait in delayed-binding mode, 0 in intranet mode */
};

/** REJECT body, offsets 32..47. */
struct aves_ctrl_wire_reject {
	uint64_t request_serial; /**< serial of the SETUP rejected */
	uint32_t waypoint;
	uint16_t reason;   /**< enum aves_ctrl_reason */
	uint16_t reserved; /**< MBZ */
};

/** REGISTER body, offsets 32..39. */
struct aves_ctrl_wire_register {
	uint32_t public_addr; /**< R */
	uint16_t tunnel_port;
	uint16_t reserved; /**< MBZ */
};

static_assert(sizeof(struct aves_ctrl_wire_hdr) == AVES_CTRL_HDR_LEN, "control header layout");
static_assert(offsetof(struct aves_ctrl_wire_hdr, key_id) == 8, "key id at offset 8");
static_assert(offsetof(struct aves_ctrl_wire_hdr, serial) == 16, "serial at offset 16");
static_assert(offsetof(struct aves_ctrl_wire_hdr, timestamp) == 24, "timestamp at offset 24");
static_assert(sizeof(struct aves_ctrl_wire_setup) ==
	      AVES_CTRL_SETUP_LEN - AVES_CTRL_HDR_LEN - AVES_TAG_LEN, "SETUP body layout");
static_assert(offsetof(struct aves_ctrl_wire_setup, gw_key_id) == 52 - AVES_CTRL_HDR_LEN,
	      "SETUP gateway key id at offset 52");
static_assert(sizeof(struct aves_ctrl_wire_accept) ==
	      AVES_CTRL_ACCEPT_LEN - AVES_CTRL_HDR_LEN - AVES_TAG_LEN, "ACCEPT body layout");
static_assert(sizeof(struct aves_ctrl_wire_reject) ==
	      AVES_CTRL_REJECT_LEN - AVES_CTRL_HDR_LEN - AVES_TAG_LEN, "REJECT body layout");
static_assert(offsetof(struct aves_ctrl_wire_reject, reason) == 44 - AVES_CTRL_HDR_LEN,
	      "REJECT reason at offset 44");
static_assert(sizeof(struct aves_ctrl_wire_register) ==
	      AVES_CTRL_REGISTER_LEN - AVES_CTRL_HDR_LEN - AVES_TAG_LEN, "REGISTER body layout");

/*
 * Decoded messages (byte order: see the file comment).
 */

/** SETUP: relay for (initiator or resolver) at W toward B behind R. */
struct aves_ctrl_setup {
	uint8_t mode;       /**< enum aves_ctrl_mode */
	uint16_t gw_port;   /**< non-zero */
	uint32_t waypoint;  /**< non-zero, network order */
	uint32_t initiator; /**< non-zero, network order */
	uint32_t gateway;   /**< non-zero, network order */
	uint32_t responder; /**< non-zero, network order */
	uint32_t gw_key_id; /**< non-zero */
};

/** ACCEPT of the SETUP with serial request_serial. */
struct aves_ctrl_accept {
	uint64_t request_serial;
	uint32_t waypoint; /**< non-zero, network order */
	uint32_t wait_ms;
};

/** REJECT of the SETUP with serial request_serial. */
struct aves_ctrl_reject {
	uint64_t request_serial;
	uint32_t waypoint; /**< non-zero, network order */
	uint16_t reason;   /**< enum aves_ctrl_reason */
};

/** REGISTER of a gateway's current public address. */
struct aves_ctrl_register {
	uint32_t public_addr; /**< non-zero, network order */
	uint16_t tunnel_port; /**< non-zero */
};

/** One control message, as encoded from or decoded into. */
struct aves_ctrl_msg {
	uint8_t type;          /**< enum aves_ctrl_type: selects the member of body */
	uint32_t key_id;       /**< decode: the key that verified the tag; encode: ignored */
	uint32_t origin;       /**< network order */
	uint64_t serial;
	uint64_t timestamp_ms;
	union {
		struct aves_ctrl_setup setup;
		struct aves_ctrl_accept accept;
		struct aves_ctrl_reject reject;
		struct aves_ctrl_register reg;
	} body;
};

/**
 * Keys allowed to sign some message types, and the replay windows of their senders.
 * The allowed types are the receiver's policy: a waypoint accepts SETUP only under the
 * service keyring; a DNS front end accepts ACCEPT and REJECT under the service keyring and
 * REGISTER under the gateways' keyring. A message is checked against the first keyset whose
 * types include its type. Keysets may share a replay table; separate tables keep one role's
 * senders from evicting another role's windows.
 */
struct aves_ctrl_keyset {
	const struct aves_keyring *keyring;
	uint32_t types;                /**< OR of AVES_CTRL_TYPE_BIT() */
	struct aves_replay *replay;    /**< windows per (key id, origin) */
};

/** What a receiver checks against, fixed for its lifetime (or until a reload swaps it). */
struct aves_ctrl_rx {
	struct aves_auth_ctx *auth;             /**< the receiving thread's MAC context */
	const struct aves_ctrl_keyset *keysets; /**< array of n_keysets */
	unsigned int n_keysets;
	uint64_t start_ms;    /**< receiver's start time: older messages are refused */
	uint64_t max_skew_ms; /**< allowed |timestamp - now|, e.g. AVES_CTRL_MAX_SKEW_MS */
};

/**
 * A sender's serial counter (docs/PROTOCOL.md §4.1). Started from the wall clock in
 * microseconds so a restarted sender continues above every serial it sent before, as long
 * as it sent less than one message per microsecond on average. Owned by the sending thread.
 */
struct aves_ctrl_serial {
	uint64_t next;
};

/**
 * Start a serial counter.
 * @param counter       counter to initialise
 * @param wall_clock_us the sender's wall clock, microseconds since the Unix epoch
 * Thread: the sender.
 */
void aves_ctrl_serial_init(struct aves_ctrl_serial *counter, uint64_t wall_clock_us);

/**
 * Take the next serial: strictly greater than every serial taken before from this counter.
 * @param counter  counter started with aves_ctrl_serial_init()
 * @param serial   output
 * @return 0, or -EOVERFLOW when the counter is exhausted (serial left unchanged).
 * Thread: the sender.
 */
int aves_ctrl_serial_next(struct aves_ctrl_serial *counter, uint64_t *serial);

/**
 * Encode a message and its tag into @p buf.
 * Version, length, alg and key id come from the protocol and @p key; the rest from @p msg.
 * The body is validated as a receiver would (mode, non-zero addresses, ports and key id,
 * reason in range), so nothing a peer would drop is sent.
 * @param auth  the calling thread's MAC context
 * @param key   key to tag with (its id and alg go into the header)
 * @param msg   message; key_id is ignored
 * @param buf   output
 * @param size  bytes available at @p buf
 * @return the message length, or -EINVAL (NULL argument, unknown type, invalid body, key
 *         id 0, key algorithm not supported by aves_tag_compute()), -ENOSPC (@p size
 *         smaller than the message). On error @p buf may have been partly written.
 * Thread: the owner of @p auth. No allocation.
 */
int aves_ctrl_encode(struct aves_auth_ctx *auth, const struct aves_key *key,
		     const struct aves_ctrl_msg *msg, void *buf, size_t size);

/**
 * Decode and verify one received datagram, in the order of docs/PROTOCOL.md §4.6:
 * lengths, version, type; the type allowed by a keyset; alg and key; tag (constant time);
 * MBZ fields; freshness; replay window; body. Nothing but the length, version, type, alg and
 * key id is interpreted before the tag verifies.
 * Only a message that passes every check is committed to its replay window, and only then
 * is @p msg written; on any other verdict neither changes.
 * @param rx    receiver parameters; must be valid (not checked on this per-message path)
 * @param buf   the datagram's payload
 * @param len   the datagram's payload length
 * @param now_ms receiver's wall clock, ms since the Unix epoch
 * @param msg   output, written only when the verdict is AVES_CTRL_RX_OK
 * @return a verdict; AVES_CTRL_RX_OK when accepted.
 * Thread: the owner of rx->auth and of every replay table in rx->keysets. No allocation.
 */
enum aves_ctrl_verdict aves_ctrl_decode(const struct aves_ctrl_rx *rx, const void *buf,
					size_t len, uint64_t now_ms, struct aves_ctrl_msg *msg);

/**
 * Encode @p n messages at once: as aves_ctrl_encode() each, with every tag computed in one
 * aves_tag_compute_burst() per AVES_TAG_BURST_MAX messages (a fraction of the cost of one
 * tag at a time).
 * @param auth  the calling thread's MAC context
 * @param keys  keys[i] tags message i
 * @param msgs  @p n messages
 * @param n     any number
 * @param bufs  bufs[i] receives message i
 * @param lens  out: lens[i] is message i's length, or -EINVAL as aves_ctrl_encode()
 * @return the number of messages encoded (0 when a pointer argument is NULL).
 * Thread: the owner of @p auth. No allocation.
 */
unsigned int aves_ctrl_encode_burst(struct aves_auth_ctx *auth, const struct aves_key *const *keys,
				    const struct aves_ctrl_msg *msgs, unsigned int n,
				    uint8_t (*bufs)[AVES_CTRL_MAX_LEN], int *lens);

/** One received datagram's payload, for aves_ctrl_decode_burst(). */
struct aves_ctrl_dgram {
	const void *buf;
	size_t len;
};

/**
 * Decode and verify @p n datagrams at once: the verdict of each is what aves_ctrl_decode()
 * would give for the datagrams one after another in array order (a serial repeated within
 * the burst is a replay), but the tags are verified in one aves_tag_compute_burst() per
 * AVES_TAG_BURST_MAX datagrams.
 * @param rx        receiver parameters; must be valid (not checked on this path)
 * @param in        @p n datagrams
 * @param n         any number
 * @param now_ms    receiver's wall clock, ms since the Unix epoch
 * @param msgs      out: msgs[i] is written only when verdicts[i] is AVES_CTRL_RX_OK
 * @param verdicts  out: one per datagram
 * @return the number of datagrams accepted.
 * Thread: the owner of rx->auth and of every replay table in rx->keysets. No allocation.
 */
unsigned int aves_ctrl_decode_burst(const struct aves_ctrl_rx *rx, const struct aves_ctrl_dgram *in,
				    unsigned int n, uint64_t now_ms, struct aves_ctrl_msg *msgs,
				    enum aves_ctrl_verdict *verdicts);

/** Counter name of a verdict ("bad_tag"); "unknown" outside the enum. Any thread. */
const char *aves_ctrl_verdict_name(enum aves_ctrl_verdict verdict);

/** Name of a message type ("setup"); "unknown" for other values. Any thread. */
const char *aves_ctrl_type_name(unsigned int type);

/** Name of a REJECT reason ("admission"); "unknown" for other values. Any thread. */
const char *aves_ctrl_reason_name(unsigned int reason);

#ifdef __cplusplus
}
#endif

#endif /* AVES_CTRL_H */
