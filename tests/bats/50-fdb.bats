#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The VTEP's forwarding database: learning, ageing, the --fdb-max bound,
# moves, head-end replication to the flood list, static entries from a
# file and their reload on SIGHUP.
#
# Learning and ageing, two namespaced hosts, one-process VTEPs:
#
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#     |  vnet-encap                          |  vnet-encap
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#
# Flooding, three hosts on one switched underlay (a fourth namespace
# holds a Linux bridge):
#
#   host A vx0 198.19.0.1   host B vx0 198.19.0.2   host C vx0 198.19.0.3
#   u0 198.18.0.1           u0 198.18.0.2           u0 198.18.0.3
#        |                       |                       |
#        pa ------------------- pb ------------------- pc
#                   switch S: br0 (pa, pb, pc)
#
# Everything else runs without namespaces: vnet-encap on a frame-stream
# underlay, fed captures made by mkpcap.py (outer VXLAN frames from
# 198.18.0.2/.3 to 198.18.0.1, or inner frames), its output read with
# tshark, its FDB read from --fdb-dump.

load lib

setup() {
	T=$BATS_TEST_TMPDIR
	MKPCAP=$BATS_TEST_DIRNAME/mkpcap.py
	HOLD=
	[ -x "$VNET_BIN/vnet-encap" ] || {
		echo "$VNET_BIN/vnet-encap is missing: run make" >&2
		return 1
	}
	need_cmd python3 tshark
}

teardown() {
	[ -z "$HOLD" ] || exec {HOLD}>&-
	vnet_teardown
}

mkpcap() {
	python3 "$MKPCAP" "$@"
}

# run_encap ARGS...: vnet-encap on streams, bounded in time; counters in
# $T/stats (--stats), exit status in $status.
run_encap() {
	status=0
	timeout 10 vnet-encap --stats "$@" 2>"$T/stats" || status=$?
	if [ "$status" != 0 ]; then
		echo "vnet-encap $* exited with $status:" >&2
		cat "$T/stats" >&2
	fi
}

# dsts PCAP: the outer IPv4 destination of each packet, one a line.
dsts() {
	tshark -r "$1" -T fields -e ip.dst 2>/dev/null | cut -d, -f1
}

# fdb_dump NAME FILE: SIGUSR1 to the background vnet-encap NAME, wait for
# the fresh --fdb-dump FILE (written after the counters, renamed into
# place).
fdb_dump() {
	rm -f "$2"
	usr1 "$1" || return 1
	wait_for 50 test -e "$2"
}

# counter_now NAME CTR: a fresh value of counter CTR of background NAME.
counter_now() {
	usr1 "$1" >/dev/null || return 1
	counter "$(log_of "$1")" "$2"
}

# learned_line FILE VNI MAC REMOTE: FILE has "VNI MAC REMOTE learned AGE".
learned_line() {
	grep -qE "^$2	$3	$4	learned	[0-9]+\$" "$1"
}

# Two namespaced hosts with one-process VTEPs in VNI 100 and overlay
# addresses; extra arguments go to A's vnet-encap.
two_vteps() {
	need_root
	need_cmd ping
	vteps_vni100 "$@"
	MAC_A=$(ip netns exec "$A" cat /sys/class/net/vx0/address)
	MAC_B=$(ip netns exec "$B" cat /sys/class/net/vx0/address)
	[ -n "$MAC_A" ] && [ -n "$MAC_B" ]
	# Permanent neighbours: no ARP (nor its delayed unicast probes) on
	# the overlay, so the only frames are the test's own.
	ip -n "$A" neigh replace 198.19.0.2 lladdr "$MAC_B" dev vx0 nud permanent
	ip -n "$B" neigh replace 198.19.0.1 lladdr "$MAC_A" dev vx0 nud permanent
}

@test "learns a remote MAC behind its VTEP and shows it in the FDB dump" {
	two_vteps --fdb-dump "$T/fdbA.tsv"
	run ip netns exec "$A" ping -c 2 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	fdb_dump vnetA "$T/fdbA.tsv"
	cat "$T/fdbA.tsv"
	learned_line "$T/fdbA.tsv" 100 "$MAC_B" 198.18.0.2
	[ "$(counter "$(log_of vnetA)" fdb_learned)" -ge 1 ]
	[ "$(counter "$(log_of vnetA)" fdb_entries)" -ge 1 ]
}

# gone_from_dump: B's MAC is no longer in A's fresh FDB dump.
gone_from_dump() {
	fdb_dump vnetA "$T/fdbA.tsv" || return 1
	fails grep -qi "	$MAC_B	" "$T/fdbA.tsv"
}

@test "ages learned entries out after the ageing time" {
	two_vteps --fdb-ageing 1s --fdb-dump "$T/fdbA.tsv"
	run ip netns exec "$A" ping -c 2 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	fdb_dump vnetA "$T/fdbA.tsv"
	learned_line "$T/fdbA.tsv" 100 "$MAC_B" 198.18.0.2
	# No more traffic: after about a second the entry is gone from the
	# dump (polled, at most ~5 s) ...
	wait_for 25 gone_from_dump
	# ... and, soon after, removed from the table and counted: the
	# counters of one SIGUSR1 agree with its dump.
	aged_and_removed() {
		usr1 vnetA >/dev/null || return 1
		[ "$(counter "$(log_of vnetA)" fdb_aged)" -ge 1 ] &&
			[ "$(counter "$(log_of vnetA)" fdb_entries)" -eq 0 ]
	}
	run wait_for 20 aged_and_removed
	echo "fdb_aged=$(counter "$(log_of vnetA)" fdb_aged)" \
		"fdb_entries=$(counter "$(log_of vnetA)" fdb_entries)" \
		"fdb_learned=$(counter "$(log_of vnetA)" fdb_learned)"
	[ "$status" -eq 0 ]
	# Nothing relearned it meanwhile.
	[ "$(counter "$(log_of vnetA)" fdb_learned)" -eq 1 ]
}

@test "refuses to learn beyond --fdb-max and counts the overflow" {
	# 10 outer frames from 198.18.0.2, inner source MACs
	# 02:00:c6:13:00:01 .. :0a, all distinct.
	mkpcap "$T/outer.pcap" --vxlan 5 --count 10 --src-mac-seq
	run_encap -i - -o "pcap:$T/outer.pcap" --vni 5 --local 198.18.0.1 \
		--fdb-max 4 --fdb-dump "$T/dump.tsv" </dev/null >/dev/null
	[ "$status" -eq 0 ]
	cat "$T/stats" "$T/dump.tsv"
	[ "$(counter "$T/stats" decap_frames)" -eq 10 ]
	[ "$(counter "$T/stats" fdb_overflow)" -eq 6 ]
	[ "$(counter "$T/stats" fdb_entries)" -eq 4 ]
	[ "$(counter "$T/stats" fdb_learned)" -eq 4 ]
	[ "$(grep -cE '^5	([0-9a-f]{2}:){5}[0-9a-f]{2}	198\.18\.0\.2	learned	[0-9]+$' \
		"$T/dump.tsv")" -eq 4 ]
	[ "$(grep -c 'learned' "$T/dump.tsv")" -eq 4 ]
}

@test "a MAC that moves to another VTEP is updated and counted" {
	# The same inner source MAC, first behind 198.18.0.2, then behind
	# 198.18.0.3 (one capture: the second one without its file header).
	{
		mkpcap - --vxlan 5 --count 2 --src-mac 02:00:c6:13:00:07 \
			--outer-src 198.18.0.2
		mkpcap - --vxlan 5 --count 2 --src-mac 02:00:c6:13:00:07 \
			--outer-src 198.18.0.3 --ts 1700000001 | tail -c +25
	} >"$T/outer.pcap"
	run_encap -i - -o "pcap:$T/outer.pcap" --vni 5 --local 198.18.0.1 \
		--fdb-dump "$T/dump.tsv" </dev/null >/dev/null
	[ "$status" -eq 0 ]
	cat "$T/stats" "$T/dump.tsv"
	[ "$(counter "$T/stats" decap_frames)" -eq 4 ]
	learned_line "$T/dump.tsv" 5 02:00:c6:13:00:07 198.18.0.3
	fails grep -q '198\.18\.0\.2' "$T/dump.tsv"
	[ "$(counter "$T/stats" fdb_moved)" -eq 1 ]
	[ "$(counter "$T/stats" fdb_learned)" -eq 1 ]
	[ "$(counter "$T/stats" fdb_entries)" -eq 1 ]
}

# Three hosts on a bridge in a fourth namespace, each with a one-process
# VTEP in VNI 100 flooding to the two others.
setup_three() {
	local h i=1 ns name addrs
	mkns S sw
	for h in a b c; do
		mkns "${h^^}" "$h"
	done
	for ns in "$S" "$A" "$B" "$C"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$S" link add br0 type bridge
	for h in a b c; do
		ns=${h^^}
		ns=${!ns}
		ip link add "p$h" netns "$S" type veth peer name u0 netns "$ns"
		ip -n "$S" link set "p$h" master br0 up
		ip -n "$ns" addr add "198.18.0.$i/24" dev u0
		ip -n "$ns" link set u0 up
		i=$((i + 1))
	done
	ip -n "$S" link set br0 up
	i=1
	for h in a b c; do
		ns=${h^^}
		ns=${!ns}
		addrs=()
		for r in 1 2 3; do
			[ "$r" = "$i" ] || addrs+=(--remote "198.18.0.$r")
		done
		name=vnet${h^^}
		bg "$name" ip netns exec "$ns" vnet-encap -i tap:vx0 \
			-o "udp:198.18.0.$i" "${addrs[@]}" --vni 100
		wait_link "$ns" vx0
		ip -n "$ns" addr add "198.19.0.$i/24" dev vx0
		ip -n "$ns" link set vx0 up
		i=$((i + 1))
	done
}

# decap_at_least NAME N: NAME's decap_frames is at least N.
decap_at_least() {
	[ "$(counter_now "$1" decap_frames)" -ge "$2" ]
}

@test "BUM frames reach every peer of the flood list" {
	need_root
	setup_three
	flood0=$(counter_now vnetA flood_packets)
	rx0=$(counter "$(log_of vnetA)" inner_rx_frames)
	# Three broadcast frames (EtherType 0x88b5) written on A's vx0.
	ip netns exec "$A" timeout 5 python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vx0", 0))
src = bytes.fromhex(open("/sys/class/net/vx0/address").read().strip().replace(":", ""))
for i in range(3):
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + bytes([i]) * 50)
'
	wait_for 30 decap_at_least vnetB 3
	wait_for 30 decap_at_least vnetC 3
	[ "$(counter_now vnetB inner_tx_frames)" -ge 3 ]
	[ "$(counter_now vnetC inner_tx_frames)" -ge 3 ]
	flood=$(($(counter_now vnetA flood_packets) - flood0))
	rx=$(($(counter "$(log_of vnetA)" inner_rx_frames) - rx0))
	echo "A: $rx frames from vx0, $flood flood copies"
	[ "$rx" -ge 3 ]
	# Every frame A read was broadcast: two copies each, one per peer.
	[ "$flood" -eq $((2 * rx)) ]
	[ "$(counter "$(log_of vnetA)" encap_packets)" -eq \
		"$(counter "$(log_of vnetA)" flood_packets)" ]
}

@test "BUM frames from a capture are replicated to every remote, one copy each" {
	mkpcap "$T/bcast.pcap" --count 3
	run_encap -i "pcap:$T/bcast.pcap" --vni 9 --local 198.18.0.1 \
		-r 198.18.0.2 -r 198.18.0.3 -r 198.18.0.4 -o - \
		</dev/null >"$T/out.pcap"
	[ "$status" -eq 0 ]
	run dsts "$T/out.pcap"
	echo "$output"
	[ "${#lines[@]}" -eq 9 ]
	for r in 198.18.0.2 198.18.0.3 198.18.0.4; do
		[ "$(grep -cx "$r" <<<"$output")" -eq 3 ]
	done
	run tshark -r "$T/out.pcap" -T fields -e vxlan.vni
	[ "$(grep -cx 9 <<<"$output")" -eq 9 ]
	[ "$(counter "$T/stats" flood_packets)" -eq 9 ]
}

@test "a broadcast reaches each of the 1000 remotes of a VNI's flood list, one copy each" {
	local i
	for ((i = 0; i < 1000; i++)); do
		printf '9\t00:00:00:00:00:00\t198.18.%d.%d\n' $((1 + i / 250)) $((i % 250))
	done >"$T/fabric.tsv"
	mkpcap "$T/bcast.pcap" --count 1
	run_encap -i "pcap:$T/bcast.pcap" --vni 9 --local 198.18.0.1 \
		--fdb "$T/fabric.tsv" -o - </dev/null >"$T/out.pcap"
	[ "$status" -eq 0 ]
	[ "$(counter "$T/stats" flood_packets)" -eq 1000 ]
	run dsts "$T/out.pcap"
	[ "${#lines[@]}" -eq 1000 ]
	[ "$(sort -u <<<"$output" | wc -l)" -eq 1000 ]
	grep -qx 198.18.4.249 <<<"$output"
}

MAC_S=02:00:c6:13:00:99

# send_live: one unicast frame to MAC_S into the live vnet-encap's inner
# stream (records only: the file header went first).
send_live() {
	mkpcap - --dst-mac "$MAC_S" | tail -c +25 >&"$HOLD"
}

# has_n_packets PCAP N: PCAP holds exactly N packets.
has_n_packets() {
	[ "$(dsts "$1" | wc -l)" -eq "$2" ]
}

@test "static FDB entries from a file steer unicast, and SIGHUP reloads them" {
	printf '# static\n100\t%s\t198.18.0.3\n' "$MAC_S" >"$T/fdb.tsv"
	flood=(-r 198.18.0.2 -r 198.18.0.3 -r 198.18.0.4)

	# Replay: the frame to MAC_S goes to 198.18.0.3 only, not flooded.
	mkpcap "$T/uni.pcap" --dst-mac "$MAC_S"
	run_encap -i "pcap:$T/uni.pcap" --vni 100 --local 198.18.0.1 \
		"${flood[@]}" --fdb "$T/fdb.tsv" -o - </dev/null >"$T/out.pcap"
	[ "$status" -eq 0 ]
	[ "$(dsts "$T/out.pcap")" = 198.18.0.3 ]
	[ "$(counter "$T/stats" flood_packets)" -eq 0 ]
	# The flood list is there: an unknown unicast goes to all three.
	mkpcap "$T/unknown.pcap" --dst-mac 02:00:c6:13:00:98
	run_encap -i "pcap:$T/unknown.pcap" --vni 100 --local 198.18.0.1 \
		"${flood[@]}" --fdb "$T/fdb.tsv" -o - </dev/null >"$T/out2.pcap"
	[ "$status" -eq 0 ]
	[ "$(dsts "$T/out2.pcap" | wc -l)" -eq 3 ]

	# Live: the inner side is a FIFO we keep open, the outer side's input
	# is empty and its output a file.
	mkfifo "$T/in"
	exec {HOLD}<>"$T/in"
	mkpcap - --count 0 >&"$HOLD"
	bg vnetS vnet-encap -v -i fd:5,6 -o fd:7,1 --vni 100 \
		--local 198.18.0.1 "${flood[@]}" --fdb "$T/fdb.tsv" \
		--fdb-dump "$T/dump.tsv" \
		5<"$T/in" 6>/dev/null 7</dev/null >"$T/live.pcap"
	send_live
	wait_for 50 has_n_packets "$T/live.pcap" 1
	[ "$(dsts "$T/live.pcap")" = 198.18.0.3 ]

	# Rewrite the file, reload: the next frame goes to the new remote.
	printf '100\t%s\t198.18.0.4\n' "$MAC_S" >"$T/fdb.tsv"
	kill -HUP "$(pid_of vnetS)"
	wait_for 50 grep -q "reloaded $T/fdb.tsv" "$(log_of vnetS)"
	send_live
	wait_for 50 has_n_packets "$T/live.pcap" 2
	[ "$(dsts "$T/live.pcap" | sed -n 2p)" = 198.18.0.4 ]

	# A malformed file is refused with FILE:LINE, the old entries stay
	# (even the good first line of the bad file is not applied).
	printf '100\t%s\t198.18.0.2\n100\tzz:00:c6:13:00:01\t198.18.0.2\n' \
		"$MAC_S" >"$T/fdb.tsv"
	kill -HUP "$(pid_of vnetS)"
	wait_for 50 grep -q "$T/fdb.tsv:2: bad MAC" "$(log_of vnetS)"
	send_live
	wait_for 50 has_n_packets "$T/live.pcap" 3
	[ "$(dsts "$T/live.pcap" | sed -n 3p)" = 198.18.0.4 ]
	kill -0 "$(pid_of vnetS)"
	fdb_dump vnetS "$T/dump.tsv"
	grep -qx "100	$MAC_S	198.18.0.4	static	-" "$T/dump.tsv"
	[ "$(counter "$(log_of vnetS)" flood_packets)" -eq 0 ]
}

@test "static entries are not overwritten by learning" {
	printf '5\t02:00:c6:13:00:01\t198.18.0.3\n' >"$T/fdb.tsv"
	# From 198.18.0.2: two frames from the static MAC, one from another.
	{
		mkpcap - --vxlan 5 --count 2 --src-mac 02:00:c6:13:00:01
		mkpcap - --vxlan 5 --src-mac 02:00:c6:13:00:02 \
			--ts 1700000001 | tail -c +25
	} >"$T/outer.pcap"
	run_encap -i - -o "pcap:$T/outer.pcap" --vni 5 --local 198.18.0.1 \
		--fdb "$T/fdb.tsv" --fdb-dump "$T/dump.tsv" </dev/null >/dev/null
	[ "$status" -eq 0 ]
	cat "$T/stats" "$T/dump.tsv"
	[ "$(counter "$T/stats" decap_frames)" -eq 3 ]
	grep -qx '5	02:00:c6:13:00:01	198.18.0.3	static	-' "$T/dump.tsv"
	learned_line "$T/dump.tsv" 5 02:00:c6:13:00:02 198.18.0.2
	[ "$(grep -c '02:00:c6:13:00:01' "$T/dump.tsv")" -eq 1 ]
	[ "$(counter "$T/stats" fdb_learned)" -eq 1 ]
	[ "$(counter "$T/stats" fdb_moved)" -eq 0 ]
	[ "$(counter "$T/stats" fdb_entries)" -eq 2 ]

	# And the static entry still steers: the same outer frames arrive
	# while a frame to that MAC is encapsulated; it goes to .3 only.
	mkpcap "$T/uni.pcap" --dst-mac 02:00:c6:13:00:01 --ts 1700000002
	run_encap -i "pcap:$T/uni.pcap" -o - --vni 5 --local 198.18.0.1 \
		-r 198.18.0.2 --fdb "$T/fdb.tsv" <"$T/outer.pcap" >"$T/out.pcap"
	[ "$status" -eq 0 ]
	[ "$(dsts "$T/out.pcap")" = 198.18.0.3 ]
}
