/* SPDX-License-Identifier: ISC */
/* counter.h -- named counters, printed as "name<TAB>value" lines.
 *
 * A tool keeps its counters in a static array indexed by an enum, with
 * designated initializers naming each, and prints them on SIGUSR1 and at
 * exit with --stats.  The names are stable: runbooks and tests grep them.
 */
#ifndef VNET_COUNTER_H
#define VNET_COUNTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vnet_counter {
	const char *name;
	uint64_t value;
};

/* Prints every counter (zeros too: a missing line is a question, a zero is
 * an answer), each name prefixed by `prefix` if not NULL. */
void vnet_counters_print(FILE *f, const char *prefix,
			 const struct vnet_counter *c, size_t n);

/* Whether a counter of that name counts frames lost or refused: drop_*
 * and *_queue_drops (the "drops" of a status line, progress.h). */
int vnet_counter_is_drop(const char *name);
/* The sum of the drop counters among c[0..n-1]. */
uint64_t vnet_counters_drops(const struct vnet_counter *c, size_t n);

#define VNET_COUNTERS_N(a) (sizeof(a) / sizeof((a)[0]))

#endif
