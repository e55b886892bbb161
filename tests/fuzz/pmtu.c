/* SPDX-License-Identifier: ISC */
/* pmtu.c -- libFuzzer harness for pmtu_reply (vnet-encap --pmtu-reply
 * reads the inner frame it answers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-encap/pmtu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[PMTU_REPLY_MAX];
	size_t l2, n;
	unsigned mtu;

	if (size < 3)
		return 0;
	/* The first bytes choose the header length and the MTU. */
	l2 = data[0] & 1 ? 18 : 14;
	mtu = 68u + data[1] * 64u;
	n = pmtu_reply(data + 2, size - 2, l2, mtu, out, sizeof(out));
	/* A reply is no longer than an ICMP error may be, after the
	 * frame's own Ethernet header. */
	if (n && (n <= l2 || n - l2 > 1280 || memcmp(out, data + 2 + 6, 6)))
		abort();
	return 0;
}
