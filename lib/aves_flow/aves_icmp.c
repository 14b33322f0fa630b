/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP errors and echo replies originated by the appliances. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "aves_cksum.h"
#include "aves_flow_private.h"
#include "aves_flow.h"
#include "aves_icmp.h"

#define IP_HDR_LEN   sizeof(struct rte_ipv4_hdr)
#define ICMP_HDR_LEN sizeof(struct rte_icmp_hdr)
static_assert(IP_HDR_LEN + ICMP_HDR_LEN == AVES_ICMP_ERROR_HDR_LEN, "error headers");

#define IP_TTL_PROTO offsetof(struct rte_ipv4_hdr, time_to_live)
#define IP_CKSUM     offsetof(struct rte_ipv4_hdr, hdr_checksum)
#define IP_SRC       offsetof(struct rte_ipv4_hdr, src_addr)
#define IP_DST       offsetof(struct rte_ipv4_hdr, dst_addr)
#define ICMP_CKSUM   offsetof(struct rte_icmp_hdr, icmp_cksum)
static_assert(offsetof(struct rte_ipv4_hdr, next_proto_id) == IP_TTL_PROTO + 1,
	      "TTL and protocol share one checksum word");

#define ICMP_DEST_UNREACH      3
#define ICMP_UNREACH_NEEDFRAG  4
#define ICMP_TIME_EXCEEDED     11
/* RFC 791: every host must accept 68-byte datagrams, so no smaller MTU is meaningful. */
#define IPV4_MIN_MTU           68
#define IPV4_LIMITED_BROADCAST UINT32_C(0xffffffff)

static const char *const refusal_names[AVES_ICMP_REFUSE_MAX] = {
	[AVES_ICMP_REFUSE_NONE] = "none",
#define AVES_ICMP_REFUSE_NAME_(name, str) [AVES_ICMP_REFUSE_##name] = str,
	AVES_ICMP_REFUSALS(AVES_ICMP_REFUSE_NAME_)
#undef AVES_ICMP_REFUSE_NAME_
};

const char *
aves_icmp_refusal_name(int refusal)
{
	if (refusal < 0)
		refusal = -refusal;
	if (refusal >= AVES_ICMP_REFUSE_MAX)
		return "unknown";
	return refusal_names[refusal];
}

/* Multicast and the limited broadcast: a packet to these was not for one host to answer. */
static inline bool
dst_is_group(uint32_t addr_be)
{
	uint8_t first = aves_ipv4_first_octet(addr_be);

	return (first >= 224 && first < 240) || addr_be == IPV4_LIMITED_BROADCAST;
}

static bool
type_code_sent(uint8_t type, uint8_t code)
{
	/* Codes defined by RFC 792 and RFC 1812 §5.2.7.1. */
	return (type == ICMP_DEST_UNREACH && code <= 15) ||
	       (type == ICMP_TIME_EXCEEDED && code <= 1);
}

int
aves_icmp_error_build(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len,
		      uint32_t src_be, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
		      uint16_t ip_id)
{
	struct rte_ipv4_hdr ip;
	struct rte_icmp_hdr icmp;
	size_t ihl, datagram, quote, reply_len;
	unsigned int frag;
	bool needfrag = type == ICMP_DEST_UNREACH && code == ICMP_UNREACH_NEEDFRAG;

	if (out == NULL || orig == NULL || !type_code_sent(type, code) ||
	    (needfrag && next_hop_mtu < IPV4_MIN_MTU))
		return -AVES_ICMP_REFUSE_BAD_ARG;
	if (orig_len < IP_HDR_LEN || (orig[0] >> 4) != 4)
		return -AVES_ICMP_REFUSE_ORIG_MALFORMED;
	ihl = (orig[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	datagram = rte_be_to_cpu_16(load16(orig + offsetof(struct rte_ipv4_hdr, total_length)));
	if (ihl < IP_HDR_LEN || ihl > orig_len || datagram < ihl)
		return -AVES_ICMP_REFUSE_ORIG_MALFORMED;
	datagram = RTE_MIN(datagram, orig_len);
	frag = rte_be_to_cpu_16(load16(orig + offsetof(struct rte_ipv4_hdr, fragment_offset)));
	if (frag & RTE_IPV4_HDR_OFFSET_MASK)
		return -AVES_ICMP_REFUSE_ORIG_LATER_FRAG;
	if (orig[offsetof(struct rte_ipv4_hdr, next_proto_id)] == IPPROTO_ICMP) {
		if (datagram <= ihl)
			return -AVES_ICMP_REFUSE_ORIG_MALFORMED; /* cannot tell it is no error */
		if (aves_icmp_is_error(orig[ihl]))
			return -AVES_ICMP_REFUSE_ORIG_ICMP_ERROR;
	}
	if (aves_ipv4_martian_src(load32(orig + IP_SRC)))
		return -AVES_ICMP_REFUSE_ORIG_SRC;
	if (dst_is_group(load32(orig + IP_DST)))
		return -AVES_ICMP_REFUSE_ORIG_DST;
	quote = RTE_MIN(datagram, (size_t)(AVES_ICMP_ERROR_MAX_LEN - AVES_ICMP_ERROR_HDR_LEN));
	reply_len = AVES_ICMP_ERROR_HDR_LEN + quote;
	if (cap < reply_len)
		return -AVES_ICMP_REFUSE_NO_ROOM;

	memset(&ip, 0, sizeof(ip));
	ip.version_ihl = RTE_IPV4_VHL_DEF;
	ip.type_of_service = AVES_ICMP_ERROR_TOS;
	ip.total_length = rte_cpu_to_be_16((uint16_t)reply_len);
	ip.packet_id = rte_cpu_to_be_16(ip_id);
	ip.time_to_live = AVES_ICMP_TTL;
	ip.next_proto_id = IPPROTO_ICMP;
	ip.src_addr = src_be;
	ip.dst_addr = load32(orig + IP_SRC);
	ip.hdr_checksum = (uint16_t)~aves_cksum_fold(aves_cksum_add(0, &ip, sizeof(ip)));

	memset(&icmp, 0, sizeof(icmp));
	icmp.icmp_type = type;
	icmp.icmp_code = code;
	/* RFC 1191: the next-hop MTU is the low half of the otherwise unused word. */
	if (needfrag)
		icmp.icmp_seq_nb = rte_cpu_to_be_16(next_hop_mtu);

	memcpy(out, &ip, sizeof(ip));
	memcpy(out + IP_HDR_LEN, &icmp, sizeof(icmp));
	memcpy(out + AVES_ICMP_ERROR_HDR_LEN, orig, quote);
	store16(out + IP_HDR_LEN + ICMP_CKSUM,
		(uint16_t)~aves_cksum_fold(aves_cksum_add(0, out + IP_HDR_LEN,
							  ICMP_HDR_LEN + quote)));
	return (int)reply_len;
}

int
aves_icmp_echo_reply(uint8_t *buf, struct aves_pkt *pkt)
{
	uint8_t *ip = buf + pkt->l3_off;
	uint8_t *icmp = buf + pkt->l4_off;
	uint16_t old_word, new_word, ck;
	uint32_t src = pkt->key.src;
	uint8_t ttl_proto[2] = { AVES_ICMP_TTL, IPPROTO_ICMP };
	uint8_t type_code[2] = { RTE_IP_ICMP_ECHO_REPLY, 0 };

	if (pkt->key.proto != IPPROTO_ICMP || (pkt->flags & AVES_PKT_F_FRAG) ||
	    pkt->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
		return -EINVAL;
	/* The request's destination becomes the reply's source: it must name one host. */
	if (aves_ipv4_martian_src(pkt->key.dst))
		return -EADDRNOTAVAIL;

	/* Swapping two words of the header leaves its sum, and so its checksum, as it was. */
	store32(ip + IP_SRC, pkt->key.dst);
	store32(ip + IP_DST, src);
	/* A reply is a new datagram: a request that arrived with TTL 1 must not doom it. */
	old_word = load16(ip + IP_TTL_PROTO);
	memcpy(&new_word, ttl_proto, sizeof(new_word));
	store16(ip + IP_TTL_PROTO, new_word);
	store16(ip + IP_CKSUM, aves_cksum_adjust16(load16(ip + IP_CKSUM), old_word, new_word));

	old_word = load16(icmp);
	memcpy(&new_word, type_code, sizeof(new_word));
	store16(icmp, new_word);
	ck = aves_cksum_adjust16(load16(icmp + ICMP_CKSUM), old_word, new_word);
	/* An echo request with identifier, sequence and data all 0 has an all-zero reply. */
	store16(icmp + ICMP_CKSUM, aves_cksum_icmp_settle(icmp, pkt->ip_len -
			(unsigned int)(pkt->l4_off - pkt->l3_off), ck));

	pkt->key.src = pkt->key.dst;
	pkt->key.dst = src;
	pkt->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	pkt->icmp_code = 0;
	return 0;
}
