/* SPDX-License-Identifier: ISC */
/* police.c -- vnet-bench police: a test stage with known faults.
 *
 * stdin to stdout, frame by frame: a token bucket of --rate frames a
 * second (--burst deep) by the frames' own timestamps, so what it passes
 * does not depend on the speed of the machine; and every K-th frame
 * dropped, sent twice, or held back behind the next one; and --delay
 * added to every timestamp (the latency a sink with --clock pcap sees).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet-bench/bench.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/sig.h"

struct police {
	const struct bench_conf *cf;
	struct vnet_port *io;
	uint64_t n, last_ts;
	double tokens, depth;
	int started;
	uint8_t held[VNET_FRAME_MAX]; /* the frame held back for a swap */
	uint32_t held_len;
	uint64_t held_ts;
	int holding;
	uint64_t passed, dropped;
};

static int out(struct police *pc, uint64_t ts, const uint8_t *d, size_t len)
{
	struct iovec iov = {(void *)d, len};
	int r = vnet_port_send(pc->io, ts + pc->cf->delay_ns, &iov, 1);

	if (r == -EMSGSIZE)
		return 0;
	if (r == 0)
		pc->passed++;
	return r;
}

/* Whether the bucket has a token for a frame at ts. */
static int bucket(struct police *pc, uint64_t ts)
{
	const struct bench_conf *cf = pc->cf;

	if (!(cf->rate.pps > 0))
		return 1;
	if (!pc->started) {
		pc->started = 1;
		pc->tokens = pc->depth;
	} else if (ts > pc->last_ts) {
		pc->tokens += (double)(ts - pc->last_ts) * cf->rate.pps / 1e9;
		if (pc->tokens > pc->depth)
			pc->tokens = pc->depth;
	}
	if (ts > pc->last_ts)
		pc->last_ts = ts;
	if (pc->tokens < 1.0)
		return 0;
	pc->tokens -= 1.0;
	return 1;
}

static int on_frames(void *arg, struct vnet_port *p, struct vnet_frame *f,
		     unsigned n)
{
	struct police *pc = arg;
	const struct bench_conf *cf = pc->cf;
	unsigned i;
	int r = 0;

	(void)p;
	for (i = 0; i < n && r >= 0; i++) {
		uint64_t k = ++pc->n;

		if ((cf->drop_every && k % cf->drop_every == 0) ||
		    !bucket(pc, f[i].ts_ns)) {
			pc->dropped++;
			continue;
		}
		if (cf->swap_every && k % cf->swap_every == 0 && !pc->holding &&
		    f[i].len <= sizeof(pc->held)) {
			memcpy(pc->held, f[i].data, f[i].len);
			pc->held_len = f[i].len;
			pc->held_ts = f[i].ts_ns;
			pc->holding = 1;
			continue;
		}
		r = out(pc, f[i].ts_ns, f[i].data, f[i].len);
		if (r >= 0 && cf->dup_every && k % cf->dup_every == 0)
			r = out(pc, f[i].ts_ns, f[i].data, f[i].len);
		if (r >= 0 && pc->holding) {
			pc->holding = 0;
			r = out(pc, pc->held_ts, pc->held, pc->held_len);
		}
	}
	if (r < 0 && r != -EPIPE && r != -ECANCELED)
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
	return r;
}

int bench_police(const struct bench_conf *cf)
{
	static struct police pc; /* the held frame: not on the stack */
	const struct vnet_port_spec sp = {.kind = VNET_PORT_STDIO};
	struct vnet_loop *l = NULL;
	struct vnet_err e;
	int r, ret = 1;

	pc = (struct police){.cf = cf};
	pc.depth = cf->burst > 1 ? (double)cf->burst : 1.0;
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	if (!(pc.io = vnet_port_open(&sp, 0, cf->o.fmt, &e))) {
		vnet_log_err(&e, "open");
		goto out;
	}
	r = -ENOMEM;
	if (!(l = vnet_loop_new()) ||
	    (r = vnet_loop_add_port(l, pc.io, VNET_LOOP_READ, "stdin",
				    on_frames, &pc)) < 0 ||
	    (r = vnet_loop_add_port(l, pc.io, VNET_LOOP_WRITE, "stdout", NULL,
				    NULL)) < 0) {
		vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
		goto out;
	}
	r = vnet_loop_run(l);
	vnet_log_loop(l, r);
	if (r < 0)
		goto out;
	/* A frame still held has no next one to follow: it goes last. */
	if (pc.holding && (r = out(&pc, pc.held_ts, pc.held, pc.held_len)) < 0)
		goto out;
	if ((r = vnet_port_flush(pc.io)) < 0 && r != -EPIPE &&
	    r != -ECANCELED) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
		goto out;
	}
	vnet_log(VNET_LOG_INFO,
		 "police: %llu frames in, %llu out, %llu dropped",
		 (unsigned long long)pc.n, (unsigned long long)pc.passed,
		 (unsigned long long)pc.dropped);
	ret = 0;
out:
	vnet_loop_free(l);
	vnet_port_close(pc.io);
	return ret;
}
