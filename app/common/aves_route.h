/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_route.h
 * Where an appliance sends an IPv4 packet: a static route table (longest-prefix match over the
 * connected prefixes of its ports and the configured routes, rte_lpm underneath), and the set
 * of its own addresses (/32 entries that say what kind of local address a destination is).
 *
 * Threads: both structures are built by the thread that loads configuration, before any
 * lcore is launched, and only read afterwards. Lookups take no lock and write nothing, so any
 * number of lcores may call them at once.
 */
#ifndef AVES_ROUTE_H
#define AVES_ROUTE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most routes (connected prefixes included) one table holds. */
#define AVES_ROUTE_MAX 4096

/** Where a destination goes: out of @c port to the on-link neighbour @c nh. */
struct aves_hop {
	uint32_t nh;	/**< next hop, network order: the gateway, or the destination itself */
	uint16_t port;	/**< DPDK port id */
	uint16_t mtu;	/**< IPv4 MTU of the port (bytes, Ethernet header excluded) */
};

struct aves_route_table;

/**
 * Create an empty route table.
 * @param name       unique per process (names the rte_lpm), 1..31 characters
 * @param max_routes 1..AVES_ROUTE_MAX
 * @param socket_id  NUMA socket or SOCKET_ID_ANY
 * @return the table, or NULL with rte_errno set (EINVAL, EEXIST, ENOMEM).
 * Thread: configuration loading (EAL initialised).
 */
struct aves_route_table *aves_route_create(const char *name, uint32_t max_routes, int socket_id);

/** Free a table; NULL is a no-op. No lcore may be using it. */
void aves_route_free(struct aves_route_table *rt);

/**
 * Add a route.
 * @param rt       the table
 * @param prefix   network order, host bits zero
 * @param len      prefix length, 0..32
 * @param gateway  next hop (network order), or 0 for a connected prefix (on-link: the next hop
 *                 is the destination itself)
 * @param port     DPDK port id the route leaves by
 * @param mtu      that port's IPv4 MTU
 * @return 0; -EINVAL (host bits set, len > 32), -EEXIST (this prefix is already routed),
 *         -ENOSPC (max_routes reached or rte_lpm full).
 * Thread: configuration loading, before lookups start.
 */
int aves_route_add(struct aves_route_table *rt, uint32_t prefix, uint8_t len, uint32_t gateway,
		   uint16_t port, uint16_t mtu);

/**
 * Longest-prefix match.
 * @param rt   the table
 * @param dst  destination, network order
 * @param hop  out: where to send it
 * @return 0, or -ENOENT (no route).
 * Thread: any, concurrently.
 */
int aves_route_lookup(const struct aves_route_table *rt, uint32_t dst, struct aves_hop *hop);

/** Number of routes. Any thread. */
uint32_t aves_route_count(const struct aves_route_table *rt);

/**
 * The i-th route in insertion order, for printing.
 * @return 0, or -ENOENT when @p i >= aves_route_count().
 * Any thread.
 */
int aves_route_get(const struct aves_route_table *rt, uint32_t i, uint32_t *prefix, uint8_t *len,
		   uint32_t *gateway, uint16_t *port);

/**
 * The appliance's own addresses, each with a 24-bit value the application chooses (typically
 * a kind in the top bits and an index below). Looking a destination up answers "is this mine,
 * and what is it" in one step.
 */
struct aves_addr_map;

/** Largest value stored with an address (rte_lpm's 24-bit next hop). */
#define AVES_ADDR_VALUE_MAX ((1u << 24) - 1)

/**
 * @param name       unique per process, 1..31 characters
 * @param max_addrs  1..65536
 * @param socket_id  NUMA socket or SOCKET_ID_ANY
 * @return the map, or NULL with rte_errno set (EINVAL, ENOMEM).
 * Thread: configuration loading.
 */
struct aves_addr_map *aves_addr_map_create(const char *name, uint32_t max_addrs, int socket_id);

/** Free a map; NULL is a no-op. */
void aves_addr_map_free(struct aves_addr_map *map);

/**
 * Add an address.
 * @param addr   network order
 * @param value  0..AVES_ADDR_VALUE_MAX
 * @return 0, -EEXIST (already present), -ENOSPC, -EINVAL.
 * Thread: configuration loading.
 */
int aves_addr_map_add(struct aves_addr_map *map, uint32_t addr, uint32_t value);

/**
 * Look an address up.
 * @param addr   network order
 * @param value  out: its value
 * @return 0 when the address is one of ours, -ENOENT otherwise.
 * Thread: any, concurrently.
 */
int aves_addr_map_lookup(const struct aves_addr_map *map, uint32_t addr, uint32_t *value);

#ifdef __cplusplus
}
#endif

#endif /* AVES_ROUTE_H */
