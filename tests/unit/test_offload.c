/* SPDX-License-Identifier: ISC */
/* test_offload.c -- unit tests for TCP segmentation, checksum completion
 * and receive coalescing of tap super-frames.
 *
 * Every check of a checksum goes through ref_csum(), a byte-pair RFC 1071
 * sum over a pseudo-header laid out in bytes, not through lib/csum.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/offload.h"
#include "vnet/pkt.h"
#include "refcsum.h"

#define MSS4	1448
#define MSS6	1428

enum { CS_FULL, CS_PARTIAL, CS_BAD };

/* What build() lays out: Ethernet [802.1Q], IPv4 [4 bytes of options] or
 * IPv6, TCP [NOP NOP timestamps] or UDP, payload. */
struct tf {
	int v6, vlan, ip_opts, ts, udp, csum, mf, nodf;
	uint8_t flags, tos, ttl;
	uint16_t id, win, sport, dport;
	uint32_t seq, ack, tsval;
	const uint8_t *payload;
	size_t plen;
};

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t ip4_a[4] = {198, 18, 0, 1};
static const uint8_t ip4_b[4] = {198, 18, 0, 2};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static uint8_t pat[70000]; /* payload bytes */
static uint8_t sf[70000];  /* a super-frame */
static uint8_t sf2[70000]; /* a copy of it */
static uint8_t tmp[70100]; /* ref_l4_csum() */
static uint8_t scratch[VNET_SEG_MAX * VNET_SEG_HDR_MAX];
static struct vnet_seg segs[VNET_SEG_MAX];

/* The pseudo-header (RFC 768 / RFC 8200 8.1) as bytes in tmp. */
static size_t ref_pseudo_bytes(const uint8_t *ip, int v6, size_t l4len,
			       uint8_t proto)
{
	if (!v6) {
		memcpy(tmp, ip + 12, 8);
		tmp[8] = 0;
		tmp[9] = proto;
		vnet_put16(tmp + 10, (unsigned)l4len);
		return 12;
	}
	memcpy(tmp, ip + 8, 32);
	vnet_put32(tmp + 32, (uint32_t)l4len);
	tmp[36] = tmp[37] = tmp[38] = 0;
	tmp[39] = proto;
	return 40;
}

/* 0 when the L4 checksum in place is valid. */
static uint16_t ref_l4_csum(const uint8_t *ip, int v6, const uint8_t *l4,
			    size_t l4len, uint8_t proto)
{
	size_t n = ref_pseudo_bytes(ip, v6, l4len, proto);

	memcpy(tmp + n, l4, l4len);
	return ref_csum(tmp, n + l4len);
}

/* The folded pseudo-header sum, not complemented (CHECKSUM_PARTIAL). */
static uint16_t ref_pseudo(const uint8_t *ip, int v6, size_t l4len,
			   uint8_t proto)
{
	return (uint16_t)~ref_csum(tmp, ref_pseudo_bytes(ip, v6, l4len, proto));
}

static size_t l3_off(const struct tf *t)
{
	return t->vlan ? 18 : 14;
}

static size_t l4_off(const struct tf *t)
{
	return l3_off(t) + (t->v6 ? 40 : 20 + (t->ip_opts ? 4 : 0));
}

static size_t hdr_len(const struct tf *t)
{
	return l4_off(t) + (t->udp ? 8 : 20 + (t->ts ? 12 : 0));
}

static size_t build(uint8_t *b, const struct tf *t)
{
	size_t o = 0, l3 = l3_off(t), l4 = l4_off(t), hl = hdr_len(t);
	size_t l4len = hl - l4 + t->plen;
	uint8_t proto = t->udp ? 17 : 6;
	uint8_t *ip = b + l3, *th = b + l4;
	uint16_t c;

	memcpy(b, mac_a, 6);
	memcpy(b + 6, mac_b, 6);
	o = 12;
	if (t->vlan) {
		vnet_put16(b + o, 0x8100);
		vnet_put16(b + o + 2, (unsigned)t->vlan);
		o += 4;
	}
	vnet_put16(b + o, t->v6 ? 0x86dd : 0x0800);

	if (!t->v6) {
		ip[0] = t->ip_opts ? 0x46 : 0x45;
		ip[1] = t->tos;
		vnet_put16(ip + 2, (unsigned)(hl - l3 + t->plen));
		vnet_put16(ip + 4, t->id);
		vnet_put16(ip + 6, t->mf ? 0x2000 : t->nodf ? 0 : 0x4000);
		ip[8] = t->ttl;
		ip[9] = proto;
		vnet_put16(ip + 10, 0);
		memcpy(ip + 12, ip4_a, 4);
		memcpy(ip + 16, ip4_b, 4);
		if (t->ip_opts)
			memcpy(ip + 20, "\x01\x01\x01\x00", 4);
		vnet_put16(ip + 10, ref_csum(ip, l4 - l3));
	} else {
		vnet_put32(ip, 6u << 28 | (uint32_t)t->tos << 20 | 0x12345);
		vnet_put16(ip + 4, (unsigned)l4len);
		ip[6] = proto;
		ip[7] = t->ttl;
		memcpy(ip + 8, ip6_a, 16);
		memcpy(ip + 24, ip6_b, 16);
	}

	vnet_put16(th, t->sport);
	vnet_put16(th + 2, t->dport);
	if (t->udp) {
		vnet_put16(th + 4, (unsigned)l4len);
		vnet_put16(th + 6, 0);
	} else {
		vnet_put32(th + 4, t->seq);
		vnet_put32(th + 8, t->ack);
		th[12] = (uint8_t)((hl - l4) / 4 << 4);
		th[13] = t->flags;
		vnet_put16(th + 14, t->win);
		vnet_put32(th + 16, 0);
		if (t->ts) {
			memcpy(th + 20, "\x01\x01\x08\x0a", 4);
			vnet_put32(th + 24, t->tsval);
			vnet_put32(th + 28, 0x01020304);
		}
	}
	memcpy(b + hl, t->payload, t->plen);

	switch (t->csum) {
	case CS_PARTIAL:
		c = ref_pseudo(ip, t->v6, l4len, proto);
		break;
	case CS_FULL:
	case CS_BAD:
		c = ref_l4_csum(ip, t->v6, th, l4len, proto);
		if (t->csum == CS_BAD)
			c ^= 0x0100;
		break;
	default:
		c = 0;
	}
	vnet_put16(th + (t->udp ? 6 : 16), c);
	return hl + t->plen;
}

/* A data segment of an established IPv4 flow, fully checksummed. */
static struct tf seg4(uint32_t seq, size_t plen)
{
	struct tf t = {
	    .flags = VNET_TCP_ACK,
	    .tos = 0,
	    .ttl = 64,
	    .id = 0x1000,
	    .win = 502,
	    .sport = 40000,
	    .dport = 5201,
	    .seq = seq,
	    .ack = 0xabcdef01,
	    .ts = 1,
	    .tsval = 777,
	    .csum = CS_FULL,
	    .payload = pat + (seq - 1000) % 4096,
	    .plen = plen,
	};

	return t;
}

/* Run the segments through the checks every segment must pass: each is a
 * frame of its own with valid checksums, lengths, sequence numbers and
 * flags, and carries its slice of the super-frame's payload in place. */
static void check_segs(const struct vnet_seg *s, int n, const uint8_t *frame,
		       const struct tf *t, unsigned mss)
{
	size_t hl = hdr_len(t), l3 = l3_off(t), l4 = l4_off(t), tot = 0;
	static uint8_t f[VNET_SEG_HDR_MAX + 65536];
	int i, bad = 0;

	for (i = 0; i < n && !bad; i++) {
		size_t dl = s[i].data_len;
		uint8_t *ip = f + l3, *th = f + l4, want;

		bad = 1;
		T_EQ(s[i].hdr_len, hl);
		T_ASSERT(s[i].data == frame + hl + tot);
		T_EQ(dl, i + 1 < n ? mss : t->plen - tot);
		if (s[i].hdr_len != hl || dl > mss || dl > 65536)
			break;
		memcpy(f, s[i].hdr, hl);
		memcpy(f + hl, s[i].data, dl);
		T_MEMEQ(f, frame, l3);
		if (!t->v6) {
			T_EQ(ref_csum(ip, l4 - l3), 0);
			T_EQ(vnet_get16(ip + 2), hl - l3 + dl);
			T_EQ(vnet_get16(ip + 4), (uint16_t)(t->id + i));
			T_MEMEQ(ip + 6, frame + l3 + 6, 4);
			T_MEMEQ(ip + 12, frame + l3 + 12, l4 - l3 - 12);
		} else {
			T_EQ(vnet_get16(ip + 4), hl - l4 + dl);
			T_MEMEQ(ip, frame + l3, 4);
			T_MEMEQ(ip + 6, frame + l3 + 6, 34);
		}
		T_EQ(ref_l4_csum(ip, t->v6, th, hl - l4 + dl, 6), 0);
		T_EQ(vnet_get32(th + 4), t->seq + (uint32_t)tot);
		want = t->flags;
		if (i + 1 < n)
			want &= (uint8_t)~(VNET_TCP_FIN | VNET_TCP_PSH);
		if (i)
			want &= (uint8_t)~VNET_TCP_CWR;
		T_EQ(th[13], want);
		T_MEMEQ(th, frame + l4, 4);
		T_MEMEQ(th + 8, frame + l4 + 8, 5);
		T_MEMEQ(th + 14, frame + l4 + 14, 2);
		T_MEMEQ(th + 18, frame + l4 + 18, hl - l4 - 18);
		T_MEMEQ(f + hl, t->payload + tot, dl);
		tot += dl;
		bad = t_cur_failed;
	}
	T_EQ(tot, t->plen);
}

/* Offer every segment as a frame of its own; returns how many were taken
 * (stops at the first that was not). */
static int feed(struct vnet_gro *g, const struct vnet_seg *s, int n)
{
	static uint8_t f[VNET_SEG_HDR_MAX + 65536];
	int i;

	for (i = 0; i < n; i++) {
		memcpy(f, s[i].hdr, s[i].hdr_len);
		memcpy(f + s[i].hdr_len, s[i].data, s[i].data_len);
		if (vnet_gro_add(g, f, s[i].hdr_len + s[i].data_len) != 1)
			break;
	}
	return i;
}

static struct vnet_vhdr gso_vhdr(const struct tf *t, unsigned mss)
{
	struct vnet_vhdr h = {
	    .flags = VNET_VHDR_F_NEEDS_CSUM,
	    .gso_type = t->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
	    .hdr_len = (uint16_t)hdr_len(t),
	    .gso_size = (uint16_t)mss,
	    .csum_start = (uint16_t)l4_off(t),
	    .csum_offset = 16,
	};

	return h;
}

static void test_vhdr(void)
{
	static const uint8_t b[10] = {1, 4, 66, 0, 0xa8, 0x05, 34, 0, 16, 0};
	struct vnet_vhdr h;
	uint8_t out[10];

	vnet_vhdr_decode(b, &h);
	T_EQ(h.flags, VNET_VHDR_F_NEEDS_CSUM);
	T_EQ(h.gso_type, VNET_GSO_TCPV6);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	T_EQ(h.hdr_len, 66);
	T_EQ(h.gso_size, 1448);
	T_EQ(h.csum_start, 34);
	T_EQ(h.csum_offset, 16);
#endif
	memset(out, 0xee, sizeof(out));
	vnet_vhdr_encode(out, &h);
	T_MEMEQ(out, b, 10);
}

/* A 64 KiB TCPv4 super-frame with timestamps, as a TSO tap hands it out:
 * cut, checked segment by segment, coalesced back to the same bytes. */
static void test_gso_tcp4_roundtrip(void)
{
	struct tf t = seg4(1000, 45 * MSS4 + 123);
	struct vnet_vhdr h, h2;
	struct vnet_gro *g;
	const uint8_t *out;
	size_t len, olen;
	int n, i;

	t.flags = VNET_TCP_ACK | VNET_TCP_PSH;
	t.csum = CS_PARTIAL;
	t.payload = pat;
	len = build(sf, &t);
	T_EQ(vnet_get16(sf + 16), 65335);
	memcpy(sf2, sf, len);
	h = gso_vhdr(&t, MSS4);
	h.hdr_len = 0; /* only a hint: not used */

	n = vnet_gso_segment(&h, sf, len, segs, VNET_SEG_MAX, scratch);
	T_EQ(n, 46);
	if (n != 46)
		return;
	T_MEMEQ(sf, sf2, len); /* the payload is not touched */
	check_segs(segs, n, sf, &t, MSS4);

	g = vnet_gro_new();
	T_ASSERT(g != NULL);
	if (!g)
		return;
	T_EQ(feed(g, segs, n), 46);
	T_EQ(vnet_gro_pending(g), 46);
	T_EQ(vnet_gro_take(g, &h2, &out, &olen), 46);
	T_EQ(vnet_gro_pending(g), 0);
	T_EQ(h2.flags, VNET_VHDR_F_NEEDS_CSUM);
	T_EQ(h2.gso_type, VNET_GSO_TCPV4);
	T_EQ(h2.hdr_len, hdr_len(&t));
	T_EQ(h2.gso_size, MSS4);
	T_EQ(h2.csum_start, 34);
	T_EQ(h2.csum_offset, 16);
	T_EQ(olen, len);
	/* Same ID, a valid header checksum and the pseudo-header sum in the
	 * TCP checksum: the very bytes the tap handed out. */
	if (olen == len)
		T_MEMEQ(out, sf2, len);
	T_EQ(ref_csum(out + 14, 20), 0);

	/* And what comes out goes back in. */
	memcpy(sf, out, olen);
	h2.hdr_len = 0;
	n = vnet_gso_segment(&h2, sf, olen, segs, VNET_SEG_MAX, scratch);
	T_EQ(n, 46);
	if (n == 46)
		check_segs(segs, n, sf, &t, MSS4);
	T_EQ(vnet_gro_take(g, &h2, &out, &olen), 0);
	T_ASSERT(out == NULL && olen == 0 && h2.gso_type == 0);
	for (i = 0; i < 10; i++)
		T_EQ(((uint8_t *)&h2)[i], 0);
	vnet_gro_free(g);
}

static void test_gso_tcp6_roundtrip(void)
{
	struct tf t = seg4(5000, 28 * MSS6 + 17);
	struct vnet_vhdr h, h2;
	struct vnet_gro *g;
	const uint8_t *out;
	size_t len, olen;
	int n;

	t.v6 = 1;
	t.tos = 0x28;
	t.csum = CS_PARTIAL;
	t.payload = pat + 1; /* odd alignment of the slices */
	len = build(sf, &t);
	memcpy(sf2, sf, len);
	h = gso_vhdr(&t, MSS6);
	h.gso_type |= VNET_GSO_ECN;

	n = vnet_gso_segment(&h, sf, len, segs, VNET_SEG_MAX, scratch);
	T_EQ(n, 29);
	if (n != 29)
		return;
	check_segs(segs, n, sf, &t, MSS6);

	g = vnet_gro_new();
	T_ASSERT(g != NULL);
	if (!g)
		return;
	T_EQ(feed(g, segs, n), 29);
	T_EQ(vnet_gro_take(g, &h2, &out, &olen), 29);
	T_EQ(h2.flags, VNET_VHDR_F_NEEDS_CSUM);
	T_EQ(h2.gso_type, VNET_GSO_TCPV6);
	T_EQ(h2.hdr_len, 14 + 40 + 32);
	T_EQ(h2.gso_size, MSS6);
	T_EQ(h2.csum_start, 54);
	T_EQ(h2.csum_offset, 16);
	T_EQ(olen, len);
	if (olen == len)
		T_MEMEQ(out, sf2, len);
	vnet_gro_free(g);
}

/* FIN and PSH only on the last segment, CWR only on the first; VLAN tag
 * and IPv4 options are carried; a frame without payload is one segment. */
static void test_gso_flags(void)
{
	struct tf t = seg4(1000, 3 * 1000 - 1);
	struct vnet_vhdr h;
	size_t len;
	int n;

	t.flags = VNET_TCP_ACK | VNET_TCP_PSH | VNET_TCP_FIN | VNET_TCP_CWR;
	t.vlan = 42;
	t.ip_opts = 1;
	t.ts = 0;
	t.id = 0xffff; /* the ID wraps */
	t.csum = CS_PARTIAL;
	len = build(sf, &t);
	h = gso_vhdr(&t, 1000);
	n = vnet_gso_segment(&h, sf, len, segs, 3, scratch);
	T_EQ(n, 3);
	if (n == 3)
		check_segs(segs, n, sf, &t, 1000);

	/* gso_size larger than the payload: one segment, still fixed up. */
	h.gso_size = 5000;
	n = vnet_gso_segment(&h, sf, len, segs, 1, scratch);
	T_EQ(n, 1);
	if (n == 1)
		check_segs(segs, n, sf, &t, 5000);

	t.plen = 0;
	t.flags = VNET_TCP_ACK;
	len = build(sf, &t);
	n = vnet_gso_segment(&h, sf, len, segs, 1, scratch);
	T_EQ(n, 1);
	if (n == 1) {
		T_EQ(segs[0].data_len, 0);
		check_segs(segs, n, sf, &t, 5000);
	}

	/* Link padding after the IP packet is not payload. */
	t = seg4(1000, 2000);
	len = build(sf, &t);
	memset(sf + len, 0xaa, 8);
	h = gso_vhdr(&t, 1000);
	n = vnet_gso_segment(&h, sf, len + 8, segs, 2, scratch);
	T_EQ(n, 2);
	if (n == 2)
		check_segs(segs, n, sf, &t, 1000);
}

/* NEEDS_CSUM on a frame without GSO: completed in place. */
static void test_csum_complete(void)
{
	struct tf t = seg4(1000, 333);
	struct vnet_vhdr h = {.flags = VNET_VHDR_F_NEEDS_CSUM};
	size_t len;
	int n;

	/* UDP over IPv4, odd length. */
	t.udp = 1;
	t.csum = CS_PARTIAL;
	len = build(sf, &t);
	h.csum_start = 34;
	h.csum_offset = 6;
	n = vnet_gso_segment(&h, sf, len, segs, 1, scratch);
	T_EQ(n, 1);
	T_ASSERT(segs[0].hdr == NULL && segs[0].hdr_len == 0);
	T_ASSERT(segs[0].data == sf && segs[0].data_len == len);
	T_EQ(ref_l4_csum(sf + 14, 0, sf + 34, len - 34, 17), 0);
	T_ASSERT(vnet_get16(sf + 40) != 0);
	memcpy(sf2, sf, len);
	t.csum = CS_FULL;
	build(sf, &t);
	T_MEMEQ(sf, sf2, len);

	/* A UDP checksum that comes out 0 is sent as 0xffff: the first two
	 * payload bytes are set to the checksum they had as zeros, which
	 * makes the sum 0xffff. */
	{
		uint8_t pl[400];

		memcpy(pl, pat, t.plen);
		pl[0] = pl[1] = 0;
		t.payload = pl;
		t.csum = CS_FULL;
		build(sf, &t);
		memcpy(pl, sf + 40, 2);
		t.csum = CS_PARTIAL;
		len = build(sf, &t);
		n = vnet_gso_segment(&h, sf, len, segs, 1, scratch);
		T_EQ(n, 1);
		T_EQ(vnet_get16(sf + 40), 0xffff);
		T_EQ(ref_l4_csum(sf + 14, 0, sf + 34, len - 34, 17), 0);
	}

	/* TCP over IPv6 with a VLAN tag. */
	t = seg4(1000, 1001);
	t.v6 = 1;
	t.vlan = 7;
	t.csum = CS_PARTIAL;
	len = build(sf, &t);
	h.csum_start = 18 + 40;
	h.csum_offset = 16;
	n = vnet_gso_segment(&h, sf, len, segs, 4, scratch);
	T_EQ(n, 1);
	T_EQ(ref_l4_csum(sf + 18, 1, sf + 58, len - 58, 6), 0);
	memcpy(sf2, sf, len);
	t.csum = CS_FULL;
	build(sf, &t);
	T_MEMEQ(sf, sf2, len);

	/* No NEEDS_CSUM: the frame is passed as is. */
	memcpy(sf2, sf, len);
	h.flags = 0;
	h.csum_start = 1;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 1, scratch), 1);
	T_MEMEQ(sf, sf2, len);
	T_ASSERT(segs[0].data == sf && segs[0].data_len == len);
}

static void test_gso_errors(void)
{
	struct tf t = seg4(1000, 3000);
	struct vnet_vhdr h;
	size_t len;

	t.csum = CS_PARTIAL;
	len = build(sf, &t);
	memcpy(sf2, sf, len);

	h = gso_vhdr(&t, 1000);
	h.csum_start = (uint16_t)len;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	h = gso_vhdr(&t, 1000);
	h.csum_offset = (uint16_t)(len - h.csum_start - 1);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	h.gso_type = VNET_GSO_NONE;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);

	h = gso_vhdr(&t, 0);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	h = gso_vhdr(&t, 1000);
	h.gso_type = VNET_GSO_TCPV6; /* an IPv4 frame */
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	h.gso_type = VNET_GSO_ECN;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	h.gso_type = VNET_GSO_UDP;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EPROTONOSUPPORT);
	h.gso_type = 5; /* UDP_L4 */
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EPROTONOSUPPORT);

	/* Too few segments: nothing written. */
	h = gso_vhdr(&t, 1000);
	memset(scratch, 0x5a, VNET_SEG_HDR_MAX);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 2, scratch), -ENOBUFS);
	T_EQ(scratch[0], 0x5a);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 3, scratch), 3);
	h.gso_size = 1;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, VNET_SEG_MAX, scratch),
	     -ENOBUFS);
	h.gso_type = VNET_GSO_NONE;
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 0, scratch), -ENOBUFS);
	T_MEMEQ(sf, sf2, len);

	/* Truncated: the TCP header cut short inside a sound IP packet, the
	 * IP packet longer than the frame, a frame shorter than Ethernet. */
	h = gso_vhdr(&t, 1000);
	h.flags = 0;
	vnet_put16(sf + 16, 20 + 10);
	T_EQ(vnet_gso_segment(&h, sf, 14 + 20 + 10, segs, 8, scratch), -EINVAL);
	memcpy(sf, sf2, len);
	T_EQ(vnet_gso_segment(&h, sf, len - 1, segs, 8, scratch), -EINVAL);
	T_EQ(vnet_gso_segment(&h, sf, 10, segs, 8, scratch), -EINVAL);
	T_EQ(vnet_gso_segment(&h, sf, 0, segs, 8, scratch), -EINVAL);

	/* Not TCP; an IPv4 fragment. */
	t.udp = 1;
	len = build(sf, &t);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);
	t.udp = 0;
	t.mf = 1;
	len = build(sf, &t);
	T_EQ(vnet_gso_segment(&h, sf, len, segs, 8, scratch), -EINVAL);

	/* Headers longer than VNET_SEG_HDR_MAX: IPv6 with 128 bytes of
	 * destination options. */
	t = seg4(1000, 3000);
	t.v6 = 1;
	t.ts = 0;
	len = build(sf, &t);
	memmove(sf + 54 + 128, sf + 54, len - 54);
	memset(sf + 54, 0, 128);
	sf[54] = 6;	/* next header TCP */
	sf[55] = 15;	/* (15 + 1) * 8 bytes */
	sf[54 + 2] = 1; /* PadN over the rest */
	sf[54 + 3] = 124;
	sf[20] = 60; /* destination options */
	vnet_put16(sf + 18, vnet_get16(sf + 18) + 128);
	h = gso_vhdr(&t, 1000);
	T_EQ(vnet_gso_segment(&h, sf, len + 128, segs, 8, scratch), -EINVAL);
	/* ... while 40 bytes of them are fine. */
	t = seg4(1000, 3000);
	t.v6 = 1;
	len = build(sf, &t);
	memmove(sf + 54 + 40, sf + 54, len - 54);
	memset(sf + 54, 0, 40);
	sf[54] = 6;
	sf[55] = 4;
	sf[56] = 1;
	sf[57] = 36;
	sf[20] = 60;
	vnet_put16(sf + 18, vnet_get16(sf + 18) + 40);
	T_EQ(vnet_gso_segment(&h, sf, len + 40, segs, 8, scratch), 3);
	T_EQ(segs[0].hdr_len, 54 + 40 + 32);
	T_EQ(vnet_get16(segs[0].hdr + 18), 40 + 32 + 1000);
	T_EQ(vnet_get16(segs[2].hdr + 18), 40 + 32 + 1000);
}

/* Three segments of 1000, 1000, 500 bytes and the frames around them. */
static void test_gro_runs(void)
{
	static uint8_t f[3000], pad[100];
	struct vnet_gro *g = vnet_gro_new();
	struct vnet_vhdr h;
	const uint8_t *out;
	struct tf t;
	size_t len, olen;

	T_ASSERT(g != NULL);
	if (!g)
		return;

	/* One segment alone comes back unchanged, padding and all. */
	t = seg4(1000, 4);
	t.ts = 0;
	len = build(pad, &t);
	T_EQ(len, 58);
	pad[58] = pad[59] = 0;
	T_EQ(vnet_gro_add(g, pad, 60), 1);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);
	T_EQ(olen, 60);
	T_MEMEQ(out, pad, 60);
	T_EQ(h.flags, 0);
	T_EQ(h.gso_type, 0);
	T_EQ(h.gso_size, 0);

	/* A short segment ends the run: taken, then -EAGAIN. */
	t = seg4(1000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(2000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(3000, 500);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(3500, 500);
	len = build(f, &t);
	T_EQ(vnet_gro_add(g, f, len), -EAGAIN);
	T_EQ(vnet_gro_pending(g), 3);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 3);
	T_EQ(h.gso_size, 1000);
	T_EQ(olen, 66 + 2500);
	T_EQ(vnet_get16(out + 16), 20 + 32 + 2500);
	T_EQ(ref_csum(out + 14, 20), 0);
	T_EQ(vnet_get16(out + 34 + 16), ref_pseudo(out + 14, 0, 32 + 2500, 6));
	T_MEMEQ(out + 66, pat, 2500);
	T_EQ(vnet_gro_add(g, f, len), 1);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);

	/* PSH ends the run and is kept; a larger segment does not fit. */
	t = seg4(1000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(2000, 1001);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
	t = seg4(2000, 1000);
	t.flags |= VNET_TCP_PSH;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(3000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 2);
	T_EQ(out[34 + 13], VNET_TCP_ACK | VNET_TCP_PSH);

	/* CWR runs alone. */
	t = seg4(1000, 1000);
	t.flags |= VNET_TCP_CWR;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(2000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(3000, 1000);
	t.flags |= VNET_TCP_CWR;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);

	/* With a VLAN tag. */
	t = seg4(1000, 1000);
	t.vlan = 100;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t.seq = 2000;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t.vlan = 101;
	t.seq = 3000;
	T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 2);
	T_EQ(h.csum_start, 18 + 20);
	T_EQ(h.hdr_len, 18 + 20 + 32);
	T_EQ(olen, 18 + 20 + 32 + 2000);

	vnet_gro_free(g);
	vnet_gro_free(NULL);
}

/* Each field that must match, changed in turn on the second segment. */
static void test_gro_eagain(void)
{
	static uint8_t f[3000];
	struct vnet_gro *g = vnet_gro_new();
	struct vnet_vhdr h;
	const uint8_t *out;
	size_t olen;
	struct tf t;
	int i;

	T_ASSERT(g != NULL);
	if (!g)
		return;
	for (i = 0; i < 14; i++) {
		t = seg4(1000, 1000);
		T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
		t = seg4(2000, 1000);
		switch (i) {
		case 0:
			t.sport++;
			break;
		case 1:
			t.dport++;
			break;
		case 2:
			t.seq++; /* a gap */
			break;
		case 3:
			t.seq -= 1000; /* a retransmission */
			break;
		case 4:
			t.ack++;
			break;
		case 5:
			t.win++;
			break;
		case 6:
			t.tsval++;
			break;
		case 7:
			t.ts = 0;
			break;
		case 8:
			t.tos = 1;
			break;
		case 9:
			t.ttl--;
			break;
		case 10:
			t.nodf = 1;
			break;
		case 11:
			t.v6 = 1;
			break;
		case 12:
			t.vlan = 5;
			break;
		case 13:
			t.flags = 0; /* no ACK */
			break;
		}
		T_EQ(vnet_gro_add(g, f, build(f, &t)), -EAGAIN);
		if (t_cur_failed) {
			T_FAIL("case %d", i);
			break;
		}
		T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);
		/* Offered again after the take, it starts a run. */
		T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
		T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);
	}

	/* A different MAC address. */
	t = seg4(1000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	t = seg4(2000, 1000);
	build(f, &t);
	f[5] ^= 1;
	T_EQ(vnet_gro_add(g, f, 66 + 1000), -EAGAIN);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 1);

	/* 64 KiB: at most 65535 bytes of IP packet. */
	for (i = 0; i < 100; i++) {
		t = seg4(1000 + (uint32_t)i * MSS4, MSS4);
		if (vnet_gro_add(g, f, build(f, &t)) != 1)
			break;
	}
	T_EQ(i, (65535 - 52) / MSS4);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), (unsigned)i);
	T_ASSERT(olen - 14 <= 65535 && olen - 14 + MSS4 > 65535);
	T_EQ(vnet_get16(out + 16), olen - 14);

	vnet_gro_free(g);
}

/* Frames that are no candidates: 0, and the pending run is untouched. */
static void test_gro_not_candidates(void)
{
	static uint8_t f[3000];
	struct vnet_gro *g = vnet_gro_new();
	struct vnet_vhdr h;
	const uint8_t *out;
	size_t olen, len;
	struct tf t;
	int i;

	T_ASSERT(g != NULL);
	if (!g)
		return;
	t = seg4(1000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	for (i = 0; i < 13; i++) {
		t = seg4(2000, 1000);
		switch (i) {
		case 0:
			t.flags |= VNET_TCP_SYN;
			break;
		case 1:
			t.flags |= VNET_TCP_FIN;
			break;
		case 2:
			t.flags |= VNET_TCP_RST;
			break;
		case 3:
			t.flags |= VNET_TCP_URG;
			break;
		case 4:
			t.udp = 1;
			break;
		case 5:
			t.csum = CS_BAD;
			break;
		case 6:
			t.ip_opts = 1;
			break;
		case 7:
			t.plen = 0;
			break;
		case 8:
			t.mf = 1;
			break;
		case 9:
			t.v6 = 1;
			t.csum = CS_BAD;
			break;
		case 11:
			t.vlan = 2;
			break;
		default:
			break;
		}
		len = build(f, &t);
		if (i == 10) /* a bad IPv4 header checksum */
			f[24] ^= 0x40;
		if (i == 11) { /* two VLAN tags */
			memmove(f + 16, f + 12, len - 12);
			vnet_put16(f + 12, 0x88a8);
			vnet_put16(f + 14, 1);
			len += 4;
		}
		if (i == 12) /* ARP-sized runt */
			len = 42;
		if (vnet_gro_add(g, f, len) != 0)
			T_FAIL("case %d not 0", i);
	}
	T_EQ(vnet_gro_add(g, f, 0), 0);
	T_EQ(vnet_gro_pending(g), 1);
	t = seg4(2000, 1000);
	T_EQ(vnet_gro_add(g, f, build(f, &t)), 1);
	T_EQ(vnet_gro_take(g, &h, &out, &olen), 2);
	T_EQ(olen, 66 + 2000);
	T_MEMEQ(out + 66, pat, 2000);
	vnet_gro_free(g);
}

/* The 24-byte tunnel header: layout (offsets 20 and 22, little-endian,
 * the hash fields zero) and what vnet_vhdr_check() refuses. */
static void test_vhdr_tnl(void)
{
	struct vnet_vhdr h = {
		.flags = VNET_VHDR_F_NEEDS_CSUM,
		.gso_type = VNET_GSO_TCPV4 | VNET_GSO_UDP_TUNNEL4,
		.hdr_len = 104, .gso_size = 1398, .csum_start = 84,
		.csum_offset = 16, .outer_th = 34, .inner_nh = 64,
	}, g, x;
	uint8_t b[VNET_VHDR_TNL_LEN];
	size_t i;

	vnet_vhdr_encode_tnl(b, &h);
	T_EQ(b[1], 0x21);
	T_EQ(b[20] | b[21] << 8, 34);
	T_EQ(b[22] | b[23] << 8, 64);
	for (i = 10; i < 20; i++)
		T_EQ(b[i], 0);
	vnet_vhdr_decode_tnl(b, &g);
	T_MEMEQ(&g, &h, sizeof(h));
	vnet_vhdr_decode(b, &g);
	T_EQ(g.outer_th, 0);
	T_EQ(g.inner_nh, 0);

	T_EQ(vnet_vhdr_check(&h, 60000, 1), 0);
	T_EQ(vnet_vhdr_check(&h, 60000, 0), -EINVAL); /* not a tunnel tap */
	x = h;
	x.gso_type |= VNET_GSO_UDP_TUNNEL6; /* both families */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.gso_type = 0x23; /* UDP (UFO) in a tunnel */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.outer_th = 10; /* inside the Ethernet header */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.inner_nh = 38; /* the inner IP inside the outer UDP header */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.csum_start = 70; /* the inner L4 inside the inner IP header */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.flags = 0; /* GSO without a partial checksum */
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x = h;
	x.gso_size = 0;
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	T_EQ(vnet_vhdr_check(&h, 84 + 17, 1), -EINVAL); /* field past end */
	T_EQ(vnet_vhdr_check(&h, 84 + 18, 1), -EINVAL); /* hdr_len past */
	T_EQ(vnet_vhdr_check(&h, 104, 1), 0);
	x = h;
	x.gso_type = VNET_GSO_UDP_L4 | VNET_GSO_ECN | VNET_GSO_UDP_TUNNEL4;
	T_EQ(vnet_vhdr_check(&x, 60000, 1), -EINVAL);
	x.gso_type = VNET_GSO_UDP_L4 | VNET_GSO_UDP_TUNNEL6;
	x.csum_offset = 6;
	T_EQ(vnet_vhdr_check(&x, 60000, 1), 0);
	/* Plain frames: nothing but a checksum field to check. */
	memset(&x, 0, sizeof(x));
	T_EQ(vnet_vhdr_check(&x, 14, 0), 0);
	x.gso_type = VNET_GSO_ECN;
	T_EQ(vnet_vhdr_check(&x, 14, 0), -EINVAL);
	x.gso_type = VNET_GSO_UDP_TUNNEL4;
	T_EQ(vnet_vhdr_check(&x, 100, 1), -EINVAL);
}

int main(void)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < sizeof(pat); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pat[i] = (uint8_t)x;
	}
	T_RUN(test_vhdr);
	T_RUN(test_vhdr_tnl);
	T_RUN(test_gso_tcp4_roundtrip);
	T_RUN(test_gso_tcp6_roundtrip);
	T_RUN(test_gso_flags);
	T_RUN(test_csum_complete);
	T_RUN(test_gso_errors);
	T_RUN(test_gro_runs);
	T_RUN(test_gro_eagain);
	T_RUN(test_gro_not_candidates);
	return T_DONE();
}
