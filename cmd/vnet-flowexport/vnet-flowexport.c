/* SPDX-License-Identifier: ISC */
/* vnet-flowexport -- an IPFIX exporter with virtual context (VNI, VLAN,
 * MACs): a pass-through stage, a pipeline sink, or on a live interface. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet/capture.h"
#include "vnet/clock.h"
#include "vnet/counter.h"
#include "vnet/flow.h"
#include "vnet/ipfix.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/mid.h"
#include "vnet/sig.h"
#include "vnet/tool.h"
#include "vnet/vxlan.h"
#include "meter.h"

static const char usage[] =
	"usage: vnet-flowexport [-hVv] [-c COLLECTOR] [--json FILE|-]\n"
	"                       [--profile standard|nfdump] [--domain N]\n"
	"                       [--active DUR] [--idle DUR] [--sample N]\n"
	"                       [--max-flows N] [--mtu N] [--template-refresh DUR]\n"
	"                       [--template-refresh-msgs N] [--decap]\n"
	"                       [--vxlan-port N]... [--vni N] [--map VLAN:VNI]...\n"
	"                       [-l LEFT] [-r RIGHT] [--dir egress|ingress] [--sink]\n"
	"                       [-i IFACE [--bpf EXPR]] [-F FMT] [--clock live|pcap]\n"
	"                       [--stats] [--no-offload] [-u USER] [FILE]\n"
	"  COLLECTOR: udp:ADDR[:PORT] (or ADDR[:PORT]) | tcp:ADDR[:PORT], port\n"
	"  4739, IPv6 in brackets.  Frames come from a two-way chain (fds 0/1\n"
	"  and 3/4) or stdin -> stdout by default, or from --sink (stdin), FILE\n"
	"  (a capture) or -i IFACE (live).\n";

enum {
	OPT_JSON = 256,
	OPT_PROFILE,
	OPT_DOMAIN,
	OPT_ACTIVE,
	OPT_IDLE,
	OPT_SAMPLE,
	OPT_MAX_FLOWS,
	OPT_MTU,
	OPT_REFRESH,
	OPT_REFRESH_MSGS,
	OPT_DECAP,
	OPT_VXLAN_PORT,
	OPT_VNI,
	OPT_MAP,
	OPT_DIR,
	OPT_SINK,
	OPT_BPF,
	OPT_CLOCK,
	OPT_STATS,
	OPT_NO_OFFLOAD,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "collector", required_argument, NULL, 'c' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "active", required_argument, NULL, OPT_ACTIVE },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "template-refresh", required_argument, NULL, OPT_REFRESH },
	{ "template-refresh-msgs", required_argument, NULL, OPT_REFRESH_MSGS },
	{ "decap", no_argument, NULL, OPT_DECAP },
	{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
	{ "vni", required_argument, NULL, OPT_VNI },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "left", required_argument, NULL, 'l' },
	{ "right", required_argument, NULL, 'r' },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "sink", no_argument, NULL, OPT_SINK },
	{ "interface", required_argument, NULL, 'i' },
	{ "bpf", required_argument, NULL, OPT_BPF },
	{ "format", required_argument, NULL, 'F' },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ "user", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

/* Options that may be given once: their bits in `seen`. */
enum {
	S_COLLECTOR = 1u << 0,
	S_JSON = 1u << 1,
	S_PROFILE = 1u << 2,
	S_DOMAIN = 1u << 3,
	S_ACTIVE = 1u << 4,
	S_IDLE = 1u << 5,
	S_SAMPLE = 1u << 6,
	S_MAX_FLOWS = 1u << 7,
	S_MTU = 1u << 8,
	S_REFRESH = 1u << 9,
	S_REFRESH_MSGS = 1u << 10,
	S_VNI = 1u << 11,
	S_LEFT = 1u << 12,
	S_RIGHT = 1u << 13,
	S_DIR = 1u << 14,
	S_IFACE = 1u << 15,
	S_BPF = 1u << 16,
	S_FORMAT = 1u << 17,
	S_CLOCK = 1u << 18,
	S_USER = 1u << 19,
};

#define DEFAULT_MAX_FLOWS 65536
#define DEFAULT_ACTIVE_NS (60 * 1000000000ULL)
#define DEFAULT_IDLE_NS (15 * 1000000000ULL)
#define DEFAULT_REFRESH_NS (60 * 1000000000ULL)
#define DEFAULT_REFRESH_MSGS 100
#define DEFAULT_MTU 1500
#define MTU_MIN 576
#define CONNECT_MS 2000

struct conf {
	const char *collector, *json, *left, *right, *iface, *bpf, *file;
	const char *user;
	struct vnet_ipfix_collector coll;
	struct vnet_ipfix_config ic;
	struct vnet_flow_config fcfg;
	unsigned mtu;
	int sink, stats, no_offload, decap, has_clock;
	enum vnet_dir dir;
	enum vnet_stream_fmt fmt;
	enum vnet_clock_mode clk;
};

static void parse_map(struct vnet_flow_classify *cls, const char *arg)
{
	char buf[64], *colon;
	uint64_t vlan, vni;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (!(colon = strchr(buf, ':')))
		vnet_usage_error("--map: '%s' is not VLAN:VNI", arg);
	*colon = '\0';
	vlan = vnet_opt_u64("--map VLAN", buf, 1, 4094);
	vni = vnet_opt_u64("--map VNI", colon + 1, 0, VNET_VNI_MAX);
	if (cls->vlan_vni[vlan] != VNET_FLOW_NO_SEGMENT)
		vnet_usage_error("--map: VLAN %llu mapped twice",
				 (unsigned long long)vlan);
	cls->vlan_vni[vlan] = (uint32_t)vni;
}

static void add_port(struct vnet_flow_classify *cls, const char *arg)
{
	uint16_t port = (uint16_t)vnet_opt_u64("--vxlan-port", arg, 1, 65535);
	unsigned i;

	for (i = 0; i < cls->nports; i++)
		if (cls->vxlan_ports[i] == port)
			vnet_usage_error("--vxlan-port %u given twice", port);
	if (cls->nports == VNET_FLOW_VXLAN_PORTS)
		vnet_usage_error("--vxlan-port: at most %d ports",
				 VNET_FLOW_VXLAN_PORTS);
	cls->vxlan_ports[cls->nports++] = port;
}

static int is_stdio(const char *spec)
{
	return !spec || !strcmp(spec, "-");
}

/* Parse and validate the command line into cf and mt's classifier. */
static void parse_args(int argc, char **argv, struct conf *cf,
		       struct meter *mt, int *verbose)
{
	const char *why;
	unsigned seen = 0;
	int c, sources;

	while ((c = getopt_long(argc, argv, "hVvc:l:r:i:F:u:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			vnet_print_version();
		case 'v':
			(*verbose)++;
			break;
		case 'c':
			vnet_opt_once(&seen, S_COLLECTOR, "-c/--collector");
			if (vnet_ipfix_collector_parse(optarg, &cf->coll, &why))
				vnet_usage_error("-c '%s': %s", optarg, why);
			cf->collector = optarg;
			break;
		case OPT_JSON:
			vnet_opt_once(&seen, S_JSON, "--json");
			if (!*optarg)
				vnet_usage_error("--json: give a file or - "
						 "(stdout)");
			cf->json = optarg;
			break;
		case OPT_PROFILE:
			vnet_opt_once(&seen, S_PROFILE, "--profile");
			if (vnet_ipfix_profile_parse(optarg, &cf->ic.profile))
				vnet_usage_error("--profile: '%s' is not standard "
						 "or nfdump", optarg);
			break;
		case OPT_DOMAIN:
			vnet_opt_once(&seen, S_DOMAIN, "--domain");
			cf->ic.domain = (uint32_t)vnet_opt_u64("--domain", optarg,
							      0, UINT32_MAX);
			break;
		case OPT_ACTIVE:
			vnet_opt_once(&seen, S_ACTIVE, "--active");
			cf->fcfg.active_ns = vnet_opt_duration("--active", optarg);
			break;
		case OPT_IDLE:
			vnet_opt_once(&seen, S_IDLE, "--idle");
			cf->fcfg.idle_ns = vnet_opt_duration("--idle", optarg);
			break;
		case OPT_SAMPLE:
			vnet_opt_once(&seen, S_SAMPLE, "--sample");
			cf->fcfg.sample_n = (uint32_t)vnet_opt_u64(
				"--sample", optarg, 1, UINT32_MAX);
			break;
		case OPT_MAX_FLOWS:
			vnet_opt_once(&seen, S_MAX_FLOWS, "--max-flows");
			cf->fcfg.max_flows = (uint32_t)vnet_opt_u64(
				"--max-flows", optarg, 1, VNET_FLOW_MAX);
			break;
		case OPT_MTU:
			vnet_opt_once(&seen, S_MTU, "--mtu");
			cf->mtu = (unsigned)vnet_opt_u64("--mtu", optarg, MTU_MIN,
							 65535);
			break;
		case OPT_REFRESH:
			vnet_opt_once(&seen, S_REFRESH, "--template-refresh");
			cf->ic.refresh_ns =
				vnet_opt_duration("--template-refresh", optarg);
			break;
		case OPT_REFRESH_MSGS:
			vnet_opt_once(&seen, S_REFRESH_MSGS,
				      "--template-refresh-msgs");
			cf->ic.refresh_msgs = (uint32_t)vnet_opt_u64(
				"--template-refresh-msgs", optarg, 0,
				UINT32_MAX);
			break;
		case OPT_DECAP:
			cf->decap = 1;
			break;
		case OPT_VXLAN_PORT:
			add_port(&mt->cls, optarg);
			break;
		case OPT_VNI:
			vnet_opt_once(&seen, S_VNI, "--vni");
			mt->cls.vlan_vni[0] = (uint32_t)vnet_opt_u64(
				"--vni", optarg, 0, VNET_VNI_MAX);
			break;
		case OPT_MAP:
			parse_map(&mt->cls, optarg);
			break;
		case 'l':
			vnet_opt_once(&seen, S_LEFT, "-l/--left");
			cf->left = optarg;
			break;
		case 'r':
			vnet_opt_once(&seen, S_RIGHT, "-r/--right");
			cf->right = optarg;
			break;
		case OPT_DIR:
			vnet_opt_once(&seen, S_DIR, "--dir");
			if (vnet_dir_parse(optarg, &cf->dir))
				vnet_usage_error("--dir: '%s' is not egress or "
						 "ingress", optarg);
			break;
		case OPT_SINK:
			cf->sink = 1;
			break;
		case 'i':
			vnet_opt_once(&seen, S_IFACE, "-i/--interface");
			if (!*optarg)
				vnet_usage_error("-i: no interface name");
			cf->iface = optarg;
			break;
		case OPT_BPF:
			vnet_opt_once(&seen, S_BPF, "--bpf");
			cf->bpf = optarg;
			break;
		case 'F':
			vnet_opt_once(&seen, S_FORMAT, "-F/--format");
			if (vnet_stream_fmt_parse(optarg, &cf->fmt))
				vnet_usage_error("--format: unknown format '%s' "
						 "(pcap, pcap-ns or vde)", optarg);
			break;
		case OPT_CLOCK:
			vnet_opt_once(&seen, S_CLOCK, "--clock");
			if (vnet_clock_parse(optarg, &cf->clk))
				vnet_usage_error("--clock: '%s' is not live or pcap",
						 optarg);
			cf->has_clock = 1;
			break;
		case OPT_STATS:
			cf->stats = 1;
			break;
		case OPT_NO_OFFLOAD:
			cf->no_offload = 1;
			break;
		case 'u':
			vnet_opt_once(&seen, S_USER, "-u/--user");
			cf->user = optarg;
			break;
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (argc - optind > 1)
		vnet_usage_error("one FILE at most ('%s' is one too many)",
				 argv[optind + 1]);
	if (argc - optind == 1)
		cf->file = argv[optind];

	sources = !!cf->sink + !!cf->file + !!cf->iface;
	if (sources > 1)
		vnet_usage_error("give one source of frames: --sink, FILE or "
				 "-i IFACE");
	if (sources && (cf->left || cf->right))
		vnet_usage_error("-l/-r are the sides of a pass-through stage; "
				 "not with --sink, FILE or -i");
	if (cf->bpf && !cf->iface)
		vnet_usage_error("--bpf filters a live capture: it needs "
				 "-i IFACE");
	if (!cf->collector && !cf->json)
		vnet_usage_error("nothing to export to: give -c COLLECTOR "
				 "and/or --json FILE");
	if (cf->json && !strcmp(cf->json, "-") && !sources &&
	    is_stdio(cf->left))
		vnet_usage_error("--json -: stdout carries the frames of a "
				 "pass-through stage; give --json FILE, or "
				 "--sink");
	if (mt->cls.nports && !cf->decap)
		vnet_usage_error("--vxlan-port is the port --decap "
				 "decapsulates: add --decap");
	if (cf->decap && !mt->cls.nports)
		mt->cls.vxlan_ports[mt->cls.nports++] = VNET_VXLAN_PORT;
	if (cf->collector) {
		size_t hdrs = cf->coll.addr.family == AF_INET6
				      ? VNET_IP6_HLEN + VNET_UDP_HLEN
				      : VNET_IP4_HLEN + VNET_UDP_HLEN;

		cf->ic.msg_max = cf->mtu - hdrs;
	}
	if (!cf->has_clock)
		cf->clk = cf->file ? VNET_CLOCK_PCAP : VNET_CLOCK_LIVE;
}

static int on_frames(void *arg, struct vnet_mid *m, enum vnet_dir dir,
		     struct vnet_frame *f, unsigned n)
{
	struct meter *mt = arg;

	(void)m;
	return meter_frames(mt, dir, f, n);
}

static void print_counters(struct meter *mt)
{
	meter_sync(mt);
	vnet_counters_print(stderr, NULL, mt->ctr, C_MAX);
}

static void on_signal(void *arg, struct vnet_mid *m, int sig)
{
	(void)m;
	if (sig & VNET_SIG_USR1)
		print_counters(arg);
	if (sig & VNET_SIG_HUP)
		vnet_log(VNET_LOG_INFO, "SIGHUP: nothing to reload");
}

static void on_tick(void *arg, struct vnet_mid *m, uint64_t now)
{
	(void)m;
	meter_tick(arg, now);
}

/* TCP progress toward the collector (connecting, retrying, writing the
 * queue) four times a second by the wall clock, also when the packet
 * clock stands still on an idle input. */
#define IPFIX_POLL_NS 250000000ULL

static int on_ipfix_poll(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct meter *mt = arg;

	vnet_ipfix_poll(mt->ipfix);
	vnet_loop_timer_set(t, now + IPFIX_POLL_NS);
	return 0;
}

/* The timers of the meter that the mid's tick does not cover. */
static int add_timers(struct meter *mt, struct vnet_loop *l)
{
	struct vnet_loop_timer *t;

	if (!mt->ipfix)
		return 0;
	if (!(t = vnet_loop_timer_add(l, VNET_LOOP_WALL, on_ipfix_poll, mt)))
		return -errno;
	vnet_loop_timer_set(t, vnet_clock_wall() + IPFIX_POLL_NS);
	return 0;
}

/* -i IFACE: the capture handle on the loop. */
struct capture_run {
	struct meter *mt;
	struct vnet_loop_timer *tick;
};

static int capture_tick(struct capture_run *cr, uint64_t now)
{
	vnet_loop_timer_set(cr->tick, now + 1000000000ULL);
	return meter_tick(cr->mt, now);
}

static int on_capture_tick(void *arg, struct vnet_loop_timer *t,
			   uint64_t now)
{
	(void)t;
	return capture_tick(arg, now);
}

static int on_capture(void *arg, int fd, short revents)
{
	struct capture_run *cr = arg;
	struct vnet_frame f[VNET_CAPTURE_BATCH];
	int n, r;

	(void)fd;
	(void)revents;
	n = vnet_capture_read(cr->mt->cap, f, VNET_CAPTURE_BATCH);
	if (n < 0) {
		vnet_log(VNET_LOG_ERR, "capture: %s",
			 vnet_capture_error(cr->mt->cap));
		return n;
	}
	if (n && (r = meter_frames(cr->mt, VNET_EGRESS, f, (unsigned)n)) < 0)
		return r;
	if (n == VNET_CAPTURE_BATCH)
		return 1;
	/* Nothing more ready: the timers catch up now. */
	return capture_tick(cr, vnet_clock_now());
}

static void on_capture_signal(void *arg, int sig)
{
	on_signal(arg, NULL, sig);
}

static int run_capture(struct meter *mt)
{
	struct capture_run cr = { .mt = mt };
	struct vnet_loop *l;
	int r = -ENOMEM;

	if (!(l = vnet_loop_new()) ||
	    !(cr.tick = vnet_loop_timer_add(l, 0, on_capture_tick, &cr)))
		goto fail;
	if ((r = vnet_loop_add_fd(l, vnet_capture_fd(mt->cap), POLLIN,
				  on_capture, &cr)) < 0 ||
	    (r = add_timers(mt, l)) < 0)
		goto fail;
	vnet_loop_timer_set(cr.tick, vnet_clock_now() + 1000000000ULL);
	vnet_loop_on_signal(l, on_capture_signal, mt);
	r = vnet_loop_run(l);
	vnet_loop_free(l);
	return r;
fail:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(l);
	return r;
}

int main(int argc, char **argv)
{
	static struct meter mt;
	struct conf cf = {
		.ic = { .domain = 1,
			.refresh_ns = DEFAULT_REFRESH_NS,
			.refresh_msgs = DEFAULT_REFRESH_MSGS },
		.fcfg = { .max_flows = DEFAULT_MAX_FLOWS,
			  .active_ns = DEFAULT_ACTIVE_NS,
			  .idle_ns = DEFAULT_IDLE_NS,
			  .sample_n = 1 },
		.mtu = DEFAULT_MTU,
		.fmt = VNET_FMT_PCAP,
	};
	const struct vnet_mid_ops ops = {
		.frames = on_frames, .signal = on_signal, .tick = on_tick,
	};
	struct vnet_mid_config mc;
	struct vnet_mid *mid = NULL;
	char cbuf[96], err[512], *filespec = NULL;
	const char *what;
	int verbose = VNET_LOG_WARN, r, ret = 1;

	vnet_log_init("vnet-flowexport", VNET_LOG_WARN);
	vnet_tool_set_usage(usage);
	vnet_flow_classify_init(&mt.cls);
	parse_args(argc, argv, &cf, &mt, &verbose);
	vnet_log_init("vnet-flowexport", verbose);
	vnet_clock_set_mode(cf.clk);
	meter_init_counters(&mt);
	mt.pcap_clock = cf.clk == VNET_CLOCK_PCAP;
	mt.sink = cf.sink || cf.file || cf.iface;

	cf.fcfg.expired = meter_export;
	cf.fcfg.arg = &mt;
	cf.ic.sample_n = cf.fcfg.sample_n;
	if (!(mt.fc = vnet_flow_new(&cf.fcfg)))
		vnet_config_error("flow cache of %u flows: %s",
				  cf.fcfg.max_flows, strerror(errno));
	vnet_log(VNET_LOG_INFO, "flow cache: %u flows of %zu bytes, %s clock",
		 cf.fcfg.max_flows, vnet_flow_entry_size(),
		 mt.pcap_clock ? "pcap" : "live");
	/* Replays decide the same way every time (the expiry order does not
	 * depend on the seed, but the probe lengths do). */
	if (mt.pcap_clock)
		vnet_flow_set_seed(mt.fc, 0x766e6574u);
	if (cf.collector && !(mt.ipfix = vnet_ipfix_new(&cf.ic)))
		vnet_config_error("--mtu %u: messages of %zu bytes are too "
				  "small for the templates", cf.mtu,
				  cf.ic.msg_max);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}

	/* Acquire: outputs, then the source (which may drop privileges). */
	if (cf.json) {
		mt.json_name = strcmp(cf.json, "-") ? cf.json : "stdout";
		mt.json = strcmp(cf.json, "-") ? fopen(cf.json, "w") : stdout;
		if (!mt.json) {
			vnet_log(VNET_LOG_ERR, "open --json %s: %s", cf.json,
				 strerror(errno));
			goto out;
		}
		setvbuf(mt.json, NULL, _IOFBF, 1 << 16);
	}
	if (mt.ipfix) {
		vnet_ipfix_collector_fmt(&cf.coll, cbuf, sizeof(cbuf));
		r = vnet_ipfix_connect(mt.ipfix, &cf.coll, CONNECT_MS);
		if (r < 0) {
			vnet_log(VNET_LOG_ERR, "collector %s: %s", cbuf,
				 strerror(-r));
			goto out;
		}
		if (r > 0 || vnet_ipfix_error(mt.ipfix))
			vnet_log(VNET_LOG_WARN, "collector %s: %s (%s)", cbuf,
				 strerror(vnet_ipfix_error(mt.ipfix)
						  ? vnet_ipfix_error(mt.ipfix)
						  : EINPROGRESS),
				 cf.coll.proto == VNET_IPFIX_TCP
					 ? "retrying; records are dropped "
					   "until it answers"
					 : "sending on; failures are counted");
	}
	if (cf.iface) {
		if (!(mt.cap = vnet_capture_open(cf.iface, cf.bpf, err,
						 sizeof(err)))) {
			vnet_log(VNET_LOG_ERR, "capture on %s: %s", cf.iface,
				 err);
			goto out;
		}
		if (cf.user && (r = vnet_drop_privileges(cf.user)) < 0) {
			vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s",
				 cf.user, strerror(-r));
			goto out;
		}
		r = run_capture(&mt);
	} else {
		memset(&mc, 0, sizeof(mc));
		mc.left = cf.left;
		mc.right = cf.right;
		mc.dir = cf.dir;
		mc.fmt = cf.fmt;
		mc.no_offload = cf.no_offload;
		mc.user = cf.user;
		mc.sink = cf.sink || cf.file;
		if (cf.file) {
			if (!(filespec = malloc(strlen(cf.file) + 6)))
				goto out;
			sprintf(filespec, "pcap:%s", cf.file);
			mc.left = filespec;
			mc.dir = VNET_EGRESS;
		} else if (cf.sink) {
			mc.left = "-";
			mc.dir = VNET_EGRESS;
		}
		if (!(mid = vnet_mid_open(&mc, &what))) {
			vnet_log(VNET_LOG_ERR, "%s: %s", what, strerror(errno));
			goto out;
		}
		mt.mid = mid;
		if ((r = add_timers(&mt, vnet_mid_loop(mid))) < 0)
			vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
		else
			r = vnet_mid_run(mid, &ops, &mt);
	}
	if (r == -EPIPE && mt.json_err == EPIPE)
		r = 0; /* the reader of the JSON lines went away */
	else if (r < 0 && mt.json_err)
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt.json_name,
			 strerror(mt.json_err));
	if (r < 0)
		goto out;
	if (vnet_sig_stop_signo())
		vnet_log(VNET_LOG_INFO, "stopped by signal %d",
			 vnet_sig_stop_signo());
	if ((r = meter_finish(&mt)) < 0 && r != -EPIPE) {
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt.json_name,
			 strerror(-r));
		goto out;
	}
	ret = 0;
out:
	if (mt.fc && cf.stats)
		print_counters(&mt);
	vnet_mid_close(mid);
	vnet_capture_close(mt.cap);
	vnet_ipfix_free(mt.ipfix);
	vnet_flow_free(mt.fc);
	if (mt.json && mt.json != stdout && fclose(mt.json) == EOF && !ret) {
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt.json_name,
			 strerror(errno));
		ret = 1;
	}
	free(filespec);
	return ret;
}
