/* SPDX-License-Identifier: ISC */
/* test_pkt.c -- unit tests for packet parsing, checksums and the flow hash. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/hash.h"
#include "vnet/pkt.h"
#include "refcsum.h"

/* A frame under construction: bytes appended in wire order. */
struct fb {
	uint8_t b[2048];
	size_t n;
};

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

static void w8(struct fb *f, unsigned int v)
{
	f->b[f->n++] = (uint8_t)v;
}

static void w16(struct fb *f, unsigned int v)
{
	vnet_put16(f->b + f->n, v);
	f->n += 2;
}

static void w32(struct fb *f, uint32_t v)
{
	vnet_put32(f->b + f->n, v);
	f->n += 4;
}

static void wmem(struct fb *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void wzero(struct fb *f, size_t n)
{
	memset(f->b + f->n, 0, n);
	f->n += n;
}

static void set16(struct fb *f, size_t off, unsigned int v)
{
	vnet_put16(f->b + off, v);
}

/* Ethernet header; returns nothing, the EtherType is written by caller. */
static void eth(struct fb *f, const uint8_t *dst, const uint8_t *src)
{
	f->n = 0;
	wmem(f, dst, 6);
	wmem(f, src, 6);
}

/* A 20-byte IPv4 header (+ opt_words of NOP options) with its checksum;
 * returns its offset.  The total length is patched by ip4_done(). */
static size_t ip4(struct fb *f, uint8_t proto, uint32_t s, uint32_t d,
		  uint16_t frag, int opt_words)
{
	size_t off = f->n;
	int i;

	w8(f, 0x40 | (5 + opt_words));
	w8(f, 0xb8); /* DSCP EF, ECN 0 */
	w16(f, 0);
	w16(f, 0x1234);
	w16(f, frag);
	w8(f, 64);
	w8(f, proto);
	w16(f, 0);
	w32(f, s);
	w32(f, d);
	for (i = 0; i < opt_words * 4; i++)
		w8(f, 1);
	return off;
}

static void ip4_done(struct fb *f, size_t off)
{
	size_t hl = (size_t)(f->b[off] & 0xf) * 4;

	set16(f, off + 2, (unsigned int)(f->n - off));
	set16(f, off + 10, 0);
	set16(f, off + 10, ref_csum(f->b + off, hl));
}

/* 2001:db8::1 and 2001:db8::2 */
static const uint8_t a6_s[16] = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01";
static const uint8_t a6_d[16] = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02";

static size_t ip6(struct fb *f, uint8_t nh, const uint8_t *s, const uint8_t *d)
{
	size_t off = f->n;

	w32(f, 0x6a512345); /* traffic class 0xa5, flow label 0x12345 */
	w16(f, 0);
	w8(f, nh);
	w8(f, 33);
	wmem(f, s, 16);
	wmem(f, d, 16);
	return off;
}

static void ip6_done(struct fb *f, size_t off)
{
	set16(f, off + 4, (unsigned int)(f->n - off - 40));
}

/* An extension header of 8 * (1 + len8) bytes. */
static void ext6(struct fb *f, uint8_t nh, uint8_t len8)
{
	w8(f, nh);
	w8(f, len8);
	wzero(f, 6 + 8 * (size_t)len8);
}

static size_t udp(struct fb *f, uint16_t sp, uint16_t dp, size_t plen)
{
	size_t off = f->n, i;

	w16(f, sp);
	w16(f, dp);
	w16(f, (unsigned int)(8 + plen));
	w16(f, 0);
	for (i = 0; i < plen; i++)
		w8(f, 'a' + i % 26);
	return off;
}

static size_t tcp(struct fb *f, uint16_t sp, uint16_t dp, uint8_t flags,
		  int doff, size_t plen)
{
	size_t off = f->n, i;

	w16(f, sp);
	w16(f, dp);
	w32(f, 1000);
	w32(f, 2000);
	w8(f, (unsigned int)doff << 4);
	w8(f, flags);
	w16(f, 65535);
	w16(f, 0);
	w16(f, 0);
	for (i = 20; i < (size_t)doff * 4; i++)
		w8(f, 1); /* NOP options */
	for (i = 0; i < plen; i++)
		w8(f, i);
	return off;
}

/* Parse a copy of exactly n bytes so ASan sees any read beyond it. */
static int parse_n(const struct fb *f, size_t n, struct vnet_pkt *p,
		   uint8_t **copy)
{
	int r;

	*copy = malloc(n ? n : 1);
	memcpy(*copy, f->b, n);
	r = vnet_pkt_parse(*copy, n, p);
	return r;
}

/* What must hold for any parse result. */
static int consistent(const struct vnet_pkt *p)
{
	uint32_t l4 = p->layers &
		      (VNET_L_UDP | VNET_L_TCP | VNET_L_ICMP | VNET_L_SCTP);
	uint32_t l3 = p->layers & (VNET_L_ARP | VNET_L_IPV4 | VNET_L_IPV6);

	if (!(p->layers & VNET_L_ETH))
		return p->layers == 0 && p->len < VNET_ETH_HLEN;
	if (l3 & (l3 - 1) || l4 & (l4 - 1))
		return 0;
	if ((l4 || (p->layers & VNET_L_FRAG)) &&
	    !(l3 & (VNET_L_IPV4 | VNET_L_IPV6)))
		return 0;
	if (p->l3_off > p->len || p->l4_off > p->len || p->payload_off > p->len)
		return 0;
	if (l3 && (size_t)p->l3_off + p->l3_len > p->len)
		return 0;
	if (l4 && (p->l4_off < p->l3_off + 20 || p->payload_off <= p->l4_off ||
		   p->payload_off > p->l3_off + p->l3_len))
		return 0;
	if (p->err >= VNET_PKT_ERR_L4_SHORT && p->err <= VNET_PKT_ERR_L4_BAD &&
	    l4)
		return 0;
	if (p->err >= VNET_PKT_ERR_L3_SHORT && p->err <= VNET_PKT_ERR_L3_LEN &&
	    l3)
		return 0;
	if (p->err == VNET_PKT_ERR_VLAN_SHORT && (l3 || p->l3_off))
		return 0;
	return 1;
}

static int parse(const struct fb *f, struct vnet_pkt *p)
{
	uint8_t *c;
	int r = parse_n(f, f->n, p, &c);

	T_ASSERT(consistent(p));
	free(c);
	return r;
}

/* --- Ethernet and VLAN --- */

static void test_eth(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t n;
	uint8_t *c;

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_TEB);
	wzero(&f, 46);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH);
	T_EQ(p.err, VNET_PKT_OK);
	T_MEMEQ(p.dst, mac_b, 6);
	T_MEMEQ(p.src, mac_a, 6);
	T_EQ(p.ethertype, VNET_ETH_P_TEB);
	T_EQ(p.l3_off, 14);
	T_EQ(p.ntags, 0);
	T_ASSERT(p.data != NULL);
	T_EQ(p.len, 60);

	for (n = 0; n < VNET_ETH_HLEN; n++) {
		T_EQ(parse_n(&f, n, &p, &c), -EINVAL);
		T_EQ(p.layers, 0);
		free(c);
	}
	T_EQ(parse_n(&f, VNET_ETH_HLEN, &p, &c), 0);
	T_EQ(p.layers, VNET_L_ETH);
	free(c);
}

static void test_vlan(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	/* One 802.1Q tag, PCP 5, VID 100, then UDP/IPv4. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 5 << 13 | 100);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 0xc6120001, 0xc6120002, 0, 0);
	udp(&f, 1000, 53, 4);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN | VNET_L_IPV4 | VNET_L_UDP);
	T_EQ(p.vlan, 100);
	T_EQ(p.pcp, 5);
	T_EQ(p.ntags, 1);
	T_EQ(p.ethertype, VNET_ETH_P_IP);
	T_EQ(p.l3_off, 18);
	T_EQ(p.l4_off, 38);
	T_EQ(p.payload_off, 46);

	/* QinQ: 802.1ad outer VID 10 (DEI set), 802.1Q inner VID 4095. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_8021AD);
	w16(&f, 3 << 13 | 1 << 12 | 10);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 4095);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 59, a6_s, a6_d);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN | VNET_L_IPV6);
	T_EQ(p.vlan, 10);
	T_EQ(p.pcp, 3);
	T_EQ(p.ntags, 2);
	T_EQ(p.ethertype, VNET_ETH_P_IPV6);
	T_EQ(p.l3_off, 22);
	T_EQ(p.ip_proto, 59);
	T_EQ(p.l4_off, 62);

	/* A third tag is not parsed: it is the EtherType. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 1);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 2);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 3);
	w16(&f, VNET_ETH_P_IP);
	wzero(&f, 40);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ntags, 2);
	T_EQ(p.vlan, 1);
	T_EQ(p.ethertype, VNET_ETH_P_8021Q);
	T_EQ(p.l3_off, 22);

	/* Tags cut short. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 7);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_VLAN_SHORT);
	T_EQ(p.layers, VNET_L_ETH);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 8);
	w8(&f, 0x08);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_VLAN_SHORT);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN);
	T_EQ(p.vlan, 7);
	T_EQ(p.ntags, 1);
}

/* --- ARP --- */

static void arp_frame(struct fb *f, uint16_t hrd, uint16_t op)
{
	eth(f, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mac_a);
	w16(f, VNET_ETH_P_ARP);
	w16(f, hrd);
	w16(f, VNET_ETH_P_IP);
	w8(f, 6);
	w8(f, 4);
	w16(f, op);
	wmem(f, mac_a, 6);
	w32(f, 0xc6120001);
	wzero(f, 6);
	w32(f, 0xc6120002);
}

static void test_arp(void)
{
	struct fb f;
	struct vnet_pkt p;
	struct vnet_addr s, d;
	size_t n;
	uint8_t *c;

	vnet_addr_parse("198.18.0.1", &s);
	vnet_addr_parse("198.18.0.2", &d);
	arp_frame(&f, 1, 1);
	T_EQ(f.n, 42);
	wzero(&f, 18); /* padding to 60 */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_ARP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.arp_op, 1);
	T_ASSERT(vnet_addr_eq(&p.saddr, &s));
	T_ASSERT(vnet_addr_eq(&p.daddr, &d));
	T_EQ(p.l3_off, 14);
	T_EQ(p.l3_len, 28);

	arp_frame(&f, 1, 2);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.arp_op, 2);

	for (n = VNET_ETH_HLEN; n < 42; n++) {
		T_EQ(parse_n(&f, n, &p, &c), 0);
		T_ASSERT(consistent(&p));
		T_EQ(p.layers, VNET_L_ETH);
		T_EQ(p.err, VNET_PKT_ERR_L3_SHORT);
		free(c);
	}

	arp_frame(&f, 6, 1); /* IEEE 802 hardware: not Ethernet/IPv4 */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);
}

/* --- IPv4 --- */

static size_t tcp4_frame(struct fb *f, int opt_words, int doff, size_t plen)
{
	size_t ipo;

	eth(f, mac_b, mac_a);
	w16(f, VNET_ETH_P_IP);
	ipo = ip4(f, 6, 0xc6120001, 0xc6130002, 0x4000, opt_words);
	tcp(f, 40000, 443, 0x12, doff, plen);
	ip4_done(f, ipo);
	return ipo;
}

static void test_ip4_tcp(void)
{
	struct fb f;
	struct vnet_pkt p;
	struct vnet_addr s, d;

	vnet_addr_parse("198.18.0.1", &s);
	vnet_addr_parse("198.19.0.2", &d);

	/* 54 bytes of headers, padded to the 60-byte minimum. */
	tcp4_frame(&f, 0, 5, 0);
	wzero(&f, 6);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_TCP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ethertype, VNET_ETH_P_IP);
	T_EQ(p.l3_off, 14);
	T_EQ(p.l3_len, 40);
	T_EQ(p.l4_off, 34);
	T_EQ(p.payload_off, 54);
	T_EQ(p.ip_proto, 6);
	T_EQ(p.ttl, 64);
	T_EQ(p.tos, 0xb8);
	T_ASSERT(vnet_addr_eq(&p.saddr, &s));
	T_ASSERT(vnet_addr_eq(&p.daddr, &d));
	T_EQ(p.sport, 40000);
	T_EQ(p.dport, 443);
	T_EQ(p.tcp_flags, 0x12);
	T_EQ(p.vlan, 0);
	T_EQ(p.ntags, 0);
	T_EQ(vnet_ip4_csum(f.b + 14, 20), 0);

	/* IP options and TCP options. */
	tcp4_frame(&f, 3, 8, 100);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_TCP);
	T_EQ(p.l3_len, 32 + 32 + 100);
	T_EQ(p.l4_off, 14 + 32);
	T_EQ(p.payload_off, 14 + 32 + 32);
	T_EQ(vnet_ip4_csum(f.b + 14, 32), 0);
}

static void test_ip4_bad(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	ipo = tcp4_frame(&f, 0, 5, 10);
	f.b[ipo] = 0x55; /* version 5 */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);
	T_EQ(p.layers, VNET_L_ETH);

	f.b[ipo] = 0x44; /* IHL 4 */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);

	f.b[ipo] = 0x45;
	set16(&f, ipo + 2, 19); /* total length < IHL * 4 */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);

	set16(&f, ipo + 2, (unsigned int)(f.n - ipo + 1));
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_LEN);
	T_EQ(p.layers, VNET_L_ETH);

	set16(&f, ipo + 2, 20); /* IHL 6: total length < 24 */
	f.b[ipo] = 0x46;
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);
	set16(&f, ipo + 2, (unsigned int)(f.n - ipo));
	f.b[ipo] = 0x4f; /* a 60-byte header in a 50-byte frame */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_SHORT);
	T_EQ(p.layers, VNET_L_ETH);

	/* TCP data offset below 5, and beyond the packet. */
	ipo = tcp4_frame(&f, 0, 5, 10);
	f.b[ipo + 20 + 12] = 4 << 4;
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_BAD);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);
	T_EQ(p.payload_off, p.l4_off);
	f.b[ipo + 20 + 12] = 8 << 4; /* 32 bytes, 30 there */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);
}

/* A TCP/IPv4 packet whose IP total length (and frame) stops at each byte
 * of the TCP header: consistent headers, L4 cut short. */
static void test_ip4_l4_cut(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo, k;

	for (k = 0; k <= 40; k++) {
		ipo = tcp4_frame(&f, 0, 8, 8);
		f.n = ipo + 20 + k;
		ip4_done(&f, ipo);
		T_EQ(parse(&f, &p), 0);
		T_ASSERT(p.layers & VNET_L_IPV4);
		if (k < 32) { /* the header, then its 12 option bytes */
			T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);
		} else {
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_TCP);
			T_EQ(p.payload_off, ipo + 52);
		}
	}
	/* The same for UDP: the UDP length must fit the packet. */
	for (k = 0; k <= 12; k++) {
		eth(&f, mac_b, mac_a);
		w16(&f, VNET_ETH_P_IP);
		ipo = ip4(&f, 17, 1, 2, 0, 0);
		udp(&f, 1, 2, 4);
		f.n = ipo + 20 + k;
		ip4_done(&f, ipo);
		T_EQ(parse(&f, &p), 0);
		if (k < 8)
			T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
		else if (k < 12)
			T_EQ(p.err, VNET_PKT_ERR_L4_BAD);
		else
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_UDP);
	}
}

static void test_ip4_udp_icmp(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo, uo;

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 0xc6120001, 0xc6120002, 0, 0);
	uo = udp(&f, 5353, 4789, 30);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_UDP);
	T_EQ(p.sport, 5353);
	T_EQ(p.dport, 4789);
	T_EQ(p.l4_off, 34);
	T_EQ(p.payload_off, 42);

	set16(&f, uo + 4, 7);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_BAD);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);
	set16(&f, uo + 4, 39); /* one more than the packet holds */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_BAD);
	set16(&f, uo + 4, 20); /* shorter than the packet: fine */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_OK);
	T_ASSERT(p.layers & VNET_L_UDP);

	/* ICMP echo request. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 1, 0xc6120001, 0xc6120002, 0, 0);
	w8(&f, 8);
	w8(&f, 0);
	w16(&f, 0);
	w32(&f, 0x00010002);
	wzero(&f, 56);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_ICMP);
	T_EQ(p.icmp_type, 8);
	T_EQ(p.icmp_code, 0);
	T_EQ(p.ip_proto, 1);
	T_EQ(p.payload_off, 42);
	T_EQ(p.sport, 0);
	T_EQ(p.dport, 0);

	/* Destination unreachable cut to 7 bytes of ICMP. */
	f.b[ipo + 20] = 3;
	f.b[ipo + 21] = 4;
	f.n = ipo + 27;
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);

	/* Another protocol (GRE): no L4 layer, l4_off at its header. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 47, 1, 2, 0, 0);
	w32(&f, 0x20006558);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 47);
	T_EQ(p.l4_off, 34);
	T_EQ(p.payload_off, 34);
}

/* SCTP: the ports of the common header (RFC 9260 3.1), over IPv4 and
 * IPv6; a header cut short is an L4 error. */
static void test_sctp(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 132, 0xc6120001, 0xc6120002, 0, 0);
	w16(&f, 3868);
	w16(&f, 80);
	w32(&f, 0x01020304); /* verification tag */
	w32(&f, 0);	     /* checksum (not checked) */
	wzero(&f, 20);	     /* a chunk */
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_SCTP);
	T_EQ(p.ip_proto, 132);
	T_EQ(p.sport, 3868);
	T_EQ(p.dport, 80);
	T_EQ(p.l4_off, 34);
	T_EQ(p.payload_off, 46);
	T_ASSERT(consistent(&p));

	/* 11 bytes of common header: too short. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 132, 0xc6120001, 0xc6120002, 0, 0);
	wzero(&f, 11);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
	T_ASSERT(!(p.layers & VNET_L_SCTP));

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 132, a6_s, a6_d);
	w16(&f, 40000);
	w16(&f, 9899);
	wzero(&f, 8);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_SCTP);
	T_EQ(p.sport, 40000);
	T_EQ(p.dport, 9899);
	T_ASSERT(consistent(&p));
}

static void test_ip4_frag(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	/* First fragment: MF, offset 0; the UDP length covers the whole
	 * datagram, more than this fragment. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 1, 2, 0x2000, 0);
	udp(&f, 1111, 2222, 1000);
	f.n = ipo + 20 + 8 + 64;
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_FRAG | VNET_L_UDP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.sport, 1111);
	T_EQ(p.dport, 2222);

	/* A later fragment: no L4. */
	set16(&f, ipo + 6, 9); /* offset 72 bytes, last */
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_FRAG);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 17);
	T_EQ(p.sport, 0);
	T_EQ(p.l4_off, ipo + 20);
	T_EQ(p.payload_off, ipo + 20);

	/* DF alone is not a fragment. */
	set16(&f, ipo + 6, 0x4000);
	f.n = ipo + 20 + 8 + 1000;
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_UDP);
}

/* --- IPv6 --- */

static void test_ip6_udp(void)
{
	struct fb f;
	struct vnet_pkt p;
	struct vnet_addr s, d;
	size_t ipo;

	vnet_addr_parse("2001:db8::1", &s);
	vnet_addr_parse("2001:db8::2", &d);
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 17, a6_s, a6_d);
	udp(&f, 4789, 4790, 10);
	ip6_done(&f, ipo);
	wzero(&f, 4); /* trailing bytes beyond the payload length */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_UDP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.l3_off, 14);
	T_EQ(p.l3_len, 58);
	T_EQ(p.l4_off, 54);
	T_EQ(p.payload_off, 62);
	T_EQ(p.ip_proto, 17);
	T_EQ(p.tos, 0xa5);
	T_EQ(p.ttl, 33);
	T_ASSERT(vnet_addr_eq(&p.saddr, &s));
	T_ASSERT(vnet_addr_eq(&p.daddr, &d));
	T_EQ(p.sport, 4789);
	T_EQ(p.dport, 4790);

	f.b[ipo] = 0x4a; /* version 4 in an IPv6 EtherType */
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_BAD);
	T_EQ(p.layers, VNET_L_ETH);
	f.b[ipo] = 0x6a;
	set16(&f, ipo + 4, (unsigned int)(f.n - ipo - 40 + 1));
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L3_LEN);
	T_EQ(p.layers, VNET_L_ETH);
}

static void test_ip6_exthdr(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo, uo;
	int i;

	/* Hop-by-hop, routing, AH, destination options, then TCP. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 0, a6_s, a6_d);
	ext6(&f, 43, 0);
	ext6(&f, 51, 2);
	w8(&f, 60); /* AH: payload length 4 -> (4 + 2) * 4 = 24 bytes */
	w8(&f, 4);
	wzero(&f, 22);
	ext6(&f, 6, 1);
	uo = f.n;
	tcp(&f, 22, 50000, 0x18, 5, 3);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_TCP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 6);
	T_EQ(p.l4_off, uo);
	T_EQ(p.payload_off, uo + 20);
	T_EQ(p.sport, 22);
	T_EQ(p.tcp_flags, 0x18);

	/* An extension header longer than the payload. */
	f.b[ipo + 40 + 8 + 24 + 24 + 1] = 9;
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_EXTHDR);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6);
	T_EQ(p.l4_off, 0);

	/* Hop-by-hop anywhere but first. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 60, a6_s, a6_d);
	ext6(&f, 0, 0);
	ext6(&f, 17, 0);
	udp(&f, 1, 2, 0);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_EXTHDR);

	/* Eight extension headers are fine, nine are not. */
	for (i = 8; i <= 9; i++) {
		int j;

		eth(&f, mac_b, mac_a);
		w16(&f, VNET_ETH_P_IPV6);
		ipo = ip6(&f, 60, a6_s, a6_d);
		for (j = 0; j < i; j++)
			ext6(&f, j == i - 1 ? 17 : 60, 0);
		udp(&f, 1, 2, 0);
		ip6_done(&f, ipo);
		T_EQ(parse(&f, &p), 0);
		if (i == 8) {
			T_EQ(p.err, VNET_PKT_OK);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_UDP);
			T_EQ(p.l4_off, 14 + 40 + 8 * 8);
		} else {
			T_EQ(p.err, VNET_PKT_ERR_EXTHDR);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6);
		}
	}

	/* An extension header cut after fewer than 8 bytes. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 43, a6_s, a6_d);
	w8(&f, 17);
	w8(&f, 0);
	wzero(&f, 4);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_EXTHDR);

	/* No next header. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 60, a6_s, a6_d);
	ext6(&f, 59, 0);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 59);
	T_EQ(p.l4_off, 62);
}

static void frag6(struct fb *f, uint8_t nh, uint16_t off8, int more)
{
	w8(f, nh);
	w8(f, 0);
	w16(f, (unsigned int)(off8 << 3 | (more ? 1 : 0)));
	w32(f, 0xdeadbeef);
}

static void test_ip6_frag(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	/* First fragment: L4 parsed. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 44, a6_s, a6_d);
	frag6(&f, 17, 0, 1);
	udp(&f, 7, 8, 1000);
	f.n = ipo + 40 + 8 + 8 + 32;
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_FRAG | VNET_L_UDP);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 17);
	T_EQ(p.sport, 7);
	T_EQ(p.l4_off, 62);

	/* A later fragment. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 44, a6_s, a6_d);
	frag6(&f, 17, 5, 0);
	wzero(&f, 16);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_FRAG);
	T_EQ(p.err, VNET_PKT_OK);
	T_EQ(p.ip_proto, 17);
	T_EQ(p.l4_off, 62);
	T_EQ(p.payload_off, 62);

	/* An atomic fragment (RFC 6946) is a whole packet. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 44, a6_s, a6_d);
	frag6(&f, 17, 0, 0);
	udp(&f, 7, 8, 4);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_UDP);
}

static void test_icmp6(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	/* Neighbour solicitation. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 58, a6_s, a6_d);
	w8(&f, 135);
	w8(&f, 0);
	w16(&f, 0);
	w32(&f, 0);
	wmem(&f, a6_d, 16);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6 | VNET_L_ICMP);
	T_EQ(p.icmp_type, 135);
	T_EQ(p.icmp_code, 0);
	T_EQ(p.ip_proto, 58);
	T_EQ(p.payload_off, 62);

	f.n = ipo + 44;
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6);

	/* Protocol 1 is not ICMPv6. */
	f.b[ipo + 6] = 1;
	f.n = ipo + 48;
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV6);
	T_EQ(p.err, VNET_PKT_OK);
}

/* Every prefix of a valid frame parses within bounds, and fails at the
 * layer it cuts. */
static void test_prefixes(void)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo, n;
	uint8_t *c;

	tcp4_frame(&f, 1, 6, 12); /* 14 + 24 + 24 + 12 = 74 */
	T_EQ(f.n, 74);
	for (n = 0; n <= f.n; n++) {
		int r = parse_n(&f, n, &p, &c);

		T_ASSERT(consistent(&p));
		if (n < 14) {
			T_EQ(r, -EINVAL);
		} else if (n < 14 + 24) {
			T_EQ(r, 0);
			T_EQ(p.layers, VNET_L_ETH);
			T_EQ(p.err, VNET_PKT_ERR_L3_SHORT);
		} else if (n < f.n) {
			T_EQ(p.layers, VNET_L_ETH);
			T_EQ(p.err, VNET_PKT_ERR_L3_LEN);
		} else {
			T_EQ(p.layers, VNET_L_ETH | VNET_L_IPV4 | VNET_L_TCP);
			T_EQ(p.err, VNET_PKT_OK);
			T_EQ(p.payload_off, 62);
		}
		free(c);
	}

	/* VLAN-tagged UDP/IPv6 behind a destination options header. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_8021Q);
	w16(&f, 42);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 60, a6_s, a6_d);
	ext6(&f, 17, 1);
	udp(&f, 546, 547, 9);
	ip6_done(&f, ipo);
	T_EQ(f.n, 18 + 40 + 16 + 17);
	for (n = 0; n <= f.n; n++) {
		int r = parse_n(&f, n, &p, &c);

		T_ASSERT(consistent(&p));
		if (n < 14) {
			T_EQ(r, -EINVAL);
		} else if (n < 18) {
			T_EQ(p.err, VNET_PKT_ERR_VLAN_SHORT);
			T_EQ(p.layers, VNET_L_ETH);
		} else if (n < 18 + 40) {
			T_EQ(p.err, VNET_PKT_ERR_L3_SHORT);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN);
		} else if (n < f.n) {
			T_EQ(p.err, VNET_PKT_ERR_L3_LEN);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN);
		} else {
			T_EQ(p.err, VNET_PKT_OK);
			T_EQ(p.layers, VNET_L_ETH | VNET_L_VLAN | VNET_L_IPV6 |
					       VNET_L_UDP);
			T_EQ(p.l4_off, 18 + 40 + 16);
		}
		free(c);
	}

	/* The same with the payload length cut to match: errors move to
	 * the extension header and L4. */
	for (n = 0; n <= 16 + 17; n++) {
		f.n = ipo + 40 + n;
		ip6_done(&f, ipo);
		T_EQ(parse(&f, &p), 0);
		T_ASSERT(p.layers & VNET_L_IPV6);
		if (n < 16)
			T_EQ(p.err, VNET_PKT_ERR_EXTHDR);
		else if (n < 24)
			T_EQ(p.err, VNET_PKT_ERR_L4_SHORT);
		else if (n < 33)
			T_EQ(p.err, VNET_PKT_ERR_L4_BAD);
		else
			T_EQ(p.err, VNET_PKT_OK);
	}
}

static void test_err_str(void)
{
	int i, j;

	for (i = VNET_PKT_OK; i <= VNET_PKT_ERR_EXTHDR; i++) {
		T_ASSERT(vnet_pkt_err_str(i) && *vnet_pkt_err_str(i));
		for (j = 0; j < i; j++)
			T_ASSERT(strcmp(vnet_pkt_err_str(i),
					vnet_pkt_err_str(j)));
	}
	T_STREQ(vnet_pkt_err_str(-1), "unknown error");
	T_STREQ(vnet_pkt_err_str(VNET_PKT_ERR_EXTHDR + 1), "unknown error");
}

/* --- checksums --- */

static void test_csum_known(void)
{
	/* RFC 1071 3: the sum of these is 0xddf2. */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03,
				       0xf4, 0xf5, 0xf6, 0xf7 };
	/* An IPv4 header with its checksum 0xb861. */
	uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
			 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	T_EQ(vnet_csum_fold(vnet_csum_add(0, rfc, sizeof(rfc))), 0x220d);
	T_EQ(vnet_csum_fold(vnet_csum_add(0, rfc, 4) +
			    vnet_csum_add(0, rfc + 4, 4)),
	     0x220d);
	T_EQ(vnet_csum_fold(0), 0xffff);
	T_EQ(vnet_csum_fold(0xffff), 0);
	T_EQ(vnet_csum_fold(0x2ddf0), 0x220d);
	T_EQ(vnet_ip4_csum(ip, sizeof(ip)), 0);
	ip[10] = ip[11] = 0;
	T_EQ(vnet_ip4_csum(ip, sizeof(ip)), 0xb861);
	/* Odd length: the last byte is the high byte of a padded word. */
	T_EQ(vnet_csum_fold(vnet_csum_add(0, "\x12", 1)), (uint16_t)~0x1200);
	T_EQ(vnet_csum_fold(vnet_csum_add(0, "\x12\x34\x56", 3)),
	     (uint16_t) ~(0x1234 + 0x5600));
	T_EQ(vnet_csum_add(7, NULL, 0), 7);
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* The fast sum against the byte-pair reference, for every length up to
 * 300 at every alignment, and continued after even splits. */
static void test_csum_ref(void)
{
	static uint8_t buf[70000];
	size_t i, n, a, s;
	uint32_t sum;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	for (a = 0; a < 8; a++)
		for (n = 0; n <= 300; n++)
			T_EQ(vnet_csum_fold(vnet_csum_add(0, buf + a, n)),
			     ref_csum(buf + a, n));
	for (s = 0; s <= 64; s += 2) {
		sum = vnet_csum_add(0, buf + 1, s);
		sum = vnet_csum_add(sum, buf + 1 + s, 99 - s);
		T_EQ(vnet_csum_fold(sum), ref_csum(buf + 1, 99));
	}
	/* Many carries. */
	memset(buf, 0xff, sizeof(buf));
	T_EQ(vnet_csum_fold(vnet_csum_add(0, buf, sizeof(buf))), 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	T_EQ(vnet_csum_fold(vnet_csum_add(0, buf + 3, sizeof(buf) - 3)),
	     ref_csum(buf + 3, sizeof(buf) - 3));
	/* A large running sum is carried, not lost. */
	T_EQ(vnet_csum_fold(vnet_csum_add(0xfffffffe, buf, 100)),
	     (uint16_t)~ref_sum(buf, 100, 0xfffe + 0xffff));
}

/* The UDP checksum through the pseudo-header, against the reference over
 * an explicitly laid-out pseudo-header, and against values that tshark
 * 4.0 reports as correct for these very packets. */
static void test_csum_pseudo(void)
{
	struct fb f, ph;
	struct vnet_pkt p;
	size_t ipo, uo, ulen;
	uint16_t c, r;
	uint32_t sum;

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 0xc6120001, 0xc6120002, 0, 0);
	uo = udp(&f, 12345, 4789, 11);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	ulen = f.n - uo;
	sum = vnet_csum_pseudo(&p.saddr, &p.daddr, p.ip_proto, (uint32_t)ulen);
	c = vnet_csum_fold(vnet_csum_add(sum, f.b + uo, ulen));

	ph.n = 0;
	wmem(&ph, f.b + ipo + 12, 8);
	w8(&ph, 0);
	w8(&ph, 17);
	w16(&ph, (unsigned int)ulen);
	wmem(&ph, f.b + uo, ulen);
	r = ref_csum(ph.b, ph.n);
	T_EQ(c, r);
	T_EQ(c, 0xcab1);
	/* Stored, the packet sums to zero. */
	set16(&f, uo + 6, c);
	T_EQ(vnet_csum_fold(vnet_csum_add(sum, f.b + uo, ulen)), 0);

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 17, a6_s, a6_d);
	uo = udp(&f, 12345, 4789, 11);
	ip6_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	ulen = f.n - uo;
	sum = vnet_csum_pseudo(&p.saddr, &p.daddr, p.ip_proto, (uint32_t)ulen);
	c = vnet_csum_fold(vnet_csum_add(sum, f.b + uo, ulen));

	ph.n = 0;
	wmem(&ph, a6_s, 16);
	wmem(&ph, a6_d, 16);
	w32(&ph, (uint32_t)ulen);
	w8(&ph, 0);
	w8(&ph, 0);
	w8(&ph, 0);
	w8(&ph, 17);
	wmem(&ph, f.b + uo, ulen);
	r = ref_csum(ph.b, ph.n);
	T_EQ(c, r);
	T_EQ(c, 0xfb64);
	set16(&f, uo + 6, c);
	T_EQ(vnet_csum_fold(vnet_csum_add(sum, f.b + uo, ulen)), 0);

	/* A length over 16 bits (IPv6 jumbogram, RFC 2675) counts both
	 * halves. */
	sum = vnet_csum_pseudo(&p.saddr, &p.daddr, 17, 0x12345);
	ph.n = 0;
	wmem(&ph, a6_s, 16);
	wmem(&ph, a6_d, 16);
	w32(&ph, 0x12345);
	w32(&ph, 17);
	T_EQ(vnet_csum_fold(sum), ref_csum(ph.b, ph.n));
}

/* --- hashing --- */

static void test_hash_bytes(void)
{
	static const uint8_t z[64];
	uint32_t h[65];
	size_t i, j;
	int flips = 0, bit;
	uint8_t k[16];

	T_EQ(vnet_hash_bytes("vnet", 4, 1), vnet_hash_bytes("vnet", 4, 1));
	T_ASSERT(vnet_hash_bytes("vnet", 4, 1) !=
		 vnet_hash_bytes("vnet", 4, 2));
	T_ASSERT(vnet_hash_bytes("vnet", 4, 1) !=
		 vnet_hash_bytes("vneu", 4, 1));
	/* Zero-filled keys of different lengths differ. */
	for (i = 0; i <= 64; i++) {
		h[i] = vnet_hash_bytes(z, i, 0);
		for (j = 0; j < i; j++)
			T_ASSERT(h[i] != h[j]);
	}
	/* Avalanche: one flipped input bit flips about half the output. */
	for (i = 0; i < 16; i++)
		k[i] = (uint8_t)rng();
	for (bit = 0; bit < 128; bit++) {
		uint32_t a = vnet_hash_bytes(k, 16, 7), b;

		k[bit / 8] ^= (uint8_t)(1 << bit % 8);
		b = vnet_hash_bytes(k, 16, 7);
		k[bit / 8] ^= (uint8_t)(1 << bit % 8);
		flips += __builtin_popcount(a ^ b);
	}
	T_ASSERT(flips > 128 * 14 && flips < 128 * 18);
}

static void swap_dir(struct vnet_pkt *p)
{
	struct vnet_addr a = p->saddr;
	uint8_t m[6];
	uint16_t t = p->sport;

	p->saddr = p->daddr;
	p->daddr = a;
	p->sport = p->dport;
	p->dport = t;
	memcpy(m, p->src, 6);
	memcpy(p->src, p->dst, 6);
	memcpy(p->dst, m, 6);
}

static void check_sym(const struct fb *f)
{
	struct vnet_pkt p, q;

	T_EQ(parse(f, &p), 0);
	q = p;
	swap_dir(&q);
	T_EQ(vnet_flow_hash(&p, 9, 1), vnet_flow_hash(&q, 9, 1));
	T_ASSERT(vnet_flow_hash(&p, 9, 0) != vnet_flow_hash(&q, 9, 0));
	T_EQ(vnet_flow_hash(&p, 9, 0), vnet_flow_hash(&p, 9, 0));
	T_ASSERT(vnet_flow_hash(&p, 9, 0) != vnet_flow_hash(&p, 10, 0));
}

static void test_flow_sym(void)
{
	struct fb f;
	size_t ipo;

	tcp4_frame(&f, 0, 5, 0);
	check_sym(&f);

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IPV6);
	ipo = ip6(&f, 17, a6_s, a6_d);
	udp(&f, 4789, 4790, 10);
	ip6_done(&f, ipo);
	check_sym(&f);

	/* Same addresses, ports decide the order. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 0x7f000001, 0x7f000001, 0, 0);
	udp(&f, 1000, 2000, 0);
	ip4_done(&f, ipo);
	check_sym(&f);

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 1, 0xc6120001, 0xc6120002, 0, 0);
	wzero(&f, 8);
	ip4_done(&f, ipo);
	check_sym(&f);

	eth(&f, mac_b, mac_a);
	w16(&f, 0x88cc);
	wzero(&f, 46);
	check_sym(&f);
}

/* One packet's flow hash for a 5-tuple. */
static uint32_t hash4(uint8_t proto, uint32_t s, uint32_t d, uint16_t sp,
		      uint16_t dp, int sym)
{
	struct fb f;
	struct vnet_pkt p;
	size_t ipo;

	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, proto, s, d, 0, 0);
	if (proto == 6) {
		tcp(&f, sp, dp, 0x02, 5, 0);
	} else if (proto == 132) { /* the SCTP common header */
		w16(&f, sp);
		w16(&f, dp);
		wzero(&f, 8);
	} else {
		udp(&f, sp, dp, 0);
	}
	ip4_done(&f, ipo);
	vnet_pkt_parse(f.b, f.n, &p);
	return vnet_flow_hash(&p, 0x5eed, sym);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_flow_distinct(void)
{
	static uint32_t h[65536];
	size_t i, dup = 0;
	uint32_t base = hash4(6, 0xc6120001, 0xc6120002, 1000, 80, 0);

	/* Each field of the 5-tuple counts. */
	T_ASSERT(base != hash4(17, 0xc6120001, 0xc6120002, 1000, 80, 0));
	T_ASSERT(base != hash4(6, 0xc6120003, 0xc6120002, 1000, 80, 0));
	T_ASSERT(base != hash4(6, 0xc6120001, 0xc6120003, 1000, 80, 0));
	T_ASSERT(base != hash4(6, 0xc6120001, 0xc6120002, 1001, 80, 0));
	T_ASSERT(base != hash4(6, 0xc6120001, 0xc6120002, 1000, 81, 0));

	/* 65536 tuples differing in ports and addresses: a 32-bit hash
	 * should give about 0.5 collisions. */
	for (i = 0; i < 65536; i++)
		h[i] = hash4(i & 1 ? 6 : 17, 0xc6120000 + (uint32_t)(i >> 12),
			     0xc6130001, (uint16_t)(i * 7919),
			     (uint16_t)(i >> 4), i & 2);
	qsort(h, 65536, sizeof(h[0]), cmp_u32);
	for (i = 1; i < 65536; i++)
		dup += h[i] == h[i - 1];
	T_ASSERT(dup <= 4);
}

static void test_flow_fields(void)
{
	struct fb f;
	struct vnet_pkt p, q;
	size_t ipo;
	uint32_t h1, h2;

	/* VLAN tags are not part of the flow. */
	tcp4_frame(&f, 0, 5, 0);
	T_EQ(parse(&f, &p), 0);
	h1 = vnet_flow_hash(&p, 1, 0);
	memmove(f.b + 16, f.b + 12, f.n - 12);
	set16(&f, 12, VNET_ETH_P_8021Q);
	set16(&f, 14, 77);
	f.n += 4;
	T_EQ(parse(&f, &p), 0);
	T_EQ(p.vlan, 77);
	T_EQ(vnet_flow_hash(&p, 1, 0), h1);

	/* Fragments of one datagram hash alike, ports or not. */
	eth(&f, mac_b, mac_a);
	w16(&f, VNET_ETH_P_IP);
	ipo = ip4(&f, 17, 1, 2, 0x2000, 0);
	udp(&f, 1111, 2222, 100);
	f.n = ipo + 20 + 64;
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &p), 0);
	T_ASSERT(p.layers & VNET_L_UDP);
	h1 = vnet_flow_hash(&p, 1, 0);
	set16(&f, ipo + 6, 8);
	ip4_done(&f, ipo);
	T_EQ(parse(&f, &q), 0);
	T_ASSERT(!(q.layers & VNET_L_UDP));
	T_EQ(vnet_flow_hash(&q, 1, 0), h1);

	/* Non-IP: MACs and EtherType; the payload does not count. */
	eth(&f, mac_b, mac_a);
	w16(&f, 0x88b5);
	wzero(&f, 46);
	T_EQ(parse(&f, &p), 0);
	h1 = vnet_flow_hash(&p, 1, 0);
	f.b[20] = 1;
	T_EQ(parse(&f, &p), 0);
	T_EQ(vnet_flow_hash(&p, 1, 0), h1);
	set16(&f, 12, 0x88b6);
	T_EQ(parse(&f, &p), 0);
	h2 = vnet_flow_hash(&p, 1, 0);
	T_ASSERT(h1 != h2);

	/* The protocol counts even without ports. */
	T_ASSERT(hash4(6, 1, 2, 0, 0, 0) != hash4(17, 1, 2, 0, 0, 0));

	/* SCTP's ports count as TCP's and UDP's do (two associations
	 * between one pair of hosts are two flows), both ways alike. */
	T_ASSERT(hash4(132, 1, 2, 3868, 80, 0) !=
		 hash4(132, 1, 2, 3869, 80, 0));
	T_ASSERT(hash4(132, 1, 2, 3868, 80, 0) !=
		 hash4(132, 1, 2, 3868, 81, 0));
	T_EQ(hash4(132, 1, 2, 3868, 80, 1), hash4(132, 2, 1, 80, 3868, 1));
}

int main(void)
{
	T_RUN(test_eth);
	T_RUN(test_vlan);
	T_RUN(test_arp);
	T_RUN(test_ip4_tcp);
	T_RUN(test_ip4_bad);
	T_RUN(test_ip4_l4_cut);
	T_RUN(test_ip4_udp_icmp);
	T_RUN(test_sctp);
	T_RUN(test_ip4_frag);
	T_RUN(test_ip6_udp);
	T_RUN(test_ip6_exthdr);
	T_RUN(test_ip6_frag);
	T_RUN(test_icmp6);
	T_RUN(test_prefixes);
	T_RUN(test_err_str);
	T_RUN(test_csum_known);
	T_RUN(test_csum_ref);
	T_RUN(test_csum_pseudo);
	T_RUN(test_hash_bytes);
	T_RUN(test_flow_sym);
	T_RUN(test_flow_distinct);
	T_RUN(test_flow_fields);
	return T_DONE();
}
