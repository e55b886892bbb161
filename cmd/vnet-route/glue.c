/* SPDX-License-Identifier: ISC */
/* glue.c -- the router's DHCP hook on the DHCPv4 engine (glue.h). */
#include <string.h>

#include "vnet-route/conf.h"
#include "vnet-route/glue.h"
#include "vnet/bytes.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"

int route_glue_dhcp(void *arg, const struct route_seg *seg,
		    const uint8_t *frame, size_t len, uint8_t *out, size_t cap,
		    uint64_t now_ns)
{
	struct route_glue *g = arg;
	struct route_dhcp_seg ds;
	const uint8_t *in = frame;
	uint16_t vid;
	size_t l2;
	int n;

	if (route_conf_dhcp_seg(route_router_conf(g->router), seg, &ds) < 0 ||
	    !vnet_segment_ok(vnet_segment_of(frame, len, &vid, &l2)) ||
	    l2 < 14 || len > sizeof(g->in))
		return -ROUTE_DHCP_DROP_NOT_DHCP;
	if (l2 > 14) {
		/* Untagged for the engine: addresses, then the inner type. */
		memcpy(g->in, frame, 12);
		memcpy(g->in + 12, frame + l2 - 2, len - (l2 - 2));
		in = g->in;
		len -= l2 - 14;
	}
	n = route_dhcp_answer(g->dhcp, &ds, in, len, g->out, sizeof(g->out),
			      now_ns);
	if (n <= 0)
		return n;
	if (!seg->vid) {
		if ((size_t)n > cap)
			return -ROUTE_DHCP_DROP_NO_ROOM;
		memcpy(out, g->out, (size_t)n);
		return n;
	}
	if ((size_t)n + 4 > cap)
		return -ROUTE_DHCP_DROP_NO_ROOM;
	memcpy(out, g->out, 12);
	vnet_put16(out + 12, VNET_ETH_P_8021Q);
	vnet_put16(out + 14, seg->vid);
	memcpy(out + 16, g->out + 12, (size_t)n - 12);
	return n + 4;
}
