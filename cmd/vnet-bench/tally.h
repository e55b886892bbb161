/* SPDX-License-Identifier: ISC */
/* tally.h -- what vnet-bench sink counts, a stream at a time.
 *
 * Each frame is looked up by its stamp (stamp.h); one without a stamp is
 * foreign and only counted.  A stream keeps its frames, bytes, the
 * sequence numbers seen (the highest, the lowest, and a window of the
 * last VNET_TALLY_WINDOW below the highest), duplicates, reordered frames
 * (a frame that arrives after one with a higher sequence number, and is
 * not a duplicate) and the latency histogram (hist.h).  A frame older
 * than the window counts as reordered (it cannot be told from a
 * duplicate).  Loss is what the sequence numbers between the lowest and
 * the highest miss: frames lost after the last one received are only
 * known to whoever knows how many were sent (vnet_tally_lost_of()).
 *
 * O(1) a frame; memory: one table of stream pointers, and a stream
 * (some 70 KiB) allocated when its first frame arrives.
 */
#ifndef VNET_BENCH_TALLY_H
#define VNET_BENCH_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "vnet-bench/hist.h"

#define VNET_TALLY_WINDOW  65536
#define VNET_TALLY_STREAMS 65536

struct vnet_tally_stream {
	uint16_t id;
	uint64_t frames, bytes, dups, reordered;
	uint64_t first_rx, last_rx;	      /* receive times, ns */
	uint64_t min_tx, max_tx;	      /* the stamps' send times, ns */
	uint64_t min_seq, max_seq;	      /* extended to 64 bits */
	uint64_t win[VNET_TALLY_WINDOW / 64]; /* seqs seen near max_seq */
	struct vnet_hist lat;		      /* latency, ns */
};

struct vnet_tally {
	struct vnet_tally_stream *by_id[VNET_TALLY_STREAMS];
	uint16_t order[VNET_TALLY_STREAMS]; /* ids in order of arrival */
	unsigned nstreams;
	uint64_t frames; /* every frame, foreign ones too */
	uint64_t foreign, foreign_bytes;
};

/* NULL with errno set. */
struct vnet_tally *vnet_tally_new(void);
void vnet_tally_free(struct vnet_tally *t); /* takes NULL */
/* Count one frame received at rx_ns: 1 (stamped), 0 (foreign) or
 * -ENOMEM (a new stream could not be allocated: counted foreign). */
int vnet_tally_frame(struct vnet_tally *t, const uint8_t *data, size_t len,
		     uint64_t rx_ns);
/* Count a frame whose stamp is known (the unit tests). */
int vnet_tally_stamp(struct vnet_tally *t, uint16_t stream, uint32_t seq,
		     uint64_t tx_ns, size_t len, uint64_t rx_ns);
/* Frames that the sequence numbers say are missing. */
uint64_t vnet_tally_lost(const struct vnet_tally_stream *s);
/* Frames missing of sent frames numbered 0 to sent - 1 (unique frames
 * received counted against them). */
uint64_t vnet_tally_lost_of(const struct vnet_tally_stream *s, uint64_t sent);

#endif
