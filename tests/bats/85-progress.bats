#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The status line of long runs (vnet(7) PROGRESS) and the paced UDP export
# of vnet-flowexport (--rate, send_buffer_full).
#
#   tty:     script(1) gives the program a terminal for stderr; its input
#            is a capture file, and a FIFO the test holds open keeps it
#            running until the line has been seen:
#            FIFO -> vnet-encap -i pcap:FILE -o - -> FILE   (stderr: pty)
#   export:  namespace N (lo only):
#            vnet-flowexport FILE -C udp:127.0.0.1:4739 --rate R -> nfcapd
#   full:    namespace N: v0 198.18.9.1/24 (tbf qdisc, tiny limit) -- veth
#            -- v1; the collector 198.18.9.3 is a static neighbour that
#            never answers, so only the device queue can refuse
#
# Needs python3; script (bsdutils), nfcapd/nfdump, tc where a test says so.

load lib

setup() {
	need_root
	need_cmd python3
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
}

teardown() {
	exec 9>&- || :
	vnet_teardown
}

# encap_held NAME WRAP ARGS...: vnet-encap replaying $T/in.pcap into
# $T/NAME.pcap in the background, its outer side reading $T/NAME.fifo,
# which the test holds open on fd 9 (close it to let the program end).
# WRAP "tty" runs it under script(1), stderr on the terminal, what the
# terminal shows in $T/NAME.tty; "file" has stderr in $T/NAME.err.
encap_held() {
	local name=$1 wrap=$2 cmd
	shift 2
	mkfifo "$T/$name.fifo"
	cmd="vnet-encap -i pcap:$T/in.pcap -o - --vni 5 --local 198.18.0.1 \
		-r 198.18.0.2 $* <$T/$name.fifo >$T/$name.pcap"
	if [ "$wrap" = tty ]; then
		bg "$name" bash -c "script -qfec '$cmd' /dev/null >$T/$name.tty"
	else
		bg "$name" bash -c "$cmd 2>$T/$name.err"
	fi
	exec 9>"$T/$name.fifo"
}

# release NAME: close the FIFO and wait for NAME to exit 0.
release() {
	exec 9>&-
	wait_for 100 exited "$1"
	wait "$(pid_of "$1")"
}

# the terminal output of NAME, control characters shown as \r and \e.
shown() {
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
print(d.replace(b"\r", b"\\r").replace(b"\x1b", b"\\e").decode())' \
		"$T/$1.tty"
}

@test "a file replay on a terminal shows frames, rate, drops and the share done, then erases the line" {
	need_cmd script
	$MKPCAP "$T/in.pcap" --count 1000 --size 100
	encap_held run tty
	wait_for 100 grep -q '1000 frames' "$T/run.tty"
	release run
	out=$(shown run)
	echo "$out"
	# Drawn over itself: a carriage return, the line, erase to its end.
	[[ "$out" =~ \\rvnet-encap:\ 1000\ frames,\ [0-9.]+[kMG]?/s,\ 0\ drops,\ 100%\\e\[K ]]
	# Erased at exit: the terminal is left with nothing after it.
	[[ "$out" == *'\r\e[K' ]]
	# No newline ever: the line never scrolls the terminal.
	[ "$(grep -c 'frames' "$T/run.tty")" -eq 1 ]
}

@test "--no-progress keeps the terminal quiet, and --progress draws the line into a file" {
	need_cmd script
	$MKPCAP "$T/in.pcap" --count 1000 --size 100
	encap_held forced file --progress
	wait_for 100 grep -q '1000 frames, .*100%' "$T/forced.err"
	release forced
	grep -q $'^\rvnet-encap: 1000 frames' "$T/forced.err"
	# On a terminal, with --no-progress: nothing but what a run says.
	encap_held quiet tty --no-progress --stats
	wait_for 100 bash -c "[ \$(stat -c %s $T/quiet.pcap) -eq \
		$(stat -c %s "$T/forced.pcap") ]"
	release quiet
	shown quiet
	grep -q 'inner_rx_frames' "$T/quiet.tty"
	fails grep -q ' frames, ' "$T/quiet.tty"
	run vnet-encap --progress --no-progress --vni 5
	[ "$status" -eq 2 ]
	[[ "$output" == *'--progress and --no-progress exclude each other'* ]]
}

@test "no status line when stderr is a file" {
	$MKPCAP "$T/in.pcap" --count 1000 --size 100
	encap_held plain file --stats
	wait_for 100 bash -c "[ \$(stat -c %s $T/plain.pcap) -gt 100000 ]"
	# Four redraw periods with the program running: had it drawn, the
	# line would be there (a slow machine only makes this weaker).
	sleep 1
	release plain
	cat "$T/plain.err"
	grep -q '^inner_rx_frames	1000$' "$T/plain.err"
	fails grep -q ' frames, ' "$T/plain.err"
	fails grep -q $'\r' "$T/plain.err"
}

@test "vnet-flowexport on a terminal shows the frames of the file it meters" {
	need_cmd script
	$MKPCAP "$T/in.pcap" --count 1000 --size 100
	mkfifo "$T/hold"
	# A two-way stage whose left input is the file and whose right input
	# (fd 3, the FIFO) stays open: the file is done, the program runs on.
	bg fe bash -c "script -qfec 'vnet-flowexport --json $T/fe.json \
		<$T/in.pcap >/dev/null 3<$T/hold 4>/dev/null' /dev/null >$T/fe.tty"
	exec 9>"$T/hold"
	wait_for 100 grep -q '1000 frames, .* 0 drops, 100%' "$T/fe.tty"
	exec 9>&-
	wait_for 100 exited fe
	wait "$(pid_of fe)"
	[[ "$(shown fe)" == *'\r\e[K' ]]
}

@test "a paced UDP export loses no record to nfcapd" {
	need_cmd nfcapd nfdump ss
	mkns ns n
	# 20000 frames, each its own flow (source ports 40000 up).
	$MKPCAP "$T/flows.pcap" --count 20000 --type udp --size 60
	mkdir "$T/nf"
	bg nfcapd ip netns exec "$ns" nfcapd -w "$T/nf" -b 127.0.0.1 -p 4739 -t 3600
	wait_for 50 bash -c "ip netns exec '$ns' ss -lun | grep -q '127.0.0.1:4739 '"
	run timeout 60 ip netns exec "$ns" vnet-flowexport "$T/flows.pcap" \
		--stats --profile nfdump -C udp:127.0.0.1:4739 --rate 20000
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/err"
	[ "$(counter "$T/err" records_exported)" -eq 20000 ]
	[ "$(counter "$T/err" send_errors)" -eq 0 ]
	[ "$(counter "$T/err" send_buffer_full)" -eq 0 ]
	fails grep -q 'not sent' "$T/err"
	stop nfcapd || :
	run nfdump -R "$T/nf" -q -N -o 'fmt:%sp'
	[ "$status" -eq 0 ]
	[ "$(sort -u <<<"$output" | wc -l)" -eq 20000 ]
	# --rate is for UDP only.
	run vnet-flowexport "$T/flows.pcap" -C tcp:127.0.0.1 --rate 10
	[ "$status" -eq 2 ]
	[[ "$output" == *'--rate paces a UDP export: give -C udp:ADDR (TCP is paced by the collector)'* ]]
}

@test "a device queue that refuses the export is said once and counted" {
	need_cmd tc
	mkns ns q
	ip -n "$ns" link add v0 type veth peer name v1
	ip -n "$ns" link set v0 up
	ip -n "$ns" link set v1 up
	ip -n "$ns" addr add 198.18.9.1/24 dev v0
	ip -n "$ns" neigh add 198.18.9.3 lladdr 02:00:c6:12:09:03 dev v0
	tc -n "$ns" qdisc add dev v0 root tbf rate 1mbit burst 2000 limit 3000
	$MKPCAP "$T/flows.pcap" --count 20000 --type udp --size 60
	run timeout 60 ip netns exec "$ns" vnet-flowexport "$T/flows.pcap" \
		--stats --profile nfdump -C udp:198.18.9.3:4739
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/err"
	full=$(counter "$T/err" send_buffer_full)
	[ "$full" -gt 0 ]
	[ "$(counter "$T/err" send_errors)" -ge "$full" ]
	[ "$(grep -c 'not sent' "$T/err")" -eq 1 ]
	grep -q '^vnet-flowexport: collector udp:198.18.9.3:4739: [0-9]* messages not sent, the send buffer or the device queue is full (No buffer space available): their records are lost; pace the export with --rate N$' "$T/err"
}

@test "vnet-tap --capture on a terminal shows the frames it copies, and erases the line when stopped" {
	need_cmd script ping
	mkns ns t
	bg tap ip netns exec "$ns" bash -c "script -qfec 'vnet-tap --capture \
		--pidfile $T/tap.pid tp0 >$T/cap.pcap' /dev/null >$T/tap.tty"
	wait_for 100 test -s "$T/tap.pid"
	wait_link "$ns" tp0
	ip -n "$ns" addr add 198.19.5.1/24 dev tp0
	ip -n "$ns" link set tp0 up
	# ARP requests for a neighbour that is not there go out the tap.
	ip netns exec "$ns" ping -c 2 -i 0.2 -W 1 198.19.5.2 >/dev/null || :
	wait_for 100 grep -q 'vnet-tap: [1-9][0-9]* frames, .*/s, 0 drops' \
		"$T/tap.tty"
	kill -TERM "$(cat "$T/tap.pid")"
	wait_for 100 exited tap
	wait "$(pid_of tap)"
	# No share done: a capture has no size.
	fails grep -q '%' "$T/tap.tty"
	[[ "$(shown tap)" == *'\r\e[K' ]]
}
