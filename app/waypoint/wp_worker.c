/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore: RX -> classify -> (relay | hand over | answer) -> tag -> TX, one RSS queue
 * per port, bursts throughout. Shared tables are only read (bulk lookups); what needs a
 * decision that creates state goes to the control lcore through the punt ring. The worker's
 * own TCP connection table (FIN tracking) is private: RSS keeps a connection on one queue.
 *
 * Per packet: no allocation (except ICMP replies from the pool), no lock, no system call, no
 * log. Every packet ends in exactly one place: sent, handed over, or dropped under a counter.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "aves_build.h"
#include "wp.h"

struct wp_worker {
	struct wp_lcore lc;
	struct aves_table *conns;	/* private: flow key -> struct wp_conn */
	uint32_t conn_cursor;
	struct aves_idle idle;
	struct aves_clock clock;
};

struct wp_worker *
wp_worker_create(struct wp_app *app, uint32_t idx, uint32_t conn_capacity, uint64_t wall_us)
{
	struct aves_table_params tp;
	struct wp_worker *w;
	char name[AVES_TABLE_NAME_MAX + 1];

	w = rte_zmalloc("wp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL)
		return NULL;
	if (wp_lcore_init(&w->lc, app, idx, false, wall_us) != 0) {
		rte_free(w);
		return NULL;
	}
	snprintf(name, sizeof(name), "wp_conn%u", idx);
	tp = (struct aves_table_params){
		.name = name,
		.capacity = conn_capacity,
		.key_len = sizeof(struct aves_flow_key),
		.entry_size = sizeof(struct wp_conn),
		.socket_id = SOCKET_ID_ANY,
		.mode = AVES_TABLE_PRIVATE,
	};
	w->conns = aves_table_create(&tp);
	if (w->conns == NULL || rte_rcu_qsbr_thread_register(app->base.qsbr, idx) != 0) {
		wp_worker_free(w);
		return NULL;
	}
	aves_idle_init(&w->idle, app->base.idle_pause_after, app->base.idle_sleep_after,
		       app->base.idle_sleep_us);
	aves_clock_init(&w->clock);
	return w;
}

void
wp_worker_free(struct wp_worker *w)
{
	if (w == NULL)
		return;
	rte_rcu_qsbr_thread_unregister(w->lc.app->base.qsbr, w->lc.core.idx);
	wp_lcore_fini(&w->lc);
	aves_table_free(w->conns);
	rte_free(w);
}

void
wp_worker_online(struct wp_worker *w)
{
	rte_rcu_qsbr_thread_online(w->lc.app->base.qsbr, w->lc.core.idx);
}

void
wp_worker_offline(struct wp_worker *w)
{
	rte_rcu_qsbr_thread_offline(w->lc.app->base.qsbr, w->lc.core.idx);
}

uint32_t
wp_worker_conns(const struct wp_worker *w)
{
	return aves_table_count(w->conns);
}

/* ---------------------------------------------------------------------------------------- */
/* FIN tracking                                                                              */
/* ---------------------------------------------------------------------------------------- */

/* HTTP sessions end by their timeout only (§5.2): their connections are not tracked. */
static bool
tracked(const struct aves_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP && !(pkt->flags & AVES_PKT_F_LATER_FRAG) &&
	       pkt->key.dport != RTE_BE16(AVES_HTTP_PORT);
}

/* A record for @p key, created if need be; NULL when the table is full. */
static struct wp_conn *
conn_get(struct wp_worker *w, const struct aves_flow_key *flow, uint64_t born)
{
	/* rte_hash's CRC reads keys 8 bytes at a time: hand it an aligned copy. */
	const struct aves_flow_key key __rte_aligned(8) = *flow;
	struct wp_conn *c = aves_table_lookup(w->conns, &key);
	void *slot;

	if (c != NULL)
		return c;
	if (aves_table_reserve(w->conns, &slot) != 0)
		return NULL;
	c = slot;
	c->born_ms = born;
	c->state = AVES_TCP_NONE;
	if (aves_table_publish(w->conns, &key, c) != 0)
		return NULL;
	w->lc.st->ctr[WP_CTR_CONN_TRACKED]++;
	return c;
}

/*
 * The opening SYN of this connection goes to the control lcore, which forwards it if the
 * wait machine binds it. Remember that, so the connection is counted as opened when its next
 * packet finds the binding here.
 */
static void
conn_syn_punted(struct wp_worker *w, const struct aves_pkt *pkt, uint64_t now)
{
	struct wp_conn *c;

	if (!tracked(pkt))
		return;
	c = conn_get(w, &pkt->key, 0);
	if (c == NULL)
		return; /* the next packet finds no room either and stops FIN tracking */
	c->syn_punted = 1;
	c->last_ms = now;
}

/* Apply one initiator segment to its connection and the connection to the session. */
static void
conn_track(struct wp_worker *w, const struct aves_pkt *pkt, struct wp_binding *e,
	   uint64_t now)
{
	struct aves_liveness *live = &e->live;
	struct wp_conn *c = conn_get(w, &pkt->key, e->live.born_ms);

	if (c == NULL) {
		w->lc.st->ctr[WP_CTR_CONN_UNTRACKED]++;
		aves_live_conn_apply(live, AVES_TCP_EFFECT_UNTRACKED);
		return;
	}
	/* A record that outlived its session (or was made for a punted SYN) starts afresh
	 * in this one: effects only ever go to the session that saw the opening. */
	if (c->born_ms != e->live.born_ms) {
		c->born_ms = e->live.born_ms;
		c->state = AVES_TCP_NONE;
	}
	if (c->syn_punted) {
		c->syn_punted = 0;
		aves_live_conn_apply(live, aves_tcp_step(&c->state, AVES_TCP_IN_SYN));
	}
	c->last_ms = now;
	aves_live_conn_apply(live, aves_tcp_step(&c->state,
						 aves_tcp_classify(pkt->tcp_flags, true, false)));
}

/*
 * Age a bounded number of records: any record idle for the TCP timeout (an open one is closed
 * in its session first), at once every record whose session is gone, and a punted SYN's
 * record that no packet claimed within Twait (the wait that could have bound it is over). A
 * closed connection keeps its record while its session lives: its stragglers (the last ACK, a
 * retransmitted FIN) must find it CLOSED, or they would look like an untracked connection and
 * switch FIN tracking off for the whole session.
 */
struct conn_age_ctx {
	struct wp_worker *w;
	uint64_t now;
};

static unsigned int
conn_age_one(void *arg, const void *k, void *entry)
{
	const struct conn_age_ctx *ctx = arg;
	struct wp_worker *w = ctx->w;
	const struct wp_app *app = w->lc.app;
	const struct aves_session_timers *t = &app->base.timers;
	const struct aves_flow_key *key = k;
	struct wp_conn *c = entry;
	struct wp_binding *e = NULL;
	uint64_t idle = ctx->now > c->last_ms ? ctx->now - c->last_ms : 0;
	bool gone;

	if (c->born_ms != 0) {
		const struct aves_wp_key wk __rte_aligned(8) = aves_wp_key_make(key->dst, key->src);

		e = aves_table_lookup(app->bindings, &wk);
		if (e != NULL && e->live.born_ms != c->born_ms)
			e = NULL;
	}
	gone = c->born_ms != 0 && e == NULL;
	if (!gone && idle < (c->born_ms == 0 ? t->twait_ms : t->idle_tcp_ms))
		return 0;
	if (e != NULL)
		aves_live_conn_apply(&e->live, aves_tcp_step(&c->state, AVES_TCP_IN_CLOSE));
	aves_table_del(w->conns, key);
	w->lc.st->ctr[WP_CTR_CONN_AGED]++;
	return 1;
}

/* A bounded step per poll; an empty stretch ends it (at most 64 slots of nothing). */
static void
conn_age(struct wp_worker *w, uint64_t now)
{
	struct conn_age_ctx ctx = { w, now };

	aves_table_sweep(w->conns, &w->conn_cursor, WP_CONN_AGE_BUDGET, true, conn_age_one, &ctx);
}

/* ---------------------------------------------------------------------------------------- */
/* Classification                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* To one of our interface addresses or the control address. */
static void
local_input(struct wp_worker *w, uint16_t port, struct rte_mbuf *m, struct aves_pkt *pkt,
	    uint64_t now)
{
	struct wp_lcore *lc = &w->lc;
	const struct wp_app *app = lc->app;
	uint16_t data_len;
	int r;

	r = aves_local_l4_verify(m, RTE_ETHER_HDR_LEN, pkt);
	if (r != AVES_PARSE_OK) {
		lc->st->parse[r]++;
		wp_drop(lc, WP_CTR_RX_IP_INVALID, m);
		return;
	}
	if (pkt->key.dst == app->control_addr && pkt->key.proto == IPPROTO_UDP &&
	    pkt->key.dport == rte_cpu_to_be_16(app->control_port) &&
	    !(pkt->flags & AVES_PKT_F_FRAG)) {
		wp_punt(lc, m, WP_PUNT_CTRL, port, 0, WP_CTR_PUNT_CTRL);
		return;
	}
	if (pkt->key.proto == IPPROTO_ICMP && pkt->icmp_type == RTE_IP_ICMP_ECHO_REQUEST &&
	    aves_icmp_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), pkt) == 0) {
		rte_pktmbuf_adj(m, pkt->l3_off);
		data_len = rte_pktmbuf_data_len(m);
		if (data_len > pkt->ip_len)
			rte_pktmbuf_trim(m, (uint16_t)(data_len - pkt->ip_len));
		lc->st->ctr[WP_CTR_ECHO_REPLIED]++;
		wp_send(lc, m, now);
		return;
	}
	wp_drop(lc, WP_CTR_RX_LOCAL_OTHER, m);
}

/* The packets of a burst sent to waypoint addresses. */
struct wp_batch {
	uint16_t n;
	struct rte_mbuf *m[WP_BURST_MAX];
	uint32_t w[WP_BURST_MAX];
	struct aves_pkt pkt[WP_BURST_MAX];
};

/*
 * Figure 6 and §6.2 as far as a reader can apply them. A source with an entry is forwarded,
 * a blocked one discarded (blocks are checked before the entry for new connections, after it
 * for other packets: aves_session.c explains why); everything that would create state — a new
 * connection while W waits, any packet from a source without state — goes to the control
 * lcore, which runs W's machine in arrival order.
 */
/*
 * An ICMP error about one of our own tunnel packets [W -> R, UDP, source port in the tunnel's
 * range], sent to W by R or by a router between us. It is addressed to a waypoint address
 * like initiator traffic, but its sender is no initiator: relaying it would make no sense, and
 * judging it would penalise R (or the router) as a stray. Only asked for a sender without a
 * binding: an initiator's error about a relayed reply [W -> A] comes from A, which has one.
 */
static bool
tunnel_feedback(const struct aves_pkt *pkt)
{
	return (pkt->flags & AVES_PKT_F_ICMP_ERROR) != 0 &&
	       pkt->inner.key.proto == IPPROTO_UDP && pkt->inner.key.src == pkt->key.dst &&
	       rte_be_to_cpu_16(pkt->inner.key.sport) >= AVES_TUNNEL_SPORT_BASE;
}

static void
waypoint_input(struct wp_worker *w, uint16_t port, struct wp_batch *b, uint64_t now)
{
	struct wp_lcore *lc = &w->lc;
	struct wp_app *app = lc->app;
	struct aves_wp_key keys[WP_BURST_MAX] __rte_aligned(8);
	const void *kp[WP_BURST_MAX];
	void *ent[WP_BURST_MAX];
	void *blk_found[WP_BURST_MAX];
	const struct aves_block *blk[WP_BURST_MAX];
	uint16_t need[WP_BURST_MAX];
	uint64_t hits;
	uint16_t i, n_need = 0;

	AVES_PROBE(PARSE);
	for (i = 0; i < b->n; i++) {
		keys[i] = aves_wp_key_make(app->addrs[b->w[i]].addr, b->pkt[i].key.src);
		kp[i] = &keys[i];
	}
	aves_table_lookup_bulk(app->bindings, kp, b->n, ent, &hits);
	/* Start every entry's miss now rather than one at a time in the loop below. */
	for (i = 0; i < b->n; i++)
		rte_prefetch0(ent[i]);
	for (i = 0; i < b->n; i++) {
		struct wp_binding *e = wp_binding_live(app, ent[i], now);

		if (e == NULL && ent[i] != NULL)
			lc->st->ctr[WP_CTR_STALE_BINDING]++;
		ent[i] = e;
		blk[i] = NULL;
		if (e == NULL && tunnel_feedback(&b->pkt[i])) {
			wp_drop(lc, WP_CTR_TUNNEL_ICMP, b->m[i]);
			b->m[i] = NULL;
			continue;
		}
		if (e == NULL || wp_new_connection(&b->pkt[i])) {
			kp[n_need] = &keys[i];
			need[n_need++] = i;
		}
	}
	/* Blocks exist only while someone is rejected or penalised: in the normal case the
	 * table is empty and every UDP packet (each a "new connection") skips the lookup.
	 * A count read just before a block is published misses it as a lookup would. */
	if (n_need != 0 && aves_table_count(app->blocks) != 0) {
		aves_table_lookup_bulk(app->blocks, kp, n_need, blk_found, &hits);
		for (i = 0; i < n_need; i++)
			blk[need[i]] = blk_found[i];
	}
	AVES_PROBE(LOOKUP);

	for (i = 0; i < b->n; i++) {
		struct aves_pkt *pkt = &b->pkt[i];
		struct rte_mbuf *m = b->m[i];
		struct wp_binding *e = ent[i];

		if (m == NULL)
			continue; /* already dropped above */
		enum aves_block_kind bk = aves_block_status(blk[i], now);
		bool waiting = atomic_load_explicit(&app->addrs[b->w[i]].wait_until_ms,
						    memory_order_acquire) != 0;
		bool nc = wp_new_connection(pkt);

		if (bk != AVES_BLOCK_NONE && (nc || e == NULL)) {
			if (bk == AVES_BLOCK_REJECT)
				wp_discard(lc, m, b->w[i], AVES_VERDICT_DISCARD_REJECTED, true, now);
			else
				wp_discard(lc, m, b->w[i], AVES_VERDICT_DISCARD_PENALISED, false,
					   now);
			continue;
		}
		if (e == NULL || (nc && waiting)) {
			/* Only a wait can let the SYN through: outside one, the source is a
			 * stray, and a flood of spoofed SYNs must not fill the table. */
			if (nc && waiting)
				conn_syn_punted(w, pkt, now);
			wp_punt(lc, m, WP_PUNT_DECIDE, port, b->w[i], WP_CTR_PUNT_DECIDE);
			continue;
		}
		lc->st->verdict[AVES_VERDICT_FORWARD]++;
		aves_live_touch(&e->live, pkt->key.proto,
				rte_be_to_cpu_16(pkt->key.dport), now);
		if (tracked(pkt))
			conn_track(w, pkt, e, now);
		wp_fwd_prepare(lc, m, pkt, e, now);
	}
	AVES_PROBE(REWRITE);
	b->n = 0;
}

static bool
frame_for_us(const struct rte_ether_hdr *eth, const struct rte_ether_addr *mine, bool arp)
{
	if (rte_is_same_ether_addr(&eth->dst_addr, mine))
		return true;
	return arp && rte_is_broadcast_ether_addr(&eth->dst_addr);
}

uint16_t
wp_worker_process(struct wp_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		  uint64_t now)
{
	struct wp_lcore *lc = &w->lc;
	struct wp_app *app = lc->app;
	const struct rte_ether_addr *mine = aves_neigh_port_mac(app->base.neigh, port);
	struct wp_batch b;
	uint16_t i;

	aves_lcore_burst_begin(&lc->core);
	b.n = 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		uint16_t len = rte_pktmbuf_data_len(m);
		struct aves_pkt *pkt = &b.pkt[b.n];
		uint32_t value;
		int r;

		aves_tx_count_rx(&lc->core.tx, port, m->pkt_len);
		if (len < RTE_ETHER_HDR_LEN) {
			wp_drop(lc, WP_CTR_RX_ETH_SHORT, m);
			continue;
		}
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			if (frame_for_us(eth, mine, true))
				wp_punt(lc, m, WP_PUNT_ARP, port, 0, WP_CTR_PUNT_ARP);
			else
				wp_drop(lc, WP_CTR_RX_NOT_OURS, m);
			continue;
		}
		if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			wp_drop(lc, WP_CTR_RX_ETHERTYPE, m);
			continue;
		}
		if (!frame_for_us(eth, mine, false)) {
			wp_drop(lc, WP_CTR_RX_NOT_OURS, m);
			continue;
		}
		/* Verified in local_input() if it turns out to be for us (aves_appliance.h). */
		r = aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), len, RTE_ETHER_HDR_LEN,
				    aves_fwd_parse_flags(m), pkt);
		if (r != AVES_PARSE_OK) {
			lc->st->parse[r]++;
			wp_drop(lc, WP_CTR_RX_IP_INVALID, m);
			continue;
		}
		if (aves_addr_map_lookup(app->base.local, pkt->key.dst, &value) != 0) {
			wp_drop(lc, WP_CTR_RX_NOT_LOCAL, m);
			continue;
		}
		if (value >> WP_LOCAL_SHIFT != WP_LOCAL_WAYPOINT) {
			local_input(w, port, m, pkt, now);
			continue;
		}
		b.w[b.n] = value & WP_LOCAL_INDEX_MASK;
		b.m[b.n] = m;
		lc->actr[b.w[b.n]].rx_pkts++;
		lc->actr[b.w[b.n]].rx_bytes += pkt->ip_len;
		if (++b.n == WP_BURST_MAX)
			waypoint_input(w, port, &b, now);
	}
	if (b.n != 0)
		waypoint_input(w, port, &b, now);
	else
		AVES_PROBE(PARSE);
	wp_fwd_flush(lc, now);
	aves_lcore_punt_flush(&lc->core);
	aves_tx_flush(&lc->core.tx);
	AVES_PROBE(TX);
	return n;
}

static uint16_t
process_burst(void *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	return wp_worker_process(w, port, pkts, n, now);
}

unsigned int
wp_worker_poll(struct wp_worker *w, uint64_t now)
{
	struct wp_lcore *lc = &w->lc;
	const struct aves_appliance *b = &lc->app->base;
	unsigned int total = aves_worker_rx(b, lc->core.idx, process_burst, w, now);

	conn_age(w, now);
	/* Every entry pointer of this iteration is dead: the control lcore may reclaim. */
	rte_rcu_qsbr_quiescent(b->qsbr, lc->core.idx);
	return total;
}

int
wp_worker_main(void *arg)
{
	struct wp_worker *w = arg;

	wp_worker_online(w);
	while (aves_running())
		aves_idle_poll(&w->idle, wp_worker_poll(w, aves_clock_ms(&w->clock)));
	wp_worker_offline(w);
	return 0;
}
