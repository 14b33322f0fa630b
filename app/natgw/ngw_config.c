/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading aves-natgw's libconfig file. Scalar settings are described once, in the table
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
#include "aves_table.h"
#include "ngw_config.h"

/* How a scalar is written in the file. */
enum scalar_kind {
	UINT,		/* integer */
	DURATION,	/* milliseconds, or a string with a unit */
};

struct scalar {
	const char *group;
	const char *name;
	enum scalar_kind kind;
	size_t offset;		/* of a uint32_t in struct ngw_config */
	uint64_t min, max, def;
	const char *unit;
};

#define NGW_DIM(a) (sizeof(a) / sizeof((a)[0]))
#define NGW_OFF(field) offsetof(struct ngw_config, field)
#define NGW_TIMER(field) (offsetof(struct ngw_config, timers) + \
			  offsetof(struct aves_session_timers, field))

/* Every scalar setting. The order is the order --check-config prints. */
static const struct scalar scalars[] = {
	{ "tunnel", "port", UINT, NGW_OFF(tunnel_port), 1, 65535, AVES_TUNNEL_PORT, "" },
	{ "register", "port", UINT, NGW_OFF(register_port), 1, 65535, AVES_CTRL_PORT, "" },
	{ "register", "interval", DURATION, NGW_OFF(register_interval_ms), 1000, 86400000,
	  30000, "ms" },
	{ "register", "fast-interval", DURATION, NGW_OFF(register_fast_interval_ms), 100, 60000,
	  1000, "ms" },
	{ "register", "fast-period", DURATION, NGW_OFF(register_fast_period_ms), 0, 3600000,
	  10000, "ms (0: no fast phase)" },
	{ "nat", "port-min", UINT, NGW_OFF(port_min), 1, 65535, 1024, "" },
	{ "nat", "port-max", UINT, NGW_OFF(port_max), 1, 65535, 65535, "" },
	{ "timers", "idle-icmp", DURATION, NGW_TIMER(idle_icmp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_ICMP_MS_DEFAULT, "ms" },
	{ "timers", "idle-udp", DURATION, NGW_TIMER(idle_udp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_UDP_MS_DEFAULT, "ms" },
	{ "timers", "idle-tcp", DURATION, NGW_TIMER(idle_tcp_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_TCP_MS_DEFAULT, "ms" },
	{ "timers", "idle-other", DURATION, NGW_TIMER(idle_other_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_OTHER_MS_DEFAULT, "ms" },
	{ "timers", "idle-http", DURATION, NGW_TIMER(idle_http_ms), 1, AVES_TIMER_MS_MAX,
	  AVES_IDLE_HTTP_MS_DEFAULT, "ms" },
	{ "timers", "tcp-linger", DURATION, NGW_TIMER(tcp_linger_ms), 0, AVES_TIMER_MS_MAX,
	  AVES_TCP_LINGER_MS_DEFAULT, "ms" },
	{ "tables", "sessions", UINT, NGW_OFF(sessions), 1, AVES_TABLE_CAPACITY_MAX, 65536,
	  "entries" },
	{ "tables", "trusted-sources", UINT, NGW_OFF(trusted_sources), 1, 65536, 1024,
	  "waypoint addresses" },
	{ "tables", "neighbours", UINT, NGW_OFF(neighbours), 1, 65536, 1024, "entries" },
	{ "tables", "punt-ring", UINT, NGW_OFF(punt_ring), 64, 1u << 24, 4096, "packets" },
	{ "reassembly", "datagrams", UINT, NGW_OFF(reasm_datagrams), 1, 65536, 1024,
	  "pending per worker" },
	{ "reassembly", "per-source", UINT, NGW_OFF(reasm_per_source), 1, 65536, 16,
	  "pending per source" },
	{ "reassembly", "trusted-datagrams", UINT, NGW_OFF(reasm_trusted_datagrams), 1, 65536,
	  1024, "pending per worker" },
	{ "reassembly", "trusted-per-source", UINT, NGW_OFF(reasm_trusted_per_source), 1, 65536,
	  256, "pending per waypoint" },
	{ "reassembly", "timeout", DURATION, NGW_OFF(reasm_timeout_ms), 100, 60000, 2000, "ms" },
	{ "reassembly", "trust", DURATION, NGW_OFF(reasm_trust_ms), 1000, 86400000, 60000,
	  "ms" },
	{ "reassembly", "buffers", UINT, NGW_OFF(reasm_buffers), 8, 65536, 64,
	  "mbufs of 64 KB" },
	{ "neighbours", "hold", UINT, NGW_OFF(neigh_hold), 1, 64, 8, "packets per neighbour" },
	{ "neighbours", "retry", DURATION, NGW_OFF(neigh_retry_ms), 100, 60000, 1000, "ms" },
	{ "neighbours", "probes", UINT, NGW_OFF(neigh_probes), 1, 10, 3, "requests" },
	{ "neighbours", "reachable", DURATION, NGW_OFF(neigh_reachable_ms), 1000, 86400000,
	  300000, "ms" },
	{ "neighbours", "failed", DURATION, NGW_OFF(neigh_failed_ms), 1000, 3600000, 20000,
	  "ms" },
	{ "icmp", "rate", UINT, NGW_OFF(icmp_rate), 1, 1000000, 100, "per second" },
	{ "icmp", "burst", UINT, NGW_OFF(icmp_burst), 1, 1000000, 20, "messages" },
	{ "lcores", "control", UINT, NGW_OFF(control_lcore), 0, 127, 0, "lcore id" },
	{ "idle", "pause-after", UINT, NGW_OFF(idle_pause_after), 0, UINT32_MAX, 64,
	  "empty polls" },
	{ "idle", "sleep-after", UINT, NGW_OFF(idle_sleep_after), 0, UINT32_MAX, 1024,
	  "empty polls" },
	{ "idle", "sleep", UINT, NGW_OFF(idle_sleep_us), 0, 100000, 50, "us (0: never sleep)" },
	{ "mbufs", "count", UINT, NGW_OFF(mbufs), 1023, 1u << 24, 32767, "mbufs" },
	{ "mbufs", "cache", UINT, NGW_OFF(mbuf_cache), 0, 512, 256, "mbufs per lcore" },
	{ "datapath", "burst", UINT, NGW_OFF(burst), 1, 64, 32, "packets" },
	{ "datapath", "sweep-budget", UINT, NGW_OFF(sweep_budget), 1, 65536, 256,
	  "entries per table per control loop" },
	{ "datapath", "link-wait", DURATION, NGW_OFF(link_wait_ms), 0, 60000, 5000, "ms" },
	{ "log", "stats-interval", DURATION, NGW_OFF(stats_interval_ms), 0, 86400000, 0,
	  "ms (0: off)" },
};

/* Compound members of scalar groups, printed first in their group. */
static const struct {
	const char *group;
	const char *name;
} compounds[] = {
	{ "tunnel", "multihomed" },
	{ "tunnel", "trusted" },
	{ "register", "servers" },
	{ "lcores", "workers" },
};

static const char *const top_level[] = {
	"ports", "routes", "keys", "tunnel", "register", "nat", "timers", "tables", "reassembly",
	"neighbours", "icmp", "lcores", "idle", "mbufs", "datapath", "log", NULL,
};

static uint32_t *
field(struct ngw_config *cfg, size_t offset)
{
	return (uint32_t *)((char *)cfg + offset);
}

static uint32_t
field_get(const struct ngw_config *cfg, size_t offset)
{
	uint32_t v;

	memcpy(&v, (const char *)cfg + offset, sizeof(v));
	return v;
}

/* A top-level group, or NULL. One of another type is reported once, by reject_unknown(). */
static const config_setting_t *
top_group(const struct aves_conf *conf, const char *name)
{
	const config_setting_t *g = config_setting_get_member(aves_conf_root(conf), name);

	return g != NULL && config_setting_is_group(g) ? g : NULL;
}

/* A required top-level group: its absence is reported here. */
static const config_setting_t *
required_group(struct aves_conf *conf, const char *name)
{
	if (aves_conf_member(conf, aves_conf_root(conf), name, AVES_CONF_REQUIRED) == NULL)
		return NULL;
	return top_group(conf, name);
}

static void
read_scalars(struct aves_conf *conf, struct ngw_config *cfg)
{
	size_t i;

	for (i = 0; i < NGW_DIM(scalars); i++) {
		const struct scalar *s = &scalars[i];
		const config_setting_t *g = top_group(conf, s->group);
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

/* Reject members that neither the table nor a compound parser knows; report groups that are
 * not groups. */
static void
reject_unknown(struct aves_conf *conf)
{
	static const char *const groups[] = {
		"tunnel", "register", "nat", "timers", "tables", "reassembly", "neighbours", "icmp",
		"lcores", "idle", "mbufs", "datapath", "log",
	};
	size_t gi, i;

	aves_conf_reject_unknown(conf, aves_conf_root(conf), top_level);
	for (gi = 0; gi < NGW_DIM(groups); gi++) {
		const char *allowed[16];
		size_t n = 0;

		if (aves_conf_group(conf, aves_conf_root(conf), groups[gi],
				    AVES_CONF_OPTIONAL) == NULL)
			continue;
		for (i = 0; i < NGW_DIM(scalars); i++)
			if (strcmp(scalars[i].group, groups[gi]) == 0)
				allowed[n++] = scalars[i].name;
		for (i = 0; i < NGW_DIM(compounds); i++)
			if (strcmp(compounds[i].group, groups[gi]) == 0)
				allowed[n++] = compounds[i].name;
		allowed[n] = NULL;
		aves_conf_reject_unknown(conf, config_setting_get_member(aves_conf_root(conf),
									 groups[gi]), allowed);
	}
}

static void
read_ports(struct aves_conf *conf, struct ngw_config *cfg)
{
	static const char *const allowed[] = { "device", "side", "address", "mtu",
					       "rx-descriptors", "tx-descriptors", NULL };
	const config_setting_t *l = aves_conf_list(conf, aves_conf_root(conf), "ports",
						   AVES_CONF_REQUIRED);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (l != NULL && (n < 2 || n > NGW_PORTS_MAX)) {
		aves_conf_error(conf, l, "must list 2 to %u ports (%u)", NGW_PORTS_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = aves_conf_list_group(conf, l, i);
		struct ngw_port_conf *p = &cfg->ports[cfg->n_ports];
		char side[16];
		uint64_t v;

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_string(conf, g, "device", AVES_CONF_REQUIRED, NULL, p->device,
				 sizeof(p->device));
		if (aves_conf_string(conf, g, "side", AVES_CONF_REQUIRED, NULL, side,
				     sizeof(side))) {
			if (strcmp(side, "inside") == 0)
				p->side = NGW_INSIDE;
			else if (strcmp(side, "outside") == 0)
				p->side = NGW_OUTSIDE;
			else
				aves_conf_error(conf, config_setting_get_member(g, "side"),
						"must be \"inside\" or \"outside\" (\"%s\")", side);
		}
		aves_conf_iface(conf, g, "address", AVES_CONF_REQUIRED, &p->addr, &p->prefix_len);
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
read_routes(struct aves_conf *conf, struct ngw_config *cfg)
{
	static const char *const allowed[] = { "prefix", "via", NULL };
	const config_setting_t *l = aves_conf_list(conf, aves_conf_root(conf), "routes",
						   AVES_CONF_OPTIONAL);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (n > NGW_ROUTES_MAX) {
		aves_conf_error(conf, l, "at most %u routes (%u)", NGW_ROUTES_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = aves_conf_list_group(conf, l, i);
		struct ngw_route_conf *r = &cfg->routes[cfg->n_routes];

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_prefix(conf, g, "prefix", AVES_CONF_REQUIRED, &r->prefix, &r->len);
		aves_conf_ipv4(conf, g, "via", AVES_CONF_REQUIRED, &r->via);
		cfg->n_routes++;
	}
}

static void
read_key(struct aves_conf *conf, const config_setting_t *g, struct ngw_key_conf *k)
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
			read_key(conf, g, &cfg->keys[cfg->n_keys++]);
	}
}

static void
read_compounds(struct aves_conf *conf, struct ngw_config *cfg)
{
	const config_setting_t *g;

	g = top_group(conf, "tunnel");
	aves_conf_bool(conf, g, "multihomed", AVES_CONF_OPTIONAL, false, &cfg->multihomed);
	aves_conf_ipv4_array(conf, g, "trusted", AVES_CONF_OPTIONAL, NGW_TRUSTED_MAX,
			     cfg->trusted, cfg->trusted_len, &cfg->n_trusted);
	/* A missing required group is one problem, not one per member. */
	g = required_group(conf, "register");
	if (g != NULL)
		aves_conf_ipv4_array(conf, g, "servers", AVES_CONF_REQUIRED, NGW_SERVERS_MAX,
				     cfg->servers, NULL, &cfg->n_servers);
	g = required_group(conf, "lcores");
	if (g != NULL)
		aves_conf_lcores(conf, g, "workers", AVES_CONF_REQUIRED, cfg->workers,
				 NGW_WORKERS_MAX, &cfg->n_workers);
}

/* ---------------------------------------------------------------------------------------- */
/* Cross-checks                                                                              */
/* ---------------------------------------------------------------------------------------- */

static uint32_t
mask_of(uint8_t len)
{
	return len == 0 ? 0 : htonl(~UINT32_C(0) << (32 - len));
}

static bool
in_prefix(uint32_t addr, uint32_t net, uint8_t len)
{
	return (addr & mask_of(len)) == (net & mask_of(len));
}

static int
port_of(const struct ngw_config *cfg, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (in_prefix(addr, cfg->ports[i].addr, cfg->ports[i].prefix_len))
			return (int)i;
	return -1;
}

static bool
is_port_addr(const struct ngw_config *cfg, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].addr == addr)
			return true;
	return false;
}

/* The network or broadcast address of a port's prefix: not a host's. */
static bool
net_or_bcast(uint32_t addr, uint8_t len)
{
	uint32_t host = addr & ~mask_of(len);

	return host == 0 || host == ~mask_of(len);
}

bool
ngw_config_public_ok(const struct ngw_config *cfg, uint32_t addr)
{
	const struct ngw_port_conf *o = &cfg->ports[cfg->outside];
	unsigned int i;

	if (aves_ipv4_martian_src(addr) || !in_prefix(addr, o->addr, o->prefix_len) ||
	    net_or_bcast(addr, o->prefix_len))
		return false;
	for (i = 0; i < cfg->n_ports; i++)
		if (i != cfg->outside && cfg->ports[i].addr == addr)
			return false;
	return true;
}

static const config_setting_t *
setting(const struct aves_conf *conf, const char *path)
{
	const config_setting_t *s = config_lookup(&conf->cfg, path);

	return s != NULL ? s : aves_conf_root(conf);
}

static void
check_ports(struct aves_conf *conf, struct ngw_config *cfg)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i, j, n_outside = 0;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct ngw_port_conf *p = &cfg->ports[i];

		inet_ntop(AF_INET, &p->addr, a, sizeof(a));
		if (aves_ipv4_martian_src(p->addr) || net_or_bcast(p->addr, p->prefix_len))
			aves_conf_error(conf, setting(conf, "ports"),
					"port %u: %s/%u cannot be an interface address", i, a,
					p->prefix_len);
		if (p->side == NGW_OUTSIDE) {
			cfg->outside = i;
			n_outside++;
		}
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
	/* One public address: a REGISTER names exactly one, and NAPT translates to it. */
	if (n_outside != 1)
		aves_conf_error(conf, setting(conf, "ports"),
				"exactly one port must have side = \"outside\" (%u do)", n_outside);
	if (n_outside == cfg->n_ports)
		aves_conf_error(conf, setting(conf, "ports"),
				"at least one port must have side = \"inside\"");
}

static void
check_routes(struct aves_conf *conf, const struct ngw_config *cfg)
{
	const config_setting_t *list = config_setting_get_member(aves_conf_root(conf), "routes");
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	unsigned int i, j;

	for (i = 0; i < cfg->n_routes; i++) {
		const struct ngw_route_conf *r = &cfg->routes[i];
		const config_setting_t *s = config_setting_get_elem(list, i);

		inet_ntop(AF_INET, &r->via, a, sizeof(a));
		if (port_of(cfg, r->via) < 0)
			aves_conf_error(conf, s, "gateway %s is on no port's network", a);
		else if (is_port_addr(cfg, r->via))
			aves_conf_error(conf, s, "gateway %s is one of our own addresses", a);
		for (j = 0; j < i; j++)
			if (cfg->routes[j].prefix == r->prefix && cfg->routes[j].len == r->len)
				aves_conf_error(conf, s, "prefix %s/%u is routed twice",
						inet_ntop(AF_INET, &r->prefix, b, sizeof(b)),
						r->len);
	}
}

static void
check_other(struct aves_conf *conf, struct ngw_config *cfg)
{
	char a[INET_ADDRSTRLEN];
	const char *bad_timer;
	unsigned int i, j;

	for (i = 0; i < cfg->n_keys; i++)
		for (j = 0; j < i; j++)
			if (cfg->keys[j].id == cfg->keys[i].id)
				aves_conf_error(conf, setting(conf, "keys"),
						"key id %u is used twice", cfg->keys[i].id);
	for (i = 0; i < cfg->n_servers; i++) {
		int p = port_of(cfg, cfg->servers[i]);

		inet_ntop(AF_INET, &cfg->servers[i], a, sizeof(a));
		if (aves_ipv4_martian_src(cfg->servers[i]) || is_port_addr(cfg, cfg->servers[i]))
			aves_conf_error(conf, setting(conf, "register.servers"),
					"%s cannot be a DNS front end", a);
		else if (p >= 0 && cfg->ports[p].side == NGW_INSIDE)
			aves_conf_error(conf, setting(conf, "register.servers"),
					"%s is on an inside network: REGISTER leaves by the "
					"outside port", a);
	}
	if (cfg->register_fast_interval_ms > cfg->register_interval_ms)
		aves_conf_error(conf, setting(conf, "register.fast-interval"),
				"must not be longer than register.interval (%u > %u ms)",
				cfg->register_fast_interval_ms, cfg->register_interval_ms);
	if (cfg->port_min > cfg->port_max)
		aves_conf_error(conf, setting(conf, "nat.port-min"),
				"must not be above nat.port-max (%u > %u)", cfg->port_min,
				cfg->port_max);
	else if (cfg->port_min == cfg->port_max && cfg->port_min == cfg->tunnel_port)
		aves_conf_error(conf, setting(conf, "nat.port-min"),
				"the range holds only the tunnel port (%u)", cfg->tunnel_port);
	if (aves_session_timers_check(&cfg->timers, &bad_timer) != 0)
		aves_conf_error(conf, setting(conf, "timers"), "invalid timer %s", bad_timer);
	if (cfg->reasm_per_source > cfg->reasm_datagrams)
		aves_conf_error(conf, setting(conf, "reassembly.per-source"),
				"must not be above reassembly.datagrams (%u > %u)",
				cfg->reasm_per_source, cfg->reasm_datagrams);
	if (cfg->reasm_trusted_per_source > cfg->reasm_trusted_datagrams)
		aves_conf_error(conf, setting(conf, "reassembly.trusted-per-source"),
				"must not be above reassembly.trusted-datagrams (%u > %u)",
				cfg->reasm_trusted_per_source, cfg->reasm_trusted_datagrams);
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
ngw_config_load(struct ngw_config *cfg, const char *path, FILE *err)
{
	struct aves_conf conf;
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
	read_keys(&conf, cfg);
	read_compounds(&conf, cfg);
	if (aves_conf_errors(&conf) == 0) {
		check_ports(&conf, cfg);
		check_routes(&conf, cfg);
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
print_compounds(const struct ngw_config *cfg, const char *group, FILE *out)
{
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
		fprintf(out, "\tworkers = [");
		for (i = 0; i < cfg->n_workers; i++)
			fprintf(out, "%s%u", i ? ", " : " ", cfg->workers[i]);
		fprintf(out, " ];\n");
	}
}

void
ngw_config_print(const struct ngw_config *cfg, FILE *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *group = NULL;
	unsigned int i;
	size_t s;

	fprintf(out, "# effective configuration of %s\n", cfg->file);
	fprintf(out, "ports = (\n");
	for (i = 0; i < cfg->n_ports; i++) {
		const struct ngw_port_conf *p = &cfg->ports[i];

		fprintf(out, "\t{ device = \"%s\"; side = \"%s\"; address = \"%s/%u\"; mtu = %u; "
			"rx-descriptors = %u; tx-descriptors = %u; }%s\n", p->device,
			p->side == NGW_OUTSIDE ? "outside" : "inside", ntop(p->addr, a),
			p->prefix_len, p->mtu, p->rx_desc, p->tx_desc,
			i + 1 < cfg->n_ports ? "," : "");
	}
	fprintf(out, ");\nroutes = (\n");
	for (i = 0; i < cfg->n_routes; i++)
		fprintf(out, "\t{ prefix = \"%s/%u\"; via = \"%s\"; }%s\n",
			ntop(cfg->routes[i].prefix, a), cfg->routes[i].len,
			ntop(cfg->routes[i].via, b), i + 1 < cfg->n_routes ? "," : "");
	fprintf(out, ");\nkeys = (\n");
	for (i = 0; i < cfg->n_keys; i++)
		fprintf(out, "\t{ id = %u; alg = \"hmac-md5\"; secret = \"(%u bytes)\"; }%s\n",
			cfg->keys[i].id, cfg->keys[i].len, i + 1 < cfg->n_keys ? "," : "");
	fprintf(out, ");\n");
	for (s = 0; s < NGW_DIM(scalars); s++) {
		const struct scalar *sc = &scalars[s];
		char line[64];
		int n;

		if (group == NULL || strcmp(group, sc->group) != 0) {
			if (group != NULL)
				fprintf(out, "};\n");
			fprintf(out, "%s = {\n", sc->group);
			group = sc->group;
			print_compounds(cfg, group, out);
		}
		n = snprintf(line, sizeof(line), "%s = %" PRIu32 ";", sc->name,
			     field_get(cfg, sc->offset));
		if (sc->unit[0] == '\0')
			fprintf(out, "\t%s\n", line);
		else
			fprintf(out, "\t%s%*s# %s\n", line, n < 32 ? 32 - n : 1, "", sc->unit);
	}
	if (group != NULL)
		fprintf(out, "};\n");
}
