# SPDX-License-Identifier: ISC
# lib.bash -- helpers for the system tests: namespaced hosts, background
# processes ended by PID, bounded polling, counters.
#
# Every test that uses hosts calls `setup_hosts` (or mkns) and relies on
# `vnet_teardown` (called from each file's teardown) to stop what it
# started and delete the namespaces, even when the test failed.
# Addresses: underlay 198.18.0.0/24, overlays 198.19.x.0/24, nothing else.

VNET_BIN=${VNET_BIN:-$BATS_TEST_DIRNAME/../../build/bin}
export PATH="$VNET_BIN:$PATH"
NSLIST=()
BG_PIDS=()
BG_NAMES=()

# skip, or fail when VNET_TEST_STRICT=1 (CI): a skip must state its reason.
skip_or_fail() {
	if [ "${VNET_TEST_STRICT:-0}" = 1 ]; then
		echo "strict mode: cannot skip: $1" >&2
		return 1
	fi
	skip "$1"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip_or_fail "needs root (network namespaces)"
}

need_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null 2>&1 ||
			skip_or_fail "needs $c (sh contrib/install-deps)"
	done
}

# mkns VAR SUFFIX: make a namespace with a unique name (lo up), record
# it for teardown and store its name in VAR.  (Not $(mkns ...): a
# subshell could not record it, and teardown would leak it.)
mkns() {
	local n="vt${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}-$2"
	ip netns add "$n" || return 1
	NSLIST+=("$n")
	ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}

# Two hosts A and B joined by a veth underlay u0: 198.18.0.1 / .2.
#   [A u0 198.18.0.1] ---veth--- [B u0 198.18.0.2]
setup_hosts() {
	A=vt${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}-a
	B=vt${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}-b
	ip netns add "$A" && NSLIST+=("$A")
	ip netns add "$B" && NSLIST+=("$B")
	ip link add u0 netns "$A" type veth peer name u0 netns "$B"
	ip -n "$A" addr add 198.18.0.1/24 dev u0
	ip -n "$B" addr add 198.18.0.2/24 dev u0
	local h
	for h in "$A" "$B"; do
		ip -n "$h" link set lo up
		ip -n "$h" link set u0 up
		# No IPv6 autoconfiguration chatter on the links.
		ip netns exec "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
}

# bg NAME CMD...: start CMD in the background, stderr to $T/NAME.log.
bg() {
	local name=$1
	shift
	"$@" 2>"$BATS_TEST_TMPDIR/$name.log" &
	BG_PIDS+=($!)
	BG_NAMES+=("$name")
	eval "PID_${name//[^a-zA-Z0-9_]/_}=$!"
}

# fails CMD...: CMD fails.  (A bare "! CMD" inside a test never fails it:
# set -e ignores a negated command.)
fails() {
	! "$@"
}

# vteps_vni100 [ARGS...]: hosts A and B (setup_hosts), each with a
# one-process vnet-encap on tap vx0 in VNI 100 (vnetA, vnetB; ARGS go to
# A's), overlay addresses 198.19.0.1 and .2, links up.
vteps_vni100() {
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 100 "$@"
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--remote 198.18.0.1 --vni 100
	overlay_up
}

# overlay_up: once both VTEPs' vx0 taps exist, give them the overlay
# addresses 198.19.0.1 (A) and .2 (B) and bring them up.
overlay_up() {
	wait_link "$A" vx0
	wait_link "$B" vx0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
}

pid_of() {
	local v="PID_${1//[^a-zA-Z0-9_]/_}"
	echo "${!v}"
}

# exited NAME: true once the background NAME has exited (it stays a
# zombie until reaped, so kill -0 alone would still succeed).
exited() {
	local s
	read -r _ _ s _ <"/proc/$(pid_of "$1")/stat" 2>/dev/null || return 0
	[ "$s" = Z ]
}

log_of() {
	echo "$BATS_TEST_TMPDIR/$1.log"
}

# wait_for TRIES CMD...: run CMD every 0.1 s until it succeeds, at most
# TRIES times.
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

wait_link() {
	wait_for 100 ip -n "$1" link show "$2"
}

# ctl ARG...: vnet-ctl under a timeout, stdout in $BATS_TEST_TMPDIR/out,
# stderr in $BATS_TEST_TMPDIR/err (both shown), its status in $rc.
ctl() {
	rc=0
	timeout 20 vnet-ctl "$@" >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || rc=$?
	echo "\$ vnet-ctl $* -> $rc"
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
}

# val KEY: the value of "KEY<TAB>VALUE" in ctl's $BATS_TEST_TMPDIR/out.
val() {
	awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$BATS_TEST_TMPDIR/out"
}

# counter LOG NAME: the last value of a counter line "NAME<TAB>VALUE".
counter() {
	awk -F'\t' -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"
}

# usr1 NAME: ask a background vnet program for its counters, wait until
# a fresh set is in its log.
usr1() {
	local log n
	log=$(log_of "$1")
	n=$(grep -c '^inner_rx_frames\|^tap_rx_frames' "$log" || true)
	kill -USR1 "$(pid_of "$1")"
	wait_for 50 bash -c "[ \$(grep -c '^inner_rx_frames\|^tap_rx_frames' '$log') -gt $n ]"
}

# stop NAME: SIGTERM, wait (bounded), KILL if need be; returns the status.
stop() {
	local pid i
	pid=$(pid_of "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || :
	wait "$pid"
}

# stop_expect NAME RC: stop NAME (as stop does) and check that its exit
# status is RC; teardown then no longer asks it for status 0.
stop_expect() {
	local rc=0 i
	stop "$1" || rc=$?
	for ((i = 0; i < ${#BG_NAMES[@]}; i++)); do
		[ "${BG_NAMES[i]}" = "$1" ] && BG_NAMES[i]="stopped-$1"
	done
	if [ "$rc" != "$2" ]; then
		echo "$1 exited with status $rc, not $2" >&2
		return 1
	fi
}

# Stop everything this test started, delete its namespaces.  A vnet
# program that did not exit 0 on SIGTERM (a crash, a sanitizer report)
# fails the test.
vnet_teardown() {
	local i pid rc bad=0
	for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${BG_PIDS[i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${BG_PIDS[i]}
		local j
		for ((j = 0; j < 50; j++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=$?
		case ${BG_NAMES[i]} in
		vnet*)
			if [ "$rc" != 0 ] && [ "$rc" != 127 ]; then
				echo "# ${BG_NAMES[i]} exited with status $rc:" >&2
				sed 's/^/#   /' "$(log_of "${BG_NAMES[i]}")" | grep -v '	' >&2
				bad=1
			fi ;;
		esac
	done
	for n in "${NSLIST[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	BG_PIDS=()
	NSLIST=()
	return $bad
}

# A file of N MiB of random bytes, and its sha256.
make_blob() {
	head -c "$(($2 * 1048576))" /dev/urandom >"$1"
	sha256sum <"$1" | cut -d' ' -f1
}

# tcp_transfer SRC_NS DST_NS DST_ADDR FILE: send FILE over TCP from
# SRC_NS to a receiver in DST_NS; prints the sha256 the receiver got.
tcp_transfer() {
	local out="$BATS_TEST_TMPDIR/received.$RANDOM" port=$((20000 + RANDOM % 10000))
	ip netns exec "$2" timeout 120 socat -u \
		"TCP-LISTEN:$port,bind=$3,reuseaddr" "CREATE:$out" &
	local rpid=$!
	wait_for 100 bash -c "ip netns exec '$2' ss -ltn | grep -q ':$port '" ||
		return 1
	ip netns exec "$1" timeout 120 socat -u "OPEN:$4" "TCP:$3:$port" ||
		return 1
	wait "$rpid" || return 1
	sha256sum <"$out" | cut -d' ' -f1
	rm -f "$out"
}

# For the tests of a vnet-lab lab named $LAB (97-node, 98-runbooks,
# 99-fabric): on HOST CMD... runs CMD in the lab's host HOST; pings HOST
# ADDR, one answer from ADDR.
on() {
	local h=$1
	shift
	ip netns exec "$LAB-$h" "$@"
}
pings() {
	on "$1" ping -c 1 -W 1 "$2" >/dev/null
}

# transfer_begin SRC DST ADDR PORT: a 2 MiB TCP transfer from lab host SRC
# to ADDR:PORT on DST, left half sent (for a change made while it runs);
# transfer_end (not in a subshell: it holds the sender's pipe and waits
# for its children) sends the rest; the receiver got it whole if
# TRANSFER_GOT, its sha256, is TRANSFER_WANT.
transfer_begin() {
	make_blob "$BATS_TEST_TMPDIR/blob1" 1 >/dev/null
	make_blob "$BATS_TEST_TMPDIR/blob2" 1 >/dev/null
	TRANSFER_WANT=$(cat "$BATS_TEST_TMPDIR/blob1" "$BATS_TEST_TMPDIR/blob2" | sha256sum | cut -d' ' -f1)
	ip netns exec "$LAB-$2" timeout 120 socat -u "TCP-LISTEN:$4,bind=$3,reuseaddr" \
		"CREATE:$BATS_TEST_TMPDIR/received" </dev/null >/dev/null 2>&1 &
	TRANSFER_RPID=$!
	wait_for 100 bash -c "ip netns exec '$LAB-$2' ss -ltn | grep -q ':$4 '"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ip netns exec "$LAB-$1" timeout 120 socat -u "OPEN:$BATS_TEST_TMPDIR/fifo" "TCP:$3:$4" \
		</dev/null >/dev/null 2>&1 &
	TRANSFER_SPID=$!
	exec 7>"$BATS_TEST_TMPDIR/fifo"
	cat "$BATS_TEST_TMPDIR/blob1" >&7
}
transfer_end() {
	cat "$BATS_TEST_TMPDIR/blob2" >&7
	exec 7>&-
	wait "$TRANSFER_SPID"
	wait "$TRANSFER_RPID"
	TRANSFER_GOT=$(sha256sum <"$BATS_TEST_TMPDIR/received" | cut -d' ' -f1)
}
