/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Held answers and their SETUP attempts.
 *
 * Two small open-addressing maps index the fixed array of entries: serial → entry (every open
 * attempt of every entry), and (requester, host) → entry (coalescing retransmissions). Timers
 * are the entries' own deadlines; the earliest is cached, and the table is scanned only when it
 * has passed, which happens once per timeout or give-up, not per query.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns_defence.h"
#include "dns_pending.h"

/* u64 → u32 map, linear probing, backward-shift deletion (no tombstones). */
struct map_slot {
	uint64_t key;
	uint32_t value;
	uint32_t used;
};

struct map {
	struct map_slot *slots;
	uint64_t mask;
	uint64_t seed;
};

static int
map_init(struct map *m, size_t max_entries, uint64_t seed)
{
	size_t n = 4;

	while (n < 2 * max_entries)
		n <<= 1;
	m->slots = calloc(n, sizeof(*m->slots));
	m->mask = n - 1;
	m->seed = seed;
	return m->slots == NULL ? -ENOMEM : 0;
}

static size_t
map_home(const struct map *m, uint64_t key)
{
	return (size_t)(dns_hash64(key, m->seed) & m->mask);
}

static struct map_slot *
map_find(const struct map *m, uint64_t key)
{
	size_t i = map_home(m, key);

	for (; m->slots[i].used; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			return &m->slots[i];
	return NULL;
}

/* The caller guarantees room (at most half full) and that the key is absent. */
static void
map_put(struct map *m, uint64_t key, uint32_t value)
{
	size_t i = map_home(m, key);

	while (m->slots[i].used)
		i = (i + 1) & m->mask;
	m->slots[i] = (struct map_slot){key, value, 1};
}

static void
map_remove(struct map *m, struct map_slot *s)
{
	size_t hole = (size_t)(s - m->slots), i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & m->mask;
		if (!m->slots[i].used)
			break;
		home = map_home(m, m->slots[i].key);
		/* Move the entry back if the hole lies between its home and its slot. */
		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].used = 0;
}

struct attempt {
	uint64_t serial;
	uint64_t sent;
	uint32_t waypoint;   /* W */
	uint32_t addr_index; /* in the waypoint set of generation wp_gen */
	uint32_t wp_gen;
	bool open;           /* the serial is still in the serial map */
};

struct entry {
	bool used;
	bool coalescing; /* coalesce_key is in the requester/host map */
	uint32_t next_free;
	struct dns_client client;
	uint64_t coalesce_key;
	enum dns_setup_mode mode;
	uint32_t responder;
	uint32_t gateway;
	uint16_t gateway_port;
	uint32_t gateway_key;
	uint64_t give_up_at;
	uint64_t attempt_deadline; /* UINT64_MAX: no attempt is running */
	/* No attempt runs: every untried address is held or in its wait state (the paper
	 * serialises SETUPs per address), and attempt_deadline is when the first is free. */
	bool awaiting_waypoint;
	/* An attempt could not be sent: dns_pending_run() carries on (after_unsent()). */
	bool unsent;
	unsigned int n_unsent; /* attempts that could not be sent */
	unsigned int n_attempts;
	struct attempt attempts[DNS_PENDING_ATTEMPTS_MAX];
	uint16_t reply_len;
	uint16_t rdata_off;
	uint8_t reply[DNS_HELD_REPLY_MAX];
};

struct dns_pending {
	struct dns_pending_params params;
	struct map by_serial;
	struct map by_host;
	uint64_t next_serial;
	uint64_t next_event;
	/* A hold ended early: queries waiting for an address try again at the next run. */
	bool wake_awaiting;
	/* dns_pending_unsent() marked an entry since the current or last run began. */
	bool unsent_marked;
	unsigned int count;
	uint32_t free_head; /* UINT32_MAX: none */
	struct entry entries[];
};

static uint64_t
host_key(uint32_t requester, uint32_t host)
{
	return (uint64_t)requester << 32 | host;
}

struct dns_pending *
dns_pending_create(const struct dns_pending_params *params)
{
	struct dns_pending *p;
	unsigned int i;

	if (params == NULL || params->capacity == 0 || params->capacity > (1u << 24) ||
	    params->max_attempts == 0 || params->max_attempts > DNS_PENDING_ATTEMPTS_MAX ||
	    params->attempt_timeout_us == 0 || params->hold_time_us == 0 || params->rnd == NULL ||
	    params->ops == NULL || params->ops->send_setup == NULL || params->ops->reply == NULL ||
	    params->ops->abandon == NULL || params->ops->fail == NULL || params->stats == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p) + (size_t)params->capacity * sizeof(p->entries[0]));
	if (p == NULL)
		return NULL;
	p->params = *params;
	if (map_init(&p->by_serial, (size_t)params->capacity * DNS_PENDING_ATTEMPTS_MAX,
		     params->seed) != 0 ||
	    map_init(&p->by_host, params->capacity, params->seed * 0x9e3779b97f4a7c15ull) != 0) {
		dns_pending_free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->next_serial = params->first_serial;
	p->next_event = UINT64_MAX;
	for (i = 0; i < params->capacity; i++)
		p->entries[i].next_free = i + 1 < params->capacity ? i + 1 : UINT32_MAX;
	p->free_head = 0;
	return p;
}

void
dns_pending_free(struct dns_pending *p)
{
	if (p == NULL)
		return;
	free(p->by_serial.slots);
	free(p->by_host.slots);
	free(p);
}

void
dns_pending_retune(struct dns_pending *p, unsigned int max_attempts, uint64_t attempt_timeout_us,
		   uint64_t hold_time_us)
{
	if (max_attempts >= 1 && max_attempts <= DNS_PENDING_ATTEMPTS_MAX)
		p->params.max_attempts = max_attempts;
	if (attempt_timeout_us > 0)
		p->params.attempt_timeout_us = attempt_timeout_us;
	if (hold_time_us > 0)
		p->params.hold_time_us = hold_time_us;
}

void
dns_pending_forget_hosts(struct dns_pending *p)
{
	unsigned int i;

	memset(p->by_host.slots, 0, (size_t)(p->by_host.mask + 1) * sizeof(p->by_host.slots[0]));
	for (i = 0; i < p->params.capacity; i++)
		p->entries[i].coalescing = false;
}

unsigned int
dns_pending_count(const struct dns_pending *p)
{
	return p->count;
}

uint64_t
dns_pending_next_event(const struct dns_pending *p)
{
	return p->next_event;
}

uint64_t
dns_pending_next_serial(const struct dns_pending *p)
{
	return p->next_serial;
}

static void
release(struct dns_pending *p, struct entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_attempts; i++)
		if (e->attempts[i].open) {
			struct map_slot *s = map_find(&p->by_serial, e->attempts[i].serial);

			if (s != NULL)
				map_remove(&p->by_serial, s);
		}
	if (e->coalescing) {
		struct map_slot *s = map_find(&p->by_host, e->coalesce_key);

		if (s != NULL)
			map_remove(&p->by_host, s);
	}
	e->used = false;
	e->next_free = p->free_head;
	p->free_head = (uint32_t)(e - p->entries);
	p->count--;
}

static bool
any_open(const struct entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_attempts; i++)
		if (e->attempts[i].open)
			return true;
	return false;
}

static void
give_up(struct dns_pending *p, struct entry *e)
{
	dns_count(p->params.stats, DNS_CTR_HELD_GAVE_UP);
	p->params.ops->abandon(p->params.ops_arg, &e->client);
	release(p, e);
}

/*
 * Start the next attempt of @p e: a waypoint address not tried yet, a fresh serial. The attempt
 * is complete before the SETUP is handed over, so that the sender may report it unsent at once.
 * Returns false when no attempt could be started (out of attempts or of usable waypoints).
 */
static bool
start_attempt(struct dns_pending *p, struct dns_waypoints *wp, struct entry *e, uint64_t now)
{
	uint32_t tried[DNS_PENDING_ATTEMPTS_MAX];
	struct attempt *a;
	unsigned int i;
	int pick;

	e->attempt_deadline = UINT64_MAX;
	if (e->n_attempts >= p->params.max_attempts || now >= e->give_up_at)
		return false;
	for (i = 0; i < e->n_attempts; i++)
		tried[i] = e->attempts[i].waypoint;
	pick = dns_waypoints_pick(wp, now, tried, e->n_attempts, p->params.rnd, p->params.rnd_arg);
	if (pick < 0) {
		uint64_t free_at = dns_waypoints_next_usable(wp, now, tried, e->n_attempts);

		/* Hold the query until an address is free rather than answer SERVFAIL, which
		 * resolvers cache for seconds (RFC 9520). */
		if (free_at <= now || free_at >= e->give_up_at)
			return false;
		if (!e->awaiting_waypoint)
			dns_count(p->params.stats, DNS_CTR_HELD_WAYPOINT_BUSY);
		e->awaiting_waypoint = true;
		e->attempt_deadline = free_at;
		if (free_at < p->next_event)
			p->next_event = free_at;
		return true;
	}
	e->awaiting_waypoint = false;
	a = &e->attempts[e->n_attempts++];
	a->serial = p->next_serial++;
	a->sent = now;
	a->waypoint = wp->addrs[pick].addr;
	a->addr_index = (uint32_t)pick;
	a->wp_gen = wp->generation;
	map_put(&p->by_serial, a->serial, (uint32_t)(e - p->entries));
	a->open = true;
	e->attempt_deadline = now + p->params.attempt_timeout_us;
	if (e->attempt_deadline > e->give_up_at)
		e->attempt_deadline = e->give_up_at;
	/* The SETUP may start a wait, during which W ignores every other SETUP: another lookup
	 * sending one meanwhile would only lose an attempt (and, after a few, the appliance).
	 * Intranet SETUPs start no wait and hold nothing. */
	if (e->mode == DNS_MODE_DELAYED)
		dns_waypoints_hold(wp, (unsigned int)pick, a->serial, e->attempt_deadline);
	if (e->attempt_deadline < p->next_event)
		p->next_event = e->attempt_deadline;
	p->params.ops->send_setup(p->params.ops_arg, &(struct dns_setup){
		.serial = a->serial,
		.mode = e->mode,
		.gateway_port = e->gateway_port,
		.waypoint = a->waypoint,
		.initiator = e->client.addr,
		.gateway = e->gateway,
		.responder = e->responder,
		.gateway_key = e->gateway_key,
		.to = &wp->servers[wp->addrs[pick].server].control,
	});
	return true;
}

static void
set_client(struct entry *e, const struct dns_hold *h)
{
	e->client = h->client;
	memcpy(e->reply, h->reply, h->reply_len);
	e->reply_len = (uint16_t)h->reply_len;
	e->rdata_off = (uint16_t)h->rdata_off;
}

bool
dns_pending_refresh(struct dns_pending *p, const struct dns_hold *h)
{
	struct map_slot *s = map_find(&p->by_host, host_key(h->client.addr, h->host));
	struct entry *e;

	if (s == NULL || h->reply_len > DNS_HELD_REPLY_MAX || h->rdata_off + 4 > h->reply_len)
		return false;
	e = &p->entries[s->value];
	dns_count(p->params.stats, DNS_CTR_HELD_COALESCED);
	if (memcmp(&e->client, &h->client, sizeof(h->client)) != 0) {
		dns_count(p->params.stats, DNS_CTR_HELD_ABANDONED);
		p->params.ops->abandon(p->params.ops_arg, &e->client);
	}
	set_client(e, h);
	return true;
}

enum dns_hold_result
dns_pending_hold(struct dns_pending *p, struct dns_waypoints *wp, const struct dns_hold *h,
		 uint64_t now)
{
	struct entry *e;

	if (h->reply_len > DNS_HELD_REPLY_MAX || h->rdata_off + 4 > h->reply_len)
		return DNS_HOLD_NO_WAYPOINT; /* the engine never builds such a reply */
	if (p->free_head == UINT32_MAX)
		return DNS_HOLD_FULL;
	e = &p->entries[p->free_head];
	p->free_head = e->next_free;
	p->count++;
	memset(e, 0, offsetof(struct entry, reply));
	e->used = true;
	set_client(e, h);
	e->mode = h->mode;
	e->responder = h->responder;
	e->gateway = h->gateway;
	e->gateway_port = h->gateway_port;
	e->gateway_key = h->gateway_key;
	e->give_up_at = now + p->params.hold_time_us;
	if (!start_attempt(p, wp, e, now)) {
		release(p, e);
		return DNS_HOLD_NO_WAYPOINT;
	}
	e->coalesce_key = host_key(h->client.addr, h->host);
	if (map_find(&p->by_host, e->coalesce_key) == NULL) {
		map_put(&p->by_host, e->coalesce_key, (uint32_t)(e - p->entries));
		e->coalescing = true;
	}
	dns_count(p->params.stats, DNS_CTR_HELD);
	return DNS_HOLD_STARTED;
}

/* The held entry and attempt a reply refers to, if any. */
static struct entry *
find_attempt(struct dns_pending *p, uint64_t serial, uint32_t waypoint, struct attempt **out)
{
	struct map_slot *s = map_find(&p->by_serial, serial);
	struct entry *e;
	unsigned int i;

	if (s == NULL) {
		dns_count(p->params.stats, DNS_CTR_SETUP_REPLY_UNKNOWN);
		return NULL;
	}
	e = &p->entries[s->value];
	for (i = 0; i < e->n_attempts; i++)
		if (e->attempts[i].open && e->attempts[i].serial == serial)
			break;
	if (i == e->n_attempts || e->attempts[i].waypoint != waypoint) {
		dns_count(p->params.stats, DNS_CTR_SETUP_REPLY_MISMATCH);
		return NULL;
	}
	*out = &e->attempts[i];
	return e;
}

/*
 * Any authenticated ACCEPT or REJECT naming one of our addresses, matched to a held query or
 * not (a late reply after a give-up still says the appliance lives and W now waits).
 */
static void
note_reply(struct dns_pending *p, struct dns_waypoints *wp, const struct attempt *a,
	   uint64_t serial, uint32_t waypoint, uint32_t wait_ms, uint64_t now)
{
	int w = a != NULL && a->wp_gen == wp->generation ? (int)a->addr_index
							 : dns_waypoints_find(wp, waypoint);

	if (w >= 0 && dns_waypoints_replied(wp, (unsigned int)w, serial, (uint64_t)wait_ms * 1000,
					    now)) {
		p->wake_awaiting = true;
		p->next_event = now;
	}
}

bool
dns_pending_accept(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial,
		   uint32_t waypoint, uint32_t wait_ms, uint64_t now)
{
	struct attempt *a = NULL;
	struct entry *e = find_attempt(p, serial, waypoint, &a);

	note_reply(p, wp, a, serial, waypoint, wait_ms, now);
	if (e == NULL)
		return false;
	dns_count(p->params.stats, DNS_CTR_SETUP_ACCEPTED);
	dns_stats_rtt(p->params.stats, now - a->sent);
	e->reply[e->rdata_off] = (uint8_t)(waypoint >> 24);
	e->reply[e->rdata_off + 1] = (uint8_t)(waypoint >> 16);
	e->reply[e->rdata_off + 2] = (uint8_t)(waypoint >> 8);
	e->reply[e->rdata_off + 3] = (uint8_t)waypoint;
	dns_count(p->params.stats, DNS_CTR_REPLY_WAYPOINT);
	p->params.ops->reply(p->params.ops_arg, &e->client, e->reply, e->reply_len);
	release(p, e);
	return true;
}

bool
dns_pending_reject(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial,
		   uint32_t waypoint, uint64_t now)
{
	struct attempt *a = NULL;
	struct entry *e = find_attempt(p, serial, waypoint, &a);
	bool latest;

	note_reply(p, wp, a, serial, waypoint, 0, now);
	if (e == NULL)
		return false;
	dns_count(p->params.stats, DNS_CTR_SETUP_REJECTED);
	dns_stats_rtt(p->params.stats, now - a->sent);
	map_remove(&p->by_serial, map_find(&p->by_serial, serial));
	a->open = false;
	latest = a == &e->attempts[e->n_attempts - 1];
	if (latest && start_attempt(p, wp, e, now))
		return true;
	/* Nothing left to wait for: every attempt was rejected or none could be sent. */
	if (!any_open(e))
		give_up(p, e);
	return true;
}

void
dns_pending_unsent(struct dns_pending *p, struct dns_waypoints *wp, uint64_t serial, uint64_t now)
{
	struct map_slot *s = map_find(&p->by_serial, serial);
	struct attempt *a;
	struct entry *e;
	unsigned int i;

	if (s == NULL)
		return;
	e = &p->entries[s->value];
	for (i = 0; i < e->n_attempts && e->attempts[i].serial != serial; i++)
		;
	if (i == e->n_attempts)
		return; /* the map names only entries whose attempt has the serial */
	map_remove(&p->by_serial, s);
	a = &e->attempts[i];
	a->open = false;
	dns_count(p->params.stats, DNS_CTR_SETUP_SEND_ERROR);
	if (a->wp_gen == wp->generation && dns_waypoints_unhold(wp, a->addr_index, serial, now))
		p->wake_awaiting = true;
	e->unsent = true;
	e->n_unsent++;
	p->unsent_marked = true;
	p->next_event = now;
}

/*
 * An attempt of @p e could not be sent. As after a REJECT: the next attempt if it was the
 * latest (an older one failing changes nothing while the latest runs). When none can start: a
 * query none of whose SETUPs left gets the error answer dns_pending_hold() would have given,
 * since the sender reached no waypoint; one with no attempt left open is given up.
 * Returns false when @p e was released.
 */
static bool
after_unsent(struct dns_pending *p, struct dns_waypoints *wp, struct entry *e, uint64_t now)
{
	e->unsent = false;
	if (e->attempts[e->n_attempts - 1].open || start_attempt(p, wp, e, now))
		return true;
	if (e->n_unsent == e->n_attempts) {
		p->params.ops->fail(p->params.ops_arg, &e->client, e->reply, e->reply_len);
		release(p, e);
		return false;
	}
	if (!any_open(e)) {
		give_up(p, e);
		return false;
	}
	return true;
}

static void
count_timeout(struct dns_pending *p, enum dns_timeout_verdict v)
{
	switch (v) {
	case DNS_TIMEOUT_EXCUSED:
		dns_count(p->params.stats, DNS_CTR_SETUP_TIMEOUT_EXCUSED);
		break;
	case DNS_TIMEOUT_COUNTED:
		break;
	case DNS_TIMEOUT_MARKED_DOWN:
		dns_count(p->params.stats, DNS_CTR_WAYPOINT_DOWN);
		break;
	}
}

void
dns_pending_run(struct dns_pending *p, struct dns_waypoints *wp, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	bool wake = p->wake_awaiting;
	unsigned int i;

	if (now < p->next_event)
		return;
	p->wake_awaiting = false;
	p->unsent_marked = false;
	for (i = 0; i < p->params.capacity && p->count > 0; i++) {
		struct entry *e = &p->entries[i];

		if (!e->used)
			continue;
		if (now >= e->give_up_at) {
			give_up(p, e);
			continue;
		}
		if (e->unsent) {
			if (!after_unsent(p, wp, e, now))
				continue;
		} else if (e->awaiting_waypoint && (wake || now >= e->attempt_deadline)) {
			start_attempt(p, wp, e, now);
		} else if (now >= e->attempt_deadline) {
			struct attempt *a = &e->attempts[e->n_attempts - 1];

			/* The attempt's serial stays open: a late ACCEPT is still welcome. */
			dns_count(p->params.stats, DNS_CTR_SETUP_TIMEOUT);
			if (a->wp_gen == wp->generation)
				count_timeout(p, dns_waypoints_timed_out(wp, a->addr_index, a->sent,
									 now));
			start_attempt(p, wp, e, now);
		}
		if (e->give_up_at < next)
			next = e->give_up_at;
		if (e->attempt_deadline < next)
			next = e->attempt_deadline;
	}
	/* A SETUP handed over during this run may have been reported unsent already. */
	p->next_event = p->unsent_marked || p->wake_awaiting ? now : next;
}
