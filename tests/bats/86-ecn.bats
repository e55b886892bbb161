#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# DSCP and ECN between the inner and the outer header of vnet-encap
# (RFC 6040), read back by tshark.
#
#   pipe:  mkpcap.py (inner TOS) | vnet-encap (egress) | tshark: outer
#          mkpcap.py --vxlan (inner and outer TOS) | vnet-encap --dir
#          ingress | tshark: inner
#   udp:   host A                              host B
#          vnet-encap -o udp:198.18.0.1         tcpdump -i u0 (encap)
#          u0 198.18.0.1 ------ veth ------ u0 198.18.0.2
#                                               python3 VXLAN sender with
#                                               IP_TOS (decap)
#
# ECN codepoints as tshark shows them: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.
# Needs python3 and tshark; tcpdump for the UDP underlay.

load lib

setup() {
	need_root
	need_cmd python3 tshark
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
}

teardown() {
	exec 9>&- || :
	vnet_teardown
}

# fields FILE FIELD...: tshark's fields of each frame of FILE, one line a
# frame, tab-separated; a field of both IP headers shows as OUTER,INNER.
fields() {
	local f=$1 a=() x
	shift
	for x; do a+=(-e "$x"); done
	tshark -r "$f" -T fields -o ip.check_checksum:TRUE "${a[@]}" 2>/dev/null
}

# encap ARGS...: a one-way egress vnet-encap, stdin to stdout (fds 3
# and 4 closed: bats holds 3, which would make it a two-way member).
encap() {
	vnet-encap --vni 5 --local 198.18.0.1 -r 198.18.0.2 "$@" 3>&- 4>&-
}

# decap ARGS...: the same, ingress.
decap() {
	vnet-encap --vni 5 --local 198.18.0.1 --dir ingress "$@" 3>&- 4>&-
}

@test "encapsulation copies the inner DSCP and ECN into the outer header (RFC 6040 normal mode)" {
	local e
	for e in 0 1 2 3; do
		# IPv4 inner: DSCP 46 (EF), each ECN codepoint.
		$MKPCAP "$T/in4.pcap" --type udp --tos $((184 + e))
		encap <"$T/in4.pcap" >"$T/out4.pcap"
		[ "$(fields "$T/out4.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = \
			"46,46	$e,$e" ]
		# IPv6 inner: the traffic class, DSCP 10 (AF11).
		$MKPCAP "$T/in6.pcap" --type udp6 --size 80 --tos $((40 + e))
		encap <"$T/in6.pcap" >"$T/out6.pcap"
		[ "$(fields "$T/out6.pcap" ip.dsfield.dscp ip.dsfield.ecn \
			ipv6.tclass.dscp ipv6.tclass.ecn)" = "10	$e	10	$e" ]
	done
	# Not IP: DSCP 0, Not-ECT.
	$MKPCAP "$T/raw.pcap" --size 64
	encap <"$T/raw.pcap" >"$T/out.pcap"
	[ "$(fields "$T/out.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = "0	0" ]
}

@test "--ecn off writes Not-ECT outside, --dscp N a fixed DSCP, --tos N the whole byte" {
	$MKPCAP "$T/in.pcap" --type udp --tos 187 # EF, CE
	encap --ecn off <"$T/in.pcap" >"$T/out.pcap"
	[ "$(fields "$T/out.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = "46,46	0,3" ]
	encap --dscp 10 <"$T/in.pcap" >"$T/out.pcap"
	[ "$(fields "$T/out.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = "10,46	3,3" ]
	encap --dscp copy --ecn normal <"$T/in.pcap" >"$T/out.pcap"
	[ "$(fields "$T/out.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = "46,46	3,3" ]
	encap --tos 41 <"$T/in.pcap" >"$T/out.pcap"
	[ "$(fields "$T/out.pcap" ip.dsfield.dscp ip.dsfield.ecn)" = "10,46	1,3" ]
	run encap --tos 41 --ecn off
	[ "$status" -eq 2 ]
	[[ "$output" == *'--tos fixes the whole outer TOS byte: not with --ecn'* ]]
	run encap --ecn on
	[ "$status" -eq 2 ]
	[[ "$output" == *"--ecn: 'on' is not normal or off"* ]]
	run encap --dscp 64
	[ "$status" -eq 2 ]
}

# RFC 6040 Figure 4: "INNER OUTER RESULT" by codepoint (- : dropped).
DECAP_TABLE='0 0 0
0 2 0
0 1 0
0 3 -
2 0 2
2 2 2
2 1 1
2 3 3
1 0 1
1 2 1
1 1 1
1 3 3
3 0 3
3 2 3
3 1 3
3 3 3'

@test "decapsulation follows every row of RFC 6040's table, IPv4 checksum and IPv6 inner included" {
	local in out res got c
	while read -r in out res; do
		$MKPCAP "$T/o4.pcap" --type udp --tos $((184 + in)) --vxlan 5 \
			--outer-tos $((40 + out))
		$MKPCAP "$T/o6.pcap" --type udp6 --size 80 --tos $((184 + in)) \
			--vxlan 5 --outer-tos $out
		decap --stats <"$T/o4.pcap" >"$T/i4.pcap" 2>"$T/err4"
		decap <"$T/o6.pcap" >"$T/i6.pcap"
		got=$(fields "$T/i4.pcap" ip.dsfield.dscp ip.dsfield.ecn \
			ip.checksum.status)
		echo "inner $in outer $out: $got"
		if [ "$res" = - ]; then
			[ -z "$got" ]
			[ -z "$(fields "$T/i6.pcap" ipv6.tclass.ecn)" ]
			[ "$(counter "$T/err4" drop_ecn_not_ect)" -eq 1 ]
			[ "$(counter "$T/err4" inner_tx_frames)" -eq 0 ]
			continue
		fi
		# The DSCP stays the inner one; the checksum is right (1).
		[ "$got" = "46	$res	1" ]
		[ "$(fields "$T/i6.pcap" ipv6.tclass.dscp ipv6.tclass.ecn)" = \
			"46	$res" ]
		[ "$(counter "$T/err4" drop_ecn_not_ect)" -eq 0 ]
		c=0
		[ "$res" = 3 ] && [ "$in" != 3 ] && c=1
		[ "$(counter "$T/err4" decap_ecn_ce)" -eq "$c" ]
		# (!!!) in the RFC: an ECT outer on a Not-ECT inner, ECT(1)
		# outside CE.
		c=0
		{ [ "$in" = 0 ] && [ "$out" != 0 ]; } ||
			{ [ "$in" = 3 ] && [ "$out" = 1 ]; } && c=1
		[ "$(counter "$T/err4" decap_ecn_unused)" -eq "$c" ]
	done <<<"$DECAP_TABLE"
}

@test "frames too short for an IP header pass decapsulation unchanged" {
	local n
	# An IPv4 EtherType and 14 + 0..19 bytes: no IP header to mark.
	for n in 14 15 20 33; do
		$MKPCAP "$T/raw.pcap" --size "$n" --vxlan 5 --outer-tos 3
		python3 - "$T/raw.pcap" <<-'EOF'
			import sys
			d = bytearray(open(sys.argv[1], "rb").read())
			# the inner EtherType: after the pcap headers (24 + 16),
			# outer Ethernet/IPv4/UDP/VXLAN (50) and 12 MAC bytes
			o = 24 + 16 + 50 + 12
			if len(d) >= o + 2:
			    d[o:o + 2] = b"\x08\x00"
			open(sys.argv[1], "wb").write(d)
		EOF
		decap --stats <"$T/raw.pcap" >"$T/out.pcap" 2>"$T/err"
		[ "$(counter "$T/err" inner_tx_frames)" -eq 1 ]
		[ "$(counter "$T/err" drop_ecn_not_ect)" -eq 0 ]
		cmp <(tail -c +41 "$T/out.pcap") <(tail -c +$((41 + 50)) "$T/raw.pcap")
	done
}

@test "the UDP underlay carries DSCP and ECN both ways" {
	need_cmd tcpdump
	setup_hosts
	$MKPCAP "$T/in.pcap" --type udp --tos 186 --count 4 # EF, ECT(0)
	bg dump ip netns exec "$B" timeout 20 tcpdump -i u0 -nn -c 4 -U \
		-w "$T/wire.pcap" udp port 4789
	wait_for 50 grep -q 'listening on' "$(log_of dump)"
	run timeout 20 ip netns exec "$A" vnet-encap -i pcap:"$T/in.pcap" \
		-o udp:198.18.0.1 -r 198.18.0.2 --vni 5 --stats 3>&- 4>&-
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 100 exited dump
	[ "$(fields "$T/wire.pcap" ip.dsfield.dscp ip.dsfield.ecn | sort -u)" = \
		"46,46	2,2" ]
	# B sends VXLAN datagrams with an outer CE: to an ECT(0) inner and
	# to a Not-ECT one.
	$MKPCAP "$T/ect.pcap" --type udp --tos 186
	$MKPCAP "$T/not.pcap" --type udp --tos 184
	mkfifo "$T/hold"
	bg vtep ip netns exec "$A" bash -c "vnet-encap -o udp:198.18.0.1 \
		--vni 5 --stats <$T/hold >$T/inner.pcap 3>&- 4>&-"
	exec 9>"$T/hold"
	wait_for 50 bash -c "ip netns exec '$A' ss -lun | grep -q '198.18.0.1:4789 '"
	ip netns exec "$B" python3 - "$T/ect.pcap" "$T/not.pcap" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x2b)  # AF11, CE
		for f in sys.argv[1:]:
		    frame = open(f, "rb").read()[24 + 16:]
		    vx = bytes([8, 0, 0, 0, 0, 0, 5, 0])
		    s.sendto(vx + frame, ("198.18.0.1", 4789))
	EOF
	wait_for 100 bash -c "[ \$(stat -c %s $T/inner.pcap) -gt 24 ]"
	exec 9>&-
	wait_for 100 exited vtep
	wait "$(pid_of vtep)"
	cat "$(log_of vtep)"
	# The ECT(0) inner came out CE, its checksum right; the Not-ECT
	# one was dropped.
	[ "$(fields "$T/inner.pcap" ip.dsfield.dscp ip.dsfield.ecn \
		ip.checksum.status)" = "46	3	1" ]
	[ "$(counter "$(log_of vtep)" drop_ecn_not_ect)" -eq 1 ]
	[ "$(counter "$(log_of vtep)" decap_ecn_ce)" -eq 1 ]
}
