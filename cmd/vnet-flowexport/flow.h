/* SPDX-License-Identifier: ISC */
/* flow.h -- the flow cache of an IPFIX metering process (RFC 7011/5470).
 *
 * A flow is unidirectional and keyed by segment (VNI), VLAN ID, IP
 * version, addresses, protocol, ports (ICMP: type and code as the
 * destination port, type * 256 + code) and the interfaces it was seen
 * on.  Each packet adds one to packets and its IP length (header
 * included) to bytes, ORs its TCP flags in, and moves the end time; the
 * MACs and the TOS are those of the first packet.
 *
 * The cache is bounded: every entry is allocated by vnet_flow_new() and
 * no call allocates after that.  A flow leaves the cache, and is handed to
 * the expired callback with its end reason (RFC 5102 flowEndReason), when
 *   - no packet came for idle_ns            (VNET_FLOW_END_IDLE, 1),
 *   - it started active_ns ago              (VNET_FLOW_END_ACTIVE, 2): the
 *     next packet of the same key starts a new flow with zero counts,
 *   - a packet carried TCP FIN or RST       (VNET_FLOW_END_END, 3): that
 *     packet is counted in it,
 *   - vnet_flow_flush() was called (exit)   (VNET_FLOW_END_FORCED, 4),
 *   - a new flow needed its room            (VNET_FLOW_END_LACK, 5): the
 *     least recently used flow goes first.
 * Idle means now - end >= idle_ns, active means now - start >= active_ns.
 * Timeouts are checked for a flow when a packet of it comes, and for the
 * rest by vnet_flow_expire(), which walks the flows in order of their last
 * packet (idle) and of their start (active), so it does O(1) work per flow
 * it expires and never scans the table.  The order in which flows expire
 * depends only on the packets and the times given, never on the hash
 * seed, so a replay with the same times expires the same flows the same
 * way.
 *
 * Times are nanoseconds since the epoch, by the one clock (clock.h); they
 * should not go backward (a flow's times never do: a smaller now counts
 * as the flow's current end).
 *
 * The expired callback gets a flow that is valid during the call only; it
 * must not call back into the cache.
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  Nothing
 * here prints.
 */
#ifndef VNET_FLOW_H
#define VNET_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/addr.h"
#include "vnet/pkt.h"

#define VNET_FLOW_NO_SEGMENT UINT32_MAX /* key.segment without a VNI */
#define VNET_FLOW_MAX (1u << 24)	/* largest max_flows */

/* RFC 5102 flowEndReason values. */
enum vnet_flow_end {
	VNET_FLOW_END_IDLE = 1,
	VNET_FLOW_END_ACTIVE = 2,
	VNET_FLOW_END_END = 3,
	VNET_FLOW_END_FORCED = 4,
	VNET_FLOW_END_LACK = 5,
};
/* "idle" "active" "end" "forced" "lack-of-resources"; "?" otherwise. */
const char *vnet_flow_end_name(int reason);

/* The key.  Unused bytes are zero (memcmp and hashing over the whole
 * struct are valid): fill it through vnet_flow_from_pkt() or memset it
 * first. */
struct vnet_flow_key {
	struct vnet_addr src, dst;
	uint32_t segment;	/* VNI, or VNET_FLOW_NO_SEGMENT */
	uint16_t vlan;		/* 0 untagged */
	uint16_t sport, dport;	/* ICMP: 0 and type * 256 + code */
	uint8_t ip_version;	/* 4 or 6 */
	uint8_t proto;
	uint8_t in_if, out_if;	/* ingressInterface / egressInterface */
	uint8_t pad[2];
};

struct vnet_flow {
	struct vnet_flow_key key;
	uint64_t start_ns, end_ns; /* first and last packet */
	uint64_t packets, bytes;
	uint8_t src_mac[6], dst_mac[6]; /* of the first packet */
	uint8_t tcp_flags;	/* OR of every packet's */
	uint8_t tos;		/* of the first packet */
	uint8_t end_reason;	/* enum vnet_flow_end, when expired */
};

/* Whether the flow's protocol is ICMP for its IP version (1 over IPv4,
 * 58 over IPv6): its dport then holds type * 256 + code. */
int vnet_flow_is_icmp(const struct vnet_flow_key *k);

/* Fill *obs as a one-packet flow from a parsed frame: key (segment
 * VNET_FLOW_NO_SEGMENT, vlan from the outermost tag, interfaces 0: the
 * caller sets them), MACs, TCP flags, TOS, packets 1, bytes the IP
 * length.  A non-first fragment gets ports 0; SCTP ports are read here.
 * Returns 0, -ENOENT for a frame that is not IPv4/IPv6 (ARP, LLDP, ...),
 * or -EINVAL for an IP frame too broken to meter (bad or cut-short IP or
 * L4 header). */
int vnet_flow_from_pkt(const struct vnet_pkt *p, struct vnet_flow *obs);

/* How frames map to flows: VXLAN decapsulation and the VLAN -> VNI map. */
#define VNET_FLOW_VXLAN_PORTS 8
struct vnet_flow_classify {
	/* Decapsulate UDP to these destination ports (none: no decap). */
	uint16_t vxlan_ports[VNET_FLOW_VXLAN_PORTS];
	unsigned nports;
	/* The VNI of a frame that is not decapsulated, by its segment
	 * (segment.h: 0 untagged or priority-tagged, else the VID of its
	 * 802.1Q tag); VNET_FLOW_NO_SEGMENT if none is mapped. */
	uint32_t vlan_vni[4096];
};
/* No decap, no VLAN mapped. */
void vnet_flow_classify_init(struct vnet_flow_classify *c);
/* vnet_pkt_parse() and vnet_flow_from_pkt() for a whole Ethernet frame.
 * A UDP packet to one of the VXLAN ports whose outer headers and VXLAN
 * header are sound (vnet_outer_parse_eth, lenient vnet_vxlan_decode) is
 * replaced by its inner frame, with the VNI as segment and the inner
 * VLAN (if any) as vlan; *decap is then 1: a tunnel's segment is its
 * VNI, and an inner tag, which a VTEP other than vnet-encap may carry,
 * is what was seen.  Anything else is metered as it is, with the segment
 * of segment.h (vlan its VID, 0 for the default segment), the VNI taken
 * from vlan_vni.  Returns what vnet_flow_from_pkt() does (-EINVAL also
 * for a runt or a tag cut short), or, for a frame that is not
 * decapsulated and has no segment, its enum vnet_segment_kind
 * (VNET_SEG_STACKED, VNET_SEG_S_TAG, VNET_SEG_RESERVED_VID: positive),
 * not metered. */
int vnet_flow_from_frame(const struct vnet_flow_classify *c,
			 const uint8_t *data, size_t len, struct vnet_flow *obs,
			 int *decap);

struct vnet_flow_config {
	uint32_t max_flows;	/* 1..VNET_FLOW_MAX */
	uint64_t active_ns;	/* 0: no active timeout */
	uint64_t idle_ns;	/* 0: no idle timeout */
	uint32_t sample_n;	/* 1-in-N sampling; 0 or 1: every frame */
	void (*expired)(void *arg, const struct vnet_flow *f);
	void *arg;
};

struct vnet_flow_stats {
	uint64_t active;	/* flows in the cache now */
	uint64_t created;	/* flows started (also after an active timeout) */
	uint64_t idle;		/* expired by reason */
	uint64_t active_timeout;
	uint64_t end;
	uint64_t forced;
	uint64_t evicted;	/* lack of resources */
	uint64_t sampled_out;	/* frames vnet_flow_sample() turned away */
};

struct vnet_flow_cache;

struct vnet_flow_cache *vnet_flow_new(const struct vnet_flow_config *c);
/* Takes NULL.  Flows still in the cache are dropped, not expired. */
void vnet_flow_free(struct vnet_flow_cache *fc);
/* Key the hash with seed instead of a random one (replays, tests).  0, or
 * -EBUSY when the cache is not empty. */
int vnet_flow_set_seed(struct vnet_flow_cache *fc, uint32_t seed);

/* Count-based 1-in-N sampling over every frame of the input: returns 1
 * for the 1st, N+1th, 2N+1th, ... call and 0 (counted in sampled_out)
 * for the others. */
int vnet_flow_sample(struct vnet_flow_cache *fc);

/* Meter one packet (a one-packet flow from vnet_flow_from_pkt(), with
 * segment, vlan and interfaces as the caller wants them) at time now.
 * Expires the packet's own flow first if it timed out, evicts the least
 * recently used flow if the cache is full, and ends the flow at once on
 * TCP FIN/RST.  Returns 0. */
int vnet_flow_add(struct vnet_flow_cache *fc, const struct vnet_flow *obs,
		  uint64_t now);
/* Expire the flows that timed out by now, at most budget of them (0: no
 * limit).  Returns how many were expired. */
unsigned vnet_flow_expire(struct vnet_flow_cache *fc, uint64_t now,
			  unsigned budget);
/* Expire every flow with reason forced, oldest start first. */
void vnet_flow_flush(struct vnet_flow_cache *fc);

const struct vnet_flow_stats *vnet_flow_stats(const struct vnet_flow_cache *fc);
/* Call fn for every flow in the cache, the oldest start first (the order
 * of active expiry).  fn must not call back into the cache. */
void vnet_flow_walk(const struct vnet_flow_cache *fc,
		    void (*fn)(void *arg, const struct vnet_flow *f),
		    void *arg);
/* Bytes allocated per flow entry (table slots included), for the bench. */
size_t vnet_flow_entry_size(void);

/* One JSON object for flow f, no newline, into buf (NUL-terminated);
 * keys in this order: start end (ms since the epoch) segment (VNI or
 * null) vlan (or null) src_mac dst_mac ip_version src dst proto, then
 * sport dport or, for ICMP, icmp_type icmp_code, then packets bytes
 * tcp_flags end_reason.  Returns the length, or -ENOSPC if len is too
 * small (VNET_FLOW_JSON_MAX always suffices). */
#define VNET_FLOW_JSON_MAX 512
int vnet_flow_json(const struct vnet_flow *f, char *buf, size_t len);

#endif
