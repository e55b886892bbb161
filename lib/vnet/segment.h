/* SPDX-License-Identifier: ISC */
/* segment.h -- the segment of a frame, decided by its outermost tag: the
 * one rule every vnet program that classifies segments calls (man/vnet.7,
 * FRAMES AND SEGMENTS).
 *
 *   no tag (EtherType neither 0x8100 nor 0x88a8)  the default segment
 *   802.1Q, VID 0 (a priority tag)                the default segment
 *   802.1Q, VID 1..4094                           segment VID
 *   802.1Q followed by 0x8100 or 0x88a8           none: stacked tags
 *   802.1ad (0x88a8) outermost                    none: an S-tag
 *   802.1Q, VID 4095 (reserved, 802.1Q 9.6)       none
 *
 * A frame with no segment is refused by every program and counted under
 * the same name in each (drop_stacked_tag, drop_s_tag, drop_reserved_vid).
 * Stacking is checked before the VID: a priority or VID-4095 tag followed
 * by another tag is stacked.  Other EtherTypes (the pre-standard QinQ
 * 0x9100, ...) are payload.
 *
 * Pure and bounds-checked: nothing is read outside [frame, frame + len).
 */
#ifndef VNET_SEGMENT_H
#define VNET_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

enum vnet_segment_kind {
	VNET_SEG_UNTAGGED,     /* the default segment, nothing to strip */
	VNET_SEG_PRIORITY,     /* the default segment, a VID-0 tag to strip */
	VNET_SEG_TAGGED,       /* segment VID 1..4094, its tag to strip */
	VNET_SEG_STACKED,      /* no segment: 802.1Q then another tag */
	VNET_SEG_S_TAG,	       /* no segment: 802.1ad outermost */
	VNET_SEG_RESERVED_VID, /* no segment: 802.1Q VID 4095 */
	VNET_SEG_RUNT,	       /* shorter than its Ethernet header or tag */
	VNET_SEG_KIND_MAX
};

/* The segment of the Ethernet frame [frame, frame + len).  Returns its
 * enum vnet_segment_kind.  With a segment (UNTAGGED, PRIORITY, TAGGED)
 * *vid is the segment (0: the default) and *l2len the length of the
 * Ethernet header with its tag, up to and including the EtherType of the
 * payload (14 untagged, 18 tagged): the tag is bytes 12 to l2len - 2.
 * Without one, *vid is the VID of the outermost tag (for logs; 0 for a
 * runt) and *l2len is 0.  vid and l2len may be NULL. */
int vnet_segment_of(const uint8_t *frame, size_t len, uint16_t *vid,
		    size_t *l2len);

/* Whether a result of vnet_segment_of() gives the frame a segment. */
static inline int vnet_segment_ok(int kind)
{
	return kind == VNET_SEG_UNTAGGED || kind == VNET_SEG_PRIORITY ||
	       kind == VNET_SEG_TAGGED;
}

/* A static name for a result, as the drop log and --explain write it:
 * "untagged" "priority-tagged" "tagged" "stacked-tag" "s-tag"
 * "reserved-vid" "runt"; "?" for anything else. */
const char *vnet_segment_str(int kind);

#endif
