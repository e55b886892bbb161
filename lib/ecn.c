/* SPDX-License-Identifier: ISC */
/* ecn.c -- RFC 6040 ECN tunnelling and the inner IP header (ecn.h). */
#include "vnet/bytes.h"
#include "vnet/ecn.h"

uint8_t vnet_ecn_encap(uint8_t inner_ecn, enum vnet_ecn_mode m)
{
	return m == VNET_ECN_NORMAL ? (uint8_t)(inner_ecn & VNET_ECN_MASK)
				    : VNET_ECN_NOT_ECT;
}

#define NE VNET_ECN_NOT_ECT
#define E0 VNET_ECN_ECT0
#define E1 VNET_ECN_ECT1
#define CE VNET_ECN_CE
#define DROP 0xff
#define ODD 0x80

/* RFC 6040 Figure 4, [inner][outer] by codepoint value (0 Not-ECT, 1
 * ECT(1), 2 ECT(0), 3 CE); ODD marks the (!!!) rows. */
static const uint8_t decap_table[4][4] = {
	[NE] = { [NE] = NE, [E0] = NE | ODD, [E1] = NE | ODD, [CE] = DROP },
	[E0] = { [NE] = E0, [E0] = E0, [E1] = E1, [CE] = CE },
	[E1] = { [NE] = E1, [E0] = E1, [E1] = E1, [CE] = CE },
	[CE] = { [NE] = CE, [E0] = CE, [E1] = CE | ODD, [CE] = CE },
};

int vnet_ecn_decap(uint8_t outer_ecn, uint8_t inner_ecn, uint8_t *out)
{
	uint8_t t = decap_table[inner_ecn & 3][outer_ecn & 3];

	if (t == DROP)
		return VNET_ECN_DROP;
	*out = t & VNET_ECN_MASK;
	return t & ODD ? VNET_ECN_ODD : VNET_ECN_OK;
}

int vnet_ecn_frame_tos(const uint8_t *frame, size_t len, size_t *off,
		       int *family)
{
	size_t o = 12;
	uint16_t type;

	if (len < 14)
		return -1;
	type = vnet_get16(frame + o);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return -1;
		o += 4;
		type = vnet_get16(frame + o);
	}
	o += 2;
	if (type == 0x0800) {
		if (len < o + 20 || frame[o] >> 4 != 4 ||
		    (frame[o] & 0x0f) < 5 || len < o + (frame[o] & 0x0f) * 4u)
			return -1;
		*family = 4;
		*off = o;
		return frame[o + 1];
	}
	if (type == 0x86dd) {
		if (len < o + 40 || frame[o] >> 4 != 6)
			return -1;
		*family = 6;
		*off = o;
		return (frame[o] & 0x0f) << 4 | frame[o + 1] >> 4;
	}
	return -1;
}

void vnet_ecn_set(uint8_t *ip, int family, uint8_t ecn)
{
	uint16_t old, neu;
	uint32_t s;

	ecn &= VNET_ECN_MASK;
	if (family == 6) {
		ip[1] = (uint8_t)((ip[1] & 0xcf) | ecn << 4);
		return;
	}
	/* The checksum covers 16-bit words: bytes 0-1 hold version/IHL and
	 * TOS.  HC' = ~(~HC + ~m + m') (RFC 1624). */
	old = vnet_get16(ip);
	ip[1] = (uint8_t)((ip[1] & 0xfc) | ecn);
	neu = vnet_get16(ip);
	s = (uint16_t)~vnet_get16(ip + 10);
	s += (uint16_t)~old;
	s += neu;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	vnet_put16(ip + 10, (uint16_t)~s);
}
