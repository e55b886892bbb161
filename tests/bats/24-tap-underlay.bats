#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A tap as the underlay: the VTEP owns its address on a bridged tap, and
# with UDP tunnel offload (Linux 6.17) super-frames pass whole, the same
# path the kernel's own VXLAN device takes over a veth.
#
#   host A: vnet-encap -i tap:vx0 -o tap:ul0      host B: kernel vxlan vx0
#   vx0 198.19.0.1/24, VTEP 198.18.0.1 on ul0     vx0 198.19.0.2/24
#   ul0 + u0 in bridge br0 ----------- veth ----------- u0 198.18.0.2

load lib

setup() {
	need_root
	need_cmd socat ping ethtool tshark jq
	setup_hosts
	ip -n "$A" addr flush dev u0
	ip -n "$A" link add br0 type bridge
	ip -n "$A" link set u0 master br0
	ip -n "$A" link set br0 up
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 198.18.0.2 remote 198.18.0.1 dev u0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
}

teardown() {
	vnet_teardown
}

# tap_vtep ARGS...: vnet-encap in A on tap vx0 over tap ul0 (in br0).
tap_vtep() {
	bg vnetA ip netns exec "$A" vnet-encap -v -i tap:vx0 -o tap:ul0 \
		--local 198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--control "$BATS_TEST_TMPDIR/a.sock" "$@"
	wait_link "$A" vx0
	wait_link "$A" ul0
	ip -n "$A" link set ul0 master br0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
}

# both_ways: ping at full size without fragments, and 20 MB of TCP each
# way with matching sha256.
both_ways() {
	local sum
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -M do -s 1422 198.19.0.2
	ip netns exec "$B" ping -c 3 -i 0.2 -W 2 -M do -s 1422 198.19.0.1
	sum=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	[ "$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")" = "$sum" ]
	[ "$(tcp_transfer "$B" "$A" 198.19.0.1 "$BATS_TEST_TMPDIR/blob")" = "$sum" ]
}

@test "tap underlay with UDP tunnel offload: ping and 20 MB of TCP both ways with the kernel's VXLAN, super-frames whole" {
	tap_vtep
	grep -q "outer tap:ul0: UDP tunnel offload" "$(log_of vnetA)"
	[ "$(vnet-ctl "$BATS_TEST_TMPDIR/a.sock" describe --json |
		jq -r .fast_path)" = tap-udp-tunnel-offload ]
	# The inner tap leaves room for the outer headers (50 bytes).
	ip -n "$A" -d link show vx0 | grep -q "gso_max_size 65485 "
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_tunnel_superframes)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" decap_tunnel_superframes)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" tap_offload_errors)" -eq 0 ]
	[ "$(counter "$(log_of vnetA)" drop_udp_bad)" -eq 0 ]
	[ "$(counter "$(log_of vnetA)" arp_replies)" -gt 0 ]
}

@test "tap underlay with --no-offload: the same transfers, frame by frame" {
	tap_vtep --no-offload
	fails grep -q "UDP tunnel offload" "$(log_of vnetA)"
	[ "$(vnet-ctl "$BATS_TEST_TMPDIR/a.sock" describe --json |
		jq -r .fast_path)" = frames ]
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_tunnel_superframes)" -eq 0 ]
	[ "$(counter "$(log_of vnetA)" decap_tunnel_superframes)" -eq 0 ]
	[ "$(counter "$(log_of vnetA)" encap_packets)" -gt 14000 ]
}

@test "super-frames cut by the kernel in front of a device without tunnel offload: tshark finds every checksum valid" {
	# A's veth cannot segment UDP tunnels nor checksum: the kernel cuts
	# vnet's super-frames in software and computes what they need.
	ip netns exec "$A" ethtool -K u0 tx off tx-udp_tnl-segmentation off \
		tx-udp_tnl-csum-segmentation off >/dev/null
	tap_vtep
	ip netns exec "$B" timeout 30 tcpdump -U -i u0 -w "$BATS_TEST_TMPDIR/u.pcap" \
		udp port 4789 2>/dev/null &
	local tpid=$!
	wait_for 50 bash -c "ip netns exec '$B' ss -a --packet | grep -q ."
	sleep 0.5
	local sum
	sum=$(make_blob "$BATS_TEST_TMPDIR/blob" 4)
	[ "$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")" = "$sum" ]
	sleep 0.5
	kill "$tpid"
	wait "$tpid" || :
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_tunnel_superframes)" -gt 0 ]
	# What vnet sent: outer UDP checksum zero (not checked), inner IPv4
	# and TCP checksums valid, every outer packet within the underlay
	# MTU.  (B's kernel VTEP leaves its own partial: B captures them
	# before they are completed.)
	T="tshark -n -r $BATS_TEST_TMPDIR/u.pcap -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"
	n=$($T -Y "vxlan && tcp && ip.src == 198.19.0.1" 2>/dev/null | wc -l)
	[ "$n" -gt 1000 ]
	[ "$($T -Y "ip.src == 198.19.0.1 && (tcp.checksum.status == 0 || ip.checksum.status == 0)" 2>/dev/null | wc -l)" -eq 0 ]
	[ "$($T -Y "frame.len > 1514" 2>/dev/null | wc -l)" -eq 0 ]
	[ "$($T -Y "tcp.checksum.status == 1 && ip.src == 198.19.0.1" 2>/dev/null | wc -l)" -eq "$n" ]
}

@test "tap underlay over IPv6 with UDP tunnel offload: NDP answered, ping and 20 MB of TCP both ways with the kernel's VXLAN" {
	ip -n "$B" link del vx0
	ip netns exec "$B" sysctl -qw net.ipv6.conf.u0.disable_ipv6=0
	ip -n "$B" -6 addr add 2001:db8::2/64 dev u0 nodad
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 2001:db8::2 remote 2001:db8::1 dev u0
	ip netns exec "$B" sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	bg vnetA ip netns exec "$A" vnet-encap -v -i tap:vx0 -o tap:ul0 \
		--local 2001:db8::1 --remote 2001:db8::2 --vni 100
	wait_link "$A" vx0
	wait_link "$A" ul0
	ip -n "$A" link set ul0 master br0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
	grep -q "outer tap:ul0: UDP tunnel offload" "$(log_of vnetA)"
	local sum
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -M do -s 1402 198.19.0.2
	sum=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	[ "$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")" = "$sum" ]
	[ "$(tcp_transfer "$B" "$A" 198.19.0.1 "$BATS_TEST_TMPDIR/blob")" = "$sum" ]
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_tunnel_superframes)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" decap_tunnel_superframes)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" ndp_replies)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" drop_udp_bad)" -eq 0 ]
}
