/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table: an aves_table (SHARED) of entries whose only field readers touch is
 * one 64-bit atomic holding the MAC and the state, so a worker never sees a MAC half-updated.
 * Everything else in an entry (timers, the held packets) is read and written by the control
 * lcore alone, the table's single writer.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "aves_app_log.h"
#include "aves_build.h"
#include "aves_flow.h"
#include "aves_neigh.h"
#include "aves_table.h"

enum neigh_state {
	NEIGH_NONE = 0,
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_PROBE,
	NEIGH_FAILED,
};

/* 8-aligned: rte_hash's CRC reads a key 8 bytes at a time. */
struct neigh_key {
	uint32_t ip;
	uint16_t port;
	uint16_t zero;
} __rte_aligned(8);
static_assert(sizeof(struct neigh_key) == 8, "neighbour key has no padding");

struct neigh_entry {
	/* Readers: the MAC in bits 0..47 (first octet highest), the state in bits 48..55. */
	_Atomic uint64_t mac_state;
	/* Control lcore only, below. */
	uint64_t next_ms;	/* when the timer acts next */
	uint32_t ip;
	uint16_t port;
	uint8_t probes;		/* requests sent in this resolution or re-check */
	uint8_t n_held;
	struct rte_mbuf *held[]; /* hold_max */
};

struct neigh_port {
	struct rte_ether_addr mac;
	uint32_t addr;
	uint32_t mask;
	bool set;
};

struct aves_neigh_table {
	struct aves_table *table;
	const struct aves_addr_map *local;
	struct rte_mempool *pool;
	uint32_t retry_ms, reachable_ms, failed_ms;
	uint16_t hold_max;
	uint8_t max_probes;
	uint32_t cursor;
	uint64_t ctr[AVES_NEIGH_CTR_MAX];
	struct neigh_port ports[RTE_MAX_ETHPORTS];
};

const char *const aves_neigh_ctr_names[AVES_NEIGH_CTR_MAX] = {
#define AVES_NEIGH_NAME_(name, str) [AVES_NEIGH_##name] = str,
	AVES_NEIGH_COUNTERS(AVES_NEIGH_NAME_)
#undef AVES_NEIGH_NAME_
};

static inline void
count(struct aves_neigh_table *nt, enum aves_neigh_ctr c, uint64_t n)
{
	nt->ctr[c] += n;
}

static uint64_t
pack(const struct rte_ether_addr *mac, enum neigh_state st)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = v << 8 | mac->addr_bytes[i];
	return v | (uint64_t)st << 48;
}

static enum neigh_state
unpack(uint64_t v, struct rte_ether_addr *mac)
{
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * (RTE_ETHER_ADDR_LEN - 1 - i)));
	return (enum neigh_state)((v >> 48) & 0xff);
}

static void
set_state(struct neigh_entry *e, const struct rte_ether_addr *mac, enum neigh_state st)
{
	atomic_store_explicit(&e->mac_state, pack(mac, st), memory_order_release);
}

static enum neigh_state
get_state(const struct neigh_entry *e, struct rte_ether_addr *mac)
{
	return unpack(atomic_load_explicit(&e->mac_state, memory_order_acquire), mac);
}

static struct neigh_key
make_key(uint16_t port, uint32_t ip)
{
	return (struct neigh_key){ .ip = ip, .port = port };
}

struct aves_neigh_table *
aves_neigh_create(const struct aves_neigh_params *p)
{
	struct aves_neigh_table *nt;
	struct aves_table_params tp;

	if (p == NULL || p->hold_max == 0 || p->hold_max > AVES_NEIGH_HOLD_MAX ||
	    p->max_probes == 0 || p->retry_ms == 0 || p->reachable_ms == 0 ||
	    p->failed_ms == 0 || p->pool == NULL || p->local == NULL || p->qsbr == NULL) {
		AVES_APP_LOG(ERR, "neighbour table: invalid parameters");
		rte_errno = EINVAL;
		return NULL;
	}
	nt = rte_zmalloc_socket("aves_neigh", sizeof(*nt), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (nt == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	tp = (struct aves_table_params){
		.name = p->name,
		.capacity = p->capacity,
		.key_len = sizeof(struct neigh_key),
		.entry_size = (uint32_t)(sizeof(struct neigh_entry) +
					 p->hold_max * sizeof(struct rte_mbuf *)),
		.socket_id = p->socket_id,
		.mode = AVES_TABLE_SHARED,
		.qsbr = p->qsbr,
	};
	nt->table = aves_table_create(&tp);
	if (nt->table == NULL) {
		int err = rte_errno;

		rte_free(nt);
		rte_errno = err;
		return NULL;
	}
	nt->local = p->local;
	nt->pool = p->pool;
	nt->retry_ms = p->retry_ms;
	nt->reachable_ms = p->reachable_ms;
	nt->failed_ms = p->failed_ms;
	nt->hold_max = p->hold_max;
	nt->max_probes = p->max_probes;
	return nt;
}

static void
drop_held(struct neigh_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_held; i++)
		rte_pktmbuf_free(e->held[i]);
	e->n_held = 0;
}

void
aves_neigh_free(struct aves_neigh_table *nt)
{
	uint32_t cursor = 0;
	const void *key;
	void *entry;

	if (nt == NULL)
		return;
	for (int it; (it = aves_table_iterate(nt->table, &cursor, &key, &entry)) != -ENOENT;)
		if (it == 0)
			drop_held(entry);
	aves_table_free(nt->table);
	rte_free(nt);
}

int
aves_neigh_port(struct aves_neigh_table *nt, uint16_t port, const struct rte_ether_addr *mac,
		uint32_t addr, uint8_t prefix_len)
{
	struct neigh_port *np;

	if (nt == NULL || port >= RTE_MAX_ETHPORTS || mac == NULL || prefix_len > 32)
		return -EINVAL;
	np = &nt->ports[port];
	np->mac = *mac;
	np->addr = addr;
	np->mask = prefix_len == 0 ? 0 : rte_cpu_to_be_32(~UINT32_C(0) << (32 - prefix_len));
	np->set = true;
	return 0;
}

int
aves_neigh_port_readdress(struct aves_neigh_table *nt, uint16_t port, uint32_t addr)
{
	struct neigh_port *np;

	if (nt == NULL || port >= RTE_MAX_ETHPORTS || !nt->ports[port].set)
		return -EINVAL;
	np = &nt->ports[port];
	if ((addr & np->mask) != (np->addr & np->mask))
		return -EINVAL;
	np->addr = addr;
	return 0;
}

const struct rte_ether_addr *
aves_neigh_port_mac(const struct aves_neigh_table *nt, uint16_t port)
{
	return &nt->ports[port].mac;
}

enum aves_neigh_result
aves_neigh_lookup(const struct aves_neigh_table *nt, uint16_t port, uint32_t ip,
		  struct rte_ether_addr *mac)
{
	const struct neigh_key key = make_key(port, ip);
	const struct neigh_entry *e = aves_table_lookup(nt->table, &key);

	if (e == NULL)
		return AVES_NEIGH_PENDING;
	switch (get_state(e, mac)) {
	case NEIGH_REACHABLE:
	case NEIGH_PROBE:
		return AVES_NEIGH_OK;
	case NEIGH_FAILED:
		return AVES_NEIGH_UNREACHABLE;
	default:
		return AVES_NEIGH_PENDING;
	}
}

/* Ours: in the address map, or a port's own address (which aves_neigh_port_readdress() may
 * have changed since the map was built). */
static bool
is_local(const struct aves_neigh_table *nt, uint32_t ip)
{
	uint32_t value;
	unsigned int p;

	if (aves_addr_map_lookup(nt->local, ip, &value) == 0)
		return true;
	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (nt->ports[p].set && nt->ports[p].addr == ip)
			return true;
	return false;
}

/* Frame a packet (data at IPv4) for a resolved neighbour and buffer it. */
static bool
frame_and_push(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port,
	       const struct rte_ether_addr *dst, struct rte_mbuf *m)
{
	if (aves_eth_prepend(m, &nt->ports[port].mac, dst, RTE_ETHER_TYPE_IPV4) != 0) {
		count(nt, AVES_NEIGH_NO_HEADROOM, 1);
		rte_pktmbuf_free(m);
		return false;
	}
	aves_tx_push(tx, port, m);
	return true;
}

/* An ARP request for @p ip: broadcast while resolving, unicast to @p dst when re-checking. */
static void
send_request(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port, uint32_t ip,
	     const struct rte_ether_addr *dst)
{
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff,
								     0xff, 0xff } };
	const struct neigh_port *np = &nt->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(nt->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL) {
		count(nt, AVES_NEIGH_NO_MBUF, 1);
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		count(nt, AVES_NEIGH_NO_MBUF, 1);
		rte_pktmbuf_free(m);
		return;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(dst != NULL ? dst : &bcast, &eth->dst_addr);
	rte_ether_addr_copy(&np->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&np->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = np->addr;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = ip;
	aves_tx_push(tx, port, m);
	count(nt, AVES_NEIGH_REQUEST_TX, 1);
}

/* A new INCOMPLETE entry, its first request sent. NULL when the table is full. */
static struct neigh_entry *
start_resolution(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port, uint32_t ip,
		 uint64_t now)
{
	static const struct rte_ether_addr zero;
	const struct neigh_key key = make_key(port, ip);
	struct neigh_entry *e;
	void *slot;

	if (aves_table_reserve(nt->table, &slot) != 0) {
		count(nt, AVES_NEIGH_TABLE_FULL, 1);
		return NULL;
	}
	e = slot;
	e->ip = ip;
	e->port = port;
	e->probes = 1;
	e->next_ms = now + nt->retry_ms;
	set_state(e, &zero, NEIGH_INCOMPLETE);
	if (aves_table_publish(nt->table, &key, e) != 0) {
		count(nt, AVES_NEIGH_TABLE_FULL, 1);
		return NULL;
	}
	send_request(nt, tx, port, ip, NULL);
	return e;
}

enum aves_neigh_output
aves_neigh_output(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port, uint32_t ip,
		  struct rte_mbuf *m, uint64_t now)
{
	const struct neigh_key key = make_key(port, ip);
	struct neigh_entry *e = aves_table_lookup(nt->table, &key);
	struct rte_ether_addr mac;

	if (e == NULL) {
		e = start_resolution(nt, tx, port, ip, now);
		if (e == NULL) {
			rte_pktmbuf_free(m);
			return AVES_NEIGH_OUT_DROPPED;
		}
	}
	switch (get_state(e, &mac)) {
	case NEIGH_REACHABLE:
	case NEIGH_PROBE:
		return frame_and_push(nt, tx, port, &mac, m) ? AVES_NEIGH_OUT_SENT :
							      AVES_NEIGH_OUT_DROPPED;
	case NEIGH_INCOMPLETE:
		if (e->n_held < nt->hold_max) {
			e->held[e->n_held++] = m;
			count(nt, AVES_NEIGH_HELD, 1);
			return AVES_NEIGH_OUT_HELD;
		}
		count(nt, AVES_NEIGH_HOLD_FULL, 1);
		break;
	default:
		count(nt, AVES_NEIGH_FAILED_DROP, 1);
		break;
	}
	rte_pktmbuf_free(m);
	return AVES_NEIGH_OUT_DROPPED;
}

int
aves_neigh_resolve(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port, uint32_t ip,
		   uint64_t now)
{
	const struct neigh_key key = make_key(port, ip);

	if (aves_table_lookup(nt->table, &key) != NULL)
		return -EEXIST;
	return start_resolution(nt, tx, port, ip, now) != NULL ? 0 : -ENOSPC;
}

/* The neighbour answered: usable now and for reachable_ms; send what it held. */
static void
confirm(struct aves_neigh_table *nt, struct aves_tx *tx, struct neigh_entry *e,
	const struct rte_ether_addr *mac, uint64_t now)
{
	struct rte_ether_addr old;
	enum neigh_state st = get_state(e, &old);
	unsigned int i;

	if (st == NEIGH_INCOMPLETE || st == NEIGH_FAILED)
		count(nt, AVES_NEIGH_RESOLVED, 1);
	else if (!rte_is_same_ether_addr(&old, mac))
		count(nt, AVES_NEIGH_CHANGED, 1);
	else
		count(nt, AVES_NEIGH_CONFIRMED, 1);
	set_state(e, mac, NEIGH_REACHABLE);
	e->probes = 0;
	e->next_ms = now + nt->reachable_ms;
	for (i = 0; i < e->n_held; i++)
		if (frame_and_push(nt, tx, e->port, mac, e->held[i]))
			count(nt, AVES_NEIGH_RELEASED, 1);
	e->n_held = 0;
}

static bool
arp_sender_ok(const struct rte_arp_hdr *arp)
{
	const struct rte_ether_addr *sha = &arp->arp_data.arp_sha;

	if (rte_is_zero_ether_addr(sha) || !rte_is_unicast_ether_addr(sha))
		return false;
	/* 0.0.0.0 is an address probe (RFC 5227): answerable, never learned. */
	return arp->arp_data.arp_sip == 0 || !aves_ipv4_martian_src(arp->arp_data.arp_sip);
}

/* Turn the request in @p m into our reply for its target, in place, and send it. */
static void
reply_in_place(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port,
	       struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	const struct rte_ether_addr *mine = &nt->ports[port].mac;
	uint32_t target = arp->arp_data.arp_tip;

	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	rte_ether_addr_copy(mine, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = target;
	rte_ether_addr_copy(&arp->arp_data.arp_tha, &eth->dst_addr);
	rte_ether_addr_copy(mine, &eth->src_addr);
	aves_tx_push(tx, port, m);
	count(nt, AVES_NEIGH_REPLY_TX, 1);
}

void
aves_neigh_arp_input(struct aves_neigh_table *nt, struct aves_tx *tx, uint16_t port,
		     struct rte_mbuf *m, uint64_t now)
{
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *arp;
	const struct neigh_port *np;
	struct neigh_entry *e;
	struct neigh_key key;
	uint16_t op;
	uint32_t sip;
	bool for_us, on_link;

	if (port >= RTE_MAX_ETHPORTS || !nt->ports[port].set ||
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp)) {
		count(nt, AVES_NEIGH_TRUNCATED, 1);
		goto drop;
	}
	np = &nt->ports[port];
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	arp = (const struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t)) {
		count(nt, AVES_NEIGH_FORMAT, 1);
		goto drop;
	}
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		count(nt, AVES_NEIGH_BAD_OP, 1);
		goto drop;
	}
	if (!arp_sender_ok(arp)) {
		count(nt, AVES_NEIGH_BAD_SENDER, 1);
		goto drop;
	}
	count(nt, op == RTE_ARP_OP_REQUEST ? AVES_NEIGH_REQUEST_RX : AVES_NEIGH_REPLY_RX, 1);
	sip = arp->arp_data.arp_sip;
	if (sip != 0 && is_local(nt, sip)) {
		/* Another host claims one of our addresses; believing it would hijack it. */
		count(nt, AVES_NEIGH_CONFLICT, 1);
		goto drop;
	}
	for_us = is_local(nt, arp->arp_data.arp_tip);
	on_link = sip != 0 && (sip & np->mask) == (np->addr & np->mask);
	if (sip != 0 && !on_link)
		count(nt, AVES_NEIGH_OFF_LINK, 1);

	/* RFC 826: refresh an entry we have; add the sender when the request is for us. */
	key = make_key(port, sip);
	e = on_link ? aves_table_lookup(nt->table, &key) : NULL;
	if (e != NULL) {
		confirm(nt, tx, e, &arp->arp_data.arp_sha, now);
	} else if (on_link && op == RTE_ARP_OP_REQUEST && for_us) {
		void *slot;

		if (aves_table_reserve(nt->table, &slot) == 0) {
			e = slot;
			e->ip = sip;
			e->port = port;
			e->next_ms = now + nt->reachable_ms;
			set_state(e, &arp->arp_data.arp_sha, NEIGH_REACHABLE);
			if (aves_table_publish(nt->table, &key, e) == 0)
				count(nt, AVES_NEIGH_LEARNED, 1);
			else
				count(nt, AVES_NEIGH_TABLE_FULL, 1);
		} else {
			count(nt, AVES_NEIGH_TABLE_FULL, 1);
		}
	} else if (on_link && op == RTE_ARP_OP_REPLY) {
		count(nt, AVES_NEIGH_UNSOLICITED, 1);
	}

	if (op == RTE_ARP_OP_REQUEST) {
		if (for_us) {
			reply_in_place(nt, tx, port, m);
			return;
		}
		count(nt, AVES_NEIGH_NOT_FOR_US, 1);
	}
drop:
	rte_pktmbuf_free(m);
}

static void
delete_entry(struct aves_neigh_table *nt, struct neigh_entry *e)
{
	const struct neigh_key key = make_key(e->port, e->ip);

	drop_held(e);
	if (aves_table_del(nt->table, &key) == 0)
		count(nt, AVES_NEIGH_DELETED, 1);
}

/* One entry's timer. Returns whether it had something to do. */
static bool
entry_timer(struct aves_neigh_table *nt, struct aves_tx *tx, struct neigh_entry *e,
	    uint64_t now)
{
	struct rte_ether_addr mac;
	enum neigh_state st;

	if (now < e->next_ms)
		return false;
	st = get_state(e, &mac);
	switch (st) {
	case NEIGH_INCOMPLETE:
		if (e->probes < nt->max_probes) {
			e->probes++;
			e->next_ms = now + nt->retry_ms;
			send_request(nt, tx, e->port, e->ip, NULL);
			break;
		}
		count(nt, AVES_NEIGH_FAILED, 1);
		count(nt, AVES_NEIGH_FAILED_DROP, e->n_held);
		drop_held(e);
		set_state(e, &mac, NEIGH_FAILED);
		e->next_ms = now + nt->failed_ms;
		break;
	case NEIGH_REACHABLE:
		/* The confirmation is old: keep using it while asking the neighbour directly. */
		set_state(e, &mac, NEIGH_PROBE);
		e->probes = 1;
		e->next_ms = now + nt->retry_ms;
		send_request(nt, tx, e->port, e->ip, &mac);
		break;
	case NEIGH_PROBE:
		if (e->probes < nt->max_probes) {
			e->probes++;
			e->next_ms = now + nt->retry_ms;
			send_request(nt, tx, e->port, e->ip, &mac);
			break;
		}
		delete_entry(nt, e);
		break;
	default:
		delete_entry(nt, e);
		break;
	}
	return true;
}

struct timers_ctx {
	struct aves_neigh_table *nt;
	struct aves_tx *tx;
	uint64_t now;
};

static unsigned int
timer_visit(void *arg, const void *key, void *entry)
{
	const struct timers_ctx *x = arg;

	(void)key;
	return entry_timer(x->nt, x->tx, entry, x->now);
}

unsigned int
aves_neigh_timers(struct aves_neigh_table *nt, struct aves_tx *tx, uint64_t now,
		  unsigned int budget)
{
	struct timers_ctx x = { nt, tx, now };
	unsigned int acted = aves_table_sweep(nt->table, &nt->cursor, budget, false, timer_visit,
					      &x);

	aves_table_reclaim(nt->table);
	return acted;
}

uint32_t
aves_neigh_count(const struct aves_neigh_table *nt)
{
	return aves_table_count(nt->table);
}

uint32_t
aves_neigh_capacity(const struct aves_neigh_table *nt)
{
	return aves_table_capacity(nt->table);
}

void
aves_neigh_counters(const struct aves_neigh_table *nt, uint64_t *out)
{
	unsigned int i;

	for (i = 0; i < AVES_NEIGH_CTR_MAX; i++)
		out[i] = __atomic_load_n(&nt->ctr[i], __ATOMIC_RELAXED);
}
