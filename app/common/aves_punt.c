/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_errno.h>

#include "aves_punt.h"

struct rte_ring *
aves_punt_create(const char *name, unsigned int count, int socket_id)
{
	if (count == 0 || count > (1u << 24)) {
		rte_errno = EINVAL;
		return NULL;
	}
	return rte_ring_create_elem(name, sizeof(struct aves_punt), count, socket_id,
				    RING_F_SC_DEQ | RING_F_EXACT_SZ);
}

void
aves_punt_free(struct rte_ring *r)
{
	struct aves_punt p;

	if (r == NULL)
		return;
	while (rte_ring_sc_dequeue_elem(r, &p, sizeof(p)) == 0)
		rte_pktmbuf_free(p.m);
	rte_ring_free(r);
}
