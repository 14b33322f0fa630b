/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How aves-bench measures any path (bench/README.md): rounds of one burst each, the burst put
 * on the arrival port's RX ring before the clock starts, one poll of the worker timed, what
 * came out taken from the departure port's TX ring after it stops; the floors on the same
 * frames; the rows of the tables, the CSV, the TAP lines.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench.h"

struct bench B;

__thread uint64_t aves_probe_cycles[AVES_STAGE_MAX];
__thread uint64_t aves_probe_last;
__thread bool aves_bench_tag_off;

const char bench_service_hex[] = "00112233445566778899aabbccddeeff";
const char bench_gw_hex[] = "0123456789abcdef0123456789abcdef";

static const char *const stage_names[AVES_STAGE_MAX] = {
#define STAGE_NAME_(name, str) [AVES_STAGE_##name] = str,
	AVES_STAGES(STAGE_NAME_)
#undef STAGE_NAME_
};

/* IMIX 7:4:1 of 64-, 594- and 1518-byte frames (FCS included). */
const struct bench_size bench_sizes[] = {
	{ "udp36", { 36 }, 1, PAPER_SMALL_CYCLES },
	{ "udp1464", { 1464 }, 1, PAPER_LARGE_CYCLES },
	{ "frame64", { 18 }, 1, 0 },
	{ "imix", { 18, 548, 18, 18, 548, 18, 1472, 18, 548, 18, 548, 18 }, 12, 0 },
};
const unsigned int bench_n_sizes = RTE_DIM(bench_sizes);

/* The frame store: every frame with BENCH_HEADROOM bytes before it. */
#define FRAME_STRIDE (BENCH_HEADROOM + BENCH_FRAME_MAX)
static uint8_t *frame_store;

int
bench_key(struct aves_key *k, uint32_t id, const char *hex)
{
	uint8_t secret[AVES_KEY_MAX_LEN];
	int len = aves_key_parse_hex(hex, secret, sizeof(secret));

	return len < 0 ? -1 : aves_key_init(B.auth, k, id, AVES_ALG_HMAC_MD5, secret, (size_t)len);
}

int
bench_init(void)
{
	IMB_ARCH arch;
	unsigned int j;

	B.hz = rte_get_tsc_hz();
	B.pool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	B.auth = aves_auth_ctx_create();
	B.mb = alloc_mb_mgr(0);
	frame_store = calloc(BENCH_FRAMES, FRAME_STRIDE);
	if (B.pool == NULL || B.auth == NULL || B.mb == NULL || frame_store == NULL ||
	    bench_key(&B.service, 1, bench_service_hex) != 0 ||
	    bench_key(&B.gw, 101, bench_gw_hex) != 0)
		return -1;
	init_mb_mgr_auto(B.mb, &arch);
	for (j = 0; j < BENCH_FRAMES; j++)
		B.f.frame[j] = frame_store + (size_t)j * FRAME_STRIDE + BENCH_HEADROOM;
	return 0;
}

void
bench_fini(void)
{
	aves_key_wipe(&B.service);
	aves_key_wipe(&B.gw);
	aves_auth_ctx_free(B.auth);
	if (B.mb != NULL)
		free_mb_mgr(B.mb);
	rte_mempool_free(B.pool);
	free(frame_store);
	if (B.csv != NULL)
		fclose(B.csv);
}

uint32_t
bench_host(uint32_t base, uint32_t i)
{
	return rte_cpu_to_be_32(base + (i & 0x1fffff));
}

uint32_t
bench_spread(unsigned int j, uint32_t n)
{
	/* Knuth's multiplicative constant, a prime: frames j < n land on distinct entries, and
	 * consecutive frames far apart in the table. */
	return (uint32_t)(((uint64_t)j * 2654435761u) % n);
}

/* ---------------------------------------------------------------------------------------- */
/* Measurement                                                                               */
/* ---------------------------------------------------------------------------------------- */

int
bench_load(struct aves_h_port *port, unsigned int n, unsigned int *next)
{
	struct rte_mbuf *m[BENCH_BURST_MAX];
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(B.pool, m, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int j = (*next)++ % B.f.n;

		rte_memcpy(rte_pktmbuf_mtod(m[i], void *), B.f.frame[j], B.f.len[j]);
		m[i]->data_len = B.f.len[j];
		m[i]->pkt_len = B.f.len[j];
	}
	if (rte_ring_enqueue_bulk(port->rx[0], (void **)m, n, NULL) != n) {
		rte_pktmbuf_free_bulk(m, n);
		return -1;
	}
	return 0;
}

unsigned int
bench_unload(struct aves_h_port *port, unsigned int q)
{
	void *m[BENCH_BURST_MAX];
	unsigned int n, total = 0;

	while ((n = rte_ring_dequeue_burst(port->tx[q], m, BENCH_BURST_MAX, NULL)) != 0) {
		rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
		total += n;
	}
	return total;
}

/* What a worker sent on its queue (0) of @p p's departure port, everything else freed. */
static unsigned int
unload_path(const struct bench_path *p)
{
	unsigned int sent = bench_unload(p->out, 0);

	if (p->in != p->out)
		bench_unload(p->in, 0);
	return sent;
}

/*
 * One round of a measurement: returns its timed cycles (UINT64_MAX when it could not run) and
 * adds what it counts (packets out, lookups missed) to *count.
 */
typedef uint64_t round_fn(const struct bench_path *p, unsigned int burst, unsigned int *next,
			  uint64_t *count);

/* A measurement, per packet. */
struct measured {
	double cycles;
	double stage[AVES_STAGE_MAX];
	double dropped;		/* fraction of the rounds dropped as interrupted */
	uint64_t count;		/* summed over the rounds kept */
	uint64_t packets;	/* offered in the rounds kept */
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A tenth of @p rounds (at least BENCH_WARM_MIN) warms the caches and gives the median round;
 * then every round is timed, and a round that took more than BENCH_DROP_FACTOR times that
 * median is dropped with its stage cycles: on a shared machine it was interrupted (a time
 * slice given to another process costs milliseconds, a round tens of microseconds), and what
 * is measured is the code's own cost. 0, or -1 when a round could not run or none was kept.
 */
static int
measure(round_fn *fn, const struct bench_path *p, unsigned int burst, unsigned int rounds,
	struct measured *out)
{
	static uint64_t warm[BENCH_WARM_MAX];
	uint64_t saved[AVES_STAGE_MAX], cycles = 0, ignored = 0, limit;
	unsigned int n_warm = RTE_MAX(rounds / 10, BENCH_WARM_MIN);
	unsigned int next = 0, kept = 0, r, s;

	n_warm = RTE_MIN(n_warm, BENCH_WARM_MAX);
	for (r = 0; r < n_warm; r++)
		if ((warm[r] = fn(p, burst, &next, &ignored)) == UINT64_MAX)
			return -1;
	qsort(warm, n_warm, sizeof(warm[0]), cmp_u64);
	limit = BENCH_DROP_FACTOR * warm[n_warm / 2];
	memset(aves_probe_cycles, 0, sizeof(aves_probe_cycles));
	out->count = 0;
	for (r = 0; r < rounds; r++) {
		uint64_t count = 0, c;

		memcpy(saved, aves_probe_cycles, sizeof(saved));
		c = fn(p, burst, &next, &count);
		if (c == UINT64_MAX)
			return -1;
		if (c > limit) {
			memcpy(aves_probe_cycles, saved, sizeof(saved));
			continue;
		}
		cycles += c;
		out->count += count;
		kept++;
	}
	if (kept == 0)
		return -1;
	out->cycles = (double)cycles / ((double)kept * burst);
	for (s = 0; s < AVES_STAGE_MAX; s++)
		out->stage[s] = (double)aves_probe_cycles[s] / ((double)kept * burst);
	out->dropped = 1.0 - (double)kept / rounds;
	out->packets = (uint64_t)kept * burst;
	return 0;
}

/* The path: a burst on the arrival port's RX ring, one poll timed, what came out counted. */
static uint64_t
path_round(const struct bench_path *p, unsigned int burst, unsigned int *next, uint64_t *sent)
{
	uint64_t t0, t1;

	if (bench_load(p->in, burst, next) != 0)
		return UINT64_MAX;
	t0 = rte_rdtsc();
	p->poll();
	t1 = rte_rdtsc();
	*sent += unload_path(p);
	return t1 - t0;
}

int
bench_run(const struct bench_path *p, unsigned int burst, unsigned int rounds,
	  struct bench_result *res)
{
	struct measured m;

	if (measure(path_round, p, burst, rounds, &m) != 0)
		return -1;
	res->total = m.cycles;
	memcpy(res->stage, m.stage, sizeof(res->stage));
	res->out_ratio = (double)m.count / (double)m.packets;
	res->dropped = m.dropped;
	return 0;
}

static uint64_t
io_round(const struct bench_path *p, unsigned int burst, unsigned int *next, uint64_t *count)
{
	struct rte_mbuf *m[BENCH_BURST_MAX];
	uint64_t t0, t1;
	uint16_t n, sent;

	if (bench_load(p->in, burst, next) != 0)
		return UINT64_MAX;
	t0 = rte_rdtsc();
	n = rte_eth_rx_burst(p->in->port_id, 0, m, (uint16_t)burst);
	sent = rte_eth_tx_burst(p->out->port_id, 0, m, n);
	t1 = rte_rdtsc();
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	*count += unload_path(p);
	return t1 - t0;
}

double
bench_floor_io(const struct bench_path *p, unsigned int burst, unsigned int rounds)
{
	struct measured m;

	return measure(io_round, p, burst, rounds, &m) != 0 ? -1 : m.cycles;
}

static uint64_t
mac_round(const struct bench_path *p, unsigned int burst, unsigned int *next, uint64_t *count)
{
	static uint8_t tags[BENCH_BURST_MAX][AVES_TAG_LEN];
	uint64_t t0 = rte_rdtsc();
	unsigned int i;
	IMB_JOB *job;

	RTE_SET_USED(p);
	for (i = 0; i < burst; i++) {
		unsigned int j = (*next)++ % B.f.n;

		job = IMB_GET_NEXT_JOB(B.mb);
		job->src = B.f.mac_src[j];
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = B.f.mac_len[j];
		job->auth_tag_output = tags[i];
		job->auth_tag_output_len_in_bytes = AVES_TAG_LEN;
		job->u.HMAC._hashed_auth_key_xor_ipad = B.gw.ipad_state;
		job->u.HMAC._hashed_auth_key_xor_opad = B.gw.opad_state;
		job->cipher_mode = IMB_CIPHER_NULL;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->hash_alg = IMB_AUTH_MD5;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		for (job = IMB_SUBMIT_JOB(B.mb); job != NULL; job = IMB_GET_COMPLETED_JOB(B.mb))
			*count += job->status == IMB_STATUS_COMPLETED;
	}
	while ((job = IMB_FLUSH_JOB(B.mb)) != NULL)
		*count += job->status == IMB_STATUS_COMPLETED;
	return rte_rdtsc() - t0;
}

double
bench_floor_mac(unsigned int burst, unsigned int rounds)
{
	struct measured m;

	if (measure(mac_round, NULL, burst, rounds, &m) != 0)
		return -1;
	return m.count == m.packets ? m.cycles : -1;
}

static uint64_t
lookup_round(const struct bench_path *p, unsigned int burst, unsigned int *next,
	     uint64_t *misses)
{
	const void *kp[BENCH_BURST_MAX];
	void *ent[BENCH_BURST_MAX];
	uint64_t hit_mask, t0, t1;
	unsigned int i;
	int hits;

	for (i = 0; i < burst; i++)
		kp[i] = B.f.key[(*next)++ % B.f.n];
	t0 = rte_rdtsc();
	hits = aves_table_lookup_bulk(p->table, kp, burst, ent, &hit_mask);
	t1 = rte_rdtsc();
	*misses += burst - (unsigned int)RTE_MAX(hits, 0);
	return t1 - t0;
}

double
bench_floor_lookup(const struct bench_path *p, unsigned int burst, unsigned int rounds)
{
	struct measured m;

	if (measure(lookup_round, p, burst, rounds, &m) != 0)
		return -1;
	return m.count == 0 ? m.cycles : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Output                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static unsigned int csv_rows;

void
bench_csv(const char *path, const char *size, unsigned int burst, uint32_t entries,
	  const char *metric, double value, double paper)
{
	if (B.csv == NULL)
		return;
	if (csv_rows++ == 0)
		fprintf(B.csv, "path,size,burst,bindings,metric,value,paper\n");
	fprintf(B.csv, "%s,%s,%u,%" PRIu32 ",%s,%.1f,", path, size, burst, entries, metric, value);
	if (paper > 0)
		fprintf(B.csv, "%.0f", paper);
	fprintf(B.csv, "\n");
}

static int tap_n;

void
bench_tap(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
	fflush(stdout);
}

void
bench_tap_plan(void)
{
	printf("1..%d\n", tap_n);
}

/* Average bytes on the wire per frame of B.f (with FCS, preamble and gap). */
static double
wire_bytes(void)
{
	double sum = 0;
	unsigned int j;

	for (j = 0; j < B.f.n; j++)
		sum += B.f.len[j] + 4 + 20;
	return sum / B.f.n;
}

/* The Figure 8 summary's numbers: per path (tag on), udp36 and udp1464. */
#define FIG8_PATHS 8
static struct {
	const struct bench_path *p;
	double total[2], tag[2], total_off[2], ratio[2], target;
} fig8[FIG8_PATHS];
static unsigned int n_fig8;

static void
fig8_note(const struct bench_path *p, unsigned int size, bool tag_off, double total,
	  double tag, double ratio, double target)
{
	unsigned int i;

	if (size > 1)
		return;
	for (i = 0; i < n_fig8 && fig8[i].p != p; i++)
		;
	if (i == n_fig8) {
		if (n_fig8 == FIG8_PATHS)
			return;
		n_fig8++;
		fig8[i].p = p;
	}
	if (tag_off) {
		fig8[i].total_off[size] = total;
		return;
	}
	fig8[i].total[size] = total;
	fig8[i].tag[size] = tag;
	fig8[i].ratio[size] = ratio;
	fig8[i].target = target;
}

int
bench_table(const struct bench_path *p, unsigned int burst, bool tag_off)
{
	/* Tagged paths are held to io + mac, the others (and tag-off runs) to io + lookup; only
	 * the tag-on run has the path's target. */
	bool with_mac = p->tunnel && !tag_off;
	double target = tag_off ? 0 : p->target;
	char name[48], what[128];
	double dropped = 0;
	unsigned int c, s;
	bool ok = true;

	snprintf(name, sizeof(name), "%s%s", p->name, tag_off ? "_tagoff" : "");
	printf("\n%s%s, burst %u, %" PRIu32 " %s, TSC cycles per packet\n", p->title,
	       !p->tunnel ? "" : tag_off ? ", TAG OFF (bench-only: no HMAC)" : ", HMAC-MD5",
	       burst, p->n_entries, p->entries);
	printf("%-8s", "size");
	for (s = 0; s < AVES_STAGE_MAX; s++)
		printf(" %7s", stage_names[s]);
	printf(" %7s %8s | %6s %6s %6s %6s | %6s %6s %5s %5s | %8s %7s\n", "other", "total",
	       "io", "mac", "lookup", "ratio", "Mpps", "Gbit/s", "10G", "40G", "paper", "x");
	aves_bench_tag_off = tag_off;
	for (c = 0; c < bench_n_sizes; c++) {
		const struct bench_size *sc = &bench_sizes[c];
		double io, mac = 0, lookup, other, mpps, gbps, wire, ratio, paper;
		struct bench_result res;

		if (p->make(sc->payloads, sc->n) != 0 || bench_run(p, burst, B.rounds, &res) != 0) {
			fprintf(stderr, "aves-bench: %s %s: cannot build the frames or run\n", name,
				sc->name);
			aves_bench_tag_off = false;
			return -1;
		}
		wire = wire_bytes();
		io = bench_floor_io(p, burst, B.rounds);
		if (with_mac)
			mac = bench_floor_mac(burst, B.rounds);
		lookup = bench_floor_lookup(p, burst, B.rounds);
		other = res.total;
		for (s = 0; s < AVES_STAGE_MAX; s++)
			other -= res.stage[s];
		mpps = (double)B.hz / res.total / 1e6;
		gbps = mpps * wire * 8 / 1e3;
		ratio = res.total / (io + (with_mac ? mac : lookup));
		paper = p->paper && !tag_off ? sc->paper : 0;
		printf("%-8s", sc->name);
		for (s = 0; s < AVES_STAGE_MAX; s++)
			printf(" %7.0f", res.stage[s]);
		printf(" %7.0f %8.0f | %6.0f ", other, res.total, io);
		if (with_mac)
			printf("%6.0f", mac);
		else
			printf("%6s", "-");
		printf(" %6.0f %6.2f | %6.2f %6.2f %5.0f %5.0f |", lookup, ratio, mpps, gbps,
		       ceil(10.0 / gbps), ceil(40.0 / gbps));
		if (paper > 0)
			printf(" %8.0f %6.1fx\n", paper, paper / res.total);
		else
			printf(" %8s %7s\n", "-", "-");
		if (res.out_ratio < 0.999) {
			printf("#   only %.1f%% of the packets came out\n", 100 * res.out_ratio);
			ok = false;
		}
		if (io < 0 || mac < 0 || lookup < 0) {
			printf("#   a floor could not be measured (a MAC job failed or a key missed)\n");
			ok = false;
		}
		for (s = 0; s < AVES_STAGE_MAX; s++)
			bench_csv(name, sc->name, burst, p->n_entries, stage_names[s], res.stage[s], 0);
		bench_csv(name, sc->name, burst, p->n_entries, "other", other, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "total", res.total, paper);
		bench_csv(name, sc->name, burst, p->n_entries, "floor_io", io, 0);
		if (with_mac)
			bench_csv(name, sc->name, burst, p->n_entries, "floor_mac", mac, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "floor_lookup", lookup, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "ratio_to_floors", ratio, 0);
		if (target > 0)
			bench_csv(name, sc->name, burst, p->n_entries, "ratio_target", target, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "mpps_per_lcore", mpps, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "gbps_per_lcore", gbps, 0);
		bench_csv(name, sc->name, burst, p->n_entries, "cores_10g", ceil(10.0 / gbps), 0);
		bench_csv(name, sc->name, burst, p->n_entries, "cores_40g", ceil(40.0 / gbps), 0);
		bench_csv(name, sc->name, burst, p->n_entries, "dropped_pct", 100 * res.dropped, 0);
		dropped = RTE_MAX(dropped, res.dropped);
		fig8_note(p, c, tag_off, res.total, res.stage[AVES_STAGE_TAG], ratio, target);
	}
	aves_bench_tag_off = false;
	printf("io: rx + tx burst, arrival to departure port, alone; %slookup: the bulk lookup "
	       "of the same keys in the same table, alone;\nratio = total / (io + %s) ",
	       with_mac ? "mac: ipsec-mb HMAC-MD5 over the same lengths, batched, alone; " : "",
	       with_mac ? "mac" : "lookup");
	if (target > 0)
		printf("(target %.2f)", target);
	else
		printf("(no target in the issue)");
	printf("; Gbit/s: arriving frames on the wire; 10G/40G: lcores for line rate; x: the "
	       "paper's cycles / ours; rounds dropped as interrupted: up to %.1f%%.\n",
	       100 * dropped);
	snprintf(what, sizeof(what), "%s%s: every size, stages and floors", p->title,
		 tag_off ? " (tag off)" : "");
	bench_tap(ok, what);
	return 0;
}

int
bench_sweep(const struct bench_path *p, const char *what, unsigned int burst,
	    unsigned int rounds)
{
	struct bench_result res;
	double io, lookup;
	char name[48];

	snprintf(name, sizeof(name), "%s_%s", p->name, what);
	if (p->make(BENCH_SWEEP_SIZE->payloads, BENCH_SWEEP_SIZE->n) != 0 ||
	    bench_run(p, burst, rounds, &res) != 0) {
		fprintf(stderr, "aves-bench: %s burst %u: cannot build the frames or run\n", name,
			burst);
		return -1;
	}
	io = bench_floor_io(p, burst, rounds);
	lookup = bench_floor_lookup(p, burst, rounds);
	printf("  %-10s %-8s burst %2u  %-13s %8" PRIu32 "  total %6.0f  lookup %5.0f  tag %5.0f"
	       "  | io %4.0f  lookup %4.0f\n", p->name, what, burst, p->entries, p->n_entries,
	       res.total, res.stage[AVES_STAGE_LOOKUP], res.stage[AVES_STAGE_TAG], io, lookup);
	bench_csv(name, BENCH_SWEEP_SIZE->name, burst, p->n_entries, "total", res.total, 0);
	bench_csv(name, BENCH_SWEEP_SIZE->name, burst, p->n_entries, "lookup",
		  res.stage[AVES_STAGE_LOOKUP], 0);
	bench_csv(name, BENCH_SWEEP_SIZE->name, burst, p->n_entries, "tag",
		  res.stage[AVES_STAGE_TAG], 0);
	bench_csv(name, BENCH_SWEEP_SIZE->name, burst, p->n_entries, "floor_io", io, 0);
	bench_csv(name, BENCH_SWEEP_SIZE->name, burst, p->n_entries, "floor_lookup", lookup, 0);
	if (res.out_ratio < 0.999 || io < 0 || lookup < 0) {
		printf("#   %s burst %u: %.1f%% of the packets came out%s\n", name, burst,
		       100 * res.out_ratio, io < 0 || lookup < 0 ? "; a floor failed" : "");
		return -1;
	}
	return 0;
}

void
bench_figure8(void)
{
	static const char *const size_names[2] = { "udp36", "udp1464" };
	unsigned int i, k;

	printf("\nFigure 8 shape: TSC cycles per packet, burst 32, largest tables; the paper's "
	       "figure is its relay's processing limit\n(866 MHz Pentium III, BRIEF.md §4); "
	       "'-': the paper did not measure that node.\n");
	printf("%-18s %-8s %8s %8s %8s %6s %6s | %8s %7s\n", "path", "size", "total", "tag",
	       "tag off", "ratio", "target", "paper", "x");
	for (i = 0; i < n_fig8; i++) {
		const struct bench_path *p = fig8[i].p;

		for (k = 0; k < 2; k++) {
			double paper = p->paper ? bench_sizes[k].paper : 0;

			printf("%-18s %-8s %8.0f ", k == 0 ? p->label : "", size_names[k],
			       fig8[i].total[k]);
			if (p->tunnel)
				printf("%8.0f %8.0f", fig8[i].tag[k], fig8[i].total_off[k]);
			else
				printf("%8s %8s", "-", "-");
			printf(" %6.2f ", fig8[i].ratio[k]);
			if (fig8[i].target > 0)
				printf("%6.2f |", fig8[i].target);
			else
				printf("%6s |", "-");
			if (paper > 0)
				printf(" %8.0f %6.1fx\n", paper, paper / fig8[i].total[k]);
			else
				printf(" %8s %7s\n", "-", "-");
		}
	}
}
