/* SPDX-License-Identifier: ISC */
/* test_bench.c -- vnet-bench's engines: the latency histogram, the stamp,
 * the frame templates (patched fields and checksums) and the sink's
 * counts of loss, duplicates and order. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "refcsum.h"
#include "vnet-bench/hist.h"
#include "vnet-bench/stamp.h"
#include "vnet-bench/tally.h"
#include "vnet-bench/tmpl.h"
#include "vnet/bytes.h"
#include "vnet/pkt.h"

static struct vnet_hist h;

static void test_hist_buckets(void)
{
	uint64_t v;
	unsigned i, prev = 0;

	/* Exact below 256, one bucket per value. */
	for (v = 0; v < 256; v++) {
		T_EQ(vnet_hist_index(v), v);
		T_EQ(vnet_hist_low((unsigned)v), v);
		T_EQ(vnet_hist_high((unsigned)v), v);
	}
	/* Above, 128 buckets a power of two. */
	T_EQ(vnet_hist_index(256), 256);
	T_EQ(vnet_hist_index(257), 256);
	T_EQ(vnet_hist_index(258), 257);
	T_EQ(vnet_hist_low(256), 256);
	T_EQ(vnet_hist_high(256), 257);
	T_EQ(vnet_hist_index(512), 384);
	T_EQ(vnet_hist_high(383), 511);
	T_EQ(vnet_hist_index(UINT64_MAX), VNET_HIST_BUCKETS - 1);
	T_EQ(vnet_hist_high(VNET_HIST_BUCKETS - 1), UINT64_MAX);
	/* Every value lies in its bucket, buckets are in order and
	 * contiguous, and a bucket spans under 1/128 of its values. */
	for (i = 1; i < VNET_HIST_BUCKETS; i++)
		T_ASSERT(vnet_hist_low(i) == vnet_hist_high(i - 1) + 1);
	for (v = 1; v < (UINT64_C(1) << 62); v = v * 3 + 1) {
		i = vnet_hist_index(v);
		T_ASSERT(i >= prev);
		prev = i;
		T_ASSERT(vnet_hist_low(i) <= v && v <= vnet_hist_high(i));
		T_ASSERT((vnet_hist_high(i) - vnet_hist_low(i)) * 128 <= v);
	}
}

static void test_hist_percentiles(void)
{
	uint64_t v;

	vnet_hist_reset(&h);
	T_EQ(vnet_hist_pct(&h, 50), 0);
	T_EQ(vnet_hist_mean(&h), 0);
	/* 1..1000 us in ns: p50 is the 500th value, within a bucket. */
	for (v = 1; v <= 1000; v++)
		vnet_hist_add(&h, v * 1000);
	T_EQ(h.n, 1000);
	T_EQ(h.min, 1000);
	T_EQ(h.max, 1000000);
	T_EQ(vnet_hist_mean(&h), 500500);
	v = vnet_hist_pct(&h, 50);
	T_ASSERT(v >= 500000 && v <= 500000 + 500000 / 128);
	v = vnet_hist_pct(&h, 99);
	T_ASSERT(v >= 990000 && v <= 990000 + 990000 / 128);
	v = vnet_hist_pct(&h, 99.9);
	T_ASSERT(v >= 999000 && v <= 1000000);
	/* Never above the largest value, nor below the least. */
	T_EQ(vnet_hist_pct(&h, 100), 1000000);
	v = vnet_hist_pct(&h, 0.0001); /* 1000's bucket is 1000-1003 */
	T_ASSERT(v >= 1000 && v <= 1003);
	/* One value: every percentile is it, exactly. */
	vnet_hist_reset(&h);
	vnet_hist_add(&h, 25000000);
	vnet_hist_add(&h, 25000000);
	T_EQ(vnet_hist_pct(&h, 50), 25000000);
	T_EQ(vnet_hist_pct(&h, 99.9), 25000000);
	T_EQ(h.max, 25000000);
}

static void test_stamp(void)
{
	uint8_t b[VNET_STAMP_LEN + 2];
	struct vnet_stamp s = {.stream = 7,
			       .seq = 0xdeadbeef,
			       .ts_ns = 0x0123456789abcdefULL},
			  g = {0};

	vnet_stamp_put(b, &s);
	T_EQ(vnet_get16(b), VNET_STAMP_MAGIC);
	T_EQ(ref_sum(b, VNET_STAMP_LEN, 0), 0xffff);
	T_EQ(vnet_stamp_get(b, sizeof(b), &g), 0);
	T_EQ(g.stream, 7);
	T_EQ(g.seq, 0xdeadbeef);
	T_EQ(g.ts_ns, 0x0123456789abcdefULL);
	T_EQ(vnet_stamp_get(b, VNET_STAMP_LEN - 1, &g), -EINVAL);
	b[5] ^= 1; /* a changed seq fails the check */
	T_EQ(vnet_stamp_get(b, sizeof(b), &g), -EINVAL);
	b[5] ^= 1;
	b[0] = 0;
	T_EQ(vnet_stamp_get(b, sizeof(b), &g), -EINVAL);
}

static struct vnet_tmpl t;

static void conf(struct vnet_tmpl_conf *c, int family, uint8_t proto)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->proto = proto;
	c->nflows = 4;
	c->nmacs = 3;
	c->vary = VNET_VARY_SRC_IP | VNET_VARY_DST_PORT;
	c->sport = 1024;
	c->dport = 65534; /* wraps past 65535 */
	c->stream = 9;
	memcpy(c->src_mac, "\x02\x00\x00\x00\x00\xfe", 6);
	memcpy(c->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	vnet_addr_parse(family == AF_INET6 ? "2001:db8::ffff:ffff"
					   : "198.18.0.254",
			&c->src);
	vnet_addr_parse(family == AF_INET6 ? "2001:db8::2" : "198.19.0.1",
			&c->dst);
}

/* The L4 checksum of frame t from scratch (refcsum.h), with the
 * pseudo-header of p. */
static uint16_t l4_ref(const struct vnet_pkt *p)
{
	uint8_t ph[40];
	size_t alen = p->saddr.family == AF_INET6 ? 16 : 4, l4len;
	uint8_t buf[VNET_TMPL_MAX + 40];
	uint32_t n = 0;

	l4len = (size_t)p->l3_off + p->l3_len - p->l4_off;
	if (!(p->ip_proto == IPPROTO_ICMP)) {
		memcpy(ph, p->saddr.b, alen);
		memcpy(ph + alen, p->daddr.b, alen);
		n = (uint32_t)(2 * alen);
		memset(ph + n, 0, 4);
		vnet_put16(ph + n, alen == 16 ? 0 : p->ip_proto);
		vnet_put16(ph + n + 2, (uint32_t)l4len);
		n += 4;
		if (alen == 16) {
			vnet_put32(ph + n - 4, (uint32_t)l4len);
			memset(ph + n, 0, 4);
			ph[n + 3] = p->ip_proto;
			n += 4;
		}
	}
	memcpy(buf, ph, n);
	memcpy(buf + n, p->data + p->l4_off, l4len);
	return ref_csum(buf, n + l4len);
}

static void check_frames(int family, uint8_t proto, unsigned size)
{
	struct vnet_tmpl_conf c;
	struct vnet_stamp s;
	struct vnet_pkt p;
	struct vnet_err e;
	uint64_t k;
	unsigned csum_off;

	conf(&c, family, proto);
	T_EQ(vnet_tmpl_build(&t, &c, size, &e), 0);
	T_EQ(t.len, size - 4);
	for (k = 0; k < 9; k++) {
		vnet_tmpl_fill(&t, &c, k, (uint32_t)(1000 + k), 5000 + k);
		T_EQ(vnet_pkt_parse(t.buf, t.len, &p), 0);
		T_EQ(p.l3_off + p.l3_len, t.len);
		T_EQ(vnet_stamp_find(t.buf, t.len, &s), 0);
		T_EQ(s.stream, 9);
		T_EQ(s.seq, 1000 + k);
		T_EQ(s.ts_ns, 5000 + k);
		/* Source MAC k % 3, counting up from ..:fe across bytes. */
		T_EQ(vnet_get32(p.src + 2), 0xfe + k % 3);
		/* Flow k % 4: the source address and destination port
		 * count up (the port wraps), the rest stay. */
		T_EQ(vnet_get32(p.saddr.b + (family == AF_INET6 ? 12 : 0)),
		     (uint32_t)((family == AF_INET6 ? 0xffffffffu
						    : 0xc61200feu) +
				(uint32_t)(k % 4)));
		T_EQ(vnet_get32(p.daddr.b + (family == AF_INET6 ? 12 : 0)),
		     family == AF_INET6 ? 2 : 0xc6130001u);
		if (proto != IPPROTO_ICMP) {
			T_EQ(p.sport, 1024);
			T_EQ(p.dport, (65534 + k % 4) & 0xffff);
		}
		if (family == AF_INET)
			T_EQ(ref_sum(t.buf + p.l3_off, 20, 0), 0xffff);
		csum_off = p.l4_off + (proto == IPPROTO_UDP   ? 6
				       : proto == IPPROTO_TCP ? 16
							      : 2);
		{
			uint16_t got = vnet_get16(t.buf + csum_off);

			vnet_put16(t.buf + csum_off, 0);
			T_EQ(got ? got : 0xffff,
			     l4_ref(&p) ? l4_ref(&p) : 0xffff);
			vnet_put16(t.buf + csum_off, got);
		}
	}
}

static void test_tmpl_frames(void)
{
	check_frames(AF_INET, IPPROTO_UDP, 64);
	check_frames(AF_INET, IPPROTO_UDP, 65); /* odd length */
	check_frames(AF_INET, IPPROTO_TCP, 1518);
	check_frames(AF_INET, IPPROTO_ICMP, 64);
	check_frames(AF_INET6, IPPROTO_UDP, 84);
	check_frames(AF_INET6, IPPROTO_TCP, 101);
	check_frames(AF_INET6, IPPROTO_ICMP, 9022);
}

static void test_tmpl_sizes(void)
{
	struct vnet_tmpl_conf c;
	struct vnet_err e;

	conf(&c, AF_INET, IPPROTO_UDP);
	T_EQ(vnet_tmpl_min_size(&c), 64);
	c.has_vlan = 1;
	c.vlan = 100;
	T_EQ(vnet_tmpl_min_size(&c), 68);
	T_EQ(vnet_tmpl_build(&t, &c, 67, &e), -EINVAL);
	T_EQ(vnet_tmpl_build(&t, &c, 68, &e), 0);
	T_EQ(vnet_get16(t.buf + 12), 0x8100);
	T_EQ(vnet_get16(t.buf + 14), 100);
	T_EQ(vnet_tmpl_build(&t, &c, VNET_TMPL_MAX + 5, &e), -EINVAL);
	conf(&c, AF_INET6, IPPROTO_UDP);
	T_EQ(vnet_tmpl_min_size(&c), 84);
	conf(&c, AF_INET, IPPROTO_TCP);
	T_EQ(vnet_tmpl_min_size(&c), 76);
}

static void test_tally(void)
{
	struct vnet_tally *ta = vnet_tally_new();
	const struct vnet_tally_stream *s;
	uint32_t q;

	T_ASSERT(ta != NULL);
	if (!ta)
		return;
	/* 0..99 with 10 lost, 30 again, 50 after 51, latency 7 each. */
	for (q = 0; q < 100; q++) {
		if (q % 10 == 9 || q == 50)
			continue;
		vnet_tally_stamp(ta, 3, q, 1000 + q, 60, 1007 + q);
		if (q == 30)
			vnet_tally_stamp(ta, 3, q, 1000 + q, 60, 1007 + q);
		if (q == 51)
			vnet_tally_stamp(ta, 3, 50, 1050, 60, 1057);
	}
	s = ta->by_id[3];
	T_ASSERT(s != NULL);
	if (!s)
		goto out;
	T_EQ(ta->nstreams, 1);
	T_EQ(s->frames, 91);
	T_EQ(s->dups, 1);
	T_EQ(s->reordered, 1);
	T_EQ(vnet_tally_lost(s), 9); /* 99 itself is past the highest */
	T_EQ(vnet_tally_lost_of(s, 100), 10);
	T_EQ(s->lat.max, 7);
	T_EQ(vnet_hist_pct(&s->lat, 50), 7);
	/* Sequence numbers wrap at 2^32, without a loss. */
	vnet_tally_stamp(ta, 4, 0xfffffffe, 0, 60, 0);
	vnet_tally_stamp(ta, 4, 0xffffffff, 0, 60, 0);
	vnet_tally_stamp(ta, 4, 0, 0, 60, 0);
	vnet_tally_stamp(ta, 4, 1, 0, 60, 0);
	s = ta->by_id[4];
	T_EQ(s->max_seq - s->min_seq, 3);
	T_EQ(vnet_tally_lost(s), 0);
	T_EQ(s->reordered, 0);
	/* A jump past the window forgets what it held; far older frames
	 * are late (reordered), not duplicates. */
	vnet_tally_stamp(ta, 5, 0, 0, 60, 0);
	vnet_tally_stamp(ta, 5, 200000, 0, 60, 0);
	vnet_tally_stamp(ta, 5, 0, 0, 60, 0);
	vnet_tally_stamp(ta, 5, 199999, 0, 60, 0);
	vnet_tally_stamp(ta, 5, 199999, 0, 60, 0);
	s = ta->by_id[5];
	T_EQ(s->reordered, 2);
	T_EQ(s->dups, 1);
	/* A foreign frame is counted, not a stream. */
	T_EQ(vnet_tally_frame(ta, (const uint8_t *)"garbage", 7, 0), 0);
	T_EQ(ta->foreign, 1);
	T_EQ(ta->nstreams, 3);
out:
	vnet_tally_free(ta);
}

int main(void)
{
	T_RUN(test_hist_buckets);
	T_RUN(test_hist_percentiles);
	T_RUN(test_stamp);
	T_RUN(test_tmpl_frames);
	T_RUN(test_tmpl_sizes);
	T_RUN(test_tally);
	return T_DONE();
}
