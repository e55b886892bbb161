#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 30-pipe.bats -- vnet-pipe: wiring, signals, lifetime, exit status, usage.
#
# Members are small bash scripts; no namespaces, no root.  The wiring under
# test (dpipe's convention):
#
#   A = B        A fd 1 ---> fd 0 B
#                A fd 0 <--- fd 1 B
#
#   A = B = C    A fd 1 ---> fd 0 B fd 4 ---> fd 0 C
#                A fd 0 <--- fd 1 B fd 3 <--- fd 1 C
#
# Every wait polls with a 5 s bound; a foreground vnet-pipe runs under
# timeout(1), a background one is ended by teardown (by its PID) and its
# members follow it through their parent-death signal.

bats_require_minimum_version 1.5.0

setup() {
	VNET_BIN=${VNET_BIN:-$BATS_TEST_DIRNAME/../../build/bin}
	PIPE=$VNET_BIN/vnet-pipe
	T=$BATS_TEST_TMPDIR
	bg_pid=
	if [ ! -x "$PIPE" ]; then
		echo "$PIPE is missing: run make" >&2
		return 1
	fi
}

teardown() {
	if [ -n "$bg_pid" ] && ! pipe_done; then
		kill -TERM "$bg_pid" 2>/dev/null || true
		wait_for pipe_done || kill -KILL "$bg_pid" 2>/dev/null || true
	fi
}

# Run "$@" up to 50 times, 0.1 s apart, until it succeeds.
wait_for() {
	local i
	for ((i = 0; i < 50; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

all_exist() {
	local f
	for f; do
		[ -e "$f" ] || return 1
	done
}

# Start vnet-pipe in the background, output in $T/out and $T/err.
start_pipe() {
	"$PIPE" "$@" >"$T/out" 2>"$T/err" 3>&- &
	bg_pid=$!
}

# True once the background vnet-pipe has exited (a zombie until waited for).
pipe_done() {
	local state
	read -r _ _ state _ <"/proc/$bg_pid/stat" 2>/dev/null || return 0
	[ "$state" = Z ]
}

# Wait for the background vnet-pipe and put its exit status in $status.
wait_pipe() {
	wait_for pipe_done
	status=0
	wait "$bg_pid" || status=$?
	bg_pid=
}

# A member that reads until its input ends.
drain='while read -r _; do :; done'

@test "wires a two-member chain in both directions" {
	run -0 timeout 5 "$PIPE" \
		bash -c 'echo ping; read -r r; echo "$r" >"$1"' _ "$T/a" = \
		bash -c 'read -r m; echo "$m" >"$1"; echo pong; '"$drain" \
		_ "$T/b"
	[ "$(cat "$T/a")" = pong ]
	[ "$(cat "$T/b")" = ping ]
}

@test "gives a middle member fds 3 and 4 toward its right neighbour" {
	# A's line goes through B (0 in, 4 out) to C and comes back through
	# B (3 in, 1 out); each stage marks it.
	run -0 timeout 5 "$PIPE" \
		bash -c 'echo hello; read -r r; echo "$r" >"$1"' _ "$T/a" = \
		bash -c '[ -p /dev/fd/3 ] && [ -p /dev/fd/4 ] && echo pipes >"$1"
			read -r x; echo "b>$x" >&4
			read -r y <&3; echo "b<$y"; '"$drain" _ "$T/b" = \
		bash -c 'read -r x; echo "c:$x"; '"$drain"
	[ "$(cat "$T/b")" = pipes ]
	[ "$(cat "$T/a")" = "b<c:b>hello" ]
}

@test "closes fds 3 and 4 of the end members even when it inherited them" {
	# bats itself keeps fd 3 open; give vnet-pipe fd 4 as well.
	local check='for fd in 0 1 3 4; do
		[ -e /proc/$$/fd/$fd ] && printf "%s " $fd; done >"$1"'
	run -0 timeout 5 "$PIPE" \
		bash -c "$check"'; read -r _' _ "$T/a" = \
		bash -c "$check"'; echo done; '"$drain" _ "$T/b" 4</dev/null
	[ "$(cat "$T/a")" = "0 1 " ]
	[ "$(cat "$T/b")" = "0 1 " ]
}

@test "forwards SIGHUP to every member" {
	local m='trap "echo hup >>\"$1.hup\"" HUP; trap "exit 0" TERM
		touch "$1.ready"; '"$drain"
	start_pipe bash -c "$m" _ "$T/a" = bash -c "$m" _ "$T/b" = \
		bash -c "$m" _ "$T/c"
	wait_for all_exist "$T"/{a,b,c}.ready
	kill -HUP "$bg_pid"
	wait_for all_exist "$T"/{a,b,c}.hup
	kill -TERM "$bg_pid"
	wait_pipe
	[ "$status" -eq 0 ]
	for m in a b c; do
		[ "$(cat "$T/$m.hup")" = hup ]
	done
}

@test "counts a member killed by a forwarded SIGTERM as failed" {
	start_pipe bash -c 'touch "$1"; '"$drain" _ "$T/a.ready" = \
		bash -c 'touch "$1"; '"$drain" _ "$T/b.ready"
	wait_for all_exist "$T"/{a,b}.ready
	kill -TERM "$bg_pid"
	wait_pipe
	# Killed by a SIGTERM that came from outside: a failure, 128 + 15.
	[ "$status" -eq 143 ]
}

@test "exits with the status of the first member that failed" {
	# B fails first with 3; A, which ignores the SIGTERM that follows,
	# fails half a second later with 5.
	run -3 timeout 5 "$PIPE" -v \
		bash -c 'trap "" TERM; touch "$1"; '"$drain"'; sleep 0.5; exit 5' \
		_ "$T/a.ready" = \
		bash -c 'for i in {1..50}; do [ -e "$1" ] && break; sleep 0.1
			done; exit 3' _ "$T/a.ready"
	[[ $output == *"member 2 (bash) exited with status 3"* ]]
	[[ $output == *"member 1 (bash) exited with status 5"* ]]
}

@test "counts a member killed by a signal as 128 plus the signal number" {
	run -140 timeout 5 "$PIPE" bash -c "$drain" = bash -c 'kill -USR2 $$'
	[[ $output == *"member 2 (bash) killed by signal 12"* ]]
}

@test "stops the other members when one exits" {
	# A and C wait on a FIFO, so only a signal ends them: A records its
	# SIGTERM, C dies of it, which is no failure.
	mkfifo "$T/fifo"
	run -0 timeout 5 "$PIPE" -v \
		bash -c 'trap "touch \"$1.term\"; exit 0" TERM; touch "$1.ready"
			read -r _ <>"$2"' _ "$T/a" "$T/fifo" = \
		bash -c 'for i in {1..50}; do [ -e "$1" ] && [ -e "$2" ] && break
			sleep 0.1; done' _ "$T/a.ready" "$T/c.ready" = \
		bash -c 'touch "$1.ready"; read -r _ <>"$2"' _ "$T/c" "$T/fifo"
	[ -e "$T/a.term" ]
	[[ $output == *"member 2 (bash) exited with status 0"* ]]
	[[ $output == *"member 1 (bash) exited with status 0"* ]]
	[[ $output == *"member 3 (bash) exited with status 143 (killed by signal 15"*"sent by vnet-pipe)"* ]]
}

@test "rejects a chain with an empty member with exit 2" {
	local run_it=(touch "$T/ran")
	run -2 "$PIPE" = "${run_it[@]}" = "${run_it[@]}"
	[[ $output == *"member 1 of the chain is empty"*usage:* ]]
	run -2 "$PIPE" "${run_it[@]}" = = "${run_it[@]}"
	[[ $output == *"member 2 of the chain is empty"*usage:* ]]
	run -2 "$PIPE" "${run_it[@]}" = "${run_it[@]}" =
	[[ $output == *"member 3 of the chain is empty"*usage:* ]]
	run -2 "$PIPE" -v -- "${run_it[@]}"
	[[ $output == *"at least two members"*usage:* ]]
	run -2 "$PIPE" -v
	[[ $output == *usage:* ]]
	[ ! -e "$T/ran" ]
}

@test "rejects unknown and abbreviated options with exit 2" {
	run -2 "$PIPE" -x true = true
	[[ $output == *"unknown option '-x'"*usage:* ]]
	run -2 "$PIPE" --verb true = true
	[[ $output == *"unknown option '--verb'"*usage:* ]]
}

@test "prints its usage on --help to stdout and exits 0" {
	run -0 --separate-stderr "$PIPE" --help
	[[ ${lines[0]} == "usage: vnet-pipe [-hV] [-v] [--describe]"* ]]
	[[ $output == *--verbose* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr "$PIPE" --version
	[[ $output == "vnet-pipe "* ]]
}

@test "reports a member that cannot be executed" {
	local cmd=vnet-no-such-command-$$
	run -127 timeout 5 "$PIPE" "$cmd" = bash -c "$drain"
	[[ $output == *"vnet-pipe: $cmd: No such file or directory"* ]]
}

@test "starts members with SIGPIPE at its default and the caller's mask" {
	# The caller ignores SIGPIPE; vnet-pipe blocks the signals it
	# forwards.  Neither may reach a member.
	run -0 timeout 5 bash -c '
		trap "" PIPE
		grep "^SigBlk" /proc/self/status >"$1/caller"
		exec "$2" bash -c "grep -E \"^Sig(Blk|Ign)\" /proc/self/status
				echo end; read -r _" = \
			bash -c "while read -r l && [ \"\$l\" != end ]; do
				echo \"\$l\"; done >\"\$1\"; echo done" \
			_ "$1/member"' _ "$T" "$PIPE"
	[ "$(grep ^SigBlk "$T/member")" = "$(cat "$T/caller")" ]
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T/member")
	# SIGPIPE is signal 13: bit 0x1000.
	(((0x$ign & 0x1000) == 0))
}

@test "removes ALTERNATE_STDIN and ALTERNATE_STDOUT from the members" {
	ALTERNATE_STDIN=7 ALTERNATE_STDOUT=8 run -0 timeout 5 "$PIPE" \
		bash -c 'echo "${ALTERNATE_STDIN-unset} ${ALTERNATE_STDOUT-unset}"
			read -r _' = \
		bash -c 'read -r l; echo "$l" >"$1"; echo done' _ "$T/b"
	[ "$(cat "$T/b")" = "unset unset" ]
}
