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

#include "aves_auth.h"
#include "aves_session.h"

/** Limits of what one appliance serves. */
#define WP_PORTS_MAX 8
#define WP_ROUTES_MAX 256
#define WP_WAYPOINTS_MAX 4096
#define WP_SERVICE_KEYS_MAX 8
#define WP_GATEWAY_KEYS_MAX 65536
#define WP_WORKERS_MAX 32
#define WP_DEVICE_NAME_MAX 64

/** One port. */
struct wp_port_conf {
	char device[WP_DEVICE_NAME_MAX];	/**< EAL device name */
	uint32_t addr;				/**< interface address, network order */
	uint8_t prefix_len;			/**< its connected prefix */
	uint32_t mtu;				/**< IPv4 MTU */
	uint32_t rx_desc, tx_desc;
};

/** One static route. */
struct wp_route_conf {
	uint32_t prefix;	/**< network order */
	uint8_t len;
	uint32_t via;		/**< on-link gateway, network order */
};

/** One key as configured (the secret is wiped by wp_config_clear()). */
struct wp_key_conf {
	uint32_t id;
	uint8_t alg;		/**< enum aves_alg */
	uint8_t len;
	uint8_t secret[AVES_KEY_MAX_LEN];
};

/** Everything aves-waypoint reads from its file. Units in the field names. */
struct wp_config {
	char file[256];

	unsigned int n_ports;
	struct wp_port_conf ports[WP_PORTS_MAX];
	unsigned int n_routes;
	struct wp_route_conf routes[WP_ROUTES_MAX];

	uint32_t control_addr;		/**< network order */
	uint32_t control_port;
	uint32_t max_skew_ms;
	uint32_t replay_windows;

	unsigned int n_waypoints;
	uint32_t waypoints[WP_WAYPOINTS_MAX];	/**< network order, in configuration order */

	unsigned int n_service_keys;
	struct wp_key_conf service_keys[WP_SERVICE_KEYS_MAX];	/**< [0] signs replies */
	unsigned int n_gateway_keys;
	struct wp_key_conf *gateway_keys;	/**< malloc'd, n_gateway_keys */

	struct aves_session_timers timers;

	uint32_t bindings, blocks, connections, neighbours, punt_ring;

	uint32_t neigh_hold, neigh_retry_ms, neigh_probes, neigh_reachable_ms, neigh_failed_ms;

	uint32_t unreach_rate, unreach_burst, fragneeded_rate, fragneeded_burst;

	uint32_t control_lcore;
	unsigned int n_workers;
	uint32_t workers[WP_WORKERS_MAX];

	uint32_t idle_pause_after, idle_sleep_after, idle_sleep_us;

	uint32_t mbufs, mbuf_cache;

	uint32_t burst, sweep_budget, link_wait_ms;

	uint32_t stats_interval_ms;	/**< 0: no periodic summary */
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
