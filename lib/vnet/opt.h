/* SPDX-License-Identifier: ISC */
/* opt.h -- the command line of every program, from one table of options.
 *
 * A program describes each of its options once, in a static const array of
 * struct vnet_opt (designated initializers, ended by a row of zeros).  From
 * that table come the getopt_long table and optstring, the usage text (the
 * man page SYNOPSIS), the --help list, the check that an option which
 * cannot repeat is given once, the check that a long name is given exactly
 * (getopt_long would take any unambiguous prefix), and, for a program with
 * several modes (vnet-acl --check), which options go with which mode.
 *
 * The options that programs share (help, version, verbose, format, force,
 * clock, stats, no-offload, user, dir, pidfile, on-full, name, control,
 * describe)
 * are rows defined here: a program names one with { .shared =
 * VNET_OPT_CLOCK } where it wants it in its table, and this module
 * handles it, leaving the value in struct vnet_opt_common.
 * vnet_opt_next() hands the program only its own options.
 *
 * Like tool.h, an exception to "lib/ never prints or exits", for main()
 * only: a usage error prints "PROG: MESSAGE" and the usage on stderr and
 * exits 2; -h/--help prints the usage and the option list on stdout and
 * exits 0; -V/--version prints "PROG VERSION" on stdout and exits 0.
 * One command line is parsed per process (getopt's state is global).
 */
#ifndef VNET_OPT_H
#define VNET_OPT_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h> /* optind */

#include "vnet/clock.h"
#include "vnet/mid.h"
#include "vnet/stream.h"

/* The shared rows. */
enum vnet_opt_shared {
	VNET_OPT_OWN = 0,    /* not shared: the program's own row */
	VNET_OPT_HELP,	     /* -h, --help */
	VNET_OPT_VERSION,    /* -V, --version */
	VNET_OPT_VERBOSE,    /* -v, --verbose: may repeat, one level each */
	VNET_OPT_FORMAT,     /* -F, --format FORMAT: pcap, pcap-ns, vde */
	VNET_OPT_FORCE,	     /* --force: binary streams to a terminal too */
	VNET_OPT_CLOCK,	     /* --clock live|pcap */
	VNET_OPT_STATS,	     /* --stats */
	VNET_OPT_NO_OFFLOAD, /* --no-offload */
	VNET_OPT_USER,	     /* -u, --user USER */
	VNET_OPT_DIR,	     /* --dir egress|ingress */
	VNET_OPT_PIDFILE,    /* --pidfile FILE */
	VNET_OPT_ON_FULL,    /* --on-full drop|block (observers) */
	VNET_OPT_NAME,	     /* --name NAME: the instance name (ctl.h) */
	VNET_OPT_CONTROL,    /* --control PATH|none: its control socket */
	VNET_OPT_DESCRIBE,   /* --describe: the MTU budget as JSON, no run */
	VNET_OPT_PROGRESS,   /* --progress: a status line (progress.h) */
	VNET_OPT_NO_PROGRESS, /* --no-progress: none */
	VNET_OPT_NSHARED
};

enum vnet_opt_flag {
	VNET_OPT_REPEAT = 1 << 0,  /* may be given more than once */
	VNET_OPT_MODE = 1 << 1,	   /* selects the mode in .modes */
	VNET_OPT_OR_NEXT = 1 << 2, /* excludes the next row: [--a | --b] */
};

/* One option.  A shared row is { .shared = VNET_OPT_X } and may add only
 * .modes; every other field comes from the shared row. */
struct vnet_opt {
	enum vnet_opt_shared shared;
	const char *name;     /* the long name, without "--" */
	int letter;	      /* the short letter, 0: none */
	const char *arg;      /* metavariable of its argument, NULL: none */
	const char *help;     /* one line of --help */
	unsigned flags;	      /* enum vnet_opt_flag */
	/* Modes are bits of the program's own choosing.  .modes: those the
	 * option goes with (0: all); with VNET_OPT_MODE, the one it selects.
	 * .required: those in which the program requires it (the usage shows
	 * it without brackets; the program checks it). */
	unsigned modes, required;
	const char *operands; /* VNET_OPT_MODE: operands of its usage line */
	int key;	      /* what vnet_opt_next() returns for it */
};

struct vnet_opt_prog {
	const char *name;	     /* "vnet-acl": messages, usage, version */
	const struct vnet_opt *opts; /* the table, ended by a row of zeros */
	const char *operands;	     /* after the options: "TAP", "[FILE]" */
	const char *notes;	     /* lines printed after the usage lines */
	unsigned default_mode;	     /* the mode when no VNET_OPT_MODE is given */
	int in_order;		     /* options end at the first operand */
};

/* Rows of shared options that programs take together, in this order:
 * every program's first three, and those of a program that moves frames
 * (their usage text follows the order, so do the SYNOPSIS lines). */
#define VNET_OPT_ROWS_BASIC                                        \
	{ .shared = VNET_OPT_HELP }, { .shared = VNET_OPT_VERSION }, \
		{ .shared = VNET_OPT_VERBOSE }
#define VNET_OPT_ROWS_FRAMES                                        \
	{ .shared = VNET_OPT_FORMAT }, { .shared = VNET_OPT_FORCE },  \
		{ .shared = VNET_OPT_CLOCK },                         \
		{ .shared = VNET_OPT_STATS },                         \
		{ .shared = VNET_OPT_NO_OFFLOAD },                    \
		{ .shared = VNET_OPT_USER }
/* And those of a long-running program: its control socket (ctl.h). */
#define VNET_OPT_ROWS_CONTROL \
	{ .shared = VNET_OPT_NAME }, { .shared = VNET_OPT_CONTROL }

/* And those of a program that replays files or captures: its status
 * line (progress.h, log.h's vnet_log_status_wanted()). */
#define VNET_OPT_ROWS_PROGRESS \
	{ .shared = VNET_OPT_PROGRESS }, { .shared = VNET_OPT_NO_PROGRESS }

/* The shared options' values; vnet_opt_begin() sets the defaults. */
struct vnet_opt_common {
	int verbose;		  /* VNET_LOG_WARN, one more per -v */
	enum vnet_stream_fmt fmt; /* VNET_FMT_PCAP */
	enum vnet_clock_mode clk; /* VNET_CLOCK_LIVE */
	int clk_given;
	enum vnet_dir dir; /* VNET_EGRESS */
	enum vnet_on_full on_full; /* VNET_ON_FULL_DROP */
	int stats, no_offload;
	int force;		    /* --force: streams to a terminal too */
	const char *user, *pidfile; /* NULL unless given; a user that does
				     * not exist is a usage error */
	const char *name, *control; /* NULL unless given */
	int describe;		    /* --describe: validate, print, exit */
	int progress;		    /* -1 (default), 1 --progress, 0 --no-... */
	unsigned mode;		    /* the mode bit in force */
};

/* Most rows in one table. */
#define VNET_OPT_MAX 64

/* Start parsing argv by prog's table (which must outlive the parse): set
 * the defaults in *com, the program name of log.h and the usage printed by
 * vnet_usage_error().  A table with more than VNET_OPT_MAX rows, or with a
 * name or a letter twice, is a programming error: it aborts. */
void vnet_opt_begin(const struct vnet_opt_prog *prog,
		    struct vnet_opt_common *com, int argc, char **argv);

/* The key of the next of the program's own options, its argument (or
 * NULL) in *arg.  Shared options are handled here; a usage error exits 2.
 * After the last option it checks the modes, sets the log level to
 * com->verbose and returns -1; optind is then the first operand. */
int vnet_opt_next(const char **arg);

/* The sides' shared settings of a middle program (mid.h) from the shared
 * options: direction, stream format, offloads, what a full output does,
 * the user to become, --force. */
void vnet_opt_mid_config(const struct vnet_opt_common *com,
			 struct vnet_mid_config *mc);

/* The usage lines and the notes, as printed after a usage error. */
void vnet_opt_usage(FILE *f);
/* The usage, then one line per option: what -h/--help prints. */
void vnet_opt_help(FILE *f);

#endif
