/* SPDX-License-Identifier: ISC */
/* counter.c -- counters as text. */
#include "vnet/counter.h"

void vnet_counters_print(FILE *f, const char *prefix,
			 const struct vnet_counter *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].name)
			fprintf(f, "%s%s\t%llu\n", prefix ? prefix : "",
				c[i].name, (unsigned long long)c[i].value);
	fflush(f);
}
