/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-natgw: EAL arguments, "--", then the application's own:
 *
 *   aves-natgw [EAL options] -- -f natgw.conf [--check-config]
 *
 * --check-config reads and checks the file, prints every effective value and exits (0 when
 * the file is good, 1 otherwise) without starting EAL. docs/NATGW.md is the manual.
 */
#include <stdio.h>

#include <rte_eal.h>

#include "aves_main.h"
#include "aves_runtime.h"
#include "ngw.h"

int
main(int argc, char **argv)
{
	struct ngw_config cfg;
	struct aves_main_opts o;
	struct ngw_start start;
	struct aves_clock clock;
	struct ngw_app *app;
	void *workers[NGW_WORKERS_MAX];
	uint16_t port_ids[NGW_PORTS_MAX];
	unsigned int n_ports = 0, i;
	int ret;

	ret = aves_main_options(argc, argv, "docs/NATGW.md", &o);
	if (ret != 0)
		return ret == 2 ? 0 : 1;
	/* The file is read before EAL starts, so a mistake in it never touches a device. */
	if (ngw_config_load(&cfg, o.file, stderr) != 0)
		return 1;
	if (o.check) {
		ngw_config_print(&cfg, stdout);
		ngw_config_clear(&cfg);
		return 0;
	}

	if (aves_main_eal_init("aves-natgw", &o, argv) != 0) {
		ngw_config_clear(&cfg);
		return 1;
	}
	if (aves_main_check_lcores(&cfg.base) != 0) {
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
		for (i = 0; i < app->base.n_ports; i++)
			port_ids[n_ports++] = app->base.ports[i].id;
		for (i = 0; i < app->base.n_workers; i++)
			workers[i] = app->workers[i];
		if (ngw_telemetry_register(app) != 0)
			fprintf(stderr, "aves-natgw: telemetry commands not registered\n");
		ngw_control_start(app->control, aves_clock_ms(&clock));
		aves_main_run(&cfg.base, ngw_worker_main, workers, ngw_control_main, app->control);
		ngw_app_free(app);
	}
	ngw_config_clear(&cfg);
	aves_main_close(port_ids, n_ports);
	return app != NULL ? 0 : 1;
}
