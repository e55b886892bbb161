#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# vnet-flowexport: IPFIX export checked by real collectors (nfcapd/nfdump,
# tshark), by a strict decoder (flowexport/ipfix.py) and by its --json
# records, from captures with known flows (flowexport/mkflows.py).
#
#   offline:   mkflows.py -> FILE -> vnet-flowexport --json -  (no sockets)
#   export:    namespace N (lo only):
#              vnet-flowexport FILE -C udp:127.0.0.1:4739 -> nfcapd | ipfix.py
#              (tcpdump -i lo for tshark)
#   chain:     host A                                host B
#              vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#              vnet-pipe vnet-tap = vnet-flowexport  vnet-encap -i tap:vx0
#                        = vnet-encap   (collector ipfix.py on A's lo)
#              u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#   live:      the same veth, vnet-flowexport -I u0 in host A
#
# Offline runs use the packet times (--clock pcap), so their records are
# exact to the millisecond; no test asserts a wall-clock time.  Foreground
# commands run under timeout 20; background ones are stopped by PID (at
# the latest by teardown).  Needs python3 and jq; nfcapd/nfdump, tshark,
# tcpdump, ping and socat where a test says so.

load lib

setup() {
	need_root
	need_cmd python3 jq
	T=$BATS_TEST_TMPDIR
	FE=$BATS_TEST_DIRNAME/flowexport
	MKFLOWS="python3 $FE/mkflows.py"
	IPFIX="python3 $FE/ipfix.py"
	export TZ=UTC
}

teardown() {
	vnet_teardown
}

# try CMD...: run CMD under timeout 20, stdout to $T/out, stderr to $T/err
# (shown on failure), its status in $rc; descriptors 3 and 4 closed (bats
# holds 3), so a middle program is a one-way filter.  Fails when CMD hung,
# died of a signal (a crash) or a sanitizer reported an error.
try() {
	rc=0
	timeout 20 "$@" >"$T/out" 2>"$T/err" 3>&- 4>&- || rc=$?
	echo "\$ $* -> $rc"
	cat "$T/err"
	[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ] &&
		! grep -qE 'Sanitizer|runtime error:' "$T/err"
}

err_has() {
	grep -qF -- "$1" "$T/err"
}

# ctr NAME: a counter from the last command's --stats.
ctr() {
	counter "$T/err" "$1"
}

# jflows FILE: the --json records of FILE, one sorted line each:
#   SRC:SPORT>DST:DPORT/PROTO PACKETS BYTES END_REASON SEGMENT VLAN
# with icmp:TYPE.CODE in place of the ports of ICMP flows.
jflows() {
	jq -r 'if has("icmp_type") then
		"\(.src)>\(.dst)/icmp:\(.icmp_type).\(.icmp_code)"
	else "\(.src):\(.sport)>\(.dst):\(.dport)/\(.proto)" end
	+ " \(.packets) \(.bytes) \(.end_reason) \(.segment) \(.vlan)"' "$1" |
		sort
}

# same EXPECTED ACTUAL: compare two texts, show both when they differ.
same() {
	if [ "$1" != "$2" ]; then
		printf 'expected:\n%s\ngot:\n%s\n' "$1" "$2"
		diff <(echo "$1") <(echo "$2") || :
		return 1
	fi
}

# stopped NAME: stop background NAME, which must exit 0 (lib.bash's stop
# is called with || so that errexit does not end it early).
stopped() {
	local rc=0
	stop "$1" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$1: exit status $rc"
		cat "$(log_of "$1")"
		return 1
	fi
}

# collector NAME NS SPEC: start ipfix.py recv SPEC in namespace NS, the
# messages into $T/NAME.ipfix; returns when it listens.
collector() {
	bg "$1" ip netns exec "$2" $IPFIX recv "$3" "$T/$1.ipfix"
	wait_for 50 test -e "$T/$1.ipfix.ready"
}

# decode NAME: stop collector NAME (all datagrams sent are queued by
# now), decode its messages strictly into $T/NAME.dec.
decode() {
	stop "$1" || :
	$IPFIX decode "$T/$1.ipfix" >"$T/$1.dec"
}

# records NAME JQFILTER: the decoded data records of NAME through jq -c.
records() {
	jq -c "select(.type == \"data\") | $2" "$T/$1.dec"
}

# A capture of known flows, in VLANs 100 (VNI 5000) and 200 (VNI 6000),
# one untagged, and one non-IP frame; what nfdump must show for it.
mapped_capture() {
	$MKFLOWS "$T/mapped.pcap" \
		vlan=100,src=198.19.1.1,dst=198.19.1.2,sport=1000,dport=53,n=5,len=100,gap=10 \
		vlan=200,proto=tcp,src=198.19.2.1,dst=198.19.2.2,sport=40000,dport=80,n=4,len=60,last=FA,t=3,gap=10 \
		vlan=100,proto=icmp,src=198.19.1.1,dst=198.19.1.3,n=3,len=84,t=5,gap=10 \
		vlan=200,src=2001:db8::1,dst=2001:db8::2,sport=1001,dport=2001,n=2,len=120,t=7,gap=10 \
		src=198.19.3.1,dst=198.19.3.2,sport=5,dport=6,n=1,len=200,t=8 \
		kind=arp,t=9
}

# The same kind of flows carried in VXLAN, VNI 7001 and 7002, and one
# VXLAN packet to port 8472 that is not decapsulated without
# --vxlan-port 8472: it is an outer UDP flow (150 = 20 + 8 + 8 + 114).
vxlan_capture() {
	$MKFLOWS "$T/vxlan.pcap" \
		vxlan=7001,src=198.19.7.1,dst=198.19.7.2,sport=7,dport=8,n=6,len=150,gap=10 \
		vxlan=7002,vlan=300,proto=tcp,src=198.19.7.1,dst=198.19.7.3,sport=9,dport=10,n=2,len=40,flags=S,t=1,gap=10 \
		vxlan=7003,vxport=8472,src=198.19.7.5,dst=198.19.7.6,n=1,len=100,t=2
}

@test "nfcapd collects every flow of a capture with exact packets, bytes and the VNI in the VRF IDs" {
	need_cmd nfcapd nfdump ss
	mkns ns n
	mapped_capture
	vxlan_capture
	mkdir "$T/nf"
	bg nfcapd ip netns exec "$ns" nfcapd -w "$T/nf" -b 127.0.0.1 -p 4739 -t 3600
	wait_for 50 bash -c "ip netns exec '$ns' ss -lun | grep -q '127.0.0.1:4739 '"
	try ip netns exec "$ns" vnet-flowexport "$T/mapped.pcap" --stats \
		-C udp:127.0.0.1:4739 --profile nfdump --map 100:5000 --map 200:6000
	[ "$rc" -eq 0 ]
	[ "$(ctr frames)" -eq 16 ]
	[ "$(ctr frames_not_ip)" -eq 1 ]
	[ "$(ctr records_exported)" -eq 5 ]
	[ "$(ctr send_errors)" -eq 0 ]
	try ip netns exec "$ns" vnet-flowexport "$T/vxlan.pcap" --stats \
		-C 127.0.0.1 --profile nfdump --decap --domain 2
	[ "$rc" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 8 ]
	[ "$(ctr records_exported)" -eq 3 ]
	# SIGTERM makes nfcapd write its file.
	stop nfcapd || :
	ls -l "$T/nf"
	run nfdump -R "$T/nf" -q -N -o 'fmt:%ts %te %pr %sa %sp %da %dp %pkt %byt %ivrf %evrf %svln %flg %odid'
	echo "$output"
	[ "$status" -eq 0 ]
	got=$(awk '{ $1 = $1; print }' <<<"$output" | sort)
	same "$(sort <<-'EOF'
		2023-11-14 22:13:20.000 2023-11-14 22:13:20.040 17 198.19.1.1 1000 198.19.1.2 53 5 500 5000 5000 100 ........ 0x000000001
		2023-11-14 22:13:20.003 2023-11-14 22:13:20.033 6 198.19.2.1 40000 198.19.2.2 80 4 240 6000 6000 200 ...A...F 0x000000001
		2023-11-14 22:13:20.005 2023-11-14 22:13:20.025 1 198.19.1.1 0 198.19.1.3 8.0 3 252 5000 5000 100 ........ 0x000000001
		2023-11-14 22:13:20.007 2023-11-14 22:13:20.017 17 2001:db8::1 1001 2001:db8::2 2001 2 240 6000 6000 200 ........ 0x000000001
		2023-11-14 22:13:20.008 2023-11-14 22:13:20.008 17 198.19.3.1 5 198.19.3.2 6 1 200 0 0 0 ........ 0x000000001
		2023-11-14 22:13:20.000 2023-11-14 22:13:20.050 17 198.19.7.1 7 198.19.7.2 8 6 900 7001 7001 0 ........ 0x000000002
		2023-11-14 22:13:20.001 2023-11-14 22:13:20.011 6 198.19.7.1 9 198.19.7.3 10 2 80 7002 7002 300 ......S. 0x000000002
		2023-11-14 22:13:20.002 2023-11-14 22:13:20.002 17 198.18.0.2 50000 198.18.0.1 8472 1 150 0 0 0 ........ 0x000000002
	EOF
	)" "$got"
	# The nfdump JSON output names them too.
	run nfdump -R "$T/nf" -o json 'proto icmp'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"ingress_vrf" : "5000"'* ]]
	[[ "$output" == *'"egress_vrf" : "5000"'* ]]
}

@test "tshark decodes the standard export without warnings and shows layer2SegmentId" {
	need_cmd tshark tcpdump
	mkns ns n
	mapped_capture
	collector coll "$ns" udp:127.0.0.1:4739
	bg tcpdump ip netns exec "$ns" tcpdump -i lo -U \
		--immediate-mode -w "$T/export.pcap" udp port 4739
	wait_for 50 grep -q 'listening on' "$(log_of tcpdump)"
	try ip netns exec "$ns" vnet-flowexport "$T/mapped.pcap" --stats \
		-C udp:127.0.0.1 --map 100:5000 --map 200:6000
	[ "$rc" -eq 0 ]
	msgs=$(ctr messages_sent)
	[ "$msgs" -ge 1 ]
	wait_for 50 bash -c "[ \$(tcpdump -r '$T/export.pcap' 2>/dev/null | wc -l) -ge $msgs ]"
	stop tcpdump || :
	decode coll
	# No malformed packet and no expert warning or error.
	run bash -c "tshark -r '$T/export.pcap' -d udp.port==4739,cflow -V 2>/dev/null"
	[ "$status" -eq 0 ]
	[[ "$output" == *"IPFIX"* ]]
	[ "$(grep -ci malformed <<<"$output")" -eq 0 ]
	run bash -c "tshark -r '$T/export.pcap' -d udp.port==4739,cflow -q -z expert,warn 2>/dev/null"
	echo "$output"
	[ "$(grep -cE '^(Errors|Warns) ' <<<"$output")" -eq 0 ]
	# layer2SegmentId: 0x01 (VXLAN) in the top byte, the VNI below; 0 for
	# the untagged flow, which has no segment.
	run bash -c "tshark -r '$T/export.pcap' -d udp.port==4739,cflow -T fields \
		-E occurrence=a -E aggregator=' ' -e cflow.layer2_segment_id \
		-e cflow.packets -e cflow.octets 2>/dev/null"
	echo "$output"
	ids=$(awk '{ n = NF / 3; for (i = 1; i <= n; i++)
		print $i, $(i + n), $(i + 2 * n) }' <<<"$output" | sort)
	same "$(sort <<-EOF
		$(((1 << 56) | 5000)) 5 500
		$(((1 << 56) | 5000)) 3 252
		$(((1 << 56) | 6000)) 4 240
		$(((1 << 56) | 6000)) 2 240
		0 1 200
	EOF
	)" "$ids"
	# The strict decoder agrees, and the templates are those of the spec.
	[ "$(records coll '[.layer2SegmentId.type, .layer2SegmentId.id, .vlanId, .packetDeltaCount]' | sort | tr '\n' ' ')" = \
		'[0,0,0,1] [1,5000,100,3] [1,5000,100,5] [1,6000,200,2] [1,6000,200,4] ' ]
	tpl=$(jq -r 'select(.type == "template") |
		"\(.id) " + (.fields | sort_by(.[0]) | map("\(.[0])/\(.[1])") | join(" "))' \
		"$T/coll.dec" | sort -u)
	same "256 1/8 2/8 4/1 5/1 6/2 7/2 8/4 10/4 11/2 12/4 14/4 32/2 56/6 58/2 80/6 136/1 152/8 153/8 351/8
257 1/8 2/8 4/1 5/1 6/2 7/2 10/4 11/2 14/4 27/16 28/16 56/6 58/2 80/6 136/1 139/2 152/8 153/8 351/8" "$tpl"
}

@test "a capture replayed twice with --clock pcap gives byte-identical IPFIX and JSON" {
	mkns ns n
	$MKFLOWS "$T/replay.pcap" \
		vlan=100,sport=1,n=200,gap=700,len=100 \
		vlan=200,proto=tcp,sport=2,n=30,gap=50,last=F,t=1000 \
		src=2001:db8::1,dst=2001:db8::2,sport=3,n=40,gap=1000,t=500,len=300 \
		proto=icmp,n=20,gap=3000,len=84,t=100
	for i in 1 2; do
		collector "c$i" "$ns" udp:127.0.0.1:4739
		try ip netns exec "$ns" vnet-flowexport --sink --clock pcap \
			-C 127.0.0.1:4739 --map 100:5000 --map 200:6000 \
			--active 30s --idle 5s --sample 3 --template-refresh-msgs 2 \
			--json "$T/replay$i.json" --stats <"$T/replay.pcap"
		[ "$rc" -eq 0 ]
		decode "c$i"
		try vnet-flowexport "$T/replay.pcap" --json - \
			--map 100:5000 --map 200:6000 --active 30s --idle 5s
		[ "$rc" -eq 0 ]
		cp "$T/out" "$T/json$i"
	done
	[ -s "$T/c1.ipfix" ]
	[ "$(grep -c '"type": "msg"' "$T/c1.dec")" -ge 2 ]
	cmp "$T/c1.ipfix" "$T/c2.ipfix"
	cmp "$T/replay1.json" "$T/replay2.json"
	[ "$(wc -l <"$T/json1")" -gt 5 ]
	cmp "$T/json1" "$T/json2"
	# Every frame of the file is in the records: 290 frames, 200 + 30 +
	# 40 + 20.
	[ "$(jq -s 'map(.packets) | add' "$T/json1")" -eq 290 ]
	# The export times are pcap times (November 2023), not the wall clock.
	[ "$(jq -s 'map(select(.type == "msg") | .export_time) | min' "$T/c1.dec")" -ge 1700000000 ]
	[ "$(jq -s 'map(select(.type == "msg") | .export_time) | max' "$T/c1.dec")" -le 1700000300 ]
}

# The timeout capture: --idle 8s --active 30s.  K ticks the clock every
# 0.5 s; L runs 0..25 s and 32..61 s (active expiry at 30 and 62), then
# 64.5..73.5 s; I has packets at 0.2..2.2 s and 12.5..13.5 s (idle
# expiry between); F ends with FIN, a lone ACK follows; R ends with RST.
timeout_capture() {
	$MKFLOWS "$T/timeouts.pcap" \
		sport=100,dport=100,n=149,gap=500 \
		sport=1,dport=1,n=26,gap=1000 \
		sport=1,dport=1,n=30,gap=1000,t=32000 \
		sport=1,dport=1,n=10,gap=1000,t=64500 \
		sport=2,dport=2,n=3,gap=1000,t=200 \
		sport=2,dport=2,n=2,gap=1000,t=12500 \
		proto=tcp,sport=3,dport=3,n=4,gap=100,t=1000,flags=A,last=FA \
		proto=tcp,sport=3,dport=3,n=1,t=1400,flags=A \
		proto=tcp,sport=4,dport=4,n=3,gap=100,t=3000,flags=A,last=R
}

@test "idle and active timeouts and FIN/RST end flows with the right reasons and counts" {
	mkns ns n
	timeout_capture
	collector coll "$ns" udp:127.0.0.1:4739
	try ip netns exec "$ns" vnet-flowexport "$T/timeouts.pcap" --idle 8s \
		--active 30s --json "$T/t.json" -C udp:127.0.0.1:4739 --stats
	[ "$rc" -eq 0 ]
	decode coll
	# Records of every flow but the ticker K: sport packets reason start
	# end (ms after the first packet).
	got=$(jq -r 'select(.sport != 100) | "\(.sport) \(.packets) \(.bytes) \(.end_reason) \(.start - 1700000000000) \(.end - 1700000000000) \(.tcp_flags)"' "$T/t.json" | sort -n -k1 -k5)
	same "1 26 2600 active 0 25000 0
1 30 3000 active 32000 61000 0
1 10 1000 forced 64500 73500 0
2 3 300 idle 200 2200 0
2 2 200 idle 12500 13500 0
3 4 400 end 1000 1300 17
3 1 100 idle 1400 1400 16
4 3 300 end 3000 3200 20" "$got"
	# K: 149 packets in two active-timeout records and a forced one.
	[ "$(jq -s 'map(select(.sport == 100) | .packets) | add' "$T/t.json")" -eq 149 ]
	[ "$(jq -r 'select(.sport == 100) | .end_reason' "$T/t.json" | sort | tr '\n' ' ')" = "active active forced " ]
	[ "$(ctr flows_active_timeout)" -eq 4 ]
	[ "$(ctr flows_idle)" -eq 3 ]
	[ "$(ctr flows_end)" -eq 2 ]
	[ "$(ctr flows_forced)" -eq 2 ]
	[ "$(ctr flows_evicted)" -eq 0 ]
	[ "$(ctr flows_active)" -eq 0 ]
	[ "$(ctr records_exported)" -eq 11 ]
	[ "$(ctr frames)" -eq 228 ]
	# flowEndReason in IPFIX: idle 1, active 2, end 3, forced 4.
	[ "$(records coll .flowEndReason | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" = "1:3 2:4 3:2 4:2 " ]
	[ "$(records coll 'select(.sourceTransportPort == 3 and .flowEndReason == 3) | [.packetDeltaCount, .tcpControlBits]')" = "[4,17]" ]
	# The JSON and the IPFIX records agree.
	[ "$(jq -s 'map(.packets) | add' "$T/t.json")" -eq 228 ]
	[ "$(records coll .packetDeltaCount | jq -s add)" -eq 228 ]
}

@test "--sample N exports 1 in N frames unscaled and announces the sampling in an options record" {
	mkns ns n
	# Frames 0..29 are flow 1, 30..99 flow 2: 1-in-10 keeps frames 0, 10,
	# 20 (flow 1) and 30, 40, ... 90 (flow 2).
	$MKFLOWS "$T/s.pcap" sport=1,n=30,len=100 sport=2,n=70,len=200,t=30
	collector coll "$ns" udp:127.0.0.1:4739
	try ip netns exec "$ns" vnet-flowexport "$T/s.pcap" --sample 10 \
		--json "$T/s.json" -C udp:127.0.0.1:4739 --stats
	[ "$rc" -eq 0 ]
	decode coll
	same "198.19.0.1:1>198.19.0.2:2000/17 3 300 forced null null
198.19.0.1:2>198.19.0.2:2000/17 7 1400 forced null null" "$(jflows "$T/s.json")"
	[ "$(ctr frames)" -eq 100 ]
	[ "$(ctr frames_sampled_out)" -eq 90 ]
	[ "$(records coll '[.sourceTransportPort, .packetDeltaCount, .octetDeltaCount]' | sort | tr '\n' ' ')" = "[1,3,300] [2,7,1400] " ]
	# RFC 7014: samplingPacketInterval 1, samplingPacketSpace N-1.
	jq -c 'select(.type == "options_template")' "$T/coll.dec"
	[ "$(jq -c 'select(.type == "options_template") | .fields | map(.[0]) | (index(305) != null and index(306) != null)' "$T/coll.dec" | sort -u)" = true ]
	[ "$(jq -c 'select(.type == "options_data") | [.samplingPacketInterval, .samplingPacketSpace]' "$T/coll.dec" | sort -u)" = "[1,9]" ]
	# 1-in-1 keeps every frame.
	try vnet-flowexport "$T/s.pcap" --sample 1 --json - --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr frames_sampled_out)" -eq 0 ]
	[ "$(jq -s 'map(.packets) | add' "$T/out")" -eq 100 ]
}

@test "a full flow cache exports its least recently used flow early and counts it" {
	# --max-flows 4: f1..f4 fill the cache, f1 is used again, then f5
	# evicts f2 and f6 evicts f3.
	$MKFLOWS "$T/o.pcap" sport=1,n=2,gap=4 sport=2,t=1 sport=3,t=2 \
		sport=4,t=3 sport=5,t=5 sport=6,t=6
	try vnet-flowexport "$T/o.pcap" --max-flows 4 --json - --stats
	[ "$rc" -eq 0 ]
	got=$(jq -r '"\(.sport) \(.packets) \(.end_reason)"' "$T/out" | sort -n)
	same "1 2 forced
2 1 lack-of-resources
3 1 lack-of-resources
4 1 forced
5 1 forced
6 1 forced" "$got"
	# The evicted ones leave first, when they are pushed out.
	[ "$(head -n 2 "$T/out" | jq -r .sport | tr '\n' ' ')" = "2 3 " ]
	[ "$(ctr flows_evicted)" -eq 2 ]
	[ "$(ctr flows_created)" -eq 6 ]
	[ "$(ctr flows_forced)" -eq 4 ]
	# A flood of new flows degrades, never fails: 3000 flows in 10 slots.
	$MKFLOWS "$T/flood.pcap" $(for i in $(seq 1 3000); do echo "sport=$i,t=$((i / 10))"; done)
	try vnet-flowexport "$T/flood.pcap" --max-flows 10 --json - --stats
	[ "$rc" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 3000 ]
	[ "$(ctr flows_evicted)" -eq 2990 ]
	[ "$(ctr flows_forced)" -eq 10 ]
}

@test "a one-way pass-through filter writes its frames unchanged and meters them" {
	need_cmd tcpdump
	mapped_capture
	vxlan_capture
	for d in egress ingress; do
		try vnet-flowexport --dir "$d" --json "$T/p-$d.json" \
			--map 100:5000 --map 200:6000 --stats \
			<"$T/mapped.pcap"
		[ "$rc" -eq 0 ]
		cmp <(tcpdump -r "$T/mapped.pcap" -nn -tt -e -xx 2>/dev/null) \
			<(tcpdump -r "$T/out" -nn -tt -e -xx 2>/dev/null)
		[ "$(ctr passed_$d)" -eq 16 ]
		[ "$(jq -s 'map(.packets) | add' "$T/p-$d.json")" -eq 15 ]
	done
	[ "$(jq -r 'select(.sport == 1000) | .segment' "$T/p-egress.json")" -eq 5000 ]
	# Which UDP ports are VXLAN: 4789 by default, those of --vxlan-port
	# instead.
	try vnet-flowexport "$T/vxlan.pcap" --decap --json - --stats
	[ "$(ctr decap_frames)" -eq 8 ]
	try vnet-flowexport "$T/vxlan.pcap" --decap --vxlan-port 8472 --json - --stats
	[ "$(ctr decap_frames)" -eq 1 ]
	[ "$(jq -r 'select(.segment == 7003) | .packets' "$T/out")" -eq 1 ]
	try vnet-flowexport "$T/vxlan.pcap" --decap --vxlan-port 4789 \
		--vxlan-port 8472 --json - --stats
	[ "$(ctr decap_frames)" -eq 9 ]
	[ "$(jq -r .segment "$T/out" | sort -u | tr '\n' ' ')" = "7001 7002 7003 " ]
	# VDE framing out: the same frames.
	try vnet-flowexport -F vde --decap --json "$T/p.json" <"$T/vxlan.pcap"
	[ "$rc" -eq 0 ]
	python3 - "$T/vxlan.pcap" "$T/out" <<-'EOF'
		import struct, sys
		p = open(sys.argv[1], "rb").read()[24:]
		v = open(sys.argv[2], "rb").read()
		a = []
		while p:
		    n = struct.unpack_from("<I", p, 8)[0]
		    a.append(p[16:16 + n])
		    p = p[16 + n:]
		b = []
		while v:
		    n = struct.unpack_from("!H", v)[0]
		    b.append(v[2:2 + n])
		    v = v[2 + n:]
		assert a == b, "frames differ"
		assert len(a) == 9
	EOF
}

@test "a pass-through chain member meters both directions of a ping across the overlay" {
	need_cmd ping ss
	setup_hosts
	collector coll "$A" udp:127.0.0.1:4739
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vx0,mtu=1450 = \
		vnet-flowexport -C udp:127.0.0.1:4739 --vni 100 \
		--json "$T/chain.json" --stats = \
		vnet-encap --vni 100 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--remote 198.18.0.1 --vni 100
	overlay_up
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	echo "$output"
	[ "$status" -eq 0 ]
	mac_a=$(ip -n "$A" -br link show vx0 | awk '{ print $3 }')
	mac_b=$(ip -n "$B" -br link show vx0 | awk '{ print $3 }')
	stopped vnetA
	decode coll
	log=$(log_of vnetA)
	cat "$log"
	[ "$(counter "$log" passed_egress)" -ge 4 ]
	[ "$(counter "$log" passed_ingress)" -ge 4 ]
	[ "$(counter "$log" frames_not_ip)" -ge 2 ]
	# Echo requests went out of the tap side (left, interface 1), the
	# replies came in from the fabric (right, interface 2).
	same "198.19.0.1>198.19.0.2/icmp:8.0 3 252 forced 100 null
198.19.0.2>198.19.0.1/icmp:0.0 3 252 forced 100 null" \
		"$(jflows "$T/chain.json" | grep '/icmp:')"
	[ "$(records coll 'select(.protocolIdentifier == 1) | [.icmpTypeCodeIPv4, .ingressInterface, .egressInterface, .packetDeltaCount, .layer2SegmentId.type, .layer2SegmentId.id, .sourceMacAddress]' | sort | tr '\n' ' ')" = \
		"[0,2,1,3,1,100,\"$mac_b\"] [2048,1,2,3,1,100,\"$mac_a\"] " ]
}

# catches_usr1 PID: PID has its SIGUSR1 handler (bit 10 of SigCgt).
catches_usr1() {
	local m
	m=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$1/status") || return 1
	(((0x$m >> 9) & 1))
}

# frames_seen NAME: ask background NAME for its counters; print frames.
frames_seen() {
	local log n
	log=$(log_of "$1")
	n=$(grep -c $'^frames\t' "$log" || true)
	kill -USR1 "$(pid_of "$1")"
	wait_for 50 bash -c "[ \$(grep -c \$'^frames\\t' '$log') -gt $n ]" || return 1
	counter "$log" frames
}

@test "-I INTERFACE meters a bounded ping on a veth, only what --bpf selects" {
	need_cmd ping socat
	setup_hosts
	bg vnetF ip netns exec "$A" vnet-flowexport -I u0 --bpf icmp \
		--json "$T/live.json" --stats
	wait_for 50 catches_usr1 "$(pid_of vnetF)"
	# Warm up from B (a flow of its own) until the capture sees frames.
	ok=0
	for i in $(seq 30); do
		ip netns exec "$B" ping -c 1 -W 1 198.18.0.1 >/dev/null || :
		f0=$(frames_seen vnetF) || break
		[ "$f0" -gt 0 ] && { ok=1; break; }
	done
	[ "$ok" = 1 ]
	ip netns exec "$A" ping -c 4 -i 0.2 -W 2 198.18.0.2
	echo x | ip netns exec "$A" socat -u - UDP:198.18.0.2:9
	# 4 requests, 4 replies, 1 port unreachable.
	for i in $(seq 50); do
		[ "$(frames_seen vnetF)" -ge $((f0 + 9)) ] && break
		sleep 0.1
	done
	stopped vnetF
	log=$(log_of vnetF)
	cat "$log"
	[ "$(counter "$log" frames)" -ge $((f0 + 9)) ]
	[ "$(counter "$log" capture_dropped)" -eq 0 ]
	got=$(jflows "$T/live.json")
	echo "$got"
	grep -qx '198.18.0.1>198.18.0.2/icmp:8.0 4 336 forced null null' <<<"$got"
	grep -qx '198.18.0.2>198.18.0.1/icmp:0.0 4 336 forced null null' <<<"$got"
	grep -q '^198.18.0.2>198.18.0.1/icmp:3.3 1 ' <<<"$got"
	# The filter kept the UDP datagram out.
	[ "$(grep -c '/17 ' <<<"$got")" -eq 0 ]
}

@test "truncated, garbage and short frames are counted and never crash" {
	# Good flow (3 frames), an IPv4 header cut short, an IPv6 one, a runt,
	# a record captured shorter than on the wire, 400 frames of random
	# bytes behind IPv4/IPv6/802.1Q/other EtherTypes.
	$MKFLOWS "$T/bad.pcap" sport=1,n=3 caplen=20,t=1 \
		src=2001:db8::1,dst=2001:db8::2,caplen=40,t=2 caplen=10,t=3 \
		kind=garbage,n=400,len=60,t=4
	python3 "$BATS_TEST_DIRNAME/mkpcap.py" "$T/snap.pcap" --type udp \
		--count 2 --size 200 --caplen 60
	for f in bad snap; do
		try vnet-flowexport "$T/$f.pcap" --json - --stats
		[ "$rc" -eq 0 ]
		cp "$T/out" "$T/$f.json"
		cp "$T/err" "$T/$f.err"
	done
	[ "$(counter "$T/bad.err" frames_malformed)" -ge 2 ]
	[ "$(counter "$T/bad.err" stream_runt)" -eq 1 ]
	# The runt never reaches the flow code; the 405 others do.
	[ "$(counter "$T/bad.err" frames)" -eq 405 ]
	# A record captured short (snaplen) is counted, one way or the other.
	[ "$(($(counter "$T/snap.err" stream_truncated) + $(counter "$T/snap.err" frames)))" -eq 2 ]
	[ "$(jq -r 'select(.sport == 1 and .dport == 2000) | .packets' "$T/bad.json")" -eq 3 ]
	# A pcap cut in its last record: the rest is counted, exit 0.
	size=$(stat -c %s "$T/bad.pcap")
	head -c $((size - 30)) "$T/bad.pcap" >"$T/cut.pcap"
	try vnet-flowexport "$T/cut.pcap" --json - --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr stream_trailing_bytes)" -eq 60 ]
	# The same under the pass-through loop and --decap.
	try vnet-flowexport --decap --json "$T/x.json" --stats <"$T/bad.pcap"
	[ "$rc" -eq 0 ]
	[ "$(ctr passed_egress)" -eq 405 ]
}

@test "a garbage stream is refused with exit 1, naming its first bytes" {
	python3 -c 'import random, sys
r = random.Random(7)
sys.stdout.buffer.write(b"\xde" + bytes(r.randrange(256) for _ in range(4095)))' \
		>"$T/garbage"
	try vnet-flowexport --sink --json - <"$T/garbage"
	[ "$rc" -eq 1 ]
	err_has "unrecognized stream format (first bytes de "
	try vnet-flowexport "$T/garbage" --json -
	[ "$rc" -eq 1 ]
	err_has "unrecognized stream format"
	try vnet-flowexport "$T/no-such-file" --json -
	[ "$rc" -eq 1 ]
	err_has "no-such-file"
}

@test "an unreachable collector is counted and the export goes on" {
	mkns ns n
	$MKFLOWS "$T/many.pcap" $(for i in $(seq 1 300); do echo "sport=$i,t=$i"; done)
	# UDP to a port with no listener: ICMP port unreachable makes every
	# other send fail with ECONNREFUSED.
	try ip netns exec "$ns" vnet-flowexport "$T/many.pcap" \
		-C udp:127.0.0.1:4739 --json "$T/u.json" --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr send_errors)" -gt 0 ]
	[ "$(ctr messages_sent)" -gt 0 ]
	[ "$(wc -l <"$T/u.json")" -eq 300 ]
	# The same over IPv6.
	try ip netns exec "$ns" vnet-flowexport "$T/many.pcap" \
		-C 'udp:[::1]:4739' --json "$T/u2.json" --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr send_errors)" -gt 0 ]
	[ "$(wc -l <"$T/u2.json")" -eq 300 ]
	# TCP to a closed port: every record is dropped and counted, no
	# blocking.
	try ip netns exec "$ns" vnet-flowexport "$T/many.pcap" \
		-C tcp:127.0.0.1:4739 --json "$T/t.json" --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr records_dropped)" -eq 300 ]
	[ "$(wc -l <"$T/t.json")" -eq 300 ]
}

@test "export over TCP sends the templates once and every record" {
	mkns ns n
	$MKFLOWS "$T/many.pcap" $(for i in $(seq 1 300); do echo "sport=$i,t=$i"; done) \
		src=2001:db8::1,dst=2001:db8::2,n=3
	collector coll "$ns" tcp:127.0.0.1:4739
	try ip netns exec "$ns" vnet-flowexport "$T/many.pcap" \
		-C tcp:127.0.0.1 --stats
	[ "$rc" -eq 0 ]
	[ "$(ctr records_dropped)" -eq 0 ]
	decode coll
	[ "$(grep -c '"type": "data"' "$T/coll.dec")" -eq 301 ]
	[ "$(grep -c '"type": "msg"' "$T/coll.dec")" -ge 2 ]
	# Over TCP the templates go once per connection: in no message but
	# the first.
	[ "$(jq -c 'select(.type == "template") | .msg' "$T/coll.dec" | sort -u)" = 1 ]
}

@test "the IPFIX messages respect --mtu, --domain and the template refresh" {
	mkns ns n
	$MKFLOWS "$T/many.pcap" $(for i in $(seq 1 300); do echo "sport=$i,t=$i"; done)
	collector coll "$ns" udp:127.0.0.1:4739
	try ip netns exec "$ns" vnet-flowexport "$T/many.pcap" --mtu 576 \
		--domain 77 --template-refresh-msgs 3 -C udp:127.0.0.1 --stats
	[ "$rc" -eq 0 ]
	decode coll
	# 576 - 28: no message is longer; records fill them.
	[ "$(jq -s 'map(select(.type == "msg") | .length) | max' "$T/coll.dec")" -le 548 ]
	[ "$(jq -s 'map(select(.type == "msg") | .length) | max' "$T/coll.dec")" -gt 400 ]
	[ "$(jq -r 'select(.type == "msg") | .domain' "$T/coll.dec" | sort -u)" = 77 ]
	[ "$(grep -c '"type": "data"' "$T/coll.dec")" -eq 300 ]
	msgs=$(grep -c '"type": "msg"' "$T/coll.dec")
	[ "$(ctr messages_sent)" -eq "$msgs" ]
	[ "$(ctr records_exported)" -eq 300 ]
	# Templates in the first message and then again after at most 3
	# messages without.
	jq -r 'select(.type == "template") | .msg' "$T/coll.dec" | sort -nu >"$T/tmsgs"
	[ "$(head -n 1 "$T/tmsgs")" = 1 ]
	cat "$T/tmsgs"
	awk -v last="$msgs" 'NR > 1 && $1 - prev > 4 { bad = 1 } { prev = $1 }
		END { exit bad || last - prev > 4 }' "$T/tmsgs"
}

@test "usage errors exit 2 with a message; -h and -V exit 0" {
	usage() {
		try vnet-flowexport "$@" </dev/null
		[ "$rc" -eq 2 ] || { echo "want exit 2"; return 1; }
		[ -s "$T/err" ] || { echo "want a message"; return 1; }
	}
	usage --sink
	usage --json -
	usage --json - --dir egress
	usage --sink --json - --profile bogus
	usage --sink --json - --sample 0
	usage --sink --json - --max-flows 0
	usage --sink --json - --map 100
	usage --sink --json - --map 5000:100:1
	usage --sink --json - --map 4095x:1
	usage --sink --json - --active 1x
	usage --sink --json - --idle ''
	usage --sink --json - --domain 1 --domain 2
	usage --sink --json - --mtu 10
	usage --sink -C tcp:
	usage --sink -C bogus:1.2.3.4
	usage --sink -C udp:198.18.0.1:99999
	usage --sink --json - --bogus-option
	usage --sink --json - -F bogus
	usage --sink --json - --clock bogus
	usage --sink --json - --dir sideways
	usage "$T/f.pcap" --sink --json -
	usage -I lo "$T/f.pcap" --json -
	usage --sink --json - --bpf icmp
	usage --sink --json - a b
	try vnet-flowexport -h
	[ "$rc" -eq 0 ]
	grep -q -- '--profile' "$T/out"
	try vnet-flowexport -V
	[ "$rc" -eq 0 ]
	[ -s "$T/out" ]
}
