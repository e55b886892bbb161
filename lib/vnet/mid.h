/* SPDX-License-Identifier: ISC */
/* mid.h -- the frame loop of a middle program (DESIGN.md section 2).
 *
 * A middle program (vnet-acl, vnet-flowexport, ...) sits between a left
 * neighbour (toward the workload) and a right neighbour (toward the
 * fabric).  Each side is a port spec (port.h); "-" on the left is fds 0/1,
 * "-" on the right is fds 3/4 (or ALTERNATE_STDIN/ALTERNATE_STDOUT).  When
 * both sides are "-" and the right-hand fds are not open, the program is a
 * one-way filter from stdin to stdout in the configured direction:
 * egress (left to right) by default, or ingress.  A sink reads only (stdin
 * or a capture) and writes nothing.
 *
 * Directions: VNET_EGRESS is a frame that came from the left and goes
 * right; VNET_INGRESS came from the right and goes left.  In a one-way
 * filter every frame has the configured direction.
 *
 * The frames go through the one event loop (loop.h): each batch read
 * from a side goes to the frames callback and the outputs are written
 * once per batch, without waiting (a side's input feeds the other side's
 * output: loop.h Backpressure); SIGHUP/SIGUSR1 go to the signal
 * callback; the tick callback runs after a batch that left its input
 * with nothing more ready, and at least once a second by the one clock
 * (clock.h: with
 * --clock pcap, a second of packet time), so that timers run on an idle
 * link.  vnet_mid_run() returns when every stream input has ended (taps
 * never end and are not waited for), on SIGTERM/SIGINT, or when an
 * output is closed (EPIPE), also one the frames callback reports: all of
 * these return 0, after the outputs are flushed (how the run ended, e.g.
 * a flush that a stop gave up on, is the loop's note: loop.h).  Errors
 * return -errno, with vnet_mid_err() saying what failed; nothing here
 * prints.
 */
#ifndef VNET_MID_H
#define VNET_MID_H

#include <stdint.h>
#include <sys/uio.h>

#include "vnet/err.h"
#include "vnet/loop.h"
#include "vnet/stream.h"

enum vnet_dir { VNET_EGRESS = 0, VNET_INGRESS = 1 };

/* "egress" or "ingress"; 0 or -EINVAL. */
int vnet_dir_parse(const char *s, enum vnet_dir *d);
const char *vnet_dir_name(enum vnet_dir d);

struct vnet_mid_config {
	const char *left;	/* port spec, NULL = "-" */
	const char *right;	/* port spec, NULL = "-" */
	enum vnet_dir dir;	/* direction of a one-way filter */
	enum vnet_stream_fmt fmt; /* output stream format */
	int no_offload;		/* taps: no IFF_VNET_HDR */
	/* A full stream output: VNET_ON_FULL_DROP (0, the default) queues
	 * to a bound and drops, pausing the stream input of its direction
	 * instead (loop.h Backpressure); VNET_ON_FULL_BLOCK waits. */
	enum vnet_on_full on_full;
	int sink;		/* read the left side only, write nothing */
	const char *user;	/* drop privileges after opening, or NULL */
	int force;		/* write streams to a terminal too */
	const char *left_name;	/* a sink's input in messages (its FILE);
				 * NULL: "stdin" for "-", else the spec */
};

struct vnet_mid;

struct vnet_mid_ops {
	/* A batch of n frames read in direction dir.  Forward what passes
	 * with vnet_mid_send(), answer with vnet_mid_reply().  Frames stay
	 * valid until the callback returns.  Return 0, or -errno to stop
	 * the loop with that error (reported by the callback's owner:
	 * vnet_mid_err() stays empty). */
	int (*frames)(void *arg, struct vnet_mid *m, enum vnet_dir dir,
		      struct vnet_frame *f, unsigned n);
	/* VNET_SIG_HUP / VNET_SIG_USR1 flags (sig.h); may be NULL. */
	void (*signal)(void *arg, struct vnet_mid *m, int sigflags);
	/* Timers; may be NULL.  now is vnet_clock_now(). */
	void (*tick)(void *arg, struct vnet_mid *m, uint64_t now);
};

/* What can be known of c before anything is opened: both port specs
 * parse and are no udp: port, and unless c->force no side would write a
 * binary stream to a terminal.  0, or -EINVAL / -ENOTTY with e (may be
 * NULL) filled: "--left 'bogus:x': unknown port type (...)", "stdout is
 * a terminal: redirect it (| tcpdump -r -) or give --force".  A program
 * calls it while it checks its options, and exits 2 on an error. */
int vnet_mid_check(const struct vnet_mid_config *c, struct vnet_err *e);

/* For --describe and the describe command (vnet(7) MTU BUDGET), without
 * opening anything: the framing of each side as vnet_port_framing()
 * names it (a sink's right side: "none"; a one-way filter's: the stream
 * of stdin and stdout), and whether c is a one-way filter.  0, or
 * -EINVAL when a side does not parse (vnet_mid_check() says why). */
int vnet_mid_framing(const struct vnet_mid_config *c, const char **left,
		     const char **right, int *oneway);

/* Open both sides (vnet_mid_check() first).  On failure returns NULL
 * with errno set and e (may be NULL) filled, naming the side in the
 * user's terms: a one-way filter's "stdin" and "stdout", a sink's input
 * ("stdin" or c->left_name), else "left" or "right" and the port: "open
 * left tap:vm1: Operation not permitted", "write stream header to stdout:
 * Broken pipe", "drop privileges to nobody: ...".  The loop's errors
 * name the sides the same way ("stdin: unrecognized stream format"). */
struct vnet_mid *vnet_mid_open(const struct vnet_mid_config *c,
			       struct vnet_err *e);
/* Flushes and closes both sides; takes NULL. */
void vnet_mid_close(struct vnet_mid *m);
/* The loop the sides are on, to add timers or descriptors of the
 * program's own before vnet_mid_run(); owned by m. */
struct vnet_loop *vnet_mid_loop(struct vnet_mid *m);
int vnet_mid_run(struct vnet_mid *m, const struct vnet_mid_ops *ops,
		 void *arg);
/* Why vnet_mid_run() returned -errno, naming the side: "stdin:
 * unrecognized stream format (...)", "right fd:3,4: Broken pipe",
 * "poll: ...".  Empty when it stopped on a callback's error, or
 * returned 0. */
const struct vnet_err *vnet_mid_err(const struct vnet_mid *m);

/* Send a frame onward in direction dir (egress: to the right side,
 * ingress: to the left side).  Buffered until the end of the batch.
 * 0, or -errno; -ENOTCONN when that side is not written (a one-way
 * filter's other direction, a sink): the caller counts it. */
int vnet_mid_send(struct vnet_mid *m, enum vnet_dir dir, uint64_t ts_ns,
		  const struct iovec *iov, int iovcnt);
/* Send a frame back toward where a frame of direction dir came from (a
 * TCP RST or ICMP error answering it).  -ENOTCONN in a one-way filter
 * or a sink. */
int vnet_mid_reply(struct vnet_mid *m, enum vnet_dir dir, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt);

/* Whether the program runs as a one-way filter or a sink, and then in
 * which direction. */
int vnet_mid_oneway(const struct vnet_mid *m);
enum vnet_dir vnet_mid_dir(const struct vnet_mid *m);
/* Input statistics of side dir's reader (egress = left input), NULL for
 * a tap or a side not read. */
const struct vnet_sr_stats *vnet_mid_rstats(const struct vnet_mid *m,
					    enum vnet_dir dir);
/* The input descriptor of side dir's reader (a regular file when a
 * capture is replayed: progress.h), -1 for a side not read. */
int vnet_mid_rfd(const struct vnet_mid *m, enum vnet_dir dir);
/* Output queue statistics of the side that frames of direction dir go
 * to (egress = right output; it also takes the replies to ingress
 * frames), NULL for a tap or a side not written. */
const struct vnet_sw_stats *vnet_mid_wstats(const struct vnet_mid *m,
					    enum vnet_dir dir);

#endif
