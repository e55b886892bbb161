/* SPDX-License-Identifier: ISC */
/* test_tunnel_tap.c -- UDP tunnel offload on a tap (Linux 6.17), against
 * the kernel's own VXLAN device, in a private netns.
 *
 *   this test: VTEP 198.18.98.1 --- tap vntnl0 --- kernel 198.18.98.2,
 *   at 02:00:5e:62:00:01           (24-byte hdr,   vxlan vx98 VNI 42
 *   (inner 198.19.98.1)             tunnel GSO)    198.19.98.2, UDP :9000
 *
 *  - a VXLAN super-frame of ten 1400-byte UDP segments written once with
 *    vnet_port_send_vh() arrives at the kernel's socket as ten datagrams
 *    with the right bytes (the kernel cut it, or never had to);
 *  - 14,000 bytes sent by the kernel with UDP_SEGMENT through vx98 come
 *    out of the tap as one tunnel super-frame whose header says so.
 * The kernel's side is set up with ip(8).  Without root, unshare, the
 * vxlan module or tunnel offload it skips (a failure under
 * VNET_TEST_STRICT=1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/addr.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/offload.h"
#include "vnet/port.h"

#define TAP "vntnl0"
#define NSEG 10
#define MSS 1400

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x5e, 0x62, 0x00, 0x01 };
static const uint8_t inner_mac[6] = { 0x02, 0x00, 0x5e, 0x63, 0x00, 0x01 };
static struct vnet_port *port;
static uint8_t tap_mac[6], vx_mac[6];
static uint8_t frame[65536];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fprintf(stderr, "# %s: status %d\n", cmd, r);
	return r == 0 ? 0 : -1;
}

/* The MAC of link name (SIOCGIFHWADDR: sysfs shows the netns it was
 * mounted in, not ours). */
static int link_mac(const char *name, uint8_t *mac)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(s, SIOCGIFHWADDR, &ifr);
	close(s);
	if (r < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void ip4_hdr(uint8_t *h, size_t tot, uint8_t proto, const char *src,
		    const char *dst)
{
	memset(h, 0, 20);
	h[0] = 0x45;
	vnet_put16(h + 2, (unsigned)tot);
	vnet_put16(h + 6, 0x4000);
	h[8] = 64;
	h[9] = proto;
	inet_pton(AF_INET, src, h + 12);
	inet_pton(AF_INET, dst, h + 16);
	vnet_put16(h + 10, vnet_ip4_csum(h, 20));
}

static void test_tunnel_tx(void)
{
	const size_t pay = NSEG * MSS, ilen = 14 + 20 + 8 + pay;
	const size_t olen = 14 + 20 + 8 + 8 + ilen;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(9000) };
	struct vnet_addr is, id;
	struct vnet_vhdr h = { 0 };
	struct iovec iov = { frame, olen };
	uint8_t *o = frame, *in = frame + 50, buf[2048];
	unsigned got = 0, bad = 0;
	long t0;
	size_t i;
	int s;

	inet_pton(AF_INET, "198.19.98.2", &sa.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	T_ASSERT(s >= 0);
	T_EQ(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);

	memcpy(o, tap_mac, 6);
	memcpy(o + 6, peer_mac, 6);
	vnet_put16(o + 12, 0x0800);
	ip4_hdr(o + 14, olen - 14, 17, "198.18.98.1", "198.18.98.2");
	vnet_put16(o + 34, 50000);
	vnet_put16(o + 36, 4789);
	vnet_put16(o + 38, (unsigned)(olen - 34));
	vnet_put16(o + 40, 0);
	memset(o + 42, 0, 8);
	o[42] = 0x08;		      /* I flag */
	vnet_put32(o + 46, 42u << 8); /* VNI 42 */
	memcpy(in, vx_mac, 6);
	memcpy(in + 6, inner_mac, 6);
	vnet_put16(in + 12, 0x0800);
	ip4_hdr(in + 14, ilen - 14, 17, "198.19.98.1", "198.19.98.2");
	vnet_put16(in + 34, 40000);
	vnet_put16(in + 36, 9000);
	vnet_put16(in + 38, (unsigned)(8 + pay));
	for (i = 0; i < pay; i++)
		in[42 + i] = (uint8_t)('a' + (i / MSS) % 26 + i % 7);
	/* CHECKSUM_PARTIAL: the pseudo-header sum without the length, as
	 * for every GSO packet. */
	vnet_addr_parse("198.19.98.1", &is);
	vnet_addr_parse("198.19.98.2", &id);
	vnet_put16(in + 40, (uint16_t)~vnet_csum_fold(
				vnet_csum_pseudo(&is, &id, 17, 0)));
	h.flags = VNET_VHDR_F_NEEDS_CSUM;
	h.gso_type = VNET_GSO_UDP_L4 | VNET_GSO_UDP_TUNNEL4;
	h.gso_size = MSS;
	h.csum_start = 50 + 34;
	h.csum_offset = 6;
	h.hdr_len = 50 + 42;
	h.outer_th = 34;
	h.inner_nh = 50 + 14;
	T_EQ(vnet_vhdr_check(&h, olen, 1), 0);
	T_EQ(vnet_port_send_vh(port, &h, &iov, 1), 0);

	t0 = now_ms();
	while (got < NSEG && now_ms() - t0 < 3000) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n < 0) {
			usleep(10000);
			continue;
		}
		if (n != MSS || memcmp(buf, in + 42 + (size_t)got * MSS, MSS))
			bad++;
		got++;
	}
	T_EQ(got, NSEG);
	T_EQ(bad, 0);
	close(s);
}

static void test_tunnel_rx(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(9001) };
	static uint8_t msg[NSEG * MSS];
	const struct vnet_vhdr *vh;
	struct vnet_frame f[64];
	int s, seg = MSS, n, i, found = 0;
	long t0;

	memset(msg, 'z', sizeof(msg));
	inet_pton(AF_INET, "198.19.98.1", &sa.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	T_ASSERT(s >= 0);
	T_EQ(setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)), 0);
	T_EQ(sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&sa,
		    sizeof(sa)),
	     (ssize_t)sizeof(msg));
	t0 = now_ms();
	while (!found && now_ms() - t0 < 3000) {
		struct pollfd p = { vnet_port_rfd(port), POLLIN, 0 };

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = vnet_port_recv(port, f, 64);
		vh = vnet_port_recv_vh(port);
		for (i = 0; i < n; i++) {
			const uint8_t *d = f[i].data;

			/* IPv4, UDP to 4789 */
			if (f[i].len < 50 || vnet_get16(d + 12) != 0x0800 ||
			    d[23] != 17 || vnet_get16(d + 36) != 4789)
				continue;
			found = 1;
			T_EQ(vh[i].gso_type,
			     VNET_GSO_UDP_L4 | VNET_GSO_UDP_TUNNEL4);
			T_EQ(vh[i].gso_size, MSS);
			T_EQ(vh[i].outer_th, 34);
			T_EQ(vh[i].inner_nh, 50 + 14);
			T_EQ(vh[i].csum_start, 50 + 34);
			T_EQ(f[i].len, 50 + 42 + sizeof(msg));
			T_MEMEQ(d + 92, msg, sizeof(msg));
		}
	}
	T_ASSERT(found);
	close(s);
}

/* The kernel side: the tap's address, a VXLAN device toward us, and
 * static neighbours (nobody answers ARP). */
static int setup(char *why, size_t wlen)
{
	struct vnet_port_spec sp;
	struct vnet_err e;

	if (vnet_port_parse("tap:" TAP, &sp, &e) < 0)
		return snprintf(why, wlen, "port spec"), -1;
	if (!(port = vnet_port_open(&sp, VNET_PORT_TUNNEL, VNET_FMT_PCAP,
				    &e)))
		return snprintf(why, wlen, "open " TAP " with tunnel "
				"offload: %s", strerror(errno)), -1;
	if (link_mac(TAP, tap_mac) ||
	    sh("ip link set lo up && "
	       "ip addr add 198.18.98.2/24 dev " TAP " && "
	       "ip neigh add 198.18.98.1 lladdr 02:00:5e:62:00:01 dev " TAP
	       " && ip link add vx98 type vxlan id 42 local 198.18.98.2 "
	       "remote 198.18.98.1 dstport 4789 nolearning && "
	       "ip addr add 198.19.98.2/24 dev vx98 && "
	       "ip link set vx98 up && "
	       "ip neigh add 198.19.98.1 lladdr 02:00:5e:63:00:01 dev vx98") ||
	    link_mac("vx98", vx_mac))
		return snprintf(why, wlen, "kernel VXLAN set-up failed"), -1;
	return 0;
}

int main(void)
{
	static char why[160];

	if (geteuid() != 0)
		return t_skip_all("test_tunnel_tap", "not root");
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return t_skip_all("test_tunnel_tap", why);
	}
	if (setup(why, sizeof(why)) < 0) {
		vnet_port_close(port);
		return t_skip_all("test_tunnel_tap", why);
	}
	T_RUN(test_tunnel_tx);
	T_RUN(test_tunnel_rx);
	vnet_port_close(port);
	return T_DONE();
}
