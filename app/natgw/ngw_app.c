/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building aves-natgw from its configuration: thin wiring of app/common and lib/.
 * Everything here runs on the main thread before the lcores start, or after they stopped.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aves_port.h"
#include "ngw.h"

RTE_LOG_REGISTER(ngw_logtype, aves.natgw, INFO);

/* Room for the largest frame of any port. */
static uint16_t
data_room(const struct ngw_config *cfg)
{
	uint32_t room = RTE_MBUF_DEFAULT_DATAROOM, i;

	for (i = 0; i < cfg->base.n_ports; i++)
		room = RTE_MAX(room, RTE_ETHER_HDR_LEN + cfg->base.ports[i].mtu + RTE_ETHER_CRC_LEN);
	return (uint16_t)(room + RTE_PKTMBUF_HEADROOM);
}

static int
make_counters(struct ngw_app *app)
{
	uint32_t l;

	for (l = 0; l <= app->n_workers; l++) {
		app->stats[l] = rte_zmalloc("ngw_stats", sizeof(struct ngw_stats),
					    RTE_CACHE_LINE_SIZE);
		if (app->stats[l] == NULL)
			return -1;
		app->port_ctr[l] = app->stats[l]->port;
	}
	return 0;
}

static int
make_ports(struct ngw_app *app, const struct ngw_config *cfg, const struct ngw_start *start)
{
	uint32_t i;

	memset(app->port_index, NGW_NO_PORT, sizeof(app->port_index));
	for (i = 0; i < cfg->base.n_ports; i++) {
		const struct aves_port_conf *pc = &cfg->base.ports[i];
		struct ngw_port *p = &app->ports[i];
		struct aves_port_info info;
		int id = aves_port_by_name(pc->device);

		if (id < 0) {
			NGW_LOG(ERR, "%s: no such device (give it to EAL: -a or --vdev)",
				pc->device);
			return -1;
		}
		p->id = (uint16_t)id;
		p->mtu = (uint16_t)pc->mtu;
		p->addr = pc->addr;
		p->prefix_len = pc->prefix_len;
		p->side = cfg->side[i];
		if (start->start_ports) {
			struct aves_port_params pp = {
				.port_id = p->id,
				.n_rxq = (uint16_t)app->n_workers,
				.n_txq = (uint16_t)(app->n_workers + 1),
				.mtu = p->mtu,
				.rx_desc = (uint16_t)pc->rx_desc,
				.tx_desc = (uint16_t)pc->tx_desc,
				.pool = app->pool,
				.link_wait_ms = cfg->base.link_wait_ms,
			};

			if (aves_port_start(&pp, &info) != 0)
				return -1;
			NGW_LOG(INFO, "%s: port %u, %s, " RTE_ETHER_ADDR_PRT_FMT ", MTU %u, %s, "
				"link %s", pc->device, p->id,
				p->side == NGW_OUTSIDE ? "outside" : "inside",
				RTE_ETHER_ADDR_BYTES(&info.mac), p->mtu,
				info.rss ? "RSS" : "no RSS", info.link_up ? "up" : "down");
			p->mac = info.mac;
			p->n_rxq = info.n_rxq;
		} else if (rte_eth_macaddr_get(p->id, &p->mac) != 0) {
			return -1;
		} else {
			p->n_rxq = (uint16_t)app->n_workers;
		}
		if (p->n_rxq > app->n_workers && app->redirect == NULL) {
			app->redirect = rte_ring_create("ngw_redirect", 1024, SOCKET_ID_ANY,
							RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (app->redirect == NULL)
				return -1;
		}
		app->port_index[p->id] = (uint8_t)i;
		app->n_ports++;
	}
	app->outside = (uint8_t)cfg->outside;
	app->ports_started = start->start_ports;
	atomic_init(&app->public_addr, cfg->base.ports[cfg->outside].addr);
	atomic_init(&app->public_request, 0);
	return 0;
}

/* The address map holds the inside ports' addresses; the public address, which changes, is
 * app->public_addr (and the neighbour table's outside port address). */
static int
make_addresses(struct ngw_app *app, const struct ngw_config *cfg)
{
	uint32_t i;

	app->local = aves_addr_map_create("ngw_local", cfg->base.n_ports, SOCKET_ID_ANY);
	if (app->local == NULL)
		return -1;
	for (i = 0; i < cfg->base.n_ports; i++)
		if (cfg->side[i] == NGW_INSIDE &&
		    aves_addr_map_add(app->local, cfg->base.ports[i].addr,
				      NGW_LOCAL_IFACE << NGW_LOCAL_SHIFT | i) != 0)
			return -1;
	return 0;
}

static int
make_routes(struct ngw_app *app, const struct ngw_config *cfg)
{
	uint32_t i, j;

	app->routes = aves_route_create("ngw_routes", cfg->base.n_ports + cfg->base.n_routes,
					SOCKET_ID_ANY);
	if (app->routes == NULL)
		return -1;
	for (i = 0; i < cfg->base.n_ports; i++) {
		const struct aves_port_conf *pc = &cfg->base.ports[i];
		uint32_t mask = rte_cpu_to_be_32(~UINT32_C(0) << (32 - pc->prefix_len));

		if (aves_route_add(app->routes, pc->addr & mask, pc->prefix_len, 0,
				   app->ports[i].id, app->ports[i].mtu) != 0)
			return -1;
	}
	for (i = 0; i < cfg->base.n_routes; i++) {
		const struct aves_route_conf *r = &cfg->base.routes[i];
		struct aves_hop hop;

		/* ngw_config checked that the gateway is on a port's network. */
		if (aves_route_lookup(app->routes, r->via, &hop) != 0)
			return -1;
		for (j = 0; j < app->n_ports && app->ports[j].id != hop.port; j++)
			;
		if (aves_route_add(app->routes, r->prefix, r->len, r->via, hop.port,
				   app->ports[j].mtu) != 0) {
			NGW_LOG(ERR, "route %u: cannot be added", i);
			return -1;
		}
	}
	return 0;
}

static int
make_keys(struct ngw_app *app, const struct ngw_config *cfg)
{
	struct aves_auth_ctx *auth = aves_auth_ctx_create();
	struct aves_key k;
	uint32_t i;
	int ret = -1;

	app->keys = aves_keyring_create(cfg->n_keys);
	if (auth == NULL || app->keys == NULL)
		goto out;
	for (i = 0; i < cfg->n_keys; i++) {
		const struct aves_key_conf *kc = &cfg->keys[i];

		if (aves_key_init(auth, &k, kc->id, (enum aves_alg)kc->alg, kc->secret, kc->len) ||
		    aves_keyring_add(app->keys, &k) != 0) {
			aves_key_wipe(&k);
			goto out;
		}
		aves_key_wipe(&k);
	}
	ret = 0;
out:
	aves_auth_ctx_free(auth);
	return ret;
}

static int
make_tables(struct ngw_app *app, const struct ngw_config *cfg)
{
	struct aves_table_params tp = {
		.name = "ngw_sessions",
		.capacity = cfg->sessions,
		.key_len = sizeof(struct aves_flow_key),
		.entry_size = sizeof(struct ngw_session),
		.socket_id = SOCKET_ID_ANY,
		.mode = AVES_TABLE_SHARED,
	};
	struct aves_neigh_params np = {
		.name = "ngw_neigh",
		.capacity = cfg->base.neighbours,
		.hold_max = (uint16_t)cfg->base.neigh_hold,
		.max_probes = (uint8_t)cfg->base.neigh_probes,
		.retry_ms = cfg->base.neigh_retry_ms,
		.reachable_ms = cfg->base.neigh_reachable_ms,
		.failed_ms = cfg->base.neigh_failed_ms,
		.socket_id = SOCKET_ID_ANY,
		.pool = app->pool,
		.local = app->local,
	};
	size_t qsbr_size = rte_rcu_qsbr_get_memsize(app->n_workers);
	uint32_t i;

	app->qsbr = rte_zmalloc("ngw_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL || rte_rcu_qsbr_init(app->qsbr, app->n_workers) != 0)
		return -1;
	tp.qsbr = app->qsbr;
	app->sessions = aves_table_create(&tp);
	tp.name = "ngw_inbound";
	tp.key_len = sizeof(struct ngw_in_key);
	tp.entry_size = sizeof(struct ngw_ref);
	app->inbound = aves_table_create(&tp);
	tp.name = "ngw_trust";
	tp.capacity = cfg->trusted_sources;
	tp.key_len = sizeof(uint32_t);
	tp.entry_size = sizeof(struct ngw_trust);
	app->trust = aves_table_create(&tp);
	np.qsbr = app->qsbr;
	app->neigh = aves_neigh_create(&np);
	app->punt = aves_punt_create("ngw_punt", cfg->base.punt_ring, SOCKET_ID_ANY);
	if (app->sessions == NULL || app->inbound == NULL || app->trust == NULL ||
	    app->neigh == NULL || app->punt == NULL)
		return -1;
	for (i = 0; i < app->n_ports; i++)
		if (aves_neigh_port(app->neigh, app->ports[i].id, &app->ports[i].mac,
				    cfg->base.ports[i].addr, cfg->base.ports[i].prefix_len) != 0)
			return -1;
	return 0;
}

static int
make_pools(struct ngw_app *app, const struct ngw_config *cfg)
{
	app->pool = rte_pktmbuf_pool_create("ngw_pool", cfg->base.mbufs, cfg->base.mbuf_cache, 0,
					    data_room(cfg), SOCKET_ID_ANY);
	/* Fragments point into the datagram through indirect mbufs (no data room). */
	app->indirect = rte_pktmbuf_pool_create("ngw_indirect", cfg->base.mbufs / 4 + 1,
						RTE_MIN(cfg->base.mbuf_cache, (cfg->base.mbufs / 4) / 2), 0,
						0, SOCKET_ID_ANY);
	/* Reassembled datagrams that do not fit one ordinary mbuf: up to 65535 - headroom. */
	app->big = rte_pktmbuf_pool_create("ngw_big", cfg->reasm_buffers, 0, 0, UINT16_MAX,
					   SOCKET_ID_ANY);
	if (app->pool == NULL || app->indirect == NULL || app->big == NULL) {
		NGW_LOG(ERR, "cannot create the mbuf pools (%u mbufs, %u buffers): %s",
			cfg->base.mbufs, cfg->reasm_buffers, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

struct ngw_app *
ngw_app_create(const struct ngw_config *cfg, const struct ngw_start *start)
{
	struct ngw_app *app = rte_zmalloc("ngw_app", sizeof(*app), RTE_CACHE_LINE_SIZE);
	uint32_t i;

	if (app == NULL)
		return NULL;
	app->cfg = *cfg;
	app->timers = cfg->base.timers;
	app->n_workers = cfg->base.n_workers;
	aves_ratelimit_init(&app->icmp_limit, cfg->icmp_rate, cfg->icmp_burst);
	if (make_pools(app, cfg) != 0 || make_counters(app) != 0 ||
	    make_ports(app, cfg, start) != 0 || make_addresses(app, cfg) != 0 ||
	    make_routes(app, cfg) != 0 || make_tables(app, cfg) != 0 || make_keys(app, cfg) != 0) {
		NGW_LOG(ERR, "start-up failed");
		goto fail;
	}
	/* The lcores need no secret: keep none beyond the keyring's derived state (the ids
	 * stay: the first names the key REGISTER is tagged with). */
	for (i = 0; i < app->cfg.n_keys; i++) {
		memset(app->cfg.keys[i].secret, 0, sizeof(app->cfg.keys[i].secret));
		app->cfg.keys[i].len = 0;
	}
	for (i = 0; i < app->n_workers; i++) {
		app->workers[i] = ngw_worker_create(app, i);
		if (app->workers[i] == NULL) {
			NGW_LOG(ERR, "worker %u: cannot create its context", i);
			goto fail;
		}
	}
	app->control = ngw_control_create(app, start->wall_us);
	if (app->control == NULL) {
		NGW_LOG(ERR, "cannot create the control lcore's context");
		goto fail;
	}
	return app;
fail:
	ngw_app_free(app);
	return NULL;
}

void
ngw_app_free(struct ngw_app *app)
{
	uint32_t i;

	if (app == NULL)
		return;
	for (i = 0; i < app->n_workers; i++)
		ngw_worker_free(app->workers[i]);
	ngw_control_free(app->control);
	aves_punt_free(app->punt);
	if (app->redirect != NULL) {
		void *m;

		while (rte_ring_sc_dequeue(app->redirect, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(app->redirect);
	}
	aves_neigh_free(app->neigh);
	aves_table_free(app->sessions);
	aves_table_free(app->inbound);
	aves_table_free(app->trust);
	rte_free(app->qsbr);
	aves_keyring_free(app->keys);
	aves_route_free(app->routes);
	aves_addr_map_free(app->local);
	/* Stopped, not closed: the caller owns the devices (main closes them at exit). */
	for (i = 0; i < app->n_ports && app->ports_started; i++)
		rte_eth_dev_stop(app->ports[i].id);
	for (i = 0; i <= app->n_workers && i <= NGW_WORKERS_MAX; i++)
		rte_free(app->stats[i]);
	rte_mempool_free(app->big);
	rte_mempool_free(app->indirect);
	rte_mempool_free(app->pool);
	memset(&app->cfg, 0, sizeof(app->cfg));
	rte_free(app);
}
