/* SPDX-License-Identifier: BSD-3-Clause */
/* Starting EAL for a unit test: no hugepages, no PCI, no shared files (--no-shconf: 22.11 refuses --in-memory with --no-huge), quiet. */
#ifndef AVES_TEST_EAL_H
#define AVES_TEST_EAL_H

#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

/* Call once from a group setup; returns 0 on success. */
static inline int
aves_test_eal_init(void)
{
	char *argv[] = {
		"aves-unit-test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", "-l", "0",
	};
	int ret = rte_eal_init((int)RTE_DIM(argv), argv);

	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/*
 * A variant with more lcores, for suites that run worker loops on lcores of their own:
 * @p lcores is an EAL --lcores value, e.g. "(0-2)@(0-1)" (three lcores floating over two
 * CPUs: "-l 0-2" fails on a two-CPU machine). Returns 0 on success.
 */
static inline int
aves_test_eal_init_lcores(const char *lcores)
{
	char lcore_arg[64];
	char *argv[] = {
		"aves-unit-test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", lcore_arg,
	};
	int ret;

	snprintf(lcore_arg, sizeof(lcore_arg), "--lcores=%s", lcores);
	ret = rte_eal_init((int)RTE_DIM(argv), argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* Call once from a group teardown. */
static inline int
aves_test_eal_cleanup(void)
{
	rte_eal_cleanup();
	return 0;
}

#endif
