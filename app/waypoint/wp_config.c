/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading aves-waypoint's libconfig file. Scalar settings are described once, in the table
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
#include "aves_replay.h"
#include "aves_table.h"
#include "wp_config.h"

#define WP_OFF(field) offsetof(struct wp_config, field)
#define WP_TIMER(field) offsetof(struct wp_config, base.timers.field)

/* Every scalar setting. The order is the order --check-config prints. */
static const struct aves_conf_scalar scalars[] = {
	{ "control", "port", AVES_CONF_UINT, WP_OFF(control_port), 1, 65535, AVES_CTRL_PORT, "" },
	{ "control", "max-skew", AVES_CONF_DURATION, WP_OFF(max_skew_ms), 1000, 600000,
	  AVES_CTRL_MAX_SKEW_MS, "ms" },
	{ "control", "replay-windows", AVES_CONF_UINT, WP_OFF(replay_windows), 1,
	  AVES_REPLAY_MAX, 1024, "windows" },
	{ "timers", "wait", AVES_CONF_DURATION, WP_TIMER(twait_ms), 1, AVES_TWAIT_MS_MAX,
	  AVES_TWAIT_MS_DEFAULT, "ms" },
	{ "timers", "reject", AVES_CONF_DURATION, WP_TIMER(treject_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_TREJECT_MS_DEFAULT, "ms" },
	{ "timers", "penalty", AVES_CONF_DURATION, WP_TIMER(penalty_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_PENALTY_MS_DEFAULT, "ms" },
	AVES_CONF_ROWS_IDLE_TIMERS(struct wp_config),
	{ "tables", "bindings", AVES_CONF_UINT, WP_OFF(bindings), 1, AVES_TABLE_CAPACITY_MAX,
	  65536, "entries" },
	{ "tables", "blocks", AVES_CONF_UINT, WP_OFF(blocks), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries" },
	{ "tables", "connections", AVES_CONF_UINT, WP_OFF(connections), 1,
	  AVES_TABLE_CAPACITY_MAX, 65536, "entries per worker" },
	AVES_CONF_ROWS_TABLES(struct wp_config),
	AVES_CONF_ROWS_NEIGHBOURS(struct wp_config),
	{ "icmp", "unreachable-rate", AVES_CONF_UINT, WP_OFF(unreach_rate), 1, 1000000, 100,
	  "per second per waypoint address" },
	{ "icmp", "unreachable-burst", AVES_CONF_UINT, WP_OFF(unreach_burst), 1, 1000000, 20,
	  "messages" },
	{ "icmp", "frag-needed-rate", AVES_CONF_UINT, WP_OFF(fragneeded_rate), 1, 1000000, 100,
	  "per second per waypoint address" },
	{ "icmp", "frag-needed-burst", AVES_CONF_UINT, WP_OFF(fragneeded_burst), 1, 1000000, 20,
	  "messages" },
	AVES_CONF_ROWS_RUNTIME(struct wp_config),
};

/* Compound members of scalar groups, printed first in their group. */
static const struct aves_conf_compound compounds[] = {
	{ "control", "address" },
	{ "lcores", "workers" },
};

static const char *const top_level[] = {
	"ports", "routes", "control", "waypoints", "keys", "timers", "tables", "neighbours",
	"icmp", "lcores", "idle", "mbufs", "datapath", "log", NULL,
};

static void print_group(const void *cfg, const char *group, FILE *out);

static const struct aves_conf_file wp_file = {
	.top_level = top_level,
	.scalars = scalars,
	.n_scalars = sizeof(scalars) / sizeof(scalars[0]),
	.compounds = compounds,
	.n_compounds = sizeof(compounds) / sizeof(compounds[0]),
	.print_group = print_group,
};

static void
read_waypoints(struct aves_conf *conf, struct wp_config *cfg)
{
	const config_setting_t *a = aves_conf_member(conf, aves_conf_root(conf), "waypoints",
						     AVES_CONF_REQUIRED);
	unsigned int i, n;

	if (a == NULL)
		return;
	if (!config_setting_is_array(a) || config_setting_length(a) == 0) {
		aves_conf_error(conf, a, "must be a non-empty array [ \"a.b.c.d\", "
				"\"a.b.c.d/len\", ... ]");
		return;
	}
	n = (unsigned int)config_setting_length(a);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);
		const char *text = config_setting_get_string(e);
		uint32_t addr, host;
		uint8_t len = 32;
		uint64_t count, j;

		if (text == NULL) {
			aves_conf_error(conf, e, "must be a string");
			continue;
		}
		if (strchr(text, '/') != NULL ? aves_conf_parse_prefix(text, &addr, &len) != 0 :
						aves_conf_parse_ipv4(text, &addr) != 0) {
			aves_conf_error(conf, e, "not an address or a prefix with zero host bits "
					"(\"%s\")", text);
			continue;
		}
		/* A prefix stands for every address in it, as the paper's 50 aliases would be
		 * written: the operator chose the block. */
		count = UINT64_C(1) << (32 - len);
		if (cfg->n_waypoints + count > WP_WAYPOINTS_MAX) {
			aves_conf_error(conf, e, "more than %u waypoint addresses in all (\"%s\")",
					WP_WAYPOINTS_MAX, text);
			return;
		}
		host = ntohl(addr);
		for (j = 0; j < count; j++)
			cfg->waypoints[cfg->n_waypoints++] = htonl(host + (uint32_t)j);
	}
}

static void
read_keys(struct aves_conf *conf, struct wp_config *cfg)
{
	static const char *const allowed[] = { "service", "gateways", NULL };
	const config_setting_t *g = aves_appconf_group(conf, "keys", AVES_CONF_REQUIRED);
	const config_setting_t *l;
	unsigned int i, n;

	if (g == NULL)
		return;
	aves_conf_reject_unknown(conf, g, allowed);
	l = aves_conf_list(conf, g, "service", AVES_CONF_REQUIRED);
	n = l != NULL ? (unsigned int)config_setting_length(l) : 0;
	if (l != NULL && (n == 0 || n > WP_SERVICE_KEYS_MAX))
		aves_conf_error(conf, l, "must list 1 to %u keys (%u)", WP_SERVICE_KEYS_MAX, n);
	for (i = 0; i < n && i < WP_SERVICE_KEYS_MAX; i++) {
		const config_setting_t *e = aves_conf_list_group(conf, l, i);

		if (e != NULL)
			aves_appconf_key(conf, e, &cfg->service_keys[cfg->n_service_keys++]);
	}
	l = aves_conf_list(conf, g, "gateways", AVES_CONF_OPTIONAL);
	n = l != NULL ? (unsigned int)config_setting_length(l) : 0;
	if (n > WP_GATEWAY_KEYS_MAX) {
		aves_conf_error(conf, l, "at most %u keys (%u)", WP_GATEWAY_KEYS_MAX, n);
		return;
	}
	if (n == 0)
		return;
	cfg->gateway_keys = calloc(n, sizeof(cfg->gateway_keys[0]));
	if (cfg->gateway_keys == NULL) {
		aves_conf_error(conf, l, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = aves_conf_list_group(conf, l, i);

		if (e != NULL)
			aves_appconf_key(conf, e, &cfg->gateway_keys[cfg->n_gateway_keys++]);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Cross-checks                                                                              */
/* ---------------------------------------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
cross_check(struct aves_conf *conf, struct wp_config *cfg)
{
	const struct aves_appliance_conf *base = &cfg->base;
	const config_setting_t *waypoints = aves_conf_lookup(conf, "waypoints");
	char a[INET_ADDRSTRLEN];
	uint32_t *sorted;
	unsigned int i, j;

	aves_appconf_check_ports(conf, base);
	if (cfg->control_addr != 0 && aves_appconf_port_of(base, cfg->control_addr) < 0)
		aves_conf_error_path(conf, "control.address",
				"%s is on no port's network",
				inet_ntop(AF_INET, &cfg->control_addr, a, sizeof(a)));
	aves_appconf_check_routes(conf, base, &cfg->control_addr, 1);

	sorted = malloc((cfg->n_waypoints + 1) * sizeof(*sorted));
	if (sorted != NULL && cfg->n_waypoints > 0) {
		memcpy(sorted, cfg->waypoints, cfg->n_waypoints * sizeof(*sorted));
		qsort(sorted, cfg->n_waypoints, sizeof(*sorted), cmp_u32);
		for (i = 1; i < cfg->n_waypoints; i++)
			if (sorted[i] == sorted[i - 1])
				aves_conf_error(conf, waypoints, "%s is listed twice",
						inet_ntop(AF_INET, &sorted[i], a, sizeof(a)));
	}
	free(sorted);
	for (i = 0; i < cfg->n_waypoints; i++) {
		uint32_t w = cfg->waypoints[i];

		inet_ntop(AF_INET, &w, a, sizeof(a));
		if (aves_ipv4_martian_src(w))
			aves_conf_error(conf, waypoints, "%s cannot be a waypoint address", a);
		else if (aves_appconf_is_port_addr(base, w) || w == cfg->control_addr)
			aves_conf_error(conf, waypoints,
					"%s is also an interface or the control address", a);
	}

	for (i = 0; i < cfg->n_service_keys + cfg->n_gateway_keys; i++) {
		const struct aves_key_conf *k = i < cfg->n_service_keys ?
			&cfg->service_keys[i] : &cfg->gateway_keys[i - cfg->n_service_keys];

		for (j = 0; j < i; j++) {
			const struct aves_key_conf *o = j < cfg->n_service_keys ?
				&cfg->service_keys[j] : &cfg->gateway_keys[j - cfg->n_service_keys];

			if (o->id == k->id && k->id != 0)
				aves_conf_error_path(conf, "keys",
						"key id %u is used twice", k->id);
		}
	}

	aves_appconf_check_timers(conf, base);
	aves_appconf_check_runtime(conf, base);
}

int
wp_config_load(struct wp_config *cfg, const char *path, FILE *err)
{
	struct aves_conf conf;
	const config_setting_t *g;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (aves_appconf_open(&conf, &cfg->base, path, err) != 0) {
		aves_conf_close(&conf);
		return -1;
	}
	aves_conf_file_reject_unknown(&conf, &wp_file);
	aves_conf_file_read(&conf, &wp_file, cfg);
	aves_appconf_ports(&conf, &cfg->base, 1, NULL, NULL, NULL);
	aves_appconf_routes(&conf, &cfg->base);
	g = aves_appconf_group(&conf, "control", AVES_CONF_REQUIRED);
	if (g != NULL)
		aves_conf_ipv4(&conf, g, "address", AVES_CONF_REQUIRED, &cfg->control_addr);
	read_waypoints(&conf, cfg);
	read_keys(&conf, cfg);
	aves_appconf_workers(&conf, &cfg->base,
			     aves_appconf_group(&conf, "lcores", AVES_CONF_REQUIRED));
	if (aves_conf_errors(&conf) == 0)
		cross_check(&conf, cfg);
	ret = aves_conf_errors(&conf) == 0 ? 0 : -1;
	aves_conf_close(&conf);
	if (ret != 0)
		wp_config_clear(cfg);
	return ret;
}

void
wp_config_clear(struct wp_config *cfg)
{
	volatile uint8_t *p;
	size_t i;

	/* Through a volatile pointer: a wipe the compiler cannot drop as a dead store. */
	p = (volatile uint8_t *)cfg->service_keys;
	for (i = 0; i < sizeof(cfg->service_keys); i++)
		p[i] = 0;
	if (cfg->gateway_keys != NULL) {
		p = (volatile uint8_t *)cfg->gateway_keys;
		for (i = 0; i < cfg->n_gateway_keys * sizeof(cfg->gateway_keys[0]); i++)
			p[i] = 0;
		free(cfg->gateway_keys);
	}
	memset(cfg, 0, sizeof(*cfg));
}

/* The two compound members of scalar groups open their group. */
static void
print_group(const void *c, const char *group, FILE *out)
{
	const struct wp_config *cfg = c;
	char a[INET_ADDRSTRLEN];

	if (strcmp(group, "control") == 0)
		fprintf(out, "\taddress = \"%s\";\n",
			inet_ntop(AF_INET, &cfg->control_addr, a, sizeof(a)));
	if (strcmp(group, "lcores") == 0)
		aves_appconf_print_workers(&cfg->base, out);
}

void
wp_config_print(const struct wp_config *cfg, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(out, "# effective configuration of %s\n", cfg->base.file);
	aves_appconf_print_ports(&cfg->base, NULL, NULL, out);
	aves_appconf_print_routes(&cfg->base, out);
	fprintf(out, "waypoints = [");
	for (i = 0; i < cfg->n_waypoints; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : " ",
			inet_ntop(AF_INET, &cfg->waypoints[i], a, sizeof(a)));
	fprintf(out, " ];  # %u addresses\nkeys = {\n", cfg->n_waypoints);
	fprintf(out, "\tservice = (\n");
	aves_appconf_print_keys(cfg->service_keys, cfg->n_service_keys, "\t\t", out);
	fprintf(out, "\t);\n\tgateways = (\n");
	aves_appconf_print_keys(cfg->gateway_keys, cfg->n_gateway_keys, "\t\t", out);
	fprintf(out, "\t);\n};\n");
	aves_conf_file_print(&wp_file, cfg, out);
}
