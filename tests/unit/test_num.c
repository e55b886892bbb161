/* SPDX-License-Identifier: ISC */
/* test_num.c -- the number parser (lib/num.c): numbers in a range, ranges
 * LO-HI and durations, what each accepts and the error of each refusal. */
#include <errno.h>
#include <stdint.h>

#include "harness.h"
#include "vnet/num.h"

#define SEC 1000000000ULL
#define UNTOUCHED 0x5a5a5a5a5a5a5a5aULL /* outputs on failure */

static const struct u64_case {
	const char *s;
	uint64_t min, max;
	int ret;
	uint64_t v;
} u64_cases[] = {
	{ "0", 0, 10, 0, 0 },
	{ "7", 0, 10, 0, 7 },
	{ "10", 0, 10, 0, 10 },		/* max is inclusive */
	{ "5", 5, 10, 0, 5 },		/* min is inclusive */
	{ "11", 0, 10, -ERANGE, 0 },
	{ "4", 5, 10, -ERANGE, 0 },
	{ "0", 1, 65535, -ERANGE, 0 },
	{ "65535", 1, 65535, 0, 65535 },
	{ "65536", 1, 65535, -ERANGE, 0 },
	{ "010", 0, 100, 0, 10 },	/* decimal: a leading 0 is not octal */
	{ "0009", 0, 100, 0, 9 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, -ERANGE, 0 },
	{ "99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0 },
	{ "4294967296", 0, UINT32_MAX, -ERANGE, 0 },
	/* Not numbers: empty, signs, spaces, other bases, trailing bytes. */
	{ "", 0, 10, -EINVAL, 0 },
	{ "+5", 0, 10, -EINVAL, 0 },
	{ "-5", 0, 10, -EINVAL, 0 },
	{ "-0", 0, 10, -EINVAL, 0 },
	{ " 5", 0, 10, -EINVAL, 0 },
	{ "\t5", 0, 10, -EINVAL, 0 },
	{ "5 ", 0, 10, -EINVAL, 0 },
	{ "5\n", 0, 10, -EINVAL, 0 },
	{ "0x10", 0, 100, -EINVAL, 0 },
	{ "0x", 0, 100, -EINVAL, 0 },
	{ "x10", 0, 100, -EINVAL, 0 },
	{ "1e3", 0, 10000, -EINVAL, 0 },
	{ "1.5", 0, 10, -EINVAL, 0 },
	{ "12abc", 0, 100, -EINVAL, 0 },
	{ "1,000", 0, 10000, -EINVAL, 0 },
	{ "1-2", 0, 10, -EINVAL, 0 },	/* a range is not a number */
	{ "five", 0, 10, -EINVAL, 0 },
};

static void test_u64(void)
{
	size_t i;

	for (i = 0; i < sizeof(u64_cases) / sizeof(u64_cases[0]); i++) {
		const struct u64_case *c = &u64_cases[i];
		uint64_t v = UNTOUCHED;
		int r = vnet_parse_u64(c->s, c->min, c->max, &v);

		if (r != c->ret)
			T_FAIL("vnet_parse_u64(\"%s\", %llu, %llu) = %d, "
			       "expected %d", c->s, (unsigned long long)c->min,
			       (unsigned long long)c->max, r, c->ret);
		if (v != (c->ret ? UNTOUCHED : c->v))
			T_FAIL("vnet_parse_u64(\"%s\") wrote %llu", c->s,
			       (unsigned long long)v);
	}
}

static void test_u64_null(void)
{
	uint64_t v = UNTOUCHED;

	T_EQ(vnet_parse_u64(NULL, 0, 10, &v), -EINVAL);
	T_ASSERT(v == UNTOUCHED);
	/* A range of one value. */
	T_EQ(vnet_parse_u64("42", 42, 42, &v), 0);
	T_EQ(v, 42);
	T_EQ(vnet_parse_u64("41", 42, 42, &v), -ERANGE);
	T_EQ(v, 42);
}

static const struct range_case {
	const char *s;
	uint64_t min, max;
	int ret;
	uint64_t lo, hi;
} range_cases[] = {
	{ "80", 1, 65535, 0, 80, 80 },	/* one number: LO == HI */
	{ "1000-2000", 1, 65535, 0, 1000, 2000 },
	{ "5-5", 1, 65535, 0, 5, 5 },
	{ "0-65535", 0, 65535, 0, 0, 65535 },
	{ "1-65535", 1, 65535, 0, 1, 65535 },
	{ "010-020", 0, 100, 0, 10, 20 }, /* decimal on both sides */
	{ "0-18446744073709551615", 0, UINT64_MAX, 0, 0, UINT64_MAX },
	{ "0-65535", 1, 65535, -ERANGE, 0, 0 },	 /* LO below min */
	{ "1-65536", 1, 65535, -ERANGE, 0, 0 },	 /* HI above max */
	{ "70000", 1, 65535, -ERANGE, 0, 0 },
	{ "2000-1000", 1, 65535, -ERANGE, 0, 0 }, /* LO > HI */
	{ "1-99999999999999999999", 0, UINT64_MAX, -ERANGE, 0, 0 },
	{ "99999999999999999999-1", 0, UINT64_MAX, -ERANGE, 0, 0 },
	{ "", 1, 65535, -EINVAL, 0, 0 },
	{ "-", 1, 65535, -EINVAL, 0, 0 },
	{ "1-", 1, 65535, -EINVAL, 0, 0 },
	{ "-5", 1, 65535, -EINVAL, 0, 0 },
	{ "1--5", 1, 65535, -EINVAL, 0, 0 },
	{ "1-+5", 1, 65535, -EINVAL, 0, 0 },
	{ "1-2-3", 1, 65535, -EINVAL, 0, 0 },
	{ "1 - 2", 1, 65535, -EINVAL, 0, 0 },
	{ "1- 2", 1, 65535, -EINVAL, 0, 0 },
	{ " 1-2", 1, 65535, -EINVAL, 0, 0 },
	{ "1-2 ", 1, 65535, -EINVAL, 0, 0 },
	{ "1:2", 1, 65535, -EINVAL, 0, 0 },
	{ "1,2", 1, 65535, -EINVAL, 0, 0 },
	{ "a-b", 1, 65535, -EINVAL, 0, 0 },
	{ "1-0x10", 1, 65535, -EINVAL, 0, 0 },
	{ "80x", 1, 65535, -EINVAL, 0, 0 },
};

static void test_range(void)
{
	size_t i;

	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		const struct range_case *c = &range_cases[i];
		uint64_t lo = UNTOUCHED, hi = UNTOUCHED;
		int r = vnet_parse_range(c->s, c->min, c->max, &lo, &hi);

		if (r != c->ret)
			T_FAIL("vnet_parse_range(\"%s\", %llu, %llu) = %d, "
			       "expected %d", c->s, (unsigned long long)c->min,
			       (unsigned long long)c->max, r, c->ret);
		if (lo != (c->ret ? UNTOUCHED : c->lo) ||
		    hi != (c->ret ? UNTOUCHED : c->hi))
			T_FAIL("vnet_parse_range(\"%s\") wrote %llu-%llu", c->s,
			       (unsigned long long)lo, (unsigned long long)hi);
	}
	T_EQ(vnet_parse_range(NULL, 0, 10, &(uint64_t){ 0 },
			      &(uint64_t){ 0 }),
	     -EINVAL);
}

static const struct dur_case {
	const char *s;
	int ret;
	uint64_t ns;
} dur_cases[] = {
	{ "30", 0, 30 * SEC },		/* bare: seconds */
	{ "30s", 0, 30 * SEC },
	{ "0", 0, 0 },
	{ "0s", 0, 0 },
	{ "500ms", 0, 500000000ULL },
	{ "1500ms", 0, 1500000000ULL },
	{ "0ms", 0, 0 },
	{ "5m", 0, 300 * SEC },
	{ "2h", 0, 7200 * SEC },
	{ "010s", 0, 10 * SEC },
	/* The largest of each unit that fits in 64 bits of ns, and one more. */
	{ "18446744073", 0, 18446744073000000000ULL },
	{ "18446744073s", 0, 18446744073000000000ULL },
	{ "18446744074", -ERANGE, 0 },
	{ "18446744074s", -ERANGE, 0 },
	{ "18446744073709ms", 0, 18446744073709000000ULL },
	{ "18446744073710ms", -ERANGE, 0 },
	{ "307445734m", 0, 18446744040000000000ULL },
	{ "307445735m", -ERANGE, 0 },
	{ "5124095h", 0, 18446742000000000000ULL },
	{ "5124096h", -ERANGE, 0 },
	{ "99999999999999999999s", -ERANGE, 0 },
	/* Bad: no number, unknown or misspelt units, signs, spaces. */
	{ "", -EINVAL, 0 },
	{ "s", -EINVAL, 0 },
	{ "ms", -EINVAL, 0 },
	{ "5x", -EINVAL, 0 },
	{ "5S", -EINVAL, 0 },		/* units are lower case */
	{ "5M", -EINVAL, 0 },
	{ "5sec", -EINVAL, 0 },
	{ "5us", -EINVAL, 0 },
	{ "5ns", -EINVAL, 0 },
	{ "5d", -EINVAL, 0 },
	{ "5mm", -EINVAL, 0 },
	{ "5ss", -EINVAL, 0 },
	{ "1m30s", -EINVAL, 0 },	/* one unit only */
	{ "1.5s", -EINVAL, 0 },
	{ "-1s", -EINVAL, 0 },
	{ "+1s", -EINVAL, 0 },
	{ " 5s", -EINVAL, 0 },
	{ "5 s", -EINVAL, 0 },
	{ "5s ", -EINVAL, 0 },
	{ "0x10s", -EINVAL, 0 },
};

static void test_duration(void)
{
	size_t i;

	for (i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		const struct dur_case *c = &dur_cases[i];
		uint64_t ns = UNTOUCHED;
		int r = vnet_parse_duration(c->s, &ns);

		if (r != c->ret)
			T_FAIL("vnet_parse_duration(\"%s\") = %d, expected %d",
			       c->s, r, c->ret);
		if (ns != (c->ret ? UNTOUCHED : c->ns))
			T_FAIL("vnet_parse_duration(\"%s\") wrote %llu", c->s,
			       (unsigned long long)ns);
	}
	T_EQ(vnet_parse_duration(NULL, &(uint64_t){ 0 }), -EINVAL);
}

int main(void)
{
	T_RUN(test_u64);
	T_RUN(test_u64_null);
	T_RUN(test_range);
	T_RUN(test_duration);
	return T_DONE();
}
