/* SPDX-License-Identifier: ISC */
/* lease.c -- the static DHCP lease file of vnet-route and its table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/lease.h"
#include "vnet/addr.h"
#include "vnet/bytes.h"

struct route_leases {
	size_t n;
	struct route_lease *v; /* sorted by (vid, mac) */
	uint32_t *by_ip;       /* indexes into v, sorted by (vid, ip) */
};

#define STR(x)	#x
#define XSTR(x) STR(x)
#define TOO_LONG                                                               \
	"line too long (more than " XSTR(ROUTE_LEASE_LINE_MAX) " characters)"

/* Quote what the file said without sending control bytes to a terminal. */
static const char *printable(char *s)
{
	unsigned char *p;

	for (p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return s;
}

static int mac_cmp(const struct route_lease *a, uint16_t vid,
		   const uint8_t *mac)
{
	if (a->vid != vid)
		return a->vid < vid ? -1 : 1;
	return memcmp(a->mac, mac, 6);
}

static int ip_cmp(const struct route_lease *a, uint16_t vid, uint32_t ip)
{
	if (a->vid != vid)
		return a->vid < vid ? -1 : 1;
	if (a->ip != ip)
		return a->ip < ip ? -1 : 1;
	return 0;
}

/* qsort's comparators: by key, then by line, so that of two leases with
 * one key the earlier line comes first and the later one is named. */
static int lease_cmp(const void *a, const void *b)
{
	const struct route_lease *x = a, *y = b;
	int c = mac_cmp(x, y->vid, y->mac);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static const struct route_lease *sort_v;

static int ip_idx_cmp(const void *a, const void *b)
{
	const struct route_lease *x = &sort_v[*(const uint32_t *)a];
	const struct route_lease *y = &sort_v[*(const uint32_t *)b];
	int c = ip_cmp(x, y->vid, y->ip);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int parse_vid(const char *s, uint16_t *vid)
{
	unsigned v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > ROUTE_LEASE_VID_MAX)
			return -EINVAL;
	}
	*vid = (uint16_t)v;
	return 0;
}

static int host_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > ROUTE_LEASE_HOST_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* One line into buf (size ROUTE_LEASE_LINE_MAX + 2) without its newline
 * or a CR before it.  1 a line, 0 end of file, -E2BIG too long, -EILSEQ
 * a NUL byte, or -errno of a read error. */
static int read_line(FILE *f, char *buf)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			return -EILSEQ;
		if (n > ROUTE_LEASE_LINE_MAX) /* room for a CR still to go */
			return -E2BIG;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	if (c == EOF && !n)
		return 0;
	if (n && buf[n - 1] == '\r')
		n--;
	if (n > ROUTE_LEASE_LINE_MAX)
		return -E2BIG;
	buf[n] = '\0';
	return 1;
}

/* Parse line s into *l.  0 a lease, 1 nothing on the line, -EINVAL with
 * err filled. */
static int parse_line(char *s, const char *path, unsigned line,
		      struct route_lease *l, struct vnet_err *err)
{
	struct vnet_addr a;
	char *tok[5], *p;
	int n = 0;

	p = strchr(s, '#');
	if (p)
		*p = '\0';
	p = s;
	while (n < 5) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		tok[n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (!n)
		return 1;
	if (n < 3) {
		vnet_err_set(err, path, line, "expected VID MAC IP [HOSTNAME]");
		return -EINVAL;
	}
	if (n == 5) {
		vnet_err_set(err, path, line, "trailing '%s'",
			     printable(tok[4]));
		return -EINVAL;
	}
	memset(l, 0, sizeof(*l));
	l->line = line;
	if (parse_vid(tok[0], &l->vid)) {
		vnet_err_set(err, path, line, "bad VID '%s' (expected 0-%d)",
			     printable(tok[0]), ROUTE_LEASE_VID_MAX);
		return -EINVAL;
	}
	if (vnet_mac_parse(tok[1], l->mac) || vnet_mac_is_zero(l->mac) ||
	    vnet_mac_is_multicast(l->mac)) {
		vnet_err_set(err, path, line, "bad MAC '%s'",
			     printable(tok[1]));
		return -EINVAL;
	}
	if (vnet_addr_parse(tok[2], &a) || a.family != AF_INET ||
	    !vnet_get32(a.b) || vnet_get32(a.b) == 0xffffffffu) {
		vnet_err_set(err, path, line, "bad IP address '%s'",
			     printable(tok[2]));
		return -EINVAL;
	}
	l->ip = vnet_get32(a.b);
	if (n == 4) {
		if (!host_ok(tok[3])) {
			vnet_err_set(err, path, line,
				     "bad hostname '%s' (1-%d of letters, "
				     "digits, '-', '_', '.')",
				     printable(tok[3]), ROUTE_LEASE_HOST_MAX);
			return -EINVAL;
		}
		memcpy(l->host, tok[3], strlen(tok[3]) + 1);
	}
	return 0;
}

/* Sort t and build its IP index; a duplicate key fills err. */
static int index_table(struct route_leases *t, const char *path,
		       struct vnet_err *err)
{
	char mac[VNET_MACSTRLEN], ip[VNET_ADDRSTRLEN];
	const struct route_lease *x, *y;
	struct vnet_addr a;
	uint8_t b[4];
	size_t i;

	if (!t->n)
		return 0;
	qsort(t->v, t->n, sizeof(*t->v), lease_cmp);
	for (i = 1; i < t->n; i++) {
		x = &t->v[i - 1];
		y = &t->v[i];
		if (!mac_cmp(x, y->vid, y->mac)) {
			vnet_err_set(err, path, y->line,
				     "VID %u MAC %s already has a lease "
				     "(line %u)",
				     y->vid, vnet_mac_fmt(y->mac, mac),
				     x->line);
			return -EINVAL;
		}
	}
	for (i = 0; i < t->n; i++)
		t->by_ip[i] = (uint32_t)i;
	sort_v = t->v;
	qsort(t->by_ip, t->n, sizeof(*t->by_ip), ip_idx_cmp);
	sort_v = NULL;
	for (i = 1; i < t->n; i++) {
		x = &t->v[t->by_ip[i - 1]];
		y = &t->v[t->by_ip[i]];
		if (!ip_cmp(x, y->vid, y->ip)) {
			vnet_put32(b, y->ip);
			vnet_addr_from_v4(&a, b);
			vnet_err_set(err, path, y->line,
				     "VID %u IP %s is already leased "
				     "(line %u)",
				     y->vid, vnet_addr_fmt(&a, ip), x->line);
			return -EINVAL;
		}
	}
	return 0;
}

struct route_leases *route_leases_empty(void)
{
	return calloc(1, sizeof(struct route_leases));
}

struct route_leases *route_leases_load(const char *path, size_t max,
				       struct vnet_err *err)
{
	char buf[ROUTE_LEASE_LINE_MAX + 2];
	struct route_leases *t = NULL;
	struct route_lease l;
	size_t cap = 0;
	unsigned line = 0;
	FILE *f;
	int ret = -ENOMEM;

	f = fopen(path, "re");
	if (!f) {
		ret = vnet_err_sys(err, path, errno);
		goto out;
	}
	t = route_leases_empty();
	if (!t)
		goto out;
	for (;;) {
		errno = 0;
		ret = read_line(f, buf);
		if (!ret)
			break;
		line++;
		if (ret == -E2BIG || ret == -EILSEQ) {
			vnet_err_set(err, path, line, "%s",
				     ret == -E2BIG ? TOO_LONG
						   : "NUL byte in line");
			ret = -EINVAL;
			goto out;
		}
		if (ret < 0) {
			vnet_err_sys(err, path, ret);
			goto out;
		}
		ret = parse_line(buf, path, line, &l, err);
		if (ret == 1)
			continue;
		if (ret)
			goto out;
		if (t->n >= max) {
			vnet_err_set(err, path, line,
				     "too many leases (more than %zu)", max);
			ret = -EINVAL;
			goto out;
		}
		if (t->n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			struct route_lease *nv;

			if (nc > max)
				nc = max;
			nv = realloc(t->v, nc * sizeof(*nv));
			if (!nv) {
				ret = vnet_err_sys(err, path, ENOMEM);
				goto out;
			}
			t->v = nv;
			cap = nc;
		}
		t->v[t->n++] = l;
	}
	if (t->n) {
		t->by_ip = malloc(t->n * sizeof(*t->by_ip));
		if (!t->by_ip) {
			ret = vnet_err_sys(err, path, ENOMEM);
			goto out;
		}
	}
	ret = index_table(t, path, err);
out:
	if (f)
		fclose(f);
	if (ret) {
		route_leases_free(t);
		errno = -ret;
		return NULL;
	}
	return t;
}

void route_leases_free(struct route_leases *t)
{
	if (!t)
		return;
	free(t->by_ip);
	free(t->v);
	free(t);
}

const struct route_lease *route_leases_by_mac(const struct route_leases *t,
					      uint16_t vid,
					      const uint8_t mac[6])
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mac_cmp(&t->v[mid], vid, mac);

		if (!c)
			return &t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct route_lease *route_leases_by_ip(const struct route_leases *t,
					     uint16_t vid, uint32_t ip)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct route_lease *l = &t->v[t->by_ip[mid]];
		int c = ip_cmp(l, vid, ip);

		if (!c)
			return l;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t route_leases_count(const struct route_leases *t)
{
	return t->n;
}

const struct route_lease *route_leases_at(const struct route_leases *t,
					  size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}
