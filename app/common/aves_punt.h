/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_punt.h
 * The worker -> control lcore ring (docs/ARCHITECTURE.md, "Creating state from the data
 * path"): a worker that needs the owner of some state to act — a packet that needs a decision
 * only the control lcore may take, an ARP frame, a control message, a packet waiting for its
 * next hop to be resolved — hands it over here instead of writing shared state itself.
 *
 * One ring per appliance: multi-producer (every worker), single consumer (the control lcore).
 * Elements are 16-byte descriptors carrying the packet and what the application needs to
 * know about it. The ring is bounded: when it is full the worker frees the packet and counts
 * it; it never waits.
 */
#ifndef AVES_PUNT_H
#define AVES_PUNT_H

#include <assert.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One punted packet. @c kind and @c arg are the application's. */
struct aves_punt {
	struct rte_mbuf *m;
	uint32_t arg;	/**< e.g. a waypoint address index, or a next-hop address */
	uint16_t port;	/**< the port it arrived on, or leaves by */
	uint8_t kind;	/**< what the consumer must do with it */
	uint8_t from;	/**< index of the producing lcore */
};
static_assert(sizeof(struct aves_punt) == 16, "punt descriptors are 16 bytes");

/**
 * Create the ring.
 * @param name       unique per process
 * @param count      descriptors it holds, 1..(1 << 24) (need not be a power of two)
 * @param socket_id  NUMA socket or SOCKET_ID_ANY
 * @return the ring, or NULL with rte_errno set.
 * Thread: start-up.
 */
struct rte_ring *aves_punt_create(const char *name, unsigned int count, int socket_id);

/** Free the ring and any packet still in it; NULL is a no-op. After the lcores stopped. */
void aves_punt_free(struct rte_ring *r);

/**
 * Hand over @p n descriptors (a worker's punts of one burst, in order).
 * @return how many were enqueued (a prefix of @p p); the caller frees and counts the rest.
 * Thread: any producer (workers), concurrently; never blocks.
 */
static inline unsigned int
aves_punt_put(struct rte_ring *r, const struct aves_punt *p, unsigned int n)
{
	return rte_ring_mp_enqueue_burst_elem(r, p, sizeof(*p), n, NULL);
}

/**
 * Take up to @p n descriptors, in the order they were put.
 * @param remaining  if not NULL, set to the number still in the ring after this call
 * @return the number taken.
 * Thread: the consumer (control lcore) only.
 */
static inline unsigned int
aves_punt_take(struct rte_ring *r, struct aves_punt *p, unsigned int n, unsigned int *remaining)
{
	return rte_ring_sc_dequeue_burst_elem(r, p, sizeof(*p), n, remaining);
}

#ifdef __cplusplus
}
#endif

#endif /* AVES_PUNT_H */
