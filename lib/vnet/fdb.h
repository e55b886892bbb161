/* SPDX-License-Identifier: ISC */
/* fdb.h -- the VTEP forwarding database: (VNI, MAC) -> remote VTEP, and
 * the flood list (head-end replication) per VNI.
 *
 * Bounded: the table holds at most max entries, all allocated by
 * vnet_fdb_new(); learning never allocates.  A learn that finds the table
 * full is refused and counted (overflow).  Learned entries age out after
 * the ageing time without traffic; static entries never age and are never
 * overwritten by learning.  Lookups and learning are O(1) on average.
 * Static entries count toward max as well: a table of max entries holding
 * S static ones has room for max - S learned ones.
 *
 * Text form (load, dump): one entry a line, tab-separated,
 *     VNI  MAC  REMOTE  [TYPE [AGE]]
 * TYPE is "static" or "learned", AGE seconds since last seen; the loader
 * takes the first three columns and ignores the rest, so a dump reloads.
 * MAC 00:00:00:00:00:00 adds REMOTE to the flood list of VNI.  '#' starts
 * a comment; blank lines are skipped.
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.
 */
#ifndef VNET_FDB_H
#define VNET_FDB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnet/addr.h"
#include "vnet/err.h"

#define VNET_VNI_ANY	   UINT32_MAX /* flood-list entries for every VNI */
#define VNET_VNI_MAX	   0xffffffu  /* VNIs are 24 bits */
#define VNET_FDB_MAX	   (1u << 24) /* largest max vnet_fdb_new() accepts */
#define VNET_FDB_FLOOD_MAX 4096      /* flood entries per table, all VNIs */
#define VNET_FDB_LINE_MAX  4096	      /* longest line vnet_fdb_load() takes */

struct vnet_fdb_stats {
	uint64_t entries;   /* learned + static now in the table */
	uint64_t learned;   /* new learned entries */
	uint64_t moved;	    /* a MAC seen behind a different remote */
	uint64_t aged;	    /* learned entries removed by ageing */
	uint64_t overflow;  /* learns refused because the table was full */
	uint64_t flood;	    /* flood entries now, all VNIs */
};

/* One line of the text form: a static entry, or with the zero MAC a
 * flood entry. */
struct vnet_fdb_entry {
	uint32_t vni;
	uint8_t mac[6];
	struct vnet_addr remote;
};

struct vnet_fdb;

/* A table of at most max entries (1..VNET_FDB_MAX, else EINVAL); learned
 * entries idle longer than ageing_ns are removed (0: they never age).
 * All memory is allocated here.  The hash is keyed with a random seed, so
 * a host on the overlay cannot pick MACs that collide. */
struct vnet_fdb *vnet_fdb_new(uint32_t max, uint64_t ageing_ns);
/* Takes NULL. */
void vnet_fdb_free(struct vnet_fdb *fdb);
/* Key the hash with seed instead of the random one, so that the slot
 * order, and with it which entries a budgeted vnet_fdb_age() reaches
 * first, is the same on every run (--clock pcap replays).  0, or -EBUSY
 * if the table is not empty. */
int vnet_fdb_set_seed(struct vnet_fdb *fdb, uint64_t seed);
/* Make fdb take only what a VTEP on an underlay of family (AF_INET or
 * AF_INET6) can use: remotes of that family (others: -EAFNOSUPPORT) and
 * static entries of unicast MACs (a group MAC, which is never looked up:
 * -EADDRNOTAVAIL), in vnet_fdb_add_static(), vnet_fdb_flood_add(),
 * vnet_fdb_merge_static() and so in the loader.  0, -EINVAL for another
 * family, or -EBUSY if the table is not empty. */
int vnet_fdb_set_strict(struct vnet_fdb *fdb, int family);

/* Learn or refresh (vni, mac) behind remote at time now.  0 new or
 * refreshed, 1 moved (the remote changed), -ENOSPC table full (counted),
 * -EPERM a static entry exists with another remote (kept).
 * -EINVAL: vni above VNET_VNI_MAX, a zero or multicast (group) MAC, which
 * is never a source, or a remote that is neither IPv4 nor IPv6.
 * Relearning an entry that had expired but was not yet removed counts it
 * as aged and as newly learned, and returns 0.  A full table is not
 * searched for expired entries: run vnet_fdb_age() from the packet loop. */
int vnet_fdb_learn(struct vnet_fdb *fdb, uint32_t vni, const uint8_t mac[6],
		   const struct vnet_addr *remote, uint64_t now);
/* The remote for (vni, mac), or NULL if unknown or aged (aged entries
 * found by a lookup are removed and counted).  The pointer is into the
 * table: valid until the next call on fdb other than vnet_fdb_flood(),
 * vnet_fdb_dump() and vnet_fdb_stats(). */
const struct vnet_addr *vnet_fdb_lookup(struct vnet_fdb *fdb, uint32_t vni,
					const uint8_t mac[6], uint64_t now);
/* Add or replace a static entry; it takes over a learned entry of the same
 * key.  In a full table a learned entry makes room (dropped, not counted:
 * it is learned again from its next frame).  0, -ENOSPC the table is full
 * of static entries (not counted as overflow), -EINVAL for vni above
 * VNET_VNI_MAX, the zero MAC (that is the flood list:
 * vnet_fdb_flood_add()) or a remote that is neither IPv4 nor IPv6; in a
 * strict table (vnet_fdb_set_strict) -EAFNOSUPPORT or -EADDRNOTAVAIL. */
int vnet_fdb_add_static(struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6], const struct vnet_addr *remote);
/* Remove the static entry of (vni, mac): 0, or -ENOENT if there is none
 * (a learned entry of that key is left alone). */
int vnet_fdb_del_static(struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6]);
/* The remote of the static entry of (vni, mac), or NULL if there is none;
 * the pointer is into the table, valid until the table changes. */
const struct vnet_addr *vnet_fdb_static_remote(const struct vnet_fdb *fdb,
					       uint32_t vni,
					       const uint8_t mac[6]);
/* Whether (vni, mac) has a static entry: 1 or 0. */
int vnet_fdb_is_static(const struct vnet_fdb *fdb, uint32_t vni,
		       const uint8_t mac[6]);
/* Remove learned entries idle longer than the ageing time.  Does at most
 * `budget` slots of work per call (0: the whole table) so it can run from
 * the packet loop; returns the number removed.  A cursor kept in fdb
 * resumes where the previous call stopped, so calls with a budget sweep
 * the whole table in turn. */
size_t vnet_fdb_age(struct vnet_fdb *fdb, uint64_t now, size_t budget);

/* Add remote to the flood list of vni (VNET_VNI_ANY: of every VNI).
 * 0 added or already there, -ENOSPC the table already holds
 * VNET_FDB_FLOOD_MAX flood entries, -EINVAL for a vni that is neither
 * VNET_VNI_ANY nor at most VNET_VNI_MAX, or a remote that is neither IPv4
 * nor IPv6; in a strict table -EAFNOSUPPORT. */
int vnet_fdb_flood_add(struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote);
/* Remove the flood entry (vni, remote) that vnet_fdb_flood_add(fdb, vni,
 * remote) made: vni is taken as it is, so VNET_VNI_ANY removes an entry
 * of every VNI and a VNI leaves those of VNET_VNI_ANY alone.  0, or
 * -ENOENT if there is no such entry. */
int vnet_fdb_flood_del(struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote);
/* Whether the flood entry (vni, remote) is there, vni taken as in
 * vnet_fdb_flood_del(): 1 or 0. */
int vnet_fdb_flood_has(const struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote);
/* Flood list: the remotes BUM frames of vni go to (those of VNET_VNI_ANY
 * included, duplicates removed), in address order.  Fills at most max;
 * returns the count.  The pointers are valid until the flood list
 * changes. */
size_t vnet_fdb_flood(const struct vnet_fdb *fdb, uint32_t vni,
		      const struct vnet_addr **out, size_t max);

/* Parse the columns of a line of the text form into e: vni, and mac and
 * remote unless NULL (then zero).  0, or -EINVAL with err (may be NULL)
 * holding obj and line (NULL and 0 for none) and one of
 *     bad VNI 'x' (expected 0-16777215)
 *     bad MAC 'x'
 *     bad remote address 'x'
 * (non-printable bytes of x shown as '?'), as the loader says them. */
int vnet_fdb_entry_parse(struct vnet_fdb_entry *e, const char *vni,
			 const char *mac, const char *remote, const char *obj,
			 unsigned line, struct vnet_err *err);
/* Add e to fdb: a flood entry for the zero MAC, else a static one.  0, or
 * the -errno of vnet_fdb_flood_add() or vnet_fdb_add_static() with err
 * (obj and line as in vnet_fdb_entry_parse) holding one of
 *     table full
 *     flood list full (4096 entries)
 *     remote 2001:db8::2 is IPv6, the underlay IPv4	(strict)
 *     MAC 01:00:5e:00:00:01 is a group address: a static entry is for
 *         one host (flood entries have MAC 00:00:00:00:00:00)	(strict)
 * or strerror, as the loader says them. */
int vnet_fdb_entry_add(struct vnet_fdb *fdb, const struct vnet_fdb_entry *e,
		       const char *obj, unsigned line, struct vnet_err *err);

/* Load static entries and flood entries from a file in the text form.
 * On a bad line returns -EINVAL and fills err (may be NULL) with FILE,
 * LINE and what is wrong (err.h); what was loaded before stays.  Other
 * errors: -errno from fopen, with err holding FILE and strerror.
 *
 * Columns are separated by one or more tabs or spaces; a CR before the
 * newline is ignored.  VNI is decimal, 0-16777215.  A later line for the
 * same VNI and MAC replaces the earlier one.  What is wrong is one of
 *     bad VNI 'x' (expected 0-16777215)
 *     bad MAC 'x'
 *     bad remote address 'x'
 *     expected VNI MAC REMOTE
 *     table full
 *     flood list full (4096 entries)
 *     line too long (more than 4096 characters)
 *     NUL byte in line
 * and, in a strict table (vnet_fdb_set_strict), the two more of
 * vnet_fdb_entry_add() (non-printable bytes of x are shown as '?').  A
 * read error returns its -errno with err holding FILE and strerror. */
int vnet_fdb_load(struct vnet_fdb *fdb, const char *path,
		  struct vnet_err *err);
/* Replace all static and flood entries of dst by those of src (learned
 * entries of dst stay, except where a static entry now claims the key).
 * Used for SIGHUP: load into a fresh table, and only if that succeeds,
 * replace.  0, or -ENOSPC (dst unchanged) if src holds more static
 * entries than dst's max.  Where the learned entries of dst and the new
 * static ones do not fit together, learned entries are dropped to make
 * room (they are learned again from the next frame; not counted). */
int vnet_fdb_replace_static(struct vnet_fdb *dst, const struct vnet_fdb *src);
/* Add to dst the static entries of src whose key has no static entry in
 * dst yet (dst's win; a learned entry of dst gives its key up, as to
 * vnet_fdb_add_static()), and src's flood entries that dst lacks: the
 * union.  Learned entries of src are not looked at.  All or nothing:
 * -ENOSPC when the static entries would be more than dst's max or the
 * flood entries more than VNET_FDB_FLOOD_MAX, and -EAFNOSUPPORT or
 * -EADDRNOTAVAIL when a strict dst would refuse one, with dst as it was;
 * else 0.  Learned entries of dst make room as vnet_fdb_add_static()
 * says. */
int vnet_fdb_merge_static(struct vnet_fdb *dst, const struct vnet_fdb *src);
/* Write every entry in the text form, sorted by VNI then MAC, then the
 * flood entries (MAC 00:00:00:00:00:00, TYPE "flood") sorted by VNI then
 * address.  Columns are tab-separated; AGE is whole seconds for learned
 * entries and "-" for static and flood ones.  Learned entries expired at
 * now are left out.  Flood entries of VNET_VNI_ANY, which have no VNI to
 * write, come last as comment lines "# flood all VNIs: ADDR", so the dump
 * still loads (without them).  0, -ENOMEM (the sort allocates), or -errno
 * (-EIO if unknown) if writing to f failed. */
int vnet_fdb_dump(const struct vnet_fdb *fdb, FILE *f, uint64_t now);
const struct vnet_fdb_stats *vnet_fdb_stats(const struct vnet_fdb *fdb);

#endif
