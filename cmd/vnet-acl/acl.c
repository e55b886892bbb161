/* SPDX-License-Identifier: ISC */
/* acl.c -- the vnet-acl engine: policy + connection tracking per frame. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "vnet-acl/acl.h"
#include "vnet/bytes.h"
#include "vnet/csum.h"
#include "vnet/hash.h"
#include "vnet/segment.h"

#define NS 1000000000ULL

#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_	132

/* Rejects answered: 100 a second after a burst of 200. */
#define REJECT_RATE  100
#define REJECT_BURST 200

/* Fragments: the first fragment's verdict is remembered for the later
 * ones of its packet, in a direct-mapped table. */
#define FRAG_SLOTS   1024
#define FRAG_TIMEOUT (30 * NS) /* as the kernel's ipfrag_time */

#define ETH_ZLEN 60	  /* shortest frame without FCS; answers are padded */
#define IP6_MIN_MTU 1280  /* RFC 4443 2.4 (c): an error fits in it */

/* The packet a fragment belongs to (RFC 791 2.3, RFC 8200 4.5). */
struct frag_key {
	struct vnet_addr s, d;
	uint32_t id;
	uint16_t seg;
	uint8_t proto, pad;
};

struct frag_ent {
	struct frag_key k;
	uint64_t expires; /* 0: free */
	unsigned rule_id;
};

struct vnet_acl {
	struct vnet_policy *pol;
	struct vnet_ct *ct;
	struct vnet_acl_config cfg;
	uint32_t generation;
	uint64_t ctr[VNET_ACL_CTR_MAX];
	struct vnet_acl_rule_stats *rs;
	unsigned nrs;
	double rej_tokens;
	uint64_t rej_last;
	uint32_t frag_seed;
	struct frag_ent frag[FRAG_SLOTS];
	uint8_t said[VNET_CT_SEGMENTS]; /* default drop said, per segment */
};

static const char *const ctr_name[VNET_ACL_CTR_MAX] = {
	[VNET_ACL_FRAMES_EGRESS] = "frames_egress",
	[VNET_ACL_FRAMES_INGRESS] = "frames_ingress",
	[VNET_ACL_PASSED_EGRESS] = "passed_egress",
	[VNET_ACL_PASSED_INGRESS] = "passed_ingress",
	[VNET_ACL_ALLOWED_NEW] = "allowed_new",
	[VNET_ACL_ALLOWED_ESTABLISHED] = "allowed_established",
	[VNET_ACL_ALLOWED_RELATED] = "allowed_related",
	[VNET_ACL_ALLOWED_ARP] = "allowed_arp",
	[VNET_ACL_ALLOWED_ND] = "allowed_nd",
	[VNET_ACL_ALLOWED_OTHER] = "allowed_other",
	[VNET_ACL_DROP_POLICY] = "drop_policy",
	[VNET_ACL_DROP_DEFAULT] = "drop_default",
	[VNET_ACL_DROP_INVALID] = "drop_invalid",
	[VNET_ACL_DROP_CT_FULL] = "drop_ct_full",
	[VNET_ACL_DROP_CT_QUOTA] = "drop_ct_quota",
	[VNET_ACL_DROP_MALFORMED] = "drop_malformed",
	[VNET_ACL_DROP_STACKED_TAG] = "drop_stacked_tag",
	[VNET_ACL_DROP_S_TAG] = "drop_s_tag",
	[VNET_ACL_DROP_RESERVED_VID] = "drop_reserved_vid",
	[VNET_ACL_DROP_ARP] = "drop_arp",
	[VNET_ACL_DROP_ND] = "drop_nd",
	[VNET_ACL_DROP_OTHER] = "drop_other",
	[VNET_ACL_REJECTS_SENT] = "rejects_sent",
	[VNET_ACL_REJECT_UNSENDABLE] = "reject_unsendable",
	[VNET_ACL_CT_ENTRIES] = "ct_entries",
	[VNET_ACL_CT_CREATED] = "ct_created",
	[VNET_ACL_CT_EXPIRED] = "ct_expired",
	[VNET_ACL_CT_EVICTED] = "ct_evicted",
	[VNET_ACL_CT_REVOKED] = "ct_revoked",
	[VNET_ACL_RELOADS] = "reloads",
	[VNET_ACL_RELOAD_FAILED] = "reload_failed",
	[VNET_ACL_POLICY_GENERATION] = "policy_generation",
	[VNET_ACL_STREAM_TRUNCATED] = "stream_truncated",
	[VNET_ACL_STREAM_OVERSIZE] = "stream_oversize",
	[VNET_ACL_STREAM_RUNT] = "stream_runt",
	[VNET_ACL_STREAM_NOT_ETHERNET] = "stream_not_ethernet",
	[VNET_ACL_STREAM_TRAILING_BYTES] = "stream_trailing_bytes",
	[VNET_ACL_LEFT_TX_QUEUE_DROPS] = "left_tx_queue_drops",
	[VNET_ACL_RIGHT_TX_QUEUE_DROPS] = "right_tx_queue_drops",
};

/* Per-rule counters sized for policy p, zeroed.  0 or -ENOMEM. */
static int rules_reset(struct vnet_acl *a, const struct vnet_policy *p)
{
	unsigned n = vnet_policy_nrules(p);
	struct vnet_acl_rule_stats *rs = calloc(n ? n : 1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	free(a->rs);
	a->rs = rs;
	a->nrs = n;
	return 0;
}

struct vnet_acl *vnet_acl_new(struct vnet_policy *p,
			      const struct vnet_acl_config *c)
{
	struct vnet_acl *a;
	int e;

	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	if (!(a = calloc(1, sizeof(*a))))
		goto fail;
	a->cfg = *c;
	a->cfg.ct.seg_quota = NULL; /* copied by vnet_ct_new(), not kept */
	if (!(a->ct = vnet_ct_new(&c->ct)))
		goto fail;
	if (rules_reset(a, p) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	a->pol = p;
	a->generation = 1;
	a->rej_tokens = REJECT_BURST;
	if (getrandom(&a->frag_seed, sizeof(a->frag_seed), GRND_NONBLOCK) !=
	    sizeof(a->frag_seed))
		a->frag_seed = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)a;
	return a;
fail:
	e = errno;
	if (a) {
		vnet_ct_free(a->ct);
		free(a->rs);
		free(a);
	}
	vnet_policy_free(p);
	errno = e;
	return NULL;
}

void vnet_acl_free(struct vnet_acl *a)
{
	if (!a)
		return;
	vnet_ct_free(a->ct);
	vnet_policy_free(a->pol);
	free(a->rs);
	free(a);
}

int vnet_acl_set_seed(struct vnet_acl *a, uint64_t seed)
{
	int r = vnet_ct_set_seed(a->ct, seed);

	if (r == 0) {
		a->frag_seed = (uint32_t)(seed ^ seed >> 32);
		memset(a->frag, 0, sizeof(a->frag));
	}
	return r;
}

const struct vnet_policy *vnet_acl_policy(const struct vnet_acl *a)
{
	return a->pol;
}

uint32_t vnet_acl_generation(const struct vnet_acl *a)
{
	return a->generation;
}

/* ---- classification ---- */

/* ICMPv6 neighbour discovery (RS, RA, NS, NA, redirect: RFC 4861) and
 * multicast listener discovery (MLD: RFC 2710, RFC 3810). */
static int is_nd(const struct vnet_pkt *p)
{
	if (!(p->layers & VNET_L_IPV6) || !(p->layers & VNET_L_ICMP))
		return 0;
	return (p->icmp_type >= 130 && p->icmp_type <= 137) ||
	       p->icmp_type == 143;
}

static int is_icmp_error(const struct vnet_pkt *p)
{
	if (!(p->layers & VNET_L_ICMP))
		return 0;
	if (p->layers & VNET_L_IPV4)
		return p->icmp_type == 3 || p->icmp_type == 4 ||
		       p->icmp_type == 5 || p->icmp_type == 11 ||
		       p->icmp_type == 12;
	return p->icmp_type < 128;
}

static void fill_query(struct vnet_policy_query *q, const struct vnet_pkt *p,
		       uint16_t seg, enum vnet_dir dir)
{
	memset(q, 0, sizeof(*q));
	q->segment = seg;
	q->dir = dir;
	q->smac = p->src;
	q->dmac = p->dst;
	q->has_ip = 1;
	q->saddr = p->saddr;
	q->daddr = p->daddr;
	q->proto = p->ip_proto;
	if (p->layers & (VNET_L_TCP | VNET_L_UDP | VNET_L_SCTP)) {
		q->sport = p->sport;
		q->dport = p->dport;
	} else if (p->layers & VNET_L_ICMP) {
		q->icmp_type = p->icmp_type;
		q->icmp_code = p->icmp_code;
	}
}

/* ---- answers to rejected packets ---- */

/* An address that may not be answered: unspecified, multicast, limited
 * broadcast (RFC 1122 3.2.2, RFC 4443 2.4 (e)). */
static int addr_is_group(const struct vnet_addr *x)
{
	if (x->family == AF_INET)
		return x->b[0] >= 224 || !(x->b[0] | x->b[1] | x->b[2] | x->b[3]);
	return x->b[0] == 0xff || vnet_addr_is_any(x);
}

/* The Ethernet header and tags of the answer: MACs swapped, the tags and
 * EtherType of the packet kept.  Returns the L3 offset. */
static size_t answer_l2(uint8_t *out, const struct vnet_pkt *p)
{
	memcpy(out, p->src, 6);
	memcpy(out + 6, p->dst, 6);
	memcpy(out + 12, p->data + 12, (size_t)p->l3_off - 12);
	return p->l3_off;
}

/* An IP header from p's destination to its source; returns its length. */
static size_t answer_ip(uint8_t *h, const struct vnet_pkt *p, uint8_t proto,
			size_t l4len)
{
	if (p->layers & VNET_L_IPV4) {
		memset(h, 0, 20);
		h[0] = 0x45;
		vnet_put16(h + 2, (uint16_t)(20 + l4len));
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, p->daddr.b, 4);
		memcpy(h + 16, p->saddr.b, 4);
		vnet_put16(h + 10, vnet_ip4_csum(h, 20));
		return 20;
	}
	memset(h, 0, 40);
	h[0] = 0x60;
	vnet_put16(h + 4, (uint16_t)l4len);
	h[6] = proto;
	h[7] = 64;
	memcpy(h + 8, p->daddr.b, 16);
	memcpy(h + 24, p->saddr.b, 16);
	return 40;
}

static size_t pad(uint8_t *out, size_t len)
{
	if (len < ETH_ZLEN) {
		memset(out + len, 0, ETH_ZLEN - len);
		len = ETH_ZLEN;
	}
	return len;
}

/* RFC 793 3.4, "Reset Generation", for a segment without a connection:
 * if it has ACK, <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>, SYN and FIN counting one each in SEG.LEN. */
static size_t build_rst(uint8_t *out, const struct vnet_pkt *p)
{
	const uint8_t *th = p->data + p->l4_off;
	size_t off = answer_l2(out, p), ipl;
	uint32_t seglen, sum;
	uint8_t *t;

	seglen = (uint32_t)(p->l3_off + p->l3_len - p->payload_off);
	if (p->tcp_flags & VNET_TCP_SYN)
		seglen++;
	if (p->tcp_flags & VNET_TCP_FIN)
		seglen++;
	ipl = answer_ip(out + off, p, IPPROTO_TCP_, 20);
	t = out + off + ipl;
	memset(t, 0, 20);
	vnet_put16(t, p->dport);
	vnet_put16(t + 2, p->sport);
	if (p->tcp_flags & VNET_TCP_ACK) {
		memcpy(t + 4, th + 8, 4);
		t[13] = VNET_TCP_RST;
	} else {
		vnet_put32(t + 8, vnet_get32(th + 4) + seglen);
		t[13] = VNET_TCP_RST | VNET_TCP_ACK;
	}
	t[12] = 5 << 4;
	sum = vnet_csum_pseudo(&p->daddr, &p->saddr, IPPROTO_TCP_, 20);
	vnet_put16(t + 16, vnet_csum_fold(vnet_csum_add(sum, t, 20)));
	return pad(out, off + ipl + 20);
}

/* ICMP destination unreachable, administratively prohibited: v4 type 3
 * code 13 (RFC 1812 5.2.7.1) quoting the IP header and 8 bytes (RFC
 * 792); v6 type 1 code 1 quoting as much as fits in 1280 bytes (RFC
 * 4443 3.1). */
static size_t build_unreach(uint8_t *out, const struct vnet_pkt *p)
{
	int v4 = !!(p->layers & VNET_L_IPV4);
	size_t off = answer_l2(out, p), ipl, quote;
	uint8_t *ic;
	uint32_t sum;

	if (v4)
		quote = (size_t)(p->l4_off - p->l3_off) + 8;
	else
		quote = IP6_MIN_MTU - 40 - 8;
	if (quote > p->l3_len)
		quote = p->l3_len;
	ipl = answer_ip(out + off, p, v4 ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_,
			8 + quote);
	ic = out + off + ipl;
	memset(ic, 0, 8);
	ic[0] = v4 ? 3 : 1;
	ic[1] = v4 ? 13 : 1;
	memcpy(ic + 8, p->data + p->l3_off, quote);
	sum = v4 ? 0
		 : vnet_csum_pseudo(&p->daddr, &p->saddr, IPPROTO_ICMPV6_,
				    (uint32_t)(8 + quote));
	vnet_put16(ic + 2, vnet_csum_fold(vnet_csum_add(sum, ic, 8 + quote)));
	return pad(out, off + ipl + 8 + quote);
}

static int frag_info(const struct vnet_pkt *p, uint16_t seg,
		     struct frag_key *k, unsigned *offset);

/* A fragment other than the first: no L4 header to quote (RFC 1812
 * 4.3.2.7). */
static int later_fragment(const struct vnet_pkt *p)
{
	struct frag_key k;
	unsigned fo = 0;

	return frag_info(p, 0, &k, &fo) == 0 && fo != 0;
}

/* The answer to a rejected IP packet, or 0 if it may not have one: never
 * to a RST or an ICMP error, to a broadcast or multicast, from an
 * unspecified address, or for a later fragment. */
static size_t build_answer(uint8_t *out, const struct vnet_pkt *p)
{
	if (!(p->layers & (VNET_L_IPV4 | VNET_L_IPV6)) ||
	    vnet_mac_is_multicast(p->dst) || vnet_mac_is_multicast(p->src) ||
	    addr_is_group(&p->daddr) || addr_is_group(&p->saddr) ||
	    later_fragment(p) || is_icmp_error(p))
		return 0;
	if (p->layers & VNET_L_TCP)
		return p->tcp_flags & VNET_TCP_RST ? 0 : build_rst(out, p);
	return build_unreach(out, p);
}

static int reject_allowed(struct vnet_acl *a, uint64_t now)
{
	if (a->rej_last && now > a->rej_last) {
		a->rej_tokens += (double)(now - a->rej_last) * REJECT_RATE / 1e9;
		if (a->rej_tokens > REJECT_BURST)
			a->rej_tokens = REJECT_BURST;
	}
	a->rej_last = now;
	if (a->rej_tokens < 1.0)
		return 0;
	a->rej_tokens -= 1.0;
	return 1;
}

/* ---- fragments ---- */

/* The identification and offset (in 8-byte units) of a fragment; 0, or
 * -1 if p is not one. */
static int frag_info(const struct vnet_pkt *p, uint16_t seg,
		     struct frag_key *k, unsigned *offset)
{
	const uint8_t *d = p->data;
	size_t off, end, hlen;
	uint8_t nh;
	int n;

	if (!(p->layers & VNET_L_FRAG))
		return -1;
	memset(k, 0, sizeof(*k));
	k->s = p->saddr;
	k->d = p->daddr;
	k->seg = seg;
	if (p->layers & VNET_L_IPV4) {
		k->proto = d[p->l3_off + 9];
		k->id = vnet_get16(d + p->l3_off + 4);
		*offset = vnet_get16(d + p->l3_off + 6) & 0x1fff;
		return 0;
	}
	/* IPv6: walk to the fragment header (pkt.c checked the chain). */
	end = (size_t)p->l3_off + p->l3_len;
	off = (size_t)p->l3_off + 40;
	nh = d[p->l3_off + 6];
	for (n = 0; n < 8 && off + 8 <= end; n++) {
		if (nh == 44) {
			k->proto = d[off];
			k->id = vnet_get32(d + off + 4);
			*offset = vnet_get16(d + off + 2) >> 3;
			return 0;
		}
		if (nh == 51)
			hlen = ((size_t)d[off + 1] + 2) * 4;
		else if (nh == 0 || nh == 43 || nh == 60)
			hlen = ((size_t)d[off + 1] + 1) * 8;
		else
			break;
		nh = d[off];
		off += hlen;
	}
	return -1;
}

static struct frag_ent *frag_slot(struct vnet_acl *a, const struct frag_key *k)
{
	return &a->frag[vnet_hash_bytes(k, sizeof(*k), a->frag_seed) &
			(FRAG_SLOTS - 1)];
}

/* The first fragment of k's packet passed, by rule id: remember it. */
static void frag_add(struct vnet_acl *a, const struct frag_key *k,
		     unsigned rule_id, uint64_t now)
{
	struct frag_ent *f = frag_slot(a, k);

	f->k = *k;
	f->expires = now + FRAG_TIMEOUT;
	f->rule_id = rule_id;
}

static struct frag_ent *frag_find(struct vnet_acl *a, const struct frag_key *k,
				  uint64_t now)
{
	struct frag_ent *f = frag_slot(a, k);

	if (!f->expires || f->expires < now || memcmp(&f->k, k, sizeof(*k)))
		return NULL;
	return f;
}

/* ---- the packet path ---- */

static void count_rule(struct vnet_acl *a, const struct vnet_rule *r,
		       size_t len)
{
	if (r && r->id < a->nrs) {
		a->rs[r->id].packets++;
		a->rs[r->id].bytes += len;
	}
}

/* An IP packet that is not ND.  Sets *r and *why, returns the verdict. */
static int decide_ip(struct vnet_acl *a, const struct vnet_pkt *p,
		     uint16_t seg, enum vnet_dir dir, uint64_t now,
		     const struct vnet_rule **r, const char **why)
{
	struct vnet_policy_query q;
	struct vnet_ct_entry *e = NULL;
	const struct vnet_rule *m;

	switch (vnet_ct_lookup(a->ct, p, seg, now, &e)) {
	case VNET_CT_ORIG:
		*why = "established";
		a->ctr[VNET_ACL_ALLOWED_ESTABLISHED]++;
		break;
	case VNET_CT_REPLY:
		*why = "reply";
		a->ctr[VNET_ACL_ALLOWED_ESTABLISHED]++;
		break;
	case VNET_CT_RELATED:
		*why = "related";
		a->ctr[VNET_ACL_ALLOWED_RELATED]++;
		break;
	case VNET_CT_INVALID:
		*why = "invalid";
		a->ctr[VNET_ACL_DROP_INVALID]++;
		return VNET_ACT_DENY;
	default: /* MISS */
		goto miss;
	}
	/* Tracked: the rule that opened the connection decided. */
	*r = e ? vnet_policy_rule(a->pol, e->rule_id) : NULL;
	count_rule(a, *r, p->len);
	return VNET_ACT_ALLOW;

miss:
	fill_query(&q, p, seg, dir);
	m = *r = vnet_policy_match(a->pol, &q);
	if (m->act != VNET_ACT_ALLOW) {
		count_rule(a, m, p->len);
		if (m->flags & VNET_RULE_DEFAULT) {
			*why = "default";
			a->ctr[VNET_ACL_DROP_DEFAULT]++;
		} else {
			*why = "policy";
			a->ctr[VNET_ACL_DROP_POLICY]++;
		}
		return m->act == VNET_ACT_REJECT ? VNET_ACT_REJECT
						 : VNET_ACT_DENY;
	}
	switch (vnet_ct_create(a->ct, p, seg, (int)dir,
			       !!(m->flags & VNET_RULE_RESERVE), now, &e)) {
	case 0:
		e->rule_id = m->id;
		e->generation = a->generation;
		if (m->id < a->nrs)
			a->rs[m->id].conns++;
		break;
	case -EEXIST: /* tracked already: the packet is one of its own */
	case -EINVAL: /* ICMP error or echo reply: passes untracked */
		break;
	case -EDQUOT:
		*why = "ct-quota";
		a->ctr[VNET_ACL_DROP_CT_QUOTA]++;
		return VNET_ACT_DENY;
	default: /* -ENOSPC */
		*why = "ct-full";
		a->ctr[VNET_ACL_DROP_CT_FULL]++;
		return VNET_ACT_DENY;
	}
	count_rule(a, m, p->len);
	*why = "new";
	a->ctr[VNET_ACL_ALLOWED_NEW]++;
	return VNET_ACT_ALLOW;
}

/* An IP packet, fragments first: a later fragment passes when the first
 * one of its packet did (they carry no ports to decide on); else as any
 * packet (by its addresses and protocol, pkt.h and ct.h). */
static int decide_frag(struct vnet_acl *a, const struct vnet_pkt *p,
		       uint16_t seg, enum vnet_dir dir, uint64_t now,
		       const struct vnet_rule **r, const char **why)
{
	struct frag_key k;
	struct frag_ent *f;
	unsigned fo = 0;
	int act, frag = frag_info(p, seg, &k, &fo) == 0;

	/* RFC 1858 3.2: a TCP fragment at offset 8 may rewrite the flags
	 * that the first fragment showed. */
	if (frag && fo && !(fo == 1 && k.proto == IPPROTO_TCP_) &&
	    (f = frag_find(a, &k, now))) {
		*r = vnet_policy_rule(a->pol, f->rule_id);
		count_rule(a, *r, p->len);
		*why = "established";
		a->ctr[VNET_ACL_ALLOWED_ESTABLISHED]++;
		return VNET_ACT_ALLOW;
	}
	act = decide_ip(a, p, seg, dir, now, r, why);
	if (frag && !fo && act == VNET_ACT_ALLOW)
		frag_add(a, &k, *r ? (*r)->id : ~0u, now);
	return act;
}

/* ARP, ND and non-IP frames: the policy's setting, allow or deny. */
static int decide_l2(struct vnet_acl *a, enum vnet_act act,
		     enum vnet_acl_ctr allowed, enum vnet_acl_ctr dropped)
{
	if (act == VNET_ACT_ALLOW) {
		a->ctr[allowed]++;
		return VNET_ACT_ALLOW;
	}
	a->ctr[dropped]++;
	return VNET_ACT_DENY;
}

/* The drop log line of a frame, handed to the program's callback; seg is
 * the segment, or -1 for a frame that has none. */
static void log_frame(struct vnet_acl *a, int act, enum vnet_dir dir,
		      int seg, const uint8_t *data, size_t len,
		      const char *why, const struct vnet_rule *r, uint64_t now)
{
	char sum[256], rn[300], line[640], sn[16] = "no segment";

	if (seg >= 0)
		snprintf(sn, sizeof(sn), "segment %d", seg);
	vnet_acl_summary(data, len, sum, sizeof(sum));
	snprintf(line, sizeof(line), "%s %s %s: %s (%s%s%s)",
		 vnet_policy_act_name((enum vnet_act)act), vnet_dir_name(dir),
		 sn, sum, why, r ? " " : "",
		 r ? vnet_acl_rule_name(r, rn, sizeof(rn)) : "");
	a->cfg.log_line(a->cfg.log_arg, now, line);
}

/* A default denied or rejected the frame: say so (the program decides
 * how often, with a->said[seg]). */
static void warn_default(struct vnet_acl *a, int act, enum vnet_dir dir,
			 uint16_t seg, const uint8_t *data, size_t len,
			 const struct vnet_rule *r, uint64_t now)
{
	char sum[256], at[300] = "", line[700];

	if (r->line)
		snprintf(at, sizeof(at), " (%s:%u)", r->file, r->line);
	vnet_acl_summary(data, len, sum, sizeof(sum));
	snprintf(line, sizeof(line),
		 "drop_default: segment %u: default %s%s dropped %s %s; add "
		 "a rule or `default allow`",
		 seg, vnet_policy_act_name((enum vnet_act)act), at,
		 vnet_dir_name(dir), sum);
	a->cfg.warn(a->cfg.warn_arg, now, &a->said[seg], line);
}

/* The counter of a frame that has no segment. */
static const enum vnet_acl_ctr seg_drop[VNET_SEG_KIND_MAX] = {
	[VNET_SEG_STACKED] = VNET_ACL_DROP_STACKED_TAG,
	[VNET_SEG_S_TAG] = VNET_ACL_DROP_S_TAG,
	[VNET_SEG_RESERVED_VID] = VNET_ACL_DROP_RESERVED_VID,
	[VNET_SEG_RUNT] = VNET_ACL_DROP_MALFORMED,
};

int vnet_acl_frame(struct vnet_acl *a, enum vnet_dir dir, const uint8_t *data,
		   size_t len, uint64_t now, const struct vnet_rule **rule,
		   const char **why, uint8_t *out, size_t *outlen)
{
	const struct vnet_rule *r = NULL;
	const char *w = "malformed";
	struct vnet_pkt p;
	uint16_t seg = 0;
	size_t olen = 0;
	int act = VNET_ACT_DENY, kind;

	dir = dir == VNET_INGRESS ? VNET_INGRESS : VNET_EGRESS;
	a->ctr[VNET_ACL_FRAMES_EGRESS + dir]++;
	/* A frame with no segment is in no policy's reach: default deny,
	 * before anything else is looked at. */
	kind = vnet_segment_of(data, len, &seg, NULL);
	if (!vnet_segment_ok(kind)) {
		a->ctr[seg_drop[kind]]++;
		if (kind != VNET_SEG_RUNT)
			w = vnet_segment_str(kind);
		goto done;
	}
	if (vnet_pkt_parse(data, len, &p) < 0 || p.err) {
		a->ctr[VNET_ACL_DROP_MALFORMED]++;
		goto done;
	}
	if (p.layers & VNET_L_ARP) {
		w = "arp";
		act = decide_l2(a, vnet_policy_arp(a->pol),
				VNET_ACL_ALLOWED_ARP, VNET_ACL_DROP_ARP);
	} else if (!(p.layers & (VNET_L_IPV4 | VNET_L_IPV6))) {
		w = "other";
		act = decide_l2(a, vnet_policy_other(a->pol),
				VNET_ACL_ALLOWED_OTHER, VNET_ACL_DROP_OTHER);
	} else if (is_nd(&p)) {
		w = "nd";
		act = decide_l2(a, vnet_policy_nd(a->pol), VNET_ACL_ALLOWED_ND,
				VNET_ACL_DROP_ND);
	} else {
		act = decide_frag(a, &p, seg, dir, now, &r, &w);
	}
done:
	if (act == VNET_ACT_ALLOW)
		a->ctr[VNET_ACL_PASSED_EGRESS + dir]++;
	else if (act == VNET_ACT_REJECT && out && !a->cfg.explain) {
		olen = build_answer(out, &p);
		if (olen && !reject_allowed(a, now))
			olen = 0;
		if (!olen)
			a->ctr[VNET_ACL_REJECT_UNSENDABLE]++;
	}
	if (a->cfg.warn && !a->cfg.explain && r &&
	    (r->flags & VNET_RULE_DEFAULT) && act != VNET_ACT_ALLOW &&
	    !strcmp(w, "default") && (!a->said[seg] || a->cfg.warn_all))
		warn_default(a, act, dir, seg, data, len, r, now);
	if (a->cfg.log && a->cfg.log_line &&
	    (act != VNET_ACT_ALLOW ||
	     (r && (r->flags & VNET_RULE_LOG) && !strcmp(w, "new"))))
		log_frame(a, act, dir, vnet_segment_ok(kind) ? seg : -1, data,
			  len, w, r, now);
	if (rule)
		*rule = r;
	if (why)
		*why = w;
	if (outlen)
		*outlen = olen;
	return act;
}

/* ---- reload ---- */

struct recheck {
	struct vnet_acl *a;
	unsigned removed;
};

/* Match a tracked connection again as its opening packet. */
static int recheck_entry(void *arg, struct vnet_ct_entry *e)
{
	struct recheck *rc = arg;
	struct vnet_policy_query q;
	const struct vnet_rule *r;

	memset(&q, 0, sizeof(q));
	q.segment = e->segment;
	q.dir = e->dir;
	q.smac = e->smac;
	q.dmac = e->dmac;
	q.has_ip = 1;
	q.saddr = e->saddr;
	q.daddr = e->daddr;
	q.proto = e->proto;
	if ((e->proto == IPPROTO_TCP_ || e->proto == IPPROTO_UDP_ ||
	     e->proto == IPPROTO_SCTP_) &&
	    !e->noports) {
		q.sport = e->sport;
		q.dport = e->dport;
	} else if (e->proto == IPPROTO_ICMP_ || e->proto == IPPROTO_ICMPV6_) {
		/* The type and code of the packet that opened it. */
		q.icmp_type = e->icmp_type;
		q.icmp_code = e->icmp_code;
	}
	r = vnet_policy_match(rc->a->pol, &q);
	if (r->act != VNET_ACT_ALLOW) {
		rc->removed++;
		return 1;
	}
	e->rule_id = r->id;
	e->generation = rc->a->generation;
	return 0;
}

unsigned vnet_acl_replace_policy(struct vnet_acl *a, struct vnet_policy *p)
{
	struct recheck rc = { .a = a };
	struct vnet_policy *old = a->pol;

	if (!p)
		return 0;
	a->pol = p;
	a->generation++;
	if (rules_reset(a, p) < 0) {
		/* Keep counting nowhere rather than fail a reload. */
		free(a->rs);
		a->rs = NULL;
		a->nrs = 0;
	}
	vnet_ct_walk(a->ct, recheck_entry, &rc);
	memset(a->frag, 0, sizeof(a->frag));
	memset(a->said, 0, sizeof(a->said)); /* new defaults, said anew */
	vnet_policy_free(old);
	a->ctr[VNET_ACL_RELOADS]++;
	a->ctr[VNET_ACL_CT_REVOKED] += rc.removed;
	return rc.removed;
}

void vnet_acl_tick(struct vnet_acl *a, uint64_t now)
{
	vnet_ct_expire(a->ct, now, 0);
}

/* ---- counters ---- */

static void sync_ct(struct vnet_acl *a)
{
	const struct vnet_ct_stats *s = vnet_ct_stats(a->ct);

	a->ctr[VNET_ACL_CT_ENTRIES] = s->entries;
	a->ctr[VNET_ACL_CT_CREATED] = s->created;
	a->ctr[VNET_ACL_CT_EXPIRED] = s->expired;
	a->ctr[VNET_ACL_CT_EVICTED] = s->evicted;
	a->ctr[VNET_ACL_POLICY_GENERATION] = a->generation;
}

void vnet_acl_count(struct vnet_acl *a, enum vnet_acl_ctr c, uint64_t n)
{
	if ((unsigned)c < VNET_ACL_CTR_MAX)
		a->ctr[c] += n;
}

uint64_t vnet_acl_counter(const struct vnet_acl *a, enum vnet_acl_ctr c)
{
	const struct vnet_ct_stats *s = vnet_ct_stats(a->ct);

	switch (c) {
	case VNET_ACL_CT_ENTRIES:
		return s->entries;
	case VNET_ACL_CT_CREATED:
		return s->created;
	case VNET_ACL_CT_EXPIRED:
		return s->expired;
	case VNET_ACL_CT_EVICTED:
		return s->evicted;
	case VNET_ACL_POLICY_GENERATION:
		return a->generation;
	default:
		return (unsigned)c < VNET_ACL_CTR_MAX ? a->ctr[c] : 0;
	}
}

const char *vnet_acl_counter_name(enum vnet_acl_ctr c)
{
	return (unsigned)c < VNET_ACL_CTR_MAX ? ctr_name[c] : NULL;
}

void vnet_acl_set_stream_stats(struct vnet_acl *a,
			       const struct vnet_sr_stats *const *s,
			       unsigned n)
{
	uint64_t t = 0, o = 0, r = 0, ne = 0, tb = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!s[i])
			continue;
		t += s[i]->truncated;
		o += s[i]->oversize;
		r += s[i]->runt;
		ne += s[i]->not_ethernet;
		tb += s[i]->trailing_bytes;
	}
	a->ctr[VNET_ACL_STREAM_TRUNCATED] = t;
	a->ctr[VNET_ACL_STREAM_OVERSIZE] = o;
	a->ctr[VNET_ACL_STREAM_RUNT] = r;
	a->ctr[VNET_ACL_STREAM_NOT_ETHERNET] = ne;
	a->ctr[VNET_ACL_STREAM_TRAILING_BYTES] = tb;
}

void vnet_acl_set_queue_drops(struct vnet_acl *a, uint64_t left,
			      uint64_t right)
{
	a->ctr[VNET_ACL_LEFT_TX_QUEUE_DROPS] = left;
	a->ctr[VNET_ACL_RIGHT_TX_QUEUE_DROPS] = right;
}

const struct vnet_acl_rule_stats *vnet_acl_rule_stats(const struct vnet_acl *a,
						      unsigned id)
{
	return id < a->nrs ? &a->rs[id] : NULL;
}

const char *vnet_acl_rule_name(const struct vnet_rule *r, char *buf, size_t n)
{
	if (!r->line)
		snprintf(buf, n, "default");
	else
		snprintf(buf, n, "%s:%u", r->file, r->line);
	return buf;
}

void vnet_acl_print_counters(struct vnet_acl *a, FILE *f)
{
	const struct vnet_rule *r;
	char name[300];
	unsigned i;

	sync_ct(a);
	for (i = 0; i < VNET_ACL_CTR_MAX; i++)
		fprintf(f, "%s\t%llu\n", ctr_name[i],
			(unsigned long long)a->ctr[i]);
	for (i = 0; i < a->nrs; i++) {
		if (!(r = vnet_policy_rule(a->pol, i)))
			continue;
		vnet_acl_rule_name(r, name, sizeof(name));
		fprintf(f, "rule:%s:packets\t%llu\n", name,
			(unsigned long long)a->rs[i].packets);
		fprintf(f, "rule:%s:bytes\t%llu\n", name,
			(unsigned long long)a->rs[i].bytes);
		fprintf(f, "rule:%s:conns\t%llu\n", name,
			(unsigned long long)a->rs[i].conns);
	}
	fflush(f);
}

int vnet_acl_dump_ct(struct vnet_acl *a, FILE *f, uint64_t now)
{
	return vnet_ct_dump(a->ct, f, now);
}

/* ---- frame summaries ---- */

static const char *const icmp4_name[256] = {
	[0] = "echo-reply",
	[3] = "dest-unreach",
	[4] = "source-quench",
	[5] = "redirect",
	[8] = "echo-request",
	[9] = "router-advertisement",
	[10] = "router-solicitation",
	[11] = "time-exceeded",
	[12] = "parameter-problem",
	[13] = "timestamp-request",
	[14] = "timestamp-reply",
};

static const char *const icmp6_name[256] = {
	[1] = "dest-unreach",
	[2] = "packet-too-big",
	[3] = "time-exceeded",
	[4] = "parameter-problem",
	[128] = "echo-request",
	[129] = "echo-reply",
	[130] = "mld-query",
	[131] = "mld-report",
	[132] = "mld-done",
	[133] = "router-solicitation",
	[134] = "router-advertisement",
	[135] = "neighbor-solicitation",
	[136] = "neighbor-advertisement",
	[137] = "redirect",
	[143] = "mld2-report",
};

struct sbuf {
	char *b;
	size_t n, len;
};

static void sadd(struct sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sadd(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->len >= s->n)
		return;
	va_start(ap, fmt);
	r = vsnprintf(s->b + s->len, s->n - s->len, fmt, ap);
	va_end(ap);
	if (r > 0)
		s->len += (size_t)r;
}

/* "198.19.1.1:80", "[2001:db8::1]:80". */
static void sadd_ep(struct sbuf *s, const struct vnet_addr *x, uint16_t port)
{
	char ab[VNET_ADDRSTRLEN];

	vnet_addr_fmt(x, ab);
	if (x->family == AF_INET6)
		sadd(s, "[%s]:%u", ab, port);
	else
		sadd(s, "%s:%u", ab, port);
}

/* tcpdump's order: FIN SYN RST PSH ACK URG ECE CWR. */
static void sadd_flags(struct sbuf *s, uint8_t fl)
{
	static const struct { uint8_t bit; char c; } t[] = {
		{ VNET_TCP_FIN, 'F' }, { VNET_TCP_SYN, 'S' },
		{ VNET_TCP_RST, 'R' }, { VNET_TCP_PSH, 'P' },
		{ VNET_TCP_ACK, '.' }, { VNET_TCP_URG, 'U' },
		{ VNET_TCP_ECE, 'E' }, { VNET_TCP_CWR, 'W' },
	};
	unsigned i;

	sadd(s, " [");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (fl & t[i].bit)
			sadd(s, "%c", t[i].c);
	sadd(s, "%s]", fl ? "" : "none");
}

static void summary_ip(struct sbuf *s, const struct vnet_pkt *p)
{
	char sa[VNET_ADDRSTRLEN], da[VNET_ADDRSTRLEN];
	int v4 = !!(p->layers & VNET_L_IPV4);
	const char *name;

	vnet_addr_fmt(&p->saddr, sa);
	vnet_addr_fmt(&p->daddr, da);
	if (p->layers & (VNET_L_TCP | VNET_L_UDP | VNET_L_SCTP)) {
		sadd(s, "%s ", p->layers & VNET_L_TCP	 ? "tcp"
			       : p->layers & VNET_L_UDP ? "udp"
							 : "sctp");
		sadd_ep(s, &p->saddr, p->sport);
		sadd(s, " > ");
		sadd_ep(s, &p->daddr, p->dport);
		if (p->layers & VNET_L_TCP)
			sadd_flags(s, p->tcp_flags);
	} else if (p->layers & VNET_L_ICMP) {
		name = (v4 ? icmp4_name : icmp6_name)[p->icmp_type];
		sadd(s, "%s %s > %s ", v4 ? "icmp" : "icmp6", sa, da);
		if (name)
			sadd(s, "%s", name);
		else
			sadd(s, "type %u", p->icmp_type);
		if (p->icmp_code)
			sadd(s, " code %u", p->icmp_code);
	} else {
		sadd(s, "%s %s > %s proto %u", v4 ? "ip" : "ip6", sa, da,
		     p->ip_proto);
	}
	if (p->layers & VNET_L_FRAG)
		sadd(s, " frag");
}

static void summary_arp(struct sbuf *s, const struct vnet_pkt *p)
{
	char sa[VNET_ADDRSTRLEN], da[VNET_ADDRSTRLEN], mac[VNET_MACSTRLEN];

	vnet_addr_fmt(&p->saddr, sa);
	vnet_addr_fmt(&p->daddr, da);
	if (p->arp_op == 1)
		sadd(s, "arp who-has %s tell %s", da, sa);
	else if (p->arp_op == 2)
		sadd(s, "arp reply %s is-at %s", sa,
		     vnet_mac_fmt(p->data + p->l3_off + 8, mac));
	else
		sadd(s, "arp op %u %s > %s", p->arp_op, sa, da);
}

const char *vnet_acl_summary(const uint8_t *data, size_t len, char *buf,
			     size_t n)
{
	struct sbuf s = { buf, n, 0 };
	struct vnet_pkt p;

	if (!n)
		return buf;
	buf[0] = '\0';
	if (vnet_pkt_parse(data, len, &p) < 0) {
		sadd(&s, "runt %zu bytes", len);
		return buf;
	}
	if (p.err)
		sadd(&s, "ether 0x%04x malformed (%s)", p.ethertype,
		     vnet_pkt_err_str(p.err));
	else if (p.layers & VNET_L_ARP)
		summary_arp(&s, &p);
	else if (p.layers & (VNET_L_IPV4 | VNET_L_IPV6))
		summary_ip(&s, &p);
	else
		sadd(&s, "ether 0x%04x", p.ethertype);
	return buf;
}
