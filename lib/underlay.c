/* SPDX-License-Identifier: ISC */
/* underlay.c -- the UDP underlay: a transmit queue on a raw socket, UDP
 * GSO sends from a pool of source-port sockets, batched GRO receive.
 *
 * Why a pool: a TSO super-frame read from a tap is cut into wire-size
 * frames that all go to one remote from one source port (the inner flow's
 * hash).  Through the raw socket they would cost a route lookup, a socket
 * buffer and a trip through the stack each; with UDP_SEGMENT the whole run
 * travels as one packet, and a veth hands it as it is to the other
 * namespace, where UDP GRO delivers it to the peer's socket in one piece.
 * An ordinary UDP socket sends from the one port it is bound to, so each
 * source port in use gets a socket of its own: VNET_UNDERLAY_SOCKS of
 * them, opened on first use, a slot idle for VNET_UNDERLAY_SOCK_IDLE_NS
 * reused when the pool is full.
 *
 * Why a raw socket over IPv6 too, though it must compute the mandatory
 * UDP checksum itself: one pass over a 1.5 KB datagram took about 90 ns
 * here, a small part of what sending it costs, and the queue keeps one
 * sendmmsg per batch whatever the source ports; the pool sockets, whose
 * checksums the kernel computes (or offloads), would need a send per
 * source port.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/in6.h> /* struct in6_flowlabel_req, after netinet/in.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/err.h"
#include "vnet/nvgre.h" /* vnet_gre_build_ip */
#include "vnet/pkt.h"
#include "vnet/underlay.h"
#include "vnet/vxlan.h" /* struct vnet_outer, vnet_outer_build_ip */

#define IP_UDP_HLEN (VNET_IP4_HLEN + VNET_UDP_HLEN)
#define IP6_UDP_HLEN (VNET_IP6_HLEN + VNET_UDP_HLEN)
#define SLOT (VNET_IP6_HLEN + VNET_UDP_HLEN + VNET_UNDERLAY_HDR_MAX)
#define RXSLOT 65536
#define GSO_IOV_MAX 1024 /* UIO_MAXIOV */
#define SOCK_SNDBUF (4 << 20)
#define BUF (8 << 20)
#ifndef UDP_NO_CHECK6_TX
#define UDP_NO_CHECK6_TX 101
#define UDP_NO_CHECK6_RX 102
#endif

/* A socket bound to (local address, port) that sends the GSO runs of one
 * source port; fd -1 when the port could not be bound (the slot is held
 * until it is reused, so a port in use elsewhere is not retried on every
 * run). */
struct pool_sock {
	int fd;
	uint16_t port;
	uint32_t flow; /* IPv6: the label leased for flow_dst, 0: none */
	struct vnet_addr flow_dst;
	int flow_tried; /* one lease per socket: the kernel keeps each */
	uint64_t used_ns;
};

struct vnet_underlay {
	struct vnet_addr local;
	uint8_t ttl, tos;
	uint8_t proto;	/* IPPROTO_UDP, or IPPROTO_GRE: no UDP header */
	int gso;
	unsigned batch;
	unsigned zero_csum;
	int rx_fd, tx_fd;
	struct vnet_underlay_stats st;

	/* transmit queue: header slots, iovecs into the caller's frames */
	unsigned ntx;
	struct mmsghdr txm[VNET_UNDERLAY_TXQ];
	struct iovec txiov[VNET_UNDERLAY_TXQ][1 + VNET_UNDERLAY_IOV_MAX];
	struct sockaddr_storage txaddr[VNET_UNDERLAY_TXQ];
	uint8_t txhdr[VNET_UNDERLAY_TXQ][SLOT];

	struct pool_sock socks[VNET_UNDERLAY_SOCKS];
	unsigned nsocks;

	/* receive batch; a UDP_GRO cmsg gives a datagram's segment size */
	uint8_t *rxbuf;
	struct mmsghdr rxm[VNET_UNDERLAY_BATCH_MAX];
	struct iovec rxiov[VNET_UNDERLAY_BATCH_MAX];
	struct sockaddr_storage rxaddr[VNET_UNDERLAY_BATCH_MAX];
	union {
		struct cmsghdr align;
		uint8_t b[64];
	} rxcmsg[VNET_UNDERLAY_BATCH_MAX];
};

static void set_buf(int fd, int force, int plain, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size));
}

struct vnet_underlay *vnet_underlay_open(const struct vnet_underlay_conf *c,
					 struct vnet_err *e)
{
	struct vnet_underlay *u = NULL, *ret = NULL;
	char a[VNET_ADDRSTRLEN], name[VNET_ADDRSTRLEN + 16];
	const char *step = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned i;
	int one = 1, err, af;

	snprintf(name, sizeof(name),
		 c->bind.family == AF_INET6 ? "udp:[%s]:%u" : "udp:%s:%u",
		 vnet_addr_fmt(&c->bind, a), c->port);
	if (c->proto == IPPROTO_GRE)
		snprintf(name, sizeof(name), "gre:%s", a);
	af = c->bind.family;
	step = "configure";
	err = EAFNOSUPPORT;
	if ((af != AF_INET && af != AF_INET6) ||
	    (c->local.family && c->local.family != af))
		goto out;
	/* The raw IPv6 socket sends the source as it is written, and the
	 * checksum covers it: :: will not do. */
	err = EDESTADDRREQ;
	if (af == AF_INET6 && vnet_addr_is_any(c->local.family ? &c->local
								: &c->bind))
		goto out;
	step = "configure";
	err = EINVAL;
	if (c->batch > VNET_UNDERLAY_BATCH_MAX)
		goto out;
	step = "allocate";
	if (!(u = calloc(1, sizeof(*u))))
		goto fail;
	u->rx_fd = u->tx_fd = -1;
	u->local = c->local.family ? c->local : c->bind;
	u->ttl = c->ttl ? c->ttl : 64;
	u->tos = c->tos;
	u->gso = !!c->gso;
	u->batch = c->batch ? c->batch : 64;
	u->proto = c->proto == IPPROTO_GRE ? IPPROTO_GRE : IPPROTO_UDP;
	u->zero_csum = af == AF_INET6 ? c->zero_csum : 0;
	/* No GSO for GRE; and UDP GSO needs a checksum (the kernel
	 * refuses it with UDP_NO_CHECK6_TX). */
	if (u->proto == IPPROTO_GRE || (u->zero_csum & VNET_UNDERLAY_ZERO_TX))
		u->gso = 0;

	step = "UDP socket";
	if (u->proto == IPPROTO_GRE) {
		/* GRE has no ports: a raw socket of protocol 47 bound to
		 * the address gets the packets for it, the IPv4 header
		 * first (IPv6: the payload only). */
		step = "GRE socket";
		u->rx_fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
				  IPPROTO_GRE);
	} else {
		u->rx_fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK |
					      SOCK_CLOEXEC, 0);
	}
	if (u->rx_fd < 0)
		goto fail;
	/* IPv6 only: IPv4-mapped datagrams are not this underlay's (a raw
	 * socket is of one family already). */
	if (af == AF_INET6 && u->proto == IPPROTO_UDP &&
	    setsockopt(u->rx_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail;
	/* RFC 6936: zero checksums accepted only when configured. */
	if ((u->zero_csum & VNET_UNDERLAY_ZERO_RX) &&
	    setsockopt(u->rx_fd, SOL_UDP, UDP_NO_CHECK6_RX, &one, sizeof(one)))
		goto fail;
	/* No SO_REUSEADDR: a second socket on ADDR:PORT would take over
	 * the datagrams of the one that holds it, with nothing said. */
	set_buf(u->rx_fd, SO_RCVBUFFORCE, SO_RCVBUF, BUF);
	/* Runs of datagrams of one flow arrive as one, up to 64 KiB, with
	 * their segment size in a cmsg (Linux 5.0; without it, one by one). */
	if (u->gso)
		setsockopt(u->rx_fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	/* The outer TOS or traffic class of each datagram, for ECN
	 * decapsulation (RFC 6040 4.2); without it, tos -1. */
	if (af == AF_INET)
		setsockopt(u->rx_fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	else
		setsockopt(u->rx_fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one,
			   sizeof(one));
	sl = vnet_addr_to_sockaddr(&c->bind,
				   u->proto == IPPROTO_GRE ? 0 : c->port, &ss);
	step = "bind";
	if (bind(u->rx_fd, (struct sockaddr *)&ss, sl))
		goto fail;

	/* IPPROTO_RAW implies IP_HDRINCL; the kernel fills the IP ID and a
	 * zero source address.  AF_INET6: IPV6_HDRINCL, the header as
	 * written, and a packet longer than the link MTU refused with
	 * EMSGSIZE (never fragmented). */
	step = "raw socket";
	u->tx_fd = socket(af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (u->tx_fd < 0)
		goto fail;
	set_buf(u->tx_fd, SO_SNDBUFFORCE, SO_SNDBUF, BUF);

	step = "receive buffers";
	if (!(u->rxbuf = malloc((size_t)u->batch * RXSLOT)))
		goto fail;
	for (i = 0; i < u->batch; i++) {
		u->rxiov[i].iov_base = u->rxbuf + (size_t)i * RXSLOT;
		u->rxiov[i].iov_len = RXSLOT;
		u->rxm[i].msg_hdr.msg_iov = &u->rxiov[i];
		u->rxm[i].msg_hdr.msg_iovlen = 1;
		u->rxm[i].msg_hdr.msg_name = &u->rxaddr[i];
		u->rxm[i].msg_hdr.msg_control = u->rxcmsg[i].b;
	}
	for (i = 0; i < VNET_UNDERLAY_TXQ; i++) {
		u->txm[i].msg_hdr.msg_iov = u->txiov[i];
		u->txm[i].msg_hdr.msg_name = &u->txaddr[i];
	}
	ret = u;
	u = NULL;
	err = 0;
	goto out;
fail:
	err = errno;
out:
	vnet_underlay_close(u);
	if (!ret) {
		if (err == EADDRINUSE) {
			vnet_err_set(e, name, 0, "%s: %s (another VTEP or "
				     "process holds it; ss -ulpn)", step,
				     strerror(err));
		} else if (err == EAFNOSUPPORT && !u) {
			vnet_err_set(e, name, 0, "the source address is not "
				     "of the underlay's family");
		} else if (err == EDESTADDRREQ && !u) {
			vnet_err_set(e, name, 0, "an IPv6 underlay needs a "
				     "source address (--local)");
		} else {
			vnet_err_set(e, name, 0, "%s: %s", step, strerror(err));
			vnet_err_cap(e, err, "CAP_NET_RAW");
		}
		if (e)
			e->errnum = err;
		errno = err;
	}
	return ret;
}

void vnet_underlay_close(struct vnet_underlay *u)
{
	unsigned i;

	if (!u)
		return;
	for (i = 0; i < u->nsocks; i++)
		if (u->socks[i].fd >= 0)
			close(u->socks[i].fd);
	if (u->rx_fd >= 0)
		close(u->rx_fd);
	if (u->tx_fd >= 0)
		close(u->tx_fd);
	free(u->rxbuf);
	free(u);
}

int vnet_underlay_fd(const struct vnet_underlay *u)
{
	return u->rx_fd;
}

int vnet_underlay_gso(const struct vnet_underlay *u)
{
	return u->gso;
}

const struct vnet_underlay_stats *
vnet_underlay_stats(const struct vnet_underlay *u)
{
	return &u->st;
}

int vnet_underlay_queue(struct vnet_underlay *u, const struct vnet_addr *dst,
			uint16_t sport, uint16_t dport, const void *hdr,
			size_t hlen, const struct iovec *iov, unsigned niov)
{
	struct vnet_outer o = {
		.src = u->local,
		.dst = *dst,
		.sport = sport,
		.dport = dport,
		.ttl = u->ttl,
		.tos = u->tos,
	};
	size_t len = hlen;
	unsigned i, k;
	uint16_t c;
	int h;

	if (hlen > VNET_UNDERLAY_HDR_MAX || niov > VNET_UNDERLAY_IOV_MAX)
		return -EINVAL;
	if (dst->family != u->local.family)
		return -EAFNOSUPPORT;
	if (o.src.family == AF_INET6)
		o.flow = vnet_outer_flowlabel(sport);
	for (i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (u->ntx == VNET_UNDERLAY_TXQ)
		vnet_underlay_flush(u);
	k = u->ntx;
	if (u->proto == IPPROTO_GRE)
		h = vnet_gre_build_ip(u->txhdr[k], SLOT - hlen, &o, len);
	else
		h = vnet_outer_build_ip(u->txhdr[k], SLOT - hlen, &o, len);
	if (h < 0)
		return h;
	if (hlen)
		memcpy(u->txhdr[k] + h, hdr, hlen);
	u->txiov[k][0].iov_base = u->txhdr[k];
	u->txiov[k][0].iov_len = (size_t)h + hlen;
	if (niov)
		memcpy(&u->txiov[k][1], iov, sizeof(*iov) * niov);
	u->txm[k].msg_hdr.msg_iovlen = (size_t)niov + 1;
	/* RFC 8200 8.1: mandatory over IPv6, from the UDP header on (GRE
	 * has no checksum here). */
	if (o.src.family == AF_INET6 && u->proto == IPPROTO_UDP &&
	    !(u->zero_csum & VNET_UNDERLAY_ZERO_TX)) {
		u->txiov[k][0].iov_base = u->txhdr[k] + VNET_IP6_HLEN;
		u->txiov[k][0].iov_len -= VNET_IP6_HLEN;
		c = vnet_outer_udp_csum_iov(&o, u->txiov[k], niov + 1);
		vnet_put16(u->txhdr[k] + VNET_IP6_HLEN + 6, c);
		u->txiov[k][0].iov_base = u->txhdr[k];
		u->txiov[k][0].iov_len += VNET_IP6_HLEN;
	}
	u->txm[k].msg_hdr.msg_namelen =
		vnet_addr_to_sockaddr(dst, 0, &u->txaddr[k]);
	u->ntx++;
	return 0;
}

void vnet_underlay_set_tos(struct vnet_underlay *u, uint8_t tos)
{
	u->tos = tos;
}

int vnet_underlay_flush(struct vnet_underlay *u)
{
	unsigned off = 0, i;
	int r;

	while (off < u->ntx) {
		r = sendmmsg(u->tx_fd, u->txm + off, u->ntx - off, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* The message at off failed; count it, go on. */
			u->st.send_errors++;
			u->st.send_errno = errno;
			vnet_addr_from_sockaddr(
				&u->st.send_addr, NULL,
				(struct sockaddr *)&u->txaddr[off]);
			off++;
			continue;
		}
		for (i = off; i < off + (unsigned)r; i++)
			u->st.tx_bytes += u->txm[i].msg_len;
		u->st.tx_packets += (unsigned)r;
		off += (unsigned)r;
	}
	u->ntx = 0;
	return 0;
}

/* Lease the flow label of port to dst for fd (IPV6_FLOWLABEL_MGR, shared
 * with any socket that asks for the same label and destination) and send
 * with it: the label the raw path writes.  The label, or 0 when the
 * kernel refused it (then its automatic label goes). */
static uint32_t flow_lease(int fd, uint16_t port, const struct vnet_addr *dst)
{
	struct in6_flowlabel_req fr = { 0 };
	uint32_t fl = vnet_outer_flowlabel(port);
	int one = 1;

	/* A lease names its destination (the kernel refuses ::), and a
	 * label of one destination is not shared with another: a second
	 * remote on the same source port gets the kernel's label. */
	memcpy(&fr.flr_dst, dst->b, 16);
	fr.flr_label = htonl(fl);
	fr.flr_action = IPV6_FL_A_GET;
	fr.flr_share = IPV6_FL_S_ANY;
	fr.flr_flags = IPV6_FL_F_CREATE;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &fr,
		       sizeof(fr)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &one,
		       sizeof(one)))
		return 0;
	return fl;
}

/* A socket that sends from local:port like the raw path: DF set (RFC 7348
 * 4.3: never fragment; IPv6: IPV6_DONTFRAG, and PMTU discovery so the
 * kernel does not fragment locally), the TTL (hop limit) and TOS (traffic
 * class) of the configuration.  It never reads; a filter that keeps no
 * byte drops what arrives before it is queued.  The fd, or -1. */
static int sock_open(const struct vnet_underlay *u, uint16_t port)
{
	static struct sock_filter drop_all[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	const struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int fd, pmtu = IP_PMTUDISC_DO, ttl = u->ttl, tos = u->tos, one = 1;
	int pmtu6 = IPV6_PMTUDISC_DO;
	struct sockaddr_storage ss;
	socklen_t sl;

	fd = socket(u->local.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sl = vnet_addr_to_sockaddr(&u->local, port, &ss);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)))
		goto fail;
	if (u->local.family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu6,
			       sizeof(pmtu6)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one,
			       sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
			       sizeof(ttl)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
			       sizeof(tos)))
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
			      sizeof(pmtu)) ||
		   setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
		   setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos))) {
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto fail;
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_SNDBUF);
	return fd;
fail:
	close(fd);
	return -1;
}

/* The pool slot of port, opened if new; NULL when the pool is full of
 * slots in use. */
static struct pool_sock *sock_for(struct vnet_underlay *u, uint16_t port,
				  uint64_t now)
{
	struct pool_sock *s, *idle = NULL;
	unsigned i;

	for (i = 0; i < u->nsocks; i++) {
		s = &u->socks[i];
		if (s->port == port) {
			s->used_ns = now;
			return s;
		}
		if (now > s->used_ns &&
		    now - s->used_ns >= VNET_UNDERLAY_SOCK_IDLE_NS &&
		    (!idle || s->used_ns < idle->used_ns))
			idle = s;
	}
	if (u->nsocks < VNET_UNDERLAY_SOCKS) {
		s = &u->socks[u->nsocks++];
	} else if (idle) {
		s = idle;
		if (s->fd >= 0)
			close(s->fd);
	} else {
		return NULL;
	}
	s->port = port;
	s->used_ns = now;
	s->fd = sock_open(u, port);
	s->flow = 0;
	s->flow_tried = 0;
	memset(&s->flow_dst, 0, sizeof(s->flow_dst));
	return s;
}

int vnet_underlay_send_gso(struct vnet_underlay *u,
			   const struct vnet_addr *dst, uint16_t sport,
			   uint16_t dport, const struct iovec *iov,
			   unsigned niov, size_t seg, uint64_t now_ns)
{
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(int))];
	} c;
	int tos = u->tos;
	struct sockaddr_storage ss;
	struct msghdr m = { 0 };
	struct cmsghdr *cm;
	struct pool_sock *s;
	uint16_t gso_size;
	size_t len = 0, nseg;
	unsigned i;
	ssize_t n;

	if (dst->family != u->local.family)
		return -EAFNOSUPPORT;
	for (i = 0; i < niov && i < GSO_IOV_MAX; i++)
		len += iov[i].iov_len;
	if (!seg || !len || niov > GSO_IOV_MAX ||
	    len > (dst->family == AF_INET6 ? VNET_UNDERLAY_GSO_MAX6
					   : VNET_UNDERLAY_GSO_MAX))
		return -EINVAL;
	if (!u->gso || !(s = sock_for(u, sport, now_ns)) || s->fd < 0)
		return -EOPNOTSUPP;
	if (u->ntx)
		vnet_underlay_flush(u);
	nseg = (len + seg - 1) / seg;
	m.msg_name = &ss;
	m.msg_namelen = vnet_addr_to_sockaddr(dst, dport, &ss);
	/* The first destination of a socket gets its label leased; another
	 * one (a second remote on this source port) the kernel's. */
	if (dst->family == AF_INET6 && !s->flow_tried) {
		s->flow = flow_lease(s->fd, sport, dst);
		s->flow_dst = *dst;
		s->flow_tried = 1;
	}
	if (s->flow && vnet_addr_eq(dst, &s->flow_dst))
		((struct sockaddr_in6 *)&ss)->sin6_flowinfo = htonl(s->flow);
	m.msg_iov = (struct iovec *)iov; /* sendmsg does not write it */
	m.msg_iovlen = niov;
	memset(&c, 0, sizeof(c));
	m.msg_control = c.b;
	m.msg_controllen = sizeof(c.b);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gso_size));
	gso_size = (uint16_t)seg;
	memcpy(CMSG_DATA(cm), &gso_size, sizeof(gso_size));
	/* The run's TOS or traffic class (vnet_underlay_set_tos), not the
	 * socket's. */
	cm = CMSG_NXTHDR(&m, cm);
	cm->cmsg_level = dst->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	cm->cmsg_type = dst->family == AF_INET6 ? IPV6_TCLASS : IP_TOS;
	cm->cmsg_len = CMSG_LEN(sizeof(tos));
	memcpy(CMSG_DATA(cm), &tos, sizeof(tos));

	do
		n = sendmsg(s->fd, &m, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		u->st.gso_sends++;
		u->st.gso_segments += nseg;
		u->st.tx_packets += nseg;
		u->st.tx_bytes += len + nseg * (dst->family == AF_INET6
							? IP6_UDP_HLEN
							: IP_UDP_HLEN);
		return 0;
	}
	switch (errno) {
	case EIO:
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		/* The kernel will not segment UDP on this route (an old
		 * kernel, IPsec, no checksum offload on the way out). */
		u->gso = 0;
		u->st.gso_disabled = 1;
		u->st.gso_errno = errno;
		u->st.gso_addr = *dst;
		return -EOPNOTSUPP;
	case EINVAL:
	case EMSGSIZE:
		/* A segment longer than the path MTU allows: sent one by
		 * one, each packet that fails is counted there. */
		return -EMSGSIZE;
	}
	u->st.send_errors += nseg;
	u->st.send_errno = errno;
	u->st.send_addr = *dst;
	return 0;
}

/* The segment size of a datagram coalesced by UDP GRO, or 0. */
static size_t gro_size(struct msghdr *m)
{
	struct cmsghdr *cm;
	int gso_size;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(gso_size))) {
			memcpy(&gso_size, CMSG_DATA(cm), sizeof(gso_size));
			return gso_size > 0 ? (size_t)gso_size : 0;
		}
	}
	return 0;
}

/* Step over the IPv4 header of a raw socket's packet at *p (*len bytes),
 * bytes past its total length are dropped: 0, or -1 for a packet too
 * short for its header. */
static int strip_ip4(const uint8_t **p, size_t *len)
{
	size_t ihl, tot;

	if (*len < VNET_IP4_HLEN)
		return -1;
	ihl = (size_t)((*p)[0] & 0x0f) * 4;
	tot = (size_t)(*p)[2] << 8 | (*p)[3];
	if (ihl < VNET_IP4_HLEN || ihl > *len || tot < ihl)
		return -1;
	if (tot < *len)
		*len = tot;
	*p += ihl;
	*len -= ihl;
	return 0;
}

/* The TOS (IP_RECVTOS) or traffic class (IPV6_RECVTCLASS, an int) of a
 * datagram, or -1. */
static int rx_tos(struct msghdr *m)
{
	struct cmsghdr *cm;
	int tc;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS &&
		    cm->cmsg_len >= CMSG_LEN(1))
			return *(const uint8_t *)CMSG_DATA(cm);
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_TCLASS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(tc))) {
			memcpy(&tc, CMSG_DATA(cm), sizeof(tc));
			return tc & 0xff;
		}
	}
	return -1;
}

int vnet_underlay_recv(struct vnet_underlay *u,
		       int (*fn)(void *, const struct vnet_underlay_dgram *),
		       void *arg)
{
	struct vnet_underlay_dgram d;
	unsigned i;
	int n, r;

	for (i = 0; i < u->batch; i++) {
		u->rxm[i].msg_hdr.msg_namelen = sizeof(u->rxaddr[i]);
		u->rxm[i].msg_hdr.msg_controllen = sizeof(u->rxcmsg[i]);
	}
	n = recvmmsg(u->rx_fd, u->rxm, u->batch, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	u->st.rx_datagrams += (unsigned)n;
	for (i = 0; i < (unsigned)n; i++) {
		struct msghdr *m = &u->rxm[i].msg_hdr;
		const uint8_t *p;
		size_t len, seg, off;

		if (m->msg_flags & MSG_TRUNC) {
			u->st.rx_truncated++;
			continue;
		}
		if (vnet_addr_from_sockaddr(&d.src, &d.sport, m->msg_name))
			continue;
		p = u->rxiov[i].iov_base;
		len = u->rxm[i].msg_len;
		/* An IPv4 raw socket hands the IP header too (reassembled:
		 * never a fragment); the payload is GRE. */
		if (u->proto == IPPROTO_GRE && d.src.family == AF_INET &&
		    strip_ip4(&p, &len))
			continue;
		seg = gro_size(m);
		d.tos = rx_tos(m);
		if (!seg || seg >= len) {
			d.data = p;
			d.len = len;
			if ((r = fn(arg, &d)) < 0)
				return r;
			continue;
		}
		/* Equal segments, the last one possibly shorter. */
		u->st.rx_gro_datagrams++;
		for (off = 0; off < len; off += seg) {
			u->st.rx_gro_segments++;
			d.data = p + off;
			d.len = len - off < seg ? len - off : seg;
			if ((r = fn(arg, &d)) < 0)
				return r;
		}
	}
	return n;
}
