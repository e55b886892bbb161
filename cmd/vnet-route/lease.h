/* SPDX-License-Identifier: ISC */
/* lease.h -- the static DHCP leases of vnet-route: the file and the table.
 *
 * File format: one lease a line, columns separated by tabs or spaces,
 *     VID  MAC  IP  [HOSTNAME]
 * VID is the segment, decimal 0-4094 (0: the default, untagged segment);
 * MAC the client's hardware address (chaddr); IP the dotted-quad IPv4
 * address it is given; HOSTNAME, if present, 1-63 characters of letters,
 * digits, '-', '_' and '.', is sent to the client as option 12.  '#'
 * starts a comment; blank lines are skipped; a CR before the newline is
 * ignored.  One (VID, MAC) has one line, and one (VID, IP) one owner.
 *
 * The table is built whole by route_leases_load() and never changes: a
 * reload loads a new one and swaps it in only when the load succeeded.
 * Lookups are binary searches, O(log n).
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  Nothing
 * here prints.
 */
#ifndef ROUTE_LEASE_H
#define ROUTE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/err.h"

#define ROUTE_LEASE_HOST_MAX 63	  /* longest HOSTNAME */
#define ROUTE_LEASE_LINE_MAX 1024 /* longest line */
#define ROUTE_LEASE_VID_MAX  4094

struct route_lease {
	uint16_t vid;
	uint8_t mac[6];
	uint32_t ip;			     /* host order */
	char host[ROUTE_LEASE_HOST_MAX + 1]; /* "" when the line had none */
	unsigned line;			     /* where it was in the file */
};

struct route_leases;

/* Load the file at path, of at most max leases (more: "too many leases
 * (more than MAX)").  Returns the new table, or NULL with errno set and
 * err (may be NULL) filled: EINVAL and "FILE:LINE: what is wrong" for a
 * bad line, one of
 *     expected VID MAC IP [HOSTNAME]
 *     bad VID 'x' (expected 0-4094)
 *     bad MAC 'x' (multicast or zero MAC too)
 *     bad IP address 'x' (an IPv4 address other than 0.0.0.0 and
 *         255.255.255.255)
 *     bad hostname 'x' (1-63 of letters, digits, '-', '_', '.')
 *     trailing 'x' (a fifth column)
 *     VID V MAC M already has a lease (line N)
 *     VID V IP A is already leased (line N)
 *     too many leases (more than MAX)
 *     line too long (more than 1024 characters)
 *     NUL byte in line
 * (non-printable bytes of x shown as '?'; a duplicate names the later
 * line and the earlier one); errno of fopen or a read error with err
 * holding FILE and strerror; ENOMEM. */
struct route_leases *route_leases_load(const char *path, size_t max,
				       struct vnet_err *err);
/* An empty table (no file yet). */
struct route_leases *route_leases_empty(void);
/* Takes NULL. */
void route_leases_free(struct route_leases *t);

/* The lease of (vid, mac), or of (vid, ip); NULL if none.  The pointer
 * is valid while t lives. */
const struct route_lease *route_leases_by_mac(const struct route_leases *t,
					      uint16_t vid,
					      const uint8_t mac[6]);
const struct route_lease *route_leases_by_ip(const struct route_leases *t,
					     uint16_t vid, uint32_t ip);
/* The number of leases, and the i-th (0 <= i < count) in (VID, MAC)
 * order. */
size_t route_leases_count(const struct route_leases *t);
const struct route_lease *route_leases_at(const struct route_leases *t,
					  size_t i);

#endif
