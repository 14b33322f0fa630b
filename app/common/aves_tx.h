/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_tx.h
 * Per-lcore transmit buffers and per-port counters. Every lcore that sends owns one TX queue
 * on every port (aves_port.h sets them up), buffers the frames of a burst per port, and sends
 * them with one rte_eth_tx_burst() per port at the end; what the NIC does not take is freed
 * and counted, never retried in a loop.
 *
 * Threads: a struct aves_tx and the counters it points to belong to one lcore. Counters are
 * written by that lcore only and may be read by any thread with aves_ctr_read() (an aligned
 * 64-bit load is never torn; values are snapshots).
 */
#ifndef AVES_TX_H
#define AVES_TX_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Frames buffered per port before an early flush. */
#define AVES_TX_BURST 64

/** Counters of one port on one lcore. */
struct aves_port_ctr {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t tx_dropped;	/**< refused by the NIC (queue full) and freed */
};

/** Names of the fields of struct aves_port_ctr, in order, for telemetry. */
#define AVES_PORT_CTR_NAMES { "rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", "tx_dropped" }
/** Number of fields in struct aves_port_ctr. */
#define AVES_PORT_CTR_N 5

/** Read a counter another lcore writes. Any thread. */
static inline uint64_t
aves_ctr_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/** One port's buffer. */
struct aves_txq {
	uint16_t queue;		/**< this lcore's TX queue on the port */
	uint16_t n;		/**< frames buffered */
	struct rte_mbuf *pkts[AVES_TX_BURST];
};

/** One lcore's transmit state. */
struct aves_tx {
	struct aves_port_ctr *ctr;	/**< [RTE_MAX_ETHPORTS], this lcore's counters */
	uint64_t ports;			/**< bit p: port p has frames buffered */
	struct aves_txq q[RTE_MAX_ETHPORTS];
};

static_assert(RTE_MAX_ETHPORTS <= 64, "aves_tx.ports is a 64-bit mask");

/**
 * Set up an lcore's transmit state.
 * @param tx     the state
 * @param queue  the TX queue this lcore uses on every port
 * @param ctr    this lcore's port counters, RTE_MAX_ETHPORTS of them
 * Thread: the owner, or the main thread before launch.
 */
void aves_tx_init(struct aves_tx *tx, uint16_t queue, struct aves_port_ctr *ctr);

/** Send everything buffered; free and count (tx_dropped) what the NIC refused. Owner. */
void aves_tx_flush(struct aves_tx *tx);

/** Send what is buffered for one port. Owner. */
void aves_tx_flush_port(struct aves_tx *tx, uint16_t port);

/**
 * Buffer a complete frame (Ethernet header included) for @p port; flushes that port first
 * when its buffer is full. Owner lcore; per packet, no allocation.
 */
static inline void
aves_tx_push(struct aves_tx *tx, uint16_t port, struct rte_mbuf *m)
{
	struct aves_txq *q = &tx->q[port];

	if (q->n == AVES_TX_BURST)
		aves_tx_flush_port(tx, port);
	q->pkts[q->n++] = m;
	tx->ports |= UINT64_C(1) << port;
}

/** Count one received frame on @p port. Owner lcore. */
static inline void
aves_tx_count_rx(struct aves_tx *tx, uint16_t port, uint32_t bytes)
{
	tx->ctr[port].rx_pkts++;
	tx->ctr[port].rx_bytes += bytes;
}

#ifdef __cplusplus
}
#endif

#endif /* AVES_TX_H */
