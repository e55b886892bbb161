/* SPDX-License-Identifier: ISC */
/* clock.c -- wall clock live, packet clock on replay. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vnet/clock.h"

static enum vnet_clock_mode mode = VNET_CLOCK_LIVE;
static uint64_t pcap_now;

int vnet_clock_parse(const char *s, enum vnet_clock_mode *m)
{
	if (!strcmp(s, "live"))
		*m = VNET_CLOCK_LIVE;
	else if (!strcmp(s, "pcap"))
		*m = VNET_CLOCK_PCAP;
	else
		return -EINVAL;
	return 0;
}

void vnet_clock_set_mode(enum vnet_clock_mode m)
{
	mode = m;
}

enum vnet_clock_mode vnet_clock_mode(void)
{
	return mode;
}

uint64_t vnet_clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t vnet_clock_now(void)
{
	return mode == VNET_CLOCK_PCAP ? pcap_now : vnet_clock_wall();
}

void vnet_clock_observe(uint64_t ts_ns)
{
	if (mode == VNET_CLOCK_PCAP && ts_ns > pcap_now)
		pcap_now = ts_ns;
}
