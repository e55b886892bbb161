/* SPDX-License-Identifier: ISC */
/* flow.c -- the bounded flow cache of the IPFIX exporter. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-flowexport/flow.h"
#include "vnet/bytes.h"
#include "vnet/hash.h"
#include "vnet/segment.h"
#include "vnet/ilist.h"
#include "vnet/vxlan.h"

/*
 * Entries live in one array allocated up front; free ones are chained
 * through lru.next.  The hash table is open addressing with linear probing
 * over a power-of-two number of slots, at least twice the entries, each
 * slot holding an entry index; deletion shifts the rest of the cluster
 * back (no tombstones).  Every entry keeps its hash so that a shift and a
 * probe compare keys only on a hash match.
 *
 * Two intrusive lists order the entries: lru by last packet (head the
 * newest, tail the least recently used: idle expiry and eviction start
 * there) and age by start (head the oldest: active expiry starts there).
 * With a clock that does not go backward both are sorted by time, so the
 * next flow to time out is always at one of two list ends.
 */

#define NIL VNET_ILIST_NIL

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_ICMPV6 58

struct ent {
	struct vnet_flow f;
	uint32_t hash;
	struct vnet_ilink lru, age;
};

struct vnet_flow_cache {
	struct ent *ent;
	uint32_t *slot;
	size_t mask;
	uint32_t max, count, free;
	struct vnet_ilist lru, age;
	uint32_t seed;
	uint32_t sample_n, sample_i;
	uint64_t active_ns, idle_ns;
	void (*expired)(void *arg, const struct vnet_flow *f);
	void *arg;
	struct vnet_flow_stats stats;
};

static const char *const end_names[] = {
	[VNET_FLOW_END_IDLE] = "idle",
	[VNET_FLOW_END_ACTIVE] = "active",
	[VNET_FLOW_END_END] = "end",
	[VNET_FLOW_END_FORCED] = "forced",
	[VNET_FLOW_END_LACK] = "lack-of-resources",
};

const char *vnet_flow_end_name(int reason)
{
	if (reason < VNET_FLOW_END_IDLE || reason > VNET_FLOW_END_LACK)
		return "?";
	return end_names[reason];
}

int vnet_flow_is_icmp(const struct vnet_flow_key *k)
{
	return (k->ip_version == 4 && k->proto == PROTO_ICMP) ||
	       (k->ip_version == 6 && k->proto == PROTO_ICMPV6);
}

int vnet_flow_from_pkt(const struct vnet_pkt *p, struct vnet_flow *obs)
{
	struct vnet_flow_key *k = &obs->key;

	if (!(p->layers & (VNET_L_IPV4 | VNET_L_IPV6))) {
		if (p->ethertype == VNET_ETH_P_IP ||
		    p->ethertype == VNET_ETH_P_IPV6 ||
		    p->err == VNET_PKT_ERR_VLAN_SHORT)
			return -EINVAL;
		return -ENOENT;
	}
	if (p->err)
		return -EINVAL;
	memset(obs, 0, sizeof(*obs));
	k->segment = VNET_FLOW_NO_SEGMENT;
	k->vlan = p->layers & VNET_L_VLAN ? p->vlan : 0;
	k->ip_version = p->layers & VNET_L_IPV4 ? 4 : 6;
	k->proto = p->ip_proto;
	/* Copy only what the family uses: the key's spare bytes stay 0. */
	k->src.family = k->dst.family = p->saddr.family;
	memcpy(k->src.b, p->saddr.b, k->ip_version == 4 ? 4 : 16);
	memcpy(k->dst.b, p->daddr.b, k->ip_version == 4 ? 4 : 16);
	if (p->layers & (VNET_L_TCP | VNET_L_UDP | VNET_L_SCTP)) {
		k->sport = p->sport;
		k->dport = p->dport;
		if (p->layers & VNET_L_TCP)
			obs->tcp_flags = p->tcp_flags;
	} else if (p->layers & VNET_L_ICMP) {
		/* The NetFlow convention: type and code in the dst port. */
		k->dport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
	}
	memcpy(obs->src_mac, p->src, 6);
	memcpy(obs->dst_mac, p->dst, 6);
	obs->tos = p->tos;
	obs->packets = 1;
	obs->bytes = p->l3_len;
	return 0;
}

void vnet_flow_classify_init(struct vnet_flow_classify *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 4096; i++)
		c->vlan_vni[i] = VNET_FLOW_NO_SEGMENT;
}

static int is_vxlan_port(const struct vnet_flow_classify *c, uint16_t port)
{
	unsigned i;

	for (i = 0; i < c->nports && i < VNET_FLOW_VXLAN_PORTS; i++)
		if (c->vxlan_ports[i] == port)
			return 1;
	return 0;
}

int vnet_flow_from_frame(const struct vnet_flow_classify *c,
			 const uint8_t *data, size_t len, struct vnet_flow *obs,
			 int *decap)
{
	struct vnet_outer o;
	struct vnet_pkt p;
	const uint8_t *pl;
	size_t plen;
	uint32_t vni;
	uint16_t vid;
	int r, kind;

	*decap = 0;
	if (vnet_pkt_parse(data, len, &p) < 0)
		return -EINVAL;
	/* The cheap parse first: only VXLAN candidates pay for the checks
	 * (checksums) of the outer parser. */
	if (c->nports && (p.layers & VNET_L_UDP) && !(p.layers & VNET_L_FRAG) &&
	    !p.err && is_vxlan_port(c, p.dport) &&
	    !vnet_outer_parse_eth(data, len, &o, &pl, &plen) &&
	    !vnet_vxlan_decode(pl, plen, 0, &vni)) {
		*decap = 1;
		if (vnet_pkt_parse(pl + VNET_VXLAN_HLEN, plen - VNET_VXLAN_HLEN,
				   &p) < 0)
			return -EINVAL;
		if ((r = vnet_flow_from_pkt(&p, obs)) < 0)
			return r;
		obs->key.segment = vni;
		return 0;
	}
	/* Not decapsulated: the frame's own segment (segment.h). */
	kind = vnet_segment_of(data, len, &vid, NULL);
	if (kind == VNET_SEG_RUNT)
		return -EINVAL;
	if (!vnet_segment_ok(kind))
		return kind;
	if ((r = vnet_flow_from_pkt(&p, obs)) < 0)
		return r;
	obs->key.vlan = vid;
	obs->key.segment = c->vlan_vni[vid];
	return 0;
}

/* The cache */

struct vnet_flow_cache *vnet_flow_new(const struct vnet_flow_config *c)
{
	struct vnet_flow_cache *fc;
	size_t nslots = 2, i;

	if (!c->max_flows || c->max_flows > VNET_FLOW_MAX || !c->expired) {
		errno = EINVAL;
		return NULL;
	}
	while (nslots < 2 * (size_t)c->max_flows)
		nslots <<= 1;
	if (!(fc = calloc(1, sizeof(*fc))))
		return NULL;
	fc->ent = calloc(c->max_flows, sizeof(*fc->ent));
	fc->slot = malloc(nslots * sizeof(*fc->slot));
	if (!fc->ent || !fc->slot) {
		vnet_flow_free(fc);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < nslots; i++)
		fc->slot[i] = NIL;
	for (i = 0; i < c->max_flows; i++)
		fc->ent[i].lru.next =
			i + 1 < c->max_flows ? (uint32_t)i + 1 : NIL;
	fc->free = 0;
	fc->mask = nslots - 1;
	fc->max = c->max_flows;
	vnet_ilist_init(&fc->lru);
	vnet_ilist_init(&fc->age);
	fc->active_ns = c->active_ns;
	fc->idle_ns = c->idle_ns;
	fc->sample_n = c->sample_n > 1 ? c->sample_n : 1;
	fc->expired = c->expired;
	fc->arg = c->arg;
	fc->seed = (uint32_t)vnet_random_seed(fc);
	return fc;
}

void vnet_flow_free(struct vnet_flow_cache *fc)
{
	if (!fc)
		return;
	free(fc->slot);
	free(fc->ent);
	free(fc);
}

int vnet_flow_set_seed(struct vnet_flow_cache *fc, uint32_t seed)
{
	if (fc->count)
		return -EBUSY;
	fc->seed = seed;
	return 0;
}

size_t vnet_flow_entry_size(void)
{
	return sizeof(struct ent) + 2 * sizeof(uint32_t);
}

const struct vnet_flow_stats *vnet_flow_stats(const struct vnet_flow_cache *fc)
{
	return &fc->stats;
}

int vnet_flow_sample(struct vnet_flow_cache *fc)
{
	uint32_t i = fc->sample_i;

	fc->sample_i = i + 1 == fc->sample_n ? 0 : i + 1;
	if (i) {
		fc->stats.sampled_out++;
		return 0;
	}
	return 1;
}

/* The slot holding key, or the free slot that ends its probe. */
static size_t slot_find(const struct vnet_flow_cache *fc,
			const struct vnet_flow_key *key, uint32_t hash)
{
	size_t i = hash & fc->mask;
	const struct ent *e;

	while (fc->slot[i] != NIL) {
		e = &fc->ent[fc->slot[i]];
		if (e->hash == hash && !memcmp(&e->f.key, key, sizeof(*key)))
			break;
		i = (i + 1) & fc->mask;
	}
	return i;
}

/* Empty slot i and shift the rest of its cluster back over the hole. */
static void slot_del(struct vnet_flow_cache *fc, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & fc->mask;
		if (fc->slot[j] == NIL)
			break;
		home = fc->ent[fc->slot[j]].hash & fc->mask;
		/* The entry at j may fill the hole unless its home lies in
		 * (i, j]. */
		if (((j - home) & fc->mask) >= ((j - i) & fc->mask)) {
			fc->slot[i] = fc->slot[j];
			i = j;
		}
	}
	fc->slot[i] = NIL;
}

/* The two lists over the entries (ilist.h). */
static void lru_unlink(struct vnet_flow_cache *fc, uint32_t x)
{
	vnet_ilist_del(&fc->lru, &fc->ent->lru, sizeof(*fc->ent), x);
}

static void lru_push_head(struct vnet_flow_cache *fc, uint32_t x)
{
	vnet_ilist_push_head(&fc->lru, &fc->ent->lru, sizeof(*fc->ent), x);
}

static void age_unlink(struct vnet_flow_cache *fc, uint32_t x)
{
	vnet_ilist_del(&fc->age, &fc->ent->age, sizeof(*fc->ent), x);
}

static void age_push_tail(struct vnet_flow_cache *fc, uint32_t x)
{
	vnet_ilist_push_tail(&fc->age, &fc->ent->age, sizeof(*fc->ent), x);
}

/* Hand entry x to the callback with reason and give its room back. */
static void expire_ent(struct vnet_flow_cache *fc, uint32_t x, int reason)
{
	struct ent *e = &fc->ent[x];

	switch (reason) {
	case VNET_FLOW_END_IDLE:
		fc->stats.idle++;
		break;
	case VNET_FLOW_END_ACTIVE:
		fc->stats.active_timeout++;
		break;
	case VNET_FLOW_END_END:
		fc->stats.end++;
		break;
	case VNET_FLOW_END_FORCED:
		fc->stats.forced++;
		break;
	default:
		fc->stats.evicted++;
		break;
	}
	e->f.end_reason = (uint8_t)reason;
	fc->expired(fc->arg, &e->f);
	slot_del(fc, slot_find(fc, &e->f.key, e->hash));
	lru_unlink(fc, x);
	age_unlink(fc, x);
	e->lru.next = fc->free;
	fc->free = x;
	fc->count--;
	fc->stats.active--;
}

/* The reason entry e has timed out by now, 0 if it has not.  When both
 * timeouts have passed, the one that came first wins (idle on a tie). */
static int timed_out(const struct vnet_flow_cache *fc, const struct ent *e,
		     uint64_t now)
{
	int idle = fc->idle_ns && now >= e->f.end_ns &&
		   now - e->f.end_ns >= fc->idle_ns;
	int active = fc->active_ns && now >= e->f.start_ns &&
		     now - e->f.start_ns >= fc->active_ns;

	if (idle && active)
		return e->f.end_ns + fc->idle_ns <=
				       e->f.start_ns + fc->active_ns
			       ? VNET_FLOW_END_IDLE
			       : VNET_FLOW_END_ACTIVE;
	return idle ? VNET_FLOW_END_IDLE : active ? VNET_FLOW_END_ACTIVE : 0;
}

int vnet_flow_add(struct vnet_flow_cache *fc, const struct vnet_flow *obs,
		  uint64_t now)
{
	uint32_t hash = vnet_hash_bytes(&obs->key, sizeof(obs->key), fc->seed);
	size_t i = slot_find(fc, &obs->key, hash);
	uint32_t x = fc->slot[i];
	struct ent *e;
	int r;

	if (x != NIL && (r = timed_out(fc, &fc->ent[x], now))) {
		expire_ent(fc, x, r);
		x = NIL;
		i = slot_find(fc, &obs->key, hash);
	}
	if (x == NIL) {
		if (fc->count == fc->max) {
			expire_ent(fc, fc->lru.tail, VNET_FLOW_END_LACK);
			i = slot_find(fc, &obs->key, hash);
		}
		x = fc->free;
		e = &fc->ent[x];
		fc->free = e->lru.next;
		memset(&e->f, 0, sizeof(e->f));
		e->f.key = obs->key;
		e->f.start_ns = e->f.end_ns = now;
		memcpy(e->f.src_mac, obs->src_mac, 6);
		memcpy(e->f.dst_mac, obs->dst_mac, 6);
		e->f.tos = obs->tos;
		e->hash = hash;
		fc->slot[i] = x;
		lru_push_head(fc, x);
		age_push_tail(fc, x);
		fc->count++;
		fc->stats.active++;
		fc->stats.created++;
	} else {
		e = &fc->ent[x];
		lru_unlink(fc, x);
		lru_push_head(fc, x);
		if (now > e->f.end_ns)
			e->f.end_ns = now;
	}
	e->f.packets += obs->packets;
	e->f.bytes += obs->bytes;
	e->f.tcp_flags |= obs->tcp_flags;
	if (obs->key.proto == PROTO_TCP &&
	    (obs->tcp_flags & (VNET_TCP_FIN | VNET_TCP_RST)))
		expire_ent(fc, x, VNET_FLOW_END_END);
	return 0;
}

unsigned vnet_flow_expire(struct vnet_flow_cache *fc, uint64_t now,
			  unsigned budget)
{
	unsigned n = 0;
	uint32_t x, a;
	int ri, ra;

	while (!budget || n < budget) {
		x = fc->lru.tail;
		a = fc->age.head;
		if (x == NIL)
			break;
		ri = timed_out(fc, &fc->ent[x], now);
		ra = a == x ? ri : timed_out(fc, &fc->ent[a], now);
		if (ri && ra && a != x) {
			/* Both ends are due: the earlier deadline first. */
			uint64_t di = ri == VNET_FLOW_END_IDLE
					      ? fc->ent[x].f.end_ns + fc->idle_ns
					      : fc->ent[x].f.start_ns + fc->active_ns;
			uint64_t da = ra == VNET_FLOW_END_IDLE
					      ? fc->ent[a].f.end_ns + fc->idle_ns
					      : fc->ent[a].f.start_ns + fc->active_ns;

			if (da < di)
				x = a, ri = ra;
		} else if (!ri) {
			x = a;
			ri = ra;
		}
		if (!ri)
			break;
		expire_ent(fc, x, ri);
		n++;
	}
	return n;
}

void vnet_flow_flush(struct vnet_flow_cache *fc)
{
	while (fc->age.head != NIL)
		expire_ent(fc, fc->age.head, VNET_FLOW_END_FORCED);
}

void vnet_flow_walk(const struct vnet_flow_cache *fc,
		    void (*fn)(void *arg, const struct vnet_flow *f),
		    void *arg)
{
	for (uint32_t x = fc->age.head; x != NIL; x = fc->ent[x].age.next)
		fn(arg, &fc->ent[x].f);
}

/* JSON */

static void mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

int vnet_flow_json(const struct vnet_flow *f, char *buf, size_t len)
{
	const struct vnet_flow_key *k = &f->key;
	char seg[16] = "null", vlan[8] = "null", smac[18], dmac[18];
	char src[VNET_ADDRSTRLEN], dst[VNET_ADDRSTRLEN], l4[64];
	int n;

	if (k->segment != VNET_FLOW_NO_SEGMENT)
		snprintf(seg, sizeof(seg), "%" PRIu32, k->segment);
	if (k->vlan)
		snprintf(vlan, sizeof(vlan), "%u", k->vlan);
	mac_str(f->src_mac, smac);
	mac_str(f->dst_mac, dmac);
	vnet_addr_fmt(&k->src, src);
	vnet_addr_fmt(&k->dst, dst);
	if (vnet_flow_is_icmp(k))
		snprintf(l4, sizeof(l4), "\"icmp_type\":%u,\"icmp_code\":%u",
			 k->dport >> 8, k->dport & 0xff);
	else
		snprintf(l4, sizeof(l4), "\"sport\":%u,\"dport\":%u", k->sport,
			 k->dport);
	n = snprintf(buf, len,
		     "{\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"segment\":%s,"
		     "\"vlan\":%s,\"src_mac\":\"%s\",\"dst_mac\":\"%s\","
		     "\"ip_version\":%u,\"src\":\"%s\",\"dst\":\"%s\","
		     "\"proto\":%u,%s,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		     ",\"tcp_flags\":%u,\"end_reason\":\"%s\"}",
		     f->start_ns / 1000000, f->end_ns / 1000000, seg, vlan, smac,
		     dmac, k->ip_version, src, dst, k->proto, l4, f->packets,
		     f->bytes, f->tcp_flags, vnet_flow_end_name(f->end_reason));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
