/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_appconf.h
 * The configuration both DPDK appliances (aves-waypoint, aves-natgw) share, read through
 * aves_conf: ports, routes, keys, the session idle timers, neighbours, lcores, idle back-off,
 * mbufs, datapath and log settings. Each appliance embeds struct aves_appliance_conf as
 * `base` in its own configuration struct and describes its file with one struct aves_conf_file:
 * a table of scalar settings (the rows both share come from the AVES_CONF_ROWS_* macros, so a
 * shared setting has one range, default and unit) plus the compound members its own parsers
 * read. Messages are aves_conf's: file:line: setting: problem (value).
 *
 * No DPDK at run time: the file is checked before EAL starts. Threads: the thread loading
 * configuration (the main thread); the address predicates may be called from any thread.
 */
#ifndef AVES_APPCONF_H
#define AVES_APPCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aves_auth.h"
#include "aves_conf.h"
#include "aves_session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Limits of what one appliance serves. */
#define AVES_CONF_PORTS_MAX 8
#define AVES_CONF_ROUTES_MAX 256
#define AVES_CONF_WORKERS_MAX 32
#define AVES_CONF_DEVICE_NAME_MAX 64

/** One port. */
struct aves_port_conf {
	char device[AVES_CONF_DEVICE_NAME_MAX];	/**< EAL device name */
	uint32_t addr;				/**< interface address, network order */
	uint8_t prefix_len;			/**< its connected prefix */
	uint32_t mtu;				/**< IPv4 MTU */
	uint32_t rx_desc, tx_desc;
};

/** One static route. */
struct aves_route_conf {
	uint32_t prefix;	/**< network order */
	uint8_t len;
	uint32_t via;		/**< on-link gateway, network order */
};

/** One key as configured (the appliance wipes the secret when it clears its struct). */
struct aves_key_conf {
	uint32_t id;
	uint8_t alg;		/**< enum aves_alg */
	uint8_t len;
	uint8_t secret[AVES_KEY_MAX_LEN];
};

/** What every appliance reads from its file. Units in the field names. */
struct aves_appliance_conf {
	char file[256];

	unsigned int n_ports;
	struct aves_port_conf ports[AVES_CONF_PORTS_MAX];
	unsigned int n_routes;
	struct aves_route_conf routes[AVES_CONF_ROUTES_MAX];

	struct aves_session_timers timers;

	uint32_t neighbours, punt_ring;

	uint32_t neigh_hold, neigh_retry_ms, neigh_probes, neigh_reachable_ms, neigh_failed_ms;

	uint32_t control_lcore;
	unsigned int n_workers;
	uint32_t workers[AVES_CONF_WORKERS_MAX];

	uint32_t idle_pause_after, idle_sleep_after, idle_sleep_us;

	uint32_t mbufs, mbuf_cache;

	uint32_t burst, sweep_budget, link_wait_ms;

	uint32_t stats_interval_ms;	/**< 0: no periodic summary */
};

/** How a scalar is written in the file. */
enum aves_conf_kind {
	AVES_CONF_UINT,		/**< integer */
	AVES_CONF_DURATION,	/**< milliseconds, or a string with a unit */
};

/** One scalar setting: where it is, its range, default and unit, and where it is stored. */
struct aves_conf_scalar {
	const char *group;	/**< a top-level group */
	const char *name;
	enum aves_conf_kind kind;
	size_t offset;		/**< of a uint32_t in the appliance's configuration struct */
	uint64_t min, max, def;
	const char *unit;	/**< printed as a comment by --check-config; "" for none */
};

/** A member of a scalar group that the appliance's own code reads (e.g. lcores.workers). */
struct aves_conf_compound {
	const char *group;
	const char *name;
};

/**
 * Called by aves_conf_file_print() when a group opens, to print the group's compound members
 * in the file's syntax (one tab-indented line each).
 */
typedef void aves_conf_group_print_fn(const void *cfg, const char *group, FILE *out);

/** An appliance's file: what it may hold at the top level and in each scalar group. */
struct aves_conf_file {
	const char *const *top_level;		/**< NULL-terminated */
	const struct aves_conf_scalar *scalars;	/**< in the order --check-config prints */
	size_t n_scalars;
	const struct aves_conf_compound *compounds;
	size_t n_compounds;
	aves_conf_group_print_fn *print_group;	/**< may be NULL */
};

/*
 * Rows of the scalar table that both appliances share, for a configuration struct @p type
 * holding struct aves_appliance_conf as `base`.
 */
#define AVES_CONF_OFF_(type, field) offsetof(type, base.field)
#define AVES_CONF_TIMER_(type, field) offsetof(type, base.timers.field)

/** timers.idle-* and timers.tcp-linger (the session timers both planes age by). */
#define AVES_CONF_ROWS_IDLE_TIMERS(type) \
	{ "timers", "idle-icmp", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, idle_icmp_ms), 1, \
	  AVES_TIMER_MS_MAX, AVES_IDLE_ICMP_MS_DEFAULT, "ms" }, \
	{ "timers", "idle-udp", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, idle_udp_ms), 1, \
	  AVES_TIMER_MS_MAX, AVES_IDLE_UDP_MS_DEFAULT, "ms" }, \
	{ "timers", "idle-tcp", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, idle_tcp_ms), 1, \
	  AVES_TIMER_MS_MAX, AVES_IDLE_TCP_MS_DEFAULT, "ms" }, \
	{ "timers", "idle-other", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, idle_other_ms), 1, \
	  AVES_TIMER_MS_MAX, AVES_IDLE_OTHER_MS_DEFAULT, "ms" }, \
	{ "timers", "idle-http", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, idle_http_ms), 1, \
	  AVES_TIMER_MS_MAX, AVES_IDLE_HTTP_MS_DEFAULT, "ms" }, \
	{ "timers", "tcp-linger", AVES_CONF_DURATION, AVES_CONF_TIMER_(type, tcp_linger_ms), 0, \
	  AVES_TIMER_MS_MAX, AVES_TCP_LINGER_MS_DEFAULT, "ms" }

/** tables.neighbours and tables.punt-ring. */
#define AVES_CONF_ROWS_TABLES(type) \
	{ "tables", "neighbours", AVES_CONF_UINT, AVES_CONF_OFF_(type, neighbours), 1, 65536, \
	  1024, "entries" }, \
	{ "tables", "punt-ring", AVES_CONF_UINT, AVES_CONF_OFF_(type, punt_ring), 64, 1u << 24, \
	  4096, "packets" }

/** The neighbours group (ARP). */
#define AVES_CONF_ROWS_NEIGHBOURS(type) \
	{ "neighbours", "hold", AVES_CONF_UINT, AVES_CONF_OFF_(type, neigh_hold), 1, 64, 8, \
	  "packets per neighbour" }, \
	{ "neighbours", "retry", AVES_CONF_DURATION, AVES_CONF_OFF_(type, neigh_retry_ms), 100, \
	  60000, 1000, "ms" }, \
	{ "neighbours", "probes", AVES_CONF_UINT, AVES_CONF_OFF_(type, neigh_probes), 1, 10, 3, \
	  "requests" }, \
	{ "neighbours", "reachable", AVES_CONF_DURATION, \
	  AVES_CONF_OFF_(type, neigh_reachable_ms), 1000, 86400000, 300000, "ms" }, \
	{ "neighbours", "failed", AVES_CONF_DURATION, AVES_CONF_OFF_(type, neigh_failed_ms), \
	  1000, 3600000, 20000, "ms" }

/** The lcores (control lcore; lcores.workers is a compound), idle, mbufs, datapath and log
 *  groups, in that order. */
#define AVES_CONF_ROWS_RUNTIME(type) \
	{ "lcores", "control", AVES_CONF_UINT, AVES_CONF_OFF_(type, control_lcore), 0, 127, 0, \
	  "lcore id" }, \
	{ "idle", "pause-after", AVES_CONF_UINT, AVES_CONF_OFF_(type, idle_pause_after), 0, \
	  UINT32_MAX, 64, "empty polls" }, \
	{ "idle", "sleep-after", AVES_CONF_UINT, AVES_CONF_OFF_(type, idle_sleep_after), 0, \
	  UINT32_MAX, 1024, "empty polls" }, \
	{ "idle", "sleep", AVES_CONF_UINT, AVES_CONF_OFF_(type, idle_sleep_us), 0, 100000, 50, \
	  "us (0: never sleep)" }, \
	{ "mbufs", "count", AVES_CONF_UINT, AVES_CONF_OFF_(type, mbufs), 1023, 1u << 24, 32767, \
	  "mbufs" }, \
	{ "mbufs", "cache", AVES_CONF_UINT, AVES_CONF_OFF_(type, mbuf_cache), 0, 512, 256, \
	  "mbufs per lcore" }, \
	{ "datapath", "burst", AVES_CONF_UINT, AVES_CONF_OFF_(type, burst), 1, 64, 32, \
	  "packets" }, \
	{ "datapath", "sweep-budget", AVES_CONF_UINT, AVES_CONF_OFF_(type, sweep_budget), 1, \
	  65536, 256, "entries per table per control loop" }, \
	{ "datapath", "link-wait", AVES_CONF_DURATION, AVES_CONF_OFF_(type, link_wait_ms), 0, \
	  60000, 5000, "ms" }, \
	{ "log", "stats-interval", AVES_CONF_DURATION, AVES_CONF_OFF_(type, stats_interval_ms), \
	  0, 86400000, 0, "ms (0: off)" }

/**
 * Start loading: clear @p base (the appliance has cleared its whole struct), record the file
 * name, set the session timers to their defaults and parse the file.
 * @return 0, or -1 after a syntax error was reported (@p conf still needs aves_conf_close()).
 */
int aves_appconf_open(struct aves_conf *conf, struct aves_appliance_conf *base,
		      const char *path, FILE *err);

/**
 * Report unknown members at the top level and in every scalar group of @p file, and each
 * scalar group that is not a group (once).
 */
void aves_conf_file_reject_unknown(struct aves_conf *conf, const struct aves_conf_file *file);

/** Read every scalar of @p file into @p cfg (defaults for missing ones). */
void aves_conf_file_read(struct aves_conf *conf, const struct aves_conf_file *file, void *cfg);

/**
 * Print every scalar of @p file from @p cfg, group by group in table order, each group
 * opened with its compound members (file->print_group).
 */
void aves_conf_file_print(const struct aves_conf_file *file, const void *cfg, FILE *out);

/**
 * A top-level group, or NULL when it is missing or not a group (reported by
 * aves_conf_file_reject_unknown()). A missing @p need = REQUIRED one is reported here.
 */
const config_setting_t *aves_appconf_group(struct aves_conf *conf, const char *name,
					   enum aves_conf_need need);

/**
 * Called for each port group after its device is read, to read the appliance's own member
 * of a port (@p i is the index the port will have).
 */
typedef void aves_conf_port_fn(struct aves_conf *conf, const config_setting_t *port,
			       unsigned int i, void *arg);

/**
 * The required list "ports": @p min_ports to AVES_CONF_PORTS_MAX groups of device, address,
 * mtu, rx-descriptors, tx-descriptors, and @p extra_name (may be NULL) read by @p extra.
 */
void aves_appconf_ports(struct aves_conf *conf, struct aves_appliance_conf *base,
			unsigned int min_ports, const char *extra_name, aves_conf_port_fn *extra,
			void *arg);

/** The optional list "routes" of { prefix; via; }. */
void aves_appconf_routes(struct aves_conf *conf, struct aves_appliance_conf *base);

/** lcores.workers, when the lcores group is there (its absence is the caller's to report). */
void aves_appconf_workers(struct aves_conf *conf, struct aves_appliance_conf *base,
			  const config_setting_t *lcores);

/** One key group { id; alg; secret; } into @p k. */
void aves_appconf_key(struct aves_conf *conf, const config_setting_t *g,
		      struct aves_key_conf *k);

/*
 * Cross-checks, run once every setting read without a problem.
 */

/**
 * Ports: no martian address, nor the network or broadcast address of its own prefix; no two
 * on the same device or on overlapping networks.
 */
void aves_appconf_check_ports(struct aves_conf *conf, const struct aves_appliance_conf *base);

/**
 * Routes: each gateway on a port's network and not one of our addresses (the ports' and the
 * @p n_own in @p own); no prefix routed twice.
 */
void aves_appconf_check_routes(struct aves_conf *conf, const struct aves_appliance_conf *base,
			       const uint32_t *own, unsigned int n_own);

/** The session timers (aves_session_timers_check()). */
void aves_appconf_check_timers(struct aves_conf *conf, const struct aves_appliance_conf *base);

/** Workers distinct and not the control lcore; idle.sleep-after >= pause-after; the mbuf
 *  cache at most a quarter of the pool. */
void aves_appconf_check_runtime(struct aves_conf *conf, const struct aves_appliance_conf *base);

/** Whether @p addr (network order) is in @p net / @p len. Any thread. */
bool aves_appconf_in_prefix(uint32_t addr, uint32_t net, uint8_t len);

/** Whether @p addr is the network or broadcast address of its /@p len. Any thread. */
bool aves_appconf_net_or_bcast(uint32_t addr, uint8_t len);

/** Index of the port whose network holds @p addr, or -1. Any thread. */
int aves_appconf_port_of(const struct aves_appliance_conf *base, uint32_t addr);

/** Whether @p addr is one of the ports' addresses. Any thread. */
bool aves_appconf_is_port_addr(const struct aves_appliance_conf *base, uint32_t addr);

/*
 * --check-config output, in the file's syntax.
 */

/**
 * "ports = ( ... );", each port's line carrying what @p extra returns for it (e.g.
 * "side = \"inside\"; ") after its device; @p extra may be NULL.
 */
void aves_appconf_print_ports(const struct aves_appliance_conf *base,
			      const char *(*extra)(const void *cfg, unsigned int i),
			      const void *cfg, FILE *out);

/** "routes = ( ... );". */
void aves_appconf_print_routes(const struct aves_appliance_conf *base, FILE *out);

/** One line per key, @p indent first; secrets as their length only. */
void aves_appconf_print_keys(const struct aves_key_conf *keys, unsigned int n,
			     const char *indent, FILE *out);

/** "\tworkers = [ 1, 2 ];" */
void aves_appconf_print_workers(const struct aves_appliance_conf *base, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* AVES_APPCONF_H */
