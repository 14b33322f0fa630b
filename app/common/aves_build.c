/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "aves_build.h"
#include "aves_cksum.h"
#include "aves_icmp.h"

struct rte_mbuf *
aves_build_udp(struct rte_mempool *pool, uint32_t src, uint16_t sport, uint32_t dst,
	       uint16_t dport, const void *payload, uint16_t len, uint16_t ip_id)
{
	const uint16_t hdrs = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint64_t sum;
	uint16_t ck;
	uint8_t pseudo[4];

	if ((uint32_t)len + hdrs > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)(hdrs + len));
	if (ip == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	udp = (struct rte_udp_hdr *)(ip + 1);
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)(hdrs + len)),
		.packet_id = rte_cpu_to_be_16(ip_id),
		.time_to_live = AVES_BUILD_TTL,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = src,
		.dst_addr = dst,
	};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*udp = (struct rte_udp_hdr){
		.src_port = rte_cpu_to_be_16(sport),
		.dst_port = rte_cpu_to_be_16(dport),
		.dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len)),
	};
	memcpy(udp + 1, payload, len);
	/* Pseudo-header (addresses, zero + protocol, UDP length), then the datagram. */
	pseudo[0] = 0;
	pseudo[1] = IPPROTO_UDP;
	memcpy(&pseudo[2], &udp->dgram_len, 2);
	sum = aves_cksum_add(0, &ip->src_addr, 8);
	sum = aves_cksum_add(sum, pseudo, sizeof(pseudo));
	sum = aves_cksum_add(sum, udp, sizeof(*udp) + len);
	ck = (uint16_t)~aves_cksum_fold(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	return m;
}

struct rte_mbuf *
aves_build_icmp_error(struct rte_mempool *pool, const uint8_t *orig, uint16_t orig_len,
		      uint32_t src, uint8_t type, uint8_t code, uint16_t mtu, uint16_t ip_id,
		      int *refusal)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t cap;
	int len;

	if (refusal != NULL)
		*refusal = 0;
	if (m == NULL)
		return NULL;
	cap = (uint16_t)RTE_MIN(rte_pktmbuf_tailroom(m), AVES_ICMP_ERROR_MAX_LEN);
	len = aves_icmp_error_build(rte_pktmbuf_mtod(m, uint8_t *), cap, orig, orig_len, src,
				    type, code, mtu, ip_id);
	if (len <= 0) {
		rte_pktmbuf_free(m);
		if (refusal != NULL)
			*refusal = -len;
		return NULL;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	return m;
}
