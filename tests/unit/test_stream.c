/* SPDX-License-Identifier: ISC */
/* test_stream.c -- unit tests of the pcap/pcapng/VDE stream reader, writer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/stream.h"

/* A byte string built in either byte order. */
struct bld {
	uint8_t b[300000];
	size_t n;
	int be;
};

static struct bld B; /* too large for the stack */

static void b_reset(int be)
{
	B.n = 0;
	B.be = be;
}

static void b_u8(uint8_t v)
{
	B.b[B.n++] = v;
}

static void b_u16(uint16_t v)
{
	if (B.be) {
		b_u8((uint8_t)(v >> 8));
		b_u8((uint8_t)v);
	} else {
		b_u8((uint8_t)v);
		b_u8((uint8_t)(v >> 8));
	}
}

static void b_u32(uint32_t v)
{
	if (B.be) {
		b_u16((uint16_t)(v >> 16));
		b_u16((uint16_t)v);
	} else {
		b_u16((uint16_t)v);
		b_u16((uint16_t)(v >> 16));
	}
}

static void b_u64(uint64_t v)
{
	if (B.be) {
		b_u32((uint32_t)(v >> 32));
		b_u32((uint32_t)v);
	} else {
		b_u32((uint32_t)v);
		b_u32((uint32_t)(v >> 32));
	}
}

/* A recognisable frame: byte i of frame `seed` is seed + i. */
static void b_frame(uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		b_u8((uint8_t)(seed + i));
}

static void b_pad4(void)
{
	while (B.n % 4)
		b_u8(0);
}

static int frame_ok(const struct vnet_frame *f, uint32_t len, uint8_t seed)
{
	uint32_t i;

	if (f->len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (f->data[i] != (uint8_t)(seed + i))
			return 0;
	return 1;
}

/* ---- pcap ---- */

static void pcap_hdr(uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
	b_u32(magic);
	b_u16(2);
	b_u16(4);
	b_u32(0);
	b_u32(0);
	b_u32(snaplen);
	b_u32(linktype);
}

static void pcap_rec(uint32_t sec, uint32_t frac, uint32_t incl,
		     uint32_t orig, uint8_t seed)
{
	b_u32(sec);
	b_u32(frac);
	b_u32(incl);
	b_u32(orig);
	b_frame(incl, seed);
}

/* The reader's error as the one formatter writes it ("no error" when
 * there is none). */
static const char *sr_error(const struct vnet_sr *r)
{
	static char buf[VNET_ERR_STRLEN];

	return vnet_err_str(vnet_sr_err(r), buf, sizeof(buf));
}

static struct vnet_sr *push_all(const void *p, size_t n, int eof)
{
	struct vnet_sr *r = vnet_sr_new_mem(0);

	T_ASSERT(r);
	if (!r)
		exit(1);
	T_EQ(vnet_sr_push(r, p, n), 0);
	if (eof)
		T_EQ(vnet_sr_push(r, NULL, 0), 0);
	return r;
}

static void check_pcap(int be, int ns)
{
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(be);
	pcap_hdr(ns ? 0xa1b23c4d : 0xa1b2c3d4, 65535, 1);
	pcap_rec(1700000000, ns ? 123456789 : 123456, 60, 60, 1);
	pcap_rec(1700000001, ns ? 999999999 : 999999, 1514, 1514, 7);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_format(r), VNET_FMT_AUTO);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_EQ(vnet_sr_format(r), ns ? VNET_FMT_PCAP_NS : VNET_FMT_PCAP);
	T_ASSERT(frame_ok(&f, 60, 1));
	T_EQ(f.wire_len, 60);
	T_EQ(f.ts_ns,
	     1700000000ull * 1000000000 + (ns ? 123456789 : 123456000));
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 1514, 7));
	T_EQ(f.ts_ns,
	     1700000001ull * 1000000000 + (ns ? 999999999 : 999999000));
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->frames, 2);
	T_EQ(vnet_sr_stats(r)->bytes, 1574);
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_free(r);
}

static void test_pcap_usec_le(void)
{
	check_pcap(0, 0);
}

static void test_pcap_usec_be(void)
{
	check_pcap(1, 0);
}

static void test_pcap_nsec_le(void)
{
	check_pcap(0, 1);
}

static void test_pcap_nsec_be(void)
{
	check_pcap(1, 1);
}

static void test_pcap_linktype(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 65535, 101);
	pcap_rec(1, 0, 60, 60, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "linktype 101"));
	/* Sticky. */
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	vnet_sr_free(r);

	/* Upper bits of the field (FCS information) are not the linktype. */
	b_reset(1);
	pcap_hdr(0xa1b2c3d4, 65535, 0x10000001);
	pcap_rec(1, 0, 60, 60, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	vnet_sr_free(r);
}

static void test_pcap_bad_records(void)
{
	const struct vnet_sr_stats *st;
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 65535, 1);
	pcap_rec(1, 0, 10, 10, 0);	     /* runt */
	pcap_rec(2, 0, 40, 60, 0);	     /* truncated */
	pcap_rec(3, 0, 70000, 70000, 0);   /* oversize, skipped */
	pcap_rec(4, 0, 0, 0, 0);	     /* empty: runt */
	pcap_rec(5, 0, 64, 64, 5);	     /* good */
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 64, 5));
	T_EQ(f.ts_ns, 5000000000ull);
	T_EQ(vnet_sr_next(r, &f), 0);
	st = vnet_sr_stats(r);
	T_EQ(st->runt, 2);
	T_EQ(st->truncated, 1);
	T_EQ(st->oversize, 1);
	T_EQ(st->frames, 1);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);

	/* Longer than any snaplen allows: corruption, not a big frame. */
	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 65535, 1);
	pcap_rec(1, 0, 60, 60, 0);
	b_u32(2);
	b_u32(0);
	b_u32(300000);
	b_u32(300000);
	r = push_all(B.b, B.n, 0);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "captured length 300000"));
	T_ASSERT(strstr(sr_error(r), "byte 100"));
	vnet_sr_free(r);

	/* Bad version. */
	b_reset(0);
	b_u32(0xa1b2c3d4);
	b_u16(1);
	b_u16(0);
	b_frame(16, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "version 1.0"));
	vnet_sr_free(r);
}

/* An oversize record bigger than the reader's buffer streams past. */
static void test_pcap_oversize_streaming(void)
{
	struct vnet_sr *r = vnet_sr_new_mem(1);	/* rounded up to the minimum */
	struct vnet_frame f;
	size_t o;

	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 262144, 1);
	pcap_rec(1, 0, 262144, 262144, 0);
	pcap_rec(2, 0, 100, 100, 3);
	T_ASSERT(r);
	for (o = 0; o < B.n; o += 4096) {
		T_EQ(vnet_sr_push(r, B.b + o, B.n - o < 4096 ? B.n - o : 4096),
		     0);
		while (vnet_sr_next(r, &f) == 1) {
			T_ASSERT(frame_ok(&f, 100, 3));
			T_EQ(f.ts_ns, 2000000000ull);
		}
	}
	vnet_sr_push(r, NULL, 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_stats(r)->oversize, 1);
	T_EQ(vnet_sr_stats(r)->frames, 1);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);
}

static void test_truncated_tail(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 65535, 1);
	pcap_rec(1, 0, 60, 60, 0);
	pcap_rec(2, 0, 60, 60, 0);
	B.n -= 20;
	r = push_all(B.b, B.n, 0);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(!vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_push(r, NULL, 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 16 + 40);
	vnet_sr_free(r);

	/* A header cut short. */
	b_reset(0);
	pcap_hdr(0xa1b2c3d4, 65535, 1);
	r = push_all(B.b, 10, 1);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 10);
	vnet_sr_free(r);

	/* Empty input is an empty stream. */
	r = push_all(B.b, 0, 1);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);
}

static void test_garbage(void)
{
	static const char junk[] = "hello, world\n";
	struct vnet_sr *r;
	struct vnet_frame f;

	r = push_all(junk, sizeof(junk) - 1, 0);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_STREQ(sr_error(r),
		"unrecognized stream format (first bytes 68 65 6c 6c): "
		"expected pcap, pcapng or VDE framing");
	T_EQ(vnet_sr_err(r)->errnum, EPROTO);
	T_STREQ(vnet_sr_err(r)->obj, "");
	T_EQ(vnet_sr_format(r), VNET_FMT_AUTO);
	vnet_sr_free(r);

	/* Fewer than 4 bytes: wait. */
	r = push_all(junk, 3, 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_STREQ(sr_error(r), "no error");
	T_ASSERT(!vnet_err_isset(vnet_sr_err(r)));
	vnet_sr_free(r);
}

/* ---- pcapng ---- */

static void ng_shb(void)
{
	b_u32(0x0a0d0d0a);
	b_u32(28);
	b_u32(0x1a2b3c4d);
	b_u16(1);
	b_u16(0);
	b_u64(UINT64_MAX);
	b_u32(28);
}

/* An IDB; tsresol < 0 means no option. */
static void ng_idb(uint16_t linktype, uint32_t snaplen, int tsresol)
{
	uint32_t len = 20 + (tsresol >= 0 ? 12 : 0);

	b_u32(1);
	b_u32(len);
	b_u16(linktype);
	b_u16(0);
	b_u32(snaplen);
	if (tsresol >= 0) {
		b_u16(9);
		b_u16(1);
		b_u8((uint8_t)tsresol);
		b_pad4();
		b_u16(0); /* opt_endofopt */
		b_u16(0);
	}
	b_u32(len);
}

static void ng_epb(uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t orig,
		   uint8_t seed)
{
	uint32_t len = 32 + ((caplen + 3) & ~3u);

	b_u32(6);
	b_u32(len);
	b_u32(ifid);
	b_u32((uint32_t)(ts >> 32));
	b_u32((uint32_t)ts);
	b_u32(caplen);
	b_u32(orig);
	b_frame(caplen, seed);
	b_pad4();
	b_u32(len);
}

static void ng_spb(uint32_t orig, uint32_t data, uint8_t seed)
{
	uint32_t len = 16 + ((data + 3) & ~3u);

	b_u32(3);
	b_u32(len);
	b_u32(orig);
	b_frame(data, seed);
	b_pad4();
	b_u32(len);
}

static void ng_block(uint32_t type, uint32_t bodylen)
{
	b_u32(type);
	b_u32(12 + bodylen);
	b_frame(bodylen, 0);
	b_u32(12 + bodylen);
}

static void check_pcapng(int be)
{
	const uint64_t t = 1700000000123456ull; /* µs */
	struct vnet_sr *r;
	struct vnet_frame f;
	size_t i;
	int n = 0;

	b_reset(be);
	ng_shb();
	ng_idb(1, 0, -1);
	ng_epb(0, t, 60, 60, 1);
	ng_epb(0, t + 1, 61, 61, 2);
	/* Byte by byte: every boundary case of a split block. */
	r = vnet_sr_new_mem(0);
	T_ASSERT(r);
	for (i = 0; i < B.n; i++) {
		T_EQ(vnet_sr_push(r, B.b + i, 1), 0);
		while (vnet_sr_next(r, &f) == 1) {
			n++;
			T_ASSERT(frame_ok(&f, n == 1 ? 60 : 61, (uint8_t)n));
			T_EQ(f.ts_ns, (t + (uint64_t)n - 1) * 1000);
		}
	}
	T_EQ(n, 2);
	T_EQ(vnet_sr_format(r), VNET_FMT_PCAPNG);
	vnet_sr_push(r, NULL, 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_free(r);
}

static void test_pcapng_le(void)
{
	check_pcapng(0);
}

static void test_pcapng_be(void)
{
	check_pcapng(1);
}

static void test_pcapng_tsresol(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;
	int be;

	for (be = 0; be < 2; be++) {
		b_reset(be);
		ng_shb();
		ng_idb(1, 65535, 9);		/* 10^-9 */
		ng_idb(1, 65535, 3);		/* 10^-3 */
		ng_idb(1, 65535, 0x80 | 20);	/* 2^-20 */
		ng_idb(1, 65535, 12);		/* 10^-12 */
		ng_idb(1, 65535, 0x80 | 40);	/* 2^-40 */
		ng_epb(0, 1700000000123456789ull, 60, 60, 0);
		ng_epb(1, 1700000000123ull, 60, 60, 0);
		ng_epb(2, (3ull << 20) | (1u << 19), 60, 60, 0);
		ng_epb(3, 5000000000000ull, 60, 60, 0);
		ng_epb(4, (7ull << 40) | (1ull << 38), 60, 60, 0);
		r = push_all(B.b, B.n, 1);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 1700000000123456789ull);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 1700000000123000000ull);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 3500000000ull);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 5000000000ull);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 7250000000ull);
		T_EQ(vnet_sr_next(r, &f), 0);
		T_ASSERT(vnet_sr_eof(r));
		vnet_sr_free(r);
	}
}

/* if_tsoffset (option 14) shifts by whole seconds; other options are
 * stepped over. */
static void test_pcapng_tsoffset(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;
	int be;

	for (be = 0; be < 2; be++) {
		b_reset(be);
		ng_shb();
		b_u32(1);
		b_u32(16 + 12 + 12 + 4 + 4);
		b_u16(1);
		b_u16(0);
		b_u32(0);
		b_u16(1);		/* opt_comment, 5 bytes + padding */
		b_u16(5);
		b_frame(5, 'a');
		b_pad4();
		b_u16(14);		/* if_tsoffset */
		b_u16(8);
		b_u64((uint64_t)-100);
		b_u16(0);
		b_u16(0);
		b_u32(16 + 12 + 12 + 4 + 4);
		ng_epb(0, 1700000000000005ull, 60, 60, 0);
		r = push_all(B.b, B.n, 1);
		T_EQ(vnet_sr_next(r, &f), 1);
		T_EQ(f.ts_ns, 1699999900000005000ull);
		T_EQ(vnet_sr_next(r, &f), 0);
		T_ASSERT(vnet_sr_eof(r));
		vnet_sr_free(r);
	}

	/* An option that runs past the end of its block. */
	b_reset(0);
	ng_shb();
	b_u32(1);
	b_u32(28);
	b_u16(1);
	b_u16(0);
	b_u32(0);
	b_u16(9);
	b_u16(8);
	b_u32(0);		/* 4 of the 8 bytes */
	b_u32(28);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "option 9 of length 8"));
	vnet_sr_free(r);
}

static void test_pcapng_spb_unknown(void)
{
	const struct vnet_sr_stats *st;
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(0);
	ng_shb();
	ng_idb(1, 64, -1);
	ng_block(0x00000bad, 20);	/* custom block */
	ng_block(5, 28);		/* interface statistics */
	ng_spb(60, 60, 4);
	ng_spb(100, 64, 5);		/* cut at the snaplen: truncated */
	ng_block(0x0000000a, 0);	/* decryption secrets, empty */
	ng_epb(0, 1, 60, 60, 6);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 4));
	T_EQ(f.ts_ns, 0);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 6));
	T_EQ(f.ts_ns, 1000);
	T_EQ(vnet_sr_next(r, &f), 0);
	st = vnet_sr_stats(r);
	T_EQ(st->skipped_blocks, 3);
	T_EQ(st->truncated, 1);
	T_EQ(st->frames, 2);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);
}

static void test_pcapng_sections(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(0);
	ng_shb();
	ng_idb(1, 0, -1);		/* µs */
	ng_epb(0, 10, 60, 60, 1);
	B.be = 1;			/* a new section, other byte order */
	ng_shb();
	ng_idb(1, 0, 9);		/* ns */
	ng_epb(0, 10, 62, 62, 2);
	ng_epb(1, 10, 62, 62, 2);	/* interface 1 is gone */
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 1));
	T_EQ(f.ts_ns, 10000);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 62, 2));
	T_EQ(f.ts_ns, 10);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "interface 1"));
	vnet_sr_free(r);
}

static void test_pcapng_not_ethernet(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;

	b_reset(1);
	ng_shb();
	ng_idb(101, 0, -1);		/* LINKTYPE_RAW */
	ng_idb(1, 0, -1);
	ng_epb(0, 1, 60, 60, 1);
	ng_spb(60, 60, 1);		/* SPB is always interface 0 */
	ng_epb(1, 1, 60, 60, 3);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 3));
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_stats(r)->not_ethernet, 2);
	T_EQ(vnet_sr_stats(r)->frames, 1);
	vnet_sr_free(r);
}

static void test_pcapng_bad_lengths(void)
{
	static const uint32_t bad[] = { 13, 8, 16 * 1024 * 1024 + 4, 0 };
	struct vnet_sr *r;
	struct vnet_frame f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b_reset(0);
		ng_shb();
		ng_idb(1, 0, -1);
		b_u32(6);
		b_u32(bad[i]);
		b_frame(64, 0);
		r = push_all(B.b, B.n, 1);
		T_EQ(vnet_sr_next(r, &f), -EPROTO);
		T_ASSERT(strstr(sr_error(r), "impossible total length"));
		T_ASSERT(strstr(sr_error(r), "byte 48"));
		vnet_sr_free(r);
	}

	/* Trailing length disagrees. */
	b_reset(0);
	ng_shb();
	ng_idb(1, 0, -1);
	ng_epb(0, 1, 60, 60, 0);
	B.b[B.n - 1] ^= 1;
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "trailing length"));
	vnet_sr_free(r);

	/* Captured length larger than the block. */
	b_reset(0);
	ng_shb();
	ng_idb(1, 0, -1);
	ng_epb(0, 1, 60, 60, 0);
	B.b[48 + 20] = 200;
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "captured length 200"));
	vnet_sr_free(r);

	/* Bad byte-order magic. */
	b_reset(0);
	ng_shb();
	B.b[8] = 0;
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "byte-order magic 00 3c 2b 1a"));
	vnet_sr_free(r);
}

/* A block bigger than the buffer is skipped as it streams past. */
static void test_pcapng_huge_block(void)
{
	struct vnet_sr *r = vnet_sr_new_mem(1);
	struct vnet_frame f;
	size_t o;
	int n = 0;

	b_reset(0);
	ng_shb();
	ng_idb(1, 0, -1);
	ng_block(0x40000bad, 200000);
	ng_epb(0, 1, 70000, 70000, 0);	/* oversize, fits the buffer */
	ng_epb(0, 1, 60, 60, 9);
	T_ASSERT(r);
	for (o = 0; o < B.n; o += 1000) {
		T_EQ(vnet_sr_push(r, B.b + o, B.n - o < 1000 ? B.n - o : 1000),
		     0);
		while (vnet_sr_next(r, &f) == 1) {
			T_ASSERT(frame_ok(&f, 60, 9));
			n++;
		}
	}
	T_EQ(n, 1);
	T_EQ(vnet_sr_stats(r)->skipped_blocks, 1);
	T_EQ(vnet_sr_stats(r)->oversize, 1);
	vnet_sr_free(r);
}

/* ---- VDE ---- */

static void vde_rec(uint32_t len, uint8_t seed)
{
	b_u8((uint8_t)(len >> 8));
	b_u8((uint8_t)len);
	b_frame(len, seed);
}

static void test_vde(void)
{
	const struct vnet_sr_stats *st;
	struct vnet_sr *r;
	struct vnet_frame f;
	size_t i, step;
	int n;

	b_reset(1);
	vde_rec(0, 0);		/* runt: no frame at all */
	vde_rec(60, 1);
	vde_rec(0, 0);		/* runt */
	vde_rec(9234, 2);
	vde_rec(5, 0);		/* runt */
	vde_rec(14, 3);
	for (step = 1; step < 20; step += 6) {
		r = vnet_sr_new_mem(0);
		T_ASSERT(r);
		n = 0;
		for (i = 0; i < B.n; i += step) {
			T_EQ(vnet_sr_push(r, B.b + i,
					  B.n - i < step ? B.n - i : step), 0);
			while (vnet_sr_next(r, &f) == 1) {
				n++;
				T_EQ(f.ts_ns, 0);
				T_EQ(f.wire_len, f.len);
				if (n == 1)
					T_ASSERT(frame_ok(&f, 60, 1));
				else if (n == 2)
					T_ASSERT(frame_ok(&f, 9234, 2));
				else
					T_ASSERT(frame_ok(&f, 14, 3));
			}
		}
		T_EQ(n, 3);
		T_EQ(vnet_sr_format(r), VNET_FMT_VDE);
		vnet_sr_push(r, NULL, 0);
		T_EQ(vnet_sr_next(r, &f), 0);
		T_ASSERT(vnet_sr_eof(r));
		st = vnet_sr_stats(r);
		/* Length 0 counts like any other runt. */
		T_EQ(st->runt, 3);
		T_EQ(st->frames, 3);
		T_EQ(st->trailing_bytes, 0);
		vnet_sr_free(r);
	}

	/* Too long: not recoverable. */
	b_reset(1);
	vde_rec(60, 0);
	b_u16(9235);
	b_frame(100, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_EQ(vnet_sr_next(r, &f), -EPROTO);
	T_ASSERT(strstr(sr_error(r), "length 9235 (bytes 24 13)"));
	vnet_sr_free(r);

	/* A stream of only a zero-length record, shorter than 4 bytes. */
	b_reset(1);
	vde_rec(0, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_format(r), VNET_FMT_VDE);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	T_EQ(vnet_sr_stats(r)->runt, 1);
	T_EQ(vnet_sr_stats(r)->frames, 0);
	vnet_sr_free(r);

	/* Zero-length records between frames and at the end: each one is
	 * a runt, the frames around them pass. */
	b_reset(1);
	vde_rec(14, 1);
	vde_rec(0, 0);
	vde_rec(0, 0);
	vde_rec(60, 2);
	vde_rec(0, 0);
	r = push_all(B.b, B.n, 1);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 14, 1));
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 2));
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->runt, 3);
	T_EQ(vnet_sr_stats(r)->frames, 2);
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_free(r);

	/* A frame cut short at EOF. */
	b_reset(1);
	vde_rec(60, 0);
	r = push_all(B.b, 30, 1);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 30);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);
}

static void test_push_nobufs(void)
{
	struct vnet_sr *r = vnet_sr_new_mem(1);
	struct vnet_frame f;

	T_ASSERT(r);
	b_reset(0);
	b_frame(200000, 0);
	T_EQ(vnet_sr_push(r, B.b, B.n), -ENOBUFS);
	T_EQ(vnet_sr_push(r, NULL, 0), 0);
	T_EQ(vnet_sr_push(r, B.b, 1), -EINVAL);	/* after EOF */
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_fill(r), -EBADF);			/* no fd */
	vnet_sr_free(r);
}

/* ---- writer ---- */

static void test_fmt_names(void)
{
	enum vnet_stream_fmt fmt = VNET_FMT_AUTO;

	T_EQ(vnet_stream_fmt_parse("pcap", &fmt), 0);
	T_EQ(fmt, VNET_FMT_PCAP);
	T_EQ(vnet_stream_fmt_parse("pcap-ns", &fmt), 0);
	T_EQ(fmt, VNET_FMT_PCAP_NS);
	T_EQ(vnet_stream_fmt_parse("vde", &fmt), 0);
	T_EQ(fmt, VNET_FMT_VDE);
	T_EQ(vnet_stream_fmt_parse("pcapng", &fmt), -EINVAL);
	T_EQ(vnet_stream_fmt_parse("PCAP", &fmt), -EINVAL);
	T_EQ(vnet_stream_fmt_parse("pca", &fmt), -EINVAL);
	T_EQ(vnet_stream_fmt_parse("", &fmt), -EINVAL);
	T_EQ(fmt, VNET_FMT_VDE);
	T_STREQ(vnet_stream_fmt_name(VNET_FMT_PCAP), "pcap");
	T_STREQ(vnet_stream_fmt_name(VNET_FMT_PCAP_NS), "pcap-ns");
	T_STREQ(vnet_stream_fmt_name(VNET_FMT_PCAPNG), "pcapng");
	T_STREQ(vnet_stream_fmt_name(VNET_FMT_VDE), "vde");
	T_STREQ(vnet_stream_fmt_name(VNET_FMT_AUTO), "auto");
	T_STREQ(vnet_stream_fmt_name((enum vnet_stream_fmt)42), "unknown");
	errno = 0;
	T_ASSERT(!vnet_sw_new(1, VNET_FMT_PCAPNG, 0));
	T_EQ(errno, EINVAL);
}

/* Write frames with the writer into a pipe, read them back with an fd
 * reader, and compare. */
static void roundtrip(enum vnet_stream_fmt fmt)
{
	static uint8_t frame[1600];
	struct vnet_sw *w;
	struct vnet_sr *r;
	struct vnet_frame f;
	struct iovec iov[2];
	uint64_t ts = 1700000000123456789ull, want;
	int fds[2], n = 0, ret, i;

	T_EQ(pipe(fds), 0);
	w = vnet_sw_new(fds[1], fmt, 0);
	T_ASSERT(w);
	if (!w)
		return;
	T_EQ(vnet_sw_fd(w), fds[1]);
	T_EQ(vnet_sw_pending(w), fmt == VNET_FMT_VDE ? 0 : 24);
	for (i = 0; i < 1600; i++)
		frame[i] = (uint8_t)(i + 9);
	for (i = 0; i < 20; i++) {
		/* Header and payload from separate pieces. */
		iov[0].iov_base = frame;
		iov[0].iov_len = 14;
		iov[1].iov_base = frame + 14;
		iov[1].iov_len = (size_t)(46 + i * 70);
		T_EQ(vnet_sw_put(w, ts + (uint64_t)i, iov, 2), 0);
	}
	T_EQ(vnet_sw_flush(w), 0);
	T_EQ(vnet_sw_pending(w), 0);
	vnet_sw_free(w);
	close(fds[1]);

	r = vnet_sr_new(fds[0], 0);
	T_ASSERT(r);
	T_EQ(vnet_sr_fd(r), fds[0]);
	while ((ret = vnet_sr_fill(r)) > 0) {
		while (vnet_sr_next(r, &f) == 1) {
			T_ASSERT(frame_ok(&f, (uint32_t)(60 + n * 70), 9));
			want = ts + (uint64_t)n;
			if (fmt == VNET_FMT_PCAP)
				want -= want % 1000;
			else if (fmt == VNET_FMT_VDE)
				want = 0;
			T_EQ(f.ts_ns, want);
			n++;
		}
	}
	T_EQ(ret, 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(n, 20);
	T_EQ(vnet_sr_format(r), fmt);
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_free(r);
	close(fds[0]);
}

static void test_writer_pcap(void)
{
	roundtrip(VNET_FMT_PCAP);
}

static void test_writer_pcap_ns(void)
{
	roundtrip(VNET_FMT_PCAP_NS);
}

static void test_writer_vde(void)
{
	roundtrip(VNET_FMT_VDE);
}

static void test_writer_empty_and_auto(void)
{
	struct vnet_sw *w;
	struct vnet_sr *r;
	struct vnet_frame f;
	int fds[2];

	T_EQ(pipe(fds), 0);
	w = vnet_sw_new(fds[1], VNET_FMT_AUTO, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_flush(w), 0);
	vnet_sw_free(w);
	close(fds[1]);
	r = vnet_sr_new(fds[0], 0);
	T_EQ(vnet_sr_fill(r), 24);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(vnet_sr_format(r), VNET_FMT_PCAP);
	T_EQ(vnet_sr_fill(r), 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	T_EQ(vnet_sr_stats(r)->trailing_bytes, 0);
	vnet_sr_free(r);
	close(fds[0]);
}

static void test_writer_msgsize(void)
{
	static uint8_t big[65536];
	struct vnet_sw *w;
	struct iovec iov[2] = { { big, 9000 }, { big, 234 } };
	int fd = open("/dev/null", O_WRONLY);

	T_ASSERT(fd >= 0);
	w = vnet_sw_new(fd, VNET_FMT_VDE, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_put(w, 0, iov, 2), 0);
	iov[1].iov_len = 235;
	T_EQ(vnet_sw_put(w, 0, iov, 2), -EMSGSIZE);
	T_EQ(vnet_sw_pending(w), 2 + 9234);
	T_EQ(vnet_sw_put(w, 0, iov, -1), -EINVAL);
	vnet_sw_free(w);

	w = vnet_sw_new(fd, VNET_FMT_PCAP, 0);
	T_ASSERT(w);
	iov[0].iov_len = 65535;
	T_EQ(vnet_sw_put(w, 0, iov, 1), 0);
	iov[0].iov_len = 65536;
	T_EQ(vnet_sw_put(w, 0, iov, 1), -EMSGSIZE);
	T_EQ(vnet_sw_put(w, 0, NULL, 0), 0);	/* an empty record */
	T_EQ(vnet_sw_pending(w), 24 + 16 + 65535 + 16);
	T_EQ(vnet_sw_flush(w), 0);
	vnet_sw_free(w);
	close(fd);
}

/* A non-blocking pipe that fills up: the writer waits in poll(2) while a
 * slow child drains it. */
static void test_writer_eagain(void)
{
	static uint8_t frame[1500];
	struct iovec iov = { frame, sizeof(frame) };
	struct vnet_sw *w;
	int fds[2], i, st = 0;
	pid_t pid;
	const long want = 24 + 400L * (16 + 1500);

	T_EQ(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		char b[4096];
		long got = 0;
		ssize_t n;

		close(fds[1]);
		usleep(100000);
		while ((n = read(fds[0], b, sizeof(b))) > 0)
			got += n;
		_exit(got == want ? 0 : 1);
	}
	T_ASSERT(pid > 0);
	close(fds[0]);
	T_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	w = vnet_sw_new(fds[1], VNET_FMT_PCAP, 1); /* rounded up */
	T_ASSERT(w);
	for (i = 0; i < 400; i++)
		T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
	T_EQ(vnet_sw_flush(w), 0);
	vnet_sw_free(w);
	close(fds[1]);
	T_EQ(waitpid(pid, &st, 0), pid);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_writer_epipe(void)
{
	static uint8_t frame[60];
	struct iovec iov = { frame, sizeof(frame) };
	struct vnet_sw *w;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	T_EQ(pipe(fds), 0);
	close(fds[0]);
	w = vnet_sw_new(fds[1], VNET_FMT_PCAP, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
	T_EQ(vnet_sw_flush(w), -EPIPE);
	T_EQ(vnet_sw_pending(w), 24 + 16 + 60);
	vnet_sw_free(w);
	close(fds[1]);
}

/* ---- the writer as a bounded queue (VNET_ON_FULL_DROP) ---- */

static void test_on_full_names(void)
{
	enum vnet_on_full m = VNET_ON_FULL_DROP;

	T_EQ(vnet_on_full_parse("block", &m), 0);
	T_EQ(m, VNET_ON_FULL_BLOCK);
	T_EQ(vnet_on_full_parse("drop", &m), 0);
	T_EQ(m, VNET_ON_FULL_DROP);
	T_EQ(vnet_on_full_parse("Drop", &m), -EINVAL);
	T_EQ(vnet_on_full_parse("", &m), -EINVAL);
	T_EQ(vnet_on_full_parse(NULL, &m), -EINVAL);
	T_STREQ(vnet_on_full_name(VNET_ON_FULL_BLOCK), "block");
	T_STREQ(vnet_on_full_name(VNET_ON_FULL_DROP), "drop");
	T_STREQ(vnet_on_full_name((enum vnet_on_full)7), "unknown");
}

/* Frame i of the queue tests: len bytes, the index in its first 4. */
static void queue_frame(uint8_t *buf, uint32_t i, size_t len)
{
	memset(buf, (int)(i & 0xff), len);
	memcpy(buf, &i, 4);
}

/* Read what is in the pipe rfd now into r, and count the frames (their
 * indexes must be want, want + 1, ...); the next index expected. */
static uint32_t drain_check(struct vnet_sr *r, uint32_t want, unsigned *n)
{
	struct vnet_frame f;
	uint32_t idx;

	for (;;) {
		while (vnet_sr_next(r, &f) == 1) {
			memcpy(&idx, f.data, 4);
			T_EQ(idx, want);
			want = idx + 1;
			(*n)++;
		}
		if (vnet_sr_fill(r) <= 0)
			return want;
	}
}

/* The frame bound: what is over it is dropped and counted, the queue
 * says it is full, and one write sends what it holds. */
static void test_queue_frames_bound(void)
{
	static uint8_t frame[100];
	struct iovec iov = { frame, sizeof(frame) };
	struct vnet_sw *w;
	struct vnet_sr *r;
	unsigned n = 0;
	int fds[2];

	T_EQ(pipe(fds), 0);
	T_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	T_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	w = vnet_sw_new(fds[1], VNET_FMT_PCAP, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_full(w), 0); /* a writer that blocks is never full */
	T_EQ(vnet_sw_set_on_full(w, (enum vnet_on_full)9, 0, 0), -EINVAL);
	T_EQ(vnet_sw_set_on_full(w, VNET_ON_FULL_DROP, 10, 0), 0);
	for (uint32_t i = 0; i < 15; i++) {
		queue_frame(frame, i, sizeof(frame));
		T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
		T_EQ(vnet_sw_full(w), i >= 9);
	}
	T_EQ(vnet_sw_pending_frames(w), 10);
	T_EQ(vnet_sw_pending(w), 24 + 10 * (16 + 100));
	T_EQ(vnet_sw_stats(w)->queue_drops, 5);
	T_EQ(vnet_sw_stats(w)->queue_drop_bytes, 5 * 100);
	/* One write takes it all (the pipe has room); the queue is empty. */
	T_EQ(vnet_sw_write(w), 0);
	T_EQ(vnet_sw_pending(w), 0);
	T_EQ(vnet_sw_pending_frames(w), 0);
	T_EQ(vnet_sw_full(w), 0);
	T_EQ(vnet_sw_write(w), 0); /* nothing pending: no write */
	/* The first ten went out, in order; the newest were dropped. */
	r = vnet_sr_new(fds[0], 0);
	T_EQ(drain_check(r, 0, &n), 10);
	T_EQ(n, 10);
	vnet_sr_free(r);
	vnet_sw_free(w);
	close(fds[0]);
	close(fds[1]);
}

/* The byte bound (rounded up to one largest frame), and the reserve of
 * a paced input: as many bytes again, frames without a count. */
static void test_queue_bytes_and_reserve(void)
{
	static uint8_t frame[1000];
	struct iovec iov = { frame, sizeof(frame) };
	const size_t bound = 24 + 16 + 65535; /* the smallest bound */
	struct vnet_sw *w;
	unsigned taken = 0, paced = 0;
	int fd = open("/dev/null", O_WRONLY);

	w = vnet_sw_new(fd, VNET_FMT_PCAP, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_set_on_full(w, VNET_ON_FULL_DROP, 0, 1), 0);
	while (vnet_sw_stats(w)->queue_drops == 0 && taken < 1000) {
		T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
		taken += vnet_sw_stats(w)->queue_drops == 0;
	}
	T_EQ(taken, (bound - 24) / 1016);
	T_ASSERT(vnet_sw_pending(w) <= bound);
	T_ASSERT(vnet_sw_full(w) || vnet_sw_pending(w) + 1016 > bound);
	/* Paced frames go on into the reserve, up to twice the bound. */
	vnet_sw_pace(w, 1);
	while (vnet_sw_stats(w)->queue_drops == 1 && paced < 1000) {
		T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
		paced += vnet_sw_stats(w)->queue_drops == 1;
	}
	T_ASSERT(paced > 0 && paced <= (2 * bound - 24) / 1016 - taken);
	T_ASSERT(vnet_sw_pending(w) <= 2 * bound);
	T_EQ(vnet_sw_full(w), 1);
	T_EQ(vnet_sw_pending_frames(w), taken + paced);
	vnet_sw_pace(w, 0);
	T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
	T_EQ(vnet_sw_stats(w)->queue_drops, 3);
	/* A file takes everything at once. */
	T_EQ(vnet_sw_write(w), 0);
	T_EQ(vnet_sw_pending(w), 0);
	T_EQ(vnet_sw_full(w), 0);
	vnet_sw_free(w);
	close(fd);
}

/* A queue on a pipe that fills: vnet_sw_write() never waits, leaves
 * what the pipe did not take (a frame partly written counts), and goes
 * on where it stopped as the reader reads -- also after the pending
 * bytes moved to the front of the buffer, many times over. */
static void test_queue_partial_writes(void)
{
	static uint8_t frame[1500];
	struct vnet_sw *w;
	struct vnet_sr *r;
	uint32_t next = 0, want = 0;
	unsigned got = 0, round;
	uint64_t dropped = 0;
	size_t partial = 0;
	int fds[2];

	T_EQ(pipe(fds), 0);
	T_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	T_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	w = vnet_sw_new(fds[1], VNET_FMT_PCAP, 0);
	r = vnet_sr_new(fds[0], 0);
	T_ASSERT(w && r);
	/* 200 KB of bound: the buffer of 400 KB wraps every few rounds. */
	T_EQ(vnet_sw_set_on_full(w, VNET_ON_FULL_DROP, 0, 200000), 0);
	for (round = 0; round < 200; round++) {
		/* Sizes that do not divide the pipe: records get cut. */
		for (unsigned k = 0; k < 50; k++) {
			size_t len = 60 + (next * 37) % 1400;
			struct iovec iov = { frame, len };
			uint64_t d = vnet_sw_stats(w)->queue_drops;

			queue_frame(frame, next, len);
			T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
			/* A dropped frame leaves a gap: skip its index. */
			if (vnet_sw_stats(w)->queue_drops != d)
				dropped++;
			else
				next++;
		}
		T_EQ(vnet_sw_write(w), 0);
		T_EQ(vnet_sw_write(w), 0); /* full pipe: EAGAIN is 0 */
		if (vnet_sw_pending(w) && !partial) {
			/* The first time the pipe did not take it all. */
			partial = vnet_sw_pending_frames(w);
			T_ASSERT(partial > 0 && partial <= 100);
		}
		/* The reader takes a part, every other round nothing. */
		if (round % 2)
			want = drain_check(r, want, &got);
	}
	while (vnet_sw_pending(w)) {
		T_EQ(vnet_sw_write(w), 0);
		want = drain_check(r, want, &got);
	}
	want = drain_check(r, want, &got);
	T_EQ(got, next);
	T_EQ(want, next);
	T_ASSERT(partial > 0);
	T_ASSERT(dropped > 0);
	T_EQ(vnet_sw_stats(w)->queue_drops, dropped);
	T_EQ(vnet_sw_pending_frames(w), 0);
	vnet_sr_free(r);
	vnet_sw_free(w);
	close(fds[0]);
	close(fds[1]);
}

/* A queue whose reader went away: -EPIPE, the frames stay pending. */
static void test_queue_epipe(void)
{
	static uint8_t frame[60];
	struct iovec iov = { frame, sizeof(frame) };
	struct vnet_sw *w;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	T_EQ(pipe(fds), 0);
	close(fds[0]);
	w = vnet_sw_new(fds[1], VNET_FMT_VDE, 0);
	T_ASSERT(w);
	T_EQ(vnet_sw_set_on_full(w, VNET_ON_FULL_DROP, 0, 0), 0);
	T_EQ(vnet_sw_put(w, 0, &iov, 1), 0);
	T_EQ(vnet_sw_write(w), -EPIPE);
	T_EQ(vnet_sw_pending(w), 2 + 60);
	T_EQ(vnet_sw_pending_frames(w), 1);
	vnet_sw_free(w);
	close(fds[1]);
}

/* A non-blocking reader: -EAGAIN, then frames as they arrive. */
static void test_reader_fd_nonblock(void)
{
	struct vnet_sr *r;
	struct vnet_frame f;
	int fds[2];

	T_EQ(pipe(fds), 0);
	T_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	r = vnet_sr_new(fds[0], 0);
	T_ASSERT(r);
	T_EQ(vnet_sr_fill(r), -EAGAIN);
	b_reset(1);
	vde_rec(60, 1);
	vde_rec(60, 2);
	T_EQ(write(fds[1], B.b, 70), 70);
	T_EQ(vnet_sr_fill(r), 70);
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 1));
	T_EQ(vnet_sr_next(r, &f), 0);
	T_EQ(write(fds[1], B.b + 70, B.n - 70), (ssize_t)(B.n - 70));
	close(fds[1]);
	T_EQ(vnet_sr_fill(r), (int)(B.n - 70));
	T_EQ(vnet_sr_next(r, &f), 1);
	T_ASSERT(frame_ok(&f, 60, 2));
	T_EQ(vnet_sr_fill(r), 0);
	T_EQ(vnet_sr_next(r, &f), 0);
	T_ASSERT(vnet_sr_eof(r));
	vnet_sr_free(r);
	close(fds[0]);

	errno = 0;
	T_ASSERT(!vnet_sr_new(-1, 0));
	T_EQ(errno, EBADF);
}

int main(void)
{
	T_RUN(test_fmt_names);
	T_RUN(test_pcap_usec_le);
	T_RUN(test_pcap_usec_be);
	T_RUN(test_pcap_nsec_le);
	T_RUN(test_pcap_nsec_be);
	T_RUN(test_pcap_linktype);
	T_RUN(test_pcap_bad_records);
	T_RUN(test_pcap_oversize_streaming);
	T_RUN(test_truncated_tail);
	T_RUN(test_garbage);
	T_RUN(test_pcapng_le);
	T_RUN(test_pcapng_be);
	T_RUN(test_pcapng_tsresol);
	T_RUN(test_pcapng_tsoffset);
	T_RUN(test_pcapng_spb_unknown);
	T_RUN(test_pcapng_sections);
	T_RUN(test_pcapng_not_ethernet);
	T_RUN(test_pcapng_bad_lengths);
	T_RUN(test_pcapng_huge_block);
	T_RUN(test_vde);
	T_RUN(test_push_nobufs);
	T_RUN(test_writer_pcap);
	T_RUN(test_writer_pcap_ns);
	T_RUN(test_writer_vde);
	T_RUN(test_writer_empty_and_auto);
	T_RUN(test_writer_msgsize);
	T_RUN(test_writer_eagain);
	T_RUN(test_writer_epipe);
	T_RUN(test_on_full_names);
	T_RUN(test_queue_frames_bound);
	T_RUN(test_queue_bytes_and_reserve);
	T_RUN(test_queue_partial_writes);
	T_RUN(test_queue_epipe);
	T_RUN(test_reader_fd_nonblock);
	return T_DONE();
}
