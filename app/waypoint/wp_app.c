/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building aves-waypoint from its configuration: thin wiring of app/common and lib/.
 * Everything here runs on the main thread before the lcores start, or after they stopped.
 */
#include <stddef.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "wp.h"

RTE_LOG_REGISTER(wp_logtype, aves.waypoint, INFO);

int
wp_app_addr_index(const struct wp_app *app, uint32_t addr)
{
	uint32_t value;

	if (aves_addr_map_lookup(app->base.local, addr, &value) != 0 ||
	    value >> WP_LOCAL_SHIFT != WP_LOCAL_WAYPOINT)
		return -1;
	return (int)(value & WP_LOCAL_INDEX_MASK);
}

/* Per-W counters of every lcore (its struct wp_stats is the base's). */
static int
make_addr_counters(struct wp_app *app)
{
	uint32_t l;

	for (l = 0; l <= app->base.n_workers; l++) {
		app->addr_ctr[l] = rte_zmalloc("wp_addr_ctr",
					       app->n_addrs * sizeof(struct wp_addr_ctr),
					       RTE_CACHE_LINE_SIZE);
		if (app->addr_ctr[l] == NULL)
			return -1;
	}
	return 0;
}

/* The address map (the base made it empty): the control address, the ports', the waypoints'. */
static int
make_addresses(struct wp_app *app, const struct wp_config *cfg)
{
	uint32_t i;

	app->addrs = rte_zmalloc("wp_addrs", cfg->n_waypoints * sizeof(app->addrs[0]),
				 RTE_CACHE_LINE_SIZE);
	if (app->addrs == NULL)
		return -1;
	/* The control address first: when it is also an interface address, it is both. */
	if (aves_addr_map_add(app->base.local, cfg->control_addr,
			      WP_LOCAL_CONTROL << WP_LOCAL_SHIFT) != 0)
		return -1;
	for (i = 0; i < cfg->base.n_ports; i++) {
		int ret = aves_addr_map_add(app->base.local, cfg->base.ports[i].addr,
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
		if (aves_addr_map_add(app->base.local, a->addr,
				      WP_LOCAL_WAYPOINT << WP_LOCAL_SHIFT | i) != 0)
			return -1;
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
		.qsbr = app->base.qsbr,
	};

	app->bindings = aves_table_create(&tp);
	tp.name = "wp_blocks";
	tp.capacity = cfg->blocks;
	tp.entry_size = sizeof(struct aves_block);
	app->blocks = aves_table_create(&tp);
	return app->bindings != NULL && app->blocks != NULL ? 0 : -1;
}

struct wp_app *
wp_app_create(const struct wp_config *cfg, const struct wp_start *start)
{
	struct wp_app *app = rte_zmalloc("wp_app", sizeof(*app), RTE_CACHE_LINE_SIZE);
	struct aves_appliance_params bp = {
		.prefix = "wp",
		.prog = "aves-waypoint",
		.logtype = wp_logtype,
		/* The tunnel tags in place, at the tail; the prepended headers fit the headroom
		 * freed by the Ethernet header and RTE_PKTMBUF_HEADROOM. */
		.tail_room = AVES_TAG_LEN,
		.stats_size = sizeof(struct wp_stats),
		.stats_port_off = offsetof(struct wp_stats, port),
		.local_capacity = cfg->base.n_ports + 1 + cfg->n_waypoints,
		.start_ports = start->start_ports,
	};
	uint32_t i;

	if (app == NULL)
		return NULL;
	app->control_addr = cfg->control_addr;
	app->control_port = (uint16_t)cfg->control_port;
	app->n_addrs = cfg->n_waypoints;
	if (aves_appliance_init(&app->base, &cfg->base, &bp) != 0 ||
	    make_addr_counters(app) != 0 || make_addresses(app, cfg) != 0 ||
	    make_tables(app, cfg) != 0 || make_keys(app, cfg) != 0) {
		WP_LOG(ERR, "start-up failed");
		goto fail;
	}
	for (i = 0; i < app->base.n_workers; i++) {
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
	for (i = 0; i < app->base.n_workers; i++)
		wp_worker_free(app->workers[i]);
	wp_control_free(app->control);
	aves_table_free(app->bindings);
	aves_table_free(app->blocks);
	aves_keyring_free(app->service_keys);
	aves_keyring_free(app->gateway_keys);
	rte_free(app->addrs);
	for (i = 0; i <= app->base.n_workers && i <= WP_WORKERS_MAX; i++)
		rte_free(app->addr_ctr[i]);
	aves_appliance_fini(&app->base);
	rte_free(app);
}
