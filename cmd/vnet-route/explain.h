/* SPDX-License-Identifier: ISC */
/* explain.h -- vnet-route --explain (vnet-route(8)). */
#ifndef ROUTE_EXPLAIN_H
#define ROUTE_EXPLAIN_H

#include "vnet-route/router.h"

/* Each frame of file (NULL or "-": stdin) through r in direction dir, a
 * line each on stdout: NO DIR SEGMENT PROTO SRC DST ACTION REASON ROUTE
 * (tab separated), or a JSON object with json; SEGMENT of an egress
 * frame is access_vid when it is not -1 (an access port's frames are
 * untagged).  Exit
 * status: 0, or 1 after logging what failed. */
int route_explain(struct route_router *r, const char *file, enum vnet_dir dir,
		  int json, int access_vid);

#endif
