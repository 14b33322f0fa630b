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
	memset(lc, 0, sizeof(*lc));
	lc->app = app;
	lc->idx = idx;
	lc->is_control = is_control;
	lc->auth = aves_auth_ctx_create();
	if (lc->auth == NULL)
		return -ENOMEM;
	lc->st = app->base.stats[idx];
	aves_tx_init(&lc->tx, (uint16_t)idx, lc->st->port);
	return 0;
}

void
ngw_lcore_fini(struct ngw_lcore *lc)
{
	unsigned int i;

	for (i = 0; i < lc->n_punt; i++)
		rte_pktmbuf_free(lc->punt[i].m);
	lc->n_punt = 0;
	aves_tx_flush(&lc->tx);
	aves_auth_ctx_free(lc->auth);
	lc->auth = NULL;
}

void
ngw_punt_flush(struct ngw_lcore *lc)
{
	unsigned int put, i;

	if (lc->n_punt == 0)
		return;
	put = aves_punt_put(lc->app->base.punt, lc->punt, lc->n_punt);
	for (i = put; i < lc->n_punt; i++)
		ngw_drop(lc, NGW_CTR_PUNT_FULL, lc->punt[i].m);
	lc->n_punt = 0;
}

/* Frame @p m (data at IPv4) for @p hop and buffer it, or hand it to whoever resolves. */
static void
egress(struct ngw_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop, uint64_t now)
{
	struct ngw_app *app = lc->app;

	if (!lc->nh_valid || lc->nh_port != hop->port || lc->nh_ip != hop->nh) {
		switch (aves_neigh_lookup(app->base.neigh, hop->port, hop->nh, &lc->nh_mac)) {
		case AVES_NEIGH_OK:
			lc->nh_valid = true;
			lc->nh_port = hop->port;
			lc->nh_ip = hop->nh;
			break;
		case AVES_NEIGH_PENDING:
			lc->nh_valid = false;
			if (lc->is_control)
				aves_neigh_output(app->base.neigh, &lc->tx, hop->port, hop->nh, m, now);
			else
				ngw_punt(lc, m, NGW_PUNT_HOLD, hop->port, hop->nh,
					 NGW_CTR_PUNT_HOLD);
			return;
		default:
			lc->nh_valid = false;
			ngw_drop(lc, NGW_CTR_NEIGH_UNREACHABLE, m);
			return;
		}
	}
	if (aves_eth_prepend(m, aves_neigh_port_mac(app->base.neigh, hop->port), &lc->nh_mac,
			     RTE_ETHER_TYPE_IPV4) != 0) {
		ngw_drop(lc, NGW_CTR_NO_HEADROOM, m);
		return;
	}
	aves_tx_push(&lc->tx, hop->port, m);
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
		egress(lc, out[i], hop, now);
	}
}

void
ngw_send_hop(struct ngw_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop,
	     uint64_t now)
{
	if (m->pkt_len > hop->mtu)
		fragment(lc, m, hop, now);
	else
		egress(lc, m, hop, now);
}

void
ngw_send(struct ngw_lcore *lc, struct rte_mbuf *m, uint64_t now)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct aves_hop hop;

	if (aves_route_lookup(lc->app->base.routes, ip->dst_addr, &hop) != 0) {
		ngw_drop(lc, NGW_CTR_NO_ROUTE, m);
		return;
	}
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
				  ICMP_FRAG_NEEDED, mtu, lc->ip_id++, &refusal);
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
