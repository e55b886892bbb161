/* SPDX-License-Identifier: ISC */
/* nvgre.c -- libFuzzer harness for the outer GRE frame parser and the
 * NVGRE decoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/nvgre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

/* Rebuild an accepted frame from what the parser reported and parse it
 * again: the builder and the parser must agree. */
static void rebuild(const struct vnet_outer *o, const uint8_t *pl, size_t plen)
{
	struct vnet_outer o2;
	const uint8_t *pl2;
	size_t plen2;
	uint8_t *buf;
	int h;

	if (!(buf = malloc(54 + plen)))
		return;
	h = vnet_gre_build_eth(buf, 54 + plen, o, plen);
	CHECK(h == (o->src.family == AF_INET ? 34 : 54));
	memcpy(buf + h, pl, plen);
	CHECK(!vnet_gre_parse_eth(buf, (size_t)h + plen, &o2, &pl2, &plen2));
	CHECK(pl2 == buf + h && plen2 == plen);
	CHECK(vnet_addr_eq(&o2.src, &o->src) && vnet_addr_eq(&o2.dst, &o->dst));
	CHECK(o2.ttl == o->ttl && o2.tos == o->tos);
	free(buf);
}

static void decode_both(const uint8_t *p, size_t len)
{
	uint32_t vs = 0, vl = 0;
	uint8_t fs = 0, fl = 0;
	uint8_t hdr[VNET_NVGRE_HLEN];
	int rs, rl;

	rs = vnet_nvgre_decode(p, len, 1, &vs, &fs);
	rl = vnet_nvgre_decode(p, len, 0, &vl, &fl);
	CHECK(rs >= 0 && rs < VNET_DROP_MAX && rl >= 0 && rl < VNET_DROP_MAX);
	if (!rs)
		CHECK(!rl && vs == vl && fs == fl);
	if (rl)
		return;
	CHECK(len >= VNET_NVGRE_HLEN + 14 && !vnet_nvgre_vsid_reserved(vl));
	/* what was accepted encodes to the same key */
	vnet_nvgre_encode(hdr, vl, fl);
	CHECK(!memcmp(hdr + 4, p + 4, 4) && !memcmp(hdr + 2, p + 2, 2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_outer o;
	const uint8_t *pl = NULL;
	size_t plen = 0;
	int r;

	r = vnet_gre_parse_eth(data, size, &o, &pl, &plen);
	CHECK(r >= 0 && r < VNET_DROP_MAX);
	if (!r) {
		CHECK(pl >= data && pl + plen <= data + size);
		CHECK(o.src.family == o.dst.family && !o.sport && !o.dport);
		decode_both(pl, plen);
		rebuild(&o, pl, plen);
	}
	decode_both(data, size);
	return 0;
}
