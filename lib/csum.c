/* SPDX-License-Identifier: ISC */
/* csum.c -- the Internet checksum (RFC 1071) and pseudo-headers. */
#include <string.h>

#include "vnet/bytes.h"
#include "vnet/csum.h"

/*
 * The running sum is kept as the one's-complement sum of big-endian 16-bit
 * words, folded into 32 bits with end-around carry; since 2^32 == 1 modulo
 * 0xffff any such value folds to the right 16-bit result.
 *
 * The data is summed in native 64-bit words (RFC 1071 2(B): the sum is
 * independent of byte order up to a final swap), loaded with memcpy so any
 * alignment is fine, with an add-with-carry per word.
 */

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

static inline uint32_t add32_carry(uint32_t a, uint32_t b)
{
	a += b;
	return a + (a < b);
}

/* Fold a native-order 64-bit one's-complement sum to 16 bits and turn it
 * into the sum of big-endian words. */
static inline uint32_t fold64_be(uint64_t acc)
{
	uint32_t s;

	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	s = (uint32_t)acc;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = ((s & 0xff) << 8) | (s >> 8);
#endif
	return s;
}

uint32_t vnet_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t a0 = 0, a1 = 0, w = 0;

	/* Two accumulators to break the carry dependency chain. */
	while (len >= 32) {
		a0 = add_carry(a0, load64(b));
		a1 = add_carry(a1, load64(b + 8));
		a0 = add_carry(a0, load64(b + 16));
		a1 = add_carry(a1, load64(b + 24));
		b += 32;
		len -= 32;
	}
	while (len >= 8) {
		a0 = add_carry(a0, load64(b));
		b += 8;
		len -= 8;
	}
	if (len) {
		/* Zero-padded tail: an odd last byte becomes the high byte of
		 * its big-endian word, as RFC 1071 pads it. */
		memcpy(&w, b, len);
		a1 = add_carry(a1, w);
	}
	return add32_carry(sum, fold64_be(add_carry(a0, a1)));
}

uint16_t vnet_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint32_t be32_words(const uint8_t *b)
{
	return (uint32_t)vnet_get16(b) + vnet_get16(b + 2);
}

/* Addresses of family AF_INET6 count 16 bytes, any other 4 (AF_INET). */
uint32_t vnet_csum_pseudo(const struct vnet_addr *src,
			  const struct vnet_addr *dst, uint8_t proto,
			  uint32_t l4_len)
{
	uint32_t sum = 0;
	int i, n = src->family == AF_INET6 ? 4 : 1;

	/* At most 16 terms of < 2^17 each: no overflow. */
	for (i = 0; i < n; i++)
		sum += be32_words(src->b + 4 * i) + be32_words(dst->b + 4 * i);
	/* IPv4: zero, protocol, 16-bit length; IPv6 (RFC 8200 8.1): 32-bit
	 * length, three zero bytes, next header.  Same sum when the length
	 * fits 16 bits. */
	sum += proto;
	sum += (l4_len >> 16) + (l4_len & 0xffff);
	return sum;
}

uint16_t vnet_ip4_csum(const void *hdr, size_t hlen)
{
	return vnet_csum_fold(vnet_csum_add(0, hdr, hlen));
}
