/* SPDX-License-Identifier: ISC */
/* vnet-encap -- the VXLAN VTEP: inner frames <-> an underlay. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/num.h"
#include "vnet/pkt.h"
#include "vnet/port.h"
#include "vnet/sig.h"
#include "vnet/tool.h"
#include "vnet/vxlan.h"
#include "vtep.h"

static const char usage[] =
	"usage: vnet-encap [-hVv] [-i INNER] [-o OUTER] [--vni N] [--map VLAN:VNI]...\n"
	"                  [-r ADDR]... [--local ADDR] [--local-mac MAC]\n"
	"                  [--dstport N] [--srcport-range LO-HI] [--ttl N] [--tos N]\n"
	"                  [--mtu N] [--fdb FILE] [--fdb-max N] [--fdb-ageing DURATION]\n"
	"                  [--no-learn] [--fdb-dump FILE] [--strict] [-F FORMAT]\n"
	"                  [--clock live|pcap] [--stats] [--no-offload] [-u USER]\n"
	"                  [--dir egress|ingress]\n"
	"  INNER: - | fd:R,W | pcap:FILE | tap:NAME[,mtu=N][,mac=M]   (default -)\n"
	"  OUTER: udp:ADDR[:PORT] | - | fd:R,W | pcap:FILE           (default -)\n";

enum {
	OPT_VNI = 256,
	OPT_MAP,
	OPT_LOCAL,
	OPT_LOCAL_MAC,
	OPT_DSTPORT,
	OPT_SRCPORT,
	OPT_TTL,
	OPT_TOS,
	OPT_MTU,
	OPT_FDB,
	OPT_FDB_MAX,
	OPT_FDB_AGEING,
	OPT_NO_LEARN,
	OPT_FDB_DUMP,
	OPT_STRICT,
	OPT_CLOCK,
	OPT_STATS,
	OPT_NO_OFFLOAD,
	OPT_DIR,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "inner", required_argument, NULL, 'i' },
	{ "outer", required_argument, NULL, 'o' },
	{ "vni", required_argument, NULL, OPT_VNI },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "remote", required_argument, NULL, 'r' },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "local-mac", required_argument, NULL, OPT_LOCAL_MAC },
	{ "dstport", required_argument, NULL, OPT_DSTPORT },
	{ "srcport-range", required_argument, NULL, OPT_SRCPORT },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "tos", required_argument, NULL, OPT_TOS },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "fdb", required_argument, NULL, OPT_FDB },
	{ "fdb-max", required_argument, NULL, OPT_FDB_MAX },
	{ "fdb-ageing", required_argument, NULL, OPT_FDB_AGEING },
	{ "no-learn", no_argument, NULL, OPT_NO_LEARN },
	{ "fdb-dump", required_argument, NULL, OPT_FDB_DUMP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "format", required_argument, NULL, 'F' },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "user", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_REMOTES 64

struct conf {
	const char *inner, *outer, *fdb_file, *fdb_dump, *user;
	struct vnet_addr remotes[MAX_REMOTES];
	unsigned nremotes;
	uint32_t fdb_max;
	uint64_t ageing_ns;
	int stats, has_local, has_local_mac, no_offload;
	int ingress; /* one-way filter direction: 0 egress, 1 ingress */
	enum vnet_stream_fmt fmt;
};

static int map_cmp(const void *a, const void *b)
{
	const struct vtep_map *x = a, *y = b;

	return x->vni < y->vni ? -1 : x->vni > y->vni;
}

static void parse_map(struct vtep *v, const char *arg)
{
	char buf[64], *colon;
	uint64_t vlan, vni;
	struct vtep_map *m;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (!(colon = strchr(buf, ':')))
		vnet_usage_error("--map: '%s' is not VLAN:VNI", arg);
	*colon = '\0';
	vlan = vnet_opt_u64("--map VLAN", buf, 1, 4094);
	vni = vnet_opt_u64("--map VNI", colon + 1, 0, VNET_VNI_MAX);
	if (v->vlan_vni[vlan] != VTEP_NO_VNI)
		vnet_usage_error("--map: VLAN %llu mapped twice",
				 (unsigned long long)vlan);
	if (!(m = realloc(v->maps, (v->nmaps + 1) * sizeof(*m))))
		vnet_config_error("out of memory");
	v->maps = m;
	v->maps[v->nmaps].vni = (uint32_t)vni;
	v->maps[v->nmaps].vlan = (uint16_t)vlan;
	v->nmaps++;
	v->vlan_vni[vlan] = (uint32_t)vni;
}

/* Static entries and flood list of a fresh table: --remote and --fdb. */
static int load_static(const struct conf *cf, struct vnet_fdb *fdb, char *err,
		       size_t errlen)
{
	unsigned i;
	int r;

	for (i = 0; i < cf->nremotes; i++)
		if ((r = vnet_fdb_flood_add(fdb, VNET_VNI_ANY,
					    &cf->remotes[i])) < 0) {
			snprintf(err, errlen, "--remote: %s", strerror(-r));
			return r;
		}
	if (cf->fdb_file)
		return vnet_fdb_load(fdb, cf->fdb_file, err, errlen);
	return 0;
}

static void reload(const struct conf *cf, struct vtep *v)
{
	struct vnet_fdb *fresh;
	char err[512];
	int r;

	if (!cf->fdb_file) {
		vnet_log(VNET_LOG_INFO, "SIGHUP: no --fdb file to reload");
		return;
	}
	if (!(fresh = vnet_fdb_new(cf->fdb_max, cf->ageing_ns))) {
		vnet_log(VNET_LOG_ERR, "reload: %s", strerror(errno));
		return;
	}
	if ((r = load_static(cf, fresh, err, sizeof(err))) < 0)
		vnet_log(VNET_LOG_ERR, "reload refused, old FDB kept: %s", err);
	else if ((r = vnet_fdb_replace_static(v->fdb, fresh)) < 0)
		vnet_log(VNET_LOG_ERR, "reload refused, old FDB kept: %s",
			 strerror(-r));
	else
		vnet_log(VNET_LOG_INFO, "reloaded %s", cf->fdb_file);
	vnet_fdb_free(fresh);
}

/* Write the FDB to path atomically: a reader never sees half a table. */
static void dump_fdb(const struct conf *cf, struct vtep *v)
{
	char tmp[4096];
	FILE *f;

	if (!cf->fdb_dump)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cf->fdb_dump, (long)getpid());
	if (!(f = fopen(tmp, "w"))) {
		vnet_log(VNET_LOG_ERR, "fdb dump %s: %s", tmp, strerror(errno));
		return;
	}
	vnet_fdb_dump(v->fdb, f, vnet_clock_now());
	if (fclose(f) || rename(tmp, cf->fdb_dump)) {
		vnet_log(VNET_LOG_ERR, "fdb dump %s: %s", cf->fdb_dump,
			 strerror(errno));
		unlink(tmp);
	}
}

static void print_counters(struct vtep *v)
{
	vtep_sync_counters(v);
	vnet_counters_print(stderr, NULL, v->ctr, C_MAX);
}

/* The frame loop (lib/loop.c): its sources and what they need. */
struct run {
	struct vtep *v;
	const struct conf *cf;
};

/* A little FDB ageing after every batch; the whole sweep is a timer. */
static void age_some(struct vtep *v)
{
	vnet_fdb_age(v->fdb, vnet_clock_now(), 256);
}

/* inner -> outer */
static int on_inner(void *arg, struct vnet_port *p, struct vnet_frame *f,
		    unsigned n)
{
	struct run *ru = arg;
	int r;

	(void)p;
	r = vtep_encap(ru->v, f, n);
	if (r >= 0)
		r = vtep_flush_outer(ru->v);
	if (r < 0 && r != -EPIPE && r != -ECANCELED)
		vnet_log(VNET_LOG_ERR, "outer %s: %s", ru->cf->outer,
			 strerror(-r));
	age_some(ru->v);
	return r;
}

/* outer -> inner, from a frame-stream underlay */
static int on_outer(void *arg, struct vnet_port *p, struct vnet_frame *f,
		    unsigned n)
{
	struct run *ru = arg;
	int r;

	(void)p;
	r = vtep_decap_frames(ru->v, f, n);
	if (r < 0 && r != -EPIPE && r != -ECANCELED)
		vnet_log(VNET_LOG_ERR, "inner %s: %s", ru->cf->inner,
			 strerror(-r));
	age_some(ru->v);
	return r;
}

/* outer -> inner, from the UDP underlay: one recvmmsg batch */
static int on_udp(void *arg, int fd, short revents)
{
	struct run *ru = arg;
	int n;

	(void)fd;
	(void)revents;
	n = vtep_recv_udp(ru->v);
	if (n < 0 && n != -EPIPE && n != -ECANCELED)
		vnet_log(VNET_LOG_ERR, "outer %s: %s", ru->cf->outer,
			 strerror(-n));
	age_some(ru->v);
	return n < 0 ? n : n == VTEP_BATCH;
}

/* The whole sweep, once a second by the one clock, so that an idle VTEP
 * still forgets. */
static int on_sweep(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct run *ru = arg;

	vnet_fdb_age(ru->v->fdb, now, 0);
	vnet_loop_timer_set(t, now + 1000000000ULL);
	return 0;
}

static void on_signal(void *arg, int sig)
{
	struct run *ru = arg;

	if (sig & VNET_SIG_HUP)
		reload(ru->cf, ru->v);
	if (sig & VNET_SIG_USR1) {
		print_counters(ru->v);
		dump_fdb(ru->cf, ru->v);
	}
}

/* Forward until the streams end, a stop signal or an error: 0 or -errno
 * (logged).  Streams end; taps and sockets do not. */
static int run_loop(struct vtep *v, const struct conf *cf)
{
	struct run ru = { .v = v, .cf = cf };
	struct vnet_loop_timer *sweep;
	struct vnet_loop *l;
	char label[2][160];
	int r = -ENOMEM;

	if (!(l = vnet_loop_new()))
		goto out;
	snprintf(label[0], sizeof(label[0]), "inner %s", cf->inner);
	snprintf(label[1], sizeof(label[1]), "outer %s", cf->outer);
	if ((r = vnet_loop_add_port(l, v->inner,
				    VNET_LOOP_READ | VNET_LOOP_WRITE,
				    label[0], on_inner, &ru)) < 0)
		goto out;
	if (v->outer)
		r = vnet_loop_add_port(l, v->outer,
				       VNET_LOOP_READ | VNET_LOOP_WRITE,
				       label[1], on_outer, &ru);
	else
		r = vnet_loop_add_fd(l, v->rx_sock, POLLIN, on_udp, &ru);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (!(sweep = vnet_loop_timer_add(l, 0, on_sweep, &ru)))
		goto out;
	vnet_loop_timer_set(sweep, 1000000000ULL); /* as if swept at 0 */
	vnet_loop_on_signal(l, on_signal, &ru);
	r = vnet_loop_run(l);
	vnet_loop_free(l);
	return r;
out:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(l);
	return r;
}

int main(int argc, char **argv)
{
	static struct vtep vt; /* large: transmit queue and header slots */
	struct vtep *v = &vt;
	struct conf cf = {
		.inner = "-",
		.outer = "-",
		.fdb_max = 65536,
		.ageing_ns = 300 * 1000000000ULL,
		.fmt = VNET_FMT_PCAP,
	};
	struct vnet_port_spec isp, osp;
	enum vnet_clock_mode clk = VNET_CLOCK_LIVE;
	int verbose = VNET_LOG_WARN, c, r, ret = 1, oneway;
	unsigned seen = 0, tapmtu;
	uint64_t lo, hi;
	const char *why, *what;
	char err[512];
	size_t i;

	vnet_log_init("vnet-encap", VNET_LOG_WARN);
	vnet_tool_set_usage(usage);
	vtep_init_counters(v);
	v->vni = VTEP_NO_VNI;
	for (i = 0; i < 4096; i++)
		v->vlan_vni[i] = VTEP_NO_VNI;
	v->dstport = VNET_VXLAN_PORT;
	v->sport_lo = 49152;
	v->sport_hi = 65535;
	v->ttl = 64;
	v->mtu = 1500;
	v->learn = 1;
	v->rx_sock = v->tx_sock = -1;

	while ((c = getopt_long(argc, argv, "hVvi:o:r:F:u:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			vnet_print_version();
		case 'v':
			verbose++;
			break;
		case 'i':
			vnet_opt_once(&seen, 1u << 0, "-i/--inner");
			cf.inner = optarg;
			break;
		case 'o':
			vnet_opt_once(&seen, 1u << 1, "-o/--outer");
			cf.outer = optarg;
			break;
		case OPT_VNI:
			vnet_opt_once(&seen, 1u << 2, "--vni");
			v->vni = (uint32_t)vnet_opt_u64("--vni", optarg, 0,
							 VNET_VNI_MAX);
			break;
		case OPT_MAP:
			parse_map(v, optarg);
			break;
		case 'r':
			if (cf.nremotes == MAX_REMOTES)
				vnet_usage_error("--remote: more than %d given",
						 MAX_REMOTES);
			if (vnet_addr_parse(optarg, &cf.remotes[cf.nremotes]))
				vnet_usage_error("--remote: bad address '%s'",
						 optarg);
			cf.nremotes++;
			break;
		case OPT_LOCAL:
			vnet_opt_once(&seen, 1u << 3, "--local");
			if (vnet_addr_parse(optarg, &v->local))
				vnet_usage_error("--local: bad address '%s'",
						 optarg);
			cf.has_local = 1;
			break;
		case OPT_LOCAL_MAC:
			vnet_opt_once(&seen, 1u << 4, "--local-mac");
			if (vnet_mac_parse(optarg, v->local_mac))
				vnet_usage_error("--local-mac: bad MAC '%s'",
						 optarg);
			cf.has_local_mac = 1;
			break;
		case OPT_DSTPORT:
			vnet_opt_once(&seen, 1u << 5, "--dstport");
			v->dstport = (uint16_t)vnet_opt_u64("--dstport", optarg,
							    1, 65535);
			break;
		case OPT_SRCPORT:
			vnet_opt_once(&seen, 1u << 6, "--srcport-range");
			if (vnet_parse_range(optarg, 1, 65535, &lo, &hi))
				vnet_usage_error("--srcport-range: '%s' is not "
						 "LO-HI within 1-65535", optarg);
			v->sport_lo = (uint16_t)lo;
			v->sport_hi = (uint16_t)hi;
			break;
		case OPT_TTL:
			vnet_opt_once(&seen, 1u << 7, "--ttl");
			v->ttl = (uint8_t)vnet_opt_u64("--ttl", optarg, 1, 255);
			break;
		case OPT_TOS:
			vnet_opt_once(&seen, 1u << 8, "--tos");
			v->tos = (uint8_t)vnet_opt_u64("--tos", optarg, 0, 255);
			break;
		case OPT_MTU:
			vnet_opt_once(&seen, 1u << 9, "--mtu");
			v->mtu = (unsigned)vnet_opt_u64("--mtu", optarg, 128,
							65535);
			break;
		case OPT_FDB:
			vnet_opt_once(&seen, 1u << 10, "--fdb");
			cf.fdb_file = optarg;
			break;
		case OPT_FDB_MAX:
			vnet_opt_once(&seen, 1u << 11, "--fdb-max");
			cf.fdb_max = (uint32_t)vnet_opt_u64("--fdb-max", optarg,
							    1, 1u << 24);
			break;
		case OPT_FDB_AGEING:
			vnet_opt_once(&seen, 1u << 12, "--fdb-ageing");
			cf.ageing_ns = vnet_opt_duration("--fdb-ageing", optarg);
			break;
		case OPT_NO_LEARN:
			v->learn = 0;
			break;
		case OPT_FDB_DUMP:
			vnet_opt_once(&seen, 1u << 13, "--fdb-dump");
			cf.fdb_dump = optarg;
			break;
		case OPT_STRICT:
			v->strict = 1;
			break;
		case 'F':
			vnet_opt_once(&seen, 1u << 14, "-F/--format");
			if (vnet_stream_fmt_parse(optarg, &cf.fmt))
				vnet_usage_error("--format: unknown format '%s' "
						 "(pcap, pcap-ns or vde)", optarg);
			break;
		case OPT_CLOCK:
			vnet_opt_once(&seen, 32768u, "--clock");
			if (vnet_clock_parse(optarg, &clk))
				vnet_usage_error("--clock: '%s' is not live or pcap",
						 optarg);
			break;
		case OPT_STATS:
			cf.stats = 1;
			break;
		case OPT_NO_OFFLOAD:
			cf.no_offload = 1;
			break;
		case OPT_DIR:
			vnet_opt_once(&seen, 1u << 17, "--dir");
			if (!strcmp(optarg, "ingress"))
				cf.ingress = 1;
			else if (strcmp(optarg, "egress"))
				vnet_usage_error("--dir: '%s' is not egress or "
						 "ingress", optarg);
			break;
		case 'u':
			vnet_opt_once(&seen, 65536u, "-u/--user");
			cf.user = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	vnet_log_init("vnet-encap", verbose);
	if (optind != argc)
		vnet_usage_error("unexpected argument '%s'", argv[optind]);

	/* Validate. */
	if (vnet_port_parse(cf.inner, &isp, &why))
		vnet_usage_error("--inner '%s': %s", cf.inner, why);
	if (isp.kind == VNET_PORT_UDP)
		vnet_usage_error("--inner '%s': the inner side carries frames "
				 "(a stream or a tap), not UDP", cf.inner);
	if (vnet_port_parse(cf.outer, &osp, &why))
		vnet_usage_error("--outer '%s': %s", cf.outer, why);
	if (osp.kind == VNET_PORT_TAP)
		vnet_usage_error("--outer '%s': use udp:ADDR for the underlay, "
				 "or a stream of outer frames", cf.outer);
	if (v->vni == VTEP_NO_VNI && !v->nmaps)
		vnet_usage_error("no VNI: give --vni N and/or --map VLAN:VNI");
	if (v->nmaps) /* qsort(NULL, 0, ...) is undefined */
		qsort(v->maps, v->nmaps, sizeof(*v->maps), map_cmp);
	for (i = 0; i < v->nmaps; i++)
		if ((i && v->maps[i].vni == v->maps[i - 1].vni) ||
		    v->maps[i].vni == v->vni)
			vnet_usage_error("VNI %u is mapped twice (--vni/--map)",
					 v->maps[i].vni);
	if (osp.kind == VNET_PORT_UDP) {
		if (!osp.port)
			osp.port = v->dstport;
		if (!cf.has_local)
			v->local = osp.addr;
		if (v->local.family == AF_INET6 || osp.addr.family == AF_INET6)
			vnet_config_error("--outer '%s': an IPv6 underlay is not "
					  "supported yet", cf.outer);
	} else if (!cf.has_local) {
		vnet_usage_error("--local ADDR is needed when the outer side is "
				 "a frame stream");
	}
	if (v->local.family == AF_INET6)
		vnet_config_error("--local: an IPv6 underlay is not supported "
				  "yet");
	for (i = 0; i < cf.nremotes; i++)
		if (cf.remotes[i].family != AF_INET)
			vnet_config_error("--remote: an IPv6 underlay is not "
					  "supported yet");
	if (v->mtu < VNET_IP4_HLEN + VNET_UDP_HLEN + VNET_VXLAN_HLEN + 68)
		vnet_usage_error("--mtu %u leaves no room for an inner frame",
				 v->mtu);
	if (!cf.has_local_mac) {
		/* Locally administered, derived from the outer address. */
		v->local_mac[0] = 0x02;
		memcpy(v->local_mac + 2, v->local.b, 4);
	}
	vnet_clock_set_mode(clk);
	if (!(v->fdb = vnet_fdb_new(cf.fdb_max, cf.ageing_ns)))
		vnet_config_error("FDB of %u entries: %s", cf.fdb_max,
				  strerror(errno));
	/* Replays must decide the same way every time: a fixed hash seed
	 * makes budgeted ageing visit entries in the same order. */
	if (clk == VNET_CLOCK_PCAP)
		vnet_fdb_set_seed(v->fdb, 0x766e6574u);
	if (load_static(&cf, v->fdb, err, sizeof(err)) < 0)
		vnet_config_error("%s", err);
	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		return 1;
	}

	/* Acquire: underlay, inner side, then drop privileges. */
	if (osp.kind == VNET_PORT_UDP) {
		char a[VNET_ADDRSTRLEN];

		v->gso = !cf.no_offload;
		if ((r = vtep_open_udp(v, &osp.addr, osp.port, &what)) < 0) {
			vnet_log(VNET_LOG_ERR, "%s %s:%u: %s", what,
				 vnet_addr_fmt(&osp.addr, a), osp.port,
				 strerror(-r));
			goto out;
		}
	}
	if (isp.kind == VNET_PORT_TAP && !isp.mtu) {
		/* The inner MTU is what the underlay leaves: 50 bytes of
		 * VXLAN/UDP/IPv4/Ethernet overhead (36 counted at IP). */
		tapmtu = v->mtu - (VNET_IP4_HLEN + VNET_UDP_HLEN +
				   VNET_VXLAN_HLEN + VNET_ETH_HLEN);
		isp.mtu = tapmtu;
	}
	/* Both sides on stdio and no right-hand fds: a one-way filter
	 * (DESIGN.md 2).  Egress reads inner frames on stdin and writes
	 * outer frames to stdout; ingress the other way round. */
	oneway = isp.kind == VNET_PORT_STDIO && osp.kind == VNET_PORT_STDIO &&
		 !vnet_port_right_open();
	if (oneway) {
		memset(&osp, 0, sizeof(osp));
		osp.kind = VNET_PORT_FD;
		osp.rfd = 0;
		osp.wfd = 1;
	}
	if (!(v->inner = vnet_port_open(&isp,
					(cf.no_offload ? VNET_PORT_NO_OFFLOAD : 0) |
					(oneway ? (cf.ingress ? VNET_PORT_NO_READ
							      : VNET_PORT_NO_WRITE)
						: 0),
					cf.fmt))) {
		vnet_log(VNET_LOG_ERR, "open inner %s: %s", cf.inner,
			 strerror(errno));
		goto out;
	}
	if (osp.kind != VNET_PORT_UDP) {
		/* Both sides on stdio: the outer one is the right-hand side
		 * of a middle program (fds 3/4). */
		int fl = isp.kind == VNET_PORT_STDIO &&
					 osp.kind == VNET_PORT_STDIO
				 ? VNET_PORT_RIGHT
				 : 0;

		if (oneway)
			fl = cf.ingress ? VNET_PORT_NO_WRITE : VNET_PORT_NO_READ;

		if (!(v->outer = vnet_port_open(&osp, fl, cf.fmt))) {
			vnet_log(VNET_LOG_ERR, "open outer %s%s: %s", cf.outer,
				 fl ? " (fds 3/4: run as a middle member of "
				      "vnet-pipe)"
				    : "",
				 strerror(errno));
			goto out;
		}
	}
	if ((r = vnet_port_flush(v->inner)) < 0 ||
	    (v->outer && (r = vnet_port_flush(v->outer)) < 0)) {
		vnet_log(VNET_LOG_ERR, "write stream header: %s", strerror(-r));
		goto out;
	}
	if (cf.user && (r = vnet_drop_privileges(cf.user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", cf.user,
			 strerror(-r));
		goto out;
	}

	if (run_loop(v, &cf) < 0)
		goto out;
	ret = 0;
out:
	if (v->inner)
		vnet_port_flush(v->inner);
	if (v->outer)
		vtep_flush_outer(v);
	if (v->fdb)
		vnet_fdb_age(v->fdb, vnet_clock_now(), 0);
	if (cf.stats)
		print_counters(v);
	dump_fdb(&cf, v);
	vnet_port_close(v->inner);
	vnet_port_close(v->outer);
	vtep_close_udp(v);
	free(v->maps);
	vnet_fdb_free(v->fdb);
	return ret;
}
