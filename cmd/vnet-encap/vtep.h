/* SPDX-License-Identifier: ISC */
/* vtep.h -- the VXLAN tunnel endpoint of vnet-encap: state and data path. */
#ifndef VNET_ENCAP_VTEP_H
#define VNET_ENCAP_VTEP_H

#include <stdint.h>
#include <sys/socket.h>

#include "vnet/addr.h"
#include "vnet/counter.h"
#include "vnet/fdb.h"
#include "vnet/port.h"

#define VTEP_NO_VNI UINT32_MAX
#define VTEP_BATCH 64	/* frames per read */
#define VTEP_TXQ 256	/* outer packets queued per sendmmsg */
#define VTEP_RXSLOT 65536
#define VTEP_NEIGH 64	/* outer neighbours of a frame-stream underlay */
#define VTEP_SOCKS 64	/* UDP sockets bound to source ports, for GSO */
#define VTEP_GSO_SEGS 64 /* outer packets per UDP GSO send */

/* Counter indexes; names in vtep.c.  drop_* for outer packets line up
 * with enum vnet_encap_drop (C_DROP_SHORT + reason - 1). */
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
	C_INNER_TX_FRAMES,
	C_INNER_TX_ERRORS,
	C_ARP_REPLIES,
	C_DROP_INNER_RUNT,
	C_DROP_NO_VNI,
	C_DROP_UNKNOWN_VLAN,
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

struct vtep_map {
	uint32_t vni;
	uint16_t vlan;
};

/* A UDP socket bound to (local address, port) that sends the GSO runs
 * of one source port; fd -1 when the port could not be bound (such runs
 * go packet by packet until the slot is reused). */
struct vtep_sock {
	int fd;
	uint16_t port;
	uint64_t used_ns;
};

/* Consecutive frames to one remote with one source port and VNI, all as
 * long as the first but the last: the segments of a TSO super-frame.
 * They leave in one sendmsg with UDP_SEGMENT. */
struct vtep_run {
	struct vnet_addr remote;
	uint32_t vni;
	uint16_t sport;
	unsigned n;		/* frames */
	size_t ilen;		/* length of the first frame (sent, untagged) */
	size_t bytes;		/* UDP payload: VXLAN headers and frames */
	int closed;		/* a shorter frame ended it */
	uint64_t ts, now;
	struct {
		struct iovec in[2];
		int nin;
		size_t ilen;
	} f[VTEP_GSO_SEGS];
};

struct vtep {
	/* configuration */
	uint32_t vni;			/* VNI of untagged frames */
	uint32_t vlan_vni[4096];	/* VTEP_NO_VNI where unmapped */
	struct vtep_map *maps;		/* sorted by VNI, for decap */
	size_t nmaps;
	struct vnet_addr local;
	uint8_t local_mac[6];
	uint16_t dstport, sport_lo, sport_hi;
	uint8_t ttl, tos;
	unsigned mtu;			/* underlay IP MTU */
	int strict, learn;
	int gso;			/* UDP GSO/GRO on the UDP underlay */

	/* ports */
	struct vnet_port *inner;
	struct vnet_port *outer;	/* frame-stream underlay, or NULL */
	int rx_sock, tx_sock;		/* UDP underlay */
	struct vnet_fdb *fdb;

	struct vnet_counter ctr[C_MAX];

	/* transmit queue (UDP): header slots, iovecs into inner frames */
	unsigned ntx;
	struct mmsghdr txm[VTEP_TXQ];
	struct iovec txiov[VTEP_TXQ][3];
	struct sockaddr_storage txaddr[VTEP_TXQ];
	uint8_t txhdr[VTEP_TXQ][64];

	/* UDP GSO: the pending run and the source-port sockets */
	struct vtep_run run;
	struct vtep_sock socks[VTEP_SOCKS];
	unsigned nsocks;
	struct iovec gsoiov[VTEP_GSO_SEGS * 3];

	/* receive batch (UDP); a UDP_GRO cmsg gives a datagram's segment size */
	struct mmsghdr rxm[VTEP_BATCH];
	struct iovec rxiov[VTEP_BATCH];
	struct sockaddr_storage rxaddr[VTEP_BATCH];
	union {
		struct cmsghdr align;
		uint8_t b[64];
	} rxcmsg[VTEP_BATCH];
	uint8_t *rxbuf;

	/* outer neighbours learned from a frame-stream underlay */
	struct {
		struct vnet_addr ip;
		uint8_t mac[6];
	} neigh[VTEP_NEIGH];
	unsigned nneigh, neigh_next;
};

/* Open the UDP underlay: a socket bound to local:port for receiving (with
 * UDP_GRO when v->gso) and a raw socket for sending (so the source port
 * can carry the inner flow's entropy).  0 or -errno with e (may be NULL)
 * filled: obj "udp:ADDR:PORT", msg the step that failed and why ("bind:
 * Address already in use"). */
int vtep_open_udp(struct vtep *v, const struct vnet_addr *bind_addr,
		  uint16_t port, struct vnet_err *e);
/* Close the UDP underlay's sockets (those of the GSO pool too). */
void vtep_close_udp(struct vtep *v);
/* gso.c: send the pending run v->run (n >= 2) in one UDP GSO sendmsg from
 * the socket bound to its source port; the raw queue is flushed first, to
 * keep the order.  Counts what it sent or dropped and returns 0; returns 1
 * when the run must go packet by packet instead: no socket for the port,
 * a segment too long for the path (EINVAL, EMSGSIZE), or UDP GSO
 * unavailable (then v->gso is cleared for good). */
int vtep_gso_send(struct vtep *v);
void vtep_gso_close(struct vtep *v);
/* Inner frames -> outer packets.  Returns 0, or -errno from the outer
 * stream (e.g. -EPIPE). */
int vtep_encap(struct vtep *v, const struct vnet_frame *f, unsigned n);
/* Flush queued outer packets (UDP) or the outer stream. */
int vtep_flush_outer(struct vtep *v);
/* Receive what the UDP socket has and decapsulate it; returns the number
 * of datagrams, or -errno. */
int vtep_recv_udp(struct vtep *v);
/* Outer frames (frame-stream underlay) -> inner frames. */
int vtep_decap_frames(struct vtep *v, const struct vnet_frame *f, unsigned n);
/* Copy table statistics into the counters. */
void vtep_sync_counters(struct vtep *v);
void vtep_init_counters(struct vtep *v);
/* VLAN of a VNI for decap: 0 untagged, 1..4094 the VLAN, -1 unknown. */
int vtep_vni_vlan(const struct vtep *v, uint32_t vni);

#endif
