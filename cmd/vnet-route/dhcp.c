/* SPDX-License-Identifier: ISC */
/* dhcp.c -- the DHCPv4 responder of vnet-route: messages, leases, replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/dhcp.h"
#include "vnet-route/lease.h"
#include "vnet/addr.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/hash.h"
#include "vnet/pkt.h"

#define NONE UINT32_MAX
#define NS   1000000000ull

/* BOOTP (RFC 951, RFC 2131 2): the fixed part, then the magic cookie. */
#define BOOTP_FIXED	236
#define BOOTP_OPTS	240 /* options start after the cookie */
#define BOOTP_MIN	300 /* RFC 1542 2.1: replies padded to this */
#define BOOTP_COOKIE	0x63825363u
#define BOOTP_BROADCAST 0x8000 /* the flags bit (RFC 2131 2) */
#define PORT_SERVER	67
#define PORT_CLIENT	68
#define HDRS		(VNET_ETH_HLEN + VNET_IP4_HLEN + VNET_UDP_HLEN)

/* Message types (RFC 2132 9.6). */
enum {
	DHCPDISCOVER = 1,
	DHCPOFFER,
	DHCPREQUEST,
	DHCPDECLINE,
	DHCPACK,
	DHCPNAK,
	DHCPRELEASE,
	DHCPINFORM,
};

/* Options (RFC 2132). */
enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_REQ_IP = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_MESSAGE = 56,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_END = 255,
};

enum { L_FREE, L_OFFERED, L_BOUND, L_DECLINED };

/* A dynamic lease, an offer, or a declined address (L_DECLINED: MAC
 * zero, not in the MAC index).  Once expiry has passed the address is
 * free, but the (VID, MAC) -> IP binding stays until the slot or the
 * address is needed. */
struct lease {
	uint64_t expiry; /* ns; UINT64_MAX: never */
	uint32_t ip;
	uint32_t next_mac; /* chain in the MAC index; the free list */
	uint32_t next_ip;  /* chain in the IP index */
	uint16_t vid;
	uint8_t mac[6];
	uint8_t state;
	char host[ROUTE_LEASE_HOST_MAX + 1];
};

struct route_dhcp {
	size_t max, used;
	struct lease *slot;
	uint32_t *bmac, *bip; /* bucket heads, mask + 1 of each */
	uint32_t mask;
	uint32_t free_head;
	uint32_t seed;
	uint64_t swept; /* when the last sweep ran */
	int have_swept;
	struct route_leases *st;
	struct vnet_counter ctr[ROUTE_DHCP_C_MAX];
};

/* A parsed client message; pointers into the frame. */
struct msg {
	const uint8_t *b; /* the BOOTP message */
	uint8_t type;
	uint32_t ciaddr;
	const uint8_t *chaddr;
	uint32_t req_ip, sid;
	uint8_t has_req, has_sid;
	char host[ROUTE_LEASE_HOST_MAX + 1];
};

static const char *const drop_names[ROUTE_DHCP_DROP_MAX] = {
	[ROUTE_DHCP_DROP_SHORT] = "short",
	[ROUTE_DHCP_DROP_NOT_DHCP] = "not_dhcp",
	[ROUTE_DHCP_DROP_IP_BAD] = "ip_bad",
	[ROUTE_DHCP_DROP_IP_CSUM] = "ip_csum",
	[ROUTE_DHCP_DROP_UDP_BAD] = "udp_bad",
	[ROUTE_DHCP_DROP_UDP_CSUM] = "udp_csum",
	[ROUTE_DHCP_DROP_BOOTP_BAD] = "bootp_bad",
	[ROUTE_DHCP_DROP_OPT_LEN] = "opt_len",
	[ROUTE_DHCP_DROP_OPT_BAD] = "opt_bad",
	[ROUTE_DHCP_DROP_NO_TYPE] = "no_type",
	[ROUTE_DHCP_DROP_BAD_TYPE] = "bad_type",
	[ROUTE_DHCP_DROP_RELAYED] = "relayed",
	[ROUTE_DHCP_DROP_BAD_CHADDR] = "bad_chaddr",
	[ROUTE_DHCP_DROP_BAD_REQUEST] = "bad_request",
	[ROUTE_DHCP_DROP_NO_ROOM] = "no_room",
};

static const char *const ctr_names[ROUTE_DHCP_C_MAX] = {
	[ROUTE_DHCP_C_DISCOVER] = "dhcp_discover",
	[ROUTE_DHCP_C_OFFER] = "dhcp_offer",
	[ROUTE_DHCP_C_REQUEST] = "dhcp_request",
	[ROUTE_DHCP_C_ACK] = "dhcp_ack",
	[ROUTE_DHCP_C_NAK] = "dhcp_nak",
	[ROUTE_DHCP_C_RELEASE] = "dhcp_release",
	[ROUTE_DHCP_C_DECLINE] = "dhcp_decline",
	[ROUTE_DHCP_C_INFORM] = "dhcp_inform",
	[ROUTE_DHCP_C_IGNORED] = "dhcp_ignored",
	[ROUTE_DHCP_C_POOL_EXHAUSTED] = "dhcp_pool_exhausted",
	[ROUTE_DHCP_C_STATIC_UNUSABLE] = "dhcp_static_unusable",
	[ROUTE_DHCP_C_LEASES] = "dhcp_leases",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_SHORT - 1] = "dhcp_drop_short",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_NOT_DHCP - 1] = "dhcp_drop_not_dhcp",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_IP_BAD - 1] = "dhcp_drop_ip_bad",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_IP_CSUM - 1] = "dhcp_drop_ip_csum",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_UDP_BAD - 1] = "dhcp_drop_udp_bad",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_UDP_CSUM - 1] = "dhcp_drop_udp_csum",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_BOOTP_BAD - 1] = "dhcp_drop_bootp_bad",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_OPT_LEN - 1] = "dhcp_drop_opt_len",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_OPT_BAD - 1] = "dhcp_drop_opt_bad",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_NO_TYPE - 1] = "dhcp_drop_no_type",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_BAD_TYPE - 1] = "dhcp_drop_bad_type",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_RELAYED - 1] = "dhcp_drop_relayed",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_BAD_CHADDR - 1] =
		"dhcp_drop_bad_chaddr",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_BAD_REQUEST - 1] =
		"dhcp_drop_bad_request",
	[ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_NO_ROOM - 1] = "dhcp_drop_no_room",
};

const char *route_dhcp_drop_str(int reason)
{
	if (reason <= ROUTE_DHCP_DROP_NONE || reason >= ROUTE_DHCP_DROP_MAX)
		return "?";
	return drop_names[reason];
}

/* ---- the segment ---- */

static uint32_t bcast(const struct route_dhcp_seg *s)
{
	return s->subnet | ~s->mask;
}

static int in_subnet(const struct route_dhcp_seg *s, uint32_t ip)
{
	return (ip & s->mask) == s->subnet;
}

/* An address a client of s may have: in the subnet, not its network,
 * broadcast or gateway address. */
static int host_addr(const struct route_dhcp_seg *s, uint32_t ip)
{
	return in_subnet(s, ip) && ip != s->subnet && ip != bcast(s) &&
	       ip != s->gw;
}

static int in_pool(const struct route_dhcp_seg *s, uint32_t ip)
{
	return ip >= s->pool_lo && ip <= s->pool_hi && host_addr(s, ip);
}

static const char *ipstr(uint32_t ip, char *buf)
{
	uint8_t b[4];
	struct vnet_addr a;

	vnet_put32(b, ip);
	vnet_addr_from_v4(&a, b);
	return vnet_addr_fmt(&a, buf);
}

static int prefix_len(uint32_t mask)
{
	int n = 0;

	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	return n;
}

int route_dhcp_seg_check(const struct route_dhcp_seg *s, struct vnet_err *err)
{
	char a[VNET_ADDRSTRLEN], b[VNET_ADDRSTRLEN], c[VNET_ADDRSTRLEN];
	uint32_t inv = ~s->mask;
	int plen = prefix_len(s->mask);

	if (inv & (inv + 1)) {
		vnet_err_set(err, NULL, 0, "netmask %s is not contiguous",
			     ipstr(s->mask, a));
		return -EINVAL;
	}
	if (plen < 1 || plen > 30) {
		vnet_err_set(err, NULL, 0,
			     "prefix /%d leaves no room for clients "
			     "(expected /1 to /30)",
			     plen);
		return -EINVAL;
	}
	if (s->subnet & inv) {
		vnet_err_set(err, NULL, 0,
			     "subnet %s/%d is not a network address (%s/%d)",
			     ipstr(s->subnet, a), plen,
			     ipstr(s->subnet & s->mask, b), plen);
		return -EINVAL;
	}
	if (!in_subnet(s, s->gw) || s->gw == s->subnet || s->gw == bcast(s)) {
		vnet_err_set(err, NULL, 0,
			     "gateway %s is not a host address of subnet "
			     "%s/%d",
			     ipstr(s->gw, a), ipstr(s->subnet, b), plen);
		return -EINVAL;
	}
	if (s->pool_lo <= s->pool_hi &&
	    (!in_subnet(s, s->pool_lo) || !in_subnet(s, s->pool_hi))) {
		vnet_err_set(err, NULL, 0,
			     "pool %s-%s is not inside subnet %s/%d",
			     ipstr(s->pool_lo, a), ipstr(s->pool_hi, b),
			     ipstr(s->subnet, c), plen);
		return -EINVAL;
	}
	if (s->ndns > 2) {
		vnet_err_set(err, NULL, 0, "%u DNS servers (at most 2)",
			     s->ndns);
		return -EINVAL;
	}
	if (!s->lease_s) {
		vnet_err_set(err, NULL, 0, "lease time 0");
		return -EINVAL;
	}
	if (s->mtu && (s->mtu < 68 || s->mtu > 65535)) {
		vnet_err_set(err, NULL, 0, "MTU %u (expected 68-65535)",
			     s->mtu);
		return -EINVAL;
	}
	if (s->domain && strlen(s->domain) > 255) {
		vnet_err_set(err, NULL, 0, "domain of %zu bytes (at most 255)",
			     strlen(s->domain));
		return -EINVAL;
	}
	return 0;
}

/* ---- the table ---- */

struct route_dhcp *route_dhcp_new(size_t max_leases, struct vnet_err *err)
{
	struct route_dhcp *d = NULL;
	size_t nb = 16, i;

	if (!max_leases || max_leases > ROUTE_DHCP_MAX_LEASES) {
		vnet_err_set(err, NULL, 0, "lease table of %zu (expected 1-%u)",
			     max_leases, ROUTE_DHCP_MAX_LEASES);
		errno = EINVAL;
		return NULL;
	}
	while (nb < max_leases)
		nb <<= 1;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto fail;
	d->max = max_leases;
	d->mask = (uint32_t)(nb - 1);
	d->slot = calloc(max_leases, sizeof(*d->slot));
	d->bmac = malloc(nb * sizeof(*d->bmac));
	d->bip = malloc(nb * sizeof(*d->bip));
	d->st = route_leases_empty();
	if (!d->slot || !d->bmac || !d->bip || !d->st)
		goto fail;
	for (i = 0; i < nb; i++)
		d->bmac[i] = d->bip[i] = NONE;
	for (i = 0; i < max_leases; i++)
		d->slot[i].next_mac =
		    i + 1 < max_leases ? (uint32_t)(i + 1) : NONE;
	d->free_head = 0;
	d->seed = (uint32_t)vnet_random_seed(d);
	for (i = 0; i < ROUTE_DHCP_C_MAX; i++)
		d->ctr[i].name = ctr_names[i];
	return d;
fail:
	route_dhcp_free(d);
	vnet_err_sys(err, NULL, ENOMEM);
	errno = ENOMEM;
	return NULL;
}

void route_dhcp_free(struct route_dhcp *d)
{
	if (!d)
		return;
	route_leases_free(d->st);
	free(d->bip);
	free(d->bmac);
	free(d->slot);
	free(d);
}

int route_dhcp_load(struct route_dhcp *d, const char *path,
		    struct vnet_err *err)
{
	struct route_leases *t = route_leases_load(path, d->max, err);

	if (!t)
		return -errno;
	route_leases_free(d->st);
	d->st = t;
	return 0;
}

static uint32_t hash_mac(const struct route_dhcp *d, uint16_t vid,
			 const uint8_t *mac)
{
	uint8_t k[8];

	vnet_put16(k, vid);
	memcpy(k + 2, mac, 6);
	return vnet_hash_bytes(k, sizeof(k), d->seed) & d->mask;
}

static uint32_t hash_ip(const struct route_dhcp *d, uint16_t vid, uint32_t ip)
{
	uint8_t k[6];

	vnet_put16(k, vid);
	vnet_put32(k + 2, ip);
	return vnet_hash_bytes(k, sizeof(k), d->seed ^ 0x5bd1e995u) & d->mask;
}

static struct lease *by_mac(struct route_dhcp *d, uint16_t vid,
			    const uint8_t *mac)
{
	uint32_t i;

	for (i = d->bmac[hash_mac(d, vid, mac)]; i != NONE;
	     i = d->slot[i].next_mac)
		if (d->slot[i].vid == vid && !memcmp(d->slot[i].mac, mac, 6))
			return &d->slot[i];
	return NULL;
}

static struct lease *by_ip(struct route_dhcp *d, uint16_t vid, uint32_t ip)
{
	uint32_t i;

	for (i = d->bip[hash_ip(d, vid, ip)]; i != NONE; i = d->slot[i].next_ip)
		if (d->slot[i].vid == vid && d->slot[i].ip == ip)
			return &d->slot[i];
	return NULL;
}

static void unlink_chain(struct route_dhcp *d, uint32_t *head, uint32_t idx,
			 int mac)
{
	uint32_t *p = head;

	while (*p != NONE && *p != idx)
		p = mac ? &d->slot[*p].next_mac : &d->slot[*p].next_ip;
	if (*p == idx)
		*p = mac ? d->slot[idx].next_mac : d->slot[idx].next_ip;
}

static void link_ip(struct route_dhcp *d, struct lease *e)
{
	uint32_t idx = (uint32_t)(e - d->slot), h = hash_ip(d, e->vid, e->ip);

	e->next_ip = d->bip[h];
	d->bip[h] = idx;
}

static void unlink_ip(struct route_dhcp *d, struct lease *e)
{
	unlink_chain(d, &d->bip[hash_ip(d, e->vid, e->ip)],
		     (uint32_t)(e - d->slot), 0);
}

static void lease_remove(struct route_dhcp *d, struct lease *e)
{
	uint32_t idx = (uint32_t)(e - d->slot);

	if (e->state != L_DECLINED)
		unlink_chain(d, &d->bmac[hash_mac(d, e->vid, e->mac)], idx, 1);
	unlink_ip(d, e);
	memset(e, 0, sizeof(*e));
	e->state = L_FREE;
	e->next_mac = d->free_head;
	d->free_head = idx;
	d->used--;
}

static int live(const struct lease *e, uint64_t now)
{
	return e->expiry > now;
}

/* A free slot: from the free list, else from a sweep of the expired
 * entries (at most one a second of the clock, so that a full table is
 * not walked per packet).  NULL when the table is full of live ones. */
static struct lease *lease_alloc(struct route_dhcp *d, uint64_t now)
{
	struct lease *e;
	size_t i;

	if (d->free_head == NONE &&
	    (!d->have_swept || now < d->swept || now - d->swept >= NS)) {
		d->have_swept = 1;
		d->swept = now;
		for (i = 0; i < d->max; i++)
			if (d->slot[i].state != L_FREE &&
			    !live(&d->slot[i], now))
				lease_remove(d, &d->slot[i]);
	}
	if (d->free_head == NONE)
		return NULL;
	e = &d->slot[d->free_head];
	d->free_head = e->next_mac;
	e->next_mac = e->next_ip = NONE;
	d->used++;
	return e;
}

/* The client's usable static lease, or NULL (counted when it has one
 * that does not fit the segment). */
static const struct route_lease *static_of(struct route_dhcp *d,
					   const struct route_dhcp_seg *s,
					   const uint8_t *mac)
{
	const struct route_lease *l = route_leases_by_mac(d->st, s->vid, mac);

	if (l && !host_addr(s, l->ip)) {
		d->ctr[ROUTE_DHCP_C_STATIC_UNUSABLE].value++;
		return NULL;
	}
	return l;
}

/* Whether ip is a pool address that the client with entry self (may be
 * NULL) may take now. */
static int addr_free(struct route_dhcp *d, const struct route_dhcp_seg *s,
		     uint32_t ip, const struct lease *self, uint64_t now)
{
	const struct lease *h;

	if (!in_pool(s, ip) || route_leases_by_ip(d->st, s->vid, ip))
		return 0;
	h = by_ip(d, s->vid, ip);
	return !h || h == self || !live(h, now);
}

/* The client's dynamic lease if it still fits: its address in the pool
 * and not given to another client by a static lease since. */
static struct lease *dyn_of(struct route_dhcp *d,
			    const struct route_dhcp_seg *s, const uint8_t *mac)
{
	struct lease *e = by_mac(d, s->vid, mac);

	if (!e || !in_pool(s, e->ip) ||
	    route_leases_by_ip(d->st, s->vid, e->ip))
		return NULL;
	return e;
}

/* The lowest free pool address, or 0.  Every address skipped is held by
 * a live lease, a static lease or is the gateway, network or broadcast
 * address, so the walk ends within max + static leases + 3 steps, or at
 * the end of the pool or the subnet. */
static uint32_t lowest_free(struct route_dhcp *d,
			    const struct route_dhcp_seg *s,
			    const struct lease *self, uint64_t now)
{
	uint64_t ip, hi = s->pool_hi < bcast(s) ? s->pool_hi : bcast(s);

	/* Within the subnet, whatever the pool says. */
	for (ip = s->pool_lo > s->subnet ? s->pool_lo : s->subnet; ip <= hi;
	     ip++)
		if (addr_free(d, s, (uint32_t)ip, self, now))
			return (uint32_t)ip;
	return 0;
}

/* Give (vid, mac) the address ip (free for it: addr_free) in state st
 * until expiry; an expired holder of ip is removed.  Returns the entry,
 * or NULL when the table is full. */
static struct lease *lease_bind(struct route_dhcp *d,
				const struct route_dhcp_seg *s,
				const uint8_t *mac, uint32_t ip, uint8_t st,
				uint64_t expiry, const char *host, uint64_t now)
{
	struct lease *e = by_mac(d, s->vid, mac), *h = by_ip(d, s->vid, ip);
	uint32_t hm;

	if (h && h != e)
		lease_remove(d, h);
	if (!e) {
		e = lease_alloc(d, now);
		if (!e)
			return NULL;
		e->vid = s->vid;
		memcpy(e->mac, mac, 6);
		e->ip = ip;
		hm = hash_mac(d, e->vid, mac);
		e->next_mac = d->bmac[hm];
		d->bmac[hm] = (uint32_t)(e - d->slot);
		link_ip(d, e);
	} else if (e->ip != ip) {
		unlink_ip(d, e);
		e->ip = ip;
		link_ip(d, e);
	}
	e->state = st;
	e->expiry = expiry;
	if (host && *host)
		memcpy(e->host, host, strlen(host) + 1);
	return e;
}

/* ---- parsing ---- */

static int host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* The option walk: nothing is read past end; a length that would is a
 * drop.  Options of interest are checked for their fixed lengths; the
 * first of each counts. */
static int parse_options(const uint8_t *p, const uint8_t *end, struct msg *m)
{
	int have_host = 0;

	while (p < end) {
		uint8_t code = p[0], l;

		if (code == OPT_PAD) {
			p++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (end - p < 2 || end - p - 2 < p[1])
			return ROUTE_DHCP_DROP_OPT_LEN;
		l = p[1];
		switch (code) {
		case OPT_TYPE:
			if (l != 1)
				return ROUTE_DHCP_DROP_OPT_BAD;
			if (!m->type)
				m->type = p[2];
			break;
		case OPT_REQ_IP:
		case OPT_SERVER_ID:
			if (l != 4)
				return ROUTE_DHCP_DROP_OPT_BAD;
			if (code == OPT_REQ_IP && !m->has_req) {
				m->req_ip = vnet_get32(p + 2);
				m->has_req = 1;
			} else if (code == OPT_SERVER_ID && !m->has_sid) {
				m->sid = vnet_get32(p + 2);
				m->has_sid = 1;
			}
			break;
		case OPT_HOSTNAME:
			if (!have_host) {
				size_t i, n = l < ROUTE_LEASE_HOST_MAX
						  ? l
						  : ROUTE_LEASE_HOST_MAX;

				have_host = 1;
				for (i = 0; i < n && host_char(p[2 + i]); i++)
					m->host[i] = (char)p[2 + i];
				/* A name with anything else in it is not
				 * kept at all; a long one is cut. */
				m->host[i == n ? n : 0] = '\0';
			}
			break;
		default: /* 52 overload: sname and file are not read */
			break;
		}
		p += 2 + l;
	}
	return 0;
}

/* Parse the frame into m; 0 or a drop reason. */
static int parse(const uint8_t *f, size_t len, struct msg *m)
{
	const uint8_t *ip, *udp, *b;
	size_t ihl, tot, ulen;
	uint16_t csum;

	memset(m, 0, sizeof(*m));
	if (len < VNET_ETH_HLEN)
		return ROUTE_DHCP_DROP_SHORT;
	if (vnet_get16(f + 12) != VNET_ETH_P_IP)
		return ROUTE_DHCP_DROP_NOT_DHCP;
	ip = f + VNET_ETH_HLEN;
	len -= VNET_ETH_HLEN;
	if (len < VNET_IP4_HLEN)
		return ROUTE_DHCP_DROP_SHORT;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = vnet_get16(ip + 2);
	if (ip[0] >> 4 != 4 || ihl < VNET_IP4_HLEN || ihl > len || tot < ihl ||
	    tot > len || (vnet_get16(ip + 6) & 0x3fff))
		return ROUTE_DHCP_DROP_IP_BAD;
	if (ip[9] != 17)
		return ROUTE_DHCP_DROP_NOT_DHCP;
	if (vnet_ip4_csum(ip, ihl))
		return ROUTE_DHCP_DROP_IP_CSUM;
	udp = ip + ihl;
	if (tot - ihl < VNET_UDP_HLEN)
		return ROUTE_DHCP_DROP_SHORT;
	if (vnet_get16(udp + 2) != PORT_SERVER)
		return ROUTE_DHCP_DROP_NOT_DHCP;
	ulen = vnet_get16(udp + 4);
	if (ulen < VNET_UDP_HLEN || ulen > tot - ihl)
		return ROUTE_DHCP_DROP_UDP_BAD;
	csum = vnet_get16(udp + 6);
	if (csum) { /* 0: the sender computed none (RFC 768) */
		struct vnet_addr sa, da;
		uint32_t sum;

		vnet_addr_from_v4(&sa, ip + 12);
		vnet_addr_from_v4(&da, ip + 16);
		sum = vnet_csum_pseudo(&sa, &da, 17, (uint32_t)ulen);
		if (vnet_csum_fold(vnet_csum_add(sum, udp, ulen)))
			return ROUTE_DHCP_DROP_UDP_CSUM;
	}
	b = udp + VNET_UDP_HLEN;
	ulen -= VNET_UDP_HLEN;
	if (ulen < BOOTP_OPTS)
		return ROUTE_DHCP_DROP_SHORT;
	if (b[0] != 1 || b[1] != 1 || b[2] != 6 ||
	    vnet_get32(b + BOOTP_FIXED) != BOOTP_COOKIE)
		return ROUTE_DHCP_DROP_BOOTP_BAD;
	if (vnet_get32(b + 24))
		return ROUTE_DHCP_DROP_RELAYED;
	m->b = b;
	m->ciaddr = vnet_get32(b + 12);
	m->chaddr = b + 28;
	{
		int r = parse_options(b + BOOTP_OPTS, b + ulen, m);

		if (r)
			return r;
	}
	if (!m->type)
		return ROUTE_DHCP_DROP_NO_TYPE;
	if (vnet_mac_is_zero(m->chaddr) || vnet_mac_is_multicast(m->chaddr))
		return ROUTE_DHCP_DROP_BAD_CHADDR;
	return 0;
}

/* ---- replies ---- */

/* The longest reply for s: headers, BOOTP, every option. */
static size_t reply_max(const struct route_dhcp_seg *s)
{
	size_t dl = s->domain ? strlen(s->domain) : 0, n;

	if (dl > 255)
		dl = 255;
	n = BOOTP_OPTS + 3 + 6 + 6 + 6 + 6 + 6 + 6 + 2 + 4 * 2 + 2 + dl + 4 +
	    2 + ROUTE_LEASE_HOST_MAX + 2 + 32 + 1;
	if (n < BOOTP_MIN)
		n = BOOTP_MIN;
	return HDRS + n;
}

static uint8_t *opt32(uint8_t *p, uint8_t code, uint32_t v)
{
	p[0] = code;
	p[1] = 4;
	vnet_put32(p + 2, v);
	return p + 6;
}

static uint8_t *optstr(uint8_t *p, uint8_t code, const char *s)
{
	size_t n = strlen(s);

	if (n > 255)
		n = 255;
	p[0] = code;
	p[1] = (uint8_t)n;
	memcpy(p + 2, s, n);
	return p + 2 + n;
}

/* Write the reply of type to m into out (room checked: reply_max).
 * yiaddr 0 for NAK and INFORM's ACK; lease: whether lease times go in;
 * host: option 12 or NULL; text: NAK's option 56 or NULL. */
static size_t build(const struct route_dhcp_seg *s, const struct msg *m,
		    uint8_t type, uint32_t yiaddr, int lease, const char *host,
		    const char *text, uint8_t *out)
{
	static const uint8_t bc_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *ip = out + VNET_ETH_HLEN, *udp = ip + VNET_IP4_HLEN;
	uint8_t *b = udp + VNET_UDP_HLEN, *p;
	int bcast_flag = (vnet_get16(m->b + 10) & BOOTP_BROADCAST) != 0;
	uint32_t dst, sum;
	struct vnet_addr sa, da;
	size_t blen, ulen;
	unsigned i;

	memset(out, 0, reply_max(s));
	/* BOOTP (RFC 2131 4.3.1, table 3) */
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, m->b + 4, 4);   /* xid */
	memcpy(b + 10, m->b + 10, 2); /* flags */
	if (type == DHCPACK)
		vnet_put32(b + 12, m->ciaddr);
	vnet_put32(b + 16, yiaddr);
	memcpy(b + 28, m->b + 28, 16); /* chaddr */
	vnet_put32(b + BOOTP_FIXED, BOOTP_COOKIE);
	p = b + BOOTP_OPTS;
	p[0] = OPT_TYPE;
	p[1] = 1;
	p[2] = type;
	p += 3;
	p = opt32(p, OPT_SERVER_ID, s->gw);
	if (type == DHCPNAK) {
		if (text)
			p = optstr(p, OPT_MESSAGE, text);
	} else {
		if (lease) {
			p = opt32(p, OPT_LEASE, s->lease_s);
			if (s->lease_s != ROUTE_DHCP_LEASE_INFINITE) {
				p = opt32(p, OPT_T1, s->lease_s / 2);
				p = opt32(
				    p, OPT_T2,
				    (uint32_t)((uint64_t)s->lease_s * 7 / 8));
			}
		}
		p = opt32(p, OPT_MASK, s->mask);
		p = opt32(p, OPT_ROUTER, s->gw);
		if (s->ndns) {
			*p++ = OPT_DNS;
			*p++ = (uint8_t)(4 * (s->ndns > 2 ? 2 : s->ndns));
			for (i = 0; i < s->ndns && i < 2; i++, p += 4)
				vnet_put32(p, s->dns[i]);
		}
		if (s->domain && *s->domain)
			p = optstr(p, OPT_DOMAIN, s->domain);
		if (s->mtu >= 68 && s->mtu <= 65535) {
			p[0] = OPT_MTU;
			p[1] = 2;
			vnet_put16(p + 2, s->mtu);
			p += 4;
		}
		if (host && *host)
			p = optstr(p, OPT_HOSTNAME, host);
	}
	*p++ = OPT_END;
	blen = (size_t)(p - b);
	if (blen < BOOTP_MIN)
		blen = BOOTP_MIN;

	/* Where it goes (RFC 2131 4.1, giaddr 0). */
	if (type == DHCPNAK || (!m->ciaddr && bcast_flag)) {
		dst = 0xffffffffu;
		memcpy(out, bc_mac, 6);
	} else {
		dst = m->ciaddr ? m->ciaddr : yiaddr;
		memcpy(out, m->chaddr, 6);
	}
	memcpy(out + 6, s->gw_mac, 6);
	vnet_put16(out + 12, VNET_ETH_P_IP);

	ulen = VNET_UDP_HLEN + blen;
	ip[0] = 0x45;
	vnet_put16(ip + 2, (uint32_t)(VNET_IP4_HLEN + ulen));
	ip[8] = 64;
	ip[9] = 17;
	vnet_put32(ip + 12, s->gw);
	vnet_put32(ip + 16, dst);
	vnet_put16(ip + 10, vnet_ip4_csum(ip, VNET_IP4_HLEN));
	vnet_put16(udp, PORT_SERVER);
	vnet_put16(udp + 2, PORT_CLIENT);
	vnet_put16(udp + 4, (uint32_t)ulen);
	vnet_addr_from_v4(&sa, ip + 12);
	vnet_addr_from_v4(&da, ip + 16);
	sum = vnet_csum_pseudo(&sa, &da, 17, (uint32_t)ulen);
	sum = vnet_csum_fold(vnet_csum_add(sum, udp, ulen));
	vnet_put16(udp + 6, sum ? sum : 0xffff); /* 0 means none */
	return HDRS + blen;
}

/* ---- the messages ---- */

static uint64_t lease_end(const struct route_dhcp_seg *s, uint64_t now)
{
	uint64_t l = (uint64_t)s->lease_s * NS;

	if (s->lease_s == ROUTE_DHCP_LEASE_INFINITE || now > UINT64_MAX - l)
		return UINT64_MAX;
	return now + l;
}

static int discover(struct route_dhcp *d, const struct route_dhcp_seg *s,
		    const struct msg *m, uint8_t *out, uint64_t now)
{
	const struct route_lease *st = static_of(d, s, m->chaddr);
	struct lease *e = NULL;
	uint64_t exp = now + ROUTE_DHCP_OFFER_S * NS;
	uint32_t ip = 0;
	uint8_t state = L_OFFERED;

	if (st)
		return (int)build(s, m, DHCPOFFER, st->ip, 1, st->host, NULL,
				  out);
	e = dyn_of(d, s, m->chaddr);
	if (e && e->state != L_DECLINED)
		ip = e->ip;
	else if (m->has_req && addr_free(d, s, m->req_ip, e, now))
		ip = m->req_ip;
	else
		ip = lowest_free(d, s, by_mac(d, s->vid, m->chaddr), now);
	if (!ip) {
		d->ctr[ROUTE_DHCP_C_POOL_EXHAUSTED].value++;
		return 0;
	}
	/* A client that rediscovers keeps what it has bound. */
	if (e && e->ip == ip && e->state == L_BOUND && live(e, now)) {
		state = L_BOUND;
		if (e->expiry > exp)
			exp = e->expiry;
	}
	if (!lease_bind(d, s, m->chaddr, ip, state, exp, m->host, now)) {
		d->ctr[ROUTE_DHCP_C_POOL_EXHAUSTED].value++;
		return 0;
	}
	return (int)build(s, m, DHCPOFFER, ip, 1, NULL, NULL, out);
}

enum { SELECTING, INIT_REBOOT, RENEWING };

static int nak(struct route_dhcp *d, const struct route_dhcp_seg *s,
	       const struct msg *m, const char *why, uint8_t *out)
{
	d->ctr[ROUTE_DHCP_C_NAK].value++;
	return (int)build(s, m, DHCPNAK, 0, 0, NULL, why, out);
}

static int request(struct route_dhcp *d, const struct route_dhcp_seg *s,
		   const struct msg *m, uint8_t *out, uint64_t now)
{
	const struct route_lease *st;
	struct lease *e;
	uint32_t want, cur = 0;
	int mode;

	if (m->has_sid) {
		if (m->sid != s->gw) {
			/* The client took another server's offer. */
			e = by_mac(d, s->vid, m->chaddr);
			if (e && e->state == L_OFFERED)
				e->expiry = now;
			d->ctr[ROUTE_DHCP_C_IGNORED].value++;
			return 0;
		}
		if (!m->has_req)
			return -ROUTE_DHCP_DROP_BAD_REQUEST;
		want = m->req_ip;
		mode = SELECTING;
	} else if (m->has_req) {
		want = m->req_ip;
		mode = INIT_REBOOT;
	} else if (m->ciaddr) {
		want = m->ciaddr;
		mode = RENEWING;
	} else {
		return -ROUTE_DHCP_DROP_BAD_REQUEST;
	}
	if (!in_subnet(s, want))
		return nak(d, s, m, "wrong network", out);
	st = static_of(d, s, m->chaddr);
	e = dyn_of(d, s, m->chaddr);
	if (st)
		cur = st->ip;
	else if (e && e->state != L_DECLINED)
		cur = e->ip;
	if (cur && want != cur)
		return nak(d, s, m, "wrong address", out);
	if (st) {
		/* A dynamic lease of before gives its address back. */
		e = by_mac(d, s->vid, m->chaddr);
		if (e)
			lease_remove(d, e);
		d->ctr[ROUTE_DHCP_C_ACK].value++;
		return (int)build(s, m, DHCPACK, want, 1, st->host, NULL, out);
	}
	if (!cur && !addr_free(d, s, want, by_mac(d, s->vid, m->chaddr), now)) {
		if (mode == INIT_REBOOT) {
			d->ctr[ROUTE_DHCP_C_IGNORED].value++;
			return 0;
		}
		return nak(d, s, m, "address not available", out);
	}
	if (!lease_bind(d, s, m->chaddr, want, L_BOUND, lease_end(s, now),
			m->host, now))
		return nak(d, s, m, "lease table full", out);
	d->ctr[ROUTE_DHCP_C_ACK].value++;
	return (int)build(s, m, DHCPACK, want, 1, NULL, NULL, out);
}

static int decline(struct route_dhcp *d, const struct route_dhcp_seg *s,
		   const struct msg *m, uint64_t now)
{
	struct lease *e, *h;
	uint32_t ip = m->req_ip;

	if (!m->has_req)
		return -ROUTE_DHCP_DROP_BAD_REQUEST;
	if ((m->has_sid && m->sid != s->gw) || !in_pool(s, ip) ||
	    route_leases_by_ip(d->st, s->vid, ip)) {
		/* Another server's, or an address this one cannot move
		 * (a static lease keeps its address). */
		d->ctr[ROUTE_DHCP_C_IGNORED].value++;
		return 0;
	}
	e = by_mac(d, s->vid, m->chaddr);
	if (e && e->ip == ip)
		lease_remove(d, e);
	h = by_ip(d, s->vid, ip);
	if (h && live(h, now) && h->state != L_DECLINED) {
		/* Someone else holds it: not this client's to decline. */
		d->ctr[ROUTE_DHCP_C_IGNORED].value++;
		return 0;
	}
	if (h)
		lease_remove(d, h);
	e = lease_alloc(d, now);
	if (!e)
		return 0;
	e->vid = s->vid;
	e->ip = ip;
	e->state = L_DECLINED;
	e->expiry = now + ROUTE_DHCP_DECLINE_S * NS;
	link_ip(d, e);
	return 0;
}

static int release(struct route_dhcp *d, const struct route_dhcp_seg *s,
		   const struct msg *m, uint64_t now)
{
	struct lease *e;

	if (m->has_sid && m->sid != s->gw) {
		d->ctr[ROUTE_DHCP_C_IGNORED].value++;
		return 0;
	}
	e = by_mac(d, s->vid, m->chaddr);
	if (e && e->ip == m->ciaddr && live(e, now))
		e->expiry = now; /* the binding stays for its return */
	return 0;
}

int route_dhcp_answer(struct route_dhcp *d, const struct route_dhcp_seg *s,
		      const uint8_t *frame, size_t len, uint8_t *out,
		      size_t cap, uint64_t now)
{
	struct msg m;
	int r = parse(frame, len, &m);

	if (!r && m.type != DHCPRELEASE && m.type != DHCPDECLINE &&
	    cap < reply_max(s))
		r = ROUTE_DHCP_DROP_NO_ROOM;
	if (!r) {
		switch (m.type) {
		case DHCPDISCOVER:
			d->ctr[ROUTE_DHCP_C_DISCOVER].value++;
			r = discover(d, s, &m, out, now);
			if (r > 0)
				d->ctr[ROUTE_DHCP_C_OFFER].value++;
			break;
		case DHCPREQUEST:
			d->ctr[ROUTE_DHCP_C_REQUEST].value++;
			r = request(d, s, &m, out, now);
			break;
		case DHCPDECLINE:
			d->ctr[ROUTE_DHCP_C_DECLINE].value++;
			r = decline(d, s, &m, now);
			break;
		case DHCPRELEASE:
			d->ctr[ROUTE_DHCP_C_RELEASE].value++;
			r = release(d, s, &m, now);
			break;
		case DHCPINFORM:
			d->ctr[ROUTE_DHCP_C_INFORM].value++;
			if (!m.ciaddr) {
				r = -ROUTE_DHCP_DROP_BAD_REQUEST;
				break;
			}
			d->ctr[ROUTE_DHCP_C_ACK].value++;
			r = (int)build(s, &m, DHCPACK, 0, 0, NULL, NULL, out);
			break;
		default:
			r = -ROUTE_DHCP_DROP_BAD_TYPE;
			break;
		}
		if (r >= 0)
			return r;
		r = -r;
	}
	d->ctr[ROUTE_DHCP_C_DROP + r - 1].value++;
	return -r;
}

const struct vnet_counter *route_dhcp_counters(struct route_dhcp *d, size_t *n)
{
	d->ctr[ROUTE_DHCP_C_LEASES].value = d->used;
	*n = ROUTE_DHCP_C_MAX;
	return d->ctr;
}

/* ---- the dump ---- */

struct row {
	uint16_t vid;
	uint32_t ip;
	const uint8_t *mac;
	uint64_t expiry; /* 0: static */
	const char *host;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return memcmp(x->mac, y->mac, 6);
}

int route_dhcp_dump(const struct route_dhcp *d, FILE *f, uint64_t now)
{
	static const uint8_t zero[6];
	size_t ns = route_leases_count(d->st), n = 0, i;
	char mac[VNET_MACSTRLEN], ip[VNET_ADDRSTRLEN];
	struct row *v = NULL;
	int ret = -ENOMEM;

	if (ns + d->used) {
		v = malloc((ns + d->used) * sizeof(*v));
		if (!v)
			goto out;
	}
	for (i = 0; i < ns; i++) {
		const struct route_lease *l = route_leases_at(d->st, i);

		v[n++] = (struct row){.vid = l->vid,
				      .ip = l->ip,
				      .mac = l->mac,
				      .expiry = 0,
				      .host = l->host};
	}
	for (i = 0; i < d->max && n < ns + d->used; i++) {
		const struct lease *e = &d->slot[i];

		if ((e->state != L_BOUND && e->state != L_DECLINED) ||
		    !live(e, now))
			continue;
		v[n++] =
		    (struct row){.vid = e->vid,
				 .ip = e->ip,
				 .mac = e->state == L_DECLINED ? zero : e->mac,
				 .expiry = e->expiry,
				 .host = e->host};
	}
	if (n)
		qsort(v, n, sizeof(*v), row_cmp);
	errno = 0;
	for (i = 0; i < n; i++) {
		fprintf(f, "%u\t%s\t%s\t", v[i].vid,
			vnet_mac_fmt(v[i].mac, mac), ipstr(v[i].ip, ip));
		if (!v[i].expiry)
			fputs("static", f);
		else if (v[i].expiry == UINT64_MAX)
			fputs("infinite", f);
		else
			fprintf(f, "%llu",
				(unsigned long long)((v[i].expiry - now) / NS));
		fprintf(f, "\t%s\n", *v[i].host ? v[i].host : "-");
	}
	ret = 0;
	if (fflush(f) || ferror(f))
		ret = errno ? -errno : -EIO;
out:
	free(v);
	return ret;
}
