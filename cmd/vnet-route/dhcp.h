/* SPDX-License-Identifier: ISC */
/* dhcp.h -- the DHCPv4 responder of vnet-route (RFC 2131, RFC 2132).
 *
 * The router hands every frame of a segment that is UDP to port 67 to
 * route_dhcp_answer() with that segment's service (struct
 * route_dhcp_seg) and sends back the reply it writes, as OVN's native
 * DHCP answers for its VMs: no server process, no socket.  The engine
 * owns the lease table (bounded, by max_leases) and the static leases
 * (lease.h's file); it never prints, never allocates per packet and
 * reads the time only from now_ns (the router's one clock, so that a
 * replay with --clock pcap answers byte for byte the same).
 *
 * A client is (VID, chaddr); option 61 (client identifier) is not used.
 * The address a client is given, in this order (RFC 2131 4.3.1):
 *   1. its static lease for (VID, MAC), when the address is in the
 *      segment's subnet and is not its network, broadcast or gateway
 *      address (else counted as static_unusable and skipped);
 *   2. its dynamic lease, live or expired, while the address is still in
 *      the pool and no static lease of another client claims it;
 *   3. the address it asks for (option 50), if that is a free pool
 *      address;
 *   4. the lowest free pool address.
 * A free pool address is in [pool_lo, pool_hi], is not the network,
 * broadcast or gateway address, has no static lease, no live lease of
 * another client and was not declined in the last ROUTE_DHCP_DECLINE_S.
 * No address: no OFFER, counted as pool_exhausted (also when the table
 * is full of live leases).
 *
 * Leases: an OFFER holds its address for ROUTE_DHCP_OFFER_S; an ACK
 * binds it for lease_s seconds (0xffffffff: infinite, no T1/T2), with T1
 * = lease_s / 2 and T2 = lease_s * 7 / 8.  A lease that expired keeps
 * its (VID, MAC) -> IP binding until another client needs the slot or
 * the address, so a client that comes back gets its address again.  A
 * RELEASE ends the lease at once (binding kept); a DECLINE removes it
 * and makes the address unusable for ROUTE_DHCP_DECLINE_S.
 *
 * REQUEST (RFC 2131 4.3.2):
 *   SELECTING   (option 54 present): for another server (54 != gw): the
 *               offer is withdrawn, no reply (counted as ignored); for us,
 *               ACK if option 50 is the client's offered or bound address,
 *               else NAK.
 *   INIT-REBOOT (no 54, option 50, ciaddr 0): NAK if option 50 is not in
 *               the subnet or is not the client's address; ACK if it is;
 *               with no record of the client, ACK if option 50 is a free
 *               pool address (the table does not survive a restart, so a
 *               rebooting client keeps its address), else no reply.
 *   RENEWING / REBINDING (no 54, no 50, ciaddr set): as INIT-REBOOT with
 *               ciaddr, but NAK where INIT-REBOOT would stay silent.
 * INFORM: ACK with the configuration and no address or lease times.
 *
 * Options sent: 53 type, 54 server id (gw), 51 lease, 58 T1, 59 T2, 1
 * subnet mask, 3 router (gw), 6 DNS (ndns of dns[]), 15 domain (when not
 * NULL or ""; cut at 255 bytes), 26 interface MTU (when mtu >= 68), 12
 * host name (a static lease's HOSTNAME), 255 end; NAK: 53, 54, 56
 * message.  The parameter request list (55) is not read: every
 * configured option is sent.  Options read: 53, 50, 54, 12 (the client's
 * host name for the dump, kept when it is letters, digits, '-', '_', '.';
 * cut at 63); pad is skipped; option overload (52) is ignored: sname and
 * file are never read.  Relayed messages (giaddr set) are dropped: the
 * router is the first hop.
 *
 * Replies (RFC 2131 4.1, giaddr 0): from gw_mac and gw port 67 to port 68
 * of the client's chaddr; a NAK to 255.255.255.255 at ff:ff:ff:ff:ff:ff;
 * else to ciaddr when it is set (renew, inform); else to
 * 255.255.255.255 at ff:ff:ff:ff:ff:ff when the client set the BROADCAST
 * flag; else to yiaddr at chaddr.  IP TTL 64; the BOOTP message is padded
 * to 300 bytes; IP and UDP checksums computed.
 *
 * Addresses in struct route_dhcp_seg are in HOST byte order
 * (198.19.1.1 is 0xc6130101).
 */
#ifndef ROUTE_DHCP_H
#define ROUTE_DHCP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnet/counter.h"
#include "vnet/err.h"

#define ROUTE_DHCP_OFFER_S	  60  /* an offered address is held this long */
#define ROUTE_DHCP_DECLINE_S	  600 /* a declined address is not given out */
#define ROUTE_DHCP_MAX_LEASES	  (1u << 22)
#define ROUTE_DHCP_LEASE_INFINITE 0xffffffffu
/* Room for any reply route_dhcp_answer() writes. */
#define ROUTE_DHCP_REPLY_MAX 1024

/* One segment's DHCP service, from the router's configuration.  All
 * addresses in host byte order. */
struct route_dhcp_seg {
	uint16_t vid;	    /* the segment (0: the default one) */
	uint32_t subnet;    /* network address */
	uint32_t mask;	    /* netmask, contiguous: 0xffffff00 for a /24 */
	uint32_t gw;	    /* the gateway: server id, router, source */
	uint8_t gw_mac[6];  /* the anycast gateway MAC: source of replies */
	uint32_t pool_lo;   /* dynamic pool, inclusive; pool_lo > pool_hi: */
	uint32_t pool_hi;   /* no pool (static leases only) */
	uint32_t dns[2];    /* option 6 */
	unsigned ndns;	    /* 0-2 */
	uint32_t lease_s;   /* lease time, seconds (0xffffffff: infinite) */
	const char *domain; /* option 15; NULL or "": none */
	unsigned mtu;	    /* option 26; 0: none */
};

/* Why a frame was dropped: route_dhcp_answer() returns -reason. */
enum route_dhcp_drop {
	ROUTE_DHCP_DROP_NONE,
	ROUTE_DHCP_DROP_SHORT,	    /* shorter than Ethernet+IPv4+UDP+BOOTP */
	ROUTE_DHCP_DROP_NOT_DHCP,   /* not IPv4, not UDP, not to port 67 */
	ROUTE_DHCP_DROP_IP_BAD,	    /* version, IHL, total length, fragment */
	ROUTE_DHCP_DROP_IP_CSUM,    /* IPv4 header checksum wrong */
	ROUTE_DHCP_DROP_UDP_BAD,    /* UDP length beyond the IP packet or < 8 */
	ROUTE_DHCP_DROP_UDP_CSUM,   /* UDP checksum set and wrong */
	ROUTE_DHCP_DROP_BOOTP_BAD,  /* op not BOOTREQUEST, htype/hlen not
				     * Ethernet, magic cookie wrong */
	ROUTE_DHCP_DROP_OPT_LEN,    /* an option's length runs past the end */
	ROUTE_DHCP_DROP_OPT_BAD,    /* option 53, 50 or 54 of a wrong length */
	ROUTE_DHCP_DROP_NO_TYPE,    /* no option 53: plain BOOTP */
	ROUTE_DHCP_DROP_BAD_TYPE,   /* a type a server is not sent (OFFER,
				     * ACK, NAK, unknown) */
	ROUTE_DHCP_DROP_RELAYED,    /* giaddr set */
	ROUTE_DHCP_DROP_BAD_CHADDR, /* chaddr zero or multicast */
	ROUTE_DHCP_DROP_BAD_REQUEST, /* a field its type needs is missing:
				      * REQUEST without 50 and ciaddr, INFORM
				      * without ciaddr, DECLINE without 50 */
	ROUTE_DHCP_DROP_NO_ROOM,     /* cap too small for the reply */
	ROUTE_DHCP_DROP_MAX
};

/* Counter indexes of route_dhcp_counters(); names there ("dhcp_..."). */
enum {
	ROUTE_DHCP_C_DISCOVER,
	ROUTE_DHCP_C_OFFER,
	ROUTE_DHCP_C_REQUEST,
	ROUTE_DHCP_C_ACK,
	ROUTE_DHCP_C_NAK,
	ROUTE_DHCP_C_RELEASE,
	ROUTE_DHCP_C_DECLINE,
	ROUTE_DHCP_C_INFORM,
	ROUTE_DHCP_C_IGNORED,	      /* valid, and no reply is due */
	ROUTE_DHCP_C_POOL_EXHAUSTED,  /* a DISCOVER found no address */
	ROUTE_DHCP_C_STATIC_UNUSABLE, /* a static lease outside its segment */
	ROUTE_DHCP_C_LEASES,	      /* entries in the table now (a gauge) */
	ROUTE_DHCP_C_DROP,	      /* drop reasons, in enum order, from
				       * DROP_SHORT on */
	ROUTE_DHCP_C_MAX = ROUTE_DHCP_C_DROP + ROUTE_DHCP_DROP_MAX - 1
};

struct route_dhcp;

/* An engine whose table holds at most max_leases dynamic leases and
 * declined addresses (1..ROUTE_DHCP_MAX_LEASES, else EINVAL), and whose
 * static lease file may hold as many; no static leases yet.  All memory
 * is allocated here.  NULL with errno set and err (may be NULL) filled. */
struct route_dhcp *route_dhcp_new(size_t max_leases, struct vnet_err *err);
/* Takes NULL. */
void route_dhcp_free(struct route_dhcp *d);

/* Load the static leases of the file at path (lease.h: "VID MAC IP
 * [HOSTNAME]" lines) in place of the current ones.  Atomic: on any error
 * the leases in force stay.  0, or -errno with err (may be NULL) filled
 * ("FILE:LINE: what is wrong", -EINVAL; lease.h lists the messages).
 * Dynamic leases stay; one whose address a new static lease gives to
 * another client is NAKed at its next renewal. */
int route_dhcp_load(struct route_dhcp *d, const char *path,
		    struct vnet_err *err);

/* Whether seg is a service the engine can run: mask contiguous and not
 * /31 or /32, subnet its network address, gw inside it and not its
 * network or broadcast address, the pool (if any) inside the subnet,
 * ndns <= 2, lease_s > 0, mtu 0 or 68-65535, domain at most 255 bytes.
 * 0, or -EINVAL with err filled (no obj: the caller names the segment),
 * e.g. "gateway 198.19.2.1 is not in subnet 198.19.1.0/24". */
int route_dhcp_seg_check(const struct route_dhcp_seg *seg,
			 struct vnet_err *err);

/* Answer frame [frame, frame + len): a whole untagged Ethernet frame
 * (the router took the VID off and gives it in seg) that is UDP to port
 * 67, received at now_ns on seg's segment.  seg should pass
 * route_dhcp_seg_check().  Writes the reply frame (Ethernet, IPv4, UDP,
 * DHCP) to out (cap bytes; ROUTE_DHCP_REPLY_MAX is always enough) and
 * returns its length; 0 when no reply is due (RELEASE, DECLINE, a
 * REQUEST for another server, pool exhausted, ...); or -reason (enum
 * route_dhcp_drop) for a frame dropped, which is counted.  Nothing is
 * read outside the frame. */
int route_dhcp_answer(struct route_dhcp *d, const struct route_dhcp_seg *seg,
		      const uint8_t *frame, size_t len, uint8_t *out,
		      size_t cap, uint64_t now_ns);

/* The counters, ROUTE_DHCP_C_MAX of them, named (stable names, for
 * vnet_counters_print()): dhcp_discover dhcp_offer dhcp_request dhcp_ack
 * dhcp_nak dhcp_release dhcp_decline dhcp_inform dhcp_ignored
 * dhcp_pool_exhausted dhcp_static_unusable dhcp_leases, then
 * dhcp_drop_REASON for each reason in enum order (dhcp_drop_short ...
 * dhcp_drop_no_room).  Valid until the next call on d. */
const struct vnet_counter *route_dhcp_counters(struct route_dhcp *d, size_t *n);
/* "short", "not_dhcp", ... for a reason (as in the counter names); "?"
 * for anything else. */
const char *route_dhcp_drop_str(int reason);

/* Write the lease table to f as tab-separated lines
 *     VID  MAC  IP  EXPIRY  HOSTNAME
 * sorted by VID, then IP, then MAC: the static leases (EXPIRY "static"),
 * the bound dynamic leases not expired at now_ns (EXPIRY the whole
 * seconds left, "infinite" for an infinite lease) and the addresses
 * declined in the last ROUTE_DHCP_DECLINE_S (MAC 00:00:00:00:00:00,
 * EXPIRY the seconds until they are given out again).  Offers not yet
 * requested are left out.  HOSTNAME is the static lease's, else the one
 * the client sent, else "-".  0, -ENOMEM (the sort allocates) or -errno
 * (-EIO if unknown) when writing to f failed. */
int route_dhcp_dump(const struct route_dhcp *d, FILE *f, uint64_t now_ns);

#endif
