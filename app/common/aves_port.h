/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_port.h
 * Bringing up a DPDK port the way the appliances use it: one RX queue per worker lcore with
 * RSS spreading flows across them, one TX queue per sending lcore (workers and the control
 * lcore each have their own, so nobody shares a queue), the configured MTU, promiscuous mode
 * off, RX checksum offloads when the device has them, and a bounded wait for the link.
 * Works the same on a physical NIC, net_tap, virtio_user, net_af_packet and net_ring.
 *
 * Threads: the main thread, before lcores are launched and after they stopped.
 */
#ifndef AVES_PORT_H
#define AVES_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What to set up. */
struct aves_port_params {
	uint16_t port_id;
	uint16_t n_rxq;			/**< RX queues: one per worker, >= 1 */
	uint16_t n_txq;			/**< TX queues: one per sending lcore, >= 1 */
	uint16_t mtu;			/**< IPv4 MTU, 68..9000 */
	uint16_t rx_desc;		/**< ring sizes; adjusted to the device's limits */
	uint16_t tx_desc;
	struct rte_mempool *pool;	/**< RX buffers */
	uint32_t link_wait_ms;		/**< how long to wait for link up (0: do not wait) */
};

/** What the port ended up with. */
struct aves_port_info {
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t n_rxq;		/**< RX queues set up: n_rxq of the parameters, or n_txq when
				 *   the driver needs as many RX as TX queues (net_tap,
				 *   net_af_packet); the extra ones receive traffic too and must
				 *   be polled by someone */
	bool rss;		/**< flows are spread across the RX queues */
	bool rx_cksum;		/**< the device checks IPv4/TCP/UDP checksums on receive */
	bool link_up;		/**< at the end of the wait */
	uint32_t link_speed;	/**< Mb/s, 0 when unknown */
};

/**
 * Configure and start a port.
 * @param p     parameters (checked: queue counts against the device's limits, the MTU
 *              against the device and the pool's data room)
 * @param info  out: what was configured
 * @return 0, or a negative errno (logged with the reason): -EINVAL (a parameter the device
 *         cannot take), or what the ethdev call returned.
 */
int aves_port_start(const struct aves_port_params *p, struct aves_port_info *info);

/** Stop and close a started port (its queues' mbufs go back to the pool). */
void aves_port_stop(uint16_t port_id);

/**
 * Find a port by the device name EAL gave it ("net_tap0", "0000:03:00.0", "net_ring_x").
 * @return the port id, or -ENODEV.
 */
int aves_port_by_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* AVES_PORT_H */
