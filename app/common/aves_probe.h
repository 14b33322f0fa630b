/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_probe.h
 * Per-stage cycle probes for bench/ (aves-bench). They exist only in a build of the core
 * libraries compiled with -DAVES_BENCH_STAGES; everywhere else every macro is empty, so the
 * appliances carry no probe cost.
 *
 * A probe reads the TSC and charges the cycles since the previous probe of the same lcore to
 * a named stage. Probes sit at stage boundaries, once per burst, except around encapsulation
 * (once per relayed packet: rewrite and encapsulation alternate packet by packet).
 * The accumulators are thread-local and defined by the program that links a probed build
 * (bench/). Thread: the lcore that runs the stage.
 *
 * The probed builds carry one switch besides: tag-off runs, which measure the tunnel paths
 * without their MAC. The protocol has no untagged mode (docs/PROTOCOL.md §3.3), so the switch
 * exists only here: in every other build AVES_BENCH_TAG_ON() is the constant true, and the
 * code it guards (the waypoint's aves_tag_burst() call, the gateway's aves_verify_burst()
 * call) is the only code there is.
 */
#ifndef AVES_PROBE_H
#define AVES_PROBE_H

#include <stdbool.h>
#include <stdint.h>

/** Stages of a data path, X(enum suffix, name). */
#define AVES_STAGES(X) \
	X(RX,      "rx")       /* rte_eth_rx_burst */ \
	X(PARSE,   "parse")    /* Ethernet and IPv4 parse, classification, keys */ \
	X(LOOKUP,  "lookup")   /* bulk table lookups */ \
	X(REWRITE, "rewrite")  /* per-packet decision, route, address rewrite */ \
	X(ENCAP,   "encap")    /* tunnel headers added or removed */ \
	X(TAG,     "tag")      /* HMAC tag computed or verified, a burst at once */ \
	X(TX,      "tx")       /* fragmentation check, framing, punt flush, TX burst */

enum aves_stage {
#define AVES_STAGE_ENUM_(name, str) AVES_STAGE_##name,
	AVES_STAGES(AVES_STAGE_ENUM_)
#undef AVES_STAGE_ENUM_
	AVES_STAGE_MAX
};

#ifdef AVES_BENCH_STAGES
#include <rte_cycles.h>

/** Cycles charged to each stage on this thread. */
extern __thread uint64_t aves_probe_cycles[AVES_STAGE_MAX];
/** TSC at this thread's previous probe. */
extern __thread uint64_t aves_probe_last;
/** Tag-off run on this thread: the waypoint sends its packets with the zeroed tag space
 *  aves_encap() appended, and the gateway decapsulates them without verifying anything. */
extern __thread bool aves_bench_tag_off;

/** Start timing: the cycles until the next probe belong to its stage. */
#define AVES_PROBE_START() (aves_probe_last = rte_rdtsc())
/** Charge the cycles since the previous probe to stage @p s. */
#define AVES_PROBE(s) do { \
		uint64_t aves_probe_now_ = rte_rdtsc(); \
		aves_probe_cycles[AVES_STAGE_##s] += aves_probe_now_ - aves_probe_last; \
		aves_probe_last = aves_probe_now_; \
	} while (0)
/** Whether tunnel packets are tagged and verified (a tag-off run says no). */
#define AVES_BENCH_TAG_ON() (!aves_bench_tag_off)
#else
#define AVES_PROBE_START() do { } while (0)
#define AVES_PROBE(s) do { } while (0)
#define AVES_BENCH_TAG_ON() true
#endif

#endif /* AVES_PROBE_H */
