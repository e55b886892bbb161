/* SPDX-License-Identifier: ISC */
/* portspec.c -- parse a port spec (DESIGN.md section 3) into its fields. */
#include <errno.h>
#include <string.h>

#include "vnet/addr.h"
#include "vnet/num.h"
#include "vnet/pkt.h"
#include "vnet/port.h"
#include "vnet/tap.h"

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

/* The tun driver's range for a tap: ETH_MIN_MTU (68, the IPv4 minimum of
 * RFC 791) to its MAX_MTU 65535 less the 14-byte Ethernet header. */
#define TAP_MTU_MIN 68
#define TAP_MTU_MAX 65521

/* Numbers in specs are plain decimal: digits only, no sign, no 0x, and a
 * leading 0 does not mean octal (vnet_parse_u64 alone would read "010" as
 * 8).  s need not be NUL-terminated.  0 or -EINVAL/-ERANGE. */
static int parse_dec(const char *s, size_t len, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char buf[24];
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	while (len > 1 && *s == '0') {
		s++;
		len--;
	}
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return vnet_parse_u64(buf, min, max, out);
}

static int parse_fd(const char *arg, struct vnet_port_spec *sp,
		    const char **why)
{
	const char *comma = strchr(arg, ',');
	uint64_t r, w;

	if (!comma || parse_dec(arg, (size_t)(comma - arg), 0, 65535, &r) ||
	    parse_dec(comma + 1, strlen(comma + 1), 0, 65535, &w)) {
		*why = E_FD;
		return -EINVAL;
	}
	sp->rfd = (int)r;
	sp->wfd = (int)w;
	return 0;
}

static int tap_set_mtu(const char *v, size_t len, struct vnet_port_spec *sp)
{
	uint64_t mtu;

	if (parse_dec(v, len, TAP_MTU_MIN, TAP_MTU_MAX, &mtu))
		return -EINVAL;
	sp->mtu = (unsigned)mtu;
	return 0;
}

/* The kernel refuses a multicast or all-zero MAC for an Ethernet device
 * (EADDRNOTAVAIL); say so here, where the user can still see the spec. */
static int tap_set_mac(const char *v, size_t len, struct vnet_port_spec *sp)
{
	char buf[VNET_MACSTRLEN];
	uint8_t mac[6];

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (vnet_mac_parse(buf, mac) || vnet_mac_is_multicast(mac) ||
	    vnet_mac_is_zero(mac))
		return -EINVAL;
	memcpy(sp->mac, mac, 6);
	sp->has_mac = 1;
	return 0;
}

static const struct tap_opt {
	const char *key;
	int (*set)(const char *v, size_t len, struct vnet_port_spec *sp);
	const char *why;
} tap_opts[] = {
	{ .key = "mtu", .set = tap_set_mtu, .why = E_MTU },
	{ .key = "mac", .set = tap_set_mac, .why = E_MAC },
};

#define N_TAP_OPTS (sizeof(tap_opts) / sizeof(tap_opts[0]))

static int parse_tap(const char *arg, struct vnet_port_spec *sp,
		     const char **why)
{
	size_t n = strcspn(arg, ","), klen, vlen, i;
	const char *p = arg + n, *key, *val, *eq;
	unsigned seen = 0;

	if (!vnet_tap_name_valid(arg, n)) {
		*why = E_TAPNAME;
		return -EINVAL;
	}
	memcpy(sp->ifname, arg, n);
	sp->ifname[n] = '\0';
	while (*p == ',') {
		key = p + 1;
		n = strcspn(key, ",");
		p = key + n;
		/* "mtu" alone is a recognised key with an empty value */
		eq = memchr(key, '=', n);
		klen = eq ? (size_t)(eq - key) : n;
		val = eq ? eq + 1 : p;
		vlen = (size_t)(p - val);
		for (i = 0; i < N_TAP_OPTS; i++)
			if (strlen(tap_opts[i].key) == klen &&
			    !memcmp(tap_opts[i].key, key, klen))
				break;
		if (i == N_TAP_OPTS) {
			*why = E_TAPOPT;
			return -EINVAL;
		}
		if (seen & 1u << i) {
			*why = E_TAPDUP;
			return -EINVAL;
		}
		seen |= 1u << i;
		if (tap_opts[i].set(val, vlen, sp)) {
			*why = tap_opts[i].why;
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_pcap(const char *arg, struct vnet_port_spec *sp,
		      const char **why)
{
	if (!*arg) {
		*why = E_FILE;
		return -EINVAL;
	}
	sp->path = arg;
	return 0;
}

/* ADDR[:PORT] with an IPv4 ADDR, or [ADDR][:PORT] with an IPv6 one.  An
 * IPv6 address without brackets is refused rather than guessed at:
 * in "2001:db8::1:4789" the port cannot be told from the address. */
static int parse_udp(const char *arg, struct vnet_port_spec *sp,
		     const char **why)
{
	char buf[VNET_ADDRSTRLEN];
	const char *host = arg, *rest;
	struct vnet_addr a;
	uint64_t port = 0;
	size_t hlen;
	int family;

	if (*arg == '[') {
		host = arg + 1;
		rest = strchr(host, ']');
		if (!rest)
			goto bad_addr;
		hlen = (size_t)(rest - host);
		rest++;
		family = AF_INET6;
	} else {
		hlen = strcspn(host, ":");
		rest = host + hlen;
		if (*rest && strchr(rest + 1, ':'))
			goto bad_addr;
		family = AF_INET;
	}
	if (hlen >= sizeof(buf))
		goto bad_addr;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (vnet_addr_parse(buf, &a) || a.family != family)
		goto bad_addr;
	if (*rest && *rest != ':')
		goto bad_addr;
	if (*rest && parse_dec(rest + 1, strlen(rest + 1), 1, 65535, &port)) {
		*why = E_PORT;
		return -EINVAL;
	}
	sp->addr = a;
	sp->port = (uint16_t)port;
	return 0;
bad_addr:
	*why = E_ADDR;
	return -EINVAL;
}

static const struct port_kind {
	const char *prefix;
	enum vnet_port_kind kind;
	int (*parse)(const char *arg, struct vnet_port_spec *sp,
		     const char **why);
} port_kinds[] = {
	{ .prefix = "fd:", .kind = VNET_PORT_FD, .parse = parse_fd },
	{ .prefix = "tap:", .kind = VNET_PORT_TAP, .parse = parse_tap },
	{ .prefix = "pcap:", .kind = VNET_PORT_PCAP, .parse = parse_pcap },
	{ .prefix = "udp:", .kind = VNET_PORT_UDP, .parse = parse_udp },
};

/* Fills e with the phrase why about spec s, quoted. */
static int bad_spec(struct vnet_err *e, const char *s, const char *why)
{
	vnet_err_set(e, NULL, 0, "%s", why);
	if (s)
		vnet_err_prefix(e, "'%s'", s);
	return -EINVAL;
}

/* *sp and *e are written only on success and on failure respectively,
 * so a caller can try a spec without losing what it had. */
int vnet_port_parse(const char *s, struct vnet_port_spec *sp,
		    struct vnet_err *e)
{
	struct vnet_port_spec t;
	const char *why;
	size_t i, n;

	memset(&t, 0, sizeof(t));
	t.rfd = -1;
	t.wfd = -1;
	if (!s)
		return bad_spec(e, s, E_TYPE);
	if (!strcmp(s, "-")) {
		t.kind = VNET_PORT_STDIO;
		*sp = t;
		return 0;
	}
	for (i = 0; i < sizeof(port_kinds) / sizeof(port_kinds[0]); i++) {
		n = strlen(port_kinds[i].prefix);
		if (strncmp(s, port_kinds[i].prefix, n))
			continue;
		t.kind = port_kinds[i].kind;
		if (port_kinds[i].parse(s + n, &t, &why))
			return bad_spec(e, s, why);
		*sp = t;
		return 0;
	}
	return bad_spec(e, s, E_TYPE);
}

const char *vnet_port_framing(const struct vnet_port_spec *sp,
			      enum vnet_stream_fmt fmt)
{
	switch (sp->kind) {
	case VNET_PORT_TAP:
		return "tap";
	case VNET_PORT_UDP:
		return "udp";
	case VNET_PORT_PCAP:
		return "pcap-file";
	default:
		return vnet_stream_fmt_name(fmt);
	}
}

unsigned vnet_port_max_mtu(const struct vnet_port_spec *sp,
			   enum vnet_stream_fmt fmt)
{
	if ((sp->kind == VNET_PORT_STDIO || sp->kind == VNET_PORT_FD) &&
	    fmt == VNET_FMT_VDE)
		return VNET_VDE_FRAME_MAX - VNET_ETH_HLEN;
	if (sp->kind == VNET_PORT_TAP || sp->kind == VNET_PORT_UDP)
		return 65535;
	return VNET_FRAME_MAX - VNET_ETH_HLEN;
}
