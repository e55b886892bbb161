/* SPDX-License-Identifier: ISC */
/* route_conf.c -- libFuzzer harness for the vnet-route configuration
 * file (route_conf_parse): a file is taken or refused with a message,
 * what is taken builds a router, and every segment marked dhcp is a
 * service the DHCP engine takes (route_conf_dhcp_seg, seg_check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/conf.h"
#include "vnet-route/dhcp.h"
#include "vnet-route/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drop(void *arg, enum vnet_dir dir, const uint8_t *f, size_t n)
{
	(void)arg;
	(void)dir;
	(void)f;
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_router_config rc = { .emit = drop, .access_vid = -1 };
	struct vnet_err e;
	struct route_conf *c;
	struct route_router *r;
	struct route_dhcp_seg ds;
	unsigned i;

	vnet_err_clear(&e);
	c = route_conf_parse((const char *)data, size, "fuzz.conf", &e);
	if (!c) {
		if (!e.msg[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	for (i = 0; i < c->nseg; i++) {
		if (!c->seg[i].dhcp)
			continue;
		if (route_conf_dhcp_seg(c, &c->seg[i], &ds) < 0 ||
		    route_dhcp_seg_check(&ds, NULL) < 0)
			abort(); /* taken, so the engine must take it */
	}
	if (c->neigh_max > 65536)
		c->neigh_max = 65536; /* memory, not parsing */
	if ((r = route_router_new(c, &rc))) {
		route_router_tick(r, 1);
		route_router_free(r);
	}
	return 0;
}
