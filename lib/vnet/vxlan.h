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

#include "vnet/addr.h"

#define VNET_VXLAN_HLEN 8
#define VNET_VXLAN_PORT 4789
#define VNET_VXLAN_FLAG_I 0x08
#define VNET_VNI_MAX 0xffffff
#define VNET_IP4_HLEN 20
#define VNET_IP6_HLEN 40
#define VNET_UDP_HLEN 8

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
	VNET_DROP_MAX
};
const char *vnet_encap_drop_name(int reason);

/* Write the 8-byte VXLAN header for vni (I flag set, reserved zero). */
void vnet_vxlan_encode(uint8_t *hdr, uint32_t vni);
/* Check the VXLAN header at p (len bytes available, header and inner
 * frame); on success *vni is set.  strict != 0 also rejects set reserved
 * bits and flags other than I (libvdeplug's rule); lenient mode ignores
 * them, as RFC 7348 says a receiver should. */
int vnet_vxlan_decode(const uint8_t *p, size_t len, int strict, uint32_t *vni);

/* The outer headers of one tunnel packet. */
struct vnet_outer {
	uint8_t smac[6], dmac[6];	/* Ethernet, for frame streams */
	struct vnet_addr src, dst;	/* same family */
	uint16_t sport, dport;
	uint8_t ttl, tos;
};

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
/* Parse a whole outer Ethernet frame (an 802.1Q tag is allowed): checks
 * Ethernet, IPv4 (version, IHL, total length within the frame, header
 * checksum, not a fragment) or IPv6 (payload length; no extension headers),
 * and UDP (length; a non-zero checksum is verified).  Fills *o and points
 * *payload/*plen at the UDP payload.  Returns a drop reason or 0. */
int vnet_outer_parse_eth(const uint8_t *frame, size_t len,
			 struct vnet_outer *o, const uint8_t **payload,
			 size_t *plen);

#endif
