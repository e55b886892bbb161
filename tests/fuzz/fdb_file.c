/* SPDX-License-Identifier: ISC */
/* fdb_file.c -- libFuzzer harness for the FDB text form (vnet_fdb_load),
 * into a plain table and into a strict one (vnet-encap's fabric set, as
 * fabric-load fills it), and what is done with what loaded: a dump, a
 * replace as on SIGHUP, a merge, deletes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vnet/fdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vnet_addr *out[VNET_FDB_FLOOD_MAX];
	struct vnet_fdb *fdb = NULL, *dst = NULL, *fab = NULL;
	struct vnet_addr remote;
	char path[64];
	struct vnet_err err;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	size_t off = 0;
	uint32_t vni;
	ssize_t n;
	FILE *f;
	int fd, ret;

	fd = memfd_create("fdb_file", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* Small, so that "table full" is reached too. */
	fdb = vnet_fdb_new(16, 1000000000u);
	dst = vnet_fdb_new(16, 1000000000u);
	fab = vnet_fdb_new(16, 0);
	if (!fdb || !dst || !fab || vnet_fdb_set_strict(fab, AF_INET) < 0)
		goto out;
	vnet_err_clear(&err);
	ret = vnet_fdb_load(fdb, path, &err);
	check(ret == 0 || ret == -EINVAL);
	check(ret == 0 || (vnet_err_isset(&err) && err.line > 0));
	check(vnet_fdb_stats(fdb)->entries <= 16);
	check(vnet_fdb_flood(fdb, 1, out, VNET_FDB_FLOOD_MAX) <=
	      VNET_FDB_FLOOD_MAX);

	f = fopen("/dev/null", "w");
	if (f) {
		check(vnet_fdb_dump(fdb, f, 0) == 0);
		fclose(f);
	}

	/* What was loaded goes live as on SIGHUP, next to learned entries. */
	vnet_addr_parse("198.18.0.1", &remote);
	vnet_fdb_learn(dst, 1, mac, &remote, 0);
	check(vnet_fdb_replace_static(dst, fdb) == 0);
	check(vnet_fdb_stats(dst)->entries <= 16);

	/* The same as a fabric set, merged over what is in force: all or
	 * nothing; then each of its entries deleted again. */
	vnet_err_clear(&err);
	ret = vnet_fdb_load(fab, path, &err);
	check(ret == 0 || (ret == -EINVAL && err.line > 0));
	ret = vnet_fdb_merge_static(dst, fab);
	check(ret == 0 || ret == -ENOSPC);
	check(vnet_fdb_stats(dst)->entries <= 16);
	check(vnet_fdb_stats(dst)->flood <= VNET_FDB_FLOOD_MAX);
	check(vnet_fdb_merge_static(fab, fab) == 0);
	for (vni = 0; vni < 16; vni++) {
		struct vnet_addr a[8];
		size_t n = vnet_fdb_flood(fab, vni, out, 8), i;

		/* Copies: a delete moves what the pointers point to. */
		for (i = 0; i < n; i++)
			a[i] = *out[i];
		for (i = 0; i < n; i++) {
			check(vnet_fdb_flood_del(fab, vni, &a[i]) == 0);
			check(!vnet_fdb_flood_has(fab, vni, &a[i]));
		}
		check(n == 8 || vnet_fdb_flood(fab, vni, out, 8) == 0);
		mac[5] = (uint8_t)vni;
		check(vnet_fdb_del_static(fab, vni, mac) == 0 ||
		      !vnet_fdb_is_static(fab, vni, mac));
		check(!vnet_fdb_is_static(fab, vni, mac));
	}
out:
	vnet_fdb_free(fab);
	vnet_fdb_free(dst);
	vnet_fdb_free(fdb);
	close(fd);
	return 0;
}
