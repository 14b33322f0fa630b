/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_build.h
 * Packets the appliances originate, built in mbufs: UDP datagrams (control replies), ICMP
 * errors, and the Ethernet header every frame gets last.
 *
 * Convention: a packet built here has its data starting at the IPv4 header; the sender adds
 * the Ethernet header once it knows the next hop's address (aves_eth_prepend()).
 *
 * Threads: pure functions of their arguments; the pools they allocate from are thread-safe.
 * Per-packet use is fine (no logging, no system call); they allocate one mbuf.
 */
#ifndef AVES_BUILD_H
#define AVES_BUILD_H

#include <errno.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** TTL of the datagrams built here. */
#define AVES_BUILD_TTL 64

/**
 * Prepend an Ethernet header.
 * @param m           the packet, data at its network header
 * @param src         source MAC (the port's)
 * @param dst         destination MAC
 * @param ether_type  host byte order (RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_ARP)
 * @return 0, or -ENOSPC when @p m has no headroom for it (nothing changed).
 * Any thread.
 */
static inline int
aves_eth_prepend(struct rte_mbuf *m, const struct rte_ether_addr *src,
		 const struct rte_ether_addr *dst, uint16_t ether_type)
{
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));

	if (eth == NULL)
		return -ENOSPC;
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ether_type);
	m->l2_len = sizeof(*eth);
	return 0;
}

/**
 * Build an IPv4/UDP datagram: header without options, TOS 0, DF clear, TTL AVES_BUILD_TTL,
 * header and UDP checksums computed.
 * @param pool     to allocate from
 * @param src      source address, network order
 * @param sport    source port, host order
 * @param dst      destination address, network order
 * @param dport    destination port, host order
 * @param payload  UDP payload
 * @param len      its length; the datagram must fit the mbuf's data room
 * @param ip_id    IPv4 identification, host order
 * @return the packet (data at IPv4), or NULL (pool empty, or too long for one mbuf).
 * Any thread.
 */
struct rte_mbuf *aves_build_udp(struct rte_mempool *pool, uint32_t src, uint16_t sport,
				uint32_t dst, uint16_t dport, const void *payload, uint16_t len,
				uint16_t ip_id);

/**
 * Build an ICMP error about @p orig with lib/aves_flow's aves_icmp_error_build() (which
 * applies RFC 1122/1812's rules on what must not be answered).
 * @param pool         to allocate from (data room >= AVES_ICMP_ERROR_MAX_LEN)
 * @param orig         the offending packet, from its IPv4 header
 * @param orig_len     bytes readable at @p orig
 * @param src          source of the error, network order
 * @param type, code   ICMP type and code
 * @param mtu          next-hop MTU for type 3 code 4, host order
 * @param ip_id        IPv4 identification, host order
 * @param refusal      out, may be NULL: when NULL is returned because the error must not be
 *                     sent, the enum aves_icmp_refusal (positive); 0 when the pool was empty
 * @return the error (data at IPv4), or NULL.
 * Any thread.
 */
struct rte_mbuf *aves_build_icmp_error(struct rte_mempool *pool, const uint8_t *orig,
				       uint16_t orig_len, uint32_t src, uint8_t type,
				       uint8_t code, uint16_t mtu, uint16_t ip_id, int *refusal);

#ifdef __cplusplus
}
#endif

#endif /* AVES_BUILD_H */
