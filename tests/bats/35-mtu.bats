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
	[ "$(jq .vni <<<"$j")" = null ]
	j=$(vnet-flowexport --describe --vni 100 -C 198.18.0.9 3</dev/null 4>/dev/null)
	[ "$(jq .vni <<<"$j")" = 100 ]
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

# mkframes OUT N4 N6 M4 LEN: N6 IPv6 UDP packets of LEN bytes, then N4
# IPv4 ones with DF, 198.19.0.1 -> .2, all stamped at T, then M4 IPv4
# ones more at T + 1 s;
# written with the standard library only.
mkframes() {
	python3 - "$@" <<'PY'
import struct, sys
out, n4, n6, m4, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
eth = bytes.fromhex('020000000002' '020000000001')
def v4(i):
    udp = struct.pack('!HHHH', 40000 + i, 7000, size - 20, 0) + bytes(size - 28)
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, size, i, 0x4000, 64, 17, 0,
                    bytes([198, 19, 0, 1]), bytes([198, 19, 0, 2]))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return eth + b'\x08\x00' + h + udp
def v6(i):
    src = bytes.fromhex('20010db8000000000000000000000001')
    dst = bytes.fromhex('20010db8000000000000000000000002')
    return eth + b'\x86\xdd' + struct.pack('!IHBB', 0x60000000, size - 40, 17, 64) + src + dst + \
        struct.pack('!HHHH', 40000 + i, 7000, size - 40, 0) + bytes(size - 48)
recs = [(0, v6(i)) for i in range(n6)] + [(0, v4(i)) for i in range(n4)] + \
       [(1, v4(100 + i)) for i in range(m4)]
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for t, fr in recs:
        f.write(struct.pack('<IIII', 1700000000 + t, 0, len(fr), len(fr)) + fr)
PY
}

@test "--pmtu-reply answers a frame over the budget with ICMP fragmentation needed / packet too big, rate limited, exact checksums" {
	need_cmd python3 tshark
	local T=$BATS_TEST_TMPDIR
	# One IPv6 packet of 1451 bytes and 25 IPv4 ones with DF at once, 15
	# more a second later: the bucket holds 10 and gains 10 a second.
	mkframes "$T/big.pcap" 25 1 15 1451
	vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 --pmtu-reply \
		--clock pcap --stats -i fd:5,6 -o - 5<"$T/big.pcap" \
		6>"$T/replies.pcap" </dev/null >"$T/outer.pcap" 2>"$T/err"
	[ "$(counter "$T/err" drop_too_big)" = 41 ]
	[ "$(counter "$T/err" encap_packets)" = 0 ]
	[ "$(counter "$T/err" pmtu_replies)" = 20 ]
	[ "$(counter "$T/err" pmtu_reply_ratelimited)" = 21 ]
	# (tshark checks every ICMP checksum; the IP one when told.)
	run --separate-stderr tshark -r "$T/replies.pcap" -o ip.check_checksum:TRUE \
		-E occurrence=f -T fields -e ip.src -e ip.dst \
		-e icmp.type -e icmp.code -e icmp.mtu -e ip.checksum.status \
		-e icmp.checksum.status -e udp.srcport -Y icmp
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 19 ]
	# From the destination to the sender, next-hop MTU 1500 - 50, both
	# checksums good (status 1), quoting the packet's UDP header.
	[ "${lines[0]}" = "198.19.0.2	198.19.0.1	3	4	1450	1	1	40000" ]
	[ "$(printf '%s\n' "${lines[@]}" | cut -f1-7 | sort -u | wc -l)" = 1 ]
	run --separate-stderr tshark -r "$T/replies.pcap" -E occurrence=f -T fields \
		-e ipv6.src -e ipv6.dst -e icmpv6.type -e icmpv6.mtu \
		-e icmpv6.checksum.status -Y icmpv6
	[ "$output" = "2001:db8::2	2001:db8::1	2	1450	1" ]
	# Without --pmtu-reply: dropped and counted, never answered.
	vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 --clock pcap \
		--stats -i fd:5,6 -o - 5<"$T/big.pcap" 6>"$T/none.pcap" \
		</dev/null >/dev/null 2>"$T/err2"
	[ "$(counter "$T/err2" drop_too_big)" = 41 ]
	[ "$(counter "$T/err2" pmtu_replies)" = 0 ]
	[ "$(tshark -r "$T/none.pcap" 2>/dev/null | wc -l)" = 0 ]
	# One byte less fits: no drop, no answer.
	mkframes "$T/fit.pcap" 3 0 0 1450
	vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 --pmtu-reply \
		--clock pcap --stats -i fd:5,6 -o - 5<"$T/fit.pcap" \
		6>/dev/null </dev/null >/dev/null 2>"$T/err3"
	[ "$(counter "$T/err3" drop_too_big)" = 0 ]
	[ "$(counter "$T/err3" encap_packets)" = 3 ]
	[ "$(counter "$T/err3" pmtu_replies)" = 0 ]
}

@test "--pmtu-reply: a TCP transfer through an undersized path completes, and the sender's route learns the MTU" {
	need_root
	need_cmd socat
	vteps_vni100 --pmtu-reply --stats
	# Both taps raised past what the tunnel carries (1450): TCP starts
	# with 1460-byte segments, which only the ICMP answers can stop.
	ip -n "$A" link set vx0 mtu 1500
	ip -n "$B" link set vx0 mtu 1500
	fails bash -c "ip -n '$A' route get 198.19.0.2 | grep -q 'mtu 1450'"
	want=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$BATS_TEST_TMPDIR/blob")
	[ "$got" = "$want" ]
	run ip -n "$A" route get 198.19.0.2
	echo "$output"
	[[ $output == *"mtu 1450"* ]]
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" pmtu_replies)" -ge 1 ]
	[ "$(counter "$(log_of vnetA)" drop_too_big)" -ge 1 ]
}
