/* SPDX-License-Identifier: ISC */
/* progress.h -- a live one-line status of a long run (a file replayed, a
 * capture): frames, rate, drops and how much of the file is done.
 *
 * A timer of the loop (by the wall clock, also with --clock pcap) asks the
 * program for its counts at most VNET_PROGRESS_NS apart, formats the line
 * and hands it to the program's show callback, which writes it (log.h's
 * vnet_log_status(): lib/ never prints).  vnet_progress_free() erases it.
 * Whether to have one at all is the program's choice (--progress,
 * --no-progress; by default when stderr is a terminal and the input is a
 * file or a live capture: vnet(7) PROGRESS).
 *
 * Errors: constructors return NULL with errno set.
 */
#ifndef VNET_PROGRESS_H
#define VNET_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/loop.h"

/* The line is redrawn at most 4 times a second. */
#define VNET_PROGRESS_NS 250000000ULL

/* What the program counts, asked for at each redraw. */
struct vnet_progress_sample {
	uint64_t frames; /* frames read so far */
	uint64_t drops;	 /* frames lost or refused so far (its drop counters) */
};

struct vnet_progress_config {
	/* The input whose offset says how much is done: a regular file's
	 * descriptor (its size is taken now), or -1 (no percentage). */
	int fd;
	void (*sample)(void *arg, struct vnet_progress_sample *s);
	/* Show line (no newline), or erase the line shown (NULL). */
	void (*show)(const char *line);
	void *arg;
};

struct vnet_progress;

/* A status line on loop l, first drawn VNET_PROGRESS_NS from now.  NULL
 * with errno set. */
struct vnet_progress *vnet_progress_new(struct vnet_loop *l,
					const struct vnet_progress_config *c);
/* Erases the line (show(NULL)) if one was drawn, and frees p; takes NULL.
 * Call it before vnet_loop_free(): the loop's timer stays, disarmed. */
void vnet_progress_free(struct vnet_progress *p);

/* The line, into buf of n bytes: "12345 frames, 4.5k/s, 0 drops, 37%"
 * (pct < 0: no percentage; rate in frames a second).  Returns what
 * snprintf returns. */
int vnet_progress_fmt(char *buf, size_t n, uint64_t frames, double rate,
		      uint64_t drops, int pct);

#endif
