/* SPDX-License-Identifier: ISC */
/* test_progress.c -- the status line (lib/progress.c): its text, and which
 * counters are its drops (lib/counter.c). */
#include <stdint.h>

#include "harness.h"
#include "vnet/counter.h"
#include "vnet/progress.h"

static void test_fmt(void)
{
	char b[128];

	vnet_progress_fmt(b, sizeof(b), 0, 0, 0, -1);
	T_STREQ(b, "0 frames, 0/s, 0 drops");
	vnet_progress_fmt(b, sizeof(b), 664583, 2661234.5, 3, 66);
	T_STREQ(b, "664583 frames, 2.66M/s, 3 drops, 66%");
	vnet_progress_fmt(b, sizeof(b), 1000, 999.4, 0, 100);
	T_STREQ(b, "1000 frames, 999/s, 0 drops, 100%");
	vnet_progress_fmt(b, sizeof(b), 1, 12345, 0, 150);
	T_STREQ(b, "1 frames, 12.3k/s, 0 drops, 100%"); /* capped */
	vnet_progress_fmt(b, sizeof(b), 1, 123456, 0, -1);
	T_STREQ(b, "1 frames, 123k/s, 0 drops");
	vnet_progress_fmt(b, sizeof(b), 1, 4.5e9, 0, 0);
	T_STREQ(b, "1 frames, 4.5G/s, 0 drops, 0%");
	vnet_progress_fmt(b, sizeof(b), 1, -5, 0, -1); /* clock stepped */
	T_STREQ(b, "1 frames, 0/s, 0 drops");
	/* Truncated, terminated. */
	T_EQ(vnet_progress_fmt(b, 8, 1, 0, 0, -1), 22);
	T_STREQ(b, "1 frame");
}

static void test_drops(void)
{
	static const struct vnet_counter c[] = {
		{ "inner_rx_frames", 5 },   { "drop_no_vni", 2 },
		{ "inner_tx_queue_drops", 3 }, { "queue_drops", 100 },
		{ "drop_", 7 },		    { "capture_dropped", 1000 },
		{ NULL, 9 },
	};

	T_ASSERT(vnet_counter_is_drop("drop_too_big"));
	T_ASSERT(vnet_counter_is_drop("left_tx_queue_drops"));
	T_ASSERT(!vnet_counter_is_drop("_queue_drops"));
	T_ASSERT(!vnet_counter_is_drop("drops"));
	T_ASSERT(!vnet_counter_is_drop("records_dropped"));
	T_ASSERT(!vnet_counter_is_drop(""));
	T_ASSERT(!vnet_counter_is_drop(NULL));
	T_EQ(vnet_counters_drops(c, VNET_COUNTERS_N(c)), 2 + 3 + 7);
}

int main(void)
{
	T_RUN(test_fmt);
	T_RUN(test_drops);
	return T_DONE();
}
