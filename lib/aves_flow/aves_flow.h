/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_flow.h
 * Strict parsing of IPv4 packets from the wire into a flow key and the offsets the rewrite
 * code needs (aves_cksum.h) — on a plain byte buffer, so it runs on mbuf data in the apps and
 * on malloc'd buffers in tests and fuzzers. No EAL, no mbufs, no allocation, no logging.
 *
 * Threads: every function here is a pure function of its arguments; any thread may call it,
 * concurrently with any other.
 */
#ifndef AVES_FLOW_H
#define AVES_FLOW_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Why a packet was refused, one counter each in the apps. X(enum suffix, telemetry name).
 * Checks run in this order and the first failure is reported.
 */
#define AVES_PARSE_REASONS(X) \
	X(IP_TRUNCATED,       "ip_truncated")       /* fewer than 20 bytes after l3_off */ \
	X(IP_VERSION,         "ip_version")         /* version is not 4 */ \
	X(IP_HDR_LEN,         "ip_hdr_len")         /* IHL < 5, or the header passes the buffer */ \
	X(IP_TOTAL_LEN,       "ip_total_len")       /* total length < header, or > buffer */ \
	X(IP_CKSUM,           "ip_cksum")           /* header checksum */ \
	X(IP_OPTION,          "ip_option")          /* option length < 2 or past the header */ \
	X(IP_SOURCE_ROUTE,    "ip_source_route")    /* LSRR or SSRR present: never honoured */ \
	X(IP_RESERVED_FLAG,   "ip_reserved_flag")   /* the evil bit (RFC 791 says zero) */ \
	X(IP_FRAG_OVERSIZE,   "ip_frag_oversize")   /* offset + payload beyond 65535 */ \
	X(IP_SRC_MARTIAN,     "ip_src_martian")     /* 0/8, 127/8, 224/4, 240/4 */ \
	X(IP_DST_MARTIAN,     "ip_dst_martian")     /* 0/8, 127/8 */ \
	X(IP_FRAG_TCP_OVERLAP, "ip_frag_tcp_overlap") /* TCP at offset 8 (RFC 1858) */ \
	X(IP_FRAG_TINY,       "ip_frag_tiny")       /* first fragment lacks its L4 header */ \
	X(TCP_TRUNCATED,      "tcp_truncated")      /* fewer than 20 bytes */ \
	X(TCP_DATA_OFFSET,    "tcp_data_offset")    /* < 5 words, or past the segment */ \
	X(TCP_FLAGS,          "tcp_flags")          /* SYN+FIN/RST, FIN w/o ACK, no SYN/ACK/RST */ \
	X(UDP_TRUNCATED,      "udp_truncated")      /* fewer than 8 bytes */ \
	X(UDP_LENGTH,         "udp_length")         /* < 8, or != IP payload when unfragmented */ \
	X(ICMP_TRUNCATED,     "icmp_truncated")     /* fewer than 8 bytes */ \
	X(ICMP_INNER_SHORT,   "icmp_inner_short")   /* error quotes < IP header + 8 bytes */ \
	X(ICMP_INNER_HDR,     "icmp_inner_hdr")     /* quoted IP header malformed */ \
	X(ICMP_INNER_CKSUM,   "icmp_inner_cksum")   /* quoted IP header checksum */ \
	X(ICMP_INNER_FRAG,    "icmp_inner_frag")    /* quotes a non-first fragment: no ports */ \
	X(ICMP_NESTED_ERROR,  "icmp_nested_error")  /* error about an ICMP error */ \
	X(TCP_CKSUM,          "tcp_cksum") \
	X(UDP_CKSUM,          "udp_cksum") \
	X(ICMP_CKSUM,         "icmp_cksum")

/** Result of aves_parse_ipv4(): 0 for an accepted packet, else one reason. */
enum aves_parse_reason {
	AVES_PARSE_OK = 0,
#define AVES_PARSE_ENUM_(name, str) AVES_PARSE_##name,
	AVES_PARSE_REASONS(AVES_PARSE_ENUM_)
#undef AVES_PARSE_ENUM_
	AVES_PARSE_REASON_MAX /**< one past the last reason: size of a counter array */
};

/**
 * What identifies a flow, in the form the packet carries it. Suitable as an rte_hash key:
 * 16 bytes, no implicit padding, the explicit padding always zero.
 * Addresses and ports are in network byte order. For ICMP queries (echo, timestamp,
 * information, address mask) the identifier is in both @c sport and @c dport, so that the key of
 * the reply is the request's key with sides swapped, exactly as for TCP and UDP. Protocols
 * without ports, ICMP errors and other ICMP messages have both ports zero.
 */
struct aves_flow_key {
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad[3]; /**< always zero */
};
static_assert(sizeof(struct aves_flow_key) == 16, "flow key is a 16-byte hash key");

/** @name aves_pkt flags */
/**@{*/
#define AVES_PKT_F_DF          0x01u /**< Don't Fragment set */
#define AVES_PKT_F_FRAG        0x02u /**< part of a fragmented datagram (MF set or offset > 0) */
#define AVES_PKT_F_LATER_FRAG  0x04u /**< non-first fragment: no L4 header, ports zero */
#define AVES_PKT_F_ICMP_QUERY  0x08u /**< ICMP query: the identifier is in the key's ports */
#define AVES_PKT_F_ICMP_ERROR  0x10u /**< ICMP error: @c inner describes the quoted packet */
/**@}*/

/**
 * The packet an ICMP error quotes. Offsets are from the start of the parsed buffer.
 * Its IP header is complete and its checksum valid; at least 8 bytes of its L4 header are
 * present; it is not a non-first fragment and not an ICMP error.
 */
struct aves_pkt_inner {
	struct aves_flow_key key; /**< as the quoted packet carries it (its own direction) */
	uint16_t l3_off;          /**< quoted IPv4 header */
	uint16_t l4_off;          /**< quoted L4 header */
	uint16_t l4_len;          /**< bytes of the quoted L4 header and data present (>= 8) */
	uint16_t ip_len;          /**< the quoted header's total length (may exceed the quote) */
	uint8_t flags;            /**< AVES_PKT_F_DF, _FRAG, _ICMP_QUERY of the quoted packet */
	uint8_t icmp_type;        /**< quoted ICMP message type, when proto is ICMP */
};

/**
 * A parsed packet. Offsets are from the start of the buffer given to aves_parse_ipv4(), and
 * every byte from l3_off to l3_off + ip_len is inside it. Multi-byte numbers are in host order
 * except inside @c key (network order, as on the wire).
 */
struct aves_pkt {
	struct aves_flow_key key;
	uint16_t l3_off;      /**< IPv4 header */
	uint16_t l4_off;      /**< L4 header (l3_off + IHL * 4) */
	uint16_t payload_off; /**< after the L4 header (TCP options included); l4_off for
			       *   non-first fragments and protocols other than TCP/UDP/ICMP */
	uint16_t ip_len;      /**< IPv4 total length; bytes after l3_off + ip_len are padding */
	uint16_t ip_id;       /**< IPv4 identification */
	uint16_t frag_off;    /**< fragment offset in bytes */
	uint8_t flags;        /**< AVES_PKT_F_* */
	uint8_t tcp_flags;    /**< TCP flags byte (RTE_TCP_*_FLAG), 0 for other protocols */
	uint8_t icmp_type;    /**< ICMP type, when proto is ICMP and the header is present */
	uint8_t icmp_code;    /**< ICMP code, likewise */
	struct aves_pkt_inner inner; /**< valid only with AVES_PKT_F_ICMP_ERROR */
};

/** First octet of a network-order IPv4 address. */
static inline uint8_t
aves_ipv4_first_octet(uint32_t addr_be)
{
	const uint8_t *octets = (const uint8_t *)&addr_be;

	return octets[0];
}

/**
 * True when @p addr_be cannot be the source of a packet from the wire, because it names no
 * single host: 0/8 ("this network"), 127/8 (loopback), 224/4 (multicast), 240/4 (reserved,
 * including the limited broadcast 255.255.255.255).
 */
static inline bool
aves_ipv4_martian_src(uint32_t addr_be)
{
	uint8_t first = aves_ipv4_first_octet(addr_be);

	return first == 0 || first == 127 || first >= 224;
}

/** True when @p addr_be cannot be the destination of a packet from the wire: 0/8, 127/8. */
static inline bool
aves_ipv4_martian_dst(uint32_t addr_be)
{
	uint8_t first = aves_ipv4_first_octet(addr_be);

	return first == 0 || first == 127;
}

/** @name aves_parse_ipv4 flags */
/**@{*/
/**
 * Verify the TCP, UDP (when not 0) and ICMP checksums of unfragmented packets. Pass it unless
 * the NIC already did (RTE_MBUF_F_RX_L4_CKSUM_GOOD). Fragments are never verified: their L4
 * checksum covers bytes that are not here.
 */
#define AVES_PARSE_F_VERIFY_L4_CKSUM 0x1u
/**@}*/

/**
 * Parse and validate one IPv4 packet.
 *
 * @param buf     the frame; the IPv4 header starts at @p l3_off
 * @param len     bytes readable at @p buf (an mbuf segment's data_len); nothing at or past
 *                buf + len is read
 * @param l3_off  offset of the IPv4 header (the L2 header length)
 * @param flags   AVES_PARSE_F_*; unknown bits are ignored
 * @param pkt     output, fully written on success; unspecified on failure
 * @return AVES_PARSE_OK (0), or an enum aves_parse_reason saying why the packet must be dropped.
 *
 * Accepted: TCP, UDP, ICMP and any other protocol (ports zero); non-first fragments without an
 * L4 parse (AVES_PKT_F_LATER_FRAG). TTL is not checked. Per packet: no allocation, no loop other
 * than the IP option walk and checksum sums.
 */
int aves_parse_ipv4(const uint8_t *buf, uint16_t len, uint16_t l3_off, unsigned int flags,
		    struct aves_pkt *pkt);

/**
 * Name of a parse result, for counters and telemetry: "ok", a reason's name from
 * AVES_PARSE_REASONS, or "unknown" for a value outside the enum.
 */
const char *aves_parse_reason_name(int reason);

#ifdef __cplusplus
}
#endif

#endif /* AVES_FLOW_H */
