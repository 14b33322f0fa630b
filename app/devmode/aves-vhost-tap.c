/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-vhost-tap: the vhost-user backend of development mode's virtio_user attachment
 * (docs/DEVMODE.md). It does in user space what the kernel's vhost-net does for a
 * virtio_user port that names /dev/vhost-net: it moves frames between the virtio rings of
 * an appliance's port and a TAP device, whose kernel side the topology splices onto its
 * segment. The development machine's kernel has no vhost-net, so the appliances' virtio_user
 * ports speak vhost-user to this process instead.
 *
 *   aves-vhost-tap [EAL options] -- [--sleep US]
 *
 * Ports come in pairs by number: "--vdev net_vhostN,iface=SOCKET,queues=Q" is the
 * vhost-user server that the appliance's virtio_user port connects to (path=SOCKET,
 * queues=Q), "--vdev net_tapN,iface=NAME" the TAP device. One lcore moves frames both ways
 * for every pair. --sleep is the longest idle sleep in microseconds (default 1000, 0: never
 * sleep): when the polls keep finding nothing, the loop sleeps for growing intervals up to
 * that, so that several DPDK processes can share two cores.
 *
 * Counters per pair are printed on SIGUSR1 and at exit (SIGTERM, SIGINT), and served by the
 * telemetry command /aves/vhost_tap/stats.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#define PROG "aves-vhost-tap"
#define VHOST_PREFIX "net_vhost"
#define TAP_PREFIX "net_tap"

#define PAIRS_MAX 8
#define BURST 32
#define TAP_DESC 512
#define POOL_PER_PAIR 2048	/* TAP RX ring, two held bursts, virtio dequeues in flight */
#define POOL_CACHE 64

/* Idle back-off: spin this many empty polls, then sleep from FIRST_SLEEP_US doubling up
 * to --sleep. A short lull costs a short sleep; a quiet link costs 1 ms sleeps. */
#define SPIN_POLLS 256
#define FIRST_SLEEP_US 16
#define SLEEP_DEFAULT_US 1000
#define SLEEP_MAX_US 100000

/* Frames for an appliance that is not attached are dropped at once. Otherwise frames the
 * receiving side refuses are held, as long as it takes some within this time: on two busy
 * cores an appliance's lcore can be off the CPU for hundreds of milliseconds, and vhost-net
 * would not drop its frames either. One that takes nothing for this long is wedged. */
#define HOLD_MAX_MS 1000

RTE_LOG_REGISTER(vhost_tap_logtype, aves.vhost_tap, NOTICE);
#define LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vhost_tap_logtype, PROG ": " fmt "\n", ##__VA_ARGS__)

/* One direction's counters. One writer (the forwarding lcore), read by telemetry. */
struct dir_stats {
	_Atomic uint64_t rx;		/* frames taken from the sending side */
	_Atomic uint64_t tx;		/* frames the receiving side took */
	_Atomic uint64_t dropped;	/* frames for a detached or wedged receiver */
};

/* Frames received but not yet taken by the other side. */
struct held {
	struct rte_mbuf *pkts[BURST];
	uint16_t n;
	uint16_t next_rxq;	/* where the next receive starts, so no queue starves */
	uint64_t since;		/* TSC of the last progress while frames are held */
};

struct pair {
	uint16_t vhost;
	uint16_t tap;
	uint16_t vhost_queues;
	char vhost_name[RTE_ETH_NAME_MAX_LEN];
	char tap_ifname[IF_NAMESIZE];
	struct held to_app;		/* TAP -> virtio */
	struct held from_app;		/* virtio -> TAP */
	struct dir_stats to_app_stats;
	struct dir_stats from_app_stats;
};

static struct pair pairs[PAIRS_MAX];
static unsigned int n_pairs;

static atomic_bool running = true;
static atomic_bool stats_wanted;

static void
on_stop(int sig)
{
	(void)sig;
	atomic_store_explicit(&running, false, memory_order_relaxed);
}

static void
on_usr1(int sig)
{
	(void)sig;
	atomic_store_explicit(&stats_wanted, true, memory_order_relaxed);
}

static int
install_signals(void)
{
	struct sigaction stop, usr1;

	memset(&stop, 0, sizeof(stop));
	memset(&usr1, 0, sizeof(usr1));
	stop.sa_handler = on_stop;
	usr1.sa_handler = on_usr1;
	sigemptyset(&stop.sa_mask);
	sigemptyset(&usr1.sa_mask);
	if (sigaction(SIGINT, &stop, NULL) != 0 || sigaction(SIGTERM, &stop, NULL) != 0 ||
	    sigaction(SIGUSR1, &usr1, NULL) != 0)
		return -errno;
	return 0;
}

/* Single writer: a relaxed load and store, no locked instruction per burst. */
static inline void
count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t
counter(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* ------------------------------------------------------------------------------ options */

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [EAL options] -- [--sleep US]\n"
		"  EAL options: one pair per number N:\n"
		"    --vdev " VHOST_PREFIX "N,iface=SOCKET,queues=Q  vhost-user server for the "
		"appliance's virtio_user port\n"
		"    --vdev " TAP_PREFIX "N,iface=NAME               the TAP device it is joined to\n"
		"  --sleep US   longest idle sleep, microseconds\n"
		"               (0..%u, default %u; 0: never sleep)\n"
		"  -h, --help   this text\n",
		SLEEP_MAX_US, SLEEP_DEFAULT_US);
}

/* @return 0, 1 on a bad command line (usage printed), 2 after --help. */
static int
parse_options(int argc, char **argv, uint32_t *sleep_us)
{
	static const struct option longs[] = {
		{ "sleep", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int opt;

	*sleep_us = SLEEP_DEFAULT_US;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v > SLEEP_MAX_US ||
			    optarg[0] == '-') {
				fprintf(stderr, PROG ": --sleep: not a number of microseconds "
					"0..%u: '%s'\n", SLEEP_MAX_US, optarg);
				return 1;
			}
			*sleep_us = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 2;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	return 0;
}

/* -------------------------------------------------------------------------------- ports */

/* The number N of a port named PREFIX"N", or -1. */
static int
port_number(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	long n;

	if (strncmp(name, prefix, len) != 0 || name[len] < '0' || name[len] > '9')
		return -1;
	n = strtol(name + len, &end, 10);
	return *end == '\0' && n < 1000 ? (int)n : -1;
}

/* Pair every net_vhostN with net_tapN; any other port, or one without its partner, is a
 * mistake on the command line. */
static int
find_pairs(void)
{
	char name[RTE_ETH_NAME_MAX_LEN], partner[RTE_ETH_NAME_MAX_LEN];
	uint16_t port, other;
	int n, bad = 0;

	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_get_name_by_port(port, name);
		n = port_number(name, VHOST_PREFIX);
		if (n >= 0) {
			snprintf(partner, sizeof(partner), TAP_PREFIX "%d", n);
			if (rte_eth_dev_get_port_by_name(partner, &other) != 0) {
				fprintf(stderr,
					PROG ": %s has no %s to pair with (--vdev %s,iface=NAME)\n",
					name, partner, partner);
				bad = 1;
			} else if (n_pairs == PAIRS_MAX) {
				fprintf(stderr, PROG ": more than %u pairs\n", PAIRS_MAX);
				bad = 1;
			} else {
				pairs[n_pairs].vhost = port;
				pairs[n_pairs].tap = other;
				snprintf(pairs[n_pairs].vhost_name, RTE_ETH_NAME_MAX_LEN, "%s",
					 name);
				n_pairs++;
			}
			continue;
		}
		n = port_number(name, TAP_PREFIX);
		if (n >= 0) {
			snprintf(partner, sizeof(partner), VHOST_PREFIX "%d", n);
			if (rte_eth_dev_get_port_by_name(partner, &other) != 0) {
				fprintf(stderr,
					PROG ": %s has no %s to pair with (--vdev %s,iface=SOCKET)\n",
					name, partner, partner);
				bad = 1;
			}
			continue;
		}
		fprintf(stderr, PROG ": port %s is neither " VHOST_PREFIX "N nor " TAP_PREFIX "N\n",
			name);
		bad = 1;
	}
	if (!bad && n_pairs == 0) {
		fprintf(stderr, PROG ": no ports: give --vdev " VHOST_PREFIX "N,iface=SOCKET and "
			"--vdev " TAP_PREFIX "N,iface=NAME\n");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* The vhost port has an appliance attached (net_vhost reads a flag: no system call). */
static bool
attached(uint16_t vhost_port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(vhost_port, &link) == 0 &&
	       link.link_status == RTE_ETH_LINK_UP;
}

static struct pair *
pair_of_vhost(uint16_t port)
{
	unsigned int i;

	for (i = 0; i < n_pairs; i++)
		if (pairs[i].vhost == port)
			return &pairs[i];
	return NULL;
}

/* Interrupt thread: the appliance attached or went away. */
static int
on_link_change(uint16_t port, enum rte_eth_event_type event, void *arg, void *ret_param)
{
	struct pair *p = pair_of_vhost(port);

	(void)event;
	(void)arg;
	(void)ret_param;
	if (p != NULL)
		LOG(NOTICE, "%s (TAP %s): the appliance's virtio_user %s", p->vhost_name,
		    p->tap_ifname, attached(port) ? "connected" : "disconnected");
	return 0;
}

/* Configure and start one port with @p nq queue pairs. */
static int
start_port(uint16_t port, uint16_t nq, uint16_t desc, struct rte_mempool *pool, bool lsc)
{
	struct rte_eth_conf conf;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t rx_desc = desc, tx_desc = desc, q;
	int ret;

	rte_eth_dev_get_name_by_port(port, name);
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = lsc;
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
	for (q = 0; ret == 0 && q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, rx_desc, rte_eth_dev_socket_id(port), NULL,
					     pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, tx_desc, rte_eth_dev_socket_id(port),
						     NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret != 0) {
		fprintf(stderr, PROG ": %s: cannot set up %u queue pairs: %s\n", name, nq,
			rte_strerror(-ret));
		return ret;
	}
	/* Every frame: the appliance behind the port filters by its own MAC. */
	ret = rte_eth_promiscuous_enable(port);
	if (ret != 0 && ret != -ENOTSUP)
		LOG(WARNING, "%s: cannot turn promiscuous mode on: %s", name, rte_strerror(-ret));
	return 0;
}

static int
start_pairs(struct rte_mempool *pool)
{
	struct rte_eth_dev_info info;
	unsigned int i;
	int ret;

	for (i = 0; i < n_pairs; i++) {
		struct pair *p = &pairs[i];

		ret = rte_eth_dev_info_get(p->tap, &info);
		if (ret != 0 || info.if_index == 0 ||
		    if_indextoname(info.if_index, p->tap_ifname) == NULL)
			snprintf(p->tap_ifname, sizeof(p->tap_ifname), "?");
		ret = start_port(p->tap, 1, TAP_DESC, pool, false);
		if (ret != 0)
			return ret;

		/* As many queue pairs as the vhost device has (its queues=): the appliance
		 * sends on every one of them, one per lcore. */
		ret = rte_eth_dev_info_get(p->vhost, &info);
		if (ret != 0)
			return ret;
		p->vhost_queues = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
		if (p->vhost_queues == 0)
			p->vhost_queues = 1;
		ret = rte_eth_dev_callback_register(p->vhost, RTE_ETH_EVENT_INTR_LSC,
						    on_link_change, NULL);
		if (ret != 0)
			return ret;
		ret = start_port(p->vhost, p->vhost_queues, 0, pool,
				 (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0);
		if (ret != 0)
			return ret;
		LOG(NOTICE, "%s (%u queue pairs) <-> TAP %s: waiting for the appliance",
		    p->vhost_name, p->vhost_queues, p->tap_ifname);
	}
	return 0;
}

static void
stop_pairs(void)
{
	unsigned int i;

	for (i = 0; i < n_pairs; i++) {
		struct pair *p = &pairs[i];

		rte_pktmbuf_free_bulk(p->to_app.pkts, p->to_app.n);
		rte_pktmbuf_free_bulk(p->from_app.pkts, p->from_app.n);
		p->to_app.n = p->from_app.n = 0;
		rte_eth_dev_callback_unregister(p->vhost, RTE_ETH_EVENT_INTR_LSC, on_link_change,
						NULL);
		/* Closing the vhost port removes its socket file. */
		rte_eth_dev_stop(p->vhost);
		rte_eth_dev_close(p->vhost);
		rte_eth_dev_stop(p->tap);
		rte_eth_dev_close(p->tap);
	}
}

/* ---------------------------------------------------------------------------- the loop */

/*
 * Move frames from rx_port's queues [0, n_rxq) to tx_port's queue 0. Frames the receiving
 * side does not take are held and offered again on the next call, and nothing more is read
 * meanwhile: the sender's own queue (the kernel's TAP queue, the appliance's virtio ring)
 * absorbs the burst, as it does with vhost-net, instead of this process dropping it. They are
 * dropped when tx_port is a vhost port (@p to_vhost) with no appliance attached, or after
 * @p hold_max TSC cycles without progress.
 * @return frames received plus frames delivered (0: nothing happened).
 */
static unsigned int
relay(uint16_t rx_port, uint16_t n_rxq, uint16_t tx_port, bool to_vhost, struct held *h,
      struct dir_stats *st, uint64_t now, uint64_t hold_max)
{
	unsigned int work = 0, i;
	uint16_t sent, q;

	if (h->n == 0) {
		for (i = 0; i < n_rxq && h->n < BURST; i++) {
			q = (uint16_t)((h->next_rxq + i) % n_rxq);
			h->n += rte_eth_rx_burst(rx_port, q, h->pkts + h->n, BURST - h->n);
		}
		h->next_rxq = (uint16_t)((h->next_rxq + 1) % n_rxq);
		if (h->n == 0)
			return 0;
		count(&st->rx, h->n);
		h->since = now;
		work = h->n;
	}
	sent = rte_eth_tx_burst(tx_port, 0, h->pkts, h->n);
	if (sent != 0) {
		count(&st->tx, sent);
		h->n -= sent;
		memmove(h->pkts, h->pkts + sent, h->n * sizeof(h->pkts[0]));
		h->since = now;
		work += sent;
	} else if (now - h->since > hold_max || (to_vhost && !attached(tx_port))) {
		rte_pktmbuf_free_bulk(h->pkts, h->n);
		count(&st->dropped, h->n);
		h->n = 0;
	}
	return work;
}

struct backoff {
	uint32_t empty;		/* consecutive polls that found nothing */
	uint32_t sleep_us;	/* the last sleep; 0 while spinning */
	uint32_t max_us;
};

static void
backoff_poll(struct backoff *b, unsigned int work)
{
	if (work != 0) {
		b->empty = 0;
		b->sleep_us = 0;
		return;
	}
	if (b->empty < SPIN_POLLS || b->max_us == 0) {
		b->empty++;
		rte_pause();
		return;
	}
	b->sleep_us = b->sleep_us == 0 ? RTE_MIN((uint32_t)FIRST_SLEEP_US, b->max_us) :
					 RTE_MIN(b->sleep_us * 2, b->max_us);
	rte_delay_us_sleep(b->sleep_us);
}

static void
print_stats(void)
{
	unsigned int i;

	for (i = 0; i < n_pairs; i++) {
		struct pair *p = &pairs[i];

		LOG(NOTICE, "%s <-> TAP %s (%s): to the appliance rx=%" PRIu64 " tx=%" PRIu64
		    " dropped=%" PRIu64 "; from it rx=%" PRIu64 " tx=%" PRIu64 " dropped=%" PRIu64,
		    p->vhost_name, p->tap_ifname,
		    attached(p->vhost) ? "connected" : "not connected",
		    counter(&p->to_app_stats.rx), counter(&p->to_app_stats.tx),
		    counter(&p->to_app_stats.dropped), counter(&p->from_app_stats.rx),
		    counter(&p->from_app_stats.tx), counter(&p->from_app_stats.dropped));
	}
}

static void
forward(uint32_t sleep_us)
{
	struct backoff idle = { .max_us = sleep_us };
	uint64_t hold_max = rte_get_tsc_hz() / 1000 * HOLD_MAX_MS, now;
	unsigned int work, i;

	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		now = rte_rdtsc();
		work = 0;
		for (i = 0; i < n_pairs; i++) {
			struct pair *p = &pairs[i];

			work += relay(p->tap, 1, p->vhost, true, &p->to_app, &p->to_app_stats, now,
				      hold_max);
			work += relay(p->vhost, p->vhost_queues, p->tap, false, &p->from_app,
				      &p->from_app_stats, now, hold_max);
		}
		if (atomic_exchange_explicit(&stats_wanted, false, memory_order_relaxed))
			print_stats();
		backoff_poll(&idle, work);
	}
}

/* ---------------------------------------------------------------------------- telemetry */

/* One array per counter, indexed by pair (telemetry 22.11 nests arrays in dicts, not
 * dicts, and dict keys cannot hold the TAP names' '-'). */
static int
add_array(struct rte_tel_data *d, const char *name, size_t field_offset)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;
	int ret;

	if (a == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < n_pairs; i++)
		rte_tel_data_add_array_u64(a, counter((_Atomic uint64_t *)((char *)&pairs[i] +
									    field_offset)));
	ret = rte_tel_data_add_dict_container(d, name, a, 0);
	if (ret != 0)
		rte_tel_data_free(a);
	return ret;
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *taps = rte_tel_data_alloc(), *conn = rte_tel_data_alloc();
	unsigned int i;

	(void)cmd;
	(void)params;
	if (taps == NULL || conn == NULL) {
		rte_tel_data_free(taps);
		rte_tel_data_free(conn);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_start_array(taps, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(conn, RTE_TEL_INT_VAL);
	for (i = 0; i < n_pairs; i++) {
		rte_tel_data_add_array_string(taps, pairs[i].tap_ifname);
		rte_tel_data_add_array_int(conn, attached(pairs[i].vhost));
	}
	rte_tel_data_add_dict_container(d, "tap", taps, 0);
	rte_tel_data_add_dict_container(d, "connected", conn, 0);
	add_array(d, "to_app_rx", offsetof(struct pair, to_app_stats.rx));
	add_array(d, "to_app_tx", offsetof(struct pair, to_app_stats.tx));
	add_array(d, "to_app_dropped", offsetof(struct pair, to_app_stats.dropped));
	add_array(d, "from_app_rx", offsetof(struct pair, from_app_stats.rx));
	add_array(d, "from_app_tx", offsetof(struct pair, from_app_stats.tx));
	add_array(d, "from_app_dropped", offsetof(struct pair, from_app_stats.dropped));
	return 0;
}

/* --------------------------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	struct rte_mempool *pool = NULL;
	uint32_t sleep_us;
	int eal_args, ret, rc = 1;

	eal_args = rte_eal_init(argc, argv);
	if (eal_args < 0) {
		fprintf(stderr, PROG ": EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	/* getopt sees the part after "--" as a command line of its own, named like us. */
	argv[eal_args] = argv[0];
	ret = parse_options(argc - eal_args, argv + eal_args, &sleep_us);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret == 2 ? 0 : 1;
	}
	if (install_signals() != 0 || find_pairs() != 0)
		goto out;
	pool = rte_pktmbuf_pool_create("vhost_tap", POOL_PER_PAIR * n_pairs - 1, POOL_CACHE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, PROG ": no mbuf pool of %u: %s (more memory: EAL -m)\n",
			POOL_PER_PAIR * n_pairs - 1, rte_strerror(rte_errno));
		goto out;
	}
	if (start_pairs(pool) != 0)
		goto stop;
	if (rte_telemetry_register_cmd("/aves/vhost_tap/stats", cmd_stats,
				       "Frames moved per pair: to the appliance (TAP -> virtio) "
				       "and from it. No parameters") != 0)
		LOG(WARNING, "telemetry command not registered");
	forward(sleep_us);
	print_stats();
	rc = 0;
stop:
	stop_pairs();
out:
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
