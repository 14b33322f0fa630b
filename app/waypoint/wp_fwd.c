/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay path both kinds of lcore run: a worker for packets that match a binding, the
 * control lcore for packets its wait machines let through. Rewrite W -> B, encapsulate toward
 * R, tag the burst at once, fragment what exceeds the egress MTU, frame for the next hop.
 * Also what every lcore needs to originate packets: routing, next-hop resolution (punted to
 * the control lcore when unresolved), ICMP errors with per-W rate limits.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "aves_build.h"
#include "aves_cksum.h"
#include "wp.h"

const char *const wp_ctr_names[WP_CTR_MAX] = {
#define WP_CTR_NAME_(name, str) [WP_CTR_##name] = str,
	WP_COUNTERS(WP_CTR_NAME_)
#undef WP_CTR_NAME_
};

#define ICMP_DEST_UNREACH 3
#define ICMP_HOST_UNREACH 1

int
wp_lcore_init(struct wp_lcore *lc, struct wp_app *app, uint32_t idx, bool is_control,
	      uint64_t wall_us)
{
	static const struct aves_lcore_ids ids = {
		.no_route = WP_CTR_NO_ROUTE,
		.neigh_unreachable = WP_CTR_NEIGH_UNREACHABLE,
		.no_headroom = WP_CTR_NO_HEADROOM,
		.punt_hold = WP_CTR_PUNT_HOLD,
		.punt_full = WP_CTR_PUNT_FULL,
		.punt_hold_kind = WP_PUNT_HOLD,
	};
	int ret;

	memset(lc, 0, sizeof(*lc));
	lc->app = app;
	lc->st = wp_lcore_stats(app, idx);
	lc->actr = app->addr_ctr[idx];
	ret = aves_lcore_init(&lc->core, &app->base, idx, is_control, lc->st->ctr, &ids);
	if (ret != 0)
		return ret;
	/* Every lcore is a sender with its own identification and sequence space. */
	if (aves_encap_ctx_init(&lc->encap, idx, app->base.n_workers + 1, wall_us) != 0) {
		aves_lcore_fini(&lc->core);
		return -EINVAL;
	}
	return 0;
}

void
wp_lcore_fini(struct wp_lcore *lc)
{
	unsigned int i;

	for (i = 0; i < lc->n_fwd; i++)
		rte_pktmbuf_free(lc->fwd[i]);
	lc->n_fwd = 0;
	aves_lcore_fini(&lc->core);
}

void
wp_send(struct wp_lcore *lc, struct rte_mbuf *m, uint64_t now)
{
	struct aves_hop hop;

	if (aves_lcore_route(&lc->core, m, &hop) == 0)
		aves_lcore_egress(&lc->core, m, &hop, now);
}

/* Send an ICMP error built by the caller, or count why there is none. */
static void
send_icmp(struct wp_lcore *lc, struct rte_mbuf *reply, int refusal, enum wp_ctr sent,
	  uint64_t now)
{
	if (reply != NULL) {
		lc->st->ctr[sent]++;
		wp_send(lc, reply, now);
	} else if (refusal > 0 && refusal < AVES_ICMP_REFUSE_MAX) {
		lc->st->icmp_refusal[refusal]++;
		lc->st->ctr[WP_CTR_ICMP_REFUSED]++;
	} else {
		lc->st->ctr[WP_CTR_NO_MBUF]++;
	}
}

void
wp_discard(struct wp_lcore *lc, struct rte_mbuf *m, uint32_t w, enum aves_verdict v,
	   bool want_icmp, uint64_t now)
{
	struct wp_app *app = lc->app;
	struct wp_addr *a = &app->addrs[w];

	lc->st->verdict[v]++;
	lc->st->ctr[WP_CTR_DISCARDED]++;
	lc->actr[w].discarded++;
	if (want_icmp) {
		if (aves_ratelimit_take(&a->unreach, now * 1000)) {
			int refusal;
			struct rte_mbuf *r = aves_build_icmp_error(
				app->base.pool, rte_pktmbuf_mtod_offset(m, const uint8_t *,
								   RTE_ETHER_HDR_LEN),
				(uint16_t)(rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN), a->addr,
				ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, lc->core.ip_id++, &refusal);

			send_icmp(lc, r, refusal, WP_CTR_ICMP_UNREACH_SENT, now);
		} else {
			lc->st->ctr[WP_CTR_ICMP_UNREACH_LIMITED]++;
		}
	}
	rte_pktmbuf_free(m);
}

/* Drop a DF packet that the tunnel would make too big, telling its sender the MTU (§3.4). */
static void
path_mtu(struct wp_lcore *lc, struct rte_mbuf *m, uint32_t w, uint16_t egress_mtu,
	 uint64_t now)
{
	struct wp_app *app = lc->app;
	struct wp_addr *a = &app->addrs[w];

	lc->st->ctr[WP_CTR_PMTU_DROPPED]++;
	if (aves_ratelimit_take(&a->fragneeded, now * 1000)) {
		struct rte_mbuf *r = aves_icmp_frag_needed(&lc->st->tunnel, app->base.pool, m, a->addr,
							   egress_mtu, lc->core.ip_id++);

		if (r != NULL) {
			lc->st->ctr[WP_CTR_ICMP_FRAGNEEDED_SENT]++;
			wp_send(lc, r, now);
		} else {
			/* The library counted why (tunnel.frag icmp_no_mbuf, icmp_refused). */
			lc->st->ctr[WP_CTR_ICMP_REFUSED]++;
		}
	} else {
		lc->st->ctr[WP_CTR_ICMP_FRAGNEEDED_LIMITED]++;
	}
	rte_pktmbuf_free(m);
}

void
wp_fwd_prepare(struct wp_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
	       const struct wp_binding *e, uint64_t now)
{
	struct wp_app *app = lc->app;
	uint32_t w_addr = app->addrs[e->w].addr;
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	struct aves_encap_params params;
	struct aves_hop hop;
	uint16_t data_len;

	if (aves_route_lookup(app->base.routes, e->b.nat, &hop) != 0) {
		wp_drop(lc, WP_CTR_NO_ROUTE, m);
		return;
	}
	/* From here on the packet starts at its IPv4 header and ends with it. */
	rte_pktmbuf_adj(m, pkt->l3_off);
	data_len = rte_pktmbuf_data_len(m);
	if (data_len > pkt->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(data_len - pkt->ip_len));
	if (aves_mtu_check(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *), hop.mtu) ==
	    AVES_MTU_FRAG_NEEDED) {
		path_mtu(lc, m, e->w, hop.mtu, now);
		return;
	}
	/* [A -> W] becomes [A -> B]; an ICMP error from A quotes our [W -> A], which becomes
	 * the [B -> A] that B sent. pkt's offsets still count the Ethernet header. */
	aves_rewrite_dst(buf, pkt, e->b.responder, 0, AVES_RW_ADDR);
	if ((pkt->flags & AVES_PKT_F_ICMP_ERROR) && pkt->inner.key.src == w_addr)
		aves_rewrite_inner_src(buf, pkt, e->b.responder, 0, AVES_RW_ADDR);

	params = (struct aves_encap_params){
		.key = e->key,
		.outer_src = w_addr,
		.outer_dst = e->b.nat,
		.waypoint = w_addr,
		.flow_hash = wp_flow_hash(&pkt->key, (pkt->flags & AVES_PKT_F_FRAG) != 0),
		.dport = e->b.gw_port,
		.type = AVES_TYPE_FORWARD,
	};
	AVES_PROBE(REWRITE);
	if (aves_encap(&lc->encap, &lc->st->tunnel, m, &params, 0) != AVES_ENCAP_OK) {
		AVES_PROBE(ENCAP);
		wp_drop(lc, WP_CTR_ENCAP_FAILED, m);
		return;
	}
	AVES_PROBE(ENCAP);
	lc->actr[e->w].fwd_pkts++;
	lc->actr[e->w].fwd_bytes += pkt->ip_len;
	if (lc->n_fwd == WP_BURST_MAX)
		wp_fwd_flush(lc, now);
	lc->fwd[lc->n_fwd] = m;
	lc->fwd_key[lc->n_fwd] = e->key;
	lc->fwd_hop[lc->n_fwd] = hop;
	lc->n_fwd++;
}

void
wp_fwd_flush(struct wp_lcore *lc, uint64_t now)
{
	struct wp_app *app = lc->app;
	struct rte_mbuf *orig[WP_BURST_MAX];
	struct rte_mbuf *out[WP_FRAGS_MAX];
	uint16_t n = lc->n_fwd, tagged, i, j = 0;
	int k, nfr;

	if (n == 0)
		return;
	memcpy(orig, lc->fwd, n * sizeof(orig[0]));
	AVES_PROBE(REWRITE);
	/* A tag-off bench run (aves_probe.h) sends the zeroed tag space aves_encap() left. */
	tagged = AVES_BENCH_TAG_ON() ?
		 aves_tag_burst(lc->core.auth, &lc->st->tunnel, lc->fwd, lc->fwd_key, n) : n;
	AVES_PROBE(TAG);
	for (i = 0; i < tagged; i++) {
		struct rte_mbuf *m = lc->fwd[i];
		const struct aves_hop *hop;

		/* Tagged packets keep their order: find this one's hop by walking forward. */
		while (orig[j] != m)
			j++;
		hop = &lc->fwd_hop[j++];
		nfr = aves_frag_packet(&lc->st->tunnel, m, hop->mtu, 0, app->base.pool, app->base.indirect,
				       out, WP_FRAGS_MAX);
		if (nfr < 0) {
			wp_drop(lc, WP_CTR_FRAG_FAILED, m);
			continue;
		}
		lc->st->ctr[WP_CTR_FWD_PKTS]++;
		for (k = 0; k < nfr; k++)
			aves_lcore_egress(&lc->core, out[k], hop, now);
	}
	for (i = tagged; i < n; i++)
		wp_drop(lc, WP_CTR_TAG_FAILED, lc->fwd[i]);
	lc->n_fwd = 0;
}
