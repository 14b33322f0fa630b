/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The zone's names and their index. Names are kept lower case, so lookups are a binary search
 * with memcmp; the answer echoes the question's own spelling through a compression pointer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_zone.h"

struct dns_zone *
dns_zone_create(unsigned int n_ns, unsigned int n_subs, unsigned int n_hosts, unsigned int n_keys)
{
	struct dns_zone *zone = calloc(1, sizeof(*zone));

	if (zone == NULL)
		return NULL;
	/* calloc(0) may return NULL: ask for at least one element so NULL means no memory. */
	zone->ns = calloc(n_ns + 1, sizeof(*zone->ns));
	zone->subs = calloc(n_subs + 1, sizeof(*zone->subs));
	zone->hosts = calloc(n_hosts + 1, sizeof(*zone->hosts));
	zone->keys = calloc(n_keys + 1, sizeof(*zone->keys));
	if (zone->ns == NULL || zone->subs == NULL || zone->hosts == NULL || zone->keys == NULL) {
		dns_zone_free(zone);
		return NULL;
	}
	zone->n_ns = n_ns;
	zone->n_subs = n_subs;
	zone->n_hosts = n_hosts;
	zone->n_keys = n_keys;
	return zone;
}

void
dns_zone_free(struct dns_zone *zone)
{
	if (zone == NULL)
		return;
	free(zone->ns);
	free(zone->subs);
	free(zone->hosts);
	free(zone->keys);
	free(zone->nodes);
	free(zone);
}

static int
name_cmp(const struct dns_name *a, const struct dns_name *b)
{
	int c = memcmp(a->wire, b->wire, a->len < b->len ? a->len : b->len);

	return c != 0 ? c : (int)a->len - (int)b->len;
}

/* A named item of the configuration, for the checks and the index. */
struct item {
	const struct dns_name *name;
	enum dns_node_kind kind;
	uint32_t index;
	int sub_domain; /* subscriber index when this is a subscriber's domain, else -1 */
	const struct dns_origin *origin;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = name_cmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Equal names: keep the configuration's order so the report points at the later one. */
	return x->origin->line < y->origin->line ? -1 : x->origin->line > y->origin->line;
}

static int
node_cmp(const void *a, const void *b)
{
	const struct dns_node *x = a, *y = b;
	int c = name_cmp(&x->name, &y->name);

	/* Among equal names the node with data sorts first, so deduplication keeps it. */
	return c != 0 ? c : (int)y->kind - (int)x->kind;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct dns_zone_key *x = a, *y = b;

	return x->key_id < y->key_id ? -1 : x->key_id > y->key_id;
}

/* The subscriber whose domain is exactly this name, or -1. */
static int
sub_named(const struct item *items, unsigned int n, const uint8_t *wire, size_t len)
{
	unsigned int lo = 0, hi = n;
	struct dns_name key;

	key.len = (uint8_t)len;
	memcpy(key.wire, wire, len);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (name_cmp(items[mid].name, &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && name_cmp(items[lo].name, &key) == 0; lo++)
		if (items[lo].sub_domain >= 0)
			return items[lo].sub_domain;
	return -1;
}

/* The subscriber domain at or above @p name (strictly above when @p strict), or -1. */
static int
enclosing_sub(const struct item *items, unsigned int n, const struct dns_zone *zone,
	      const struct dns_name *name, bool strict)
{
	size_t pos = 0;

	if (strict) {
		pos = dns_name_parent(name->wire, name->len);
		if (pos == 0)
			return -1;
	}
	for (; name->len - pos > zone->apex.len; pos += 1 + (size_t)name->wire[pos]) {
		int sub = sub_named(items, n, name->wire + pos, name->len - pos);

		if (sub >= 0)
			return sub;
	}
	return -1;
}

static void
report_name(dns_zone_report_fn report, void *arg, const struct dns_origin *where,
	    const char *setting, const char *what, const struct dns_name *name)
{
	char text[DNS_NAME_MAX * 4 + 1];

	report(arg, where, setting, what, dns_name_to_text(name->wire, name->len, text, sizeof(text)));
}

static const char *
setting_of(const struct item *it)
{
	if (it->sub_domain >= 0)
		return "subscribers.name";
	return it->kind == DNS_NODE_NS_HOST ? "zone.ns.name" : "subscribers.hosts.name";
}

static unsigned int
collect_items(const struct dns_zone *zone, struct item *items)
{
	static const struct dns_origin apex_origin = {"", 0};
	unsigned int n = 0, i;

	items[n++] = (struct item){&zone->apex, DNS_NODE_APEX, 0, -1, &apex_origin};
	for (i = 0; i < zone->n_ns; i++)
		if (dns_name_under(zone->ns[i].name.wire, zone->ns[i].name.len, zone->apex.wire,
				   zone->apex.len) >= 0)
			items[n++] = (struct item){&zone->ns[i].name, DNS_NODE_NS_HOST, i, -1,
						   &zone->ns[i].origin};
	for (i = 0; i < zone->n_subs; i++)
		items[n++] = (struct item){&zone->subs[i].domain, DNS_NODE_EMPTY, 0, (int)i,
					   &zone->subs[i].origin};
	for (i = 0; i < zone->n_hosts; i++)
		items[n++] = (struct item){&zone->hosts[i].name, DNS_NODE_HOST, i, -1,
					   &zone->hosts[i].origin};
	return n;
}

/* Problems of single items and of pairs of items with the same name. */
static int
check_items(const struct dns_zone *zone, const struct item *items, unsigned int n,
	    dns_zone_report_fn report, void *arg)
{
	int problems = 0;
	unsigned int i;

	for (i = 0; i < zone->n_ns; i++) {
		const struct dns_ns *ns = &zone->ns[i];
		bool inside = dns_name_under(ns->name.wire, ns->name.len, zone->apex.wire,
					     zone->apex.len) >= 0;

		if (inside && ns->glue == 0) {
			report_name(report, arg, &ns->origin, "zone.ns",
				    "a name server inside the zone needs an address", &ns->name);
			problems++;
		} else if (!inside && ns->glue != 0) {
			report_name(report, arg, &ns->origin, "zone.ns",
				    "address given for a name server outside the zone (no glue is served)",
				    &ns->name);
			problems++;
		}
	}
	for (i = 0; i < n; i++) {
		const struct item *it = &items[i];
		int depth = dns_name_under(it->name->wire, it->name->len, zone->apex.wire,
					   zone->apex.len);
		int sub;

		if (i > 0 && name_cmp(items[i - 1].name, it->name) == 0) {
			const struct item *prev = &items[i - 1];
			bool own_domain_host =
				(prev->sub_domain >= 0 && it->kind == DNS_NODE_HOST &&
				 zone->hosts[it->index].sub == (uint32_t)prev->sub_domain) ||
				(it->sub_domain >= 0 && prev->kind == DNS_NODE_HOST &&
				 zone->hosts[prev->index].sub == (uint32_t)it->sub_domain);
			char what[64];

			if (!own_domain_host) {
				if (prev->kind == DNS_NODE_APEX)
					snprintf(what, sizeof(what), "name is the zone apex");
				else
					snprintf(what, sizeof(what), "name already defined (line %u)",
						 prev->origin->line);
				report_name(report, arg, it->origin, setting_of(it), what, it->name);
				problems++;
			}
		}
		if (it->sub_domain >= 0) {
			if (depth < 1) {
				report_name(report, arg, it->origin, "subscribers.name",
					    "a subscriber domain must be below the zone apex", it->name);
				problems++;
			} else if (enclosing_sub(items, n, zone, it->name, true) >= 0) {
				report_name(report, arg, it->origin, "subscribers.name",
					    "subscriber domains must not be nested", it->name);
				problems++;
			}
		} else if (it->kind == DNS_NODE_NS_HOST) {
			if (depth < 1) {
				report_name(report, arg, it->origin, "zone.ns",
					    "a name server name must be below the apex", it->name);
				problems++;
			} else if (enclosing_sub(items, n, zone, it->name, false) >= 0) {
				report_name(report, arg, it->origin, "zone.ns",
					    "a name server inside a subscriber domain", it->name);
				problems++;
			}
		} else if (it->kind == DNS_NODE_HOST) {
			sub = enclosing_sub(items, n, zone, it->name, false);
			if (sub != (int)zone->hosts[it->index].sub) {
				report_name(report, arg, it->origin, "subscribers.hosts.name",
					    "host outside its subscriber's domain", it->name);
				problems++;
			}
		}
	}
	return problems;
}

int
dns_zone_index(struct dns_zone *zone, dns_zone_report_fn report, void *arg)
{
	unsigned int n_items, n_nodes = 0, max_nodes, i, out;
	struct item *items;
	struct dns_node *nodes;
	int problems;

	items = calloc(1 + zone->n_ns + zone->n_subs + zone->n_hosts, sizeof(*items));
	if (items == NULL)
		return -ENOMEM;
	n_items = collect_items(zone, items);
	qsort(items, n_items, sizeof(*items), item_cmp);
	problems = check_items(zone, items, n_items, report, arg);

	qsort(zone->keys, zone->n_keys, sizeof(*zone->keys), key_cmp);
	for (i = 1; i < zone->n_keys; i++) {
		char what[64], value[16];

		if (zone->keys[i].key_id != zone->keys[i - 1].key_id)
			continue;
		snprintf(what, sizeof(what), "key id already used (line %u)",
			 zone->keys[i - 1].origin.line);
		snprintf(value, sizeof(value), "%u", zone->keys[i].key_id);
		report(arg, &zone->keys[i].origin, "subscribers.keys.id", what, value);
		problems++;
	}
	if (problems != 0) {
		free(items);
		return problems;
	}

	/* Every item, plus every name between it and the apex (empty non-terminals). */
	max_nodes = 0;
	for (i = 0; i < n_items; i++)
		max_nodes += 1 + (unsigned int)dns_name_under(items[i].name->wire, items[i].name->len,
							      zone->apex.wire, zone->apex.len);
	nodes = calloc(max_nodes, sizeof(*nodes));
	if (nodes == NULL) {
		free(items);
		return -ENOMEM;
	}
	for (i = 0; i < n_items; i++) {
		const struct dns_name *name = items[i].name;
		size_t pos;

		nodes[n_nodes].name = *name;
		nodes[n_nodes].kind = items[i].kind;
		nodes[n_nodes].index = items[i].index;
		n_nodes++;
		for (pos = dns_name_parent(name->wire, name->len);
		     pos != 0 && name->len - pos > zone->apex.len;
		     pos += 1 + (size_t)name->wire[pos]) {
			struct dns_node *ent = &nodes[n_nodes++];

			ent->name.len = (uint8_t)(name->len - pos);
			memcpy(ent->name.wire, name->wire + pos, ent->name.len);
			ent->kind = DNS_NODE_EMPTY;
			ent->index = 0;
		}
	}
	qsort(nodes, n_nodes, sizeof(*nodes), node_cmp);
	for (i = 0, out = 0; i < n_nodes; i++)
		if (out == 0 || name_cmp(&nodes[out - 1].name, &nodes[i].name) != 0)
			nodes[out++] = nodes[i];
	free(zone->nodes);
	zone->nodes = nodes;
	zone->n_nodes = out;
	free(items);
	return 0;
}

const struct dns_node *
dns_zone_find(const struct dns_zone *zone, const uint8_t *name, size_t len)
{
	unsigned int lo = 0, hi = zone->n_nodes;
	struct dns_name key;

	if (len > DNS_NAME_MAX)
		return NULL;
	key.len = (uint8_t)len;
	memcpy(key.wire, name, len);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		int c = name_cmp(&zone->nodes[mid].name, &key);

		if (c == 0)
			return &zone->nodes[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
dns_zone_sub_by_key(const struct dns_zone *zone, uint32_t key_id)
{
	unsigned int lo = 0, hi = zone->n_keys;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (zone->keys[mid].key_id == key_id)
			return (int)zone->keys[mid].sub;
		if (zone->keys[mid].key_id < key_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
dns_zone_carry_state(struct dns_zone *to, const struct dns_zone *from)
{
	unsigned int i, j;

	for (i = 0; i < to->n_subs; i++)
		for (j = 0; j < from->n_subs; j++)
			if (name_cmp(&to->subs[i].domain, &from->subs[j].domain) == 0) {
				to->subs[i].reg = from->subs[j].reg;
				break;
			}
}
