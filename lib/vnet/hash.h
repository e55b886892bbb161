/* SPDX-License-Identifier: ISC */
/* hash.h -- a seeded hash for tables and the flow hash. */
#ifndef VNET_HASH_H
#define VNET_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/pkt.h"

uint32_t vnet_hash_bytes(const void *p, size_t len, uint32_t seed);
/* Hash of a frame's flow: the IP 5-tuple when there is one (addresses and
 * protocol only for fragments and non-TCP/UDP), else MACs and EtherType.
 * Stable across runs for the same seed.  sym != 0 gives the same value for
 * both directions of a flow. */
uint32_t vnet_flow_hash(const struct vnet_pkt *p, uint32_t seed, int sym);

/* The 64-bit finalizer of MurmurHash3: a bijection with full avalanche,
 * for spreading integer keys and deriving seeds. */
uint64_t vnet_mix64(uint64_t x);
/* A random seed for a table's hash (getrandom; without entropy yet, early
 * at boot, the clock mixed with salt: still different per run and table). */
uint64_t vnet_random_seed(const void *salt);

#endif
