/* SPDX-License-Identifier: ISC */
/* conf.c -- the vnet-route configuration file (conf.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet-route/conf.h"
#include "vnet-route/dhcp.h"
#include "vnet/addr.h"
#include "vnet/num.h"

#define WORDS_MAX 32

struct parse {
	struct route_conf *c;
	const char *name;
	unsigned line;
	struct vnet_err *e;
	uint8_t seen[8]; /* singletons given: gateway-mac, limits */
};

static int fail(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[VNET_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vnet_err_set(p->e, p->name, p->line, "%s", msg);
	return -EINVAL;
}

/* Room for element n of *arr: capacity doubles at 8, 16, 32, ... */
static int grow(void **arr, unsigned n, size_t size)
{
	unsigned cap;
	void *a;

	if (n && (n < 8 || (n & (n - 1))))
		return 0;
	cap = n ? n * 2 : 8;
	if (!(a = realloc(*arr, (size_t)cap * size)))
		return -ENOMEM;
	*arr = a;
	return 0;
}

const char *route_prefix_fmt(const struct route_prefix *p, char *buf)
{
	struct vnet_addr a;
	char s[VNET_ADDRSTRLEN];

	if (p->family == 4)
		vnet_addr_from_v4(&a, p->addr);
	else
		vnet_addr_from_v6(&a, p->addr);
	snprintf(buf, 64, "%s/%u", vnet_addr_fmt(&a, s), p->plen);
	return buf;
}

int route_prefix_has(const struct route_prefix *p, const uint8_t *addr)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (memcmp(p->addr, addr, full))
		return 0;
	if (!rest)
		return 1;
	return !((p->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

int route_conf_seg(const struct route_conf *c, uint16_t vid)
{
	unsigned i;

	for (i = 0; i < c->nseg; i++)
		if (c->seg[i].vid == vid)
			return (int)i;
	return -1;
}

/* An address of family fam (0: either) into out; its family in *famp. */
static int addr_word(struct parse *p, const char *what, const char *w,
		     int fam, uint8_t *out, uint8_t *famp)
{
	struct vnet_addr a;

	if (vnet_addr_parse(w, &a) < 0)
		return fail(p, "%s '%s' is not an IP address", what, w);
	if (fam == 4 && a.family != AF_INET)
		return fail(p, "%s '%s' is not an IPv4 address", what, w);
	if (fam == 6 && a.family != AF_INET6)
		return fail(p, "%s '%s' is not an IPv6 address", what, w);
	memcpy(out, a.b, a.family == AF_INET ? 4 : 16);
	if (famp)
		*famp = a.family == AF_INET ? 4 : 6;
	return 0;
}

static int prefix_word(struct parse *p, const char *what, const char *w,
		       int fam, struct route_prefix *out)
{
	char buf[64];
	const char *sl = strchr(w, '/');
	struct route_prefix r = { 0 };
	uint64_t plen;
	unsigned i;

	if (!sl || (size_t)(sl - w) >= sizeof(buf))
		return fail(p, "%s '%s' is not ADDRESS/LENGTH", what, w);
	snprintf(buf, sizeof(buf), "%.*s", (int)(sl - w), w);
	if (addr_word(p, what, buf, fam, r.addr, &r.family) < 0) {
		vnet_err_set(p->e, p->name, p->line,
			     "%s '%s' is not an %s prefix", what, w,
			     fam == 4 ? "IPv4" : fam == 6 ? "IPv6" : "IP");
		return -EINVAL;
	}
	if (vnet_parse_u64(sl + 1, 0, r.family == 4 ? 32 : 128, &plen) < 0)
		return fail(p, "%s '%s': length '%s' is not 0 to %u", what, w,
			    sl + 1, r.family == 4 ? 32 : 128);
	r.plen = (uint8_t)plen;
	for (i = r.plen; i < (r.family == 4 ? 32u : 128u); i++)
		if (r.addr[i / 8] & (0x80 >> (i % 8)))
			return fail(p, "%s '%s' has host bits set", what, w);
	*out = r;
	return 0;
}

static int tenant_word(struct parse *p, const char *w)
{
	unsigned i;

	for (i = 0; i < p->c->ntenants; i++)
		if (!strcmp(p->c->tenant[i], w))
			return (int)i;
	return fail(p, "unknown tenant '%s' (a 'tenant %s' line first)", w, w);
}

static int seg_word(struct parse *p, const char *w)
{
	uint64_t vid;
	int s;

	if (vnet_parse_u64(w, 0, 4094, &vid) < 0)
		return fail(p, "segment '%s' is not a VID 0 to 4094", w);
	if ((s = route_conf_seg(p->c, (uint16_t)vid)) < 0)
		return fail(p, "unknown segment %s (no 'segment %s' line "
			    "before)", w, w);
	return s;
}

static int kw_tenant(struct parse *p, char **w, int n)
{
	struct route_conf *c = p->c;
	unsigned i;
	const char *s;

	if (n != 2)
		return fail(p, "'tenant NAME' expected");
	if (strlen(w[1]) >= ROUTE_TENANT_NAMELEN)
		return fail(p, "tenant name '%s' is longer than %d", w[1],
			    ROUTE_TENANT_NAMELEN - 1);
	for (s = w[1]; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return fail(p, "tenant name '%s': only letters, "
				    "digits, '-', '_' and '.'", w[1]);
	for (i = 0; i < c->ntenants; i++)
		if (!strcmp(c->tenant[i], w[1]))
			return fail(p, "tenant '%s' given twice", w[1]);
	if (c->ntenants == ROUTE_TENANTS_MAX)
		return fail(p, "more than %d tenants", ROUTE_TENANTS_MAX);
	snprintf(c->tenant[c->ntenants++], ROUTE_TENANT_NAMELEN, "%s", w[1]);
	return 0;
}

/* Whether prefix q overlaps a prefix of a segment of tenant t. */
static int seg_overlap(const struct route_conf *c, uint16_t t,
		       const struct route_prefix *q, unsigned *line)
{
	unsigned i;

	for (i = 0; i < c->nseg; i++) {
		const struct route_seg *s = &c->seg[i];
		const struct route_prefix *o = q->family == 4 ? &s->pfx4
							      : &s->pfx6;

		if (s->tenant != t || !(q->family == 4 ? s->has4 : s->has6))
			continue;
		if ((o->plen <= q->plen && route_prefix_has(o, q->addr)) ||
		    (q->plen <= o->plen && route_prefix_has(q, o->addr))) {
			*line = s->line;
			return 1;
		}
	}
	return 0;
}

/* A 32-bit host-order IPv4 address from 4 network-order bytes. */
static uint32_t v4_host(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void v4_bytes(uint32_t a, uint8_t *b)
{
	b[0] = (uint8_t)(a >> 24);
	b[1] = (uint8_t)(a >> 16);
	b[2] = (uint8_t)(a >> 8);
	b[3] = (uint8_t)a;
}

/* One IPv4 address word of a DHCP setting into *out (host order). */
static int v4_word(struct parse *p, const char *what, const char *w,
		   uint32_t *out)
{
	uint8_t b[4];

	if (addr_word(p, what, w, 4, b, NULL) < 0)
		return -EINVAL;
	*out = v4_host(b);
	return 0;
}

/* "pool LO-HI" or "pool none". */
static int pool_word(struct parse *p, struct route_seg *s, const char *w)
{
	char lo[64];
	const char *dash = strchr(w, '-');

	if (!strcmp(w, "none")) {
		s->dhcp_pool_lo = 1;
		s->dhcp_pool_hi = 0;
		return 0;
	}
	if (!dash || (size_t)(dash - w) >= sizeof(lo))
		return fail(p, "pool '%s' is not LO-HI or none", w);
	memcpy(lo, w, (size_t)(dash - w));
	lo[dash - w] = 0;
	if (v4_word(p, "pool", lo, &s->dhcp_pool_lo) < 0 ||
	    v4_word(p, "pool", dash + 1, &s->dhcp_pool_hi) < 0)
		return -EINVAL;
	if (s->dhcp_pool_lo > s->dhcp_pool_hi)
		return fail(p, "pool '%s' ends before it starts", w);
	return 0;
}

/* "dns A[,B]". */
static int dns_word(struct parse *p, struct route_seg *s, const char *w)
{
	char a[64];
	const char *comma = strchr(w, ',');

	if (!comma)
		return v4_word(p, "dns", w, &s->dhcp_dns[s->dhcp_ndns++]);
	if ((size_t)(comma - w) >= sizeof(a))
		return fail(p, "dns '%s' is not A[,B]", w);
	memcpy(a, w, (size_t)(comma - w));
	a[comma - w] = 0;
	if (strchr(comma + 1, ','))
		return fail(p, "dns '%s': at most two servers", w);
	if (v4_word(p, "dns", a, &s->dhcp_dns[0]) < 0 ||
	    v4_word(p, "dns", comma + 1, &s->dhcp_dns[1]) < 0)
		return -EINVAL;
	s->dhcp_ndns = 2;
	return 0;
}

/* "lease DURATION" (1s to 136 years, whole seconds) or "lease infinite". */
static int lease_word(struct parse *p, struct route_seg *s, const char *w)
{
	uint64_t v;

	if (!strcmp(w, "infinite")) {
		s->dhcp_lease_s = ROUTE_DHCP_LEASE_INFINITE;
		return 0;
	}
	if (vnet_parse_duration(w, &v) < 0 || v < 1000000000ULL ||
	    v / 1000000000ULL >= ROUTE_DHCP_LEASE_INFINITE)
		return fail(p, "lease '%s' is not a duration of at least 1s "
			    "or infinite", w);
	s->dhcp_lease_s = (uint32_t)(v / 1000000000ULL);
	return 0;
}

/* "domain D": 1-253 of letters, digits, '-' and '.'. */
static int domain_word(struct parse *p, struct route_seg *s, const char *w)
{
	size_t i, n = strlen(w);

	if (!n || n > ROUTE_DOMAIN_MAX)
		return fail(p, "domain '%s' is not 1 to %d characters", w,
			    ROUTE_DOMAIN_MAX);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)w[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return fail(p, "domain '%s' is not letters, digits, "
				    "'-' and '.'", w);
	}
	memcpy(s->dhcp_domain, w, n + 1);
	return 0;
}

int route_conf_dhcp_seg(const struct route_conf *c, const struct route_seg *s,
			struct route_dhcp_seg *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->dhcp || !s->has4)
		return -EINVAL;
	out->vid = s->vid;
	out->subnet = v4_host(s->pfx4.addr);
	out->mask = s->pfx4.plen ? 0xffffffffu << (32 - s->pfx4.plen) : 0;
	out->gw = v4_host(s->gw4);
	memcpy(out->gw_mac, c->gw_mac, 6);
	out->pool_lo = s->dhcp_pool_lo;
	out->pool_hi = s->dhcp_pool_hi;
	out->dns[0] = s->dhcp_dns[0];
	out->dns[1] = s->dhcp_dns[1];
	out->ndns = s->dhcp_ndns;
	out->lease_s = s->dhcp_lease_s;
	out->domain = s->dhcp_domain;
	out->mtu = s->mtu;
	return 0;
}

static int kw_segment(struct parse *p, char **w, int n)
{
	struct route_conf *c = p->c;
	struct route_seg s = { 0 };
	char pb[64];
	uint64_t v;
	unsigned line;
	int i, t, pool = 0, dset = 0;

	if (n < 4 || strcmp(w[2], "tenant"))
		return fail(p, "'segment VID tenant NAME [prefix P gw A] "
			    "[prefix6 P gw6 A] [mtu N] [dhcp [pool LO-HI] "
			    "[dns A[,B]] [lease DURATION] [domain D]]' "
			    "expected");
	if (vnet_parse_u64(w[1], 0, 4094, &v) < 0)
		return fail(p, "segment '%s' is not a VID 0 to 4094", w[1]);
	s.vid = (uint16_t)v;
	if (route_conf_seg(c, s.vid) >= 0)
		return fail(p, "segment %u given twice", s.vid);
	if ((t = tenant_word(p, w[3])) < 0)
		return t;
	s.tenant = (uint16_t)t;
	s.mtu = 1500;
	s.dhcp_lease_s = ROUTE_DHCP_LEASE_DEFAULT;
	s.line = p->line;
	for (i = 4; i < n; i++) {
		const char *k = w[i];

		if (!strcmp(k, "dhcp")) {
			if (s.dhcp)
				return fail(p, "dhcp given twice");
			s.dhcp = 1;
			continue;
		}
		if (i + 1 >= n)
			return fail(p, "'%s' needs a value", k);
		if (!strcmp(k, "pool") || !strcmp(k, "dns") ||
		    !strcmp(k, "lease") || !strcmp(k, "domain")) {
			int bit = k[0] == 'p' ? 1 : k[0] == 'l' ? 4 :
				  k[1] == 'n' ? 2 : 8;

			if (!s.dhcp)
				return fail(p, "%s before dhcp", k);
			if (dset & bit)
				return fail(p, "%s given twice", k);
			dset |= bit;
			i++;
			if (bit == 1 && pool_word(p, &s, w[i]) < 0)
				return -EINVAL;
			if (bit == 2 && dns_word(p, &s, w[i]) < 0)
				return -EINVAL;
			if (bit == 4 && lease_word(p, &s, w[i]) < 0)
				return -EINVAL;
			if (bit == 8 && domain_word(p, &s, w[i]) < 0)
				return -EINVAL;
			pool |= bit == 1;
			continue;
		}
		if (!strcmp(k, "prefix")) {
			if (s.has4)
				return fail(p, "prefix given twice");
			if (prefix_word(p, "prefix", w[++i], 4, &s.pfx4) < 0)
				return -EINVAL;
			if (s.pfx4.plen > 30)
				return fail(p, "prefix '%s' leaves no room for "
					    "a gateway and hosts (at most /30)",
					    w[i]);
			s.has4 = 1;
		} else if (!strcmp(k, "prefix6")) {
			if (s.has6)
				return fail(p, "prefix6 given twice");
			if (prefix_word(p, "prefix6", w[++i], 6, &s.pfx6) < 0)
				return -EINVAL;
			if (s.pfx6.plen > 126)
				return fail(p, "prefix6 '%s' leaves no room "
					    "for a gateway and hosts (at most "
					    "/126)", w[i]);
			s.has6 = 1;
		} else if (!strcmp(k, "gw")) {
			if (!s.has4)
				return fail(p, "gw before its prefix");
			if (addr_word(p, "gw", w[++i], 4, s.gw4, NULL) < 0)
				return -EINVAL;
			if (!route_prefix_has(&s.pfx4, s.gw4))
				return fail(p, "gw '%s' is not in prefix %s",
					    w[i],
					    route_prefix_fmt(&s.pfx4, pb));
		} else if (!strcmp(k, "gw6")) {
			if (!s.has6)
				return fail(p, "gw6 before its prefix6");
			if (addr_word(p, "gw6", w[++i], 6, s.gw6, NULL) < 0)
				return -EINVAL;
			if (!route_prefix_has(&s.pfx6, s.gw6))
				return fail(p, "gw6 '%s' is not in prefix6 %s",
					    w[i],
					    route_prefix_fmt(&s.pfx6, pb));
		} else if (!strcmp(k, "mtu")) {
			if (vnet_parse_u64(w[++i], 576, 9000, &v) < 0)
				return fail(p, "mtu '%s' is not 576 to 9000",
					    w[i]);
			s.mtu = (uint16_t)v;
		} else {
			return fail(p, "unknown segment keyword '%s' (prefix, "
				    "gw, prefix6, gw6, mtu, dhcp, pool, dns, "
				    "lease, domain)", k);
		}
	}
	if (s.dhcp && !s.has4)
		return fail(p, "dhcp needs the segment's IPv4 prefix");
	if (s.dhcp) {
		uint32_t net = v4_host(s.pfx4.addr);
		uint32_t mask = 0xffffffffu << (32 - s.pfx4.plen);
		uint8_t b[4];
		struct vnet_addr a;
		char ab[64];

		if (!pool) {
			s.dhcp_pool_lo = net + 1;
			s.dhcp_pool_hi = (net | ~mask) - 1;
		} else if (s.dhcp_pool_lo <= s.dhcp_pool_hi &&
			   ((s.dhcp_pool_lo & mask) != net ||
			    (s.dhcp_pool_hi & mask) != net)) {
			v4_bytes((s.dhcp_pool_lo & mask) != net ?
				 s.dhcp_pool_lo : s.dhcp_pool_hi, b);
			vnet_addr_from_v4(&a, b);
			return fail(p, "pool address %s is not in prefix %s",
				    vnet_addr_fmt(&a, ab),
				    route_prefix_fmt(&s.pfx4, pb));
		}
	}
	if (s.dhcp && memcmp(s.gw4, "\0\0\0\0", 4)) {
		struct route_dhcp_seg ds;
		struct vnet_err de;
		char eb[VNET_ERR_STRLEN];

		(void)route_conf_dhcp_seg(c, &s, &ds);
		vnet_err_clear(&de);
		if (route_dhcp_seg_check(&ds, &de) < 0)
			return fail(p, "dhcp: %s",
				    vnet_err_str(&de, eb, sizeof(eb)));
	}
	if (s.has4 && !memcmp(s.gw4, "\0\0\0\0", 4))
		return fail(p, "prefix without its gw");
	if (s.has6 && !memcmp(s.gw6, (uint8_t[16]){ 0 }, 16))
		return fail(p, "prefix6 without its gw6");
	if (!s.has4 && !s.has6)
		return fail(p, "segment %u has neither prefix nor prefix6",
			    s.vid);
	if (s.has4 && seg_overlap(c, s.tenant, &s.pfx4, &line))
		return fail(p, "prefix %s overlaps the segment of line %u",
			    route_prefix_fmt(&s.pfx4, pb), line);
	if (s.has6 && seg_overlap(c, s.tenant, &s.pfx6, &line))
		return fail(p, "prefix6 %s overlaps the segment of line %u",
			    route_prefix_fmt(&s.pfx6, pb), line);
	if (c->nseg == ROUTE_SEGMENTS_MAX)
		return fail(p, "more than %d segments", ROUTE_SEGMENTS_MAX);
	if (grow((void **)&c->seg, c->nseg, sizeof(*c->seg)) < 0)
		return -ENOMEM;
	c->seg[c->nseg++] = s;
	return 0;
}

static int add_route(struct parse *p, const struct route_static *r)
{
	struct route_conf *c = p->c;
	unsigned i;
	char pb[64];

	for (i = 0; i < c->nroute; i++)
		if (c->route[i].tenant == r->tenant &&
		    c->route[i].pfx.family == r->pfx.family &&
		    c->route[i].pfx.plen == r->pfx.plen &&
		    !memcmp(c->route[i].pfx.addr, r->pfx.addr, 16))
			return fail(p, "%s in tenant '%s' given twice "
				    "(line %u)", route_prefix_fmt(&r->pfx, pb),
				    c->tenant[r->tenant], c->route[i].line);
	if (c->nroute >= 1u << 20)
		return fail(p, "more than %u routes", 1u << 20);
	if (grow((void **)&c->route, c->nroute, sizeof(*c->route)) < 0)
		return -ENOMEM;
	c->route[c->nroute++] = *r;
	return 0;
}

static int kw_route(struct parse *p, char **w, int n)
{
	struct route_static r = { 0 };
	int t, s;

	if (n != 5 || (strcmp(w[3], "via") && strcmp(w[3], "segment")))
		return fail(p, "'route TENANT PREFIX via ADDR' or 'route "
			    "TENANT PREFIX segment VID' expected");
	if ((t = tenant_word(p, w[1])) < 0)
		return t;
	r.tenant = (uint16_t)t;
	r.line = p->line;
	if (prefix_word(p, "route", w[2], 0, &r.pfx) < 0)
		return -EINVAL;
	if (!strcmp(w[3], "via")) {
		r.kind = ROUTE_VIA;
		if (addr_word(p, "via", w[4], r.pfx.family, r.via, NULL) < 0)
			return -EINVAL;
	} else {
		r.kind = ROUTE_SEGMENT;
		if ((s = seg_word(p, w[4])) < 0)
			return s;
		if (p->c->seg[s].tenant != r.tenant)
			return fail(p, "segment %s is in tenant '%s', not '%s'",
				    w[4], p->c->tenant[p->c->seg[s].tenant],
				    w[1]);
		r.seg = (uint16_t)s;
	}
	return add_route(p, &r);
}

static int kw_leak(struct parse *p, char **w, int n)
{
	struct route_static r = { 0 };
	int from, to;

	if (n != 5 || strcmp(w[3], "to"))
		return fail(p, "'leak TENANT PREFIX to TENANT' expected");
	if ((from = tenant_word(p, w[1])) < 0 ||
	    (to = tenant_word(p, w[4])) < 0)
		return -EINVAL;
	if (from == to)
		return fail(p, "leak from tenant '%s' to itself", w[1]);
	if (prefix_word(p, "leak", w[2], 0, &r.pfx) < 0)
		return -EINVAL;
	r.kind = ROUTE_LEAK;
	r.tenant = (uint16_t)to;
	r.from = (uint16_t)from;
	r.line = p->line;
	return add_route(p, &r);
}

static int kw_neigh(struct parse *p, char **w, int n)
{
	struct route_conf *c = p->c;
	struct route_sneigh nb = { 0 };
	const struct route_seg *sg;
	unsigned i;
	int s;

	if ((n != 4 && n != 5) || (n == 5 && strcmp(w[4], "remote")))
		return fail(p, "'neigh VID ADDR MAC [remote]' expected");
	if ((s = seg_word(p, w[1])) < 0)
		return s;
	sg = &c->seg[s];
	nb.seg = (uint16_t)s;
	if (addr_word(p, "neigh", w[2], 0, nb.addr, &nb.family) < 0)
		return -EINVAL;
	if (!(nb.family == 4
		      ? sg->has4 && route_prefix_has(&sg->pfx4, nb.addr)
		      : sg->has6 && route_prefix_has(&sg->pfx6, nb.addr)))
		return fail(p, "neigh '%s' is not in a prefix of segment %u",
			    w[2], sg->vid);
	if (!memcmp(nb.addr, nb.family == 4 ? sg->gw4 : sg->gw6,
		    nb.family == 4 ? 4 : 16))
		return fail(p, "neigh '%s' is the gateway of segment %u", w[2],
			    sg->vid);
	if (vnet_mac_parse(w[3], nb.mac) < 0)
		return fail(p, "'%s' is not a MAC address", w[3]);
	if (vnet_mac_is_multicast(nb.mac) || vnet_mac_is_zero(nb.mac))
		return fail(p, "neigh MAC '%s' is not a unicast address", w[3]);
	nb.remote = n == 5;
	nb.line = p->line;
	for (i = 0; i < c->nneigh; i++)
		if (c->neigh[i].seg == nb.seg &&
		    c->neigh[i].family == nb.family &&
		    !memcmp(c->neigh[i].addr, nb.addr, 16))
			return fail(p, "neigh %s on segment %u given twice "
				    "(line %u)", w[2], sg->vid,
				    c->neigh[i].line);
	if (c->nneigh >= 1u << 16)
		return fail(p, "more than %u static neighbours", 1u << 16);
	if (grow((void **)&c->neigh, c->nneigh, sizeof(*c->neigh)) < 0)
		return -ENOMEM;
	c->neigh[c->nneigh++] = nb;
	return 0;
}

static int kw_gwmac(struct parse *p, char **w, int n)
{
	if (n != 2)
		return fail(p, "'gateway-mac MAC' expected");
	if (vnet_mac_parse(w[1], p->c->gw_mac) < 0)
		return fail(p, "'%s' is not a MAC address", w[1]);
	if (vnet_mac_is_multicast(p->c->gw_mac) ||
	    vnet_mac_is_zero(p->c->gw_mac))
		return fail(p, "gateway-mac '%s' is not a unicast address",
			    w[1]);
	p->c->has_gw_mac = 1;
	return 0;
}

/* The limits: one number or duration each. */
enum { L_NEIGH_MAX, L_QUEUE, L_QUEUE_TOTAL, L_AGE, L_ICMP, L_RA, L_RALIFE };

static const struct {
	const char *name;
	int dur;
	uint64_t min, max;
} limits[] = {
	[L_NEIGH_MAX] = { "neigh-max", 0, 1, 1u << 22 },
	[L_QUEUE] = { "neigh-queue", 0, 0, 64 },
	[L_QUEUE_TOTAL] = { "queue-total", 0, 0, 1u << 16 },
	[L_AGE] = { "neigh-age", 1, 1000000000ULL, 86400000000000ULL },
	[L_ICMP] = { "icmp-rate", 0, 0, 1000000 },
	[L_RA] = { "ra-interval", 1, 0, 1800000000000ULL },
	[L_RALIFE] = { "ra-lifetime", 0, 0, 9000 },
};

static int kw_limit(struct parse *p, char **w, int n, int which)
{
	struct route_conf *c = p->c;
	uint64_t v;

	if (n != 2)
		return fail(p, "'%s %s' expected", limits[which].name,
			    limits[which].dur ? "DURATION" : "N");
	if (p->seen[which])
		return fail(p, "%s given twice", limits[which].name);
	p->seen[which] = 1;
	if (limits[which].dur) {
		if (vnet_parse_duration(w[1], &v) < 0 ||
		    v < limits[which].min || v > limits[which].max)
			return fail(p, "%s '%s' is not a duration from %llus "
				    "to %llus", limits[which].name, w[1],
				    (unsigned long long)(limits[which].min /
							 1000000000ULL),
				    (unsigned long long)(limits[which].max /
							 1000000000ULL));
	} else if (vnet_parse_u64(w[1], limits[which].min, limits[which].max,
				  &v) < 0) {
		return fail(p, "%s '%s' is not %llu to %llu",
			    limits[which].name, w[1],
			    (unsigned long long)limits[which].min,
			    (unsigned long long)limits[which].max);
	}
	if (which == L_RA && v && v < 3000000000ULL)
		return fail(p, "ra-interval '%s' is 0 (none) or at least 3s "
			    "(RFC 4861 MinRtrAdvInterval)", w[1]);
	switch (which) {
	case L_NEIGH_MAX:
		c->neigh_max = (uint32_t)v;
		break;
	case L_QUEUE:
		c->queue_max = (uint32_t)v;
		break;
	case L_QUEUE_TOTAL:
		c->queue_total = (uint32_t)v;
		break;
	case L_AGE:
		c->neigh_age_ns = v;
		break;
	case L_ICMP:
		c->icmp_rate = (uint32_t)v;
		break;
	case L_RA:
		c->ra_interval_ns = v;
		break;
	case L_RALIFE:
		c->ra_lifetime_s = (uint32_t)v;
		break;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct parse *p, char **w, int n);
} keywords[] = {
	{ "tenant", kw_tenant },   { "segment", kw_segment },
	{ "route", kw_route },	   { "leak", kw_leak },
	{ "neigh", kw_neigh },	   { "gateway-mac", kw_gwmac },
};

static int statement(struct parse *p, char **w, int n)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(w[0], keywords[i].name))
			return keywords[i].fn(p, w, n);
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (!strcmp(w[0], limits[i].name))
			return kw_limit(p, w, n, (int)i);
	return fail(p, "unknown keyword '%s' (tenant, segment, gateway-mac, "
		    "route, leak, neigh, neigh-max, neigh-queue, queue-total, "
		    "neigh-age, icmp-rate, ra-interval, ra-lifetime)", w[0]);
}

/* Whether addr of family fam is in a connected prefix of tenant t. */
static int connected(const struct route_conf *c, uint16_t t, int fam,
		     const uint8_t *addr)
{
	unsigned i;

	for (i = 0; i < c->nseg; i++) {
		const struct route_seg *s = &c->seg[i];

		if (s->tenant != t)
			continue;
		if (fam == 4 ? s->has4 && route_prefix_has(&s->pfx4, addr)
			     : s->has6 && route_prefix_has(&s->pfx6, addr))
			return 1;
	}
	return 0;
}

/* What needs the whole file: next hops on-link, a gateway MAC. */
static int finish(struct parse *p)
{
	struct route_conf *c = p->c;
	struct vnet_addr a;
	char s[VNET_ADDRSTRLEN];
	unsigned i;

	for (i = 0; i < c->nroute; i++) {
		const struct route_static *r = &c->route[i];

		if (r->kind != ROUTE_VIA)
			continue;
		if (!connected(c, r->tenant, r->pfx.family, r->via)) {
			p->line = r->line;
			if (r->pfx.family == 4)
				vnet_addr_from_v4(&a, r->via);
			else
				vnet_addr_from_v6(&a, r->via);
			return fail(p, "via %s is in no segment of tenant '%s'",
				    vnet_addr_fmt(&a, s), c->tenant[r->tenant]);
		}
	}
	if (c->nseg && !c->has_gw_mac) {
		p->line = c->seg[0].line;
		return fail(p, "segments need a 'gateway-mac MAC' line");
	}
	return 0;
}

struct route_conf *route_conf_parse(const char *buf, size_t len,
				    const char *name, struct vnet_err *e)
{
	struct parse p = { .name = name ? name : "config", .e = e };
	char line[1024], *w[WORDS_MAX], *s;
	size_t off = 0;
	int r = -EINVAL, n;

	if (!(p.c = calloc(1, sizeof(*p.c)))) {
		vnet_err_sys(e, p.name, ENOMEM);
		return NULL;
	}
	p.c->neigh_max = 4096;
	p.c->queue_max = 4;
	p.c->queue_total = 256;
	p.c->neigh_age_ns = 300000000000ULL;
	p.c->icmp_rate = 100;
	p.c->ra_interval_ns = 200000000000ULL;
	p.c->ra_lifetime_s = 1800;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (buf + off)) : len - off;

		p.line++;
		if (l >= sizeof(line)) {
			r = fail(&p, "line longer than %zu bytes",
				 sizeof(line) - 1);
			goto out;
		}
		memcpy(line, buf + off, l);
		line[l] = '\0';
		off += l + 1;
		if (memchr(line, '\0', l)) {
			r = fail(&p, "NUL byte in the line");
			goto out;
		}
		if ((s = strchr(line, '#')))
			*s = '\0';
		n = 0;
		for (s = strtok(line, " \t\r"); s; s = strtok(NULL, " \t\r")) {
			if (n == WORDS_MAX) {
				r = fail(&p, "more than %d words", WORDS_MAX);
				goto out;
			}
			w[n++] = s;
		}
		if (!n)
			continue;
		if ((r = statement(&p, w, n)) < 0) {
			if (r == -ENOMEM)
				vnet_err_sys(e, p.name, ENOMEM);
			goto out;
		}
	}
	r = finish(&p);
out:
	if (r < 0) {
		route_conf_free(p.c);
		errno = -r;
		return NULL;
	}
	return p.c;
}

struct route_conf *route_conf_load(const char *path, struct vnet_err *e)
{
	struct route_conf *c = NULL;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		vnet_err_sys(e, path, errno);
		return NULL;
	}
	if (!(buf = malloc(ROUTE_FILE_MAX + 1))) {
		vnet_err_sys(e, path, ENOMEM);
		goto out;
	}
	while ((n = read(fd, buf + len, ROUTE_FILE_MAX + 1 - len)) > 0)
		if ((len += (size_t)n) > ROUTE_FILE_MAX)
			break;
	if (n < 0) {
		vnet_err_sys(e, path, errno);
		goto out;
	}
	if (len > ROUTE_FILE_MAX) {
		vnet_err_set(e, path, 0, "longer than %u bytes",
			     ROUTE_FILE_MAX);
		errno = EFBIG;
		goto out;
	}
	c = route_conf_parse(buf, len, path, e);
out:
	n = errno;
	free(buf);
	close(fd);
	errno = (int)n;
	return c;
}

void route_conf_free(struct route_conf *c)
{
	if (!c)
		return;
	free(c->seg);
	free(c->route);
	free(c->neigh);
	free(c);
}
