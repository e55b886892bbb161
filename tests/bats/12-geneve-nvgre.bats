#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# GENEVE (RFC 8926) and NVGRE (RFC 7637): what vnet-encap -e geneve|nvgre
# writes, tshark decodes; an overlay of two vnet VTEPs carries ping and a
# TCP transfer; bad headers are dropped and counted by reason.
#
#   offline:  mkpcap.py -> vnet-encap -e KIND (-o -) -> outer.pcap
#             -> tshark; forged outer.pcap -> vnet-encap -e KIND
#
#   overlay:
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#     |  vnet-encap -e KIND                  |  vnet-encap -e KIND
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#   (the kernel has no geneve or gretap device here: vnet on both ends;
#   NVGRE is IP protocol 47 on raw sockets)

load lib

setup() {
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
}

teardown() {
	vnet_teardown
}

# encap IN OUT [ARGS]: encapsulate the capture IN offline, VNI 7, from
# 198.18.0.1 to 198.18.0.2; the outer frames go to OUT.
encap() {
	local in=$1 out=$2
	shift 2
	timeout 10 vnet-encap -i "pcap:$in" --vni 7 --local 198.18.0.1 \
		-r 198.18.0.2 -o - --stats "$@" </dev/null >"$out" 2>"$T/encap.err"
}

# decap IN [ARGS]: decapsulate the outer frames of IN in VNI $VNI
# (default 7) at $AT (default 198.18.0.1, the address mkpcap's outer
# packets go to); the inner frames go to $T/inner.pcap, the counters to
# $T/err.
decap() {
	local in=$1
	shift
	rc=0
	timeout 10 vnet-encap -i - -o "pcap:$in" --vni "${VNI:-7}" \
		--local "${AT:-198.18.0.1}" --stats "$@" </dev/null >"$T/inner.pcap" 2>"$T/err" || rc=$?
	echo "\$ decap $in $* -> $rc"
	grep -v '	0$' "$T/err" || :
}

# fields FILE FIELD...: tshark's fields of every frame, tab-separated.
fields() {
	local f=$1 a=() x
	shift
	for x; do
		a+=(-e "$x")
	done
	tshark -r "$f" -T fields "${a[@]}" 2>/dev/null
}

# no_expert FILE: tshark finds nothing malformed and no expert warning
# or error in FILE.
no_expert() {
	local out
	out=$(tshark -r "$1" -q -z expert 2>/dev/null)
	echo "$out"
	fails grep -qiE 'error|warn|malformed' <<<"$out"
	out=$(tshark -r "$1" -V 2>/dev/null)
	fails grep -qiE 'malformed|expert info' <<<"$out"
}

ctr() {
	counter "$T/err" "$1"
}

# onepcap PARTS OUT: the pcap files written one after the other to PARTS
# (mkpcap.py, one record each or more) as one file OUT: the first file
# header, then every record.
onepcap() {
	python3 - "$1" "$2" <<-'EOF'
		import sys
		d = open(sys.argv[1], "rb").read()
		out, i = d[:24], 0
		while i < len(d):
		    i += 24
		    n = int.from_bytes(d[i + 8:i + 12], "little")
		    out += d[i:i + 16 + n]
		    i += 16 + n
		open(sys.argv[2], "wb").write(out)
	EOF
}

@test "tshark decodes vnet's GENEVE: VNI, protocol, options, no expert errors" {
	need_cmd tshark python3
	$MKPCAP "$T/in.pcap" --type udp --count 8 --size 200 \
		--dst-mac 02:00:c6:13:00:02
	encap "$T/in.pcap" "$T/out.pcap" -e geneve \
		--geneve-opt 0x0102:0x05:00112233 --geneve-opt 0xff00:0x81:
	cat "$T/encap.err" | grep -v '	0$'
	[ "$(counter "$T/encap.err" encap_packets)" -eq 8 ]
	no_expert "$T/out.pcap"
	# One row per packet: outer dstport, VNI, version, protocol, the
	# options' classes and types, the C bit.
	fields "$T/out.pcap" udp.dstport geneve.vni geneve.version \
		geneve.proto_type geneve.option.class geneve.option.type \
		geneve.flags.critical geneve.flags.oam >"$T/f"
	cat "$T/f"
	[ "$(wc -l <"$T/f")" -eq 8 ]
	while IFS=$'\t' read -r port vni ver proto cls type crit oam; do
		[ "${port%%,*}" = 6081 ]
		[ "$((vni))" -eq 7 ]
		[ "$ver" = 0 ]
		[ "$((proto))" -eq $((0x6558)) ]
		[ "$cls" = "0x0102,0xff00" ]
		[ "$type" = "0x05,0x81" ]
		[[ "$crit" == True || "$crit" == 1 ]]
		[[ "$oam" == False || "$oam" == 0 ]]
	done <"$T/f"
	# The inner frames come out as they went in.
	AT=198.18.0.2 decap "$T/out.pcap" -e geneve \
		--geneve-opt 0x0102:0x05:00112233 --geneve-opt 0xff00:0x81:
	[ "$rc" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 8 ]
	[ "$(ctr geneve_options_rx)" -eq 16 ]
	[ "$(tshark -r "$T/inner.pcap" -x 2>/dev/null)" = \
	  "$(tshark -r "$T/in.pcap" -x 2>/dev/null)" ]
}

@test "a GENEVE header without options is 8 bytes, and decodes clean" {
	need_cmd tshark python3
	$MKPCAP "$T/in.pcap" --type udp --count 2 --size 100
	encap "$T/in.pcap" "$T/out.pcap" -e geneve
	no_expert "$T/out.pcap"
	# 14 + 20 + 8 + 8 + 100 bytes
	[ "$(fields "$T/out.pcap" frame.len | sort -u)" = 150 ]
	[ "$(fields "$T/out.pcap" geneve.options | sort -u)" = "" ]
}

@test "GENEVE source ports vary by inner flow and are fixed per flow" {
	need_cmd tshark python3
	# 8 flows, each sent 3 times, in turn
	$MKPCAP "$T/in.pcap" --type udp --count 24 --flows 8 --size 100
	encap "$T/in.pcap" "$T/out.pcap" -e geneve
	# the outer source port (first) and the inner one (the flow)
	fields "$T/out.pcap" udp.srcport | tr ',' '\t' >"$T/p"
	[ "$(wc -l <"$T/p")" -eq 24 ]
	# each flow: one outer port
	[ "$(sort -u "$T/p" | wc -l)" -eq 8 ]
	# the flows: more than one port, within 49152-65535
	[ "$(cut -f1 "$T/p" | sort -u | wc -l)" -gt 4 ]
	while read -r o _; do
		[ "$o" -ge 49152 ] && [ "$o" -le 65535 ]
	done <"$T/p"
}

@test "--geneve-opt is checked: malformed, too long, or without -e geneve is a usage error" {
	run vnet-encap -e geneve --vni 1 --local 198.18.0.1 --geneve-opt 1:2:abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--geneve-opt '1:2:abc': HEX has an odd number of digits"* ]]
	run vnet-encap -e geneve --vni 1 --local 198.18.0.1 --geneve-opt 1:2:0011
	[ "$status" -eq 2 ]
	[[ "$output" == *"multiple of 4 bytes"* ]]
	run vnet-encap -e geneve --vni 1 --local 198.18.0.1 --geneve-opt 0x10000:2:
	[ "$status" -eq 2 ]
	[[ "$output" == *"CLASS"* ]]
	local big=1:1:$(printf '%0240d' 0) args=()
	args=(--geneve-opt "$big" --geneve-opt "$big" --geneve-opt 1:2:)
	run vnet-encap -e geneve --vni 1 --local 198.18.0.1 "${args[@]}" \
		--geneve-opt 1:3:
	[ "$status" -eq 2 ]
	[[ "$output" == *"exceed the 252 bytes"* ]]
	run vnet-encap --vni 1 --local 198.18.0.1 --geneve-opt 1:2:
	[ "$status" -eq 2 ]
	[[ "$output" == *"--geneve-opt needs --encap geneve"* ]]
	run vnet-encap -e nvgre0 --vni 1 --local 198.18.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--encap: 'nvgre0' is not vxlan, geneve or nvgre"* ]]
}

@test "GENEVE options count against the MTU: the tap gets what is left" {
	need_root
	setup_hosts
	# 8 + 252 bytes of options: 1500 - (20 + 8 + 260) - 14
	local big=1:1:$(printf '%0240d' 0)
	bg vnetA ip netns exec "$A" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--geneve-opt "$big" --geneve-opt "$big" --geneve-opt 1:2:
	wait_link "$A" vx0
	run ip -n "$A" link show vx0
	[[ "$output" == *"mtu 1198"* ]]
}

# A GENEVE overlay of two vnet VTEPs with an option on both ends.
geneve_vteps() {
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--geneve-opt 0xff00:0x81:0a0b0c0d --control "$T/a.sock" "$@"
	bg vnetB ip netns exec "$B" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.2 --remote 198.18.0.1 --vni 100 \
		--geneve-opt 0xff00:0x81:0a0b0c0d --control "$T/b.sock"
	overlay_up
}

@test "a GENEVE overlay of two vnet VTEPs carries ping and a 20 MB TCP transfer intact" {
	need_root
	need_cmd socat ping jq tshark tcpdump
	geneve_vteps --stats
	# what crosses the veth is GENEVE with the option
	ip netns exec "$A" timeout 60 tcpdump -i u0 -w "$T/u0.pcap" -c 20 \
		udp port 6081 2>/dev/null &
	local tpid=$!
	run ip -n "$A" link show vx0
	[[ "$output" == *"mtu 1442"* ]]
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	want=$(make_blob "$T/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	wait "$tpid" || :
	[ "$(fields "$T/u0.pcap" geneve.vni | sort -u)" = 0x000064 ] ||
		[ "$(fields "$T/u0.pcap" geneve.vni | sort -u)" = 100 ]
	[ "$(fields "$T/u0.pcap" geneve.option.class | sort -u)" = 0xff00 ]
	# B saw A's option: counted, and in its table
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/out"
	[ "$(counter "$T/out" geneve_options_rx)" -gt 1000 ]
	[ "$(counter "$T/out" drop_geneve_critical)" -eq 0 ]
	timeout 10 vnet-ctl "$T/b.sock" geneve-options >"$T/out"
	cat "$T/out"
	grep -qE $'^0xff00\t0x81\t4\t[0-9]+\t100$' "$T/out"
	timeout 10 vnet-ctl "$T/b.sock" geneve-options --json >"$T/out"
	jq -e '.geneve_options | length == 1 and .[0].class == "0xff00" and
		.[0].type == "0x81" and .[0].length == 4 and .[0].count > 1000 and
		.[0].last_vni == 100' "$T/out"
	timeout 10 vnet-ctl "$T/a.sock" describe >"$T/out"
	grep -qx 'encap	geneve' "$T/out"
}

@test "a VTEP that does not know a critical GENEVE option drops it and counts it" {
	need_root
	need_cmd ping
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--geneve-opt 0xff00:0x81:
	bg vnetB ip netns exec "$B" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.2 --remote 198.18.0.1 --vni 100 --stats \
		--control "$T/b.sock"
	wait_link "$A" vx0
	wait_link "$B" vx0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
	# A's ARP requests (broadcast) reach B in GENEVE with the option
	run ip netns exec "$A" ping -c 2 -i 0.2 -W 1 198.19.0.2
	[ "$status" -ne 0 ]
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/out"
	[ "$(counter "$T/out" drop_geneve_critical)" -ge 1 ]
	[ "$(counter "$T/out" decap_frames)" -eq 0 ]
}

@test "bad GENEVE headers are dropped and counted by reason; the good one after them goes through" {
	need_cmd python3
	local o="--size 64 --dst-mac 02:00:c6:13:00:02 --geneve 7"
	{
		# version 1
		$MKPCAP - $o --geneve-ver 1
		# Opt Len past the packet
		$MKPCAP - $o --geneve-optlen 63
		# Opt Len that ends inside an option
		$MKPCAP - $o --geneve-opts ff000102aabbccdd --geneve-optlen 1
		# an option whose length runs past Opt Len
		$MKPCAP - $o --geneve-opts ff000103aabbccdd
		# a critical option nobody understands
		$MKPCAP - $o --geneve-opts ff008100 --geneve-flags 0x40
		# ... even with C clear
		$MKPCAP - $o --geneve-opts ff008100
		# the O bit: a control packet
		$MKPCAP - $o --geneve-flags 0x80
		# not an Ethernet payload
		$MKPCAP - $o --geneve-proto 0x0800
		# reserved bits: ignored unless --strict
		$MKPCAP - $o --geneve-flags 0x01
		# a good one with a non-critical option
		$MKPCAP - $o --geneve-opts 01020501deadbeef
	} >"$T/parts"
	# one pcap of the ten packets
	onepcap "$T/parts" "$T/bad.pcap"
	decap "$T/bad.pcap" -e geneve
	[ "$rc" -eq 0 ]
	[ "$(ctr drop_geneve_version)" -eq 1 ]
	[ "$(ctr drop_geneve_optlen)" -eq 3 ]
	[ "$(ctr drop_geneve_critical)" -eq 2 ]
	[ "$(ctr drop_geneve_oam)" -eq 1 ]
	[ "$(ctr drop_geneve_proto)" -eq 1 ]
	[ "$(ctr drop_reserved)" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 2 ]
	[ "$(ctr geneve_options_rx)" -eq 1 ]
	decap "$T/bad.pcap" -e geneve --strict
	[ "$rc" -eq 0 ]
	[ "$(ctr drop_reserved)" -eq 1 ]
	[ "$(ctr decap_frames)" -eq 1 ]
	# VXLAN on the GENEVE port is not GENEVE: version 0, Opt Len 8 words
	# past a 64-byte frame
	$MKPCAP "$T/vx.pcap" --size 64 --vxlan 7 --dstport 6081
	decap "$T/vx.pcap" -e geneve
	[ "$rc" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 0 ]
}

# ---- NVGRE ----
# tshark 4.0 has no NVGRE fields: the VSID and FlowID are read from
# gre.key (VSID << 8 | FlowID).

@test "tshark decodes vnet's NVGRE: protocol 47, K set, 0x6558, the VSID in the key; the inner frames come back intact" {
	need_cmd tshark python3
	$MKPCAP "$T/in.pcap" --type udp --count 8 --size 200 \
		--dst-mac 02:00:c6:13:00:02
	timeout 10 vnet-encap -i "pcap:$T/in.pcap" --vni 5000 \
		--local 198.18.0.1 -r 198.18.0.2 -o - --stats -e nvgre \
		</dev/null >"$T/out.pcap" 2>"$T/encap.err"
	[ "$(counter "$T/encap.err" encap_packets)" -eq 8 ]
	no_expert "$T/out.pcap"
	fields "$T/out.pcap" ip.proto gre.flags_and_version gre.proto gre.key \
		frame.len >"$T/f"
	cat "$T/f"
	[ "$(wc -l <"$T/f")" -eq 8 ]
	while IFS=$'\t' read -r proto flags gproto key len; do
		[ "${proto%%,*}" = 47 ]
		[ "$((flags))" -eq $((0x2000)) ]
		[ "$((gproto))" -eq $((0x6558)) ]
		[ "$((key >> 8))" -eq 5000 ]
		# 14 + 20 + 8 + 200
		[ "$len" -eq 242 ]
	done <"$T/f"
	VNI=5000 AT=198.18.0.2 decap "$T/out.pcap" -e nvgre
	[ "$rc" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 8 ]
	[ "$(tshark -r "$T/inner.pcap" -x 2>/dev/null)" = \
	  "$(tshark -r "$T/in.pcap" -x 2>/dev/null)" ]
}

@test "NVGRE FlowIDs vary by inner flow and are fixed per flow; the VSID matches whatever the FlowID" {
	need_cmd tshark python3
	$MKPCAP "$T/in.pcap" --type udp --count 24 --flows 8 --size 100
	timeout 10 vnet-encap -i "pcap:$T/in.pcap" --vni 5000 \
		--local 198.18.0.1 -r 198.18.0.2 -o - -e nvgre \
		</dev/null >"$T/out.pcap"
	# FlowID and the inner UDP source port (the flow)
	fields "$T/out.pcap" gre.key udp.srcport >"$T/k"
	[ "$(wc -l <"$T/k")" -eq 24 ]
	while IFS=$'\t' read -r key port; do
		echo "$((key & 0xff)) $port"
	done <"$T/k" | sort -u >"$T/p"
	cat "$T/p"
	# each flow: one FlowID
	[ "$(wc -l <"$T/p")" -eq 8 ]
	# the flows: more than one FlowID
	[ "$(cut -d' ' -f1 "$T/p" | sort -u | wc -l)" -gt 4 ]
	# every FlowID is taken by the same VSID
	VNI=5000 AT=198.18.0.2 decap "$T/out.pcap" -e nvgre
	[ "$(ctr decap_frames)" -eq 24 ]
}

@test "reserved NVGRE VSIDs are refused at configuration with exit 2" {
	local vsid
	for vsid in 0 100 4095 16777215; do
		run vnet-encap -e nvgre --vni "$vsid" --local 198.18.0.1
		[ "$status" -eq 2 ]
		[[ "$output" == *"--vni $vsid: VSID $vsid is reserved in NVGRE (0-4095 and 16777215"* ]]
	done
	run vnet-encap -e nvgre --vni 5000 --map 10:4000 --local 198.18.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--map 10:4000: VSID 4000 is reserved in NVGRE"* ]]
	run vnet-encap -e nvgre --vni 5000 --dstport 4789 --local 198.18.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dstport: NVGRE is GRE (IP protocol 47): it has no ports"* ]]
	# VXLAN and GENEVE take any VNI
	run timeout 5 vnet-encap --vni 0 --local 198.18.0.1 -i pcap:/dev/null \
		-o pcap:/dev/null
	[[ "$output" != *reserved* ]]
}

@test "bad NVGRE headers are dropped and counted by reason; the good one after them goes through" {
	need_cmd python3
	local o="--size 64 --dst-mac 02:00:c6:13:00:02 --nvgre 5000"
	{
		# a reserved VSID, both ends of the range
		$MKPCAP - $o --nvgre 4095
		$MKPCAP - $o --nvgre 16777215
		# not an Ethernet payload
		$MKPCAP - $o --gre-proto 0x0800
		# C, R, S set; K clear
		$MKPCAP - $o --gre-flags 0xa000
		$MKPCAP - $o --gre-flags 0x6000
		$MKPCAP - $o --gre-flags 0x3000
		$MKPCAP - $o --gre-flags 0x0000
		# version 1
		$MKPCAP - $o --gre-flags 0x2001
		# UDP, not GRE
		$MKPCAP - --size 64 --vxlan 5000
		# reserved flag bits: ignored unless --strict
		$MKPCAP - $o --gre-flags 0x2008
		# a good one, another FlowID
		$MKPCAP - $o --nvgre-flowid 90
	} >"$T/parts"
	onepcap "$T/parts" "$T/bad.pcap"
	VNI=5000 decap "$T/bad.pcap" -e nvgre
	[ "$rc" -eq 0 ]
	[ "$(ctr drop_nvgre_vsid)" -eq 2 ]
	[ "$(ctr drop_gre_proto)" -eq 1 ]
	[ "$(ctr drop_gre_flags)" -eq 4 ]
	[ "$(ctr drop_gre_version)" -eq 1 ]
	[ "$(ctr drop_not_gre)" -eq 1 ]
	[ "$(ctr drop_reserved)" -eq 0 ]
	[ "$(ctr decap_frames)" -eq 2 ]
	VNI=5000 decap "$T/bad.pcap" -e nvgre --strict
	[ "$(ctr drop_reserved)" -eq 1 ]
	[ "$(ctr decap_frames)" -eq 1 ]
}

@test "an NVGRE overlay of two vnet VTEPs carries ping and a 20 MB TCP transfer intact" {
	need_root
	need_cmd socat ping tshark tcpdump
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -e nvgre -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 5000 --stats
	bg vnetB ip netns exec "$B" vnet-encap -e nvgre -i tap:vx0 \
		-o udp:198.18.0.2 --remote 198.18.0.1 --vni 5000 --stats \
		--control "$T/b.sock"
	wait_link "$A" vx0
	wait_link "$B" vx0
	run ip -n "$A" link show vx0
	# 1500 - 20 - 8 - 14
	[[ "$output" == *"mtu 1458"* ]]
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
	ip netns exec "$A" timeout 60 tcpdump -i u0 -w "$T/u0.pcap" -c 20 \
		ip proto 47 2>/dev/null &
	local tpid=$!
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	want=$(make_blob "$T/blob" 20)
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	wait "$tpid" || :
	fields "$T/u0.pcap" gre.key >"$T/k"
	[ "$(wc -l <"$T/k")" -eq 20 ]
	while read -r key; do
		[ "$((key >> 8))" -eq 5000 ]
	done <"$T/k"
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/out"
	[ "$(counter "$T/out" decap_frames)" -gt 10000 ]
	[ "$(counter "$T/out" drop_not_gre)" -eq 0 ]
	timeout 10 vnet-ctl "$T/b.sock" describe >"$T/out"
	grep -qx 'encap	nvgre' "$T/out"
}
