/* SPDX-License-Identifier: ISC */
/* num.c -- strict number, range and duration parsing. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/num.h"

static int parse_prefix(const char *s, uint64_t *v, const char **end)
{
	char *e;
	unsigned long long n;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (e == s)
		return -EINVAL;
	*v = n;
	*end = e;
	return 0;
}

int vnet_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *e;
	uint64_t v;
	int r = parse_prefix(s, &v, &e);

	if (r)
		return r;
	if (*e)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int vnet_parse_range(const char *s, uint64_t min, uint64_t max,
		     uint64_t *lo, uint64_t *hi)
{
	const char *e;
	uint64_t a, b;
	int r = parse_prefix(s, &a, &e);

	if (r)
		return r;
	if (*e == '\0') {
		b = a;
	} else if (*e == '-') {
		if ((r = vnet_parse_u64(e + 1, 0, UINT64_MAX, &b)))
			return r;
	} else {
		return -EINVAL;
	}
	if (a < min || b > max || a > b)
		return -ERANGE;
	*lo = a;
	*hi = b;
	return 0;
}

int vnet_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1000000000ULL },	  { "s", 1000000000ULL },
		{ "ms", 1000000ULL },	  { "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	const char *e;
	uint64_t v;
	size_t i;
	int r = parse_prefix(s, &v, &e);

	if (r)
		return r;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(e, units[i].suffix))
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*ns = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}
