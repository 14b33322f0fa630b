/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw: EAL arguments, "--", then the application's own:
 *
 *   aves-natgw [EAL options] -- -f natgw.conf [--check-config]
 *
 * --check-config reads and checks the file, prints every effective value and exits (0 when
 * the file is good, 1 otherwise) without starting EAL. docs/NATGW.md is the manual.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "aves_runtime.h"
#include "ngw.h"

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options] -- -f FILE [--check-config]\n"
		"  -f, --config FILE   configuration file (libconfig; see docs/NATGW.md)\n"
		"  --check-config      check FILE, print the effective configuration, exit\n"
		"  -h, --help          this text\n",
		prog);
}

struct options {
	const char *file;
	bool check;
};

/* 0, 1 (bad usage) or 2 (help shown). */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", longs, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->file = optarg;
			break;
		case 'c':
			o->check = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 2;
		default:
			usage(stderr, argv[0]);
			return 1;
		}
	}
	if (optind != argc || o->file == NULL) {
		usage(stderr, argv[0]);
		return 1;
	}
	return 0;
}

static int
check_lcores(const struct ngw_config *cfg)
{
	unsigned int i;
	int bad = 0;

	if (!rte_lcore_is_enabled(cfg->base.control_lcore)) {
		fprintf(stderr, "%s: lcores.control: lcore %u is not in EAL's lcore list (-l)\n",
			cfg->base.file, cfg->base.control_lcore);
		bad = 1;
	}
	for (i = 0; i < cfg->base.n_workers; i++) {
		if (!rte_lcore_is_enabled(cfg->base.workers[i])) {
			fprintf(stderr,
				"%s: lcores.workers: lcore %u is not in EAL's lcore list (-l)\n",
				cfg->base.file, cfg->base.workers[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Run every lcore's loop; the main lcore runs its own role (if any) inline. */
static void
run(struct ngw_app *app, const struct ngw_config *cfg)
{
	unsigned int main_lcore = rte_get_main_lcore(), i;
	lcore_function_t *main_fn = NULL;
	void *main_arg = NULL;

	for (i = 0; i < cfg->base.n_workers; i++) {
		if (cfg->base.workers[i] == main_lcore) {
			main_fn = ngw_worker_main;
			main_arg = app->workers[i];
		} else {
			rte_eal_remote_launch(ngw_worker_main, app->workers[i], cfg->base.workers[i]);
		}
	}
	if (cfg->base.control_lcore == main_lcore) {
		main_fn = ngw_control_main;
		main_arg = app->control;
	} else {
		rte_eal_remote_launch(ngw_control_main, app->control, cfg->base.control_lcore);
	}
	if (main_fn != NULL)
		main_fn(main_arg);
	else
		while (aves_running())
			aves_idle_sleep(100000);
	rte_eal_mp_wait_lcore();
}

int
main(int argc, char **argv)
{
	struct ngw_config cfg;
	struct options o;
	struct ngw_start start;
	struct aves_clock clock;
	struct ngw_app *app;
	uint16_t port_ids[NGW_PORTS_MAX];
	unsigned int n_ports = 0, i;
	int sep, ret;

	/* EAL's arguments come before "--", ours after it; without "--", all are ours. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc)
		sep = 0;
	argv[sep] = argv[0];
	ret = parse_options(argc - sep, argv + sep, &o);
	if (ret != 0)
		return ret == 2 ? 0 : 1;
	if (o.check) {
		if (ngw_config_load(&cfg, o.file, stderr) != 0)
			return 1;
		ngw_config_print(&cfg, stdout);
		ngw_config_clear(&cfg);
		return 0;
	}

	ret = rte_eal_init(sep > 0 ? sep : 1, argv);
	if (ret < 0) {
		fprintf(stderr, "aves-natgw: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (ngw_config_load(&cfg, o.file, stderr) != 0 || check_lcores(&cfg) != 0) {
		ngw_config_clear(&cfg);
		rte_eal_cleanup();
		return 1;
	}
	aves_signal_install();
	aves_capture_init();
	aves_clock_init(&clock);
	start = (struct ngw_start){ .wall_us = aves_wall_us(), .now_ms = aves_clock_ms(&clock),
				    .start_ports = true };
	app = ngw_app_create(&cfg, &start);
	if (app != NULL) {
		for (i = 0; i < app->n_ports; i++)
			port_ids[n_ports++] = app->ports[i].id;
		if (ngw_telemetry_register(app) != 0)
			fprintf(stderr, "aves-natgw: telemetry commands not registered\n");
		ngw_control_start(app->control, aves_clock_ms(&clock));
		run(app, &cfg);
		ngw_app_free(app);
	}
	ngw_config_clear(&cfg);
	for (i = 0; i < n_ports; i++)
		rte_eth_dev_close(port_ids[i]);
	aves_capture_uninit();
	rte_eal_cleanup();
	return app != NULL ? 0 : 1;
}
