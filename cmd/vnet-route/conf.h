/* SPDX-License-Identifier: ISC */
/* conf.h -- the vnet-route configuration file, vnet-route(8) CONFIGURATION:
 * tenants, segments with their prefixes and gateways, the gateway MAC,
 * static routes, route leaks, static neighbours and the table limits.
 *
 * One line a statement, words separated by tabs or spaces, '#' to the end
 * of the line a comment.  A file is valid or refused whole: the parsers
 * fill e with "FILE:LINE: what is wrong" (the rejected word quoted) and
 * return NULL with errno EINVAL (ENOMEM, or the open's errno for a file
 * that cannot be read, with e naming it).  Nothing here prints.
 */
#ifndef ROUTE_CONF_H
#define ROUTE_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/err.h"

#define ROUTE_TENANT_NAMELEN 32
#define ROUTE_TENANTS_MAX 256
#define ROUTE_SEGMENTS_MAX 4095 /* VID 0 (untagged) to 4094 */
#define ROUTE_FILE_MAX (4u << 20)
#define ROUTE_DOMAIN_MAX 253	      /* longest DHCP domain name */
#define ROUTE_DHCP_LEASE_DEFAULT 3600 /* seconds */

/* An address prefix of one family (4 or 6). */
struct route_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t addr[16]; /* network order; host bits zero */
};

struct route_seg {
	uint16_t vid;	/* 0: the untagged segment */
	uint16_t tenant; /* index into tenant[] */
	uint8_t has4, has6;
	struct route_prefix pfx4, pfx6;
	uint8_t gw4[4], gw6[16];
	uint16_t mtu;	/* IP MTU of the segment (default 1500) */
	uint8_t dhcp;	/* "dhcp": UDP 67 to the gateway goes to the DHCP
			 * engine (router.h dhcp hook) */
	/* The DHCP service of "dhcp" (vnet-route(8) DHCP), addresses in
	 * host order: pool LO-HI (default: the whole prefix; lo > hi:
	 * "pool none", static leases only), dns A[,B], lease DURATION
	 * (default ROUTE_DHCP_LEASE_DEFAULT s), domain D ("" none). */
	uint32_t dhcp_pool_lo, dhcp_pool_hi;
	uint32_t dhcp_dns[2];
	uint8_t dhcp_ndns;
	uint32_t dhcp_lease_s;
	char dhcp_domain[ROUTE_DOMAIN_MAX + 1];
	unsigned line;
};

enum route_kind {
	ROUTE_CONNECTED, /* a segment's prefix */
	ROUTE_VIA,	 /* route ... via ADDR */
	ROUTE_SEGMENT,	 /* route ... segment VID: on-link there */
	ROUTE_LEAK,	 /* leak FROM PREFIX to TENANT: looked up in FROM */
	ROUTE_KIND_MAX
};

struct route_static {
	uint16_t tenant; /* the table it goes into */
	uint8_t kind;	 /* enum route_kind, not ROUTE_CONNECTED */
	struct route_prefix pfx;
	uint8_t via[16]; /* ROUTE_VIA: the next hop, of pfx's family */
	uint16_t seg;	 /* ROUTE_SEGMENT: index into seg[] */
	uint16_t from;	 /* ROUTE_LEAK: the tenant whose table answers */
	unsigned line;
};

struct route_sneigh {
	uint16_t seg;	/* index into seg[] */
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t mac[6];
	uint8_t remote; /* "remote": behind the fabric (right side) */
	unsigned line;
};

struct route_conf {
	char tenant[ROUTE_TENANTS_MAX][ROUTE_TENANT_NAMELEN];
	unsigned ntenants;
	struct route_seg *seg;
	unsigned nseg;
	struct route_static *route;
	unsigned nroute;
	struct route_sneigh *neigh;
	unsigned nneigh;
	uint8_t gw_mac[6];
	uint8_t has_gw_mac;
	/* Limits, with their defaults (vnet-route(8)). */
	uint32_t neigh_max;	  /* neigh-max N: 4096 */
	uint32_t queue_max;	  /* neigh-queue N: 4 packets a neighbour */
	uint32_t queue_total;	  /* queue-total N: 256 packets in all */
	uint64_t neigh_age_ns;	  /* neigh-age DURATION: 300 s */
	uint32_t icmp_rate;	  /* icmp-rate N: 100 a second, burst N */
	uint64_t ra_interval_ns;  /* ra-interval DURATION: 200 s, 0 none */
	uint32_t ra_lifetime_s;	  /* router lifetime of the RAs: 1800 */
};

struct route_conf *route_conf_parse(const char *buf, size_t len,
				    const char *name, struct vnet_err *e);
struct route_conf *route_conf_load(const char *path, struct vnet_err *e);
void route_conf_free(struct route_conf *c); /* takes NULL */

/* The DHCP service of segment s of c, as the engine (dhcp.h) wants it:
 * 0, or -EINVAL when s has no "dhcp" or no IPv4 prefix. */
struct route_dhcp_seg;
int route_conf_dhcp_seg(const struct route_conf *c, const struct route_seg *s,
			struct route_dhcp_seg *out);

/* The index of segment vid, or -1. */
int route_conf_seg(const struct route_conf *c, uint16_t vid);
/* "198.19.1.0/24" into buf (64 bytes); returns buf. */
const char *route_prefix_fmt(const struct route_prefix *p, char *buf);
/* Whether addr (of p's family) is inside p. */
int route_prefix_has(const struct route_prefix *p, const uint8_t *addr);

#endif
