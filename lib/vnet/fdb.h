/* SPDX-License-Identifier: ISC */
/* fdb.h -- the VTEP forwarding database: (VNI, MAC) -> remote VTEP, and
 * the flood list (head-end replication) per VNI.
 *
 * Bounded: the table holds at most max entries, all allocated by
 * vnet_fdb_new(); learning never allocates.  A learn that finds the table
 * full is refused and counted (overflow).  Learned entries age out after
 * the ageing time without traffic; static entries never age and are never
 * overwritten by learning.  Lookups and learning are O(1) on average.
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

#define VNET_VNI_ANY UINT32_MAX /* flood-list entries for every VNI */

struct vnet_fdb_stats {
	uint64_t entries;   /* learned + static now in the table */
	uint64_t learned;   /* new learned entries */
	uint64_t moved;	    /* a MAC seen behind a different remote */
	uint64_t aged;	    /* learned entries removed by ageing */
	uint64_t overflow;  /* learns refused because the table was full */
};

struct vnet_fdb;

struct vnet_fdb *vnet_fdb_new(uint32_t max, uint64_t ageing_ns);
void vnet_fdb_free(struct vnet_fdb *fdb);

/* Learn or refresh (vni, mac) behind remote at time now.  0 new or
 * refreshed, 1 moved (the remote changed), -ENOSPC table full (counted),
 * -EPERM a static entry exists with another remote (kept). */
int vnet_fdb_learn(struct vnet_fdb *fdb, uint32_t vni, const uint8_t mac[6],
		   const struct vnet_addr *remote, uint64_t now);
/* The remote for (vni, mac), or NULL if unknown or aged (aged entries
 * found by a lookup are removed and counted). */
const struct vnet_addr *vnet_fdb_lookup(struct vnet_fdb *fdb, uint32_t vni,
					const uint8_t mac[6], uint64_t now);
int vnet_fdb_add_static(struct vnet_fdb *fdb, uint32_t vni,
			const uint8_t mac[6], const struct vnet_addr *remote);
/* Remove learned entries idle longer than the ageing time.  Does at most
 * `budget` slots of work per call (0: the whole table) so it can run from
 * the packet loop; returns the number removed. */
size_t vnet_fdb_age(struct vnet_fdb *fdb, uint64_t now, size_t budget);

/* Flood list: the remotes BUM frames of vni go to (those of VNET_VNI_ANY
 * included, duplicates removed).  Fills at most max; returns the count. */
int vnet_fdb_flood_add(struct vnet_fdb *fdb, uint32_t vni,
		       const struct vnet_addr *remote);
size_t vnet_fdb_flood(const struct vnet_fdb *fdb, uint32_t vni,
		      const struct vnet_addr **out, size_t max);

/* Load static entries and flood entries from a file in the text form.
 * On a bad line returns -EINVAL and writes "FILE:LINE: what is wrong"
 * into err (errlen bytes); what was loaded before stays.  Other errors:
 * -errno from fopen, with err set to "FILE: strerror". */
int vnet_fdb_load(struct vnet_fdb *fdb, const char *path, char *err,
		  size_t errlen);
/* Replace all static and flood entries of dst by those of src (learned
 * entries of dst stay, except where a static entry now claims the key).
 * Used for SIGHUP: load into a fresh table, and only if that succeeds,
 * replace. */
int vnet_fdb_replace_static(struct vnet_fdb *dst, const struct vnet_fdb *src);
/* Write every entry in the text form, sorted by VNI then MAC, then the
 * flood entries (MAC 00:00:00:00:00:00, TYPE "flood"). */
int vnet_fdb_dump(const struct vnet_fdb *fdb, FILE *f, uint64_t now);
const struct vnet_fdb_stats *vnet_fdb_stats(const struct vnet_fdb *fdb);

#endif
