/* SPDX-License-Identifier: ISC */
/* vtep.c -- VXLAN encapsulation and decapsulation for vnet-encap.
 *
 * Encap: an inner frame's segment (segment.h) picks the VNI, the FDB
 * picks the remote VTEP (unknown unicast and BUM go to every remote of the
 * VNI's flood list: head-end replication), the inner flow hash picks the
 * UDP source port.  The outer headers are built in a slot of a transmit
 * queue and the frame itself is referenced by an iovec: no copy, no
 * allocation, one sendmmsg per batch.  On a UDP underlay, consecutive
 * unicast frames of one flow that are as long as the first but the last
 * (the segments of a TSO super-frame) are gathered in a run instead and
 * leave in one UDP GSO send (gso.c).
 *
 * Decap: the VXLAN header is checked (I flag; reserved bits with
 * --strict), the VNI must be known, the inner frame must be untagged
 * (RFC 7348 6.1; segment.h tells); the source MAC is learned behind the
 * outer source address, and the frame leaves tagged with the VNI's VLAN,
 * if mapped.
 * A datagram that UDP GRO coalesced is cut at its segment size first.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnet/bytes.h"
#include "vnet/clock.h"
#include "vnet/hash.h"
#include "vnet/log.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "vnet/vxlan.h"
#include "vtep.h"

/* Outer header bytes counted against the underlay MTU: IPv4 + UDP + VXLAN. */
#define VTEP_IP4_OVERHEAD (VNET_IP4_HLEN + VNET_UDP_HLEN + VNET_VXLAN_HLEN)
/* The UDP payload of one GSO send: a 64 KiB IPv4 packet. */
#define VTEP_GSO_MAX (65535 - VNET_IP4_HLEN - VNET_UDP_HLEN)
#define VTEP_MAX_FLOOD 64
#define VTEP_HASH_SEED 0x5678a1b3u

static const char *const ctr_names[C_MAX] = {
	[C_INNER_RX_FRAMES] = "inner_rx_frames",
	[C_INNER_RX_BYTES] = "inner_rx_bytes",
	[C_ENCAP_PACKETS] = "encap_packets",
	[C_ENCAP_BYTES] = "encap_bytes",
	[C_ENCAP_GSO_SENDS] = "encap_gso_sends",
	[C_ENCAP_GSO_SEGMENTS] = "encap_gso_segments",
	[C_FLOOD_PACKETS] = "flood_packets",
	[C_DECAP_FRAMES] = "decap_frames",
	[C_DECAP_BYTES] = "decap_bytes",
	[C_DECAP_GRO_DATAGRAMS] = "decap_gro_datagrams",
	[C_DECAP_GRO_SEGMENTS] = "decap_gro_segments",
	[C_INNER_TX_FRAMES] = "inner_tx_frames",
	[C_INNER_TX_ERRORS] = "inner_tx_errors",
	[C_ARP_REPLIES] = "arp_replies",
	[C_DROP_INNER_RUNT] = "drop_inner_runt",
	[C_DROP_NO_VNI] = "drop_no_vni",
	[C_DROP_UNKNOWN_VLAN] = "drop_unknown_vlan",
	[C_DROP_STACKED_TAG] = "drop_stacked_tag",
	[C_DROP_S_TAG] = "drop_s_tag",
	[C_DROP_RESERVED_VID] = "drop_reserved_vid",
	[C_DROP_TOO_BIG] = "drop_too_big",
	[C_DROP_NO_REMOTE] = "drop_no_remote",
	[C_DROP_SEND_ERROR] = "drop_send_error",
	[C_DROP_FAMILY] = "drop_family",
	[C_DROP_UNKNOWN_VNI] = "drop_unknown_vni",
	[C_DROP_INNER_TAGGED] = "drop_inner_tagged",
	[C_DROP_RX_TRUNCATED] = "drop_rx_truncated",
	[C_DROP_SHORT] = "drop_short",
	[C_DROP_NOT_IP] = "drop_not_ip",
	[C_DROP_IP_BAD] = "drop_ip_bad",
	[C_DROP_FRAGMENT] = "drop_fragment",
	[C_DROP_NOT_UDP] = "drop_not_udp",
	[C_DROP_UDP_BAD] = "drop_udp_bad",
	[C_DROP_WRONG_PORT] = "drop_wrong_port",
	[C_DROP_NOT_LOCAL] = "drop_not_local",
	[C_DROP_NO_I_FLAG] = "drop_no_i_flag",
	[C_DROP_RESERVED] = "drop_reserved",
	[C_DROP_INNER_SHORT] = "drop_inner_short",
	[C_STREAM_TRUNCATED] = "stream_truncated",
	[C_STREAM_OVERSIZE] = "stream_oversize",
	[C_STREAM_RUNT] = "stream_runt",
	[C_STREAM_NOT_ETHERNET] = "stream_not_ethernet",
	[C_STREAM_TRAILING] = "stream_trailing_bytes",
	[C_TAP_SUPERFRAMES] = "tap_superframes",
	[C_TAP_COALESCED] = "tap_coalesced",
	[C_TAP_OFFLOAD_ERRORS] = "tap_offload_errors",
	[C_FDB_ENTRIES] = "fdb_entries",
	[C_FDB_LEARNED] = "fdb_learned",
	[C_FDB_MOVED] = "fdb_moved",
	[C_FDB_AGED] = "fdb_aged",
	[C_FDB_OVERFLOW] = "fdb_overflow",
};

/* The counter of an inner frame that has no segment. */
static const unsigned seg_drop[VNET_SEG_KIND_MAX] = {
	[VNET_SEG_STACKED] = C_DROP_STACKED_TAG,
	[VNET_SEG_S_TAG] = C_DROP_S_TAG,
	[VNET_SEG_RESERVED_VID] = C_DROP_RESERVED_VID,
	[VNET_SEG_RUNT] = C_DROP_INNER_RUNT,
};

static struct vnet_ratelimit send_rl = VNET_RATELIMIT_INIT(1, 5);
static struct vnet_ratelimit vni_rl = VNET_RATELIMIT_INIT(1, 5);

void vtep_init_counters(struct vtep *v)
{
	int i;

	for (i = 0; i < C_MAX; i++)
		v->ctr[i].name = ctr_names[i];
}

void vtep_sync_counters(struct vtep *v)
{
	const struct vnet_fdb_stats *fs = vnet_fdb_stats(v->fdb);
	const struct vnet_sr_stats *in = vnet_port_rstats(v->inner);
	const struct vnet_sr_stats *out =
		v->outer ? vnet_port_rstats(v->outer) : NULL;

	const struct vnet_port_tap_stats *ts = vnet_port_tstats(v->inner);

	if (ts) {
		v->ctr[C_TAP_SUPERFRAMES].value = ts->superframes;
		v->ctr[C_TAP_COALESCED].value = ts->coalesced;
		v->ctr[C_TAP_OFFLOAD_ERRORS].value = ts->offload_errors;
	}
	v->ctr[C_FDB_ENTRIES].value = fs->entries;
	v->ctr[C_FDB_LEARNED].value = fs->learned;
	v->ctr[C_FDB_MOVED].value = fs->moved;
	v->ctr[C_FDB_AGED].value = fs->aged;
	v->ctr[C_FDB_OVERFLOW].value = fs->overflow;
	v->ctr[C_STREAM_TRUNCATED].value = (in ? in->truncated : 0) +
					   (out ? out->truncated : 0);
	v->ctr[C_STREAM_OVERSIZE].value = (in ? in->oversize : 0) +
					  (out ? out->oversize : 0);
	v->ctr[C_STREAM_RUNT].value = (in ? in->runt : 0) +
				      (out ? out->runt : 0);
	v->ctr[C_STREAM_NOT_ETHERNET].value = (in ? in->not_ethernet : 0) +
					      (out ? out->not_ethernet : 0);
	v->ctr[C_STREAM_TRAILING].value = (in ? in->trailing_bytes : 0) +
					  (out ? out->trailing_bytes : 0);
}

/* Step `what` of opening the underlay `name` failed with errno err. */
static int step_failed(struct vnet_err *e, const char *name, const char *what,
		       int err)
{
	vnet_err_set(e, name, 0, "%s: %s", what, strerror(err));
	if (e)
		e->errnum = err;
	return -err;
}

static void set_buf(int fd, int force, int plain, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size));
}

int vtep_open_udp(struct vtep *v, const struct vnet_addr *bind_addr,
		  uint16_t port, struct vnet_err *e)
{
	char a[VNET_ADDRSTRLEN], name[VNET_ADDRSTRLEN + 16];
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, i;

	snprintf(name, sizeof(name), bind_addr->family == AF_INET6
					     ? "udp:[%s]:%u" : "udp:%s:%u",
		 vnet_addr_fmt(bind_addr, a), port);
	if (bind_addr->family != AF_INET) {
		vnet_err_set(e, name, 0, "an IPv6 underlay is not supported "
			     "yet");
		if (e)
			e->errnum = EAFNOSUPPORT;
		return -EAFNOSUPPORT;
	}
	v->rx_sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	if (v->rx_sock < 0)
		return step_failed(e, name, "UDP socket", errno);
	setsockopt(v->rx_sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_buf(v->rx_sock, SO_RCVBUFFORCE, SO_RCVBUF, 8 << 20);
	/* Runs of datagrams of one flow arrive as one, up to 64 KiB, with
	 * their segment size in a cmsg (Linux 5.0; without it, one by one). */
	if (v->gso)
		setsockopt(v->rx_sock, SOL_UDP, UDP_GRO, &one, sizeof(one));
	sl = vnet_addr_to_sockaddr(bind_addr, port, &ss);
	if (bind(v->rx_sock, (struct sockaddr *)&ss, sl))
		return step_failed(e, name, "bind", errno);

	/* A raw socket sends: an ordinary UDP socket would put its one bound
	 * port in every packet, and RFC 7348 5 wants the source port to
	 * carry the inner flow's entropy.  IPPROTO_RAW implies IP_HDRINCL;
	 * the kernel fills the IP ID and a zero source address. */
	v->tx_sock = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (v->tx_sock < 0)
		return step_failed(e, name,
				   "raw socket (CAP_NET_RAW is needed)", errno);
	set_buf(v->tx_sock, SO_SNDBUFFORCE, SO_SNDBUF, 8 << 20);

	if (!(v->rxbuf = malloc((size_t)VTEP_BATCH * VTEP_RXSLOT)))
		return step_failed(e, name, "receive buffers", errno);
	for (i = 0; i < VTEP_BATCH; i++) {
		v->rxiov[i].iov_base = v->rxbuf + (size_t)i * VTEP_RXSLOT;
		v->rxiov[i].iov_len = VTEP_RXSLOT;
		v->rxm[i].msg_hdr.msg_iov = &v->rxiov[i];
		v->rxm[i].msg_hdr.msg_iovlen = 1;
		v->rxm[i].msg_hdr.msg_name = &v->rxaddr[i];
		v->rxm[i].msg_hdr.msg_control = v->rxcmsg[i].b;
	}
	for (i = 0; i < VTEP_TXQ; i++) {
		v->txm[i].msg_hdr.msg_iov = v->txiov[i];
		v->txm[i].msg_hdr.msg_name = &v->txaddr[i];
	}
	return 0;
}

void vtep_close_udp(struct vtep *v)
{
	vtep_gso_close(v);
	if (v->rx_sock >= 0)
		close(v->rx_sock);
	if (v->tx_sock >= 0)
		close(v->tx_sock);
	v->rx_sock = v->tx_sock = -1;
	free(v->rxbuf);
	v->rxbuf = NULL;
}

int vtep_vni_vlan(const struct vtep *v, uint32_t vni)
{
	size_t lo = 0, hi = v->nmaps;

	if (vni == v->vni)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->maps[mid].vni == vni)
			return v->maps[mid].vlan;
		if (v->maps[mid].vni < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const uint8_t *neigh_mac(const struct vtep *v,
				const struct vnet_addr *ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned i;

	for (i = 0; i < v->nneigh; i++)
		if (vnet_addr_eq(&v->neigh[i].ip, ip))
			return v->neigh[i].mac;
	/* Not heard from yet: broadcast, which a vnet VTEP floods and a
	 * kernel stack accepts for a unicast IP destination. */
	return bcast;
}

static void neigh_learn(struct vtep *v, const struct vnet_addr *ip,
			const uint8_t *mac)
{
	unsigned i;

	if (vnet_mac_is_multicast(mac) || vnet_mac_is_zero(mac))
		return;
	for (i = 0; i < v->nneigh; i++) {
		if (vnet_addr_eq(&v->neigh[i].ip, ip)) {
			memcpy(v->neigh[i].mac, mac, 6);
			return;
		}
	}
	if (v->nneigh < VTEP_NEIGH) {
		i = v->nneigh++;
	} else {
		i = v->neigh_next;
		v->neigh_next = (v->neigh_next + 1) % VTEP_NEIGH;
	}
	v->neigh[i].ip = *ip;
	memcpy(v->neigh[i].mac, mac, 6);
}

int vtep_flush_outer(struct vtep *v)
{
	unsigned off = 0, i;
	int r;

	if (v->outer)
		return vnet_port_flush(v->outer);
	while (off < v->ntx) {
		r = sendmmsg(v->tx_sock, v->txm + off, v->ntx - off, 0);
		if (r < 0) {
			char a[VNET_ADDRSTRLEN];
			struct vnet_addr dst;

			if (errno == EINTR)
				continue;
			/* The message at off failed; count it, go on. */
			vnet_addr_from_sockaddr(
				&dst, NULL, (struct sockaddr *)&v->txaddr[off]);
			vnet_log_rl(&send_rl, vnet_clock_wall(), VNET_LOG_WARN,
				    "send to %s: %s", vnet_addr_fmt(&dst, a),
				    strerror(errno));
			v->ctr[C_DROP_SEND_ERROR].value++;
			off++;
			continue;
		}
		for (i = off; i < off + (unsigned)r; i++)
			v->ctr[C_ENCAP_BYTES].value += v->txm[i].msg_len;
		v->ctr[C_ENCAP_PACKETS].value += (unsigned)r;
		off += (unsigned)r;
	}
	v->ntx = 0;
	return 0;
}

/* Queue or write one outer packet carrying the inner frame in iov[0..n). */
static int emit(struct vtep *v, const struct vnet_addr *remote,
		uint16_t sport, uint32_t vni, const struct iovec *in, int nin,
		size_t ilen, uint64_t ts)
{
	struct vnet_outer o = {
		.src = v->local,
		.dst = *remote,
		.sport = sport,
		.dport = v->dstport,
		.ttl = v->ttl,
		.tos = v->tos,
	};
	struct iovec iov[3];
	uint8_t hdr[64];
	int h, i, r;

	if (remote->family != v->local.family) {
		/* e.g. an IPv6 remote in an --fdb file of an IPv4 VTEP */
		v->ctr[C_DROP_FAMILY].value++;
		return 0;
	}
	if (v->outer) {
		memcpy(o.smac, v->local_mac, 6);
		memcpy(o.dmac, neigh_mac(v, remote), 6);
		h = vnet_outer_build_eth(hdr, sizeof(hdr), &o,
					 VNET_VXLAN_HLEN + ilen);
		if (h < 0)
			return h;
		vnet_vxlan_encode(hdr + h, vni);
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)h + VNET_VXLAN_HLEN;
		for (i = 0; i < nin; i++)
			iov[i + 1] = in[i];
		r = vnet_port_send(v->outer, ts, iov, nin + 1);
		if (r == -EMSGSIZE) {
			v->ctr[C_DROP_TOO_BIG].value++;
			return 0;
		}
		if (r < 0)
			return r;
		v->ctr[C_ENCAP_PACKETS].value++;
		v->ctr[C_ENCAP_BYTES].value += iov[0].iov_len + ilen;
		return 0;
	}

	if (v->ntx == VTEP_TXQ)
		vtep_flush_outer(v);
	i = (int)v->ntx;
	h = vnet_outer_build_ip(v->txhdr[i], sizeof(v->txhdr[i]), &o,
				VNET_VXLAN_HLEN + ilen);
	if (h < 0)
		return h;
	vnet_vxlan_encode(v->txhdr[i] + h, vni);
	v->txiov[i][0].iov_base = v->txhdr[i];
	v->txiov[i][0].iov_len = (size_t)h + VNET_VXLAN_HLEN;
	memcpy(&v->txiov[i][1], in, sizeof(*in) * (size_t)nin);
	v->txm[i].msg_hdr.msg_iovlen = (size_t)nin + 1;
	v->txm[i].msg_hdr.msg_namelen =
		vnet_addr_to_sockaddr(remote, 0, &v->txaddr[i]);
	v->ntx++;
	return 0;
}

/* Send the pending run: in one UDP GSO send, or packet by packet. */
static int run_flush(struct vtep *v)
{
	struct vtep_run *u = &v->run;
	unsigned i;
	int r = 0;

	if (!u->n)
		return 0;
	if (u->n == 1 || vtep_gso_send(v))
		for (i = 0; i < u->n && r >= 0; i++)
			r = emit(v, &u->remote, u->sport, u->vni, u->f[i].in,
				 u->f[i].nin, u->f[i].ilen, u->ts);
	u->n = 0;
	return r;
}

/* Add a unicast frame for the UDP underlay to the pending run; a frame
 * that does not continue the run sends it and starts the next. */
static int run_add(struct vtep *v, const struct vnet_addr *remote,
		   uint16_t sport, uint32_t vni, const struct iovec *in,
		   int nin, size_t ilen, uint64_t ts, uint64_t now)
{
	struct vtep_run *u = &v->run;
	int r;

	if (u->n &&
	    (u->closed || u->n == VTEP_GSO_SEGS || u->sport != sport ||
	     u->vni != vni || ilen > u->ilen ||
	     u->bytes + VNET_VXLAN_HLEN + ilen > VTEP_GSO_MAX ||
	     !vnet_addr_eq(&u->remote, remote)) &&
	    (r = run_flush(v)) < 0)
		return r;
	if (!u->n) {
		u->remote = *remote;
		u->sport = sport;
		u->vni = vni;
		u->ilen = ilen;
		u->bytes = 0;
		u->closed = 0;
		u->ts = ts;
	}
	u->now = now;
	memcpy(u->f[u->n].in, in, sizeof(*in) * (size_t)nin);
	u->f[u->n].nin = nin;
	u->f[u->n].ilen = ilen;
	u->n++;
	u->bytes += VNET_VXLAN_HLEN + ilen;
	/* Only the last segment of a GSO send may be shorter. */
	if (ilen < u->ilen)
		u->closed = 1;
	return 0;
}

int vtep_encap(struct vtep *v, const struct vnet_frame *f, unsigned n)
{
	const struct vnet_addr *rem[VTEP_MAX_FLOOD];
	unsigned k;

	for (k = 0; k < n; k++) {
		const uint8_t *d = f[k].data;
		size_t len = f[k].len, ilen, l2, nr, j;
		struct iovec in[2];
		struct vnet_pkt pkt;
		uint32_t vni, h;
		uint16_t vid, sport;
		uint64_t now;
		int nin, r, seg, flood = 0;

		v->ctr[C_INNER_RX_FRAMES].value++;
		v->ctr[C_INNER_RX_BYTES].value += len;
		vnet_clock_observe(f[k].ts_ns);
		/* The outermost tag names the segment (segment.h); it does
		 * not travel (RFC 7348 6.1). */
		switch ((seg = vnet_segment_of(d, len, &vid, &l2))) {
		case VNET_SEG_UNTAGGED:
		case VNET_SEG_PRIORITY:
			vni = v->vni;
			break;
		case VNET_SEG_TAGGED:
			vni = v->vlan_vni[vid];
			break;
		default:
			v->ctr[seg_drop[seg]].value++;
			continue;
		}
		if (vni == VTEP_NO_VNI) {
			v->ctr[seg == VNET_SEG_TAGGED ? C_DROP_UNKNOWN_VLAN
						     : C_DROP_NO_VNI]
				.value++;
			continue;
		}
		if (l2 > VNET_ETH_HLEN) {
			in[0].iov_base = (void *)d;
			in[0].iov_len = 12;
			in[1].iov_base = (void *)(d + l2 - 2);
			in[1].iov_len = len - (l2 - 2);
			nin = 2;
			ilen = len - (l2 - VNET_ETH_HLEN);
		} else {
			in[0].iov_base = (void *)d;
			in[0].iov_len = len;
			nin = 1;
			ilen = len;
		}
		/* Never fragment, never truncate (RFC 7348 4.3). */
		if (ilen + VTEP_IP4_OVERHEAD > v->mtu) {
			v->ctr[C_DROP_TOO_BIG].value++;
			continue;
		}
		now = vnet_clock_now();
		if (!vnet_mac_is_multicast(d) &&
		    (rem[0] = vnet_fdb_lookup(v->fdb, vni, d, now))) {
			nr = 1;
		} else {
			nr = vnet_fdb_flood(v->fdb, vni, rem, VTEP_MAX_FLOOD);
			if (!nr) {
				v->ctr[C_DROP_NO_REMOTE].value++;
				continue;
			}
			v->ctr[C_FLOOD_PACKETS].value += nr;
			flood = 1;
		}
		vnet_pkt_parse(d, len, &pkt);
		h = vnet_flow_hash(&pkt, VTEP_HASH_SEED, 0);
		sport = (uint16_t)(v->sport_lo +
				   h % ((uint32_t)v->sport_hi - v->sport_lo + 1));
		if (!flood && v->gso && !v->outer &&
		    rem[0]->family == v->local.family) {
			if ((r = run_add(v, rem[0], sport, vni, in, nin, ilen,
					 f[k].ts_ns, now)) < 0)
				return r;
			continue;
		}
		/* Floods and frames for a stream go as they come, after the
		 * run before them. */
		if ((r = run_flush(v)) < 0)
			return r;
		for (j = 0; j < nr; j++)
			if ((r = emit(v, rem[j], sport, vni, in, nin, ilen,
				      f[k].ts_ns)) < 0)
				return r;
	}
	return run_flush(v);
}

/* One VXLAN payload (header + inner frame) from remote. */
static int decap_one(struct vtep *v, const struct vnet_addr *remote,
		     const uint8_t *p, size_t plen, uint64_t ts)
{
	const uint8_t *in;
	struct iovec iov[3];
	uint8_t tag[4];
	size_t ilen;
	uint32_t vni;
	int vlan, r, n;

	if ((r = vnet_vxlan_decode(p, plen, v->strict, &vni))) {
		v->ctr[C_DROP_SHORT + r - 1].value++;
		return 0;
	}
	if ((vlan = vtep_vni_vlan(v, vni)) < 0) {
		v->ctr[C_DROP_UNKNOWN_VNI].value++;
		vnet_log_rl(&vni_rl, vnet_clock_wall(), VNET_LOG_INFO,
			    "dropped a packet for unknown VNI %u", vni);
		return 0;
	}
	in = p + VNET_VXLAN_HLEN;
	ilen = plen - VNET_VXLAN_HLEN;
	/* A tunnel carries untagged frames only (RFC 7348 6.1): any tag,
	 * a priority tag too, is dropped. */
	if (vnet_segment_of(in, ilen, NULL, NULL) != VNET_SEG_UNTAGGED) {
		v->ctr[C_DROP_INNER_TAGGED].value++;
		return 0;
	}
	v->ctr[C_DECAP_FRAMES].value++;
	v->ctr[C_DECAP_BYTES].value += ilen;
	if (v->learn && !vnet_mac_is_multicast(in + 6) &&
	    !vnet_mac_is_zero(in + 6))
		vnet_fdb_learn(v->fdb, vni, in + 6, remote, vnet_clock_now());
	if (vlan) {
		vnet_put16(tag, VNET_ETH_P_8021Q);
		vnet_put16(tag + 2, (uint32_t)vlan);
		iov[0].iov_base = (void *)in;
		iov[0].iov_len = 12;
		iov[1].iov_base = tag;
		iov[1].iov_len = 4;
		iov[2].iov_base = (void *)(in + 12);
		iov[2].iov_len = ilen - 12;
		n = 3;
	} else {
		iov[0].iov_base = (void *)in;
		iov[0].iov_len = ilen;
		n = 1;
	}
	r = vnet_port_send(v->inner, ts, iov, n);
	if (r == -EPIPE)
		return r;
	if (r < 0) {
		v->ctr[C_INNER_TX_ERRORS].value++;
		return 0;
	}
	v->ctr[C_INNER_TX_FRAMES].value++;
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

int vtep_recv_udp(struct vtep *v)
{
	struct vnet_addr src;
	uint64_t ts;
	int n, i, r;

	for (i = 0; i < VTEP_BATCH; i++) {
		v->rxm[i].msg_hdr.msg_namelen = sizeof(v->rxaddr[i]);
		v->rxm[i].msg_hdr.msg_controllen = sizeof(v->rxcmsg[i]);
	}
	n = recvmmsg(v->rx_sock, v->rxm, VTEP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	ts = vnet_clock_wall();
	for (i = 0; i < n; i++) {
		struct msghdr *m = &v->rxm[i].msg_hdr;
		const uint8_t *p;
		size_t len, seg, off;

		if (m->msg_flags & MSG_TRUNC) {
			v->ctr[C_DROP_RX_TRUNCATED].value++;
			continue;
		}
		if (vnet_addr_from_sockaddr(&src, NULL, m->msg_name))
			continue;
		p = v->rxiov[i].iov_base;
		len = v->rxm[i].msg_len;
		seg = gro_size(m);
		if (!seg || seg >= len) {
			if ((r = decap_one(v, &src, p, len, ts)) < 0)
				return r;
			continue;
		}
		/* Equal segments, the last one possibly shorter. */
		v->ctr[C_DECAP_GRO_DATAGRAMS].value++;
		for (off = 0; off < len; off += seg) {
			v->ctr[C_DECAP_GRO_SEGMENTS].value++;
			r = decap_one(v, &src, p + off,
				      len - off < seg ? len - off : seg, ts);
			if (r < 0)
				return r;
		}
	}
	return n;
}

/* Answer ARP requests for our outer address on a frame-stream underlay,
 * so a kernel stack behind a tap can reach this VTEP. */
static int outer_arp(struct vtep *v, const uint8_t *d, size_t len,
		     uint64_t ts)
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	const uint8_t *a = d + VNET_ETH_HLEN;
	struct vnet_addr sender;
	uint8_t reply[42];
	struct iovec iov = { reply, sizeof(reply) };

	if (len < VNET_ETH_HLEN + 28 || memcmp(a, hdr, 8) ||
	    v->local.family != AF_INET || memcmp(a + 24, v->local.b, 4))
		return 0;
	vnet_addr_from_v4(&sender, a + 14);
	neigh_learn(v, &sender, a + 8);
	memcpy(reply, a + 8, 6);
	memcpy(reply + 6, v->local_mac, 6);
	reply[12] = 0x08;
	reply[13] = 0x06;
	memcpy(reply + 14, hdr, 7);
	reply[21] = 2; /* reply */
	memcpy(reply + 22, v->local_mac, 6);
	memcpy(reply + 28, v->local.b, 4);
	memcpy(reply + 32, a + 8, 10); /* sender MAC + IP become target */
	v->ctr[C_ARP_REPLIES].value++;
	return vnet_port_send(v->outer, ts, &iov, 1);
}

int vtep_decap_frames(struct vtep *v, const struct vnet_frame *f, unsigned n)
{
	unsigned k;
	int r;

	for (k = 0; k < n; k++) {
		const uint8_t *pl;
		struct vnet_outer o;
		size_t plen;

		vnet_clock_observe(f[k].ts_ns);
		if (f[k].len >= VNET_ETH_HLEN && f[k].data[12] == 0x08 &&
		    f[k].data[13] == 0x06) {
			if ((r = outer_arp(v, f[k].data, f[k].len,
					   f[k].ts_ns)) < 0)
				return r;
			continue;
		}
		r = vnet_outer_parse_eth(f[k].data, f[k].len, &o, &pl, &plen);
		if (r) {
			v->ctr[C_DROP_SHORT + r - 1].value++;
			continue;
		}
		if (o.dport != v->dstport) {
			v->ctr[C_DROP_WRONG_PORT].value++;
			continue;
		}
		if (!vnet_addr_eq(&o.dst, &v->local)) {
			v->ctr[C_DROP_NOT_LOCAL].value++;
			continue;
		}
		neigh_learn(v, &o.src, o.smac);
		if ((r = decap_one(v, &o.src, pl, plen, f[k].ts_ns)) < 0)
			return r;
	}
	return 0;
}
