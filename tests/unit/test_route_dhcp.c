/* SPDX-License-Identifier: ISC */
/* test_route_dhcp.c -- vnet-route's DHCP wiring: the segment's dhcp
 * settings in the configuration file (pool, dns, lease, domain), their
 * conversion for the engine (route_conf_dhcp_seg), and the hook
 * (route_glue_dhcp) through the router: a tagged DISCOVER is answered
 * with an OFFER tagged with its segment, untagged on an access port, a
 * static lease wins over the pool. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "refcsum.h"
#include "vnet-route/conf.h"
#include "vnet-route/dhcp.h"
#include "vnet-route/glue.h"
#include "vnet-route/router.h"
#include "vnet/bytes.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const char good[] =
    "gateway-mac 02:00:5e:00:01:01\n"
    "tenant red\n"
    "segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1 "
    "prefix6 2001:db8:1::/64 gw6 2001:db8:1::1 mtu 1450 dhcp "
    "pool 198.19.1.100-198.19.1.109 dns 198.19.1.53,198.19.1.54 "
    "lease 2h domain red.example\n"
    "segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1 dhcp\n"
    "segment 30 tenant red prefix 198.19.3.0/28 gw 198.19.3.1 dhcp "
    "pool none lease infinite dns 198.19.3.2\n"
    "segment 40 tenant red prefix 198.19.4.0/24 gw 198.19.4.1\n";

static void test_conf_dhcp(void)
{
	struct vnet_err e;
	struct route_conf *c;
	struct route_dhcp_seg ds;

	vnet_err_clear(&e);
	c = route_conf_parse(good, sizeof(good) - 1, "t", &e);
	T_ASSERT(c);
	if (!c) {
		printf("# %s\n", e.msg);
		return;
	}
	T_EQ(c->nseg, 4);
	T_EQ(route_conf_dhcp_seg(c, &c->seg[0], &ds), 0);
	T_EQ(ds.vid, 10);
	T_EQ(ds.subnet, IP(198, 19, 1, 0));
	T_EQ(ds.mask, 0xffffff00u);
	T_EQ(ds.gw, IP(198, 19, 1, 1));
	T_MEMEQ(ds.gw_mac, "\x02\x00\x5e\x00\x01\x01", 6);
	T_EQ(ds.pool_lo, IP(198, 19, 1, 100));
	T_EQ(ds.pool_hi, IP(198, 19, 1, 109));
	T_EQ(ds.ndns, 2);
	T_EQ(ds.dns[0], IP(198, 19, 1, 53));
	T_EQ(ds.dns[1], IP(198, 19, 1, 54));
	T_EQ(ds.lease_s, 7200);
	T_STREQ(ds.domain, "red.example");
	T_EQ(ds.mtu, 1450);
	T_EQ(route_dhcp_seg_check(&ds, NULL), 0);
	/* Defaults: the whole prefix, an hour, no DNS, no domain. */
	T_EQ(route_conf_dhcp_seg(c, &c->seg[1], &ds), 0);
	T_EQ(ds.pool_lo, IP(198, 19, 2, 1));
	T_EQ(ds.pool_hi, IP(198, 19, 2, 254));
	T_EQ(ds.lease_s, ROUTE_DHCP_LEASE_DEFAULT);
	T_EQ(ds.ndns, 0);
	T_STREQ(ds.domain, "");
	T_EQ(ds.mtu, 1500);
	T_EQ(route_dhcp_seg_check(&ds, NULL), 0);
	/* No pool: static leases only. */
	T_EQ(route_conf_dhcp_seg(c, &c->seg[2], &ds), 0);
	T_ASSERT(ds.pool_lo > ds.pool_hi);
	T_EQ(ds.lease_s, ROUTE_DHCP_LEASE_INFINITE);
	T_EQ(ds.ndns, 1);
	T_EQ(ds.mask, 0xfffffff0u);
	T_EQ(route_dhcp_seg_check(&ds, NULL), 0);
	/* No dhcp: nothing for the engine. */
	T_EQ(route_conf_dhcp_seg(c, &c->seg[3], &ds), -EINVAL);
	route_conf_free(c);
}

static void test_conf_dhcp_bad(void)
{
	static const struct {
		const char *seg, *msg;
	} bad[] = {
	    {"dhcp dhcp", "t:3: dhcp given twice"},
	    {"pool 198.19.2.5-198.19.2.9", "t:3: pool before dhcp"},
	    {"dhcp pool 198.19.2.9-198.19.2.5",
	     "t:3: pool '198.19.2.9-198.19.2.5' ends before it starts"},
	    {"dhcp pool 198.19.2.9-198.19.3.5",
	     "t:3: pool address 198.19.3.5 is not in prefix "
	     "198.19.2.0/24"},
	    {"dhcp pool 198.19.2.9", "t:3: pool '198.19.2.9' is not "
				     "LO-HI or none"},
	    {"dhcp pool 2001:db8::1-2001:db8::2",
	     "t:3: pool '2001:db8::1' is not an IPv4 address"},
	    {"dhcp pool none pool none", "t:3: pool given twice"},
	    {"dhcp dns 1.2.3.4,5.6.7.8,9.9.9.9",
	     "t:3: dns '1.2.3.4,5.6.7.8,9.9.9.9': at most two servers"},
	    {"dhcp dns x", "t:3: dns 'x' is not an IP address"},
	    {"dhcp lease 0s", "t:3: lease '0s' is not a duration of at "
			      "least 1s or infinite"},
	    {"dhcp lease", "t:3: 'lease' needs a value"},
	    {"dhcp domain a_b", "t:3: domain 'a_b' is not letters, "
				"digits, '-' and '.'"},
	    {"dhcp frob 1",
	     "t:3: unknown segment keyword 'frob' (prefix, "
	     "gw, prefix6, gw6, mtu, dhcp, pool, dns, lease, domain)"},
	};
	char text[512];
	struct vnet_err e;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct route_conf *c;
		int n = snprintf(text, sizeof(text),
				 "gateway-mac 02:00:5e:00:01:01\n"
				 "tenant red\n"
				 "segment 20 tenant red prefix 198.19.2.0/24 "
				 "gw 198.19.2.1 %s\n",
				 bad[i].seg);

		vnet_err_clear(&e);
		c = route_conf_parse(text, (size_t)n, "t", &e);
		T_ASSERT(!c);
		route_conf_free(c);
		T_EQ(errno, EINVAL);
		{
			char buf[VNET_ERR_STRLEN];

			T_STREQ(vnet_err_str(&e, buf, sizeof(buf)), bad[i].msg);
		}
	}
	/* An IPv6-only segment has nothing to serve. */
	snprintf(text, sizeof(text),
		 "gateway-mac 02:00:5e:00:01:01\ntenant red\n"
		 "segment 20 tenant red prefix6 2001:db8::/64 gw6 2001:db8::1 "
		 "dhcp\n");
	vnet_err_clear(&e);
	T_ASSERT(!route_conf_parse(text, strlen(text), "t", &e));
	T_STREQ(e.msg, "dhcp needs the segment's IPv4 prefix");
	/* Too many words is refused, not cut short. */
	snprintf(text, sizeof(text),
		 "gateway-mac 02:00:5e:00:01:01\ntenant red\n"
		 "segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1 "
		 "%s\n",
		 "mtu 1500 mtu 1500 mtu 1500 mtu 1500 mtu 1500 mtu "
		 "1500 mtu 1500 mtu 1500 mtu 1500 mtu 1500 mtu 1500 mtu 1500 "
		 "mtu 1500");
	vnet_err_clear(&e);
	T_ASSERT(!route_conf_parse(text, strlen(text), "t", &e));
	T_STREQ(e.msg, "more than 32 words");
}

struct out {
	int n;
	enum vnet_dir dir[4];
	uint8_t f[4][1600];
	size_t len[4];
};

static void cap(void *arg, enum vnet_dir dir, const uint8_t *frame, size_t len)
{
	struct out *o = arg;

	if (o->n < 4 && len <= sizeof(o->f[0])) {
		o->dir[o->n] = dir;
		memcpy(o->f[o->n], frame, len);
		o->len[o->n++] = len;
	}
}

/* A DISCOVER from mac, broadcast, tagged with vid unless vid < 0, into
 * f: its length.  UDP checksum 0 (none). */
static size_t discover(uint8_t *f, const uint8_t *mac, int vid)
{
	uint8_t *ip, *b;
	size_t l2 = vid < 0 ? 14 : 18;

	memset(f, 0, 18 + 328);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	if (vid >= 0) {
		vnet_put16(f + 12, 0x8100);
		vnet_put16(f + 14, (uint16_t)vid);
	}
	vnet_put16(f + l2 - 2, 0x0800);
	ip = f + l2;
	b = ip + 28;
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	vnet_put32(b + 4, 0x11223344);
	memcpy(b + 28, mac, 6);
	vnet_put32(b + 236, 0x63825363);
	b[240] = 53;
	b[241] = 1;
	b[242] = 1; /* DISCOVER */
	b[243] = 255;
	ip[0] = 0x45;
	vnet_put16(ip + 2, 328);
	ip[8] = 64;
	ip[9] = 17;
	vnet_put32(ip + 16, 0xffffffff);
	vnet_put16(ip + 10, ref_csum(ip, 20));
	vnet_put16(ip + 20, 68);
	vnet_put16(ip + 22, 67);
	vnet_put16(ip + 24, 308);
	return l2 + 328;
}

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 0x11};
static const uint8_t mac2[6] = {2, 0, 0x5e, 0x10, 0, 0x0a};

/* The yiaddr of the BOOTP reply in o's frame i at l2. */
static uint32_t yiaddr(const struct out *o, int i, size_t l2)
{
	return vnet_get32(o->f[i] + l2 + 28 + 16);
}

static void test_hook(void)
{
	static struct out o;
	static struct route_glue g;
	struct route_router_config rc = {.emit = cap,
					 .arg = &o,
					 .access_vid = -1,
					 .dhcp = route_glue_dhcp,
					 .dhcp_arg = &g};
	char path[] = "/tmp/test_route_dhcp.XXXXXX";
	uint8_t f[400];
	const struct vnet_counter *ctr;
	struct route_verdict v;
	size_t n, nc, i;
	FILE *lf;
	int fd;

	g.dhcp = route_dhcp_new(64, NULL);
	T_ASSERT(g.dhcp);
	g.router = route_router_new(
	    route_conf_parse(good, sizeof(good) - 1, "t", NULL), &rc);
	T_ASSERT(g.router);
	if (!g.dhcp || !g.router)
		return;
	/* A tagged DISCOVER on segment 10: an OFFER from the pool, tagged
	 * 10, from the gateway MAC, back to the left. */
	n = discover(f, mac1, 10);
	T_EQ(route_router_frame(g.router, VNET_EGRESS, f, n, 1, &v),
	     ROUTE_DONE);
	T_STREQ(v.why, "dhcp-reply"); /* what --explain says */
	T_EQ(o.n, 1);
	T_EQ(o.dir[0], VNET_INGRESS);
	T_EQ(vnet_get16(o.f[0] + 12), 0x8100);
	T_EQ(vnet_get16(o.f[0] + 14), 10);
	T_EQ(vnet_get16(o.f[0] + 16), 0x0800);
	T_MEMEQ(o.f[0] + 6, "\x02\x00\x5e\x00\x01\x01", 6);
	T_EQ(yiaddr(&o, 0, 18), IP(198, 19, 1, 100));
	/* The IP header the engine wrote is whole after the tag. */
	T_EQ(ref_csum(o.f[0] + 18, 20), 0);
	/* A segment without dhcp: passed on as any frame. */
	o.n = 0;
	n = discover(f, mac1, 40);
	T_EQ(route_router_frame(g.router, VNET_EGRESS, f, n, 2, NULL),
	     ROUTE_PASS);
	T_EQ(o.n, 0);
	/* A static lease wins over the pool (and the engine counts). */
	fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	lf = fdopen(fd, "w");
	fprintf(lf, "10 02:00:5e:10:00:0a 198.19.1.77 db1\n");
	fclose(lf);
	T_EQ(route_dhcp_load(g.dhcp, path, NULL), 0);
	unlink(path);
	n = discover(f, mac2, 10);
	T_EQ(route_router_frame(g.router, VNET_EGRESS, f, n, 3, NULL),
	     ROUTE_DONE);
	T_EQ(o.n, 1);
	T_EQ(yiaddr(&o, 0, 18), IP(198, 19, 1, 77));
	ctr = route_dhcp_counters(g.dhcp, &nc);
	for (i = 0; i < nc; i++)
		if (!strcmp(ctr[i].name, "dhcp_discover"))
			T_EQ(ctr[i].value, 2);
	/* A BOOTREPLY from a client: dropped by the engine, counted. */
	o.n = 0;
	n = discover(f, mac1, 10);
	f[18 + 28] = 2;
	T_EQ(route_router_frame(g.router, VNET_EGRESS, f, n, 4, &v),
	     ROUTE_DROP);
	T_STREQ(v.why, "dhcp-drop");
	T_EQ(o.n, 0);
	ctr = route_dhcp_counters(g.dhcp, &nc);
	for (i = 0; i < nc; i++)
		if (!strcmp(ctr[i].name, "dhcp_drop_bootp_bad"))
			T_EQ(ctr[i].value, 1);
	route_router_free(g.router);
	route_dhcp_free(g.dhcp);
}

/* An access port (--segment 20): the DISCOVER comes untagged and the
 * OFFER goes back untagged. */
static void test_hook_access(void)
{
	static struct out o;
	static struct route_glue g;
	struct route_router_config rc = {.emit = cap,
					 .arg = &o,
					 .access_vid = 20,
					 .dhcp = route_glue_dhcp,
					 .dhcp_arg = &g};
	uint8_t f[400];
	size_t n;

	g.dhcp = route_dhcp_new(64, NULL);
	g.router = route_router_new(
	    route_conf_parse(good, sizeof(good) - 1, "t", NULL), &rc);
	T_ASSERT(g.dhcp && g.router);
	if (!g.dhcp || !g.router)
		return;
	n = discover(f, mac1, -1);
	T_EQ(route_router_frame(g.router, VNET_EGRESS, f, n, 1, NULL),
	     ROUTE_DONE);
	T_EQ(o.n, 1);
	T_EQ(o.dir[0], VNET_INGRESS);
	T_EQ(vnet_get16(o.f[0] + 12), 0x0800);
	T_EQ(yiaddr(&o, 0, 14), IP(198, 19, 2, 1) + 1);
	route_router_free(g.router);
	route_dhcp_free(g.dhcp);
}

int main(void)
{
	T_RUN(test_conf_dhcp);
	T_RUN(test_conf_dhcp_bad);
	T_RUN(test_hook);
	T_RUN(test_hook_access);
	return T_DONE();
}
