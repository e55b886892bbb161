/* SPDX-License-Identifier: ISC */
/* refcsum.h -- the reference Internet checksum for tests: RFC 1071 as
 * written, one byte pair at a time, to check lib/csum.c's fast one. */
#ifndef VNET_TEST_REFCSUM_H
#define VNET_TEST_REFCSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add n bytes at p to sum (n odd only for the last piece) and fold. */
static inline uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The checksum to store: the complement of the folded sum. */
static inline uint16_t ref_csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~ref_sum(p, n, 0);
}

/* The same over two pieces (the first of even length). */
static inline uint16_t ref_csum2(const uint8_t *a, size_t an,
				 const uint8_t *b, size_t bn)
{
	return (uint16_t)~ref_sum(b, bn, ref_sum(a, an, 0));
}

#endif
