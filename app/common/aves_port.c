/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "aves_app_log.h"
#include "aves_port.h"

#define LINK_POLL_MS 100

int
aves_port_by_name(const char *name)
{
	uint16_t id;

	if (name == NULL || rte_eth_dev_get_port_by_name(name, &id) != 0)
		return -ENODEV;
	return id;
}

static int
wait_link(uint16_t port, uint32_t wait_ms, struct aves_port_info *info)
{
	struct rte_eth_link link;
	uint32_t waited = 0;

	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			break;
		if (waited >= wait_ms)
			break;
		rte_delay_ms(LINK_POLL_MS);
		waited += LINK_POLL_MS;
	}
	info->link_up = link.link_status == RTE_ETH_LINK_UP;
	info->link_speed = info->link_up && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ?
				   link.link_speed : 0;
	return 0;
}

int
aves_port_start(const struct aves_port_params *p, struct aves_port_info *info)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info dev;
	uint16_t rx_desc, tx_desc, q, port = p->port_id;
	uint32_t frame;
	uint64_t cksum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
			 RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!rte_eth_dev_is_valid_port(port) || p->pool == NULL || p->n_rxq == 0 ||
	    p->n_txq == 0 || p->mtu < 68) {
		AVES_APP_LOG(ERR, "port %u: invalid parameters", port);
		return -EINVAL;
	}
	ret = rte_eth_dev_info_get(port, &dev);
	if (ret != 0)
		return ret;
	rte_eth_dev_get_name_by_port(port, info->name);
	if (p->n_rxq > dev.max_rx_queues || p->n_txq > dev.max_tx_queues) {
		AVES_APP_LOG(ERR, "%s: needs %u RX and %u TX queues, the device has %u and %u",
			     info->name, p->n_rxq, p->n_txq, dev.max_rx_queues, dev.max_tx_queues);
		return -EINVAL;
	}
	frame = (uint32_t)p->mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	if (frame + RTE_PKTMBUF_HEADROOM > rte_pktmbuf_data_room_size(p->pool)) {
		AVES_APP_LOG(ERR, "%s: MTU %u does not fit the mbufs' data room", info->name,
			     p->mtu);
		return -EINVAL;
	}
	if (p->mtu > dev.max_mtu || p->mtu < dev.min_mtu) {
		AVES_APP_LOG(ERR, "%s: MTU %u outside the device's %u..%u", info->name, p->mtu,
			     dev.min_mtu, dev.max_mtu);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = p->mtu;
	if (p->n_rxq > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			      dev.flow_type_rss_offloads;

		if (hf != 0) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
			info->rss = true;
		} else {
			AVES_APP_LOG(WARNING, "%s: no RSS: the device chooses each packet's queue",
				     info->name);
		}
	}
	if ((dev.rx_offload_capa & cksum) == cksum) {
		conf.rxmode.offloads |= cksum;
		info->rx_cksum = true;
	}
	info->n_rxq = p->n_rxq;
	/*
	 * Without RSS we do not steer: the device picks the RX queue (net_tap and net_af_packet
	 * spread by the kernel's flow hash over every queue they have, virtio-user by its
	 * backend), so a queue nobody polls would silently lose packets. Poll as many RX queues
	 * as TX queues; those beyond the workers' are drained by the control lcore
	 * (aves_control_redirect). On a NIC the extra queue simply stays empty.
	 */
	if (!info->rss && p->n_rxq < p->n_txq && p->n_txq <= dev.max_rx_queues)
		info->n_rxq = p->n_txq;
	ret = rte_eth_dev_configure(port, info->n_rxq, p->n_txq, &conf);
	if (ret != 0 && info->n_rxq < p->n_txq && p->n_txq <= dev.max_rx_queues) {
		/* Some drivers pair their queues (net_tap, net_af_packet): as many RX as TX. */
		ret = rte_eth_dev_configure(port, p->n_txq, p->n_txq, &conf);
		if (ret == 0) {
			info->n_rxq = p->n_txq;
			AVES_APP_LOG(NOTICE, "%s: the driver needs %u RX queues (one per TX queue)",
				     info->name, info->n_rxq);
		}
	}
	if (ret != 0) {
		AVES_APP_LOG(ERR, "%s: configure: %s", info->name, rte_strerror(-ret));
		return ret;
	}
	rx_desc = p->rx_desc;
	tx_desc = p->tx_desc;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
	if (ret != 0)
		return ret;
	for (q = 0; q < info->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, rx_desc, rte_eth_dev_socket_id(port), NULL,
					     p->pool);
		if (ret != 0) {
			AVES_APP_LOG(ERR, "%s: RX queue %u: %s", info->name, q, rte_strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, tx_desc, rte_eth_dev_socket_id(port), NULL);
		if (ret != 0) {
			AVES_APP_LOG(ERR, "%s: TX queue %u: %s", info->name, q, rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		AVES_APP_LOG(ERR, "%s: start: %s", info->name, rte_strerror(-ret));
		return ret;
	}
	/* Only frames for our own MAC (and broadcasts, for ARP): the appliance is a host. */
	ret = rte_eth_promiscuous_disable(port);
	if (ret != 0 && ret != -ENOTSUP)
		AVES_APP_LOG(WARNING, "%s: cannot turn promiscuous mode off", info->name);
	ret = rte_eth_macaddr_get(port, &info->mac);
	if (ret != 0)
		return ret;
	return wait_link(port, p->link_wait_ms, info);
}

void
aves_port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
