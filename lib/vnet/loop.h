/* SPDX-License-Identifier: ISC */
/* loop.h -- the one event loop every program's frames go through.
 *
 * Sources are ports (port.h), read a batch at a time, and raw descriptors
 * (an underlay socket, a capture handle, a control socket), each with a
 * callback.  Timers run by the one clock (clock.h).  One pass of the loop:
 *
 *   1. wait, with the signals of sig.h unblocked, until a source is
 *      ready or the next timer is due: the wait is 0 when a source said
 *      it has more ready (a full batch), else the time to the earliest
 *      deadline of a timer on the wall clock -- every timer when the
 *      clock is live; with --clock pcap the one clock only moves with
 *      frames, so its timers do not bound the wait -- or forever;
 *   2. signals: SIGHUP and SIGUSR1 go to the signal callback; SIGTERM or
 *      SIGINT end the loop;
 *   3. outputs that had no room and have some now are written; then
 *      each ready source in the order added: a port is read once
 *      (vnet_port_recv, up to VNET_LOOP_BATCH frames) and its callback
 *      gets the batch; a descriptor's callback is called with its
 *      revents (and reads its own batch); after either, every port added
 *      with VNET_LOOP_WRITE is written once, without waiting
 *      (vnet_port_write: one write(2) of what the batch queued; nothing
 *      queued costs no syscall), except one still waiting for room;
 *   4. due timers fire, earliest deadline first (ties in the order
 *      added), each at most once a pass; with --clock pcap this is after
 *      each batch, against the packet time;
 *   5. the loop ends when every stream port it reads has reached end of
 *      input and its outputs have written what they hold; taps and
 *      descriptors never end (a loop without a stream input runs until
 *      it is stopped).
 *
 * So the hot path is one read and one write per batch and no syscall per
 * frame; an idle loop with nothing timed sleeps.
 *
 * Backpressure (vnet(7)): the loop never waits on one output while an
 * input has frames.  A stream output is a bounded queue (port.h); while
 * it holds frames its reader has not taken, the loop polls it for
 * POLLOUT and writes it when it has room.  While an output is full, the
 * stream inputs (pipes, files) that feed it are not read -- their writers
 * wait, pipes block, and nothing of them is lost -- and every other input
 * is read as before; a tap or a descriptor (a socket, a capture) cannot
 * wait, so what it sends to a full output is dropped and counted by that
 * output (vnet_port_wstats()).  Which outputs an input feeds is said with
 * vnet_loop_feeds(); without it, every output.  A stream opened
 * VNET_PORT_BLOCK (--on-full block) is written waiting, as pipes block:
 * it holds up the whole loop while its reader does not read.
 *
 * Ending: vnet_loop_run() flushes the VNET_LOOP_WRITE ports and returns 0
 * when the inputs have ended, on SIGTERM/SIGINT, after vnet_loop_stop(),
 * or when an output's reader went away (EPIPE) -- also when a callback
 * returns -EPIPE; the note says which output ("outer -: closed by its
 * reader").  A flush that waits on a full pipe gives up after a stop
 * signal (stream.h, sig.h): the note, a warning, names the port and the
 * frames and bytes not written, and the loop returns 0 (-ECANCELED from a
 * callback means the same).  Any other error -- a read or flush error,
 * which vnet_loop_err() names by the port's label, or a callback's
 * -errno, which the callback reports itself -- ends the loop at once with
 * that -errno, without the final flush.  Nothing here prints: the program
 * reports the error and the note (log.h's vnet_log_loop()).
 *
 * Sources and timers can be added before the run or from a callback (a
 * source added then takes part from the next pass).  A descriptor can
 * change the events it waits for and be removed (vnet_loop_mod_fd,
 * vnet_loop_del_fd: a control socket's clients come and go); a new
 * source may take a removed one's place in the order.  Ports and timers
 * stay until vnet_loop_free().
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  The loop
 * takes no ownership of ports or descriptors.
 */
#ifndef VNET_LOOP_H
#define VNET_LOOP_H

#include <stdint.h>

#include "vnet/err.h"
#include "vnet/port.h"
#include "vnet/stream.h"

#define VNET_LOOP_BATCH 64	 /* most frames one read of a port gives */
#define VNET_LOOP_OFF UINT64_MAX /* the deadline of a disarmed timer */
#define VNET_LOOP_FEEDS 4	 /* most outputs vnet_loop_feeds() names */

/* How a port takes part (vnet_loop_add_port). */
enum {
	VNET_LOOP_READ = 1 << 0,  /* read it; ignored for a port opened
				   * VNET_PORT_NO_READ */
	VNET_LOOP_WRITE = 1 << 1, /* flush it after every batch and at the end */
};

/* Timer flags (vnet_loop_timer_add). */
enum {
	VNET_LOOP_WALL = 1 << 0, /* by the wall clock, even with --clock pcap
				  * (housekeeping: reconnecting a socket) */
};

struct vnet_loop;
struct vnet_loop_timer;

struct vnet_loop *vnet_loop_new(void);
/* Frees the loop and its timers; takes NULL. */
void vnet_loop_free(struct vnet_loop *l);

/* Add port p.  label names it in the loop's messages ("inner -", "left
 * stdio"; copied; NULL: vnet_port_name()).  fn (needed with
 * VNET_LOOP_READ) gets each batch of n >= 1 frames, valid until it
 * returns; it returns 0, or -errno to end the loop (see above). */
int vnet_loop_add_port(struct vnet_loop *l, struct vnet_port *p, int flags,
		       const char *label,
		       int (*fn)(void *arg, struct vnet_port *p,
				 struct vnet_frame *f, unsigned n),
		       void *arg);
/* Frames read from port in (added with VNET_LOOP_READ) go to port out:
 * in is not read while out is full (see Backpressure above), and its
 * frames may use out's reserve (stream.h).  Call once for each output in
 * feeds (at most VNET_LOOP_FEEDS); out NULL says in feeds none of the
 * loop's queues (a socket, a tap), so it is never held.  An input never
 * named here feeds every output.  0, -ENOENT (in is not read by the
 * loop; 0 for a port that is never read), -ENOSPC. */
int vnet_loop_feeds(struct vnet_loop *l, struct vnet_port *in,
		    struct vnet_port *out);
/* Add descriptor fd, polled for events.  fn gets the revents (0 when it
 * is called again because it said it had more) and returns 0 when done,
 * 1 when more may be ready (a full batch: call again without waiting),
 * or -errno to end the loop. */
int vnet_loop_add_fd(struct vnet_loop *l, int fd, short events,
		     int (*fn)(void *arg, int fd, short revents), void *arg);

/* The events descriptor fd waits for from the next pass on (POLLOUT
 * while a reply is unwritten, POLLIN again after).  0, or -ENOENT if fd
 * is not a descriptor of l. */
int vnet_loop_mod_fd(struct vnet_loop *l, int fd, short events);
/* Remove descriptor fd (before closing it): its callback is not called
 * again, not even later in the current pass.  Callable from any
 * callback, its own included.  0, or -ENOENT. */
int vnet_loop_del_fd(struct vnet_loop *l, int fd);

/* A timer, disarmed.  fn gets now (by the timer's clock) when it fires;
 * the timer is disarmed first, so fn re-arms it to repeat.  fn returns 0,
 * or -errno to end the loop.  NULL with errno set. */
struct vnet_loop_timer *vnet_loop_timer_add(struct vnet_loop *l, int flags,
					    int (*fn)(void *arg,
						      struct vnet_loop_timer *t,
						      uint64_t now),
					    void *arg);
/* Fire at when: ns since the epoch by the timer's clock (vnet_clock_now(),
 * or vnet_clock_wall() for VNET_LOOP_WALL); VNET_LOOP_OFF disarms.  A
 * deadline already past fires at the end of the current (or next) pass. */
void vnet_loop_timer_set(struct vnet_loop_timer *t, uint64_t when);

/* fn gets the VNET_SIG_HUP / VNET_SIG_USR1 flags (sig.h) raised. */
void vnet_loop_on_signal(struct vnet_loop *l,
			 void (*fn)(void *arg, int sigflags), void *arg);

/* Run until the end (see above): 0 or -errno.  vnet_sig_init() first. */
int vnet_loop_run(struct vnet_loop *l);
/* End the loop from a callback: the current pass stops after it, the
 * outputs are flushed, and vnet_loop_run() returns 0. */
void vnet_loop_stop(struct vnet_loop *l);
/* Why the last vnet_loop_run() returned -errno, naming the port by its
 * label ("inner -: truncated record ...", "poll: ..."); empty when it
 * returned 0 or a callback's error. */
const struct vnet_err *vnet_loop_err(const struct vnet_loop *l);
/* How the last run that returned 0 ended, if worth saying: an output
 * closed by its reader (*warn = 0, info) or a stop that gave up on a
 * reader that is not reading (*warn = 1); empty otherwise.  warn may be
 * NULL. */
const struct vnet_err *vnet_loop_note(const struct vnet_loop *l, int *warn);

#endif
