/* SPDX-License-Identifier: ISC */
/* hist.h -- a log-linear histogram of latencies, O(1) a value.
 *
 * In the manner of HdrHistogram: values below 2^VNET_HIST_SUB_BITS have a
 * bucket each; above, every power of two is cut into 2^(SUB_BITS - 1)
 * linear buckets, so a value's bucket spans less than 1/128 of it.  A
 * value is its bucket's highest value when read back (never above the
 * largest value added).  Nothing allocates: a struct vnet_hist is about
 * 60 KiB and holds every uint64_t value.
 */
#ifndef VNET_BENCH_HIST_H
#define VNET_BENCH_HIST_H

#include <stdint.h>

#define VNET_HIST_SUB_BITS 8
#define VNET_HIST_HALF	   (1u << (VNET_HIST_SUB_BITS - 1))
#define VNET_HIST_BUCKETS  ((66 - VNET_HIST_SUB_BITS) * VNET_HIST_HALF)

struct vnet_hist {
	uint64_t n, min, max, sum;
	uint64_t count[VNET_HIST_BUCKETS];
};

void vnet_hist_reset(struct vnet_hist *h);
/* The bucket of value v, and the lowest and highest value of bucket i. */
unsigned vnet_hist_index(uint64_t v);
uint64_t vnet_hist_low(unsigned i);
uint64_t vnet_hist_high(unsigned i);
void vnet_hist_add(struct vnet_hist *h, uint64_t v);
/* The value at percentile pct (0 < pct <= 100): the highest value of the
 * bucket holding the value of rank ceil(pct/100 * n), at most max; 0
 * when the histogram is empty. */
uint64_t vnet_hist_pct(const struct vnet_hist *h, double pct);
/* Sum of values / n, 0 when empty. */
uint64_t vnet_hist_mean(const struct vnet_hist *h);

#endif
