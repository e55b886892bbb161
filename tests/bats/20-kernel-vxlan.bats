#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Interop with the Linux kernel's VXLAN device as the other VTEP.
#
#   host A: vnet-encap on tap vx0        host B: kernel vxlan vx0
#   vx0 198.19.0.1/24                    vx0 198.19.0.2/24
#   u0 198.18.0.1 ----------- veth ----------- u0 198.18.0.2

load lib

setup() {
	need_root
	need_cmd socat ping ethtool tshark
	setup_hosts
}

teardown() {
	vnet_teardown
}

# kernel_vtep VNI DSTPORT: the kernel VXLAN device in host B.
kernel_vtep() {
	ip -n "$B" link add vx0 type vxlan id "$1" dstport "$2" \
		local 198.18.0.2 remote 198.18.0.1 dev u0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	# Over veth nothing ever completes an offloaded inner checksum: the
	# kernel VTEP would send TCP with a partial checksum, which only a
	# NIC (or a kernel peer on the same host) fixes up.  Compute it.
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
}

vnet_vtep() {
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 "$@"
	wait_link "$A" vx0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
}

both_ways() {
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	run ip netns exec "$B" ping -c 3 -i 0.2 -W 2 198.19.0.1
	[ "$status" -eq 0 ]
	want=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")
	[ "$got" = "$want" ]
	got=$(tcp_transfer "$B" "$A" 198.19.0.1 "$BATS_TEST_TMPDIR/blob")
	[ "$got" = "$want" ]
}

@test "interoperates with kernel VXLAN on the IANA port 4789 both ways" {
	kernel_vtep 100 4789
	vnet_vtep --vni 100
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" drop_no_i_flag)" -eq 0 ]
	[ "$(counter "$(log_of vnetA)" drop_unknown_vni)" -eq 0 ]
}

@test "interoperates with kernel VXLAN on VNI 4242 and dstport 4790 both ways" {
	kernel_vtep 4242 4790
	vnet_vtep --vni 4242 --dstport 4790
	both_ways
}

@test "interoperates with kernel VXLAN on Linux's legacy port 8472" {
	kernel_vtep 16000000 8472
	vnet_vtep --vni 16000000 --dstport 8472
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
}

@test "sends source ports from the inner flow hash within the configured range" {
	kernel_vtep 100 4789
	vnet_vtep --vni 100 --srcport-range 50000-50099
	ip netns exec "$B" timeout 20 tcpdump -i u0 -nn -c 40 \
		-w "$BATS_TEST_TMPDIR/u0.pcap" src host 198.18.0.1 and udp port 4789 2>/dev/null &
	cap=$!
	sleep 0.5
	# Several inner flows: UDP to 20 different ports.
	for p in $(seq 7000 7019); do
		echo x | ip netns exec "$A" socat -u - UDP:198.19.0.2:$p
	done
	ip netns exec "$A" ping -c 20 -i 0.05 -W 2 198.19.0.2 >/dev/null
	wait "$cap"
	# The first udp.srcport is the outer one (tshark lists inner ones too).
	ports=$(tshark -r "$BATS_TEST_TMPDIR/u0.pcap" -T fields -e udp.srcport \
		2>/dev/null | cut -d, -f1 | sort -u)
	n=$(echo "$ports" | wc -l)
	[ "$n" -ge 5 ]
	for p in $ports; do [ "$p" -ge 50000 ] && [ "$p" -le 50099 ]; done
}
