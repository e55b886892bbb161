/* SPDX-License-Identifier: ISC */
/* seal_keys.c -- libFuzzer harness for the key file parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vnet/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_seal_keys *k = NULL;
	struct vnet_err e;
	unsigned i;
	int r;

	if (size > 8192)
		return 0;
	vnet_err_clear(&e);
	r = vnet_seal_keys_parse((const char *)data, size, "k", &k, &e);
	if (r) {
		CHECK(!k && e.msg[0]);
		return 0;
	}
	CHECK(k && k->n >= 1 && k->n <= VNET_SEAL_EPOCHS);
	for (i = 0; i < k->n; i++) {
		CHECK(k->e[i].not_before < k->e[i].not_after);
		CHECK(!i || k->e[i].id > k->e[i - 1].id);
	}
	vnet_seal_keys_free(k);
	return 0;
}
