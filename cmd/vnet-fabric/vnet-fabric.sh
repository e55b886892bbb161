#!/bin/sh
# SPDX-License-Identifier: ISC
# vnet-fabric -- the fabric agent of a node: membership, flood lists and
# MAC reachability through etcd, applied to the node's VTEPs one entry at
# a time.
#
# It joins the fabric with an etcd lease (its VTEP per VNI: EVPN's
# inclusive multicast route), advertises its workloads' MACs with a
# sequence number (EVPN's MAC/IP route and MAC mobility), watches every
# other node's keys and installs them in its vnet-encap instances
# through their control sockets (flood-add, fdb-add ...).  It resumes a
# watch from the last revision it saw, resyncs once when that revision
# is compacted, keeps the last state while the store is away, and
# retries with backoff.  etcd is reached with etcdctl (etcd-client);
# vnet-fabric(8) is the manual.  It never reads stdin; it logs to stderr.

VERSION=@VERSION@
prog=vnet-fabric
run_dir=${VNET_RUN_DIR:-/run/vnet}

usage() {
	cat <<'EOF'
usage: vnet-fabric [-hV] [-v] --node NODE --fabric FABRIC --endpoints URLS
                   --local FILE [--ttl N] [--cacert FILE --cert FILE
                   --key FILE] [--state DIR]
       vnet-fabric [-v] --node NODE --fabric FABRIC --endpoints URLS
                   [--cacert FILE --cert FILE --key FILE] dump

  FILE: the node's local VTEPs and workloads, lines "vtep VNI ADDR PORT
  INSTANCE" and "mac VNI MAC IP|- WORKLOAD" (vnet-node writes it; SIGHUP
  reads it again).  dump prints the fabric as the store holds it.

options:
  -h, --help           print this help and exit
  -V, --version        print the version and exit
  -v, --verbose        log more (may repeat)
      --node NODE      this node's name (its keys: /vnet/FABRIC/nodes/NODE/)
      --fabric FABRIC  the fabric's name, the key prefix /vnet/FABRIC/
      --endpoints URLS the etcd members, comma-separated https:// or http://
      --local FILE     the local VTEPs and workloads
      --ttl N          the lease's TTL in seconds (2..3600, default 10)
      --cacert FILE    the CA of the members' certificates
      --cert FILE      this node's client certificate (its CN: NODE)
      --key FILE       its key
      --state DIR      where the agent keeps its state
                       (default /run/vnet/fabric-NODE)
EOF
}

# --- logging and the command line -----------------------------------------

verbose=0
# log LEVEL MESSAGE..., usage_error MESSAGE (shared with the other
# shell programs; the build puts lib/sh/log.sh here).
# @include lib/sh/log.sh

node='' fabric='' endpoints='' local='' ttl=10 cacert='' cert='' key='' st='' mode=run
need_arg() {
	[ "$2" -ge 2 ] || usage_error "$1 needs an argument"
}
# opt NAME VALUE: one option's value, given once.
seen=' '
opt() {
	case $seen in *" $1 "*) usage_error "--$1 given twice" ;; esac
	seen="$seen$1 "
	case $1 in
	node) node=$2 ;; fabric) fabric=$2 ;; endpoints) endpoints=$2 ;;
	local) local=$2 ;; ttl) ttl=$2 ;; cacert) cacert=$2 ;; cert) cert=$2 ;;
	key) key=$2 ;; state) st=$2 ;;
	esac
}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-V | --version) printf '%s %s\n' "$prog" "$VERSION"; exit 0 ;;
	-v | --verbose) verbose=$((verbose + 1)) ;;
	-vv) verbose=$((verbose + 2)) ;;
	--node | --fabric | --endpoints | --local | --ttl | --cacert | --cert | --key | --state)
		need_arg "$1" $#
		opt "${1#--}" "$2"
		shift ;;
	--node=* | --fabric=* | --endpoints=* | --local=* | --ttl=* | --cacert=* | --cert=* | --key=* | --state=*)
		o=${1%%=*}
		opt "${o#--}" "${1#*=}" ;;
	--help=* | --version=* | --verbose=*) usage_error "${1%%=*} takes no argument" ;;
	dump) mode=dump ;;
	--*) usage_error "unknown option '${1%%=*}'" ;;
	-*) usage_error "unknown option '$1'" ;;
	*) usage_error "unknown command '$1'" ;;
	esac
	shift
done
word() {
	case $1 in '' | *[!A-Za-z0-9_-]*) return 1 ;; esac
	[ ${#1} -le 24 ]
}
word "$node" || usage_error "--node NODE: 1 to 24 of A-Z a-z 0-9 _ -"
word "$fabric" || usage_error "--fabric FABRIC: 1 to 24 of A-Z a-z 0-9 _ -"
case $endpoints in
http://* | https://*) ;;
*) usage_error "--endpoints URLS: http:// or https:// etcd client URLs, comma-separated" ;;
esac
case $ttl in '' | *[!0-9]*) usage_error "--ttl: seconds, 2..3600" ;; esac
if [ "$ttl" -lt 2 ] || [ "$ttl" -gt 3600 ]; then usage_error "--ttl: seconds, 2..3600"; fi
if [ -n "$cacert$cert$key" ]; then
	if [ -z "$cacert" ] || [ -z "$cert" ] || [ -z "$key" ]; then
		usage_error "--cacert, --cert and --key go together"
	fi
	for f in "$cacert" "$cert" "$key"; do
		[ -r "$f" ] || usage_error "cannot read $f"
	done
fi
[ "$mode" = dump ] || [ -n "$local" ] || usage_error "--local FILE is needed"
[ -z "$local" ] || [ -r "$local" ] || usage_error "cannot read $local"
for p in etcdctl jq; do
	command -v "$p" >/dev/null 2>&1 ||
		{ log error "$p not found on PATH (etcd-client, jq)"; exit 1; }
done
exec </dev/null

tab=$(printf '\t')
pfx=/vnet/$fabric/nodes/
mine=$pfx$node/

# ectl ARGS...: etcdctl on the fabric's members, bounded in time;
# ectl_exec the same in place of the (sub)shell, so that $! is its pid.
export ETCDCTL_API=3
ectl() {
	(ectl_exec "$@")
}
ectl_exec() {
	if [ -n "$cert" ]; then
		exec etcdctl --endpoints "$endpoints" --cacert "$cacert" \
			--cert "$cert" --key "$key" --dial-timeout 2s --command-timeout 5s "$@"
	fi
	exec etcdctl --endpoints "$endpoints" --dial-timeout 2s --command-timeout 5s "$@"
}

# The keys, in the mirror as files named NODE~vtep~VNI and
# NODE~mac~VNI~MAC; jq turns the store's base64 into "KEY<TAB>VALUE".
# shellcheck disable=SC2016 # a jq program
kv_jq='.kvs // [] | .[] | [(.key | @base64d), ((.value // "") | @base64d)] | @tsv'
# shellcheck disable=SC2016
watch_jq='.Header.revision as $r | if .Canceled then "cancel\t\($r)\t\(.CompactRevision)" else
	"resp\t\($r)\t\((.Events // []) | length)",
	((.Events // [])[] | ["ev", $r, (if .type == 1 then "del" else "put" end), (.kv.key | @base64d),
	((.kv.value // "") | @base64d), ((.prev_kv.value // "") | @base64d)] | @tsv) end'

if [ "$mode" = dump ]; then
	ectl get --prefix "$pfx" -w json | jq -r "$kv_jq" || exit 1
	exit 0
fi

st=${st:-$run_dir/fabric-$node}
mkdir -p "$st" || { log error "cannot make $st"; exit 1; }
rm -rf "$st/kv" "$st/inst" "$st"/c.*
mkdir -p "$st/kv/vtep" "$st/kv/mac" "$st/inst" || { log error "cannot make $st"; exit 1; }

# --- counters ----------------------------------------------------------------

# count NAME [N]: add to a counter (files: the watch runs in a subshell).
# (POSIX sh has no local variables: the helpers' names are their own.)
count() {
	_cf=$st/c.$1
	_cv=0
	[ -r "$_cf" ] && read -r _cv <"$_cf"
	echo $((_cv + ${2:-1})) >"$_cf"
}
counters_write() {
	for _c in events puts deletes bad_keys lease_grants resyncs outages \
		outage_seconds watch_restarts bursts mac_moved_away applied apply_errors \
		remote_vteps remote_macs; do
		_cv=0
		[ -r "$st/c.$_c" ] && read -r _cv <"$st/c.$_c"
		printf '%s\t%s\n' "$_c" "$_cv"
	done >"$st/counters.tmp" && mv "$st/counters.tmp" "$st/counters"
}

# --- the local side: vteps and workloads, and the VTEPs they are applied to -

# local_read: $st/local.tsv from FILE, checked; 1 on a bad line.
local_read() {
	awk -F "$tab" -v f="$local" '
	function bad(m) { printf "%s:%d: %s\n", f, NR, m | "cat 1>&2"; err = 1 }
	/^#/ || NF == 0 { next }
	$1 == "vtep" && NF == 5 {
		if ($2 !~ /^[0-9]+$/ || $2 + 0 > 16777215) { bad("bad VNI " $2); next }
		if ($4 !~ /^[0-9]+$/ || $4 + 0 < 1 || $4 + 0 > 65535) { bad("bad port " $4); next }
		print; next }
	$1 == "mac" && NF == 5 {
		if ($2 !~ /^[0-9]+$/ || $2 + 0 > 16777215) { bad("bad VNI " $2); next }
		if (tolower($3) !~ /^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]$/) { bad("bad MAC " $3); next }
		$3 = tolower($3); print; next }
	{ bad("expected vtep VNI ADDR PORT INSTANCE or mac VNI MAC IP WORKLOAD") }
	END { exit err }' OFS="$tab" "$local" >"$st/local.new" || return 1
	mv "$st/local.new" "$st/local.tsv"
	ul=$(awk -F "$tab" '$1 == "vtep" { print $3; exit }' "$st/local.tsv")
	return 0
}

# inst_of VNI: the local vnet-encap instance of VNI, and its port.
inst_of() {
	awk -F "$tab" -v v="$1" '$1 == "vtep" && $2 == v { print $5 " " $4; exit }' "$st/local.tsv"
}

# apply INSTANCE CMD ARGS...: one change to a VTEP, counted.
apply() {
	if out=$(vnet-ctl --timeout 2s "$@" 2>&1); then
		count applied
		log debug "$1: $2 ${3:-} ${4:-} ${5:-}: $out"
		return 0
	fi
	count apply_errors
	log warning "$1: $2 ${3:-} ${4:-} ${5:-} refused: $out"
	return 1
}

# --- the mirror and what it makes of it ------------------------------------
#
# The store's keys as files, one directory per key of a route, so that
# each change reads only its own (O(1) in the size of the fabric):
#   kv/vtep/VNI/NODE      "ADDR PORT"
#   kv/mac/VNI~MAC/NODE   "SEQ ADDR IP"
# inst/VNI~MAC is the VTEP a MAC is installed behind.

# kv_file KEY: the mirror path of a key of the fabric, or failure for a
# key that is not one (only well-formed keys are believed).
kv_file() {
	printf '%s\n' "${1#"$pfx"}" | awk -F/ '
		$1 !~ /^[A-Za-z0-9_-]+$/ || length($1) > 24 { exit 1 }
		NF == 3 && $2 == "vtep" && $3 ~ /^[0-9]+$/ && $3 + 0 <= 16777215 { print "vtep/" $3 + 0 "/" $1; exit }
		NF == 4 && $2 == "mac" && $3 ~ /^[0-9]+$/ && $3 + 0 <= 16777215 &&
			$4 ~ /^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]$/ {
			print "mac/" $3 + 0 "~" $4 "/" $1; exit }
		{ exit 1 }'
}
v4() {
	printf '%s\n' "$1" | awk -F. 'NF == 4 { for (i = 1; i <= 4; i++) if ($i !~ /^[0-9]+$/ || $i > 255) exit 1; ok = 1 }
		END { exit !ok }'
}
# mirror_put PATH VALUE, mirror_del PATH: the mirror changed, and the
# gauges with it (other nodes' routes only).
mirror_put() {
	d=$st/kv/${1%/*}
	[ -d "$d" ] || mkdir -p "$d"
	if [ ! -e "$st/kv/$1" ] && [ "${1##*/}" != "$node" ]; then
		case $1 in vtep/*) count remote_vteps ;; *) count remote_macs ;; esac
	fi
	printf '%s\n' "$2" >"$st/kv/$1"
}
mirror_del() {
	[ -e "$st/kv/$1" ] || return 0
	rm -f "$st/kv/$1"
	if [ "${1##*/}" != "$node" ]; then
		case $1 in vtep/*) count remote_vteps -1 ;; *) count remote_macs -1 ;; esac
	fi
}

# winner VNI MAC: "NODE SEQ ADDR" of the advertisement in force: the
# highest sequence number, and on a tie the lowest VTEP address (EVPN's
# rule), whoever wrote last.
winner() {
	for f in "$st/kv/mac/$1~$2"/*; do
		[ -r "$f" ] || continue
		read -r s a _ <"$f"
		printf '%s %s %s\n' "$s" "$a" "${f##*/}"
	done | sort -k1,1nr -k2,2V | awk 'NR == 1 { print $3, $1, $2 }'
}

# mac_event VNI MAC: the entry of (VNI, MAC) made right in its VTEP.
mac_event() {
	set -- "$1" "$2" "$(inst_of "$1")"
	[ -n "$3" ] || return 0
	inst=${3% *}
	w=$(winner "$1" "$2")
	i=$st/inst/$1~$2
	have=
	[ -r "$i" ] && read -r have <"$i"
	wn=${w%% *}
	wa=${w##* }
	if [ -z "$w" ] || [ "$wn" = "$node" ]; then
		[ -z "$have" ] || { apply "$inst" fdb-del "$1" "$2"; rm -f "$i"; }
	elif [ "$have" != "$wa" ]; then
		apply "$inst" fdb-add "$1" "$2" "$wa"
		echo "$wa" >"$i"
	fi
	# A local workload's MAC advertised with a higher number elsewhere:
	# it moved away; ours is withdrawn.  When no one advertises it any
	# more while it is still here, ours is put again.
	grep -q "^mac$tab$1$tab$2$tab" "$st/local.tsv" || return 0
	if [ -n "$w" ] && [ "$wn" != "$node" ] && [ -r "$st/kv/mac/$1~$2/$node" ]; then
		log notice "MAC $2 (VNI $1) is advertised by $wn with a higher sequence number: it moved away; withdrawn here"
		count mac_moved_away
		ectl del "${mine}mac/$1/$2" >/dev/null 2>&1 || :
	elif [ -z "$w" ]; then
		: >"$st/readvertise"
	fi
}

# ev put|del KEY VALUE PREV: one change seen by the watch.
ev() {
	f=$(kv_file "$2") || { count bad_keys; log debug "ignored key $2"; return 0; }
	case $f in
	vtep/*)
		v=${f#vtep/}
		v=${v%/*}
		n=${f##*/}
		if [ "$1" = put ]; then
			a=${3%% *} p=${3##* }
			if ! v4 "$a" || [ "$a" = "$p" ]; then count bad_keys; return 0; fi
			mirror_put "$f" "$3"
			count puts
		else
			# What was withdrawn: the mirror knows it even where the
			# store no longer gives the previous value.
			x=$4
			[ -r "$st/kv/$f" ] && read -r x <"$st/kv/$f"
			a=${x%% *} p=${x##* }
			mirror_del "$f"
			count deletes
		fi
		[ "$n" != "$node" ] || return 0
		x=$(inst_of "$v")
		[ -n "$x" ] && [ -n "$a" ] || return 0
		if [ "$p" != "${x#* }" ]; then
			log warning "node $n: VNI $v on port $p, this node's is ${x#* }: left out"
		elif [ "$1" = put ]; then
			apply "${x% *}" flood-add "$v" "$a"
		else
			apply "${x% *}" flood-del "$v" "$a"
		fi ;;
	mac/*)
		if [ "$1" = put ]; then
			# SEQ ADDR IP
			printf '%s\n' "$3" | awk 'NF == 3 && $1 ~ /^[0-9]+$/ && length($1) < 10 { ok = 1 } END { exit !ok }' ||
				{ count bad_keys; return 0; }
			v4 "$(printf '%s' "$3" | cut -d' ' -f2)" || { count bad_keys; return 0; }
			mirror_put "$f" "$3"
			count puts
		else
			mirror_del "$f"
			count deletes
		fi
		x=${f#mac/}
		x=${x%/*}
		mac_event "${x%%~*}" "${x#*~}" ;;
	esac
}

# resync: the whole fabric from one read of the store; every VTEP's
# fabric set replaced at once (vnet-encap fabric-load), which leaves no
# duplicate and no stale entry whatever was missed.  One jq and one awk
# for all the keys, winners included: a process a key would make the
# resync of a large fabric take minutes.  Sets $rev.
resync() {
	ectl get --prefix "$pfx" -w json >"$st/get.json" 2>"$st/get.err" || return 1
	r=$(jq -r '.header.revision' "$st/get.json") || return 1
	rm -rf "$st/kv" "$st/inst" "$st"/load.*
	mkdir -p "$st/kv/vtep" "$st/kv/mac" "$st/inst"
	jq -r "$kv_jq" "$st/get.json" | awk -F "$tab" -v pfx="$pfx" -v st="$st" -v me="$node" \
		-v localf="$st/local.tsv" '
	function v4(a,   p, n, i) { n = split(a, p, "."); if (n != 4) return 0
		for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] + 0 > 255) return 0; return 1 }
	# An address as a number, for the tie-break (as sort -V orders them).
	function a4(a,   p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
	BEGIN {
		mkdirs = "xargs -r -d \047\\n\047 mkdir -p"
		while ((getline l < localf) > 0) { split(l, x, "\t"); if (x[1] == "vtep") port[x[2]] = x[4] }
		close(localf)
	}
	{
		k = substr($1, length(pfx) + 1); n = split(k, f, "/"); v = $2; split(v, w, " ")
		if (index($1, pfx) != 1 || f[1] !~ /^[A-Za-z0-9_-]+$/ || length(f[1]) > 24) { bad++; next }
		vni = f[3] + 0
		if (n == 3 && f[2] == "vtep" && f[3] ~ /^[0-9]+$/ && vni <= 16777215 &&
		    v4(w[1]) && w[2] ~ /^[0-9]+$/) {
			d = st "/kv/vtep/" vni
			if (f[1] != me) {
				nv++
				if (vni in port) {
					if (w[2] == port[vni]) flood[vni] = flood[vni] vni "\t00:00:00:00:00:00\t" w[1] "\n"
					else printf "vnet-fabric: warning: node %s: VNI %d on port %s, this node\047s is %s: left out\n", f[1], vni, w[2], port[vni] | "cat 1>&2"
				}
			}
		} else if (n == 4 && f[2] == "mac" && f[3] ~ /^[0-9]+$/ && vni <= 16777215 &&
		    f[4] ~ /^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]$/ &&
		    w[1] ~ /^[0-9]+$/ && length(w[1]) < 10 && v4(w[2]) && w[3] != "") {
			m = vni "~" f[4]
			d = st "/kv/mac/" m
			if (f[1] != me) nm++
			# The winner: the highest number, then the lowest address.
			if (!(m in ws) || w[1] + 0 > ws[m] || (w[1] + 0 == ws[m] && a4(w[2]) < a4(wa[m]))) {
				ws[m] = w[1] + 0; wa[m] = w[2]; wn[m] = f[1]
			}
		} else { bad++; next }
		if (!(d in made)) { made[d] = 1; print d | mkdirs }
		file[d "/" f[1]] = v
	}
	END {
		# The directories first, by xargs: one command line would be
		# too long for a large fabric.
		close(mkdirs)
		for (p in file) { print file[p] > p; close(p) }
		for (m in ws) {
			split(m, x, "~")
			if (!(x[1] in port) || wn[m] == me) continue
			print wa[m] > (st "/inst/" m); close(st "/inst/" m)
			mac[x[1]] = mac[x[1]] x[1] "\t" x[2] "\t" wa[m] "\n"
		}
		for (v in port) { lf = st "/load." v; printf "%s%s", flood[v], mac[v] > lf; close(lf) }
		print nv + 0 > (st "/c.remote_vteps"); print nm + 0 > (st "/c.remote_macs")
		print bad + 0 > (st "/resync.bad")
	}'
	x=0
	read -r x <"$st/resync.bad"
	[ "$x" = 0 ] || count bad_keys "$x"
	# A VTEP that is not up yet (a chain that vnet-node is starting or
	# restarting) refuses: the resync is tried again a second later.
	rm -f "$st/retry"
	awk -F "$tab" '$1 == "vtep" { print $2, $5 }' "$st/local.tsv" | while read -r v inst; do
		apply "$inst" fabric-load "$st/load.$v" || : >"$st/retry"
	done
	rev=$r
	echo "$rev" >"$st/rev"
	count resyncs
	log info "resync at revision $rev: $(cat "$st/c.remote_vteps") VTEPs, $(cat "$st/c.remote_macs") MACs of other nodes"
	return 0
}

# --- joining: the lease and our keys ---------------------------------------

lease=
join() {
	out=$(ectl lease grant "$ttl" 2>&1) || { log warning "lease grant: $out"; return 1; }
	lease=$(printf '%s\n' "$out" | awk '$1 == "lease" { print $2; exit }')
	[ -n "$lease" ] || { log warning "lease grant: $out"; return 1; }
	count lease_grants
	advertise || return 1
	if [ -n "$kpid" ]; then
		kill -TERM "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
	fi
	(ectl_exec lease keep-alive "$lease" >/dev/null 2>&1) &
	kpid=$!
	pids_write
	log notice "joined fabric $fabric as $node (lease $lease, TTL ${ttl}s)"
	return 0
}

# seq_for VNI MAC: our sequence number for a local MAC: the one we hold
# if it is in force, else one more than any other advertisement of it.
seq_for() {
	w=$(winner "$1" "$2")
	if [ -n "$w" ] && [ "${w%% *}" = "$node" ]; then
		printf '%s\n' "$w" | cut -d' ' -f2
		return
	fi
	hi=-1
	for f in "$st/kv/mac/$1~$2"/*; do
		[ -r "$f" ] || continue
		read -r s _ <"$f"
		[ "$s" -le "$hi" ] || hi=$s
	done
	echo $((hi + 1))
}

# advertise: our keys as local.tsv says, with the lease; the keys of
# ours the store holds that it no longer names are deleted.
advertise() {
	: >"$st/mine.new"
	while IFS="$tab" read -r kind v a b _; do
		case $kind in
		vtep) k=${mine}vtep/$v val="$a $b" ;;
		mac) k=${mine}mac/$v/$a val="$(seq_for "$v" "$a") $ul $b" ;;
		*) continue ;;
		esac
		printf '%s\n' "$k" >>"$st/mine.new"
		ectl put --lease="$lease" "$k" "$val" >/dev/null 2>&1 || return 1
	done <"$st/local.tsv"
	ectl get --prefix --keys-only "$mine" 2>/dev/null | grep . | while read -r k; do
		grep -qx -- "$k" "$st/mine.new" || ectl del "$k" >/dev/null 2>&1 || :
	done
	mv "$st/mine.new" "$st/mine"
	rm -f "$st/readvertise"
	return 0
}

# --- the watch ---------------------------------------------------------------

# etcdctl (epid) writes into a pipe, the reader (wpid) turns it into
# changes; when etcdctl ends, the reader sees the end and ends too.  The
# pipe's left side records etcdctl's pid in $st/epid.
wpid='' epid=''
watch_start() {
	# Never two watches: the pids of one would be lost.
	watch_stop
	: >"$st/watch.err"
	rm -f "$st/epid"
	{
		(ectl_exec watch --prefix "$pfx" --prev-kv -w json --rev $((rev + 1)) \
			2>>"$st/watch.err") &
		echo $! >"$st/epid"
		wait
	} | (
		jq --unbuffered -r "$watch_jq" 2>>"$st/watch.err" |
			while IFS="$tab" read -r kind r t k val prev; do
				case $kind in
				cancel)
					printf 'compacted %s\n' "$t" >>"$st/watch.err"
					break ;;
				resp)
					# A burst (a bulk registration, a resync
					# elsewhere) is applied as one resync, not
					# change by change.
					if [ "$t" -gt "$burst" ]; then
						count bursts
						: >"$st/resync"
						break
					fi ;;
				ev)
					count events
					ev "$t" "$k" "$val" "$prev"
					echo "$r" >"$st/rev" ;;
				esac
			done
	) &
	wpid=$!
	epid_read
	pids_write
}
# epid_read: etcdctl's pid, once the pipe's left side has written it.
epid_read() {
	i=0
	while [ ! -s "$st/epid" ] && [ $i -lt 50 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	epid=
	[ -s "$st/epid" ] && read -r epid <"$st/epid"
}
# pids_write: the agent's helpers in $st/pids, so that whoever has to
# kill the agent with SIGKILL (vnet-node) can end them too.
pids_write() {
	echo "${epid:-} ${wpid:-} ${kpid:-}" >"$st/pids"
}
watch_stop() {
	[ -n "$wpid" ] || return 0
	[ -n "$epid" ] || epid_read
	[ -n "$epid" ] && kill -TERM "$epid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid='' epid=''
}
alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null && {
		s=
		read -r _ _ s _ 2>/dev/null <"/proc/$1/stat"
		[ "$s" != Z ]
	}
}

# --- main --------------------------------------------------------------------

local_read || exit 2
got_term='' got_hup=''
trap 'got_term=1' TERM INT
trap 'got_hup=1' HUP
burst=${VNET_FABRIC_BURST:-32} retries=0
rev=0 kpid='' up='' down_since='' backoff=1 next_try=0 last_probe=0
now() { cut -d. -f1 /proc/uptime; }
stop_all() {
	watch_stop
	[ -z "$kpid" ] || { kill -TERM "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null; }
	# Leaving on purpose: our keys go at once, not at the lease's end.
	[ -z "$lease" ] || [ -z "$up" ] || ectl lease revoke "$lease" >/dev/null 2>&1 || :
}
counters_write
while [ -z "$got_term" ]; do
	tnow=$(now)
	if [ -z "$up" ]; then
		if [ "$tnow" -ge "$next_try" ]; then
			# Back with the lease alive: our keys again under it;
			# else a new lease.
			if resync && if alive "$kpid"; then advertise; else join; fi; then
				watch_start
				up=1 backoff=1
				if [ -n "$down_since" ]; then
					count outage_seconds $((tnow - down_since))
					log notice "the store is back after $((tnow - down_since))s: resynced at revision $rev"
					down_since=
				fi
			else
				[ -n "$down_since" ] || {
					down_since=$tnow
					count outages
					log warning "the store is unreachable ($(tail -n 1 "$st/get.err" 2>/dev/null)): forwarding with the last state, retrying"
				}
				next_try=$((tnow + backoff))
				[ $backoff -ge 16 ] || backoff=$((backoff * 2))
			fi
		fi
	else
		if [ -n "$got_hup" ]; then
			got_hup=
			retries=0
			if local_read; then
				log notice "SIGHUP: $local read again"
				advertise || log warning "advertising failed: retrying"
				watch_stop
				resync || :
				watch_start
			else
				log error "SIGHUP: $local refused: the old one stays"
			fi
		fi
		[ ! -e "$st/readvertise" ] || advertise || :
		if ! alive "$kpid"; then
			log warning "the lease $lease is lost: joining again"
			join || { up=''; watch_stop; }
		fi
		# The reader stopped at a burst: the watch goes (its etcdctl
		# would wait for the next change to notice), one resync.
		if [ -e "$st/resync" ]; then
			rm -f "$st/resync"
			watch_stop
			log info "a burst of changes: one resync"
			if resync; then watch_start; else up=; fi
		fi
		# A VTEP refused the last resync: again, every second, 60 times
		# at most (then at the next SIGHUP, which vnet-node sends when
		# it restarts a chain).
		if [ -e "$st/retry" ] && [ "$retries" -lt 60 ]; then
			retries=$((retries + 1))
			watch_stop
			if resync; then watch_start; else up=; fi
			[ -e "$st/retry" ] || retries=0
		fi
		if [ -n "$up" ] && ! alive "$wpid"; then
			watch_stop
			if grep -q 'compacted' "$st/watch.err"; then
				count watch_restarts
				log notice "revision $rev is compacted: one full resync"
				resync || up=
			else
				count watch_restarts
			fi
			[ -r "$st/rev" ] && read -r rev <"$st/rev"
			[ -z "$up" ] || watch_start
		fi
		# The store's health, every 3 s: an outage is counted and the
		# state kept; when it is back, one resync converges.
		if [ $((tnow - last_probe)) -ge 3 ]; then
			last_probe=$tnow
			if ! ectl get --prefix --keys-only --limit 1 "$mine" >/dev/null 2>"$st/get.err"; then
				up=
				watch_stop
				down_since=$tnow
				count outages
				log warning "the store is unreachable ($(tail -n 1 "$st/get.err")): forwarding with the last state, retrying"
				next_try=$((tnow + 1))
			fi
		fi
	fi
	counters_write
	sleep 0.5 &
	wait $! 2>/dev/null
done
log notice "leaving fabric $fabric"
stop_all
exit 0
