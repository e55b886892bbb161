#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 97-node: vnet-node runs a node from its vnet.conf alone, in a lab that
# contrib/vnet-lab makes from one description:
#
#   [a u0 198.18.0.1]     [b u0 198.18.0.2]     [c u0 198.18.0.3]
#          \                      |                      /
#           +-------- br0 (namespace LAB-ul) -----------+
#
#   tenant t1, segment red  (VNI 100, UDP 4789): tap red  198.19.1.N on a, b, c
#   tenant t2, segment blue (VNI 200, UDP 4790): tap blue 198.19.2.N on a, c
#   a full mesh (one peers.conf that every node includes), the firewall
#   (node.policy: ICMP and TCP 5001 in, the rest denied) and the flow export
#   (to nfcapd on a, 198.18.0.1:4739) in every chain.

load lib
bats_require_minimum_version 1.5.0

top=$BATS_TEST_DIRNAME/../..
LAB_BIN=$top/contrib/vnet-lab

setup() {
	T=$BATS_TEST_TMPDIR
	LAB=n${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}
	VNET_RUN=${VNET_RUN_DIR:-/run/vnet}
}

# gone PID: the process has exited (a zombie whose parent is gone counts).
gone() {
	local s
	read -r _ _ s _ 2>/dev/null <"/proc/$1/stat" || return 0
	[ "$s" = Z ]
}

teardown() {
	[ ! -f "$T/lab" ] || "$LAB_BIN" down "$T/lab" || :
	vnet_teardown
}

# The lab of the header, in $T: lab, a.conf, b.conf, c.conf, peers.conf,
# node.policy.  HOSTS (default "a b c") are the hosts that run a node.
write_lab() {
	local h n
	printf 'lab %s\n' "$LAB" >"$T/lab"
	printf '%s\n' 'segment red vni 100 tenant t1 subnet 198.19.1.0/24' \
		'segment blue vni 200 port 4790 tenant t2' \
		'peer 198.18.0.1' 'peer 198.18.0.2' 'peer 198.18.0.3' >"$T/peers.conf"
	cat >"$T/node.policy" <<-'EOF'
		# the lab's firewall: pings, and TCP 5001 to anyone
		allow from any to any proto icmp
		allow from any to any proto tcp port 5001
		default deny
	EOF
	for h in a b c; do
		n=$(($(printf '%d' "'$h") - 96))
		printf 'host %s 198.18.0.%s/24 %s.conf\n' "$h" "$n" "$h" >>"$T/lab"
		{
			echo "# node $h of the lab"
			echo "node ${LAB}$h"
			echo "underlay 198.18.0.$n"
			echo "include peers.conf"
			echo "policy node.policy"
			echo "collector udp:198.18.0.1:4739 profile nfdump"
			echo "restart-limit 20 30"
			echo "workload red-$h tap red segment red addr 198.19.1.$n/24 label role=web"
			[ "$h" = b ] ||
				echo "workload blue-$h tap blue segment blue addr 198.19.2.$n/24"
		} >"$T/$h.conf"
	done
}

lab_up() {
	write_lab
	run -0 "$LAB_BIN" up "$T/lab"
}

node_status() {
	on "$1" vnet-node -f "$T/$1.conf" status "${@:2}"
}

# member_pid HOST WORKLOAD PROGRAM: the pid of a member (status --tsv).
member_pid() {
	node_status "$1" --tsv | awk -F'\t' -v w="$2" -v p="$3" \
		'$1 == "member" && $2 == w && $3 == p { print $5 }'
}

# all_pids HOST: every chain and member pid of HOST's node, sorted.
all_pids() {
	node_status "$1" --tsv | awk -F'\t' '$1 == "chain" || $1 == "member" { print $2, $3, $5 }' | sort
}

# resumes_within SECONDS HOST ADDR: a ping answered before SECONDS pass.
resumes_within() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		on "$2" ping -c 1 -W 0.2 "$3" >/dev/null 2>&1 && return 0
	done
	echo "no answer from $3 within $1 s" >&2
	return 1
}

@test "vnet-node and vnet-lab are clean under shellcheck" {
	need_cmd shellcheck
	shellcheck -s sh "$top/cmd/vnet-node/vnet-node.sh" "$top/contrib/vnet-lab" "$VNET_BIN/vnet-node"
}

@test "a 3-host lab from one description: a full mesh, pings and TCP where the policy allows, refusals where not, flows at the collector" {
	need_root
	need_cmd socat nfcapd nfdump jq
	write_lab
	mkdir -p "$T/nf"
	"$LAB_BIN" up "$T/lab"
	bg nfcapd ip netns exec "$LAB-a" nfcapd -w "$T/nf" -b 198.18.0.1 -p 4739 -t 3600
	# The full mesh of tenant t1, and tenant t2 between a and c.
	wait_for 50 pings a 198.19.1.2
	pings a 198.19.1.3
	pings b 198.19.1.3
	pings c 198.19.1.1
	wait_for 50 pings a 198.19.2.3
	pings c 198.19.2.1
	# TCP 5001 is allowed: the bytes arrive whole.
	local want got
	want=$(make_blob "$T/blob" 2)
	got=$(tcp_transfer_port 5001 "$LAB-a" "$LAB-b" 198.19.1.2 "$T/blob")
	[ "$got" = "$want" ]
	# TCP 5002 is not: the default deny on a drops the SYN.
	ip netns exec "$LAB-b" timeout 60 socat -u "TCP-LISTEN:5002,bind=198.19.1.2,reuseaddr" \
		/dev/null </dev/null >/dev/null 2>&1 &
	local srv=$!
	wait_for 50 bash -c "ip netns exec '$LAB-b' ss -ltn | grep -q ':5002 '"
	fails on a timeout 10 socat -u /dev/null "TCP:198.19.1.2:5002,connect-timeout=2"
	kill "$srv" 2>/dev/null || :
	wait "$srv" 2>/dev/null || :
	# vnet-acl on a counted the refusal.
	run -0 node_status a --json
	echo "$output" | jq -e '.chains[0].members[] | select(.program == "vnet-acl") |
		.counters.drop_default > 0'
	# The lab down: the exporters flush their flows; nfcapd writes them.
	"$LAB_BIN" down "$T/lab"
	stop nfcapd || :
	run -0 nfdump -R "$T/nf" -q -N -o 'fmt:%pr %da %dp %ivrf' 'proto tcp and dst port 5001'
	echo "$output"
	[[ $output == *"6"*"198.19.1.2"*"5001"*"100"* ]]
	run -0 nfdump -R "$T/nf" -q -N -o 'fmt:%pr %ivrf' 'proto icmp'
	[[ $output == "1"*"200"* ]] || [[ $output == *$'\n'"1"*"200"* ]]
}

# tcp_transfer_port PORT SRC_NS DST_NS DST_ADDR FILE: as lib.bash's
# tcp_transfer, to a given port (the policy allows one).
tcp_transfer_port() {
	local out="$T/received.$RANDOM"
	ip netns exec "$3" timeout 120 socat -u \
		"TCP-LISTEN:$1,bind=$4,reuseaddr" "CREATE:$out" &
	local rpid=$!
	wait_for 100 bash -c "ip netns exec '$3' ss -ltn | grep -q ':$1 '" ||
		return 1
	ip netns exec "$2" timeout 120 socat -u "OPEN:$5" "TCP:$4:$1" ||
		return 1
	wait "$rpid" || return 1
	sha256sum <"$out" | cut -d' ' -f1
}

@test "kill -9 of any member: the chain is restarted, counted, and the overlay ping resumes within 2 s" {
	need_root
	lab_up
	wait_for 50 pings a 198.19.1.2
	local p pid old n=0
	for p in vnet-tap vnet-acl vnet-flowexport vnet-encap; do
		pid=$(member_pid b red-b "$p")
		[ -n "$pid" ] && [ "$pid" != - ]
		kill -9 "$pid"
		n=$((n + 1))
		# Restarted: a new pid, the restart counted.
		wait_for 50 bash -c "[ \"\$(ip netns exec '$LAB-b' vnet-node -f '$T/b.conf' status --tsv |
			awk -F'\t' '\$1 == \"chain\" && \$2 == \"red-b\" && \$6 == \"running\" { print \$8 }')\" = $n ]"
		old=$pid
		wait_for 50 bash -c "p=\$(ip netns exec '$LAB-b' vnet-node -f '$T/b.conf' status --tsv |
			awk -F'\t' '\$1 == \"member\" && \$3 == \"$p\" && \$6 == \"up\" { print \$5 }'); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
		resumes_within 2 a 198.19.1.2
	done
	# The log says what happened, once a restart.
	[ "$(grep -c 'workload red-b: chain exited with status' "$VNET_RUN/lab-$LAB/b.log")" -eq 4 ]
}

@test "a member that exits at once every time is given up on: a crash loop, exit 1, nothing left" {
	need_root
	local ns
	mkns ns crash
	# The underlay address is on no interface: vnet-encap cannot bind.
	printf '%s\n' "node ${LAB}x" 'underlay 198.18.0.99' 'segment s vni 7' \
		'peer 198.18.0.98' 'restart-limit 3 60' \
		'workload w tap wt segment s addr 198.19.7.1/24' >"$T/x.conf"
	run -1 --separate-stderr timeout 60 ip netns exec "$ns" vnet-node -f "$T/x.conf" run
	echo "$stderr"
	[[ $stderr == *"vnet-node: error: workload w: chain exited 4 times within 60s (restart-limit 3 60), last with status 1: a crash loop, giving up"* ]]
	[ "$(grep -c 'restart [0-9]* in' <<<"$stderr")" -eq 3 ]
	# Nothing left: no tap, no state directory.
	fails ip -n "$ns" link show wt
	[ ! -e "$VNET_RUN/node-${LAB}x" ]
}

@test "SIGHUP with a changed policy reloads it in place: the transfer goes on, the pids stay; a changed chain alone restarts" {
	need_root
	need_cmd socat
	lab_up
	wait_for 50 pings a 198.19.1.2
	local before_a before_b node_a
	before_a=$(all_pids a)
	before_b=$(all_pids b)
	node_a=$("$LAB_BIN" pid "$T/lab" a)
	# A transfer a -> b:5001 that is half sent when the policy changes.
	transfer_begin a b 198.19.1.2 5001
	# The new policy: TCP 5001 still, no more pings.
	printf '%s\n' 'allow from any to any proto tcp port 5001' \
		'default deny' >"$T/node.policy"
	kill -HUP "$node_a" "$("$LAB_BIN" pid "$T/lab" b)"
	wait_for 100 grep -q 'workload red-b: policy reloaded' "$VNET_RUN/lab-$LAB/b.log"
	wait_for 100 grep -q 'workload red-a: policy reloaded' "$VNET_RUN/lab-$LAB/a.log"
	transfer_end
	[ "$TRANSFER_GOT" = "$TRANSFER_WANT" ]
	# The new policy is in force (no ping), in the same processes.
	fails pings a 198.19.1.2
	[ "$(all_pids a)" = "$before_a" ]
	[ "$(all_pids b)" = "$before_b" ]
	# A change to blue-a alone (its MTU) restarts blue-a alone.
	sed -i 's|^workload blue-a .*|& mtu 1400|' "$T/a.conf"
	kill -HUP "$node_a"
	wait_for 100 grep -q 'workload blue-a: tap changed' "$VNET_RUN/lab-$LAB/a.log"
	wait_for 50 bash -c "ip netns exec '$LAB-a' ip link show blue | grep -q 'mtu 1400'"
	wait_for 50 bash -c "ip netns exec '$LAB-a' vnet-node -f '$T/a.conf' status --tsv |
		awk -F'\t' '\$1 == \"chain\" && \$2 == \"blue-a\" { exit \$6 != \"running\" }'"
	[ "$(all_pids a | grep '^red-a ')" = "$(grep '^red-a ' <<<"$before_a")" ]
	[ "$(all_pids a | grep '^blue-a ')" != "$(grep '^blue-a ' <<<"$before_a")" ]
	# A broken description on SIGHUP is refused; the node runs on.
	echo 'bogus line' >>"$T/a.conf"
	kill -HUP "$node_a"
	wait_for 100 grep -q 'reload refused' "$VNET_RUN/lab-$LAB/a.log"
	grep -q "a.conf:[0-9]*: unknown key 'bogus'" "$VNET_RUN/lab-$LAB/a.log"
	kill -0 "$node_a"
	[ "$(all_pids a | grep '^red-a ')" = "$(grep '^red-a ' <<<"$before_a")" ]
}

# refused LINE WHAT CONF-LINES...: the description CONF-LINES is refused
# by check and by run with "FILE:LINE: WHAT", exit 2, and run starts
# nothing in namespace $ns.
refused() {
	local line=$1 what=$2
	shift 2
	printf '%s\n' "$@" >"$T/bad.conf"
	run -2 --separate-stderr vnet-node -f "$T/bad.conf" check
	[[ $stderr == *"$T/bad.conf:$line: $what"* ]] ||
		{ echo "check: want '$T/bad.conf:$line: $what', got: $stderr"; return 1; }
	run -2 --separate-stderr ip netns exec "$ns" vnet-node -f "$T/bad.conf" run
	[[ $stderr == *"$T/bad.conf:$line: $what"* ]] ||
		{ echo "run: want '$line: $what', got: $stderr"; return 1; }
	[ -z "$(ip -n "$ns" -o link show type tun)" ] || { echo "a tap was made"; return 1; }
	[ ! -e "$VNET_RUN/node-${LAB}z" ] || { echo "a state directory was made"; return 1; }
}

@test "each kind of broken vnet.conf is refused with its file:line, exit 2, and nothing started" {
	need_root
	local ns
	mkns ns bad
	local n="node ${LAB}z" u='underlay 198.18.0.1' s='segment s vni 7'
	printf 'allow from any to any proto icmp\ndefault deny\n' >"$T/ok.policy"
	printf 'allow form any to any\n' >"$T/broken.policy"
	refused 3 "unknown key 'workloads'" "$n" "$u" 'workloads w'
	refused 4 "workload: unknown option 'segmnet'" "$n" "$u" "$s" 'workload w tap t segmnet s'
	refused 5 'workload w defined twice (first at' "$n" "$u" "$s" \
		'workload w tap t segment s' 'workload w tap t2 segment s'
	refused 5 'tap t is workload w' "$n" "$u" "$s" \
		'workload w tap t segment s' 'workload v tap t segment s'
	refused 3 'segment s has no vni' "$n" "$u" 'segment s vlan 7' 'workload w tap t segment s'
	refused 4 "workload w: no segment 'r'" "$n" "$u" "$s" 'workload w tap t segment r'
	refused 4 'workload w: mtu 1451 does not fit: underlay mtu 1500 - 50 (vxlan over IPv4) = 1450' \
		"$n" "$u" "$s" 'workload w tap t segment s mtu 1451'
	refused 3 "cannot read policy file 'missing.policy'" "$n" "$u" 'policy missing.policy'
	refused 4 'policy /' "$n" "$u" "$s" 'workload w tap t segment s policy broken.policy'
	[[ $stderr == *"broken.policy:1:"* ]]
	refused 3 "cannot read included file 'missing.conf'" "$n" "$u" 'include missing.conf'
	refused 5 'workload v: underlay port 4789 is workload w' "$n" "$u" 'segment s vni 7 ' \
		'workload w tap t segment s' 'workload v tap t2 segment s'
	refused 2 "bad underlay address '198.18.0.256'" "$n" 'underlay 198.18.0.256'
	refused 3 "unknown encapsulation 'gre'" "$n" "$u" 'encap gre'
	# A good one passes, with the same lines.
	printf '%s\n' "$n" "$u" "$s" 'workload w tap t segment s policy ok.policy' >"$T/good.conf"
	run -0 vnet-node -f "$T/good.conf" check
}

@test "--dry-run prints the taps and chains; --dot the graph" {
	write_lab
	run -0 vnet-node -f "$T/a.conf" --dry-run
	echo "$output"
	[[ $output == *"ip tuntap add dev red mode tap"* ]]
	[[ $output == *"ip link set dev red mtu 1450 up"* ]]
	[[ $output == *"ip addr add 198.19.1.1/24 dev red"* ]]
	grep -q "^vnet-pipe vnet-tap --name ${LAB}a-red-a-tap .* red = \\\\\$" <<<"$output"
	grep -q "^    vnet-acl -p $T/node.policy " <<<"$output"
	grep -q "^    vnet-flowexport -C udp:198.18.0.1:4739 --profile nfdump --vni 100 " <<<"$output"
	grep -q "^    vnet-encap -o udp:198.18.0.1:4789 --dstport 4789 --vni 100 -r 198.18.0.2 -r 198.18.0.3 " <<<"$output"
	grep -q "^    vnet-encap -o udp:198.18.0.1:4790 --dstport 4790 --vni 200 " <<<"$output"
	run -0 vnet-node -f "$T/a.conf" --dot
	[[ ${lines[0]} == "digraph \"vnet-node ${LAB}a\" {" ]]
	[[ ${lines[-1]} == "}" ]]
	grep -q '"red-a/4" \[label="vnet-encap"\];' <<<"$output"
	grep -q '"underlay" -> "peer 198.18.0.2"' <<<"$output"
}

@test "status: a table, TSV and JSON that jq parses; metrics: the Prometheus text format, written whole" {
	need_root
	need_cmd jq
	lab_up
	run -0 node_status a
	echo "$output"
	[[ ${lines[0]} == WORKLOAD*PROGRAM*INSTANCE*PID*STATE*UPTIME*RESTARTS ]]
	[[ $output == *"red-a"*"vnet-encap"*"${LAB}a-red-a-encap"*"up"* ]]
	run -0 node_status a --tsv
	[ "$(awk -F'\t' '$1 == "chain"' <<<"$output" | wc -l)" -eq 2 ]
	[ "$(awk -F'\t' '$1 == "member" && NF == 8' <<<"$output" | wc -l)" -eq 8 ]
	awk -F'\t' '$1 == "counter" && $3 == "vnet-tap" && $5 == "tap_rx_frames"' <<<"$output" | grep -q .
	run -0 node_status a --json
	echo "$output" | jq -e --arg n "${LAB}a" '.node == $n and (.chains | length) == 2 and
		all(.chains[]; .state == "running" and .restarts == 0 and (.members | length) == 4) and
		all(.chains[].members[]; .pid > 0 and .state == "up" and (.counters | type) == "object")'
	# metrics: to stdout, and to a directory, renamed into place.
	run -0 on a vnet-node -f "$T/a.conf" metrics
	local m=$output
	mkdir "$T/prom"
	run -0 on a vnet-node -f "$T/a.conf" --metrics-dir "$T/prom" metrics
	[ "$(ls "$T/prom")" = "vnet-node-${LAB}a.prom" ]
	# Format: HELP and TYPE before each metric's samples, all of one metric
	# together, every sample NAME{LABELS} VALUE.
	awk '
		/^# HELP / { h[$3] = 1; next }
		/^# TYPE / { if (!($3 in h) || ($3 in seen)) exit 1; t[$3] = 1; cur = $3; next }
		{
			if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*",?)*\} [0-9]+$/) { print "bad: " $0; exit 1 }
			n = $0; sub(/\{.*/, "", n)
			if (n != cur) { print "not with its TYPE: " $0; exit 1 }
			seen[n] = 1
		}' <<<"$m"
	grep -q "^vnet_node_chain_up{node=\"${LAB}a\",workload=\"red-a\"} 1\$" <<<"$m"
	grep -q "^vnet_node_chain_restarts_total{node=\"${LAB}a\",workload=\"blue-a\"} 0\$" <<<"$m"
	grep -q "^vnet_stat{node=\"${LAB}a\",workload=\"red-a\",program=\"vnet-encap\",instance=\"${LAB}a-red-a-encap\",name=\"encap_packets\"} [0-9]*\$" <<<"$m"
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <<<"$m"
		promtool check metrics <"$T/prom/vnet-node-${LAB}a.prom"
	fi
	# A node that does not run: status says so, exit 1.
	printf '%s\n' "node ${LAB}q" 'underlay 198.18.0.9' >"$T/q.conf"
	run -1 --separate-stderr vnet-node -f "$T/q.conf" status
	[[ $stderr == *"node ${LAB}q is not running"* ]]
}

@test "SIGTERM leaves no tap, process or state behind; vnet-lab down no namespace" {
	need_root
	lab_up
	local pids p node_a
	pids=$(for h in a b c; do all_pids "$h"; done | awk '{ print $3 }')
	[ "$(wc -w <<<"$pids")" -eq 25 ]
	node_a=$("$LAB_BIN" pid "$T/lab" a)
	kill -TERM "$node_a"
	wait_for 100 gone "$node_a"
	# a's taps are gone, its underlay (the lab's) stays.
	[ -z "$(on a ip -o link show type tun)" ]
	on a ip link show u0 >/dev/null
	[ ! -e "$VNET_RUN/node-${LAB}a" ]
	grep -q 'vnet-node: notice: node .*a: stopping' "$VNET_RUN/lab-$LAB/a.log"
	"$LAB_BIN" down "$T/lab"
	for p in $pids; do
		gone "$p"
	done
	for h in a b c ul; do
		[ ! -e "/run/netns/$LAB-$h" ]
	done
	[ ! -e "$VNET_RUN/lab-$LAB" ]
	[ -z "$(ls "$VNET_RUN" | grep "^${LAB}" || true)" ]
}

@test "vnet-lab refuses a description it cannot run: addresses outside 198.18.0.0/15, duplicates" {
	printf '%s\n' "lab $LAB" 'host a 10.0.0.1/24' >"$T/bad.lab"
	run -2 --separate-stderr "$LAB_BIN" up "$T/bad.lab"
	[[ $stderr == *"bad.lab:2: underlay address 10.0.0.1/24 is not in 198.18.0.0/15"* ]]
	printf '%s\n' "lab $LAB" 'host a 198.18.0.1/24' 'host a 198.18.0.2/24' >"$T/bad.lab"
	run -2 --separate-stderr "$LAB_BIN" up "$T/bad.lab"
	[[ $stderr == *"bad.lab:3: host a given twice"* ]]
	[ ! -e "/run/netns/$LAB-a" ]
}

@test "a stage whose program offers --describe is run with it; a refusal names the workload's line" {
	# A vnet-encap that refuses VNI 200 in its --describe, in front of
	# the real one.
	mkdir -p "$T/bin"
	cat >"$T/bin/vnet-encap" <<-EOF
		#!/bin/sh
		case " \$* " in
		*" --help "*) "$VNET_BIN/vnet-encap" --help; echo '      --describe  the stage as JSON'; exit 0 ;;
		*" --vni 200 "*" --describe "*) echo 'vnet-encap: too big for the MTU' >&2; exit 2 ;;
		*" --describe "*) echo '{}'; exit 0 ;;
		esac
		exec "$VNET_BIN/vnet-encap" "\$@"
	EOF
	chmod +x "$T/bin/vnet-encap"
	write_lab
	run -2 --separate-stderr env PATH="$T/bin:$PATH" vnet-node -f "$T/a.conf" check
	[[ $stderr == *"$T/a.conf:9: workload blue-a: vnet-encap refuses its stage:"*"vnet-encap: too big for the MTU"* ]]
	# Without VNI 200 it passes; the programs without --describe are named.
	sed -i '/^workload blue-a/d' "$T/a.conf"
	run -0 --separate-stderr env PATH="$T/bin:$PATH" vnet-node -v -f "$T/a.conf" check
	# Every program offers --describe now: none is named as unchecked.
	[[ $stderr != *"no --describe in"* ]]
}

@test "keys: a sealed GENEVE lab from vnet.conf, no plaintext on the underlay; a new epoch by mv and SIGHUP reloads in place; sealed NVGRE is refused at its line" {
	need_root
	need_cmd tcpdump
	(umask 077 && vnet-encap keygen "$T/lab.keys" >/dev/null 2>&1)
	printf 'lab %s\nhost a 198.18.0.1/24 a.conf\nhost b 198.18.0.2/24 b.conf\n' "$LAB" >"$T/lab"
	local h n
	for n in 1 2; do
		h=$(printf '%s' ab | cut -c"$n")
		printf '%s\n' "node ${LAB}$h" "underlay 198.18.0.$n" "encap geneve" \
			"keys lab.keys" "peer 198.18.0.1" "peer 198.18.0.2" \
			"segment red vni 100" \
			"workload red-$h tap red segment red addr 198.19.1.$n/24" >"$T/$h.conf"
	done
	# The inner MTU leaves room for the seal: 1500 - 50 - 40.
	run -0 vnet-node -f "$T/a.conf" --dry-run
	[[ $output == *"--mtu 1410 red"* ]]
	[[ $output == *"-o udp:198.18.0.1:6081 --dstport 6081"* ]]
	[[ $output == *"--key-file $T/lab.keys"* ]]
	"$LAB_BIN" up "$T/lab"
	wait_for 50 pings a 198.19.1.2
	on b timeout 20 tcpdump -i u0 -U -c 6 -w "$T/ul.pcap" udp port 6081 2>"$T/td.log" &
	local td=$!
	wait_for 50 grep -q 'listening on' "$T/td.log"
	on a ping -c 3 -i 0.2 -W 1 -p 5a1e5a1e5a1e5a1e 198.19.1.2 >/dev/null
	wait "$td"
	# GENEVE packets were captured, and none holds the ping's pattern.
	[ "$(stat -c %s "$T/ul.pcap")" -gt 400 ]
	fails grep -q 5a1e5a1e5a1e5a1e <(od -An -tx1 -v "$T/ul.pcap" | tr -d ' \n')
	local before after
	before=$(all_pids a)
	# Rotation: a copy with a new epoch, moved in place, then SIGHUP.
	cp "$T/lab.keys" "$T/lab.keys.new"
	vnet-encap keygen "$T/lab.keys.new" >/dev/null 2>&1
	mv "$T/lab.keys.new" "$T/lab.keys"
	for h in a b; do
		kill -HUP "$("$LAB_BIN" pid "$T/lab" "$h")"
	done
	local st=$VNET_RUN/lab-$LAB
	wait_for 50 grep -q 'workload red-a: keys reloaded' "$st/a.log"
	wait_for 50 grep -q 'workload red-b: keys reloaded' "$st/b.log"
	run -0 on a vnet-ctl "${LAB}a-red-a-encap" keys
	[[ $output == *$'\n2\t'* ]]
	after=$(all_pids a)
	[ "$before" = "$after" ]
	pings a 198.19.1.2
	# A key file others may read is refused before anything starts.
	chmod 644 "$T/lab.keys"
	run -2 on a vnet-node -f "$T/a.conf" check
	[[ $output == *"workload red-a: vnet-encap refuses its stage"* ]]
	chmod 600 "$T/lab.keys"
	sed -i 's/^encap geneve/encap nvgre/' "$T/a.conf"
	run -2 on a vnet-node -f "$T/a.conf" check
	[[ $output == *"a.conf:4: keys: sealed NVGRE does not exist"* ]]
}
