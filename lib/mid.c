/* SPDX-License-Identifier: ISC */
/* mid.c -- the frame loop of a middle program (see mid.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/clock.h"
#include "vnet/mid.h"
#include "vnet/port.h"
#include "vnet/sig.h"

#define MID_BATCH 64

/* side[VNET_EGRESS] is the left port, side[VNET_INGRESS] the right one:
 * frames of direction d are read from in(d) and written to out(d). */
struct vnet_mid {
	struct vnet_port *side[2];
	int oneway, sink;
	enum vnet_dir dir;
	struct vnet_err err; /* why vnet_mid_run() failed */
	struct vnet_frame f[MID_BATCH];
};

static struct vnet_port *in_port(struct vnet_mid *m, enum vnet_dir d)
{
	return m->side[d];
}

static struct vnet_port *out_port(struct vnet_mid *m, enum vnet_dir d)
{
	return m->side[!d];
}

int vnet_dir_parse(const char *s, enum vnet_dir *d)
{
	if (!strcmp(s, "egress"))
		*d = VNET_EGRESS;
	else if (!strcmp(s, "ingress"))
		*d = VNET_INGRESS;
	else
		return -EINVAL;
	return 0;
}

const char *vnet_dir_name(enum vnet_dir d)
{
	return d == VNET_INGRESS ? "ingress" : "egress";
}

static int is_stdio(const char *spec)
{
	return !spec || !strcmp(spec, "-");
}

/* Open a side from spec with flags (VNET_PORT_RIGHT: the right side); on
 * failure e names the side and what went wrong. */
static struct vnet_port *open_side(const char *spec, int flags,
				   const struct vnet_mid_config *c,
				   struct vnet_err *e)
{
	struct vnet_port_spec sp;
	const char *name = flags & VNET_PORT_RIGHT ? "right" : "left";
	struct vnet_port *p;

	if (vnet_port_parse(spec ? spec : "-", &sp, e) < 0) {
		vnet_err_prefix(e, "%s port", name);
		errno = EINVAL;
		return NULL;
	}
	if (sp.kind == VNET_PORT_UDP) {
		vnet_err_set(e, NULL, 0, "a middle program takes a stream, "
			     "fd:, pcap: or tap: port, not udp:");
		vnet_err_prefix(e, "%s port '%s'", name, spec);
		errno = EINVAL;
		return NULL;
	}
	if (sp.kind != VNET_PORT_STDIO)
		flags &= ~VNET_PORT_RIGHT;
	if (c->no_offload)
		flags |= VNET_PORT_NO_OFFLOAD;
	if (!(p = vnet_port_open(&sp, flags, c->fmt, e)))
		vnet_err_prefix(e, "open %s", name);
	return p;
}

struct vnet_mid *vnet_mid_open(const struct vnet_mid_config *c,
			       struct vnet_err *e)
{
	struct vnet_mid *m;
	int r;

	if (!(m = calloc(1, sizeof(*m)))) {
		vnet_err_sys(e, NULL, errno);
		return NULL;
	}
	m->dir = c->dir;
	m->sink = c->sink;
	if (c->sink) {
		/* Read one side (the left spec), write nothing. */
		m->oneway = 1;
		if (!(m->side[m->dir] = open_side(c->left, VNET_PORT_NO_WRITE,
						  c, e)))
			goto fail;
	} else if (is_stdio(c->left) && is_stdio(c->right) &&
		   !vnet_port_right_open()) {
		/* A one-way filter: stdin -> stdout in direction dir.  Both
		 * ports wrap fds 0/1, each used one way. */
		m->oneway = 1;
		if (!(m->side[m->dir] = open_side("fd:0,1", VNET_PORT_NO_WRITE,
						  c, e)) ||
		    !(m->side[!m->dir] = open_side("-", VNET_PORT_NO_READ, c,
						   e)))
			goto fail;
	} else {
		if (!(m->side[0] = open_side(c->left, 0, c, e)) ||
		    !(m->side[1] = open_side(c->right, VNET_PORT_RIGHT, c, e)))
			goto fail;
	}
	/* Write the stream headers now, so a reader downstream sees a
	 * valid (empty) stream even if no frame ever passes. */
	for (int i = 0; i < 2; i++) {
		if (m->side[i] && (r = vnet_port_flush(m->side[i])) < 0) {
			errno = -vnet_err_sys(e, NULL, r);
			vnet_err_prefix(e, "write stream header to %s %s",
					i ? "right" : "left",
					vnet_port_name(m->side[i]));
			goto fail;
		}
	}
	if (c->user && (r = vnet_drop_privileges(c->user)) < 0) {
		errno = -vnet_err_sys(e, NULL, r);
		vnet_err_prefix(e, "drop privileges to %s", c->user);
		goto fail;
	}
	return m;
fail:
	r = errno;
	vnet_mid_close(m);
	errno = r;
	return NULL;
}

void vnet_mid_close(struct vnet_mid *m)
{
	if (!m)
		return;
	vnet_port_close(m->side[0]);
	vnet_port_close(m->side[1]);
	free(m);
}

int vnet_mid_oneway(const struct vnet_mid *m)
{
	return m->oneway;
}

enum vnet_dir vnet_mid_dir(const struct vnet_mid *m)
{
	return m->dir;
}

const struct vnet_sr_stats *vnet_mid_rstats(const struct vnet_mid *m,
					    enum vnet_dir dir)
{
	const struct vnet_port *p = m->side[dir];

	if (!p || (m->oneway && dir != m->dir))
		return NULL;
	return vnet_port_rstats(p);
}

static int send_on(struct vnet_port *p, int writable, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt)
{
	if (!p || !writable)
		return -ENOTCONN;
	return vnet_port_send(p, ts_ns, iov, iovcnt);
}

int vnet_mid_send(struct vnet_mid *m, enum vnet_dir dir, uint64_t ts_ns,
		  const struct iovec *iov, int iovcnt)
{
	int writable = !m->sink && (!m->oneway || dir == m->dir);

	return send_on(out_port(m, dir), writable, ts_ns, iov, iovcnt);
}

int vnet_mid_reply(struct vnet_mid *m, enum vnet_dir dir, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt)
{
	/* Back toward where dir's frames come from: the input side's
	 * writer, which only a two-way program has. */
	return send_on(in_port(m, dir), !m->oneway, ts_ns, iov, iovcnt);
}

/* Every stream input has ended (taps never end). */
static int inputs_ended(const struct vnet_mid *m)
{
	int any = 0;

	for (int i = 0; i < 2; i++) {
		const struct vnet_port *p = m->side[i];

		if (!p || (m->oneway && i != (int)m->dir))
			continue;
		if (vnet_port_is_tap(p))
			return 0;
		if (!vnet_port_eof(p))
			return 0;
		any = 1;
	}
	return any;
}

/* Flush both outputs; the first error (but EPIPE) is named in m->err. */
static int flush_all(struct vnet_mid *m)
{
	int r, ret = 0;

	for (int i = 0; i < 2; i++) {
		if (m->side[i] && (r = vnet_port_flush(m->side[i])) < 0 &&
		    !ret) {
			ret = r;
			if (r == -EPIPE)
				continue;
			vnet_err_sys(&m->err, NULL, r);
			vnet_err_prefix(&m->err, "%s %s", i ? "right" : "left",
					vnet_port_name(m->side[i]));
		}
	}
	return ret;
}

const struct vnet_err *vnet_mid_err(const struct vnet_mid *m)
{
	return &m->err;
}

int vnet_mid_run(struct vnet_mid *m, const struct vnet_mid_ops *ops,
		 void *arg)
{
	unsigned more = 0;
	uint64_t last_tick = vnet_clock_now();
	int r;

	vnet_err_clear(&m->err);
	for (;;) {
		struct pollfd pfd[2];
		unsigned prev = more;
		int sig;

		for (int d = 0; d < 2; d++) {
			struct vnet_port *p = in_port(m, (enum vnet_dir)d);

			pfd[d].fd = p && (!m->oneway || d == (int)m->dir)
					    ? vnet_port_rfd(p)
					    : -1;
			pfd[d].events = POLLIN;
			pfd[d].revents = 0;
		}
		if (vnet_sig_poll(pfd, 2, more ? 0 : 250) < 0)
			return vnet_err_sys(&m->err, "poll", errno);
		more = 0;
		sig = vnet_sig_take();
		if ((sig & (VNET_SIG_HUP | VNET_SIG_USR1)) && ops->signal)
			ops->signal(arg, m, sig & (VNET_SIG_HUP | VNET_SIG_USR1));
		if (sig & VNET_SIG_STOP)
			break;

		for (int d = 0; d < 2; d++) {
			struct vnet_port *p = in_port(m, (enum vnet_dir)d);
			int n;

			if (pfd[d].fd < 0 || !(pfd[d].revents || (prev & (4u << d))))
				continue;
			n = vnet_port_recv(p, m->f, MID_BATCH);
			if (n < 0) {
				m->err = *vnet_port_err(p);
				vnet_err_prefix(&m->err, "%s %s",
						d == VNET_EGRESS ? "left" : "right",
						vnet_port_name(p));
				return n;
			}
			if (n == MID_BATCH)
				more |= 1u | (4u << d);
			if (n && (r = ops->frames(arg, m, (enum vnet_dir)d,
						  m->f, (unsigned)n)) < 0)
				return r;
			if ((r = flush_all(m)) == -EPIPE)
				return 0;
			if (r < 0)
				return r;
		}
		if (ops->tick) {
			uint64_t now = vnet_clock_now();

			if (more == 0 || now - last_tick >= 1000000000ULL) {
				ops->tick(arg, m, now);
				last_tick = now;
			}
		}
		if (inputs_ended(m))
			break;
	}
	r = flush_all(m);
	return r == -EPIPE ? 0 : r;
}
