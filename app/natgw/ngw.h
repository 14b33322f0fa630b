/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ngw.h
 * aves-natgw's state and the stage functions of its two kinds of lcore.
 *
 * Who owns what (docs/ARCHITECTURE.md):
 * - struct ngw_app: built by the main thread before launch (ngw_app_create()), then read-only
 *   except for the tables and atomics named below.
 * - Sessions (the outbound table, its entries) and their inbound keys (the inbound table):
 *   written by the control lcore only — it creates, retires and frees them; workers look them
 *   up lock-free in bulk and touch a session's liveness and TCP state with atomics; deleted
 *   entries are reclaimed after every worker reported a quiescent state.
 * - Trusted waypoints (the trust table): written by the control lcore, read by workers.
 * - The public address: the control lcore stores it (release), workers load it once per burst
 *   (acquire). A change is requested through an atomic that any thread may write
 *   (ngw_set_public_address()) and applied by the control lcore.
 * - A worker's reassembly context: that worker alone.
 * - struct ngw_stats: one block per lcore, written by that lcore, read by telemetry.
 *
 * Stage functions take `now` (milliseconds) as a parameter and never read a clock, so tests
 * drive them directly, stepping time.
 */
#ifndef NGW_H
#define NGW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
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
#include "aves_route.h"
#include "aves_runtime.h"
#include "aves_session.h"
#include "aves_table.h"
#include "aves_tunnel.h"
#include "aves_tx.h"
#include "ngw_config.h"

/** The application's log type ("aves.natgw"). Never used on the per-packet path. */
extern int ngw_logtype;
#define NGW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, ngw_logtype, "aves-natgw: " fmt "\n", ##__VA_ARGS__)

/** Largest RX burst (aves_table_lookup_bulk and aves_verify_burst take 64). */
#define NGW_BURST_MAX AVES_APP_BURST_MAX
/** Most fragments one datagram is split into on egress (65535 bytes over a 576 MTU). */
#define NGW_FRAGS_MAX 128
/** Ports tried, from a random start, when the preferred one is taken. */
#define NGW_PORT_PROBES 128

/**
 * Every counter an lcore keeps besides the library's reason arrays. X(enum suffix, name).
 * Packets are dropped under exactly one of the drop counters (or a library reason).
 */
#define NGW_COUNTERS(X) \
	/* receive classification */ \
	X(RX_ETH_SHORT,       "rx_eth_short")       /* drop: shorter than Ethernet */ \
	X(RX_NOT_OURS,        "rx_not_ours")        /* drop: to another MAC, or multicast */ \
	X(RX_ETHERTYPE,       "rx_ethertype")       /* drop: neither IPv4 nor ARP */ \
	X(RX_IP_INVALID,      "rx_ip_invalid")      /* drop: see "parse" */ \
	X(RX_NOT_LOCAL,       "rx_not_local")       /* drop: outside, not to one of our
						       addresses */ \
	X(RX_LOCAL_OTHER,     "rx_local_other")     /* drop: to our address, not echo, a
						       tunnel packet or NAT return traffic */ \
	X(RX_NOT_FORWARDED,   "rx_not_forwarded")   /* drop: inside, broadcast, multicast, or
						       routed back inside */ \
	X(ECHO_REPLIED,       "echo_replied")       /* echo requests to our addresses */ \
	X(REASSEMBLED,        "reassembled")        /* datagrams completed (see "reasm") */ \
	/* hand-over to the control lcore */ \
	X(PUNT_ARP,           "punt_arp") \
	X(PUNT_NAPT,          "punt_napt")          /* outbound packets needing a NAPT session */ \
	X(PUNT_AVES,          "punt_aves")          /* tunnel packets needing a reply path */ \
	X(PUNT_HOLD,          "punt_hold")          /* packets for an unresolved next hop */ \
	X(PUNT_FULL,          "punt_full")          /* drop: the ring was full */ \
	X(REDIRECT_FULL,      "redirect_full")      /* drop: worker 0's redirect ring full */ \
	/* translation */ \
	X(NAPT_OUT,           "napt_out")           /* inside host -> Internet, translated */ \
	X(NAPT_IN,            "napt_in")            /* return traffic to an inside host */ \
	X(AVES_IN,            "aves_in")            /* tunnel packets delivered to a responder */ \
	X(AVES_OUT,           "aves_out")           /* responders' replies sent as [W -> A] */ \
	X(ICMP_ERR_OUT,       "icmp_err_out")       /* of those, ICMP errors (quote translated) */ \
	X(ICMP_ERR_IN,        "icmp_err_in") \
	X(NO_SESSION,         "no_session")         /* drop: to R, no session */ \
	X(ICMP_NO_SESSION,    "icmp_no_session")    /* drop: ICMP error about no session */ \
	X(STALE_SESSION,      "stale_session")      /* expired/retired, found by a worker */ \
	X(AVES_REJECTED,      "aves_rejected")      /* drop: refused tunnel packet (aves_rx) */ \
	X(INNER_INVALID,      "inner_invalid")      /* drop: malformed inner (inner_parse) */ \
	X(INNER_MISDIRECTED,  "inner_misdirected")  /* drop: inner destination not an inside
						       host, or inner source an inside one */ \
	/* sending */ \
	X(NO_ROUTE,           "no_route")           /* drop */ \
	X(NEIGH_UNREACHABLE,  "neigh_unreachable")  /* drop: next hop resolution failed */ \
	X(NO_MBUF,            "no_mbuf")            /* drop: pool empty */ \
	X(NO_HEADROOM,        "no_headroom")        /* drop: no room for Ethernet */ \
	X(FRAG_FAILED,        "frag_failed")        /* drop: could not fragment */ \
	X(FRAGMENTED,         "fragmented")         /* datagrams split to fit the egress MTU */ \
	X(PMTU_DROPPED,       "pmtu_dropped")       /* drop: DF set and too big */ \
	X(ICMP_SENT,          "icmp_sent")          /* fragmentation needed sent */ \
	X(ICMP_LIMITED,       "icmp_limited") \
	X(ICMP_REFUSED,       "icmp_refused")       /* see icmp_refusal */ \
	/* control lcore */ \
	X(CTRL_MALFORMED,     "ctrl_malformed")     /* drop: punted packet unreadable */ \
	X(NAPT_CREATED,       "napt_created") \
	X(AVES_CREATED,       "aves_created")       /* reply paths (both variants) */ \
	X(SESSION_TABLE_FULL, "session_table_full") /* drop: no room for a session */ \
	X(PORTS_EXHAUSTED,    "ports_exhausted")    /* drop: no free port found */ \
	X(NOT_NAT,            "not_nat")            /* drop: destination routed back inside */ \
	X(AVES_CONFLICT,      "aves_conflict")      /* drop: reply tuple is a NAPT session's */ \
	X(AVES_MOVED,         "aves_moved")         /* reply path re-made for another waypoint */ \
	X(SESSIONS_EXPIRED,   "sessions_expired") \
	X(SESSIONS_RETIRED,   "sessions_retired")   /* NAPT sessions of an old public address */ \
	X(TRUST_TABLE_FULL,   "trust_table_full")   /* a waypoint could not be recorded */ \
	X(REGISTER_SENT,      "register_sent") \
	X(REGISTER_FAILED,    "register_failed")    /* a REGISTER could not be built */ \
	X(PUBLIC_CHANGES,     "public_changes")     /* public address changes applied */

enum ngw_ctr {
#define NGW_CTR_ENUM_(name, str) NGW_CTR_##name,
	NGW_COUNTERS(NGW_CTR_ENUM_)
#undef NGW_CTR_ENUM_
	NGW_CTR_MAX
};

extern const char *const ngw_ctr_names[NGW_CTR_MAX];

/** One lcore's counters (workers 0..n-1, the control lcore n). */
struct ngw_stats {
	uint64_t ctr[NGW_CTR_MAX];
	uint64_t parse[AVES_PARSE_REASON_MAX];		/**< by aves_parse_reason */
	uint64_t inner_parse[AVES_PARSE_REASON_MAX];	/**< tunnelled packets, likewise */
	uint64_t icmp_refusal[AVES_ICMP_REFUSE_MAX];	/**< ICMP errors not sent, by rule */
	struct aves_tunnel_stats tunnel;		/**< rx verdicts, reassembly */
	struct aves_port_ctr port[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

/* ---------------------------------------------------------------------------------------- */
/* Sessions                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/**
 * What a session translates. Every session is one flow seen from two sides: O, its tuple as
 * the inside sees it (the key of the outbound table), and T, its tuple as the outside sees
 * it. Outbound packets carry O and leave carrying T; inbound packets arrive carrying the
 * reverse of T (or, through the tunnel, the reverse of T with the destination already B) and
 * are delivered carrying the reverse of O.
 *
 *            O (inside view)                 T (outside view)
 * NAPT       [H:ph -> X:px]                  [R:pr -> X:px]       pr allocated
 * AVES       [B:pb -> A:pa]                  [W:pb -> A:pa]
 * AVES_MH    [B:pb -> I:pi]                  [W:pb -> A:pa]       pi allocated
 *
 * (H an inside host, X an Internet host, R the public address, A an initiator, W the waypoint
 * address it used, B the responder, I the gateway's address on B's inside network.)
 */
enum ngw_kind {
	NGW_NAPT = 1,	/**< an inside host's connection out */
	NGW_AVES,	/**< an AVES connection in: replies leave as [W -> A] */
	NGW_AVES_MH,	/**< the same, multi-homed: B sees it come from I:pi */
	NGW_KIND_MAX
};

/**
 * Key of the inbound table: what an arriving packet carries. For NAPT return traffic, the
 * packet's flow key [X:px -> R:pr] and waypoint 0; for a tunnelled packet, the inner flow key
 * [A:pa -> B:pb] and the waypoint address W from the authenticated AVES header. (For an ICMP
 * error, the reverse of the flow it quotes, which is the flow it is about.) 24 bytes, no
 * implicit padding; @c zero is always 0.
 */
struct ngw_in_key {
	struct aves_flow_key flow;
	uint32_t waypoint;
	uint32_t zero;
};
static_assert(sizeof(struct ngw_in_key) == 24, "inbound key is 24 bytes, no padding");

/**
 * A session: the entry of the outbound table under O. Immutable once published except @c tcp
 * and @c live (atomics, written by workers).
 *
 * Why one lookup classifies an outbound packet, and why the two kinds never take each
 * other's tuples: every session, whatever its kind, is keyed by O in the one outbound table,
 * so a packet from inside finds at most one entry and that entry's kind says what it is. An
 * AVES reply path whose O is already a NAPT session's is refused (aves_conflict: B's own
 * connection to A:pa from port pb exists, and the tunnelled one could not be told apart from
 * it), and a NAPT session is only ever created for a packet that found no entry at all — so if
 * a reply path appeared meanwhile, the packet is forwarded by it. Inbound, the two cannot meet
 * either: NAPT keys carry waypoint 0 and R as their destination, tunnel keys carry W != 0;
 * NAPT never allocates the tunnel port for UDP, so [X -> R:tunnel port] is always a tunnel
 * packet; multi-homed ports pi are allocated on the inside address I, never on R, so they
 * share no tuple with NAPT ports.
 */
struct ngw_session {
	struct aves_flow_key orig;	/**< O (also the outbound table's key) */
	struct ngw_in_key in;		/**< its key in the inbound table */
	uint32_t t_src, t_dst;		/**< T's addresses, network order */
	uint16_t t_sport, t_dport;	/**< T's ports (or identifier), network order */
	uint8_t kind;			/**< enum ngw_kind */
	uint8_t reserved[3];
	_Atomic uint8_t tcp;		/**< enum aves_tcp_state of its one TCP connection */
	struct aves_liveness live;
};

/** Entry of the inbound table: the session the key belongs to. */
struct ngw_ref {
	struct ngw_session *s;
};

/** Entry of the trust table (key: a waypoint address): reassembly trusts it. */
struct ngw_trust {
	_Atomic uint32_t sessions;	/**< live reply paths through it */
	_Atomic uint64_t until_ms;	/**< and trusted at least until then */
};

/* ---------------------------------------------------------------------------------------- */
/* The application                                                                           */
/* ---------------------------------------------------------------------------------------- */

/** Kinds of local address (the top bits of the address map's value). */
enum ngw_local_kind {
	NGW_LOCAL_IFACE = 1,	/**< an inside port's interface address; low bits: port index */
};
#define NGW_LOCAL_SHIFT 20
#define NGW_LOCAL_INDEX_MASK ((1u << NGW_LOCAL_SHIFT) - 1)
/** Kinds of punted packet. */
enum ngw_punt_kind {
	NGW_PUNT_ARP = 1,	/**< ARP frame (data at Ethernet) */
	NGW_PUNT_NAPT,		/**< IPv4 packet from inside that found no session */
	NGW_PUNT_AVES,		/**< decapsulated packet that found no reply path; arg: W */
	NGW_PUNT_HOLD,		/**< IPv4 packet for next hop arg on port, unresolved */
};

struct ngw_worker;
struct ngw_control;

/** Everything the lcores share. */
struct ngw_app {
	struct aves_appliance base;	/**< pools (big: reassembled datagrams), ports, routes,
					 *   neighbours, rings, counters; base.local holds the
					 *   inside addresses (R is public_addr) */
	/** The configuration, secrets wiped. */
	struct ngw_config cfg;

	/** The public address R (network order). Control lcore stores, workers load. */
	_Atomic uint32_t public_addr;
	/** A requested new public address, 0 when none: any thread stores, the control lcore
	 *  takes it (exchange) and applies it. */
	_Atomic uint32_t public_request;

	uint8_t outside;			/**< index of the outside port */

	struct aves_table *sessions;		/**< O -> struct ngw_session */
	struct aves_table *inbound;		/**< struct ngw_in_key -> struct ngw_ref */
	struct aves_table *trust;		/**< W -> struct ngw_trust */

	struct aves_keyring *keys;		/**< the gateway's own keys */
	struct aves_ratelimit icmp_limit;	/**< ICMP errors the gateway originates */

	struct ngw_worker *workers[NGW_WORKERS_MAX];
	struct ngw_control *control;
};

/** Lcore @p l's counters (workers 0..n_workers-1, the control lcore n_workers). Any thread. */
static inline struct ngw_stats *
ngw_lcore_stats(const struct ngw_app *app, uint32_t l)
{
	return app->base.stats[l];
}

/** Start-up parameters that are not in the file (clocks, for reproducible tests). */
struct ngw_start {
	uint64_t wall_us;	/**< wall clock at start, µs: the REGISTER serial origin */
	uint64_t now_ms;	/**< the lcores' clock at start */
	bool start_ports;	/**< configure and start the ports */
};

/**
 * Build everything from a loaded configuration: pools, ports, routes, addresses, keys,
 * tables, the punt ring, workers and the control lcore's context.
 * @return the application, or NULL (logged).
 * Thread: the main thread, after rte_eal_init(), before launching lcores.
 */
struct ngw_app *ngw_app_create(const struct ngw_config *cfg, const struct ngw_start *start);

/** Tear down: ports it started are stopped (not closed), memory freed. After every lcore
 *  stopped. NULL is a no-op. */
void ngw_app_free(struct ngw_app *app);

/**
 * Ask for a new public address (a DHCP lease with another address; the telemetry command
 * /aves/natgw/set_public_address calls this). The control lcore applies it at its next loop:
 * new NAPT sessions use it, sessions made under the old one are retired, ARP is answered for
 * it instead of the old one, the tunnel is received on it, and REGISTER is sent at once and
 * then at the fast rate.
 * @param addr  network order; must be on the outside port's network (ngw_config_public_ok())
 * @return 0, or -EINVAL.
 * Thread: any.
 */
int ngw_set_public_address(struct ngw_app *app, uint32_t addr);

/** The public address in use (network order). Any thread. */
static inline uint32_t
ngw_public(const struct ngw_app *app)
{
	return atomic_load_explicit(&app->public_addr, memory_order_acquire);
}

/** Whether @p s is usable at @p now with public address @p pub (expired sessions and NAPT
 *  sessions of an earlier public address are not). Any lcore. */
static inline bool
ngw_session_usable(const struct ngw_app *app, const struct ngw_session *s, uint32_t pub,
		   uint64_t now)
{
	return !aves_live_expired(&s->live, &app->base.timers, now) &&
	       (s->kind != NGW_NAPT || s->t_src == pub);
}

/* ---------------------------------------------------------------------------------------- */
/* Per-lcore data-path context, shared by workers and the control lcore (ngw_fwd.c)           */
/* ---------------------------------------------------------------------------------------- */

/** What every lcore that sends needs. */
struct ngw_lcore {
	struct aves_lcore core;		/**< auth, TX, hand-over batch, next-hop cache */
	struct ngw_app *app;
	struct ngw_stats *st;
};

/** Initialise the common part of an lcore's context. @return 0 or -ENOMEM. Main thread. */
int ngw_lcore_init(struct ngw_lcore *lc, struct ngw_app *app, uint32_t idx, bool is_control);

/** Count a drop under @p c and free the packet. Owner lcore. */
static inline void
ngw_drop(struct ngw_lcore *lc, enum ngw_ctr c, struct rte_mbuf *m)
{
	aves_lcore_drop(&lc->core, c, m);
}

/** Queue a hand-over (flushes first when the batch is full). Worker. */
static inline void
ngw_punt(struct ngw_lcore *lc, struct rte_mbuf *m, enum ngw_punt_kind kind, uint16_t port,
	 uint32_t arg, enum ngw_ctr c)
{
	aves_lcore_punt(&lc->core, m, (uint8_t)kind, port, arg, c);
}

/**
 * Send an IPv4 packet (data at its header, exactly its total length long) toward its
 * destination: route it, fragment it when it exceeds the egress MTU (DF clear; a DF packet
 * that does not fit is the caller's to refuse before), frame it for its next hop, buffer it.
 * An unresolved next hop is the control lcore's: a worker punts the packet to it. Consumed.
 * Owner lcore.
 */
void ngw_send(struct ngw_lcore *lc, struct rte_mbuf *m, uint64_t now);

/** ngw_send() over a hop the caller looked up. */
void ngw_send_hop(struct ngw_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop,
		  uint64_t now);

/**
 * Answer an echo request to one of our addresses, or drop what else was sent to it
 * (rx_local_other). Consumed.
 * @param m    the packet, data at IPv4; @p pkt its parse (l3_off 0)
 */
void ngw_local_input(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
		     uint64_t now);

/**
 * Send ICMP "fragmentation needed" (RFC 1191) about @p orig (data at IPv4, as it arrived or
 * with its destination restored to what its sender used) from @p src, rate-limited. The
 * caller frees @p orig.
 */
void ngw_frag_needed(struct ngw_lcore *lc, const struct rte_mbuf *orig, uint32_t src,
		     uint16_t mtu, uint64_t now);

/* ---------------------------------------------------------------------------------------- */
/* Translation (ngw_nat.c), shared by workers and the control lcore                          */
/* ---------------------------------------------------------------------------------------- */

/** The outbound table key of a packet from inside: its flow key, or for an ICMP error the
 *  reverse of the flow it quotes (the flow it is about). */
void ngw_out_key(const struct aves_pkt *pkt, struct aves_flow_key *key);

/** The inbound table key of a packet from outside (waypoint 0) or from the tunnel (W). */
void ngw_in_key(const struct aves_pkt *pkt, uint32_t waypoint, struct ngw_in_key *key);

/** The reverse of a flow key (sides swapped). */
static inline struct aves_flow_key
ngw_flow_reverse(const struct aves_flow_key *k)
{
	return (struct aves_flow_key){ .src = k->dst, .dst = k->src, .sport = k->dport,
				       .dport = k->sport, .proto = k->proto };
}

/**
 * Forward a packet from inside by its session @p s (found under ngw_out_key()): touch the
 * session and its TCP state (not for ICMP errors), refuse a DF packet too big for the egress
 * (ICMP fragmentation needed from the arrival port's address), translate O -> T (an ICMP
 * error's outer source and quote too), send. Consumed.
 * @param m        data at IPv4; @p pkt its parse (l3_off 0)
 * @param in_port  DPDK port id it arrived on
 */
void ngw_forward_out(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
		     struct ngw_session *s, uint16_t in_port, uint64_t now);

/**
 * Forward a packet from outside (NAPT return traffic, or a decapsulated tunnel packet) by its
 * session: the same in the other direction, translating reverse(T) -> reverse(O). Consumed.
 */
void ngw_forward_in(struct ngw_lcore *lc, struct rte_mbuf *m, struct aves_pkt *pkt,
		    struct ngw_session *s, uint64_t now);

/* ---------------------------------------------------------------------------------------- */
/* Workers (ngw_worker.c)                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Create worker @p idx (RX queue idx and TX queue idx on every port). Main thread. */
struct ngw_worker *ngw_worker_create(struct ngw_app *app, uint32_t idx);
void ngw_worker_free(struct ngw_worker *w);

/** Report to RCU that this worker reads the shared tables from now on / no more. Worker. */
void ngw_worker_online(struct ngw_worker *w);
void ngw_worker_offline(struct ngw_worker *w);

/**
 * Process one received burst from @p port: classify, reassemble, verify and decapsulate
 * tunnel packets, translate by the sessions found, hand over what needs a new session,
 * answer echo, and send.
 * @return the number of packets processed (@p n). Worker.
 */
uint16_t ngw_worker_process(struct ngw_worker *w, uint16_t port, struct rte_mbuf **pkts,
			    uint16_t n, uint64_t now);

/**
 * One iteration of the worker loop: a burst from its queue on every port, reassembly
 * timeouts, a quiescent state.
 * @return packets received.
 */
unsigned int ngw_worker_poll(struct ngw_worker *w, uint64_t now);

/** The loop: until aves_running() is false (rte_eal_remote_launch entry point). */
int ngw_worker_main(void *arg);

/** Datagrams the worker's reassembly holds (trusted or general table). Owner (or tests). */
uint32_t ngw_worker_reasm_pending(const struct ngw_worker *w, bool trusted);

/* ---------------------------------------------------------------------------------------- */
/* The control lcore (ngw_control.c)                                                         */
/* ---------------------------------------------------------------------------------------- */

/** Create the control lcore's context. Main thread. */
struct ngw_control *ngw_control_create(struct ngw_app *app, uint64_t wall_us);
void ngw_control_free(struct ngw_control *c);

/**
 * One iteration of the control loop: apply a requested public address, handle punted packets
 * (ARP, packets that need a session, packets waiting for a next hop), send REGISTER when due,
 * retire a bounded number of expired sessions and trust entries, run the neighbour timers,
 * reclaim, send.
 * @param now      milliseconds on the lcores' clock
 * @param wall_ms  wall clock (REGISTER carries it)
 * @return units of work done (0 when idle).
 */
unsigned int ngw_control_poll(struct ngw_control *c, uint64_t now, uint64_t wall_ms);

/** The loop (rte_eal_remote_launch entry point, or called on the main lcore). */
int ngw_control_main(void *arg);

/**
 * Start: resolve the configured route gateways, and schedule the first REGISTER (and the
 * fast phase) at @p now. Control lcore, or the main thread before launch.
 */
void ngw_control_start(struct ngw_control *c, uint64_t now);

/** Live sessions of one kind (a level the control lcore keeps). Any thread (a snapshot). */
uint64_t ngw_control_sessions(const struct ngw_control *c, enum ngw_kind kind);

/** When the next REGISTER is due (lcore clock, ms). Any thread (a snapshot). */
uint64_t ngw_control_next_register(const struct ngw_control *c);

/* ---------------------------------------------------------------------------------------- */
/* Telemetry (ngw_telemetry.c)                                                               */
/* ---------------------------------------------------------------------------------------- */

/** Register the /aves/natgw/ commands for @p app. Main thread, once. */
int ngw_telemetry_register(struct ngw_app *app);

/** Write the one-line summary (the periodic log line) into @p buf. Any thread. */
void ngw_summary(const struct ngw_app *app, char *buf, size_t cap);

#endif /* NGW_H */
