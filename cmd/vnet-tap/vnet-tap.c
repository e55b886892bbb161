/* SPDX-License-Identifier: ISC */
/* vnet-tap -- a tap device <-> a packet stream, both directions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet/afile.h"
#include "vnet/clock.h"
#include "vnet/counter.h"
#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/opt.h"
#include "vnet/pidfile.h"
#include "vnet/port.h"
#include "vnet/progress.h"
#include "vnet/sig.h"
#include "vnet/tool.h"

enum {
	C_TAP_RX_FRAMES,
	C_TAP_RX_BYTES,
	C_TAP_TX_FRAMES,
	C_TAP_TX_BYTES,
	C_TAP_TX_ERRORS,
	C_STREAM_TRUNCATED,
	C_STREAM_OVERSIZE,
	C_STREAM_RUNT,
	C_STREAM_NOT_ETHERNET,
	C_STREAM_TRAILING,
	C_OUT_OVERSIZE,
	C_OUT_QUEUE_DROPS,
	C_TAP_SUPERFRAMES,
	C_TAP_COALESCED,
	C_TAP_OFFLOAD_ERRORS,
	C_MAX
};

static struct vnet_counter ctr[C_MAX] = {
	[C_TAP_RX_FRAMES] = { "tap_rx_frames" },
	[C_TAP_RX_BYTES] = { "tap_rx_bytes" },
	[C_TAP_TX_FRAMES] = { "tap_tx_frames" },
	[C_TAP_TX_BYTES] = { "tap_tx_bytes" },
	[C_TAP_TX_ERRORS] = { "tap_tx_errors" },
	[C_STREAM_TRUNCATED] = { "stream_truncated" },
	[C_STREAM_OVERSIZE] = { "stream_oversize" },
	[C_STREAM_RUNT] = { "stream_runt" },
	[C_STREAM_NOT_ETHERNET] = { "stream_not_ethernet" },
	[C_STREAM_TRAILING] = { "stream_trailing_bytes" },
	[C_OUT_OVERSIZE] = { "out_oversize" },
	[C_OUT_QUEUE_DROPS] = { "stream_tx_queue_drops" },
	[C_TAP_SUPERFRAMES] = { "tap_superframes" },
	[C_TAP_COALESCED] = { "tap_coalesced" },
	[C_TAP_OFFLOAD_ERRORS] = { "tap_offload_errors" },
};

enum {
	OPT_MTU = 1,
	OPT_MAC,
	OPT_CAPTURE,
	OPT_INJECT,
	OPT_COUNT,
};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "mtu", .arg = "N", .key = OPT_MTU,
	  .help = "set the MTU of the tap" },
	{ .name = "mac", .arg = "MAC", .key = OPT_MAC,
	  .help = "set the MAC address of the tap" },
	{ .name = "capture", .flags = VNET_OPT_REPEAT | VNET_OPT_OR_NEXT,
	  .key = OPT_CAPTURE, .help = "only copy frames from the tap to stdout" },
	{ .name = "inject", .flags = VNET_OPT_REPEAT, .key = OPT_INJECT,
	  .help = "only copy frames from stdin to the tap" },
	{ .name = "count", .letter = 'c', .arg = "COUNT", .key = OPT_COUNT,
	  .help = "exit after COUNT frames written to stdout" },
	{ .shared = VNET_OPT_PIDFILE },
	VNET_OPT_ROWS_FRAMES,
	VNET_OPT_ROWS_CONTROL,
	{ .shared = VNET_OPT_DESCRIBE },
	VNET_OPT_ROWS_PROGRESS,
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-tap",
	.opts = opts,
	.operands = "TAP",
	.notes = "  TAP is NAME or tap:NAME[,mtu=N][,mac=M]; frames from the tap "
		 "go to\n"
		 "  stdout as a stream, frames of the stream on stdin go to the "
		 "tap.\n",
};

static void sync_counters(const struct vnet_port *tap,
			  const struct vnet_port *in)
{
	const struct vnet_sr_stats *s = in ? vnet_port_rstats(in) : NULL;
	const struct vnet_sw_stats *q = in ? vnet_port_wstats(in) : NULL;
	const struct vnet_port_tap_stats *t = tap ? vnet_port_tstats(tap) : NULL;

	if (q)
		ctr[C_OUT_QUEUE_DROPS].value = q->queue_drops;

	if (t) {
		ctr[C_TAP_SUPERFRAMES].value = t->superframes;
		ctr[C_TAP_COALESCED].value = t->coalesced;
		ctr[C_TAP_OFFLOAD_ERRORS].value = t->offload_errors;
	}

	if (!s)
		return;
	ctr[C_STREAM_TRUNCATED].value = s->truncated;
	ctr[C_STREAM_OVERSIZE].value = s->oversize;
	ctr[C_STREAM_RUNT].value = s->runt;
	ctr[C_STREAM_NOT_ETHERNET].value = s->not_ethernet;
	ctr[C_STREAM_TRAILING].value = s->trailing_bytes;
}

/* What the command line says. */
struct conf {
	struct vnet_opt_common o; /* the shared options */
	struct vnet_port_spec tap;
	int capture, inject;
	uint64_t count;
};

/* The frame loop (lib/loop.c) and what its callbacks share. */
struct run {
	struct vnet_port *tap, *io;
	struct vnet_loop *l;
	uint64_t count, written;
};

/* The ports and the control socket, for the control commands. */
struct tool {
	const struct conf *cf;
	struct vnet_port *tap, *io;
	struct vnet_pidfile *pf;
	struct vnet_ctl *ctl;
};

/* tap -> stream */
static int on_tap(void *arg, struct vnet_port *p, struct vnet_frame *f,
		  unsigned n)
{
	struct run *ru = arg;
	const struct vnet_sw_stats *q = vnet_port_wstats(ru->io);
	uint64_t drops;
	unsigned i;
	int r = 0;

	(void)p;
	for (i = 0; i < n; i++) {
		struct iovec iov = { (void *)f[i].data, f[i].len };

		ctr[C_TAP_RX_FRAMES].value++;
		ctr[C_TAP_RX_BYTES].value += f[i].len;
		drops = q->queue_drops;
		r = vnet_port_send(ru->io, f[i].ts_ns, &iov, 1);
		if (r == -EMSGSIZE) {
			ctr[C_OUT_OVERSIZE].value++;
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		/* A frame the full queue dropped was not written. */
		if (ru->count && q->queue_drops == drops &&
		    ++ru->written >= ru->count) {
			vnet_loop_stop(ru->l);
			break;
		}
	}
	if (r < 0 && r != -EPIPE && r != -ECANCELED)
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
	return r;
}

/* stream -> tap: errors of the tap are counted, not fatal */
static int on_stream(void *arg, struct vnet_port *p, struct vnet_frame *f,
		     unsigned n)
{
	struct run *ru = arg;
	unsigned i;

	(void)p;
	for (i = 0; i < n; i++) {
		struct iovec iov = { (void *)f[i].data, f[i].len };

		vnet_clock_observe(f[i].ts_ns);
		if (vnet_port_send(ru->tap, f[i].ts_ns, &iov, 1) < 0) {
			ctr[C_TAP_TX_ERRORS].value++;
			continue;
		}
		ctr[C_TAP_TX_FRAMES].value++;
		ctr[C_TAP_TX_BYTES].value += f[i].len;
	}
	if (vnet_port_flush(ru->tap) < 0)
		ctr[C_TAP_TX_ERRORS].value++;
	return 0;
}

/* ---- the control socket (vnet(7) CONTROL SOCKET) ---- */

static int ctl_counters(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	sync_counters(t->tap, t->io);
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	vnet_counters_print(vnet_ctl_out(rp), NULL, ctr, C_MAX);
	return 0;
}

static int ctl_describe(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct conf *cf = t->cf;

	(void)rq;
	vnet_ctl_about(rp);
	vnet_ctl_str(rp, "tap", cf->tap.ifname);
	vnet_ctl_str(rp, "mode", cf->capture  ? "capture"
				 : cf->inject ? "inject"
					      : "both");
	if (cf->tap.mtu)
		vnet_ctl_u64(rp, "mtu", cf->tap.mtu);
	else
		vnet_ctl_str(rp, "mtu", NULL);
	/* A tap hands over frames of its MTU and takes frames of it: it
	 * adds nothing.  Left as it is (no mtu), its MTU is not known here
	 * (vnet-pipe sets it from the chain). */
	vnet_ctl_budget(rp, &(struct vnet_ctl_budget){
				    .inner = "tap",
				    .outer = vnet_port_framing(
					    &(struct vnet_port_spec){
						    .kind = VNET_PORT_STDIO },
					    cf->o.fmt),
				    .inner_mtu = cf->tap.mtu,
				    .outer_mtu = cf->tap.mtu,
			    });
	vnet_ctl_str(rp, "format", vnet_stream_fmt_name(cf->o.fmt));
	vnet_ctl_str(rp, "offload", cf->o.no_offload ? "no" : "yes");
	if (cf->count)
		vnet_ctl_u64(rp, "count", cf->count);
	else
		vnet_ctl_str(rp, "count", NULL);
	return 0;
}

static const struct vnet_ctl_cmd ctl_cmds[] = {
	{ .name = "counters", .help = "the counters", .fn = ctl_counters },
	{ .name = "describe", .help = "the instance and its tap",
	  .fn = ctl_describe },
	{ 0 },
};

static void on_signal(void *arg, int sig)
{
	struct run *ru = arg;

	if (sig & VNET_SIG_USR1) {
		sync_counters(ru->tap, ru->io);
		vnet_counters_print(stderr, NULL, ctr, C_MAX);
	}
}

/* The status line's counts (progress.h): frames read from the tap, every
 * drop counter. */
static void progress_sample(void *arg, struct vnet_progress_sample *s)
{
	struct run *ru = arg;

	sync_counters(ru->tap, ru->io);
	s->frames = ctr[C_TAP_RX_FRAMES].value;
	s->drops = vnet_counters_drops(ctr, C_MAX);
}

/* A status line while --capture runs (--progress, --no-progress), or
 * NULL. */
static struct vnet_progress *progress_start(const struct conf *cf,
					    struct run *ru)
{
	const struct vnet_progress_config pc = {
		.fd = -1,
		.sample = progress_sample,
		.show = vnet_log_status,
		.arg = ru,
	};

	if (!vnet_log_status_wanted(cf->o.progress, cf->capture))
		return NULL;
	return vnet_progress_new(ru->l, &pc);
}

/* Forward until stdin ends, --count frames were written, a stop signal
 * or an error: 0 or -errno (logged).  The tap never ends. */
static int run_loop(struct tool *t)
{
	struct run ru = { .tap = t->tap, .io = t->io, .count = t->cf->count };
	struct vnet_port *tap = t->tap, *io = t->io;
	struct vnet_progress *pr;
	char label[64];
	int r = -ENOMEM;

	if (!(ru.l = vnet_loop_new()))
		goto out;
	if (t->ctl && (r = vnet_ctl_attach(t->ctl, ru.l)) < 0)
		goto out;
	snprintf(label, sizeof(label), "read tap %s", t->cf->tap.ifname);
	/* stdio twice: read as stdin, flushed as stdout, each named so. */
	if ((r = vnet_loop_add_port(ru.l, tap, VNET_LOOP_READ, label, on_tap,
				    &ru)) < 0 ||
	    (r = vnet_loop_add_port(ru.l, io, VNET_LOOP_READ, "stdin",
				    on_stream, &ru)) < 0 ||
	    (r = vnet_loop_add_port(ru.l, io, VNET_LOOP_WRITE, "stdout", NULL,
				    NULL)) < 0 ||
	    /* stdin goes to the tap only: a full stdout does not hold it
	     * (the tap itself cannot wait: stdout drops what it has no
	     * room for). */
	    (r = vnet_loop_feeds(ru.l, io, tap)) < 0)
		goto out;
	vnet_loop_on_signal(ru.l, on_signal, &ru);
	pr = progress_start(t->cf, &ru);
	r = vnet_loop_run(ru.l);
	vnet_progress_free(pr);
	vnet_log_loop(ru.l, r);
	vnet_loop_free(ru.l);
	return r;
out:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(ru.l);
	return r;
}

/* The command line into cf: the options, then the one TAP operand, with
 * --mtu and --mac applied to it.  A usage error exits 2. */
static void parse_args(int argc, char **argv, struct conf *cf)
{
	char tapbuf[64], buf[VNET_ERR_STRLEN];
	const char *arg, *spec;
	struct vnet_err err;
	unsigned mtu = 0;
	uint8_t mac[6];
	int c, has_mac = 0;

	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_MTU:
			mtu = (unsigned)vnet_opt_u64("--mtu", arg, 68, 65521);
			break;
		case OPT_MAC:
			if (vnet_mac_parse(arg, mac) ||
			    vnet_mac_is_multicast(mac) || vnet_mac_is_zero(mac))
				vnet_usage_error("--mac: bad MAC address '%s' "
						 "(must be unicast, not zero)",
						 arg);
			has_mac = 1;
			break;
		case OPT_CAPTURE:
			cf->capture = 1;
			break;
		case OPT_INJECT:
			cf->inject = 1;
			break;
		case OPT_COUNT:
			cf->count = vnet_opt_u64("--count", arg, 1, UINT64_MAX);
			break;
		}
	}
	if (argc - optind != 1)
		vnet_usage_error(argc - optind ? "one TAP expected"
					       : "no TAP given");
	/* A bare NAME means tap:NAME. */
	spec = argv[optind];
	if (!strchr(spec, ':')) {
		snprintf(tapbuf, sizeof(tapbuf), "tap:%s", spec);
		spec = tapbuf;
	}
	if (vnet_port_parse(spec, &cf->tap, &err))
		vnet_usage_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->tap.kind != VNET_PORT_TAP)
		vnet_usage_error("%s: not a tap port (tap:NAME)", argv[optind]);
	if (mtu)
		cf->tap.mtu = mtu;
	if (has_mac) {
		memcpy(cf->tap.mac, mac, 6);
		cf->tap.has_mac = 1;
	}
	if (cf->o.pidfile && vnet_afile_check(cf->o.pidfile, &err))
		vnet_config_error("--pidfile %s",
				  vnet_err_str(&err, buf, sizeof(buf)));
	/* The stream for stdout is binary: not for a terminal. */
	if (!cf->inject && !cf->o.force && !cf->o.describe &&
	    vnet_port_check_tty(&(struct vnet_port_spec){
				     .kind = VNET_PORT_STDIO },
				0, &err) < 0)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
}

/* Signals, the pid file, the tap (privileged), then the stream and its
 * header, the control socket, then the privileges go: 0, or -1 after
 * logging what failed. */
static int acquire(const struct conf *cf, struct tool *t)
{
	const struct vnet_ctl_config cc = {
		.program = prog.name,
		.name = cf->o.name,
		.tap = cf->tap.ifname,
		.path = cf->o.control,
		.cmds = ctl_cmds,
		.arg = t,
	};
	struct vnet_port **tap = &t->tap, **io = &t->io;
	struct vnet_pidfile **pf = &t->pf;
	const struct vnet_port_spec iospec = { .kind = VNET_PORT_STDIO };
	struct vnet_err err;
	int r;

	vnet_clock_set_mode(cf->o.clk);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		return -1;
	}
	/* First: a second instance stops here, before it takes the tap. */
	if (cf->o.pidfile && !(*pf = vnet_pidfile_open(cf->o.pidfile, &err))) {
		vnet_log_err(&err, "pidfile");
		return -1;
	}
	if (!(*tap = vnet_port_open(&cf->tap,
				    (cf->inject ? VNET_PORT_NO_READ : 0) |
				    (cf->o.no_offload ? VNET_PORT_NO_OFFLOAD
						      : 0),
				    cf->o.fmt, &err))) {
		vnet_log_err(&err, "open");
		return -1;
	}
	if (!(*io = vnet_port_open(&iospec,
				   cf->capture  ? VNET_PORT_NO_READ
				   : cf->inject ? VNET_PORT_NO_WRITE
						: 0,
				   cf->o.fmt, &err))) {
		vnet_log_err(&err, "open stream");
		return -1;
	}
	if ((r = vnet_port_flush(*io)) < 0) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
		return -1;
	}
	if (vnet_tool_ctl_open(&cc, &t->ctl) < 0)
		return -1;
	if (cf->o.user && (r = vnet_drop_privileges(cf->o.user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", cf->o.user,
			 strerror(-r));
		return -1;
	}
	return 0;
}

/* Flush the stream (an error turns ret into 1), print the counters if
 * asked, close both ports, remove the pid file; the exit status. */
static int cleanup(const struct conf *cf, struct tool *t, int ret)
{
	struct vnet_port *tap = t->tap, *io = t->io;
	struct vnet_pidfile *pf = t->pf;
	int r;

	if (io && (r = vnet_port_flush(io)) < 0 && r != -EPIPE &&
	    r != -ECANCELED && !ret) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
		ret = 1;
	}
	sync_counters(tap, io);
	if (cf->o.stats)
		vnet_counters_print(stderr, NULL, ctr, C_MAX);
	vnet_ctl_close(t->ctl);
	vnet_port_close(io);
	vnet_port_close(tap);
	if ((r = vnet_pidfile_remove(pf)) < 0)
		vnet_log(VNET_LOG_INFO, "remove pidfile %s: %s", cf->o.pidfile,
			 strerror(-r));
	return ret;
}

int main(int argc, char **argv)
{
	struct conf cf = { 0 };
	struct tool t = { .cf = &cf };
	int ret = 1;

	parse_args(argc, argv, &cf);
	if (cf.o.describe)
		return vnet_tool_describe(prog.name, ctl_cmds, &t);
	if (acquire(&cf, &t) == 0 && run_loop(&t) == 0)
		ret = 0;
	return cleanup(&cf, &t, ret);
}
