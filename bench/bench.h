/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parts of aves-bench share (bench/README.md): the run's state, the frames of the
 * case being measured, the description of a measured path, the measurement loops (the path
 * itself and its floors), and the output (table rows, CSV, TAP).
 *
 * bench_wp.c builds the waypoint and describes its path; bench_gw.c builds the gateway and
 * describes its four; bench_common.c measures any of them the same way; aves_bench.c runs the
 * set. Everything runs on the main lcore: the driver calls the appliances' poll functions
 * itself, so the probes' thread-local accumulators are the driver's.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <intel-ipsec-mb.h>
#include <rte_mempool.h>

#include "aves_auth.h"
#include "aves_harness.h"
#include "aves_probe.h"
#include "aves_table.h"

#define BENCH_WALL_US UINT64_C(1700000000000000)	/* wall clock at start, µs */
#define BENCH_T0_MS UINT64_C(1000000)			/* the lcores' clock at start, ms */
#define BENCH_FRAMES 4096u	/* distinct frames of a case, replayed in turn */
#define BENCH_FRAME_MAX 1664u	/* the largest: a 1518-byte frame tunnelled (+64) */
#define BENCH_HEADROOM 64u	/* before each stored frame (the MAC floor's waypoint case) */
#define BENCH_BURST_MAX 64u
#define BENCH_KEY_MAX 24u	/* the longest table key (the gateway's inbound key) */
#define BENCH_WARM_MIN 16u	/* rounds that warm up a measurement, at least */
#define BENCH_WARM_MAX 4096u	/* and at most */
#define BENCH_DROP_FACTOR 4u	/* a round this many times the median was interrupted */

/* The paper's figures (BRIEF.md §4): its relay's processing limit, cycles per packet. */
#define PAPER_SMALL_CYCLES 17500.0	/* 48-byte packets (19 Mbps), 866 MHz Pentium III */
#define PAPER_LARGE_CYCLES 43500.0	/* 1464-byte packets (233 Mbps) */
#define PAPER_SETUP_CYCLES 71000.0	/* SETUP -> ACCEPT at the waypoint */
#define PAPER_CTRL_TAG_CYCLES 3100.0	/* tag of one control message */

/* Secrets of the bench's keys: the service key (SETUP), the gateway's key (the tunnel). */
extern const char bench_service_hex[];
extern const char bench_gw_hex[];

/* The frames of the case being measured, and per frame what its path's floors need. */
struct bench_frames {
	unsigned int n;
	uint16_t len[BENCH_FRAMES];
	uint8_t *frame[BENCH_FRAMES];	/* BENCH_HEADROOM bytes before each are ours too */
	/* The bytes the tunnel's tag covers (tunnel paths): where they start, how many. */
	const uint8_t *mac_src[BENCH_FRAMES];
	uint16_t mac_len[BENCH_FRAMES];
	/* The key the path's one bulk lookup looks the frame up under. */
	uint64_t key[BENCH_FRAMES][BENCH_KEY_MAX / 8];
};

/* The run's state. */
struct bench {
	bool quick;
	FILE *csv;
	uint64_t hz;
	struct rte_mempool *pool;	/* the driver's mbufs */
	struct aves_auth_ctx *auth;
	struct aves_key service, gw;	/* id 1 (SETUP), id 101 (the gateway's tunnel key) */
	IMB_MGR *mb;			/* the MAC floor's own manager */
	unsigned int rounds;		/* bursts per measurement (the main tables) */
	struct bench_frames f;
};
extern struct bench B;

/* One data path of an appliance, as the driver measures it. */
struct bench_path {
	const char *name;		/* the CSV's path column */
	const char *title;		/* heading of its table */
	const char *label;		/* its row in the Figure 8 summary */
	const char *entries;		/* what its table holds ("bindings", "reply paths") */
	bool tunnel;			/* tagged or verified: MAC floor, tag-off runs */
	bool paper;			/* the paper measured this node (Figure 8) */
	double target;			/* the ratio target (tunnel paths: to io + mac,
					 * the others: to io + lookup); 0: none */
	struct aves_h_port *in, *out;	/* where its packets arrive and leave */
	const struct aves_table *table;	/* what its one bulk lookup searches */
	uint32_t n_entries;		/* entries of its kind in the tables now */
	/* One poll of the worker lcore that runs it. */
	void (*poll)(void);
	/* Fill B.f: BENCH_FRAMES frames with these UDP payload sizes, cycling, spread over
	 * the table's entries; their tagged bytes and keys. 0, or -1 (no entries, no mbuf, a
	 * frame that does not parse). */
	int (*make)(const uint16_t *payloads, unsigned int n_payloads);
};

/* A packet size case. */
struct bench_size {
	const char *name;
	uint16_t payloads[12];	/* UDP payload bytes, cycled */
	unsigned int n;
	double paper;		/* the paper's cycles per packet at this size, 0: none */
};
extern const struct bench_size bench_sizes[];
extern const unsigned int bench_n_sizes;
/* The size the sweeps use (64-byte frames). */
#define BENCH_SWEEP_SIZE (&bench_sizes[2])

/* What one measurement of a path gives, per packet. */
struct bench_result {
	double total;
	double stage[AVES_STAGE_MAX];
	double out_ratio;	/* packets out / packets offered */
	double dropped;		/* fraction of the rounds dropped as interrupted */
};

/* Set-up: pool, keys, MAC manager, frame store. 0 or -1. Main thread after EAL. */
int bench_init(void);
void bench_fini(void);

/* A key from its hex secret, for the bench's auth context. 0 or -1. */
int bench_key(struct aves_key *k, uint32_t id, const char *hex);

/* The i-th address (i < 2^21) of the /11 at @p base (host order), in network order. */
uint32_t bench_host(uint32_t base, uint32_t i);
/* Which of @p n entries frame @p j uses: a stride that visits them all, spread out. */
uint32_t bench_spread(unsigned int j, uint32_t n);

/* Frames: put @p n of B.f (from *next, in turn) on RX queue 0 of @p port. 0 or -1. */
int bench_load(struct aves_h_port *port, unsigned int n, unsigned int *next);
/* Free what TX queue @p q of @p port holds; returns how many. */
unsigned int bench_unload(struct aves_h_port *port, unsigned int q);

/* The path on @p rounds bursts of @p burst frames of B.f, after a tenth as many to warm up;
 * rounds over BENCH_DROP_FACTOR times the warm-up's median are dropped as interrupted (the
 * floors likewise). */
int bench_run(const struct bench_path *p, unsigned int burst, unsigned int rounds,
	      struct bench_result *res);
/* Floors, per packet, on the same frames: rx + tx burst from the path's arrival to its
 * departure port, nothing else; HMAC-MD5 of the tagged bytes with ipsec-mb, a burst
 * submitted then flushed; the bulk lookup of the frames' keys in the path's table. Negative
 * when it could not run, a MAC job failed, or a key missed (the floor would mean nothing). */
double bench_floor_io(const struct bench_path *p, unsigned int burst, unsigned int rounds);
double bench_floor_mac(unsigned int burst, unsigned int rounds);
double bench_floor_lookup(const struct bench_path *p, unsigned int burst, unsigned int rounds);

/* The main table of a path: every size at @p burst, stages and floors, throughput and
 * cores, the paper's figure; tag off when @p tag_off. Prints, writes CSV rows, records the
 * Figure 8 summary's numbers, prints a TAP line. 0, or -1 when it could not run. */
int bench_table(const struct bench_path *p, unsigned int burst, bool tag_off);
/* One sweep point: 64-byte frames at @p burst over the path's current table; its CSV rows
 * go under the path "<name>_<what>" ("wp_inbound_bursts"). */
int bench_sweep(const struct bench_path *p, const char *what, unsigned int burst,
		unsigned int rounds);
/* The summary in the shape of the paper's Figure 8 (every path that had a table). */
void bench_figure8(void);

void bench_csv(const char *path, const char *size, unsigned int burst, uint32_t entries,
	       const char *metric, double value, double paper);
void bench_tap(bool ok, const char *what);
/* The TAP plan: "1..N" for the lines printed so far. */
void bench_tap_plan(void);

/* The waypoint (bench_wp.c). */
extern struct bench_path wp_inbound_path;
int wp_bench_start(uint32_t capacity, unsigned int connections);
void wp_bench_stop(void);
/* Bind initiators until @p target are bound, through the waypoint's control path; returns
 * the control lcore's cycles per SETUP -> ACCEPT, or a negative value. */
double wp_bench_bind_to(uint32_t target);
/* The tag of one control message, as the control lcore computes it: cycles. */
double wp_bench_ctrl_tag(unsigned int rounds);

/* The gateway (bench_gw.c). */
extern struct bench_path gw_inbound_path, gw_reply_path, napt_out_path, napt_in_path;
int gw_bench_start(uint32_t capacity);
void gw_bench_stop(void);
/* What creating sessions through the gateway's own path cost, per session. */
struct gw_create_cost {
	double reply_worker, reply_control;	/* first tunnel packet: worker, control lcore */
	double napt_worker, napt_control;	/* first outbound packet: likewise */
};
/* Create reply paths and NAPT sessions until there are @p target of each: first packets
 * through the worker and the control lcore, as traffic would. 0 or -1. */
int gw_bench_grow_to(uint32_t target, struct gw_create_cost *cost);

#endif /* BENCH_H */
