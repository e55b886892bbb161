/* SPDX-License-Identifier: ISC */
/* pmtu.c -- ICMP "fragmentation needed" and ICMPv6 "packet too big" for
 * an inner packet too big for the tunnel. */
#include <netinet/in.h>
#include <string.h>

#include "vnet/addr.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/pkt.h"
#include "pmtu.h"

#define ICMP_HLEN 8

/* Whether an IPv4 address (4 bytes) is one an error may go to: not
 * 0.0.0.0/8, loopback, multicast, class E or broadcast. */
static int v4_unicast(const uint8_t *a)
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

/* Whether an ICMP(v6) message of this type is an error (never answered
 * with one: RFC 792, RFC 4443 2.4 (e.1)). */
static int v4_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 ||
	       type == 12;
}

/* The Ethernet header of the reply: addresses swapped, tags kept. */
static void eth(const uint8_t *f, size_t l2, uint8_t *out)
{
	memcpy(out, f + 6, 6);
	memcpy(out + 6, f, 6);
	memcpy(out + 12, f + 12, l2 - 12);
}

static size_t reply4(const uint8_t *f, size_t len, size_t l2, unsigned mtu,
		     uint8_t *out, size_t cap)
{
	const uint8_t *ip = f + l2;
	size_t iplen = len - l2, ihl, q;
	uint8_t *o, *icmp;
	uint32_t tot;

	if (iplen < VNET_IP4_HLEN || ip[0] >> 4 != 4)
		return 0;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = vnet_get16(ip + 2);
	if (ihl < VNET_IP4_HLEN || ihl > iplen || tot < ihl)
		return 0;
	if (tot < iplen)
		iplen = tot; /* Ethernet padding is not the packet's */
	/* DF set, no later fragment. */
	if (!(ip[6] & 0x40) || ((ip[6] & 0x1f) | ip[7]))
		return 0;
	if (!v4_unicast(ip + 12) || !v4_unicast(ip + 16))
		return 0;
	if (ip[9] == 1 && (iplen <= ihl || v4_error(ip[ihl])))
		return 0;
	q = iplen;
	if (q > PMTU_V4_MAX - VNET_IP4_HLEN - ICMP_HLEN)
		q = PMTU_V4_MAX - VNET_IP4_HLEN - ICMP_HLEN;
	if (l2 + VNET_IP4_HLEN + ICMP_HLEN + q > cap)
		return 0;
	eth(f, l2, out);
	o = out + l2;
	memset(o, 0, VNET_IP4_HLEN + ICMP_HLEN);
	o[0] = 0x45;
	o[1] = 0xc0; /* internetwork control, as routers send errors */
	vnet_put16(o + 2, (uint32_t)(VNET_IP4_HLEN + ICMP_HLEN + q));
	o[8] = 64;
	o[9] = 1;
	memcpy(o + 12, ip + 16, 4);
	memcpy(o + 16, ip + 12, 4);
	vnet_put16(o + 10, vnet_ip4_csum(o, VNET_IP4_HLEN));
	icmp = o + VNET_IP4_HLEN;
	icmp[0] = 3;
	icmp[1] = 4;
	vnet_put16(icmp + 6, mtu > 65535 ? 65535 : mtu);
	memcpy(icmp + ICMP_HLEN, ip, q);
	vnet_put16(icmp + 2, vnet_csum_fold(vnet_csum_add(0, icmp,
							    ICMP_HLEN + q)));
	return l2 + VNET_IP4_HLEN + ICMP_HLEN + q;
}

static size_t reply6(const uint8_t *f, size_t len, size_t l2, unsigned mtu,
		     uint8_t *out, size_t cap)
{
	static const uint8_t zero[16], loop[16] = { [15] = 1 };
	const uint8_t *ip = f + l2;
	size_t iplen = len - l2, q;
	struct vnet_addr src, dst;
	uint8_t *o, *icmp;
	uint32_t sum;

	if (iplen < VNET_IP6_HLEN || ip[0] >> 4 != 6)
		return 0;
	if ((size_t)VNET_IP6_HLEN + vnet_get16(ip + 4) < iplen)
		iplen = VNET_IP6_HLEN + vnet_get16(ip + 4);
	/* From a unicast source only (RFC 4443 2.4 (e.6)). */
	if (!memcmp(ip + 8, zero, 16) || !memcmp(ip + 8, loop, 16) ||
	    ip[8] == 0xff)
		return 0;
	if (ip[6] == 58 && (iplen <= VNET_IP6_HLEN || ip[VNET_IP6_HLEN] < 128))
		return 0;
	q = iplen;
	if (q > PMTU_V6_MAX - VNET_IP6_HLEN - ICMP_HLEN)
		q = PMTU_V6_MAX - VNET_IP6_HLEN - ICMP_HLEN;
	if (l2 + VNET_IP6_HLEN + ICMP_HLEN + q > cap)
		return 0;
	eth(f, l2, out);
	o = out + l2;
	memset(o, 0, VNET_IP6_HLEN + ICMP_HLEN);
	o[0] = 0x60;
	vnet_put16(o + 4, (uint32_t)(ICMP_HLEN + q));
	o[6] = 58;
	o[7] = 64;
	/* From the destination the packet could not reach (a multicast
	 * one is no source: the sender's own address is). */
	memcpy(o + 8, ip[24] == 0xff ? ip + 8 : ip + 24, 16);
	memcpy(o + 24, ip + 8, 16);
	icmp = o + VNET_IP6_HLEN;
	icmp[0] = 2;
	vnet_put32(icmp + 4, mtu);
	memcpy(icmp + ICMP_HLEN, ip, q);
	vnet_addr_from_v6(&src, o + 8);
	vnet_addr_from_v6(&dst, o + 24);
	sum = vnet_csum_pseudo(&src, &dst, 58, (uint32_t)(ICMP_HLEN + q));
	vnet_put16(icmp + 2,
		   vnet_csum_fold(vnet_csum_add(sum, icmp, ICMP_HLEN + q)));
	return l2 + VNET_IP6_HLEN + ICMP_HLEN + q;
}

size_t pmtu_reply(const uint8_t *f, size_t len, size_t l2, unsigned mtu,
		  uint8_t *out, size_t cap)
{
	uint32_t type;

	if (l2 < VNET_ETH_HLEN || l2 > 18 || len <= l2 || cap < l2)
		return 0;
	type = vnet_get16(f + l2 - 2);
	if (type == VNET_ETH_P_IP)
		return reply4(f, len, l2, mtu, out, cap);
	if (type == VNET_ETH_P_IPV6)
		return reply6(f, len, l2, mtu, out, cap);
	return 0;
}
