/* SPDX-License-Identifier: ISC */
/* underlay.h -- the UDP underlay of a tunnel endpoint: the sockets that
 * send and receive outer UDP datagrams, whatever they encapsulate.
 *
 * One underlay is a receiving UDP socket bound to ADDR:PORT (with UDP_GRO
 * when GSO is on: a run of datagrams of one flow arrives as one, with its
 * segment size), a raw IPPROTO_RAW socket that sends datagrams from any
 * source port (RFC 7348 5 wants the source port to carry the inner flow's
 * entropy, and an ordinary UDP socket has one port), and a pool of UDP
 * sockets bound to source ports for UDP GSO sends (UDP_SEGMENT: a run of
 * equal-size datagrams travels the stack as one packet and is cut by the
 * device, or by the kernel in front of one that cannot).
 *
 * Sending has two ways, and datagrams leave in the order they were given:
 *   vnet_underlay_queue()     one datagram into the transmit queue: the
 *                             IP/UDP headers and the caller's header are
 *                             written into a slot, the payload is referenced
 *                             (no copy); vnet_underlay_flush() sends the
 *                             queue with sendmmsg on the raw socket
 *   vnet_underlay_send_gso()  a run of datagrams to one destination from
 *                             one source port in one sendmsg; the queue is
 *                             flushed first
 * Receiving: vnet_underlay_recv() reads a batch with recvmmsg and hands
 * each datagram to a callback, a coalesced one cut at its segment size.
 *
 * With conf.proto IPPROTO_GRE the same underlay carries GRE (NVGRE)
 * instead: IP packets of protocol 47 received on a raw socket bound to
 * the address (handed over without their IPv4 header), sent through the
 * raw socket with no UDP header; no ports, no GSO/GRO.
 *
 * Every datagram sent has DF set (never fragmented, RFC 7348 4.3), the TTL
 * and TOS of the configuration, and a zero UDP checksum on the raw path
 * (allowed over IPv4, RFC 768); GSO sends get the checksum the kernel
 * computes.  Sending needs CAP_NET_RAW (the raw socket).
 *
 * IPv6 (bind and local of family AF_INET6; udp:[2001:db8::1]:4789): the
 * same three sockets of that family (IPV6_V6ONLY; the raw one AF_INET6
 * IPPROTO_RAW, which writes the whole IPv6 header), with these
 * differences.  The UDP checksum is mandatory (RFC 8200 8.1): the raw
 * path computes it over the datagram, a GSO send gets the kernel's; the
 * receiving socket leaves a zero checksum to the kernel, which drops it.
 * With conf.zero_csum (RFC 6935 5 and RFC 6936, Linux's udp6zerocsumtx
 * and udp6zerocsumrx) VNET_UNDERLAY_ZERO_TX sends a zero checksum on the
 * raw path and turns GSO off (the kernel segments only with a checksum),
 * VNET_UNDERLAY_ZERO_RX accepts one (UDP_NO_CHECK6_RX).  The hop limit is
 * conf.ttl, the traffic class conf.tos, the flow label that of the source
 * port (vnet_outer_flowlabel: RFC 6438, one label per inner flow; a GSO
 * socket leases it from the kernel's flow label manager, IPV6_FLOWLABEL_MGR,
 * for the first destination it sends to, and when the lease is refused, or
 * for a second destination on the same source port, the kernel's automatic
 * label, a hash of the outer flow, goes instead).  No datagram is
 * fragmented here: the raw path refuses one longer than the link MTU
 * (EMSGSIZE, counted), a GSO socket has IPV6_DONTFRAG and
 * IPV6_PMTUDISC_DO.  An IPv6 underlay needs a source address that is not
 * :: (the raw socket sends it as given): an any bind address without
 * conf.local is refused with EDESTADDRREQ.
 *
 * Nothing here prints: send errors, truncated datagrams and the end of GSO
 * are counted in struct vnet_underlay_stats, which the caller reads (and
 * reports when it changes).  Errors: 0 or -errno; the constructor returns
 * NULL with errno set.
 */
#ifndef VNET_UNDERLAY_H
#define VNET_UNDERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet/addr.h"
#include "vnet/err.h"

#define VNET_UNDERLAY_BATCH_MAX 256 /* datagrams per receive, at most */
#define VNET_UNDERLAY_TXQ 256	    /* datagrams queued per sendmmsg */
#define VNET_UNDERLAY_HDR_MAX 264   /* caller's header bytes per datagram */
#define VNET_UNDERLAY_IOV_MAX 4	    /* payload pieces per queued datagram */
#define VNET_UNDERLAY_SOCKS 64	    /* GSO source-port sockets in the pool */
/* A pool socket unused this long may be closed for another source port. */
#define VNET_UNDERLAY_SOCK_IDLE_NS (10 * 1000000000ULL)
/* UDP payload bytes of one GSO send: a 64 KiB IPv4 packet; over IPv6
 * the 16-bit payload length field (UDP header and payload) is the limit.
 * VNET_UNDERLAY_GSO_MAX is the smaller: a caller that gathers runs of
 * either family may keep to it. */
#define VNET_UNDERLAY_GSO_MAX (65535 - 20 - 8)
#define VNET_UNDERLAY_GSO_MAX6 (65535 - 8)
/* conf.zero_csum: zero UDP checksums over IPv6 (RFC 6935, RFC 6936) */
#define VNET_UNDERLAY_ZERO_TX 0x1 /* send them (no GSO then) */
#define VNET_UNDERLAY_ZERO_RX 0x2 /* accept them */

struct vnet_underlay;

struct vnet_underlay_conf {
	struct vnet_addr bind;	/* receive on bind:port (any address: all) */
	uint16_t port;		/* host order; 0: a port the kernel picks */
	struct vnet_addr local;	/* source address of what is sent; family
				 * 0: the bind address */
	uint8_t ttl, tos;	/* of every datagram sent; ttl 0: 64 */
	int gso;		/* UDP GSO sends and UDP_GRO receive */
	unsigned batch;		/* datagrams per recvmmsg, 1..BATCH_MAX;
				 * 0: 64 */
	uint8_t proto;		/* 0 or IPPROTO_UDP: UDP datagrams; or
				 * IPPROTO_GRE: IP packets of protocol 47
				 * (NVGRE), received on a raw socket bound
				 * to the bind address, sent as the raw
				 * path does but with no UDP header; no
				 * ports, no GSO/GRO */
	unsigned zero_csum;	/* VNET_UNDERLAY_ZERO_TX | _RX (IPv6) */
};

struct vnet_underlay_stats {
	/* sent: queued datagrams and GSO segments alike */
	uint64_t tx_packets;	/* datagrams the kernel took */
	uint64_t tx_bytes;	/* their IP length: IP + UDP + payload */
	uint64_t gso_sends;	/* UDP_SEGMENT sendmsg calls that succeeded */
	uint64_t gso_segments;	/* datagrams those carried */
	uint64_t send_errors;	/* datagrams the kernel refused (dropped) */
	int send_errno;		/* the last refusal: its errno */
	struct vnet_addr send_addr; /* and its destination */
	/* GSO turned off for good: the kernel would not segment UDP on the
	 * way to gso_addr (EIO, ENOPROTOOPT, EOPNOTSUPP: an old kernel,
	 * IPsec, no checksum offload); runs then go packet by packet. */
	int gso_disabled;
	int gso_errno;
	struct vnet_addr gso_addr;
	/* received */
	uint64_t rx_datagrams;	   /* datagrams read (a coalesced one: 1) */
	uint64_t rx_gro_datagrams; /* coalesced datagrams that were cut */
	uint64_t rx_gro_segments;  /* the datagrams cut out of them */
	uint64_t rx_truncated;	   /* longer than the 64 KiB slot: dropped */
};

/* One datagram received, as handed to the vnet_underlay_recv callback;
 * data points into the underlay's receive buffer, valid during the call. */
struct vnet_underlay_dgram {
	struct vnet_addr src;	/* outer source address */
	uint16_t sport;		/* and port, host order */
	const uint8_t *data;	/* UDP payload */
	size_t len;
	int tos;		/* outer TOS / traffic class (IP_RECVTOS),
				 * -1 when the kernel did not say */
};

/* Open an underlay: the receiving socket (non-blocking, 8 MiB buffer,
 * UDP_GRO if c->gso), the raw sending socket and the buffers (batch x 64
 * KiB).  The receiving socket is bound without SO_REUSEADDR, so an
 * ADDR:PORT that another socket holds is refused (EADDRINUSE) rather
 * than shared, which would let the newer socket take the older one's
 * datagrams.  Returns it, or NULL with errno set (EAFNOSUPPORT for bind
 * and local of two families, EDESTADDRREQ for an IPv6 underlay without a
 * source address, EPERM without CAP_NET_RAW, EADDRINUSE, ENOMEM, ...) and
 * e (may be NULL) filled: obj "udp:ADDR:PORT", msg the step that failed
 * and why ("bind: Address already in use (another VTEP or process holds
 * it; ss -ulpn)"). */
struct vnet_underlay *vnet_underlay_open(const struct vnet_underlay_conf *c,
					 struct vnet_err *e);
/* Close every socket (the pool's too) and free u.  Queued datagrams that
 * were not flushed are dropped.  Takes NULL. */
void vnet_underlay_close(struct vnet_underlay *u);

/* The receiving socket, to poll for input. */
int vnet_underlay_fd(const struct vnet_underlay *u);
/* 1 while GSO sends are on (c->gso and not turned off), else 0. */
int vnet_underlay_gso(const struct vnet_underlay *u);
/* The counters, live: the pointer stays valid until close. */
const struct vnet_underlay_stats *
vnet_underlay_stats(const struct vnet_underlay *u);

/* Queue one datagram to dst:dport from sport (host order) whose payload
 * is hdr[0..hlen) followed by iov[0..niov).  hdr is copied; the bytes iov
 * points at are not, and must stay as they are until the datagram has
 * left: until the next vnet_underlay_flush() or vnet_underlay_send_gso(),
 * or the vnet_underlay_queue() that finds the queue full and flushes it
 * first.  Returns 0; -EINVAL if hlen > VNET_UNDERLAY_HDR_MAX or niov >
 * VNET_UNDERLAY_IOV_MAX, -EAFNOSUPPORT if dst is not of the local address
 * family, -EMSGSIZE if the IP packet would exceed 65535 bytes (nothing is
 * queued then). */
int vnet_underlay_queue(struct vnet_underlay *u, const struct vnet_addr *dst,
			uint16_t sport, uint16_t dport, const void *hdr,
			size_t hlen, const struct iovec *iov, unsigned niov);
/* The TOS (DSCP and ECN) of the datagrams queued and the GSO runs sent
 * from now on; the configuration's until then.  Per datagram, so that a
 * tunnel can carry each inner packet's DSCP and ECN (ecn.h). */
void vnet_underlay_set_tos(struct vnet_underlay *u, uint8_t tos);

/* Send the queued datagrams (sendmmsg).  A datagram the kernel refuses is
 * counted (send_errors, send_errno, send_addr) and the rest still go:
 * returns 0. */
int vnet_underlay_flush(struct vnet_underlay *u);

/* Send the UDP payload iov[0..niov) to dst:dport from sport as datagrams
 * of seg bytes each, the last one possibly shorter, in one sendmsg with
 * UDP_SEGMENT from the pool socket bound to local:sport (opened on first
 * use; when the pool is full, the slot idle longest, if idle for
 * VNET_UNDERLAY_SOCK_IDLE_NS by now_ns, is reused).  The queue is flushed
 * first, to keep the order.  The payload holds 1 to VNET_UNDERLAY_GSO_MAX
 * bytes; a segment's bytes may span several iovecs (the caller's header,
 * then its frame), as they lie one after the other.  (Over IPv6 up to
 * VNET_UNDERLAY_GSO_MAX6 bytes.)
 * Returns 0 when the datagrams were sent, or refused and counted as
 * send_errors.  Otherwise nothing was sent, and the caller sends them
 * another way (vnet_underlay_queue, one by one):
 *   -EOPNOTSUPP  GSO is off (conf, or turned off now or before: see
 *                gso_disabled), or no pool socket for sport (pool full
 *                of busy slots, or the port could not be bound)
 *   -EMSGSIZE    a segment too long for the path (EINVAL or EMSGSIZE
 *                from the kernel)
 *   -EINVAL      seg 0, no payload or more than VNET_UNDERLAY_GSO_MAX
 *                (IPv6: _GSO_MAX6) bytes, or niov > 1024 (UIO_MAXIOV)
 *   -EAFNOSUPPORT dst not of the local address family */
int vnet_underlay_send_gso(struct vnet_underlay *u,
			   const struct vnet_addr *dst, uint16_t sport,
			   uint16_t dport, const struct iovec *iov,
			   unsigned niov, size_t seg, uint64_t now_ns);

/* Read what the receiving socket has, without blocking: up to batch
 * datagrams in one recvmmsg.  fn is called for each datagram in order; a
 * datagram that UDP GRO coalesced is handed over cut at its segment size,
 * one call per segment.  Datagrams longer than the buffer (rx_truncated)
 * and of an unknown address family are skipped.  A negative return of fn
 * stops the batch and is returned.  Returns the number of datagrams read
 * (0 if none was waiting), or -errno from recvmmsg. */
int vnet_underlay_recv(struct vnet_underlay *u,
		       int (*fn)(void *, const struct vnet_underlay_dgram *),
		       void *arg);

#endif
