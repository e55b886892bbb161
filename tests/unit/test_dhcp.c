/* SPDX-License-Identifier: ISC */
/* test_dhcp.c -- vnet-route's DHCPv4 responder and its static lease file. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "refcsum.h"
#include "tfile.h"
#include "vnet-route/dhcp.h"
#include "vnet-route/lease.h"
#include "vnet/bytes.h"

#define S  1000000000ull
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define NET IP(198, 19, 1, 0)
#define GW  IP(198, 19, 1, 1)

static const uint8_t gw_mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x01, 0x01};
static const uint8_t mac1[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac2[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t mac3[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
static const uint8_t mac4[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x04};
static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct route_dhcp_seg seg = {
	.vid = 100,
	.subnet = NET,
	.mask = 0xffffff00,
	.gw = GW,
	.gw_mac = {0x02, 0x00, 0x5e, 0x00, 0x01, 0x01},
	.pool_lo = IP(198, 19, 1, 10),
	.pool_hi = IP(198, 19, 1, 20),
	.dns = {IP(198, 19, 1, 53), IP(198, 19, 1, 54)},
	.ndns = 2,
	.lease_s = 3600,
	.domain = "lab.test",
	.mtu = 1450,
};

/* A client message, as a client would send it. */
struct cm {
	uint8_t type;	   /* 0: no option 53 */
	const uint8_t *mac;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr, giaddr;
	uint32_t req, sid; /* options 50, 54 when not 0 */
	const char *host;  /* option 12 */
	const uint8_t *extra; /* more options, raw */
	size_t nextra;
};

static uint8_t frame[1500], out[ROUTE_DHCP_REPLY_MAX];

static size_t udp_csum_fix(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4, ulen = vnet_get16(ip + ihl + 4);
	uint8_t ph[12];
	uint16_t c;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	vnet_put16(ph + 10, (unsigned)ulen);
	vnet_put16(ip + ihl + 6, 0);
	c = ref_csum2(ph, 12, ip + ihl, ulen);
	vnet_put16(ip + ihl + 6, c ? c : 0xffff);
	return ulen;
}

/* Ethernet + IPv4 + UDP 68 -> 67 + BOOTP of c into frame: its length. */
static size_t mk(const struct cm *c)
{
	uint8_t *ip = frame + 14, *udp = ip + 20, *b = udp + 8, *p;
	size_t blen;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, bc, 6);
	memcpy(frame + 6, c->mac, 6);
	vnet_put16(frame + 12, 0x0800);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	vnet_put32(b + 4, c->xid ? c->xid : 0x11223344);
	vnet_put16(b + 10, c->flags);
	vnet_put32(b + 12, c->ciaddr);
	vnet_put32(b + 24, c->giaddr);
	memcpy(b + 28, c->mac, 6);
	vnet_put32(b + 236, 0x63825363);
	p = b + 240;
	if (c->type) {
		*p++ = 53;
		*p++ = 1;
		*p++ = c->type;
	}
	if (c->req) {
		*p++ = 50;
		*p++ = 4;
		vnet_put32(p, c->req);
		p += 4;
	}
	if (c->sid) {
		*p++ = 54;
		*p++ = 4;
		vnet_put32(p, c->sid);
		p += 4;
	}
	if (c->host) {
		*p++ = 12;
		*p++ = (uint8_t)strlen(c->host);
		memcpy(p, c->host, strlen(c->host));
		p += strlen(c->host);
	}
	if (c->nextra) {
		memcpy(p, c->extra, c->nextra);
		p += c->nextra;
	}
	*p++ = 255;
	blen = (size_t)(p - b);
	if (blen < 300)
		blen = 300;
	ip[0] = 0x45;
	vnet_put16(ip + 2, (unsigned)(28 + blen));
	ip[8] = 64;
	ip[9] = 17;
	vnet_put32(ip + 12, c->ciaddr);
	vnet_put32(ip + 16, c->ciaddr ? GW : 0xffffffff);
	vnet_put16(ip + 10, ref_csum(ip, 20));
	vnet_put16(udp, 68);
	vnet_put16(udp + 2, 67);
	vnet_put16(udp + 4, (unsigned)(8 + blen));
	udp_csum_fix(ip);
	return 42 + blen;
}

/* What a reply says, every checksum checked with the reference. */
struct rp {
	int ok;
	uint8_t type, eth_dst[6], eth_src[6];
	uint32_t ip_src, ip_dst, ciaddr, yiaddr, xid;
	uint16_t flags;
	uint32_t sid, lease, t1, t2, mask, router, dns[2];
	int ndns, has_lease, has_t1, has_t2;
	unsigned mtu;
	char domain[256], host[256], msg[256];
};

static struct rp rd(const uint8_t *f, int n)
{
	struct rp r;
	const uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8, *p, *end;
	uint8_t ph[12];

	memset(&r, 0, sizeof(r));
	if (n < 42 + 240 || vnet_get16(f + 12) != 0x0800 || ip[0] != 0x45 ||
	    ref_csum(ip, 20) || vnet_get16(ip + 2) != n - 14 || ip[9] != 17 ||
	    vnet_get16(udp) != 67 || vnet_get16(udp + 2) != 68 ||
	    vnet_get16(udp + 4) != n - 34 || b[0] != 2 ||
	    vnet_get32(b + 236) != 0x63825363 || n - 42 < 300)
		return r;
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	vnet_put16(ph + 10, (unsigned)(n - 34));
	if (!vnet_get16(udp + 6) || ref_csum2(ph, 12, udp, (size_t)(n - 34)))
		return r;
	memcpy(r.eth_dst, f, 6);
	memcpy(r.eth_src, f + 6, 6);
	r.ip_src = vnet_get32(ip + 12);
	r.ip_dst = vnet_get32(ip + 16);
	r.xid = vnet_get32(b + 4);
	r.flags = vnet_get16(b + 10);
	r.ciaddr = vnet_get32(b + 12);
	r.yiaddr = vnet_get32(b + 16);
	p = b + 240;
	end = f + n;
	while (p < end && *p != 255) {
		uint8_t code = p[0], l;

		if (!code) {
			p++;
			continue;
		}
		if (end - p < 2 || end - p - 2 < p[1])
			return r;
		l = p[1];
		switch (code) {
		case 53: r.type = p[2]; break;
		case 54: r.sid = vnet_get32(p + 2); break;
		case 51: r.lease = vnet_get32(p + 2); r.has_lease = 1; break;
		case 58: r.t1 = vnet_get32(p + 2); r.has_t1 = 1; break;
		case 59: r.t2 = vnet_get32(p + 2); r.has_t2 = 1; break;
		case 1: r.mask = vnet_get32(p + 2); break;
		case 3: r.router = vnet_get32(p + 2); break;
		case 6:
			r.ndns = l / 4;
			r.dns[0] = vnet_get32(p + 2);
			if (l >= 8)
				r.dns[1] = vnet_get32(p + 6);
			break;
		case 15: memcpy(r.domain, p + 2, l); break;
		case 12: memcpy(r.host, p + 2, l); break;
		case 56: memcpy(r.msg, p + 2, l); break;
		case 26: r.mtu = vnet_get16(p + 2); break;
		}
		p += 2 + l;
	}
	r.ok = p < end;
	return r;
}

static int answer(struct route_dhcp *d, const struct cm *c, uint64_t now)
{
	size_t n = mk(c);

	return route_dhcp_answer(d, &seg, frame, n, out, sizeof(out), now);
}

static uint64_t ctr(struct route_dhcp *d, int i)
{
	size_t n;

	return route_dhcp_counters(d, &n)[i].value;
}

static uint64_t drops(struct route_dhcp *d, int reason)
{
	return ctr(d, ROUTE_DHCP_C_DROP + reason - 1);
}

static char dump_buf[4096];

static const char *dump(struct route_dhcp *d, uint64_t now)
{
	FILE *f = fmemopen(dump_buf, sizeof(dump_buf), "w");

	dump_buf[0] = '\0';
	if (!f)
		return "";
	T_EQ(route_dhcp_dump(d, f, now), 0);
	fclose(f);
	return dump_buf;
}

static char tmp_path[64];

static const char *tmp_file(const char *s)
{
	FILE *f;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_dhcp.XXXXXX");
	fd = mkstemp(tmp_path);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		T_FAIL("cannot write %s", tmp_path);
		return tmp_path;
	}
	fputs(s, f);
	fclose(f);
	return tmp_path;
}

static struct route_dhcp *new_with(const char *leases)
{
	struct route_dhcp *d = route_dhcp_new(64, NULL);

	T_ASSERT(d != NULL);
	if (d && leases) {
		const char *p = tmp_file(leases);

		T_EQ(route_dhcp_load(d, p, NULL), 0);
		unlink(p);
	}
	return d;
}

/* DISCOVER, OFFER, REQUEST, ACK: the address, every option, where the
 * replies go. */
static void test_dora(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 1, .mac = mac1, .xid = 0xabcd, .host = "vm1"};
	struct rp r;
	int n;

	if (!d)
		return;
	n = answer(d, &c, 5 * S);
	r = rd(out, n);
	T_ASSERT(r.ok);
	T_EQ(r.type, 2);
	T_EQ(r.yiaddr, IP(198, 19, 1, 10));
	T_EQ(r.xid, 0xabcd);
	T_EQ(r.ciaddr, 0);
	T_MEMEQ(r.eth_dst, mac1, 6);
	T_MEMEQ(r.eth_src, gw_mac, 6);
	T_EQ(r.ip_src, GW);
	T_EQ(r.ip_dst, IP(198, 19, 1, 10));
	T_EQ(r.sid, GW);
	T_EQ(r.lease, 3600);
	T_EQ(r.t1, 1800);
	T_EQ(r.t2, 3150);
	T_EQ(r.mask, 0xffffff00);
	T_EQ(r.router, GW);
	T_EQ(r.ndns, 2);
	T_EQ(r.dns[0], IP(198, 19, 1, 53));
	T_EQ(r.dns[1], IP(198, 19, 1, 54));
	T_STREQ(r.domain, "lab.test");
	T_EQ(r.mtu, 1450);
	T_STREQ(r.host, "");
	/* An offer is not a lease yet. */
	T_STREQ(dump(d, 5 * S), "");

	c.type = 3;
	c.req = IP(198, 19, 1, 10);
	c.sid = GW;
	c.flags = 0x8000; /* BROADCAST */
	n = answer(d, &c, 6 * S);
	r = rd(out, n);
	T_ASSERT(r.ok);
	T_EQ(r.type, 5);
	T_EQ(r.yiaddr, IP(198, 19, 1, 10));
	T_EQ(r.flags, 0x8000);
	T_MEMEQ(r.eth_dst, bc, 6);
	T_EQ(r.ip_dst, 0xffffffff);
	T_EQ(r.lease, 3600);
	T_STREQ(dump(d, 6 * S), "100\t02:00:00:00:00:01\t198.19.1.10\t3600\tvm1\n");
	T_STREQ(dump(d, 606 * S),
		"100\t02:00:00:00:00:01\t198.19.1.10\t3000\tvm1\n");

	/* A second client gets the next address. */
	c = (struct cm){.type = 1, .mac = mac2};
	r = rd(out, answer(d, &c, 7 * S));
	T_EQ(r.type, 2);
	T_EQ(r.yiaddr, IP(198, 19, 1, 11));

	T_EQ(ctr(d, ROUTE_DHCP_C_DISCOVER), 2);
	T_EQ(ctr(d, ROUTE_DHCP_C_OFFER), 2);
	T_EQ(ctr(d, ROUTE_DHCP_C_REQUEST), 1);
	T_EQ(ctr(d, ROUTE_DHCP_C_ACK), 1);
	T_EQ(ctr(d, ROUTE_DHCP_C_NAK), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_LEASES), 2);
	route_dhcp_free(d);
}

/* Renewing (unicast, ciaddr) and rebinding extend the lease; the ACK goes
 * to ciaddr; a rebooting client keeps its address. */
static void test_renew(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
		       .sid = GW};
	struct rp r;

	if (!d)
		return;
	/* Selecting without an offer first: a free address is granted. */
	r = rd(out, answer(d, &c, 0));
	T_EQ(r.type, 5);
	c = (struct cm){.type = 3, .mac = mac1, .ciaddr = IP(198, 19, 1, 10)};
	r = rd(out, answer(d, &c, 1800 * S));
	T_ASSERT(r.ok);
	T_EQ(r.type, 5);
	T_EQ(r.yiaddr, IP(198, 19, 1, 10));
	T_EQ(r.ciaddr, IP(198, 19, 1, 10));
	T_EQ(r.ip_dst, IP(198, 19, 1, 10));
	T_MEMEQ(r.eth_dst, mac1, 6);
	T_STREQ(dump(d, 1800 * S),
		"100\t02:00:00:00:00:01\t198.19.1.10\t3600\t-\n");
	/* Rebinding, broadcast, after T2. */
	c.flags = 0x8000;
	r = rd(out, answer(d, &c, 5000 * S));
	T_EQ(r.type, 5);
	T_EQ(r.ip_dst, IP(198, 19, 1, 10)); /* ciaddr set: unicast */
	T_STREQ(dump(d, 5000 * S),
		"100\t02:00:00:00:00:01\t198.19.1.10\t3600\t-\n");
	/* Init-reboot for its address. */
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10)};
	r = rd(out, answer(d, &c, 6000 * S));
	T_EQ(r.type, 5);
	T_EQ(r.ip_dst, IP(198, 19, 1, 10));
	/* A renewal the server forgot (a restart): granted when free. */
	c = (struct cm){.type = 3, .mac = mac2, .ciaddr = IP(198, 19, 1, 15)};
	r = rd(out, answer(d, &c, 6000 * S));
	T_EQ(r.type, 5);
	T_EQ(r.yiaddr, IP(198, 19, 1, 15));
	/* A rediscovering client is offered what it holds. */
	c = (struct cm){.type = 1, .mac = mac2};
	r = rd(out, answer(d, &c, 6001 * S));
	T_EQ(r.yiaddr, IP(198, 19, 1, 15));
	T_EQ(ctr(d, ROUTE_DHCP_C_ACK), 5);
	route_dhcp_free(d);
}

/* NAK for an address that is not the client's; silence or NAK where the
 * RFC says. */
static void test_nak(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 1, .mac = mac1};
	struct rp r;
	int n;

	if (!d)
		return;
	answer(d, &c, 0);
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
			.sid = GW};
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);

	/* Init-reboot with another address. */
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 12)};
	n = answer(d, &c, 1 * S);
	r = rd(out, n);
	T_ASSERT(r.ok);
	T_EQ(r.type, 6);
	T_EQ(r.yiaddr, 0);
	T_EQ(r.ip_dst, 0xffffffff);
	T_MEMEQ(r.eth_dst, bc, 6);
	T_EQ(r.sid, GW);
	T_EQ(r.has_lease, 0);
	T_STREQ(r.msg, "wrong address");
	/* Selecting an address we did not offer it. */
	c.sid = GW;
	T_EQ(rd(out, answer(d, &c, 1 * S)).type, 6);
	/* Renewing another address. */
	c = (struct cm){.type = 3, .mac = mac1, .ciaddr = IP(198, 19, 1, 13)};
	T_EQ(rd(out, answer(d, &c, 1 * S)).type, 6);
	/* Another network. */
	c = (struct cm){.type = 3, .mac = mac2, .req = IP(198, 19, 2, 10)};
	r = rd(out, answer(d, &c, 1 * S));
	T_EQ(r.type, 6);
	T_STREQ(r.msg, "wrong network");
	/* Init-reboot of an unknown client for a taken address: silence;
	 * renewing it: NAK. */
	c = (struct cm){.type = 3, .mac = mac2, .req = IP(198, 19, 1, 10)};
	T_EQ(answer(d, &c, 1 * S), 0);
	c = (struct cm){.type = 3, .mac = mac2, .ciaddr = IP(198, 19, 1, 10)};
	r = rd(out, answer(d, &c, 1 * S));
	T_EQ(r.type, 6);
	T_STREQ(r.msg, "address not available");
	/* The gateway is never granted. */
	c = (struct cm){.type = 3, .mac = mac3, .ciaddr = GW};
	T_EQ(rd(out, answer(d, &c, 1 * S)).type, 6);
	T_EQ(ctr(d, ROUTE_DHCP_C_NAK), 6);
	T_EQ(ctr(d, ROUTE_DHCP_C_IGNORED), 1);

	/* A client that chose another server: no reply, offer withdrawn,
	 * so the next client gets that address. */
	c = (struct cm){.type = 1, .mac = mac3};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 11));
	c = (struct cm){.type = 3, .mac = mac3, .req = IP(198, 19, 1, 11),
			.sid = IP(198, 19, 1, 2)};
	T_EQ(answer(d, &c, 2 * S), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_IGNORED), 2);
	c = (struct cm){.type = 1, .mac = mac4};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 11));
	route_dhcp_free(d);
}

/* A static lease comes first, carries its host name, and its address is
 * never given to another client; a dynamic lease of before is NAKed. */
static void test_static(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 1, .mac = mac1};
	struct rp r;
	const char *p;

	if (!d)
		return;
	/* mac1 binds 198.19.1.10 dynamically first. */
	answer(d, &c, 0);
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
			.sid = GW};
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);

	p = tmp_file("# static leases\n"
		     "100 02:00:00:00:00:01 198.19.1.50 db1\n"
		     "100\t02:00:00:00:00:02\t198.19.1.11\r\n"
		     "\n"
		     "100 02:00:00:00:00:03 198.19.9.9 far\n"
		     "200 02:00:00:00:00:04 198.19.1.12\n");
	T_EQ(route_dhcp_load(d, p, NULL), 0);
	unlink(p);

	c = (struct cm){.type = 1, .mac = mac1};
	r = rd(out, answer(d, &c, 1 * S));
	T_EQ(r.type, 2);
	T_EQ(r.yiaddr, IP(198, 19, 1, 50));
	T_STREQ(r.host, "db1");
	/* Its old dynamic address: NAK. */
	c = (struct cm){.type = 3, .mac = mac1, .ciaddr = IP(198, 19, 1, 10)};
	T_EQ(rd(out, answer(d, &c, 1 * S)).type, 6);
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 50),
			.sid = GW};
	r = rd(out, answer(d, &c, 1 * S));
	T_EQ(r.type, 5);
	T_EQ(r.yiaddr, IP(198, 19, 1, 50));
	T_STREQ(r.host, "db1");
	/* mac2's static address is inside the pool: skipped for others
	 * (mac1's old dynamic 198.19.1.10 is free again). */
	c = (struct cm){.type = 1, .mac = mac4};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 10));
	c = (struct cm){.type = 1, .mac = gw_mac};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 12));
	/* and asked for by someone else, it is not given. */
	c = (struct cm){.type = 3, .mac = mac4, .ciaddr = IP(198, 19, 1, 11)};
	T_EQ(rd(out, answer(d, &c, 2 * S)).type, 6);
	c = (struct cm){.type = 1, .mac = mac2};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 11));
	/* mac3's is outside the subnet: unusable, the pool serves it. */
	c = (struct cm){.type = 1, .mac = mac3};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 13));
	T_ASSERT(ctr(d, ROUTE_DHCP_C_STATIC_UNUSABLE) >= 1);
	T_STREQ(dump(d, 2 * S),
		"100\t02:00:00:00:00:02\t198.19.1.11\tstatic\t-\n"
		"100\t02:00:00:00:00:01\t198.19.1.50\tstatic\tdb1\n"
		"100\t02:00:00:00:00:03\t198.19.9.9\tstatic\tfar\n"
		"200\t02:00:00:00:00:04\t198.19.1.12\tstatic\t-\n");
	route_dhcp_free(d);
}

/* The pool runs out and so does the table: no offer, counted. */
static void test_exhaustion(void)
{
	struct route_dhcp *d = new_with(NULL), *small;
	struct route_dhcp_seg s2 = seg;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0x10, 0};
	struct cm c = {.type = 1, .mac = mac};
	int i, n;

	if (!d)
		return;
	for (i = 0; i < 11; i++) {
		mac[5] = (uint8_t)i;
		T_EQ(rd(out, answer(d, &c, 0)).yiaddr,
		     IP(198, 19, 1, 10 + i));
	}
	mac[5] = 99;
	T_EQ(answer(d, &c, 0), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_POOL_EXHAUSTED), 1);
	/* Offers are held 60 s: then the pool is free again. */
	T_EQ(answer(d, &c, (ROUTE_DHCP_OFFER_S - 1) * S), 0);
	T_EQ(rd(out, answer(d, &c, ROUTE_DHCP_OFFER_S * S)).yiaddr,
	     IP(198, 19, 1, 10));
	T_EQ(ctr(d, ROUTE_DHCP_C_POOL_EXHAUSTED), 2);
	route_dhcp_free(d);

	/* A table of 2 and a pool of 11: the third client finds no slot. */
	small = route_dhcp_new(2, NULL);
	T_ASSERT(small != NULL);
	if (!small)
		return;
	s2.lease_s = 100;
	for (i = 0; i < 3; i++) {
		mac[5] = (uint8_t)i;
		c = (struct cm){.type = 3, .mac = mac,
				.req = IP(198, 19, 1, 10 + i), .sid = GW};
		n = route_dhcp_answer(small, &s2, frame, mk(&c), out,
				      sizeof(out), 0);
		T_EQ(rd(out, n).type, i < 2 ? 5 : 6);
	}
	c = (struct cm){.type = 1, .mac = mac};
	T_EQ(route_dhcp_answer(small, &s2, frame, mk(&c), out, sizeof(out), 0),
	     0);
	T_EQ(ctr(small, ROUTE_DHCP_C_POOL_EXHAUSTED), 1);
	T_EQ(ctr(small, ROUTE_DHCP_C_LEASES), 2);
	/* Once the leases expired, a sweep makes room. */
	n = route_dhcp_answer(small, &s2, frame, mk(&c), out, sizeof(out),
			      101 * S);
	T_EQ(rd(out, n).type, 2);
	/* A pool wider than the subnet is walked inside the subnet only:
	 * never the network or gateway address, and a full /30 ends. */
	s2 = seg;
	s2.pool_lo = 0;
	s2.pool_hi = 0xffffffff;
	s2.mask = 0xfffffffc;
	s2.subnet = IP(198, 19, 1, 0);
	mac[5] = 200;
	d = route_dhcp_new(4, NULL);
	T_ASSERT(d != NULL);
	if (!d)
		goto out;
	n = route_dhcp_answer(d, &s2, frame, mk(&c), out, sizeof(out), 0);
	T_EQ(rd(out, n).yiaddr, IP(198, 19, 1, 2));
	mac[5] = 201;
	T_EQ(route_dhcp_answer(d, &s2, frame, mk(&c), out, sizeof(out), 0), 0);
	route_dhcp_free(d);
out:
	route_dhcp_free(small);
}

/* RELEASE ends the lease; the client gets its address back. */
static void test_release(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
		       .sid = GW, .host = "vm1"};

	if (!d)
		return;
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);
	c = (struct cm){.type = 3, .mac = mac2, .req = IP(198, 19, 1, 11),
			.sid = GW};
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);
	c = (struct cm){.type = 7, .mac = mac1, .ciaddr = IP(198, 19, 1, 10),
			.sid = GW};
	T_EQ(answer(d, &c, 10 * S), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_RELEASE), 1);
	T_STREQ(dump(d, 10 * S),
		"100\t02:00:00:00:00:02\t198.19.1.11\t3590\t-\n");
	/* It comes back: the same address. */
	c = (struct cm){.type = 1, .mac = mac1};
	T_EQ(rd(out, answer(d, &c, 20 * S)).yiaddr, IP(198, 19, 1, 10));
	/* Released again, a new client may take it. */
	c = (struct cm){.type = 7, .mac = mac1, .ciaddr = IP(198, 19, 1, 10)};
	T_EQ(answer(d, &c, 21 * S), 0);
	c = (struct cm){.type = 1, .mac = mac3};
	T_EQ(rd(out, answer(d, &c, 22 * S)).yiaddr, IP(198, 19, 1, 10));
	route_dhcp_free(d);
}

/* DECLINE takes the address out of the pool for a while. */
static void test_decline(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 1, .mac = mac1};

	if (!d)
		return;
	T_EQ(rd(out, answer(d, &c, 0)).yiaddr, IP(198, 19, 1, 10));
	c = (struct cm){.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
			.sid = GW};
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);
	c = (struct cm){.type = 4, .mac = mac1, .req = IP(198, 19, 1, 10),
			.sid = GW};
	T_EQ(answer(d, &c, 1 * S), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_DECLINE), 1);
	T_STREQ(dump(d, 1 * S),
		"100\t00:00:00:00:00:00\t198.19.1.10\t600\t-\n");
	c = (struct cm){.type = 1, .mac = mac1};
	T_EQ(rd(out, answer(d, &c, 2 * S)).yiaddr, IP(198, 19, 1, 11));
	c = (struct cm){.type = 1, .mac = mac2, .req = IP(198, 19, 1, 10)};
	T_EQ(rd(out, answer(d, &c, 3 * S)).yiaddr, IP(198, 19, 1, 12));
	/* A REQUEST for it is refused too. */
	c = (struct cm){.type = 3, .mac = mac3, .ciaddr = IP(198, 19, 1, 10)};
	T_EQ(rd(out, answer(d, &c, 3 * S)).type, 6);
	/* After the hold it is given out again. */
	c = (struct cm){.type = 1, .mac = mac3};
	T_EQ(rd(out, answer(d, &c, (ROUTE_DHCP_DECLINE_S + 1) * S)).yiaddr,
	     IP(198, 19, 1, 10));
	/* Declining without option 50 is malformed; another server's
	 * address is not ours to mark. */
	c = (struct cm){.type = 4, .mac = mac1};
	T_EQ(answer(d, &c, 700 * S), -ROUTE_DHCP_DROP_BAD_REQUEST);
	c = (struct cm){.type = 4, .mac = mac1, .req = IP(198, 19, 1, 11),
			.sid = IP(198, 19, 1, 2)};
	T_EQ(answer(d, &c, 700 * S), 0);
	T_EQ(ctr(d, ROUTE_DHCP_C_IGNORED), 1);
	route_dhcp_free(d);
}

/* INFORM: the configuration, no address, no lease times, to ciaddr. */
static void test_inform(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 8, .mac = mac1, .ciaddr = IP(198, 19, 1, 200)};
	struct rp r;

	if (!d)
		return;
	r = rd(out, answer(d, &c, 0));
	T_ASSERT(r.ok);
	T_EQ(r.type, 5);
	T_EQ(r.yiaddr, 0);
	T_EQ(r.ciaddr, IP(198, 19, 1, 200));
	T_EQ(r.ip_dst, IP(198, 19, 1, 200));
	T_MEMEQ(r.eth_dst, mac1, 6);
	T_EQ(r.has_lease + r.has_t1 + r.has_t2, 0);
	T_EQ(r.router, GW);
	T_STREQ(r.domain, "lab.test");
	T_EQ(ctr(d, ROUTE_DHCP_C_INFORM), 1);
	T_STREQ(dump(d, 0), "");
	c.ciaddr = 0;
	T_EQ(answer(d, &c, 0), -ROUTE_DHCP_DROP_BAD_REQUEST);
	route_dhcp_free(d);
}

/* Pad, overload (52), unknown and long options are walked over; a host
 * name with other bytes is not kept; an infinite lease has no T1/T2. */
static void test_options(void)
{
	static const uint8_t extra[] = {0, 0, 52, 1, 3, 55, 4, 1, 3, 6, 15,
					61, 7, 1, 2, 0, 0, 0, 0, 1, 0};
	struct route_dhcp *d = new_with(NULL);
	struct route_dhcp_seg s2 = seg;
	struct cm c = {.type = 3, .mac = mac1, .req = IP(198, 19, 1, 10),
		       .sid = GW, .host = "bad\thost", .extra = extra,
		       .nextra = sizeof(extra)};
	struct rp r;

	if (!d)
		return;
	s2.lease_s = ROUTE_DHCP_LEASE_INFINITE;
	s2.ndns = 0;
	s2.domain = NULL;
	s2.mtu = 0;
	r = rd(out, route_dhcp_answer(d, &s2, frame, mk(&c), out, sizeof(out),
				      0));
	T_ASSERT(r.ok);
	T_EQ(r.type, 5);
	T_EQ(r.lease, 0xffffffff);
	T_EQ(r.has_t1 + r.has_t2, 0);
	T_EQ(r.ndns, 0);
	T_EQ(r.mtu, 0);
	T_STREQ(r.domain, "");
	T_STREQ(dump(d, 0), "100\t02:00:00:00:00:01\t198.19.1.10\tinfinite\t-\n");
	/* A valid name that is too long is cut to 63. */
	c = (struct cm){.type = 3, .mac = mac2, .req = IP(198, 19, 1, 11),
			.sid = GW,
			.host = "a123456789b123456789c123456789d123456789"
				"e123456789f123456789g1234"};
	T_EQ(rd(out, answer(d, &c, 0)).type, 5);
	T_ASSERT(strstr(dump(d, 0), "\t3600\ta123456789b123456789c123456789"
				    "d123456789e123456789f123456789g12\n") != NULL);
	route_dhcp_free(d);
}

/* Every malformed frame is dropped with its reason and counted. */
static void test_drops(void)
{
	struct route_dhcp *d = new_with(NULL);
	struct cm c = {.type = 1, .mac = mac1};
	uint8_t *ip = frame + 14, *udp = ip + 20, *b = udp + 8;
	size_t n, i;
	int r;

	if (!d)
		return;
#define DROP(len, reason)                                                  \
	do {                                                               \
		r = route_dhcp_answer(d, &seg, frame, (len), out, sizeof(out), \
				      0);                                  \
		T_EQ(r, -(reason));                                        \
		T_EQ(drops(d, (reason)), 1);                               \
	} while (0)
	n = mk(&c);
	DROP(20, ROUTE_DHCP_DROP_SHORT);
	n = mk(&c);
	vnet_put16(frame + 12, 0x0806);
	DROP(n, ROUTE_DHCP_DROP_NOT_DHCP);
	n = mk(&c);
	ip[0] = 0x65;
	DROP(n, ROUTE_DHCP_DROP_IP_BAD);
	n = mk(&c);
	ip[1] = 4; /* the header checksum no longer holds */
	DROP(n, ROUTE_DHCP_DROP_IP_CSUM);
	n = mk(&c);
	vnet_put16(udp + 4, (unsigned)(n - 34 + 1));
	DROP(n, ROUTE_DHCP_DROP_UDP_BAD);
	n = mk(&c);
	b[100] ^= 1;
	DROP(n, ROUTE_DHCP_DROP_UDP_CSUM);
	n = mk(&c);
	b[0] = 2; /* BOOTREPLY */
	udp_csum_fix(ip);
	DROP(n, ROUTE_DHCP_DROP_BOOTP_BAD);
	c.extra = (const uint8_t *)"\x0c\xff" "ab";
	c.nextra = 4;
	n = mk(&c);
	/* The lying length: option 12 claims 255 bytes, the datagram ends
	 * before (IP and UDP lengths cut to the options). */
	vnet_put16(ip + 2, 20 + 8 + 240 + 3 + 4);
	vnet_put16(udp + 4, 8 + 240 + 3 + 4);
	vnet_put16(ip + 10, 0);
	vnet_put16(ip + 10, ref_csum(ip, 20));
	udp_csum_fix(ip);
	DROP(n, ROUTE_DHCP_DROP_OPT_LEN);
	c.extra = (const uint8_t *)"\x32\x03\x01\x02\x03";
	c.nextra = 5;
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_OPT_BAD);
	c = (struct cm){.type = 0, .mac = mac1};
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_NO_TYPE);
	c = (struct cm){.type = 2, .mac = mac1};
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_BAD_TYPE);
	c = (struct cm){.type = 1, .mac = mac1, .giaddr = IP(198, 19, 7, 1)};
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_RELAYED);
	c = (struct cm){.type = 1, .mac = bc};
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_BAD_CHADDR);
	c = (struct cm){.type = 3, .mac = mac1};
	n = mk(&c);
	DROP(n, ROUTE_DHCP_DROP_BAD_REQUEST);
	c = (struct cm){.type = 1, .mac = mac1};
	n = mk(&c);
	r = route_dhcp_answer(d, &seg, frame, n, out, 300, 0);
	T_EQ(r, -ROUTE_DHCP_DROP_NO_ROOM);
	T_EQ(drops(d, ROUTE_DHCP_DROP_NO_ROOM), 1);
	/* A fragment, a total length past the frame, not port 67. */
	n = mk(&c);
	vnet_put16(ip + 6, 0x2000);
	r = route_dhcp_answer(d, &seg, frame, n, out, sizeof(out), 0);
	T_EQ(r, -ROUTE_DHCP_DROP_IP_BAD);
	n = mk(&c);
	r = route_dhcp_answer(d, &seg, frame, n - 1, out, sizeof(out), 0);
	T_EQ(r, -ROUTE_DHCP_DROP_IP_BAD);
	n = mk(&c);
	vnet_put16(udp + 2, 68);
	r = route_dhcp_answer(d, &seg, frame, n, out, sizeof(out), 0);
	T_EQ(r, -ROUTE_DHCP_DROP_NOT_DHCP);
	/* A UDP checksum of 0 is none, and fine. */
	n = mk(&c);
	vnet_put16(udp + 6, 0);
	T_ASSERT(route_dhcp_answer(d, &seg, frame, n, out, sizeof(out), 0) > 0);
	/* Every length of a good frame cut short: no reply, no crash. */
	n = mk(&c);
	for (i = 0; i < n; i++)
		T_ASSERT(route_dhcp_answer(d, &seg, frame, i, out,
					   sizeof(out), 0) < 0);
	/* The names of the counters are dhcp_drop_ and the reason's. */
	for (i = 1; i < ROUTE_DHCP_DROP_MAX; i++) {
		char want[64];
		size_t nc;
		const struct vnet_counter *v = route_dhcp_counters(d, &nc);

		T_EQ(nc, ROUTE_DHCP_C_MAX);
		snprintf(want, sizeof(want), "dhcp_drop_%s",
			 route_dhcp_drop_str((int)i));
		T_STREQ(v[ROUTE_DHCP_C_DROP + i - 1].name, want);
	}
	T_STREQ(route_dhcp_drop_str(0), "?");
	T_STREQ(route_dhcp_drop_str(ROUTE_DHCP_DROP_MAX), "?");
#undef DROP
	route_dhcp_free(d);
}

/* What a bad lease file is told with FILE:LINE, and that it changes
 * nothing. */
static void test_lease_file(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"100 02:00:00:00:00:01\n", "2: expected VID MAC IP [HOSTNAME]"},
		{"4095 02:00:00:00:00:01 198.19.1.5\n",
		 "2: bad VID '4095' (expected 0-4094)"},
		{"x 02:00:00:00:00:01 198.19.1.5\n",
		 "2: bad VID 'x' (expected 0-4094)"},
		{"1 02:00:00:00:00 198.19.1.5\n", "2: bad MAC '02:00:00:00:00'"},
		{"1 01:00:5e:00:00:01 198.19.1.5\n",
		 "2: bad MAC '01:00:5e:00:00:01'"},
		{"1 00:00:00:00:00:00 198.19.1.5\n",
		 "2: bad MAC '00:00:00:00:00:00'"},
		{"1 02:00:00:00:00:01 198.19.1\n",
		 "2: bad IP address '198.19.1'"},
		{"1 02:00:00:00:00:01 2001:db8::1\n",
		 "2: bad IP address '2001:db8::1'"},
		{"1 02:00:00:00:00:01 198.19.1.5 a/b\n",
		 "2: bad hostname 'a/b' (1-63 of letters, digits, '-', '_', "
		 "'.')"},
		{"1 02:00:00:00:00:01 198.19.1.5 a b\n", "2: trailing 'b'"},
		{"1 02:00:00:00:00:09 198.19.1.9\n",
		 "2: VID 1 MAC 02:00:00:00:00:09 already has a lease (line 1)"},
		{"1 02:00:00:00:00:01 198.19.1.9\n",
		 "2: VID 1 IP 198.19.1.9 is already leased (line 1)"},
		{"1 02:00:00:00:00:01 198.19.1.5 \001\n",
		 "2: bad hostname '?' (1-63 of letters, digits, '-', '_', "
		 "'.')"},
	};
	char text[256], want[256], buf[VNET_ERR_STRLEN];
	struct route_dhcp *d = route_dhcp_new(2, NULL);
	struct vnet_err err;
	struct cm c = {.type = 1, .mac = mac4};
	const char *p;
	size_t i;
	FILE *f;

	if (!d)
		return;
	p = tmp_file("7 02:00:00:00:00:04 198.19.1.99 keep\n");
	T_EQ(route_dhcp_load(d, p, NULL), 0);
	unlink(p);
	seg.vid = 7;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "1 02:00:00:00:00:09 198.19.1.9\n%s",
			 bad[i].text);
		p = tmp_file(text);
		vnet_err_clear(&err);
		T_EQ(route_dhcp_load(d, p, &err), -EINVAL);
		snprintf(want, sizeof(want), "%s:%s", p, bad[i].msg);
		T_STREQ(vnet_err_str(&err, buf, sizeof(buf)), want);
		T_EQ(err.line, 2);
		unlink(p);
		/* The leases in force stay. */
		T_EQ(rd(out, answer(d, &c, 0)).yiaddr, IP(198, 19, 1, 99));
	}
	/* Too many for a table of 2, a long line, a NUL byte. */
	p = tmp_file("1 02:00:00:00:00:01 198.19.1.5\n"
		     "1 02:00:00:00:00:02 198.19.1.6\n"
		     "1 02:00:00:00:00:03 198.19.1.7\n");
	T_EQ(route_dhcp_load(d, p, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: too many leases (more than 2)", p);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)), want);
	unlink(p);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_dhcp.XXXXXX");
	close(mkstemp(tmp_path));
	f = fopen(tmp_path, "w");
	if (f) {
		fputs("# a comment\n", f);
		for (i = 0; i < 1100; i++)
			fputc('x', f);
		fclose(f);
	}
	T_EQ(route_dhcp_load(d, tmp_path, &err), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: line too long (more than 1024 characters)", tmp_path);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)), want);
	f = fopen(tmp_path, "w");
	if (f) {
		static const char nul[] = "1 02:00:00:00:00:01 198.19.1.5\n"
					  "1 \0\n";

		fwrite(nul, 1, sizeof(nul) - 1, f);
		fclose(f);
	}
	T_EQ(route_dhcp_load(d, tmp_path, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", tmp_path);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)), want);
	unlink(tmp_path);
	T_EQ(route_dhcp_load(d, "/nonexistent/leases", &err), -ENOENT);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)),
		"/nonexistent/leases: No such file or directory");
	T_EQ(rd(out, answer(d, &c, 0)).yiaddr, IP(198, 19, 1, 99));
	/* An empty file empties the table. */
	p = tmp_file("# none\n");
	T_EQ(route_dhcp_load(d, p, &err), 0);
	unlink(p);
	T_EQ(rd(out, answer(d, &c, 0)).yiaddr, IP(198, 19, 1, 10));
	seg.vid = 100;
	route_dhcp_free(d);
}

/* The segment checks the router runs on its configuration. */
static void test_seg_check(void)
{
	char buf[VNET_ERR_STRLEN];
	struct route_dhcp_seg s;
	struct vnet_err err;

	T_EQ(route_dhcp_seg_check(&seg, NULL), 0);
	s = seg;
	s.mask = 0xffff00ff;
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)),
		"netmask 255.255.0.255 is not contiguous");
	s = seg;
	s.gw = IP(198, 19, 2, 1);
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)),
		"gateway 198.19.2.1 is not a host address of subnet "
		"198.19.1.0/24");
	s = seg;
	s.subnet = IP(198, 19, 1, 5);
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	s = seg;
	s.pool_hi = IP(198, 19, 2, 5);
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	T_STREQ(vnet_err_str(&err, buf, sizeof(buf)),
		"pool 198.19.1.10-198.19.2.5 is not inside subnet "
		"198.19.1.0/24");
	s = seg;
	s.mask = 0xfffffffe;
	s.subnet = IP(198, 19, 1, 0);
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	s = seg;
	s.lease_s = 0;
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	s = seg;
	s.mtu = 67;
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	s = seg;
	s.ndns = 3;
	T_EQ(route_dhcp_seg_check(&s, &err), -EINVAL);
	/* No pool: static leases only. */
	s = seg;
	s.pool_lo = 1;
	s.pool_hi = 0;
	T_EQ(route_dhcp_seg_check(&s, NULL), 0);
	T_EQ(route_dhcp_new(0, NULL), NULL);
	T_EQ(errno, EINVAL);
}

int main(void)
{
	T_RUN(test_dora);
	T_RUN(test_renew);
	T_RUN(test_nak);
	T_RUN(test_static);
	T_RUN(test_exhaustion);
	T_RUN(test_release);
	T_RUN(test_decline);
	T_RUN(test_inform);
	T_RUN(test_options);
	T_RUN(test_drops);
	T_RUN(test_lease_file);
	T_RUN(test_seg_check);
	return T_DONE();
}
