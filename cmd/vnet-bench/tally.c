/* SPDX-License-Identifier: ISC */
/* tally.c -- per-stream counts of the sink: loss, duplicates, order,
 * latency. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-bench/stamp.h"
#include "vnet-bench/tally.h"

struct vnet_tally *vnet_tally_new(void)
{
	return calloc(1, sizeof(struct vnet_tally));
}

void vnet_tally_free(struct vnet_tally *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nstreams; i++)
		free(t->by_id[t->order[i]]);
	free(t);
}

#define BIT(s)	   (UINT64_C(1) << ((s) % 64))
#define WORD(w, s) ((w)[((s) / 64) % (VNET_TALLY_WINDOW / 64)])

static struct vnet_tally_stream *stream_of(struct vnet_tally *t, uint16_t id)
{
	struct vnet_tally_stream *s = t->by_id[id];

	if (s)
		return s;
	if (!(s = calloc(1, sizeof(*s))))
		return NULL;
	s->id = id;
	vnet_hist_reset(&s->lat);
	t->by_id[id] = s;
	t->order[t->nstreams++] = id;
	return s;
}

/* Clear the window's bits for seqs from + 1 to to. */
static void win_clear(struct vnet_tally_stream *s, uint64_t from, uint64_t to)
{
	uint64_t q;

	if (to - from >= VNET_TALLY_WINDOW) {
		memset(s->win, 0, sizeof(s->win));
		return;
	}
	for (q = from + 1; q <= to; q++) {
		if (q % 64 == 0 && to - q >= 63) {
			WORD(s->win, q) = 0;
			q += 63;
			continue;
		}
		WORD(s->win, q) &= ~BIT(q);
	}
}

int vnet_tally_stamp(struct vnet_tally *t, uint16_t stream, uint32_t seq,
		     uint64_t tx_ns, size_t len, uint64_t rx_ns)
{
	struct vnet_tally_stream *s;
	uint64_t q;

	t->frames++;
	if (!(s = stream_of(t, stream))) {
		t->foreign++;
		t->foreign_bytes += len;
		return -ENOMEM;
	}
	if (!s->frames) {
		q = seq;
		s->min_seq = s->max_seq = q;
		s->first_rx = rx_ns;
		s->min_tx = s->max_tx = tx_ns;
		WORD(s->win, q) |= BIT(q);
	} else {
		/* The 32-bit seq nearest the highest so far. */
		q = s->max_seq +
		    (uint64_t)(int64_t)(int32_t)(seq - (uint32_t)s->max_seq);
		if ((int64_t)q < 0)
			q = seq;
		if (q > s->max_seq) {
			win_clear(s, s->max_seq, q);
			s->max_seq = q;
			WORD(s->win, q) |= BIT(q);
		} else if (s->max_seq - q >= VNET_TALLY_WINDOW) {
			s->reordered++;
		} else if (WORD(s->win, q) & BIT(q)) {
			s->dups++;
		} else {
			s->reordered++;
			WORD(s->win, q) |= BIT(q);
		}
		if (q < s->min_seq)
			s->min_seq = q;
	}
	if (tx_ns < s->min_tx)
		s->min_tx = tx_ns;
	if (tx_ns > s->max_tx)
		s->max_tx = tx_ns;
	s->frames++;
	s->bytes += len;
	s->last_rx = rx_ns;
	vnet_hist_add(&s->lat, rx_ns > tx_ns ? rx_ns - tx_ns : 0);
	return 1;
}

int vnet_tally_frame(struct vnet_tally *t, const uint8_t *data, size_t len,
		     uint64_t rx_ns)
{
	struct vnet_stamp st;

	if (vnet_stamp_find(data, len, &st) < 0) {
		t->frames++;
		t->foreign++;
		t->foreign_bytes += len;
		return 0;
	}
	return vnet_tally_stamp(t, st.stream, st.seq, st.ts_ns, len, rx_ns);
}

uint64_t vnet_tally_lost(const struct vnet_tally_stream *s)
{
	uint64_t span = s->max_seq - s->min_seq + 1, uniq = s->frames - s->dups;

	return s->frames && span > uniq ? span - uniq : 0;
}

uint64_t vnet_tally_lost_of(const struct vnet_tally_stream *s, uint64_t sent)
{
	uint64_t uniq = s ? s->frames - s->dups : 0;

	return sent > uniq ? sent - uniq : 0;
}
