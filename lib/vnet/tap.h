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

#include <stdint.h>

#define VNET_IFNAMSIZ 16

/* Open tap `name` (IFF_TAP | IFF_NO_PI), non-blocking, close-on-exec.
 * Returns the fd or -errno (-EINVAL for a name too long or empty). */
int vnet_tap_open(const char *name);

/* Set up link `ifname`: mtu if > 0, mac if not NULL, and bring it up if
 * up != 0.  0 or -errno (netlink's error code). */
int vnet_link_setup(const char *ifname, unsigned mtu, const uint8_t *mac,
		    int up);
/* The MTU of a link, or -errno. */
int vnet_link_mtu(const char *ifname);

#endif
