/* SPDX-License-Identifier: ISC */
/* gso.c -- UDP GSO sends of vnet-encap: a run of equal outer packets in one
 * sendmsg, from a socket bound to the run's source port.
 *
 * A TSO super-frame read from the tap is cut into wire-size frames that
 * all go to one remote with one source port (the flow hash) and VNI.
 * Sent through the raw socket they cost the kernel a route lookup, a
 * socket buffer and a trip through the stack each; with UDP_SEGMENT the
 * whole run travels the stack as one packet and is cut only where it has
 * to be: by the NIC, or by the kernel in front of a device that cannot.
 * A veth hands it as it is to the other namespace, where UDP GRO delivers
 * it to the peer's socket in one piece.
 *
 * An ordinary UDP socket sends from the one port it is bound to, and the
 * source port must stay the flow hash (RFC 7348 5), so each source port in
 * use gets a socket of its own: a pool of VTEP_SOCKS, opened on first use,
 * a slot idle for VTEP_SOCK_IDLE_NS reused when the pool is full.  Runs
 * that find no socket go through the raw socket packet by packet.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/pkt.h"
#include "vnet/vxlan.h"
#include "vtep.h"

#define VTEP_SOCK_IDLE_NS (10 * 1000000000ULL)

static struct vnet_ratelimit gso_rl = VNET_RATELIMIT_INIT(1, 5);

/* A socket that sends from local:port like the raw path: DF set (RFC 7348
 * 4.3: never fragment), the TTL and TOS of the options.  It never reads;
 * a filter that keeps no byte drops what arrives before it is queued.
 * The fd, or -1. */
static int sock_open(const struct vtep *v, uint16_t port)
{
	static struct sock_filter drop_all[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	const struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int fd, pmtu = IP_PMTUDISC_DO, ttl = v->ttl, tos = v->tos;
	int sndbuf = 4 << 20;
	struct sockaddr_storage ss;
	socklen_t sl;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sl = vnet_addr_to_sockaddr(&v->local, port, &ss);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) ||
	    bind(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return fd;
}

/* The pool slot of port, opened if new; NULL when the pool is full of
 * slots in use. */
static struct vtep_sock *sock_for(struct vtep *v, uint16_t port, uint64_t now)
{
	struct vtep_sock *s, *idle = NULL;
	unsigned i;

	for (i = 0; i < v->nsocks; i++) {
		s = &v->socks[i];
		if (s->port == port) {
			s->used_ns = now;
			return s;
		}
		if (now > s->used_ns && now - s->used_ns >= VTEP_SOCK_IDLE_NS &&
		    (!idle || s->used_ns < idle->used_ns))
			idle = s;
	}
	if (v->nsocks < VTEP_SOCKS) {
		s = &v->socks[v->nsocks++];
	} else if (idle) {
		s = idle;
		if (s->fd >= 0)
			close(s->fd);
	} else {
		return NULL;
	}
	s->port = port;
	s->used_ns = now;
	s->fd = sock_open(v, port);
	return s;
}

void vtep_gso_close(struct vtep *v)
{
	unsigned i;

	for (i = 0; i < v->nsocks; i++)
		if (v->socks[i].fd >= 0)
			close(v->socks[i].fd);
	v->nsocks = 0;
}

int vtep_gso_send(struct vtep *v)
{
	const struct vtep_run *u = &v->run;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
	} c;
	uint8_t hdr[VNET_VXLAN_HLEN];
	struct sockaddr_storage ss;
	struct msghdr m = { 0 };
	struct cmsghdr *cm;
	struct vtep_sock *s;
	uint16_t gso_size;
	char a[VNET_ADDRSTRLEN];
	unsigned i, k = 0;
	ssize_t n;
	int j;

	if (!v->gso || !(s = sock_for(v, u->sport, u->now)) || s->fd < 0)
		return 1;
	if (v->ntx)
		vtep_flush_outer(v);
	/* Every segment starts with the same VXLAN header. */
	vnet_vxlan_encode(hdr, u->vni);
	for (i = 0; i < u->n; i++) {
		v->gsoiov[k].iov_base = hdr;
		v->gsoiov[k++].iov_len = sizeof(hdr);
		for (j = 0; j < u->f[i].nin; j++)
			v->gsoiov[k++] = u->f[i].in[j];
	}
	m.msg_name = &ss;
	m.msg_namelen = vnet_addr_to_sockaddr(&u->remote, v->dstport, &ss);
	m.msg_iov = v->gsoiov;
	m.msg_iovlen = k;
	m.msg_control = c.b;
	m.msg_controllen = sizeof(c.b);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gso_size));
	gso_size = (uint16_t)(VNET_VXLAN_HLEN + u->ilen);
	memcpy(CMSG_DATA(cm), &gso_size, sizeof(gso_size));

	do
		n = sendmsg(s->fd, &m, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		v->ctr[C_ENCAP_GSO_SENDS].value++;
		v->ctr[C_ENCAP_GSO_SEGMENTS].value += u->n;
		v->ctr[C_ENCAP_PACKETS].value += u->n;
		v->ctr[C_ENCAP_BYTES].value +=
			u->bytes + u->n * (VNET_IP4_HLEN + VNET_UDP_HLEN);
		return 0;
	}
	switch (errno) {
	case EIO:
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		/* The kernel will not segment UDP on this route (an old
		 * kernel, IPsec, no checksum offload on the way out). */
		vnet_log(VNET_LOG_WARN, "UDP GSO to %s: %s; sending packet "
			 "by packet", vnet_addr_fmt(&u->remote, a),
			 strerror(errno));
		v->gso = 0;
		return 1;
	case EINVAL:
	case EMSGSIZE:
		/* A segment longer than the path MTU allows: the raw path
		 * tries each packet and counts what fails. */
		return 1;
	}
	vnet_log_rl(&gso_rl, vnet_clock_wall(), VNET_LOG_WARN, "send to %s: %s",
		    vnet_addr_fmt(&u->remote, a), strerror(errno));
	v->ctr[C_DROP_SEND_ERROR].value += u->n;
	return 0;
}
