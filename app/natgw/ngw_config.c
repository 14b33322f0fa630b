/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading aves-natgw's libconfig file. Scalar settings are described once, in the table
 * below (group, name, unit, range, default, field; the rows both appliances share come from
 * aves_appconf.h); lists have a parser each. A second pass cross-checks what refers to what. Every problem is reported through aves_conf (file:line:
 * setting: problem) and counted; any problem fails the load.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aves_ctrl.h"
#include "aves_flow.h"
#include "aves_table.h"
#include "ngw_config.h"

#define NGW_DIM(a) (sizeof(a) / sizeof((a)[0]))
#define NGW_OFF(field) offsetof(struct ngw_config, field)

/* Every scalar setting. The order is the order --check-config prints. */
static const struct aves_conf_scalar scalars[] = {
	{ "tunnel", "port", AVES_CONF_UINT, NGW_OFF(tunnel_port), 1, 65535, AVES_TUNNEL_PORT, "" },
	{ "register", "port", AVES_CONF_UINT, NGW_OFF(register_port), 1, 65535, AVES_CTRL_PORT, "" },
	{ "register", "interval", AVES_CONF_DURATION, NGW_OFF(register_interval_ms), 1000, 86400000,
	  30000, "ms" },
	{ "register", "fast-interval", AVES_CONF_DURATION, NGW_OFF(register_fast_interval_ms), 100, 60000,
	  1000, "ms" },
	{ "register", "fast-period", AVES_CONF_DURATION, NGW_OFF(register_fast_period_ms), 0, 3600000,
	  10000, "ms (0: no fast phase)" },
	{ "nat", "port-min", AVES_CONF_UINT, NGW_OFF(port_min), 1, 65535, 1024, "" },
	{ "nat", "port-max", AVES_CONF_UINT, NGW_OFF(port_max), 1, 65535, 65535, "" },
	AVES_CONF_ROWS_IDLE_TIMERS(struct ngw_config),
	{ "tables", "sessions", AVES_CONF_UINT, NGW_OFF(sessions), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries" },
	{ "tables", "trusted-sources", AVES_CONF_UINT, NGW_OFF(trusted_sources), 1, 65536, 1024,
	  "waypoint addresses" },
	AVES_CONF_ROWS_TABLES(struct ngw_config),
	{ "reassembly", "datagrams", AVES_CONF_UINT, NGW_OFF(reasm_datagrams), 1, 65536, 1024,
	  "pending per worker" },
	{ "reassembly", "per-source", AVES_CONF_UINT, NGW_OFF(reasm_per_source), 1, 65536, 16,
	  "pending per source" },
	{ "reassembly", "trusted-datagrams", AVES_CONF_UINT, NGW_OFF(reasm_trusted_datagrams), 1, 65536,
	  1024, "pending per worker" },
	{ "reassembly", "trusted-per-source", AVES_CONF_UINT, NGW_OFF(reasm_trusted_per_source), 1, 65536,
	  256, "pending per waypoint" },
	{ "reassembly", "timeout", AVES_CONF_DURATION, NGW_OFF(reasm_timeout_ms), 100, 60000, 2000, "ms" },
	{ "reassembly", "trust", AVES_CONF_DURATION, NGW_OFF(reasm_trust_ms), 1000, 86400000, 60000,
	  "ms" },
	{ "reassembly", "buffers", AVES_CONF_UINT, NGW_OFF(reasm_buffers), 8, 65536, 64,
	  "mbufs of 64 KB" },
	AVES_CONF_ROWS_NEIGHBOURS(struct ngw_config),
	{ "icmp", "rate", AVES_CONF_UINT, NGW_OFF(icmp_rate), 1, 1000000, 100, "per second" },
	{ "icmp", "burst", AVES_CONF_UINT, NGW_OFF(icmp_burst), 1, 1000000, 20, "messages" },
	AVES_CONF_ROWS_RUNTIME(struct ngw_config),
};

/* Compound members of scalar groups, printed first in their group. */
static const struct aves_conf_compound compounds[] = {
	{ "tunnel", "multihomed" },
	{ "tunnel", "trusted" },
	{ "register", "servers" },
	{ "lcores", "workers" },
};

static const char *const top_level[] = {
	"ports", "routes", "keys", "tunnel", "register", "nat", "timers", "tables", "reassembly",
	"neighbours", "icmp", "lcores", "idle", "mbufs", "datapath", "log", NULL,
};

static void print_group(const void *cfg, const char *group, FILE *out);

static const struct aves_conf_file ngw_file = {
	.top_level = top_level,
	.scalars = scalars,
	.n_scalars = NGW_DIM(scalars),
	.compounds = compounds,
	.n_compounds = NGW_DIM(compounds),
	.print_group = print_group,
};

/* A port's side. */
static void
read_side(struct aves_conf *conf, const config_setting_t *port, unsigned int i, void *arg)
{
	struct ngw_config *cfg = arg;
	char side[16];

	if (!aves_conf_string(conf, port, "side", AVES_CONF_REQUIRED, NULL, side, sizeof(side)))
		return;
	if (strcmp(side, "inside") == 0)
		cfg->side[i] = NGW_INSIDE;
	else if (strcmp(side, "outside") == 0)
		cfg->side[i] = NGW_OUTSIDE;
	else
		aves_conf_error(conf, config_setting_get_member(port, "side"),
				"must be \"inside\" or \"outside\" (\"%s\")", side);
}

static void
read_keys(struct aves_conf *conf, struct ngw_config *cfg)
{
	const config_setting_t *l = aves_conf_list(conf, aves_conf_root(conf), "keys",
						   AVES_CONF_REQUIRED);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (l != NULL && (n == 0 || n > NGW_KEYS_MAX)) {
		aves_conf_error(conf, l, "must list 1 to %u keys (%u)", NGW_KEYS_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = aves_conf_list_group(conf, l, i);

		if (g != NULL)
			aves_appconf_key(conf, g, &cfg->keys[cfg->n_keys++]);
	}
}

static void
read_compounds(struct aves_conf *conf, struct ngw_config *cfg)
{
	const config_setting_t *g;

	g = aves_appconf_group(conf, "tunnel", AVES_CONF_OPTIONAL);
	aves_conf_bool(conf, g, "multihomed", AVES_CONF_OPTIONAL, false, &cfg->multihomed);
	aves_conf_ipv4_array(conf, g, "trusted", AVES_CONF_OPTIONAL, NGW_TRUSTED_MAX,
			     cfg->trusted, cfg->trusted_len, &cfg->n_trusted);
	g = aves_appconf_group(conf, "register", AVES_CONF_REQUIRED);
	if (g != NULL)
		aves_conf_ipv4_array(conf, g, "servers", AVES_CONF_REQUIRED, NGW_SERVERS_MAX,
				     cfg->servers, NULL, &cfg->n_servers);
	aves_appconf_workers(conf, &cfg->base,
			     aves_appconf_group(conf, "lcores", AVES_CONF_REQUIRED));
}

/* ---------------------------------------------------------------------------------------- */
/* Cross-checks                                                                              */
/* ---------------------------------------------------------------------------------------- */

bool
ngw_config_public_ok(const struct ngw_config *cfg, uint32_t addr)
{
	const struct aves_port_conf *o = &cfg->base.ports[cfg->outside];
	unsigned int i;

	if (aves_ipv4_martian_src(addr) || !aves_appconf_in_prefix(addr, o->addr, o->prefix_len) ||
	    aves_appconf_net_or_bcast(addr, o->prefix_len))
		return false;
	for (i = 0; i < cfg->base.n_ports; i++)
		if (i != cfg->outside && cfg->base.ports[i].addr == addr)
			return false;
	return true;
}

/* One public address: a REGISTER names exactly one, and NAPT translates to it. */
static void
check_sides(struct aves_conf *conf, struct ngw_config *cfg)
{
	unsigned int i, n_outside = 0;

	for (i = 0; i < cfg->base.n_ports; i++) {
		if (cfg->side[i] == NGW_OUTSIDE) {
			cfg->outside = i;
			n_outside++;
		}
	}
	if (n_outside != 1)
		aves_conf_error_path(conf, "ports",
				"exactly one port must have side = \"outside\" (%u do)", n_outside);
	if (n_outside == cfg->base.n_ports)
		aves_conf_error_path(conf, "ports",
				"at least one port must have side = \"inside\"");
}

static void
check_other(struct aves_conf *conf, struct ngw_config *cfg)
{
	const config_setting_t *servers = aves_conf_lookup(conf, "register.servers");
	char a[INET_ADDRSTRLEN];
	unsigned int i, j;

	for (i = 0; i < cfg->n_keys; i++)
		for (j = 0; j < i; j++)
			if (cfg->keys[j].id == cfg->keys[i].id)
				aves_conf_error_path(conf, "keys",
						"key id %u is used twice", cfg->keys[i].id);
	for (i = 0; i < cfg->n_servers; i++) {
		int p = aves_appconf_port_of(&cfg->base, cfg->servers[i]);

		inet_ntop(AF_INET, &cfg->servers[i], a, sizeof(a));
		if (aves_ipv4_martian_src(cfg->servers[i]) ||
		    aves_appconf_is_port_addr(&cfg->base, cfg->servers[i]))
			aves_conf_error(conf, servers, "%s cannot be a DNS front end", a);
		else if (p >= 0 && cfg->side[p] == NGW_INSIDE)
			aves_conf_error(conf, servers,
					"%s is on an inside network: REGISTER leaves by the "
					"outside port", a);
	}
	if (cfg->register_fast_interval_ms > cfg->register_interval_ms)
		aves_conf_error_path(conf, "register.fast-interval",
				"must not be longer than register.interval (%u > %u ms)",
				cfg->register_fast_interval_ms, cfg->register_interval_ms);
	if (cfg->port_min > cfg->port_max)
		aves_conf_error_path(conf, "nat.port-min",
				"must not be above nat.port-max (%u > %u)", cfg->port_min,
				cfg->port_max);
	else if (cfg->port_min == cfg->port_max && cfg->port_min == cfg->tunnel_port)
		aves_conf_error_path(conf, "nat.port-min",
				"the range holds only the tunnel port (%u)", cfg->tunnel_port);
	aves_appconf_check_timers(conf, &cfg->base);
	if (cfg->reasm_per_source > cfg->reasm_datagrams)
		aves_conf_error_path(conf, "reassembly.per-source",
				"must not be above reassembly.datagrams (%u > %u)",
				cfg->reasm_per_source, cfg->reasm_datagrams);
	if (cfg->reasm_trusted_per_source > cfg->reasm_trusted_datagrams)
		aves_conf_error_path(conf, "reassembly.trusted-per-source",
				"must not be above reassembly.trusted-datagrams (%u > %u)",
				cfg->reasm_trusted_per_source, cfg->reasm_trusted_datagrams);
	aves_appconf_check_runtime(conf, &cfg->base);
}

int
ngw_config_load(struct ngw_config *cfg, const char *path, FILE *err)
{
	struct aves_conf conf;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (aves_appconf_open(&conf, &cfg->base, path, err) != 0) {
		aves_conf_close(&conf);
		return -1;
	}
	aves_conf_file_reject_unknown(&conf, &ngw_file);
	aves_conf_file_read(&conf, &ngw_file, cfg);
	aves_appconf_ports(&conf, &cfg->base, 2, "side", read_side, cfg);
	aves_appconf_routes(&conf, &cfg->base);
	read_keys(&conf, cfg);
	read_compounds(&conf, cfg);
	if (aves_conf_errors(&conf) == 0) {
		aves_appconf_check_ports(&conf, &cfg->base);
		check_sides(&conf, cfg);
		aves_appconf_check_routes(&conf, &cfg->base, NULL, 0);
		check_other(&conf, cfg);
	}
	ret = aves_conf_errors(&conf) == 0 ? 0 : -1;
	aves_conf_close(&conf);
	if (ret != 0)
		ngw_config_clear(cfg);
	return ret;
}

void
ngw_config_clear(struct ngw_config *cfg)
{
	volatile uint8_t *p = (volatile uint8_t *)cfg;
	size_t i;

	/* Through a volatile pointer: a wipe the compiler cannot drop as a dead store. */
	for (i = 0; i < sizeof(*cfg); i++)
		p[i] = 0;
}

static const char *
ntop(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* The compound members of @p group, in the file's syntax. */
static void
print_group(const void *c, const char *group, FILE *out)
{
	const struct ngw_config *cfg = c;
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	if (strcmp(group, "tunnel") == 0) {
		fprintf(out, "\tmultihomed = %s;\n\ttrusted = [",
			cfg->multihomed ? "true" : "false");
		for (i = 0; i < cfg->n_trusted; i++)
			fprintf(out, "%s\"%s/%u\"", i ? ", " : " ", ntop(cfg->trusted[i], a),
				cfg->trusted_len[i]);
		fprintf(out, " ];\n");
	} else if (strcmp(group, "register") == 0) {
		fprintf(out, "\tservers = [");
		for (i = 0; i < cfg->n_servers; i++)
			fprintf(out, "%s\"%s\"", i ? ", " : " ", ntop(cfg->servers[i], a));
		fprintf(out, " ];\n");
	} else if (strcmp(group, "lcores") == 0) {
		aves_appconf_print_workers(&cfg->base, out);
	}
}

static const char *
side_text(const void *c, unsigned int i)
{
	const struct ngw_config *cfg = c;

	return cfg->side[i] == NGW_OUTSIDE ? "side = \"outside\"; " : "side = \"inside\"; ";
}

void
ngw_config_print(const struct ngw_config *cfg, FILE *out)
{
	fprintf(out, "# effective configuration of %s\n", cfg->base.file);
	aves_appconf_print_ports(&cfg->base, side_text, cfg, out);
	aves_appconf_print_routes(&cfg->base, out);
	fprintf(out, "keys = (\n");
	aves_appconf_print_keys(cfg->keys, cfg->n_keys, "\t", out);
	fprintf(out, ");\n");
	aves_conf_file_print(&ngw_file, cfg, out);
}
