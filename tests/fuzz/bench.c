/* SPDX-License-Identifier: ISC */
/* bench.c -- libFuzzer harness for vnet-bench's sink: the stamp parser,
 * the stamp's place in a frame, and the per-stream counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-bench/stamp.h"
#include "vnet-bench/tally.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct vnet_tally *ta;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vnet_stamp s;
	uint8_t again[VNET_STAMP_LEN];
	size_t off, n;

	if (!ta && !(ta = vnet_tally_new()))
		return 0;
	/* A stamp read back writes the same bytes. */
	if (vnet_stamp_get(data, len, &s) == 0) {
		vnet_stamp_put(again, &s);
		CHECK(!memcmp(again, data, VNET_STAMP_LEN));
	}
	/* Whole frames, and every frame cut short: counted once each,
	 * stamped or foreign. */
	for (n = len, off = 0; off < 4 && n; off++, n = n * 3 / 4) {
		uint64_t frames = ta->frames, foreign = ta->foreign;
		int r = vnet_tally_frame(ta, data, n, (uint64_t)off << 40);

		CHECK(ta->frames == frames + 1);
		CHECK(r == 1 ? ta->foreign == foreign
			     : ta->foreign == foreign + 1);
		if (r == 1)
			CHECK(vnet_stamp_find(data, n, &s) == 0);
	}
	for (unsigned i = 0; i < ta->nstreams; i++) {
		const struct vnet_tally_stream *st = ta->by_id[ta->order[i]];

		CHECK(st->dups + st->reordered <= st->frames);
		CHECK(st->min_seq <= st->max_seq);
		CHECK(st->lat.n == st->frames);
	}
	/* Bound the state: start afresh now and then. */
	if (ta->frames > 100000) {
		vnet_tally_free(ta);
		ta = NULL;
	}
	return 0;
}
