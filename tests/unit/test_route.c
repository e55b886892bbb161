/* SPDX-License-Identifier: ISC */
/* test_route.c -- vnet-route: the LPM against a brute-force reference,
 * the configuration parser, the RFC 1624 checksum update, and the first
 * hop and routing of the data path. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vnet-route/conf.h"
#include "vnet-route/lpm.h"
#include "vnet-route/router.h"
#include "vnet/csum.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

struct ref {
	uint8_t key[16];
	unsigned plen;
	uint32_t value;
};

static int covers(const struct ref *r, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < r->plen; i++)
		if (((r->key[i / 8] ^ a[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

static void mask(uint8_t *k, unsigned plen, unsigned bytes)
{
	unsigned i;

	for (i = plen; i < bytes * 8; i++)
		k[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* n random prefixes (clustered, so that they nest), then random and
 * near-prefix addresses: the trie and a scan agree. */
static void lpm_vs_ref(unsigned bits, unsigned n)
{
	unsigned bytes = bits / 8, i, j, k;
	struct route_lpm *l = route_lpm_new(bits);
	struct ref *refs = calloc(n, sizeof(*refs));
	unsigned nref = 0;

	T_ASSERT(l && refs);
	for (i = 0; i < n; i++) {
		struct ref r = { .plen = rnd() % (bits + 1), .value = i };

		for (j = 0; j < bytes; j++)
			r.key[j] = (uint8_t)(j < 2 ? 198 + (rnd() & 1)
						   : rnd());
		mask(r.key, r.plen, bytes);
		for (k = 0; k < nref; k++)
			if (refs[k].plen == r.plen &&
			    !memcmp(refs[k].key, r.key, bytes))
				break;
		if (k < nref)
			refs[k].value = r.value;
		else
			refs[nref++] = r;
		T_EQ(route_lpm_insert(l, r.key, r.plen, r.value), 0);
	}
	T_EQ(route_lpm_count(l), nref);
	for (i = 0; i < 20000; i++) {
		uint8_t a[16];
		uint32_t v = 0, want = 0;
		unsigned plen = 0, best = 0;
		int found = 0, got;

		if (i & 1) {
			memcpy(a, refs[rnd() % nref].key, 16);
			a[rnd() % bytes] ^= (uint8_t)(1u << (rnd() % 8));
		} else {
			for (j = 0; j < bytes; j++)
				a[j] = (uint8_t)(j < 2 ? 198 + (rnd() & 1)
						       : rnd());
		}
		for (k = 0; k < nref; k++)
			if (covers(&refs[k], a) &&
			    (!found || refs[k].plen > best)) {
				found = 1;
				best = refs[k].plen;
				want = refs[k].value;
			}
		got = route_lpm_lookup(l, a, &v, &plen);
		T_EQ(got, found);
		if (found && got) {
			T_EQ(v, want);
			T_EQ(plen, best);
		}
	}
	route_lpm_free(l);
	free(refs);
}

static void test_lpm4(void)
{
	lpm_vs_ref(32, 2000);
}

static void test_lpm6(void)
{
	lpm_vs_ref(128, 2000);
}

static int count_walk(void *arg, const uint8_t *key, unsigned plen,
		      uint32_t value)
{
	unsigned *n = arg;

	(void)key;
	(void)plen;
	(void)value;
	(*n)++;
	return 0;
}

static void test_lpm_edges(void)
{
	struct route_lpm *l = route_lpm_new(32);
	uint8_t z[4] = { 0 }, a[4] = { 198, 19, 1, 7 };
	uint32_t v;
	unsigned n = 0;

	T_ASSERT(!route_lpm_new(64) && errno == EINVAL);
	T_EQ(route_lpm_lookup(l, a, &v, NULL), 0);
	T_EQ(route_lpm_insert(l, z, 0, 5), 0); /* a default route */
	T_EQ(route_lpm_lookup(l, a, &v, NULL), 1);
	T_EQ(v, 5);
	T_EQ(route_lpm_insert(l, a, 32, 6), 0);
	T_EQ(route_lpm_insert(l, a, 33, 6), -EINVAL);
	T_EQ(route_lpm_get(l, a, 32, &v), 1);
	T_EQ(v, 6);
	T_EQ(route_lpm_get(l, a, 31, &v), 0);
	route_lpm_walk(l, count_walk, &n);
	T_EQ(n, 2);
	route_lpm_free(l);
	route_lpm_free(NULL);
}

/* RFC 1624: the update equals a full recomputation, for random headers
 * and every TTL change, including the 0x0000/0xffff cases. */
static void test_csum_update(void)
{
	unsigned i;

	for (i = 0; i < 100000; i++) {
		uint8_t h[20];
		uint16_t c0, c1, old, nw;
		unsigned j;

		for (j = 0; j < 20; j++)
			h[j] = (uint8_t)rnd();
		h[0] = 0x45;
		if (!h[8])
			h[8] = 1;
		h[10] = h[11] = 0;
		c0 = vnet_ip4_csum(h, 20);
		h[10] = (uint8_t)(c0 >> 8);
		h[11] = (uint8_t)c0;
		old = (uint16_t)(h[8] << 8 | h[9]);
		h[8]--;
		nw = (uint16_t)(h[8] << 8 | h[9]);
		c1 = route_csum_update16(c0, old, nw);
		h[10] = (uint8_t)(c1 >> 8);
		h[11] = (uint8_t)c1;
		T_EQ(vnet_ip4_csum(h, 20), 0);
		if (vnet_ip4_csum(h, 20))
			break;
	}
	/* RFC 1624 section 3's example: the result is not 0x0000 where
	 * the header sums to 0xffff. */
	T_EQ(route_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

static const char good[] =
	"# a node\n"
	"gateway-mac 02:00:5e:00:01:01\n"
	"tenant red\n"
	"tenant\tblue\n"
	"segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1 "
	"prefix6 2001:db8:1::/64 gw6 2001:db8:1::1\n"
	"segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1 mtu 1400\n"
	"segment 30 tenant blue prefix 198.19.3.0/24 gw 198.19.3.1 dhcp\n"
	"route red 198.19.9.0/24 via 198.19.2.5\n"
	"route red 2001:db8:9::/48 segment 10\n"
	"leak red 198.19.1.0/24 to blue\n"
	"neigh 20 198.19.2.5 02:00:00:00:00:05 remote\n"
	"neigh-max 100\n"
	"ra-interval 30s\n";

static void test_conf_good(void)
{
	struct vnet_err e;
	struct route_conf *c = route_conf_parse(good, strlen(good), "n.conf",
						&e);

	T_ASSERT(c);
	if (!c)
		return;
	T_EQ(c->ntenants, 2);
	T_EQ(c->nseg, 3);
	T_EQ(c->nroute, 3);
	T_EQ(c->nneigh, 1);
	T_EQ(c->seg[1].mtu, 1400);
	T_EQ(c->seg[2].dhcp, 1);
	T_EQ(c->seg[0].has6, 1);
	T_EQ(c->seg[0].pfx6.plen, 64);
	T_EQ(c->neigh_max, 100);
	T_EQ(c->ra_interval_ns, 30000000000ULL);
	T_EQ(c->route[2].kind, ROUTE_LEAK);
	T_EQ(c->route[2].tenant, 1);
	T_EQ(c->route[2].from, 0);
	T_EQ(c->neigh[0].remote, 1);
	route_conf_free(c);
}

static void test_conf_bad(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "tenant a\ntenant a\n", "n.conf:2: tenant 'a' given twice" },
		{ "segment 5 tenant b prefix 198.19.1.0/24 gw 198.19.1.1\n",
		  "n.conf:1: unknown tenant 'b' (a 'tenant b' line first)" },
		{ "tenant a\nsegment 5 tenant a prefix 198.19.1.1/24 gw "
		  "198.19.1.1\n",
		  "n.conf:2: prefix '198.19.1.1/24' has host bits set" },
		{ "tenant a\nsegment 5 tenant a prefix 198.19.1.0/24 gw "
		  "198.19.2.1\n",
		  "n.conf:2: gw '198.19.2.1' is not in prefix 198.19.1.0/24" },
		{ "tenant a\nsegment 5 tenant a prefix 198.19.1.0/24 gw "
		  "198.19.1.1\n",
		  "n.conf:2: segments need a 'gateway-mac MAC' line" },
		{ "frob 1\n", NULL },
		{ "tenant a\nsegment 4095 tenant a\n",
		  "n.conf:2: segment '4095' is not a VID 0 to 4094" },
		{ "gateway-mac 01:00:5e:00:00:01\n",
		  "n.conf:1: gateway-mac '01:00:5e:00:00:01' is not a unicast "
		  "address" },
		{ "tenant a\ntenant b\ngateway-mac 02:00:00:00:00:01\n"
		  "segment 1 tenant a prefix 198.19.1.0/24 gw 198.19.1.1\n"
		  "segment 2 tenant a prefix 198.19.1.128/25 gw 198.19.1.129\n",
		  "n.conf:5: prefix 198.19.1.128/25 overlaps the segment of "
		  "line 4" },
		{ "tenant a\ngateway-mac 02:00:00:00:00:01\n"
		  "segment 1 tenant a prefix 198.19.1.0/24 gw 198.19.1.1\n"
		  "route a 198.19.9.0/24 via 198.19.7.1\n",
		  "n.conf:4: via 198.19.7.1 is in no segment of tenant 'a'" },
		{ "tenant a\nleak a 198.19.1.0/24 to a\n",
		  "n.conf:2: leak from tenant 'a' to itself" },
		{ "neigh-max 0\n",
		  "n.conf:1: neigh-max '0' is not 1 to 4194304" },
		{ "ra-interval 1s\n",
		  "n.conf:1: ra-interval '1s' is 0 (none) or at least 3s "
		  "(RFC 4861 MinRtrAdvInterval)" },
	};
	char buf[VNET_ERR_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vnet_err e;
		struct route_conf *c;

		vnet_err_clear(&e);
		c = route_conf_parse(bad[i].text, strlen(bad[i].text), "n.conf",
				     &e);
		T_ASSERT(!c);
		route_conf_free(c);
		vnet_err_str(&e, buf, sizeof(buf));
		if (bad[i].msg)
			T_STREQ(buf, bad[i].msg);
		else
			T_ASSERT(!strncmp(buf,
					  "n.conf:1: unknown keyword 'frob'",
					  32));
	}
}

/* ---- the data path ---- */

struct out {
	int n;
	enum vnet_dir dir[8];
	uint8_t f[8][1600];
	size_t len[8];
};

static void cap(void *arg, enum vnet_dir dir, const uint8_t *frame,
		size_t len)
{
	struct out *o = arg;

	if (o->n < 8 && len <= sizeof(o->f[0])) {
		o->dir[o->n] = dir;
		memcpy(o->f[o->n], frame, len);
		o->len[o->n++] = len;
	}
}

static const uint8_t gwmac[6] = { 2, 0, 0x5e, 0, 1, 1 };
static const uint8_t hmac[6] = { 2, 0, 0, 0, 0, 0x10 };

/* A tagged IPv4 ICMP echo from 198.19.1.10 to dst, ttl ttl, to mac. */
static size_t ping4(uint8_t *f, const uint8_t *to, uint16_t vid,
		    const uint8_t *dst, uint8_t ttl)
{
	static const uint8_t src[4] = { 198, 19, 1, 10 };
	uint8_t *ip = f + 18;
	uint16_t c;

	memset(f, 0, 18 + 28);
	memcpy(f, to, 6);
	memcpy(f + 6, hmac, 6);
	f[12] = 0x81;
	f[14] = (uint8_t)(vid >> 8);
	f[15] = (uint8_t)vid;
	f[16] = 0x08;
	ip[0] = 0x45;
	ip[3] = 28;
	ip[8] = ttl;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = vnet_ip4_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = 8;
	c = vnet_csum_fold(vnet_csum_add(0, ip + 20, 8));
	ip[22] = (uint8_t)(c >> 8);
	ip[23] = (uint8_t)c;
	return 18 + 28;
}

static void test_path(void)
{
	static const char text[] =
		"gateway-mac 02:00:5e:00:01:01\n"
		"tenant red\ntenant blue\n"
		"segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1\n"
		"segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1\n"
		"segment 30 tenant blue prefix 198.19.3.0/24 gw 198.19.3.1\n"
		"neigh 20 198.19.2.10 02:00:00:00:00:20\n";
	static struct out o;
	struct route_router_config rc = { .emit = cap, .arg = &o,
					  .access_vid = -1 };
	struct route_conf *c = route_conf_parse(text, sizeof(text) - 1, "t",
						NULL);
	struct route_router *r;
	struct route_verdict v;
	uint8_t f[128];
	static const uint8_t d2[4] = { 198, 19, 2, 10 },
			     d3[4] = { 198, 19, 3, 10 },
			     d9[4] = { 198, 19, 2, 99 },
			     gw[4] = { 198, 19, 1, 1 };
	size_t n;

	T_ASSERT(c);
	r = route_router_new(c, &rc);
	T_ASSERT(r);
	if (!r)
		return;
	/* Routed: TTL one less, checksum right, MACs and VID rewritten. */
	n = ping4(f, gwmac, 10, d2, 64);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 1, &v), ROUTE_DONE);
	T_STREQ(v.why, "routed");
	T_STREQ(v.route, "red 198.19.2.0/24 connected segment 20");
	T_EQ(o.n, 1);
	T_EQ(o.dir[0], VNET_INGRESS);
	T_EQ(o.f[0][15], 20);
	T_MEMEQ(o.f[0] + 6, gwmac, 6);
	T_EQ(o.f[0][0 + 5], 0x20);
	T_EQ(o.f[0][18 + 8], 63);
	T_EQ(vnet_ip4_csum(o.f[0] + 18, 20), 0);
	/* Another tenant: net unreachable from the gateway. */
	o.n = 0;
	n = ping4(f, gwmac, 10, d3, 64);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 2, &v), ROUTE_DROP);
	T_STREQ(v.why, "no-route");
	T_EQ(o.n, 1);
	T_EQ(o.f[0][18 + 20], 3);
	T_EQ(o.f[0][18 + 21], 0);
	T_MEMEQ(o.f[0] + 18 + 12, gw, 4);
	/* TTL 1: time exceeded. */
	o.n = 0;
	n = ping4(f, gwmac, 10, d2, 1);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 3, &v), ROUTE_DROP);
	T_STREQ(v.why, "ttl-exceeded");
	T_EQ(o.n, 1);
	T_EQ(o.f[0][18 + 20], 11);
	/* Unknown neighbour: ARP on both sides, the packet queued. */
	o.n = 0;
	n = ping4(f, gwmac, 10, d9, 64);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 4, &v), ROUTE_DONE);
	T_STREQ(v.why, "resolving");
	T_EQ(o.n, 2);
	T_EQ(o.f[0][16], 0x08);
	T_EQ(o.f[0][17], 0x06);
	/* A frame not to the gateway passes. */
	n = ping4(f, hmac, 10, d2, 64);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 5, &v), ROUTE_PASS);
	/* A ping to the gateway is answered. */
	o.n = 0;
	n = ping4(f, gwmac, 10, gw, 64);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 6, &v), ROUTE_DONE);
	T_STREQ(v.why, "echo-reply");
	T_EQ(o.n, 1);
	T_EQ(o.f[0][18 + 20], 0);
	route_router_free(r);
}

/* The ICMPv6 checksum of IPv6 packet ip verifies (0). */
static int icmp6_ok(const uint8_t *ip)
{
	struct vnet_addr s, d;
	size_t l = (size_t)(ip[4] << 8 | ip[5]);

	vnet_addr_from_v6(&s, ip + 8);
	vnet_addr_from_v6(&d, ip + 24);
	return vnet_csum_fold(vnet_csum_add(vnet_csum_pseudo(&s, &d, 58,
							     (uint32_t)l),
					    ip + 40, l)) == 0;
}

/* An ICMPv6 message of type with body (len bytes after the 4-byte
 * type/code/checksum) from src to dst, hop limit 255, untagged. */
static size_t icmp6(uint8_t *f, const uint8_t *edst, const uint8_t *src,
		    const uint8_t *dst, uint8_t type, const uint8_t *body,
		    size_t len)
{
	uint8_t *ip = f + 14, *m = ip + 40;
	struct vnet_addr s, d;
	uint16_t c;

	memcpy(f, edst, 6);
	memcpy(f + 6, hmac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[5] = (uint8_t)(4 + len);
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	m[0] = type;
	m[1] = m[2] = m[3] = 0;
	memcpy(m + 4, body, len);
	vnet_addr_from_v6(&s, src);
	vnet_addr_from_v6(&d, dst);
	c = vnet_csum_fold(vnet_csum_add(
		vnet_csum_pseudo(&s, &d, 58, (uint32_t)(4 + len)), m, 4 + len));
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	return 14 + 40 + 4 + len;
}

static void test_nd(void)
{
	static const char text[] =
		"gateway-mac 02:00:5e:00:01:01\n"
		"tenant red\n"
		"segment 0 tenant red prefix 198.19.1.0/24 gw 198.19.1.1 "
		"prefix6 2001:db8:1::/64 gw6 2001:db8:1::1 mtu 1400\n"
		"ra-interval 0\n";
	static const uint8_t h6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
					[15] = 0x10 };
	static const uint8_t gw6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
					 [15] = 1 };
	static const uint8_t allr[16] = { 0xff, 2, [15] = 2 };
	static const uint8_t mall[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	static const uint8_t msn[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	static struct out o;
	struct route_router_config rc = { .emit = cap, .arg = &o,
					  .access_vid = -1 };
	struct route_router *r =
		route_router_new(route_conf_parse(text, sizeof(text) - 1, "t",
						  NULL),
				 &rc);
	uint8_t f[256], body[64] = { 0 };
	const uint8_t *m;
	size_t n;

	T_ASSERT(r);
	if (!r)
		return;
	/* A router solicitation gets an RA: hop limit 255, from fe80::
	 * (EUI-64 of the gateway MAC), the MTU and the prefix, on-link and
	 * autonomous. */
	n = icmp6(f, mall, h6, allr, 133, body, 4);
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 1, NULL), ROUTE_DONE);
	T_EQ(o.n, 1);
	T_EQ(o.dir[0], VNET_INGRESS);
	T_EQ(o.f[0][14 + 7], 255);
	T_EQ(o.f[0][14 + 8], 0xfe);
	T_EQ(o.f[0][14 + 16], 0x00); /* 02 with the U/L bit flipped */
	T_EQ(o.f[0][14 + 19], 0xff);
	T_ASSERT(icmp6_ok(o.f[0] + 14));
	m = o.f[0] + 14 + 40;
	T_EQ(m[0], 134);
	T_EQ(m[6] << 8 | m[7], 1800);
	T_EQ(m[24], 5);
	T_EQ(m[28] << 24 | m[29] << 16 | m[30] << 8 | m[31], 1400);
	T_EQ(m[32], 3);
	T_EQ(m[34], 64);
	T_EQ(m[35], 0xc0);
	T_MEMEQ(m + 48, gw6, 6);
	/* A second solicitation within the second: no second RA. */
	o.n = 0;
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 2, NULL), ROUTE_DONE);
	T_EQ(o.n, 0);
	/* A solicitation for gw6 gets a solicited NA with the gateway MAC. */
	o.n = 0;
	memcpy(body + 4, gw6, 16);
	body[20] = 1;
	body[21] = 1;
	memcpy(body + 22, hmac, 6);
	{
		uint8_t sn[16] = { 0xff, 2, [11] = 1, [12] = 0xff, [15] = 1 };

		n = icmp6(f, msn, h6, sn, 135, body, 28);
	}
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 3, NULL), ROUTE_DONE);
	T_EQ(o.n, 1);
	m = o.f[0] + 14 + 40;
	T_EQ(m[0], 136);
	T_EQ(m[4], 0xe0);
	T_MEMEQ(m + 8, gw6, 16);
	T_EQ(m[24], 2);
	T_MEMEQ(m + 26, gwmac, 6);
	T_MEMEQ(o.f[0], hmac, 6);
	T_ASSERT(icmp6_ok(o.f[0] + 14));
	/* And the solicitor was learned: its NS for it is suppressed. */
	o.n = 0;
	memcpy(body + 4, h6, 16);
	{
		static const uint8_t h7[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
						[15] = 0x11 };
		uint8_t sn[16] = { 0xff, 2, [11] = 1, [12] = 0xff,
				   [15] = 0x10 };

		n = icmp6(f, msn, h7, sn, 135, body, 28);
		f[6 + 5] = 0x11; /* another host asks */
		memcpy(body + 22, f + 6, 6);
		n = icmp6(f, msn, h7, sn, 135, body, 28);
		f[6 + 5] = 0x11;
	}
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 4, NULL), ROUTE_DONE);
	T_EQ(o.n, 1);
	T_MEMEQ(o.f[0] + 14 + 40 + 26, hmac, 6);
	route_router_free(r);
}

/* An access port (--segment 10): frames from the left are put in the
 * segment, frames to it leave untagged, other segments' and super-frames
 * longer than any MTU do not go there. */
static void test_access(void)
{
	static const char text[] =
		"gateway-mac 02:00:5e:00:01:01\n"
		"tenant red\n"
		"segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1\n"
		"segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1\n";
	static const uint8_t gw[4] = { 198, 19, 1, 1 };
	static struct out o;
	struct route_router_config rc = { .emit = cap, .arg = &o,
					  .access_vid = 10 };
	struct route_router *r =
		route_router_new(route_conf_parse(text, sizeof(text) - 1, "t",
						  NULL),
				 &rc);
	static uint8_t big[20000];
	uint8_t f[128], u[128];
	size_t n;

	T_ASSERT(r);
	if (!r)
		return;
	/* An untagged ping to the gateway: answered untagged. */
	n = ping4(f, gwmac, 10, gw, 64);
	memcpy(u, f, 12);
	memcpy(u + 12, f + 16, n - 16);
	T_EQ(route_router_frame(r, VNET_EGRESS, u, n - 4, 1, NULL),
	     ROUTE_DONE);
	T_EQ(o.n, 1);
	T_EQ(o.dir[0], VNET_INGRESS);
	T_EQ(o.f[0][12], 0x08);
	T_EQ(o.len[0], n - 4);
	/* A tagged frame from the left is refused. */
	T_EQ(route_router_frame(r, VNET_EGRESS, f, n, 2, NULL), ROUTE_DROP);
	/* From the right: segment 10 goes left untagged, 20 does not. */
	o.n = 0;
	n = ping4(f, hmac, 10, gw, 64);
	T_EQ(route_router_frame(r, VNET_INGRESS, f, n, 3, NULL), ROUTE_DONE);
	T_EQ(o.n, 1);
	T_EQ(o.len[0], n - 4);
	n = ping4(f, hmac, 20, gw, 64);
	T_EQ(route_router_frame(r, VNET_INGRESS, f, n, 4, NULL), ROUTE_DROP);
	/* Super-frames either way. */
	memcpy(big, f, n);
	big[15] = 10;
	T_EQ(route_router_frame(r, VNET_INGRESS, big, sizeof(big), 5, NULL),
	     ROUTE_DROP);
	memcpy(big, u, 14);
	T_EQ(route_router_frame(r, VNET_EGRESS, big, sizeof(big), 6, NULL),
	     ROUTE_DROP);
	T_EQ(o.n, 1);
	route_router_free(r);
}

int main(void)
{
	T_RUN(test_lpm4);
	T_RUN(test_lpm6);
	T_RUN(test_lpm_edges);
	T_RUN(test_csum_update);
	T_RUN(test_conf_good);
	T_RUN(test_conf_bad);
	T_RUN(test_path);
	T_RUN(test_nd);
	T_RUN(test_access);
	return T_DONE();
}
