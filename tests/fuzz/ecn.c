/* SPDX-License-Identifier: ISC */
/* ecn.c -- libFuzzer harness for the inner header of lib/ecn.c: any
 * frame is parsed, and when an IP header is found its ECN field is set
 * through every decapsulation of the first input byte's outer field,
 * within the frame's bounds (ASan checks them) and, for IPv4, keeping a
 * header whose checksum was right right.
 *
 * Input: [outer ECN byte][frame bytes].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/csum.h"
#include "vnet/ecn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f, out;
	size_t off, len;
	int tos, fam, ok = 0;

	if (size < 1)
		return 0;
	len = size - 1;
	/* An exact-size copy: a read past the frame is caught. */
	if (!(f = malloc(len ? len : 1)))
		return 0;
	memcpy(f, data + 1, len);
	tos = vnet_ecn_frame_tos(f, len, &off, &fam);
	if (tos >= 0) {
		if (fam == 4)
			ok = vnet_ip4_csum(f + off,
					   (size_t)(f[off] & 0x0f) * 4) == 0;
		if (vnet_ecn_decap(data[0], (uint8_t)tos, &out) !=
		    VNET_ECN_DROP) {
			vnet_ecn_set(f + off, fam, out);
			if (vnet_ecn_frame_tos(f, len, &off, &fam) !=
			    ((tos & 0xfc) | out))
				abort();
			if (fam == 4 && ok &&
			    vnet_ip4_csum(f + off,
					  (size_t)(f[off] & 0x0f) * 4) != 0)
				abort();
		}
	}
	free(f);
	return 0;
}
