/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration both appliances share: the scalar table mechanism, ports, routes, keys,
 * workers, their cross-checks and their --check-config lines.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "aves_appconf.h"
#include "aves_flow.h"

int
aves_appconf_open(struct aves_conf *conf, struct aves_appliance_conf *base, const char *path,
		  FILE *err)
{
	memset(base, 0, sizeof(*base));
	snprintf(base->file, sizeof(base->file), "%s", path);
	aves_session_timers_default(&base->timers);
	return aves_conf_open(conf, path, err);
}

/* A top-level group, or NULL. One of another type is reported once, by
 * aves_conf_file_reject_unknown(). */
static const config_setting_t *
top_group(const struct aves_conf *conf, const char *name)
{
	const config_setting_t *g = config_setting_get_member(aves_conf_root(conf), name);

	return g != NULL && config_setting_is_group(g) ? g : NULL;
}

const config_setting_t *
aves_appconf_group(struct aves_conf *conf, const char *name, enum aves_conf_need need)
{
	/* A missing required group is one problem, not one per member. */
	if (aves_conf_member(conf, aves_conf_root(conf), name, need) == NULL)
		return NULL;
	return top_group(conf, name);
}

static uint32_t *
field(void *cfg, size_t offset)
{
	return (uint32_t *)((char *)cfg + offset);
}

static uint32_t
field_get(const void *cfg, size_t offset)
{
	uint32_t v;

	memcpy(&v, (const char *)cfg + offset, sizeof(v));
	return v;
}

void
aves_conf_file_read(struct aves_conf *conf, const struct aves_conf_file *file, void *cfg)
{
	size_t i;

	for (i = 0; i < file->n_scalars; i++) {
		const struct aves_conf_scalar *s = &file->scalars[i];
		const config_setting_t *g = top_group(conf, s->group);
		uint64_t v;

		if (s->kind == AVES_CONF_DURATION)
			aves_conf_duration_ms(conf, g, s->name, AVES_CONF_OPTIONAL, s->min, s->max,
					      s->def, &v);
		else
			aves_conf_uint(conf, g, s->name, AVES_CONF_OPTIONAL, s->min, s->max, s->def,
				       &v);
		*field(cfg, s->offset) = (uint32_t)v;
	}
}

void
aves_conf_file_reject_unknown(struct aves_conf *conf, const struct aves_conf_file *file)
{
	const char *group = NULL;
	size_t gi, i;

	aves_conf_reject_unknown(conf, aves_conf_root(conf), file->top_level);
	/* The scalar groups, each once, in table order (rows of a group are adjacent). */
	for (gi = 0; gi < file->n_scalars; gi++) {
		const char *allowed[32];
		size_t n = 0;

		if (group != NULL && strcmp(group, file->scalars[gi].group) == 0)
			continue;
		group = file->scalars[gi].group;
		if (aves_conf_group(conf, aves_conf_root(conf), group, AVES_CONF_OPTIONAL) == NULL)
			continue;
		for (i = 0; i < file->n_scalars && n + 1 < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(file->scalars[i].group, group) == 0)
				allowed[n++] = file->scalars[i].name;
		for (i = 0; i < file->n_compounds && n + 1 < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(file->compounds[i].group, group) == 0)
				allowed[n++] = file->compounds[i].name;
		allowed[n] = NULL;
		aves_conf_reject_unknown(conf, top_group(conf, group), allowed);
	}
}

void
aves_conf_file_print(const struct aves_conf_file *file, const void *cfg, FILE *out)
{
	const char *group = NULL;
	size_t s;

	for (s = 0; s < file->n_scalars; s++) {
		const struct aves_conf_scalar *sc = &file->scalars[s];
		char line[64];
		int n;

		if (group == NULL || strcmp(group, sc->group) != 0) {
			if (group != NULL)
				fprintf(out, "};\n");
			fprintf(out, "%s = {\n", sc->group);
			group = sc->group;
			if (file->print_group != NULL)
				file->print_group(cfg, group, out);
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

void
aves_appconf_ports(struct aves_conf *conf, struct aves_appliance_conf *base,
		   unsigned int min_ports, const char *extra_name, aves_conf_port_fn *extra,
		   void *arg)
{
	const char *const allowed[] = { "device", "address", "mtu", "rx-descriptors",
					"tx-descriptors", extra_name, NULL };
	const config_setting_t *l = aves_conf_list(conf, aves_conf_root(conf), "ports",
						   AVES_CONF_REQUIRED);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (l != NULL && (n < min_ports || n > AVES_CONF_PORTS_MAX)) {
		aves_conf_error(conf, l, "must list %u to %u ports (%u)", min_ports,
				AVES_CONF_PORTS_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = aves_conf_list_group(conf, l, i);
		struct aves_port_conf *p = &base->ports[base->n_ports];
		uint64_t v;

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_string(conf, g, "device", AVES_CONF_REQUIRED, NULL, p->device,
				 sizeof(p->device));
		if (extra != NULL)
			extra(conf, g, base->n_ports, arg);
		aves_conf_iface(conf, g, "address", AVES_CONF_REQUIRED, &p->addr, &p->prefix_len);
		aves_conf_uint(conf, g, "mtu", AVES_CONF_OPTIONAL, 576, 9000, 1500, &v);
		p->mtu = (uint32_t)v;
		aves_conf_uint(conf, g, "rx-descriptors", AVES_CONF_OPTIONAL, 64, 16384, 1024, &v);
		p->rx_desc = (uint32_t)v;
		aves_conf_uint(conf, g, "tx-descriptors", AVES_CONF_OPTIONAL, 64, 16384, 1024, &v);
		p->tx_desc = (uint32_t)v;
		base->n_ports++;
	}
}

void
aves_appconf_routes(struct aves_conf *conf, struct aves_appliance_conf *base)
{
	static const char *const allowed[] = { "prefix", "via", NULL };
	const config_setting_t *l = aves_conf_list(conf, aves_conf_root(conf), "routes",
						   AVES_CONF_OPTIONAL);
	unsigned int i, n = l != NULL ? (unsigned int)config_setting_length(l) : 0;

	if (n > AVES_CONF_ROUTES_MAX) {
		aves_conf_error(conf, l, "at most %u routes (%u)", AVES_CONF_ROUTES_MAX, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = aves_conf_list_group(conf, l, i);
		struct aves_route_conf *r = &base->routes[base->n_routes];

		if (g == NULL)
			continue;
		aves_conf_reject_unknown(conf, g, allowed);
		aves_conf_prefix(conf, g, "prefix", AVES_CONF_REQUIRED, &r->prefix, &r->len);
		aves_conf_ipv4(conf, g, "via", AVES_CONF_REQUIRED, &r->via);
		base->n_routes++;
	}
}

void
aves_appconf_workers(struct aves_conf *conf, struct aves_appliance_conf *base,
		     const config_setting_t *lcores)
{
	if (lcores != NULL)
		aves_conf_lcores(conf, lcores, "workers", AVES_CONF_REQUIRED, base->workers,
				 AVES_CONF_WORKERS_MAX, &base->n_workers);
}

void
aves_appconf_key(struct aves_conf *conf, const config_setting_t *g, struct aves_key_conf *k)
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

/* ---------------------------------------------------------------------------------------- */
/* Cross-checks                                                                              */
/* ---------------------------------------------------------------------------------------- */

static uint32_t
mask_of(uint8_t len)
{
	return len == 0 ? 0 : htonl(~UINT32_C(0) << (32 - len));
}

bool
aves_appconf_in_prefix(uint32_t addr, uint32_t net, uint8_t len)
{
	return (addr & mask_of(len)) == (net & mask_of(len));
}

bool
aves_appconf_net_or_bcast(uint32_t addr, uint8_t len)
{
	uint32_t host = addr & ~mask_of(len);

	return host == 0 || host == ~mask_of(len);
}

int
aves_appconf_port_of(const struct aves_appliance_conf *base, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < base->n_ports; i++)
		if (aves_appconf_in_prefix(addr, base->ports[i].addr, base->ports[i].prefix_len))
			return (int)i;
	return -1;
}

bool
aves_appconf_is_port_addr(const struct aves_appliance_conf *base, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < base->n_ports; i++)
		if (base->ports[i].addr == addr)
			return true;
	return false;
}

void
aves_appconf_check_ports(struct aves_conf *conf, const struct aves_appliance_conf *base)
{
	const config_setting_t *ports = aves_conf_lookup(conf, "ports");
	char a[INET_ADDRSTRLEN];
	unsigned int i, j;

	for (i = 0; i < base->n_ports; i++) {
		const struct aves_port_conf *p = &base->ports[i];

		inet_ntop(AF_INET, &p->addr, a, sizeof(a));
		if (aves_ipv4_martian_src(p->addr) ||
		    aves_appconf_net_or_bcast(p->addr, p->prefix_len))
			aves_conf_error(conf, ports, "port %u: %s/%u cannot be an interface address",
					i, a, p->prefix_len);
		for (j = 0; j < i; j++) {
			const struct aves_port_conf *o = &base->ports[j];

			if (strcmp(o->device, p->device) == 0)
				aves_conf_error(conf, ports,
						"ports %u and %u name the same device (\"%s\")", j,
						i, p->device);
			if (aves_appconf_in_prefix(p->addr, o->addr, o->prefix_len) ||
			    aves_appconf_in_prefix(o->addr, p->addr, p->prefix_len))
				aves_conf_error(conf, ports,
						"ports %u and %u are on the same network", j, i);
		}
	}
}

void
aves_appconf_check_routes(struct aves_conf *conf, const struct aves_appliance_conf *base,
			  const uint32_t *own, unsigned int n_own)
{
	const config_setting_t *list = config_setting_get_member(aves_conf_root(conf), "routes");
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	unsigned int i, j;

	for (i = 0; i < base->n_routes; i++) {
		const struct aves_route_conf *r = &base->routes[i];
		const config_setting_t *s = config_setting_get_elem(list, i);
		bool ours = aves_appconf_is_port_addr(base, r->via);

		for (j = 0; j < n_own; j++)
			ours = ours || own[j] == r->via;
		inet_ntop(AF_INET, &r->via, a, sizeof(a));
		if (aves_appconf_port_of(base, r->via) < 0)
			aves_conf_error(conf, s, "gateway %s is on no port's network", a);
		else if (ours)
			aves_conf_error(conf, s, "gateway %s is one of our own addresses", a);
		for (j = 0; j < i; j++)
			if (base->routes[j].prefix == r->prefix && base->routes[j].len == r->len)
				aves_conf_error(conf, s, "prefix %s/%u is routed twice",
						inet_ntop(AF_INET, &r->prefix, b, sizeof(b)),
						r->len);
	}
}

void
aves_appconf_check_timers(struct aves_conf *conf, const struct aves_appliance_conf *base)
{
	const char *bad_timer;

	if (aves_session_timers_check(&base->timers, &bad_timer) != 0)
		aves_conf_error_path(conf, "timers", "invalid timer %s",
				bad_timer);
}

void
aves_appconf_check_runtime(struct aves_conf *conf, const struct aves_appliance_conf *base)
{
	unsigned int i, j;

	for (i = 0; i < base->n_workers; i++) {
		if (base->workers[i] == base->control_lcore)
			aves_conf_error_path(conf, "lcores.workers",
					"lcore %u is both a worker and the control lcore",
					base->workers[i]);
		for (j = 0; j < i; j++)
			if (base->workers[j] == base->workers[i])
				aves_conf_error_path(conf, "lcores.workers",
						"lcore %u is listed twice", base->workers[i]);
	}
	if (base->idle_sleep_after < base->idle_pause_after)
		aves_conf_error_path(conf, "idle.sleep-after",
				"must not be smaller than idle.pause-after (%u < %u)",
				base->idle_sleep_after, base->idle_pause_after);
	if (base->mbuf_cache > base->mbufs / 4)
		aves_conf_error_path(conf, "mbufs.cache",
				"must be at most a quarter of mbufs.count (%u > %u)",
				base->mbuf_cache, base->mbufs / 4);
}

/* ---------------------------------------------------------------------------------------- */
/* --check-config                                                                            */
/* ---------------------------------------------------------------------------------------- */

static const char *
ntop(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

void
aves_appconf_print_ports(const struct aves_appliance_conf *base,
			 const char *(*extra)(const void *cfg, unsigned int i), const void *cfg,
			 FILE *out)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(out, "ports = (\n");
	for (i = 0; i < base->n_ports; i++) {
		const struct aves_port_conf *p = &base->ports[i];
		const char *more = extra != NULL ? extra(cfg, i) : NULL;

		fprintf(out, "\t{ device = \"%s\"; %saddress = \"%s/%u\"; mtu = %u; "
			"rx-descriptors = %u; tx-descriptors = %u; }%s\n", p->device,
			more != NULL ? more : "", ntop(p->addr, a), p->prefix_len, p->mtu,
			p->rx_desc, p->tx_desc, i + 1 < base->n_ports ? "," : "");
	}
	fprintf(out, ");\n");
}

void
aves_appconf_print_routes(const struct aves_appliance_conf *base, FILE *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(out, "routes = (\n");
	for (i = 0; i < base->n_routes; i++)
		fprintf(out, "\t{ prefix = \"%s/%u\"; via = \"%s\"; }%s\n",
			ntop(base->routes[i].prefix, a), base->routes[i].len,
			ntop(base->routes[i].via, b), i + 1 < base->n_routes ? "," : "");
	fprintf(out, ");\n");
}

void
aves_appconf_print_keys(const struct aves_key_conf *keys, unsigned int n, const char *indent,
			FILE *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		fprintf(out, "%s{ id = %u; alg = \"hmac-md5\"; secret = \"(%u bytes)\"; }%s\n",
			indent, keys[i].id, keys[i].len, i + 1 < n ? "," : "");
}

void
aves_appconf_print_workers(const struct aves_appliance_conf *base, FILE *out)
{
	unsigned int i;

	fprintf(out, "\tworkers = [");
	for (i = 0; i < base->n_workers; i++)
		fprintf(out, "%s%u", i ? ", " : " ", base->workers[i]);
	fprintf(out, " ];\n");
}
