/* SPDX-License-Identifier: ISC */
/* opt.c -- the command line of every program, from one table of options. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/opt.h"
#include "vnet/sig.h"
#include "vnet/tool.h"

#define WIDTH 80      /* of the usage lines */
#define HELP_COL 24   /* the widest option column of --help */
#define ALONE (1u << 31) /* acts alone (-h, -V): [-hV], first line only */

/* The rows programs share, described once. */
static const struct vnet_opt shared[VNET_OPT_NSHARED] = {
	[VNET_OPT_HELP] = { .name = "help", .letter = 'h', .flags = ALONE,
			    .help = "print this help and exit" },
	[VNET_OPT_VERSION] = { .name = "version", .letter = 'V',
			       .flags = ALONE,
			       .help = "print the version and exit" },
	[VNET_OPT_VERBOSE] = { .name = "verbose", .letter = 'v',
			       .flags = VNET_OPT_REPEAT,
			       .help = "log more (may repeat)" },
	[VNET_OPT_FORMAT] = { .name = "format", .letter = 'F', .arg = "FORMAT",
			      .help = "streams written: pcap, pcap-ns or vde" },
	[VNET_OPT_FORCE] = { .name = "force", .flags = VNET_OPT_REPEAT,
			     .help = "write binary streams to a terminal too" },
	[VNET_OPT_CLOCK] = { .name = "clock", .arg = "live|pcap",
			     .help = "timers: wall clock or frame timestamps" },
	[VNET_OPT_STATS] = { .name = "stats", .flags = VNET_OPT_REPEAT,
			     .help = "write the counters to stderr at exit" },
	[VNET_OPT_NO_OFFLOAD] = { .name = "no-offload",
				  .flags = VNET_OPT_REPEAT,
				  .help = "open taps without TSO/checksum "
					  "offloads" },
	[VNET_OPT_USER] = { .name = "user", .letter = 'u', .arg = "USER",
			    .help = "drop privileges to USER after set-up" },
	[VNET_OPT_DIR] = { .name = "dir", .arg = "egress|ingress",
			   .help = "direction of a one-way filter "
				   "(default egress)" },
	[VNET_OPT_PIDFILE] = { .name = "pidfile", .arg = "FILE",
			       .help = "write the process ID to FILE, locked" },
	[VNET_OPT_ON_FULL] = { .name = "on-full", .arg = "drop|block",
			       .help = "a full output drops or waits "
				       "(default drop)" },
	[VNET_OPT_NAME] = { .name = "name", .arg = "NAME",
			    .help = "the instance name (default: the tap, or "
				    "PROG-PID)" },
	[VNET_OPT_CONTROL] = { .name = "control", .arg = "PATH|none",
			       .help = "the control socket (default "
				       "/run/vnet/NAME.sock)" },
	[VNET_OPT_DESCRIBE] = { .name = "describe", .flags = VNET_OPT_REPEAT,
				.help = "print the sides and MTU budget as JSON "
					"and exit" },
	[VNET_OPT_PROGRESS] = { .name = "progress",
				.flags = VNET_OPT_REPEAT | VNET_OPT_OR_NEXT,
				.help = "a status line on stderr, even off a "
					"terminal" },
	[VNET_OPT_NO_PROGRESS] = { .name = "no-progress",
				   .flags = VNET_OPT_REPEAT,
				   .help = "no status line on stderr" },
};

/* The parse in progress (one a process, as getopt's). */
static struct {
	const struct vnet_opt_prog *prog;
	struct vnet_opt_common *com;
	int argc;
	char **argv;
	struct vnet_opt rows[VNET_OPT_MAX]; /* shared rows filled in */
	int n;
	struct option lo[VNET_OPT_MAX + 1];
	char so[3 + 2 * VNET_OPT_MAX + 1];
	uint64_t given; /* one bit a row */
	int mode_row;	/* the VNET_OPT_MODE row given, -1: none */
	int done;
} st;

static char usage_buf[8192];

static void __attribute__((noreturn)) table_error(const char *what,
						  const char *name)
{
	fprintf(stderr, "%s: option table: %s '%s'\n", st.prog->name, what,
		name ? name : "");
	abort();
}

/* getopt's val for row i: its letter, or 256 + i. */
static int val_of(int i)
{
	return st.rows[i].letter ? st.rows[i].letter : 256 + i;
}

static int row_of_val(int val)
{
	int i;

	for (i = 0; i < st.n; i++)
		if (val_of(i) == val)
			return i;
	return -1;
}

static int goes_with(const struct vnet_opt *r, unsigned mode)
{
	return !r->modes || (r->modes & mode);
}

/* One usage line, wrapped under its first option. */
struct line {
	FILE *f;
	size_t col, indent;
};

static void put(struct line *l, const char *tok)
{
	size_t n = strlen(tok);

	if (l->col + 1 + n > WIDTH && l->col >= l->indent) {
		fprintf(l->f, "\n%*s", (int)l->indent, "");
		l->col = l->indent;
	} else {
		fputc(' ', l->f);
		l->col++;
	}
	fputs(tok, l->f);
	l->col += n;
}

/* "-x ARG" or "--name ARG" into buf. */
static const char *form(const struct vnet_opt *r, char *buf, size_t n)
{
	if (r->letter)
		snprintf(buf, n, "-%c%s%s", r->letter, r->arg ? " " : "",
			 r->arg ? r->arg : "");
	else
		snprintf(buf, n, "--%s%s%s", r->name, r->arg ? " " : "",
			 r->arg ? r->arg : "");
	return buf;
}

/* The usage line of one mode; lead is the VNET_OPT_MODE row or NULL for
 * the default mode, which goes first. */
static void usage_line(FILE *f, const struct vnet_opt *lead, unsigned mode)
{
	struct line l = { .f = f };
	char tok[256], a[128], b[128];
	size_t k = 0;
	int i;

	l.col = (size_t)fprintf(f, "%s %s", lead ? "      " : "usage:",
				st.prog->name);
	l.indent = l.col + 1;
	if (lead) {
		put(&l, form(lead, a, sizeof(a)));
	} else {
		for (i = 0; i < st.n && k + 3 < sizeof(a); i++)
			if (st.rows[i].flags & ALONE)
				a[k++] = (char)st.rows[i].letter;
		a[k] = '\0';
		if (k) {
			snprintf(tok, sizeof(tok), "[-%s]", a);
			put(&l, tok);
		}
	}
	for (i = 0; i < st.n; i++) {
		const struct vnet_opt *r = &st.rows[i];

		if ((r->flags & (ALONE | VNET_OPT_MODE)) || !goes_with(r, mode))
			continue;
		if ((r->flags & VNET_OPT_OR_NEXT) && i + 1 < st.n) {
			snprintf(tok, sizeof(tok), "[%s | %s]",
				 form(r, a, sizeof(a)),
				 form(r + 1, b, sizeof(b)));
			i++;
		} else {
			int opt = !(r->required & mode);
			int more = r->arg && (r->flags & VNET_OPT_REPEAT);

			snprintf(tok, sizeof(tok), "%s%s%s%s", opt ? "[" : "",
				 form(r, a, sizeof(a)), opt ? "]" : "",
				 more ? "..." : "");
		}
		put(&l, tok);
	}
	if (lead ? lead->operands : st.prog->operands)
		put(&l, lead ? lead->operands : st.prog->operands);
	fputc('\n', f);
}

void vnet_opt_usage(FILE *f)
{
	int i;

	usage_line(f, NULL, st.prog->default_mode);
	for (i = 0; i < st.n; i++)
		if (st.rows[i].flags & VNET_OPT_MODE)
			usage_line(f, &st.rows[i], st.rows[i].modes);
	if (st.prog->notes)
		fprintf(f, "\n%s", st.prog->notes);
}

/* "-x, --name ARG" or "    --name ARG", as --help lists it. */
static int help_form(const struct vnet_opt *r, char *buf, size_t n)
{
	return snprintf(buf, n, "%c%c%c --%s%s%s%s", r->letter ? '-' : ' ',
			r->letter ? r->letter : ' ', r->letter ? ',' : ' ',
			r->name, r->arg ? " " : "", r->arg ? r->arg : "",
			r->arg && (r->flags & VNET_OPT_REPEAT) ? "..." : "");
}

void vnet_opt_help(FILE *f)
{
	char buf[128];
	int i, w = 0, n;

	vnet_opt_usage(f);
	for (i = 0; i < st.n; i++)
		if ((n = help_form(&st.rows[i], buf, sizeof(buf))) > w)
			w = n < HELP_COL ? n : HELP_COL;
	fputs("\noptions:\n", f);
	for (i = 0; i < st.n; i++) {
		/* A form too wide for the column has its help below it. */
		if (help_form(&st.rows[i], buf, sizeof(buf)) > w)
			fprintf(f, "  %s\n  %-*s  %s\n", buf, w, "",
				st.rows[i].help);
		else
			fprintf(f, "  %-*s  %s\n", w, buf, st.rows[i].help);
	}
}

/* The word of argv that named long option li (its argument may be in the
 * same word after '=', or be the next word). */
static const char *long_word(int li)
{
	const char *w = st.argv[optind - 1];

	if (st.lo[li].has_arg && optarg == w && optind >= 2)
		w = st.argv[optind - 2];
	return w;
}

/* A "--name[=...]" word that is not exactly the name of row i (-1: no
 * row) is an unknown option: getopt_long took a prefix of it. */
static void check_exact(const char *w, int i)
{
	size_t n = strcspn(w + 2, "=");

	if (i < 0 || strlen(st.rows[i].name) != n ||
	    strncmp(w + 2, st.rows[i].name, n))
		vnet_usage_error("unknown option '%.*s'", (int)n + 2, w);
}

/* getopt_long returned '?' or ':'. */
static void __attribute__((noreturn)) bad_option(int c)
{
	int i = optopt ? row_of_val(optopt) : -1;
	const char *w = st.argv[optind - 1];

	if (c == '?' && optopt && i < 0)
		vnet_usage_error("unknown option '-%c'", optopt);
	if (!strncmp(w, "--", 2)) {
		check_exact(w, i);
		vnet_usage_error(c == ':' ? "--%s needs an argument"
					  : "--%s takes no argument",
				 st.rows[i].name);
	}
	vnet_usage_error("-%c needs an argument", optopt);
}

static void shared_opt(const struct vnet_opt *row, const char *arg)
{
	struct vnet_opt_common *c = st.com;
	int r;

	switch (row->shared) {
	case VNET_OPT_HELP:
		vnet_opt_help(stdout);
		exit(0);
	case VNET_OPT_VERSION:
		printf("%s %s\n", st.prog->name, VNET_VERSION);
		exit(0);
	case VNET_OPT_VERBOSE:
		c->verbose++;
		break;
	case VNET_OPT_FORMAT:
		if (vnet_stream_fmt_parse(arg, &c->fmt))
			vnet_usage_error("--format: unknown format '%s' (pcap, "
					 "pcap-ns or vde)", arg);
		break;
	case VNET_OPT_CLOCK:
		if (vnet_clock_parse(arg, &c->clk))
			vnet_usage_error("--clock: '%s' is not live or pcap",
					 arg);
		c->clk_given = 1;
		break;
	case VNET_OPT_STATS:
		c->stats = 1;
		break;
	case VNET_OPT_NO_OFFLOAD:
		c->no_offload = 1;
		break;
	case VNET_OPT_FORCE:
		c->force = 1;
		break;
	case VNET_OPT_USER:
		/* Known now, before anything privileged is made. */
		if ((r = vnet_user_check(arg)) == -ENOENT)
			vnet_config_error("-u/--user: no user '%s'", arg);
		else if (r < 0)
			vnet_config_error("-u/--user %s: %s", arg,
					  strerror(-r));
		c->user = arg;
		break;
	case VNET_OPT_DIR:
		if (vnet_dir_parse(arg, &c->dir))
			vnet_usage_error("--dir: '%s' is not egress or ingress",
					 arg);
		break;
	case VNET_OPT_PIDFILE:
		c->pidfile = arg;
		break;
	case VNET_OPT_PROGRESS:
		c->progress = 1;
		break;
	case VNET_OPT_NO_PROGRESS:
		c->progress = 0;
		break;
	case VNET_OPT_ON_FULL:
		if (vnet_on_full_parse(arg, &c->on_full))
			vnet_usage_error("--on-full: '%s' is not drop or block",
					 arg);
		break;
	case VNET_OPT_NAME:
		if (vnet_ctl_name_check(arg))
			vnet_usage_error("--name: '%s' is not an instance name "
					 "(1-%d of A-Z a-z 0-9 . _ @ -, not "
					 "first . or -)", arg,
					 VNET_CTL_NAME_MAX);
		c->name = arg;
		break;
	case VNET_OPT_CONTROL:
		if (!*arg)
			vnet_usage_error("--control: give a socket path or "
					 "none");
		c->control = arg;
		break;
	case VNET_OPT_DESCRIBE:
		c->describe = 1;
		break;
	default:
		break;
	}
}

/* Row i was given: the checks that need only the table. */
static void given(int i)
{
	const struct vnet_opt *r = &st.rows[i];
	int p = -1;

	if (r->flags & VNET_OPT_MODE) {
		if (st.mode_row >= 0 && st.mode_row != i)
			vnet_usage_error("--%s and --%s exclude each other",
					 st.rows[st.mode_row].name, r->name);
		st.mode_row = i;
		st.com->mode = r->modes;
	}
	if (((st.given >> i) & 1) && !(r->flags & VNET_OPT_REPEAT)) {
		if (r->letter)
			vnet_usage_error("-%c/--%s given twice", r->letter,
					 r->name);
		vnet_usage_error("--%s given twice", r->name);
	}
	if (r->flags & VNET_OPT_OR_NEXT)
		p = i + 1;
	else if (i > 0 && (st.rows[i - 1].flags & VNET_OPT_OR_NEXT))
		p = i - 1;
	if (p >= 0 && ((st.given >> p) & 1))
		vnet_usage_error("--%s and --%s exclude each other",
				 st.rows[p < i ? p : i].name,
				 st.rows[p < i ? i : p].name);
	st.given |= UINT64_C(1) << i;
}

/* After the last option: every option given goes with the mode. */
static void finish(void)
{
	const struct vnet_opt *r;
	int i, j;

	if (!st.com->mode)
		st.com->mode = st.prog->default_mode;
	for (i = 0; i < st.n; i++) {
		r = &st.rows[i];
		if (!((st.given >> i) & 1) || (r->flags & VNET_OPT_MODE) ||
		    goes_with(r, st.com->mode))
			continue;
		if (st.mode_row >= 0)
			vnet_usage_error("--%s does not go with --%s", r->name,
					 st.rows[st.mode_row].name);
		for (j = 0; j < st.n; j++)
			if ((st.rows[j].flags & VNET_OPT_MODE) &&
			    (st.rows[j].modes & r->modes))
				vnet_usage_error("--%s needs --%s", r->name,
						 st.rows[j].name);
		vnet_usage_error("--%s does not go with this mode", r->name);
	}
	vnet_log_init(st.prog->name, st.com->verbose);
	st.done = 1;
}

int vnet_opt_next(const char **arg)
{
	const struct vnet_opt *r;
	int c, i, li;

	for (;;) {
		if (st.done)
			return -1;
		li = -1;
		c = getopt_long(st.argc, st.argv, st.so, st.lo, &li);
		if (c == -1) {
			finish();
			return -1;
		}
		if (c == '?' || c == ':')
			bad_option(c);
		i = row_of_val(c);
		if (li >= 0)
			check_exact(long_word(li), i);
		given(i);
		r = &st.rows[i];
		if (r->shared) {
			shared_opt(r, optarg);
			continue;
		}
		*arg = optarg;
		return r->key;
	}
}

void vnet_opt_begin(const struct vnet_opt_prog *prog,
		    struct vnet_opt_common *com, int argc, char **argv)
{
	const struct vnet_opt *o;
	FILE *f;
	size_t k;
	int i, j;

	memset(&st, 0, sizeof(st));
	st.prog = prog;
	st.com = com;
	st.argc = argc;
	st.argv = argv;
	st.mode_row = -1;
	*com = (struct vnet_opt_common){
		.verbose = VNET_LOG_WARN,
		.fmt = VNET_FMT_PCAP,
		.clk = VNET_CLOCK_LIVE,
		.dir = VNET_EGRESS,
		.on_full = VNET_ON_FULL_DROP,
		.progress = -1,
	};
	for (o = prog->opts; o->name || o->shared; o++) {
		if (st.n == VNET_OPT_MAX)
			table_error("more than 64 rows at", o->name);
		if (o->shared) {
			st.rows[st.n] = shared[o->shared];
			st.rows[st.n].shared = o->shared;
			st.rows[st.n].modes = o->modes;
		} else {
			st.rows[st.n] = *o;
		}
		st.n++;
	}
	k = 0;
	if (prog->in_order)
		st.so[k++] = '+';
	st.so[k++] = ':';
	for (i = 0; i < st.n; i++) {
		const struct vnet_opt *r = &st.rows[i];

		for (j = 0; j < i; j++)
			if (!strcmp(st.rows[j].name, r->name) ||
			    (r->letter && st.rows[j].letter == r->letter))
				table_error("two rows for", r->name);
		st.lo[i] = (struct option){
			.name = r->name,
			.has_arg = r->arg ? required_argument : no_argument,
			.val = val_of(i),
		};
		if (r->letter) {
			st.so[k++] = (char)r->letter;
			if (r->arg)
				st.so[k++] = ':';
		}
	}
	st.so[k] = '\0';
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	vnet_log_init(prog->name, VNET_LOG_WARN);
	if ((f = fmemopen(usage_buf, sizeof(usage_buf), "w"))) {
		vnet_opt_usage(f);
		fclose(f);
		vnet_tool_set_usage(usage_buf);
	}
}

void vnet_opt_mid_config(const struct vnet_opt_common *com,
			 struct vnet_mid_config *mc)
{
	mc->dir = com->dir;
	mc->fmt = com->fmt;
	mc->no_offload = com->no_offload;
	mc->on_full = com->on_full;
	mc->user = com->user;
	mc->force = com->force;
}
