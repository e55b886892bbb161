/* SPDX-License-Identifier: ISC */
/* fdb_file.c -- libFuzzer harness for the FDB text form (vnet_fdb_load). */
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
	struct vnet_fdb *fdb = NULL, *dst = NULL;
	const struct vnet_addr *out[VNET_FDB_FLOOD_MAX];
	struct vnet_addr remote;
	char path[64];
	struct vnet_err err;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	size_t off = 0;
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
	if (!fdb || !dst)
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
out:
	vnet_fdb_free(dst);
	vnet_fdb_free(fdb);
	close(fd);
	return 0;
}
