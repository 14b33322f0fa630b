/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between the aves_tunnel sources; not part of the contract. */
#ifndef AVES_TUNNEL_PRIVATE_H
#define AVES_TUNNEL_PRIVATE_H

#include <assert.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_log.h>
#include <rte_udp.h>

#include "aves_tunnel.h"

extern int aves_tunnel_logtype;
#define AVES_TUNNEL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, aves_tunnel_logtype, "aves_tunnel: " fmt "\n", ##__VA_ARGS__)

static_assert(sizeof(struct aves_tunnel_hdr) == AVES_TUNNEL_HDR_LEN, "AVES header layout");
static_assert(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) +
		      sizeof(struct aves_tunnel_hdr) == AVES_TUNNEL_PREPEND_LEN,
	      "prepended headers");

/* The three headers aves_encap() prepends, as they sit in a contiguous packet. */
struct aves_outer_hdrs {
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	struct aves_tunnel_hdr aves;
} __rte_packed;
static_assert(sizeof(struct aves_outer_hdrs) == AVES_TUNNEL_PREPEND_LEN, "outer headers");

/* Smallest tunnel packet: outer headers, a 20-byte inner IPv4 header, the tag. */
#define AVES_TUNNEL_PKT_MIN (AVES_TUNNEL_PREPEND_LEN + 20 + AVES_TAG_LEN)

/* True when the IPv4 header checksum over the header's own length verifies. */
static inline int
aves_ipv4_cksum_ok(const struct rte_ipv4_hdr *ip)
{
	return rte_raw_cksum(ip, rte_ipv4_hdr_len(ip)) == 0xffff;
}

/* The packet's data may be written: not a clone, and no one else holds its buffer. */
static inline int
aves_mbuf_writable(const struct rte_mbuf *m)
{
	if (rte_mbuf_refcnt_read(m) != 1 || RTE_MBUF_CLONED(m))
		return 0;
	return !RTE_MBUF_HAS_EXTBUF(m) || rte_mbuf_ext_refcnt_read(m->shinfo) == 1;
}

#endif
