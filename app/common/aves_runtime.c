/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
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

/* A TSC reading and the CLOCK_MONOTONIC_RAW time taken between two TSC readings, so a
 * preemption between them shows as a wide bracket and the pair is taken again. */
static void
tsc_mono_pair(uint64_t *tsc, uint64_t *mono_ns)
{
	uint64_t best = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		struct timespec ts;
		uint64_t t0 = rte_rdtsc(), t1;

		clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
		t1 = rte_rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*mono_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
}

static uint64_t measured_tsc_per_ms;

/*
 * rte_get_tsc_hz() is the CPU's nominal rate (CPUID); a virtual machine's TSC can run off it —
 * 0.19 % on the 2.45 GHz VM this was found on, enough to stretch a 2-second Twait to 2.004 s
 * and make the DNS front end's copy of it end first. So the rate is measured once per
 * process, against the kernel's clock over 25 ms; the nominal rate stays the fallback.
 */
static void
tsc_calibrate(void)
{
	const uint64_t span_ns = 25 * 1000 * 1000;
	uint64_t hz = rte_get_tsc_hz(), tsc0, ns0, tsc1, ns1, per_ms;

	measured_tsc_per_ms = hz >= 1000 ? hz / 1000 : 1;
	tsc_mono_pair(&tsc0, &ns0);
	do {
		tsc_mono_pair(&tsc1, &ns1);
	} while (ns1 - ns0 < span_ns);
	per_ms = (tsc1 - tsc0) * 1000000u / (ns1 - ns0);
	/* A measurement more than 5 % off the nominal rate is a broken clock, not a drift. */
	if (per_ms > measured_tsc_per_ms / 20 * 19 && per_ms < measured_tsc_per_ms / 20 * 21)
		measured_tsc_per_ms = per_ms;
}

void
aves_clock_init(struct aves_clock *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, tsc_calibrate);
	c->tsc_per_ms = measured_tsc_per_ms;
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
