/* SPDX-License-Identifier: ISC */
/* nvgre.c -- the NVGRE header (RFC 7637) and the outer headers of GRE. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/nvgre.h"
#include "vnet/pkt.h"

#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff
#define MAXPACKET 65535
/* RFC 2784 2.3: a receiver discards a packet with any of bits 1-5 set
 * (RFC 1701's R, K, S, s and the first bit of Recur), but K and S are RFC
 * 2890's key and sequence number; NVGRE wants S (and C) clear, K set.
 * Bits 6-12 are ignored on receipt. */
#define GRE_DISCARD 0x5c00 /* bits 1, 3, 4, 5 */
#define GRE_RESERVED 0x03f8 /* bits 6-12 */

int vnet_nvgre_vsid_reserved(uint32_t vsid)
{
	return vsid <= 0xfff || vsid == 0xffffff;
}

void vnet_nvgre_encode(uint8_t *hdr, uint32_t vsid, uint8_t flowid)
{
	vnet_put16(hdr, VNET_GRE_FLAG_K); /* C = S = 0, version 0 */
	vnet_put16(hdr + 2, VNET_NVGRE_P_ETH);
	hdr[4] = (uint8_t)(vsid >> 16);
	hdr[5] = (uint8_t)(vsid >> 8);
	hdr[6] = (uint8_t)vsid;
	hdr[7] = flowid;
}

int vnet_nvgre_decode(const uint8_t *p, size_t len, int strict,
		      uint32_t *vsid, uint8_t *flowid)
{
	uint16_t fl;
	uint32_t v;

	if (len < 4)
		return VNET_DROP_SHORT;
	fl = vnet_get16(p);
	/* RFC 7637 3.2: C = 0, S = 0, K = 1; RFC 2784 2.3 for the rest. */
	if ((fl & (VNET_GRE_FLAG_C | GRE_DISCARD)) || !(fl & VNET_GRE_FLAG_K))
		return VNET_DROP_GRE_FLAGS;
	if (fl & VNET_GRE_VERSION)
		return VNET_DROP_GRE_VERSION;
	if (len < VNET_NVGRE_HLEN)
		return VNET_DROP_SHORT;
	if (vnet_get16(p + 2) != VNET_NVGRE_P_ETH)
		return VNET_DROP_GRE_PROTO;
	v = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
	if (vnet_nvgre_vsid_reserved(v))
		return VNET_DROP_NVGRE_VSID;
	if (strict && (fl & GRE_RESERVED))
		return VNET_DROP_RESERVED;
	if (len - VNET_NVGRE_HLEN < VNET_ETH_HLEN)
		return VNET_DROP_INNER_SHORT;
	*vsid = v;
	*flowid = p[7];
	return VNET_DROP_NONE;
}

int vnet_gre_build_ip(uint8_t *ip, size_t cap, const struct vnet_outer *o,
		      size_t payload_len)
{
	if (o->src.family != o->dst.family)
		return -EAFNOSUPPORT;
	if (o->src.family == AF_INET) {
		if (cap < VNET_IP4_HLEN ||
		    payload_len > MAXPACKET - VNET_IP4_HLEN)
			return -EMSGSIZE;
		ip[0] = 0x45;
		ip[1] = o->tos;
		vnet_put16(ip + 2, (uint16_t)(VNET_IP4_HLEN + payload_len));
		vnet_put16(ip + 4, 0); /* atomic: RFC 6864 4.1 */
		vnet_put16(ip + 6, IP4_DF);
		ip[8] = o->ttl;
		ip[9] = VNET_IPPROTO_GRE;
		vnet_put16(ip + 10, 0);
		memcpy(ip + 12, o->src.b, 4);
		memcpy(ip + 16, o->dst.b, 4);
		vnet_put16(ip + 10, vnet_ip4_csum(ip, VNET_IP4_HLEN));
		return VNET_IP4_HLEN;
	}
	if (o->src.family == AF_INET6) {
		if (cap < VNET_IP6_HLEN || payload_len > MAXPACKET)
			return -EMSGSIZE;
		ip[0] = (uint8_t)(0x60 | o->tos >> 4);
		ip[1] = (uint8_t)(o->tos << 4);
		ip[2] = 0;
		ip[3] = 0;
		vnet_put16(ip + 4, (uint16_t)payload_len);
		ip[6] = VNET_IPPROTO_GRE;
		ip[7] = o->ttl;
		memcpy(ip + 8, o->src.b, 16);
		memcpy(ip + 24, o->dst.b, 16);
		return VNET_IP6_HLEN;
	}
	return -EAFNOSUPPORT;
}

int vnet_gre_build_eth(uint8_t *buf, size_t cap, const struct vnet_outer *o,
		       size_t payload_len)
{
	int n;

	if (cap < VNET_ETH_HLEN)
		return -EMSGSIZE;
	n = vnet_gre_build_ip(buf + VNET_ETH_HLEN, cap - VNET_ETH_HLEN, o,
			      payload_len);
	if (n < 0)
		return n;
	memcpy(buf, o->dmac, 6);
	memcpy(buf + 6, o->smac, 6);
	vnet_put16(buf + 12, o->src.family == AF_INET6 ? VNET_ETH_P_IPV6
							 : VNET_ETH_P_IP);
	return VNET_ETH_HLEN + n;
}

int vnet_gre_parse_eth(const uint8_t *frame, size_t len, struct vnet_outer *o,
		       const uint8_t **payload, size_t *plen)
{
	struct vnet_outer t;
	const uint8_t *ip;
	size_t l2, avail, ihl, tot;
	uint16_t type;

	if (len < VNET_ETH_HLEN)
		return VNET_DROP_SHORT;
	memset(&t, 0, sizeof(t));
	memcpy(t.dmac, frame, 6);
	memcpy(t.smac, frame + 6, 6);
	type = vnet_get16(frame + 12);
	l2 = VNET_ETH_HLEN;
	if (type == VNET_ETH_P_8021Q) {
		if (len < VNET_ETH_HLEN + VNET_VLAN_HLEN)
			return VNET_DROP_SHORT;
		type = vnet_get16(frame + 16);
		l2 += VNET_VLAN_HLEN;
	}
	ip = frame + l2;
	avail = len - l2;
	if (type == VNET_ETH_P_IP) {
		if (avail < VNET_IP4_HLEN)
			return VNET_DROP_SHORT;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ip[0] >> 4 != 4 || ihl < VNET_IP4_HLEN)
			return VNET_DROP_IP_BAD;
		if (avail < ihl)
			return VNET_DROP_SHORT;
		if (vnet_ip4_csum(ip, ihl))
			return VNET_DROP_IP_BAD;
		tot = vnet_get16(ip + 2);
		if (tot < ihl)
			return VNET_DROP_IP_BAD;
		if (tot > avail)
			return VNET_DROP_SHORT;
		if (vnet_get16(ip + 6) & (IP4_MF | IP4_OFFMASK))
			return VNET_DROP_FRAGMENT;
		if (ip[9] != VNET_IPPROTO_GRE)
			return VNET_DROP_NOT_GRE;
		vnet_addr_from_v4(&t.src, ip + 12);
		vnet_addr_from_v4(&t.dst, ip + 16);
		t.tos = ip[1];
		t.ttl = ip[8];
		*payload = ip + ihl;
		*plen = tot - ihl;
	} else if (type == VNET_ETH_P_IPV6) {
		if (avail < VNET_IP6_HLEN)
			return VNET_DROP_SHORT;
		if (ip[0] >> 4 != 6)
			return VNET_DROP_IP_BAD;
		tot = vnet_get16(ip + 4);
		if (tot > avail - VNET_IP6_HLEN)
			return VNET_DROP_SHORT;
		if (ip[6] != VNET_IPPROTO_GRE)
			return VNET_DROP_NOT_GRE;
		vnet_addr_from_v6(&t.src, ip + 8);
		vnet_addr_from_v6(&t.dst, ip + 24);
		t.tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
		t.ttl = ip[7];
		*payload = ip + VNET_IP6_HLEN;
		*plen = tot;
	} else {
		return VNET_DROP_NOT_IP;
	}
	*o = t;
	return VNET_DROP_NONE;
}
