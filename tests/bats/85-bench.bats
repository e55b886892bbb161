#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 85-bench: vnet-bench's generator, sink and RFC 2544 search, through test
# stages with known faults (vnet-bench police) and through vnet-encap.
#
#   gen -c N | [police --drop-every K | --dup-every K | --swap-every K
#              | --delay D | --rate R] | sink  -> exact counts
#   rfc2544 -- police --rate R                 -> R within one step
#   gen | vnet-encap -o - | tshark, and entropy -- vnet-encap -o -
#   tcpdump -w (pings in a namespace), random bytes -> sink: foreign
#   gen -> tap t0 (tcpdump); gen | vnet-tap ta -> [bridge] -> tap tb -> sink
#   gen | vnet-encap [A u0 198.18.0.1] --veth-- [B u0 198.18.0.2]
#         vnet-encap | sink                           (setup_hosts)
#   gen --macs 4096 | vnet-encap -o - | vnet-encap --fdb-max 1024
#
# The counts are exact: the police stage decides by frame number and by
# the frames' own timestamps, and the sink's latency with --clock pcap is
# the arithmetic of those timestamps; the one latency taken on the wall
# clock is bounded generously below and above.  Every command runs under
# timeout.  Needs jq and tshark; tcpdump and ping where said.

load lib
bats_require_minimum_version 1.5.0

setup() {
	need_cmd jq
	T=$BATS_TEST_TMPDIR
}

teardown() {
	vnet_teardown
}

# field FILTER: the JSON on stdin through jq FILTER.
field() {
	jq -r "$1"
}

@test "gen | sink counts every frame of a fixed count, in order, none lost" {
	timeout 20 vnet-bench gen -c 10000 -s 64 |
		timeout 20 vnet-bench sink --json >"$T/out"
	cat "$T/out"
	[ "$(field '.frames' <"$T/out")" = 10000 ]
	[ "$(field '.foreign' <"$T/out")" = 0 ]
	[ "$(field '.streams | length' <"$T/out")" = 1 ]
	[ "$(field '.streams[0] | "\(.frames) \(.bytes) \(.lost) \(.duplicates) \(.reordered)"' <"$T/out")" = "10000 600000 0 0 0" ]
}

@test "gen writes valid frames of every size, protocol and family, flows and MACs as asked" {
	need_cmd tshark
	local a
	for a in "-s 64" "-s imix" "-s 76,1518 --proto tcp" "--proto icmp" \
		"--ipv6 -s 84" "--ipv6 --proto icmp -s 1000" "--vlan 100 -s 68"; do
		timeout 20 vnet-bench gen -c 24 $a >"$T/g.pcap"
		# Every checksum tshark checks is good (status 1).
		tshark -r "$T/g.pcap" -o ip.check_checksum:TRUE \
			-o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
			-T fields -e ip.checksum.status -e udp.checksum.status \
			-e tcp.checksum.status -e icmp.checksum.status \
			-e icmpv6.checksum.status 2>/dev/null >"$T/st"
		[ "$(wc -l <"$T/st")" = 24 ] || { echo "$a: $(wc -l <"$T/st") frames"; return 1; }
		if grep -q '[02]' "$T/st"; then
			echo "$a: bad checksum"; cat "$T/st"; return 1
		fi
	done
	# IMIX 7:4:1 of 64, 570 and 1518 bytes (the FCS not in the stream).
	timeout 20 vnet-bench gen -c 1200 -s imix >"$T/g.pcap"
	[ "$(tshark -r "$T/g.pcap" -T fields -e frame.len 2>/dev/null | sort -n | uniq -c |
		awk '{ printf "%s:%s ", $2, $1 }')" = "60:700 566:400 1514:100 " ]
	# 5 flows over the source address, 3 source MACs, VLAN 7.
	timeout 20 vnet-bench gen -c 30 -n 5 --vary src-ip --macs 3 --vlan 7 -s 68 >"$T/g.pcap"
	[ "$(tshark -r "$T/g.pcap" -T fields -e ip.src 2>/dev/null | sort -u | tr '\n' ' ')" = \
		"198.18.0.1 198.18.0.2 198.18.0.3 198.18.0.4 198.18.0.5 " ]
	[ "$(tshark -r "$T/g.pcap" -T fields -e eth.src 2>/dev/null | sort -u | tr '\n' ' ')" = \
		"02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03 " ]
	[ "$(tshark -r "$T/g.pcap" -T fields -e vlan.id 2>/dev/null | sort -u)" = 7 ]
}

@test "a paced gen stamps its schedule in the records: 1000 pps, 1 ms apart" {
	need_cmd tshark
	timeout 20 vnet-bench gen -F pcap-ns -c 50 --rate 1000 >"$T/g.pcap"
	tshark -r "$T/g.pcap" -T fields -e frame.time_delta 2>/dev/null |
		sed 1d | sort -u >"$T/d"
	cat "$T/d"
	[ "$(cat "$T/d")" = "0.001000000" ]
	# A bit rate: 64-byte frames at 512 kbit/s are 1000 a second too.
	timeout 20 vnet-bench gen -F pcap-ns -c 5 --rate 512kbps >"$T/g.pcap"
	[ "$(tshark -r "$T/g.pcap" -T fields -e frame.time_delta 2>/dev/null |
		sed 1d | sort -u)" = "0.001000000" ]
}

@test "the sink reports injected loss, duplicates and reordering exactly" {
	timeout 20 vnet-bench gen -c 1001 | timeout 20 vnet-bench police --drop-every 10 |
		timeout 20 vnet-bench sink --json >"$T/out"
	[ "$(field '.streams[0] | "\(.frames) \(.lost) \(.duplicates) \(.reordered)"' <"$T/out")" = "901 100 0 0" ]
	timeout 20 vnet-bench gen -c 1000 | timeout 20 vnet-bench police --dup-every 10 |
		timeout 20 vnet-bench sink --json >"$T/out"
	[ "$(field '.streams[0] | "\(.frames) \(.lost) \(.duplicates) \(.reordered)"' <"$T/out")" = "1100 0 100 0" ]
	timeout 20 vnet-bench gen -c 1001 | timeout 20 vnet-bench police --swap-every 10 |
		timeout 20 vnet-bench sink --json >"$T/out"
	[ "$(field '.streams[0] | "\(.frames) \(.lost) \(.duplicates) \(.reordered)"' <"$T/out")" = "1001 0 0 100" ]
	# All three at once, two streams side by side.
	{ timeout 20 vnet-bench gen -c 3001 --stream 1; } |
		timeout 20 vnet-bench police --drop-every 7 --dup-every 11 --swap-every 13 |
		timeout 20 vnet-bench sink --json >"$T/out"
	cat "$T/out"
	# Frame k (from 1): dropped if 7 | k, else twice if 11 | k, held
	# behind the next if 13 | k; 3001 frames.
	# A frame held back is not also sent twice (11 and 13 | k).
	local drop=$((3001 / 7)) sw=$((3001 / 13 - 3001 / 91))
	local dup=$((3001 / 11 - 3001 / 77 - 3001 / 143 + 3001 / 1001))
	[ "$(field '.streams[0] | "\(.stream) \(.lost) \(.duplicates)"' <"$T/out")" = "1 $drop $dup" ]
	# A held frame whose next is dropped follows the next one kept; one
	# that is the last (none here: 3001 is not a multiple of 13) would
	# not be reordered.
	[ "$(field '.streams[0].reordered' <"$T/out")" = "$sw" ]
}

@test "a sink counts the loss at the end only when told the count: rfc2544 does" {
	timeout 20 vnet-bench gen -c 1000 | timeout 20 vnet-bench police --drop-every 10 |
		timeout 20 vnet-bench sink --json >"$T/out"
	# Frame 1000 was the last: the sequence numbers cannot tell.
	[ "$(field '.streams[0] | "\(.frames) \(.lost)"' <"$T/out")" = "900 99" ]
}

@test "latency is the arithmetic of the timestamps: a stage that adds 25 ms gives 25 ms" {
	timeout 20 vnet-bench gen -F pcap-ns -c 2000 |
		timeout 20 vnet-bench police -F pcap-ns --delay 25ms |
		timeout 20 vnet-bench sink --clock pcap --json >"$T/out"
	cat "$T/out"
	[ "$(field '.streams[0].latency_ns | "\(.min) \(.p50) \(.p90) \(.p99) \(.p99_9) \(.max)"' <"$T/out")" = \
		"25000000 25000000 25000000 25000000 25000000 25000000" ]
}

@test "latency through a stage that holds the frames back half a second is at least 0.4 s" {
	# 20 frames at 1000 pps are all sent within 0.1 s; the stage sleeps
	# 0.5 s before it passes them on.  Bounded generously: never a
	# measure of the machine's speed.
	timeout 20 vnet-bench gen -c 20 --rate 1000 | { sleep 0.5; cat; } |
		timeout 20 vnet-bench sink --json >"$T/out"
	cat "$T/out"
	local p50 max
	p50=$(field '.streams[0].latency_ns.p50' <"$T/out")
	max=$(field '.streams[0].latency_ns.max' <"$T/out")
	[ "$p50" -ge 400000000 ]
	[ "$max" -lt 15000000000 ]
	[ "$(field '.streams[0].frames' <"$T/out")" = 20 ]
}

@test "rfc2544 finds the rate of a token-bucket stage within one search step" {
	# police passes 2000 frames a second by the frames' timestamps; the
	# search runs from 4000 pps in steps of 5% (200 pps).
	run -0 --separate-stderr timeout 120 vnet-bench rfc2544 -s 64 --trial 1s \
		--max-rate 4000 --resolution 5 --ladder 100,50 --json -- \
		vnet-bench police --rate 2000
	echo "$output"
	local thr step
	thr=$(echo "$output" | field '.results[0].throughput_pps')
	step=$(echo "$output" | field '.results[0].step_pps')
	[ "$step" = 200 ]
	[ "$thr" -ge 1800 ] && [ "$thr" -le 2200 ]
	[ "$(echo "$output" | field '.direction')" = one-way ]
	# The ladder: at 100% (4000 pps) about half is lost, none at 50%.
	[ "$(echo "$output" | field '.results[0].loss[1].lost')" = 0 ]
	[ "$(echo "$output" | field '.results[0].loss[0].sent')" = 4000 ]
	[ "$(echo "$output" | field '.results[0].loss[0].lost')" -ge 1900 ]
	# The table says the direction.
	run -0 timeout 120 vnet-bench rfc2544 -s 64 --trial 200ms \
		--max-rate 1000 --resolution 50 --ladder 100 -- cat
	[[ ${lines[0]} == "# one direction: gen -> cat -> sink"* ]]
	[ "$(echo "$output" | awk -F'\t' '$1 == 64 && NF == 10 { print $2 }')" = 1000 ]
}

@test "the sink counts random bytes in pcap records, and another tool's frames, as foreign" {
	need_cmd python3
	python3 - "$T/rand.pcap" <<'PY'
import os, struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(500):
        n = 14 + (i * 37) % 1500
        f.write(struct.pack("<IIII", i, 0, n, n) + os.urandom(n))
PY
	run -0 --separate-stderr timeout 20 vnet-bench sink --port "pcap:$T/rand.pcap" --json
	echo "$output"
	[ "$(echo "$output" | field '"\(.frames) \(.foreign) \(.streams | length)"')" = "500 500 0" ]
	# The outer frames of vnet-encap carry the stamp one header too deep.
	timeout 20 vnet-bench gen -c 100 |
		timeout 20 vnet-encap -i - -o - --vni 5 --local 198.18.0.1 \
			-r 198.18.0.2 --control none >"$T/outer.pcap" 3>&- 4>&-
	run -0 --separate-stderr timeout 20 vnet-bench sink --port "pcap:$T/outer.pcap" --json
	[ "$(echo "$output" | field '"\(.frames) \(.foreign)"')" = "100 100" ]
	# A stream that is not one is an error, not a crash (0xffff is
	# neither a pcap magic nor a VDE length).
	run -1 --separate-stderr timeout 20 vnet-bench sink \
		< <(printf '\377\377\377\377'; head -c 4096 /dev/urandom)
	[[ $stderr == *"unrecognized stream format"* ]]
}

@test "the sink counts a tcpdump capture of pings as foreign, its own frames among them as a stream" {
	need_root
	need_cmd tcpdump ping
	local ns
	mkns ns bench
	# tcpdump stops by itself after the 3 requests and 3 replies.
	bg tcpdump ip netns exec "$ns" timeout 20 tcpdump -i lo -U -c 6 -w "$T/lo.pcap" icmp
	wait_for 100 grep -q 'listening on' "$(log_of tcpdump)"
	ip netns exec "$ns" ping -c 3 -i 0.2 -W 1 127.0.0.1 >/dev/null
	wait_for 100 exited tcpdump
	timeout 20 vnet-bench gen -c 7 >"$T/ours.pcap"
	run -0 --separate-stderr timeout 20 vnet-bench sink --port "pcap:$T/lo.pcap" --json
	echo "$output"
	[ "$(echo "$output" | field '"\(.frames) \(.foreign)"')" = "6 6" ]
	run -0 --separate-stderr bash -c "cat '$T/ours.pcap' | timeout 20 vnet-bench sink --json"
	[ "$(echo "$output" | field '"\(.frames) \(.foreign) \(.streams[0].frames)"')" = "7 0 7" ]
}

@test "entropy counts the outer source ports vnet-encap gives N flows, as tshark reads them" {
	need_cmd tshark
	# vnet-encap's port hash has a seed of its own each run: the
	# histogram of one capture, counted by entropy and by tshark.
	timeout 20 vnet-bench gen -c 400 -n 400 -s 128 |
		timeout 20 vnet-encap -i - -o - --vni 5 --local 198.18.0.1 \
			-r 198.18.0.2 --control none >"$T/outer.pcap" 3>&- 4>&-
	tshark -r "$T/outer.pcap" -T fields -E occurrence=f -e udp.srcport 2>/dev/null |
		sort | uniq -c | awk '{ print $2, $1 }' | sort >"$T/want"
	run -0 --separate-stderr timeout 60 vnet-bench entropy -n 400 -s 128 \
		--buckets 4 --json -- cat "$T/outer.pcap"
	echo "$output" | field '.port | to_entries[] | "\(.key) \(.value)"' |
		sort >"$T/got"
	diff "$T/want" "$T/got"
	[ "$(echo "$output" | field '"\(.frames) \(.udp) \(.buckets)"')" = "400 400 4" ]
	[ "$(echo "$output" | field '.bucket | add')" = 400 ]
	# The spread RFC 7348 asks for: most flows have a port of their own.
	[ "$(echo "$output" | field '.ports')" -gt 300 ]
	# And live, through vnet-encap itself.
	run -0 --separate-stderr timeout 60 vnet-bench entropy -n 400 -s 128 \
		--buckets 4 --json -- vnet-encap -i - -o - --vni 5 \
		--local 198.18.0.1 -r 198.18.0.2 --control none
	[ "$(echo "$output" | field '"\(.frames) \(.udp)"')" = "400 400" ]
	[ "$(echo "$output" | field '.ports')" -gt 300 ]
}

@test "gen and sink measure a path across an overlay: every frame, none lost or reordered" {
	need_root
	setup_hosts
	# B: VTEP 198.18.0.2, its decapsulated frames to the sink (stdin
	# held open by sleep); A: gen into VTEP 198.18.0.1.
	bg sinkB bash -c "sleep 25 | ip netns exec '$B' timeout 25 vnet-encap -i - \
		-o udp:198.18.0.2 -r 198.18.0.1 --vni 100 --control none |
		timeout 25 vnet-bench sink -c 5000 --json >'$T/sink.json'"
	wait_for 100 bash -c "ip netns exec '$B' ss -Huln 'sport = :4789' | grep -q ."
	timeout 20 vnet-bench gen -c 5000 --rate 10k -n 16 |
		ip netns exec "$A" timeout 20 vnet-encap -i - -o udp:198.18.0.1 \
			-r 198.18.0.2 --vni 100 --control none >/dev/null 3>&- 4>&-
	wait_for 100 test -s "$T/sink.json"
	cat "$T/sink.json"
	[ "$(field '.streams[0] | "\(.frames) \(.lost) \(.duplicates) \(.reordered)"' <"$T/sink.json")" = "5000 0 0 0" ]
	[ "$(field '.foreign' <"$T/sink.json")" = 0 ]
}

@test "gen writes to a tap, and a sink reads a tap: every frame through a kernel bridge" {
	need_root
	need_cmd tcpdump
	local ns
	mkns ns tap
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	# gen -> tap t0, as the kernel receives it (tcpdump on t0).
	ip -n "$ns" tuntap add mode tap t0
	ip -n "$ns" link set t0 up
	bg tcpdump ip netns exec "$ns" timeout 20 tcpdump -ni t0 -U -c 300 \
		-w "$T/t0.pcap" udp
	wait_for 100 grep -q 'listening on' "$(log_of tcpdump)"
	ip netns exec "$ns" timeout 20 vnet-bench gen --port tap:t0 -c 300 \
		--rate 5k
	wait_for 100 exited tcpdump
	run -0 --separate-stderr timeout 20 vnet-bench sink --port "pcap:$T/t0.pcap" --json
	[ "$(echo "$output" | field '.streams[0] | "\(.frames) \(.lost)"')" = "300 0" ]
	#   gen | vnet-tap --inject ta -> [bridge br0] -> tap tb -> sink
	# Both bridge ports forward before the first frame: a tap's carrier
	# comes up when its program opens it, and the kernel takes a while
	# to tell the bridge.
	ip -n "$ns" link add br0 type bridge
	ip -n "$ns" link set br0 up
	ip -n "$ns" tuntap add mode tap ta
	ip -n "$ns" tuntap add mode tap tb
	for t in ta tb; do
		ip -n "$ns" link set "$t" master br0
		ip -n "$ns" link set "$t" up
	done
	mkfifo "$T/in"
	bg vnet-tap bash -c "ip netns exec '$ns' timeout 20 vnet-tap --inject ta \
		--control none <'$T/in'"
	exec 5>"$T/in"
	bg sink bash -c "ip netns exec '$ns' timeout 20 vnet-bench sink \
		--port tap:tb -c 500 --json >'$T/tap.json'"
	forwarding() {
		bridge -n "$ns" link show dev ta | grep -q 'state forwarding' &&
			bridge -n "$ns" link show dev tb | grep -q 'state forwarding'
	}
	wait_for 100 forwarding
	timeout 20 vnet-bench gen -c 500 --rate 5k >&5
	exec 5>&-
	wait_for 200 exited sink
	cat "$T/tap.json"
	[ "$(field '.streams[0] | "\(.frames) \(.lost) \(.duplicates) \(.reordered)"' <"$T/tap.json")" = "500 0 0 0" ]
}

@test "a learning test: 4096 source MACs into an FDB of 1024 learn exactly 1024" {
	timeout 20 vnet-bench gen -c 4096 --macs 4096 |
		timeout 20 vnet-encap -i - -o - --vni 100 --local 198.18.0.2 \
			-r 198.18.0.1 --control none >"$T/outer.pcap" 3>&- 4>&-
	timeout 20 vnet-encap -i - -o "pcap:$T/outer.pcap" --vni 100 \
		--local 198.18.0.1 --fdb-max 1024 --fdb-dump "$T/fdb.tsv" \
		--stats --control none </dev/null >/dev/null 2>"$T/stats" 3>&- 4>&-
	[ "$(counter "$T/stats" decap_frames)" -eq 4096 ]
	[ "$(counter "$T/stats" fdb_learned)" -eq 1024 ]
	[ "$(counter "$T/stats" fdb_overflow)" -eq 3072 ]
	[ "$(grep -c learned "$T/fdb.tsv")" -eq 1024 ]
	# The first 1024 MACs of the set, counting up from ...:01.
	[ "$(cut -f2 "$T/fdb.tsv" | sort | sed -n '1p;$p' | tr '\n' ' ')" = \
		"02:00:00:00:00:01 02:00:00:00:04:00 " ]
}

@test "rfc2544 and entropy fail, saying so, when the command under test fails" {
	run -1 --separate-stderr timeout 60 vnet-bench rfc2544 -s 64 \
		--trial 100ms --max-rate 1000 --ladder 100 -- no-such-command-$$
	[[ $stderr == *"no-such-command-$$ exited with status 127"* ]]
	run -1 --separate-stderr timeout 60 vnet-bench rfc2544 -s 64 \
		--trial 100ms --max-rate 1000 --ladder 100 -- false
	[[ $stderr == *"false exited with status 1"* ]]
	run -1 --separate-stderr timeout 60 vnet-bench entropy -n 10 -- false
	[[ $stderr == *"false exited with status 1"* ]]
}

@test "vnet-bench refuses bad options and commands with status 2" {
	local a
	while read -r a; do
		run --separate-stderr timeout 10 vnet-bench $a </dev/null
		[ "$status" -eq 2 ] || { echo "$a: status $status"; return 1; }
		[[ $stderr == "vnet-bench: "* ]] || { echo "$a: $stderr"; return 1; }
	done <<'EOF2'

frobnicate
gen -s 63
gen -s 64,,65
gen --ipv6 -s 64
gen --rate 10x
gen --rate -5
gen --vary src-mac
gen --proto sctp
gen --vlan 4095
gen --port udp:198.18.0.1
gen -c 0
sink --rate 100
sink extra
police --tolerance 5
rfc2544
rfc2544 -s imix -- cat
rfc2544 --tolerance 101 -- cat
rfc2544 --ladder 50,,10 -- cat
entropy
gen --proto icmp --vary src-port
EOF2
}
