/* SPDX-License-Identifier: ISC */
/* test_loop.c -- the event loop: timers in deadline order by the one
 * clock, descriptor sources (changed and removed too), stop, end of
 * input, signals, and a stop that gives up on a reader that stopped
 * reading. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/port.h"
#include "vnet/sig.h"
#include "vnet/stream.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

/* A capture file of n frames of len bytes, frame i stamped (i + 1) s and
 * starting with byte i; its path in path (a template). */
static void make_capture(char *path, unsigned n, unsigned len)
{
	int fd = mkstemp(path);
	struct vnet_sw *w = vnet_sw_new(fd, VNET_FMT_PCAP, 0);
	static uint8_t buf[2048];

	for (unsigned i = 0; i < n; i++) {
		struct iovec v = { buf, len };

		buf[0] = (uint8_t)i;
		buf[12] = 0x08;
		vnet_sw_put(w, SEC * (i + 1), &v, 1);
	}
	vnet_sw_flush(w);
	vnet_sw_free(w);
	close(fd);
}

static struct vnet_port *open_spec(const char *spec, int flags)
{
	struct vnet_port_spec sp;

	if (vnet_port_parse(spec, &sp, NULL) < 0)
		return NULL;
	return vnet_port_open(&sp, flags, VNET_FMT_PCAP, NULL);
}

/* ---- timers ---- */

struct tctx {
	struct vnet_loop *l;
	char order[16];
	unsigned n;
	uint64_t when[16], now[16];
	int stop_after;
};

struct tmark {
	struct tctx *c;
	char name;
	uint64_t when;
};

static int on_timer(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct tmark *m = arg;
	struct tctx *c = m->c;

	(void)t;
	if (c->n < sizeof(c->order) - 1) {
		c->when[c->n] = m->when;
		c->now[c->n] = now;
		c->order[c->n++] = m->name;
	}
	if (c->stop_after && (int)c->n >= c->stop_after)
		vnet_loop_stop(c->l);
	return 0;
}

static void test_timers_in_order(void)
{
	struct tctx c = { .stop_after = 4 };
	struct tmark m[4] = {
		{ &c, 'c', 0 }, { &c, 'a', 0 }, { &c, 'b', 0 }, { &c, 'B', 0 },
	};
	uint64_t off[4] = { 60 * MS, 20 * MS, 40 * MS, 40 * MS };
	uint64_t now = vnet_clock_now(), t0 = mono_ns();
	struct vnet_loop_timer *t[4];

	vnet_clock_set_mode(VNET_CLOCK_LIVE);
	T_ASSERT((c.l = vnet_loop_new()) != NULL);
	for (int i = 0; i < 4; i++) {
		t[i] = vnet_loop_timer_add(c.l, 0, on_timer, &m[i]);
		T_ASSERT(t[i] != NULL);
		m[i].when = now + off[i];
		vnet_loop_timer_set(t[i], m[i].when);
	}
	/* With no source, the loop sleeps until each deadline. */
	T_EQ(vnet_loop_run(c.l), 0);
	c.order[c.n] = '\0';
	/* Earliest first; equal deadlines in the order added. */
	T_STREQ(c.order, "abBc");
	for (unsigned i = 0; i < c.n; i++)
		T_ASSERT(c.now[i] >= c.when[i]);
	T_ASSERT(mono_ns() - t0 >= 55 * MS);
	T_ASSERT(mono_ns() - t0 < 2 * SEC);
	vnet_loop_free(c.l);
}

/* A timer that re-arms itself: fires on time, at most once a pass. */
static int on_repeat(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct tctx *c = arg;

	c->n++;
	if (c->n == 5)
		vnet_loop_stop(c->l);
	vnet_loop_timer_set(t, now + 5 * MS);
	return 0;
}

static void test_timer_repeats(void)
{
	struct tctx c = { 0 };
	struct vnet_loop_timer *t;
	uint64_t t0 = mono_ns();

	vnet_clock_set_mode(VNET_CLOCK_LIVE);
	c.l = vnet_loop_new();
	t = vnet_loop_timer_add(c.l, 0, on_repeat, &c);
	vnet_loop_timer_set(t, 0); /* long past: at the end of the first pass */
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.n, 5);
	T_ASSERT(mono_ns() - t0 >= 20 * MS);
	vnet_loop_free(c.l);
}

/* With --clock pcap the timers go by the frames' time, checked after
 * each batch; while the input is idle they never fire on their own. */
struct pctx {
	struct tctx t;
	unsigned frames, batches;
};

static int on_pcap_frames(void *arg, struct vnet_port *p, struct vnet_frame *f,
			  unsigned n)
{
	struct pctx *c = arg;

	(void)p;
	for (unsigned i = 0; i < n; i++)
		vnet_clock_observe(f[i].ts_ns);
	c->frames += n;
	c->batches++;
	return 0;
}

static void test_timers_by_packet_time(void)
{
	char path[] = "/tmp/test_loop.XXXXXX", spec[64];
	struct pctx c;
	struct tmark m[3] = { { &c.t, 'x', 70 * SEC }, { &c.t, 'y', 2 * SEC },
			      { &c.t, 'z', 500 * SEC } };
	struct vnet_loop_timer *t;
	struct vnet_port *p;

	memset(&c, 0, sizeof(c));
	make_capture(path, 100, 60);
	snprintf(spec, sizeof(spec), "pcap:%s", path);
	vnet_clock_set_mode(VNET_CLOCK_PCAP);
	T_ASSERT((p = open_spec(spec, 0)) != NULL);
	c.t.l = vnet_loop_new();
	T_EQ(vnet_loop_add_port(c.t.l, p, VNET_LOOP_READ, NULL, on_pcap_frames,
				&c), 0);
	for (int i = 0; i < 3; i++) {
		t = vnet_loop_timer_add(c.t.l, 0, on_timer, &m[i]);
		vnet_loop_timer_set(t, m[i].when);
	}
	T_EQ(vnet_loop_run(c.t.l), 0); /* ends with the file */
	T_EQ(c.frames, 100);
	T_EQ(c.batches, 2); /* 64 + 36 */
	c.t.order[c.t.n] = '\0';
	/* y after the first batch (frames at 1..64 s), x after the second
	 * (65..100 s); z is past the end of the capture. */
	T_STREQ(c.t.order, "yx");
	T_EQ(c.t.now[0], 64 * SEC);
	T_EQ(c.t.now[1], 100 * SEC);
	vnet_loop_free(c.t.l);
	vnet_port_close(p);
	unlink(path);
	vnet_clock_set_mode(VNET_CLOCK_LIVE);
}

static int stop_timer(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	vnet_loop_stop(arg);
	return 0;
}

static void test_pcap_timer_idle(void)
{
	struct tctx c = { 0 };
	struct tmark m = { &c, 'p', 1 };
	struct vnet_loop_timer *pt, *wt;
	uint64_t t0 = mono_ns();

	vnet_clock_set_mode(VNET_CLOCK_PCAP);
	vnet_clock_observe(1000 * SEC); /* the clock stands at 1000 s */
	c.l = vnet_loop_new();
	pt = vnet_loop_timer_add(c.l, 0, on_timer, &m);
	vnet_loop_timer_set(pt, vnet_clock_now() + 1);
	/* Housekeeping on the wall clock ends it. */
	wt = vnet_loop_timer_add(c.l, VNET_LOOP_WALL, stop_timer, c.l);
	vnet_loop_timer_set(wt, vnet_clock_wall() + 30 * MS);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.n, 0);
	T_ASSERT(mono_ns() - t0 >= 25 * MS);
	vnet_loop_free(c.l);
	vnet_clock_set_mode(VNET_CLOCK_LIVE);
}

/* ---- descriptors, stop ---- */

struct fctx {
	struct vnet_loop *l;
	int calls, bytes, later;
	short revents[8];
};

static int on_fd(void *arg, int fd, short revents)
{
	struct fctx *c = arg;
	char buf[4];
	ssize_t n;

	if (c->calls < 8)
		c->revents[c->calls] = revents;
	c->calls++;
	/* Read a little at a time: say there is more while there is. */
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		c->bytes += (int)n;
	if (c->bytes == 10)
		vnet_loop_stop(c->l);
	return n == (ssize_t)sizeof(buf);
}

static int on_fd_later(void *arg, int fd, short revents)
{
	struct fctx *c = arg;

	(void)fd;
	(void)revents;
	c->later++;
	return 0;
}

static void test_fd_source_and_stop(void)
{
	struct fctx c = { 0 };
	int p[2], q[2];

	T_ASSERT(pipe(p) == 0 && pipe(q) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	T_EQ(write(p[1], "0123456789", 10), 10);
	T_EQ(write(q[1], "x", 1), 1); /* ready too, but after the stop */
	c.l = vnet_loop_new();
	T_EQ(vnet_loop_add_fd(c.l, p[0], POLLIN, on_fd, &c), 0);
	T_EQ(vnet_loop_add_fd(c.l, q[0], POLLIN, on_fd_later, &c), 0);
	T_EQ(vnet_loop_add_fd(c.l, -1, POLLIN, on_fd, &c), -EINVAL);
	T_EQ(vnet_loop_run(c.l), 0);
	/* 4 + 4 + 2 bytes in three passes; the third read stopped the loop
	 * before the other source's turn, which it had in the first two
	 * (its byte is never read, so it stays ready). */
	T_EQ(c.bytes, 10);
	T_EQ(c.calls, 3);
	T_ASSERT(c.revents[0] & POLLIN);
	T_EQ(c.later, 2);
	vnet_loop_free(c.l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* Drains the pipe at once but says "more" the first time: the second
 * call comes without waiting, with no event. */
static int on_fd_drain(void *arg, int fd, short revents)
{
	struct fctx *c = arg;
	char buf[64];

	if (c->calls < 8)
		c->revents[c->calls] = revents;
	if (read(fd, buf, sizeof(buf)) > 0)
		c->bytes++;
	if (++c->calls == 2)
		vnet_loop_stop(c->l);
	return c->calls == 1;
}

static void test_fd_more(void)
{
	struct fctx c = { 0 };
	int p[2];

	T_ASSERT(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	T_EQ(write(p[1], "abc", 3), 3);
	c.l = vnet_loop_new();
	vnet_loop_add_fd(c.l, p[0], POLLIN, on_fd_drain, &c);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.calls, 2);
	T_EQ(c.bytes, 1);
	T_ASSERT(c.revents[0] & POLLIN);
	T_EQ(c.revents[1], 0);
	vnet_loop_free(c.l);
	close(p[0]);
	close(p[1]);
}

/* A source added from a callback joins in from the next pass. */
struct actx {
	struct vnet_loop *l;
	int fd, calls;
};

static int on_added(void *arg, int fd, short revents)
{
	struct actx *c = arg;

	(void)fd;
	(void)revents;
	c->calls++;
	vnet_loop_stop(c->l);
	return 0;
}

static int add_source(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct actx *c = arg;

	(void)t;
	(void)now;
	/* Enough to make the arrays grow. */
	for (int i = 0; i < 8; i++)
		if (vnet_loop_add_fd(c->l, c->fd, POLLIN, on_added, c) < 0)
			return -ENOMEM;
	return 0;
}

static void test_add_from_callback(void)
{
	struct actx c = { 0 };
	struct vnet_loop_timer *t;
	int p[2];

	T_ASSERT(pipe(p) == 0);
	T_EQ(write(p[1], "x", 1), 1);
	c.fd = p[0];
	c.l = vnet_loop_new();
	t = vnet_loop_timer_add(c.l, 0, add_source, &c);
	vnet_loop_timer_set(t, 0);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.calls, 1); /* the first of them stopped the pass */
	vnet_loop_free(c.l);
	close(p[0]);
	close(p[1]);
}

/* A descriptor removed by another's callback is not called again, not
 * even later in the same pass; one added then takes the free place and
 * waits for the next pass. */
struct rmctx {
	struct vnet_loop *l;
	int a_calls, b_calls, c_calls, a_at_c, b_fd, c_fd;
};

static int on_c(void *arg, int fd, short revents)
{
	struct rmctx *c = arg;

	(void)fd;
	(void)revents;
	c->c_calls++;
	c->a_at_c = c->a_calls;
	vnet_loop_stop(c->l);
	return 0;
}

static int on_b(void *arg, int fd, short revents)
{
	struct rmctx *c = arg;

	(void)fd;
	(void)revents;
	c->b_calls++;
	return 0;
}

static int on_a(void *arg, int fd, short revents)
{
	struct rmctx *c = arg;

	(void)fd;
	(void)revents;
	if (!c->a_calls++) {
		T_EQ(vnet_loop_del_fd(c->l, c->b_fd), 0);
		T_EQ(vnet_loop_del_fd(c->l, c->b_fd), -ENOENT);
		T_EQ(vnet_loop_add_fd(c->l, c->c_fd, POLLIN, on_c, c), 0);
	}
	return 0;
}

static void test_del_fd(void)
{
	struct rmctx c = { 0 };
	int p[2], q[2], r[2];

	T_ASSERT(pipe(p) == 0 && pipe(q) == 0 && pipe(r) == 0);
	/* All three stay ready: nothing reads them. */
	T_EQ(write(p[1], "a", 1), 1);
	T_EQ(write(q[1], "b", 1), 1);
	T_EQ(write(r[1], "c", 1), 1);
	c.l = vnet_loop_new();
	c.b_fd = q[0];
	c.c_fd = r[0];
	T_EQ(vnet_loop_add_fd(c.l, p[0], POLLIN, on_a, &c), 0);
	T_EQ(vnet_loop_add_fd(c.l, q[0], POLLIN, on_b, &c), 0);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.b_calls, 0);
	T_EQ(c.c_calls, 1);
	T_EQ(c.a_at_c, 2); /* C came in the second pass, after A */
	/* A removes itself from its own callback. */
	T_EQ(vnet_loop_del_fd(c.l, p[0]), 0);
	T_EQ(vnet_loop_del_fd(c.l, r[0]), 0);
	T_EQ(vnet_loop_del_fd(c.l, -1), -ENOENT);
	vnet_loop_free(c.l);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
		close(r[i]);
	}
}

/* The events a descriptor waits for change from the next pass. */
static int on_writable(void *arg, int fd, short revents)
{
	struct fctx *c = arg;

	if (c->calls < 8)
		c->revents[c->calls] = revents;
	c->calls++;
	/* Now wait for input, which never comes. */
	T_EQ(vnet_loop_mod_fd(c->l, fd, POLLIN), 0);
	return 0;
}

static int stop_after(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	vnet_loop_stop(arg);
	return 0;
}

static void test_mod_fd(void)
{
	struct fctx c = { 0 };
	struct vnet_loop_timer *t;
	int p[2];

	T_ASSERT(pipe(p) == 0);
	c.l = vnet_loop_new();
	T_EQ(vnet_loop_add_fd(c.l, p[1], POLLOUT, on_writable, &c), 0);
	T_EQ(vnet_loop_mod_fd(c.l, p[0], POLLIN), -ENOENT);
	t = vnet_loop_timer_add(c.l, VNET_LOOP_WALL, stop_after, c.l);
	vnet_loop_timer_set(t, vnet_clock_wall() + 50 * MS);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.calls, 1);
	T_ASSERT(c.revents[0] & POLLOUT);
	vnet_loop_free(c.l);
	close(p[0]);
	close(p[1]);
}

static int on_fd_fail(void *arg, int fd, short revents)
{
	(void)arg;
	(void)fd;
	(void)revents;
	return -EIO;
}

static void test_callback_error(void)
{
	struct vnet_loop *l = vnet_loop_new();
	int p[2];

	T_ASSERT(pipe(p) == 0);
	T_EQ(write(p[1], "x", 1), 1);
	vnet_loop_add_fd(l, p[0], POLLIN, on_fd_fail, NULL);
	T_EQ(vnet_loop_run(l), -EIO);
	vnet_loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* ---- ports: batches, flushing, end of input ---- */

struct mctx {
	struct vnet_port *out;
	unsigned frames, batches;
	uint8_t first[256];
};

static int forward(void *arg, struct vnet_port *p, struct vnet_frame *f,
		   unsigned n)
{
	struct mctx *c = arg;

	(void)p;
	c->batches++;
	for (unsigned i = 0; i < n; i++) {
		struct iovec v = { (void *)f[i].data, f[i].len };
		int r;

		if (c->frames < sizeof(c->first))
			c->first[c->frames] = f[i].data[0];
		c->frames++;
		if ((r = vnet_port_send(c->out, f[i].ts_ns, &v, 1)) < 0)
			return r;
	}
	return 0;
}

static void test_ports_until_eof(void)
{
	char path[] = "/tmp/test_loop.XXXXXX", spec[64];
	struct mctx c = { 0 };
	struct vnet_port *in, *out;
	struct vnet_loop *l;
	struct vnet_sr *r;
	struct vnet_frame f;
	unsigned n = 0;
	int p[2];

	make_capture(path, 100, 60);
	T_ASSERT(pipe(p) == 0);
	fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	snprintf(spec, sizeof(spec), "pcap:%s", path);
	in = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "fd:%d,%d", p[0], p[1]);
	out = open_spec(spec, VNET_PORT_NO_READ);
	T_ASSERT(in && out);
	c.out = out;
	l = vnet_loop_new();
	T_EQ(vnet_loop_add_port(l, in, VNET_LOOP_READ, "in", forward, &c), 0);
	/* Never read: not an input that has to end. */
	T_EQ(vnet_loop_add_port(l, out, VNET_LOOP_READ | VNET_LOOP_WRITE,
				"out", forward, &c), 0);
	T_EQ(vnet_loop_run(l), 0);
	T_EQ(c.frames, 100);
	T_EQ(c.batches, 2);
	T_EQ(c.first[99], 99);
	/* Everything was flushed by the loop. */
	T_EQ(vnet_port_pending(out, &(size_t){ 0 }), 0);
	vnet_loop_free(l);
	vnet_port_close(in);
	vnet_port_close(out);
	close(p[1]);
	r = vnet_sr_new(p[0], 0);
	while (vnet_sr_fill(r) > 0)
		;
	while (vnet_sr_next(r, &f) == 1)
		n++;
	T_EQ(n, 100);
	vnet_sr_free(r);
	close(p[0]);
	unlink(path);
}

static void test_reader_gone(void)
{
	char path[] = "/tmp/test_loop.XXXXXX", spec[64];
	struct mctx c = { 0 };
	struct vnet_port *in, *out;
	struct vnet_loop *l;
	int p[2];

	make_capture(path, 100, 60);
	T_ASSERT(pipe(p) == 0);
	close(p[0]); /* EPIPE on the first flush */
	snprintf(spec, sizeof(spec), "pcap:%s", path);
	in = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "fd:0,%d", p[1]);
	out = open_spec(spec, VNET_PORT_NO_READ);
	c.out = out;
	l = vnet_loop_new();
	vnet_loop_add_port(l, in, VNET_LOOP_READ, "in", forward, &c);
	vnet_loop_add_port(l, out, VNET_LOOP_WRITE, "out", NULL, NULL);
	T_EQ(vnet_loop_run(l), 0);
	T_EQ(c.batches, 1); /* ended after the first batch's flush */
	vnet_loop_free(l);
	vnet_port_close(in);
	vnet_port_close(out);
	close(p[1]);
	unlink(path);
}

/* ---- backpressure: an output that is not read holds up only what
 * feeds it ---- */

/* Two directions: a (a capture file of 4 MB) goes to x, whose pipe
 * nobody reads; b (1000 frames) goes to y.  The timer closes x's reader
 * once y has taken all of b, which ends the loop (x's reader went away). */
struct bctx {
	struct mctx a, b;
	struct vnet_port *x, *y;
	int xr, yr;
	unsigned y_frames;
	int closed;
	struct vnet_sr *ysr;
};

static int watch_y(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct bctx *c = arg;
	struct vnet_frame f;

	while (vnet_sr_fill(c->ysr) > 0)
		while (vnet_sr_next(c->ysr, &f) == 1)
			c->y_frames++;
	while (vnet_sr_next(c->ysr, &f) == 1)
		c->y_frames++;
	if (c->y_frames == 1000 && !c->closed) {
		close(c->xr);
		c->closed = 1;
	}
	vnet_loop_timer_set(t, now + 5 * MS);
	return 0;
}

static void test_full_output_holds_only_its_input(void)
{
	char pa[] = "/tmp/test_loop.XXXXXX", pb[] = "/tmp/test_loop.XXXXXX";
	char spec[64];
	struct bctx c = { 0 };
	struct vnet_port *a, *b;
	struct vnet_loop_timer *t;
	struct vnet_loop *l;
	const struct vnet_err *note;
	int px[2], py[2], warn = 1;
	uint64_t t0;

	make_capture(pa, 4000, 1000);
	make_capture(pb, 1000, 60);
	T_ASSERT(pipe(px) == 0 && pipe(py) == 0);
	fcntl(py[0], F_SETFL, O_NONBLOCK);
	c.xr = px[0];
	c.ysr = vnet_sr_new(py[0], 0);
	snprintf(spec, sizeof(spec), "pcap:%s", pa);
	a = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "pcap:%s", pb);
	b = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "fd:0,%d", px[1]);
	c.x = open_spec(spec, VNET_PORT_NO_READ);
	snprintf(spec, sizeof(spec), "fd:0,%d", py[1]);
	c.y = open_spec(spec, VNET_PORT_NO_READ);
	T_ASSERT(a && b && c.x && c.y);
	c.a.out = c.x;
	c.b.out = c.y;
	l = vnet_loop_new();
	T_EQ(vnet_loop_add_port(l, a, VNET_LOOP_READ, "a", forward, &c.a), 0);
	T_EQ(vnet_loop_add_port(l, b, VNET_LOOP_READ, "b", forward, &c.b), 0);
	T_EQ(vnet_loop_add_port(l, c.x, VNET_LOOP_WRITE, "x", NULL, NULL), 0);
	T_EQ(vnet_loop_add_port(l, c.y, VNET_LOOP_WRITE, "y", NULL, NULL), 0);
	T_EQ(vnet_loop_feeds(l, a, c.x), 0);
	T_EQ(vnet_loop_feeds(l, b, c.y), 0);
	T_EQ(vnet_loop_feeds(l, c.x, c.y), 0); /* never read: nothing to do */
	for (int i = 1; i < VNET_LOOP_FEEDS; i++)
		T_EQ(vnet_loop_feeds(l, a, c.x), 0);
	T_EQ(vnet_loop_feeds(l, a, c.x), -ENOSPC);
	t = vnet_loop_timer_add(l, VNET_LOOP_WALL, watch_y, &c);
	vnet_loop_timer_set(t, 0);
	t0 = mono_ns();
	T_EQ(vnet_loop_run(l), 0);
	T_ASSERT(mono_ns() - t0 < 5 * SEC);
	/* All of b passed while x was full; a was held, none of it lost
	 * (it is a file: it waits), and it was not read to its end. */
	T_EQ(c.b.frames, 1000);
	T_EQ(c.y_frames, 1000);
	T_ASSERT(c.a.frames > 0 && c.a.frames < 4000);
	T_EQ(vnet_port_wstats(c.x)->queue_drops, 0);
	T_EQ(vnet_port_wstats(c.y)->queue_drops, 0);
	/* What x holds: the bound and some of the reserve. */
	T_ASSERT(vnet_port_pending(c.x, NULL) >= VNET_SW_QUEUE_BYTES);
	note = vnet_loop_note(l, &warn);
	T_EQ(warn, 0);
	T_ASSERT(strstr(note->obj, "x") == note->obj);
	vnet_loop_free(l);
	vnet_port_close(a);
	vnet_port_close(b);
	vnet_port_close(c.x);
	vnet_port_close(c.y);
	vnet_sr_free(c.ysr);
	close(px[1]);
	close(py[0]);
	close(py[1]);
	unlink(pa);
	unlink(pb);
}

/* A descriptor source (a socket, a capture) cannot wait: its frames
 * for an output whose reader does not read are dropped and counted,
 * and the loop goes on. */
struct dctx {
	struct vnet_loop *l;
	struct vnet_port *out;
	unsigned sent, passes;
	int xr;
};

static int on_flood(void *arg, int fd, short revents)
{
	struct dctx *c = arg;
	static uint8_t frame[1000];
	struct iovec v = { frame, sizeof(frame) };

	(void)fd;
	(void)revents;
	c->passes++;
	for (int i = 0; i < VNET_LOOP_BATCH && c->sent < 10000; i++, c->sent++)
		if (vnet_port_send(c->out, 0, &v, 1) < 0)
			return -EIO;
	if (c->sent == 10000 && c->xr >= 0) {
		/* Its reader goes away: the loop ends on the next write. */
		close(c->xr);
		c->xr = -1;
	}
	return 1;
}

static void test_unpaced_source_drops(void)
{
	struct dctx c = { 0 };
	char spec[64];
	int px[2], ev[2];
	size_t frames;

	T_ASSERT(pipe(px) == 0 && pipe(ev) == 0);
	T_EQ(write(ev[1], "x", 1), 1); /* always ready */
	c.xr = px[0];
	snprintf(spec, sizeof(spec), "fd:0,%d", px[1]);
	c.out = open_spec(spec, VNET_PORT_NO_READ);
	T_ASSERT(c.out);
	c.l = vnet_loop_new();
	T_EQ(vnet_loop_add_fd(c.l, ev[0], POLLIN, on_flood, &c), 0);
	T_EQ(vnet_loop_add_port(c.l, c.out, VNET_LOOP_WRITE, "x", NULL, NULL),
	     0);
	T_EQ(vnet_loop_run(c.l), 0);
	T_EQ(c.sent, 10000);
	/* The pipe (64 KiB) took some, the queue its bound, the rest was
	 * dropped: counted, never waited for. */
	vnet_port_pending(c.out, &frames);
	T_ASSERT(frames > 0 && frames <= VNET_SW_QUEUE_FRAMES);
	T_ASSERT(vnet_port_wstats(c.out)->queue_drops >= 10000 - 1100 - 70);
	T_ASSERT(vnet_port_wstats(c.out)->queue_drops < 10000);
	T_EQ(vnet_port_wstats(c.out)->queue_drop_bytes,
	     vnet_port_wstats(c.out)->queue_drops * 1000);
	vnet_loop_free(c.l);
	vnet_port_close(c.out);
	close(px[1]);
	close(ev[0]);
	close(ev[1]);
}

/* At the end of the inputs the loop runs on until the outputs have
 * written what they hold, as their readers read: a file input that a
 * slow reader holds up (4 MB, 200 ms late) loses nothing. */
static void test_drain_at_end(void)
{
	char path[] = "/tmp/test_loop.XXXXXX", spec[64];
	struct mctx c = { 0 };
	struct vnet_port *in, *out;
	struct vnet_loop *l;
	pid_t pid;
	int p[2], st = 0;

	/* 4 MB: more than the pipe and the queue's bound hold. */
	make_capture(path, 4000, 1000);
	T_ASSERT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		struct vnet_sr *r;
		struct vnet_frame f;
		unsigned n = 0;

		close(p[1]);
		usleep(200000);
		r = vnet_sr_new(p[0], 0);
		while (vnet_sr_fill(r) > 0)
			while (vnet_sr_next(r, &f) == 1)
				n++;
		_exit(n == 4000 ? 0 : 1);
	}
	T_ASSERT(pid > 0);
	close(p[0]);
	snprintf(spec, sizeof(spec), "pcap:%s", path);
	in = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "fd:0,%d", p[1]);
	out = open_spec(spec, VNET_PORT_NO_READ);
	T_ASSERT(in && out);
	c.out = out;
	l = vnet_loop_new();
	vnet_loop_add_port(l, in, VNET_LOOP_READ, "in", forward, &c);
	vnet_loop_add_port(l, out, VNET_LOOP_WRITE, "out", NULL, NULL);
	T_EQ(vnet_loop_run(l), 0);
	T_EQ(c.frames, 4000);
	T_EQ(vnet_port_pending(out, NULL), 0);
	T_EQ(vnet_port_wstats(out)->queue_drops, 0);
	vnet_loop_free(l);
	vnet_port_close(in);
	vnet_port_close(out);
	close(p[1]);
	T_EQ(waitpid(pid, &st, 0), pid);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(path);
}

/* ---- signals ---- */

struct sctx {
	struct vnet_loop *l;
	int flags, step;
};

static void on_sig(void *arg, int sigflags)
{
	struct sctx *c = arg;

	c->flags |= sigflags;
}

/* Raise the signals one pass at a time: each is blocked outside the
 * wait, so it arrives during the next one. */
static int raise_next(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	static const int sigs[] = { SIGUSR1, SIGHUP, SIGTERM };
	struct sctx *c = arg;

	if (c->step < 3)
		raise(sigs[c->step++]);
	vnet_loop_timer_set(t, now + 2 * MS);
	return 0;
}

static void test_signals(void)
{
	struct sctx c = { 0 };
	struct vnet_loop_timer *t;

	c.l = vnet_loop_new();
	vnet_loop_on_signal(c.l, on_sig, &c);
	t = vnet_loop_timer_add(c.l, 0, raise_next, &c);
	vnet_loop_timer_set(t, 0);
	T_EQ(vnet_loop_run(c.l), 0); /* SIGTERM ends it with 0 */
	T_EQ(c.step, 3);
	T_EQ(c.flags, VNET_SIG_USR1 | VNET_SIG_HUP);
	T_EQ(vnet_sig_stop_signo(), SIGTERM);
	vnet_loop_free(c.l);
}

/* A stop while the output pipe is full and nobody reads it: the flush
 * gives up within the grace period, the loop logs what it could not
 * write and returns 0.  (A stop is for good: the tests after this one
 * must not wait on a full pipe.) */
static void test_stop_with_stalled_reader(void)
{
	char path[] = "/tmp/test_loop.XXXXXX", spec[64];
	char logpath[] = "/tmp/test_loop.log.XXXXXX", logbuf[512] = "";
	struct mctx c = { 0 };
	struct vnet_port *in, *out;
	struct vnet_loop *l;
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGINT };
	struct itimerspec its = { .it_value = { 0, 200 * 1000000L } };
	timer_t tid;
	uint64_t t0, dt;
	const struct vnet_err *note;
	size_t frames = 0;
	int p[2], logfd, saved, warn = 0;
	ssize_t k;

	/* 4 MB of frames into a 64 KiB pipe and a 1 MiB buffer. */
	make_capture(path, 4000, 1000);
	T_ASSERT(pipe(p) == 0);
	snprintf(spec, sizeof(spec), "pcap:%s", path);
	in = open_spec(spec, 0);
	snprintf(spec, sizeof(spec), "fd:0,%d", p[1]);
	out = open_spec(spec, VNET_PORT_NO_READ);
	T_ASSERT(in && out);
	c.out = out;
	l = vnet_loop_new();
	vnet_loop_add_port(l, in, VNET_LOOP_READ, "in", forward, &c);
	vnet_loop_add_port(l, out, VNET_LOOP_WRITE, "out", NULL, NULL);

	logfd = mkstemp(logpath);
	saved = dup(2);
	dup2(logfd, 2);
	T_EQ(timer_create(CLOCK_MONOTONIC, &sev, &tid), 0);
	T_EQ(timer_settime(tid, 0, &its, NULL), 0);
	t0 = mono_ns();
	/* The input is held while the output is full; the stop ends the
	 * wait, and the final flush gives up within the grace period. */
	T_EQ(vnet_loop_run(l), 0);
	dt = mono_ns() - t0;
	/* The loop itself prints nothing; the program logs its note. */
	T_EQ(lseek(logfd, 0, SEEK_END), 0);
	note = vnet_loop_note(l, &warn);
	T_EQ(warn, 1);
	T_ASSERT(vnet_err_isset(note));
	T_ASSERT(!vnet_err_isset(vnet_loop_err(l)));
	vnet_log_loop(l, 0);
	dup2(saved, 2);
	close(saved);
	timer_delete(tid);

	T_ASSERT(dt >= 150 * MS);
	T_ASSERT(dt < 200 * MS + VNET_SIG_GRACE_MS * MS + 500 * MS);
	T_EQ(vnet_sig_stop_signo(), SIGINT);
	T_ASSERT(c.frames < 4000);
	T_ASSERT(vnet_port_pending(out, &frames) > 0);
	T_ASSERT(frames > 0);
	/* The flush after the loop gives up at once too. */
	t0 = mono_ns();
	T_EQ(vnet_port_flush(out), -ECANCELED);
	T_ASSERT(mono_ns() - t0 < 100 * MS);
	vnet_loop_free(l);

	/* One warning, naming the port and what was left, by
	 * vnet_log_loop(). */
	lseek(logfd, 0, SEEK_SET);
	k = read(logfd, logbuf, sizeof(logbuf) - 1);
	logbuf[k > 0 ? k : 0] = '\0';
	printf("# logged: %s", logbuf);
	T_ASSERT(strstr(logbuf, "test_loop: out: stopped by SIGINT with ") ==
		 logbuf);
	T_ASSERT(strstr(logbuf, " not written") != NULL);
	T_ASSERT(strchr(logbuf, '\n') == logbuf + strlen(logbuf) - 1);
	close(logfd);
	unlink(logpath);
	vnet_port_close(in);
	vnet_port_close(out);
	close(p[0]);
	close(p[1]);
	unlink(path);
	vnet_sig_take();
}

int main(void)
{
	vnet_log_init("test_loop", VNET_LOG_WARN);
	vnet_sig_init();
	T_RUN(test_timers_in_order);
	T_RUN(test_timer_repeats);
	T_RUN(test_timers_by_packet_time);
	T_RUN(test_pcap_timer_idle);
	T_RUN(test_fd_source_and_stop);
	T_RUN(test_fd_more);
	T_RUN(test_add_from_callback);
	T_RUN(test_del_fd);
	T_RUN(test_mod_fd);
	T_RUN(test_callback_error);
	T_RUN(test_ports_until_eof);
	T_RUN(test_reader_gone);
	T_RUN(test_full_output_holds_only_its_input);
	T_RUN(test_unpaced_source_drops);
	T_RUN(test_drain_at_end);
	T_RUN(test_stop_with_stalled_reader);
	T_RUN(test_signals);
	return T_DONE();
}
