/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_neigh.h
 * Neighbours: the ARP table of an appliance's ports (RFC 826, with the reply and learning
 * behaviour of a Linux host), resolution of next hops with retries, packets held briefly
 * while their next hop is unresolved, and the ARP frames the appliance answers and sends.
 *
 * Ownership (docs/ARCHITECTURE.md): the control lcore is the only writer. It creates, updates,
 * ages and deletes entries, holds packets, and sends every ARP frame. Workers only look entries
 * up (lock-free, aves_table SHARED mode with RCU reclaim): a worker whose next hop is not
 * resolved hands the packet to the control lcore (aves_punt.h), which holds it and resolves.
 *
 * Entry states:
 * - INCOMPLETE: a request was sent; packets are held (at most hold_max per neighbour, the rest
 *   dropped and counted); re-sent every retry_ms, max_probes times in all, then FAILED.
 * - REACHABLE: usable; confirmed by an ARP frame from the neighbour within reachable_ms.
 * - PROBE: still usable while the control lcore re-checks it with unicast requests
 *   (max_probes, retry_ms apart); no answer deletes the entry.
 * - FAILED: resolution failed; packets toward it are dropped (counted) for failed_ms, then the
 *   entry is deleted and the next packet starts a new resolution.
 */
#ifndef AVES_NEIGH_H
#define AVES_NEIGH_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "aves_route.h"
#include "aves_tx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most packets held for one unresolved neighbour. */
#define AVES_NEIGH_HOLD_MAX 64

/**
 * Counters of the neighbour subsystem: X(enum suffix, telemetry name). Written by the control
 * lcore, read by telemetry.
 */
#define AVES_NEIGH_COUNTERS(X) \
	X(REQUEST_RX,    "arp_request_rx")    /* valid ARP requests received */ \
	X(REPLY_RX,      "arp_reply_rx")      /* valid ARP replies received */ \
	X(REPLY_TX,      "arp_reply_tx")      /* replies sent for our addresses */ \
	X(REQUEST_TX,    "arp_request_tx")    /* requests sent to resolve or probe */ \
	X(TRUNCATED,     "arp_truncated")     /* frame shorter than an Ethernet ARP packet */ \
	X(FORMAT,        "arp_format")        /* not Ethernet/IPv4 ARP (hrd, pro, hln, pln) */ \
	X(BAD_OP,        "arp_bad_op")        /* neither request nor reply */ \
	X(BAD_SENDER,    "arp_bad_sender")    /* group or zero sender MAC, martian sender IP */ \
	X(CONFLICT,      "arp_conflict")      /* someone else claims one of our addresses */ \
	X(NOT_FOR_US,    "arp_not_for_us")    /* request for an address that is not ours */ \
	X(OFF_LINK,      "arp_off_link")      /* sender outside the port's prefix: not learned */ \
	X(UNSOLICITED,   "arp_unsolicited")   /* reply from a host we did not ask: not learned */ \
	X(LEARNED,       "neigh_learned")     /* entry created from a request to us */ \
	X(RESOLVED,      "neigh_resolved")    /* INCOMPLETE became REACHABLE */ \
	X(CONFIRMED,     "neigh_confirmed")   /* REACHABLE/PROBE refreshed */ \
	X(CHANGED,       "neigh_changed")     /* a neighbour's MAC changed */ \
	X(HELD,          "neigh_held")        /* packets queued on an unresolved entry */ \
	X(HOLD_FULL,     "neigh_hold_full")   /* dropped: that entry already held hold_max */ \
	X(RELEASED,      "neigh_released")    /* held packets sent after resolution */ \
	X(FAILED,        "neigh_failed")      /* resolutions that got no answer */ \
	X(FAILED_DROP,   "neigh_failed_drop") /* packets dropped because resolution failed */ \
	X(TABLE_FULL,    "neigh_table_full")  /* no entry could be created: the cap */ \
	X(DELETED,       "neigh_deleted")     /* entries removed (failed, or unconfirmed) */ \
	X(NO_MBUF,       "neigh_no_mbuf")     /* an ARP request could not be allocated */ \
	X(NO_HEADROOM,   "neigh_no_headroom") /* a packet had no room for its Ethernet header */

/** Index of each counter. */
enum aves_neigh_ctr {
#define AVES_NEIGH_CTR_ENUM_(name, str) AVES_NEIGH_##name,
	AVES_NEIGH_COUNTERS(AVES_NEIGH_CTR_ENUM_)
#undef AVES_NEIGH_CTR_ENUM_
	AVES_NEIGH_CTR_MAX
};

/** Counter names, indexed by enum aves_neigh_ctr. */
extern const char *const aves_neigh_ctr_names[AVES_NEIGH_CTR_MAX];

/** Parameters of aves_neigh_create(). */
struct aves_neigh_params {
	const char *name;		/**< unique per process, 1..20 characters */
	uint32_t capacity;		/**< most neighbours, the hard cap */
	uint16_t hold_max;		/**< packets held per unresolved neighbour, 1..HOLD_MAX */
	uint8_t max_probes;		/**< requests per resolution or re-check, >= 1 */
	uint32_t retry_ms;		/**< between requests, >= 1 */
	uint32_t reachable_ms;		/**< a confirmation lasts this long, >= 1 */
	uint32_t failed_ms;		/**< a failed entry drops packets this long, >= 1 */
	int socket_id;
	struct rte_rcu_qsbr *qsbr;	/**< the workers' QSBR variable (reclaim) */
	struct rte_mempool *pool;	/**< for ARP requests */
	const struct aves_addr_map *local; /**< our addresses: ARP is answered for these */
};

struct aves_neigh_table;

/**
 * Create the table.
 * @return the table, or NULL with rte_errno set (EINVAL, logged; ENOMEM; EEXIST).
 * Thread: start-up.
 */
struct aves_neigh_table *aves_neigh_create(const struct aves_neigh_params *p);

/** Free the table, dropping held packets; NULL is a no-op. After every lcore stopped. */
void aves_neigh_free(struct aves_neigh_table *nt);

/**
 * Declare a port's identity: its MAC (source of every frame sent on it) and its interface
 * address and prefix (sender of our requests; only neighbours inside the prefix are learned).
 * ARP is answered for the addresses of the address map and for every declared port's address.
 * @return 0, or -EINVAL.
 * Thread: start-up.
 */
int aves_neigh_port(struct aves_neigh_table *nt, uint16_t port, const struct rte_ether_addr *mac,
		    uint32_t addr, uint8_t prefix_len);

/**
 * Change a declared port's own address at run time (a DHCP lease renewed with another address
 * on the same network): ARP requests are sent from it and ARP is answered for it from now on;
 * the old address is no longer answered for (unless the address map holds it). The prefix
 * does not change, so learned neighbours stay valid.
 * @return 0, or -EINVAL (port not declared, or @p addr outside its prefix).
 * Thread: the control lcore (the only reader of a port's address).
 */
int aves_neigh_port_readdress(struct aves_neigh_table *nt, uint16_t port, uint32_t addr);

/** The MAC declared for @p port. Any thread (immutable after start-up). */
const struct rte_ether_addr *aves_neigh_port_mac(const struct aves_neigh_table *nt,
						 uint16_t port);

/** What aves_neigh_lookup() found. */
enum aves_neigh_result {
	AVES_NEIGH_OK = 0,	/**< usable: @p mac is set */
	AVES_NEIGH_PENDING,	/**< no entry, or resolution in progress: give the packet to
				 *   the control lcore (aves_neigh_output) */
	AVES_NEIGH_UNREACHABLE,	/**< resolution failed recently: drop and count */
};

/**
 * Look a next hop up.
 * @param port  the port the packet leaves by
 * @param ip    next hop, network order
 * @param mac   out, on AVES_NEIGH_OK
 * Thread: any lcore registered with the QSBR variable (the workers), and the control lcore.
 * Lock-free; no writes.
 */
enum aves_neigh_result aves_neigh_lookup(const struct aves_neigh_table *nt, uint16_t port,
					 uint32_t ip, struct rte_ether_addr *mac);

/** What aves_neigh_output() did with a packet. */
enum aves_neigh_output {
	AVES_NEIGH_OUT_SENT = 0,	/**< resolved: framed and buffered on @p tx */
	AVES_NEIGH_OUT_HELD,		/**< held until the next hop answers */
	AVES_NEIGH_OUT_DROPPED,		/**< freed and counted (hold full, failed, table full) */
};

/**
 * Send an IPv4 packet to an on-link next hop, resolving it first if need be: a resolved
 * neighbour gets the frame at once (Ethernet header prepended, buffered on @p tx); an
 * unresolved one holds it (and a new entry sends its first request); otherwise the packet is
 * dropped and counted. The packet is consumed in every case.
 * @param tx    the control lcore's transmit state
 * @param port  port to leave by; @p ip must be on its link
 * @param ip    next hop, network order
 * @param m     the packet, data at its IPv4 header
 * @param now   milliseconds
 * Thread: the control lcore.
 */
enum aves_neigh_output aves_neigh_output(struct aves_neigh_table *nt, struct aves_tx *tx,
					 uint16_t port, uint32_t ip, struct rte_mbuf *m,
					 uint64_t now);

/**
 * Handle a received ARP frame (data at its Ethernet header; the caller checked the
 * EtherType): validate it, learn or refresh the sender (releasing packets held for it),
 * and answer a request for one of our addresses by turning the frame into the reply, in place,
 * sent on the port it came from. The frame is consumed.
 * Thread: the control lcore.
 */
void aves_neigh_arp_input(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port,
			  struct rte_mbuf *m, uint64_t now);

/**
 * Start resolving @p ip on @p port without a packet (e.g. the configured gateways at
 * start-up, so that the first packets find them resolved).
 * @return 0, -EEXIST (already known or in progress), -ENOSPC (table full), -ENOMEM.
 * Thread: the control lcore (or the main thread before launch).
 */
int aves_neigh_resolve(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port,
		       uint32_t ip, uint64_t now);

/**
 * Run the entries' timers — resend requests, fail resolutions, re-check old entries, delete
 * dead ones — visiting at most @p budget entries (a cursor carries on from call to call), and
 * reclaim deleted entries whose grace period is over.
 * @return the number of entries that needed an action.
 * Thread: the control lcore.
 */
unsigned int aves_neigh_timers(struct aves_neigh_table *nt, struct aves_tx *tx, uint64_t now,
			       unsigned int budget);

/** Published entries. Any thread (a snapshot). */
uint32_t aves_neigh_count(const struct aves_neigh_table *nt);

/** The cap. Any thread. */
uint32_t aves_neigh_capacity(const struct aves_neigh_table *nt);

/** Read the counters into @p out (AVES_NEIGH_CTR_MAX values). Any thread (a snapshot). */
void aves_neigh_counters(const struct aves_neigh_table *nt, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* AVES_NEIGH_H */
