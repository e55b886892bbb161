/* SPDX-License-Identifier: ISC */
/* harness.h -- a tiny in-tree unit test harness that prints TAP. */
#ifndef VNET_TEST_HARNESS_H
#define VNET_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed, t_cur_failed;

#define T_FAIL(...)                                                        \
	do {                                                               \
		printf("# %s:%d: ", __FILE__, __LINE__);                   \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		t_cur_failed = 1;                                          \
	} while (0)

/* Each check records a failure and goes on, so one run shows all of them. */
#define T_ASSERT(c)                                                        \
	do {                                                               \
		if (!(c))                                                  \
			T_FAIL("assertion failed: %s", #c);                \
	} while (0)
#define T_EQ(a, b)                                                         \
	do {                                                               \
		long long _a = (long long)(a), _b = (long long)(b);        \
		if (_a != _b)                                              \
			T_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); \
	} while (0)
#define T_STREQ(a, b)                                                      \
	do {                                                               \
		const char *_a = (a), *_b = (b);                           \
		if (!_a || !_b || strcmp(_a, _b))                          \
			T_FAIL("%s == \"%s\", expected \"%s\"", #a,         \
			       _a ? _a : "(null)", _b ? _b : "(null)");     \
	} while (0)
#define T_MEMEQ(a, b, n)                                                   \
	do {                                                               \
		if (memcmp((a), (b), (n)))                                 \
			T_FAIL("%s differs from %s", #a, #b);              \
	} while (0)

#define T_RUN(fn)                                                          \
	do {                                                               \
		t_cur_failed = 0;                                          \
		fn();                                                      \
		t_n++;                                                     \
		printf("%sok %d - %s\n", t_cur_failed ? "not " : "", t_n, #fn); \
		t_failed += t_cur_failed;                                  \
	} while (0)

#define T_DONE() (printf("1..%d\n", t_n), t_failed ? 1 : 0)

/* Skip a whole test program (it needs root, a namespace, ...) with its
 * reason; under VNET_TEST_STRICT=1 (CI) the skip is a failure.  Returns
 * main's exit status. */
static inline int t_skip_all(const char *name, const char *why)
{
	const char *strict = getenv("VNET_TEST_STRICT");

	if (strict && !strcmp(strict, "1")) {
		printf("not ok 1 - %s # %s (VNET_TEST_STRICT=1)\n1..1\n", name,
		       why);
		return 1;
	}
	printf("ok 1 - %s # skip %s\n1..1\n", name, why);
	return 0;
}

#endif
