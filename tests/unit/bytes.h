/* SPDX-License-Identifier: ISC */
/* bytes.h -- big-endian loads and stores for building test frames. */
#ifndef VNET_TEST_BYTES_H
#define VNET_TEST_BYTES_H

#include <stdint.h>

static inline void put16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static inline unsigned get16(const uint8_t *b)
{
	return (unsigned)b[0] << 8 | b[1];
}

static inline uint32_t get32(const uint8_t *b)
{
	return (uint32_t)get16(b) << 16 | get16(b + 2);
}

#endif
