/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for aves_parse_ipv4() and the code that trusts its result: the rewrites
 * (aves_cksum.h), the ICMP error builder and the echo reply (aves_icmp.h).
 *
 * Build from the repository root (clang and libclang-rt-14-dev; no EAL is needed):
 *
 *   clang -g -O1 -std=c11 -D_GNU_SOURCE $(pkg-config --cflags libdpdk) -Ilib/aves_flow \
 *         -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         test/fuzz/parse_fuzz.c lib/aves_flow/aves_parse.c lib/aves_flow/aves_cksum.c \
 *         lib/aves_flow/aves_icmp.c -o build-fuzz-parse
 *   mkdir -p /tmp/parse-corpus
 *   ./build-fuzz-parse -max_len=1600 -max_total_time=120 /tmp/parse-corpus
 *
 * Input: byte 0 picks the L3 offset (its low 6 bits), whether L4 checksums are verified
 * (bit 7), and whether the harness first sets the frame's checksums right (bit 6), so that
 * mutations reach the checks that stand behind them; the rest is the frame. Every buffer
 * handed to the library is an exact-size malloc copy, so a read or write past its end is an
 * ASan report.
 *
 * Beyond "no crash, no out-of-bounds access", for every accepted packet:
 *  - its offsets and lengths lie inside the datagram;
 *  - after each rewrite (source or destination, address and port, and the quoted header of an
 *    ICMP error), the packet parses again with the same flags — so every checksum that was
 *    right is still right — and to the key the rewrite kept up to date;
 *  - an ICMP error about it is refused exactly when RFC 1122 says so, and otherwise parses
 *    with L4 verification and quotes its key;
 *  - the echo reply to it, when it is an echo request, parses and carries the swapped key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "aves_cksum.h"
#include "aves_flow.h"
#include "aves_icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Addresses a rewrite installs: never martian, so only a checksum error could fail a reparse. */
#define NEW_ADDR_BASE 0xc6336400u /* 198.51.100.0 */
#define OUR_ADDR      0xc0000201u /* 192.0.2.1 */

static uint8_t *
copy_of(const uint8_t *frame, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	CHECK(p != NULL);
	memcpy(p, frame, len);
	return p;
}

/* RFC 1071 over big-endian words, independent of the library's code. */
static uint16_t
ref_cksum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
set_cksum(uint8_t *field, const uint8_t *data, size_t n, uint32_t sum)
{
	uint16_t v;

	field[0] = field[1] = 0;
	v = ref_cksum(data, n, sum);
	field[0] = (uint8_t)(v >> 8);
	field[1] = (uint8_t)v;
}

/* Whatever the header claims, as far as the bytes present allow: quoted header, L4, header. */
static void
fix_checksums(uint8_t *frame, size_t len, size_t l3)
{
	uint8_t *ip = frame + l3, *l4;
	size_t ihl, tot, l4len;
	uint32_t pseudo;

	if (l3 + 20 > len || (ihl = (size_t)(ip[0] & 0xf) * 4) < 20 || ihl > len - l3)
		return;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (tot >= ihl && tot <= len - l3) {
		l4 = ip + ihl;
		l4len = tot - ihl;
		pseudo = (uint32_t)(ip[12] << 8 | ip[13]) + (uint32_t)(ip[14] << 8 | ip[15]) +
			 (uint32_t)(ip[16] << 8 | ip[17]) + (uint32_t)(ip[18] << 8 | ip[19]) +
			 ip[9] + (uint32_t)l4len;
		if (ip[9] == IPPROTO_ICMP && l4len >= 8 + 20) {
			uint8_t *in = l4 + 8;
			size_t in_ihl = (size_t)(in[0] & 0xf) * 4;

			if (in_ihl >= 20 && in_ihl <= l4len - 8)
				set_cksum(in + 10, in, in_ihl, 0);
		}
		if (ip[9] == IPPROTO_TCP && l4len >= 18)
			set_cksum(l4 + 16, l4, l4len, pseudo);
		else if (ip[9] == IPPROTO_UDP && l4len >= 8 && (l4[6] | l4[7]))
			set_cksum(l4 + 6, l4, l4len, pseudo);
		else if (ip[9] == IPPROTO_ICMP && l4len >= 4)
			set_cksum(l4 + 2, l4, l4len, 0);
	}
	set_cksum(ip + 10, ip, ihl, 0);
}

static void
check_bounds(const struct aves_pkt *pkt, size_t len)
{
	size_t end = (size_t)pkt->l3_off + pkt->ip_len;

	CHECK(end <= len);
	CHECK(pkt->l3_off + 20u <= pkt->l4_off && pkt->l4_off <= pkt->payload_off);
	CHECK(pkt->payload_off <= end);
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR) {
		CHECK(pkt->inner.l3_off == pkt->l4_off + 8u);
		CHECK(pkt->inner.l4_off >= pkt->inner.l3_off + 20u);
		CHECK(pkt->inner.l4_len >= 8);
		CHECK((size_t)pkt->inner.l4_off + pkt->inner.l4_len <= end);
	}
}

static void
check_reparse(const uint8_t *buf, size_t len, uint16_t l3, unsigned int flags,
	      const struct aves_pkt *pkt)
{
	struct aves_pkt again;

	CHECK(aves_parse_ipv4(buf, (uint16_t)len, l3, flags, &again) == AVES_PARSE_OK);
	CHECK(memcmp(&again.key, &pkt->key, sizeof(again.key)) == 0);
	if (pkt->flags & AVES_PKT_F_ICMP_ERROR)
		CHECK(memcmp(&again.inner.key, &pkt->inner.key, sizeof(again.inner.key)) == 0);
}

static void
fuzz_rewrites(const uint8_t *frame, size_t len, uint16_t l3, unsigned int flags, uint8_t salt)
{
	static const unsigned int whats[] = { AVES_RW_ADDR, AVES_RW_PORT,
					      AVES_RW_ADDR | AVES_RW_PORT };
	uint32_t addr = htonl(NEW_ADDR_BASE | salt);
	uint16_t port = htons((uint16_t)(salt * 257u + 1));
	unsigned int kind, w;

	for (kind = 0; kind < 5; kind++) {
		for (w = 0; w < 3; w++) {
			uint8_t *buf = copy_of(frame, len);
			struct aves_pkt pkt;
			int ret;

			ret = aves_parse_ipv4(buf, (uint16_t)len, l3, flags, &pkt);
			CHECK(ret == AVES_PARSE_OK);
			switch (kind) {
			case 0:
				aves_rewrite_src(buf, &pkt, addr, port, whats[w]);
				break;
			case 1:
				aves_rewrite_dst(buf, &pkt, addr, port, whats[w]);
				break;
			case 2:
				CHECK(aves_rewrite_inner_src(buf, &pkt, addr, port, whats[w]) ==
				      ((pkt.flags & AVES_PKT_F_ICMP_ERROR) ? 0 : -EINVAL));
				break;
			case 3:
				/* A NAT translating an error: outer and quoted sides together. */
				aves_rewrite_dst(buf, &pkt, addr, port, whats[w]);
				CHECK(aves_rewrite_inner_src(buf, &pkt, addr, port, whats[w]) ==
				      ((pkt.flags & AVES_PKT_F_ICMP_ERROR) ? 0 : -EINVAL));
				break;
			default:
				aves_rewrite_src(buf, &pkt, addr, port, whats[w]);
				CHECK(aves_rewrite_inner_dst(buf, &pkt, addr, port, whats[w]) ==
				      ((pkt.flags & AVES_PKT_F_ICMP_ERROR) ? 0 : -EINVAL));
				break;
			}
			check_reparse(buf, len, l3, flags, &pkt);
			free(buf);
		}
	}
}

static void
fuzz_icmp_error(const uint8_t *frame, const struct aves_pkt *pkt)
{
	const uint8_t *ip = frame + pkt->l3_off;
	uint8_t *orig = copy_of(ip, pkt->ip_len);
	uint8_t *out = malloc(AVES_ICMP_ERROR_MAX_LEN);
	uint8_t first_dst = aves_ipv4_first_octet(pkt->key.dst);
	int want_refusal = 0, ret;
	struct aves_pkt reply;

	CHECK(out != NULL);
	if (pkt->flags & AVES_PKT_F_LATER_FRAG)
		want_refusal = AVES_ICMP_REFUSE_ORIG_LATER_FRAG;
	else if (pkt->flags & AVES_PKT_F_ICMP_ERROR)
		want_refusal = AVES_ICMP_REFUSE_ORIG_ICMP_ERROR;
	else if ((first_dst >= 224 && first_dst < 240) || pkt->key.dst == UINT32_MAX)
		want_refusal = AVES_ICMP_REFUSE_ORIG_DST;
	ret = aves_icmp_error_build(out, AVES_ICMP_ERROR_MAX_LEN, orig, pkt->ip_len,
				    htonl(OUR_ADDR), 3, 4, 1436, 0x4242);
	if (want_refusal) {
		CHECK(ret == -want_refusal);
	} else {
		CHECK(ret >= 28 + 20 && ret <= AVES_ICMP_ERROR_MAX_LEN);
		/* RFC 792 asks for 8 bytes of L4; a datagram with fewer cannot be quoted so. */
		if (pkt->ip_len - (pkt->l4_off - pkt->l3_off) >= 8) {
			uint8_t *exact = copy_of(out, (size_t)ret);

			CHECK(aves_parse_ipv4(exact, (uint16_t)ret, 0, AVES_PARSE_F_VERIFY_L4_CKSUM,
					      &reply) == AVES_PARSE_OK);
			CHECK(reply.flags & AVES_PKT_F_ICMP_ERROR);
			CHECK(memcmp(&reply.inner.key, &pkt->key, sizeof(pkt->key)) == 0);
			free(exact);
		}
	}
	free(out);
	free(orig);
}

static void
fuzz_echo_reply(const uint8_t *frame, size_t len, uint16_t l3, unsigned int flags)
{
	uint8_t *buf = copy_of(frame, len);
	struct aves_pkt pkt;
	uint32_t src, dst;
	bool request;
	int ret;

	CHECK(aves_parse_ipv4(buf, (uint16_t)len, l3, flags, &pkt) == AVES_PARSE_OK);
	src = pkt.key.src;
	dst = pkt.key.dst;
	request = pkt.key.proto == IPPROTO_ICMP && pkt.icmp_type == 8 &&
		  !(pkt.flags & AVES_PKT_F_FRAG);
	ret = aves_icmp_echo_reply(buf, &pkt);
	if (!request) {
		CHECK(ret == -EINVAL);
	} else if (aves_ipv4_martian_src(dst)) {
		CHECK(ret == -EADDRNOTAVAIL);
	} else {
		CHECK(ret == 0);
		CHECK(pkt.key.src == dst && pkt.key.dst == src);
		check_reparse(buf, len, l3, flags, &pkt);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int flags;
	uint16_t l3;
	uint8_t *frame;
	struct aves_pkt pkt;
	size_t len;
	int ret;

	if (size < 1 || size - 1 > UINT16_MAX)
		return 0;
	l3 = data[0] & 0x3f;
	flags = (data[0] & 0x80) ? AVES_PARSE_F_VERIFY_L4_CKSUM : 0;
	len = size - 1;
	frame = copy_of(data + 1, len);
	if (data[0] & 0x40)
		fix_checksums(frame, len, l3);
	ret = aves_parse_ipv4(frame, (uint16_t)len, l3, flags, &pkt);
	CHECK(ret >= 0 && ret < AVES_PARSE_REASON_MAX);
	CHECK(strcmp(aves_parse_reason_name(ret), "unknown") != 0);
	if (ret == AVES_PARSE_OK) {
		check_bounds(&pkt, len);
		fuzz_rewrites(frame, len, l3, flags, data[size - 1]);
		fuzz_icmp_error(frame, &pkt);
		fuzz_echo_reply(frame, len, l3, flags);
	}
	free(frame);
	return 0;
}
