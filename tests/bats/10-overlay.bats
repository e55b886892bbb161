#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The VXLAN overlay between two namespaced hosts, in three shapes.
#
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#     |  vnet-encap (or a chain)             |
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#
# Nested: the inner overlay (VNI 100, VTEPs 198.19.9.1/.2 carried as
# frames) rides in an outer overlay (VNI 200) over the veth.

load lib

setup() {
	need_root
	need_cmd socat ping
	setup_hosts
}

teardown() {
	vnet_teardown
}

addr_overlay() {
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
}

check_ping_and_transfer() {
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	want=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")
	[ "$got" = "$want" ]
}

@test "one-process overlay carries ping and a 20 MB TCP transfer intact" {
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 100 --stats
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--remote 198.18.0.1 --vni 100 --stats
	wait_link "$A" vx0
	wait_link "$B" vx0
	run ip -n "$A" link show vx0
	[[ "$output" == *"mtu 1450"* ]]
	addr_overlay
	check_ping_and_transfer
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_packets)" -gt 14000 ]
	[ "$(counter "$(log_of vnetA)" drop_too_big)" -eq 0 ]
}

@test "a vnet-pipe chain vnet-tap = vnet-encap carries ping and a 20 MB transfer" {
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vx0,mtu=1450 = \
		vnet-encap --vni 100 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetB ip netns exec "$B" vnet-pipe vnet-tap tap:vx0,mtu=1450 = \
		vnet-encap --vni 100 -o udp:198.18.0.2 --remote 198.18.0.1
	wait_link "$A" vx0
	wait_link "$B" vx0
	addr_overlay
	check_ping_and_transfer
}

@test "a nested overlay (VXLAN inside a vnet VXLAN overlay) carries ping and a 20 MB transfer" {
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vx0,mtu=1400 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.1 \
		--remote 198.19.9.2 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetB ip netns exec "$B" vnet-pipe vnet-tap tap:vx0,mtu=1400 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.2 \
		--remote 198.19.9.1 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.2 --remote 198.18.0.1
	wait_link "$A" vx0
	wait_link "$B" vx0
	addr_overlay
	check_ping_and_transfer
	# Both layers show on the wire: outer VNI 200 around inner VNI 100.
	ip netns exec "$B" timeout 10 tcpdump -i u0 -nn -c 2 -w "$BATS_TEST_TMPDIR/u0.pcap" udp port 4789 2>/dev/null &
	cap=$!
	sleep 0.5
	ip netns exec "$A" ping -c 2 -i 0.2 -W 2 198.19.0.2 >/dev/null
	wait "$cap"
	run bash -c "tshark -r '$BATS_TEST_TMPDIR/u0.pcap' -T fields -e vxlan.vni 2>/dev/null"
	[[ "$output" == *"200,100"* ]]
}
