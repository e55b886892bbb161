/* SPDX-License-Identifier: ISC */
/* test_fdb.c -- unit tests of the VTEP forwarding database (lib/fdb.c). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "taddr.h"
#include "vnet/fdb.h"

#define SEC 1000000000ULL

/* 02:00:00:xx:xx:xx, a locally administered unicast MAC from n. */
static void mac_n(uint8_t mac[6], uint32_t n)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static int addr_is(const struct vnet_addr *a, const char *s)
{
	struct vnet_addr b = ip(s);

	return a && vnet_addr_eq(a, &b);
}

static char tmp_path[64];

/* Write len bytes of s to a fresh temporary file; returns its path. */
static const char *tmp_file_n(const char *s, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_fdb.XXXXXX");
	fd = mkstemp(tmp_path);
	if (fd < 0 || write(fd, s, len) != (ssize_t)len)
		T_FAIL("cannot write %s", tmp_path);
	if (fd >= 0)
		close(fd);
	return tmp_path;
}

static const char *tmp_file(const char *s)
{
	return tmp_file_n(s, strlen(s));
}

/* Load text into fdb; the error message with the temporary path replaced
 * by "F" goes to msg. */
static int load_text_n(struct vnet_fdb *fdb, const char *text, size_t len,
		       char *msg, size_t msglen)
{
	char err[VNET_ERR_STRLEN] = "";
	const char *path = tmp_file_n(text, len);
	size_t plen = strlen(path);
	struct vnet_err e;
	int ret;

	vnet_err_clear(&e);
	ret = vnet_fdb_load(fdb, path, &e);
	unlink(path);
	if (vnet_err_isset(&e))
		vnet_err_str(&e, err, sizeof(err));
	if (!strncmp(err, path, plen))
		snprintf(msg, msglen, "F%s", err + plen);
	else
		snprintf(msg, msglen, "%s", err);
	return ret;
}

static int load_text(struct vnet_fdb *fdb, const char *text, char *msg,
		     size_t msglen)
{
	return load_text_n(fdb, text, strlen(text), msg, msglen);
}

static void test_new(void)
{
	struct vnet_fdb *fdb;

	errno = 0;
	T_ASSERT(!vnet_fdb_new(0, SEC));
	T_EQ(errno, EINVAL);
	errno = 0;
	T_ASSERT(!vnet_fdb_new(VNET_FDB_MAX + 1, SEC));
	T_EQ(errno, EINVAL);
	fdb = vnet_fdb_new(1, 0);
	T_ASSERT(fdb);
	T_EQ(vnet_fdb_stats(fdb)->entries, 0);
	vnet_fdb_free(fdb);
	vnet_fdb_free(NULL);
}

static void test_learn_lookup(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(16, 300 * SEC);
	struct vnet_addr r1 = ip("198.18.0.1"), r6 = ip("2001:db8::1"), none;
	uint8_t m[6], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t zero[6] = {0};

	mac_n(m, 1);
	T_EQ(vnet_fdb_learn(fdb, 100, m, &r1, 0), 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, m, 0), "198.18.0.1"));
	T_ASSERT(!vnet_fdb_lookup(fdb, 101, m, 0));
	mac_n(m, 2);
	T_ASSERT(!vnet_fdb_lookup(fdb, 100, m, 0));
	T_EQ(vnet_fdb_learn(fdb, 100, m, &r6, 0), 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, m, 0), "2001:db8::1"));
	/* The same MAC in another VNI is another entry. */
	T_EQ(vnet_fdb_learn(fdb, VNET_VNI_MAX, m, &r1, 0), 0);
	T_ASSERT(
	    addr_is(vnet_fdb_lookup(fdb, VNET_VNI_MAX, m, 0), "198.18.0.1"));
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, m, 0), "2001:db8::1"));
	T_EQ(vnet_fdb_stats(fdb)->entries, 3);
	T_EQ(vnet_fdb_stats(fdb)->learned, 3);
	T_EQ(vnet_fdb_stats(fdb)->moved, 0);

	/* Never a source: group and zero MACs; nor a VNI above 24 bits. */
	T_EQ(vnet_fdb_learn(fdb, 100, bcast, &r1, 0), -EINVAL);
	T_EQ(vnet_fdb_learn(fdb, 100, zero, &r1, 0), -EINVAL);
	T_EQ(vnet_fdb_learn(fdb, VNET_VNI_MAX + 1, m, &r1, 0), -EINVAL);
	T_ASSERT(!vnet_fdb_lookup(fdb, VNET_VNI_MAX + 1, m, 0));
	memset(&none, 0, sizeof(none));
	T_EQ(vnet_fdb_learn(fdb, 100, m, &none, 0), -EINVAL);
	T_EQ(vnet_fdb_stats(fdb)->entries, 3);
	vnet_fdb_free(fdb);
}

static void test_refresh(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(16, 10 * SEC);
	struct vnet_addr r = ip("198.18.0.1");
	uint8_t m[6];

	mac_n(m, 1);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), 0);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 8 * SEC), 0);
	T_EQ(vnet_fdb_stats(fdb)->learned, 1);
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);
	/* Idle exactly the ageing time is still alive; one ns more is not. */
	T_ASSERT(vnet_fdb_lookup(fdb, 1, m, 18 * SEC));
	T_EQ(vnet_fdb_age(fdb, 18 * SEC, 0), 0);
	T_ASSERT(!vnet_fdb_lookup(fdb, 1, m, 18 * SEC + 1));
	T_EQ(vnet_fdb_stats(fdb)->aged, 1);
	T_EQ(vnet_fdb_stats(fdb)->entries, 0);
	vnet_fdb_free(fdb);
}

static void test_move(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(16, 10 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("2001:db8::2");
	uint8_t m[6];

	mac_n(m, 7);
	T_EQ(vnet_fdb_learn(fdb, 5, m, &a, 0), 0);
	T_EQ(vnet_fdb_learn(fdb, 5, m, &b, SEC), 1);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 5, m, SEC), "2001:db8::2"));
	T_EQ(vnet_fdb_learn(fdb, 5, m, &b, 2 * SEC), 0);
	T_EQ(vnet_fdb_learn(fdb, 5, m, &a, 3 * SEC), 1);
	T_EQ(vnet_fdb_stats(fdb)->moved, 2);
	T_EQ(vnet_fdb_stats(fdb)->learned, 1);
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);
	/* A move refreshes too. */
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 5, m, 13 * SEC), "198.18.0.1"));
	/* Relearned after it expired (not yet removed): a new entry, no move.
	 */
	T_EQ(vnet_fdb_learn(fdb, 5, m, &b, 30 * SEC), 0);
	T_EQ(vnet_fdb_stats(fdb)->moved, 2);
	T_EQ(vnet_fdb_stats(fdb)->aged, 1);
	T_EQ(vnet_fdb_stats(fdb)->learned, 2);
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);
	vnet_fdb_free(fdb);
}

static void test_age_by_lookup(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, 300 * SEC);
	struct vnet_addr r = ip("198.18.0.1");
	uint8_t m[6];
	uint32_t i;

	for (i = 0; i < 8; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 1, m, &r, i * SEC), 0);
	}
	/* At 305 s, entries 0-4 are idle more than 300 s. */
	for (i = 0; i < 8; i++) {
		mac_n(m, i);
		if (i < 5)
			T_ASSERT(!vnet_fdb_lookup(fdb, 1, m, 305 * SEC));
		else
			T_ASSERT(vnet_fdb_lookup(fdb, 1, m, 305 * SEC));
	}
	T_EQ(vnet_fdb_stats(fdb)->aged, 5);
	T_EQ(vnet_fdb_stats(fdb)->entries, 3);
	/* The room is free again. */
	for (i = 100; i < 105; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 305 * SEC), 0);
	}
	T_EQ(vnet_fdb_stats(fdb)->entries, 8);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 0);
	vnet_fdb_free(fdb);
}

static void test_age_budget(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(1024, 10 * SEC); /* 2048 slots */
	struct vnet_addr r = ip("198.18.0.1");
	size_t removed, total = 0, calls = 0;
	uint8_t m[6];
	uint32_t i;

	for (i = 0; i < 600; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 9, m, &r, i < 500 ? 0 : 20 * SEC), 0);
	}
	T_EQ(vnet_fdb_age(fdb, 25 * SEC, 0), 500);
	T_EQ(vnet_fdb_stats(fdb)->entries, 100);
	vnet_fdb_free(fdb);

	/* Now in small steps: no call does more than its budget, and the
	 * cursor carries the sweep over the whole table. */
	fdb = vnet_fdb_new(1024, 10 * SEC);
	for (i = 0; i < 600; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 9, m, &r, i < 500 ? 0 : 20 * SEC), 0);
	}
	do {
		removed = vnet_fdb_age(fdb, 25 * SEC, 64);
		T_ASSERT(removed <= 64);
		total += removed;
		calls++;
	} while (total < 500 && calls < 1000);
	T_EQ(total, 500);
	/* 2048 slots + 500 deletions, 64 a call. */
	T_ASSERT(calls >= 8 && calls <= (2048 + 500) / 64 + 1);
	T_EQ(vnet_fdb_stats(fdb)->aged, 500);
	T_EQ(vnet_fdb_stats(fdb)->entries, 100);
	for (i = 0; i < 600; i++) {
		mac_n(m, i);
		T_EQ(!!vnet_fdb_lookup(fdb, 9, m, 25 * SEC), i >= 500);
	}
	T_EQ(vnet_fdb_stats(fdb)->aged, 500);
	/* Budget 1: one slot of work, so at most one entry. */
	T_EQ(vnet_fdb_age(fdb, 100 * SEC, 1) <= 1, 1);
	vnet_fdb_free(fdb);

	/* Ageing 0: nothing ever ages. */
	fdb = vnet_fdb_new(4, 0);
	mac_n(m, 1);
	T_EQ(vnet_fdb_learn(fdb, 9, m, &r, 0), 0);
	T_EQ(vnet_fdb_age(fdb, UINT64_MAX, 0), 0);
	T_ASSERT(vnet_fdb_lookup(fdb, 9, m, UINT64_MAX));
	vnet_fdb_free(fdb);
}

static void test_overflow(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(64, 10 * SEC);
	struct vnet_addr r = ip("198.18.0.1"), r2 = ip("198.18.0.2");
	uint8_t m[6];
	uint32_t i;

	for (i = 0; i < 64; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), 0);
	}
	T_EQ(vnet_fdb_stats(fdb)->entries, 64);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 0);
	mac_n(m, 64);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), -ENOSPC);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 1);
	T_ASSERT(!vnet_fdb_lookup(fdb, 1, m, 0));
	for (i = 100; i < 110; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 2, m, &r, 0), -ENOSPC);
	}
	T_EQ(vnet_fdb_stats(fdb)->overflow, 11);
	T_EQ(vnet_fdb_stats(fdb)->learned, 64);
	/* Refreshes and moves of what is there still work. */
	mac_n(m, 3);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, SEC), 0);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r2, SEC), 1);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 11);
	T_EQ(vnet_fdb_stats(fdb)->entries, 64);
	/* Once the others age out, there is room again. */
	T_EQ(vnet_fdb_age(fdb, 10 * SEC + 1, 0), 63);
	mac_n(m, 64);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 11 * SEC), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);
	/* A static entry takes the place of a learned one in a full table
	 * (no overflow, no learn, no ageing counted). */
	for (i = 300; i < 362; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 11 * SEC), 0);
	}
	T_EQ(vnet_fdb_stats(fdb)->entries, 64);
	mac_n(m, 200);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &r), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 64);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 11);
	T_EQ(vnet_fdb_stats(fdb)->aged, 63);
	T_ASSERT(vnet_fdb_is_static(fdb, 1, m));
	vnet_fdb_free(fdb);

	/* Static entries count toward max. */
	fdb = vnet_fdb_new(4, 10 * SEC);
	for (i = 0; i < 2; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_add_static(fdb, 1, m, &r), 0);
	}
	for (i = 2; i < 4; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), 0);
	}
	mac_n(m, 4);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), -ENOSPC);
	T_EQ(vnet_fdb_stats(fdb)->overflow, 1);
	T_EQ(vnet_fdb_stats(fdb)->entries, 4);
	/* Two more static ones push the learned ones out; then it is full. */
	for (i = 4; i < 6; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_add_static(fdb, 1, m, &r2), 0);
	}
	T_EQ(vnet_fdb_stats(fdb)->entries, 4);
	for (i = 2; i < 4; i++) {
		mac_n(m, i);
		T_ASSERT(!vnet_fdb_lookup(fdb, 1, m, 0));
	}
	mac_n(m, 6);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &r), -ENOSPC);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &r, 0), -ENOSPC);
	/* Replacing one that is there needs no room. */
	mac_n(m, 5);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &r), 0);
	T_ASSERT(addr_is(vnet_fdb_static_remote(fdb, 1, m), "198.18.0.1"));
	vnet_fdb_free(fdb);
}

static void test_static(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, 10 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2");
	uint8_t m[6], zero[6] = {0}, group[6] = {0x01, 0, 0x5e, 0, 0, 1};

	mac_n(m, 1);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &a), 0);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &a, 0), 0);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &b, 0), -EPERM);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 1, m, 0), "198.18.0.1"));
	T_EQ(vnet_fdb_stats(fdb)->moved, 0);
	T_EQ(vnet_fdb_stats(fdb)->learned, 0);
	/* Static entries never age. */
	T_EQ(vnet_fdb_age(fdb, UINT64_MAX, 0), 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 1, m, UINT64_MAX), "198.18.0.1"));
	/* Replacing a static entry, and taking over a learned one. */
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &b), 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 1, m, 0), "198.18.0.2"));
	mac_n(m, 2);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &a, 0), 0);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &b), 0);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &a, 0), -EPERM);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 1, m, 100 * SEC), "198.18.0.2"));
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);
	/* The zero MAC is the flood list's; a group MAC may be static. */
	T_EQ(vnet_fdb_add_static(fdb, 1, zero, &a), -EINVAL);
	T_EQ(vnet_fdb_add_static(fdb, VNET_VNI_MAX + 1, m, &a), -EINVAL);
	T_EQ(vnet_fdb_add_static(fdb, 1, group, &a), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 3);
	vnet_fdb_free(fdb);
}

static void test_flood(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, 10 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2"),
			 c = ip("198.18.0.3"), d = ip("2001:db8::4"), x;
	const struct vnet_addr *out[8];
	uint32_t i;

	T_EQ(vnet_fdb_flood(fdb, 100, out, 8), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &b), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &a), 0);
	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_ANY, &c), 0);
	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_ANY, &b), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 200, &d), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &a), 0); /* already there */

	T_EQ(vnet_fdb_flood(fdb, 100, out, 8), 3);
	T_ASSERT(addr_is(out[0], "198.18.0.1"));
	T_ASSERT(addr_is(out[1], "198.18.0.2"));
	T_ASSERT(addr_is(out[2], "198.18.0.3"));
	T_EQ(vnet_fdb_flood(fdb, 200, out, 8), 3);
	T_ASSERT(addr_is(out[0], "198.18.0.2"));
	T_ASSERT(addr_is(out[1], "198.18.0.3"));
	T_ASSERT(addr_is(out[2], "2001:db8::4"));
	T_EQ(vnet_fdb_flood(fdb, 300, out, 8), 2);
	T_EQ(vnet_fdb_flood(fdb, VNET_VNI_ANY, out, 8), 2);
	T_EQ(vnet_fdb_flood(fdb, 100, out, 2), 2);
	T_EQ(vnet_fdb_flood(fdb, 100, out, 0), 0);

	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_MAX + 1, &a), -EINVAL);
	memset(&x, 0, sizeof(x));
	T_EQ(vnet_fdb_flood_add(fdb, 1, &x), -EINVAL);
	vnet_fdb_free(fdb);

	/* Bounded: VNET_FDB_FLOOD_MAX entries in all. */
	fdb = vnet_fdb_new(8, 10 * SEC);
	for (i = 0; i < VNET_FDB_FLOOD_MAX; i++) {
		vnet_addr_from_v4(&x, &i);
		T_EQ(vnet_fdb_flood_add(fdb, i % 3, &x), 0);
	}
	T_EQ(vnet_fdb_flood_add(fdb, 7, &a), -ENOSPC);
	T_EQ(vnet_fdb_flood_add(fdb, 0, &x), 0); /* already there */
	T_EQ(vnet_fdb_flood(fdb, 0, out, 8), 8);
	vnet_fdb_free(fdb);
}

static void expect_load_error(const char *text, uint32_t max, const char *want,
			      int line)
{
	struct vnet_fdb *fdb = vnet_fdb_new(max, SEC);
	char msg[600];
	int ret = load_text(fdb, text, msg, sizeof(msg));

	if (ret != -EINVAL)
		T_FAIL("line %d: load returned %d, expected -EINVAL", line,
		       ret);
	if (strcmp(msg, want))
		T_FAIL("line %d: \"%s\", expected \"%s\"", line, msg, want);
	vnet_fdb_free(fdb);
}

#define LOAD_ERR(text, want) expect_load_error(text, 16, want, __LINE__)

static void test_load_errors(void)
{
	struct vnet_fdb *fdb;
	struct vnet_err e;
	char msg[600], *big;
	size_t i, n;
	int ret;

	LOAD_ERR("1 02:00:00:00:00:01 198.18.0.1\nx 02:00:00:00:00:01 "
		 "198.18.0.1\n",
		 "F:2: bad VNI 'x' (expected 0-16777215)");
	LOAD_ERR("16777216\t02:00:00:00:00:01\t198.18.0.1\n",
		 "F:1: bad VNI '16777216' (expected 0-16777215)");
	LOAD_ERR("99999999999999999999 02:00:00:00:00:01 198.18.0.1\n",
		 "F:1: bad VNI '99999999999999999999' (expected 0-16777215)");
	LOAD_ERR("-1 02:00:00:00:00:01 198.18.0.1\n",
		 "F:1: bad VNI '-1' (expected 0-16777215)");
	LOAD_ERR("0x10 02:00:00:00:00:01 198.18.0.1\n",
		 "F:1: bad VNI '0x10' (expected 0-16777215)");
	LOAD_ERR("# hdr\n\n1 02:00:00:00:01 198.18.0.1\n",
		 "F:3: bad MAC '02:00:00:00:01'");
	LOAD_ERR("1 02:00:00:00:00:01x 198.18.0.1\n",
		 "F:1: bad MAC '02:00:00:00:00:01x'");
	LOAD_ERR("1 02:00:00:00:00:01 198.18.0.256\n",
		 "F:1: bad remote address '198.18.0.256'");
	LOAD_ERR("1 02:00:00:00:00:01 host.example\n",
		 "F:1: bad remote address 'host.example'");
	LOAD_ERR("1 02:00:00:00:00:01\n", "F:1: expected VNI MAC REMOTE");
	LOAD_ERR("1 02:00:00:00:00:01 # 198.18.0.1\n",
		 "F:1: expected VNI MAC REMOTE");
	LOAD_ERR("   \t 7\n", "F:1: expected VNI MAC REMOTE");
	LOAD_ERR("1 02:00:00:00:00:01\t\x1b[2J 198.18.0.1\n",
		 "F:1: bad remote address '?[2J'");
	expect_load_error("1 02:00:00:00:00:01 198.18.0.1\n"
			  "1 02:00:00:00:00:02 198.18.0.1\n"
			  "1 02:00:00:00:00:01 198.18.0.9 # replaces\n"
			  "1 02:00:00:00:00:03 198.18.0.1\n",
			  2, "F:4: table full", __LINE__);

	/* What was loaded before the bad line stays. */
	fdb = vnet_fdb_new(2, SEC);
	ret = load_text(fdb,
			"1 02:00:00:00:00:01 198.18.0.1\n"
			"1 02:00:00:00:00:02 198.18.0.2\n"
			"1 02:00:00:00:00:03 198.18.0.3\n",
			msg, sizeof(msg));
	T_EQ(ret, -EINVAL);
	T_STREQ(msg, "F:3: table full");
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);
	vnet_fdb_free(fdb);

	/* Lines: 4096 characters are fine, 4097 are not. */
	big = malloc(20000);
	memset(big, ' ', 20000);
	memcpy(big, "1 02:00:00:00:00:01 198.18.0.1", 30);
	big[4096] = '\n';
	fdb = vnet_fdb_new(4, SEC);
	T_EQ(load_text_n(fdb, big, 4097, msg, sizeof(msg)), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);
	big[4096] = ' ';
	big[4097] = '\n';
	T_EQ(load_text_n(fdb, big, 4098, msg, sizeof(msg)), -EINVAL);
	T_STREQ(msg, "F:1: line too long (more than 4096 characters)");
	/* A CR before the newline is not counted. */
	big[4096] = '\r';
	T_EQ(load_text_n(fdb, big, 4098, msg, sizeof(msg)), 0);
	/* Also without a final newline, and on a later line. */
	memset(big, ' ', 20000);
	memcpy(big, "# x\n", 4);
	T_EQ(load_text_n(fdb, big, 20000, msg, sizeof(msg)), -EINVAL);
	T_STREQ(msg, "F:2: line too long (more than 4096 characters)");
	for (i = 0; i < 20000; i++)
		big[i] = i % 2 ? '\n' : '#';
	T_EQ(load_text_n(fdb, big, 20000, msg, sizeof(msg)), 0);
	free(big);

	T_EQ(load_text_n(fdb, "1 02:00:00:00:00:01\0 198.18.0.1\n", 32, msg,
			 sizeof(msg)),
	     -EINVAL);
	T_STREQ(msg, "F:1: NUL byte in line");

	ret = vnet_fdb_load(fdb, "/nonexistent/fdb", &e);
	T_EQ(ret, -ENOENT);
	T_STREQ(vnet_err_str(&e, msg, sizeof(msg)),
		"/nonexistent/fdb: No such file or directory");
	T_EQ(e.errnum, ENOENT);
	T_EQ(e.line, 0);
	/* A directory opens but does not read. */
	ret = vnet_fdb_load(fdb, "/", &e);
	T_EQ(ret, -EISDIR);
	T_STREQ(vnet_err_str(&e, msg, sizeof(msg)), "/: Is a directory");
	/* err may be NULL, and short messages are cut, not overrun. */
	T_EQ(vnet_fdb_load(fdb, "/nonexistent/fdb", NULL), -ENOENT);
	memset(msg, 'x', sizeof(msg));
	T_EQ(vnet_fdb_load(fdb, "/nonexistent/fdb", &e), -ENOENT);
	vnet_err_str(&e, msg, 5);
	T_STREQ(msg, "/non");
	T_EQ(msg[5], 'x');
	vnet_fdb_free(fdb);

	/* Flood list full: 4096 remotes on one VNI fit, one more does not. */
	fdb = vnet_fdb_new(4, SEC);
	big = malloc((VNET_FDB_FLOOD_MAX + 1) * 64);
	for (i = 0, n = 0; i <= VNET_FDB_FLOOD_MAX; i++)
		n += (size_t)sprintf(big + n,
				     "100 00:00:00:00:00:00 198.18.%zu.%zu\n",
				     i / 250, i % 250);
	T_EQ(load_text(fdb, big, msg, sizeof(msg)), -EINVAL);
	T_STREQ(msg, "F:4097: flood list full (4096 entries)");
	T_EQ(vnet_fdb_stats(fdb)->flood, VNET_FDB_FLOOD_MAX);
	free(big);
	vnet_fdb_free(fdb);
}

static void test_load_ok(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(16, SEC);
	const struct vnet_addr *out[4];
	char msg[600];
	uint8_t m[6];

	T_EQ(load_text(fdb,
		       "# static entries of the lab\n"
		       "\n"
		       "   \t\n"
		       "100\t02:00:00:00:00:01\t198.18.0.1\n"
		       "100  02-00-00-00-00-02 \t 2001:db8::2   # trailing\n"
		       "  0 02:00:00:00:00:03 198.18.0.3 static 12 extra\r\n"
		       "16777215 02:00:00:00:00:04 198.18.0.4#no space\n"
		       "100 00:00:00:00:00:00 198.18.0.9\n"
		       "100 00:00:00:00:00:00 198.18.0.9\n"
		       "007 02:00:00:00:00:05 198.18.0.5",
		       msg, sizeof(msg)),
	     0);
	T_STREQ(msg, "");
	T_EQ(vnet_fdb_stats(fdb)->entries, 5);
	mac_n(m, 1);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, m, 0), "198.18.0.1"));
	mac_n(m, 2);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, m, 0), "2001:db8::2"));
	mac_n(m, 3);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 0, m, 0), "198.18.0.3"));
	mac_n(m, 4);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 16777215, m, 0), "198.18.0.4"));
	mac_n(m, 5);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 7, m, 0), "198.18.0.5"));
	/* Loaded entries are static: they never age and learning keeps off. */
	T_ASSERT(vnet_fdb_lookup(fdb, 7, m, UINT64_MAX));
	T_EQ(vnet_fdb_flood(fdb, 100, out, 4), 1);
	T_ASSERT(addr_is(out[0], "198.18.0.9"));
	/* An empty file is fine. */
	T_EQ(load_text(fdb, "", msg, sizeof(msg)), 0);
	vnet_fdb_free(fdb);
}

static char *dump_str(const struct vnet_fdb *fdb, uint64_t now)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	T_ASSERT(f);
	T_EQ(vnet_fdb_dump(fdb, f, now), 0);
	fclose(f);
	return s;
}

static void test_dump(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(16, 300 * SEC), *back;
	struct vnet_addr a1 = ip("198.18.0.1"), a2 = ip("198.18.0.2"),
			 a6 = ip("2001:db8::1"), f9 = ip("198.18.0.9"),
			 f8 = ip("198.18.0.8");
	const struct vnet_addr *out[4];
	char msg[600], *s, *s2;
	const char *path;
	uint8_t m[6];

	s = dump_str(fdb, 0);
	T_STREQ(s, "");
	free(s);

	mac_n(m, 0x99);
	T_EQ(vnet_fdb_learn(fdb, 100, m, &a1, 0), 0); /* expired at dump */
	mac_n(m, 0xeeff);
	T_EQ(vnet_fdb_learn(fdb, 100, m, &a1, 300 * SEC), 0);
	mac_n(m, 0xee02);
	T_EQ(vnet_fdb_add_static(fdb, 100, m, &a2), 0);
	mac_n(m, 9);
	T_EQ(vnet_fdb_learn(fdb, 5, m, &a6, 302 * SEC), 0);
	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_ANY, &f8), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &f9), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 7, &f8), 0);

	s = dump_str(fdb, 305 * SEC + SEC / 2);
	T_STREQ(s, "5\t02:00:00:00:00:09\t2001:db8::1\tlearned\t3\n"
		   "100\t02:00:00:00:ee:02\t198.18.0.2\tstatic\t-\n"
		   "100\t02:00:00:00:ee:ff\t198.18.0.1\tlearned\t5\n"
		   "7\t00:00:00:00:00:00\t198.18.0.8\tflood\t-\n"
		   "100\t00:00:00:00:00:00\t198.18.0.9\tflood\t-\n"
		   "# flood all VNIs: 198.18.0.8\n");
	/* The dump reloads: every entry as a static one, the flood lists
	 * but those of all VNIs; and it dumps the same again. */
	back = vnet_fdb_new(16, 300 * SEC);
	T_EQ(load_text(back, s, msg, sizeof(msg)), 0);
	T_STREQ(msg, "");
	T_EQ(vnet_fdb_stats(back)->entries, 3);
	mac_n(m, 9);
	T_ASSERT(addr_is(vnet_fdb_lookup(back, 5, m, 0), "2001:db8::1"));
	mac_n(m, 0xeeff);
	T_ASSERT(addr_is(vnet_fdb_lookup(back, 100, m, 0), "198.18.0.1"));
	T_EQ(vnet_fdb_flood(back, 100, out, 4), 1);
	T_EQ(vnet_fdb_flood(back, 7, out, 4), 1);
	T_EQ(vnet_fdb_flood_add(back, VNET_VNI_ANY, &f8), 0);
	s2 = dump_str(back, 0);
	T_STREQ(s2, "5\t02:00:00:00:00:09\t2001:db8::1\tstatic\t-\n"
		    "100\t02:00:00:00:ee:02\t198.18.0.2\tstatic\t-\n"
		    "100\t02:00:00:00:ee:ff\t198.18.0.1\tstatic\t-\n"
		    "7\t00:00:00:00:00:00\t198.18.0.8\tflood\t-\n"
		    "100\t00:00:00:00:00:00\t198.18.0.9\tflood\t-\n"
		    "# flood all VNIs: 198.18.0.8\n");
	free(s2);
	vnet_fdb_free(back);

	/* Through a real file, as vnet-encap would write it. */
	path = tmp_file("");
	{
		FILE *f = fopen(path, "w");

		T_ASSERT(f);
		T_EQ(vnet_fdb_dump(fdb, f, 305 * SEC), 0);
		T_EQ(fclose(f), 0);
	}
	back = vnet_fdb_new(3, SEC);
	T_EQ(vnet_fdb_load(back, path, NULL), 0);
	T_EQ(vnet_fdb_stats(back)->entries, 3);
	unlink(path);
	vnet_fdb_free(back);
	free(s);

	/* A write error is reported. */
	{
		FILE *f = fopen("/dev/full", "w");

		if (f) {
			T_ASSERT(vnet_fdb_dump(fdb, f, 0) < 0);
			fclose(f);
		}
	}
	vnet_fdb_free(fdb);
}

static void test_replace_static(void)
{
	struct vnet_fdb *dst = vnet_fdb_new(8, 300 * SEC);
	struct vnet_fdb *src = vnet_fdb_new(8, 300 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2"),
			 c = ip("198.18.0.3"), x = ip("198.18.0.10"),
			 y = ip("198.18.0.11"), fl = ip("198.18.0.20");
	const struct vnet_addr *out[4];
	uint8_t k1[6], k2[6], k3[6], k4[6], m[6];
	uint32_t i;

	mac_n(k1, 1);
	mac_n(k2, 2);
	mac_n(k3, 3);
	mac_n(k4, 4);
	T_EQ(vnet_fdb_add_static(dst, 1, k1, &a), 0);
	T_EQ(vnet_fdb_add_static(dst, 1, k2, &b), 0);
	T_EQ(vnet_fdb_learn(dst, 1, k3, &c, 0), 0);
	T_EQ(vnet_fdb_learn(dst, 1, k4, &c, 0), 0);
	T_EQ(vnet_fdb_flood_add(dst, 1, &a), 0);
	T_EQ(vnet_fdb_add_static(src, 1, k1, &x), 0);
	T_EQ(vnet_fdb_add_static(src, 1, k3, &y), 0);
	T_EQ(vnet_fdb_learn(src, 1, k2, &y, 0), 0); /* not static: ignored */
	T_EQ(vnet_fdb_flood_add(src, 2, &fl), 0);

	T_EQ(vnet_fdb_replace_static(dst, src), 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, k1, 0), "198.18.0.10"));
	T_ASSERT(!vnet_fdb_lookup(dst, 1, k2, 0));
	T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, k3, 0), "198.18.0.11"));
	T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, k4, 0), "198.18.0.3"));
	T_EQ(vnet_fdb_stats(dst)->entries, 3);
	/* k3 is static now, k2 learnable. */
	T_EQ(vnet_fdb_learn(dst, 1, k3, &c, 0), -EPERM);
	T_EQ(vnet_fdb_learn(dst, 1, k2, &c, 0), 0);
	T_ASSERT(vnet_fdb_lookup(dst, 1, k3, UINT64_MAX));
	T_EQ(vnet_fdb_flood(dst, 1, out, 4), 0);
	T_EQ(vnet_fdb_flood(dst, 2, out, 4), 1);
	T_ASSERT(addr_is(out[0], "198.18.0.20"));
	/* src is untouched; replacing with itself is a no-op. */
	T_EQ(vnet_fdb_stats(src)->entries, 3);
	T_EQ(vnet_fdb_replace_static(dst, dst), 0);
	T_EQ(vnet_fdb_stats(dst)->entries, 4);
	vnet_fdb_free(src);

	/* A src with more static entries than dst holds: refused, dst kept. */
	src = vnet_fdb_new(16, SEC);
	for (i = 0; i < 9; i++) {
		mac_n(m, 100 + i);
		T_EQ(vnet_fdb_add_static(src, 1, m, &a), 0);
	}
	T_EQ(vnet_fdb_replace_static(dst, src), -ENOSPC);
	T_EQ(vnet_fdb_stats(dst)->entries, 4);
	T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, k1, 0), "198.18.0.10"));
	T_EQ(vnet_fdb_flood(dst, 2, out, 4), 1);
	vnet_fdb_free(src);
	vnet_fdb_free(dst);

	/* A full dst: learned entries make room for the static ones. */
	dst = vnet_fdb_new(4, SEC);
	src = vnet_fdb_new(4, SEC);
	for (i = 0; i < 4; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_learn(dst, 1, m, &a, 0), 0);
	}
	mac_n(m, 0);
	T_EQ(vnet_fdb_add_static(src, 1, m, &b), 0); /* claims a learned one */
	for (i = 10; i < 12; i++) {
		mac_n(m, i);
		T_EQ(vnet_fdb_add_static(src, 1, m, &b), 0);
	}
	T_EQ(vnet_fdb_replace_static(dst, src), 0);
	T_EQ(vnet_fdb_stats(dst)->entries, 4);
	mac_n(m, 0);
	T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, m, 0), "198.18.0.2"));
	for (i = 10; i < 12; i++) {
		mac_n(m, i);
		T_ASSERT(addr_is(vnet_fdb_lookup(dst, 1, m, 0), "198.18.0.2"));
	}
	vnet_fdb_free(src);
	vnet_fdb_free(dst);
}

static void test_del_static(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, 10 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2");
	uint8_t k1[6], k2[6], k3[6];

	mac_n(k1, 1);
	mac_n(k2, 2);
	mac_n(k3, 3);
	T_EQ(vnet_fdb_add_static(fdb, 100, k1, &a), 0);
	T_EQ(vnet_fdb_learn(fdb, 100, k2, &b, 0), 0);
	T_EQ(vnet_fdb_is_static(fdb, 100, k1), 1);
	T_ASSERT(addr_is(vnet_fdb_static_remote(fdb, 100, k1), "198.18.0.1"));
	/* A learned entry is not static, and a del leaves it alone. */
	T_EQ(vnet_fdb_is_static(fdb, 100, k2), 0);
	T_ASSERT(!vnet_fdb_static_remote(fdb, 100, k2));
	T_EQ(vnet_fdb_del_static(fdb, 100, k2), -ENOENT);
	T_ASSERT(addr_is(vnet_fdb_lookup(fdb, 100, k2, 0), "198.18.0.2"));
	/* Absent keys: another MAC, another VNI, a VNI out of range. */
	T_EQ(vnet_fdb_del_static(fdb, 100, k3), -ENOENT);
	T_EQ(vnet_fdb_del_static(fdb, 101, k1), -ENOENT);
	T_EQ(vnet_fdb_del_static(fdb, VNET_VNI_MAX + 1, k1), -ENOENT);
	T_EQ(vnet_fdb_is_static(fdb, VNET_VNI_ANY, k1), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);

	T_EQ(vnet_fdb_del_static(fdb, 100, k1), 0);
	T_EQ(vnet_fdb_is_static(fdb, 100, k1), 0);
	T_ASSERT(!vnet_fdb_lookup(fdb, 100, k1, 0));
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);
	T_EQ(vnet_fdb_del_static(fdb, 100, k1), -ENOENT);
	/* The key is free for learning again, and ageing still ages. */
	T_EQ(vnet_fdb_learn(fdb, 100, k1, &b, 0), 0);
	T_EQ(vnet_fdb_age(fdb, 11 * SEC, 0), 2);
	T_EQ(vnet_fdb_stats(fdb)->entries, 0);
	vnet_fdb_free(fdb);
}

static void test_flood_del(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, 10 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2"),
			 c = ip("198.18.0.3"), d = ip("2001:db8::4");
	const struct vnet_addr *out[8];

	T_EQ(vnet_fdb_flood_del(fdb, 100, &a), -ENOENT);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &a), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 100, &b), 0);
	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_ANY, &a), 0);
	T_EQ(vnet_fdb_flood_add(fdb, VNET_VNI_ANY, &c), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 200, &d), 0);
	T_EQ(vnet_fdb_stats(fdb)->flood, 5);
	T_EQ(vnet_fdb_flood_has(fdb, 100, &a), 1);
	T_EQ(vnet_fdb_flood_has(fdb, VNET_VNI_ANY, &a), 1);
	/* Exact entries only: c is on VNI 100's list through VNET_VNI_ANY. */
	T_EQ(vnet_fdb_flood_has(fdb, 100, &c), 0);
	T_EQ(vnet_fdb_flood_del(fdb, 100, &c), -ENOENT);
	T_EQ(vnet_fdb_flood_del(fdb, 300, &a), -ENOENT);
	T_EQ(vnet_fdb_flood_del(fdb, VNET_VNI_ANY, &b), -ENOENT);

	/* VNI 100's own a goes; the one of every VNI still floods to a. */
	T_EQ(vnet_fdb_flood_del(fdb, 100, &a), 0);
	T_EQ(vnet_fdb_flood_has(fdb, 100, &a), 0);
	T_EQ(vnet_fdb_flood(fdb, 100, out, 8), 3);
	T_ASSERT(addr_is(out[0], "198.18.0.1"));
	T_ASSERT(addr_is(out[1], "198.18.0.2"));
	T_ASSERT(addr_is(out[2], "198.18.0.3"));
	/* The entry of every VNI goes from every VNI's list. */
	T_EQ(vnet_fdb_flood_del(fdb, VNET_VNI_ANY, &a), 0);
	T_EQ(vnet_fdb_flood_del(fdb, VNET_VNI_ANY, &a), -ENOENT);
	T_EQ(vnet_fdb_flood(fdb, 100, out, 8), 2);
	T_ASSERT(addr_is(out[0], "198.18.0.2"));
	T_ASSERT(addr_is(out[1], "198.18.0.3"));
	T_EQ(vnet_fdb_flood(fdb, 200, out, 8), 2);
	T_ASSERT(addr_is(out[0], "198.18.0.3"));
	T_ASSERT(addr_is(out[1], "2001:db8::4"));
	T_EQ(vnet_fdb_flood(fdb, 7, out, 8), 1);
	T_EQ(vnet_fdb_stats(fdb)->flood, 3);
	/* The last one, and an empty list. */
	T_EQ(vnet_fdb_flood_del(fdb, 200, &d), 0);
	T_EQ(vnet_fdb_flood_del(fdb, VNET_VNI_ANY, &c), 0);
	T_EQ(vnet_fdb_flood_del(fdb, 100, &b), 0);
	T_EQ(vnet_fdb_stats(fdb)->flood, 0);
	T_EQ(vnet_fdb_flood(fdb, 100, out, 8), 0);
	T_EQ(vnet_fdb_flood_del(fdb, 100, &b), -ENOENT);
	/* A full list has room again after a del. */
	{
		struct vnet_addr x;
		uint32_t i;

		for (i = 0; i < VNET_FDB_FLOOD_MAX; i++) {
			vnet_addr_from_v4(&x, &i);
			T_EQ(vnet_fdb_flood_add(fdb, 100, &x), 0);
		}
		T_EQ(vnet_fdb_flood_add(fdb, 100, &a), -ENOSPC);
		i = 77;
		vnet_addr_from_v4(&x, &i);
		T_EQ(vnet_fdb_flood_del(fdb, 100, &x), 0);
		T_EQ(vnet_fdb_flood_add(fdb, 100, &a), 0);
		T_EQ(vnet_fdb_flood_has(fdb, 100, &x), 0);
		T_EQ(vnet_fdb_stats(fdb)->flood, VNET_FDB_FLOOD_MAX);
	}
	vnet_fdb_free(fdb);
}

static void test_merge_static(void)
{
	struct vnet_fdb *dst = vnet_fdb_new(8, 300 * SEC);
	struct vnet_fdb *src = vnet_fdb_new(8, 300 * SEC);
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2"),
			 c = ip("198.18.0.3"), x = ip("198.18.0.10");
	uint8_t k1[6], k2[6], k3[6], k4[6];
	char *before, *after;

	mac_n(k1, 1);
	mac_n(k2, 2);
	mac_n(k3, 3);
	mac_n(k4, 4);
	T_EQ(vnet_fdb_add_static(dst, 1, k1, &a), 0);
	T_EQ(vnet_fdb_learn(dst, 1, k2, &a, 0), 0);
	T_EQ(vnet_fdb_flood_add(dst, 1, &a), 0);
	T_EQ(vnet_fdb_add_static(src, 1, k1, &x), 0); /* dst's stays */
	T_EQ(vnet_fdb_add_static(src, 1, k2, &b), 0); /* takes the learned */
	T_EQ(vnet_fdb_add_static(src, 1, k3, &b), 0);
	T_EQ(vnet_fdb_learn(src, 1, k4, &b, 0), 0); /* not static: ignored */
	T_EQ(vnet_fdb_flood_add(src, 1, &a), 0);     /* in both */
	T_EQ(vnet_fdb_flood_add(src, 2, &b), 0);
	T_EQ(vnet_fdb_flood_add(src, VNET_VNI_ANY, &c), 0);

	T_EQ(vnet_fdb_merge_static(dst, src), 0);
	T_ASSERT(addr_is(vnet_fdb_static_remote(dst, 1, k1), "198.18.0.1"));
	T_ASSERT(addr_is(vnet_fdb_static_remote(dst, 1, k2), "198.18.0.2"));
	T_ASSERT(addr_is(vnet_fdb_static_remote(dst, 1, k3), "198.18.0.2"));
	T_ASSERT(!vnet_fdb_lookup(dst, 1, k4, 0));
	T_EQ(vnet_fdb_stats(dst)->entries, 3);
	T_EQ(vnet_fdb_stats(dst)->flood, 3);
	T_EQ(vnet_fdb_flood_has(dst, 1, &a), 1);
	T_EQ(vnet_fdb_flood_has(dst, 2, &b), 1);
	T_EQ(vnet_fdb_flood_has(dst, VNET_VNI_ANY, &c), 1);
	/* src is untouched; merging again, or with itself, changes nothing. */
	T_EQ(vnet_fdb_stats(src)->entries, 4);
	before = dump_str(dst, 0);
	T_EQ(vnet_fdb_merge_static(dst, src), 0);
	T_EQ(vnet_fdb_merge_static(dst, dst), 0);
	after = dump_str(dst, 0);
	T_STREQ(after, before);
	free(after);
	vnet_fdb_free(src);

	/* Static entries up to dst's max fit, a learned one making room;
	 * one more is refused, dst as it was. */
	free(before);
	T_EQ(vnet_fdb_learn(dst, 1, k4, &c, 0), 0);
	src = vnet_fdb_new(16, SEC);
	{
		uint8_t m[6];
		uint32_t i;

		T_EQ(vnet_fdb_add_static(src, 1, k1, &x), 0); /* no room needed */
		for (i = 0; i < 5; i++) {
			mac_n(m, 100 + i);
			T_EQ(vnet_fdb_add_static(src, 1, m, &a), 0);
		}
		T_EQ(vnet_fdb_merge_static(dst, src), 0); /* 3 + 5 = 8 fit */
		T_EQ(vnet_fdb_stats(dst)->entries, 8);
		T_ASSERT(!vnet_fdb_lookup(dst, 1, k4, 0));
		mac_n(m, 200);
		T_EQ(vnet_fdb_add_static(src, 1, m, &a), 0); /* 9 do not */
		before = dump_str(dst, 0);
		T_EQ(vnet_fdb_merge_static(dst, src), -ENOSPC);
		after = dump_str(dst, 0);
		T_STREQ(after, before);
		T_EQ(vnet_fdb_is_static(dst, 1, m), 0);
		free(after);
		free(before);
	}
	vnet_fdb_free(src);
	vnet_fdb_free(dst);

	dst = vnet_fdb_new(4, SEC);
	src = vnet_fdb_new(8, SEC);
	T_EQ(vnet_fdb_add_static(dst, 1, k1, &a), 0);
	T_EQ(vnet_fdb_add_static(dst, 1, k2, &a), 0);
	T_EQ(vnet_fdb_learn(dst, 1, k3, &a, 0), 0);
	T_EQ(vnet_fdb_flood_add(dst, 1, &a), 0);
	T_EQ(vnet_fdb_add_static(src, 1, k3, &b), 0);
	T_EQ(vnet_fdb_add_static(src, 1, k4, &b), 0);
	T_EQ(vnet_fdb_add_static(src, 2, k4, &b), 0);
	T_EQ(vnet_fdb_flood_add(src, 3, &c), 0);
	before = dump_str(dst, 0);
	T_EQ(vnet_fdb_merge_static(dst, src), -ENOSPC);
	after = dump_str(dst, 0);
	T_STREQ(after, before);
	free(after);
	T_EQ(vnet_fdb_flood_has(dst, 3, &c), 0);
	T_EQ(vnet_fdb_stats(dst)->entries, 3);
	vnet_fdb_free(src);

	/* Flood entries beyond VNET_FDB_FLOOD_MAX: refused, dst kept. */
	src = vnet_fdb_new(8, SEC);
	T_EQ(vnet_fdb_add_static(src, 1, k4, &b), 0);
	{
		struct vnet_addr y;
		uint32_t i;

		for (i = 0; i < VNET_FDB_FLOOD_MAX; i++) {
			vnet_addr_from_v4(&y, &i);
			T_EQ(vnet_fdb_flood_add(src, 5, &y), 0);
		}
	}
	T_EQ(vnet_fdb_merge_static(dst, src), -ENOSPC);
	after = dump_str(dst, 0);
	T_STREQ(after, before);
	free(after);
	T_EQ(vnet_fdb_stats(dst)->flood, 1);
	/* With dst's one flood entry gone, they fit exactly. */
	T_EQ(vnet_fdb_flood_del(dst, 1, &a), 0);
	T_EQ(vnet_fdb_merge_static(dst, src), 0);
	T_EQ(vnet_fdb_stats(dst)->flood, VNET_FDB_FLOOD_MAX);
	T_ASSERT(vnet_fdb_is_static(dst, 1, k4));
	free(before);
	vnet_fdb_free(src);
	vnet_fdb_free(dst);
}

static void test_strict(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(8, SEC), *src;
	struct vnet_addr a = ip("198.18.0.1"), a6 = ip("2001:db8::1");
	uint8_t m[6], group[6] = {0x01, 0, 0x5e, 0, 0, 1};
	char msg[600];

	mac_n(m, 1);
	T_EQ(vnet_fdb_set_strict(fdb, AF_UNIX), -EINVAL);
	T_EQ(vnet_fdb_set_strict(fdb, AF_INET), 0);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &a6), -EAFNOSUPPORT);
	T_EQ(vnet_fdb_add_static(fdb, 1, group, &a), -EADDRNOTAVAIL);
	T_EQ(vnet_fdb_flood_add(fdb, 1, &a6), -EAFNOSUPPORT);
	T_EQ(vnet_fdb_add_static(fdb, 1, m, &a), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 1, &a), 0);
	T_EQ(vnet_fdb_set_strict(fdb, AF_INET6), -EBUSY);
	T_EQ(vnet_fdb_stats(fdb)->entries, 1);

	/* The loader says so, at its line; what came before stays. */
	T_EQ(load_text(fdb, "2 02:00:00:00:00:02 198.18.0.2\n"
			    "3 00:00:00:00:00:00 2001:db8::3\n",
		       msg, sizeof(msg)),
	     -EINVAL);
	T_STREQ(msg, "F:2: remote 2001:db8::3 is IPv6, the underlay IPv4");
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);
	T_EQ(load_text(fdb, "# group\n4 01:00:5e:00:00:01 198.18.0.2\n", msg,
		       sizeof(msg)),
	     -EINVAL);
	T_STREQ(msg, "F:2: MAC 01:00:5e:00:00:01 is a group address: a "
		     "static entry is for one host (flood entries have MAC "
		     "00:00:00:00:00:00)");

	/* A strict dst refuses a merge it cannot take whole. */
	src = vnet_fdb_new(8, SEC);
	mac_n(m, 9);
	T_EQ(vnet_fdb_add_static(src, 9, m, &a), 0);
	T_EQ(vnet_fdb_flood_add(src, 9, &a6), 0);
	T_EQ(vnet_fdb_merge_static(fdb, src), -EAFNOSUPPORT);
	T_EQ(vnet_fdb_is_static(fdb, 9, m), 0);
	T_EQ(vnet_fdb_flood_del(src, 9, &a6), 0);
	T_EQ(vnet_fdb_add_static(src, 9, group, &a), 0);
	T_EQ(vnet_fdb_merge_static(fdb, src), -EADDRNOTAVAIL);
	T_EQ(vnet_fdb_is_static(fdb, 9, m), 0);
	T_EQ(vnet_fdb_stats(fdb)->entries, 2);
	vnet_fdb_free(src);
	vnet_fdb_free(fdb);

	/* IPv6 the other way round. */
	fdb = vnet_fdb_new(8, SEC);
	T_EQ(vnet_fdb_set_strict(fdb, AF_INET6), 0);
	T_EQ(vnet_fdb_flood_add(fdb, 1, &a), -EAFNOSUPPORT);
	T_EQ(vnet_fdb_flood_add(fdb, 1, &a6), 0);
	vnet_fdb_free(fdb);
}

/* The column parser and the adder, as a control command uses them: no
 * file, no line. */
static void test_entry(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(1, SEC);
	struct vnet_fdb_entry e;
	struct vnet_err err;
	char msg[VNET_ERR_STRLEN];

#define ENTRY_ERR(v, m, r, want)                                               \
	do {                                                                   \
		vnet_err_clear(&err);                                          \
		T_EQ(vnet_fdb_entry_parse(&e, v, m, r, NULL, 0, &err),         \
		     -EINVAL);                                                 \
		T_STREQ(vnet_err_str(&err, msg, sizeof(msg)), want);           \
	} while (0)
	ENTRY_ERR("x", NULL, NULL, "bad VNI 'x' (expected 0-16777215)");
	ENTRY_ERR("", NULL, NULL, "bad VNI '' (expected 0-16777215)");
	ENTRY_ERR(NULL, NULL, NULL, "bad VNI '' (expected 0-16777215)");
	ENTRY_ERR("16777216", "02:00:00:00:00:01", NULL,
		  "bad VNI '16777216' (expected 0-16777215)");
	ENTRY_ERR("+1", NULL, NULL, "bad VNI '+1' (expected 0-16777215)");
	ENTRY_ERR(" 1", NULL, NULL, "bad VNI ' 1' (expected 0-16777215)");
	ENTRY_ERR("1", "02:00:00:00:00", "198.18.0.1",
		  "bad MAC '02:00:00:00:00'");
	ENTRY_ERR("1", NULL, "198.18.0.999",
		  "bad remote address '198.18.0.999'");
	ENTRY_ERR("1", "02:00:00:00:00:01", "a\x01\x7f",
		  "bad remote address 'a?" "?'");
	/* obj and line where given. */
	vnet_err_clear(&err);
	T_EQ(vnet_fdb_entry_parse(&e, "1", "zz", NULL, "req", 7, &err),
	     -EINVAL);
	T_STREQ(vnet_err_str(&err, msg, sizeof(msg)), "req:7: bad MAC 'zz'");
	T_EQ(vnet_fdb_entry_parse(&e, "1", "zz", NULL, NULL, 0, NULL), -EINVAL);

	/* What is not given is zero: a flood entry without a MAC. */
	T_EQ(vnet_fdb_entry_parse(&e, "0100", NULL, "198.18.0.2", NULL, 0,
				  &err),
	     0);
	T_EQ(e.vni, 100);
	T_ASSERT(vnet_mac_is_zero(e.mac));
	T_ASSERT(addr_is(&e.remote, "198.18.0.2"));
	T_EQ(vnet_fdb_entry_add(fdb, &e, NULL, 0, &err), 0);
	T_EQ(vnet_fdb_flood_has(fdb, 100, &e.remote), 1);
	T_EQ(vnet_fdb_entry_parse(&e, "16777215", "02:00:00:00:00:01",
				  "198.18.0.2", NULL, 0, &err),
	     0);
	T_EQ(e.vni, VNET_VNI_MAX);
	T_EQ(vnet_fdb_entry_add(fdb, &e, NULL, 0, &err), 0);
	T_ASSERT(vnet_fdb_is_static(fdb, VNET_VNI_MAX, e.mac));
	e.mac[5] = 2;
	vnet_err_clear(&err);
	T_EQ(vnet_fdb_entry_add(fdb, &e, NULL, 0, &err), -ENOSPC);
	T_STREQ(vnet_err_str(&err, msg, sizeof(msg)), "table full");
	T_EQ(vnet_fdb_entry_parse(&e, "1", NULL, NULL, NULL, 0, &err), 0);
	vnet_err_clear(&err);
	T_EQ(vnet_fdb_entry_add(fdb, &e, NULL, 0, &err), -EINVAL);
	T_STREQ(vnet_err_str(&err, msg, sizeof(msg)), "Invalid argument");
#undef ENTRY_ERR
	vnet_fdb_free(fdb);
}

static void test_set_seed(void)
{
	struct vnet_fdb *fdb = vnet_fdb_new(4, SEC);
	struct vnet_addr a = ip("198.18.0.1");
	uint8_t m[6];

	T_EQ(vnet_fdb_set_seed(fdb, 42), 0);
	mac_n(m, 1);
	T_EQ(vnet_fdb_learn(fdb, 1, m, &a, 0), 0);
	T_EQ(vnet_fdb_set_seed(fdb, 43), -EBUSY);
	T_ASSERT(vnet_fdb_lookup(fdb, 1, m, 0));
	vnet_fdb_free(fdb);
}

/* A model of the table, keys (1 + k % 4, 02:00:00:00:xx:xx) for k below
 * nkeys: what it must answer, kept exact except for which expired entries
 * a budgeted vnet_fdb_age() has removed already. */
struct model {
	uint8_t has; /* in the table, as far as the model knows */
	uint8_t remote;
	uint64_t seen;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void key(uint32_t k, uint32_t *vni, uint8_t mac[6])
{
	*vni = 1 + k % 4;
	mac_n(mac, k / 4 * 7919 % 65536);
}

static int m_expired(const struct model *md, uint64_t now, uint64_t ageing)
{
	return now > md->seen && now - md->seen > ageing;
}

struct stress {
	uint32_t max, nkeys, ops;
	uint64_t ageing, seed;
	uint64_t dt;	    /* mean time between operations */
	uint32_t check_all; /* look every key up every this many ops */
};

/* Lookup through the model: what the table must answer. */
static int check_lookup(struct vnet_fdb *fdb, const struct stress *p,
			struct model *md, uint32_t k,
			const struct vnet_addr *rem, uint64_t now)
{
	const struct vnet_addr *got;
	uint32_t vni;
	uint8_t mac[6];

	key(k, &vni, mac);
	got = vnet_fdb_lookup(fdb, vni, mac, now);
	if (md->has && !m_expired(md, now, p->ageing)) {
		if (!got || !vnet_addr_eq(got, &rem[md->remote]))
			return -1;
	} else {
		if (got)
			return -1;
		md->has = 0;
	}
	return 0;
}

static void run_stress(const struct stress *p)
{
	struct vnet_fdb *fdb = vnet_fdb_new(p->max, p->ageing);
	struct model *md = calloc(p->nkeys, sizeof(*md));
	const struct vnet_fdb_stats *st = vnet_fdb_stats(fdb);
	struct vnet_addr rem[4];
	uint64_t now = 1000 * SEC, before, overflow = 0, n_has;
	uint32_t i, k, vni, r, fails = 0;
	uint8_t mac[6];
	size_t removed;
	int ret, want;

	T_EQ(vnet_fdb_set_seed(fdb, p->seed), 0);
	rem[0] = ip("198.18.0.1");
	rem[1] = ip("198.18.0.2");
	rem[2] = ip("2001:db8::3");
	rem[3] = ip("2001:db8::4");
	for (i = 0; i < p->ops && fails < 10; i++) {
		now += rnd() % (2 * p->dt + 1);
		if (i % 25000 == 24999)
			now += 2 * p->ageing;
		k = (uint32_t)(rnd() % p->nkeys);
		r = (uint32_t)(rnd() % 64 ? md[k].remote : rnd() % 4);
		key(k, &vni, mac);
		before = st->entries;
		ret = vnet_fdb_learn(fdb, vni, mac, &rem[r], now);
		if (md[k].has && !m_expired(&md[k], now, p->ageing)) {
			want = md[k].remote != r;
			if (ret != want) {
				T_FAIL("op %u: learn %d, expected %d", i, ret,
				       want);
				fails++;
			}
		} else if (md[k].has) {
			/* Maybe removed by vnet_fdb_age already. */
			if (ret && !(ret == -ENOSPC && before == p->max)) {
				T_FAIL("op %u: relearn %d", i, ret);
				fails++;
			}
		} else if (ret != (before >= p->max ? -ENOSPC : 0)) {
			T_FAIL("op %u: learn %d with %llu entries", i, ret,
			       (unsigned long long)before);
			fails++;
		}
		if (ret == -ENOSPC) {
			overflow++;
			md[k].has = 0;
		} else if (ret >= 0) {
			md[k].has = 1;
			md[k].remote = (uint8_t)r;
			md[k].seen = now;
			if (check_lookup(fdb, p, &md[k], k, rem, now)) {
				T_FAIL("op %u: learned entry not found", i);
				fails++;
			}
		}
		if (st->entries > p->max) {
			T_FAIL("op %u: %llu entries", i,
			       (unsigned long long)st->entries);
			fails++;
		}
		/* Lookups of random keys, and ageing in small steps. */
		k = (uint32_t)(rnd() % p->nkeys);
		if (check_lookup(fdb, p, &md[k], k, rem, now)) {
			T_FAIL("op %u: lookup of key %u wrong", i, k);
			fails++;
		}
		if (i % 8 == 0) {
			before = st->entries;
			removed = vnet_fdb_age(fdb, now,
					       rnd() % 4 ? 1 + rnd() % 32 : 0);
			if (st->entries != before - removed) {
				T_FAIL("op %u: age removed %zu, entries %llu "
				       "-> %llu",
				       i, removed, (unsigned long long)before,
				       (unsigned long long)st->entries);
				fails++;
			}
		}
		if (i % p->check_all != p->check_all - 1)
			continue;
		/* Every live entry is found; the count is consistent. */
		n_has = 0;
		for (k = 0; k < p->nkeys; k++)
			n_has +=
			    md[k].has && !m_expired(&md[k], now, p->ageing);
		if (st->entries < n_has) {
			T_FAIL("op %u: %llu entries, %llu live", i,
			       (unsigned long long)st->entries,
			       (unsigned long long)n_has);
			fails++;
		}
		for (k = 0; k < p->nkeys; k++) {
			if (check_lookup(fdb, p, &md[k], k, rem, now)) {
				T_FAIL("op %u: key %u wrong in sweep", i, k);
				fails++;
				break;
			}
		}
		n_has = 0;
		for (k = 0; k < p->nkeys; k++)
			n_has += md[k].has;
		if (st->entries != n_has) {
			T_FAIL("op %u: %llu entries, model %llu", i,
			       (unsigned long long)st->entries,
			       (unsigned long long)n_has);
			fails++;
		}
	}
	T_EQ(st->overflow, overflow);
	T_ASSERT(overflow > 0); /* the table did fill up */
	T_ASSERT(st->aged > 0);
	T_ASSERT(st->moved > 0);
	/* Everything ages out in the end. */
	vnet_fdb_age(fdb, now + p->ageing + 1, 0);
	T_EQ(st->entries, 0);
	free(md);
	vnet_fdb_free(fdb);
}

/* 100000 random learns into a table of 4096, with lookups and ageing. */
static void test_stress(void)
{
	struct stress p = {.max = 4096,
			   .nkeys = 16384,
			   .ops = 100000,
			   .ageing = 3 * SEC,
			   .dt = 100000,
			   .seed = 1,
			   .check_all = 5000};

	run_stress(&p);
	p.seed = 0xdeadbeef;
	p.check_all = 20000;
	run_stress(&p);
}

/* Tiny tables wrap their clusters around the end all the time. */
static void test_stress_small(void)
{
	struct stress p = {.nkeys = 24,
			   .ops = 20000,
			   .ageing = 50 * 1000,
			   .dt = 1000,
			   .check_all = 7};
	uint32_t max;

	for (max = 1; max <= 9; max++) {
		p.max = max;
		for (p.seed = 0; p.seed < 8; p.seed++)
			run_stress(&p);
	}
}

/* replace_static on crowded small tables, against what it must leave. */
static void test_replace_random(void)
{
	struct vnet_addr a = ip("198.18.0.1"), b = ip("198.18.0.2");
	uint8_t mac[6], in_src[32], in_dst[32];
	uint32_t round, k, vni, n, nsrc, nlearned;
	struct vnet_fdb *dst, *src;
	const struct vnet_addr *got;

	for (round = 0; round < 3000; round++) {
		dst = vnet_fdb_new(8, SEC);
		src = vnet_fdb_new(8, SEC);
		vnet_fdb_set_seed(dst, round);
		memset(in_src, 0, sizeof(in_src));
		memset(in_dst, 0, sizeof(in_dst));
		for (n = 0; n < 8; n++) {
			k = (uint32_t)(rnd() % 32);
			key(k, &vni, mac);
			if (rnd() % 2) {
				if (!vnet_fdb_add_static(dst, vni, mac, &a))
					in_dst[k] = 2;
			} else if (!in_dst[k]) {
				if (!vnet_fdb_learn(dst, vni, mac, &a, 0))
					in_dst[k] = 1;
			}
		}
		for (n = rnd() % 9; n; n--) {
			k = (uint32_t)(rnd() % 32);
			key(k, &vni, mac);
			T_EQ(vnet_fdb_add_static(src, vni, mac, &b), 0);
			in_src[k] = 1;
		}
		T_EQ(vnet_fdb_replace_static(dst, src), 0);
		nsrc = nlearned = 0;
		for (k = 0; k < 32; k++) {
			key(k, &vni, mac);
			got = vnet_fdb_lookup(dst, vni, mac, 0);
			if (in_src[k]) {
				nsrc++;
				T_ASSERT(got && vnet_addr_eq(got, &b));
				T_EQ(vnet_fdb_learn(dst, vni, mac, &a, 0),
				     -EPERM);
			} else if (in_dst[k] == 2) {
				T_ASSERT(!got);
			} else if (got) {
				T_ASSERT(in_dst[k] == 1);
				T_ASSERT(vnet_addr_eq(got, &a));
				nlearned++;
			}
		}
		T_EQ(vnet_fdb_stats(dst)->entries, nsrc + nlearned);
		/* Learned entries are only dropped when there is no room. */
		if (vnet_fdb_stats(dst)->entries < 8) {
			for (k = 0; k < 32; k++)
				if (in_dst[k] == 1 && !in_src[k]) {
					key(k, &vni, mac);
					T_ASSERT(
					    vnet_fdb_lookup(dst, vni, mac, 0));
				}
		}
		vnet_fdb_free(src);
		vnet_fdb_free(dst);
	}
}

int main(void)
{
	T_RUN(test_new);
	T_RUN(test_learn_lookup);
	T_RUN(test_refresh);
	T_RUN(test_move);
	T_RUN(test_age_by_lookup);
	T_RUN(test_age_budget);
	T_RUN(test_overflow);
	T_RUN(test_static);
	T_RUN(test_flood);
	T_RUN(test_load_errors);
	T_RUN(test_load_ok);
	T_RUN(test_dump);
	T_RUN(test_replace_static);
	T_RUN(test_del_static);
	T_RUN(test_flood_del);
	T_RUN(test_merge_static);
	T_RUN(test_strict);
	T_RUN(test_entry);
	T_RUN(test_set_seed);
	T_RUN(test_stress);
	T_RUN(test_stress_small);
	T_RUN(test_replace_random);
	return T_DONE();
}
