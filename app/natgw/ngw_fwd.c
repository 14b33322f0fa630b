/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every lcore needs to send: routing, fragmentation to the egress MTU, next-hop
 * resolution (punted to the control lcore when unresolved), framing; echo replies and the
 * ICMP errors the gateway originates, rate-limited.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "aves_build.h"
#include "aves_cksum.h"
#include "ngw.h"

const char *const ngw_ctr_names[NGW_CTR_MAX] = {
#define NGW_CTR_NAME_(name, str) [NGW_CTR_##name] = str,
	NGW_COUNTERS(NGW_CTR_NAME_)
#undef NGW_CTR_NAME_
};

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

int
ngw_lcore_init(struct ngw_lcore *lc, struct ngw_app *app, uint32_t idx, bool is_control)
{
	static const struct aves_lcore_ids ids = {
		.no_route = NGW_CTR_NO_ROUTE,
		.neigh_unreachable = NGW_CTR_NEIGH_UNREACHABLE,
		.no_headroom = NGW_CTR_NO_HEADROOM,
		.punt_hold = NGW_CTR_PUNT_HOLD,
		.punt_full = NGW_CTR_PUNT_FULL,
		.punt_hold_kind = NGW_PUNT_HOLD,
	};

	lc->app = app;
	lc->st = ngw_lcore_stats(app, idx);
	return aves_lcore_init(&lc->core, &app->base, idx, is_control, lc->st->ctr, &ids);
}

/*
 * A datagram larger than the egress MTU (a reassembled one, or a smaller MTU on the way out)
 * with DF clear is fragmented again, as any router does (RFC 791). The fragments reference
 * the datagram's payload through indirect mbufs; their headers get fresh checksums.
 */
static void
fragment(struct ngw_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop, uint64_t now)
{
	struct ngw_app *app = lc->app;
	struct rte_mbuf *out[NGW_FRAGS_MAX];
	int n, i;

	m->l2_len = 0;
	m->l3_len = (uint16_t)rte_ipv4_hdr_len(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *));
	n = rte_ipv4_fragment_packet(m, out, NGW_FRAGS_MAX, hop->mtu, app->base.pool, app->base.indirect);
	if (n < 0) {
		ngw_drop(lc, NGW_CTR_FRAG_FAILED, m);
		return;
	}
	rte_pktmbuf_free(m); /* the fragments hold their own references to its data */
	lc->st->ctr[NGW_CTR_FRAGMENTED]++;
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		aves_lcore_egress(&lc->core, out[i], hop, now);
	}
}

void
ngw_send_hop(struct ngw_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop,
	     uint64_t now)
{
	if (m->pkt_len > hop->mtu)
		fragment(lc, m, hop, now);
	else
		aves_lcore_egress(&lc->core, m, hop, now);
}

void
ngw_send(struct ngw_lcore *lc, struct rte_mbuf *m, uint64_t now)
{
	struct aves_hop hop;

	if (aves_lcore_route(&lc->core, m, &hop) == 0)
		ngw_send_hop(lc, m, &hop, now);
}

/* Keep exactly the IPv4 datagram: drop Ethernet padding after its total length. */
static void
trim_to(struct rte_mbuf *m, uint16_t ip_len)
{
	if (m->pkt_len > ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ip_len));
}

void
ngw_local_input(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt, uint64_t now)
{
	int r;

	r = aves_local_l4_verify(m, 0, pkt);
	if (r != AVES_PARSE_OK) {
		lc->st->parse[r]++;
		ngw_drop(lc, NGW_CTR_RX_IP_INVALID, m);
		return;
	}
	if (pkt->key.proto == IPPROTO_ICMP && pkt->icmp_type == RTE_IP_ICMP_ECHO_REQUEST &&
	    aves_icmp_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), pkt) == 0) {
		trim_to(m, pkt->ip_len);
		lc->st->ctr[NGW_CTR_ECHO_REPLIED]++;
		ngw_send(lc, m, now);
		return;
	}
	ngw_drop(lc, NGW_CTR_RX_LOCAL_OTHER, m);
}

void
ngw_frag_needed(struct ngw_lcore *lc, const struct rte_mbuf *orig, uint32_t src, uint16_t mtu,
		uint64_t now)
{
	struct ngw_app *app = lc->app;
	struct rte_mbuf *r;
	int refusal;

	lc->st->ctr[NGW_CTR_PMTU_DROPPED]++;
	if (!aves_ratelimit_take(&app->icmp_limit, now * 1000)) {
		lc->st->ctr[NGW_CTR_ICMP_LIMITED]++;
		return;
	}
	r = aves_build_icmp_error(app->base.pool, rte_pktmbuf_mtod(orig, const uint8_t *),
				  rte_pktmbuf_data_len(orig), src, ICMP_DEST_UNREACH,
				  ICMP_FRAG_NEEDED, mtu, lc->core.ip_id++, &refusal);
	if (r != NULL) {
		lc->st->ctr[NGW_CTR_ICMP_SENT]++;
		ngw_send(lc, r, now);
	} else if (refusal > 0 && refusal < AVES_ICMP_REFUSE_MAX) {
		lc->st->icmp_refusal[refusal]++;
		lc->st->ctr[NGW_CTR_ICMP_REFUSED]++;
	} else {
		lc->st->ctr[NGW_CTR_NO_MBUF]++;
	}
}
