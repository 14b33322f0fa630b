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

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "aves_appconf.h"
#include "aves_auth.h"
#include "aves_flow.h"
#include "aves_neigh.h"
#include "aves_probe.h"
#include "aves_punt.h"
#include "aves_route.h"
#include "aves_session.h"
#include "aves_tx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest RX burst (aves_table_lookup_bulk, aves_tag_burst and aves_verify_burst take 64). */
#define AVES_APP_BURST_MAX 64

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

/* ---------------------------------------------------------------------------------------- */
/* Per-lcore sending context                                                                 */
/* ---------------------------------------------------------------------------------------- */

/** Where the shared sending path counts, as indexes into the app's counter array, and the
 *  app's punt kind for a packet waiting for its next hop. */
struct aves_lcore_ids {
	uint16_t no_route;		/**< drop: no route to the destination */
	uint16_t neigh_unreachable;	/**< drop: next hop resolution failed */
	uint16_t no_headroom;		/**< drop: no room for Ethernet */
	uint16_t punt_hold;		/**< handed to the control lcore: next hop unresolved */
	uint16_t punt_full;		/**< drop: the punt ring was full */
	uint8_t punt_hold_kind;		/**< struct aves_punt.kind of those */
};

/**
 * What every lcore that sends needs, embedded as `core` in each app's lcore context. Owned
 * by one lcore (set up by the main thread before launch).
 */
struct aves_lcore {
	const struct aves_appliance *base;
	uint32_t idx;			/**< counters index: worker index, or n_workers */
	bool is_control;
	struct aves_auth_ctx *auth;
	struct aves_tx tx;
	uint64_t *ctr;			/**< the app's counter array of this lcore */
	struct aves_lcore_ids ids;
	uint16_t ip_id;			/**< identification of packets this lcore originates */

	/* A worker's hand-overs of the burst, enqueued together. */
	uint16_t n_punt;
	struct aves_punt punt[2 * AVES_APP_BURST_MAX];

	/* Last next hop resolved in this burst (cleared each burst). */
	bool nh_valid;
	uint16_t nh_port;
	uint32_t nh_ip;
	struct rte_ether_addr nh_mac;
};

/**
 * Set up lcore @p idx's context (n_workers: the control lcore): an authentication context,
 * its TX queue @p idx on every port, its counters.
 * @param ctr  the app's counter array in base->stats[idx]
 * @return 0, or -ENOMEM. Thread: the main thread.
 */
int aves_lcore_init(struct aves_lcore *lc, const struct aves_appliance *b, uint32_t idx,
		    bool is_control, uint64_t *ctr, const struct aves_lcore_ids *ids);

/** Free what is still batched, flush TX, release the authentication context. */
void aves_lcore_fini(struct aves_lcore *lc);

/** Count a drop under counter @p c and free the packet. Owner lcore. */
static inline void
aves_lcore_drop(struct aves_lcore *lc, unsigned int c, struct rte_mbuf *m)
{
	lc->ctr[c]++;
	rte_pktmbuf_free(m);
}

/*
 * L4 checksums. The appliances forward packets like routers: a forwarded packet's TCP/UDP/ICMP
 * checksum is updated incrementally (RFC 1624), so it stays right or stays wrong, and is left
 * to the end hosts rather than verified with a second pass over the payload. Packets for the
 * appliance itself are verified, as any host does.
 */

/**
 * aves_parse_ipv4() flags for a packet received to be forwarded: no L4 checksum verification,
 * except when the NIC already found it bad (the software check then names the reason).
 */
static inline unsigned int
aves_fwd_parse_flags(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD ?
		       AVES_PARSE_F_VERIFY_L4_CKSUM : 0;
}

/**
 * Verify the L4 checksum of a packet for the appliance itself, parsed before with
 * aves_fwd_parse_flags(): @p pkt is parsed again with verification unless the NIC verified it.
 * @param l3_off  offset of the IPv4 header in the mbuf's data
 * @return AVES_PARSE_OK, or the parse reason to count before dropping the packet.
 */
static inline int
aves_local_l4_verify(const struct rte_mbuf *m, uint16_t l3_off, struct aves_pkt *pkt)
{
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return AVES_PARSE_OK;
	return aves_parse_ipv4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
			       l3_off, AVES_PARSE_F_VERIFY_L4_CKSUM, pkt);
}

/** Start a burst: forget the cached next hop. Owner lcore. */
static inline void
aves_lcore_burst_begin(struct aves_lcore *lc)
{
	lc->nh_valid = false;
}

/** Enqueue this burst's hand-overs; free and count (ids.punt_full) what the ring refused.
 *  Worker. */
void aves_lcore_punt_flush(struct aves_lcore *lc);

/** Queue a hand-over counted under @p c (flushes first when the batch is full). Worker. */
static inline void
aves_lcore_punt(struct aves_lcore *lc, struct rte_mbuf *m, uint8_t kind, uint16_t port,
		uint32_t arg, unsigned int c)
{
	if (lc->n_punt == RTE_DIM(lc->punt))
		aves_lcore_punt_flush(lc);
	lc->punt[lc->n_punt++] = (struct aves_punt){ .m = m, .arg = arg, .port = port,
						     .kind = kind, .from = (uint8_t)lc->idx };
	lc->ctr[c]++;
}

/**
 * Route an IPv4 packet (data at its header) by its destination.
 * @return 0 with @p hop set, or -1 after dropping it (ids.no_route). Owner lcore.
 */
static inline int
aves_lcore_route(struct aves_lcore *lc, struct rte_mbuf *m, struct aves_hop *hop)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

	if (aves_route_lookup(lc->base->routes, ip->dst_addr, hop) == 0)
		return 0;
	aves_lcore_drop(lc, lc->ids.no_route, m);
	return -1;
}

/**
 * Frame an IPv4 packet (data at its header, fitting @p hop's MTU) for @p hop's next hop and
 * buffer it for TX. An unresolved next hop is the control lcore's: a worker punts the packet
 * to it (ids.punt_hold), the control lcore holds it (aves_neigh_output). Consumed.
 * Owner lcore; per packet, no allocation.
 */
void aves_lcore_egress(struct aves_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop,
		       uint64_t now);

/* ---------------------------------------------------------------------------------------- */
/* The loops' shared parts                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** An appliance's worker stage: process @p n packets received on @p port. @return @p n. */
typedef uint16_t aves_burst_fn(void *worker, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
			       uint64_t now);

/**
 * The receive half of a worker's poll: a burst from RX queue @p idx of every port, each
 * handed to @p process; then, on worker 0, what the control lcore redirected (see
 * aves_appliance.redirect), in runs of one arrival port (the driver set mbuf.port).
 * Inline so that @p process, a constant at each call site, is called directly.
 * @return packets received. Thread: worker @p idx.
 */
static inline unsigned int
aves_worker_rx(const struct aves_appliance *b, uint32_t idx, aves_burst_fn *process,
	       void *worker, uint64_t now)
{
	struct rte_mbuf *pkts[AVES_APP_BURST_MAX];
	unsigned int total = 0, p, n, start, end;

	for (p = 0; p < b->n_ports; p++) {
		uint16_t port = b->ports[p].id;

		AVES_PROBE_START();
		n = rte_eth_rx_burst(port, (uint16_t)idx, pkts, b->burst);
		AVES_PROBE(RX);
		if (n != 0)
			total += process(worker, port, pkts, (uint16_t)n, now);
	}
	if (idx != 0 || b->redirect == NULL)
		return total;
	n = rte_ring_sc_dequeue_burst(b->redirect, (void **)pkts, b->burst, NULL);
	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n && pkts[end]->port == pkts[start]->port; end++)
			;
		process(worker, pkts[start]->port, pkts + start, (uint16_t)(end - start), now);
	}
	return total + n;
}

/**
 * Drain the control lcore's own RX queue, on the ports that gave it one, into the redirect
 * ring for worker 0; what the ring refuses is freed and counted in @p *full.
 * @return packets taken (0 when no port needs it). Thread: the control lcore.
 */
unsigned int aves_control_redirect(const struct aves_appliance *b, uint64_t *full);

/**
 * Whether the periodic summary line is due at @p now, and if so schedule the next one
 * (log.stats-interval; the first due time only starts the schedule, and 0 turns it off).
 * Thread: the control lcore (it owns @p next_ms).
 */
static inline bool
aves_control_summary_due(const struct aves_appliance *b, uint64_t *next_ms, uint64_t now)
{
	bool due;

	if (b->stats_interval_ms == 0 || now < *next_ms)
		return false;
	due = *next_ms != 0;
	*next_ms = now + b->stats_interval_ms;
	return due;
}

/**
 * Start resolving the gateway of every route, so that the first packets toward them find
 * their next hop known; the requests are sent through @p tx at once.
 * Thread: the control lcore, or the main thread before launch (with the control lcore's tx).
 */
void aves_control_resolve_gateways(const struct aves_appliance *b, struct aves_tx *tx,
				   uint64_t now);

/* ---------------------------------------------------------------------------------------- */
/* Telemetry (the telemetry thread and the summary line: snapshots, relaxed loads)           */
/* ---------------------------------------------------------------------------------------- */

/** Most counters in one group an appliance sums. */
#define AVES_APP_GROUP_MAX 128

/**
 * Sum @p n counters at byte offset @p off of every lcore's counter block into @p out.
 * Any thread.
 */
void aves_appliance_ctr_sum(const struct aves_appliance *b, size_t off, unsigned int n,
			    uint64_t *out);

/**
 * Add a dictionary @p name = { names[i]: the lcores' sum of counter i of the group at byte
 * offset @p off }, @p n <= AVES_APP_GROUP_MAX.
 * @return 0, or a negative value. Telemetry thread.
 */
int aves_appliance_tel_group(struct rte_tel_data *d, const char *name,
			     const struct aves_appliance *b, size_t off,
			     const char *const *names, unsigned int n);

/**
 * Add the dictionaries both appliances end their stats with: "neighbours" (the neighbour
 * table's counters) and "ports" (per port, the lcores' counters and the device's).
 * @return 0, or a negative value. Telemetry thread.
 */
int aves_appliance_tel_ports(struct rte_tel_data *d, const struct aves_appliance *b);

/** Frames received and sent on every port by every lcore (the summary line). Any thread. */
void aves_appliance_port_totals(const struct aves_appliance *b, uint64_t *rx, uint64_t *tx);

#ifdef __cplusplus
}
#endif

#endif /* AVES_APPLIANCE_H */
