/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-bench: cycles per packet of the real aves-waypoint and aves-natgw pipelines, by stage,
 * next to the floors measured in the same run and the AVES paper's figures (§5.4).
 *
 * Each appliance is built from a configuration exactly as its packet-level tests build it, on
 * net_ring ports; its tables are filled through its own control path (signed SETUPs at the
 * waypoint, first packets at the gateway); generated frames are replayed through the
 * function its worker lcore loops on. The core libraries are second builds of app/waypoint
 * and app/natgw compiled with -DAVES_BENCH_STAGES, whose probes (app/common/aves_probe.h)
 * charge each burst's cycles to named stages and whose tag-off switch measures the tunnel
 * paths without their MAC. bench/README.md says how to read the output.
 *
 * Usage: aves-bench [--quick] [--csv FILE] [--connections N] [-- EAL options]
 * --connections: the waypoint worker's TCP connection table (default 65536 as in the
 * appliance; the traffic is UDP, so it stays empty, but the worker's aging walks it).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "bench.h"

/* Table sizes of the sweeps; the last is the main tables' (quick mode: the first two). */
static const uint32_t table_sizes[] = { 1, 1000, 100000, 1000000 };

static unsigned int
n_table_sizes(void)
{
	return B.quick ? 2u : RTE_DIM(table_sizes);
}

/* A table cap for @p n entries with room to spare: caps are exact, and no run means to hit
 * one. */
static uint32_t
capacity_for(uint32_t n)
{
	return n + n / 10 + 64;
}

/*
 * The waypoint: table sizes (with SETUP -> ACCEPT while growing), the main table with the tag
 * on and off, the burst sweep, the control path figures.
 */
static int
bench_waypoint(unsigned int connections)
{
	const uint32_t largest = table_sizes[n_table_sizes() - 1];
	double setup = 0, ctrl_tag;
	uint32_t setup_from = 0;
	unsigned int t, b;
	bool ok = true;

	if (wp_bench_start(capacity_for(largest), connections) != 0) {
		fprintf(stderr, "aves-bench: cannot build the waypoint\n");
		return -1;
	}
	printf("\nWaypoint table size (64-byte frames; SETUP -> ACCEPT: the control lcore's cycles "
	       "per SETUP while growing to that size):\n");
	for (t = 0; t < n_table_sizes(); t++) {
		double s = wp_bench_bind_to(table_sizes[t]);

		if (s < 0) {
			fprintf(stderr, "aves-bench: binding %" PRIu32 " initiators failed\n",
				table_sizes[t]);
			return -1;
		}
		if (bench_sweep(&wp_inbound_path, "tables", 32, B.rounds / 4) != 0)
			return -1;
		printf("             SETUP -> ACCEPT %8.0f cycles\n", s);
		bench_csv("wp_setup_accept", "ctrl", 32, wp_inbound_path.n_entries, "total", s,
			  PAPER_SETUP_CYCLES);
		/* The headline is the last step, into a table already in use: the first
		 * SETUPs into an untouched table also pay its page faults (with --no-huge; a
		 * hugepage deployment pays them at start-up), which the rows above show. */
		setup = s;
		setup_from = t > 0 ? table_sizes[t - 1] : 0;
	}
	bench_tap(true, "waypoint inbound: table sizes");

	if (bench_table(&wp_inbound_path, 32, false) != 0 ||
	    bench_table(&wp_inbound_path, 32, true) != 0)
		return -1;

	printf("\nWaypoint burst size (64-byte frames):\n");
	for (b = 1; b <= BENCH_BURST_MAX; b *= 2)
		ok &= bench_sweep(&wp_inbound_path, "bursts", b, B.rounds / 4) == 0;
	bench_tap(ok, "waypoint inbound: burst sizes");

	ctrl_tag = wp_bench_ctrl_tag(B.rounds);
	wp_bench_stop();
	printf("\nControl path, TSC cycles per operation          ours    paper      x\n");
	printf("  waypoint SETUP -> ACCEPT (%" PRIu32 " -> %" PRIu32 " bound) %8.0f %8.0f %6.1fx"
	       "   (target 2000)\n", setup_from, largest, setup, PAPER_SETUP_CYCLES,
	       PAPER_SETUP_CYCLES / setup);
	printf("  tag of one control message (HMAC-MD5)   %8.0f %8.0f %6.1fx\n", ctrl_tag,
	       PAPER_CTRL_TAG_CYCLES, PAPER_CTRL_TAG_CYCLES / ctrl_tag);
	bench_csv("ctrl_tag", "ctrl", 1, 0, "total", ctrl_tag, PAPER_CTRL_TAG_CYCLES);
	bench_tap(setup > 0, "waypoint SETUP -> ACCEPT");
	bench_tap(ctrl_tag > 0, "control message tag");
	return 0;
}

/*
 * The gateway: table sizes (with the cost of creating each kind of session while growing),
 * the main tables of its four paths (inbound with the tag on and off), the burst sweeps.
 */
static int
bench_gateway(void)
{
	struct bench_path *const paths[] = {
		&gw_inbound_path, &gw_reply_path, &napt_out_path, &napt_in_path,
	};
	const uint32_t largest = table_sizes[n_table_sizes() - 1];
	unsigned int t, b, k;
	bool ok = true;

	/* Both kinds share the session table and the inbound table. */
	if (gw_bench_start(2 * capacity_for(largest)) != 0) {
		fprintf(stderr, "aves-bench: cannot build the gateway\n");
		return -1;
	}
	printf("\nGateway table size (64-byte frames, burst 32; N reply paths and N NAPT sessions, "
	       "2N entries per table;\nfirst packet: worker and control lcore cycles per session "
	       "created while growing to N):\n");
	for (t = 0; t < n_table_sizes(); t++) {
		struct gw_create_cost cost;

		if (gw_bench_grow_to(table_sizes[t], &cost) != 0) {
			fprintf(stderr, "aves-bench: creating %" PRIu32 " sessions of each kind "
				"failed\n", table_sizes[t]);
			return -1;
		}
		for (k = 0; k < RTE_DIM(paths); k++)
			if (bench_sweep(paths[k], "tables", 32, B.rounds / 4) != 0)
				return -1;
		printf("             first packet: reply path worker %6.0f control %7.0f | "
		       "NAPT session worker %6.0f control %7.0f\n", cost.reply_worker,
		       cost.reply_control, cost.napt_worker, cost.napt_control);
		bench_csv("gw_create_reply", "frame64", 32, table_sizes[t], "worker",
			  cost.reply_worker, 0);
		bench_csv("gw_create_reply", "frame64", 32, table_sizes[t], "control",
			  cost.reply_control, 0);
		bench_csv("gw_create_napt", "frame64", 32, table_sizes[t], "worker",
			  cost.napt_worker, 0);
		bench_csv("gw_create_napt", "frame64", 32, table_sizes[t], "control",
			  cost.napt_control, 0);
	}
	bench_tap(true, "gateway: table sizes, sessions created by first packets");

	if (bench_table(&gw_inbound_path, 32, false) != 0 ||
	    bench_table(&gw_inbound_path, 32, true) != 0)
		return -1;
	for (k = 1; k < RTE_DIM(paths); k++)
		if (bench_table(paths[k], 32, false) != 0)
			return -1;

	printf("\nGateway burst size (64-byte frames):\n");
	for (k = 0; k < RTE_DIM(paths); k++)
		for (b = 1; b <= BENCH_BURST_MAX; b *= 2)
			ok &= bench_sweep(paths[k], "bursts", b, B.rounds / 4) == 0;
	bench_tap(ok, "gateway: burst sizes");
	gw_bench_stop();
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ "connections", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static char *default_eal[] = {
		"aves-bench", "--no-huge", "-m", "4096", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", "-l", "0",
	};
	unsigned int connections = 65536; /* the appliance's default (tables.connections) */
	const char *csv_path = NULL;
	int opt, eal_argc, ret = 1;
	char **eal_argv;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': B.quick = true; break;
		case 'c': csv_path = optarg; break;
		case 'n': connections = (unsigned int)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: aves-bench [--quick] [--csv FILE] [--connections N]"
				" [-- EAL options]\n");
			return 2;
		}
	}
	if (optind < argc) {
		eal_argv = argv + optind - 1;
		eal_argv[0] = argv[0];
		eal_argc = argc - optind + 1;
	} else {
		eal_argv = default_eal;
		eal_argc = (int)RTE_DIM(default_eal);
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "aves-bench: EAL init failed\n");
		return 1;
	}
	if (csv_path != NULL && (B.csv = fopen(csv_path, "w")) == NULL) {
		perror(csv_path);
		rte_eal_cleanup();
		return 1;
	}
	if (bench_init() != 0) {
		fprintf(stderr, "aves-bench: cannot allocate the bench's own resources\n");
		goto out;
	}
	B.rounds = B.quick ? 300 : 20000;
	printf("aves-bench: TSC %.3f GHz, lcore %u, ipsec-mb %s, %s, waypoint connection table "
	       "%u\n", B.hz / 1e9, rte_lcore_id(), imb_get_version_str(),
	       B.quick ? "quick" : "full", connections);
	if (bench_waypoint(connections) != 0 || bench_gateway() != 0)
		goto out;
	bench_figure8();
	bench_tap_plan();
	ret = 0;
out:
	wp_bench_stop();
	gw_bench_stop();
	bench_fini();
	rte_eal_cleanup();
	return ret;
}
