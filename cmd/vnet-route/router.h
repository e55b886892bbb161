/* SPDX-License-Identifier: ISC */
/* router.h -- the vnet-route data path: a distributed anycast gateway
 * with one table per tenant (vnet-route(8)).
 *
 * Frames carry their segment as an 802.1Q VID (segment.h).  A frame in
 * direction VNET_EGRESS came from the left (the workloads), VNET_INGRESS
 * from the right (the fabric).  route_router_frame() decides each frame:
 * passed on unchanged (ROUTE_PASS: the caller forwards it in its
 * direction), handled (ROUTE_DONE: answered or routed; the frames it
 * made went out through the emit callback), or dropped (ROUTE_DROP,
 * counted).  Emitted frames have a direction too: VNET_EGRESS goes out
 * on the right, VNET_INGRESS on the left.  Functions return 0 or
 * -errno; the constructor NULL with errno set.  Nothing here prints.
 */
#ifndef ROUTE_ROUTER_H
#define ROUTE_ROUTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnet/mid.h"
#include "vnet-route/conf.h"

enum route_act { ROUTE_PASS, ROUTE_DONE, ROUTE_DROP };

struct route_router_config {
	/* A frame the router made (an answer, a routed packet, a request):
	 * out in direction dir. */
	void (*emit)(void *arg, enum vnet_dir dir, const uint8_t *frame,
		     size_t len);
	void *arg;
	/* An access port (--segment VID): the left side carries untagged
	 * frames of segment access_vid only (tagged there on the way in,
	 * untagged on the way out, frames of other segments not sent
	 * left).  -1: the left is a trunk, every frame tagged with its
	 * segment. */
	int access_vid;
	/* ---- DHCP HOOK (the DHCPv4 engine, cmd/vnet-route/dhcp.h) ----
	 * A UDP datagram to port 67 from the left, on a segment with
	 * "dhcp", addressed to the gateway or broadcast, goes here:
	 * an adapter in vnet-route.c calls route_dhcp_answer(d, seg, frame,
	 * len, out, cap, now) with the segment as dhcp.h wants it; it
	 * returns the reply length (the frame at out goes back to the
	 * left), 0 (no reply) or < 0 (a drop).  NULL: such frames are
	 * dropped (drop_dhcp_unconfigured). */
	int (*dhcp)(void *dhcp_arg, const struct route_seg *seg,
		    const uint8_t *frame, size_t len, uint8_t *out, size_t cap,
		    uint64_t now_ns);
	void *dhcp_arg;
};

/* What --explain prints of a frame's fate. */
struct route_verdict {
	const char *why;  /* "routed", "arp-reply", "no-route", ... */
	char route[160];  /* "red 198.19.2.0/24 connected segment 20", "-" */
};

struct route_router;

/* A router for configuration c, which it owns from then on (also on
 * failure). */
struct route_router *route_router_new(struct route_conf *c,
				      const struct route_router_config *rc);
void route_router_free(struct route_router *r); /* takes NULL */
/* Put c in force (it is owned from then on): the tables are built anew,
 * learned neighbours kept where their segment and prefix still are.
 * -ENOMEM leaves the old configuration in force (c is freed). */
int route_router_replace(struct route_router *r, struct route_conf *c);
const struct route_conf *route_router_conf(const struct route_router *r);

/* One frame in direction dir at time now (ns, the one clock).  v may be
 * NULL. */
enum route_act route_router_frame(struct route_router *r, enum vnet_dir dir,
				  const uint8_t *frame, size_t len,
				  uint64_t now, struct route_verdict *v);
/* Timers: neighbour ageing and retries, router advertisements. */
void route_router_tick(struct route_router *r, uint64_t now);

/* The counters as name<TAB>value lines, in the order of vnet-route(8)
 * COUNTERS. */
void route_router_print_counters(const struct route_router *r, FILE *f);
enum route_ctr {
	RC_RELOADS,
	RC_RELOAD_FAILED,
};
void route_router_count(struct route_router *r, enum route_ctr which);

/* Tables as text (vnet-route(8) TABLES): sorted TSV, no header.
 * routes: tenant family prefix kind target
 * neigh:  segment address mac state side age_s queued
 * Return 0 or -EIO. */
int route_router_dump_routes(const struct route_router *r, FILE *f);
int route_router_dump_neigh(const struct route_router *r, FILE *f,
			    uint64_t now);

/* RFC 1624 eqn. 3: the checksum field hc after a 16-bit word of the
 * summed data changes from m to m1 (all host order). */
uint16_t route_csum_update16(uint16_t hc, uint16_t m, uint16_t m1);

#endif
