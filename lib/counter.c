/* SPDX-License-Identifier: ISC */
/* counter.c -- counters as text. */
#include <string.h>

#include "vnet/counter.h"

int vnet_counter_is_drop(const char *name)
{
	static const char tail[] = "_queue_drops";
	size_t n = name ? strlen(name) : 0, t = sizeof(tail) - 1;

	return n && (!strncmp(name, "drop_", 5) ||
		     (n > t && !strcmp(name + n - t, tail)));
}

uint64_t vnet_counters_drops(const struct vnet_counter *c, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (vnet_counter_is_drop(c[i].name))
			sum += c[i].value;
	return sum;
}

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
