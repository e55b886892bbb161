/* SPDX-License-Identifier: ISC */
/* test_log.c -- the rate limiter and "said once" lines of lib/log.c. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/log.h"

/* What the calls between log_begin() and log_end() wrote to stderr. */
static int saved = -1;
static FILE *cap;
static char text[4096];

static void log_begin(void)
{
	fflush(stderr);
	cap = tmpfile();
	saved = dup(2);
	if (!cap || saved < 0 || dup2(fileno(cap), 2) < 0)
		T_FAIL("cannot capture stderr");
}

static const char *log_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	n = fread(text, 1, sizeof(text) - 1, cap);
	text[n] = '\0';
	fclose(cap);
	return text;
}

#define SEC 1000000000ULL

/* The first line at the default level, the rest only with -v and then
 * through the bucket, with the count held back. */
static void test_first(void)
{
	struct vnet_ratelimit rl = VNET_RATELIMIT_INIT(1, 2);
	uint8_t said = 0;
	int i;

	vnet_log_init("t", VNET_LOG_WARN);
	log_begin();
	for (i = 0; i < 5; i++)
		vnet_log_first(&rl, &said, 1 * SEC, "drop %d", i);
	T_STREQ(log_end(), "t: drop 0\n");
	T_EQ(said, 1);
	/* -v: a burst of two, then one a second. */
	vnet_log_init("t", VNET_LOG_INFO);
	said = 0;
	log_begin();
	for (i = 0; i < 5; i++)
		vnet_log_first(&rl, &said, 2 * SEC, "drop %d", i);
	vnet_log_first(&rl, &said, 3 * SEC, "drop %d", 5);
	T_STREQ(log_end(), "t: drop 0\nt: drop 1\nt: drop 2\n"
			   "t: drop 5 (2 similar messages suppressed)\n");
	/* Quiet (below the default): not even the first, but it counts as
	 * said. */
	vnet_log_init("t", VNET_LOG_ERR);
	said = 0;
	log_begin();
	vnet_log_first(&rl, &said, 4 * SEC, "drop");
	T_STREQ(log_end(), "");
	T_EQ(said, 1);
}

static void test_rl(void)
{
	struct vnet_ratelimit rl = VNET_RATELIMIT_INIT(1, 1);

	vnet_log_init("t", VNET_LOG_WARN);
	log_begin();
	vnet_log_rl(&rl, 1 * SEC, VNET_LOG_WARN, "a");
	vnet_log_rl(&rl, 1 * SEC, VNET_LOG_WARN, "b");
	vnet_log_rl(&rl, 1 * SEC, VNET_LOG_INFO, "not at this level");
	vnet_log_rl(&rl, 2 * SEC, VNET_LOG_WARN, "c");
	T_STREQ(log_end(), "t: a\nt: c (1 similar messages suppressed)\n");
}

int main(void)
{
	T_RUN(test_first);
	T_RUN(test_rl);
	return T_DONE();
}
