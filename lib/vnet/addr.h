/* SPDX-License-Identifier: ISC */
/* addr.h -- IPv4/IPv6 and MAC addresses: one representation, parse, format.
 *
 * Parsers return 0 or -EINVAL and write their output only on success.
 */
#ifndef VNET_ADDR_H
#define VNET_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IP address of either family; unused bytes are zero so that memcmp and
 * hashing over the whole struct are valid. */
struct vnet_addr {
	uint8_t family; /* AF_INET, AF_INET6, or 0 for none */
	uint8_t pad[3];
	union {
		uint8_t b[16];
		uint32_t w[4];
		struct in_addr v4;
		struct in6_addr v6;
	};
};

#define VNET_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */
#define VNET_MACSTRLEN 18

int vnet_addr_parse(const char *s, struct vnet_addr *a);
/* Writes the text form into buf (VNET_ADDRSTRLEN bytes); returns buf. */
const char *vnet_addr_fmt(const struct vnet_addr *a, char *buf);
int vnet_addr_eq(const struct vnet_addr *a, const struct vnet_addr *b);
/* The one order of addresses, for sorted tables and canonical keys: by
 * family (its AF_ value: none < AF_INET < AF_INET6), then by the address
 * as a big-endian number.  <0, 0 or >0 as a is before, equal to (as
 * vnet_addr_eq) or after b. */
int vnet_addr_cmp(const struct vnet_addr *a, const struct vnet_addr *b);
int vnet_addr_is_any(const struct vnet_addr *a);
void vnet_addr_from_v4(struct vnet_addr *a, const void *be32);
void vnet_addr_from_v6(struct vnet_addr *a, const void *b16);
socklen_t vnet_addr_to_sockaddr(const struct vnet_addr *a, uint16_t port,
				struct sockaddr_storage *ss);
/* 0, or -EAFNOSUPPORT for a family other than AF_INET/AF_INET6. */
int vnet_addr_from_sockaddr(struct vnet_addr *a, uint16_t *port,
			    const struct sockaddr *sa);

/* "aa:bb:cc:dd:ee:ff" (also '-' separated); 0 or -EINVAL. */
int vnet_mac_parse(const char *s, uint8_t mac[6]);
/* Writes "aa:bb:cc:dd:ee:ff" into buf (VNET_MACSTRLEN bytes); returns buf. */
const char *vnet_mac_fmt(const uint8_t mac[6], char *buf);
static inline int vnet_mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}
static inline int vnet_mac_is_zero(const uint8_t *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

#endif
