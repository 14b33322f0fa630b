/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_icmp.h
 * ICMP messages the appliances originate: errors about a packet they cannot deliver
 * (host unreachable for rejected initiators, fragmentation needed for path MTU discovery,
 * time exceeded) and replies to echo requests sent to their own addresses.
 * Plain byte buffers, no EAL, no allocation, no logging.
 *
 * Threads: pure functions of their arguments; any thread may call them. Rate limiting of
 * errors (RFC 1812 §4.3.2.8) is the caller's, which knows the clock.
 */
#ifndef AVES_ICMP_H
#define AVES_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aves_flow.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest ICMP error datagram, IP header included (RFC 1812 §4.3.2.3). */
#define AVES_ICMP_ERROR_MAX_LEN 576
/** IPv4 header (20, no options) + ICMP header (8) of every error built here. */
#define AVES_ICMP_ERROR_HDR_LEN 28
/** TTL of the messages built here. */
#define AVES_ICMP_TTL 64
/** IPv4 TOS of errors: precedence 6, Internetwork Control (RFC 1812 §4.3.2.5). */
#define AVES_ICMP_ERROR_TOS 0xc0

/** ICMP types that are error messages (RFC 792, RFC 1812): 3, 4, 5, 11, 12. */
static inline bool
aves_icmp_is_error(uint8_t type)
{
	return type < 32 && ((UINT32_C(1) << type) &
		((1u << 3) | (1u << 4) | (1u << 5) | (1u << 11) | (1u << 12)));
}

/**
 * ICMP types that are queries or their replies, carrying an identifier at offset 4: echo (0, 8),
 * timestamp (13, 14), information (15, 16), address mask (17, 18).
 */
static inline bool
aves_icmp_is_query(uint8_t type)
{
	return type < 32 && ((UINT32_C(1) << type) & ((1u << 0) | (1u << 8) | (0x3fu << 13)));
}

/**
 * Why aves_icmp_error_build() will not answer, one counter each. X(enum suffix, name).
 */
#define AVES_ICMP_REFUSALS(X) \
	X(BAD_ARG,         "bad_arg")         /* NULL buffer, type/code not sent, MTU < 68 */ \
	X(ORIG_MALFORMED,  "orig_malformed")  /* original not a readable IPv4 header */ \
	X(ORIG_LATER_FRAG, "orig_later_frag") /* original is a non-first fragment */ \
	X(ORIG_ICMP_ERROR, "orig_icmp_error") /* original is itself an ICMP error */ \
	X(ORIG_SRC,        "orig_src")        /* original's source is not one host */ \
	X(ORIG_DST,        "orig_dst")        /* original was sent to multicast or broadcast */ \
	X(NO_ROOM,         "no_room")         /* output buffer too small */

/** Reasons for refusing, returned negated by aves_icmp_error_build(). */
enum aves_icmp_refusal {
	AVES_ICMP_REFUSE_NONE = 0,
#define AVES_ICMP_REFUSE_ENUM_(name, str) AVES_ICMP_REFUSE_##name,
	AVES_ICMP_REFUSALS(AVES_ICMP_REFUSE_ENUM_)
#undef AVES_ICMP_REFUSE_ENUM_
	AVES_ICMP_REFUSE_MAX /**< one past the last reason: size of a counter array */
};

/**
 * Build an ICMP error about packet @p orig, from @p src_be to orig's source: IPv4 header
 * (no options, TOS AVES_ICMP_ERROR_TOS, DF clear, TTL AVES_ICMP_TTL), ICMP header, then orig's
 * IP header and as much of its datagram as keeps the whole reply within
 * AVES_ICMP_ERROR_MAX_LEN bytes; both checksums set.
 *
 * Not answered (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7): an ICMP error; a non-first fragment;
 * a source that does not name one host (0/8, 127/8, 224/4 multicast, 240/4 including
 * 255.255.255.255); a destination that is multicast (224/4) or the limited broadcast. The
 * caller must itself refuse packets that arrived as link-layer broadcasts or were sent to a
 * directed broadcast of a local subnet, which only it knows.
 *
 * @param out           where the reply is written; must not overlap @p orig
 * @param cap           bytes available at @p out (AVES_ICMP_ERROR_MAX_LEN always suffices)
 * @param orig          the offending packet, from its IPv4 header; bytes past its total
 *                      length are ignored, and a datagram cut short by @p orig_len is quoted
 *                      as far as it goes
 * @param orig_len      bytes readable at @p orig
 * @param src_be        source address of the reply (network order)
 * @param type          3 (destination unreachable, codes 0-15) or 11 (time exceeded, 0-1)
 * @param code          the code
 * @param next_hop_mtu  for type 3 code 4 (fragmentation needed, RFC 1191): the MTU, >= 68,
 *                      host order; ignored otherwise
 * @param ip_id         IPv4 identification of the reply, host order
 * @return the reply's length (> 0), or a negated enum aves_icmp_refusal.
 */
int aves_icmp_error_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len,
			  uint32_t src_be, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
			  uint16_t ip_id);

/** Name of a refusal, for counters: "none", a name from AVES_ICMP_REFUSALS, or "unknown".
 *  Takes the reason positive or negated. */
const char *aves_icmp_refusal_name(int refusal);

/**
 * Turn a parsed echo request addressed to this appliance into its echo reply, in place:
 * addresses swapped, TTL AVES_ICMP_TTL, type 0 code 0, checksums updated incrementally.
 * Identifier, sequence number, data and IP options are kept. @p pkt is updated to match.
 *
 * @param buf  the buffer @p pkt was parsed from
 * @param pkt  its parse result
 * @return 0; -EINVAL if @p pkt is not an unfragmented ICMP echo request; -EADDRNOTAVAIL if it
 *         was sent to an address that cannot be a source (multicast, 240/4, the limited
 *         broadcast: see aves_ipv4_martian_src()). Nothing is changed on failure.
 */
int aves_icmp_echo_reply(uint8_t *buf, struct aves_pkt *pkt);

#ifdef __cplusplus
}
#endif

#endif /* AVES_ICMP_H */
