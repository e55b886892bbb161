/* SPDX-License-Identifier: ISC */
/* ct.c -- connection tracking: bounded table, TCP states, quotas. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-acl/ct.h"
#include "vnet/bytes.h"
#include "vnet/hash.h"
#include "vnet/ilist.h"

/*
 * All entries live in one array allocated by vnet_ct_new(); lists link
 * them by index (NIL ends a list):
 *   - hash chains from a power-of-two bucket array (at least max
 *     buckets, so chains average under one entry);
 *   - one LRU list per timeout class (head = most recently used).
 *     Within a class every entry has the same timeout, so the tail is
 *     the next to expire and expiry never scans;
 *   - the unreplied lists that eviction takes from: one global list of
 *     unreplied non-reserve entries, one of unreplied reserve entries,
 *     and per segment one of its unreplied non-reserve entries;
 *   - the free list, through the hash link.
 * Every operation is O(1) except hash removal (O(chain)) and walk/dump.
 *
 * The hash key is canonical: the two endpoints (address, port) in
 * byte order, so that both orientations of a connection hash alike and
 * one lookup finds either.  ICMP echo is the exception: its key is
 * (requester, responder, id) in that order, since the ICMP type tells
 * which side a packet comes from; an echo request the other way is
 * another connection.
 */

#define NIL VNET_ILIST_NIL
#define SEC 1000000000ull

#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

enum { K_PORTS, K_ECHO, K_ICMP, K_PROTO };	 /* key kinds */
enum { L_AGE, L_UR, L_SEG, L_N };		 /* links of a node */
enum { F_USED = 1, F_REPLIED = 2, F_EVICT = 4 }; /* node flags */

struct key {
	struct vnet_addr a, b;
	uint16_t pa, pb;
	uint16_t seg;
	uint8_t proto, kind;
};

struct node {
	struct vnet_ct_entry e; /* first: a struct vnet_ct_entry * is a node */
	struct vnet_ilink l[L_N];
	uint32_t hnext;
	uint32_t hash;
	uint8_t kind, tclass, flags;
};

struct vnet_ct {
	struct vnet_ct_config cfg;
	struct vnet_ct_stats stats;
	struct node *node;
	uint32_t *bucket;
	uint32_t mask; /* buckets - 1 */
	uint32_t free; /* free list head */
	uint32_t seed;
	struct vnet_ilist age[VNET_CT_T_MAX];
	struct vnet_ilist ur[2]; /* [0] non-reserve, [1] reserve */
	struct vnet_ilist segur[VNET_CT_SEGMENTS];
	uint32_t count[VNET_CT_SEGMENTS];  /* all entries of the segment */
	uint32_t qcount[VNET_CT_SEGMENTS]; /* its non-reserve entries */
	uint32_t seg_quota[VNET_CT_SEGMENTS];
};

/* clang-format off */
static const char *const timeout_names[VNET_CT_T_MAX] = {
	[VNET_CT_T_TCP_SYN] = "tcp-syn",
	[VNET_CT_T_TCP_EST] = "tcp-est",
	[VNET_CT_T_TCP_FIN] = "tcp-fin",
	[VNET_CT_T_TCP_CLOSE] = "tcp-close",
	[VNET_CT_T_UDP] = "udp",
	[VNET_CT_T_UDP_STREAM] = "udp-stream",
	[VNET_CT_T_ICMP] = "icmp",
	[VNET_CT_T_OTHER] = "other",
};

static const uint8_t state_class[] = {
	[VNET_CT_SYN_SENT] = VNET_CT_T_TCP_SYN,
	[VNET_CT_SYN_RECV] = VNET_CT_T_TCP_SYN,
	[VNET_CT_ESTABLISHED] = VNET_CT_T_TCP_EST,
	[VNET_CT_FIN_WAIT] = VNET_CT_T_TCP_FIN,
	[VNET_CT_CLOSE_WAIT] = VNET_CT_T_TCP_FIN,
	[VNET_CT_TIME_WAIT] = VNET_CT_T_TCP_CLOSE,
	[VNET_CT_CLOSED] = VNET_CT_T_TCP_CLOSE,
	[VNET_CT_UDP_NEW] = VNET_CT_T_UDP,
	[VNET_CT_UDP_REPLIED] = VNET_CT_T_UDP_STREAM,
	[VNET_CT_ICMP] = VNET_CT_T_ICMP,
	[VNET_CT_OTHER] = VNET_CT_T_OTHER,
};

static const char *const state_names[] = {
	[VNET_CT_SYN_SENT] = "SYN_SENT",
	[VNET_CT_SYN_RECV] = "SYN_RECV",
	[VNET_CT_ESTABLISHED] = "ESTABLISHED",
	[VNET_CT_FIN_WAIT] = "FIN_WAIT",
	[VNET_CT_CLOSE_WAIT] = "CLOSE_WAIT",
	[VNET_CT_TIME_WAIT] = "TIME_WAIT",
	[VNET_CT_CLOSED] = "CLOSED",
	[VNET_CT_UDP_NEW] = "UDP_NEW",
	[VNET_CT_UDP_REPLIED] = "UDP_REPLIED",
	[VNET_CT_ICMP] = "ICMP",
	[VNET_CT_OTHER] = "OTHER",
};
/* clang-format on */

/* ---- configuration ------------------------------------------------- */

void vnet_ct_config_set_max(struct vnet_ct_config *c, uint32_t max)
{
	c->max = max;
	c->reserve = max / 16;
	c->quota = (max - c->reserve) / 2;
	if (!c->quota)
		c->quota = 1;
}

void vnet_ct_config_default(struct vnet_ct_config *c)
{
	memset(c, 0, sizeof(*c));
	vnet_ct_config_set_max(c, 65536);
	c->timeout[VNET_CT_T_TCP_SYN] = 30 * SEC;
	c->timeout[VNET_CT_T_TCP_EST] = 7200 * SEC;
	c->timeout[VNET_CT_T_TCP_FIN] = 120 * SEC;
	c->timeout[VNET_CT_T_TCP_CLOSE] = 10 * SEC;
	c->timeout[VNET_CT_T_UDP] = 30 * SEC;
	c->timeout[VNET_CT_T_UDP_STREAM] = 180 * SEC;
	c->timeout[VNET_CT_T_ICMP] = 30 * SEC;
	c->timeout[VNET_CT_T_OTHER] = 60 * SEC;
}

int vnet_ct_timeout_parse(const char *name)
{
	for (int i = 0; i < VNET_CT_T_MAX; i++)
		if (!strcmp(name, timeout_names[i]))
			return i;
	return -1;
}

const char *vnet_ct_timeout_name(int i)
{
	return i >= 0 && i < VNET_CT_T_MAX ? timeout_names[i] : NULL;
}

const char *vnet_ct_state_name(int state)
{
	if (state < 0 ||
	    (size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[state];
}

/* ---- lists --------------------------------------------------------- */

/* List L over link w of the nodes (ilist.h). */
static void list_push(struct vnet_ct *ct, struct vnet_ilist *L, int w,
		      uint32_t i)
{
	vnet_ilist_push_head(L, &ct->node->l[w], sizeof(*ct->node), i);
}

static void list_del(struct vnet_ct *ct, struct vnet_ilist *L, int w,
		     uint32_t i)
{
	vnet_ilist_del(L, &ct->node->l[w], sizeof(*ct->node), i);
}

static void list_front(struct vnet_ct *ct, struct vnet_ilist *L, int w,
		       uint32_t i)
{
	vnet_ilist_move_head(L, &ct->node->l[w], sizeof(*ct->node), i);
}

/* The eviction lists: a node is on them (F_EVICT) while it is unreplied
 * or CLOSED. */
static void ur_add(struct vnet_ct *ct, uint32_t i)
{
	struct node *n = &ct->node[i];

	list_push(ct, &ct->ur[n->e.reserve], L_UR, i);
	if (!n->e.reserve)
		list_push(ct, &ct->segur[n->e.segment], L_SEG, i);
}

static void ur_del(struct vnet_ct *ct, uint32_t i)
{
	struct node *n = &ct->node[i];

	list_del(ct, &ct->ur[n->e.reserve], L_UR, i);
	if (!n->e.reserve)
		list_del(ct, &ct->segur[n->e.segment], L_SEG, i);
}

/* Put node i on the eviction lists or take it off, as its state says.
 * A CLOSED connection is dead: evicting it changes nothing a packet
 * would see (a SYN reopens it or opens a new one alike; anything else is
 * INVALID either way), so it goes first like an unreplied one. */
static void ur_update(struct vnet_ct *ct, uint32_t i)
{
	struct node *n = &ct->node[i];
	int want = !(n->flags & F_REPLIED) || n->e.state == VNET_CT_CLOSED;

	if (want && !(n->flags & F_EVICT)) {
		ur_add(ct, i);
		n->flags |= F_EVICT;
	} else if (!want && (n->flags & F_EVICT)) {
		ur_del(ct, i);
		n->flags &= (uint8_t)~F_EVICT;
	}
}

/* ---- keys ---------------------------------------------------------- */

/* Endpoints in canonical order, except for echo. */
static void key_canon(struct key *k)
{
	int c;

	if (k->kind == K_ECHO)
		return;
	c = vnet_addr_cmp(&k->a, &k->b);
	if (c > 0 || (c == 0 && k->pa > k->pb)) {
		struct vnet_addr t = k->a;
		uint16_t tp = k->pa;

		k->a = k->b;
		k->b = t;
		k->pa = k->pb;
		k->pb = tp;
	}
}

static uint32_t key_hash(const struct vnet_ct *ct, const struct key *k)
{
	return vnet_hash_bytes(k, sizeof(*k), ct->seed);
}

static int node_match(const struct node *n, const struct key *k)
{
	const struct vnet_ct_entry *e = &n->e;

	if (n->kind != k->kind || e->proto != k->proto || e->segment != k->seg)
		return 0;
	if (e->sport == k->pa && e->dport == k->pb &&
	    vnet_addr_eq(&e->saddr, &k->a) && vnet_addr_eq(&e->daddr, &k->b))
		return 1;
	return k->kind != K_ECHO && e->sport == k->pb && e->dport == k->pa &&
	       vnet_addr_eq(&e->saddr, &k->b) && vnet_addr_eq(&e->daddr, &k->a);
}

static uint32_t find(const struct vnet_ct *ct, const struct key *k, uint32_t h)
{
	uint32_t i;

	for (i = ct->bucket[h & ct->mask]; i != NIL; i = ct->node[i].hnext)
		if (ct->node[i].hash == h && node_match(&ct->node[i], k))
			return i;
	return NIL;
}

/* What a packet is, for tracking. */
enum pkt_kind {
	P_NONE, /* not IP, or a malformed IP header chain */
	P_TCP,
	P_TCP_BAD, /* TCP, not a fragment, header missing (malformed) */
	P_UDP,
	P_ECHO_REQ,
	P_ECHO_REP,
	P_ICMP, /* ICMP informational, not echo */
	P_ICMP_ERR,
	P_PROTO, /* other protocol, or a fragment without L4 header */
};

static int icmp_is_error(int v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static int icmp_echo(int v6, uint8_t type)
{
	if (type == (v6 ? 128 : 8))
		return P_ECHO_REQ;
	if (type == (v6 ? 129 : 0))
		return P_ECHO_REP;
	return 0;
}

/* The L4 part of a key from an ICMP header h (8 bytes readable). */
static int icmp_key(struct key *k, int v6, const uint8_t *h)
{
	int echo = icmp_echo(v6, h[0]);

	if (icmp_is_error(v6, h[0]))
		return P_ICMP_ERR;
	if (echo) {
		k->kind = K_ECHO;
		k->pa = k->pb = vnet_get16(h + 4);
		if (echo == P_ECHO_REP) {
			struct vnet_addr t = k->a;

			k->a = k->b;
			k->b = t;
		}
		return echo;
	}
	k->kind = K_ICMP;
	return P_ICMP;
}

/* Classify p and fill its key (canonical); sets *sport to the packet's
 * source port as it appears in the key (0 for portless kinds). */
static int classify(const struct vnet_pkt *p, uint16_t seg, struct key *k)
{
	int v6 = !!(p->layers & VNET_L_IPV6);
	size_t end;
	int r;

	memset(k, 0, sizeof(*k));
	if (!(p->layers & (VNET_L_IPV4 | VNET_L_IPV6)) || !p->l4_off)
		return P_NONE;
	end = (size_t)p->l3_off + p->l3_len;
	if (end > p->len || p->l4_off > end)
		return P_NONE;
	k->seg = seg;
	k->proto = p->ip_proto;
	k->a = p->saddr;
	k->b = p->daddr;
	if (p->layers & VNET_L_TCP) {
		k->kind = K_PORTS;
		k->pa = p->sport;
		k->pb = p->dport;
		r = P_TCP;
	} else if (p->layers & (VNET_L_UDP | VNET_L_SCTP)) {
		/* SCTP is tracked as UDP is: by its ports, new until the
		 * first reply (its own state machine is not followed). */
		k->kind = K_PORTS;
		k->pa = p->sport;
		k->pb = p->dport;
		r = P_UDP;
	} else if (p->layers & VNET_L_ICMP) {
		if (end - p->l4_off < 8)
			return P_NONE; /* the parser guarantees 8; be sure */
		r = icmp_key(k, v6, p->data + p->l4_off);
		if (r == P_ICMP_ERR)
			return r;
	} else if (p->ip_proto == PROTO_TCP && !(p->layers & VNET_L_FRAG)) {
		return P_TCP_BAD;
	} else {
		/* A non-first fragment (no L4 header), a malformed UDP or
		 * ICMP header, or another protocol: addresses and
		 * protocol only. */
		k->kind = K_PROTO;
		r = P_PROTO;
	}
	key_canon(k);
	return r;
}

/* The key of the connection an ICMP error quotes: the IP header and at
 * least the first 8 bytes of its payload after the 8-byte ICMP header.
 * Everything is bounds-checked against the IP packet's end.  0, or -1 if
 * the quote is cut short, malformed or itself an ICMP error. */
static int quoted_key(const struct vnet_pkt *p, uint16_t seg, struct key *k)
{
	int v6 = !!(p->layers & VNET_L_IPV6);
	size_t end = (size_t)p->l3_off + p->l3_len;
	size_t q = (size_t)p->l4_off + 8, off;
	const uint8_t *h = p->data + q;
	int frag = 0, n;
	uint8_t nh;

	memset(k, 0, sizeof(*k));
	k->seg = seg;
	if (q > end)
		return -1;
	if (!v6) {
		size_t ihl;

		if (end - q < 20 || h[0] >> 4 != 4)
			return -1;
		ihl = (size_t)(h[0] & 0x0f) * 4;
		if (ihl < 20 || end - q < ihl)
			return -1;
		vnet_addr_from_v4(&k->a, h + 12);
		vnet_addr_from_v4(&k->b, h + 16);
		nh = h[9];
		frag = (vnet_get16(h + 6) & 0x1fff) != 0;
		off = q + ihl;
	} else {
		if (end - q < 40 || h[0] >> 4 != 6)
			return -1;
		vnet_addr_from_v6(&k->a, h + 8);
		vnet_addr_from_v6(&k->b, h + 24);
		nh = h[6];
		off = q + 40;
		/* The extension headers, as the parser walks them. */
		for (n = 0;
		     nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
		     n++) {
			const uint8_t *x = p->data + off;
			size_t hl;

			if (n == 8 || end - off < 8)
				return -1;
			if (nh == 44)
				hl = 8;
			else if (nh == 51)
				hl = ((size_t)x[1] + 2) * 4;
			else
				hl = ((size_t)x[1] + 1) * 8;
			if (hl > end - off)
				return -1;
			if (nh == 44 && (vnet_get16(x + 2) & 0xfff8)) {
				nh = x[0];
				frag = 1;
				off += hl;
				break;
			}
			nh = x[0];
			off += hl;
		}
	}
	k->proto = nh;
	if (frag) {
		k->kind = K_PROTO;
	} else if (nh == PROTO_TCP || nh == PROTO_UDP || nh == PROTO_SCTP) {
		if (end - off < 8)
			return -1;
		k->kind = K_PORTS;
		k->pa = vnet_get16(p->data + off);
		k->pb = vnet_get16(p->data + off + 2);
	} else if (nh == (v6 ? PROTO_ICMPV6 : PROTO_ICMP)) {
		if (end - off < 8)
			return -1;
		if (icmp_key(k, v6, p->data + off) == P_ICMP_ERR)
			return -1;
	} else {
		k->kind = K_PROTO;
	}
	key_canon(k);
	return 0;
}

/* ---- table --------------------------------------------------------- */

struct vnet_ct *vnet_ct_new(const struct vnet_ct_config *c)
{
	struct vnet_ct_config def;
	struct vnet_ct *ct;
	uint32_t i, nb = 16;

	if (!c) {
		vnet_ct_config_default(&def);
		c = &def;
	}
	if (!c->max || c->max > VNET_CT_MAX || c->reserve > c->max ||
	    !c->quota) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < VNET_CT_T_MAX; i++)
		if (!c->timeout[i]) {
			errno = EINVAL;
			return NULL;
		}
	while (nb < c->max)
		nb <<= 1;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return NULL;
	ct->cfg = *c;
	ct->cfg.seg_quota = NULL;
	if (c->seg_quota)
		memcpy(ct->seg_quota, c->seg_quota, sizeof(ct->seg_quota));
	ct->node = calloc(c->max, sizeof(*ct->node));
	ct->bucket = malloc((size_t)nb * sizeof(*ct->bucket));
	if (!ct->node || !ct->bucket) {
		vnet_ct_free(ct);
		errno = ENOMEM;
		return NULL;
	}
	ct->mask = nb - 1;
	for (i = 0; i < nb; i++)
		ct->bucket[i] = NIL;
	for (i = 0; i < c->max; i++)
		ct->node[i].hnext = i + 1 < c->max ? i + 1 : NIL;
	ct->free = 0;
	for (i = 0; i < VNET_CT_T_MAX; i++)
		vnet_ilist_init(&ct->age[i]);
	vnet_ilist_init(&ct->ur[0]);
	vnet_ilist_init(&ct->ur[1]);
	for (i = 0; i < VNET_CT_SEGMENTS; i++)
		vnet_ilist_init(&ct->segur[i]);
	ct->seed = (uint32_t)vnet_random_seed(ct);
	return ct;
}

void vnet_ct_free(struct vnet_ct *ct)
{
	if (!ct)
		return;
	free(ct->node);
	free(ct->bucket);
	free(ct);
}

int vnet_ct_set_seed(struct vnet_ct *ct, uint64_t seed)
{
	if (ct->stats.entries)
		return -EBUSY;
	ct->seed = (uint32_t)(seed ^ seed >> 32);
	return 0;
}

const struct vnet_ct_stats *vnet_ct_stats(const struct vnet_ct *ct)
{
	return &ct->stats;
}

uint32_t vnet_ct_segment_count(const struct vnet_ct *ct, uint16_t seg)
{
	return seg < VNET_CT_SEGMENTS ? ct->count[seg] : 0;
}

static uint32_t idx(const struct vnet_ct *ct, const struct vnet_ct_entry *e)
{
	return (uint32_t)((const struct node *)e - ct->node);
}

static int expired(const struct vnet_ct *ct, const struct node *n, uint64_t now)
{
	return now > n->e.last_seen &&
	       now - n->e.last_seen > ct->cfg.timeout[n->tclass];
}

static void node_free(struct vnet_ct *ct, uint32_t i)
{
	struct node *n = &ct->node[i];
	uint32_t *pp = &ct->bucket[n->hash & ct->mask];

	while (*pp != i)
		pp = &ct->node[*pp].hnext;
	*pp = n->hnext;
	list_del(ct, &ct->age[n->tclass], L_AGE, i);
	if (n->flags & F_EVICT)
		ur_del(ct, i);
	ct->count[n->e.segment]--;
	if (!n->e.reserve)
		ct->qcount[n->e.segment]--;
	ct->stats.entries--;
	memset(n, 0, sizeof(*n));
	n->hnext = ct->free;
	ct->free = i;
}

/* Move node i to the head of its class list (class of its new state)
 * and of its unreplied lists. */
static void touch(struct vnet_ct *ct, uint32_t i, uint64_t now)
{
	struct node *n = &ct->node[i];
	uint8_t c = state_class[n->e.state];

	if (now > n->e.last_seen)
		n->e.last_seen = now;
	if (c != n->tclass) {
		list_del(ct, &ct->age[n->tclass], L_AGE, i);
		n->tclass = c;
		list_push(ct, &ct->age[c], L_AGE, i);
	} else {
		list_front(ct, &ct->age[c], L_AGE, i);
	}
	if (n->flags & F_EVICT) {
		list_front(ct, &ct->ur[n->e.reserve], L_UR, i);
		if (!n->e.reserve)
			list_front(ct, &ct->segur[n->e.segment], L_SEG, i);
	}
}

void vnet_ct_remove(struct vnet_ct *ct, struct vnet_ct_entry *e)
{
	uint32_t i = idx(ct, e);

	if (i >= ct->cfg.max || !(ct->node[i].flags & F_USED))
		return;
	node_free(ct, i);
	ct->stats.removed++;
}

void vnet_ct_expire(struct vnet_ct *ct, uint64_t now, unsigned budget)
{
	unsigned looked = 0, done = 0, all = (1u << VNET_CT_T_MAX) - 1;
	int c;

	/* Round robin over the classes, one tail at a time, so that a
	 * small budget is shared among them. */
	while (done != all) {
		for (c = 0; c < VNET_CT_T_MAX; c++) {
			uint32_t i = ct->age[c].tail;

			if (done & 1u << c)
				continue;
			if (i == NIL) {
				done |= 1u << c;
				continue;
			}
			if (budget && looked >= budget)
				return;
			looked++;
			if (expired(ct, &ct->node[i], now)) {
				node_free(ct, i);
				ct->stats.expired++;
			} else {
				done |= 1u << c;
			}
		}
	}
}

void vnet_ct_walk(struct vnet_ct *ct,
		  int (*fn)(void *arg, struct vnet_ct_entry *e), void *arg)
{
	for (uint32_t i = 0; i < ct->cfg.max; i++) {
		if (!(ct->node[i].flags & F_USED))
			continue;
		/* fn may have removed it itself. */
		if (fn(arg, &ct->node[i].e) && (ct->node[i].flags & F_USED)) {
			node_free(ct, i);
			ct->stats.removed++;
		}
	}
}

/* ---- self-check (tests, fuzzing) ---------------------------------- */

/* Length of list L over link w, checking the links both ways; -1 if
 * broken or longer than n. */
static long list_check(const struct vnet_ct *ct, const struct vnet_ilist *L,
		       int w, uint32_t n)
{
	uint32_t i = L->head, prev = NIL;
	long len = 0;

	while (i != NIL) {
		if (i >= ct->cfg.max || !(ct->node[i].flags & F_USED) ||
		    ct->node[i].l[w].prev != prev || (uint32_t)len >= n)
			return -1;
		prev = i;
		i = ct->node[i].l[w].next;
		len++;
	}
	return L->tail == prev ? len : -1;
}

/* The per-segment counts against the entries. */
static int check_counts(const struct vnet_ct *ct)
{
	uint32_t *cnt = calloc(2 * VNET_CT_SEGMENTS, sizeof(*cnt)), i;
	int ret = 0;

	if (!cnt)
		return -ENOMEM;
	for (i = 0; i < ct->cfg.max; i++) {
		const struct node *n = &ct->node[i];

		if (!(n->flags & F_USED))
			continue;
		cnt[n->e.segment]++;
		cnt[VNET_CT_SEGMENTS + n->e.segment] += !n->e.reserve;
	}
	for (i = 0; i < VNET_CT_SEGMENTS; i++)
		if (cnt[i] != ct->count[i] ||
		    cnt[VNET_CT_SEGMENTS + i] != ct->qcount[i])
			ret = -EUCLEAN;
	free(cnt);
	return ret;
}

int vnet_ct_check(const struct vnet_ct *ct)
{
	uint32_t max = ct->cfg.max, i, used = 0, nev[2] = {0, 0}, nfree = 0;
	uint32_t chained = 0, seg;
	long len, sum;
	int c;

	for (i = 0; i < max; i++) {
		const struct node *n = &ct->node[i];
		int ev;

		if (!(n->flags & F_USED))
			continue;
		used++;
		if (n->e.state > VNET_CT_OTHER ||
		    n->e.segment >= VNET_CT_SEGMENTS || n->e.reserve > 1 ||
		    n->tclass != state_class[n->e.state])
			return -EUCLEAN;
		ev = !(n->flags & F_REPLIED) || n->e.state == VNET_CT_CLOSED;
		if (ev != !!(n->flags & F_EVICT))
			return -EUCLEAN;
		nev[n->e.reserve] += ev;
	}
	if (used != ct->stats.entries)
		return -EUCLEAN;
	for (i = ct->free; i != NIL; i = ct->node[i].hnext)
		if (i >= max || ct->node[i].flags || ++nfree > max)
			return -EUCLEAN;
	if (nfree + used != max)
		return -EUCLEAN;
	for (i = 0; i <= ct->mask; i++) {
		uint32_t j;

		for (j = ct->bucket[i]; j != NIL; j = ct->node[j].hnext) {
			if (j >= max || !(ct->node[j].flags & F_USED) ||
			    (ct->node[j].hash & ct->mask) != i ||
			    ++chained > used)
				return -EUCLEAN;
		}
	}
	if (chained != used)
		return -EUCLEAN;
	for (sum = 0, c = 0; c < VNET_CT_T_MAX; c++) {
		if ((len = list_check(ct, &ct->age[c], L_AGE, max)) < 0)
			return -EUCLEAN;
		for (i = ct->age[c].head; i != NIL;
		     i = ct->node[i].l[L_AGE].next)
			if (ct->node[i].tclass != c)
				return -EUCLEAN;
		sum += len;
	}
	if (sum != (long)used)
		return -EUCLEAN;
	for (c = 0; c < 2; c++) {
		if ((len = list_check(ct, &ct->ur[c], L_UR, max)) !=
		    (long)nev[c])
			return -EUCLEAN;
		for (i = ct->ur[c].head; i != NIL; i = ct->node[i].l[L_UR].next)
			if (ct->node[i].e.reserve != c ||
			    !(ct->node[i].flags & F_EVICT))
				return -EUCLEAN;
	}
	for (sum = 0, seg = 0; seg < VNET_CT_SEGMENTS; seg++) {
		if ((len = list_check(ct, &ct->segur[seg], L_SEG, max)) < 0)
			return -EUCLEAN;
		for (i = ct->segur[seg].head; i != NIL;
		     i = ct->node[i].l[L_SEG].next)
			if (ct->node[i].e.segment != seg ||
			    ct->node[i].e.reserve)
				return -EUCLEAN;
		sum += len;
	}
	if (sum != (long)nev[0])
		return -EUCLEAN;
	return check_counts(ct);
}

/* ---- the packet path ----------------------------------------------- */

/* The live entry for k, removing it if it has expired. */
static uint32_t find_live(struct vnet_ct *ct, const struct key *k, uint32_t h,
			  uint64_t now)
{
	uint32_t i = find(ct, k, h);

	if (i != NIL && expired(ct, &ct->node[i], now)) {
		node_free(ct, i);
		ct->stats.expired++;
		i = NIL;
	}
	return i;
}

static int syn_only(uint8_t f)
{
	uint8_t m = VNET_TCP_SYN | VNET_TCP_ACK | VNET_TCP_RST | VNET_TCP_FIN;

	return (f & m) == VNET_TCP_SYN;
}

/* The next TCP state after a packet with flags f in direction reply, or
 * -1 if no state allows it.  No sequence numbers are looked at. */
static int tcp_next(int state, int reply, uint8_t f)
{
	int syn = f & VNET_TCP_SYN, ack = f & VNET_TCP_ACK;
	int rst = f & VNET_TCP_RST, fin = f & VNET_TCP_FIN;

	if (!(syn || ack || rst) || (syn && (rst || fin)))
		return -1;
	switch (state) {
	case VNET_CT_SYN_SENT:
		if (rst)
			return VNET_CT_CLOSED;
		if (!reply)
			return syn && !ack ? state : -1;
		return syn && ack ? VNET_CT_SYN_RECV : -1;
	case VNET_CT_SYN_RECV:
		if (rst)
			return VNET_CT_CLOSED;
		if (syn)
			return !!ack == reply ? state : -1;
		if (!fin)
			return reply ? state : VNET_CT_ESTABLISHED;
		return reply ? VNET_CT_CLOSE_WAIT : VNET_CT_FIN_WAIT;
	case VNET_CT_ESTABLISHED:
		if (rst)
			return VNET_CT_CLOSED;
		if (syn) /* a retransmitted SYN+ACK whose ACK was lost */
			return reply && ack ? state : -1;
		if (fin)
			return reply ? VNET_CT_CLOSE_WAIT : VNET_CT_FIN_WAIT;
		return state;
	case VNET_CT_FIN_WAIT:
	case VNET_CT_CLOSE_WAIT:
		if (rst)
			return VNET_CT_CLOSED;
		if (syn)
			return -1;
		/* The FIN of the side that has not sent one yet. */
		if (fin && reply == (state == VNET_CT_FIN_WAIT))
			return VNET_CT_TIME_WAIT;
		return state;
	case VNET_CT_TIME_WAIT:
		if (syn)
			return !reply && !ack ? VNET_CT_SYN_SENT : -1;
		return rst ? VNET_CT_CLOSED : state;
	case VNET_CT_CLOSED:
		return !reply && syn && !ack ? VNET_CT_SYN_SENT : -1;
	}
	return -1;
}

enum vnet_ct_res vnet_ct_lookup(struct vnet_ct *ct, const struct vnet_pkt *p,
				uint16_t seg, uint64_t now,
				struct vnet_ct_entry **e)
{
	struct node *n;
	struct key k;
	uint32_t h, i;
	int kind, reply, st;

	*e = NULL;
	if (seg >= VNET_CT_SEGMENTS)
		return VNET_CT_MISS;
	kind = classify(p, seg, &k);
	switch (kind) {
	case P_NONE:
		return VNET_CT_MISS;
	case P_TCP_BAD:
		ct->stats.invalid++;
		return VNET_CT_INVALID;
	case P_ICMP_ERR:
		if (quoted_key(p, seg, &k))
			return VNET_CT_MISS;
		i = find_live(ct, &k, key_hash(ct, &k), now);
		if (i == NIL)
			return VNET_CT_MISS;
		ct->stats.related++;
		*e = &ct->node[i].e;
		return VNET_CT_RELATED;
	}
	h = key_hash(ct, &k);
	i = find_live(ct, &k, h, now);
	if (i == NIL) {
		if (kind == P_TCP && !syn_only(p->tcp_flags)) {
			ct->stats.invalid++;
			return VNET_CT_INVALID;
		}
		return VNET_CT_MISS;
	}
	n = &ct->node[i];
	if (kind == P_ECHO_REQ || kind == P_ECHO_REP)
		reply = kind == P_ECHO_REP;
	else
		reply = !(vnet_addr_eq(&p->saddr, &n->e.saddr) &&
			  (n->kind != K_PORTS || p->sport == n->e.sport));
	if (kind == P_TCP) {
		st = tcp_next(n->e.state, reply, p->tcp_flags);
		if (st < 0) {
			ct->stats.invalid++;
			return VNET_CT_INVALID;
		}
		/* Reopened: unreplied again. */
		if (st == VNET_CT_SYN_SENT && n->e.state != VNET_CT_SYN_SENT)
			n->flags &= (uint8_t)~F_REPLIED;
		n->e.state = (uint8_t)st;
	} else if (reply && n->e.state == VNET_CT_UDP_NEW) {
		n->e.state = VNET_CT_UDP_REPLIED;
	}
	if (reply)
		n->flags |= F_REPLIED;
	ur_update(ct, i);
	n->e.packets[reply]++;
	n->e.bytes[reply] += p->len;
	touch(ct, i, now);
	*e = &n->e;
	return reply ? VNET_CT_REPLY : VNET_CT_ORIG;
}

static void evict(struct vnet_ct *ct, uint32_t i)
{
	node_free(ct, i);
	ct->stats.evicted++;
}

int vnet_ct_create(struct vnet_ct *ct, const struct vnet_pkt *p, uint16_t seg,
		   int dir, int reserve, uint64_t now, struct vnet_ct_entry **e)
{
	struct node *n;
	struct key k;
	uint32_t h, i, quota, cap;
	int kind, state;

	*e = NULL;
	if (seg >= VNET_CT_SEGMENTS)
		return -EINVAL;
	kind = classify(p, seg, &k);
	switch (kind) {
	case P_TCP:
		if (!syn_only(p->tcp_flags))
			return -EINVAL;
		state = VNET_CT_SYN_SENT;
		break;
	case P_UDP:
		state = VNET_CT_UDP_NEW;
		break;
	case P_ECHO_REQ:
	case P_ICMP:
		state = VNET_CT_ICMP;
		break;
	case P_PROTO:
		state = VNET_CT_OTHER;
		break;
	default:
		return -EINVAL;
	}
	h = key_hash(ct, &k);
	i = find_live(ct, &k, h, now);
	if (i != NIL) {
		*e = &ct->node[i].e;
		return -EEXIST;
	}

	reserve = !!reserve;
	quota = ct->seg_quota[seg] ? ct->seg_quota[seg] : ct->cfg.quota;
	cap = reserve ? ct->cfg.max : ct->cfg.max - ct->cfg.reserve;
	/* At a limit: first let the most overdue entries go. */
	if (ct->stats.entries >= cap || (!reserve && ct->qcount[seg] >= quota))
		vnet_ct_expire(ct, now, 64);
	if (!reserve && ct->qcount[seg] >= quota) {
		i = ct->segur[seg].tail;
		if (i == NIL) {
			ct->stats.refused_quota++;
			return -EDQUOT;
		}
		evict(ct, i);
	}
	if (ct->stats.entries >= cap) {
		i = ct->ur[0].tail;
		if (i == NIL && reserve)
			i = ct->ur[1].tail;
		if (i == NIL) {
			ct->stats.refused_full++;
			return -ENOSPC;
		}
		evict(ct, i);
	}

	i = ct->free;
	n = &ct->node[i];
	ct->free = n->hnext;
	memset(n, 0, sizeof(*n));
	n->hash = h;
	n->kind = k.kind;
	n->flags = F_USED;
	n->e.segment = seg;
	n->e.proto = k.proto;
	n->e.dir = (uint8_t)dir;
	n->e.reserve = (uint8_t)reserve;
	n->e.state = (uint8_t)state;
	if (kind == P_ECHO_REQ) {
		n->e.saddr = p->saddr;
		n->e.daddr = p->daddr;
		n->e.sport = n->e.dport = k.pa;
	} else {
		n->e.saddr = p->saddr;
		n->e.daddr = p->daddr;
		n->e.sport = k.kind == K_PORTS ? p->sport : 0;
		n->e.dport = k.kind == K_PORTS ? p->dport : 0;
	}
	if (kind == P_ECHO_REQ || kind == P_ICMP) {
		n->e.icmp_type = p->icmp_type;
		n->e.icmp_code = p->icmp_code;
	}
	n->e.noports = k.kind == K_PROTO &&
		       (k.proto == PROTO_TCP || k.proto == PROTO_UDP ||
			k.proto == PROTO_SCTP || k.proto == PROTO_ICMP ||
			k.proto == PROTO_ICMPV6);
	memcpy(n->e.smac, p->src, 6);
	memcpy(n->e.dmac, p->dst, 6);
	n->e.created = n->e.last_seen = now;
	n->e.packets[0] = 1;
	n->e.bytes[0] = p->len;
	n->hnext = ct->bucket[h & ct->mask];
	ct->bucket[h & ct->mask] = i;
	n->tclass = state_class[state];
	list_push(ct, &ct->age[n->tclass], L_AGE, i);
	ur_update(ct, i);
	ct->count[seg]++;
	if (!reserve)
		ct->qcount[seg]++;
	ct->stats.entries++;
	ct->stats.created++;
	*e = &n->e;
	return 0;
}

/* ---- dump ---------------------------------------------------------- */

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case PROTO_TCP:
		return "tcp";
	case PROTO_UDP:
		return "udp";
	case PROTO_SCTP:
		return "sctp";
	case PROTO_ICMP:
		return "icmp";
	case PROTO_ICMPV6:
		return "icmp6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

int vnet_ct_dump(const struct vnet_ct *ct, FILE *f, uint64_t now)
{
	char sa[VNET_ADDRSTRLEN], da[VNET_ADDRSTRLEN], pb[8];

	for (uint32_t i = 0; i < ct->cfg.max; i++) {
		const struct vnet_ct_entry *e = &ct->node[i].e;

		if (!(ct->node[i].flags & F_USED))
			continue;
		if (fprintf(
			f,
			"%u\t%s\t%s\t%u\t%s\t%u\t%s\t%s\t%u\t%llu\t%llu"
			"\t%llu\t%llu\t%llu\t%llu\n",
			e->segment, proto_name(e->proto, pb, sizeof(pb)),
			vnet_addr_fmt(&e->saddr, sa), e->sport,
			vnet_addr_fmt(&e->daddr, da), e->dport,
			vnet_ct_state_name(e->state),
			e->dir ? "ingress" : "egress", e->rule_id,
			(unsigned long long)(now > e->created
						 ? (now - e->created) / SEC
						 : 0),
			(unsigned long long)(now > e->last_seen
						 ? (now - e->last_seen) / SEC
						 : 0),
			(unsigned long long)e->packets[0],
			(unsigned long long)e->bytes[0],
			(unsigned long long)e->packets[1],
			(unsigned long long)e->bytes[1]) < 0)
			return -EIO;
	}
	if (ferror(f))
		return -EIO;
	return 0;
}
