/* SPDX-License-Identifier: ISC */
/* vtep.c -- encapsulation and decapsulation for vnet-encap.
 *
 * The kind of encapsulation is a row of kinds[] (VXLAN, RFC 7348;
 * GENEVE, RFC 8926; NVGRE, RFC 7637): its header length, port, outer IP
 * protocol (UDP; GRE for NVGRE) and codec.  Everything else is the same
 * for every kind.  A GENEVE header carries the options of --geneve-opt;
 * the options of the headers received are counted and tabled (before the
 * VNI is looked up).
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet/bytes.h"
#include "vnet/clock.h"
#include "vnet/csum.h"
#include "vnet/geneve.h"
#include "vnet/hash.h"
#include "vnet/log.h"
#include "vnet/nvgre.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "vnet/underlay.h"
#include "vnet/vxlan.h"
#include "vtep.h"

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
	[C_NDP_REPLIES] = "ndp_replies",
	[C_DROP_INNER_RUNT] = "drop_inner_runt",
	[C_DROP_NO_VNI] = "drop_no_vni",
	[C_DROP_UNKNOWN_VLAN] = "drop_unknown_vlan",
	[C_DROP_STACKED_TAG] = "drop_stacked_tag",
	[C_DROP_S_TAG] = "drop_s_tag",
	[C_DROP_RESERVED_VID] = "drop_reserved_vid",
	[C_DROP_TOO_BIG] = "drop_too_big",
	[C_PMTU_REPLIES] = "pmtu_replies",
	[C_PMTU_RATELIMITED] = "pmtu_reply_ratelimited",
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
	[C_DROP_UDP_ZERO_CSUM] = "drop_udp_zero_csum",
	[C_DROP_GENEVE_VERSION] = "drop_geneve_version",
	[C_DROP_GENEVE_OPTLEN] = "drop_geneve_optlen",
	[C_DROP_GENEVE_OAM] = "drop_geneve_oam",
	[C_DROP_GENEVE_PROTO] = "drop_geneve_proto",
	[C_DROP_GENEVE_CRITICAL] = "drop_geneve_critical",
	[C_DROP_NOT_GRE] = "drop_not_gre",
	[C_DROP_GRE_FLAGS] = "drop_gre_flags",
	[C_DROP_GRE_VERSION] = "drop_gre_version",
	[C_DROP_GRE_PROTO] = "drop_gre_proto",
	[C_DROP_NVGRE_VSID] = "drop_nvgre_vsid",
	[C_GENEVE_OPTIONS_RX] = "geneve_options_rx",
	[C_GENEVE_OPTIONS_UNTRACKED] = "geneve_options_untracked",
	[C_DROP_ECN_NOT_ECT] = "drop_ecn_not_ect",
	[C_STREAM_TRUNCATED] = "stream_truncated",
	[C_STREAM_OVERSIZE] = "stream_oversize",
	[C_STREAM_RUNT] = "stream_runt",
	[C_STREAM_NOT_ETHERNET] = "stream_not_ethernet",
	[C_STREAM_TRAILING] = "stream_trailing_bytes",
	[C_TAP_SUPERFRAMES] = "tap_superframes",
	[C_TAP_COALESCED] = "tap_coalesced",
	[C_TAP_OFFLOAD_ERRORS] = "tap_offload_errors",
	[C_ENCAP_TUNNEL_SUPERFRAMES] = "encap_tunnel_superframes",
	[C_DECAP_TUNNEL_SUPERFRAMES] = "decap_tunnel_superframes",
	[C_FDB_ENTRIES] = "fdb_entries",
	[C_FDB_LEARNED] = "fdb_learned",
	[C_FDB_MOVED] = "fdb_moved",
	[C_FDB_AGED] = "fdb_aged",
	[C_FDB_OVERFLOW] = "fdb_overflow",
	[C_FABRIC_ENTRIES] = "fabric_entries",
	[C_FABRIC_FLOOD] = "fabric_flood",
	[C_FABRIC_CHANGES] = "fabric_changes",
	[C_DROP_SEAL_TRUNCATED] = "drop_seal_truncated",
	[C_DROP_SEAL_UNKNOWN_EPOCH] = "drop_seal_unknown_epoch",
	[C_DROP_SEAL_TOO_OLD] = "drop_seal_too_old",
	[C_DROP_SEAL_REPLAYED] = "drop_seal_replayed",
	[C_DROP_SEAL_FORGED] = "drop_seal_forged",
	[C_DROP_SEAL_MISSING] = "drop_seal_missing",
	[C_DROP_SEAL_NO_KEY] = "drop_seal_no_key",
	[C_SEAL_SENDERS] = "seal_senders",
	[C_SEAL_EVICTED] = "seal_evicted",
};

/* The counter of an open's refusal (enum vnet_seal_drop). */
static const unsigned seal_drop[VNET_SEAL_DROP_MAX] = {
	[VNET_SEAL_TRUNCATED] = C_DROP_SEAL_TRUNCATED,
	[VNET_SEAL_UNKNOWN_EPOCH] = C_DROP_SEAL_UNKNOWN_EPOCH,
	[VNET_SEAL_TOO_OLD] = C_DROP_SEAL_TOO_OLD,
	[VNET_SEAL_REPLAYED] = C_DROP_SEAL_REPLAYED,
	[VNET_SEAL_FORGED] = C_DROP_SEAL_FORGED,
};

/* What a decoder returns for a drop it counted itself (no row of
 * drop_ctr, so count_drop leaves it). */
#define VTEP_DROP_COUNTED VNET_DROP_MAX

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
	[VNET_DROP_UDP_ZERO_CSUM] = C_DROP_UDP_ZERO_CSUM,
	[VNET_DROP_GENEVE_VERSION] = C_DROP_GENEVE_VERSION,
	[VNET_DROP_GENEVE_OPTLEN] = C_DROP_GENEVE_OPTLEN,
	[VNET_DROP_GENEVE_OAM] = C_DROP_GENEVE_OAM,
	[VNET_DROP_GENEVE_PROTO] = C_DROP_GENEVE_PROTO,
	[VNET_DROP_GENEVE_CRITICAL] = C_DROP_GENEVE_CRITICAL,
	[VNET_DROP_NOT_GRE] = C_DROP_NOT_GRE,
	[VNET_DROP_GRE_FLAGS] = C_DROP_GRE_FLAGS,
	[VNET_DROP_GRE_VERSION] = C_DROP_GRE_VERSION,
	[VNET_DROP_GRE_PROTO] = C_DROP_GRE_PROTO,
	[VNET_DROP_NVGRE_VSID] = C_DROP_NVGRE_VSID,
};
_Static_assert(C_MAX <= UINT8_MAX, "drop_ctr holds counter indexes");

static size_t vxlan_encode(const struct vtep *v, uint8_t *hdr, uint32_t vni,
			   uint32_t hash)
{
	(void)hash;
	vnet_vxlan_encode(hdr, vni);
	if (v->seal) /* the fields, written as each packet is sealed */
		memset(hdr + VNET_VXLAN_HLEN, 0, VNET_SEAL_FLEN);
	return v->hlen;
}

static int vxlan_decode(struct vtep *v, const uint8_t *p, size_t len,
			uint32_t *vni, size_t *hlen)
{
	*hlen = v->hlen; /* sealed: the fields after the header */
	return vnet_vxlan_decode(p, len, v->conf.strict, vni);
}

static size_t geneve_encode(const struct vtep *v, uint8_t *hdr, uint32_t vni,
			    uint32_t hash)
{
	size_t n;

	(void)hash; /* the entropy is in the source port (RFC 8926 3.3) */
	n = vnet_geneve_encode(hdr, vni, &v->conf.geneve);
	if (!v->seal)
		return n;
	/* the seal option last: Opt Len and C say so */
	vnet_put16(hdr + n, VNET_SEAL_GENEVE_CLASS);
	hdr[n + 2] = VNET_SEAL_GENEVE_TYPE;
	hdr[n + 3] = VNET_SEAL_FLEN / 4;
	memset(hdr + n + 4, 0, VNET_SEAL_FLEN);
	n += VNET_SEAL_GENEVE_OLEN;
	hdr[0] = (uint8_t)((hdr[0] & 0xc0) | ((n - VNET_GENEVE_HLEN) / 4));
	hdr[1] |= VNET_GENEVE_FLAG_C;
	return n;
}

/* Stands for the seal option in geneve_known's argument: a sealed VTEP
 * passes it, with its own options after it (geneve_known_sealed). */
static const struct vnet_geneve_opts seal_opts;

/* The options this node understands: those it sends (--geneve-opt), so
 * that peers configured alike may mark them critical. */
static int geneve_known(void *arg, uint16_t cls, uint8_t type)
{
	const struct vnet_geneve_opts *o = arg;
	size_t off;

	if (o == &seal_opts) /* the seal option, understood when sealed */
		return cls == VNET_SEAL_GENEVE_CLASS &&
		       type == VNET_SEAL_GENEVE_TYPE;

	for (off = 0; off + 4 <= o->len; off += 4 + (o->b[off + 3] & 0x1f) * 4)
		if (vnet_get16(o->b + off) == cls && o->b[off + 2] == type)
			return 1;
	return 0;
}

/* Count an option received and update its row of the table. */
static void geneve_seen(struct vtep *v, const struct vnet_geneve_opt *o,
			uint32_t vni)
{
	struct vtep_gopt *g;
	unsigned i;

	v->ctr[C_GENEVE_OPTIONS_RX].value++;
	for (i = 0; i < v->ngopt; i++) {
		g = &v->gopt[i];
		if (g->cls == o->cls && g->type == o->type && g->len == o->len)
			goto found;
	}
	if (v->ngopt == VTEP_GENEVE_OPTS) {
		v->ctr[C_GENEVE_OPTIONS_UNTRACKED].value++;
		return;
	}
	g = &v->gopt[v->ngopt++];
	g->cls = o->cls;
	g->type = o->type;
	g->len = o->len;
	g->count = 0;
found:
	g->count++;
	g->last_vni = vni;
}

/* A sealed VTEP understands the seal option and its own. */
static int geneve_known_sealed(void *arg, uint16_t cls, uint8_t type)
{
	return geneve_known((void *)&seal_opts, cls, type) ||
	       geneve_known(arg, cls, type);
}

static int geneve_decode(struct vtep *v, const uint8_t *p, size_t len,
			 uint32_t *vni, size_t *hlen)
{
	struct vnet_geneve_hdr h;
	struct vnet_geneve_opt o;
	size_t off = 0;
	int r, sealed = 0;

	if ((r = vnet_geneve_decode(p, len, v->conf.strict,
				    v->seal ? geneve_known_sealed
					    : geneve_known,
				    &v->conf.geneve, &h)))
		return r;
	while (vnet_geneve_opt_next(&h, &off, &o)) {
		geneve_seen(v, &o, h.vni);
		/* the seal option is the last one: its fields end the
		 * associated data */
		sealed = o.cls == VNET_SEAL_GENEVE_CLASS &&
			 o.type == VNET_SEAL_GENEVE_TYPE &&
			 o.len == VNET_SEAL_FLEN;
	}
	if (v->seal && !sealed) {
		v->ctr[C_DROP_SEAL_MISSING].value++;
		return VTEP_DROP_COUNTED;
	}
	*vni = h.vni;
	*hlen = h.hlen;
	return 0;
}

/* NVGRE: the FlowID is the low 8 bits of the inner flow hash (RFC 7637
 * 3.2: per-flow entropy), the VSID the key's top 24 bits. */
static size_t nvgre_encode(const struct vtep *v, uint8_t *hdr, uint32_t vni,
			   uint32_t hash)
{
	(void)v;
	vnet_nvgre_encode(hdr, vni, (uint8_t)hash);
	return VNET_NVGRE_HLEN;
}

/* The FlowID is masked: a VSID matches whatever the peer's FlowIDs. */
static int nvgre_decode(struct vtep *v, const uint8_t *p, size_t len,
			uint32_t *vni, size_t *hlen)
{
	uint8_t flowid;

	*hlen = VNET_NVGRE_HLEN;
	return vnet_nvgre_decode(p, len, v->conf.strict, vni, &flowid);
}

static const struct vtep_kind kinds[VTEP_ENCAP_MAX] = {
	[VTEP_VXLAN] = {
		.name = "vxlan",
		.port = VNET_VXLAN_PORT,
		.proto = IPPROTO_UDP,
		.hlen = VNET_VXLAN_HLEN,
		.encode = vxlan_encode,
		.decode = vxlan_decode,
	},
	[VTEP_GENEVE] = {
		.name = "geneve",
		.port = VNET_GENEVE_PORT,
		.proto = IPPROTO_UDP,
		.hlen = VNET_GENEVE_HLEN,
		.encode = geneve_encode,
		.decode = geneve_decode,
	},
	[VTEP_NVGRE] = {
		.name = "nvgre",
		.port = 0,
		.proto = VNET_IPPROTO_GRE,
		.hlen = VNET_NVGRE_HLEN,
		.encode = nvgre_encode,
		.decode = nvgre_decode,
	},
};
_Static_assert(VNET_VXLAN_HLEN <= VTEP_HDR_MAX, "every .hlen <= VTEP_HDR_MAX");
_Static_assert(VNET_GENEVE_HLEN_MAX <= VTEP_HDR_MAX,
	       "a GENEVE header with all its options fits");
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
	c->geneve.len = 0;
	c->geneve.critical = 0;
	v->hlen = kinds[encap].hlen;
	v->ngopt = 0;
	c->sport_lo = 49152;
	c->sport_hi = 65535;
	c->ttl = 64;
	c->dscp = -1;
	c->ecn = VNET_ECN_NORMAL;
	c->mtu = 1500;
	c->learn = 1;
	v->pmtu_rl = (struct vnet_ratelimit)VNET_RATELIMIT_INIT(
		VTEP_PMTU_RATE, VTEP_PMTU_BURST);
}

int vtep_encap_by_name(const char *name)
{
	int i;

	for (i = 0; i < VTEP_ENCAP_MAX; i++)
		if (!strcmp(kinds[i].name, name))
			return i;
	return -1;
}

const char *vtep_encap_name(enum vtep_encap encap)
{
	return kinds[encap].name;
}

/* The header length of the configuration: the kind's, and the options a
 * GENEVE header carries. */
static void set_hlen(struct vtep *v)
{
	v->hlen = kind(v)->hlen;
	if (v->conf.encap == VTEP_GENEVE)
		v->hlen += v->conf.geneve.len;
	if (v->seal)
		v->hlen += v->conf.encap == VTEP_GENEVE ? VNET_SEAL_GENEVE_OLEN
							: VNET_SEAL_FLEN;
}

int vtep_seal_set(struct vtep *v, struct vnet_seal *s)
{
	if (s && v->conf.encap == VTEP_NVGRE)
		return -EINVAL;
	vnet_seal_free(v->seal);
	free(v->seal_buf);
	free(v->open_buf);
	v->seal_buf = v->open_buf = NULL;
	v->seal = s;
	set_hlen(v);
	if (!s)
		return 0;
	/* a frame sent is no longer than the MTU leaves (vtep_encap) */
	v->seal_slot = VTEP_HDR_MAX + v->conf.mtu + VNET_SEAL_TAGLEN;
	v->seal_slot = (v->seal_slot + 63) & ~(size_t)63;
	v->seal_q = 0;
	if (!(v->seal_buf = malloc(v->seal_slot * 2 * VTEP_GSO_SEGS)) ||
	    !(v->open_buf = malloc(VNET_FRAME_MAX + 1))) {
		vtep_seal_set(v, NULL);
		return -ENOMEM;
	}
	return 0;
}

void vtep_set_encap(struct vtep *v, enum vtep_encap encap)
{
	v->conf.encap = encap;
	v->conf.dstport = kinds[encap].port;
	set_hlen(v);
}

int vtep_geneve_opt_add(struct vtep *v, const char *s, const char **why)
{
	int r = vnet_geneve_opt_parse(s, &v->conf.geneve, why);

	set_hlen(v);
	return r;
}

int vtep_geneve_opts_dump(const struct vtep *v, FILE *f)
{
	unsigned i;

	for (i = 0; i < v->ngopt; i++)
		if (fprintf(f, "0x%04x\t0x%02x\t%u\t%llu\t%u\n",
			    v->gopt[i].cls, v->gopt[i].type, v->gopt[i].len,
			    (unsigned long long)v->gopt[i].count,
			    v->gopt[i].last_vni) < 0)
			return -EIO;
	return 0;
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
	       (kind(v)->proto == IPPROTO_UDP ? VNET_UDP_HLEN : 0) + v->hlen +
	       (v->seal ? VNET_SEAL_TAGLEN : 0);
}

unsigned vtep_overhead(const struct vtep *v)
{
	return overhead(v);
}

int vtep_proto(const struct vtep *v)
{
	return kind(v)->proto;
}

int vtep_vni_ok(const struct vtep *v, uint32_t vni)
{
	return v->conf.encap != VTEP_NVGRE || !vnet_nvgre_vsid_reserved(vni);
}

unsigned vtep_inner_mtu(const struct vtep *v)
{
	unsigned o = overhead(v) + VNET_ETH_HLEN;

	return v->conf.mtu > o ? v->conf.mtu - o : 0;
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
	if (v->seal) {
		v->ctr[C_SEAL_SENDERS].value = vnet_seal_senders(v->seal);
		v->ctr[C_SEAL_EVICTED].value = vnet_seal_evicted(v->seal);
	}
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
		.proto = kind(v)->proto,
		.zero_csum = v->conf.zero_csum,
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

/* A remote of the other address family than the underlay's: counted
 * and said; 1 if so. */
static int family_drop(struct vtep *v, const struct vnet_addr *remote)
{
	const struct vtep_conf *c = &v->conf;

	if (remote->family == c->local.family)
		return 0;
	/* e.g. an IPv6 remote in an --fdb file of an IPv4 VTEP */
	v->ctr[C_DROP_FAMILY].value++;
	if (warn_wanted(v, VTEP_W_FAMILY)) {
		char a[VNET_ADDRSTRLEN], l[VNET_ADDRSTRLEN];
		int six = remote->family == AF_INET6;

		WARN_DROP(v, VTEP_W_FAMILY,
			  "drop_family: remote %s is %s, the underlay "
			  "(--local %s) %s: give %s remotes in --fdb",
			  vnet_addr_fmt(remote, a), six ? "IPv6" : "IPv4",
			  vnet_addr_fmt(&c->local, l), six ? "IPv4" : "IPv6",
			  six ? "IPv4" : "IPv6");
	}
	return 1;
}

/* Queue or write one outer packet: the kind's header hdr for its VNI,
 * then the inner frame in in[0..nin). */
static int emit(struct vtep *v, const struct vnet_addr *remote,
		uint16_t sport, const uint8_t *hdr, const struct iovec *in,
		unsigned nin, size_t ilen, uint64_t ts)
{
	const struct vtep_conf *c = &v->conf;
	const size_t hlen = v->hlen;
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

	if (family_drop(v, remote))
		return 0;
	if (!v->outer) {
		vnet_underlay_set_tos(v->ul, v->tx_tos);
		return vnet_underlay_queue(v->ul, remote, sport, c->dstport,
					   hdr, hlen, in, nin);
	}
	memcpy(o.smac, c->local_mac, 6);
	memcpy(o.dmac, neigh_mac(v, remote), 6);
	if (o.src.family == AF_INET6)
		o.flow = vnet_outer_flowlabel(sport); /* as lib/underlay.c */
	if (kind(v)->proto == IPPROTO_UDP)
		h = vnet_outer_build_eth(buf, 64, &o, hlen + ilen);
	else
		h = vnet_gre_build_eth(buf, 64, &o, hlen + ilen);
	if (h < 0)
		return h;
	memcpy(buf + h, hdr, hlen);
	iov[0].iov_base = buf;
	iov[0].iov_len = (size_t)h + hlen;
	for (i = 0; i < nin; i++)
		iov[i + 1] = in[i];
	/* RFC 8200 8.1: mandatory over IPv6, unless configured away (RFC
	 * 6935); computed from the UDP header on.  GRE has none. */
	if (o.src.family == AF_INET6 && kind(v)->proto == IPPROTO_UDP &&
	    !(c->zero_csum & VNET_UNDERLAY_ZERO_TX)) {
		const size_t l3 = VNET_ETH_HLEN + VNET_IP6_HLEN;
		uint16_t cs;

		iov[0].iov_base = buf + l3;
		iov[0].iov_len -= l3;
		cs = vnet_outer_udp_csum_iov(&o, iov, nin + 1);
		vnet_put16(buf + l3 + 6, cs);
		iov[0].iov_base = buf;
		iov[0].iov_len += l3;
	}
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

/* The bytes of the longest wire frame that super-frame d (checked
 * header h) is cut into: its headers up to the end of the L4 header,
 * then gso_size bytes. */
static size_t gso_wire_len(const uint8_t *d, size_t len,
			   const struct vnet_vhdr *h)
{
	size_t l4 = h->csum_start, end;

	if ((h->gso_type & ~VNET_GSO_ECN) == VNET_GSO_UDP_L4)
		end = l4 + VNET_UDP_HLEN;
	else /* TCP: the data offset (vnet_vhdr_check: l4 + 18 <= len) */
		end = l4 + (size_t)(d[l4 + 12] >> 4) * 4;
	end += h->gso_size;
	return end < len ? end : len;
}

/* Write one UDP tunnel super-frame to the outer tap: the outer headers
 * and the kind's header hdr around inner super-frame in[0..nin) (ilen
 * bytes, shift bytes of VLAN tag taken out of it before the offsets of
 * its header h), for the kernel to cut (offload.h).  Over IPv4 the outer
 * UDP checksum is 0; over IPv6 it is left partial, for the kernel to
 * complete per segment. */
static int emit_super(struct vtep *v, const struct vnet_addr *remote,
		      uint16_t sport, const uint8_t *hdr,
		      const struct iovec *in, unsigned nin, size_t ilen,
		      const struct vnet_vhdr *h, size_t shift)
{
	const struct vtep_conf *c = &v->conf;
	const size_t hlen = v->hlen;
	const int six = c->local.family == AF_INET6;
	struct vnet_outer o = {
		.src = c->local,
		.dst = *remote,
		.sport = sport,
		.dport = c->dstport,
		.ttl = c->ttl,
		.tos = v->tx_tos,
	};
	uint8_t buf[64 + VTEP_HDR_MAX];
	struct vnet_vhdr t = *h;
	struct iovec iov[3];
	size_t off, ip_hl = six ? VNET_IP6_HLEN : VNET_IP4_HLEN, segs;
	unsigned i;
	int b, r;

	if (family_drop(v, remote))
		return 0;
	if (six)
		o.flow = vnet_outer_flowlabel(sport); /* as lib/underlay.c */
	memcpy(o.smac, c->local_mac, 6);
	memcpy(o.dmac, neigh_mac(v, remote), 6);
	b = vnet_outer_build_eth(buf, 64, &o, hlen + ilen);
	if (b < 0) {
		/* Over 64 KiB with the outer headers: the inner tap's
		 * gso_max_size (set at start) was not kept to. */
		v->ctr[C_DROP_TOO_BIG].value++;
		return 0;
	}
	memcpy(buf + b, hdr, hlen);
	off = (size_t)b + hlen;
	if (six) {
		uint8_t *u = buf + VNET_ETH_HLEN + ip_hl;
		uint16_t ps = (uint16_t)~vnet_csum_fold(vnet_csum_pseudo(
			&o.src, &o.dst, IPPROTO_UDP,
			(uint32_t)(VNET_UDP_HLEN + hlen + ilen)));

		vnet_put16(u + 6, ps);
		t.flags |= VNET_VHDR_F_UDP_TUNNEL_CSUM;
	}
	t.gso_type = (uint8_t)(h->gso_type | (six ? VNET_GSO_UDP_TUNNEL6
						   : VNET_GSO_UDP_TUNNEL4));
	t.csum_start = (uint16_t)(h->csum_start + off - shift);
	t.hdr_len = (uint16_t)(h->hdr_len > shift ? h->hdr_len + off - shift
						  : 0);
	t.outer_th = (uint16_t)(VNET_ETH_HLEN + ip_hl);
	t.inner_nh = (uint16_t)(off + VNET_ETH_HLEN);
	iov[0].iov_base = buf;
	iov[0].iov_len = off;
	for (i = 0; i < nin; i++)
		iov[i + 1] = in[i];
	r = vnet_port_send_vh(v->outer, &t, iov, (int)nin + 1);
	if (r < 0)
		return r;
	/* What leaves the tap: one outer packet per gso_size of payload. */
	segs = (ilen - (t.csum_start - off) + h->gso_size - 1) / h->gso_size;
	v->ctr[C_ENCAP_TUNNEL_SUPERFRAMES].value++;
	v->ctr[C_ENCAP_PACKETS].value += segs ? segs : 1;
	v->ctr[C_ENCAP_BYTES].value += off + ilen - VNET_ETH_HLEN;
	return 0;
}

/* --pmtu-reply: tell the sender of frame d (len bytes, l2 its Ethernet
 * header with tags), which did not fit, what fits, out of the inner side
 * toward it (pmtu.c); rate limited by the one clock. */
static int pmtu_answer(struct vtep *v, const uint8_t *d, size_t len,
		       size_t l2, uint64_t ts)
{
	struct iovec iov;
	size_t n;
	int r;

	n = pmtu_reply(d, len, l2, vtep_inner_mtu(v), v->pmtu_buf,
		       sizeof(v->pmtu_buf));
	if (!n)
		return 0;
	if (!vnet_ratelimit_take(&v->pmtu_rl, vnet_clock_now())) {
		v->ctr[C_PMTU_RATELIMITED].value++;
		return 0;
	}
	iov.iov_base = v->pmtu_buf;
	iov.iov_len = n;
	r = vnet_port_send(v->inner, ts, &iov, 1);
	if (r == -EPIPE)
		return r;
	if (r < 0) {
		v->ctr[C_INNER_TX_ERRORS].value++;
		return 0;
	}
	v->ctr[C_PMTU_REPLIES].value++;
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
					   v->hlen + u->ilen, u->now);
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
		r = emit(v, &u->remote, u->sport, u->iov[u->f[i].iov].iov_base,
			 &u->iov[u->f[i].iov + 1], u->f[i].nin, u->f[i].ilen,
			 u->ts);
	/* queued, they point into the run's seal slots: out before the
	 * next run seals into them */
	if (v->seal && v->ul)
		vnet_underlay_flush(v->ul);
	u->n = 0;
	v->tx_tos = keep;
	return r;
}

/* Slot i of the sealing buffers: those of the run, then those of the
 * packets sent one by one. */
static inline uint8_t *seal_slot(struct vtep *v, unsigned i)
{
	return v->seal_buf + (size_t)i * v->seal_slot;
}

/* The next slot for a packet sent one by one (a flood, a stream): the
 * UDP underlay's queue points into it until flushed (underlay.h), so the
 * queue is sent before a slot comes round again. */
static uint8_t *seal_qslot(struct vtep *v)
{
	if (v->seal_q == VTEP_GSO_SEGS) {
		if (v->ul)
			vnet_underlay_flush(v->ul);
		v->seal_q = 0;
	}
	return seal_slot(v, VTEP_GSO_SEGS + v->seal_q++);
}

/* Seal frame in[0..nin) (ilen bytes) behind header hdr (v->hlen bytes,
 * in a slot): the fields into hdr, the sealed frame after it, *out
 * pointing at that (ilen + tag bytes).  0, or -ENOKEY when no epoch is
 * valid now (counted: nothing is sent, never plaintext). */
static int seal_into(struct vtep *v, uint8_t *hdr, const struct iovec *in,
		     unsigned nin, size_t ilen, uint64_t now,
		     struct iovec *out)
{
	int r;

	r = vnet_seal_frame(v->seal, (int64_t)(now / 1000000000ULL), hdr,
			    v->hlen, in, nin, ilen, hdr + v->hlen);
	if (r < 0) {
		v->ctr[C_DROP_SEAL_NO_KEY].value++;
		return r;
	}
	out->iov_base = hdr + v->hlen;
	out->iov_len = ilen + VNET_SEAL_TAGLEN;
	return 0;
}

/* Add a unicast frame for the UDP underlay to the pending run; a frame
 * that does not continue the run sends it and starts the next. */
static int run_add(struct vtep *v, const struct vnet_addr *remote,
		   uint16_t sport, uint32_t hash, uint32_t vni,
		   const struct iovec *in, unsigned nin, size_t ilen,
		   uint64_t ts, uint64_t now)
{
	struct vtep_run *u = &v->run;
	const size_t hlen = v->hlen;
	uint8_t *hp = u->hdr;
	struct iovec sealed;
	int r;

	if (v->seal) /* every frame of a run grows alike */
		ilen += VNET_SEAL_TAGLEN;
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
		kind(v)->encode(v, u->hdr, vni, hash);
	}
	if (v->seal) {
		/* its own slot: the header with this packet's fields, then
		 * the sealed frame */
		hp = seal_slot(v, u->n);
		memcpy(hp, u->hdr, hlen);
		if (seal_into(v, hp, in, nin, ilen - VNET_SEAL_TAGLEN, now,
			      &sealed) < 0)
			return 0;
		in = &sealed;
		nin = 1;
	}
	u->now = now;
	u->f[u->n].iov = u->niov;
	u->f[u->n].nin = nin;
	u->f[u->n].ilen = ilen;
	u->iov[u->niov].iov_base = hp;
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

int vtep_encap(struct vtep *v, const struct vnet_frame *f,
	       const struct vnet_vhdr *vh, unsigned n)
{
	const struct vnet_addr **rem = v->rem;
	unsigned k;

	for (k = 0; k < n; k++) {
		const uint8_t *d = f[k].data;
		const struct vnet_vhdr *gh = vh ? &vh[k] : NULL;
		size_t len = f[k].len, ilen, wlen, l2, nr, j;
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
		/* A whole super-frame (tunnel offload) goes on as one; a
		 * plain frame with a partial checksum is completed here. */
		if (gh && gh->gso_type == VNET_GSO_NONE) {
			if (gh->flags & VNET_VHDR_F_NEEDS_CSUM)
				vnet_csum_complete((uint8_t *)d, len, gh);
			gh = NULL;
		}
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
		/* Never fragment, never truncate (RFC 7348 4.3); a
		 * super-frame by the frames it is cut into. */
		wlen = gh ? gso_wire_len(d, len, gh) - (l2 - VNET_ETH_HLEN)
			  : ilen;
		if (wlen + overhead(v) > v->conf.mtu) {
			v->ctr[C_DROP_TOO_BIG].value++;
			WARN_DROP(v, VTEP_W_TOO_BIG,
				  "drop_too_big: a %zu-byte frame does not fit "
				  "the underlay MTU %u: lower the inner MTU to "
				  "%u or raise --mtu",
				  wlen, v->conf.mtu,
				  v->conf.mtu - overhead(v) - VNET_ETH_HLEN);
			if (v->conf.pmtu_reply &&
			    (r = pmtu_answer(v, d, len, l2, f[k].ts_ns)) < 0)
				return r;
			continue;
		}
		now = vnet_clock_now();
		if (!vnet_mac_is_multicast(d) &&
		    (rem[0] = vnet_fdb_lookup(v->fdb, vni, d, now))) {
			nr = 1;
		} else {
			nr = vnet_fdb_flood(v->fdb, vni, rem, VNET_FDB_FLOOD_MAX);
			if (!nr) {
				v->ctr[C_DROP_NO_REMOTE].value++;
				WARN_DROP(v, VTEP_W_NO_REMOTE,
					  "drop_no_remote: no remote for VNI "
					  "%u: give --remote, an --fdb flood "
					  "entry or flood-add %u REMOTE",
					  vni, vni);
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
		if (gh) {
			if ((r = run_flush(v)) < 0)
				return r;
			kind(v)->encode(v, hdr, vni, h);
			for (j = 0; j < nr; j++)
				if ((r = emit_super(v, rem[j], sport, hdr, in,
						    nin, ilen, gh,
						    l2 - VNET_ETH_HLEN)) < 0)
					return r;
			continue;
		}
		if (!flood && v->gso && !v->outer &&
		    rem[0]->family == v->conf.local.family) {
			if ((r = run_add(v, rem[0], sport, h, vni, in, nin,
					 ilen, f[k].ts_ns, now)) < 0)
				return r;
			continue;
		}
		/* Floods and frames for a stream go as they come, after the
		 * run before them. */
		if ((r = run_flush(v)) < 0)
			return r;
		if (v->seal) {
			/* sealed once: every remote gets the same packet */
			uint8_t *sh = seal_qslot(v);
			struct iovec sealed;

			kind(v)->encode(v, sh, vni, h);
			if (seal_into(v, sh, in, nin, ilen, now, &sealed) < 0)
				continue;
			for (j = 0; j < nr; j++)
				if ((r = emit(v, rem[j], sport, sh, &sealed, 1,
					      sealed.iov_len,
					      f[k].ts_ns)) < 0)
					return r;
			continue;
		}
		kind(v)->encode(v, hdr, vni, h);
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
 * outer TOS was otos (-1: unknown); gh: the header of a super-frame of
 * the tunnel offload (base its outer frame), else NULL. */
static int decap_one(struct vtep *v, const struct vnet_addr *remote,
		     const uint8_t *p, size_t plen, uint64_t ts, int otos,
		     const struct vnet_vhdr *gh, const uint8_t *base)
{
	const uint8_t *in, *head;
	struct vnet_vhdr t;
	struct iovec iov[4];
	uint8_t tag[4], ecn[VTEP_ECN_COPY];
	size_t ilen, hlen, en;
	uint32_t vni;
	int vlan, r, n;

	if ((r = kind(v)->decode(v, p, plen, &vni, &hlen))) {
		count_drop(v, r);
		return 0;
	}
	in = p + hlen;
	ilen = plen - hlen;
	if (v->seal) {
		/* opened before anything else is believed: the VNI is in
		 * the associated data */
		r = vnet_seal_open(v->seal,
				   (int64_t)(vnet_clock_now() / 1000000000ULL),
				   p, hlen, plen, v->open_buf, &ilen);
		if (r) {
			v->ctr[seal_drop[r]].value++;
			return 0;
		}
		if (ilen < VNET_ETH_HLEN) {
			v->ctr[C_DROP_INNER_SHORT].value++;
			return 0;
		}
		in = v->open_buf;
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
	if (gh) {
		/* A super-frame of the tunnel offload: its header made
		 * relative to the inner frame, which starts off bytes into
		 * the outer one; its L4 header must lie in the inner frame. */
		size_t off = (size_t)(in - base);

		if (gh->csum_start < off + VNET_ETH_HLEN) {
			v->ctr[C_TAP_OFFLOAD_ERRORS].value++;
			return 0;
		}
		t = *gh;
		t.gso_type &= (uint8_t)~VNET_GSO_TUNNEL;
		t.flags &= (uint8_t)~VNET_VHDR_F_UDP_TUNNEL_CSUM;
		t.csum_start = (uint16_t)(gh->csum_start - off);
		t.hdr_len = (uint16_t)(gh->hdr_len > off ? gh->hdr_len - off
							 : 0);
		t.outer_th = t.inner_nh = 0;
	}
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
	if (gh) {
		/* ... moved by the tag put in */
		if (vlan) {
			t.csum_start += VNET_VLAN_HLEN;
			if (t.hdr_len)
				t.hdr_len += VNET_VLAN_HLEN;
		}
		r = vnet_port_send_vh(v->inner, &t, iov, n);
	} else {
		r = vnet_port_send(v->inner, ts, iov, n);
	}
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
	return decap_one(c->v, &d->src, d->data, d->len, c->ts, d->tos, NULL,
			 NULL);
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

/* A frame of the outer tap with tunnel offload, header h: 1 if it is
 * a super-frame to decapsulate whole (*t then its header relative to
 * the inner frame, which starts off bytes in), 0 if it is a plain frame
 * now (a partial checksum completed), -1 to drop (counted).  The outer
 * UDP checksum of a super-frame is partial: the kernel made it here and
 * trusts it, and so does this VTEP (over IPv4 it is cleared for the
 * parse, which would verify it; over IPv6, where 0 is not allowed, it is
 * completed). */
static int tunnel_rx(struct vtep *v, uint8_t *d, size_t len,
		     const struct vnet_vhdr *h)
{
	size_t u = h->outer_th;

	if (!(h->gso_type & VNET_GSO_TUNNEL)) {
		if (h->flags & VNET_VHDR_F_NEEDS_CSUM)
			vnet_csum_complete(d, len, h);
		return 0;
	}
	v->ctr[C_DECAP_TUNNEL_SUPERFRAMES].value++;
	if (h->flags & VNET_VHDR_F_UDP_TUNNEL_CSUM) {
		if (d[12] == 0x08 && d[13] == 0x00) {
			vnet_put16(d + u + 6, 0);
		} else {
			struct vnet_vhdr c = { .flags = VNET_VHDR_F_NEEDS_CSUM,
					       .csum_start = (uint16_t)u,
					       .csum_offset = 6 };

			vnet_csum_complete(d, len, &c);
		}
	}
	return 1;
}

/* Answer a neighbour solicitation for our outer address on a frame-stream
 * underlay with a neighbour advertisement (RFC 4861 7.2.4), the IPv6 side
 * of outer_arp: a kernel stack behind a tap resolves this VTEP, and the
 * sender's MAC is learned for the way back.  Returns 1 when the frame was
 * a solicitation for us (answered), 0 when it is not one, or -errno from
 * the stream. */
static int outer_ndp(struct vtep *v, const uint8_t *d, size_t len,
		     uint64_t ts)
{
	const uint8_t *ip = d + VNET_ETH_HLEN, *icmp = ip + VNET_IP6_HLEN;
	struct vnet_addr src, dst;
	uint8_t r[VNET_ETH_HLEN + VNET_IP6_HLEN + 32], *rip, *ric;
	struct iovec iov = { r, sizeof(r) };
	size_t plen;
	uint32_t sum;
	int rc;

	if (len < VNET_ETH_HLEN + VNET_IP6_HLEN + 24 ||
	    vnet_get16(d + 12) != VNET_ETH_P_IPV6 || ip[0] >> 4 != 6 ||
	    ip[6] != 58 || v->conf.local.family != AF_INET6)
		return 0;
	plen = vnet_get16(ip + 4);
	/* RFC 4861 7.1.1: hop limit 255, code 0, ICMP length >= 24. */
	if (icmp[0] != 135 || plen < 24 ||
	    plen > len - VNET_ETH_HLEN - VNET_IP6_HLEN)
		return 0;
	if (ip[7] != 255 || icmp[1] || memcmp(icmp + 8, v->conf.local.b, 16))
		return 1; /* a solicitation, not one to answer */
	vnet_addr_from_v6(&src, ip + 8);
	vnet_addr_from_v6(&dst, ip + 24);
	sum = vnet_csum_pseudo(&src, &dst, 58, (uint32_t)plen);
	if (vnet_csum_fold(vnet_csum_add(sum, icmp, plen)))
		return 1;
	/* From :: it is duplicate address detection: no answer. */
	if (vnet_addr_is_any(&src))
		return 1;
	neigh_learn(v, &src, d + 6);
	memcpy(r, d + 6, 6);
	memcpy(r + 6, v->conf.local_mac, 6);
	vnet_put16(r + 12, VNET_ETH_P_IPV6);
	rip = r + VNET_ETH_HLEN;
	memset(rip, 0, VNET_IP6_HLEN + 32);
	rip[0] = 0x60;
	vnet_put16(rip + 4, 32);
	rip[6] = 58;
	rip[7] = 255;
	memcpy(rip + 8, v->conf.local.b, 16);
	memcpy(rip + 24, src.b, 16);
	ric = rip + VNET_IP6_HLEN;
	ric[0] = 136;			/* neighbour advertisement */
	ric[4] = 0x60;			/* solicited, override */
	memcpy(ric + 8, v->conf.local.b, 16);
	ric[24] = 2;			/* target link-layer address */
	ric[25] = 1;
	memcpy(ric + 26, v->conf.local_mac, 6);
	sum = vnet_csum_pseudo(&v->conf.local, &src, 58, 32);
	vnet_put16(ric + 2, vnet_csum_fold(vnet_csum_add(sum, ric, 32)));
	v->ctr[C_NDP_REPLIES].value++;
	rc = vnet_port_send(v->outer, ts, &iov, 1);
	return rc < 0 ? rc : 1;
}

int vtep_decap_frames(struct vtep *v, const struct vnet_frame *f,
		      const struct vnet_vhdr *vh, unsigned n)
{
	unsigned k;
	int r;

	for (k = 0; k < n; k++) {
		const uint8_t *pl;
		struct vnet_outer o;
		const struct vnet_vhdr *gh = NULL;
		size_t plen;

		vnet_clock_observe(f[k].ts_ns);
		if (vh && tunnel_rx(v, (uint8_t *)f[k].data, f[k].len,
				    &vh[k]) == 1)
			gh = &vh[k];
		if (f[k].len >= VNET_ETH_HLEN && f[k].data[12] == 0x08 &&
		    f[k].data[13] == 0x06) {
			if ((r = outer_arp(v, f[k].data, f[k].len,
					   f[k].ts_ns)) < 0)
				return r;
			continue;
		}
		if ((r = outer_ndp(v, f[k].data, f[k].len, f[k].ts_ns)) < 0)
			return r;
		if (r)
			continue;
		if (kind(v)->proto == IPPROTO_UDP)
			r = vnet_outer_parse_eth_flags(
				f[k].data, f[k].len,
				v->conf.zero_csum & VNET_UNDERLAY_ZERO_RX
					? VNET_OUTER_UDP6_ZERO_OK
					: 0,
				&o, &pl, &plen);
		else
			r = vnet_gre_parse_eth(f[k].data, f[k].len, &o, &pl,
					       &plen);
		if (r) {
			count_drop(v, r);
			continue;
		}
		/* An outer packet of the other family than --local. */
		if (o.dst.family != v->conf.local.family) {
			v->ctr[C_DROP_FAMILY].value++;
			continue;
		}
		if (kind(v)->proto == IPPROTO_UDP &&
		    o.dport != v->conf.dstport) {
			v->ctr[C_DROP_WRONG_PORT].value++;
			continue;
		}
		if (!vnet_addr_eq(&o.dst, &v->conf.local)) {
			v->ctr[C_DROP_NOT_LOCAL].value++;
			continue;
		}
		neigh_learn(v, &o.src, o.smac);
		if ((r = decap_one(v, &o.src, pl, plen, f[k].ts_ns, o.tos, gh,
				   f[k].data)) < 0)
			return r;
	}
	return 0;
}
