/* SPDX-License-Identifier: ISC */
/* ctl.h -- the control socket of a long-running program, and its client.
 *
 * Every long-running program answers on a unix stream socket (DESIGN.md
 * section 2, "ask, don't signal"): by default /run/vnet/NAME.sock, NAME
 * the instance name.  The protocol (vnet(7) CONTROL SOCKET):
 *
 *	request:  one line, COMMAND [ARG...] [--json], ended by a newline
 *		  (or by the end of the client's writing), at most
 *		  VNET_CTL_REQ_MAX bytes;
 *	reply:	  a status line -- "ok", "ok TEXT", or the failure, e.g.
 *		  "error: unknown command 'x'", "refused: FILE:LINE: what" --
 *		  then, after "ok", the body: TSV lines, or one JSON object
 *		  with --json; then the server closes the connection.
 *
 * The server joins the program's event loop (loop.h): the listening
 * socket and each client are descriptors of the loop, non-blocking; at
 * most VNET_CTL_CLIENTS at once (one more is told so and closed); a
 * request that is too long, not text, or not one of the program's
 * commands is answered with an error and the connection closed; a reply
 * is built whole (at most VNET_CTL_REPLY_MAX bytes) and written as the
 * client takes it; a client that has not sent its request and read its
 * reply within VNET_CTL_TIMEOUT_MS is dropped.  Nothing here waits, and
 * an idle server costs the loop one descriptor and no timer.
 *
 * A program describes its commands once, in a static const table of
 * struct vnet_ctl_cmd; "help" (the table itself) is answered here.  A
 * handler writes its reply through the functions below, which give the
 * TSV and the JSON form from the same calls.
 *
 * Errors: 0 or -errno, with a struct vnet_err (err.h) filled where there
 * is more to say.  Nothing here prints.
 */
#ifndef VNET_CTL_H
#define VNET_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnet/err.h"
#include "vnet/loop.h"

#define VNET_CTL_DIR "/run/vnet"	 /* where sockets are by default */
#define VNET_CTL_NAME_MAX 64		 /* longest instance name */
#define VNET_CTL_REQ_MAX 512		 /* longest request line */
#define VNET_CTL_ARGS_MAX 8		 /* most arguments of a command */
#define VNET_CTL_CLIENTS 8		 /* clients served at once */
#define VNET_CTL_REPLY_MAX (64u << 20)	 /* longest reply (bytes) */
#define VNET_CTL_TIMEOUT_MS 5000	 /* a client's whole exchange */

/* ---- requests ---- */

struct vnet_ctl_req {
	char buf[VNET_CTL_REQ_MAX + 1];	     /* the words, NUL-ended */
	const char *cmd;		     /* the first word */
	const char *argv[VNET_CTL_ARGS_MAX]; /* the others, --json aside */
	unsigned argc;
	int json;			     /* --json was given */
};

/* Parse the request line at line (len bytes, without its newline; a CR
 * at its end is dropped): words separated by spaces or tabs, the first
 * the command (lower-case letters, digits, '-'), "--json" anywhere.
 * 0, or -EINVAL with e's msg saying what is wrong ("empty request",
 * "request longer than 512 bytes", "control character 0x01 in the
 * request", "bad command 'X'", "unknown option '--x'", "more than 8
 * arguments"). */
int vnet_ctl_req_parse(struct vnet_ctl_req *rq, const char *line,
		       size_t len, struct vnet_err *e);

/* ---- replies ---- */

struct vnet_ctl_reply;

/* A column of a table (vnet_ctl_table): its JSON name, and whether its
 * values are numbers (a value "-" is null either way). */
struct vnet_ctl_col {
	const char *name;
	int num;
};

/* Whether the request asked for JSON. */
int vnet_ctl_json(const struct vnet_ctl_reply *rp);
/* The body as a stream, for the lines of a section (below). */
FILE *vnet_ctl_out(struct vnet_ctl_reply *rp);

/* A field of the reply: "KEY<TAB>VALUE" in TSV, "KEY": VALUE in JSON (a
 * string, null for NULL; a number).  Ends the section in progress. */
void vnet_ctl_str(struct vnet_ctl_reply *rp, const char *key,
		  const char *val);
void vnet_ctl_u64(struct vnet_ctl_reply *rp, const char *key, uint64_t v);
/* The fields every reply of a program can start with: program, instance,
 * pid, time (the wall clock, seconds since the epoch to the
 * microsecond).  tsv: in the TSV form too (counters), or only in JSON (a
 * table, whose TSV form is only its rows, so that it reloads). */
void vnet_ctl_head(struct vnet_ctl_reply *rp, int tsv);
/* What every describe reply starts with: the head, then version, control
 * (the socket's path) and clock (live or pcap). */
void vnet_ctl_about(struct vnet_ctl_reply *rp);
/* A section of lines written to vnet_ctl_out() until the next field,
 * section or the end of the reply.  In TSV they are the body as they are;
 * in JSON they become the value of KEY:
 *   vnet_ctl_kv:    "NAME<TAB>VALUE" lines (counters) -> an object, a
 *                   value of digits a number, others strings;
 *   vnet_ctl_table: lines of tab-separated columns -> an array of objects
 *                   named by cols (ended by a { 0 } row), missing
 *                   columns null; lines starting with '#' (comments of a
 *                   dump) go to a "notes" array of strings after it. */
void vnet_ctl_kv(struct vnet_ctl_reply *rp, const char *key);
void vnet_ctl_table(struct vnet_ctl_reply *rp, const char *key,
		    const struct vnet_ctl_col *cols);
/* The status line of a reply that succeeds: "ok TEXT" (default "ok"). */
void vnet_ctl_ok(struct vnet_ctl_reply *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The reply fails with the status line TEXT ("refused: FILE:LINE: ...";
 * cut at a newline); the body is dropped.  Returns -EINVAL, for a
 * handler's `return vnet_ctl_fail(rp, ...)`. */
int vnet_ctl_fail(struct vnet_ctl_reply *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The MTU budget of a program (vnet(7) MTU BUDGET): the framing of each
 * side -- "tap", "udp", "pcap-file", or a stream's format as written,
 * "pcap", "pcap-ns" or "vde" (vnet_port_framing(), port.h) --, the bytes
 * it adds between its inner side (toward the workload, the left) and its
 * outer side (toward the fabric, the right), the largest inner packet it
 * carries and the largest outer packet it needs, both Ethernet payload
 * MTUs as ip-link(8) shows them; 0: any (it passes what it gets). */
struct vnet_ctl_budget {
	const char *inner, *outer;
	unsigned overhead, inner_mtu, outer_mtu;
};

/* The budget's fields: inner_framing, outer_framing, overhead,
 * inner_mtu, outer_mtu (null for 0). */
void vnet_ctl_budget(struct vnet_ctl_reply *rp,
		     const struct vnet_ctl_budget *b);

/* ---- the server ---- */

/* One command of a program.  fn answers it: 0 (the status line "ok", or
 * what vnet_ctl_ok() set), or < 0 for a failure: what vnet_ctl_fail()
 * set, else "error: " and strerror. */
struct vnet_ctl_cmd {
	const char *name;
	const char *args; /* its arguments, for help; NULL: it takes none */
	const char *help; /* one line */
	int (*fn)(void *arg, const struct vnet_ctl_req *rq,
		  struct vnet_ctl_reply *rp);
};

struct vnet_ctl_config {
	const char *program; /* "vnet-acl" */
	const char *name;    /* --name, NULL: vnet_ctl_default_name() */
	const char *tap;     /* the tap a default name comes from, or NULL */
	const char *path;    /* --control: a path, "none", NULL: the default */
	const struct vnet_ctl_cmd *cmds; /* ended by a { NULL } row */
	void *arg;			 /* for the handlers */
};

struct vnet_ctl;

/* Whether name is a good instance name: 1 to VNET_CTL_NAME_MAX of
 * A-Z a-z 0-9 . _ @ -, not starting with '.' or '-'.  0 or -EINVAL. */
int vnet_ctl_name_check(const char *name);
/* The instance name of a program started without --name, into buf (n
 * bytes): the tap's name when it runs on one -- "TAP" in the first
 * network namespace, "TAP@NETNS" in one that ip-netns(8) named --, else
 * "PROGRAM-PID". */
void vnet_ctl_default_name(const char *program, const char *tap, char *buf,
			   size_t n);

/* Make the control socket: the instance name and the path from c, the
 * directory made (0755) if missing, a stale socket of the same path (one
 * nothing listens on) replaced, the socket bound with mode 0600 and
 * listening on a descriptor above 9 (those a shell redirects: a program
 * tells a two-way chain by fds 3 and 4).  0 with *out set; 0 and *out
 * NULL for --control none; 1 and *out NULL when the default path
 * (c->path NULL) may not be made (EACCES, EPERM, EROFS, ENOENT: a user's
 * pipeline), with e saying why (worth a note, not an error); -EADDRINUSE when a live program answers on the
 * path, -ENOTSOCK when the path is something else, other -errno; e names
 * the path ("/run/vnet/vm0.sock: in use by a running program (give
 * another --name or --control)"). */
int vnet_ctl_open(const struct vnet_ctl_config *c, struct vnet_ctl **out,
		  struct vnet_err *e);
/* Join loop l (once): 0 or -errno. */
int vnet_ctl_attach(struct vnet_ctl *c, struct vnet_loop *l);
/* Close the clients and the socket and remove it (if it is still the one
 * made here); takes NULL. */
void vnet_ctl_close(struct vnet_ctl *c);
const char *vnet_ctl_path(const struct vnet_ctl *c);
const char *vnet_ctl_instance(const struct vnet_ctl *c);

/* --describe: answer the "describe" command of cmds as one JSON object
 * (and a newline) on out, with no socket and nothing acquired.  Its head
 * is only program (and, from vnet_ctl_about(), version and clock): no
 * instance, pid, time or control path, since nothing runs.  0, or
 * -ENOENT (cmds has no describe), -EIO (out failed), the handler's
 * -errno. */
int vnet_ctl_describe_print(const char *program,
			    const struct vnet_ctl_cmd *cmds, void *arg,
			    FILE *out);

/* ---- the client ---- */

/* The socket of target: a path when it holds a '/', else the instance
 * name's socket in VNET_CTL_DIR.  0, or -ENAMETOOLONG / -EINVAL (a bad
 * name). */
int vnet_ctl_target(const char *target, char *buf, size_t n);
/* Send the request line (no newline) to the socket at path and read the
 * whole reply, waiting at most timeout_ms in all.  *reply (malloc'd,
 * NUL-ended, the caller frees it) holds the reply as sent; its length in
 * *len (may be NULL).  0, or -errno with e filled: "PATH: Connection
 * refused", "PATH: no answer within 5000 ms". */
int vnet_ctl_call(const char *path, const char *request, int timeout_ms,
		  char **reply, size_t *len, struct vnet_err *e);
/* Split a reply in place: *status the status line (its newline cut),
 * *body what follows it.  1 when the status is ok, 0 when not. */
int vnet_ctl_split(char *reply, char **status, char **body);
/* The control socket process pid listens on, into buf: 0, -ENOENT when it
 * has none, -errno when /proc cannot tell (ESRCH: no such process). */
int vnet_ctl_find_pid(long pid, char *buf, size_t n);

#endif
