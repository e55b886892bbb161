/* SPDX-License-Identifier: ISC */
/* fdb.c -- the VTEP forwarding database and the per-VNI flood lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/fdb.h"
#include "vnet/hash.h"
#include "vnet/num.h"

/*
 * The table is open addressing with linear probing over a power-of-two
 * number of slots, at least twice max, so the load factor stays at or
 * under one half and a probe always ends at a free slot.  Deletion shifts
 * the rest of the cluster back (no tombstones), so lookups never slow
 * down as entries come and go.
 *
 * The flood list is an array kept sorted by (VNI, address), allocated
 * with the table (VNET_FDB_FLOOD_MAX entries, untouched pages cost
 * nothing): the entries of one VNI are contiguous, those of VNET_VNI_ANY
 * come last, an entry is found by binary search, and the union of two
 * sorted runs is a merge.
 */

enum { SLOT_FREE, SLOT_LEARNED, SLOT_STATIC };

struct fdb_ent {
	uint64_t seen; /* last learn, ns (learned entries) */
	struct vnet_addr remote;
	uint32_t vni;
	uint8_t mac[6];
	uint8_t state;
};

struct flood_ent {
	uint32_t vni;
	struct vnet_addr remote;
};

struct vnet_fdb {
	struct fdb_ent *slot;
	size_t mask;   /* slots - 1 */
	size_t cursor; /* where vnet_fdb_age() resumes */
	uint64_t seed;
	uint64_t ageing;
	uint32_t max;
	uint32_t nstatic;
	int family; /* vnet_fdb_set_strict(): the only one taken; 0 any */
	struct vnet_fdb_stats stats;
	size_t nflood;
	struct flood_ent *flood; /* VNET_FDB_FLOOD_MAX of them */
};

static size_t slot_home(const struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6])
{
	uint64_t m = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
		     (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
		     (uint64_t)mac[4] << 8 | mac[5];

	return (size_t)vnet_mix64(vnet_mix64(m ^ fdb->seed) + vni) & fdb->mask;
}

/* The slot holding (vni, mac), or the free slot that ends its probe. */
static size_t slot_find(const struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6])
{
	size_t i = slot_home(fdb, vni, mac);
	const struct fdb_ent *e;

	while ((e = &fdb->slot[i])->state != SLOT_FREE) {
		if (e->vni == vni && !memcmp(e->mac, mac, 6))
			break;
		i = (i + 1) & fdb->mask;
	}
	return i;
}

/* Empty slot i and shift the rest of its cluster back over the hole. */
static void slot_del(struct vnet_fdb *fdb, size_t i)
{
	struct fdb_ent *e;
	size_t j = i, home;

	if (fdb->slot[i].state == SLOT_STATIC)
		fdb->nstatic--;
	fdb->stats.entries--;
	for (;;) {
		j = (j + 1) & fdb->mask;
		e = &fdb->slot[j];
		if (e->state == SLOT_FREE)
			break;
		home = slot_home(fdb, e->vni, e->mac);
		/* e may fill the hole unless its home lies in (i, j]. */
		if (((j - home) & fdb->mask) >= ((j - i) & fdb->mask)) {
			fdb->slot[i] = *e;
			i = j;
		}
	}
	fdb->slot[i].state = SLOT_FREE;
}

static int addr_ok(const struct vnet_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

/* What a strict table refuses (vnet_fdb_set_strict): 0, or -errno.  mac
 * NULL for a flood entry. */
static int strict_refuses(const struct vnet_fdb *fdb, const uint8_t *mac,
			  const struct vnet_addr *remote)
{
	if (!fdb->family)
		return 0;
	if (remote->family != fdb->family)
		return -EAFNOSUPPORT;
	if (mac && vnet_mac_is_multicast(mac))
		return -EADDRNOTAVAIL;
	return 0;
}

/* Copy with the unused bytes zeroed, as addr.h promises. */
static void addr_copy(struct vnet_addr *dst, const struct vnet_addr *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	memcpy(dst->b, src->b, src->family == AF_INET ? 4 : 16);
}

static int expired(const struct vnet_fdb *fdb, const struct fdb_ent *e,
		   uint64_t now)
{
	return e->state == SLOT_LEARNED && fdb->ageing && now > e->seen &&
	       now - e->seen > fdb->ageing;
}

struct vnet_fdb *vnet_fdb_new(uint32_t max, uint64_t ageing_ns)
{
	struct vnet_fdb *fdb;
	size_t nslots = 2;

	if (!max || max > VNET_FDB_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (nslots < 2 * (size_t)max)
		nslots <<= 1;
	fdb = calloc(1, sizeof(*fdb));
	if (!fdb)
		return NULL;
	fdb->slot = calloc(nslots, sizeof(*fdb->slot));
	fdb->flood = calloc(VNET_FDB_FLOOD_MAX, sizeof(*fdb->flood));
	if (!fdb->slot || !fdb->flood) {
		vnet_fdb_free(fdb);
		return NULL;
	}
	fdb->mask = nslots - 1;
	fdb->max = max;
	fdb->ageing = ageing_ns;
	fdb->seed = vnet_random_seed(fdb);
	return fdb;
}

void vnet_fdb_free(struct vnet_fdb *fdb)
{
	if (!fdb)
		return;
	free(fdb->flood);
	free(fdb->slot);
	free(fdb);
}

int vnet_fdb_set_seed(struct vnet_fdb *fdb, uint64_t seed)
{
	if (fdb->stats.entries)
		return -EBUSY;
	fdb->seed = seed;
	fdb->cursor = 0;
	return 0;
}

int vnet_fdb_set_strict(struct vnet_fdb *fdb, int family)
{
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if (fdb->stats.entries || fdb->nflood)
		return -EBUSY;
	fdb->family = family;
	return 0;
}

int vnet_fdb_learn(struct vnet_fdb *fdb, uint32_t vni, const uint8_t mac[6],
		   const struct vnet_addr *remote, uint64_t now)
{
	struct fdb_ent *e;

	if (vni > VNET_VNI_MAX || vnet_mac_is_zero(mac) ||
	    vnet_mac_is_multicast(mac) || !addr_ok(remote))
		return -EINVAL;
	e = &fdb->slot[slot_find(fdb, vni, mac)];
	if (e->state == SLOT_STATIC)
		return vnet_addr_eq(&e->remote, remote) ? 0 : -EPERM;
	if (e->state == SLOT_LEARNED) {
		if (expired(fdb, e, now)) {
			/* Gone in all but memory: a new entry in its slot. */
			fdb->stats.aged++;
			fdb->stats.learned++;
			addr_copy(&e->remote, remote);
			e->seen = now;
			return 0;
		}
		e->seen = now;
		if (vnet_addr_eq(&e->remote, remote))
			return 0;
		addr_copy(&e->remote, remote);
		fdb->stats.moved++;
		return 1;
	}
	if (fdb->stats.entries >= fdb->max) {
		fdb->stats.overflow++;
		return -ENOSPC;
	}
	e->state = SLOT_LEARNED;
	e->vni = vni;
	memcpy(e->mac, mac, 6);
	addr_copy(&e->remote, remote);
	e->seen = now;
	fdb->stats.entries++;
	fdb->stats.learned++;
	return 0;
}

const struct vnet_addr *vnet_fdb_lookup(struct vnet_fdb *fdb, uint32_t vni,
					const uint8_t mac[6], uint64_t now)
{
	size_t i;

	if (vni > VNET_VNI_MAX)
		return NULL;
	i = slot_find(fdb, vni, mac);
	if (fdb->slot[i].state == SLOT_FREE)
		return NULL;
	if (expired(fdb, &fdb->slot[i], now)) {
		slot_del(fdb, i);
		fdb->stats.aged++;
		return NULL;
	}
	return &fdb->slot[i].remote;
}

/* Drop a learned entry, the first from the ageing cursor on, to make
 * room for a static one; the table holds one. */
static void evict_learned(struct vnet_fdb *fdb)
{
	size_t i = fdb->cursor;

	while (fdb->slot[i].state != SLOT_LEARNED)
		i = (i + 1) & fdb->mask;
	slot_del(fdb, i);
}

int vnet_fdb_add_static(struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6], const struct vnet_addr *remote)
{
	struct fdb_ent *e;
	int r;

	if (vni > VNET_VNI_MAX || vnet_mac_is_zero(mac) || !addr_ok(remote))
		return -EINVAL;
	if ((r = strict_refuses(fdb, mac, remote)) < 0)
		return r;
	e = &fdb->slot[slot_find(fdb, vni, mac)];
	if (e->state == SLOT_FREE) {
		if (fdb->nstatic >= fdb->max)
			return -ENOSPC;
		if (fdb->stats.entries >= fdb->max) {
			/* The shift may move the end of the probe. */
			evict_learned(fdb);
			e = &fdb->slot[slot_find(fdb, vni, mac)];
		}
		e->vni = vni;
		memcpy(e->mac, mac, 6);
		fdb->stats.entries++;
	}
	if (e->state != SLOT_STATIC)
		fdb->nstatic++;
	e->state = SLOT_STATIC;
	e->seen = 0;
	addr_copy(&e->remote, remote);
	return 0;
}

int vnet_fdb_del_static(struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6])
{
	size_t i = slot_find(fdb, vni, mac);

	if (fdb->slot[i].state != SLOT_STATIC)
		return -ENOENT;
	slot_del(fdb, i);
	return 0;
}

const struct vnet_addr *vnet_fdb_static_remote(const struct vnet_fdb *fdb,
					       uint32_t vni,
					       const uint8_t mac[6])
{
	const struct fdb_ent *e = &fdb->slot[slot_find(fdb, vni, mac)];

	return e->state == SLOT_STATIC ? &e->remote : NULL;
}

int vnet_fdb_is_static(const struct vnet_fdb *fdb, uint32_t vni,
		       const uint8_t mac[6])
{
	return vnet_fdb_static_remote(fdb, vni, mac) != NULL;
}

size_t vnet_fdb_age(struct vnet_fdb *fdb, uint64_t now, size_t budget)
{
	size_t work = budget ? budget : fdb->mask + 1, removed = 0;

	if (!fdb->ageing)
		return 0;
	while (work && fdb->stats.entries > fdb->nstatic) {
		if (expired(fdb, &fdb->slot[fdb->cursor], now)) {
			/* The shift may bring another entry into this slot:
			 * look at it again before moving on. */
			slot_del(fdb, fdb->cursor);
			fdb->stats.aged++;
			removed++;
			if (budget)
				work--;
			continue;
		}
		fdb->cursor = (fdb->cursor + 1) & fdb->mask;
		work--;
	}
	return removed;
}

/* First flood entry whose VNI is not below vni. */
static size_t flood_lower(const struct vnet_fdb *fdb, uint32_t vni)
{
	size_t lo = 0, hi = fdb->nflood, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fdb->flood[mid].vni < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Where (vni, remote) is in the flood list, or would go: its index, and
 * *found 1 if it is there. */
static size_t flood_find(const struct vnet_fdb *fdb, uint32_t vni,
			 const struct vnet_addr *remote, int *found)
{
	size_t lo = 0, hi = fdb->nflood, mid;
	const struct flood_ent *f;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		f = &fdb->flood[mid];
		c = f->vni != vni ? (f->vni < vni ? -1 : 1)
				  : vnet_addr_cmp(&f->remote, remote);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vnet_fdb_flood_add(struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote)
{
	size_t i;
	int found, r;

	if ((vni > VNET_VNI_MAX && vni != VNET_VNI_ANY) || !addr_ok(remote))
		return -EINVAL;
	if ((r = strict_refuses(fdb, NULL, remote)) < 0)
		return r;
	i = flood_find(fdb, vni, remote, &found);
	if (found)
		return 0;
	if (fdb->nflood == VNET_FDB_FLOOD_MAX)
		return -ENOSPC;
	memmove(&fdb->flood[i + 1], &fdb->flood[i],
		(fdb->nflood - i) * sizeof(fdb->flood[0]));
	fdb->flood[i].vni = vni;
	addr_copy(&fdb->flood[i].remote, remote);
	fdb->stats.flood = ++fdb->nflood;
	return 0;
}

int vnet_fdb_flood_del(struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote)
{
	int found;
	size_t i = flood_find(fdb, vni, remote, &found);

	if (!found)
		return -ENOENT;
	memmove(&fdb->flood[i], &fdb->flood[i + 1],
		(fdb->nflood - i - 1) * sizeof(fdb->flood[0]));
	fdb->stats.flood = --fdb->nflood;
	return 0;
}

int vnet_fdb_flood_has(const struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote)
{
	int found;

	flood_find(fdb, vni, remote, &found);
	return found;
}

size_t vnet_fdb_flood(const struct vnet_fdb *fdb, uint32_t vni,
		      const struct vnet_addr **out, size_t max)
{
	const struct flood_ent *fl = fdb->flood;
	size_t i = flood_lower(fdb, vni), j, n = 0;
	int c;

	/* Merge the sorted run of vni with that of VNET_VNI_ANY. */
	j = vni == VNET_VNI_ANY ? fdb->nflood : flood_lower(fdb, VNET_VNI_ANY);
	while (n < max) {
		int have_i = i < fdb->nflood && fl[i].vni == vni;
		int have_j = j < fdb->nflood;

		if (!have_i && !have_j)
			break;
		if (!have_i)
			c = 1;
		else if (!have_j)
			c = -1;
		else
			c = vnet_addr_cmp(&fl[i].remote, &fl[j].remote);
		if (c <= 0) {
			out[n++] = &fl[i++].remote;
			if (!c)
				j++;
		} else {
			out[n++] = &fl[j++].remote;
		}
	}
	return n;
}

/* Quote what the file (or a request) said without sending control bytes
 * to a terminal: s into buf (VNET_ERR_MSG bytes, as much as a message
 * holds), non-printable bytes as '?'. */
static const char *printable(char *buf, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < VNET_ERR_MSG - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ||
				 (unsigned char)s[i] >= 0x7f
			 ? '?'
			 : s[i];
	buf[i] = '\0';
	return buf;
}

int vnet_fdb_entry_parse(struct vnet_fdb_entry *e, const char *vni,
			 const char *mac, const char *remote, const char *obj,
			 unsigned line, struct vnet_err *err)
{
	char q[VNET_ERR_MSG];
	uint64_t v;

	memset(e, 0, sizeof(*e));
	if (vnet_parse_u64(vni, 0, VNET_VNI_MAX, &v)) {
		vnet_err_set(err, obj, line, "bad VNI '%s' (expected 0-%u)",
			     printable(q, vni ? vni : ""), VNET_VNI_MAX);
		return -EINVAL;
	}
	e->vni = (uint32_t)v;
	if (mac && vnet_mac_parse(mac, e->mac)) {
		vnet_err_set(err, obj, line, "bad MAC '%s'", printable(q, mac));
		return -EINVAL;
	}
	if (remote && vnet_addr_parse(remote, &e->remote)) {
		vnet_err_set(err, obj, line, "bad remote address '%s'",
			     printable(q, remote));
		return -EINVAL;
	}
	return 0;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

int vnet_fdb_entry_add(struct vnet_fdb *fdb, const struct vnet_fdb_entry *e,
		       const char *obj, unsigned line, struct vnet_err *err)
{
	char a[VNET_ADDRSTRLEN], m[VNET_MACSTRLEN];
	int flood = vnet_mac_is_zero(e->mac), r;

	r = flood ? vnet_fdb_flood_add(fdb, e->vni, &e->remote)
		  : vnet_fdb_add_static(fdb, e->vni, e->mac, &e->remote);
	if (r == -ENOSPC && flood)
		vnet_err_set(err, obj, line, "flood list full (%d entries)",
			     VNET_FDB_FLOOD_MAX);
	else if (r == -ENOSPC)
		vnet_err_set(err, obj, line, "table full");
	else if (r == -EAFNOSUPPORT)
		vnet_err_set(err, obj, line, "remote %s is %s, the underlay %s",
			     vnet_addr_fmt(&e->remote, a),
			     family_name(e->remote.family),
			     family_name(fdb->family));
	else if (r == -EADDRNOTAVAIL)
		vnet_err_set(err, obj, line,
			     "MAC %s is a group address: a static entry is for "
			     "one host (flood entries have MAC "
			     "00:00:00:00:00:00)",
			     vnet_mac_fmt(e->mac, m));
	else if (r < 0)
		vnet_err_set(err, obj, line, "%s", strerror(-r));
	return r;
}

#define STR(x)	#x
#define XSTR(x) STR(x)
#define TOO_LONG                                                               \
	"line too long (more than " XSTR(VNET_FDB_LINE_MAX) " characters)"

/* One line into buf (size VNET_FDB_LINE_MAX + 2) without its newline or
 * a CR before it.  1 a line, 0 end of file, -E2BIG too long, -EILSEQ a
 * NUL byte, or -errno of a read error. */
static int read_line(FILE *f, char *buf)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			return -EILSEQ;
		if (n > VNET_FDB_LINE_MAX) /* room for a CR still to go */
			return -E2BIG;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	if (c == EOF && !n)
		return 0;
	if (n && buf[n - 1] == '\r')
		n--;
	if (n > VNET_FDB_LINE_MAX)
		return -E2BIG;
	buf[n] = '\0';
	return 1;
}

static int load_line(struct vnet_fdb *fdb, char *s, const char *path,
		     unsigned line, struct vnet_err *err)
{
	struct vnet_fdb_entry e;
	char *tok[3], *p;
	int n = 0;

	p = strchr(s, '#');
	if (p)
		*p = '\0';
	p = s;
	while (n < 3) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		tok[n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (!n)
		return 0;
	if (n < 3) {
		vnet_err_set(err, path, line, "expected VNI MAC REMOTE");
		return -EINVAL;
	}
	if (vnet_fdb_entry_parse(&e, tok[0], tok[1], tok[2], path, line,
				 err) < 0 ||
	    vnet_fdb_entry_add(fdb, &e, path, line, err) < 0)
		return -EINVAL;
	return 0;
}

int vnet_fdb_load(struct vnet_fdb *fdb, const char *path,
		  struct vnet_err *err)
{
	char buf[VNET_FDB_LINE_MAX + 2];
	unsigned line = 0;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f)
		return vnet_err_sys(err, path, errno);
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
		ret = load_line(fdb, buf, path, line, err);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

/* Whether src has a static entry for the key of e. */
static int claimed(const struct vnet_fdb *src, const struct fdb_ent *e)
{
	return src->slot[slot_find(src, e->vni, e->mac)].state == SLOT_STATIC;
}

int vnet_fdb_replace_static(struct vnet_fdb *dst, const struct vnet_fdb *src)
{
	const struct fdb_ent *s;
	struct fdb_ent *e;
	size_t i, need = 0;

	if (dst == src)
		return 0;
	if (src->nstatic > dst->max)
		return -ENOSPC;
	/*
	 * From here on nothing can fail.  Walk every slot once, looking at a
	 * slot again after a deletion shifted another entry into it; entries
	 * that wrap around from the start of the table have been seen.
	 */
	for (i = 0; i <= dst->mask && dst->nstatic;) {
		if (dst->slot[i].state == SLOT_STATIC)
			slot_del(dst, i);
		else
			i++;
	}
	for (i = 0; i <= src->mask; i++) {
		s = &src->slot[i];
		if (s->state != SLOT_STATIC)
			continue;
		e = &dst->slot[slot_find(dst, s->vni, s->mac)];
		if (e->state == SLOT_FREE)
			need++;
	}
	/* Learned entries claimed by src become static in place; drop
	 * unclaimed ones until the new static entries fit. */
	for (i = 0; i <= dst->mask && dst->stats.entries + need > dst->max;) {
		e = &dst->slot[i];
		if (e->state == SLOT_LEARNED && !claimed(src, e))
			slot_del(dst, i);
		else
			i++;
	}
	for (i = 0; i <= src->mask; i++) {
		s = &src->slot[i];
		if (s->state == SLOT_STATIC)
			vnet_fdb_add_static(dst, s->vni, s->mac, &s->remote);
	}
	memcpy(dst->flood, src->flood, src->nflood * sizeof(src->flood[0]));
	dst->stats.flood = dst->nflood = src->nflood;
	return 0;
}

int vnet_fdb_merge_static(struct vnet_fdb *dst, const struct vnet_fdb *src)
{
	const struct fdb_ent *s;
	const struct flood_ent *f;
	size_t i, need = 0, nflood = 0;
	int r, found;

	if (dst == src)
		return 0;
	/* Check all first: from the adds on, nothing can fail. */
	for (i = 0; i <= src->mask; i++) {
		s = &src->slot[i];
		if (s->state != SLOT_STATIC || claimed(dst, s))
			continue;
		if ((r = strict_refuses(dst, s->mac, &s->remote)) < 0)
			return r;
		need++;
	}
	if (dst->nstatic + need > dst->max)
		return -ENOSPC;
	for (i = 0; i < src->nflood; i++) {
		f = &src->flood[i];
		if ((r = strict_refuses(dst, NULL, &f->remote)) < 0)
			return r;
		flood_find(dst, f->vni, &f->remote, &found);
		nflood += !found;
	}
	if (dst->nflood + nflood > VNET_FDB_FLOOD_MAX)
		return -ENOSPC;
	for (i = 0; i <= src->mask; i++) {
		s = &src->slot[i];
		if (s->state == SLOT_STATIC && !claimed(dst, s))
			vnet_fdb_add_static(dst, s->vni, s->mac, &s->remote);
	}
	for (i = 0; i < src->nflood; i++)
		vnet_fdb_flood_add(dst, src->flood[i].vni,
				   &src->flood[i].remote);
	return 0;
}

static uint64_t age_s(const struct fdb_ent *e, uint64_t now)
{
	return now > e->seen ? (now - e->seen) / 1000000000u : 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct fdb_ent *x = *(const struct fdb_ent *const *)a;
	const struct fdb_ent *y = *(const struct fdb_ent *const *)b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return memcmp(x->mac, y->mac, 6);
}

int vnet_fdb_dump(const struct vnet_fdb *fdb, FILE *f, uint64_t now)
{
	const struct fdb_ent **v = NULL, *e;
	char mac[VNET_MACSTRLEN], addr[VNET_ADDRSTRLEN];
	size_t n = 0, i;
	int ret = -ENOMEM;

	if (fdb->stats.entries) {
		v = malloc(fdb->stats.entries * sizeof(*v));
		if (!v)
			goto out;
	}
	for (i = 0; i <= fdb->mask && n < fdb->stats.entries; i++) {
		e = &fdb->slot[i];
		if (e->state != SLOT_FREE && !expired(fdb, e, now))
			v[n++] = e;
	}
	if (n)
		qsort(v, n, sizeof(*v), ent_cmp);
	errno = 0;
	for (i = 0; i < n; i++) {
		e = v[i];
		fprintf(f, "%u\t%s\t%s\t", e->vni, vnet_mac_fmt(e->mac, mac),
			vnet_addr_fmt(&e->remote, addr));
		if (e->state == SLOT_STATIC)
			fputs("static\t-\n", f);
		else
			fprintf(f, "learned\t%llu\n",
				(unsigned long long)age_s(e, now));
	}
	for (i = 0; i < fdb->nflood; i++) {
		vnet_addr_fmt(&fdb->flood[i].remote, addr);
		if (fdb->flood[i].vni == VNET_VNI_ANY)
			fprintf(f, "# flood all VNIs: %s\n", addr);
		else
			fprintf(f, "%u\t00:00:00:00:00:00\t%s\tflood\t-\n",
				fdb->flood[i].vni, addr);
	}
	ret = 0;
	if (fflush(f) || ferror(f))
		ret = errno ? -errno : -EIO;
out:
	free(v);
	return ret;
}

const struct vnet_fdb_stats *vnet_fdb_stats(const struct vnet_fdb *fdb)
{
	return &fdb->stats;
}
