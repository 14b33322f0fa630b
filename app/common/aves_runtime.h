/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_runtime.h
 * What every poll-mode lcore of an AVES appliance needs around its loop: the run flag that
 * SIGINT/SIGTERM clear, a millisecond clock from the TSC, idle back-off so that a development
 * machine's two cores can be shared with other processes, a lock-free rate limiter for the
 * ICMP errors the appliances send, and packet-capture support for dpdk-dumpcap.
 */
#ifndef AVES_RUNTIME_H
#define AVES_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Run flag and signals                                                                      */
/* ---------------------------------------------------------------------------------------- */

/**
 * Install SIGINT and SIGTERM handlers that clear the run flag (and set it now).
 * @return 0, or -errno from sigaction().
 * Thread: the main thread, before launching lcores.
 */
int aves_signal_install(void);

/** Whether the loops should keep running. Any thread (an acquire load). */
bool aves_running(void);

/** Ask every loop to stop, as a signal does. Any thread, and signal handlers. */
void aves_stop(void);

/* ---------------------------------------------------------------------------------------- */
/* Time                                                                                      */
/* ---------------------------------------------------------------------------------------- */

/** Converts TSC readings to milliseconds on a monotonic clock. Plain value, per lcore. */
struct aves_clock {
	uint64_t tsc_per_ms;
};

/**
 * Set up with the TSC rate measured against CLOCK_MONOTONIC_RAW (once per process, 25 ms, the
 * first call; rte_get_tsc_hz() is only the nominal rate). Any thread, after EAL init.
 */
void aves_clock_init(struct aves_clock *c);

/** Milliseconds since an arbitrary origin (the TSC's). Any thread; no system call. */
static inline uint64_t
aves_clock_ms(const struct aves_clock *c)
{
	return rte_rdtsc() / c->tsc_per_ms;
}

/** Wall clock in milliseconds since 1970 (CLOCK_REALTIME). Control paths only. */
uint64_t aves_wall_ms(void);

/** Wall clock in microseconds since 1970. Start-up only (serial and sequence origins). */
uint64_t aves_wall_us(void);

/* ---------------------------------------------------------------------------------------- */
/* Idle back-off                                                                             */
/* ---------------------------------------------------------------------------------------- */

/**
 * Back-off of one polling loop. After @c pause_after polls in a row found nothing, each
 * further empty poll ends with rte_pause(); after @c sleep_after, with a sleep of
 * @c sleep_us microseconds (0: never sleep). Any work resets the count.
 * Plain value owned by one lcore.
 */
struct aves_idle {
	uint32_t pause_after;
	uint32_t sleep_after;
	uint32_t sleep_us;
	uint32_t empty;	/**< consecutive empty polls so far */
};

/** Set the thresholds and reset the count. Owner lcore. */
void aves_idle_init(struct aves_idle *idle, uint32_t pause_after, uint32_t sleep_after,
		   uint32_t sleep_us);

/** Sleep for @p us microseconds (rte_delay_us_sleep: nanosleep). */
void aves_idle_sleep(uint32_t us);

/**
 * Account one poll that did @p work units of work, and back off when idle. The sleep is a
 * system call, made only after sleep_after empty polls: never while packets flow.
 * Owner lcore.
 */
static inline void
aves_idle_poll(struct aves_idle *idle, unsigned int work)
{
	if (work != 0) {
		idle->empty = 0;
		return;
	}
	if (idle->empty < UINT32_MAX)
		idle->empty++;
	if (idle->sleep_us != 0 && idle->empty > idle->sleep_after)
		aves_idle_sleep(idle->sleep_us);
	else if (idle->empty > idle->pause_after)
		rte_pause();
}

/* ---------------------------------------------------------------------------------------- */
/* Rate limiting                                                                             */
/* ---------------------------------------------------------------------------------------- */

/**
 * A rate limiter that any number of lcores share without a lock: the generic cell rate
 * algorithm (GCRA, ATM Forum TM 4.0), whose whole state is one 64-bit "theoretical arrival
 * time" updated by compare-and-swap. Equivalent to a token bucket of @c burst tokens refilled
 * at one token per @c interval_us.
 */
struct aves_ratelimit {
	_Atomic uint64_t tat_us;	/**< theoretical arrival time of the next event */
	uint64_t interval_us;		/**< 1e6 / rate; immutable after init */
	uint64_t tolerance_us;		/**< (burst - 1) * interval; immutable after init */
};

/**
 * @param rl     the limiter
 * @param rate   events per second, >= 1
 * @param burst  events allowed back to back, >= 1
 * Thread: before the limiter is shared.
 */
void aves_ratelimit_init(struct aves_ratelimit *rl, uint32_t rate, uint32_t burst);

/**
 * Take one event at @p now_us (microseconds, any monotonic clock shared by the callers).
 * @return true when the event is within the rate. Any thread, concurrently; never blocks
 *         (a lost compare-and-swap is retried with the value it returned).
 */
static inline bool
aves_ratelimit_take(struct aves_ratelimit *rl, uint64_t now_us)
{
	uint64_t tat = atomic_load_explicit(&rl->tat_us, memory_order_relaxed);

	for (;;) {
		uint64_t base = tat > now_us ? tat : now_us;

		if (base - now_us > rl->tolerance_us)
			return false;
		if (atomic_compare_exchange_weak_explicit(&rl->tat_us, &tat,
							  base + rl->interval_us,
							  memory_order_relaxed,
							  memory_order_relaxed))
			return true;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Capture                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/**
 * Let dpdk-dumpcap and dpdk-pdump capture this process's ports (rte_pdump_init()). Capture
 * needs a secondary process to attach: EAL must run with shared hugepage memory (not
 * --no-huge, not --in-memory).
 * @return 0, or a negative value from rte_pdump_init() (logged).
 * Thread: the main thread, after rte_eal_init().
 */
int aves_capture_init(void);

/** Undo aves_capture_init(). Main thread, after the lcores stopped. */
void aves_capture_uninit(void);

#ifdef __cplusplus
}
#endif

#endif /* AVES_RUNTIME_H */
