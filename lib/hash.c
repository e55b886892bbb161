/* SPDX-License-Identifier: ISC */
/* hash.c -- SipHash-1-3 keyed by a 32-bit seed, and the flow hash. */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "vnet/hash.h"

uint64_t vnet_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t vnet_random_seed(const void *salt)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return vnet_mix64((uint64_t)ts.tv_sec * 1000000000u +
			  (uint64_t)ts.tv_nsec) ^
	       vnet_mix64((uint64_t)(uintptr_t)salt);
}

/*
 * SipHash (Aumasson and Bernstein) with one compression and three
 * finalization rounds, as in Rust's HashMap and the kernel's hsiphash on
 * 64-bit hosts: keyed, so that flows and MACs chosen by a remote sender
 * cannot be made to collide in our tables without knowing the seed, and
 * fast on the short keys we feed it (a flow key is two to five words).
 * Words are read little-endian, so a seed gives the same values on every
 * host.  The 64-bit result is folded to 32 bits.
 */

static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

/* The 32-bit seed spread over the 128-bit key (k0, k1). */
static inline void sip_init(struct sip *s, uint32_t seed)
{
	uint64_t k0 = (uint64_t)seed << 32 | seed;
	uint64_t k1 = k0 ^ 0x9e3779b97f4a7c15ULL;

	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

/* One message word: the compression round (c = 1). */
static inline void sip_word(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	s->v0 ^= m;
}

/* The last word (holding the length in its top byte), the finalization
 * rounds (d = 3), and the fold to 32 bits. */
static inline uint32_t sip_final(struct sip *s, uint64_t last)
{
	uint64_t h;

	sip_word(s, last);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	h = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
	return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t load_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* 1 to 7 bytes, little-endian, without reading past them: two
 * overlapping loads (the shared bytes are or-ed in twice, harmlessly). */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
	uint64_t lo, hi;

	if (n >= 4) {
		lo = load_le32(p);
		hi = load_le32(p + n - 4);
		return lo | hi << (8 * (n - 4));
	}
	lo = p[0] | (uint64_t)p[n / 2] << (8 * (n / 2));
	return lo | (uint64_t)p[n - 1] << (8 * (n - 1));
}

uint32_t vnet_hash_bytes(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	size_t left = len & 7;
	const uint8_t *end = b + (len - left);
	struct sip s;

	sip_init(&s, seed);
	for (; b != end; b += 8)
		sip_word(&s, load_le64(b));
	if (left)
		last |= load_tail(b, left);
	return sip_final(&s, last);
}

/*
 * The flow hash feeds SipHash the words of a flow key directly, without
 * laying it out in memory first (the length byte of the last word tells
 * the three kinds apart):
 *   IPv4   one word of addresses; last: ports, protocol, length 14
 *   IPv6   four words of addresses; last: ports, protocol, length 38
 *   other  one word of destination MAC and EtherType; last: source
 *          MAC, length 15
 * Ports (TCP, UDP, SCTP) are zero for fragments and for other protocols.  With
 * sym, the endpoint that sorts first (address, then port, in an order
 * of our own) goes first, so both directions give the same key.
 */
static inline uint64_t load_mac(const uint8_t *m)
{
	return load_le32(m) | (uint64_t)m[4] << 32 | (uint64_t)m[5] << 40;
}

uint32_t vnet_flow_hash(const struct vnet_pkt *p, uint32_t seed, int sym)
{
	struct sip s;
	uint64_t a0, a1, b0, b1, t;
	uint32_t pa = 0, pb = 0, tp;
	int swap;

	sip_init(&s, seed);
	if (!(p->layers & (VNET_L_IPV4 | VNET_L_IPV6))) {
		a0 = load_mac(p->dst);
		b0 = load_mac(p->src);
		if (sym && a0 > b0) {
			t = a0;
			a0 = b0;
			b0 = t;
		}
		sip_word(&s, a0 | (uint64_t)p->ethertype << 48);
		return sip_final(&s, b0 | (uint64_t)15 << 56);
	}

	if ((p->layers & (VNET_L_TCP | VNET_L_UDP | VNET_L_SCTP)) &&
	    !(p->layers & VNET_L_FRAG)) {
		pa = p->sport;
		pb = p->dport;
	}
	if (p->layers & VNET_L_IPV4) {
		a0 = load_le32(p->saddr.b);
		b0 = load_le32(p->daddr.b);
		swap = a0 > b0 || (a0 == b0 && pa > pb);
		if (sym && swap) {
			t = a0;
			a0 = b0;
			b0 = t;
			tp = pa;
			pa = pb;
			pb = tp;
		}
		sip_word(&s, a0 | b0 << 32);
		t = pa | pb << 16 | (uint64_t)p->ip_proto << 32;
		return sip_final(&s, t | (uint64_t)14 << 56);
	}

	a0 = load_le64(p->saddr.b);
	a1 = load_le64(p->saddr.b + 8);
	b0 = load_le64(p->daddr.b);
	b1 = load_le64(p->daddr.b + 8);
	swap = a0 > b0 || (a0 == b0 && (a1 > b1 || (a1 == b1 && pa > pb)));
	if (sym && swap) {
		t = a0;
		a0 = b0;
		b0 = t;
		t = a1;
		a1 = b1;
		b1 = t;
		tp = pa;
		pa = pb;
		pb = tp;
	}
	sip_word(&s, a0);
	sip_word(&s, a1);
	sip_word(&s, b0);
	sip_word(&s, b1);
	t = pa | pb << 16 | (uint64_t)p->ip_proto << 32;
	return sip_final(&s, t | (uint64_t)38 << 56);
}
