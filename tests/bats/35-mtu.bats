#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 35-mtu: the MTU budget (vnet(7) MTU BUDGET).  Every program says with
# --describe what it adds and carries, without opening anything;
# vnet-pipe adds a chain up, refuses one that cannot fit and gives the
# tap at its left end the MTU the chain carries; a frame over the budget
# is dropped and counted, one of the exact size passes.
#
#   host A                                   host B
#   vx0 198.19.0.1/24 (MTU from vnet-pipe)   vx0 198.19.0.2/24
#     | vnet-tap = vnet-encap VNI 100 (frames, 198.19.9.x)
#     |          = vnet-encap VNI 200 (udp)   (the same)
#   u0 198.18.0.1 -------- veth 1500 -------- u0 198.18.0.2

load lib
bats_require_minimum_version 1.5.0

teardown() {
	vnet_teardown
}

@test "vnet-encap --describe: framing, overhead and MTUs by kind and family, nothing opened" {
	need_cmd jq
	local j
	j=$(vnet-encap --describe -i tap:vx0 --vni 100 -o udp:198.18.0.1 \
		--remote 198.18.0.2)
	[ "$(jq -r .program <<<"$j")" = vnet-encap ]
	[ "$(jq -r .encap <<<"$j")" = vxlan ]
	[ "$(jq -r .family <<<"$j")" = ipv4 ]
	[ "$(jq -r .vni <<<"$j")" = 100 ]
	[ "$(jq -r .inner_framing <<<"$j")" = tap ]
	[ "$(jq -r .outer_framing <<<"$j")" = udp ]
	# IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14.
	[ "$(jq -r .overhead <<<"$j")" = 50 ]
	[ "$(jq -r .outer_mtu <<<"$j")" = 1500 ]
	[ "$(jq -r .inner_mtu <<<"$j")" = 1450 ]
	# No instance, pid or socket: nothing runs.
	[ "$(jq -r 'has("pid") or has("instance") or has("control")' <<<"$j")" = false ]
	# A frame stream outside, VDE framing, --mtu 1450.
	j=$(vnet-encap --describe --vni 100 --mtu 1450 --local 198.19.9.1 \
		--remote 198.19.9.2 -F vde -o - 3>/dev/null 4>/dev/null)
	[ "$(jq -r .outer_framing <<<"$j")" = vde ]
	[ "$(jq -r .inner_framing <<<"$j")" = vde ]
	[ "$(jq -r .inner_mtu <<<"$j")" = 1400 ]
	# A VDE stream takes frames of 9234 bytes at most: 9220 of payload.
	j=$(vnet-encap --describe --vni 1 --mtu 9300 --local 198.18.0.1 \
		-r 198.18.0.2 -F vde </dev/null)
	[ "$(jq -r .outer_mtu <<<"$j")" = 9220 ]
	[ "$(jq -r .inner_mtu <<<"$j")" = 9170 ]
}

@test "--describe acquires nothing: no tap is made, a terminal is no error" {
	need_root
	need_cmd jq script
	mkns ns d
	run -0 ip netns exec "$ns" vnet-encap --describe -i tap:vx0 --vni 1 \
		-o udp:198.18.0.1 -r 198.18.0.2 --pidfile "$BATS_TEST_TMPDIR/p.pid"
	fails ip -n "$ns" link show vx0
	[ ! -e "$BATS_TEST_TMPDIR/p.pid" ]
	run -0 ip netns exec "$ns" vnet-tap --describe vx0
	fails ip -n "$ns" link show vx0
	# stdout on a terminal: JSON is text.
	run -0 script -qec "vnet-tap --describe vx0" /dev/null
	[[ $output == *'"program":"vnet-tap"'* ]]
}

@test "--describe exits 2 with the usual error on a bad command line" {
	run -2 vnet-encap --describe --vni 1
	[[ $output == *"without -o"* ]]
	run -2 vnet-encap --describe -i tap:vx0,mtu=1500 --vni 1 -o udp:198.18.0.1
	[[ $output == *"MTU 1500 is larger than the 1450 bytes --mtu 1500 carries"* ]]
	run -2 vnet-tap --describe tap:vm0,mtu=1
	run -2 vnet-acl --describe -p /nonexistent
	run -2 vnet-flowexport --describe --sink --json - --mtu 10
}

@test "vnet-tap, vnet-acl and vnet-flowexport --describe: what they add (nothing) and carry" {
	need_cmd jq
	local j
	j=$(vnet-tap --describe tap:vm0,mtu=1400)
	[ "$(jq -c '[.program,.inner_framing,.outer_framing,.overhead,.inner_mtu,.outer_mtu]' <<<"$j")" = '["vnet-tap","tap","pcap",0,1400,1400]' ]
	j=$(vnet-tap --describe -F vde vm0)
	[ "$(jq -c '[.outer_framing,.inner_mtu,.outer_mtu,.mtu]' <<<"$j")" = '["vde",null,null,null]' ]
	printf 'default deny\n' >"$BATS_TEST_TMPDIR/p"
	j=$(vnet-acl --describe -p "$BATS_TEST_TMPDIR/p" 3</dev/null 4>/dev/null)
	[ "$(jq -c '[.program,.inner_framing,.outer_framing,.overhead,.inner_mtu,.outer_mtu]' <<<"$j")" = '["vnet-acl","pcap","pcap",0,null,null]' ]
	j=$(vnet-acl --describe -p "$BATS_TEST_TMPDIR/p" -R tap:vm0 -l pcap:x.pcap)
	[ "$(jq -c '[.inner_framing,.outer_framing]' <<<"$j")" = '["pcap-file","tap"]' ]
	j=$(vnet-flowexport --describe -C 198.18.0.9 -F vde 3</dev/null 4>/dev/null)
	[ "$(jq -c '[.program,.inner_framing,.outer_framing,.overhead,.inner_mtu,.outer_mtu]' <<<"$j")" = '["vnet-flowexport","vde","vde",0,null,null]' ]
	j=$(vnet-flowexport --describe -I u0 -C 198.18.0.9)
	[ "$(jq -c '[.inner_framing,.outer_framing]' <<<"$j")" = '["interface","none"]' ]
}

# The README's nested overlay on host $1 (A or B), tap without an MTU.
nested() {
	local me=$1 peer=$2 n=$3
	bg "vnet$n" ip netns exec "${!n}" vnet-pipe vnet-tap vx0 = \
		vnet-encap --vni 100 --mtu 1450 --local "198.19.9.$me" \
		--remote "198.19.9.$peer" -o - --control "$BATS_TEST_TMPDIR/mid$n.sock" = \
		vnet-encap --vni 200 -o "udp:198.18.0.$me" --remote "198.18.0.$peer"
}

@test "vnet-pipe --describe adds the nested stack up: 1500 - 50 - 50 = 1400" {
	need_cmd jq
	local j
	j=$(vnet-pipe --describe vnet-tap vx0 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.1 \
		--remote 198.19.9.2 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2)
	[ "$(jq -r .program <<<"$j")" = vnet-pipe ]
	[ "$(jq '.members | length' <<<"$j")" = 3 ]
	[ "$(jq -r '.members | map(.program) | join(" ")' <<<"$j")" = "vnet-tap vnet-encap vnet-encap" ]
	# The sum is what the members say.
	[ "$(jq '[.members[].overhead] | add' <<<"$j")" = "$(jq .overhead <<<"$j")" ]
	[ "$(jq .overhead <<<"$j")" = 100 ]
	[ "$(jq '.members[2].outer_mtu - .overhead' <<<"$j")" = 1400 ]
	[ "$(jq .inner_mtu <<<"$j")" = 1400 ]
	[ "$(jq .outer_mtu <<<"$j")" = 1500 ]
	[ "$(jq -c '[.inner_framing,.outer_framing]' <<<"$j")" = '["tap","udp"]' ]
	# The tap is given the chain's MTU.
	[ "$(jq .members[0].mtu <<<"$j")" = 1400 ]
	# Each member's outer MTU fits its right neighbour's inner MTU.
	[ "$(jq '.members[1].outer_mtu <= .members[2].inner_mtu' <<<"$j")" = true ]
	# A member that is no vnet program counts as adding nothing.
	j=$(vnet-pipe --describe vnet-tap vx0 = cat = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2)
	[ "$(jq -c '.members[1]' <<<"$j")" = '{"command":"cat","described":false}' ]
	[ "$(jq .inner_mtu <<<"$j")" = 1450 ]
}

@test "vnet-pipe refuses a chain that cannot fit, naming the member and the numbers" {
	run -2 vnet-pipe vnet-tap vx0 = \
		vnet-encap --vni 100 --local 198.19.9.1 --remote 198.19.9.2 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	[[ $output == *"member 2 (vnet-encap) needs an outer MTU of 1500, more than the 1450 bytes that member 3 (vnet-encap) carries: give it --mtu 1450 or less"* ]]
	run -2 vnet-pipe --describe vnet-tap tap:vx0,mtu=1451 = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	[[ $output == *"member 1 (vnet-tap): MTU 1451 is larger than the 1450 bytes that member 2 (vnet-encap) carries"* ]]
	run -2 vnet-pipe vnet-tap --mtu 1451 vx0 = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	[[ $output == *"MTU 1451 is larger than the 1450 bytes"* ]]
	# A member whose --describe fails fails vnet-pipe --describe.
	run -2 vnet-pipe --describe vnet-tap vx0 = vnet-encap --vni 1 --bogus
	[[ $output == *"member 2 (vnet-encap): --describe failed (status 2)"* ]]
}

@test "the nested chain: vnet-pipe sets the tap MTU; a DF ping of exactly it passes, one byte more is dropped and counted" {
	need_root
	need_cmd jq ping
	setup_hosts
	local mtu
	mtu=$(vnet-pipe --describe vnet-tap vx0 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.1 \
		--remote 198.19.9.2 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2 |
		jq .inner_mtu)
	[ "$mtu" = 1400 ]
	nested 1 2 A
	nested 2 1 B
	wait_link "$A" vx0
	wait_link "$B" vx0
	run ip -n "$A" link show vx0
	[[ $output == *"mtu $mtu "* ]]
	run ip -n "$B" link show vx0
	[[ $output == *"mtu $mtu "* ]]
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
	# ICMP echo: 20 + 8 + the payload.
	ip netns exec "$A" ping -M do -c 2 -i 0.2 -W 2 -s $((mtu - 28)) 198.19.0.2
	wait_for 50 test -S "$BATS_TEST_TMPDIR/midA.sock"
	[ "$(vnet-ctl "$BATS_TEST_TMPDIR/midA.sock" counters --json | jq .counters.drop_too_big)" = 0 ]
	# A tap whose MTU is raised past the budget: the frame leaves it and
	# the VTEP drops it, never fragmented.
	ip -n "$A" link set vx0 mtu $((mtu + 1))
	fails ip netns exec "$A" ping -M do -c 1 -W 1 -s $((mtu - 27)) 198.19.0.2
	[ "$(vnet-ctl "$BATS_TEST_TMPDIR/midA.sock" counters --json | jq .counters.drop_too_big)" = 1 ]
	# The exact size still passes.
	ip netns exec "$A" ping -M do -c 1 -W 2 -s $((mtu - 28)) 198.19.0.2
	[ "$(vnet-ctl "$BATS_TEST_TMPDIR/midA.sock" counters --json | jq .counters.drop_too_big)" = 1 ]
}
