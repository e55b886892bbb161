#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# vnet-encap over an IPv6 underlay: vnet to vnet, kernel VXLAN interop,
# checksums and flow labels on the wire, a frame-stream IPv6 underlay.
#
#   host A: vnet-encap on tap vx0          host B: vnet-encap or kernel vxlan
#   vx0 198.19.0.1/24                      vx0 198.19.0.2/24
#   u0 2001:db8::1 ------------ veth ------------ u0 2001:db8::2

load lib

setup() {
	need_root
	need_cmd socat ping ethtool tshark tcpdump
	setup_hosts6
}

teardown() {
	vnet_teardown
}

# setup_hosts6: hosts A and B joined by veth u0 with IPv6 underlay
# addresses (no DAD), IPv6 off everywhere else (no chatter on the taps).
setup_hosts6() {
	setup_hosts
	local h
	for h in "$A" "$B"; do
		ip netns exec "$h" sysctl -qw net.ipv6.conf.u0.disable_ipv6=0
		ip netns exec "$h" sysctl -qw net.ipv6.conf.u0.accept_ra=0
	done
	ip -n "$A" -6 addr add 2001:db8::1/64 dev u0 nodad
	ip -n "$B" -6 addr add 2001:db8::2/64 dev u0 nodad
}

# overlay NS ADDR: the tap vx0 of NS up with ADDR, no IPv6 on it.
overlay() {
	wait_link "$1" vx0
	ip netns exec "$1" sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1
	ip -n "$1" addr add "$2"/24 dev vx0
	ip -n "$1" link set vx0 up
}

vnet_vtep() { # NAME NS LOCAL REMOTE ARGS...
	local name=$1 ns=$2 l=$3 r=$4
	shift 4
	bg "$name" ip netns exec "$ns" vnet-encap -i tap:vx0 \
		-o "udp:[$l]" --remote "$r" --vni 100 "$@"
}

kernel_vtep() {
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 2001:db8::2 remote 2001:db8::1 dev u0
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	# Nothing on veth completes an offloaded inner checksum (as in
	# 20-kernel-vxlan.bats).
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
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

@test "two vnet VTEPs carry ping and a 20 MB TCP transfer over an IPv6 underlay (GSO on)" {
	vnet_vtep vnetA "$A" 2001:db8::1 2001:db8::2
	vnet_vtep vnetB "$B" 2001:db8::2 2001:db8::1
	overlay "$A" 198.19.0.1
	overlay "$B" 198.19.0.2
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" decap_frames)" -gt 0 ]
	[ "$(counter "$(log_of vnetA)" drop_send_error)" -eq 0 ]
}

@test "two vnet VTEPs carry a 20 MB TCP transfer over IPv6 with --no-offload" {
	vnet_vtep vnetA "$A" 2001:db8::1 2001:db8::2 --no-offload
	vnet_vtep vnetB "$B" 2001:db8::2 2001:db8::1 --no-offload
	overlay "$A" 198.19.0.1
	overlay "$B" 198.19.0.2
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" encap_gso_sends)" -eq 0 ]
}

@test "interoperates with kernel VXLAN over IPv6 both ways" {
	kernel_vtep
	vnet_vtep vnetA "$A" 2001:db8::1 2001:db8::2
	overlay "$A" 198.19.0.1
	both_ways
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" drop_unknown_vni)" -eq 0 ]
}

@test "sends valid UDP checksums and one flow label per inner flow over IPv6" {
	kernel_vtep
	vnet_vtep vnetA "$A" 2001:db8::1 2001:db8::2
	overlay "$A" 198.19.0.1
	run ip netns exec "$A" ping -c 1 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	ip netns exec "$B" timeout 20 tcpdump -i u0 -nn -c 40 \
		-w "$BATS_TEST_TMPDIR/u0.pcap" src host 2001:db8::1 and udp port 4789 2>/dev/null &
	cap=$!
	sleep 0.5
	# 20 inner flows of 2 datagrams each.
	for p in $(seq 7000 7019) $(seq 7000 7019); do
		echo x | ip netns exec "$A" socat -u - \
			UDP:198.19.0.2:$p,sourceport=$p
	done
	wait "$cap"
	# Every outer checksum verifies; no bad-checksum expert info.
	bad=$(tshark -r "$BATS_TEST_TMPDIR/u0.pcap" -o udp.check_checksum:TRUE \
		-Y 'udp.checksum.status == "Bad" || _ws.expert.message contains "hecksum"' \
		2>/dev/null)
	[ -z "$bad" ]
	n=$(tshark -r "$BATS_TEST_TMPDIR/u0.pcap" -o udp.check_checksum:TRUE \
		-Y 'udp.checksum.status == "Good"' 2>/dev/null | wc -l)
	[ "$n" -ge 40 ]
	# Per inner flow (inner UDP destination port) one label, not 0;
	# across flows several.
	tshark -r "$BATS_TEST_TMPDIR/u0.pcap" -Y 'udp.dstport >= 7000' \
		-T fields -e ipv6.flow -e udp.dstport 2>/dev/null |
		awk '{ split($2, p, ","); print $1, p[2] }' | sort -u \
		>"$BATS_TEST_TMPDIR/labels"
	flows=$(awk '{ print $2 }' "$BATS_TEST_TMPDIR/labels" | sort -u | wc -l)
	pairs=$(wc -l <"$BATS_TEST_TMPDIR/labels")
	labels=$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/labels" | sort -u | wc -l)
	[ "$flows" -ge 15 ]
	[ "$pairs" -eq "$flows" ]
	[ "$labels" -ge 5 ]
	fails grep -q '^0x00000 ' "$BATS_TEST_TMPDIR/labels"
}

@test "a frame-stream IPv6 underlay writes Ethernet/IPv6/UDP/VXLAN that tshark decodes" {
	need_cmd python3
	T=$BATS_TEST_TMPDIR
	# Ten inner UDP flows (source ports 40000+i), each frame twice.
	python3 "$BATS_TEST_DIRNAME/mkpcap.py" "$T/a.pcap" --type udp --count 10 --size 80
	python3 - "$T/a.pcap" "$T/in.pcap" <<-'PY'
		import sys
		b = open(sys.argv[1], "rb").read()
		open(sys.argv[2], "wb").write(b + b[24:])
	PY
	vnet-encap --local 2001:db8::1 --remote 2001:db8::2 --vni 4242 \
		--stats <"$T/in.pcap" >"$T/out.pcap" 2>"$T/err" 3>&- 4>&-
	[ "$(counter "$T/err" encap_packets)" -eq 20 ]
	output=$(tshark -r "$T/out.pcap" -o udp.check_checksum:TRUE \
		-T fields -e ipv6.src -e ipv6.dst -e vxlan.vni -e udp.checksum.status \
		-e ipv6.flow -e udp.srcport 2>/dev/null)
	[ "$(echo "$output" | wc -l)" -eq 20 ]
	echo "$output" | awk -F'\t' '$1 != "2001:db8::1" || $2 != "2001:db8::2" ||
		$3 != 4242 || $4 !~ /^1(,|$)/ || $5 == "0x00000" { bad++ }
		END { exit bad > 0 }'
	# One label per inner flow (inner source port), ten different ones.
	[ "$(echo "$output" | awk -F'\t' '{ split($6, p, ","); print $5, p[2] }' |
		sort -u | wc -l)" -eq 10 ]
	[ "$(echo "$output" | cut -f5 | sort -u | wc -l)" -eq 10 ]
}

# A frame-stream IPv6 underlay to the kernel: in host A a chain
#   vnet-tap = vnet-encap --local 2001:db8:9::1 -o - = vnet-tap tap:ul1
# whose outer tap ul1 is moved into host B, where the kernel has
# 2001:db8:9::2 on it and a VXLAN device over it.  The kernel resolves
# 2001:db8:9::1 by neighbour discovery, which vnet-encap answers.
@test "a frame-stream IPv6 underlay answers neighbour solicitations and interoperates with kernel VXLAN" {
	ip netns exec "$B" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	ip netns exec "$B" sysctl -qw net.ipv6.conf.default.accept_ra=0
	ip netns exec "$B" sysctl -qw net.ipv6.conf.default.accept_dad=0
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vx0,mtu=1430 = \
		vnet-encap --vni 100 --local 2001:db8:9::1 \
		--remote 2001:db8:9::2 -o - = vnet-tap tap:ul1
	wait_link "$A" ul1
	ip -n "$A" link set ul1 netns "$B"
	ip -n "$B" -6 addr add 2001:db8:9::2/64 dev ul1 nodad
	ip -n "$B" link set ul1 up
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 2001:db8:9::2 remote 2001:db8:9::1 dev ul1
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
	overlay "$A" 198.19.0.1
	both_ways
	# The kernel learned vnet-encap's MAC from the advertisement.
	ip -n "$B" -6 neigh show 2001:db8:9::1 dev ul1 | grep -q 'lladdr 02:00:00:00:00:01'
	usr1 vnetA
	[ "$(counter "$(log_of vnetA)" ndp_replies)" -ge 1 ]
	[ "$(counter "$(log_of vnetA)" drop_udp_bad)" -eq 0 ]
}

@test "zero UDP checksums over IPv6 only with --udp6-zero-csum; both ways with a kernel VXLAN that sends and accepts them" {
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 2001:db8::2 remote 2001:db8::1 dev u0 udp6zerocsumtx
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
	vnet_vtep vnetA "$A" 2001:db8::1 2001:db8::2
	overlay "$A" 198.19.0.1
	# The kernel sends zero checksums; this VTEP does not take them.
	fails ip netns exec "$B" ping -c 2 -i 0.2 -W 1 198.19.0.1
	stop vnetA
	ip -n "$B" link del vx0
	ip -n "$B" link add vx0 type vxlan id 100 dstport 4789 \
		local 2001:db8::2 remote 2001:db8::1 dev u0 \
		udp6zerocsumtx udp6zerocsumrx
	ip -n "$B" addr add 198.19.0.2/24 dev vx0
	ip -n "$B" link set vx0 up
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
	vnet_vtep vnetA2 "$A" 2001:db8::1 2001:db8::2 --udp6-zero-csum both
	overlay "$A" 198.19.0.1
	both_ways
	# What vnet sends has a zero checksum.
	ip netns exec "$B" timeout 10 tcpdump -i u0 -nn -c 2 \
		-w "$BATS_TEST_TMPDIR/z.pcap" src host 2001:db8::1 and udp port 4789 2>/dev/null &
	cap=$!
	sleep 0.5
	ip netns exec "$A" ping -c 2 -i 0.2 -W 2 198.19.0.2 >/dev/null
	wait "$cap"
	sums=$(tshark -r "$BATS_TEST_TMPDIR/z.pcap" -T fields -e udp.checksum 2>/dev/null |
		cut -d, -f1 | sort -u)
	[ "$sums" = 0x0000 ]
}

@test "a frame stream counts zero IPv6 checksums (drop_udp_zero_csum) and outer frames of the other family (drop_family)" {
	need_cmd python3
	T=$BATS_TEST_TMPDIR
	python3 "$BATS_TEST_DIRNAME/mkpcap.py" "$T/a.pcap" --type udp --count 5 --size 80
	vnet-encap --local 2001:db8::1 --remote 2001:db8::2 --vni 4242 \
		--udp6-zero-csum tx <"$T/a.pcap" >"$T/z.pcap" 3>&- 4>&-
	vnet-encap --dir ingress --local 2001:db8::2 --vni 4242 --stats \
		<"$T/z.pcap" >"$T/in1.pcap" 2>"$T/err1" 3>&- 4>&-
	[ "$(counter "$T/err1" drop_udp_zero_csum)" -eq 5 ]
	[ "$(counter "$T/err1" decap_frames)" -eq 0 ]
	vnet-encap --dir ingress --local 2001:db8::2 --vni 4242 --stats \
		--udp6-zero-csum rx <"$T/z.pcap" >"$T/in2.pcap" 2>"$T/err2" 3>&- 4>&-
	[ "$(counter "$T/err2" drop_udp_zero_csum)" -eq 0 ]
	[ "$(counter "$T/err2" decap_frames)" -eq 5 ]
	cmp <(tail -c +25 "$T/a.pcap" | wc -c) <(tail -c +25 "$T/in2.pcap" | wc -c)
	# IPv4 outer frames at an IPv6 VTEP.
	python3 "$BATS_TEST_DIRNAME/mkpcap.py" "$T/v4.pcap" --type udp --count 3 \
		--size 80 --vxlan 4242
	vnet-encap --dir ingress --local 2001:db8::2 --vni 4242 --stats \
		<"$T/v4.pcap" >"$T/in3.pcap" 2>"$T/err3" 3>&- 4>&-
	[ "$(counter "$T/err3" drop_family)" -eq 3 ]
}

@test "IPv6 options that cannot work are refused with exit 2, naming the problem" {
	mkns ns n
	try() { ip netns exec "$ns" vnet-encap "$@" </dev/null 2>"$BATS_TEST_TMPDIR/err"; }
	run try --vni 1 -o 'udp:[::]' --remote 2001:db8::2
	[ "$status" -eq 2 ]
	grep -q 'needs --local' "$BATS_TEST_TMPDIR/err"
	run try --vni 1 -o 'udp:[2001:db8::1]' --remote 198.18.0.2
	[ "$status" -eq 2 ]
	grep -q -- '--remote 198.18.0.2: not of the underlay' "$BATS_TEST_TMPDIR/err"
	run try --vni 1 -o 'udp:[2001:db8::1]' --local 198.18.0.1
	[ "$status" -eq 2 ]
	grep -q -- '--local 198.18.0.1 and --outer .udp:\[2001:db8::1\]. are of two address families' "$BATS_TEST_TMPDIR/err"
	run try --vni 1 --local 198.18.0.1 --udp6-zero-csum tx
	[ "$status" -eq 2 ]
	grep -q 'the underlay is IPv4' "$BATS_TEST_TMPDIR/err"
	run try --vni 1 --local 2001:db8::1 --udp6-zero-csum bogus
	[ "$status" -eq 2 ]
	grep -q "'bogus' is not tx, rx or both" "$BATS_TEST_TMPDIR/err"
}

@test "GENEVE and NVGRE over an IPv6 underlay: ping and 20 MB both ways, tshark decodes them on the wire" {
	local kind vsid
	for kind in geneve nvgre; do
		vsid=$([ $kind = nvgre ] && echo 5000 || echo 100)
		bg "vnetA$kind" ip netns exec "$A" vnet-encap -i tap:vx0 -e $kind \
			-o "udp:[2001:db8::1]" --remote 2001:db8::2 --vni $vsid
		bg "vnetB$kind" ip netns exec "$B" vnet-encap -i tap:vx0 -e $kind \
			-o "udp:[2001:db8::2]" --remote 2001:db8::1 --vni $vsid
		overlay "$A" 198.19.0.1
		overlay "$B" 198.19.0.2
		ip netns exec "$B" timeout 20 tcpdump -U -i u0 -w "$BATS_TEST_TMPDIR/$kind.pcap" \
			-c 20 ip6 2>/dev/null &
		local tpid=$!
		sleep 1
		both_ways
		wait "$tpid" || :
		if [ $kind = geneve ]; then
			f=$(tshark -n -r "$BATS_TEST_TMPDIR/$kind.pcap" -Y geneve -T fields -e geneve.vni -e udp.checksum.status -o udp.check_checksum:TRUE 2>/dev/null | sort -u)
			# VNI 100, and every outer UDP checksum Good.
			[ "$f" = "$(printf '0x000064\t1')" ]
		else
			# The key's top 24 bits: VSID 5000 (the FlowID masked).
			f=$(tshark -n -r "$BATS_TEST_TMPDIR/$kind.pcap" -Y gre -T fields -e gre.key 2>/dev/null |
				while read -r k; do echo $((k >> 8)); done | sort -u)
			[ "$f" = 5000 ]
		fi
		[ -z "$(tshark -n -r "$BATS_TEST_TMPDIR/$kind.pcap" -q -z expert,warn 2>/dev/null | grep -i malformed)" ]
		stop "vnetA$kind" || :
		stop "vnetB$kind" || :
		ip -n "$A" link del vx0 2>/dev/null || :
		ip -n "$B" link del vx0 2>/dev/null || :
	done
}
