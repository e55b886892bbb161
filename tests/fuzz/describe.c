/* SPDX-License-Identifier: ISC */
/* describe.c -- libFuzzer harness for budget_parse (vnet-pipe's reader of
 * a member's --describe). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-pipe/budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct budget_stage s[2];
	struct budget_chain c;
	struct vnet_err e;
	int r;

	vnet_err_clear(&e);
	r = budget_parse((const char *)data, size, &s[0], &e);
	if (r == 0) {
		/* Strings are NUL-ended within their arrays, MTUs in range. */
		if (!memchr(s[0].program, 0, sizeof(s[0].program)) ||
		    !memchr(s[0].inner, 0, sizeof(s[0].inner)) ||
		    !memchr(s[0].outer, 0, sizeof(s[0].outer)) ||
		    s[0].inner_mtu > 65535 || s[0].outer_mtu > 65535 ||
		    !s[0].known)
			abort();
		s[1] = s[0];
		r = budget_chain(s, 2, &c);
		if (r && (r != -EMSGSIZE || c.bad < 0 || c.need <= c.have))
			abort();
	} else if (r != -EINVAL || !vnet_err_isset(&e)) {
		abort();
	}
	return 0;
}
