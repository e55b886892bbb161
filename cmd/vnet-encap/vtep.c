/* SPDX-License-Identifier: ISC */
/* vtep.c -- encapsulation and decapsulation for vnet-encap.
 *
 * The kind of encapsulation is a row of kinds[] (VXLAN, RFC 7348): its
 * header length, port and codec.  Everything else is the same for every
 * kind.
 *
 * Encap: an inner frame's segment (segment.h) picks the VNI, the FDB
 * picks the remote VTEP (unknown unicast and BUM go to every remote of the
 * VNI's flood list: head-end replication), the inner flow hash picks the
 * UDP source port.  On a UDP underlay (lib/underlay.c) the outer headers
 * are built in a slot of its transmit queue and the frame itself is
 * referenced by an iovec: no copy, no allocation, one sendmmsg per batch.
 * Consecutive unicast frames of one flow that are as long as the first but
 * the last (the segments of a TSO super-frame) are gathered in a run
 * instead and leave in one UDP GSO send.
 *
 * Decap: the kind's header is checked (VXLAN: I flag; reserved bits with
 * --strict), the VNI must be known, the inner frame must be untagged
 * (RFC 7348 6.1; segment.h tells); the source MAC is learned behind the
 * outer source address, and the frame leaves tagged with the VNI's VLAN,
 * if mapped.  The underlay hands a datagram that UDP GRO coalesced over
 * cut at its segment size.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/bytes.h"
#include "vnet/clock.h"
#include "vnet/hash.h"
#include "vnet/log.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "vnet/underlay.h"
#include "vnet/vxlan.h"
#include "vtep.h"

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
	[C_DECAP_ECN_CE] = "decap_ecn_ce",
	[C_DECAP_ECN_UNUSED] = "decap_ecn_unused",
	[C_INNER_TX_FRAMES] = "inner_tx_frames",
	[C_INNER_TX_ERRORS] = "inner_tx_errors",
	[C_INNER_TX_QUEUE_DROPS] = "inner_tx_queue_drops",
	[C_OUTER_TX_QUEUE_DROPS] = "outer_tx_queue_drops",
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
	[C_DROP_ECN_NOT_ECT] = "drop_ecn_not_ect",
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

/* Why an outer packet was dropped -> its counter.  Both enums may grow
 * or be reordered: every reason is named here, and test_vtep checks each
 * row against the reason's name. */
static const uint8_t drop_ctr[VNET_DROP_MAX] = {
	[VNET_DROP_SHORT] = C_DROP_SHORT,
	[VNET_DROP_NOT_IP] = C_DROP_NOT_IP,
	[VNET_DROP_IP_BAD] = C_DROP_IP_BAD,
	[VNET_DROP_FRAGMENT] = C_DROP_FRAGMENT,
	[VNET_DROP_NOT_UDP] = C_DROP_NOT_UDP,
	[VNET_DROP_UDP_BAD] = C_DROP_UDP_BAD,
	[VNET_DROP_WRONG_PORT] = C_DROP_WRONG_PORT,
	[VNET_DROP_NOT_LOCAL] = C_DROP_NOT_LOCAL,
	[VNET_DROP_NO_I_FLAG] = C_DROP_NO_I_FLAG,
	[VNET_DROP_RESERVED] = C_DROP_RESERVED,
	[VNET_DROP_INNER_SHORT] = C_DROP_INNER_SHORT,
};
_Static_assert(C_MAX <= UINT8_MAX, "drop_ctr holds counter indexes");

static const struct vtep_kind kinds[VTEP_ENCAP_MAX] = {
	[VTEP_VXLAN] = {
		.name = "vxlan",
		.port = VNET_VXLAN_PORT,
		.hlen = VNET_VXLAN_HLEN,
		.encode = vnet_vxlan_encode,
		.decode = vnet_vxlan_decode,
	},
};
_Static_assert(VNET_VXLAN_HLEN <= VTEP_HDR_MAX, "every .hlen <= VTEP_HDR_MAX");
_Static_assert(VTEP_HDR_MAX <= VNET_UNDERLAY_HDR_MAX,
	       "a kind's header fits the underlay's slot");

static struct vnet_ratelimit send_rl = VNET_RATELIMIT_INIT(1, 5);

/* Whether a drop of kind k is to be said (the first, or any with -v):
 * the words are only put together then. */
static inline int warn_wanted(const struct vtep *v, enum vtep_warn k)
{
	return !v->warned[k] || vnet_log_level() >= VNET_LOG_INFO;
}

/* Say a drop of kind k: the counter, what it means, the likely fix. */
#define WARN_DROP(v, k, ...)                                      \
	vnet_log_first(&(v)->warn_rl[k], &(v)->warned[k],          \
		       vnet_clock_wall(), __VA_ARGS__)

static inline const struct vtep_kind *kind(const struct vtep *v)
{
	return &kinds[v->conf.encap];
}

void vtep_init(struct vtep *v, enum vtep_encap encap)
{
	struct vtep_conf *c = &v->conf;
	int i;

	for (i = 0; i < C_MAX; i++)
		v->ctr[i].name = ctr_names[i];
	for (i = 0; i < VTEP_W_MAX; i++) {
		v->warned[i] = 0;
		v->warn_rl[i] = (struct vnet_ratelimit)VNET_RATELIMIT_INIT(1, 5);
	}
	c->encap = encap;
	c->vni = VTEP_NO_VNI;
	for (i = 0; i < 4096; i++)
		c->vlan_vni[i] = VTEP_NO_VNI;
	c->dstport = kinds[encap].port;
	c->sport_lo = 49152;
	c->sport_hi = 65535;
	c->ttl = 64;
	c->dscp = -1;
	c->ecn = VNET_ECN_NORMAL;
	c->mtu = 1500;
	c->learn = 1;
}

int vtep_drop_counter(int reason)
{
	/* 0 is C_INNER_RX_FRAMES, never a drop: a row left out */
	if (reason <= VNET_DROP_NONE || reason >= VNET_DROP_MAX ||
	    !drop_ctr[reason])
		return -1;
	return drop_ctr[reason];
}

/* Count a drop reason that a decoder returned. */
static inline void count_drop(struct vtep *v, int reason)
{
	int c = vtep_drop_counter(reason);

	if (c >= 0)
		v->ctr[c].value++;
}

static inline unsigned overhead(const struct vtep *v)
{
	return (v->conf.local.family == AF_INET6 ? VNET_IP6_HLEN
						 : VNET_IP4_HLEN) +
	       VNET_UDP_HLEN + kind(v)->hlen;
}

unsigned vtep_overhead(const struct vtep *v)
{
	return overhead(v);
}

void vtep_sync_counters(struct vtep *v)
{
	const struct vnet_fdb_stats *fs = vnet_fdb_stats(v->fdb);
	const struct vnet_sr_stats *in = vnet_port_rstats(v->inner);
	const struct vnet_sr_stats *out =
		v->outer ? vnet_port_rstats(v->outer) : NULL;

	const struct vnet_port_tap_stats *ts = vnet_port_tstats(v->inner);
	const struct vnet_sw_stats *iq = vnet_port_wstats(v->inner);
	const struct vnet_sw_stats *oq =
		v->outer ? vnet_port_wstats(v->outer) : NULL;

	if (v->ul) {
		const struct vnet_underlay_stats *us;

		us = vnet_underlay_stats(v->ul);
		v->ctr[C_ENCAP_PACKETS].value = us->tx_packets;
		v->ctr[C_ENCAP_BYTES].value = us->tx_bytes;
		v->ctr[C_ENCAP_GSO_SENDS].value = us->gso_sends;
		v->ctr[C_ENCAP_GSO_SEGMENTS].value = us->gso_segments;
		v->ctr[C_DROP_SEND_ERROR].value = us->send_errors;
		v->ctr[C_DECAP_GRO_DATAGRAMS].value = us->rx_gro_datagrams;
		v->ctr[C_DECAP_GRO_SEGMENTS].value = us->rx_gro_segments;
		v->ctr[C_DROP_RX_TRUNCATED].value = us->rx_truncated;
	}
	if (ts) {
		v->ctr[C_TAP_SUPERFRAMES].value = ts->superframes;
		v->ctr[C_TAP_COALESCED].value = ts->coalesced;
		v->ctr[C_TAP_OFFLOAD_ERRORS].value = ts->offload_errors;
	}
	v->ctr[C_INNER_TX_QUEUE_DROPS].value = iq ? iq->queue_drops : 0;
	v->ctr[C_OUTER_TX_QUEUE_DROPS].value = oq ? oq->queue_drops : 0;
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

int vtep_open_udp(struct vtep *v, const struct vnet_addr *bind_addr,
		  uint16_t port, struct vnet_err *e)
{
	const struct vnet_underlay_conf uc = {
		.bind = *bind_addr,
		.port = port,
		.local = v->conf.local,
		.ttl = v->conf.ttl,
		.tos = v->conf.tos,
		.gso = v->conf.gso,
		.batch = VTEP_BATCH,
	};

	if (!(v->ul = vnet_underlay_open(&uc, e)))
		return -errno;
	v->gso = vnet_underlay_gso(v->ul);
	return 0;
}

void vtep_close_udp(struct vtep *v)
{
	vnet_underlay_close(v->ul);
	v->ul = NULL;
}

int vtep_outer_fd(const struct vtep *v)
{
	if (v->outer)
		return vnet_port_rfd(v->outer);
	return v->ul ? vnet_underlay_fd(v->ul) : -1;
}

int vtep_vni_vlan(const struct vtep *v, uint32_t vni)
{
	const struct vtep_conf *c = &v->conf;
	size_t lo = 0, hi = c->nmaps;

	if (vni == c->vni)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->maps[mid].vni == vni)
			return c->maps[mid].vlan;
		if (c->maps[mid].vni < vni)
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

/* Report what the underlay counted since the last call: the rest of the
 * run goes packet by packet when GSO was turned off, and send errors are
 * rate-limited (input can cause them). */
static void underlay_events(struct vtep *v)
{
	const struct vnet_underlay_stats *s = vnet_underlay_stats(v->ul);
	char a[VNET_ADDRSTRLEN];

	if (s->gso_disabled && !v->ul_gso_disabled) {
		vnet_log(VNET_LOG_WARN, "UDP GSO to %s: %s; sending packet "
			 "by packet", vnet_addr_fmt(&s->gso_addr, a),
			 strerror(s->gso_errno));
		v->ul_gso_disabled = 1;
	}
	if (s->send_errors != v->ul_send_errors) {
		vnet_log_rl(&send_rl, vnet_clock_wall(), VNET_LOG_WARN,
			    "send to %s: %s", vnet_addr_fmt(&s->send_addr, a),
			    strerror(s->send_errno));
		v->ul_send_errors = s->send_errors;
	}
}

int vtep_flush_outer(struct vtep *v)
{
	int r;

	/* A stream is written by the event loop after the batch. */
	if (v->outer || !v->ul)
		return 0;
	r = vnet_underlay_flush(v->ul);
	underlay_events(v);
	return r;
}

/* Queue or write one outer packet: the kind's header hdr for its VNI,
 * then the inner frame in in[0..nin). */
static int emit(struct vtep *v, const struct vnet_addr *remote,
		uint16_t sport, const uint8_t *hdr, const struct iovec *in,
		unsigned nin, size_t ilen, uint64_t ts)
{
	const struct vtep_conf *c = &v->conf;
	const size_t hlen = kind(v)->hlen;
	struct vnet_outer o = {
		.src = c->local,
		.dst = *remote,
		.sport = sport,
		.dport = c->dstport,
		.ttl = c->ttl,
		.tos = v->tx_tos,
	};
	struct iovec iov[3];
	uint8_t buf[64 + VTEP_HDR_MAX];
	unsigned i;
	int h, r;

	if (remote->family != c->local.family) {
		/* e.g. an IPv6 remote in an --fdb file of an IPv4 VTEP */
		v->ctr[C_DROP_FAMILY].value++;
		if (warn_wanted(v, VTEP_W_FAMILY)) {
			char a[VNET_ADDRSTRLEN], l[VNET_ADDRSTRLEN];
			int six = remote->family == AF_INET6;

			WARN_DROP(v, VTEP_W_FAMILY,
				  "drop_family: remote %s is %s, the underlay "
				  "(--local %s) %s: give %s remotes in --fdb",
				  vnet_addr_fmt(remote, a), six ? "IPv6" : "IPv4",
				  vnet_addr_fmt(&c->local, l),
				  six ? "IPv4" : "IPv6", six ? "IPv4" : "IPv6");
		}
		return 0;
	}
	if (!v->outer) {
		vnet_underlay_set_tos(v->ul, v->tx_tos);
		return vnet_underlay_queue(v->ul, remote, sport, c->dstport,
					   hdr, hlen, in, nin);
	}
	memcpy(o.smac, c->local_mac, 6);
	memcpy(o.dmac, neigh_mac(v, remote), 6);
	h = vnet_outer_build_eth(buf, 64, &o, hlen + ilen);
	if (h < 0)
		return h;
	memcpy(buf + h, hdr, hlen);
	iov[0].iov_base = buf;
	iov[0].iov_len = (size_t)h + hlen;
	for (i = 0; i < nin; i++)
		iov[i + 1] = in[i];
	r = vnet_port_send(v->outer, ts, iov, (int)nin + 1);
	if (r == -EMSGSIZE) {
		v->ctr[C_DROP_TOO_BIG].value++;
		WARN_DROP(v, VTEP_W_TOO_BIG,
			  "drop_too_big: a %zu-byte outer frame is longer "
			  "than the outer stream's format takes: lower the "
			  "inner MTU, or write pcap (-F pcap)",
			  iov[0].iov_len + ilen);
		return 0;
	}
	if (r < 0)
		return r;
	v->ctr[C_ENCAP_PACKETS].value++;
	v->ctr[C_ENCAP_BYTES].value += iov[0].iov_len + ilen;
	return 0;
}

/* Send the pending run: in one UDP GSO send, or packet by packet. */
static int run_flush(struct vtep *v)
{
	struct vtep_run *u = &v->run;
	uint8_t keep = v->tx_tos; /* of the frame that ended the run */
	unsigned i;
	int r = 0;

	if (!u->n)
		return 0;
	v->tx_tos = u->tos;
	if (u->n > 1) {
		vnet_underlay_set_tos(v->ul, u->tos);
		r = vnet_underlay_send_gso(v->ul, &u->remote, u->sport,
					   v->conf.dstport, u->iov, u->niov,
					   kind(v)->hlen + u->ilen, u->now);
		if (!r) {
			u->n = 0;
			v->tx_tos = keep;
			return 0;
		}
		/* No GSO for this run (no socket for its port, too long
		 * for the path) or from now on. */
		v->gso = vnet_underlay_gso(v->ul);
		r = 0;
	}
	for (i = 0; i < u->n && r >= 0; i++)
		r = emit(v, &u->remote, u->sport, u->hdr,
			 &u->iov[u->f[i].iov + 1], u->f[i].nin, u->f[i].ilen,
			 u->ts);
	u->n = 0;
	v->tx_tos = keep;
	return r;
}

/* Add a unicast frame for the UDP underlay to the pending run; a frame
 * that does not continue the run sends it and starts the next. */
static int run_add(struct vtep *v, const struct vnet_addr *remote,
		   uint16_t sport, uint32_t vni, const struct iovec *in,
		   unsigned nin, size_t ilen, uint64_t ts, uint64_t now)
{
	struct vtep_run *u = &v->run;
	const size_t hlen = kind(v)->hlen;
	int r;

	if (u->n &&
	    (u->closed || u->n == VTEP_GSO_SEGS || u->sport != sport ||
	     u->vni != vni || ilen > u->ilen || u->tos != v->tx_tos ||
	     u->bytes + hlen + ilen > VNET_UNDERLAY_GSO_MAX ||
	     !vnet_addr_eq(&u->remote, remote)) &&
	    (r = run_flush(v)) < 0)
		return r;
	if (!u->n) {
		u->remote = *remote;
		u->sport = sport;
		u->vni = vni;
		u->tos = v->tx_tos;
		u->ilen = ilen;
		u->bytes = 0;
		u->niov = 0;
		u->closed = 0;
		u->ts = ts;
		/* Every segment starts with the same header. */
		kind(v)->encode(u->hdr, vni);
	}
	u->now = now;
	u->f[u->n].iov = u->niov;
	u->f[u->n].nin = nin;
	u->f[u->n].ilen = ilen;
	u->iov[u->niov].iov_base = u->hdr;
	u->iov[u->niov++].iov_len = hlen;
	memcpy(&u->iov[u->niov], in, sizeof(*in) * nin);
	u->niov += nin;
	u->n++;
	u->bytes += hlen + ilen;
	/* Only the last segment of a GSO send may be shorter. */
	if (ilen < u->ilen)
		u->closed = 1;
	return 0;
}

uint8_t vtep_outer_tos(const struct vtep_conf *c, const uint8_t *d,
		       size_t len)
{
	size_t off;
	int fam, t;

	if (c->fixed_tos)
		return c->tos;
	t = vnet_ecn_frame_tos(d, len, &off, &fam);
	if (t < 0)
		t = 0; /* not IP: DSCP 0, Not-ECT */
	return (uint8_t)((c->dscp < 0 ? t & 0xfc : c->dscp << 2) |
			 vnet_ecn_encap((uint8_t)t, c->ecn));
}

int vtep_encap(struct vtep *v, const struct vnet_frame *f, unsigned n)
{
	const struct vnet_addr *rem[VTEP_MAX_FLOOD];
	unsigned k;

	for (k = 0; k < n; k++) {
		const uint8_t *d = f[k].data;
		size_t len = f[k].len, ilen, l2, nr, j;
		uint8_t hdr[VTEP_HDR_MAX];
		struct iovec in[2];
		struct vnet_pkt pkt;
		uint32_t vni, h;
		uint16_t vid, sport;
		uint64_t now;
		unsigned nin;
		int r, seg, flood = 0;

		v->ctr[C_INNER_RX_FRAMES].value++;
		v->ctr[C_INNER_RX_BYTES].value += len;
		vnet_clock_observe(f[k].ts_ns);
		/* The outermost tag names the segment (segment.h); it does
		 * not travel (RFC 7348 6.1). */
		switch ((seg = vnet_segment_of(d, len, &vid, &l2))) {
		case VNET_SEG_UNTAGGED:
		case VNET_SEG_PRIORITY:
			vni = v->conf.vni;
			break;
		case VNET_SEG_TAGGED:
			vni = v->conf.vlan_vni[vid];
			break;
		default:
			v->ctr[seg_drop[seg]].value++;
			continue;
		}
		if (vni == VTEP_NO_VNI) {
			if (seg == VNET_SEG_TAGGED) {
				v->ctr[C_DROP_UNKNOWN_VLAN].value++;
				WARN_DROP(v, VTEP_W_UNKNOWN_VLAN,
					  "drop_unknown_vlan: VLAN %u is not "
					  "mapped to a VNI: add --map %u:VNI",
					  vid, vid);
			} else {
				v->ctr[C_DROP_NO_VNI].value++;
				WARN_DROP(v, VTEP_W_NO_VNI,
					  "drop_no_vni: an untagged frame has "
					  "no VNI: give --vni N, or tag it with "
					  "a VLAN of --map");
			}
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
		if (ilen + overhead(v) > v->conf.mtu) {
			v->ctr[C_DROP_TOO_BIG].value++;
			WARN_DROP(v, VTEP_W_TOO_BIG,
				  "drop_too_big: a %zu-byte frame does not fit "
				  "the underlay MTU %u: lower the inner MTU to "
				  "%u or raise --mtu",
				  ilen, v->conf.mtu,
				  v->conf.mtu - overhead(v) - VNET_ETH_HLEN);
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
				WARN_DROP(v, VTEP_W_NO_REMOTE,
					  "drop_no_remote: no remote for VNI "
					  "%u: give --remote or an --fdb flood "
					  "entry", vni);
				continue;
			}
			v->ctr[C_FLOOD_PACKETS].value += nr;
			flood = 1;
		}
		v->tx_tos = vtep_outer_tos(&v->conf, d, len);
		vnet_pkt_parse(d, len, &pkt);
		h = vnet_flow_hash(&pkt, VTEP_HASH_SEED, 0);
		sport = (uint16_t)(v->conf.sport_lo +
				   h % ((uint32_t)v->conf.sport_hi -
					v->conf.sport_lo + 1));
		if (!flood && v->gso && !v->outer &&
		    rem[0]->family == v->conf.local.family) {
			if ((r = run_add(v, rem[0], sport, vni, in, nin, ilen,
					 f[k].ts_ns, now)) < 0)
				return r;
			continue;
		}
		/* Floods and frames for a stream go as they come, after the
		 * run before them. */
		if ((r = run_flush(v)) < 0)
			return r;
		kind(v)->encode(hdr, vni);
		for (j = 0; j < nr; j++)
			if ((r = emit(v, rem[j], sport, hdr, in, nin, ilen,
				      f[k].ts_ns)) < 0)
				return r;
	}
	return run_flush(v);
}

int vtep_decap_ecn(struct vtep *v, int otos, const uint8_t *in, size_t ilen,
		   uint8_t *copy, size_t *n)
{
	size_t off;
	uint8_t e;
	int fam, t, r;

	*n = 0;
	if (otos < 0 || (t = vnet_ecn_frame_tos(in, ilen, &off, &fam)) < 0)
		return 0;
	r = vnet_ecn_decap((uint8_t)otos, (uint8_t)t, &e);
	if (r == VNET_ECN_DROP) {
		v->ctr[C_DROP_ECN_NOT_ECT].value++;
		return -1;
	}
	if (r == VNET_ECN_ODD)
		v->ctr[C_DECAP_ECN_UNUSED].value++;
	if (e == (t & VNET_ECN_MASK))
		return 0;
	if (e == VNET_ECN_CE)
		v->ctr[C_DECAP_ECN_CE].value++;
	/* The bytes up to the header checksum (IPv4) or the traffic class
	 * (IPv6) are copied and changed; the frame itself is not ours. */
	*n = off + (fam == 4 ? 12 : 2);
	memcpy(copy, in, *n);
	vnet_ecn_set(copy + off, fam, e);
	return 0;
}

/* One UDP payload (the kind's header + inner frame) from remote, whose
 * outer TOS was otos (-1: unknown). */
static int decap_one(struct vtep *v, const struct vnet_addr *remote,
		     const uint8_t *p, size_t plen, uint64_t ts, int otos)
{
	const uint8_t *in, *head;
	struct iovec iov[4];
	uint8_t tag[4], ecn[VTEP_ECN_COPY];
	size_t ilen, en;
	uint32_t vni;
	int vlan, r, n;

	if ((r = kind(v)->decode(p, plen, v->conf.strict, &vni))) {
		count_drop(v, r);
		return 0;
	}
	if ((vlan = vtep_vni_vlan(v, vni)) < 0) {
		v->ctr[C_DROP_UNKNOWN_VNI].value++;
		if (warn_wanted(v, VTEP_W_UNKNOWN_VNI)) {
			char a[VNET_ADDRSTRLEN];

			WARN_DROP(v, VTEP_W_UNKNOWN_VNI,
				  "drop_unknown_vni: VNI %u is not configured "
				  "here: add --vni/--map, or check the peer's "
				  "VNI (%s)",
				  vni, vnet_addr_fmt(remote, a));
		}
		return 0;
	}
	in = p + kind(v)->hlen;
	ilen = plen - kind(v)->hlen;
	/* A tunnel carries untagged frames only (RFC 7348 6.1): any tag,
	 * a priority tag too, is dropped. */
	if (vnet_segment_of(in, ilen, NULL, NULL) != VNET_SEG_UNTAGGED) {
		v->ctr[C_DROP_INNER_TAGGED].value++;
		return 0;
	}
	if (vtep_decap_ecn(v, otos, in, ilen, ecn, &en) < 0)
		return 0;
	head = en ? ecn : in;
	v->ctr[C_DECAP_FRAMES].value++;
	v->ctr[C_DECAP_BYTES].value += ilen;
	if (v->conf.learn && !vnet_mac_is_multicast(in + 6) &&
	    !vnet_mac_is_zero(in + 6))
		vnet_fdb_learn(v->fdb, vni, in + 6, remote, vnet_clock_now());
	if (vlan) {
		vnet_put16(tag, VNET_ETH_P_8021Q);
		vnet_put16(tag + 2, (uint32_t)vlan);
		iov[0].iov_base = (void *)head;
		iov[0].iov_len = 12;
		iov[1].iov_base = tag;
		iov[1].iov_len = 4;
		iov[2].iov_base = (void *)(head + 12);
		iov[2].iov_len = (en ? en : ilen) - 12;
		n = 3;
	} else {
		iov[0].iov_base = (void *)head;
		iov[0].iov_len = en ? en : ilen;
		n = 1;
	}
	if (en) { /* the rest of the frame after the changed bytes */
		iov[n].iov_base = (void *)(in + en);
		iov[n++].iov_len = ilen - en;
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

/* The datagrams of one vtep_recv_udp call: the time they are stamped with
 * is taken once, when the first arrives. */
struct rx_ctx {
	struct vtep *v;
	uint64_t ts;
};

static int recv_one(void *arg, const struct vnet_underlay_dgram *d)
{
	struct rx_ctx *c = arg;

	if (!c->ts)
		c->ts = vnet_clock_wall();
	return decap_one(c->v, &d->src, d->data, d->len, c->ts, d->tos);
}

int vtep_recv_udp(struct vtep *v)
{
	struct rx_ctx c = { .v = v };

	return vnet_underlay_recv(v->ul, recv_one, &c);
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
	    v->conf.local.family != AF_INET ||
	    memcmp(a + 24, v->conf.local.b, 4))
		return 0;
	vnet_addr_from_v4(&sender, a + 14);
	neigh_learn(v, &sender, a + 8);
	memcpy(reply, a + 8, 6);
	memcpy(reply + 6, v->conf.local_mac, 6);
	reply[12] = 0x08;
	reply[13] = 0x06;
	memcpy(reply + 14, hdr, 7);
	reply[21] = 2; /* reply */
	memcpy(reply + 22, v->conf.local_mac, 6);
	memcpy(reply + 28, v->conf.local.b, 4);
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
			count_drop(v, r);
			continue;
		}
		if (o.dport != v->conf.dstport) {
			v->ctr[C_DROP_WRONG_PORT].value++;
			continue;
		}
		if (!vnet_addr_eq(&o.dst, &v->conf.local)) {
			v->ctr[C_DROP_NOT_LOCAL].value++;
			continue;
		}
		neigh_learn(v, &o.src, o.smac);
		if ((r = decap_one(v, &o.src, pl, plen, f[k].ts_ns, o.tos)) < 0)
			return r;
	}
	return 0;
}
