/* SPDX-License-Identifier: ISC */
/* test_ecn.c -- RFC 6040 tables (lib/ecn.c): every row of encapsulation
 * and decapsulation, the inner header found in frames of every length,
 * and the IPv4 checksum kept right by the incremental update. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/ecn.h"

#define NE VNET_ECN_NOT_ECT
#define E0 VNET_ECN_ECT0
#define E1 VNET_ECN_ECT1
#define CE VNET_ECN_CE

static void test_encap(void)
{
	static const uint8_t all[] = { NE, E0, E1, CE };
	unsigned i;

	for (i = 0; i < 4; i++) {
		/* Normal mode copies, CE too; compatibility mode: Not-ECT. */
		T_EQ(vnet_ecn_encap(all[i], VNET_ECN_NORMAL), all[i]);
		T_EQ(vnet_ecn_encap(all[i], VNET_ECN_COMPAT), NE);
		/* Only the two bits count. */
		T_EQ(vnet_ecn_encap((uint8_t)(0xb8 | all[i]), VNET_ECN_NORMAL),
		     all[i]);
	}
}

/* RFC 6040 Figure 4, row by row: inner, outer, result (-1: drop), odd. */
static const struct { uint8_t in, out; int res, odd; } rows[] = {
	{ NE, NE, NE, 0 }, { NE, E0, NE, 1 }, { NE, E1, NE, 1 },
	{ NE, CE, -1, 0 },
	{ E0, NE, E0, 0 }, { E0, E0, E0, 0 }, { E0, E1, E1, 0 },
	{ E0, CE, CE, 0 },
	{ E1, NE, E1, 0 }, { E1, E0, E1, 0 }, { E1, E1, E1, 0 },
	{ E1, CE, CE, 0 },
	{ CE, NE, CE, 0 }, { CE, E0, CE, 0 }, { CE, E1, CE, 1 },
	{ CE, CE, CE, 0 },
};

static void test_decap(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t got = 0x55;
		int r = vnet_ecn_decap(rows[i].out, rows[i].in, &got);

		if (rows[i].res < 0) {
			T_EQ(r, VNET_ECN_DROP);
			T_EQ(got, 0x55);
			continue;
		}
		T_EQ(r, rows[i].odd ? VNET_ECN_ODD : VNET_ECN_OK);
		T_EQ(got, rows[i].res);
		if (got != rows[i].res)
			printf("# row %u: inner %u outer %u\n", i, rows[i].in,
			       rows[i].out);
	}
}

/* An Ethernet frame with an IPv4 header (TOS tos), optionally tagged. */
static size_t frame4(uint8_t *f, uint8_t tos, int tagged)
{
	size_t o = 12;

	memset(f, 0, 128);
	if (tagged) {
		f[o++] = 0x81, f[o++] = 0x00, f[o++] = 0x00, f[o++] = 0x64;
	}
	f[o++] = 0x08, f[o++] = 0x00;
	f[o] = 0x45;
	f[o + 1] = tos;
	f[o + 3] = 40;
	f[o + 8] = 64;
	f[o + 9] = 17;
	memcpy(f + o + 12, "\xc6\x13\x00\x01\xc6\x13\x00\x02", 8);
	vnet_put16(f + o + 10, vnet_ip4_csum(f + o, 20));
	return o + 40 - 20;
}

static void test_frame4(void)
{
	uint8_t f[128];
	size_t len, off, n;
	int fam, tos, tagged;

	for (tagged = 0; tagged < 2; tagged++) {
		len = frame4(f, 0xb8 | E0, tagged) + 20;
		tos = vnet_ecn_frame_tos(f, len, &off, &fam);
		T_EQ(tos, 0xb8 | E0);
		T_EQ(fam, 4);
		T_EQ(off, tagged ? 18 : 14);
		vnet_ecn_set(f + off, fam, CE);
		T_EQ(f[off + 1], 0xb8 | CE);
		/* The incremental update gives what a full sum gives. */
		T_EQ(vnet_ip4_csum(f + off, 20), 0);
		vnet_ecn_set(f + off, fam, NE);
		T_EQ(f[off + 1], 0xb8);
		T_EQ(vnet_ip4_csum(f + off, 20), 0);
		/* Too short for the fixed header: no header. */
		for (n = 0; n < off + 20; n++)
			T_EQ(vnet_ecn_frame_tos(f, n, &off, &fam), -1);
	}
	/* Bad version, bad IHL, an IHL longer than the frame. */
	len = frame4(f, 0, 0) + 20;
	f[14] = 0x55;
	T_EQ(vnet_ecn_frame_tos(f, len, &off, &fam), -1);
	f[14] = 0x44;
	T_EQ(vnet_ecn_frame_tos(f, len, &off, &fam), -1);
	f[14] = 0x4f;
	T_EQ(vnet_ecn_frame_tos(f, 14 + 40, &off, &fam), -1);
	/* Not IP. */
	f[12] = 0x08, f[13] = 0x06;
	T_EQ(vnet_ecn_frame_tos(f, len, &off, &fam), -1);
}

static void test_frame6(void)
{
	uint8_t f[14 + 40] = { [12] = 0x86, [13] = 0xdd };
	size_t off, n;
	int fam;

	/* Traffic class 0xb9 (DSCP 46, ECT(1)), flow label 0xabcde. */
	f[14] = 0x6b;
	f[15] = 0x9a;
	f[16] = 0xbc;
	f[17] = 0xde;
	T_EQ(vnet_ecn_frame_tos(f, sizeof(f), &off, &fam), 0xb9);
	T_EQ(fam, 6);
	T_EQ(off, 14);
	vnet_ecn_set(f + off, fam, CE);
	T_EQ(vnet_ecn_frame_tos(f, sizeof(f), &off, &fam), 0xbb);
	/* The flow label and the version stay. */
	T_EQ(f[14], 0x6b);
	T_EQ(f[15] & 0x0f, 0x0a);
	T_EQ(f[16], 0xbc);
	for (n = 0; n < sizeof(f); n++)
		T_EQ(vnet_ecn_frame_tos(f, n, &off, &fam), -1);
	f[14] = 0x4b;
	T_EQ(vnet_ecn_frame_tos(f, sizeof(f), &off, &fam), -1);
}

int main(void)
{
	T_RUN(test_encap);
	T_RUN(test_decap);
	T_RUN(test_frame4);
	T_RUN(test_frame6);
	return T_DONE();
}
