/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_zone.h
 * The AVES zone: apex SOA and NS records, glue, subscriber subdomains with their hosts, and each
 * subscriber's gateway registration (learned at run time from REGISTER).
 *
 * The configuration loader fills the arrays, then dns_zone_index() checks that the names fit
 * together and builds the lookup index. After that the zone is read-only except for the
 * run-time fields (registrations, session buckets), which only the server thread writes.
 *
 * Threads: one thread (aves-dns is single-threaded).
 */
#ifndef DNS_ZONE_H
#define DNS_ZONE_H

#include <stdbool.h>
#include <stdint.h>

#include "dns_wire.h"

/** A name in wire form, lower case. */
struct dns_name {
	uint8_t len;
	uint8_t wire[DNS_NAME_MAX];
};

/** Where a configuration item was written, for error messages. */
struct dns_origin {
	const char *file;
	unsigned int line;
};

struct dns_soa {
	struct dns_name mname;
	struct dns_name rname;
	uint32_t serial;
	uint32_t refresh;
	uint32_t retry;
	uint32_t expire;
	uint32_t minimum; /**< negative-caching TTL (RFC 2308 §4) */
};

struct dns_ns {
	struct dns_name name;
	uint32_t glue; /**< IPv4 address (host order) for a name inside the zone; 0 outside */
	struct dns_origin origin;
};

/** A gateway's registration: valid while expires > now. */
struct dns_registration {
	uint32_t gateway;  /**< R, host order */
	uint16_t port;     /**< tunnel port */
	uint32_t key_id;   /**< the key the REGISTER was tagged with */
	uint64_t expires;  /**< monotonic microseconds; 0: never registered */
};

struct dns_subscriber {
	struct dns_name domain;
	struct dns_origin origin;
	struct dns_registration reg;
};

struct dns_host {
	struct dns_name name;
	uint32_t addr;        /**< B, the responder's private address, host order */
	uint32_t sub;         /**< index of its subscriber */
	uint64_t session_tat; /**< per-responder session rate limit state (dns_defence.h) */
	struct dns_origin origin;
};

/** Gateway key id → subscriber. */
struct dns_zone_key {
	uint32_t key_id;
	uint32_t sub;
	struct dns_origin origin;
};

enum dns_node_kind {
	DNS_NODE_EMPTY,    /**< exists, no data: an empty non-terminal or a subscriber domain */
	DNS_NODE_APEX,     /**< SOA and NS */
	DNS_NODE_NS_HOST,  /**< an in-zone name server's A record (glue) */
	DNS_NODE_HOST,     /**< a subscriber's host: A answered through a waypoint */
};

struct dns_node {
	struct dns_name name;
	enum dns_node_kind kind;
	uint32_t index; /**< into ns[] or hosts[] */
};

struct dns_zone {
	struct dns_name apex;
	uint32_t ttl; /**< TTL of SOA, NS and glue */
	struct dns_soa soa;
	struct dns_ns *ns;
	unsigned int n_ns;
	struct dns_subscriber *subs;
	unsigned int n_subs;
	struct dns_host *hosts;
	unsigned int n_hosts;
	struct dns_zone_key *keys;
	unsigned int n_keys;
	struct dns_node *nodes; /**< sorted by name, built by dns_zone_index() */
	unsigned int n_nodes;
};

/**
 * Allocate a zone with room for the given number of items (the counts are set to them; the
 * loader fills every element).
 * @return the zone, or NULL (ENOMEM).
 */
struct dns_zone *dns_zone_create(unsigned int n_ns, unsigned int n_subs, unsigned int n_hosts,
				 unsigned int n_keys);

/** Free a zone; NULL is a no-op. */
void dns_zone_free(struct dns_zone *zone);

/** Report one configuration problem found by dns_zone_index(). */
typedef void (*dns_zone_report_fn)(void *arg, const struct dns_origin *where,
				   const char *setting, const char *what, const char *value);

/**
 * Check the names (every name inside the zone where it must be, no name defined twice,
 * subscriber domains not nested and not holding name servers, key ids unique) and build the
 * lookup index, including the empty non-terminals between the apex and the data.
 * @return the number of problems reported (0: the zone is ready), or -ENOMEM.
 */
int dns_zone_index(struct dns_zone *zone, dns_zone_report_fn report, void *arg);

/**
 * Find a name (lower case wire form).
 * @return the node, or NULL when the name does not exist (the caller has already checked
 *         that it is inside the zone).
 */
const struct dns_node *dns_zone_find(const struct dns_zone *zone, const uint8_t *name, size_t len);

/** The subscriber a gateway key belongs to: its index, or -1. */
int dns_zone_sub_by_key(const struct dns_zone *zone, uint32_t key_id);

/** Whether the subscriber's gateway registration is current. */
static inline bool
dns_zone_registered(const struct dns_subscriber *sub, uint64_t now)
{
	return sub->reg.expires > now;
}

/**
 * Keep run-time state across a reload: copy each registration from @p from to the subscriber
 * of @p to with the same domain.
 */
void dns_zone_carry_state(struct dns_zone *to, const struct dns_zone *from);

#endif /* DNS_ZONE_H */
