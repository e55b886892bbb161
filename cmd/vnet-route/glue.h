/* SPDX-License-Identifier: ISC */
/* glue.h -- the router's DHCP hook (router.h) on the DHCPv4 engine
 * (dhcp.h): the router hands a segment's frame tagged with its VID (or
 * untagged on segment 0) and its struct route_seg; the engine takes an
 * untagged frame and a struct route_dhcp_seg.  route_glue_dhcp() turns
 * the one into the other (route_conf_dhcp_seg()), and tags the reply
 * back onto the segment's VID, as the router's other answers are.
 * Nothing here prints or allocates.
 */
#ifndef ROUTE_GLUE_H
#define ROUTE_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "vnet-route/dhcp.h"
#include "vnet-route/router.h"

#define ROUTE_GLUE_FRAME_MAX (9000 + 18) /* router.c's largest frame */

struct route_glue {
	struct route_dhcp *dhcp;	  /* the engine (owned by the caller) */
	struct route_router *router;	  /* whose configuration is in force */
	uint8_t in[ROUTE_GLUE_FRAME_MAX]; /* the request, untagged */
	uint8_t out[ROUTE_DHCP_REPLY_MAX]; /* the reply, untagged */
};

/* The hook: arg is a struct route_glue whose dhcp and router are set.
 * Returns the length of the reply written to out, 0 (no reply) or
 * -reason (enum route_dhcp_drop). */
int route_glue_dhcp(void *arg, const struct route_seg *seg,
		    const uint8_t *frame, size_t len, uint8_t *out, size_t cap,
		    uint64_t now_ns);

#endif
