/* SPDX-License-Identifier: ISC */
/* portspec.c -- libFuzzer harness for vnet_port_parse. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/port.h"
#include "vnet/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Beyond not crashing: an accepted spec has consistent fields, a refused
 * one says why. */
static void check(const char *s, size_t len, const struct vnet_port_spec *sp)
{
	size_t n;

	switch (sp->kind) {
	case VNET_PORT_STDIO:
		if (strcmp(s, "-"))
			abort();
		break;
	case VNET_PORT_FD:
		if (sp->rfd < 0 || sp->rfd > 65535 || sp->wfd < 0 ||
		    sp->wfd > 65535)
			abort();
		break;
	case VNET_PORT_TAP:
		n = strnlen(sp->ifname, sizeof(sp->ifname));
		if (!vnet_tap_name_valid(sp->ifname, n))
			abort();
		if (sp->mtu && (sp->mtu < 68 || sp->mtu > 65521))
			abort();
		if (sp->has_mac && (sp->mac[0] & 1))
			abort();
		break;
	case VNET_PORT_PCAP:
		if (!sp->path || sp->path < s || sp->path >= s + len ||
		    !*sp->path)
			abort();
		break;
	case VNET_PORT_UDP:
		if (sp->addr.family != AF_INET && sp->addr.family != AF_INET6)
			abort();
		break;
	default:
		abort();
	}
	if (sp->kind != VNET_PORT_FD && (sp->rfd != -1 || sp->wfd != -1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_port_spec sp;
	struct vnet_err e;
	char *s;
	int r;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	vnet_err_clear(&e);
	r = vnet_port_parse(s, &sp, &e);
	if (r == 0)
		check(s, size, &sp);
	else if (r != -EINVAL || !vnet_err_isset(&e))
		abort();
	free(s);
	return 0;
}
