/* SPDX-License-Identifier: ISC */
/* test_nvgre.c -- unit tests for the NVGRE header and the outer headers
 * of GRE packets. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/nvgre.h"

#define VSID 0x123456

static void test_encode(void)
{
	static const uint8_t want[8] = { 0x20, 0, 0x65, 0x58,
					 0x12, 0x34, 0x56, 0xab };
	uint8_t p[8 + 14] = { 0 };
	uint32_t vsid = 0;
	uint8_t fl = 0;

	vnet_nvgre_encode(p, VSID, 0xab);
	T_MEMEQ(p, want, 8);
	T_EQ(vnet_nvgre_decode(p, sizeof(p), 1, &vsid, &fl), 0);
	T_EQ(vsid, VSID);
	T_EQ(fl, 0xab);
	/* the FlowID is masked: another one, the same VSID */
	vnet_nvgre_encode(p, VSID, 0x01);
	T_EQ(vnet_nvgre_decode(p, sizeof(p), 1, &vsid, &fl), 0);
	T_EQ(vsid, VSID);
}

static void test_reserved_vsid(void)
{
	T_EQ(vnet_nvgre_vsid_reserved(0), 1);
	T_EQ(vnet_nvgre_vsid_reserved(0xfff), 1);
	T_EQ(vnet_nvgre_vsid_reserved(0x1000), 0);
	T_EQ(vnet_nvgre_vsid_reserved(0xfffff0), 0);
	T_EQ(vnet_nvgre_vsid_reserved(0xfffffe), 0);
	T_EQ(vnet_nvgre_vsid_reserved(0xffffff), 1);
}

/* Every reason of the decoder. */
static void test_drops(void)
{
	uint8_t p[8 + 14] = { 0 }, q[sizeof(p)];
	uint32_t vsid;
	uint8_t fl;
	int seen[VNET_DROP_MAX] = { 0 };
	static const uint16_t bad_flags[] = {
		0x8000 | 0x2000, /* C */
		0x4000 | 0x2000, /* R */
		0x1000 | 0x2000, /* S */
		0x0800 | 0x2000, /* s */
		0x0400 | 0x2000, /* bit 5 */
		0x0000,		 /* K clear */
	};
	unsigned i;

#define D(buf, n) vnet_nvgre_decode(buf, n, 0, &vsid, &fl)
	vnet_nvgre_encode(p, VSID, 7);
	T_EQ(D(p, 3), VNET_DROP_SHORT);
	T_EQ(D(p, 7), VNET_DROP_SHORT);
	T_EQ(D(p, 8 + 13), VNET_DROP_INNER_SHORT);
	seen[VNET_DROP_SHORT] = seen[VNET_DROP_INNER_SHORT] = 1;
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		memcpy(q, p, sizeof(p));
		vnet_put16(q, bad_flags[i]);
		T_EQ(D(q, sizeof(q)), VNET_DROP_GRE_FLAGS);
		/* before the length of the key is looked at */
		T_EQ(D(q, 4), VNET_DROP_GRE_FLAGS);
	}
	seen[VNET_DROP_GRE_FLAGS] = 1;
	memcpy(q, p, sizeof(p));
	q[1] = 1; /* version 1 (PPTP's enhanced GRE) */
	T_EQ(D(q, sizeof(q)), VNET_DROP_GRE_VERSION);
	seen[VNET_DROP_GRE_VERSION] = 1;
	memcpy(q, p, sizeof(p));
	vnet_put16(q + 2, 0x0800);
	T_EQ(D(q, sizeof(q)), VNET_DROP_GRE_PROTO);
	seen[VNET_DROP_GRE_PROTO] = 1;
	vnet_nvgre_encode(q, 0xfff, 7);
	T_EQ(D(q, sizeof(q)), VNET_DROP_NVGRE_VSID);
	vnet_nvgre_encode(q, 0, 7);
	T_EQ(D(q, sizeof(q)), VNET_DROP_NVGRE_VSID);
	vnet_nvgre_encode(q, 0xffffff, 7);
	T_EQ(D(q, sizeof(q)), VNET_DROP_NVGRE_VSID);
	vnet_nvgre_encode(q, 0x1000, 7);
	T_EQ(D(q, sizeof(q)), 0);
	seen[VNET_DROP_NVGRE_VSID] = 1;
	/* bits 6-12: ignored unless strict */
	memcpy(q, p, sizeof(p));
	vnet_put16(q, 0x2000 | 0x0200);
	T_EQ(D(q, sizeof(q)), 0);
	T_EQ(vnet_nvgre_decode(q, sizeof(q), 1, &vsid, &fl),
	     VNET_DROP_RESERVED);
	vnet_put16(q, 0x2000 | 0x0008);
	T_EQ(vnet_nvgre_decode(q, sizeof(q), 1, &vsid, &fl),
	     VNET_DROP_RESERVED);
	seen[VNET_DROP_RESERVED] = 1;
	T_EQ(seen[VNET_DROP_SHORT] + seen[VNET_DROP_GRE_FLAGS] +
		     seen[VNET_DROP_GRE_VERSION] + seen[VNET_DROP_GRE_PROTO] +
		     seen[VNET_DROP_NVGRE_VSID] + seen[VNET_DROP_RESERVED] +
		     seen[VNET_DROP_INNER_SHORT],
	     7);
#undef D
}

static void outer_init(struct vnet_outer *o, int af)
{
	memset(o, 0, sizeof(*o));
	memset(o->smac, 2, 6);
	memset(o->dmac, 4, 6);
	vnet_addr_parse(af == AF_INET ? "198.18.0.1" : "2001:db8::1", &o->src);
	vnet_addr_parse(af == AF_INET ? "198.18.0.2" : "2001:db8::2", &o->dst);
	o->ttl = 64;
	o->tos = 0xb8;
}

/* Build and parse back, over either family; the outer parser's reasons. */
static void test_outer(void)
{
	struct vnet_outer o, got;
	uint8_t f[128], g[128];
	const uint8_t *pl;
	size_t plen, len;
	int h, af;

	for (af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		outer_init(&o, af);
		h = vnet_gre_build_eth(f, sizeof(f), &o, 8 + 14);
		T_EQ(h, af == AF_INET ? 34 : 54);
		if (h < 0)
			continue;
		vnet_nvgre_encode(f + h, VSID, 1);
		memset(f + h + 8, 0, 14);
		len = (size_t)h + 22;
		T_EQ(vnet_gre_parse_eth(f, len, &got, &pl, &plen), 0);
		T_ASSERT(pl == f + h);
		T_EQ(plen, 22);
		T_ASSERT(vnet_addr_eq(&got.src, &o.src));
		T_ASSERT(vnet_addr_eq(&got.dst, &o.dst));
		T_EQ(got.ttl, 64);
		T_EQ(got.tos, 0xb8);
		T_EQ(got.sport, 0);
		/* padding after the IP packet is ignored */
		T_EQ(vnet_gre_parse_eth(f, len + 6, &got, &pl, &plen), 0);
		T_EQ(plen, 22);
		T_EQ(vnet_gre_parse_eth(f, len - 1, &got, &pl, &plen),
		     VNET_DROP_SHORT);
		memcpy(g, f, len);
		g[af == AF_INET ? 14 + 9 : 14 + 6] = 17; /* UDP */
		if (af == AF_INET) {
			g[24] = g[25] = 0;
			vnet_put16(g + 24, vnet_ip4_csum(g + 14, 20));
		}
		T_EQ(vnet_gre_parse_eth(g, len, &got, &pl, &plen),
		     VNET_DROP_NOT_GRE);
		memcpy(g, f, len);
		g[12] = 0x88;
		T_EQ(vnet_gre_parse_eth(g, len, &got, &pl, &plen),
		     VNET_DROP_NOT_IP);
		memcpy(g, f, len);
		g[14] ^= 0x20; /* version 6 <-> 4 */
		T_EQ(vnet_gre_parse_eth(g, len, &got, &pl, &plen),
		     VNET_DROP_IP_BAD);
	}
	outer_init(&o, AF_INET);
	h = vnet_gre_build_eth(f, sizeof(f), &o, 22);
	memset(f + h, 0, 22);
	len = (size_t)h + 22;
	memcpy(g, f, len);
	g[14 + 10] ^= 1; /* header checksum */
	T_EQ(vnet_gre_parse_eth(g, len, &got, &pl, &plen), VNET_DROP_IP_BAD);
	memcpy(g, f, len);
	g[14 + 6] |= 0x20; /* MF */
	g[24] = g[25] = 0;
	vnet_put16(g + 24, vnet_ip4_csum(g + 14, 20));
	T_EQ(vnet_gre_parse_eth(g, len, &got, &pl, &plen), VNET_DROP_FRAGMENT);
	T_EQ(vnet_gre_parse_eth(f, 13, &got, &pl, &plen), VNET_DROP_SHORT);
	T_EQ(vnet_gre_build_eth(f, 33, &o, 22), -EMSGSIZE);
	T_EQ(vnet_gre_build_eth(f, sizeof(f), &o, 65535 - 19), -EMSGSIZE);
	o.dst.family = AF_INET6;
	T_EQ(vnet_gre_build_eth(f, sizeof(f), &o, 22), -EAFNOSUPPORT);
}

int main(void)
{
	T_RUN(test_encode);
	T_RUN(test_reserved_vsid);
	T_RUN(test_drops);
	T_RUN(test_outer);
	return T_DONE();
}
