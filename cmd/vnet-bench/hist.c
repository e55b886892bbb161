/* SPDX-License-Identifier: ISC */
/* hist.c -- a log-linear histogram of latencies (HdrHistogram-like). */
#include <string.h>

#include "vnet-bench/hist.h"

void vnet_hist_reset(struct vnet_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned vnet_hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < (1u << VNET_HIST_SUB_BITS))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (VNET_HIST_SUB_BITS - 1);
	/* v >> shift is in [HALF, 2 * HALF): the linear bucket within. */
	return shift * VNET_HIST_HALF + (unsigned)(v >> shift);
}

uint64_t vnet_hist_low(unsigned i)
{
	unsigned shift;

	if (i < 2 * VNET_HIST_HALF)
		return i;
	shift = i / VNET_HIST_HALF - 1;
	return (uint64_t)(i - shift * VNET_HIST_HALF) << shift;
}

uint64_t vnet_hist_high(unsigned i)
{
	unsigned shift;

	if (i < 2 * VNET_HIST_HALF)
		return i;
	shift = i / VNET_HIST_HALF - 1;
	return (((uint64_t)(i - shift * VNET_HIST_HALF) + 1) << shift) - 1;
}

void vnet_hist_add(struct vnet_hist *h, uint64_t v)
{
	h->count[vnet_hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t vnet_hist_pct(const struct vnet_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	double r;
	unsigned i;

	if (!h->n)
		return 0;
	r = pct / 100.0 * (double)h->n;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (i = 0; i < VNET_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	v = vnet_hist_high(i < VNET_HIST_BUCKETS ? i : VNET_HIST_BUCKETS - 1);
	return v > h->max ? h->max : v < h->min ? h->min : v;
}

uint64_t vnet_hist_mean(const struct vnet_hist *h)
{
	return h->n ? h->sum / h->n : 0;
}
