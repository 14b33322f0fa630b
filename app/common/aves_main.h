/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_main.h
 * The command line and the lcore launch every DPDK appliance shares:
 *
 *   aves-<name> [EAL options] -- -f FILE [--check-config]
 *
 * EAL's arguments come before "--", the appliance's after it (without "--", all are the
 * appliance's). Each lcore named in the configuration runs one role: a worker or the control
 * lcore; the main lcore runs its own role inline, or waits for the run flag to clear.
 *
 * Threads: the main thread, in main().
 */
#ifndef AVES_MAIN_H
#define AVES_MAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_launch.h>

#include "aves_appconf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The appliance's own options. */
struct aves_main_opts {
	const char *file;	/**< -f, --config */
	bool check;		/**< --check-config */
	int eal_argc;		/**< argv[0 .. eal_argc) are EAL's (argv[0] included) */
};

/**
 * Split @p argv at "--" and parse the appliance's options; usage goes to stdout for --help,
 * to stderr for a mistake. @p manual names the manual in the usage text ("docs/NATGW.md").
 * argv[] is rearranged: EAL gets argv[0 .. o->eal_argc).
 * @return 0 to go on, 1 after bad usage, 2 after --help.
 */
int aves_main_options(int argc, char **argv, const char *manual, struct aves_main_opts *o);

/**
 * rte_eal_init() on EAL's share of @p argv; a failure is printed as
 * "@p prog: EAL initialisation failed: reason". @return 0 or -1.
 */
int aves_main_eal_init(const char *prog, const struct aves_main_opts *o, char **argv);

/**
 * Whether every lcore the configuration names is in EAL's lcore list (-l); each that is not
 * is printed as "file: lcores.control: lcore N is not in EAL's lcore list (-l)".
 * @return 0 or -1.
 */
int aves_main_check_lcores(const struct aves_appliance_conf *base);

/**
 * Launch @p worker_main(workers[i]) on base->workers[i] and @p control_main(control) on
 * base->control_lcore, run the main lcore's role (if any) inline, and wait for them all.
 */
void aves_main_run(const struct aves_appliance_conf *base, lcore_function_t *worker_main,
		   void *const workers[], lcore_function_t *control_main, void *control);

/** At exit, after the application is freed: close the @p n ports, stop capture, clean EAL. */
void aves_main_close(const uint16_t *port_ids, unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* AVES_MAIN_H */
