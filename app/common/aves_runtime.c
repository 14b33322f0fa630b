/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_pdump.h>

#include "aves_app_log.h"
#include "aves_runtime.h"

RTE_LOG_REGISTER(aves_app_logtype, aves.app, NOTICE);

/* Cleared by SIGINT/SIGTERM. Lock-free atomics are async-signal-safe. */
static atomic_bool run_flag = true;

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&run_flag, false, memory_order_release);
}

int
aves_signal_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	atomic_store_explicit(&run_flag, true, memory_order_release);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	return 0;
}

bool
aves_running(void)
{
	return atomic_load_explicit(&run_flag, memory_order_acquire);
}

void
aves_stop(void)
{
	atomic_store_explicit(&run_flag, false, memory_order_release);
}

void
aves_clock_init(struct aves_clock *c)
{
	uint64_t hz = rte_get_tsc_hz();

	c->tsc_per_ms = hz >= 1000 ? hz / 1000 : 1;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
aves_wall_ms(void)
{
	return wall_ns() / 1000000u;
}

uint64_t
aves_wall_us(void)
{
	return wall_ns() / 1000u;
}

void
aves_idle_init(struct aves_idle *idle, uint32_t pause_after, uint32_t sleep_after,
	       uint32_t sleep_us)
{
	idle->pause_after = pause_after;
	idle->sleep_after = sleep_after;
	idle->sleep_us = sleep_us;
	idle->empty = 0;
}

void
aves_idle_sleep(uint32_t us)
{
	rte_delay_us_sleep(us);
}

void
aves_ratelimit_init(struct aves_ratelimit *rl, uint32_t rate, uint32_t burst)
{
	rl->interval_us = 1000000u / (rate != 0 ? rate : 1);
	if (rl->interval_us == 0)
		rl->interval_us = 1;
	rl->tolerance_us = (uint64_t)(burst != 0 ? burst - 1 : 0) * rl->interval_us;
	atomic_init(&rl->tat_us, 0);
}

int
aves_capture_init(void)
{
	int ret = rte_pdump_init();

	if (ret < 0)
		AVES_APP_LOG(WARNING, "packet capture unavailable (rte_pdump_init: %d)", ret);
	return ret;
}

void
aves_capture_uninit(void)
{
	rte_pdump_uninit();
}
