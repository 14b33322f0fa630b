/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliances' command line, lcore checks and launch.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "aves_main.h"
#include "aves_runtime.h"

static void
usage(FILE *out, const char *prog, const char *manual)
{
	fprintf(out,
		"usage: %s [EAL options] -- -f FILE [--check-config]\n"
		"  -f, --config FILE   configuration file (libconfig; see %s)\n"
		"  --check-config      check FILE, print the effective configuration, exit\n"
		"  -h, --help          this text\n",
		prog, manual);
}

int
aves_main_options(int argc, char **argv, const char *manual, struct aves_main_opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int sep, opt;

	memset(o, 0, sizeof(*o));
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc)
		sep = 0;
	o->eal_argc = sep > 0 ? sep : 1;
	/* getopt sees our share as a command line of its own, named like the program. */
	argv[sep] = argv[0];
	argc -= sep;
	argv += sep;
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
			usage(stdout, argv[0], manual);
			return 2;
		default:
			usage(stderr, argv[0], manual);
			return 1;
		}
	}
	if (optind != argc || o->file == NULL) {
		usage(stderr, argv[0], manual);
		return 1;
	}
	return 0;
}

int
aves_main_eal_init(const char *prog, const struct aves_main_opts *o, char **argv)
{
	if (rte_eal_init(o->eal_argc, argv) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", prog,
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int
aves_main_check_lcores(const struct aves_appliance_conf *base)
{
	unsigned int i;
	int bad = 0;

	if (!rte_lcore_is_enabled(base->control_lcore)) {
		fprintf(stderr, "%s: lcores.control: lcore %u is not in EAL's lcore list (-l)\n",
			base->file, base->control_lcore);
		bad = 1;
	}
	for (i = 0; i < base->n_workers; i++) {
		if (!rte_lcore_is_enabled(base->workers[i])) {
			fprintf(stderr,
				"%s: lcores.workers: lcore %u is not in EAL's lcore list (-l)\n",
				base->file, base->workers[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

void
aves_main_run(const struct aves_appliance_conf *base, lcore_function_t *worker_main,
	      void *const workers[], lcore_function_t *control_main, void *control)
{
	unsigned int main_lcore = rte_get_main_lcore(), i;
	lcore_function_t *main_fn = NULL;
	void *main_arg = NULL;

	for (i = 0; i < base->n_workers; i++) {
		if (base->workers[i] == main_lcore) {
			main_fn = worker_main;
			main_arg = workers[i];
		} else {
			rte_eal_remote_launch(worker_main, workers[i], base->workers[i]);
		}
	}
	if (base->control_lcore == main_lcore) {
		main_fn = control_main;
		main_arg = control;
	} else {
		rte_eal_remote_launch(control_main, control, base->control_lcore);
	}
	if (main_fn != NULL)
		main_fn(main_arg);
	else
		while (aves_running())
			aves_idle_sleep(100000);
	rte_eal_mp_wait_lcore();
}

void
aves_main_close(const uint16_t *port_ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_eth_dev_close(port_ids[i]);
	aves_capture_uninit();
	rte_eal_cleanup();
}
