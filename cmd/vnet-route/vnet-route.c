/* SPDX-License-Identifier: ISC */
/* vnet-route -- the virtual router of an overlay node: a distributed
 * anycast gateway with one routing table per tenant. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet-route/conf.h"
#include "vnet-route/dhcp.h"
#include "vnet-route/explain.h"
#include "vnet-route/glue.h"
#include "vnet-route/router.h"
#include "vnet/afile.h"
#include "vnet/clock.h"
#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/mid.h"
#include "vnet/opt.h"
#include "vnet/pidfile.h"
#include "vnet/sig.h"
#include "vnet/tool.h"

/* Modes, and the options each takes. */
enum { M_RUN = 1, M_CHECK = 2, M_EXPLAIN = 4 };

enum {
	OPT_CONFIG = 1,
	OPT_LEFT,
	OPT_RIGHT,
	OPT_CHECK,
	OPT_EXPLAIN,
	OPT_JSON,
	OPT_SEGMENT,
	OPT_DHCP_LEASES,
};

/* Dynamic leases the DHCP engine holds at most, over all segments. */
#define DHCP_TABLE 16384


static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "config", .letter = 'f', .arg = "FILE", .key = OPT_CONFIG,
	  .required = M_RUN | M_CHECK | M_EXPLAIN,
	  .help = "the configuration file, vnet-route(8) CONFIGURATION" },
	{ .name = "left", .letter = 'l', .arg = "LEFT", .key = OPT_LEFT,
	  .modes = M_RUN, .help = "the side toward the workloads (default -)" },
	{ .name = "right", .letter = 'R', .arg = "RIGHT", .key = OPT_RIGHT,
	  .modes = M_RUN, .help = "the side toward the fabric (default -)" },
	{ .name = "segment", .arg = "VID", .key = OPT_SEGMENT,
	  .modes = M_RUN | M_EXPLAIN,
	  .help = "the left is an untagged port of segment VID" },
	{ .name = "dhcp-leases", .arg = "FILE", .key = OPT_DHCP_LEASES,
	  .modes = M_RUN | M_CHECK | M_EXPLAIN,
	  .help = "static DHCP leases, vnet-route(8) DHCP" },
	{ .shared = VNET_OPT_DIR, .modes = M_RUN | M_EXPLAIN },
	{ .shared = VNET_OPT_PIDFILE, .modes = M_RUN },
	{ .shared = VNET_OPT_FORMAT, .modes = M_RUN },
	{ .shared = VNET_OPT_FORCE, .modes = M_RUN },
	{ .shared = VNET_OPT_CLOCK, .modes = M_RUN | M_EXPLAIN },
	{ .shared = VNET_OPT_STATS, .modes = M_RUN | M_EXPLAIN },
	{ .shared = VNET_OPT_NO_OFFLOAD, .modes = M_RUN },
	{ .shared = VNET_OPT_USER, .modes = M_RUN },
	{ .shared = VNET_OPT_NAME, .modes = M_RUN },
	{ .shared = VNET_OPT_CONTROL, .modes = M_RUN },
	{ .name = "check", .flags = VNET_OPT_MODE, .modes = M_CHECK,
	  .key = OPT_CHECK, .help = "check the configuration and exit" },
	{ .name = "explain", .flags = VNET_OPT_MODE, .modes = M_EXPLAIN,
	  .operands = "[FILE]", .key = OPT_EXPLAIN,
	  .help = "the fate and route of each frame of FILE" },
	{ .name = "json", .flags = VNET_OPT_REPEAT, .modes = M_EXPLAIN,
	  .key = OPT_JSON, .help = "with --explain: one JSON object a frame" },
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-route",
	.opts = opts,
	.default_mode = M_RUN,
	.notes = "  LEFT, RIGHT: - | fd:R,W | pcap:FILE | tap:NAME[,mtu=N][,mac=M] "
		 "(default -)\n"
		 "  FORMAT: pcap | pcap-ns | vde\n",
};

struct conf {
	struct vnet_opt_common o; /* the shared options, o.mode the mode */
	const char *config, *left, *right, *file;
	const char *leases; /* --dhcp-leases, NULL none */
	int json;
	int access_vid; /* --segment, -1 none */
};

struct state {
	const struct conf *cf;
	struct route_router *r;
	struct vnet_mid *m;
	struct vnet_ctl *ctl;
	struct route_dhcp *dhcp;
	struct route_glue glue; /* the router's DHCP hook */
	struct vnet_ratelimit send_rl;
	uint64_t ts; /* of the frame being decided: the emitted frames' */
	unsigned generation;
};

static struct route_conf *load_or_exit(const char *path)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	struct route_conf *c;

	if (!(c = route_conf_load(path, &err)))
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	return c;
}

static void parse_args(struct conf *cf, int argc, char **argv)
{
	const char *arg;
	int c;

	cf->access_vid = -1;
	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			cf->config = arg;
			break;
		case OPT_LEFT:
			cf->left = arg;
			break;
		case OPT_RIGHT:
			cf->right = arg;
			break;
		case OPT_JSON:
			cf->json = 1;
			break;
		case OPT_DHCP_LEASES:
			cf->leases = arg;
			break;
		case OPT_SEGMENT:
			cf->access_vid = (int)vnet_opt_u64("--segment", arg, 0,
							   4094);
			break;
		}
	}
	if (cf->o.mode == M_EXPLAIN && argc - optind > 1)
		vnet_usage_error("one FILE expected");
	if (cf->o.mode != M_EXPLAIN && argc - optind > 0)
		vnet_usage_error("unexpected argument '%s'", argv[optind]);
	if (cf->o.mode == M_EXPLAIN && optind < argc)
		cf->file = argv[optind];
	if (!cf->config)
		vnet_usage_error("no configuration given (-f FILE)");
	if (cf->o.mode == M_EXPLAIN && !cf->o.clk_given)
		cf->o.clk = VNET_CLOCK_PCAP;
	if (cf->o.pidfile) {
		char buf[VNET_ERR_STRLEN];
		struct vnet_err err;

		if (vnet_afile_check(cf->o.pidfile, &err))
			vnet_config_error("--pidfile %s",
					  vnet_err_str(&err, buf, sizeof(buf)));
	}
}

/* The DHCP engine, with the static leases of --dhcp-leases; exits 2 on a
 * refused file. */
static struct route_dhcp *dhcp_or_exit(const struct conf *cf)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	struct route_dhcp *d;

	vnet_err_clear(&err);
	if (!(d = route_dhcp_new(DHCP_TABLE, &err)))
		vnet_config_error("dhcp: %s",
				  vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->leases && route_dhcp_load(d, cf->leases, &err) < 0)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	return d;
}

static int do_check(const struct conf *cf)
{
	struct route_conf *c = load_or_exit(cf->config);
	struct route_dhcp *d = cf->leases ? dhcp_or_exit(cf) : NULL;

	printf("%s: ok: %u tenants, %u segments, %u routes, %u neighbours\n",
	       cf->config, c->ntenants, c->nseg, c->nroute, c->nneigh);
	if (cf->leases)
		printf("%s: ok\n", cf->leases);
	route_dhcp_free(d);
	route_conf_free(c);
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- the running router ---- */

static void emit(void *arg, enum vnet_dir dir, const uint8_t *frame,
		 size_t len)
{
	struct state *st = arg;
	struct iovec iov = { (void *)frame, len };
	int r;

	if (!st->m)
		return; /* --explain */
	r = vnet_mid_send(st->m, dir, st->ts, &iov, 1);
	if (r < 0 && r != -ENOTCONN && r != -EPIPE)
		vnet_log_rl(&st->send_rl, vnet_clock_now(), VNET_LOG_WARN,
			    "send %s: %s", vnet_dir_name(dir), strerror(-r));
}

/* The router's counters, then the DHCP engine's (vnet-route(8)
 * COUNTERS). */
static void print_counters(struct state *st, FILE *f)
{
	const struct vnet_counter *c;
	size_t n;

	route_router_print_counters(st->r, f);
	c = route_dhcp_counters(st->dhcp, &n);
	vnet_counters_print(f, NULL, c, n);
}

/* Load the file again and put it in force, logged either way: 0, or
 * -EINVAL with err filled (the configuration in force stays).  The
 * static leases of --dhcp-leases are loaded again with it: a refused
 * lease file refuses the reload, and the leases in force stay. */
static int reload(struct state *st, struct vnet_err *err)
{
	char buf[VNET_ERR_STRLEN];
	struct route_conf *c;
	int r;

	c = route_conf_load(st->cf->config, err);
	if (c && st->cf->access_vid >= 0 &&
	    route_conf_seg(c, (uint16_t)st->cf->access_vid) < 0) {
		vnet_err_set(err, st->cf->config, 0,
			     "no segment %d, the one of --segment",
			     st->cf->access_vid);
		route_conf_free(c);
		c = NULL;
	}
	if (c && st->cf->leases &&
	    route_dhcp_load(st->dhcp, st->cf->leases, err) < 0) {
		route_conf_free(c);
		c = NULL;
	}
	if (!c) {
		route_router_count(st->r, RC_RELOAD_FAILED);
		vnet_log(VNET_LOG_ERR, "reload refused: %s (keeping generation %u)",
			 vnet_err_str(err, buf, sizeof(buf)), st->generation);
		return -EINVAL;
	}
	if ((r = route_router_replace(st->r, c)) < 0) {
		vnet_err_sys(err, st->cf->config, r);
		route_router_count(st->r, RC_RELOAD_FAILED);
		vnet_log(VNET_LOG_ERR, "reload %s: %s (keeping generation %u)",
			 st->cf->config, strerror(-r), st->generation);
		return r;
	}
	st->generation++;
	route_router_count(st->r, RC_RELOADS);
	vnet_log(VNET_LOG_NOTICE, "reloaded %s: generation %u", st->cf->config,
		 st->generation);
	return 0;
}

/* ---- the control socket (vnet(7) CONTROL SOCKET) ---- */

static int ctl_counters(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct state *st = arg;

	(void)rq;
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	print_counters(st, vnet_ctl_out(rp));
	return 0;
}

/* The columns of the tables (vnet-route(8) TABLES). */
static const struct vnet_ctl_col route_cols[] = {
	{ .name = "tenant" }, { .name = "family" }, { .name = "prefix" },
	{ .name = "kind" },   { .name = "target" }, { 0 },
};

static const struct vnet_ctl_col neigh_cols[] = {
	{ .name = "seg", .num = 1 },   { .name = "addr" },
	{ .name = "mac" },	       { .name = "state" },
	{ .name = "side" },	       { .name = "age_s", .num = 1 },
	{ .name = "queued", .num = 1 }, { 0 },
};

static const struct vnet_ctl_col lease_cols[] = {
	{ .name = "vid", .num = 1 }, { .name = "mac" },	     { .name = "ip" },
	{ .name = "expiry" },	     { .name = "hostname" }, { 0 },
};

static int ctl_leases(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	struct state *st = arg;
	int r;

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "leases", lease_cols);
	r = route_dhcp_dump(st->dhcp, vnet_ctl_out(rp), vnet_clock_now());
	return r == -ENOMEM ? r : r < 0 ? -EIO : 0;
}

static int ctl_routes(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	struct state *st = arg;

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "routes", route_cols);
	return route_router_dump_routes(st->r, vnet_ctl_out(rp));
}

static int ctl_neigh(void *arg, const struct vnet_ctl_req *rq,
		     struct vnet_ctl_reply *rp)
{
	struct state *st = arg;

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "neigh", neigh_cols);
	return route_router_dump_neigh(st->r, vnet_ctl_out(rp),
				       vnet_clock_now());
}

static int ctl_reload(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	char buf[VNET_ERR_STRLEN];
	struct state *st = arg;
	struct vnet_err err;

	(void)rq;
	vnet_err_clear(&err);
	if (reload(st, &err) < 0)
		return vnet_ctl_fail(rp, "refused: %s",
				     vnet_err_str(&err, buf, sizeof(buf)));
	vnet_ctl_ok(rp, "generation %u", st->generation);
	vnet_ctl_head(rp, 0);
	vnet_ctl_str(rp, "config", st->cf->config);
	vnet_ctl_u64(rp, "generation", st->generation);
	return 0;
}

static int ctl_describe(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct state *st = arg;
	const struct conf *cf = st->cf;
	const struct route_conf *c = route_router_conf(st->r);

	(void)rq;
	vnet_ctl_about(rp);
	vnet_ctl_str(rp, "left", cf->left ? cf->left : "-");
	vnet_ctl_str(rp, "right", cf->right ? cf->right : "-");
	if (vnet_mid_oneway(st->m))
		vnet_ctl_str(rp, "dir", vnet_dir_name(vnet_mid_dir(st->m)));
	vnet_ctl_str(rp, "config", cf->config);
	vnet_ctl_u64(rp, "generation", st->generation);
	vnet_ctl_u64(rp, "tenants", c->ntenants);
	vnet_ctl_u64(rp, "segments", c->nseg);
	vnet_ctl_u64(rp, "routes", c->nroute);
	vnet_ctl_u64(rp, "neigh_max", c->neigh_max);
	vnet_ctl_str(rp, "dhcp_leases", cf->leases);
	vnet_ctl_str(rp, "pidfile", cf->o.pidfile);
	vnet_ctl_str(rp, "format", vnet_stream_fmt_name(cf->o.fmt));
	return 0;
}

static const struct vnet_ctl_cmd ctl_cmds[] = {
	{ .name = "counters", .help = "the counters", .fn = ctl_counters },
	{ .name = "describe", .help = "the instance, its sides and tables",
	  .fn = ctl_describe },
	{ .name = "leases", .help = "the DHCP leases (static, bound, declined)",
	  .fn = ctl_leases },
	{ .name = "neigh", .help = "the neighbour table", .fn = ctl_neigh },
	{ .name = "reload", .help = "load the configuration again (as SIGHUP)",
	  .fn = ctl_reload },
	{ .name = "routes", .help = "the routing tables of every tenant",
	  .fn = ctl_routes },
	{ 0 },
};

static int on_frames(void *arg, struct vnet_mid *m, enum vnet_dir dir,
		     struct vnet_frame *f, unsigned n)
{
	struct state *st = arg;
	int pcap = vnet_clock_mode() == VNET_CLOCK_PCAP;
	uint64_t now = vnet_clock_now();
	unsigned i;

	for (i = 0; i < n; i++) {
		struct iovec iov = { (void *)f[i].data, f[i].len };
		int r;

		if (pcap) {
			vnet_clock_observe(f[i].ts_ns);
			now = vnet_clock_now();
		}
		st->ts = f[i].ts_ns;
		if (route_router_frame(st->r, dir, f[i].data, f[i].len, now,
				       NULL) != ROUTE_PASS)
			continue;
		r = vnet_mid_send(m, dir, f[i].ts_ns, &iov, 1);
		if (r == -EPIPE)
			return r;
		if (r < 0 && r != -ENOTCONN)
			vnet_log_rl(&st->send_rl, now, VNET_LOG_WARN,
				    "send %s: %s", vnet_dir_name(dir),
				    strerror(-r));
	}
	return 0;
}

static void on_signal(void *arg, struct vnet_mid *m, int sig)
{
	struct state *st = arg;

	(void)m;
	if (sig & VNET_SIG_HUP) {
		struct vnet_err err;

		reload(st, &err);
	}
	if (sig & VNET_SIG_USR1)
		print_counters(st, stderr);
}

static void on_tick(void *arg, struct vnet_mid *m, uint64_t now)
{
	struct state *st = arg;

	(void)m;
	st->ts = vnet_clock_mode() == VNET_CLOCK_PCAP ? now : vnet_clock_wall();
	route_router_tick(st->r, now);
}

static int do_run(const struct conf *cf, struct state *st)
{
	static const struct vnet_mid_ops ops = {
		.frames = on_frames,
		.signal = on_signal,
		.tick = on_tick,
	};
	struct vnet_mid_config mc = {
		.left = cf->left,
		.right = cf->right,
	};
	struct vnet_pidfile *pf = NULL;
	struct vnet_ctl_config cc = {
		.program = prog.name,
		.name = cf->o.name,
		.path = cf->o.control,
		.cmds = ctl_cmds,
		.arg = st,
	};
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	int r, ret = 1;

	vnet_opt_mid_config(&cf->o, &mc);
	if ((r = vnet_mid_check(&mc, &err)) == -ENOTTY)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	else if (r < 0)
		vnet_usage_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	/* As vnet-acl: the socket, then the pid file, then the sides. */
	if (vnet_tool_ctl_open(&cc, &st->ctl) < 0)
		goto out;
	if (cf->o.pidfile && !(pf = vnet_pidfile_open(cf->o.pidfile, &err))) {
		vnet_log_err(&err, "pidfile");
		goto out;
	}
	if (!(st->m = vnet_mid_open(&mc, &err))) {
		vnet_log_err(&err, NULL);
		goto out;
	}
	if (st->ctl &&
	    (r = vnet_ctl_attach(st->ctl, vnet_mid_loop(st->m))) < 0) {
		vnet_log(VNET_LOG_ERR, "control socket: %s", strerror(-r));
		goto out;
	}
	/* The first router advertisements go out at once. */
	route_router_tick(st->r, vnet_clock_now());
	r = vnet_mid_run(st->m, &ops, st);
	vnet_log_loop(vnet_mid_loop(st->m), r);
	if (r < 0 && r != -EPIPE)
		goto out;
	ret = 0;
out:
	if (st->m && cf->o.stats)
		print_counters(st, stderr);
	vnet_mid_close(st->m);
	st->m = NULL;
	vnet_ctl_close(st->ctl);
	if ((r = vnet_pidfile_remove(pf)) < 0)
		vnet_log(VNET_LOG_INFO, "remove pidfile %s: %s", cf->o.pidfile,
			 strerror(-r));
	return ret;
}

int main(int argc, char **argv)
{
	static struct conf cf; /* vnet_opt_begin() sets the shared defaults */
	static struct state st;
	struct route_router_config rc = { .emit = emit, .arg = &st };
	struct route_conf *c;
	int ret;

	parse_args(&cf, argc, argv);
	if (cf.o.mode == M_CHECK)
		return do_check(&cf);

	vnet_clock_set_mode(cf.o.clk);
	c = load_or_exit(cf.config);
	if (cf.access_vid >= 0 &&
	    route_conf_seg(c, (uint16_t)cf.access_vid) < 0)
		vnet_config_error("--segment %d: no such segment in %s",
				  cf.access_vid, cf.config);
	rc.access_vid = cf.access_vid;
	/* The DHCP engine answers for the segments marked dhcp. */
	st.dhcp = dhcp_or_exit(&cf);
	st.glue.dhcp = st.dhcp;
	rc.dhcp = route_glue_dhcp;
	rc.dhcp_arg = &st.glue;
	st.cf = &cf;
	st.send_rl = (struct vnet_ratelimit)VNET_RATELIMIT_INIT(1, 5);
	if (!(st.r = route_router_new(c, &rc)))
		vnet_config_error("%s: tables: %s", cf.config, strerror(errno));
	st.glue.router = st.r;
	if (cf.o.mode == M_EXPLAIN) {
		ret = route_explain(st.r, cf.file, cf.o.dir, cf.json,
				    cf.access_vid);
		if (cf.o.stats)
			print_counters(&st, stderr);
	} else {
		ret = do_run(&cf, &st);
	}
	route_router_free(st.r);
	route_dhcp_free(st.dhcp);
	return ret;
}
