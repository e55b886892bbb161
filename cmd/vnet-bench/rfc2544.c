/* SPDX-License-Identifier: ISC */
/* rfc2544.c -- vnet-bench rfc2544: throughput, latency and frame loss
 * (RFC 2544 sections 26.1-26.3) of a command placed between gen and
 * sink, one direction: gen -> CMD (stdin to stdout) -> the sink here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vnet-bench/bench.h"
#include "vnet/log.h"
#include "vnet/sig.h"

#define GRACE_NS (5 * 1000000000ULL) /* a trial's time past its end */
#define MAX_ARGS 40

/* A child starts with the signals a shell would give it. */
static void child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
}

int bench_spawn(const struct bench_conf *cf, char *const *genargs, int pids[2],
		int *rfd)
{
	int a[2] = {-1, -1}, b[2] = {-1, -1}, r = 0;

	pids[0] = pids[1] = -1;
	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0) {
		r = -errno;
		vnet_log(VNET_LOG_ERR, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pids[0] = fork()) == 0) {
		child_signals();
		if (dup2(a[1], 1) < 0)
			_exit(127);
		execv(cf->self, genargs);
		vnet_log(VNET_LOG_ERR, "run %s: %s", cf->self, strerror(errno));
		_exit(127);
	}
	if (pids[0] > 0 && (pids[1] = fork()) == 0) {
		child_signals();
		if (dup2(a[0], 0) < 0 || dup2(b[1], 1) < 0)
			_exit(127);
		/* No right-hand side: a middle program is a one-way filter. */
		close(3);
		close(4);
		unsetenv("ALTERNATE_STDIN");
		unsetenv("ALTERNATE_STDOUT");
		execvp(cf->argv[0], cf->argv);
		vnet_log(VNET_LOG_ERR, "run %s: %s", cf->argv[0],
			 strerror(errno));
		_exit(127);
	}
	if (pids[0] < 0 || pids[1] < 0) {
		r = -errno;
		vnet_log(VNET_LOG_ERR, "fork: %s", strerror(errno));
		goto out;
	}
	*rfd = b[0];
	b[0] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (a[i] >= 0)
			close(a[i]);
		if (b[i] >= 0)
			close(b[i]);
	}
	if (r < 0)
		bench_reap(pids);
	return r;
}

int bench_reap(int pids[2])
{
	int st[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		if (pids[i] <= 0)
			continue;
		/* A command whose output ended is exiting: a moment to
		 * see how (bounded, 2 s). */
		pid_t w = 0;

		for (int k = 0; k < 200 && !w; k++)
			if (!(w = waitpid(pids[i], &st[i], WNOHANG)))
				usleep(10000);
		if (w <= 0) {
			/* Still running when the sink is done: ended here,
			 * which is no failure of its own. */
			kill(pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
			st[i] = 0;
		}
		pids[i] = -1;
	}
	/* A command that exits with a status failed (127: it could not be
	 * run); one that a signal ended did not exit. */
	if (WIFEXITED(st[1]) && WEXITSTATUS(st[1]))
		return WEXITSTATUS(st[1]);
	return 0;
}

/* The gen command line of a trial, into v (MAX_ARGS) and buf. */
static void gen_args(const struct bench_conf *cf, unsigned size, double rate,
		     uint64_t count, uint64_t dur_ns, char **v, char *buf,
		     size_t n)
{
	size_t k = 0;
	int i = 0;

#define ARG(...)                                                               \
	do {                                                                   \
		v[i++] = buf + k;                                              \
		k += (size_t)snprintf(buf + k, n - k, __VA_ARGS__) + 1;        \
	} while (0)
	ARG("vnet-bench");
	ARG("gen");
	ARG("-s");
	ARG("%u", size);
	if (count) {
		ARG("-c");
		ARG("%llu", (unsigned long long)count);
	} else {
		ARG("-d");
		ARG("%llums", (unsigned long long)(dur_ns / 1000000));
	}
	if (rate > 0) {
		ARG("--rate");
		ARG("%.0f", rate);
	}
	ARG("-n");
	ARG("%u", cf->t.nflows);
	if (cf->vary_arg) {
		ARG("--vary");
		ARG("%s", cf->vary_arg);
	}
	if (cf->proto_arg) {
		ARG("--proto");
		ARG("%s", cf->proto_arg);
	}
	if (cf->t.family == AF_INET6)
		ARG("--ipv6");
	if (cf->t.has_vlan) {
		ARG("--vlan");
		ARG("%u", cf->t.vlan);
	}
	if (cf->o.fmt == VNET_FMT_VDE) {
		ARG("-F");
		ARG("vde");
	}
#undef ARG
	v[i] = NULL;
}

struct trial {
	double rate; /* offered, pps (0: flat out) */
	uint64_t sent, lost;
	double loss_pct;
	int short_of_rate; /* gen offered under 90% of the rate */
	struct vnet_tally *t;
};

/* One trial of size bytes at rate (0: flat out for the trial's time):
 * 0 or -1 (logged). */
static int trial(const struct bench_conf *cf, unsigned size, double rate,
		 struct trial *tr)
{
	char *v[MAX_ARGS], buf[1024];
	struct vnet_port_spec sp = {.kind = VNET_PORT_FD, .wfd = -1};
	struct vnet_port *in = NULL;
	struct vnet_err e;
	uint64_t count = 0;
	int pids[2], fd = -1, r, ret = -1;

	vnet_tally_free(tr->t);
	*tr = (struct trial){.rate = rate};
	if (!(tr->t = vnet_tally_new())) {
		vnet_log(VNET_LOG_ERR, "rfc2544: %s", strerror(errno));
		return -1;
	}
	if (rate > 0) {
		count = (uint64_t)(rate * (double)cf->trial_ns / 1e9);
		if (!count)
			count = 1;
	}
	gen_args(cf, size, rate, count, cf->trial_ns, v, buf, sizeof(buf));
	if (bench_spawn(cf, v, pids, &fd) < 0)
		return -1;
	sp.rfd = fd;
	if (!(in = vnet_port_open(&sp, VNET_PORT_NO_WRITE, cf->o.fmt, &e))) {
		vnet_log_err(&e, "open");
		goto out;
	}
	r = bench_sink_loop(cf, in, tr->t, 0, cf->trial_ns + GRACE_NS);
	if (r < 0)
		goto out;
	ret = 0;
out:
	vnet_port_close(in);
	if (fd >= 0)
		close(fd);
	if ((r = bench_reap(pids)) && !ret) {
		vnet_log(VNET_LOG_ERR, "rfc2544: %s exited with status %d",
			 cf->argv[0], r);
		ret = -1;
	}
	if (!ret) {
		const struct vnet_tally_stream *s = tr->t->by_id[0];

		/* Flat out, gen's count is not known here: the highest
		 * sequence number received says how many were sent. */
		tr->sent = count ? count : s ? s->max_seq + 1 : 0;
		if (!count && tr->sent)
			tr->rate =
			    (double)tr->sent * 1e9 / (double)cf->trial_ns;
		tr->lost = vnet_tally_lost_of(s, tr->sent);
		tr->loss_pct = tr->sent
				   ? 100.0 * (double)tr->lost / (double)tr->sent
				   : 100.0;
		/* A generator that could not keep the rate (a loaded
		 * machine) offered less than the trial says: the trial
		 * does not count as passed. */
		if (count && s && s->frames > 1 && s->max_tx > s->min_tx) {
			double got = (double)count * 1e9 /
				     (double)(s->max_tx - s->min_tx);

			if (got < 0.9 * rate) {
				tr->short_of_rate = 1;
				vnet_log(VNET_LOG_WARN,
					 "rfc2544: %u bytes at %.0f pps: gen "
					 "sent at %.0f pps only (the "
					 "generator is the bottleneck)",
					 size, rate, got);
			}
		}
		vnet_log(VNET_LOG_INFO,
			 "rfc2544: %u bytes at %.0f pps: %llu "
			 "sent, %llu lost (%.3f%%)",
			 size, tr->rate, (unsigned long long)tr->sent,
			 (unsigned long long)tr->lost, tr->loss_pct);
	}
	return ret;
}

struct result {
	unsigned size;
	double max, step, thr;
	unsigned trials;
	struct vnet_hist lat;
	double load[BENCH_MAX_LADDER], loss[BENCH_MAX_LADDER];
	uint64_t sent[BENCH_MAX_LADDER], lost[BENCH_MAX_LADDER];
};

static int pass(const struct bench_conf *cf, const struct trial *tr)
{
	return tr->sent && tr->loss_pct <= cf->tolerance && !tr->short_of_rate;
}

/* Throughput by binary search, latency at it, loss over the ladder. */
static int one_size(const struct bench_conf *cf, unsigned size,
		    struct result *res)
{
	struct trial tr = {0};
	double lo = 0, hi, mid;
	unsigned i;
	int ret = -1;

	res->size = size;
	vnet_hist_reset(&res->lat);
	if (cf->max_rate > 0) {
		hi = cf->max_rate;
	} else {
		if (trial(cf, size, 0, &tr) < 0)
			goto out;
		res->trials++;
		hi = tr.rate;
		if (pass(cf, &tr))
			lo = hi;
	}
	res->max = hi;
	res->step = hi * cf->resolution / 100.0;
	if (res->step < 1)
		res->step = 1;
	if (lo < hi) {
		if (trial(cf, size, hi, &tr) < 0)
			goto out;
		res->trials++;
		if (pass(cf, &tr))
			lo = hi;
	}
	while (hi - lo > res->step) {
		mid = (lo + hi) / 2;
		if (trial(cf, size, mid, &tr) < 0)
			goto out;
		res->trials++;
		if (pass(cf, &tr))
			lo = mid;
		else
			hi = mid;
	}
	res->thr = lo;
	/* Latency at the throughput (26.2). */
	if (lo > 0) {
		if (trial(cf, size, lo, &tr) < 0)
			goto out;
		if (tr.t->by_id[0])
			res->lat = tr.t->by_id[0]->lat;
	}
	/* Frame loss over the ladder (26.3), in % of the top rate. */
	for (i = 0; i < cf->nladder; i++) {
		res->load[i] = res->max * cf->ladder[i] / 100.0;
		if (trial(cf, size, res->load[i], &tr) < 0)
			goto out;
		res->loss[i] = tr.loss_pct;
		res->sent[i] = tr.sent;
		res->lost[i] = tr.lost;
	}
	ret = 0;
out:
	vnet_tally_free(tr.t);
	return ret;
}

static void report(FILE *f, const struct bench_conf *cf, const struct result *r,
		   unsigned n)
{
	static const double pc[] = {50, 90, 99, 99.9};
	unsigned i, j, k;

	if (cf->json) {
		fprintf(f,
			"{\"direction\":\"one-way\",\"tolerance_pct\":%g,"
			"\"trial_ns\":%llu,\"results\":[",
			cf->tolerance, (unsigned long long)cf->trial_ns);
		for (i = 0; i < n; i++) {
			fprintf(f,
				"%s{\"size\":%u,\"max_pps\":%.0f,"
				"\"step_pps\":%.0f,\"trials\":%u,"
				"\"throughput_pps\":%.0f,"
				"\"throughput_bps\":%.0f,\"latency_ns\":{",
				i ? "," : "", r[i].size, r[i].max, r[i].step,
				r[i].trials, r[i].thr,
				r[i].thr * r[i].size * 8);
			for (k = 0; k < 4; k++)
				fprintf(f, "\"p%g\":%llu,", pc[k],
					(unsigned long long)vnet_hist_pct(
					    &r[i].lat, pc[k]));
			fprintf(f, "\"max\":%llu},\"loss\":[",
				(unsigned long long)r[i].lat.max);
			for (j = 0; j < cf->nladder; j++)
				fprintf(f,
					"%s{\"load_pct\":%g,\"rate_pps\":%.0f,"
					"\"sent\":%llu,\"lost\":%llu,"
					"\"loss_pct\":%.3f}",
					j ? "," : "", cf->ladder[j],
					r[i].load[j],
					(unsigned long long)r[i].sent[j],
					(unsigned long long)r[i].lost[j],
					r[i].loss[j]);
			fprintf(f, "]}");
		}
		fprintf(f, "]}\n");
		return;
	}
	fprintf(f,
		"# one direction: gen -> %s -> sink; loss tolerance "
		"%g%%\n",
		cf->argv[0], cf->tolerance);
	fprintf(f, "size\tthroughput_pps\tthroughput_bps\tstep_pps\ttrials\t"
		   "p50_ns\tp90_ns\tp99_ns\tp99_9_ns\tmax_ns\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%u\t%.0f\t%.0f\t%.0f\t%u", r[i].size, r[i].thr,
			r[i].thr * r[i].size * 8, r[i].step, r[i].trials);
		for (k = 0; k < 4; k++)
			fprintf(f, "\t%llu",
				(unsigned long long)vnet_hist_pct(&r[i].lat,
								  pc[k]));
		fprintf(f, "\t%llu\n", (unsigned long long)r[i].lat.max);
	}
	if (!cf->nladder)
		return;
	fprintf(f, "\nsize\tload_pct\trate_pps\tsent\tlost\tloss_pct\n");
	for (i = 0; i < n; i++)
		for (j = 0; j < cf->nladder; j++)
			fprintf(f, "%u\t%g\t%.0f\t%llu\t%llu\t%.3f\n",
				r[i].size, cf->ladder[j], r[i].load[j],
				(unsigned long long)r[i].sent[j],
				(unsigned long long)r[i].lost[j], r[i].loss[j]);
}

int bench_rfc2544(const struct bench_conf *cf)
{
	struct result *res;
	unsigned i;
	int ret = 1;

	if ((i = (unsigned)-vnet_sig_init()) != 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror((int)i));
		return 1;
	}
	if (!(res = calloc(cf->nsizes, sizeof(*res)))) {
		vnet_log(VNET_LOG_ERR, "rfc2544: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < cf->nsizes; i++)
		if (one_size(cf, cf->sizes[i], &res[i]) < 0)
			goto out;
	report(stdout, cf, res, cf->nsizes);
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(res);
	return ret;
}
