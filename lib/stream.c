/* SPDX-License-Identifier: ISC */
/* stream.c -- pcap, pcapng and VDE packet streams: reader and writer. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet/bytes.h"
#include "vnet/pkt.h"
#include "vnet/sig.h"
#include "vnet/stream.h"

#define NSEC 1000000000ull

#define SR_DEFAULT_BUF (1u << 20)
/* The largest record we must hold whole is a pcap record of VNET_FRAME_MAX
 * bytes; twice that plus headroom keeps each read(2) large. */
#define SR_MIN_BUF (2 * VNET_FRAME_MAX + 4096)
#define SR_MAX_BUF (1u << 30) /* read(2) counts must fit an int */

#define SW_DEFAULT_BUF (1u << 20)
#define SW_MIN_BUF (PCAP_HDR_LEN + PCAP_REC_LEN + VNET_FRAME_MAX)
#define SW_MAX_BUF (1u << 30)

#define PCAP_HDR_LEN 24
#define PCAP_REC_LEN 16
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
/* libpcap's limit for a record whose snaplen is smaller (MAXIMUM_SNAPLEN). */
#define PCAP_MAX_INCL 262144u
#define LINKTYPE_ETHERNET 1

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 0x00000001u
#define NG_SPB 0x00000003u
#define NG_EPB 0x00000006u
#define NG_BOM 0x1a2b3c4du
#define NG_MAX_BLOCK (16u << 20)
#define NG_MAX_IFACES 65536
#define NG_OPT_END 0
#define NG_OPT_TSRESOL 9
#define NG_OPT_TSOFFSET 14

#define VDE_HDR_LEN 2

/* ------------------------------------------------------------------ */
/* Format names */

static const char *const fmt_names[] = {
	[VNET_FMT_AUTO] = "auto",
	[VNET_FMT_PCAP] = "pcap",
	[VNET_FMT_PCAP_NS] = "pcap-ns",
	[VNET_FMT_PCAPNG] = "pcapng",
	[VNET_FMT_VDE] = "vde",
};

/* What a writer may be asked for by name. */
static const enum vnet_stream_fmt writer_fmts[] = {
	VNET_FMT_PCAP,
	VNET_FMT_PCAP_NS,
	VNET_FMT_VDE,
};

int vnet_stream_fmt_parse(const char *s, enum vnet_stream_fmt *fmt)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(writer_fmts) / sizeof(writer_fmts[0]); i++) {
		if (!strcmp(s, fmt_names[writer_fmts[i]])) {
			*fmt = writer_fmts[i];
			return 0;
		}
	}
	return -EINVAL;
}

const char *vnet_stream_fmt_name(enum vnet_stream_fmt fmt)
{
	if ((unsigned)fmt >= sizeof(fmt_names) / sizeof(fmt_names[0]))
		return "unknown";
	return fmt_names[fmt];
}

/* ------------------------------------------------------------------ */
/* Reader */

struct sr_iface {
	uint16_t linktype;
	uint8_t tsresol; /* if_tsresol: bit 7 set = 2^-k, else 10^-k */
	uint32_t snaplen;
	int64_t tsoffset; /* if_tsoffset, seconds */
};

struct vnet_sr {
	int fd;
	int eof;	/* read(2) returned 0, or push of 0 bytes */
	int err;	/* sticky: once corrupt, always corrupt */
	int be;		/* the stream's byte order is big-endian */
	int hdr_done;	/* pcap: file header parsed */
	enum vnet_stream_fmt fmt;
	uint32_t snaplen; /* pcap */
	uint64_t skip;	/* bytes of a dropped record still to come */
	uint64_t off;	/* stream offset of buf[pos] */
	struct sr_iface *ifs; /* pcapng interfaces of the current section */
	size_t n_ifs, cap_ifs;
	uint8_t *buf;
	size_t cap, pos, len; /* unparsed bytes are buf[pos, len) */
	struct vnet_sr_stats st;
	struct vnet_err e; /* why the stream is corrupt */
};

static uint16_t rd16(const uint8_t *p, int be)
{
	return be ? vnet_get16(p) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const uint8_t *p, int be)
{
	if (be)
		return vnet_get32(p);
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd64(const uint8_t *p, int be)
{
	if (be)
		return (uint64_t)rd32(p, be) << 32 | rd32(p + 4, be);
	return (uint64_t)rd32(p + 4, be) << 32 | rd32(p, be);
}

static uint32_t pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/* "xx xx xx" for an error message; n is capped to keep it short. */
static const char *hex(char *dst, size_t size, const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	dst[0] = '\0';
	for (i = 0; i < n && o + 4 <= size; i++)
		o += (size_t)snprintf(dst + o, size - o, "%s%02x", i ? " " : "",
				      p[i]);
	return dst;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct vnet_sr *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnet_err_vset(&r->e, NULL, 0, fmt, ap);
	va_end(ap);
	r->e.errnum = EPROTO;
	r->err = -EPROTO;
	return r->err;
}

static struct vnet_sr *sr_alloc(int fd, size_t bufsize)
{
	struct vnet_sr *r;

	if (!bufsize)
		bufsize = SR_DEFAULT_BUF;
	if (bufsize > SR_MAX_BUF) {
		errno = EINVAL;
		return NULL;
	}
	if (bufsize < SR_MIN_BUF)
		bufsize = SR_MIN_BUF;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->buf = malloc(bufsize);
	if (!r->buf) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->cap = bufsize;
	r->fd = fd;
	r->fmt = VNET_FMT_AUTO;
	return r;
}

struct vnet_sr *vnet_sr_new(int fd, size_t bufsize)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	return sr_alloc(fd, bufsize);
}

struct vnet_sr *vnet_sr_new_mem(size_t bufsize)
{
	return sr_alloc(-1, bufsize);
}

void vnet_sr_free(struct vnet_sr *r)
{
	if (!r)
		return;
	free(r->ifs);
	free(r->buf);
	free(r);
}

static void compact(struct vnet_sr *r)
{
	if (!r->pos)
		return;
	if (r->len > r->pos)
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
}

int vnet_sr_fill(struct vnet_sr *r)
{
	ssize_t n;

	if (r->fd < 0)
		return -EBADF;
	compact(r);
	if (r->len == r->cap)
		return -ENOBUFS;
	n = read(r->fd, r->buf + r->len, r->cap - r->len);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return (int)n;
}

int vnet_sr_push(struct vnet_sr *r, const void *p, size_t len)
{
	if (!len) {
		r->eof = 1;
		return 0;
	}
	if (r->eof)
		return -EINVAL;
	/* Move only when we must, so frames handed out stay put if we can. */
	if (len > r->cap - r->len)
		compact(r);
	if (len > r->cap - r->len)
		return -ENOBUFS;
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	return 0;
}

/* Drop n bytes of the current record: those buffered now, the rest as they
 * arrive.  The dropped bytes stay in place, so earlier frames stay valid. */
static void consume(struct vnet_sr *r, uint64_t n)
{
	size_t avail = r->len - r->pos;
	size_t now = n < avail ? (size_t)n : avail;

	r->pos += now;
	r->off += now;
	r->skip = n - now;
}

/* Count a record that will not be handed out; 0 if it is a good frame. */
static int bad_record(struct vnet_sr *r, uint32_t caplen, uint32_t wirelen)
{
	if (caplen > VNET_FRAME_MAX)
		r->st.oversize++;
	else if (caplen < wirelen)
		r->st.truncated++;
	else if (caplen < VNET_ETH_HLEN)
		r->st.runt++;
	else
		return 0;
	return 1;
}

static void set_frame(struct vnet_sr *r, struct vnet_frame *f, uint64_t ts,
		      const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	f->ts_ns = ts;
	f->len = caplen;
	f->wire_len = wirelen > caplen ? wirelen : caplen;
	f->data = data;
	r->st.frames++;
	r->st.bytes += caplen;
}

/* The return contract of the parsers below: 1 frame in *f, 0 need more
 * bytes, 2 a record was consumed (go on), or -EPROTO. */
#define MORE 0
#define FRAME 1
#define AGAIN 2

static int vde_plausible(const uint8_t *p)
{
	unsigned l = vnet_get16(p);

	return l == 0 || (l >= VNET_ETH_HLEN && l <= VNET_VDE_FRAME_MAX);
}

static int detect(struct vnet_sr *r)
{
	const uint8_t *p = r->buf + r->pos;
	size_t avail = r->len - r->pos;
	uint32_t m;
	char h[16];

	if (avail < 4) {
		/* A VDE stream may be shorter than 4 bytes: "00 00". */
		if (r->eof && avail >= 2 && vde_plausible(p)) {
			r->fmt = VNET_FMT_VDE;
			return AGAIN;
		}
		return MORE;
	}
	m = rd32(p, 1);
	if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS) {
		r->be = 1;
		r->fmt = m == PCAP_MAGIC_NS ? VNET_FMT_PCAP_NS : VNET_FMT_PCAP;
	} else if ((m = rd32(p, 0)) == PCAP_MAGIC_US || m == PCAP_MAGIC_NS) {
		r->be = 0;
		r->fmt = m == PCAP_MAGIC_NS ? VNET_FMT_PCAP_NS : VNET_FMT_PCAP;
	} else if (m == NG_SHB) {
		r->fmt = VNET_FMT_PCAPNG;
	} else if (vde_plausible(p)) {
		r->fmt = VNET_FMT_VDE;
	} else {
		return fail(r, "unrecognized stream format (first bytes %s): "
			    "expected pcap, pcapng or VDE framing",
			    hex(h, sizeof(h), p, 4));
	}
	return AGAIN;
}

static int pcap_header(struct vnet_sr *r)
{
	const uint8_t *p = r->buf + r->pos;
	uint16_t major, minor;
	uint32_t lt;
	char h[80];

	if (r->len - r->pos < PCAP_HDR_LEN)
		return MORE;
	major = rd16(p + 4, r->be);
	minor = rd16(p + 6, r->be);
	if (major != 2)
		return fail(r, "pcap file header: version %u.%u is not 2.x "
			    "(header %s)", major, minor,
			    hex(h, sizeof(h), p, PCAP_HDR_LEN));
	r->snaplen = rd32(p + 16, r->be);
	lt = rd32(p + 20, r->be);
	if ((lt & 0xffff) != LINKTYPE_ETHERNET)
		return fail(r, "pcap file header: linktype %u is not "
			    "LINKTYPE_ETHERNET (1); only Ethernet captures "
			    "can be streamed", lt & 0xffff);
	r->hdr_done = 1;
	consume(r, PCAP_HDR_LEN);
	return AGAIN;
}

static int pcap_record(struct vnet_sr *r, struct vnet_frame *f)
{
	const uint8_t *p = r->buf + r->pos;
	uint32_t sec, frac, incl, orig, lim;
	uint64_t ts;
	char h[56];

	if (r->len - r->pos < PCAP_REC_LEN)
		return MORE;
	sec = rd32(p, r->be);
	frac = rd32(p + 4, r->be);
	incl = rd32(p + 8, r->be);
	orig = rd32(p + 12, r->be);
	lim = r->snaplen > PCAP_MAX_INCL ? r->snaplen : PCAP_MAX_INCL;
	if (incl > lim)
		return fail(r, "pcap record at byte %llu: captured length %u "
			    "exceeds the snapshot length %u (record header "
			    "%s): the capture is corrupt",
			    (unsigned long long)r->off, incl, r->snaplen,
			    hex(h, sizeof(h), p, PCAP_REC_LEN));
	if (bad_record(r, incl, orig)) {
		consume(r, (uint64_t)PCAP_REC_LEN + incl);
		return AGAIN;
	}
	if (r->len - r->pos < PCAP_REC_LEN + incl)
		return MORE;
	ts = (uint64_t)sec * NSEC +
	     (r->fmt == VNET_FMT_PCAP_NS ? frac : (uint64_t)frac * 1000);
	set_frame(r, f, ts, p + PCAP_REC_LEN, incl, orig);
	consume(r, (uint64_t)PCAP_REC_LEN + incl);
	return FRAME;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t v;

	return __builtin_mul_overflow(a, b, &v) ? UINT64_MAX : v;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* A pcapng timestamp in if_tsresol units to ns since the epoch. */
static uint64_t ng_ts_ns(const struct sr_iface *ifc, uint64_t ts)
{
	unsigned k = ifc->tsresol & 0x7f;
	uint64_t ns, sec, frac, p10 = 1;
	unsigned i;

	if (ifc->tsresol & 0x80) {
		/* 2^-k: whole seconds, then the fraction scaled to 1e9
		 * without overflowing 64 bits (frac * 1e9 < 2^64 needs
		 * frac < 2^34). */
		sec = k < 64 ? ts >> k : 0;
		frac = k < 64 ? ts & ((1ull << k) - 1) : ts;
		if (k > 34)
			frac = k - 34 < 64 ? frac >> (k - 34) : 0;
		ns = sat_add(sat_mul(sec, NSEC),
			     (frac * NSEC) >> (k > 34 ? 34 : k));
	} else if (k <= 9) {
		for (i = k; i < 9; i++)
			p10 *= 10;
		ns = sat_mul(ts, p10);
	} else {
		for (i = 9; i < k && p10; i++)
			p10 = p10 > UINT64_MAX / 10 ? 0 : p10 * 10;
		ns = p10 ? ts / p10 : 0;
	}
	/* if_tsoffset: modular arithmetic is as good as any for nonsense. */
	return ns + (uint64_t)ifc->tsoffset * NSEC;
}

static int ng_idb(struct vnet_sr *r, const uint8_t *p, uint32_t blen)
{
	struct sr_iface ifc = { .tsresol = 6 };
	uint32_t o = 16, end = blen - 4;
	uint16_t code, olen;
	struct sr_iface *n;
	size_t ncap;

	ifc.linktype = rd16(p + 8, r->be);
	ifc.snaplen = rd32(p + 12, r->be);
	while (end - o >= 4) {
		code = rd16(p + o, r->be);
		olen = rd16(p + o + 2, r->be);
		if (code == NG_OPT_END)
			break;
		if (pad4(olen) > end - o - 4)
			return fail(r, "pcapng IDB at byte %llu: option %u of "
				    "length %u runs past the end of the block",
				    (unsigned long long)r->off, code, olen);
		if (code == NG_OPT_TSRESOL && olen == 1)
			ifc.tsresol = p[o + 4];
		else if (code == NG_OPT_TSOFFSET && olen == 8)
			ifc.tsoffset = (int64_t)rd64(p + o + 4, r->be);
		o += 4 + pad4(olen);
	}
	if (r->n_ifs == r->cap_ifs) {
		if (r->n_ifs >= NG_MAX_IFACES)
			return fail(r, "pcapng IDB at byte %llu: more than %d "
				    "interfaces in one section",
				    (unsigned long long)r->off, NG_MAX_IFACES);
		ncap = r->cap_ifs ? 2 * r->cap_ifs : 4;
		n = realloc(r->ifs, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->ifs = n;
		r->cap_ifs = ncap;
	}
	r->ifs[r->n_ifs++] = ifc;
	return 0;
}

/* The smallest total length of a block of each type we parse. */
static uint32_t ng_min_len(uint32_t type)
{
	switch (type) {
	case NG_SHB:
		return 28;
	case NG_IDB:
		return 20;
	case NG_EPB:
		return 32;
	case NG_SPB:
		return 16;
	default:
		return 12;
	}
}

static int ng_block(struct vnet_sr *r, struct vnet_frame *f)
{
	const uint8_t *p = r->buf + r->pos;
	size_t avail = r->len - r->pos;
	uint32_t type, blen, min, ifid, caplen, orig, bom;
	const struct sr_iface *ifc;
	int be = r->be, whole;
	uint64_t ts;
	char h[40];
	int ret;

	if (avail < 12)
		return MORE;
	type = rd32(p, be);
	if (type == NG_SHB) {
		/* The section's byte order comes from its own SHB. */
		bom = rd32(p + 8, 1);
		if (bom == NG_BOM)
			be = 1;
		else if (rd32(p + 8, 0) == NG_BOM)
			be = 0;
		else
			return fail(r, "pcapng section header at byte %llu: "
				    "bad byte-order magic %s",
				    (unsigned long long)r->off,
				    hex(h, sizeof(h), p + 8, 4));
	}
	blen = rd32(p + 4, be);
	min = ng_min_len(type);
	if (blen < min || blen % 4 || blen > NG_MAX_BLOCK)
		return fail(r, "pcapng block at byte %llu: impossible total "
			    "length %u for block type 0x%08x (block header "
			    "%s): the capture is corrupt",
			    (unsigned long long)r->off, blen, type,
			    hex(h, sizeof(h), p, 8));
	/* A block that fits the buffer is read whole and its trailing
	 * length checked; a larger one is skipped as it streams past. */
	whole = blen <= r->cap;
	if (whole) {
		if (avail < blen)
			return MORE;
		if (rd32(p + blen - 4, be) != blen)
			return fail(r, "pcapng block at byte %llu: trailing "
				    "length %u does not match total length %u",
				    (unsigned long long)r->off,
				    rd32(p + blen - 4, be), blen);
	}
	switch (type) {
	case NG_SHB:
		if (avail < 28)
			return MORE;
		if (rd16(p + 12, be) != 1)
			return fail(r, "pcapng section header at byte %llu: "
				    "version %u.%u is not 1.x",
				    (unsigned long long)r->off,
				    rd16(p + 12, be), rd16(p + 14, be));
		r->be = be;
		r->n_ifs = 0;
		break;
	case NG_IDB:
		if (!whole)
			return fail(r, "pcapng IDB at byte %llu: %u bytes "
				    "do not fit the %zu-byte buffer",
				    (unsigned long long)r->off, blen, r->cap);
		ret = ng_idb(r, p, blen);
		if (ret)
			return ret;
		break;
	case NG_EPB:
		if (avail < 28)
			return MORE;
		ifid = rd32(p + 8, be);
		caplen = rd32(p + 20, be);
		orig = rd32(p + 24, be);
		if (ifid >= r->n_ifs)
			return fail(r, "pcapng EPB at byte %llu: interface %u "
				    "was not described (the section has %zu)",
				    (unsigned long long)r->off, ifid,
				    r->n_ifs);
		if (caplen > blen - 32 || pad4(caplen) > blen - 32)
			return fail(r, "pcapng EPB at byte %llu: captured "
				    "length %u does not fit a block of %u "
				    "bytes",
				    (unsigned long long)r->off, caplen, blen);
		ifc = &r->ifs[ifid];
		if (ifc->linktype != LINKTYPE_ETHERNET) {
			r->st.not_ethernet++;
			break;
		}
		if (bad_record(r, caplen, orig))
			break;
		if (avail < 28 + caplen)
			return MORE;
		ts = (uint64_t)rd32(p + 12, be) << 32 | rd32(p + 16, be);
		set_frame(r, f, ng_ts_ns(ifc, ts), p + 28, caplen, orig);
		consume(r, blen);
		return FRAME;
	case NG_SPB:
		if (avail < 16)
			return MORE;
		if (!r->n_ifs)
			return fail(r, "pcapng SPB at byte %llu: no interface "
				    "was described",
				    (unsigned long long)r->off);
		ifc = &r->ifs[0];
		orig = rd32(p + 8, be);
		caplen = orig < blen - 16 ? orig : blen - 16;
		if (ifc->snaplen && caplen > ifc->snaplen)
			caplen = ifc->snaplen;
		if (ifc->linktype != LINKTYPE_ETHERNET) {
			r->st.not_ethernet++;
			break;
		}
		if (bad_record(r, caplen, orig))
			break;
		if (avail < 16 + caplen)
			return MORE;
		set_frame(r, f, 0, p + 12, caplen, orig);
		consume(r, blen);
		return FRAME;
	default:
		r->st.skipped_blocks++;
		break;
	}
	consume(r, blen);
	return AGAIN;
}

static int vde_record(struct vnet_sr *r, struct vnet_frame *f)
{
	const uint8_t *p = r->buf + r->pos;
	uint32_t l;
	char h[8];

	if (r->len - r->pos < VDE_HDR_LEN)
		return MORE;
	l = vnet_get16(p);
	if (l > VNET_VDE_FRAME_MAX)
		return fail(r, "VDE record at byte %llu: length %u (bytes %s) "
			    "exceeds %d: the stream is not VDE framing or "
			    "lost bytes", (unsigned long long)r->off, l,
			    hex(h, sizeof(h), p, 2), VNET_VDE_FRAME_MAX);
	if (l < VNET_ETH_HLEN) {
		/* Length 0 too: a record with no frame is a runt like any
		 * other, not skipped unseen. */
		r->st.runt++;
		consume(r, VDE_HDR_LEN + l);
		return AGAIN;
	}
	if (r->len - r->pos < VDE_HDR_LEN + l)
		return MORE;
	set_frame(r, f, 0, p + VDE_HDR_LEN, l, l);
	consume(r, VDE_HDR_LEN + l);
	return FRAME;
}

int vnet_sr_next(struct vnet_sr *r, struct vnet_frame *f)
{
	size_t n;
	int ret;

	if (r->err)
		return r->err;
	for (;;) {
		if (r->skip) {
			n = r->len - r->pos;
			if (n > r->skip)
				n = (size_t)r->skip;
			r->pos += n;
			r->off += n;
			r->skip -= n;
			if (r->skip)
				break;
		}
		switch (r->fmt) {
		case VNET_FMT_AUTO:
			ret = detect(r);
			break;
		case VNET_FMT_PCAP:
		case VNET_FMT_PCAP_NS:
			ret = r->hdr_done ? pcap_record(r, f) : pcap_header(r);
			break;
		case VNET_FMT_PCAPNG:
			ret = ng_block(r, f);
			break;
		case VNET_FMT_VDE:
			ret = vde_record(r, f);
			break;
		default:
			ret = -EINVAL;
			break;
		}
		if (ret == AGAIN)
			continue;
		if (ret != MORE)
			return ret;
		break;
	}
	/* More bytes are needed; at EOF they will not come. */
	if (r->eof && r->len > r->pos) {
		r->st.trailing_bytes += r->len - r->pos;
		r->off += r->len - r->pos;
		r->pos = r->len;
	}
	return 0;
}

int vnet_sr_eof(const struct vnet_sr *r)
{
	return r->eof && r->pos == r->len;
}

enum vnet_stream_fmt vnet_sr_format(const struct vnet_sr *r)
{
	return r->fmt;
}

const struct vnet_sr_stats *vnet_sr_stats(const struct vnet_sr *r)
{
	return &r->st;
}

const struct vnet_err *vnet_sr_err(const struct vnet_sr *r)
{
	return &r->e;
}

int vnet_sr_fd(const struct vnet_sr *r)
{
	return r->fd;
}

/* ------------------------------------------------------------------ */
/* Writer */

struct vnet_sw {
	int fd;
	enum vnet_stream_fmt fmt;
	enum vnet_on_full on_full;
	uint8_t *buf;
	size_t cap, off, len; /* pending bytes are buf[off, len) */
	/* The records not completely written: nq of them from head on (or
	 * fewer: sw_settle() counts the written ones out); head is
	 * where records start (after the file header) while nq is 0. */
	size_t head, nq;
	size_t qframes, qbytes; /* the bound of a queue */
	int paced;
	struct vnet_sw_stats st;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* native byte order; readers swap */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

struct vnet_sw *vnet_sw_new(int fd, enum vnet_stream_fmt fmt, size_t bufsize)
{
	struct vnet_sw *w;
	uint8_t *p;

	if (fmt == VNET_FMT_AUTO)
		fmt = VNET_FMT_PCAP;
	if (fd < 0 || (fmt != VNET_FMT_PCAP && fmt != VNET_FMT_PCAP_NS &&
		       fmt != VNET_FMT_VDE)) {
		errno = fd < 0 ? EBADF : EINVAL;
		return NULL;
	}
	if (!bufsize)
		bufsize = SW_DEFAULT_BUF;
	if (bufsize > SW_MAX_BUF) {
		errno = EINVAL;
		return NULL;
	}
	if (bufsize < SW_MIN_BUF)
		bufsize = SW_MIN_BUF;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->buf = malloc(bufsize);
	if (!w->buf) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	w->fmt = fmt;
	w->cap = bufsize;
	if (fmt != VNET_FMT_VDE) {
		p = w->buf;
		put32(p, fmt == VNET_FMT_PCAP_NS ? PCAP_MAGIC_NS
						 : PCAP_MAGIC_US);
		put16(p + 4, 2);
		put16(p + 6, 4);
		put32(p + 8, 0);	/* thiszone */
		put32(p + 12, 0);	/* sigfigs */
		put32(p + 16, VNET_FRAME_MAX);
		put32(p + 20, LINKTYPE_ETHERNET);
		w->len = w->head = PCAP_HDR_LEN;
	}
	return w;
}

void vnet_sw_free(struct vnet_sw *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

static const char *const on_full_names[] = {
	[VNET_ON_FULL_BLOCK] = "block",
	[VNET_ON_FULL_DROP] = "drop",
};

int vnet_on_full_parse(const char *s, enum vnet_on_full *m)
{
	if (s && !strcmp(s, "block"))
		*m = VNET_ON_FULL_BLOCK;
	else if (s && !strcmp(s, "drop"))
		*m = VNET_ON_FULL_DROP;
	else
		return -EINVAL;
	return 0;
}

const char *vnet_on_full_name(enum vnet_on_full m)
{
	return (unsigned)m < 2 ? on_full_names[m] : "unknown";
}

int vnet_sw_set_on_full(struct vnet_sw *w, enum vnet_on_full m,
			size_t frames, size_t bytes)
{
	size_t cap, base;
	uint8_t *b;

	if (m != VNET_ON_FULL_BLOCK && m != VNET_ON_FULL_DROP)
		return -EINVAL;
	if (m == VNET_ON_FULL_DROP) {
		if (!frames)
			frames = VNET_SW_QUEUE_FRAMES;
		if (!bytes)
			bytes = VNET_SW_QUEUE_BYTES;
		if (bytes > SW_MAX_BUF / 2)
			return -EINVAL;
		if (bytes < SW_MIN_BUF)
			bytes = SW_MIN_BUF;
		/* The bound, and as much again: the reserve of a paced
		 * input, and the room that makes moving the pending bytes
		 * to the front cost no more than the bytes written. */
		cap = 2 * bytes;
		base = w->head < w->off ? w->head : w->off;
		if (cap < w->len - base)
			return -EINVAL;
		if (cap != w->cap) {
			if (!(b = malloc(cap)))
				return -ENOMEM;
			memcpy(b, w->buf + base, w->len - base);
			w->len -= base;
			w->off -= base;
			w->head -= base;
			free(w->buf);
			w->buf = b;
			w->cap = cap;
		}
		w->qframes = frames;
		w->qbytes = bytes;
	}
	w->on_full = m;
	return 0;
}

/* The length of the record at pos (its header and frame). */
static size_t rec_len(const struct vnet_sw *w, size_t pos)
{
	uint32_t incl;

	if (w->fmt == VNET_FMT_VDE)
		return VDE_HDR_LEN +
		       ((size_t)w->buf[pos] << 8 | w->buf[pos + 1]);
	memcpy(&incl, w->buf + pos + 8, 4);
	return PCAP_REC_LEN + incl;
}

/* Count out the records written completely; the frames still pending. */
static size_t sw_settle(struct vnet_sw *w)
{
	size_t rl;

	while (w->nq && w->head + (rl = rec_len(w, w->head)) <= w->off) {
		w->head += rl;
		w->nq--;
	}
	return w->nq;
}

/* Everything was written: start again at the front. */
static void sw_empty(struct vnet_sw *w)
{
	w->off = w->len = w->head = w->nq = 0;
}

/* Move the pending bytes (from the record partly written, or the file
 * header) to the front of the buffer. */
static void sw_compact(struct vnet_sw *w)
{
	size_t base;

	sw_settle(w);
	base = w->head < w->off ? w->head : w->off;
	if (!base)
		return;
	memmove(w->buf, w->buf + base, w->len - base);
	w->len -= base;
	w->off -= base;
	w->head -= base;
}

/* Whether a queue takes a record of rl more bytes.  Within the bound it
 * always fits the buffer (twice the bound) once the pending bytes are at
 * the front; the reserve is what the buffer has room for, counting the
 * written part of a record that stays with it. */
static int queue_takes(struct vnet_sw *w, size_t rl)
{
	size_t pend = w->len - w->off;

	if (pend + rl <= w->qbytes &&
	    (w->nq < w->qframes || sw_settle(w) < w->qframes))
		return 1;
	if (!w->paced)
		return 0;
	sw_settle(w);
	return w->len - (w->head < w->off ? w->head : w->off) + rl <= w->cap;
}

int vnet_sw_put(struct vnet_sw *w, uint64_t ts_ns, const struct iovec *iov,
		int iovcnt)
{
	size_t total = 0, hl, max;
	uint8_t *p;
	int i, ret;

	if (iovcnt < 0 || (iovcnt && !iov))
		return -EINVAL;
	max = w->fmt == VNET_FMT_VDE ? VNET_VDE_FRAME_MAX : VNET_FRAME_MAX;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > max - total)
			return -EMSGSIZE;
		total += iov[i].iov_len;
	}
	hl = w->fmt == VNET_FMT_VDE ? VDE_HDR_LEN : PCAP_REC_LEN;
	if (w->on_full == VNET_ON_FULL_DROP) {
		if (!queue_takes(w, hl + total)) {
			w->st.queue_drops++;
			w->st.queue_drop_bytes += total;
			return 0;
		}
		if (hl + total > w->cap - w->len)
			sw_compact(w);
	} else if (hl + total > w->cap - w->len) {
		ret = vnet_sw_flush(w);
		if (ret)
			return ret;
	}
	if (!w->nq)
		w->head = w->len;
	p = w->buf + w->len;
	if (w->fmt == VNET_FMT_VDE) {
		vnet_put16(p, (uint32_t)total);
	} else {
		put32(p, (uint32_t)(ts_ns / NSEC));
		put32(p + 4, (uint32_t)(w->fmt == VNET_FMT_PCAP_NS
						? ts_ns % NSEC
						: ts_ns % NSEC / 1000));
		put32(p + 8, (uint32_t)total);
		put32(p + 12, (uint32_t)total);
	}
	p += hl;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	w->len += hl + total;
	w->nq++;
	return 0;
}

int vnet_sw_flush(struct vnet_sw *w)
{
	ssize_t n;
	int r;

	while (w->off < w->len) {
		n = write(w->fd, w->buf + w->off, w->len - w->off);
		if (n > 0) {
			w->off += (size_t)n;
			/* A short write: the pipe or socket is full now, so
			 * wait at once instead of taking EAGAIN first. */
			if (w->off < w->len &&
			    (r = vnet_sig_wait_fd(w->fd, POLLOUT)) < 0)
				return r;
			continue;
		}
		if (n == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* A full non-blocking pipe: wait, since pipes block -- with
		 * the signals unblocked, so that a stop is not held up by a
		 * reader that stopped reading. */
		if ((r = vnet_sig_wait_fd(w->fd, POLLOUT)) < 0)
			return r;
	}
	sw_empty(w);
	return 0;
}

int vnet_sw_write(struct vnet_sw *w)
{
	ssize_t n;

	if (w->off == w->len)
		return 0;
	do
		n = write(w->fd, w->buf + w->off, w->len - w->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (n == 0)
		return -EIO;
	w->off += (size_t)n;
	if (w->off == w->len)
		sw_empty(w);
	return 0;
}

int vnet_sw_full(struct vnet_sw *w)
{
	if (w->on_full != VNET_ON_FULL_DROP)
		return 0;
	return w->len - w->off >= w->qbytes ||
	       (w->nq >= w->qframes && sw_settle(w) >= w->qframes);
}

void vnet_sw_pace(struct vnet_sw *w, int on)
{
	w->paced = on;
}

const struct vnet_sw_stats *vnet_sw_stats(const struct vnet_sw *w)
{
	return &w->st;
}

size_t vnet_sw_pending(const struct vnet_sw *w)
{
	return w->len - w->off;
}

size_t vnet_sw_pending_frames(struct vnet_sw *w)
{
	return sw_settle(w);
}

int vnet_sw_fd(const struct vnet_sw *w)
{
	return w->fd;
}
