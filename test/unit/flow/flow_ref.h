/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference helpers shared by the aves_flow suites: big-endian field access and the RFC 1071
 * one's-complement sum written byte by byte, independent of the code under test, so checksums
 * are compared against a full recomputation.
 */
#ifndef FLOW_REF_H
#define FLOW_REF_H

#include <stddef.h>
#include <stdint.h>

static inline void
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* RFC 1071 sum of @p n bytes added to @p sum, folded to 16 bits (not complemented). */
static inline uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* IPv4 header length in bytes. */
static inline size_t
ihl_of(const uint8_t *ip)
{
	return (size_t)(ip[0] & 0xf) * 4;
}

#endif /* FLOW_REF_H */
