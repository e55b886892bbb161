#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# bench.sh -- throughput, small-packet rate and round-trip time of vnet,
# measured in one run against two baselines over the same underlay: a veth
# pair (MTU 1500) between two network namespaces this script creates.
#
#   bash tests/bench/bench.sh [BINDIR]          (what `make bench` runs)
#
# Setups, run one after the other (the previous one torn down first):
#   (a) the raw veth link
#   (b) the Linux kernel's VXLAN device (VNI 100, MTU 1450) on the veth
#   (c) vnet one-process VTEP:  vnet-encap -i tap:vx0 -o udp:LOCAL ...
#   (f) the same with --no-offload (what the offloads are worth)
#   (g) vnet one-process VTEP on a tap underlay with UDP tunnel offload
#       (Linux 6.17): vnet-encap -i tap:vx0 -o tap:ult --local LOCAL ...,
#       ult bridged with the veth, whose address the VTEP then owns
#   (d) vnet chain:  vnet-pipe vnet-tap tap:vx0,mtu=1450 = vnet-encap ...
#   (e) nested vnet: VNI 100 carried as frames inside VNI 200 on the veth
#   (h) (c) with GENEVE:  vnet-encap -e geneve -i tap:vx0 -o udp:LOCAL ...
#   (i) (c) with NVGRE:   vnet-encap -e nvgre -i tap:vx0 -o udp:LOCAL ...
#       (VSID 5000: NVGRE reserves 0-4095)
#   (j) (c) over an IPv6 underlay: the veth with 2001:db8::1/64 and ::2
#       (no DAD) besides its IPv4 addresses, vnet-encap -o udp:[2001:db8::1]
#   (k) (c) sealed: GENEVE with --key-file (the cipher keygen picks here)
# For each: iperf3 TCP single stream (Gbit/s, receiver side), iperf3 UDP with
# 64-byte payloads at full speed (packets/s received, loss %), and ping RTT
# (20 x 50 ms, average). Ratios are "this row / kernel VXLAN" of the same
# run (for RTT a ratio above 1 means slower). A setup that cannot run (a
# program not built, no traffic gets through) prints n/a and the reason.
#
# Environment:
#   BENCH_SECONDS      length of the TCP test (default 5)
#   BENCH_UDP_SECONDS  length of the UDP-64 test (default 3)
#   BENCH_OUT          Markdown copy of the table (default build/bench.md)
#   BENCH_ONLY         setups to run, e.g. "a b c" (default: all)
#   BENCH_KEEP         1 = keep the work directory (iperf3 JSON, logs)
#
# Addresses come only from 198.18.0.0/15 and 2001:db8::/32: underlay
# 198.18.0.1/.2 (and 2001:db8::1/::2 for (j) only), overlays 198.19.N.1/.2,
# the inner VTEPs of the nested setup 198.19.0.1/.2 (carried as frames,
# configured on no interface). Nothing is done in the root
# namespace except creating and deleting the two namespaces (the veth pair is
# created directly inside them). Only the processes started here are ever
# signalled, and every wait is bounded in count and time.

# shellcheck disable=SC2317  # functions called indirectly (setup_$x, traps)
set -u
export LC_ALL=C

bin_arg=${1:-build/bin}
secs=${BENCH_SECONDS:-5}
usecs=${BENCH_UDP_SECONDS:-3}
out_md=${BENCH_OUT:-build/bench.md}
only=${BENCH_ONLY:-a b c d e f g h i j k}
cmdline="bash tests/bench/bench.sh $*"
[ $# -eq 0 ] && cmdline="bash tests/bench/bench.sh"

die() { echo "bench: $*" >&2; exit 1; }
case $secs in '' | *[!0-9]* | 0) die "BENCH_SECONDS must be a positive integer" ;; esac
case $usecs in '' | *[!0-9]* | 0) die "BENCH_UDP_SECONDS must be a positive integer" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces)"
for t in ip iperf3 timeout awk; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t not found (sh contrib/install-deps installs what is missing)"
done
have_ping=0
command -v ping >/dev/null 2>&1 && have_ping=1
if [ $have_ping = 0 ] && ! command -v python3 >/dev/null 2>&1; then
	die "neither ping (iputils-ping) nor python3 found (sh contrib/install-deps)"
fi
have_setsid=0
command -v setsid >/dev/null 2>&1 && have_setsid=1

if [ -d "$bin_arg" ]; then
	bin=$(cd "$bin_arg" && pwd)
else
	bin=$bin_arg
fi

NSA=vnb$$a
NSB=vnb$$b
U_A=198.18.0.1
U_B=198.18.0.2

work=$(mktemp -d "${TMPDIR:-/tmp}/vnet-bench.XXXXXX") || die "mktemp failed"
pids=()                 # every process this script started (each leads its own process group)
declare -A pname plog   # pid -> label, pid -> its stderr log
made_ns=()

# --- process handling -------------------------------------------------------

# spawn LABEL OUT ERR CMD... : start CMD in the background (in its own
# session when setsid exists, so its helpers can be signalled with it);
# sets $spawned.
spawn() {
	local label=$1 o=$2 e=$3
	shift 3
	if [ $have_setsid = 1 ]; then
		setsid "$@" </dev/null >"$o" 2>"$e" &
	else
		"$@" </dev/null >"$o" 2>"$e" &
	fi
	spawned=$!
	pids+=("$spawned")
	pname[$spawned]=$label
	plog[$spawned]=$e
}

forget() {
	local p keep=()
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}

# sig SIGNAL PID: the process group led by PID, or else PID alone.
sig() { kill "-$1" -- "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null; }
gone() { ! kill -0 -- "-$1" 2>/dev/null && ! kill -0 "$1" 2>/dev/null; }

# stop PID...: SIGTERM, up to 3 s for them to exit, then SIGKILL; reap.
stop() {
	local p i left
	for p in "$@"; do sig TERM "$p"; done
	for ((i = 0; i < 30; i++)); do
		left=0
		for p in "$@"; do gone "$p" || left=1; done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for p in "$@"; do
		gone "$p" || sig KILL "$p"
		wait "$p" 2>/dev/null
		forget "$p"
	done
}

# await PID SECONDS: wait at most SECONDS for PID to exit; its status in $rc.
await() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		stop "$1"
		rc=124
		return 1
	fi
	wait "$1" 2>/dev/null
	rc=$?
	forget "$1"
	return 0
}

cleanup() {
	local ns
	trap - EXIT INT TERM HUP
	[ ${#pids[@]} -gt 0 ] && stop "${pids[@]}"
	for ns in "${made_ns[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- small parsers ----------------------------------------------------------

# jflat < JSON: one "path<TAB>value" line per scalar (path like
# end.sum_received.bits_per_second, array elements by index). Enough JSON
# for what iperf3 -J writes; needs no jq or python.
jflat() {
	awk '
	function out(v,   p, m) {
		p = k[1]
		for (m = 2; m <= d; m++) p = p "." k[m]
		print p "\t" v
	}
	{ s = s $0 "\n" }
	END {
		n = length(s); d = 0; i = 1
		while (i <= n) {
			c = substr(s, i, 1)
			if (c == "{" || c == "[") {
				d++; t[d] = c; k[d] = (c == "[") ? 0 : ""; ek[d] = (c == "{"); i++
			} else if (c == "}" || c == "]") {
				d--; i++
			} else if (c == ":") {
				ek[d] = 0; i++
			} else if (c == ",") {
				if (t[d] == "[") k[d]++; else ek[d] = 1
				i++
			} else if (c == "\"") {
				v = ""
				for (j = i + 1; j <= n; j++) {
					ch = substr(s, j, 1)
					if (ch == "\\") { v = v substr(s, j, 2); j++; continue }
					if (ch == "\"") break
					v = v ch
				}
				i = j + 1
				if (t[d] == "{" && ek[d]) k[d] = v; else out(v)
			} else if (c == " " || c == "\t" || c == "\n" || c == "\r") {
				i++
			} else {
				for (j = i; j <= n; j++)
					if (index(",}] \t\r\n", substr(s, j, 1))) break
				out(substr(s, i, j - i)); i = j
			}
		}
	}'
}

# jget FLATFILE PATH: the value at PATH, or nothing.
jget() { awk -F '\t' -v p="$2" '$1 == p { print $2; exit }' "$1"; }

# calc EXPR: awk arithmetic, printed with printf format $fmt ("" if unset).
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ratio VALUE BASE: VALUE/BASE to 2 decimals, n/a when either is missing.
ratio() {
	case "$1$2" in *n/a* | *-*) echo n/a; return ;; esac
	[ -n "$1" ] && [ -n "$2" ] || { echo n/a; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# --- ping -------------------------------------------------------------------

if [ $have_ping = 0 ]; then
	# Stand-in for ping when iputils-ping is missing: ICMP echo over a raw
	# socket, printing ping's summary line.
	cat >"$work/ping.py" <<'PY'
import os, select, socket, struct, sys, time
addr, count, interval, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, rtts = os.getpid() & 0xffff, []
for seq in range(count):
    t0 = time.monotonic()
    body = struct.pack("!d", t0) + bytes(48)
    pkt = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + body
    pkt = pkt[:2] + struct.pack("!H", csum(pkt)) + pkt[4:]
    s.sendto(pkt, (addr, 0))
    end = t0 + wait
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]: break
        d = s.recv(2048); h = (d[0] & 15) * 4
        if len(d) >= h + 8:
            ty, _, _, i, q = struct.unpack("!BBHHH", d[h:h + 8])
            if ty == 0 and i == ident and q == seq:
                rtts.append((time.monotonic() - t0) * 1000); break
    if seq + 1 < count:
        time.sleep(max(0.0, t0 + interval - time.monotonic()))
if not rtts: sys.exit(1)
avg = sum(rtts) / len(rtts)
mdev = (sum((r - avg) ** 2 for r in rtts) / len(rtts)) ** 0.5
print("%d packets transmitted, %d received" % (count, len(rtts)))
print("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms" % (min(rtts), avg, max(rtts), mdev))
PY
fi

# icmp NS ADDR COUNT INTERVAL: ping ADDR from NS, each reply awaited at most
# 1 s; ping's summary on stdout.
icmp() {
	local dl=$(($3 / 5 + 3))
	if [ $have_ping = 1 ]; then
		if [ "$3" = 1 ]; then
			ip netns exec "$1" ping -n -q -c 1 -W 1 "$2" 2>&1
		else
			ip netns exec "$1" ping -n -q -c "$3" -i "$4" -W 1 -w $dl "$2" 2>&1
		fi
	else
		ip netns exec "$1" timeout $dl python3 "$work/ping.py" "$2" "$3" "$4" 1 2>&1
	fi
}

# --- setup helpers ----------------------------------------------------------

setup_pids=()   # the processes of the current setup
why=''          # why the current setup (or one of its measurements) failed

note() { why="${why:+$why; }$*"; }

lastline() { [ -s "$1" ] && tail -n 1 "$1" | tr -d '\r' | cut -c1-160; }

# check_alive: every process of the current setup is still running.
check_alive() {
	local p l st dead=0 keep=()
	for p in "${setup_pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			keep+=("$p")
			continue
		fi
		wait "$p" 2>/dev/null
		st=$?
		l=$(lastline "${plog[$p]}")
		note "${pname[$p]} exited (status $st)${l:+: $l}"
		forget "$p"
		dead=1
	done
	setup_pids=("${keep[@]}")
	[ $dead = 0 ]
}

# wait_dev NS DEV: the device exists (at most 100 x 0.1 s).
wait_dev() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip -n "$1" link show dev "$2" >/dev/null 2>&1 && return 0
		check_alive || return 1
		sleep 0.1
	done
	note "device $2 did not appear in namespace $1 within 10 s"
	return 1
}

# wait_ping NS ADDR: ADDR answers (at most 100 tries and 10 s).
wait_ping() {
	local i t0=$SECONDS
	for ((i = 0; i < 100 && SECONDS - t0 < 10; i++)); do
		check_alive || return 1
		icmp "$1" "$2" 1 0.1 >/dev/null && return 0
		sleep 0.1
	done
	check_alive || return 1
	note "no ping reply from $2 within 10 s"
	return 1
}

# need PROG...: the programs are built.
need() {
	local p
	for p in "$@"; do
		[ -x "$bin/$p" ] && continue
		note "$p not built (no $bin_arg/$p)"
		return 1
	done
}

# vnet_up NS ADDR DEV: address and link up on the overlay device in NS.
vnet_up() {
	ip -n "$1" addr add "$2/24" dev "$3" 2>"$work/ip.err" &&
		ip -n "$1" link set "$3" up 2>>"$work/ip.err" || {
		note "ip on $3 in $1: $(lastline "$work/ip.err")"
		return 1
	}
}

# start_vnet LABEL NS CMD...: one vnet process of the current setup.
start_vnet() {
	local label=$1 ns=$2
	shift 2
	spawn "$label" /dev/null "$work/$cur-$ns.log" ip netns exec "$ns" "$@"
	setup_pids+=("$spawned")
	echo "$label: $*" >>"$work/commands"
}

stop_setup() {
	local p live=()
	for p in "${setup_pids[@]}"; do [ -n "$p" ] && live+=("$p"); done
	[ ${#live[@]} -gt 0 ] && stop "${live[@]}"
	setup_pids=()
}

# --- the setups -------------------------------------------------------------
# setup_X brings setup X up and sets $peer (address pinged/measured from A)
# and $dev (the device whose MTU is reported); down_X tears it down.

underlay() {
	local ns
	for ns in "$NSA" "$NSB"; do
		ip netns add "$ns" || die "cannot create network namespace $ns"
		made_ns+=("$ns")
	done
	ip link add ul0 netns "$NSA" type veth peer name ul0 netns "$NSB" ||
		die "cannot create the veth pair"
	{
		ip -n "$NSA" addr add "$U_A/24" dev ul0 &&
			ip -n "$NSB" addr add "$U_B/24" dev ul0 &&
			ip -n "$NSA" link set ul0 mtu 1500 up &&
			ip -n "$NSB" link set ul0 mtu 1500 up &&
			ip -n "$NSA" link set lo up &&
			ip -n "$NSB" link set lo up
	} || die "cannot configure the veth pair"
}

setup_a() { peer=$U_B dev=ul0; }
down_a() { :; }

setup_b() {
	local ns n l r a
	for ns in A B; do
		if [ "$ns" = A ]; then n=$NSA l=$U_A r=$U_B a=198.19.1.1; else n=$NSB l=$U_B r=$U_A a=198.19.1.2; fi
		ip -n "$n" link add kvx type vxlan id 100 local "$l" remote "$r" \
			dstport 4789 dev ul0 2>"$work/ip.err" &&
			ip -n "$n" link set kvx mtu 1450 2>>"$work/ip.err" || {
			note "ip link add type vxlan: $(lastline "$work/ip.err")"
			return 1
		}
		vnet_up "$n" "$a" kvx || return 1
	done
	echo "kernel: ip link add kvx type vxlan id 100 local LOCAL remote PEER dstport 4789 dev ul0; mtu 1450" >>"$work/commands"
	peer=198.19.1.2 dev=kvx
}
down_b() { ip -n "$NSA" link del kvx 2>/dev/null; ip -n "$NSB" link del kvx 2>/dev/null; }

setup_c() {
	need vnet-encap || return 1
	start_vnet "vnet-encap (A)" "$NSA" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:$U_A" --remote "$U_B" --vni 100
	start_vnet "vnet-encap (B)" "$NSB" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:$U_B" --remote "$U_A" --vni 100
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.2.1 vx0 && vnet_up "$NSB" 198.19.2.2 vx0 || return 1
	peer=198.19.2.2 dev=vx0
}

setup_d() {
	need vnet-pipe vnet-tap vnet-encap || return 1
	start_vnet "vnet-pipe (A)" "$NSA" "$bin/vnet-pipe" \
		"$bin/vnet-tap" tap:vx0,mtu=1450 = \
		"$bin/vnet-encap" --vni 100 -o "udp:$U_A" --remote "$U_B"
	start_vnet "vnet-pipe (B)" "$NSB" "$bin/vnet-pipe" \
		"$bin/vnet-tap" tap:vx0,mtu=1450 = \
		"$bin/vnet-encap" --vni 100 -o "udp:$U_B" --remote "$U_A"
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.3.1 vx0 && vnet_up "$NSB" 198.19.3.2 vx0 || return 1
	peer=198.19.3.2 dev=vx0
}

setup_e() {
	need vnet-pipe vnet-tap vnet-encap || return 1
	start_vnet "vnet-pipe (A)" "$NSA" "$bin/vnet-pipe" \
		"$bin/vnet-tap" tap:vx0,mtu=1400 = \
		"$bin/vnet-encap" --vni 100 --mtu 1450 --local 198.19.0.1 --remote 198.19.0.2 -o - = \
		"$bin/vnet-encap" --vni 200 -o "udp:$U_A" --remote "$U_B"
	start_vnet "vnet-pipe (B)" "$NSB" "$bin/vnet-pipe" \
		"$bin/vnet-tap" tap:vx0,mtu=1400 = \
		"$bin/vnet-encap" --vni 100 --mtu 1450 --local 198.19.0.2 --remote 198.19.0.1 -o - = \
		"$bin/vnet-encap" --vni 200 -o "udp:$U_B" --remote "$U_A"
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.4.1 vx0 && vnet_up "$NSB" 198.19.4.2 vx0 || return 1
	peer=198.19.4.2 dev=vx0
}

down_vnet() {
	stop_setup
	# A tap outlives its program only if made persistent; remove leftovers.
	ip -n "$NSA" link del vx0 2>/dev/null
	ip -n "$NSB" link del vx0 2>/dev/null
}
down_c() { down_vnet; }

# (f) is (c) without tap offloads and UDP GSO/GRO: one read/write per
# frame and raw-socket sends -- what the offloads are worth.
setup_f() {
	need vnet-encap || return 1
	start_vnet "vnet-encap (A)" "$NSA" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:$U_A" --remote "$U_B" --vni 100 --no-offload
	start_vnet "vnet-encap (B)" "$NSB" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:$U_B" --remote "$U_A" --vni 100 --no-offload
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.5.1 vx0 && vnet_up "$NSB" 198.19.5.2 vx0 || return 1
	peer=198.19.5.2 dev=vx0
}
down_f() { down_vnet; }

# (g): each namespace's veth goes into a bridge with the VTEP's underlay
# tap, and the VTEP owns the veth's address; the path the kernel's own
# VXLAN takes (super-frames never cut on the way).  down_g puts the
# address back on the veth.
setup_g() {
	local ns l r
	need vnet-encap || return 1
	for ns in "$NSA" "$NSB"; do
		if [ "$ns" = "$NSA" ]; then l=$U_A r=$U_B; else l=$U_B r=$U_A; fi
		{
			ip -n "$ns" addr del "$l/24" dev ul0 &&
				ip -n "$ns" link add brg type bridge &&
				ip -n "$ns" link set ul0 master brg &&
				ip -n "$ns" link set brg up
		} 2>"$work/ip.err" || {
			note "bridge in $ns: $(lastline "$work/ip.err")"
			return 1
		}
		start_vnet "vnet-encap ($ns)" "$ns" "$bin/vnet-encap" -v \
			-i tap:vx0 -o tap:ult --local "$l" --remote "$r" --vni 100
	done
	for ns in "$NSA" "$NSB"; do
		wait_dev "$ns" ult && wait_dev "$ns" vx0 || return 1
		ip -n "$ns" link set ult master brg 2>"$work/ip.err" || {
			note "ult into brg in $ns: $(lastline "$work/ip.err")"
			return 1
		}
	done
	vnet_up "$NSA" 198.19.6.1 vx0 && vnet_up "$NSB" 198.19.6.2 vx0 || return 1
	grep -q "UDP tunnel offload" "$work/$cur-$NSA.log" ||
		note "no UDP tunnel offload in this kernel: frame by frame"
	peer=198.19.6.2 dev=vx0
}
down_g() {
	local ns l
	down_vnet
	for ns in "$NSA" "$NSB"; do
		if [ "$ns" = "$NSA" ]; then l=$U_A; else l=$U_B; fi
		ip -n "$ns" link del ult 2>/dev/null
		ip -n "$ns" link del brg 2>/dev/null
		ip -n "$ns" addr add "$l/24" dev ul0 2>/dev/null
		ip -n "$ns" link set ul0 up
	done
}

# (k) is (c) sealed (vnet-encap(8) Sealed mode): GENEVE, every segment
# sealed on the GSO fast path, with a key file made here.
setup_k() {
	need vnet-encap || return 1
	(umask 077 && "$bin/vnet-encap" keygen "$work/seal.keys" >/dev/null) ||
		{ why="vnet-encap keygen failed"; return 1; }
	start_vnet "vnet-encap (A)" "$NSA" "$bin/vnet-encap" -e geneve \
		-i tap:vx0 -o "udp:$U_A" --remote "$U_B" --vni 100 \
		--key-file "$work/seal.keys"
	start_vnet "vnet-encap (B)" "$NSB" "$bin/vnet-encap" -e geneve \
		-i tap:vx0 -o "udp:$U_B" --remote "$U_A" --vni 100 \
		--key-file "$work/seal.keys"
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.11.1 vx0 && vnet_up "$NSB" 198.19.11.2 vx0 || return 1
	peer=198.19.11.2 dev=vx0
}
down_k() { down_vnet; }
down_d() { down_vnet; }
down_e() { down_vnet; }

# (h) and (i): (c) with another encapsulation (ENCAP NET VNI: the -e
# kind, the overlay's third octet, the VNI; NVGRE reserves VSIDs 0-4095).
setup_kind() {
	need vnet-encap || return 1
	start_vnet "vnet-encap -e $1 (A)" "$NSA" "$bin/vnet-encap" -e "$1" \
		-i tap:vx0 -o "udp:$U_A" --remote "$U_B" --vni "$3"
	start_vnet "vnet-encap -e $1 (B)" "$NSB" "$bin/vnet-encap" -e "$1" \
		-i tap:vx0 -o "udp:$U_B" --remote "$U_A" --vni "$3"
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" "198.19.$2.1" vx0 && vnet_up "$NSB" "198.19.$2.2" vx0 || return 1
	peer=198.19.$2.2 dev=vx0
}
setup_h() { setup_kind geneve 7 100; }
down_h() { down_vnet; }
setup_i() { setup_kind nvgre 8 5000; }
down_i() { down_vnet; }

# (j): (c) over IPv6.  The veth gets 2001:db8::1 and ::2 (no DAD, no
# router advertisements) for this row only; down_j takes them away.
U6_A=2001:db8::1
U6_B=2001:db8::2
setup_j() {
	local ns a
	need vnet-encap || return 1
	for ns in "$NSA" "$NSB"; do
		if [ "$ns" = "$NSA" ]; then a=$U6_A; else a=$U6_B; fi
		{
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.ul0.disable_ipv6=0 &&
				ip netns exec "$ns" sysctl -qw net.ipv6.conf.ul0.accept_ra=0 &&
				ip -n "$ns" -6 addr add "$a/64" dev ul0 nodad
		} 2>"$work/ip.err" || {
			note "IPv6 on ul0 in $ns: $(lastline "$work/ip.err")"
			return 1
		}
	done
	start_vnet "vnet-encap IPv6 (A)" "$NSA" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:[$U6_A]" --remote "$U6_B" --vni 100
	start_vnet "vnet-encap IPv6 (B)" "$NSB" "$bin/vnet-encap" -i tap:vx0 \
		-o "udp:[$U6_B]" --remote "$U6_A" --vni 100
	wait_dev "$NSA" vx0 && wait_dev "$NSB" vx0 &&
		vnet_up "$NSA" 198.19.9.1 vx0 && vnet_up "$NSB" 198.19.9.2 vx0 || return 1
	peer=198.19.9.2 dev=vx0
}
down_j() {
	down_vnet
	ip -n "$NSA" -6 addr del "$U6_A/64" dev ul0 2>/dev/null
	ip -n "$NSB" -6 addr del "$U6_B/64" dev ul0 2>/dev/null
}

# --- measurements -----------------------------------------------------------

# iperf NAME SECONDS ARGS...: iperf3 server in B (one test), client in A to
# $peer; the client's JSON flattened into $work/$cur-NAME.flat. Status 0
# when iperf3 reported no error.
iperf() {
	local name=$1 t=$2 base="$work/$cur-$1" spid cpid crc i err
	shift 2
	spawn "iperf3 server" /dev/null "$base.srv.log" \
		ip netns exec "$NSB" iperf3 -s -1 -B "$peer"
	spid=$spawned
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NSB" ss -Hltn "sport = :5201" 2>/dev/null | grep -q . && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	spawn "iperf3 client" "$base.json" "$base.cli.log" \
		timeout $((t + 20)) ip netns exec "$NSA" \
		iperf3 -c "$peer" -t "$t" -J --connect-timeout 3000 "$@"
	cpid=$spawned
	await "$cpid" $((t + 25))
	crc=$rc
	await "$spid" 3 || :
	rc=$crc
	jflat <"$base.json" >"$base.flat" 2>/dev/null
	err=$(jget "$base.flat" error)
	if [ -n "$err" ]; then
		note "iperf3 $name: $err"
		return 1
	fi
	if [ "$rc" != 0 ] || [ ! -s "$base.flat" ]; then
		note "iperf3 $name failed (status $rc)$(l=$(lastline "$base.cli.log"); [ -n "$l" ] && echo ": $l")"
		return 1
	fi
	return 0
}

# cpu_busy: "busy total" jiffies of the whole machine (/proc/stat: busy
# is everything but idle and iowait).
cpu_busy() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t; exit }' /proc/stat
}

# cores_per_gbit "B0 T0" "B1 T1" BITS_PER_S: the cores the machine kept
# busy (busy share of its time x CPUs) per Gbit/s of the transfer.
cores_per_gbit() {
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$1"
	read -r b1 t1 <<<"$2"
	calc '%.3f' "($t1 > $t0 && $3 > 0) ? ($b1 - $b0) / ($t1 - $t0) * $ncpu / ($3 / 1e9) : 0"
}

measure() {
	local r f p l s c0 c1
	mtu[$cur]=$(ip -n "$NSA" -o link show dev "$dev" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }')
	# RTT first, while the link is idle.
	r=$(icmp "$NSA" "$peer" 20 0.05)
	rtt[$cur]=$(printf '%s\n' "$r" | awk -F '/' '/^(rtt|round-trip)/ { printf "%.3f", $5 }')
	[ -n "${rtt[$cur]}" ] || note "ping: $(printf '%s\n' "$r" | tail -n 1)"
	check_alive || return 1

	c0=$(cpu_busy)
	if iperf tcp "$secs"; then
		c1=$(cpu_busy)
		f="$work/$cur-tcp.flat"
		s=$(jget "$f" end.sum_received.bits_per_second)
		if [ -n "$s" ]; then
			tcp[$cur]=$(calc '%.2f' "$s / 1e9")
			# Machine cores busy during the transfer, per Gbit/s.
			cpg[$cur]=$(cores_per_gbit "$c0" "$c1" "$s")
		else
			note "iperf3 tcp: no receiver summary"
		fi
	fi
	check_alive || return 1

	if iperf udp64 "$usecs" -u -l 64 -b 0; then
		f="$work/$cur-udp64.flat"
		# Receiver-side summary (iperf3 >= 3.1x); older ones: end.sum.
		s=end.sum_received
		[ -n "$(jget "$f" $s.lost_packets)" ] || s=end.sum
		p=$(jget "$f" $s.packets)
		l=$(jget "$f" $s.lost_packets)
		r=$(jget "$f" $s.seconds)
		if [ -n "$p" ] && [ -n "$l" ] && [ -n "$r" ]; then
			udp[$cur]=$(calc '%.1f' "($p - $l) / $r / 1000")
			loss[$cur]=$(calc '%.1f' "($p > 0) ? 100 * $l / $p : 0")
		else
			note "iperf3 udp64: no receiver summary"
		fi
	fi
	check_alive
}

# --- main -------------------------------------------------------------------

order=(a b c d e f g h i j k)
declare -A label mtu tcp udp loss rtt reason cpg
label[a]="(a) raw veth"
label[b]="(b) kernel VXLAN"
label[c]="(c) vnet-encap on tap"
label[d]="(d) vnet-pipe tap = encap"
label[e]="(e) vnet nested VNI 100 in 200"
label[f]="(f) vnet-encap --no-offload"
label[g]="(g) vnet-encap tap underlay"
label[h]="(h) vnet-encap -e geneve"
label[i]="(i) vnet-encap -e nvgre"
label[j]="(j) vnet-encap IPv6 underlay"
label[k]="(k) vnet-encap sealed GENEVE"

cpu=$(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(uname -m)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
ipv=$(iperf3 --version 2>/dev/null | awk 'NR == 1 { print $1, $2 }')
when=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
kern="Linux $(uname -r)"
load=$(awk '{ print $1 }' /proc/loadavg 2>/dev/null)
rev=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null) || rev=''

underlay
: >"$work/commands"
echo "bench: namespaces $NSA/$NSB, TCP ${secs}s, UDP-64 ${usecs}s per setup" >&2

for cur in "${order[@]}"; do
	case " $only " in *" $cur "*) ;; *) continue ;; esac
	echo "bench: ${label[$cur]} ..." >&2
	why='' peer='' dev='' setup_pids=()
	if "setup_$cur" && wait_ping "$NSA" "$peer"; then
		measure
	fi
	"down_$cur"
	reason[$cur]=$why
done

# --- report -----------------------------------------------------------------

cell() { local v=${1:-}; [ -n "$v" ] && echo "$v" || echo n/a; }

rows=()   # "label|mtu|tcp|x|udp|x|loss|rtt|x|cores/Gbit|x|note"
for k in "${order[@]}"; do
	case " $only " in *" $k "*) ;; *) continue ;; esac
	t=$(cell "${tcp[$k]:-}") u=$(cell "${udp[$k]:-}") r=$(cell "${rtt[$k]:-}")
	rows+=("${label[$k]}|$(cell "${mtu[$k]:-}")|$t|$(ratio "${tcp[$k]:-}" "${tcp[b]:-}")|$u|$(ratio "${udp[$k]:-}" "${udp[b]:-}")|$(cell "${loss[$k]:-}")|$r|$(ratio "${rtt[$k]:-}" "${rtt[b]:-}")|$(cell "${cpg[$k]:-}")|$(ratio "${cpg[$k]:-}" "${cpg[b]:-}")|${reason[$k]}")
done

hdr="setup|MTU|TCP Gbit/s|x kVXLAN|UDP-64 kpps|x kVXLAN|UDP loss %|RTT ms|x kVXLAN|cores/Gbit/s|x kVXLAN|note"
info="$when, $kern, $cpu ($ncpu CPUs, load ${load:-?} at start), $ipv${rev:+, vnet $rev}"
busy=$(awk -v l="${load:-0}" -v n="$ncpu" 'BEGIN { if (n + 0 > 0 && l > n / 2) print 1 }')
[ -n "$busy" ] && busy="warning: the machine was busy (load $load on $ncpu CPUs); the figures are noisy"
cmdinfo="$cmdline  (BENCH_SECONDS=$secs BENCH_UDP_SECONDS=$usecs)"

{
	echo
	echo "vnet bench: $info"
	echo "command: $cmdinfo"
	echo
	printf '%s\n' "$hdr" "${rows[@]}" | awk -F '|' '
	{ printf "%-31s %5s %11s %9s %12s %9s %11s %8s %9s %13s %9s", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
	  if ($12 != "") printf "  %s", (NR == 1 ? $12 : "n/a: " $12)
	  printf "\n" }'
	echo
	echo "ratios: row / kernel VXLAN in this run (RTT: above 1 = slower); UDP-64 = packets/s received"
	[ -n "$busy" ] && echo "$busy"
}

mkdir -p "$(dirname "$out_md")" 2>/dev/null
{
	echo "## vnet benchmark"
	echo
	echo "$info."
	echo "Command: \`$cmdinfo\`."
	echo
	echo "| ${hdr//|/ | } |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	for row in "${rows[@]}"; do
		echo "| ${row//|/ | } |"
	done
	echo
	echo "Single veth pair (MTU 1500) between two network namespaces as the underlay."
	echo "TCP: iperf3, one stream, ${secs} s, receiver rate. UDP-64: iperf3 -u -l 64 -b 0, ${usecs} s,"
	echo "packets/s received and loss at the receiver. RTT: ping, 20 x 50 ms, average."
	echo "Cores/Gbit/s: the machine's busy CPU time during the TCP test (all of it: sender, receiver,"
	echo "vnet, the kernel) over its length, in cores, per Gbit/s received."
	echo "Ratios are row / kernel VXLAN of the same run (for RTT and cores/Gbit/s, above 1 = worse)."
	[ -n "$busy" ] && echo "**${busy^}.**"
	echo
	echo "Setups (LOCAL/PEER = the underlay addresses 198.18.0.1 and 198.18.0.2):"
	echo
	echo "- (a) the veth link itself."
	echo "- (b) \`ip link add kvx type vxlan id 100 local LOCAL remote PEER dstport 4789 dev ul0\`, MTU 1450."
	echo "- (c) \`vnet-encap -i tap:vx0 -o udp:LOCAL --remote PEER --vni 100\`."
	echo "- (d) \`vnet-pipe vnet-tap tap:vx0,mtu=1450 = vnet-encap --vni 100 -o udp:LOCAL --remote PEER\`."
	echo "- (e) \`vnet-pipe vnet-tap tap:vx0,mtu=1400 = vnet-encap --vni 100 --mtu 1450 --local 198.19.0.1"
	echo "  --remote 198.19.0.2 -o - = vnet-encap --vni 200 -o udp:LOCAL --remote PEER\`."
	echo "- (f) (c) with \`--no-offload\`: no tap offloads, no UDP GSO/GRO."
	echo "- (g) \`vnet-encap -i tap:vx0 -o tap:ult --local LOCAL --remote PEER --vni 100\`, ult in a bridge"
	echo "  with the veth (UDP tunnel offload, Linux 6.17: super-frames pass whole)."
	echo "- (h) (c) with \`-e geneve\` (UDP 6081, MTU 1450)."
	echo "- (i) (c) with \`-e nvgre --vni 5000\` (GRE, IP protocol 47, MTU 1458)."
	echo "- (j) (c) over IPv6: \`vnet-encap -i tap:vx0 -o udp:[2001:db8::1] --remote 2001:db8::2 --vni 100\`"
	echo "  (MTU 1430), the veth with 2001:db8::1/64 and ::2 (nodad)."
	echo "- (k) (c) sealed: \`-e geneve --key-file KEYS\` (\`vnet-encap keygen KEYS\`: $(awk '$1 == "cipher" { print $2 }' "$work/seal.keys" 2>/dev/null))."
} >"$out_md" || echo "bench: cannot write $out_md" >&2
echo "markdown: $out_md"

# The baselines must work; a vnet row that cannot run is reported, not fatal.
case " $only " in *" a "*) [ -n "${tcp[a]:-}" ] || exit 1 ;; esac
case " $only " in *" b "*) [ -n "${tcp[b]:-}" ] || exit 1 ;; esac
exit 0
