/* SPDX-License-Identifier: ISC */
/* seal_open.c -- libFuzzer harness for opening sealed packets: the seal
 * fields, truncation, the replay window, with one fixed key file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const char keys[] =
    "cipher chacha20-poly1305\n"
    "epoch 1 0 4000000000 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "epoch 2 0 100 "
    "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100\n";

/* The first byte: the header length (the fields end it); then a packet.
 * Every second input is first sealed by a sender of the fabric, so the
 * window and the sender table see real sessions too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vnet_seal *rx, *tx;
	static uint8_t out[70000], pkt[70000];
	struct vnet_seal_keys *k;
	size_t hlen, olen, len;
	int r;

	if (!rx) {
		CHECK(vnet_seal_keys_parse(keys, strlen(keys), "k", &k, NULL) ==
		      0);
		CHECK((rx = vnet_seal_new(k)));
		CHECK(vnet_seal_keys_parse(keys, strlen(keys), "k", &k, NULL) ==
		      0);
		CHECK((tx = vnet_seal_new(k)));
	}
	if (size < 1 || size > 65536)
		return 0;
	hlen = data[0] % 64;
	len = size - 1;
	memcpy(pkt, data + 1, len);
	if ((data[0] & 0x80) && hlen >= VNET_SEAL_FLEN && len >= hlen) {
		struct iovec in = {(void *)(data + 1 + hlen), len - hlen};

		r = vnet_seal_frame(tx, 50 + (data[0] & 0x40), pkt, hlen, &in,
				    1, len - hlen, pkt + hlen);
		CHECK(r == 0);
		len += VNET_SEAL_TAGLEN;
	}
	r = vnet_seal_open(rx, 50, pkt, hlen, len, out, &olen);
	CHECK(r >= 0 && r < VNET_SEAL_DROP_MAX);
	if (r == 0) {
		CHECK(olen + hlen + VNET_SEAL_TAGLEN == len);
		CHECK(vnet_seal_open(rx, 50, pkt, hlen, len, out, &olen) ==
		      VNET_SEAL_REPLAYED);
	}
	return 0;
}
