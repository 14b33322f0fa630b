/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_cksum.h
 * Internet checksums (RFC 1071) and their incremental update (RFC 1624), and in-place
 * address/port rewrites of a parsed packet that keep every checksum it carries right —
 * including the header quoted inside an ICMP error.
 *
 * Convention: 16- and 32-bit values passed to or returned by these functions are in network
 * byte order, i.e. exactly the bytes of the packet (load them with memcpy or as rte_be16_t /
 * rte_be32_t). One's-complement sums do not depend on byte order as long as every term is in
 * the same order, so no conversion is ever needed.
 *
 * Threads: pure functions of their arguments; the rewrites modify only the buffer given.
 * Any thread may call them; two threads must not rewrite the same buffer at once.
 */
#ifndef AVES_CKSUM_H
#define AVES_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aves_flow.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Fold a sum of 16- or 32-bit terms to 16 bits with end-around carry.
 * @return the one's-complement sum, in 1..0xffff unless every term was zero.
 */
static inline uint16_t
aves_cksum_fold(uint64_t sum)
{
	/* Two end-around carries at each width: the first leaves at most a carry of 1. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * Add @p len bytes at @p data to a running sum. A trailing odd byte counts as the high byte of
 * a zero-padded word (RFC 1071). Regions added one after another must each start at an even
 * offset of the checksummed message.
 * @return the new running sum (unfolded; pass to aves_cksum_fold()).
 */
static inline uint64_t
aves_cksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t w32;
	uint16_t w16 = 0;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		w16 = 0;
		memcpy(&w16, p, 1); /* lands in the high-order byte of the network-order word */
		sum += w16;
	}
	return sum;
}

/**
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum after a 16-bit field covered by it
 * changes from @p old_val to @p new_val. Exactly equal to a full recomputation, including
 * results of 0x0000, whenever the covered data is not all zero (always true for IP, TCP and
 * UDP, whose sums include a non-zero protocol or version).
 */
static inline uint16_t
aves_cksum_adjust16(uint16_t cksum, uint16_t old_val, uint16_t new_val)
{
	uint64_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old_val;
	sum += new_val;
	return (uint16_t)~aves_cksum_fold(sum);
}

/** aves_cksum_adjust16() for a 32-bit field (an IPv4 address). */
static inline uint16_t
aves_cksum_adjust32(uint16_t cksum, uint32_t old_val, uint32_t new_val)
{
	uint64_t sum = (uint16_t)~cksum;

	sum += (uint32_t)~old_val;
	sum += new_val;
	return (uint16_t)~aves_cksum_fold(sum);
}

/**
 * Where eqn. 3 and a full recomputation differ: covered data that is all zero sums to +0, so its
 * checksum is 0xffff, but eqn. 3 yields 0x0000. Only an ICMP message can be all zero (an echo
 * reply with identifier, sequence number and data all 0). Given a whole ICMP message and the
 * checksum an incremental update produced for it, return what a full recomputation gives.
 * The loop runs only when @p cksum is 0.
 */
static inline uint16_t
aves_cksum_icmp_settle(const uint8_t *icmp, size_t len, uint16_t cksum)
{
	size_t i;

	if (cksum != 0)
		return cksum;
	for (i = 0; i < len; i++)
		if (icmp[i] != 0 && (i < 2 || i > 3)) /* bytes 2-3 are the checksum itself */
			return cksum;
	return 0xffff;
}

/** @name What a rewrite changes (the @p what argument) */
/**@{*/
#define AVES_RW_ADDR 0x1u /**< the IPv4 address */
#define AVES_RW_PORT 0x2u /**< the TCP/UDP port, or the identifier of an ICMP query */
/**@}*/

/**
 * Rewrite the source address and/or port of a parsed packet in place, fixing the IPv4 header
 * checksum and the L4 checksum: TCP and UDP (pseudo-header and port; a UDP checksum of 0 stays
 * 0, a computed 0 is sent as 0xffff), ICMP queries (the identifier, in both key ports; ICMP does
 * not cover addresses). Non-first fragments carry no L4 header: only the address changes.
 * A first fragment's L4 checksum is updated incrementally, which is right for the whole
 * datagram. Other protocols and ICMP messages that are not queries have no port: only
 * AVES_RW_ADDR has an effect. @p pkt->key is updated to match the packet.
 *
 * @param buf      the buffer @p pkt was parsed from (aves_parse_ipv4() returned 0)
 * @param pkt      its parse result
 * @param addr_be  new source address (used with AVES_RW_ADDR)
 * @param port_be  new source port / ICMP identifier (used with AVES_RW_PORT)
 * @param what     AVES_RW_ADDR and/or AVES_RW_PORT
 */
void aves_rewrite_src(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		      unsigned int what);

/** aves_rewrite_src() for the destination address and port. */
void aves_rewrite_dst(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		      unsigned int what);

/**
 * Rewrite the source address and/or port of the packet quoted in an ICMP error, fixing the
 * quoted IPv4 header checksum, the quoted L4 checksum where the quote holds it (UDP when not 0;
 * TCP only when the quote holds both its bytes 16-17 — half of it cannot be updated without the
 * other half, so a quote ending between them keeps its last byte; a quoted ICMP query's
 * checksum for its identifier) and the outer ICMP checksum, which covers every byte that
 * changed.
 * The outer header is not touched: a NAT translating an error typically also calls
 * aves_rewrite_dst() (or _src) on the outer packet. @p pkt->inner.key is updated.
 *
 * @param buf, pkt, addr_be, port_be, what  as for aves_rewrite_src()
 * @return 0, or -EINVAL if @p pkt is not an ICMP error (no AVES_PKT_F_ICMP_ERROR).
 */
int aves_rewrite_inner_src(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be,
			   uint16_t port_be, unsigned int what);

/** aves_rewrite_inner_src() for the quoted destination address and port. */
int aves_rewrite_inner_dst(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be,
			   uint16_t port_be, unsigned int what);

#ifdef __cplusplus
}
#endif

#endif /* AVES_CKSUM_H */
