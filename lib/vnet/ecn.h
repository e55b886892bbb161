/* SPDX-License-Identifier: ISC */
/* ecn.h -- DSCP and ECN between the inner and the outer IP header of a
 * tunnel: RFC 6040 (Tunnelling of Explicit Congestion Notification) as
 * pure functions, and the inner header of an Ethernet frame read and
 * marked in place.
 *
 * The TOS byte (IPv4) and the traffic class (IPv6) are DSCP << 2 | ECN.
 * ECN codepoints (RFC 3168): 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.
 *
 * Encapsulation (RFC 6040 section 4.1): normal mode copies the inner ECN
 * field into the outer header, CE included; compatibility mode writes
 * Not-ECT.  Decapsulation (section 4.2, Figure 4), the outgoing inner
 * field for each arriving inner (rows) and outer (columns):
 *
 *               outer Not-ECT  ECT(0)        ECT(1)        CE
 *   Not-ECT           Not-ECT  Not-ECT (!!!) Not-ECT (!!!) drop (!!!)
 *   ECT(0)            ECT(0)   ECT(0)        ECT(1)        CE
 *   ECT(1)            ECT(1)   ECT(1) (!)    ECT(1)        CE
 *   CE                CE       CE            CE (!!!)      CE
 *
 * (!!!) marks a combination that is currently unused (a decapsulator
 * should log it); (!) one that may be used in future. Nothing here
 * prints or fails.
 */
#ifndef VNET_ECN_H
#define VNET_ECN_H

#include <stddef.h>
#include <stdint.h>

enum {
	VNET_ECN_NOT_ECT = 0,
	VNET_ECN_ECT1 = 1,
	VNET_ECN_ECT0 = 2,
	VNET_ECN_CE = 3,
	VNET_ECN_MASK = 3,
};

enum vnet_ecn_mode {
	VNET_ECN_NORMAL, /* copy the inner ECN field (default) */
	VNET_ECN_COMPAT, /* outer Not-ECT (--ecn off) */
};

/* What vnet_ecn_decap() says of the combination. */
enum {
	VNET_ECN_OK = 0,    /* *out is the inner field to forward */
	VNET_ECN_ODD = 1,   /* the same, and the combination is unused */
	VNET_ECN_DROP = -1, /* CE outside, Not-ECT inside: drop the packet */
};

/* The outer ECN field for an inner one in mode m. */
uint8_t vnet_ecn_encap(uint8_t inner_ecn, enum vnet_ecn_mode m);
/* Figure 4 for the two-bit fields outer and inner: VNET_ECN_OK or
 * VNET_ECN_ODD with *out set, or VNET_ECN_DROP (*out untouched). */
int vnet_ecn_decap(uint8_t outer_ecn, uint8_t inner_ecn, uint8_t *out);

/* The IP header of an Ethernet frame (untagged, or one 802.1Q/802.1ad
 * tag): 4 or 6 into *family and its offset into *off, and its TOS /
 * traffic class; -1 when the frame is too short for the whole fixed IP
 * header, not IP, or an IPv4 header with a bad version or length. */
int vnet_ecn_frame_tos(const uint8_t *frame, size_t len, size_t *off,
		       int *family);
/* Set the ECN field of the IP header at ip (what vnet_ecn_frame_tos
 * found) to ecn; an IPv4 header checksum is updated incrementally (RFC
 * 1624, eqn. 3), IPv6 has none. */
void vnet_ecn_set(uint8_t *ip, int family, uint8_t ecn);

#endif
