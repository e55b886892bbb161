/* SPDX-License-Identifier: ISC */
/* gen.c -- vnet-bench gen: stamped frames to a port, paced or flat out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet-bench/bench.h"
#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/sig.h"

#define FAST_BATCH  256	 /* frames a pass flat out */
#define CATCH_UP    4096 /* most frames a late pass sends at once */
#define CLOCK_EVERY 32	 /* frames a reading of the clock stamps */

/* IMIX 7:4:1 (64, 570, 1518 bytes), interleaved. */
static const unsigned imix[12] = {64, 570, 64, 64, 570, 64,
				  64, 570, 64, 64, 570, 1518};

unsigned bench_size_of(const struct bench_conf *cf, uint64_t k)
{
	if (cf->imix)
		return imix[k % 12];
	return cf->sizes[k % cf->nsizes];
}

struct gen {
	const struct bench_conf *cf;
	struct vnet_port *out;
	struct vnet_loop *l;
	struct vnet_loop_timer *tm;
	struct vnet_tmpl *tmpl; /* one a distinct size */
	unsigned ntmpl;
	unsigned *which; /* template of each place in the schedule */
	unsigned nsched;
	uint64_t sent, bytes, start;
	double sched; /* ns after start at which the next frame is due */
};

/* ns a frame of size bytes takes at the rate. */
static double cost(const struct bench_conf *cf, unsigned size)
{
	if (cf->rate.pps > 0)
		return 1e9 / cf->rate.pps;
	return (double)size * 8.0 * 1e9 / cf->rate.bps;
}

static int paced(const struct bench_conf *cf)
{
	return cf->rate.pps > 0 || cf->rate.bps > 0;
}

static int done(const struct gen *g, uint64_t now)
{
	const struct bench_conf *cf = g->cf;

	if (cf->count && g->sent >= cf->count)
		return 1;
	if (cf->duration_ns && (now - g->start >= cf->duration_ns ||
				(paced(cf) && g->sched >= cf->duration_ns)))
		return 1;
	return 0;
}

static int on_tick(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct gen *g = arg;
	const struct bench_conf *cf = g->cf;
	unsigned n = 0, max = paced(cf) ? CATCH_UP : FAST_BATCH;
	uint64_t ts = now;
	int r;

	if (!g->start)
		g->start = now;
	while (n < max && !done(g, ts)) {
		unsigned i = (unsigned)(g->sent % g->nsched);
		struct vnet_tmpl *tp = &g->tmpl[g->which[i]];
		uint64_t rec;
		struct iovec iov;

		if (n && n % CLOCK_EVERY == 0)
			ts = vnet_clock_now();
		rec = ts;
		if (paced(cf)) {
			if (g->sched > (double)(now - g->start))
				break;
			/* The record says where the frame is in the
			 * schedule; the stamp when it was sent. */
			rec = g->start + (uint64_t)g->sched;
			g->sched += cost(cf, tp->len + VNET_FCS_LEN);
		}
		vnet_tmpl_fill(tp, &cf->t, g->sent, (uint32_t)g->sent, ts);
		iov = (struct iovec){tp->buf, tp->len};
		if ((r = vnet_port_send(g->out, rec, &iov, 1)) < 0) {
			if (r == -EPIPE || r == -ECANCELED)
				return r;
			vnet_log(VNET_LOG_ERR, "write %s: %s",
				 vnet_port_name(g->out), strerror(-r));
			return r;
		}
		g->sent++;
		g->bytes += tp->len;
		n++;
	}
	if ((r = vnet_port_write(g->out)) < 0) {
		if (r == -EPIPE || r == -ECANCELED)
			return r;
		vnet_log(VNET_LOG_ERR, "write %s: %s", vnet_port_name(g->out),
			 strerror(-r));
		return r;
	}
	if (done(g, vnet_clock_now())) {
		vnet_loop_stop(g->l);
		return 0;
	}
	if (!paced(cf) || n == max) {
		vnet_loop_timer_set(t, now);
	} else {
		/* Wake when a whole burst is due. */
		double w = g->sched;
		uint64_t k;

		for (k = 1; k < cf->burst; k++)
			w += cost(cf, bench_size_of(cf, g->sent + k));
		vnet_loop_timer_set(t, g->start + (uint64_t)w);
	}
	return 0;
}

/* The templates: one a distinct size of the schedule. */
static int build(struct gen *g)
{
	const struct bench_conf *cf = g->cf;
	struct vnet_err e;
	unsigned i, j;

	g->nsched = cf->imix ? 12 : cf->nsizes;
	if (!(g->which = calloc(g->nsched, sizeof(*g->which))) ||
	    !(g->tmpl = calloc(g->nsched, sizeof(*g->tmpl))))
		return -ENOMEM;
	for (i = 0; i < g->nsched; i++) {
		unsigned size = bench_size_of(cf, i);

		for (j = 0; j < g->ntmpl; j++)
			if (g->tmpl[j].len + VNET_FCS_LEN == size)
				break;
		if (j == g->ntmpl) {
			if (vnet_tmpl_build(&g->tmpl[j], &cf->t, size, &e) <
			    0) {
				vnet_log_err(&e, "gen");
				return -EINVAL;
			}
			g->ntmpl++;
		}
		g->which[i] = j;
	}
	return 0;
}

int bench_gen(const struct bench_conf *cf)
{
	struct gen g = {.cf = cf};
	struct vnet_err e;
	int r, ret = 1;

	if ((r = build(&g)) < 0) {
		if (r == -ENOMEM)
			vnet_log(VNET_LOG_ERR, "gen: %s", strerror(-r));
		goto out;
	}
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	if (!(g.out = vnet_port_open(
		  &cf->port,
		  VNET_PORT_NO_READ | VNET_PORT_BLOCK |
		      (cf->o.no_offload ? VNET_PORT_NO_OFFLOAD : 0),
		  cf->o.fmt, &e))) {
		vnet_log_err(&e, "open");
		goto out;
	}
	if (cf->o.user && (r = vnet_drop_privileges(cf->o.user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", cf->o.user,
			 strerror(-r));
		goto out;
	}
	r = -ENOMEM;
	if (!(g.l = vnet_loop_new()) ||
	    (r = vnet_loop_add_port(g.l, g.out, VNET_LOOP_WRITE, NULL, NULL,
				    NULL)) < 0 ||
	    !(g.tm = vnet_loop_timer_add(g.l, 0, on_tick, &g))) {
		vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
		goto out;
	}
	vnet_loop_timer_set(g.tm, vnet_clock_now());
	r = vnet_loop_run(g.l);
	vnet_log_loop(g.l, r);
	if (r < 0)
		goto out;
	vnet_log(VNET_LOG_INFO, "gen: %llu frames, %llu bytes",
		 (unsigned long long)g.sent, (unsigned long long)g.bytes);
	ret = 0;
out:
	vnet_loop_free(g.l);
	vnet_port_close(g.out);
	free(g.tmpl);
	free(g.which);
	return ret;
}
