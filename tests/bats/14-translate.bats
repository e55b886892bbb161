#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 14-translate: translation between encapsulations (vnet-encap(8)
# EXAMPLES, vnet(7) TRANSLATION).  A middle host runs two vnet-encap
# stages back to back, inner side to inner side, under vnet-pipe: the
# first decapsulates host A's VXLAN, the second carries the same frames
# in host B's GENEVE or NVGRE; the segment is the join (VNI 5001 <->
# VNI 5001 <-> VSID 0x1389).
#
#   host A (kernel vxlan)      host M (translator)           host B (vnet)
#   vx0 198.19.0.1/24                                        vx0 198.19.0.2/24
#     | VXLAN 5001          vnet-pipe vnet-encap -e vxlan      | GENEVE 5001 or
#     |                             = vnet-encap -e KIND       | NVGRE 0x1389
#   u0 198.18.0.1 ----veth---- u0 198.18.0.2
#                              u1 198.18.1.2 ----veth---- u1 198.18.1.3

load lib
bats_require_minimum_version 1.5.0

setup() {
	need_root
	need_cmd socat ping ethtool tshark tcpdump jq
	T=$BATS_TEST_TMPDIR
	setup_hosts
	M=$B
	mkns B b2
	ip link add u1 netns "$M" type veth peer name u1 netns "$B"
	ip -n "$M" addr add 198.18.1.2/24 dev u1
	ip -n "$B" addr add 198.18.1.3/24 dev u1
	ip -n "$M" link set u1 up
	ip -n "$B" link set u1 up
	ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	# Host A: the kernel's VXLAN device in VNI 5001.
	ip -n "$A" link add vx0 type vxlan id 5001 dstport 4789 \
		local 198.18.0.1 remote 198.18.0.2 dev u0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
	# Over veth nothing completes an offloaded inner checksum.
	ip netns exec "$A" ethtool -K vx0 tx off >/dev/null
}

teardown() {
	vnet_teardown
}

# translator KIND: the two stages on host M, VXLAN 5001 toward A, KIND
# in 5001 toward B; control sockets $T/vx.sock and $T/kind.sock.
# README: vnet-pipe vnet-encap -e vxlan -o udp:198.18.0.2 -r 198.18.0.1 --vni 5001 = \
#             vnet-encap -e geneve -o udp:198.18.1.2 -r 198.18.1.3 --vni 5001
translator() {
	bg vnetM ip netns exec "$M" vnet-pipe \
		vnet-encap -e vxlan -o udp:198.18.0.2 -r 198.18.0.1 \
		--vni 5001 --control "$T/vx.sock" = \
		vnet-encap -e "$1" -o udp:198.18.1.2 -r 198.18.1.3 \
		--vni 5001 --control "$T/kind.sock"
}

# vtep_b KIND: host B's vnet-encap in 5001, its tap at the 1450 bytes
# the translation carries.
vtep_b() {
	bg vnetB ip netns exec "$B" vnet-encap -e "$1" \
		-i tap:vx0,mtu=1450 -o udp:198.18.1.3 -r 198.18.1.2 --vni 5001
	wait_link "$B" vx0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
}

# capture NS IF FILTER OUT: tcpdump of 10 packets in the background.
capture() {
	ip netns exec "$1" timeout 60 tcpdump -i "$2" -w "$4" -c 10 \
		"$3" 2>/dev/null &
	CAPS+=($!)
}

# fields FILE FIELD: one tshark field of every packet.
fields() {
	tshark -r "$1" -T fields -e "$2" 2>/dev/null
}

# traffic: ping both ways, a 20 MB TCP transfer from A to B and back,
# each with a matching sha256.
traffic() {
	wait_for 50 ip netns exec "$A" ping -c 1 -W 1 198.19.0.2
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	ip netns exec "$B" ping -c 3 -i 0.2 -W 2 198.19.0.1
	want=$(make_blob "$T/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	got=$(tcp_transfer "$B" "$A" 198.19.0.1 "$T/blob")
	[ "$got" = "$want" ]
}

@test "vnet-pipe --describe reads a translation: the left end turned round, 1450 bytes end to end" {
	local j
	j=$(vnet-pipe --describe \
		vnet-encap -e vxlan -o udp:198.18.0.2 -r 198.18.0.1 --vni 5001 = \
		vnet-encap -e nvgre -o udp:198.18.1.2 -r 198.18.1.3 --vni 5001)
	[ "$(jq -c '[.translation,.inner_framing,.outer_framing]' <<<"$j")" = '[true,"udp","udp"]' ]
	[ "$(jq -r '.members | map(.encap) | join(" ")' <<<"$j")" = "vxlan nvgre" ]
	[ "$(jq .inner_mtu <<<"$j")" = 1450 ]
	[ "$(jq .overhead <<<"$j")" = $((50 + 42)) ]
	# The NVGRE side first hands on 1458 bytes, more than VXLAN carries.
	run -2 vnet-pipe --describe \
		vnet-encap -e nvgre -o udp:198.18.1.2 -r 198.18.1.3 --vni 5001 = \
		vnet-encap -e vxlan -o udp:198.18.0.2 -r 198.18.0.1 --vni 5001
	[[ $output == *"member 1 (vnet-encap) hands on frames of up to 1458 bytes, more than the 1450 that member 2 (vnet-encap) carries: give it --mtu 1492 or less"* ]]
	j=$(vnet-pipe --describe \
		vnet-encap -e nvgre --mtu 1492 -o udp:198.18.1.2 -r 198.18.1.3 --vni 5001 = \
		vnet-encap -e vxlan -o udp:198.18.0.2 -r 198.18.0.1 --vni 5001)
	[ "$(jq .inner_mtu <<<"$j")" = 1450 ]
	# A nested chain is no translation.
	j=$(vnet-pipe --describe vnet-tap vx0 = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2)
	[ "$(jq .translation <<<"$j")" = false ]
}

@test "kernel VXLAN 5001 on host A and vnet GENEVE 5001 on host B, translated on host M: ping and 20 MB both ways" {
	CAPS=()
	translator geneve
	vtep_b geneve
	capture "$A" u0 "udp port 4789" "$T/a.pcap"
	capture "$B" u1 "udp port 6081" "$T/b.pcap"
	traffic
	wait "${CAPS[@]}" || :
	# Host A's wire is VXLAN 5001, host B's GENEVE 5001, nothing else.
	[ "$(fields "$T/a.pcap" vxlan.vni | sort -u)" = 5001 ]
	# (tshark writes the VNI in hex or decimal by version)
	[ "$(fields "$T/b.pcap" geneve.vni | sort -u | wc -l)" = 1 ]
	[ "$(($(fields "$T/b.pcap" geneve.vni | sort -u)))" = 5001 ]
	[ "$(fields "$T/b.pcap" vxlan.vni | sort -u)" = "" ]
	[ "$(fields "$T/a.pcap" geneve.vni | sort -u)" = "" ]
	[ "$(vnet-ctl "$T/vx.sock" counters --json | jq .counters.decap_frames)" -gt 10000 ]
	[ "$(vnet-ctl "$T/kind.sock" counters --json | jq .counters.encap_packets)" -gt 10000 ]
	[ "$(vnet-ctl "$T/kind.sock" counters --json | jq .counters.drop_too_big)" = 0 ]
}

@test "kernel VXLAN 5001 on host A and vnet NVGRE VSID 0x1389 on host B, translated on host M: ping and 20 MB both ways" {
	CAPS=()
	translator nvgre
	vtep_b nvgre
	capture "$A" u0 "udp port 4789" "$T/a.pcap"
	capture "$B" u1 "ip proto 47" "$T/b.pcap"
	traffic
	wait "${CAPS[@]}" || :
	[ "$(fields "$T/a.pcap" vxlan.vni | sort -u)" = 5001 ]
	fields "$T/b.pcap" gre.key >"$T/k"
	[ "$(wc -l <"$T/k")" -eq 10 ]
	while read -r key; do
		[ "$((key >> 8))" -eq $((0x1389)) ]
	done <"$T/k"
	[ "$(vnet-ctl "$T/vx.sock" counters --json | jq .counters.drop_too_big)" = 0 ]
	[ "$(vnet-ctl "$T/kind.sock" counters --json | jq .counters.drop_too_big)" = 0 ]
}
