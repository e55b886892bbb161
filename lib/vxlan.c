/* SPDX-License-Identifier: ISC */
/* vxlan.c -- the VXLAN header and the outer Ethernet/IP/UDP headers. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/vxlan.h"

#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff
#define MAXPACKET 65535 /* a 16-bit length field */

static const char *const drop_names[VNET_DROP_MAX] = {
	[VNET_DROP_NONE] = "none",
	[VNET_DROP_SHORT] = "short",
	[VNET_DROP_NOT_IP] = "not_ip",
	[VNET_DROP_IP_BAD] = "ip_bad",
	[VNET_DROP_FRAGMENT] = "fragment",
	[VNET_DROP_NOT_UDP] = "not_udp",
	[VNET_DROP_UDP_BAD] = "udp_bad",
	[VNET_DROP_WRONG_PORT] = "wrong_port",
	[VNET_DROP_NOT_LOCAL] = "not_local",
	[VNET_DROP_NO_I_FLAG] = "no_i_flag",
	[VNET_DROP_RESERVED] = "reserved",
	[VNET_DROP_INNER_SHORT] = "inner_short",
	[VNET_DROP_GENEVE_VERSION] = "geneve_version",
	[VNET_DROP_GENEVE_OPTLEN] = "geneve_optlen",
	[VNET_DROP_GENEVE_OAM] = "geneve_oam",
	[VNET_DROP_GENEVE_PROTO] = "geneve_proto",
	[VNET_DROP_GENEVE_CRITICAL] = "geneve_critical",
	[VNET_DROP_NOT_GRE] = "not_gre",
	[VNET_DROP_GRE_FLAGS] = "gre_flags",
	[VNET_DROP_GRE_VERSION] = "gre_version",
	[VNET_DROP_GRE_PROTO] = "gre_proto",
	[VNET_DROP_NVGRE_VSID] = "nvgre_vsid",
	[VNET_DROP_UDP_ZERO_CSUM] = "udp_zero_csum",
};

const char *vnet_encap_drop_name(int reason)
{
	if (reason < 0 || reason >= VNET_DROP_MAX || !drop_names[reason])
		return "unknown";
	return drop_names[reason];
}

void vnet_vxlan_encode(uint8_t *hdr, uint32_t vni)
{
	hdr[0] = VNET_VXLAN_FLAG_I;
	hdr[1] = 0;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
}

int vnet_vxlan_decode(const uint8_t *p, size_t len, int strict, uint32_t *vni)
{
	if (len < VNET_VXLAN_HLEN)
		return VNET_DROP_SHORT;
	if (!(p[0] & VNET_VXLAN_FLAG_I))
		return VNET_DROP_NO_I_FLAG;
	/* RFC 7348 5: the other flags and reserved fields are ignored on
	 * receipt; strict mode (libvdeplug's rule) insists they are zero. */
	if (strict &&
	    (p[0] != VNET_VXLAN_FLAG_I || p[1] || p[2] || p[3] || p[7]))
		return VNET_DROP_RESERVED;
	if (len - VNET_VXLAN_HLEN < VNET_ETH_HLEN)
		return VNET_DROP_INNER_SHORT;
	*vni = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
	return VNET_DROP_NONE;
}

static void put_udp(uint8_t *u, const struct vnet_outer *o, uint16_t ulen)
{
	vnet_put16(u, o->sport);
	vnet_put16(u + 2, o->dport);
	vnet_put16(u + 4, ulen);
	vnet_put16(u + 6, 0);
}

int vnet_outer_build_ip(uint8_t *buf, size_t cap, const struct vnet_outer *o,
			size_t payload_len)
{
	uint8_t *ip = buf;

	if (o->src.family != o->dst.family)
		return -EAFNOSUPPORT;
	if (o->src.family == AF_INET) {
		const size_t hlen = VNET_IP4_HLEN + VNET_UDP_HLEN;

		if (cap < hlen || payload_len > MAXPACKET - hlen)
			return -EMSGSIZE;
		ip[0] = 0x45;
		ip[1] = o->tos;
		vnet_put16(ip + 2, (uint16_t)(hlen + payload_len));
		/* ID 0: an atomic datagram (RFC 6864 4.1). */
		vnet_put16(ip + 4, 0);
		vnet_put16(ip + 6, IP4_DF); /* RFC 7348 4.3: never fragment */
		ip[8] = o->ttl;
		ip[9] = IPPROTO_UDP;
		vnet_put16(ip + 10, 0);
		memcpy(ip + 12, o->src.b, 4);
		memcpy(ip + 16, o->dst.b, 4);
		vnet_put16(ip + 10, vnet_ip4_csum(ip, VNET_IP4_HLEN));
		put_udp(ip + VNET_IP4_HLEN, o,
			(uint16_t)(VNET_UDP_HLEN + payload_len));
		return (int)hlen;
	}
	if (o->src.family == AF_INET6) {
		const size_t hlen = VNET_IP6_HLEN + VNET_UDP_HLEN;

		/* The limit is the 16-bit payload (= UDP) length field; no
		 * jumbograms. */
		if (cap < hlen || payload_len > MAXPACKET - VNET_UDP_HLEN)
			return -EMSGSIZE;
		ip[0] = (uint8_t)(0x60 | o->tos >> 4);
		ip[1] = (uint8_t)(o->tos << 4 | (o->flow >> 16 & 0x0f));
		ip[2] = (uint8_t)(o->flow >> 8);
		ip[3] = (uint8_t)o->flow;
		vnet_put16(ip + 4, (uint16_t)(VNET_UDP_HLEN + payload_len));
		ip[6] = IPPROTO_UDP;
		ip[7] = o->ttl;
		memcpy(ip + 8, o->src.b, 16);
		memcpy(ip + 24, o->dst.b, 16);
		put_udp(ip + VNET_IP6_HLEN, o,
			(uint16_t)(VNET_UDP_HLEN + payload_len));
		return (int)hlen;
	}
	return -EAFNOSUPPORT;
}

int vnet_outer_build_eth(uint8_t *buf, size_t cap, const struct vnet_outer *o,
			 size_t payload_len)
{
	int n;

	if (cap < VNET_ETH_HLEN)
		return -EMSGSIZE;
	n = vnet_outer_build_ip(buf + VNET_ETH_HLEN, cap - VNET_ETH_HLEN, o,
				payload_len);
	if (n < 0)
		return n;
	memcpy(buf, o->dmac, 6);
	memcpy(buf + 6, o->smac, 6);
	vnet_put16(buf + 12, o->src.family == AF_INET6 ? VNET_ETH_P_IPV6
							 : VNET_ETH_P_IP);
	return VNET_ETH_HLEN + n;
}

uint16_t vnet_outer_udp6_csum(const struct vnet_outer *o, const void *udp,
			      size_t len)
{
	const uint8_t *u = udp;
	uint32_t sum;
	uint16_t c;

	sum = vnet_csum_pseudo(&o->src, &o->dst, IPPROTO_UDP, (uint32_t)len);
	/* Skip the checksum field itself, whatever it holds now. */
	sum = vnet_csum_add(sum, u, len < 6 ? len : 6);
	if (len > VNET_UDP_HLEN)
		sum = vnet_csum_add(sum, u + VNET_UDP_HLEN,
				    len - VNET_UDP_HLEN);
	c = vnet_csum_fold(sum);
	/* RFC 768, RFC 8200 8.1: a computed 0 is sent as all ones. */
	return c ? c : 0xffff;
}

uint16_t vnet_outer_udp_csum_iov(const struct vnet_outer *o,
				 const struct iovec *iov, unsigned niov)
{
	uint32_t sum;
	size_t len = 0;
	uint8_t pair[2];
	int odd = 0; /* a byte of the last piece waits for its partner */
	unsigned i;
	uint16_t c;

	for (i = 0; i < niov; i++)
		len += iov[i].iov_len;
	sum = vnet_csum_pseudo(&o->src, &o->dst, IPPROTO_UDP, (uint32_t)len);
	for (i = 0; i < niov; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t n = iov[i].iov_len;

		if (!n)
			continue;
		/* A partial sum continues only after an even length: an
		 * odd piece's last byte is paired with the next one's
		 * first. */
		if (odd) {
			pair[1] = p[0];
			sum = vnet_csum_add(sum, pair, 2);
			p++;
			n--;
			odd = 0;
		}
		if (n & 1) {
			pair[0] = p[n - 1];
			odd = 1;
			n--;
		}
		if (n)
			sum = vnet_csum_add(sum, p, n);
	}
	if (odd)
		sum = vnet_csum_add(sum, pair, 1);
	c = vnet_csum_fold(sum);
	return c ? c : 0xffff;
}

/* Check the UDP header and datagram of ulen bytes at u (ulen already known
 * to be the IP payload length and within the frame). */
static int check_udp(const struct vnet_outer *o, const uint8_t *u, size_t ulen,
		     int zero_ok)
{
	uint32_t sum;

	if (ulen < VNET_UDP_HLEN || vnet_get16(u + 4) != ulen)
		return VNET_DROP_UDP_BAD;
	if (!vnet_get16(u + 6))
		return zero_ok ? VNET_DROP_NONE : VNET_DROP_UDP_BAD;
	sum = vnet_csum_pseudo(&o->src, &o->dst, IPPROTO_UDP, (uint32_t)ulen);
	sum = vnet_csum_add(sum, u, ulen);
	return vnet_csum_fold(sum) ? VNET_DROP_UDP_BAD : VNET_DROP_NONE;
}

int vnet_outer_parse_eth(const uint8_t *frame, size_t len,
			 struct vnet_outer *o, const uint8_t **payload,
			 size_t *plen)
{
	return vnet_outer_parse_eth_flags(frame, len, 0, o, payload, plen);
}

int vnet_outer_parse_eth_flags(const uint8_t *frame, size_t len,
			       unsigned flags, struct vnet_outer *o,
			       const uint8_t **payload, size_t *plen)
{
	struct vnet_outer t;
	const uint8_t *ip, *u;
	size_t l2, avail, ihl, tot, ulen;
	uint16_t type;
	int r;

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
		if (tot < ihl + VNET_UDP_HLEN)
			return VNET_DROP_IP_BAD;
		/* A sound header that claims more than the frame holds: the
		 * frame was cut short.  Bytes past tot are Ethernet padding. */
		if (tot > avail)
			return VNET_DROP_SHORT;
		if (vnet_get16(ip + 6) & (IP4_MF | IP4_OFFMASK))
			return VNET_DROP_FRAGMENT;
		if (ip[9] != IPPROTO_UDP)
			return VNET_DROP_NOT_UDP;
		vnet_addr_from_v4(&t.src, ip + 12);
		vnet_addr_from_v4(&t.dst, ip + 16);
		t.tos = ip[1];
		t.ttl = ip[8];
		u = ip + ihl;
		ulen = tot - ihl;
		/* RFC 7348 5: a zero UDP checksum MUST be accepted. */
		r = check_udp(&t, u, ulen, 1);
	} else if (type == VNET_ETH_P_IPV6) {
		if (avail < VNET_IP6_HLEN)
			return VNET_DROP_SHORT;
		if (ip[0] >> 4 != 6)
			return VNET_DROP_IP_BAD;
		ulen = vnet_get16(ip + 4);
		if (ulen > avail - VNET_IP6_HLEN)
			return VNET_DROP_SHORT;
		/* Only UDP right after the fixed header: extension headers
		 * (and so jumbograms) are not followed. */
		if (ip[6] != IPPROTO_UDP)
			return VNET_DROP_NOT_UDP;
		vnet_addr_from_v6(&t.src, ip + 8);
		vnet_addr_from_v6(&t.dst, ip + 24);
		t.tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
		t.flow = (uint32_t)(ip[1] & 0x0f) << 16 |
			 (uint32_t)ip[2] << 8 | ip[3];
		t.ttl = ip[7];
		u = ip + VNET_IP6_HLEN;
		/* RFC 8200 8.1: a zero checksum is invalid over IPv6; the
		 * RFC 6935/6936 exception (Linux udp6zerocsumrx) is opt-in. */
		r = check_udp(&t, u, ulen, 1);
		if (!r && ulen >= VNET_UDP_HLEN && !vnet_get16(u + 6) &&
		    !(flags & VNET_OUTER_UDP6_ZERO_OK))
			r = VNET_DROP_UDP_ZERO_CSUM;
	} else {
		return VNET_DROP_NOT_IP;
	}
	if (r)
		return r;
	t.sport = vnet_get16(u);
	t.dport = vnet_get16(u + 2);
	*o = t;
	*payload = u + VNET_UDP_HLEN;
	*plen = ulen - VNET_UDP_HLEN;
	return VNET_DROP_NONE;
}
