/* SPDX-License-Identifier: ISC */
/* pmtu.h -- the ICMP answer to an inner packet too big for the tunnel:
 * IPv4 "fragmentation needed and DF set" (RFC 792, RFC 1191) and ICMPv6
 * "packet too big" (RFC 4443 3.2), so that the sender lowers its path MTU
 * (vnet-encap --pmtu-reply).  Nothing here prints or allocates. */
#ifndef VNET_ENCAP_PMTU_H
#define VNET_ENCAP_PMTU_H

#include <stddef.h>
#include <stdint.h>

#define PMTU_V4_MAX 576	 /* an ICMPv4 error in all (RFC 1812 4.3.2.3) */
#define PMTU_V6_MAX 1280 /* an ICMPv6 error in all (RFC 4443 2.4 (c)) */
/* The longest reply: an Ethernet header with one tag, then the IPv6
 * packet. */
#define PMTU_REPLY_MAX (18 + PMTU_V6_MAX)

/* The reply to frame f (len bytes, its IP packet at f + l2, l2 the
 * Ethernet header with its tags, which end with the EtherType), which is
 * too big for an inner MTU of mtu: into out (cap bytes), an Ethernet
 * header with the addresses swapped and the frame's tags, then an IPv4
 * packet from the packet's destination to its source with ICMP type 3
 * code 4 and next-hop MTU mtu, or an IPv6 packet with ICMPv6 type 2 and
 * MTU mtu, quoting the packet as far as the reply may be long
 * (PMTU_V4_MAX, PMTU_V6_MAX); both checksums set.  Returns the reply's
 * length, or 0 when no reply is due: no IPv4 or IPv6 packet, IPv4
 * without DF or a later fragment, an ICMP error itself, a source that
 * is no unicast address (or a broadcast or multicast IPv4 destination),
 * or cap too small. */
size_t pmtu_reply(const uint8_t *f, size_t len, size_t l2, unsigned mtu,
		  uint8_t *out, size_t cap);

#endif
