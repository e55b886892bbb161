#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 55-segments: one rule for the segment of a frame (vnet(7), FRAMES AND
# SEGMENTS), the same answer in every program, for every tag shape:
#
#   shape            tags (outermost first)   ip dst         segment
#   untagged         -                        198.19.0.11    default
#   q100 (mapped)    8100:100                 198.19.0.12    100
#   q300 (unmapped)  8100:300                 198.19.0.13    300
#   q+q              8100:100 8100:200        198.19.0.14    none (stacked)
#   q+ad             8100:100 88a8:200        198.19.0.15    none (stacked)
#   ad               88a8:100                 198.19.0.16    none (S-tag)
#   ad+q             88a8:100 8100:200        198.19.0.17    none (S-tag)
#   vid0             8100:0                   198.19.0.18    default
#   vid4095          8100:4095                198.19.0.19    none
#
# Streams (no namespaces): mkpcap.py -> vnet-encap / vnet-acl /
# vnet-flowexport -> tshark, tcpdump, jq and the counters.
#
# Against the kernel (two namespaced hosts):
#
#   host A                                  host B
#   vnet-encap -i pcap:shapes               kernel vxlan vx10, vx1100,
#     --vni 10 --map 100:1100                 vx1200 (VNIs 10, 1100, 1200),
#     --map 200:1200                          tcpdump -Q in on each
#   u0 198.18.0.1 ---------- veth ---------- u0 198.18.0.2

load lib

setup() {
	T=$BATS_TEST_TMPDIR
	MKPCAP=$BATS_TEST_DIRNAME/mkpcap.py
	[ -x "$VNET_BIN/vnet-encap" ] || {
		echo "$VNET_BIN/vnet-encap is missing: run make" >&2
		return 1
	}
	need_cmd python3 tshark tcpdump
}

teardown() {
	vnet_teardown
}

# shapes OUT [MKPCAP-ARGS...]: the nine frames of the table above, UDP,
# 100 bytes each with their tags, in one classic pcap (extra arguments,
# such as --vxlan VNI, go to every frame).
shapes() {
	local out=$1 n=11 t
	shift
	: >"$out"
	for t in "" "8100:100" "8100:300" "8100:100 8100:200" \
		"8100:100 88a8:200" "88a8:100" "88a8:100 8100:200" "8100:0" \
		"8100:4095"; do
		# shellcheck disable=SC2046
		python3 "$MKPCAP" - --type udp --size 100 --ip-dst "198.19.0.$n" \
			$(for x in $t; do echo "--tag $x"; done) "$@" |
			if [ "$n" -eq 11 ]; then cat; else tail -c +25; fi >>"$out"
		n=$((n + 1))
	done
}

# run_tool STATS CMD...: CMD bounded in time, fds 3/4 closed (a one-way
# filter), stderr in STATS; its status in $status.  A crash or a
# sanitizer report fails.
run_tool() {
	local stats=$1
	shift
	status=0
	timeout 20 "$@" 2>"$stats" 3>&- 4>&- || status=$?
	if [ "$status" != 0 ] || grep -qE 'Sanitizer|runtime error:' "$stats"; then
		echo "$* exited with $status:" >&2
		cat "$stats" >&2
		return 1
	fi
}

# refused STATS: the three counters of frames that have no segment, as
# "stacked s_tag reserved_vid".
refused() {
	echo "$(counter "$1" drop_stacked_tag) $(counter "$1" drop_s_tag)" \
		"$(counter "$1" drop_reserved_vid)"
}

# same EXPECTED ACTUAL: compare two texts, show both when they differ.
same() {
	if [ "$1" != "$2" ]; then
		printf 'expected:\n%s\ngot:\n%s\n' "$1" "$2"
		return 1
	fi
}

# inner_of PCAP: per outer VXLAN packet, "VNI INNER-DST ETHERTYPES" (the
# EtherTypes of the outer and the inner Ethernet headers).
inner_of() {
	tshark -r "$1" -T fields -E occurrence=a -e vxlan.vni -e ip.dst \
		-e eth.type 2>/dev/null |
		awk -F'\t' '{ split($2, d, ","); print $1, d[2], $3 }'
}

@test "vnet-encap carries untagged, priority-tagged and mapped frames untagged in their VNI and drops the other shapes by reason" {
	shapes "$T/shapes.pcap"
	run_tool "$T/stats" vnet-encap -i "pcap:$T/shapes.pcap" -o - \
		--vni 10 --map 100:1100 --map 200:1200 --local 198.18.0.1 \
		-r 198.18.0.2 --stats >"$T/outer.pcap"
	cat "$T/stats"
	# Three outer packets, no tag inside any (outer and inner 0x0800);
	# the stacked and S-tagged frames are nowhere, in no VNI.
	same "10 198.19.0.11 0x0800,0x0800
1100 198.19.0.12 0x0800,0x0800
10 198.19.0.18 0x0800,0x0800" "$(inner_of "$T/outer.pcap")"
	run tcpdump -r "$T/outer.pcap" -nn -e
	[ "$(grep -c 'VXLAN' <<<"$output")" -eq 3 ]
	fails grep -qE '802\.1Q|0x88a8|vlan' <<<"$output"
	[ "$(counter "$T/stats" inner_rx_frames)" -eq 9 ]
	[ "$(counter "$T/stats" encap_packets)" -eq 3 ]
	[ "$(counter "$T/stats" drop_unknown_vlan)" -eq 1 ]
	[ "$(counter "$T/stats" drop_no_vni)" -eq 0 ]
	[ "$(counter "$T/stats" drop_inner_runt)" -eq 0 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
	# Without --vni the default segment has no VNI: untagged and
	# priority-tagged frames are dropped as such, the rest as before.
	run_tool "$T/stats" vnet-encap -i "pcap:$T/shapes.pcap" -o - \
		--map 100:1100 --map 200:1200 --local 198.18.0.1 \
		-r 198.18.0.2 --stats >"$T/outer.pcap"
	same "1100 198.19.0.12 0x0800,0x0800" "$(inner_of "$T/outer.pcap")"
	[ "$(counter "$T/stats" drop_no_vni)" -eq 2 ]
	[ "$(counter "$T/stats" drop_unknown_vlan)" -eq 1 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
}

@test "vnet-encap refuses a tag cut short as a runt, not as a segment" {
	# 16 bytes: MACs and an 802.1Q or 802.1ad tag, no EtherType after it.
	python3 "$MKPCAP" "$T/a.pcap" --size 16 --tag 8100:100
	python3 "$MKPCAP" - --size 16 --tag 88a8:100 | tail -c +25 >>"$T/a.pcap"
	run_tool "$T/stats" vnet-encap -i "pcap:$T/a.pcap" -o - --vni 10 \
		--map 100:1100 --local 198.18.0.1 -r 198.18.0.2 --stats \
		>"$T/outer.pcap"
	[ "$(counter "$T/stats" drop_inner_runt)" -eq 2 ]
	[ "$(counter "$T/stats" encap_packets)" -eq 0 ]
	[ "$(refused "$T/stats")" = "0 0 0" ]
}

@test "vnet-encap drops every decapsulated frame that carries a tag, whatever its shape" {
	shapes "$T/outer.pcap" --vxlan 1100
	run_tool "$T/stats" vnet-encap -i - -o "pcap:$T/outer.pcap" \
		--vni 10 --map 100:1100 --local 198.18.0.1 --stats \
		</dev/null >"$T/inner.pcap"
	cat "$T/stats"
	[ "$(counter "$T/stats" decap_frames)" -eq 1 ]
	[ "$(counter "$T/stats" drop_inner_tagged)" -eq 8 ]
	[ "$(counter "$T/stats" inner_tx_frames)" -eq 1 ]
	# The one untagged frame leaves tagged with its VNI's VLAN.
	same "198.19.0.11 100" "$(tshark -r "$T/inner.pcap" -T fields \
		-e ip.dst -e vlan.id 2>/dev/null | tr '\t' ' ')"
}

@test "vnet-acl drops the frames that have no segment even under default allow, and --explain says why" {
	printf 'default allow\n' >"$T/allow.policy"
	shapes "$T/shapes.pcap"
	run_tool "$T/stats" vnet-acl --stats --clock pcap -p "$T/allow.policy" \
		<"$T/shapes.pcap" >"$T/out.pcap"
	cat "$T/stats"
	[ "$(counter "$T/stats" frames_egress)" -eq 9 ]
	[ "$(counter "$T/stats" passed_egress)" -eq 4 ]
	[ "$(counter "$T/stats" allowed_new)" -eq 4 ]
	[ "$(counter "$T/stats" drop_malformed)" -eq 0 ]
	[ "$(counter "$T/stats" drop_default)" -eq 0 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
	# What passed is unchanged, tags and all.
	same "198.19.0.11 
198.19.0.12 100
198.19.0.13 300
198.19.0.18 0" "$(tshark -r "$T/out.pcap" -T fields -e ip.dst -e vlan.id \
		2>/dev/null | tr '\t' ' ')"
	# The drop log names the reason and no segment.
	run_tool "$T/log" vnet-acl --log --clock pcap -p "$T/allow.policy" \
		<"$T/shapes.pcap" >/dev/null
	[ "$(grep -c '^vnet-acl: deny egress no segment: udp .* (stacked-tag)$' "$T/log")" -eq 2 ]
	[ "$(grep -c '^vnet-acl: deny egress no segment: udp .* (s-tag)$' "$T/log")" -eq 2 ]
	[ "$(grep -c '^vnet-acl: deny egress no segment: udp .* (reserved-vid)$' "$T/log")" -eq 1 ]
	[ "$(grep -c '^vnet-acl: ' "$T/log")" -eq 5 ]
	# The verdict and reason of each frame; no segment: "-" and null.
	run_tool "$T/err" vnet-acl --explain "$T/shapes.pcap" \
		-p "$T/allow.policy" >"$T/explain"
	same "1 0 allow new
2 100 allow new
3 300 allow new
4 - deny stacked-tag
5 - deny stacked-tag
6 - deny s-tag
7 - deny s-tag
8 0 allow new
9 - deny reserved-vid" "$(cut -f1,3,5,6 "$T/explain" | tr '\t' ' ')"
	run_tool "$T/err" vnet-acl --explain "$T/shapes.pcap" --json \
		-p "$T/allow.policy" >"$T/explain.json"
	same "0 100 300 null null null null 0 null" \
		"$(python3 -c 'import json, sys
print(" ".join(json.dumps(json.loads(l)["segment"]) for l in sys.stdin))' \
		<"$T/explain.json")"
}

@test "vnet-flowexport meters the frames that have a segment, counts the others and passes every frame unchanged" {
	need_cmd jq
	shapes "$T/shapes.pcap"
	run_tool "$T/stats" vnet-flowexport "$T/shapes.pcap" --json - --stats \
		--vni 10 --map 100:1100 --map 200:1200 >"$T/flows.json"
	cat "$T/stats" "$T/flows.json"
	same "198.19.0.11 10 null
198.19.0.12 1100 100
198.19.0.13 null 300
198.19.0.18 10 null" "$(jq -r '"\(.dst) \(.segment) \(.vlan)"' "$T/flows.json" | sort)"
	[ "$(counter "$T/stats" frames)" -eq 9 ]
	[ "$(counter "$T/stats" flows_created)" -eq 4 ]
	[ "$(counter "$T/stats" frames_malformed)" -eq 0 ]
	[ "$(counter "$T/stats" frames_not_ip)" -eq 0 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
	# As a pass-through stage it is an observer: all nine frames leave
	# as they came.
	run_tool "$T/stats" vnet-flowexport --json "$T/p.json" --stats \
		--vni 10 --map 100:1100 <"$T/shapes.pcap" >"$T/out.pcap"
	cmp "$T/shapes.pcap" "$T/out.pcap"
	[ "$(counter "$T/stats" passed_egress)" -eq 9 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
	[ "$(wc -l <"$T/p.json")" -eq 4 ]
}

# kernel_vteps: in host B, kernel VXLAN devices vx10, vx1100 and vx1200
# on port 4789, each captured (received frames only) into $T/vxN.pcap.
kernel_vteps() {
	local vni
	# No IPv6 on the new devices either: no chatter to tell apart.
	ip netns exec "$B" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	for vni in 10 1100 1200; do
		ip -n "$B" link add "vx$vni" type vxlan id "$vni" dstport 4789 \
			local 198.18.0.2 remote 198.18.0.1 dev u0
		ip -n "$B" link set "vx$vni" up
		bg "cap$vni" ip netns exec "$B" timeout 60 tcpdump -i "vx$vni" \
			-Q in -nn -U -w "$T/vx$vni.pcap"
	done
	for vni in 10 1100 1200; do
		wait_for 100 grep -q 'listening on' "$(log_of "cap$vni")"
	done
}

# raw_vxlan VNI DST TAG...: from host A, one VXLAN packet to host B's
# kernel VTEP as no vnet program would send it: an inner UDP frame to
# DST with the tags given (TPID:VID), straight from a UDP socket.
raw_vxlan() {
	ip netns exec "$A" python3 - "$MKPCAP" "$@" <<'EOF'
import importlib.util, socket, struct, sys
spec = importlib.util.spec_from_file_location("mkpcap", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
args = ["-", "--type", "udp", "--size", "100", "--ip-dst", sys.argv[3]]
for t in sys.argv[4:]:
	args += ["--tag", t]
inner = m.frame(0, m.parser().parse_args(args))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(struct.pack("!II", 0x08000000, int(sys.argv[2]) << 8) + inner,
	 ("198.18.0.2", 4789))
EOF
}

# received VNI: "DST ETHERTYPE" of each frame kernel device vxVNI got.
received() {
	tshark -r "$T/vx$1.pcap" -T fields -e ip.dst -e eth.type 2>/dev/null |
		tr '\t' ' ' | sort
}

@test "a kernel VTEP gets the mapped frame untagged in its VNI and no frame of a stacked or S-tag shape" {
	need_root
	setup_hosts
	kernel_vteps
	shapes "$T/shapes.pcap"
	run_tool "$T/stats" ip netns exec "$A" vnet-encap \
		-i "pcap:$T/shapes.pcap" -o udp:198.18.0.1 -r 198.18.0.2 \
		--vni 10 --map 100:1100 --map 200:1200 --stats
	cat "$T/stats"
	[ "$(counter "$T/stats" encap_packets)" -eq 3 ]
	[ "$(refused "$T/stats")" = "2 2 1" ]
	# The kernel delivers what it gets, tags and all: an S-tagged frame
	# sent by hand into VNI 10 arrives on vx10 as it is (what vnet-encap
	# used to do with 802.1ad frames).  Sent after vnet-encap is done,
	# these also mark the end of its frames on each device.
	raw_vxlan 10 198.19.0.20 88a8:100
	raw_vxlan 1100 198.19.0.21
	raw_vxlan 1200 198.19.0.22
	wait_for 100 bash -c "tcpdump -r '$T/vx10.pcap' -nn 2>/dev/null | grep -q '198\.19\.0\.20\.'"
	wait_for 100 bash -c "tcpdump -r '$T/vx1100.pcap' -nn 2>/dev/null | grep -q '198\.19\.0\.21\.'"
	wait_for 100 bash -c "tcpdump -r '$T/vx1200.pcap' -nn 2>/dev/null | grep -q '198\.19\.0\.22\.'"
	local vni
	for vni in 10 1100 1200; do
		stop "cap$vni" || :
		tcpdump -r "$T/vx$vni.pcap" -nn -e 2>/dev/null | sed "s/^/vx$vni: /"
	done
	# VNI 10: the untagged and the priority-tagged frame, untagged, and
	# the hand-made control; VNI 1100: the frame of VLAN 100, untagged;
	# VNI 1200 (VLAN 200, the inner tag of two stacked shapes): nothing
	# of vnet-encap's.
	same "198.19.0.11 0x0800
198.19.0.18 0x0800
198.19.0.20 0x88a8" "$(received 10)"
	same "198.19.0.12 0x0800
198.19.0.21 0x0800" "$(received 1100)"
	same "198.19.0.22 0x0800" "$(received 1200)"
}
