/* SPDX-License-Identifier: ISC */
/* test_portspec.c -- vnet_port_parse: good specs and their fields, bad
 * specs and their why-phrases. */
#include <errno.h>

#include "harness.h"
#include "vnet/addr.h"
#include "vnet/port.h"

static const char E_TYPE[] =
	"unknown port type (expected -, fd:, tap:, pcap: or udp:)";
static const char E_FD[] = "bad fd pair (expected fd:R,W)";
static const char E_TAPNAME[] = "bad tap name";
static const char E_MTU[] = "bad MTU (expected 68-65521)";
static const char E_MAC[] = "bad MAC address";
static const char E_TAPOPT[] = "unknown tap option";
static const char E_TAPDUP[] = "duplicate tap option";
static const char E_FILE[] = "missing file name";
static const char E_ADDR[] = "bad address";
static const char E_PORT[] = "bad port (expected 1-65535)";

/* Expected fields; those not named keep the defaults of a zeroed spec and
 * rfd = wfd = -1 (unless .fd).  mac and addr are in vnet_mac_fmt and
 * vnet_addr_fmt form. */
static const struct good {
	const char *spec;
	enum vnet_port_kind kind;
	int fd;			/* rfd and wfd expected, else -1 */
	int rfd, wfd;
	const char *ifname;
	unsigned mtu;
	const char *mac;
	int path_at;		/* offset of path in spec, 0 = no path */
	const char *addr;
	uint16_t port;
} goods[] = {
	{ .spec = "-", .kind = VNET_PORT_STDIO },

	{ .spec = "fd:3,4", .kind = VNET_PORT_FD, .fd = 1, .rfd = 3, .wfd = 4 },
	{ .spec = "fd:0,1", .kind = VNET_PORT_FD, .fd = 1, .rfd = 0, .wfd = 1 },
	{ .spec = "fd:5,5", .kind = VNET_PORT_FD, .fd = 1, .rfd = 5, .wfd = 5 },
	{ .spec = "fd:65535,0", .kind = VNET_PORT_FD, .fd = 1, .rfd = 65535 },
	/* decimal, not octal */
	{ .spec = "fd:010,08", .kind = VNET_PORT_FD, .fd = 1, .rfd = 10,
	  .wfd = 8 },

	{ .spec = "tap:vm0", .kind = VNET_PORT_TAP, .ifname = "vm0" },
	{ .spec = "tap:vm0,mtu=1400", .kind = VNET_PORT_TAP, .ifname = "vm0",
	  .mtu = 1400 },
	{ .spec = "tap:vm0,mtu=68", .kind = VNET_PORT_TAP, .ifname = "vm0",
	  .mtu = 68 },
	{ .spec = "tap:vm0,mtu=65521", .kind = VNET_PORT_TAP, .ifname = "vm0",
	  .mtu = 65521 },
	{ .spec = "tap:vm0,mtu=01500", .kind = VNET_PORT_TAP, .ifname = "vm0",
	  .mtu = 1500 },
	{ .spec = "tap:vm0,mac=02:00:5e:10:00:01", .kind = VNET_PORT_TAP,
	  .ifname = "vm0", .mac = "02:00:5e:10:00:01" },
	{ .spec = "tap:vm0,mac=02-AA-bb-CC-dd-EE,mtu=9000",
	  .kind = VNET_PORT_TAP, .ifname = "vm0", .mtu = 9000,
	  .mac = "02:aa:bb:cc:dd:ee" },
	{ .spec = "tap:vm0,mtu=9000,mac=02:aa:bb:cc:dd:ee",
	  .kind = VNET_PORT_TAP, .ifname = "vm0", .mtu = 9000,
	  .mac = "02:aa:bb:cc:dd:ee" },
	{ .spec = "tap:abcdefghijklmno", .kind = VNET_PORT_TAP,
	  .ifname = "abcdefghijklmno" },
	{ .spec = "tap:veth-a.100", .kind = VNET_PORT_TAP,
	  .ifname = "veth-a.100" },
	{ .spec = "tap:...", .kind = VNET_PORT_TAP, .ifname = "..." },

	{ .spec = "pcap:in.pcap", .kind = VNET_PORT_PCAP, .path_at = 5 },
	{ .spec = "pcap:/tmp/a,b:c.pcap", .kind = VNET_PORT_PCAP,
	  .path_at = 5 },
	{ .spec = "pcap:-", .kind = VNET_PORT_PCAP, .path_at = 5 },

	{ .spec = "udp:198.18.0.1:4789", .kind = VNET_PORT_UDP,
	  .addr = "198.18.0.1", .port = 4789 },
	{ .spec = "udp:198.18.0.1", .kind = VNET_PORT_UDP,
	  .addr = "198.18.0.1" },
	{ .spec = "udp:0.0.0.0:1", .kind = VNET_PORT_UDP, .addr = "0.0.0.0",
	  .port = 1 },
	{ .spec = "udp:198.19.255.255:65535", .kind = VNET_PORT_UDP,
	  .addr = "198.19.255.255", .port = 65535 },
	{ .spec = "udp:[2001:db8::1]:4789", .kind = VNET_PORT_UDP,
	  .addr = "2001:db8::1", .port = 4789 },
	{ .spec = "udp:[2001:db8::1]", .kind = VNET_PORT_UDP,
	  .addr = "2001:db8::1" },
	{ .spec = "udp:[2001:DB8:0:0::1]:08472", .kind = VNET_PORT_UDP,
	  .addr = "2001:db8::1", .port = 8472 },
	{ .spec = "udp:[::]:4789", .kind = VNET_PORT_UDP, .addr = "::",
	  .port = 4789 },
	{ .spec = "udp:[::ffff:198.18.0.1]", .kind = VNET_PORT_UDP,
	  .addr = "::ffff:198.18.0.1" },
};

static const struct bad {
	const char *spec;
	const char *why;
} bads[] = {
	{ "", E_TYPE },
	{ "--", E_TYPE },
	{ "- ", E_TYPE },
	{ " -", E_TYPE },
	{ "tap", E_TYPE },
	{ "TAP:vm0", E_TYPE },
	{ "fd", E_TYPE },
	{ "file:x", E_TYPE },
	{ "tcp:198.18.0.1:80", E_TYPE },
	{ "vm0", E_TYPE },

	{ "fd:", E_FD },
	{ "fd:3", E_FD },
	{ "fd:3,", E_FD },
	{ "fd:,4", E_FD },
	{ "fd:3,4,5", E_FD },
	{ "fd:-1,4", E_FD },
	{ "fd:+3,4", E_FD },
	{ "fd: 3,4", E_FD },
	{ "fd:3,4 ", E_FD },
	{ "fd:3,65536", E_FD },
	{ "fd:99999999999999999999999,1", E_FD },
	{ "fd:0x3,4", E_FD },
	{ "fd:3;4", E_FD },

	{ "tap:", E_TAPNAME },
	{ "tap:,mtu=1500", E_TAPNAME },
	{ "tap:abcdefghijklmnop", E_TAPNAME },
	{ "tap:a/b", E_TAPNAME },
	{ "tap:a b", E_TAPNAME },
	{ "tap:a\tb", E_TAPNAME },
	{ "tap:a:b", E_TAPNAME },
	{ "tap:.", E_TAPNAME },
	{ "tap:..", E_TAPNAME },
	{ "tap:tap%d", E_TAPNAME },
	{ "tap:a\x01", E_TAPNAME },

	{ "tap:vm0,mtu=67", E_MTU },
	{ "tap:vm0,mtu=0", E_MTU },
	{ "tap:vm0,mtu=65522", E_MTU },
	{ "tap:vm0,mtu=", E_MTU },
	{ "tap:vm0,mtu", E_MTU },
	{ "tap:vm0,mtu=0x500", E_MTU },
	{ "tap:vm0,mtu=1500x", E_MTU },
	{ "tap:vm0,mtu=-1", E_MTU },
	{ "tap:vm0,mtu= 1500", E_MTU },
	{ "tap:vm0,mtu=1500=1", E_MTU },

	{ "tap:vm0,mac=", E_MAC },
	{ "tap:vm0,mac", E_MAC },
	{ "tap:vm0,mac=02:00:00:00:00", E_MAC },
	{ "tap:vm0,mac=02:00:00:00:00:011", E_MAC },
	{ "tap:vm0,mac=02:00:00:00:00:0g", E_MAC },
	{ "tap:vm0,mac=0200.0000.0001", E_MAC },
	{ "tap:vm0,mac=01:00:5e:00:00:01", E_MAC },	/* multicast */
	{ "tap:vm0,mac=ff:ff:ff:ff:ff:ff", E_MAC },
	{ "tap:vm0,mac=00:00:00:00:00:00", E_MAC },

	{ "tap:vm0,", E_TAPOPT },
	{ "tap:vm0,,mtu=1500", E_TAPOPT },
	{ "tap:vm0,MTU=1500", E_TAPOPT },
	{ "tap:vm0,mt=1500", E_TAPOPT },
	{ "tap:vm0,mtux=1500", E_TAPOPT },
	{ "tap:vm0,foo=1", E_TAPOPT },
	{ "tap:vm0,=1500", E_TAPOPT },
	{ "tap:vm0,mtu=1500,", E_TAPOPT },

	{ "tap:vm0,mtu=1500,mtu=1400", E_TAPDUP },
	{ "tap:vm0,mtu=1500,mtu=bad", E_TAPDUP },
	{ "tap:vm0,mac=02:00:00:00:00:01,mtu=1500,mac=02:00:00:00:00:02",
	  E_TAPDUP },

	{ "pcap:", E_FILE },

	{ "udp:", E_ADDR },
	{ "udp::4789", E_ADDR },
	{ "udp:198.18.0", E_ADDR },
	{ "udp:198.18.0.256:4789", E_ADDR },
	{ "udp:host.example:4789", E_ADDR },
	{ "udp:2001:db8::1", E_ADDR },		/* IPv6 needs brackets */
	{ "udp:2001:db8::1:4789", E_ADDR },
	{ "udp:[2001:db8::1", E_ADDR },
	{ "udp:[2001:db8::1]4789", E_ADDR },
	{ "udp:[2001:db8::1]]:4789", E_ADDR },
	{ "udp:[198.18.0.1]:4789", E_ADDR },	/* brackets are for IPv6 */
	{ "udp:[]:4789", E_ADDR },
	{ "udp:[fe80::1%eth0]:4789", E_ADDR },
	{ "udp:[1111:2222:3333:4444:5555:6666:7777:8888:9999]", E_ADDR },
	{ "udp: 198.18.0.1:4789", E_ADDR },

	{ "udp:198.18.0.1:", E_PORT },
	{ "udp:198.18.0.1:0", E_PORT },
	{ "udp:198.18.0.1:65536", E_PORT },
	{ "udp:198.18.0.1:47a9", E_PORT },
	{ "udp:198.18.0.1:-1", E_PORT },
	{ "udp:[2001:db8::1]:", E_PORT },
	{ "udp:[2001:db8::1]:0x12b5", E_PORT },
	{ "udp:[2001:db8::1]:4789:1", E_PORT },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_good(const struct good *g)
{
	static const uint8_t zero[6];
	struct vnet_port_spec sp;
	char buf[VNET_ADDRSTRLEN], ebuf[VNET_ERR_STRLEN];
	struct vnet_err e;
	int r;

	memset(&sp, 0xa5, sizeof(sp));
	vnet_err_clear(&e);
	r = vnet_port_parse(g->spec, &sp, &e);
	if (r) {
		T_FAIL("\"%s\": returned %d (%s)", g->spec, r,
		       vnet_err_str(&e, ebuf, sizeof(ebuf)));
		return;
	}
	if (vnet_err_isset(&e))
		T_FAIL("\"%s\": error set on success", g->spec);
	if (sp.kind != g->kind)
		T_FAIL("\"%s\": kind %d, expected %d", g->spec, sp.kind,
		       g->kind);
	if (sp.rfd != (g->fd ? g->rfd : -1) || sp.wfd != (g->fd ? g->wfd : -1))
		T_FAIL("\"%s\": fds %d,%d", g->spec, sp.rfd, sp.wfd);
	if (strcmp(sp.ifname, g->ifname ? g->ifname : ""))
		T_FAIL("\"%s\": ifname \"%.16s\"", g->spec, sp.ifname);
	if (sp.mtu != g->mtu)
		T_FAIL("\"%s\": mtu %u, expected %u", g->spec, sp.mtu, g->mtu);
	if (g->mac) {
		if (!sp.has_mac || strcmp(vnet_mac_fmt(sp.mac, buf), g->mac))
			T_FAIL("\"%s\": mac %d %s", g->spec, sp.has_mac,
			       vnet_mac_fmt(sp.mac, buf));
	} else if (sp.has_mac || memcmp(sp.mac, zero, 6)) {
		T_FAIL("\"%s\": unexpected mac", g->spec);
	}
	if (g->path_at ? sp.path != g->spec + g->path_at : sp.path != NULL)
		T_FAIL("\"%s\": path %p, expected %s+%d", g->spec,
		       (const void *)sp.path, g->spec, g->path_at);
	if (g->addr) {
		if (strcmp(vnet_addr_fmt(&sp.addr, buf), g->addr))
			T_FAIL("\"%s\": addr %s", g->spec, buf);
	} else if (sp.addr.family || !vnet_addr_is_any(&sp.addr)) {
		T_FAIL("\"%s\": unexpected addr", g->spec);
	}
	if (sp.port != g->port)
		T_FAIL("\"%s\": port %u, expected %u", g->spec, sp.port,
		       g->port);
}

static void test_good_specs(void)
{
	size_t i;

	for (i = 0; i < N(goods); i++)
		check_good(&goods[i]);
}

static void test_bad_specs(void)
{
	struct vnet_port_spec sp;
	char want[VNET_ERR_STRLEN], got[VNET_ERR_STRLEN];
	struct vnet_err e;
	size_t i;
	int r;

	for (i = 0; i < N(bads); i++) {
		vnet_err_clear(&e);
		r = vnet_port_parse(bads[i].spec, &sp, &e);
		if (r != -EINVAL)
			T_FAIL("\"%s\": returned %d, expected -EINVAL",
			       bads[i].spec, r);
		else if (!vnet_err_isset(&e) || strcmp(e.msg, bads[i].why))
			T_FAIL("\"%s\": why \"%s\", expected \"%s\"",
			       bads[i].spec, e.msg, bads[i].why);
		/* The spec is quoted as the object of the error. */
		snprintf(want, sizeof(want), "'%s': %s", bads[i].spec,
			 bads[i].why);
		if (r == -EINVAL && strcmp(vnet_err_str(&e, got, sizeof(got)),
					   want))
			T_FAIL("\"%s\": \"%s\", expected \"%s\"", bads[i].spec,
			       got, want);
	}
}

/* A failed parse leaves the caller's spec alone, a good one the error;
 * the error may be NULL. */
static void test_error_leaves_spec(void)
{
	struct vnet_port_spec sp, before;
	struct vnet_err e;

	vnet_err_set(&e, NULL, 0, "untouched");
	T_EQ(vnet_port_parse("tap:vm0,mtu=1400", &sp, &e), 0);
	T_STREQ(e.msg, "untouched");
	before = sp;
	T_EQ(vnet_port_parse("tap:vm1,mtu=1", &sp, &e), -EINVAL);
	T_STREQ(e.msg, E_MTU);
	T_STREQ(e.obj, "'tap:vm1,mtu=1'");
	T_EQ(e.line, 0);
	T_MEMEQ(&sp, &before, sizeof(sp));
	T_EQ(vnet_port_parse("udp:198.18.0.1:0", &sp, NULL), -EINVAL);
	T_MEMEQ(&sp, &before, sizeof(sp));
	T_EQ(vnet_port_parse(NULL, &sp, &e), -EINVAL);
	T_STREQ(e.msg, E_TYPE);
	T_STREQ(e.obj, "");
	T_EQ(vnet_port_parse("fd:3,4", &sp, NULL), 0);
	T_EQ(sp.rfd, 3);
}

int main(void)
{
	T_RUN(test_good_specs);
	T_RUN(test_bad_specs);
	T_RUN(test_error_leaves_spec);
	return T_DONE();
}
