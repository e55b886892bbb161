/* SPDX-License-Identifier: ISC */
/* pkt.c -- libFuzzer harness for the packet parser, the segment of a
 * frame, the flow hash and the checksum. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/csum.h"
#include "vnet/hash.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "../unit/refcsum.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check_pkt(const struct vnet_pkt *p, const uint8_t *data, size_t len,
		      int r)
{
	uint32_t l3 = p->layers & (VNET_L_ARP | VNET_L_IPV4 | VNET_L_IPV6);
	uint32_t l4 = p->layers &
		      (VNET_L_UDP | VNET_L_TCP | VNET_L_SCTP | VNET_L_ICMP);
	size_t l3_end = (size_t)p->l3_off + p->l3_len;

	CHECK(p->data == data && p->len == len);
	CHECK(p->err <= VNET_PKT_ERR_EXTHDR);
	CHECK(vnet_pkt_err_str(p->err) != NULL);
	if (len < VNET_ETH_HLEN) {
		CHECK(r == -EINVAL && p->layers == 0);
		return;
	}
	CHECK(r == 0 && (p->layers & VNET_L_ETH));
	CHECK(!(l3 & (l3 - 1)) && !(l4 & (l4 - 1)));
	CHECK(p->ntags <= 2);
	CHECK(!!(p->layers & VNET_L_VLAN) == (p->ntags > 0));
	CHECK(!(p->layers & VNET_L_VLAN) || p->vlan <= 0xfff);
	CHECK(p->l3_off <= len && p->l4_off <= len && p->payload_off <= len);
	CHECK(p->l3_off == 0 ||
	      p->l3_off == VNET_ETH_HLEN + VNET_VLAN_HLEN * p->ntags);

	if (p->layers & VNET_L_ARP) {
		CHECK(l3_end <= len && p->l3_len == 28);
		CHECK(p->saddr.family == AF_INET && p->daddr.family == AF_INET);
	}
	if (p->layers & (VNET_L_IPV4 | VNET_L_IPV6)) {
		int af = p->layers & VNET_L_IPV4 ? AF_INET : AF_INET6;

		CHECK(l3_end <= len);
		CHECK(p->saddr.family == af && p->daddr.family == af);
		CHECK(p->l3_len >= (af == AF_INET ? 20 : 40));
		if (p->l4_off) {
			CHECK(p->l4_off >=
			      p->l3_off + (af == AF_INET ? 20 : 40));
			CHECK(p->l4_off <= l3_end);
			CHECK(p->payload_off >= p->l4_off);
			CHECK(p->payload_off <= l3_end);
		} else {
			/* Only a bad IPv6 extension header chain stops
			 * before L4. */
			CHECK(p->err == VNET_PKT_ERR_EXTHDR && !l4);
		}
	} else {
		CHECK(!l4 && !(p->layers & VNET_L_FRAG));
		CHECK(p->l4_off == 0 && p->payload_off == 0);
		CHECK(p->err != VNET_PKT_ERR_EXTHDR);
		CHECK(p->err < VNET_PKT_ERR_L4_SHORT);
	}
	if (l4) {
		CHECK(p->payload_off > p->l4_off);
		CHECK(p->err == VNET_PKT_OK);
	} else if (p->l4_off) {
		CHECK(p->payload_off == p->l4_off);
	}
	if (p->err >= VNET_PKT_ERR_L3_SHORT && p->err <= VNET_PKT_ERR_L3_LEN)
		CHECK(!l3);
	if (p->err == VNET_PKT_ERR_VLAN_SHORT)
		CHECK(!l3 && p->l3_off == 0);
	if (p->layers & VNET_L_TCP)
		CHECK(p->payload_off - p->l4_off >= 20 &&
		      p->payload_off - p->l4_off <= 60);
	if (p->layers & (VNET_L_UDP | VNET_L_ICMP))
		CHECK(p->payload_off - p->l4_off == 8);
	if (p->layers & VNET_L_SCTP)
		CHECK(p->payload_off - p->l4_off == 12);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The segment (segment.h) against the parser's view of the tags. */
static void check_segment(const struct vnet_pkt *p, const uint8_t *data,
			  size_t len)
{
	uint16_t vid = 0xffff, vid2;
	size_t l2 = 99, l22;
	int k = vnet_segment_of(data, len, &vid, &l2);

	CHECK(k >= 0 && k < VNET_SEG_KIND_MAX);
	CHECK(strcmp(vnet_segment_str(k), "?") != 0);
	CHECK(vid <= 0xfff);
	/* Pure, and the optional pointers change nothing. */
	CHECK(vnet_segment_of(data, len, NULL, NULL) == k);
	CHECK(vnet_segment_of(data, len, &vid2, &l22) == k && vid2 == vid &&
	      l22 == l2);
	CHECK(vnet_segment_ok(k) == (l2 != 0));
	if (len < VNET_ETH_HLEN) {
		CHECK(k == VNET_SEG_RUNT && vid == 0);
		return;
	}
	switch (k) {
	case VNET_SEG_UNTAGGED:
		CHECK(p->ntags == 0 && vid == 0 && l2 == VNET_ETH_HLEN);
		CHECK(get16(data + 12) != VNET_ETH_P_8021Q &&
		      get16(data + 12) != VNET_ETH_P_8021AD);
		break;
	case VNET_SEG_PRIORITY:
	case VNET_SEG_TAGGED:
	case VNET_SEG_RESERVED_VID:
		CHECK(get16(data + 12) == VNET_ETH_P_8021Q);
		CHECK(p->ntags == 1 && p->vlan == vid);
		CHECK(p->ethertype == get16(data + 16));
		CHECK((k == VNET_SEG_PRIORITY) == (vid == 0));
		CHECK((k == VNET_SEG_RESERVED_VID) == (vid == 0xfff));
		CHECK(k == VNET_SEG_RESERVED_VID ||
		      l2 == VNET_ETH_HLEN + VNET_VLAN_HLEN);
		break;
	case VNET_SEG_STACKED:
		CHECK(get16(data + 12) == VNET_ETH_P_8021Q);
		/* Two tags, or the second one cut short. */
		CHECK(p->ntags == 2 ||
		      (p->ntags == 1 && p->err == VNET_PKT_ERR_VLAN_SHORT));
		CHECK(p->vlan == vid);
		break;
	case VNET_SEG_S_TAG:
		CHECK(get16(data + 12) == VNET_ETH_P_8021AD);
		CHECK(p->ntags >= 1 && p->vlan == vid);
		break;
	case VNET_SEG_RUNT:
		CHECK(p->ntags == 0 && p->err == VNET_PKT_ERR_VLAN_SHORT);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vnet_pkt p, q;
	uint32_t h0, h1, hs;
	uint16_t t;
	uint8_t m[6];
	int r;

	r = vnet_pkt_parse(data, len, &p);
	check_pkt(&p, data, len, r);
	/* Parsing is a pure function of the bytes. */
	vnet_pkt_parse(data, len, &q);
	CHECK(!memcmp(&p, &q, sizeof(p)));
	check_segment(&p, data, len);

	h0 = vnet_flow_hash(&p, 0x1234, 0);
	h1 = vnet_flow_hash(&p, 0x1234, 1);
	CHECK(h0 == vnet_flow_hash(&p, 0x1234, 0));
	CHECK(h1 == vnet_flow_hash(&p, 0x1234, 1));

	/* The reverse direction has the same symmetric hash. */
	q = p;
	q.saddr = p.daddr;
	q.daddr = p.saddr;
	t = q.sport;
	q.sport = q.dport;
	q.dport = t;
	memcpy(m, q.src, 6);
	memcpy(q.src, q.dst, 6);
	memcpy(q.dst, m, 6);
	hs = vnet_flow_hash(&q, 0x1234, 1);
	CHECK(hs == h1);
	/* One of the two directions is the canonical one. */
	CHECK(h1 == h0 || h1 == vnet_flow_hash(&q, 0x1234, 0));

	(void)vnet_hash_bytes(data, len, (uint32_t)len);
	CHECK(vnet_csum_fold(vnet_csum_add(0, data, len)) ==
	      ref_csum(data, len));
	if (len >= 2)
		CHECK(vnet_csum_fold(vnet_csum_add(0, data + 1, len - 1)) ==
		      ref_csum(data + 1, len - 1));
	if (p.layers & VNET_L_IPV4)
		(void)vnet_ip4_csum(data + p.l3_off,
				    (size_t)(data[p.l3_off] & 0x0f) * 4);
	if (p.layers & (VNET_L_IPV4 | VNET_L_IPV6) && p.l4_off)
		(void)vnet_csum_fold(vnet_csum_add(
			vnet_csum_pseudo(
				&p.saddr, &p.daddr, p.ip_proto,
				(uint32_t)(p.l3_off + p.l3_len - p.l4_off)),
			data + p.l4_off,
			(size_t)(p.l3_off + p.l3_len - p.l4_off)));
	return 0;
}
