/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ngw_config.h
 * aves-natgw's configuration: the libconfig file read into a plain struct (every setting
 * through app/common's aves_conf getters, unknown settings refused), a cross-check pass, and
 * the effective values printed for --check-config. docs/NATGW.md and config/natgw.conf
 * describe every setting.
 *
 * No DPDK: the file is checked before EAL starts. Threads: the main thread.
 */
#ifndef NGW_CONFIG_H
#define NGW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aves_appconf.h"

/** Limits of what one appliance serves. */
#define NGW_PORTS_MAX AVES_CONF_PORTS_MAX
#define NGW_KEYS_MAX 8
#define NGW_SERVERS_MAX 16
#define NGW_TRUSTED_MAX 64
#define NGW_WORKERS_MAX AVES_CONF_WORKERS_MAX

/** Which side of the gateway a port is on. */
enum ngw_side {
	NGW_INSIDE = 0,		/**< a private network: hosts behind the NAT */
	NGW_OUTSIDE = 1,	/**< the Internet: its address is the public address R */
};

/** Everything aves-natgw reads from its file. Units in the field names. */
struct ngw_config {
	/** What every appliance has: ports, routes, timers, neighbours, lcores, ... */
	struct aves_appliance_conf base;
	uint8_t side[NGW_PORTS_MAX];		/**< enum ngw_side of each of base.ports */
	unsigned int outside;			/**< index of the one outside port */

	unsigned int n_keys;
	struct aves_key_conf keys[NGW_KEYS_MAX];	/**< [0] signs REGISTER */

	uint32_t tunnel_port;
	bool multihomed;
	unsigned int n_trusted;
	uint32_t trusted[NGW_TRUSTED_MAX];	/**< waypoint prefixes, network order */
	uint8_t trusted_len[NGW_TRUSTED_MAX];

	unsigned int n_servers;
	uint32_t servers[NGW_SERVERS_MAX];	/**< DNS front ends, network order */
	uint32_t register_port;
	uint32_t register_interval_ms, register_fast_interval_ms, register_fast_period_ms;

	uint32_t port_min, port_max;		/**< NAPT and multi-homing ports */

	uint32_t sessions, trusted_sources;

	uint32_t reasm_datagrams, reasm_per_source, reasm_trusted_datagrams,
		 reasm_trusted_per_source, reasm_timeout_ms, reasm_trust_ms, reasm_buffers;

	uint32_t icmp_rate, icmp_burst;
};

/**
 * Read and check a configuration file. Every problem is printed to @p err as
 * "file:line: setting: what is wrong (value)"; all of them, not just the first.
 * @return 0, or -1 when there was any problem (the struct is then cleared).
 */
int ngw_config_load(struct ngw_config *cfg, const char *path, FILE *err);

/** Print the effective configuration (defaults included; secrets as their length only) in
 *  the file's own syntax. */
void ngw_config_print(const struct ngw_config *cfg, FILE *out);

/** Wipe the secrets. Safe on a cleared struct. */
void ngw_config_clear(struct ngw_config *cfg);

/**
 * Whether @p addr can become the public address (set_public_address): on the outside port's
 * network, neither its network nor its broadcast address, not martian, and not one of the
 * inside ports' addresses. Any thread.
 */
bool ngw_config_public_ok(const struct ngw_config *cfg, uint32_t addr);

#endif /* NGW_CONFIG_H */
