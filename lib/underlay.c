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
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnet/err.h"
#include "vnet/pkt.h"
#include "vnet/underlay.h"
#include "vnet/vxlan.h" /* struct vnet_outer, vnet_outer_build_ip */

#define IP_UDP_HLEN (VNET_IP4_HLEN + VNET_UDP_HLEN)
#define SLOT (VNET_IP6_HLEN + VNET_UDP_HLEN + VNET_UNDERLAY_HDR_MAX)
#define RXSLOT 65536
#define GSO_IOV_MAX 1024 /* UIO_MAXIOV */
#define SOCK_SNDBUF (4 << 20)
#define BUF (8 << 20)

/* A socket bound to (local address, port) that sends the GSO runs of one
 * source port; fd -1 when the port could not be bound (the slot is held
 * until it is reused, so a port in use elsewhere is not retried on every
 * run). */
struct pool_sock {
	int fd;
	uint16_t port;
	uint64_t used_ns;
};

struct vnet_underlay {
	struct vnet_addr local;
	uint8_t ttl, tos;
	int gso;
	unsigned batch;
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
	const char *step;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned i;
	int one = 1, err;

	snprintf(name, sizeof(name),
		 c->bind.family == AF_INET6 ? "udp:[%s]:%u" : "udp:%s:%u",
		 vnet_addr_fmt(&c->bind, a), c->port);
	step = NULL; /* "an IPv6 underlay is not supported yet" */
	err = EAFNOSUPPORT;
	if (c->bind.family != AF_INET ||
	    (c->local.family && c->local.family != AF_INET))
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

	step = "UDP socket";
	u->rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (u->rx_fd < 0)
		goto fail;
	/* No SO_REUSEADDR: a second socket on ADDR:PORT would take over
	 * the datagrams of the one that holds it, with nothing said. */
	set_buf(u->rx_fd, SO_RCVBUFFORCE, SO_RCVBUF, BUF);
	/* Runs of datagrams of one flow arrive as one, up to 64 KiB, with
	 * their segment size in a cmsg (Linux 5.0; without it, one by one). */
	if (u->gso)
		setsockopt(u->rx_fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	/* The outer TOS of each datagram, for ECN decapsulation (RFC
	 * 6040 4.2); without it, tos -1. */
	setsockopt(u->rx_fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	sl = vnet_addr_to_sockaddr(&c->bind, c->port, &ss);
	step = "bind";
	if (bind(u->rx_fd, (struct sockaddr *)&ss, sl))
		goto fail;

	/* IPPROTO_RAW implies IP_HDRINCL; the kernel fills the IP ID and a
	 * zero source address. */
	step = "raw socket";
	u->tx_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
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
		if (step && err == EADDRINUSE) {
			vnet_err_set(e, name, 0, "%s: %s (another VTEP or "
				     "process holds it; ss -ulpn)", step,
				     strerror(err));
		} else if (step) {
			vnet_err_set(e, name, 0, "%s: %s", step, strerror(err));
			vnet_err_cap(e, err, "CAP_NET_RAW");
		} else {
			vnet_err_set(e, name, 0,
				     "an IPv6 underlay is not supported yet");
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
	int h;

	if (hlen > VNET_UNDERLAY_HDR_MAX || niov > VNET_UNDERLAY_IOV_MAX)
		return -EINVAL;
	for (i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (u->ntx == VNET_UNDERLAY_TXQ)
		vnet_underlay_flush(u);
	k = u->ntx;
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

/* A socket that sends from local:port like the raw path: DF set (RFC 7348
 * 4.3: never fragment), the TTL and TOS of the configuration.  It never
 * reads; a filter that keeps no byte drops what arrives before it is
 * queued.  The fd, or -1. */
static int sock_open(const struct vnet_underlay *u, uint16_t port)
{
	static struct sock_filter drop_all[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	const struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int fd, pmtu = IP_PMTUDISC_DO, ttl = u->ttl, tos = u->tos;
	struct sockaddr_storage ss;
	socklen_t sl;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sl = vnet_addr_to_sockaddr(&u->local, port, &ss);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) ||
	    bind(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		return -1;
	}
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_SNDBUF);
	return fd;
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
	if (!seg || !len || len > VNET_UNDERLAY_GSO_MAX || niov > GSO_IOV_MAX)
		return -EINVAL;
	if (!u->gso || !(s = sock_for(u, sport, now_ns)) || s->fd < 0)
		return -EOPNOTSUPP;
	if (u->ntx)
		vnet_underlay_flush(u);
	nseg = (len + seg - 1) / seg;
	m.msg_name = &ss;
	m.msg_namelen = vnet_addr_to_sockaddr(dst, dport, &ss);
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
	/* The run's TOS (vnet_underlay_set_tos), not the socket's. */
	cm = CMSG_NXTHDR(&m, cm);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_TOS;
	cm->cmsg_len = CMSG_LEN(sizeof(tos));
	memcpy(CMSG_DATA(cm), &tos, sizeof(tos));

	do
		n = sendmsg(s->fd, &m, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		u->st.gso_sends++;
		u->st.gso_segments += nseg;
		u->st.tx_packets += nseg;
		u->st.tx_bytes += len + nseg * IP_UDP_HLEN;
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

/* The TOS of a datagram (IP_RECVTOS), or -1. */
static int rx_tos(struct msghdr *m)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS &&
		    cm->cmsg_len >= CMSG_LEN(1))
			return *(const uint8_t *)CMSG_DATA(cm);
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
