/* SPDX-License-Identifier: ISC */
/* offload.c -- libFuzzer harness for TCP segmentation and coalescing.
 *
 * Input: a 10-byte virtio_net_hdr, then the frame.  The frame is cut with
 * vnet_gso_segment(); it and every segment are offered to a vnet_gro,
 * taking when told to; what comes out of a take is cut again.  Seeds
 * (tests/fuzz/corpus/offload): TSO super-frames over IPv4 (timestamps) and
 * IPv6, a UDP frame with NEEDS_CSUM, a plain TCP frame with a VLAN tag.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/csum.h"
#include "vnet/offload.h"
#include "vnet/pkt.h"

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

#define FRAME_MAX (VNET_SEG_HDR_MAX + 65536)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct vnet_gro *gro;
static uint8_t frame[FRAME_MAX], orig[FRAME_MAX], seg[FRAME_MAX];
static uint8_t again[FRAME_MAX], again_scratch[VNET_SEG_MAX * VNET_SEG_HDR_MAX];
static struct vnet_seg again_segs[VNET_SEG_MAX];

/* A segment of a TCP super-frame is a sound TCP frame of its own. */
static void check_tcp_seg(const uint8_t *f, size_t n, size_t hl)
{
	struct vnet_pkt p;
	size_t l4len;

	CHECK(vnet_pkt_parse(f, n, &p) == 0);
	CHECK((p.layers & VNET_L_TCP) && p.err == VNET_PKT_OK);
	CHECK(p.payload_off == hl);
	CHECK((size_t)p.l3_off + p.l3_len == n);
	if (p.layers & VNET_L_IPV4)
		CHECK(vnet_ip4_csum(f + p.l3_off, p.l4_off - p.l3_off) == 0);
	l4len = n - p.l4_off;
	CHECK(vnet_csum_fold(vnet_csum_add(
		      vnet_csum_pseudo(&p.saddr, &p.daddr, 6, (uint32_t)l4len),
		      f + p.l4_off, l4len)) == 0);
}

/* Take what is pending and check it: one segment comes back as offered,
 * a run is a super-frame that cuts into as many segments again. */
static void take(void)
{
	const uint8_t *out;
	struct vnet_vhdr h;
	size_t n;
	unsigned cnt = vnet_gro_pending(gro), r;
	int k, i;

	r = vnet_gro_take(gro, &h, &out, &n);
	CHECK(r == cnt && vnet_gro_pending(gro) == 0);
	if (!r) {
		CHECK(out == NULL && n == 0);
		return;
	}
	CHECK(out != NULL && n <= FRAME_MAX);
	if (r == 1) {
		CHECK(h.flags == 0 && h.gso_type == 0 && h.gso_size == 0);
		return;
	}
	CHECK(h.flags == VNET_VHDR_F_NEEDS_CSUM);
	CHECK(h.gso_type == VNET_GSO_TCPV4 || h.gso_type == VNET_GSO_TCPV6);
	CHECK(h.gso_size > 0 && h.csum_offset == 16 && h.hdr_len <= n);
	memcpy(again, out, n);
	k = vnet_gso_segment(&h, again, n, again_segs, VNET_SEG_MAX,
			     again_scratch);
	if (r > VNET_SEG_MAX) {
		CHECK(k == -ENOBUFS);
		return;
	}
	CHECK(k == (int)r);
	for (i = 0; i < k; i++) {
		CHECK(again_segs[i].hdr_len == h.hdr_len);
		CHECK(again_segs[i].data_len <= h.gso_size);
		memcpy(seg, again_segs[i].hdr, again_segs[i].hdr_len);
		memcpy(seg + h.hdr_len, again_segs[i].data,
		       again_segs[i].data_len);
		check_tcp_seg(seg, h.hdr_len + again_segs[i].data_len,
			      h.hdr_len);
	}
}

/* Offer one frame as the decapsulating side does. */
static int offer(const uint8_t *f, size_t n)
{
	int r = vnet_gro_add(gro, f, n);

	if (r == -EAGAIN) {
		CHECK(vnet_gro_pending(gro) > 0);
		take();
		/* Nothing pending: a candidate starts a run. */
		CHECK(vnet_gro_add(gro, f, n) == 1);
		return 1;
	}
	CHECK(r == 0 || r == 1);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t scratch[VNET_SEG_MAX * VNET_SEG_HDR_MAX];
	struct vnet_seg segs[VNET_SEG_MAX];
	struct vnet_vhdr h;
	size_t n, total = 0;
	int r, i;

	if (!gro) {
		gro = vnet_gro_new();
		CHECK(gro != NULL);
	}
	take(); /* each input starts afresh */
	if (len < VNET_VHDR_LEN || len - VNET_VHDR_LEN > FRAME_MAX)
		return 0;
	vnet_vhdr_decode(data, &h);
	n = len - VNET_VHDR_LEN;
	memcpy(frame, data + VNET_VHDR_LEN, n);
	memcpy(orig, frame, n);

	offer(frame, n);
	r = vnet_gso_segment(&h, frame, n, segs, VNET_SEG_MAX, scratch);
	CHECK(r == -EINVAL || r == -ENOBUFS || r == -EPROTONOSUPPORT ||
	      (r >= 1 && r <= VNET_SEG_MAX));
	if (r < 0) {
		CHECK(!memcmp(frame, orig, n));
		take();
		return 0;
	}
	for (i = 0; i < r; i++) {
		const struct vnet_seg *s = &segs[i];

		CHECK(s->data >= frame && s->data_len <= n &&
		      (size_t)(s->data - frame) <= n - s->data_len);
		if (!s->hdr) {
			CHECK(r == 1 && s->hdr_len == 0);
			CHECK(s->data == frame && s->data_len == n);
			if (!(h.flags & VNET_VHDR_F_NEEDS_CSUM))
				CHECK(!memcmp(frame, orig, n));
			offer(frame, n);
			continue;
		}
		CHECK(s->hdr == scratch + (size_t)i * VNET_SEG_HDR_MAX);
		CHECK(s->hdr_len > 0 && s->hdr_len <= VNET_SEG_HDR_MAX);
		CHECK(s->data_len <= h.gso_size);
		CHECK(s->data == segs[0].data + total);
		total += s->data_len;
		memcpy(seg, s->hdr, s->hdr_len);
		memcpy(seg + s->hdr_len, s->data, s->data_len);
		check_tcp_seg(seg, s->hdr_len + s->data_len, s->hdr_len);
		offer(seg, s->hdr_len + s->data_len);
	}
	/* The super-frame's payload is not written to. */
	if (segs[0].hdr)
		CHECK(!memcmp(frame, orig, n));
	take();
	return 0;
}
