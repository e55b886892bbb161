/* SPDX-License-Identifier: ISC */
/* vtep.h -- the tunnel endpoint of vnet-encap: state and data path. */
#ifndef VNET_ENCAP_VTEP_H
#define VNET_ENCAP_VTEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "vnet/addr.h"
#include "vnet/counter.h"
#include "vnet/ecn.h"
#include "vnet/fdb.h"
#include "vnet/geneve.h"
#include "vnet/log.h"
#include "vnet/offload.h"
#include "vnet/port.h"
#include "vnet/seal.h"
#include "vnet/underlay.h"
#include "pmtu.h"

#define VTEP_NO_VNI UINT32_MAX
#define VTEP_BATCH 64	/* frames per read */
#define VTEP_NEIGH 64	/* outer neighbours of a frame-stream underlay */
#define VTEP_GSO_SEGS 64 /* outer packets per UDP GSO send */
#define VTEP_HDR_MAX VNET_GENEVE_HLEN_MAX /* longest header of a kind */
#define VTEP_GENEVE_OPTS 64 /* rows of the received GENEVE options table */
#define VTEP_PMTU_RATE 10  /* --pmtu-reply: replies a second ... */
#define VTEP_PMTU_BURST 10 /* ... and at once */

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
	C_NDP_REPLIES, /* neighbour advertisements for --local (IPv6) */
	C_DROP_INNER_RUNT,
	C_DROP_NO_VNI,
	C_DROP_UNKNOWN_VLAN,
	C_DROP_STACKED_TAG, /* no segment (segment.h): names as in every tool */
	C_DROP_S_TAG,
	C_DROP_RESERVED_VID,
	C_DROP_TOO_BIG,
	C_PMTU_REPLIES, /* --pmtu-reply: ICMP answers to drop_too_big */
	C_PMTU_RATELIMITED,
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
	C_DROP_UDP_ZERO_CSUM, /* zero UDP checksum over IPv6, not allowed */
	C_DROP_GENEVE_VERSION,
	C_DROP_GENEVE_OPTLEN,
	C_DROP_GENEVE_OAM,
	C_DROP_GENEVE_PROTO,
	C_DROP_GENEVE_CRITICAL,
	C_DROP_NOT_GRE,
	C_DROP_GRE_FLAGS,
	C_DROP_GRE_VERSION,
	C_DROP_GRE_PROTO,
	C_DROP_NVGRE_VSID,
	C_GENEVE_OPTIONS_RX,	  /* options in accepted GENEVE packets */
	C_GENEVE_OPTIONS_UNTRACKED, /* ... not in the table: it was full */
	C_DROP_ECN_NOT_ECT, /* outer CE, inner Not-ECT (RFC 6040 4.2) */
	C_STREAM_TRUNCATED,
	C_STREAM_OVERSIZE,
	C_STREAM_RUNT,
	C_STREAM_NOT_ETHERNET,
	C_STREAM_TRAILING,
	C_TAP_SUPERFRAMES,
	C_TAP_COALESCED,
	C_TAP_OFFLOAD_ERRORS,
	C_ENCAP_TUNNEL_SUPERFRAMES, /* UDP tunnel offload (outer tap) */
	C_DECAP_TUNNEL_SUPERFRAMES,
	C_FDB_ENTRIES,
	C_FDB_LEARNED,
	C_FDB_MOVED,
	C_FDB_AGED,
	C_FDB_OVERFLOW,
	C_FABRIC_ENTRIES, /* the fabric set's size now (vnet-encap.c) */
	C_FABRIC_FLOOD,
	C_FABRIC_CHANGES, /* control commands that changed it */
	C_DROP_SEAL_TRUNCATED, /* sealed mode (--key-file): the opens */
	C_DROP_SEAL_UNKNOWN_EPOCH, /* refused, in enum vnet_seal_drop's */
	C_DROP_SEAL_TOO_OLD,	   /* order */
	C_DROP_SEAL_REPLAYED,
	C_DROP_SEAL_FORGED,
	C_DROP_SEAL_MISSING,	/* GENEVE without the seal option */
	C_DROP_SEAL_NO_KEY,	/* to send: no epoch valid now */
	C_SEAL_SENDERS,		/* sender sessions tracked */
	C_SEAL_EVICTED,		/* ... pushed out by a full table */
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
	VTEP_GENEVE,
	VTEP_NVGRE,
	VTEP_ENCAP_MAX
};

struct vtep;

/* What a kind is: everything the data path needs to know of a header
 * that sits between the outer UDP header and the inner frame. */
struct vtep_kind {
	const char *name;	/* as on the command line: "vxlan" */
	uint16_t port;		/* default UDP destination port (IANA), 0
				 * for a kind without UDP */
	uint8_t proto;		/* outer IP protocol: IPPROTO_UDP, or
				 * IPPROTO_GRE (NVGRE: no UDP header) */
	uint8_t hlen;		/* header bytes before the inner frame,
				 * without options (vtep.hlen has them) */
	/* Write the header for vni at hdr (room for VTEP_HDR_MAX bytes);
	 * hash is the inner flow's.  Returns its length: v->hlen, the same
	 * for every packet of a configuration. */
	size_t (*encode)(const struct vtep *v, uint8_t *hdr, uint32_t vni,
			 uint32_t hash);
	/* Check the header at p (len bytes: header and inner frame); 0 with
	 * *vni and *hlen (the inner frame's offset) set, or an enum
	 * vnet_encap_drop reason.  conf.strict also refuses reserved bits.
	 * An accepted packet holds at least an Ethernet header after the
	 * kind's header.  May count what it saw (GENEVE options). */
	int (*decode)(struct vtep *v, const uint8_t *p, size_t len,
		      uint32_t *vni, size_t *hlen);
};

/* The VTEP's configuration: set by vtep_init to the defaults, then by
 * main from the options, before anything is opened. */
struct vtep_conf {
	enum vtep_encap encap;		/* the kind (VTEP_VXLAN) */
	struct vnet_geneve_opts geneve;	/* GENEVE: options sent, and the
					 * ones understood (--geneve-opt) */
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
	int pmtu_reply;			/* answer drop_too_big with ICMP */
	unsigned zero_csum;		/* IPv6: VNET_UNDERLAY_ZERO_TX | _RX */
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

/* A GENEVE option seen in accepted packets: a row of the table that
 * vtep_geneve_opts_dump writes. */
struct vtep_gopt {
	uint16_t cls;
	uint8_t type, len;	/* len: data bytes */
	uint32_t last_vni;
	uint64_t count;
};

struct vtep {
	struct vtep_conf conf;
	size_t hlen;		/* the kind's header with its options */

	/* ports: the inner one, and a frame-stream or UDP underlay */
	struct vnet_port *inner;
	struct vnet_port *outer;	/* frame-stream underlay, or NULL */
	struct vnet_underlay *ul;	/* UDP underlay, or NULL */
	struct vnet_fdb *fdb;
	/* the remotes of the frame being sent: its FDB entry's, or its
	 * VNI's flood list, which may be as long as the FDB has room for */
	const struct vnet_addr *rem[VNET_FDB_FLOOD_MAX];

	struct vnet_counter ctr[C_MAX];

	int gso;		/* gather runs: the underlay sends GSO */
	int tunnel;		/* the outer side is a tap with UDP tunnel
				 * offload, the inner one hands TSO/USO
				 * super-frames whole: they go through as
				 * they are, headers around them */
	uint8_t tx_tos;		/* the outer TOS of the packet being sent */
	struct vtep_run run;	/* the run being gathered */
	/* the drops of enum vtep_warn said once, and their rate limits */
	uint8_t warned[VTEP_W_MAX];
	struct vnet_ratelimit warn_rl[VTEP_W_MAX];
	/* --pmtu-reply: the token bucket of the replies (by the one clock),
	 * and the reply being built */
	struct vnet_ratelimit pmtu_rl;
	uint8_t pmtu_buf[PMTU_REPLY_MAX];
	/* underlay events already reported */
	uint64_t ul_send_errors;
	int ul_gso_disabled;

	/* outer neighbours learned from a frame-stream underlay */
	struct {
		struct vnet_addr ip;
		uint8_t mac[6];
	} neigh[VTEP_NEIGH];
	unsigned nneigh, neigh_next;

	/* sealed mode: the context (lib/seal.c), the per-slot buffers
	 * frames are sealed into (2 * VTEP_GSO_SEGS of seal_slot bytes:
	 * header, ciphertext, tag; the first half the run's, the second a
	 * ring for packets sent one by one, seal_q the next of it), and the
	 * one a packet is opened into */
	struct vnet_seal *seal;
	uint8_t *seal_buf, *open_buf;
	size_t seal_slot;
	unsigned seal_q;

	/* GENEVE options received, in order of first sight */
	struct vtep_gopt gopt[VTEP_GENEVE_OPTS];
	unsigned ngopt;
};

/* Set the counter names and the configuration's defaults for encap
 * (VNI unset, VLANs unmapped, the kind's port, source ports
 * 49152-65535, TTL 64, MTU 1500, learning on). */
void vtep_init(struct vtep *v, enum vtep_encap encap);
/* The kind named name ("vxlan", "geneve", "nvgre"), or -1. */
int vtep_encap_by_name(const char *name);
/* The name of a kind. */
const char *vtep_encap_name(enum vtep_encap encap);
/* Switch v to another kind, after vtep_init and before anything is
 * opened: its default port becomes conf.dstport. */
void vtep_set_encap(struct vtep *v, enum vtep_encap encap);
/* Add a GENEVE option "CLASS:TYPE:HEX" (geneve.h) to every packet sent;
 * its (class, type) becomes one this node understands on receive (a
 * critical one then does not drop the packet).  0, or -EINVAL/-EMSGSIZE
 * with why set. */
int vtep_geneve_opt_add(struct vtep *v, const char *s, const char **why);
/* Write the GENEVE options received as lines "CLASS TYPE LENGTH COUNT
 * LAST_VNI" (tab-separated; class 0xNNNN, type 0xNN, length in data
 * bytes) in order of first sight.  0 or -errno. */
int vtep_geneve_opts_dump(const struct vtep *v, FILE *f);
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
 * conf.local's family) + UDP (if the kind has it) + the kind's header
 * with its options. */
unsigned vtep_overhead(const struct vtep *v);
/* The outer IP protocol of v's kind (IPPROTO_UDP, IPPROTO_GRE). */
int vtep_proto(const struct vtep *v);
/* Whether a VNI may be configured for v's kind: NVGRE refuses the
 * reserved VSIDs (nvgre.h). */
int vtep_vni_ok(const struct vtep *v, uint32_t vni);
/* The largest inner packet (Ethernet payload, as ip-link's mtu) that
 * fits conf.mtu: conf.mtu - vtep_overhead() - the inner Ethernet header
 * (VXLAN over IPv4, --mtu 1500: 1450).  vnet(7) MTU BUDGET. */
unsigned vtep_inner_mtu(const struct vtep *v);
/* Inner frames -> outer packets.  vh: the frames' virtio_net_hdrs when
 * the inner port hands super-frames whole (v->tunnel, port.h
 * VNET_PORT_GSO), else NULL.  Returns 0, or -errno from the outer
 * stream (e.g. -EPIPE). */
int vtep_encap(struct vtep *v, const struct vnet_frame *f,
	       const struct vnet_vhdr *vh, unsigned n);
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
/* Outer frames (frame-stream or tap underlay) -> inner frames; vh as
 * for vtep_encap (the outer tap's headers with tunnel offload). */
int vtep_decap_frames(struct vtep *v, const struct vnet_frame *f,
		      const struct vnet_vhdr *vh, unsigned n);
/* Seal every packet with s (which v takes; NULL: none, the context in
 * force is freed), after the configuration and before anything is
 * opened: the header grows by the seal fields (GENEVE: in their
 * option), the overhead by the tag; the buffers are allocated here,
 * once.  Only VXLAN and GENEVE.  0, -EINVAL (NVGRE), -ENOMEM. */
int vtep_seal_set(struct vtep *v, struct vnet_seal *s);
/* Copy table and underlay statistics into the counters. */
void vtep_sync_counters(struct vtep *v);
/* The counter index of an outer drop reason (enum vnet_encap_drop,
 * 1..VNET_DROP_MAX-1), or -1. */
int vtep_drop_counter(int reason);
/* VLAN of a VNI for decap: 0 untagged, 1..4094 the VLAN, -1 unknown. */
int vtep_vni_vlan(const struct vtep *v, uint32_t vni);

#endif
