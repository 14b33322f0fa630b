/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Static routes over rte_lpm (its 24-bit next hop indexes our array of hops), and the set of
 * local addresses over rte_hash. Both are written only before the lcores start.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "aves_app_log.h"
#include "aves_route.h"

/* rte_lpm keeps a tbl8 group (256 entries) per /24 that holds a longer prefix: a few
 * hundred routes with long prefixes fit easily. */
#define ROUTE_TBL8S 256

struct route {
	uint32_t prefix;
	uint32_t gateway;
	uint16_t port;
	uint16_t mtu;
	uint8_t len;
};

struct aves_route_table {
	struct rte_lpm *lpm;
	uint32_t n, max;
	struct route routes[];
};

static int
name_ok(const char *name)
{
	size_t n = name != NULL ? strnlen(name, 32) : 0;

	return n > 0 && n < 32;
}

struct aves_route_table *
aves_route_create(const char *name, uint32_t max_routes, int socket_id)
{
	struct rte_lpm_config cfg = {
		.max_rules = max_routes + 1, /* a default route takes two rules */
		.number_tbl8s = ROUTE_TBL8S,
	};
	struct aves_route_table *rt;

	if (!name_ok(name) || max_routes == 0 || max_routes > AVES_ROUTE_MAX) {
		AVES_APP_LOG(ERR, "route table: bad name or size (%u, at most %u)", max_routes,
			     AVES_ROUTE_MAX);
		rte_errno = EINVAL;
		return NULL;
	}
	rt = rte_zmalloc_socket(name, sizeof(*rt) + max_routes * sizeof(rt->routes[0]), 0,
				socket_id);
	if (rt == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	rt->max = max_routes;
	rt->lpm = rte_lpm_create(name, socket_id, &cfg);
	if (rt->lpm == NULL) {
		int err = rte_errno;

		rte_free(rt);
		rte_errno = err;
		return NULL;
	}
	return rt;
}

void
aves_route_free(struct aves_route_table *rt)
{
	if (rt == NULL)
		return;
	rte_lpm_free(rt->lpm);
	rte_free(rt);
}

int
aves_route_add(struct aves_route_table *rt, uint32_t prefix, uint8_t len, uint32_t gateway,
	       uint16_t port, uint16_t mtu)
{
	uint32_t host = rte_be_to_cpu_32(prefix);
	uint32_t mask = len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
	struct route *r;
	uint32_t i;

	if (rt == NULL || len > 32 || (host & ~mask) != 0)
		return -EINVAL;
	/* A default route is stored as both /1 halves (rte_lpm has no depth 0), so it and an
	 * explicit /1 would overwrite each other: refuse the pair as well as exact repeats. */
	for (i = 0; i < rt->n; i++) {
		const struct route *o = &rt->routes[i];

		if ((o->len == len && o->prefix == prefix) || (o->len == 0 && len == 1) ||
		    (o->len == 1 && len == 0))
			return -EEXIST;
	}
	if (rt->n == rt->max)
		return -ENOSPC;
	/* rte_lpm refuses depth 0; a default route is the two halves of the space. */
	if (len == 0) {
		if (rte_lpm_add(rt->lpm, 0, 1, rt->n) < 0 ||
		    rte_lpm_add(rt->lpm, UINT32_C(1) << 31, 1, rt->n) < 0)
			return -ENOSPC;
	} else if (rte_lpm_add(rt->lpm, host, len, rt->n) < 0) {
		return -ENOSPC;
	}
	r = &rt->routes[rt->n++];
	*r = (struct route){ .prefix = prefix, .gateway = gateway, .port = port, .mtu = mtu,
			     .len = len };
	return 0;
}

int
aves_route_lookup(const struct aves_route_table *rt, uint32_t dst, struct aves_hop *hop)
{
	const struct route *r;
	uint32_t idx;

	if (rte_lpm_lookup(rt->lpm, rte_be_to_cpu_32(dst), &idx) != 0)
		return -ENOENT;
	r = &rt->routes[idx];
	hop->nh = r->gateway != 0 ? r->gateway : dst;
	hop->port = r->port;
	hop->mtu = r->mtu;
	return 0;
}

uint32_t
aves_route_count(const struct aves_route_table *rt)
{
	return rt->n;
}

int
aves_route_get(const struct aves_route_table *rt, uint32_t i, uint32_t *prefix, uint8_t *len,
	       uint32_t *gateway, uint16_t *port)
{
	if (i >= rt->n)
		return -ENOENT;
	*prefix = rt->routes[i].prefix;
	*len = rt->routes[i].len;
	*gateway = rt->routes[i].gateway;
	*port = rt->routes[i].port;
	return 0;
}

/*
 * Open addressing with linear probing over a power-of-two array at most half full: the map is
 * written only while the configuration loads and then only read, so it needs none of rte_hash's
 * concurrency machinery, and a lookup is a CRC, a mask and (almost always) one compare — it
 * runs for every packet a worker receives.
 */
struct aves_addr_map {
	uint32_t mask;		/* slots - 1 */
	uint32_t count, max_addrs;
	struct addr_slot {
		uint32_t addr;	/* network order */
		uint32_t value;	/* ADDR_SLOT_USED | value; 0 = empty */
	} slots[];
};

#define ADDR_SLOT_USED (1u << 31)
static_assert(AVES_ADDR_VALUE_MAX < ADDR_SLOT_USED, "the used bit is free");

static inline uint32_t
addr_slot_home(const struct aves_addr_map *map, uint32_t addr)
{
	return rte_hash_crc_4byte(addr, 0x9e3779b9u) & map->mask;
}

struct aves_addr_map *
aves_addr_map_create(const char *name, uint32_t max_addrs, int socket_id)
{
	struct aves_addr_map *map;
	uint32_t slots;

	if (!name_ok(name) || max_addrs == 0 || max_addrs > 65536) {
		AVES_APP_LOG(ERR, "address map: bad name or size (%u, at most 65536)", max_addrs);
		rte_errno = EINVAL;
		return NULL;
	}
	slots = rte_align32pow2(RTE_MAX(2 * max_addrs, 16u));
	map = rte_zmalloc_socket(name, sizeof(*map) + slots * sizeof(map->slots[0]),
				 RTE_CACHE_LINE_SIZE, socket_id);
	if (map == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	map->mask = slots - 1;
	map->max_addrs = max_addrs;
	return map;
}

void
aves_addr_map_free(struct aves_addr_map *map)
{
	rte_free(map);
}

int
aves_addr_map_add(struct aves_addr_map *map, uint32_t addr, uint32_t value)
{
	uint32_t i;

	if (map == NULL || value > AVES_ADDR_VALUE_MAX)
		return -EINVAL;
	for (i = addr_slot_home(map, addr); map->slots[i].value != 0; i = (i + 1) & map->mask)
		if (map->slots[i].addr == addr)
			return -EEXIST;
	if (map->count == map->max_addrs)
		return -ENOSPC;
	map->slots[i].addr = addr;
	map->slots[i].value = ADDR_SLOT_USED | value;
	map->count++;
	return 0;
}

int
aves_addr_map_lookup(const struct aves_addr_map *map, uint32_t addr, uint32_t *value)
{
	uint32_t i;

	/* At most half full: an empty slot always ends the probe. */
	for (i = addr_slot_home(map, addr); map->slots[i].value != 0; i = (i + 1) & map->mask) {
		if (map->slots[i].addr == addr) {
			*value = map->slots[i].value & ~ADDR_SLOT_USED;
			return 0;
		}
	}
	return -ENOENT;
}
