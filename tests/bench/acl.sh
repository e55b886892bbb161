#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# acl.sh -- the vnet-acl benchmark: per-packet cost of the engine as the
# policy and the connection table grow (acl_bench), and the frame rate of
# vnet-acl as a one-way filter against a plain pipe.
#
#   bash tests/bench/acl.sh [BUILD_DIR]        (what `make bench` runs)
#
# Needs BUILD_DIR/bench/acl_bench and BUILD_DIR/bin/vnet-acl (default
# BUILD_DIR: build).  Writes the Markdown report to BUILD_DIR/bench-acl.md
# (or $BENCH_ACL_OUT) and shows it.
#
# End-to-end: acl_bench writes a capture of ACL_FRAMES (default 1000000)
# 60-byte frames of 64 TCP connections its 10-rule policy allows; the
# capture is piped through `cat` (the baseline: the same bytes through the
# same pipes) and through `vnet-acl -p POLICY --clock pcap` as a one-way
# filter, best of 3 runs each.  Nothing here needs root or touches the
# network.

set -u
export LC_ALL=C

b=${1:-build}
frames=${ACL_FRAMES:-1000000}
out_md=${BENCH_ACL_OUT:-$b/bench-acl.md}
cmdline="bash tests/bench/acl.sh $*"

die() { echo "acl.sh: $*" >&2; exit 1; }
case $frames in '' | *[!0-9]* | 0) die "ACL_FRAMES must be a positive integer" ;; esac
bench=$b/bench/acl_bench
acl=$b/bin/vnet-acl
[ -x "$bench" ] || die "$bench not built (make $bench)"
[ -x "$acl" ] || die "$acl not built (make $acl)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vnet-acl-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT

when=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
cpu=$(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
load=$(awk '{ print $1 }' /proc/loadavg 2>/dev/null)
rev=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null) || rev=''

echo "acl.sh: engine micro-benchmark ..." >&2
"$bench" -q >"$work/engine.md" || die "acl_bench failed"

echo "acl.sh: end-to-end, $frames frames ..." >&2
"$bench" --policy "$work/p.policy" || die "acl_bench --policy failed"
"$bench" --pcap "$work/in.pcap" "$frames" || die "acl_bench --pcap failed"

# ns_now: nanoseconds of the monotonic-enough wall clock.
ns_now() { date +%s%N; }

# best3 NAME CMD...: run CMD (stdin the capture) three times, print the
# fastest in ns.
best3() {
	local best='' t0 t1 d _
	for _ in 1 2 3; do
		t0=$(ns_now)
		"$@" <"$work/in.pcap" || die "$1 failed (status $?)"
		t1=$(ns_now)
		d=$((t1 - t0))
		if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
	done
	echo "$best"
}

pipe_cat() { cat | cat >/dev/null; }
pipe_acl() {
	# fds 3/4 closed: a one-way filter.
	cat | "$acl" -p "$work/p.policy" --clock pcap --stats \
		2>"$work/stats" 3>&- 4>&- >/dev/null
}

t_cat=$(best3 pipe_cat)
t_acl=$(best3 pipe_acl)
passed=$(awk -F '\t' '$1 == "passed_egress" { print $2 }' "$work/stats")
[ "$passed" = "$frames" ] ||
	die "vnet-acl passed ${passed:-?} of $frames frames (see the policy)"
rate() { awk -v n="$frames" -v t="$1" 'BEGIN { printf "%.0f", n / (t / 1e9) }'; }
r_cat=$(rate "$t_cat")
r_acl=$(rate "$t_acl")
ratio=$(awk -v a="$r_acl" -v b="$r_cat" 'BEGIN { printf "%.2f", a / b }')
size=$(stat -c %s "$work/in.pcap")

{
	echo "## vnet-acl benchmark"
	echo
	echo "$when, Linux $(uname -r), ${cpu:-$(uname -m)} ($ncpu CPUs, load ${load:-?} at start)${rev:+, vnet $rev}."
	echo "Command: \`$cmdline\` (ACL_FRAMES=$frames)."
	echo
	echo "### Engine (acl_bench), ns per packet, best of 5"
	echo
	cat "$work/engine.md"
	echo
	echo "Policies generated as text: groups are /26 prefixes, the packet under test"
	echo "matches the last rule (\"miss\": no rule, the default). match/miss:"
	echo "vnet_policy_match(); new conn: vnet_acl_frame() on SYNs of distinct"
	echo "connections (table lookup, policy, new entry); established:"
	echo "vnet_acl_frame() on data packets of a tracked connection (100,000"
	echo "connections: one of them at random each packet, so mostly cache misses)."
	echo "Ratios are to the 10-rule row of the same run."
	echo
	echo "### End to end: one-way filter on a capture"
	echo
	echo "| pipeline | frames/s | x cat |"
	echo "| --- | ---: | ---: |"
	echo "| \`cat \\| cat\` | $r_cat | 1.00 |"
	echo "| \`cat \\| vnet-acl -p P --clock pcap\` | $r_acl | $ratio |"
	echo
	echo "$frames frames of 60 bytes ($size bytes of pcap), 64 TCP connections allowed by"
	echo "the 10-rule policy (handshakes, then data both ways); best of 3 runs each."
} >"$out_md" || die "cannot write $out_md"
cat "$out_md"
echo "markdown: $out_md"
