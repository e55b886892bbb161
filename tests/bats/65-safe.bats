#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 65-safe: nothing hijacked, nothing lost silently.  A second VTEP on an
# address and port in use, or a second instance on a pid file in use, is
# refused at start and the first one goes on untouched; a dump on a full
# disk leaves the last dump as it was and says so; paths that cannot be
# written are refused at start.
#
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#     vnet-encap udp:198.18.0.1:4789        vnet-encap udp:198.18.0.2
#     (a second one on the same port: refused)
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#
#   full disk: ns N (lo only), vnet-encap in a mount namespace of its own
#   (unshare -m) with a 64 KiB tmpfs on $T/full holding --fdb-dump.

load lib

setup() {
	need_root
	need_cmd ping unshare nsenter mount
	T=$BATS_TEST_TMPDIR
}

teardown() {
	vnet_teardown
}

overlay() {
	vteps_vni100 "$@"
}

# try CMD...: run CMD under timeout, stdout to $T/out, stderr to $T/err
# (shown), its status in $rc; fails when CMD hung.  Descriptors 3 and 4
# (bats's) are closed: a middle program would take them for its right
# side.
try() {
	rc=0
	timeout 10 "$@" >"$T/out" 2>"$T/err" 3>&- 4>&- || rc=$?
	echo "\$ $* -> $rc"
	cat "$T/err"
	[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ]
}

err_has() {
	grep -qF -- "$1" "$T/err"
}

# bg_in NAME IN CMD...: bg NAME CMD with standard input from IN (a
# background command's own would be /dev/null), standard output to
# /dev/null, and no descriptors 3 and 4 (a middle program would take
# bats's for its right side).
bg_in() {
	local name=$1 in=$2
	shift 2
	bg "$name" bash -c 'i=$1; shift; exec "$@" <"$i" >/dev/null 3>&- 4>&-' \
		_ "$in" "$@"
}

# received FILE: the replies ping counted in its summary.
received() {
	sed -n 's/.* transmitted, \([0-9]*\) received.*/\1/p' "$1"
}

@test "a second vnet-encap on an address and port in use exits 1 naming them; the overlay keeps carrying ping" {
	overlay
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	# Ping goes on while second VTEPs try to take the port: the same
	# address, and the wildcard, which overlaps it.
	ip netns exec "$A" ping -c 10 -i 0.2 -W 2 198.19.0.2 >"$T/ping" 2>&1 &
	local ping=$!
	try ip netns exec "$A" vnet-encap -i tap:vx9 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 100
	[ "$rc" -eq 1 ]
	err_has "vnet-encap: open outer udp:198.18.0.1:4789: bind: Address already in use (another VTEP or process holds it; ss -ulpn)"
	try ip netns exec "$A" vnet-encap -i tap:vx9 -o udp:0.0.0.0 \
		--remote 198.18.0.2 --vni 100
	[ "$rc" -eq 1 ]
	err_has "open outer udp:0.0.0.0:4789: bind: Address already in use"
	# Refused before it made a tap.
	fails ip -n "$A" link show vx9 2>/dev/null
	wait "$ping"
	cat "$T/ping"
	[ "$(received "$T/ping")" -ge 9 ]
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	fails exited vnetA
}

@test "a kernel VXLAN device on the port in the same namespace is not shared either" {
	setup_hosts
	ip -n "$A" link add vxk type vxlan id 5 dstport 4789 \
		local 198.18.0.1 dev u0
	ip -n "$A" link set vxk up
	try ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 5
	[ "$rc" -eq 1 ]
	err_has "open outer udp:198.18.0.1:4789: bind: Address already in use (another VTEP or process holds it; ss -ulpn)"
	# On another port it runs.
	bg vnetA ip netns exec "$A" vnet-encap -i tap:vx0 -o udp:198.18.0.1 \
		--remote 198.18.0.2 --vni 5 --dstport 4790
	wait_link "$A" vx0
	fails exited vnetA
}

@test "a second vnet-encap with the same pid file exits 1 naming the holder; the first keeps its pid file and dump" {
	overlay --pidfile "$T/a.pid" --fdb-dump "$T/fdb.tsv"
	wait_for 50 test -s "$T/a.pid"
	[ "$(cat "$T/a.pid")" = "$(pid_of vnetA)" ]
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	usr1 vnetA
	wait_for 50 grep -q learned "$T/fdb.tsv"
	cp "$T/fdb.tsv" "$T/fdb.before"
	# Another port, so that only the pid file stands in its way; the
	# same dump file, which it must not write.
	try ip netns exec "$A" vnet-encap -i tap:vx9 -o udp:198.18.0.1 \
		--dstport 4790 --remote 198.18.0.2 --vni 100 \
		--pidfile "$T/a.pid" --fdb-dump "$T/fdb.tsv"
	[ "$rc" -eq 1 ]
	err_has "vnet-encap: pidfile $T/a.pid: held by pid $(pid_of vnetA): another instance is running"
	[ "$(cat "$T/a.pid")" = "$(pid_of vnetA)" ]
	cmp "$T/fdb.tsv" "$T/fdb.before"
	fails ip -n "$A" link show vx9 2>/dev/null
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	# Its owner removes it at exit.
	stop vnetA
	[ ! -e "$T/a.pid" ]
}

@test "vnet-tap, vnet-acl and vnet-flowexport refuse a pid file in use; a stale one is taken over" {
	local ns p
	mkns ns p
	mkfifo "$T/in"
	exec 7<>"$T/in" # a writer that never writes: the inputs stay open
	bg vnetT ip netns exec "$ns" vnet-tap --capture --pidfile "$T/t.pid" \
		t0 >/dev/null
	# (Its control socket in $T: killed, it leaves it behind.)
	bg_in doomedL "$T/in" vnet-acl -v -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--pidfile "$T/l.pid" --control "$T/l.sock"
	bg_in vnetF "$T/in" vnet-flowexport --sink --json "$T/f.json" \
		--pidfile "$T/f.pid"
	for p in t l f; do
		wait_for 50 test -s "$T/$p.pid"
	done
	[ "$(cat "$T/t.pid")" = "$(pid_of vnetT)" ]
	[ "$(cat "$T/l.pid")" = "$(pid_of doomedL)" ]
	[ "$(cat "$T/f.pid")" = "$(pid_of vnetF)" ]
	try ip netns exec "$ns" vnet-tap --capture --pidfile "$T/t.pid" t1
	[ "$rc" -eq 1 ]
	err_has "vnet-tap: pidfile $T/t.pid: held by pid $(pid_of vnetT): another instance is running"
	fails ip -n "$ns" link show t1 2>/dev/null
	try vnet-acl -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--pidfile "$T/l.pid" </dev/null
	[ "$rc" -eq 1 ]
	err_has "vnet-acl: pidfile $T/l.pid: held by pid $(pid_of doomedL): another instance is running"
	try vnet-flowexport --sink --json "$T/g.json" --pidfile "$T/f.pid" \
		</dev/null
	[ "$rc" -eq 1 ]
	err_has "vnet-flowexport: pidfile $T/f.pid: held by pid $(pid_of vnetF): another instance is running"
	[ ! -e "$T/g.json" ]
	# The files are the first ones' still, and --reload finds its own.
	[ "$(cat "$T/t.pid")" = "$(pid_of vnetT)" ]
	[ "$(cat "$T/l.pid")" = "$(pid_of doomedL)" ]
	[ "$(cat "$T/f.pid")" = "$(pid_of vnetF)" ]
	try vnet-acl --reload "$T/l.pid"
	[ "$rc" -eq 0 ]
	wait_for 50 grep -q "reloaded" "$(log_of doomedL)"
	# A vnet-acl killed (doomedL: teardown does not ask it for status 0)
	# leaves a stale file: --reload will not signal
	# the pid in it (here another vnet-acl, without a pid file), and the
	# next instance takes the file over.
	kill -KILL "$(pid_of doomedL)"
	wait "$(pid_of doomedL)" || :
	[ -e "$T/l.pid" ]
	bg_in vnetM "$T/in" vnet-acl -v -p "$BATS_TEST_DIRNAME/acl/good.policy"
	wait_for 50 test -e "/proc/$(pid_of vnetM)/comm"
	wait_for 50 grep -qx vnet-acl "/proc/$(pid_of vnetM)/comm"
	echo "$(pid_of vnetM)" >"$T/l.pid"
	try vnet-acl --reload "$T/l.pid"
	[ "$rc" -eq 1 ]
	err_has "$T/l.pid: stale: no process holds it"
	fails grep -q "reloaded" "$(log_of vnetM)"
	bg_in vnetN "$T/in" vnet-acl -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--pidfile "$T/l.pid"
	wait_for 50 bash -c "[ \"\$(cat '$T/l.pid')\" = $(pid_of vnetN) ]"
	fails exited vnetN
	# Each owner removes its own at exit.
	stop vnetT
	stop vnetF
	stop vnetN
	[ ! -e "$T/t.pid" ] && [ ! -e "$T/f.pid" ] && [ ! -e "$T/l.pid" ]
	exec 7>&-
}

@test "an FDB dump on a full disk leaves the old dump byte for byte, names ENOSPC, and the VTEP goes on" {
	local ns
	mkns ns n
	mkdir "$T/full"
	printf '5\t02:00:c6:13:00:01\t198.18.0.2\n' >"$T/fdb.tsv"
	# vnet-encap in a mount namespace of its own, the tmpfs mounted
	# there only; the test looks in through nsenter.
	bg vnetF ip netns exec "$ns" unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o size=64k vnet-full "$1" && shift &&
			exec "$@"' sh "$T/full" \
		vnet-encap -v -i tap:vx0 -o udp:127.0.0.1 --remote 127.0.0.2 \
		--vni 5 --fdb "$T/fdb.tsv" --fdb-dump "$T/full/fdb.tsv"
	wait_link "$ns" vx0
	inns() { nsenter -t "$(pid_of vnetF)" -m -- "$@"; }
	inns mountpoint -q "$T/full"
	usr1 vnetF
	wait_for 50 inns grep -q 02:00:c6:13:00:01 "$T/full/fdb.tsv"
	inns cat "$T/full/fdb.tsv" >"$T/dump.1"
	# A new static entry: the next dump would differ.
	printf '5\t02:00:c6:13:00:02\t198.18.0.3\n' >>"$T/fdb.tsv"
	kill -HUP "$(pid_of vnetF)"
	wait_for 50 grep -q "reloaded $T/fdb.tsv" "$(log_of vnetF)"
	# Fill the disk to the last byte.
	inns dd if=/dev/zero of="$T/full/fill" bs=4096 2>/dev/null || :
	inns dd if=/dev/zero of="$T/full/fill" bs=1 oflag=append \
		conv=notrunc 2>/dev/null || :
	usr1 vnetF
	wait_for 50 grep -q "No space left on device" "$(log_of vnetF)"
	cat "$(log_of vnetF)"
	grep -qF "vnet-encap: fdb dump $T/full/fdb.tsv: write: No space left on device (the file is left as it was)" \
		"$(log_of vnetF)"
	inns cat "$T/full/fdb.tsv" | cmp - "$T/dump.1"
	[ "$(inns ls -A "$T/full" | tr '\n' ' ')" = "fdb.tsv fill " ]
	fails exited vnetF
	# Space again: the next dump goes through, with the new entry.
	inns rm "$T/full/fill"
	usr1 vnetF
	wait_for 50 inns grep -q 02:00:c6:13:00:02 "$T/full/fdb.tsv"
	[ "$(inns ls -A "$T/full")" = "fdb.tsv" ]
	[ "$(grep -c "No space left" "$(log_of vnetF)")" -eq 1 ]
	fails exited vnetF
	# Full again at SIGTERM: the dump at exit fails, the file is the
	# last good one, and the exit status says so (1).
	inns cat "$T/full/fdb.tsv" >"$T/dump.2"
	inns dd if=/dev/zero of="$T/full/fill" bs=4096 2>/dev/null || :
	inns dd if=/dev/zero of="$T/full/fill" bs=1 oflag=append \
		conv=notrunc 2>/dev/null || :
	inns cat "$T/full/fdb.tsv" | cmp - "$T/dump.2"
	stop_expect vnetF 1
}

@test "dump and pid file paths that cannot be written are refused at start with exit 2 naming the path" {
	local ns
	mkns ns p
	: >"$T/afile"
	E=(ip netns exec "$ns" vnet-encap -i tap:vx0 -o udp:127.0.0.1 --vni 5)
	try "${E[@]}" --fdb-dump "$T/nodir/fdb.tsv"
	[ "$rc" -eq 2 ]
	err_has "vnet-encap: --fdb-dump $T/nodir/fdb.tsv: directory $T/nodir does not exist"
	try "${E[@]}" --fdb-dump "$T"
	[ "$rc" -eq 2 ]
	err_has "vnet-encap: --fdb-dump $T: is a directory"
	try "${E[@]}" --fdb-dump "$T/afile/fdb.tsv"
	[ "$rc" -eq 2 ]
	err_has "vnet-encap: --fdb-dump $T/afile/fdb.tsv: $T/afile is not a directory"
	try "${E[@]}" --fdb-dump /dev/null
	[ "$rc" -eq 2 ]
	err_has "vnet-encap: --fdb-dump /dev/null: not a regular file"
	try "${E[@]}" --pidfile "$T/nodir/e.pid"
	[ "$rc" -eq 2 ]
	err_has "vnet-encap: --pidfile $T/nodir/e.pid: directory $T/nodir does not exist"
	try ip netns exec "$ns" vnet-tap --pidfile "$T/nodir/t.pid" t0
	[ "$rc" -eq 2 ]
	err_has "vnet-tap: --pidfile $T/nodir/t.pid: directory $T/nodir does not exist"
	try vnet-acl -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--ct-dump "$T/nodir/ct.tsv" </dev/null
	[ "$rc" -eq 2 ]
	err_has "vnet-acl: --ct-dump $T/nodir/ct.tsv: directory $T/nodir does not exist"
	try vnet-acl -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--pidfile "$T" </dev/null
	[ "$rc" -eq 2 ]
	err_has "vnet-acl: --pidfile $T: is a directory"
	try vnet-flowexport --sink --json "$T/f.json" \
		--pidfile "$T/nodir/f.pid" </dev/null
	[ "$rc" -eq 2 ]
	err_has "vnet-flowexport: --pidfile $T/nodir/f.pid: directory $T/nodir does not exist"
	# A read-only file system: writable for no one, root included.
	mkdir "$T/ro"
	try unshare -m --propagation private sh -c \
		'mount -t tmpfs -o ro,size=64k vnet-ro "$1" && shift &&
		exec "$@"' sh "$T/ro" \
		vnet-acl -p "$BATS_TEST_DIRNAME/acl/good.policy" \
		--ct-dump "$T/ro/ct.tsv"
	[ "$rc" -eq 2 ]
	err_has "vnet-acl: --ct-dump $T/ro/ct.tsv: directory $T/ro is not writable: Read-only file system"
	# Nothing was made on the way.
	fails ip -n "$ns" link show vx0 2>/dev/null
	fails ip -n "$ns" link show t0 2>/dev/null
	[ ! -e "$T/f.json" ]
}
