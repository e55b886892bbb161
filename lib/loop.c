/* SPDX-License-Identifier: ISC */
/* loop.c -- the one event loop: ports, descriptors, timers, signals. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/clock.h"
#include "vnet/err.h"
#include "vnet/loop.h"
#include "vnet/sig.h"

enum { SRC_PORT, SRC_FD, SRC_FREE };

struct src {
	int kind;
	int flags;		/* VNET_LOOP_READ / VNET_LOOP_WRITE (ports) */
	struct vnet_port *port;
	int fd;
	short events;
	int (*port_fn)(void *arg, struct vnet_port *p, struct vnet_frame *f,
		       unsigned n);
	int (*fd_fn)(void *arg, int fd, short revents);
	void *arg;
	int more;		/* a full batch last time: read again now */
	int warned;		/* the unwritten frames were logged */
	int waiting;		/* an output that took no more: POLLOUT */
	int pin, pout;		/* its entries in the poll set, -1: none */
	/* An input's frames go to these outputs only (vnet_loop_feeds());
	 * without them, to every output. */
	int feeds_set;
	unsigned nfeeds;
	struct vnet_port *feeds[VNET_LOOP_FEEDS];
	char label[96];
};

struct vnet_loop_timer {
	int flags;
	uint64_t when;
	unsigned long pass;	/* the pass it last fired in */
	int (*fn)(void *arg, struct vnet_loop_timer *t, uint64_t now);
	void *arg;
};

struct vnet_loop {
	struct src *src;
	struct pollfd *pfd;
	unsigned nsrc, cap;
	struct vnet_loop_timer **timer;
	unsigned ntimer;
	void (*sig_fn)(void *arg, int sigflags);
	void *sig_arg;
	int stop;
	unsigned long pass;
	struct vnet_err err;	/* why the run failed */
	struct vnet_err note;	/* how a run that returned 0 ended */
	int note_warn;
	struct vnet_frame f[VNET_LOOP_BATCH];
};

struct vnet_loop *vnet_loop_new(void)
{
	return calloc(1, sizeof(struct vnet_loop));
}

void vnet_loop_free(struct vnet_loop *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->ntimer; i++)
		free(l->timer[i]);
	free(l->timer);
	free(l->src);
	free(l->pfd);
	free(l);
}

static struct src *add_src(struct vnet_loop *l)
{
	struct src *s;
	struct pollfd *p;
	unsigned cap, i;

	/* A place vnet_loop_del_fd() freed first; it has no entry in the
	 * poll set, so a source that takes it during a pass waits for the
	 * next one. */
	for (i = 0; i < l->nsrc; i++) {
		if (l->src[i].kind != SRC_FREE)
			continue;
		s = &l->src[i];
		memset(s, 0, sizeof(*s));
		s->fd = -1;
		s->pin = s->pout = -1;
		return s;
	}
	if (l->nsrc == l->cap) {
		cap = l->cap ? l->cap * 2 : 4;
		if (!(s = realloc(l->src, cap * sizeof(*s))))
			return NULL;
		l->src = s;
		/* An entry for an input and one for an output a source. */
		if (!(p = realloc(l->pfd, 2 * cap * sizeof(*p))))
			return NULL;
		l->pfd = p;
		l->cap = cap;
	}
	s = &l->src[l->nsrc++];
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->pin = s->pout = -1;
	return s;
}

int vnet_loop_add_port(struct vnet_loop *l, struct vnet_port *p, int flags,
		       const char *label,
		       int (*fn)(void *arg, struct vnet_port *p,
				 struct vnet_frame *f, unsigned n),
		       void *arg)
{
	struct src *s;

	/* A port that is never read has no input to wait for or end. */
	if (vnet_port_rfd(p) < 0)
		flags &= ~VNET_LOOP_READ;
	if ((flags & VNET_LOOP_READ) && !fn)
		return -EINVAL;
	if (!(s = add_src(l)))
		return -ENOMEM;
	s->kind = SRC_PORT;
	s->flags = flags;
	s->port = p;
	s->port_fn = fn;
	s->arg = arg;
	snprintf(s->label, sizeof(s->label), "%s",
		 label ? label : vnet_port_name(p));
	return 0;
}

/* The source that reads port p, or NULL. */
static struct src *reader_of(struct vnet_loop *l, const struct vnet_port *p)
{
	for (unsigned i = 0; i < l->nsrc; i++)
		if (l->src[i].kind == SRC_PORT && l->src[i].port == p &&
		    (l->src[i].flags & VNET_LOOP_READ))
			return &l->src[i];
	return NULL;
}

int vnet_loop_feeds(struct vnet_loop *l, struct vnet_port *in,
		    struct vnet_port *out)
{
	struct src *s = reader_of(l, in);

	if (!s)
		return vnet_port_rfd(in) < 0 ? 0 : -ENOENT;
	s->feeds_set = 1;
	if (!out)
		return 0;
	if (s->nfeeds == VNET_LOOP_FEEDS)
		return -ENOSPC;
	s->feeds[s->nfeeds++] = out;
	return 0;
}

int vnet_loop_add_fd(struct vnet_loop *l, int fd, short events,
		     int (*fn)(void *arg, int fd, short revents), void *arg)
{
	struct src *s;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (!(s = add_src(l)))
		return -ENOMEM;
	s->kind = SRC_FD;
	s->fd = fd;
	s->events = events;
	s->fd_fn = fn;
	s->arg = arg;
	return 0;
}

static struct src *find_fd(struct vnet_loop *l, int fd)
{
	for (unsigned i = 0; i < l->nsrc; i++)
		if (l->src[i].kind == SRC_FD && l->src[i].fd == fd)
			return &l->src[i];
	return NULL;
}

int vnet_loop_mod_fd(struct vnet_loop *l, int fd, short events)
{
	struct src *s;

	if (fd < 0 || !(s = find_fd(l, fd)))
		return -ENOENT;
	s->events = events;
	return 0;
}

int vnet_loop_del_fd(struct vnet_loop *l, int fd)
{
	struct src *s;

	if (fd < 0 || !(s = find_fd(l, fd)))
		return -ENOENT;
	s->kind = SRC_FREE;
	s->fd = -1;
	s->more = 0;
	/* Out of the poll set: not even the rest of this pass calls it. */
	s->pin = s->pout = -1;
	return 0;
}

struct vnet_loop_timer *vnet_loop_timer_add(struct vnet_loop *l, int flags,
					    int (*fn)(void *arg,
						      struct vnet_loop_timer *t,
						      uint64_t now),
					    void *arg)
{
	struct vnet_loop_timer *t, **v;

	if (!fn) {
		errno = EINVAL;
		return NULL;
	}
	if (!(v = realloc(l->timer, (l->ntimer + 1) * sizeof(*v))))
		return NULL;
	l->timer = v;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->flags = flags;
	t->when = VNET_LOOP_OFF;
	t->fn = fn;
	t->arg = arg;
	l->timer[l->ntimer++] = t;
	return t;
}

void vnet_loop_timer_set(struct vnet_loop_timer *t, uint64_t when)
{
	t->when = when;
}

void vnet_loop_on_signal(struct vnet_loop *l,
			 void (*fn)(void *arg, int sigflags), void *arg)
{
	l->sig_fn = fn;
	l->sig_arg = arg;
}

void vnet_loop_stop(struct vnet_loop *l)
{
	l->stop = 1;
}

/* Whether timer t runs on a clock that moves while the loop waits. */
static int on_wall(const struct vnet_loop_timer *t)
{
	return (t->flags & VNET_LOOP_WALL) ||
	       vnet_clock_mode() == VNET_CLOCK_LIVE;
}

static uint64_t timer_now(const struct vnet_loop_timer *t)
{
	return t->flags & VNET_LOOP_WALL ? vnet_clock_wall() : vnet_clock_now();
}

/* The wait of a pass with nothing more ready: until the earliest
 * deadline that the passing of time can bring, in ms rounded up (an early
 * wake-up would only spin), or -1. */
static int wait_ms(const struct vnet_loop *l)
{
	uint64_t best = VNET_LOOP_OFF, now, d;

	for (unsigned i = 0; i < l->ntimer; i++) {
		const struct vnet_loop_timer *t = l->timer[i];

		if (t->when == VNET_LOOP_OFF)
			continue;
		now = timer_now(t);
		if (t->when <= now)
			return 0;
		if (on_wall(t) && t->when - now < best)
			best = t->when - now;
	}
	if (best == VNET_LOOP_OFF)
		return -1;
	d = (best + 999999) / 1000000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* Fire the due timers, earliest first, each at most once this pass. */
static int run_timers(struct vnet_loop *l)
{
	int r;

	l->pass++;
	for (;;) {
		struct vnet_loop_timer *t = NULL;
		uint64_t now = 0;

		for (unsigned i = 0; i < l->ntimer; i++) {
			struct vnet_loop_timer *c = l->timer[i];
			uint64_t n;

			if (c->when == VNET_LOOP_OFF || c->pass == l->pass)
				continue;
			n = timer_now(c);
			if (c->when <= n && (!t || c->when < t->when)) {
				t = c;
				now = n;
			}
		}
		if (!t)
			return 0;
		t->when = VNET_LOOP_OFF;
		t->pass = l->pass;
		if ((r = t->fn(t->arg, t, now)) < 0)
			return r;
		if (l->stop)
			return 0;
	}
}

/* The note of a stop that gave up on s's reader. */
static void note_unwritten(struct vnet_loop *l, struct src *s)
{
	size_t frames, bytes = vnet_port_pending(s->port, &frames);
	int signo = vnet_sig_stop_signo();

	if (s->warned)
		return;
	s->warned = 1;
	vnet_err_set(&l->note, s->label, 0,
		     "stopped by %s with %zu frame%s (%zu bytes) not written: "
		     "its reader is not reading",
		     signo == SIGINT ? "SIGINT" : "SIGTERM", frames,
		     frames == 1 ? "" : "s", bytes);
	l->note_warn = 1;
}

/* Write every output once: those that took everything so far get one
 * write of what the batch queued (nothing queued: no syscall); those
 * that took no more wait for POLLOUT.  final: the end of the run, where
 * every output is flushed, waiting (a stop gives up on a reader that is
 * not reading).  A reader that went away, or a stop that gave up on one
 * that stopped reading, ends the loop with 0. */
static int flush_outputs(struct vnet_loop *l, int final)
{
	int r;

	for (unsigned i = 0; i < l->nsrc; i++) {
		struct src *s = &l->src[i];

		if (s->kind != SRC_PORT || !(s->flags & VNET_LOOP_WRITE))
			continue;
		if (final) {
			r = vnet_port_flush(s->port);
		} else if (s->waiting) {
			continue;
		} else {
			r = vnet_port_write(s->port);
			s->waiting = !r && vnet_port_pending(s->port, NULL) &&
				     vnet_port_wfd(s->port) >= 0;
		}
		if (!r)
			continue;
		l->stop = 1;
		if (r == -EPIPE) {
			if (!vnet_err_isset(&l->note))
				vnet_err_set(&l->note, s->label, 0,
					     "closed by its reader");
		} else if (r == -ECANCELED) {
			note_unwritten(l, s);
		} else {
			return vnet_err_sys(&l->err, s->label, r);
		}
	}
	return 0;
}

/* Whether an output still holds frames. */
static int outputs_pending(const struct vnet_loop *l)
{
	for (unsigned i = 0; i < l->nsrc; i++) {
		const struct src *s = &l->src[i];

		if (s->kind == SRC_PORT && (s->flags & VNET_LOOP_WRITE) &&
		    vnet_port_pending(s->port, NULL))
			return 1;
	}
	return 0;
}

/* A stream input is not read while an output it feeds is full: its
 * writer waits (pipes block), nothing of it is dropped, and the other
 * inputs go on.  Taps and descriptors (sockets, captures) cannot wait:
 * they are always read, and what a full output has no room for is
 * dropped there. */
static int paced(const struct src *s)
{
	return s->kind == SRC_PORT && (s->flags & VNET_LOOP_READ) &&
	       !vnet_port_is_tap(s->port);
}

static int paused(const struct vnet_loop *l, const struct src *s)
{
	if (!paced(s))
		return 0;
	if (s->feeds_set) {
		for (unsigned k = 0; k < s->nfeeds; k++)
			if (vnet_port_full(s->feeds[k]))
				return 1;
		return 0;
	}
	for (unsigned i = 0; i < l->nsrc; i++) {
		const struct src *o = &l->src[i];

		if (o->kind == SRC_PORT && (o->flags & VNET_LOOP_WRITE) &&
		    vnet_port_full(o->port))
			return 1;
	}
	return 0;
}

/* Around a paced input's callback: its frames may use the reserve of
 * the outputs it feeds (stream.h vnet_sw_pace()). */
static void pace(struct vnet_loop *l, struct src *s, int on)
{
	if (!paced(s))
		return;
	if (s->feeds_set) {
		for (unsigned k = 0; k < s->nfeeds; k++)
			vnet_port_pace(s->feeds[k], on);
		return;
	}
	for (unsigned i = 0; i < l->nsrc; i++) {
		struct src *o = &l->src[i];

		if (o->kind == SRC_PORT && (o->flags & VNET_LOOP_WRITE))
			vnet_port_pace(o->port, on);
	}
}

/* A callback's result: -EPIPE and -ECANCELED end the loop as the loop's
 * own flush would. */
static int cb_result(struct vnet_loop *l, int r)
{
	if (r == -EPIPE || r == -ECANCELED) {
		l->stop = 1;
		return 0;
	}
	return r < 0 ? r : 0;
}

/* Source i's turn.  A callback may add sources (the array may move), so
 * the source is looked up again after it. */
static int read_port(struct vnet_loop *l, unsigned i)
{
	struct src *s = &l->src[i];
	int n, r;

	n = vnet_port_recv(s->port, l->f, VNET_LOOP_BATCH);
	if (n < 0) {
		if (n == -EPROTO && vnet_err_isset(vnet_port_err(s->port))) {
			l->err = *vnet_port_err(s->port);
			vnet_err_prefix(&l->err, "%s", s->label);
		} else {
			vnet_err_sys(&l->err, s->label, n);
		}
		return n;
	}
	s->more = n == VNET_LOOP_BATCH;
	if (!n)
		return 0;
	pace(l, s, 1);
	r = s->port_fn(s->arg, s->port, l->f, (unsigned)n);
	pace(l, &l->src[i], 0);
	return cb_result(l, r);
}

static int read_fd(struct vnet_loop *l, unsigned i, short revents)
{
	struct src *s = &l->src[i];
	int r = s->fd_fn(s->arg, s->fd, revents);

	l->src[i].more = r > 0;
	return cb_result(l, r);
}

/* Every stream input has ended; taps and descriptors never do. */
static int inputs_ended(const struct vnet_loop *l)
{
	int any = 0;

	for (unsigned i = 0; i < l->nsrc; i++) {
		const struct src *s = &l->src[i];

		if (s->kind != SRC_PORT || !(s->flags & VNET_LOOP_READ) ||
		    vnet_port_is_tap(s->port))
			continue;
		if (!vnet_port_eof(s->port))
			return 0;
		any = 1;
	}
	return any;
}

/* The poll set of a pass: the inputs not paused (POLLIN, or a
 * descriptor's events) and the outputs waiting for room (POLLOUT), only
 * those, so a program that waits on one full output alone is seen to. */
static unsigned poll_set(struct vnet_loop *l, int *more)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->nsrc; i++) {
		struct src *s = &l->src[i];
		int fd = -1;
		short ev = POLLIN;

		s->pin = s->pout = -1;
		if (s->kind == SRC_FREE)
			continue;
		if (s->kind == SRC_FD) {
			fd = s->fd;
			ev = s->events;
		} else if ((s->flags & VNET_LOOP_READ) && !paused(l, s)) {
			fd = vnet_port_rfd(s->port);
		}
		if (fd >= 0) {
			l->pfd[n] = (struct pollfd){ .fd = fd, .events = ev };
			s->pin = (int)n++;
			*more |= s->more;
		}
		if (s->kind == SRC_PORT && s->waiting) {
			l->pfd[n] = (struct pollfd){
				.fd = vnet_port_wfd(s->port), .events = POLLOUT
			};
			s->pout = (int)n++;
		}
	}
	return n;
}

static int pass(struct vnet_loop *l)
{
	unsigned n = l->nsrc, i, np;
	int more = 0, sig, r, woke = 0;

	np = poll_set(l, &more);
	if (vnet_sig_poll(l->pfd, np, more ? 0 : wait_ms(l)) < 0) {
		return vnet_err_sys(&l->err, "poll", errno);
	}
	sig = vnet_sig_take();
	if ((sig & (VNET_SIG_HUP | VNET_SIG_USR1)) && l->sig_fn)
		l->sig_fn(l->sig_arg, sig & (VNET_SIG_HUP | VNET_SIG_USR1));
	if (sig & VNET_SIG_STOP) {
		l->stop = 1;
		return 0;
	}
	/* Outputs with room again are written first: what they take may
	 * unpause the inputs that feed them. */
	for (i = 0; i < n; i++) {
		struct src *s = &l->src[i];

		if (s->pout >= 0 && l->pfd[s->pout].revents) {
			s->waiting = 0;
			woke = 1;
		}
	}
	if (woke && ((r = flush_outputs(l, 0)) < 0 || l->stop))
		return r;
	/* Sources added by a callback take part from the next pass on. */
	for (i = 0; i < n && !l->stop; i++) {
		struct src *s = &l->src[i];
		short rev = s->pin >= 0 ? l->pfd[s->pin].revents : 0;

		if (s->pin < 0 || !(rev || s->more))
			continue;
		/* An earlier batch of this pass may have filled an output
		 * this input feeds; what it has buffered waits (more). */
		if (paused(l, s))
			continue;
		r = s->kind == SRC_PORT ? read_port(l, i) : read_fd(l, i, rev);
		if (r < 0 || (r = flush_outputs(l, 0)) < 0)
			return r;
	}
	if (l->stop)
		return 0;
	if ((r = cb_result(l, run_timers(l))) < 0)
		return r;
	/* The inputs have ended: done once the outputs have taken what is
	 * left (each as its reader reads, none held up by another). */
	if (inputs_ended(l) && !outputs_pending(l))
		l->stop = 1;
	return 0;
}

int vnet_loop_run(struct vnet_loop *l)
{
	int r;

	l->stop = 0;
	vnet_err_clear(&l->err);
	vnet_err_clear(&l->note);
	l->note_warn = 0;
	while (!l->stop)
		if ((r = pass(l)) < 0)
			return r;
	return flush_outputs(l, 1);
}

const struct vnet_err *vnet_loop_err(const struct vnet_loop *l)
{
	return &l->err;
}

const struct vnet_err *vnet_loop_note(const struct vnet_loop *l, int *warn)
{
	if (warn)
		*warn = l->note_warn;
	return &l->note;
}
