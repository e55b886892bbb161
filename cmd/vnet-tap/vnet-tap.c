/* SPDX-License-Identifier: ISC */
/* vnet-tap -- a tap device <-> a packet stream, both directions. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet/clock.h"
#include "vnet/counter.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/port.h"
#include "vnet/sig.h"
#include "vnet/tool.h"

static const char usage[] =
	"usage: vnet-tap [-hVv] [-F pcap|pcap-ns|vde] [--mtu N] [--mac MAC]\n"
	"                [--capture | --inject] [-c COUNT] [--clock live|pcap]\n"
	"                [--stats] [--no-offload] [-u USER] TAP\n"
	"  TAP is NAME or tap:NAME[,mtu=N][,mac=M]; frames from the tap go to\n"
	"  stdout as a stream, frames of the stream on stdin go to the tap.\n";

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
	[C_TAP_SUPERFRAMES] = { "tap_superframes" },
	[C_TAP_COALESCED] = { "tap_coalesced" },
	[C_TAP_OFFLOAD_ERRORS] = { "tap_offload_errors" },
};

enum {
	OPT_MTU = 256,
	OPT_MAC,
	OPT_CAPTURE,
	OPT_INJECT,
	OPT_CLOCK,
	OPT_STATS,
	OPT_NO_OFFLOAD,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "format", required_argument, NULL, 'F' },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "capture", no_argument, NULL, OPT_CAPTURE },
	{ "inject", no_argument, NULL, OPT_INJECT },
	{ "count", required_argument, NULL, 'c' },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ "user", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

static void sync_counters(const struct vnet_port *tap,
			  const struct vnet_port *in)
{
	const struct vnet_sr_stats *s = in ? vnet_port_rstats(in) : NULL;
	const struct vnet_port_tap_stats *t = tap ? vnet_port_tstats(tap) : NULL;

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

/* The frame loop (lib/loop.c) and what its callbacks share. */
struct run {
	struct vnet_port *tap, *io;
	struct vnet_loop *l;
	uint64_t count, written;
};

/* tap -> stream */
static int on_tap(void *arg, struct vnet_port *p, struct vnet_frame *f,
		  unsigned n)
{
	struct run *ru = arg;
	unsigned i;
	int r = 0;

	(void)p;
	for (i = 0; i < n; i++) {
		struct iovec iov = { (void *)f[i].data, f[i].len };

		ctr[C_TAP_RX_FRAMES].value++;
		ctr[C_TAP_RX_BYTES].value += f[i].len;
		r = vnet_port_send(ru->io, f[i].ts_ns, &iov, 1);
		if (r == -EMSGSIZE) {
			ctr[C_OUT_OVERSIZE].value++;
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		if (ru->count && ++ru->written >= ru->count) {
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

static void on_signal(void *arg, int sig)
{
	struct run *ru = arg;

	if (sig & VNET_SIG_USR1) {
		sync_counters(ru->tap, ru->io);
		vnet_counters_print(stderr, NULL, ctr, C_MAX);
	}
}

/* Forward until stdin ends, --count frames were written, a stop signal
 * or an error: 0 or -errno (logged).  The tap never ends. */
static int run_loop(struct vnet_port *tap, struct vnet_port *io,
		    const char *ifname, uint64_t count)
{
	struct run ru = { .tap = tap, .io = io, .count = count };
	char label[64];
	int r = -ENOMEM;

	if (!(ru.l = vnet_loop_new()))
		goto out;
	snprintf(label, sizeof(label), "read tap %s", ifname);
	/* stdio twice: read as stdin, flushed as stdout, each named so. */
	if ((r = vnet_loop_add_port(ru.l, tap, VNET_LOOP_READ, label, on_tap,
				    &ru)) < 0 ||
	    (r = vnet_loop_add_port(ru.l, io, VNET_LOOP_READ, "stdin",
				    on_stream, &ru)) < 0 ||
	    (r = vnet_loop_add_port(ru.l, io, VNET_LOOP_WRITE, "stdout", NULL,
				    NULL)) < 0)
		goto out;
	vnet_loop_on_signal(ru.l, on_signal, &ru);
	r = vnet_loop_run(ru.l);
	vnet_loop_free(ru.l);
	return r;
out:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(ru.l);
	return r;
}

int main(int argc, char **argv)
{
	struct vnet_port_spec tapspec, iospec = { .kind = VNET_PORT_STDIO };
	struct vnet_port *tap = NULL, *io = NULL;
	enum vnet_stream_fmt fmt = VNET_FMT_PCAP;
	enum vnet_clock_mode clk = VNET_CLOCK_LIVE;
	unsigned seen = 0, mtu = 0;
	int verbose = VNET_LOG_WARN, stats = 0, capture = 0, inject = 0;
	int no_offload = 0;
	int has_mac = 0, c, r = 0, ret = 1;
	uint64_t count = 0;
	const char *user = NULL, *why;
	uint8_t mac[6];
	char tapbuf[64];

	vnet_log_init("vnet-tap", VNET_LOG_WARN);
	vnet_tool_set_usage(usage);
	while ((c = getopt_long(argc, argv, "hVvF:c:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			vnet_print_version();
		case 'v':
			verbose++;
			break;
		case 'F':
			vnet_opt_once(&seen, 1, "-F/--format");
			if (vnet_stream_fmt_parse(optarg, &fmt))
				vnet_usage_error("--format: unknown format '%s' "
						 "(pcap, pcap-ns or vde)", optarg);
			break;
		case OPT_MTU:
			vnet_opt_once(&seen, 2, "--mtu");
			mtu = (unsigned)vnet_opt_u64("--mtu", optarg, 68, 65521);
			break;
		case OPT_MAC:
			vnet_opt_once(&seen, 4, "--mac");
			if (vnet_mac_parse(optarg, mac) ||
			    vnet_mac_is_multicast(mac) || vnet_mac_is_zero(mac))
				vnet_usage_error("--mac: bad MAC address '%s' "
						 "(must be unicast, not zero)",
						 optarg);
			has_mac = 1;
			break;
		case OPT_CAPTURE:
			capture = 1;
			break;
		case OPT_INJECT:
			inject = 1;
			break;
		case 'c':
			vnet_opt_once(&seen, 8, "-c/--count");
			count = vnet_opt_u64("--count", optarg, 1, UINT64_MAX);
			break;
		case OPT_CLOCK:
			vnet_opt_once(&seen, 16u, "--clock");
			if (vnet_clock_parse(optarg, &clk))
				vnet_usage_error("--clock: '%s' is not live or pcap",
						 optarg);
			break;
		case OPT_STATS:
			stats = 1;
			break;
		case OPT_NO_OFFLOAD:
			no_offload = 1;
			break;
		case 'u':
			vnet_opt_once(&seen, 32u, "-u/--user");
			user = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	vnet_log_init("vnet-tap", verbose);
	if (argc - optind != 1)
		vnet_usage_error(argc - optind ? "one TAP expected"
					       : "no TAP given");
	if (capture && inject)
		vnet_usage_error("--capture and --inject exclude each other");

	/* A bare NAME means tap:NAME. */
	if (!strchr(argv[optind], ':')) {
		snprintf(tapbuf, sizeof(tapbuf), "tap:%s", argv[optind]);
		r = vnet_port_parse(tapbuf, &tapspec, &why);
	} else {
		r = vnet_port_parse(argv[optind], &tapspec, &why);
	}
	if (r)
		vnet_usage_error("%s: %s", argv[optind], why);
	if (tapspec.kind != VNET_PORT_TAP)
		vnet_usage_error("%s: not a tap port (tap:NAME)", argv[optind]);
	if (mtu)
		tapspec.mtu = mtu;
	if (has_mac) {
		memcpy(tapspec.mac, mac, 6);
		tapspec.has_mac = 1;
	}
	vnet_clock_set_mode(clk);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		return 1;
	}

	/* Acquire: the tap (privileged), then the stream. */
	if (!(tap = vnet_port_open(&tapspec,
				   (inject ? VNET_PORT_NO_READ : 0) |
				   (no_offload ? VNET_PORT_NO_OFFLOAD : 0),
				   fmt))) {
		vnet_log(VNET_LOG_ERR, "open tap %s: %s", tapspec.ifname,
			 strerror(errno));
		goto out;
	}
	if (!(io = vnet_port_open(&iospec,
				  capture ? VNET_PORT_NO_READ
					  : inject ? VNET_PORT_NO_WRITE : 0,
				  fmt))) {
		vnet_log(VNET_LOG_ERR, "open stdio stream: %s", strerror(errno));
		goto out;
	}
	if ((r = vnet_port_flush(io)) < 0) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
		goto out;
	}
	if (user && (r = vnet_drop_privileges(user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", user,
			 strerror(-r));
		goto out;
	}

	if (run_loop(tap, io, tapspec.ifname, count) < 0)
		goto out;
	ret = 0;
out:
	if (io && (r = vnet_port_flush(io)) < 0 && r != -EPIPE &&
	    r != -ECANCELED && !ret) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(-r));
		ret = 1;
	}
	sync_counters(tap, io);
	if (stats)
		vnet_counters_print(stderr, NULL, ctr, C_MAX);
	vnet_port_close(io);
	vnet_port_close(tap);
	return ret;
}
