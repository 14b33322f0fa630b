/* SPDX-License-Identifier: BSD-3-Clause */
/* The log type of the app/common DPDK library (not part of its contract). */
#ifndef AVES_APP_LOG_H
#define AVES_APP_LOG_H

#include <rte_log.h>

extern int aves_app_logtype;
#define AVES_APP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, aves_app_logtype, "aves: " fmt "\n", ##__VA_ARGS__)

#endif
