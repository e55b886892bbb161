/* SPDX-License-Identifier: ISC */
/* mid.c -- the frame loop of a middle program (see mid.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/clock.h"
#include "vnet/loop.h"
#include "vnet/mid.h"
#include "vnet/port.h"
#include "vnet/sig.h"

#define TICK_NS 1000000000ULL

struct vnet_mid;

/* What the loop's callback of one side needs: the frames it reads go in
 * direction dir. */
struct mid_side {
	struct vnet_mid *m;
	enum vnet_dir dir;
};

/* side[VNET_EGRESS] is the left port, side[VNET_INGRESS] the right one:
 * frames of direction d are read from in(d) and written to out(d). */
struct vnet_mid {
	struct vnet_port *side[2];
	char label[2][VNET_ERR_OBJ]; /* each side in the user's terms */
	int oneway, sink;
	enum vnet_dir dir;
	struct vnet_loop *loop;
	struct vnet_loop_timer *tick;
	struct mid_side cb[2];
	const struct vnet_mid_ops *ops;
	void *arg;
};

static int on_batch(void *arg, struct vnet_port *p, struct vnet_frame *f,
		    unsigned n);
static int on_tick(void *arg, struct vnet_loop_timer *t, uint64_t now);

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

/* Parse the spec of a side (NULL: "-"); a udp: port is refused.  0, or
 * -EINVAL with e naming the option: "--left 'bogus:x': unknown port
 * type (...)". */
static int parse_side(const char *spec, int right,
		      struct vnet_port_spec *sp, struct vnet_err *e)
{
	const char *opt = right ? "--right" : "--left";

	if (vnet_port_parse(spec ? spec : "-", sp, e) < 0) {
		vnet_err_prefix(e, "%s", opt);
		return -EINVAL;
	}
	if (sp->kind == VNET_PORT_UDP) {
		vnet_err_set(e, NULL, 0, "a middle program takes a stream, "
			     "fd:, pcap: or tap: port, not udp:");
		vnet_err_prefix(e, "%s '%s'", opt, spec);
		return -EINVAL;
	}
	return 0;
}

/* Whether c makes a one-way filter (stdin to stdout): both sides "-"
 * and no right-hand fds. */
static int is_oneway(const struct vnet_mid_config *c)
{
	return !c->sink && is_stdio(c->left) && is_stdio(c->right) &&
	       !vnet_port_right_open();
}

int vnet_mid_check(const struct vnet_mid_config *c, struct vnet_err *e)
{
	struct vnet_port_spec sp;
	int i, r, oneway = is_oneway(c);

	for (i = 0; i < (c->sink ? 1 : 2); i++) {
		if ((r = parse_side(i ? c->right : c->left, i, &sp, e)) < 0)
			return r;
		if (c->force || c->sink || oneway)
			continue;
		if ((r = vnet_port_check_tty(&sp, i ? VNET_PORT_RIGHT : 0,
					     e)) < 0)
			return r;
	}
	if (oneway && !c->force) {
		memset(&sp, 0, sizeof(sp));
		sp.kind = VNET_PORT_STDIO;
		if ((r = vnet_port_check_tty(&sp, 0, e)) < 0)
			return r;
	}
	return 0;
}

int vnet_mid_framing(const struct vnet_mid_config *c, const char **left,
		     const char **right, int *oneway)
{
	struct vnet_port_spec sp;

	*oneway = c->sink || is_oneway(c);
	if (parse_side(c->left, 0, &sp, NULL) < 0)
		return -EINVAL;
	*left = vnet_port_framing(&sp, c->fmt);
	*right = "none";
	if (c->sink)
		return 0;
	if (parse_side(c->right, 1, &sp, NULL) < 0)
		return -EINVAL;
	*right = vnet_port_framing(&sp, c->fmt);
	return 0;
}

/* Open a side from spec with flags (VNET_PORT_RIGHT: the right side); on
 * failure e names the side: as label (a one-way filter's "stdin"), or
 * as "left"/"right" and the port. */
static struct vnet_port *open_side(const char *spec, int flags,
				   const struct vnet_mid_config *c,
				   const char *label, struct vnet_err *e)
{
	struct vnet_port_spec sp;
	const char *name = flags & VNET_PORT_RIGHT ? "right" : "left";
	struct vnet_port *p;

	if (parse_side(spec, !!(flags & VNET_PORT_RIGHT), &sp, e) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (sp.kind != VNET_PORT_STDIO)
		flags &= ~VNET_PORT_RIGHT;
	if (c->no_offload)
		flags |= VNET_PORT_NO_OFFLOAD;
	if (c->on_full == VNET_ON_FULL_BLOCK)
		flags |= VNET_PORT_BLOCK;
	if ((p = vnet_port_open(&sp, flags, c->fmt, e)))
		return p;
	if (label) {
		if (e)
			snprintf(e->obj, sizeof(e->obj), "%s", label);
		vnet_err_prefix(e, "open");
	} else {
		vnet_err_prefix(e, "open %s", name);
	}
	return NULL;
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
	if ((r = vnet_mid_check(c, e)) < 0) {
		errno = -r;
		goto fail;
	}
	/* The sides in the user's terms: a one-way filter reads stdin and
	 * writes stdout, a sink reads stdin or its file; a two-way program
	 * has a left and a right side (labelled below, once open). */
	if (c->sink && (c->left_name || is_stdio(c->left))) {
		snprintf(m->label[m->dir], sizeof(m->label[0]), "%s",
			 c->left_name ? c->left_name : "stdin");
	} else if (!c->sink && is_oneway(c)) {
		snprintf(m->label[m->dir], sizeof(m->label[0]), "stdin");
		snprintf(m->label[!m->dir], sizeof(m->label[0]), "stdout");
	}
	if (c->sink) {
		/* Read one side (the left spec), write nothing. */
		m->oneway = 1;
		if (!(m->side[m->dir] =
			      open_side(c->left, VNET_PORT_NO_WRITE, c,
					m->label[m->dir][0] ? m->label[m->dir]
							    : NULL,
					e)))
			goto fail;
		if (!m->label[m->dir][0])
			snprintf(m->label[m->dir], sizeof(m->label[0]),
				 "left %s", vnet_port_name(m->side[m->dir]));
	} else if (is_oneway(c)) {
		/* A one-way filter: stdin -> stdout in direction dir.  Both
		 * ports wrap fds 0/1, each used one way. */
		m->oneway = 1;
		if (!(m->side[m->dir] = open_side("fd:0,1", VNET_PORT_NO_WRITE,
						  c, m->label[m->dir], e)) ||
		    !(m->side[!m->dir] = open_side("-", VNET_PORT_NO_READ, c,
						   m->label[!m->dir], e)))
			goto fail;
	} else {
		if (!(m->side[0] = open_side(c->left, 0, c, NULL, e)) ||
		    !(m->side[1] = open_side(c->right, VNET_PORT_RIGHT, c,
					     NULL, e)))
			goto fail;
		for (int i = 0; i < 2; i++)
			snprintf(m->label[i], sizeof(m->label[i]), "%s %s",
				 i ? "right" : "left",
				 vnet_port_name(m->side[i]));
	}
	/* Write the stream headers now, so a reader downstream sees a
	 * valid (empty) stream even if no frame ever passes. */
	for (int i = 0; i < 2; i++) {
		if (m->side[i] && (r = vnet_port_flush(m->side[i])) < 0) {
			errno = -vnet_err_sys(e, NULL, r);
			vnet_err_prefix(e, "write stream header to %s",
					m->label[i]);
			goto fail;
		}
	}
	if (c->user && (r = vnet_drop_privileges(c->user)) < 0) {
		errno = -vnet_err_sys(e, NULL, r);
		vnet_err_prefix(e, "drop privileges to %s", c->user);
		goto fail;
	}
	if (!(m->loop = vnet_loop_new()) ||
	    !(m->tick = vnet_loop_timer_add(m->loop, 0, on_tick, m))) {
		errno = -vnet_err_sys(e, NULL, errno);
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		if (!m->side[i])
			continue;
		m->cb[i].m = m;
		m->cb[i].dir = (enum vnet_dir)i;
		if ((r = vnet_loop_add_port(m->loop, m->side[i],
					    VNET_LOOP_READ | VNET_LOOP_WRITE,
					    m->label[i], on_batch,
					    &m->cb[i])) < 0) {
			errno = -vnet_err_sys(e, NULL, r);
			goto fail;
		}
	}
	/* Each side's frames go to the other side (a sink's to none). */
	for (int i = 0; i < 2; i++) {
		if (!m->side[i])
			continue;
		if ((r = vnet_loop_feeds(m->loop, m->side[i],
					 m->sink ? NULL : m->side[!i])) < 0) {
			errno = -vnet_err_sys(e, NULL, r);
			goto fail;
		}
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
	vnet_loop_free(m->loop);
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

int vnet_mid_rfd(const struct vnet_mid *m, enum vnet_dir dir)
{
	const struct vnet_port *p = m->side[dir];

	if (!p || (m->oneway && dir != m->dir))
		return -1;
	return vnet_port_rfd(p);
}

const struct vnet_sw_stats *vnet_mid_wstats(const struct vnet_mid *m,
					    enum vnet_dir dir)
{
	const struct vnet_port *p = m->side[!dir];

	if (!p || m->sink || (m->oneway && dir != m->dir))
		return NULL;
	return vnet_port_wstats(p);
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

struct vnet_loop *vnet_mid_loop(struct vnet_mid *m)
{
	return m->loop;
}

/* The tick: timers of the program, then again in a second at the latest. */
static void tick(struct vnet_mid *m, uint64_t now)
{
	if (!m->ops->tick)
		return;
	m->ops->tick(m->arg, m, now);
	vnet_loop_timer_set(m->tick, now + TICK_NS);
}

static int on_tick(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	(void)t;
	tick(arg, now);
	return 0;
}

static int on_batch(void *arg, struct vnet_port *p, struct vnet_frame *f,
		    unsigned n)
{
	struct mid_side *s = arg;
	struct vnet_mid *m = s->m;
	int r;

	(void)p;
	if ((r = m->ops->frames(m->arg, m, s->dir, f, n)) < 0)
		return r;
	/* This input has nothing more ready: the timers catch up now. */
	if (n < VNET_LOOP_BATCH)
		tick(m, vnet_clock_now());
	return 0;
}

static void on_signal(void *arg, int sigflags)
{
	struct vnet_mid *m = arg;

	if (m->ops->signal)
		m->ops->signal(m->arg, m, sigflags);
}

const struct vnet_err *vnet_mid_err(const struct vnet_mid *m)
{
	return vnet_loop_err(m->loop);
}

int vnet_mid_run(struct vnet_mid *m, const struct vnet_mid_ops *ops,
		 void *arg)
{
	m->ops = ops;
	m->arg = arg;
	vnet_loop_on_signal(m->loop, on_signal, m);
	vnet_loop_timer_set(m->tick, ops->tick ? vnet_clock_now() + TICK_NS
					       : VNET_LOOP_OFF);
	return vnet_loop_run(m->loop);
}
