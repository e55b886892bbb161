#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 16-stack: frames all the way down (vnet(7)).  A three-level stack on
# each host: GENEVE 300 on a frame stream, inside VXLAN 200 on a frame
# stream, inside VXLAN 100 on an IPv6 underlay socket.  It carries ping
# and a TCP transfer; the tap's MTU is what vnet-pipe --describe adds
# up; one byte more is dropped and counted at the top stage; with
# --pmtu-reply a TCP transfer through the undersized path completes.
#
#   host A                                   host B
#   vx0 198.19.0.1/24 (MTU from vnet-pipe)   vx0 198.19.0.2/24
#     | vnet-tap
#     | = vnet-encap -e geneve VNI 300 (frames, 198.19.9.x)
#     | = vnet-encap VNI 200 (frames, 198.19.8.x)
#     | = vnet-encap VNI 100 (udp, IPv6)     (the same)
#   u0 2001:db8::1 ------- veth 1500 ------- u0 2001:db8::2

load lib
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	vnet_teardown
}

# chain ME PEER [ARGS]: the stack's command line on host ME (1 or 2);
# ARGS go to the GENEVE stage.  In $CHAIN.
chain() {
	local me=$1 peer=$2
	shift 2
	CHAIN=(vnet-tap vx0 =
		vnet-encap -e geneve --vni 300 --mtu 1380
		--local "198.19.9.$me" --remote "198.19.9.$peer" -o -
		--control "$T/top$me.sock" "$@" =
		vnet-encap --vni 200 --mtu 1430
		--local "198.19.8.$me" --remote "198.19.8.$peer" -o - =
		vnet-encap --vni 100 -o "udp:[2001:db8::$me]"
		--remote "2001:db8::$peer")
}

# stack [ARGS]: both hosts (IPv6 on u0 only, no DAD), the stack on each
# (ARGS to the GENEVE stages), the taps up with 198.19.0.1 and .2.
stack() {
	need_root
	setup_hosts
	local h n
	for h in "$A" "$B"; do
		ip netns exec "$h" sysctl -qw net.ipv6.conf.u0.disable_ipv6=0
		ip netns exec "$h" sysctl -qw net.ipv6.conf.u0.accept_ra=0
	done
	ip -n "$A" -6 addr add 2001:db8::1/64 dev u0 nodad
	ip -n "$B" -6 addr add 2001:db8::2/64 dev u0 nodad
	chain 1 2 "$@"
	bg vnetA ip netns exec "$A" vnet-pipe "${CHAIN[@]}"
	chain 2 1 "$@"
	bg vnetB ip netns exec "$B" vnet-pipe "${CHAIN[@]}"
	for n in 1 2; do
		h=$A
		[ $n = 2 ] && h=$B
		wait_link "$h" vx0
		ip netns exec "$h" sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1
		ip -n "$h" addr add "198.19.0.$n/24" dev vx0
		ip -n "$h" link set vx0 up
	done
	wait_for 50 test -S "$T/top1.sock"
}

too_big() {
	vnet-ctl "$T/top1.sock" counters --json | jq .counters.drop_too_big
}

@test "vnet-pipe --describe adds the three levels up: 1500 - 70 - 50 - 50 = 1330" {
	need_cmd jq
	local j
	chain 1 2
	j=$(vnet-pipe --describe "${CHAIN[@]}")
	[ "$(jq -r '.members | map(.encap // .program) | join(" ")' <<<"$j")" = "vnet-tap geneve vxlan vxlan" ]
	[ "$(jq -r '.members | map(.family // "-") | join(" ")' <<<"$j")" = "- ipv4 ipv4 ipv6" ]
	[ "$(jq '[.members[].overhead] | add' <<<"$j")" = "$(jq .overhead <<<"$j")" ]
	[ "$(jq .overhead <<<"$j")" = 170 ]
	[ "$(jq .outer_mtu <<<"$j")" = 1500 ]
	[ "$(jq '.outer_mtu - .overhead' <<<"$j")" = 1330 ]
	[ "$(jq .inner_mtu <<<"$j")" = 1330 ]
	[ "$(jq .members[0].mtu <<<"$j")" = 1330 ]
	[ "$(jq .translation <<<"$j")" = false ]
	# Each level's outer MTU is the inner MTU of the one below it.
	[ "$(jq '[.members[1].outer_mtu, .members[2].inner_mtu, .members[2].outer_mtu, .members[3].inner_mtu]' -c <<<"$j")" = '[1380,1380,1430,1430]' ]
}

@test "the three-level stack carries ping and a 20 MB TCP transfer; tshark sees GENEVE 300 in VXLAN 200 in VXLAN 100 over IPv6" {
	need_cmd jq ping socat tcpdump tshark
	stack
	local mtu
	chain 1 2
	mtu=$(vnet-pipe --describe "${CHAIN[@]}" | jq .inner_mtu)
	[ "$mtu" = 1330 ]
	run ip -n "$A" link show vx0
	[[ $output == *"mtu $mtu "* ]]
	run ip -n "$B" link show vx0
	[[ $output == *"mtu $mtu "* ]]
	ip netns exec "$A" timeout 60 tcpdump -i u0 -w "$T/u0.pcap" -c 10 \
		ip6 and udp port 4789 2>/dev/null &
	local tpid=$!
	wait_for 50 ip netns exec "$A" ping -c 1 -W 1 198.19.0.2
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	ip netns exec "$B" ping -c 3 -i 0.2 -W 2 198.19.0.1
	want=$(make_blob "$T/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	wait "$tpid" || :
	tshark -r "$T/u0.pcap" -T fields -e vxlan.vni -e geneve.vni \
		2>/dev/null | sort -u >"$T/f"
	cat "$T/f"
	[ "$(wc -l <"$T/f")" = 1 ]
	local v g
	IFS=$'\t' read -r v g <"$T/f"
	[ "$v" = "100,200" ]
	[ "$((g))" = 300 ]
}

@test "the three-level stack: a DF ping of exactly its MTU passes, one byte more is dropped and counted" {
	need_cmd jq ping
	stack
	local mtu=1330
	wait_for 50 ip netns exec "$A" ping -c 1 -W 1 198.19.0.2
	# ICMP echo: 20 + 8 + the payload.
	ip netns exec "$A" ping -M do -c 2 -i 0.2 -W 2 -s $((mtu - 28)) 198.19.0.2
	[ "$(too_big)" = 0 ]
	ip -n "$A" link set vx0 mtu $((mtu + 1))
	fails ip netns exec "$A" ping -M do -c 1 -W 1 -s $((mtu - 27)) 198.19.0.2
	[ "$(too_big)" = 1 ]
	ip netns exec "$A" ping -M do -c 1 -W 2 -s $((mtu - 28)) 198.19.0.2
	[ "$(too_big)" = 1 ]
}

@test "the three-level stack with --pmtu-reply: a TCP transfer through taps of 1500 completes, the route learns 1330" {
	need_cmd jq socat
	stack --pmtu-reply
	ip -n "$A" link set vx0 mtu 1500
	ip -n "$B" link set vx0 mtu 1500
	wait_for 50 ip netns exec "$A" ping -c 1 -W 1 198.19.0.2
	fails bash -c "ip -n '$A' route get 198.19.0.2 | grep -q 'mtu 1330'"
	want=$(make_blob "$T/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	run ip -n "$A" route get 198.19.0.2
	echo "$output"
	[[ $output == *"mtu 1330"* ]]
	[ "$(too_big)" -ge 1 ]
	[ "$(vnet-ctl "$T/top1.sock" counters --json | jq .counters.pmtu_replies)" -ge 1 ]
}
