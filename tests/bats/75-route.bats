#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# vnet-route: the distributed anycast gateway on a live overlay of two
# namespaced hosts, two tenants with two segments each.
#
#   tenant red:  segment 10 198.19.1.0/24 2001:db8:1::/64
#                segment 20 198.19.2.0/24 2001:db8:2::/64 (IP MTU 1400)
#   tenant blue: segment 30 198.19.3.0/24 2001:db8:3::/64
#                segment 40 198.19.4.0/24
#
#   host A, u0                                host B, u0
#     r1  seg 10 198.19.1.10  VTEP .11          r3  seg 20 198.19.2.20  VTEP .21
#     r2  seg 20 198.19.2.10  VTEP .12          r4  seg 10 198.19.1.20  VTEP .22
#     b1  seg 30 198.19.3.10  VTEP .13          b2  seg 40 198.19.4.20  VTEP .23
#          \______________ veth u0 (198.18.0.0/24) ______________/
#
# Every workload has its own chain, its tap inside its namespace, an
# untagged port of its segment (--segment):
#   ip netns exec HOST vnet-pipe ip netns exec W vnet-tap tap:eth0,mtu=1450 =
#       vnet-route -f node.conf --segment VID =
#       vnet-encap --map 10:1010 ... --local VTEP -o udp:VTEP -r OTHERS
# Every vnet-route reads the same node.conf and answers for the same
# gateway addresses and MAC (anycast); frames between the workloads of a
# segment are switched by the VTEPs (vnet(7) Local switching), routed
# ones leave with the VID of their destination segment, which the VTEP
# maps to its VNI.
#
# For the DHCP tests: $DHCP10 is added to the segment 10 line, the
# workloads named in $DHCP_WL get no static address (their client asks),
# $ROUTE_ARGS goes to every vnet-route, and $MAC_<name> is the MAC of
# that workload's tap.

load lib

setup() {
	T=$BATS_TEST_TMPDIR
	need_root
	need_cmd ping socat traceroute sha256sum
}

teardown() {
	vnet_teardown
}

WORKLOADS="r1 A 10 198.19.1.10 198.19.1.1 198.18.0.11
r2 A 20 198.19.2.10 198.19.2.1 198.18.0.12
b1 A 30 198.19.3.10 198.19.3.1 198.18.0.13
r3 B 20 198.19.2.20 198.19.2.1 198.18.0.21
r4 B 10 198.19.1.20 198.19.1.1 198.18.0.22
b2 B 40 198.19.4.20 198.19.4.1 198.18.0.23"

# node.conf, with the lines of $1 added.
write_conf() {
	cat >"$T/node.conf" <<-EOC
	# two tenants, two segments each
	gateway-mac 02:00:5e:00:01:01
	tenant red
	tenant blue
	segment 10 tenant red prefix 198.19.1.0/24 gw 198.19.1.1 prefix6 2001:db8:1::/64 gw6 2001:db8:1::1 mtu 1450 ${DHCP10:-}
	segment 20 tenant red prefix 198.19.2.0/24 gw 198.19.2.1 prefix6 2001:db8:2::/64 gw6 2001:db8:2::1 mtu 1400
	segment 30 tenant blue prefix 198.19.3.0/24 gw 198.19.3.1 prefix6 2001:db8:3::/64 gw6 2001:db8:3::1 mtu 1450
	segment 40 tenant blue prefix 198.19.4.0/24 gw 198.19.4.1 mtu 1450
	$1
	EOC
}

# The overlay above; $1: extra configuration lines.
overlay() {
	local n h vid a gw vt o rem all mac
	write_conf "$1"
	vnet-route --check -f "$T/node.conf"
	setup_hosts
	all=$(awk '{ print $6 }' <<<"$WORKLOADS")
	while read -r n h vid a gw vt; do
		ip -n "${!h}" addr add "$vt/24" dev u0
	done <<<"$WORKLOADS"
	while read -r n h vid a gw vt; do
		mkns "W_$n" "$n"
		local w="W_$n"
		w=${!w}
		ip netns exec "$w" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
		ip netns exec "$w" sysctl -qw net.ipv6.conf.default.accept_ra=2
		rem=
		for o in $all; do
			[ "$o" = "$vt" ] || rem="$rem -r $o"
		done
		mac="MAC_$n"
		mac=${!mac:+,mac=${!mac}}
		# shellcheck disable=SC2086
		bg "vnet-pipe-$n" ip netns exec "${!h}" vnet-pipe \
			ip netns exec "$w" vnet-tap "tap:eth0,mtu=1450$mac" = \
			vnet-route -f "$T/node.conf" --segment "$vid" --stats \
			--control "$T/$n.sock" ${ROUTE_ARGS:-} = \
			vnet-encap --map 10:1010 --map 20:1020 --map 30:1030 \
			--map 40:1040 --local "$vt" -o "udp:$vt" $rem \
			--control none
		wait_link "$w" eth0
		ip netns exec "$w" sysctl -qw net.ipv6.conf.eth0.accept_ra=2
		if [[ " ${DHCP_WL:-} " == *" $n "* ]]; then
			ip -n "$w" link set eth0 up
			continue
		fi
		ip -n "$w" addr add "$a/24" dev eth0
		ip -n "$w" link set eth0 up
		ip -n "$w" route add default via "$gw"
	done <<<"$WORKLOADS"
}

ns() {
	local w="W_$1"
	echo "${!w}"
}

# The counter NAME of the vnet-route of workload W.
rcounter() {
	vnet-ctl "$T/$1.sock" counters >"$T/c.$1"
	counter "$T/c.$1" "$2"
}

@test "vnet-route routes IPv4 between the segments of a tenant, on one host and across hosts, one TTL less" {
	overlay
	# The gateway answers ping.
	ip netns exec "$(ns r1)" ping -c 2 -W 2 198.19.1.1
	# Same host, segment 10 to 20.
	run ip netns exec "$(ns r1)" ping -c 3 -W 2 198.19.2.10
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'ttl=63' <<<"$output"
	# Across hosts.
	run ip netns exec "$(ns r1)" ping -c 3 -W 2 198.19.2.20
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'ttl=63' <<<"$output"
	# The other tenant routes too, segment 30 to 40.
	ip netns exec "$(ns b1)" ping -c 2 -W 2 198.19.4.20
	# And the segment's own neighbour (switched, not routed): ttl 64.
	run ip netns exec "$(ns r1)" ping -c 2 -W 2 198.19.1.20
	[ "$status" -eq 0 ]
	grep -q 'ttl=64' <<<"$output"
	[ "$(rcounter r1 routed4)" -ge 6 ]
	[ "$(rcounter r1 arp_replies)" -ge 1 ]
}

@test "vnet-route carries a TCP transfer between segments intact (sha256)" {
	overlay
	local want got
	want=$(make_blob "$T/blob" 4)
	got=$(tcp_transfer "$(ns r1)" "$(ns r3)" 198.19.2.20 "$T/blob")
	[ "$got" = "$want" ]
	# Segment 20's MTU is 1400, r1's link 1450: path MTU discovery by
	# the router's fragmentation-needed made TCP fit.
	[ "$(rcounter r1 icmp_too_big)" -ge 1 ]
}

@test "vnet-route refuses traffic between tenants with ICMP net unreachable from the gateway" {
	overlay
	run ip netns exec "$(ns r1)" ping -c 2 -W 2 198.19.3.10
	echo "$output"
	[ "$status" -ne 0 ]
	grep -q 'From 198.19.1.1 .*Destination Net Unreachable' <<<"$output"
	run ip netns exec "$(ns b1)" ping -c 1 -W 2 198.19.2.20
	[ "$status" -ne 0 ]
	fails ip netns exec "$(ns b2)" ping -c 1 -W 2 198.19.1.20
	[ "$(rcounter r1 icmp_unreachable)" -ge 2 ]
	[ "$(rcounter r1 routed4)" -eq 0 ]
}

@test "a packet over the destination segment's MTU with DF gets fragmentation needed with that MTU" {
	overlay
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.2.10
	run ip netns exec "$(ns r1)" ping -M do -c 1 -W 2 -s 1422 198.19.2.10
	echo "$output"
	[ "$status" -ne 0 ]
	grep -Eq 'From 198.19.1.1 .*Frag needed and DF set \(mtu = 1400\)|mtu = 1400|message too long, mtu=1400' <<<"$output"
	[ "$(rcounter r1 icmp_too_big)" -eq 1 ]
	# What fits goes through.
	ip netns exec "$(ns r1)" ping -M do -c 1 -W 2 -s 1372 198.19.2.10
}

@test "traceroute shows the virtual hop: the gateway of the source segment, then the destination" {
	overlay
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.2.20
	run ip netns exec "$(ns r1)" traceroute -n -q 1 -w 2 -m 5 198.19.2.20
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq '^ *1 +198\.19\.1\.1 ' <<<"$output"
	grep -Eq '^ *2 +198\.19\.2\.20 ' <<<"$output"
	[ "$(rcounter r1 icmp_time_exceeded)" -ge 1 ]
}

@test "workloads get IPv6 addresses by SLAAC from the router advertisements and ping6 across segments" {
	overlay
	local a3
	# The kernel of each namespace configures an address from the prefix
	# (waited for past its duplicate address detection: -tentative).
	wait_for 100 bash -c "ip -n '$(ns r1)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:1:0:'"
	wait_for 100 bash -c "ip -n '$(ns r3)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:2:0:'"
	# And a default route through the router's link-local address.
	ip -n "$(ns r1)" -6 route show default | grep -q 'via fe80::'
	a3=$(ip -n "$(ns r3)" -6 addr show dev eth0 scope global |
		awk '/inet6 2001:db8:2:/ { sub("/.*", "", $2); print $2; exit }')
	ip netns exec "$(ns r1)" ping -6 -c 2 -W 2 2001:db8:1::1
	run ip netns exec "$(ns r1)" ping -6 -c 3 -W 2 "$a3"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'ttl=63' <<<"$output"
	[ "$(rcounter r1 ra_sent)" -ge 1 ]
	[ "$(rcounter r1 routed6)" -ge 3 ]
	# Between tenants: no route.
	wait_for 100 bash -c "ip -n '$(ns b1)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:3:0:'"
	fails ip netns exec "$(ns b1)" ping -6 -c 1 -W 2 "$a3"
}

@test "a route leak opens exactly the leaked prefix after a reload (control socket or SIGHUP); a refused reload keeps the tables in force" {
	overlay
	fails ip netns exec "$(ns b1)" ping -c 1 -W 2 198.19.1.10
	# blue reaches 198.19.1.10/32 of red; red reaches blue's 198.19.3.0/24.
	write_conf "leak red 198.19.1.10/32 to blue
leak blue 198.19.3.0/24 to red"
	local w
	for w in r1 r2 r3 r4 b2; do
		vnet-ctl "$T/$w.sock" reload
	done
	# b1's by SIGHUP, which vnet-pipe passes to its members.
	kill -HUP "$PID_vnet_pipe_b1"
	wait_for 100 bash -c "vnet-ctl '$T/b1.sock' counters | grep -q '^reloads	1$'"
	vnet-ctl "$T/b1.sock" routes | grep -q "^blue	inet	198.19.1.10/32	leak	red$"
	ip netns exec "$(ns b1)" ping -c 2 -W 2 198.19.1.10
	# Not the rest of red's 198.19.1.0/24, nor its other segment.
	fails ip netns exec "$(ns b1)" ping -c 1 -W 2 198.19.1.20
	fails ip netns exec "$(ns b1)" ping -c 1 -W 2 198.19.2.20
	# A broken file is refused with its line; the leak stays.
	echo "route red 198.19.9.0/24 via 198.19.77.1" >>"$T/node.conf"
	run vnet-ctl "$T/b1.sock" reload
	echo "$output"
	[ "$status" -ne 0 ]
	grep -q "node.conf:11: via 198.19.77.1 is in no segment of tenant 'red'" <<<"$output"
	ip netns exec "$(ns b1)" ping -c 1 -W 2 198.19.1.10
	[ "$(rcounter b1 reload_failed)" -eq 1 ]
	[ "$(rcounter b1 reloads)" -eq 1 ]
}

@test "a flood of unknown destinations keeps the neighbour table and queues in their bounds while known ones route" {
	overlay "neigh-max 16
neigh-queue 2
queue-total 8"
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.2.10
	# 200 datagrams to 100 addresses nobody has, in one burst.
	ip netns exec "$(ns r1)" bash -c \
		'for i in $(seq 100 199); do for k in 1 2; do echo x >/dev/udp/198.19.2.$i/9; done; done' || true
	vnet-ctl "$T/r1.sock" neigh >"$T/neigh"
	cat "$T/neigh"
	[ "$(wc -l <"$T/neigh")" -le 16 ]
	[ "$(rcounter r1 neigh_table_full)" -gt 0 ]
	[ "$(rcounter r1 queue_drops)" -gt 0 ]
	# Every queue within its bound.
	awk -F'\t' '$7 > 2 { exit 1 }' "$T/neigh"
	# The known destination still routes during the flood's aftermath.
	ip netns exec "$(ns r1)" ping -c 2 -W 2 198.19.2.10
	grep -q "^20	198.19.2.10	" "$T/neigh"
}

@test "vnet-route --explain gives each frame its route and reason, the same on every run" {
	overlay
	ip netns exec "$(ns r1)" timeout 20 tcpdump -i eth0 -U -c 8 -w "$T/r1.pcap" icmp 2>/dev/null &
	local tpid=$!
	wait_for 100 test -s "$T/r1.pcap"
	ip netns exec "$(ns r1)" ping -c 3 -i 0.3 -W 2 198.19.2.20
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.3.10 || true
	wait "$tpid" || true
	vnet-route --explain -f "$T/node.conf" --segment 10 "$T/r1.pcap" >"$T/e1"
	cat "$T/e1"
	grep -q "egress	10	icmp	198.19.1.10	198.19.2.20	done	resolving	red 198.19.2.0/24 connected segment 20" "$T/e1"
	grep -q "egress	10	icmp	198.19.1.10	198.19.3.10	drop	no-route	-" "$T/e1"
	vnet-route --explain --json -f "$T/node.conf" --segment 10 "$T/r1.pcap" |
		head -1 | grep -q '"action":"done","reason":"resolving","route":"red 198.19.2.0/24 connected segment 20"'
	vnet-route --explain -f "$T/node.conf" --segment 10 "$T/r1.pcap" >"$T/e2"
	cmp "$T/e1" "$T/e2"
}

@test "ARP and ND suppression: the router answers for a binding it learned, counting hits and misses" {
	overlay
	local mac
	# r1 asks for r4 (same segment, the other host): a miss, passed on;
	# r4's reply teaches r1's router where 198.19.1.20 is.
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.1.20
	[ "$(rcounter r1 arp_suppress_miss)" -ge 1 ]
	vnet-ctl "$T/r1.sock" neigh | grep -q "^10	198.19.1.20	..:..:..:..:..:..	reachable	right	"
	# Asked again, the router answers itself, with r4's MAC.
	ip -n "$(ns r1)" neigh flush dev eth0
	ip netns exec "$(ns r1)" ping -c 1 -W 2 198.19.1.20
	[ "$(rcounter r1 arp_suppress_hit)" -ge 1 ]
	mac=$(ip -n "$(ns r4)" link show eth0 | awk '/link\/ether/ { print $2 }')
	ip -n "$(ns r1)" neigh show 198.19.1.20 | grep -q "lladdr $mac"
	# IPv6: the same for a neighbour solicitation.
	wait_for 100 bash -c "ip -n '$(ns r4)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:1:0:'"
	wait_for 100 bash -c "ip -n '$(ns r1)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:1:0:'"
	local a4
	a4=$(ip -n "$(ns r4)" -6 addr show dev eth0 scope global |
		awk '/inet6 2001:db8:1:/ { sub("/.*", "", $2); print $2; exit }')
	ip netns exec "$(ns r1)" ping -6 -c 1 -W 2 "$a4"
	ip -n "$(ns r1)" -6 neigh flush dev eth0
	ip netns exec "$(ns r1)" ping -6 -c 1 -W 2 "$a4"
	[ "$(rcounter r1 nd_suppress_hit)" -ge 1 ]
}

@test "vnet-route --clock pcap on a capture writes the same stream byte for byte every time" {
	write_conf ""
	need_cmd python3
	# A capture of r1's frames from a live run is in the --explain test;
	# here one made by hand: an ARP request for the gateway and pings.
	python3 - "$T/in.pcap" <<-'EOP'
	import struct, sys
	def frame(b): return b + bytes(max(0, 60 - len(b)))
	gw = bytes.fromhex('02005e000101'); h = bytes.fromhex('020000000010')
	tag = lambda v, t: b'\x81\x00' + struct.pack('>H', v) + t
	def ip4(dst, ttl):
	    ip = bytearray(bytes([0x45, 0, 0, 28, 0, 0, 0x40, 0, ttl, 1, 0, 0, 198, 19, 1, 10]) + bytes(dst))
	    s = sum(struct.unpack('>10H', ip)); s = (s & 0xffff) + (s >> 16)
	    ip[10:12] = struct.pack('>H', ~s & 0xffff)
	    return bytes(ip) + bytes([8, 0, 0xf7, 0xff, 0, 0, 0, 0])
	arp = b'\xff' * 6 + h + tag(10, b'\x08\x06') + bytes.fromhex('0001080006040001') + h + bytes([198, 19, 1, 10]) + bytes(6) + bytes([198, 19, 1, 1])
	fr = [arp, gw + h + tag(10, b'\x08\x00') + ip4([198, 19, 1, 1], 64),
	      gw + h + tag(10, b'\x08\x00') + ip4([198, 19, 3, 10], 64),
	      gw + h + tag(10, b'\x08\x00') + ip4([198, 19, 2, 10], 1),
	      h + gw + tag(10, b'\x08\x00') + ip4([198, 19, 1, 10], 64)]
	with open(sys.argv[1], 'wb') as f:
	    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
	    for i, b in enumerate(fr):
	        b = frame(b)
	        f.write(struct.pack('<IIII', 1800000000 + i, 0, len(b), len(b)) + b)
	EOP
	vnet-route -f "$T/node.conf" --clock pcap --dir ingress --stats \
		<"$T/in.pcap" >"$T/o1.pcap" 2>"$T/s1" 3>&- 4>&-
	vnet-route -f "$T/node.conf" --clock pcap --dir ingress --stats \
		<"$T/in.pcap" >"$T/o2.pcap" 2>/dev/null 3>&- 4>&-
	cmp "$T/o1.pcap" "$T/o2.pcap"
	[ "$(counter "$T/s1" frames)" -eq 5 ]
	[ "$(counter "$T/s1" drop_to_gateway)" -eq 1 ]
	vnet-route --explain -f "$T/node.conf" "$T/in.pcap" >"$T/e"
	cat "$T/e"
	[ "$(cut -f8 "$T/e" | tr '\n' ' ')" = "arp-reply echo-reply no-route ttl-exceeded switched " ]
}

@test "vnet-route --check takes a good configuration and names FILE:LINE of a bad one, exit 2" {
	write_conf ""
	run vnet-route --check -f "$T/node.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/node.conf: ok: 2 tenants, 4 segments, 0 routes, 0 neighbours" ]
	write_conf "route green 198.19.9.0/24 via 198.19.1.5"
	run vnet-route --check -f "$T/node.conf"
	[ "$status" -eq 2 ]
	[ "$output" = "vnet-route: $T/node.conf:9: unknown tenant 'green' (a 'tenant green' line first)" ]
	run vnet-route -f "$T/node.conf" </dev/null
	[ "$status" -eq 2 ]
}

# A udhcpc script that configures what it was given and writes it down
# to $UDHCPC_OUT (one "key=value" a line).
udhcpc_script() {
	cat >"$T/udhcpc.sh" <<-'EOS'
	#!/bin/sh
	case $1 in
	deconfig)
		ip -4 addr flush dev "$interface"
		ip link set "$interface" up
		;;
	bound | renew)
		ip -4 addr flush dev "$interface"
		ip addr add "$ip/$mask" dev "$interface"
		[ -z "$router" ] || ip route replace default via "$router" dev "$interface"
		printf 'ip=%s\nmask=%s\nrouter=%s\ndns=%s\ndomain=%s\nlease=%s\nmtu=%s\nhostname=%s\nserverid=%s\n' \
			"$ip" "$mask" "$router" "$dns" "$domain" "$lease" "$mtu" \
			"$hostname" "$serverid" >"$UDHCPC_OUT"
		;;
	esac
	exit 0
	EOS
	chmod 755 "$T/udhcpc.sh"
}

# Workload $1 asks for its address: busybox udhcpc, 5 tries 1 s apart,
# then gone (-q); what it got is in $T/dhcp.$1.
dhcp_client() {
	rm -f "$T/dhcp.$1"
	UDHCPC_OUT="$T/dhcp.$1" ip netns exec "$(ns "$1")" busybox udhcpc \
		-i eth0 -n -q -f -t 5 -T 1 -s "$T/udhcpc.sh"
	[ -s "$T/dhcp.$1" ]
	cat "$T/dhcp.$1"
}

# The value of KEY in what workload $1's client got.
dhcp_got() {
	sed -n "s/^$2=//p" "$T/dhcp.$1"
}

@test "a workload gets its IPv4 address by DHCP from its node's vnet-route, pings the gateway and workloads across the overlay, and its IPv6 by SLAAC" {
	need_cmd busybox
	DHCP10="dhcp pool 198.19.1.100-198.19.1.109 dns 198.19.1.53,198.19.1.54 lease 1h domain red.example"
	DHCP_WL=r4
	udhcpc_script
	overlay
	local ip mac
	dhcp_client r4
	ip=$(dhcp_got r4 ip)
	# From the pool, with the segment's settings, served by the gateway.
	[[ $ip == 198.19.1.10[0-9] ]]
	[ "$(dhcp_got r4 mask)" = 24 ]
	[ "$(dhcp_got r4 router)" = 198.19.1.1 ]
	[ "$(dhcp_got r4 serverid)" = 198.19.1.1 ]
	[ "$(dhcp_got r4 dns)" = "198.19.1.53 198.19.1.54" ]
	[ "$(dhcp_got r4 domain)" = red.example ]
	[ "$(dhcp_got r4 lease)" = 3600 ]
	[ "$(dhcp_got r4 mtu)" = 1450 ]
	ip -n "$(ns r4)" -4 addr show dev eth0 | grep -q "inet $ip/24"
	# The gateway, a workload of its segment on the other host (switched
	# by the VTEPs) and one of the other segment there (routed).
	ip netns exec "$(ns r4)" ping -c 2 -W 2 198.19.1.1
	ip netns exec "$(ns r4)" ping -c 2 -W 2 198.19.1.10
	run ip netns exec "$(ns r4)" ping -c 2 -W 2 198.19.2.10
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'ttl=63' <<<"$output"
	# And back: r1 reaches the address DHCP gave.
	ip netns exec "$(ns r1)" ping -c 2 -W 2 "$ip"
	# The engine counted, the router sent the replies.
	[ "$(rcounter r4 dhcp_discover)" -ge 1 ]
	[ "$(rcounter r4 dhcp_offer)" -ge 1 ]
	[ "$(rcounter r4 dhcp_ack)" -ge 1 ]
	[ "$(rcounter r4 dhcp_nak)" -eq 0 ]
	[ "$(rcounter r4 dhcp_leases)" -ge 1 ]
	[ "$(rcounter r4 dhcp_replies)" -ge 2 ]
	[ "$(rcounter r4 drop_dhcp_unconfigured)" -eq 0 ]
	# The lease table: the client's MAC, its address, the seconds left.
	mac=$(ip netns exec "$(ns r4)" cat /sys/class/net/eth0/address)
	run vnet-ctl "$T/r4.sock" leases
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	awk -F'\t' -v m="$mac" -v a="$ip" '$1 == 10 && $2 == m && $3 == a && $4 > 3500 && $4 <= 3600 { ok = 1 } END { exit !ok }' <<<"$output"
	run vnet-ctl --json "$T/r4.sock" leases
	echo "$output"
	[ "$(jq -r ".leases[0].ip" <<<"$output")" = "$ip" ]
	[ "$(jq -r ".leases[0].vid" <<<"$output")" = 10 ]
	# The router of another workload of the segment saw none of it.
	[ "$(rcounter r1 dhcp_discover)" -eq 0 ]
	# Dual stack: the same workload configures its IPv6 address by SLAAC.
	wait_for 100 bash -c "ip -n '$(ns r4)' -6 addr show dev eth0 scope global -tentative | grep -q 'inet6 2001:db8:1:0:'"
	ip netns exec "$(ns r4)" ping -6 -c 2 -W 2 2001:db8:1::1
}

@test "a static lease wins over the pool; the lease file reloads with SIGHUP and the control socket, a bad one is refused (FILE:LINE) and the leases in force stay" {
	need_cmd busybox
	DHCP10="dhcp pool 198.19.1.100-198.19.1.109"
	DHCP_WL=r4
	MAC_r4=02:00:5e:10:00:0a
	printf '# VID MAC IP HOSTNAME\n10 02:00:5e:10:00:0a 198.19.1.77 r4host\n' >"$T/leases"
	printf '10 02:00:5e:10:00:0a 198.19.1.78\n10 02:00:5e:10:00:0b 198.19.1.300\n' >"$T/bad.leases"
	# At start a bad file is a configuration error.
	write_conf
	run vnet-route -f "$T/node.conf" --dhcp-leases "$T/bad.leases" </dev/null
	echo "$output"
	[ "$status" -eq 2 ]
	grep -q "bad.leases:2: bad IP address '198.19.1.300'" <<<"$output"
	run vnet-route --check -f "$T/node.conf" --dhcp-leases "$T/bad.leases"
	[ "$status" -eq 2 ]
	vnet-route --check -f "$T/node.conf" --dhcp-leases "$T/leases"
	ROUTE_ARGS="--dhcp-leases $T/leases"
	udhcpc_script
	overlay
	local pid
	dhcp_client r4
	[ "$(dhcp_got r4 ip)" = 198.19.1.77 ]
	[ "$(dhcp_got r4 hostname)" = r4host ]
	ip netns exec "$(ns r4)" ping -c 2 -W 2 198.19.1.10
	vnet-ctl "$T/r4.sock" leases | grep -q "^10	02:00:5e:10:00:0a	198.19.1.77	static	r4host$"
	# A refused file: the reload fails and says where, the lease stays.
	cp "$T/leases" "$T/good.leases"
	cp "$T/bad.leases" "$T/leases"
	run vnet-ctl "$T/r4.sock" reload
	echo "$output"
	[ "$status" -ne 0 ]
	grep -q "leases:2: bad IP address '198.19.1.300'" <<<"$output"
	[ "$(rcounter r4 reload_failed)" -eq 1 ]
	vnet-ctl "$T/r4.sock" leases | grep -q "^10	02:00:5e:10:00:0a	198.19.1.77	static	r4host$"
	dhcp_client r4
	[ "$(dhcp_got r4 ip)" = 198.19.1.77 ]
	# A good file by SIGHUP: the client, asking again, gets its new
	# address and host name.
	printf '10 02:00:5e:10:00:0a 198.19.1.78 moved\n' >"$T/leases"
	pid=$(vnet-ctl --json "$T/r4.sock" describe | jq -r .pid)
	kill -HUP "$pid"
	wait_for 50 bash -c "vnet-ctl '$T/r4.sock' leases | grep -q '198.19.1.78'"
	[ "$(rcounter r4 reloads)" -eq 1 ]
	dhcp_client r4
	[ "$(dhcp_got r4 ip)" = 198.19.1.78 ]
	[ "$(dhcp_got r4 hostname)" = moved ]
	ip netns exec "$(ns r4)" ping -c 2 -W 2 198.19.1.10
}
