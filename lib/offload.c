/* SPDX-License-Identifier: ISC */
/* offload.c -- virtio-net header, TCP segmentation and coalescing for taps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/offload.h"
#include "vnet/pkt.h"

#define TCP_CSUM_OFF 16
/* IPv4 total length, IPv6 40 + payload length. */
#define IP_MAX 65535
/* The pending super-frame: headers, then up to 64 KiB of IP packet. */
#define GRO_BUF_LEN (VNET_SEG_HDR_MAX + 65536)

/* The tap's virtio_net_hdr is in native byte order unless TUNSETVNETLE/BE
 * says otherwise (legacy virtio), i.e. little-endian on the hosts we run. */
void vnet_vhdr_decode(const uint8_t *b, struct vnet_vhdr *h)
{
	h->flags = b[0];
	h->gso_type = b[1];
	memcpy(&h->hdr_len, b + 2, 2);
	memcpy(&h->gso_size, b + 4, 2);
	memcpy(&h->csum_start, b + 6, 2);
	memcpy(&h->csum_offset, b + 8, 2);
	h->outer_th = h->inner_nh = 0;
}

void vnet_vhdr_encode(uint8_t *b, const struct vnet_vhdr *h)
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	memcpy(b + 2, &h->hdr_len, 2);
	memcpy(b + 4, &h->gso_size, 2);
	memcpy(b + 6, &h->csum_start, 2);
	memcpy(b + 8, &h->csum_offset, 2);
}

void vnet_vhdr_decode_tnl(const uint8_t *b, struct vnet_vhdr *h)
{
	vnet_vhdr_decode(b, h);
	/* 10..11 num_buffers, 12..15 hash value, 16..19 report, padding */
	h->outer_th = (uint16_t)(b[20] | b[21] << 8);
	h->inner_nh = (uint16_t)(b[22] | b[23] << 8);
}

void vnet_vhdr_encode_tnl(uint8_t *b, const struct vnet_vhdr *h)
{
	memset(b, 0, VNET_VHDR_TNL_LEN);
	vnet_vhdr_encode(b, h);
	b[20] = (uint8_t)h->outer_th;
	b[21] = (uint8_t)(h->outer_th >> 8);
	b[22] = (uint8_t)h->inner_nh;
	b[23] = (uint8_t)(h->inner_nh >> 8);
}

int vnet_vhdr_check(const struct vnet_vhdr *h, size_t len, int tunnel)
{
	unsigned tnl = h->gso_type & VNET_GSO_TUNNEL;
	unsigned type = h->gso_type & ~(VNET_GSO_TUNNEL | VNET_GSO_ECN);

	if (tnl && (!tunnel || tnl == VNET_GSO_TUNNEL))
		return -EINVAL;
	switch (type) {
	case VNET_GSO_NONE:
		if (tnl || (h->gso_type & VNET_GSO_ECN))
			return -EINVAL;
		break;
	case VNET_GSO_UDP_L4:
		if (h->gso_type & VNET_GSO_ECN)
			return -EINVAL;
		/* fall through */
	case VNET_GSO_TCPV4:
	case VNET_GSO_TCPV6:
		if (!(h->flags & VNET_VHDR_F_NEEDS_CSUM) || !h->gso_size ||
		    h->hdr_len > len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((h->flags & VNET_VHDR_F_NEEDS_CSUM) &&
	    (size_t)h->csum_start + h->csum_offset + 2 > len)
		return -EINVAL;
	if (tnl && (h->outer_th < 14 || h->outer_th + 8 > h->inner_nh ||
		    h->inner_nh + 20 > h->csum_start))
		return -EINVAL;
	return 0;
}

/*
 * Segmentation
 */

/* NEEDS_CSUM: the field holds the pseudo-header sum, so the checksum over
 * [csum_start, len) with it included is the final one.  A result of 0 is
 * stored as 0xffff, as skb_checksum_help() does (0 means "none" in UDP). */
void vnet_csum_complete(uint8_t *frame, size_t len, const struct vnet_vhdr *h)
{
	uint16_t c = vnet_csum_fold(
	    vnet_csum_add(0, frame + h->csum_start, len - h->csum_start));

	vnet_put16(frame + h->csum_start + h->csum_offset, c ? c : 0xffff);
}

static int tcp_segment(const struct vnet_vhdr *h, uint8_t *frame, size_t len,
		       struct vnet_seg *out, unsigned max, uint8_t *scratch)
{
	unsigned want = VNET_L_IPV6;
	size_t hl, end, payload, off, n;
	unsigned i, nseg, ip_hl, tcp_hl, mss = h->gso_size;
	uint32_t seq0, base;
	uint16_t id0 = 0;
	uint8_t flags;
	struct vnet_pkt p;

	if ((h->gso_type & ~VNET_GSO_ECN) == VNET_GSO_TCPV4)
		want = VNET_L_IPV4;
	/* hdr_len is a hint we do not trust: the headers are parsed. */
	if (vnet_pkt_parse(frame, len, &p) < 0)
		return -EINVAL;
	if (!(p.layers & want) || !(p.layers & VNET_L_TCP) ||
	    (p.layers & VNET_L_FRAG) || p.err != VNET_PKT_OK)
		return -EINVAL;
	hl = p.payload_off;
	if (hl > VNET_SEG_HDR_MAX || !mss)
		return -EINVAL;
	/* Bytes past the IP packet are link padding and are not sent. */
	end = (size_t)p.l3_off + p.l3_len;
	payload = end - hl;
	nseg = payload ? (unsigned)((payload + mss - 1) / mss) : 1;
	if (nseg > max)
		return -ENOBUFS;

	ip_hl = p.l4_off - p.l3_off;
	tcp_hl = (unsigned)(hl - p.l4_off);
	seq0 = vnet_get32(frame + p.l4_off + 4);
	flags = frame[p.l4_off + 13];
	if (want == VNET_L_IPV4)
		id0 = vnet_get16(frame + p.l3_off + 4);
	base = vnet_csum_pseudo(&p.saddr, &p.daddr, IPPROTO_TCP, 0);

	for (i = 0, off = 0; i < nseg; i++, off += mss) {
		uint8_t *hdr = scratch + (size_t)i * VNET_SEG_HDR_MAX;
		uint8_t *ip = hdr + p.l3_off, *tcp = hdr + p.l4_off;
		uint8_t f = flags;
		uint32_t sum;

		n = payload - off < mss ? payload - off : mss;
		memcpy(hdr, frame, hl);
		if (want == VNET_L_IPV4) {
			vnet_put16(ip + 2, (uint32_t)(ip_hl + tcp_hl + n));
			vnet_put16(ip + 4, (uint16_t)(id0 + i));
			vnet_put16(ip + 10, 0);
			vnet_put16(ip + 10, vnet_ip4_csum(ip, ip_hl));
		} else {
			/* Extension headers + TCP header + data. */
			vnet_put16(ip + 4, (uint32_t)(hl - p.l3_off - 40 + n));
		}
		vnet_put32(tcp + 4, seq0 + (uint32_t)off);
		if (i + 1 < nseg)
			f &= (uint8_t)~(VNET_TCP_FIN | VNET_TCP_PSH);
		if (i)
			f &= (uint8_t)~VNET_TCP_CWR;
		tcp[13] = f;
		vnet_put16(tcp + TCP_CSUM_OFF, 0);
		/* The header has an even length, so the payload slice can be
		 * summed on from it without being copied next to it. */
		sum = vnet_csum_add(base + tcp_hl + (uint32_t)n, tcp, tcp_hl);
		sum = vnet_csum_add(sum, frame + hl + off, n);
		vnet_put16(tcp + TCP_CSUM_OFF, vnet_csum_fold(sum));

		out[i].hdr = hdr;
		out[i].hdr_len = (uint16_t)hl;
		out[i].data = frame + hl + off;
		out[i].data_len = (uint32_t)n;
	}
	return (int)nseg;
}

int vnet_gso_segment(const struct vnet_vhdr *h, uint8_t *frame, size_t len,
		     struct vnet_seg *out, unsigned max, uint8_t *scratch)
{
	switch (h->gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_NONE:
	case VNET_GSO_TCPV4:
	case VNET_GSO_TCPV6:
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if ((h->flags & VNET_VHDR_F_NEEDS_CSUM) &&
	    (size_t)h->csum_start + h->csum_offset + 2 > len)
		return -EINVAL;
	if (h->gso_type == VNET_GSO_ECN)
		return -EINVAL;
	if (h->gso_type != VNET_GSO_NONE)
		return tcp_segment(h, frame, len, out, max, scratch);

	if (!max)
		return -ENOBUFS;
	if (h->flags & VNET_VHDR_F_NEEDS_CSUM)
		vnet_csum_complete(frame, len, h);
	out[0].hdr = NULL;
	out[0].hdr_len = 0;
	out[0].data = frame;
	out[0].data_len = (uint32_t)len;
	return 1;
}

/*
 * Coalescing
 *
 * The pending super-frame lives in buf: while one segment is pending it is
 * that frame byte for byte (padding included); from the second on, buf
 * holds the first segment's headers and the payloads one after another,
 * and the headers are fixed up in vnet_gro_take().  The first segment's
 * header bytes are the reference every later segment is compared with.
 */
struct vnet_gro {
	uint8_t *buf;
	size_t len;    /* bytes of buf to hand out */
	size_t ip_end; /* end of the IP packet in buf */
	unsigned n;    /* segments pending */
	int ended;     /* a short or PSH/CWR segment closed the run */
	int v6;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t hl;  /* Ethernet + IP + TCP headers */
	uint16_t mss; /* the first segment's payload */
	uint32_t next_seq;
};

struct vnet_gro *vnet_gro_new(void)
{
	struct vnet_gro *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->buf = malloc(GRO_BUF_LEN);
	if (!g->buf) {
		free(g);
		return NULL;
	}
	return g;
}

void vnet_gro_free(struct vnet_gro *g)
{
	if (!g)
		return;
	free(g->buf);
	free(g);
}

unsigned vnet_gro_pending(const struct vnet_gro *g)
{
	return g->n;
}

/* Is the frame a coalescing candidate?  Fills *p; 1 or 0. */
static int gro_candidate(const uint8_t *frame, size_t len, struct vnet_pkt *p)
{
	size_t end, l4_len;
	uint32_t sum;

	if (len > GRO_BUF_LEN || vnet_pkt_parse(frame, len, p) < 0)
		return 0;
	if (!(p->layers & VNET_L_TCP) || p->err != VNET_PKT_OK ||
	    (p->layers & VNET_L_FRAG) || p->ntags > 1)
		return 0;
	/* No IPv4 options, no IPv6 extension headers. */
	if (p->l4_off - p->l3_off != (p->layers & VNET_L_IPV4 ? 20 : 40))
		return 0;
	if (p->tcp_flags &
	    (VNET_TCP_SYN | VNET_TCP_FIN | VNET_TCP_RST | VNET_TCP_URG))
		return 0;
	end = (size_t)p->l3_off + p->l3_len;
	if (end == p->payload_off)
		return 0;
	/* A segment is checked before it loses its own checksums; the IPv4
	 * header checksum is rewritten for the super-frame, so a corrupt
	 * header must not be laundered either. */
	if ((p->layers & VNET_L_IPV4) && vnet_ip4_csum(frame + p->l3_off, 20))
		return 0;
	l4_len = end - p->l4_off;
	sum = vnet_csum_pseudo(&p->saddr, &p->daddr, IPPROTO_TCP,
			       (uint32_t)l4_len);
	if (vnet_csum_fold(vnet_csum_add(sum, frame + p->l4_off, l4_len)))
		return 0;
	return 1;
}

/* Does the candidate continue the pending run (same flow, same link
 * header, same IP and TCP header fields but for the lengths, IPv4 ID and
 * checksums, seq, PSH)? */
static int gro_continues(const struct vnet_gro *g, const uint8_t *frame,
			 const struct vnet_pkt *p)
{
	const uint8_t *a = g->buf, *b = frame;
	const uint8_t *ta = a + g->l4_off, *tb = b + p->l4_off;

	if (!!(p->layers & VNET_L_IPV6) != g->v6 || p->l3_off != g->l3_off ||
	    p->payload_off != g->hl)
		return 0;
	/* MACs, VLAN tag, EtherType. */
	if (memcmp(a, b, g->l3_off))
		return 0;
	a += g->l3_off;
	b += g->l3_off;
	if (!g->v6) {
		/* Version/IHL, TOS; DF (MF and offset are 0); TTL, protocol;
		 * addresses. */
		if (memcmp(a, b, 2) || ((a[6] ^ b[6]) & 0x40) ||
		    memcmp(a + 8, b + 8, 2) || memcmp(a + 12, b + 12, 8))
			return 0;
	} else {
		/* Version, traffic class, flow label; next header, hop
		 * limit, addresses. */
		if (memcmp(a, b, 4) || memcmp(a + 6, b + 6, 34))
			return 0;
	}
	/* Ports; ack; data offset and flags but PSH; window; options. */
	if (memcmp(ta, tb, 4) || memcmp(ta + 8, tb + 8, 5) ||
	    ((ta[13] ^ tb[13]) & (uint8_t)~VNET_TCP_PSH) ||
	    memcmp(ta + 14, tb + 14, 2) ||
	    memcmp(ta + 20, tb + 20, (size_t)(g->hl - g->l4_off - 20)))
		return 0;
	return vnet_get32(tb + 4) == g->next_seq;
}

int vnet_gro_add(struct vnet_gro *g, const uint8_t *frame, size_t len)
{
	struct vnet_pkt p;
	size_t payload;
	uint8_t flags;

	if (!gro_candidate(frame, len, &p))
		return 0;
	payload = (size_t)p.l3_off + p.l3_len - p.payload_off;
	flags = frame[p.l4_off + 13];

	if (!g->n) {
		memcpy(g->buf, frame, len);
		g->len = len;
		g->ip_end = (size_t)p.l3_off + p.l3_len;
		g->v6 = !!(p.layers & VNET_L_IPV6);
		g->l3_off = p.l3_off;
		g->l4_off = p.l4_off;
		g->hl = p.payload_off;
		g->mss = (uint16_t)payload;
		g->next_seq =
			vnet_get32(frame + p.l4_off + 4) + (uint32_t)payload;
		g->ended = !!(flags & (VNET_TCP_PSH | VNET_TCP_CWR));
		g->n = 1;
		return 1;
	}

	if (g->ended || payload > g->mss ||
	    g->ip_end - g->l3_off + payload > IP_MAX ||
	    !gro_continues(g, frame, &p))
		return -EAGAIN;

	memcpy(g->buf + g->ip_end, frame + p.payload_off, payload);
	g->ip_end += payload;
	g->len = g->ip_end; /* drops the first frame's padding */
	g->next_seq += (uint32_t)payload;
	g->n++;
	if (flags & VNET_TCP_PSH)
		g->buf[g->l4_off + 13] |= VNET_TCP_PSH;
	if (payload < g->mss || (flags & VNET_TCP_PSH))
		g->ended = 1;
	return 1;
}

unsigned vnet_gro_take(struct vnet_gro *g, struct vnet_vhdr *h,
		       const uint8_t **frame, size_t *len)
{
	unsigned n = g->n;
	uint8_t *ip = g->buf + g->l3_off, *tcp = g->buf + g->l4_off;
	struct vnet_addr src, dst;
	uint32_t sum;

	memset(h, 0, sizeof(*h));
	*frame = NULL;
	*len = 0;
	if (!n)
		return 0;
	g->n = 0;
	*frame = g->buf;
	*len = g->len;
	if (n == 1)
		return 1;

	if (!g->v6) {
		vnet_put16(ip + 2, (uint32_t)(g->ip_end - g->l3_off));
		vnet_put16(ip + 10, 0);
		vnet_put16(ip + 10, vnet_ip4_csum(ip, 20));
		vnet_addr_from_v4(&src, ip + 12);
		vnet_addr_from_v4(&dst, ip + 16);
	} else {
		vnet_put16(ip + 4, (uint32_t)(g->ip_end - g->l3_off - 40));
		vnet_addr_from_v6(&src, ip + 8);
		vnet_addr_from_v6(&dst, ip + 24);
	}
	/* CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented;
	 * whoever completes it sums from csum_start over this field. */
	sum = vnet_csum_pseudo(&src, &dst, IPPROTO_TCP,
			       (uint32_t)(g->ip_end - g->l4_off));
	vnet_put16(tcp + TCP_CSUM_OFF, (uint16_t)~vnet_csum_fold(sum));

	h->flags = VNET_VHDR_F_NEEDS_CSUM;
	h->gso_type = g->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
	h->hdr_len = g->hl;
	h->gso_size = g->mss;
	h->csum_start = g->l4_off;
	h->csum_offset = TCP_CSUM_OFF;
	return n;
}
