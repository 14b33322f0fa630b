/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "aves_tx.h"

void
aves_tx_init(struct aves_tx *tx, uint16_t queue, struct aves_port_ctr *ctr)
{
	unsigned int p;

	memset(tx, 0, sizeof(*tx));
	tx->ctr = ctr;
	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		tx->q[p].queue = queue;
}

void
aves_tx_flush_port(struct aves_tx *tx, uint16_t port)
{
	struct aves_txq *q = &tx->q[port];
	struct aves_port_ctr *c = &tx->ctr[port];
	uint64_t bytes = 0;
	uint16_t sent, i;

	if (q->n == 0)
		return;
	/* Lengths first: a sent mbuf belongs to the driver. */
	for (i = 0; i < q->n; i++)
		bytes += q->pkts[i]->pkt_len;
	sent = rte_eth_tx_burst(port, q->queue, q->pkts, q->n);
	for (i = sent; i < q->n; i++) {
		bytes -= q->pkts[i]->pkt_len;
		rte_pktmbuf_free(q->pkts[i]);
	}
	c->tx_pkts += sent;
	c->tx_bytes += bytes;
	c->tx_dropped += (uint64_t)(q->n - sent);
	q->n = 0;
	tx->ports &= ~(UINT64_C(1) << port);
}

void
aves_tx_flush(struct aves_tx *tx)
{
	while (tx->ports != 0)
		aves_tx_flush_port(tx, (uint16_t)rte_bsf64(tx->ports));
}
