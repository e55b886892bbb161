/* SPDX-License-Identifier: ISC */
/* vnet-encap -- the VTEP (VXLAN, GENEVE, NVGRE): inner frames <-> an
 * underlay. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet/afile.h"
#include "vnet/clock.h"
#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/num.h"
#include "vnet/opt.h"
#include "vnet/pidfile.h"
#include "vnet/pkt.h"
#include "vnet/port.h"
#include "vnet/progress.h"
#include "vnet/seal.h"
#include "vnet/sig.h"
#include "vnet/tool.h"
#include "vnet/vxlan.h"
#include "vtep.h"

enum {
	OPT_INNER = 1,
	OPT_OUTER,
	OPT_VNI,
	OPT_MAP,
	OPT_REMOTE,
	OPT_LOCAL,
	OPT_LOCAL_MAC,
	OPT_DSTPORT,
	OPT_SRCPORT,
	OPT_TTL,
	OPT_TOS,
	OPT_DSCP,
	OPT_ECN,
	OPT_MTU,
	OPT_PMTU_REPLY,
	OPT_FDB,
	OPT_FDB_MAX,
	OPT_FDB_AGEING,
	OPT_NO_LEARN,
	OPT_FDB_DUMP,
	OPT_STRICT,
	OPT_ENCAP,
	OPT_GENEVE_OPT,
	OPT_UDP6_ZERO_CSUM,
	OPT_KEY_FILE,
};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .name = "inner", .letter = 'i', .arg = "INNER", .key = OPT_INNER,
	  .help = "the inner side: a stream or a tap (default -)" },
	{ .name = "outer", .letter = 'o', .arg = "OUTER", .key = OPT_OUTER,
	  .help = "udp:ADDR[:PORT], a tap or a stream (default -)" },
	{ .name = "encap", .letter = 'e', .arg = "vxlan|geneve|nvgre",
	  .key = OPT_ENCAP, .help = "the encapsulation (default vxlan)" },
	{ .name = "vni", .arg = "N", .key = OPT_VNI,
	  .help = "the VNI of untagged frames" },
	{ .name = "map", .arg = "VLAN:VNI", .flags = VNET_OPT_REPEAT,
	  .key = OPT_MAP, .help = "carry VLAN in VNI" },
	{ .name = "remote", .letter = 'r', .arg = "ADDR",
	  .flags = VNET_OPT_REPEAT, .key = OPT_REMOTE,
	  .help = "a remote VTEP on every flood list" },
	{ .name = "local", .arg = "ADDR", .key = OPT_LOCAL,
	  .help = "the underlay source address" },
	{ .name = "local-mac", .arg = "MAC", .key = OPT_LOCAL_MAC,
	  .help = "the outer source MAC on a stream underlay" },
	{ .name = "dstport", .arg = "N", .key = OPT_DSTPORT,
	  .help = "the UDP destination port (default 4789, GENEVE 6081)" },
	{ .name = "srcport-range", .arg = "LO-HI", .key = OPT_SRCPORT,
	  .help = "UDP source ports (default 49152-65535)" },
	{ .name = "ttl", .arg = "N", .key = OPT_TTL,
	  .help = "outer TTL or hop limit (default 64)" },
	{ .name = "tos", .arg = "N", .key = OPT_TOS,
	  .help = "a fixed outer TOS/traffic class: nothing copied" },
	{ .name = "dscp", .arg = "copy|N", .key = OPT_DSCP,
	  .help = "outer DSCP: the inner one (default) or N" },
	{ .name = "ecn", .arg = "normal|off", .key = OPT_ECN,
	  .help = "outer ECN by RFC 6040 (default normal)" },
	{ .name = "udp6-zero-csum", .arg = "tx|rx|both",
	  .key = OPT_UDP6_ZERO_CSUM,
	  .help = "IPv6 underlay: send/accept a zero UDP checksum" },
	{ .name = "mtu", .arg = "N", .key = OPT_MTU,
	  .help = "the underlay IP MTU (default 1500)" },
	{ .name = "pmtu-reply", .flags = VNET_OPT_REPEAT, .key = OPT_PMTU_REPLY,
	  .help = "answer a frame too big with ICMP, rate limited" },
	{ .name = "fdb", .arg = "FILE", .key = OPT_FDB,
	  .help = "static FDB entries, reloaded on SIGHUP" },
	{ .name = "fdb-max", .arg = "N", .key = OPT_FDB_MAX,
	  .help = "most FDB entries (default 65536)" },
	{ .name = "fdb-ageing", .arg = "DURATION", .key = OPT_FDB_AGEING,
	  .help = "ageing of learned entries (default 300s)" },
	{ .name = "no-learn", .flags = VNET_OPT_REPEAT, .key = OPT_NO_LEARN,
	  .help = "do not learn MAC addresses" },
	{ .name = "fdb-dump", .arg = "FILE", .key = OPT_FDB_DUMP,
	  .help = "write the FDB to FILE on SIGUSR1 and at exit" },
	{ .shared = VNET_OPT_PIDFILE },
	{ .name = "strict", .flags = VNET_OPT_REPEAT, .key = OPT_STRICT,
	  .help = "drop packets with reserved bits set" },
	{ .name = "geneve-opt", .arg = "CLASS:TYPE:HEX",
	  .flags = VNET_OPT_REPEAT, .key = OPT_GENEVE_OPT,
	  .help = "add a GENEVE option to every packet" },
	{ .name = "key-file", .arg = "FILE", .key = OPT_KEY_FILE,
	  .help = "seal every packet with FILE's keys (SIGHUP reloads)" },
	VNET_OPT_ROWS_FRAMES,
	{ .shared = VNET_OPT_DIR },
	VNET_OPT_ROWS_CONTROL,
	{ .shared = VNET_OPT_DESCRIBE },
	VNET_OPT_ROWS_PROGRESS,
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-encap",
	.opts = opts,
	.notes = "  INNER: - | fd:R,W | pcap:FILE | tap:NAME[,mtu=N][,mac=M]   "
		 "(default -)\n"
		 "  OUTER: udp:ADDR[:PORT] | tap:NAME | - | fd:R,W | pcap:FILE  "
		 "(default -)\n"
		 "  vnet-encap keygen FILE [NOT_BEFORE [NOT_AFTER [CIPHER]]]\n",
};

#define MAX_REMOTES 64

struct conf {
	const char *inner, *outer, *fdb_file, *fdb_dump, *user, *pidfile;
	const char *name, *control; /* --name, --control */
	const char *key_file;	    /* --key-file: sealed mode */
	struct vnet_addr remotes[MAX_REMOTES];
	unsigned nremotes;
	uint32_t fdb_max;
	uint64_t ageing_ns;
	int stats, has_local, has_local_mac, no_offload, force, has_outer;
	int has_dstport, has_geneve_opt;
	int progress; /* --progress 1, --no-progress 0, else -1 */
	int dscp_given, ecn_given;
	int ingress; /* one-way filter direction: 0 egress, 1 ingress */
	int describe; /* --describe: validate, print the budget, exit */
	enum vnet_stream_fmt fmt;
	enum vnet_clock_mode clk;
	/* derived by validate() */
	struct vnet_port_spec isp, osp;
	int oneway; /* both sides on fds 0/1: a one-way filter */
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
	if (v->conf.vlan_vni[vlan] != VTEP_NO_VNI)
		vnet_usage_error("--map: VLAN %llu mapped twice",
				 (unsigned long long)vlan);
	if (!(m = realloc(v->conf.maps, (v->conf.nmaps + 1) * sizeof(*m))))
		vnet_config_error("out of memory");
	v->conf.maps = m;
	v->conf.maps[v->conf.nmaps].vni = (uint32_t)vni;
	v->conf.maps[v->conf.nmaps].vlan = (uint16_t)vlan;
	v->conf.nmaps++;
	v->conf.vlan_vni[vlan] = (uint32_t)vni;
}

/* Static entries and flood list of a fresh table: --remote and --fdb. */
static int load_static(const struct conf *cf, struct vnet_fdb *fdb,
		       struct vnet_err *err)
{
	unsigned i;
	int r;

	for (i = 0; i < cf->nremotes; i++)
		if ((r = vnet_fdb_flood_add(fdb, VNET_VNI_ANY,
					    &cf->remotes[i])) < 0)
			return vnet_err_sys(err, "--remote", r);
	if (cf->fdb_file)
		return vnet_fdb_load(fdb, cf->fdb_file, err);
	return 0;
}

/* The VTEP and what its control commands need.  The FDB in force (v->fdb)
 * holds the learned entries and, as static and flood entries, those of
 * file, then those of fab that file does not have: --fdb and --remote win
 * over the fabric set, which wins over learning (vnet-encap(8), Fabric
 * entries). */
struct tool {
	const struct conf *cf;
	struct vtep *v;
	struct vnet_pidfile *pf;
	struct vnet_ctl *ctl;
	struct vnet_fdb *file; /* --remote and --fdb, as last loaded */
	struct vnet_fdb *fab;  /* the fabric set: fdb-add, flood-add, ... */
	unsigned gen; /* of the static FDB: 1 at start, one more a reload */
};

/* A table of the VTEP's; with --clock pcap keyed with a fixed seed, so
 * that a replay decides the same way every time (budgeted ageing visits
 * slots in their order, and a merge adds in src's). */
static struct vnet_fdb *table_new(const struct conf *cf, uint32_t max,
				  uint64_t ageing_ns)
{
	struct vnet_fdb *fdb = vnet_fdb_new(max, ageing_ns);

	if (fdb && cf->clk == VNET_CLOCK_PCAP)
		vnet_fdb_set_seed(fdb, 0x766e6574u);
	return fdb;
}

/* An empty fabric set: it takes only remotes of the underlay's family
 * and unicast MACs (fdb.h vnet_fdb_set_strict). */
static struct vnet_fdb *fabric_new(const struct tool *t)
{
	struct vnet_fdb *fdb = table_new(t->cf, t->cf->fdb_max, 0);

	if (fdb)
		vnet_fdb_set_strict(fdb, t->v->conf.local.family);
	return fdb;
}

/* The fabric set's gauges (COUNTERS). */
static void fabric_count(struct tool *t)
{
	const struct vnet_fdb_stats *s = vnet_fdb_stats(t->fab);

	t->v->ctr[C_FABRIC_ENTRIES].value = s->entries;
	t->v->ctr[C_FABRIC_FLOOD].value = s->flood;
}

static void fabric_changed(struct tool *t)
{
	t->v->ctr[C_FABRIC_CHANGES].value++;
	fabric_count(t);
}

/* Put the entries of file, then those of fab whose key file does not
 * have, in force in place of the static entries and flood lists in force
 * (learned entries stay but where a static entry claims their key).  0,
 * or -errno with err saying why (the FDB in force stays). */
static int put_in_force(struct tool *t, const struct vnet_fdb *file,
			const struct vnet_fdb *fab, struct vnet_err *err)
{
	const struct conf *cf = t->cf;
	struct vnet_fdb *eff;
	uint64_t n;
	int r;

	n = vnet_fdb_stats(file)->entries + vnet_fdb_stats(fab)->entries;
	/* No larger than what goes in: the tables may be --fdb-max large. */
	if (!(eff = table_new(cf, n < cf->fdb_max ? (uint32_t)(n ? n : 1)
						  : cf->fdb_max, 0)))
		return vnet_err_sys(err, NULL, errno);
	if ((r = vnet_fdb_merge_static(eff, file)) < 0 ||
	    (r = vnet_fdb_merge_static(eff, fab)) < 0 ||
	    (r = vnet_fdb_replace_static(t->v->fdb, eff)) < 0) {
		if (r == -ENOSPC)
			vnet_err_set(err, NULL, 0,
				     "the --fdb and fabric entries do not fit "
				     "together (--fdb-max %u static entries, "
				     "%d flood entries)",
				     cf->fdb_max, VNET_FDB_FLOOD_MAX);
		else
			vnet_err_sys(err, NULL, r);
	}
	vnet_fdb_free(eff);
	return r;
}

/* Load --remote and --fdb into a fresh table and, only if all of it
 * loads, put it in force with the fabric set: 0, or -errno with err
 * saying why (the FDB in force stays). */
static int reload(struct tool *t, struct vnet_err *err)
{
	const struct conf *cf = t->cf;
	char buf[VNET_ERR_STRLEN];
	struct vnet_fdb *fresh;
	int r;

	if (!cf->fdb_file) {
		vnet_err_set(err, NULL, 0, "no --fdb file to reload");
		return -ENOENT;
	}
	if (!(fresh = table_new(cf, cf->fdb_max, 0)))
		return vnet_err_sys(err, NULL, errno);
	if ((r = load_static(cf, fresh, err)) >= 0 &&
	    (r = put_in_force(t, fresh, t->fab, err)) >= 0) {
		vnet_fdb_free(t->file);
		t->file = fresh;
		fresh = NULL;
	}
	vnet_fdb_free(fresh);
	if (r < 0) {
		vnet_log(VNET_LOG_ERR, "reload refused, old FDB kept: %s",
			 vnet_err_str(err, buf, sizeof(buf)));
		return r;
	}
	t->gen++;
	vnet_log(VNET_LOG_NOTICE, "reloaded %s: generation %u", cf->fdb_file,
		 t->gen);
	return 0;
}

/* Load --key-file again and, only if it loads whole, put it in force:
 * 0, or -errno with err saying why (the keys in force stay). */
static int reload_keys(struct tool *t, struct vnet_err *err)
{
	struct vnet_seal_keys *k = NULL;
	char buf[VNET_ERR_STRLEN];
	int r;

	if ((r = vnet_seal_keys_load(t->cf->key_file, &k, err)) < 0) {
		vnet_log(VNET_LOG_ERR, "key reload refused, old keys kept: %s",
			 vnet_err_str(err, buf, sizeof(buf)));
		return r;
	}
	if (k->cipher != vnet_seal_keys(t->v->seal)->cipher) {
		vnet_err_set(err, t->cf->key_file, 0,
			     "the cipher changed (%s, was %s): restart to "
			     "change it",
			     vnet_seal_cipher_name(k->cipher),
			     vnet_seal_cipher_name(
				     vnet_seal_keys(t->v->seal)->cipher));
		vnet_log(VNET_LOG_ERR, "key reload refused, old keys kept: %s",
			 vnet_err_str(err, buf, sizeof(buf)));
		vnet_seal_keys_free(k);
		return -EINVAL;
	}
	vnet_log(VNET_LOG_NOTICE, "reloaded %s: epochs %u-%u",
		 t->cf->key_file, k->e[0].id, k->e[k->n - 1].id);
	vnet_seal_set_keys(t->v->seal, k);
	return 0;
}

static int write_fdb(void *arg, FILE *f)
{
	const struct vtep *v = arg;

	return vnet_fdb_dump(v->fdb, f, vnet_clock_now());
}

/* Write the FDB to --fdb-dump whole or not at all (lib/afile.c): a
 * reader never sees half a table, and a dump that fails (a full disk)
 * leaves the last one as it was, is logged, and the VTEP goes on; -1
 * then, so the dump at exit makes the exit status 1. */
static int dump_fdb(const struct conf *cf, struct vtep *v)
{
	static struct vnet_ratelimit rl = VNET_RATELIMIT_INIT(1, 3);
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;

	if (!cf->fdb_dump || !v->fdb)
		return 0;
	if (vnet_afile_write(cf->fdb_dump, write_fdb, v, &err) < 0) {
		vnet_log_rl(&rl, vnet_clock_wall(), VNET_LOG_ERR,
			    "fdb dump %s (the file is left as it was)",
			    vnet_err_str(&err, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static void print_counters(struct vtep *v)
{
	vtep_sync_counters(v);
	vnet_counters_print(stderr, NULL, v->ctr, C_MAX);
}

/* The command line into cf and v (whose defaults main sets). */
static void parse_args(int argc, char **argv, struct conf *cf, struct vtep *v)
{
	struct vnet_opt_common o;
	const char *arg;
	const char *why;
	uint64_t lo, hi;
	int c, k;

	vnet_opt_begin(&prog, &o, argc, argv);
	while ((c = vnet_opt_next(&arg)) != -1) {
		switch (c) {
		case OPT_INNER:
			cf->inner = arg;
			break;
		case OPT_OUTER:
			cf->outer = arg;
			cf->has_outer = 1;
			break;
		case OPT_VNI:
			v->conf.vni = (uint32_t)vnet_opt_u64("--vni", arg, 0,
							 VNET_VNI_MAX);
			break;
		case OPT_MAP:
			parse_map(v, arg);
			break;
		case OPT_REMOTE:
			if (cf->nremotes == MAX_REMOTES)
				vnet_usage_error("--remote: more than %d given",
						 MAX_REMOTES);
			if (vnet_addr_parse(arg, &cf->remotes[cf->nremotes]))
				vnet_usage_error("--remote: bad address '%s'",
						 arg);
			cf->nremotes++;
			break;
		case OPT_LOCAL:
			if (vnet_addr_parse(arg, &v->conf.local))
				vnet_usage_error("--local: bad address '%s'",
						 arg);
			cf->has_local = 1;
			break;
		case OPT_LOCAL_MAC:
			if (vnet_mac_parse(arg, v->conf.local_mac))
				vnet_usage_error("--local-mac: bad MAC '%s'",
						 arg);
			cf->has_local_mac = 1;
			break;
		case OPT_DSTPORT:
			cf->has_dstport = 1;
			v->conf.dstport = (uint16_t)vnet_opt_u64("--dstport", arg, 1,
							    65535);
			break;
		case OPT_SRCPORT:
			if (vnet_parse_range(arg, 1, 65535, &lo, &hi))
				vnet_usage_error("--srcport-range: '%s' is not "
						 "LO-HI within 1-65535", arg);
			v->conf.sport_lo = (uint16_t)lo;
			v->conf.sport_hi = (uint16_t)hi;
			break;
		case OPT_TTL:
			v->conf.ttl = (uint8_t)vnet_opt_u64("--ttl", arg, 1, 255);
			break;
		case OPT_TOS:
			v->conf.tos = (uint8_t)vnet_opt_u64("--tos", arg, 0, 255);
			v->conf.fixed_tos = 1;
			break;
		case OPT_DSCP:
			v->conf.dscp = strcmp(arg, "copy")
					       ? (int)vnet_opt_u64("--dscp", arg,
								   0, 63)
					       : -1;
			cf->dscp_given = 1;
			break;
		case OPT_ECN:
			if (!strcmp(arg, "normal"))
				v->conf.ecn = VNET_ECN_NORMAL;
			else if (!strcmp(arg, "off"))
				v->conf.ecn = VNET_ECN_COMPAT;
			else
				vnet_usage_error("--ecn: '%s' is not normal or "
						 "off", arg);
			cf->ecn_given = 1;
			break;
		case OPT_MTU:
			v->conf.mtu = (unsigned)vnet_opt_u64("--mtu", arg, 128, 65535);
			break;
		case OPT_PMTU_REPLY:
			v->conf.pmtu_reply = 1;
			break;
		case OPT_FDB:
			cf->fdb_file = arg;
			break;
		case OPT_FDB_MAX:
			cf->fdb_max = (uint32_t)vnet_opt_u64("--fdb-max", arg, 1,
							     1u << 24);
			break;
		case OPT_FDB_AGEING:
			cf->ageing_ns = vnet_opt_duration("--fdb-ageing", arg);
			break;
		case OPT_NO_LEARN:
			v->conf.learn = 0;
			break;
		case OPT_FDB_DUMP:
			cf->fdb_dump = arg;
			break;
		case OPT_STRICT:
			v->conf.strict = 1;
			break;
		case OPT_ENCAP:
			if ((k = vtep_encap_by_name(arg)) < 0)
				vnet_usage_error("--encap: '%s' is not vxlan, "
						 "geneve or nvgre", arg);
			lo = v->conf.dstport;
			vtep_set_encap(v, (enum vtep_encap)k);
			if (cf->has_dstport) /* --dstport came first */
				v->conf.dstport = (uint16_t)lo;
			break;
		case OPT_GENEVE_OPT:
			if (vtep_geneve_opt_add(v, arg, &why) < 0)
				vnet_usage_error("--geneve-opt '%s': %s", arg,
						 why);
			cf->has_geneve_opt = 1;
			break;
		case OPT_UDP6_ZERO_CSUM:
			if (!strcmp(arg, "tx"))
				v->conf.zero_csum = VNET_UNDERLAY_ZERO_TX;
			else if (!strcmp(arg, "rx"))
				v->conf.zero_csum = VNET_UNDERLAY_ZERO_RX;
			else if (!strcmp(arg, "both"))
				v->conf.zero_csum = VNET_UNDERLAY_ZERO_TX |
						    VNET_UNDERLAY_ZERO_RX;
			else
				vnet_usage_error("--udp6-zero-csum: '%s' is "
						 "not tx, rx or both", arg);
			break;
		case OPT_KEY_FILE:
			cf->key_file = arg;
			break;
		}
	}
	if (cf->key_file && v->conf.encap == VTEP_NVGRE)
		vnet_usage_error("--key-file: sealed mode is VXLAN's or "
				 "GENEVE's, not NVGRE's");
	/* Sealed VXLAN is not VXLAN: its own port (vnet-encap(8)). */
	if (cf->key_file && v->conf.encap == VTEP_VXLAN && !cf->has_dstport)
		v->conf.dstport = VNET_SEAL_VXLAN_PORT;
	if (optind != argc)
		vnet_usage_error("unexpected argument '%s'", argv[optind]);
	if (cf->has_geneve_opt && v->conf.encap != VTEP_GENEVE)
		vnet_usage_error("--geneve-opt needs --encap geneve");
	if (cf->has_dstport && v->conf.encap == VTEP_NVGRE)
		vnet_usage_error("--dstport: NVGRE is GRE (IP protocol 47): it "
				 "has no ports");
	if (v->conf.fixed_tos && (cf->dscp_given || cf->ecn_given))
		vnet_usage_error("--tos fixes the whole outer TOS byte: not "
				 "with --%s", cf->dscp_given ? "dscp" : "ecn");
	cf->fmt = o.fmt;
	cf->clk = o.clk;
	cf->stats = o.stats;
	cf->no_offload = o.no_offload;
	cf->ingress = o.dir == VNET_INGRESS;
	cf->user = o.user;
	cf->pidfile = o.pidfile;
	cf->force = o.force;
	cf->name = o.name;
	cf->control = o.control;
	cf->describe = o.describe;
	cf->progress = o.progress;
}

/* The frame loop (lib/loop.c): its sources and what they need. */
struct run {
	struct vtep *v;
	const struct conf *cf;
	struct tool *t;
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

	r = vtep_encap(ru->v, f, vnet_port_recv_vh(p), n);
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

	r = vtep_decap_frames(ru->v, f, vnet_port_recv_vh(p), n);
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
	struct vnet_err err;

	if (sig & VNET_SIG_HUP) {
		if (ru->cf->key_file)
			reload_keys(ru->t, &err);
		if (!ru->cf->fdb_file) {
			if (!ru->cf->key_file)
				vnet_log(VNET_LOG_INFO, "SIGHUP: no --fdb file "
							"to reload");
		} else {
			reload(ru->t, &err);
		}
	}
	if (sig & VNET_SIG_USR1) {
		print_counters(ru->v);
		dump_fdb(ru->cf, ru->v);
	}
}

/* ---- the control socket (vnet(7) CONTROL SOCKET) ---- */

static int ctl_counters(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	vtep_sync_counters(t->v);
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	vnet_counters_print(vnet_ctl_out(rp), NULL, t->v->ctr, C_MAX);
	return 0;
}

/* The columns of the FDB's text form (fdb.h, vnet(7) STATE AS TEXT). */
static const struct vnet_ctl_col fdb_cols[] = {
	{ .name = "vni", .num = 1 }, { .name = "mac" }, { .name = "remote" },
	{ .name = "type" },	     { .name = "age", .num = 1 }, { 0 },
};

/* A table in the FDB's text form, as the array key in JSON. */
static int ctl_dump(struct vnet_ctl_reply *rp, const char *key,
		    const struct vnet_fdb *fdb)
{
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, key, fdb_cols);
	return vnet_fdb_dump(fdb, vnet_ctl_out(rp), vnet_clock_now());
}

static int ctl_fdb(void *arg, const struct vnet_ctl_req *rq,
		   struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	return ctl_dump(rp, "fdb", t->v->fdb);
}

/* ---- the fabric set (vnet-encap(8), Fabric entries) ---- */

static const char *cmd_args(const char *name);

static int ctl_usage(const struct vnet_ctl_req *rq, struct vnet_ctl_reply *rp)
{
	return vnet_ctl_fail(rp, "error: usage: %s %s", rq->cmd,
			     cmd_args(rq->cmd));
}

enum { ARG_MAC = 1, ARG_REMOTE = 2 };

/* The arguments of a fabric command into e: VNI, then MAC and REMOTE if
 * cols says so, through the parser of --fdb's columns.  0, or the reply
 * fails naming what is wrong. */
static int fabric_args(const struct vnet_ctl_req *rq,
		       struct vnet_ctl_reply *rp, unsigned cols,
		       struct vnet_fdb_entry *e)
{
	unsigned n = 1 + !!(cols & ARG_MAC) + !!(cols & ARG_REMOTE);
	struct vnet_err err;

	if (rq->argc != n)
		return ctl_usage(rq, rp);
	vnet_err_clear(&err);
	if (vnet_fdb_entry_parse(e, rq->argv[0],
				 cols & ARG_MAC ? rq->argv[1] : NULL,
				 cols & ARG_REMOTE ? rq->argv[n - 1] : NULL,
				 NULL, 0, &err) < 0)
		return vnet_ctl_fail(rp, "error: %s", err.msg);
	if ((cols & ARG_MAC) && vnet_mac_is_zero(e->mac))
		return vnet_ctl_fail(rp, "error: MAC 00:00:00:00:00:00 is the "
					 "flood list's: use flood-%s VNI REMOTE",
				     cols & ARG_REMOTE ? "add" : "del");
	return 0;
}

/* Which of --fdb and --remote has the entry of e's key too, for a reply:
 * "--fdb", "--remote" (a flood entry of every VNI) or NULL. */
static const char *file_has(const struct tool *t,
			    const struct vnet_fdb_entry *e)
{
	if (!vnet_mac_is_zero(e->mac))
		return vnet_fdb_is_static(t->file, e->vni, e->mac) ? "--fdb"
								   : NULL;
	if (vnet_fdb_flood_has(t->file, e->vni, &e->remote))
		return "--fdb";
	if (vnet_fdb_flood_has(t->file, VNET_VNI_ANY, &e->remote))
		return "--remote";
	return NULL;
}

/* The answer of a fabric command that added (or deleted) an entry, by
 * the key's file entry, if any: "ok added", "ok shadowed by --fdb", "ok
 * deleted", "ok deleted, the --fdb entry stays".  Logged at -v with the
 * request: a control plane may send many. */
static int fabric_done(const struct vnet_ctl_req *rq,
		       struct vnet_ctl_reply *rp, int added, const char *by)
{
	char what[64];

	if (!by)
		snprintf(what, sizeof(what), "%s", added ? "added" : "deleted");
	else if (added)
		snprintf(what, sizeof(what), "shadowed by %s", by);
	else
		snprintf(what, sizeof(what), "deleted, the %s entry stays", by);
	vnet_ctl_ok(rp, "%s", what);
	vnet_log(VNET_LOG_INFO, "%s %s %s%s%s: %s", rq->cmd, rq->argv[0],
		 rq->argv[1], rq->argc > 2 ? " " : "",
		 rq->argc > 2 ? rq->argv[2] : "", what);
	return 0;
}

static int ctl_fdb_add(void *arg, const struct vnet_ctl_req *rq,
		       struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct vnet_addr *cur;
	struct vnet_fdb_entry e;
	struct vnet_addr old;
	struct vnet_err err;
	const char *by;
	int r;

	if ((r = fabric_args(rq, rp, ARG_MAC | ARG_REMOTE, &e)) < 0)
		return r;
	if ((cur = vnet_fdb_static_remote(t->fab, e.vni, e.mac)))
		old = *cur;
	vnet_err_clear(&err);
	if (vnet_fdb_entry_add(t->fab, &e, NULL, 0, &err) < 0)
		return vnet_ctl_fail(rp, "error: %s", err.msg);
	if (!(by = file_has(t, &e)) &&
	    (r = vnet_fdb_add_static(t->v->fdb, e.vni, e.mac, &e.remote)) <
		    0) {
		/* Only a table full of static entries says no: undo. */
		if (cur)
			vnet_fdb_add_static(t->fab, e.vni, e.mac, &old);
		else
			vnet_fdb_del_static(t->fab, e.vni, e.mac);
		if (r == -ENOSPC)
			return vnet_ctl_fail(rp, "error: the FDB is full of "
						 "static entries (--fdb-max "
						 "%u)",
					     t->cf->fdb_max);
		return vnet_ctl_fail(rp, "error: %s", strerror(-r));
	}
	if (!cur || !vnet_addr_eq(&old, &e.remote))
		fabric_changed(t);
	return fabric_done(rq, rp, 1, by);
}

static int ctl_fdb_del(void *arg, const struct vnet_ctl_req *rq,
		       struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	char m[VNET_MACSTRLEN];
	struct vnet_fdb_entry e;
	const char *by;
	int r;

	if ((r = fabric_args(rq, rp, ARG_MAC, &e)) < 0)
		return r;
	if (vnet_fdb_del_static(t->fab, e.vni, e.mac) < 0)
		return vnet_ctl_fail(rp, "error: no fabric entry %u %s", e.vni,
				     vnet_mac_fmt(e.mac, m));
	if (!(by = file_has(t, &e)))
		vnet_fdb_del_static(t->v->fdb, e.vni, e.mac);
	fabric_changed(t);
	return fabric_done(rq, rp, 0, by);
}

static int ctl_flood_add(void *arg, const struct vnet_ctl_req *rq,
			 struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	struct vnet_fdb_entry e;
	struct vnet_err err;
	int had, r;

	if ((r = fabric_args(rq, rp, ARG_REMOTE, &e)) < 0)
		return r;
	had = vnet_fdb_flood_has(t->fab, e.vni, &e.remote);
	vnet_err_clear(&err);
	if (vnet_fdb_entry_add(t->fab, &e, NULL, 0, &err) < 0)
		return vnet_ctl_fail(rp, "error: %s", err.msg);
	/* Already there if --fdb has it: then nothing can fail. */
	if ((r = vnet_fdb_flood_add(t->v->fdb, e.vni, &e.remote)) < 0) {
		if (!had)
			vnet_fdb_flood_del(t->fab, e.vni, &e.remote);
		if (r == -ENOSPC)
			return vnet_ctl_fail(rp, "error: the flood list is "
						 "full (%d entries with "
						 "--fdb's and --remote's)",
					     VNET_FDB_FLOOD_MAX);
		return vnet_ctl_fail(rp, "error: %s", strerror(-r));
	}
	if (!had)
		fabric_changed(t);
	return fabric_done(rq, rp, 1, file_has(t, &e));
}

static int ctl_flood_del(void *arg, const struct vnet_ctl_req *rq,
			 struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	char a[VNET_ADDRSTRLEN];
	struct vnet_fdb_entry e;
	int r;

	if ((r = fabric_args(rq, rp, ARG_REMOTE, &e)) < 0)
		return r;
	if (vnet_fdb_flood_del(t->fab, e.vni, &e.remote) < 0)
		return vnet_ctl_fail(rp, "error: no fabric flood entry %u %s",
				     e.vni, vnet_addr_fmt(&e.remote, a));
	/* --remote's entry is of every VNI: not this one, which goes. */
	if (!vnet_fdb_flood_has(t->file, e.vni, &e.remote))
		vnet_fdb_flood_del(t->v->fdb, e.vni, &e.remote);
	fabric_changed(t);
	return fabric_done(rq, rp, 0, file_has(t, &e));
}

/* Replace the whole fabric set by FILE's (a resync), or nothing. */
static int ctl_fabric_load(void *arg, const struct vnet_ctl_req *rq,
			   struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct vnet_fdb_stats *s;
	char buf[VNET_ERR_STRLEN];
	struct vnet_fdb *fresh;
	struct vnet_err err;

	if (rq->argc != 1)
		return ctl_usage(rq, rp);
	vnet_err_clear(&err);
	if (!(fresh = fabric_new(t)))
		return errno ? -errno : -ENOMEM;
	if (vnet_fdb_load(fresh, rq->argv[0], &err) < 0 ||
	    put_in_force(t, t->file, fresh, &err) < 0) {
		vnet_fdb_free(fresh);
		vnet_err_str(&err, buf, sizeof(buf));
		vnet_log(VNET_LOG_ERR, "fabric-load refused, the fabric entries "
			 "stay: %s", buf);
		return vnet_ctl_fail(rp, "refused: %s", buf);
	}
	vnet_fdb_free(t->fab);
	t->fab = fresh;
	fabric_changed(t);
	s = vnet_fdb_stats(t->fab);
	vnet_ctl_ok(rp, "%llu entries, %llu flood",
		    (unsigned long long)s->entries,
		    (unsigned long long)s->flood);
	vnet_log(VNET_LOG_NOTICE, "fabric-load %s: %llu entries, %llu flood",
		 rq->argv[0], (unsigned long long)s->entries,
		 (unsigned long long)s->flood);
	return 0;
}

static int ctl_fabric(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	return ctl_dump(rp, "fabric", t->fab);
}

/* The GENEVE options received (vtep_geneve_opts_dump). */
static const struct vnet_ctl_col gopt_cols[] = {
	{ .name = "class" },	       { .name = "type" },
	{ .name = "length", .num = 1 }, { .name = "count", .num = 1 },
	{ .name = "last_vni", .num = 1 }, { 0 },
};

static const struct vnet_ctl_col key_cols[] = {
	{ .name = "epoch", .num = 1 }, { .name = "not_before" },
	{ .name = "not_after" },       { .name = "state" },
	{ 0 },
};

/* The epochs of --key-file, never their keys: what each is now. */
static int ctl_keys(void *arg, const struct vnet_ctl_req *rq,
		    struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct vnet_seal_keys *k;
	const struct vnet_seal_epoch *ep, *snd;
	const int64_t now = (int64_t)(vnet_clock_now() / 1000000000ULL);
	char a[24], b[24];
	unsigned i;

	(void)rq;
	if (!t->v->seal)
		return vnet_ctl_fail(rp, "error: not sealed (no --key-file)");
	k = vnet_seal_keys(t->v->seal);
	snd = vnet_seal_send_epoch(t->v->seal, now);
	vnet_ctl_head(rp, 0);
	vnet_ctl_str(rp, "key_file", t->cf->key_file);
	vnet_ctl_str(rp, "cipher", vnet_seal_cipher_name(k->cipher));
	vnet_ctl_table(rp, "keys", key_cols);
	for (i = 0; i < k->n; i++) {
		ep = &k->e[i];
		if (fprintf(vnet_ctl_out(rp), "%u\t%s\t%s\t%s\n", ep->id,
			    vnet_seal_time_fmt(ep->not_before, a),
			    vnet_seal_time_fmt(ep->not_after, b),
			    ep == snd		      ? "send"
			    : now >= ep->not_after    ? "expired"
			    : now < ep->not_before    ? "pending"
						      : "open") < 0)
			return -EIO;
	}
	return 0;
}

static int ctl_geneve_options(void *arg, const struct vnet_ctl_req *rq,
			      struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;

	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "geneve_options", gopt_cols);
	return vtep_geneve_opts_dump(t->v, vnet_ctl_out(rp));
}

static int ctl_reload(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	char buf[VNET_ERR_STRLEN];
	struct tool *t = arg;
	struct vnet_err err;
	int r;

	(void)rq;
	vnet_err_clear(&err);
	if (t->cf->key_file && (r = reload_keys(t, &err)) < 0)
		return vnet_ctl_fail(rp, "refused: %s",
				     vnet_err_str(&err, buf, sizeof(buf)));
	if (t->cf->key_file && !t->cf->fdb_file) {
		vnet_ctl_ok(rp, "keys reloaded");
		vnet_ctl_head(rp, 0);
		vnet_ctl_str(rp, "key_file", t->cf->key_file);
		return 0;
	}
	if ((r = reload(t, &err)) == -ENOENT && !t->cf->fdb_file)
		return vnet_ctl_fail(rp, "error: nothing to reload (no --fdb "
					 "FILE)");
	if (r < 0)
		return vnet_ctl_fail(rp, "refused: %s",
				     vnet_err_str(&err, buf, sizeof(buf)));
	vnet_ctl_ok(rp, "generation %u", t->gen);
	vnet_ctl_head(rp, 0);
	vnet_ctl_str(rp, "fdb", t->cf->fdb_file);
	vnet_ctl_u64(rp, "generation", t->gen);
	return 0;
}

/* The outer packets' budget (vnet(7) MTU BUDGET): --mtu, or less where
 * the outer stream's format takes less (VDE). */
static unsigned budget_outer(const struct conf *cf, const struct vtep *v)
{
	unsigned max = vnet_port_max_mtu(&cf->osp, cf->fmt);

	return v->conf.mtu < max ? v->conf.mtu : max;
}

/* The largest inner packet that fits budget_outer(). */
static unsigned budget_inner(const struct conf *cf, const struct vtep *v)
{
	unsigned o = vtep_overhead(v) + VNET_ETH_HLEN, m = budget_outer(cf, v);

	return m > o ? m - o : 0;
}

static void describe_list(struct vnet_ctl_reply *rp, const char *key,
			  const char *s)
{
	vnet_ctl_str(rp, key, *s ? s : NULL);
}

/* The path outer packets take, as found at start: null before the
 * ports are open (--describe). */
static const char *fast_path(const struct vtep *v)
{
	if (v->ul)
		return v->gso ? "udp-gso" : "udp";
	if (v->tunnel)
		return "tap-udp-tunnel-offload";
	return v->outer ? "frames" : NULL;
}

static int ctl_describe(void *arg, const struct vnet_ctl_req *rq,
			struct vnet_ctl_reply *rp)
{
	struct tool *t = arg;
	const struct conf *cf = t->cf;
	const struct vtep_conf *vc = &t->v->conf;
	char a[VNET_ADDRSTRLEN], list[MAX_REMOTES * (VNET_ADDRSTRLEN + 1)];
	size_t i, k = 0;

	(void)rq;
	vnet_ctl_about(rp);
	vnet_ctl_str(rp, "inner", cf->inner);
	vnet_ctl_str(rp, "outer", cf->outer);
	vnet_ctl_str(rp, "encap", vtep_encap_name(vc->encap));
	if (cf->oneway)
		vnet_ctl_str(rp, "dir", cf->ingress ? "ingress" : "egress");
	if (vc->vni == VTEP_NO_VNI)
		vnet_ctl_str(rp, "vni", NULL);
	else
		vnet_ctl_u64(rp, "vni", vc->vni);
	list[0] = '\0';
	for (i = 0; i < vc->nmaps && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%u:%u",
				      i ? "," : "", vc->maps[i].vlan,
				      vc->maps[i].vni);
	describe_list(rp, "map", list);
	vnet_ctl_str(rp, "family", vc->local.family == AF_INET6 ? "ipv6"
								: "ipv4");
	vnet_ctl_str(rp, "fast_path", fast_path(t->v));
	vnet_ctl_budget(rp, &(struct vnet_ctl_budget){
				    .inner = vnet_port_framing(&cf->isp,
							       cf->fmt),
				    .outer = vnet_port_framing(&cf->osp,
							       cf->fmt),
				    .overhead = vtep_overhead(t->v) +
						VNET_ETH_HLEN,
				    .inner_mtu = budget_inner(cf, t->v),
				    .outer_mtu = budget_outer(cf, t->v),
			    });
	vnet_ctl_u64(rp, "mtu", vc->mtu);
	vnet_ctl_str(rp, "pmtu_reply", vc->pmtu_reply ? "yes" : "no");
	vnet_ctl_str(rp, "local", vnet_addr_fmt(&vc->local, a));
	vnet_ctl_u64(rp, "dstport", vc->dstport);
	list[0] = '\0';
	for (i = k = 0; i < cf->nremotes && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s",
				      i ? "," : "",
				      vnet_addr_fmt(&cf->remotes[i], a));
	describe_list(rp, "remotes", list);
	vnet_ctl_str(rp, "fdb", cf->fdb_file);
	vnet_ctl_u64(rp, "fdb_max", cf->fdb_max);
	vnet_ctl_u64(rp, "fdb_ageing", cf->ageing_ns / 1000000000ULL);
	vnet_ctl_str(rp, "learn", vc->learn ? "yes" : "no");
	vnet_ctl_str(rp, "strict", vc->strict ? "yes" : "no");
	if (vc->fixed_tos) {
		vnet_ctl_u64(rp, "tos", vc->tos);
		vnet_ctl_str(rp, "dscp", NULL);
		vnet_ctl_str(rp, "ecn", NULL);
	} else {
		vnet_ctl_str(rp, "tos", NULL);
		if (vc->dscp < 0)
			vnet_ctl_str(rp, "dscp", "copy");
		else
			vnet_ctl_u64(rp, "dscp", (uint64_t)vc->dscp);
		vnet_ctl_str(rp, "ecn",
			     vc->ecn == VNET_ECN_NORMAL ? "normal" : "off");
	}
	vnet_ctl_str(rp, "format", vnet_stream_fmt_name(cf->fmt));
	vnet_ctl_u64(rp, "generation", t->gen);
	return 0;
}

static const struct vnet_ctl_cmd ctl_cmds[] = {
	{ .name = "counters", .help = "the counters", .fn = ctl_counters },
	{ .name = "describe", .help = "the instance, its sides and options",
	  .fn = ctl_describe },
	{ .name = "fdb", .help = "the forwarding database (--fdb-dump's form)",
	  .fn = ctl_fdb },
	{ .name = "keys", .help = "the epochs of --key-file (never the keys)",
	  .fn = ctl_keys },
	{ .name = "geneve-options", .help = "the GENEVE options received",
	  .fn = ctl_geneve_options },
	{ .name = "reload", .help = "load --fdb again (as SIGHUP)",
	  .fn = ctl_reload },
	{ .name = "fabric", .help = "the fabric entries (fdb's form)",
	  .fn = ctl_fabric },
	{ .name = "fdb-add", .args = "VNI MAC REMOTE",
	  .help = "add or replace a fabric entry", .fn = ctl_fdb_add },
	{ .name = "fdb-del", .args = "VNI MAC",
	  .help = "remove a fabric entry", .fn = ctl_fdb_del },
	{ .name = "flood-add", .args = "VNI REMOTE",
	  .help = "add a fabric flood entry", .fn = ctl_flood_add },
	{ .name = "flood-del", .args = "VNI REMOTE",
	  .help = "remove a fabric flood entry", .fn = ctl_flood_del },
	{ .name = "fabric-load", .args = "FILE",
	  .help = "replace the fabric entries by FILE's (--fdb's form)",
	  .fn = ctl_fabric_load },
	{ 0 },
};

/* The arguments of a command, as help says them. */
static const char *cmd_args(const char *name)
{
	const struct vnet_ctl_cmd *k;

	for (k = ctl_cmds; k->name; k++)
		if (!strcmp(k->name, name))
			return k->args ? k->args : "";
	return "";
}

/* The status line's counts: frames read from either side, and every
 * drop counter (drop_*, *_queue_drops). */
static void progress_sample(void *arg, struct vnet_progress_sample *s)
{
	struct vtep *v = arg;
	const struct vnet_sr_stats *out =
		v->outer ? vnet_port_rstats(v->outer) : NULL;

	vtep_sync_counters(v);
	s->frames = v->ctr[C_INNER_RX_FRAMES].value +
		    (out ? out->frames : v->ctr[C_DECAP_FRAMES].value);
	s->drops = vnet_counters_drops(v->ctr, C_MAX);
}

/* A status line while a file is replayed (--progress, --no-progress):
 * NULL when none is wanted or it cannot be had. */
static struct vnet_progress *progress_start(struct vnet_loop *l,
					    const struct conf *cf,
					    struct vtep *v)
{
	struct vnet_progress_config pc = {
		.fd = vnet_port_rfd(v->inner),
		.sample = progress_sample,
		.show = vnet_log_status,
		.arg = v,
	};

	if (!vnet_log_is_file(pc.fd) && v->outer &&
	    vnet_log_is_file(vnet_port_rfd(v->outer)))
		pc.fd = vnet_port_rfd(v->outer);
	if (!vnet_log_status_wanted(cf->progress, vnet_log_is_file(pc.fd)))
		return NULL;
	return vnet_progress_new(l, &pc);
}

/* Forward until the streams end, a stop signal or an error: 0 or -errno
 * (logged).  Streams end; taps and sockets do not. */
static int run_loop(struct tool *t)
{
	struct vtep *v = t->v;
	const struct conf *cf = t->cf;
	struct run ru = { .v = v, .cf = cf, .t = t };
	struct vnet_loop_timer *sweep;
	struct vnet_progress *pr;
	struct vnet_loop *l;
	char label[2][160];
	int r = -ENOMEM;

	if (!(l = vnet_loop_new()))
		goto out;
	if (t->ctl && (r = vnet_ctl_attach(t->ctl, l)) < 0)
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
		r = vnet_loop_add_fd(l, vtep_outer_fd(v), POLLIN, on_udp,
				     &ru);
	if (r < 0)
		goto out;
	/* Each side's frames go to the other (inner ones to the UDP
	 * underlay: no queue of the loop's). */
	if ((r = vnet_loop_feeds(l, v->inner, v->outer)) < 0 ||
	    (v->outer && (r = vnet_loop_feeds(l, v->outer, v->inner)) < 0))
		goto out;
	r = -ENOMEM;
	if (!(sweep = vnet_loop_timer_add(l, 0, on_sweep, &ru)))
		goto out;
	vnet_loop_timer_set(sweep, 1000000000ULL); /* as if swept at 0 */
	vnet_loop_on_signal(l, on_signal, &ru);
	pr = progress_start(l, cf, v);
	r = vnet_loop_run(l);
	vnet_progress_free(pr);
	vnet_log_loop(l, r);
	vnet_loop_free(l);
	return r;
out:
	vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
	vnet_loop_free(l);
	return r;
}

/* Check what the options say together and derive the rest: the port
 * specs, the VNI maps, the underlay family, the MTU, the outer MAC.  A
 * usage or configuration error exits 2. */
static void validate(struct conf *cf, struct vtep *v)
{
	struct vnet_port_spec *isp = &cf->isp, *osp = &cf->osp;
	struct vnet_seal_keys *keys = NULL;
	struct vnet_seal *seal;
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	size_t i;

	/* Sealed mode: the keys before anything, and never plaintext
	 * after -- the header sizes below count the seal. */
	if (cf->key_file) {
		if (vnet_seal_keys_load(cf->key_file, &keys, &err) < 0)
			vnet_config_error("--key-file %s",
					  vnet_err_str(&err, buf, sizeof(buf)));
		if (!(seal = vnet_seal_new(keys)) || vtep_seal_set(v, seal))
			vnet_config_error("--key-file %s: %s", cf->key_file,
					  strerror(errno ? errno : ENOMEM));
	}

	/* Files written later: a wrong path fails now, not at the first
	 * dump. */
	if (cf->fdb_dump && vnet_afile_check(cf->fdb_dump, &err))
		vnet_config_error("--fdb-dump %s",
				  vnet_err_str(&err, buf, sizeof(buf)));
	if (cf->pidfile && vnet_afile_check(cf->pidfile, &err))
		vnet_config_error("--pidfile %s",
				  vnet_err_str(&err, buf, sizeof(buf)));

	if (vnet_port_parse(cf->inner, isp, &err))
		vnet_usage_error("--inner %s", vnet_err_str(&err, buf,
							     sizeof(buf)));
	if (isp->kind == VNET_PORT_UDP)
		vnet_usage_error("--inner '%s': the inner side carries frames "
				 "(a stream or a tap), not UDP", cf->inner);
	if (vnet_port_parse(cf->outer, osp, &err))
		vnet_usage_error("--outer %s", vnet_err_str(&err, buf,
							     sizeof(buf)));
	if (v->conf.vni == VTEP_NO_VNI && !v->conf.nmaps)
		vnet_usage_error("no VNI: give --vni N and/or --map VLAN:VNI");
	if (v->conf.nmaps) /* qsort(NULL, 0, ...) is undefined */
		qsort(v->conf.maps, v->conf.nmaps, sizeof(*v->conf.maps),
		      map_cmp);
	for (i = 0; i < v->conf.nmaps; i++)
		if ((i && v->conf.maps[i].vni == v->conf.maps[i - 1].vni) ||
		    v->conf.maps[i].vni == v->conf.vni)
			vnet_usage_error("VNI %u is mapped twice (--vni/--map)",
					 v->conf.maps[i].vni);
	/* RFC 7637 3.2: NVGRE reserves VSIDs 0-0xfff and 0xffffff. */
	if (v->conf.vni != VTEP_NO_VNI && !vtep_vni_ok(v, v->conf.vni))
		vnet_config_error("--vni %u: VSID %u is reserved in NVGRE "
				  "(0-4095 and 16777215, RFC 7637 3.2)",
				  v->conf.vni, v->conf.vni);
	for (i = 0; i < v->conf.nmaps; i++)
		if (!vtep_vni_ok(v, v->conf.maps[i].vni))
			vnet_config_error("--map %u:%u: VSID %u is reserved "
					  "in NVGRE (0-4095 and 16777215, "
					  "RFC 7637 3.2)",
					  v->conf.maps[i].vlan,
					  v->conf.maps[i].vni,
					  v->conf.maps[i].vni);
	if (osp->kind == VNET_PORT_UDP) {
		if (!osp->port)
			osp->port = v->conf.dstport;
		if (!cf->has_local)
			v->conf.local = osp->addr;
		if (v->conf.local.family != osp->addr.family)
			vnet_config_error("--local %s and --outer '%s' are of "
					  "two address families",
					  vnet_addr_fmt(&v->conf.local, buf),
					  cf->outer);
		/* The raw IPv6 socket writes the source address itself. */
		if (v->conf.local.family == AF_INET6 &&
		    vnet_addr_is_any(&v->conf.local))
			vnet_usage_error("--outer '%s': an IPv6 underlay on :: "
					 "needs --local ADDR (the source of "
					 "what is sent)", cf->outer);
	} else if (!cf->has_local && !cf->has_outer) {
		vnet_usage_error("%s without -o: give -o udp:ADDR for the "
				 "underlay, or --local ADDR for a frame stream",
				 v->conf.vni != VTEP_NO_VNI ? "--vni" : "--map");
	} else if (!cf->has_local) {
		vnet_usage_error("--local ADDR is needed when the outer side is "
				 "%s", osp->kind == VNET_PORT_TAP
					   ? "a tap (the VTEP's address on it)"
					   : "a frame stream");
	}
	/* An underlay tap carries whole outer packets. */
	if (osp->kind == VNET_PORT_TAP && !osp->mtu)
		osp->mtu = v->conf.mtu;
	/* A remote of the other family is refused here; one from --fdb is a
	 * counted drop (drop_family). */
	for (i = 0; i < cf->nremotes; i++)
		if (cf->remotes[i].family != v->conf.local.family)
			vnet_config_error("--remote %s: not of the underlay's "
					  "address family (--local is %s)",
					  vnet_addr_fmt(&cf->remotes[i], buf),
					  v->conf.local.family == AF_INET6
						  ? "IPv6"
						  : "IPv4");
	if (v->conf.zero_csum && v->conf.local.family != AF_INET6)
		vnet_usage_error("--udp6-zero-csum: the underlay is IPv4 (a "
				 "zero checksum is the IPv4 default)");
	if (v->conf.mtu < vtep_overhead(v) + 68)
		vnet_usage_error("--mtu %u leaves no room for an inner frame",
				 v->conf.mtu);
	if (!cf->has_local_mac) {
		/* Locally administered, derived from the outer address
		 * (IPv6: its last four bytes, which tell hosts apart). */
		v->conf.local_mac[0] = 0x02;
		memcpy(v->conf.local_mac + 2,
		       v->conf.local.b +
			       (v->conf.local.family == AF_INET6 ? 12 : 0),
		       4);
	}
	if (isp->kind == VNET_PORT_TAP && !isp->mtu)
		/* The inner MTU is what the underlay leaves: the outer
		 * headers and the inner Ethernet header (VXLAN over IPv4:
		 * 36 + 14 bytes). */
		isp->mtu = v->conf.mtu - (vtep_overhead(v) + VNET_ETH_HLEN);
	else if (isp->kind == VNET_PORT_TAP && isp->mtu > vtep_inner_mtu(v))
		/* Fits by construction: a tap that would hand over frames
		 * the underlay cannot carry is refused. */
		vnet_config_error("--inner %s: MTU %u is larger than the %u "
				  "bytes --mtu %u carries (%u of outer "
				  "headers and the inner Ethernet header): "
				  "give mtu=%u or less, or raise --mtu",
				  cf->inner, isp->mtu, vtep_inner_mtu(v),
				  v->conf.mtu, vtep_overhead(v) + VNET_ETH_HLEN,
				  vtep_inner_mtu(v));
	/* Both sides on stdio and no right-hand fds: a one-way filter
	 * (DESIGN.md 2).  Egress reads inner frames on stdin and writes
	 * outer frames to stdout; ingress the other way round. */
	cf->oneway = isp->kind == VNET_PORT_STDIO &&
		     osp->kind == VNET_PORT_STDIO && !vnet_port_right_open();
	if (cf->oneway) {
		memset(osp, 0, sizeof(*osp));
		osp->kind = VNET_PORT_FD;
		osp->rfd = 0;
		osp->wfd = 1;
	}
	/* Streams are binary: not for a terminal.  A one-way filter writes
	 * stdout; else each stream side writes its own descriptor (the
	 * outer one fds 3/4 when both are on stdio). */
	if (!cf->force && !cf->describe &&
	    (vnet_port_check_tty(isp, 0, &err) < 0 ||
	     (!cf->oneway &&
	      vnet_port_check_tty(osp,
				  isp->kind == VNET_PORT_STDIO &&
					  osp->kind == VNET_PORT_STDIO
				      ? VNET_PORT_RIGHT
				      : 0,
				  &err) < 0)))
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
}

/* The FDB with the static entries and flood list of --remote and --fdb,
 * and the fabric set, empty; a bad --fdb file exits 2 naming FILE:LINE. */
static void load_tables(struct tool *t)
{
	const struct conf *cf = t->cf;
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;

	vnet_clock_set_mode(cf->clk);
	if (!(t->v->fdb = table_new(cf, cf->fdb_max, cf->ageing_ns)) ||
	    !(t->file = table_new(cf, cf->fdb_max, 0)) ||
	    !(t->fab = fabric_new(t)))
		vnet_config_error("FDB of %u entries: %s", cf->fdb_max,
				  strerror(errno));
	if (load_static(cf, t->file, &err) < 0 ||
	    put_in_force(t, t->file, t->fab, &err) < 0)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	fabric_count(t);
}

/* Takes what load_tables() did not get. */
static void free_tables(struct tool *t)
{
	vnet_fdb_free(t->v->fdb);
	vnet_fdb_free(t->file);
	vnet_fdb_free(t->fab);
}

/* The outer tap with UDP tunnel offload (port.h VNET_PORT_TUNNEL):
 * v->tunnel and v->outer set; on a kernel without it (before 6.17), or
 * --no-offload, nothing is opened here and the tap carries frame by
 * frame, as a stream does.  0, or -1 after logging what failed. */
static int open_tunnel(struct tool *t, const struct vnet_port_spec *osp)
{
	struct vtep *v = t->v;
	struct vnet_err err;

	v->outer = vnet_port_open(osp, VNET_PORT_TUNNEL, t->cf->fmt, &err);
	if (v->outer) {
		v->tunnel = 1;
		vnet_log(VNET_LOG_INFO, "outer tap:%s: UDP tunnel offload",
			 osp->ifname);
		return 0;
	}
	if (errno != EOPNOTSUPP) {
		vnet_log_err(&err, "open outer");
		return -1;
	}
	vnet_log(VNET_LOG_INFO, "outer tap:%s: no UDP tunnel offload in this "
		 "kernel (6.17 has it): frame by frame", osp->ifname);
	return 0;
}

/* Signals, the pid file, the underlay, the inner side, the outer stream,
 * their stream headers, the control socket, then the privileges go: 0, or
 * -1 after logging what failed. */
static int acquire(struct tool *t)
{
	const struct conf *cf = t->cf;
	struct vtep *v = t->v;
	struct vnet_port_spec isp = cf->isp, osp = cf->osp;
	const struct vnet_ctl_config cc = {
		.program = prog.name,
		.name = cf->name,
		.tap = isp.kind == VNET_PORT_TAP ? isp.ifname : NULL,
		.path = cf->control,
		.cmds = ctl_cmds,
		.arg = t,
	};
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	int r, fl;

	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		return -1;
	}
	/* First: a second instance stops here, before it takes a port. */
	if (cf->pidfile && !(t->pf = vnet_pidfile_open(cf->pidfile, &err))) {
		vnet_log_err(&err, "pidfile");
		return -1;
	}
	if (osp.kind == VNET_PORT_UDP) {
		v->conf.gso = !cf->no_offload;
		if (vtep_open_udp(v, &osp.addr, osp.port, &err) < 0) {
			vnet_log_err(&err, "open outer");
			return -1;
		}
	}
	/* Tap to tap: first the outer tap with UDP tunnel offload, where
	 * the kernel has it (UDP kinds: GRE has no such offload); then
	 * super-frames pass whole both ways. */
	if (osp.kind == VNET_PORT_TAP && isp.kind == VNET_PORT_TAP &&
	    !cf->no_offload && vtep_proto(v) == IPPROTO_UDP && !v->seal &&
	    open_tunnel(t, &osp) < 0)
		return -1;
	/* The kernel would cut a sealed super-frame into pieces that no
	 * tag covers: sealed, the tap underlay goes frame by frame. */
	if (osp.kind == VNET_PORT_TAP && isp.kind == VNET_PORT_TAP && v->seal)
		vnet_log(VNET_LOG_NOTICE, "outer tap:%s: sealed: no UDP tunnel "
			 "offload, frame by frame", osp.ifname);
	fl = cf->no_offload ? VNET_PORT_NO_OFFLOAD : 0;
	if (v->tunnel)
		fl |= VNET_PORT_GSO;
	if (cf->oneway)
		fl |= cf->ingress ? VNET_PORT_NO_READ : VNET_PORT_NO_WRITE;
	if (!(v->inner = vnet_port_open(&isp, fl, cf->fmt, &err))) {
		vnet_log_err(&err, "open inner");
		return -1;
	}
	/* Room for the outer headers around the inner tap's largest
	 * super-frame: the outer packet is one IP packet of <= 64 KiB. */
	if (v->tunnel &&
	    (r = vnet_link_set_gso_max(isp.ifname,
				       65535 - vtep_overhead(v) -
					   VNET_ETH_HLEN)) < 0) {
		vnet_log(VNET_LOG_ERR, "open inner tap:%s: gso_max_size: %s",
			 isp.ifname, strerror(-r));
		return -1;
	}
	if (osp.kind != VNET_PORT_UDP && !v->outer) {
		/* Both sides on stdio: the outer one is the right-hand side
		 * of a middle program (fds 3/4). */
		fl = isp.kind == VNET_PORT_STDIO && osp.kind == VNET_PORT_STDIO
			     ? VNET_PORT_RIGHT
			     : 0;
		if (cf->oneway)
			fl = cf->ingress ? VNET_PORT_NO_WRITE
					 : VNET_PORT_NO_READ;
		if (!(v->outer = vnet_port_open(&osp, fl, cf->fmt, &err))) {
			vnet_log_err(&err, "open outer");
			return -1;
		}
	}
	if ((r = vnet_port_flush(v->inner)) < 0 ||
	    (v->outer && (r = vnet_port_flush(v->outer)) < 0)) {
		vnet_log(VNET_LOG_ERR, "write stream header: %s", strerror(-r));
		return -1;
	}
	if (vnet_tool_ctl_open(&cc, &t->ctl) < 0)
		return -1;
	if (cf->user && (r = vnet_drop_privileges(cf->user)) < 0) {
		vnet_log(VNET_LOG_ERR, "drop privileges to %s: %s", cf->user,
			 strerror(-r));
		return -1;
	}
	if (cf->user && cf->fdb_dump && vnet_afile_check(cf->fdb_dump, &err))
		vnet_log(VNET_LOG_WARN, "--fdb-dump %s as %s: dumps will fail",
			 vnet_err_str(&err, buf, sizeof(buf)), cf->user);
	return 0;
}

/* Flush what is left, age the FDB, print counters and, after a run
 * (ran), the FDB dump if asked; close everything (whatever was
 * acquired), the pid file last.  An instance that did not get its pid
 * file or its port never writes the dump of the one that has them.
 * -1 when that last dump failed. */
static int cleanup(struct tool *t, int ran)
{
	const struct conf *cf = t->cf;
	struct vtep *v = t->v;
	struct vnet_pidfile *pf = t->pf;
	int r, ret = 0;

	if (v->inner)
		vnet_port_flush(v->inner);
	if (v->outer)
		vnet_port_flush(v->outer);
	if (v->fdb)
		vnet_fdb_age(v->fdb, vnet_clock_now(), 0);
	if (cf->stats)
		print_counters(v);
	if (ran && dump_fdb(cf, v) < 0)
		ret = -1;
	vnet_ctl_close(t->ctl);
	vnet_port_close(v->inner);
	vnet_port_close(v->outer);
	vtep_close_udp(v);
	vtep_seal_set(v, NULL);
	free(v->conf.maps);
	free_tables(t);
	if ((r = vnet_pidfile_remove(pf)) < 0)
		vnet_log(VNET_LOG_INFO, "remove pidfile %s: %s", cf->pidfile,
			 strerror(-r));
	return ret;
}

/* A keygen time: NOW, +DURATION from base, or as the key file writes
 * it. */
static int64_t keygen_time(const char *what, const char *s, int64_t base)
{
	int64_t t;

	if (!strcmp(s, "now"))
		return (int64_t)(vnet_clock_wall() / 1000000000ULL);
	if (s[0] == '+')
		return base + (int64_t)(vnet_opt_duration(what, s + 1) /
					1000000000ULL);
	if (vnet_seal_time_parse(s, &t) < 0)
		vnet_usage_error("keygen %s '%s': not now, +DURATION, seconds "
				 "since 1970 or YYYY-MM-DDTHH:MM:SSZ", what, s);
	return t;
}

/* vnet-encap keygen FILE [NOT_BEFORE [NOT_AFTER [CIPHER]]]: add an
 * epoch with a fresh key to FILE (made if missing), written whole, mode
 * 0600.  NOT_BEFORE defaults to now, or to the last epoch's not-after
 * less an hour of overlap; NOT_AFTER to a week after NOT_BEFORE; CIPHER
 * (a new file only) to aes-256-gcm where this CPU has it, else
 * chacha20-poly1305.  Exit 0, 1 (a write failed), 2 (usage, a bad
 * file). */
static int keygen(int argc, char **argv)
{
	const int64_t now = (int64_t)(vnet_clock_wall() / 1000000000ULL);
	struct vnet_seal_keys *k = NULL;
	char buf[VNET_ERR_STRLEN], a[24], b[24];
	struct vnet_err err;
	int64_t nb, na;
	int r;

	vnet_log_init("vnet-encap", VNET_LOG_WARN);
	if (argc < 2 || argc > 5 || argv[1][0] == '-')
		vnet_usage_error("usage: vnet-encap keygen FILE [NOT_BEFORE "
				 "[NOT_AFTER [CIPHER]]]");
	if (vnet_seal_init() < 0)
		vnet_config_error("libsodium: cannot initialise");
	r = vnet_seal_keys_load(argv[1], &k, &err);
	if (r < 0 && r != -ENOENT)
		vnet_config_error("%s", vnet_err_str(&err, buf, sizeof(buf)));
	if (r == -ENOENT) {
		enum vnet_seal_cipher c = vnet_seal_aes_available()
						  ? VNET_SEAL_AES256GCM
						  : VNET_SEAL_CHACHA20POLY1305;

		if (argc > 4 && vnet_seal_cipher_parse(argv[4], &c) < 0)
			vnet_usage_error("keygen: unknown cipher '%s' (want "
					 "aes-256-gcm or chacha20-poly1305)",
					 argv[4]);
		if (!(k = vnet_seal_keys_empty(c)))
			vnet_config_error("keygen: %s", strerror(errno));
	} else if (argc > 4) {
		vnet_usage_error("keygen: %s exists: its cipher stays",
				 argv[1]);
	}
	nb = k->n ? k->e[k->n - 1].not_after - 3600 : now;
	if (nb < now)
		nb = now;
	if (argc > 2)
		nb = keygen_time("NOT_BEFORE", argv[2], now);
	na = argc > 3 ? keygen_time("NOT_AFTER", argv[3], nb)
		      : nb + 7 * 86400;
	if ((r = vnet_seal_keys_add(k, nb, na)) == -ENOSPC)
		vnet_config_error("keygen %s: %d epochs already: remove old "
				  "ones", argv[1], VNET_SEAL_EPOCHS);
	else if (r < 0)
		vnet_usage_error("keygen: NOT_AFTER %s is not after "
				 "NOT_BEFORE %s", vnet_seal_time_fmt(na, a),
				 vnet_seal_time_fmt(nb, b));
	if (vnet_seal_keys_save(k, argv[1], &err) < 0) {
		vnet_log_err(&err, "keygen");
		vnet_seal_keys_free(k);
		return 1;
	}
	printf("%s: epoch %u %s %s\n", argv[1], k->e[k->n - 1].id,
	       vnet_seal_time_fmt(nb, a), vnet_seal_time_fmt(na, b));
	vnet_seal_keys_free(k);
	return 0;
}

int main(int argc, char **argv)
{
	static struct vtep vt; /* large: transmit queue and header slots */
	struct conf cf = {
		.inner = "-",
		.outer = "-",
		.fdb_max = 65536,
		.ageing_ns = 300 * 1000000000ULL,
	};
	struct tool t = { .cf = &cf, .v = &vt, .gen = 1 };
	int ret = 1, ran;

	if (argc > 1 && !strcmp(argv[1], "keygen"))
		return keygen(argc - 1, argv + 1);
	vtep_init(&vt, VTEP_VXLAN);
	parse_args(argc, argv, &cf, &vt);
	validate(&cf, &vt);
	load_tables(&t);
	if (cf.describe) {
		/* Nothing acquired: the budget as a run would have it. */
		ret = vnet_tool_describe(prog.name, ctl_cmds, &t);
		free(vt.conf.maps);
		free_tables(&t);
		return ret;
	}
	ran = acquire(&t) == 0;
	if (ran && run_loop(&t) == 0)
		ret = 0;
	if (cleanup(&t, ran) < 0)
		ret = 1;
	return ret;
}
