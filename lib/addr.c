/* SPDX-License-Identifier: ISC */
/* addr.c -- address parsing and formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vnet/addr.h"

int vnet_addr_parse(const char *s, struct vnet_addr *a)
{
	struct vnet_addr t;

	memset(&t, 0, sizeof(t));
	if (inet_pton(AF_INET, s, &t.v4) == 1)
		t.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &t.v6) == 1)
		t.family = AF_INET6;
	else
		return -EINVAL;
	*a = t;
	return 0;
}

const char *vnet_addr_fmt(const struct vnet_addr *a, char *buf)
{
	if (!a->family || !inet_ntop(a->family, a->b, buf, VNET_ADDRSTRLEN))
		snprintf(buf, VNET_ADDRSTRLEN, "-");
	return buf;
}

int vnet_addr_eq(const struct vnet_addr *a, const struct vnet_addr *b)
{
	return a->family == b->family && !memcmp(a->b, b->b, 16);
}

int vnet_addr_cmp(const struct vnet_addr *a, const struct vnet_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, 16);
}

int vnet_addr_is_any(const struct vnet_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->b, zero, 16);
}

void vnet_addr_from_v4(struct vnet_addr *a, const void *be32)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->b, be32, 4);
}

void vnet_addr_from_v6(struct vnet_addr *a, const void *b16)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->b, b16, 16);
}

socklen_t vnet_addr_to_sockaddr(const struct vnet_addr *a, uint16_t port,
				struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->b, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->b, 4);
		return sizeof(*s4);
	}
}

int vnet_addr_from_sockaddr(struct vnet_addr *a, uint16_t *port,
			    const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		vnet_addr_from_v4(a, &s4->sin_addr);
		if (port)
			*port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		vnet_addr_from_v6(a, &s6->sin6_addr);
		if (port)
			*port = ntohs(s6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vnet_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

const char *vnet_mac_fmt(const uint8_t mac[6], char *buf)
{
	snprintf(buf, VNET_MACSTRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
