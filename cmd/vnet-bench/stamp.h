/* SPDX-License-Identifier: ISC */
/* stamp.h -- the stamp vnet-bench puts in each frame's payload.
 *
 * 18 bytes, big-endian, right after the UDP, TCP or ICMP header (so it
 * fits a 64-byte IPv4/UDP frame):
 *
 *   0  magic   0x7642 ("vB")
 *   2  stream  the generator's stream id
 *   4  seq     the frame's sequence number in its stream (from 0; wraps)
 *   8  ts      the send time, ns since the epoch (clock.h)
 *   16 check   the Internet checksum of bytes 0-15 (as vnet_csum_fold
 *              gives it, one of the two zeros): the 18 bytes sum
 *              to 0xffff, so a foreign payload that happens to start with
 *              the magic is still refused
 *
 * Parsers take any bytes (tests/fuzz/bench.c) and return 0 or -EINVAL.
 */
#ifndef VNET_BENCH_STAMP_H
#define VNET_BENCH_STAMP_H

#include <stddef.h>
#include <stdint.h>

#define VNET_STAMP_LEN	 18
#define VNET_STAMP_MAGIC 0x7642

struct vnet_stamp {
	uint16_t stream;
	uint32_t seq;
	uint64_t ts_ns;
};

/* Write s at p (VNET_STAMP_LEN bytes). */
void vnet_stamp_put(uint8_t *p, const struct vnet_stamp *s);
/* Read a stamp from the len bytes at p: 0, or -EINVAL (too short, no
 * magic, bad check). */
int vnet_stamp_get(const uint8_t *p, size_t len, struct vnet_stamp *s);
/* Find the stamp of an Ethernet frame: past the UDP, TCP or ICMP header
 * of an IPv4 or IPv6 packet (VLAN tags allowed), within the IP packet.
 * 0, or -EINVAL: a foreign frame. */
int vnet_stamp_find(const uint8_t *frame, size_t len, struct vnet_stamp *s);

#endif
