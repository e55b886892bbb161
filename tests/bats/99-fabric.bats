#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 99-fabric: a fabric through a real etcd.  A 3-member etcd cluster
# (contrib/etcd-lab: TLS, one user and role per node) on hosts e1-e3 of a
# vnet-lab lab, and vnet nodes a, b, c (d joins later) whose vnet.conf
# names no peer at all: flood lists and FDBs come from the fabric.
#
#   [e1 .11] [e2 .12] [e3 .13]   etcd members, https://198.18.0.1x:2379
#   [a .1] [b .2] [c .3] [d .4]  nodes, segment red VNI 100, 198.19.1.N
#          all on br0 (namespace LAB-ul), underlay 198.18.0.0/24

load lib
bats_require_minimum_version 1.5.0

top=$BATS_TEST_DIRNAME/../..
LAB_BIN=$top/contrib/vnet-lab
ETCD_LAB=$top/contrib/etcd-lab
TTL=3

setup() {
	need_root
	need_cmd etcd etcdctl openssl jq
	T=$BATS_TEST_TMPDIR
	LAB=f${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}
	P=$T/pki
	VNET_RUN_DIR_LAB=${VNET_RUN_DIR:-/run/vnet}/lab-$LAB
	export PATH="$top/contrib:$PATH"
}

teardown() {
	[ ! -f "$T/lab" ] || "$LAB_BIN" down "$T/lab" || :
	[ ! -d "$P" ] || "$ETCD_LAB" stop "$P" e1 e2 e3 || :
	vnet_teardown
}

# conf HOST N: the vnet.conf of node HOST (underlay 198.18.0.N).
conf() {
	local eps
	eps=$(cat "$P/endpoints")
	printf '%s\n' "node $LAB-$1" "underlay 198.18.0.$2" \
		"segment red vni 100 tenant t1" \
		"fabric F endpoints $eps ttl $TTL cacert pki/ca.pem cert pki/$LAB-$1.pem key pki/$LAB-$1-key.pem" \
		"workload red-$1 tap red segment red mac 02:00:00:01:00:0$2 addr 198.19.1.$2/24" >"$T/$1.conf"
}

# The lab and the store first, then nodes a b c (d is described, not up).
fabric_up() {
	printf '%s\n' "lab $LAB" "host e1 198.18.0.11/24" "host e2 198.18.0.12/24" \
		"host e3 198.18.0.13/24" >"$T/lab"
	"$LAB_BIN" up "$T/lab"
	"$ETCD_LAB" certs "$P" e1=198.18.0.11 e2=198.18.0.12 e3=198.18.0.13 -- \
		"$LAB-a" "$LAB-b" "$LAB-c" "$LAB-d"
	"$ETCD_LAB" start "$P" "$T/lab" e1 e2 e3
	"$ETCD_LAB" auth "$P" F "$LAB-a" "$LAB-b" "$LAB-c" "$LAB-d"
	local n=1 h
	for h in a b c d; do
		conf "$h" "$n"
		n=$((n + 1))
	done
	printf '%s\n' "host a 198.18.0.1/24 a.conf" "host b 198.18.0.2/24 b.conf" \
		"host c 198.18.0.3/24 c.conf" >>"$T/lab"
	"$LAB_BIN" up "$T/lab" a b c
}

# fabric_set HOST: the fabric entries of HOST's VTEP.
fabric_set() {
	on "$1" vnet-ctl "$LAB-$1-red-$1-encap" fabric
}

counter_of() {
	awk -F'\t' -v c="$2" '$1 == c { print $2 }' "/run/vnet/node-$LAB-$1/fabric/counters"
}

# floods HOST: the remote VTEPs on the flood list HOST's fabric gave it.
floods() {
	fabric_set "$1" | awk -F'\t' '$4 == "flood" { print $3 }' | sort | tr '\n' ' '
}
# mac_at HOST MAC: the VTEP HOST's fabric puts MAC behind.
mac_at() {
	fabric_set "$1" | awk -F'\t' -v m="$2" 'tolower($2) == m && $4 != "flood" { print $3 }'
}
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

@test "vnet-fabric and etcd-lab are clean under shellcheck" {
	need_cmd shellcheck
	shellcheck -s sh "$top/cmd/vnet-fabric/vnet-fabric.sh" "$top/contrib/etcd-lab" "$VNET_BIN/vnet-fabric" "$top/lib/sh/log.sh"
}

@test "a fabric from etcd alone: no peer line anywhere, a full mesh; a fourth node joins and all reach it, no file of theirs touched" {
	fabric_up
	wait_for 100 pings a 198.19.1.2
	pings a 198.19.1.3
	pings b 198.19.1.3
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 " ]
	local sums
	sums=$(cksum "$T"/[abc].conf)
	echo "host d 198.18.0.4/24 d.conf" >>"$T/lab"
	"$LAB_BIN" up "$T/lab" d
	wait_for 100 pings a 198.19.1.4
	pings b 198.19.1.4
	pings c 198.19.1.4
	pings d 198.19.1.1
	[ "$sums" = "$(cksum "$T"/[abc].conf)" ]
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 198.18.0.4 " ]
	[ "$(mac_at a 02:00:00:01:00:04)" = 198.18.0.4 ]
	# The agent is a member of the node, with its counters.
	run -0 on a vnet-node -f "$T/a.conf" --json status
	jq -e '.chains[] | select(.workload == "fabric") | .members[0].counters.remote_vteps == 3' <<<"$output"
	# A burst, 4 VTEPs of 10 MACs in one transaction, is one resync.
	local i k
	{
		echo
		for i in 1 2 3 4; do
			echo "put /vnet/F/nodes/sim$i/vtep/100 \"198.18.0.$((40 + i)) 4789\""
			for k in 0 1 2 3 4 5 6 7 8 9; do
				echo "put /vnet/F/nodes/sim$i/mac/100/02:10:00:0$i:00:0$k \"0 198.18.0.$((40 + i)) -\""
			done
		done
		printf '\n\n'
	} | "$ETCD_LAB" ctl "$P" root txn >/dev/null
	wait_for 50 bash -c "[ \$(ip netns exec $LAB-a vnet-ctl $LAB-a-red-a-encap fabric | grep -c 02:10:00:0) = 40 ]"
	# The counters file is rewritten every half second: wait for it.
	wait_for 30 bash -c "[ \$(awk -F'\t' '\$1 == \"bursts\" { print \$2 }' /run/vnet/node-$LAB-a/fabric/counters) -ge 1 ]"
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 198.18.0.4 198.18.0.41 198.18.0.42 198.18.0.43 198.18.0.44 " ]
	# Nothing went wrong on the way.
	fails grep -E 'awk:|cannot open|refused|error' "$VNET_RUN_DIR_LAB/a.log"
}

@test "a node that dies is withdrawn from every flood list and FDB within the lease's TTL" {
	fabric_up
	wait_for 100 pings a 198.19.1.3
	wait_for 50 bash -c "[ \"\$(ip netns exec $LAB-b vnet-ctl $LAB-b-red-b-encap fabric | grep -c flood)\" = 2 ]"
	local t0 ms
	"$LAB_BIN" crash "$T/lab" c
	t0=$(now_ms)
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(floods a) != *198.18.0.3* ]] && [[ $(floods b) != *198.18.0.3* ]] && break
		sleep 0.1
	done
	ms=$(($(now_ms) - t0))
	echo "withdrawn after ${ms} ms (TTL ${TTL} s)"
	[[ $(floods a) != *198.18.0.3* ]]
	[[ $(floods b) != *198.18.0.3* ]]
	[ -z "$(mac_at a 02:00:00:01:00:03)" ]
	[ "$ms" -le $((TTL * 1000 + 1000)) ]
	pings a 198.19.1.2
}

@test "one etcd member killed changes nothing; all of them stopped, traffic flows on the last state; back, it converges" {
	fabric_up
	wait_for 100 pings a 198.19.1.2
	"$ETCD_LAB" kill "$P" e1
	# Two members of three: the fabric still takes a join.
	echo "host d 198.18.0.4/24 d.conf" >>"$T/lab"
	"$LAB_BIN" up "$T/lab" d
	wait_for 100 pings a 198.19.1.4
	"$ETCD_LAB" stop "$P" e2 e3
	# No store: longer than the TTL, and nothing is withdrawn.
	sleep $((TTL + 3))
	pings a 198.19.1.2
	pings a 198.19.1.4
	pings d 198.19.1.3
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 198.18.0.4 " ]
	[ "$(counter_of a outages)" -ge 1 ]
	local r0
	r0=$(counter_of a resyncs)
	"$ETCD_LAB" start "$P" "$T/lab" e1 e2 e3
	wait_for 150 bash -c "[ \$(awk -F'\t' '\$1 == \"resyncs\" { print \$2 }' /run/vnet/node-$LAB-a/fabric/counters) -gt $r0 ]"
	# Converged: each remote once, and a change goes through again.
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 198.18.0.4 " ]
	[ "$(fabric_set a | grep -c 02:00:00:01:00:0)" = 3 ]
	"$LAB_BIN" crash "$T/lab" d
	wait_for $(((TTL + 5) * 10)) bash -c "! ip netns exec $LAB-a vnet-ctl $LAB-a-red-a-encap fabric | grep -q 198.18.0.4"
	pings a 198.19.1.3
}

@test "a MAC move: traffic follows within a second; an older advertisement arriving late does not win" {
	fabric_up
	wait_for 100 pings a 198.19.1.2
	[ "$(mac_at a 02:00:00:01:00:02)" = 198.18.0.2 ]
	# red-b migrates to d: the same MAC and address, d takes it over.
	printf '%s\n' "node $LAB-d" "underlay 198.18.0.4" "segment red vni 100 tenant t1" \
		"$(grep '^fabric' "$T/d.conf" | sed "s/$LAB-d/$LAB-d/g")" \
		"workload red-b tap red segment red mac 02:00:00:01:00:02 addr 198.19.1.2/24" >"$T/d.conf.new"
	mv "$T/d.conf.new" "$T/d.conf"
	# b's workload is taken down (its tap stays off the wire).
	on b ip link set dev red down
	echo "host d 198.18.0.4/24 d.conf" >>"$T/lab"
	"$LAB_BIN" up "$T/lab" d
	local t0 ms i
	for ((i = 0; i < 100; i++)); do
		"$ETCD_LAB" ctl "$P" root get "/vnet/F/nodes/$LAB-d/mac/100/02:00:00:01:00:02" | grep -q '^1 ' && break
		sleep 0.05
	done
	t0=$(now_ms)
	for ((i = 0; i < 50; i++)); do
		on a ping -c 1 -W 0.1 198.19.1.2 >/dev/null 2>&1 && break
	done
	ms=$(($(now_ms) - t0))
	echo "traffic followed ${ms} ms after d's advertisement"
	[ "$(mac_at a 02:00:00:01:00:02)" = 198.18.0.4 ]
	[ "$ms" -le 1000 ]
	# b saw the higher number and withdrew its own.
	wait_for 30 bash -c "[ \$(awk -F'\t' '\$1 == \"mac_moved_away\" { print \$2 }' /run/vnet/node-$LAB-b/fabric/counters) -ge 1 ]"
	# A late, older advertisement from b (sequence 0) loses to d's 1.
	"$ETCD_LAB" ctl "$P" "$LAB-b" put "/vnet/F/nodes/$LAB-b/mac/100/02:00:00:01:00:02" "0 198.18.0.2 198.19.1.2"
	sleep 1
	[ "$(mac_at a 02:00:00:01:00:02)" = 198.18.0.4 ]
	[ "$(mac_at c 02:00:00:01:00:02)" = 198.18.0.4 ]
	pings a 198.19.1.2
}

@test "RBAC: a node's credentials cannot write outside its own prefix" {
	fabric_up
	wait_for 100 pings a 198.19.1.2
	run "$ETCD_LAB" ctl "$P" "$LAB-b" put "/vnet/F/nodes/$LAB-a/mac/100/02:00:00:01:00:09" "9 198.18.0.2 -"
	[ "$status" -ne 0 ]
	[[ $output == *"permission denied"* ]]
	run "$ETCD_LAB" ctl "$P" "$LAB-b" put "/vnet/F/nodes/$LAB-c/vtep/100" "198.18.0.2 4789"
	[ "$status" -ne 0 ]
	[[ $output == *"permission denied"* ]]
	run -0 "$ETCD_LAB" ctl "$P" root get --prefix --keys-only "/vnet/F/nodes/$LAB-a/"
	[[ $output != *02:00:00:01:00:09* ]]
	# Its own prefix it may write; a bad value there is ignored, counted.
	"$ETCD_LAB" ctl "$P" "$LAB-b" put "/vnet/F/nodes/$LAB-b/mac/100/zz" "junk"
	wait_for 30 bash -c "[ \$(awk -F'\t' '\$1 == \"bad_keys\" { print \$2 }' /run/vnet/node-$LAB-a/fabric/counters) -ge 1 ]"
	pings a 198.19.1.2
}

@test "a VTEP that vnet-node restarts after kill -9 gets its fabric entries back, and the overlay answers again" {
	fabric_up
	wait_for 100 pings a 198.19.1.3
	local pid
	pid=$(on a vnet-node -f "$T/a.conf" --tsv status | awk -F'\t' '$1 == "member" && $3 == "vnet-encap" { print $5 }')
	[ -n "$pid" ]
	kill -9 "$pid"
	wait_for 100 bash -c "[ \"\$(ip netns exec $LAB-a vnet-ctl $LAB-a-red-a-encap fabric 2>/dev/null | grep -c flood)\" = 2 ]"
	[ "$(floods a)" = "198.18.0.2 198.18.0.3 " ]
	[ "$(mac_at a 02:00:00:01:00:03)" = 198.18.0.3 ]
	wait_for 30 pings a 198.19.1.3
	pings a 198.19.1.2
}
