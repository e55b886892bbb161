/* SPDX-License-Identifier: ISC */
/* segment.c -- the segment of a frame from its outermost tag. */
#include "vnet/bytes.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"

#define VID_MASK     0x0fff
#define VID_RESERVED 0x0fff /* IEEE 802.1Q Table 9-2 */

static const char *const kind_str[VNET_SEG_KIND_MAX] = {
	[VNET_SEG_UNTAGGED] = "untagged",
	[VNET_SEG_PRIORITY] = "priority-tagged",
	[VNET_SEG_TAGGED] = "tagged",
	[VNET_SEG_STACKED] = "stacked-tag",
	[VNET_SEG_S_TAG] = "s-tag",
	[VNET_SEG_RESERVED_VID] = "reserved-vid",
	[VNET_SEG_RUNT] = "runt",
};

const char *vnet_segment_str(int kind)
{
	if (kind < 0 || kind >= VNET_SEG_KIND_MAX)
		return "?";
	return kind_str[kind];
}

static int is_tpid(uint16_t type)
{
	return type == VNET_ETH_P_8021Q || type == VNET_ETH_P_8021AD;
}

int vnet_segment_of(const uint8_t *frame, size_t len, uint16_t *vid,
		    size_t *l2len)
{
	const size_t tagged = VNET_ETH_HLEN + VNET_VLAN_HLEN;
	uint16_t type, id = 0;
	size_t l2 = 0;
	int kind;

	if (len < VNET_ETH_HLEN) {
		kind = VNET_SEG_RUNT;
		goto out;
	}
	type = vnet_get16(frame + 12);
	if (!is_tpid(type)) {
		l2 = VNET_ETH_HLEN;
		kind = VNET_SEG_UNTAGGED;
		goto out;
	}
	if (len < tagged) {
		kind = VNET_SEG_RUNT;
		goto out;
	}
	id = vnet_get16(frame + 14) & VID_MASK;
	/* vnet has no S-VLAN service: an S-tag names no segment of ours,
	 * whatever follows it. */
	if (type == VNET_ETH_P_8021AD)
		kind = VNET_SEG_S_TAG;
	else if (is_tpid(vnet_get16(frame + 16)))
		kind = VNET_SEG_STACKED;
	else if (id == VID_RESERVED)
		kind = VNET_SEG_RESERVED_VID;
	else
		kind = id ? VNET_SEG_TAGGED : VNET_SEG_PRIORITY;
	if (vnet_segment_ok(kind))
		l2 = tagged;
out:
	if (vid)
		*vid = id;
	if (l2len)
		*l2len = l2;
	return kind;
}
