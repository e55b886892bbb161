/* SPDX-License-Identifier: ISC */
/* geneve.c -- libFuzzer harness for the GENEVE decoder and the option
 * parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/geneve.h"
#include "vnet/vxlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

/* The first input byte says which options are understood. */
static int known(void *arg, uint16_t cls, uint8_t type)
{
	const uint8_t *sel = arg;

	return ((cls ^ type) & 7) < (*sel & 7);
}

static void decode(const uint8_t *p, size_t len, uint8_t sel)
{
	struct vnet_geneve_hdr hs, hl;
	struct vnet_geneve_opt o;
	size_t off = 0, sum = 0;
	unsigned n = 0;
	int rs, rl;

	rs = vnet_geneve_decode(p, len, 1, known, &sel, &hs);
	rl = vnet_geneve_decode(p, len, 0, known, &sel, &hl);
	CHECK(rs >= 0 && rs < VNET_DROP_MAX && rl >= 0 && rl < VNET_DROP_MAX);
	/* Strict accepts a subset of what lenient accepts. */
	if (!rs)
		CHECK(!rl && hs.vni == hl.vni && hs.hlen == hl.hlen);
	if (rl)
		return;
	CHECK(hl.vni <= VNET_VNI_MAX && hl.hlen <= VNET_GENEVE_HLEN_MAX);
	CHECK(hl.hlen + 14 <= len && hl.opts == p + VNET_GENEVE_HLEN);
	while (vnet_geneve_opt_next(&hl, &off, &o)) {
		CHECK(o.data + o.len <= p + hl.hlen);
		sum += 4 + o.len;
		n++;
	}
	CHECK(sum == hl.hlen - VNET_GENEVE_HLEN && n == hl.nopts);
	/* Without an understanding of any option: never more accepted. */
	if (vnet_geneve_decode(p, len, 0, NULL, NULL, &hs) == 0)
		CHECK(hs.hlen == hl.hlen);
}

/* Parse the input as a --geneve-opt string; what is accepted encodes
 * into a header the decoder takes back. */
static void opt_string(const uint8_t *data, size_t size)
{
	struct vnet_geneve_opts o = { .len = 0 };
	struct vnet_geneve_hdr h;
	uint8_t pkt[VNET_GENEVE_HLEN_MAX + 14];
	const char *why = NULL;
	char s[600];
	size_t n;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (vnet_geneve_opt_parse(s, &o, &why)) {
		CHECK(why && o.len == 0);
		return;
	}
	CHECK(o.len >= 4 && o.len % 4 == 0 && o.len <= 128);
	n = vnet_geneve_encode(pkt, 42, &o);
	CHECK(n == VNET_GENEVE_HLEN + o.len);
	memset(pkt + n, 0, 14);
	CHECK(vnet_geneve_decode(pkt, n + 14, 1, o.critical ? known : NULL,
				 &(uint8_t){ 7 }, &h) == 0 ||
	      o.critical);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	decode(data + 1, size - 1, data[0]);
	opt_string(data, size);
	return 0;
}
