#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 98-runbooks: make demo, and each runbook of contrib/runbooks run
# against a copy of its lab, contrib/lab (vnet-lab, three hosts):
#
#   [a u0 198.18.0.1]     [b u0 198.18.0.2]     [c u0 198.18.0.3]
#          \                      |                      /
#           +-------- br0 (namespace LAB-ul) -----------+
#
#   tenant t1, segment red  (VNI 100, UDP 4789): red-a .1, red-b .2, red-c .3
#   tenant t2, segment blue (VNI 200, UDP 4790): blue-a .1, blue-c .3
#   web.policy in every chain: ICMP, and TCP 80 to red-b and blue-c.
#
# A test passes when what the runbook promises happened on the overlay
# (pings, a transfer's sha256, the capture's VNIs, the collector's
# flows), not when the runbook exits 0.

load lib
bats_require_minimum_version 1.5.0

top=$BATS_TEST_DIRNAME/../..
LAB_BIN=$top/contrib/vnet-lab
RB=$top/contrib/runbooks

setup() {
	T=$BATS_TEST_TMPDIR
	LAB=r${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}
	L=$T/lab/demo.lab
}

teardown() {
	[ ! -f "$L" ] || "$LAB_BIN" down "$L" || :
	vnet_teardown
}

# A copy of contrib/lab in $T/lab with this test's lab and node names.
lab_copy() {
	mkdir -p "$T/lab"
	cp "$top"/contrib/lab/* "$T/lab/"
	sed -i "s/^lab vnetdemo\$/lab $LAB/" "$L"
	sed -i "s/^node demo-/node $LAB-/" "$T"/lab/[abc].conf
}

lab_up() {
	lab_copy
	"$LAB_BIN" up "$L"
}

# pids HOST: every chain and member pid of HOST's node, sorted.
pids() {
	on "$1" vnet-node -f "$T/lab/$1.conf" --tsv status |
		awk -F'\t' '$1 == "chain" || $1 == "member" { print $2, $3, $5 }' | sort
}

@test "the runbooks and vnet-demo are clean under shellcheck" {
	need_cmd shellcheck
	cd "$RB"
	shellcheck -s sh -x runbook.sh add-workload move-workload change-policy \
		capture-tenant export-flows replace-node
	shellcheck "$top/contrib/vnet-demo"
}

@test "a runbook without its arguments prints its usage, exit 2" {
	run -2 "$RB/add-workload"
	[[ $output == "usage: add-workload LAB HOST WORKLOAD TAP SEGMENT [ADDR/LEN]"* ]]
	run -2 "$RB/replace-node" x
	[[ $output == "usage: replace-node LAB FAILED NEW ADDR/LEN"* ]]
}

@test "make demo: the 3-host lab from vnet.conf files alone passes every check and leaves nothing" {
	need_root
	need_cmd socat tcpdump nfcapd nfdump
	run -0 env VNET_DEMO_NAME="d${BATS_ROOT_PID:-$$}" bash "$top/contrib/vnet-demo" "$VNET_BIN"
	echo "$output"
	[[ $output == *"vnet-demo: OK: "* ]]
	[[ $output != *FAILED* ]]
	fails grep -q "^d${BATS_ROOT_PID:-$$}-" <(ip netns list)
	fails ls -d "${VNET_RUN_DIR:-/run/vnet}/node-d${BATS_ROOT_PID:-$$}-"* 2>/dev/null
}

@test "add-workload: a new workload in segment blue on b answers; b's other chain keeps its pids" {
	need_root
	lab_up
	wait_for 50 pings a 198.19.1.2
	local before
	before=$(pids b)
	run -0 "$RB/add-workload" "$L" b blue-b blue blue 198.19.2.2/24
	echo "$output"
	wait_for 30 pings a 198.19.2.2
	pings c 198.19.2.2
	grep -q '^workload blue-b tap blue segment blue addr 198.19.2.2/24$' "$T/lab/b.conf"
	# red-b's chain and members are the ones from before.
	[ "$(grep red-b <<<"$before")" = "$(pids b | grep red-b)" ]
	# A line the check refuses changes nothing.
	cp "$T/lab/b.conf" "$T/b.conf.before"
	run -1 "$RB/add-workload" "$L" b green-b green green
	[[ $output == *"workload green-b: no segment 'green'"* ]]
	[[ $output == *"refused: b.conf is unchanged"* ]]
	cmp "$T/lab/b.conf" "$T/b.conf.before"
}

@test "move-workload: blue-a moves to b with its MAC and address; c reaches it at once, not after the FDB ages" {
	need_root
	need_cmd arping
	lab_up
	# c has talked to blue-a: its ARP cache and its VTEP's FDB point at a.
	wait_for 50 pings c 198.19.2.1
	run -0 "$RB/move-workload" "$L" a b blue-a
	echo "$output"
	grep -q '^workload blue-a tap blue segment blue mac 02:00:00:02:00:01 addr 198.19.2.1/24' "$T/lab/b.conf"
	fails grep -q blue-a "$T/lab/a.conf"
	fails on a ip link show blue
	# Within 2 s: the gratuitous ARP moved the MAC in c's FDB (the
	# FDB's ageing is 300 s).
	local i ok=
	for ((i = 0; i < 10; i++)); do
		on c ping -c 1 -W 0.2 198.19.2.1 >/dev/null 2>&1 && { ok=1; break; }
	done
	[ -n "$ok" ]
	run -0 on c vnet-ctl "$LAB-c-blue-c-encap" fdb
	echo "$output"
	grep -qi $'02:00:00:02:00:01\t198.18.0.2' <<<"$output"
}

@test "change-policy: a new policy on every node, an allowed transfer survives it whole, the pids stay, the new rule applies" {
	need_root
	need_cmd socat
	lab_up
	wait_for 50 pings a 198.19.1.2
	local before_a before_b rpid
	before_a=$(pids a)
	before_b=$(pids b)
	# A transfer a -> b:80 that is half sent when the policy changes.
	transfer_begin a b 198.19.1.2 80
	# The new policy: web on 80 still, and 8080 now.
	sed 's/^allow from any to web proto tcp port 80$/&\nallow from any to web proto tcp port 8080/' \
		"$T/lab/web.policy" >"$T/new.policy"
	run -0 "$RB/change-policy" "$L" "$T/lab/web.policy" "$T/new.policy"
	echo "$output"
	transfer_end
	[ "$TRANSFER_GOT" = "$TRANSFER_WANT" ]
	[ "$before_a" = "$(pids a)" ]
	[ "$before_b" = "$(pids b)" ]
	# 8080 to red-b passes now.
	ip netns exec "$LAB-b" timeout 30 socat -u "TCP-LISTEN:8080,bind=198.19.1.2,reuseaddr" \
		"CREATE:$T/r8080" </dev/null >/dev/null 2>&1 &
	rpid=$!
	wait_for 100 bash -c "ip netns exec '$LAB-b' ss -ltn | grep -q ':8080 '"
	echo hello >"$T/hello"
	on a timeout 10 socat -u "OPEN:$T/hello" "TCP:198.19.1.2:8080,connect-timeout=3"
	wait "$rpid"
	[ "$(cat "$T/r8080")" = hello ]
	# A policy vnet-acl refuses is not installed.
	cp "$T/lab/web.policy" "$T/policy.before"
	echo 'allow from nowhere' >"$T/bad.policy"
	run -1 "$RB/change-policy" "$L" "$T/lab/web.policy" "$T/bad.policy"
	[[ $output == *"refused: "*"web.policy is unchanged"* ]]
	cmp "$T/lab/web.policy" "$T/policy.before"
}

@test "capture-tenant: host a's capture of tenant t2 holds VNI 200 only, while both tenants ping" {
	need_root
	need_cmd tcpdump tshark
	lab_up
	wait_for 50 pings a 198.19.2.3
	wait_for 50 pings a 198.19.1.3
	"$RB/capture-tenant" "$L" a t2 6 "$T/t2.pcap" 20 >"$T/rb.out" 2>&1 &
	local cpid=$!
	# Both tenants' traffic while the capture runs.
	local i
	for ((i = 0; i < 40; i++)); do
		grep -q "listening on\|tcpdump -i" "$T/rb.out" && break
		sleep 0.1
	done
	sleep 0.5
	on a ping -c 4 -i 0.2 -W 1 198.19.1.3 >/dev/null
	on a ping -c 4 -i 0.2 -W 1 198.19.2.3 >/dev/null
	wait "$cpid"
	cat "$T/rb.out"
	grep -q 'udp dst port 4790 and udp\[12:4\] & 0xffffff00 = 0x0000c800' "$T/rb.out"
	run -0 --separate-stderr tshark -r "$T/t2.pcap" -d udp.port==4790,vxlan -T fields -e vxlan.vni
	grep -q 'VXLAN, flags \[I\] (0x08), vni 200' "$T/rb.out"
	echo "$output"
	[ "$(sort -u <<<"$output")" = 200 ]
	[ "$(wc -l <<<"$output")" -ge 6 ]
}

@test "export-flows: b's flows go to a new collector (nfcapd on c), with their VNI" {
	need_root
	need_cmd nfcapd nfdump
	lab_up
	mkdir -p "$T/nf"
	bg nfcapd ip netns exec "$LAB-c" nfcapd -w "$T/nf" -b 198.18.0.3 -p 4739 -t 3600
	run -0 "$RB/export-flows" "$L" b udp:198.18.0.3:4739
	echo "$output"
	grep -q '^collector udp:198.18.0.3:4739 profile nfdump$' "$T/lab/b.conf"
	[ "$(grep -c '^collector' "$T/lab/b.conf")" = 1 ]
	wait_for 50 pings a 198.19.1.2
	on a ping -c 3 -i 0.2 198.19.1.2 >/dev/null
	# b's exporters flush as b stops; nfcapd writes its file as it stops.
	"$LAB_BIN" down "$L" b
	stop nfcapd || :
	run -0 nfdump -R "$T/nf" -q -N -o 'fmt:%ra %pr %sa %da %ivrf' 'proto icmp'
	echo "$output"
	grep -Eq '198.18.0.2 +1 +198.19.1.1 +198.19.1.2 +100' <<<"$output"
}

@test "replace-node: b fails, d takes over red-b with a new address; the overlay reaches red-b again and no chain floods to b" {
	need_root
	lab_up
	wait_for 50 pings a 198.19.1.2
	"$LAB_BIN" crash "$L" b
	fails pings a 198.19.1.2
	run -0 "$RB/replace-node" "$L" b d 198.18.0.4/24
	echo "$output"
	wait_for 50 pings a 198.19.1.2
	pings c 198.19.1.2
	grep -q "^node $LAB-d\$" "$T/lab/d.conf"
	grep -q '^underlay 198.18.0.4$' "$T/lab/d.conf"
	grep -q '^peer 198.18.0.4$' "$T/lab/fabric.conf"
	fails grep -q '^peer 198.18.0.2' "$T/lab/fabric.conf"
	run -0 on a vnet-node -f "$T/lab/a.conf" --dry-run
	[[ $output == *"-r 198.18.0.4 -r 198.18.0.3 "* ]]
	[[ $output != *"198.18.0.2"* ]]
}
