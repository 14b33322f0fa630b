/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict IPv4 parsing. Every length is checked against the bytes present before the bytes are
 * read; checks run cheapest first and the first failure names the drop.
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aves_cksum.h"
#include "aves_flow_private.h"
#include "aves_flow.h"
#include "aves_icmp.h"

#define IP_HDR_MIN   sizeof(struct rte_ipv4_hdr)
#define TCP_HDR_MIN  sizeof(struct rte_tcp_hdr)
#define UDP_HDR_LEN  sizeof(struct rte_udp_hdr)
#define ICMP_HDR_LEN sizeof(struct rte_icmp_hdr)
/* RFC 792: an error quotes the offending header and at least 64 bits of its data. */
#define ICMP_QUOTE_L4_MIN 8

static_assert(IP_HDR_MIN == 20, "IPv4 header");
static_assert(TCP_HDR_MIN == 20, "TCP header");
static_assert(UDP_HDR_LEN == 8, "UDP header");
static_assert(ICMP_HDR_LEN == 8, "ICMP header");

#define IP_VER_IHL   offsetof(struct rte_ipv4_hdr, version_ihl)
#define IP_TOT_LEN   offsetof(struct rte_ipv4_hdr, total_length)
#define IP_ID        offsetof(struct rte_ipv4_hdr, packet_id)
#define IP_FRAG      offsetof(struct rte_ipv4_hdr, fragment_offset)
#define IP_PROTO     offsetof(struct rte_ipv4_hdr, next_proto_id)
#define IP_SRC       offsetof(struct rte_ipv4_hdr, src_addr)
#define IP_DST       offsetof(struct rte_ipv4_hdr, dst_addr)
#define IP_RESERVED_FLAG 0x8000u

#define TCP_SPORT    offsetof(struct rte_tcp_hdr, src_port)
#define TCP_DPORT    offsetof(struct rte_tcp_hdr, dst_port)
#define TCP_DATA_OFF offsetof(struct rte_tcp_hdr, data_off)
#define TCP_FLAGS    offsetof(struct rte_tcp_hdr, tcp_flags)
#define UDP_SPORT    offsetof(struct rte_udp_hdr, src_port)
#define UDP_DPORT    offsetof(struct rte_udp_hdr, dst_port)
#define UDP_LEN      offsetof(struct rte_udp_hdr, dgram_len)
#define UDP_CKSUM    offsetof(struct rte_udp_hdr, dgram_cksum)
#define ICMP_IDENT   offsetof(struct rte_icmp_hdr, icmp_ident)

static const char *const reason_names[AVES_PARSE_REASON_MAX] = {
	[AVES_PARSE_OK] = "ok",
#define AVES_PARSE_NAME_(name, str) [AVES_PARSE_##name] = str,
	AVES_PARSE_REASONS(AVES_PARSE_NAME_)
#undef AVES_PARSE_NAME_
};

const char *
aves_parse_reason_name(int reason)
{
	if (reason < 0 || reason >= AVES_PARSE_REASON_MAX)
		return "unknown";
	return reason_names[reason];
}

static inline uint16_t
load_host16(const uint8_t *p)
{
	return rte_be_to_cpu_16(load16(p));
}

static inline unsigned int
ip_hdr_len(const uint8_t *ip)
{
	return (ip[IP_VER_IHL] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
}

static inline bool
ip_version_is_4(const uint8_t *ip)
{
	return (ip[IP_VER_IHL] >> 4) == 4;
}

/* A valid checksum makes the one's-complement sum of everything it covers -0 (0xffff). */
static inline bool
cksum_ok(uint64_t sum)
{
	return aves_cksum_fold(sum) == 0xffff;
}

static inline uint64_t
pseudo_hdr_sum(const uint8_t *ip, uint8_t proto, unsigned int l4_len)
{
	uint64_t sum = load32(ip + IP_SRC);

	sum += load32(ip + IP_DST);
	sum += rte_cpu_to_be_16(proto);
	sum += rte_cpu_to_be_16((uint16_t)l4_len);
	return sum;
}

/*
 * Walk the options of a header whose length @p ihl (> 20) is known to be present. Source-route
 * options would make us forward on the sender's say-so; no router-like box should honour them.
 */
static int
ip_options_check(const uint8_t *ip, unsigned int ihl)
{
	unsigned int i = IP_HDR_MIN;

	while (i < ihl) {
		uint8_t type = ip[i];
		uint8_t len;

		if (type == RTE_IPV4_HDR_OPT_EOL)
			break;
		if (type == RTE_IPV4_HDR_OPT_NOP) {
			i++;
			continue;
		}
		if (ihl - i < 2)
			return AVES_PARSE_IP_OPTION;
		len = ip[i + 1];
		if (len < 2 || len > ihl - i)
			return AVES_PARSE_IP_OPTION;
		if (type == IPOPT_LSRR || type == IPOPT_SSRR)
			return AVES_PARSE_IP_SOURCE_ROUTE;
		i += len;
	}
	return AVES_PARSE_OK;
}

static inline bool
tcp_flags_valid(uint8_t f)
{
	const uint8_t syn = RTE_TCP_SYN_FLAG, fin = RTE_TCP_FIN_FLAG, rst = RTE_TCP_RST_FLAG,
		      ack = RTE_TCP_ACK_FLAG;

	if ((f & syn) && (f & (fin | rst)))
		return false;
	if ((f & fin) && !(f & ack))
		return false;
	return (f & (syn | ack | rst)) != 0;
}

/*
 * The packet quoted by an ICMP error, at @p off, with @p end the end of the outer datagram.
 * Checked as strictly as a packet from the wire except that its total length may exceed the
 * quote, and its addresses are not judged: they only select a session.
 */
static int
parse_inner(const uint8_t *buf, unsigned int off, unsigned int end, struct aves_pkt_inner *in)
{
	const uint8_t *ip = buf + off;
	unsigned int quote = end - off;
	unsigned int ihl, tot, frag, present;
	const uint8_t *l4;
	uint8_t proto;

	if (quote < IP_HDR_MIN)
		return AVES_PARSE_ICMP_INNER_SHORT;
	ihl = ip_hdr_len(ip);
	if (!ip_version_is_4(ip) || ihl < IP_HDR_MIN)
		return AVES_PARSE_ICMP_INNER_HDR;
	tot = load_host16(ip + IP_TOT_LEN);
	if (tot < ihl)
		return AVES_PARSE_ICMP_INNER_HDR;
	present = RTE_MIN(quote, tot);
	if (present < ihl + ICMP_QUOTE_L4_MIN)
		return AVES_PARSE_ICMP_INNER_SHORT;
	if (!cksum_ok(aves_cksum_add(0, ip, ihl)))
		return AVES_PARSE_ICMP_INNER_CKSUM;
	if (ihl > IP_HDR_MIN && ip_options_check(ip, ihl) != AVES_PARSE_OK)
		return AVES_PARSE_ICMP_INNER_HDR;
	frag = load_host16(ip + IP_FRAG);
	if ((frag & IP_RESERVED_FLAG) ||
	    (frag & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS + (tot - ihl) > 65535)
		return AVES_PARSE_ICMP_INNER_HDR;
	if (frag & RTE_IPV4_HDR_OFFSET_MASK)
		return AVES_PARSE_ICMP_INNER_FRAG;

	l4 = ip + ihl;
	proto = ip[IP_PROTO];
	memset(in, 0, sizeof(*in));
	in->key.src = load32(ip + IP_SRC);
	in->key.dst = load32(ip + IP_DST);
	in->key.proto = proto;
	in->l3_off = (uint16_t)off;
	in->l4_off = (uint16_t)(off + ihl);
	in->l4_len = (uint16_t)(present - ihl);
	in->ip_len = (uint16_t)tot;
	if (frag & RTE_IPV4_HDR_DF_FLAG)
		in->flags |= AVES_PKT_F_DF;
	if (frag & RTE_IPV4_HDR_MF_FLAG)
		in->flags |= AVES_PKT_F_FRAG;

	switch (proto) {
	case IPPROTO_TCP:
		in->key.sport = load16(l4 + TCP_SPORT);
		in->key.dport = load16(l4 + TCP_DPORT);
		break;
	case IPPROTO_UDP:
		in->key.sport = load16(l4 + UDP_SPORT);
		in->key.dport = load16(l4 + UDP_DPORT);
		break;
	case IPPROTO_ICMP:
		in->icmp_type = l4[0];
		if (aves_icmp_is_error(in->icmp_type))
			return AVES_PARSE_ICMP_NESTED_ERROR;
		if (aves_icmp_is_query(in->icmp_type)) {
			in->flags |= AVES_PKT_F_ICMP_QUERY;
			in->key.sport = load16(l4 + ICMP_IDENT);
			in->key.dport = in->key.sport;
		}
		break;
	default:
		break;
	}
	return AVES_PARSE_OK;
}

static inline int
parse_tcp(const uint8_t *ip, const uint8_t *l4, unsigned int l4_len, bool first_frag,
	  bool verify, struct aves_pkt *pkt)
{
	unsigned int doff;

	if (l4_len < TCP_HDR_MIN)
		return first_frag ? AVES_PARSE_IP_FRAG_TINY : AVES_PARSE_TCP_TRUNCATED;
	doff = (l4[TCP_DATA_OFF] >> 4) * 4u;
	if (doff < TCP_HDR_MIN)
		return AVES_PARSE_TCP_DATA_OFFSET;
	if (doff > l4_len)
		return first_frag ? AVES_PARSE_IP_FRAG_TINY : AVES_PARSE_TCP_DATA_OFFSET;
	if (!tcp_flags_valid(l4[TCP_FLAGS]))
		return AVES_PARSE_TCP_FLAGS;
	if (verify && !cksum_ok(aves_cksum_add(pseudo_hdr_sum(ip, IPPROTO_TCP, l4_len), l4,
					       l4_len)))
		return AVES_PARSE_TCP_CKSUM;
	pkt->key.sport = load16(l4 + TCP_SPORT);
	pkt->key.dport = load16(l4 + TCP_DPORT);
	pkt->tcp_flags = l4[TCP_FLAGS];
	pkt->payload_off = (uint16_t)(pkt->l4_off + doff);
	return AVES_PARSE_OK;
}

static inline int
parse_udp(const uint8_t *ip, const uint8_t *l4, unsigned int l4_len, bool first_frag,
	  bool verify, struct aves_pkt *pkt)
{
	unsigned int udp_len;

	if (l4_len < UDP_HDR_LEN)
		return first_frag ? AVES_PARSE_IP_FRAG_TINY : AVES_PARSE_UDP_TRUNCATED;
	udp_len = load_host16(l4 + UDP_LEN);
	if (udp_len < UDP_HDR_LEN || (!first_frag && udp_len != l4_len))
		return AVES_PARSE_UDP_LENGTH;
	/* RFC 768: a zero checksum means the sender computed none. */
	if (verify && load16(l4 + UDP_CKSUM) != 0 &&
	    !cksum_ok(aves_cksum_add(pseudo_hdr_sum(ip, IPPROTO_UDP, l4_len), l4, l4_len)))
		return AVES_PARSE_UDP_CKSUM;
	pkt->key.sport = load16(l4 + UDP_SPORT);
	pkt->key.dport = load16(l4 + UDP_DPORT);
	pkt->payload_off = (uint16_t)(pkt->l4_off + UDP_HDR_LEN);
	return AVES_PARSE_OK;
}

static inline int
parse_icmp(const uint8_t *buf, const uint8_t *l4, unsigned int l4_len, bool first_frag,
	   bool verify, struct aves_pkt *pkt)
{
	int ret;

	if (l4_len < ICMP_HDR_LEN)
		return first_frag ? AVES_PARSE_IP_FRAG_TINY : AVES_PARSE_ICMP_TRUNCATED;
	pkt->icmp_type = l4[0];
	pkt->icmp_code = l4[1];
	pkt->payload_off = (uint16_t)(pkt->l4_off + ICMP_HDR_LEN);
	if (aves_icmp_is_query(pkt->icmp_type)) {
		pkt->flags |= AVES_PKT_F_ICMP_QUERY;
		pkt->key.sport = load16(l4 + ICMP_IDENT);
		pkt->key.dport = pkt->key.sport;
	} else if (aves_icmp_is_error(pkt->icmp_type)) {
		ret = parse_inner(buf, pkt->payload_off, pkt->l3_off + pkt->ip_len, &pkt->inner);
		if (ret != AVES_PARSE_OK)
			return ret;
		pkt->flags |= AVES_PKT_F_ICMP_ERROR;
	}
	if (verify && !cksum_ok(aves_cksum_add(0, l4, l4_len)))
		return AVES_PARSE_ICMP_CKSUM;
	return AVES_PARSE_OK;
}

int
aves_parse_ipv4(const uint8_t *buf, uint16_t len, uint16_t l3_off, unsigned int flags,
		struct aves_pkt *pkt)
{
	const uint8_t *ip;
	unsigned int avail, ihl, tot, frag, frag_off, l4_len;
	uint32_t src, dst;
	uint8_t proto;
	bool first_frag, verify;
	int ret;

	if ((unsigned int)l3_off + IP_HDR_MIN > len)
		return AVES_PARSE_IP_TRUNCATED;
	ip = buf + l3_off;
	avail = len - l3_off;
	if (!ip_version_is_4(ip))
		return AVES_PARSE_IP_VERSION;
	ihl = ip_hdr_len(ip);
	if (ihl < IP_HDR_MIN || ihl > avail)
		return AVES_PARSE_IP_HDR_LEN;
	tot = load_host16(ip + IP_TOT_LEN);
	if (tot < ihl || tot > avail)
		return AVES_PARSE_IP_TOTAL_LEN;
	if (!cksum_ok(aves_cksum_add(0, ip, ihl)))
		return AVES_PARSE_IP_CKSUM;
	if (ihl > IP_HDR_MIN) {
		ret = ip_options_check(ip, ihl);
		if (ret != AVES_PARSE_OK)
			return ret;
	}
	frag = load_host16(ip + IP_FRAG);
	if (frag & IP_RESERVED_FLAG)
		return AVES_PARSE_IP_RESERVED_FLAG;
	frag_off = (frag & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	l4_len = tot - ihl;
	if (frag_off + l4_len > RTE_IPV4_MAX_PKT_LEN)
		return AVES_PARSE_IP_FRAG_OVERSIZE;
	src = load32(ip + IP_SRC);
	dst = load32(ip + IP_DST);
	if (aves_ipv4_martian_src(src))
		return AVES_PARSE_IP_SRC_MARTIAN;
	if (aves_ipv4_martian_dst(dst))
		return AVES_PARSE_IP_DST_MARTIAN;
	proto = ip[IP_PROTO];
	/*
	 * RFC 1858: a TCP fragment at offset 8 can only serve to overwrite the flags of the
	 * first fragment's header after a filter has looked at them.
	 */
	if (proto == IPPROTO_TCP && frag_off == RTE_IPV4_HDR_OFFSET_UNITS)
		return AVES_PARSE_IP_FRAG_TCP_OVERLAP;

	memset(pkt, 0, sizeof(*pkt));
	pkt->key.src = src;
	pkt->key.dst = dst;
	pkt->key.proto = proto;
	pkt->l3_off = l3_off;
	pkt->l4_off = (uint16_t)(l3_off + ihl);
	pkt->payload_off = pkt->l4_off;
	pkt->ip_len = (uint16_t)tot;
	pkt->ip_id = load_host16(ip + IP_ID);
	pkt->frag_off = (uint16_t)frag_off;
	if (frag & RTE_IPV4_HDR_DF_FLAG)
		pkt->flags |= AVES_PKT_F_DF;
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		pkt->flags |= AVES_PKT_F_FRAG;
	if (frag_off != 0) {
		pkt->flags |= AVES_PKT_F_LATER_FRAG;
		return AVES_PARSE_OK;
	}

	/* A first fragment's L4 checksum covers the fragments still to come. */
	first_frag = (pkt->flags & AVES_PKT_F_FRAG) != 0;
	verify = (flags & AVES_PARSE_F_VERIFY_L4_CKSUM) && !first_frag;
	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(ip, ip + ihl, l4_len, first_frag, verify, pkt);
	case IPPROTO_UDP:
		return parse_udp(ip, ip + ihl, l4_len, first_frag, verify, pkt);
	case IPPROTO_ICMP:
		return parse_icmp(buf, ip + ihl, l4_len, first_frag, verify, pkt);
	default:
		return AVES_PARSE_OK;
	}
}
