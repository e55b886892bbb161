/* SPDX-License-Identifier: ISC */
/* test_vtep.c -- unit tests of vnet-encap's tables (cmd/vnet-encap/vtep.c):
 * drop reasons to counters, the encapsulation kind's defaults, the outer
 * TOS of --tos/--dscp/--ecn and the ECN decapsulation of a frame, sealed
 * kinds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet-encap/vtep.h"
#include "vnet/geneve.h"
#include "vnet/vxlan.h"

static struct vtep v;

/* Every reason a decoder returns has its own counter, and that counter
 * bears the reason's name: the table does not depend on enum order. */
static void test_drop_counters(void)
{
	int seen[C_MAX] = { 0 };
	char want[64];
	int r, c;

	vtep_init(&v, VTEP_VXLAN);
	T_EQ(vtep_drop_counter(VNET_DROP_NONE), -1);
	T_EQ(vtep_drop_counter(VNET_DROP_MAX), -1);
	T_EQ(vtep_drop_counter(-1), -1);
	for (r = VNET_DROP_NONE + 1; r < VNET_DROP_MAX; r++) {
		c = vtep_drop_counter(r);
		T_ASSERT(c > 0 && c < C_MAX);
		if (c <= 0 || c >= C_MAX)
			continue;
		snprintf(want, sizeof(want), "drop_%s", vnet_encap_drop_name(r));
		T_STREQ(v.ctr[c].name, want);
		T_EQ(seen[c], 0);
		seen[c] = 1;
	}
}

/* The VXLAN row: its port is the default, its header counts in the
 * overhead (IPv4 20 + UDP 8 + VXLAN 8). */
static void test_vxlan_kind(void)
{
	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_VXLAN);
	T_EQ(v.conf.encap, VTEP_VXLAN);
	T_EQ(v.conf.dstport, VNET_VXLAN_PORT);
	T_EQ(v.conf.vni, VTEP_NO_VNI);
	T_EQ(v.conf.vlan_vni[1], VTEP_NO_VNI);
	T_EQ(v.conf.vlan_vni[4095], VTEP_NO_VNI);
	T_EQ(v.conf.mtu, 1500);
	v.conf.local.family = AF_INET;
	T_EQ(vtep_overhead(&v), 36);
	v.conf.local.family = AF_INET6;
	T_EQ(vtep_overhead(&v), 56);
}

/* The GENEVE row: port 6081, options count in the header length, the
 * kinds are found by name. */
static void test_geneve_kind(void)
{
	const char *why = NULL;

	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_VXLAN);
	T_EQ(vtep_encap_by_name("vxlan"), VTEP_VXLAN);
	T_EQ(vtep_encap_by_name("geneve"), VTEP_GENEVE);
	T_EQ(vtep_encap_by_name("GENEVE"), -1);
	T_EQ(vtep_encap_by_name("gen"), -1);
	T_STREQ(vtep_encap_name(VTEP_GENEVE), "geneve");
	vtep_set_encap(&v, VTEP_GENEVE);
	T_EQ(v.conf.dstport, VNET_GENEVE_PORT);
	v.conf.local.family = AF_INET;
	T_EQ(vtep_overhead(&v), 36);
	T_EQ(vtep_geneve_opt_add(&v, "0x0102:5:00112233", &why), 0);
	T_EQ(vtep_overhead(&v), 44);
	T_EQ(vtep_geneve_opt_add(&v, "0x0102:5:0011", &why), -EINVAL);
	T_EQ(vtep_overhead(&v), 44);
	v.conf.local.family = AF_INET6;
	T_EQ(vtep_overhead(&v), 64);
	/* back to VXLAN: the options are not carried */
	vtep_set_encap(&v, VTEP_VXLAN);
	T_EQ(vtep_overhead(&v), 56);
	T_EQ(v.conf.dstport, VNET_VXLAN_PORT);
}

/* The NVGRE row: GRE, no UDP header (IPv4 20 + GRE 8), no port, the
 * reserved VSIDs refused. */
static void test_nvgre_kind(void)
{
	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_VXLAN);
	T_EQ(vtep_encap_by_name("nvgre"), VTEP_NVGRE);
	T_EQ(vtep_vni_ok(&v, 0), 1);
	vtep_set_encap(&v, VTEP_NVGRE);
	T_EQ(vtep_proto(&v), 47);
	T_EQ(v.conf.dstport, 0);
	v.conf.local.family = AF_INET;
	T_EQ(vtep_overhead(&v), 28);
	v.conf.local.family = AF_INET6;
	T_EQ(vtep_overhead(&v), 48);
	T_EQ(vtep_vni_ok(&v, 0), 0);
	T_EQ(vtep_vni_ok(&v, 0xfff), 0);
	T_EQ(vtep_vni_ok(&v, 0x1000), 1);
	T_EQ(vtep_vni_ok(&v, 0xfffffe), 1);
	T_EQ(vtep_vni_ok(&v, 0xffffff), 0);
}

/* An Ethernet frame with an IPv4 header of TOS tos (34 bytes). */
static void ip4_frame(uint8_t *f, uint8_t tos)
{
	memset(f, 0, 34);
	f[12] = 0x08;
	f[14] = 0x45;
	f[15] = tos;
	f[17] = 20;
	f[22] = 64;
	f[23] = 17;
	vnet_put16(f + 24, vnet_ip4_csum(f + 14, 20));
}

static void test_outer_tos(void)
{
	uint8_t f[34], raw[60] = { [12] = 0x88, [13] = 0xb5 };

	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_VXLAN);
	ip4_frame(f, 0xbb); /* EF, CE */
	T_EQ(vtep_outer_tos(&v.conf, f, sizeof(f)), 0xbb);
	T_EQ(vtep_outer_tos(&v.conf, raw, sizeof(raw)), 0);
	T_EQ(vtep_outer_tos(&v.conf, f, 20), 0); /* too short: not IP */
	v.conf.ecn = VNET_ECN_COMPAT;
	T_EQ(vtep_outer_tos(&v.conf, f, sizeof(f)), 0xb8);
	v.conf.ecn = VNET_ECN_NORMAL;
	v.conf.dscp = 10;
	T_EQ(vtep_outer_tos(&v.conf, f, sizeof(f)), 0x2b);
	T_EQ(vtep_outer_tos(&v.conf, raw, sizeof(raw)), 0x28);
	v.conf.fixed_tos = 1;
	v.conf.tos = 0x11;
	T_EQ(vtep_outer_tos(&v.conf, f, sizeof(f)), 0x11);
}

static void test_decap_ecn(void)
{
	uint8_t f[34], copy[VTEP_ECN_COPY];
	size_t n = 99;

	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_VXLAN);
	ip4_frame(f, 0xba); /* EF, ECT(0) */
	/* Unknown outer TOS, or one that changes nothing. */
	T_EQ(vtep_decap_ecn(&v, -1, f, sizeof(f), copy, &n), 0);
	T_EQ(n, 0);
	T_EQ(vtep_decap_ecn(&v, 0x02, f, sizeof(f), copy, &n), 0);
	T_EQ(n, 0);
	/* Outer CE: the copy of the first 26 bytes says CE, its checksum
	 * right; the frame is untouched. */
	T_EQ(vtep_decap_ecn(&v, 0x03, f, sizeof(f), copy, &n), 0);
	T_EQ(n, 14 + 12);
	T_EQ(copy[15], 0xbb);
	memcpy(copy + n, f + n, sizeof(f) - n);
	T_EQ(vnet_ip4_csum(copy + 14, 20), 0);
	T_EQ(f[15], 0xba);
	T_EQ(v.ctr[C_DECAP_ECN_CE].value, 1);
	/* Outer CE on Not-ECT: dropped and counted. */
	ip4_frame(f, 0xb8);
	T_EQ(vtep_decap_ecn(&v, 0x03, f, sizeof(f), copy, &n), -1);
	T_EQ(v.ctr[C_DROP_ECN_NOT_ECT].value, 1);
	/* Outer ECT(1) on Not-ECT: unused, counted, unchanged. */
	T_EQ(vtep_decap_ecn(&v, 0x01, f, sizeof(f), copy, &n), 0);
	T_EQ(n, 0);
	T_EQ(v.ctr[C_DECAP_ECN_UNUSED].value, 1);
}

static struct vnet_seal *sealer(void)
{
	static const char t[] =
		"cipher chacha20-poly1305\nepoch 1 0 4000000000 "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"\n";
	struct vnet_seal_keys *k = NULL;

	if (vnet_seal_keys_parse(t, strlen(t), "k", &k, NULL))
		return NULL;
	return vnet_seal_new(k);
}

/* Sealed: the seal fields grow the header (GENEVE: in their option),
 * the tag the overhead; NVGRE cannot be sealed; the refusals have their
 * counters, in the order of enum vnet_seal_drop. */
static void test_sealed_kinds(void)
{
	struct vnet_seal *s;

	memset(&v, 0, sizeof(v));
	vtep_init(&v, VTEP_GENEVE);
	v.conf.local.family = AF_INET;
	T_EQ(vtep_seal_set(&v, sealer()), 0);
	/* 20 + 8 + 8 + 24 (option) + 16 (tag) */
	T_EQ(vtep_overhead(&v), 76);
	T_EQ(v.hlen, 32);
	T_EQ(vtep_seal_set(&v, NULL), 0);
	T_EQ(vtep_overhead(&v), 36);
	vtep_set_encap(&v, VTEP_VXLAN);
	T_EQ(vtep_seal_set(&v, sealer()), 0);
	/* 20 + 8 + 8 + 20 (fields) + 16 (tag) */
	T_EQ(vtep_overhead(&v), 72);
	T_EQ(vtep_seal_set(&v, NULL), 0);
	vtep_set_encap(&v, VTEP_NVGRE);
	s = sealer();
	T_EQ(vtep_seal_set(&v, s), -EINVAL);
	vnet_seal_free(s);
	T_STREQ(v.ctr[C_DROP_SEAL_TRUNCATED].name, "drop_seal_truncated");
	T_STREQ(v.ctr[C_DROP_SEAL_FORGED].name, "drop_seal_forged");
	T_EQ(C_DROP_SEAL_FORGED - C_DROP_SEAL_TRUNCATED,
	     VNET_SEAL_FORGED - VNET_SEAL_TRUNCATED);
}

int main(void)
{
	T_RUN(test_outer_tos);
	T_RUN(test_decap_ecn);
	T_RUN(test_drop_counters);
	T_RUN(test_vxlan_kind);
	T_RUN(test_geneve_kind);
	T_RUN(test_nvgre_kind);
	T_RUN(test_sealed_kinds);
	return T_DONE();
}
