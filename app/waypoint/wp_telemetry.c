/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands of aves-waypoint (read with dpdk-telemetry.py):
 *   /aves/waypoint/stats            every counter, summed over lcores, by group
 *   /aves/waypoint/bindings         table occupancy and table counters
 *   /aves/waypoint/addresses[,N]    the waypoint addresses, 128 at a time from index N
 *   /aves/waypoint/address,W        one waypoint address: wait state and counters
 * The callbacks run in the telemetry thread and only read: per-lcore counters (relaxed loads)
 * and snapshots of table counts and wait states.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include <inttypes.h>
#include "aves_telemetry.h"
#include "wp.h"

#define ADDRESSES_PER_CALL 128

/* rte_telemetry callbacks take no argument: the one application of this process. */
static struct wp_app *tel_app;

static const char *const verdict_names[AVES_VERDICT_MAX] = {
#define WP_VERDICT_NAME_(name, str) str,
	AVES_VERDICT_LIST(WP_VERDICT_NAME_)
#undef WP_VERDICT_NAME_
};

static const char *const ctrl_names[AVES_CTRL_RX_VERDICT_COUNT] = {
#define WP_CTRL_NAME_(name, str) str,
	AVES_CTRL_VERDICTS(WP_CTRL_NAME_)
#undef WP_CTRL_NAME_
};

static const char *const reject_names[AVES_CTRL_REASON_MAX + 1] = {
	"none",
#define WP_REJECT_NAME_(name, value, str) [value] = str,
	AVES_CTRL_REASONS(WP_REJECT_NAME_)
#undef WP_REJECT_NAME_
};

#define WP_TUNNEL_NAME_(name, str) str,
static const char *const encap_names[AVES_ENCAP_MAX] = { AVES_ENCAP_RESULTS(WP_TUNNEL_NAME_) };
static const char *const tag_names[AVES_TAG_MAX] = { AVES_TAG_RESULTS(WP_TUNNEL_NAME_) };
static const char *const frag_names[AVES_FRAG_MAX] = { AVES_FRAG_RESULTS(WP_TUNNEL_NAME_) };
#undef WP_TUNNEL_NAME_

#define GROUP_(d, name, field, names) \
	aves_appliance_tel_group(d, name, &app->base, offsetof(struct wp_stats, field), names, \
				 RTE_DIM(names))

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wp_app *app = tel_app;
	int ret;

	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	ret = GROUP_(d, "counters", ctr, wp_ctr_names);
	ret |= GROUP_(d, "parse", parse, aves_tel_parse_names);
	ret |= GROUP_(d, "verdicts", verdict, verdict_names);
	ret |= GROUP_(d, "ctrl", ctrl, ctrl_names);
	ret |= GROUP_(d, "reject", reject, reject_names);
	ret |= GROUP_(d, "icmp_refusal", icmp_refusal, aves_tel_icmp_refusal_names);
	ret |= GROUP_(d, "encap", tunnel.encap, encap_names);
	ret |= GROUP_(d, "tag", tunnel.tag, tag_names);
	ret |= GROUP_(d, "frag", tunnel.frag, frag_names);
	ret |= aves_appliance_tel_ports(d, &app->base);
	return ret == 0 ? 0 : -1;
}

static uint32_t
n_waiting(const struct wp_app *app)
{
	uint32_t w, n = 0;

	for (w = 0; w < app->n_addrs; w++)
		n += atomic_load_explicit(&app->addrs[w].wait_until_ms, memory_order_relaxed) != 0;
	return n;
}

static int
cmd_bindings(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wp_app *app = tel_app;
	uint64_t conns = 0;
	uint32_t i;
	int ret;

	(void)cmd, (void)params;
	for (i = 0; i < app->base.n_workers; i++)
		conns += wp_worker_conns(app->workers[i]);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", aves_table_count(app->bindings));
	rte_tel_data_add_dict_u64(d, "capacity", aves_table_capacity(app->bindings));
	rte_tel_data_add_dict_u64(d, "blocks", aves_table_count(app->blocks));
	rte_tel_data_add_dict_u64(d, "neighbours", aves_neigh_count(app->base.neigh));
	rte_tel_data_add_dict_u64(d, "tcp_connections", conns);
	rte_tel_data_add_dict_u64(d, "waiting_addresses", n_waiting(app));
	ret = aves_tel_add_table(d, "binding_table", app->bindings);
	ret |= aves_tel_add_table(d, "block_table", app->blocks);
	return ret == 0 ? 0 : -1;
}

static int
cmd_addresses(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wp_app *app = tel_app;
	struct rte_tel_data *list = rte_tel_data_alloc();
	unsigned long start = 0;
	char buf[INET_ADDRSTRLEN];
	uint32_t i;

	(void)cmd;
	if (list == NULL)
		return -1;
	if (params != NULL && *params != '\0') {
		char *end;

		start = strtoul(params, &end, 10);
		if (*end != '\0') {
			rte_tel_data_free(list);
			return -1;
		}
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", app->n_addrs);
	rte_tel_data_add_dict_u64(d, "start", start);
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	for (i = (uint32_t)RTE_MIN(start, app->n_addrs);
	     i < app->n_addrs && i < start + ADDRESSES_PER_CALL; i++)
		rte_tel_data_add_array_string(list, inet_ntop(AF_INET, &app->addrs[i].addr, buf,
							      sizeof(buf)));
	if (rte_tel_data_add_dict_container(d, "addresses", list, 0) != 0) {
		rte_tel_data_free(list);
		return -1;
	}
	return 0;
}

static int
cmd_address(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const ctr_names[WP_ADDR_CTR_N] = WP_ADDR_CTR_NAMES;
	const struct wp_app *app = tel_app;
	const struct aves_wait *machine;
	const uint64_t *bases[WP_WORKERS_MAX + 1];
	uint64_t v[WP_ADDR_CTR_N], verdicts[AVES_VERDICT_MAX], until, now_ms;
	uint32_t addr, l;
	int w, ret;

	(void)cmd;
	if (params == NULL || inet_pton(AF_INET, params, &addr) != 1)
		return -1;
	w = wp_app_addr_index(app, addr);
	if (w < 0)
		return -1;
	for (l = 0; l <= app->base.n_workers; l++)
		bases[l] = (const uint64_t *)&app->addr_ctr[l][w];
	static_assert(sizeof(struct wp_addr_ctr) == WP_ADDR_CTR_N * sizeof(uint64_t),
		      "per-address counters are plain uint64_t");
	aves_ctr_sum(v, WP_ADDR_CTR_N, bases, app->base.n_workers + 1);
	machine = wp_control_wait(app->control, (uint32_t)w);
	until = atomic_load_explicit(&app->addrs[w].wait_until_ms, memory_order_acquire);
	now_ms = rte_rdtsc() / RTE_MAX(rte_get_tsc_hz() / 1000, UINT64_C(1));

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "address", params);
	rte_tel_data_add_dict_string(d, "state", until != 0 ? "waiting" : "idle");
	rte_tel_data_add_dict_u64(d, "wait_left_ms", until > now_ms ? until - now_ms : 0);
	rte_tel_data_add_dict_u64(d, "waits_entered", aves_ctr_read(&machine->stats.waits_entered));
	rte_tel_data_add_dict_u64(d, "waits_exited", aves_ctr_read(&machine->stats.waits_exited));
	rte_tel_data_add_dict_u64(d, "rejected_on_exit",
				  aves_ctr_read(&machine->stats.rejected_on_exit));
	rte_tel_data_add_dict_u64(d, "violator_overflow",
				  aves_ctr_read(&machine->stats.violator_overflow));
	ret = aves_tel_add_counters(d, "packets", ctr_names, v, WP_ADDR_CTR_N);
	for (l = 0; l < AVES_VERDICT_MAX; l++)
		verdicts[l] = aves_ctr_read(&machine->stats.verdicts[l]);
	ret |= aves_tel_add_counters(d, "machine_verdicts", verdict_names, verdicts,
				     AVES_VERDICT_MAX);
	return ret == 0 ? 0 : -1;
}

int
wp_telemetry_register(struct wp_app *app)
{
	tel_app = app;
	if (rte_telemetry_register_cmd("/aves/waypoint/stats", cmd_stats,
				       "Every counter, summed over lcores. No parameters.") != 0 ||
	    rte_telemetry_register_cmd("/aves/waypoint/bindings", cmd_bindings,
				       "Bindings, blocks, neighbours, connections, waits. "
				       "No parameters.") != 0 ||
	    rte_telemetry_register_cmd("/aves/waypoint/addresses", cmd_addresses,
				       "Waypoint addresses, 128 from index N. Parameter: N.") != 0 ||
	    rte_telemetry_register_cmd("/aves/waypoint/address", cmd_address,
				       "One waypoint address. Parameter: the address.") != 0)
		return -1;
	return 0;
}

void
wp_summary(const struct wp_app *app, char *buf, size_t cap)
{
	uint64_t c[WP_CTR_MAX], rx, tx, parse_bad;
	uint64_t parse[AVES_PARSE_REASON_MAX];
	uint32_t l;

	aves_appliance_ctr_sum(&app->base, offsetof(struct wp_stats, ctr), WP_CTR_MAX, c);
	aves_appliance_ctr_sum(&app->base, offsetof(struct wp_stats, parse), AVES_PARSE_REASON_MAX, parse);
	aves_appliance_port_totals(&app->base, &rx, &tx);
	for (parse_bad = 0, l = 0; l < AVES_PARSE_REASON_MAX; l++)
		parse_bad += parse[l];
	snprintf(buf, cap,
		 "rx %" PRIu64 " tx %" PRIu64 " relayed %" PRIu64 " discarded %" PRIu64
		 " invalid %" PRIu64 " punt_full %" PRIu64 " bindings %u blocks %u waiting %u"
		 " setups accepted %" PRIu64 " rejected %" PRIu64,
		 rx, tx, c[WP_CTR_FWD_PKTS], c[WP_CTR_DISCARDED], parse_bad, c[WP_CTR_PUNT_FULL],
		 aves_table_count(app->bindings), aves_table_count(app->blocks), n_waiting(app),
		 c[WP_CTR_ACCEPT_SENT], c[WP_CTR_REJECT_SENT]);
}
