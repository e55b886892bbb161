/* SPDX-License-Identifier: ISC */
/* test_opt.c -- the option table: keys and shared values, exact names,
 * duplicates, modes, and the usage and help text written from the table. */
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/opt.h"

enum { M_RUN = 1, M_CHECK = 2 };
enum { K_VNI = 1, K_MAP, K_LEFT, K_QUIET, K_LOUD, K_CHECK, K_JSON };

static const struct vnet_opt opts[] = {
	{ .shared = VNET_OPT_HELP },
	{ .shared = VNET_OPT_VERSION },
	{ .shared = VNET_OPT_VERBOSE },
	{ .name = "vni", .arg = "N", .key = K_VNI, .required = M_RUN,
	  .help = "the VNI" },
	{ .name = "map", .arg = "VLAN:VNI", .flags = VNET_OPT_REPEAT,
	  .key = K_MAP, .help = "a map" },
	{ .name = "left", .letter = 'l', .arg = "LEFT", .key = K_LEFT,
	  .modes = M_RUN, .help = "the left side" },
	{ .name = "quiet", .flags = VNET_OPT_OR_NEXT, .key = K_QUIET,
	  .help = "say less" },
	{ .name = "loud", .key = K_LOUD, .help = "say more" },
	{ .shared = VNET_OPT_FORMAT, .modes = M_RUN },
	{ .shared = VNET_OPT_CLOCK },
	{ .shared = VNET_OPT_DIR },
	{ .shared = VNET_OPT_STATS },
	{ .shared = VNET_OPT_USER, .modes = M_RUN },
	{ .name = "check", .flags = VNET_OPT_MODE, .modes = M_CHECK,
	  .operands = "[FILE]", .key = K_CHECK, .help = "check" },
	{ .name = "json", .modes = M_CHECK, .key = K_JSON,
	  .help = "JSON, with --check" },
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "t-opt",
	.opts = opts,
	.operands = "TAP",
	.notes = "  TAP: a tap\n",
	.default_mode = M_RUN,
};

struct got {
	int keys[16], n;
	const char *args[16];
	struct vnet_opt_common com;
	int optind;
};

static void parse(struct got *g, int argc, char **argv)
{
	const char *arg;
	int c;

	memset(g, 0, sizeof(*g));
	vnet_opt_begin(&prog, &g->com, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1 && g->n < 16) {
		g->args[g->n] = arg;
		g->keys[g->n++] = c;
	}
	g->optind = optind;
}

/* Parse argv in a child: its exit status, its stdout and stderr in out. */
static int child(char **argv, char *out, size_t n)
{
	int fds[2], st, argc = 0;
	ssize_t r;
	size_t got = 0;
	pid_t pid;

	while (argv[argc])
		argc++;
	if (pipe(fds))
		return -1;
	fflush(stdout);
	if (!(pid = fork())) {
		struct got g;

		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		parse(&g, argc, argv);
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < n && (r = read(fds[0], out + got, n - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_keys_and_shared(void)
{
	char *argv[] = { "t-opt", "--vni", "5", "tap0", "-vv", "--map=1:2",
			 "-lx", "--map", "3:4", "-F", "vde", "--clock", "pcap",
			 "--dir", "ingress", "--stats", "--stats", "-u",
			 "nobody", NULL };
	struct got g;

	parse(&g, 19, argv);
	T_EQ(g.n, 4);
	T_EQ(g.keys[0], K_VNI);
	T_STREQ(g.args[0], "5");
	T_EQ(g.keys[1], K_MAP);
	T_STREQ(g.args[1], "1:2");
	T_EQ(g.keys[2], K_LEFT);
	T_STREQ(g.args[2], "x");
	T_EQ(g.keys[3], K_MAP);
	T_STREQ(g.args[3], "3:4");
	T_EQ(g.com.verbose, 1 + 2); /* VNET_LOG_WARN + 2 */
	T_EQ(g.com.fmt, VNET_FMT_VDE);
	T_EQ(g.com.clk, VNET_CLOCK_PCAP);
	T_EQ(g.com.clk_given, 1);
	T_EQ(g.com.dir, VNET_INGRESS);
	T_EQ(g.com.stats, 1);
	T_STREQ(g.com.user, "nobody");
	T_EQ(g.com.mode, M_RUN);
	/* getopt moved the operand behind the options. */
	T_EQ(g.optind, 18);
	T_STREQ(argv[g.optind], "tap0");
}

static void test_defaults_and_mode(void)
{
	char *argv[] = { "t-opt", "--check", "--json", "f", NULL };
	char *none[] = { "t-opt", NULL };
	struct got g;

	parse(&g, 1, none);
	T_EQ(g.n, 0);
	T_EQ(g.com.verbose, 1);
	T_EQ(g.com.fmt, VNET_FMT_PCAP);
	T_EQ(g.com.clk, VNET_CLOCK_LIVE);
	T_EQ(g.com.clk_given, 0);
	T_EQ(g.com.dir, VNET_EGRESS);
	T_ASSERT(!g.com.user && !g.com.pidfile);
	T_EQ(g.com.mode, M_RUN);
	T_EQ(g.optind, 1);
	parse(&g, 4, argv);
	T_EQ(g.n, 2);
	T_EQ(g.keys[0], K_CHECK);
	T_EQ(g.keys[1], K_JSON);
	T_EQ(g.com.mode, M_CHECK);
	T_EQ(g.optind, 3);
}

/* Each bad command line: exit 2, and the message. */
static void test_usage_errors(void)
{
	static const struct {
		char *argv[6];
		const char *msg;
	} bad[] = {
		{ { "t-opt", "--vn", "5" }, "t-opt: unknown option '--vn'\n" },
		{ { "t-opt", "--vn=5" }, "t-opt: unknown option '--vn'\n" },
		{ { "t-opt", "x", "--vn", "5" },
		  "t-opt: unknown option '--vn'\n" },
		{ { "t-opt", "--lef", "x" }, "t-opt: unknown option '--lef'\n" },
		{ { "t-opt", "--chec" }, "t-opt: unknown option '--chec'\n" },
		{ { "t-opt", "--c" }, "t-opt: unknown option '--c'\n" },
		{ { "t-opt", "--bogus" }, "t-opt: unknown option '--bogus'\n" },
		{ { "t-opt", "-vx" }, "t-opt: unknown option '-x'\n" },
		{ { "t-opt", "--vni" }, "t-opt: --vni needs an argument\n" },
		{ { "t-opt", "--vn" }, "t-opt: unknown option '--vn'\n" },
		{ { "t-opt", "-l" }, "t-opt: -l needs an argument\n" },
		{ { "t-opt", "--stats=1" }, "t-opt: --stats takes no argument\n" },
		{ { "t-opt", "--vni", "1", "--vni", "2" },
		  "t-opt: --vni given twice\n" },
		{ { "t-opt", "-la", "--left", "b" },
		  "t-opt: -l/--left given twice\n" },
		{ { "t-opt", "--clock", "pcap", "--clock", "live" },
		  "t-opt: --clock given twice\n" },
		{ { "t-opt", "--loud", "--quiet" },
		  "t-opt: --quiet and --loud exclude each other\n" },
		{ { "t-opt", "--json" }, "t-opt: --json needs --check\n" },
		{ { "t-opt", "--check", "-l", "x" },
		  "t-opt: --left does not go with --check\n" },
		{ { "t-opt", "-F", "bogus" },
		  "t-opt: --format: unknown format 'bogus' (pcap, pcap-ns or "
		  "vde)\n" },
		{ { "t-opt", "--clock", "x" },
		  "t-opt: --clock: 'x' is not live or pcap\n" },
		{ { "t-opt", "--dir", "x" },
		  "t-opt: --dir: 'x' is not egress or ingress\n" },
	};
	char out[4096];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = strlen(bad[i].msg);
		T_EQ(child((char **)bad[i].argv, out, sizeof(out)), 2);
		if (strncmp(out, bad[i].msg, n))
			T_FAIL("case %zu: got \"%.*s\", expected \"%s\"", i,
			       (int)strcspn(out, "\n"), out, bad[i].msg);
		/* The usage follows the message. */
		T_ASSERT(!strncmp(out + n, "usage: t-opt ", 13));
	}
}

static const char usage_text[] =
	"usage: t-opt [-hV] [-v] --vni N [--map VLAN:VNI]... [-l LEFT] "
	"[--quiet | --loud]\n"
	"             [-F FORMAT] [--clock live|pcap] [--dir egress|ingress] "
	"[--stats]\n"
	"             [-u USER] TAP\n"
	"       t-opt --check [-v] [--vni N] [--map VLAN:VNI]... "
	"[--quiet | --loud]\n"
	"             [--clock live|pcap] [--dir egress|ingress] [--stats] "
	"[--json]\n"
	"             [FILE]\n"
	"\n"
	"  TAP: a tap\n";

static void test_usage_and_help(void)
{
	char *help[] = { "t-opt", "-v", "--help", NULL };
	char *version[] = { "t-opt", "--version", NULL };
	char out[4096], *p;
	char *argv[] = { "t-opt", NULL };
	struct got g;
	FILE *f;

	parse(&g, 1, argv);
	f = fmemopen(out, sizeof(out), "w");
	T_ASSERT(f);
	if (!f)
		return;
	vnet_opt_usage(f);
	fclose(f);
	T_STREQ(out, usage_text);

	T_EQ(child(help, out, sizeof(out)), 0);
	T_ASSERT(!strncmp(out, usage_text, strlen(usage_text)));
	p = out + strlen(usage_text);
	/* One column, as wide as the widest option (--dir egress|ingress). */
	T_ASSERT(!strncmp(p, "\noptions:\n"
			     "  -h, --help                print this help and "
			     "exit\n", 58));
	T_ASSERT(strstr(p, "\n  -l, --left LEFT           the left side\n"));
	T_ASSERT(strstr(p, "\n      --map VLAN:VNI...     a map\n"));
	T_ASSERT(strstr(p, "\n  -F, --format FORMAT       "));
	T_ASSERT(strstr(p, "\n      --dir egress|ingress  direction"));
	T_ASSERT(strstr(p, "\n      --check               check\n"));

	T_EQ(child(version, out, sizeof(out)), 0);
	T_ASSERT(!strncmp(out, "t-opt ", 6));
}

int main(void)
{
	T_RUN(test_keys_and_shared);
	T_RUN(test_defaults_and_mode);
	T_RUN(test_usage_errors);
	T_RUN(test_usage_and_help);
	return T_DONE();
}
