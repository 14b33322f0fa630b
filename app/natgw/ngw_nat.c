/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Applying a session to a packet, in either direction: the address and port rewrites between
 * O (the inside view) and T (the outside view) of ngw.h, with every checksum kept right by
 * lib/aves_flow's incremental rewrites — including the header an ICMP error quotes, which is
 * translated to what its receiver sent (RFC 5508 §3.4, the paper §5.3). Both the workers and
 * the control lcore forward through here.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "aves_cksum.h"
#include "ngw.h"

#define RW_BOTH (AVES_RW_ADDR | AVES_RW_PORT)

void
ngw_out_key(const struct aves_pkt *pkt, struct aves_flow_key *key)
{
	*key = (pkt->flags & AVES_PKT_F_ICMP_ERROR) ? ngw_flow_reverse(&pkt->inner.key) :
						      pkt->key;
}

void
ngw_in_key(const struct aves_pkt *pkt, uint32_t waypoint, struct ngw_in_key *key)
{
	memset(key, 0, sizeof(*key));
	ngw_out_key(pkt, &key->flow);
	key->waypoint = waypoint;
}

/*
 * Outbound: O -> T. The outer source becomes T's source, the destination T's destination
 * (only multi-homed sessions change it: I:pi -> A:pa). An ICMP error about the flow quotes a
 * packet that travelled inward, reverse(O): it becomes reverse(T), and the error's own
 * source, whoever sent it (the host, or a router on the inside), becomes T's source too —
 * no inside address leaves the gateway.
 */
static void
translate_out(uint8_t *buf, struct aves_pkt *pkt, const struct ngw_session *s)
{
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR) {
		aves_rewrite_src(buf, pkt, s->t_src, 0, AVES_RW_ADDR);
		aves_rewrite_dst(buf, pkt, s->t_dst, 0, AVES_RW_ADDR);
		aves_rewrite_inner_src(buf, pkt, s->t_dst, s->t_dport, RW_BOTH);
		aves_rewrite_inner_dst(buf, pkt, s->t_src, s->t_sport, RW_BOTH);
		return;
	}
	aves_rewrite_src(buf, pkt, s->t_src, s->t_sport, RW_BOTH);
	aves_rewrite_dst(buf, pkt, s->t_dst, s->t_dport, RW_BOTH);
}

/*
 * Inbound: reverse(T) -> reverse(O). A tunnelled packet arrives with its destination already
 * B (the waypoint rewrote W), which is O's source: rewriting it to O's source changes nothing,
 * so one rule serves NAPT return traffic and tunnelled packets alike. An ICMP error quotes a
 * packet that travelled outward, T (from the tunnel: with its source already B), and becomes
 * an error about O. Its outer source is kept unless it is T's destination (the peer itself,
 * multi-homed: A becomes I, the only peer B knows).
 */
static void
translate_in(uint8_t *buf, struct aves_pkt *pkt, const struct ngw_session *s)
{
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR) {
		if (pkt->key.src == s->t_dst)
			aves_rewrite_src(buf, pkt, s->orig.dst, 0, AVES_RW_ADDR);
		aves_rewrite_dst(buf, pkt, s->orig.src, 0, AVES_RW_ADDR);
		aves_rewrite_inner_src(buf, pkt, s->orig.src, s->orig.sport, RW_BOTH);
		aves_rewrite_inner_dst(buf, pkt, s->orig.dst, s->orig.dport, RW_BOTH);
		return;
	}
	aves_rewrite_src(buf, pkt, s->orig.dst, s->orig.dport, RW_BOTH);
	aves_rewrite_dst(buf, pkt, s->orig.src, s->orig.sport, RW_BOTH);
}

/*
 * A session holds one TCP connection (its 5-tuple), and the gateway sees both directions,
 * on different workers when RSS splits them: the connection's state is one atomic byte,
 * advanced by compare-and-swap, so every transition is applied to the session exactly once.
 * HTTP sessions are not tracked (§5.2): they end by their 20-minute timeout.
 */
static void
tcp_track(struct ngw_session *s, const struct aves_pkt *pkt, bool out, uint16_t resp_port)
{
	bool from_initiator = out == (s->kind == NGW_NAPT);
	enum aves_tcp_input in = aves_tcp_classify(pkt->tcp_flags, from_initiator, true);
	uint8_t old = atomic_load_explicit(&s->tcp, memory_order_relaxed), next;
	enum aves_tcp_effect effect;

	if (resp_port == AVES_HTTP_PORT)
		return;
	for (;;) {
		next = old;
		effect = aves_tcp_step(&next, in);
		if (next == old ||
		    atomic_compare_exchange_weak_explicit(&s->tcp, &old, next,
							  memory_order_relaxed,
							  memory_order_relaxed))
			break;
	}
	aves_live_conn_apply(&s->live, effect);
}

/* Record a packet of the session (not an ICMP error: errors keep nothing alive). */
static void
touch(struct ngw_session *s, const struct aves_pkt *pkt, bool out, uint64_t now)
{
	/* The responder's port: the Internet host's for NAPT, B's for AVES. */
	uint16_t resp_port = rte_be_to_cpu_16(s->kind == NGW_NAPT ? s->orig.dport :
							     s->orig.sport);

	aves_live_touch(&s->live, pkt->key.proto, resp_port, now);
	if (pkt->key.proto == IPPROTO_TCP)
		tcp_track(s, pkt, out, resp_port);
}

/* Make @p m exactly the datagram @p pkt describes (Ethernet padding dropped). */
static void
trim(struct rte_mbuf *m, const struct aves_pkt *pkt)
{
	if (m->pkt_len > pkt->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - pkt->ip_len));
}

void
ngw_forward_out(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
		struct ngw_session *s, uint16_t in_port, uint64_t now)
{
	struct ngw_app *app = lc->app;
	bool error = (pkt->flags & AVES_PKT_F_ICMP_ERROR) != 0;
	struct aves_hop hop;

	if (!error)
		touch(s, pkt, true, now);
	if (aves_route_lookup(app->base.routes, s->t_dst, &hop) != 0) {
		ngw_drop(lc, NGW_CTR_NO_ROUTE, m);
		return;
	}
	trim(m, pkt);
	if (pkt->ip_len > hop.mtu && (pkt->flags & AVES_PKT_F_DF)) {
		uint8_t idx = app->base.port_index[in_port];

		ngw_frag_needed(lc, m, idx != AVES_APP_NO_PORT ? app->base.ports[idx].addr :
			       app->base.ports[app->outside].addr, hop.mtu, now);
		rte_pktmbuf_free(m);
		return;
	}
	translate_out(rte_pktmbuf_mtod(m, uint8_t *), pkt, s);
	lc->st->ctr[s->kind == NGW_NAPT ? NGW_CTR_NAPT_OUT : NGW_CTR_AVES_OUT]++;
	if (error)
		lc->st->ctr[NGW_CTR_ICMP_ERR_OUT]++;
	ngw_send_hop(lc, m, &hop, now);
}

void
ngw_forward_in(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
	       struct ngw_session *s, uint64_t now)
{
	struct ngw_app *app = lc->app;
	bool error = (pkt->flags & AVES_PKT_F_ICMP_ERROR) != 0;
	struct aves_hop hop;

	if (!error)
		touch(s, pkt, false, now);
	if (aves_route_lookup(app->base.routes, s->orig.src, &hop) != 0) {
		ngw_drop(lc, NGW_CTR_NO_ROUTE, m);
		return;
	}
	trim(m, pkt);
	if (pkt->ip_len > hop.mtu && (pkt->flags & AVES_PKT_F_DF)) {
		uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t from = ngw_public(app);

		/* The sender must hear it from the address it sent to: R, or for a tunnelled
		 * packet W, quoting the packet as it left the initiator ([A -> W]). */
		if (s->kind != NGW_NAPT) {
			from = s->t_src;
			aves_rewrite_dst(buf, pkt, from, 0, AVES_RW_ADDR);
		}
		ngw_frag_needed(lc, m, from, hop.mtu, now);
		rte_pktmbuf_free(m);
		return;
	}
	translate_in(rte_pktmbuf_mtod(m, uint8_t *), pkt, s);
	lc->st->ctr[s->kind == NGW_NAPT ? NGW_CTR_NAPT_IN : NGW_CTR_AVES_IN]++;
	if (error)
		lc->st->ctr[NGW_CTR_ICMP_ERR_IN]++;
	ngw_send_hop(lc, m, &hop, now);
}
