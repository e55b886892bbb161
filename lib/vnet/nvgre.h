/* SPDX-License-Identifier: ISC */
/* nvgre.h -- the NVGRE header (RFC 7637: GRE, RFC 2784, with the key of
 * RFC 2890) and the outer Ethernet/IP headers of a GRE packet.
 *
 * Decoders never read outside their input and return an enum
 * vnet_encap_drop reason (0 = accepted, vxlan.h).  Nothing here prints or
 * allocates.
 */
#ifndef VNET_NVGRE_H
#define VNET_NVGRE_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/vxlan.h" /* struct vnet_outer, enum vnet_encap_drop */

#define VNET_NVGRE_HLEN 8	/* GRE base header + key */
#define VNET_IPPROTO_GRE 47
#define VNET_NVGRE_P_ETH 0x6558 /* Transparent Ethernet Bridging */
#define VNET_GRE_FLAG_C 0x8000	/* checksum present */
#define VNET_GRE_FLAG_R 0x4000	/* routing present (RFC 1701) */
#define VNET_GRE_FLAG_K 0x2000	/* key present (RFC 2890) */
#define VNET_GRE_FLAG_S 0x1000	/* sequence number present */
#define VNET_GRE_VERSION 0x0007 /* bits 13-15 */

/* Whether vsid is reserved (RFC 7637 3.2: 0-0xfff for future use,
 * 0xffffff vendor-specific): never configured, dropped on receive. */
int vnet_nvgre_vsid_reserved(uint32_t vsid);

/* Write the 8-byte NVGRE header: K set, C, S and the rest zero, version
 * 0, protocol 0x6558, key = vsid << 8 | flowid. */
void vnet_nvgre_encode(uint8_t *hdr, uint32_t vsid, uint8_t flowid);

/* Check the NVGRE header at p (len bytes: header and inner frame); on
 * success *vsid (the key's top 24 bits: the FlowID is masked off) and
 * *flowid are set.  Checks, in order:
 *   len < 4                                  VNET_DROP_SHORT
 *   C, R, S or s set, bit 5 set, K clear     VNET_DROP_GRE_FLAGS
 *   version != 0                             VNET_DROP_GRE_VERSION
 *   len < 8 (no room for the key)            VNET_DROP_SHORT
 *   protocol type != 0x6558                  VNET_DROP_GRE_PROTO
 *   a reserved VSID                          VNET_DROP_NVGRE_VSID
 *   strict: another reserved flag bit set    VNET_DROP_RESERVED
 *   fewer than 14 bytes after the header     VNET_DROP_INNER_SHORT
 * RFC 2784 2.3: a receiver discards a packet with any of bits 1-5 set
 * (but K, RFC 2890's key); bits 6-12 are ignored unless strict.  The inner frame starts at p + VNET_NVGRE_HLEN. */
int vnet_nvgre_decode(const uint8_t *p, size_t len, int strict,
		      uint32_t *vsid, uint8_t *flowid);

/* Write an IPv4 (DF set, ID 0, checksum computed) or IPv6 header of
 * protocol GRE for a payload of payload_len bytes into buf (cap bytes),
 * o->sport/dport unused: the header length (20 or 40), or -EMSGSIZE,
 * -EAFNOSUPPORT as vnet_outer_build_ip. */
int vnet_gre_build_ip(uint8_t *buf, size_t cap, const struct vnet_outer *o,
		      size_t payload_len);
/* The same with a 14-byte Ethernet header first (34 or 54 bytes). */
int vnet_gre_build_eth(uint8_t *buf, size_t cap, const struct vnet_outer *o,
		       size_t payload_len);

/* Parse a whole outer Ethernet frame of a GRE packet, as
 * vnet_outer_parse_eth does one of UDP: Ethernet (one 802.1Q tag
 * allowed), IPv4 (version, IHL, total length, header checksum, not a
 * fragment) or IPv6 (payload length; no extension headers).  Fills *o
 * (sport/dport 0) and points *payload and *plen at the IP payload, the
 * GRE header.  Reasons as vnet_outer_parse_eth's, but VNET_DROP_NOT_GRE
 * for an IP protocol / next header other than 47 (where it says
 * VNET_DROP_NOT_UDP) and no UDP checks. */
int vnet_gre_parse_eth(const uint8_t *frame, size_t len, struct vnet_outer *o,
		       const uint8_t **payload, size_t *plen);

#endif
