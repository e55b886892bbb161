/* SPDX-License-Identifier: ISC */
/* vnet-bench -- traffic generator, sink and RFC 2544 runs for pipes,
 * chains, taps and overlays. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vnet-bench/bench.h"
#include "vnet/log.h"
#include "vnet/num.h"
#include "vnet/tool.h"

enum {
	OPT_COUNT = 1,
	OPT_DURATION,
	OPT_SIZE,
	OPT_RATE,
	OPT_BURST,
	OPT_FLOWS,
	OPT_VARY,
	OPT_IPV6,
	OPT_PROTO,
	OPT_VLAN,
	OPT_MACS,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_SRC,
	OPT_DST,
	OPT_SPORT,
	OPT_DPORT,
	OPT_STREAM,
	OPT_PORT,
	OPT_JSON,
	OPT_DROP_EVERY,
	OPT_DUP_EVERY,
	OPT_SWAP_EVERY,
	OPT_DELAY,
	OPT_TOLERANCE,
	OPT_TRIAL,
	OPT_MAX_RATE,
	OPT_RESOLUTION,
	OPT_LADDER,
	OPT_BUCKETS,
	OPT_NKEYS
};

static const struct vnet_opt opts[] = {
    VNET_OPT_ROWS_BASIC,
    {.name = "count",
     .letter = 'c',
     .arg = "COUNT",
     .key = OPT_COUNT,
     .help = "stop after COUNT frames"},
    {.name = "duration",
     .letter = 'd',
     .arg = "DURATION",
     .key = OPT_DURATION,
     .help = "stop after DURATION (gen: 10s)"},
    {.name = "size",
     .letter = 's',
     .arg = "SIZES",
     .key = OPT_SIZE,
     .help = "frame sizes, FCS counted: N, N,N,... or imix"},
    {.name = "rate",
     .arg = "RATE",
     .key = OPT_RATE,
     .help = "frames or bits a second: N[k|M|G][pps], N[k|M|G]bps"},
    {.name = "burst",
     .arg = "N",
     .key = OPT_BURST,
     .help = "frames back to back (police: the bucket's depth)"},
    {.name = "flows",
     .letter = 'n',
     .arg = "N",
     .key = OPT_FLOWS,
     .help = "N flows (default 1; entropy: 1000)"},
    {.name = "vary",
     .arg = "FIELDS",
     .key = OPT_VARY,
     .help = "what flows vary: src-ip,dst-ip,src-port,dst-port"},
    {.name = "ipv6", .key = OPT_IPV6, .help = "IPv6, not IPv4"},
    {.name = "proto",
     .arg = "udp|tcp|icmp",
     .key = OPT_PROTO,
     .help = "the transport (default udp)"},
    {.name = "vlan",
     .arg = "VID",
     .key = OPT_VLAN,
     .help = "tag the frames with VLAN VID (the segment)"},
    {.name = "macs",
     .arg = "N",
     .key = OPT_MACS,
     .help = "N source MAC addresses, counting up"},
    {.name = "src-mac",
     .arg = "MAC",
     .key = OPT_SRC_MAC,
     .help = "source MAC (default 02:00:00:00:00:01)"},
    {.name = "dst-mac",
     .arg = "MAC",
     .key = OPT_DST_MAC,
     .help = "destination MAC (default 02:00:00:00:00:02)"},
    {.name = "src",
     .arg = "ADDR",
     .key = OPT_SRC,
     .help = "source address (198.18.0.1, 2001:db8::1)"},
    {.name = "dst",
     .arg = "ADDR",
     .key = OPT_DST,
     .help = "destination address (198.19.0.1, 2001:db8::2)"},
    {.name = "sport",
     .arg = "PORT",
     .key = OPT_SPORT,
     .help = "source port (default 1024)"},
    {.name = "dport",
     .arg = "PORT",
     .key = OPT_DPORT,
     .help = "destination port (default 9)"},
    {.name = "stream",
     .arg = "ID",
     .key = OPT_STREAM,
     .help = "the stream id in the stamps (default 0)"},
    {.name = "port",
     .arg = "PORT",
     .key = OPT_PORT,
     .help = "the port gen writes, sink reads (default -)"},
    {.name = "json", .key = OPT_JSON, .help = "write the results as JSON"},
    {.name = "drop-every",
     .arg = "K",
     .key = OPT_DROP_EVERY,
     .help = "police: drop every K-th frame"},
    {.name = "dup-every",
     .arg = "K",
     .key = OPT_DUP_EVERY,
     .help = "police: send every K-th frame twice"},
    {.name = "swap-every",
     .arg = "K",
     .key = OPT_SWAP_EVERY,
     .help = "police: send every K-th frame after the next"},
    {.name = "delay",
     .arg = "DURATION",
     .key = OPT_DELAY,
     .help = "police: add DURATION to the timestamps"},
    {.name = "tolerance",
     .arg = "PCT",
     .key = OPT_TOLERANCE,
     .help = "rfc2544: the loss a trial may have (default 0)"},
    {.name = "trial",
     .arg = "DURATION",
     .key = OPT_TRIAL,
     .help = "rfc2544: the time of a trial (default 10s)"},
    {.name = "max-rate",
     .arg = "RATE",
     .key = OPT_MAX_RATE,
     .help = "rfc2544: the top of the search (default: flat out)"},
    {.name = "resolution",
     .arg = "PCT",
     .key = OPT_RESOLUTION,
     .help = "rfc2544: the search step, % of the top (default 1)"},
    {.name = "ladder",
     .arg = "PCTS",
     .key = OPT_LADDER,
     .help = "rfc2544: the loads of the loss test (100,90,...,10)"},
    {.name = "buckets",
     .arg = "K",
     .key = OPT_BUCKETS,
     .help = "entropy: K ECMP next hops (default 8)"},
    {.shared = VNET_OPT_FORMAT},
    {.shared = VNET_OPT_FORCE},
    {.shared = VNET_OPT_CLOCK},
    {.shared = VNET_OPT_NO_OFFLOAD},
    {.shared = VNET_OPT_USER},
    {0},
};

static const struct vnet_opt_prog prog = {
    .name = "vnet-bench",
    .opts = opts,
    .operands = "COMMAND [-- CMD [ARG ...]]",
    .notes = "  COMMAND: gen (frames to --port), sink (counts frames of "
	     "--port),\n"
	     "  rfc2544 -- CMD (gen | CMD | sink: throughput, latency, "
	     "loss),\n"
	     "  entropy -- CMD (outer source ports and ECMP balance), "
	     "police (a test\n"
	     "  stage: --rate, --drop-every, --dup-every, --swap-every, "
	     "--delay).\n",
};

static const struct {
	const char *name;
	enum bench_cmd cmd;
} cmds[] = {
    {"gen", CMD_GEN},	      {"sink", CMD_SINK},     {"rfc2544", CMD_RFC2544},
    {"entropy", CMD_ENTROPY}, {"police", CMD_POLICE},
};

#define FRAMES (CMD_GEN | CMD_RFC2544 | CMD_ENTROPY)

/* The commands each option goes with. */
static const unsigned goes[OPT_NKEYS] = {
    [OPT_COUNT] = CMD_GEN | CMD_SINK | CMD_ENTROPY,
    [OPT_DURATION] = CMD_GEN | CMD_SINK,
    [OPT_SIZE] = FRAMES,
    [OPT_RATE] = CMD_GEN | CMD_POLICE,
    [OPT_BURST] = CMD_GEN | CMD_POLICE,
    [OPT_FLOWS] = FRAMES,
    [OPT_VARY] = FRAMES,
    [OPT_IPV6] = FRAMES,
    [OPT_PROTO] = CMD_GEN | CMD_RFC2544,
    [OPT_VLAN] = CMD_GEN | CMD_RFC2544,
    [OPT_MACS] = CMD_GEN,
    [OPT_SRC_MAC] = CMD_GEN,
    [OPT_DST_MAC] = CMD_GEN,
    [OPT_SRC] = CMD_GEN,
    [OPT_DST] = CMD_GEN,
    [OPT_SPORT] = CMD_GEN,
    [OPT_DPORT] = CMD_GEN,
    [OPT_STREAM] = CMD_GEN,
    [OPT_PORT] = CMD_GEN | CMD_SINK,
    [OPT_JSON] = CMD_SINK | CMD_RFC2544 | CMD_ENTROPY,
    [OPT_DROP_EVERY] = CMD_POLICE,
    [OPT_DUP_EVERY] = CMD_POLICE,
    [OPT_SWAP_EVERY] = CMD_POLICE,
    [OPT_DELAY] = CMD_POLICE,
    [OPT_TOLERANCE] = CMD_RFC2544,
    [OPT_TRIAL] = CMD_RFC2544,
    [OPT_MAX_RATE] = CMD_RFC2544,
    [OPT_RESOLUTION] = CMD_RFC2544,
    [OPT_LADDER] = CMD_RFC2544,
    [OPT_BUCKETS] = CMD_ENTROPY,
};

static const unsigned rfc_sizes[] = {64, 128, 256, 512, 1024, 1280, 1518};

/* A rate: N[.N][k|M|G] then nothing or pps (frames), or bps (bits). */
static struct bench_rate parse_rate(const char *opt, const char *arg)
{
	static const struct {
		const char *s;
		double mul;
	} mul[] = {{"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}};
	struct bench_rate r = {0};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno || !(v > 0) || v > 1e12 || *arg == '-' ||
	    *arg == '+' || (*arg != '.' && (*arg < '0' || *arg > '9')))
		goto bad;
	for (i = sizeof(mul) / sizeof(mul[0]); i-- > 0;) {
		size_t n = strlen(mul[i].s);

		if (strncmp(end, mul[i].s, n))
			continue;
		if (!strcmp(end + n, "") || !strcmp(end + n, "pps")) {
			r.pps = v * mul[i].mul;
			return r;
		}
		if (!strcmp(end + n, "bps")) {
			r.bps = v * mul[i].mul;
			return r;
		}
	}
bad:
	vnet_usage_error("%s: bad rate '%s' (N[k|M|G][pps] or N[k|M|G]bps)",
			 opt, arg);
}

static double parse_pct(const char *opt, const char *arg, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v >= min) || v > 100 ||
	    (*arg < '0' || *arg > '9'))
		vnet_usage_error("%s: '%s' is not a percentage (%g-100)", opt,
				 arg, min);
	return v;
}

static void parse_sizes(struct bench_conf *cf, const char *arg)
{
	char buf[512], *tok, *save;
	uint64_t v;

	cf->sizes_arg = arg;
	if (!strcmp(arg, "imix")) {
		cf->imix = 1;
		return;
	}
	if (strlen(arg) >= sizeof(buf))
		vnet_usage_error("--size: list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cf->nsizes == BENCH_MAX_SIZES)
			vnet_usage_error("--size: more than %d sizes",
					 BENCH_MAX_SIZES);
		if (vnet_parse_u64(tok, 64, VNET_TMPL_MAX + VNET_FCS_LEN, &v))
			vnet_usage_error("--size: '%s' is not a size (64-%d, "
					 "or imix)",
					 tok, VNET_TMPL_MAX + VNET_FCS_LEN);
		cf->sizes[cf->nsizes++] = (unsigned)v;
	}
	if (!cf->nsizes || arg[strlen(arg) - 1] == ',' || *arg == ',' ||
	    strstr(arg, ",,"))
		vnet_usage_error("--size: bad list '%s'", arg);
}

static void parse_ladder(struct bench_conf *cf, const char *arg)
{
	char buf[512], *tok, *save;

	if (strlen(arg) >= sizeof(buf) || !*arg ||
	    arg[strlen(arg) - 1] == ',' || *arg == ',' || strstr(arg, ",,"))
		vnet_usage_error("--ladder: bad list '%s'", arg);
	strcpy(buf, arg);
	cf->nladder = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cf->nladder == BENCH_MAX_LADDER)
			vnet_usage_error("--ladder: more than %d loads",
					 BENCH_MAX_LADDER);
		cf->ladder[cf->nladder++] = parse_pct("--ladder", tok, 0.001);
	}
}

static unsigned parse_vary(const char *arg)
{
	static const struct {
		const char *name;
		unsigned bit;
	} f[] = {
	    {"src-ip", VNET_VARY_SRC_IP},
	    {"dst-ip", VNET_VARY_DST_IP},
	    {"src-port", VNET_VARY_SRC_PORT},
	    {"dst-port", VNET_VARY_DST_PORT},
	};
	char buf[128], *tok, *save;
	unsigned bits = 0, i;

	if (strlen(arg) >= sizeof(buf) || !*arg)
		vnet_usage_error("--vary: bad list '%s'", arg);
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (!strcmp(tok, f[i].name))
				break;
		if (i == sizeof(f) / sizeof(f[0]))
			vnet_usage_error("--vary: unknown field '%s' (src-ip, "
					 "dst-ip, src-port, dst-port)",
					 tok);
		bits |= f[i].bit;
	}
	return bits;
}

static void parse_mac(const char *opt, const char *arg, uint8_t mac[6])
{
	if (vnet_mac_parse(arg, mac))
		vnet_usage_error("%s: bad MAC address '%s'", opt, arg);
}

static void parse_addr(const char *opt, const char *arg, struct vnet_addr *a)
{
	if (vnet_addr_parse(arg, a))
		vnet_usage_error("%s: bad address '%s'", opt, arg);
}

static const char *opt_name(int key)
{
	for (const struct vnet_opt *o = opts; o->name || o->shared; o++)
		if (!o->shared && o->key == key)
			return o->name;
	return "?";
}

static void defaults(struct bench_conf *cf)
{
	struct vnet_tmpl_conf *t = &cf->t;

	cf->port_arg = "-";
	t->family = AF_INET;
	t->proto = IPPROTO_UDP;
	t->nflows = 1;
	t->nmacs = 1;
	t->sport = 1024;
	t->dport = 9;
	vnet_mac_parse("02:00:00:00:00:01", t->src_mac);
	vnet_mac_parse("02:00:00:00:00:02", t->dst_mac);
	cf->resolution = 1;
	cf->trial_ns = 10ULL * 1000000000;
	cf->buckets = 8;
	for (unsigned i = 0; i < 10; i++)
		cf->ladder[i] = 100 - 10.0 * i;
	cf->nladder = 10;
	cf->self = "/proc/self/exe";
}

/* The command line into cf; a usage error exits 2. */
static void parse_args(int argc, char **argv, struct bench_conf *cf)
{
	struct vnet_addr src = {0}, dst = {0};
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	uint64_t given = 0;
	const char *arg;
	unsigned i;
	int c;

	defaults(cf);
	vnet_opt_begin(&prog, &cf->o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		given |= UINT64_C(1) << c;
		switch (c) {
		case OPT_COUNT:
			cf->count = vnet_opt_u64("--count", arg, 1, UINT64_MAX);
			break;
		case OPT_DURATION:
			cf->duration_ns = vnet_opt_duration("--duration", arg);
			if (!cf->duration_ns)
				vnet_usage_error("--duration: must be above 0");
			break;
		case OPT_SIZE:
			parse_sizes(cf, arg);
			break;
		case OPT_RATE:
			cf->rate = parse_rate("--rate", arg);
			break;
		case OPT_BURST:
			cf->burst = vnet_opt_u64("--burst", arg, 1, 1000000);
			break;
		case OPT_FLOWS:
			cf->t.nflows =
			    (uint32_t)vnet_opt_u64("--flows", arg, 1, 1u << 24);
			break;
		case OPT_VARY:
			cf->vary_arg = arg;
			cf->t.vary = parse_vary(arg);
			break;
		case OPT_IPV6:
			cf->t.family = AF_INET6;
			break;
		case OPT_PROTO:
			cf->proto_arg = arg;
			if (!strcmp(arg, "udp"))
				cf->t.proto = IPPROTO_UDP;
			else if (!strcmp(arg, "tcp"))
				cf->t.proto = IPPROTO_TCP;
			else if (!strcmp(arg, "icmp"))
				cf->t.proto = IPPROTO_ICMP;
			else
				vnet_usage_error("--proto: '%s' is not udp, "
						 "tcp or icmp",
						 arg);
			break;
		case OPT_VLAN:
			cf->t.has_vlan = 1;
			cf->t.vlan =
			    (uint16_t)vnet_opt_u64("--vlan", arg, 1, 4094);
			break;
		case OPT_MACS:
			cf->t.nmacs =
			    (uint32_t)vnet_opt_u64("--macs", arg, 1, 1u << 24);
			break;
		case OPT_SRC_MAC:
			parse_mac("--src-mac", arg, cf->t.src_mac);
			break;
		case OPT_DST_MAC:
			parse_mac("--dst-mac", arg, cf->t.dst_mac);
			break;
		case OPT_SRC:
			parse_addr("--src", arg, &src);
			break;
		case OPT_DST:
			parse_addr("--dst", arg, &dst);
			break;
		case OPT_SPORT:
			cf->t.sport =
			    (uint16_t)vnet_opt_u64("--sport", arg, 0, 65535);
			break;
		case OPT_DPORT:
			cf->t.dport =
			    (uint16_t)vnet_opt_u64("--dport", arg, 0, 65535);
			break;
		case OPT_STREAM:
			cf->t.stream =
			    (uint16_t)vnet_opt_u64("--stream", arg, 0, 65535);
			break;
		case OPT_PORT:
			cf->port_arg = arg;
			break;
		case OPT_JSON:
			cf->json = 1;
			break;
		case OPT_DROP_EVERY:
			cf->drop_every =
			    vnet_opt_u64("--drop-every", arg, 1, UINT64_MAX);
			break;
		case OPT_DUP_EVERY:
			cf->dup_every =
			    vnet_opt_u64("--dup-every", arg, 1, UINT64_MAX);
			break;
		case OPT_SWAP_EVERY:
			cf->swap_every =
			    vnet_opt_u64("--swap-every", arg, 1, UINT64_MAX);
			break;
		case OPT_DELAY:
			cf->delay_ns = vnet_opt_duration("--delay", arg);
			break;
		case OPT_TOLERANCE:
			cf->tolerance = parse_pct("--tolerance", arg, 0);
			break;
		case OPT_TRIAL:
			cf->trial_ns = vnet_opt_duration("--trial", arg);
			if (cf->trial_ns < 10000000)
				vnet_usage_error("--trial: '%s' is below 10ms",
						 arg);
			break;
		case OPT_MAX_RATE: {
			struct bench_rate r = parse_rate("--max-rate", arg);

			if (!(r.pps > 0))
				vnet_usage_error("--max-rate: give frames a "
						 "second ('%s')",
						 arg);
			cf->max_rate = r.pps;
			break;
		}
		case OPT_RESOLUTION:
			cf->resolution = parse_pct("--resolution", arg, 0.001);
			break;
		case OPT_LADDER:
			parse_ladder(cf, arg);
			break;
		case OPT_BUCKETS:
			cf->buckets =
			    (unsigned)vnet_opt_u64("--buckets", arg, 1, 65536);
			break;
		}
	}
	if (optind == argc)
		vnet_usage_error("no COMMAND given (gen, sink, rfc2544, "
				 "entropy, police)");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			cf->cmd = cmds[i].cmd;
	if (!cf->cmd)
		vnet_usage_error("unknown COMMAND '%s' (gen, sink, rfc2544, "
				 "entropy, police)",
				 argv[optind]);
	for (c = 1; c < OPT_NKEYS; c++)
		if (((given >> c) & 1) && !(goes[c] & cf->cmd))
			vnet_usage_error("--%s does not go with %s",
					 opt_name(c), argv[optind]);
	optind++;
	if (cf->cmd & (CMD_RFC2544 | CMD_ENTROPY)) {
		if (optind == argc)
			vnet_usage_error("%s: no command given (%s -- CMD "
					 "[ARG ...])",
					 argv[optind - 1], argv[optind - 1]);
		cf->argv = argv + optind;
	} else if (optind < argc) {
		vnet_usage_error("%s takes no operand ('%s')", argv[optind - 1],
				 argv[optind]);
	}

	/* The frames. */
	if (src.family && dst.family && src.family != dst.family)
		vnet_usage_error("--src and --dst are of two families");
	if ((src.family == AF_INET6 || dst.family == AF_INET6))
		cf->t.family = AF_INET6;
	if ((src.family == AF_INET || dst.family == AF_INET) &&
	    cf->t.family == AF_INET6)
		vnet_usage_error("--ipv6 takes IPv6 addresses");
	if (!src.family)
		vnet_addr_parse(cf->t.family == AF_INET6 ? "2001:db8::1"
							 : "198.18.0.1",
				&src);
	if (!dst.family)
		vnet_addr_parse(cf->t.family == AF_INET6 ? "2001:db8::2"
							 : "198.19.0.1",
				&dst);
	cf->t.src = src;
	cf->t.dst = dst;
	if (cf->t.nflows > 1 && !cf->t.vary)
		cf->t.vary = VNET_VARY_SRC_PORT;
	if (cf->cmd == CMD_ENTROPY && !((given >> OPT_FLOWS) & 1))
		cf->t.nflows = 1000;
	if (cf->t.proto == IPPROTO_ICMP &&
	    (cf->t.vary & (VNET_VARY_SRC_PORT | VNET_VARY_DST_PORT)))
		vnet_usage_error("--vary: ICMP has no ports");
	if (!cf->nsizes && !cf->imix) {
		if (cf->cmd == CMD_RFC2544) {
			memcpy(cf->sizes, rfc_sizes, sizeof(rfc_sizes));
			cf->nsizes = sizeof(rfc_sizes) / sizeof(rfc_sizes[0]);
		} else {
			cf->sizes[0] = cf->cmd == CMD_ENTROPY ? 128 : 64;
			cf->nsizes = 1;
		}
	}
	if (cf->imix && cf->cmd != CMD_GEN)
		vnet_usage_error("--size imix: %s measures one size at a time",
				 argv[optind - 1]);
	for (i = 0; i < cf->nsizes; i++)
		if (cf->sizes[i] < vnet_tmpl_min_size(&cf->t))
			vnet_usage_error("--size: %u is too small for these "
					 "frames (at least %u)",
					 cf->sizes[i],
					 vnet_tmpl_min_size(&cf->t));
	if (cf->imix && 64 < vnet_tmpl_min_size(&cf->t))
		vnet_usage_error("--size imix: 64 is too small for these "
				 "frames (at least %u)",
				 vnet_tmpl_min_size(&cf->t));
	if (!cf->burst)
		cf->burst = cf->cmd == CMD_POLICE ? 32 : 1;
	if (cf->cmd == CMD_POLICE && cf->rate.bps > 0)
		vnet_usage_error("police: --rate in frames a second");
	if (cf->cmd == CMD_GEN && !cf->count && !cf->duration_ns)
		cf->duration_ns = 10ULL * 1000000000;

	/* The port. */
	if (vnet_port_parse(cf->port_arg, &cf->port, &err))
		vnet_usage_error("--port: %s",
				 vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->port.kind == VNET_PORT_UDP)
		vnet_usage_error(
		    "--port %s: gen and sink take frames: a "
		    "stream, a capture file or a tap (an underlay: "
		    "through vnet-encap)",
		    cf->port_arg);
	if (cf->cmd == CMD_GEN && !cf->o.force &&
	    vnet_port_check_tty(&cf->port, 0, &err) < 0)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->cmd == CMD_POLICE && !cf->o.force &&
	    vnet_port_check_tty(
		&(struct vnet_port_spec){.kind = VNET_PORT_STDIO}, 0, &err) < 0)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
}

int main(int argc, char **argv)
{
	static struct bench_conf cf;

	parse_args(argc, argv, &cf);
	switch (cf.cmd) {
	case CMD_GEN:
		return bench_gen(&cf);
	case CMD_SINK:
		return bench_sink(&cf);
	case CMD_RFC2544:
		return bench_rfc2544(&cf);
	case CMD_ENTROPY:
		return bench_entropy(&cf);
	case CMD_POLICE:
		return bench_police(&cf);
	}
	return 1;
}
