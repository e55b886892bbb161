#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 63-messages: what the programs say, in the user's terms, with the fix.
# A drop that a configuration explains is said once at the default
# verbosity, then only with -v; a bad port spec, a user that does not
# exist and a binary stream for a terminal are exit 2 before anything is
# written or created; a device that cannot be opened says why and what
# it takes.  Every message is checked by its text and its exit status.
#
# Offline: captures from mkpcap.py and acl/gen.py through vnet-encap and
# vnet-acl (stdin/stdout or pcap: files).  Taps: one namespace with lo
# only.  Terminals: script(1) runs the program on a pseudo-terminal.

load lib

setup() {
	need_cmd python3 timeout
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
	GEN="python3 $BATS_TEST_DIRNAME/acl/gen.py"
}

teardown() {
	vnet_teardown
}

# try CMD...: CMD under timeout 10, stdout to $T/out, stderr to $T/err,
# its status in $rc; fails when CMD hung or died of a signal.
try() {
	rc=0
	timeout 10 "$@" >"$T/out" 2>"$T/err" || rc=$?
	echo "\$ $* -> $rc"
	cat "$T/err"
	[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ]
}

# said N TEXT: the last command's stderr holds exactly N lines that are
# "PROG: TEXT".
said() {
	local n
	n=$(grep -cxF -- "$2" "$T/err" || true)
	[ "$n" -eq "$1" ] || { echo "'$2' said $n times, not $1" >&2; return 1; }
}

# on_tty CMD: run the shell command CMD with a pseudo-terminal for its
# stdin, stdout and stderr (script -e: CMD's status); what it wrote, CRs
# removed, in $T/tty, the status in $rc.
on_tty() {
	rc=0
	timeout 10 script -qec "$1" /dev/null >"$T/tty.raw" 2>&1 </dev/null || rc=$?
	tr -d '\r' <"$T/tty.raw" >"$T/tty"
	echo "\$ script -qec '$1' -> $rc"
	cat "$T/tty"
	[ "$rc" -ne 124 ]
}

ENCAP=(vnet-encap --local 198.18.0.1 --stats)

@test "vnet-encap says the first drop of each misconfiguration once, with its counter and fix" {
	$MKPCAP "$T/untagged.pcap" --count 3 --size 100
	$MKPCAP "$T/v100.pcap" --count 3 --size 100 --vlan 100
	$MKPCAP "$T/big.pcap" --count 3 --size 1514
	# No --vni: untagged frames have no VNI.
	try "${ENCAP[@]}" --map 200:5 -r 198.18.0.2 -i "pcap:$T/untagged.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_no_vni)" -eq 3 ]
	said 1 "vnet-encap: drop_no_vni: an untagged frame has no VNI: give --vni N, or tag it with a VLAN of --map"
	# VLAN 100 is not mapped.
	try "${ENCAP[@]}" --vni 7 -r 198.18.0.2 -i "pcap:$T/v100.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_unknown_vlan)" -eq 3 ]
	said 1 "vnet-encap: drop_unknown_vlan: VLAN 100 is not mapped to a VNI: add --map 100:VNI"
	# A 1514-byte frame and the default underlay MTU of 1500.
	try "${ENCAP[@]}" --vni 7 -r 198.18.0.2 -i "pcap:$T/big.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_too_big)" -eq 3 ]
	said 1 "vnet-encap: drop_too_big: a 1514-byte frame does not fit the underlay MTU 1500: lower the inner MTU to 1450 or raise --mtu"
	# No remote at all.
	try "${ENCAP[@]}" --vni 5001 -i "pcap:$T/untagged.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_no_remote)" -eq 3 ]
	said 1 "vnet-encap: drop_no_remote: no remote for VNI 5001: give --remote, an --fdb flood entry or flood-add 5001 REMOTE"
	# With -v the later ones are said too (three frames, a burst of five).
	try "${ENCAP[@]}" -v --vni 5001 -i "pcap:$T/untagged.pcap" </dev/null
	said 3 "vnet-encap: drop_no_remote: no remote for VNI 5001: give --remote, an --fdb flood entry or flood-add 5001 REMOTE"
	# A clean run says nothing.
	try "${ENCAP[@]}" --vni 7 -r 198.18.0.2 -i "pcap:$T/untagged.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(grep -vc '	' "$T/err")" -eq 0 ]
}

@test "an IPv6 remote in --fdb is dropped and counted in drop_family, said once; the VTEP goes on" {
	$MKPCAP "$T/u.pcap" --count 4 --size 100
	printf '7\t00:00:00:00:00:00\t2001:db8::2\n7\t00:00:00:00:00:00\t198.18.0.2\n' >"$T/fdb"
	try "${ENCAP[@]}" --vni 7 --fdb "$T/fdb" -i "pcap:$T/u.pcap" </dev/null
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_family)" -eq 4 ]
	# The IPv4 remote of the flood list still gets every frame.
	[ "$(counter "$T/err" encap_packets)" -eq 4 ]
	said 1 "vnet-encap: drop_family: remote 2001:db8::2 is IPv6, the underlay (--local 198.18.0.1) IPv4: give IPv4 remotes in --fdb"
}

@test "a VXLAN packet for a VNI not configured is said once, naming the VNI and the fix" {
	# Outer frames of VNI 5001 from 198.18.0.2 to 198.18.0.1; the VTEP
	# has VNI 7 only.  One-way ingress: outer frames on stdin.
	$MKPCAP "$T/outer.pcap" --count 3 --size 100 --vxlan 5001
	try vnet-encap --dir ingress --vni 7 --local 198.18.0.1 --stats \
		<"$T/outer.pcap" 3>&- 4>&-
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_unknown_vni)" -eq 3 ]
	said 1 "vnet-encap: drop_unknown_vni: VNI 5001 is not configured here: add --vni/--map, or check the peer's VNI (198.18.0.2)"
}

@test "vnet-acl says the first frame of each segment a default drops, once, and how to allow it" {
	printf 'group net prefix 198.19.0.0/16\nallow from net to net proto tcp port 80\n' >"$T/p.policy"
	$GEN make "$T/f.pcap" <<-'EOF'
		tcp 198.19.1.10:40001 198.19.1.20:9090 S
		tcp 198.19.1.10:40002 198.19.1.20:9091 S
		tcp 198.19.1.10:40003 198.19.1.20:80 S
		vlan 100 udp 198.19.2.30:5000 198.19.2.40:53
		vlan 100 udp 198.19.2.30:5001 198.19.2.40:53
	EOF
	try vnet-acl -p "$T/p.policy" --stats --clock pcap <"$T/f.pcap" 3>&- 4>&-
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" drop_default)" -eq 4 ]
	said 1 'vnet-acl: drop_default: segment 0: default deny dropped egress tcp 198.19.1.10:40001 > 198.19.1.20:9090 [S]; add a rule or `default allow`'
	said 1 'vnet-acl: drop_default: segment 100: default deny dropped egress udp 198.19.2.30:5000 > 198.19.2.40:53; add a rule or `default allow`'
	[ "$(grep -c 'drop_default:' "$T/err")" -eq 2 ]
	# A default line of the policy is named; with -v every drop is said.
	printf 'default reject\n' >>"$T/p.policy"
	try vnet-acl -v -p "$T/p.policy" --clock pcap <"$T/f.pcap" 3>&- 4>&-
	[ "$rc" -eq 0 ]
	[ "$(grep -c "drop_default: segment [0-9]*: default reject ($T/p.policy:3) dropped" "$T/err")" -eq 4 ]
	# --explain says nothing of the kind: its lines are the verdicts.
	try vnet-acl --explain -p "$T/p.policy" "$T/f.pcap"
	[ "$rc" -eq 0 ]
	fails grep -q drop_default "$T/err"
}

@test "a bad port spec is exit 2 in every program, before anything is written" {
	printf 'default deny\n' >"$T/p.policy"
	mkns ns n
	local spec cmd
	for spec in bogus:x tap: udp:198.18.0.1 'tap:vm0,mtu=1'; do
		for cmd in "vnet-acl -p $T/p.policy -l $spec" \
			"vnet-acl -p $T/p.policy -R $spec" \
			"vnet-flowexport --json - -l $spec" \
			"vnet-flowexport --json $T/j -R $spec" \
			"vnet-encap --vni 1 --local 198.18.0.1 -i $spec" \
			"vnet-tap $spec"; do
			# udp: is a good spec for vnet-encap's inner side only
			# by its syntax; vnet-tap wants tap:NAME.
			try ip netns exec "$ns" $cmd </dev/null 3>&- 4>&-
			[ "$rc" -eq 2 ] || { echo "$cmd: exit $rc"; return 1; }
			[ ! -s "$T/out" ] || { echo "$cmd: wrote to stdout"; return 1; }
			grep -qF "$spec" "$T/err"
		done
	done
	# The options the user wrote are named.
	try vnet-acl -p "$T/p.policy" -l bogus:x </dev/null
	grep -q "^vnet-acl: --left 'bogus:x': unknown port type" "$T/err"
	try vnet-flowexport --json "$T/j" -R udp:198.18.0.1 </dev/null
	grep -q "^vnet-flowexport: --right 'udp:198.18.0.1': a middle program takes a stream" "$T/err"
	# Nothing was created.
	[ "$(ip -n "$ns" -o link show | wc -l)" -eq 1 ]
}

@test "a one-way filter names stdin and stdout, not its sides" {
	printf 'default deny\n' >"$T/p.policy"
	printf 'hello world\n' >"$T/hello"
	try vnet-acl -p "$T/p.policy" <"$T/hello" 3>&- 4>&-
	[ "$rc" -eq 1 ]
	grep -q '^vnet-acl: stdin: unrecognized stream format (first bytes 68 65 6c 6c)' "$T/err"
	fails grep -q 'left\|right' "$T/err"
	try vnet-acl -p "$T/p.policy" --dir ingress <"$T/hello" 3>&- 4>&-
	[ "$rc" -eq 1 ]
	grep -q '^vnet-acl: stdin: unrecognized stream format' "$T/err"
	try vnet-flowexport --json /dev/null <"$T/hello" 3>&- 4>&-
	[ "$rc" -eq 1 ]
	grep -q '^vnet-flowexport: stdin: unrecognized stream format' "$T/err"
	try vnet-flowexport --sink --json /dev/null <"$T/hello"
	[ "$rc" -eq 1 ]
	grep -q '^vnet-flowexport: stdin: unrecognized stream format' "$T/err"
	# A capture FILE is named as given.
	try vnet-flowexport --json /dev/null "$T/hello"
	[ "$rc" -eq 1 ]
	grep -q "^vnet-flowexport: $T/hello: unrecognized stream format" "$T/err"
	# A stdout that cannot be written.
	$GEN make "$T/one.pcap" <<<'udp 198.19.1.10:5000 198.19.1.20:53'
	rc=0
	timeout 10 vnet-acl -p "$T/p.policy" <"$T/one.pcap" >/dev/full 2>"$T/err" 3>&- 4>&- || rc=$?
	cat "$T/err"
	[ "$rc" -eq 1 ]
	grep -q '^vnet-acl: write stream header to stdout: No space left on device' "$T/err"
}

@test "--vni without -o says what the outer side can be" {
	try vnet-encap --vni 5 </dev/null
	[ "$rc" -eq 2 ]
	grep -qx 'vnet-encap: --vni without -o: give -o udp:ADDR for the underlay, or --local ADDR for a frame stream' "$T/err"
	try vnet-encap --map 10:5 </dev/null
	[ "$rc" -eq 2 ]
	grep -qx 'vnet-encap: --map without -o: give -o udp:ADDR for the underlay, or --local ADDR for a frame stream' "$T/err"
	# A frame stream given with -o and no --local: that is what is missing.
	try vnet-encap --vni 5 -o - </dev/null
	[ "$rc" -eq 2 ]
	grep -qx 'vnet-encap: --local ADDR is needed when the outer side is a frame stream' "$T/err"
}

@test "a user that does not exist is exit 2 before a tap is made" {
	need_root
	mkns ns n
	local u=vnet-no-such-user-$$
	try ip netns exec "$ns" vnet-tap -u "$u" vm1 </dev/null
	[ "$rc" -eq 2 ]
	grep -qx "vnet-tap: -u/--user: no user '$u'" "$T/err"
	try ip netns exec "$ns" vnet-encap -u "$u" -i tap:vm2 -o udp:127.0.0.1 \
		--vni 1 -r 198.18.0.2 </dev/null
	[ "$rc" -eq 2 ]
	grep -qx "vnet-encap: -u/--user: no user '$u'" "$T/err"
	try ip netns exec "$ns" vnet-acl -p /dev/null -l tap:vm3 --user "$u" </dev/null
	[ "$rc" -eq 2 ]
	grep -qx "vnet-acl: -u/--user: no user '$u'" "$T/err"
	try ip netns exec "$ns" vnet-flowexport --json - -l tap:vm4 -u "$u" </dev/null
	[ "$rc" -eq 2 ]
	grep -qx "vnet-flowexport: -u/--user: no user '$u'" "$T/err"
	[ "$(ip -n "$ns" -o link show | wc -l)" -eq 1 ]
	# A user that exists goes on to open the tap.  (Its control socket
	# in $T: nobody may not remove it from /run/vnet.)
	try ip netns exec "$ns" vnet-tap --inject -u nobody \
		--control "$T/vm5.sock" vm5 </dev/null
	[ "$rc" -eq 0 ]
}

@test "a raw socket that cannot be opened says which capability it takes" {
	need_root
	need_cmd setpriv
	mkns ns n
	try ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups vnet-encap -o udp:127.0.0.1 --vni 1 \
		-r 198.18.0.2 </dev/null
	[ "$rc" -eq 1 ]
	grep -qx 'vnet-encap: open outer udp:127.0.0.1:4789: raw socket: Operation not permitted: needs CAP_NET_RAW (run as root or grant the capability)' "$T/err"
}

@test "a binary stream is refused on a terminal, exit 2, unless --force" {
	need_cmd script
	printf 'default deny\n' >"$T/p.policy"
	$MKPCAP "$T/u.pcap" --count 2 --size 100
	local want='stdout is a terminal: redirect it (| tcpdump -r -) or give --force'
	on_tty "vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 -i pcap:$T/u.pcap"
	[ "$rc" -eq 2 ]
	grep -qxF "vnet-encap: $want" "$T/tty"
	# Refused before anything was written: the message is all there is.
	[ "$(wc -l <"$T/tty")" -eq 1 ]
	on_tty "vnet-acl -p $T/p.policy 3>&- 4>&-"
	[ "$rc" -eq 2 ]
	grep -qxF "vnet-acl: $want" "$T/tty"
	on_tty "vnet-flowexport --json /dev/null 3>&- 4>&-"
	[ "$rc" -eq 2 ]
	grep -qxF "vnet-flowexport: $want" "$T/tty"
	# Another descriptor is named by its number.
	on_tty "vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 -i pcap:$T/u.pcap -o fd:5,1 5</dev/null"
	[ "$rc" -eq 2 ]
	grep -qF 'vnet-encap: stdout is a terminal' "$T/tty"
	on_tty "vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 -i pcap:$T/u.pcap -o fd:5,6 5</dev/null 6>&1"
	[ "$rc" -eq 2 ]
	grep -qxF 'vnet-encap: fd 6 is a terminal: redirect it (6>FILE) or give --force' "$T/tty"
	# --force writes it; so does a redirected stdout; JSON is text.
	on_tty "vnet-encap --force --vni 7 --local 198.18.0.1 -r 198.18.0.2 -i pcap:$T/u.pcap | od -An -tx1 -N4"
	[ "$rc" -eq 0 ]
	grep -q 'd4 c3 b2 a1' "$T/tty"
	on_tty "vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 -i pcap:$T/u.pcap >$T/o.pcap"
	[ "$rc" -eq 0 ]
	[ "$(stat -c %s "$T/o.pcap")" -gt 24 ]
	$GEN make "$T/ip.pcap" <<<'udp 198.19.1.10:5000 198.19.1.20:53'
	on_tty "vnet-flowexport --json - $T/ip.pcap"
	[ "$rc" -eq 0 ]
	grep -q '"packets":' "$T/tty"
}

@test "vnet-tap --capture refuses a terminal for stdout: exit 2, no tap made" {
	need_root
	need_cmd script
	mkns ns n
	on_tty "ip netns exec $ns vnet-tap --capture vm1"
	[ "$rc" -eq 2 ]
	grep -qxF 'vnet-tap: stdout is a terminal: redirect it (| tcpdump -r -) or give --force' "$T/tty"
	run ip -n "$ns" link show vm1
	[ "$status" -ne 0 ]
	# Two-way writes stdout too; --inject does not.
	on_tty "ip netns exec $ns vnet-tap vm1"
	[ "$rc" -eq 2 ]
	on_tty "ip netns exec $ns vnet-tap --inject vm1 </dev/null"
	[ "$rc" -eq 0 ]
	# --force: the tap is made and the stream written (one frame: -c 1
	# would wait for traffic, so stop on the header).
	on_tty "ip netns exec $ns timeout -s INT 1 vnet-tap --force --capture vm2 | od -An -tx1 -N4"
	grep -q 'd4 c3 b2 a1' "$T/tty"
}
