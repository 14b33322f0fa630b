/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aves_harness.h"

#define RING_SIZE 1024

int
aves_h_port_create(struct aves_h_port *p, const char *name, unsigned int n_rxq,
		   unsigned int n_txq)
{
	char ring_name[RTE_RING_NAMESIZE];
	unsigned int q;
	int port;

	memset(p, 0, sizeof(*p));
	if (n_rxq == 0 || n_txq == 0 || n_rxq > AVES_H_QUEUES_MAX || n_txq > AVES_H_QUEUES_MAX)
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	for (q = 0; q < n_rxq; q++) {
		snprintf(ring_name, sizeof(ring_name), "h_%s_rx%u", name, q);
		p->rx[q] = rte_ring_create(ring_name, RING_SIZE, SOCKET_ID_ANY,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->rx[q] == NULL)
			goto fail;
	}
	for (q = 0; q < n_txq; q++) {
		snprintf(ring_name, sizeof(ring_name), "h_%s_tx%u", name, q);
		p->tx[q] = rte_ring_create(ring_name, RING_SIZE, SOCKET_ID_ANY,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->tx[q] == NULL)
			goto fail;
	}
	port = rte_eth_from_rings(name, p->rx, n_rxq, p->tx, n_txq, SOCKET_ID_ANY);
	if (port < 0)
		goto fail;
	p->port_id = (uint16_t)port;
	return 0;
fail:
	fprintf(stderr, "harness: cannot create port %s\n", name);
	for (q = 0; q < AVES_H_QUEUES_MAX; q++) {
		rte_ring_free(p->rx[q]);
		rte_ring_free(p->tx[q]);
	}
	memset(p, 0, sizeof(*p));
	return -1;
}

static void
free_ring_mbufs(struct rte_ring *r)
{
	void *obj;

	while (r != NULL && rte_ring_dequeue(r, &obj) == 0)
		rte_pktmbuf_free(obj);
}

unsigned int
aves_h_drain(struct aves_h_port *p)
{
	unsigned int q, n = 0;

	for (q = 0; q < p->n_txq; q++) {
		n += rte_ring_count(p->tx[q]);
		free_ring_mbufs(p->tx[q]);
	}
	return n;
}

void
aves_h_port_destroy(struct aves_h_port *p)
{
	char dev_name[64];
	unsigned int q;

	if (p->n_rxq == 0)
		return;
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
	snprintf(dev_name, sizeof(dev_name), "net_ring_%s", p->name);
	rte_vdev_uninit(dev_name);
	for (q = 0; q < AVES_H_QUEUES_MAX; q++) {
		free_ring_mbufs(p->rx[q]);
		free_ring_mbufs(p->tx[q]);
		rte_ring_free(p->rx[q]);
		rte_ring_free(p->tx[q]);
	}
	memset(p, 0, sizeof(*p));
}

int
aves_h_inject(struct aves_h_port *p, unsigned int q, struct rte_mempool *pool,
	      const uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m;
	char *data;

	if (q >= p->n_rxq)
		return -1;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return -1;
	data = rte_pktmbuf_append(m, len);
	if (data == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(data, frame, len);
	if (rte_ring_enqueue(p->rx[q], m) != 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

int
aves_h_take(struct aves_h_port *p, unsigned int q, uint8_t *out, size_t cap)
{
	struct rte_mbuf *m;
	const void *data;
	void *obj;
	int len;

	if (q >= p->n_txq || rte_ring_dequeue(p->tx[q], &obj) != 0)
		return -1;
	m = obj;
	if (m->pkt_len > cap) {
		rte_pktmbuf_free(m);
		return -1;
	}
	data = rte_pktmbuf_read(m, 0, m->pkt_len, out);
	if (data != out)
		memcpy(out, data, m->pkt_len);
	len = (int)m->pkt_len;
	rte_pktmbuf_free(m);
	return len;
}

unsigned int
aves_h_pending(const struct aves_h_port *p, unsigned int q)
{
	return q < p->n_txq ? rte_ring_count(p->tx[q]) : 0;
}

/* ---------------------------------------------------------------------------------------- */

static uint32_t
sum16(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t
aves_h_cksum(const void *data, size_t len)
{
	uint16_t host = fold(sum16(0, data, len));

	return rte_cpu_to_be_16(host);
}

/* Sum of the pseudo-header of an IPv4 packet for protocol @p proto and L4 length @p l4len. */
static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
	uint32_t sum = sum16(0, ip + 12, 8);

	return sum + proto + l4len;
}

void
aves_h_ipv4_fix(uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 0xf) * 4u;
	uint16_t total = get16(ip + 2);
	uint16_t frag = get16(ip + 6);
	uint8_t *l4 = ip + ihl;
	uint16_t l4len = (uint16_t)(total - ihl);
	uint16_t ck;

	put16(ip + 10, 0);
	put16(ip + 10, fold(sum16(0, ip, ihl)));
	if ((frag & 0x3fff) != 0)
		return;
	switch (ip[9]) {
	case IPPROTO_TCP:
		put16(l4 + 16, 0);
		put16(l4 + 16, fold(sum16(pseudo(ip, IPPROTO_TCP, l4len), l4, l4len)));
		break;
	case IPPROTO_UDP:
		if (get16(l4 + 6) == 0)
			break; /* no checksum: keep it so */
		put16(l4 + 6, 0);
		ck = fold(sum16(pseudo(ip, IPPROTO_UDP, l4len), l4, l4len));
		put16(l4 + 6, ck == 0 ? 0xffff : ck);
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, 0);
		put16(l4 + 2, fold(sum16(0, l4, l4len)));
		break;
	default:
		break;
	}
}

bool
aves_h_ipv4_ok(const uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 0xf) * 4u;
	uint16_t total = get16(ip + 2);
	uint16_t frag = get16(ip + 6);
	const uint8_t *l4 = ip + ihl;
	uint16_t l4len = (uint16_t)(total - ihl);

	if (fold(sum16(0, ip, ihl)) != 0)
		return false;
	if ((frag & 0x3fff) != 0)
		return true;
	switch (ip[9]) {
	case IPPROTO_TCP:
		return fold(sum16(pseudo(ip, IPPROTO_TCP, l4len), l4, l4len)) == 0;
	case IPPROTO_UDP:
		return get16(l4 + 6) == 0 ||
		       fold(sum16(pseudo(ip, IPPROTO_UDP, l4len), l4, l4len)) == 0;
	case IPPROTO_ICMP:
		return fold(sum16(0, l4, l4len)) == 0;
	default:
		return true;
	}
}

uint32_t
aves_h_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

static size_t
put_eth(uint8_t *buf, const struct aves_h_eth *eth, uint16_t type)
{
	memcpy(buf, &eth->dst, 6);
	memcpy(buf + 6, &eth->src, 6);
	put16(buf + 12, type);
	return 14;
}

/* IPv4 header for @p l4len bytes of protocol @p proto; checksum left to aves_h_ipv4_fix. */
static void
put_ip(uint8_t *ip, const struct aves_h_ip *h, uint8_t proto, uint16_t l4len)
{
	ip[0] = 0x45;
	ip[1] = h->tos;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, h->id);
	put16(ip + 6, h->frag);
	ip[8] = h->ttl != 0 ? h->ttl : 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, &h->src, 4);
	memcpy(ip + 16, &h->dst, 4);
}

size_t
aves_h_ip_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
		uint8_t proto, const void *payload, uint16_t len)
{
	size_t off = put_eth(buf, eth, RTE_ETHER_TYPE_IPV4);

	put_ip(buf + off, ip, proto, len);
	memcpy(buf + off + 20, payload, len);
	put16(buf + off + 10, fold(sum16(0, buf + off, 20)));
	return off + 20 + len;
}

size_t
aves_h_udp_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
		 uint16_t sport, uint16_t dport, const void *payload, uint16_t len)
{
	size_t off = put_eth(buf, eth, RTE_ETHER_TYPE_IPV4);
	uint8_t *udp = buf + off + 20;

	put_ip(buf + off, ip, IPPROTO_UDP, (uint16_t)(8 + len));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 1); /* non-zero: aves_h_ipv4_fix computes it */
	memcpy(udp + 8, payload, len);
	aves_h_ipv4_fix(buf + off);
	return off + 28 + len;
}

size_t
aves_h_tcp_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
		 uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		 const void *payload, uint16_t len)
{
	size_t off = put_eth(buf, eth, RTE_ETHER_TYPE_IPV4);
	uint8_t *tcp = buf + off + 20;
	uint32_t be;

	put_ip(buf + off, ip, IPPROTO_TCP, (uint16_t)(20 + len));
	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	be = rte_cpu_to_be_32(seq);
	memcpy(tcp + 4, &be, 4);
	be = rte_cpu_to_be_32(ack);
	memcpy(tcp + 8, &be, 4);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (len != 0)
		memcpy(tcp + 20, payload, len);
	aves_h_ipv4_fix(buf + off);
	return off + 40 + len;
}

size_t
aves_h_icmp_echo_frame(uint8_t *buf, const struct aves_h_eth *eth, const struct aves_h_ip *ip,
		       uint8_t type, uint16_t ident, uint16_t seq, const void *payload,
		       uint16_t len)
{
	size_t off = put_eth(buf, eth, RTE_ETHER_TYPE_IPV4);
	uint8_t *icmp = buf + off + 20;

	put_ip(buf + off, ip, IPPROTO_ICMP, (uint16_t)(8 + len));
	icmp[0] = type;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, ident);
	put16(icmp + 6, seq);
	if (len != 0)
		memcpy(icmp + 8, payload, len);
	aves_h_ipv4_fix(buf + off);
	return off + 28 + len;
}

size_t
aves_h_arp_frame(uint8_t *buf, const struct aves_h_eth *eth, uint16_t op,
		 const struct rte_ether_addr *sha, uint32_t sip, const struct rte_ether_addr *tha,
		 uint32_t tip)
{
	size_t off = put_eth(buf, eth, RTE_ETHER_TYPE_ARP);
	uint8_t *arp = buf + off;

	put16(arp, RTE_ARP_HRD_ETHER);
	put16(arp + 2, RTE_ETHER_TYPE_IPV4);
	arp[4] = 6;
	arp[5] = 4;
	put16(arp + 6, op);
	memcpy(arp + 8, sha, 6);
	memcpy(arp + 14, &sip, 4);
	memcpy(arp + 18, tha, 6);
	memcpy(arp + 24, &tip, 4);
	return off + 28;
}
