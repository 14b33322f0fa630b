/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address and port rewrites with incremental checksum updates (RFC 1624 eqn. 3).
 *
 * One mechanism serves the packet itself and the packet quoted in an ICMP error: a "view"
 * names an IPv4 header and whatever part of its L4 header is present. Rewriting a view fixes
 * the checksums inside it and reports the one's-complement change of every byte it touched,
 * which is exactly what the outer ICMP checksum of an error needs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aves_cksum.h"
#include "aves_flow_private.h"
#include "aves_flow.h"

#define IP_CKSUM   offsetof(struct rte_ipv4_hdr, hdr_checksum)
#define IP_SRC     offsetof(struct rte_ipv4_hdr, src_addr)
#define IP_DST     offsetof(struct rte_ipv4_hdr, dst_addr)
#define TCP_CKSUM  offsetof(struct rte_tcp_hdr, cksum)
#define UDP_CKSUM  offsetof(struct rte_udp_hdr, dgram_cksum)
#define ICMP_CKSUM offsetof(struct rte_icmp_hdr, icmp_cksum)
#define ICMP_IDENT offsetof(struct rte_icmp_hdr, icmp_ident)

/* Source and destination ports sit at the same offsets in TCP and UDP. */
static_assert(offsetof(struct rte_tcp_hdr, src_port) == offsetof(struct rte_udp_hdr, src_port) &&
	      offsetof(struct rte_tcp_hdr, dst_port) == offsetof(struct rte_udp_hdr, dst_port),
	      "TCP and UDP port offsets");
#define L4_SPORT   offsetof(struct rte_udp_hdr, src_port)
#define L4_DPORT   offsetof(struct rte_udp_hdr, dst_port)

struct view {
	uint8_t *ip;
	uint8_t *l4;          /* NULL: no L4 header here (non-first fragment) */
	unsigned int l4_len;  /* bytes present from l4 */
	bool whole;           /* l4_len bytes are the entire L4 message */
	uint8_t proto;
	bool icmp_query;
};

/* One's-complement change of a sum when a word goes from o to n (~m + m' of eqn. 3). */
static inline uint64_t
delta16(uint16_t o, uint16_t n)
{
	return (uint64_t)(uint16_t)~o + n;
}

static inline uint64_t
delta32(uint32_t o, uint32_t n)
{
	return (uint64_t)(uint32_t)~o + n;
}

/* Eqn. 3 for any number of changed words whose deltas were summed. */
static inline uint16_t
cksum_apply(uint16_t cksum, uint64_t delta)
{
	return (uint16_t)~aves_cksum_fold((uint16_t)~cksum + delta);
}

/* The word rewritten as "port": TCP/UDP port of the side, or an ICMP query's identifier. */
static inline uint8_t *
port_field(const struct view *v, bool src_side)
{
	if (v->l4 == NULL)
		return NULL;
	switch (v->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return v->l4 + (src_side ? L4_SPORT : L4_DPORT);
	case IPPROTO_ICMP:
		return v->icmp_query ? v->l4 + ICMP_IDENT : NULL;
	default:
		return NULL;
	}
}

/* The L4 checksum to keep right, or NULL when it is absent (not quoted) or unused (UDP 0). */
static inline uint8_t *
l4_cksum_field(const struct view *v)
{
	switch (v->proto) {
	case IPPROTO_TCP:
		return v->l4_len >= TCP_CKSUM + 2 ? v->l4 + TCP_CKSUM : NULL;
	case IPPROTO_UDP:
		return load16(v->l4 + UDP_CKSUM) != 0 ? v->l4 + UDP_CKSUM : NULL;
	case IPPROTO_ICMP:
		return v->l4 + ICMP_CKSUM;
	default:
		return NULL;
	}
}

/*
 * Rewrite one side of the header in @p v. Returns true when any byte changed, and adds to
 * *moved the one's-complement change of all the bytes it wrote, checksums included.
 */
static bool
rewrite_view(const struct view *v, bool src_side, uint32_t addr, uint16_t port,
	     unsigned int what, uint64_t *moved)
{
	uint64_t covered = 0; /* change to what the L4 checksum covers */
	bool l4_changed = false, changed = false;
	uint8_t *field;

	if (what & AVES_RW_ADDR) {
		uint32_t old = load32(v->ip + (src_side ? IP_SRC : IP_DST));

		if (old != addr) {
			uint16_t ck = load16(v->ip + IP_CKSUM);
			uint16_t nck = aves_cksum_adjust32(ck, old, addr);

			store32(v->ip + (src_side ? IP_SRC : IP_DST), addr);
			store16(v->ip + IP_CKSUM, nck);
			*moved += delta32(old, addr) + delta16(ck, nck);
			/* TCP and UDP cover addresses through the pseudo-header; ICMP does not. */
			if (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP) {
				covered += delta32(old, addr);
				l4_changed = true;
			}
			changed = true;
		}
	}
	field = (what & AVES_RW_PORT) ? port_field(v, src_side) : NULL;
	if (field != NULL) {
		uint16_t old = load16(field);

		if (old != port) {
			store16(field, port);
			covered += delta16(old, port);
			*moved += delta16(old, port);
			l4_changed = changed = true;
		}
	}
	field = (l4_changed && v->l4 != NULL) ? l4_cksum_field(v) : NULL;
	if (field != NULL) {
		uint16_t ck = load16(field);
		uint16_t nck = cksum_apply(ck, covered);

		if (v->proto == IPPROTO_UDP && nck == 0)
			nck = 0xffff; /* RFC 768: 0 would mean "no checksum" */
		else if (v->proto == IPPROTO_ICMP && v->whole)
			nck = aves_cksum_icmp_settle(v->l4, v->l4_len, nck);
		store16(field, nck);
		*moved += delta16(ck, nck);
	}
	return changed;
}

static void
outer_view(uint8_t *buf, const struct aves_pkt *pkt, struct view *v)
{
	v->ip = buf + pkt->l3_off;
	v->proto = pkt->key.proto;
	v->icmp_query = (pkt->flags & AVES_PKT_F_ICMP_QUERY) != 0;
	if (pkt->flags & AVES_PKT_F_LATER_FRAG) {
		v->l4 = NULL;
		v->l4_len = 0;
		v->whole = false;
	} else {
		v->l4 = buf + pkt->l4_off;
		v->l4_len = pkt->ip_len - (unsigned int)(pkt->l4_off - pkt->l3_off);
		v->whole = !(pkt->flags & AVES_PKT_F_FRAG);
	}
}

static void
inner_view(uint8_t *buf, const struct aves_pkt_inner *in, struct view *v)
{
	v->ip = buf + in->l3_off;
	v->l4 = buf + in->l4_off;
	v->l4_len = in->l4_len;
	v->whole = !(in->flags & AVES_PKT_F_FRAG) &&
		   in->l4_len == in->ip_len - (unsigned int)(in->l4_off - in->l3_off);
	v->proto = in->key.proto;
	v->icmp_query = (in->flags & AVES_PKT_F_ICMP_QUERY) != 0;
}

/* Keep a key in step with what rewrite_view() wrote. */
static void
key_update(struct aves_flow_key *key, const struct view *v, bool src_side, uint32_t addr,
	   uint16_t port, unsigned int what)
{
	if (what & AVES_RW_ADDR) {
		if (src_side)
			key->src = addr;
		else
			key->dst = addr;
	}
	if ((what & AVES_RW_PORT) && port_field(v, src_side) != NULL) {
		if (v->icmp_query) {
			key->sport = port;
			key->dport = port;
		} else if (src_side) {
			key->sport = port;
		} else {
			key->dport = port;
		}
	}
}

static void
rewrite_outer(uint8_t *buf, struct aves_pkt *pkt, bool src_side, uint32_t addr, uint16_t port,
	      unsigned int what)
{
	struct view v;
	uint64_t moved = 0;

	outer_view(buf, pkt, &v);
	rewrite_view(&v, src_side, addr, port, what, &moved);
	key_update(&pkt->key, &v, src_side, addr, port, what);
}

static int
rewrite_inner(uint8_t *buf, struct aves_pkt *pkt, bool src_side, uint32_t addr, uint16_t port,
	      unsigned int what)
{
	struct view v;
	uint64_t moved = 0;

	if (!(pkt->flags & AVES_PKT_F_ICMP_ERROR))
		return -EINVAL;
	inner_view(buf, &pkt->inner, &v);
	if (rewrite_view(&v, src_side, addr, port, what, &moved)) {
		/* The outer ICMP checksum covers every quoted byte, so it moves by their change. */
		uint8_t *ck = buf + pkt->l4_off + ICMP_CKSUM;

		store16(ck, cksum_apply(load16(ck), moved));
	}
	key_update(&pkt->inner.key, &v, src_side, addr, port, what);
	return 0;
}

void
aves_rewrite_src(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		 unsigned int what)
{
	rewrite_outer(buf, pkt, true, addr_be, port_be, what);
}

void
aves_rewrite_dst(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		 unsigned int what)
{
	rewrite_outer(buf, pkt, false, addr_be, port_be, what);
}

int
aves_rewrite_inner_src(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		       unsigned int what)
{
	return rewrite_inner(buf, pkt, true, addr_be, port_be, what);
}

int
aves_rewrite_inner_dst(uint8_t *buf, struct aves_pkt *pkt, uint32_t addr_be, uint16_t port_be,
		       unsigned int what)
{
	return rewrite_inner(buf, pkt, false, addr_be, port_be, what);
}
