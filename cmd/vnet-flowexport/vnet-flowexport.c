/* SPDX-License-Identifier: ISC */
/* vnet-flowexport -- an IPFIX exporter with virtual context (VNI, VLAN,
 * MACs): a pass-through stage, a pipeline sink, or on a live interface. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet/afile.h"
#include "vnet/capture.h"
#include "vnet/clock.h"
#include "vnet/counter.h"
#include "vnet/ctl.h"
#include "vnet-flowexport/flow.h"
#include "vnet-flowexport/ipfix.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/mid.h"
#include "vnet/opt.h"
#include "vnet/pidfile.h"
#include "vnet/progress.h"
#include "vnet/sig.h"
#include "vnet/tool.h"
#include "vnet/vxlan.h"
#include "meter.h"

enum {
	OPT_COLLECTOR = 1,
	OPT_JSON,
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
	OPT_LEFT,
	OPT_RIGHT,
	OPT_SINK,
	OPT_IFACE,
	OPT_BPF,
	OPT_RATE,
};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "collector", .letter = 'C', .arg = "COLLECTOR",
	  .key = OPT_COLLECTOR, .help = "the IPFIX collector to export to" },
	{ .name = "json", .arg = "FILE|-", .key = OPT_JSON,
	  .help = "one JSON object per expired flow to FILE" },
	{ .name = "profile", .arg = "standard|nfdump", .key = OPT_PROFILE,
	  .help = "the information elements exported" },
	{ .name = "domain", .arg = "N", .key = OPT_DOMAIN,
	  .help = "the observation domain ID (default 1)" },
	{ .name = "active", .arg = "DURATION", .key = OPT_ACTIVE,
	  .help = "the active timeout (default 60s)" },
	{ .name = "idle", .arg = "DURATION", .key = OPT_IDLE,
	  .help = "the idle timeout (default 15s)" },
	{ .name = "sample", .arg = "N", .key = OPT_SAMPLE,
	  .help = "meter 1 frame in N" },
	{ .name = "max-flows", .arg = "N", .key = OPT_MAX_FLOWS,
	  .help = "size of the flow cache (default 65536)" },
	{ .name = "mtu", .arg = "N", .key = OPT_MTU,
	  .help = "path MTU toward the collector (default 1500)" },
	{ .name = "template-refresh", .arg = "DURATION", .key = OPT_REFRESH,
	  .help = "resend templates over UDP this often" },
	{ .name = "template-refresh-msgs", .arg = "N", .key = OPT_REFRESH_MSGS,
	  .help = "resend templates every N messages" },
	{ .name = "rate", .arg = "N", .key = OPT_RATE,
	  .help = "UDP: export at most N records a second" },
	{ .name = "decap", .flags = VNET_OPT_REPEAT, .key = OPT_DECAP,
	  .help = "the inner flows of VXLAN packets, with their VNI" },
	{ .name = "vxlan-port", .arg = "N", .flags = VNET_OPT_REPEAT,
	  .key = OPT_VXLAN_PORT, .help = "UDP port of VXLAN (default 4789)" },
	{ .name = "vni", .arg = "N", .key = OPT_VNI,
	  .help = "the VNI of untagged frames" },
	{ .name = "map", .arg = "VLAN:VNI", .flags = VNET_OPT_REPEAT,
	  .key = OPT_MAP, .help = "frames tagged VLAN belong to VNI" },
	{ .name = "left", .letter = 'l', .arg = "LEFT", .key = OPT_LEFT,
	  .help = "the side toward the workload (default -)" },
	{ .name = "right", .letter = 'R', .arg = "RIGHT", .key = OPT_RIGHT,
	  .help = "the side toward the fabric (default -)" },
	{ .shared = VNET_OPT_DIR },
	{ .shared = VNET_OPT_ON_FULL },
	{ .name = "sink", .flags = VNET_OPT_REPEAT, .key = OPT_SINK,
	  .help = "read stdin, write nothing" },
	{ .name = "interface", .letter = 'I', .arg = "INTERFACE",
	  .key = OPT_IFACE, .help = "meter a live interface" },
	{ .name = "bpf", .arg = "EXPRESSION", .key = OPT_BPF,
	  .help = "with -I: the capture filter" },
	{ .shared = VNET_OPT_PIDFILE },
	VNET_OPT_ROWS_FRAMES,
	VNET_OPT_ROWS_CONTROL,
	{ .shared = VNET_OPT_DESCRIBE },
	VNET_OPT_ROWS_PROGRESS,
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-flowexport",
	.opts = opts,
	.operands = "[FILE]",
	.notes = "  COLLECTOR: udp:ADDR[:PORT] (or ADDR[:PORT]) | tcp:ADDR[:PORT], "
		 "port\n"
		 "  4739, IPv6 in brackets.  Frames come from a two-way chain "
		 "(fds 0/1\n"
		 "  and 3/4) or stdin -> stdout by default, or from --sink "
		 "(stdin), FILE\n"
		 "  (a capture) or -I INTERFACE (live).\n",
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
	struct vnet_opt_common o; /* the shared options (o.clk: as decided) */
	const char *collector, *json, *left, *right, *iface, *bpf, *file;
	char *filespec;		  /* "pcap:FILE" */
	struct vnet_mid_config mc; /* the sides, unless -I */
	struct vnet_ipfix_collector coll;
	struct vnet_ipfix_config ic;
	struct vnet_flow_config fcfg;
	unsigned mtu;
	int sink, decap;
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

/* The sides of a pass-through stage, --sink or FILE into cf->mc; a bad
 * side, or frames for a terminal, exit 2 before anything is written. */
static void mid_config(struct conf *cf)
{
	struct vnet_mid_config *mc = &cf->mc;
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	int r;

	mc->left = cf->left;
	mc->right = cf->right;
	mc->sink = cf->sink || cf->file;
	vnet_opt_mid_config(&cf->o, mc);
	if (cf->o.describe)
		mc->force = 1; /* stdout is the description's */
	if (cf->file) {
		if (!(cf->filespec = malloc(strlen(cf->file) + 6)))
			vnet_config_error("out of memory");
		sprintf(cf->filespec, "pcap:%s", cf->file);
		mc->left = cf->filespec;
		mc->left_name = cf->file;
		mc->dir = VNET_EGRESS;
	} else if (cf->sink) {
		mc->left = "-";
		mc->dir = VNET_EGRESS;
	}
	if ((r = vnet_mid_check(mc, &err)) == -ENOTTY)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	else if (r < 0)
		vnet_usage_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
}

/* Parse and validate the command line into cf and mt's classifier. */
static void parse_args(int argc, char **argv, struct conf *cf,
		       struct meter *mt)
{
	struct vnet_err e;
	char eb[VNET_ERR_STRLEN];
	const char *arg;
	int c, sources;

	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_COLLECTOR:
			if (vnet_ipfix_collector_parse(arg, &cf->coll, &e))
				vnet_usage_error("-C %s",
						 vnet_err_str(&e, eb, sizeof(eb)));
			cf->collector = arg;
			break;
		case OPT_JSON:
			if (!*arg)
				vnet_usage_error("--json: give a file or - "
						 "(stdout)");
			cf->json = arg;
			break;
		case OPT_PROFILE:
			if (vnet_ipfix_profile_parse(arg, &cf->ic.profile))
				vnet_usage_error("--profile: '%s' is not standard "
						 "or nfdump", arg);
			break;
		case OPT_DOMAIN:
			cf->ic.domain = (uint32_t)vnet_opt_u64("--domain", arg,
							      0, UINT32_MAX);
			break;
		case OPT_ACTIVE:
			cf->fcfg.active_ns = vnet_opt_duration("--active", arg);
			break;
		case OPT_IDLE:
			cf->fcfg.idle_ns = vnet_opt_duration("--idle", arg);
			break;
		case OPT_SAMPLE:
			cf->fcfg.sample_n = (uint32_t)vnet_opt_u64(
				"--sample", arg, 1, UINT32_MAX);
			break;
		case OPT_MAX_FLOWS:
			cf->fcfg.max_flows = (uint32_t)vnet_opt_u64(
				"--max-flows", arg, 1, VNET_FLOW_MAX);
			break;
		case OPT_MTU:
			cf->mtu = (unsigned)vnet_opt_u64("--mtu", arg, MTU_MIN,
							 65535);
			break;
		case OPT_REFRESH:
			cf->ic.refresh_ns =
				vnet_opt_duration("--template-refresh", arg);
			break;
		case OPT_REFRESH_MSGS:
			cf->ic.refresh_msgs = (uint32_t)vnet_opt_u64(
				"--template-refresh-msgs", arg, 0, UINT32_MAX);
			break;
		case OPT_DECAP:
			cf->decap = 1;
			break;
		case OPT_VXLAN_PORT:
			add_port(&mt->cls, arg);
			break;
		case OPT_VNI:
			mt->cls.vlan_vni[0] = (uint32_t)vnet_opt_u64(
				"--vni", arg, 0, VNET_VNI_MAX);
			break;
		case OPT_MAP:
			parse_map(&mt->cls, arg);
			break;
		case OPT_LEFT:
			cf->left = arg;
			break;
		case OPT_RIGHT:
			cf->right = arg;
			break;
		case OPT_SINK:
			cf->sink = 1;
			break;
		case OPT_IFACE:
			if (!*arg)
				vnet_usage_error("-I: no interface name");
			cf->iface = arg;
			break;
		case OPT_BPF:
			cf->bpf = arg;
			break;
		case OPT_RATE:
			cf->ic.rate = vnet_opt_u64("--rate", arg, 1, 1000000000);
			break;
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
				 "-I INTERFACE");
	if (sources && (cf->left || cf->right))
		vnet_usage_error("-l/-R are the sides of a pass-through stage; "
				 "not with --sink, FILE or -I");
	if (cf->bpf && !cf->iface)
		vnet_usage_error("--bpf filters a live capture: it needs "
				 "-I INTERFACE");
	if (!cf->collector && !cf->json)
		vnet_usage_error("nothing to export to: give -C COLLECTOR "
				 "and/or --json FILE");
	if (cf->json && !strcmp(cf->json, "-") && !sources &&
	    is_stdio(cf->left))
		vnet_usage_error("--json -: stdout carries the frames of a "
				 "pass-through stage; give --json FILE, or "
				 "--sink");
	if (cf->ic.rate && (!cf->collector || cf->coll.proto != VNET_IPFIX_UDP))
		vnet_usage_error("--rate paces a UDP export: give -C "
				 "udp:ADDR (TCP is paced by the collector)");
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
	if (!cf->o.clk_given)
		cf->o.clk = cf->file ? VNET_CLOCK_PCAP : VNET_CLOCK_LIVE;
	if (cf->o.pidfile && vnet_afile_check(cf->o.pidfile, &e))
		vnet_config_error("--pidfile %s",
				  vnet_err_str(&e, eb, sizeof(eb)));
	if (!cf->iface)
		mid_config(cf);
}

/* The meter and what the control commands need. */
struct tool {
	const struct conf *cf;
	struct meter *mt;
	struct vnet_pidfile *pf;
	struct vnet_ctl *ctl;
};

/* ---- the control socket (vnet(7) CONTROL SOCKET) ---- */

static int ctl_counters(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	meter_sync(t->mt);
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	vnet_counters_print(vnet_ctl_out(rp), NULL, t->mt->ctr, C_MAX);
	return 0;
}

/* The flows in the cache, one a line (vnet-flowexport(8) CONTROL). */
static const struct vnet_ctl_col flow_cols[] = {
	{ .name = "segment", .num = 1 },
	{ .name = "vlan", .num = 1 },
	{ .name = "proto", .num = 1 },
	{ .name = "src" },
	{ .name = "sport", .num = 1 },
	{ .name = "dst" },
	{ .name = "dport", .num = 1 },
	{ .name = "packets", .num = 1 },
	{ .name = "bytes", .num = 1 },
	{ .name = "tcp_flags", .num = 1 },
	{ .name = "age_s", .num = 1 },
	{ .name = "idle_s", .num = 1 },
	{ 0 },
};

struct flow_line {
	FILE *f;
	uint64_t now;
};

static unsigned long long secs_since(uint64_t now, uint64_t t)
{
	return now > t ? (now - t) / 1000000000ULL : 0;
}

static void flow_line(void *arg, const struct vnet_flow *f)
{
	const struct vnet_flow_key *k = &f->key;
	char seg[16] = "-", vlan[8] = "-";
	char src[VNET_ADDRSTRLEN], dst[VNET_ADDRSTRLEN];
	struct flow_line *fl = arg;

	if (k->segment != VNET_FLOW_NO_SEGMENT)
		snprintf(seg, sizeof(seg), "%u", (unsigned)k->segment);
	if (k->vlan)
		snprintf(vlan, sizeof(vlan), "%u", k->vlan);
	fprintf(fl->f,
		"%s\t%s\t%u\t%s\t%u\t%s\t%u\t%llu\t%llu\t%u\t%llu\t%llu\n",
		seg, vlan, k->proto, vnet_addr_fmt(&k->src, src), k->sport,
		vnet_addr_fmt(&k->dst, dst), k->dport,
		(unsigned long long)f->packets, (unsigned long long)f->bytes,
		f->tcp_flags, secs_since(fl->now, f->start_ns),
		secs_since(fl->now, f->end_ns));
}

static int ctl_flows(void *arg, const struct vnet_ctl_req *rq,
		     struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	struct flow_line fl = { .f = vnet_ctl_out(rp),
				.now = vnet_clock_now() };

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "flows", flow_cols);
	vnet_flow_walk(t->mt->fc, flow_line, &fl);
	return ferror(fl.f) ? -EIO : 0;
}

static void budget_stream(struct vnet_ctl_reply *rp,
			  const struct vnet_mid_config *mc)
{
	struct vnet_ctl_budget b = { 0 };
	int oneway;

	vnet_mid_framing(mc, &b.inner, &b.outer, &oneway);
	vnet_ctl_budget(rp, &b);
}

static int ctl_describe(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct conf *cf = t->cf;
	char buf[96];

	(void)rq;
	vnet_ctl_about(rp);
	if (cf->iface)
		snprintf(buf, sizeof(buf), "interface %s", cf->iface);
	else if (cf->file)
		snprintf(buf, sizeof(buf), "file");
	else
		snprintf(buf, sizeof(buf), "%s", cf->sink ? "sink" : "stage");
	vnet_ctl_str(rp, "source", buf);
	vnet_ctl_str(rp, "interface", cf->iface);
	vnet_ctl_str(rp, "file", cf->file);
	if (!cf->iface && !cf->file && !cf->sink) {
		vnet_ctl_str(rp, "left", cf->left ? cf->left : "-");
		vnet_ctl_str(rp, "right", cf->right ? cf->right : "-");
	}
	/* An observer adds nothing and passes any size. */
	if (cf->iface)
		vnet_ctl_budget(rp, &(struct vnet_ctl_budget){
					    .inner = "interface",
					    .outer = "none" });
	else
		budget_stream(rp, &cf->mc);
	/* The VNI of untagged frames (--vni), where the stage knows one. */
	if (t->mt->cls.vlan_vni[0] == VNET_FLOW_NO_SEGMENT)
		vnet_ctl_str(rp, "vni", NULL);
	else
		vnet_ctl_u64(rp, "vni", t->mt->cls.vlan_vni[0]);
	if (cf->collector)
		vnet_ipfix_collector_fmt(&cf->coll, buf, sizeof(buf));
	vnet_ctl_str(rp, "collector", cf->collector ? buf : NULL);
	vnet_ctl_str(rp, "json", cf->json);
	vnet_ctl_u64(rp, "domain", cf->ic.domain);
	vnet_ctl_u64(rp, "active", cf->fcfg.active_ns / 1000000000ULL);
	vnet_ctl_u64(rp, "idle", cf->fcfg.idle_ns / 1000000000ULL);
	vnet_ctl_u64(rp, "sample", cf->fcfg.sample_n);
	vnet_ctl_u64(rp, "max_flows", cf->fcfg.max_flows);
	vnet_ctl_u64(rp, "mtu", cf->mtu);
	vnet_ctl_str(rp, "decap", cf->decap ? "yes" : "no");
	return 0;
}

static const struct vnet_ctl_cmd ctl_cmds[] = {
	{ .name = "counters", .help = "the counters", .fn = ctl_counters },
	{ .name = "describe", .help = "the instance, its source and exports",
	  .fn = ctl_describe },
	{ .name = "flows", .help = "the flows in the cache",
	  .fn = ctl_flows },
	{ 0 },
};

/* The control socket as --name and --control say: 0, or -1 after
 * logging. */
static int open_ctl(struct tool *t)
{
	const struct vnet_ctl_config cc = {
		.program = prog.name,
		.name = t->cf->o.name,
		.path = t->cf->o.control,
		.cmds = ctl_cmds,
		.arg = t,
	};

	return vnet_tool_ctl_open(&cc, &t->ctl);
}

static int attach_ctl(struct tool *t, struct vnet_loop *l)
{
	int r;

	if (t->ctl && (r = vnet_ctl_attach(t->ctl, l)) < 0) {
		vnet_log(VNET_LOG_ERR, "control socket: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* The collector in messages ("udp:198.18.0.1:4739"). */
static char coll_name[96];

/* Messages the UDP socket refused for a full buffer (ipfix.h send_full):
 * said at the default level the first time, then with -v, rate limited;
 * each line says how many since the last. */
static void say_send_full(struct meter *mt)
{
	static struct vnet_ratelimit rl = VNET_RATELIMIT_INIT(1, 1);
	static uint64_t said_n;
	static uint8_t said;
	const struct vnet_ipfix_stats *is;

	if (!mt->ipfix || (is = vnet_ipfix_stats(mt->ipfix))->send_full ==
				  said_n)
		return;
	vnet_log_first(&rl, &said, vnet_clock_wall(),
		       "collector %s: %llu messages not sent, the send buffer "
		       "or the device queue is full (%s): their records are "
		       "lost; pace the export with --rate N",
		       coll_name, (unsigned long long)(is->send_full - said_n),
		       strerror(vnet_ipfix_error(mt->ipfix)));
	said_n = is->send_full;
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
	say_send_full(arg);
}

/* TCP progress toward the collector (connecting, retrying, writing the
 * queue) four times a second by the wall clock, also when the packet
 * clock stands still on an idle input. */
#define IPFIX_POLL_NS 250000000ULL

static int on_ipfix_poll(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct meter *mt = arg;

	vnet_ipfix_poll(mt->ipfix);
	say_send_full(mt);
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

/* The status line's counts (progress.h): frames metered, every drop
 * counter and the capture's drops. */
static void progress_sample(void *arg, struct vnet_progress_sample *s)
{
	struct meter *mt = arg;

	meter_sync(mt);
	s->frames = mt->ctr[C_FRAMES].value;
	s->drops = vnet_counters_drops(mt->ctr, C_MAX) +
		   mt->ctr[C_CAPTURE_DROPPED].value;
}

/* A status line on l while a file or a live interface (is_long) is
 * metered (--progress, --no-progress): fd is the input file, or -1; NULL
 * when none is wanted. */
static struct vnet_progress *progress_start(const struct conf *cf,
					    struct meter *mt,
					    struct vnet_loop *l, int fd,
					    int is_long)
{
	const struct vnet_progress_config pc = {
		.fd = fd,
		.sample = progress_sample,
		.show = vnet_log_status,
		.arg = mt,
	};

	if (!vnet_log_status_wanted(cf->o.progress, is_long))
		return NULL;
	return vnet_progress_new(l, &pc);
}

/* -I INTERFACE: the capture handle on the loop. */
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
		vnet_log_err(vnet_capture_err(cr->mt->cap), "capture");
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

static int run_capture(struct tool *t)
{
	struct meter *mt = t->mt;
	struct capture_run cr = { .mt = mt };
	struct vnet_progress *pr;
	struct vnet_loop *l;
	int r = -ENOMEM;

	if (!(l = vnet_loop_new()) ||
	    !(cr.tick = vnet_loop_timer_add(l, 0, on_capture_tick, &cr)))
		goto fail;
	if ((r = attach_ctl(t, l)) < 0) {
		vnet_loop_free(l);
		return r;
	}
	if ((r = vnet_loop_add_fd(l, vnet_capture_fd(mt->cap), POLLIN,
				  on_capture, &cr)) < 0 ||
	    (r = add_timers(mt, l)) < 0)
		goto fail;
	vnet_loop_timer_set(cr.tick, vnet_clock_now() + 1000000000ULL);
	vnet_loop_on_signal(l, on_capture_signal, mt);
	pr = progress_start(t->cf, mt, l, -1, 1);
	r = vnet_loop_run(l);
	vnet_progress_free(pr);
	vnet_log_loop(l, r);
	vnet_loop_free(l);
	return r;
fail:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(l);
	return r;
}

/* The clock, the counters, the flow cache and the IPFIX exporter as
 * configured; a configuration they refuse exits 2. */
static void setup_meter(struct conf *cf, struct meter *mt)
{
	vnet_clock_set_mode(cf->o.clk);
	meter_init_counters(mt);
	mt->pcap_clock = cf->o.clk == VNET_CLOCK_PCAP;
	mt->sink = cf->sink || cf->file || cf->iface;

	cf->fcfg.expired = meter_export;
	cf->fcfg.arg = mt;
	cf->ic.sample_n = cf->fcfg.sample_n;
	if (!(mt->fc = vnet_flow_new(&cf->fcfg)))
		vnet_config_error("flow cache of %u flows: %s",
				  cf->fcfg.max_flows, strerror(errno));
	vnet_log(VNET_LOG_INFO, "flow cache: %u flows of %zu bytes, %s clock",
		 cf->fcfg.max_flows, vnet_flow_entry_size(),
		 mt->pcap_clock ? "pcap" : "live");
	/* Replays decide the same way every time (the expiry order does not
	 * depend on the seed, but the probe lengths do). */
	if (mt->pcap_clock)
		vnet_flow_set_seed(mt->fc, 0x766e6574u);
	if (cf->collector && !(mt->ipfix = vnet_ipfix_new(&cf->ic)))
		vnet_config_error("--mtu %u: messages of %zu bytes are too "
				  "small for the templates", cf->mtu,
				  cf->ic.msg_max);
}

/* Signals, the pid file and the outputs: the JSON file, the collector
 * (a collector that does not answer yet is a warning).  0, or -1 after
 * logging. */
static int open_outputs(const struct conf *cf, struct meter *mt,
			struct vnet_pidfile **pf)
{
	struct vnet_err err;
	char cbuf[96];
	int r;

	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		return -1;
	}
	/* First: a second instance stops here, before it opens anything. */
	if (cf->o.pidfile && !(*pf = vnet_pidfile_open(cf->o.pidfile, &err))) {
		vnet_log_err(&err, "pidfile");
		return -1;
	}
	if (cf->json) {
		mt->json_name = strcmp(cf->json, "-") ? cf->json : "stdout";
		mt->json = strcmp(cf->json, "-") ? fopen(cf->json, "w") : stdout;
		if (!mt->json) {
			vnet_log(VNET_LOG_ERR, "open --json %s: %s", cf->json,
				 strerror(errno));
			return -1;
		}
		setvbuf(mt->json, NULL, _IOFBF, 1 << 16);
	}
	if (!mt->ipfix)
		return 0;
	vnet_ipfix_collector_fmt(&cf->coll, cbuf, sizeof(cbuf));
	snprintf(coll_name, sizeof(coll_name), "%s", cbuf);
	r = vnet_ipfix_connect(mt->ipfix, &cf->coll, CONNECT_MS);
	if (r < 0) {
		vnet_log(VNET_LOG_ERR, "collector %s: %s", cbuf, strerror(-r));
		return -1;
	}
	if (r > 0 || vnet_ipfix_error(mt->ipfix))
		vnet_log(VNET_LOG_WARN, "collector %s: %s (%s)", cbuf,
			 strerror(vnet_ipfix_error(mt->ipfix)
					  ? vnet_ipfix_error(mt->ipfix)
					  : EINPROGRESS),
			 cf->coll.proto == VNET_IPFIX_TCP
				 ? "retrying; records are dropped until it "
				   "answers"
				 : "sending on; failures are counted");
	return 0;
}

/* -I INTERFACE: open the capture, drop privileges, meter until stopped.
 * 0, or -errno (logged). */
static int run_interface(struct tool *t)
{
	const struct conf *cf = t->cf;
	struct meter *mt = t->mt;
	struct vnet_err err;
	int r;

	if (!(mt->cap = vnet_capture_open(cf->iface, cf->bpf, &err))) {
		vnet_log_err(&err, "capture on");
		return -1;
	}
	if (open_ctl(t) < 0)
		return -1;
	if (cf->o.user && (r = vnet_drop_privileges(cf->o.user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", cf->o.user,
			 strerror(-r));
		return r;
	}
	return run_capture(t);
}

/* A pass-through stage, --sink or FILE: the middle program's sides (which
 * drop privileges once open), metered until the input ends or a stop.
 * 0, or -errno (logged). */
static int run_stream(struct tool *t)
{
	const struct conf *cf = t->cf;
	struct meter *mt = t->mt;
	static const struct vnet_mid_ops ops = {
		.frames = on_frames, .signal = on_signal, .tick = on_tick,
	};
	struct vnet_progress *pr;
	struct vnet_err err;
	int r, fd;

	/* Before the sides, which drop the privileges. */
	if (open_ctl(t) < 0)
		return -1;
	if (!(mt->mid = vnet_mid_open(&cf->mc, &err))) {
		r = errno ? -errno : -EIO;
		vnet_log_err(&err, NULL);
		return r;
	}
	if ((r = attach_ctl(t, vnet_mid_loop(mt->mid))) < 0)
		return r;
	if ((r = add_timers(mt, vnet_mid_loop(mt->mid))) < 0) {
		vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	} else {
		fd = vnet_mid_rfd(mt->mid, VNET_EGRESS);
		if (!vnet_log_is_file(fd))
			fd = vnet_mid_rfd(mt->mid, VNET_INGRESS);
		pr = progress_start(cf, mt, vnet_mid_loop(mt->mid), fd,
				    vnet_log_is_file(fd));
		r = vnet_mid_run(mt->mid, &ops, mt);
		vnet_progress_free(pr);
	}
	vnet_log_loop(vnet_mid_loop(mt->mid), r);
	return r;
}

/* After the run r: the JSON reader's fate, the last records.  The exit
 * status. */
static int finish(struct meter *mt, int r)
{
	if (r == -EPIPE && mt->json_err == EPIPE)
		r = 0; /* the reader of the JSON lines went away */
	else if (r < 0 && mt->json_err)
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt->json_name,
			 strerror(mt->json_err));
	if (r < 0)
		return 1;
	if (vnet_sig_stop_signo())
		vnet_log(VNET_LOG_INFO, "stopped by signal %d",
			 vnet_sig_stop_signo());
	r = meter_finish(mt);
	say_send_full(mt);
	if (r < 0 && r != -EPIPE) {
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt->json_name,
			 strerror(-r));
		return 1;
	}
	return 0;
}

/* Counters if asked, then everything closed, the pid file removed; ret,
 * or 1 when the JSON file could not be written to the end. */
static int cleanup(struct tool *t, int ret)
{
	const struct conf *cf = t->cf;
	struct meter *mt = t->mt;
	struct vnet_pidfile *pf = t->pf;
	int r;

	if (mt->fc && cf->o.stats)
		print_counters(mt);
	vnet_mid_close(mt->mid);
	vnet_ctl_close(t->ctl);
	vnet_capture_close(mt->cap);
	vnet_ipfix_free(mt->ipfix);
	vnet_flow_free(mt->fc);
	free(cf->filespec);
	if (mt->json && mt->json != stdout && fclose(mt->json) == EOF &&
	    !ret) {
		vnet_log(VNET_LOG_ERR, "write --json %s: %s", mt->json_name,
			 strerror(errno));
		ret = 1;
	}
	if ((r = vnet_pidfile_remove(pf)) < 0)
		vnet_log(VNET_LOG_INFO, "remove pidfile %s: %s", cf->o.pidfile,
			 strerror(-r));
	return ret;
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
	};
	struct tool t = { .cf = &cf, .mt = &mt };
	int ret = 1;

	vnet_flow_classify_init(&mt.cls);
	parse_args(argc, argv, &cf, &mt);
	setup_meter(&cf, &mt);
	if (cf.o.describe) {
		ret = vnet_tool_describe(prog.name, ctl_cmds, &t);
		cf.o.stats = 0;
		return cleanup(&t, ret);
	}
	if (open_outputs(&cf, &mt, &t.pf) == 0)
		ret = finish(&mt, cf.iface ? run_interface(&t)
					   : run_stream(&t));
	return cleanup(&t, ret);
}
