/* SPDX-License-Identifier: ISC */
/* stream.c -- libFuzzer harness for the stream reader and writer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vnet/stream.h"

/* Below the smallest reader buffer (bufsize 1), so every push fits. */
#define MAX_INPUT 65536
#define MAX_FRAMES 8192	/* a frame costs at least 16 input bytes */
#define NSEC 1000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a parse produced; two parses of one input must agree. */
struct outcome {
	int ret;
	int eof;
	enum vnet_stream_fmt fmt;
	uint64_t nframes;
	uint64_t hash;
	struct vnet_sr_stats st;
	char err[VNET_ERR_STRLEN];
};

static struct vnet_frame frames[MAX_FRAMES];

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* Take every frame now ready; keep them in frames[] if asked.  The reader's
 * own invariants are checked on each. */
static int drain(struct vnet_sr *r, struct outcome *o, int keep)
{
	struct vnet_frame f;
	int ret;

	while ((ret = vnet_sr_next(r, &f)) == 1) {
		CHECK(f.len >= 14 && f.len <= VNET_FRAME_MAX);
		CHECK(f.wire_len >= f.len);
		if (vnet_sr_format(r) == VNET_FMT_VDE)
			CHECK(f.len <= VNET_VDE_FRAME_MAX && !f.ts_ns);
		o->hash = fnv(o->hash, &f.len, sizeof(f.len));
		o->hash = fnv(o->hash, &f.wire_len, sizeof(f.wire_len));
		o->hash = fnv(o->hash, &f.ts_ns, sizeof(f.ts_ns));
		o->hash = fnv(o->hash, f.data, f.len);
		if (keep && o->nframes < MAX_FRAMES)
			frames[o->nframes] = f;
		o->nframes++;
	}
	return ret;
}

static void finish(struct vnet_sr *r, struct outcome *o, int ret)
{
	const struct vnet_sr_stats *st = vnet_sr_stats(r);

	o->ret = ret;
	o->eof = vnet_sr_eof(r);
	o->fmt = vnet_sr_format(r);
	o->st = *st;
	vnet_err_str(vnet_sr_err(r), o->err, sizeof(o->err));
	CHECK(ret == 0 || ret == -EPROTO || ret == -ENOMEM);
	CHECK(st->frames == o->nframes);
	if (!ret)
		CHECK(o->eof);
	else
		CHECK(strcmp(o->err, "no error"));
}

/* Push data in pieces ending at cuts[0..ncuts), draining after each. */
static void parse_split(const uint8_t *data, size_t size, const size_t *cuts,
			size_t ncuts, struct outcome *o)
{
	struct vnet_sr *r = vnet_sr_new_mem(1);
	size_t i, at = 0;
	int ret = 0;

	CHECK(r);
	memset(o, 0, sizeof(*o));
	for (i = 0; i <= ncuts && ret >= 0; i++) {
		size_t end = i < ncuts ? cuts[i] : size;

		if (end > at) {
			CHECK(vnet_sr_push(r, data + at, end - at) == 0);
			at = end;
		}
		ret = drain(r, o, 0);
	}
	if (ret >= 0) {
		vnet_sr_push(r, NULL, 0);
		ret = drain(r, o, 0);
	}
	finish(r, o, ret);
	vnet_sr_free(r);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK(a->ret == b->ret && a->eof == b->eof && a->fmt == b->fmt);
	CHECK(a->nframes == b->nframes && a->hash == b->hash);
	CHECK(!memcmp(&a->st, &b->st, sizeof(a->st)));
	CHECK(!strcmp(a->err, b->err));
}

static int memfd = -1;

/* Write the frames with a writer, read them back, compare. */
static void roundtrip(const struct outcome *o, enum vnet_stream_fmt fmt)
{
	struct vnet_sw *w;
	struct vnet_sr *r;
	struct vnet_frame f;
	struct iovec iov[2];
	uint64_t i, n = o->nframes < MAX_FRAMES ? o->nframes : MAX_FRAMES;
	uint64_t j = 0, want;
	uint32_t half;
	int ret;

	if (memfd < 0)
		memfd = memfd_create("fuzz-stream", 0);
	CHECK(memfd >= 0);
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(lseek(memfd, 0, SEEK_SET) == 0);
	w = vnet_sw_new(memfd, fmt, 1);
	CHECK(w);
	for (i = 0; i < n; i++) {
		half = frames[i].len / 2;
		iov[0].iov_base = (void *)frames[i].data;
		iov[0].iov_len = half;
		iov[1].iov_base = (void *)(frames[i].data + half);
		iov[1].iov_len = frames[i].len - half;
		ret = vnet_sw_put(w, frames[i].ts_ns, iov, 2);
		if (fmt == VNET_FMT_VDE && frames[i].len > VNET_VDE_FRAME_MAX)
			CHECK(ret == -EMSGSIZE);
		else
			CHECK(ret == 0);
	}
	CHECK(vnet_sw_flush(w) == 0 && vnet_sw_pending(w) == 0);
	vnet_sw_free(w);

	CHECK(lseek(memfd, 0, SEEK_SET) == 0);
	r = vnet_sr_new(memfd, 1);
	CHECK(r);
	i = 0;
	do {
		while ((ret = vnet_sr_next(r, &f)) == 1) {
			while (fmt == VNET_FMT_VDE && i < n &&
			       frames[i].len > VNET_VDE_FRAME_MAX)
				i++;
			CHECK(i < n);
			CHECK(f.len == frames[i].len && f.wire_len == f.len);
			CHECK(!memcmp(f.data, frames[i].data, f.len));
			want = (uint64_t)(uint32_t)(frames[i].ts_ns / NSEC) *
			       NSEC;
			if (fmt == VNET_FMT_PCAP)
				want += frames[i].ts_ns % NSEC / 1000 * 1000;
			else if (fmt == VNET_FMT_PCAP_NS)
				want += frames[i].ts_ns % NSEC;
			else
				want = 0;
			CHECK(f.ts_ns == want);
			i++;
			j++;
		}
		CHECK(ret == 0);
	} while (vnet_sr_fill(r) > 0);
	CHECK(vnet_sr_next(r, &f) == 0 && vnet_sr_eof(r));
	while (fmt == VNET_FMT_VDE && i < n &&
	       frames[i].len > VNET_VDE_FRAME_MAX)
		i++;
	CHECK(i == n && vnet_sr_stats(r)->frames == j);
	CHECK(vnet_sr_format(r) == (fmt == VNET_FMT_VDE && !j ? VNET_FMT_AUTO
							      : fmt));
	vnet_sr_free(r);
}

/* A VDE stream whose first frame is 2573 (0x0a0d) bytes and starts with
 * 0d 0a reads as a pcapng section header: detection by the first bytes
 * cannot tell them apart, so such a stream is not round-tripped as VDE. */
static int vde_ambiguous(const struct outcome *o)
{
	uint64_t i, n = o->nframes < MAX_FRAMES ? o->nframes : MAX_FRAMES;

	for (i = 0; i < n && frames[i].len > VNET_VDE_FRAME_MAX; i++)
		;
	return i < n && frames[i].len == 0x0a0d && frames[i].data[0] == 0x0d &&
	       frames[i].data[1] == 0x0a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vnet_stream_fmt wfmt[] = {
		VNET_FMT_PCAP, VNET_FMT_PCAP_NS, VNET_FMT_VDE,
	};
	struct outcome whole, split;
	struct vnet_sr *r;
	size_t cuts[4], i, step;
	uint64_t h;
	int ret;

	if (size > MAX_INPUT)
		size = MAX_INPUT;

	/* All at once; the frames stay valid until the reader is freed. */
	r = vnet_sr_new_mem(1);
	CHECK(r);
	memset(&whole, 0, sizeof(whole));
	CHECK(vnet_sr_push(r, data, size) == 0);
	ret = drain(r, &whole, 1);
	if (ret >= 0) {
		CHECK(vnet_sr_push(r, NULL, 0) == 0);
		ret = drain(r, &whole, 1);
	}
	finish(r, &whole, ret);

	/* A few pieces, cut where the data says. */
	h = fnv(0xcbf29ce484222325ull, data, size < 64 ? size : 64);
	for (i = 0; i < 4; i++) {
		cuts[i] = size ? (size_t)(h % (size + 1)) : 0;
		h = h * 6364136223846793005ull + 1442695040888963407ull;
	}
	for (i = 1; i < 4; i++) { /* sorted */
		size_t k = i, c = cuts[i];

		for (; k && cuts[k - 1] > c; k--)
			cuts[k] = cuts[k - 1];
		cuts[k] = c;
	}
	parse_split(data, size, cuts, 4, &split);
	same(&whole, &split);

	/* Small steps through a short input: every record boundary split. */
	if (size && size <= 2048) {
		size_t ncuts = 0, *many;

		step = 1 + data[0] % 5;
		many = malloc((size / step + 1) * sizeof(*many));
		CHECK(many);
		for (i = step; i < size; i += step)
			many[ncuts++] = i;
		parse_split(data, size, many, ncuts, &split);
		same(&whole, &split);
		free(many);
	}

	if (whole.nframes)
		roundtrip(&whole, vde_ambiguous(&whole) ? VNET_FMT_PCAP
							: wfmt[h % 3]);
	vnet_sr_free(r);
	return 0;
}
