#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 52-fabric-ctl: a control plane changes a running vnet-encap's FDB and
# flood lists one entry at a time through its control socket -- fdb-add,
# fdb-del, flood-add, flood-del, fabric-load, fabric -- without a restart
# (vnet-encap(8) Fabric entries, CONTROL).
#
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#   vnet-encap -i tap:vx0 ($T/a.sock)     vnet-encap -i tap:vx0 ($T/b.sock)
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#
# The VTEPs start with no --remote, so that nothing floods until the
# fabric says where to.  Sockets are under $BATS_TEST_TMPDIR (--control).

load lib
bats_require_minimum_version 1.5.0

setup() {
	need_root
	need_cmd jq ping
	T=$BATS_TEST_TMPDIR
	NAME=bats${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}
	B_ARGS=()
}

teardown() {
	vnet_teardown
}

# answers RC SOCK ARG... LINE: vnet-ctl SOCK ARG... (ctl, lib.bash)
# exits RC; 0: its answer is LINE; 1: it writes nothing to stdout and
# the one line "vnet-ctl: SOCK: LINE" to stderr.
answers() {
	local want=${*: -1} status=$1 got
	shift
	ctl "${@:1:$#-1}"
	[ "$rc" -eq "$status" ] || { echo "exit $rc, not $status"; return 1; }
	if [ "$status" -eq 0 ]; then
		got=$(head -1 "$T/out")
	else
		got=$(cat "$T/err")
		want="vnet-ctl: $1: $want"
		[ ! -s "$T/out" ] || { echo "stdout not empty"; return 1; }
	fi
	[ "$got" = "$want" ] || { echo "said '$got', not '$want'"; return 1; }
}

# ok SOCK ARG... REPLY: the command succeeds with the answer REPLY.
ok() {
	answers 0 "$@"
}

# refused SOCK ARG... ERROR: the command fails (exit 1) saying ERROR.
refused() {
	answers 1 "$@"
}

# counters SOCK: the counters of SOCK in $T/out.
counters() {
	timeout 20 vnet-ctl "$1" counters >"$T/out"
}

# no_fabric SOCK: the fabric set of SOCK is empty.
no_fabric() {
	ctl "$1" fabric
	[ "$rc" -eq 0 ] && [ ! -s "$T/out" ]
}

# vteps [A-ARGS...]: both VTEPs in VNI 100 without --remote (ARGS go to
# A's, those of the array B_ARGS to B's), the overlay up; macB is B's
# tap's.
vteps() {
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--vni 100 --name "fa-$NAME" --control "$T/a.sock" "$@"
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--vni 100 --name "fb-$NAME" --control "$T/b.sock" "${B_ARGS[@]}"
	overlay_up
	wait_for 50 test -S "$T/a.sock"
	wait_for 50 test -S "$T/b.sock"
	macB=$(ip -n "$B" -j link show vx0 | jq -r '.[0].address')
}

# pings: A reaches B over the overlay (bounded: 30 tries of 1 s).
pings() {
	wait_for 30 ip netns exec "$A" ping -c 1 -W 1 198.19.0.2
}

@test "flood-add on both VTEPs makes a VNI without --remote carry pings, flood-del stops its floods" {
	vteps
	fails ip netns exec "$A" ping -c 2 -i 0.3 -W 1 198.19.0.2
	counters "$T/a.sock"
	[ "$(val drop_no_remote)" -ge 1 ]
	[ "$(val fabric_flood)" = 0 ]

	ok "$T/a.sock" flood-add 100 198.18.0.2 "ok added"
	ok "$T/b.sock" flood-add 100 198.18.0.1 "ok added"
	pings
	ctl "$T/a.sock" fabric
	[ "$(cat "$T/out")" = "100	00:00:00:00:00:00	198.18.0.2	flood	-" ]
	ctl "$T/a.sock" fabric --json
	jq -e '.program == "vnet-encap" and (.fabric | length) == 1 and
		.fabric[0].vni == 100 and .fabric[0].remote == "198.18.0.2" and
		.fabric[0].type == "flood"' "$T/out"
	ctl "$T/a.sock" fdb
	grep -qx "100	00:00:00:00:00:00	198.18.0.2	flood	-" "$T/out"
	counters "$T/a.sock"
	[ "$(val fabric_flood)" = 1 ]
	[ "$(val fabric_entries)" = 0 ]
	[ "$(val fabric_changes)" = 1 ]
	[ "$(val flood_packets)" -ge 1 ]
	# The same entry again changes nothing.
	ok "$T/a.sock" flood-add 100 198.18.0.2 "ok added"
	counters "$T/a.sock"
	[ "$(val fabric_changes)" = 1 ]

	ok "$T/a.sock" flood-del 100 198.18.0.2 "ok deleted"
	no_fabric "$T/a.sock"
	ctl "$T/a.sock" fdb
	fails grep -q "	flood	" "$T/out"
	counters "$T/a.sock"
	[ "$(val fabric_flood)" = 0 ]
	[ "$(val fabric_changes)" = 2 ]
	local floods drops
	floods=$(val flood_packets)
	drops=$(val drop_no_remote)
	# A broadcast (ARP for an address nobody has) goes nowhere now.
	fails ip netns exec "$A" ping -c 1 -W 1 198.19.0.9
	counters "$T/a.sock"
	[ "$(val flood_packets)" = "$floods" ]
	[ "$(val drop_no_remote)" -gt "$drops" ]
	refused "$T/a.sock" flood-del 100 198.18.0.2 \
		"error: no fabric flood entry 100 198.18.0.2"
}

@test "fdb-add of B's tap MAC sends A's unicast to B with no flood list on A; fdb-del takes it away" {
	vteps
	# A floods nowhere: it reaches B by the fabric entry alone (and a
	# neighbour entry, so that it need not ask by ARP); B floods to A.
	ok "$T/a.sock" fdb-add 100 "$macB" 198.18.0.2 "ok added"
	ip -n "$A" neigh replace 198.19.0.2 lladdr "$macB" dev vx0 nud permanent
	ok "$T/b.sock" flood-add 100 198.18.0.1 "ok added"
	pings
	ctl "$T/a.sock" fdb
	grep -qx "100	$macB	198.18.0.2	static	-" "$T/out"
	ctl "$T/a.sock" fabric
	[ "$(cat "$T/out")" = "100	$macB	198.18.0.2	static	-" ]
	counters "$T/a.sock"
	[ "$(val fabric_entries)" = 1 ]
	[ "$(val fabric_changes)" = 1 ]
	[ "$(val flood_packets)" = 0 ]

	# Another remote for the key: unicast follows it (nobody is there),
	# and learning from B's packets does not take it back.
	ok "$T/a.sock" fdb-add 100 "$macB" 198.18.0.7 "ok added"
	fails ip netns exec "$A" ping -c 2 -i 0.3 -W 1 198.19.0.2
	ctl "$T/a.sock" fdb
	grep -qx "100	$macB	198.18.0.7	static	-" "$T/out"
	ok "$T/a.sock" fdb-add 100 "$macB" 198.18.0.2 "ok added"
	pings
	counters "$T/a.sock"
	[ "$(val fabric_changes)" = 3 ]

	ok "$T/a.sock" fdb-del 100 "$macB" "ok deleted"
	no_fabric "$T/a.sock"
	ctl "$T/a.sock" fdb
	fails grep -q "	$macB	.*static" "$T/out"
	counters "$T/a.sock"
	[ "$(val fabric_entries)" = 0 ]
	[ "$(val fabric_changes)" = 4 ]
	refused "$T/a.sock" fdb-del 100 "$macB" "error: no fabric entry 100 $macB"
}

@test "fabric-load replaces the whole fabric set at once; a bad file changes nothing and says FILE:LINE" {
	vteps
	ok "$T/b.sock" flood-add 100 198.18.0.1 "ok added"
	ok "$T/a.sock" flood-add 100 198.18.0.9 "ok added"
	printf '# the fabric of VNI 100\n100\t00:00:00:00:00:00\t198.18.0.2\n100 %s 198.18.0.2\n' \
		"$macB" >"$T/fabric.tsv"
	ok "$T/a.sock" fabric-load "$T/fabric.tsv" "ok 1 entries, 1 flood"
	grep -q "fabric-load $T/fabric.tsv: 1 entries, 1 flood" "$(log_of vnetA)"
	pings
	ctl "$T/a.sock" fabric
	[ "$(cat "$T/out")" = "100	$macB	198.18.0.2	static	-
100	00:00:00:00:00:00	198.18.0.2	flood	-" ]
	cp "$T/out" "$T/before"
	# The flood entry of before the load is gone, from the FDB too.
	ctl "$T/a.sock" fdb
	fails grep -q "198.18.0.9" "$T/out"
	counters "$T/a.sock"
	[ "$(val fabric_entries)" = 1 ]
	[ "$(val fabric_flood)" = 1 ]
	[ "$(val fabric_changes)" = 2 ]

	printf '100 00:00:00:00:00:00 198.18.0.3\n100 zz 198.18.0.2\n' >"$T/bad.tsv"
	refused "$T/a.sock" fabric-load "$T/bad.tsv" "refused: $T/bad.tsv:2: bad MAC 'zz'"
	printf '100 00:00:00:00:00:00 2001:db8::2\n' >"$T/bad6.tsv"
	refused "$T/a.sock" fabric-load "$T/bad6.tsv" \
		"refused: $T/bad6.tsv:1: remote 2001:db8::2 is IPv6, the underlay IPv4"
	refused "$T/a.sock" fabric-load "$T/missing.tsv" \
		"refused: $T/missing.tsv: No such file or directory"
	grep -q "fabric-load refused, the fabric entries stay: $T/bad.tsv:2: bad MAC 'zz'" \
		"$(log_of vnetA)"
	ctl "$T/a.sock" fabric
	cmp "$T/out" "$T/before"
	ctl "$T/a.sock" fdb
	fails grep -q "198.18.0.3" "$T/out"
	pings
	counters "$T/a.sock"
	[ "$(val fabric_changes)" = 2 ]

	# An empty file empties the set.
	: >"$T/empty.tsv"
	ok "$T/a.sock" fabric-load "$T/empty.tsv" "ok 0 entries, 0 flood"
	no_fabric "$T/a.sock"
	ctl "$T/a.sock" fdb
	fails grep -q "static\|flood" "$T/out"
}

@test "a reload keeps the fabric entries; --fdb and --remote win over them for the same key" {
	printf '100 02:00:00:00:00:aa 198.18.0.5\n100 00:00:00:00:00:00 198.18.0.2\n' >"$T/fdb.tsv"
	B_ARGS=(--remote 198.18.0.1)
	vteps --fdb "$T/fdb.tsv"
	ok "$T/a.sock" fdb-add 100 02:00:00:00:00:aa 198.18.0.6 "ok shadowed by --fdb"
	ok "$T/a.sock" fdb-add 100 02:00:00:00:00:bb 198.18.0.7 "ok added"
	ok "$T/a.sock" flood-add 100 198.18.0.2 "ok shadowed by --fdb"
	ok "$T/a.sock" flood-add 100 198.18.0.8 "ok added"
	ctl "$T/a.sock" fdb
	grep -qx "100	02:00:00:00:00:aa	198.18.0.5	static	-" "$T/out"
	grep -qx "100	02:00:00:00:00:bb	198.18.0.7	static	-" "$T/out"
	ctl "$T/a.sock" fabric
	grep -qx "100	02:00:00:00:00:aa	198.18.0.6	static	-" "$T/out"
	counters "$T/a.sock"
	[ "$(val fabric_entries)" = 2 ]
	[ "$(val fabric_flood)" = 2 ]
	pings

	# The file lets go of aa: on SIGHUP the fabric's comes in force.
	printf '100 00:00:00:00:00:00 198.18.0.2\n' >"$T/fdb.tsv"
	kill -HUP "$(pid_of vnetA)"
	wait_for 50 grep -q "reloaded $T/fdb.tsv: generation 2" "$(log_of vnetA)"
	ctl "$T/a.sock" fdb
	grep -qx "100	02:00:00:00:00:aa	198.18.0.6	static	-" "$T/out"
	grep -qx "100	02:00:00:00:00:bb	198.18.0.7	static	-" "$T/out"
	grep -qx "100	00:00:00:00:00:00	198.18.0.2	flood	-" "$T/out"
	grep -qx "100	00:00:00:00:00:00	198.18.0.8	flood	-" "$T/out"
	pings
	# And the file takes it back: its entry wins again, the fabric's
	# stays in the set.
	printf '100 02:00:00:00:00:aa 198.18.0.5\n100 00:00:00:00:00:00 198.18.0.2\n' >"$T/fdb.tsv"
	ok "$T/a.sock" reload "ok generation 3"
	ctl "$T/a.sock" fdb
	grep -qx "100	02:00:00:00:00:aa	198.18.0.5	static	-" "$T/out"
	grep -qx "100	00:00:00:00:00:00	198.18.0.8	flood	-" "$T/out"
	ctl "$T/a.sock" fabric
	[ "$(wc -l <"$T/out")" -eq 4 ]
	# A bad file is refused: what is in force stays, fabric entries too.
	printf '100 02:00:00:00:00:aa nowhere\n' >"$T/fdb.tsv"
	refused "$T/a.sock" reload "refused: $T/fdb.tsv:1: bad remote address 'nowhere'"
	ctl "$T/a.sock" fdb
	grep -qx "100	02:00:00:00:00:bb	198.18.0.7	static	-" "$T/out"
	grep -qx "100	00:00:00:00:00:00	198.18.0.8	flood	-" "$T/out"

	# Deleting a fabric entry the file has too leaves the file's.
	ok "$T/a.sock" fdb-del 100 02:00:00:00:00:aa "ok deleted, the --fdb entry stays"
	ctl "$T/a.sock" fdb
	grep -qx "100	02:00:00:00:00:aa	198.18.0.5	static	-" "$T/out"
	ok "$T/a.sock" flood-del 100 198.18.0.2 "ok deleted, the --fdb entry stays"
	ctl "$T/a.sock" fdb
	grep -qx "100	00:00:00:00:00:00	198.18.0.2	flood	-" "$T/out"
	pings
	# B's --remote floods to A in every VNI; a fabric entry for it is
	# shadowed, and its flood-del never stops B's floods.
	ok "$T/b.sock" flood-add 100 198.18.0.1 "ok shadowed by --remote"
	ok "$T/b.sock" flood-del 100 198.18.0.1 "ok deleted, the --remote entry stays"
	ctl "$T/b.sock" fdb
	grep -qx "# flood all VNIs: 198.18.0.1" "$T/out"
	ip -n "$A" neigh flush dev vx0
	ip -n "$B" neigh flush dev vx0
	pings
}

@test "bad arguments get a one-line error naming what is wrong and change nothing" {
	vteps
	local a=$T/a.sock
	refused "$a" fdb-add "error: usage: fdb-add VNI MAC REMOTE"
	refused "$a" fdb-add 100 02:00:00:00:00:01 "error: usage: fdb-add VNI MAC REMOTE"
	refused "$a" fdb-add 100 02:00:00:00:00:01 198.18.0.2 x "error: usage: fdb-add VNI MAC REMOTE"
	refused "$a" fdb-add x 02:00:00:00:00:01 198.18.0.2 "error: bad VNI 'x' (expected 0-16777215)"
	refused "$a" fdb-add 16777216 02:00:00:00:00:01 198.18.0.2 \
		"error: bad VNI '16777216' (expected 0-16777215)"
	# (-- ends vnet-ctl's options: -1 is the command's.)
	refused "$a" -- fdb-add -1 02:00:00:00:00:01 198.18.0.2 "error: bad VNI '-1' (expected 0-16777215)"
	refused "$a" fdb-add 100 02:00:00:00:01 198.18.0.2 "error: bad MAC '02:00:00:00:01'"
	refused "$a" fdb-add 100 02:00:00:00:00:01 198.18.0 "error: bad remote address '198.18.0'"
	refused "$a" fdb-add 100 00:00:00:00:00:00 198.18.0.2 \
		"error: MAC 00:00:00:00:00:00 is the flood list's: use flood-add VNI REMOTE"
	refused "$a" fdb-add 100 01:00:5e:00:00:01 198.18.0.2 \
		"error: MAC 01:00:5e:00:00:01 is a group address: a static entry is for one host (flood entries have MAC 00:00:00:00:00:00)"
	refused "$a" fdb-add 100 02:00:00:00:00:01 2001:db8::2 \
		"error: remote 2001:db8::2 is IPv6, the underlay IPv4"
	refused "$a" fdb-del 100 "error: usage: fdb-del VNI MAC"
	refused "$a" fdb-del 100 00:00:00:00:00:00 \
		"error: MAC 00:00:00:00:00:00 is the flood list's: use flood-del VNI REMOTE"
	refused "$a" fdb-del 100 02:00:00:00:00:01 "error: no fabric entry 100 02:00:00:00:00:01"
	refused "$a" flood-add 100 "error: usage: flood-add VNI REMOTE"
	refused "$a" flood-add 100 02:00:00:00:00:01 "error: bad remote address '02:00:00:00:00:01'"
	refused "$a" flood-add 100 2001:db8::2 "error: remote 2001:db8::2 is IPv6, the underlay IPv4"
	refused "$a" flood-add 100x 198.18.0.2 "error: bad VNI '100x' (expected 0-16777215)"
	refused "$a" flood-del 100 198.18.0.2 "error: no fabric flood entry 100 198.18.0.2"
	refused "$a" fabric-load "error: usage: fabric-load FILE"
	refused "$a" fabric-load a b "error: usage: fabric-load FILE"
	refused "$a" fabric 1 "error: fabric takes no arguments"
	# Nothing changed, and the VTEP is alive and answers.
	counters "$a"
	[ "$(val fabric_changes)" = 0 ]
	[ "$(val fabric_entries)" = 0 ]
	[ "$(val fabric_flood)" = 0 ]
	fails exited vnetA
	ctl "$a" help
	grep -qx "fdb-add	VNI MAC REMOTE	add or replace a fabric entry" "$T/out"
	for c in fabric fdb-del flood-add flood-del fabric-load; do
		grep -q "^$c	" "$T/out"
	done
}

@test "a fabric entry takes a learned one's place in a full FDB; one that does not fit is refused and nothing changes" {
	printf '100 02:00:00:00:00:aa 198.18.0.5\n100 00:00:00:00:00:00 198.18.0.2\n' >"$T/fdb.tsv"
	B_ARGS=(--remote 198.18.0.1)
	vteps --fdb "$T/fdb.tsv" --fdb-max 2
	pings
	ctl "$T/a.sock" fdb
	grep -q "^100	$macB	198.18.0.2	learned	" "$T/out"
	ok "$T/a.sock" fdb-add 100 02:00:00:00:00:bb 198.18.0.7 "ok added"
	ctl "$T/a.sock" fdb
	fails grep -q "	$macB	" "$T/out"
	grep -qx "100	02:00:00:00:00:bb	198.18.0.7	static	-" "$T/out"
	refused "$T/a.sock" fdb-add 100 02:00:00:00:00:cc 198.18.0.7 \
		"error: the FDB is full of static entries (--fdb-max 2)"
	# Another remote for a key that is there needs no room.
	ok "$T/a.sock" fdb-add 100 02:00:00:00:00:bb 198.18.0.8 "ok added"
	printf '100 02:00:00:00:00:cc 198.18.0.7\n100 02:00:00:00:00:dd 198.18.0.7\n' >"$T/big.tsv"
	refused "$T/a.sock" fabric-load "$T/big.tsv" \
		"refused: the --fdb and fabric entries do not fit together (--fdb-max 2 static entries, 4096 flood entries)"
	ctl "$T/a.sock" fabric
	[ "$(cat "$T/out")" = "100	02:00:00:00:00:bb	198.18.0.8	static	-" ]
	counters "$T/a.sock"
	[ "$(val fdb_entries)" = 2 ]
	[ "$(val fabric_entries)" = 1 ]
	[ "$(val fabric_changes)" = 2 ]
	# B's MAC is not learned into the full table: its frames flood, and
	# the pings go on.
	pings
	counters "$T/a.sock"
	[ "$(val fdb_overflow)" -ge 1 ]
}
