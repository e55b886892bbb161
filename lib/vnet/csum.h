/* SPDX-License-Identifier: ISC */
/* csum.h -- the Internet checksum (RFC 1071) and pseudo-headers. */
#ifndef VNET_CSUM_H
#define VNET_CSUM_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/addr.h"

/* Add len bytes at p to a 32-bit running sum (odd lengths allowed; a
 * partial sum may only be continued after an even length). */
uint32_t vnet_csum_add(uint32_t sum, const void *p, size_t len);
/* Fold to 16 bits and complement: the value to store, in network order
 * when stored with memcpy of a big-endian pair, i.e. returns host-order
 * value v such that htons(v) is written. */
uint16_t vnet_csum_fold(uint32_t sum);
/* Pseudo-header sum for UDP/TCP/ICMPv6 over IPv4 or IPv6. */
uint32_t vnet_csum_pseudo(const struct vnet_addr *src,
			  const struct vnet_addr *dst, uint8_t proto,
			  uint32_t l4_len);
/* Checksum of an IPv4 header of hlen bytes (its checksum field included
 * as it stands: 0 to compute, the stored value to verify -> 0 if valid). */
uint16_t vnet_ip4_csum(const void *hdr, size_t hlen);

#endif
