/* SPDX-License-Identifier: ISC */
/* budget.c -- the MTU budget of a chain, from its members' --describe. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "budget.h"

/* A JSON text being read (RFC 8259), p up to end. */
struct rd {
	const char *p, *end;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at r->p (the opening quote): its text into out (n bytes, cut
 * to fit, NUL-ended; out may be NULL), an escape other than of ASCII as
 * '?'.  0, or -1 when it is not a good string. */
static int string(struct rd *r, char *out, size_t n)
{
	size_t k = 0;
	int i, h;
	char c;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		c = *r->p++;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (r->p >= r->end)
				return -1;
			switch ((c = *r->p++)) {
			case '"': case '\\': case '/':
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				for (i = 0, h = 0; i < 4; i++) {
					int d = r->p < r->end ? hexval(*r->p)
							      : -1;

					if (d < 0)
						return -1;
					h = h * 16 + d;
					r->p++;
				}
				c = h > 0 && h < 0x80 ? (char)h : '?';
				break;
			default:
				return -1;
			}
		}
		if (out && k + 1 < n)
			out[k++] = c;
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	if (out && n)
		out[k] = '\0';
	return 0;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.  *u its value
 * when it is a whole number that fits, else UINT_MAX + 1 is noted in
 * *big.  0, or -1. */
static int number(struct rd *r, unsigned long long *u, int *big)
{
	const char *d;
	int neg = 0;

	*u = 0;
	*big = 0;
	if (r->p < r->end && *r->p == '-') {
		neg = 1;
		r->p++;
	}
	for (d = r->p; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++) {
		if (*u > (ULLONG_MAX - 9) / 10)
			*big = 1;
		else
			*u = *u * 10 + (unsigned)(*r->p - '0');
	}
	if (r->p == d || (*d == '0' && r->p - d > 1))
		return -1;
	if (r->p < r->end && *r->p == '.') {
		*big = 1;
		for (d = ++r->p; r->p < r->end && *r->p >= '0' && *r->p <= '9';
		     r->p++)
			;
		if (r->p == d)
			return -1;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		*big = 1;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		for (d = r->p; r->p < r->end && *r->p >= '0' && *r->p <= '9';
		     r->p++)
			;
		if (r->p == d)
			return -1;
	}
	if (neg && *u)
		*big = 1;
	return 0;
}

static int word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
		return -1;
	r->p += n;
	return 0;
}

/* Any value, skipped; depth bounds the nesting. */
static int skip(struct rd *r, int depth)
{
	unsigned long long u;
	int big;
	char close;

	ws(r);
	if (r->p >= r->end)
		return -1;
	switch (*r->p) {
	case '"':
		return string(r, NULL, 0);
	case 't':
		return word(r, "true");
	case 'f':
		return word(r, "false");
	case 'n':
		return word(r, "null");
	case '{':
	case '[':
		if (depth >= BUDGET_DEPTH)
			return -1;
		close = *r->p == '{' ? '}' : ']';
		r->p++;
		ws(r);
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				ws(r);
				if (string(r, NULL, 0) < 0)
					return -1;
				ws(r);
				if (r->p >= r->end || *r->p++ != ':')
					return -1;
			}
			if (skip(r, depth + 1) < 0)
				return -1;
			ws(r);
			if (r->p >= r->end)
				return -1;
			if (*r->p == close) {
				r->p++;
				return 0;
			}
			if (*r->p++ != ',')
				return -1;
		}
	default:
		return number(r, &u, &big);
	}
}

/* The members of the budget: where each goes. */
enum { F_STR, F_MTU };
static const struct field {
	const char *key;
	int type;
	size_t off, n;
} fields[] = {
	{ "program", F_STR, offsetof(struct budget_stage, program),
	  sizeof(((struct budget_stage *)0)->program) },
	{ "inner_framing", F_STR, offsetof(struct budget_stage, inner),
	  sizeof(((struct budget_stage *)0)->inner) },
	{ "outer_framing", F_STR, offsetof(struct budget_stage, outer),
	  sizeof(((struct budget_stage *)0)->outer) },
	{ "overhead", F_MTU, offsetof(struct budget_stage, overhead), 0 },
	{ "inner_mtu", F_MTU, offsetof(struct budget_stage, inner_mtu), 0 },
	{ "outer_mtu", F_MTU, offsetof(struct budget_stage, outer_mtu), 0 },
};

/* The value of field f at r->p into s. */
static int value(struct rd *r, const struct field *f, struct budget_stage *s)
{
	unsigned long long u;
	int big;

	ws(r);
	if (!word(r, "null"))
		return 0;
	if (f->type == F_STR)
		return string(r, (char *)s + f->off, f->n);
	if (number(r, &u, &big) < 0 || big || u > 65535)
		return -1;
	*(unsigned *)(void *)((char *)s + f->off) = (unsigned)u;
	return 0;
}

int budget_parse(const char *p, size_t len, struct budget_stage *s,
		 struct vnet_err *e)
{
	struct rd r = { p, p + len };
	char key[32];
	size_t i;

	memset(s, 0, sizeof(*s));
	ws(&r);
	if (r.p >= r.end || *r.p++ != '{')
		goto bad;
	ws(&r);
	if (r.p < r.end && *r.p == '}') {
		r.p++;
		goto end;
	}
	for (;;) {
		ws(&r);
		if (string(&r, key, sizeof(key)) < 0)
			goto bad;
		ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			goto bad;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(key, fields[i].key))
				break;
		if (i < sizeof(fields) / sizeof(fields[0])) {
			if (value(&r, &fields[i], s) < 0) {
				vnet_err_set(e, NULL, 0, "bad value of '%s'",
					     fields[i].key);
				return -EINVAL;
			}
		} else if (skip(&r, 1) < 0) {
			goto bad;
		}
		ws(&r);
		if (r.p >= r.end)
			goto bad;
		if (*r.p == '}') {
			r.p++;
			break;
		}
		if (*r.p++ != ',')
			goto bad;
	}
end:
	ws(&r);
	if (r.p != r.end)
		goto bad;
	s->known = 1;
	return 0;
bad:
	vnet_err_set(e, NULL, 0, "not a JSON object (at byte %zu)",
		     (size_t)(r.p - p));
	return -EINVAL;
}

/* A side that is no stream but a network: the fabric. */
static int is_fabric(const char *framing)
{
	return !strcmp(framing, "udp") || !strcmp(framing, "tap");
}

int budget_chain(const struct budget_stage *s, unsigned n,
		 struct budget_chain *c)
{
	unsigned avail = 0, i;

	memset(c, 0, sizeof(*c));
	c->bad = -1;
	for (i = n; i-- > 0;) {
		const struct budget_stage *st = &s[i];

		if (!st->known)
			continue;
		c->overhead += st->overhead;
		if (i == 0 && n > 1 && is_fabric(st->outer)) {
			/* Turned round: its inner frames go right. */
			c->turned = 1;
			if (st->inner_mtu && avail && st->inner_mtu > avail) {
				c->bad = 0;
				c->need = st->inner_mtu;
				c->have = avail;
				return -EMSGSIZE;
			}
			if (!c->outer_mtu)
				c->outer_mtu = st->outer_mtu;
			if (st->inner_mtu && (!avail || st->inner_mtu < avail))
				avail = st->inner_mtu;
			break;
		}
		if (st->outer_mtu && avail && st->outer_mtu > avail) {
			c->bad = (int)i;
			c->need = st->outer_mtu;
			c->have = avail;
			return -EMSGSIZE;
		}
		if (!c->outer_mtu)
			c->outer_mtu = st->outer_mtu;
		if (avail)
			avail = avail > st->overhead ? avail - st->overhead
						     : 1;
		if (st->inner_mtu && (!avail || st->inner_mtu < avail))
			avail = st->inner_mtu;
	}
	c->inner_mtu = avail;
	return 0;
}
