/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands of aves-natgw (read with dpdk-telemetry.py):
 *   /aves/natgw/stats                     every counter, summed over lcores, by group
 *   /aves/natgw/sessions                  table occupancy by kind, and table counters
 *   /aves/natgw/public_address            the public address and the REGISTER schedule
 *   /aves/natgw/set_public_address,A.B.C.D  ask for a new public address (simulates DHCP)
 * The callbacks run in the telemetry thread. They only read — per-lcore counters (relaxed
 * loads) and snapshots of table counts — except set_public_address, which hands the request
 * to the control lcore through the same atomic as ngw_set_public_address().
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "aves_telemetry.h"
#include "ngw.h"


/* rte_telemetry callbacks take no argument: the one application of this process. */
static struct ngw_app *tel_app;

#define NGW_TUNNEL_NAME_(name, str) str,
static const char *const rx_names[AVES_RX_MAX] = { AVES_RX_VERDICTS(NGW_TUNNEL_NAME_) };
static const char *const reasm_names[AVES_REASM_MAX] = { AVES_REASM_RESULTS(NGW_TUNNEL_NAME_) };
#undef NGW_TUNNEL_NAME_

static_assert(NGW_CTR_MAX <= AVES_APP_GROUP_MAX, "a group holds every counter");

#define GROUP_(d, name, field, names) \
	aves_appliance_tel_group(d, name, &app->base, offsetof(struct ngw_stats, field), names, \
				 RTE_DIM(names))

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ngw_app *app = tel_app;
	int ret;

	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	ret = GROUP_(d, "counters", ctr, ngw_ctr_names);
	ret |= GROUP_(d, "parse", parse, aves_tel_parse_names);
	ret |= GROUP_(d, "inner_parse", inner_parse, aves_tel_parse_names);
	ret |= GROUP_(d, "aves_rx", tunnel.rx, rx_names);
	ret |= GROUP_(d, "reasm", tunnel.reasm, reasm_names);
	ret |= GROUP_(d, "icmp_refusal", icmp_refusal, aves_tel_icmp_refusal_names);
	ret |= aves_appliance_tel_ports(d, &app->base);
	return ret == 0 ? 0 : -1;
}

static int
cmd_sessions(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ngw_app *app = tel_app;
	int ret;

	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", aves_table_count(app->sessions));
	rte_tel_data_add_dict_u64(d, "capacity", aves_table_capacity(app->sessions));
	rte_tel_data_add_dict_u64(d, "napt", ngw_control_sessions(app->control, NGW_NAPT));
	rte_tel_data_add_dict_u64(d, "aves", ngw_control_sessions(app->control, NGW_AVES));
	rte_tel_data_add_dict_u64(d, "aves_multihomed",
				  ngw_control_sessions(app->control, NGW_AVES_MH));
	rte_tel_data_add_dict_u64(d, "trusted_waypoints", aves_table_count(app->trust));
	rte_tel_data_add_dict_u64(d, "neighbours", aves_neigh_count(app->base.neigh));
	ret = aves_tel_add_table(d, "session_table", app->sessions);
	ret |= aves_tel_add_table(d, "inbound_table", app->inbound);
	ret |= aves_tel_add_table(d, "trust_table", app->trust);
	return ret == 0 ? 0 : -1;
}

static int
cmd_public(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ngw_app *app = tel_app;
	uint64_t c[NGW_CTR_MAX], now_ms, next;
	uint32_t pub = ngw_public(app);
	char buf[INET_ADDRSTRLEN];

	(void)cmd, (void)params;
	aves_appliance_ctr_sum(&app->base, offsetof(struct ngw_stats, ctr), NGW_CTR_MAX, c);
	now_ms = rte_rdtsc() / RTE_MAX(rte_get_tsc_hz() / 1000, UINT64_C(1));
	next = ngw_control_next_register(app->control);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "public_address",
				     inet_ntop(AF_INET, &pub, buf, sizeof(buf)));
	rte_tel_data_add_dict_u64(d, "tunnel_port", app->cfg.tunnel_port);
	rte_tel_data_add_dict_u64(d, "changes", c[NGW_CTR_PUBLIC_CHANGES]);
	rte_tel_data_add_dict_u64(d, "register_sent", c[NGW_CTR_REGISTER_SENT]);
	rte_tel_data_add_dict_u64(d, "register_failed", c[NGW_CTR_REGISTER_FAILED]);
	rte_tel_data_add_dict_u64(d, "next_register_in_ms", next > now_ms ? next - now_ms : 0);
	return 0;
}

static int
cmd_set_public(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint32_t addr;

	(void)cmd;
	if (params == NULL || inet_pton(AF_INET, params, &addr) != 1 ||
	    ngw_set_public_address(tel_app, addr) != 0)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "requested", params);
	return 0;
}

int
ngw_telemetry_register(struct ngw_app *app)
{
	tel_app = app;
	if (rte_telemetry_register_cmd("/aves/natgw/stats", cmd_stats,
				       "Every counter, summed over lcores. No parameters.") != 0 ||
	    rte_telemetry_register_cmd("/aves/natgw/sessions", cmd_sessions,
				       "Sessions by kind, table counters. No parameters.") != 0 ||
	    rte_telemetry_register_cmd("/aves/natgw/public_address", cmd_public,
				       "Public address and REGISTER. No parameters.") != 0 ||
	    rte_telemetry_register_cmd("/aves/natgw/set_public_address", cmd_set_public,
				       "Use a new public address (on the outside network). "
				       "Parameter: the address.") != 0)
		return -1;
	return 0;
}

void
ngw_summary(const struct ngw_app *app, char *buf, size_t cap)
{
	uint64_t c[NGW_CTR_MAX], rx, tx;

	aves_appliance_ctr_sum(&app->base, offsetof(struct ngw_stats, ctr), NGW_CTR_MAX, c);
	aves_appliance_port_totals(&app->base, &rx, &tx);
	snprintf(buf, cap,
		 "rx %" PRIu64 " tx %" PRIu64 " napt out %" PRIu64 " in %" PRIu64
		 " aves in %" PRIu64 " out %" PRIu64 " rejected %" PRIu64 " no_session %" PRIu64
		 " punt_full %" PRIu64 " sessions %u napt %" PRIu64 " aves %" PRIu64
		 " register %" PRIu64,
		 rx, tx, c[NGW_CTR_NAPT_OUT], c[NGW_CTR_NAPT_IN], c[NGW_CTR_AVES_IN],
		 c[NGW_CTR_AVES_OUT], c[NGW_CTR_AVES_REJECTED], c[NGW_CTR_NO_SESSION],
		 c[NGW_CTR_PUNT_FULL], aves_table_count(app->sessions),
		 ngw_control_sessions(app->control, NGW_NAPT),
		 ngw_control_sessions(app->control, NGW_AVES) +
			 ngw_control_sessions(app->control, NGW_AVES_MH),
		 c[NGW_CTR_REGISTER_SENT]);
}
