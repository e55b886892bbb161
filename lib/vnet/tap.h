/* SPDX-License-Identifier: ISC */
/* tap.h -- tap devices and link set-up through netlink (libmnl).
 *
 * The device is created or attached with TUNSETIFF on /dev/net/tun (a tap
 * that does not exist is created; it goes away when the last fd closes
 * unless it was made persistent by someone else); MTU, MAC and the up flag
 * are set with RTM_NEWLINK over NETLINK_ROUTE.  No program is ever run.
 *
 * Errors: 0 / an fd, or -errno.
 */
#ifndef VNET_TAP_H
#define VNET_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/err.h"

#define VNET_IFNAMSIZ 16

/* Whether the len bytes at s make a tap name vnet accepts: 1 to 15 bytes,
 * not "." or "..", and none of '/', ':' (the kernel refuses them), ','
 * (the port spec separator), '%' (TUNSETIFF would treat the name as a
 * template like "tap%d" and pick another one), white space or control
 * characters.  1 if valid, 0 if not.  s need not be NUL-terminated. */
static inline int vnet_tap_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= VNET_IFNAMSIZ)
		return 0;
	if (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':' || c == ',' ||
		    c == '%')
			return 0;
	}
	return 1;
}

/* Open tap `name` (IFF_TAP | IFF_NO_PI), non-blocking, close-on-exec.
 * Returns the fd or -errno (-EINVAL for a name that
 * vnet_tap_name_valid() refuses, -EINVAL from the kernel when `name` is
 * an existing device that is not a tap). */
int vnet_tap_open(const char *name);

/* Fill e (takes NULL) with why opening tap `name` failed with r
 * (-errno from vnet_tap_open*), in the user's terms: obj is obj (the
 * port's name), msg "NAME exists and is not a tap" (-EINVAL for a link of
 * that name: a veth, a bridge, a tun), "NAME is a tap that another
 * program holds" (-EBUSY for one), or strerror with, for -EPERM, "needs
 * CAP_NET_ADMIN (run as root or grant the capability)" (-EACCES: "needs
 * access to /dev/net/tun and CAP_NET_ADMIN (run as root)").  Returns r. */
int vnet_tap_err(struct vnet_err *e, const char *obj, const char *name,
		 int r);

/* Flags for vnet_tap_open_flags. */
#define VNET_TAP_OFFLOAD 1u /* IFF_VNET_HDR, 10-byte header, and
			     * TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN: every
			     * frame read or written carries a
			     * virtio_net_hdr (lib/vnet/offload.h) */
#define VNET_TAP_USO 2u	    /* with OFFLOAD: UDP super-frames too
			     * (TUN_F_USO4/6: Linux 6.2) */
#define VNET_TAP_TUNNEL 4u  /* with OFFLOAD: the 24-byte header and UDP
			     * tunnel super-frames, USO included
			     * (TUN_F_UDP_TUNNEL_GSO[_CSUM]: Linux 6.17);
			     * -EOPNOTSUPP where the kernel has not these */
/* vnet_tap_open with flags. */
int vnet_tap_open_flags(const char *name, unsigned flags);

/* Set up link `ifname`: mtu if > 0, mac if not NULL, and bring it up if
 * up != 0 (up == 0 leaves the flags alone), all in one RTM_NEWLINK
 * request.  0 or -errno (netlink's error code: -ENODEV for no such link,
 * -EINVAL for an MTU out of the device's range, -EADDRNOTAVAIL for a
 * multicast or zero MAC; -EINVAL for an empty or too long name). */
int vnet_link_setup(const char *ifname, unsigned mtu, const uint8_t *mac,
		    int up);
/* Cap the size of the super-frames the kernel builds for link ifname
 * (IFLA_GSO_MAX_SIZE, bytes of IP packet): room for the headers a tunnel
 * puts around them.  0 or -errno (-EINVAL: above the device's limit). */
int vnet_link_set_gso_max(const char *ifname, unsigned size);
/* The MTU of a link (RTM_GETLINK), or -errno (-ENODEV for no such link,
 * -EINVAL for an empty or too long name). */
int vnet_link_mtu(const char *ifname);

#endif
