#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Backpressure per direction (vnet(7) Backpressure): in a two-way stage a
# reader that stops reading one direction never stalls the other.  A
# stream input whose output is full waits (pipes block, nothing lost); a
# tap cannot wait, so a full output drops what it sends and counts it;
# vnet-flowexport --on-full block waits instead, holding up both.
#
# Two-way stages on FIFOs (explicit fds 5/6 left, 7/8 right):
#
#   egress writer --lin--> 5 [STAGE] 8 --rout--> right reader (-> right.pcap)
#   left reader  <--lout-- 6         7 <--rin--- ingress writer
#   (reads nothing                               (6000 frames of 1400
#    until go-left)                               bytes, at once)
#
# The egress writer writes its 2000 frames once the ingress direction is
# held up (go-egress).  A holder keeps lin and rin open after the writers
# are done, so the stage runs until the test ends.
#
# vnet-tap (ns T):  UDP flood --> vm0 --tap-- vnet-tap --stdout--> FIFO --> sleep
#                   vm0 <--tap-- vnet-tap <--stdin-- 2000 frames

load lib

setup() {
	need_cmd python3
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
	# The numbers of ppoll(2) and write(2), to see where a process waits.
	case $(uname -m) in
	x86_64) PPOLL=271 WRITE=1 ;;
	aarch64) PPOLL=73 WRITE=64 ;;
	*) skip_or_fail "ppoll's syscall number on $(uname -m) is not known" ;;
	esac
}

teardown() {
	vnet_teardown
}

# two_way NAME CMD...: CMD in the background as NAME, wired as drawn
# above; CMD names its sides fd:5,6 and fd:7,8 itself.
two_way() {
	local name=$1
	shift
	mkfifo "$T/lin" "$T/lout" "$T/rin" "$T/rout" "$T/go-egress" "$T/go-left"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg left-reader bash -c 'exec <"$1"; read -r _ <"$2"; exec cat >/dev/null' \
		_ "$T/lout" "$T/go-left"
	# shellcheck disable=SC2016
	bg egress-writer bash -c 'exec >"$1"; read -r _ <"$2"; exec cat "$3"' \
		_ "$T/lin" "$T/go-egress" "$T/egress.pcap"
	# shellcheck disable=SC2016
	bg ingress-writer bash -c 'exec cat "$2" >"$1"' _ "$T/rin" "$T/ingress.pcap"
	# shellcheck disable=SC2016
	bg right-reader bash -c 'exec cat <"$1" >"$2"' _ "$T/rout" "$T/right.pcap"
	# The inputs stay open when the writers are done: the stage runs on.
	# shellcheck disable=SC2016
	bg holder bash -c 'exec sleep 120 >"$1" 9>"$2"' _ "$T/lin" "$T/rin"
	# shellcheck disable=SC2016
	bg "$name" bash -c 'a=$1 b=$2 c=$3 d=$4; shift 4
		exec "$@" 5<"$a" 6>"$b" 7<"$c" 8>"$d" 3>&- 4>&-' \
		_ "$T/lin" "$T/lout" "$T/rin" "$T/rout" "$@"
}

# in_syscall NAME NR [NFDS]: NAME sits in syscall NR (with NFDS as its
# second argument: the descriptors of a ppoll).
in_syscall() {
	local nr a1
	read -r nr _ a1 _ <"/proc/$(pid_of "$1")/syscall" || return 1
	[ "$nr" = "$2" ] && { [ -z "${3:-}" ] || [ "$((a1))" -eq "$3" ]; }
}

# held_up NAME NFDS: NAME waits in its loop's ppoll on NFDS descriptors
# while the ingress writer cannot write: the ingress direction is full.
# (The programs run with --control none: a control socket would be one
# descriptor more.)
held_up() {
	in_syscall "$1" "$PPOLL" "$2" && in_syscall ingress-writer "$WRITE"
}

# frames_in FILE: the whole records of the pcap file FILE (vnet writes
# them in the machine's byte order), one being written not counted.
frames_in() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
n, o = 0, 24
while o + 16 <= len(b):
    o += 16 + struct.unpack_from("=I", b, o + 8)[0]
    n += o <= len(b)
print(n)
EOF
}

has_frames() {
	[ "$(frames_in "$1")" -ge "$2" ]
}

# counters NAME FIRST: ask NAME for its counters (SIGUSR1) and wait until
# a fresh set, whose first line is FIRST, is in its log.
counters() {
	local log n
	log=$(log_of "$1")
	n=$(grep -c "^$2	" "$log" || true)
	kill -USR1 "$(pid_of "$1")"
	wait_for 50 bash -c "[ \$(grep -c '^$2	' '$log') -gt $n ]"
}

ctr_of() {
	counter "$(log_of "$1")" "$2"
}

# paced NAME FIRST DROPS PASSED: with the left reader stalled, the 2000
# egress frames all reach the right reader in bounded time while the
# ingress writer still waits; nothing was dropped (counter DROPS); once
# the left reader reads, all 6000 ingress frames pass (counter PASSED).
paced() {
	local name=$1 first=$2 drops=$3 passed=$4
	wait_for 100 held_up "$name" 2
	echo >"$T/go-egress"
	wait_for 100 has_frames "$T/right.pcap" 2000
	[ "$(frames_in "$T/right.pcap")" -eq 2000 ]
	fails exited ingress-writer
	counters "$name" "$first"
	[ "$(ctr_of "$name" "$drops")" -eq 0 ]
	[ "$(ctr_of "$name" "$passed")" -lt 6000 ]
	echo >"$T/go-left"
	wait_for 100 exited ingress-writer
	counters "$name" "$first"
	wait_for 100 bash -c "kill -USR1 $(pid_of "$name") && sleep 0.1 &&
		[ \$(awk -F'\t' '\$1 == \"$passed\" { v = \$2 } END { print v + 0 }' \
			'$(log_of "$name")') -eq 6000 ]"
	counters "$name" "$first"
	[ "$(ctr_of "$name" "$drops")" -eq 0 ]
}

# The frames of the stream tests: UDP to port 7000 both ways.
mkframes() {
	$MKPCAP "$T/egress.pcap" --count 2000 --type udp --size 200
	$MKPCAP "$T/ingress.pcap" --count 6000 --type udp --size 1400 \
		--ip-src 198.19.0.2 --ip-dst 198.19.0.1 "$@"
}

@test "vnet-acl: a left reader that stops reading holds up only ingress; 2000 egress frames pass, none is lost" {
	mkframes
	cat >"$T/all.policy" <<'EOF'
group all prefix 198.19.0.0/16
allow from all to all proto udp port 7000
EOF
	two_way vnet-acl vnet-acl -p "$T/all.policy" -l fd:5,6 -R fd:7,8 \
		--control none
	paced vnet-acl frames_egress left_tx_queue_drops passed_ingress
}

@test "vnet-flowexport (--on-full drop): a stalled left reader holds up only ingress; 2000 egress frames pass" {
	mkframes
	two_way vnet-flowexport vnet-flowexport --json "$T/flows.json" \
		-l fd:5,6 -R fd:7,8 --control none
	paced vnet-flowexport frames left_tx_queue_drops passed_ingress
}

@test "vnet-encap with a frame-stream outer side: a stalled inner reader holds up only decapsulation" {
	mkframes --vxlan 7
	two_way vnet-encap vnet-encap --vni 7 --local 198.18.0.1 \
		-r 198.18.0.2 -i fd:5,6 -o fd:7,8 --control none
	paced vnet-encap inner_rx_frames inner_tx_queue_drops inner_tx_frames
}

@test "vnet-flowexport --on-full block waits on a full output: egress is held up too, then all of it passes" {
	mkframes
	two_way vnet-flowexport vnet-flowexport --json "$T/flows.json" \
		--on-full block -l fd:5,6 -R fd:7,8
	# It waits in the one-descriptor ppoll of a writer whose pipe is
	# full, and does not read the egress frames that are there to read.
	wait_for 100 held_up vnet-flowexport 1
	echo >"$T/go-egress"
	wait_for 100 in_syscall egress-writer "$WRITE"
	in_syscall vnet-flowexport "$PPOLL" 1
	[ "$(frames_in "$T/right.pcap")" -eq 0 ]
	# The left reader reads: everything passes, nothing was dropped.
	echo >"$T/go-left"
	wait_for 100 has_frames "$T/right.pcap" 2000
	wait_for 100 exited ingress-writer
	wait_for 100 exited egress-writer
	[ "$(frames_in "$T/right.pcap")" -eq 2000 ]
	counters vnet-flowexport frames
	[ "$(ctr_of vnet-flowexport left_tx_queue_drops)" -eq 0 ]
	[ "$(ctr_of vnet-flowexport right_tx_queue_drops)" -eq 0 ]
}

# rx_packets NS DEV: the frames the kernel received on DEV (for a tap:
# those vnet-tap wrote to it).
rx_packets() {
	ip -n "$1" -s link show "$2" | awk '/RX:/ { getline; print $2; exit }'
}

@test "vnet-tap: a stdout reader that stops reading does not hold up stdin; the tap's frames are dropped and counted" {
	need_root
	mkns ns t
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	$MKPCAP "$T/in.pcap" --count 2000 --type udp --size 200 \
		--dst-mac 02:00:c6:13:00:09
	mkfifo "$T/in" "$T/out" "$T/go"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg reader bash -c 'exec sleep 120 <"$1"' _ "$T/out"
	# shellcheck disable=SC2016
	bg feeder bash -c 'exec >"$1"; read -r _ <"$2"; cat "$3"; exec sleep 120' \
		_ "$T/in" "$T/go" "$T/in.pcap"
	# shellcheck disable=SC2016
	bg vnet-tap bash -c 'i=$1 o=$2; shift 2; exec "$@" <"$i" >"$o" 3>&- 4>&-' \
		_ "$T/in" "$T/out" ip netns exec "$ns" vnet-tap \
		tap:vm0,mac=02:00:c6:13:00:09
	wait_link "$ns" vm0
	ip -n "$ns" addr add 198.19.0.1/24 dev vm0
	wait_for 50 bash -c "ip -n '$ns' link show vm0 | grep -q ',UP'"
	ip -n "$ns" neigh add 198.19.0.2 lladdr 02:00:c6:13:00:02 dev vm0 \
		nud permanent
	# 20000 datagrams of 1400 bytes out of vm0: some 28 MB, far more
	# than the stalled pipe and the stdout queue (1 MiB) hold.
	bg flood ip netns exec "$ns" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000):
    s.sendto(b"x" * 1400, ("198.19.0.2", 9))
'
	wait_for 100 bash -c "kill -USR1 $(pid_of vnet-tap) && sleep 0.1 &&
		[ \$(awk -F'\t' '\$1 == \"stream_tx_queue_drops\" { v = \$2 }
			END { print v + 0 }' '$(log_of vnet-tap)') -gt 0 ]"
	# stdin -> tap goes on: all 2000 frames reach the kernel at once.
	local rx0
	rx0=$(rx_packets "$ns" vm0)
	echo >"$T/go"
	wait_for 100 bash -c "[ \$(ip -n '$ns' -s link show vm0 |
		awk '/RX:/ { getline; print \$2; exit }') -ge $((rx0 + 2000)) ]"
	counters vnet-tap tap_rx_frames
	[ "$(ctr_of vnet-tap tap_tx_frames)" -eq 2000 ]
	[ "$(ctr_of vnet-tap stream_tx_queue_drops)" -gt 0 ]
	# What was read from the tap was queued or dropped, all counted.
	[ "$(ctr_of vnet-tap stream_tx_queue_drops)" -lt "$(ctr_of vnet-tap tap_rx_frames)" ]
}
