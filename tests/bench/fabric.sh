#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# fabric.sh -- the fabric at scale: a real etcd cluster (contrib/etcd-lab,
# 3 members, TLS, RBAC), one real vnet node (vnet-node + vnet-fabric +
# vnet-encap) and a generator that registers simulated VTEPs with 10 MACs
# each, to FABRIC_SCALE VTEPs (default "10 100 1000").  At each size the
# real node is measured for one more join: the time from the joiner's
# write to its 10 MACs being in the node's VTEP, the CPU the agent spent
# on it, the node's state (agent files, vnet-encap memory), the etcd
# write rate of the bulk registration, and the cost of head-end
# replication of BUM frames to that many VTEPs (replicas a frame, CPU of
# vnet-encap a frame).
#
#   bash tests/bench/fabric.sh [BUILD_DIR]       (what `make bench` runs)
#
# Needs root, etcd-server, etcd-client, openssl, jq; writes the Markdown
# report to BUILD_DIR/bench-fabric.md (or $BENCH_FABRIC_OUT) and shows it.
# Addresses: underlay 198.18.0.0/24, the simulated VTEPs 198.18.16.0/20
# (held by the generator's host, so that the flooded copies are really
# sent and delivered), overlay 198.19.1.0/24.  Everything it makes is
# removed on exit.

set -u -o pipefail
export LC_ALL=C

b=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$(cd "$b" && pwd) || exit 1
scale=${FABRIC_SCALE:-10 100 1000}
out_md=${BENCH_FABRIC_OUT:-$b/bench-fabric.md}
export PATH="$b/bin:$top/contrib:$PATH"
die() { echo "fabric.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "fabric.sh: needs root, skipped" >&2; exit 0; }
for p in etcd etcdctl openssl jq ping vnet-node vnet-fabric vnet-encap; do
	command -v "$p" >/dev/null || die "$p not found (sh contrib/install-deps; make)"
done
for n in $scale; do
	case $n in '' | *[!0-9]*) die "FABRIC_SCALE: numbers of VTEPs" ;; esac
	[ "$n" -le 4000 ] || die "FABRIC_SCALE: at most 4000 VTEPs (198.18.16.0/20)"
done

lab=fb$$
work=$(mktemp -d "${TMPDIR:-/tmp}/vnet-fabric-bench.XXXXXX") || die "mktemp failed"
P=$work/pki
cleanup() {
	vnet-lab down "$work/lab" >/dev/null 2>&1
	etcd-lab stop "$P" e1 e2 e3 >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' "lab $lab" "host e1 198.18.0.11/24" "host e2 198.18.0.12/24" \
	"host e3 198.18.0.13/24" "host g 198.18.0.20/24" >"$work/lab"
vnet-lab up "$work/lab" || die "the lab did not come up"
etcd-lab certs "$P" e1=198.18.0.11 e2=198.18.0.12 e3=198.18.0.13 -- "$lab-a" >/dev/null || die "certs"
etcd-lab start "$P" "$work/lab" e1 e2 e3 || die "etcd did not start"
etcd-lab auth "$P" F "$lab-a" || die "etcd auth"
eps=$(cat "$P/endpoints")
# The simulated VTEPs' addresses, on the generator's host.
{
	for ((i = 0; i < 4000; i++)); do
		printf 'addr add 198.18.%d.%d/32 dev u0\n' $((16 + i / 250)) $((1 + i % 250))
	done
} >"$work/addrs"
vnet-lab exec "$work/lab" g ip -batch "$work/addrs" || die "cannot give g the simulated addresses"
cp "$P/ca.pem" "$P/$lab-a.pem" "$P/$lab-a-key.pem" "$work/"
printf '%s\n' "node $lab-a" "underlay 198.18.0.1" "segment red vni 100" \
	"fabric F endpoints $eps ttl 30 cacert ca.pem cert $lab-a.pem key $lab-a-key.pem" \
	"workload red-a tap red segment red mac 02:00:00:01:00:01 addr 198.19.1.1/24" >"$work/a.conf"
echo "host a 198.18.0.1/24 a.conf" >>"$work/lab"
vnet-lab up "$work/lab" a || die "node a did not come up"
vnet-lab exec "$work/lab" a ip route add 198.18.16.0/20 dev u0
inst=$lab-a-red-a-encap
st=/run/vnet/node-$lab-a/fabric

on() { local h=$1; shift; vnet-lab exec "$work/lab" "$h" "$@"; }
ctl() { etcd-lab ctl "$P" root "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
addr_of() { printf '198.18.%d.%d' $((16 + $1 / 250)) $((1 + $1 % 250)); }
mac_of() { printf '02:10:%02x:%02x:00:%02x' $(($1 / 256)) $(($1 % 256)) "$2"; }
# The agent's CPU in clock ticks: it and every process under it (the
# watch's reader and what it ran and waited for).
agent_ticks() {
	local root
	root=$(awk -F'\t' '$1 == "member" && $3 == "vnet-fabric" { print $5 }' <(on a vnet-node -f "$work/a.conf" --tsv status))
	[ -n "$root" ] || { echo 0; return; }
	# pid (comm) state ppid ... utime stime cutime cstime: fields 14-17.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$root" '{
		pid = $1; sub(/^.*\) /, ""); par[pid] = $2; t[pid] = $12 + $13 + $14 + $15 }
		END { for (p in t) { q = p; n = 0
			while (q != "" && q != root && q > 1 && n++ < 64) q = par[q]
			if (q == root) s += t[p] }
			print s + 0 }'
}
rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
encap_pid() {
	awk -F'\t' '$1 == "member" && $3 == "vnet-encap" { print $5 }' <(on a vnet-node -f "$work/a.conf" --tsv status)
}
fabric_macs() {
	on a vnet-ctl "$inst" fabric | awk -F'\t' '$4 != "flood" && $2 ~ /^02:10:/' | wc -l
}
counter() {
	on a vnet-ctl "$inst" counters | awk -F'\t' -v c="$1" '$1 == c { print $2 }'
}

# register FROM TO: simulated VTEPs FROM..TO-1, 10 of them a transaction
# of 110 puts under one lease; prints the keys written a second.
register() {
	local from=$1 to=$2 i j lease t0 ms n=$((($2 - $1) * 11))
	lease=$(ctl lease grant 3600 | awk '{ print $2 }')
	t0=$(now_ms)
	for ((i = from; i < to; i += 10)); do
		{
			echo
			for ((j = i; j < i + 10 && j < to; j++)); do
				printf 'put --lease=%s /vnet/F/nodes/sim%d/vtep/100 "%s 4789"\n' "$lease" "$j" "$(addr_of "$j")"
				for ((k = 0; k < 10; k++)); do
					printf 'put --lease=%s /vnet/F/nodes/sim%d/mac/100/%s "0 %s -"\n' "$lease" "$j" "$(mac_of "$j" "$k")" "$(addr_of "$j")"
				done
			done
			printf '\n\n'
		} | ctl txn >/dev/null || die "a registration transaction failed"
	done
	ms=$(($(now_ms) - t0))
	echo $((n * 1000 / (ms > 0 ? ms : 1)))
}

printf '| VTEPs | MACs | registration: etcd writes/s | join -> in the VTEP, ms | agent CPU a join, ms | agent state, files | vnet-encap RSS, KiB | BUM replicas a frame | vnet-encap CPU a BUM frame, us |\n' >"$work/table"
printf '|---|---|---|---|---|---|---|---|---|\n' >>"$work/table"
have=0
hz=$(getconf CLK_TCK)
for n in $scale; do
	rate=$(register "$have" "$n")
	have=$n
	# Converged on the bulk: every simulated MAC in the VTEP.
	for ((i = 0; i < 1200; i++)); do
		[ "$(fabric_macs)" -ge $((10 * n)) ] && break
		sleep 0.25
	done
	[ "$(fabric_macs)" -ge $((10 * n)) ] || die "node a did not converge on $n VTEPs"
	# One join more: its own lease, its VTEP and 10 MACs in one write.
	c0=$(agent_ticks)
	lease=$(ctl lease grant 3600 | awk '{ print $2 }')
	j=$((n + 3000))
	{
		echo
		printf 'put --lease=%s /vnet/F/nodes/sim%d/vtep/100 "%s 4789"\n' "$lease" "$j" "$(addr_of "$j")"
		for ((k = 0; k < 10; k++)); do
			printf 'put --lease=%s /vnet/F/nodes/sim%d/mac/100/%s "0 %s -"\n' "$lease" "$j" "$(mac_of "$j" "$k")" "$(addr_of "$j")"
		done
		printf '\n\n'
	} >"$work/join.txn"
	t0=$(now_ms)
	ctl txn <"$work/join.txn" >/dev/null || die "the join failed"
	for ((i = 0; i < 2000; i++)); do
		[ "$(fabric_macs)" -ge $((10 * n + 10)) ] && break
		sleep 0.01
	done
	join_ms=$(($(now_ms) - t0))
	sleep 1
	c1=$(agent_ticks)
	cpu_ms=$(((c1 - c0) * 1000 / hz))
	ctl lease revoke "$lease" >/dev/null
	files=$(find "$st/kv" -type f | wc -l)
	ep=$(encap_pid)
	rss=$(rss_kb "$ep")
	# BUM: 200 broadcast pings from the workload (each an Ethernet
	# broadcast, flooded to every VTEP).
	f0=$(counter flood_packets)
	read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$ep/stat")
	on a ping -b -q -c 200 -i 0.01 -W 1 198.19.1.255 >/dev/null 2>&1 || :
	sleep 0.5
	f1=$(counter flood_packets)
	read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$ep/stat")
	replicas=$(((f1 - f0) / 200))
	bum_us=$(((u1 + s1 - u0 - s0) * 1000000 / hz / 200))
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" $((10 * n)) "$rate" "$join_ms" \
		"$cpu_ms" "$files" "$rss" "$replicas" "$bum_us" | tee -a "$work/table.rows"
	echo "$n $join_ms $cpu_ms $files $rss" >>"$work/curve"
done
cat "$work/table.rows" >>"$work/table"

# The curve, drawn: join time and state against the fabric's size.
plot() {
	awk -v col="$1" -v unit="$2" '{ n[NR] = $1; v[NR] = $col; if ($col > max) max = $col }
		END { for (i = 1; i <= NR; i++) { w = max ? int(v[i] * 50 / max + 0.5) : 0; bar = ""
			for (j = 0; j < w; j++) bar = bar "#"
			printf "%6d VTEPs |%-50s %s %s\n", n[i], bar, v[i], unit } }' "$work/curve"
}
{
	echo "## The fabric at scale (tests/bench/fabric.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(getconf _NPROCESSORS_ONLN) cores, etcd $(etcd --version | awk 'NR == 1 { print $3 }'): \`bash tests/bench/fabric.sh $b\` (FABRIC_SCALE=\"$scale\")"
	echo
	cat "$work/table"
	echo
	echo "One join, against the fabric's size (time from the write to its 10 MACs in the VTEP):"
	echo
	echo '```'
	plot 2 ms
	echo '```'
	echo
	echo "The agent's CPU for that join:"
	echo
	echo '```'
	plot 3 "ms CPU"
	echo '```'
	echo
	echo "The agent's state (mirror files), growing with the fabric:"
	echo
	echo '```'
	plot 4 files
	echo '```'
} >"$out_md"
cat "$out_md"
