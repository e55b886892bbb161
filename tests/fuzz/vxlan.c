/* SPDX-License-Identifier: ISC */
/* vxlan.c -- libFuzzer harness for the outer-frame and VXLAN parsers (the
 * IPv6 outer side too: flow label, the zero-checksum policy, the checksum
 * over pieces). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/vxlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

/* Rebuild an accepted packet from what the parser reported and parse it
 * again: the builders and the parser must agree. */
static void rebuild(const struct vnet_outer *o, const uint8_t *pl, size_t plen)
{
	struct vnet_outer o2;
	const uint8_t *pl2;
	size_t plen2;
	uint8_t *buf;
	uint16_t c;
	int h;

	buf = malloc(62 + plen);
	if (!buf)
		return;
	h = vnet_outer_build_eth(buf, 62 + plen, o, plen);
	CHECK(h == (o->src.family == AF_INET ? 42 : 62));
	memcpy(buf + h, pl, plen);
	if (o->src.family == AF_INET6) {
		struct iovec iov[3];
		size_t cut = plen / 3;

		c = vnet_outer_udp6_csum(o, buf + h - 8, plen + 8);
		buf[h - 2] = (uint8_t)(c >> 8);
		buf[h - 1] = (uint8_t)c;
		/* The same sum over pieces of any lengths (field 0). */
		buf[h - 2] = buf[h - 1] = 0;
		iov[0].iov_base = buf + h - 8;
		iov[0].iov_len = 8 + (plen & 1);
		iov[1].iov_base = buf + h + (plen & 1);
		iov[1].iov_len = cut;
		iov[2].iov_base = buf + h + (plen & 1) + cut;
		iov[2].iov_len = plen - (plen & 1) - cut;
		CHECK(vnet_outer_udp_csum_iov(o, iov, 3) == c);
		buf[h - 2] = (uint8_t)(c >> 8);
		buf[h - 1] = (uint8_t)c;
	}
	CHECK(!vnet_outer_parse_eth(buf, (size_t)h + plen, &o2, &pl2, &plen2));
	CHECK(pl2 == buf + h && plen2 == plen);
	CHECK(!memcmp(o2.smac, o->smac, 6) && !memcmp(o2.dmac, o->dmac, 6));
	CHECK(vnet_addr_eq(&o2.src, &o->src) && vnet_addr_eq(&o2.dst, &o->dst));
	CHECK(o2.sport == o->sport && o2.dport == o->dport);
	CHECK(o2.ttl == o->ttl && o2.tos == o->tos && o2.flow == o->flow);
	CHECK(o->flow <= 0xfffff && (o->src.family == AF_INET6 || !o->flow));
	free(buf);
}

static void decode_both(const uint8_t *p, size_t len)
{
	uint32_t vs = 0, vl = 0;
	int rs, rl;

	rs = vnet_vxlan_decode(p, len, 1, &vs);
	rl = vnet_vxlan_decode(p, len, 0, &vl);
	CHECK(rs >= 0 && rs < VNET_DROP_MAX && rl >= 0 && rl < VNET_DROP_MAX);
	/* Strict accepts a subset of what lenient accepts. */
	if (!rs)
		CHECK(!rl && vs == vl);
	if (!rl)
		CHECK(vl <= VNET_VNI_MAX && len >= VNET_VXLAN_HLEN + 14);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_outer o;
	const uint8_t *pl = NULL;
	size_t plen = 0;
	int r;

	struct vnet_outer oz;
	const uint8_t *plz = NULL;
	size_t plenz = 0;
	int rz;

	r = vnet_outer_parse_eth(data, size, &o, &pl, &plen);
	CHECK(r >= 0 && r < VNET_DROP_MAX);
	/* Zero checksums allowed: the same verdicts, but that one. */
	rz = vnet_outer_parse_eth_flags(data, size, VNET_OUTER_UDP6_ZERO_OK,
					&oz, &plz, &plenz);
	if (r == VNET_DROP_UDP_ZERO_CSUM)
		CHECK(!rz && oz.src.family == AF_INET6);
	else
		CHECK(rz == r);
	if (!r)
		CHECK(plz == pl && plenz == plen && oz.flow == o.flow);
	CHECK(r != VNET_DROP_WRONG_PORT && r != VNET_DROP_NOT_LOCAL);
	if (!r) {
		CHECK(pl >= data && plen <= size && pl + plen <= data + size);
		CHECK(o.src.family == o.dst.family);
		decode_both(pl, plen);
		rebuild(&o, pl, plen);
	}
	decode_both(data, size);
	return 0;
}
