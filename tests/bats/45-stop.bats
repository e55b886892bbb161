#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Stopping: SIGTERM is acted on promptly even when the reader of the
# output stream has stopped reading (its pipe is full), and the program
# says what it could not write.
#
#   in.pcap --> vnet-encap / vnet-acl (one-way) --> FIFO --> sleep (never reads)
#
#   ns T: kernel (ping -f) --> vm0 --tap-- vnet-tap --capture --> FIFO --> sleep

load lib

setup() {
	need_cmd python3
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
	# The number of ppoll(2), to see where a process waits.
	case $(uname -m) in
	x86_64) PPOLL=271 ;;
	aarch64) PPOLL=73 ;;
	*) skip_or_fail "ppoll's syscall number on $(uname -m) is not known" ;;
	esac
}

teardown() {
	vnet_teardown
}

# stalled NAME IN CMD...: CMD in the background as NAME, standard input
# from IN, standard output into a pipe whose reader never reads, fds 3/4
# closed (bats holds 3: a middle program would not be one-way).
stalled() {
	local name=$1 in=$2
	shift 2
	mkfifo "$T/pipe"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg reader bash -c 'exec sleep 120 <"$1"' _ "$T/pipe"
	# shellcheck disable=SC2016
	bg "$name" bash -c 'i=$1 o=$2; shift 2; exec "$@" <"$i" >"$o" 3>&- 4>&-' \
		_ "$in" "$T/pipe" "$@"
}

# waiting NAME [NFDS]: NAME sits in its frame loop's ppoll(2) polling
# NFDS descriptors (default 1) because its pipe is full: the loop polls
# only what it waits for, the output for room (POLLOUT) and the inputs it
# reads -- none for a stream input that a full output pauses, the tap for
# vnet-tap, whose tap cannot wait.  (The programs run with --control
# none: a control socket would be one descriptor more.)
waiting() {
	local nr nfds
	read -r nr _ nfds _ <"/proc/$(pid_of "$1")/syscall" || return 1
	[ "$nr" = "$PPOLL" ] && [ "$((nfds))" -eq "${2:-1}" ]
}

# stop_promptly NAME [NFDS]: SIGTERM to NAME once it waits on its full
# pipe; it must exit 0 within 5 s (a writer's grace after a stop is 1 s),
# logging what was left.
stop_promptly() {
	local name=$1 rc=0
	wait_for 100 waiting "$name" "${2:-1}"
	kill -TERM "$(pid_of "$name")"
	wait_for 50 exited "$name"
	wait "$(pid_of "$name")" || rc=$?
	cat "$(log_of "$name")"
	[ "$rc" -eq 0 ]
	grep -Eq ": stopped by SIGTERM with [0-9]+ frames? \([0-9]+ bytes\) not written" \
		"$(log_of "$name")"
}

@test "vnet-encap whose reader stopped reading exits 0 soon after SIGTERM, saying what was not written" {
	$MKPCAP "$T/in.pcap" --count 4000 --type udp --size 1000
	stalled vnet-encap "$T/in.pcap" \
		vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 --control none
	stop_promptly vnet-encap
}

@test "vnet-acl as a one-way filter whose reader stopped reading exits 0 soon after SIGTERM" {
	$MKPCAP "$T/in.pcap" --count 4000 --type udp --size 1000
	cat >"$T/all.policy" <<'EOF'
group all prefix 198.19.0.0/16
allow from all to all proto udp port 7000
EOF
	stalled vnet-acl "$T/in.pcap" vnet-acl -p "$T/all.policy" --clock pcap \
		--control none
	stop_promptly vnet-acl
}

@test "vnet-tap --capture whose reader stopped reading exits 0 soon after SIGTERM" {
	need_root
	mkns ns t
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	stalled vnet-tap /dev/null ip netns exec "$ns" vnet-tap --capture \
		--control none vm0
	wait_link "$ns" vm0
	ip -n "$ns" addr add 198.19.0.1/24 dev vm0
	wait_for 50 bash -c "ip -n '$ns' link show vm0 | grep -q ',UP'"
	ip -n "$ns" neigh add 198.19.0.2 lladdr 02:00:c6:13:00:02 dev vm0 \
		nud permanent
	# Frames of 1442 bytes, 100 a second (no answer comes), for at most
	# 10 s: the pipe is full after some 30 of them.
	bg ping ip netns exec "$ns" ping -q -f -w 10 -s 1400 198.19.0.2
	stop_promptly vnet-tap 2
}
