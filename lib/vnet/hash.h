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

#endif
