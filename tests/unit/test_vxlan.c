/* SPDX-License-Identifier: ISC */
/* test_vxlan.c -- unit tests for the VXLAN header and outer headers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/vxlan.h"

#define VNI 0x123456
#define INNER_MAX 9000
#define FRAME_MAX (62 + VNET_VXLAN_HLEN + INNER_MAX)

/* RFC 1071, written out here so that the library's checksums are checked
 * against an implementation they do not share. */
static uint16_t rfc1071(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void outer_init(struct vnet_outer *o, int af)
{
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 };

	memset(o, 0, sizeof(*o));
	memcpy(o->smac, smac, 6);
	memcpy(o->dmac, dmac, 6);
	vnet_addr_parse(af == AF_INET ? "198.18.0.1" : "2001:db8::1", &o->src);
	vnet_addr_parse(af == AF_INET ? "198.18.0.2" : "2001:db8::2", &o->dst);
	o->sport = 50000;
	o->dport = VNET_VXLAN_PORT;
	o->ttl = 64;
	o->tos = 0xb8;
}

/* Build a whole VXLAN frame around an inner frame of inner bytes into buf;
 * over IPv6 the UDP checksum is filled in, over IPv4 only if v4csum. */
static size_t build_frame(uint8_t *buf, const struct vnet_outer *o,
			  size_t inner, int v4csum)
{
	size_t i, ulen = VNET_UDP_HLEN + VNET_VXLAN_HLEN + inner;
	int h;
	uint8_t *udp;
	uint16_t c;

	h = vnet_outer_build_eth(buf, FRAME_MAX, o, VNET_VXLAN_HLEN + inner);
	if (h < 0)
		return 0;
	vnet_vxlan_encode(buf + h, VNI);
	for (i = 0; i < inner; i++)
		buf[h + VNET_VXLAN_HLEN + i] = (uint8_t)(i * 7 + 3);
	udp = buf + h - VNET_UDP_HLEN;
	if (o->src.family == AF_INET6 || v4csum) {
		c = vnet_outer_udp6_csum(o, udp, ulen);
		udp[6] = (uint8_t)(c >> 8);
		udp[7] = (uint8_t)c;
	}
	return (size_t)h + VNET_VXLAN_HLEN + inner;
}

/* Parse a copy in a buffer of exactly len bytes, so that ASan sees any
 * read past the end. */
static int parse_exact(const uint8_t *frame, size_t len, struct vnet_outer *o,
		       size_t *poff, size_t *plen)
{
	uint8_t *copy = malloc(len ? len : 1);
	const uint8_t *pl = NULL;
	int r;

	if (!copy)
		abort();
	memcpy(copy, frame, len);
	r = vnet_outer_parse_eth(copy, len, o, &pl, plen);
	if (!r && poff)
		*poff = (size_t)(pl - copy);
	free(copy);
	return r;
}

static int outer_eq(const struct vnet_outer *a, const struct vnet_outer *b)
{
	return !memcmp(a->smac, b->smac, 6) && !memcmp(a->dmac, b->dmac, 6) &&
	       vnet_addr_eq(&a->src, &b->src) &&
	       vnet_addr_eq(&a->dst, &b->dst) && a->sport == b->sport &&
	       a->dport == b->dport && a->ttl == b->ttl && a->tos == b->tos;
}

/* Rewrite the IPv4 header checksum after a test has edited the header. */
static void fix_ip4_csum(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = rfc1071(ip, (size_t)(ip[0] & 0x0f) * 4, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* UDP checksum with the pseudo-header, independently of the library. */
static uint16_t udp_csum_ref(const struct vnet_outer *o, const uint8_t *udp,
			     size_t len)
{
	uint8_t *buf = calloc(1, 40 + len);
	size_t n = o->src.family == AF_INET6 ? 16 : 4, off = 0;
	uint16_t c;

	if (!buf)
		abort();
	memcpy(buf, o->src.b, n);
	memcpy(buf + n, o->dst.b, n);
	off = 2 * n;
	if (n == 4) {
		buf[off + 1] = 17;
		buf[off + 2] = (uint8_t)(len >> 8);
		buf[off + 3] = (uint8_t)len;
	} else {
		buf[off + 2] = (uint8_t)(len >> 8);
		buf[off + 3] = (uint8_t)len;
		buf[off + 7] = 17;
		off += 4;
	}
	off += 4;
	memcpy(buf + off, udp, len);
	buf[off + 6] = buf[off + 7] = 0;
	c = rfc1071(buf, off + len, 0);
	free(buf);
	return c ? c : 0xffff;
}

static void test_drop_names(void)
{
	static const char *const want[] = {
		"none", "short", "not_ip", "ip_bad", "fragment", "not_udp",
		"udp_bad", "wrong_port", "not_local", "no_i_flag", "reserved",
		"inner_short", "geneve_version", "geneve_optlen", "geneve_oam",
		"geneve_proto", "geneve_critical", "not_gre", "gre_flags",
		"gre_version", "gre_proto", "nvgre_vsid", "udp_zero_csum",
	};
	int i;

	T_EQ(sizeof(want) / sizeof(want[0]), VNET_DROP_MAX);
	for (i = 0; i < VNET_DROP_MAX; i++)
		T_STREQ(vnet_encap_drop_name(i), want[i]);
	T_STREQ(vnet_encap_drop_name(VNET_DROP_NO_I_FLAG), "no_i_flag");
	T_STREQ(vnet_encap_drop_name(-1), "unknown");
	T_STREQ(vnet_encap_drop_name(VNET_DROP_MAX), "unknown");
	T_STREQ(vnet_encap_drop_name(1000), "unknown");
}

static void test_encode_known(void)
{
	static const uint8_t want[8] = { 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0 };
	static const uint8_t max[8] = { 0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0 };
	static const uint8_t zero[8] = { 0x08, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t h[8];

	memset(h, 0xaa, sizeof(h));
	vnet_vxlan_encode(h, VNI);
	T_MEMEQ(h, want, 8);
	vnet_vxlan_encode(h, VNET_VNI_MAX);
	T_MEMEQ(h, max, 8);
	vnet_vxlan_encode(h, 0);
	T_MEMEQ(h, zero, 8);
	/* Bits above 24 are not a VNI and do not leak into reserved bytes. */
	vnet_vxlan_encode(h, 0xff000000u | VNI);
	T_MEMEQ(h, want, 8);
}

static void test_decode_known(void)
{
	uint8_t p[8 + 14] = { 0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0 };
	uint32_t vni = 0;

	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), VNET_DROP_NONE);
	T_EQ(vni, 0xabcdef);
	vni = 0;
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 0, &vni), VNET_DROP_NONE);
	T_EQ(vni, 0xabcdef);
	/* Round trip over the whole range's edges. */
	vnet_vxlan_encode(p, 1);
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), 0);
	T_EQ(vni, 1);
	vnet_vxlan_encode(p, VNET_VNI_MAX);
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), 0);
	T_EQ(vni, VNET_VNI_MAX);
}

static void test_decode_drops(void)
{
	uint8_t p[8 + 14];
	uint32_t vni;
	size_t n;
	int bit, byte;

	vnet_vxlan_encode(p, VNI);
	memset(p + 8, 0x5a, 14);
	for (n = 0; n < 8; n++) {
		vni = 77;
		T_EQ(vnet_vxlan_decode(p, n, 0, &vni), VNET_DROP_SHORT);
		T_EQ(vnet_vxlan_decode(p, n, 1, &vni), VNET_DROP_SHORT);
		T_EQ(vni, 77);
	}
	for (n = 8; n < 8 + 14; n++) {
		T_EQ(vnet_vxlan_decode(p, n, 0, &vni), VNET_DROP_INNER_SHORT);
		T_EQ(vnet_vxlan_decode(p, n, 1, &vni), VNET_DROP_INNER_SHORT);
	}
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), VNET_DROP_NONE);

	/* I flag clear: dropped in both modes, whatever else is set. */
	p[0] = 0;
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 0, &vni), VNET_DROP_NO_I_FLAG);
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), VNET_DROP_NO_I_FLAG);
	p[0] = 0xf7;
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 0, &vni), VNET_DROP_NO_I_FLAG);
	T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni), VNET_DROP_NO_I_FLAG);
	/* The I flag check comes before the inner length check. */
	T_EQ(vnet_vxlan_decode(p, 8, 1, &vni), VNET_DROP_NO_I_FLAG);

	/* Every other flag bit: strict drops, lenient ignores. */
	for (bit = 0; bit < 8; bit++) {
		if (1 << bit == VNET_VXLAN_FLAG_I)
			continue;
		vnet_vxlan_encode(p, VNI);
		p[0] |= (uint8_t)(1 << bit);
		T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni),
		     VNET_DROP_RESERVED);
		vni = 0;
		T_EQ(vnet_vxlan_decode(p, sizeof(p), 0, &vni), VNET_DROP_NONE);
		T_EQ(vni, VNI);
	}
	/* Every reserved byte, every bit of it. */
	for (byte = 1; byte < 8; byte++) {
		if (byte >= 4 && byte <= 6)
			continue;
		for (bit = 0; bit < 8; bit++) {
			vnet_vxlan_encode(p, VNI);
			p[byte] = (uint8_t)(1 << bit);
			T_EQ(vnet_vxlan_decode(p, sizeof(p), 1, &vni),
			     VNET_DROP_RESERVED);
			vni = 0;
			T_EQ(vnet_vxlan_decode(p, sizeof(p), 0, &vni), 0);
			T_EQ(vni, VNI);
		}
	}
	/* Strict's reserved check comes before the inner length check. */
	vnet_vxlan_encode(p, VNI);
	p[7] = 1;
	T_EQ(vnet_vxlan_decode(p, 8, 1, &vni), VNET_DROP_RESERVED);
	T_EQ(vnet_vxlan_decode(p, 8, 0, &vni), VNET_DROP_INNER_SHORT);
}

static void test_build_known_ip4(void)
{
	static const uint8_t want[42] = {
		/* Ethernet */
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		/* IPv4: 45, TOS b8, len 50, ID 0, DF, TTL 64, UDP, csum */
		0x45, 0xb8, 0x00, 0x32, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0xad, 0xdb,
		198, 18, 0, 1, 198, 18, 0, 2,
		/* UDP: 50000 -> 4789, len 30, csum 0 */
		0xc3, 0x50, 0x12, 0xb5, 0x00, 0x1e, 0x00, 0x00,
	};
	struct vnet_outer o;
	uint8_t buf[64];

	outer_init(&o, AF_INET);
	memset(buf, 0xee, sizeof(buf));
	T_EQ(vnet_outer_build_eth(buf, sizeof(buf), &o, 22), 42);
	T_MEMEQ(buf, want, 42);
	T_EQ(buf[42], 0xee);
	/* The IP variant writes the same bytes without Ethernet. */
	memset(buf, 0xee, sizeof(buf));
	T_EQ(vnet_outer_build_ip(buf, sizeof(buf), &o, 22), 28);
	T_MEMEQ(buf, want + 14, 28);
	T_EQ(buf[28], 0xee);
	T_EQ(rfc1071(buf, 20, 0), 0);
}

static void test_build_known_ip6(void)
{
	static const uint8_t want[62] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd,
		/* version 6, TC b8, flow 0; payload 30; UDP; hop limit 64 */
		0x6b, 0x80, 0x00, 0x00, 0x00, 0x1e, 0x11, 0x40,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xc3, 0x50, 0x12, 0xb5, 0x00, 0x1e, 0x00, 0x00,
	};
	struct vnet_outer o;
	uint8_t buf[80];

	outer_init(&o, AF_INET6);
	memset(buf, 0xee, sizeof(buf));
	T_EQ(vnet_outer_build_eth(buf, sizeof(buf), &o, 22), 62);
	T_MEMEQ(buf, want, 62);
	T_EQ(buf[62], 0xee);
	T_EQ(vnet_outer_build_ip(buf, sizeof(buf), &o, 22), 48);
	T_MEMEQ(buf, want + 14, 48);
}

static void test_build_errors(void)
{
	struct vnet_outer o;
	uint8_t buf[64], ref[64];
	size_t cap;

	outer_init(&o, AF_INET);
	memset(buf, 0xee, sizeof(buf));
	memcpy(ref, buf, sizeof(buf));
	for (cap = 0; cap < 28; cap++)
		T_EQ(vnet_outer_build_ip(buf, cap, &o, 0), -EMSGSIZE);
	for (cap = 0; cap < 42; cap++)
		T_EQ(vnet_outer_build_eth(buf, cap, &o, 0), -EMSGSIZE);
	T_MEMEQ(buf, ref, sizeof(buf));
	T_EQ(vnet_outer_build_ip(buf, 28, &o, 0), 28);
	T_EQ(vnet_outer_build_eth(buf, 42, &o, 0), 42);
	/* The largest IPv4 packet is 65535 bytes. */
	T_EQ(vnet_outer_build_ip(buf, 28, &o, 65535 - 28), 28);
	T_EQ(vnet_get16(buf + 2), 65535);
	T_EQ(vnet_outer_build_ip(buf, 28, &o, 65535 - 27), -EMSGSIZE);
	T_EQ(vnet_outer_build_eth(buf, 64, &o, 65535 - 27), -EMSGSIZE);
	T_EQ(vnet_outer_build_ip(buf, 64, &o, SIZE_MAX), -EMSGSIZE);

	outer_init(&o, AF_INET6);
	for (cap = 0; cap < 48; cap++)
		T_EQ(vnet_outer_build_ip(buf, cap, &o, 0), -EMSGSIZE);
	for (cap = 0; cap < 62; cap++)
		T_EQ(vnet_outer_build_eth(buf, cap, &o, 0), -EMSGSIZE);
	/* IPv6: the UDP/payload length field is the limit. */
	T_EQ(vnet_outer_build_ip(buf, 48, &o, 65535 - 8), 48);
	T_EQ(vnet_get16(buf + 4), 65535);
	T_EQ(vnet_get16(buf + 44), 65535);
	T_EQ(vnet_outer_build_ip(buf, 48, &o, 65535 - 7), -EMSGSIZE);
	T_EQ(vnet_outer_build_ip(buf, 64, &o, SIZE_MAX), -EMSGSIZE);

	/* Mixed or missing families. */
	memset(buf, 0xee, sizeof(buf));
	vnet_addr_parse("198.18.0.2", &o.dst);
	T_EQ(vnet_outer_build_ip(buf, 64, &o, 0), -EAFNOSUPPORT);
	T_EQ(vnet_outer_build_eth(buf, 64, &o, 0), -EAFNOSUPPORT);
	memset(&o.src, 0, sizeof(o.src));
	memset(&o.dst, 0, sizeof(o.dst));
	T_EQ(vnet_outer_build_eth(buf, 64, &o, 0), -EAFNOSUPPORT);
	T_MEMEQ(buf, ref, sizeof(buf));
}

static void check_roundtrip(int af, int v4csum)
{
	struct vnet_outer o, got;
	uint8_t *buf = malloc(FRAME_MAX);
	size_t inner, len, off, plen, hlen, fails = 0;
	uint32_t vni;
	int r;

	if (!buf)
		abort();
	outer_init(&o, af);
	hlen = af == AF_INET ? 42 : 62;
	for (inner = 14; inner <= INNER_MAX; inner++) {
		o.sport = (uint16_t)(49152 + inner);
		o.ttl = (uint8_t)inner;
		o.tos = (uint8_t)(inner * 13);
		len = build_frame(buf, &o, inner, v4csum);
		r = len ? parse_exact(buf, len, &got, &off, &plen) : -1;
		if (r || off != hlen || plen != VNET_VXLAN_HLEN + inner ||
		    !outer_eq(&got, &o) ||
		    vnet_vxlan_decode(buf + off, plen, 1, &vni) || vni != VNI) {
			if (fails++ < 5)
				T_FAIL("round trip, inner %zu: %s", inner,
				       vnet_encap_drop_name(r));
			continue;
		}
		if (af == AF_INET) {
			/* Header checksum and lengths, checked by hand. */
			T_EQ(rfc1071(buf + 14, 20, 0), 0);
			T_EQ(vnet_get16(buf + 16), len - 14);
			T_EQ(vnet_get16(buf + 18), 0);
			T_EQ(vnet_get16(buf + 20), 0x4000);
			T_EQ(vnet_get16(buf + 38), len - 34);
			if (!v4csum)
				T_EQ(vnet_get16(buf + 40), 0);
			else
				T_EQ(vnet_get16(buf + 40),
				     udp_csum_ref(&o, buf + 34, len - 34));
		} else {
			T_EQ(vnet_get16(buf + 18), len - 54);
			T_EQ(vnet_get16(buf + 58), len - 54);
			T_EQ(vnet_get16(buf + 60),
			     udp_csum_ref(&o, buf + 54, len - 54));
		}
	}
	T_EQ(fails, 0);
	free(buf);
}

static void test_roundtrip_ip4(void)
{
	check_roundtrip(AF_INET, 0);
}

static void test_roundtrip_ip4_csum(void)
{
	check_roundtrip(AF_INET, 1);
}

static void test_roundtrip_ip6(void)
{
	check_roundtrip(AF_INET6, 0);
}

/* A checksum that computes to 0 is sent as 0xffff, which verifies. */
static void test_udp_csum_zero(void)
{
	struct vnet_outer o, got;
	uint8_t buf[128];
	size_t len, off, plen;
	uint16_t c;
	int af;

	for (af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		outer_init(&o, af);
		len = build_frame(buf, &o, 14, 0);
		/* Zero two inner bytes, then put there the checksum they
		 * leave: the sum becomes all ones, so the result is 0. */
		buf[len - 2] = buf[len - 1] = 0;
		off = len - (VNET_UDP_HLEN + VNET_VXLAN_HLEN + 14);
		c = vnet_outer_udp6_csum(&o, buf + off, len - off);
		buf[len - 2] = (uint8_t)(c >> 8);
		buf[len - 1] = (uint8_t)c;
		c = vnet_outer_udp6_csum(&o, buf + off, len - off);
		T_EQ(c, 0xffff);
		T_EQ(udp_csum_ref(&o, buf + off, len - off), 0xffff);
		buf[off + 6] = 0xff;
		buf[off + 7] = 0xff;
		T_EQ(parse_exact(buf, len, &got, NULL, &plen), 0);
		/* The current field content does not matter. */
		T_EQ(vnet_outer_udp6_csum(&o, buf + off, len - off), 0xffff);
	}
}

static void test_parse_vlan_and_padding(void)
{
	struct vnet_outer o, got;
	uint8_t buf[256], tagged[256];
	size_t len, off, plen;
	int af;

	for (af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		outer_init(&o, af);
		len = build_frame(buf, &o, 20, 0);
		/* One 802.1Q tag. */
		memcpy(tagged, buf, 12);
		tagged[12] = 0x81;
		tagged[13] = 0x00;
		tagged[14] = 0x20;
		tagged[15] = 0x64;
		memcpy(tagged + 16, buf + 12, len - 12);
		T_EQ(parse_exact(tagged, len + 4, &got, &off, &plen), 0);
		T_EQ(off, (af == AF_INET ? 42 : 62) + 4);
		T_EQ(plen, 28);
		T_ASSERT(outer_eq(&got, &o));
		/* An 802.1ad tag, or a second 802.1Q tag: not ours. */
		tagged[12] = 0x88;
		tagged[13] = 0xa8;
		T_EQ(parse_exact(tagged, len + 4, &got, NULL, &plen),
		     VNET_DROP_NOT_IP);
		tagged[12] = 0x81;
		tagged[13] = 0x00;
		memmove(tagged + 16, tagged + 12, len + 4 - 12);
		T_EQ(parse_exact(tagged, len + 8, &got, NULL, &plen),
		     VNET_DROP_NOT_IP);
		/* Ethernet padding after the IP packet is ignored. */
		memset(buf + len, 0, 40);
		T_EQ(parse_exact(buf, len + 40, &got, &off, &plen), 0);
		T_EQ(plen, 28);
		T_EQ(off + plen, len);
	}
}

/* Expect reason r for the frame f of len bytes; *o untouched on a drop. */
#define T_DROP(f, len, r)                                                  \
	do {                                                               \
		struct vnet_outer _o;                                      \
		size_t _pl = 12345;                                        \
		memset(&_o, 0x77, sizeof(_o));                             \
		T_EQ(parse_exact((f), (len), &_o, NULL, &_pl), (r));       \
		if (r) {                                                   \
			T_EQ(_o.sport, 0x7777);                            \
			T_EQ(_pl, 12345);                                  \
		}                                                          \
	} while (0)

static void test_parse_drops_ip4(void)
{
	struct vnet_outer o;
	uint8_t good[128], f[128];
	uint8_t *ip = f + 14, *udp = f + 34;
	size_t len;

	outer_init(&o, AF_INET);
	memset(good, 0, sizeof(good));
	len = build_frame(good, &o, 14, 1);
	T_EQ(len, 64);
	memcpy(f, good, sizeof(f));
	T_DROP(f, len, 0);

	T_DROP(f, 13, VNET_DROP_SHORT);
	T_DROP(f, 33, VNET_DROP_SHORT);
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	T_DROP(f, len, VNET_DROP_NOT_IP);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental */
	T_DROP(f, len, VNET_DROP_NOT_IP);

#define RESET() memcpy(f, good, len)
	RESET();
	ip[0] = 0x65; /* version 6 inside IPv4 EtherType */
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[0] = 0x44; /* IHL 4 */
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[10] ^= 1; /* header checksum */
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[8] = 1; /* TTL changed, checksum not updated */
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[2] = 0;
	ip[3] = 27; /* total length < IHL * 4 + 8 */
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[3] = (uint8_t)(ip[3] + 1); /* total length one past the frame */
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_SHORT);
	RESET();
	ip[0] = 0x4f; /* IHL 15 = 60 bytes, beyond this frame's bytes */
	fix_ip4_csum(ip);
	T_DROP(f, 14 + 59, VNET_DROP_SHORT);

	RESET();
	ip[6] |= 0x20; /* MF */
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_FRAGMENT);
	RESET();
	ip[7] = 1; /* offset 8, DF still set */
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_FRAGMENT);
	RESET();
	ip[6] = 0x1f; /* largest offset, DF clear */
	ip[7] = 0xff;
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_FRAGMENT);
	RESET();
	ip[6] = 0; /* DF clear, not a fragment: accepted */
	fix_ip4_csum(ip);
	T_DROP(f, len, 0);

	RESET();
	ip[9] = 6; /* TCP */
	fix_ip4_csum(ip);
	T_DROP(f, len, VNET_DROP_NOT_UDP);

	RESET();
	udp[5] = (uint8_t)(udp[5] - 1); /* UDP length < IP payload */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	udp[5] = (uint8_t)(udp[5] + 1); /* UDP length > IP payload */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	udp[4] = 0;
	udp[5] = 7;
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	udp[7] ^= 0x10; /* wrong non-zero checksum */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	f[len - 1] ^= 0x01; /* payload corrupted under a checksum */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	udp[6] = udp[7] = 0; /* no checksum: accepted (RFC 7348 5) */
	T_DROP(f, len, 0);

	/* IP options: IHL 6, accepted, payload found after them. */
	{
		uint8_t g[128];
		const uint8_t *pl;
		struct vnet_outer got;
		size_t plen;

		memcpy(g, good, 34);
		g[14] = 0x46;
		g[17] = (uint8_t)(g[17] + 4);
		memset(g + 34, 0x01, 4); /* four NOP options */
		memcpy(g + 38, good + 34, len - 34);
		fix_ip4_csum(g + 14);
		T_EQ(vnet_outer_parse_eth(g, len + 4, &got, &pl, &plen), 0);
		T_ASSERT(pl == g + 46);
		T_EQ(plen, 22);
	}
#undef RESET
}

static void test_parse_drops_ip6(void)
{
	struct vnet_outer o;
	uint8_t good[128], f[128];
	uint8_t *ip = f + 14, *udp = f + 54;
	size_t len;

	outer_init(&o, AF_INET6);
	len = build_frame(good, &o, 14, 0);
	T_EQ(len, 84);
	memcpy(f, good, len);
	T_DROP(f, len, 0);
#define RESET() memcpy(f, good, len)
	T_DROP(f, 53, VNET_DROP_SHORT);
	ip[0] = 0x4b; /* version 4 inside IPv6 EtherType */
	T_DROP(f, len, VNET_DROP_IP_BAD);
	RESET();
	ip[5] = (uint8_t)(ip[5] + 1); /* payload length past the frame */
	T_DROP(f, len, VNET_DROP_SHORT);
	RESET();
	ip[6] = 0; /* hop-by-hop options: extension headers not walked */
	T_DROP(f, len, VNET_DROP_NOT_UDP);
	RESET();
	ip[6] = 44; /* fragment header */
	T_DROP(f, len, VNET_DROP_NOT_UDP);
	RESET();
	ip[6] = 58; /* ICMPv6 */
	T_DROP(f, len, VNET_DROP_NOT_UDP);
	RESET();
	ip[5] = 7; /* payload too small for UDP */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	udp[5] = (uint8_t)(udp[5] - 1);
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	udp[6] = udp[7] = 0; /* zero checksum over IPv6 */
	T_DROP(f, len, VNET_DROP_UDP_ZERO_CSUM);
	/* ... unless configured (RFC 6935/6936) */
	{
		struct vnet_outer got;
		const uint8_t *pl;
		size_t plen;

		T_EQ(vnet_outer_parse_eth_flags(f, len, VNET_OUTER_UDP6_ZERO_OK,
						&got, &pl, &plen),
		     0);
		T_EQ(plen, 22);
		udp[7] = 1; /* a wrong non-zero one is still wrong */
		T_EQ(vnet_outer_parse_eth_flags(f, len, VNET_OUTER_UDP6_ZERO_OK,
						&got, &pl, &plen),
		     VNET_DROP_UDP_BAD);
	}
	RESET();
	udp[6] ^= 0x80;
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	f[30] ^= 0x01; /* source address changed: pseudo-header covers it */
	T_DROP(f, len, VNET_DROP_UDP_BAD);
	RESET();
	ip[7] = 1; /* hop limit is not covered: still accepted */
	T_DROP(f, len, 0);
#undef RESET
}

/* A receive path as vnet-encap runs it: the outer checks of the library,
 * then the two decided by the caller, then the VXLAN header. */
static int rx(const uint8_t *f, size_t len, const struct vnet_addr *local,
	      uint16_t port, int strict, uint32_t *vni)
{
	struct vnet_outer o;
	const uint8_t *pl;
	size_t plen;
	int r;

	if ((r = vnet_outer_parse_eth(f, len, &o, &pl, &plen)))
		return r;
	if (o.dport != port)
		return VNET_DROP_WRONG_PORT;
	if (!vnet_addr_eq(&o.dst, local))
		return VNET_DROP_NOT_LOCAL;
	return vnet_vxlan_decode(pl, plen, strict, vni);
}

static void test_rx_every_reason(void)
{
	struct vnet_outer o;
	struct vnet_addr me;
	uint8_t f[128];
	size_t len, h;
	uint32_t vni;
	int seen[VNET_DROP_MAX] = { 0 }, i;

	outer_init(&o, AF_INET);
	me = o.dst;
	len = build_frame(f, &o, 14, 0);
	h = len - 22;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	T_EQ(vni, VNI);
	seen[rx(f, 10, &me, 4789, 1, &vni)] = 1;
	seen[rx(f, len, &me, 8472, 1, &vni)] = 1;
	vnet_addr_parse("198.18.0.9", &me);
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	me = o.dst;
	f[h] = 0;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[h] = 0x88; /* a GBP-style flag */
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	T_EQ(rx(f, len, &me, 4789, 0, &vni), 0);
	f[h] = 0x08;
	f[13] = 0x06;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[13] = 0x00;
	f[15] ^= 0x04;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[15] ^= 0x04;
	f[20] |= 0x20;
	fix_ip4_csum(f + 14);
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[20] &= (uint8_t)~0x20;
	f[23] = 1;
	fix_ip4_csum(f + 14);
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[23] = 17;
	fix_ip4_csum(f + 14);
	f[39] = 99;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	f[39] = 30;
	T_EQ(rx(f, len, &me, 4789, 1, &vni), 0);
	/* Shrink the IP packet so that the inner frame is 13 bytes. */
	f[17] = (uint8_t)(f[17] - 1);
	f[39] = (uint8_t)(f[39] - 1);
	fix_ip4_csum(f + 14);
	seen[rx(f, len - 1, &me, 4789, 1, &vni)] = 1;
	/* A zero UDP checksum over IPv6. */
	outer_init(&o, AF_INET6);
	me = o.dst;
	len = build_frame(f, &o, 14, 0);
	f[14 + 40 + 6] = f[14 + 40 + 7] = 0;
	seen[rx(f, len, &me, 4789, 1, &vni)] = 1;
	/* The outer and VXLAN reasons; those of the other kinds' decoders
	 * are reached in their own tests (test_geneve.c, test_nvgre.c). */
	for (i = 0; i < VNET_DROP_MAX; i++)
		if (!seen[i] && (i < VNET_DROP_GENEVE_VERSION ||
				 i > VNET_DROP_NVGRE_VSID))
			T_FAIL("reason %s not reached",
			       vnet_encap_drop_name(i));
}

static void check_truncations(const uint8_t *f, size_t len, size_t keep)
{
	struct vnet_outer o;
	size_t n, plen, off, bad = 0;
	int r;

	T_EQ(parse_exact(f, len, &o, &off, &plen), 0);
	for (n = 0; n < len; n++) {
		r = parse_exact(f, n, &o, &off, &plen);
		if (n < keep ? r == 0 || r >= VNET_DROP_MAX : r != 0) {
			if (bad++ < 5)
				T_FAIL("truncated to %zu of %zu: %s", n, len,
				       vnet_encap_drop_name(r));
		}
	}
	T_EQ(bad, 0);
}

static void test_truncations(void)
{
	struct vnet_outer o;
	uint8_t f[256], t[256];
	size_t len;
	int af;

	for (af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		outer_init(&o, af);
		len = build_frame(f, &o, 14, 1);
		check_truncations(f, len, len);
		len = build_frame(f, &o, 100, 1);
		check_truncations(f, len, len);
		/* Tagged. */
		memcpy(t, f, 12);
		t[12] = 0x81;
		t[13] = 0;
		t[14] = 0;
		t[15] = 5;
		memcpy(t + 16, f + 12, len - 12);
		check_truncations(t, len + 4, len + 4);
		/* With padding, the cuts into the padding are fine. */
		memset(f + len, 0, 30);
		check_truncations(f, len + 30, len);
	}
}

/* The IPv6 flow label (RFC 6438): written from o->flow, read back; the
 * label of a source port is 20 bits, never 0, and ports differ. */
static void test_flow_label(void)
{
	static uint8_t seen[1 << 17];
	struct vnet_outer o, got;
	uint8_t f[FRAME_MAX];
	const uint8_t *pl;
	size_t len, plen;
	unsigned p, same = 0;
	uint32_t l;

	outer_init(&o, AF_INET6);
	o.flow = 0xabcde;
	len = build_frame(f, &o, 14, 0);
	T_EQ(f[14 + 1], (0xb8 << 4 & 0xf0) | 0x0a);
	T_EQ(f[14 + 2], 0xbc);
	T_EQ(f[14 + 3], 0xde);
	T_EQ(vnet_outer_parse_eth(f, len, &got, &pl, &plen), 0);
	T_EQ(got.flow, 0xabcde);
	T_EQ(got.tos, 0xb8);
	/* Only 20 bits are written. */
	o.flow = 0xfff00001;
	len = build_frame(f, &o, 14, 0);
	T_EQ(vnet_outer_parse_eth(f, len, &got, &pl, &plen), 0);
	T_EQ(got.flow, 0x00001);
	/* IPv4 has none. */
	outer_init(&o, AF_INET);
	len = build_frame(f, &o, 14, 0);
	T_EQ(vnet_outer_parse_eth(f, len, &got, &pl, &plen), 0);
	T_EQ(got.flow, 0);
	for (p = 0; p < 65536; p++) {
		l = vnet_outer_flowlabel((uint16_t)p);
		T_ASSERT(l && l <= 0xfffff);
		if (!l || l > 0xfffff)
			break;
		same += seen[l >> 3] >> (l & 7) & 1;
		seen[l >> 3] |= (uint8_t)(1 << (l & 7));
	}
	/* Nearly every port has a label of its own. */
	T_ASSERT(same < 4096);
	T_EQ(vnet_outer_flowlabel(4789), vnet_outer_flowlabel(4789));
}

/* The checksum over pieces equals the one over the whole datagram, for
 * every cut into three pieces of odd and even lengths, both families. */
static void test_udp_csum_iov(void)
{
	struct vnet_outer o;
	uint8_t f[FRAME_MAX], *udp;
	struct iovec iov[4];
	size_t len, ulen, a, b;
	uint16_t want;
	int af, bad = 0;

	for (af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		outer_init(&o, af);
		len = build_frame(f, &o, 47, 0);
		udp = f + 14 + (af == AF_INET ? 20 : 40);
		ulen = len - (size_t)(udp - f);
		want = vnet_outer_udp6_csum(&o, udp, ulen);
		udp[6] = udp[7] = 0;
		for (a = 0; a <= ulen; a++) {
			for (b = a; b <= ulen; b++) {
				iov[0].iov_base = udp;
				iov[0].iov_len = a;
				iov[1].iov_base = udp + a;
				iov[1].iov_len = b - a;
				iov[2].iov_base = NULL;
				iov[2].iov_len = 0;
				iov[3].iov_base = udp + b;
				iov[3].iov_len = ulen - b;
				bad += vnet_outer_udp_csum_iov(&o, iov, 4) != want;
			}
		}
		T_EQ(bad, 0);
	}
}

int main(void)
{
	T_RUN(test_drop_names);
	T_RUN(test_encode_known);
	T_RUN(test_decode_known);
	T_RUN(test_decode_drops);
	T_RUN(test_build_known_ip4);
	T_RUN(test_build_known_ip6);
	T_RUN(test_build_errors);
	T_RUN(test_roundtrip_ip4);
	T_RUN(test_roundtrip_ip4_csum);
	T_RUN(test_roundtrip_ip6);
	T_RUN(test_udp_csum_zero);
	T_RUN(test_parse_vlan_and_padding);
	T_RUN(test_parse_drops_ip4);
	T_RUN(test_parse_drops_ip6);
	T_RUN(test_rx_every_reason);
	T_RUN(test_truncations);
	T_RUN(test_flow_label);
	T_RUN(test_udp_csum_iov);
	return T_DONE();
}
