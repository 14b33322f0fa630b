/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_config.h
 * aves-dns configuration: a libconfig file described once by a table of settings (type, range,
 * default, unit), loaded into a plain struct, then cross-checked (names, keys, addresses).
 *
 * Every problem is reported as "file:line: setting: what is wrong (value)", all of them, not
 * just the first; unknown settings are errors. A configuration that loads is complete: the
 * zone is indexed and the keys are prepared.
 *
 * Threads: the thread that loads it; the result is then only read (and swapped on reload).
 */
#ifndef DNS_CONFIG_H
#define DNS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aves_auth.h"
#include "dns_waypoint.h"
#include "dns_zone.h"

/** Scalar settings: X(field, "path", min, max, default, "unit", restart-only, "meaning"). */
#define DNS_SETTINGS(X)                                                                        \
	X(port, "port", 1, 65535, 53, "", true, "DNS port, UDP and TCP")                       \
	X(control_port, "control.port", 1, 65535, 4796, "", true,                               \
	  "control port: SETUP leaves from it, ACCEPT/REJECT/REGISTER arrive at it")            \
	X(edns_max_payload, "edns-max-payload", 512, 4096, 1232, "bytes", false,               \
	  "largest UDP reply, and the size advertised in OPT")                                  \
	X(setup_timeout, "setup-timeout", 50, 10000, 700, "ms", false,                         \
	  "wait for ACCEPT/REJECT before trying another waypoint")                              \
	X(hold_time, "hold-time", 100, 30000, 3000, "ms", false,                               \
	  "total time a query is held, then it is dropped unanswered")                          \
	X(setup_attempts, "setup-attempts", 1, 8, 3, "", false,                                \
	  "SETUPs per query, each to a different waypoint address")                             \
	X(pending_max, "pending-max", 1, 1048576, 4096, "queries", true,                        \
	  "queries held at once, beyond it SERVFAIL")                                           \
	X(waypoint_fail_threshold, "waypoint-fail-threshold", 1, 1000, 3, "timeouts", false,   \
	  "unanswered SETUPs in a row that mark a waypoint down")                               \
	X(waypoint_down_time, "waypoint-down-time", 1, 3600, 30, "s", false,                   \
	  "how long a waypoint marked down is skipped")                                         \
	X(registration_lifetime, "registration-lifetime", 5, 86400, 300, "s", false,           \
	  "a gateway's address expires this long after its last REGISTER")                     \
	X(control_max_skew, "control-max-skew", 1000, 600000, 30000, "ms", false,              \
	  "allowed clock difference in control messages")                                       \
	X(session_rate, "session-rate", 1, 1000000, 10, "per second", false,                  \
	  "new sessions per responder, on average")                                             \
	X(session_burst, "session-burst", 1, 1000000, 20, "sessions", false,                   \
	  "new sessions per responder, back to back")                                           \
	X(penalty_time, "penalty-time", 1, 604800, 600, "s", false,                            \
	  "queries from a penalised requester are dropped for this long")                       \
	X(penalty_threshold, "penalty-threshold", 1, 1000, 1, "queries", false,                \
	  "nonexistent names asked (within penalty-time) that start a penalty")                 \
	X(penalty_table_size, "penalty-table-size", 4, 16777216, 65536, "requesters", true,    \
	  "requesters remembered for penalties")                                                \
	X(error_rate, "error-rate", 1, 1000000, 100, "per second", false,                      \
	  "UDP error replies (REFUSED, FORMERR, NOTIMP, SERVFAIL, BADVERS)")                    \
	X(error_burst, "error-burst", 1, 1000000, 200, "replies", false,                       \
	  "UDP error replies back to back")                                                     \
	X(tcp_max_connections, "tcp-max-connections", 1, 1024, 64, "connections", true,        \
	  "TCP connections at once, more are closed on accept")                                   \
	X(tcp_idle_timeout, "tcp-idle-timeout", 100, 120000, 10000, "ms", false,               \
	  "a TCP connection with no complete query for this long is closed")                    \
	X(zone_ttl, "zone.ttl", 0, 2147483647, 3600, "s", false, "TTL of SOA, NS and glue")    \
	X(soa_serial, "zone.soa.serial", 0, 4294967295, 1, "", false, "SOA serial")            \
	X(soa_refresh, "zone.soa.refresh", 0, 2147483647, 3600, "s", false, "SOA refresh")     \
	X(soa_retry, "zone.soa.retry", 0, 2147483647, 600, "s", false, "SOA retry")            \
	X(soa_expire, "zone.soa.expire", 0, 2147483647, 86400, "s", false, "SOA expire")       \
	X(soa_minimum, "zone.soa.minimum", 0, 2147483647, 60, "s", false,                      \
	  "SOA minimum: the TTL of negative answers")

struct dns_settings {
#define DNS_SETTING_FIELD(field, path, min, max, def, unit, restart, help) uint32_t field;
	DNS_SETTINGS(DNS_SETTING_FIELD)
#undef DNS_SETTING_FIELD
};

/** An IPv4 prefix, host order. */
struct dns_prefix {
	uint32_t addr;
	uint32_t mask;
};

struct dns_config {
	char *file;
	struct dns_settings s;
	uint32_t *listen; /**< DNS addresses, host order (0: every address) */
	unsigned int n_listen;
	uint32_t control_addr; /**< control socket address and SETUP origin, host order */
	struct dns_prefix *local_prefixes; /**< requesters here are initiators (intranet mode) */
	unsigned int n_local_prefixes;
	struct dns_zone *zone;
	struct dns_waypoints *waypoints;
	struct aves_keyring *service_keys; /**< verify ACCEPT and REJECT */
	struct aves_key service_send_key;  /**< tags SETUP: the first service key listed */
	struct aves_keyring *gateway_keys; /**< verify REGISTER */
};

/** Receives each problem, already formatted as "file:line: setting: what (value)". */
typedef void (*dns_config_error_fn)(void *arg, const char *message);

/**
 * Load and check a configuration file.
 * @param path  the file
 * @param auth  MAC context used to prepare the keys
 * @param err   called once per problem
 * @return the configuration, or NULL when there was any problem (each one reported).
 */
struct dns_config *dns_config_load(const char *path, struct aves_auth_ctx *auth,
				   dns_config_error_fn err, void *arg);

/** Free a configuration (keys wiped); NULL is a no-op. */
void dns_config_free(struct dns_config *cfg);

/** Print every effective value (defaults included; key ids, never secrets). */
void dns_config_print(const struct dns_config *cfg, FILE *out);

/**
 * Whether @p next can replace @p cur without a restart.
 * @return NULL, or the name of a setting that only a restart can change.
 */
const char *dns_config_restart_needed(const struct dns_config *cur, const struct dns_config *next);

/** Whether @p addr (host order) is inside one of the local prefixes. */
bool dns_config_is_local(const struct dns_config *cfg, uint32_t addr);

#endif /* DNS_CONFIG_H */
