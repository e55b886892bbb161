/* SPDX-License-Identifier: ISC */
/* dhcp_lease.c -- libFuzzer harness for vnet-route's static lease file
 * (route_leases_load, route_dhcp_load). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vnet-route/dhcp.h"
#include "vnet-route/lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_leases *t;
	struct route_dhcp *d = NULL;
	const struct route_lease *l;
	struct vnet_err err;
	char path[64];
	size_t off = 0, i;
	ssize_t n;
	FILE *f;
	int fd, ret;

	fd = memfd_create("dhcp_lease", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* Small, so that "too many leases" is reached too. */
	vnet_err_clear(&err);
	t = route_leases_load(path, 16, &err);
	check(t || errno == EINVAL);
	check(t || (vnet_err_isset(&err) && err.line > 0));
	if (t) {
		check(route_leases_count(t) <= 16);
		for (i = 0; i < route_leases_count(t); i++) {
			l = route_leases_at(t, i);
			check(route_leases_by_mac(t, l->vid, l->mac) == l);
			check(route_leases_by_ip(t, l->vid, l->ip) == l);
			check(l->vid <= ROUTE_LEASE_VID_MAX && l->line > 0);
			check(strlen(l->host) <= ROUTE_LEASE_HOST_MAX);
		}
		route_leases_free(t);
	}

	/* The engine's load: atomic, and the dump of what it holds. */
	d = route_dhcp_new(16, NULL);
	if (!d)
		goto out;
	ret = route_dhcp_load(d, path, NULL);
	check(ret == 0 || ret == -EINVAL);
	f = fopen("/dev/null", "w");
	if (f) {
		check(route_dhcp_dump(d, f, 0) == 0);
		fclose(f);
	}
out:
	route_dhcp_free(d);
	close(fd);
	return 0;
}
