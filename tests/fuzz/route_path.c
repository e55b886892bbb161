/* SPDX-License-Identifier: ISC */
/* route_path.c -- libFuzzer harness for the vnet-route data path: ARP,
 * NDP, routing, ICMP generation, the neighbour queues and DHCP (the
 * router's hook, glue.c, on the engine, dhcp.c), on frames of any shape.
 * The input is a sequence of [flags][len][frame] records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/conf.h"
#include "vnet-route/glue.h"
#include "vnet-route/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text[] =
	"gateway-mac 02:00:5e:00:01:01\n"
	"tenant red\ntenant blue\n"
	"segment 0 tenant red prefix 198.19.0.0/24 gw 198.19.0.1\n"
	"segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1 "
	"prefix6 2001:db8:1::/64 gw6 2001:db8:1::1 dhcp pool "
	"198.19.1.10-198.19.1.12 dns 198.19.1.53 lease 1m domain f.example\n"
	"segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1 "
	"prefix6 2001:db8:2::/64 gw6 2001:db8:2::1 mtu 600\n"
	"segment 30 tenant blue prefix 198.19.3.0/24 gw 198.19.3.1 dhcp\n"
	"route red 198.19.9.0/24 via 198.19.2.5\n"
	"leak red 198.19.1.0/24 to blue\n"
	"neigh 20 198.19.2.10 02:00:00:00:00:20\n"
	"neigh-max 16\nneigh-queue 2\nqueue-total 8\n";

static void check_emit(void *arg, enum vnet_dir dir, const uint8_t *f,
		       size_t n)
{
	(void)arg;
	(void)dir;
	if (n < 14 || n > 9100)
		abort();
	(void)f[n - 1];
}

static struct route_glue glue;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_router_config rc = { .emit = check_emit,
					  .access_vid = -1,
					  .dhcp = route_glue_dhcp,
					  .dhcp_arg = &glue };
	struct route_conf *c = route_conf_parse(text, sizeof(text) - 1, "f",
						NULL);
	struct route_router *r;
	struct route_verdict v;
	uint64_t now = 1;
	size_t off = 0;

	if (!c)
		abort();
	if (size && data[0] & 0x80)
		rc.access_vid = 10;
	if (!(glue.dhcp = route_dhcp_new(4, NULL)))
		abort();
	if (!(r = route_router_new(c, &rc))) {
		route_dhcp_free(glue.dhcp);
		return 0;
	}
	glue.router = r;
	while (off + 3 <= size) {
		uint8_t fl = data[off];
		size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
		uint8_t *f;

		off += 3;
		if (n > size - off)
			n = size - off;
		/* A copy of its own size, so ASan sees every overread. */
		if (!(f = malloc(n ? n : 1)))
			break;
		memcpy(f, data + off, n);
		route_router_frame(r, fl & 1 ? VNET_INGRESS : VNET_EGRESS, f,
				   n, now, fl & 2 ? &v : NULL);
		free(f);
		off += n;
		now += (uint64_t)(fl >> 2) * 100000000ULL;
		route_router_tick(r, now);
	}
	route_router_free(r);
	route_dhcp_free(glue.dhcp);
	return 0;
}
