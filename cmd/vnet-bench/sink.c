/* SPDX-License-Identifier: ISC */
/* sink.c -- vnet-bench sink: frames from a port, counted by stream. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vnet-bench/bench.h"
#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/sig.h"

struct sink {
	const struct bench_conf *cf;
	struct vnet_tally *t;
	struct vnet_loop *l;
};

static int on_frames(void *arg, struct vnet_port *p, struct vnet_frame *f,
		     unsigned n)
{
	struct sink *s = arg;
	int pcap = vnet_clock_mode() == VNET_CLOCK_PCAP;
	uint64_t now = vnet_clock_wall();
	unsigned i;

	(void)p;
	for (i = 0; i < n; i++) {
		if (pcap) {
			vnet_clock_observe(f[i].ts_ns);
			now = f[i].ts_ns;
		}
		vnet_tally_frame(s->t, f[i].data, f[i].len, now);
		/* --count is of stamped frames: a tap's own chatter does
		 * not end the run early. */
		if (s->cf->count &&
		    s->t->frames - s->t->foreign >= s->cf->count) {
			vnet_loop_stop(s->l);
			break;
		}
	}
	return 0;
}

static int on_deadline(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct sink *s = arg;

	(void)t;
	(void)now;
	vnet_loop_stop(s->l);
	return 0;
}

/* One latency in the table: us with one decimal on a terminal, else ns. */
static void lat(FILE *f, uint64_t ns, int tty)
{
	if (tty)
		fprintf(f, " %9.1f", (double)ns / 1000.0);
	else
		fprintf(f, "\t%llu", (unsigned long long)ns);
}

static double rate_of(const struct vnet_tally_stream *s)
{
	uint64_t span = s->last_rx - s->first_rx;

	/* Rate over the frames after the first: n - 1 gaps. */
	return span && s->frames > 1
		   ? (double)(s->frames - 1) * 1e9 / (double)span
		   : 0.0;
}

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99_9"};

void bench_report(FILE *f, const struct vnet_tally *t, int json, int tty)
{
	unsigned i, k;

	if (json) {
		fprintf(f,
			"{\"frames\":%llu,\"foreign\":%llu,"
			"\"foreign_bytes\":%llu,\"streams\":[",
			(unsigned long long)t->frames,
			(unsigned long long)t->foreign,
			(unsigned long long)t->foreign_bytes);
		for (i = 0; i < t->nstreams; i++) {
			const struct vnet_tally_stream *s =
			    t->by_id[t->order[i]];

			fprintf(f,
				"%s{\"stream\":%u,\"frames\":%llu,"
				"\"bytes\":%llu,\"pps\":%.1f,\"lost\":%llu,"
				"\"duplicates\":%llu,\"reordered\":%llu,"
				"\"latency_ns\":{\"min\":%llu,\"mean\":%llu",
				i ? "," : "", s->id,
				(unsigned long long)s->frames,
				(unsigned long long)s->bytes, rate_of(s),
				(unsigned long long)vnet_tally_lost(s),
				(unsigned long long)s->dups,
				(unsigned long long)s->reordered,
				(unsigned long long)(s->lat.n ? s->lat.min : 0),
				(unsigned long long)vnet_hist_mean(&s->lat));
			for (k = 0; k < 4; k++)
				fprintf(f, ",\"%s\":%llu", pct_names[k],
					(unsigned long long)vnet_hist_pct(
					    &s->lat, pcts[k]));
			fprintf(f, ",\"max\":%llu}}",
				(unsigned long long)s->lat.max);
		}
		fprintf(f, "]}\n");
		return;
	}
	if (tty)
		fprintf(f,
			"%-7s %10s %12s %10s %8s %6s %7s %9s %9s %9s %9s "
			"%9s\n",
			"stream", "frames", "bytes", "pps", "lost", "dup",
			"reorder", "p50(us)", "p90", "p99", "p99.9", "max");
	else
		fprintf(f, "stream\tframes\tbytes\tpps\tlost\tdup\treorder\t"
			   "p50_ns\tp90_ns\tp99_ns\tp99_9_ns\tmax_ns\n");
	for (i = 0; i < t->nstreams; i++) {
		const struct vnet_tally_stream *s = t->by_id[t->order[i]];

		fprintf(f,
			tty ? "%-7u %10llu %12llu %10.0f %8llu %6llu %7llu"
			    : "%u\t%llu\t%llu\t%.0f\t%llu\t%llu\t%llu",
			s->id, (unsigned long long)s->frames,
			(unsigned long long)s->bytes, rate_of(s),
			(unsigned long long)vnet_tally_lost(s),
			(unsigned long long)s->dups,
			(unsigned long long)s->reordered);
		for (k = 0; k < 4; k++)
			lat(f, vnet_hist_pct(&s->lat, pcts[k]), tty);
		lat(f, s->lat.max, tty);
		fputc('\n', f);
	}
	if (t->foreign || !t->nstreams)
		fprintf(f, tty ? "%-7s %10llu %12llu\n" : "%s\t%llu\t%llu\n",
			"foreign", (unsigned long long)t->foreign,
			(unsigned long long)t->foreign_bytes);
}

int bench_sink_loop(const struct bench_conf *cf, struct vnet_port *in,
		    struct vnet_tally *t, uint64_t count, uint64_t duration_ns)
{
	struct bench_conf c = *cf;
	struct sink s = {.cf = &c, .t = t};
	struct vnet_loop_timer *tm;
	int r = -ENOMEM;

	c.count = count;
	if (!(s.l = vnet_loop_new()) ||
	    (r = vnet_loop_add_port(s.l, in, VNET_LOOP_READ, NULL, on_frames,
				    &s)) < 0)
		goto fail;
	if (duration_ns) {
		r = -ENOMEM;
		if (!(tm = vnet_loop_timer_add(s.l, VNET_LOOP_WALL, on_deadline,
					       &s)))
			goto fail;
		vnet_loop_timer_set(tm, vnet_clock_wall() + duration_ns);
	}
	r = vnet_loop_run(s.l);
	vnet_log_loop(s.l, r);
	vnet_loop_free(s.l);
	return r;
fail:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(s.l);
	return r;
}

int bench_sink(const struct bench_conf *cf)
{
	struct vnet_tally *t = NULL;
	struct vnet_port *in = NULL;
	struct vnet_err e;
	int r, ret = 1;

	vnet_clock_set_mode(cf->o.clk);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	if (!(t = vnet_tally_new())) {
		vnet_log(VNET_LOG_ERR, "sink: %s", strerror(errno));
		goto out;
	}
	if (!(in = vnet_port_open(
		  &cf->port,
		  VNET_PORT_NO_WRITE |
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
	r = bench_sink_loop(cf, in, t, cf->count, cf->duration_ns);
	bench_report(stdout, t, cf->json, !cf->json && isatty(1));
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		goto out;
	}
	ret = r < 0;
out:
	vnet_port_close(in);
	vnet_tally_free(t);
	return ret;
}
