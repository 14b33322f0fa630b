/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building aves-waypoint from its configuration: thin wiring of app/common and lib/.
 * Everything here runs on the main thread before the lcores start, or after they stopped.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aves_port.h"
#include "wp.h"

RTE_LOG_REGISTER(wp_logtype, aves.waypoint, INFO);

/* Room for the largest frame plus what the tunnel adds in place (the tag at the tail; the
 * prepended headers fit the headroom freed by the Ethernet header and RTE_PKTMBUF_HEADROOM). */
static uint16_t
data_room(const struct wp_config *cfg)
{
	uint32_t room = RTE_MBUF_DEFAULT_DATAROOM, i;

	for (i = 0; i < cfg->base.n_ports; i++) {
		uint32_t need = RTE_ETHER_HDR_LEN + cfg->base.ports[i].mtu + RTE_ETHER_CRC_LEN +
				AVES_TAG_LEN;

		room = RTE_MAX(room, need);
	}
	return (uint16_t)(room + RTE_PKTMBUF_HEADROOM);
}

int
wp_app_addr_index(const struct wp_app *app, uint32_t addr)
{
	uint32_t value;

	if (aves_addr_map_lookup(app->local, addr, &value) != 0 ||
	    value >> WP_LOCAL_SHIFT != WP_LOCAL_WAYPOINT)
		return -1;
	return (int)(value & WP_LOCAL_INDEX_MASK);
}

static int
make_counters(struct wp_app *app)
{
	uint32_t l;

	for (l = 0; l <= app->n_workers; l++) {
		app->stats[l] = rte_zmalloc("wp_stats", sizeof(struct wp_stats),
					    RTE_CACHE_LINE_SIZE);
		app->addr_ctr[l] = rte_zmalloc("wp_addr_ctr",
					       app->n_addrs * sizeof(struct wp_addr_ctr),
					       RTE_CACHE_LINE_SIZE);
		if (app->stats[l] == NULL || app->addr_ctr[l] == NULL)
			return -1;
		app->port_ctr[l] = app->stats[l]->port;
	}
	return 0;
}

static int
make_ports(struct wp_app *app, const struct wp_config *cfg, const struct wp_start *start)
{
	uint32_t i;

	for (i = 0; i < cfg->base.n_ports; i++) {
		const struct aves_port_conf *pc = &cfg->base.ports[i];
		struct wp_port *p = &app->ports[i];
		struct aves_port_info info;
		int id = aves_port_by_name(pc->device);

		if (id < 0) {
			WP_LOG(ERR, "%s: no such device (give it to EAL: -a or --vdev)",
			       pc->device);
			return -1;
		}
		p->id = (uint16_t)id;
		p->mtu = (uint16_t)pc->mtu;
		p->addr = pc->addr;
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
			WP_LOG(INFO, "%s: port %u, " RTE_ETHER_ADDR_PRT_FMT ", MTU %u, %s, link %s",
			       pc->device, p->id, RTE_ETHER_ADDR_BYTES(&info.mac), p->mtu,
			       info.rss ? "RSS" : "no RSS", info.link_up ? "up" : "down");
			p->mac = info.mac;
			p->n_rxq = info.n_rxq;
		} else if (rte_eth_macaddr_get(p->id, &p->mac) != 0) {
			return -1;
		} else {
			p->n_rxq = (uint16_t)app->n_workers;
		}
		if (p->n_rxq > app->n_workers && app->redirect == NULL) {
			app->redirect = rte_ring_create("wp_redirect", 1024, SOCKET_ID_ANY,
							RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (app->redirect == NULL)
				return -1;
		}
		app->n_ports++;
	}
	app->ports_started = start->start_ports;
	return 0;
}

static int
make_addresses(struct wp_app *app, const struct wp_config *cfg)
{
	uint32_t i;

	app->local = aves_addr_map_create("wp_local", cfg->base.n_ports + 1 + cfg->n_waypoints,
					  SOCKET_ID_ANY);
	app->addrs = rte_zmalloc("wp_addrs", cfg->n_waypoints * sizeof(app->addrs[0]),
				 RTE_CACHE_LINE_SIZE);
	if (app->local == NULL || app->addrs == NULL)
		return -1;
	/* The control address first: when it is also an interface address, it is both. */
	if (aves_addr_map_add(app->local, cfg->control_addr,
			      WP_LOCAL_CONTROL << WP_LOCAL_SHIFT) != 0)
		return -1;
	for (i = 0; i < cfg->base.n_ports; i++) {
		int ret = aves_addr_map_add(app->local, cfg->base.ports[i].addr,
					    WP_LOCAL_IFACE << WP_LOCAL_SHIFT | i);

		if (ret != 0 && ret != -EEXIST)
			return -1;
	}
	for (i = 0; i < cfg->n_waypoints; i++) {
		struct wp_addr *a = &app->addrs[i];

		a->addr = cfg->waypoints[i];
		atomic_init(&a->wait_until_ms, 0);
		aves_ratelimit_init(&a->unreach, cfg->unreach_rate, cfg->unreach_burst);
		aves_ratelimit_init(&a->fragneeded, cfg->fragneeded_rate, cfg->fragneeded_burst);
		if (aves_addr_map_add(app->local, a->addr, WP_LOCAL_WAYPOINT << WP_LOCAL_SHIFT | i))
			return -1;
	}
	app->n_addrs = cfg->n_waypoints;
	return 0;
}

static int
make_routes(struct wp_app *app, const struct wp_config *cfg)
{
	uint32_t i, j;

	app->routes = aves_route_create("wp_routes", cfg->base.n_ports + cfg->base.n_routes, SOCKET_ID_ANY);
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

		/* wp_config checked that the gateway is on a port's network. */
		if (aves_route_lookup(app->routes, r->via, &hop) != 0)
			return -1;
		for (j = 0; j < app->n_ports && app->ports[j].id != hop.port; j++)
			;
		if (aves_route_add(app->routes, r->prefix, r->len, r->via, hop.port,
				   app->ports[j].mtu) != 0) {
			WP_LOG(ERR, "route %u: cannot be added", i);
			return -1;
		}
	}
	return 0;
}

static int
make_keys(struct wp_app *app, const struct wp_config *cfg)
{
	struct aves_auth_ctx *auth = aves_auth_ctx_create();
	struct aves_key k;
	uint32_t i;
	int ret = -1;

	app->service_keys = aves_keyring_create(cfg->n_service_keys);
	app->gateway_keys = aves_keyring_create(RTE_MAX(cfg->n_gateway_keys, 1u));
	if (auth == NULL || app->service_keys == NULL || app->gateway_keys == NULL)
		goto out;
	for (i = 0; i < cfg->n_service_keys + cfg->n_gateway_keys; i++) {
		bool service = i < cfg->n_service_keys;
		const struct aves_key_conf *kc = service ? &cfg->service_keys[i] :
			&cfg->gateway_keys[i - cfg->n_service_keys];

		if (aves_key_init(auth, &k, kc->id, (enum aves_alg)kc->alg, kc->secret, kc->len) ||
		    aves_keyring_add(service ? app->service_keys : app->gateway_keys, &k) != 0) {
			aves_key_wipe(&k);
			goto out;
		}
		aves_key_wipe(&k);
	}
	app->reply_key_id = cfg->service_keys[0].id;
	ret = 0;
out:
	aves_auth_ctx_free(auth);
	return ret;
}

static int
make_tables(struct wp_app *app, const struct wp_config *cfg)
{
	struct aves_table_params tp = {
		.name = "wp_bindings",
		.capacity = cfg->bindings,
		.key_len = sizeof(struct aves_wp_key),
		.entry_size = sizeof(struct wp_binding),
		.socket_id = SOCKET_ID_ANY,
		.mode = AVES_TABLE_SHARED,
	};
	struct aves_neigh_params np = {
		.name = "wp_neigh",
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

	app->qsbr = rte_zmalloc("wp_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL || rte_rcu_qsbr_init(app->qsbr, app->n_workers) != 0)
		return -1;
	tp.qsbr = app->qsbr;
	app->bindings = aves_table_create(&tp);
	tp.name = "wp_blocks";
	tp.capacity = cfg->blocks;
	tp.entry_size = sizeof(struct aves_block);
	app->blocks = aves_table_create(&tp);
	np.qsbr = app->qsbr;
	app->neigh = aves_neigh_create(&np);
	app->punt = aves_punt_create("wp_punt", cfg->base.punt_ring, SOCKET_ID_ANY);
	if (app->bindings == NULL || app->blocks == NULL || app->neigh == NULL ||
	    app->punt == NULL)
		return -1;
	for (i = 0; i < app->n_ports; i++)
		if (aves_neigh_port(app->neigh, app->ports[i].id, &app->ports[i].mac,
				    cfg->base.ports[i].addr, cfg->base.ports[i].prefix_len) != 0)
			return -1;
	return 0;
}

struct wp_app *
wp_app_create(const struct wp_config *cfg, const struct wp_start *start)
{
	struct wp_app *app = rte_zmalloc("wp_app", sizeof(*app), RTE_CACHE_LINE_SIZE);
	uint32_t i;

	if (app == NULL)
		return NULL;
	app->timers = cfg->base.timers;
	app->control_addr = cfg->control_addr;
	app->control_port = (uint16_t)cfg->control_port;
	app->burst = (uint16_t)cfg->base.burst;
	app->sweep_budget = cfg->base.sweep_budget;
	app->stats_interval_ms = cfg->base.stats_interval_ms;
	app->punt_ring_size = cfg->base.punt_ring;
	app->idle_pause_after = cfg->base.idle_pause_after;
	app->idle_sleep_after = cfg->base.idle_sleep_after;
	app->idle_sleep_us = cfg->base.idle_sleep_us;
	app->n_workers = cfg->base.n_workers;
	app->n_addrs = cfg->n_waypoints;

	app->pool = rte_pktmbuf_pool_create("wp_pool", cfg->base.mbufs, cfg->base.mbuf_cache, 0,
					    data_room(cfg), SOCKET_ID_ANY);
	/* Fragments point into the original packet through indirect mbufs (no data room). */
	app->indirect = rte_pktmbuf_pool_create("wp_indirect", cfg->base.mbufs / 4 + 1,
						RTE_MIN(cfg->base.mbuf_cache, (cfg->base.mbufs / 4) / 2), 0,
						0, SOCKET_ID_ANY);
	if (app->pool == NULL || app->indirect == NULL) {
		WP_LOG(ERR, "cannot create the mbuf pools (%u mbufs): %s", cfg->base.mbufs,
		       rte_strerror(rte_errno));
		goto fail;
	}
	if (make_counters(app) != 0 || make_ports(app, cfg, start) != 0 ||
	    make_addresses(app, cfg) != 0 || make_routes(app, cfg) != 0 ||
	    make_tables(app, cfg) != 0 || make_keys(app, cfg) != 0) {
		WP_LOG(ERR, "start-up failed");
		goto fail;
	}
	for (i = 0; i < app->n_workers; i++) {
		app->workers[i] = wp_worker_create(app, i, cfg->connections, start->wall_us);
		if (app->workers[i] == NULL) {
			WP_LOG(ERR, "worker %u: cannot create its context", i);
			goto fail;
		}
	}
	app->control = wp_control_create(app, cfg, start->wall_us);
	if (app->control == NULL) {
		WP_LOG(ERR, "cannot create the control lcore's context");
		goto fail;
	}
	return app;
fail:
	wp_app_free(app);
	return NULL;
}

void
wp_app_free(struct wp_app *app)
{
	uint32_t i;

	if (app == NULL)
		return;
	for (i = 0; i < app->n_workers; i++)
		wp_worker_free(app->workers[i]);
	wp_control_free(app->control);
	aves_punt_free(app->punt);
	if (app->redirect != NULL) {
		void *m;

		while (rte_ring_sc_dequeue(app->redirect, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(app->redirect);
	}
	aves_neigh_free(app->neigh);
	aves_table_free(app->bindings);
	aves_table_free(app->blocks);
	rte_free(app->qsbr);
	aves_keyring_free(app->service_keys);
	aves_keyring_free(app->gateway_keys);
	aves_route_free(app->routes);
	aves_addr_map_free(app->local);
	rte_free(app->addrs);
	/* Stopped, not closed: the caller owns the devices (main closes them at exit). */
	for (i = 0; i < app->n_ports && app->ports_started; i++)
		rte_eth_dev_stop(app->ports[i].id);
	for (i = 0; i <= app->n_workers && i <= WP_WORKERS_MAX; i++) {
		rte_free(app->stats[i]);
		rte_free(app->addr_ctr[i]);
	}
	rte_mempool_free(app->indirect);
	rte_mempool_free(app->pool);
	rte_free(app);
}
