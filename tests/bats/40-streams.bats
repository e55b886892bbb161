#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Streams: what vnet writes, tcpdump, tshark and VDE read, and back.
#
#   ns T:  vm0 198.19.0.1/24 --tap-- vnet-tap --capture | tcpdump -r -
#
#   host A u0 198.18.0.1 ---veth--- host B u0 198.18.0.2
#     tcpdump -i u0 -w - | tee | vnet-tap --inject vm1 (ns C)
#                                        ns C: tcpdump -i vm1 -Q in
#
#   ns 1: vm1 198.19.0.1 -- vnet-tap -F vde = vde_plug --+
#                                                         vde_switch (DIR)
#   ns 2: vm2 198.19.0.2 -- vde_plug = -- vnet-tap -F vde +
#
#   offline: mkpcap.py -> vnet-encap (pcap: inner) -> outer.pcap
#            -> vnet-encap (pcap: outer) -> back.pcap == input frames

load lib

setup() {
	need_root
	need_cmd tcpdump tshark python3
	T=$BATS_TEST_TMPDIR
	MKPCAP="python3 $BATS_TEST_DIRNAME/mkpcap.py"
}

teardown() {
	vnet_teardown
}

# reap NAME: wait up to 10 s for NAME to end by itself; its status in $rc.
reap() {
	wait_for 100 exited "$1" || return 1
	rc=0
	wait "$(pid_of "$1")" || rc=$?
}

# bgio NAME IN OUT CMD...: bg with stdin from IN and stdout to OUT, opened
# by the child (opening a FIFO blocks until its other end is opened).
bgio() {
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg "$name" bash -c 'i=$1 o=$2; shift 2; exec "$@" <"$i" >"$o"' _ "$@"
}

# quiet NS: no IPv6 chatter on the links made from now on in NS.
quiet() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

# frames FILE: the bytes of every frame of a capture, as tshark dumps them.
frames() {
	tshark -r "$1" -x 2>/dev/null
}

# nframes FILE: the number of frames in a capture.
nframes() {
	tshark -r "$1" -T fields -e frame.number 2>/dev/null | wc -l
}

# listening NAME: the background tcpdump NAME has opened its interface.
listening() {
	grep -q 'listening on' "$(log_of "$1")"
}

# encap IN OUT [ARGS]: encapsulate the capture IN offline, VNI 7, from
# 198.18.0.1 to 198.18.0.2; the outer frames go to OUT.
encap() {
	local in=$1 out=$2
	shift 2
	timeout 10 vnet-encap -i "pcap:$in" --vni 7 --local 198.18.0.1 \
		-r 198.18.0.2 -o - "$@" </dev/null >"$out"
}

# decap IN OUT [ARGS]: decapsulate the outer frames of IN (any stream
# format) at 198.18.0.2; the inner frames go to OUT.
decap() {
	local in=$1 out=$2
	shift 2
	timeout 10 vnet-encap -i - -o "pcap:$in" --vni 7 --local 198.18.0.2 \
		--no-learn "$@" </dev/null >"$out"
}

@test "tcpdump -r - reads the stream vnet-tap writes" {
	mkns ns t
	quiet "$ns"
	mkfifo "$T/cap"
	bgio vnet-tap /dev/null "$T/cap" \
		ip netns exec "$ns" vnet-tap --capture -c 3 vm0
	bgio tcpdump "$T/cap" "$T/out" tcpdump -r - -nn
	wait_link "$ns" vm0
	ip -n "$ns" addr add 198.19.0.1/24 dev vm0
	# ARP retries 100 ms apart instead of a second: 3 requests in 0.3 s.
	ip netns exec "$ns" sysctl -qw net.ipv4.neigh.vm0.retrans_time_ms=100
	run ip netns exec "$ns" ping -c 1 -W 1 198.19.0.9
	[ "$status" -ne 0 ]
	reap vnet-tap
	[ "$rc" -eq 0 ]
	reap tcpdump
	[ "$rc" -eq 0 ]
	cat "$T/out"
	[ "$(grep -c 'ARP, Request who-has 198.19.0.9 tell 198.19.0.1' "$T/out")" -eq 3 ]
	[ "$(wc -l <"$T/out")" -eq 3 ]
}

@test "vnet-tap injects what tcpdump -w - writes" {
	setup_hosts
	mkns C c
	quiet "$C"
	ip -n "$C" tuntap add dev vm1 mode tap
	ip -n "$C" link set vm1 up
	bg sink ip netns exec "$C" tcpdump -i vm1 -Q in -nn -U -c 6 \
		-w "$T/vm1.pcap"
	wait_for 50 listening sink
	mkfifo "$T/src" "$T/inj"
	bgio capture /dev/null "$T/src" \
		ip netns exec "$A" tcpdump -U -i u0 -w - -c 6 icmp
	bgio tee "$T/src" "$T/inj" tee "$T/src.pcap"
	bgio vnet-tap "$T/inj" /dev/null \
		ip netns exec "$C" vnet-tap --inject --stats vm1
	wait_for 50 listening capture
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 198.18.0.2
	reap capture
	[ "$rc" -eq 0 ]
	reap vnet-tap
	[ "$rc" -eq 0 ]
	[ "$(counter "$(log_of vnet-tap)" tap_tx_frames)" -eq 6 ]
	[ "$(counter "$(log_of vnet-tap)" tap_tx_errors)" -eq 0 ]
	reap sink
	[ "$rc" -eq 0 ]
	[ "$(nframes "$T/src.pcap")" -eq 6 ]
	diff <(frames "$T/src.pcap") <(frames "$T/vm1.pcap")
}

@test "vnet-encap encapsulates what tcpdump -w - writes" {
	$MKPCAP "$T/gen.pcap" --count 5 --type udp --size 200 --src-mac-seq
	tcpdump -r "$T/gen.pcap" -w - 2>/dev/null >"$T/in.pcap"
	[ "$(nframes "$T/in.pcap")" -eq 5 ]
	encap "$T/in.pcap" "$T/outer.pcap"
	run tcpdump -r "$T/outer.pcap" -nn
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(grep -c '198.18.0.1.[0-9]* > 198.18.0.2.4789: VXLAN, flags \[I\] (0x08), vni 7$' <<<"$output")" -eq 5 ]
	# tshark with checksum validation finds nothing to complain about.
	chk=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE)
	run tshark -r "$T/outer.pcap" "${chk[@]}" -z expert -q
	[ "$status" -eq 0 ]
	[ -z "$(grep -v 'Running as user' <<<"$output" | tr -d '[:space:]')" ]
	run tshark -r "$T/outer.pcap" "${chk[@]}" -Y '_ws.expert || _ws.malformed'
	[ -z "$(grep -v 'Running as user' <<<"$output")" ]
	run tshark -r "$T/outer.pcap" -T fields -e vxlan.vni -e udp.checksum -e ip.dst
	[ "$(grep -c '^7	0x0000,0x[0-9a-f]*	198.18.0.2,198.19.0.2$' <<<"$output")" -eq 5 ]
	# ... and back: the same frames, byte for byte.
	decap "$T/outer.pcap" "$T/back.pcap"
	[ "$(nframes "$T/back.pcap")" -eq 5 ]
	diff <(frames "$T/in.pcap") <(frames "$T/back.pcap")
}

@test "reads pcapng, nanosecond and big-endian pcap like classic pcap" {
	need_cmd editcap
	$MKPCAP "$T/in.pcap" --count 5 --type udp --size 300 --src-mac-seq
	$MKPCAP "$T/be.pcap" --count 5 --type udp --size 300 --src-mac-seq \
		--big-endian
	editcap -F pcapng "$T/in.pcap" "$T/in.pcapng"
	editcap -F nsecpcap "$T/in.pcap" "$T/ns.pcap"
	# The inputs really are of the other formats.
	[ "$(od -An -tx1 -N4 "$T/in.pcapng" | tr -d ' ')" = 0a0d0d0a ]
	[ "$(od -An -tx1 -N4 "$T/ns.pcap" | tr -d ' ')" = 4d3cb2a1 ]
	[ "$(od -An -tx1 -N4 "$T/be.pcap" | tr -d ' ')" = a1b2c3d4 ]
	encap "$T/in.pcap" "$T/ref.pcap"
	[ "$(nframes "$T/ref.pcap")" -eq 5 ]
	for f in in.pcapng ns.pcap be.pcap; do
		encap "$T/$f" "$T/$f.out"
		cmp "$T/ref.pcap" "$T/$f.out"
	done
	# The outer side reads them too.
	editcap -F pcapng "$T/ref.pcap" "$T/ref.pcapng"
	editcap -F nsecpcap "$T/ref.pcap" "$T/ref.ns.pcap"
	decap "$T/ref.pcap" "$T/back.pcap"
	for f in ref.pcapng ref.ns.pcap; do
		decap "$T/$f" "$T/$f.back"
		cmp "$T/back.pcap" "$T/$f.back"
	done
	diff <(frames "$T/in.pcap") <(frames "$T/back.pcap")
}

# vde_switch_start: a vde_switch on $T/vde.  It reads commands on its
# standard input and exits at its end (user-pains P31), so its input is a
# FIFO that this shell holds open.
vde_switch_start() {
	need_cmd vde_switch vde_plug
	mkfifo "$T/vde.in"
	exec {VDE_HOLD}<>"$T/vde.in"
	bgio vde_switch "$T/vde.in" /dev/null vde_switch -s "$T/vde"
	wait_for 50 test -S "$T/vde/ctl"
}

@test "taps in two namespaces ping each other through a vde_switch in VDE framing" {
	vde_switch_start
	mkns N1 1
	mkns N2 2
	quiet "$N1"
	quiet "$N2"
	# The two forms the man pages give: a vnet-pipe chain, and vde_plug
	# running vnet-tap after '= --'.
	bg vnet-pipe1 ip netns exec "$N1" vnet-pipe -v \
		vnet-tap -F vde tap:vm1 = vde_plug "vde://$T/vde"
	bg plug2 ip netns exec "$N2" vde_plug "vde://$T/vde" = -- \
		vnet-tap -F vde --stats vm2
	wait_link "$N1" vm1
	wait_link "$N2" vm2
	ip -n "$N1" addr add 198.19.0.1/24 dev vm1
	ip -n "$N2" addr add 198.19.0.2/24 dev vm2
	run ip netns exec "$N1" ping -c 3 -i 0.2 -W 2 198.19.0.2
	[ "$status" -eq 0 ]
	run ip netns exec "$N2" ping -c 3 -i 0.2 -W 2 198.19.0.1
	[ "$status" -eq 0 ]
	# The chain ends cleanly on SIGTERM.
	rc=0
	stop vnet-pipe1 || rc=$?
	cat "$(log_of vnet-pipe1)"
	[ "$rc" -eq 0 ]
}

@test "a VDE stream passes through vde_plug and vde_switch and decodes to the same frames" {
	vde_switch_start
	$MKPCAP "$T/in.pcap" --count 8 --type udp --size 400 --src-mac-seq
	encap "$T/in.pcap" "$T/out.vde" -F vde
	# VDE framing: a 2-byte big-endian length before each frame.
	python3 - "$T/out.vde" <<-'EOF'
		import sys
		d = open(sys.argv[1], "rb").read()
		i = n = 0
		while i < len(d):
		    i += 2 + int.from_bytes(d[i:i + 2], "big")
		    n += 1
		assert i == len(d) and n == 8, (i, len(d), n)
	EOF
	# Receiver first; the sender's input is held open until everything
	# has arrived, since a plug that leaves loses what the switch queued.
	mkfifo "$T/tx"
	bgio rx "$T/vde.in" "$T/rx.vde" vde_plug "vde://$T/vde"
	wait_for 50 bash -c "ls '$T/vde' | grep -vq '^ctl$'"
	exec {tx}<>"$T/tx"
	bgio tx "$T/tx" /dev/null vde_plug "vde://$T/vde"
	cat "$T/out.vde" >&$tx
	wait_for 50 bash -c "[ \$(stat -c %s '$T/rx.vde') -ge $(stat -c %s "$T/out.vde") ]"
	exec {tx}>&-
	cmp "$T/out.vde" "$T/rx.vde"
	# Read back with format auto-detection.
	decap "$T/rx.vde" "$T/back.pcap"
	[ "$(nframes "$T/back.pcap")" -eq 8 ]
	diff <(frames "$T/in.pcap") <(frames "$T/back.pcap")
}

@test "the same capture replayed with --clock pcap gives byte-identical output" {
	# Frames 2 s apart by their timestamps; learned entries age after 5 s.
	$MKPCAP "$T/in.pcap" --count 5 --type udp --size 200 --src-mac-seq \
		--ts-step 2000000
	for k in 1 2; do
		encap "$T/in.pcap" "$T/outer$k.pcap" --clock pcap
		timeout 10 vnet-encap -i - -o "pcap:$T/outer$k.pcap" --vni 7 \
			--local 198.18.0.2 --clock pcap --fdb-ageing 5 \
			--fdb-dump "$T/fdb$k.tsv" </dev/null >"$T/inner$k.pcap"
	done
	[ "$(nframes "$T/outer1.pcap")" -eq 5 ]
	cmp "$T/outer1.pcap" "$T/outer2.pcap"
	cmp "$T/inner1.pcap" "$T/inner2.pcap"
	cmp "$T/fdb1.tsv" "$T/fdb2.tsv"
	# The packet clock did the ageing: at t=8 s the MACs seen at 0 and
	# 2 s are gone, the others are 4, 2 and 0 s old.
	cat "$T/fdb1.tsv"
	[ "$(grep -v '^#' "$T/fdb1.tsv")" = "$(printf '%s\n' \
		"7	02:00:c6:13:00:03	198.18.0.1	learned	4" \
		"7	02:00:c6:13:00:04	198.18.0.1	learned	2" \
		"7	02:00:c6:13:00:05	198.18.0.1	learned	0")" ]
}
