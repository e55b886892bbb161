/* SPDX-License-Identifier: ISC */
/* tmpl.h -- the frames vnet-bench gen writes, from one template a size.
 *
 * A template is a whole frame built once (Ethernet, an optional 802.1Q
 * tag, IPv4 or IPv6, UDP, TCP or ICMP, the stamp of stamp.h, zero
 * padding) with the fields that change from frame to frame left zero,
 * and the Internet checksums of the rest summed once.  Filling frame k
 * writes its flow's addresses and ports, its source MAC, its stamp, and
 * completes the checksums from those few words: no allocation and no
 * pass over the payload per frame.
 *
 * Frame k is in flow k % nflows (the fields in .vary count up from their
 * base with the flow) and has source MAC number k % nmacs (the MAC's low
 * 24 bits count up).  A size counts the frame check sequence, as RFC 2544
 * sizes do: a 64-byte frame is 60 bytes in a stream.
 */
#ifndef VNET_BENCH_TMPL_H
#define VNET_BENCH_TMPL_H

#include <stdint.h>

#include "vnet/addr.h"
#include "vnet/err.h"

#define VNET_TMPL_MAX 9018 /* the largest size: a jumbo frame */
#define VNET_FCS_LEN  4

enum vnet_tmpl_vary {
	VNET_VARY_SRC_IP = 1 << 0,
	VNET_VARY_DST_IP = 1 << 1,
	VNET_VARY_SRC_PORT = 1 << 2,
	VNET_VARY_DST_PORT = 1 << 3,
};

struct vnet_tmpl_conf {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t proto; /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP (ICMPv6
			* over IPv6) */
	int has_vlan;
	uint16_t vlan;
	uint8_t src_mac[6], dst_mac[6];
	uint32_t nmacs; /* >= 1 */
	struct vnet_addr src, dst;
	uint16_t sport, dport;
	uint32_t nflows; /* >= 1 */
	unsigned vary;	 /* enum vnet_tmpl_vary bits */
	uint16_t stream;
};

struct vnet_tmpl {
	uint8_t buf[VNET_TMPL_MAX];
	uint32_t len; /* bytes of the frame (the size without the FCS) */
	uint16_t l3, l4, stamp, l4csum;
	uint16_t alen;		 /* address length: 4 or 16 */
	uint32_t ip_sum, l4_sum; /* the checksums' constant parts */
	int pseudo;		 /* the L4 checksum covers the addresses */
};

/* The smallest size (FCS included) that holds the headers and the stamp. */
unsigned vnet_tmpl_min_size(const struct vnet_tmpl_conf *c);
/* Build the template of frames of size bytes (FCS included): 0, or
 * -EINVAL with e filled (too small, too large). */
int vnet_tmpl_build(struct vnet_tmpl *t, const struct vnet_tmpl_conf *c,
		    unsigned size, struct vnet_err *e);
/* Make t.buf frame k of the stream, stamped with seq and ts_ns. */
void vnet_tmpl_fill(struct vnet_tmpl *t, const struct vnet_tmpl_conf *c,
		    uint64_t k, uint32_t seq, uint64_t ts_ns);

#endif
