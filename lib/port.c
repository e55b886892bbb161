/* SPDX-License-Identifier: ISC */
/* port.c -- open frame ports: stdio/fd streams, pcap files and tap devices. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/offload.h"
#include "vnet/port.h"

#define TAP_BATCH 64
/* A read: the header, then up to 64 KiB of IP packet with its Ethernet
 * header -- and a tunnel super-frame's outer headers. */
#define TAP_SLOT (65536 + 128 + VNET_VHDR_TNL_LEN)
/* Wire-size frames cut from TSO super-frames are packed here; a read is
 * started only while a whole super-frame's worth of room is left. */
#define ARENA_SIZE (1u << 20)
#define ARENA_ROOM (65536 + VNET_SEG_MAX * VNET_SEG_HDR_MAX)

struct vnet_port {
	enum vnet_port_kind kind;
	int flags;
	int rfd, wfd;
	int close_rfd, close_wfd;
	int wfl; /* the output's file status flags to restore, or -1 */
	struct vnet_sr *sr;
	struct vnet_sw *sw;
	int eof;
	uint8_t *slots; /* tap: TAP_BATCH frames of TAP_SLOT bytes */
	/* tap offloads (VNET_TAP_OFFLOAD) */
	int offload;
	unsigned vhlen;	      /* the header's length: 10, or 24 (tunnel) */
	struct vnet_vhdr *vh; /* VNET_PORT_GSO: the last recv's headers */
	uint8_t *arena;
	size_t arena_used;
	struct vnet_frame pend[VNET_SEG_MAX];
	unsigned npend, pend_pos;
	struct vnet_seg segs[VNET_SEG_MAX];
	uint8_t *scratch;
	struct vnet_gro *gro;
	uint8_t *gather;
	struct vnet_port_tap_stats tstats;
	char name[VNET_ERR_OBJ];
	struct vnet_err err; /* why the last recv failed */
};

/* ALTERNATE_STDIN/ALTERNATE_STDOUT name the right-hand fds of a middle
 * program (the dpipe convention); 3 and 4 otherwise. */
static int env_fd(const char *var, int dflt)
{
	const char *s = getenv(var);
	char *e;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &e, 10);
	if (*e || v < 0 || v > 65535)
		return dflt;
	return (int)v;
}

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A pipe or socket we write to is made non-blocking, so that a full one
 * is waited for with the signals unblocked (stream.h); the flags are put
 * back on close, since the description may be shared (a terminal's
 * shell, a sibling in a pipeline).  Files never block. */
static void set_nonblock_out(struct vnet_port *p)
{
	struct stat st;
	int fl;

	if (fstat(p->wfd, &st) || !(S_ISFIFO(st.st_mode) ||
				     S_ISSOCK(st.st_mode)))
		return;
	if ((fl = fcntl(p->wfd, F_GETFL)) < 0 || (fl & O_NONBLOCK))
		return;
	if (fcntl(p->wfd, F_SETFL, fl | O_NONBLOCK) == 0)
		p->wfl = fl;
}

static int open_stream(struct vnet_port *p, enum vnet_stream_fmt fmt)
{
	int r;

	if (!(p->flags & VNET_PORT_NO_READ)) {
		if (!fd_is_open(p->rfd))
			return -EBADF;
		set_nonblock(p->rfd);
		if (!(p->sr = vnet_sr_new(p->rfd, 0)))
			return -errno;
	}
	if (!(p->flags & VNET_PORT_NO_WRITE)) {
		if (!fd_is_open(p->wfd))
			return -EBADF;
		if (!(p->sw = vnet_sw_new(p->wfd, fmt, 0)))
			return -errno;
		if (!(p->flags & VNET_PORT_BLOCK) &&
		    (r = vnet_sw_set_on_full(p->sw, VNET_ON_FULL_DROP, 0, 0)))
			return r;
		set_nonblock_out(p);
	}
	return 0;
}

static unsigned tap_flags(int offload, int flags)
{
	unsigned f = offload ? VNET_TAP_OFFLOAD : 0;

	if (flags & VNET_PORT_GSO)
		f |= VNET_TAP_USO;
	if (flags & VNET_PORT_TUNNEL)
		f |= VNET_TAP_TUNNEL;
	return f;
}

struct vnet_port *vnet_port_open(const struct vnet_port_spec *sp, int flags,
				 enum vnet_stream_fmt fmt, struct vnet_err *e)
{
	char a[VNET_ADDRSTRLEN];
	struct vnet_port *p;
	int r = -EINVAL, tap_open = 0;

	if (!(p = calloc(1, sizeof(*p)))) {
		vnet_err_sys(e, NULL, errno);
		return NULL;
	}
	p->kind = sp->kind;
	p->flags = flags;
	p->rfd = p->wfd = -1;
	p->wfl = -1;

	switch (sp->kind) {
	case VNET_PORT_STDIO:
		if (flags & VNET_PORT_RIGHT) {
			p->rfd = env_fd("ALTERNATE_STDIN", 3);
			p->wfd = env_fd("ALTERNATE_STDOUT", 4);
			snprintf(p->name, sizeof(p->name), "fd:%d,%d", p->rfd,
				 p->wfd);
		} else {
			p->rfd = 0;
			p->wfd = 1;
			snprintf(p->name, sizeof(p->name), "-");
		}
		r = open_stream(p, fmt);
		break;
	case VNET_PORT_FD:
		p->rfd = sp->rfd;
		p->wfd = sp->wfd;
		snprintf(p->name, sizeof(p->name), "fd:%d,%d", p->rfd, p->wfd);
		r = open_stream(p, fmt);
		break;
	case VNET_PORT_PCAP:
		snprintf(p->name, sizeof(p->name), "pcap:%s", sp->path);
		/* A capture file is an input (replay); a side that is only
		 * written to writes the file instead. */
		if (!(flags & VNET_PORT_NO_READ)) {
			p->flags |= VNET_PORT_NO_WRITE;
			p->rfd = open(sp->path, O_RDONLY | O_CLOEXEC);
			p->close_rfd = 1;
		} else {
			p->wfd = open(sp->path,
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				      0644);
			p->close_wfd = 1;
		}
		if (p->rfd < 0 && p->wfd < 0) {
			r = -errno;
			break;
		}
		r = open_stream(p, fmt);
		break;
	case VNET_PORT_TAP:
		snprintf(p->name, sizeof(p->name), "tap:%s", sp->ifname);
		p->offload = !(flags & VNET_PORT_NO_OFFLOAD);
		if (flags & VNET_PORT_TUNNEL)
			p->flags |= VNET_PORT_GSO;
		if (!p->offload && (p->flags & VNET_PORT_GSO)) {
			r = -EINVAL;
			break;
		}
		p->vhlen = flags & VNET_PORT_TUNNEL ? VNET_VHDR_TNL_LEN
						    : VNET_VHDR_LEN;
		if ((r = vnet_tap_open_flags(sp->ifname,
					     tap_flags(p->offload, p->flags))) <
		    0) {
			tap_open = 1;
			break;
		}
		p->rfd = p->wfd = r;
		p->close_rfd = 1;
		r = vnet_link_setup(sp->ifname, sp->mtu,
				    sp->has_mac ? sp->mac : NULL, 1);
		if (r < 0)
			break;
		if (!(flags & VNET_PORT_NO_READ) &&
		    !(p->slots = malloc((size_t)TAP_BATCH * TAP_SLOT))) {
			r = -errno;
			break;
		}
		if (p->offload &&
		    (!(p->arena = malloc(ARENA_SIZE)) ||
		     !(p->scratch = malloc(VNET_SEG_MAX * VNET_SEG_HDR_MAX)) ||
		     !(p->gather = malloc(TAP_SLOT)) ||
		     !(p->gro = vnet_gro_new()))) {
			r = -errno;
			break;
		}
		if ((p->flags & VNET_PORT_GSO) &&
		    !(p->vh = calloc(TAP_BATCH, sizeof(*p->vh)))) {
			r = -errno;
			break;
		}
		r = 0;
		break;
	case VNET_PORT_UDP:
		snprintf(p->name, sizeof(p->name), "udp:%s",
			 vnet_addr_fmt(&sp->addr, a));
		r = -EPROTONOSUPPORT;
		break;
	}
	if (r < 0) {
		if (r == -EBADF && sp->kind == VNET_PORT_STDIO &&
		    (flags & VNET_PORT_RIGHT)) {
			vnet_err_set(e, p->name, 0, "%s (run as a middle "
				     "member of vnet-pipe)", strerror(EBADF));
			if (e)
				e->errnum = EBADF;
		} else if (tap_open) {
			vnet_tap_err(e, p->name, sp->ifname, r);
		} else {
			vnet_err_sys(e, p->name, r);
			if (sp->kind == VNET_PORT_TAP)
				vnet_err_cap(e, r, "CAP_NET_ADMIN");
		}
		vnet_port_close(p);
		errno = -r;
		return NULL;
	}
	return p;
}

void vnet_port_close(struct vnet_port *p)
{
	if (!p)
		return;
	if (p->sw) {
		vnet_sw_flush(p->sw);
		vnet_sw_free(p->sw);
	}
	vnet_sr_free(p->sr);
	if (p->wfl >= 0)
		fcntl(p->wfd, F_SETFL, p->wfl);
	if (p->close_rfd && p->rfd >= 0)
		close(p->rfd);
	if (p->close_wfd && p->wfd >= 0 && p->wfd != p->rfd)
		close(p->wfd);
	free(p->slots);
	free(p->arena);
	free(p->scratch);
	free(p->gather);
	free(p->vh);
	vnet_gro_free(p->gro);
	free(p);
}

int vnet_port_rfd(const struct vnet_port *p)
{
	if (p->flags & VNET_PORT_NO_READ || p->eof)
		return -1;
	return p->rfd;
}

/* A read(2) failed with e: why, for vnet_port_err(); -e. */
static int read_failed(struct vnet_port *p, int e)
{
	vnet_err_set(&p->err, NULL, 0, "read: %s", strerror(e));
	p->err.errnum = e;
	return -e;
}

static int recv_tap(struct vnet_port *p, struct vnet_frame *f, unsigned max)
{
	unsigned n = 0;
	uint64_t now = vnet_clock_wall();

	if (max > TAP_BATCH)
		max = TAP_BATCH;
	while (n < max) {
		uint8_t *buf = p->slots + (size_t)n * TAP_SLOT;
		ssize_t len = read(p->rfd, buf, TAP_SLOT);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || n)
				break;
			return read_failed(p, errno);
		}
		f[n].ts_ns = now;
		f[n].len = f[n].wire_len = (uint32_t)len;
		f[n].data = buf;
		n++;
	}
	return (int)n;
}

/* A tap with offloads: every read starts with a virtio_net_hdr; partial
 * checksums are completed and TSO super-frames are cut into wire-size
 * frames in the arena.  Segments that do not fit in f wait in pend[]
 * for the next call, which hands them out before reading again. */
static int recv_tap_offload(struct vnet_port *p, struct vnet_frame *f,
			    unsigned max)
{
	uint64_t now = vnet_clock_wall();
	struct vnet_vhdr h;
	unsigned n = 0, k = 0;
	int i, r;

	while (p->pend_pos < p->npend && n < max)
		f[n++] = p->pend[p->pend_pos++];
	if (n)
		return (int)n;
	p->npend = p->pend_pos = 0;
	p->arena_used = 0;
	if (max > TAP_BATCH)
		max = TAP_BATCH;
	while (n < max && k < TAP_BATCH) {
		uint8_t *buf = p->slots + (size_t)k * TAP_SLOT, *frame;
		ssize_t len = read(p->rfd, buf, TAP_SLOT);
		size_t flen;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || n)
				break;
			return read_failed(p, errno);
		}
		k++;
		if (len < VNET_VHDR_LEN + 14) {
			p->tstats.offload_errors++;
			continue;
		}
		vnet_vhdr_decode(buf, &h);
		frame = buf + VNET_VHDR_LEN;
		flen = (size_t)len - VNET_VHDR_LEN;
		r = vnet_gso_segment(&h, frame, flen, p->segs, VNET_SEG_MAX,
				     p->scratch);
		if (r < 0) {
			p->tstats.offload_errors++;
			continue;
		}
		if (h.gso_type == VNET_GSO_NONE) {
			f[n].ts_ns = now;
			f[n].len = f[n].wire_len = (uint32_t)flen;
			f[n].data = frame;
			n++;
			continue;
		}
		p->tstats.superframes++;
		for (i = 0; i < r; i++) {
			const struct vnet_seg *sg = &p->segs[i];
			size_t sl = sg->hdr_len + (size_t)sg->data_len;
			uint8_t *dst = p->arena + p->arena_used;
			struct vnet_frame *out = n < max ? &f[n++]
							 : &p->pend[p->npend++];

			memcpy(dst, sg->hdr, sg->hdr_len);
			memcpy(dst + sg->hdr_len, sg->data, sg->data_len);
			p->arena_used += sl;
			out->ts_ns = now;
			out->len = out->wire_len = (uint32_t)sl;
			out->data = dst;
		}
		if (p->npend || ARENA_SIZE - p->arena_used < ARENA_ROOM)
			break;
	}
	return (int)n;
}

/* A tap that hands super-frames whole (VNET_PORT_GSO): each frame with
 * its header in p->vh[], checked (vnet_vhdr_check) but not cut; a
 * header that does not add up is an offload error and its frame is
 * dropped. */
static int recv_tap_gso(struct vnet_port *p, struct vnet_frame *f,
			unsigned max)
{
	const int tunnel = p->vhlen == VNET_VHDR_TNL_LEN;
	uint64_t now = vnet_clock_wall();
	unsigned n = 0, k = 0;

	if (max > TAP_BATCH)
		max = TAP_BATCH;
	while (n < max && k < TAP_BATCH) {
		uint8_t *buf = p->slots + (size_t)k * TAP_SLOT;
		ssize_t len = read(p->rfd, buf, TAP_SLOT);
		size_t flen;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || n)
				break;
			return read_failed(p, errno);
		}
		k++;
		if ((size_t)len < p->vhlen + 14) {
			p->tstats.offload_errors++;
			continue;
		}
		flen = (size_t)len - p->vhlen;
		if (tunnel)
			vnet_vhdr_decode_tnl(buf, &p->vh[n]);
		else
			vnet_vhdr_decode(buf, &p->vh[n]);
		if (vnet_vhdr_check(&p->vh[n], flen, tunnel) < 0) {
			p->tstats.offload_errors++;
			continue;
		}
		if (p->vh[n].gso_type != VNET_GSO_NONE)
			p->tstats.superframes++;
		f[n].ts_ns = now;
		f[n].len = f[n].wire_len = (uint32_t)flen;
		f[n].data = buf + p->vhlen;
		n++;
	}
	return (int)n;
}

static int recv_stream(struct vnet_port *p, struct vnet_frame *f,
		       unsigned max)
{
	unsigned n = 0;
	int r, filled = 0;

	while (n < max) {
		r = vnet_sr_next(p->sr, &f[n]);
		if (r == 1) {
			n++;
			continue;
		}
		if (r < 0) {
			p->err = *vnet_sr_err(p->sr);
			return n ? (int)n : r;
		}
		/* Need more bytes; frames handed out would move, so read
		 * only before the first one. */
		if (n || filled)
			break;
		r = vnet_sr_fill(p->sr);
		filled = 1;
		if (r == -EAGAIN || r == -EINTR)
			break;
		if (r < 0)
			return read_failed(p, -r);
		if (r == 0) {
			/* EOF: parse what is left, then report the end. */
			while (n < max && vnet_sr_next(p->sr, &f[n]) == 1)
				n++;
			if (vnet_sr_eof(p->sr))
				p->eof = 1;
			break;
		}
	}
	return (int)n;
}

int vnet_port_recv(struct vnet_port *p, struct vnet_frame *f, unsigned max)
{
	if (p->flags & VNET_PORT_NO_READ || p->eof)
		return 0;
	if (p->kind == VNET_PORT_TAP) {
		if (p->vh)
			return recv_tap_gso(p, f, max);
		return p->offload ? recv_tap_offload(p, f, max)
				  : recv_tap(p, f, max);
	}
	return recv_stream(p, f, max);
}

int vnet_port_eof(const struct vnet_port *p)
{
	/* A port that is never read has no input left to wait for. */
	return p->eof || (p->flags & VNET_PORT_NO_READ);
}

int vnet_port_right_open(void)
{
	return fd_is_open(env_fd("ALTERNATE_STDIN", 3)) &&
	       fd_is_open(env_fd("ALTERNATE_STDOUT", 4));
}

int vnet_port_check_tty(const struct vnet_port_spec *sp, int flags,
			struct vnet_err *e)
{
	int fd = -1;

	if (flags & VNET_PORT_NO_WRITE)
		return 0;
	if (sp->kind == VNET_PORT_STDIO)
		fd = flags & VNET_PORT_RIGHT ? env_fd("ALTERNATE_STDOUT", 4) : 1;
	else if (sp->kind == VNET_PORT_FD)
		fd = sp->wfd;
	if (fd < 0 || !isatty(fd))
		return 0;
	if (fd == 1)
		vnet_err_set(e, NULL, 0, "stdout is a terminal: redirect it "
			     "(| tcpdump -r -) or give --force");
	else
		vnet_err_set(e, NULL, 0, "fd %d is a terminal: redirect it "
			     "(%d>FILE) or give --force", fd, fd);
	return -ENOTTY;
}

const struct vnet_err *vnet_port_err(const struct vnet_port *p)
{
	return &p->err;
}

/* One write to an offload tap: the virtio_net_hdr, then the frame. */
static int tap_writev_hdr(struct vnet_port *p, const struct vnet_vhdr *h,
			  const struct iovec *iov, int iovcnt)
{
	uint8_t hb[VNET_VHDR_TNL_LEN];
	struct iovec v[8];
	ssize_t n;
	int i;

	if (iovcnt > 7)
		return -EINVAL;
	if (p->vhlen == VNET_VHDR_TNL_LEN)
		vnet_vhdr_encode_tnl(hb, h);
	else
		vnet_vhdr_encode(hb, h);
	v[0].iov_base = hb;
	v[0].iov_len = p->vhlen;
	for (i = 0; i < iovcnt; i++)
		v[i + 1] = iov[i];
	do
		n = writev(p->wfd, v, iovcnt + 1);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Write the coalesced super-frame, if any. */
static int gro_flush(struct vnet_port *p)
{
	struct vnet_vhdr h;
	const uint8_t *frame;
	size_t len;
	struct iovec iov;
	unsigned segs = vnet_gro_take(p->gro, &h, &frame, &len);

	if (!segs)
		return 0;
	if (segs > 1)
		p->tstats.coalesced += segs;
	iov.iov_base = (void *)frame;
	iov.iov_len = len;
	return tap_writev_hdr(p, &h, &iov, 1);
}

/* Frames to an offload tap go through receive coalescing: consecutive
 * segments of one TCP flow become one super-frame, so the kernel takes
 * them as one packet.  Everything else is written as it comes, in order. */
static int send_tap_offload(struct vnet_port *p, const struct iovec *iov,
			    int iovcnt)
{
	static const struct vnet_vhdr none;
	const uint8_t *frame;
	size_t len = 0;
	int i, r;

	if (iovcnt == 1) {
		frame = iov[0].iov_base;
		len = iov[0].iov_len;
	} else {
		for (i = 0; i < iovcnt; i++) {
			if (len + iov[i].iov_len > TAP_SLOT)
				return -EMSGSIZE;
			memcpy(p->gather + len, iov[i].iov_base,
			       iov[i].iov_len);
			len += iov[i].iov_len;
		}
		frame = p->gather;
	}
	r = vnet_gro_add(p->gro, frame, len);
	if (r == 1)
		return 0;
	if ((i = gro_flush(p)) < 0)
		return i;
	if (r == -EAGAIN && vnet_gro_add(p->gro, frame, len) == 1)
		return 0;
	return tap_writev_hdr(p, &none, iov, iovcnt);
}

const struct vnet_vhdr *vnet_port_recv_vh(const struct vnet_port *p)
{
	return p->vh;
}

int vnet_port_send_vh(struct vnet_port *p, const struct vnet_vhdr *h,
		      const struct iovec *iov, int iovcnt)
{
	int r;

	if (p->flags & VNET_PORT_NO_WRITE)
		return 0;
	if (!p->vh)
		return -EINVAL;
	/* After what is coalesced: frames leave in the order given. */
	if ((r = gro_flush(p)) < 0)
		return r;
	return tap_writev_hdr(p, h, iov, iovcnt);
}

int vnet_port_send(struct vnet_port *p, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (p->flags & VNET_PORT_NO_WRITE)
		return 0;
	if (p->kind != VNET_PORT_TAP)
		return vnet_sw_put(p->sw, ts_ns, iov, iovcnt);
	if (p->offload)
		return send_tap_offload(p, iov, iovcnt);
	do
		n = writev(p->wfd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int vnet_port_flush(struct vnet_port *p)
{
	if (p->gro)
		return gro_flush(p);
	if (!p->sw || !vnet_sw_pending(p->sw))
		return 0;
	return vnet_sw_flush(p->sw);
}

int vnet_port_write(struct vnet_port *p)
{
	if (p->gro)
		return gro_flush(p);
	if (!p->sw || !vnet_sw_pending(p->sw))
		return 0;
	if (p->flags & VNET_PORT_BLOCK)
		return vnet_sw_flush(p->sw);
	return vnet_sw_write(p->sw);
}

int vnet_port_wfd(const struct vnet_port *p)
{
	return p->sw ? p->wfd : -1;
}

int vnet_port_full(struct vnet_port *p)
{
	return p->sw && vnet_sw_full(p->sw);
}

void vnet_port_pace(struct vnet_port *p, int on)
{
	if (p->sw)
		vnet_sw_pace(p->sw, on);
}

const struct vnet_sw_stats *vnet_port_wstats(const struct vnet_port *p)
{
	return p->sw ? vnet_sw_stats(p->sw) : NULL;
}

size_t vnet_port_pending(const struct vnet_port *p, size_t *frames)
{
	if (frames)
		*frames = p->sw ? vnet_sw_pending_frames(p->sw) : 0;
	return p->sw ? vnet_sw_pending(p->sw) : 0;
}

const struct vnet_sr_stats *vnet_port_rstats(const struct vnet_port *p)
{
	return p->sr ? vnet_sr_stats(p->sr) : NULL;
}

const char *vnet_port_name(const struct vnet_port *p)
{
	return p->name;
}

const struct vnet_port_tap_stats *vnet_port_tstats(const struct vnet_port *p)
{
	return p->kind == VNET_PORT_TAP ? &p->tstats : NULL;
}

int vnet_port_is_tap(const struct vnet_port *p)
{
	return p->kind == VNET_PORT_TAP;
}
