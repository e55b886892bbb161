/* SPDX-License-Identifier: ISC */
/* test_flow.c -- unit tests of the flow cache (cmd/vnet-flowexport/flow.c). */
#include <errno.h>
#include <stdint.h>

#include "harness.h"
#include "vnet-flowexport/flow.h"
#include "vnet/segment.h"
#include "vnet/bytes.h"
#include "vnet/vxlan.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define T0 (1700000000ULL * SEC)

/* What the expired callback saw, in order. */
static struct vnet_flow got[8192];
static unsigned ngot;

static void collect(void *arg, const struct vnet_flow *f)
{
	(void)arg;
	if (ngot < sizeof(got) / sizeof(got[0]))
		got[ngot] = *f;
	ngot++;
}

static struct vnet_flow_cache *cache(uint32_t max, uint64_t active,
				     uint64_t idle, uint32_t sample)
{
	struct vnet_flow_config c = {
		.max_flows = max, .active_ns = active, .idle_ns = idle,
		.sample_n = sample, .expired = collect,
	};

	ngot = 0;
	return vnet_flow_new(&c);
}

/* A one-packet IPv4 flow 198.19.0.1:sport -> 198.19.0.2:2000. */
static struct vnet_flow pkt(uint16_t sport, uint8_t proto, uint8_t flags,
			    uint64_t bytes)
{
	struct vnet_flow o;

	memset(&o, 0, sizeof(o));
	o.key.segment = VNET_FLOW_NO_SEGMENT;
	o.key.ip_version = 4;
	o.key.proto = proto;
	vnet_addr_parse("198.19.0.1", &o.key.src);
	vnet_addr_parse("198.19.0.2", &o.key.dst);
	o.key.sport = sport;
	o.key.dport = 2000;
	o.packets = 1;
	o.bytes = bytes;
	o.tcp_flags = flags;
	o.src_mac[0] = 0x02;
	o.src_mac[5] = (uint8_t)sport;
	o.dst_mac[0] = 0x02;
	return o;
}

static void add(struct vnet_flow_cache *fc, uint16_t sport, uint64_t t)
{
	struct vnet_flow o = pkt(sport, 17, 0, 100);

	vnet_flow_add(fc, &o, t);
}

static void test_idle(void)
{
	struct vnet_flow_cache *fc = cache(16, 0, 15 * SEC, 0);

	add(fc, 1, T0);
	add(fc, 1, T0 + SEC);
	T_EQ(vnet_flow_expire(fc, T0 + 16 * SEC - 1, 0), 0);
	T_EQ(ngot, 0);
	T_EQ(vnet_flow_expire(fc, T0 + 16 * SEC, 0), 1);
	T_EQ(ngot, 1);
	T_EQ(got[0].end_reason, VNET_FLOW_END_IDLE);
	T_EQ(got[0].packets, 2);
	T_EQ(got[0].bytes, 200);
	T_EQ(got[0].start_ns, T0);
	T_EQ(got[0].end_ns, T0 + SEC);
	T_EQ(vnet_flow_stats(fc)->idle, 1);
	T_EQ(vnet_flow_stats(fc)->active, 0);
	vnet_flow_free(fc);
}

/* The walk sees every flow in the cache once, oldest start first, and
 * expires nothing. */
static void test_walk(void)
{
	struct vnet_flow_cache *fc = cache(16, 0, 15 * SEC, 0);

	add(fc, 3, T0);
	add(fc, 1, T0 + SEC);
	add(fc, 2, T0 + 2 * SEC);
	add(fc, 3, T0 + 3 * SEC); /* a later packet of the first flow */
	vnet_flow_walk(fc, collect, NULL);
	T_EQ(ngot, 3);
	T_EQ(got[0].key.sport, 3);
	T_EQ(got[0].packets, 2);
	T_EQ(got[1].key.sport, 1);
	T_EQ(got[2].key.sport, 2);
	T_EQ(vnet_flow_stats(fc)->active, 3);
	vnet_flow_free(fc);
	fc = cache(4, 0, 0, 0);
	vnet_flow_walk(fc, collect, NULL);
	T_EQ(ngot, 0);
	vnet_flow_free(fc);
}

/* A packet that finds its flow timed out ends it first and starts a new
 * one: restarted with zero counts. */
static void test_active(void)
{
	struct vnet_flow_cache *fc = cache(16, 10 * SEC, 5 * SEC, 0);
	uint64_t i;

	for (i = 0; i <= 12; i++)
		add(fc, 1, T0 + i * SEC);
	T_EQ(ngot, 1);
	T_EQ(got[0].end_reason, VNET_FLOW_END_ACTIVE);
	T_EQ(got[0].packets, 10);
	T_EQ(got[0].start_ns, T0);
	T_EQ(got[0].end_ns, T0 + 9 * SEC);
	/* The sweep finds the restarted flow too. */
	T_EQ(vnet_flow_expire(fc, T0 + 17 * SEC, 0), 1);
	T_EQ(got[1].end_reason, VNET_FLOW_END_IDLE);
	T_EQ(got[1].packets, 3);
	T_EQ(got[1].start_ns, T0 + 10 * SEC);
	T_EQ(vnet_flow_stats(fc)->created, 2);
	T_EQ(vnet_flow_stats(fc)->active_timeout, 1);
	vnet_flow_free(fc);
}

/* When both timeouts have passed by the time the clock is read, the one
 * whose deadline came first is the reason, and flows leave in deadline
 * order. */
static void test_deadline_order(void)
{
	struct vnet_flow_cache *fc = cache(16, 30 * SEC, 8 * SEC, 0);
	uint64_t i;

	for (i = 0; i <= 25; i++) {	/* A: active deadline 30, idle 33 */
		add(fc, 1, T0 + i * SEC);
		if (i == 20)		/* B: idle deadline 28 */
			add(fc, 2, T0 + i * SEC);
	}
	T_EQ(vnet_flow_expire(fc, T0 + 40 * SEC, 0), 2);
	T_EQ(ngot, 2);
	T_EQ(got[0].key.sport, 2);
	T_EQ(got[0].end_reason, VNET_FLOW_END_IDLE);
	T_EQ(got[1].key.sport, 1);
	T_EQ(got[1].end_reason, VNET_FLOW_END_ACTIVE);
	T_EQ(got[1].packets, 26);
	vnet_flow_free(fc);
}

static void test_fin_rst(void)
{
	struct vnet_flow_cache *fc = cache(16, 0, 0, 0);
	struct vnet_flow o;

	o = pkt(3, 6, 0x02, 60);
	vnet_flow_add(fc, &o, T0);
	o = pkt(3, 6, 0x10, 60);
	vnet_flow_add(fc, &o, T0 + MS);
	o = pkt(3, 6, 0x11, 60);
	vnet_flow_add(fc, &o, T0 + 2 * MS);
	T_EQ(ngot, 1);
	T_EQ(got[0].end_reason, VNET_FLOW_END_END);
	T_EQ(got[0].packets, 3);
	T_EQ(got[0].tcp_flags, 0x13);
	T_EQ(got[0].end_ns, T0 + 2 * MS);
	/* The last ACK is a flow of its own. */
	o = pkt(3, 6, 0x10, 60);
	vnet_flow_add(fc, &o, T0 + 3 * MS);
	T_EQ(ngot, 1);
	o = pkt(4, 6, 0x14, 60);
	vnet_flow_add(fc, &o, T0 + 4 * MS);
	T_EQ(ngot, 2);
	T_EQ(got[1].tcp_flags, 0x14);
	/* FIN means nothing to UDP. */
	o = pkt(5, 17, 0x01, 60);
	vnet_flow_add(fc, &o, T0 + 5 * MS);
	T_EQ(ngot, 2);
	vnet_flow_flush(fc);
	T_EQ(ngot, 4);
	T_EQ(got[2].key.sport, 3);
	T_EQ(got[2].end_reason, VNET_FLOW_END_FORCED);
	T_EQ(got[3].key.sport, 5);
	T_EQ(vnet_flow_stats(fc)->end, 2);
	T_EQ(vnet_flow_stats(fc)->forced, 2);
	vnet_flow_free(fc);
}

static void test_evict_lru(void)
{
	struct vnet_flow_cache *fc = cache(4, 0, 0, 0);
	const struct vnet_flow_stats *st = vnet_flow_stats(fc);
	unsigned i;

	add(fc, 1, T0);
	add(fc, 2, T0 + 1);
	add(fc, 3, T0 + 2);
	add(fc, 4, T0 + 3);
	add(fc, 1, T0 + 4);
	T_EQ(ngot, 0);
	add(fc, 5, T0 + 5);
	T_EQ(ngot, 1);
	T_EQ(got[0].key.sport, 2);
	T_EQ(got[0].end_reason, VNET_FLOW_END_LACK);
	add(fc, 6, T0 + 6);
	T_EQ(got[1].key.sport, 3);
	T_EQ(st->evicted, 2);
	T_EQ(st->active, 4);
	vnet_flow_flush(fc);
	/* Forced in start order: 1, 4, 5, 6. */
	T_EQ(ngot, 6);
	T_EQ(got[2].key.sport, 1);
	T_EQ(got[2].packets, 2);
	T_EQ(got[3].key.sport, 4);
	T_EQ(got[4].key.sport, 5);
	T_EQ(got[5].key.sport, 6);
	/* A flood degrades, never fails: 3000 flows in 10 entries. */
	vnet_flow_free(fc);
	fc = cache(10, 0, 0, 0);
	st = vnet_flow_stats(fc);
	for (i = 1; i <= 3000; i++)
		add(fc, (uint16_t)i, T0 + i);
	vnet_flow_flush(fc);
	T_EQ(ngot, 3000);
	T_EQ(st->evicted, 2990);
	T_EQ(st->forced, 10);
	T_EQ(st->created, 3000);
	vnet_flow_free(fc);
}

static void test_sampling(void)
{
	struct vnet_flow_cache *fc = cache(4, 0, 0, 3);
	char pat[11] = "";
	int i;

	for (i = 0; i < 10; i++)
		pat[i] = vnet_flow_sample(fc) ? '1' : '0';
	T_STREQ(pat, "1001001001");
	T_EQ(vnet_flow_stats(fc)->sampled_out, 6);
	vnet_flow_free(fc);
	fc = cache(4, 0, 0, 0);
	for (i = 0; i < 10; i++)
		T_EQ(vnet_flow_sample(fc), 1);
	T_EQ(vnet_flow_stats(fc)->sampled_out, 0);
	vnet_flow_free(fc);
}

static void test_budget(void)
{
	struct vnet_flow_cache *fc = cache(256, 0, SEC, 0);
	unsigned i;

	for (i = 0; i < 100; i++)
		add(fc, (uint16_t)i, T0 + i);
	T_EQ(vnet_flow_expire(fc, T0 + 2 * SEC, 30), 30);
	T_EQ(ngot, 30);
	/* Oldest first. */
	for (i = 0; i < 30; i++)
		T_EQ(got[i].key.sport, i);
	T_EQ(vnet_flow_expire(fc, T0 + 2 * SEC, 0), 70);
	T_EQ(vnet_flow_expire(fc, T0 + 2 * SEC, 0), 0);
	T_EQ(vnet_flow_stats(fc)->active, 0);
	vnet_flow_free(fc);
}

/* The same packets and times give the same records in the same order
 * whatever the seed; the seed is set only on an empty cache. */
static void test_seed(void)
{
	struct vnet_flow saved[600];
	struct vnet_flow_cache *fc;
	unsigned i, run, n0 = 0;

	for (run = 0; run < 2; run++) {
		fc = cache(64, 5 * SEC, 2 * SEC, 0);
		T_EQ(vnet_flow_set_seed(fc, run ? 12345 : 99), 0);
		for (i = 0; i < 500; i++) {
			add(fc, (uint16_t)(i * 7 % 97), T0 + i * 50 * MS);
			vnet_flow_expire(fc, T0 + i * 50 * MS, 2);
		}
		T_EQ(vnet_flow_set_seed(fc, 1), -EBUSY);
		vnet_flow_flush(fc);
		if (!run) {
			n0 = ngot;
			memcpy(saved, got, sizeof(saved));
		} else {
			T_EQ(ngot, n0);
			T_ASSERT(!memcmp(saved, got, n0 * sizeof(got[0])));
		}
		vnet_flow_free(fc);
	}
	T_ASSERT(n0 > 97);
}

static void test_bad_config(void)
{
	struct vnet_flow_config c = { .max_flows = 0, .expired = collect };

	T_ASSERT(!vnet_flow_new(&c) && errno == EINVAL);
	c.max_flows = VNET_FLOW_MAX + 1;
	T_ASSERT(!vnet_flow_new(&c) && errno == EINVAL);
	c.max_flows = 1;
	c.expired = NULL;
	T_ASSERT(!vnet_flow_new(&c) && errno == EINVAL);
	vnet_flow_free(NULL);
}

static void test_json(void)
{
	struct vnet_flow f = pkt(1000, 17, 0, 100);
	char buf[VNET_FLOW_JSON_MAX];
	int n;

	f.key.segment = 5000;
	f.key.vlan = 100;
	f.start_ns = T0 + 1500 * MS + 999;
	f.end_ns = T0 + 2 * SEC;
	f.packets = 5;
	f.bytes = 500;
	f.end_reason = VNET_FLOW_END_LACK;
	n = vnet_flow_json(&f, buf, sizeof(buf));
	T_STREQ(buf, "{\"start\":1700000001500,\"end\":1700000002000,"
		     "\"segment\":5000,\"vlan\":100,"
		     "\"src_mac\":\"02:00:00:00:00:e8\","
		     "\"dst_mac\":\"02:00:00:00:00:00\",\"ip_version\":4,"
		     "\"src\":\"198.19.0.1\",\"dst\":\"198.19.0.2\","
		     "\"proto\":17,\"sport\":1000,\"dport\":2000,"
		     "\"packets\":5,\"bytes\":500,\"tcp_flags\":0,"
		     "\"end_reason\":\"lack-of-resources\"}");
	T_EQ(n, strlen(buf));
	memset(&f, 0, sizeof(f));
	f.key.segment = VNET_FLOW_NO_SEGMENT;
	f.key.ip_version = 6;
	f.key.proto = 58;
	vnet_addr_parse("2001:db8::1", &f.key.src);
	vnet_addr_parse("2001:db8::2", &f.key.dst);
	f.key.dport = 128 << 8 | 3;
	f.packets = 1;
	f.bytes = 104;
	f.end_reason = VNET_FLOW_END_IDLE;
	vnet_flow_json(&f, buf, sizeof(buf));
	T_STREQ(buf, "{\"start\":0,\"end\":0,\"segment\":null,\"vlan\":null,"
		     "\"src_mac\":\"00:00:00:00:00:00\","
		     "\"dst_mac\":\"00:00:00:00:00:00\",\"ip_version\":6,"
		     "\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\","
		     "\"proto\":58,\"icmp_type\":128,\"icmp_code\":3,"
		     "\"packets\":1,\"bytes\":104,\"tcp_flags\":0,"
		     "\"end_reason\":\"idle\"}");
	T_EQ(vnet_flow_json(&f, buf, 20), -ENOSPC);
	T_STREQ(vnet_flow_end_name(4), "forced");
	T_STREQ(vnet_flow_end_name(9), "?");
}

/* Frames */

static size_t eth(uint8_t *b, int vlan, unsigned type)
{
	size_t o = 12;

	memset(b, 0, 12);
	b[0] = 0x02, b[5] = 0x02;
	b[6] = 0x02, b[11] = 0x01;
	if (vlan >= 0) {
		vnet_put16(b + 12, 0x8100);
		vnet_put16(b + 14, (unsigned)vlan);
		o += 4;
	}
	vnet_put16(b + o, type);
	return o + 2;
}

/* IPv4 header (checksum computed) at b, total length tot. */
static void ip4(uint8_t *b, unsigned tot, uint8_t proto, uint16_t frag,
		const char *src, const char *dst)
{
	struct vnet_addr s, d;
	uint32_t sum = 0;
	int i;

	vnet_addr_parse(src, &s);
	vnet_addr_parse(dst, &d);
	memset(b, 0, 20);
	b[0] = 0x45;
	b[1] = 0x10;
	vnet_put16(b + 2, tot);
	vnet_put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, s.b, 4);
	memcpy(b + 16, d.b, 4);
	for (i = 0; i < 20; i += 2)
		sum += vnet_get16(b + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	vnet_put16(b + 10, ~sum & 0xffff);
}

static size_t udp4_frame(uint8_t *b, int vlan, uint16_t sport, uint16_t dport,
			 size_t payload)
{
	size_t o = eth(b, vlan, 0x0800);

	ip4(b + o, (unsigned)(28 + payload), 17, 0, "198.19.0.1",
	    "198.19.0.2");
	vnet_put16(b + o + 20, sport);
	vnet_put16(b + o + 22, dport);
	vnet_put16(b + o + 24, (unsigned)(8 + payload));
	vnet_put16(b + o + 26, 0);
	memset(b + o + 28, 0xab, payload);
	return o + 28 + payload;
}

static void test_from_frame(void)
{
	static struct vnet_flow_classify cls;
	uint8_t b[512], v[600];
	struct vnet_flow o;
	size_t n, o2;
	int decap;

	vnet_flow_classify_init(&cls);
	cls.vlan_vni[0] = 42;
	cls.vlan_vni[100] = 5000;

	n = udp4_frame(b, 100, 1234, 53, 72);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), 0);
	T_EQ(decap, 0);
	T_EQ(o.key.segment, 5000);
	T_EQ(o.key.vlan, 100);
	T_EQ(o.key.ip_version, 4);
	T_EQ(o.key.proto, 17);
	T_EQ(o.key.sport, 1234);
	T_EQ(o.key.dport, 53);
	T_EQ(o.bytes, 100);
	T_EQ(o.packets, 1);
	T_EQ(o.tos, 0x10);
	T_EQ(o.src_mac[5], 1);
	T_EQ(o.dst_mac[5], 2);
	/* Unused key bytes are zero. */
	T_EQ(o.key.src.b[4] | o.key.dst.b[15] | o.key.pad[0] | o.key.in_if, 0);

	n = udp4_frame(b, 200, 1, 2, 0);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), 0);
	T_EQ(o.key.segment, VNET_FLOW_NO_SEGMENT);
	n = udp4_frame(b, -1, 1, 2, 0);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), 0);
	T_EQ(o.key.segment, 42);
	T_EQ(o.key.vlan, 0);

	/* ICMP echo: type 8 code 0 in the dst port. */
	n = eth(b, -1, 0x0800);
	ip4(b + n, 28, 1, 0, "198.19.0.1", "198.19.0.3");
	memset(b + n + 20, 0, 8);
	b[n + 20] = 8;
	b[n + 21] = 0;
	T_EQ(vnet_flow_from_frame(&cls, b, n + 28, &o, &decap), 0);
	T_EQ(o.key.sport, 0);
	T_EQ(o.key.dport, 8 << 8);
	T_ASSERT(vnet_flow_is_icmp(&o.key));

	/* A later fragment: addresses and protocol, ports 0. */
	n = eth(b, -1, 0x0800);
	ip4(b + n, 60, 17, 185, "198.19.0.1", "198.19.0.2");
	memset(b + n + 20, 0x11, 40);
	T_EQ(vnet_flow_from_frame(&cls, b, n + 60, &o, &decap), 0);
	T_EQ(o.key.proto, 17);
	T_EQ(o.key.sport | o.key.dport, 0);
	T_EQ(o.bytes, 60);

	/* SCTP ports. */
	n = eth(b, -1, 0x0800);
	ip4(b + n, 32, 132, 0, "198.19.0.1", "198.19.0.2");
	vnet_put16(b + n + 20, 3868);
	vnet_put16(b + n + 22, 3869);
	memset(b + n + 24, 0, 8);
	T_EQ(vnet_flow_from_frame(&cls, b, n + 32, &o, &decap), 0);
	T_EQ(o.key.sport, 3868);
	T_EQ(o.key.dport, 3869);

	/* ARP: not IP; a cut IPv4 header and a runt: malformed. */
	n = eth(b, -1, 0x0806);
	memset(b + n, 0, 28);
	T_EQ(vnet_flow_from_frame(&cls, b, n + 28, &o, &decap), -ENOENT);
	n = udp4_frame(b, -1, 1, 2, 10);
	T_EQ(vnet_flow_from_frame(&cls, b, 24, &o, &decap), -EINVAL);
	T_EQ(vnet_flow_from_frame(&cls, b, 10, &o, &decap), -EINVAL);

	/* VXLAN to 4789: without decap an outer flow, with it the inner
	 * one, in the VNI, with the inner VLAN. */
	n = udp4_frame(b, 300, 7, 8, 20);
	o2 = eth(v, -1, 0x0800);
	ip4(v + o2, (unsigned)(36 + n), 17, 0x4000, "198.18.0.2",
	    "198.18.0.1");
	vnet_put16(v + o2 + 20, 50000);
	vnet_put16(v + o2 + 22, 4789);
	vnet_put16(v + o2 + 24, (unsigned)(16 + n));
	vnet_put16(v + o2 + 26, 0);
	vnet_vxlan_encode(v + o2 + 28, 7001);
	memcpy(v + o2 + 36, b, n);
	T_EQ(vnet_flow_from_frame(&cls, v, o2 + 36 + n, &o, &decap), 0);
	T_EQ(decap, 0);
	T_EQ(o.key.dport, 4789);
	T_EQ(o.key.segment, 42);
	cls.vxlan_ports[0] = 4789;
	cls.nports = 1;
	T_EQ(vnet_flow_from_frame(&cls, v, o2 + 36 + n, &o, &decap), 0);
	T_EQ(decap, 1);
	T_EQ(o.key.segment, 7001);
	T_EQ(o.key.vlan, 300);
	T_EQ(o.key.sport, 7);
	T_EQ(o.key.dport, 8);
	T_EQ(o.bytes, 48);
	/* A broken VXLAN header (I flag clear): the outer flow. */
	v[o2 + 28] = 0;
	T_EQ(vnet_flow_from_frame(&cls, v, o2 + 36 + n, &o, &decap), 0);
	T_EQ(decap, 0);
	T_EQ(o.key.dport, 4789);
}

/* Insert a tag (tpid, vid) before the tags of frame b of n bytes. */
static size_t push_tag(uint8_t *b, size_t n, unsigned tpid, unsigned vid)
{
	memmove(b + 16, b + 12, n - 12);
	vnet_put16(b + 12, tpid);
	vnet_put16(b + 14, vid);
	return n + 4;
}

/* The segment of a frame that is not decapsulated: segment.h's rule; a
 * frame without one is not metered and says why. */
static void test_segments(void)
{
	static struct vnet_flow_classify cls;
	uint8_t b[512], v[600];
	struct vnet_flow o;
	size_t n, o2;
	int decap;

	vnet_flow_classify_init(&cls);
	cls.vlan_vni[0] = 42;
	cls.vlan_vni[100] = 5000;
	cls.vlan_vni[200] = 6000;

	/* VID 0 (a priority tag): the default segment, vlan 0. */
	n = udp4_frame(b, 0, 1, 2, 10);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), 0);
	T_EQ(o.key.segment, 42);
	T_EQ(o.key.vlan, 0);
	T_EQ(o.bytes, 38);
	/* An unmapped VID: metered without a VNI. */
	n = udp4_frame(b, 300, 1, 2, 10);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), 0);
	T_EQ(o.key.segment, VNET_FLOW_NO_SEGMENT);
	T_EQ(o.key.vlan, 300);
	/* 802.1Q + 802.1Q, 802.1Q + 802.1ad: stacked, whatever is mapped. */
	n = push_tag(b, udp4_frame(b, 200, 1, 2, 10), 0x8100, 100);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), VNET_SEG_STACKED);
	n = udp4_frame(b, 200, 1, 2, 10);
	vnet_put16(b + 12, 0x88a8);
	n = push_tag(b, n, 0x8100, 100);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), VNET_SEG_STACKED);
	/* 802.1ad alone, 802.1ad + 802.1Q: an S-tag. */
	n = udp4_frame(b, 100, 1, 2, 10);
	vnet_put16(b + 12, 0x88a8);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), VNET_SEG_S_TAG);
	n = push_tag(b, udp4_frame(b, 200, 1, 2, 10), 0x88a8, 100);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap), VNET_SEG_S_TAG);
	/* VID 4095, even with a VNI mapped to it by hand. */
	cls.vlan_vni[4095] = 7;
	n = udp4_frame(b, 4095, 1, 2, 10);
	T_EQ(vnet_flow_from_frame(&cls, b, n, &o, &decap),
	     VNET_SEG_RESERVED_VID);
	/* Non-IP frames with no segment: the segment is refused first. */
	n = push_tag(b, eth(b, 200, 0x0806), 0x8100, 100);
	memset(b + n, 0, 28);
	T_EQ(vnet_flow_from_frame(&cls, b, n + 28, &o, &decap),
	     VNET_SEG_STACKED);
	/* A tag cut short: malformed. */
	n = udp4_frame(b, 100, 1, 2, 10);
	vnet_put16(b + 12, 0x88a8);
	T_EQ(vnet_flow_from_frame(&cls, b, 16, &o, &decap), -EINVAL);

	/* Decapsulated: the VNI is the segment, even for an inner frame with
	 * an S-tag or stacked tags (vlan: the outermost VID seen). */
	cls.vxlan_ports[0] = 4789;
	cls.nports = 1;
	n = push_tag(b, udp4_frame(b, 200, 7, 8, 20), 0x8100, 100);
	o2 = eth(v, -1, 0x0800);
	ip4(v + o2, (unsigned)(36 + n), 17, 0x4000, "198.18.0.2",
	    "198.18.0.1");
	vnet_put16(v + o2 + 20, 50000);
	vnet_put16(v + o2 + 22, 4789);
	vnet_put16(v + o2 + 24, (unsigned)(16 + n));
	vnet_put16(v + o2 + 26, 0);
	vnet_vxlan_encode(v + o2 + 28, 7001);
	memcpy(v + o2 + 36, b, n);
	T_EQ(vnet_flow_from_frame(&cls, v, o2 + 36 + n, &o, &decap), 0);
	T_EQ(decap, 1);
	T_EQ(o.key.segment, 7001);
	T_EQ(o.key.vlan, 100);
	/* An outer frame with stacked tags is not decapsulated: it has no
	 * segment. */
	memmove(v + 20, v + 12, o2 + 36 + n - 12);
	vnet_put16(v + 12, 0x8100);
	vnet_put16(v + 14, 10);
	vnet_put16(v + 16, 0x8100);
	vnet_put16(v + 18, 20);
	T_EQ(vnet_flow_from_frame(&cls, v, o2 + 44 + n, &o, &decap),
	     VNET_SEG_STACKED);
	T_EQ(decap, 0);
}

int main(void)
{
	T_RUN(test_idle);
	T_RUN(test_walk);
	T_RUN(test_active);
	T_RUN(test_deadline_order);
	T_RUN(test_fin_rst);
	T_RUN(test_evict_lru);
	T_RUN(test_sampling);
	T_RUN(test_budget);
	T_RUN(test_seed);
	T_RUN(test_bad_config);
	T_RUN(test_json);
	T_RUN(test_from_frame);
	T_RUN(test_segments);
	return T_DONE();
}
