/* SPDX-License-Identifier: ISC */
/* test_segment.c -- unit tests for the segment of a frame (segment.h). */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "vnet/segment.h"

/* A frame: MACs, then the tags (TPID, VID; tpid 0 ends the list), then
 * EtherType IPv4 and 46 bytes of payload.  Returns its length. */
static size_t frame(uint8_t *b, const unsigned (*tags)[2])
{
	size_t n = 12;
	int i;

	memset(b, 0, 128);
	memcpy(b, "\xff\xff\xff\xff\xff\xff\x02\x00\xc6\x13\x00\x01", 12);
	for (i = 0; tags && tags[i][0]; i++) {
		b[n] = (uint8_t)(tags[i][0] >> 8);
		b[n + 1] = (uint8_t)tags[i][0];
		/* PCP 5 and DEI set: neither changes the segment. */
		b[n + 2] = (uint8_t)(0xb0 | tags[i][1] >> 8);
		b[n + 3] = (uint8_t)tags[i][1];
		n += 4;
	}
	b[n] = 0x08;
	b[n + 1] = 0x00;
	return n + 2 + 46;
}

struct shape {
	const char *name;
	unsigned tags[3][2];
	int kind;
	uint16_t vid;
	size_t l2len;
};

/* Every tag shape of the rule (man/vnet.7, FRAMES AND SEGMENTS). */
static const struct shape shapes[] = {
	{ "untagged", { { 0 } }, VNET_SEG_UNTAGGED, 0, 14 },
	{ "802.1Q 100", { { 0x8100, 100 } }, VNET_SEG_TAGGED, 100, 18 },
	{ "802.1Q 1", { { 0x8100, 1 } }, VNET_SEG_TAGGED, 1, 18 },
	{ "802.1Q 4094", { { 0x8100, 4094 } }, VNET_SEG_TAGGED, 4094, 18 },
	{ "802.1Q+802.1Q", { { 0x8100, 100 }, { 0x8100, 200 } },
	  VNET_SEG_STACKED, 100, 0 },
	{ "802.1Q+802.1ad", { { 0x8100, 100 }, { 0x88a8, 200 } },
	  VNET_SEG_STACKED, 100, 0 },
	{ "802.1ad", { { 0x88a8, 100 } }, VNET_SEG_S_TAG, 100, 0 },
	{ "802.1ad+802.1Q", { { 0x88a8, 100 }, { 0x8100, 200 } },
	  VNET_SEG_S_TAG, 100, 0 },
	{ "802.1ad VID 0", { { 0x88a8, 0 } }, VNET_SEG_S_TAG, 0, 0 },
	{ "VID 0", { { 0x8100, 0 } }, VNET_SEG_PRIORITY, 0, 18 },
	{ "VID 0+802.1Q", { { 0x8100, 0 }, { 0x8100, 5 } }, VNET_SEG_STACKED,
	  0, 0 },
	{ "VID 4095", { { 0x8100, 4095 } }, VNET_SEG_RESERVED_VID, 4095, 0 },
	{ "VID 4095+802.1Q", { { 0x8100, 4095 }, { 0x8100, 5 } },
	  VNET_SEG_STACKED, 4095, 0 },
	/* The pre-standard QinQ TPID is payload. */
	{ "0x9100", { { 0x9100, 100 } }, VNET_SEG_UNTAGGED, 0, 14 },
};

static void test_shapes(void)
{
	uint8_t b[128];
	uint16_t vid;
	size_t i, n, l2;
	int k;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		n = frame(b, s->tags);
		vid = 0xffff;
		l2 = 99;
		k = vnet_segment_of(b, n, &vid, &l2);
		if (k != s->kind || vid != s->vid || l2 != s->l2len)
			T_FAIL("%s: kind %d vid %u l2len %zu, expected "
			       "%d %u %zu", s->name, k, vid, l2, s->kind,
			       s->vid, s->l2len);
		T_EQ(vnet_segment_ok(k), s->l2len != 0);
		/* The pointers are optional and change nothing. */
		T_EQ(vnet_segment_of(b, n, NULL, NULL), k);
	}
}

static void test_runts(void)
{
	static const unsigned q[][2] = { { 0x8100, 100 }, { 0x8100, 200 },
					 { 0 } };
	static const unsigned ad[][2] = { { 0x88a8, 100 }, { 0 } };
	uint8_t b[128];
	uint16_t vid = 7;
	size_t l2 = 7, n;

	frame(b, NULL);
	T_EQ(vnet_segment_of(b, 0, &vid, &l2), VNET_SEG_RUNT);
	T_EQ(vid, 0);
	T_EQ(l2, 0);
	T_EQ(vnet_segment_of(b, 13, NULL, NULL), VNET_SEG_RUNT);
	/* Exactly an Ethernet header: untagged, whatever follows. */
	T_EQ(vnet_segment_of(b, 14, &vid, &l2), VNET_SEG_UNTAGGED);
	T_EQ(l2, 14);
	/* A tag needs 4 bytes and the EtherType after it. */
	n = frame(b, q);
	for (l2 = 14; l2 < 18; l2++)
		T_EQ(vnet_segment_of(b, l2, NULL, NULL), VNET_SEG_RUNT);
	/* The second TPID is enough to refuse a stacked frame. */
	T_EQ(vnet_segment_of(b, 18, NULL, NULL), VNET_SEG_STACKED);
	T_EQ(vnet_segment_of(b, n, NULL, NULL), VNET_SEG_STACKED);
	frame(b, ad);
	T_EQ(vnet_segment_of(b, 17, NULL, NULL), VNET_SEG_RUNT);
	T_EQ(vnet_segment_of(b, 18, NULL, NULL), VNET_SEG_S_TAG);
	/* One tag and its EtherType, no payload: still a segment. */
	frame(b, q + 1);
	T_EQ(vnet_segment_of(b, 18, &vid, &l2), VNET_SEG_TAGGED);
	T_EQ(vid, 200);
	T_EQ(l2, 18);
}

static void test_str(void)
{
	T_STREQ(vnet_segment_str(VNET_SEG_UNTAGGED), "untagged");
	T_STREQ(vnet_segment_str(VNET_SEG_PRIORITY), "priority-tagged");
	T_STREQ(vnet_segment_str(VNET_SEG_TAGGED), "tagged");
	T_STREQ(vnet_segment_str(VNET_SEG_STACKED), "stacked-tag");
	T_STREQ(vnet_segment_str(VNET_SEG_S_TAG), "s-tag");
	T_STREQ(vnet_segment_str(VNET_SEG_RESERVED_VID), "reserved-vid");
	T_STREQ(vnet_segment_str(VNET_SEG_RUNT), "runt");
	T_STREQ(vnet_segment_str(-1), "?");
	T_STREQ(vnet_segment_str(VNET_SEG_KIND_MAX), "?");
	T_ASSERT(!vnet_segment_ok(VNET_SEG_RUNT));
	T_ASSERT(!vnet_segment_ok(-1));
}

int main(void)
{
	T_RUN(test_shapes);
	T_RUN(test_runts);
	T_RUN(test_str);
	return T_DONE();
}
