#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# flowexport.sh -- how fast vnet-flowexport meters a capture, and how much
# memory a flow costs.
#
#   bash tests/bench/flowexport.sh [BUILDDIR]     (what `make bench` runs)
#
# The input is a 1,000,000-packet pcap over 100,000 UDP flows in VLAN 100
# (64-byte frames, round robin, 1 us apart: every flow is live at once),
# written once by tests/bench/flowexport.py into BUILDDIR and reused.
# Runs, each the best of BENCH_RUNS (default 3) by wall time:
#   (a) baseline: tcpdump -r FILE -w /dev/null (libpcap reading and
#       writing the same file)
#   (b) vnet-flowexport FILE --json /dev/null --max-flows 200000: every
#       flow fits, 100,000 records
#   (c) the same with -C udp:127.0.0.1:4739 instead of --json, in a
#       network namespace of its own with a UDP sink (socat) on lo
#   (d) (b) with the default cache of 65,536 flows: the 100,000 live
#       flows evict each other, every packet starts a flow (churn)
#   (e) memory: peak RSS of (b) with --max-flows 200000 and with
#       --max-flows 1000, divided by the 199,000 flows between them; and
#       the size of a flow entry from the debug information (gdb)
# Figures: packets/s, new flows/s (flows_created / wall time), CPU seconds
# (user + system), wall time as a multiple of the baseline's.  Written to
# standard output and, as Markdown with the command and the date, to
# BUILDDIR/bench-flowexport.md (BENCH_FLOWEXPORT_OUT overrides).
#
# Nothing touches the root namespace but creating and deleting the
# namespace; only the processes started here are signalled, by PID, and
# every run is bounded by timeout(1).

# shellcheck disable=SC2317  # cleanup is called from a trap
set -u
export LC_ALL=C

bdir=${1:-build}
bdir=${bdir%/}
bin=$bdir/bin
runs=${BENCH_RUNS:-3}
out_md=${BENCH_FLOWEXPORT_OUT:-$bdir/bench-flowexport.md}
here=$(cd "$(dirname "$0")" && pwd)
pcap=$bdir/bench-flowexport.pcap
packets=1000000
flows=100000
cmdline="bash tests/bench/flowexport.sh $*"
[ $# -eq 0 ] && cmdline="bash tests/bench/flowexport.sh"

die() { echo "bench-flowexport: $*" >&2; exit 1; }

case $runs in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer" ;; esac
[ -x "$bin/vnet-flowexport" ] || die "$bin/vnet-flowexport not built (make)"
for t in python3 tcpdump ip socat awk timeout; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t not found (sh contrib/install-deps installs what is missing)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found: apt-get install time"
[ "$(id -u)" = 0 ] || die "must run as root (it creates a network namespace)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vnet-bench-fe.XXXXXX") || die "mktemp failed"
ns=vnbf$$
sink_pid=
cleanup() {
	if [ -n "$sink_pid" ]; then
		kill -TERM "$sink_pid" 2>/dev/null
		wait "$sink_pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -s "$pcap" ]; then
	echo "bench-flowexport: writing $pcap ($packets packets, $flows flows)" >&2
	python3 "$here/flowexport.py" gen "$pcap" $packets $flows ||
		die "cannot write $pcap"
fi

calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# measure NAME CMD...: run CMD $runs times under GNU time; keep the run
# with the least wall time: $work/NAME.err (its stderr: the counters) and
# $work/NAME.ru ("elapsed user sys maxrss_kib").
measure() {
	local name=$1 i best='' el st t0 t1
	shift
	for ((i = 0; i < runs; i++)); do
		st=0
		t0=$EPOCHREALTIME
		timeout 300 /usr/bin/time -f '%U %S %M' -o "$work/try.ru" \
			"$@" >/dev/null 2>"$work/try.err" || st=$?
		t1=$EPOCHREALTIME
		if [ "$st" != 0 ]; then
			echo "bench-flowexport: $name failed (status $st):" >&2
			tail -n 5 "$work/try.err" >&2
			return 1
		fi
		# GNU time gives the wall time in centiseconds only.
		el=$(calc '%.4f' "$t1 - $t0")
		echo "$el $(tail -n 1 "$work/try.ru")" >"$work/try.ru"
		if [ -z "$best" ] || awk -v a="$el" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$el
			cp "$work/try.err" "$work/$name.err"
			cp "$work/try.ru" "$work/$name.ru"
		fi
	done
}

# ru NAME FIELD: elapsed, user, sys or rss (KiB) of run NAME.
ru() {
	awk -v f="$2" 'END { i = (f == "elapsed") ? 1 : (f == "user") ? 2 : (f == "sys") ? 3 : 4
		print $i }' "$work/$1.ru"
}

# ctr NAME COUNTER: a counter of run NAME.
ctr() {
	awk -F'\t' -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$work/$1.err"
}

FE=("$bin/vnet-flowexport" "$pcap" --map 100:5000 --stats)

echo "bench-flowexport: (a) baseline ..." >&2
measure base tcpdump -r "$pcap" -w /dev/null || die "baseline failed"
echo "bench-flowexport: (b) --json /dev/null ..." >&2
measure json "${FE[@]}" --json /dev/null --max-flows 200000 ||
	die "vnet-flowexport --json failed"

echo "bench-flowexport: (c) -C udp:127.0.0.1:4739 ..." >&2
ip netns add "$ns" || die "cannot create network namespace $ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" socat -u UDP-RECV:4739,bind=127.0.0.1,rcvbuf=4194304 \
	/dev/null 2>"$work/socat.err" &
sink_pid=$!
for ((i = 0; i < 50; i++)); do
	ip netns exec "$ns" ss -Hlun 'sport = :4739' 2>/dev/null | grep -q . && break
	sleep 0.1
done
have_udp=1
measure udp ip netns exec "$ns" "${FE[@]}" -C udp:127.0.0.1:4739 \
	--max-flows 200000 || have_udp=0

echo "bench-flowexport: (d) default cache, churn ..." >&2
have_churn=1
measure churn "${FE[@]}" --json /dev/null || have_churn=0

echo "bench-flowexport: (e) memory ..." >&2
measure small "${FE[@]}" --json /dev/null --max-flows 1000 ||
	die "--max-flows 1000 failed"
measure big "${FE[@]}" --json /dev/null --max-flows 200000 ||
	die "--max-flows 200000 failed"

# --- figures ----------------------------------------------------------------

frames=$(ctr json frames)
[ "$frames" -eq "$packets" ] ||
	echo "bench-flowexport: warning: frames = $frames, not $packets" >&2

row() { # NAME LABEL
	local el
	el=$(ru "$1" elapsed)
	awk "BEGIN { exit !($el > 0) }" || el=0.01
	if [ "$1" = base ]; then
		printf '%s|%s|%s|-|%s|1.00\n' "$2" "$(calc '%.0f' "$packets / $el")" \
			"$(calc '%.3f' "$el")" "$(calc '%.2f' "$(ru "$1" user) + $(ru "$1" sys)")"
		return
	fi
	printf '%s|%s|%s|%s|%s|%s\n' "$2" \
		"$(calc '%.0f' "$packets / $el")" "$(calc '%.3f' "$el")" \
		"$(calc '%.0f' "$(ctr "$1" flows_created) / $el")" \
		"$(calc '%.2f' "$(ru "$1" user) + $(ru "$1" sys)")" \
		"$(calc '%.2f' "$el / $(ru base elapsed)")"
}

rows=("$(row base '(a) baseline: tcpdump -r FILE -w /dev/null')"
	"$(row json '(b) --json /dev/null --max-flows 200000')")
if [ $have_udp = 1 ]; then
	rows+=("$(row udp '(c) -C udp:127.0.0.1 --max-flows 200000')")
	udp_info="records_exported $(ctr udp records_exported), messages_sent $(ctr udp messages_sent), send_errors $(ctr udp send_errors)"
else
	rows+=("(c) -C udp:127.0.0.1 --max-flows 200000|n/a|n/a|n/a|n/a|n/a")
	udp_info="n/a: the run failed"
fi
if [ $have_churn = 1 ]; then
	rows+=("$(row churn '(d) --json /dev/null, default 65536 flows')")
	churn_info="$(ctr churn flows_created) flows created, $(ctr churn flows_evicted) evicted"
else
	rows+=("(d) --json /dev/null, default 65536 flows|n/a|n/a|n/a|n/a|n/a")
	churn_info="n/a: the run failed"
fi

rss_small=$(ru small rss)
rss_big=$(ru big rss)
per_flow=$(calc '%.0f' "($rss_big - $rss_small) * 1024 / (200000 - 1000)")
ent=$(gdb -batch -ex 'print sizeof(struct ent)' "$bin/vnet-flowexport" 2>/dev/null |
	awk '/^\$1 = / { print $3 }')
if [ -n "$ent" ]; then
	# vnet_flow_entry_size(): the entry and its two hash slots.
	ent_info="$((ent + 8)) bytes (struct ent $ent + 2 hash slots of 4)"
else
	ent_info="n/a (needs gdb and a build with -g)"
fi

cpu=$(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(uname -m)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
load=$(awk '{ print $1 }' /proc/loadavg 2>/dev/null)
when=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
rev=$(git -C "$here" rev-parse --short HEAD 2>/dev/null) || rev=''
info="$when, Linux $(uname -r), $cpu ($ncpu CPUs, load ${load:-?} at the end)${rev:+, vnet $rev}"
busy=$(awk -v l="${load:-0}" -v n="$ncpu" 'BEGIN { if (n + 0 > 0 && l > n / 2) print 1 }')
[ -n "$busy" ] && busy="warning: the machine was busy (load $load on $ncpu CPUs); the figures are noisy"
hdr="run|packets/s|wall s|new flows/s|CPU s|x baseline"
mem1="peak RSS: $rss_small KiB with --max-flows 1000, $rss_big KiB with --max-flows 200000"
mem2="memory per flow: ($rss_big - $rss_small) KiB / 199000 flows = $per_flow bytes; flow entry: $ent_info"

{
	echo
	echo "vnet-flowexport bench: $info"
	echo "command: $cmdline  (BENCH_RUNS=$runs)"
	echo "input: $pcap, $packets packets over $flows flows"
	echo
	printf '%s\n' "$hdr" "${rows[@]}" | awk -F '|' '
	{ printf "%-44s %10s %7s %12s %6s %10s\n", $1, $2, $3, $4, $5, $6 }'
	echo
	echo "(c) udp export: $udp_info"
	echo "(d) churn: $churn_info"
	echo "$mem1"
	echo "$mem2"
	[ -n "$busy" ] && echo "$busy"
}

mkdir -p "$(dirname "$out_md")" 2>/dev/null
{
	echo "## vnet-flowexport benchmark"
	echo
	echo "$info."
	echo "Command: \`$cmdline\` (BENCH_RUNS=$runs, best run by wall time)."
	echo
	echo "Input: \`$pcap\`: $packets packets of 64 bytes (VLAN 100, UDP) over $flows flows,"
	echo "round robin, 1 us apart, so every flow is live at once."
	echo
	echo "| ${hdr//|/ | } |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for r in "${rows[@]}"; do
		echo "| ${r//|/ | } |"
	done
	echo
	echo "- vnet-flowexport runs: \`vnet-flowexport FILE --map 100:5000 --stats\` and the options shown;"
	echo "  (c) in a network namespace with \`socat -u UDP-RECV:4739 /dev/null\` as the collector."
	echo "- (c) UDP export: $udp_info."
	echo "- (d) churn: $churn_info."
	echo "- New flows/s = flows_created / wall time. CPU s = user + system. x baseline = wall time / (a)."
	echo "- ${mem1^} (GNU time, maximum resident set size)."
	echo "- ${mem2^}."
	[ -n "$busy" ] && echo "- **${busy^}.**"
} >"$out_md" || echo "bench-flowexport: cannot write $out_md" >&2
echo "markdown: $out_md"
exit 0
