/* SPDX-License-Identifier: ISC */
/* dhcp.c -- libFuzzer harness for vnet-route's DHCP responder
 * (route_dhcp_answer): frames in, replies out, the lease table between.
 *
 * The input is a run of records, each
 *     CTRL  LEN(2, big-endian)  FRAME(LEN bytes)
 * CTRL bit 0: set the IPv4 header checksum right, bit 1: the UDP one (so
 * that mutations reach the DHCP parser), bits 4-7: seconds * 16 that pass
 * before the frame.  Every reply must be a well-formed frame with right
 * checksums, no longer than ROUTE_DHCP_REPLY_MAX.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vnet-route/dhcp.h"
#include "vnet/addr.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const struct route_dhcp_seg seg = {
	.vid = 5,
	.subnet = IP(198, 19, 5, 0),
	.mask = 0xffffff00,
	.gw = IP(198, 19, 5, 1),
	.gw_mac = {0x02, 0x00, 0x5e, 0x00, 0x05, 0x01},
	.pool_lo = IP(198, 19, 5, 10),
	.pool_hi = IP(198, 19, 5, 15),
	.dns = {IP(198, 19, 5, 53), IP(198, 19, 5, 54)},
	.ndns = 2,
	.lease_s = 120,
	.domain = "lab.test",
	.mtu = 1450,
};

static const char leases[] = "5 02:00:00:00:00:01 198.19.5.50 web1\n"
			     "5 02:00:00:00:00:02 198.19.5.12\n"
			     "5 02:00:00:00:00:03 198.19.9.9\n";

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fix(uint8_t *f, size_t len, unsigned ctrl)
{
	uint8_t *ip = f + 14, *udp;
	size_t ihl, ulen;
	struct vnet_addr sa, da;
	uint32_t sum;

	if (len < 34 || vnet_get16(f + 12) != 0x0800)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || 14 + ihl > len)
		return;
	if (ctrl & 1) {
		vnet_put16(ip + 10, 0);
		vnet_put16(ip + 10, vnet_ip4_csum(ip, ihl));
	}
	udp = ip + ihl;
	if (!(ctrl & 2) || 14 + ihl + 8 > len)
		return;
	ulen = vnet_get16(udp + 4);
	if (ulen < 8 || 14 + ihl + ulen > len)
		return;
	vnet_addr_from_v4(&sa, ip + 12);
	vnet_addr_from_v4(&da, ip + 16);
	vnet_put16(udp + 6, 0);
	sum = vnet_csum_fold(vnet_csum_add(
		vnet_csum_pseudo(&sa, &da, 17, (uint32_t)ulen), udp, ulen));
	vnet_put16(udp + 6, sum ? sum : 0xffff);
}

/* A reply is Ethernet + IPv4 (20) + UDP 67 -> 68 + BOOTP reply, every
 * length and checksum right. */
static void check_reply(const uint8_t *f, int n)
{
	const uint8_t *ip = f + 14, *udp = ip + 20;
	struct vnet_addr sa, da;

	check(n >= 14 + 20 + 8 + 300 && n <= ROUTE_DHCP_REPLY_MAX);
	check(vnet_get16(f + 12) == 0x0800 && ip[0] == 0x45);
	check(vnet_ip4_csum(ip, 20) == 0);
	check(vnet_get16(ip + 2) == n - 14 && vnet_get16(udp + 4) == n - 34);
	check(vnet_get16(udp) == 67 && vnet_get16(udp + 2) == 68);
	check(!memcmp(f + 6, seg.gw_mac, 6));
	vnet_addr_from_v4(&sa, ip + 12);
	vnet_addr_from_v4(&da, ip + 16);
	check(vnet_csum_fold(vnet_csum_add(
		      vnet_csum_pseudo(&sa, &da, 17, (uint32_t)(n - 34)), udp,
		      (size_t)(n - 34))) == 0);
	check(udp[8] == 2 && vnet_get32(udp + 8 + 236) == 0x63825363);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ROUTE_DHCP_REPLY_MAX];
	uint8_t *frame;
	struct route_dhcp *d;
	const struct vnet_counter *c;
	char path[64];
	uint64_t now = 1000000000ull;
	size_t off = 0, n;
	FILE *f;
	int fd, r;

	d = route_dhcp_new(8, NULL);
	if (!d)
		return 0;
	fd = memfd_create("dhcp_leases", MFD_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, leases, sizeof(leases) - 1) ==
		    (ssize_t)(sizeof(leases) - 1)) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			check(route_dhcp_load(d, path, NULL) == 0);
		}
		close(fd);
	}
	while (size - off >= 3) {
		unsigned ctrl = data[off];
		size_t len = vnet_get16(data + off + 1);

		off += 3;
		if (len > size - off)
			len = size - off;
		/* A copy of exactly len bytes, so that ASan catches a read
		 * past the frame. */
		frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		off += len;
		fix(frame, len, ctrl);
		now += (uint64_t)(ctrl >> 4) * 16 * 1000000000ull;
		r = route_dhcp_answer(d, &seg, frame, len, out, sizeof(out),
				      now);
		free(frame);
		check(r > -ROUTE_DHCP_DROP_MAX);
		if (r > 0)
			check_reply(out, r);
	}
	c = route_dhcp_counters(d, &n);
	check(n == ROUTE_DHCP_C_MAX && c[ROUTE_DHCP_C_LEASES].value <= 8);
	f = fopen("/dev/null", "w");
	if (f) {
		check(route_dhcp_dump(d, f, now) == 0);
		fclose(f);
	}
	route_dhcp_free(d);
	return 0;
}
