/* SPDX-License-Identifier: ISC */
/* test_geneve.c -- unit tests for the GENEVE header and options. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/geneve.h"
#include "vnet/vxlan.h"

#define VNI 0x123456

static uint8_t pkt[VNET_GENEVE_HLEN_MAX + 64];

/* A header with opts, then a 14-byte inner Ethernet header. */
static size_t build(const struct vnet_geneve_opts *o)
{
	size_t h = vnet_geneve_encode(pkt, VNI, o);

	memset(pkt + h, 0xab, 14);
	return h + 14;
}

static int known_one(void *arg, uint16_t cls, uint8_t type)
{
	(void)arg;
	return cls == 0xff01 && type == 0x81;
}

static void test_encode_plain(void)
{
	static const uint8_t want[8] = { 0, 0, 0x65, 0x58, 0x12, 0x34, 0x56, 0 };
	struct vnet_geneve_hdr h;
	size_t n;

	T_EQ(vnet_geneve_encode(pkt, VNI, NULL), 8);
	T_MEMEQ(pkt, want, 8);
	n = build(NULL);
	T_EQ(vnet_geneve_decode(pkt, n, 1, NULL, NULL, &h), 0);
	T_EQ(h.vni, VNI);
	T_EQ(h.hlen, 8);
	T_EQ(h.nopts, 0);
}

static void test_opt_parse(void)
{
	struct vnet_geneve_opts o = { .len = 0 };
	const char *why = NULL;
	static const uint8_t want[16] = { 0x01, 0x02, 0x05, 0x01, 0xde, 0xad,
					  0xbe, 0xef, 0xff, 0x01, 0x81, 0x00,
					  0, 0, 0, 0 };

	T_EQ(vnet_geneve_opt_parse("0x0102:5:deadbeef", &o, &why), 0);
	T_EQ(o.len, 8);
	T_EQ(o.critical, 0);
	T_EQ(vnet_geneve_opt_parse("65281:0x81:", &o, &why), 0);
	T_EQ(o.len, 12);
	T_EQ(o.critical, 1);
	T_MEMEQ(o.b, want, 12);
	T_EQ(vnet_geneve_opt_parse("1:2", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("0x10000:2:", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("1:256:", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("1:-1:", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("1:2:abc", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("1:2:abcd", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse("1:2:abcdefgh", &o, &why), -EINVAL);
	T_EQ(vnet_geneve_opt_parse(":2:", &o, &why), -EINVAL);
	T_EQ(o.len, 12);
}

/* 252 bytes of options fit; one word more does not. */
static void test_opt_max(void)
{
	struct vnet_geneve_opts o = { .len = 0 };
	char big[2 * 124 + 16];
	struct vnet_geneve_hdr h;
	const char *why;
	size_t n;

	memcpy(big, "1:1:", 4);
	memset(big + 4, 'a', 2 * 120);
	big[4 + 2 * 120] = '\0';
	T_EQ(vnet_geneve_opt_parse(big, &o, &why), 0);  /* 124 */
	T_EQ(vnet_geneve_opt_parse(big, &o, &why), 0);  /* 248 */
	T_EQ(vnet_geneve_opt_parse("1:2:", &o, &why), 0); /* 252 */
	T_EQ(o.len, 252);
	T_EQ(vnet_geneve_opt_parse("1:3:", &o, &why), -EMSGSIZE);
	T_EQ(o.len, 252);
	memset(big + 4, 'a', 2 * 128);
	big[4 + 2 * 128] = '\0';
	T_EQ(vnet_geneve_opt_parse(big, &o, &why), -EINVAL);
	n = build(&o);
	T_EQ(pkt[0], 63);
	T_EQ(vnet_geneve_decode(pkt, n, 1, NULL, NULL, &h), 0);
	T_EQ(h.hlen, 260);
	T_EQ(h.nopts, 3);
}

static void test_opts_walk(void)
{
	struct vnet_geneve_opts o = { .len = 0 };
	struct vnet_geneve_opt op;
	struct vnet_geneve_hdr h;
	const char *why;
	size_t n, off = 0;

	T_EQ(vnet_geneve_opt_parse("0x0102:0x05:0011223344556677", &o, &why), 0);
	T_EQ(vnet_geneve_opt_parse("0xff01:0x81:", &o, &why), 0);
	n = build(&o);
	T_EQ(pkt[0], 4);
	T_EQ(pkt[1], VNET_GENEVE_FLAG_C);
	/* a critical option: dropped unless understood */
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_CRITICAL);
	T_EQ(vnet_geneve_decode(pkt, n, 1, known_one, NULL, &h), 0);
	T_EQ(h.nopts, 2);
	T_EQ(vnet_geneve_opt_next(&h, &off, &op), 1);
	T_EQ(op.cls, 0x0102);
	T_EQ(op.type, 5);
	T_EQ(op.len, 8);
	T_EQ(op.data[7], 0x77);
	T_EQ(vnet_geneve_opt_next(&h, &off, &op), 1);
	T_EQ(op.cls, 0xff01);
	T_EQ(op.len, 0);
	T_EQ(vnet_geneve_opt_next(&h, &off, &op), 0);
	/* the critical bit counts even with C clear */
	pkt[1] = 0;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_CRITICAL);
	T_EQ(vnet_geneve_decode(pkt, n, 0, known_one, NULL, &h), 0);
	/* ... but strict wants C to say so */
	T_EQ(vnet_geneve_decode(pkt, n, 1, known_one, NULL, &h),
	     VNET_DROP_RESERVED);
}

/* Every drop reason of the decoder. */
static void test_drops(void)
{
	struct vnet_geneve_opts o = { .len = 0 };
	struct vnet_geneve_hdr h;
	const char *why;
	size_t n;

	n = build(NULL);
	T_EQ(vnet_geneve_decode(pkt, 7, 0, NULL, NULL, &h), VNET_DROP_SHORT);
	T_EQ(vnet_geneve_decode(pkt, 8 + 13, 0, NULL, NULL, &h),
	     VNET_DROP_INNER_SHORT);
	pkt[0] = 0x40; /* version 1 */
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_VERSION);
	pkt[0] = 0;
	pkt[1] = VNET_GENEVE_FLAG_O;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_OAM);
	pkt[1] = 0;
	vnet_put16(pkt + 2, 0x0800);
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_PROTO);
	vnet_put16(pkt + 2, VNET_GENEVE_P_ETH);
	/* reserved bits: ignored unless strict */
	pkt[1] = 0x01;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h), 0);
	T_EQ(vnet_geneve_decode(pkt, n, 1, NULL, NULL, &h), VNET_DROP_RESERVED);
	pkt[1] = 0;
	pkt[7] = 1;
	T_EQ(vnet_geneve_decode(pkt, n, 1, NULL, NULL, &h), VNET_DROP_RESERVED);
	pkt[7] = 0;
	/* Opt Len past the packet */
	pkt[0] = 63;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_OPTLEN);
	/* Opt Len that ends inside an option, or an option past it */
	T_EQ(vnet_geneve_opt_parse("1:2:00112233", &o, &why), 0);
	n = build(&o);
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h), 0);
	pkt[0] = 1;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_OPTLEN);
	pkt[0] = 2;
	pkt[8 + 3] = 2;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_OPTLEN);
	/* an option's R bits */
	pkt[8 + 3] = 0x21;
	T_EQ(vnet_geneve_decode(pkt, n, 0, NULL, NULL, &h), 0);
	T_EQ(vnet_geneve_decode(pkt, n, 1, NULL, NULL, &h), VNET_DROP_RESERVED);
	/* a lying Opt Len shorter than the options is caught before a
	 * decoder reads the option header: 3 bytes left */
	pkt[0] = 1;
	T_EQ(vnet_geneve_decode(pkt, 8 + 3, 0, NULL, NULL, &h),
	     VNET_DROP_GENEVE_OPTLEN);
}

int main(void)
{
	T_RUN(test_encode_plain);
	T_RUN(test_opt_parse);
	T_RUN(test_opt_max);
	T_RUN(test_opts_walk);
	T_RUN(test_drops);
	return T_DONE();
}
