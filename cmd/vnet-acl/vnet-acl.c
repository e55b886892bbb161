/* SPDX-License-Identifier: ISC */
/* vnet-acl -- stateful microsegmentation firewall between a workload and
 * the fabric. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet-acl/acl.h"
#include "vnet/afile.h"
#include "vnet/clock.h"
#include "vnet/counter.h"
#include "vnet-acl/ct.h"
#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/mid.h"
#include "vnet/num.h"
#include "vnet/opt.h"
#include "vnet/pidfile.h"
#include "vnet/progress.h"
#include "vnet/sig.h"
#include "vnet/tool.h"
#include "acl-tool.h"

/* Modes, and the options each takes. */
enum { M_RUN = 1, M_CHECK = 2, M_EXPLAIN = 4, M_RELOAD = 8 };

enum {
	OPT_POLICY = 1,
	OPT_LEFT,
	OPT_RIGHT,
	OPT_CT_MAX,
	OPT_CT_RESERVE,
	OPT_CT_QUOTA,
	OPT_TIMEOUT,
	OPT_LOG,
	OPT_CT_DUMP,
	OPT_CHECK,
	OPT_EXPLAIN,
	OPT_JSON,
	OPT_RELOAD,
};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "policy", .letter = 'p', .arg = "POLICY", .key = OPT_POLICY,
	  .required = M_RUN | M_CHECK | M_EXPLAIN,
	  .help = "the policy file, vnet-acl.policy(5)" },
	{ .name = "left", .letter = 'l', .arg = "LEFT", .key = OPT_LEFT,
	  .modes = M_RUN, .help = "the side toward the workload (default -)" },
	{ .name = "right", .letter = 'R', .arg = "RIGHT", .key = OPT_RIGHT,
	  .modes = M_RUN, .help = "the side toward the fabric (default -)" },
	{ .shared = VNET_OPT_DIR, .modes = M_RUN | M_EXPLAIN },
	{ .name = "ct-max", .arg = "N", .key = OPT_CT_MAX,
	  .modes = M_RUN | M_EXPLAIN,
	  .help = "size of the connection table (default 65536)" },
	{ .name = "ct-reserve", .arg = "N", .key = OPT_CT_RESERVE,
	  .modes = M_RUN | M_EXPLAIN,
	  .help = "entries only reserve rules may use (default max/16)" },
	{ .name = "ct-quota", .arg = "N|SEG=N", .flags = VNET_OPT_REPEAT,
	  .key = OPT_CT_QUOTA, .modes = M_RUN | M_EXPLAIN,
	  .help = "entries a segment may hold, or segment SEG" },
	{ .name = "timeout", .arg = "NAME=DURATION", .flags = VNET_OPT_REPEAT,
	  .key = OPT_TIMEOUT, .modes = M_RUN | M_EXPLAIN,
	  .help = "timeout of a connection state" },
	{ .name = "log", .flags = VNET_OPT_REPEAT, .key = OPT_LOG,
	  .modes = M_RUN | M_EXPLAIN,
	  .help = "log dropped and rejected frames, rate limited" },
	{ .name = "ct-dump", .arg = "FILE", .key = OPT_CT_DUMP,
	  .modes = M_RUN | M_EXPLAIN,
	  .help = "write the connection table on SIGUSR1 and at exit" },
	{ .shared = VNET_OPT_PIDFILE, .modes = M_RUN },
	{ .shared = VNET_OPT_FORMAT, .modes = M_RUN },
	{ .shared = VNET_OPT_FORCE, .modes = M_RUN },
	{ .shared = VNET_OPT_CLOCK, .modes = M_RUN | M_EXPLAIN },
	{ .shared = VNET_OPT_STATS, .modes = M_RUN | M_EXPLAIN },
	{ .shared = VNET_OPT_NO_OFFLOAD, .modes = M_RUN },
	{ .shared = VNET_OPT_USER, .modes = M_RUN },
	{ .shared = VNET_OPT_NAME, .modes = M_RUN },
	{ .shared = VNET_OPT_CONTROL, .modes = M_RUN },
	{ .shared = VNET_OPT_DESCRIBE, .modes = M_RUN },
	{ .shared = VNET_OPT_PROGRESS, .modes = M_RUN },
	{ .shared = VNET_OPT_NO_PROGRESS, .modes = M_RUN },
	{ .name = "check", .flags = VNET_OPT_MODE, .modes = M_CHECK,
	  .key = OPT_CHECK, .help = "check the policy and exit" },
	{ .name = "explain", .flags = VNET_OPT_MODE, .modes = M_EXPLAIN,
	  .operands = "[FILE]", .key = OPT_EXPLAIN,
	  .help = "the verdict and its rule for each frame of FILE" },
	{ .name = "json", .flags = VNET_OPT_REPEAT, .modes = M_EXPLAIN,
	  .key = OPT_JSON, .help = "with --explain: one JSON object a frame" },
	{ .name = "reload", .arg = "INSTANCE", .flags = VNET_OPT_MODE,
	  .modes = M_RELOAD, .key = OPT_RELOAD,
	  .help = "make INSTANCE (pid file, name or socket) reload" },
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-acl",
	.opts = opts,
	.default_mode = M_RUN,
	.notes = "  LEFT, RIGHT: - | fd:R,W | pcap:FILE | tap:NAME[,mtu=N][,mac=M] "
		 "(default -)\n"
		 "  FORMAT: pcap | pcap-ns | vde;  NAME: tcp-syn tcp-est tcp-fin "
		 "tcp-close\n"
		 "  udp udp-stream icmp other\n",
};

/* Fixed hash seed of the connection table with --clock pcap, so a replay
 * evicts and dumps the same way every time. */
#define PCAP_SEED 0x766e65742d61636cULL /* "vnet-acl" */

struct conf {
	struct vnet_opt_common o; /* the shared options, o.mode the mode */
	const char *policy, *left, *right, *ct_dump;
	const char *reload, *file;
	int log, json;
	uint64_t ct_max, ct_reserve, ct_quota;
	int has_reserve, has_quota, has_seg_quota;
	uint32_t seg_quota[VNET_CT_SEGMENTS];
	uint64_t timeout[VNET_CT_T_MAX];
};

struct state {
	const struct conf *cf;
	struct vnet_acl *a;
	struct vnet_mid *m;
	struct vnet_ctl *ctl;
	struct vnet_ratelimit send_rl;
	uint32_t ct_max; /* for describe */
	const struct vnet_mid_config *mc; /* the sides, for describe */
	uint8_t out[VNET_ACL_REPLY_MAX];
};

static struct vnet_policy *load_or_exit(const char *path)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	struct vnet_policy *p;

	if (!(p = vnet_policy_load(path, &err)))
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	return p;
}

/* "N" (the default quota) or "SEG=N". */
static void parse_quota(struct conf *cf, const char *arg)
{
	char buf[64], *eq;
	uint64_t seg, n;

	if (!(eq = strchr(arg, '='))) {
		if (cf->has_quota)
			vnet_usage_error("--ct-quota N given twice");
		cf->ct_quota = vnet_opt_u64("--ct-quota", arg, 1, VNET_CT_MAX);
		cf->has_quota = 1;
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(eq - arg), arg);
	seg = vnet_opt_u64("--ct-quota SEG", buf, 0, VNET_CT_SEGMENTS - 1);
	n = vnet_opt_u64("--ct-quota", eq + 1, 1, VNET_CT_MAX);
	if (cf->seg_quota[seg])
		vnet_usage_error("--ct-quota: segment %llu given twice",
				 (unsigned long long)seg);
	cf->seg_quota[seg] = (uint32_t)n;
	cf->has_seg_quota = 1;
}

/* NAME=DURATION. */
static void parse_timeout(struct conf *cf, const char *arg)
{
	char buf[64], *eq;
	uint64_t ns;
	int i;

	if (!(eq = strchr(arg, '=')) || (size_t)(eq - arg) >= sizeof(buf))
		vnet_usage_error("--timeout: '%s' is not NAME=DURATION", arg);
	snprintf(buf, sizeof(buf), "%.*s", (int)(eq - arg), arg);
	if ((i = vnet_ct_timeout_parse(buf)) < 0)
		vnet_usage_error("--timeout: unknown timeout '%s' (tcp-syn, "
				 "tcp-est, tcp-fin, tcp-close, udp, udp-stream, "
				 "icmp, other)", buf);
	if (cf->timeout[i])
		vnet_usage_error("--timeout %s given twice", buf);
	ns = vnet_opt_duration("--timeout", eq + 1);
	if (!ns)
		vnet_usage_error("--timeout: %s must be longer than 0", buf);
	cf->timeout[i] = ns;
}

/* Files written later: a wrong path fails now (exit 2), not at the first
 * dump. */
static void check_paths(const struct conf *cf)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;

	if (cf->ct_dump && vnet_afile_check(cf->ct_dump, &err))
		vnet_config_error("--ct-dump %s",
				  vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->o.pidfile && vnet_afile_check(cf->o.pidfile, &err))
		vnet_config_error("--pidfile %s",
				  vnet_err_str(&err, buf, sizeof(buf)));
}

static void parse_args(struct conf *cf, int argc, char **argv)
{
	const char *arg;
	int c;

	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_POLICY:
			cf->policy = arg;
			break;
		case OPT_LEFT:
			cf->left = arg;
			break;
		case OPT_RIGHT:
			cf->right = arg;
			break;
		case OPT_CT_MAX:
			cf->ct_max = vnet_opt_u64("--ct-max", arg, 1,
						  VNET_CT_MAX);
			break;
		case OPT_CT_RESERVE:
			cf->ct_reserve = vnet_opt_u64("--ct-reserve", arg, 0,
						      VNET_CT_MAX - 1);
			cf->has_reserve = 1;
			break;
		case OPT_CT_QUOTA:
			parse_quota(cf, arg);
			break;
		case OPT_TIMEOUT:
			parse_timeout(cf, arg);
			break;
		case OPT_LOG:
			cf->log = 1;
			break;
		case OPT_CT_DUMP:
			cf->ct_dump = arg;
			break;
		case OPT_RELOAD:
			cf->reload = arg;
			break;
		case OPT_JSON:
			cf->json = 1;
			break;
		}
	}
	if (cf->o.mode == M_EXPLAIN && argc - optind > 1)
		vnet_usage_error("one FILE expected");
	if (cf->o.mode != M_EXPLAIN && argc - optind > 0)
		vnet_usage_error("unexpected argument '%s'", argv[optind]);
	if (cf->o.mode == M_EXPLAIN && optind < argc)
		cf->file = argv[optind];
	if (!cf->policy && cf->o.mode != M_RELOAD)
		vnet_usage_error("no policy given (-p POLICY)");
	if (cf->o.mode == M_EXPLAIN && !cf->o.clk_given)
		cf->o.clk = VNET_CLOCK_PCAP;
	check_paths(cf);
}

/* --log: the engine's drop log, 10 lines a second after a burst of 20. */
static void log_line(void *arg, uint64_t now, const char *line)
{
	vnet_log_rl(arg, now, VNET_LOG_WARN, "%s", line);
}

/* A default's drop: said once a segment, then with -v rate limited. */
static void warn_line(void *arg, uint64_t now, uint8_t *said,
		      const char *line)
{
	vnet_log_first(arg, said, now, "%s", line);
}

/* The engine's configuration from the options. */
static void acl_config(const struct conf *cf, struct vnet_acl_config *ac)
{
	static struct vnet_ratelimit drop_rl = VNET_RATELIMIT_INIT(10, 20);
	static struct vnet_ratelimit warn_rl = VNET_RATELIMIT_INIT(1, 5);
	int i;

	memset(ac, 0, sizeof(*ac));
	vnet_ct_config_default(&ac->ct);
	if (cf->ct_max)
		ac->ct.max = (uint32_t)cf->ct_max;
	ac->ct.reserve = cf->has_reserve ? (uint32_t)cf->ct_reserve
					 : ac->ct.max / 16;
	if (ac->ct.reserve >= ac->ct.max)
		vnet_usage_error("--ct-reserve %u leaves nothing of --ct-max %u",
				 ac->ct.reserve, ac->ct.max);
	ac->ct.quota = cf->has_quota ? (uint32_t)cf->ct_quota
				     : (ac->ct.max - ac->ct.reserve) / 2;
	if (!ac->ct.quota)
		ac->ct.quota = 1;
	if (ac->ct.quota > ac->ct.max)
		vnet_usage_error("--ct-quota %u is more than --ct-max %u",
				 ac->ct.quota, ac->ct.max);
	for (i = 0; i < VNET_CT_SEGMENTS; i++)
		if (cf->seg_quota[i] > ac->ct.max)
			vnet_usage_error("--ct-quota %d=%u is more than --ct-max %u",
					 i, cf->seg_quota[i], ac->ct.max);
	if (cf->has_seg_quota)
		ac->ct.seg_quota = (uint32_t *)cf->seg_quota;
	for (i = 0; i < VNET_CT_T_MAX; i++)
		if (cf->timeout[i])
			ac->ct.timeout[i] = cf->timeout[i];
	ac->log = cf->log;
	ac->log_line = log_line;
	ac->log_arg = &drop_rl;
	ac->warn = warn_line;
	ac->warn_arg = &warn_rl;
	ac->warn_all = vnet_log_level() >= VNET_LOG_INFO;
	ac->explain = cf->o.mode == M_EXPLAIN;
}

/* ---- --check and --reload ---- */

/* A warning of vnet_policy_lint(): "FILE:LINE: warning: ...". */
static void check_warning(void *arg, const struct vnet_err *w)
{
	char buf[VNET_ERR_STRLEN];

	(void)arg;
	vnet_log(VNET_LOG_WARN, "%s", vnet_err_str(w, buf, sizeof(buf)));
}

/* The policy is valid (exit 0) or not (exit 2); what is valid but
 * likely wrong is a warning on stderr. */
static int do_check(const struct conf *cf)
{
	struct vnet_policy *p = load_or_exit(cf->policy);
	unsigned g, w, r;

	vnet_policy_lint(p, check_warning, NULL);
	vnet_policy_summary(p, &g, &w, &r);
	printf("%s: ok: %u groups, %u workloads, %u rules\n", cf->policy, g, w,
	       r);
	vnet_policy_free(p);
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* The pid in pid file path, which must be a vnet-acl's: 0, or 1 after
 * logging why not. */
static int read_pidfile(const char *path, long *pidp)
{
	char proc[64], comm[64];
	struct vnet_err err;
	int held;
	pid_t pid;
	FILE *f;

	if (vnet_pidfile_read(path, &pid, &held, &err) < 0) {
		vnet_log_err(&err, NULL);
		return 1;
	}
	snprintf(proc, sizeof(proc), "/proc/%llu/comm",
		 (unsigned long long)pid);
	comm[0] = '\0';
	if ((f = fopen(proc, "r"))) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "vnet-acl")) {
		vnet_log(VNET_LOG_ERR, "%s: pid %llu is not vnet-acl%s", path,
			 (unsigned long long)pid,
			 comm[0] ? "" : " (no such process)");
		return 1;
	}
	/* A vnet-acl, but the one that wrote the file?  A stale file (its
	 * lock gone with its process) may name a pid another vnet-acl has
	 * now. */
	if (!held) {
		vnet_log(VNET_LOG_ERR, "%s: stale: no process holds it (pid %llu "
			 "is a vnet-acl that did not write it)", path,
			 (unsigned long long)pid);
		return 1;
	}
	*pidp = (long)pid;
	return 0;
}

/* --reload INSTANCE: a control socket, a pid file (then the socket the
 * process listens on), or an instance name.  The daemon's answer decides:
 * 0 reloaded (its "ok generation N" on stdout), 1 refused (its
 * FILE:LINE: message) or not reachable. */
static int do_reload(const struct conf *cf)
{
	const char *t = cf->reload;
	char path[256], buf[VNET_ERR_STRLEN], *reply, *status, *body;
	struct vnet_err err;
	struct stat st;
	long pid;
	int r;

	if (cf->policy)
		vnet_policy_free(load_or_exit(cf->policy));
	if (!stat(t, &st) && !S_ISSOCK(st.st_mode)) {
		if (read_pidfile(t, &pid))
			return 1;
		if ((r = vnet_ctl_find_pid(pid, path, sizeof(path))) < 0) {
			/* No control socket (--control none): the signal,
			 * whose answer only its log has. */
			if (kill((pid_t)pid, SIGHUP)) {
				vnet_log(VNET_LOG_ERR, "%s: signal pid %ld: %s",
					 t, pid, strerror(errno));
				return 1;
			}
			vnet_log(VNET_LOG_WARN, "%s: pid %ld has no control "
				 "socket (%s): sent SIGHUP, its log has the "
				 "answer", t, pid, strerror(-r));
			return 0;
		}
	} else if (vnet_ctl_target(t, path, sizeof(path)) < 0) {
		vnet_log(VNET_LOG_ERR, "%s: not a pid file, an instance name "
			 "or a socket", t);
		return 1;
	}
	vnet_err_clear(&err);
	if ((r = vnet_ctl_call(path, "reload", VNET_CTL_TIMEOUT_MS, &reply,
			       NULL, &err)) < 0) {
		vnet_log(VNET_LOG_ERR, "reload %s: %s", t,
			 vnet_err_str(&err, buf, sizeof(buf)));
		return 1;
	}
	r = vnet_ctl_split(reply, &status, &body);
	if (r) {
		printf("%s\n", status);
		free(reply);
		if (fflush(stdout) || ferror(stdout)) {
			vnet_log(VNET_LOG_ERR, "write stdout: %s",
				 strerror(errno));
			return 1;
		}
		return 0;
	}
	vnet_log(VNET_LOG_ERR, "reload %s: %s", t, status);
	free(reply);
	return 1;
}

/* ---- the running filter ---- */

/* The stream_* and *_tx_queue_drops counters from the sides. */
static void sync_stream_stats(struct state *st)
{
	const struct vnet_sr_stats *s[2] = {
		vnet_mid_rstats(st->m, VNET_EGRESS),
		vnet_mid_rstats(st->m, VNET_INGRESS),
	};
	const struct vnet_sw_stats *l = vnet_mid_wstats(st->m, VNET_INGRESS);
	const struct vnet_sw_stats *r = vnet_mid_wstats(st->m, VNET_EGRESS);

	vnet_acl_set_stream_stats(st->a, s, 2);
	vnet_acl_set_queue_drops(st->a, l ? l->queue_drops : 0,
				 r ? r->queue_drops : 0);
}

/* The status line's counts (progress.h): frames read on both sides,
 * every drop counter. */
static void progress_sample(void *arg, struct vnet_progress_sample *s)
{
	struct state *st = arg;
	const struct vnet_sr_stats *r;
	int d, c;

	sync_stream_stats(st);
	for (d = VNET_EGRESS; d <= VNET_INGRESS; d++)
		if ((r = vnet_mid_rstats(st->m, (enum vnet_dir)d)))
			s->frames += r->frames;
	for (c = 0; c < VNET_ACL_CTR_MAX; c++)
		if (vnet_counter_is_drop(
			    vnet_acl_counter_name((enum vnet_acl_ctr)c)))
			s->drops +=
				vnet_acl_counter(st->a, (enum vnet_acl_ctr)c);
}

/* A status line while a capture file is filtered (--progress,
 * --no-progress), or NULL. */
static struct vnet_progress *progress_start(struct state *st)
{
	struct vnet_progress_config pc = {
		.fd = vnet_mid_rfd(st->m, VNET_EGRESS),
		.sample = progress_sample,
		.show = vnet_log_status,
		.arg = st,
	};

	if (!vnet_log_is_file(pc.fd) &&
	    vnet_log_is_file(vnet_mid_rfd(st->m, VNET_INGRESS)))
		pc.fd = vnet_mid_rfd(st->m, VNET_INGRESS);
	if (!vnet_log_status_wanted(st->cf->o.progress,
				    vnet_log_is_file(pc.fd)))
		return NULL;
	return vnet_progress_new(vnet_mid_loop(st->m), &pc);
}

static int write_ct(void *arg, FILE *f)
{
	const struct state *st = arg;

	return vnet_acl_dump_ct(st->a, f, vnet_clock_now());
}

/* The connection table to --ct-dump whole or not at all (lib/afile.c):
 * a reader never sees half a table, and a dump that fails (a full disk)
 * leaves the last one as it was, is logged, and the filter goes on; -1
 * then, so the dump at exit makes the exit status 1. */
static int dump_ct(const struct state *st)
{
	static struct vnet_ratelimit rl = VNET_RATELIMIT_INIT(1, 3);
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;

	if (!st->cf->ct_dump)
		return 0;
	if (vnet_afile_write(st->cf->ct_dump, write_ct, (void *)st, &err) < 0) {
		vnet_log_rl(&rl, vnet_clock_wall(), VNET_LOG_ERR,
			    "ct dump %s (the file is left as it was)",
			    vnet_err_str(&err, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

/* Load the policy file again and put it in force, logged either way:
 * 0 (the number of its rules and of the connections it revoked in
 * *rules, *revoked), or -EINVAL with err filled (the policy in force
 * stays). */
static int reload(struct state *st, struct vnet_err *err, unsigned *rules,
		  unsigned *revoked)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_policy *p;
	unsigned g, w;

	if (!(p = vnet_policy_load(st->cf->policy, err))) {
		vnet_acl_count(st->a, VNET_ACL_RELOAD_FAILED, 1);
		vnet_log(VNET_LOG_ERR, "reload refused: %s (keeping generation %u)",
			 vnet_err_str(err, buf, sizeof(buf)),
			 vnet_acl_generation(st->a));
		return -EINVAL;
	}
	vnet_policy_summary(p, &g, &w, rules);
	*revoked = vnet_acl_replace_policy(st->a, p);
	vnet_log(VNET_LOG_NOTICE,
		 "reloaded %s: %u rules, generation %u, %u connections revoked",
		 st->cf->policy, *rules, vnet_acl_generation(st->a), *revoked);
	return 0;
}

/* ---- the control socket (vnet(7) CONTROL SOCKET) ---- */

static int ctl_counters(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct state *st = arg;

	(void)rq;
	sync_stream_stats(st);
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	vnet_acl_print_counters(st->a, vnet_ctl_out(rp));
	return 0;
}

/* The columns of --ct-dump (ct.h, vnet(7) STATE AS TEXT). */
static const struct vnet_ctl_col ct_cols[] = {
	{ .name = "seg", .num = 1 },	 { .name = "proto" },
	{ .name = "saddr" },		 { .name = "sport", .num = 1 },
	{ .name = "daddr" },		 { .name = "dport", .num = 1 },
	{ .name = "state" },		 { .name = "dir" },
	{ .name = "rule_id", .num = 1 }, { .name = "age_s", .num = 1 },
	{ .name = "idle_s", .num = 1 },	 { .name = "pkts_o", .num = 1 },
	{ .name = "bytes_o", .num = 1 }, { .name = "pkts_r", .num = 1 },
	{ .name = "bytes_r", .num = 1 }, { 0 },
};

static int ctl_ct(void *arg, const struct vnet_ctl_req *rq,
		  struct vnet_ctl_reply *rp)
{
	struct state *st = arg;

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "ct", ct_cols);
	return vnet_acl_dump_ct(st->a, vnet_ctl_out(rp), vnet_clock_now());
}

static int ctl_reload(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	char buf[VNET_ERR_STRLEN];
	struct state *st = arg;
	unsigned rules, revoked;
	struct vnet_err err;

	(void)rq;
	vnet_err_clear(&err);
	if (reload(st, &err, &rules, &revoked) < 0)
		return vnet_ctl_fail(rp, "refused: %s",
				     vnet_err_str(&err, buf, sizeof(buf)));
	vnet_ctl_ok(rp, "generation %u", vnet_acl_generation(st->a));
	vnet_ctl_head(rp, 0);
	vnet_ctl_str(rp, "policy", st->cf->policy);
	vnet_ctl_u64(rp, "generation", vnet_acl_generation(st->a));
	vnet_ctl_u64(rp, "rules", rules);
	vnet_ctl_u64(rp, "revoked", revoked);
	return 0;
}

static int ctl_describe(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct state *st = arg;
	const struct conf *cf = st->cf;
	const char *lf = NULL, *rf = NULL;
	unsigned g, w, rules;
	int oneway = 0;

	(void)rq;
	vnet_policy_summary(vnet_acl_policy(st->a), &g, &w, &rules);
	vnet_mid_framing(st->mc, &lf, &rf, &oneway);
	vnet_ctl_about(rp);
	vnet_ctl_str(rp, "left", cf->left ? cf->left : "-");
	vnet_ctl_str(rp, "right", cf->right ? cf->right : "-");
	if (st->m ? vnet_mid_oneway(st->m) : oneway)
		vnet_ctl_str(rp, "dir", vnet_dir_name(st->mc->dir));
	/* A firewall adds nothing and passes any size. */
	vnet_ctl_budget(rp, &(struct vnet_ctl_budget){ .inner = lf,
							.outer = rf });
	vnet_ctl_str(rp, "policy", cf->policy);
	vnet_ctl_u64(rp, "generation", vnet_acl_generation(st->a));
	vnet_ctl_u64(rp, "groups", g);
	vnet_ctl_u64(rp, "workloads", w);
	vnet_ctl_u64(rp, "rules", rules);
	vnet_ctl_u64(rp, "ct_max", st->ct_max);
	vnet_ctl_str(rp, "log", cf->log ? "yes" : "no");
	vnet_ctl_str(rp, "ct_dump", cf->ct_dump);
	vnet_ctl_str(rp, "pidfile", cf->o.pidfile);
	vnet_ctl_str(rp, "format", vnet_stream_fmt_name(cf->o.fmt));
	return 0;
}

static const struct vnet_ctl_cmd ctl_cmds[] = {
	{ .name = "counters", .help = "the counters, the rules' too",
	  .fn = ctl_counters },
	{ .name = "ct", .help = "the connection table (--ct-dump's form)",
	  .fn = ctl_ct },
	{ .name = "describe", .help = "the instance, its sides and policy",
	  .fn = ctl_describe },
	{ .name = "reload", .help = "load the policy again (as SIGHUP)",
	  .fn = ctl_reload },
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
		size_t olen;
		int act, r;

		if (pcap) {
			vnet_clock_observe(f[i].ts_ns);
			now = vnet_clock_now();
		}
		act = vnet_acl_frame(st->a, dir, f[i].data, f[i].len, now, NULL,
				     NULL, st->out, &olen);
		if (act == VNET_ACT_ALLOW) {
			r = vnet_mid_send(m, dir, f[i].ts_ns, &iov, 1);
		} else if (olen) {
			iov.iov_base = st->out;
			iov.iov_len = olen;
			r = vnet_mid_reply(m, dir, f[i].ts_ns, &iov, 1);
			vnet_acl_count(st->a, r < 0 ? VNET_ACL_REJECT_UNSENDABLE
						    : VNET_ACL_REJECTS_SENT, 1);
		} else {
			continue;
		}
		if (r == -EPIPE)
			return r;
		if (r < 0 && r != -ENOTCONN)
			vnet_log_rl(&st->send_rl, now, VNET_LOG_WARN,
				    "send %s: %s",
				    act == VNET_ACT_ALLOW
					    ? vnet_dir_name(dir)
					    : "reject",
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
		unsigned rules, revoked;

		reload(st, &err, &rules, &revoked);
	}
	if (sig & VNET_SIG_USR1) {
		sync_stream_stats(st);
		vnet_acl_print_counters(st->a, stderr);
		dump_ct(st);
	}
}

static void on_tick(void *arg, struct vnet_mid *m, uint64_t now)
{
	struct state *st = arg;

	(void)m;
	vnet_acl_tick(st->a, now);
}

static int do_run(const struct conf *cf, struct vnet_acl *a, uint32_t ct_max)
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
	struct vnet_progress *pr;
	struct vnet_pidfile *pf = NULL;
	struct vnet_ctl_config cc = {
		.program = prog.name,
		.name = cf->o.name,
		.path = cf->o.control,
		.cmds = ctl_cmds,
	};
	char buf[VNET_ERR_STRLEN];
	struct state *st;
	struct vnet_err err;
	int r, ret = 1;

	vnet_opt_mid_config(&cf->o, &mc);
	if (cf->o.describe)
		mc.force = 1; /* stdout is the description's */
	/* A bad side, or a stream for a terminal: exit 2 before anything
	 * is written. */
	if ((r = vnet_mid_check(&mc, &err)) == -ENOTTY)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	else if (r < 0)
		vnet_usage_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	if (!(st = calloc(1, sizeof(*st)))) {
		vnet_log(VNET_LOG_ERR, "out of memory");
		return 1;
	}
	st->cf = cf;
	st->a = a;
	st->ct_max = ct_max;
	st->mc = &mc;
	cc.arg = st;
	if (cf->o.describe) {
		ret = vnet_tool_describe(prog.name, ctl_cmds, st);
		goto out;
	}
	st->send_rl = (struct vnet_ratelimit)VNET_RATELIMIT_INIT(1, 5);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	/* The control socket and the pid file are made before the sides are
	 * opened and privileges dropped (they may live in a root-owned
	 * /run), the socket first, so that --reload PIDFILE finds it, and
	 * both before any port, so that a second instance stops there;
	 * signals are already caught. */
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
	if (cf->o.user && cf->ct_dump && vnet_afile_check(cf->ct_dump, &err))
		vnet_log(VNET_LOG_WARN, "--ct-dump %s as %s: dumps will fail",
			 vnet_err_str(&err, buf, sizeof(buf)), cf->o.user);
	if (st->ctl &&
	    (r = vnet_ctl_attach(st->ctl, vnet_mid_loop(st->m))) < 0) {
		vnet_log(VNET_LOG_ERR, "control socket: %s", strerror(-r));
		goto out;
	}
	pr = progress_start(st);
	r = vnet_mid_run(st->m, &ops, st);
	vnet_progress_free(pr);
	vnet_log_loop(vnet_mid_loop(st->m), r);
	if (r < 0 && r != -EPIPE)
		goto out;
	ret = 0;
out:
	if (st->m) {
		sync_stream_stats(st);
		if (cf->o.stats)
			vnet_acl_print_counters(a, stderr);
		if (dump_ct(st) < 0)
			ret = 1;
	}
	vnet_mid_close(st->m);
	vnet_ctl_close(st->ctl);
	if ((r = vnet_pidfile_remove(pf)) < 0)
		vnet_log(VNET_LOG_INFO, "remove pidfile %s: %s", cf->o.pidfile,
			 strerror(-r));
	free(st);
	return ret;
}

int main(int argc, char **argv)
{
	static struct conf cf; /* vnet_opt_begin() sets the shared defaults */
	struct vnet_acl_config ac;
	struct vnet_policy *p;
	struct vnet_acl *a;
	struct state st = { 0 };
	int ret;

	parse_args(&cf, argc, argv);

	if (cf.o.mode == M_CHECK)
		return do_check(&cf);
	if (cf.o.mode == M_RELOAD)
		return do_reload(&cf);

	acl_config(&cf, &ac);
	vnet_clock_set_mode(cf.o.clk);
	p = load_or_exit(cf.policy);
	if (!(a = vnet_acl_new(p, &ac)))
		vnet_config_error("connection table of %u entries: %s",
				  ac.ct.max, strerror(errno));
	if (cf.o.clk == VNET_CLOCK_PCAP)
		vnet_acl_set_seed(a, PCAP_SEED);

	if (cf.o.mode == M_EXPLAIN) {
		ret = acl_explain(a, cf.file, cf.o.dir, cf.json);
		if (cf.o.stats)
			vnet_acl_print_counters(a, stderr);
		st.cf = &cf;
		st.a = a;
		if (dump_ct(&st) < 0 && ret == 0)
			ret = 1;
	} else {
		ret = do_run(&cf, a, ac.ct.max);
	}
	vnet_acl_free(a);
	return ret;
}
