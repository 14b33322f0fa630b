/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file wp.h
 * aves-waypoint's state and the stage functions of its two kinds of lcore.
 *
 * Who owns what (docs/ARCHITECTURE.md):
 * - struct wp_app: built by the main thread before launch (wp_app_create()), then read-only
 *   except for the tables and atomics named below.
 * - Bindings (W, A) -> struct wp_binding and blocks (W, S) -> struct aves_block: written by the
 *   control lcore only; workers look them up lock-free and touch a binding's liveness with
 *   atomics; deleted entries are reclaimed after every worker reported a quiescent state.
 * - struct wp_addr (one per waypoint address W): the control lcore writes wait_until_ms,
 *   workers read it; the rate limiters are shared lock-free.
 * - The wait machines (struct aves_wait per W): the control lcore alone.
 * - A worker's TCP connection table: that worker alone.
 * - struct wp_stats and the per-W counters: one block per lcore, written by that lcore,
 *   read by telemetry.
 *
 * Stage functions take `now` (milliseconds) as a parameter and never read a clock, so tests
 * drive them directly, stepping time.
 */
#ifndef WP_H
#define WP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "aves_appliance.h"
#include "aves_auth.h"
#include "aves_ctrl.h"
#include "aves_flow.h"
#include "aves_icmp.h"
#include "aves_neigh.h"
#include "aves_punt.h"
#include "aves_replay.h"
#include "aves_route.h"
#include "aves_runtime.h"
#include "aves_session.h"
#include "aves_table.h"
#include "aves_tunnel.h"
#include "aves_tx.h"
#include "wp_config.h"

/** The application's log type ("aves.waypoint"). Never used on the per-packet path. */
extern int wp_logtype;
#define WP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, wp_logtype, "aves-waypoint: " fmt "\n", ##__VA_ARGS__)

/** Largest RX burst (aves_table_lookup_bulk and aves_tag_burst take 64). */
#define WP_BURST_MAX AVES_APP_BURST_MAX
/** Most fragments one tunnel packet is split into (a 9000-byte MTU inner over 576). */
#define WP_FRAGS_MAX 20
/** TCP connection records a worker ages per poll. */
#define WP_CONN_AGE_BUDGET 32

/**
 * Every counter an lcore keeps besides the library's reason arrays. X(enum suffix, name).
 * Packets are dropped under exactly one of the drop counters (or a library reason).
 */
#define WP_COUNTERS(X) \
	/* receive classification */ \
	X(RX_ETH_SHORT,        "rx_eth_short")        /* drop: shorter than Ethernet */ \
	X(RX_NOT_OURS,         "rx_not_ours")         /* drop: to another MAC, or multicast */ \
	X(RX_ETHERTYPE,        "rx_ethertype")        /* drop: neither IPv4 nor ARP */ \
	X(RX_IP_INVALID,       "rx_ip_invalid")       /* drop: see "parse" */ \
	X(RX_NOT_LOCAL,        "rx_not_local")        /* drop: not one of our addresses */ \
	X(RX_LOCAL_OTHER,      "rx_local_other")      /* drop: to an interface address, not echo
							 or a control message */ \
	X(ECHO_REPLIED,        "echo_replied")        /* echo requests to our addresses */ \
	/* hand-over to the control lcore */ \
	X(PUNT_CTRL,           "punt_ctrl") \
	X(PUNT_ARP,            "punt_arp") \
	X(PUNT_DECIDE,         "punt_decide")         /* packets for the wait machine */ \
	X(PUNT_HOLD,           "punt_hold")           /* packets for an unresolved next hop */ \
	X(PUNT_FULL,           "punt_full")           /* drop: the ring was full */ \
	X(REDIRECT_FULL,       "redirect_full")       /* drop: worker 0's redirect ring full */ \
	/* forwarding */ \
	X(FWD_PKTS,            "fwd_pkts")            /* tunnel packets tagged and sent on */ \
	X(STALE_BINDING,       "stale_binding")       /* expired binding found before the sweep */ \
	X(TUNNEL_ICMP,         "tunnel_icmp")         /* drop: ICMP error about one of our own
							 tunnel packets (from R or a router on
							 the way): not initiator traffic */ \
	X(NO_ROUTE,            "no_route")            /* drop */ \
	X(NEIGH_UNREACHABLE,   "neigh_unreachable")   /* drop: next hop resolution failed */ \
	X(NO_MBUF,             "no_mbuf")             /* drop: pool empty */ \
	X(NO_HEADROOM,         "no_headroom")         /* drop: no room for Ethernet */ \
	X(ENCAP_FAILED,        "encap_failed")        /* drop: see tunnel.encap */ \
	X(TAG_FAILED,          "tag_failed")          /* drop: see tunnel.tag */ \
	X(FRAG_FAILED,         "frag_failed")         /* drop: see tunnel.frag */ \
	X(PMTU_DROPPED,        "pmtu_dropped")        /* drop: DF set and too big */ \
	X(DISCARDED,           "discarded")           /* drop: by a session verdict */ \
	X(ICMP_UNREACH_SENT,   "icmp_unreach_sent") \
	X(ICMP_UNREACH_LIMITED, "icmp_unreach_limited") \
	X(ICMP_FRAGNEEDED_SENT, "icmp_fragneeded_sent") \
	X(ICMP_FRAGNEEDED_LIMITED, "icmp_fragneeded_limited") \
	X(ICMP_REFUSED,        "icmp_refused")        /* see icmp_refusal */ \
	/* TCP connection tracking (workers) */ \
	X(CONN_TRACKED,        "conn_tracked")        /* records created */ \
	X(CONN_UNTRACKED,      "conn_untracked")      /* table full: FIN tracking off */ \
	X(CONN_AGED,           "conn_aged")           /* records removed */ \
	/* control lcore */ \
	X(CTRL_INVALID,        "ctrl_invalid")        /* drop: see "ctrl" */ \
	X(CTRL_MALFORMED,      "ctrl_malformed")      /* drop: punted datagram unreadable */ \
	X(REPLAY_EVICTIONS,    "replay_evictions")    /* SETUP senders' windows dropped (LRU);
							 a level, not a count of events */ \
	X(ACCEPT_SENT,         "accept_sent") \
	X(REJECT_SENT,         "reject_sent")         /* see "reject" */ \
	X(REPLY_FAILED,        "reply_failed")        /* an ACCEPT/REJECT could not be built */ \
	X(BINDINGS_CREATED,    "bindings_created") \
	X(BINDINGS_EXPIRED,    "bindings_expired") \
	X(BINDING_TABLE_FULL,  "binding_table_full") \
	X(BLOCKS_RECORDED,     "blocks_recorded") \
	X(BLOCKS_EXPIRED,      "blocks_expired") \
	X(BLOCK_TABLE_FULL,    "block_table_full") \
	X(WAITS_STARTED,       "waits_started") \
	X(WAITS_ENDED,         "waits_ended")

enum wp_ctr {
#define WP_CTR_ENUM_(name, str) WP_CTR_##name,
	WP_COUNTERS(WP_CTR_ENUM_)
#undef WP_CTR_ENUM_
	WP_CTR_MAX
};

extern const char *const wp_ctr_names[WP_CTR_MAX];

/** One lcore's counters (workers 0..n-1, the control lcore n). */
struct wp_stats {
	uint64_t ctr[WP_CTR_MAX];
	uint64_t parse[AVES_PARSE_REASON_MAX];		/**< by aves_parse_reason */
	uint64_t verdict[AVES_VERDICT_MAX];		/**< session verdicts by the lcore */
	uint64_t ctrl[AVES_CTRL_RX_VERDICT_COUNT];	/**< control messages by decode verdict */
	uint64_t reject[AVES_CTRL_REASON_MAX + 1];	/**< REJECTs sent, by reason */
	uint64_t icmp_refusal[AVES_ICMP_REFUSE_MAX];	/**< ICMP errors not sent, by rule */
	struct aves_tunnel_stats tunnel;
	struct aves_port_ctr port[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

/** One lcore's counters for one waypoint address. */
struct wp_addr_ctr {
	uint64_t rx_pkts;	/**< packets to W */
	uint64_t rx_bytes;
	uint64_t fwd_pkts;	/**< tunnelled */
	uint64_t fwd_bytes;	/**< inner bytes */
	uint64_t discarded;	/**< by a session verdict */
	uint64_t binds;		/**< bindings created (control lcore) */
};
#define WP_ADDR_CTR_NAMES { "rx_pkts", "rx_bytes", "fwd_pkts", "fwd_bytes", "discarded", "binds" }
#define WP_ADDR_CTR_N 6

/** One waypoint address W, as the lcores share it. */
struct wp_addr {
	uint32_t addr;				/**< network order */
	/** Non-zero while W's wait machine is WAITING (its fixed end); the control lcore writes
	 *  it, workers read it to send new connections to the machine. */
	_Atomic uint64_t wait_until_ms;
	struct aves_ratelimit unreach;		/**< ICMP host unreachable from W */
	struct aves_ratelimit fragneeded;	/**< ICMP fragmentation needed from W */
} __rte_cache_aligned;

/** A binding E(W, A): immutable once published, except the liveness (atomics). */
struct wp_binding {
	struct aves_binding b;		/**< R, B, gateway key id and port */
	const struct aves_key *key;	/**< the gateway key (keyring immutable while running) */
	uint32_t w;			/**< index of W */
	struct aves_liveness live;
};

/** A worker's record of one TCP connection (its private table, key = the flow key). */
struct wp_conn {
	uint64_t born_ms;	/**< the session it is counted in (0: its SYN went to the control
				 *   lcore during a wait, the session is not known yet) */
	uint64_t last_ms;
	uint8_t state;		/**< enum aves_tcp_state */
	uint8_t syn_punted;	/**< its opening SYN went to the control lcore */
};

/** Kinds of local address (the top bits of the address map's value). */
enum wp_local_kind {
	WP_LOCAL_IFACE = 1,	/**< a port's interface address; low bits: port index */
	WP_LOCAL_CONTROL,	/**< the control address (may also be an interface address) */
	WP_LOCAL_WAYPOINT,	/**< a waypoint address; low bits: its index */
};
#define WP_LOCAL_SHIFT 20
#define WP_LOCAL_INDEX_MASK ((1u << WP_LOCAL_SHIFT) - 1)

/** Kinds of punted packet. */
enum wp_punt_kind {
	WP_PUNT_CTRL = 1,	/**< UDP to the control address and port (frame) */
	WP_PUNT_ARP,		/**< ARP frame */
	WP_PUNT_DECIDE,		/**< packet to W that needs the wait machine (frame); arg: W */
	WP_PUNT_HOLD,		/**< IPv4 packet for next hop arg on port, unresolved */
};

struct wp_worker;
struct wp_control;

/** Everything the lcores share. */
struct wp_app {
	struct aves_appliance base;	/**< pools, ports, routes, neighbours, rings, counters */
	uint32_t control_addr;
	uint16_t control_port;

	uint32_t n_addrs;
	struct wp_addr *addrs;

	struct aves_table *bindings;
	struct aves_table *blocks;

	struct aves_keyring *service_keys;
	struct aves_keyring *gateway_keys;
	uint32_t reply_key_id;		/**< the service key ACCEPT/REJECT are tagged with */

	struct wp_worker *workers[WP_WORKERS_MAX];
	struct wp_control *control;

	/** Per-W counters, [0..n_workers) the workers', [n_workers] the control lcore's;
	 *  base.stats[l] is lcore l's struct wp_stats. */
	struct wp_addr_ctr *addr_ctr[WP_WORKERS_MAX + 1];	/**< n_addrs each */
};

/** Lcore @p l's counters (workers 0..n_workers-1, the control lcore n_workers). Any thread. */
static inline struct wp_stats *
wp_lcore_stats(const struct wp_app *app, uint32_t l)
{
	return app->base.stats[l];
}

/** Start-up parameters that are not in the file (clocks, for reproducible tests). */
struct wp_start {
	uint64_t wall_us;	/**< wall clock at start, µs: serial and sequence origins */
	uint64_t now_ms;	/**< the lcores' clock at start (neighbour resolution) */
	bool start_ports;	/**< configure and start the ports (tests that drive queues
				 *   without a NIC still need them started) */
};

/**
 * Build everything from a loaded configuration: pools, ports, routes, addresses, keys,
 * tables, the punt ring, workers and the control lcore's context.
 * @return the application, or NULL (logged).
 * Thread: the main thread, after rte_eal_init(), before launching lcores.
 */
struct wp_app *wp_app_create(const struct wp_config *cfg, const struct wp_start *start);

/** Tear down: ports it started are stopped (not closed), memory freed. After every lcore
 *  stopped. NULL is a no-op. */
void wp_app_free(struct wp_app *app);

/** Index of W in app->addrs, or -1. Any thread. */
int wp_app_addr_index(const struct wp_app *app, uint32_t addr);

/* ---------------------------------------------------------------------------------------- */
/* Per-lcore data-path context, shared by workers and the control lcore (wp_fwd.c)            */
/* ---------------------------------------------------------------------------------------- */

/** What every lcore that sends needs. */
struct wp_lcore {
	struct aves_lcore core;		/**< auth, TX, hand-over batch, next-hop cache */
	struct wp_app *app;
	struct wp_stats *st;
	struct aves_encap_ctx encap;
	struct wp_addr_ctr *actr;

	/* The burst's tunnel packets, tagged together (aves_tag_burst). */
	uint16_t n_fwd;
	struct rte_mbuf *fwd[WP_BURST_MAX];
	const struct aves_key *fwd_key[WP_BURST_MAX];
	struct aves_hop fwd_hop[WP_BURST_MAX];
};

/** Initialise the common part of an lcore's context. @return 0, -ENOMEM or -EINVAL.
 *  Main thread. */
int wp_lcore_init(struct wp_lcore *lc, struct wp_app *app, uint32_t idx, bool is_control,
		  uint64_t wall_us);
/** Release it. */
void wp_lcore_fini(struct wp_lcore *lc);

/** Count a drop under @p c and free the packet. Owner lcore. */
static inline void
wp_drop(struct wp_lcore *lc, enum wp_ctr c, struct rte_mbuf *m)
{
	aves_lcore_drop(&lc->core, c, m);
}

/**
 * Send an IPv4 packet (data at its header) this lcore originated or relays: route it, frame
 * it for its next hop, buffer it. An unresolved next hop is the control lcore's: a worker
 * punts the packet to it, the control lcore holds it (aves_neigh_output). Consumed.
 * Owner lcore.
 */
void wp_send(struct wp_lcore *lc, struct rte_mbuf *m, uint64_t now);

/**
 * Relay a packet [S -> W] through binding @p e (whose liveness the caller has touched): check
 * the path MTU (a DF packet that does not fit gets ICMP fragmentation needed from W, rate-limited),
 * rewrite W to B, encapsulate toward R and queue it for tagging. Consumed.
 * @param m    the frame, data at Ethernet; @p pkt its parse (l3_off 14)
 * @param e    the binding E(W, S)
 * Owner lcore. Call wp_fwd_flush() before the burst ends.
 */
void wp_fwd_prepare(struct wp_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
		    const struct wp_binding *e, uint64_t now);

/** Tag the queued tunnel packets in one burst, fragment what exceeds the egress MTU, send. */
void wp_fwd_flush(struct wp_lcore *lc, uint64_t now);

/**
 * Discard a packet from S to W under a session verdict, answering with ICMP host unreachable
 * (rate-limited per W) when @p send_icmp. Consumed.
 * @param m  the frame, data at Ethernet (l3 at 14)
 */
void wp_discard(struct wp_lcore *lc, struct rte_mbuf *m, uint32_t w, enum aves_verdict v,
		bool send_icmp, uint64_t now);

/** Queue a hand-over (flushes first when the batch is full). Worker. */
static inline void
wp_punt(struct wp_lcore *lc, struct rte_mbuf *m, enum wp_punt_kind kind, uint16_t port,
	uint32_t arg, enum wp_ctr c)
{
	aves_lcore_punt(&lc->core, m, (uint8_t)kind, port, arg, c);
}

/** Whether a packet opens a connection (§5.2): a TCP SYN without ACK, or any non-TCP. */
static inline bool
wp_new_connection(const struct aves_pkt *pkt)
{
	return pkt->key.proto != IPPROTO_TCP ||
	       (pkt->tcp_flags & (AVES_TCP_BIT_SYN | AVES_TCP_BIT_ACK)) == AVES_TCP_BIT_SYN;
}

/**
 * The inner flow's hash that the tunnel's UDP source port carries (RSS entropy at the gateway).
 * Fragments of one datagram carry no ports past the first, so all of them hash without ports.
 * CRC32-C of (protocol seed; source, destination, ports) taken as 32-bit values: rte_hash_crc()
 * on a local struct would read it through a uint64_t pointer, which strict aliasing lets the
 * compiler reorder before the struct is written.
 */
static inline uint32_t
wp_flow_hash(const struct aves_flow_key *k, bool fragment)
{
	uint32_t ports = fragment ? 0 : (uint32_t)k->sport << 16 | k->dport;
	uint32_t h = rte_hash_crc_4byte(k->src, k->proto);

	h = rte_hash_crc_4byte(k->dst, h);
	return rte_hash_crc_4byte(ports, h);
}

/** A binding that is usable at @p now (NULL when absent or expired). Any lcore. */
static inline struct wp_binding *
wp_binding_live(const struct wp_app *app, struct wp_binding *e, uint64_t now)
{
	if (e == NULL || aves_live_expired(&e->live, &app->base.timers, now))
		return NULL;
	return e;
}

/* ---------------------------------------------------------------------------------------- */
/* Workers (wp_worker.c)                                                                     */
/* ---------------------------------------------------------------------------------------- */

/** Create worker @p idx (RX queue idx and TX queue idx on every port). Main thread. */
struct wp_worker *wp_worker_create(struct wp_app *app, uint32_t idx, uint32_t conn_capacity,
				   uint64_t wall_us);
void wp_worker_free(struct wp_worker *w);

/** Report to RCU that this worker reads the shared tables from now on / no more. Worker. */
void wp_worker_online(struct wp_worker *w);
void wp_worker_offline(struct wp_worker *w);

/**
 * Process one received burst from @p port: classify, hand over, relay, answer echo, and send.
 * @return the number of packets processed (@p n). Worker.
 */
uint16_t wp_worker_process(struct wp_worker *w, uint16_t port, struct rte_mbuf **pkts,
			   uint16_t n, uint64_t now);

/**
 * One iteration of the worker loop: receive a burst from its queue on every port and process
 * it, age some TCP connection records, report a quiescent state.
 * @return packets received.
 */
unsigned int wp_worker_poll(struct wp_worker *w, uint64_t now);

/** The loop: until aves_running() is false (rte_eal_remote_launch entry point). */
int wp_worker_main(void *arg);

/** Number of TCP connection records the worker holds. Any thread (a snapshot). */
uint32_t wp_worker_conns(const struct wp_worker *w);

/* ---------------------------------------------------------------------------------------- */
/* The control lcore (wp_control.c)                                                          */
/* ---------------------------------------------------------------------------------------- */

/** Create the control lcore's context. Main thread. */
struct wp_control *wp_control_create(struct wp_app *app, const struct wp_config *cfg,
				     uint64_t wall_us);
void wp_control_free(struct wp_control *c);

/**
 * One iteration of the control loop: handle punted packets (control messages, ARP, packets
 * for the wait machines, packets waiting for a next hop), end waits that are due, sweep a
 * bounded number of bindings and blocks, run the neighbour timers, reclaim, send.
 * @param now      milliseconds on the lcores' clock
 * @param wall_ms  wall clock (control messages carry it)
 * @return units of work done (0 when idle).
 */
unsigned int wp_control_poll(struct wp_control *c, uint64_t now, uint64_t wall_ms);

/** The loop (rte_eal_remote_launch entry point, or called on the main lcore). */
int wp_control_main(void *arg);

/**
 * Start resolving every configured gateway, so that the first packets toward them find
 * their next hop known. Control lcore, or the main thread before launch.
 */
void wp_control_start(struct wp_control *c, uint64_t now);

/** W's wait machine, for telemetry to read its counters. Any thread (racy snapshot reads of
 *  counters the control lcore alone writes). */
const struct aves_wait *wp_control_wait(const struct wp_control *c, uint32_t w);

/* ---------------------------------------------------------------------------------------- */
/* Telemetry (wp_telemetry.c)                                                                */
/* ---------------------------------------------------------------------------------------- */

/** Register the /aves/waypoint/ commands for @p app. Main thread, once. */
int wp_telemetry_register(struct wp_app *app);

/** Write the one-line summary (the periodic log line) into @p buf. Any thread. */
void wp_summary(const struct wp_app *app, char *buf, size_t cap);

#endif /* WP_H */
