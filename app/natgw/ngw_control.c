/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore: the single writer of every shared table. It receives what the workers
 * hand over (ARP, packets that need a session, packets for unresolved next hops), creates
 * NAPT sessions (allocating the public port) and AVES reply paths (allocating the inside
 * port when multi-homed), forwards those packets itself, retires expired sessions a bounded
 * number per loop, keeps the trusted waypoints for reassembly, applies public address
 * changes, sends REGISTER to every DNS front end, runs the neighbour timers, and reclaims
 * deleted entries once the workers have moved past them. It never waits for a worker.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "aves_build.h"
#include "ngw.h"

struct ngw_control {
	struct ngw_lcore lc;
	const struct aves_key *reg_key;		/* REGISTER is tagged with it */
	struct aves_ctrl_serial serial;		/* of REGISTER */
	uint64_t next_register_ms;
	uint64_t fast_until_ms;			/* REGISTER at the fast rate until then */
	uint32_t sess_cursor, trust_cursor;
	uint64_t live[NGW_KIND_MAX];		/* live sessions by kind (telemetry reads) */
	uint64_t next_log_ms;
	struct aves_idle idle;
	struct aves_clock clock;
};

struct ngw_control *
ngw_control_create(struct ngw_app *app, uint64_t wall_us)
{
	struct ngw_control *c = rte_zmalloc("ngw_control", sizeof(*c), RTE_CACHE_LINE_SIZE);

	if (c == NULL)
		return NULL;
	if (ngw_lcore_init(&c->lc, app, app->base.n_workers, true) != 0) {
		rte_free(c);
		return NULL;
	}
	c->reg_key = aves_keyring_find(app->keys, app->cfg.keys[0].id);
	if (c->reg_key == NULL) {
		ngw_control_free(c);
		return NULL;
	}
	aves_ctrl_serial_init(&c->serial, wall_us);
	aves_idle_init(&c->idle, app->base.idle_pause_after, app->base.idle_sleep_after,
		       app->base.idle_sleep_us);
	aves_clock_init(&c->clock);
	return c;
}

void
ngw_control_free(struct ngw_control *c)
{
	if (c == NULL)
		return;
	aves_lcore_fini(&c->lc.core);
	rte_free(c);
}

uint64_t
ngw_control_sessions(const struct ngw_control *c, enum ngw_kind kind)
{
	return (unsigned int)kind < NGW_KIND_MAX ? aves_ctr_read(&c->live[kind]) : 0;
}

uint64_t
ngw_control_next_register(const struct ngw_control *c)
{
	return aves_ctr_read(&c->next_register_ms);
}

/* ---------------------------------------------------------------------------------------- */
/* Trusted waypoints (reassembly)                                                            */
/* ---------------------------------------------------------------------------------------- */

/* W created a reply path: trusted while it has any, and for reassembly.trust after. */
static void
trust_note(struct ngw_control *c, uint32_t w, uint64_t now)
{
	struct ngw_app *app = c->lc.app;
	const uint32_t key __rte_aligned(8) = w;
	struct ngw_trust *t = aves_table_lookup(app->trust, &key);
	void *slot;

	if (t == NULL) {
		if (aves_table_reserve(app->trust, &slot) != 0) {
			c->lc.st->ctr[NGW_CTR_TRUST_TABLE_FULL]++;
			return;
		}
		t = slot;
		atomic_init(&t->sessions, 0);
		atomic_init(&t->until_ms, 0);
		if (aves_table_publish(app->trust, &key, t) != 0) {
			c->lc.st->ctr[NGW_CTR_TRUST_TABLE_FULL]++;
			return;
		}
	}
	atomic_fetch_add_explicit(&t->sessions, 1, memory_order_relaxed);
	atomic_store_explicit(&t->until_ms, now + app->cfg.reasm_trust_ms, memory_order_relaxed);
}

static void
trust_release(struct ngw_control *c, uint32_t w)
{
	const uint32_t key __rte_aligned(8) = w;
	struct ngw_trust *t = aves_table_lookup(c->lc.app->trust, &key);

	if (t != NULL && atomic_load_explicit(&t->sessions, memory_order_relaxed) != 0)
		atomic_fetch_sub_explicit(&t->sessions, 1, memory_order_relaxed);
}

struct sweep_ctx {
	struct ngw_control *c;
	uint64_t now;
	uint32_t pub;	/* sessions: the public address in force */
};

static unsigned int
trust_expire(void *arg, const void *key, void *entry)
{
	const struct sweep_ctx *x = arg;
	const struct ngw_trust *t = entry;

	if (atomic_load_explicit(&t->sessions, memory_order_relaxed) != 0 ||
	    atomic_load_explicit(&t->until_ms, memory_order_relaxed) > x->now)
		return 0;
	aves_table_del(x->c->lc.app->trust, key);
	return 1;
}

static unsigned int
sweep_trust(struct ngw_control *c, uint64_t now)
{
	struct sweep_ctx x = { .c = c, .now = now };

	return aves_table_sweep(c->lc.app->trust, &c->trust_cursor, c->lc.app->base.sweep_budget,
				false, trust_expire, &x);
}

/* ---------------------------------------------------------------------------------------- */
/* Sessions (this lcore is their only writer)                                                */
/* ---------------------------------------------------------------------------------------- */

/* Remove a session under both its keys. Its memory is reused only after the grace period,
 * but not by this lcore's code: nothing here touches @p s after the deletes. */
static void
session_delete(struct ngw_control *c, struct ngw_session *s, enum ngw_ctr why)
{
	struct ngw_app *app = c->lc.app;
	const struct aves_flow_key okey __rte_aligned(8) = s->orig;
	const struct ngw_in_key ikey __rte_aligned(8) = s->in;
	uint8_t kind = s->kind;
	uint32_t w = s->t_src;

	aves_table_del(app->inbound, &ikey);
	aves_table_del(app->sessions, &okey);
	c->live[kind]--;
	c->lc.st->ctr[why]++;
	if (kind != NGW_NAPT)
		trust_release(c, w);
}

/* Why an unusable session is unusable: expired, or made under an earlier public address. */
static enum ngw_ctr
unusable_reason(const struct ngw_app *app, const struct ngw_session *s, uint64_t now)
{
	return aves_live_expired(&s->live, &app->base.timers, now) ? NGW_CTR_SESSIONS_EXPIRED :
								NGW_CTR_SESSIONS_RETIRED;
}

/*
 * Create a session: both entries reserved and filled, then published, O first — a reader
 * that finds it by O before its inbound key is visible forwards correctly; the inbound side
 * waits one publish. NULL (counted) when a table is full or a key is taken.
 */
static struct ngw_session *
session_create(struct ngw_control *c, const struct aves_flow_key *o, uint32_t t_src,
	       uint32_t t_dst, uint16_t t_sport, uint16_t t_dport, const struct ngw_in_key *in,
	       enum ngw_kind kind, uint64_t now)
{
	struct ngw_app *app = c->lc.app;
	const struct aves_flow_key okey __rte_aligned(8) = *o;
	const struct ngw_in_key ikey __rte_aligned(8) = *in;
	struct ngw_session *s;
	struct ngw_ref *ref;
	void *slot, *rslot;

	if (aves_table_reserve(app->sessions, &slot) != 0) {
		c->lc.st->ctr[NGW_CTR_SESSION_TABLE_FULL]++;
		return NULL;
	}
	if (aves_table_reserve(app->inbound, &rslot) != 0) {
		aves_table_cancel(app->sessions, slot);
		c->lc.st->ctr[NGW_CTR_SESSION_TABLE_FULL]++;
		return NULL;
	}
	s = slot;
	s->orig = okey;
	s->in = ikey;
	s->t_src = t_src;
	s->t_dst = t_dst;
	s->t_sport = t_sport;
	s->t_dport = t_dport;
	s->kind = (uint8_t)kind;
	atomic_init(&s->tcp, AVES_TCP_NONE);
	aves_live_init(&s->live, 0, now);
	ref = rslot;
	ref->s = s;
	if (aves_table_publish(app->sessions, &okey, s) != 0) {
		aves_table_cancel(app->inbound, rslot);
		c->lc.st->ctr[NGW_CTR_SESSION_TABLE_FULL]++;
		return NULL;
	}
	if (aves_table_publish(app->inbound, &ikey, ref) != 0) {
		aves_table_del(app->sessions, &okey);
		c->lc.st->ctr[NGW_CTR_SESSION_TABLE_FULL]++;
		return NULL;
	}
	c->live[kind]++;
	c->lc.st->ctr[kind == NGW_NAPT ? NGW_CTR_NAPT_CREATED : NGW_CTR_AVES_CREATED]++;
	return s;
}

/* Whether a protocol carries ports (or an ICMP query identifier) that can be allocated. */
static bool
has_ports(const struct aves_pkt *pkt)
{
	return pkt->key.proto == IPPROTO_TCP || pkt->key.proto == IPPROTO_UDP ||
	       (pkt->flags & AVES_PKT_F_ICMP_QUERY);
}

/*
 * The k-th port to try (network order): the one the flow already uses when it is in range
 * (k = 0), then ports from a random start, which a blind attacker cannot predict (RFC 6056).
 * The UDP tunnel port is never handed out.
 */
static bool
port_candidate(const struct ngw_app *app, const struct aves_pkt *pkt, uint16_t preferred_be,
	       unsigned int k, uint32_t start, uint16_t *port_be)
{
	uint32_t lo = app->cfg.port_min, span = app->cfg.port_max - lo + 1;
	uint32_t p = k == 0 ? rte_be_to_cpu_16(preferred_be) : lo + (start + k) % span;

	if (p < lo || p > app->cfg.port_max)
		return false;
	if (pkt->key.proto == IPPROTO_UDP && p == app->cfg.tunnel_port)
		return false;
	*port_be = rte_cpu_to_be_16((uint16_t)p);
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* NAPT: an inside host's packet that found no session                                       */
/* ---------------------------------------------------------------------------------------- */

/* A free public port for [H:ph -> X:px] on R: the inbound key [X:px -> R:pr] must be unused
 * (mapping per destination: each (X, px) has the whole range). */
static bool
napt_port(struct ngw_control *c, const struct aves_pkt *pkt, uint32_t pub, uint16_t *pr,
	  struct ngw_in_key *ik)
{
	struct ngw_app *app = c->lc.app;
	uint32_t start = (uint32_t)rte_rand();
	unsigned int k;

	memset(ik, 0, sizeof(*ik));
	ik->flow.src = pkt->key.dst;
	ik->flow.dst = pub;
	ik->flow.proto = pkt->key.proto;
	if (!has_ports(pkt)) {
		*pr = 0;
		return aves_table_lookup(app->inbound, ik) == NULL;
	}
	for (k = 0; k <= NGW_PORT_PROBES; k++) {
		if (!port_candidate(app, pkt, pkt->key.sport, k, start, pr))
			continue;
		/* An ICMP query's identifier is its key's two ports. */
		ik->flow.sport = (pkt->flags & AVES_PKT_F_ICMP_QUERY) ? *pr : pkt->key.dport;
		ik->flow.dport = *pr;
		if (aves_table_lookup(app->inbound, ik) == NULL)
			return true;
	}
	return false;
}

static void
napt_input(struct ngw_control *c, struct rte_mbuf *m, uint16_t in_port, uint64_t now)
{
	struct ngw_lcore *lc = &c->lc;
	struct ngw_app *app = lc->app;
	uint32_t pub = ngw_public(app);
	struct aves_flow_key key __rte_aligned(8);
	struct ngw_in_key ik __rte_aligned(8);
	struct ngw_session *s;
	struct aves_pkt pkt;
	struct aves_hop hop;
	uint16_t pr;

	if (aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), 0, 0,
			    &pkt) != AVES_PARSE_OK || (pkt.flags & AVES_PKT_F_ICMP_ERROR)) {
		ngw_drop(lc, NGW_CTR_CTRL_MALFORMED, m);
		return;
	}
	/* Look again: an earlier packet may have created it, or it may be a reply path's. */
	ngw_out_key(&pkt, &key);
	s = aves_table_lookup(app->sessions, &key);
	if (s != NULL && ngw_session_usable(app, s, pub, now)) {
		ngw_forward_out(lc, m, &pkt, s, in_port, now);
		return;
	}
	if (s != NULL)
		session_delete(c, s, unusable_reason(app, s, now));
	if (aves_route_lookup(app->base.routes, pkt.key.dst, &hop) != 0 ||
	    app->base.port_index[hop.port] != app->outside) {
		ngw_drop(lc, NGW_CTR_NOT_NAT, m);
		return;
	}
	if (!napt_port(c, &pkt, pub, &pr, &ik)) {
		ngw_drop(lc, NGW_CTR_PORTS_EXHAUSTED, m);
		return;
	}
	s = session_create(c, &key, pub, pkt.key.dst, pr,
			   (pkt.flags & AVES_PKT_F_ICMP_QUERY) ? pr : pkt.key.dport, &ik, NGW_NAPT,
			   now);
	if (s == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	ngw_forward_out(lc, m, &pkt, s, in_port, now);
}

/* ---------------------------------------------------------------------------------------- */
/* AVES: a verified tunnel packet that found no reply path                                   */
/* ---------------------------------------------------------------------------------------- */

/* The port a multi-homed path uses on I, the gateway's address on B's network: O
 * [B:pb -> I:pi] must be unused (§4: each port of each responder can be reached by ~64000
 * connections of each protocol through each gateway). */
static bool
mh_port(struct ngw_control *c, const struct aves_pkt *pkt, uint32_t inside_addr,
	struct aves_flow_key *o)
{
	struct ngw_app *app = c->lc.app;
	uint32_t start = (uint32_t)rte_rand();
	uint16_t pi;
	unsigned int k;

	memset(o, 0, sizeof(*o));
	o->src = pkt->key.dst;
	o->dst = inside_addr;
	o->sport = pkt->key.dport;
	o->proto = pkt->key.proto;
	if (!has_ports(pkt))
		return aves_table_lookup(app->sessions, o) == NULL;
	for (k = 0; k <= NGW_PORT_PROBES; k++) {
		if (!port_candidate(app, pkt, pkt->key.sport, k, start, &pi))
			continue;
		if (pkt->flags & AVES_PKT_F_ICMP_QUERY)
			o->sport = pi;
		o->dport = pi;
		if (aves_table_lookup(app->sessions, o) == NULL)
			return true;
	}
	return false;
}

/* Where a tunnelled packet may go: to a host on an inside network (not to the gateway
 * itself), from a host that is not (the waypoint's authentication does not make an inside
 * address a valid initiator). */
static bool
inner_sane(const struct ngw_app *app, const struct aves_pkt *pkt, struct aves_hop *to_b)
{
	struct aves_hop from_a;
	uint32_t value;

	return aves_route_lookup(app->base.routes, pkt->key.dst, to_b) == 0 &&
	       app->base.port_index[to_b->port] != app->outside &&
	       aves_addr_map_lookup(app->base.local, pkt->key.dst, &value) != 0 &&
	       pkt->key.dst != ngw_public(app) &&
	       aves_route_lookup(app->base.routes, pkt->key.src, &from_a) == 0 &&
	       app->base.port_index[from_a.port] == app->outside &&
	       pkt->key.src != ngw_public(app);
}

static void
aves_input(struct ngw_control *c, struct rte_mbuf *m, uint32_t w, uint64_t now)
{
	struct ngw_lcore *lc = &c->lc;
	struct ngw_app *app = lc->app;
	struct aves_flow_key o __rte_aligned(8);
	struct ngw_in_key ik __rte_aligned(8);
	struct ngw_session *s;
	const struct ngw_ref *ref;
	struct aves_pkt pkt;
	struct aves_hop to_b;
	enum ngw_kind kind = app->cfg.multihomed ? NGW_AVES_MH : NGW_AVES;

	if (w == 0 ||
	    aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), 0, 0,
			    &pkt) != AVES_PARSE_OK || (pkt.flags & AVES_PKT_F_ICMP_ERROR)) {
		ngw_drop(lc, NGW_CTR_CTRL_MALFORMED, m);
		return;
	}
	ngw_in_key(&pkt, w, &ik);
	ref = aves_table_lookup(app->inbound, &ik);
	if (ref != NULL) {
		s = ref->s;
		if (ngw_session_usable(app, s, ngw_public(app), now)) {
			ngw_forward_in(lc, m, &pkt, s, now);
			return;
		}
		session_delete(c, s, unusable_reason(app, s, now));
	}
	if (!inner_sane(app, &pkt, &to_b)) {
		ngw_drop(lc, NGW_CTR_INNER_MISDIRECTED, m);
		return;
	}
	if (kind == NGW_AVES_MH) {
		if (!mh_port(c, &pkt, app->base.ports[app->base.port_index[to_b.port]].addr, &o)) {
			ngw_drop(lc, NGW_CTR_PORTS_EXHAUSTED, m);
			return;
		}
	} else {
		/* B's replies carry the reverse of what arrived. If that tuple has a session:
		 * B's own NAPT connection to A:pa from pb is indistinguishable from this one,
		 * and keeps it; an older reply path (A reached B:pb from pa through another
		 * waypoint address) gives way to the newer. */
		o = ngw_flow_reverse(&pkt.key);
		s = aves_table_lookup(app->sessions, &o);
		if (s != NULL && s->kind == NGW_NAPT &&
		    ngw_session_usable(app, s, ngw_public(app), now)) {
			ngw_drop(lc, NGW_CTR_AVES_CONFLICT, m);
			return;
		}
		if (s != NULL)
			session_delete(c, s, ngw_session_usable(app, s, ngw_public(app), now) ?
					     NGW_CTR_AVES_MOVED : unusable_reason(app, s, now));
	}
	s = session_create(c, &o, w, pkt.key.src, pkt.key.dport, pkt.key.sport, &ik, kind, now);
	if (s == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	trust_note(c, w, now);
	ngw_forward_in(lc, m, &pkt, s, now);
}

/* ---------------------------------------------------------------------------------------- */
/* The public address and REGISTER                                                           */
/* ---------------------------------------------------------------------------------------- */

int
ngw_set_public_address(struct ngw_app *app, uint32_t addr)
{
	if (app == NULL || !ngw_config_public_ok(&app->cfg, addr))
		return -EINVAL;
	atomic_store_explicit(&app->public_request, addr, memory_order_release);
	return 0;
}

/* Apply a requested address: everything keyed on R follows at once; NAPT sessions of the old
 * address are retired lazily (workers stop using them, the sweep deletes them). */
static unsigned int
apply_public_request(struct ngw_control *c, uint64_t now)
{
	struct ngw_app *app = c->lc.app;
	uint32_t req = atomic_exchange_explicit(&app->public_request, 0, memory_order_acquire);

	if (req == 0 || req == ngw_public(app))
		return 0;
	if (aves_neigh_port_readdress(app->base.neigh, app->base.ports[app->outside].id, req) != 0)
		return 0;
	atomic_store_explicit(&app->public_addr, req, memory_order_release);
	c->lc.st->ctr[NGW_CTR_PUBLIC_CHANGES]++;
	/* §5.3: "sent more frequently when an address change is detected". */
	c->fast_until_ms = now + app->cfg.register_fast_period_ms;
	c->next_register_ms = now;
	return 1;
}

static void
register_send(struct ngw_control *c, uint64_t now, uint64_t wall_ms)
{
	struct ngw_lcore *lc = &c->lc;
	struct ngw_app *app = lc->app;
	uint32_t pub = ngw_public(app);
	uint8_t buf[AVES_CTRL_MAX_LEN];
	struct aves_ctrl_msg msg;
	unsigned int i;

	for (i = 0; i < app->cfg.n_servers; i++) {
		struct rte_mbuf *m;
		int len;

		memset(&msg, 0, sizeof(msg));
		msg.type = AVES_CTRL_REGISTER;
		msg.origin = pub;
		msg.timestamp_ms = wall_ms;
		msg.body.reg = (struct aves_ctrl_register){
			.public_addr = pub,
			.tunnel_port = (uint16_t)app->cfg.tunnel_port,
		};
		/* From R's tunnel port: NAPT never hands it out, so no session shares it. */
		if (aves_ctrl_serial_next(&c->serial, &msg.serial) != 0 ||
		    (len = aves_ctrl_encode(lc->core.auth, c->reg_key, &msg, buf, sizeof(buf))) < 0 ||
		    (m = aves_build_udp(app->base.pool, pub, (uint16_t)app->cfg.tunnel_port,
					app->cfg.servers[i], (uint16_t)app->cfg.register_port, buf,
					(uint16_t)len, lc->core.ip_id++)) == NULL) {
			lc->st->ctr[NGW_CTR_REGISTER_FAILED]++;
			continue;
		}
		lc->st->ctr[NGW_CTR_REGISTER_SENT]++;
		ngw_send(lc, m, now);
	}
}

static unsigned int
register_due(struct ngw_control *c, uint64_t now, uint64_t wall_ms)
{
	const struct ngw_config *cfg = &c->lc.app->cfg;

	if (now < c->next_register_ms)
		return 0;
	register_send(c, now, wall_ms);
	c->next_register_ms = now + (now < c->fast_until_ms ? cfg->register_fast_interval_ms :
							      cfg->register_interval_ms);
	return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Aging                                                                                     */
/* ---------------------------------------------------------------------------------------- */

static unsigned int
session_expire(void *arg, const void *key, void *entry)
{
	const struct sweep_ctx *x = arg;
	struct ngw_app *app = x->c->lc.app;

	(void)key;
	if (ngw_session_usable(app, entry, x->pub, x->now))
		return 0;
	session_delete(x->c, entry, unusable_reason(app, entry, x->now));
	return 1;
}

static unsigned int
sweep_sessions(struct ngw_control *c, uint64_t now)
{
	struct sweep_ctx x = { .c = c, .now = now, .pub = ngw_public(c->lc.app) };

	return aves_table_sweep(c->lc.app->sessions, &c->sess_cursor, c->lc.app->base.sweep_budget,
				false, session_expire, &x);
}

/* ---------------------------------------------------------------------------------------- */
/* The loop                                                                                  */
/* ---------------------------------------------------------------------------------------- */

unsigned int
ngw_control_poll(struct ngw_control *c, uint64_t now, uint64_t wall_ms)
{
	struct ngw_lcore *lc = &c->lc;
	struct ngw_app *app = lc->app;
	struct aves_punt d[NGW_BURST_MAX];
	unsigned int n, i, work;

	aves_lcore_burst_begin(&lc->core);
	work = apply_public_request(c, now);
	n = aves_punt_take(app->base.punt, d, app->base.burst, NULL);
	for (i = 0; i < n; i++) {
		switch (d[i].kind) {
		case NGW_PUNT_ARP:
			aves_neigh_arp_input(app->base.neigh, &lc->core.tx, d[i].port, d[i].m, now);
			break;
		case NGW_PUNT_NAPT:
			napt_input(c, d[i].m, d[i].port, now);
			break;
		case NGW_PUNT_AVES:
			aves_input(c, d[i].m, d[i].arg, now);
			break;
		case NGW_PUNT_HOLD:
			aves_neigh_output(app->base.neigh, &lc->core.tx, d[i].port, d[i].arg, d[i].m, now);
			break;
		default:
			ngw_drop(lc, NGW_CTR_CTRL_MALFORMED, d[i].m);
			break;
		}
	}
	work += n + register_due(c, now, wall_ms);
	work += aves_control_redirect(&app->base, &lc->st->ctr[NGW_CTR_REDIRECT_FULL]);
	work += sweep_sessions(c, now) + sweep_trust(c, now);
	work += aves_neigh_timers(app->base.neigh, &lc->core.tx, now, app->base.sweep_budget);
	aves_table_reclaim(app->sessions);
	aves_table_reclaim(app->inbound);
	aves_table_reclaim(app->trust);
	aves_tx_flush(&lc->core.tx);

	if (aves_control_summary_due(&app->base, &c->next_log_ms, now)) {
		char line[512];

		ngw_summary(app, line, sizeof(line));
		NGW_LOG(INFO, "%s", line);
	}
	return work;
}

void
ngw_control_start(struct ngw_control *c, uint64_t now)
{
	struct ngw_app *app = c->lc.app;

	aves_control_resolve_gateways(&app->base, &c->lc.core.tx, now);
	/* A gateway that starts may have a new address: register at once, then fast. */
	c->next_register_ms = now;
	c->fast_until_ms = now + app->cfg.register_fast_period_ms;
}

int
ngw_control_main(void *arg)
{
	struct ngw_control *c = arg;

	while (aves_running())
		aves_idle_poll(&c->idle,
			       ngw_control_poll(c, aves_clock_ms(&c->clock), aves_wall_ms()));
	return 0;
}
