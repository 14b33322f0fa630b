/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_harness.h
 * Packet-level test harness for the appliances: net_ring ports whose RX rings a test fills
 * with crafted frames and whose TX rings it reads back, and builders for the frames, with
 * checksums computed here by a plain RFC 1071 sum that shares no code with lib/aves_flow, so
 * that comparing an appliance's output with a frame built here checks the appliance.
 *
 * Linked only into tests (a separate static library). Threads: the test's; a port's rings
 * are single-producer/single-consumer from the test's side.
 */
#ifndef AVES_HARNESS_H
#define AVES_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most queues of a harness port. */
#define AVES_H_QUEUES_MAX 8
/** Largest frame the harness builds or reads back. */
#define AVES_H_FRAME_MAX 9216

/** A net_ring port and its rings. */
struct aves_h_port {
	char name[32];		/**< the ethdev name ("net_ring_<name>" is what EAL calls it) */
	uint16_t port_id;
	unsigned int n_rxq, n_txq;
	struct rte_ring *rx[AVES_H_QUEUES_MAX]; /**< the test enqueues here (port RX queue i) */
	struct rte_ring *tx[AVES_H_QUEUES_MAX]; /**< the appliance's TX queue i lands here */
};

/**
 * Create a net_ring port with @p n_rxq RX and @p n_txq TX queues (rte_eth_from_rings).
 * The ethdev is named "net_ring_<name>"; aves_port_by_name() finds it under that name.
 * @return 0, or -1 (logged to stderr).
 */
int aves_h_port_create(struct aves_h_port *p, const char *name, unsigned int n_rxq,
		       unsigned int n_txq);

/** Drain the rings, close the port, free the rings. */
void aves_h_port_destroy(struct aves_h_port *p);

/**
 * Put a frame on RX queue @p q (copied into an mbuf from @p pool).
 * @return 0, or -1 (pool empty, ring full, frame too long).
 */
int aves_h_inject(struct aves_h_port *p, unsigned int q, struct rte_mempool *pool,
		  const uint8_t *frame, uint16_t len);

/**
 * Take the next frame the appliance sent on TX queue @p q, copy it out (all segments) and
 * free the mbuf.
 * @return its length, or -1 when the queue is empty (or @p cap is too small).
 */
int aves_h_take(struct aves_h_port *p, unsigned int q, uint8_t *out, size_t cap);

/** Frames waiting on TX queue @p q. */
unsigned int aves_h_pending(const struct aves_h_port *p, unsigned int q);

/** Free every frame waiting on every TX queue; returns how many there were. */
unsigned int aves_h_drain(struct aves_h_port *p);

/* ---------------------------------------------------------------------------------------- */
/* Checksums, computed independently                                                         */
/* ---------------------------------------------------------------------------------------- */

/** The Internet checksum of @p len bytes (RFC 1071), in network byte order as stored. */
uint16_t aves_h_cksum(const void *data, size_t len);

/** Recompute the IPv4 header checksum and, for an unfragmented TCP, UDP or ICMP packet, its
 *  L4 checksum, in place. @p ip points at the IPv4 header; its total length is trusted. */
void aves_h_ipv4_fix(uint8_t *ip);

/** Whether the header checksum and (unfragmented TCP/UDP/ICMP) the L4 checksum verify. */
bool aves_h_ipv4_ok(const uint8_t *ip);

/* ---------------------------------------------------------------------------------------- */
/* Frame builders: each writes a whole Ethernet frame to @p buf and returns its length       */
/* ---------------------------------------------------------------------------------------- */

/** IPv4 header fields of a built packet (addresses network order, the rest host order). */
struct aves_h_ip {
	uint32_t src, dst;
	uint16_t id;
	uint16_t frag;	/**< flags and offset as on the wire (e.g. 0x4000 for DF) */
	uint8_t ttl;	/**< 0 means 64 */
	uint8_t tos;
};

/** MAC addresses of a built frame. */
struct aves_h_eth {
	struct rte_ether_addr dst, src;
};

/** Ethernet + IPv4 + arbitrary protocol payload (no L4 checksum computed). */
size_t aves_h_ip_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
		       uint8_t proto, const void *payload, uint16_t len);

/** Ethernet + IPv4 + UDP + payload. */
size_t aves_h_udp_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
			uint16_t sport, uint16_t dport, const void *payload, uint16_t len);

/** Ethernet + IPv4 + TCP (20-byte header, window 65535) + payload. @p flags: TCP flag byte. */
size_t aves_h_tcp_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
			uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			const void *payload, uint16_t len);

/** Ethernet + IPv4 + ICMP query (echo request 8 / reply 0) with identifier and sequence. */
size_t aves_h_icmp_echo_frame(uint8_t *buf, const struct aves_h_eth *eth,
			      const struct aves_h_ip *ip, uint8_t type, uint16_t ident,
			      uint16_t seq, const void *payload, uint16_t len);

/** Ethernet + ARP (Ethernet/IPv4). @p op: 1 request, 2 reply. Addresses network order. */
size_t aves_h_arp_frame(uint8_t *buf, const struct aves_h_eth *eth, uint16_t op,
			const struct rte_ether_addr *sha, uint32_t sip,
			const struct rte_ether_addr *tha, uint32_t tip);

/** An IPv4 address from four octets, network order. */
uint32_t aves_h_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

#ifdef __cplusplus
}
#endif

#endif /* AVES_HARNESS_H */
