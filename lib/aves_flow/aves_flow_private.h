/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers private to lib/aves_flow: loads and stores of header fields that may sit at any
 * alignment in a packet buffer (memcpy compiles to a plain move on x86 and stays defined
 * behaviour everywhere). Values stay in the byte order they have on the wire.
 */
#ifndef AVES_FLOW_PRIVATE_H
#define AVES_FLOW_PRIVATE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t
load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void
store32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
