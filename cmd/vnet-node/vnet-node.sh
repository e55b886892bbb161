#!/bin/sh
# SPDX-License-Identifier: ISC
# vnet-node -- the supervisor: one vnet.conf(5) in, a running overlay node out.
#
# It reads a node description, checks the whole graph before it starts
# anything, creates the workloads' taps, starts one vnet-pipe chain per
# workload (vnet-tap = [vnet-acl] = [vnet-flowexport] = vnet-encap),
# restarts a chain whose member dies (with backoff, giving up on a crash
# loop), reloads on SIGHUP, and on SIGTERM stops its chains and removes
# what it created.  It never reads stdin; it logs to stderr with levels.
# vnet-node(8) is the manual, vnet.conf(5) the file format.

VERSION=@VERSION@
prog=vnet-node
run_dir=${VNET_RUN_DIR:-/run/vnet}

usage() {
	cat <<'EOF'
usage: vnet-node [-hV] [-v] [-f FILE] [--metrics-dir DIR] check|run
       vnet-node [-v] [-f FILE] --dry-run|--dot
       vnet-node [-v] [-f FILE] [--json|--tsv] status
       vnet-node [-v] [-f FILE] [--metrics-dir DIR] metrics
       vnet-node [-v] [-f FILE] segments

  FILE: the node description, vnet.conf(5) (default /etc/vnet/vnet.conf).
  check validates it, run starts and supervises the node (SIGHUP reloads,
  SIGTERM stops), status and metrics ask a running node, segments prints
  the segments (name, VNI, VLAN, port, subnet, gateway, tenant).

options:
  -h, --help             print this help and exit
  -V, --version          print the version and exit
  -v, --verbose          log more (may repeat)
  -f, --config FILE      the node description (default /etc/vnet/vnet.conf)
      --dry-run          check, then print the commands run would run
      --dot              check, then write the graph in Graphviz dot
      --json             status as one JSON object
      --tsv              status as tab-separated lines
      --metrics-dir DIR  write DIR/vnet-node-NODE.prom (run: every 10 s)
EOF
}

# --- logging -------------------------------------------------------------

verbose=0
# log LEVEL MESSAGE..., usage_error MESSAGE (shared with the other
# shell programs; the build puts lib/sh/log.sh here).
# @include lib/sh/log.sh

# --- the command line ----------------------------------------------------

config=/etc/vnet/vnet.conf
config_set=
mode=
format=table
metrics_dir=
set_mode() {
	[ -z "$mode" ] || [ "$mode" = "$1" ] ||
		usage_error "$1 and $mode cannot go together"
	[ "$mode" != "$1" ] || usage_error "$1 given twice"
	mode=$1
}
set_format() {
	[ "$format" = table ] || usage_error "--json and --tsv: one only"
	format=$1
}
need_arg() {
	[ "$2" -ge 2 ] || usage_error "$1 needs an argument"
}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-V | --version) printf '%s %s\n' "$prog" "$VERSION"; exit 0 ;;
	-v | --verbose) verbose=$((verbose + 1)) ;;
	-vv) verbose=$((verbose + 2)) ;;
	-f | --config)
		need_arg "$1" $#
		[ -z "$config_set" ] || usage_error "$1 given twice"
		config=$2 config_set=1
		shift ;;
	--config=*)
		[ -z "$config_set" ] || usage_error "--config given twice"
		config=${1#*=} config_set=1 ;;
	-f*)
		[ -z "$config_set" ] || usage_error "-f given twice"
		config=${1#-f} config_set=1 ;;
	--metrics-dir)
		need_arg "$1" $#
		[ -z "$metrics_dir" ] || usage_error "$1 given twice"
		metrics_dir=$2
		shift ;;
	--metrics-dir=*)
		[ -z "$metrics_dir" ] || usage_error "--metrics-dir given twice"
		metrics_dir=${1#*=} ;;
	--dry-run | --dot) set_mode "$1" ;;
	--json) set_format json ;;
	--tsv) set_format tsv ;;
	--dry-run=* | --dot=* | --json=* | --tsv=* | --help=* | --version=* | --verbose=*)
		usage_error "${1%%=*} takes no argument" ;;
	check | run | status | metrics | segments) set_mode "$1" ;;
	--) shift; break ;;
	--*) usage_error "unknown option '${1%%=*}'" ;;
	-?*) usage_error "unknown option '$1'" ;;
	*) usage_error "unknown command '$1'" ;;
	esac
	shift
done
[ $# -eq 0 ] || usage_error "unknown command '$1'"
[ -n "$mode" ] || usage_error "no command given"
[ "$format" = table ] || [ "$mode" = status ] ||
	usage_error "--json and --tsv go with status"
[ -z "$metrics_dir" ] || [ "$mode" = run ] || [ "$mode" = metrics ] ||
	[ "$mode" = check ] || usage_error "--metrics-dir goes with run or metrics"

exec </dev/null

# --- the parser: vnet.conf(5) -> the plan --------------------------------
#
# The plan is one record a line, fields separated by tabs, "-" for none:
#   node NAME
#   underlay ADDR PORT MTU LOC
#   encap KIND OVERHEAD LOC
#   limit RESTARTS SECONDS
#   policy FILE LOC | collector SPEC PROFILE LOC | fdb FILE LOC | keys FILE LOC
#   seg NAME VNI VLAN PORT SUBNET GATEWAY TENANT LOC
#   peer ADDR SEGMENTS LOC
#   wl NAME TAP SEGMENT MAC ADDR MTU POLICY LABELS LOC
# LOC is FILE:LINE.  Errors go to stderr as "FILE:LINE: what is wrong".

# shellcheck disable=SC2016 # an awk program, not a shell string
parse_awk='
function err(loc, msg) { print loc ": " msg | "cat 1>&2"; nerr++ }
function dirof(p) { if (p !~ /\//) return "."; sub(/\/[^\/]*$/, "", p); return p == "" ? "/" : p }
function resolve(base, p) { return p ~ /^\// ? p : dirof(base) "/" p }
function abs(p) { sub(/^(\.\/)+/, "", p); return p ~ /^\// ? p : pwd "/" p }
function readable(p,   l, r) { r = (getline l < p); if (r >= 0) close(p); return r >= 0 }
function isnum(s) { return s ~ /^[0-9]+$/ && length(s) < 10 }
function ipv4(s,   a, n, i) {
	n = split(s, a, ".")
	if (n != 4) return 0
	for (i = 1; i <= 4; i++) if (!isnum(a[i]) || a[i] + 0 > 255 || length(a[i]) > 3) return 0
	return 1
}
function ipv6(s) { return s ~ /^[0-9a-fA-F:.]+$/ && s ~ /:.*:/ }
function ipaddr(s) { return ipv4(s) || ipv6(s) }
function cidr(s,   a, n) {
	n = split(s, a, "/")
	if (n != 2 || !isnum(a[2])) return 0
	if (ipv4(a[1])) return a[2] + 0 <= 32
	if (ipv6(a[1])) return a[2] + 0 <= 128
	return 0
}
function mac(s) { return s ~ /^[0-9a-fA-F][0-9a-fA-F](:[0-9a-fA-F][0-9a-fA-F])(:[0-9a-fA-F][0-9a-fA-F])(:[0-9a-fA-F][0-9a-fA-F])(:[0-9a-fA-F][0-9a-fA-F])(:[0-9a-fA-F][0-9a-fA-F])$/ }
function word(s, max) { return s ~ /^[A-Za-z0-9][A-Za-z0-9_-]*$/ && length(s) <= max }
function once(key, loc) {
	if (key in seen) { err(loc, key " given twice (first at " seen[key] ")"); return 0 }
	seen[key] = loc
	return 1
}
# opts(loc, first, allowed): the "key value" pairs of fields first.. into
# o[], checked against the space-separated list allowed ("label" repeats).
function opts(loc, first, allowed,   i, k, ok) {
	split("", o)
	o["label"] = ""
	for (i = first; i <= nf; i++) {
		k = f[i]
		if ((" " allowed " ") !~ (" " k " ")) { err(loc, f[1] ": unknown option \047" k "\047"); return 0 }
		if (i == nf) { err(loc, f[1] ": " k " needs a value"); return 0 }
		if (k != "label" && (k in o) && k != "label") { err(loc, f[1] ": " k " given twice"); return 0 }
		if (k == "label") {
			if (f[i + 1] !~ /^[A-Za-z0-9_.-]+=[A-Za-z0-9_.:-]+$/) { err(loc, "bad label \047" f[i + 1] "\047 (KEY=VALUE)"); return 0 }
			o["label"] = o["label"] (o["label"] == "" ? "" : ",") f[i + 1]
		} else
			o[k] = f[i + 1]
		i++
	}
	return 1
}
function num(loc, what, s, lo, hi) {
	if (!isnum(s) || s + 0 < lo || s + 0 > hi) { err(loc, what " \047" s "\047 is not a number in " lo ".." hi); return 0 }
	return 1
}
function dash(s) { return s == "" ? "-" : s }
function parse(file, depth,   line, n, loc, i, c, t, p, nm) {
	if (depth > 8) { err(incloc[file], "includes nested too deep"); return }
	n = 0
	while ((c = (getline line < file)) > 0) {
		n++
		loc = file ":" n
		sub(/#.*/, "", line)
		nf = split(line, f, /[ \t]+/)
		if (nf > 0 && f[1] == "") { for (i = 1; i < nf; i++) f[i] = f[i + 1]; nf-- }
		if (nf > 0 && f[nf] == "") nf--
		if (nf == 0) continue
		t = f[1]
		if (t == "include") {
			if (nf != 2) { err(loc, "include takes one file"); continue }
			p = resolve(file, f[2])
			if (p in inc) { err(loc, "\047" f[2] "\047 is included twice (a loop?)"); continue }
			if (!readable(p)) { err(loc, "cannot read included file \047" f[2] "\047"); continue }
			inc[p] = 1; incloc[p] = loc
			parse(p, depth + 1)
		} else if (t == "node") {
			if (nf != 2) { err(loc, "node takes one name"); continue }
			if (!word(f[2], 24)) { err(loc, "bad node name \047" f[2] "\047 (A-Z a-z 0-9 _ -, at most 24)"); continue }
			if (once("node", loc)) node = f[2]
		} else if (t == "underlay") {
			if (nf < 2) { err(loc, "underlay needs an address"); continue }
			if (!ipaddr(f[2])) { err(loc, "bad underlay address \047" f[2] "\047"); continue }
			if (!opts(loc, 3, "port mtu")) continue
			if (!once("underlay", loc)) continue
			ul = f[2]; ulport = ""; ulmtu = 1500; ulloc = loc
			if ("port" in o) { if (!num(loc, "port", o["port"], 1, 65535)) continue; ulport = o["port"] }
			if ("mtu" in o) { if (!num(loc, "mtu", o["mtu"], 576, 65535)) continue; ulmtu = o["mtu"] }
		} else if (t == "encap") {
			if (nf != 2) { err(loc, "encap takes one kind (vxlan, geneve, nvgre)"); continue }
			if (!(f[2] in overhead)) { err(loc, "unknown encapsulation \047" f[2] "\047 (vxlan, geneve, nvgre)"); continue }
			if (once("encap", loc)) { encap = f[2]; encaploc = loc }
		} else if (t == "policy" || t == "fdb" || t == "keys") {
			if (nf != 2) { err(loc, t " takes one file"); continue }
			p = resolve(file, f[2])
			if (!readable(p)) { err(loc, "cannot read " t " file \047" f[2] "\047"); continue }
			if (once(t, loc)) { glob[t] = abs(p); globloc[t] = loc }
		} else if (t == "collector") {
			if (nf < 2) { err(loc, "collector needs an address"); continue }
			if (f[2] !~ /^((udp|tcp):)?[0-9A-Fa-f.:\[\]]+$/) { err(loc, "bad collector \047" f[2] "\047 (udp:ADDR[:PORT] or tcp:ADDR[:PORT])"); continue }
			if (!opts(loc, 3, "profile")) continue
			if (("profile" in o) && o["profile"] != "standard" && o["profile"] != "nfdump") { err(loc, "unknown profile \047" o["profile"] "\047 (standard, nfdump)"); continue }
			if (once("collector", loc)) { coll = f[2]; collprof = dash(o["profile"]); collloc = loc }
		} else if (t == "fabric") {
			if (nf < 2 || !word(f[2], 24)) { err(loc, "fabric needs a name (A-Z a-z 0-9 _ -, at most 24)"); continue }
			if (!opts(loc, 3, "endpoints ttl cacert cert key")) continue
			if (!("endpoints" in o)) { err(loc, "fabric " f[2] " has no endpoints (https://ADDR:2379,...)"); continue }
			n = split(o["endpoints"], ps, ",")
			for (i = 1; i <= n; i++) if (ps[i] !~ /^https?:\/\/[0-9A-Za-z.:\[\]-]+(:[0-9]+)?$/) break
			if (i <= n) { err(loc, "fabric: bad endpoint \047" ps[i] "\047 (http:// or https:// URLs, comma-separated)"); continue }
			if (("ttl" in o) && !num(loc, "ttl", o["ttl"], 2, 3600)) continue
			c = ("cacert" in o) + ("cert" in o) + ("key" in o)
			if (c != 0 && c != 3) { err(loc, "fabric: cacert, cert and key go together"); continue }
			tls = "-\t-\t-"
			if (c == 3) {
				tls = ""
				for (i = split("cacert cert key", ps, " "); i >= 1; i--) {
					p = resolve(file, o[ps[i]])
					if (!readable(p)) { err(loc, "cannot read fabric " ps[i] " file \047" o[ps[i]] "\047"); break }
					tls = abs(p) (tls == "" ? "" : "\t") tls
				}
				if (i >= 1) continue
			}
			if (once("fabric", loc)) { fab = f[2] "\t" o["endpoints"] "\t" (("ttl" in o) ? o["ttl"] : 10) "\t" tls; fabloc = loc }
		} else if (t == "restart-limit") {
			if (nf != 3) { err(loc, "restart-limit takes a count and seconds"); continue }
			if (!num(loc, "count", f[2], 1, 1000) || !num(loc, "seconds", f[3], 1, 86400)) continue
			if (once("restart-limit", loc)) { lim_n = f[2]; lim_s = f[3] }
		} else if (t == "segment") {
			if (nf < 2 || !word(f[2], 32)) { err(loc, "segment needs a name (A-Z a-z 0-9 _ -)"); continue }
			nm = f[2]
			if (!opts(loc, 3, "vni vlan port subnet gateway tenant")) continue
			if (nm in segloc) { err(loc, "segment " nm " defined twice (first at " segloc[nm] ")"); continue }
			if (!("vni" in o)) { err(loc, "segment " nm " has no vni"); continue }
			if (!num(loc, "vni", o["vni"], 0, 16777215)) continue
			if (o["vni"] + 0 in vniseg) { err(loc, "vni " o["vni"] " is segment " vniseg[o["vni"] + 0] "\047s already"); continue }
			if (("vlan" in o) && !num(loc, "vlan", o["vlan"], 1, 4094)) continue
			if (("port" in o) && !num(loc, "port", o["port"], 1, 65535)) continue
			if (("subnet" in o) && !cidr(o["subnet"])) { err(loc, "bad subnet \047" o["subnet"] "\047"); continue }
			if (("gateway" in o) && !ipaddr(o["gateway"])) { err(loc, "bad gateway \047" o["gateway"] "\047"); continue }
			if (("tenant" in o) && !word(o["tenant"], 32)) { err(loc, "bad tenant \047" o["tenant"] "\047"); continue }
			segloc[nm] = loc; vniseg[o["vni"] + 0] = nm; segs[++nseg] = nm
			seg[nm] = (o["vni"] + 0) "\t" dash(o["vlan"]) "\t" dash(o["port"]) "\t" dash(o["subnet"]) "\t" dash(o["gateway"]) "\t" dash(o["tenant"])
		} else if (t == "peer") {
			if (nf < 2 || !ipaddr(f[2])) { err(loc, "peer needs an underlay address, not \047" f[2] "\047"); continue }
			if (!opts(loc, 3, "segment")) continue
			peers[++npeer] = f[2] "\t" (("segment" in o) ? o["segment"] : "*") "\t" loc
		} else if (t == "workload") {
			if (nf < 2 || !word(f[2], 24)) { err(loc, "workload needs a name (A-Z a-z 0-9 _ -, at most 24)"); continue }
			nm = f[2]
			if (!opts(loc, 3, "tap segment mac addr mtu policy label")) continue
			if (nm in wlloc) { err(loc, "workload " nm " defined twice (first at " wlloc[nm] ")"); continue }
			k = nm; gsub(/-/, "_", k)
			if (k in wlkey) { err(loc, "workload " nm " and " wlkey[k] " differ only in - and _"); continue }
			if (!("tap" in o)) { err(loc, "workload " nm " has no tap"); continue }
			if (o["tap"] !~ /^[A-Za-z0-9_.-]+$/ || length(o["tap"]) > 15) { err(loc, "bad tap name \047" o["tap"] "\047 (at most 15 of A-Z a-z 0-9 _ . -)"); continue }
			if (o["tap"] in taploc) { err(loc, "tap " o["tap"] " is workload " tapwl[o["tap"]] "\047s already (" taploc[o["tap"]] ")"); continue }
			if (!("segment" in o)) { err(loc, "workload " nm " has no segment"); continue }
			if (("mac" in o) && !mac(o["mac"])) { err(loc, "bad mac \047" o["mac"] "\047"); continue }
			if (("addr" in o) && !cidr(o["addr"])) { err(loc, "bad addr \047" o["addr"] "\047 (ADDR/LEN)"); continue }
			if (("mtu" in o) && !num(loc, "mtu", o["mtu"], 68, 65535)) continue
			p = "-"
			if ("policy" in o) {
				p = resolve(file, o["policy"])
				if (!readable(p)) { err(loc, "cannot read policy file \047" o["policy"] "\047"); continue }
			}
			wlloc[nm] = loc; wlkey[k] = nm; taploc[o["tap"]] = loc; tapwl[o["tap"]] = nm
			wls[++nwl] = nm
			wl[nm] = o["tap"] "\t" o["segment"] "\t" dash(o["mac"]) "\t" dash(o["addr"]) "\t" dash(o["mtu"]) "\t" (p == "-" ? p : abs(p)) "\t" dash(o["label"])
		} else
			err(loc, "unknown key \047" t "\047")
	}
	if (c < 0) err(depth ? incloc[file] : file, "cannot read \047" file "\047")
	close(file)
}
BEGIN {
	overhead["vxlan"] = 50; overhead["geneve"] = 50; overhead["nvgre"] = 42
	# What sealing adds (vnet-encap(8) Sealed mode): key id, counter, tag,
	# and for GENEVE the option header.
	seal["vxlan"] = 36; seal["geneve"] = 40
	encap = "vxlan"; lim_n = 5; lim_s = 30
	inc[ARGV[1]] = 1
	parse(ARGV[1], 0)
	top = ARGV[1] ":1"
	if (node == "") err(ARGV[1], "no node name (node NAME)")
	if (ul == "") err(ARGV[1], "no underlay address (underlay ADDR)")
	if ("keys" in glob) {
		if (encap == "nvgre") err(globloc["keys"], "keys: sealed NVGRE does not exist (seal vxlan or geneve)")
		ov = seal[encap]
	} else
		ov = 0
	ov += overhead[encap] + (ul ~ /:/ ? 20 : 0)
	# The default port: IANA assigned for VXLAN and GENEVE, 4799
	# for sealed VXLAN (not VXLAN: never on a plain VXLAN port).
	if (ulport == "") ulport = encap == "geneve" ? 6081 : ("keys" in glob) ? 4799 : 4789
	used = ""
	for (i = 1; i <= nwl; i++) {
		nm = wls[i]; split(wl[nm], w, "\t")
		if (fab != "" && nm == "fabric") { err(wlloc[nm], "workload name \047fabric\047 is the fabric agent\047s"); continue }
		if (!(w[2] in seg)) { err(wlloc[nm], "workload " nm ": no segment \047" w[2] "\047"); continue }
		split(seg[w[2]], s, "\t")
		budget = ulmtu - ov
		if (w[5] != "-" && w[5] + 0 > budget) {
			err(wlloc[nm], "workload " nm ": mtu " w[5] " does not fit: underlay mtu " ulmtu " - " ov " (" encap (ul ~ /:/ ? " over IPv6" : " over IPv4") ") = " budget); continue
		}
		port = s[3] == "-" ? ulport : s[3]
		if (port in portwl) { err(wlloc[nm], "workload " nm ": underlay port " port " is workload " portwl[port] "\047s already (one VTEP a port: give segment " w[2] " its own port)"); continue }
		portwl[port] = nm
	}
	for (i = 1; i <= npeer; i++) {
		split(peers[i], pe, "\t")
		if (pe[2] == "*") continue
		n = split(pe[2], ps, ",")
		for (j = 1; j <= n; j++) if (!(ps[j] in seg)) err(pe[3], "peer " pe[1] ": no segment \047" ps[j] "\047")
	}
	if (nerr) exit 2
	printf "node\t%s\n", node
	printf "underlay\t%s\t%s\t%s\t%s\n", ul, ulport, ulmtu, ulloc
	printf "encap\t%s\t%s\t%s\n", encap, ov, encaploc == "" ? ulloc : encaploc
	printf "limit\t%s\t%s\n", lim_n, lim_s
	if ("policy" in glob) printf "policy\t%s\t%s\n", glob["policy"], globloc["policy"]
	if ("fdb" in glob) printf "fdb\t%s\t%s\n", glob["fdb"], globloc["fdb"]
	if ("keys" in glob) printf "keys\t%s\t%s\n", glob["keys"], globloc["keys"]
	if (coll != "") printf "collector\t%s\t%s\t%s\n", coll, collprof, collloc
	if (fab != "") printf "fabric\t%s\t%s\n", fab, fabloc
	for (i = 1; i <= nseg; i++) printf "seg\t%s\t%s\t%s\n", segs[i], seg[segs[i]], segloc[segs[i]]
	for (i = 1; i <= npeer; i++) printf "peer\t%s\n", peers[i]
	for (i = 1; i <= nwl; i++) printf "wl\t%s\t%s\t%s\n", wls[i], wl[wls[i]], wlloc[wls[i]]
}'

# parse FILE: the plan on stdout, or the errors on stderr and status 2.
# Files it names are made absolute from FILE's directory.
parse() {
	if ! [ -r "$1" ] || ! [ -f "$1" ]; then
		printf '%s: cannot read the node description\n' "$1" >&2
		return 2
	fi
	awk -v pwd="$PWD" "$parse_awk" "$1"
}

# --- the plan -> the chains ----------------------------------------------

tab=$(printf '\t')

# plan_get KEY: the fields of the plan's first KEY record.
plan_get() {
	awk -F "$tab" -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$plan"
}

# has_opt PROG OPTION: whether PROG --help lists OPTION (cached).
has_opt() {
	h=$work/help.$1
	[ -e "$h" ] || "$1" --help >"$h" 2>/dev/null || : >"$h"
	grep -q -- "$2\\b" "$h"
}

# chains: for every workload, one line "NAME<TAB>TAP<TAB>TAPSPEC<TAB>POLICY
# <TAB>LOC<TAB>COMMAND" into $work/chains, the command words separated by
# spaces (no word holds one: the parser allows none).
chains() {
	# shellcheck disable=SC2046 # the plan's words, split on purpose
	set -- $(plan_get underlay)
	ul=$1 ulport=$2 ulmtu=$3
	# shellcheck disable=SC2046
	set -- $(plan_get encap)
	kind=$1 ov=$2
	gpolicy=$(plan_get policy | cut -d' ' -f1)
	gfdb=$(plan_get fdb | cut -d' ' -f1)
	gkeys=$(plan_get keys | cut -d' ' -f1)
	coll=$(plan_get collector)
	awk -F "$tab" -v node="$node" -v st="$state" -v ul="$ul" -v ulport="$ulport" \
		-v ulmtu="$ulmtu" -v kind="$kind" -v ov="$ov" -v gpolicy="$gpolicy" \
		-v gfdb="$gfdb" -v gkeys="$gkeys" -v coll="$coll" '
	$1 == "seg" { vni[$2] = $3; vlan[$2] = $4; port[$2] = $5 }
	$1 == "peer" { np++; pa[np] = $2; ps[np] = $3 }
	$1 == "wl" {
		nm = $2; tap = $3; sg = $4; mac = $5; addr = $6; mtu = $7
		pol = $8 != "-" ? $8 : (gpolicy != "" ? gpolicy : "-")
		if (mtu == "-") mtu = ulmtu - ov
		p = port[sg] == "-" ? ulport : port[sg]
		in_ = node "-" nm
		c = "vnet-pipe vnet-tap --name " in_ "-tap --pidfile " st "/" nm ".tap.pid --mtu " mtu " " tap
		if (pol != "-")
			c = c " = vnet-acl -p " pol " --name " in_ "-acl --pidfile " st "/" nm ".acl.pid"
		if (coll != "") {
			split(coll, cf, " ")
			c = c " = vnet-flowexport -C " cf[1] (cf[2] != "-" ? " --profile " cf[2] : "") " --vni " vni[sg]
			if (vlan[sg] != "-") c = c " --map " vlan[sg] ":" vni[sg]
			c = c " --name " in_ "-flow --pidfile " st "/" nm ".flow.pid"
		}
		c = c " = vnet-encap -o udp:" ul ":" p " --dstport " p " --vni " vni[sg]
		if (vlan[sg] != "-") c = c " --map " vlan[sg] ":" vni[sg]
		for (i = 1; i <= np; i++) {
			if (pa[i] == ul) continue
			if (ps[i] != "*" && ("," ps[i] ",") !~ ("," sg ",")) continue
			c = c " -r " pa[i]
		}
		if (gfdb != "") c = c " --fdb " gfdb
		if (gkeys != "") c = c " --key-file " gkeys
		c = c " --mtu " ulmtu
		if (kind != "vxlan") c = c " --encap " kind
		c = c " --name " in_ "-encap --pidfile " st "/" nm ".encap.pid"
		printf "%s\t%s\t%s,%s,%s\t%s\t%s\t%s\n", nm, tap, mac, mtu, addr, pol, $10, c
	}
	$1 == "fabric" {
		c = "vnet-fabric --node " node " --fabric " $2 " --endpoints " $3 " --ttl " $4 " --local " st "/fabric.local --state " st "/fabric"
		if ($5 != "-") c = c " --cacert " $5 " --cert " $6 " --key " $7
		fl = c; floc = $8
	}
	END { if (fl != "") printf "fabric\t-\t-\t-\t%s\t%s\n", floc, fl }' "$plan" >"$work/chains"
}

# stages COMMAND: the members of a chain command, one a line.
stages() {
	printf '%s\n' "${1#vnet-pipe }" | sed 's/ = /\n/g'
}

# check_graph: what the parser cannot see: programs, policies, --describe.
check_graph() {
	bad=0
	for p in vnet-pipe vnet-tap vnet-encap vnet-ctl; do
		command -v "$p" >/dev/null 2>&1 ||
			{ log error "$p not found on PATH"; bad=1; }
	done
	if grep -q '^fabric	' "$work/chains"; then
		for p in vnet-fabric etcdctl jq; do
			command -v "$p" >/dev/null 2>&1 ||
				{ log error "$p not found on PATH (the fabric needs it)"; bad=1; }
		done
	fi
	for p in vnet-acl vnet-flowexport; do
		grep -q " = $p " "$work/chains" || continue
		command -v "$p" >/dev/null 2>&1 ||
			{ log error "$p not found on PATH"; bad=1; }
	done
	[ "$bad" = 0 ] || return 1
	# shellcheck disable=SC2046
	set -- $(plan_get encap)
	if [ "$1" != vxlan ] && ! has_opt vnet-encap --encap; then
		printf '%s: encap %s: this vnet-encap has no --encap option (it knows vxlan only)\n' "$3" "$1" >&2
		return 1
	fi
	# Each policy once: vnet-acl --check names its own file:line.
	cut -f4 "$work/chains" | sort -u | while read -r pol; do
		[ "$pol" = - ] && continue
		out=$(vnet-acl --check -p "$pol" 2>&1) || {
			loc=$(awk -F "$tab" -v p="$pol" '$4 == p { print $5; exit }' "$work/chains")
			printf '%s: policy %s is refused:\n%s\n' "$loc" "$pol" "$out" >&2
			exit 1
		}
	done || return 1
	# Each stage's --describe, where the program has one.
	described=0 skipped=
	while IFS="$tab" read -r nm _ _ _ loc cmd; do
		for member in $(stages "$cmd" | tr ' ' '\036'); do
			member=$(printf '%s' "$member" | tr '\036' ' ')
			p=${member%% *}
			if ! has_opt "$p" --describe; then
				case " $skipped " in *" $p "*) ;; *) skipped="$skipped $p" ;; esac
				continue
			fi
			# Without the pid file: its directory is made by run.
			member=$(printf '%s' "$member" |
				sed 's/ --pidfile [^ ]*//')
			# shellcheck disable=SC2086 # the member's words
			out=$(set -f; $member --describe 2>&1 >/dev/null) || {
				printf '%s: workload %s: %s refuses its stage:\n%s\n' \
					"$loc" "$nm" "$p" "$out" >&2
				return 1
			}
			described=$((described + 1))
		done
	done <"$work/chains"
	[ -z "$skipped" ] ||
		log info "no --describe in$skipped: their stages are not checked beyond the files"
	log debug "$described stages described"
	return 0
}

# load FILE: parse and check into $work (plan, chains); 0, or 2 with the
# errors said.
load() {
	parse "$1" >"$work/plan.new" || return 2
	plan=$work/plan.new
	node=$(plan_get node)
	state=$run_dir/node-$node
	chains
	check_graph || return 2
	mv "$work/plan.new" "$work/plan"
	plan=$work/plan
	return 0
}

# --- output of check -----------------------------------------------------

dry_run() {
	printf '# node %s, from %s\n' "$node" "$config"
	while IFS="$tab" read -r nm tap spec _ loc cmd; do
		mac=${spec%%,*} rest=${spec#*,} mtu=${rest%%,*} addr=${rest#*,}
		if [ "$tap" = - ]; then
			printf '\n# the fabric agent (%s)\n%s\n' "$loc" "$cmd"
			continue
		fi
		printf '\n# workload %s (%s)\n' "$nm" "$loc"
		printf 'ip tuntap add dev %s mode tap\n' "$tap"
		printf 'ip link set dev %s%s mtu %s up\n' "$tap" \
			"$([ "$mac" = - ] || printf ' address %s' "$mac")" "$mtu"
		[ "$addr" = - ] || printf 'ip addr add %s dev %s\n' "$addr" "$tap"
		printf '%s\n' "$cmd" | sed 's/ = / = \\\n    /g'
	done <"$work/chains"
}

dot() {
	printf 'digraph "vnet-node %s" {\n\trankdir=LR;\n\tnode [shape=box];\n' "$node"
	# shellcheck disable=SC2046
	set -- $(plan_get underlay)
	printf '\t"underlay" [label="underlay %s\\nmtu %s", shape=ellipse];\n' "$1" "$3"
	awk -F "$tab" -v ul="$1" '$1 == "peer" && $2 != ul {
		printf "\t\"peer %s\" [shape=ellipse];\n\t\"underlay\" -> \"peer %s\" [dir=both, label=\"%s\"];\n", $2, $2, $3 }' "$plan"
	while IFS="$tab" read -r nm tap spec _ _ cmd; do
		if [ "$tap" = - ]; then
			printf '\t"fabric" [label="vnet-fabric\\n(etcd)", shape=component];\n'
			printf '\t"fabric" -> "underlay" [style=dashed];\n'
			continue
		fi
		addr=${spec##*,}
		printf '\tsubgraph "cluster_%s" {\n\t\tlabel="workload %s";\n' "$nm" "$nm"
		printf '\t\t"%s/tap" [label="tap %s%s", shape=ellipse];\n' "$nm" "$tap" \
			"$([ "$addr" = - ] || printf '\\n%s' "$addr")"
		prev=$nm/tap i=0
		for member in $(stages "$cmd" | sed 's/ .*//'); do
			i=$((i + 1))
			printf '\t\t"%s/%s" [label="%s"];\n' "$nm" "$i" "$member"
			printf '\t\t"%s" -> "%s/%s" [dir=both];\n' "$prev" "$nm" "$i"
			prev=$nm/$i
		done
		printf '\t}\n\t"%s" -> "underlay" [dir=both];\n' "$prev"
	done <"$work/chains"
	printf '}\n'
}

# --- run: taps, chains, supervision ---------------------------------------

# The one clock of the loop: centiseconds since boot.
now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# dead PID: the process is gone or a zombie.
dead() {
	s=
	read -r _ _ s _ 2>/dev/null <"/proc/$1/stat" || return 0
	[ "$s" = Z ]
}

key_of() {
	printf '%s' "$1" | tr -- '-' '_'
}
get() {
	eval "printf '%s' \"\${$1_$(key_of "$2"):-}\""
}
put() {
	eval "$1_$(key_of "$2")=\$3"
}

# tap_up NAME TAPSPEC: create the tap if missing (recorded), set it up
# ("-": the fabric agent has none).
tap_up() {
	[ "$1" != - ] || return 0
	tap=$1 mac=${2%%,*} rest=${2#*,}
	mtu=${rest%%,*} addr=${rest#*,}
	if ! ip link show dev "$tap" >/dev/null 2>&1; then
		ip tuntap add dev "$tap" mode tap ||
			{ log error "cannot create tap $tap"; return 1; }
		printf 'tap\t%s\n' "$tap" >>"$state/created"
		log info "created tap $tap"
	fi
	if [ "$mac" != - ]; then
		ip link set dev "$tap" address "$mac" ||
			{ log error "cannot set the MAC address of tap $tap to $mac"; return 1; }
	fi
	ip link set dev "$tap" mtu "$mtu" up ||
		{ log error "cannot set tap $tap to mtu $mtu, up"; return 1; }
	if [ "$addr" != - ] && ! ip -o addr show dev "$tap" | grep -q " ${addr} "; then
		ip addr add "$addr" dev "$tap" ||
			{ log error "cannot add address $addr to tap $tap"; return 1; }
		printf 'addr\t%s\t%s\n' "$tap" "$addr" >>"$state/created"
	fi
	return 0
}

# tap_down NAME: remove what tap_up created for it.
tap_down() {
	[ "$1" != - ] || return 0
	[ -f "$state/created" ] || return 0
	if grep -qx "tap	$1" "$state/created"; then
		ip link del dev "$1" 2>/dev/null ||
			log warning "cannot remove tap $1"
		log info "removed tap $1"
	else
		grep "^addr	$1	" "$state/created" | cut -f3 | while read -r a; do
			ip addr del "$a" dev "$1" 2>/dev/null
		done
	fi
	grep -v "^[a-z]*	$1\\(	\\|\$\\)" "$state/created" >"$state/created.tmp"
	mv "$state/created.tmp" "$state/created"
}

# start NAME: start a workload's chain.
start() {
	cmd=$(get cmd "$1")
	(
		set -f
		# shellcheck disable=SC2086 # the command's words
		exec $cmd >/dev/null
	) &
	pid=$!
	put pid "$1" "$pid"
	put started "$1" "$(now_cs)"
	printf '%s\n' "$pid" >"$state/$1.pid"
	date +%s >"$state/$1.start"
	get restarts "$1" >"$state/$1.restarts"
	echo running >"$state/$1.state"
	log info "workload $1: chain started (pid $pid)"
}

# stop NAME: stop a workload's chain: SIGTERM, then SIGKILL after 7 s.
stop() {
	pid=$(get pid "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	i=0
	while ! dead "$pid" && [ $i -lt 70 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	dead "$pid" || {
		log warning "workload $1: chain pid $pid did not stop, killing it"
		kill -KILL "$pid" 2>/dev/null
	}
	wait "$pid" 2>/dev/null
	# The fabric agent's helpers (a watch, a keep-alive), should it have
	# been killed before it could end them.
	if [ "$1" = fabric ] && [ -r "$state/fabric/pids" ]; then
		read -r p1 p2 p3 <"$state/fabric/pids"
		for p in $p1 $p2 $p3; do
			grep -q etcdctl "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null
		done
	fi
	put pid "$1" ""
	rm -f "$state/$1.pid"
	echo stopped >"$state/$1.state"
	log info "workload $1: chain stopped"
}

# The backoff before the Nth quick restart, in centiseconds.
backoff_cs() {
	case $1 in
	0 | 1) echo 10 ;;
	2) echo 20 ;;
	3) echo 50 ;;
	4) echo 100 ;;
	5) echo 200 ;;
	*) echo 500 ;;
	esac
}

# sum FILE: a checksum of FILE's contents ("-" when it has none).
sum() {
	[ "$1" != - ] && [ -r "$1" ] && cksum <"$1" || echo -
}

# encap_sum: the checksums of the files vnet-encap reloads (FDB, keys).
encap_sum() {
	printf '%s %s' "$(sum "${gfdb:--}")" "$(sum "${gkeys:--}")"
}

# fabric_local: $state/fabric.local, what the fabric agent advertises:
# the VTEP of each workload's VNI, and each workload's MAC (its tap's,
# once made) and address.  0 if it changed.
fabric_local() {
	# shellcheck disable=SC2046
	set -- $(plan_get underlay)
	awk -F "$tab" -v ul="$1" -v ulport="$2" -v node="$node" -v st="$state" '
	$1 == "seg" { vni[$2] = $3; port[$2] = $5 == "-" ? ulport : $5 }
	$1 == "wl" {
		p = port[$4]
		if (!(vni[$4] in done)) printf "vtep\t%s\t%s\t%s\t%s\n", vni[$4], ul, p, node "-" $2 "-encap"
		done[vni[$4]] = 1
		mac = $5
		if (mac == "-") { f = "/sys/class/net/" $3 "/address"; if ((getline mac < f) <= 0) mac = "-"; close(f) }
		ip = $6; sub(/\/.*/, "", ip)
		if (mac != "-") printf "mac\t%s\t%s\t%s\t%s\n", vni[$4], tolower(mac), ip, $2
	}' "$plan" >"$state/fabric.local.new"
	if cmp -s "$state/fabric.local.new" "$state/fabric.local"; then
		rm -f "$state/fabric.local.new"
		return 1
	fi
	mv "$state/fabric.local.new" "$state/fabric.local"
	return 0
}

# adopt: take the workloads of $work/chains in, as new ones or changed.
# Sets $names to the workloads, starts or restarts what needs it.
adopt() {
	newnames=
	while IFS="$tab" read -r nm tap spec pol _ cmd; do
		newnames="$newnames $nm"
		if [ "$nm" = fabric ] && [ "$tap" = - ] && fabric_local; then
			pid=$(get pid fabric)
			if [ -n "$pid" ] && [ "$(get cmd fabric)" = "$cmd" ]; then
				log notice "fabric: the node's workloads changed, the agent told (SIGHUP)"
				kill -HUP "$pid" 2>/dev/null
			fi
		fi
		old=$(get cmd "$nm")
		oldspec=$(get spec "$nm")
		if [ -z "$old" ] && [ -z "$oldspec" ]; then
			put cmd "$nm" "$cmd"
			put tap "$nm" "$tap"
			put spec "$nm" "$tap $spec"
			put restarts "$nm" 0
			put quick "$nm" 0
			put times "$nm" ""
			put polsum "$nm" "$(sum "$pol")"
			put pol "$nm" "$pol"
			put fdbsum "$nm" "$(encap_sum)"
			tap_up "$tap" "$spec" || return 1
			start "$nm"
			continue
		fi
		if [ "$oldspec" != "$tap $spec" ]; then
			log notice "workload $nm: tap changed, restarting its chain"
			stop "$nm"
			tap_down "$(get tap "$nm")"
			put tap "$nm" "$tap"
			put spec "$nm" "$tap $spec"
			tap_up "$tap" "$spec" || return 1
			put cmd "$nm" "$cmd"
			put polsum "$nm" "$(sum "$pol")"
			start "$nm"
		elif [ "$old" != "$cmd" ]; then
			log notice "workload $nm: chain changed, restarting it"
			stop "$nm"
			put cmd "$nm" "$cmd"
			put polsum "$nm" "$(sum "$pol")"
			start "$nm"
		else
			s=$(sum "$pol")
			if [ "$s" != "$(get polsum "$nm")" ]; then
				if out=$(vnet-ctl --timeout 5s "$node-$nm-acl" reload 2>&1); then
					log notice "workload $nm: policy reloaded ($(printf '%s\n' "$out" | head -n 1))"
					put polsum "$nm" "$s"
				else
					log error "workload $nm: policy reload refused, the old one stays: $out"
				fi
			fi
			s=$(encap_sum)
			if [ -n "$gfdb$gkeys" ] && [ "$s" != "$(get fdbsum "$nm")" ]; then
				if out=$(vnet-ctl --timeout 5s "$node-$nm-encap" reload 2>&1); then
					log notice "workload $nm: ${gfdb:+FDB}${gfdb:+${gkeys:+ and }}${gkeys:+keys} reloaded ($(printf '%s\n' "$out" | head -n 1))"
					put fdbsum "$nm" "$s"
				else
					log error "workload $nm: reload of ${gfdb:+the FDB}${gfdb:+${gkeys:+ and }}${gkeys:+the keys} refused, the old stay: $out"
				fi
			fi
			log debug "workload $nm: unchanged"
			continue
		fi
		put fdbsum "$nm" "$(encap_sum)"
	done <"$work/chains"
	for nm in $names; do
		case " $newnames " in *" $nm "*) continue ;; esac
		log notice "workload $nm: removed"
		stop "$nm"
		tap_down "$(get tap "$nm")"
		put cmd "$nm" ""
		put spec "$nm" ""
		rm -f "$state/$nm".*
	done
	names=$newnames
	awk -F "$tab" '{ print $1 "\t" $2 "\t" $6 }' "$work/chains" >"$state/chains"
	return 0
}

# supervise NAME: a dead chain is waited for and scheduled for restart;
# a due one started.  Returns 1 on a crash loop.
supervise() {
	pid=$(get pid "$1")
	t=$(now_cs)
	if [ -n "$pid" ]; then
		dead "$pid" || return 0
		wait "$pid"
		rc=$?
		put pid "$1" ""
		rm -f "$state/$1.pid"
		r=$(($(get restarts "$1") + 1))
		put restarts "$1" "$r"
		echo "$r" >"$state/$1.restarts"
		# The restarts within the window, this one included.
		lim_s=$(plan_get limit | cut -d' ' -f2)
		lim_n=$(plan_get limit | cut -d' ' -f1)
		times=
		n=0
		for x in $(get times "$1") "$t"; do
			[ $((t - x)) -lt $((lim_s * 100)) ] || continue
			times="$times $x"
			n=$((n + 1))
		done
		put times "$1" "$times"
		if [ "$n" -gt "$lim_n" ]; then
			log error "workload $1: chain exited $n times within ${lim_s}s (restart-limit $lim_n $lim_s), last with status $rc: a crash loop, giving up"
			return 1
		fi
		# Quick failures back off; one that ran a minute starts over.
		q=$(get quick "$1")
		if [ $((t - $(get started "$1"))) -ge 6000 ]; then q=0; fi
		q=$((q + 1))
		put quick "$1" "$q"
		b=$(backoff_cs "$q")
		put next "$1" $((t + b))
		echo backoff >"$state/$1.state"
		log warning "workload $1: chain exited with status $rc, restart $r in $((b * 10))ms"
		return 0
	fi
	[ -n "$(get cmd "$1")" ] || return 0
	[ "$t" -ge "$(get next "$1")" ] || return 0
	start "$1"
	# A restarted VTEP has lost what the fabric gave it: the agent
	# resyncs on SIGHUP.
	fpid=$(get pid fabric)
	if [ "$1" != fabric ] && [ -n "$fpid" ]; then
		kill -HUP "$fpid" 2>/dev/null
	fi
}

# cleanup: stop every chain, remove what was created.
cleanup() {
	for nm in $names; do
		stop "$nm"
	done
	if [ -f "$state/created" ]; then
		cut -f2 "$state/created" | sort -u | while read -r tap; do
			tap_down "$tap"
		done
	fi
	[ -z "$metrics_dir" ] || rm -f "$metrics_dir/vnet-node-$node.prom"
	rm -rf "$state" "$work"
}

run() {
	if [ -f "$state/node.pid" ] && kill -0 "$(cat "$state/node.pid")" 2>/dev/null; then
		log error "node $node runs already (pid $(cat "$state/node.pid"), $state)"
		rm -rf "$work"
		exit 1
	fi
	rm -rf "$state"
	mkdir -p "$state" || { log error "cannot make $state"; exit 1; }
	echo $$ >"$state/node.pid"
	printf '%s\n' "$config" >"$state/config.path"
	: >"$state/created"
	got_term=''
	got_hup=''
	trap 'got_term=1' TERM INT
	trap 'got_hup=1' HUP
	names=
	gfdb=$(plan_get fdb | cut -d' ' -f1)
	gkeys=$(plan_get keys | cut -d' ' -f1)
	if ! adopt; then
		cleanup
		exit 1
	fi
	log notice "node $node: running$(printf ' %s' "$names" | sed 's/  */ /g') from $config"
	status=0
	last_metrics=0
	while [ -z "$got_term" ]; do
		if [ -n "$got_hup" ]; then
			got_hup=
			log notice "SIGHUP: reloading $config"
			if parse "$config" >"$work/plan.hup" && plan_node=$(awk -F "$tab" '$1 == "node" { print $2 }' "$work/plan.hup") &&
				[ "$plan_node" = "$node" ]; then
				oldplan=$work/plan.old
				cp "$work/plan" "$oldplan"
				cp "$work/chains" "$work/chains.old"
				if load "$config"; then
					gfdb=$(plan_get fdb | cut -d' ' -f1)
					gkeys=$(plan_get keys | cut -d' ' -f1)
					adopt || { status=1; break; }
				else
					log error "reload refused (the errors above): the running node stays"
					cp "$oldplan" "$work/plan"
					cp "$work/chains.old" "$work/chains"
					plan=$work/plan
				fi
			else
				[ -z "${plan_node:-}" ] || [ "$plan_node" = "$node" ] ||
					log error "reload refused: the node name cannot change ($node, now $plan_node)"
				log error "reload refused: the running node stays"
			fi
		fi
		for nm in $names; do
			supervise "$nm" || { status=1; break 2; }
		done
		if [ -n "$metrics_dir" ]; then
			t=$(now_cs)
			if [ $((t - last_metrics)) -ge 1000 ]; then
				write_metrics "$metrics_dir" || :
				last_metrics=$t
			fi
		fi
		sleep 0.1
	done
	[ -z "$got_term" ] || log notice "node $node: stopping"
	cleanup
	exit "$status"
}

# --- status and metrics --------------------------------------------------

# members NAME: "ROLE<TAB>PROGRAM<TAB>INSTANCE<TAB>PID" of a chain.
members() {
	for role in tap acl flow encap; do
		f=$state/$1.$role.pid
		grep -q -- "--name $node-$1-$role " "$state/chains" 2>/dev/null || continue
		case $role in
		tap) p=vnet-tap ;; acl) p=vnet-acl ;; flow) p=vnet-flowexport ;;
		*) p=vnet-encap ;;
		esac
		pid=-
		[ -r "$f" ] && read -r pid <"$f"
		printf '%s\t%s\t%s-%s-%s\t%s\n' "$role" "$p" "$node" "$1" "$role" "${pid:--}"
	done
}

need_state() {
	if [ -f "$state/node.pid" ] && kill -0 "$(cat "$state/node.pid")" 2>/dev/null; then
		return 0
	fi
	{
		log error "node $node is not running (no $state/node.pid)"
		rm -rf "$work"
		exit 1
	}
}

# status_tsv: "chain" and "member" lines, then "counter" lines.
status_tsv() {
	nowe=$(date +%s)
	cut -f1 "$state/chains" | while read -r nm; do
		pid=- st=stopped up=0 r=0
		[ -r "$state/$nm.pid" ] && read -r pid <"$state/$nm.pid"
		[ -r "$state/$nm.state" ] && read -r st <"$state/$nm.state"
		[ -r "$state/$nm.restarts" ] && read -r r <"$state/$nm.restarts"
		[ "$st" != running ] || { read -r s0 <"$state/$nm.start"; up=$((nowe - s0)); }
		if [ "$nm" = fabric ] && ! grep -q "^fabric	[^	]*	vnet-pipe " "$state/chains"; then
			# The agent is its own member; its counters are a file.
			printf 'chain\t%s\tvnet-fabric\t-\t%s\t%s\t%s\t%s\n' "$nm" "$pid" "$st" "$up" "$r"
			ms=down
			[ "$pid" != - ] && [ "$st" = running ] && kill -0 "$pid" 2>/dev/null && ms=up
			printf 'member\t%s\tvnet-fabric\t%s-fabric\t%s\t%s\t%s\t%s\n' "$nm" "$node" "$pid" "$ms" "$up" "$r"
			[ "$ms" = up ] && [ -r "$state/fabric/counters" ] &&
				awk -F "$tab" -v i="$node-fabric" 'NF == 2 {
					printf "counter\tfabric\tvnet-fabric\t%s\t%s\t%s\n", i, $1, $2 }' "$state/fabric/counters"
			continue
		fi
		printf 'chain\t%s\tvnet-pipe\t-\t%s\t%s\t%s\t%s\n' "$nm" "$pid" "$st" "$up" "$r"
		members "$nm" | while IFS="$tab" read -r role p inst mpid; do
			ms=down
			[ "$mpid" != - ] && [ "$st" = running ] && kill -0 "$mpid" 2>/dev/null && ms=up
			printf 'member\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$nm" "$p" "$inst" "$mpid" "$ms" "$up" "$r"
			[ "$ms" = up ] || continue
			vnet-ctl --timeout 2s "$inst" counters 2>/dev/null |
				awk -F "$tab" -v w="$nm" -v p="$p" -v i="$inst" 'NR > 4 && NF == 2 {
					printf "counter\t%s\t%s\t%s\t%s\t%s\n", w, p, i, $1, $2 }'
		done
	done
}

status() {
	need_state
	status_tsv >"$work/status"
	case $format in
	tsv) cat "$work/status" ;;
	json) awk -F "$tab" -v node="$node" -v npid="$(cat "$state/node.pid")" '
		function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
		function n(s) { return s == "-" ? "null" : s }
		function endmember() { if (inm) { printf "%s}", (nc ? "}" : "") ; inm = 0 } }
		function endchain() { endmember(); if (inc) { printf "]}"; inc = 0 } }
		$1 == "chain" {
			endchain()
			printf "%s{\"workload\":%s,\"pid\":%s,\"state\":%s,\"uptime\":%s,\"restarts\":%s,\"members\":[", (nch++ ? "," : ""), q($2), n($5), q($6), $7, $8
			inc = 1; nm = 0
		}
		$1 == "member" {
			endmember()
			printf "%s{\"program\":%s,\"instance\":%s,\"pid\":%s,\"state\":%s", (nm++ ? "," : ""), q($3), q($4), n($5), q($6)
			inm = 1; nc = 0
		}
		$1 == "counter" {
			printf "%s%s:%s", (nc++ ? "," : ",\"counters\":{"), q($5), $6
		}
		BEGIN { printf "{\"node\":%s,\"pid\":%s,\"chains\":[", q(node), npid }
		END { endchain(); print "]}" }' "$work/status" ;;
	*)
		printf '%-16s %-16s %-28s %7s %-8s %7s %8s\n' WORKLOAD PROGRAM INSTANCE \
			PID STATE UPTIME RESTARTS
		awk -F "$tab" '$1 == "chain" || $1 == "member" {
			printf "%-16s %-16s %-28s %7s %-8s %6ss %8s\n", $2, $3, $4, $5, $6, $7, $8 }
			$1 == "counter" && $6 != 0 && v { printf "%46s %-24s %s\n", "", $5, $6 }' \
			v="$verbose" "$work/status" ;;
	esac
	rm -rf "$work"
	exit 0
}

# metrics_text: the Prometheus text exposition format, each metric's
# samples together under one HELP and TYPE.
metrics_text() {
	status_tsv | awk -F "$tab" -v node="$node" '
	function l(w, extra) { return "{node=\"" node "\",workload=\"" w "\"" extra "}" }
	$1 == "chain" {
		m["vnet_node_chain_up"] = m["vnet_node_chain_up"] "vnet_node_chain_up" l($2, "") " " ($6 == "running") "\n"
		m["vnet_node_chain_restarts_total"] = m["vnet_node_chain_restarts_total"] "vnet_node_chain_restarts_total" l($2, "") " " $8 "\n"
		m["vnet_node_chain_uptime_seconds"] = m["vnet_node_chain_uptime_seconds"] "vnet_node_chain_uptime_seconds" l($2, "") " " $7 "\n"
	}
	$1 == "member" {
		m["vnet_node_member_up"] = m["vnet_node_member_up"] "vnet_node_member_up" l($2, ",program=\"" $3 "\",instance=\"" $4 "\"") " " ($6 == "up") "\n"
	}
	# A label value needs no escape: names with a quote or backslash are
	# left out.
	$1 == "counter" && $6 ~ /^[0-9]+$/ && $5 !~ /["\\]/ {
		c = $5
		m["vnet_stat"] = m["vnet_stat"] "vnet_stat" l($2, ",program=\"" $3 "\",instance=\"" $4 "\",name=\"" c "\"") " " $6 "\n"
	}
	END {
		help["vnet_node_chain_up"] = "1 if the chain of the workload runs"
		type["vnet_node_chain_up"] = "gauge"
		help["vnet_node_chain_restarts_total"] = "restarts of the chain of the workload"
		type["vnet_node_chain_restarts_total"] = "counter"
		help["vnet_node_chain_uptime_seconds"] = "seconds since the chain last started"
		type["vnet_node_chain_uptime_seconds"] = "gauge"
		help["vnet_stat"] = "the counters of each member, as vnet-ctl NAME counters gives them"
		help["vnet_node_member_up"] = "1 if the member process runs"
		type["vnet_node_member_up"] = "gauge"
		for (k in m) {
			printf "# HELP %s %s\n# TYPE %s %s\n%s", k, help[k], k, (k in type) ? type[k] : "untyped", m[k]
		}
	}'
}

# write_metrics DIR: DIR/vnet-node-NODE.prom, written whole (tmp + mv).
write_metrics() {
	f=$1/vnet-node-$node.prom
	if metrics_text >"$f.$$.tmp" && mv "$f.$$.tmp" "$f"; then
		return 0
	fi
	rm -f "$f.$$.tmp"
	log warning "cannot write $f"
	return 1
}

# --- main ----------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vnet-node.XXXXXX") || {
	log error "cannot make a temporary directory"
	exit 1
}
trap 'rm -rf "$work"' EXIT
case $mode in
status | metrics)
	# Only the node name is needed: the state says the rest.  A file
	# broken since the node started still names it.
	plan=$work/plan
	if parse "$config" >"$plan" 2>/dev/null; then
		node=$(plan_get node)
	else
		node=$(sed 's/#.*//' "$config" 2>/dev/null | awk '$1 == "node" && NF == 2 { print $2; exit }')
		[ -n "$node" ] || { parse "$config" >/dev/null; rm -rf "$work"; exit 2; }
	fi
	state=$run_dir/node-$node
	need_state
	if [ "$mode" = status ]; then
		status
	elif [ -n "$metrics_dir" ]; then
		write_metrics "$metrics_dir" || exit 1
	else
		metrics_text
	fi
	exit 0 ;;
esac
load "$config" || exit 2
case $mode in
check) log info "$config: node $node: $(wc -l <"$work/chains") workloads, OK" ;;
segments)
	# shellcheck disable=SC2046 # the plan's words
	set -- $(plan_get underlay)
	awk -F "$tab" -v p="$2" 'BEGIN { OFS = FS }
		$1 == "seg" { if ($5 == "-") $5 = p; print $2, $3, $4, $5, $6, $7, $8 }' "$plan" ;;
--dry-run) dry_run ;;
--dot) dot ;;
run) trap - EXIT; run ;;
esac
exit 0
