/* SPDX-License-Identifier: ISC */
/* tmpl.c -- frame templates: built once a size, patched a frame. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet-bench/stamp.h"
#include "vnet-bench/tmpl.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/pkt.h"

#define TCP_HLEN  20
#define ICMP_HLEN 8

static unsigned l4_hlen(const struct vnet_tmpl_conf *c)
{
	return c->proto == IPPROTO_TCP	 ? TCP_HLEN
	       : c->proto == IPPROTO_UDP ? VNET_UDP_HLEN
					 : ICMP_HLEN;
}

static unsigned l3_hlen(const struct vnet_tmpl_conf *c)
{
	return c->family == AF_INET6 ? VNET_IP6_HLEN : VNET_IP4_HLEN;
}

unsigned vnet_tmpl_min_size(const struct vnet_tmpl_conf *c)
{
	unsigned n = VNET_ETH_HLEN + (c->has_vlan ? VNET_VLAN_HLEN : 0) +
		     l3_hlen(c) + l4_hlen(c) + VNET_STAMP_LEN + VNET_FCS_LEN;

	return n < 64 ? 64 : n;
}

int vnet_tmpl_build(struct vnet_tmpl *t, const struct vnet_tmpl_conf *c,
		    unsigned size, struct vnet_err *e)
{
	unsigned min = vnet_tmpl_min_size(c), off = 0;
	uint8_t *b = t->buf;
	uint8_t proto = c->proto;
	struct vnet_addr none = {.family = (uint8_t)c->family};

	if (size < min || size > VNET_TMPL_MAX + VNET_FCS_LEN) {
		vnet_err_set(e, NULL, 0,
			     "frame size %u: this frame takes %u-%u bytes",
			     size, min, VNET_TMPL_MAX + VNET_FCS_LEN);
		return -EINVAL;
	}
	memset(t, 0, sizeof(*t));
	t->len = size - VNET_FCS_LEN;
	memcpy(b, c->dst_mac, 6);
	memcpy(b + 6, c->src_mac, 6);
	off = 12;
	if (c->has_vlan) {
		vnet_put16(b + off, VNET_ETH_P_8021Q);
		vnet_put16(b + off + 2, c->vlan);
		off += 4;
	}
	vnet_put16(b + off,
		   c->family == AF_INET6 ? VNET_ETH_P_IPV6 : VNET_ETH_P_IP);
	off += 2;
	t->l3 = (uint16_t)off;
	if (c->family == AF_INET6) {
		if (proto == IPPROTO_ICMP)
			proto = IPPROTO_ICMPV6;
		t->alen = 16;
		vnet_put32(b + off, 0x60000000u);
		vnet_put16(b + off + 4, t->len - off - VNET_IP6_HLEN);
		b[off + 6] = proto;
		b[off + 7] = 64;
		off += VNET_IP6_HLEN;
	} else {
		t->alen = 4;
		b[off] = 0x45;
		vnet_put16(b + off + 2, t->len - off);
		vnet_put16(b + off + 6, 0x4000); /* DF */
		b[off + 8] = 64;
		b[off + 9] = proto;
		t->ip_sum = vnet_csum_add(0, b + off, VNET_IP4_HLEN);
		off += VNET_IP4_HLEN;
	}
	t->l4 = (uint16_t)off;
	switch (proto) {
	case IPPROTO_UDP:
		vnet_put16(b + off + 4, t->len - off);
		t->l4csum = (uint16_t)(off + 6);
		t->pseudo = 1;
		break;
	case IPPROTO_TCP:
		b[off + 12] = 5 << 4;
		b[off + 13] = VNET_TCP_ACK | VNET_TCP_PSH;
		vnet_put16(b + off + 14, 65535);
		t->l4csum = (uint16_t)(off + 16);
		t->pseudo = 1;
		break;
	default: /* echo request */
		b[off] = proto == IPPROTO_ICMPV6 ? 128 : 8;
		vnet_put16(b + off + 4, c->stream);
		t->l4csum = (uint16_t)(off + 2);
		t->pseudo = proto == IPPROTO_ICMPV6;
		break;
	}
	t->stamp = (uint16_t)(off + l4_hlen(c));
	t->l4_sum = vnet_csum_add(0, b + off, t->len - off);
	if (t->pseudo)
		t->l4_sum +=
		    vnet_csum_pseudo(&none, &none, proto, t->len - off);
	return 0;
}

/* base + n in the low 32 bits of the address of alen bytes at p. */
static void addr_plus(uint8_t *p, const struct vnet_addr *base, unsigned alen,
		      uint32_t n)
{
	memcpy(p, base->b, alen);
	vnet_put32(p + alen - 4, vnet_get32(base->b + alen - 4) + n);
}

void vnet_tmpl_fill(struct vnet_tmpl *t, const struct vnet_tmpl_conf *c,
		    uint64_t k, uint32_t seq, uint64_t ts_ns)
{
	uint32_t f = (uint32_t)(k % c->nflows), m, sum;
	uint8_t *b = t->buf, *a = b + t->l3 + (t->alen == 4 ? 12 : 8);
	uint8_t *l4 = b + t->l4;
	const struct vnet_stamp s = {
	    .stream = c->stream, .seq = seq, .ts_ns = ts_ns};

	if (c->nmacs > 1) {
		m = (uint32_t)(k % c->nmacs) + ((uint32_t)c->src_mac[3] << 16 |
						(uint32_t)c->src_mac[4] << 8 |
						c->src_mac[5]);
		b[9] = (uint8_t)(m >> 16);
		b[10] = (uint8_t)(m >> 8);
		b[11] = (uint8_t)m;
	}
	addr_plus(a, &c->src, t->alen, c->vary & VNET_VARY_SRC_IP ? f : 0);
	addr_plus(a + t->alen, &c->dst, t->alen,
		  c->vary & VNET_VARY_DST_IP ? f : 0);
	if (c->proto != IPPROTO_ICMP) {
		vnet_put16(l4,
			   c->sport + (c->vary & VNET_VARY_SRC_PORT ? f : 0));
		vnet_put16(l4 + 2,
			   c->dport + (c->vary & VNET_VARY_DST_PORT ? f : 0));
	}
	vnet_stamp_put(b + t->stamp, &s);
	if (t->alen == 4)
		vnet_put16(b + t->l3 + 10,
			   vnet_csum_fold(vnet_csum_add(t->ip_sum, a, 8)));
	/* The constant part, then the words that changed. */
	sum = t->l4_sum;
	if (t->pseudo)
		sum = vnet_csum_add(sum, a, 2u * t->alen);
	if (c->proto != IPPROTO_ICMP)
		sum = vnet_csum_add(sum, l4, 4);
	sum = vnet_csum_add(sum, b + t->stamp, VNET_STAMP_LEN);
	sum = vnet_csum_fold(sum);
	if (!sum && c->proto == IPPROTO_UDP)
		sum = 0xffff;
	vnet_put16(b + t->l4csum, sum);
}
