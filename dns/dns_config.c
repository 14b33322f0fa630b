/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading aves-dns's libconfig file. Pass 1 walks the file and reports every setting the
 * tables below do not know; pass 2 reads each known setting (or its default) and checks its
 * type and range; pass 3 cross-checks what refers to what (names in the zone, keys, waypoint
 * addresses). Problems are reported as they are found and counted; any problem fails the load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "dns_config.h"

struct scalar {
	const char *path;
	size_t offset;
	int64_t min;
	int64_t max;
	int64_t def;
	const char *unit;
	bool restart;
	const char *help;
};

static const struct scalar scalars[] = {
#define DNS_SETTING_ROW(field, path, min, max, def, unit, restart, help)                   \
	{path, offsetof(struct dns_settings, field), min, max, def, unit, restart, help},
	DNS_SETTINGS(DNS_SETTING_ROW)
#undef DNS_SETTING_ROW
};

#define N_SCALARS (sizeof(scalars) / sizeof(scalars[0]))

/* Settings that are not plain integers; each has its own parser below. */
static const struct {
	const char *path;
	int type; /* CONFIG_TYPE_GROUP: walked into; others: the parser checks the content */
} compounds[] = {
	{"listen", CONFIG_TYPE_ARRAY},
	{"control", CONFIG_TYPE_GROUP},
	{"control.address", CONFIG_TYPE_STRING},
	{"local-prefixes", CONFIG_TYPE_ARRAY},
	{"zone", CONFIG_TYPE_GROUP},
	{"zone.name", CONFIG_TYPE_STRING},
	{"zone.soa", CONFIG_TYPE_GROUP},
	{"zone.soa.mname", CONFIG_TYPE_STRING},
	{"zone.soa.rname", CONFIG_TYPE_STRING},
	{"zone.ns", CONFIG_TYPE_LIST},
	{"service-keys", CONFIG_TYPE_LIST},
	{"waypoints", CONFIG_TYPE_LIST},
	{"subscribers", CONFIG_TYPE_LIST},
};

#define N_COMPOUNDS (sizeof(compounds) / sizeof(compounds[0]))

struct loader {
	const char *path;
	dns_config_error_fn err;
	void *arg;
	unsigned int problems;
	struct aves_auth_ctx *auth;
	config_t lc;
	struct dns_config *cfg;
	unsigned int n_gw_keys;
	unsigned int n_hosts;
};

static void __attribute__((format(printf, 5, 6)))
report(struct loader *L, const config_setting_t *where, const char *setting, const char *value,
       const char *fmt, ...)
{
	char what[256], line[768];
	const char *file = where != NULL ? config_setting_source_file(where) : NULL;
	unsigned int lineno = where != NULL ? config_setting_source_line(where) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (file == NULL)
		file = L->path;
	if (lineno != 0)
		snprintf(line, sizeof(line), "%s:%u: %s: %s%s%s%s", file, lineno, setting, what,
			 value != NULL ? " (" : "", value != NULL ? value : "",
			 value != NULL ? ")" : "");
	else
		snprintf(line, sizeof(line), "%s: %s: %s%s%s%s", file, setting, what,
			 value != NULL ? " (" : "", value != NULL ? value : "",
			 value != NULL ? ")" : "");
	L->err(L->arg, line);
	L->problems++;
}

static void
zone_report(void *arg, const struct dns_origin *where, const char *setting, const char *what,
	    const char *value)
{
	struct loader *L = arg;
	char line[768];

	snprintf(line, sizeof(line), "%s:%u: %s: %s (%s)", where->file, where->line, setting, what,
		 value);
	L->err(L->arg, line);
	L->problems++;
}

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	case CONFIG_TYPE_STRING:
		return "a string";
	default:
		return "an integer";
	}
}

/* A short rendering of a setting's value for error messages. */
static const char *
value_text(const config_setting_t *s, char *buf, size_t cap)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, cap, "%lld", (long long)config_setting_get_int64(s));
		return buf;
	case CONFIG_TYPE_STRING:
		snprintf(buf, cap, "\"%s\"", config_setting_get_string(s));
		return buf;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, cap, "%g", config_setting_get_float(s));
		return buf;
	case CONFIG_TYPE_BOOL:
		return config_setting_get_bool(s) ? "true" : "false";
	default:
		return type_name(config_setting_type(s));
	}
}

static bool
type_ok(int want, int have)
{
	if (want == CONFIG_TYPE_ARRAY)
		return have == CONFIG_TYPE_ARRAY || have == CONFIG_TYPE_LIST;
	return want == have;
}

/* Pass 1: every setting in the file must be one we know. */
static void
walk(struct loader *L, const config_setting_t *group, const char *prefix)
{
	unsigned int i, n = (unsigned int)config_setting_length(group);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		char path[256], buf[128];
		bool known = false;
		size_t k;

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 config_setting_name(s));
		for (k = 0; k < N_SCALARS && !known; k++)
			known = strcmp(scalars[k].path, path) == 0;
		for (k = 0; k < N_COMPOUNDS && !known; k++) {
			if (strcmp(compounds[k].path, path) != 0)
				continue;
			known = true;
			if (!type_ok(compounds[k].type, config_setting_type(s)))
				report(L, s, path, value_text(s, buf, sizeof(buf)), "must be %s",
				       type_name(compounds[k].type));
			else if (compounds[k].type == CONFIG_TYPE_GROUP)
				walk(L, s, path);
		}
		if (!known)
			report(L, s, path, NULL, "unknown setting");
	}
}

static bool
get_int(struct loader *L, const config_setting_t *s, const char *path, int64_t min, int64_t max,
	int64_t *out)
{
	char buf[128];
	int64_t v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		report(L, s, path, value_text(s, buf, sizeof(buf)), "must be an integer");
		return false;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		report(L, s, path, value_text(s, buf, sizeof(buf)), "out of range %lld..%lld",
		       (long long)min, (long long)max);
		return false;
	}
	*out = v;
	return true;
}

static const char *
get_string(struct loader *L, const config_setting_t *s, const char *path)
{
	char buf[128];

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		report(L, s, path, value_text(s, buf, sizeof(buf)), "must be a string");
		return NULL;
	}
	return config_setting_get_string(s);
}

/* A group's member; reports unknown members (allowed: NULL-terminated list). */
static void
check_members(struct loader *L, const config_setting_t *group, const char *path,
	      const char *const *allowed)
{
	unsigned int i, n = (unsigned int)config_setting_length(group);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		const char *const *a;
		char p[256];

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, config_setting_name(s)) == 0)
				break;
		if (*a == NULL) {
			snprintf(p, sizeof(p), "%s.%s", path, config_setting_name(s));
			report(L, s, p, NULL, "unknown setting");
		}
	}
}

static const config_setting_t *
member(struct loader *L, const config_setting_t *group, const char *name, const char *path,
       bool required)
{
	const config_setting_t *s = config_setting_get_member(group, name);

	if (s == NULL && required)
		report(L, group, path, NULL, "required setting missing");
	return s;
}

static bool
get_ipv4(struct loader *L, const config_setting_t *s, const char *path, bool allow_any,
	 uint32_t *out)
{
	const char *text = get_string(L, s, path);
	struct in_addr a;
	char buf[128];

	if (text == NULL)
		return false;
	if (inet_pton(AF_INET, text, &a) != 1) {
		report(L, s, path, value_text(s, buf, sizeof(buf)), "not an IPv4 address");
		return false;
	}
	*out = ntohl(a.s_addr);
	if (*out == 0 && !allow_any) {
		report(L, s, path, value_text(s, buf, sizeof(buf)), "0.0.0.0 is not allowed here");
		return false;
	}
	return true;
}

/*
 * A name: absolute when it ends with '.', else relative to @p origin; "@" is the origin.
 * Lower-cased.
 */
static bool
get_name(struct loader *L, const config_setting_t *s, const char *path,
	 const struct dns_name *origin, struct dns_name *out)
{
	const char *text = get_string(L, s, path);
	uint8_t wire[DNS_NAME_MAX];
	char buf[320];
	size_t tlen;
	int n;

	if (text == NULL)
		return false;
	tlen = strlen(text);
	if (strcmp(text, "@") == 0) {
		*out = *origin;
		return true;
	}
	n = dns_name_from_text(text, wire);
	if (n < 0 || tlen == 0) {
		report(L, s, path, value_text(s, buf, sizeof(buf)),
		       "not a host name (letters, digits, '-', '_'; labels 1..63; 255 bytes)");
		return false;
	}
	if (origin != NULL && text[tlen - 1] != '.') {
		if ((size_t)n - 1 + origin->len > DNS_NAME_MAX) {
			report(L, s, path, value_text(s, buf, sizeof(buf)),
			       "name longer than 255 bytes with the zone appended");
			return false;
		}
		memcpy(out->wire, wire, (size_t)n - 1);
		memcpy(out->wire + n - 1, origin->wire, origin->len);
		out->len = (uint8_t)(n - 1 + origin->len);
	} else {
		memcpy(out->wire, wire, (size_t)n);
		out->len = (uint8_t)n;
	}
	dns_name_lower(out->wire, out->len);
	return true;
}

static struct dns_origin
origin_of(struct loader *L, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);

	return (struct dns_origin){file != NULL ? file : L->path, config_setting_source_line(s)};
}

static void
load_scalars(struct loader *L)
{
	size_t k;

	for (k = 0; k < N_SCALARS; k++) {
		const config_setting_t *s = config_lookup(&L->lc, scalars[k].path);
		int64_t v = scalars[k].def;

		if (s != NULL)
			get_int(L, s, scalars[k].path, scalars[k].min, scalars[k].max, &v);
		*(uint32_t *)((char *)&L->cfg->s + scalars[k].offset) = (uint32_t)v;
	}
}

static void
load_listen(struct loader *L)
{
	const config_setting_t *list = config_lookup(&L->lc, "listen");
	struct dns_config *cfg = L->cfg;
	unsigned int i, j, n;

	if (list == NULL) {
		cfg->listen = calloc(1, sizeof(*cfg->listen));
		cfg->n_listen = cfg->listen != NULL;
		return;
	}
	if (!type_ok(CONFIG_TYPE_ARRAY, config_setting_type(list)))
		return; /* reported by the walk */
	n = (unsigned int)config_setting_length(list);
	cfg->listen = calloc(n + 1, sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return;
	if (n == 0)
		report(L, list, "listen", NULL, "at least one address is needed");
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);
		uint32_t a;

		if (!get_ipv4(L, s, "listen", true, &a))
			continue;
		for (j = 0; j < cfg->n_listen; j++)
			if (cfg->listen[j] == a || cfg->listen[j] == 0 || a == 0)
				break;
		if (j < cfg->n_listen) {
			report(L, s, "listen", config_setting_get_string(s),
			       "listed twice, or next to 0.0.0.0 (which covers every address)");
			continue;
		}
		cfg->listen[cfg->n_listen++] = a;
	}
}

static void
load_local_prefixes(struct loader *L)
{
	const config_setting_t *list = config_lookup(&L->lc, "local-prefixes");
	struct dns_config *cfg = L->cfg;
	unsigned int i, n;

	n = list != NULL && type_ok(CONFIG_TYPE_ARRAY, config_setting_type(list))
		    ? (unsigned int)config_setting_length(list)
		    : 0;
	cfg->local_prefixes = calloc(n + 1, sizeof(*cfg->local_prefixes));
	if (cfg->local_prefixes == NULL)
		return;
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);
		const char *text = get_string(L, s, "local-prefixes");
		char addr[INET_ADDRSTRLEN + 1], *end;
		const char *slash;
		struct in_addr a;
		long len;
		uint32_t mask;

		if (text == NULL)
			continue;
		slash = strchr(text, '/');
		if (slash == NULL || (size_t)(slash - text) >= sizeof(addr)) {
			report(L, s, "local-prefixes", text, "not a prefix (a.b.c.d/len)");
			continue;
		}
		memcpy(addr, text, (size_t)(slash - text));
		addr[slash - text] = '\0';
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (inet_pton(AF_INET, addr, &a) != 1 || *end != '\0' || end == slash + 1 ||
		    len < 0 || len > 32) {
			report(L, s, "local-prefixes", text, "not a prefix (a.b.c.d/len)");
			continue;
		}
		mask = len == 0 ? 0 : ~0u << (32 - len);
		if ((ntohl(a.s_addr) & ~mask) != 0) {
			report(L, s, "local-prefixes", text, "address bits set beyond the prefix length");
			continue;
		}
		cfg->local_prefixes[cfg->n_local_prefixes++] =
			(struct dns_prefix){ntohl(a.s_addr), mask};
	}
}

static void
load_control(struct loader *L)
{
	const config_setting_t *s = config_lookup(&L->lc, "control.address");

	if (s == NULL) {
		const config_setting_t *group = config_lookup(&L->lc, "control");

		report(L, group, "control.address", NULL,
		       "required setting missing (the address SETUPs leave from; their origin)");
		return;
	}
	get_ipv4(L, s, "control.address", false, &L->cfg->control_addr);
}

/* One key group { id = ...; secret = "hex"; alg = "hmac-md5"; }. */
static bool
load_key(struct loader *L, const config_setting_t *g, const char *path, struct aves_key *key)
{
	static const char *const allowed[] = {"id", "secret", "alg", NULL};
	const config_setting_t *s;
	uint8_t secret[AVES_KEY_MAX_LEN];
	char p[256];
	const char *text;
	int64_t id = 0;
	int n;
	bool ok = true;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		report(L, g, path, NULL, "each key must be a group { id = N; secret = \"hex\"; }");
		return false;
	}
	check_members(L, g, path, allowed);
	snprintf(p, sizeof(p), "%s.id", path);
	s = member(L, g, "id", p, true);
	ok &= s != NULL && get_int(L, s, p, 1, UINT32_MAX, &id);
	snprintf(p, sizeof(p), "%s.alg", path);
	s = member(L, g, "alg", p, false);
	if (s != NULL && (text = get_string(L, s, p)) != NULL && strcmp(text, "hmac-md5") != 0) {
		report(L, s, p, text, "unknown algorithm (hmac-md5)");
		ok = false;
	}
	snprintf(p, sizeof(p), "%s.secret", path);
	s = member(L, g, "secret", p, true);
	if (s == NULL || (text = get_string(L, s, p)) == NULL)
		return false;
	n = aves_key_parse_hex(text, secret, sizeof(secret));
	if (n == -EINVAL) {
		report(L, s, p, NULL, "not hexadecimal (an even number of hex digits)");
		return false;
	}
	if (n < 0) {
		report(L, s, p, NULL, "secret must be %d to %d bytes (%d to %d hex digits)",
		       AVES_KEY_MIN_LEN, AVES_KEY_MAX_LEN, 2 * AVES_KEY_MIN_LEN, 2 * AVES_KEY_MAX_LEN);
		return false;
	}
	if (ok && aves_key_init(L->auth, key, (uint32_t)id, AVES_ALG_HMAC_MD5, secret, (size_t)n) != 0)
		ok = false;
	explicit_bzero(secret, sizeof(secret));
	return ok;
}

static void
load_service_keys(struct loader *L)
{
	const config_setting_t *list = config_lookup(&L->lc, "service-keys");
	struct dns_config *cfg = L->cfg;
	unsigned int i, n;

	if (list == NULL) {
		report(L, NULL, "service-keys", NULL,
		       "required setting missing (the key shared with the waypoints)");
		return;
	}
	if (config_setting_type(list) != CONFIG_TYPE_LIST)
		return;
	n = (unsigned int)config_setting_length(list);
	if (n == 0) {
		report(L, list, "service-keys", NULL, "at least one key is needed");
		return;
	}
	cfg->service_keys = aves_keyring_create(n);
	if (cfg->service_keys == NULL)
		return;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct aves_key key;
		char v[16];

		if (!load_key(L, g, "service-keys", &key))
			continue;
		if (aves_keyring_add(cfg->service_keys, &key) == -EEXIST) {
			snprintf(v, sizeof(v), "%u", key.id);
			report(L, g, "service-keys.id", v, "key id listed twice");
		} else if (i == 0) {
			cfg->service_send_key = key;
		}
		aves_key_wipe(&key);
	}
}

static void
load_zone_head(struct loader *L)
{
	struct dns_zone *zone = L->cfg->zone;
	const config_setting_t *s = config_lookup(&L->lc, "zone.name");

	if (s == NULL) {
		report(L, config_lookup(&L->lc, "zone"), "zone.name", NULL, "required setting missing");
		return;
	}
	if (get_name(L, s, "zone.name", NULL, &zone->apex) && zone->apex.len == 1)
		report(L, s, "zone.name", config_setting_get_string(s), "the zone cannot be the root");
	zone->ttl = L->cfg->s.zone_ttl;
	zone->soa.serial = L->cfg->s.soa_serial;
	zone->soa.refresh = L->cfg->s.soa_refresh;
	zone->soa.retry = L->cfg->s.soa_retry;
	zone->soa.expire = L->cfg->s.soa_expire;
	zone->soa.minimum = L->cfg->s.soa_minimum;
}

static void
load_ns(struct loader *L)
{
	static const char *const allowed[] = {"name", "address", NULL};
	const config_setting_t *list = config_lookup(&L->lc, "zone.ns");
	struct dns_zone *zone = L->cfg->zone;
	unsigned int i;

	for (i = 0; i < zone->n_ns; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *s;
		struct dns_ns *ns = &zone->ns[i];

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue; /* reported by check_list_elements() */
		ns->origin = origin_of(L, g);
		check_members(L, g, "zone.ns", allowed);
		s = member(L, g, "name", "zone.ns.name", true);
		if (s != NULL)
			get_name(L, s, "zone.ns.name", &zone->apex, &ns->name);
		s = member(L, g, "address", "zone.ns.address", false);
		if (s != NULL)
			get_ipv4(L, s, "zone.ns.address", false, &ns->glue);
	}
}

static void
load_soa_names(struct loader *L)
{
	struct dns_zone *zone = L->cfg->zone;
	const config_setting_t *s;
	uint8_t hostmaster[DNS_NAME_MAX];
	int n = dns_name_from_text("hostmaster", hostmaster);

	s = config_lookup(&L->lc, "zone.soa.mname");
	if (s != NULL)
		get_name(L, s, "zone.soa.mname", &zone->apex, &zone->soa.mname);
	else if (zone->n_ns > 0)
		zone->soa.mname = zone->ns[0].name;
	s = config_lookup(&L->lc, "zone.soa.rname");
	if (s != NULL) {
		get_name(L, s, "zone.soa.rname", &zone->apex, &zone->soa.rname);
	} else if (n > 0 && (size_t)n - 1 + zone->apex.len <= DNS_NAME_MAX) {
		memcpy(zone->soa.rname.wire, hostmaster, (size_t)n - 1);
		memcpy(zone->soa.rname.wire + n - 1, zone->apex.wire, zone->apex.len);
		zone->soa.rname.len = (uint8_t)(n - 1 + zone->apex.len);
	}
}

static void
load_waypoints(struct loader *L, unsigned int n_servers, unsigned int n_addrs)
{
	static const char *const allowed[] = {"address", "port", "addresses", NULL};
	const config_setting_t *list = config_lookup(&L->lc, "waypoints");
	struct dns_waypoints *wp;
	unsigned int i, j, k;

	wp = L->cfg->waypoints = dns_waypoints_create(n_servers, n_addrs);
	if (wp == NULL)
		return;
	wp->n_addrs = 0;
	wp->fail_threshold = L->cfg->s.waypoint_fail_threshold;
	wp->down_time_us = (uint64_t)L->cfg->s.waypoint_down_time * 1000000;
	for (i = 0; i < n_servers; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *s, *addrs;
		struct dns_waypoint_server *srv = &wp->servers[i];
		uint32_t a = 0;
		int64_t port = 4796;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue; /* reported by check_list_elements() */
		check_members(L, g, "waypoints", allowed);
		s = member(L, g, "address", "waypoints.address", true);
		if (s != NULL)
			get_ipv4(L, s, "waypoints.address", false, &a);
		s = member(L, g, "port", "waypoints.port", false);
		if (s != NULL)
			get_int(L, s, "waypoints.port", 1, 65535, &port);
		srv->control.sin_family = AF_INET;
		srv->control.sin_addr.s_addr = htonl(a);
		srv->control.sin_port = htons((uint16_t)port);
		addrs = member(L, g, "addresses", "waypoints.addresses", true);
		if (addrs == NULL || !type_ok(CONFIG_TYPE_ARRAY, config_setting_type(addrs)))
			continue;
		if (config_setting_length(addrs) == 0)
			report(L, addrs, "waypoints.addresses", NULL,
			       "at least one waypoint address is needed");
		for (j = 0; j < (unsigned int)config_setting_length(addrs); j++) {
			const config_setting_t *e = config_setting_get_elem(addrs, j);

			if (!get_ipv4(L, e, "waypoints.addresses", false, &a))
				continue;
			for (k = 0; k < wp->n_addrs && wp->addrs[k].addr != a; k++)
				;
			if (k < wp->n_addrs) {
				report(L, e, "waypoints.addresses", config_setting_get_string(e),
				       "waypoint address listed twice");
				continue;
			}
			wp->addrs[wp->n_addrs++] = (struct dns_waypoint_addr){.addr = a, .server = i};
		}
	}
}

static void
load_subscribers(struct loader *L)
{
	static const char *const allowed[] = {"name", "keys", "hosts", NULL};
	static const char *const host_allowed[] = {"name", "address", NULL};
	const config_setting_t *list = config_lookup(&L->lc, "subscribers");
	struct dns_zone *zone = L->cfg->zone;
	unsigned int i, j, host = 0, key = 0;

	for (i = 0; i < zone->n_subs; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *s, *keys, *hosts;
		struct dns_subscriber *sub = &zone->subs[i];

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue; /* reported by check_list_elements() */
		sub->origin = origin_of(L, g);
		check_members(L, g, "subscribers", allowed);
		s = member(L, g, "name", "subscribers.name", true);
		if (s != NULL)
			get_name(L, s, "subscribers.name", &zone->apex, &sub->domain);
		keys = member(L, g, "keys", "subscribers.keys", true);
		if (keys != NULL && config_setting_type(keys) == CONFIG_TYPE_LIST) {
			if (config_setting_length(keys) == 0)
				report(L, keys, "subscribers.keys", NULL,
				       "at least one gateway key is needed");
			for (j = 0; j < (unsigned int)config_setting_length(keys); j++) {
				const config_setting_t *kg = config_setting_get_elem(keys, j);
				struct aves_key k;

				if (!load_key(L, kg, "subscribers.keys", &k))
					continue;
				zone->keys[key] = (struct dns_zone_key){k.id, i, origin_of(L, kg)};
				key++;
				/* Duplicates are reported by the zone check. */
				aves_keyring_add(L->cfg->gateway_keys, &k);
				aves_key_wipe(&k);
			}
		} else if (keys != NULL) {
			report(L, keys, "subscribers.keys", NULL, "must be a list ( { ... } )");
		}
		hosts = member(L, g, "hosts", "subscribers.hosts", false);
		if (hosts == NULL)
			continue;
		if (config_setting_type(hosts) != CONFIG_TYPE_LIST) {
			report(L, hosts, "subscribers.hosts", NULL, "must be a list ( { ... } )");
			continue;
		}
		for (j = 0; j < (unsigned int)config_setting_length(hosts); j++) {
			const config_setting_t *hg = config_setting_get_elem(hosts, j);
			struct dns_host *h = &zone->hosts[host++];

			h->sub = i;
			h->origin = origin_of(L, hg);
			if (config_setting_type(hg) != CONFIG_TYPE_GROUP) {
				report(L, hg, "subscribers.hosts", NULL,
				       "each host must be a group { name = ...; address = ...; }");
				continue;
			}
			check_members(L, hg, "subscribers.hosts", host_allowed);
			s = member(L, hg, "name", "subscribers.hosts.name", true);
			if (s != NULL)
				get_name(L, s, "subscribers.hosts.name", &sub->domain, &h->name);
			s = member(L, hg, "address", "subscribers.hosts.address", true);
			if (s != NULL)
				get_ipv4(L, s, "subscribers.hosts.address", false, &h->addr);
		}
	}
	zone->n_keys = key;
	zone->n_hosts = host;
}

/* Sizes of the lists, so every array is allocated once. */
static unsigned int
list_len(const config_setting_t *s, int type)
{
	return s != NULL && config_setting_type(s) == type ? (unsigned int)config_setting_length(s) : 0;
}

static void
count_items(struct loader *L, unsigned int *n_ns, unsigned int *n_subs, unsigned int *n_servers,
	    unsigned int *n_addrs)
{
	const config_setting_t *subs = config_lookup(&L->lc, "subscribers");
	const config_setting_t *wps = config_lookup(&L->lc, "waypoints");
	unsigned int i;

	*n_ns = list_len(config_lookup(&L->lc, "zone.ns"), CONFIG_TYPE_LIST);
	*n_subs = list_len(subs, CONFIG_TYPE_LIST);
	*n_servers = list_len(wps, CONFIG_TYPE_LIST);
	*n_addrs = 0;
	L->n_hosts = L->n_gw_keys = 0;
	for (i = 0; i < *n_subs; i++) {
		const config_setting_t *g = config_setting_get_elem(subs, i);

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue;
		L->n_hosts += list_len(config_setting_get_member(g, "hosts"), CONFIG_TYPE_LIST);
		L->n_gw_keys += list_len(config_setting_get_member(g, "keys"), CONFIG_TYPE_LIST);
	}
	for (i = 0; i < *n_servers; i++) {
		const config_setting_t *g = config_setting_get_elem(wps, i);
		const config_setting_t *a;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue;
		a = config_setting_get_member(g, "addresses");
		if (a != NULL && type_ok(CONFIG_TYPE_ARRAY, config_setting_type(a)))
			*n_addrs += (unsigned int)config_setting_length(a);
	}
}

/* Groups in lists that are not groups would confuse the loaders below: report them first. */
static void
check_list_elements(struct loader *L, const char *path)
{
	const config_setting_t *list = config_lookup(&L->lc, path);
	unsigned int i;

	for (i = 0; i < list_len(list, CONFIG_TYPE_LIST); i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			report(L, g, path, NULL, "each element must be a group { ... }");
	}
}

/* Key ids name one secret everywhere (docs/PROTOCOL.md §2): no id in both roles. */
static void
check_key_roles(struct loader *L)
{
	const struct dns_zone *zone = L->cfg->zone;
	unsigned int i;

	if (L->cfg->service_keys == NULL)
		return;
	for (i = 0; i < zone->n_keys; i++) {
		char v[16];

		if (aves_keyring_find(L->cfg->service_keys, zone->keys[i].key_id) == NULL)
			continue;
		snprintf(v, sizeof(v), "%u", zone->keys[i].key_id);
		zone_report(L, &zone->keys[i].origin, "subscribers.keys.id",
			    "key id already used by a service key", v);
	}
}

static bool
names_complete(const struct dns_zone *zone)
{
	unsigned int i;

	if (zone->apex.len <= 1)
		return false;
	for (i = 0; i < zone->n_ns; i++)
		if (zone->ns[i].name.len == 0)
			return false;
	for (i = 0; i < zone->n_subs; i++)
		if (zone->subs[i].domain.len == 0)
			return false;
	for (i = 0; i < zone->n_hosts; i++)
		if (zone->hosts[i].name.len == 0)
			return false;
	return true;
}

struct dns_config *
dns_config_load(const char *path, struct aves_auth_ctx *auth, dns_config_error_fn err, void *arg)
{
	struct loader L = {.path = path, .err = err, .arg = arg, .auth = auth};
	unsigned int n_ns, n_subs, n_servers, n_addrs;
	struct dns_config *cfg;
	int rc;

	config_init(&L.lc);
	if (config_read_file(&L.lc, path) != CONFIG_TRUE) {
		char line[768];

		if (config_error_type(&L.lc) == CONFIG_ERR_FILE_IO)
			snprintf(line, sizeof(line), "%s: cannot read the file (%s)", path,
				 strerror(errno));
		else
			snprintf(line, sizeof(line), "%s:%d: syntax: %s",
				 config_error_file(&L.lc) ? config_error_file(&L.lc) : path,
				 config_error_line(&L.lc), config_error_text(&L.lc));
		err(arg, line);
		config_destroy(&L.lc);
		return NULL;
	}
	cfg = L.cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->file = strdup(path)) == NULL)
		goto nomem;

	walk(&L, config_root_setting(&L.lc), "");
	load_scalars(&L);
	load_listen(&L);
	load_control(&L);
	load_local_prefixes(&L);
	check_list_elements(&L, "zone.ns");
	check_list_elements(&L, "waypoints");
	check_list_elements(&L, "subscribers");
	count_items(&L, &n_ns, &n_subs, &n_servers, &n_addrs);
	cfg->zone = dns_zone_create(n_ns, n_subs, L.n_hosts, L.n_gw_keys);
	cfg->gateway_keys = aves_keyring_create(L.n_gw_keys > 0 ? L.n_gw_keys : 1);
	if (cfg->zone == NULL || cfg->gateway_keys == NULL || cfg->listen == NULL ||
	    cfg->local_prefixes == NULL)
		goto nomem;
	load_service_keys(&L);
	load_zone_head(&L);
	if (n_ns == 0)
		report(&L, config_lookup(&L.lc, "zone"), "zone.ns", NULL,
		       "at least one name server is needed");
	load_ns(&L);
	load_soa_names(&L);
	if (n_servers == 0)
		report(&L, NULL, "waypoints", NULL, "at least one waypoint is needed");
	load_waypoints(&L, n_servers, n_addrs);
	if (cfg->waypoints == NULL)
		goto nomem;
	load_subscribers(&L);
	if (names_complete(cfg->zone)) {
		/* Pass 3 needs every name parsed; it runs after other problems too, so that one
		 * run reports everything. */
		check_key_roles(&L);
		rc = dns_zone_index(cfg->zone, zone_report, &L);
		if (rc == -ENOMEM)
			goto nomem;
	}
	config_destroy(&L.lc);
	if (L.problems != 0) {
		dns_config_free(cfg);
		return NULL;
	}
	return cfg;
nomem:
	err(arg, "out of memory while loading the configuration");
	config_destroy(&L.lc);
	dns_config_free(cfg);
	return NULL;
}

void
dns_config_free(struct dns_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->listen);
	free(cfg->local_prefixes);
	dns_zone_free(cfg->zone);
	dns_waypoints_free(cfg->waypoints);
	aves_keyring_free(cfg->service_keys);
	aves_keyring_free(cfg->gateway_keys);
	aves_key_wipe(&cfg->service_send_key);
	free(cfg);
}

static const char *
ip_text(uint32_t addr, char *buf)
{
	struct in_addr a = {htonl(addr)};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *
name_text(const struct dns_name *n, char *buf, size_t cap)
{
	return dns_name_to_text(n->wire, n->len, buf, cap);
}

void
dns_config_print(const struct dns_config *cfg, FILE *out)
{
	const struct dns_zone *zone = cfg->zone;
	const struct dns_waypoints *wp = cfg->waypoints;
	char ip[INET_ADDRSTRLEN], name[DNS_NAME_MAX * 4 + 1];
	unsigned int i, j;
	size_t k;

	fprintf(out, "# aves-dns: effective configuration of %s\n", cfg->file);
	for (k = 0; k < N_SCALARS; k++) {
		uint32_t v = *(const uint32_t *)((const char *)&cfg->s + scalars[k].offset);

		fprintf(out, "%s = %u;  # %s%s%s; %lld..%lld, default %lld%s\n", scalars[k].path, v,
			scalars[k].help, *scalars[k].unit ? "; unit: " : "", scalars[k].unit,
			(long long)scalars[k].min, (long long)scalars[k].max, (long long)scalars[k].def,
			scalars[k].restart ? "; restart to change" : "");
	}
	fprintf(out, "listen = [");
	for (i = 0; i < cfg->n_listen; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", ip_text(cfg->listen[i], ip));
	fprintf(out, "];\ncontrol.address = \"%s\";\nlocal-prefixes = [", ip_text(cfg->control_addr, ip));
	for (i = 0; i < cfg->n_local_prefixes; i++) {
		uint32_t m = cfg->local_prefixes[i].mask;
		int len = 0;

		for (; m != 0; m <<= 1)
			len++;
		fprintf(out, "%s\"%s/%d\"", i ? ", " : "", ip_text(cfg->local_prefixes[i].addr, ip), len);
	}
	fprintf(out, "];\nzone.name = \"%s\";\n", name_text(&zone->apex, name, sizeof(name)));
	fprintf(out, "zone.soa.mname = \"%s\";\n", name_text(&zone->soa.mname, name, sizeof(name)));
	fprintf(out, "zone.soa.rname = \"%s\";\n", name_text(&zone->soa.rname, name, sizeof(name)));
	for (i = 0; i < zone->n_ns; i++) {
		fprintf(out, "zone.ns: \"%s\"", name_text(&zone->ns[i].name, name, sizeof(name)));
		if (zone->ns[i].glue != 0)
			fprintf(out, " glue %s", ip_text(zone->ns[i].glue, ip));
		fprintf(out, "\n");
	}
	fprintf(out, "service-keys: %u key(s), SETUP tagged with key id %u\n",
		aves_keyring_count(cfg->service_keys), cfg->service_send_key.id);
	for (i = 0; i < wp->n_servers; i++) {
		fprintf(out, "waypoint: control %s:%u addresses",
			ip_text(ntohl(wp->servers[i].control.sin_addr.s_addr), ip),
			ntohs(wp->servers[i].control.sin_port));
		for (j = 0; j < wp->n_addrs; j++)
			if (wp->addrs[j].server == i)
				fprintf(out, " %s", ip_text(wp->addrs[j].addr, ip));
		fprintf(out, "\n");
	}
	for (i = 0; i < zone->n_subs; i++) {
		fprintf(out, "subscriber: \"%s\" gateway key ids",
			name_text(&zone->subs[i].domain, name, sizeof(name)));
		for (j = 0; j < zone->n_keys; j++)
			if (zone->keys[j].sub == i)
				fprintf(out, " %u", zone->keys[j].key_id);
		fprintf(out, "\n");
		for (j = 0; j < zone->n_hosts; j++)
			if (zone->hosts[j].sub == i)
				fprintf(out, "  host: \"%s\" %s\n",
					name_text(&zone->hosts[j].name, name, sizeof(name)),
					ip_text(zone->hosts[j].addr, ip));
	}
}

const char *
dns_config_restart_needed(const struct dns_config *cur, const struct dns_config *next)
{
	size_t k;

	for (k = 0; k < N_SCALARS; k++)
		if (scalars[k].restart &&
		    *(const uint32_t *)((const char *)&cur->s + scalars[k].offset) !=
			    *(const uint32_t *)((const char *)&next->s + scalars[k].offset))
			return scalars[k].path;
	if (cur->n_listen != next->n_listen ||
	    memcmp(cur->listen, next->listen, cur->n_listen * sizeof(*cur->listen)) != 0)
		return "listen";
	if (cur->control_addr != next->control_addr)
		return "control.address";
	return NULL;
}

bool
dns_config_is_local(const struct dns_config *cfg, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < cfg->n_local_prefixes; i++)
		if ((addr & cfg->local_prefixes[i].mask) == cfg->local_prefixes[i].addr)
			return true;
	return false;
}
