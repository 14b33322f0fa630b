/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file wp_config.h
 * aves-waypoint's configuration: the libconfig file read into a plain struct (every setting
 * through app/common's aves_conf getters, unknown settings refused), a cross-check pass, and
 * the effective values printed for --check-config. docs/WAYPOINT.md and config/waypoint.conf
 * describe every setting.
 *
 * No DPDK: the file is checked before EAL starts. Threads: the main thread.
 */
#ifndef WP_CONFIG_H
#define WP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "aves_appconf.h"

/** Limits of what one appliance serves. */
#define WP_PORTS_MAX AVES_CONF_PORTS_MAX
#define WP_WAYPOINTS_MAX 4096
#define WP_SERVICE_KEYS_MAX 8
#define WP_GATEWAY_KEYS_MAX 65536
#define WP_WORKERS_MAX AVES_CONF_WORKERS_MAX

/** Everything aves-waypoint reads from its file. Units in the field names. */
struct wp_config {
	/** What every appliance has: ports, routes, timers, neighbours, lcores, ... */
	struct aves_appliance_conf base;

	uint32_t control_addr;		/**< network order */
	uint32_t control_port;
	uint32_t max_skew_ms;
	uint32_t replay_windows;

	unsigned int n_waypoints;
	uint32_t waypoints[WP_WAYPOINTS_MAX];	/**< network order, in configuration order */

	unsigned int n_service_keys;
	struct aves_key_conf service_keys[WP_SERVICE_KEYS_MAX];	/**< [0] signs replies */
	unsigned int n_gateway_keys;
	struct aves_key_conf *gateway_keys;	/**< malloc'd, n_gateway_keys */

	uint32_t bindings, blocks, connections;

	uint32_t unreach_rate, unreach_burst, fragneeded_rate, fragneeded_burst;
};

/**
 * Read and check a configuration file. Every problem is printed to @p err as
 * "file:line: setting: what is wrong (value)"; all of them, not just the first.
 * @return 0, or -1 when there was any problem (the struct is then cleared).
 */
int wp_config_load(struct wp_config *cfg, const char *path, FILE *err);

/** Print the effective configuration (defaults included; secrets as their length only) in
 *  the file's own syntax. */
void wp_config_print(const struct wp_config *cfg, FILE *out);

/** Wipe the secrets and free what wp_config_load() allocated. Safe on a cleared struct. */
void wp_config_clear(struct wp_config *cfg);

#endif /* WP_CONFIG_H */
