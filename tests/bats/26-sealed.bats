#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Sealed overlays (vnet-encap --key-file): GENEVE with the seal option and
# VXLAN's sealed mode carry ping and a TCP transfer intact, the underlay
# shows no inner plaintext; replays, forgeries, stale epochs are dropped
# and counted; keys rotate one node at a time without loss; key files
# readable by others are refused; keys never on the command line or in
# the environment.
#
#   host A                                host B
#   vx0 198.19.0.1/24                     vx0 198.19.0.2/24
#     |  vnet-encap --key-file k            |  vnet-encap --key-file k
#   u0 198.18.0.1 ------- veth ------- u0 198.18.0.2
#
#   offline:  tcpdump's capture of u0 -> vnet-encap -o pcap:... (decap)

load lib

PLAIN=VNETSEALEDPLAINTEXTMARKER

setup() {
	T=$BATS_TEST_TMPDIR
	umask 077
}

teardown() {
	vnet_teardown
}

# sealed_vteps KIND [ARGS]: hosts A and B with sealed VTEPs of KIND
# (geneve or vxlan) in VNI 100, both with the key file $T/k (made if
# missing); ARGS go to both.
sealed_vteps() {
	local kind=$1
	shift
	[ -e "$T/k" ] || vnet-encap keygen "$T/k" >/dev/null
	setup_hosts
	bg vnetA ip netns exec "$A" vnet-encap -e "$kind" -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--key-file "$T/k" --control "$T/a.sock" "$@"
	bg vnetB ip netns exec "$B" vnet-encap -e "$kind" -i tap:vx0 \
		-o udp:198.18.0.2 --remote 198.18.0.1 --vni 100 \
		--key-file "$T/k" --control "$T/b.sock" "$@"
	overlay_up
}

# A 20 MiB file of the marker, and its sha256.
plain_blob() {
	yes "$PLAIN" | head -c $((20 * 1048576)) >"$1"
	sha256sum <"$1" | cut -d' ' -f1
}

# overlay_intact KIND PORT: ping and a 20 MiB transfer of the marker
# over a sealed overlay of KIND; the underlay (UDP PORT) never shows it.
overlay_intact() {
	sealed_vteps "$1"
	ip netns exec "$A" timeout 60 tcpdump -i u0 -U -w "$T/u0.pcap" \
		-c 3000 udp port "$2" 2>/dev/null &
	local tpid=$!
	wait_for 50 test -s "$T/u0.pcap"
	run ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -p 5345414c 198.19.0.2
	[ "$status" -eq 0 ]
	want=$(plain_blob "$T/blob")
	got=$(tcp_transfer "$A" "$B" 198.19.0.2 "$T/blob")
	[ "$got" = "$want" ]
	wait "$tpid" || :
	# the capture is of the transfer ...
	[ "$(stat -c %s "$T/u0.pcap")" -gt 1000000 ]
	# ... and holds no plaintext: the marker is in the blob, not here
	grep -q "$PLAIN" "$T/blob"
	fails grep -qa "$PLAIN" "$T/u0.pcap"
	fails grep -qa VNETSEALED "$T/u0.pcap"
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/out"
	[ "$(counter "$T/out" decap_frames)" -gt 1000 ]
	[ "$(counter "$T/out" seal_senders)" -eq 1 ]
	for c in forged replayed too_old unknown_epoch truncated missing \
		no_key; do
		[ "$(counter "$T/out" "drop_seal_$c")" -eq 0 ]
	done
}

@test "a sealed GENEVE overlay carries ping and a 20 MB TCP transfer intact; the underlay shows no plaintext" {
	need_root
	need_cmd socat ping tcpdump tshark
	overlay_intact geneve 6081
	run ip -n "$A" link show vx0
	# 1500 - 20 - 8 - 8 (GENEVE) - 24 (seal option) - 16 (tag) - 14
	[[ "$output" == *"mtu 1410"* ]]
	# tshark sees GENEVE with the seal option, of the experimental class
	tshark -r "$T/u0.pcap" -c 5 -T fields -e geneve.option.class \
		-e geneve.option.type 2>/dev/null >"$T/f"
	cat "$T/f"
	grep -q $'^0xff5e\t0xd3$' "$T/f"
}

@test "VXLAN's sealed mode (its own port 4799) carries ping and a 20 MB TCP transfer intact; the underlay shows no plaintext" {
	need_root
	need_cmd socat ping tcpdump
	overlay_intact vxlan 4799
	run ip -n "$A" link show vx0
	# 1500 - 20 - 8 - 8 (VXLAN) - 20 (seal fields) - 16 (tag) - 14
	[[ "$output" == *"mtu 1414"* ]]
}

# decap_sealed IN KIND [ARGS]: decapsulate the outer frames of capture IN
# (from A to B) at 198.18.0.2 with $T/k; counters to $T/err.
decap_sealed() {
	local in=$1 kind=$2
	shift 2
	rc=0
	timeout 20 vnet-encap -e "$kind" -i - -o "pcap:$in" --vni 100 \
		--local 198.18.0.2 --key-file "$T/k" --stats "$@" \
		</dev/null >"$T/inner.pcap" 2>"$T/err" || rc=$?
	grep -v '	0$' "$T/err" || :
}

# capture_sealed N: N sealed packets A sends to B (pings), in $T/cap.pcap.
capture_sealed() {
	sealed_vteps geneve
	ip netns exec "$B" timeout 30 tcpdump -i u0 -U -w "$T/cap.pcap" \
		-c "$1" dst host 198.18.0.2 and udp dst port 6081 2>/dev/null &
	local tpid=$!
	wait_for 50 test -s "$T/cap.pcap"
	ip netns exec "$A" ping -c "$1" -i 0.05 -W 2 198.19.0.2 >/dev/null || :
	wait "$tpid"
}

# pcap_sealed IN OUT MODE: the records of IN (outer IPv4/UDP frames)
# with their UDP checksums zeroed (a capture at the receiving veth may
# hold partial ones; zero is valid over IPv4, RFC 768), to OUT:
#   twice  every record, then all of them again
#   flips  for each byte of the first one's UDP payload a copy with
#          that byte flipped, then the record as it was; prints how many
#   epoch1 the first record of epoch 1 (the seal option's epoch field)
pcap_sealed() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import sys
		d = open(sys.argv[1], "rb").read()
		recs, i = [], 24
		while i + 16 <= len(d):
		    n = int.from_bytes(d[i + 8:i + 12], "little")
		    f = bytearray(d[i + 16:i + 16 + n])
		    f[40:42] = b"\0\0"
		    recs.append((d[i:i + 16], bytes(f)))
		    i += 16 + n
		out, mode = d[:24], sys.argv[3]
		if mode == "twice":
		    recs = recs + recs
		elif mode == "flips":
		    h, f = recs[0]
		    flips = []
		    for off in range(42, len(f)):
		        g = bytearray(f)
		        g[off] ^= 0x01
		        flips.append((h, bytes(g)))
		    recs = flips + [recs[0]]
		    print(len(flips))
		elif mode == "epoch1":
		    recs = [r for r in recs if r[1][54:58] == b"\0\0\0\1"][:1]
		for h, f in recs:
		    out += h + f
		open(sys.argv[2], "wb").write(out)
	EOF
}

# replayed_is N: B has counted N replays.
replayed_is() {
	timeout 5 vnet-ctl "$T/b.sock" counters >"$T/c" &&
		[ "$(counter "$T/c" drop_seal_replayed)" -eq "$1" ]
}

@test "a replayed capture of sealed packets is refused, every packet, and counted" {
	need_root
	need_cmd ping tcpdump python3
	capture_sealed 20
	pcap_sealed "$T/cap.pcap" "$T/twice.pcap" twice
	decap_sealed "$T/twice.pcap" geneve
	[ "$rc" -eq 0 ]
	[ "$(counter "$T/err" decap_frames)" -eq 20 ]
	[ "$(counter "$T/err" drop_seal_replayed)" -eq 20 ]
	# and live: the captured datagrams sent to B again, from A
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/before"
	cat >"$T/send.py" <<-'EOF'
		import socket, sys
		d = open(sys.argv[1], "rb").read()
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		i = 24
		while i + 16 <= len(d):
		    n = int.from_bytes(d[i + 8:i + 12], "little")
		    s.sendto(d[i + 16 + 42:i + 16 + n], ("198.18.0.2", 6081))
		    i += 16 + n
	EOF
	ip netns exec "$A" timeout 10 python3 "$T/send.py" "$T/cap.pcap"
	local b r
	b=$(counter "$T/before" drop_seal_replayed)
	wait_for 50 replayed_is $((b + 20))
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/after"
	r=$(counter "$T/after" drop_seal_replayed)
	[ "$r" -eq $((b + 20)) ]
	[ "$(counter "$T/after" decap_frames)" -eq \
		"$(counter "$T/before" decap_frames)" ]
}

@test "flipping any single byte of a sealed packet gets it dropped, and counted" {
	need_root
	need_cmd ping tcpdump python3
	capture_sealed 1
	# every byte of the UDP payload (GENEVE header, seal option,
	# ciphertext, tag) flipped in turn, then the packet as it was
	pcap_sealed "$T/cap.pcap" "$T/flips.pcap" flips >"$T/n"
	decap_sealed "$T/flips.pcap" geneve
	[ "$rc" -eq 0 ]
	local n drops=0 c
	n=$(cat "$T/n")
	[ "$n" -gt 80 ]
	# the original is opened last: no flipped copy was taken for it
	[ "$(counter "$T/err" decap_frames)" -eq 1 ]
	[ "$(counter "$T/err" drop_seal_replayed)" -eq 0 ]
	for c in $(awk -F'\t' '$1 ~ /^drop_/ { print $1 }' "$T/err"); do
		drops=$((drops + $(counter "$T/err" "$c")))
	done
	[ "$drops" -eq "$n" ]
	[ "$(counter "$T/err" drop_seal_forged)" -gt 60 ]
}

@test "keys rotate one node at a time during a transfer: no loss, the right sha256, the old epoch refused after its not-after" {
	need_root
	need_cmd socat ping tcpdump python3
	local t0 i part
	t0=$(date +%s)
	# epoch 1 ends 14 s from now; epoch 2 is sent from 6 s on
	vnet-encap keygen "$T/k" "$t0" "$((t0 + 14))" >/dev/null
	cp "$T/k" "$T/k.next"
	vnet-encap keygen "$T/k.next" "$((t0 + 6))" "+1h" >/dev/null
	sealed_vteps geneve
	ip netns exec "$B" timeout 60 tcpdump -i u0 -U \
		-w "$T/cap.pcap" dst host 198.18.0.2 and udp dst port 6081 \
		2>/dev/null &
	local tpid=$!
	wait_for 50 test -s "$T/cap.pcap"
	want=$(make_blob "$T/blob" 20)
	split -n 40 -d "$T/blob" "$T/part."
	# a transfer of about 10 s: 40 pieces a quarter second apart
	ip netns exec "$B" timeout 120 socat -u \
		"TCP-LISTEN:24680,bind=198.19.0.2,reuseaddr" "CREATE:$T/got" &
	local rpid=$!
	wait_for 100 bash -c "ip netns exec '$B' ss -ltn | grep -q ':24680 '"
	(for part in "$T"/part.*; do
		cat "$part"
		sleep 0.25
	done) | ip netns exec "$A" timeout 120 socat -u - TCP:198.19.0.2:24680 &
	local spid=$!
	# one node, then the other: atomic mv and SIGHUP
	sleep 1
	cp "$T/k.next" "$T/k.tmp" && mv "$T/k.tmp" "$T/k"
	kill -HUP "$(pid_of vnetA)"
	wait_for 50 grep -q reloaded "$(log_of vnetA)"
	sleep 1
	kill -HUP "$(pid_of vnetB)"
	wait_for 50 grep -q reloaded "$(log_of vnetB)"
	wait "$spid"
	wait "$rpid"
	[ "$(sha256sum <"$T/got" | cut -d' ' -f1)" = "$want" ]
	kill "$tpid" 2>/dev/null || :
	wait "$tpid" || :
	# no packet was refused on either node, and A sent in both epochs
	for h in a b; do
		timeout 10 vnet-ctl "$T/$h.sock" counters >"$T/out"
		grep seal "$T/out"
		for c in forged replayed too_old unknown_epoch no_key; do
			[ "$(counter "$T/out" "drop_seal_$c")" -eq 0 ]
		done
	done
	python3 - "$T/cap.pcap" <<-'EOF' >"$T/epochs"
		import sys
		d = open(sys.argv[1], "rb").read()
		i, seen = 24, set()
		while i < len(d):
		    n = int.from_bytes(d[i + 8:i + 12], "little")
		    f = d[i + 16:i + 16 + n]
		    if len(f) >= 58 and f[50:52] == b"\xff\x5e":
		        seen.add(int.from_bytes(f[54:58], "big"))
		    i += 16 + n
		print(" ".join(str(e) for e in sorted(seen)))
	EOF
	[ "$(cat "$T/epochs")" = "1 2" ]
	# the control socket says what each epoch is now
	timeout 10 vnet-ctl "$T/a.sock" keys >"$T/keys"
	cat "$T/keys"
	grep -qE $'^1\t[-0-9T:]+Z\t[-0-9T:]+Z\t(open|expired)$' "$T/keys"
	grep -qE $'^2\t[-0-9T:]+Z\t[-0-9T:]+Z\tsend$' "$T/keys"
	fails grep -q "$(awk '$1 == "epoch" { print substr($5, 1, 16) }' "$T/k" | head -1)" "$T/keys"
	# after epoch 1's not-after, a packet of it is too old
	wait_for 200 bash -c "[ \$(date +%s) -ge $((t0 + 15)) ]"
	pcap_sealed "$T/cap.pcap" "$T/old.pcap" epoch1
	decap_sealed "$T/old.pcap" geneve
	[ "$(counter "$T/err" drop_seal_too_old)" -eq 1 ]
	[ "$(counter "$T/err" decap_frames)" -eq 0 ]
}

@test "a key file readable by group or others is refused with exit 2, saying so" {
	vnet-encap keygen "$T/k" >/dev/null
	[ "$(stat -c %a "$T/k")" = 600 ]
	chmod 0644 "$T/k"
	run vnet-encap -e geneve --key-file "$T/k" --vni 1 --local 198.18.0.1 \
		-o - </dev/null
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/k: mode 0644 lets group or others read or change the keys: chmod 600 it"* ]]
	chmod 0640 "$T/k"
	run vnet-encap --key-file "$T/k" --vni 1 --local 198.18.0.1 -o - </dev/null
	[ "$status" -eq 2 ]
}

@test "a bad key file names FILE:LINE and exits 2; sealed NVGRE is a usage error" {
	printf 'cipher chacha20-poly1305\nepoch 1 0 10 abcd\n' >"$T/k"
	run vnet-encap --key-file "$T/k" --vni 1 --local 198.18.0.1 -o - </dev/null
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/k:2: epoch 1: the key is not 64 hex digits"* ]]
	vnet-encap keygen "$T/k2" >/dev/null
	run vnet-encap -e nvgre --key-file "$T/k2" --vni 5000 \
		--local 198.18.0.1 -o - </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"not NVGRE"* ]]
}

@test "keygen adds numbered epochs; a new file gets the cipher this CPU runs best" {
	run vnet-encap keygen "$T/k" 2026-01-01T00:00:00Z +2h
	[ "$status" -eq 0 ]
	[ "$output" = "$T/k: epoch 1 2026-01-01T00:00:00Z 2026-01-01T02:00:00Z" ]
	run vnet-encap keygen "$T/k"
	[ "$status" -eq 0 ]
	[[ "$output" == "$T/k: epoch 2 "* ]]
	[ "$(grep -c '^epoch ' "$T/k")" -eq 2 ]
	grep -qE '^cipher (aes-256-gcm|chacha20-poly1305)$' "$T/k"
	run vnet-encap keygen "$T/c" now +24h chacha20-poly1305
	grep -qx 'cipher chacha20-poly1305' "$T/c"
	run vnet-encap keygen "$T/d" now +24h rot13
	[ "$status" -eq 2 ]
	run vnet-encap keygen "$T/d" now -5
	[ "$status" -eq 2 ]
}

@test "the keys are neither on the command line nor in the environment of a sealed VTEP" {
	need_root
	vnet-encap keygen "$T/k" >/dev/null
	sealed_vteps geneve
	local pid key
	pid=$(pid_of vnetA)
	key=$(awk '$1 == "epoch" { print $5 }' "$T/k")
	[ ${#key} -eq 64 ]
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- --key-file
	fails grep -qa "$key" "/proc/$pid/cmdline"
	fails grep -qa "$key" "/proc/$pid/environ"
	fails grep -qa "${key:0:16}" "/proc/$pid/environ"
}

@test "a sealed VTEP drops a plaintext GENEVE packet and counts it" {
	need_root
	need_cmd ping
	setup_hosts
	vnet-encap keygen "$T/k" >/dev/null
	bg vnetA ip netns exec "$A" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.1 --remote 198.18.0.2 --vni 100
	bg vnetB ip netns exec "$B" vnet-encap -e geneve -i tap:vx0 \
		-o udp:198.18.0.2 --remote 198.18.0.1 --vni 100 \
		--key-file "$T/k" --control "$T/b.sock"
	wait_link "$A" vx0
	wait_link "$B" vx0
	ip -n "$A" addr add 198.19.0.1/24 dev vx0
	ip -n "$A" link set vx0 up
	ip -n "$B" link set vx0 up
	ip netns exec "$A" ping -c 3 -i 0.2 -W 1 198.19.0.2 >/dev/null || :
	timeout 10 vnet-ctl "$T/b.sock" counters >"$T/out"
	grep -v '	0$' "$T/out"
	[ "$(counter "$T/out" drop_seal_missing)" -ge 1 ]
	[ "$(counter "$T/out" decap_frames)" -eq 0 ]
}

@test "sealed, a tap underlay goes frame by frame, without UDP tunnel offload, and says so" {
	need_root
	setup_hosts
	vnet-encap keygen "$T/k" >/dev/null
	bg vnetA ip netns exec "$A" vnet-encap -e geneve -i tap:vx0 \
		-o tap:ul0 --local 198.18.0.1 --remote 198.18.0.2 --vni 100 \
		--key-file "$T/k"
	wait_for 100 grep -q 'sealed: no UDP tunnel offload' "$(log_of vnetA)"
	cat "$(log_of vnetA)"
	fails grep -q 'outer tap:ul0: UDP tunnel offload$' "$(log_of vnetA)"
}
