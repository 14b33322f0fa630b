/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading aves-waypoint's libconfig file. Scalar settings are described once, in the table
 * below (group, name, unit, range, default, field); lists have a parser each. A second pass
 * cross-checks what refers to what. Every problem is reported through aves_conf (file:line:
 * setting: problem) and counted; any problem fails the load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aves_conf.h"
#include "aves_ctrl.h"
#include "aves_flow.h"
#include "aves_replay.h"
#include "aves_table.h"
#include "wp_config.h"

/* How a scalar is written in the file. */
enum scalar_kind {
	UINT,		/* integer */
	DURATION,	/* milliseconds, or a string with a unit */
};

struct scalar {
	const char *group;	/* "" for the top level */
	const char *name;
	enum scalar_kind kind;
	size_t offset;		/* of a uint32_t in struct wp_config */
	uint64_t min, max, def;
	const char *unit;
};

#define WP_OFF(field) offsetof(struct wp_config, field)
#define WP_TIMER(field) (offsetof(struct wp_config, timers) + \
			 offsetof(struct aves_session_timers, field))

/* Every scalar setting. The order is the order --check-config prints. */
static const struct scalar scalars[] = {
	{ "control", "port", UINT, WP_OFF(control_port), 1, 65535, AVES_CTRL_PORT, "" },
	{ "control", "max-skew", DURATION, WP_OFF(max_skew_ms), 1000, 600000,
	  AVES_CTRL_MAX_SKEW_MS, "ms" },
	{ "control", "replay-windows", UINT, WP_OFF(replay_windows), 1, AVES_REPLAY_MAX, 1024,
	  "windows" },
	{ "timers", "wait", DURATION, WP_TIMER(twait_ms), 1, AVES_TWAIT_MS_MAX,
	  AVES_TWAIT_MS_DEFAULT, "ms" },
	{ "timers", "reject", DURATION, WP_TIMER(treject_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_TREJECT_MS_DEFAULT, "ms" },
	{ "timers", "penalty", DURATION, WP_TIMER(penalty_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_PENALTY_MS_DEFAULT, "ms" },
	{ "timers", "idle-icmp", DURATION, WP_TIMER(idle_icmp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_ICMP_MS_DEFAULT, "ms" },
	{ "timers", "idle-udp", DURATION, WP_TIMER(idle_udp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_UDP_MS_DEFAULT, "ms" },
	{ "timers", "idle-tcp", DURATION, WP_TIMER(idle_tcp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_TCP_MS_DEFAULT, "ms" },
	{ "timers", "idle-other", DURATION, WP_TIMER(idle_other_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_OTHER_MS_DEFAULT, "ms" },
	{ "timers", "idle-http", DURATION, WP_TIMER(idle_http_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_HTTP_MS_DEFAULT, "ms" },
	{ "timers", "tcp-linger", DURATION, WP_TIMER(tcp_linger_ms), 0, AVES_TIMER_MS_MAX,
	  AVES_TCP_LINGER_MS_DEFAULT, "ms" },
	{ "tables", "bindings", UINT, WP_OFF(bindings), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries" },
	{ "tables", "blocks", UINT, WP_OFF(blocks), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries" },
	{ "tables", "connections", UINT, WP_OFF(connections), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries per worker" },
	{ "tables", "neighbours", UINT, WP_OFF(neighbours), 1, 65536, 1024, "entries" },
	{ "tables", "punt-ring", UINT, WP_OFF(punt_ring), 64, 1u << 24, 4096, "packets" },
	{ "neighbours", "hold", UINT, WP_OFF(neigh_hold), 1, 64, 8, "packets per neighbour" },
	{ "neighbours", "retry", DURATION, WP_OFF(neigh_retry_ms), 100, 60000, 1000, "ms" },
	{ "neighbours", "probes", UINT, WP_OFF(neigh_probes), 1, 10, 3, "requests" },
	{ "neighbours", "reachable", DURATION, WP_OFF(neigh_reachable_ms), 1000, 86400000,
	  300000, "ms" },
	{ "neighbours", "failed", DURATION, WP_OFF(neigh_failed_ms), 1000, 3600000, 20000,
	  "ms" },
	{ "icmp", "unreachable-rate", UINT, WP_OFF(unreach_rate), 1, 1000000, 100,
	  "per second per waypoint address" },
	{ "icmp", "unreachable-burst", UINT, WP_OFF(unreach_burst), 1, 1000000, 20,
	  "messages" },
	{ "icmp", "frag-needed-rate", UINT, WP_OFF(fragneeded_rate), 1, 1000000, 100,
	  "per second per waypoint address" },
	{ "icmp", "frag-needed-burst", UINT, WP_OFF(fragneeded_burst), 1, 1000000, 20,
	  "messages" },
	{ "lcores", "control", UINT, WP_OFF(control_lcore), 0, 127, 0, "lcore id" },
	{ "idle", "pause-after", UINT, WP_OFF(idle_pause_after), 0, UINT32_MAX, 64,
	  "empty polls" },
	{ "idle", "sleep-after", UINT, WP_OFF(idle_sleep_after), 0, UINT32_MAX, 1024,
	  "empty polls" },
	{ "idle", "sleep", UINT, WP_OFF(idle_sleep_us), 0, 100000, 50, "us (0: never sleep)" },
	{ "mbufs", "count", UINT, WP_OFF(mbufs), 1023, 1u << 24, 32767, "mbufs" },
	{ "mbufs", "cache", UINT, WP_OFF(mbuf_cache), 0, 512, 256, "mbufs per lcore" },
	{ "datapath", "burst", UINT, WP_OFF(burst), 1, 64, 32, "packets" },
	{ "datapath", "sweep-budget", UINT, WP_OFF(sweep_budget), 1, 65536, 256,
	  "entries per table per control loop" },
	{ "datapath", "link-wait", DURATION, WP_OFF(link_wait_ms), 0, 60000, 5000, "ms" },
	{ "log", "stats-interval", DURATION, WP_OFF(stats_interval_ms), 0, 86400000, 0,
	  "ms (0: off)" },
};

/* Groups that hold only scalars from the table, plus their compound members. */
static const char *const top_level[] = {
	"ports", "routes", "control", "waypoints", "keys", "timers", "tables", "neighbours",
	"icmp", "lcores", "idle", "mbufs", "datapath", "log", NULL,
};

static uint32_t *
field(struct wp_config *cfg, size_t offset)
{
	return (uint32_t *)((char *)cfg + offset);
}

static uint32_t
field_get(const struct wp_config *cfg, size_t offset)
{
	uint32_t v;

	memcpy(&v, (const char *)cfg + offset, sizeof(v));
	return v;
}

static const config_setting_t *
group_of(struct aves_conf *conf, const char *name)
{
	const config_setting_t *g = aves_conf_member(conf, aves_conf_root(conf), name,
						     AVES_CONF_OPTIONAL);

	if (g != NULL && !config_setting_is_group(g)) {
		aves_conf_error(conf, g, "must be a group { ... }");
		return NULL;
	}
	return g;
}

static void
read_scalars(struct aves_conf *conf, struct wp_config *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		const struct scalar *s = &scalars[i];
		const config_setting_t *g = group_of(conf, s->group);
		uint64_t v;

		if (s->kind == DURATION)
			aves_conf_duration_ms(conf, g, s->name, AVES_CONF_OPTIONAL, s->min, s->max,
					      s->def, &v);
		else
			aves_conf_uint(conf, g, s->name, AVES_CONF_OPTIONAL, s->min, s->max, s->def,
				       &v);
		*field(cfg, s->offset) = (uint32_t)v;
	}
}

/* Reject members of every scalar group that neither the table nor a compound parser knows. */
static void
reject_unknown(struct aves_conf *conf)
{
	static const char *const groups[] = {
		"control", "timers", "tables", "neighbours", "icmp", "lcores", "idle", "mbufs",
		"datapath", "log",
	};
	size_t gi, i;

	aves_conf_reject_unknown(conf, aves_conf_root(conf), top_level);
	for (gi = 0; gi < sizeof(groups) / sizeof(groups[0]); gi++) {
		const char *allowed[16];
		size_t n = 0;

		for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
			if (strcmp(scalars[i].group, groups[gi]) == 0)
				allowed[n++] = scalars[i].name;
		if (strcmp(groups[gi], "control") == 0)
			allowed[n++] = "address";
		if (strcmp(groups[gi], "lcores") == 0)
			allowed[n++] = "workers";
		allowed[n] = NULL;
		aves_conf_reject_unknown(conf, config_setting_get_member(aves_conf_root(conf),
									 groups[gi]), allowed);
	}
}

/* A list "( { ... }, ... )" (or an empty one), or NULL after reporting its type. */
static const config_setting_t *
list_of(struct aves_conf *conf, const config_setting_t *group, const char *name,
	enum aves_conf_need need)
{
	const config_setting_t *l = aves_conf_member(conf, group, name, need);

	if (l != NULL && !config_setting_is_list(l) &&
	    !(config_setting_is_array(l) && config_setting_length(l) == 0)) {
		aves_conf_error(conf, l, "must be a list ( { ... }, ... )");
		return NULL;
	}
	return l;
}

static const config_setting_t *
elem_group(struct aves_conf *conf, const config_setting_t *list, unsigned int i)
{
	const config_setting_t *g = config_setting_get_elem(list, i);

	if (!config_setting_is_group(g)) {
		aves_conf_error(conf, g, "must be a group { ... }");
		return NULL;
	}
	return g;
}

/*
 * aves_conf_prefix() insists on zero host bits, which is right for routes. An interface
 * address has host bits: read "a.b.c.d/len" here and keep the address.
 */
static bool
read_iface(struct aves_conf *conf, const config_setting_t *g, uint32_t *addr, uint8_t *len)
{
	const config_setting_t *s = aves_conf_member(conf, g, "address", AVES_CONF_REQUIRED);
	const char *text, *slash;
	char buf[32];
	char *end;
	unsigned long bits;

	if (s == NULL)
		return false;
	text = config_setting_get_string(s);
	slash = text != NULL ? strchr(text, '/') : NULL;
	if (slash == NULL || (size_t)(slash - text) >= sizeof(buf))
		goto bad;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	bits = strtoul(slash + 1, &end, 10);
	if (aves_conf_parse_ipv4(buf, addr) != 0 || *end != '\0' || slash[1] < '0' ||
	    slash[1] > '9' || bits < 1 || bits > 30)
		goto bad;
	*len = (uint8_t)bits;
	return true;
bad:
	aves_conf_error(conf, s, "not an interface address a.b.c.d/len with len 1..30 (\"%s\")",
			text != NULL ? text : "not a string");
	return false;
}

static void
read_ports(struct aves_conf *conf, struct wp_config *cfg)
{
	static const char *const allowed[] = { "device", "address", "mtu", "rx-descriptors",
					       "tx-descriptors", NULL };
	const config_setting_t *l = list_of(conf, aves_conf_root(conf), "ports",
					    AVES_CONF_REQUIRED);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (l != NULL && (n == 0 || n > WP_PORTS_MAX)) {
		aves_conf_error(conf, l, "must list 1 to %u ports (%u)", WP_PORTS_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = elem_group(conf, l, i);
		struct wp_port_conf *p = &cfg->ports[cfg->n_ports];
		uint64_t v;

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_string(conf, g, "device", AVES_CONF_REQUIRED, NULL, p->device,
				 sizeof(p->device));
		read_iface(conf, g, &p->addr, &p->prefix_len);
		aves_conf_uint(conf, g, "mtu", AVES_CONF_OPTIONAL, 576, 9000, 1500, &v);
		p->mtu = (uint32_t)v;
		aves_conf_uint(conf, g, "rx-descriptors", AVES_CONF_OPTIONAL, 64, 16384, 1024, &v);
		p->rx_desc = (uint32_t)v;
		aves_conf_uint(conf, g, "tx-descriptors", AVES_CONF_OPTIONAL, 64, 16384, 1024, &v);
		p->tx_desc = (uint32_t)v;
		cfg->n_ports++;
	}
}

static void
read_routes(struct aves_conf *conf, struct wp_config *cfg)
{
	static const char *const allowed[] = { "prefix", "via", NULL };
	const config_setting_t *l = list_of(conf, aves_conf_root(conf), "routes",
					    AVES_CONF_OPTIONAL);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (n > WP_ROUTES_MAX) {
		aves_conf_error(conf, l, "at most %u routes (%u)", WP_ROUTES_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = elem_group(conf, l, i);
		struct wp_route_conf *r = &cfg->routes[cfg->n_routes];

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_prefix(conf, g, "prefix", AVES_CONF_REQUIRED, &r->prefix, &r->len);
		aves_conf_ipv4(conf, g, "via", AVES_CONF_REQUIRED, &r->via);
		cfg->n_routes++;
	}
}

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
read_key(struct aves_conf *conf, const config_setting_t *g, struct wp_key_conf *k)
{
	static const char *const allowed[] = { "id", "alg", "secret", NULL };
	char alg[16], hex[2 * AVES_KEY_MAX_LEN + 8];
	uint64_t id;
	int len;

	aves_conf_reject_unknown(conf, g, allowed);
	aves_conf_uint(conf, g, "id", AVES_CONF_REQUIRED, 1, UINT32_MAX, 0, &id);
	k->id = (uint32_t)id;
	k->alg = AVES_ALG_HMAC_MD5;
	if (aves_conf_string(conf, g, "alg", AVES_CONF_OPTIONAL, "hmac-md5", alg, sizeof(alg)) &&
	    strcmp(alg, "hmac-md5") != 0)
		aves_conf_error(conf, config_setting_get_member(g, "alg"),
				"the only algorithm is \"hmac-md5\" (\"%s\")", alg);
	if (!aves_conf_string(conf, g, "secret", AVES_CONF_REQUIRED, NULL, hex, sizeof(hex)))
		return;
	len = aves_key_parse_hex(hex, k->secret, sizeof(k->secret));
	if (len < 0)
		aves_conf_error(conf, config_setting_get_member(g, "secret"),
				"must be %u to %u bytes written as hexadecimal digits",
				AVES_KEY_MIN_LEN, AVES_KEY_MAX_LEN);
	else
		k->len = (uint8_t)len;
	memset(hex, 0, sizeof(hex));
}

static void
read_keys(struct aves_conf *conf, struct wp_config *cfg)
{
	static const char *const allowed[] = { "service", "gateways", NULL };
	const config_setting_t *g = group_of(conf, "keys");
	const config_setting_t *l;
	unsigned int i, n;

	if (g == NULL) {
		aves_conf_member(conf, aves_conf_root(conf), "keys", AVES_CONF_REQUIRED);
		return;
	}
	aves_conf_reject_unknown(conf, g, allowed);
	l = list_of(conf, g, "service", AVES_CONF_REQUIRED);
	n = l != NULL ? (unsigned int)config_setting_length(l) : 0;
	if (l != NULL && (n == 0 || n > WP_SERVICE_KEYS_MAX))
		aves_conf_error(conf, l, "must list 1 to %u keys (%u)", WP_SERVICE_KEYS_MAX, n);
	for (i = 0; i < n && i < WP_SERVICE_KEYS_MAX; i++) {
		const config_setting_t *e = elem_group(conf, l, i);

		if (e != NULL)
			read_key(conf, e, &cfg->service_keys[cfg->n_service_keys++]);
	}
	l = list_of(conf, g, "gateways", AVES_CONF_OPTIONAL);
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
		const config_setting_t *e = elem_group(conf, l, i);

		if (e != NULL)
			read_key(conf, e, &cfg->gateway_keys[cfg->n_gateway_keys++]);
	}
}

static void
read_workers(struct aves_conf *conf, struct wp_config *cfg)
{
	const config_setting_t *g = group_of(conf, "lcores");
	const config_setting_t *a = aves_conf_member(conf, g, "workers", AVES_CONF_REQUIRED);
	unsigned int i, n;

	if (a == NULL)
		return;
	n = config_setting_is_array(a) ? (unsigned int)config_setting_length(a) : 0;
	if (n == 0 || n > WP_WORKERS_MAX) {
		aves_conf_error(conf, a, "must be an array of 1 to %u lcore ids [ 1, 2 ]",
				WP_WORKERS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);
		int type = config_setting_type(e);
		long long v = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ?
				      config_setting_get_int64(e) : -1;

		if (v < 0 || v > 127) {
			aves_conf_error(conf, e, "must be an lcore id 0..127");
			continue;
		}
		cfg->workers[cfg->n_workers++] = (uint32_t)v;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Cross-checks                                                                              */
/* ---------------------------------------------------------------------------------------- */

static bool
in_prefix(uint32_t addr, uint32_t net, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : htonl(~UINT32_C(0) << (32 - len));

	return (addr & mask) == (net & mask);
}

static int
port_of(const struct wp_config *cfg, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (in_prefix(addr, cfg->ports[i].addr, cfg->ports[i].prefix_len))
			return (int)i;
	return -1;
}

static bool
is_port_addr(const struct wp_config *cfg, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].addr == addr)
			return true;
	return false;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const config_setting_t *
setting(const struct aves_conf *conf, const char *path)
{
	const config_setting_t *s = config_lookup(&conf->cfg, path);

	return s != NULL ? s : aves_conf_root(conf);
}

static void
cross_check(struct aves_conf *conf, struct wp_config *cfg)
{
	const config_setting_t *root = aves_conf_root(conf);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t *sorted;
	const char *bad_timer;
	unsigned int i, j;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct wp_port_conf *p = &cfg->ports[i];

		if (aves_ipv4_martian_src(p->addr))
			aves_conf_error(conf, setting(conf, "ports"),
					"port %u: %s cannot be an interface address", i,
					inet_ntop(AF_INET, &p->addr, a, sizeof(a)));
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->ports[j].device, p->device) == 0)
				aves_conf_error(conf, setting(conf, "ports"),
						"ports %u and %u name the same device (\"%s\")", j,
						i, p->device);
			if (in_prefix(p->addr, cfg->ports[j].addr, cfg->ports[j].prefix_len) ||
			    in_prefix(cfg->ports[j].addr, p->addr, p->prefix_len))
				aves_conf_error(conf, setting(conf, "ports"),
						"ports %u and %u are on the same network", j, i);
		}
	}

	if (cfg->control_addr != 0 && port_of(cfg, cfg->control_addr) < 0)
		aves_conf_error(conf, setting(conf, "control.address"),
				"%s is on no port's network",
				inet_ntop(AF_INET, &cfg->control_addr, a, sizeof(a)));

	for (i = 0; i < cfg->n_routes; i++) {
		const struct wp_route_conf *r = &cfg->routes[i];
		const config_setting_t *s = config_setting_get_elem(
			config_setting_get_member(root, "routes"), i);

		inet_ntop(AF_INET, &r->via, a, sizeof(a));
		if (port_of(cfg, r->via) < 0)
			aves_conf_error(conf, s, "gateway %s is on no port's network", a);
		else if (is_port_addr(cfg, r->via) || r->via == cfg->control_addr)
			aves_conf_error(conf, s, "gateway %s is one of our own addresses", a);
		for (j = 0; j < i; j++)
			if (cfg->routes[j].prefix == r->prefix && cfg->routes[j].len == r->len)
				aves_conf_error(conf, s, "prefix %s/%u is routed twice",
						inet_ntop(AF_INET, &r->prefix, b, sizeof(b)),
						r->len);
	}

	sorted = malloc((cfg->n_waypoints + 1) * sizeof(*sorted));
	if (sorted != NULL && cfg->n_waypoints > 0) {
		memcpy(sorted, cfg->waypoints, cfg->n_waypoints * sizeof(*sorted));
		qsort(sorted, cfg->n_waypoints, sizeof(*sorted), cmp_u32);
		for (i = 1; i < cfg->n_waypoints; i++)
			if (sorted[i] == sorted[i - 1])
				aves_conf_error(conf, setting(conf, "waypoints"),
						"%s is listed twice",
						inet_ntop(AF_INET, &sorted[i], a, sizeof(a)));
	}
	free(sorted);
	for (i = 0; i < cfg->n_waypoints; i++) {
		uint32_t w = cfg->waypoints[i];

		inet_ntop(AF_INET, &w, a, sizeof(a));
		if (aves_ipv4_martian_src(w))
			aves_conf_error(conf, setting(conf, "waypoints"),
					"%s cannot be a waypoint address", a);
		else if (is_port_addr(cfg, w) || w == cfg->control_addr)
			aves_conf_error(conf, setting(conf, "waypoints"),
					"%s is also an interface or the control address", a);
	}

	for (i = 0; i < cfg->n_service_keys + cfg->n_gateway_keys; i++) {
		const struct wp_key_conf *k = i < cfg->n_service_keys ?
			&cfg->service_keys[i] : &cfg->gateway_keys[i - cfg->n_service_keys];

		for (j = 0; j < i; j++) {
			const struct wp_key_conf *o = j < cfg->n_service_keys ?
				&cfg->service_keys[j] : &cfg->gateway_keys[j - cfg->n_service_keys];

			if (o->id == k->id && k->id != 0)
				aves_conf_error(conf, setting(conf, "keys"),
						"key id %u is used twice", k->id);
		}
	}

	if (aves_session_timers_check(&cfg->timers, &bad_timer) != 0)
		aves_conf_error(conf, setting(conf, "timers"), "invalid timer %s", bad_timer);

	for (i = 0; i < cfg->n_workers; i++) {
		if (cfg->workers[i] == cfg->control_lcore)
			aves_conf_error(conf, setting(conf, "lcores.workers"),
					"lcore %u is both a worker and the control lcore",
					cfg->workers[i]);
		for (j = 0; j < i; j++)
			if (cfg->workers[j] == cfg->workers[i])
				aves_conf_error(conf, setting(conf, "lcores.workers"),
						"lcore %u is listed twice", cfg->workers[i]);
	}
	if (cfg->idle_sleep_after < cfg->idle_pause_after)
		aves_conf_error(conf, setting(conf, "idle.sleep-after"),
				"must not be smaller than idle.pause-after (%u < %u)",
				cfg->idle_sleep_after, cfg->idle_pause_after);
	if (cfg->mbuf_cache > cfg->mbufs / 4)
		aves_conf_error(conf, setting(conf, "mbufs.cache"),
				"must be at most a quarter of mbufs.count (%u > %u)",
				cfg->mbuf_cache, cfg->mbufs / 4);
}

int
wp_config_load(struct wp_config *cfg, const char *path, FILE *err)
{
	struct aves_conf conf;
	const config_setting_t *ctl;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	aves_session_timers_default(&cfg->timers);
	if (aves_conf_open(&conf, path, err) != 0) {
		aves_conf_close(&conf);
		return -1;
	}
	reject_unknown(&conf);
	read_scalars(&conf, cfg);
	read_ports(&conf, cfg);
	read_routes(&conf, cfg);
	ctl = group_of(&conf, "control");
	if (ctl == NULL)
		aves_conf_member(&conf, aves_conf_root(&conf), "control", AVES_CONF_REQUIRED);
	else
		aves_conf_ipv4(&conf, ctl, "address", AVES_CONF_REQUIRED, &cfg->control_addr);
	read_waypoints(&conf, cfg);
	read_keys(&conf, cfg);
	if (group_of(&conf, "lcores") == NULL)
		aves_conf_member(&conf, aves_conf_root(&conf), "lcores", AVES_CONF_REQUIRED);
	else
		read_workers(&conf, cfg);
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

static const char *
ntop(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static void
print_keys(FILE *out, const char *name, const struct wp_key_conf *k, unsigned int n)
{
	unsigned int i;

	fprintf(out, "\t%s = (\n", name);
	for (i = 0; i < n; i++)
		fprintf(out, "\t\t{ id = %u; alg = \"hmac-md5\"; secret = \"(%u bytes)\"; }%s\n",
			k[i].id, k[i].len, i + 1 < n ? "," : "");
	fprintf(out, "\t);\n");
}

void
wp_config_print(const struct wp_config *cfg, FILE *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *group = NULL;
	unsigned int i;
	size_t s;

	fprintf(out, "# effective configuration of %s\n", cfg->file);
	fprintf(out, "ports = (\n");
	for (i = 0; i < cfg->n_ports; i++) {
		const struct wp_port_conf *p = &cfg->ports[i];

		fprintf(out, "\t{ device = \"%s\"; address = \"%s/%u\"; mtu = %u; "
			"rx-descriptors = %u; tx-descriptors = %u; }%s\n", p->device,
			ntop(p->addr, a), p->prefix_len, p->mtu, p->rx_desc, p->tx_desc,
			i + 1 < cfg->n_ports ? "," : "");
	}
	fprintf(out, ");\nroutes = (\n");
	for (i = 0; i < cfg->n_routes; i++)
		fprintf(out, "\t{ prefix = \"%s/%u\"; via = \"%s\"; }%s\n",
			ntop(cfg->routes[i].prefix, a), cfg->routes[i].len,
			ntop(cfg->routes[i].via, b), i + 1 < cfg->n_routes ? "," : "");
	fprintf(out, ");\nwaypoints = [");
	for (i = 0; i < cfg->n_waypoints; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : " ", ntop(cfg->waypoints[i], a));
	fprintf(out, " ];  # %u addresses\nkeys = {\n", cfg->n_waypoints);
	print_keys(out, "service", cfg->service_keys, cfg->n_service_keys);
	print_keys(out, "gateways", cfg->gateway_keys, cfg->n_gateway_keys);
	fprintf(out, "};\n");
	/* Scalars, group by group as the table lists them; the two compound members of
	 * scalar groups (control.address, lcores.workers) open their group. */
	for (s = 0; s < sizeof(scalars) / sizeof(scalars[0]); s++) {
		const struct scalar *sc = &scalars[s];

		if (group == NULL || strcmp(group, sc->group) != 0) {
			if (group != NULL)
				fprintf(out, "};\n");
			fprintf(out, "%s = {\n", sc->group);
			group = sc->group;
			if (strcmp(group, "control") == 0)
				fprintf(out, "\taddress = \"%s\";\n", ntop(cfg->control_addr, a));
			if (strcmp(group, "lcores") == 0) {
				fprintf(out, "\tworkers = [");
				for (i = 0; i < cfg->n_workers; i++)
					fprintf(out, "%s%u", i ? ", " : " ", cfg->workers[i]);
				fprintf(out, " ];\n");
			}
		}
		{
			char line[64];
			int n = snprintf(line, sizeof(line), "%s = %" PRIu32 ";", sc->name,
					 field_get(cfg, sc->offset));

			if (sc->unit[0] == '\0')
				fprintf(out, "\t%s\n", line);
			else
				fprintf(out, "\t%s%*s# %s\n", line, n < 32 ? 32 - n : 1, "",
					sc->unit);
		}
	}
	if (group != NULL)
		fprintf(out, "};\n");
}
