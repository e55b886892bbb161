/* SPDX-License-Identifier: ISC */
/* router.c -- the vnet-route data path (router.h): first hop (ARP, NDP,
 * router advertisements), per-tenant longest-prefix routing, neighbour
 * resolution with bounded queues, ICMP errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/lpm.h"
#include "vnet-route/router.h"
#include "vnet/addr.h"
#include "vnet/bytes.h"
#include "vnet/counter.h"
#include "vnet/csum.h"
#include "vnet/hash.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"

#define NONE 0xffffffffu
#define FRAME_MAX (9000 + 18)
#define NS_PER_S 1000000000ULL
#define RESOLVE_TRIES 3
#define RESOLVE_GAP_NS NS_PER_S
#define FAILED_HOLD_NS (3 * NS_PER_S) /* a failed neighbour stays, so a
				      * flood does not ask again and again */
#define RA_SOLICITED_GAP_NS NS_PER_S

enum ctr {
	C_FRAMES,
	C_PASSED,
	C_ROUTED4,
	C_ROUTED6,
	C_ARP_REPLIES,
	C_ARP_SUPPRESS_HIT,
	C_ARP_SUPPRESS_MISS,
	C_ARP_ANNOUNCED,
	C_NA_SENT,
	C_ND_SUPPRESS_HIT,
	C_ND_SUPPRESS_MISS,
	C_NA_ANNOUNCED,
	C_RA_SENT,
	C_ARP_REQUESTS,
	C_NS_SENT,
	C_NEIGH_LEARNED,
	C_NEIGH_MOVED,
	C_NEIGH_FULL,
	C_NEIGH_FAILED,
	C_NEIGH_EXPIRED,
	C_QUEUED,
	C_QUEUE_DROPS,
	C_QUEUE_SENT,
	C_ECHO_REPLIES,
	C_ICMP_TIME_EXCEEDED,
	C_ICMP_UNREACH,
	C_ICMP_TOO_BIG,
	C_ICMP_RATE_LIMITED,
	C_DHCP_REPLIES,
	C_DHCP_DROPS,
	C_DROP_DHCP_UNCONF,
	C_DROP_SEGMENT,
	C_DROP_UNKNOWN_SEGMENT,
	C_DROP_MALFORMED,
	C_DROP_NOT_ROUTABLE,
	C_DROP_TO_GATEWAY,
	C_DROP_TOO_BIG,
	C_DROP_ROGUE_RA,
	C_DROP_OTHER_SEGMENT,
	C_DROP_TAGGED_ACCESS,
	C_DROP_TOO_LONG,
	C_RELOADS,
	C_RELOAD_FAILED,
	C_MAX
};

static const char *const ctr_name[C_MAX] = {
	[C_FRAMES] = "frames",
	[C_PASSED] = "passed",
	[C_ROUTED4] = "routed4",
	[C_ROUTED6] = "routed6",
	[C_ARP_REPLIES] = "arp_replies",
	[C_ARP_SUPPRESS_HIT] = "arp_suppress_hit",
	[C_ARP_SUPPRESS_MISS] = "arp_suppress_miss",
	[C_ARP_ANNOUNCED] = "arp_announced",
	[C_NA_SENT] = "na_sent",
	[C_ND_SUPPRESS_HIT] = "nd_suppress_hit",
	[C_ND_SUPPRESS_MISS] = "nd_suppress_miss",
	[C_NA_ANNOUNCED] = "na_announced",
	[C_RA_SENT] = "ra_sent",
	[C_ARP_REQUESTS] = "arp_requests_sent",
	[C_NS_SENT] = "ns_sent",
	[C_NEIGH_LEARNED] = "neigh_learned",
	[C_NEIGH_MOVED] = "neigh_moved",
	[C_NEIGH_FULL] = "neigh_table_full",
	[C_NEIGH_FAILED] = "neigh_failed",
	[C_NEIGH_EXPIRED] = "neigh_expired",
	[C_QUEUED] = "queued",
	[C_QUEUE_DROPS] = "queue_drops",
	[C_QUEUE_SENT] = "queue_sent",
	[C_ECHO_REPLIES] = "echo_replies",
	[C_ICMP_TIME_EXCEEDED] = "icmp_time_exceeded",
	[C_ICMP_UNREACH] = "icmp_unreachable",
	[C_ICMP_TOO_BIG] = "icmp_too_big",
	[C_ICMP_RATE_LIMITED] = "icmp_rate_limited",
	[C_DHCP_REPLIES] = "dhcp_replies",
	[C_DHCP_DROPS] = "dhcp_drops",
	[C_DROP_DHCP_UNCONF] = "drop_dhcp_unconfigured",
	[C_DROP_SEGMENT] = "drop_no_segment",
	[C_DROP_UNKNOWN_SEGMENT] = "drop_unknown_segment",
	[C_DROP_MALFORMED] = "drop_malformed",
	[C_DROP_NOT_ROUTABLE] = "drop_not_routable",
	[C_DROP_TO_GATEWAY] = "drop_to_gateway",
	[C_DROP_TOO_BIG] = "drop_too_big",
	[C_DROP_ROGUE_RA] = "drop_rogue_ra",
	[C_DROP_OTHER_SEGMENT] = "drop_other_segment",
	[C_DROP_TAGGED_ACCESS] = "drop_tagged_access",
	[C_DROP_TOO_LONG] = "drop_too_long",
	[C_RELOADS] = "reloads",
	[C_RELOAD_FAILED] = "reload_failed",
};

/* A route of a tenant's table; the LPM's values index these. */
struct rt {
	uint8_t kind; /* enum route_kind */
	uint16_t seg; /* CONNECTED, SEGMENT */
	uint16_t from; /* LEAK */
	uint8_t via[16];
	struct route_prefix pfx;
};

struct tenant {
	struct route_lpm *lpm[2]; /* [0] IPv4, [1] IPv6 */
};

enum nstate { N_FREE, N_INCOMPLETE, N_REACHABLE, N_STATIC, N_FAILED };
static const char *const nstate_name[] = {
	"free", "incomplete", "reachable", "static", "failed",
};

struct qpkt {
	struct qpkt *next;
	size_t len;
	uint8_t data[]; /* the IP packet, TTL already decremented */
};

struct neigh {
	uint16_t vid;
	uint8_t fam; /* 4 or 6 */
	uint8_t state;
	uint8_t addr[16];
	uint8_t mac[6];
	uint8_t right; /* behind the fabric */
	uint8_t tries;
	uint16_t qlen;
	uint64_t updated, next_try;
	uint32_t next; /* hash chain */
	struct qpkt *qhead, *qtail;
};

struct seg_state {
	uint64_t next_ra, last_solicited_ra;
};

struct route_router {
	struct route_conf *c;
	struct route_router_config rc;
	struct tenant *tenants;
	struct rt *rt;
	unsigned nrt;
	int16_t seg_of_vid[4096]; /* index into c->seg, -1 */
	struct seg_state *ss;
	struct neigh *nb;
	uint32_t *bucket, nbucket, nused, free_head;
	uint32_t queued; /* packets in every queue */
	uint32_t seed;
	double tokens;
	uint64_t token_time;
	uint64_t next_scan;
	uint64_t ctr[C_MAX];
	uint8_t ll[16]; /* fe80:: + EUI-64 of the gateway MAC */
	uint8_t buf[FRAME_MAX + 64];
	uint8_t in[FRAME_MAX + 64];  /* an access port's frame, tagged */
	uint8_t acc[FRAME_MAX + 64]; /* a frame to it, untagged */
};

/* ---- checksums ---- */

uint16_t route_csum_update16(uint16_t hc, uint16_t m, uint16_t m1)
{
	uint32_t s = (uint16_t)~hc + (uint32_t)(uint16_t)~m + m1;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void addr_of(struct vnet_addr *a, int fam, const uint8_t *b)
{
	if (fam == 4)
		vnet_addr_from_v4(a, b);
	else
		vnet_addr_from_v6(a, b);
}

/* The ICMPv6 (or other upper layer) checksum over IPv6 packet ip. */
static uint16_t csum6(const uint8_t *ip, size_t l4len)
{
	struct vnet_addr s, d;
	uint32_t sum;

	addr_of(&s, 6, ip + 8);
	addr_of(&d, 6, ip + 24);
	sum = vnet_csum_pseudo(&s, &d, ip[6], (uint32_t)l4len);
	return vnet_csum_fold(vnet_csum_add(sum, ip + 40, l4len));
}

/* ---- frames out ---- */

/* The Ethernet header (tagged unless vid is 0) at r->buf; returns its
 * length. */
static size_t eth(struct route_router *r, const uint8_t *dst, uint16_t vid,
		  uint16_t type)
{
	uint8_t *b = r->buf;

	memcpy(b, dst, 6);
	memcpy(b + 6, r->c->gw_mac, 6);
	if (!vid) {
		vnet_put16(b + 12, type);
		return 14;
	}
	vnet_put16(b + 12, VNET_ETH_P_8021Q);
	vnet_put16(b + 14, vid);
	vnet_put16(b + 16, type);
	return 18;
}

/* Frame f out in direction dir; on an access port (--segment) the left
 * takes only frames of its segment, untagged.  0, or -1 when it is
 * dropped (counted). */
static int emit_frame(struct route_router *r, enum vnet_dir dir,
		      const uint8_t *f, size_t len)
{
	uint16_t vid;
	size_t l2;
	int kind;

	if (r->rc.access_vid < 0 || dir == VNET_EGRESS) {
		r->rc.emit(r->rc.arg, dir, f, len);
		return 0;
	}
	kind = vnet_segment_of(f, len, &vid, &l2);
	if (!vnet_segment_ok(kind) || vid != r->rc.access_vid) {
		r->ctr[C_DROP_OTHER_SEGMENT]++;
		return -1;
	}
	if (kind == VNET_SEG_UNTAGGED) {
		r->rc.emit(r->rc.arg, dir, f, len);
		return 0;
	}
	if (len > FRAME_MAX) {
		r->ctr[C_DROP_TOO_LONG]++;
		return -1;
	}
	memcpy(r->acc, f, 12);
	memcpy(r->acc + 12, f + 16, len - 16);
	r->rc.emit(r->rc.arg, dir, r->acc, len - 4);
	return 0;
}

static void emit(struct route_router *r, enum vnet_dir dir, size_t len)
{
	(void)emit_frame(r, dir, r->buf, len);
}

/* A frame from direction dir is answered toward where it came from. */
static enum vnet_dir back(enum vnet_dir dir)
{
	return dir == VNET_EGRESS ? VNET_INGRESS : VNET_EGRESS;
}

/* An IPv6 header at p: src, dst, next header, payload length. */
static void ip6_hdr(uint8_t *p, const uint8_t *src, const uint8_t *dst,
		    uint8_t nh, size_t plen, uint8_t hlim)
{
	p[0] = 0x60;
	p[1] = p[2] = p[3] = 0;
	vnet_put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = hlim;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

static void ip4_hdr(uint8_t *p, const uint8_t *src, const uint8_t *dst,
		    uint8_t proto, size_t tlen)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	vnet_put16(p + 2, (uint16_t)tlen);
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	vnet_put16(p + 10, vnet_ip4_csum(p, 20));
}

/* ---- tables ---- */

static void free_tables(struct route_router *r)
{
	unsigned i;

	if (r->tenants)
		for (i = 0; i < r->c->ntenants; i++) {
			route_lpm_free(r->tenants[i].lpm[0]);
			route_lpm_free(r->tenants[i].lpm[1]);
		}
	free(r->tenants);
	free(r->rt);
	free(r->ss);
	r->tenants = NULL;
	r->rt = NULL;
	r->ss = NULL;
}

static int add_rt(struct route_router *r, uint16_t t, const struct rt *e)
{
	struct route_lpm *l = r->tenants[t].lpm[e->pfx.family == 6];

	r->rt[r->nrt] = *e;
	return route_lpm_insert(l, e->pfx.addr, e->pfx.plen, r->nrt++);
}

/* The tables of r->c. */
static int build(struct route_router *r)
{
	const struct route_conf *c = r->c;
	unsigned i;
	int ret = -ENOMEM;

	r->nrt = 0;
	if (!(r->tenants = calloc(c->ntenants ? c->ntenants : 1,
				  sizeof(*r->tenants))) ||
	    !(r->rt = calloc(2 * c->nseg + c->nroute + 1, sizeof(*r->rt))) ||
	    !(r->ss = calloc(c->nseg + 1, sizeof(*r->ss))))
		goto out;
	for (i = 0; i < c->ntenants; i++)
		if (!(r->tenants[i].lpm[0] = route_lpm_new(32)) ||
		    !(r->tenants[i].lpm[1] = route_lpm_new(128)))
			goto out;
	for (i = 0; i < 4096; i++)
		r->seg_of_vid[i] = -1;
	for (i = 0; i < c->nseg; i++) {
		const struct route_seg *s = &c->seg[i];
		struct rt e = { .kind = ROUTE_CONNECTED, .seg = (uint16_t)i };

		r->seg_of_vid[s->vid] = (int16_t)i;
		if (s->has4) {
			e.pfx = s->pfx4;
			if (add_rt(r, s->tenant, &e) < 0)
				goto out;
		}
		if (s->has6) {
			e.pfx = s->pfx6;
			if (add_rt(r, s->tenant, &e) < 0)
				goto out;
		}
	}
	for (i = 0; i < c->nroute; i++) {
		const struct route_static *s = &c->route[i];
		struct rt e = { .kind = s->kind, .seg = s->seg,
				.from = s->from, .pfx = s->pfx };

		memcpy(e.via, s->via, 16);
		if (add_rt(r, s->tenant, &e) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* The segment and next hop for dst in tenant t: 0, or -ENETUNREACH.
 * *rti the route that decided. */
static int lookup(const struct route_router *r, uint16_t t, int fam,
		  const uint8_t *dst, unsigned *segp, uint8_t *nh,
		  uint32_t *rti)
{
	const uint8_t *key = dst;
	int depth, leaked = 0;
	uint32_t v;

	for (depth = 0; depth < 4; depth++) {
		const struct rt *e;

		if (!route_lpm_lookup(r->tenants[t].lpm[fam == 6], key, &v,
				      NULL))
			return -ENETUNREACH;
		e = &r->rt[v];
		if (!depth)
			*rti = v;
		switch (e->kind) {
		case ROUTE_CONNECTED:
		case ROUTE_SEGMENT:
			*segp = e->seg;
			memcpy(nh, key, fam == 4 ? 4 : 16);
			return 0;
		case ROUTE_VIA:
			if (depth)
				return -ENETUNREACH; /* one recursion */
			key = e->via;
			break;
		case ROUTE_LEAK:
			if (leaked)
				return -ENETUNREACH;
			leaked = 1;
			t = e->from;
			break;
		}
	}
	return -ENETUNREACH;
}

static void rt_describe(const struct route_router *r, uint16_t t,
			uint32_t rti, char *buf, size_t n)
{
	const struct rt *e = &r->rt[rti];
	const struct route_conf *c = r->c;
	char pb[64], ab[VNET_ADDRSTRLEN];
	struct vnet_addr a;

	route_prefix_fmt(&e->pfx, pb);
	switch (e->kind) {
	case ROUTE_CONNECTED:
		snprintf(buf, n, "%s %s connected segment %u", c->tenant[t], pb,
			 c->seg[e->seg].vid);
		break;
	case ROUTE_SEGMENT:
		snprintf(buf, n, "%s %s segment %u", c->tenant[t], pb,
			 c->seg[e->seg].vid);
		break;
	case ROUTE_VIA:
		addr_of(&a, e->pfx.family, e->via);
		snprintf(buf, n, "%s %s via %s", c->tenant[t], pb,
			 vnet_addr_fmt(&a, ab));
		break;
	default:
		snprintf(buf, n, "%s %s leak from %s", c->tenant[t], pb,
			 c->tenant[e->from]);
	}
}

/* ---- neighbours ---- */

static uint32_t nhash(const struct route_router *r, uint16_t vid, int fam,
		      const uint8_t *addr)
{
	uint8_t k[19];

	vnet_put16(k, vid);
	k[2] = (uint8_t)fam;
	memset(k + 3, 0, 16);
	memcpy(k + 3, addr, fam == 4 ? 4 : 16);
	return vnet_hash_bytes(k, sizeof(k), r->seed) & (r->nbucket - 1);
}

static struct neigh *nfind(struct route_router *r, uint16_t vid, int fam,
			   const uint8_t *addr)
{
	uint32_t i = r->bucket[nhash(r, vid, fam, addr)];
	size_t al = fam == 4 ? 4 : 16;

	for (; i != NONE; i = r->nb[i].next) {
		struct neigh *n = &r->nb[i];

		if (n->vid == vid && n->fam == fam &&
		    !memcmp(n->addr, addr, al))
			return n;
	}
	return NULL;
}

static void qdrop(struct route_router *r, struct neigh *n, int count)
{
	struct qpkt *q, *nx;

	for (q = n->qhead; q; q = nx) {
		nx = q->next;
		free(q);
		if (count)
			r->ctr[C_QUEUE_DROPS]++;
		r->queued--;
	}
	n->qhead = n->qtail = NULL;
	n->qlen = 0;
}

static void nremove(struct route_router *r, struct neigh *n)
{
	uint32_t idx = (uint32_t)(n - r->nb);
	uint32_t *pp = &r->bucket[nhash(r, n->vid, n->fam, n->addr)];

	while (*pp != idx)
		pp = &r->nb[*pp].next;
	*pp = n->next;
	qdrop(r, n, 1);
	n->state = N_FREE;
	n->next = r->free_head;
	r->free_head = idx;
	r->nused--;
}

/* A new entry (state N_FREE to be set), or NULL when the table is full
 * (counted). */
static struct neigh *nadd(struct route_router *r, uint16_t vid, int fam,
			  const uint8_t *addr)
{
	struct neigh *n;
	uint32_t idx, h;

	if (r->free_head == NONE) {
		r->ctr[C_NEIGH_FULL]++;
		return NULL;
	}
	idx = r->free_head;
	n = &r->nb[idx];
	r->free_head = n->next;
	memset(n, 0, sizeof(*n));
	n->vid = vid;
	n->fam = (uint8_t)fam;
	memcpy(n->addr, addr, fam == 4 ? 4 : 16);
	h = nhash(r, vid, fam, addr);
	n->next = r->bucket[h];
	r->bucket[h] = idx;
	r->nused++;
	return n;
}

static int alloc_neigh(struct route_router *r)
{
	uint32_t i, max = r->c->neigh_max;

	for (r->nbucket = 16; r->nbucket < 2 * max; r->nbucket *= 2)
		;
	if (!(r->nb = calloc(max, sizeof(*r->nb))) ||
	    !(r->bucket = malloc(r->nbucket * sizeof(*r->bucket))))
		return -ENOMEM;
	for (i = 0; i < r->nbucket; i++)
		r->bucket[i] = NONE;
	for (i = 0; i < max; i++)
		r->nb[i].next = i + 1 < max ? i + 1 : NONE;
	r->free_head = 0;
	r->nused = 0;
	return 0;
}

static void add_statics(struct route_router *r)
{
	unsigned i;

	for (i = 0; i < r->c->nneigh; i++) {
		const struct route_sneigh *s = &r->c->neigh[i];
		uint16_t vid = r->c->seg[s->seg].vid;
		struct neigh *n = nfind(r, vid, s->family, s->addr);

		if (!n && !(n = nadd(r, vid, s->family, s->addr)))
			continue;
		n->state = N_STATIC;
		memcpy(n->mac, s->mac, 6);
		n->right = s->remote;
	}
}

static void send_queue(struct route_router *r, struct neigh *n);

/* What a frame from side dir says of addr: it is at mac. */
static void learn(struct route_router *r, uint16_t vid, int fam,
		  const uint8_t *addr, const uint8_t *mac, enum vnet_dir dir,
		  uint64_t now)
{
	struct neigh *n = nfind(r, vid, fam, addr);
	uint8_t right = dir == VNET_INGRESS;

	if (vnet_mac_is_multicast(mac) || vnet_mac_is_zero(mac) ||
	    !memcmp(mac, r->c->gw_mac, 6))
		return;
	if (!n) {
		if (!(n = nadd(r, vid, fam, addr)))
			return;
		r->ctr[C_NEIGH_LEARNED]++;
	} else if (n->state == N_STATIC) {
		return;
	} else if (n->state == N_REACHABLE &&
		   (memcmp(n->mac, mac, 6) || n->right != right)) {
		r->ctr[C_NEIGH_MOVED]++;
	} else if (n->state != N_REACHABLE) {
		r->ctr[C_NEIGH_LEARNED]++;
	}
	memcpy(n->mac, mac, 6);
	n->right = right;
	n->state = N_REACHABLE;
	n->updated = now;
	if (n->qhead)
		send_queue(r, n);
}

/* ---- ARP and NDP out ---- */

static void arp_frame(struct route_router *r, enum vnet_dir dir,
		      const uint8_t *edst, uint16_t vid, uint16_t op,
		      const uint8_t *sha, const uint8_t *spa,
		      const uint8_t *tha, const uint8_t *tpa)
{
	size_t o = eth(r, edst, vid, VNET_ETH_P_ARP);
	uint8_t *a = r->buf + o;

	vnet_put16(a, 1);
	vnet_put16(a + 2, VNET_ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	vnet_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	o += 28;
	if (o < 60) {
		memset(r->buf + o, 0, 60 - o);
		o = 60;
	}
	emit(r, dir, o);
}

/* An NA for target (mac tmac) to dst (eth edst); flags R S O. */
static void na_frame(struct route_router *r, enum vnet_dir dir,
		     const uint8_t *edst, uint16_t vid, const uint8_t *src,
		     const uint8_t *dst, const uint8_t *target,
		     const uint8_t *tmac, uint8_t flags)
{
	size_t o = eth(r, edst, vid, VNET_ETH_P_IPV6);
	uint8_t *ip = r->buf + o, *m = ip + 40;

	memset(m, 0, 32);
	m[0] = 136;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	m[24] = 2; /* target link-layer address */
	m[25] = 1;
	memcpy(m + 26, tmac, 6);
	ip6_hdr(ip, src, dst, 58, 32, 255);
	vnet_put16(m + 2, csum6(ip, 32));
	emit(r, dir, o + 72);
}

static void mac_of_mcast6(uint8_t *mac, const uint8_t *a)
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, a + 12, 4);
}

/* Ask for n on its segment, left and right. */
static void solicit(struct route_router *r, struct neigh *n)
{
	const struct route_seg *s = &r->c->seg[r->seg_of_vid[n->vid]];
	static const uint8_t bcast[6] = { 255, 255, 255, 255, 255, 255 };
	static const uint8_t zero[6];
	enum vnet_dir d;

	for (d = VNET_EGRESS; d <= VNET_INGRESS; d++) {
		if (n->fam == 4) {
			arp_frame(r, d, bcast, n->vid, 1, r->c->gw_mac, s->gw4,
				  zero, n->addr);
			r->ctr[C_ARP_REQUESTS]++;
		} else {
			uint8_t sn[16] = { 0xff, 2, [11] = 1, [12] = 0xff };
			uint8_t mac[6];
			size_t o;
			uint8_t *ip, *m;

			memcpy(sn + 13, n->addr + 13, 3);
			mac_of_mcast6(mac, sn);
			o = eth(r, mac, n->vid, VNET_ETH_P_IPV6);
			ip = r->buf + o;
			m = ip + 40;
			memset(m, 0, 32);
			m[0] = 135;
			memcpy(m + 8, n->addr, 16);
			m[24] = 1; /* source link-layer address */
			m[25] = 1;
			memcpy(m + 26, r->c->gw_mac, 6);
			ip6_hdr(ip, s->gw6, sn, 58, 32, 255);
			vnet_put16(m + 2, csum6(ip, 32));
			emit(r, d, o + 72);
			r->ctr[C_NS_SENT]++;
		}
	}
}

/* A router advertisement of segment s to the left: to all nodes. */
static void send_ra(struct route_router *r, const struct route_seg *s)
{
	static const uint8_t all[16] = { 0xff, 2, [15] = 1 };
	uint8_t mac[6];
	size_t o, l = 16 + 8 + 8 + 32;
	uint8_t *ip, *m;

	mac_of_mcast6(mac, all);
	o = eth(r, mac, s->vid, VNET_ETH_P_IPV6);
	ip = r->buf + o;
	m = ip + 40;
	memset(m, 0, l);
	m[0] = 134;
	m[4] = 64; /* cur hop limit */
	vnet_put16(m + 6, (uint16_t)r->c->ra_lifetime_s);
	/* source link-layer address */
	m[16] = 1;
	m[17] = 1;
	memcpy(m + 18, r->c->gw_mac, 6);
	/* MTU */
	m[24] = 5;
	m[25] = 1;
	vnet_put32(m + 28, s->mtu);
	/* prefix information (RFC 4861 4.6.2): on-link, autonomous */
	m[32] = 3;
	m[33] = 4;
	m[34] = s->pfx6.plen;
	m[35] = 0xc0;
	vnet_put32(m + 36, 86400);
	vnet_put32(m + 40, 14400);
	memcpy(m + 48, s->pfx6.addr, 16);
	ip6_hdr(ip, r->ll, all, 58, l, 255);
	vnet_put16(m + 2, csum6(ip, l));
	emit(r, VNET_INGRESS, o + 40 + l);
	r->ctr[C_RA_SENT]++;
}

/* ---- routed frames ---- */

/* IP packet pkt (len bytes) to neighbour n. */
static void send_to(struct route_router *r, const struct neigh *n,
		    const uint8_t *pkt, size_t len)
{
	size_t o = eth(r, n->mac, n->vid,
		       n->fam == 4 ? VNET_ETH_P_IP : VNET_ETH_P_IPV6);

	if (o + len > sizeof(r->buf))
		return;
	memmove(r->buf + o, pkt, len);
	emit(r, n->right ? VNET_EGRESS : VNET_INGRESS, o + len);
	r->ctr[n->fam == 4 ? C_ROUTED4 : C_ROUTED6]++;
}

static void send_queue(struct route_router *r, struct neigh *n)
{
	struct qpkt *q, *nx;

	for (q = n->qhead; q; q = nx) {
		nx = q->next;
		send_to(r, n, q->data, q->len);
		r->ctr[C_QUEUE_SENT]++;
		r->queued--;
		free(q);
	}
	n->qhead = n->qtail = NULL;
	n->qlen = 0;
}

static void enqueue(struct route_router *r, struct neigh *n,
		    const uint8_t *pkt, size_t len)
{
	struct qpkt *q;

	if (n->qlen >= r->c->queue_max || r->queued >= r->c->queue_total ||
	    !(q = malloc(sizeof(*q) + len))) {
		r->ctr[C_QUEUE_DROPS]++;
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, pkt, len);
	if (n->qtail)
		n->qtail->next = q;
	else
		n->qhead = q;
	n->qtail = q;
	n->qlen++;
	r->queued++;
	r->ctr[C_QUEUED]++;
}

/* ---- ICMP ---- */

static int icmp_allowed(struct route_router *r, uint64_t now)
{
	double rate = r->c->icmp_rate;

	if (!rate) {
		r->ctr[C_ICMP_RATE_LIMITED]++;
		return 0;
	}
	if (now > r->token_time) {
		r->tokens += (double)(now - r->token_time) * rate / 1e9;
		if (r->tokens > rate)
			r->tokens = rate;
	}
	r->token_time = now;
	if (r->tokens < 1) {
		r->ctr[C_ICMP_RATE_LIMITED]++;
		return 0;
	}
	r->tokens -= 1;
	return 1;
}

/* An ICMP or ICMPv6 error about packet ip (iplen bytes) that came in on
 * segment s from mac src in direction dir.  word is the 32 bits after
 * the checksum (the MTU of frag-needed / packet too big). */
static void icmp_error(struct route_router *r, enum vnet_dir dir,
		       const struct route_seg *s, const uint8_t *src,
		       int fam, const uint8_t *ip, size_t iplen,
		       uint8_t type, uint8_t code, uint32_t word,
		       uint64_t now, int ctr)
{
	size_t o, q, l;
	uint8_t *h;

	if (!icmp_allowed(r, now))
		return;
	if (fam == 4) {
		o = eth(r, src, s->vid, VNET_ETH_P_IP);
		q = iplen > 576 - 28 ? 576 - 28 : iplen;
		h = r->buf + o;
		l = 8 + q;
		memset(h + 20, 0, 8);
		h[20] = type;
		h[21] = code;
		vnet_put32(h + 24, word);
		memcpy(h + 28, ip, q);
		vnet_put16(h + 22, vnet_csum_fold(vnet_csum_add(0, h + 20, l)));
		ip4_hdr(h, s->gw4, ip + 12, 1, 20 + l);
	} else {
		o = eth(r, src, s->vid, VNET_ETH_P_IPV6);
		q = iplen > 1280 - 48 ? 1280 - 48 : iplen;
		h = r->buf + o;
		l = 8 + q;
		memset(h + 40, 0, 8);
		h[40] = type;
		h[41] = code;
		vnet_put32(h + 44, word);
		memcpy(h + 48, ip, q);
		ip6_hdr(h, s->gw6, ip + 8, 58, l, 64);
		vnet_put16(h + 42, csum6(h, l));
		l += 20; /* 40 of the header less the 20 counted below */
	}
	emit(r, back(dir), o + 20 + l);
	r->ctr[ctr]++;
}

/* Whether an error may be sent about this packet (RFC 1812 4.3.2.7,
 * RFC 4443 2.4 e). */
static int may_error(int fam, const uint8_t *ip, const struct vnet_pkt *p)
{
	if (fam == 4) {
		uint8_t s0 = ip[12];

		if ((vnet_get16(ip + 6) & 0x1fff) || s0 == 0 || s0 == 127 ||
		    s0 >= 224)
			return 0;
		if (p->ip_proto == 1 && (p->layers & VNET_L_ICMP) &&
		    p->icmp_type != 0 && p->icmp_type != 8 &&
		    p->icmp_type != 13 && p->icmp_type != 15 &&
		    p->icmp_type != 17)
			return 0;
		return 1;
	}
	if (ip[8] == 0xff || vnet_addr_is_any(&p->saddr))
		return 0;
	if (p->ip_proto == 58 && (p->layers & VNET_L_ICMP) &&
	    p->icmp_type < 128)
		return 0;
	return 1;
}

/* ---- the frame path ---- */

#define WHY(s) (v ? (void)(v->why = (s)) : (void)0)

static int is_gw(const struct route_router *r, const struct route_seg *s,
		 int fam, const uint8_t *a)
{
	if (fam == 4)
		return s->has4 && !memcmp(a, s->gw4, 4);
	return (s->has6 && !memcmp(a, s->gw6, 16)) || !memcmp(a, r->ll, 16);
}

static enum route_act arp_in(struct route_router *r, enum vnet_dir dir,
			     const struct route_seg *s, const uint8_t *f,
			     size_t l3, size_t len, uint64_t now,
			     struct route_verdict *v)
{
	const uint8_t *a = f + l3, *sha, *spa, *tha, *tpa;
	struct neigh *n;
	uint16_t op;

	if (len < l3 + 28 || vnet_get16(a) != 1 ||
	    vnet_get16(a + 2) != VNET_ETH_P_IP || a[4] != 6 || a[5] != 4) {
		WHY("arp-not-ipv4");
		r->ctr[C_PASSED]++;
		return ROUTE_PASS;
	}
	op = vnet_get16(a + 6);
	sha = a + 8;
	spa = a + 14;
	tha = a + 18;
	tpa = a + 24;
	if (s->has4 && route_prefix_has(&s->pfx4, spa) &&
	    memcmp(spa, s->gw4, 4))
		learn(r, s->vid, 4, spa, sha, dir, now);
	if (op == 1 && s->has4 && !memcmp(tpa, s->gw4, 4)) {
		if (dir == VNET_INGRESS) {
			WHY("arp-gateway-remote");
			r->ctr[C_DROP_TO_GATEWAY]++;
			return ROUTE_DROP;
		}
		arp_frame(r, back(dir), sha, s->vid, 2, r->c->gw_mac, s->gw4,
			  sha, spa);
		r->ctr[C_ARP_REPLIES]++;
		WHY("arp-reply");
		return ROUTE_DONE;
	}
	if (op == 2 && s->has4 && !memcmp(tpa, s->gw4, 4)) {
		/* An answer to the gateway: every node's router should know
		 * it, so it goes on to the fabric broadcast (the anycast MAC
		 * would reach only one). */
		if (dir == VNET_EGRESS) {
			static const uint8_t bc[6] = { 255, 255, 255,
						       255, 255, 255 };

			arp_frame(r, VNET_EGRESS, bc, s->vid, 2, sha, spa,
				  r->c->gw_mac, s->gw4);
			r->ctr[C_ARP_ANNOUNCED]++;
		}
		WHY("arp-learned");
		return ROUTE_DONE;
	}
	if (op == 1 && dir == VNET_EGRESS && memcmp(spa, tpa, 4)) {
		n = nfind(r, s->vid, 4, tpa);
		if (n && (n->state == N_REACHABLE || n->state == N_STATIC) &&
		    memcmp(n->mac, sha, 6)) {
			arp_frame(r, back(dir), sha, s->vid, 2, n->mac, tpa,
				  sha, spa);
			r->ctr[C_ARP_SUPPRESS_HIT]++;
			WHY("arp-suppressed");
			return ROUTE_DONE;
		}
		r->ctr[C_ARP_SUPPRESS_MISS]++;
		(void)tha;
	}
	WHY("arp-pass");
	r->ctr[C_PASSED]++;
	return ROUTE_PASS;
}

/* The link-layer address option of type t in the options [o, end). */
static const uint8_t *nd_opt(const uint8_t *o, const uint8_t *end, int t)
{
	while (o + 2 <= end && o[1]) {
		if (o + 8 * o[1] > end)
			return NULL;
		if (o[0] == t && o[1] == 1)
			return o + 2;
		o += 8 * o[1];
	}
	return NULL;
}

/* NDP (RFC 4861): 1 handled, 0 not NDP for the router. */
static int nd_in(struct route_router *r, enum vnet_dir dir,
		 const struct route_seg *s, const uint8_t *f, size_t len,
		 const struct vnet_pkt *p, uint64_t now,
		 struct route_verdict *v, enum route_act *act)
{
	const uint8_t *ip = f + p->l3_off, *m = f + p->l4_off;
	const uint8_t *end = f + p->l3_off + p->l3_len, *lla;
	uint8_t type = p->icmp_type;
	struct neigh *n;

	if (end > f + len)
		end = f + len;
	if (p->ttl != 255 || type < 133 || type > 136)
		return 0;
	switch (type) {
	case 133: /* router solicitation */
		if (dir == VNET_INGRESS || !s->has6)
			return 0;
		if ((lla = nd_opt(m + 8, end, 1)) &&
		    !vnet_addr_is_any(&p->saddr))
			learn(r, s->vid, 6, ip + 8, lla, dir, now);
		if (!r->ss[r->seg_of_vid[s->vid]].last_solicited_ra ||
		    now >= r->ss[r->seg_of_vid[s->vid]].last_solicited_ra +
				   RA_SOLICITED_GAP_NS) {
			r->ss[r->seg_of_vid[s->vid]].last_solicited_ra = now;
			send_ra(r, s);
		}
		WHY("router-advertisement");
		*act = ROUTE_DONE;
		return 1;
	case 134: /* a router advertisement from a workload */
		if (dir == VNET_INGRESS)
			return 0;
		r->ctr[C_DROP_ROGUE_RA]++;
		WHY("rogue-ra");
		*act = ROUTE_DROP;
		return 1;
	case 135: /* neighbour solicitation */
		if (end < m + 24)
			return 0;
		lla = nd_opt(m + 24, end, 1);
		if (lla && !vnet_addr_is_any(&p->saddr) && s->has6 &&
		    (route_prefix_has(&s->pfx6, ip + 8) || ip[8] == 0xfe) &&
		    !is_gw(r, s, 6, ip + 8))
			learn(r, s->vid, 6, ip + 8, lla, dir, now);
		if (is_gw(r, s, 6, m + 8)) {
			static const uint8_t all[16] = { 0xff, 2, [15] = 1 };
			int dad = vnet_addr_is_any(&p->saddr);
			uint8_t mac[6];

			if (dir == VNET_INGRESS) {
				WHY("ns-gateway-remote");
				r->ctr[C_DROP_TO_GATEWAY]++;
				*act = ROUTE_DROP;
				return 1;
			}
			if (dad)
				mac_of_mcast6(mac, all);
			na_frame(r, back(dir), dad ? mac : f + 6, s->vid, m + 8,
				 dad ? all : ip + 8, m + 8, r->c->gw_mac,
				 dad ? 0xa0 : 0xe0);
			r->ctr[C_NA_SENT]++;
			WHY("neighbour-advertisement");
			*act = ROUTE_DONE;
			return 1;
		}
		if (dir == VNET_EGRESS && !vnet_addr_is_any(&p->saddr)) {
			n = nfind(r, s->vid, 6, m + 8);
			if (n && (n->state == N_REACHABLE ||
				  n->state == N_STATIC) &&
			    memcmp(n->mac, f + 6, 6)) {
				na_frame(r, back(dir), f + 6, s->vid, m + 8,
					 ip + 8, m + 8, n->mac, 0x60);
				r->ctr[C_ND_SUPPRESS_HIT]++;
				WHY("nd-suppressed");
				*act = ROUTE_DONE;
				return 1;
			}
			r->ctr[C_ND_SUPPRESS_MISS]++;
		}
		return 0;
	case 136: /* neighbour advertisement */
		if (end < m + 24)
			return 0;
		lla = nd_opt(m + 24, end, 2);
		if (s->has6 && (route_prefix_has(&s->pfx6, m + 8) ||
				m[8] == 0xfe) &&
		    !is_gw(r, s, 6, m + 8))
			learn(r, s->vid, 6, m + 8, lla ? lla : f + 6, dir, now);
		if (is_gw(r, s, 6, ip + 24)) {
			if (dir == VNET_EGRESS) {
				/* As an ARP reply to the gateway: on to
				 * every node. */
				static const uint8_t all[16] = { 0xff, 2,
								 [15] = 1 };
				size_t fl = (size_t)(end - f);

				if (fl <= sizeof(r->buf)) {
					memcpy(r->buf, f, fl);
					mac_of_mcast6(r->buf, all);
					emit(r, VNET_EGRESS, fl);
					r->ctr[C_NA_ANNOUNCED]++;
				}
			}
			WHY("nd-learned");
			*act = ROUTE_DONE;
			return 1;
		}
		return 0;
	}
	return 0;
}

/* An echo request to the gateway: the reply, back where it came from. */
static void echo_reply(struct route_router *r, enum vnet_dir dir,
		       const uint8_t *f, size_t l2, const struct vnet_pkt *p,
		       const struct route_seg *s, int fam)
{
	size_t l = p->l3_len, o;
	uint8_t *h;
	uint16_t vid = s->vid;

	if (l2 + l > sizeof(r->buf) - 18)
		return;
	o = eth(r, f + 6, vid, fam == 4 ? VNET_ETH_P_IP : VNET_ETH_P_IPV6);
	h = r->buf + o;
	memcpy(h, f + l2, l);
	if (fam == 4) {
		size_t hl = (size_t)(h[0] & 15) * 4;

		memcpy(h + 12, f + l2 + 16, 4);
		memcpy(h + 16, f + l2 + 12, 4);
		h[8] = 64;
		vnet_put16(h + 10, 0);
		vnet_put16(h + 10, vnet_ip4_csum(h, hl));
		h[hl] = 0;
		vnet_put16(h + hl + 2, 0);
		vnet_put16(h + hl + 2,
		      vnet_csum_fold(vnet_csum_add(0, h + hl, l - hl)));
	} else {
		size_t ho = p->l4_off - p->l3_off;

		if (ho != 40)
			return;
		memcpy(h + 8, f + l2 + 24, 16);
		memcpy(h + 24, f + l2 + 8, 16);
		h[7] = 64;
		h[40] = 129;
		vnet_put16(h + 42, 0);
		vnet_put16(h + 42, csum6(h, l - 40));
	}
	emit(r, back(dir), o + l);
	r->ctr[C_ECHO_REPLIES]++;
}

/* Whether a packet to dst (and, for IPv6, from its source) may be
 * routed: not multicast, broadcast, link-local or reserved. */
static int routable(int fam, const uint8_t *ip, const uint8_t *dst)
{
	if (fam == 4)
		return dst[0] < 224 && dst[0] != 0 && dst[0] != 127;
	if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		return 0;
	return ip[8] != 0xff && !(ip[8] == 0xfe && (ip[9] & 0xc0) == 0x80);
}

static enum route_act ip_in(struct route_router *r, enum vnet_dir dir,
			    const struct route_seg *s, const uint8_t *f,
			    size_t len, const struct vnet_pkt *p, uint64_t now,
			    struct route_verdict *v)
{
	int fam = p->layers & VNET_L_IPV4 ? 4 : 6;
	const uint8_t *ip = f + p->l3_off;
	size_t iplen = p->l3_len;
	const uint8_t *dst = ip + (fam == 4 ? 16 : 24);
	const struct route_seg *os;
	uint8_t nh[16], *pkt;
	unsigned osi, i;
	struct neigh *n;
	uint32_t rti;

	(void)len;
	if (fam == 4 ? !s->has4 : !s->has6) {
		WHY("no-prefix");
		r->ctr[C_DROP_NOT_ROUTABLE]++;
		return ROUTE_DROP;
	}
	if (fam == 4 && vnet_ip4_csum(ip, (size_t)(ip[0] & 15) * 4)) {
		WHY("bad-checksum");
		r->ctr[C_DROP_MALFORMED]++;
		return ROUTE_DROP;
	}
	/* To one of the tenant's gateway addresses: ping answers. */
	for (i = 0; i < r->c->nseg; i++) {
		const struct route_seg *g = &r->c->seg[i];

		if (g->tenant != s->tenant || !is_gw(r, g, fam, dst))
			continue;
		if ((p->layers & VNET_L_ICMP) &&
		    p->icmp_type == (fam == 4 ? 8 : 128) &&
		    !(p->layers & VNET_L_FRAG)) {
			echo_reply(r, dir, f, p->l3_off, p, s, fam);
			WHY("echo-reply");
			return ROUTE_DONE;
		}
		WHY("to-gateway");
		r->ctr[C_DROP_TO_GATEWAY]++;
		return ROUTE_DROP;
	}
	if (!routable(fam, ip, dst)) {
		WHY("not-routable");
		r->ctr[C_DROP_NOT_ROUTABLE]++;
		return ROUTE_DROP;
	}
	if (p->ttl <= 1) {
		if (may_error(fam, ip, p))
			icmp_error(r, dir, s, f + 6, fam, ip, iplen,
				   fam == 4 ? 11 : 3, 0, 0, now,
				   C_ICMP_TIME_EXCEEDED);
		WHY("ttl-exceeded");
		return ROUTE_DROP;
	}
	if (lookup(r, s->tenant, fam, dst, &osi, nh, &rti) < 0) {
		if (may_error(fam, ip, p))
			icmp_error(r, dir, s, f + 6, fam, ip, iplen,
				   fam == 4 ? 3 : 1, 0, 0, now,
				   C_ICMP_UNREACH);
		else
			r->ctr[C_DROP_NOT_ROUTABLE]++;
		WHY("no-route");
		return ROUTE_DROP;
	}
	if (v)
		rt_describe(r, s->tenant, rti, v->route, sizeof(v->route));
	os = &r->c->seg[osi];
	if (iplen > os->mtu) {
		if (fam == 6 || (vnet_get16(ip + 6) & 0x4000)) {
			if (may_error(fam, ip, p))
				icmp_error(r, dir, s, f + 6, fam, ip, iplen,
					   fam == 4 ? 3 : 2, fam == 4 ? 4 : 0,
					   fam == 4 ? os->mtu : os->mtu, now,
					   C_ICMP_TOO_BIG);
			WHY("too-big");
		} else {
			r->ctr[C_DROP_TOO_BIG]++;
			WHY("too-big-no-df");
		}
		return ROUTE_DROP;
	}
	/* The packet with its TTL one less, in r->buf past room for the
	 * Ethernet header (send_to copies it to the front). */
	pkt = r->buf + 64;
	memcpy(pkt, ip, iplen);
	if (fam == 4) {
		uint16_t old = vnet_get16(pkt + 8);

		pkt[8]--;
		vnet_put16(pkt + 10,
			   route_csum_update16(vnet_get16(pkt + 10), old,
					       vnet_get16(pkt + 8)));
	} else {
		pkt[7]--;
	}
	if (!(n = nfind(r, os->vid, fam, nh))) {
		if (!(n = nadd(r, os->vid, fam, nh))) {
			WHY("neigh-table-full");
			return ROUTE_DROP;
		}
		n->state = N_INCOMPLETE;
		n->updated = now;
		n->tries = 1;
		n->next_try = now + RESOLVE_GAP_NS;
		enqueue(r, n, pkt, iplen);
		solicit(r, n);
		WHY("resolving");
		return ROUTE_DONE;
	}
	switch (n->state) {
	case N_REACHABLE:
	case N_STATIC:
		send_to(r, n, pkt, iplen);
		WHY("routed");
		return ROUTE_DONE;
	case N_INCOMPLETE:
		enqueue(r, n, pkt, iplen);
		WHY("resolving");
		return ROUTE_DONE;
	default:
		r->ctr[C_QUEUE_DROPS]++;
		WHY("neigh-failed");
		return ROUTE_DROP;
	}
}

static enum route_act frame_in(struct route_router *r, enum vnet_dir dir,
			       const uint8_t *frame, size_t len, uint64_t now,
			       struct route_verdict *v)
{
	const struct route_seg *s;
	struct vnet_pkt p;
	uint16_t vid, type;
	size_t l2;
	int kind, si;

	r->ctr[C_FRAMES]++;
	if (v) {
		v->why = "pass";
		strcpy(v->route, "-");
	}
	kind = vnet_segment_of(frame, len, &vid, &l2);
	if (!vnet_segment_ok(kind)) {
		WHY(vnet_segment_str(kind));
		r->ctr[C_DROP_SEGMENT]++;
		return ROUTE_DROP;
	}
	if ((si = r->seg_of_vid[vid]) < 0) {
		if (!memcmp(frame, r->c->gw_mac, 6)) {
			WHY("unknown-segment");
			r->ctr[C_DROP_UNKNOWN_SEGMENT]++;
			return ROUTE_DROP;
		}
		WHY("not-routed-segment");
		r->ctr[C_PASSED]++;
		return ROUTE_PASS;
	}
	s = &r->c->seg[si];
	type = vnet_get16(frame + l2 - 2);
	if (type == VNET_ETH_P_ARP)
		return arp_in(r, dir, s, frame, l2, len, now, v);
	if (type != VNET_ETH_P_IP && type != VNET_ETH_P_IPV6)
		goto pass;
	if (vnet_pkt_parse(frame, len, &p) < 0 || p.err) {
		if (!memcmp(frame, r->c->gw_mac, 6)) {
			WHY("malformed");
			r->ctr[C_DROP_MALFORMED]++;
			return ROUTE_DROP;
		}
		goto pass;
	}
	if ((p.layers & VNET_L_IPV6) && (p.layers & VNET_L_ICMP) &&
	    p.ip_proto == 58) {
		enum route_act act = ROUTE_PASS;

		if (nd_in(r, dir, s, frame, len, &p, now, v, &act))
			return act;
	}
	if ((p.layers & VNET_L_IPV4) && (p.layers & VNET_L_UDP) &&
	    p.dport == 67 && dir == VNET_EGRESS && s->dhcp &&
	    (!memcmp(frame, r->c->gw_mac, 6) ||
	     !memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6))) {
		/* ---- DHCP HOOK: the DHCPv4 engine answers ---- */
		int n;

		if (!r->rc.dhcp) {
			WHY("dhcp-unconfigured");
			r->ctr[C_DROP_DHCP_UNCONF]++;
			return ROUTE_DROP;
		}
		n = r->rc.dhcp(r->rc.dhcp_arg, s, frame, len, r->buf,
			       sizeof(r->buf), now);
		if (n > 0) {
			emit(r, back(dir), (size_t)n);
			r->ctr[C_DHCP_REPLIES]++;
			WHY("dhcp-reply");
			return ROUTE_DONE;
		}
		r->ctr[C_DHCP_DROPS]++;
		WHY(n ? "dhcp-drop" : "dhcp-no-reply");
		return ROUTE_DROP;
	}
	if (!memcmp(frame, r->c->gw_mac, 6))
		return ip_in(r, dir, s, frame, len, &p, now, v);
pass:
	WHY("switched");
	r->ctr[C_PASSED]++;
	return ROUTE_PASS;
}

enum route_act route_router_frame(struct route_router *r, enum vnet_dir dir,
				  const uint8_t *frame, size_t len,
				  uint64_t now, struct route_verdict *v)
{
	enum route_act act;
	int kind;

	if (r->rc.access_vid < 0)
		return frame_in(r, dir, frame, len, now, v);
	if (dir == VNET_EGRESS) {
		/* From the access port: untagged, into its segment. */
		kind = vnet_segment_of(frame, len, NULL, NULL);
		if (len + 4 > FRAME_MAX) {
			r->ctr[C_FRAMES]++;
			r->ctr[C_DROP_TOO_LONG]++;
			if (v) {
				v->why = "too-long";
				strcpy(v->route, "-");
			}
			return ROUTE_DROP;
		}
		if (kind != VNET_SEG_UNTAGGED) {
			r->ctr[C_FRAMES]++;
			r->ctr[C_DROP_TAGGED_ACCESS]++;
			if (v) {
				v->why = "tagged-on-access-port";
				strcpy(v->route, "-");
			}
			return ROUTE_DROP;
		}
		memcpy(r->in, frame, 12);
		vnet_put16(r->in + 12, VNET_ETH_P_8021Q);
		vnet_put16(r->in + 14, (uint16_t)r->rc.access_vid);
		memcpy(r->in + 16, frame + 12, len - 12);
		frame = r->in;
		len += 4;
	}
	act = frame_in(r, dir, frame, len, now, v);
	if (act != ROUTE_PASS)
		return act;
	r->ctr[C_PASSED]--; /* counted again below, or as a drop */
	if (dir == VNET_EGRESS) {
		r->rc.emit(r->rc.arg, dir, frame, len);
		r->ctr[C_PASSED]++;
		return ROUTE_DONE;
	}
	if (emit_frame(r, dir, frame, len) < 0)
		return ROUTE_DROP;
	r->ctr[C_PASSED]++;
	return ROUTE_DONE;
}

void route_router_tick(struct route_router *r, uint64_t now)
{
	const struct route_conf *c = r->c;
	uint32_t i;

	/* The neighbour scan, at most 4 times a second. */
	for (i = 0; now >= r->next_scan && i < c->neigh_max; i++) {
		struct neigh *n = &r->nb[i];

		switch (n->state) {
		case N_INCOMPLETE:
			if (now < n->next_try)
				break;
			if (n->tries >= RESOLVE_TRIES) {
				qdrop(r, n, 1);
				n->state = N_FAILED;
				n->updated = now;
				r->ctr[C_NEIGH_FAILED]++;
				break;
			}
			n->tries++;
			n->next_try = now + RESOLVE_GAP_NS;
			solicit(r, n);
			break;
		case N_FAILED:
			if (now >= n->updated + FAILED_HOLD_NS)
				nremove(r, n);
			break;
		case N_REACHABLE:
			if (now >= n->updated + c->neigh_age_ns) {
				nremove(r, n);
				r->ctr[C_NEIGH_EXPIRED]++;
			}
			break;
		}
	}
	if (now >= r->next_scan)
		r->next_scan = now + NS_PER_S / 4;
	if (!c->ra_interval_ns)
		return;
	for (i = 0; i < c->nseg; i++) {
		if (!c->seg[i].has6 || now < r->ss[i].next_ra)
			continue;
		send_ra(r, &c->seg[i]);
		r->ss[i].next_ra = now + c->ra_interval_ns;
	}
}

/* ---- life ---- */

static void make_ll(struct route_router *r)
{
	memset(r->ll, 0, 16);
	r->ll[0] = 0xfe;
	r->ll[1] = 0x80;
	memcpy(r->ll + 8, r->c->gw_mac, 3);
	r->ll[8] ^= 2;
	r->ll[11] = 0xff;
	r->ll[12] = 0xfe;
	memcpy(r->ll + 13, r->c->gw_mac + 3, 3);
}

struct route_router *route_router_new(struct route_conf *c,
				      const struct route_router_config *rc)
{
	struct route_router *r;
	int e;

	if (!(r = calloc(1, sizeof(*r)))) {
		route_conf_free(c);
		return NULL;
	}
	r->c = c;
	r->rc = *rc;
	r->seed = (uint32_t)vnet_random_seed(r);
	r->tokens = c->icmp_rate;
	make_ll(r);
	if (build(r) < 0 || alloc_neigh(r) < 0) {
		e = errno ? errno : ENOMEM;
		route_router_free(r);
		errno = e;
		return NULL;
	}
	add_statics(r);
	return r;
}

void route_router_free(struct route_router *r)
{
	uint32_t i;

	if (!r)
		return;
	if (r->nb)
		for (i = 0; i < r->c->neigh_max; i++)
			if (r->nb[i].state != N_FREE)
				qdrop(r, &r->nb[i], 0);
	free(r->nb);
	free(r->bucket);
	free_tables(r);
	route_conf_free(r->c);
	free(r);
}

int route_router_replace(struct route_router *r, struct route_conf *c)
{
	struct route_router *nr;
	struct route_router_config rc = r->rc;
	uint32_t i;

	if (!(nr = route_router_new(c, &rc)))
		return -ENOMEM;
	/* Learned neighbours whose segment and prefix remain. */
	for (i = 0; i < r->c->neigh_max; i++) {
		struct neigh *o = &r->nb[i], *n;
		int si = nr->seg_of_vid[o->vid];
		const struct route_seg *s;

		if (o->state != N_REACHABLE || si < 0)
			continue;
		s = &nr->c->seg[si];
		if (!(o->fam == 4 ? s->has4 && route_prefix_has(&s->pfx4,
								o->addr)
				  : s->has6 && (route_prefix_has(&s->pfx6,
								 o->addr) ||
						o->addr[0] == 0xfe)))
			continue;
		if (nfind(nr, o->vid, o->fam, o->addr) ||
		    !(n = nadd(nr, o->vid, o->fam, o->addr)))
			continue;
		n->state = N_REACHABLE;
		memcpy(n->mac, o->mac, 6);
		n->right = o->right;
		n->updated = o->updated;
	}
	memcpy(nr->ctr, r->ctr, sizeof(nr->ctr));
	nr->tokens = r->tokens;
	nr->token_time = r->token_time;
	/* Swap the insides, so r stays the caller's handle. */
	{
		struct route_router tmp;

		memcpy(&tmp, r, sizeof(tmp));
		memcpy(r, nr, sizeof(*r));
		memcpy(nr, &tmp, sizeof(*nr));
	}
	route_router_free(nr);
	return 0;
}

const struct route_conf *route_router_conf(const struct route_router *r)
{
	return r->c;
}

void route_router_count(struct route_router *r, enum route_ctr which)
{
	r->ctr[which == RC_RELOADS ? C_RELOADS : C_RELOAD_FAILED]++;
}

void route_router_print_counters(const struct route_router *r, FILE *f)
{
	struct vnet_counter c[C_MAX];
	int i;

	for (i = 0; i < C_MAX; i++) {
		c[i].name = ctr_name[i];
		c[i].value = r->ctr[i];
	}
	vnet_counters_print(f, NULL, c, C_MAX);
}

/* ---- dumps ---- */

struct walk_arg {
	const struct route_router *r;
	uint16_t t;
	FILE *f;
	int fam;
};

static int dump_one(void *arg, const uint8_t *key, unsigned plen,
		    uint32_t value)
{
	struct walk_arg *w = arg;
	const struct route_router *r = w->r;
	const struct rt *e = &r->rt[value];
	char pb[64], ab[VNET_ADDRSTRLEN];
	struct vnet_addr a;
	static const char *const kind[] = { "connected", "via", "segment",
					    "leak" };

	(void)key;
	(void)plen;
	fprintf(w->f, "%s\t%s\t%s\t%s\t", r->c->tenant[w->t],
		w->fam == 4 ? "inet" : "inet6", route_prefix_fmt(&e->pfx, pb),
		kind[e->kind]);
	switch (e->kind) {
	case ROUTE_CONNECTED:
	case ROUTE_SEGMENT:
		fprintf(w->f, "%u\n", r->c->seg[e->seg].vid);
		break;
	case ROUTE_VIA:
		addr_of(&a, e->pfx.family, e->via);
		fprintf(w->f, "%s\n", vnet_addr_fmt(&a, ab));
		break;
	default:
		fprintf(w->f, "%s\n", r->c->tenant[e->from]);
	}
	return 0;
}

static int tenant_cmp(const void *a, const void *b, void *arg)
{
	const struct route_conf *c = arg;

	return strcmp(c->tenant[*(const uint16_t *)a],
		      c->tenant[*(const uint16_t *)b]);
}

int route_router_dump_routes(const struct route_router *r, FILE *f)
{
	uint16_t order[ROUTE_TENANTS_MAX];
	unsigned i;

	for (i = 0; i < r->c->ntenants; i++)
		order[i] = (uint16_t)i;
	qsort_r(order, r->c->ntenants, sizeof(order[0]), tenant_cmp,
		(void *)r->c);
	for (i = 0; i < r->c->ntenants; i++) {
		struct walk_arg w = { r, order[i], f, 4 };

		route_lpm_walk(r->tenants[order[i]].lpm[0], dump_one, &w);
		w.fam = 6;
		route_lpm_walk(r->tenants[order[i]].lpm[1], dump_one, &w);
	}
	return ferror(f) ? -EIO : 0;
}

static int neigh_cmp(const void *a, const void *b)
{
	const struct neigh *x = *(const struct neigh *const *)a;
	const struct neigh *y = *(const struct neigh *const *)b;

	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

int route_router_dump_neigh(const struct route_router *r, FILE *f,
			    uint64_t now)
{
	const struct neigh **v;
	uint32_t i, n = 0;
	char ab[VNET_ADDRSTRLEN], mb[VNET_MACSTRLEN];
	struct vnet_addr a;

	if (!(v = malloc((r->nused + 1) * sizeof(*v))))
		return -ENOMEM;
	for (i = 0; i < r->c->neigh_max; i++)
		if (r->nb[i].state != N_FREE && n < r->nused)
			v[n++] = &r->nb[i];
	qsort(v, n, sizeof(*v), neigh_cmp);
	for (i = 0; i < n; i++) {
		const struct neigh *e = v[i];

		addr_of(&a, e->fam, e->addr);
		fprintf(f, "%u\t%s\t%s\t%s\t%s\t%llu\t%u\n", e->vid,
			vnet_addr_fmt(&a, ab),
			e->state == N_REACHABLE || e->state == N_STATIC
				? vnet_mac_fmt(e->mac, mb)
				: "-",
			nstate_name[e->state], e->right ? "right" : "left",
			e->state == N_STATIC || now < e->updated
				? 0ULL
				: (unsigned long long)((now - e->updated) /
						       NS_PER_S),
			e->qlen);
	}
	free(v);
	return ferror(f) ? -EIO : 0;
}
