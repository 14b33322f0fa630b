/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building aves-natgw from its configuration: thin wiring of app/common and lib/.
 * Everything here runs on the main thread before the lcores start, or after they stopped.
 */
#include <stddef.h>
#include <string.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "ngw.h"

RTE_LOG_REGISTER(ngw_logtype, aves.natgw, INFO);

/* The address map holds the inside ports' addresses; the public address, which changes, is
 * app->public_addr (and the neighbour table's outside port address). */
static int
make_addresses(struct ngw_app *app, const struct ngw_config *cfg)
{
	uint32_t i;

	for (i = 0; i < cfg->base.n_ports; i++)
		if (cfg->side[i] == NGW_INSIDE &&
		    aves_addr_map_add(app->base.local, cfg->base.ports[i].addr,
				      NGW_LOCAL_IFACE << NGW_LOCAL_SHIFT | i) != 0)
			return -1;
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
		.qsbr = app->base.qsbr,
	};

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
	return app->sessions != NULL && app->inbound != NULL && app->trust != NULL ? 0 : -1;
}

struct ngw_app *
ngw_app_create(const struct ngw_config *cfg, const struct ngw_start *start)
{
	struct ngw_app *app = rte_zmalloc("ngw_app", sizeof(*app), RTE_CACHE_LINE_SIZE);
	struct aves_appliance_params bp = {
		.prefix = "ngw",
		.prog = "aves-natgw",
		.logtype = ngw_logtype,
		.big_buffers = cfg->reasm_buffers,
		.stats_size = sizeof(struct ngw_stats),
		.stats_port_off = offsetof(struct ngw_stats, port),
		.local_capacity = cfg->base.n_ports,
		.start_ports = start->start_ports,
	};
	uint32_t i;

	if (app == NULL)
		return NULL;
	for (i = 0; i < cfg->base.n_ports; i++)
		bp.port_role[i] = cfg->side[i] == NGW_OUTSIDE ? "outside" : "inside";
	app->cfg = *cfg;
	app->outside = (uint8_t)cfg->outside;
	atomic_init(&app->public_addr, cfg->base.ports[cfg->outside].addr);
	atomic_init(&app->public_request, 0);
	aves_ratelimit_init(&app->icmp_limit, cfg->icmp_rate, cfg->icmp_burst);
	if (aves_appliance_init(&app->base, &cfg->base, &bp) != 0 ||
	    make_addresses(app, cfg) != 0 || make_tables(app, cfg) != 0 ||
	    make_keys(app, cfg) != 0) {
		NGW_LOG(ERR, "start-up failed");
		goto fail;
	}
	/* The lcores need no secret: keep none beyond the keyring's derived state (the ids
	 * stay: the first names the key REGISTER is tagged with). */
	for (i = 0; i < app->cfg.n_keys; i++) {
		memset(app->cfg.keys[i].secret, 0, sizeof(app->cfg.keys[i].secret));
		app->cfg.keys[i].len = 0;
	}
	for (i = 0; i < app->base.n_workers; i++) {
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
	for (i = 0; i < app->base.n_workers; i++)
		ngw_worker_free(app->workers[i]);
	ngw_control_free(app->control);
	aves_table_free(app->sessions);
	aves_table_free(app->inbound);
	aves_table_free(app->trust);
	aves_keyring_free(app->keys);
	aves_appliance_fini(&app->base);
	memset(&app->cfg, 0, sizeof(app->cfg));
	rte_free(app);
}
