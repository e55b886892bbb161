/* SPDX-License-Identifier: ISC */
/* vxlan.h -- the VXLAN header (RFC 7348) and the outer Ethernet/IP/UDP
 * headers a VTEP builds and checks.
 *
 * Decoders never read outside their input and return an enum
 * vnet_encap_drop reason (0 = accepted), so the caller counts each
 * reason under its name.
 */
#ifndef VNET_VXLAN_H
#define VNET_VXLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet/addr.h"
#include "vnet/pkt.h"

#define VNET_VXLAN_HLEN 8
#define VNET_VXLAN_PORT 4789
#define VNET_VXLAN_FLAG_I 0x08
#define VNET_VNI_MAX 0xffffffu

/* Why a received outer packet was dropped.  Names (vnet_encap_drop_name)
 * are the counter names: "drop_" + name. */
enum vnet_encap_drop {
	VNET_DROP_NONE = 0,
	VNET_DROP_SHORT,	/* shorter than the headers it claims */
	VNET_DROP_NOT_IP,	/* outer frame: EtherType not IPv4/IPv6 */
	VNET_DROP_IP_BAD,	/* outer IP: version, IHL, length, checksum */
	VNET_DROP_FRAGMENT,	/* outer IP fragment (RFC 7348 4.3) */
	VNET_DROP_NOT_UDP,	/* outer IP protocol is not UDP */
	VNET_DROP_UDP_BAD,	/* UDP length or non-zero checksum wrong */
	VNET_DROP_WRONG_PORT,	/* UDP destination port is not ours */
	VNET_DROP_NOT_LOCAL,	/* outer destination address is not ours */
	VNET_DROP_NO_I_FLAG,	/* VXLAN I flag clear */
	VNET_DROP_RESERVED,	/* strict mode: reserved bits/flags set */
	VNET_DROP_INNER_SHORT,	/* inner frame shorter than an Ethernet header */
	VNET_DROP_GENEVE_VERSION, /* GENEVE version not 0 (geneve.h) */
	VNET_DROP_GENEVE_OPTLEN, /* Opt Len or an option's length wrong */
	VNET_DROP_GENEVE_OAM,	/* O bit: a control packet, not data */
	VNET_DROP_GENEVE_PROTO,	/* protocol type not 0x6558 (Ethernet) */
	VNET_DROP_GENEVE_CRITICAL, /* a critical option not understood */
	VNET_DROP_NOT_GRE,	/* NVGRE: outer IP protocol is not GRE (47) */
	VNET_DROP_GRE_FLAGS,	/* GRE: C, R, S, s or bit 5 set, K clear */
	VNET_DROP_GRE_VERSION,	/* GRE version not 0 */
	VNET_DROP_GRE_PROTO,	/* GRE protocol type not 0x6558 (Ethernet) */
	VNET_DROP_NVGRE_VSID,	/* a reserved VSID (0-0xfff, 0xffffff) */
	VNET_DROP_UDP_ZERO_CSUM, /* zero UDP checksum over IPv6, refused */
	VNET_DROP_MAX
};
const char *vnet_encap_drop_name(int reason);

/* Write the 8-byte VXLAN header for vni (I flag set, reserved zero).
 * Bits of vni above the 24-bit VNI are ignored. */
void vnet_vxlan_encode(uint8_t *hdr, uint32_t vni);
/* Check the VXLAN header at p (len bytes available, header and inner
 * frame); on success *vni is set.  strict != 0 also rejects set reserved
 * bits and flags other than I (libvdeplug's rule); lenient mode ignores
 * them, as RFC 7348 says a receiver should. */
int vnet_vxlan_decode(const uint8_t *p, size_t len, int strict, uint32_t *vni);
/* Decode checks, in order: len < 8 -> VNET_DROP_SHORT; I flag clear ->
 * VNET_DROP_NO_I_FLAG (in both modes); strict and another flag bit or a
 * reserved byte set -> VNET_DROP_RESERVED; fewer than 14 bytes after the
 * header -> VNET_DROP_INNER_SHORT.  *vni is written only on success.  The
 * inner frame starts at p + VNET_VXLAN_HLEN. */

/* The outer headers of one tunnel packet. */
struct vnet_outer {
	uint8_t smac[6], dmac[6];	/* Ethernet, for frame streams */
	struct vnet_addr src, dst;	/* same family */
	uint16_t sport, dport;
	uint8_t ttl, tos;
	uint32_t flow;			/* IPv6 flow label (20 bits), 0: none */
};

/* The IPv6 flow label of a tunnel packet whose UDP source port is sport
 * (RFC 6438 3: the label of a tunnel carries the inner flow's entropy,
 * which the source port already is, RFC 7348 5): 20 bits, never 0, the
 * same for every packet of an inner flow, different across flows.  Every
 * sender (the raw path, the GSO path, a frame stream) takes it from here,
 * so the packets of one flow carry one label whichever way they leave. */
static inline uint32_t vnet_outer_flowlabel(uint16_t sport)
{
	uint32_t h = (uint32_t)sport * 0x9e3779b1u;

	h ^= h >> 15;
	h &= 0xfffffu;
	return h ? h : 1;
}

/* Write IPv4 (DF set, ID 0, checksum computed) or IPv6 + UDP headers for a
 * UDP payload of payload_len bytes into buf.  UDP checksum: 0 over IPv4
 * (RFC 7348 5); over IPv6 computed by the caller (see vnet_outer_udp6_csum)
 * -- the field is left 0 here.  Returns the header length (28 or 48), or
 * -EMSGSIZE if cap is too small or the packet would exceed 65535. */
int vnet_outer_build_ip(uint8_t *buf, size_t cap, const struct vnet_outer *o,
			size_t payload_len);
/* The same with a 14-byte Ethernet header first (42 or 62 bytes). */
int vnet_outer_build_eth(uint8_t *buf, size_t cap, const struct vnet_outer *o,
			 size_t payload_len);
/* Both builders: cap counts the bytes writable at buf, and only the headers
 * are written (the payload goes right after them, at buf + return value).
 * The family of o->src selects IPv4 or IPv6; o->dst must have the same
 * family, else -EAFNOSUPPORT (also for a family that is neither).  IPv4:
 * TOS = o->tos, TTL = o->ttl, 28 + payload_len <= 65535.  IPv6: traffic
 * class = o->tos, flow label = o->flow (its low 20 bits), hop limit =
 * o->ttl, next header UDP, and
 * 8 + payload_len <= 65535 (the payload length field; no jumbograms).
 * Ports are host order in *o.  Nothing is written on error. */

/* Parse a whole outer Ethernet frame (an 802.1Q tag is allowed): checks
 * Ethernet, IPv4 (version, IHL, total length within the frame, header
 * checksum, not a fragment) or IPv6 (payload length; no extension headers),
 * and UDP (length; a non-zero checksum is verified).  Fills *o and points
 * *payload and *plen at the UDP payload.  Returns a drop reason or 0. */
int vnet_outer_parse_eth(const uint8_t *frame, size_t len,
			 struct vnet_outer *o, const uint8_t **payload,
			 size_t *plen);
/* The same with flags: VNET_OUTER_UDP6_ZERO_OK accepts a zero UDP
 * checksum over IPv6 (RFC 6935 5, RFC 6936: a tunnel endpoint may, when
 * configured; Linux's udp6zerocsumrx).  vnet_outer_parse_eth is this with
 * flags 0. */
#define VNET_OUTER_UDP6_ZERO_OK 0x1
int vnet_outer_parse_eth_flags(const uint8_t *frame, size_t len,
			       unsigned flags, struct vnet_outer *o,
			       const uint8_t **payload, size_t *plen);
/* Parse details.  frame is a whole Ethernet frame without FCS; at most one
 * 802.1Q (0x8100) tag is skipped, and its VID is not reported.  Reasons:
 *   VNET_DROP_SHORT    the frame ends inside the Ethernet header or tag,
 *                      the IPv4 header (20 bytes, then IHL * 4), the IPv6
 *                      header, or before the IP total/payload length
 *                      (a sound header with a cut-short frame)
 *   VNET_DROP_NOT_IP   EtherType (after the tag) neither IPv4 nor IPv6;
 *                      so also an 802.1ad or second 802.1Q tag
 *   VNET_DROP_IP_BAD   IP version not matching the EtherType, IHL < 5,
 *                      IPv4 header checksum wrong, IPv4 total length <
 *                      IHL * 4 + 8
 *   VNET_DROP_FRAGMENT IPv4 MF set or fragment offset non-zero
 *   VNET_DROP_NOT_UDP  IPv4 protocol / IPv6 next header not 17; IPv6
 *                      extension headers are not walked, so a packet with
 *                      any is dropped here (a VTEP sends none)
 *   VNET_DROP_UDP_BAD  UDP length < 8 or != the IP payload length; a
 *                      non-zero checksum that does not verify
 *   VNET_DROP_UDP_ZERO_CSUM  over IPv6 a zero checksum (RFC 8200 8.1),
 *                      unless VNET_OUTER_UDP6_ZERO_OK
 * Bytes after the IP total/payload length are Ethernet padding and
 * ignored; *plen is the UDP length - 8.  *o, *payload and *plen are written
 * only on success, with o->sport/dport in host order and o->tos the IPv4
 * TOS or IPv6 traffic class, o->flow the IPv6 flow label (0 over IPv4).
 * VNET_DROP_WRONG_PORT and VNET_DROP_NOT_LOCAL
 * are never returned: the caller decides them from *o. */

/* The UDP checksum of the datagram at udp (len bytes: UDP header and
 * payload, len == the UDP length field) with o->src/o->dst (either family)
 * in the pseudo-header.  The checksum field's current content is ignored.
 * Returns v to store as htons(v) at udp + 6; never 0 (a computed 0 is
 * 0xffff, RFC 768).  IPv6 callers must fill the field the builders leave
 * 0: vnet_outer_parse_eth, like Linux without udp6zerocsumrx, drops a
 * zero checksum over IPv6. */
uint16_t vnet_outer_udp6_csum(const struct vnet_outer *o, const void *udp,
			      size_t len);
/* The same over a datagram in pieces: iov[0..niov) hold the UDP header
 * (its checksum field 0, as the builders leave it) and the payload, one
 * after the other; a piece may have any length.  The UDP length is the
 * sum of the pieces.  Returns v to store as htons(v), never 0. */
uint16_t vnet_outer_udp_csum_iov(const struct vnet_outer *o,
				 const struct iovec *iov, unsigned niov);

#endif
