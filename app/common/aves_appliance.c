/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building the part of an appliance both share. Everything here runs on the main thread
 * before the lcores start, or after they stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aves_appliance.h"
#include "aves_build.h"
#include "aves_port.h"
#include "aves_punt.h"
#include "aves_telemetry.h"

#define APP_LOG(b, level, fmt, ...) \
	rte_log(RTE_LOG_##level, (b)->logtype, "%s: " fmt "\n", (b)->prog, ##__VA_ARGS__)

/* "<prefix>_<what>": names of DPDK objects, unique per process. */
static const char *
obj_name(char *buf, size_t cap, const struct aves_appliance_params *p, const char *what)
{
	snprintf(buf, cap, "%s_%s", p->prefix, what);
	return buf;
}

/* Room for the largest frame of any port plus what the appliance adds at its tail. */
static uint16_t
data_room(const struct aves_appliance_conf *conf, uint32_t tail_room)
{
	uint32_t room = RTE_MBUF_DEFAULT_DATAROOM, i;

	for (i = 0; i < conf->n_ports; i++)
		room = RTE_MAX(room, RTE_ETHER_HDR_LEN + conf->ports[i].mtu + RTE_ETHER_CRC_LEN +
				     tail_room);
	return (uint16_t)(room + RTE_PKTMBUF_HEADROOM);
}

static int
make_pools(struct aves_appliance *b, const struct aves_appliance_conf *conf,
	   const struct aves_appliance_params *p)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	b->pool = rte_pktmbuf_pool_create(obj_name(name, sizeof(name), p, "pool"), conf->mbufs,
					  conf->mbuf_cache, 0, data_room(conf, p->tail_room),
					  SOCKET_ID_ANY);
	/* Fragments point into the original packet through indirect mbufs (no data room). */
	b->indirect = rte_pktmbuf_pool_create(obj_name(name, sizeof(name), p, "indirect"),
					      conf->mbufs / 4 + 1,
					      RTE_MIN(conf->mbuf_cache, (conf->mbufs / 4) / 2), 0, 0,
					      SOCKET_ID_ANY);
	/* Reassembled datagrams that do not fit one ordinary mbuf: up to 65535 - headroom. */
	if (p->big_buffers != 0)
		b->big = rte_pktmbuf_pool_create(obj_name(name, sizeof(name), p, "big"),
						 p->big_buffers, 0, 0, UINT16_MAX, SOCKET_ID_ANY);
	if (b->pool == NULL || b->indirect == NULL || (p->big_buffers != 0 && b->big == NULL)) {
		if (p->big_buffers != 0)
			APP_LOG(b, ERR, "cannot create the mbuf pools (%u mbufs, %u buffers): %s",
				conf->mbufs, p->big_buffers, rte_strerror(rte_errno));
		else
			APP_LOG(b, ERR, "cannot create the mbuf pools (%u mbufs): %s", conf->mbufs,
				rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
make_counters(struct aves_appliance *b, const struct aves_appliance_params *p)
{
	uint32_t l;

	for (l = 0; l <= b->n_workers; l++) {
		b->stats[l] = rte_zmalloc(p->prefix, p->stats_size, RTE_CACHE_LINE_SIZE);
		if (b->stats[l] == NULL)
			return -1;
		b->port_ctr[l] = (struct aves_port_ctr *)((char *)b->stats[l] + p->stats_port_off);
	}
	return 0;
}

static int
make_ports(struct aves_appliance *b, const struct aves_appliance_conf *conf,
	   const struct aves_appliance_params *p)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t i;

	memset(b->port_index, AVES_APP_NO_PORT, sizeof(b->port_index));
	for (i = 0; i < conf->n_ports; i++) {
		const struct aves_port_conf *pc = &conf->ports[i];
		struct aves_app_port *port = &b->ports[i];
		struct aves_port_info info;
		int id = aves_port_by_name(pc->device);

		if (id < 0) {
			APP_LOG(b, ERR, "%s: no such device (give it to EAL: -a or --vdev)",
				pc->device);
			return -1;
		}
		port->id = (uint16_t)id;
		port->mtu = (uint16_t)pc->mtu;
		port->addr = pc->addr;
		port->prefix_len = pc->prefix_len;
		if (p->start_ports) {
			struct aves_port_params pp = {
				.port_id = port->id,
				.n_rxq = (uint16_t)b->n_workers,
				.n_txq = (uint16_t)(b->n_workers + 1),
				.mtu = port->mtu,
				.rx_desc = (uint16_t)pc->rx_desc,
				.tx_desc = (uint16_t)pc->tx_desc,
				.pool = b->pool,
				.link_wait_ms = conf->link_wait_ms,
			};

			if (aves_port_start(&pp, &info) != 0)
				return -1;
			APP_LOG(b, INFO, "%s: port %u, %s%s" RTE_ETHER_ADDR_PRT_FMT ", MTU %u, %s, "
				"link %s", pc->device, port->id,
				p->port_role[i] != NULL ? p->port_role[i] : "",
				p->port_role[i] != NULL ? ", " : "",
				RTE_ETHER_ADDR_BYTES(&info.mac), port->mtu,
				info.rss ? "RSS" : "no RSS", info.link_up ? "up" : "down");
			port->mac = info.mac;
			port->n_rxq = info.n_rxq;
		} else if (rte_eth_macaddr_get(port->id, &port->mac) != 0) {
			return -1;
		} else {
			port->n_rxq = (uint16_t)b->n_workers;
		}
		if (port->n_rxq > b->n_workers && b->redirect == NULL) {
			b->redirect = rte_ring_create(obj_name(name, sizeof(name), p, "redirect"),
						      1024, SOCKET_ID_ANY,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (b->redirect == NULL)
				return -1;
		}
		b->port_index[port->id] = (uint8_t)i;
		b->n_ports++;
	}
	b->ports_started = p->start_ports;
	return 0;
}

static int
make_routes(struct aves_appliance *b, const struct aves_appliance_conf *conf,
	    const struct aves_appliance_params *p)
{
	char name[32];
	uint32_t i;

	b->routes = aves_route_create(obj_name(name, sizeof(name), p, "routes"),
				      conf->n_ports + conf->n_routes, SOCKET_ID_ANY);
	if (b->routes == NULL)
		return -1;
	for (i = 0; i < conf->n_ports; i++) {
		const struct aves_port_conf *pc = &conf->ports[i];
		uint32_t mask = rte_cpu_to_be_32(~UINT32_C(0) << (32 - pc->prefix_len));

		if (aves_route_add(b->routes, pc->addr & mask, pc->prefix_len, 0, b->ports[i].id,
				   b->ports[i].mtu) != 0)
			return -1;
	}
	for (i = 0; i < conf->n_routes; i++) {
		const struct aves_route_conf *r = &conf->routes[i];
		struct aves_hop hop;

		/* The configuration checked that the gateway is on a port's network. */
		if (aves_route_lookup(b->routes, r->via, &hop) != 0)
			return -1;
		if (aves_route_add(b->routes, r->prefix, r->len, r->via, hop.port,
				   b->ports[b->port_index[hop.port]].mtu) != 0) {
			APP_LOG(b, ERR, "route %u: cannot be added", i);
			return -1;
		}
	}
	return 0;
}

static int
make_shared(struct aves_appliance *b, const struct aves_appliance_conf *conf,
	    const struct aves_appliance_params *p)
{
	char name[32];
	struct aves_neigh_params np = {
		.name = obj_name(name, sizeof(name), p, "neigh"),
		.capacity = conf->neighbours,
		.hold_max = (uint16_t)conf->neigh_hold,
		.max_probes = (uint8_t)conf->neigh_probes,
		.retry_ms = conf->neigh_retry_ms,
		.reachable_ms = conf->neigh_reachable_ms,
		.failed_ms = conf->neigh_failed_ms,
		.socket_id = SOCKET_ID_ANY,
		.pool = b->pool,
		.local = b->local,
	};
	uint32_t i;

	b->qsbr = rte_zmalloc(p->prefix, rte_rcu_qsbr_get_memsize(b->n_workers),
			      RTE_CACHE_LINE_SIZE);
	if (b->qsbr == NULL || rte_rcu_qsbr_init(b->qsbr, b->n_workers) != 0)
		return -1;
	np.qsbr = b->qsbr;
	b->neigh = aves_neigh_create(&np);
	b->punt = aves_punt_create(obj_name(name, sizeof(name), p, "punt"), conf->punt_ring,
				   SOCKET_ID_ANY);
	if (b->neigh == NULL || b->punt == NULL)
		return -1;
	for (i = 0; i < b->n_ports; i++)
		if (aves_neigh_port(b->neigh, b->ports[i].id, &b->ports[i].mac, b->ports[i].addr,
				    b->ports[i].prefix_len) != 0)
			return -1;
	return 0;
}

int
aves_appliance_init(struct aves_appliance *b, const struct aves_appliance_conf *conf,
		    const struct aves_appliance_params *p)
{
	char name[32];

	b->prog = p->prog;
	b->logtype = p->logtype;
	b->timers = conf->timers;
	b->burst = (uint16_t)conf->burst;
	b->sweep_budget = conf->sweep_budget;
	b->stats_interval_ms = conf->stats_interval_ms;
	b->punt_ring_size = conf->punt_ring;
	b->idle_pause_after = conf->idle_pause_after;
	b->idle_sleep_after = conf->idle_sleep_after;
	b->idle_sleep_us = conf->idle_sleep_us;
	b->n_workers = conf->n_workers;

	if (make_pools(b, conf, p) != 0 || make_counters(b, p) != 0)
		return -1;
	b->local = aves_addr_map_create(obj_name(name, sizeof(name), p, "local"),
					p->local_capacity, SOCKET_ID_ANY);
	if (b->local == NULL || make_ports(b, conf, p) != 0 || make_routes(b, conf, p) != 0 ||
	    make_shared(b, conf, p) != 0)
		return -1;
	return 0;
}

void
aves_appliance_fini(struct aves_appliance *b)
{
	uint32_t i;

	aves_punt_free(b->punt);
	if (b->redirect != NULL) {
		void *m;

		while (rte_ring_sc_dequeue(b->redirect, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(b->redirect);
	}
	aves_neigh_free(b->neigh);
	rte_free(b->qsbr);
	aves_route_free(b->routes);
	aves_addr_map_free(b->local);
	/* Stopped, not closed: the caller owns the devices (main closes them at exit). */
	for (i = 0; i < b->n_ports && b->ports_started; i++)
		rte_eth_dev_stop(b->ports[i].id);
	for (i = 0; i <= b->n_workers && i <= AVES_CONF_WORKERS_MAX; i++)
		rte_free(b->stats[i]);
	rte_mempool_free(b->big);
	rte_mempool_free(b->indirect);
	rte_mempool_free(b->pool);
	memset(b, 0, sizeof(*b));
}

unsigned int
aves_control_redirect(const struct aves_appliance *b, uint64_t *full)
{
	struct rte_mbuf *pkts[AVES_APP_BURST_MAX];
	unsigned int p, n, put, total = 0;

	if (b->redirect == NULL)
		return 0;
	for (p = 0; p < b->n_ports; p++) {
		if (b->ports[p].n_rxq <= b->n_workers)
			continue;
		n = rte_eth_rx_burst(b->ports[p].id, (uint16_t)b->n_workers, pkts, b->burst);
		put = rte_ring_sp_enqueue_burst(b->redirect, (void **)pkts, n, NULL);
		while (put < n) {
			(*full)++;
			rte_pktmbuf_free(pkts[--n]);
		}
		total += n;
	}
	return total;
}

void
aves_control_resolve_gateways(const struct aves_appliance *b, struct aves_tx *tx, uint64_t now)
{
	uint32_t i, prefix, gateway;
	uint16_t port;
	uint8_t len;

	for (i = 0; aves_route_get(b->routes, i, &prefix, &len, &gateway, &port) == 0; i++)
		if (gateway != 0)
			aves_neigh_resolve(b->neigh, tx, port, gateway, now);
	aves_tx_flush(tx);
}

int
aves_lcore_init(struct aves_lcore *lc, const struct aves_appliance *b, uint32_t idx,
		bool is_control, uint64_t *ctr, const struct aves_lcore_ids *ids)
{
	memset(lc, 0, sizeof(*lc));
	lc->base = b;
	lc->idx = idx;
	lc->is_control = is_control;
	lc->ctr = ctr;
	lc->ids = *ids;
	lc->auth = aves_auth_ctx_create();
	if (lc->auth == NULL)
		return -ENOMEM;
	aves_tx_init(&lc->tx, (uint16_t)idx, b->port_ctr[idx]);
	return 0;
}

void
aves_lcore_fini(struct aves_lcore *lc)
{
	unsigned int i;

	for (i = 0; i < lc->n_punt; i++)
		rte_pktmbuf_free(lc->punt[i].m);
	lc->n_punt = 0;
	aves_tx_flush(&lc->tx);
	aves_auth_ctx_free(lc->auth);
	lc->auth = NULL;
}

void
aves_lcore_punt_flush(struct aves_lcore *lc)
{
	unsigned int put, i;

	if (lc->n_punt == 0)
		return;
	put = aves_punt_put(lc->base->punt, lc->punt, lc->n_punt);
	for (i = put; i < lc->n_punt; i++)
		aves_lcore_drop(lc, lc->ids.punt_full, lc->punt[i].m);
	lc->n_punt = 0;
}

void
aves_lcore_egress(struct aves_lcore *lc, struct rte_mbuf *m, const struct aves_hop *hop,
		  uint64_t now)
{
	const struct aves_appliance *b = lc->base;

	if (!lc->nh_valid || lc->nh_port != hop->port || lc->nh_ip != hop->nh) {
		switch (aves_neigh_lookup(b->neigh, hop->port, hop->nh, &lc->nh_mac)) {
		case AVES_NEIGH_OK:
			lc->nh_valid = true;
			lc->nh_port = hop->port;
			lc->nh_ip = hop->nh;
			break;
		case AVES_NEIGH_PENDING:
			lc->nh_valid = false;
			if (lc->is_control)
				aves_neigh_output(b->neigh, &lc->tx, hop->port, hop->nh, m, now);
			else
				aves_lcore_punt(lc, m, lc->ids.punt_hold_kind, hop->port, hop->nh,
						lc->ids.punt_hold);
			return;
		default:
			lc->nh_valid = false;
			aves_lcore_drop(lc, lc->ids.neigh_unreachable, m);
			return;
		}
	}
	if (aves_eth_prepend(m, aves_neigh_port_mac(b->neigh, hop->port), &lc->nh_mac,
			     RTE_ETHER_TYPE_IPV4) != 0) {
		aves_lcore_drop(lc, lc->ids.no_headroom, m);
		return;
	}
	aves_tx_push(&lc->tx, hop->port, m);
}

void
aves_appliance_ctr_sum(const struct aves_appliance *b, size_t off, unsigned int n,
		       uint64_t *out)
{
	const uint64_t *bases[AVES_CONF_WORKERS_MAX + 1];
	uint32_t l;

	for (l = 0; l <= b->n_workers; l++)
		bases[l] = (const uint64_t *)((const char *)b->stats[l] + off);
	aves_ctr_sum(out, n, bases, b->n_workers + 1);
}

int
aves_appliance_tel_group(struct rte_tel_data *d, const char *name,
			 const struct aves_appliance *b, size_t off, const char *const *names,
			 unsigned int n)
{
	uint64_t v[AVES_APP_GROUP_MAX];

	if (n > AVES_APP_GROUP_MAX)
		return -1;
	aves_appliance_ctr_sum(b, off, n, v);
	return aves_tel_add_counters(d, name, names, v, n);
}

int
aves_appliance_tel_ports(struct rte_tel_data *d, const struct aves_appliance *b)
{
	const struct aves_port_ctr *ports[AVES_CONF_WORKERS_MAX + 1];
	uint16_t port_ids[AVES_CONF_PORTS_MAX];
	uint64_t neigh[AVES_NEIGH_CTR_MAX];
	uint32_t i;
	int ret;

	aves_neigh_counters(b->neigh, neigh);
	ret = aves_tel_add_counters(d, "neighbours", aves_neigh_ctr_names, neigh,
				    AVES_NEIGH_CTR_MAX);
	for (i = 0; i < b->n_ports; i++)
		port_ids[i] = b->ports[i].id;
	for (i = 0; i <= b->n_workers; i++)
		ports[i] = b->port_ctr[i];
	ret |= aves_tel_add_ports(d, "ports", port_ids, b->n_ports, ports, b->n_workers + 1);
	return ret;
}

void
aves_appliance_port_totals(const struct aves_appliance *b, uint64_t *rx, uint64_t *tx)
{
	uint32_t l, p;

	*rx = *tx = 0;
	for (l = 0; l <= b->n_workers; l++)
		for (p = 0; p < b->n_ports; p++) {
			*rx += aves_ctr_read(&b->port_ctr[l][b->ports[p].id].rx_pkts);
			*tx += aves_ctr_read(&b->port_ctr[l][b->ports[p].id].tx_pkts);
		}
}
