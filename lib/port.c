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
#include "vnet/port.h"

#define TAP_BATCH 64
#define TAP_SLOT 65536

struct vnet_port {
	enum vnet_port_kind kind;
	int flags;
	int rfd, wfd;
	int close_rfd, close_wfd;
	struct vnet_sr *sr;
	struct vnet_sw *sw;
	int eof;
	uint8_t *slots; /* tap: TAP_BATCH frames of TAP_SLOT bytes */
	char name[64];
	char err[160];
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

static int open_stream(struct vnet_port *p, enum vnet_stream_fmt fmt)
{
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
	}
	return 0;
}

struct vnet_port *vnet_port_open(const struct vnet_port_spec *sp, int flags,
				 enum vnet_stream_fmt fmt)
{
	struct vnet_port *p;
	int r = -EINVAL;

	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->kind = sp->kind;
	p->flags = flags;
	p->rfd = p->wfd = -1;

	switch (sp->kind) {
	case VNET_PORT_STDIO:
		if (flags & VNET_PORT_RIGHT) {
			p->rfd = env_fd("ALTERNATE_STDIN", 3);
			p->wfd = env_fd("ALTERNATE_STDOUT", 4);
			snprintf(p->name, sizeof(p->name), "fds %d/%d", p->rfd,
				 p->wfd);
		} else {
			p->rfd = 0;
			p->wfd = 1;
			snprintf(p->name, sizeof(p->name), "stdio");
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
		snprintf(p->name, sizeof(p->name), "pcap:%.50s", sp->path);
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
		snprintf(p->name, sizeof(p->name), "tap %s", sp->ifname);
		if ((r = vnet_tap_open(sp->ifname)) < 0)
			break;
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
		r = 0;
		break;
	case VNET_PORT_UDP:
		r = -EPROTONOSUPPORT;
		break;
	}
	if (r < 0) {
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
	if (p->close_rfd && p->rfd >= 0)
		close(p->rfd);
	if (p->close_wfd && p->wfd >= 0 && p->wfd != p->rfd)
		close(p->wfd);
	free(p->slots);
	free(p);
}

int vnet_port_rfd(const struct vnet_port *p)
{
	if (p->flags & VNET_PORT_NO_READ || p->eof)
		return -1;
	return p->rfd;
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
			return -errno;
		}
		f[n].ts_ns = now;
		f[n].len = f[n].wire_len = (uint32_t)len;
		f[n].data = buf;
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
			snprintf(p->err, sizeof(p->err), "%s",
				 vnet_sr_error(p->sr));
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
		if (r < 0) {
			snprintf(p->err, sizeof(p->err), "read: %s",
				 strerror(-r));
			return r;
		}
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
	if (p->kind == VNET_PORT_TAP)
		return recv_tap(p, f, max);
	return recv_stream(p, f, max);
}

int vnet_port_eof(const struct vnet_port *p)
{
	return p->eof;
}

const char *vnet_port_error(const struct vnet_port *p)
{
	return p->err[0] ? p->err : "no error";
}

int vnet_port_send(struct vnet_port *p, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (p->flags & VNET_PORT_NO_WRITE)
		return 0;
	if (p->kind != VNET_PORT_TAP)
		return vnet_sw_put(p->sw, ts_ns, iov, iovcnt);
	do
		n = writev(p->wfd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int vnet_port_flush(struct vnet_port *p)
{
	if (!p->sw || !vnet_sw_pending(p->sw))
		return 0;
	return vnet_sw_flush(p->sw);
}

const struct vnet_sr_stats *vnet_port_rstats(const struct vnet_port *p)
{
	return p->sr ? vnet_sr_stats(p->sr) : NULL;
}

const char *vnet_port_name(const struct vnet_port *p)
{
	return p->name;
}

int vnet_port_is_tap(const struct vnet_port *p)
{
	return p->kind == VNET_PORT_TAP;
}
