/* SPDX-License-Identifier: ISC */
/* bytes.h -- big-endian (network order) loads and stores of 16 and 32 bits.
 *
 * For header fields at any alignment: p need not be aligned, and nothing
 * is read or written outside p[0..1] (16) or p[0..3] (32).  The callers
 * check the bounds.
 */
#ifndef VNET_BYTES_H
#define VNET_BYTES_H

#include <stdint.h>

static inline uint16_t vnet_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t vnet_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Stores the low 16 bits of v. */
static inline void vnet_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void vnet_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
