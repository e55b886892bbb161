/* SPDX-License-Identifier: ISC */
/* test_addr.c -- the one order of addresses (vnet_addr_cmp). */
#include <stdint.h>

#include "harness.h"
#include "taddr.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Sorted as vnet_addr_cmp sorts: families first, then numerically. */
static const char *const sorted[] = {
	"0.0.0.0",
	"0.0.0.1",
	"9.255.255.255",
	"10.0.0.0",
	"198.18.0.1",
	"198.18.0.2",
	"198.18.1.0",
	"198.19.0.0",
	"255.255.255.255",
	"::",
	"::1",
	"::ffff:198.18.0.1",
	"2001:db8::",
	"2001:db8::1",
	"2001:db8::1:0",
	"2001:db8:0:1::",
	"fe80::1",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

static void test_cmp_order(void)
{
	size_t n = sizeof(sorted) / sizeof(sorted[0]), i, j;

	for (i = 0; i < n; i++) {
		struct vnet_addr a = ip(sorted[i]);

		for (j = 0; j < n; j++) {
			struct vnet_addr b = ip(sorted[j]);
			int want = (i > j) - (i < j);

			if (sign(vnet_addr_cmp(&a, &b)) != want)
				T_FAIL("cmp(%s, %s) = %d, expected %d",
				       sorted[i], sorted[j],
				       vnet_addr_cmp(&a, &b), want);
			if (!vnet_addr_cmp(&a, &b) != !!vnet_addr_eq(&a, &b))
				T_FAIL("cmp and eq differ on %s, %s",
				       sorted[i], sorted[j]);
		}
	}
}

static void test_cmp_family(void)
{
	struct vnet_addr none = { 0 }, v4 = ip("255.255.255.255"),
			 v6 = ip("::");

	/* No address before IPv4 before IPv6, whatever the bytes. */
	T_ASSERT(vnet_addr_cmp(&none, &v4) < 0);
	T_ASSERT(vnet_addr_cmp(&v4, &v6) < 0);
	T_ASSERT(vnet_addr_cmp(&v6, &v4) > 0);
	T_ASSERT(vnet_addr_cmp(&none, &v6) < 0);
	T_EQ(vnet_addr_cmp(&none, &none), 0);
	/* ::ffff:a.b.c.d is IPv6, not the IPv4 address. */
	v4 = ip("198.18.0.1");
	v6 = ip("::ffff:198.18.0.1");
	T_ASSERT(vnet_addr_cmp(&v4, &v6) < 0);
	T_ASSERT(!vnet_addr_eq(&v4, &v6));
}

int main(void)
{
	T_RUN(test_cmp_order);
	T_RUN(test_cmp_family);
	return T_DONE();
}
