/* SPDX-License-Identifier: ISC */
/* clock.h -- the one clock every timer reads (DESIGN.md section 2).
 *
 * Live, it is the wall clock.  With --clock pcap it is the timestamp of the
 * newest frame read so far, so replaying a capture gives the same output
 * and the same timer decisions every time.
 */
#ifndef VNET_CLOCK_H
#define VNET_CLOCK_H

#include <stdint.h>

enum vnet_clock_mode { VNET_CLOCK_LIVE, VNET_CLOCK_PCAP };

/* "live" or "pcap"; 0 or -EINVAL. */
int vnet_clock_parse(const char *s, enum vnet_clock_mode *m);
void vnet_clock_set_mode(enum vnet_clock_mode m);
enum vnet_clock_mode vnet_clock_mode(void);
/* Nanoseconds since the epoch by the selected clock. */
uint64_t vnet_clock_now(void);
/* Feed a frame timestamp; in pcap mode the clock moves forward to it
 * (never backward).  Ignored live. */
void vnet_clock_observe(uint64_t ts_ns);
/* The wall clock, whatever the mode (to stamp frames read from a tap). */
uint64_t vnet_clock_wall(void);

#endif
