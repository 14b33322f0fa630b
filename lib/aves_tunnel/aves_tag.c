/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tags of whole bursts (docs/PROTOCOL.md §3.3): a chunk of packets is one
 * aves_tag_compute_burst() call, so ipsec-mb fills all its SIMD lanes; one job at a time
 * costs about six times as much per packet (PLATFORM-NOTES.md).
 */
#include <assert.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "aves_tunnel.h"
#include "aves_tunnel_private.h"

/* The tag covers everything after the outer IPv4 and UDP headers, up to the tag itself. */
#define OUTER_L4_LEN (sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

static_assert(AVES_TUNNEL_BURST_MAX <= AVES_TAG_BURST_MAX, "a chunk is one MAC burst");

uint16_t
aves_tag_burst(struct aves_auth_ctx *actx, struct aves_tunnel_stats *stats,
	       struct rte_mbuf **pkts, const struct aves_key *const *keys, uint16_t n)
{
	struct aves_tag_job req[AVES_TUNNEL_BURST_MAX];
	uint16_t req_pkt[AVES_TUNNEL_BURST_MAX];
	bool done[AVES_TUNNEL_BURST_MAX];
	enum aves_tag_result res[AVES_TUNNEL_BURST_MAX];
	uint16_t base, chunk, i, nreq, ntagged = 0;

	for (base = 0; base < n; base += chunk) {
		chunk = (uint16_t)RTE_MIN(n - base, AVES_TUNNEL_BURST_MAX);
		nreq = 0;
		for (i = 0; i < chunk; i++) {
			struct rte_mbuf *m = pkts[base + i];
			const struct aves_key *key = keys[base + i];
			uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);

			res[i] = AVES_TAG_REFUSED; /* until its job completes */
			if (!rte_pktmbuf_is_contiguous(m) || m->pkt_len < AVES_TUNNEL_PKT_MIN ||
			    m->pkt_len > UINT16_MAX || key == NULL ||
			    key->alg != AVES_ALG_HMAC_MD5)
				continue;
			req[nreq].data = data + OUTER_L4_LEN;
			req[nreq].len = m->pkt_len - (uint32_t)OUTER_L4_LEN - AVES_TAG_LEN;
			req[nreq].tag = data + m->pkt_len - AVES_TAG_LEN;
			req[nreq].key = key;
			req_pkt[nreq++] = i;
		}
		aves_tag_compute_burst(actx, req, nreq, done);
		for (i = 0; i < nreq; i++)
			if (done[i])
				res[req_pkt[i]] = AVES_TAG_OK;

		/* Tagged packets move to the front in their order; refused ones collect behind. */
		for (i = 0; i < chunk; i++) {
			stats->tag[res[i]]++;
			if (res[i] == AVES_TAG_OK) {
				struct rte_mbuf *m = pkts[base + i];

				pkts[base + i] = pkts[ntagged];
				pkts[ntagged++] = m;
			}
		}
	}
	return ntagged;
}

/*
 * Everything that can be checked before the tag, in docs/PROTOCOL.md §3.3 order. On
 * AVES_RX_OK the packet is contiguous, its lengths are consistent and *key is its key.
 */
static enum aves_rx_verdict
rx_check_headers(struct rte_mbuf *m, const struct aves_rx_filter *f,
		 const struct aves_keyring *ring, const struct aves_key **key)
{
	const struct aves_outer_hdrs *h;
	uint64_t cksum_flags;
	uint16_t ip_len, udp_len;

	if (rte_pktmbuf_linearize(m) != 0)
		return AVES_RX_NOT_LINEAR;
	if (m->data_len < sizeof(h->ip) + sizeof(h->udp))
		return AVES_RX_SHORT;
	h = rte_pktmbuf_mtod(m, const struct aves_outer_hdrs *);
	ip_len = rte_be_to_cpu_16(h->ip.total_length);
	if (h->ip.version_ihl != RTE_IPV4_VHL_DEF || ip_len < sizeof(h->ip) + sizeof(h->udp) ||
	    ip_len > m->data_len || h->ip.next_proto_id != IPPROTO_UDP ||
	    (h->ip.fragment_offset &
	     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return AVES_RX_BAD_OUTER;
	cksum_flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (cksum_flags == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (cksum_flags != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !aves_ipv4_cksum_ok(&h->ip)))
		return AVES_RX_BAD_OUTER;
	if ((h->ip.dst_addr & f->dst_mask) != f->dst_addr)
		return AVES_RX_NOT_LOCAL;
	if (h->udp.dst_port != rte_cpu_to_be_16(f->port))
		return AVES_RX_BAD_PORT;
	udp_len = rte_be_to_cpu_16(h->udp.dgram_len);
	if (udp_len != ip_len - sizeof(h->ip))
		return AVES_RX_BAD_UDP_LEN;
	/* From here on ip_len >= AVES_TUNNEL_PKT_MIN <= data_len: every read is in bounds. */
	if (ip_len < AVES_TUNNEL_PKT_MIN)
		return AVES_RX_SHORT;
	if (h->aves.version != AVES_TUNNEL_VERSION)
		return AVES_RX_BAD_VERSION;
	if (h->aves.type != f->type)
		return AVES_RX_BAD_TYPE;
	if (h->aves.alg != AVES_ALG_HMAC_MD5)
		return AVES_RX_BAD_ALG;
	*key = aves_keyring_find(ring, rte_be_to_cpu_32(h->aves.key_id));
	if (*key == NULL || (*key)->alg != h->aves.alg)
		return AVES_RX_UNKNOWN_KEY;
	return AVES_RX_OK;
}

/* Outer IPv4 total length of a packet rx_check_headers() accepted. */
static uint16_t
rx_ip_len(const struct rte_mbuf *m)
{
	return rte_be_to_cpu_16(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->total_length);
}

/* Checks after the tag; on AVES_RX_OK strip outer headers and tag, report the fields. */
static enum aves_rx_verdict
rx_finish(struct rte_mbuf *m, struct aves_rx_info *info)
{
	const struct aves_outer_hdrs *h = rte_pktmbuf_mtod(m, const struct aves_outer_hdrs *);
	const struct rte_ipv4_hdr *inner = (const struct rte_ipv4_hdr *)(h + 1);
	uint16_t inner_len =
		(uint16_t)(rte_be_to_cpu_16(h->ip.total_length) - AVES_TUNNEL_OVERHEAD);

	if (h->aves.flags != 0)
		return AVES_RX_BAD_FLAGS;
	if (rte_be_to_cpu_16(inner->total_length) != inner_len)
		return AVES_RX_BAD_INNER_LEN;

	info->outer_src = h->ip.src_addr;
	info->outer_dst = h->ip.dst_addr;
	info->waypoint = h->aves.waypoint;
	info->key_id = rte_be_to_cpu_32(h->aves.key_id);
	info->seq = rte_be_to_cpu_64(h->aves.seq);
	info->sport = rte_be_to_cpu_16(h->udp.src_port);
	info->type = h->aves.type;
	info->alg = h->aves.alg;

	rte_pktmbuf_adj(m, AVES_TUNNEL_PREPEND_LEN);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - inner_len));
	/* Those flags and the packet type described the outer header. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	m->packet_type = 0;
	return AVES_RX_OK;
}

uint16_t
aves_verify_burst(struct aves_auth_ctx *actx, const struct aves_keyring *ring,
		  const struct aves_rx_filter *filter, struct aves_tunnel_stats *stats,
		  struct rte_mbuf **pkts, uint16_t n, enum aves_rx_verdict *verdicts,
		  struct aves_rx_info *info)
{
	struct aves_tag_job req[AVES_TUNNEL_BURST_MAX];
	uint16_t req_pkt[AVES_TUNNEL_BURST_MAX];
	bool done[AVES_TUNNEL_BURST_MAX];
	alignas(16) uint8_t computed[AVES_TUNNEL_BURST_MAX][AVES_TAG_LEN];
	uint16_t base, chunk, i, nreq, accepted = 0;

	for (base = 0; base < n; base += chunk) {
		chunk = (uint16_t)RTE_MIN(n - base, AVES_TUNNEL_BURST_MAX);
		nreq = 0;
		for (i = base; i < base + chunk; i++) {
			const struct aves_key *key = NULL;

			verdicts[i] = rx_check_headers(pkts[i], filter, ring, &key);
			if (verdicts[i] != AVES_RX_OK)
				continue;
			req[nreq].data = rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, OUTER_L4_LEN);
			req[nreq].len = rx_ip_len(pkts[i]) - (uint32_t)OUTER_L4_LEN - AVES_TAG_LEN;
			req[nreq].tag = computed[nreq];
			req[nreq].key = key;
			req_pkt[nreq++] = i;
		}
		aves_tag_compute_burst(actx, req, nreq, done);
		for (i = 0; i < nreq; i++) {
			struct rte_mbuf *m = pkts[req_pkt[i]];
			const uint8_t *tag = rte_pktmbuf_mtod_offset(m, const uint8_t *,
								     rx_ip_len(m) - AVES_TAG_LEN);
			enum aves_rx_verdict v;

			/* ipsec-mb refuses only lengths rx_check_headers() excludes; were it to
			 * refuse anyway, a tag that could not be computed does not verify. */
			if (!done[i] || !aves_tag_equal(computed[i], tag))
				v = AVES_RX_BAD_TAG;
			else
				v = rx_finish(m, &info[req_pkt[i]]);
			verdicts[req_pkt[i]] = v;
		}
		for (i = base; i < base + chunk; i++) {
			stats->rx[verdicts[i]]++;
			accepted += verdicts[i] == AVES_RX_OK;
		}
	}
	return accepted;
}
