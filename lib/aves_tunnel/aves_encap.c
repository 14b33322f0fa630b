/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encapsulation (docs/PROTOCOL.md §3.1, §3.2) and the outcome names of the whole library.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "aves_tunnel.h"
#include "aves_tunnel_private.h"

RTE_LOG_REGISTER_DEFAULT(aves_tunnel_logtype, NOTICE);

#define AVES_SEQ_SENDER_SHIFT 56
#define AVES_SEQ_COUNTER_MASK ((UINT64_C(1) << AVES_SEQ_SENDER_SHIFT) - 1)
#define AVES_SPORT_MASK 0x3fff /* 16384 ports above AVES_TUNNEL_SPORT_BASE */

#define AVES_NAME_ENTRY_(name, str) str,

static const char *const encap_names[] = { AVES_ENCAP_RESULTS(AVES_NAME_ENTRY_) };
static const char *const tag_names[] = { AVES_TAG_RESULTS(AVES_NAME_ENTRY_) };
static const char *const rx_names[] = { AVES_RX_VERDICTS(AVES_NAME_ENTRY_) };
static const char *const frag_names[] = { AVES_FRAG_RESULTS(AVES_NAME_ENTRY_) };
static const char *const reasm_names[] = { AVES_REASM_RESULTS(AVES_NAME_ENTRY_) };

static_assert(RTE_DIM(encap_names) == AVES_ENCAP_MAX, "encap names");
static_assert(RTE_DIM(tag_names) == AVES_TAG_MAX, "tag names");
static_assert(RTE_DIM(rx_names) == AVES_RX_MAX, "rx names");
static_assert(RTE_DIM(frag_names) == AVES_FRAG_MAX, "frag names");
static_assert(RTE_DIM(reasm_names) == AVES_REASM_MAX, "reasm names");

static const char *
name_of(const char *const *names, unsigned int count, unsigned int i)
{
	return i < count ? names[i] : "unknown";
}

const char *
aves_encap_result_name(enum aves_encap_result r)
{
	return name_of(encap_names, AVES_ENCAP_MAX, (unsigned int)r);
}

const char *
aves_tag_result_name(enum aves_tag_result r)
{
	return name_of(tag_names, AVES_TAG_MAX, (unsigned int)r);
}

const char *
aves_rx_verdict_name(enum aves_rx_verdict v)
{
	return name_of(rx_names, AVES_RX_MAX, (unsigned int)v);
}

const char *
aves_frag_result_name(enum aves_frag_result r)
{
	return name_of(frag_names, AVES_FRAG_MAX, (unsigned int)r);
}

const char *
aves_reasm_result_name(enum aves_reasm_result r)
{
	return name_of(reasm_names, AVES_REASM_MAX, (unsigned int)r);
}

int
aves_encap_ctx_init(struct aves_encap_ctx *ctx, unsigned int sender_id,
		    unsigned int sender_count, uint64_t seq_start)
{
	if (ctx == NULL || sender_count == 0 || sender_count > 256 || sender_id >= sender_count)
		return -EINVAL;
	ctx->seq = (uint64_t)sender_id << AVES_SEQ_SENDER_SHIFT |
		   (seq_start & AVES_SEQ_COUNTER_MASK);
	ctx->ip_id = (uint16_t)sender_id;
	ctx->ip_id_stride = (uint16_t)sender_count;
	return 0;
}

/* Every check happens before the first write, so a refused packet is untouched. */
static enum aves_encap_result
encap_check(const struct rte_mbuf *m, const struct aves_encap_params *p)
{
	struct rte_ipv4_hdr copy;
	const struct rte_ipv4_hdr *inner;
	uint32_t need_tail = AVES_TAG_LEN;

	if (p == NULL || p->key == NULL || p->key->alg != AVES_ALG_HMAC_MD5 ||
	    (p->type != AVES_TYPE_FORWARD && p->type != AVES_TYPE_REVERSE))
		return AVES_ENCAP_BAD_PARAM;
	inner = rte_pktmbuf_read(m, 0, sizeof(copy), &copy);
	if (inner == NULL || rte_be_to_cpu_16(inner->total_length) != m->pkt_len)
		return AVES_ENCAP_BAD_INNER;
	if (m->pkt_len > AVES_TUNNEL_INNER_MAX)
		return AVES_ENCAP_TOO_BIG;
	if (!aves_mbuf_writable(m))
		return AVES_ENCAP_NOT_WRITABLE;
	if (!rte_pktmbuf_is_contiguous(m)) {
		/* Linearizing moves the other segments into the first one's tailroom. */
		if (rte_pktmbuf_tailroom(m) < m->pkt_len - m->data_len)
			return AVES_ENCAP_NOT_LINEAR;
		need_tail += m->pkt_len - m->data_len;
		if (rte_pktmbuf_tailroom(m) < need_tail)
			return AVES_ENCAP_NO_TAILROOM;
	} else if (rte_pktmbuf_tailroom(m) < need_tail) {
		return AVES_ENCAP_NO_TAILROOM;
	}
	if (rte_pktmbuf_headroom(m) < AVES_TUNNEL_PREPEND_LEN)
		return AVES_ENCAP_NO_HEADROOM;
	return AVES_ENCAP_OK;
}

enum aves_encap_result
aves_encap(struct aves_encap_ctx *ctx, struct aves_tunnel_stats *stats, struct rte_mbuf *m,
	   const struct aves_encap_params *p, uint32_t flags)
{
	enum aves_encap_result res = encap_check(m, p);
	struct aves_outer_hdrs *h;
	uint16_t inner_len, outer_len;
	uint8_t tos;
	uint8_t *tag;

	if (res != AVES_ENCAP_OK) {
		stats->encap[res]++;
		return res;
	}
	/* encap_check() guaranteed the tailroom, so neither call below can fail. */
	if (rte_pktmbuf_linearize(m) != 0) {
		stats->encap[AVES_ENCAP_NOT_LINEAR]++;
		return AVES_ENCAP_NOT_LINEAR;
	}
	inner_len = (uint16_t)m->pkt_len;
	tos = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->type_of_service;
	outer_len = (uint16_t)(inner_len + AVES_TUNNEL_OVERHEAD);

	tag = (uint8_t *)rte_pktmbuf_append(m, AVES_TAG_LEN);
	memset(tag, 0, AVES_TAG_LEN);
	h = (struct aves_outer_hdrs *)rte_pktmbuf_prepend(m, AVES_TUNNEL_PREPEND_LEN);

	h->ip.version_ihl = RTE_IPV4_VHL_DEF;
	h->ip.type_of_service = tos;
	h->ip.total_length = rte_cpu_to_be_16(outer_len);
	h->ip.packet_id = rte_cpu_to_be_16(ctx->ip_id);
	h->ip.fragment_offset = 0;
	h->ip.time_to_live = AVES_TUNNEL_TTL;
	h->ip.next_proto_id = IPPROTO_UDP;
	h->ip.hdr_checksum = 0;
	h->ip.src_addr = p->outer_src;
	h->ip.dst_addr = p->outer_dst;
	ctx->ip_id = (uint16_t)(ctx->ip_id + ctx->ip_id_stride);

	h->udp.src_port =
		rte_cpu_to_be_16(AVES_TUNNEL_SPORT_BASE | (p->flow_hash & AVES_SPORT_MASK));
	h->udp.dst_port = rte_cpu_to_be_16(p->dport);
	h->udp.dgram_len = rte_cpu_to_be_16((uint16_t)(outer_len - sizeof(h->ip)));
	h->udp.dgram_cksum = 0;

	h->aves.version = AVES_TUNNEL_VERSION;
	h->aves.type = p->type;
	h->aves.alg = p->key->alg;
	h->aves.flags = 0;
	h->aves.key_id = rte_cpu_to_be_32(p->key->id);
	h->aves.waypoint = p->waypoint;
	h->aves.seq = rte_cpu_to_be_64(ctx->seq);
	/* The counter wraps within its 56 bits; the sender id above it never changes. */
	ctx->seq = (ctx->seq & ~AVES_SEQ_COUNTER_MASK) | ((ctx->seq + 1) & AVES_SEQ_COUNTER_MASK);

	if (flags & AVES_ENCAP_F_TX_IP_CKSUM) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m->l3_len = sizeof(h->ip);
	} else {
		h->ip.hdr_checksum = rte_ipv4_cksum(&h->ip);
	}
	stats->encap[AVES_ENCAP_OK]++;
	return AVES_ENCAP_OK;
}
