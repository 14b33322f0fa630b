/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_tunnel.h
 * The authenticated data-path tunnel (docs/PROTOCOL.md §3): encapsulation, burst tagging and
 * verification with ipsec-mb, fragmentation of the outer datagram, and reassembly guarded
 * against the weaknesses of DPDK 22.11's ip_frag (docs: shared/PLATFORM-NOTES.md).
 *
 * Packet convention: every mbuf handed to or returned by this library has its data starting at
 * an IPv4 header. The application strips the Ethernet header on RX and prepends it on TX.
 *
 * Threads: nothing here is shared between lcores. Each lcore owns its struct aves_encap_ctx,
 * its struct aves_auth_ctx (one ipsec-mb manager), its struct aves_tunnel_stats and, on the
 * receiving side, its struct aves_reasm. Keys and keyrings are read-only while packets flow
 * (aves_auth.h), so any number of lcores may use the same ones.
 *
 * Per-packet functions (aves_encap, aves_tag_burst, aves_verify_burst, aves_mtu_check,
 * aves_frag_packet, aves_reasm_packet, aves_reasm_expire) never allocate memory other than
 * mbufs from the pools the caller gives them, never log, never lock. Every packet they refuse
 * is counted under a named reason in the caller's struct aves_tunnel_stats.
 */
#ifndef AVES_TUNNEL_H
#define AVES_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "aves_auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version carried in the first byte of the AVES data header. */
#define AVES_TUNNEL_VERSION 1
/* The tunnel's default UDP port, AVES_TUNNEL_PORT, is in aves_auth.h (shared by both planes). */
/** Length of the AVES data header. */
#define AVES_TUNNEL_HDR_LEN 20
/** Outer IPv4 (no options) + UDP + AVES header: what is prepended to the inner packet. */
#define AVES_TUNNEL_PREPEND_LEN (20 + 8 + AVES_TUNNEL_HDR_LEN)
/** Bytes the tunnel adds to an inner packet: prepended headers plus the appended tag. */
#define AVES_TUNNEL_OVERHEAD (AVES_TUNNEL_PREPEND_LEN + AVES_TAG_LEN)
/** Largest inner packet that fits: the outer total length is a 16-bit field. */
#define AVES_TUNNEL_INNER_MAX (UINT16_MAX - AVES_TUNNEL_OVERHEAD)
/** UDP source ports are AVES_TUNNEL_SPORT_BASE + (flow hash mod 16384). */
#define AVES_TUNNEL_SPORT_BASE 49152
/** TTL of the outer header. */
#define AVES_TUNNEL_TTL 64
/** Packets tagged or verified per ipsec-mb pass; longer bursts are processed in chunks. */
#define AVES_TUNNEL_BURST_MAX 64
/** Smallest egress MTU aves_frag_packet accepts (RFC 791's minimum datagram). */
#define AVES_TUNNEL_MTU_MIN 68

/** AVES data header types (docs/PROTOCOL.md §3.2). */
enum aves_tunnel_type {
	AVES_TYPE_FORWARD = 1,   /**< waypoint -> gateway */
	AVES_TYPE_REVERSE = 2,   /**< gateway -> waypoint, ingress-filtering mode */
	AVES_TYPE_KEEPALIVE = 3, /**< reserved for inside-agent mode: never sent nor accepted */
};

/** AVES data header as on the wire (docs/PROTOCOL.md §3.2); all fields big-endian. */
struct aves_tunnel_hdr {
	uint8_t version;
	uint8_t type;
	uint8_t alg;
	uint8_t flags;       /**< MBZ */
	rte_be32_t key_id;
	rte_be32_t waypoint; /**< W, the address the initiator sent to */
	rte_be64_t seq;      /**< top 8 bits: sending lcore; rest: its packet counter */
} __rte_packed;

/*
 * Outcome names. Each list gives an enum (AVES_<LIST>_<NAME>), a count (..._MAX), a name
 * function for telemetry and one counter array in struct aves_tunnel_stats.
 */

/** aves_encap() results. On anything but OK the packet is untouched. */
#define AVES_ENCAP_RESULTS(_) \
	_(OK, "ok") \
	_(BAD_PARAM, "bad_param")       /* NULL/unsupported type or key in the parameters */ \
	_(BAD_INNER, "bad_inner")       /* < 20 bytes, or IPv4 total length != packet length */ \
	_(TOO_BIG, "too_big")           /* inner longer than AVES_TUNNEL_INNER_MAX */ \
	_(NOT_WRITABLE, "not_writable") /* indirect or shared mbuf: prepending would corrupt */ \
	_(NOT_LINEAR, "not_linear")     /* chained, and the first segment cannot hold it all */ \
	_(NO_HEADROOM, "no_headroom")   /* fewer than AVES_TUNNEL_PREPEND_LEN bytes before */ \
	_(NO_TAILROOM, "no_tailroom")   /* no room for the tag after the data */

/** aves_tag_burst() outcomes, counted per packet. */
#define AVES_TAG_RESULTS(_) \
	_(OK, "ok") \
	_(REFUSED, "refused")           /* not a contiguous packet from aves_encap(), or no \
					 * HMAC-MD5 key: a caller's bug, the packet is not sent */

/**
 * aves_verify_burst() verdicts, in the order the checks are made (docs/PROTOCOL.md §3.3):
 * cheapest first, the tag before anything else that is authenticated.
 */
#define AVES_RX_VERDICTS(_) \
	_(OK, "ok") \
	_(NOT_LINEAR, "not_linear")     /* chained and cannot be made contiguous in place */ \
	_(SHORT, "short")               /* shorter than IPv4+UDP, or payload < 20+20+16 */ \
	_(BAD_OUTER, "bad_outer")       /* not 0x45, bad length, fragment, not UDP, checksum */ \
	_(NOT_LOCAL, "not_local")       /* outer destination outside the receiver's prefix */ \
	_(BAD_PORT, "bad_port")         /* UDP destination port is not the tunnel port */ \
	_(BAD_UDP_LEN, "bad_udp_len")   /* UDP length != IPv4 total length - 20 */ \
	_(BAD_VERSION, "bad_version") \
	_(BAD_TYPE, "bad_type")         /* not the type this receiver accepts */ \
	_(BAD_ALG, "bad_alg")           /* algorithm not implemented */ \
	_(UNKNOWN_KEY, "unknown_key")   /* no key with that id and that algorithm */ \
	_(BAD_TAG, "bad_tag") \
	_(BAD_FLAGS, "bad_flags")       /* MBZ flags set (authenticated, checked after the tag) */ \
	_(BAD_INNER_LEN, "bad_inner_len") /* inner IPv4 total length != UDP length - 8 - 20 - 16 */

/** aves_frag_packet() outcomes. */
#define AVES_FRAG_RESULTS(_) \
	_(FITS, "fits")                 /* sent whole */ \
	_(FRAGMENTED, "fragmented")     /* split into fragments */ \
	_(DF_SET, "df_set")             /* too big with inner DF: caller sends ICMP frag-needed */ \
	_(BAD_PARAM, "bad_param")       /* MTU < AVES_TUNNEL_MTU_MIN, not from aves_encap() */ \
	_(NO_MBUF, "no_mbuf")           /* a fragment could not be allocated */ \
	_(TOO_MANY, "too_many")         /* more fragments than the caller's array holds */ \
	_(ICMP_BUILT, "icmp_built")     /* aves_icmp_frag_needed() built a reply */ \
	_(ICMP_NO_MBUF, "icmp_no_mbuf") /* ... found its pool empty */ \
	_(ICMP_REFUSED, "icmp_refused") /* ... must not answer (aves_icmp_error_build() rules) */

/** aves_reasm_packet()/aves_reasm_expire() outcomes: per fragment unless said per datagram. */
#define AVES_REASM_RESULTS(_) \
	_(REASSEMBLED, "reassembled")   /* datagram complete and contiguous (per datagram) */ \
	_(HELD, "held")                 /* fragment stored, datagram incomplete */ \
	_(BAD_FRAGMENT, "bad_fragment") /* header, checksum, length, alignment; not a fragment */ \
	_(ZERO_LENGTH, "zero_length")   /* fragment without payload */ \
	_(TOO_BIG, "too_big")           /* header + offset + length beyond 65535 */ \
	_(PROTO_MISMATCH, "proto_mismatch") /* (src, dst, id) of a pending one, other proto */ \
	_(DUPLICATE, "duplicate")       /* exact copy of a fragment already held: dropped alone */ \
	_(PER_SOURCE_LIMIT, "per_source_limit") /* source already has its maximum pending */ \
	_(TABLE_FULL, "table_full")     /* no room for a new datagram */ \
	_(OVERLAP, "overlap")           /* inconsistent fragments: datagram dropped (per dgram) */ \
	_(TOO_MANY_FRAGS, "too_many_frags") /* over ip_frag's 8: datagram dropped (per dgram) */ \
	_(TIMEOUT, "timeout")           /* incomplete when its time ran out (per datagram) */ \
	_(LINEARIZE_FAILED, "linearize_failed") /* complete, but cannot be contiguous (per dgram) */

#define AVES_TUNNEL_ENUM_ENTRY_(prefix, name, str) prefix##name,
#define AVES_ENCAP_ENUM_(name, str) AVES_TUNNEL_ENUM_ENTRY_(AVES_ENCAP_, name, str)
#define AVES_TAG_ENUM_(name, str) AVES_TUNNEL_ENUM_ENTRY_(AVES_TAG_, name, str)
#define AVES_RX_ENUM_(name, str) AVES_TUNNEL_ENUM_ENTRY_(AVES_RX_, name, str)
#define AVES_FRAG_ENUM_(name, str) AVES_TUNNEL_ENUM_ENTRY_(AVES_FRAG_, name, str)
#define AVES_REASM_ENUM_(name, str) AVES_TUNNEL_ENUM_ENTRY_(AVES_REASM_, name, str)

/** Result of aves_encap(); AVES_ENCAP_OK is 0. */
enum aves_encap_result { AVES_ENCAP_RESULTS(AVES_ENCAP_ENUM_) AVES_ENCAP_MAX };
/** Per-packet outcome of aves_tag_burst(); AVES_TAG_OK is 0. */
enum aves_tag_result { AVES_TAG_RESULTS(AVES_TAG_ENUM_) AVES_TAG_MAX };
/** Verdict of aves_verify_burst(); AVES_RX_OK is 0. */
enum aves_rx_verdict { AVES_RX_VERDICTS(AVES_RX_ENUM_) AVES_RX_MAX };
/** Outcome of aves_frag_packet(). */
enum aves_frag_result { AVES_FRAG_RESULTS(AVES_FRAG_ENUM_) AVES_FRAG_MAX };
/** Outcome of reassembly. */
enum aves_reasm_result { AVES_REASM_RESULTS(AVES_REASM_ENUM_) AVES_REASM_MAX };

/**
 * Counters, one struct per lcore, owned and zeroed by the caller; the library only adds.
 * Indexed by the enums above.
 */
struct aves_tunnel_stats {
	uint64_t encap[AVES_ENCAP_MAX];
	uint64_t tag[AVES_TAG_MAX];
	uint64_t rx[AVES_RX_MAX];
	uint64_t frag[AVES_FRAG_MAX];
	uint64_t reasm[AVES_REASM_MAX];
} __rte_cache_aligned;

/** Names for telemetry ("no_headroom", ...); "unknown" outside the enum. Any thread. */
const char *aves_encap_result_name(enum aves_encap_result r);
/** @copydoc aves_encap_result_name */
const char *aves_tag_result_name(enum aves_tag_result r);
/** @copydoc aves_encap_result_name */
const char *aves_rx_verdict_name(enum aves_rx_verdict v);
/** @copydoc aves_encap_result_name */
const char *aves_frag_result_name(enum aves_frag_result r);
/** @copydoc aves_encap_result_name */
const char *aves_reasm_result_name(enum aves_reasm_result r);

/*
 * Sending: encapsulation and tagging.
 */

/**
 * Per-lcore sender state: the outer IPv4 identification and the AVES sequence counters.
 * Plain value; initialise with aves_encap_ctx_init().
 */
struct aves_encap_ctx {
	uint64_t seq;          /**< next sequence number, top 8 bits = sender id */
	uint16_t ip_id;        /**< next outer IPv4 identification */
	uint16_t ip_id_stride; /**< number of senders: lcores never share an identification */
};

/**
 * Initialise a sender. Sender i of n uses IPv4 identifications i, i + n, i + 2n, ... so that
 * lcores sending to the same gateway do not mix their fragments.
 * @param ctx           the sender state
 * @param sender_id     this lcore's index among the senders, < sender_count; also the top
 *                      8 bits of every sequence number, which makes (key, W, seq) unique
 * @param sender_count  number of sending lcores, 1..256
 * @param seq_start     first value of the 56-bit packet counter (its top 8 bits are ignored);
 *                      a value that grows across restarts (e.g. microseconds since the epoch)
 *                      keeps sequence numbers unique after a restart
 * @return 0, or -EINVAL.
 * Thread: the lcore that will own @p ctx, at start-up.
 */
int aves_encap_ctx_init(struct aves_encap_ctx *ctx, unsigned int sender_id,
			unsigned int sender_count, uint64_t seq_start);

/** What one packet is encapsulated with. */
struct aves_encap_params {
	const struct aves_key *key; /**< the receiving gateway's key (alg HMAC-MD5) */
	rte_be32_t outer_src;       /**< W for FORWARD, R for REVERSE */
	rte_be32_t outer_dst;       /**< R for FORWARD, W for REVERSE */
	rte_be32_t waypoint;        /**< W, carried authenticated in the AVES header */
	uint32_t flow_hash;         /**< hash of the inner 5-tuple: UDP source port entropy */
	uint16_t dport;             /**< receiver's tunnel port, host byte order */
	uint8_t type;               /**< AVES_TYPE_FORWARD or AVES_TYPE_REVERSE */
};

/** aves_encap() flag: leave the outer IPv4 checksum to the NIC (sets the TX offload flags
 * and l3_len; the caller sets l2_len when it prepends Ethernet). */
#define AVES_ENCAP_F_TX_IP_CKSUM (1u << 0)

/**
 * Encapsulate one packet in place (docs/PROTOCOL.md §3.1, §3.2): prepend outer IPv4, UDP and
 * the AVES header, append AVES_TAG_LEN bytes of (zeroed) tag space. The tag itself is
 * computed afterwards, a burst at a time, by aves_tag_burst().
 * A chained mbuf is first made contiguous in its first segment (rte_pktmbuf_linearize).
 * @param ctx    the calling lcore's sender state (identification and sequence advance)
 * @param stats  the calling lcore's counters (encap[result] is incremented)
 * @param m      the inner IPv4 packet; its IPv4 total length must equal its packet length
 * @param p      parameters for this packet
 * @param flags  0 or AVES_ENCAP_F_TX_IP_CKSUM
 * @return AVES_ENCAP_OK (0), or the reason the packet was refused; then @p m is untouched
 *         and still the caller's.
 * Thread: the lcore owning @p ctx and @p stats.
 */
enum aves_encap_result aves_encap(struct aves_encap_ctx *ctx, struct aves_tunnel_stats *stats,
				  struct rte_mbuf *m, const struct aves_encap_params *p,
				  uint32_t flags);

/**
 * Compute the tags of a burst of packets encapsulated by aves_encap(), with ipsec-mb's
 * multi-buffer job API: all jobs are submitted before any is waited for, so the manager hashes
 * up to its lane count of packets at once (about 6x cheaper per packet than one at a time).
 * Each tag is written in place in the last AVES_TAG_LEN bytes of its packet.
 * @param actx   the calling lcore's MAC context
 * @param stats  counters: tag[OK] per packet tagged, other reasons per packet refused
 * @param pkts   packets; on return pkts[0..ret) are the tagged ones in their original order,
 *               and pkts[ret..n) the refused ones (in no particular order), which the caller
 *               frees
 * @param keys   keys[i] is the key pkts[i] was encapsulated with (the pointer given in
 *               aves_encap_params)
 * @param n      number of packets, any value (chunks of AVES_TUNNEL_BURST_MAX)
 * @return number of packets tagged.
 * Thread: the lcore owning @p actx and @p stats.
 */
uint16_t aves_tag_burst(struct aves_auth_ctx *actx, struct aves_tunnel_stats *stats,
			struct rte_mbuf **pkts, const struct aves_key *const *keys, uint16_t n);

/*
 * Receiving: verification and decapsulation.
 */

/** What a receiver accepts. */
struct aves_rx_filter {
	rte_be32_t dst_addr; /**< local addresses: outer destination & dst_mask == dst_addr */
	rte_be32_t dst_mask; /**< 0xffffffff for a gateway's single address R */
	uint16_t port;       /**< tunnel UDP port, host byte order */
	uint8_t type;        /**< AVES_TYPE_FORWARD at a gateway, AVES_TYPE_REVERSE at a waypoint */
};

/** The authenticated AVES header fields of an accepted packet, plus outer addressing. */
struct aves_rx_info {
	rte_be32_t outer_src; /**< who sent it (unauthenticated, but the tag checked out) */
	rte_be32_t outer_dst;
	rte_be32_t waypoint;  /**< W from the AVES header (authenticated) */
	uint32_t key_id;      /**< host byte order */
	uint64_t seq;         /**< host byte order */
	uint16_t sport;       /**< outer UDP source port, host byte order */
	uint8_t type;
	uint8_t alg;
};

/**
 * Verify and decapsulate a burst of received tunnel packets (docs/PROTOCOL.md §3.3).
 * Headers are checked in protocol order, keys looked up in @p ring, the tags of all packets
 * that got that far computed in one multi-buffer pass and compared in constant time.
 * Accepted packets are decapsulated in place: the outer headers and the tag are removed, the
 * data starts at the inner IPv4 header and is exactly its total length long, the RX checksum
 * flags and packet type (which described the outer header) are cleared. The inner packet is
 * not parsed beyond its length field: that is the caller's strict parser's job.
 * Reassembled packets must have gone through aves_reasm_packet() first (fragments are
 * refused as BAD_OUTER).
 * @param actx      the calling lcore's MAC context
 * @param ring      keys by id (read-only here)
 * @param filter    the receiver's addresses, port and accepted type
 * @param stats     counters: rx[verdict] per packet
 * @param pkts      packets, data at the outer IPv4 header; refused ones are left as they were
 *                  (except that a chained mbuf may have been made contiguous), for the
 *                  caller to free
 * @param n         number of packets, any value (chunks of AVES_TUNNEL_BURST_MAX)
 * @param verdicts  out: per packet verdict, AVES_RX_OK (0) for accepted ones
 * @param info      out: per accepted packet, its header fields (others: unspecified)
 * @return number of packets accepted.
 * Thread: the lcore owning @p actx and @p stats; any number of lcores may share @p ring.
 */
uint16_t aves_verify_burst(struct aves_auth_ctx *actx, const struct aves_keyring *ring,
			   const struct aves_rx_filter *filter, struct aves_tunnel_stats *stats,
			   struct rte_mbuf **pkts, uint16_t n, enum aves_rx_verdict *verdicts,
			   struct aves_rx_info *info);

/*
 * Path MTU and fragmentation (docs/PROTOCOL.md §3.4).
 */

/** What to do with an inner packet before encapsulating it for a given egress MTU. */
enum aves_mtu_action {
	AVES_MTU_FITS = 0,     /**< encapsulated, it fits the egress MTU */
	AVES_MTU_FRAGMENT,     /**< encapsulate; aves_frag_packet() splits the outer datagram */
	AVES_MTU_FRAG_NEEDED,  /**< inner DF set: do not encapsulate; drop and send the initiator
				*   ICMP 3/4 with next-hop MTU aves_tunnel_inner_mtu(egress_mtu) */
};

/**
 * The MTU an initiator should use through the tunnel: egress MTU - AVES_TUNNEL_OVERHEAD
 * (1436 for 1500), 0 when the egress MTU cannot carry any tunnel packet.
 */
static inline uint16_t
aves_tunnel_inner_mtu(uint16_t egress_mtu)
{
	return egress_mtu > AVES_TUNNEL_OVERHEAD ?
		(uint16_t)(egress_mtu - AVES_TUNNEL_OVERHEAD) : 0;
}

/**
 * Decide before doing any work whether an inner packet can be tunnelled over @p egress_mtu.
 * @param inner       the inner IPv4 header (already validated by the caller's parser)
 * @param egress_mtu  MTU of the interface toward the receiver (IPv4 bytes, no Ethernet)
 * @return the action; pure function of the header's total length and DF bit.
 * Thread: any.
 */
enum aves_mtu_action aves_mtu_check(const struct rte_ipv4_hdr *inner, uint16_t egress_mtu);

/** aves_frag_packet() flag: leave the fragments' IPv4 checksums to the NIC. */
#define AVES_FRAG_F_TX_IP_CKSUM AVES_ENCAP_F_TX_IP_CKSUM

/**
 * Make a tagged tunnel packet fit the egress MTU: pass it through if it fits, fragment the
 * outer datagram with rte_ipv4_fragment_packet() if it does not (the inner packet is never
 * fragmented, and the tag is computed before fragmenting). A packet whose inner header has DF
 * set is refused instead; callers should have asked aves_mtu_check() before encapsulating.
 * @param stats     counters: frag[result]
 * @param m         a packet from aves_encap() (+ aves_tag_burst())
 * @param mtu       egress MTU, >= AVES_TUNNEL_MTU_MIN
 * @param flags     0 or AVES_FRAG_F_TX_IP_CKSUM
 * @param direct    pool for the fragments' header mbufs (the caller's TX pool)
 * @param indirect  pool for the indirect mbufs that reference @p m's payload
 * @param out       out: the packets to send
 * @param out_cap   capacity of @p out
 * @return the number of packets in @p out: 1 (out[0] == m) when it fits, the fragment count
 *         when fragmented (then @p m has been released: the fragments hold its data);
 *         or a negative value, with @p m untouched and still the caller's:
 *         -EMSGSIZE (inner DF set: send ICMP frag-needed, MTU aves_tunnel_inner_mtu(mtu)),
 *         -EINVAL (bad MTU or packet), -ENOMEM (pool empty), -E2BIG (@p out too small).
 * Thread: the lcore owning @p stats.
 */
int aves_frag_packet(struct aves_tunnel_stats *stats, struct rte_mbuf *m, uint16_t mtu,
		     uint32_t flags, struct rte_mempool *direct, struct rte_mempool *indirect,
		     struct rte_mbuf **out, uint16_t out_cap);

/**
 * Build the ICMP type 3 code 4 reply (fragmentation needed, next-hop MTU
 * aves_tunnel_inner_mtu(egress_mtu)) to an inner packet that aves_mtu_check() answered
 * AVES_MTU_FRAG_NEEDED, with lib/aves_flow's aves_icmp_error_build() (which refuses to answer
 * ICMP errors, non-first fragments, martian sources, multicast destinations).
 * @param stats       counters: frag[ICMP_BUILT / ICMP_NO_MBUF / ICMP_REFUSED]
 * @param pool        pool to allocate the reply from (data room >= AVES_ICMP_ERROR_MAX_LEN)
 * @param orig        the offending inner packet, data at its IPv4 header (not consumed; the
 *                    caller drops it); the quote comes from its first segment
 * @param src         the reply's source, W (the address the initiator sent to), network order
 * @param egress_mtu  the egress MTU that was too small
 * @param ip_id       IPv4 identification of the reply
 * @return the reply, data at its IPv4 header, both checksums set; or NULL.
 * Thread: the lcore owning @p stats.
 */
struct rte_mbuf *aves_icmp_frag_needed(struct aves_tunnel_stats *stats, struct rte_mempool *pool,
				       const struct rte_mbuf *orig, rte_be32_t src,
				       uint16_t egress_mtu, uint16_t ip_id);

/*
 * Reassembly (the gateway; docs/PROTOCOL.md §3.4).
 *
 * DPDK 22.11's rte_ip_frag does the reassembly; this wrapper adds what it lacks
 * (PLATFORM-NOTES.md): an exact duplicate fragment is dropped before the library sees it
 * (the library would destroy the datagram); datagrams from sources the caller trusts (known
 * waypoints) go to a table of their own, so stray fragments filling the general table cannot
 * stop tunnel reassembly; a per-source cap on pending datagrams in each table; zero-length
 * and beyond-65535 fragments dropped. The library's own behaviour is kept for overlapping
 * fragments (datagram discarded) and its 8-fragment limit; both are counted.
 *
 * Ownership: one lcore owns a struct aves_reasm, creates it, feeds it and frees it. Workers
 * that receive fragments each own one (fragments of one datagram must reach the same worker:
 * RSS on the IPv4 addresses only, or steer fragments to one lcore).
 */
struct aves_reasm;

/** Limits of one reassembly table. */
struct aves_reasm_table_params {
	uint32_t max_datagrams;  /**< pending datagrams held at most, 1..65536 */
	uint32_t max_per_source; /**< pending datagrams per source address, 1..max_datagrams */
};

/** Reassembly context parameters. */
struct aves_reasm_params {
	struct aves_reasm_table_params general; /**< everyone else */
	struct aves_reasm_table_params trusted; /**< sources the caller vouches for */
	uint64_t timeout_cycles;  /**< a datagram incomplete this long (in the unit of `now`,
				   *   normally TSC cycles) after its first fragment is dropped */
	struct rte_mempool *linear_pool; /**< mbufs with a data room for the largest datagram
					  *   expected (reassembled chains too long for their
					  *   first segment are copied into one) */
	int socket_id;            /**< NUMA socket for the tables, or SOCKET_ID_ANY */
};

/**
 * Create a reassembly context: two rte_ip_frag tables and their bookkeeping.
 * @return the context, or NULL with rte_errno set (EINVAL: a parameter out of range, logged;
 *         ENOMEM).
 * Thread: any, normally the owning lcore's start-up; EAL must be initialised.
 */
struct aves_reasm *aves_reasm_create(const struct aves_reasm_params *params);

/** Free a context and every fragment it still holds; NULL is a no-op. Thread: the owner. */
void aves_reasm_free(struct aves_reasm *r);

/**
 * Hand one received IPv4 fragment to reassembly.
 * @param r        the context
 * @param stats    counters: reasm[result]
 * @param m        an IPv4 fragment (MF set or offset non-zero), data at its IPv4 header;
 *                 owned by the context from now on, whatever the result
 * @param trusted  the source is a known waypoint (the caller's decision, e.g. a verified
 *                 tunnel packet came from it recently, or a configured prefix): a new
 *                 datagram goes to the trusted table. A datagram stays in the table its first
 *                 fragment chose.
 * @param now      current time in the unit of timeout_cycles (rte_rdtsc()); must not go
 *                 backwards
 * @return the reassembled datagram as one contiguous mbuf (data at its IPv4 header, checksum
 *         recomputed), or NULL when the fragment was held or dropped (see stats).
 * Thread: the owner.
 */
struct rte_mbuf *aves_reasm_packet(struct aves_reasm *r, struct aves_tunnel_stats *stats,
				   struct rte_mbuf *m, bool trusted, uint64_t now);

/**
 * Drop datagrams whose time has run out, freeing their fragments (aves_reasm_packet() does
 * this too, so call it when idle, e.g. once per poll loop without fragments).
 * Thread: the owner.
 */
void aves_reasm_expire(struct aves_reasm *r, struct aves_tunnel_stats *stats, uint64_t now);

/** Number of pending datagrams in the trusted or the general table. Thread: the owner. */
uint32_t aves_reasm_pending(const struct aves_reasm *r, bool trusted);

#ifdef __cplusplus
}
#endif

#endif /* AVES_TUNNEL_H */
