#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 37-readme: every overlay pipeline of the README, as it is written there
# (paths and interface names aside), carries a full-size ping with DF
# set (ping -M do at the tap's MTU) both ways and a 20 MB TCP transfer
# whose sha256 matches.  The MTUs fit by construction: no test sets one
# the README does not.
#
#   host A                                host B
#   vx0/vm1 (the README's pipeline)       vx0 (the other end)
#     |                                     |
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2 (+ 198.18.0.9)

load lib

setup() {
	need_root
	need_cmd socat ping
	setup_hosts
}

teardown() {
	vnet_teardown
}


# full_ping NS DEV ADDR: a ping of exactly DEV's MTU with DF set.
full_ping() {
	local mtu
	mtu=$(ip netns exec "$1" cat "/sys/class/net/$2/mtu")
	ip netns exec "$1" ping -M do -c 2 -i 0.2 -W 2 -s $((mtu - 28)) "$3"
}

# up NS DEV ADDR/LEN [MAC]
up() {
	wait_link "$1" "$2"
	[ -z "${4:-}" ] || ip -n "$1" link set "$2" address "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
}

# B's end of a VNI 100 overlay: a one-process vnet-encap on vx0.
peer_b() {
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--remote 198.18.0.1 --vni 100 "$@"
}

# The checks every pipeline passes: full-size pings A -> B and B -> A
# over DEV_A / vx0, a 20 MB transfer A -> B.
carries() {
	local dev=$1 a=$2 b=$3
	full_ping "$A" "$dev" "$b"
	full_ping "$B" vx0 "$a"
	want=$(make_blob "$BATS_TEST_TMPDIR/blob" 20)
	got=$(tcp_transfer "$A" "$B" "$b" "$BATS_TEST_TMPDIR/blob")
	[ "$got" = "$want" ]
}

@test "README 'A one-process VTEP on each host' carries full-size pings and 20 MB" {
	# README: host-a# vnet-encap -i tap:vx0 -o udp:198.18.0.1 --remote 198.18.0.2 --vni 100 &
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 100
	# README: host-b# vnet-encap -i tap:vx0 -o udp:198.18.0.2 --remote 198.18.0.1 --vni 100 &
	peer_b
	up "$A" vx0 198.19.0.1/24
	up "$B" vx0 198.19.0.2/24
	[ "$(ip netns exec "$A" cat /sys/class/net/vx0/mtu)" = 1450 ]
	carries vx0 198.19.0.1 198.19.0.2
}

@test "README 'The same as a two-way chain' (vnet-pipe vnet-tap vx0 = vnet-encap) carries full-size pings and 20 MB" {
	# README: vnet-pipe vnet-tap vx0 = vnet-encap --vni 100 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap vx0 = \
		vnet-encap --vni 100 -o udp:198.18.0.1 --remote 198.18.0.2
	peer_b
	up "$A" vx0 198.19.0.1/24
	up "$B" vx0 198.19.0.2/24
	# No MTU on the command line: vnet-pipe gave the tap the chain's.
	[ "$(ip netns exec "$A" cat /sys/class/net/vx0/mtu)" = 1450 ]
	carries vx0 198.19.0.1 198.19.0.2
}

@test "README 'An overlay inside an overlay' carries full-size pings and 20 MB" {
	# README: vnet-pipe vnet-tap tap:vx0,mtu=1400 = \
	#     vnet-encap --vni 100 --mtu 1450 --local 198.19.9.1 --remote 198.19.9.2 -o - = \
	#     vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vx0,mtu=1400 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.1 --remote 198.19.9.2 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.1 --remote 198.18.0.2
	bg vnetB ip netns exec "$B" vnet-pipe vnet-tap tap:vx0,mtu=1400 = \
		vnet-encap --vni 100 --mtu 1450 --local 198.19.9.2 --remote 198.19.9.1 -o - = \
		vnet-encap --vni 200 -o udp:198.18.0.2 --remote 198.18.0.1
	up "$A" vx0 198.19.0.1/24
	up "$B" vx0 198.19.0.2/24
	carries vx0 198.19.0.1 198.19.0.2
}

@test "README 'With the Linux kernel's VXLAN device as the other end' carries full-size pings and 20 MB" {
	need_cmd ethtool
	# README: host-b# ip link add vx0 type vxlan id 4242 dstport 4790 \
	#             local 198.18.0.2 remote 198.18.0.1 dev eth0
	ip -n "$B" link add vx0 type vxlan id 4242 dstport 4790 \
		local 198.18.0.2 remote 198.18.0.1 dev u0
	# (README "Decisions": a kernel peer over veth computes its checksums.)
	ip netns exec "$B" ethtool -K vx0 tx off >/dev/null
	# README: host-a# vnet-encap -i tap:vx0 -o udp:198.18.0.1 -r 198.18.0.2 --vni 4242 --dstport 4790
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		-r 198.18.0.2 --vni 4242 --dstport 4790
	up "$A" vx0 198.19.0.1/24
	up "$B" vx0 198.19.0.2/24
	[ "$(ip netns exec "$B" cat /sys/class/net/vx0/mtu)" = \
		"$(ip netns exec "$A" cat /sys/class/net/vx0/mtu)" ]
	carries vx0 198.19.0.1 198.19.0.2
}

@test "README 'Firewall (vnet-acl)' chain carries full-size pings and 20 MB to the web workload" {
	local T=$BATS_TEST_TMPDIR
	# README: /etc/vnet/web.policy, as written there.
	cat >"$T/web.policy" <<-'POLICY'
	workload web1 mac 02:00:00:00:01:01 ip 198.19.1.10 label app=web
	workload db1  mac 02:00:00:00:02:01 ip 198.19.1.20 label app=db
	group web  label app=web
	group db   label app=db
	group mgmt prefix 198.19.9.0/24
	allow ingress from any to web proto tcp port 80,443
	allow egress  from web to db  proto tcp port 5432
	allow from mgmt to any proto tcp port 22 reserve
	allow from any to any proto icmp type echo-request
	default deny
	POLICY
	# README: vnet-pipe vnet-tap tap:vm1 = \
	#     vnet-acl -p /etc/vnet/web.policy --pidfile /run/vnet-acl-vm1.pid = \
	#     vnet-encap -o udp:198.18.0.1 --remote 198.18.0.2 --vni 100
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap tap:vm1 = \
		vnet-acl -p "$T/web.policy" --pidfile "$T/vnet-acl-vm1.pid" = \
		vnet-encap -o udp:198.18.0.1 --remote 198.18.0.2 --vni 100
	peer_b
	# vm1 is the workload web1; B is a client of no group.
	up "$A" vm1 198.19.1.10/24 02:00:00:00:01:01
	up "$B" vx0 198.19.1.30/24
	[ "$(ip netns exec "$A" cat /sys/class/net/vm1/mtu)" = 1450 ]
	full_ping "$A" vm1 198.19.1.30
	full_ping "$B" vx0 198.19.1.10
	# Port 80 of web: the only TCP the policy lets in.
	want=$(make_blob "$T/blob" 20)
	ip netns exec "$A" timeout 120 socat -u \
		TCP-LISTEN:80,bind=198.19.1.10,reuseaddr "CREATE:$T/got" &
	local rpid=$!
	wait_for 100 bash -c "ip netns exec '$A' ss -ltn | grep -q ':80 '"
	ip netns exec "$B" timeout 120 socat -u "OPEN:$T/blob" TCP:198.19.1.10:80
	wait "$rpid"
	[ "$(sha256sum <"$T/got" | cut -d' ' -f1)" = "$want" ]
	# And a port the policy does not allow is refused.
	fails ip netns exec "$B" timeout 5 socat -u /dev/null TCP:198.19.1.10:81,connect-timeout=2
}

@test "README 'Flow export (vnet-flowexport)' chain carries full-size pings and 20 MB" {
	need_cmd nfcapd
	local T=$BATS_TEST_TMPDIR
	ip -n "$B" addr add 198.18.0.9/24 dev u0
	mkdir "$T/nf"
	# README: nfcapd -w /var/cache/nfdump -b 198.18.0.9 -p 4739 &
	bg nfcapd ip netns exec "$B" nfcapd -w "$T/nf" -b 198.18.0.9 -p 4739
	# README: vnet-pipe vnet-tap vm1 = \
	#     vnet-flowexport -C 198.18.0.9 --profile nfdump --vni 100 = \
	#     vnet-encap -o udp:198.18.0.1 --remote 198.18.0.2 --vni 100
	bg vnetA ip netns exec "$A" vnet-pipe vnet-tap vm1 = \
		vnet-flowexport -C 198.18.0.9 --profile nfdump --vni 100 = \
		vnet-encap -o udp:198.18.0.1 --remote 198.18.0.2 --vni 100
	peer_b
	up "$A" vm1 198.19.0.1/24
	up "$B" vx0 198.19.0.2/24
	[ "$(ip netns exec "$A" cat /sys/class/net/vm1/mtu)" = 1450 ]
	carries vm1 198.19.0.1 198.19.0.2
}
