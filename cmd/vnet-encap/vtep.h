/* SPDX-License-Identifier: ISC */
/* vtep.h -- the tunnel endpoint of vnet-encap: state and data path. */
#ifndef VNET_ENCAP_VTEP_H
#define VNET_ENCAP_VTEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "vnet/addr.h"
#include "vnet/counter.h"
#include "vnet/ecn.h"
#include "vnet/fdb.h"
#include "vnet/log.h"
#include "vnet/port.h"
#include "vnet/underlay.h"

#define VTEP_NO_VNI UINT32_MAX
#define VTEP_BATCH 64	/* frames per read */
#define VTEP_NEIGH 64	/* outer neighbours of a frame-stream underlay */
#define VTEP_GSO_SEGS 64 /* outer packets per UDP GSO send */
#define VTEP_HDR_MAX 16	/* longest encapsulation header of a kind */

/* Counter indexes; names in vtep.c.  Outer-packet drop reasons (enum
 * vnet_encap_drop) map to theirs through an explicit table there
 * (vtep_drop_counter).  With a UDP underlay, encap packets/bytes, GSO
 * sends/segments, GRO datagrams/segments, send errors and truncated
 * receives are the underlay's statistics, copied by vtep_sync_counters. */
enum {
	C_INNER_RX_FRAMES,
	C_INNER_RX_BYTES,
	C_ENCAP_PACKETS,
	C_ENCAP_BYTES,
	C_ENCAP_GSO_SENDS,
	C_ENCAP_GSO_SEGMENTS,
	C_FLOOD_PACKETS,
	C_DECAP_FRAMES,
	C_DECAP_BYTES,
	C_DECAP_GRO_DATAGRAMS,
	C_DECAP_GRO_SEGMENTS,
	C_DECAP_ECN_CE,	     /* inner ECT set to CE from the outer (RFC 6040) */
	C_DECAP_ECN_UNUSED,  /* a combination RFC 6040 marks (!!!) */
	C_INNER_TX_FRAMES,
	C_INNER_TX_ERRORS,
	C_INNER_TX_QUEUE_DROPS, /* a stream output's queue was full */
	C_OUTER_TX_QUEUE_DROPS,
	C_ARP_REPLIES,
	C_DROP_INNER_RUNT,
	C_DROP_NO_VNI,
	C_DROP_UNKNOWN_VLAN,
	C_DROP_STACKED_TAG, /* no segment (segment.h): names as in every tool */
	C_DROP_S_TAG,
	C_DROP_RESERVED_VID,
	C_DROP_TOO_BIG,
	C_DROP_NO_REMOTE,
	C_DROP_SEND_ERROR,
	C_DROP_FAMILY, /* remote of another address family than --local */
	C_DROP_UNKNOWN_VNI,
	C_DROP_INNER_TAGGED,
	C_DROP_RX_TRUNCATED,
	C_DROP_SHORT, /* the enum vnet_encap_drop block starts here */
	C_DROP_NOT_IP,
	C_DROP_IP_BAD,
	C_DROP_FRAGMENT,
	C_DROP_NOT_UDP,
	C_DROP_UDP_BAD,
	C_DROP_WRONG_PORT,
	C_DROP_NOT_LOCAL,
	C_DROP_NO_I_FLAG,
	C_DROP_RESERVED,
	C_DROP_INNER_SHORT,
	C_DROP_ECN_NOT_ECT, /* outer CE, inner Not-ECT (RFC 6040 4.2) */
	C_STREAM_TRUNCATED,
	C_STREAM_OVERSIZE,
	C_STREAM_RUNT,
	C_STREAM_NOT_ETHERNET,
	C_STREAM_TRAILING,
	C_TAP_SUPERFRAMES,
	C_TAP_COALESCED,
	C_TAP_OFFLOAD_ERRORS,
	C_FDB_ENTRIES,
	C_FDB_LEARNED,
	C_FDB_MOVED,
	C_FDB_AGED,
	C_FDB_OVERFLOW,
	C_MAX
};

/* Drops that a misconfiguration explains: the first of each kind is
 * logged at the default level with its likely cause, the rest only with
 * -v, rate limited (log.h's vnet_log_first). */
enum vtep_warn {
	VTEP_W_NO_VNI,
	VTEP_W_UNKNOWN_VLAN,
	VTEP_W_TOO_BIG,
	VTEP_W_NO_REMOTE,
	VTEP_W_FAMILY,
	VTEP_W_UNKNOWN_VNI,
	VTEP_W_MAX
};

struct vtep_map {
	uint32_t vni;
	uint16_t vlan;
};

/* Encapsulation kinds: rows of the table in vtep.c. */
enum vtep_encap {
	VTEP_VXLAN,
	VTEP_ENCAP_MAX
};

/* What a kind is: everything the data path needs to know of a header
 * that sits between the outer UDP header and the inner frame. */
struct vtep_kind {
	const char *name;	/* as on the command line: "vxlan" */
	uint16_t port;		/* default UDP destination port (IANA) */
	uint8_t hlen;		/* header bytes before the inner frame */
	/* Write the hlen-byte header for vni at hdr. */
	void (*encode)(uint8_t *hdr, uint32_t vni);
	/* Check the header at p (len bytes: header and inner frame, which
	 * starts at p + hlen); 0 and *vni set, or an enum vnet_encap_drop
	 * reason.  strict also refuses reserved bits.  An accepted packet
	 * holds at least an Ethernet header after the kind's header. */
	int (*decode)(const uint8_t *p, size_t len, int strict,
		      uint32_t *vni);
};

/* The VTEP's configuration: set by vtep_init to the defaults, then by
 * main from the options, before anything is opened. */
struct vtep_conf {
	enum vtep_encap encap;		/* the kind (VTEP_VXLAN) */
	uint32_t vni;			/* VNI of untagged frames */
	uint32_t vlan_vni[4096];	/* VTEP_NO_VNI where unmapped */
	struct vtep_map *maps;		/* sorted by VNI, for decap */
	size_t nmaps;
	struct vnet_addr local;
	uint8_t local_mac[6];
	uint16_t dstport, sport_lo, sport_hi;
	uint8_t ttl, tos;		/* tos: the outer TOS with fixed_tos */
	/* The outer DSCP and ECN of each packet (ecn.h): the DSCP copied
	 * from the inner IP header (dscp < 0) or dscp; the ECN field by
	 * RFC 6040 in mode ecn.  fixed_tos (--tos): tos for every packet. */
	int dscp, fixed_tos;
	enum vnet_ecn_mode ecn;
	unsigned mtu;			/* underlay IP MTU */
	int strict, learn;
	int gso;			/* UDP GSO/GRO on the UDP underlay */
};

/* Consecutive frames to one remote with one source port and VNI, all as
 * long as the first but the last: the segments of a TSO super-frame.
 * They leave in one UDP GSO send (vnet_underlay_send_gso).  iov is that
 * send's payload as it is gathered: for each frame, the header (hdr),
 * then the frame's pieces. */
struct vtep_run {
	struct vnet_addr remote;
	uint32_t vni;
	uint16_t sport;
	unsigned n;		/* frames */
	unsigned niov;
	size_t ilen;		/* length of the first frame (sent, untagged) */
	size_t bytes;		/* UDP payload: headers and frames */
	int closed;		/* a shorter frame ended it */
	uint64_t ts, now;
	uint8_t tos;		/* outer TOS of every segment */
	uint8_t hdr[VTEP_HDR_MAX];
	struct iovec iov[VTEP_GSO_SEGS * 3];
	struct {
		unsigned iov;	/* index of its header in iov */
		unsigned nin;	/* pieces after it */
		size_t ilen;
	} f[VTEP_GSO_SEGS];
};

struct vtep {
	struct vtep_conf conf;

	/* ports: the inner one, and a frame-stream or UDP underlay */
	struct vnet_port *inner;
	struct vnet_port *outer;	/* frame-stream underlay, or NULL */
	struct vnet_underlay *ul;	/* UDP underlay, or NULL */
	struct vnet_fdb *fdb;

	struct vnet_counter ctr[C_MAX];

	int gso;		/* gather runs: the underlay sends GSO */
	uint8_t tx_tos;		/* the outer TOS of the packet being sent */
	struct vtep_run run;	/* the run being gathered */
	/* the drops of enum vtep_warn said once, and their rate limits */
	uint8_t warned[VTEP_W_MAX];
	struct vnet_ratelimit warn_rl[VTEP_W_MAX];
	/* underlay events already reported */
	uint64_t ul_send_errors;
	int ul_gso_disabled;

	/* outer neighbours learned from a frame-stream underlay */
	struct {
		struct vnet_addr ip;
		uint8_t mac[6];
	} neigh[VTEP_NEIGH];
	unsigned nneigh, neigh_next;
};

/* Set the counter names and the configuration's defaults for encap
 * (VNI unset, VLANs unmapped, the kind's port, source ports
 * 49152-65535, TTL 64, MTU 1500, learning on). */
void vtep_init(struct vtep *v, enum vtep_encap encap);
/* Open the UDP underlay (lib/underlay.c) bound to bind_addr:port,
 * sending from conf.local with conf's TTL and TOS, GSO/GRO when
 * conf.gso.  0 or -errno with e (may be NULL) filled: obj
 * "udp:ADDR:PORT", msg the step that failed and why ("bind: Address
 * already in use"). */
int vtep_open_udp(struct vtep *v, const struct vnet_addr *bind_addr,
		  uint16_t port, struct vnet_err *e);
/* Close the UDP underlay, if open. */
void vtep_close_udp(struct vtep *v);
/* The descriptor to poll for outer input: the stream's or the UDP
 * underlay's. */
int vtep_outer_fd(const struct vtep *v);
/* Outer header bytes counted against the underlay MTU: IP (of
 * conf.local's family) + UDP + the kind's header. */
unsigned vtep_overhead(const struct vtep *v);
/* Inner frames -> outer packets.  Returns 0, or -errno from the outer
 * stream (e.g. -EPIPE). */
int vtep_encap(struct vtep *v, const struct vnet_frame *f, unsigned n);
/* The outer TOS for the inner frame d of len bytes by c's --tos, --dscp
 * and --ecn (ecn.h; not IP: DSCP 0 or c's, Not-ECT). */
uint8_t vtep_outer_tos(const struct vtep_conf *c, const uint8_t *d,
		       size_t len);
/* The decapsulation of RFC 6040 4.2 for an inner frame in of ilen bytes
 * that came in an outer header of TOS otos (< 0: unknown, nothing
 * changes): 0 and, when its ECN field must change, the frame's first
 * *n bytes copied into copy (VTEP_ECN_COPY bytes) with the field set;
 * *n = 0 when nothing changes.  -1: drop it (outer CE, inner Not-ECT).
 * Counts decap_ecn_ce, decap_ecn_unused and drop_ecn_not_ect. */
#define VTEP_ECN_COPY 64
int vtep_decap_ecn(struct vtep *v, int otos, const uint8_t *in, size_t ilen,
		   uint8_t *copy, size_t *n);
/* Send the queued outer packets of the UDP underlay (a frame-stream
 * underlay is written by the event loop, which never waits on it);
 * reports what the underlay counted since the last call (send errors,
 * GSO turned off). */
int vtep_flush_outer(struct vtep *v);
/* Receive what the UDP underlay has and decapsulate it; returns the
 * number of datagrams, or -errno. */
int vtep_recv_udp(struct vtep *v);
/* Outer frames (frame-stream underlay) -> inner frames. */
int vtep_decap_frames(struct vtep *v, const struct vnet_frame *f, unsigned n);
/* Copy table and underlay statistics into the counters. */
void vtep_sync_counters(struct vtep *v);
/* The counter index of an outer drop reason (enum vnet_encap_drop,
 * 1..VNET_DROP_MAX-1), or -1. */
int vtep_drop_counter(int reason);
/* VLAN of a VNI for decap: 0 untagged, 1..4094 the VLAN, -1 unknown. */
int vtep_vni_vlan(const struct vtep *v, uint32_t vni);

#endif
