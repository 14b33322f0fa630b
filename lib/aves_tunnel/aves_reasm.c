/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly around DPDK 22.11's rte_ip_frag, with the guards it lacks (PLATFORM-NOTES.md).
 *
 * Beside each rte_ip_frag table we keep a shadow of every datagram it holds: which fragments
 * it was given, its protocol, which table it lives in. The shadow is what lets us drop exact
 * duplicates before the library sees them, count pending datagrams per source, and name what
 * happened when the library gives nothing back. The two stay in lockstep because:
 *  - every datagram enters the library through aves_reasm_packet(), which creates its shadow;
 *  - expired datagrams are removed by rte_ip_frag_table_del_expired_entries() before every
 *    fragment is processed, with the same `now`, so the library never expires or reuses an
 *    entry on its own during a lookup; the mbufs it puts on the death row name the datagrams
 *    (their IPv4 headers are intact), whose shadows are removed with them;
 *  - a call that adds to the death row either found no room for a new datagram (only the
 *    fragment itself is dropped) or destroyed the datagram the fragment belongs to.
 * The shadow key is (source, destination, identification): coarser than the library's key in
 * later DPDK versions (which adds the protocol), so a fragment whose protocol differs from its
 * datagram's is dropped rather than allowed to split or merge entries.
 */

/* rte_ip_frag_table_del_expired_entries() is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "aves_tunnel.h"
#include "aves_tunnel_private.h"

/* ip_frag keeps one slot for the first fragment, one for the last, the rest for middles. */
#define REASM_FRAGS_MAX RTE_LIBRTE_IP_FRAG_MAX_FRAG
#define REASM_MIDDLE_MAX (REASM_FRAGS_MAX - 2)
#define REASM_DATAGRAMS_MAX 65536
/* Associativity of the ip_frag buckets, and how many datagrams per bucket on average at the
 * cap: a new datagram fails only if both its buckets are full, which a quarter load makes
 * improbable for traffic that does not aim at the library's fixed hash seed. */
#define REASM_BUCKET_ENTRIES 16
#define REASM_BUCKET_LOAD 4
#define REASM_IPV4_RESERVED_FLAG 0x8000

enum { REASM_GENERAL = 0, REASM_TRUSTED = 1, REASM_TABLES };

struct reasm_key {
	rte_be32_t src;
	rte_be32_t dst;
	rte_be16_t id;
	uint16_t zero; /* explicit padding, always 0 */
};
static_assert(sizeof(struct reasm_key) == 12, "hash key without implicit padding");

struct reasm_frag {
	uint16_t ofs;
	uint16_t len;
	bool mf;
};

/* Shadow of one datagram held by an rte_ip_frag table. */
struct reasm_datagram {
	struct reasm_frag frags[REASM_FRAGS_MAX];
	uint8_t nb_frags;
	uint8_t nb_middle;
	uint8_t proto;
	uint8_t table;
};

struct reasm_table {
	struct rte_ip_frag_tbl *frag;
	struct rte_hash *sources; /* source address -> pending datagrams (as the data pointer) */
	uint32_t max_datagrams;
	uint32_t max_per_source;
	uint32_t pending;
};

struct aves_reasm {
	struct reasm_table tables[REASM_TABLES];
	struct rte_hash *datagrams;       /* reasm_key -> index into shadow */
	struct reasm_datagram *shadow;
	struct rte_mempool *linear_pool;
	struct rte_ip_frag_death_row dr;
};

/* A fragment's header fields, once validated. */
struct reasm_frag_info {
	struct reasm_key key;
	struct reasm_frag frag;
	uint16_t hdr_len;
	uint8_t proto;
};

static void
reasm_key_of(const struct rte_ipv4_hdr *ip, struct reasm_key *key)
{
	key->src = ip->src_addr;
	key->dst = ip->dst_addr;
	key->id = ip->packet_id;
	key->zero = 0;
}

static uint32_t
source_count(const struct reasm_table *t, rte_be32_t src)
{
	void *data;

	return rte_hash_lookup_data(t->sources, &src, &data) < 0 ? 0 : (uint32_t)(uintptr_t)data;
}

/* The caller checked count < max_per_source <= max_datagrams = the hash's capacity. */
static int
source_add(struct reasm_table *t, rte_be32_t src, int delta)
{
	uint32_t count = source_count(t, src) + (uint32_t)delta;

	if (count == 0)
		return rte_hash_del_key(t->sources, &src) < 0 ? -ENOENT : 0;
	return rte_hash_add_key_data(t->sources, &src, (void *)(uintptr_t)count);
}

/* Remove a datagram's shadow and its share of its table's counts. */
static void
datagram_forget(struct aves_reasm *r, const struct reasm_key *key, const struct reasm_datagram *d)
{
	struct reasm_table *t = &r->tables[d->table];

	source_add(t, key->src, -1);
	t->pending--;
	rte_hash_del_key(r->datagrams, key);
}

/* Datagrams on the death row after an expiry pass timed out: forget each once. */
static void
reasm_collect_expired(struct aves_reasm *r, struct aves_tunnel_stats *stats)
{
	uint32_t i;

	for (i = 0; i < r->dr.cnt; i++) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod(r->dr.row[i], const struct rte_ipv4_hdr *);
		struct reasm_key key;
		int32_t pos;

		reasm_key_of(ip, &key);
		pos = rte_hash_lookup(r->datagrams, &key);
		if (pos >= 0) {
			datagram_forget(r, &key, &r->shadow[pos]);
			stats->reasm[AVES_REASM_TIMEOUT]++;
		}
	}
	rte_ip_frag_free_death_row(&r->dr, 0);
}

void
aves_reasm_expire(struct aves_reasm *r, struct aves_tunnel_stats *stats, uint64_t now)
{
	unsigned int t;

	for (t = 0; t < REASM_TABLES; t++) {
		/* A pass stops early when the death row is full; repeat until nothing expires. */
		do {
			rte_ip_frag_table_del_expired_entries(r->tables[t].frag, &r->dr, now);
			if (r->dr.cnt == 0)
				break;
			reasm_collect_expired(r, stats);
		} while (true);
	}
}

/*
 * Everything the library would trust or mishandle, checked on the fragment itself.
 * AVES_REASM_HELD means valid (it may yet be held); anything else is the drop reason.
 */
static enum aves_reasm_result
frag_validate(const struct rte_mbuf *m, struct reasm_frag_info *fi)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint16_t total, flags;

	if (m->data_len < sizeof(*ip) || (ip->version_ihl >> 4) != IPVERSION)
		return AVES_REASM_BAD_FRAGMENT;
	fi->hdr_len = (uint16_t)rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	if (fi->hdr_len < sizeof(*ip) || fi->hdr_len > m->data_len || total < fi->hdr_len ||
	    total > m->pkt_len || !aves_ipv4_cksum_ok(ip))
		return AVES_REASM_BAD_FRAGMENT;
	flags = rte_be_to_cpu_16(ip->fragment_offset);
	fi->frag.mf = (flags & RTE_IPV4_HDR_MF_FLAG) != 0;
	fi->frag.ofs = (uint16_t)((flags & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS);
	fi->frag.len = (uint16_t)(total - fi->hdr_len);
	if ((flags & REASM_IPV4_RESERVED_FLAG) || (!fi->frag.mf && fi->frag.ofs == 0))
		return AVES_REASM_BAD_FRAGMENT;
	if (fi->frag.len == 0)
		return AVES_REASM_ZERO_LENGTH;
	if ((uint32_t)fi->hdr_len + fi->frag.ofs + fi->frag.len > UINT16_MAX)
		return AVES_REASM_TOO_BIG;
	/* Only the last fragment may end off an 8-byte boundary (RFC 791). */
	if (fi->frag.mf && fi->frag.len % RTE_IPV4_HDR_OFFSET_UNITS != 0)
		return AVES_REASM_BAD_FRAGMENT;
	reasm_key_of(ip, &fi->key);
	fi->proto = ip->next_proto_id;
	return AVES_REASM_HELD;
}

static bool
datagram_has(const struct reasm_datagram *d, const struct reasm_frag *f)
{
	unsigned int i;

	for (i = 0; i < d->nb_frags; i++)
		if (d->frags[i].ofs == f->ofs && d->frags[i].len == f->len &&
		    d->frags[i].mf == f->mf)
			return true;
	return false;
}

static bool
frag_is_middle(const struct reasm_frag *f)
{
	return f->ofs != 0 && f->mf;
}

/*
 * A reassembled chain as one contiguous mbuf: in place when the first segment has the room,
 * else copied into a mbuf of the linear pool. NULL (and m freed) when neither is possible.
 */
static struct rte_mbuf *
reasm_linearize(struct aves_reasm *r, struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	struct rte_mbuf *copy;
	uint8_t *dst;

	if (rte_pktmbuf_linearize(m) == 0)
		return m;
	copy = rte_pktmbuf_alloc(r->linear_pool);
	if (copy == NULL || rte_pktmbuf_tailroom(copy) < m->pkt_len) {
		rte_pktmbuf_free(copy);
		rte_pktmbuf_free(m);
		return NULL;
	}
	dst = (uint8_t *)rte_pktmbuf_append(copy, (uint16_t)m->pkt_len);
	for (seg = m; seg != NULL; seg = seg->next) {
		memcpy(dst, rte_pktmbuf_mtod(seg, const uint8_t *), seg->data_len);
		dst += seg->data_len;
	}
	copy->port = m->port;
	copy->ol_flags = m->ol_flags & RTE_MBUF_F_RX_RSS_HASH;
	copy->hash = m->hash;
	copy->packet_type = m->packet_type;
	rte_pktmbuf_free(m);
	return copy;
}

static struct rte_mbuf *
reasm_drop(struct aves_tunnel_stats *stats, struct rte_mbuf *m, enum aves_reasm_result res)
{
	rte_pktmbuf_free(m);
	stats->reasm[res]++;
	return NULL;
}

struct rte_mbuf *
aves_reasm_packet(struct aves_reasm *r, struct aves_tunnel_stats *stats, struct rte_mbuf *m,
		  bool trusted, uint64_t now)
{
	struct reasm_frag_info fi;
	struct reasm_datagram *d;
	struct reasm_table *t;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *out;
	enum aves_reasm_result res;
	bool is_new, overflows;
	int32_t pos;

	aves_reasm_expire(r, stats, now);

	res = frag_validate(m, &fi);
	if (res != AVES_REASM_HELD)
		return reasm_drop(stats, m, res);

	pos = rte_hash_lookup(r->datagrams, &fi.key);
	if (pos >= 0) {
		d = &r->shadow[pos];
		if (d->proto != fi.proto)
			return reasm_drop(stats, m, AVES_REASM_PROTO_MISMATCH);
		if (datagram_has(d, &fi.frag))
			return reasm_drop(stats, m, AVES_REASM_DUPLICATE);
		is_new = false;
	} else {
		t = &r->tables[trusted ? REASM_TRUSTED : REASM_GENERAL];
		if (t->pending >= t->max_datagrams)
			return reasm_drop(stats, m, AVES_REASM_TABLE_FULL);
		if (source_count(t, fi.key.src) >= t->max_per_source)
			return reasm_drop(stats, m, AVES_REASM_PER_SOURCE_LIMIT);
		pos = rte_hash_add_key(r->datagrams, &fi.key);
		if (pos < 0)
			return reasm_drop(stats, m, AVES_REASM_TABLE_FULL);
		if (source_add(t, fi.key.src, 1) < 0) {
			rte_hash_del_key(r->datagrams, &fi.key);
			return reasm_drop(stats, m, AVES_REASM_TABLE_FULL);
		}
		t->pending++;
		d = &r->shadow[pos];
		d->nb_frags = 0;
		d->nb_middle = 0;
		d->proto = fi.proto;
		d->table = trusted ? REASM_TRUSTED : REASM_GENERAL;
		is_new = true;
	}
	/* ip_frag destroys a datagram offered a middle fragment beyond its slots. */
	overflows = frag_is_middle(&fi.frag) && d->nb_middle == REASM_MIDDLE_MAX;

	t = &r->tables[d->table];
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	m->l2_len = 0;
	m->l3_len = fi.hdr_len;
	out = rte_ipv4_frag_reassemble_packet(t->frag, &r->dr, m, now, ip);

	if (out == NULL && r->dr.cnt == 0) {
		/* Held: the library stored it in the datagram's entry. */
		d->frags[d->nb_frags++] = fi.frag;
		d->nb_middle += frag_is_middle(&fi.frag);
		stats->reasm[AVES_REASM_HELD]++;
		return NULL;
	}
	datagram_forget(r, &fi.key, d);
	if (out == NULL) {
		/* A new datagram can only fail for want of room (a lone fragment cannot be
		 * inconsistent); an existing one was destroyed with all its fragments. */
		res = is_new ? AVES_REASM_TABLE_FULL :
		      overflows ? AVES_REASM_TOO_MANY_FRAGS : AVES_REASM_OVERLAP;
		rte_ip_frag_free_death_row(&r->dr, 0);
		stats->reasm[res]++;
		return NULL;
	}
	out = reasm_linearize(r, out);
	if (out == NULL) {
		stats->reasm[AVES_REASM_LINEARIZE_FAILED]++;
		return NULL;
	}
	/* The library zeroes the checksum of the header it rewrote. */
	ip = rte_pktmbuf_mtod(out, struct rte_ipv4_hdr *);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	out->ol_flags &= ~RTE_MBUF_F_RX_IP_CKSUM_MASK;
	stats->reasm[AVES_REASM_REASSEMBLED]++;
	return out;
}

uint32_t
aves_reasm_pending(const struct aves_reasm *r, bool trusted)
{
	return r->tables[trusted ? REASM_TRUSTED : REASM_GENERAL].pending;
}

static int
reasm_table_params_ok(const char *which, const struct aves_reasm_table_params *p)
{
	if (p->max_datagrams == 0 || p->max_datagrams > REASM_DATAGRAMS_MAX) {
		AVES_TUNNEL_LOG(ERR, "reassembly %s table: max_datagrams %" PRIu32
				" out of range 1..%u", which, p->max_datagrams,
				REASM_DATAGRAMS_MAX);
		return 0;
	}
	if (p->max_per_source == 0 || p->max_per_source > p->max_datagrams) {
		AVES_TUNNEL_LOG(ERR, "reassembly %s table: max_per_source %" PRIu32
				" out of range 1..%" PRIu32, which, p->max_per_source,
				p->max_datagrams);
		return 0;
	}
	return 1;
}

static struct rte_hash *
reasm_hash_create(const struct aves_reasm *r, const char *what, uint32_t entries,
		  uint32_t key_len, int socket_id)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		/* rte_hash wants at least one bucket's worth of entries. */
		.entries = RTE_MAX(entries, 8u),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		/* Unlike ip_frag's fixed seed, an attacker cannot aim at our buckets. */
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = socket_id,
		/* The extendable table guarantees `entries` keys fit, collisions or not. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "avrs_%s_%" PRIxPTR, what, (uintptr_t)r);
	return rte_hash_create(&hp);
}

static int
reasm_table_init(struct aves_reasm *r, unsigned int which,
		 const struct aves_reasm_table_params *p, uint64_t timeout, int socket_id)
{
	struct reasm_table *t = &r->tables[which];
	uint32_t buckets = rte_align32pow2(RTE_MAX(1u, p->max_datagrams * REASM_BUCKET_LOAD /
						       REASM_BUCKET_ENTRIES));

	t->max_datagrams = p->max_datagrams;
	t->max_per_source = p->max_per_source;
	t->frag = rte_ip_frag_table_create(buckets, REASM_BUCKET_ENTRIES, p->max_datagrams,
					   timeout, socket_id);
	t->sources = reasm_hash_create(r, which == REASM_TRUSTED ? "st" : "sg", p->max_datagrams,
				       sizeof(rte_be32_t), socket_id);
	if (t->frag == NULL || t->sources == NULL) {
		AVES_TUNNEL_LOG(ERR, "reassembly %s table: cannot allocate %" PRIu32 " entries",
				which == REASM_TRUSTED ? "trusted" : "general", p->max_datagrams);
		return -ENOMEM;
	}
	return 0;
}

struct aves_reasm *
aves_reasm_create(const struct aves_reasm_params *params)
{
	struct aves_reasm *r;
	int32_t max_key;

	if (params == NULL) {
		AVES_TUNNEL_LOG(ERR, "reassembly: no parameters");
		rte_errno = EINVAL;
		return NULL;
	}
	if (!reasm_table_params_ok("general", &params->general) ||
	    !reasm_table_params_ok("trusted", &params->trusted)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->timeout_cycles == 0) {
		AVES_TUNNEL_LOG(ERR, "reassembly: timeout_cycles must be > 0");
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->linear_pool == NULL) {
		AVES_TUNNEL_LOG(ERR, "reassembly: linear_pool is required");
		rte_errno = EINVAL;
		return NULL;
	}

	r = rte_zmalloc_socket("aves_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE, params->socket_id);
	if (r == NULL) {
		AVES_TUNNEL_LOG(ERR, "reassembly: cannot allocate context");
		rte_errno = ENOMEM;
		return NULL;
	}
	r->linear_pool = params->linear_pool;
	if (reasm_table_init(r, REASM_GENERAL, &params->general, params->timeout_cycles,
			     params->socket_id) < 0 ||
	    reasm_table_init(r, REASM_TRUSTED, &params->trusted, params->timeout_cycles,
			     params->socket_id) < 0)
		goto fail;
	r->datagrams = reasm_hash_create(r, "dg", params->general.max_datagrams +
					 params->trusted.max_datagrams,
					 sizeof(struct reasm_key), params->socket_id);
	max_key = r->datagrams == NULL ? -1 : rte_hash_max_key_id(r->datagrams);
	if (max_key < 0) {
		AVES_TUNNEL_LOG(ERR, "reassembly: cannot allocate the datagram index");
		goto fail;
	}
	r->shadow = rte_zmalloc_socket("aves_reasm_shadow",
				       ((size_t)max_key + 1) * sizeof(*r->shadow),
				       RTE_CACHE_LINE_SIZE, params->socket_id);
	if (r->shadow == NULL) {
		AVES_TUNNEL_LOG(ERR, "reassembly: cannot allocate %" PRId32 " datagram records",
				max_key + 1);
		goto fail;
	}
	return r;
fail:
	aves_reasm_free(r);
	rte_errno = ENOMEM;
	return NULL;
}

void
aves_reasm_free(struct aves_reasm *r)
{
	unsigned int t;

	if (r == NULL)
		return;
	for (t = 0; t < REASM_TABLES; t++) {
		/* Destroying an ip_frag table frees the fragments it still holds. */
		if (r->tables[t].frag != NULL)
			rte_ip_frag_table_destroy(r->tables[t].frag);
		rte_hash_free(r->tables[t].sources);
	}
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_hash_free(r->datagrams);
	rte_free(r->shadow);
	rte_free(r);
}
