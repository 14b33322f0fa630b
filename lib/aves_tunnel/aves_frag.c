/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path MTU (docs/PROTOCOL.md §3.4): the decision before encapsulation, fragmentation of the
 * outer datagram after tagging, and the ICMP "fragmentation needed" reply for DF packets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "aves_icmp.h"
#include "aves_tunnel.h"
#include "aves_tunnel_private.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

static bool
ipv4_df(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0;
}

enum aves_mtu_action
aves_mtu_check(const struct rte_ipv4_hdr *inner, uint16_t egress_mtu)
{
	uint32_t outer_len = (uint32_t)rte_be_to_cpu_16(inner->total_length) + AVES_TUNNEL_OVERHEAD;

	if (outer_len <= egress_mtu)
		return AVES_MTU_FITS;
	return ipv4_df(inner) ? AVES_MTU_FRAG_NEEDED : AVES_MTU_FRAGMENT;
}

static int
frag_refuse(struct aves_tunnel_stats *stats, enum aves_frag_result res, int err)
{
	stats->frag[res]++;
	return err;
}

int
aves_frag_packet(struct aves_tunnel_stats *stats, struct rte_mbuf *m, uint16_t mtu,
		 uint32_t flags, struct rte_mempool *direct, struct rte_mempool *indirect,
		 struct rte_mbuf **out, uint16_t out_cap)
{
	const struct aves_outer_hdrs *h;
	uint32_t frag_payload, nb_frags;
	int32_t nb, i;

	if (mtu < AVES_TUNNEL_MTU_MIN || out == NULL || out_cap == 0 ||
	    !rte_pktmbuf_is_contiguous(m) || m->pkt_len < AVES_TUNNEL_PKT_MIN)
		return frag_refuse(stats, AVES_FRAG_BAD_PARAM, -EINVAL);
	h = rte_pktmbuf_mtod(m, const struct aves_outer_hdrs *);
	if (h->ip.version_ihl != RTE_IPV4_VHL_DEF || ipv4_df(&h->ip) ||
	    rte_be_to_cpu_16(h->ip.total_length) != m->pkt_len)
		return frag_refuse(stats, AVES_FRAG_BAD_PARAM, -EINVAL);
	if (m->pkt_len <= mtu) {
		out[0] = m;
		stats->frag[AVES_FRAG_FITS]++;
		return 1;
	}
	if (ipv4_df((const struct rte_ipv4_hdr *)(h + 1)))
		return frag_refuse(stats, AVES_FRAG_DF_SET, -EMSGSIZE);
	if (direct == NULL || indirect == NULL)
		return frag_refuse(stats, AVES_FRAG_BAD_PARAM, -EINVAL);

	/* Every fragment but the last carries a multiple of 8 payload bytes (RFC 791). */
	frag_payload = (uint32_t)(mtu - sizeof(h->ip)) & ~(uint32_t)(RTE_IPV4_HDR_OFFSET_UNITS - 1);
	nb_frags = (m->pkt_len - (uint32_t)sizeof(h->ip) + frag_payload - 1) / frag_payload;
	if (nb_frags > out_cap)
		return frag_refuse(stats, AVES_FRAG_TOO_MANY, -E2BIG);

	nb = rte_ipv4_fragment_packet(m, out, (uint16_t)nb_frags, mtu, direct, indirect);
	if (nb == -ENOMEM)
		return frag_refuse(stats, AVES_FRAG_NO_MBUF, -ENOMEM);
	if (nb < 0)
		return frag_refuse(stats, AVES_FRAG_BAD_PARAM, -EINVAL);
	for (i = 0; i < nb; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *);

		/* rte_ipv4_fragment_packet() leaves the fragments' checksums zero. */
		if (flags & AVES_FRAG_F_TX_IP_CKSUM) {
			out[i]->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
			out[i]->l3_len = sizeof(*ip);
		} else {
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	}
	/* The fragments' indirect mbufs hold their own references to the payload. */
	rte_pktmbuf_free(m);
	stats->frag[AVES_FRAG_FRAGMENTED]++;
	return nb;
}

struct rte_mbuf *
aves_icmp_frag_needed(struct aves_tunnel_stats *stats, struct rte_mempool *pool,
		      const struct rte_mbuf *orig, rte_be32_t src, uint16_t egress_mtu,
		      uint16_t ip_id)
{
	struct rte_mbuf *reply = rte_pktmbuf_alloc(pool);
	uint16_t cap;
	int len;

	if (reply == NULL) {
		stats->frag[AVES_FRAG_ICMP_NO_MBUF]++;
		return NULL;
	}
	cap = (uint16_t)RTE_MIN(rte_pktmbuf_tailroom(reply), AVES_ICMP_ERROR_MAX_LEN);
	len = aves_icmp_error_build(rte_pktmbuf_mtod(reply, uint8_t *), cap,
				    rte_pktmbuf_mtod(orig, const uint8_t *),
				    rte_pktmbuf_data_len(orig), src, ICMP_DEST_UNREACH,
				    ICMP_FRAG_NEEDED, aves_tunnel_inner_mtu(egress_mtu), ip_id);
	if (len <= 0) {
		rte_pktmbuf_free(reply);
		stats->frag[AVES_FRAG_ICMP_REFUSED]++;
		return NULL;
	}
	reply->data_len = (uint16_t)len;
	reply->pkt_len = (uint32_t)len;
	stats->frag[AVES_FRAG_ICMP_BUILT]++;
	return reply;
}
