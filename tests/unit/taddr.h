/* SPDX-License-Identifier: ISC */
/* taddr.h -- an address from a literal, for tests (include after harness.h). */
#ifndef VNET_TEST_TADDR_H
#define VNET_TEST_TADDR_H

#include <string.h>

#include "vnet/addr.h"

static inline struct vnet_addr ip(const char *s)
{
	struct vnet_addr a;

	memset(&a, 0, sizeof(a));
	if (vnet_addr_parse(s, &a))
		T_FAIL("bad test address %s", s);
	return a;
}

#endif
