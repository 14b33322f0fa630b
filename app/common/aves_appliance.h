/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_appliance.h
 * What both DPDK appliances (aves-waypoint, aves-natgw) build from struct aves_appliance_conf
 * and share at run time: the mbuf pools, the ports (one RX queue per worker, one TX queue per
 * sending lcore), the routes, the neighbour table, the set of local addresses, the workers'
 * QSBR variable, the punt ring, the redirect ring, and one counter block per lcore. Each
 * appliance embeds struct aves_appliance as `base` in its own application struct and builds
 * its own tables, keys, workers and control lcore around it.
 *
 * Who owns what (docs/ARCHITECTURE.md):
 * - struct aves_appliance: written by the main thread in aves_appliance_init(), before the
 *   lcores start; read-only afterwards. The tables it points to have their own owners: the
 *   neighbour table and the address map the control lcore, the punt ring its producers (the
 *   workers) and consumer (the control lcore), the redirect ring the control lcore (producer)
 *   and worker 0 (consumer).
 * - stats[l]: lcore l's counters (workers 0..n_workers-1, the control lcore n_workers),
 *   written by that lcore only, read by telemetry.
 */
#ifndef AVES_APPLIANCE_H
#define AVES_APPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "aves_appconf.h"
#include "aves_neigh.h"
#include "aves_route.h"
#include "aves_session.h"
#include "aves_tx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** port_index[] value of a port id that is not ours. */
#define AVES_APP_NO_PORT 0xff

/** One port as the lcores see it. */
struct aves_app_port {
	uint16_t id;		/**< DPDK port id */
	uint16_t n_rxq;		/**< RX queues (n_workers, or n_workers + 1: see redirect) */
	uint16_t mtu;
	uint8_t prefix_len;
	uint32_t addr;		/**< interface address as configured */
	struct rte_ether_addr mac;
};

/** What an appliance adds to its configuration to build the base. */
struct aves_appliance_params {
	const char *prefix;		/**< of object names: "<prefix>_pool", "<prefix>_punt"... */
	const char *prog;		/**< log prefix ("aves-waypoint") */
	int logtype;			/**< the appliance's log type */
	uint32_t tail_room;		/**< bytes a frame may grow at its tail in place */
	uint32_t big_buffers;		/**< 64 KB mbufs for reassembled datagrams (0: no pool) */
	size_t stats_size;		/**< the appliance's per-lcore counter block */
	size_t stats_port_off;		/**< offset in it of struct aves_port_ctr[RTE_MAX_ETHPORTS] */
	uint32_t local_capacity;	/**< addresses the appliance puts in the address map */
	const char *port_role[AVES_CONF_PORTS_MAX]; /**< logged after a port's id; NULL: none */
	bool start_ports;		/**< configure and start the ports (tests that drive queues
					 *   without a NIC still need them started) */
};

/** The shared part of an appliance. */
struct aves_appliance {
	const char *prog;
	int logtype;

	struct aves_session_timers timers;
	uint16_t burst;
	uint32_t sweep_budget;
	uint32_t stats_interval_ms;
	uint32_t punt_ring_size;
	uint32_t idle_pause_after, idle_sleep_after, idle_sleep_us;
	uint32_t n_workers;

	uint16_t n_ports;
	bool ports_started;
	struct aves_app_port ports[AVES_CONF_PORTS_MAX];
	uint8_t port_index[RTE_MAX_ETHPORTS];	/**< port id -> index, or AVES_APP_NO_PORT */
	/**
	 * Drivers that pair RX with TX queues (net_tap, net_af_packet) get an RX queue for the
	 * control lcore too, and deliver traffic to it. The control lcore drains that queue
	 * into this ring (single producer) and worker 0 (single consumer) processes what it
	 * holds: all packet processing stays on the workers. NULL when no port needs it.
	 */
	struct rte_ring *redirect;

	struct aves_addr_map *local;	/**< created empty: the appliance fills it */
	struct aves_route_table *routes;
	struct aves_neigh_table *neigh;
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *punt;
	struct rte_mempool *pool;
	struct rte_mempool *indirect;	/**< fragments' payload references */
	struct rte_mempool *big;	/**< reassembled datagrams (NULL unless asked for) */

	/** Counters, [0..n_workers) the workers', [n_workers] the control lcore's. */
	void *stats[AVES_CONF_WORKERS_MAX + 1];
	struct aves_port_ctr *port_ctr[AVES_CONF_WORKERS_MAX + 1];	/**< in stats[l] */
};

/**
 * Build the base from @p conf: pools, counters, an empty address map, ports (started when
 * @p p asks; each logged), the connected and configured routes, the QSBR variable for the
 * workers, the neighbour table (every port declared), the punt ring, and the redirect ring
 * when a port needs it. @p b must be zeroed. Failures are logged where they have a reason of
 * their own (a missing device, the pools, a route); the caller says that start-up failed.
 * @return 0, or -1 (call aves_appliance_fini() to undo what was built).
 * Thread: the main thread, after rte_eal_init(), before launching lcores.
 */
int aves_appliance_init(struct aves_appliance *b, const struct aves_appliance_conf *conf,
			const struct aves_appliance_params *p);

/**
 * Undo aves_appliance_init(): rings (and the packets in them), tables, ports it started
 * (stopped, not closed: main closes them at exit), counters, pools. The appliance frees its
 * lcores (which flush their TX buffers) and its own tables (which reclaim through the QSBR
 * variable) first. Main thread, after every lcore stopped; safe on a partly built base.
 */
void aves_appliance_fini(struct aves_appliance *b);

#ifdef __cplusplus
}
#endif

#endif /* AVES_APPLIANCE_H */
