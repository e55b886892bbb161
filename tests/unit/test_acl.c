/* SPDX-License-Identifier: ISC */
/* test_acl.c -- the vnet-acl engine (lib/acl.c): verdicts on new, tracked
 * and unasked-for traffic, the answers to rejects (checked field by field
 * and against the reference checksum), the fragment cache, the reject
 * rate limit, per-rule counters and reload. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "refcsum.h"
#include "taddr.h"
#include "vnet-acl/acl.h"
#include "vnet/bytes.h"
#include "vnet/err.h"

#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

/* The policy of most tests; rule ids 0-4 are lines 7-11, 5 the default
 * of line 12, 6 the builtin default. */
static const char policy_text[] =
	"# test policy\n"
	"workload web1 mac 02:00:00:00:00:01 ip 198.18.1.1 ip 2001:db8::1 "
	"label app=web\n"
	"workload db1 mac 02:00:00:00:00:02 ip 198.18.1.2 ip 2001:db8::2 "
	"label app=db\n"
	"group web label app=web\n"
	"group db label app=db\n"
	"\n"
	"allow from web to db proto tcp port 5432\n"
	"allow from web to db proto udp port 53\n"
	"reject from any to db proto tcp port 22\n"
	"reject from any to db proto udp port 514\n"
	"deny from any to db proto tcp port 23\n"
	"default deny\n";

enum { R_PG, R_DNS, R_REJ_SSH, R_REJ_SYSLOG, R_DENY_TELNET, R_DEFAULT };

/* The hosts: web is the workload behind the ACL (egress comes from it),
 * db a peer on the fabric side, other a host the policy does not know. */
enum host { WEB, DB, OTHER };
static const struct {
	uint8_t mac[6];
	const char *ip4, *ip6;
} hosts[] = {
	[WEB] = { { 2, 0, 0, 0, 0, 1 }, "198.18.1.1", "2001:db8::1" },
	[DB] = { { 2, 0, 0, 0, 0, 2 }, "198.18.1.2", "2001:db8::2" },
	[OTHER] = { { 2, 0, 0, 0, 0, 3 }, "198.18.1.3", "2001:db8::3" },
};
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A frame to build: IPv4 unless v6; fields not given are zero. */
struct spec {
	enum host from, to;
	int v6;
	uint16_t vlan;		/* 802.1Q tag with this VID when nonzero */
	const uint8_t *dmac;	/* instead of to's MAC */
	uint8_t proto;		/* 6, 17, 1 / 58 */
	uint16_t sport, dport;	/* TCP, UDP */
	uint8_t flags;		/* TCP */
	uint32_t seq, ack;	/* TCP */
	uint8_t type, code;	/* ICMP; the rest of the header is 0 */
	size_t payload;		/* bytes after the L4 header */
	uint32_t id;		/* IP identification (v6: fragment header) */
	int frag;		/* v6: a fragment header (v4: more, frag_off) */
	uint16_t frag_off;	/* its offset, 8-byte units; > 0: no L4 */
	int more;		/* more fragments follow */
};

struct frame {
	uint8_t b[2048];
	size_t len;
	size_t l3, l4; /* offsets of the IP and the L4 header */
};

static void set_addr(uint8_t *p, enum host h, int v6)
{
	struct vnet_addr a = ip(v6 ? hosts[h].ip6 : hosts[h].ip4);

	memcpy(p, a.b, v6 ? 16 : 4);
}

static size_t l4_hlen(const struct spec *s)
{
	if (s->frag_off)
		return 0;
	return s->proto == 6 ? 20 : 8; /* TCP, else UDP and ICMP */
}

/* The L4 header and the payload at p. */
static void put_l4(uint8_t *p, const struct spec *s, size_t l4len)
{
	size_t i, h = l4_hlen(s);

	if (s->proto == 6 && h) {
		vnet_put16(p, s->sport);
		vnet_put16(p + 2, s->dport);
		vnet_put32(p + 4, s->seq);
		vnet_put32(p + 8, s->ack);
		p[12] = 5 << 4;
		p[13] = s->flags;
		vnet_put16(p + 14, 65535);
	} else if (s->proto == 17 && h) {
		vnet_put16(p, s->sport);
		vnet_put16(p + 2, s->dport);
		vnet_put16(p + 4, (uint32_t)l4len);
	} else if (h) {
		p[0] = s->type;
		p[1] = s->code;
	}
	for (i = h; i < l4len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
}

static struct frame *build(struct frame *f, const struct spec *s)
{
	size_t l4len = l4_hlen(s) + s->payload, o = 12;
	uint8_t *b = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(b, s->dmac ? s->dmac : hosts[s->to].mac, 6);
	memcpy(b + 6, hosts[s->from].mac, 6);
	if (s->vlan) {
		vnet_put16(b + o, VNET_ETH_P_8021Q);
		vnet_put16(b + o + 2, s->vlan);
		o += 4;
	}
	vnet_put16(b + o, s->v6 ? VNET_ETH_P_IPV6 : VNET_ETH_P_IP);
	f->l3 = o += 2;
	if (!s->v6) {
		b[o] = 0x45;
		vnet_put16(b + o + 2, (uint32_t)(20 + l4len));
		vnet_put16(b + o + 4, s->id);
		vnet_put16(b + o + 6, (s->more ? 0x2000u : 0) | s->frag_off);
		b[o + 8] = 64;
		b[o + 9] = s->proto;
		set_addr(b + o + 12, s->from, 0);
		set_addr(b + o + 16, s->to, 0);
		vnet_put16(b + o + 10, ref_csum(b + o, 20));
		f->l4 = o + 20;
	} else {
		b[o] = 0x60;
		vnet_put16(b + o + 4, (uint32_t)(l4len + (s->frag ? 8 : 0)));
		b[o + 6] = s->frag ? 44 : s->proto;
		b[o + 7] = 64;
		set_addr(b + o + 8, s->from, 1);
		set_addr(b + o + 24, s->to, 1);
		f->l4 = o + 40;
		if (s->frag) {
			b[f->l4] = s->proto;
			vnet_put16(b + f->l4 + 2,
				   (uint32_t)(s->frag_off << 3 | !!s->more));
			vnet_put32(b + f->l4 + 4, s->id);
			f->l4 += 8;
		}
	}
	put_l4(b + f->l4, s, l4len);
	f->len = f->l4 + l4len;
	return f;
}

static struct vnet_policy *parse(const char *text)
{
	struct vnet_err err;
	struct vnet_policy *p;
	char buf[VNET_ERR_STRLEN];

	p = vnet_policy_parse(text, strlen(text), "test.policy", NULL, &err);
	if (!p)
		T_FAIL("policy: %s", vnet_err_str(&err, buf, sizeof(buf)));
	return p;
}

/* An engine with policy text and a small table. */
static struct vnet_acl *engine(const char *text, int explain)
{
	struct vnet_acl_config c;
	struct vnet_policy *p;
	struct vnet_acl *a;

	if (!(p = parse(text)))
		return NULL;
	memset(&c, 0, sizeof(c));
	vnet_ct_config_default(&c.ct);
	vnet_ct_config_set_max(&c.ct, 64);
	c.explain = explain;
	if (!(a = vnet_acl_new(p, &c)))
		T_FAIL("vnet_acl_new: %s", strerror(errno));
	else
		T_EQ(vnet_acl_set_seed(a, 42), 0);
	return a;
}

/* One frame through the engine: the verdict, why, the rule's id (-1 for
 * none) and the answer in out (its length in *outlen). */
struct verdict {
	int act;
	const char *why;
	int rule;
	size_t outlen;
	uint8_t out[VNET_ACL_REPLY_MAX];
};

static struct verdict *run(struct vnet_acl *a, enum vnet_dir dir,
			   const struct frame *f, uint64_t now,
			   struct verdict *v)
{
	const struct vnet_rule *r = NULL;

	memset(v, 0, sizeof(*v));
	v->outlen = 12345;
	v->act = vnet_acl_frame(a, dir, f->b, f->len, now, &r, &v->why,
				v->out, &v->outlen);
	v->rule = r ? (int)r->id : -1;
	return v;
}

/* Evaluates v once. */
#define T_VERDICT(v, act_, why_, rule_)                                    \
	do {                                                               \
		const struct verdict *v_ = (v);                            \
		T_EQ(v_->act, act_);                                       \
		T_STREQ(v_->why, why_);                                    \
		T_EQ(v_->rule, rule_);                                     \
	} while (0)

static uint64_t ctr(const struct vnet_acl *a, enum vnet_acl_ctr c)
{
	return vnet_acl_counter(a, c);
}

static void test_new_and_return_traffic(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	const struct vnet_acl_rule_stats *rs;
	struct frame f[4];
	struct verdict v;
	size_t bytes;

	if (!a)
		return;
	/* web opens a TCP connection the policy allows ... */
	build(&f[0], &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				     .sport = 40000, .dport = 5432,
				     .flags = VNET_TCP_SYN, .seq = 1000 });
	T_VERDICT(run(a, VNET_EGRESS, &f[0], T0, &v), VNET_ACT_ALLOW, "new",
		  R_PG);
	T_EQ(v.outlen, 0);
	/* ... its answer passes although no rule lets db open anything ... */
	build(&f[1], &(struct spec){ .from = DB, .to = WEB, .proto = 6,
				     .sport = 5432, .dport = 40000,
				     .flags = VNET_TCP_SYN | VNET_TCP_ACK,
				     .seq = 7000, .ack = 1001 });
	T_VERDICT(run(a, VNET_INGRESS, &f[1], T0 + 1, &v), VNET_ACT_ALLOW,
		  "reply", R_PG);
	/* ... and so does the rest of it, either way. */
	build(&f[2], &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				     .sport = 40000, .dport = 5432,
				     .flags = VNET_TCP_ACK, .seq = 1001,
				     .ack = 7001, .payload = 100 });
	T_VERDICT(run(a, VNET_EGRESS, &f[2], T0 + 2, &v), VNET_ACT_ALLOW,
		  "established", R_PG);
	/* (db's SYN/ACK again, as a retransmission) */
	T_VERDICT(run(a, VNET_INGRESS, &f[1], T0 + 3, &v), VNET_ACT_ALLOW,
		  "reply", R_PG);
	/* UDP: the first datagram opens, the answer is a reply. */
	build(&f[3], &(struct spec){ .from = WEB, .to = DB, .proto = 17,
				     .sport = 33333, .dport = 53,
				     .payload = 30 });
	T_VERDICT(run(a, VNET_EGRESS, &f[3], T0 + 4, &v), VNET_ACT_ALLOW,
		  "new", R_DNS);
	build(&f[3], &(struct spec){ .from = DB, .to = WEB, .proto = 17,
				     .sport = 53, .dport = 33333,
				     .payload = 60 });
	T_VERDICT(run(a, VNET_INGRESS, &f[3], T0 + 5, &v), VNET_ACT_ALLOW,
		  "reply", R_DNS);

	T_EQ(ctr(a, VNET_ACL_FRAMES_EGRESS), 3);
	T_EQ(ctr(a, VNET_ACL_FRAMES_INGRESS), 3);
	T_EQ(ctr(a, VNET_ACL_PASSED_EGRESS), 3);
	T_EQ(ctr(a, VNET_ACL_PASSED_INGRESS), 3);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_NEW), 2);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_ESTABLISHED), 4);
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 2);
	T_EQ(ctr(a, VNET_ACL_CT_CREATED), 2);
	T_EQ(ctr(a, VNET_ACL_DROP_DEFAULT), 0);
	/* Per rule: every packet of the connections it opened. */
	rs = vnet_acl_rule_stats(a, R_PG);
	bytes = f[0].len + 2 * f[1].len + f[2].len;
	T_ASSERT(rs && rs->packets == 4 && rs->bytes == bytes &&
		 rs->conns == 1);
	rs = vnet_acl_rule_stats(a, R_DNS);
	T_ASSERT(rs && rs->packets == 2 && rs->conns == 1);
	T_EQ(rs->bytes, (14 + 20 + 8 + 30) + (14 + 20 + 8 + 60));
	vnet_acl_free(a);
}

static void test_denied_from_the_other_side(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	const struct vnet_rule *r;
	struct frame f;
	struct verdict v;

	if (!a)
		return;
	/* db may answer web but not open a connection to it. */
	build(&f, &(struct spec){ .from = DB, .to = WEB, .proto = 6,
				  .sport = 40000, .dport = 5432,
				  .flags = VNET_TCP_SYN });
	T_VERDICT(run(a, VNET_INGRESS, &f, T0, &v), VNET_ACT_DENY, "default",
		  R_DEFAULT);
	T_EQ(v.outlen, 0);
	r = vnet_policy_rule(vnet_acl_policy(a), R_DEFAULT);
	T_ASSERT(r && (r->flags & VNET_RULE_DEFAULT) && r->line == 12 &&
		 r->act == VNET_ACT_DENY);
	/* The same packet the other way is web's to open. */
	build(&f, &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				  .sport = 40000, .dport = 5432,
				  .flags = VNET_TCP_SYN });
	T_VERDICT(run(a, VNET_EGRESS, &f, T0 + 1, &v), VNET_ACT_ALLOW, "new",
		  R_PG);
	/* A port no rule names, and a host no group holds. */
	build(&f, &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				  .sport = 40001, .dport = 80,
				  .flags = VNET_TCP_SYN });
	T_VERDICT(run(a, VNET_EGRESS, &f, T0 + 2, &v), VNET_ACT_DENY,
		  "default", R_DEFAULT);
	build(&f, &(struct spec){ .from = OTHER, .to = DB, .proto = 6,
				  .sport = 40000, .dport = 5432,
				  .flags = VNET_TCP_SYN });
	T_VERDICT(run(a, VNET_INGRESS, &f, T0 + 3, &v), VNET_ACT_DENY,
		  "default", R_DEFAULT);
	/* A deny rule drops without an answer. */
	build(&f, &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				  .sport = 40002, .dport = 23,
				  .flags = VNET_TCP_SYN });
	T_VERDICT(run(a, VNET_EGRESS, &f, T0 + 4, &v), VNET_ACT_DENY,
		  "policy", R_DENY_TELNET);
	T_EQ(v.outlen, 0);
	/* Mid-connection TCP that nothing opened is invalid, by no rule. */
	build(&f, &(struct spec){ .from = DB, .to = WEB, .proto = 6,
				  .sport = 5432, .dport = 40009,
				  .flags = VNET_TCP_ACK, .seq = 5 });
	T_VERDICT(run(a, VNET_INGRESS, &f, T0 + 5, &v), VNET_ACT_DENY,
		  "invalid", -1);

	T_EQ(ctr(a, VNET_ACL_DROP_DEFAULT), 3);
	T_EQ(ctr(a, VNET_ACL_DROP_POLICY), 1);
	T_EQ(ctr(a, VNET_ACL_DROP_INVALID), 1);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_NEW), 1);
	T_EQ(ctr(a, VNET_ACL_PASSED_EGRESS), 1);
	T_EQ(ctr(a, VNET_ACL_PASSED_INGRESS), 0);
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 1);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 0);
	T_EQ(vnet_acl_rule_stats(a, R_DEFAULT)->packets, 3);
	T_EQ(vnet_acl_rule_stats(a, R_DEFAULT)->conns, 0);
	T_EQ(vnet_acl_rule_stats(a, R_DENY_TELNET)->packets, 1);
	vnet_acl_free(a);
}

/* The pseudo header's sum (RFC 793 3.1, RFC 8200 8.1) of the answer at
 * ip, for len bytes of protocol proto. */
static uint16_t pseudo_sum(const uint8_t *iph, int v6, uint8_t proto,
			   size_t len)
{
	uint8_t ph[40] = { 0 };

	if (!v6) {
		memcpy(ph, iph + 12, 8);
		ph[9] = proto;
		vnet_put16(ph + 10, (uint32_t)len);
		return ref_sum(ph, 12, 0);
	}
	memcpy(ph, iph + 8, 32);
	vnet_put32(ph + 32, (uint32_t)len);
	ph[39] = proto;
	return ref_sum(ph, 40, 0);
}

/* The Ethernet and IP headers of an answer to the frame of s: back to
 * the sender, tags kept; returns the L4 offset. */
static size_t check_answer_ip(const struct spec *s, const struct frame *in,
			      const uint8_t *out, uint8_t proto, size_t l4len)
{
	const uint8_t *h = out + in->l3;
	uint8_t a[16];

	T_MEMEQ(out, hosts[s->from].mac, 6);
	T_MEMEQ(out + 6, hosts[s->to].mac, 6);
	T_MEMEQ(out + 12, in->b + 12, in->l3 - 12); /* tags, EtherType */
	if (!s->v6) {
		T_EQ(h[0], 0x45);
		T_EQ(h[1], 0);
		T_EQ(vnet_get16(h + 2), 20 + l4len);
		T_EQ(vnet_get16(h + 6), 0); /* no DF, not a fragment */
		T_EQ(h[8], 64);
		T_EQ(h[9], proto);
		T_EQ(ref_csum(h, 20), 0);
		set_addr(a, s->to, 0);
		T_MEMEQ(h + 12, a, 4);
		set_addr(a, s->from, 0);
		T_MEMEQ(h + 16, a, 4);
		return in->l3 + 20;
	}
	T_EQ(vnet_get32(h), 0x60000000);
	T_EQ(vnet_get16(h + 4), l4len);
	T_EQ(h[6], proto);
	T_EQ(h[7], 64);
	set_addr(a, s->to, 1);
	T_MEMEQ(h + 8, a, 16);
	set_addr(a, s->from, 1);
	T_MEMEQ(h + 24, a, 16);
	return in->l3 + 40;
}

static void check_zero_pad(const uint8_t *out, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (out[i])
			T_FAIL("padding byte %zu is %u", i, out[i]);
}

/* A RST answering the SYN of s: exact fields, checksums by refcsum.h. */
static void check_rst(const struct spec *s, const struct verdict *v,
		      uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct frame in;
	size_t t, end;

	build(&in, s);
	t = check_answer_ip(s, &in, v->out, 6, 20);
	end = t + 20;
	T_EQ(v->outlen, end < 60 ? 60 : end);
	T_EQ(vnet_get16(v->out + t), s->dport);
	T_EQ(vnet_get16(v->out + t + 2), s->sport);
	T_EQ(vnet_get32(v->out + t + 4), seq);
	T_EQ(vnet_get32(v->out + t + 8), ack);
	T_EQ(v->out[t + 12], 5 << 4);
	T_EQ(v->out[t + 13], flags);
	T_EQ(vnet_get16(v->out + t + 14), 0); /* window */
	T_EQ(vnet_get16(v->out + t + 18), 0); /* urgent pointer */
	T_EQ((uint16_t)~ref_sum(v->out + t, 20,
				pseudo_sum(v->out + in.l3, s->v6, 6, 20)),
	     0);
	check_zero_pad(v->out, end, v->outlen);
}

static void test_reject_tcp_rst(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	struct spec s = { .from = WEB, .to = DB, .proto = 6, .sport = 40000,
			  .dport = 22, .flags = VNET_TCP_SYN, .seq = 1000 };
	struct frame f;
	struct verdict v;

	if (!a)
		return;
	/* RFC 793: no ACK in the SYN, so <SEQ=0><ACK=SEG.SEQ+1><RST,ACK>;
	 * 54 bytes padded to 60. */
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", R_REJ_SSH);
	check_rst(&s, &v, 0, 1001, VNET_TCP_RST | VNET_TCP_ACK);
	T_EQ(v.outlen, 60);
	/* Data on the SYN counts, and the sum wraps. */
	s.seq = 0xfffffff0u;
	s.payload = 20;
	s.flags = VNET_TCP_SYN | VNET_TCP_PSH;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0 + 1, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SSH);
	check_rst(&s, &v, 0, 0x00000005u, VNET_TCP_RST | VNET_TCP_ACK);
	/* IPv6, tagged: 18 + 40 + 20 bytes, the tag kept. */
	s = (struct spec){ .from = OTHER, .to = DB, .v6 = 1, .vlan = 100,
			   .proto = 6, .sport = 50000, .dport = 22,
			   .flags = VNET_TCP_SYN, .seq = 0x12345678u };
	T_VERDICT(run(a, VNET_INGRESS, build(&f, &s), T0 + 2, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SSH);
	check_rst(&s, &v, 0, 0x12345679u, VNET_TCP_RST | VNET_TCP_ACK);
	T_EQ(v.outlen, 78);
	T_EQ(vnet_get16(v.out + 14), 100);
	/* Tagged IPv4 with the tag: 58 bytes padded to 60. */
	s.v6 = 0;
	T_VERDICT(run(a, VNET_INGRESS, build(&f, &s), T0 + 3, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SSH);
	check_rst(&s, &v, 0, 0x12345679u, VNET_TCP_RST | VNET_TCP_ACK);
	T_EQ(v.outlen, 60);
	/* Rejects are not tracked; each one was answered. */
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 0);
	T_EQ(ctr(a, VNET_ACL_DROP_POLICY), 4);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 0);
	T_EQ(vnet_acl_rule_stats(a, R_REJ_SSH)->packets, 4);
	vnet_acl_free(a);
}

/* An ICMP destination unreachable, administratively prohibited,
 * answering the frame of s and quoting quote bytes of its IP packet. */
static void check_unreach(const struct spec *s, const struct verdict *v,
			  size_t quote)
{
	struct frame in;
	size_t ic, end;
	uint8_t proto = s->v6 ? 58 : 1;

	build(&in, s);
	ic = check_answer_ip(s, &in, v->out, proto, 8 + quote);
	end = ic + 8 + quote;
	T_EQ(v->outlen, end < 60 ? 60 : end);
	T_EQ(v->out[ic], s->v6 ? 1 : 3);
	T_EQ(v->out[ic + 1], s->v6 ? 1 : 13);
	T_EQ(vnet_get32(v->out + ic + 4), 0); /* unused */
	T_MEMEQ(v->out + ic + 8, in.b + in.l3, quote);
	if (s->v6)
		T_EQ((uint16_t)~ref_sum(v->out + ic, 8 + quote,
					pseudo_sum(v->out + in.l3, 1, 58,
						   8 + quote)),
		     0);
	else
		T_EQ(ref_csum(v->out + ic, 8 + quote), 0);
	check_zero_pad(v->out, end, v->outlen);
}

static void test_reject_icmp(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	struct spec s = { .from = WEB, .to = DB, .proto = 17, .sport = 5140,
			  .dport = 514, .payload = 100 };
	struct frame f;
	struct verdict v;

	if (!a)
		return;
	/* v4: type 3 code 13 quoting the IP header and 8 bytes (RFC 792). */
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", R_REJ_SYSLOG);
	check_unreach(&s, &v, 28);
	T_EQ(v.outlen, 14 + 20 + 8 + 28);
	/* v6: type 1 code 1 quoting the whole packet when it fits ... */
	s.v6 = 1;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0 + 1, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SYSLOG);
	check_unreach(&s, &v, 40 + 8 + 100);
	/* ... and as much as makes 1280 bytes of IPv6 (RFC 4443 2.4 (c)). */
	s.payload = 1400;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0 + 2, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SYSLOG);
	check_unreach(&s, &v, 1280 - 40 - 8);
	T_EQ(v.outlen, 14 + 1280);
	/* A datagram without payload: the quote is all of it. */
	s = (struct spec){ .from = WEB, .to = DB, .proto = 17, .sport = 1,
			   .dport = 514 };
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0 + 3, &v),
		  VNET_ACT_REJECT, "policy", R_REJ_SYSLOG);
	check_unreach(&s, &v, 28);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 0);
	vnet_acl_free(a);
}

static void test_reject_unanswered(void)
{
	static const char rej_all[] = "reject from any to any\n";
	struct vnet_acl *a = engine(policy_text, 0);
	struct spec s = { .from = WEB, .to = DB, .proto = 6, .sport = 40000,
			  .dport = 22, .flags = VNET_TCP_SYN };
	struct frame f;
	struct verdict v;

	if (!a)
		return;
	/* Not to a broadcast frame. */
	s.dmac = bcast;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", R_REJ_SSH);
	T_EQ(v.outlen, 0);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 1);
	/* No answer buffer: the verdict alone, nothing counted. */
	s.dmac = NULL;
	build(&f, &s);
	T_EQ(vnet_acl_frame(a, VNET_EGRESS, f.b, f.len, T0, NULL, NULL, NULL,
			    NULL),
	     VNET_ACT_REJECT);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 1);
	vnet_acl_free(a);

	/* Never to an ICMP error or a later fragment. */
	if (!(a = engine(rej_all, 0)))
		return;
	s = (struct spec){ .from = WEB, .to = DB, .proto = 1, .type = 3,
			   .code = 3, .payload = 28 };
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", 0);
	T_EQ(v.outlen, 0);
	s = (struct spec){ .from = WEB, .to = DB, .proto = 17, .frag = 1,
			   .frag_off = 100, .id = 9, .payload = 40 };
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", 0);
	T_EQ(v.outlen, 0);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 2);
	/* The first fragment is answered. */
	s.frag_off = 0;
	s.more = 1;
	s.sport = 7;
	s.dport = 9;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", 0);
	check_unreach(&s, &v, 28);
	vnet_acl_free(a);

	/* --explain builds no answers and counts none unsendable. */
	if (!(a = engine(policy_text, 1)))
		return;
	s = (struct spec){ .from = WEB, .to = DB, .proto = 6, .sport = 40000,
			   .dport = 22, .flags = VNET_TCP_SYN };
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &s), T0, &v), VNET_ACT_REJECT,
		  "policy", R_REJ_SSH);
	T_EQ(v.outlen, 0);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 0);
	vnet_acl_free(a);
}

/* 200 answers at once, then 100 a second. */
static void test_reject_rate_limit(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	struct spec s = { .from = WEB, .to = DB, .proto = 6, .sport = 40000,
			  .dport = 22, .flags = VNET_TCP_SYN };
	struct frame f;
	struct verdict v;
	unsigned i, answered = 0;

	if (!a)
		return;
	build(&f, &s);
	for (i = 0; i < 250; i++)
		answered += run(a, VNET_EGRESS, &f, T0, &v)->outlen == 60;
	T_EQ(answered, 200);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 50);
	/* 20 ms later: two more. */
	answered = 0;
	for (i = 0; i < 5; i++)
		answered += run(a, VNET_EGRESS, &f, T0 + 20000000, &v)
				    ->outlen == 60;
	T_EQ(answered, 2);
	T_EQ(ctr(a, VNET_ACL_REJECT_UNSENDABLE), 53);
	/* Every one of them was a reject all the same. */
	T_EQ(ctr(a, VNET_ACL_DROP_POLICY), 255);
	vnet_acl_free(a);
}

static void test_fragments(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	struct spec first = { .from = WEB, .to = DB, .proto = 17,
			      .sport = 33333, .dport = 53, .payload = 1000,
			      .id = 0x1234, .frag = 1, .more = 1 };
	struct spec later = first;
	struct frame f;
	struct verdict v;
	int v6;

	if (!a)
		return;
	later.more = 0;
	later.frag_off = 126; /* 1008 bytes in */
	later.payload = 200;
	for (v6 = 0; v6 <= 1; v6++) {
		uint64_t t = T0 + (uint64_t)v6 * 100 * SEC;

		first.v6 = later.v6 = v6;
		/* A later fragment before its first: no ports to decide on. */
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), t, &v),
			  VNET_ACT_DENY, "default", R_DEFAULT);
		/* The first one opens; the later ones follow its verdict. */
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &first), t, &v),
			  VNET_ACT_ALLOW, "new", R_DNS);
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), t + 1, &v),
			  VNET_ACT_ALLOW, "established", R_DNS);
		/* The same offset of another packet does not. */
		later.id = 0x4321;
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), t + 2, &v),
			  VNET_ACT_DENY, "default", R_DEFAULT);
		later.id = first.id;
		/* 30 s, as the kernel's ipfrag_time: still, then gone. */
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), t + 30 * SEC,
			      &v),
			  VNET_ACT_ALLOW, "established", R_DNS);
		T_VERDICT(run(a, VNET_EGRESS, build(&f, &later),
			      t + 30 * SEC + 1, &v),
			  VNET_ACT_DENY, "default", R_DEFAULT);
	}
	T_EQ(ctr(a, VNET_ACL_ALLOWED_NEW), 2);
	T_EQ(ctr(a, VNET_ACL_DROP_DEFAULT), 6);
	T_EQ(vnet_acl_rule_stats(a, R_DNS)->packets, 6);

	/* RFC 1858 3.2: a TCP fragment at offset 8 bytes could rewrite the
	 * flags; it is decided as a packet of its own. */
	first = (struct spec){ .from = WEB, .to = DB, .proto = 6,
			       .sport = 40000, .dport = 5432,
			       .flags = VNET_TCP_SYN, .id = 77, .frag = 1,
			       .more = 1 };
	later = first;
	later.frag_off = 1;
	later.payload = 16;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &first), T0 + 240 * SEC, &v),
		  VNET_ACT_ALLOW, "new", R_PG);
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), T0 + 240 * SEC, &v),
		  VNET_ACT_DENY, "default", R_DEFAULT);
	later.frag_off = 2;
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), T0 + 240 * SEC, &v),
		  VNET_ACT_ALLOW, "established", R_PG);
	/* A reload forgets the first fragments seen. */
	T_EQ(vnet_acl_replace_policy(a, parse(policy_text)), 0);
	T_VERDICT(run(a, VNET_EGRESS, build(&f, &later), T0 + 240 * SEC, &v),
		  VNET_ACT_DENY, "default", R_DEFAULT);
	vnet_acl_free(a);
}

static void check_l2(struct vnet_acl *a, int arp, int nd, int other)
{
	struct frame f;
	struct verdict v;

	/* An ARP request. */
	memset(&f, 0, sizeof(f));
	memcpy(f.b, bcast, 6);
	memcpy(f.b + 6, hosts[WEB].mac, 6);
	vnet_put16(f.b + 12, VNET_ETH_P_ARP);
	memcpy(f.b + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(f.b + 22, hosts[WEB].mac, 6);
	set_addr(f.b + 28, WEB, 0);
	set_addr(f.b + 38, DB, 0);
	f.len = 60;
	T_VERDICT(run(a, VNET_EGRESS, &f, T0, &v), arp, "arp", -1);
	/* LLDP. */
	vnet_put16(f.b + 12, 0x88cc);
	T_VERDICT(run(a, VNET_EGRESS, &f, T0, &v), other, "other", -1);
	/* A neighbour solicitation. */
	build(&f, &(struct spec){ .from = WEB, .to = DB, .v6 = 1, .proto = 58,
				  .type = 135, .payload = 16 });
	T_VERDICT(run(a, VNET_EGRESS, &f, T0, &v), nd, "nd", -1);
	/* Cut inside the IPv6 header. */
	f.len = 30;
	T_VERDICT(run(a, VNET_EGRESS, &f, T0, &v), VNET_ACT_DENY, "malformed",
		  -1);
	T_EQ(ctr(a, VNET_ACL_DROP_MALFORMED), 1);
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 0);
}

/* ARP, ND and other frames follow their settings, untracked. */
static void test_l2(void)
{
	struct vnet_acl *a = engine(policy_text, 0);

	if (!a)
		return;
	check_l2(a, VNET_ACT_ALLOW, VNET_ACT_ALLOW, VNET_ACT_DENY);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_ARP), 1);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_ND), 1);
	T_EQ(ctr(a, VNET_ACL_DROP_OTHER), 1);
	T_EQ(ctr(a, VNET_ACL_PASSED_EGRESS), 2);
	vnet_acl_free(a);
	if (!(a = engine("arp deny\nnd deny\nother allow\n", 0)))
		return;
	check_l2(a, VNET_ACT_DENY, VNET_ACT_DENY, VNET_ACT_ALLOW);
	T_EQ(ctr(a, VNET_ACL_DROP_ARP), 1);
	T_EQ(ctr(a, VNET_ACL_DROP_ND), 1);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_OTHER), 1);
	T_EQ(ctr(a, VNET_ACL_PASSED_EGRESS), 1);
	vnet_acl_free(a);
}

/* An ICMP error quoting a tracked connection passes as related. */
static void test_related(void)
{
	struct vnet_acl *a = engine(policy_text, 0);
	struct frame f, q;
	struct verdict v;

	if (!a)
		return;
	build(&q, &(struct spec){ .from = WEB, .to = DB, .proto = 17,
				  .sport = 33333, .dport = 53,
				  .payload = 10 });
	T_VERDICT(run(a, VNET_EGRESS, &q, T0, &v), VNET_ACT_ALLOW, "new",
		  R_DNS);
	build(&f, &(struct spec){ .from = DB, .to = WEB, .proto = 1,
				  .type = 3, .code = 3, .payload = 28 });
	memcpy(f.b + f.l4 + 8, q.b + q.l3, 28);
	T_VERDICT(run(a, VNET_INGRESS, &f, T0 + 1, &v), VNET_ACT_ALLOW,
		  "related", R_DNS);
	/* The same error about another port is an ICMP error of its own:
	 * no rule lets db send it. */
	vnet_put16(f.b + f.l4 + 8 + 20, 33334);
	T_VERDICT(run(a, VNET_INGRESS, &f, T0 + 2, &v), VNET_ACT_DENY,
		  "default", R_DEFAULT);
	T_EQ(ctr(a, VNET_ACL_ALLOWED_RELATED), 1);
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 1);
	vnet_acl_free(a);
}

/* The text vnet_acl_print_counters() writes. */
static char *counters(struct vnet_acl *a)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f) {
		T_FAIL("open_memstream: %s", strerror(errno));
		return NULL;
	}
	vnet_acl_print_counters(a, f);
	fclose(f);
	return buf;
}

/* Whether the counters text has the line exactly. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, line, n) && p[n] == '\n')
			return 1;
	return 0;
}

#define T_LINE(text, line)                                                 \
	do {                                                               \
		if (!has_line(text, line))                                 \
			T_FAIL("no line \"%s\"", line);                    \
	} while (0)

static void test_counters_and_reload(void)
{
	/* db may no longer answer DNS; the TCP rule moves to id 1. */
	static const char reloaded[] =
		"workload web1 mac 02:00:00:00:00:01 ip 198.18.1.1 "
		"label app=web\n"
		"workload db1 mac 02:00:00:00:00:02 ip 198.18.1.2 "
		"label app=db\n"
		"group web label app=web\n"
		"group db label app=db\n"
		"deny from web to db proto udp port 53\n"
		"allow from web to db proto tcp port 5432\n"
		"default deny\n";
	struct vnet_acl *a = engine(policy_text, 0);
	struct frame syn, synack, dns, deny;
	char *text, line[64];
	struct verdict v;
	unsigned lines = 0;
	const char *p;

	if (!a)
		return;
	build(&syn, &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				    .sport = 40000, .dport = 5432,
				    .flags = VNET_TCP_SYN, .payload = 6 });
	build(&synack, &(struct spec){ .from = DB, .to = WEB, .proto = 6,
				       .sport = 5432, .dport = 40000,
				       .flags = VNET_TCP_SYN | VNET_TCP_ACK,
				       .ack = 7 });
	build(&dns, &(struct spec){ .from = WEB, .to = DB, .proto = 17,
				    .sport = 33333, .dport = 53 });
	build(&deny, &(struct spec){ .from = WEB, .to = DB, .proto = 6,
				     .sport = 40001, .dport = 23,
				     .flags = VNET_TCP_SYN });
	run(a, VNET_EGRESS, &syn, T0, &v);
	run(a, VNET_INGRESS, &synack, T0 + 1, &v);
	run(a, VNET_EGRESS, &dns, T0 + 2, &v);
	run(a, VNET_EGRESS, &deny, T0 + 3, &v);
	run(a, VNET_EGRESS, &deny, T0 + 4, &v);
	vnet_acl_count(a, VNET_ACL_REJECTS_SENT, 5);

	if (!(text = counters(a)))
		goto out;
	for (p = text; (p = strchr(p, '\n')); p++)
		lines++;
	/* Every counter, then 3 lines for each of the 7 rules. */
	T_EQ(lines, VNET_ACL_CTR_MAX + 3 * 7);
	T_ASSERT(!strncmp(text, "frames_egress\t4\nframes_ingress\t1\n",
			  strlen("frames_egress\t4\nframes_ingress\t1\n")));
	T_LINE(text, "passed_egress\t2");
	T_LINE(text, "allowed_new\t2");
	T_LINE(text, "allowed_established\t1");
	T_LINE(text, "drop_policy\t2");
	T_LINE(text, "rejects_sent\t5");
	T_LINE(text, "ct_entries\t2");
	T_LINE(text, "ct_created\t2");
	T_LINE(text, "policy_generation\t1");
	T_LINE(text, "rule:test.policy:7:packets\t2");
	snprintf(line, sizeof(line), "rule:test.policy:7:bytes\t%zu",
		 syn.len + synack.len);
	T_LINE(text, line);
	T_LINE(text, "rule:test.policy:7:conns\t1");
	T_LINE(text, "rule:test.policy:8:packets\t1");
	T_LINE(text, "rule:test.policy:8:bytes\t42");
	T_LINE(text, "rule:test.policy:11:packets\t2");
	T_LINE(text, "rule:test.policy:11:conns\t0");
	T_LINE(text, "rule:test.policy:12:packets\t0");
	T_LINE(text, "rule:default:packets\t0");
	free(text);

	/* Reload: the DNS connection is revoked, the TCP one stays under
	 * its new rule, the per-rule counters start again. */
	T_EQ(vnet_acl_replace_policy(a, parse(reloaded)), 1);
	T_EQ(vnet_acl_generation(a), 2);
	T_EQ(ctr(a, VNET_ACL_RELOADS), 1);
	T_EQ(ctr(a, VNET_ACL_CT_REVOKED), 1);
	T_EQ(ctr(a, VNET_ACL_CT_ENTRIES), 1);
	T_EQ(vnet_acl_rule_stats(a, 1)->packets, 0);
	T_ASSERT(vnet_acl_rule_stats(a, 3) != NULL); /* builtin default */
	T_ASSERT(vnet_acl_rule_stats(a, 4) == NULL);
	T_VERDICT(run(a, VNET_INGRESS, &synack, T0 + 5, &v), VNET_ACT_ALLOW,
		  "reply", 1);
	T_EQ(vnet_acl_rule_stats(a, 1)->packets, 1);
	T_VERDICT(run(a, VNET_EGRESS, &dns, T0 + 6, &v), VNET_ACT_DENY,
		  "policy", 0);
	if (!(text = counters(a)))
		goto out;
	T_LINE(text, "policy_generation\t2");
	T_LINE(text, "rule:test.policy:5:packets\t1");
	T_LINE(text, "rule:test.policy:5:bytes\t42");
	snprintf(line, sizeof(line), "rule:test.policy:6:bytes\t%zu",
		 synack.len);
	T_LINE(text, line);
	T_LINE(text, "rule:test.policy:6:conns\t0");
	free(text);
out:
	vnet_acl_free(a);
}

int main(void)
{
	T_RUN(test_new_and_return_traffic);
	T_RUN(test_denied_from_the_other_side);
	T_RUN(test_reject_tcp_rst);
	T_RUN(test_reject_icmp);
	T_RUN(test_reject_unanswered);
	T_RUN(test_reject_rate_limit);
	T_RUN(test_fragments);
	T_RUN(test_related);
	T_RUN(test_l2);
	T_RUN(test_counters_and_reload);
	return T_DONE();
}
