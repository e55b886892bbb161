/* SPDX-License-Identifier: ISC */
/* stamp.c -- the stamp in each frame's payload: write, read, find. */
#include <errno.h>

#include "vnet-bench/stamp.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/pkt.h"

void vnet_stamp_put(uint8_t *p, const struct vnet_stamp *s)
{
	vnet_put16(p, VNET_STAMP_MAGIC);
	vnet_put16(p + 2, s->stream);
	vnet_put32(p + 4, s->seq);
	vnet_put32(p + 8, (uint32_t)(s->ts_ns >> 32));
	vnet_put32(p + 12, (uint32_t)s->ts_ns);
	vnet_put16(p + 16, vnet_csum_fold(vnet_csum_add(0, p, 16)));
}

int vnet_stamp_get(const uint8_t *p, size_t len, struct vnet_stamp *s)
{
	/* The check is compared with the one vnet_stamp_put writes, not
	 * summed in: ones' complement has two zeros, and a check of 0xffff
	 * where put writes 0 would read back as a different stamp. */
	if (len < VNET_STAMP_LEN || vnet_get16(p) != VNET_STAMP_MAGIC ||
	    vnet_get16(p + 16) != vnet_csum_fold(vnet_csum_add(0, p, 16)))
		return -EINVAL;
	s->stream = vnet_get16(p + 2);
	s->seq = vnet_get32(p + 4);
	s->ts_ns = (uint64_t)vnet_get32(p + 8) << 32 | vnet_get32(p + 12);
	return 0;
}

int vnet_stamp_find(const uint8_t *frame, size_t len, struct vnet_stamp *s)
{
	struct vnet_pkt pk;
	size_t end;

	if (vnet_pkt_parse(frame, len, &pk) < 0 ||
	    !(pk.layers & (VNET_L_UDP | VNET_L_TCP | VNET_L_ICMP)) ||
	    (pk.layers & VNET_L_FRAG))
		return -EINVAL;
	end = (size_t)pk.l3_off + pk.l3_len;
	if (end > len)
		end = len;
	if (pk.payload_off >= end)
		return -EINVAL;
	return vnet_stamp_get(frame + pk.payload_off, end - pk.payload_off, s);
}
