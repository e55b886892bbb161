/* SPDX-License-Identifier: ISC */
/* policy.c -- the vnet-acl policy language: parser and indexed matcher. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vnet/bytes.h"
#include "vnet/hash.h"
#include "vnet/num.h"
#include "vnet-acl/policy.h"

/*
 * How a query is answered without scanning the rules.
 *
 * Groups.  Each `group` line is a conjunction of selector kinds, each kind
 * a disjunction of values.  A line is indexed under every value of one of
 * its kinds, its anchor (the first present of mac, workload, label,
 * prefix, group, segment): an endpoint can only match the line if it
 * matches the anchor, so the lines to evaluate for an endpoint are those
 * found by a few hash lookups: its MAC, its workloads (by MAC and by IP)
 * and their labels, its address masked to each prefix length in use, its
 * segment in a segment tree over 0-4095, and the groups it has already
 * joined.  A line that references a group comes after every line of that
 * group (a group cannot get lines once another group references it), so
 * evaluating the candidate lines in file order (a heap) sees the final
 * membership of every group a line references.
 *
 * Rules.  Every rule has one (from, to) pair of groups.  The index maps
 * (pair, protocol, direction, port node, segment node) to the ids of the
 * rules, ascending.  Port and segment sets are cut into the nodes of a
 * binary tree over 0-65535 (ICMP: type << 8 | code) and 0-4095: a range
 * is at most 32 and 24 nodes, an exact port one leaf, no port the root.
 * A query walks, for each (from, to) pair of its endpoints' groups that
 * has rules, the tree levels in use by that pair: a handful of hash
 * lookups whatever the number of rules.  The first rule of each list that
 * also passes the checks not indexed (source port) is a candidate; the
 * lowest candidate id wins, which is first match in file order.
 */

#define MAX_GROUP_LINES (4 * VNET_POLICY_MAX_GROUPS)
#define MAX_ITEMS	(1u << 20) /* index entries, addresses, selectors */
#define MAX_INCLUDES	1024
#define MAX_BYTES	(64u << 20) /* all files read, includes counted */
#define PROTO_ANY	256
#define DIR_BOTH	2
#define SEG_BITS	12
#define NSEG		(1u << SEG_BITS)
#define PORT_BITS	16

/* ------------------------------------------------------------------ */
/* Hash table of fixed-size keys (open addressing, linear probing).    */

enum {
	K_EMPTY,
	K_MACWL, /* mac -> workload */
	K_IPWL,	 /* family, address -> workload */
	K_MACL,	 /* mac -> group lines */
	K_PFXL,	 /* family, length, masked address -> group lines */
	K_LABL,	 /* label -> group lines */
	K_WLL,	 /* workload -> group lines */
	K_GRPL,	 /* group -> group lines */
	K_SEGL,	 /* segment tree node -> group lines */
	K_NODE,	 /* pair, proto, dir, port node, segment node -> rules
		  * (while parsing; then in the node table) */
};

struct hkey {
	uint32_t w[6]; /* w[0] holds the kind in its top byte: never 0 */
};

struct hent {
	struct hkey k;
	uint32_t v;
};

struct htab {
	struct hent *e;
	uint32_t mask, n;
	uint64_t seed;
};

/* Three independent multiplies (their latencies overlap) and the high
 * half of their sum, where every input bit has had its say.  The keys
 * come from the policy; packets only choose which key is looked up. */
static uint32_t hk_hash(const struct hkey *k, uint64_t seed)
{
	uint64_t a = ((uint64_t)k->w[1] << 32 | k->w[0]) ^ seed;
	uint64_t b = ((uint64_t)k->w[3] << 32 | k->w[2]) ^ (seed >> 17);
	uint64_t c = ((uint64_t)k->w[5] << 32 | k->w[4]) ^ (seed << 13);
	uint64_t h;

	a = (a ^ a >> 29) * 0x9e3779b97f4a7c15ULL;
	b = (b ^ b >> 29) * 0xc2b2ae3d27d4eb4fULL;
	c = (c ^ c >> 29) * 0x165667b19e3779f9ULL;
	h = a + (b ^ (b >> 31)) + (c ^ (c >> 23));
	h ^= h >> 32;
	return (uint32_t)(h * 0xff51afd7ed558ccdULL >> 32);
}

static int hk_eq(const struct hkey *a, const struct hkey *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] &&
	       a->w[3] == b->w[3] && a->w[4] == b->w[4] && a->w[5] == b->w[5];
}

static const uint32_t *ht_get(const struct htab *t, const struct hkey *k)
{
	uint32_t i;

	if (!t->e)
		return NULL;
	for (i = hk_hash(k, t->seed) & t->mask; t->e[i].k.w[0];
	     i = (i + 1) & t->mask)
		if (hk_eq(&t->e[i].k, k))
			return &t->e[i].v;
	return NULL;
}

static int ht_grow(struct htab *t)
{
	uint32_t cap = t->e ? (t->mask + 1) * 2 : 64, i, j;
	struct hent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (i = 0; t->e && i <= t->mask; i++) {
		if (!t->e[i].k.w[0])
			continue;
		for (j = hk_hash(&t->e[i].k, t->seed) & (cap - 1); e[j].k.w[0];
		     j = (j + 1) & (cap - 1))
			;
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->mask = cap - 1;
	return 0;
}

/* 0 inserted, 1 already there (*v set to the value held), -ENOMEM. */
static int ht_put(struct htab *t, const struct hkey *k, uint32_t v,
		  uint32_t *old)
{
	uint32_t i;

	if ((!t->e || (t->n + 1) * 2 > t->mask + 1) && ht_grow(t))
		return -ENOMEM;
	for (i = hk_hash(k, t->seed) & t->mask; t->e[i].k.w[0];
	     i = (i + 1) & t->mask) {
		if (hk_eq(&t->e[i].k, k)) {
			if (old)
				*old = t->e[i].v;
			return 1;
		}
	}
	t->e[i].k = *k;
	t->e[i].v = v;
	t->n++;
	return 0;
}

/* Pairs and rule nodes: the same with 64-bit keys (never 0), so that the
 * tables a query probes at random stay small. */
struct h64ent {
	uint64_t k;
	uint32_t v;
};

struct htab64 {
	struct h64ent *e;
	uint32_t mask, n;
	uint64_t seed;
};

static uint32_t h64_hash(uint64_t k, uint64_t seed)
{
	k ^= seed;
	k ^= k >> 29;
	k *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(k >> 32);
}

static const uint32_t *h64_get(const struct htab64 *t, uint64_t k)
{
	uint32_t i;

	if (!t->e)
		return NULL;
	for (i = h64_hash(k, t->seed) & t->mask; t->e[i].k;
	     i = (i + 1) & t->mask)
		if (t->e[i].k == k)
			return &t->e[i].v;
	return NULL;
}

/* 0 inserted, 1 already there (*old set), -ENOMEM. */
static int h64_put(struct htab64 *t, uint64_t k, uint32_t v, uint32_t *old)
{
	uint32_t i, j;

	if (!t->e || (t->n + 1) * 2 > t->mask + 1) {
		uint32_t cap = t->e ? (t->mask + 1) * 2 : 64;
		struct h64ent *e = calloc(cap, sizeof(*e));

		if (!e)
			return -ENOMEM;
		for (i = 0; t->e && i <= t->mask; i++) {
			if (!t->e[i].k)
				continue;
			for (j = h64_hash(t->e[i].k, t->seed) & (cap - 1);
			     e[j].k; j = (j + 1) & (cap - 1))
				;
			e[j] = t->e[i];
		}
		free(t->e);
		t->e = e;
		t->mask = cap - 1;
	}
	for (i = h64_hash(k, t->seed) & t->mask; t->e[i].k;
	     i = (i + 1) & t->mask) {
		if (t->e[i].k == k) {
			if (old)
				*old = t->e[i].v;
			return 1;
		}
	}
	t->e[i].k = k;
	t->e[i].v = v;
	t->n++;
	return 0;
}

/* Pair ids are below 2^17 (one per rule at most), groups below 2^17,
 * protocols below 2^9, port nodes below 2^17, segment nodes below 2^13. */
static uint64_t pair_key(uint32_t from, uint32_t to)
{
	return 1ULL << 63 | (uint64_t)from << 32 | to;
}

static uint64_t node_key(uint32_t pair, unsigned proto, unsigned dir,
			 uint32_t pnode, uint32_t snode)
{
	return 1ULL << 63 | (uint64_t)pair << 41 | (uint64_t)proto << 32 |
	       (uint64_t)dir << 30 | (uint64_t)pnode << 13 | snode;
}

/* Values of list-valued keys: a list id, or a single item inline. */
#define V_INLINE 0x80000000u
/* Rule items: the rule has a check the index does not cover (sport). */
#define ITEM_CHECK 0x40000000u
#define ITEM_ID(x) ((x)&0x3fffffffu)

static struct hkey hk(uint32_t kind, uint32_t a, uint32_t b, uint32_t c)
{
	struct hkey k = {{kind << 24, a, b, c, 0, 0}};

	return k;
}

static struct hkey hk_mac(uint32_t kind, const uint8_t *mac)
{
	return hk(kind, vnet_get32(mac), vnet_get16(mac + 4), 0);
}

/* Address (already masked) with family and prefix length. */
static struct hkey hk_addr(uint32_t kind, const struct vnet_addr *a,
			   unsigned plen)
{
	struct hkey k;

	k.w[0] = kind << 24 | (uint32_t)a->family << 8 | plen;
	memcpy(&k.w[1], a->b, 16);
	k.w[5] = 0;
	return k;
}

/* A rule index node while parsing (node_key() once built). */
static struct hkey hk_node(uint32_t pair, unsigned proto, unsigned dir,
			   uint32_t pnode, uint32_t snode)
{
	struct hkey k = {
	    {K_NODE << 24 | proto << 2 | dir, pair, pnode, snode, 0, 0}};

	return k;
}

/* ------------------------------------------------------------------ */
/* Strings: an arena, and a table of names to ids.                     */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

static char *arena_dup(struct chunk **a, const char *s, size_t n)
{
	struct chunk *c = *a;
	char *r;

	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;

		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	r = c->data + c->used;
	memcpy(r, s, n);
	r[n] = '\0';
	c->used += n + 1;
	return r;
}

static void arena_free(struct chunk *c)
{
	while (c) {
		struct chunk *n = c->next;

		free(c);
		c = n;
	}
}

struct stab {
	uint32_t *slot; /* id + 1, 0 free */
	uint32_t mask, n, cap;
	const char **str;
};

static uint32_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (uint32_t)vnet_mix64(h);
}

static int stab_find(const struct stab *t, const char *s)
{
	uint32_t i;

	if (!t->slot)
		return -1;
	for (i = str_hash(s) & t->mask; t->slot[i]; i = (i + 1) & t->mask)
		if (!strcmp(t->str[t->slot[i] - 1], s))
			return (int)(t->slot[i] - 1);
	return -1;
}

/* The id of s, added if new (*added = 1); -ENOMEM. */
static int stab_add(struct stab *t, struct chunk **arena, const char *s,
		    int *added)
{
	uint32_t i;
	int id = stab_find(t, s);

	*added = 0;
	if (id >= 0)
		return id;
	if (!t->slot || (t->n + 1) * 2 > t->mask + 1) {
		uint32_t cap = t->slot ? (t->mask + 1) * 2 : 64, j, k;
		uint32_t *slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (j = 0; t->slot && j <= t->mask; j++) {
			if (!t->slot[j])
				continue;
			for (k = str_hash(t->str[t->slot[j] - 1]) & (cap - 1);
			     slot[k]; k = (k + 1) & (cap - 1))
				;
			slot[k] = t->slot[j];
		}
		free(t->slot);
		t->slot = slot;
		t->mask = cap - 1;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		const char **str = realloc(t->str, cap * sizeof(*str));

		if (!str)
			return -ENOMEM;
		t->str = str;
		t->cap = cap;
	}
	if (!(t->str[t->n] = arena_dup(arena, s, strlen(s))))
		return -ENOMEM;
	for (i = str_hash(s) & t->mask; t->slot[i]; i = (i + 1) & t->mask)
		;
	t->slot[i] = ++t->n;
	*added = 1;
	return (int)(t->n - 1);
}

static void stab_free(struct stab *t)
{
	free(t->slot);
	free(t->str);
}

/* Grow a vector to hold at least need elements. */
static int vgrow(void *pp, uint32_t *cap, size_t need, size_t elsz)
{
	void **p = pp;
	size_t c = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (c > UINT32_MAX || !(n = realloc(*p, c * elsz)))
		return -ENOMEM;
	*p = n;
	*cap = (uint32_t)c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The policy.                                                         */

enum { S_MAC = 1, S_WORKLOAD, S_LABEL, S_PREFIX, S_GROUP, S_SEGMENT };
enum { A_LABEL, A_WORKLOAD, A_GROUP };

struct sel {
	uint8_t kind; /* S_*: the selectors of a line are sorted by kind */
	uint8_t plen;
	uint16_t lo, hi; /* segment */
	uint32_t id;	 /* label, workload, group */
	union {
		uint8_t mac[6];
		struct vnet_addr a; /* masked to plen */
	};
};

struct gline {
	uint32_t gid;
	uint32_t off, n;  /* selectors */
	const char *file; /* where it is written (vnet_policy_lint) */
	unsigned line;
};

struct workload {
	uint32_t lab_off, lab_n; /* sorted label ids */
	int addressed;		 /* has a MAC or an IP: an endpoint can be it */
};

struct r16 {
	uint16_t lo, hi;
};

struct prule {
	struct vnet_rule pub;
	uint32_t sport_off, sport_n; /* source port ranges, 0: any */
	/* What it matches, for vnet_policy_lint (the index has the rest):
	 * groups, protocol (PROTO_ANY), direction (DIR_BOTH), and the
	 * destination ports (ICMP: type << 8 | code) and segments as
	 * ranges in ranges[], sorted and merged like the source ports (0:
	 * any). */
	uint32_t from, to;
	uint16_t proto;
	uint8_t dir;
	uint32_t port_off, port_n, seg_off, seg_n;
};

struct lst {
	uint32_t off, n;
};

struct combo {
	uint16_t proto; /* 0-255, PROTO_ANY */
	uint8_t dir;	/* VNET_EGRESS, VNET_INGRESS, DIR_BOTH */
	uint8_t plevel, slevel;
};

struct pair {
	uint32_t from, to, minid;
	uint32_t combo_off, combo_n;
};

struct fromref {
	uint32_t to, pair;
};

struct scratch {
	uint32_t gen[2], lgen;
	uint32_t *stamp[2]; /* per group: == gen[side] if a member */
	uint32_t *list[2];  /* the members */
	uint32_t n[2];
	uint32_t *lstamp; /* per group line: == lgen if queued */
	uint32_t *heap, nheap;
};

struct vnet_policy {
	struct prule *rules; /* rules, default lines, builtin default */
	uint32_t nrules, ntotal;
	struct r16 *ranges;
	uint32_t seg_default[NSEG], global_default;
	enum vnet_act arp, nd, other;

	uint32_t ngroups; /* with any (id 0) */
	uint32_t nworkloads, nglines;
	struct gline *glines;
	const char **gnames; /* group id - 1 -> name (in the arena) */
	const char **lnames; /* label id -> "key=value" */
	const char **wnames; /* workload id -> name */
	struct sel *sels;
	struct workload *wls;
	uint32_t *wl_labels;

	struct htab ht;	       /* endpoint -> workloads, group lines */
	struct htab64 pairtab; /* (from, to) -> pair */
	struct htab64 nodetab; /* rule index nodes -> rules */
	struct lst *lists;
	uint32_t *items;
	uint8_t lens[2][129]; /* prefix lengths in use, IPv4 and IPv6 */
	uint8_t nlens[2];
	uint32_t (*masks[2])[4]; /* the netmask of each length in lens */
	uint32_t segmask;	 /* segment tree levels with group lines */

	struct pair *pairs;
	struct combo *combos;
	uint32_t *from_off; /* per group: its pairs as from group */
	struct fromref *from_pairs;

	/* Lookups that cannot find anything are skipped: bit set for the
	 * labels, workloads and groups that anchor group lines. */
	uint8_t *anchors[3];
	int mac_lines, mac_wls, ip_wls;

	struct scratch s;
	struct chunk *arena;
};

/* ------------------------------------------------------------------ */
/* Parser state.                                                       */

struct ent {
	struct hkey k;
	uint32_t item;
};

struct defline {
	uint32_t rule;	 /* index into the default rules */
	uint32_t off, n; /* segment ranges in ps->ranges, 0: no segment */
};

struct src {
	struct src *up;
	const char *name; /* arena */
	char *dir;	  /* malloc'd; NULL: include refused */
	const char *buf;
	size_t len, off;
	FILE *f;
	unsigned lineno;
	int depth, has_id;
	dev_t dev;
	ino_t ino;
	char phys[VNET_POLICY_MAX_LINE + 2];
	char logical[VNET_POLICY_MAX_LINE + 2];
	char *tok[VNET_POLICY_MAX_LINE / 2 + 2];
};

struct parser {
	struct vnet_policy *p;
	struct vnet_err *err;
	int errnum;
	const char *file;
	unsigned line;
	char q[2][80];

	struct stab groups, wlnames, labels;
	uint32_t *sealed_by; /* per group: group id + 1 that referenced it */
	uint32_t ngroups_cap;

	uint32_t nrules, crules, ndef, cdef;
	struct prule *defs;
	struct defline *deflines;
	uint32_t cdeflines;
	uint32_t nranges, cranges;
	struct r16 *ranges; /* rules' source ports and defaults' segments */
	uint32_t nglines, cglines, nsels, csels;
	uint32_t cwls, nwl_labels, cwl_labels;
	uint32_t nents, cents;
	struct ent *ents;
	uint32_t npairs, cpairs, ncombos, ccombos;
	struct combo_ent {
		uint32_t pair;
		struct combo c;
	} * combos;
	size_t items, bytes;
	unsigned includes;
};

static const char *quote(struct parser *ps, int i, const char *s)
{
	char *q = ps->q[i];
	size_t n = 0;

	for (; *s && n < 64; s++)
		q[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s) {
		memcpy(q + n, "...", 3);
		n += 3;
	}
	q[n] = '\0';
	return q;
}

__attribute__((format(printf, 2, 3))) static int perr(struct parser *ps,
						      const char *fmt, ...)
{
	va_list ap;

	if (ps->errnum)
		return -1;
	ps->errnum = EINVAL;
	va_start(ap, fmt);
	vnet_err_vset(ps->err, ps->file, ps->line, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct parser *ps)
{
	perr(ps, "out of memory");
	ps->errnum = ENOMEM;
	return -1;
}

static int budget(struct parser *ps, size_t n)
{
	ps->items += n;
	if (ps->items > MAX_ITEMS)
		return perr(ps, "policy too large (more than %u index entries)",
			    MAX_ITEMS);
	return 0;
}

static int add_ent(struct parser *ps, const struct hkey *k, uint32_t item)
{
	if (vgrow(&ps->ents, &ps->cents, (size_t)ps->nents + 1,
		  sizeof(*ps->ents)))
		return oom(ps);
	ps->ents[ps->nents].k = *k;
	ps->ents[ps->nents].item = item;
	ps->nents++;
	return 0;
}

/* Cut [lo, hi] of a bits-wide universe into the nodes of the binary tree
 * over it (node 1 is the root, node n has children 2n and 2n + 1).  Writes
 * at most 2 * bits nodes; returns their number. */
static unsigned tree_cut(uint32_t lo, uint32_t hi, unsigned bits,
			 uint32_t *node, uint8_t *level)
{
	unsigned n = 0, lv;
	uint64_t l = lo, size;

	while (l <= hi) {
		size = l ? (l & -l) : (1ull << bits);
		while (l + size - 1 > hi)
			size >>= 1;
		for (lv = bits; (1ull << (bits - lv)) < size; lv--)
			;
		node[n] = (uint32_t)((1ull << lv) | (l >> (bits - lv)));
		level[n++] = (uint8_t)lv;
		l += size;
	}
	return n;
}

static uint32_t tree_node(uint32_t v, unsigned bits, unsigned level)
{
	return (uint32_t)(1u << level) | (v >> (bits - level));
}

/* ------------------------------------------------------------------ */
/* Tokens.                                                             */

static int is_name(const char *s)
{
	size_t n;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	      *s == '_'))
		return 0;
	for (n = 1; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int check_name(struct parser *ps, const char *what, const char *s)
{
	if (!is_name(s))
		return perr(ps,
			    "bad %s name '%s' (letters, digits, '_', '.', "
			    "'-', starting with a letter or '_')",
			    what, quote(ps, 0, s));
	if (strlen(s) > VNET_POLICY_MAX_NAME)
		return perr(ps,
			    "%s name '%s' too long (more than %d characters)",
			    what, quote(ps, 0, s), VNET_POLICY_MAX_NAME);
	return 0;
}

static int num(const char *s, unsigned max, unsigned *v)
{
	uint64_t u;
	int r = vnet_parse_u64(s, 0, max, &u);

	if (!r)
		*v = (unsigned)u;
	return r;
}

/* A list "N[-M][,...]" of values 0-max.  what names it in errors. */
static int parse_ranges(struct parser *ps, const char *what, const char *tok,
			unsigned max, struct r16 *out, unsigned *nout)
{
	char buf[VNET_POLICY_MAX_LINE + 1], *s, *e, *dash;
	const char *bad;
	unsigned n = 0, lo, hi = 0;
	int r;

	snprintf(buf, sizeof(buf), "%s", tok);
	for (s = buf;; s = e + 1) {
		if ((e = strchr(s, ',')))
			*e = '\0';
		if (!*s)
			return perr(ps, "bad %s list '%s'", what,
				    quote(ps, 0, tok));
		if ((dash = strchr(s, '-')))
			*dash = '\0';
		bad = s;
		if (!(r = num(s, max, &lo)) && dash) {
			bad = dash + 1;
			r = num(dash + 1, max, &hi);
		}
		if (r == -ERANGE)
			return perr(ps, "%s %s out of range 0-%u", what,
				    quote(ps, 0, bad), max);
		if (dash)
			*dash = '-';
		if (r)
			return perr(ps, "bad %s '%s'", what, quote(ps, 0, s));
		if (!dash)
			hi = lo;
		if (lo > hi) {
			return perr(ps, "bad %s range '%s' (%u is above %u)",
				    what, quote(ps, 0, s), lo, hi);
		}
		out[n].lo = (uint16_t)lo;
		out[n++].hi = (uint16_t)hi;
		if (!e)
			break;
	}
	*nout = n;
	return 0;
}

static int parse_prefix(struct parser *ps, const char *tok, struct vnet_addr *a,
			unsigned *plen)
{
	char buf[128], *slash;
	unsigned max, i, len;

	if (strlen(tok) >= sizeof(buf))
		return perr(ps, "bad prefix '%s'", quote(ps, 0, tok));
	snprintf(buf, sizeof(buf), "%s", tok);
	if ((slash = strchr(buf, '/')))
		*slash = '\0';
	if (vnet_addr_parse(buf, a))
		return perr(ps, "bad prefix '%s' (expected ADDR/LEN)",
			    quote(ps, 0, tok));
	max = a->family == AF_INET ? 32 : 128;
	len = max;
	if (slash && num(slash + 1, max, &len))
		return perr(ps, "bad prefix length in '%s' (expected 0-%u)",
			    quote(ps, 0, tok), max);
	for (i = 0; i < 16; i++) {
		unsigned keep = len > i * 8 ? len - i * 8 : 0;
		uint8_t m = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);

		if (a->b[i] & ~m)
			return perr(ps,
				    "prefix '%s' has bits set past its length",
				    quote(ps, 0, tok));
	}
	*plen = len;
	return 0;
}

/* "KEY=VALUE" as a label id. */
static int label_id(struct parser *ps, const char *tok)
{
	const char *eq = strchr(tok, '=');
	char key[VNET_POLICY_MAX_NAME + 1];
	int added, id;
	const char *v;

	if (!eq || eq == tok || (size_t)(eq - tok) > VNET_POLICY_MAX_NAME ||
	    !eq[1] || strlen(eq + 1) > VNET_POLICY_MAX_NAME)
		return perr(ps, "bad label '%s' (expected KEY=VALUE)",
			    quote(ps, 0, tok));
	memcpy(key, tok, (size_t)(eq - tok));
	key[eq - tok] = '\0';
	for (v = eq + 1; *v; v++)
		if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		      (*v >= '0' && *v <= '9') || *v == '_' || *v == '.' ||
		      *v == '-'))
			break;
	if (!is_name(key) || *v)
		return perr(ps, "bad label '%s' (expected KEY=VALUE)",
			    quote(ps, 0, tok));
	id = stab_add(&ps->labels, &ps->p->arena, tok, &added);
	if (id < 0)
		return oom(ps);
	return id;
}

/* ------------------------------------------------------------------ */
/* Statements.                                                         */

static int parse_src(struct parser *ps, struct src *s);

static int st_workload(struct parser *ps, char **tok, unsigned n)
{
	struct vnet_policy *p = ps->p;
	uint32_t wid, v, *labs, nl = 0, i, j;
	int added, has_mac = 0, has_ip = 0, id;
	struct hkey k;
	uint8_t mac[6];
	struct vnet_addr a;
	char buf[VNET_ADDRSTRLEN];

	if (n < 2)
		return perr(ps, "expected a workload name after 'workload'");
	if (check_name(ps, "workload", tok[1]))
		return -1;
	if (stab_find(&ps->wlnames, tok[1]) >= 0)
		return perr(ps, "duplicate workload '%s'", tok[1]);
	if (p->nworkloads >= VNET_POLICY_MAX_WORKLOADS)
		return perr(ps, "too many workloads (limit %d)",
			    VNET_POLICY_MAX_WORKLOADS);
	if ((id = stab_add(&ps->wlnames, &p->arena, tok[1], &added)) < 0)
		return oom(ps);
	wid = (uint32_t)id;
	if (vgrow(&p->wls, &ps->cwls, (size_t)wid + 1, sizeof(*p->wls)) ||
	    vgrow(&p->wl_labels, &ps->cwl_labels, (size_t)ps->nwl_labels + n,
		  sizeof(*p->wl_labels)))
		return oom(ps);
	p->nworkloads = wid + 1;
	labs = p->wl_labels + ps->nwl_labels;
	if (n == 2)
		return perr(ps, "workload '%s' needs a mac, an ip or a label",
			    tok[1]);
	for (i = 2; i < n; i += 2) {
		if (i + 1 >= n &&
		    (!strcmp(tok[i], "mac") || !strcmp(tok[i], "ip") ||
		     !strcmp(tok[i], "label")))
			return perr(ps, "missing value after '%s'", tok[i]);
		if (!strcmp(tok[i], "mac")) {
			if (has_mac)
				return perr(ps, "workload '%s' has two macs",
					    tok[1]);
			if (vnet_mac_parse(tok[i + 1], mac))
				return perr(ps, "bad MAC '%s'",
					    quote(ps, 0, tok[i + 1]));
			has_mac = 1;
			p->mac_wls = 1;
			k = hk_mac(K_MACWL, mac);
			if ((added = ht_put(&p->ht, &k, wid, &v)) < 0)
				return oom(ps);
			if (added)
				return perr(
				    ps,
				    "mac %s already belongs to workload '%s'",
				    vnet_mac_fmt(mac, buf), ps->wlnames.str[v]);
		} else if (!strcmp(tok[i], "ip")) {
			if (vnet_addr_parse(tok[i + 1], &a))
				return perr(ps, "bad address '%s'",
					    quote(ps, 0, tok[i + 1]));
			if (budget(ps, 1))
				return -1;
			p->ip_wls = 1;
			has_ip = 1;
			k = hk_addr(K_IPWL, &a, 0);
			if ((added = ht_put(&p->ht, &k, wid, &v)) < 0)
				return oom(ps);
			if (added)
				return perr(
				    ps,
				    "ip %s already belongs to workload '%s'",
				    vnet_addr_fmt(&a, buf), ps->wlnames.str[v]);
		} else if (!strcmp(tok[i], "label")) {
			if ((id = label_id(ps, tok[i + 1])) < 0)
				return -1;
			labs[nl++] = (uint32_t)id;
		} else {
			return perr(
			    ps, "unexpected '%s' (expected mac, ip or label)",
			    quote(ps, 0, tok[i]));
		}
	}
	/* Sort (insertion: a line holds few) and drop duplicates. */
	for (i = 1; i < nl; i++)
		for (j = i; j > 0 && labs[j - 1] > labs[j]; j--) {
			v = labs[j];
			labs[j] = labs[j - 1];
			labs[j - 1] = v;
		}
	for (i = j = 0; i < nl; i++)
		if (!j || labs[j - 1] != labs[i])
			labs[j++] = labs[i];
	p->wls[wid].lab_off = ps->nwl_labels;
	p->wls[wid].lab_n = j;
	p->wls[wid].addressed = has_mac || has_ip;
	ps->nwl_labels += j;
	return budget(ps, j);
}

static int sel_cmp(const void *a, const void *b)
{
	const struct sel *x = a, *y = b;

	return (x->kind > y->kind) - (x->kind < y->kind);
}

static int st_group(struct parser *ps, char **tok, unsigned n)
{
	static const struct {
		const char *name;
		uint8_t kind;
	} kinds[] = {
	    {"mac", S_MAC},	{"workload", S_WORKLOAD},
	    {"label", S_LABEL}, {"prefix", S_PREFIX},
	    {"group", S_GROUP}, {"segment", S_SEGMENT},
	};
	struct vnet_policy *p = ps->p;
	struct r16 rg[VNET_POLICY_MAX_LINE / 2];
	uint32_t gid, line, i, j, first, nn, node[32];
	uint8_t level[32];
	unsigned plen = 0, nr, r;
	struct sel *sel;
	struct hkey k;
	int added, id;

	if (n < 2)
		return perr(ps, "expected a group name after 'group'");
	if (check_name(ps, "group", tok[1]))
		return -1;
	if (!strcmp(tok[1], "any"))
		return perr(ps,
			    "group 'any' is builtin (it matches everything)");
	if (n < 3)
		return perr(ps, "group '%s' needs a selector", tok[1]);
	id = stab_find(&ps->groups, tok[1]);
	if (id < 0 && ps->groups.n >= VNET_POLICY_MAX_GROUPS)
		return perr(ps, "too many groups (limit %d)",
			    VNET_POLICY_MAX_GROUPS);
	if (ps->nglines >= MAX_GROUP_LINES)
		return perr(ps, "too many group lines (limit %d)",
			    MAX_GROUP_LINES);
	if ((id = stab_add(&ps->groups, &p->arena, tok[1], &added)) < 0)
		return oom(ps);
	gid = (uint32_t)id + 1;
	if (vgrow(&ps->sealed_by, &ps->ngroups_cap, (size_t)gid + 1,
		  sizeof(*ps->sealed_by)))
		return oom(ps);
	if (added)
		ps->sealed_by[gid] = 0;
	else if (ps->sealed_by[gid])
		return perr(ps,
			    "group '%s' is used by group '%s' and cannot get "
			    "more lines after that",
			    tok[1], ps->groups.str[ps->sealed_by[gid] - 1]);
	p->ngroups = ps->groups.n + 1;
	if (vgrow(&p->sels, &ps->csels, (size_t)ps->nsels + n,
		  sizeof(*p->sels)) ||
	    vgrow(&p->glines, &ps->cglines, (size_t)ps->nglines + 1,
		  sizeof(*p->glines)))
		return oom(ps);
	first = ps->nsels;
	for (i = 2; i < n; i += 2) {
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
			if (!strcmp(tok[i], kinds[j].name))
				break;
		if (j == sizeof(kinds) / sizeof(kinds[0]))
			return perr(
			    ps,
			    "unknown selector '%s' (expected label, mac, "
			    "prefix, segment, workload or group)",
			    quote(ps, 0, tok[i]));
		if (i + 1 >= n)
			return perr(ps, "missing value after '%s'", tok[i]);
		if (vgrow(&p->sels, &ps->csels, (size_t)ps->nsels + n,
			  sizeof(*p->sels)))
			return oom(ps);
		sel = &p->sels[ps->nsels];
		memset(sel, 0, sizeof(*sel));
		sel->kind = kinds[j].kind;
		switch (sel->kind) {
		case S_MAC:
			if (vnet_mac_parse(tok[i + 1], sel->mac))
				return perr(ps, "bad MAC '%s'",
					    quote(ps, 0, tok[i + 1]));
			break;
		case S_WORKLOAD:
			if (check_name(ps, "workload", tok[i + 1]))
				return -1;
			if ((id = stab_find(&ps->wlnames, tok[i + 1])) < 0)
				return perr(ps, "unknown workload '%s'",
					    tok[i + 1]);
			sel->id = (uint32_t)id;
			break;
		case S_LABEL:
			if ((id = label_id(ps, tok[i + 1])) < 0)
				return -1;
			sel->id = (uint32_t)id;
			break;
		case S_PREFIX:
			if (parse_prefix(ps, tok[i + 1], &sel->a, &plen))
				return -1;
			sel->plen = (uint8_t)plen;
			break;
		case S_GROUP:
			if (check_name(ps, "group", tok[i + 1]))
				return -1;
			if (!strcmp(tok[i + 1], "any")) {
				sel->id = 0;
				break;
			}
			if ((id = stab_find(&ps->groups, tok[i + 1])) < 0)
				return perr(ps, "unknown group '%s'",
					    tok[i + 1]);
			if ((uint32_t)id + 1 == gid)
				return perr(
				    ps, "group '%s' cannot reference itself",
				    tok[1]);
			sel->id = (uint32_t)id + 1;
			if (!ps->sealed_by[sel->id])
				ps->sealed_by[sel->id] = gid;
			break;
		case S_SEGMENT:
			/* One selector per range of a list. */
			if (parse_ranges(ps, "segment", tok[i + 1], NSEG - 1,
					 rg, &nr))
				return -1;
			if (vgrow(&p->sels, &ps->csels,
				  (size_t)ps->nsels + n + nr, sizeof(*p->sels)))
				return oom(ps);
			for (r = 0; r < nr; r++) {
				sel = &p->sels[ps->nsels + r];
				memset(sel, 0, sizeof(*sel));
				sel->kind = S_SEGMENT;
				sel->lo = rg[r].lo;
				sel->hi = rg[r].hi;
			}
			ps->nsels += nr - 1;
			break;
		}
		ps->nsels++;
	}
	if (budget(ps, ps->nsels - first))
		return -1;
	qsort(p->sels + first, ps->nsels - first, sizeof(*p->sels), sel_cmp);
	line = ps->nglines++;
	p->glines[line].gid = gid;
	p->glines[line].off = first;
	p->glines[line].n = ps->nsels - first;
	p->glines[line].file = ps->file;
	p->glines[line].line = ps->line;
	/* Index the line under each value of its anchor kind. */
	for (i = first; i < ps->nsels && p->sels[i].kind == p->sels[first].kind;
	     i++) {
		sel = &p->sels[i];
		switch (sel->kind) {
		case S_MAC:
			k = hk_mac(K_MACL, sel->mac);
			break;
		case S_WORKLOAD:
			k = hk(K_WLL, sel->id, 0, 0);
			break;
		case S_LABEL:
			k = hk(K_LABL, sel->id, 0, 0);
			break;
		case S_PREFIX: {
			int f = sel->a.family == AF_INET6;

			k = hk_addr(K_PFXL, &sel->a, sel->plen);
			for (j = 0; j < p->nlens[f]; j++)
				if (p->lens[f][j] == sel->plen)
					break;
			if (j == p->nlens[f])
				p->lens[f][p->nlens[f]++] = sel->plen;
			break;
		}
		case S_GROUP:
			k = hk(K_GRPL, sel->id, 0, 0);
			break;
		default: /* S_SEGMENT */
			nn = tree_cut(sel->lo, sel->hi, SEG_BITS, node, level);
			if (budget(ps, nn))
				return -1;
			for (j = 0; j < nn; j++) {
				p->segmask |= 1u << level[j];
				k = hk(K_SEGL, node[j], 0, 0);
				if (add_ent(ps, &k, line))
					return -1;
			}
			continue;
		}
		if (add_ent(ps, &k, line))
			return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned num;
} protos[] = {
    {"icmp", 1},  {"tcp", 6},	 {"udp", 17},	{"gre", 47},
    {"esp", 50},  {"ah", 51},	 {"icmp6", 58}, {"ipv6-icmp", 58},
    {"ospf", 89}, {"vrrp", 112}, {"sctp", 132},
};

struct icmp_name {
	const char *name;
	uint8_t type;
	int16_t code; /* -1: any */
};

static const struct icmp_name icmp4_names[] = {
    {"echo-reply", 0, -1},	 {"dest-unreach", 3, -1},
    {"net-unreach", 3, 0},	 {"host-unreach", 3, 1},
    {"proto-unreach", 3, 2},	 {"port-unreach", 3, 3},
    {"frag-needed", 3, 4},	 {"admin-prohibited", 3, 13},
    {"source-quench", 4, -1},	 {"redirect", 5, -1},
    {"echo-request", 8, -1},	 {"router-advert", 9, -1},
    {"router-solicit", 10, -1},	 {"time-exceeded", 11, -1},
    {"param-problem", 12, -1},	 {"timestamp-request", 13, -1},
    {"timestamp-reply", 14, -1},
};

static const struct icmp_name icmp6_names[] = {
    {"dest-unreach", 1, -1},	  {"no-route", 1, 0},
    {"admin-prohibited", 1, 1},	  {"addr-unreach", 1, 3},
    {"port-unreach", 1, 4},	  {"packet-too-big", 2, -1},
    {"time-exceeded", 3, -1},	  {"param-problem", 4, -1},
    {"echo-request", 128, -1},	  {"echo-reply", 129, -1},
    {"mld-query", 130, -1},	  {"mld-report", 131, -1},
    {"mld-done", 132, -1},	  {"router-solicit", 133, -1},
    {"router-advert", 134, -1},	  {"neighbor-solicit", 135, -1},
    {"neighbor-advert", 136, -1}, {"redirect", 137, -1},
    {"mld2-report", 143, -1},
};

/* An ICMP type list as ranges of type << 8 | code. */
static int parse_types(struct parser *ps, const char *tok, int v6,
		       struct r16 *out, unsigned *nout)
{
	const struct icmp_name *names = v6 ? icmp6_names : icmp4_names;
	size_t nnames = v6 ? sizeof(icmp6_names) / sizeof(icmp6_names[0])
			   : sizeof(icmp4_names) / sizeof(icmp4_names[0]);
	char buf[VNET_POLICY_MAX_LINE + 1], *s, *e, *slash;
	unsigned n = 0, type, code;
	int c;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", tok);
	for (s = buf;; s = e + 1) {
		if ((e = strchr(s, ',')))
			*e = '\0';
		if (!*s)
			return perr(ps, "bad type list '%s'",
				    quote(ps, 0, tok));
		if ((slash = strchr(s, '/')))
			*slash = '\0';
		if (*s >= '0' && *s <= '9') {
			if (num(s, 255, &type))
				return perr(ps,
					    "icmp type %s out of range 0-255",
					    quote(ps, 0, s));
			c = -1;
		} else {
			for (i = 0; i < nnames; i++)
				if (!strcmp(s, names[i].name))
					break;
			if (i == nnames)
				return perr(ps, "unknown %s type '%s'",
					    v6 ? "icmp6" : "icmp",
					    quote(ps, 0, s));
			type = names[i].type;
			c = names[i].code;
		}
		if (slash) {
			if (num(slash + 1, 255, &code))
				return perr(ps,
					    "icmp code %s out of range 0-255",
					    quote(ps, 0, slash + 1));
			if (c >= 0 && (unsigned)c != code)
				return perr(ps, "type '%s' already has code %d",
					    quote(ps, 0, s), c);
			c = (int)code;
		}
		out[n].lo = (uint16_t)(type << 8 | (c < 0 ? 0 : (unsigned)c));
		out[n++].hi =
		    (uint16_t)(type << 8 | (c < 0 ? 255 : (unsigned)c));
		if (!e)
			break;
	}
	*nout = n;
	return 0;
}

/* Join tokens with single blanks into the arena. */
static const char *join(struct parser *ps, char **tok, unsigned n)
{
	char buf[VNET_POLICY_MAX_LINE + 1];
	size_t len = 0, l;
	unsigned i;

	for (i = 0; i < n; i++) {
		l = strlen(tok[i]);
		if (len + l + 1 >= sizeof(buf))
			break;
		if (i)
			buf[len++] = ' ';
		memcpy(buf + len, tok[i], l);
		len += l;
	}
	return arena_dup(&ps->p->arena, buf, len);
}

static int act_parse(const char *s, enum vnet_act *a)
{
	if (!strcmp(s, "allow"))
		*a = VNET_ACT_ALLOW;
	else if (!strcmp(s, "deny"))
		*a = VNET_ACT_DENY;
	else if (!strcmp(s, "reject"))
		*a = VNET_ACT_REJECT;
	else
		return -1;
	return 0;
}

/* A group named in a rule after `from` or `to`. */
static int rule_group(struct parser *ps, const char *kw, char **tok, unsigned n,
		      unsigned i, uint32_t *gid)
{
	int id;

	if (i >= n)
		return perr(ps, "expected a group name after '%s'", kw);
	if (!is_name(tok[i]) || strlen(tok[i]) > VNET_POLICY_MAX_NAME)
		return perr(ps, "expected a group name after '%s', got '%s'",
			    kw, quote(ps, 0, tok[i]));
	if (!strcmp(tok[i], "any")) {
		*gid = 0;
		return 0;
	}
	if ((id = stab_find(&ps->groups, tok[i])) < 0) {
		if (stab_find(&ps->wlnames, tok[i]) >= 0)
			return perr(
			    ps,
			    "unknown group '%s' (a workload: rules name "
			    "groups, e.g. 'group %s workload %s')",
			    tok[i], tok[i], tok[i]);
		return perr(ps, "unknown group '%s'", tok[i]);
	}
	*gid = (uint32_t)id + 1;
	return 0;
}

struct ruleopts {
	const char *proto, *port, *sport, *type, *seg;
	unsigned dir, flags;
};

/* One option of a rule at tok[*i]; 1 if tok[*i] is not an option. */
static int rule_opt(struct parser *ps, char **tok, unsigned n, unsigned *i,
		    struct ruleopts *o)
{
	const char **slot = NULL, *t = tok[*i];

	if (!strcmp(t, "egress") || !strcmp(t, "ingress")) {
		if (o->dir != DIR_BOTH)
			return perr(ps, "direction given twice");
		o->dir = t[0] == 'e' ? 0 : 1;
		return 0;
	}
	if (!strcmp(t, "log") || !strcmp(t, "reserve")) {
		unsigned f = t[0] == 'l' ? VNET_RULE_LOG : VNET_RULE_RESERVE;

		if (o->flags & f)
			return perr(ps, "duplicate '%s'", t);
		o->flags |= f;
		return 0;
	}
	if (!strcmp(t, "segment"))
		slot = &o->seg;
	else if (!strcmp(t, "proto"))
		slot = &o->proto;
	else if (!strcmp(t, "port"))
		slot = &o->port;
	else if (!strcmp(t, "sport"))
		slot = &o->sport;
	else if (!strcmp(t, "type"))
		slot = &o->type;
	else
		return 1;
	if (*slot)
		return perr(ps, "duplicate '%s'", t);
	if (*i + 1 >= n)
		return perr(ps, "missing value after '%s'", t);
	*slot = tok[++*i];
	return 0;
}

static int r16_cmp(const void *a, const void *b)
{
	const struct r16 *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* Sort the n ranges at r and merge those that overlap or touch; their
 * new number. */
static unsigned ranges_norm(struct r16 *r, unsigned n)
{
	unsigned i, k = 0;

	if (n < 2)
		return n;
	qsort(r, n, sizeof(*r), r16_cmp);
	for (i = 1; i < n; i++) {
		if ((uint32_t)r[i].lo <= (uint32_t)r[k].hi + 1) {
			if (r[i].hi > r[k].hi)
				r[k].hi = r[i].hi;
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

/* Append the n ranges at r to ps->ranges (room made by the caller),
 * sorted and merged: their offset, their number in *nout. */
static uint32_t keep_ranges(struct parser *ps, const struct r16 *r,
			    unsigned n, uint32_t *nout)
{
	uint32_t off = ps->nranges;

	*nout = 0;
	if (!n) /* ps->ranges may still be NULL: no pointer arithmetic */
		return off;
	memcpy(ps->ranges + off, r, n * sizeof(*r));
	*nout = ranges_norm(ps->ranges + off, n);
	ps->nranges += *nout;
	return off;
}

static int add_combo(struct parser *ps, uint32_t pid, unsigned proto,
		     unsigned dir, unsigned plevel, unsigned slevel)
{
	struct combo_ent *c;

	if (vgrow(&ps->combos, &ps->ccombos, (size_t)ps->ncombos + 1,
		  sizeof(*ps->combos)))
		return oom(ps);
	c = &ps->combos[ps->ncombos++];
	c->pair = pid;
	c->c.proto = (uint16_t)proto;
	c->c.dir = (uint8_t)dir;
	c->c.plevel = (uint8_t)plevel;
	c->c.slevel = (uint8_t)slevel;
	return 0;
}

static int st_rule(struct parser *ps, char **tok, unsigned n)
{
	static const struct r16 all = {0, 0};
	struct vnet_policy *p = ps->p;
	struct r16 seg[VNET_POLICY_MAX_LINE / 2],
	    port[VNET_POLICY_MAX_LINE / 2], sport[VNET_POLICY_MAX_LINE / 2];
	unsigned nseg = 0, nport = 0, nsport = 0, i, a, b, x, y, xp, xs;
	unsigned proto = PROTO_ANY;
	uint32_t from, to, pid, rid, old;
	uint32_t cp[2 * PORT_BITS], cs[2 * SEG_BITS];
	uint8_t lp[2 * PORT_BITS], ls[2 * SEG_BITS];
	uint32_t levels[PORT_BITS + 1]; /* segment levels seen per port level */
	struct ruleopts o = {.dir = DIR_BOTH};
	size_t npn = 0, nsn = 0, j;
	enum vnet_act act;
	struct prule *r;
	struct hkey k;
	int ret;

	act_parse(tok[0], &act);
	if (ps->nrules + ps->ndef >= VNET_POLICY_MAX_RULES)
		return perr(ps, "too many rules (limit %d)",
			    VNET_POLICY_MAX_RULES);
	for (i = 1; i < n && strcmp(tok[i], "from"); i++) {
		if ((ret = rule_opt(ps, tok, n, &i, &o)) < 0)
			return -1;
		if (ret)
			return perr(ps, "expected 'from', got '%s'",
				    quote(ps, 0, tok[i]));
	}
	if (i >= n)
		return perr(ps, "expected 'from'");
	if (rule_group(ps, "from", tok, n, ++i, &from))
		return -1;
	if (++i >= n)
		return perr(ps, "expected 'to'");
	if (strcmp(tok[i], "to"))
		return perr(ps, "expected 'to', got '%s'",
			    quote(ps, 0, tok[i]));
	if (rule_group(ps, "to", tok, n, ++i, &to))
		return -1;
	for (i++; i < n; i++) {
		if ((ret = rule_opt(ps, tok, n, &i, &o)) < 0)
			return -1;
		if (ret)
			return perr(
			    ps,
			    "unexpected '%s' (expected proto, port, "
			    "sport, type, segment, egress, ingress, log "
			    "or reserve)",
			    quote(ps, 0, tok[i]));
	}
	if (o.seg && parse_ranges(ps, "segment", o.seg, NSEG - 1, seg, &nseg))
		return -1;
	if (o.proto && strcmp(o.proto, "any")) {
		for (j = 0; j < sizeof(protos) / sizeof(protos[0]); j++)
			if (!strcmp(o.proto, protos[j].name))
				break;
		if (j < sizeof(protos) / sizeof(protos[0]))
			proto = protos[j].num;
		else if ((ret = num(o.proto, 255, &proto)) == -ERANGE)
			return perr(ps, "protocol %s out of range 0-255",
				    quote(ps, 0, o.proto));
		else if (ret)
			return perr(ps,
				    "unknown protocol '%s' (expected tcp, udp, "
				    "sctp, icmp, icmp6, any or 0-255)",
				    quote(ps, 0, o.proto));
	}
	if (o.port) {
		if (proto != 6 && proto != 17 && proto != 132)
			return perr(ps, "'port' needs proto tcp, udp or sctp");
		if (parse_ranges(ps, "port", o.port, 65535, port, &nport))
			return -1;
	}
	if (o.sport) {
		if (proto != 6 && proto != 17 && proto != 132)
			return perr(ps, "'sport' needs proto tcp, udp or sctp");
		if (parse_ranges(ps, "sport", o.sport, 65535, sport, &nsport))
			return -1;
	}
	if (o.type) {
		if (proto != 1 && proto != 58)
			return perr(ps, "'type' needs proto icmp or icmp6");
		if (parse_types(ps, o.type, proto == 58, port, &nport))
			return -1;
	}
	if ((o.flags & VNET_RULE_RESERVE) && act != VNET_ACT_ALLOW)
		return perr(ps, "'reserve' needs allow");

	/* The index entries: port nodes x segment nodes (no set: the
	 * root).  Counted first, against the budget. */
	for (a = 0; a < nport; a++)
		npn += tree_cut(port[a].lo, port[a].hi, PORT_BITS, cp, lp);
	for (a = 0; a < nseg; a++)
		nsn += tree_cut(seg[a].lo, seg[a].hi, SEG_BITS, cs, ls);
	if (budget(ps, (npn ? npn : 1) * (nsn ? nsn : 1) + nsport))
		return -1;

	/* The rule. */
	rid = ps->nrules;
	if (vgrow(&p->rules, &ps->crules, (size_t)rid + 1, sizeof(*p->rules)) ||
	    vgrow(&ps->ranges, &ps->cranges,
		  (size_t)ps->nranges + nsport + nport + nseg,
		  sizeof(*ps->ranges)))
		return oom(ps);
	r = &p->rules[rid];
	memset(r, 0, sizeof(*r));
	r->pub.id = rid;
	r->pub.act = act;
	r->pub.flags = o.flags;
	r->pub.file = ps->file;
	r->pub.line = ps->line;
	if (!(r->pub.text = join(ps, tok, n)))
		return oom(ps);
	r->from = from;
	r->to = to;
	r->proto = (uint16_t)proto;
	r->dir = (uint8_t)o.dir;
	r->sport_off = keep_ranges(ps, sport, nsport, &r->sport_n);
	r->port_off = keep_ranges(ps, port, nport, &r->port_n);
	r->seg_off = keep_ranges(ps, seg, nseg, &r->seg_n);
	ps->nrules++;

	/* Its pair. */
	if ((ret = h64_put(&p->pairtab, pair_key(from, to), ps->npairs, &old)) <
	    0)
		return oom(ps);
	if (ret) {
		pid = old;
	} else {
		if (vgrow(&p->pairs, &ps->cpairs, (size_t)ps->npairs + 1,
			  sizeof(*p->pairs)))
			return oom(ps);
		pid = ps->npairs++;
		memset(&p->pairs[pid], 0, sizeof(p->pairs[pid]));
		p->pairs[pid].from = from;
		p->pairs[pid].to = to;
		p->pairs[pid].minid = rid;
	}

	memset(levels, 0, sizeof(levels));
	for (a = 0; a < (nport ? nport : 1); a++) {
		const struct r16 *pr = nport ? &port[a] : &all;

		xp = nport ? tree_cut(pr->lo, pr->hi, PORT_BITS, cp, lp) : 1;
		if (!nport) {
			cp[0] = 1;
			lp[0] = 0;
		}
		for (b = 0; b < (nseg ? nseg : 1); b++) {
			const struct r16 *sr = nseg ? &seg[b] : &all;

			xs = nseg ? tree_cut(sr->lo, sr->hi, SEG_BITS, cs, ls)
				  : 1;
			if (!nseg) {
				cs[0] = 1;
				ls[0] = 0;
			}
			for (x = 0; x < xp; x++) {
				for (y = 0; y < xs; y++) {
					k = hk_node(pid, proto, o.dir, cp[x],
						    cs[y]);
					if (add_ent(ps, &k,
						    rid | (nsport ? ITEM_CHECK
								  : 0)))
						return -1;
					if (levels[lp[x]] & (1u << ls[y]))
						continue;
					levels[lp[x]] |= 1u << ls[y];
					if (add_combo(ps, pid, proto, o.dir,
						      lp[x], ls[y]))
						return -1;
				}
			}
		}
	}
	return 0;
}

static int st_default(struct parser *ps, char **tok, unsigned n)
{
	struct r16 seg[VNET_POLICY_MAX_LINE / 2];
	unsigned nseg = 0, i = 1, flags = VNET_RULE_DEFAULT;
	enum vnet_act act;
	struct defline *d;
	struct prule *r;

	if (ps->nrules + ps->ndef >= VNET_POLICY_MAX_RULES)
		return perr(ps, "too many rules (limit %d)",
			    VNET_POLICY_MAX_RULES);
	if (i < n && !strcmp(tok[i], "segment")) {
		if (++i >= n)
			return perr(ps, "missing value after 'segment'");
		if (parse_ranges(ps, "segment", tok[i], NSEG - 1, seg, &nseg))
			return -1;
		i++;
	}
	if (i >= n)
		return perr(ps, "expected allow, deny or reject after '%s'",
			    tok[i - 1]);
	if (act_parse(tok[i], &act))
		return perr(ps, "expected allow, deny or reject, got '%s'",
			    quote(ps, 0, tok[i]));
	if (++i < n && !strcmp(tok[i], "log")) {
		flags |= VNET_RULE_LOG;
		i++;
	}
	if (i < n)
		return perr(ps, "unexpected '%s' after the default",
			    quote(ps, 0, tok[i]));
	if (vgrow(&ps->defs, &ps->cdef, (size_t)ps->ndef + 1,
		  sizeof(*ps->defs)) ||
	    vgrow(&ps->deflines, &ps->cdeflines, (size_t)ps->ndef + 1,
		  sizeof(*ps->deflines)) ||
	    vgrow(&ps->ranges, &ps->cranges, (size_t)ps->nranges + nseg,
		  sizeof(*ps->ranges)))
		return oom(ps);
	if (budget(ps, nseg))
		return -1;
	r = &ps->defs[ps->ndef];
	memset(r, 0, sizeof(*r));
	r->pub.act = act;
	r->pub.flags = flags;
	r->pub.file = ps->file;
	r->pub.line = ps->line;
	if (!(r->pub.text = join(ps, tok, n)))
		return oom(ps);
	d = &ps->deflines[ps->ndef];
	d->rule = ps->ndef;
	d->off = ps->nranges;
	d->n = nseg;
	if (nseg)
		memcpy(ps->ranges + ps->nranges, seg, nseg * sizeof(*seg));
	ps->nranges += nseg;
	ps->ndef++;
	return 0;
}

static int st_arpnd(struct parser *ps, char **tok, unsigned n)
{
	enum vnet_act act, *dst;

	if (n < 2)
		return perr(ps, "expected allow or deny after '%s'", tok[0]);
	if (act_parse(tok[1], &act) || act == VNET_ACT_REJECT)
		return perr(ps, "expected allow or deny after '%s', got '%s'",
			    tok[0], quote(ps, 0, tok[1]));
	if (n > 2)
		return perr(ps, "unexpected '%s'", quote(ps, 0, tok[2]));
	dst = tok[0][0] == 'a'	 ? &ps->p->arp
	      : tok[0][0] == 'n' ? &ps->p->nd
				 : &ps->p->other;
	*dst = act;
	return 0;
}

static int open_src(struct parser *ps, struct src *s, const char *path);

/* "u -> ... -> cur -> s" into buf: u is the file s is again. */
static void cycle_chain(const struct src *u, const struct src *cur,
			const struct src *s, char *buf, size_t len)
{
	const struct src *v[VNET_POLICY_MAX_DEPTH + 2], *w;
	size_t at;
	int nv = 0;

	for (w = cur; w != u; w = w->up)
		v[nv++] = w;
	at = (size_t)snprintf(buf, len, "%s", u->name);
	while (nv > 0 && at < len)
		at += (size_t)snprintf(buf + at, len - at, " -> %s",
				       v[--nv]->name);
	if (at < len)
		snprintf(buf + at, len - at, " -> %s", s->name);
}

static int st_include(struct parser *ps, char **tok, unsigned n,
		      struct src *cur)
{
	struct src *s, *u;
	char *path;
	size_t dl;
	int ret = -1;
	char chain[512];

	if (n < 2)
		return perr(ps, "expected a file name after 'include'");
	if (n > 2)
		return perr(ps, "unexpected '%s' after the file name",
			    quote(ps, 0, tok[2]));
	if (!cur->dir)
		return perr(ps, "include not allowed here");
	if (cur->depth >= VNET_POLICY_MAX_DEPTH)
		return perr(ps,
			    "include nesting too deep (more than %d levels)",
			    VNET_POLICY_MAX_DEPTH);
	if (++ps->includes > MAX_INCLUDES)
		return perr(ps, "too many includes (more than %d)",
			    MAX_INCLUDES);
	dl = strlen(cur->dir);
	if (!(path = malloc(dl + strlen(tok[1]) + 2)))
		return oom(ps);
	if (tok[1][0] == '/' || !dl)
		strcpy(path, tok[1]);
	else
		sprintf(path, "%s%s%s", cur->dir,
			cur->dir[dl - 1] == '/' ? "" : "/", tok[1]);
	if (!(s = calloc(1, sizeof(*s)))) {
		free(path);
		return oom(ps);
	}
	s->up = cur;
	s->depth = cur->depth + 1;
	if (open_src(ps, s, path)) {
		int e = errno;

		perr(ps, "include '%s': %s", quote(ps, 0, tok[1]), strerror(e));
		ps->errnum = e;
		goto out;
	}
	for (u = cur; u; u = u->up) {
		if (!u->has_id || u->dev != s->dev || u->ino != s->ino)
			continue;
		cycle_chain(u, cur, s, chain, sizeof(chain));
		perr(ps, "include cycle: %s", chain);
		goto out;
	}
	ret = parse_src(ps, s);
out:
	if (s->f)
		fclose(s->f);
	free(s->dir);
	free(s);
	free(path);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Reading.                                                            */

/* Opens path for s: name, dir, identity.  -1 with errno. */
static int open_src(struct parser *ps, struct src *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!(s->name = arena_dup(&ps->p->arena, path, strlen(path))))
		return -1;
	if (!slash)
		s->dir = strdup("");
	else if (slash == path)
		s->dir = strdup("/");
	else
		s->dir = strndup(path, (size_t)(slash - path));
	if (!s->dir)
		return -1;
	if (!(s->f = fopen(path, "re")))
		return -1;
	if (fstat(fileno(s->f), &st))
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->has_id = 1;
	return 0;
}

/* One physical line into s->phys without its newline.  1 read, 0 end,
 * -1 error (reported). */
static int phys_line(struct parser *ps, struct src *s, size_t *len)
{
	size_t n = 0;
	int c;

	s->lineno++;
	if (!s->f) {
		const char *b = s->buf + s->off, *nl;
		size_t left = s->len - s->off;

		if (!left)
			return 0;
		nl = memchr(b, '\n', left);
		n = nl ? (size_t)(nl - b) : left;
		s->off += n + (nl != NULL);
		ps->bytes += n + 1;
		if (n > VNET_POLICY_MAX_LINE)
			goto toolong;
		memcpy(s->phys, b, n);
		*len = n;
		return 1;
	}
	while ((c = getc_unlocked(s->f)) != EOF && c != '\n') {
		if (n >= VNET_POLICY_MAX_LINE)
			goto toolong;
		s->phys[n++] = (char)c;
	}
	ps->bytes += n + 1;
	if (c == EOF && ferror(s->f)) {
		int e = errno ? errno : EIO;

		perr(ps, "read error: %s", strerror(e));
		ps->errnum = e;
		return -1;
	}
	if (c == EOF && !n)
		return 0;
	*len = n;
	return 1;
toolong:
	return perr(ps, "line too long (more than %d bytes)",
		    VNET_POLICY_MAX_LINE);
}

static int statement(struct parser *ps, struct src *s, char **tok, unsigned n)
{
	if (!strcmp(tok[0], "allow") || !strcmp(tok[0], "deny") ||
	    !strcmp(tok[0], "reject"))
		return st_rule(ps, tok, n);
	if (!strcmp(tok[0], "group"))
		return st_group(ps, tok, n);
	if (!strcmp(tok[0], "workload"))
		return st_workload(ps, tok, n);
	if (!strcmp(tok[0], "default"))
		return st_default(ps, tok, n);
	if (!strcmp(tok[0], "arp") || !strcmp(tok[0], "nd") ||
	    !strcmp(tok[0], "other"))
		return st_arpnd(ps, tok, n);
	if (!strcmp(tok[0], "include"))
		return st_include(ps, tok, n, s);
	return perr(ps, "unknown statement '%s'", quote(ps, 0, tok[0]));
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int parse_src(struct parser *ps, struct src *s)
{
	size_t len = 0, llen = 0;
	unsigned first = 0, n;
	char *c, *e;
	int r, cont;

	for (;;) {
		ps->file = s->name;
		ps->line = first ? first : s->lineno + 1;
		if ((r = phys_line(ps, s, &len)) < 0)
			return -1;
		if (ps->bytes > MAX_BYTES)
			return perr(ps,
				    "policy too large (more than %u MiB with "
				    "includes)",
				    MAX_BYTES >> 20);
		if (!r && !llen)
			return 0;
		if (r) {
			if (!first)
				first = s->lineno;
			ps->line = first;
			if (memchr(s->phys, '\0', len))
				return perr(ps, "NUL byte in line");
			s->phys[len] = '\0';
			if ((c = strchr(s->phys, '#')))
				len = (size_t)(c - s->phys);
			while (len && is_blank(s->phys[len - 1]))
				len--;
			cont = len && s->phys[len - 1] == '\\';
			if (cont)
				len--;
			if (llen + len + 1 > VNET_POLICY_MAX_LINE)
				return perr(
				    ps, "line too long (more than %d bytes)",
				    VNET_POLICY_MAX_LINE);
			if (llen)
				s->logical[llen++] = ' ';
			memcpy(s->logical + llen, s->phys, len);
			llen += len;
			if (cont)
				continue;
		}
		s->logical[llen] = '\0';
		n = 0;
		for (c = s->logical; *c;) {
			while (is_blank(*c))
				c++;
			if (!*c)
				break;
			for (e = c; *e && !is_blank(*e); e++)
				;
			s->tok[n++] = c;
			c = e;
			if (*e)
				*c++ = '\0';
		}
		if (n && statement(ps, s, s->tok, n))
			return -1;
		if (!r)
			return 0;
		llen = 0;
		first = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Building the indexes.                                               */

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int i;

	for (i = 0; i < 6; i++)
		if (x->k.w[i] != y->k.w[i])
			return x->k.w[i] < y->k.w[i] ? -1 : 1;
	return (ITEM_ID(x->item) > ITEM_ID(y->item)) -
	       (ITEM_ID(x->item) < ITEM_ID(y->item));
}

static int combo_cmp(const void *a, const void *b)
{
	const struct combo_ent *x = a, *y = b;

	if (x->pair != y->pair)
		return x->pair < y->pair ? -1 : 1;
	if (x->c.proto != y->c.proto)
		return x->c.proto < y->c.proto ? -1 : 1;
	if (x->c.dir != y->c.dir)
		return x->c.dir < y->c.dir ? -1 : 1;
	if (x->c.plevel != y->c.plevel)
		return x->c.plevel < y->c.plevel ? -1 : 1;
	return (x->c.slevel > y->c.slevel) - (x->c.slevel < y->c.slevel);
}

static int build(struct parser *ps)
{
	struct vnet_policy *p = ps->p;
	uint32_t i, j, nl = 0, ni = 0, *next, g, d, v;
	struct prule *r;
	int ret;

	/* Lists. */
	if (ps->nents)
		qsort(ps->ents, ps->nents, sizeof(*ps->ents), ent_cmp);
	p->lists = malloc(((size_t)ps->nents + 1) * sizeof(*p->lists));
	p->items = malloc(((size_t)ps->nents + 1) * sizeof(*p->items));
	if (!p->lists || !p->items)
		return oom(ps);
	p->anchors[A_LABEL] = calloc(ps->labels.n / 8 + 1, 1);
	p->anchors[A_WORKLOAD] = calloc(p->nworkloads / 8 + 1, 1);
	p->anchors[A_GROUP] = calloc(p->ngroups / 8 + 1, 1);
	if (!p->anchors[A_LABEL] || !p->anchors[A_WORKLOAD] ||
	    !p->anchors[A_GROUP])
		return oom(ps);
	for (i = 0; i < ps->nents; i = j) {
		uint32_t kind = ps->ents[i].k.w[0] >> 24,
			 a = ps->ents[i].k.w[1];

		if (kind == K_LABL)
			p->anchors[A_LABEL][a / 8] |= (uint8_t)(1u << a % 8);
		else if (kind == K_WLL)
			p->anchors[A_WORKLOAD][a / 8] |= (uint8_t)(1u << a % 8);
		else if (kind == K_GRPL)
			p->anchors[A_GROUP][a / 8] |= (uint8_t)(1u << a % 8);
		else if (kind == K_MACL)
			p->mac_lines = 1;
		p->lists[nl].off = ni;
		for (j = i;
		     j < ps->nents && hk_eq(&ps->ents[j].k, &ps->ents[i].k);
		     j++)
			if (j == i || ps->ents[j].item != ps->ents[j - 1].item)
				p->items[ni++] = ps->ents[j].item;
		p->lists[nl].n = ni - p->lists[nl].off;
		if (p->lists[nl].n == 1) {
			v = V_INLINE | p->items[--ni];
		} else {
			v = nl++;
		}
		if (kind == K_NODE) {
			const uint32_t *w = ps->ents[i].k.w;

			ret = h64_put(&p->nodetab,
				      node_key(w[1], (w[0] >> 2) & 0x1ff,
					       w[0] & 3, w[2], w[3]),
				      v, NULL);
		} else {
			ret = ht_put(&p->ht, &ps->ents[i].k, v, NULL);
		}
		if (ret < 0)
			return oom(ps);
	}
	free(ps->ents);
	ps->ents = NULL;

	/* Combos per pair. */
	if (ps->ncombos)
		qsort(ps->combos, ps->ncombos, sizeof(*ps->combos), combo_cmp);
	p->combos = malloc(((size_t)ps->ncombos + 1) * sizeof(*p->combos));
	if (!p->combos)
		return oom(ps);
	for (i = j = 0; i < ps->ncombos; i++) {
		if (i && !combo_cmp(&ps->combos[i], &ps->combos[i - 1]))
			continue;
		if (!i || ps->combos[i].pair != ps->combos[i - 1].pair)
			p->pairs[ps->combos[i].pair].combo_off = j;
		p->pairs[ps->combos[i].pair].combo_n++;
		p->combos[j++] = ps->combos[i].c;
	}

	/* Pairs by from group. */
	p->from_off = calloc((size_t)p->ngroups + 1, sizeof(*p->from_off));
	p->from_pairs =
	    malloc(((size_t)ps->npairs + 1) * sizeof(*p->from_pairs));
	if (!p->from_off || !p->from_pairs)
		return oom(ps);
	for (i = 0; i < ps->npairs; i++)
		p->from_off[p->pairs[i].from + 1]++;
	for (g = 0; g < p->ngroups; g++)
		p->from_off[g + 1] += p->from_off[g];
	{
		uint32_t *fill = calloc(p->ngroups + 1, sizeof(*fill));

		if (!fill)
			return oom(ps);
		for (i = 0; i < ps->npairs; i++) {
			struct fromref *f;

			g = p->pairs[i].from;
			f = &p->from_pairs[p->from_off[g] + fill[g]++];
			f->to = p->pairs[i].to;
			f->pair = i;
		}
		free(fill);
	}

	/* Rules, then the default lines, then the builtin default. */
	p->nrules = ps->nrules;
	p->ntotal = ps->nrules + ps->ndef + 1;
	if (vgrow(&p->rules, &ps->crules, p->ntotal, sizeof(*p->rules)))
		return oom(ps);
	for (i = 0; i < ps->ndef; i++) {
		p->rules[ps->nrules + i] = ps->defs[i];
		p->rules[ps->nrules + i].pub.id = ps->nrules + i;
	}
	r = &p->rules[p->ntotal - 1];
	memset(r, 0, sizeof(*r));
	r->pub.id = p->ntotal - 1;
	r->pub.act = VNET_ACT_DENY;
	r->pub.flags = VNET_RULE_DEFAULT;
	r->pub.file = "(builtin)";
	r->pub.text = "default deny";
	p->global_default = p->ntotal - 1;
	for (i = 0; i < ps->ndef; i++)
		if (!ps->deflines[i].n)
			p->global_default = ps->nrules + i;
	/* Segment defaults: the last line covering a segment wins, so paint
	 * from the last line back, skipping painted segments. */
	if (!(next = malloc((NSEG + 1) * sizeof(*next))))
		return oom(ps);
	for (i = 0; i <= NSEG; i++)
		next[i] = i;
	for (i = 0; i < NSEG; i++)
		p->seg_default[i] = UINT32_MAX;
	for (d = ps->ndef; d-- > 0;) {
		const struct defline *dl = &ps->deflines[d];

		for (j = 0; j < dl->n; j++) {
			const struct r16 *rg = &ps->ranges[dl->off + j];
			uint32_t s = rg->lo;

			for (;;) {
				uint32_t root = s, t;

				while (next[root] != root)
					root = next[root];
				while (next[s] != root) {
					t = next[s];
					next[s] = root;
					s = t;
				}
				s = root;
				if (s > rg->hi)
					break;
				p->seg_default[s] = ps->nrules + dl->rule;
				next[s] = s + 1;
			}
		}
	}
	free(next);
	for (i = 0; i < NSEG; i++)
		if (p->seg_default[i] == UINT32_MAX)
			p->seg_default[i] = p->global_default;

	/* Source-port ranges move into the policy. */
	p->ranges = ps->ranges;
	ps->ranges = NULL;

	/* Scratch for match(). */
	for (i = 0; i < 2; i++) {
		p->s.stamp[i] = calloc(p->ngroups, sizeof(uint32_t));
		p->s.list[i] = malloc(p->ngroups * sizeof(uint32_t));
		if (!p->s.stamp[i] || !p->s.list[i])
			return oom(ps);
	}
	p->s.lstamp = calloc((size_t)ps->nglines + 1, sizeof(uint32_t));
	p->s.heap = malloc(((size_t)ps->nglines + 1) * sizeof(uint32_t));
	if (!p->s.lstamp || !p->s.heap)
		return oom(ps);
	p->nglines = ps->nglines;
	for (i = 0; i < 2; i++) {
		if (!(p->masks[i] =
			  calloc(p->nlens[i] + 1u, sizeof(*p->masks[i]))))
			return oom(ps);
		for (j = 0; j < p->nlens[i]; j++) {
			uint8_t m[16];
			unsigned b, len = p->lens[i][j];

			for (b = 0; b < 16; b++)
				m[b] = len >= b * 8 + 8 ? 0xff
				       : len > b * 8
					   ? (uint8_t)(0xff00 >> (len - b * 8))
					   : 0;
			memcpy(p->masks[i][j], m, 16);
		}
	}
	return 0;
}

static void parser_free(struct parser *ps)
{
	stab_free(&ps->groups);
	stab_free(&ps->wlnames);
	stab_free(&ps->labels);
	free(ps->sealed_by);
	free(ps->defs);
	free(ps->deflines);
	free(ps->ranges);
	free(ps->ents);
	free(ps->combos);
}

static struct vnet_policy *
parse_top(struct src *s, struct vnet_err *err, struct vnet_policy *p)
{
	struct parser ps;
	int ok;

	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.err = err;
	ps.file = s->name;
	ok = !parse_src(&ps, s) && !build(&ps);
	if (!ok) {
		int e = ps.errnum ? ps.errnum : EINVAL;

		parser_free(&ps);
		vnet_policy_free(p);
		errno = e;
		return NULL;
	}
	p->ngroups = ps.groups.n + 1;
	/* The names stay for vnet_policy_lint (the strings are in the
	 * arena already). */
	p->gnames = ps.groups.str;
	ps.groups.str = NULL;
	p->lnames = ps.labels.str;
	ps.labels.str = NULL;
	p->wnames = ps.wlnames.str;
	ps.wlnames.str = NULL;
	parser_free(&ps);
	return p;
}

static struct vnet_policy *policy_new(void)
{
	struct vnet_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->arp = VNET_ACT_ALLOW;
	p->nd = VNET_ACT_ALLOW;
	p->other = VNET_ACT_DENY;
	p->ngroups = 1;
	p->ht.seed = vnet_random_seed(p);
	p->pairtab.seed = vnet_mix64(p->ht.seed + 1);
	p->nodetab.seed = vnet_mix64(p->ht.seed + 2);
	return p;
}

struct vnet_policy *vnet_policy_load(const char *path, struct vnet_err *err)
{
	struct vnet_policy *p;
	struct src *s;
	int e;

	if (!(p = policy_new()) || !(s = calloc(1, sizeof(*s)))) {
		e = errno;
		free(p);
		vnet_err_sys(err, path, e);
		errno = e;
		return NULL;
	}
	if (open_src(&(struct parser){.p = p}, s, path)) {
		e = errno;
		vnet_err_sys(err, path, e);
		if (s->f)
			fclose(s->f);
		free(s->dir);
		free(s);
		vnet_policy_free(p);
		errno = e;
		return NULL;
	}
	p = parse_top(s, err, p);
	e = errno;
	fclose(s->f);
	free(s->dir);
	free(s);
	errno = e;
	return p;
}

struct vnet_policy *vnet_policy_parse(const char *buf, size_t len,
				      const char *name, const char *base_dir,
				      struct vnet_err *err)
{
	struct vnet_policy *p;
	struct src *s;
	int e;

	if (!name)
		name = "(policy)";
	if (!(p = policy_new()) || !(s = calloc(1, sizeof(*s)))) {
		e = errno;
		free(p);
		vnet_err_sys(err, name, e);
		errno = e;
		return NULL;
	}
	s->buf = buf;
	s->len = buf ? len : 0;
	if (!(s->name = arena_dup(&p->arena, name, strlen(name))) ||
	    (base_dir &&
	     !(s->dir = strdup(strcmp(base_dir, ".") ? base_dir : "")))) {
		free(s);
		vnet_policy_free(p);
		vnet_err_sys(err, name, ENOMEM);
		errno = ENOMEM;
		return NULL;
	}
	p = parse_top(s, err, p);
	e = errno;
	free(s->dir);
	free(s);
	errno = e;
	return p;
}

void vnet_policy_free(struct vnet_policy *p)
{
	int i;

	if (!p)
		return;
	free(p->rules);
	free(p->ranges);
	free(p->glines);
	free(p->sels);
	free(p->wls);
	free(p->wl_labels);
	free(p->gnames);
	free(p->lnames);
	free(p->wnames);
	free(p->ht.e);
	free(p->pairtab.e);
	free(p->nodetab.e);
	free(p->lists);
	free(p->items);
	free(p->pairs);
	free(p->combos);
	free(p->from_off);
	free(p->from_pairs);
	for (i = 0; i < 3; i++)
		free(p->anchors[i]);
	free(p->masks[0]);
	free(p->masks[1]);
	for (i = 0; i < 2; i++) {
		free(p->s.stamp[i]);
		free(p->s.list[i]);
	}
	free(p->s.lstamp);
	free(p->s.heap);
	arena_free(p->arena);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Matching.                                                           */

struct endpoint {
	const uint8_t *mac;
	const struct vnet_addr *addr; /* NULL: no IP */
	uint32_t seg;		      /* NSEG or above: none */
	uint32_t w[2], nw;
};

/* The items of a list value; *one holds an inline item. */
static uint32_t list_items(const struct vnet_policy *p, uint32_t v,
			   const uint32_t **items, uint32_t *one)
{
	if (v & V_INLINE) {
		*one = v & ~V_INLINE;
		*items = one;
		return 1;
	}
	*items = p->items + p->lists[v].off;
	return p->lists[v].n;
}

static void heap_push(struct scratch *s, uint32_t v)
{
	uint32_t i = s->nheap++, up;

	while (i && s->heap[up = (i - 1) / 2] > v) {
		s->heap[i] = s->heap[up];
		i = up;
	}
	s->heap[i] = v;
}

static uint32_t heap_pop(struct scratch *s)
{
	uint32_t top = s->heap[0], v = s->heap[--s->nheap], i = 0, c;

	while ((c = 2 * i + 1) < s->nheap) {
		if (c + 1 < s->nheap && s->heap[c + 1] < s->heap[c])
			c++;
		if (s->heap[c] >= v)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = v;
	return top;
}

static void queue_lines(const struct vnet_policy *p, struct scratch *s,
			const struct hkey *k)
{
	const uint32_t *v = ht_get(&p->ht, k), *it;
	uint32_t i, n, line, one;

	if (!v)
		return;
	n = list_items(p, *v, &it, &one);
	for (i = 0; i < n; i++) {
		line = it[i];
		if (s->lstamp[line] != s->lgen) {
			s->lstamp[line] = s->lgen;
			heap_push(s, line);
		}
	}
}

static int is_member(const struct scratch *s, int side, uint32_t g)
{
	return s->stamp[side][g] == s->gen[side];
}

static int anchors(const struct vnet_policy *p, int which, uint32_t id)
{
	return p->anchors[which][id / 8] & (1u << id % 8);
}

static void join_group(const struct vnet_policy *p, struct scratch *s, int side,
		       uint32_t g)
{
	struct hkey k;

	s->stamp[side][g] = s->gen[side];
	s->list[side][s->n[side]++] = g;
	if (anchors(p, A_GROUP, g)) {
		k = hk(K_GRPL, g, 0, 0);
		queue_lines(p, s, &k);
	}
}

static int prefix_has(const struct sel *sel, const struct vnet_addr *a)
{
	unsigned full = sel->plen / 8, rest = sel->plen % 8;

	if (a->family != sel->a.family || memcmp(a->b, sel->a.b, full))
		return 0;
	return !rest ||
	       !((a->b[full] ^ sel->a.b[full]) & (uint8_t)(0xff00 >> rest));
}

static int has_label(const struct vnet_policy *p, uint32_t w, uint32_t lab)
{
	const uint32_t *l = p->wl_labels + p->wls[w].lab_off;
	uint32_t lo = 0, hi = p->wls[w].lab_n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (l[mid] == lab)
			return 1;
		if (l[mid] < lab)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int sel_match(const struct vnet_policy *p, const struct scratch *s,
		     int side, const struct endpoint *ep, const struct sel *sel)
{
	uint32_t i;

	switch (sel->kind) {
	case S_MAC:
		return ep->mac && !memcmp(ep->mac, sel->mac, 6);
	case S_WORKLOAD:
		for (i = 0; i < ep->nw; i++)
			if (ep->w[i] == sel->id)
				return 1;
		return 0;
	case S_LABEL:
		for (i = 0; i < ep->nw; i++)
			if (has_label(p, ep->w[i], sel->id))
				return 1;
		return 0;
	case S_PREFIX:
		return ep->addr && prefix_has(sel, ep->addr);
	case S_GROUP:
		return is_member(s, side, sel->id);
	default: /* S_SEGMENT */
		return ep->seg >= sel->lo && ep->seg <= sel->hi;
	}
}

static int line_match(const struct vnet_policy *p, const struct scratch *s,
		      int side, const struct endpoint *ep,
		      const struct gline *gl)
{
	const struct sel *sel = p->sels + gl->off, *end = sel + gl->n;
	int ok;

	while (sel < end) {
		uint8_t kind = sel->kind;

		for (ok = 0; sel < end && sel->kind == kind; sel++)
			if (!ok && sel_match(p, s, side, ep, sel))
				ok = 1;
		if (!ok)
			return 0;
	}
	return 1;
}

static void resolve(const struct vnet_policy *p, struct scratch *s, int side,
		    struct endpoint *ep)
{
	const uint32_t *v;
	struct hkey k;
	uint32_t i, j, lv;
	int f;

	if (++s->gen[side] == 0) {
		memset(s->stamp[side], 0, p->ngroups * sizeof(uint32_t));
		s->gen[side] = 1;
	}
	if (++s->lgen == 0) {
		memset(s->lstamp, 0,
		       ((size_t)p->nglines + 1) * sizeof(uint32_t));
		s->lgen = 1;
	}
	s->n[side] = 0;
	s->nheap = 0;

	/* The endpoint's workloads, by MAC and by address. */
	ep->nw = 0;
	if (ep->mac && p->mac_wls) {
		k = hk_mac(K_MACWL, ep->mac);
		if ((v = ht_get(&p->ht, &k)))
			ep->w[ep->nw++] = *v;
	}
	if (ep->mac && p->mac_lines) {
		k = hk_mac(K_MACL, ep->mac);
		queue_lines(p, s, &k);
	}
	if (ep->addr && p->ip_wls) {
		k = hk_addr(K_IPWL, ep->addr, 0);
		if ((v = ht_get(&p->ht, &k)) && !(ep->nw && ep->w[0] == *v))
			ep->w[ep->nw++] = *v;
	}
	if (ep->addr) {
		f = ep->addr->family == AF_INET6;
		for (i = 0; i < p->nlens[f]; i++) {
			const uint32_t *mk = p->masks[f][i];

			k.w[0] = K_PFXL << 24 |
				 (uint32_t)ep->addr->family << 8 |
				 p->lens[f][i];
			for (j = 0; j < 4; j++)
				k.w[1 + j] = ep->addr->w[j] & mk[j];
			k.w[5] = 0;
			queue_lines(p, s, &k);
		}
	}
	for (i = 0; i < ep->nw; i++) {
		const struct workload *w = &p->wls[ep->w[i]];

		if (anchors(p, A_WORKLOAD, ep->w[i])) {
			k = hk(K_WLL, ep->w[i], 0, 0);
			queue_lines(p, s, &k);
		}
		for (j = 0; j < w->lab_n; j++) {
			uint32_t lab = p->wl_labels[w->lab_off + j];

			if (!anchors(p, A_LABEL, lab))
				continue;
			k = hk(K_LABL, lab, 0, 0);
			queue_lines(p, s, &k);
		}
	}
	if (ep->seg < NSEG) {
		for (lv = 0; lv <= SEG_BITS; lv++) {
			if (!(p->segmask & (1u << lv)))
				continue;
			k = hk(K_SEGL, tree_node(ep->seg, SEG_BITS, lv), 0, 0);
			queue_lines(p, s, &k);
		}
	}
	join_group(p, s, side, 0);

	/* In file order: a line sees the final membership of the groups it
	 * references. */
	while (s->nheap) {
		const struct gline *gl = &p->glines[heap_pop(s)];

		if (!is_member(s, side, gl->gid) &&
		    line_match(p, s, side, ep, gl))
			join_group(p, s, side, gl->gid);
	}
}

static int in_ranges(const struct r16 *r, uint32_t n, uint16_t v)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (v >= r[i].lo && v <= r[i].hi)
			return 1;
	return 0;
}

struct mq {
	const struct vnet_policy_query *q;
	uint32_t pval; /* the value of the port dimension */
	uint32_t seg;
	uint32_t best;
};

/* The first combo of [lo, hi) with protocol proto or above (they are
 * sorted by protocol). */
static uint32_t combo_find(const struct vnet_policy *p, uint32_t lo,
			   uint32_t hi, unsigned proto)
{
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->combos[mid].proto < proto)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void match_combos(const struct vnet_policy *p, uint32_t pid, uint32_t c,
			 uint32_t end, unsigned proto, struct mq *m);

static void match_pair(const struct vnet_policy *p, uint32_t pid, struct mq *m)
{
	const struct pair *pr = &p->pairs[pid];
	uint32_t lo = pr->combo_off, hi = lo + pr->combo_n;

	if (pr->minid >= m->best)
		return;
	/* The combos of the packet's protocol, then those of any (last). */
	if (m->q->has_ip && p->combos[lo].proto != PROTO_ANY)
		match_combos(p, pid, combo_find(p, lo, hi, m->q->proto), hi,
			     m->q->proto, m);
	if (p->combos[hi - 1].proto == PROTO_ANY)
		match_combos(p, pid, combo_find(p, lo, hi, PROTO_ANY), hi,
			     PROTO_ANY, m);
}

static void match_combos(const struct vnet_policy *p, uint32_t pid, uint32_t c,
			 uint32_t end, unsigned proto, struct mq *m)
{
	const struct vnet_policy_query *q = m->q;
	uint32_t i;

	for (; c < end && p->combos[c].proto == proto; c++) {
		const struct combo *cb = &p->combos[c];
		const uint32_t *v, *it;
		uint32_t n, one;

		if (cb->dir != DIR_BOTH && (int)cb->dir != q->dir)
			continue;
		if (cb->slevel && m->seg >= NSEG)
			continue;
		v = h64_get(&p->nodetab,
			    node_key(pid, cb->proto, cb->dir,
				     tree_node(m->pval, PORT_BITS, cb->plevel),
				     tree_node(m->seg & (NSEG - 1), SEG_BITS,
					       cb->slevel)));
		if (!v)
			continue;
		n = list_items(p, *v, &it, &one);
		for (i = 0; i < n; i++) {
			uint32_t id = ITEM_ID(it[i]);

			if (id >= m->best)
				break;
			if ((it[i] & ITEM_CHECK) &&
			    !in_ranges(p->ranges + p->rules[id].sport_off,
				       p->rules[id].sport_n, q->sport))
				continue;
			m->best = id;
			break;
		}
	}
}

const struct vnet_rule *vnet_policy_match(const struct vnet_policy *p,
					  const struct vnet_policy_query *q)
{
	struct scratch *s = (struct scratch *)&p->s;
	struct endpoint src, dst;
	struct mq m;
	uint32_t i, j, g;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.mac = q->smac;
	dst.mac = q->dmac;
	if (q->has_ip &&
	    (q->saddr.family == AF_INET || q->saddr.family == AF_INET6)) {
		src.addr = &q->saddr;
		if (q->daddr.family == q->saddr.family)
			dst.addr = &q->daddr;
	}
	src.seg = dst.seg = q->segment;
	resolve(p, s, 0, &src);
	resolve(p, s, 1, &dst);

	m.q = q;
	m.seg = q->segment;
	m.best = UINT32_MAX;
	m.pval = 0;
	if (q->has_ip) {
		if (q->proto == 6 || q->proto == 17 || q->proto == 132)
			m.pval = q->dport;
		else if (q->proto == 1 || q->proto == 58)
			m.pval = (uint32_t)q->icmp_type << 8 | q->icmp_code;
	}
	for (i = 0; i < s->n[0]; i++) {
		uint32_t fo, fn;

		g = s->list[0][i];
		fo = p->from_off[g];
		fn = p->from_off[g + 1] - fo;
		if (!fn)
			continue;
		/* Walk the group's pairs, or look up each destination group:
		 * whichever is less work. */
		if (fn <= 8 * s->n[1]) {
			for (j = 0; j < fn; j++) {
				const struct fromref *f =
				    &p->from_pairs[fo + j];

				if (is_member(s, 1, f->to))
					match_pair(p, f->pair, &m);
			}
		} else {
			for (j = 0; j < s->n[1]; j++) {
				const uint32_t *v = h64_get(
				    &p->pairtab, pair_key(g, s->list[1][j]));

				if (v)
					match_pair(p, *v, &m);
			}
		}
	}
	if (m.best != UINT32_MAX)
		return &p->rules[m.best].pub;
	return &p->rules[q->segment < NSEG ? p->seg_default[q->segment]
					   : p->global_default]
		    .pub;
}

unsigned vnet_policy_nrules(const struct vnet_policy *p)
{
	return p->ntotal;
}

const struct vnet_rule *vnet_policy_rule(const struct vnet_policy *p,
					 unsigned id)
{
	return id < p->ntotal ? &p->rules[id].pub : NULL;
}

const struct vnet_rule *vnet_policy_default(const struct vnet_policy *p,
					    uint16_t segment)
{
	return &p->rules[segment < NSEG ? p->seg_default[segment]
					: p->global_default]
		    .pub;
}

enum vnet_act vnet_policy_arp(const struct vnet_policy *p)
{
	return p->arp;
}

enum vnet_act vnet_policy_nd(const struct vnet_policy *p)
{
	return p->nd;
}

enum vnet_act vnet_policy_other(const struct vnet_policy *p)
{
	return p->other;
}

/* ------------------------------------------------------------------ */
/* Lint: what --check warns about.                                     */

/* Comparisons of rule pairs the shadow check makes at most. */
#define LINT_BUDGET (1u << 30)

struct lint {
	const struct vnet_policy *p;
	void (*fn)(void *arg, const struct vnet_err *w);
	void *arg;
	unsigned n;
	uint8_t *live;	     /* per group: can match a workload */
	uint32_t *goff;	     /* per group: its lines in glist */
	uint32_t *glist;
	struct lrule {
		uint32_t from, to, id;
	} *byg;		      /* the rules sorted by (from, to, id) */
	uint32_t *poff, *par; /* per group: the groups that name it in a
			       * line of group selectors only */
	uint32_t *stamp, gen; /* per group, for the walks up */
	uint32_t *up, nup;    /* the groups that hold one */
};

__attribute__((format(printf, 4, 5))) static void
lint_warn(struct lint *l, const char *file, unsigned line, const char *fmt,
	  ...)
{
	struct vnet_err w;
	char msg[VNET_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vnet_err_set(&w, file, line, "warning: %s", msg);
	l->n++;
	l->fn(l->arg, &w);
}

static const char *group_name(const struct vnet_policy *p, uint32_t gid)
{
	return gid ? p->gnames[gid - 1] : "any";
}

/* Whether an addressed workload carries label lab. */
static int label_live(const struct vnet_policy *p, uint32_t lab)
{
	uint32_t w, i;

	for (w = 0; w < p->nworkloads; w++) {
		const struct workload *wl = &p->wls[w];

		if (!wl->addressed)
			continue;
		for (i = 0; i < wl->lab_n; i++)
			if (p->wl_labels[wl->lab_off + i] == lab)
				return 1;
	}
	return 0;
}

/* Whether group line gl can match a workload: every label, workload
 * and group kind it has holds one value that can (other kinds match
 * addresses and segments: they may). *why: the first value that
 * cannot, of the first kind that decides. */
static int gline_live(const struct lint *l, const struct gline *gl,
		      const struct sel **why)
{
	const struct vnet_policy *p = l->p;
	uint32_t i = 0, j;

	while (i < gl->n) {
		const struct sel *first = &p->sels[gl->off + i];
		int kind = first->kind, any = 0;

		for (j = i; j < gl->n && p->sels[gl->off + j].kind == kind;
		     j++) {
			const struct sel *sl = &p->sels[gl->off + j];

			if (kind == S_LABEL)
				any |= label_live(p, sl->id);
			else if (kind == S_WORKLOAD)
				any |= p->wls[sl->id].addressed;
			else if (kind == S_GROUP)
				any |= l->live[sl->id];
			else
				any = 1;
		}
		if (!any) {
			*why = first;
			return 0;
		}
		i = j;
	}
	return 1;
}

/* Groups that can match no workload, each once at its first line. */
static void lint_groups(struct lint *l)
{
	const struct vnet_policy *p = l->p;
	const struct sel *why;
	uint32_t i, g;

	/* Lines in file order: a line refers only to groups whose lines
	 * are all before it. */
	l->live[0] = 1;
	for (i = 0; i < p->nglines; i++)
		if (gline_live(l, &p->glines[i], &why))
			l->live[p->glines[i].gid] = 1;
	for (g = 1; g < p->ngroups; g++) {
		const struct gline *gl;

		if (l->live[g] || l->goff[g] == l->goff[g + 1])
			continue;
		gl = &p->glines[l->glist[l->goff[g]]];
		gline_live(l, gl, &why);
		if (why->kind == S_LABEL)
			lint_warn(l, gl->file, gl->line,
				  "group '%s' matches no workload: no "
				  "workload with a mac or an ip has label %s",
				  group_name(p, g), p->lnames[why->id]);
		else if (why->kind == S_WORKLOAD)
			lint_warn(l, gl->file, gl->line,
				  "group '%s' matches no workload: workload "
				  "'%s' has no mac and no ip",
				  group_name(p, g), p->wnames[why->id]);
		else
			lint_warn(l, gl->file, gl->line,
				  "group '%s' matches no workload: group '%s' "
				  "matches none",
				  group_name(p, g), group_name(p, why->id));
	}
}

/* Whether the sorted, merged ranges a[0..na) hold all of b[0..nb)
 * (none: everything). */
static int ranges_cover(const struct r16 *a, uint32_t na, const struct r16 *b,
			uint32_t nb)
{
	uint32_t i, j = 0;

	if (!na)
		return 1;
	if (!nb)
		return 0;
	for (i = 0; i < nb; i++) {
		while (j < na && a[j].hi < b[i].lo)
			j++;
		if (j == na || a[j].lo > b[i].lo || a[j].hi < b[i].hi)
			return 0;
	}
	return 1;
}

static int ranges_eq(const struct r16 *a, uint32_t na, const struct r16 *b,
		     uint32_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* Whether every packet rule b matches, rule a (groups aside) matches. */
static int rule_covers(const struct vnet_policy *p, const struct prule *a,
		       const struct prule *b)
{
	const struct r16 *r = p->ranges;

	return (a->dir == DIR_BOTH || a->dir == b->dir) &&
	       (a->proto == PROTO_ANY || a->proto == b->proto) &&
	       ranges_cover(r + a->port_off, a->port_n, r + b->port_off,
			    b->port_n) &&
	       ranges_cover(r + a->sport_off, a->sport_n, r + b->sport_off,
			    b->sport_n) &&
	       ranges_cover(r + a->seg_off, a->seg_n, r + b->seg_off,
			    b->seg_n);
}

static int rule_same(const struct vnet_policy *p, const struct prule *a,
		     const struct prule *b)
{
	const struct r16 *r = p->ranges;

	return a->from == b->from && a->to == b->to && a->dir == b->dir &&
	       a->proto == b->proto &&
	       ranges_eq(r + a->port_off, a->port_n, r + b->port_off,
			 b->port_n) &&
	       ranges_eq(r + a->sport_off, a->sport_n, r + b->sport_off,
			 b->sport_n) &&
	       ranges_eq(r + a->seg_off, a->seg_n, r + b->seg_off, b->seg_n);
}

/* The groups that hold every member of g, g and any included, into
 * l->up: a group with a line of group selectors only holds the groups
 * it names, and what holds it holds them. */
static void groups_up(struct lint *l, uint32_t g)
{
	uint32_t k, e, c;

	l->gen++;
	l->nup = 0;
	l->up[l->nup++] = 0;
	l->stamp[0] = l->gen;
	if (g) {
		l->up[l->nup++] = g;
		l->stamp[g] = l->gen;
	}
	for (k = 0; k < l->nup; k++) {
		c = l->up[k];
		for (e = l->poff[c]; e < l->poff[c + 1]; e++)
			if (l->stamp[l->par[e]] != l->gen) {
				l->stamp[l->par[e]] = l->gen;
				l->up[l->nup++] = l->par[e];
			}
	}
}

/* Fill l->poff and l->par from the group lines; 0 or -ENOMEM. */
static int groups_parents(struct lint *l)
{
	const struct vnet_policy *p = l->p;
	uint32_t i, j, pass, *fill = NULL;

	if (!(l->poff = calloc((size_t)p->ngroups + 2, sizeof(*l->poff))))
		return -ENOMEM;
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			for (i = 0; i < p->ngroups; i++)
				l->poff[i + 1] += l->poff[i];
			l->par = malloc(((size_t)l->poff[p->ngroups] + 1) *
					sizeof(*l->par));
			fill = calloc((size_t)p->ngroups + 1, sizeof(*fill));
			if (!l->par || !fill) {
				free(fill);
				return -ENOMEM;
			}
		}
		for (i = 0; i < p->nglines; i++) {
			const struct gline *gl = &p->glines[i];
			int only = 1;

			for (j = 0; j < gl->n; j++)
				if (p->sels[gl->off + j].kind != S_GROUP)
					only = 0;
			for (j = 0; only && j < gl->n; j++) {
				uint32_t d = p->sels[gl->off + j].id;

				if (!pass)
					l->poff[d + 1]++;
				else
					l->par[l->poff[d] + fill[d]++] =
					    gl->gid;
			}
		}
	}
	free(fill);
	return 0;
}

static int byg_cmp(const void *x, const void *y)
{
	const struct lrule *a = x, *b = y;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* The first index of byg whose rule has groups (from, to) or above. */
static uint32_t byg_find(const struct lint *l, uint32_t from, uint32_t to)
{
	uint32_t lo = 0, hi = l->p->nrules;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct lrule *r = &l->byg[mid];

		if (r->from < from || (r->from == from && r->to < to))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Rules that an earlier rule makes unreachable, and repeated rules. */
static void lint_rules(struct lint *l)
{
	const struct vnet_policy *p = l->p;
	uint32_t b, i, j, k, *fromup, nfrom, cost = 0;

	for (i = 0; i < p->nrules; i++) {
		l->byg[i].from = p->rules[i].from;
		l->byg[i].to = p->rules[i].to;
		l->byg[i].id = i;
	}
	if (p->nrules)
		qsort(l->byg, p->nrules, sizeof(*l->byg), byg_cmp);
	if (!(fromup = malloc(((size_t)p->ngroups + 1) * sizeof(*fromup))))
		return;
	for (b = 0; b < p->nrules && cost < LINT_BUDGET; b++) {
		const struct prule *rb = &p->rules[b], *best = NULL;
		int same = 0;

		groups_up(l, rb->from);
		nfrom = l->nup;
		memcpy(fromup, l->up, nfrom * sizeof(*fromup));
		groups_up(l, rb->to);
		for (i = 0; i < nfrom && !same; i++) {
			for (j = 0; j < l->nup && !same; j++) {
				k = byg_find(l, fromup[i], l->up[j]);
				for (; k < p->nrules; k++) {
					const struct prule *ra =
					    &p->rules[l->byg[k].id];

					if (l->byg[k].from != fromup[i] ||
					    l->byg[k].to != l->up[j] ||
					    l->byg[k].id >= b)
						break;
					cost++;
					if (best && ra->pub.id > best->pub.id)
						break;
					if (!rule_covers(p, ra, rb))
						continue;
					best = ra;
					same = rule_same(p, ra, rb) &&
					       ra->pub.act == rb->pub.act;
					break;
				}
			}
		}
		if (!best)
			continue;
		if (same)
			lint_warn(l, rb->pub.file, rb->pub.line,
				  "duplicate rule: %s:%u is the same",
				  best->pub.file, best->pub.line);
		else
			lint_warn(l, rb->pub.file, rb->pub.line,
				  "rule never matches: %s:%u (%s) covers all "
				  "it matches",
				  best->pub.file, best->pub.line,
				  vnet_policy_act_name(best->pub.act));
	}
	free(fromup);
	if (b < p->nrules)
		lint_warn(l, NULL, 0,
			  "the check for rules that never match stopped at "
			  "rule %u of %u (too many to compare)",
			  b, p->nrules);
}

unsigned vnet_policy_lint(const struct vnet_policy *p,
			  void (*fn)(void *arg, const struct vnet_err *w),
			  void *arg)
{
	struct lint l = { .p = p, .fn = fn, .arg = arg };
	uint32_t i, *fill = NULL;

	l.live = calloc(p->ngroups, 1);
	l.goff = calloc((size_t)p->ngroups + 1, sizeof(*l.goff));
	l.glist = malloc(((size_t)p->nglines + 1) * sizeof(*l.glist));
	l.byg = malloc(((size_t)p->nrules + 1) * sizeof(*l.byg));
	l.stamp = calloc(p->ngroups, sizeof(*l.stamp));
	l.up = malloc(((size_t)p->ngroups + 1) * sizeof(*l.up));
	fill = calloc((size_t)p->ngroups + 1, sizeof(*fill));
	if (!l.live || !l.goff || !l.glist || !l.byg || !l.stamp || !l.up ||
	    !fill || groups_parents(&l) < 0) {
		lint_warn(&l, NULL, 0, "not checked further: out of memory");
		goto out;
	}
	/* Each group's lines, in file order. */
	for (i = 0; i < p->nglines; i++)
		l.goff[p->glines[i].gid + 1]++;
	for (i = 0; i < p->ngroups; i++)
		l.goff[i + 1] += l.goff[i];
	for (i = 0; i < p->nglines; i++) {
		uint32_t g = p->glines[i].gid;

		l.glist[l.goff[g] + fill[g]++] = i;
	}
	lint_groups(&l);
	lint_rules(&l);
out:
	free(fill);
	free(l.live);
	free(l.goff);
	free(l.glist);
	free(l.byg);
	free(l.stamp);
	free(l.up);
	free(l.poff);
	free(l.par);
	return l.n;
}

void vnet_policy_summary(const struct vnet_policy *p, unsigned *groups,
			 unsigned *workloads, unsigned *rules)
{
	if (groups)
		*groups = p->ngroups - 1;
	if (workloads)
		*workloads = p->nworkloads;
	if (rules)
		*rules = p->nrules;
}

const char *vnet_policy_act_name(enum vnet_act a)
{
	switch (a) {
	case VNET_ACT_ALLOW:
		return "allow";
	case VNET_ACT_DENY:
		return "deny";
	case VNET_ACT_REJECT:
		return "reject";
	}
	return "?";
}
