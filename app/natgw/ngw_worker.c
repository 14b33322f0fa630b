/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore: RX -> classify -> (reassemble) -> verify and decapsulate tunnel packets ->
 * look sessions up in bulk -> translate and send | hand over | answer, one RSS queue per port,
 * bursts throughout. Shared tables are only read; a packet that needs a session created goes
 * to the control lcore through the punt ring, in arrival order. With RSS, the two directions
 * of a session usually land on different workers: both only read the session, and write its
 * liveness and TCP state with atomics.
 *
 * Per packet: no allocation (except mbufs for fragments and ICMP), no lock, no system call,
 * no log. Every packet ends in exactly one place: sent, handed over, held by reassembly, or
 * dropped under a counter.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "ngw.h"

/* Packets of a burst waiting for one bulk lookup. */
struct ngw_batch {
	uint16_t n;
	struct rte_mbuf *m[NGW_BURST_MAX];
	struct aves_pkt pkt[NGW_BURST_MAX];
	uint16_t port[NGW_BURST_MAX];	/* arrival port id */
	uint32_t w[NGW_BURST_MAX];	/* inbound: W of a tunnelled packet, 0 for direct */
};

/* Tunnel packets of a burst, verified together. */
struct ngw_tun_batch {
	uint16_t n;
	struct rte_mbuf *m[NGW_BURST_MAX];
	uint16_t port[NGW_BURST_MAX];
};

struct ngw_worker {
	struct ngw_lcore lc;
	struct aves_reasm *reasm;	/* private: this worker's fragments */
	uint32_t pub;			/* the public address, loaded once per burst */
	struct ngw_batch out;		/* from inside: outbound table */
	struct ngw_batch in;		/* from outside and the tunnel: inbound table */
	struct ngw_tun_batch tun;
	struct aves_idle idle;
	struct aves_clock clock;
};

struct ngw_worker *
ngw_worker_create(struct ngw_app *app, uint32_t idx)
{
	const struct ngw_config *cfg = &app->cfg;
	struct aves_reasm_params rp = {
		.general = { .max_datagrams = cfg->reasm_datagrams,
			     .max_per_source = cfg->reasm_per_source },
		.trusted = { .max_datagrams = cfg->reasm_trusted_datagrams,
			     .max_per_source = cfg->reasm_trusted_per_source },
		.timeout_cycles = cfg->reasm_timeout_ms, /* `now` is in milliseconds here */
		.linear_pool = app->base.big,
		.socket_id = SOCKET_ID_ANY,
	};
	struct ngw_worker *w;

	w = rte_zmalloc("ngw_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL)
		return NULL;
	if (ngw_lcore_init(&w->lc, app, idx, false) != 0) {
		rte_free(w);
		return NULL;
	}
	w->reasm = aves_reasm_create(&rp);
	if (w->reasm == NULL || rte_rcu_qsbr_thread_register(app->base.qsbr, idx) != 0) {
		ngw_worker_free(w);
		return NULL;
	}
	aves_idle_init(&w->idle, app->base.idle_pause_after, app->base.idle_sleep_after,
		       app->base.idle_sleep_us);
	aves_clock_init(&w->clock);
	return w;
}

static void
batch_free(struct ngw_batch *b)
{
	uint16_t i;

	for (i = 0; i < b->n; i++)
		rte_pktmbuf_free(b->m[i]);
	b->n = 0;
}

void
ngw_worker_free(struct ngw_worker *w)
{
	uint16_t i;

	if (w == NULL)
		return;
	rte_rcu_qsbr_thread_unregister(w->lc.app->base.qsbr, w->lc.core.idx);
	batch_free(&w->out);
	batch_free(&w->in);
	for (i = 0; i < w->tun.n; i++)
		rte_pktmbuf_free(w->tun.m[i]);
	aves_lcore_fini(&w->lc.core);
	aves_reasm_free(w->reasm);
	rte_free(w);
}

void
ngw_worker_online(struct ngw_worker *w)
{
	rte_rcu_qsbr_thread_online(w->lc.app->base.qsbr, w->lc.core.idx);
}

void
ngw_worker_offline(struct ngw_worker *w)
{
	rte_rcu_qsbr_thread_offline(w->lc.app->base.qsbr, w->lc.core.idx);
}

uint32_t
ngw_worker_reasm_pending(const struct ngw_worker *w, bool trusted)
{
	return aves_reasm_pending(w->reasm, trusted);
}

/* ---------------------------------------------------------------------------------------- */
/* Inbound: NAPT return traffic and decapsulated tunnel packets                              */
/* ---------------------------------------------------------------------------------------- */

static void
in_flush(struct ngw_worker *w, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	struct ngw_batch *b = &w->in;
	struct ngw_in_key keys[NGW_BURST_MAX] __rte_aligned(8);
	const void *kp[NGW_BURST_MAX];
	void *ent[NGW_BURST_MAX];
	struct ngw_session *sess[NGW_BURST_MAX];
	uint64_t hits;
	uint16_t i;

	if (b->n == 0)
		return;
	AVES_PROBE(PARSE);
	for (i = 0; i < b->n; i++) {
		ngw_in_key(&b->pkt[i], b->w[i], &keys[i]);
		kp[i] = &keys[i];
	}
	aves_table_lookup_bulk(app->inbound, kp, b->n, ent, &hits);
	/* Two dependent misses per packet (reference, then session): start all of the first
	 * kind, then all of the second, rather than one after another in the loop below. */
	for (i = 0; i < b->n; i++)
		rte_prefetch0(ent[i]);
	for (i = 0; i < b->n; i++) {
		sess[i] = ent[i] != NULL ? ((const struct ngw_ref *)ent[i])->s : NULL;
		rte_prefetch0(sess[i]);
	}
	AVES_PROBE(LOOKUP);
	for (i = 0; i < b->n; i++) {
		struct ngw_session *s = sess[i];
		struct aves_pkt *pkt = &b->pkt[i];

		if (s != NULL && !ngw_session_usable(app, s, w->pub, now)) {
			lc->st->ctr[NGW_CTR_STALE_SESSION]++;
			s = NULL;
		}
		if (s != NULL)
			ngw_forward_in(lc, b->m[i], pkt, s, now);
		else if (pkt->flags & AVES_PKT_F_ICMP_ERROR)
			ngw_drop(lc, NGW_CTR_ICMP_NO_SESSION, b->m[i]);
		else if (b->w[i] != 0)
			ngw_punt(lc, b->m[i], NGW_PUNT_AVES, b->port[i], b->w[i],
				 NGW_CTR_PUNT_AVES);
		else
			ngw_drop(lc, NGW_CTR_NO_SESSION, b->m[i]);
	}
	AVES_PROBE(REWRITE);
	b->n = 0;
}

static void
batch_add(struct ngw_batch *b, struct rte_mbuf *m, const struct aves_pkt *pkt, uint16_t port,
	  uint32_t waypoint)
{
	b->m[b->n] = m;
	b->pkt[b->n] = *pkt;
	b->port[b->n] = port;
	b->w[b->n] = waypoint;
	b->n++;
}

/* Whether reassembly may put a new datagram from @p src in the trusted table: a configured
 * waypoint prefix, or a waypoint that recently created reply paths (or still has some). */
static bool
trusted_source(const struct ngw_app *app, uint32_t src, uint64_t now)
{
	const struct ngw_config *cfg = &app->cfg;
	const uint32_t key __rte_aligned(8) = src;
	const struct ngw_trust *t;
	unsigned int i;

	for (i = 0; i < cfg->n_trusted; i++) {
		uint32_t mask = cfg->trusted_len[i] == 0 ? 0 :
			rte_cpu_to_be_32(~UINT32_C(0) << (32 - cfg->trusted_len[i]));

		if ((src & mask) == cfg->trusted[i])
			return true;
	}
	t = aves_table_lookup(app->trust, &key);
	return t != NULL && (atomic_load_explicit(&t->sessions, memory_order_relaxed) != 0 ||
			     atomic_load_explicit(&t->until_ms, memory_order_relaxed) > now);
}

/*
 * Parse a packet (data at IPv4) and, when it is a fragment, hand it to reassembly: NULL when
 * it was held or dropped, else the packet to go on with (the whole datagram, parsed).
 * Inner packets were authenticated: they are always trusted.
 */
static struct rte_mbuf *
parse_whole(struct ngw_worker *w, struct rte_mbuf *m, struct aves_pkt *pkt, bool inner,
	    bool trusted, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	uint64_t *reasons = inner ? lc->st->inner_parse : lc->st->parse;
	enum ngw_ctr bad = inner ? NGW_CTR_INNER_INVALID : NGW_CTR_RX_IP_INVALID;
	/* Inner packets carry no NIC flags of their own (aves_fwd_parse_flags() for the rest;
	 * packets for the gateway itself are verified in ngw_local_input()). */
	unsigned int flags = inner ? 0 : aves_fwd_parse_flags(m);
	int r;

	r = aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), 0,
			    flags, pkt);
	if (r != AVES_PARSE_OK) {
		reasons[r]++;
		ngw_drop(lc, bad, m);
		return NULL;
	}
	if (!(pkt->flags & AVES_PKT_F_FRAG))
		return m;
	if (m->pkt_len > pkt->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - pkt->ip_len));
	m = aves_reasm_packet(w->reasm, &lc->st->tunnel, m, trusted, now);
	if (m == NULL)
		return NULL;
	lc->st->ctr[NGW_CTR_REASSEMBLED]++;
	/* Whole now: parsed again for its L4 header (its checksum, as above, is left alone). */
	r = aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), 0, 0,
			    pkt);
	if (r != AVES_PARSE_OK) {
		reasons[r]++;
		ngw_drop(lc, bad, m);
		return NULL;
	}
	return m;
}

#ifdef AVES_BENCH_STAGES
/*
 * Tag-off bench runs only (aves_probe.h): what aves_verify_burst() leaves of a packet it
 * accepts — the inner packet, exactly as long as the outer length says, and W — with none of
 * its checks, so that a tag-off run shows the whole cost of verification by difference. The
 * packets come from the bench's own generator; the length check keeps every read inside them.
 */
static void
tun_decap_unverified(struct ngw_tun_batch *b, enum aves_rx_verdict *verdicts,
		     struct aves_rx_info *info)
{
	const uint16_t hdr_off = AVES_TUNNEL_PREPEND_LEN - AVES_TUNNEL_HDR_LEN;
	uint16_t i;

	for (i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->m[i];
		const struct aves_tunnel_hdr *h;

		verdicts[i] = AVES_RX_SHORT;
		if (!rte_pktmbuf_is_contiguous(m) ||
		    m->pkt_len < AVES_TUNNEL_OVERHEAD + sizeof(struct rte_ipv4_hdr))
			continue;
		h = rte_pktmbuf_mtod_offset(m, const struct aves_tunnel_hdr *, hdr_off);
		info[i].waypoint = h->waypoint;
		rte_pktmbuf_adj(m, AVES_TUNNEL_PREPEND_LEN);
		rte_pktmbuf_trim(m, AVES_TAG_LEN);
		verdicts[i] = AVES_RX_OK;
	}
}
#else
/* Every other build verifies: there is no unverified path to take. */
#define tun_decap_unverified(b, verdicts, info) do { } while (0)
#endif

static void
tun_flush(struct ngw_worker *w, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	struct ngw_tun_batch *b = &w->tun;
	const struct aves_rx_filter filter = {
		.dst_addr = w->pub,
		.dst_mask = UINT32_MAX,
		.port = (uint16_t)app->cfg.tunnel_port,
		.type = AVES_TYPE_FORWARD,
	};
	enum aves_rx_verdict verdicts[NGW_BURST_MAX];
	struct aves_rx_info info[NGW_BURST_MAX];
	struct aves_pkt pkt;
	uint16_t i;

	if (b->n == 0)
		return;
	AVES_PROBE(PARSE);
	if (AVES_BENCH_TAG_ON()) {
		aves_verify_burst(lc->core.auth, app->keys, &filter, &lc->st->tunnel, b->m, b->n,
				  verdicts, info);
		AVES_PROBE(TAG);
	} else {
		tun_decap_unverified(b, verdicts, info);
		AVES_PROBE(ENCAP);
	}
	for (i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->m[i];

		if (verdicts[i] != AVES_RX_OK) {
			ngw_drop(lc, NGW_CTR_AVES_REJECTED, m);
			continue;
		}
		m = parse_whole(w, m, &pkt, true, true, now);
		if (m == NULL)
			continue;
		if (w->in.n == NGW_BURST_MAX)
			in_flush(w, now);
		batch_add(&w->in, m, &pkt, b->port[i], info[i].waypoint);
	}
	AVES_PROBE(PARSE);
	b->n = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Outbound: from the inside networks                                                        */
/* ---------------------------------------------------------------------------------------- */

static bool
is_local(const struct ngw_worker *w, uint32_t addr)
{
	uint32_t value;

	return addr == w->pub || aves_addr_map_lookup(w->lc.app->base.local, addr, &value) == 0;
}

/* Echo, timestamp, information and address mask requests (RFC 792, RFC 950). */
static bool
icmp_request(const struct aves_pkt *pkt)
{
	return (pkt->flags & AVES_PKT_F_ICMP_QUERY) &&
	       (pkt->icmp_type == 8 || pkt->icmp_type == 13 || pkt->icmp_type == 15 ||
		pkt->icmp_type == 17);
}

/* A packet from inside that no session knows: ours, not ours to forward, or a new NAPT
 * session for the control lcore to create. */
static void
out_miss(struct ngw_worker *w, struct rte_mbuf *m, struct aves_pkt *pkt, uint16_t port,
	 uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	uint32_t dst = pkt->key.dst;
	struct aves_hop hop;

	if (is_local(w, dst)) {
		ngw_local_input(lc, m, pkt, now);
		return;
	}
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR) {
		ngw_drop(lc, NGW_CTR_ICMP_NO_SESSION, m);
		return;
	}
	/* Multicast, limited broadcast and anything routed back inside stay inside; of ICMP,
	 * only a query's request opens a session (a reply or an advertisement answers nothing
	 * we sent). */
	if (aves_ipv4_first_octet(dst) >= 224 ||
	    (pkt->key.proto == IPPROTO_ICMP && !icmp_request(pkt)) ||
	    aves_route_lookup(app->base.routes, dst, &hop) != 0 ||
	    app->base.port_index[hop.port] == AVES_APP_NO_PORT ||
	    app->cfg.side[app->base.port_index[hop.port]] != NGW_OUTSIDE) {
		ngw_drop(lc, NGW_CTR_RX_NOT_FORWARDED, m);
		return;
	}
	ngw_punt(lc, m, NGW_PUNT_NAPT, port, 0, NGW_CTR_PUNT_NAPT);
}

static void
out_flush(struct ngw_worker *w, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	struct ngw_batch *b = &w->out;
	struct aves_flow_key keys[NGW_BURST_MAX] __rte_aligned(8);
	const void *kp[NGW_BURST_MAX];
	void *ent[NGW_BURST_MAX];
	uint64_t hits;
	uint16_t i;

	if (b->n == 0)
		return;
	AVES_PROBE(PARSE);
	for (i = 0; i < b->n; i++) {
		ngw_out_key(&b->pkt[i], &keys[i]);
		kp[i] = &keys[i];
	}
	aves_table_lookup_bulk(app->sessions, kp, b->n, ent, &hits);
	for (i = 0; i < b->n; i++)
		rte_prefetch0(ent[i]);
	AVES_PROBE(LOOKUP);
	for (i = 0; i < b->n; i++) {
		struct ngw_session *s = ent[i];

		if (s != NULL && !ngw_session_usable(app, s, w->pub, now)) {
			lc->st->ctr[NGW_CTR_STALE_SESSION]++;
			s = NULL;
		}
		if (s != NULL)
			ngw_forward_out(lc, b->m[i], &b->pkt[i], s, b->port[i], now);
		else
			out_miss(w, b->m[i], &b->pkt[i], b->port[i], now);
	}
	AVES_PROBE(REWRITE);
	b->n = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Classification                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* An IPv4 packet (data at its header) that arrived on @p port. */
static void
ip_input(struct ngw_worker *w, uint16_t port, uint8_t side, struct rte_mbuf *m, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	struct aves_pkt pkt;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	bool trusted = false;

	/* Enough of the header for the source, read only when it is a fragment. */
	if (side == NGW_OUTSIDE && rte_pktmbuf_data_len(m) >= sizeof(*ip) &&
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		trusted = trusted_source(app, ip->src_addr, now);
	m = parse_whole(w, m, &pkt, false, trusted, now);
	if (m == NULL)
		return;
	if (side == NGW_INSIDE) {
		if (w->out.n == NGW_BURST_MAX)
			out_flush(w, now);
		batch_add(&w->out, m, &pkt, port, 0);
		return;
	}
	if (pkt.key.dst != w->pub) {
		uint32_t value;

		if (aves_addr_map_lookup(app->base.local, pkt.key.dst, &value) == 0)
			ngw_local_input(lc, m, &pkt, now);
		else
			ngw_drop(lc, NGW_CTR_RX_NOT_LOCAL, m);
		return;
	}
	if (pkt.key.proto == IPPROTO_UDP &&
	    pkt.key.dport == rte_cpu_to_be_16(app->cfg.tunnel_port)) {
		if (m->pkt_len > pkt.ip_len)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - pkt.ip_len));
		if (w->tun.n == NGW_BURST_MAX)
			tun_flush(w, now);
		w->tun.m[w->tun.n] = m;
		w->tun.port[w->tun.n++] = port;
		return;
	}
	if (pkt.key.proto == IPPROTO_ICMP && pkt.icmp_type == RTE_IP_ICMP_ECHO_REQUEST) {
		ngw_local_input(lc, m, &pkt, now);
		return;
	}
	if (w->in.n == NGW_BURST_MAX)
		in_flush(w, now);
	batch_add(&w->in, m, &pkt, port, 0);
}

static bool
frame_for_us(const struct rte_ether_hdr *eth, const struct rte_ether_addr *mine, bool arp)
{
	if (rte_is_same_ether_addr(&eth->dst_addr, mine))
		return true;
	return arp && rte_is_broadcast_ether_addr(&eth->dst_addr);
}

uint16_t
ngw_worker_process(struct ngw_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		   uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	struct ngw_app *app = lc->app;
	const struct rte_ether_addr *mine = aves_neigh_port_mac(app->base.neigh, port);
	uint8_t idx = app->base.port_index[port];
	uint8_t side = idx != AVES_APP_NO_PORT ? app->cfg.side[idx] : NGW_OUTSIDE;
	uint16_t i;

	aves_lcore_burst_begin(&lc->core);
	w->pub = ngw_public(app);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

		aves_tx_count_rx(&lc->core.tx, port, m->pkt_len);
		if (idx == AVES_APP_NO_PORT) {
			ngw_drop(lc, NGW_CTR_RX_NOT_OURS, m);
			continue;
		}
		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) {
			ngw_drop(lc, NGW_CTR_RX_ETH_SHORT, m);
			continue;
		}
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			if (frame_for_us(eth, mine, true))
				ngw_punt(lc, m, NGW_PUNT_ARP, port, 0, NGW_CTR_PUNT_ARP);
			else
				ngw_drop(lc, NGW_CTR_RX_NOT_OURS, m);
			continue;
		}
		if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			ngw_drop(lc, NGW_CTR_RX_ETHERTYPE, m);
			continue;
		}
		if (!frame_for_us(eth, mine, false)) {
			ngw_drop(lc, NGW_CTR_RX_NOT_OURS, m);
			continue;
		}
		/* From here on every packet starts at its IPv4 header. */
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		ip_input(w, port, side, m, now);
	}
	tun_flush(w, now);
	in_flush(w, now);
	out_flush(w, now);
	aves_lcore_punt_flush(&lc->core);
	aves_tx_flush(&lc->core.tx);
	AVES_PROBE(TX);
	return n;
}

static uint16_t
process_burst(void *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	return ngw_worker_process(w, port, pkts, n, now);
}

unsigned int
ngw_worker_poll(struct ngw_worker *w, uint64_t now)
{
	struct ngw_lcore *lc = &w->lc;
	const struct aves_appliance *b = &lc->app->base;
	unsigned int total = aves_worker_rx(b, lc->core.idx, process_burst, w, now);

	if (total == 0)
		aves_reasm_expire(w->reasm, &lc->st->tunnel, now);
	/* Every entry pointer of this iteration is dead: the control lcore may reclaim. */
	rte_rcu_qsbr_quiescent(b->qsbr, lc->core.idx);
	return total;
}

int
ngw_worker_main(void *arg)
{
	struct ngw_worker *w = arg;

	ngw_worker_online(w);
	while (aves_running())
		aves_idle_poll(&w->idle, ngw_worker_poll(w, aves_clock_ms(&w->clock)));
	ngw_worker_offline(w);
	return 0;
}
