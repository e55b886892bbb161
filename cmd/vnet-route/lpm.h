/* SPDX-License-Identifier: ISC */
/* lpm.h -- longest-prefix match over IPv4 or IPv6 keys: a binary trie.
 *
 * One table holds keys of one width (32 or 128 bits), each prefix with a
 * 32-bit value.  A lookup walks at most one node per bit of the key and
 * remembers the last node that held a value: O(width), independent of
 * the number of prefixes (no scan).  Nodes live in one array that grows
 * by doubling; nothing is freed until route_lpm_free().  Keys are
 * network-order bytes.  Bits of a prefix past its length are ignored.
 * Functions return 0 or -errno; route_lpm_new() NULL with errno set.
 */
#ifndef ROUTE_LPM_H
#define ROUTE_LPM_H

#include <stddef.h>
#include <stdint.h>

struct route_lpm;

/* A table of keys of bits bits (32 or 128). */
struct route_lpm *route_lpm_new(unsigned bits);
void route_lpm_free(struct route_lpm *l); /* takes NULL */

/* Set the value of key/plen (replacing one already there): 0, -EINVAL
 * (plen beyond the width), -ENOMEM. */
int route_lpm_insert(struct route_lpm *l, const uint8_t *key, unsigned plen,
		     uint32_t value);
/* The value of the longest prefix covering key into *value and its
 * length into *plen (may be NULL): 1, or 0 when none covers it. */
int route_lpm_lookup(const struct route_lpm *l, const uint8_t *key,
		     uint32_t *value, unsigned *plen);
/* The value of exactly key/plen: 1, or 0. */
int route_lpm_get(const struct route_lpm *l, const uint8_t *key, unsigned plen,
		  uint32_t *value);
/* The number of prefixes held. */
size_t route_lpm_count(const struct route_lpm *l);
/* Every prefix, in order of its bits (a shorter prefix before the longer
 * ones it covers): fn(arg, key, plen, value); a non-zero return stops
 * the walk and is returned. */
int route_lpm_walk(const struct route_lpm *l,
		   int (*fn)(void *arg, const uint8_t *key, unsigned plen,
			     uint32_t value),
		   void *arg);

#endif
