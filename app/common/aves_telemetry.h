/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_telemetry.h
 * Per-lcore counters read through DPDK telemetry. Each lcore counts in its own cache-aligned
 * struct (a single writer, no atomics on the data path); a telemetry command sums the lcores'
 * values with relaxed loads and returns them as JSON dictionaries named after the X-macro
 * lists that define the counters.
 *
 * Threads: the helpers run in the telemetry thread (a callback of
 * rte_telemetry_register_cmd()) and only read what the lcores write.
 */
#ifndef AVES_TELEMETRY_H
#define AVES_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include <rte_telemetry.h>

#include "aves_flow.h"
#include "aves_icmp.h"
#include "aves_table.h"
#include "aves_tx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Sum @p n consecutive uint64_t counters over lcores: out[i] = sum over l < n_lcores of
 * bases[l][i], where bases[l] is lcore l's first counter of the group. Relaxed loads: the
 * values are snapshots.
 */
void aves_ctr_sum(uint64_t *out, unsigned int n, const uint64_t *const *bases,
		  unsigned int n_lcores);

/**
 * Add a dictionary @p name = { names[i]: values[i] } to dictionary @p d.
 * @return 0, or a negative errno from the telemetry library (-ENOMEM, -ENOSPC).
 */
int aves_tel_add_counters(struct rte_tel_data *d, const char *name, const char *const *names,
			  const uint64_t *values, unsigned int n);

/**
 * Add a dictionary @p name with one entry per port: the lcores' struct aves_port_ctr summed,
 * plus the device's own statistics (rte_eth_stats_get: ipackets, opackets, imissed, ierrors,
 * oerrors, rx_nombuf).
 * @param d          the dictionary to add to
 * @param name       its key
 * @param ports      DPDK port ids
 * @param n_ports    number of ports
 * @param per_lcore  per_lcore[l] is lcore l's array of RTE_MAX_ETHPORTS counters
 * @param n_lcores   number of lcores
 * @return 0, or a negative errno.
 */
int aves_tel_add_ports(struct rte_tel_data *d, const char *name, const uint16_t *ports,
		       unsigned int n_ports, const struct aves_port_ctr *const *per_lcore,
		       unsigned int n_lcores);

/** Names of the aves_parse_ipv4() results ("ok" first), for a counter group by reason. */
extern const char *const aves_tel_parse_names[AVES_PARSE_REASON_MAX];

/** Names of the reasons an ICMP error is not sent ("none" first). */
extern const char *const aves_tel_icmp_refusal_names[AVES_ICMP_REFUSE_MAX];

/**
 * Add a dictionary @p name with a table's occupancy and counters: count, capacity,
 * published, deleted, reclaimed, full, hash_full, exists, retiring.
 * @return 0, or a negative errno.
 */
int aves_tel_add_table(struct rte_tel_data *d, const char *name, const struct aves_table *t);

#ifdef __cplusplus
}
#endif

#endif /* AVES_TELEMETRY_H */
