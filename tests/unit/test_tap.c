/* SPDX-License-Identifier: ISC */
/* test_tap.c -- tap open and netlink link set-up, in a private netns.
 *
 * The test unshares a new network namespace before anything else, so the
 * tap it creates and configures lives and dies with the process and the
 * host's interfaces are never touched.  Without root (or without the right
 * to unshare, or without /dev/net/tun) it skips; VNET_TEST_STRICT=1 turns
 * the skip into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "harness.h"
#include "vnet/tap.h"

static const uint8_t test_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

/* SIOCGIFFLAGS / SIOCGIFHWADDR on a datagram socket: a second opinion that
 * does not go through the netlink code under test. */
static int link_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(s, req, ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

static int link_flags(const char *name)
{
	struct ifreq ifr;
	int r = link_ioctl(name, SIOCGIFFLAGS, &ifr);

	return r ? r : (ifr.ifr_flags & 0xffff);
}

static void test_tap_setup(void)
{
	static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint8_t frame[60];
	struct ifreq ifr;
	char buf[2048];
	int fd, r, i, fl;

	fd = vnet_tap_open("vnt0");
	T_ASSERT(fd >= 0);
	if (fd < 0) {
		T_FAIL("vnet_tap_open(vnt0): %s", strerror(-fd));
		return;
	}
	fl = fcntl(fd, F_GETFL);
	T_ASSERT(fl >= 0 && (fl & O_NONBLOCK));
	fl = fcntl(fd, F_GETFD);
	T_ASSERT(fl >= 0 && (fl & FD_CLOEXEC));

	T_EQ(vnet_link_setup("vnt0", 1400, test_mac, 1), 0);
	T_EQ(vnet_link_mtu("vnt0"), 1400);
	T_EQ(link_ioctl("vnt0", SIOCGIFHWADDR, &ifr), 0);
	T_MEMEQ(ifr.ifr_hwaddr.sa_data, test_mac, 6);
	r = link_flags("vnt0");
	T_ASSERT(r >= 0 && (r & IFF_UP));

	/* One Ethernet frame (broadcast, local experimental EtherType). */
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, test_mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	T_EQ(write(fd, frame, sizeof(frame)), sizeof(frame));

	/* Non-blocking: drain what the kernel sent (IPv6 DAD, MLD) until
	 * EAGAIN, without ever waiting. */
	for (i = 0; i < 100 && read(fd, buf, sizeof(buf)) > 0; i++)
		;
	T_ASSERT(i < 100);
	T_EQ(read(fd, buf, sizeof(buf)), -1);
	T_EQ(errno, EAGAIN);

	/* up == 0 leaves the flags alone; the MTU alone can change. */
	T_EQ(vnet_link_setup("vnt0", 1500, NULL, 0), 0);
	T_EQ(vnet_link_mtu("vnt0"), 1500);
	r = link_flags("vnt0");
	T_ASSERT(r >= 0 && (r & IFF_UP));
	T_EQ(vnet_link_setup("vnt0", 0, other_mac, 0), 0);
	T_EQ(link_ioctl("vnt0", SIOCGIFHWADDR, &ifr), 0);
	T_MEMEQ(ifr.ifr_hwaddr.sa_data, other_mac, 6);

	/* The kernel's refusals come back as its errno. */
	T_EQ(vnet_link_setup("vnt0", 65522, NULL, 0), -EINVAL);
	T_EQ(vnet_link_setup("vnt0", 67, NULL, 0), -EINVAL);
	T_EQ(vnet_link_setup("vnt0", 0, (const uint8_t *)"\x01\0\x5e\0\0\1",
			     0),
	     -EADDRNOTAVAIL);
	T_EQ(vnet_link_mtu("vnt0"), 1500);

	/* A non-persistent tap with its one queue attached is busy. */
	r = vnet_tap_open("vnt0");
	T_EQ(r, -EBUSY);
	if (r >= 0)
		close(r);

	/* A persistent tap outlives its fd and is attached to, as is. */
	T_EQ(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	T_EQ(vnet_link_mtu("vnt0"), 1500);
	fd = vnet_tap_open("vnt0");
	T_ASSERT(fd >= 0);
	if (fd < 0)
		return;
	T_EQ(vnet_link_mtu("vnt0"), 1500);
	T_EQ(link_ioctl("vnt0", SIOCGIFHWADDR, &ifr), 0);
	T_MEMEQ(ifr.ifr_hwaddr.sa_data, other_mac, 6);
	T_EQ(ioctl(fd, TUNSETPERSIST, 0), 0);
	close(fd);
	T_EQ(vnet_link_mtu("vnt0"), -ENODEV);
}

static void test_bad_names(void)
{
	static const char *const bad[] = {
		"",	    "abcdefghijklmnop", "a/b", "a b", "a:b",
		"tap%d", ".",		     "..",  "a,b",
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = vnet_tap_open(bad[i]);
		if (r != -EINVAL)
			T_FAIL("vnet_tap_open(\"%s\") == %d, expected -EINVAL",
			       bad[i], r);
		if (r >= 0)
			close(r);
	}
	T_EQ(vnet_tap_open(NULL), -EINVAL);
	/* An existing device that is not a tap: the kernel says EINVAL. */
	r = vnet_tap_open("lo");
	T_EQ(r, -EINVAL);
	if (r >= 0)
		close(r);
}

static void test_link_errors(void)
{
	T_EQ(vnet_link_mtu("lo"), 65536);
	T_EQ(vnet_link_mtu("nosuch0"), -ENODEV);
	T_EQ(vnet_link_setup("nosuch0", 1400, NULL, 1), -ENODEV);
	T_EQ(vnet_link_mtu(""), -EINVAL);
	T_EQ(vnet_link_mtu("abcdefghijklmnop"), -EINVAL);
	T_EQ(vnet_link_setup("", 1400, NULL, 1), -EINVAL);
	T_EQ(vnet_link_setup(NULL, 1400, NULL, 1), -EINVAL);
}

static int skip(const char *why)
{
	return t_skip_all("tap", why);
}

int main(void)
{
	static char why[128];

	if (geteuid() != 0)
		return skip("not root");
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return skip(why);
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		snprintf(why, sizeof(why), "/dev/net/tun: %s", strerror(errno));
		return skip(why);
	}
	T_RUN(test_tap_setup);
	T_RUN(test_bad_names);
	T_RUN(test_link_errors);
	return T_DONE();
}
