/* SPDX-License-Identifier: ISC */
/* test_pmtu.c -- unit tests for the ICMP answers of --pmtu-reply
 * (vnet-encap/pmtu.h); checksums checked by the reference sum. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "refcsum.h"
#include "vnet-encap/pmtu.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

/* An Ethernet frame from a to b (with VLAN vid when not 0) holding an
 * IPv4 packet of iplen bytes 198.19.0.1 -> 198.19.0.2, protocol proto,
 * flags/fragment word frag, payload bytes i & 0xff (the first one
 * first).  Returns the frame length; *l2 the header length. */
static size_t frame4(uint8_t *b, unsigned vid, size_t iplen, uint8_t proto,
		     uint16_t frag, uint8_t first, size_t *l2)
{
	size_t n = 12, i;
	uint8_t *ip;

	memcpy(b, mac_b, 6);
	memcpy(b + 6, mac_a, 6);
	if (vid) {
		b[n++] = 0x81;
		b[n++] = 0;
		b[n++] = (uint8_t)(vid >> 8);
		b[n++] = (uint8_t)vid;
	}
	b[n++] = 0x08;
	b[n++] = 0x00;
	*l2 = n;
	ip = b + n;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\xc6\x13\x00\x01\xc6\x13\x00\x02", 8);
	for (i = 20; i < iplen; i++)
		ip[i] = (uint8_t)i;
	ip[20] = first;
	return n + iplen;
}

static void test_v4_frag_needed(void)
{
	static uint8_t f[2000], out[PMTU_REPLY_MAX];
	size_t l2, len = frame4(f, 0, 1420, 6, 0x4000, 0x12, &l2), n;
	const uint8_t *ip = out + 14, *icmp = out + 34;

	n = pmtu_reply(f, len, l2, 1400, out, sizeof(out));
	/* 576 in all: 20 + 8 + 548 quoted. */
	T_EQ(n, (size_t)(14 + 576));
	T_MEMEQ(out, mac_a, 6);
	T_MEMEQ(out + 6, mac_b, 6);
	T_EQ(out[12], 0x08);
	T_EQ(out[13], 0x00);
	T_EQ(ip[0], 0x45);
	T_EQ(ip[2] << 8 | ip[3], 576);
	T_EQ(ip[9], 1);
	T_MEMEQ(ip + 12, "\xc6\x13\x00\x02", 4); /* from the destination */
	T_MEMEQ(ip + 16, "\xc6\x13\x00\x01", 4);
	T_EQ(ref_csum(ip, 20), 0); /* a valid header sums to all ones */
	T_EQ(icmp[0], 3);
	T_EQ(icmp[1], 4);
	T_EQ(icmp[4] << 8 | icmp[5], 0);
	T_EQ(icmp[6] << 8 | icmp[7], 1400);
	T_EQ(ref_csum(icmp, 576 - 20), 0);
	T_MEMEQ(icmp + 8, f + l2, 548);
	/* A short packet is quoted whole; Ethernet padding is not. */
	len = frame4(f, 0, 40, 17, 0x4000, 0, &l2);
	f[len] = 0xee;
	n = pmtu_reply(f, len + 6, l2, 1400, out, sizeof(out));
	T_EQ(n, (size_t)(14 + 20 + 8 + 40));
	T_EQ(ref_csum(icmp, 8 + 40), 0);
	/* An echo request is answered; the cap is respected. */
	len = frame4(f, 0, 1420, 1, 0x4000, 8, &l2);
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), (size_t)(14 + 576));
	T_EQ(pmtu_reply(f, len, l2, 1400, out, 100), 0u);
}

static void test_v4_tagged(void)
{
	static uint8_t f[2000], out[PMTU_REPLY_MAX];
	size_t l2, len = frame4(f, 100, 1420, 6, 0x4000, 0, &l2), n;

	T_EQ(l2, 18u);
	n = pmtu_reply(f, len, l2, 1400, out, sizeof(out));
	T_EQ(n, (size_t)(18 + 576));
	T_MEMEQ(out + 12, "\x81\x00\x00\x64\x08\x00", 6);
	T_EQ(ref_csum(out + 18, 20), 0);
	T_EQ(ref_csum(out + 38, 556), 0);
}

static void test_v4_none(void)
{
	static uint8_t f[2000], out[PMTU_REPLY_MAX];
	size_t l2, len;

	/* No DF: the sender's stack may fragment; no answer. */
	len = frame4(f, 0, 1420, 6, 0, 0, &l2);
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	/* A later fragment. */
	len = frame4(f, 0, 1420, 6, 0x4001, 0, &l2);
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	/* ICMP errors are never answered with one. */
	len = frame4(f, 0, 1420, 1, 0x4000, 3, &l2);
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	len = frame4(f, 0, 1420, 1, 0x4000, 11, &l2);
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	/* Sources that are no unicast, a broadcast destination. */
	len = frame4(f, 0, 1420, 6, 0x4000, 0, &l2);
	f[l2 + 12] = 224;
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	f[l2 + 12] = 0;
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	f[l2 + 12] = 198;
	f[l2 + 16] = 255;
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	/* Not IP, bad headers, a runt. */
	len = frame4(f, 0, 1420, 6, 0x4000, 0, &l2);
	f[l2] = 0x44;
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	f[l2] = 0x45;
	f[13] = 0x06;
	T_EQ(pmtu_reply(f, len, l2, 1400, out, sizeof(out)), 0u);
	f[13] = 0x00;
	T_EQ(pmtu_reply(f, l2 + 19, l2, 1400, out, sizeof(out)), 0u);
	T_EQ(pmtu_reply(f, 10, 14, 1400, out, sizeof(out)), 0u);
}

/* An IPv6 frame 2001:db8::1 -> 2001:db8::2 of iplen bytes, next header
 * nh, first payload byte first. */
static size_t frame6(uint8_t *b, size_t iplen, uint8_t nh, uint8_t first)
{
	uint8_t *ip = b + 14;
	size_t i;

	memcpy(b, mac_b, 6);
	memcpy(b + 6, mac_a, 6);
	b[12] = 0x86;
	b[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)((iplen - 40) >> 8);
	ip[5] = (uint8_t)(iplen - 40);
	ip[6] = nh;
	ip[7] = 64;
	memcpy(ip + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	memcpy(ip + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	for (i = 40; i < iplen; i++)
		ip[i] = (uint8_t)i;
	ip[40] = first;
	return 14 + iplen;
}

static void test_v6_too_big(void)
{
	static uint8_t f[2000], out[PMTU_REPLY_MAX], ph[40];
	size_t len = frame6(f, 1420, 6, 0), n;
	const uint8_t *ip = out + 14, *icmp = out + 54;
	uint32_t sum;

	n = pmtu_reply(f, len, 14, 1400, out, sizeof(out));
	T_EQ(n, (size_t)(14 + 1280));
	T_MEMEQ(out, mac_a, 6);
	T_EQ(ip[0] >> 4, 6);
	T_EQ(ip[4] << 8 | ip[5], 1240);
	T_EQ(ip[6], 58);
	T_MEMEQ(ip + 8, f + 14 + 24, 16);
	T_MEMEQ(ip + 24, f + 14 + 8, 16);
	T_EQ(icmp[0], 2);
	T_EQ(icmp[1], 0);
	T_EQ((uint32_t)icmp[4] << 24 | icmp[5] << 16 | icmp[6] << 8 | icmp[7],
	     1400u);
	T_MEMEQ(icmp + 8, f + 14, 1232);
	/* The pseudo-header of RFC 8200 8.1, summed by the reference. */
	memcpy(ph, ip + 8, 32);
	memset(ph + 32, 0, 8);
	ph[34] = 1240 >> 8;
	ph[35] = 1240 & 0xff;
	ph[39] = 58;
	sum = ref_sum(ph, 40, 0);
	T_EQ((uint16_t)~ref_sum(icmp, 1240, sum), 0);
	/* An echo request is answered, an ICMPv6 error is not. */
	len = frame6(f, 1420, 58, 128);
	T_EQ(pmtu_reply(f, len, 14, 1400, out, sizeof(out)),
	     (size_t)(14 + 1280));
	len = frame6(f, 1420, 58, 1);
	T_EQ(pmtu_reply(f, len, 14, 1400, out, sizeof(out)), 0u);
	/* Unspecified and multicast sources are not. */
	len = frame6(f, 1420, 6, 0);
	memset(f + 14 + 8, 0, 16);
	T_EQ(pmtu_reply(f, len, 14, 1400, out, sizeof(out)), 0u);
	f[14 + 8] = 0xff;
	T_EQ(pmtu_reply(f, len, 14, 1400, out, sizeof(out)), 0u);
}

int main(void)
{
	T_RUN(test_v4_frag_needed);
	T_RUN(test_v4_tagged);
	T_RUN(test_v4_none);
	T_RUN(test_v6_too_big);
	return T_DONE();
}
