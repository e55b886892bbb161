#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 96-ctl: every long-running program answers on its control socket and
# vnet-ctl is its client (vnet(7) CONTROL SOCKET, vnet-ctl(8)).
#
#   overlay:  host A                              host B
#             vx0 198.19.0.1/24                   vx0 198.19.0.2/24
#             vnet-encap -i tap:vx0 ($T/a.sock)   vnet-encap -i tap:vx0
#             u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#   acl:      namespace L eth0 198.19.7.1  <->  namespace R eth0 198.19.7.2
#             vnet-pipe vnet-tap = vnet-acl ($T/acl.sock) = vnet-tap
#   others:   vnet-flowexport --sink and vnet-tap --capture, fed and
#             drained by the test; vnet-encap writing into a pipe that
#             nobody reads (its output full, its input paused).
#
# Every socket is under $BATS_TEST_TMPDIR (--control), except in the test
# of the default path, whose instance name is unique to this run; the
# programs remove their sockets at exit, teardown what is left.

load lib
bats_require_minimum_version 1.5.0

setup() {
	need_root
	need_cmd jq socat ping
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
	NAME=bats${BATS_ROOT_PID:-$$}-${BATS_TEST_NUMBER:-0}
}

teardown() {
	vnet_teardown
	rm -f "/run/vnet/$NAME.sock"
}

# ctl and val (lib.bash): vnet-ctl's answer in $T/out and $T/err.

# jqo FILTER: jq -e FILTER on $T/out.
jqo() {
	jq -e "$1" "$T/out" >/dev/null || { echo "jq -e '$1' failed"; return 1; }
}

overlay() {
	setup_hosts
	printf '# static entries\n' >"$T/fdb.tsv"
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 42 --fdb "$T/fdb.tsv" \
		--name "enc-$NAME" --control "$T/a.sock"
	bg vnetB ip netns exec "$B" vnet-encap -i tap:vx0 -o udp:198.18.0.2 \
		--remote 198.18.0.1 --vni 42 --control "$T/b.sock"
	overlay_up
	wait_for 50 test -S "$T/a.sock"
	wait_for 50 test -S "$T/b.sock"
}

@test "vnet-encap answers counters in TSV and JSON, its FDB after traffic, and describe" {
	overlay
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	macB=$(ip -n "$B" -j link show vx0 | jq -r '.[0].address')

	ctl "$T/a.sock" counters
	[ "$rc" -eq 0 ]
	[ "$(val program)" = vnet-encap ]
	[ "$(val instance)" = "enc-$NAME" ]
	[ "$(val pid)" = "$(pid_of vnetA)" ]
	[[ "$(val time)" =~ ^[0-9]+\.[0-9]{6}$ ]]
	[ "$(val encap_packets)" -ge 3 ]
	[ "$(val decap_frames)" -ge 3 ]
	ctl "$T/a.sock" counters --json
	[ "$rc" -eq 0 ]
	jqo '.program == "vnet-encap" and .instance == "enc-'"$NAME"'"'
	jqo '.time > 1600000000 and (.pid | type) == "number"'
	jqo '.counters.encap_packets >= 3 and .counters.drop_too_big == 0'
	# The two VTEPs are told apart by their answers.
	ctl "$T/b.sock" counters --json
	jqo '.instance != "enc-'"$NAME"'" and .program == "vnet-encap"'

	# The FDB learned B's tap behind B's VTEP: the --fdb-dump form.
	ctl "$T/a.sock" fdb
	[ "$rc" -eq 0 ]
	grep -q "^42	$macB	198.18.0.2	learned	[0-9]*\$" "$T/out"
	ctl "$T/a.sock" fdb --json
	jqo '.program == "vnet-encap" and (.fdb | length) >= 1'
	jqo '.fdb[] | select(.vni == 42 and .mac == "'"$macB"'" and
		.remote == "198.18.0.2" and .type == "learned" and
		(.age | type) == "number")'

	ctl "$T/a.sock" describe
	[ "$rc" -eq 0 ]
	[ "$(val program)" = vnet-encap ]
	[ "$(val inner)" = tap:vx0 ]
	[ "$(val outer)" = udp:198.18.0.1 ]
	[ "$(val vni)" = 42 ]
	[ "$(val mtu)" = 1500 ]
	[ "$(val dscp)" = copy ]
	[ "$(val ecn)" = normal ]
	[ "$(val local)" = 198.18.0.1 ]
	[ "$(val remotes)" = 198.18.0.2 ]
	[ "$(val control)" = "$T/a.sock" ]
	[ "$(val version)" = "$(vnet-encap --version | cut -d' ' -f2)" ]
	ctl "$T/a.sock" describe --json
	jqo '.vni == 42 and .dstport == 4789 and .map == null and .fdb == "'"$T/fdb.tsv"'"'
	jqo '.tos == null and .dscp == "copy" and .ecn == "normal"'
	# B was started without --name: its tap, in its namespace.
	ctl "$T/b.sock" describe
	[ "$(val instance)" = "vx0@$B" ]

	ctl "$T/a.sock" help
	[ "$rc" -eq 0 ]
	for c in help counters describe fdb reload; do
		grep -q "^$c	" "$T/out"
	done
}

@test "vnet-encap's reload answers ok generation N or refused: FILE:LINE: message" {
	overlay
	printf '42\t02:00:c6:13:00:99\t198.18.0.7\n' >"$T/fdb.tsv"
	ctl "$T/a.sock" reload
	[ "$rc" -eq 0 ]
	[ "$(head -1 "$T/out")" = "ok generation 2" ]
	ctl "$T/a.sock" fdb
	grep -qx "42	02:00:c6:13:00:99	198.18.0.7	static	-" "$T/out"
	# Logged at the default level (the VTEP runs without -v).
	grep -q "reloaded $T/fdb.tsv: generation 2" "$(log_of vnetA)"

	printf '42\t02:00:c6:13:00:98\t198.18.0.8\n42\tzz:00\t198.18.0.8\n' >"$T/fdb.tsv"
	ctl "$T/a.sock" reload
	[ "$rc" -eq 1 ]
	grep -qx "vnet-ctl: $T/a.sock: refused: $T/fdb.tsv:2: bad MAC 'zz:00'" "$T/err"
	[ ! -s "$T/out" ]
	ctl "$T/a.sock" fdb
	grep -q "02:00:c6:13:00:99" "$T/out"
	fails grep -q "02:00:c6:13:00:98" "$T/out"
	ctl "$T/a.sock" describe --json
	jqo '.generation == 2'
	grep -q "reload refused, old FDB kept: $T/fdb.tsv:2: bad MAC" "$(log_of vnetA)"

	# B has no --fdb: nothing to reload, said so.
	ctl "$T/b.sock" reload
	[ "$rc" -eq 1 ]
	grep -q "nothing to reload (no --fdb FILE)" "$T/err"
}

@test "clients that hang or send garbage never hold up the data path" {
	overlay
	ip netns exec "$A" ping -c 1 -W 2 198.19.0.2
	# Garbage and a request too long: an error, then the socket closes.
	run bash -c "printf 'fdb\\001\\n' | timeout 5 socat - UNIX-CONNECT:$T/a.sock"
	[ "$output" = "error: control character 0x01 in the request" ]
	run bash -c "head -c 4096 /dev/zero | tr '\\0' x | timeout 5 socat - UNIX-CONNECT:$T/a.sock"
	[ "$output" = "error: request longer than 512 bytes" ]
	run bash -c "echo 'counters --all' | timeout 5 socat - UNIX-CONNECT:$T/a.sock"
	[ "$output" = "error: unknown option '--all'" ]
	# The plain protocol: a status line, then the body.
	run bash -c "echo counters | timeout 5 socat - UNIX-CONNECT:$T/a.sock"
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = "program	vnet-encap" ]
	# Eight clients that say nothing take every place ...
	local i
	for i in 1 2 3 4 5 6 7 8; do
		bg "idle$i" bash -c "sleep 8 | socat - UNIX-CONNECT:$T/a.sock"
	done
	# ... the next is told so (exit 1), and the overlay goes on
	# meanwhile.  One call says both: the idle ones are let go 5 s after
	# they came, which a loaded machine may reach between two calls.
	wait_for 50 bash -c "vnet-ctl '$T/a.sock' counters >/dev/null 2>'$T/err'
		[ \$? -eq 1 ] && grep -q 'too many clients' '$T/err'"
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	# After VNET_CTL_TIMEOUT_MS (5 s) they are dropped.
	wait_for 80 vnet-ctl "$T/a.sock" counters
	ctl "$T/a.sock" counters
	[ "$rc" -eq 0 ]
}

@test "a program whose output is full, its inputs paused, still answers" {
	$MKPCAP "$T/in.pcap" --count 4000 --type udp --size 1000
	mkfifo "$T/pipe"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg reader bash -c 'exec sleep 60 <"$1"' _ "$T/pipe"
	# shellcheck disable=SC2016
	bg vnet_enc bash -c 'exec vnet-encap --vni 7 --local 198.18.0.1 \
		-r 198.18.0.2 --control "$3" <"$1" >"$2" 3>&- 4>&-' \
		_ "$T/in.pcap" "$T/pipe" "$T/e.sock"
	wait_for 50 test -S "$T/e.sock"
	# The pipe (64 KiB) holds a few dozen of the 4000 frames: the rest
	# wait, and the socket is asked meanwhile, more than once.
	for i in 1 2 3; do
		ctl "$T/e.sock" counters
		[ "$rc" -eq 0 ]
		[ "$(val inner_rx_frames)" -lt 4000 ]
		sleep 0.2
	done
	fails exited vnet_enc
}

# An L2 cable through vnet-acl between two namespaces.
acl_cable() {
	mkns L l
	mkns R r
	P=$T/acl.policy
	cat >"$P" <<-EOF
	# 96-ctl: TCP 8080 only
	allow from any to any proto tcp port 8080
	default deny
	EOF
	bg vnet_acl vnet-pipe \
		ip netns exec "$L" vnet-tap --control "$T/tl.sock" tap:eth0 = \
		vnet-acl -p "$P" --name "acl-$NAME" --control "$T/acl.sock" \
		--pidfile "$T/acl.pid" = \
		ip netns exec "$R" vnet-tap --control "$T/tr.sock" tap:eth0
	wait_link "$L" eth0
	wait_link "$R" eth0
	ip -n "$L" addr add 198.19.7.1/24 dev eth0
	ip -n "$R" addr add 198.19.7.2/24 dev eth0
	ip -n "$L" link set eth0 up
	ip -n "$R" link set eth0 up
	wait_for 50 test -s "$T/acl.pid"
}

@test "vnet-acl answers its connection table after a connection, and reload with the real answer" {
	acl_cable
	bg recv ip netns exec "$R" timeout 20 socat -u \
		TCP-LISTEN:8080,bind=198.19.7.2,reuseaddr "CREATE:$T/received"
	wait_for 50 bash -c "ip netns exec '$R' ss -ltn | grep -q ':8080 '"
	echo hello | ip netns exec "$L" timeout 10 socat -u - TCP:198.19.7.2:8080
	wait "$(pid_of recv)"
	[ "$(cat "$T/received")" = hello ]

	ctl "$T/acl.sock" ct
	[ "$rc" -eq 0 ]
	[ "$(awk -F'\t' '$2 == "tcp" && $3 == "198.19.7.1" && $5 == "198.19.7.2" && $6 == 8080 && $8 == "egress"' "$T/out" | wc -l)" -eq 1 ]
	ctl "$T/acl.sock" ct --json
	jqo '.program == "vnet-acl" and .instance == "acl-'"$NAME"'"'
	jqo '[.ct[] | select(.proto == "tcp" and .saddr == "198.19.7.1" and
		.daddr == "198.19.7.2" and .dport == 8080 and .pkts_o >= 3 and
		.pkts_r >= 2 and (.rule_id | type) == "number")] | length == 1'

	ctl "$T/acl.sock" counters
	[ "$rc" -eq 0 ]
	[ "$(val program)" = vnet-acl ]
	[ "$(val policy_generation)" = 1 ]
	[ "$(val "rule:$P:2:conns")" = 1 ]
	ctl "$T/acl.sock" counters --json
	jqo '.counters["rule:'"$P"':2:conns"] == 1 and .counters.ct_entries == 1'

	ctl "$T/acl.sock" describe
	[ "$(val policy)" = "$P" ]
	[ "$(val rules)" = 1 ]
	[ "$(val generation)" = 1 ]
	[ "$(val pidfile)" = "$T/acl.pid" ]

	# reload through the socket: the answer, and a log line without -v.
	echo "allow from any to any proto tcp port 9090" >>"$P"
	ctl "$T/acl.sock" reload
	[ "$rc" -eq 0 ]
	[ "$(head -1 "$T/out")" = "ok generation 2" ]
	[ "$(val rules)" = 2 ]
	grep -q "reloaded $P: 2 rules, generation 2, 0 connections revoked" \
		"$(log_of vnet_acl)"

	# vnet-acl --reload: by pid file (the socket its process listens
	# on), by socket; exit 0 and the daemon's answer.
	run vnet-acl --reload "$T/acl.pid"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "ok generation 3" ]
	run vnet-acl --reload "$T/acl.sock" -p "$P"
	[ "$status" -eq 0 ]
	[ "$output" = "ok generation 4" ]

	# A bad policy: the daemon refuses it, vnet-acl --reload says so
	# with its FILE:LINE and exits 1 (no -p: the daemon decides).
	echo "allow from any to dbs proto tcp port 1" >>"$P"
	bad=$(wc -l <"$P")
	run --separate-stderr vnet-acl --reload "$T/acl.pid"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "vnet-acl: reload $T/acl.pid: refused: $P:$bad: unknown group 'dbs'" ]
	ctl "$T/acl.sock" reload
	[ "$rc" -eq 1 ]
	grep -qx "vnet-ctl: $T/acl.sock: refused: $P:$bad: unknown group 'dbs'" "$T/err"
	ctl "$T/acl.sock" counters
	[ "$(val policy_generation)" = 4 ]
	[ "$(val reload_failed)" = 2 ]
	grep -q "reload refused: $P:$bad: unknown group 'dbs' (keeping generation 4)" \
		"$(log_of vnet_acl)"
}

@test "vnet-flowexport answers the flows in its cache" {
	mkfifo "$T/in"
	# (sh: a background job's stdin would be /dev/null)
	bg vnet_fe sh -c 'exec vnet-flowexport --sink --json "$1" \
		--control "$2" <"$3"' _ "$T/flows.json" "$T/fe.sock" "$T/in"
	# Opened after, so that closing it ends the input.
	exec {HOLD}>"$T/in"
	$MKPCAP - --type udp --count 5 --ip-src 198.19.3.1 --ip-dst 198.19.3.2 >&"$HOLD"
	wait_for 50 bash -c "vnet-ctl '$T/fe.sock' counters | grep -qx 'frames	5'"
	ctl "$T/fe.sock" flows
	[ "$rc" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 5 ]
	[ "$(awk -F'\t' '$1 == "-" && $3 == 17 && $4 == "198.19.3.1" && $6 == "198.19.3.2" && $7 == 7000 && $8 == 1' "$T/out" | wc -l)" -eq 5 ]
	cut -f5 "$T/out" | sort -n | tr '\n' ' ' | grep -qx '40000 40001 40002 40003 40004 '
	ctl "$T/fe.sock" flows --json
	jqo '.program == "vnet-flowexport" and (.flows | length) == 5'
	jqo 'all(.flows[]; .segment == null and .proto == 17 and .dport == 7000 and .packets == 1 and .bytes == 50)'
	ctl "$T/fe.sock" counters --json
	jqo '.counters.frames == 5 and .counters.flows_active == 5'
	ctl "$T/fe.sock" describe
	[ "$(val source)" = sink ]
	[ "$(val json)" = "$T/flows.json" ]
	# Nothing to reload.
	ctl "$T/fe.sock" reload
	[ "$rc" -eq 1 ]
	grep -q "unknown command 'reload'" "$T/err"
	exec {HOLD}>&-
	wait_for 50 exited vnet_fe
	[ ! -e "$T/fe.sock" ]
}

@test "vnet-tap answers counters and describe; SIGUSR1 still writes the counters" {
	mkns N n
	bg vnet_tap ip netns exec "$N" sh -c \
		"exec vnet-tap --capture --control '$T/t.sock' tap:vm0,mtu=1400 >/dev/null"
	wait_link "$N" vm0
	wait_for 50 test -S "$T/t.sock"
	ctl "$T/t.sock" describe
	[ "$rc" -eq 0 ]
	[ "$(val program)" = vnet-tap ]
	[ "$(val instance)" = "vm0@$N" ]
	[ "$(val tap)" = vm0 ]
	[ "$(val mode)" = capture ]
	[ "$(val mtu)" = 1400 ]
	ctl "$T/t.sock" counters --json
	jqo '.program == "vnet-tap" and (.counters | has("tap_rx_frames"))'
	usr1 vnet_tap
	grep -q '^tap_rx_frames	' "$(log_of vnet_tap)"
	ctl "$T/t.sock" fdb
	[ "$rc" -eq 1 ]
	grep -q "unknown command 'fdb'" "$T/err"
}

# An instance that runs until stopped: vnet-flowexport --sink on a FIFO
# this shell holds open.  sink NAME ARG...
sink() {
	local n=$1
	shift
	[ -p "$T/in" ] || mkfifo "$T/in"
	[ -n "${HOLD:-}" ] || exec {HOLD}<>"$T/in"
	# (sh: a background job's stdin would be /dev/null)
	bg "$n" sh -c 'in=$1; shift; exec vnet-flowexport --sink \
		--json /dev/null "$@" <"$in"' _ "$T/in" "$@"
}

@test "vnet-ctl list shows each instance's name, program, pid and whether it is alive" {
	mkdir "$T/run"
	sink vnet_one --name one --control "$T/run/one.sock"
	sink vnet_two --control "$T/run/two.sock"
	wait_for 50 test -S "$T/run/one.sock"
	wait_for 50 test -S "$T/run/two.sock"
	ctl list "$T/run"
	[ "$rc" -eq 0 ]
	[ "$(sed -n 1p "$T/out")" = "one	vnet-flowexport	$(pid_of vnet_one)	yes" ]
	[ "$(sed -n 2p "$T/out")" = "two	vnet-flowexport	$(pid_of vnet_two)	yes" ]
	ctl --json list "$T/run"
	jqo '.instances | length == 2'
	jqo '.instances[1] | .name == "two" and .alive and .control == "'"$T/run/two.sock"'"'
	# An instance that died without cleaning up: dead.
	kill -KILL "$(pid_of vnet_two)"
	wait "$(pid_of vnet_two)" || :
	ctl list "$T/run"
	[ "$(sed -n 2p "$T/out")" = "two	-	-	no" ]
	ctl "$T/run/two.sock" counters
	[ "$rc" -eq 1 ]
	grep -q "not running" "$T/err"
}

@test "a stale socket is replaced, a live one refused with exit 1, --control none makes none" {
	# A socket nothing listens on (its program was killed).
	sink dead --control "$T/s.sock"
	wait_for 50 test -S "$T/s.sock"
	kill -KILL "$(pid_of dead)"
	wait "$(pid_of dead)" || :
	[ -S "$T/s.sock" ]
	sink vnet_new --control "$T/s.sock"
	wait_for 50 vnet-ctl "$T/s.sock" describe
	ctl "$T/s.sock" describe
	[ "$(val pid)" = "$(pid_of vnet_new)" ]
	# The same path while it lives: refused, exit 1.
	run --separate-stderr timeout 10 vnet-flowexport --sink --json /dev/null \
		--control "$T/s.sock" </dev/null
	[ "$status" -eq 1 ]
	[ "$stderr" = "vnet-flowexport: control socket $T/s.sock: in use by a running program (give another --name or --control)" ]
	ctl "$T/s.sock" describe
	[ "$rc" -eq 0 ]
	# A path that is not a socket is left alone.
	: >"$T/file"
	run --separate-stderr timeout 10 vnet-flowexport --sink --json /dev/null \
		--control "$T/file" </dev/null
	[ "$status" -eq 1 ]
	[[ $stderr == *"$T/file: exists and is not a socket"* ]]
	# --control none: no socket at all.
	mkdir "$T/none"
	run --separate-stderr bash -c "cd '$T/none' && vnet-flowexport --sink --json /dev/null --control none </dev/null"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$T/none")" ]
	# Bad names and paths are usage errors.
	run --separate-stderr vnet-flowexport --sink --json /dev/null --name 'a/b'
	[ "$status" -eq 2 ]
	[[ $stderr == *"--name: 'a/b' is not an instance name"* ]]
}

@test "by default the socket is /run/vnet/NAME.sock, mode 0600, and goes at exit" {
	sink vnet_def --name "$NAME"
	wait_for 50 test -S "/run/vnet/$NAME.sock"
	[ "$(stat -c %a /run/vnet)" = 755 ]
	[ "$(stat -c %a "/run/vnet/$NAME.sock")" = 600 ]
	ctl "$NAME" describe
	[ "$rc" -eq 0 ]
	[ "$(val instance)" = "$NAME" ]
	[ "$(val control)" = "/run/vnet/$NAME.sock" ]
	ctl list
	grep -qx "$NAME	vnet-flowexport	$(pid_of vnet_def)	yes" "$T/out"
	stop vnet_def
	[ ! -e "/run/vnet/$NAME.sock" ]
	ctl "$NAME" describe
	[ "$rc" -eq 1 ]
	grep -q "vnet-ctl: $NAME: no such instance" "$T/err"
	# A user who may not write to /run/vnet runs without a socket (and
	# says so with -v), unless it asked for one with --control.
	local fe
	fe=$(command -v vnet-flowexport)
	if runuser -u nobody -- test -x "$fe"; then
		run --separate-stderr runuser -u nobody -- "$fe" -v --sink \
			--json /dev/null </dev/null
		[ "$status" -eq 0 ]
		[[ $stderr == *"no control socket: /run/vnet/vnet-flowexport-"*".sock: Permission denied"* ]]
		run --separate-stderr runuser -u nobody -- "$fe" --sink \
			--json /dev/null --control "/run/vnet/$NAME.sock" </dev/null
		[ "$status" -eq 1 ]
		[ "$stderr" = "vnet-flowexport: control socket /run/vnet/$NAME.sock: Permission denied" ]
	fi
}

@test "vnet-ctl exits 2 on a usage error, 1 when nothing answers" {
	ctl
	[ "$rc" -eq 2 ]
	grep -q "no NAME given" "$T/err"
	ctl somename
	[ "$rc" -eq 2 ]
	grep -q "no COMMAND given" "$T/err"
	ctl 'bad name' counters
	[ "$rc" -eq 2 ]
	ctl --timeout 0 x counters
	[ "$rc" -eq 2 ]
	ctl list a b
	[ "$rc" -eq 2 ]
	ctl "$T/nothing.sock" counters
	[ "$rc" -eq 1 ]
	grep -q "vnet-ctl: $T/nothing.sock: no such instance" "$T/err"
	ctl list "$T/nothing"
	[ "$rc" -eq 1 ]
}
