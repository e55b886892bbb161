/* SPDX-License-Identifier: ISC */
/* test_policy.c -- unit tests of the vnet-acl policy language (cmd/vnet-acl/policy.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "taddr.h"
#include "vnet-acl/policy.h"

/* ------------------------------------------------------------------ */
/* Helpers.                                                            */

static struct vnet_policy *parse(const char *txt)
{
	struct vnet_err err;
	struct vnet_policy *p;

	p = vnet_policy_parse(txt, strlen(txt), "t.policy", NULL, &err);
	if (!p)
		T_FAIL("parse failed: %s:%u: %s", err.obj, err.line, err.msg);
	return p;
}

/* The error of a policy that must not parse, as "FILE:LINE: msg". */
static const char *parse_err(const char *txt)
{
	static char out[VNET_ERR_STRLEN];
	struct vnet_err err;
	struct vnet_policy *p;

	p = vnet_policy_parse(txt, strlen(txt), "t.policy", NULL, &err);
	if (p) {
		vnet_policy_free(p);
		return "(parsed)";
	}
	snprintf(out, sizeof(out), "%s:%u: %s", err.obj, err.line, err.msg);
	return out;
}

/* A query for proto between two addresses, segment 0, egress. */
static struct vnet_policy_query qry(const char *src, const char *dst,
				    uint8_t proto, uint16_t dport)
{
	struct vnet_policy_query q;

	memset(&q, 0, sizeof(q));
	q.has_ip = 1;
	q.saddr = ip(src);
	q.daddr = ip(dst);
	q.proto = proto;
	q.dport = dport;
	q.sport = 40000;
	return q;
}

/* "FILE:LINE" of the deciding rule. */
static const char *where(const struct vnet_policy *p,
			 const struct vnet_policy_query *q)
{
	static char out[300];
	const struct vnet_rule *r = vnet_policy_match(p, q);

	snprintf(out, sizeof(out), "%s:%u", r->file, r->line);
	return out;
}

static const char *act_of(const struct vnet_policy *p,
			  const struct vnet_policy_query *q)
{
	return vnet_policy_act_name(vnet_policy_match(p, q)->act);
}

/* ------------------------------------------------------------------ */
/* The reference: a model of a policy, its text, and a linear
 * first-match evaluation written independently of cmd/vnet-acl/policy.c.       */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

enum { M_MAC, M_WORKLOAD, M_LABEL, M_PREFIX, M_GROUP, M_SEGMENT, M_NKIND };

static const char *const m_labels[] = {"app=web", "app=db", "app=api",
				       "tier=1",  "tier=2", "env=prod"};
#define M_NLABELS 6

struct m_range {
	int lo, hi;
};

struct m_wl {
	int has_mac;
	uint8_t mac[6];
	struct vnet_addr ip[3];
	int nip;
	int lab[3];
	int nlab;
};

struct m_sel {
	int kind;
	uint8_t mac[6];
	struct vnet_addr a;
	int plen;
	struct m_range seg;
	int id;
};

struct m_line {
	int gid; /* 1.. */
	struct m_sel sel[5];
	int nsel;
};

struct m_rule {
	int act, dir; /* dir 2: both */
	struct m_range seg[3];
	int nseg;
	int from, to; /* 0: any */
	int proto;    /* -1: any */
	struct m_range port[3], sport[2];
	int nport, nsport;
	int type[3], code[3]; /* code -1: any */
	int ntype;
	int log, reserve;
	unsigned line;
};

struct m_def {
	int act;
	struct m_range seg[2];
	int nseg;
	unsigned line;
};

#define M_MAXWL	  40
#define M_MAXLINE 60
#define M_MAXRULE 400
#define M_MAXDEF  6

struct model {
	struct m_wl wl[M_MAXWL];
	int nwl;
	struct m_line line[M_MAXLINE];
	int nline, ngroups;
	struct m_rule rule[M_MAXRULE];
	int nrule;
	struct m_def def[M_MAXDEF];
	int ndef;
};

static const int m_segs[] = {0, 1, 2, 100, 4095};
static const int m_ports[] = {0,    22,	  53,	80,   81,   443,  999,
			      1000, 1500, 2000, 2001, 8080, 65535};

static void rand_addr(struct vnet_addr *a, int v6)
{
	memset(a, 0, sizeof(*a));
	if (v6) {
		a->family = AF_INET6;
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
		a->b[7] = (uint8_t)rnd(3);
		a->b[15] = (uint8_t)rnd(16);
	} else {
		a->family = AF_INET;
		a->b[0] = 198;
		a->b[1] = (uint8_t)(18 + rnd(2));
		a->b[2] = (uint8_t)rnd(3);
		a->b[3] = (uint8_t)rnd(16);
	}
}

static void rand_mac(uint8_t mac[6])
{
	mac[0] = 2;
	mac[1] = mac[2] = mac[3] = 0;
	mac[4] = (uint8_t)rnd(2);
	mac[5] = (uint8_t)rnd(64);
}

static int m_mac_used(const struct model *m, const uint8_t *mac)
{
	int i;

	for (i = 0; i < m->nwl; i++)
		if (m->wl[i].has_mac && !memcmp(m->wl[i].mac, mac, 6))
			return 1;
	return 0;
}

static int m_ip_used(const struct model *m, const struct vnet_addr *a)
{
	int i, j;

	/* Including the workload being made, m->wl[m->nwl]. */
	for (i = 0; i <= m->nwl && i < M_MAXWL; i++)
		for (j = 0; j < m->wl[i].nip; j++)
			if (vnet_addr_eq(&m->wl[i].ip[j], a))
				return 1;
	return 0;
}

static void mask(struct vnet_addr *a, int plen)
{
	int i;

	for (i = 0; i < 16; i++) {
		int keep = plen > i * 8 ? plen - i * 8 : 0;

		if (keep < 8)
			a->b[i] &= (uint8_t)(0xff00 >> keep);
	}
}

static void rand_ranges(struct m_range *r, int *n, int max, const int *vals,
			int nvals, int maxn)
{
	int i;

	*n = 1 + (int)rnd((uint32_t)maxn);
	for (i = 0; i < *n; i++) {
		r[i].lo = vals[rnd((uint32_t)nvals)];
		r[i].hi = r[i].lo;
		if (rnd(3) == 0) {
			r[i].hi = r[i].lo + (int)rnd(1200);
			if (r[i].hi > max)
				r[i].hi = max;
		}
	}
}

static void model_random(struct model *m, int nwl, int nline, int nrule)
{
	int i, j, sealed[M_MAXLINE + 1];
	int segvals[5];

	memcpy(segvals, m_segs, sizeof(segvals));
	memset(m, 0, sizeof(*m));
	memset(sealed, 0, sizeof(sealed));
	for (i = 0; i < nwl; i++) {
		struct m_wl *w = &m->wl[m->nwl];

		memset(w, 0, sizeof(*w));
		if (rnd(4)) {
			rand_mac(w->mac);
			w->has_mac = !m_mac_used(m, w->mac);
		}
		for (j = (int)rnd(3); j > 0; j--) {
			rand_addr(&w->ip[w->nip], rnd(3) == 0);
			if (!m_ip_used(m, &w->ip[w->nip]))
				w->nip++;
		}
		for (j = (int)rnd(4); j > 0; j--)
			w->lab[w->nlab++] = (int)rnd(M_NLABELS);
		if (!w->has_mac && !w->nip && !w->nlab)
			w->lab[w->nlab++] = (int)rnd(M_NLABELS);
		m->nwl++;
	}
	for (i = 0; i < nline; i++) {
		struct m_line *l = &m->line[m->nline];
		int unsealed[M_MAXLINE + 1], nu = 0, g;

		for (g = 1; g <= m->ngroups; g++)
			if (!sealed[g])
				unsealed[nu++] = g;
		if (!nu || rnd(2))
			l->gid = ++m->ngroups;
		else
			l->gid = unsealed[rnd((uint32_t)nu)];
		l->nsel = 1 + (int)rnd(4);
		for (j = 0; j < l->nsel; j++) {
			struct m_sel *s = &l->sel[j];

			memset(s, 0, sizeof(*s));
			s->kind = (int)rnd(M_NKIND);
			switch (s->kind) {
			case M_MAC:
				if (m->nwl && rnd(2) &&
				    m->wl[rnd((uint32_t)m->nwl)].has_mac)
					memcpy(s->mac,
					       m->wl[rnd((uint32_t)m->nwl)].mac,
					       6);
				else
					rand_mac(s->mac);
				break;
			case M_WORKLOAD:
				if (!m->nwl) {
					s->kind = M_LABEL;
					s->id = (int)rnd(M_NLABELS);
					break;
				}
				s->id = (int)rnd((uint32_t)m->nwl);
				break;
			case M_LABEL:
				s->id = (int)rnd(M_NLABELS);
				break;
			case M_PREFIX: {
				static const int l4[] = {0,  8,	 15, 16, 23,
							 24, 28, 30, 32};
				static const int l6[] = {0,   32,  48, 64,
							 120, 124, 128};
				int v6 = rnd(3) == 0;

				rand_addr(&s->a, v6);
				s->plen = v6 ? l6[rnd(7)] : l4[rnd(9)];
				mask(&s->a, s->plen);
				break;
			}
			case M_GROUP:
				/* An earlier group other than this one, or any.
				 */
				s->id = (int)rnd((uint32_t)m->ngroups + 1);
				if (s->id == l->gid)
					s->id = 0;
				if (s->id)
					sealed[s->id] = 1;
				break;
			case M_SEGMENT:
				s->seg.lo = m_segs[rnd(5)];
				s->seg.hi = rnd(3) ? s->seg.lo
						   : s->seg.lo + (int)rnd(200);
				if (s->seg.hi > 4095)
					s->seg.hi = 4095;
				break;
			}
		}
		/* A group referenced by this line must not be this line's
		 * group (self reference); a new group may only reference
		 * groups already made. */
		for (j = 0; j < l->nsel; j++)
			if (l->sel[j].kind == M_GROUP && l->sel[j].id >= l->gid)
				l->sel[j].id = 0;
		m->nline++;
	}
	for (i = 0; i < nrule; i++) {
		struct m_rule *r = &m->rule[m->nrule++];
		static const int protos[] = {-1, -1, 6, 6, 6, 17, 1, 58, 47};

		memset(r, 0, sizeof(*r));
		r->act = (int)rnd(3);
		r->dir = (int)rnd(4);
		if (r->dir == 3)
			r->dir = 2;
		if (rnd(4) == 0)
			rand_ranges(r->seg, &r->nseg, 4095, m_segs, 5, 3);
		r->from = rnd(4) == 0 ? 0 : 1 + (int)rnd((uint32_t)m->ngroups);
		r->to = rnd(4) == 0 ? 0 : 1 + (int)rnd((uint32_t)m->ngroups);
		r->proto = protos[rnd(9)];
		if ((r->proto == 6 || r->proto == 17) && rnd(3))
			rand_ranges(r->port, &r->nport, 65535, m_ports, 13, 3);
		if ((r->proto == 6 || r->proto == 17) && rnd(6) == 0)
			rand_ranges(r->sport, &r->nsport, 65535, m_ports, 13,
				    2);
		if ((r->proto == 1 || r->proto == 58) && rnd(2)) {
			static const int t4[] = {0, 3, 8, 11},
					 t6[] = {1, 2, 128, 129};

			r->ntype = 1 + (int)rnd(3);
			for (j = 0; j < r->ntype; j++) {
				r->type[j] =
				    r->proto == 1 ? t4[rnd(4)] : t6[rnd(4)];
				r->code[j] = rnd(2) ? -1 : (int)rnd(3);
			}
		}
		r->log = rnd(5) == 0;
		r->reserve = r->act == 0 && rnd(5) == 0;
	}
	m->ndef = (int)rnd(M_MAXDEF + 1);
	for (i = 0; i < m->ndef; i++) {
		m->def[i].act = (int)rnd(3);
		m->def[i].nseg = 0;
		if (rnd(3))
			rand_ranges(m->def[i].seg, &m->def[i].nseg, 4095,
				    m_segs, 5, 2);
	}
}

static char *model_text(struct model *m)
{
	size_t cap = 1 << 20, n = 0;
	char *t = malloc(cap), abuf[VNET_ADDRSTRLEN], mbuf[VNET_MACSTRLEN];
	unsigned line = 1;
	int i, j, k;
	static const char *const acts[] = {"allow", "deny", "reject"};
	static const char *const dirs[] = {"egress ", "ingress ", ""};

#define OUT(...) (n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__))
	OUT("# generated\n");
	line++;
	for (i = 0; i < m->nwl; i++, line++) {
		struct m_wl *w = &m->wl[i];

		OUT("workload w%d", i);
		if (w->has_mac)
			OUT(" mac %s", vnet_mac_fmt(w->mac, mbuf));
		for (j = 0; j < w->nip; j++)
			OUT(" ip %s", vnet_addr_fmt(&w->ip[j], abuf));
		for (j = 0; j < w->nlab; j++)
			OUT("\tlabel  %s", m_labels[w->lab[j]]);
		OUT("\n");
	}
	for (i = 0; i < m->nline; i++, line++) {
		struct m_line *l = &m->line[i];

		OUT("group g%d", l->gid);
		for (j = 0; j < l->nsel; j++) {
			struct m_sel *s = &l->sel[j];

			switch (s->kind) {
			case M_MAC:
				OUT(" mac %s", vnet_mac_fmt(s->mac, mbuf));
				break;
			case M_WORKLOAD:
				OUT(" workload w%d", s->id);
				break;
			case M_LABEL:
				OUT(" label %s", m_labels[s->id]);
				break;
			case M_PREFIX:
				OUT(" prefix %s/%d", vnet_addr_fmt(&s->a, abuf),
				    s->plen);
				break;
			case M_GROUP:
				if (s->id)
					OUT(" group g%d", s->id);
				else
					OUT(" group any");
				break;
			case M_SEGMENT:
				if (s->seg.lo == s->seg.hi)
					OUT(" segment %d", s->seg.lo);
				else
					OUT(" segment %d-%d", s->seg.lo,
					    s->seg.hi);
				break;
			}
		}
		OUT("   # line %d\n", i);
	}
	/* Defaults interleave with the rules; their ids come after. */
	for (i = 0, k = 0; i < m->nrule || k < m->ndef;) {
		if (k < m->ndef && (i == m->nrule || rnd(8) == 0)) {
			struct m_def *df = &m->def[k++];

			df->line = line++;
			OUT("default");
			for (j = 0; j < df->nseg; j++)
				OUT("%s%d-%d", j ? "," : " segment ",
				    df->seg[j].lo, df->seg[j].hi);
			OUT(" %s\n", acts[df->act]);
			continue;
		}
		{
			struct m_rule *r = &m->rule[i];

			r->line = line;
			OUT("%s %s", acts[r->act], dirs[r->dir]);
			for (j = 0; j < r->nseg; j++)
				OUT("%s%d-%d", j ? "," : "segment ",
				    r->seg[j].lo, r->seg[j].hi);
			if (r->nseg)
				OUT(" ");
			if (r->from)
				OUT("from g%d", r->from);
			else
				OUT("from any");
			/* A continuation now and then. */
			if (rnd(8) == 0) {
				OUT(" \\\n   ");
				line++;
			}
			if (r->to)
				OUT(" to g%d", r->to);
			else
				OUT(" to any");
			if (r->proto >= 0) {
				if (r->proto == 6 && rnd(2))
					OUT(" proto tcp");
				else if (r->proto == 58)
					OUT(" proto icmp6");
				else
					OUT(" proto %d", r->proto);
			} else if (rnd(2)) {
				OUT(" proto any");
			}
			for (j = 0; j < r->nport; j++)
				OUT("%s%d-%d", j ? "," : " port ",
				    r->port[j].lo, r->port[j].hi);
			for (j = 0; j < r->nsport; j++)
				OUT("%s%d-%d", j ? "," : " sport ",
				    r->sport[j].lo, r->sport[j].hi);
			for (j = 0; j < r->ntype; j++) {
				OUT("%s%d", j ? "," : " type ", r->type[j]);
				if (r->code[j] >= 0)
					OUT("/%d", r->code[j]);
			}
			if (r->log)
				OUT(" log");
			if (r->reserve)
				OUT(" reserve");
			OUT("\n");
			line++;
			i++;
		}
	}
#undef OUT
	return t;
}

struct m_ep {
	const uint8_t *mac;
	const struct vnet_addr *a;
	int seg;
};

static int m_wl_of(const struct model *m, const struct m_ep *e, int w)
{
	int j;

	if (e->mac && m->wl[w].has_mac && !memcmp(m->wl[w].mac, e->mac, 6))
		return 1;
	for (j = 0; e->a && j < m->wl[w].nip; j++)
		if (vnet_addr_eq(&m->wl[w].ip[j], e->a))
			return 1;
	return 0;
}

static int m_member(const struct model *m, const struct m_ep *e, int g);

static int m_sel(const struct model *m, const struct m_ep *e,
		 const struct m_sel *s)
{
	int w, j;

	switch (s->kind) {
	case M_MAC:
		return e->mac && !memcmp(e->mac, s->mac, 6);
	case M_WORKLOAD:
		return m_wl_of(m, e, s->id);
	case M_LABEL:
		for (w = 0; w < m->nwl; w++)
			if (m_wl_of(m, e, w))
				for (j = 0; j < m->wl[w].nlab; j++)
					if (m->wl[w].lab[j] == s->id)
						return 1;
		return 0;
	case M_PREFIX: {
		struct vnet_addr a;

		if (!e->a || e->a->family != s->a.family)
			return 0;
		a = *e->a;
		mask(&a, s->plen);
		return vnet_addr_eq(&a, &s->a);
	}
	case M_GROUP:
		return m_member(m, e, s->id);
	default:
		return e->seg >= s->seg.lo && e->seg <= s->seg.hi;
	}
}

static int m_member(const struct model *m, const struct m_ep *e, int g)
{
	int i, j, k, ok, any;

	if (g == 0)
		return 1;
	for (i = 0; i < m->nline; i++) {
		const struct m_line *l = &m->line[i];

		if (l->gid != g)
			continue;
		ok = 1;
		for (k = 0; k < M_NKIND && ok; k++) {
			int present = 0;

			any = 0;
			for (j = 0; j < l->nsel; j++) {
				if (l->sel[j].kind != k)
					continue;
				present = 1;
				if (m_sel(m, e, &l->sel[j]))
					any = 1;
			}
			if (present && !any)
				ok = 0;
		}
		if (ok)
			return 1;
	}
	return 0;
}

static int m_in(const struct m_range *r, int n, int v)
{
	int i;

	for (i = 0; i < n; i++)
		if (v >= r[i].lo && v <= r[i].hi)
			return 1;
	return 0;
}

/* Linear first match; the rule index, or -1 - default index (-1 - ndef
 * for the builtin). */
static int m_match(const struct model *m, const struct vnet_policy_query *q)
{
	struct m_ep src = {q->smac, NULL, q->segment};
	struct m_ep dst = {q->dmac, NULL, q->segment};
	int i, j, d;

	if (q->has_ip) {
		src.a = &q->saddr;
		dst.a = &q->daddr;
	}
	for (i = 0; i < m->nrule; i++) {
		const struct m_rule *r = &m->rule[i];

		if (r->dir != 2 && r->dir != q->dir)
			continue;
		if (r->nseg && !m_in(r->seg, r->nseg, q->segment))
			continue;
		if (r->proto >= 0 && (!q->has_ip || r->proto != q->proto))
			continue;
		if (r->nport && !m_in(r->port, r->nport, q->dport))
			continue;
		if (r->nsport && !m_in(r->sport, r->nsport, q->sport))
			continue;
		if (r->ntype) {
			int ok = 0;

			for (j = 0; j < r->ntype; j++)
				if (r->type[j] == q->icmp_type &&
				    (r->code[j] < 0 ||
				     r->code[j] == q->icmp_code))
					ok = 1;
			if (!ok)
				continue;
		}
		if (!m_member(m, &src, r->from) || !m_member(m, &dst, r->to))
			continue;
		return i;
	}
	/* Defaults: last covering segment default, else last plain one. */
	for (d = m->ndef - 1; d >= 0; d--)
		if (m->def[d].nseg &&
		    m_in(m->def[d].seg, m->def[d].nseg, q->segment))
			return -1 - d;
	for (d = m->ndef - 1; d >= 0; d--)
		if (!m->def[d].nseg)
			return -1 - d;
	return -1 - m->ndef;
}

static void rand_endpoint(const struct model *m, const uint8_t **mac,
			  uint8_t *macbuf, struct vnet_addr *a, int v6)
{
	const struct m_wl *w = m->nwl ? &m->wl[rnd((uint32_t)m->nwl)] : NULL;
	int k = (int)rnd(5);

	*mac = NULL;
	rand_addr(a, v6);
	if (rnd(4)) {
		rand_mac(macbuf);
		*mac = macbuf;
	}
	if (!w)
		return;
	if ((k == 0 || k == 1) && w->has_mac)
		*mac = w->mac;
	if (k == 0 || k == 2) {
		int j;

		for (j = 0; j < w->nip; j++)
			if ((w->ip[j].family == AF_INET6) == v6)
				*a = w->ip[j];
	}
}

static unsigned long n_queries, n_by_rule, n_by_group_rule;

static int check_model(struct model *m, int nq)
{
	struct vnet_policy *p;
	struct vnet_policy_query q;
	struct vnet_err err;
	uint8_t smac[6], dmac[6];
	char *txt = model_text(m);
	int i, bad = 0;
	unsigned g, w, r;

	p = vnet_policy_parse(txt, strlen(txt), "m.policy", NULL, &err);
	if (!p) {
		T_FAIL("model did not parse: %s:%u: %s", err.obj, err.line,
		       err.msg);
		fprintf(stderr, "%s", txt);
		free(txt);
		return 1;
	}
	vnet_policy_summary(p, &g, &w, &r);
	T_EQ(r, m->nrule);
	T_EQ(w, m->nwl);
	T_EQ(vnet_policy_nrules(p), m->nrule + m->ndef + 1);
	for (i = 0; i < nq; i++) {
		const struct vnet_rule *got;
		int want, v6 = rnd(3) == 0;
		unsigned want_id;

		memset(&q, 0, sizeof(q));
		q.has_ip = rnd(10) != 0;
		q.segment = (uint16_t)m_segs[rnd(5)];
		if (rnd(10) == 0)
			q.segment = (uint16_t)rnd(4096);
		q.dir = (int)rnd(2);
		rand_endpoint(m, &q.smac, smac, &q.saddr, v6);
		rand_endpoint(m, &q.dmac, dmac, &q.daddr, v6);
		if (!q.has_ip) {
			memset(&q.saddr, 0, sizeof(q.saddr));
			memset(&q.daddr, 0, sizeof(q.daddr));
		} else {
			static const uint8_t protos[] = {6, 6,	6,  17, 17,
							 1, 58, 47, 50};

			q.proto = protos[rnd(9)];
			if (q.proto == 6 || q.proto == 17) {
				q.dport =
				    (uint16_t)(rnd(4)
						   ? (uint32_t)m_ports[rnd(13)]
						   : rnd(65536));
				q.sport =
				    (uint16_t)(rnd(2)
						   ? (uint32_t)m_ports[rnd(13)]
						   : rnd(65536));
			} else if (q.proto == 1 || q.proto == 58) {
				static const uint8_t t[] = {0, 1,  2,	3,
							    8, 11, 128, 129};

				q.icmp_type = t[rnd(8)];
				q.icmp_code = (uint8_t)rnd(4);
			}
		}
		want = m_match(m, &q);
		n_queries++;
		if (want >= 0) {
			n_by_rule++;
			if (m->rule[want].from || m->rule[want].to)
				n_by_group_rule++;
		}
		want_id = want >= 0 ? (unsigned)want
				    : (unsigned)(m->nrule + (-1 - want));
		got = vnet_policy_match(p, &q);
		if (got->id != want_id) {
			if (bad++ < 5)
				T_FAIL("query %d: got rule %u (%s:%u %s), "
				       "reference %u",
				       i, got->id, got->file, got->line,
				       got->text, want_id);
		} else if (want >= 0) {
			const struct m_rule *mr = &m->rule[want];

			if (got->line != mr->line || (int)got->act != mr->act ||
			    !!(got->flags & VNET_RULE_LOG) != mr->log ||
			    !!(got->flags & VNET_RULE_RESERVE) != mr->reserve)
				if (bad++ < 5)
					T_FAIL("rule %u: line %u act %d flags "
					       "%u, model line %u",
					       got->id, got->line, got->act,
					       got->flags, mr->line);
		} else if (!(got->flags & VNET_RULE_DEFAULT)) {
			if (bad++ < 5)
				T_FAIL("default %u without VNET_RULE_DEFAULT",
				       got->id);
		}
	}
	if (bad) {
		FILE *f = fopen("/tmp/test_policy.failed.policy", "w");

		if (f) {
			fputs(txt, f);
			fclose(f);
		}
		T_FAIL(
		    "%d mismatches (policy in /tmp/test_policy.failed.policy)",
		    bad);
	}
	vnet_policy_free(p);
	free(txt);
	return bad;
}

/* The main correctness test: random policies, random queries, the index
 * against the linear reference. */
static void test_random_vs_reference(void)
{
	static struct model m;
	int k;

	rng_state = 0x5eed1234abcdULL;
	for (k = 0; k < 300; k++) {
		model_random(&m, (int)rnd(M_MAXWL), 1 + (int)rnd(M_MAXLINE),
			     (int)rnd(k < 250 ? 40 : M_MAXRULE));
		if (check_model(&m, 400))
			break;
	}
	printf("# %lu queries, %lu decided by a rule, %lu of them naming a "
	       "group\n",
	       n_queries, n_by_rule, n_by_group_rule);
	/* A test that cannot fail is a defect: most queries must reach
	 * rules, many through groups. */
	T_ASSERT(n_by_rule > n_queries / 4);
	T_ASSERT(n_by_group_rule > n_queries / 20);
}

/* Many rules between one pair of groups that differ in ports only, with
 * nested and overlapping ranges. */
static void test_random_ports_one_pair(void)
{
	static struct model m;
	int k, i;

	rng_state = 0xfeedULL;
	for (k = 0; k < 20; k++) {
		model_random(&m, 10, 6, 0);
		m.nrule = M_MAXRULE;
		for (i = 0; i < m.nrule; i++) {
			struct m_rule *r = &m.rule[i];

			memset(r, 0, sizeof(*r));
			r->act = (int)rnd(3);
			r->dir = 2;
			r->from = 1;
			r->to = 1 + (int)rnd(2);
			r->proto = 6;
			r->nport = 1 + (int)rnd(3);
			for (int j = 0; j < r->nport; j++) {
				r->port[j].lo = (int)rnd(3000);
				r->port[j].hi = r->port[j].lo +
						(rnd(2) ? 0 : (int)rnd(3000));
			}
		}
		if (check_model(&m, 2000))
			break;
	}
}

/* ------------------------------------------------------------------ */
/* Semantics.                                                          */

static void test_first_match_and_defaults(void)
{
	struct vnet_policy *p =
	    parse("group a prefix 198.18.1.0/24\n"
		  "group b prefix 198.18.2.0/24\n"
		  "deny from a to b proto tcp port 22\n"
		  "allow from a to b proto tcp port 1-1024\n"
		  "reject from any to any proto udp\n"
		  "default segment 100-199 allow\n"
		  "default reject\n"
		  "default segment 150 deny log\n");
	struct vnet_policy_query q;
	const struct vnet_rule *r;

	if (!p)
		return;
	q = qry("198.18.1.1", "198.18.2.1", 6, 22);
	T_STREQ(where(p, &q), "t.policy:3");
	T_STREQ(act_of(p, &q), "deny");
	q.dport = 80;
	T_STREQ(where(p, &q), "t.policy:4");
	q.dport = 2000;
	T_STREQ(where(p, &q), "t.policy:7"); /* default reject */
	q.segment = 120;
	T_STREQ(where(p, &q), "t.policy:6");
	T_STREQ(act_of(p, &q), "allow");
	q.segment = 150;
	r = vnet_policy_match(p, &q);
	T_EQ(r->line, 8);
	T_EQ(r->flags, VNET_RULE_DEFAULT | VNET_RULE_LOG);
	T_STREQ(r->text, "default segment 150 deny log");
	q.segment = 200;
	T_STREQ(where(p, &q), "t.policy:7");
	q.proto = 17;
	T_STREQ(where(p, &q), "t.policy:5");
	T_STREQ(act_of(p, &q), "reject");
	T_EQ(vnet_policy_nrules(p), 3 + 3 + 1);
	r = vnet_policy_rule(p, 6);
	T_STREQ(r->file, "(builtin)");
	T_EQ(r->line, 0);
	T_EQ(r->act, VNET_ACT_DENY);
	T_ASSERT(vnet_policy_rule(p, 7) == NULL);
	T_EQ(vnet_policy_default(p, 150)->line, 8);
	T_EQ(vnet_policy_default(p, 0)->line, 7);
	vnet_policy_free(p);

	/* No default at all: the builtin deny. */
	p = parse("allow from any to any proto tcp port 80\n");
	if (!p)
		return;
	q = qry("198.18.1.1", "198.18.2.1", 6, 81);
	r = vnet_policy_match(p, &q);
	T_STREQ(r->file, "(builtin)");
	T_STREQ(r->text, "default deny");
	T_EQ(r->flags, VNET_RULE_DEFAULT);
	T_EQ(r->id, 1);
	vnet_policy_free(p);
}

static void test_arp_nd_other(void)
{
	struct vnet_policy *p = parse("# nothing\n");

	if (p) {
		T_EQ(vnet_policy_arp(p), VNET_ACT_ALLOW);
		T_EQ(vnet_policy_nd(p), VNET_ACT_ALLOW);
		T_EQ(vnet_policy_other(p), VNET_ACT_DENY);
		vnet_policy_free(p);
	}
	p = parse("arp deny\nnd deny\nother allow\n");
	if (p) {
		T_EQ(vnet_policy_arp(p), VNET_ACT_DENY);
		T_EQ(vnet_policy_nd(p), VNET_ACT_DENY);
		T_EQ(vnet_policy_other(p), VNET_ACT_ALLOW);
		vnet_policy_free(p);
	}
	p = parse("arp deny\narp allow\n"); /* the last line wins */
	if (p) {
		T_EQ(vnet_policy_arp(p), VNET_ACT_ALLOW);
		vnet_policy_free(p);
	}
	T_STREQ(parse_err("arp reject\n"),
		"t.policy:1: expected allow or deny after 'arp', got 'reject'");
	T_STREQ(parse_err("nd\n"),
		"t.policy:1: expected allow or deny after 'nd'");
	T_STREQ(parse_err("other deny now\n"), "t.policy:1: unexpected 'now'");
}

static void test_group_semantics(void)
{
	struct vnet_policy *p = parse(
	    "workload web1 mac 02:00:00:00:00:01 ip 198.18.1.1 label app=web\n"
	    "workload web2 ip 198.18.1.2 label app=web label tier=front\n"
	    "workload db1 mac 02:00:00:00:00:03 label app=db\n"
	    /* same kind ORed, different kinds ANDed */
	    "group web100 label app=web label app=api segment 100\n"
	    /* several lines ORed */
	    "group two workload web2\n"
	    "group two mac 02:00:00:00:00:03\n"
	    /* reference */
	    "group either group web100 group two\n"
	    "group front group either label tier=front\n"
	    "allow from front to any proto tcp port 1\n"
	    "allow from web100 to any proto tcp port 2\n"
	    "allow from two to any proto tcp port 3\n"
	    "allow from either to any proto tcp port 4\n"
	    "allow from any to two proto tcp port 5\n");
	struct vnet_policy_query q;
	uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m3[6] = {2, 0, 0, 0, 0, 3};
	uint8_t other[6] = {2, 0, 0, 0, 0, 9};

	if (!p)
		return;
	/* web1 by address, segment 0: not web100, not two. */
	q = qry("198.18.1.1", "198.18.9.9", 6, 2);
	T_STREQ(act_of(p, &q), "deny");
	q.segment = 100;
	T_STREQ(where(p, &q), "t.policy:10");
	/* web1 by MAC alone (address unknown) */
	q = qry("198.18.7.7", "198.18.9.9", 6, 2);
	q.segment = 100;
	q.smac = m1;
	T_STREQ(where(p, &q), "t.policy:10");
	q.smac = other;
	T_STREQ(act_of(p, &q), "deny");
	/* web2: label app=web, segment 100 -> web100; also two. */
	q = qry("198.18.1.2", "198.18.9.9", 6, 3);
	T_STREQ(where(p, &q), "t.policy:11");
	q.dport = 4;
	T_STREQ(where(p, &q), "t.policy:12");
	q.dport = 1; /* front: either AND tier=front */
	T_STREQ(where(p, &q), "t.policy:9");
	/* db1 by MAC: group two via its second line */
	q = qry("198.18.3.3", "198.18.9.9", 6, 3);
	q.smac = m3;
	T_STREQ(where(p, &q), "t.policy:11");
	q.dport = 1; /* either but no tier=front */
	T_STREQ(act_of(p, &q), "deny");
	/* destination side */
	q = qry("198.18.9.9", "198.18.1.2", 6, 5);
	T_STREQ(where(p, &q), "t.policy:13");
	q = qry("198.18.9.9", "198.18.1.3", 6, 5);
	T_STREQ(act_of(p, &q), "deny");
	/* A MAC and an address of different workloads: both count. */
	q = qry("198.18.1.2", "198.18.9.9", 6, 2);
	q.smac = m1;
	q.segment = 100;
	T_STREQ(where(p, &q), "t.policy:10");
	/* No IP: MAC and segment selectors still work, proto rules do not. */
	vnet_policy_free(p);
	p = parse("workload w mac 02:00:00:00:00:01 label app=x\n"
		  "group g label app=x\n"
		  "allow from g to any proto tcp\n"
		  "deny from g to any\n");
	if (!p)
		return;
	memset(&q, 0, sizeof(q));
	q.smac = m1;
	q.dmac = other;
	T_STREQ(where(p, &q), "t.policy:4");
	q.has_ip = 1;
	q.saddr = ip("198.18.0.1");
	q.daddr = ip("198.18.0.2");
	q.proto = 6;
	T_STREQ(where(p, &q), "t.policy:3");
	vnet_policy_free(p);
}

static void test_ipv6_prefixes(void)
{
	struct vnet_policy *p =
	    parse("group v6net prefix 2001:db8:1::/48\n"
		  "group v6host prefix 2001:db8:1::10/128\n"
		  "group v6odd prefix 2001:db8:1:ff80::/57\n"
		  "group v4 prefix 198.18.0.0/15\n"
		  "group all6 prefix ::/0\n"
		  "allow from v6host to any proto tcp port 1\n"
		  "allow from v6odd to any proto tcp port 1\n"
		  "allow from v6net to any proto tcp port 1\n"
		  "allow from v4 to any proto tcp port 1\n"
		  "allow from all6 to any proto tcp port 1\n");
	struct vnet_policy_query q;

	if (!p)
		return;
	q = qry("2001:db8:1::10", "2001:db8:2::1", 6, 1);
	T_STREQ(where(p, &q), "t.policy:6");
	q = qry("2001:db8:1:ffff::1", "2001:db8:2::1", 6, 1);
	T_STREQ(where(p, &q), "t.policy:7");
	q = qry("2001:db8:1:ff7f::1", "2001:db8:2::1", 6, 1);
	T_STREQ(where(p, &q), "t.policy:8");
	q = qry("2001:db8:2::1", "2001:db8:2::1", 6, 1);
	T_STREQ(where(p, &q), "t.policy:10");
	q = qry("198.19.255.255", "198.18.0.1", 6, 1);
	T_STREQ(where(p, &q), "t.policy:9");
	q = qry("198.20.0.1", "198.18.0.1", 6, 1);
	T_STREQ(act_of(p, &q), "deny");
	vnet_policy_free(p);
	T_STREQ(
	    parse_err("group a prefix 2001:db8::1/64\n"),
	    "t.policy:1: prefix '2001:db8::1/64' has bits set past its length");
	T_STREQ(parse_err("group a prefix 2001:db8::/129\n"),
		"t.policy:1: bad prefix length in '2001:db8::/129' (expected "
		"0-128)");
	T_STREQ(
	    parse_err("group a prefix 198.18.0.0/33\n"),
	    "t.policy:1: bad prefix length in '198.18.0.0/33' (expected 0-32)");
}

static void test_rule_matching(void)
{
	struct vnet_policy *p = parse(
	    "allow egress segment 10,20-29 from any to any proto tcp port 80 "
	    "log\n"
	    "allow ingress from any to any proto udp port 53 sport 1024-65535\n"
	    "deny from any to any proto icmp type echo-request,3/1\n"
	    "allow from any to any proto icmp6 type echo-request\n"
	    "allow from any to any proto 47 reserve\n");
	struct vnet_policy_query q;
	const struct vnet_rule *r;

	if (!p)
		return;
	q = qry("198.18.0.1", "198.18.0.2", 6, 80);
	T_STREQ(act_of(p, &q), "deny");
	q.segment = 25;
	r = vnet_policy_match(p, &q);
	T_EQ(r->line, 1);
	T_EQ(r->flags, VNET_RULE_LOG);
	T_STREQ(r->text, "allow egress segment 10,20-29 from any to any proto "
			 "tcp port 80 log");
	q.dir = 1;
	T_EQ(vnet_policy_match(p, &q)->line, 0);
	q = qry("198.18.0.1", "198.18.0.2", 17, 53);
	q.dir = 1;
	q.sport = 1023;
	T_EQ(vnet_policy_match(p, &q)->line, 0);
	q.sport = 1024;
	T_EQ(vnet_policy_match(p, &q)->line, 2);
	q = qry("198.18.0.1", "198.18.0.2", 1, 0);
	q.icmp_type = 8;
	T_EQ(vnet_policy_match(p, &q)->line, 3);
	q.icmp_type = 3;
	q.icmp_code = 1;
	T_EQ(vnet_policy_match(p, &q)->line, 3);
	q.icmp_code = 3;
	T_EQ(vnet_policy_match(p, &q)->line, 0);
	q = qry("2001:db8::1", "2001:db8::2", 58, 0);
	q.icmp_type = 128;
	T_EQ(vnet_policy_match(p, &q)->line, 4);
	q.icmp_type = 8;
	T_EQ(vnet_policy_match(p, &q)->line, 0);
	q = qry("198.18.0.1", "198.18.0.2", 47, 0);
	r = vnet_policy_match(p, &q);
	T_EQ(r->line, 5);
	T_EQ(r->flags, VNET_RULE_RESERVE);
	/* A segment above 4095 matches no segment rule and no segment
	 * default. */
	q.segment = 5000;
	T_EQ(vnet_policy_match(p, &q)->line, 5);
	vnet_policy_free(p);
}

/* SCTP ports, as a Kubernetes NetworkPolicy allows them. */
static void test_sctp_ports(void)
{
	struct vnet_policy *p = parse(
	    "allow from any to any proto sctp port 80,3868 sport 1024-65535\n"
	    "deny from any to any proto sctp\n");
	struct vnet_policy_query q;

	if (!p)
		return;
	q = qry("198.18.0.1", "198.18.0.2", 132, 80);
	T_EQ(vnet_policy_match(p, &q)->line, 1);
	q.dport = 3868;
	T_EQ(vnet_policy_match(p, &q)->line, 1);
	q.dport = 81;
	T_EQ(vnet_policy_match(p, &q)->line, 2);
	q.dport = 80;
	q.sport = 1000;
	T_EQ(vnet_policy_match(p, &q)->line, 2);
	/* Port 80 of another protocol is not SCTP's. */
	q = qry("198.18.0.1", "198.18.0.2", 17, 80);
	T_EQ(vnet_policy_match(p, &q)->line, 0);
	vnet_policy_free(p);
	T_STREQ(parse_err("allow from any to any proto 132 port 9\n"),
		"(parsed)");
}

/* vnet_policy_lint(): the warnings as "LINE: msg" lines. */
struct lint_out {
	char buf[4096];
	size_t n;
};

static void lint_cb(void *arg, const struct vnet_err *w)
{
	struct lint_out *o = arg;

	o->n += (size_t)snprintf(o->buf + o->n, sizeof(o->buf) - o->n,
				 "%u: %s\n", w->line, w->msg);
	if (o->n >= sizeof(o->buf))
		o->n = sizeof(o->buf) - 1;
}

static const char *lint(const char *txt, unsigned *n)
{
	static struct lint_out o;
	struct vnet_policy *p = parse(txt);

	memset(&o, 0, sizeof(o));
	if (!p)
		return "(not parsed)";
	*n = vnet_policy_lint(p, lint_cb, &o);
	vnet_policy_free(p);
	return o.buf;
}

static void test_lint(void)
{
	unsigned n = 99;

	/* A clean policy has nothing to say. */
	T_STREQ(lint("workload w ip 198.18.0.1 label app=web\n"
		     "group web label app=web\n"
		     "group net prefix 198.18.0.0/15\n"
		     "allow from web to net proto tcp port 80\n"
		     "allow from web to net proto tcp port 81\n"
		     "allow from any to web proto udp\n"
		     "deny from web to any\n",
		     &n),
		"");
	T_EQ(n, 0);

	/* Groups that match no workload: a label no addressed workload
	 * has, a workload without mac and ip, a group of such groups.
	 * Segments, prefixes and macs may match what is no workload. */
	T_STREQ(lint("workload a mac 02:00:00:00:00:01 label app=web\n"
		     "workload ghost label app=db\n"
		     "group web label app=web\n"
		     "group db label app=db\n"
		     "group g workload ghost\n"
		     "group dbs group db group g\n"
		     "group two label app=web\n"
		     "group two label app=none\n"
		     "group seg segment 100\n"
		     "group m mac 02:00:00:00:00:09\n",
		     &n),
		"4: warning: group 'db' matches no workload: no workload "
		"with a mac or an ip has label app=db\n"
		"5: warning: group 'g' matches no workload: workload 'ghost' "
		"has no mac and no ip\n"
		"6: warning: group 'dbs' matches no workload: group 'db' "
		"matches none\n");
	T_EQ(n, 3);

	/* Shadowed and duplicate rules: ports, directions, protocols,
	 * segments, any, and a group that holds another. */
	T_STREQ(lint("group a prefix 198.18.0.0/24\n"
		     "group b prefix 198.18.1.0/24\n"
		     "group ab group a group b\n"
		     "allow from a to b proto tcp port 80-90,100\n"
		     "deny from a to b proto tcp port 85,100\n"
		     "allow from a to b proto tcp port 80-90,100\n"
		     "allow egress from a to b proto tcp port 80-91\n"
		     "deny egress segment 5 from ab to any proto udp\n"
		     "deny egress segment 5-6 from a to b proto udp port 53\n"
		     "deny egress segment 4 from a to b proto udp port 53\n"
		     "deny from a to b\n"
		     "allow from a to b proto 47\n"
		     "allow ingress from a to b proto icmp type echo-request\n"
		     "allow from any to any\n"
		     "allow from b to a proto icmp type echo-request\n",
		     &n),
		"5: warning: rule never matches: t.policy:4 (allow) covers "
		"all it matches\n"
		"6: warning: duplicate rule: t.policy:4 is the same\n"
		"12: warning: rule never matches: t.policy:11 (deny) covers "
		"all it matches\n"
		"13: warning: rule never matches: t.policy:11 (deny) covers "
		"all it matches\n"
		"15: warning: rule never matches: t.policy:14 (allow) covers "
		"all it matches\n");
	T_EQ(n, 5);
	/* Line 9 is not covered by line 8 (segment 6), nor 10 (segment
	 * 4); line 7 reaches port 91. */
}

static void test_lexer(void)
{
	struct vnet_policy *p =
	    parse("  # comment only\n"
		  "\n"
		  "group\tweb   label app=web # trailing comment\r\n"
		  "allow \\\n"
		  "   from web \\   \n"
		  "   to any   \\\n"
		  "\n"
		  "allow from any to any proto tcp port 9 \\");
	const struct vnet_rule *r;

	if (!p)
		return;
	r = vnet_policy_rule(p, 0);
	T_EQ(r->line, 4);
	T_STREQ(r->text, "allow from web to any");
	r = vnet_policy_rule(p, 1);
	T_EQ(r->line, 8);
	T_STREQ(r->text, "allow from any to any proto tcp port 9");
	vnet_policy_free(p);
	/* An error in a continued line names its first line. */
	T_STREQ(parse_err("\n\nallow from any \\\n to nothere\n"),
		"t.policy:3: unknown group 'nothere'");
}

/* ------------------------------------------------------------------ */
/* Errors.                                                             */

static void test_errors(void)
{
	static const struct {
		const char *txt, *err;
	} cases[] = {
	    {"allow from 198.19.1.10 to any\n",
	     "t.policy:1: expected a group name after 'from', got "
	     "'198.19.1.10'"},
	    {"group a label x=y\n\nallow from a to dbs\n",
	     "t.policy:3: unknown group 'dbs'"},
	    {"workload dbs ip 198.18.0.1\nallow from any to dbs\n",
	     "t.policy:2: unknown group 'dbs' (a workload: rules name groups, "
	     "e.g. 'group dbs workload dbs')"},
	    {"allow from any to any proto tcp port 70000\n",
	     "t.policy:1: port 70000 out of range 0-65535"},
	    {"allow from any to any proto tcp port 80-70000\n",
	     "t.policy:1: port 70000 out of range 0-65535"},
	    {"allow from any to any proto tcp port 90-80\n",
	     "t.policy:1: bad port range '90-80' (90 is above 80)"},
	    {"allow from any to any proto tcp port 80,,81\n",
	     "t.policy:1: bad port list '80,,81'"},
	    {"allow from any to any proto tcp port http\n",
	     "t.policy:1: bad port 'http'"},
	    {"allow from any to any proto tcp sport 1-\n",
	     "t.policy:1: bad sport '1-'"},
	    {"allow from any to any port 80\n",
	     "t.policy:1: 'port' needs proto tcp, udp or sctp"},
	    {"allow from any to any proto icmp port 80\n",
	     "t.policy:1: 'port' needs proto tcp, udp or sctp"},
	    {"allow from any to any proto any sport 80\n",
	     "t.policy:1: 'sport' needs proto tcp, udp or sctp"},
	    {"allow from any to any proto tcp type 8\n",
	     "t.policy:1: 'type' needs proto icmp or icmp6"},
	    {"allow from any to any proto icmp type packet-too-big\n",
	     "t.policy:1: unknown icmp type 'packet-too-big'"},
	    {"allow from any to any proto icmp6 type 300\n",
	     "t.policy:1: icmp type 300 out of range 0-255"},
	    {"allow from any to any proto icmp type 3/256\n",
	     "t.policy:1: icmp code 256 out of range 0-255"},
	    {"allow from any to any proto icmp type frag-needed/3\n",
	     "t.policy:1: type 'frag-needed' already has code 4"},
	    {"allow from any to any proto tcpx\n",
	     "t.policy:1: unknown protocol 'tcpx' (expected tcp, udp, sctp, "
	     "icmp, icmp6, any or 0-255)"},
	    {"allow from any to any proto 256\n",
	     "t.policy:1: protocol 256 out of range 0-255"},
	    {"allow any to any\n", "t.policy:1: expected 'from', got 'any'"},
	    {"allow egress\n", "t.policy:1: expected 'from'"},
	    {"allow from any\n", "t.policy:1: expected 'to'"},
	    {"allow from any any\n", "t.policy:1: expected 'to', got 'any'"},
	    {"allow from any to\n",
	     "t.policy:1: expected a group name after 'to'"},
	    {"allow from\n", "t.policy:1: expected a group name after 'from'"},
	    {"allow from any to any proto tcp port\n",
	     "t.policy:1: missing value after 'port'"},
	    {"allow from any to any proto tcp port 1 port 2\n",
	     "t.policy:1: duplicate 'port'"},
	    {"allow from any to any log log\n", "t.policy:1: duplicate 'log'"},
	    {"allow egress ingress from any to any\n",
	     "t.policy:1: direction given twice"},
	    {"deny from any to any reserve\n",
	     "t.policy:1: 'reserve' needs allow"},
	    {"allow from any to any bogus\n",
	     "t.policy:1: unexpected 'bogus' (expected proto, port, sport, "
	     "type, segment, egress, ingress, log or reserve)"},
	    {"allow segment 4096 from any to any\n",
	     "t.policy:1: segment 4096 out of range 0-4095"},
	    {"permit from any to any\n",
	     "t.policy:1: unknown statement 'permit'"},
	    {"workload x ip 198.18.0.1\nworkload x ip 198.18.0.2\n",
	     "t.policy:2: duplicate workload 'x'"},
	    {"workload x ip 198.18.0.1\nworkload y ip 198.18.0.1\n",
	     "t.policy:2: ip 198.18.0.1 already belongs to workload 'x'"},
	    {"workload x mac 02:00:00:00:00:01\nworkload y mac "
	     "02-00-00-00-00-01\n",
	     "t.policy:2: mac 02:00:00:00:00:01 already belongs to workload "
	     "'x'"},
	    {"workload x mac 02:00:00:00:00:0g\n",
	     "t.policy:1: bad MAC '02:00:00:00:00:0g'"},
	    {"workload x ip 198.18.0.0/24\n",
	     "t.policy:1: bad address '198.18.0.0/24'"},
	    {"workload x label app\n",
	     "t.policy:1: bad label 'app' (expected KEY=VALUE)"},
	    {"workload x\n",
	     "t.policy:1: workload 'x' needs a mac, an ip or a label"},
	    {"workload x ip\n", "t.policy:1: missing value after 'ip'"},
	    {"workload x host 1\n",
	     "t.policy:1: unexpected 'host' (expected mac, ip or label)"},
	    {"workload 9x ip 198.18.0.1\n",
	     "t.policy:1: bad workload name '9x' (letters, digits, '_', '.', "
	     "'-', starting with a letter or '_')"},
	    {"group any label a=b\n",
	     "t.policy:1: group 'any' is builtin (it matches everything)"},
	    {"group a\n", "t.policy:1: group 'a' needs a selector"},
	    {"group a label\n", "t.policy:1: missing value after 'label'"},
	    {"group a host x\n",
	     "t.policy:1: unknown selector 'host' (expected label, mac, "
	     "prefix, segment, workload or group)"},
	    {"group a group b\n", "t.policy:1: unknown group 'b'"},
	    {"group a label x=1\ngroup a group a\n",
	     "t.policy:2: group 'a' cannot reference itself"},
	    {"group a label x=1\ngroup b group a\ngroup a label x=2\n",
	     "t.policy:3: group 'a' is used by group 'b' and cannot get more "
	     "lines after that"},
	    {"group a workload w\n", "t.policy:1: unknown workload 'w'"},
	    {"group a prefix 198.18.0.1/24\n",
	     "t.policy:1: prefix '198.18.0.1/24' has bits set past its length"},
	    {"group a prefix fish/8\n",
	     "t.policy:1: bad prefix 'fish/8' (expected ADDR/LEN)"},
	    {"group a segment 1-5000\n",
	     "t.policy:1: segment 5000 out of range 0-4095"},
	    {"default\n",
	     "t.policy:1: expected allow, deny or reject after 'default'"},
	    {"default segment 5 maybe\n",
	     "t.policy:1: expected allow, deny or reject, got 'maybe'"},
	    {"default allow now\n",
	     "t.policy:1: unexpected 'now' after the default"},
	    {"include\n", "t.policy:1: expected a file name after 'include'"},
	    {"include a.policy\n", "t.policy:1: include not allowed here"},
	    {"group a label x=1\x01\n",
	     "t.policy:1: bad label 'x=1?' (expected KEY=VALUE)"},
	    {"\n\x01\n", "t.policy:2: unknown statement '?'"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_STREQ(parse_err(cases[i].txt), cases[i].err);
}

static void test_error_limits(void)
{
	size_t cap = 4u << 20, n, i;
	char *t = malloc(cap);
	struct vnet_policy *p;
	struct vnet_err err;
	unsigned g, w, r;

	/* A NUL byte. */
	{
		static const char nul[] = "\nallow from any\0 to any\n";

		p = vnet_policy_parse(nul, sizeof(nul) - 1, "t.policy", NULL,
				      &err);
		T_ASSERT(p == NULL);
		vnet_policy_free(p);
		T_STREQ(err.msg, "NUL byte in line");
		T_EQ(err.line, 2);
	}

	/* Line length: 4096 bytes pass, 4097 do not. */
	memset(t, ' ', 5000);
	memcpy(t, "arp allow", 9);
	t[4096] = '\n';
	t[4097] = '\0';
	p = parse(t);
	vnet_policy_free(p);
	t[4096] = ' ';
	t[4097] = '\n';
	t[4098] = '\0';
	T_STREQ(parse_err(t),
		"t.policy:1: line too long (more than 4096 bytes)");
	/* ... also when a continuation makes it long. */
	n = (size_t)sprintf(t, "allow from any \\\n");
	memset(t + n, ' ', 4090);
	sprintf(t + n + 4090, "to any\n");
	T_STREQ(parse_err(t),
		"t.policy:1: line too long (more than 4096 bytes)");

	/* 65536 rules pass, one more does not. */
	for (n = 0, i = 0; i < 65536; i++)
		n += (size_t)sprintf(
		    t + n, "allow from any to any proto tcp port %zu\n",
		    i % 65536);
	p = vnet_policy_parse(t, n, "t.policy", NULL, &err);
	T_ASSERT(p != NULL);
	if (p) {
		struct vnet_policy_query q =
		    qry("198.18.0.1", "198.18.0.2", 6, 65535);

		vnet_policy_summary(p, &g, &w, &r);
		T_EQ(r, 65536);
		T_EQ(vnet_policy_match(p, &q)->id, 65535);
		vnet_policy_free(p);
	}
	n += (size_t)sprintf(t + n, "default allow\n");
	T_STREQ(parse_err(t), "t.policy:65537: too many rules (limit 65536)");

	/* Groups and workloads. */
	for (n = 0, i = 0; i < 65537; i++)
		n += (size_t)sprintf(t + n, "group g%zu segment %zu\n", i,
				     i % 4096);
	T_STREQ(parse_err(t), "t.policy:65537: too many groups (limit 65536)");
	t[n - strlen("group g65536 segment 0\n")] = '\0';
	p = parse(t);
	if (p) {
		vnet_policy_summary(p, &g, &w, &r);
		T_EQ(g, 65536);
		vnet_policy_free(p);
	}
	for (n = 0, i = 0; i < 65537; i++)
		n += (size_t)sprintf(t + n, "workload w%zu ip 2001:db8::%zx\n",
				     i, i);
	T_STREQ(parse_err(t),
		"t.policy:65537: too many workloads (limit 65536)");

	/* An index blow-up: every port times every segment. */
	n = (size_t)sprintf(t, "allow segment ");
	for (i = 0; i < 600; i++)
		n += (size_t)sprintf(t + n, "%s%zu", i ? "," : "", i * 2);
	n += (size_t)sprintf(t + n, " from any to any proto tcp port ");
	for (i = 0; i < 300; i++)
		n += (size_t)sprintf(t + n, "%s%zu", i ? "," : "", i * 2);
	n += (size_t)sprintf(t + n, "\n");
	/* 180000 entries a line: the sixth line is over. */
	for (i = 0; i < 7; i++)
		memcpy(t + n * (i + 1), t, n);
	t[n * 8] = '\0';
	T_STREQ(
	    parse_err(t),
	    "t.policy:6: policy too large (more than 1048576 index entries)");
	free(t);
}

/* ------------------------------------------------------------------ */
/* Files and includes.                                                 */

static char tmpdir[64];

static void put(const char *rel, const char *txt)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	if (!f) {
		T_FAIL("cannot write %s", path);
		return;
	}
	fputs(txt, f);
	fclose(f);
}

static const char *load_err(const char *rel, int *e)
{
	static char out[VNET_ERR_STRLEN];
	char path[256];
	struct vnet_err err;
	struct vnet_policy *p;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	errno = 0;
	p = vnet_policy_load(path, &err);
	*e = errno;
	if (p) {
		vnet_policy_free(p);
		return "(parsed)";
	}
	/* Names relative to the temporary directory. */
	snprintf(out, sizeof(out), "%s:%u: %s",
		 strncmp(err.obj, tmpdir, strlen(tmpdir))
		     ? err.obj
		     : err.obj + strlen(tmpdir) + 1,
		 err.line, err.msg);
	return out;
}

static void test_includes(void)
{
	char path[256], buf[512];
	struct vnet_err err;
	struct vnet_policy *p;
	const struct vnet_rule *r;
	struct vnet_policy_query q;
	int e;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_policy.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		T_FAIL("mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sub/deeper", tmpdir);
	mkdir(path, 0700);

	put("main.policy", "group web prefix 198.18.1.0/24\n"
			   "include sub/shared.policy\n"
			   "allow from web to db proto tcp port 2\n");
	put("sub/shared.policy", "# shared\n"
				 "group db prefix 198.18.2.0/24\n"
				 "include deeper/mgmt.policy\n"
				 "allow from web to db proto tcp port 1\n");
	put("sub/deeper/mgmt.policy",
	    "allow from any to any proto tcp port 22 reserve\n");
	snprintf(path, sizeof(path), "%s/main.policy", tmpdir);
	p = vnet_policy_load(path, &err);
	T_ASSERT(p != NULL);
	if (p) {
		/* In place: mgmt (line 1), shared (line 4), main (line 3). */
		r = vnet_policy_rule(p, 0);
		snprintf(buf, sizeof(buf), "%s/sub/deeper/mgmt.policy", tmpdir);
		T_STREQ(r->file, buf);
		T_EQ(r->flags, VNET_RULE_RESERVE);
		r = vnet_policy_rule(p, 1);
		snprintf(buf, sizeof(buf), "%s/sub/shared.policy", tmpdir);
		T_STREQ(r->file, buf);
		T_EQ(r->line, 4);
		r = vnet_policy_rule(p, 2);
		T_STREQ(r->file, path);
		T_EQ(r->line, 3);
		q = qry("198.18.1.1", "198.18.2.1", 6, 1);
		T_EQ(vnet_policy_match(p, &q)->id, 1);
		q.dport = 22;
		T_EQ(vnet_policy_match(p, &q)->id, 0);
		vnet_policy_free(p);
	} else {
		T_FAIL("%s:%u: %s", err.obj, err.line, err.msg);
	}

	/* vnet_policy_parse with a base directory. */
	{
		const char *txt = "include sub/deeper/mgmt.policy\n";

		p = vnet_policy_parse(txt, strlen(txt), "(stdin)", tmpdir,
				      &err);
		T_ASSERT(p != NULL);
		if (p) {
			T_EQ(vnet_policy_rule(p, 0)->line, 1);
			vnet_policy_free(p);
		}
	}

	/* A cycle. */
	put("a.policy", "include sub/b.policy\n");
	put("sub/b.policy", "\ninclude ../a.policy\n");
	snprintf(
	    buf, sizeof(buf),
	    "sub/b.policy:2: include cycle: %s/a.policy -> %s/sub/b.policy -> "
	    "%s/sub/../a.policy",
	    tmpdir, tmpdir, tmpdir);
	T_STREQ(load_err("a.policy", &e), buf);
	T_EQ(e, EINVAL);

	/* A file that includes itself. */
	put("self.policy", "arp deny\ninclude self.policy\n");
	{
		const char *m = load_err("self.policy", &e);

		T_ASSERT(strstr(m, "self.policy:2: include cycle: ") == m);
		T_ASSERT(strstr(m, "/self.policy -> ") != NULL);
	}

	/* Depth: 8 nested includes pass, 9 do not. */
	{
		int i;

		for (i = 0; i < 10; i++) {
			char name[32], body[64];

			snprintf(name, sizeof(name), "d%d.policy", i);
			snprintf(body, sizeof(body), "include d%d.policy\n",
				 i + 1);
			put(name, body);
		}
		put("d8.policy", "arp deny\n");
		T_STREQ(load_err("d0.policy", &e), "(parsed)");
		put("d8.policy", "include d9.policy\n");
		put("d9.policy", "arp deny\n");
		T_STREQ(load_err("d0.policy", &e),
			"d8.policy:1: include nesting too deep (more than 8 "
			"levels)");
	}

	/* A missing include: errno of the open, message naming it. */
	put("missing.policy", "\n\ninclude nothere.policy\n");
	T_STREQ(load_err("missing.policy", &e),
		"missing.policy:3: include 'nothere.policy': No such file or "
		"directory");
	T_EQ(e, ENOENT);
	/* A directory. */
	put("dir.policy", "include sub\n");
	T_STREQ(load_err("dir.policy", &e),
		"dir.policy:1: include 'sub': Is a directory");
	T_EQ(e, EISDIR);
	/* The top file missing: line 0, msg strerror. */
	T_STREQ(load_err("nothere.policy", &e),
		"nothere.policy:0: No such file or directory");
	T_EQ(e, ENOENT);
	/* An error inside an include names the included file. */
	put("bad.policy", "include sub/bad2.policy\n");
	put("sub/bad2.policy", "\n\n\nallow from nobody to any\n");
	T_STREQ(load_err("bad.policy", &e),
		"sub/bad2.policy:4: unknown group 'nobody'");
	T_EQ(e, EINVAL);
}

/* Loading a policy twice gives equal, independent policies (reload). */
static void test_reparse(void)
{
	const char *txt =
	    "group a prefix 198.18.0.0/16\nallow from a to a proto tcp\n";
	struct vnet_policy *p1 = parse(txt), *p2 = parse(txt), *bad;
	struct vnet_policy_query q = qry("198.18.0.1", "198.18.0.2", 6, 1);
	struct vnet_err err;

	if (!p1 || !p2)
		return;
	T_EQ(vnet_policy_match(p1, &q)->line, 1 + 1);
	bad = vnet_policy_parse("allow\n", 6, "x", NULL, &err);
	T_ASSERT(bad == NULL);
	T_EQ(errno, EINVAL);
	vnet_policy_free(p1);
	T_EQ(vnet_policy_match(p2, &q)->line, 2);
	vnet_policy_free(p2);
	vnet_policy_free(NULL);
	/* An empty buffer is an empty policy. */
	p1 = vnet_policy_parse(NULL, 0, NULL, NULL, &err);
	T_ASSERT(p1 != NULL);
	if (p1)
		T_EQ(vnet_policy_match(p1, &q)->act, VNET_ACT_DENY);
	vnet_policy_free(p1);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	int ret;

	T_RUN(test_first_match_and_defaults);
	T_RUN(test_arp_nd_other);
	T_RUN(test_group_semantics);
	T_RUN(test_ipv6_prefixes);
	T_RUN(test_rule_matching);
	T_RUN(test_sctp_ports);
	T_RUN(test_lint);
	T_RUN(test_lexer);
	T_RUN(test_errors);
	T_RUN(test_error_limits);
	T_RUN(test_includes);
	T_RUN(test_reparse);
	T_RUN(test_random_vs_reference);
	T_RUN(test_random_ports_one_pair);
	ret = T_DONE();
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
