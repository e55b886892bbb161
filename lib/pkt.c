/* SPDX-License-Identifier: ISC */
/* pkt.c -- bounds-checked parsing of Ethernet, VLAN, ARP, IP and L4. */
#include <errno.h>
#include <string.h>

#include "vnet/bytes.h"
#include "vnet/pkt.h"

/*
 * A layer bit is set only once its header has been checked whole; the
 * fields it fills are valid only with that bit.  Offsets:
 *   l3_off       past the Ethernet header and its tags, whatever the
 *                EtherType (0 if a tag was cut short);
 *   l4_off       past the IP header and the IPv6 extension headers, when
 *                VNET_L_IPV4/IPV6 is set and the chain was sound (also for
 *                a non-first fragment, where it is the fragment data);
 *   payload_off  past the UDP/TCP/ICMP header, or l4_off without one.
 * The IPv4 header checksum is not verified here (vnet_ip4_csum).
 */

#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ICMP_	  1
#define IPPROTO_TCP_	  6
#define IPPROTO_UDP_	  17
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_	  51
#define IPPROTO_ICMPV6_	  58
#define IPPROTO_DSTOPTS_  60
#define IPPROTO_SCTP_	  132

#define IP6_MAX_EXTHDRS 8
#define ICMP_HLEN	8 /* type, code, checksum and the 4-byte rest */
#define SCTP_HLEN	12 /* ports, verification tag, checksum */

static const char *const err_str[] = {
	[VNET_PKT_OK] = "ok",
	[VNET_PKT_ERR_VLAN_SHORT] = "VLAN tag truncated",
	[VNET_PKT_ERR_L3_SHORT] = "IP/ARP header truncated",
	[VNET_PKT_ERR_L3_BAD] = "bad IP/ARP header",
	[VNET_PKT_ERR_L3_LEN] = "IP length beyond frame",
	[VNET_PKT_ERR_L4_SHORT] = "L4 header truncated",
	[VNET_PKT_ERR_L4_BAD] = "bad L4 header",
	[VNET_PKT_ERR_EXTHDR] = "bad IPv6 extension header chain",
};

const char *vnet_pkt_err_str(int err)
{
	if (err < 0 || (size_t)err >= sizeof(err_str) / sizeof(err_str[0]))
		return "unknown error";
	return err_str[err];
}

/* UDP, TCP, SCTP or ICMP at l4_off; end is the end of the IP packet. */
static void parse_l4(struct vnet_pkt *p, size_t end)
{
	const uint8_t *h = p->data + p->l4_off;
	size_t avail = end - p->l4_off, hlen, ulen;

	switch (p->ip_proto) {
	case IPPROTO_UDP_:
		if (avail < 8) {
			p->err = VNET_PKT_ERR_L4_SHORT;
			return;
		}
		ulen = vnet_get16(h + 4);
		/* A first fragment's UDP length covers the whole datagram. */
		if (ulen < 8 || (ulen > avail && !(p->layers & VNET_L_FRAG))) {
			p->err = VNET_PKT_ERR_L4_BAD;
			return;
		}
		p->sport = vnet_get16(h);
		p->dport = vnet_get16(h + 2);
		p->layers |= VNET_L_UDP;
		hlen = 8;
		break;
	case IPPROTO_TCP_:
		if (avail < 20) {
			p->err = VNET_PKT_ERR_L4_SHORT;
			return;
		}
		hlen = (size_t)(h[12] >> 4) * 4;
		if (hlen < 20) {
			p->err = VNET_PKT_ERR_L4_BAD;
			return;
		}
		if (hlen > avail) {
			p->err = VNET_PKT_ERR_L4_SHORT;
			return;
		}
		p->sport = vnet_get16(h);
		p->dport = vnet_get16(h + 2);
		p->tcp_flags = h[13];
		p->layers |= VNET_L_TCP;
		break;
	case IPPROTO_SCTP_:
		/* The common header: the ports where UDP has them.  The
		 * chunks are not looked at (nor the CRC32c). */
		if (avail < SCTP_HLEN) {
			p->err = VNET_PKT_ERR_L4_SHORT;
			return;
		}
		p->sport = vnet_get16(h);
		p->dport = vnet_get16(h + 2);
		p->layers |= VNET_L_SCTP;
		hlen = SCTP_HLEN;
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		/* ICMP only over IPv4, ICMPv6 only over IPv6. */
		if ((p->ip_proto == IPPROTO_ICMP_) !=
		    !!(p->layers & VNET_L_IPV4))
			return;
		if (avail < ICMP_HLEN) {
			p->err = VNET_PKT_ERR_L4_SHORT;
			return;
		}
		p->icmp_type = h[0];
		p->icmp_code = h[1];
		p->layers |= VNET_L_ICMP;
		hlen = ICMP_HLEN;
		break;
	default:
		return;
	}
	p->payload_off = (uint16_t)(p->l4_off + hlen);
}

static void parse_arp(struct vnet_pkt *p, const uint8_t *h, size_t avail)
{
	if (avail < 8) {
		p->err = VNET_PKT_ERR_L3_SHORT;
		return;
	}
	/* Only Ethernet/IPv4 ARP (RFC 826 with hrd 1, pro 0x0800). */
	if (vnet_get16(h) != 1 || vnet_get16(h + 2) != VNET_ETH_P_IP ||
	    h[4] != 6 || h[5] != 4) {
		p->err = VNET_PKT_ERR_L3_BAD;
		return;
	}
	if (avail < 28) {
		p->err = VNET_PKT_ERR_L3_SHORT;
		return;
	}
	p->arp_op = vnet_get16(h + 6);
	vnet_addr_from_v4(&p->saddr, h + 14);
	vnet_addr_from_v4(&p->daddr, h + 24);
	p->l3_len = 28;
	p->layers |= VNET_L_ARP;
}

static void parse_ip4(struct vnet_pkt *p, const uint8_t *h, size_t avail)
{
	size_t ihl, tot;
	uint16_t frag;

	if (avail < 20) {
		p->err = VNET_PKT_ERR_L3_SHORT;
		return;
	}
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (h[0] >> 4 != 4 || ihl < 20) {
		p->err = VNET_PKT_ERR_L3_BAD;
		return;
	}
	if (ihl > avail) {
		p->err = VNET_PKT_ERR_L3_SHORT;
		return;
	}
	tot = vnet_get16(h + 2);
	if (tot < ihl) {
		p->err = VNET_PKT_ERR_L3_BAD;
		return;
	}
	/* Bytes beyond tot are Ethernet padding. */
	if (tot > avail) {
		p->err = VNET_PKT_ERR_L3_LEN;
		return;
	}
	p->l3_len = (uint16_t)tot;
	p->tos = h[1];
	p->ttl = h[8];
	p->ip_proto = h[9];
	vnet_addr_from_v4(&p->saddr, h + 12);
	vnet_addr_from_v4(&p->daddr, h + 16);
	p->layers |= VNET_L_IPV4;
	p->l4_off = (uint16_t)(p->l3_off + ihl);
	p->payload_off = p->l4_off;

	frag = vnet_get16(h + 6);
	if (frag & 0x3fff) { /* MF or an offset */
		p->layers |= VNET_L_FRAG;
		if (frag & 0x1fff)
			return;
	}
	parse_l4(p, p->l3_off + tot);
}

static void parse_ip6(struct vnet_pkt *p, const uint8_t *h, size_t avail)
{
	size_t off, end, hlen;
	uint8_t nh;
	int n;

	if (avail < 40) {
		p->err = VNET_PKT_ERR_L3_SHORT;
		return;
	}
	if (h[0] >> 4 != 6) {
		p->err = VNET_PKT_ERR_L3_BAD;
		return;
	}
	/* l3_len is 16 bits: a payload over 65495 bytes is not accepted
	 * (no jumbograms either: RFC 2675 payload length 0 fails below). */
	hlen = 40 + (size_t)vnet_get16(h + 4);
	if (hlen > avail || hlen > UINT16_MAX) {
		p->err = VNET_PKT_ERR_L3_LEN;
		return;
	}
	p->l3_len = (uint16_t)hlen;
	p->tos = (uint8_t)((h[0] & 0x0f) << 4 | h[1] >> 4);
	p->ttl = h[7];
	vnet_addr_from_v6(&p->saddr, h + 8);
	vnet_addr_from_v6(&p->daddr, h + 24);
	p->layers |= VNET_L_IPV6;

	end = p->l3_off + hlen;
	off = p->l3_off + 40;
	nh = h[6];
	for (n = 0;; n++) {
		const uint8_t *x = p->data + off;

		p->ip_proto = nh;
		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_ROUTING_ &&
		    nh != IPPROTO_FRAGMENT_ && nh != IPPROTO_DSTOPTS_ &&
		    nh != IPPROTO_AH_)
			break;
		/* RFC 8200 4.1: hop-by-hop options only right after the
		 * IPv6 header. */
		if (n == IP6_MAX_EXTHDRS || end - off < 8 ||
		    (nh == IPPROTO_HOPOPTS_ && n > 0)) {
			p->err = VNET_PKT_ERR_EXTHDR;
			return;
		}
		if (nh == IPPROTO_FRAGMENT_)
			hlen = 8;
		else if (nh == IPPROTO_AH_)
			hlen = ((size_t)x[1] + 2) * 4; /* RFC 4302 2.2 */
		else
			hlen = ((size_t)x[1] + 1) * 8;
		if (hlen > end - off) {
			p->err = VNET_PKT_ERR_EXTHDR;
			return;
		}
		off += hlen;
		if (nh == IPPROTO_FRAGMENT_) {
			uint16_t fo = vnet_get16(x + 2);

			/* Offset 0xfff8, M 0x0001.  RFC 6946: an atomic
			 * fragment (offset 0, M clear) is a whole packet.  A
			 * later fragment's next header is not ours to walk. */
			if (fo & 0xfff9)
				p->layers |= VNET_L_FRAG;
			if (fo & 0xfff8) {
				p->ip_proto = x[0];
				p->l4_off = (uint16_t)off;
				p->payload_off = p->l4_off;
				return;
			}
		}
		nh = x[0];
	}
	p->l4_off = (uint16_t)off;
	p->payload_off = p->l4_off;
	parse_l4(p, end);
}

int vnet_pkt_parse(const uint8_t *data, size_t len, struct vnet_pkt *p)
{
	size_t off = VNET_ETH_HLEN;
	uint16_t type, tci;

	memset(p, 0, sizeof(*p));
	p->data = data;
	p->len = len;
	if (len < VNET_ETH_HLEN)
		return -EINVAL;
	memcpy(p->dst, data, 6);
	memcpy(p->src, data + 6, 6);
	type = vnet_get16(data + 12);
	p->layers = VNET_L_ETH;

	while ((type == VNET_ETH_P_8021Q || type == VNET_ETH_P_8021AD) &&
	       p->ntags < 2) {
		if (len - off < VNET_VLAN_HLEN) {
			p->ethertype = type;
			p->err = VNET_PKT_ERR_VLAN_SHORT;
			return 0;
		}
		tci = vnet_get16(data + off);
		if (!p->ntags) {
			p->vlan = tci & 0x0fff;
			p->pcp = (uint8_t)(tci >> 13);
			p->layers |= VNET_L_VLAN;
		}
		p->ntags++;
		type = vnet_get16(data + off + 2);
		off += VNET_VLAN_HLEN;
	}
	p->ethertype = type;
	p->l3_off = (uint16_t)off;

	switch (type) {
	case VNET_ETH_P_ARP:
		parse_arp(p, data + off, len - off);
		break;
	case VNET_ETH_P_IP:
		parse_ip4(p, data + off, len - off);
		break;
	case VNET_ETH_P_IPV6:
		parse_ip6(p, data + off, len - off);
		break;
	}
	return 0;
}
