#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# vnet-acl: the policy checker and explainer, the one-way filter on
# captures, connection-table bounds, and the firewall on a live overlay.
#
# Captures (no namespaces): acl/gen.py writes them from a one-frame-a-line
# spec, vnet-acl reads them with --clock pcap (--explain, or the one-way
# filter with --stats), gen.py dump reads what passed.
#
# The overlay: two namespaced hosts, one chain per workload, the
# workload's tap inside the workload's own namespace.  web and api are in
# VNI 100 (UDP port 4789), cli and db in VNI 200 (port 4889); the segment
# is the chain's VNI, so vnet-acl sees untagged frames (segment 0).
#
#   host A, u0 198.18.0.1
#     +- vnet-encap --vni 100 = vnet-acl = vnet-tap -- eth0 [ns web 198.19.1.10]
#     +- vnet-encap --vni 200 = vnet-acl = vnet-tap -- eth0 [ns cli 198.19.2.30]
#     |
#   veth
#     |
#   host B, u0 198.18.0.2
#     +- vnet-encap --vni 100 = vnet-acl = vnet-tap -- eth0 [ns api 198.19.1.20]
#     +- vnet-encap --vni 200 = vnet-acl = vnet-tap -- eth0 [ns db 198.19.2.40]
#
# Every chain is `ip netns exec HOST vnet-pipe ip netns exec WORKLOAD
# vnet-tap tap:eth0 = vnet-acl -p POLICY --pidfile F = vnet-encap ...`,
# and every vnet-acl loads the same policy: egress is what leaves its
# workload, ingress what comes to it.  (Segments as 802.1Q subinterfaces
# would need the kernel's 8021q module, missing on some test machines;
# one chain per segment needs nothing but tun and veth.  VLAN segments
# are covered by the capture tests.)

load lib

ACL=$BATS_TEST_DIRNAME/acl

setup() {
	T=$BATS_TEST_TMPDIR
	[ -x "$VNET_BIN/vnet-acl" ] || {
		echo "$VNET_BIN/vnet-acl is missing: run make" >&2
		return 1
	}
	need_cmd python3 timeout
	cp "$ACL"/*.policy "$T"/
}

teardown() {
	vnet_teardown
}

gen() {
	python3 "$ACL/gen.py" "$@"
}

# lno FILE TEXT: the number of the first line of FILE that holds TEXT.
lno() {
	local n
	n=$(grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || { echo "no line '$2' in $1" >&2; return 1; }
	echo "$n"
}

# last_block LOG: the last set of counters in LOG (from its last
# frames_egress line on).
last_block() {
	awk '/^frames_egress\t/ { n = NR } { l[NR] = $0 }
	     END { if (n) for (i = n; i <= NR; i++) print l[i] }' "$1"
}

# ctr_in LOG NAME: counter NAME of the last set in LOG; "missing:NAME"
# (which no numeric test accepts) if that set has no such line.
ctr_in() {
	last_block "$1" | awk -F'\t' -v n="$2" '
		$1 == n { v = $2; f = 1 }
		END { if (f) print v; else print "missing:" n }'
}

# acl_filter STATS ARGS...: vnet-acl as a one-way filter (stdin to
# stdout) with --stats and the pcap clock, bounded in time; its stderr
# in STATS, its status in $status.
acl_filter() {
	local stats=$1
	shift
	status=0
	# fds 3/4 closed (bats holds 3): a one-way filter.
	timeout 20 vnet-acl --stats --clock pcap "$@" 2>"$stats" 3>&- 4>&- ||
		status=$?
	if [ "$status" != 0 ]; then
		echo "vnet-acl $* exited with $status:" >&2
		cat "$stats" >&2
	fi
}

# explain ARGS...: vnet-acl --explain, bounded in time, fds 3/4 closed.
explain() {
	timeout 20 vnet-acl --explain "$@" 3>&- 4>&-
}

# The frames of the --explain / filter tests, one a line, with the
# verdict, reason and rule (a policy line's text, '-' for none) each must
# get in direction egress: SPEC | VERDICT | REASON | RULE TEXT.
explain_cases() {
	cat <<'EOF'
tcp 198.19.1.10:40000 198.19.1.20:8080 S|allow|new|port 8080 log
tcp 198.19.1.20:8080 198.19.1.10:40000 SA|allow|reply|port 8080 log
tcp 198.19.1.10:40000 198.19.1.20:8080 A len 100|allow|established|port 8080 log
tcp 198.19.1.10:40001 198.19.1.20:9090 S|deny|default|default deny
tcp 198.19.1.10:40002 198.19.1.20:22 S|reject|policy|port 22
tcp 198.19.1.10:40003 198.19.1.20:8080 A|deny|invalid|-
udp 198.19.1.10:5000 198.19.1.20:53|allow|new|port 53
udp 198.19.1.20:53 198.19.1.10:5000|allow|reply|port 53
icmp 198.19.1.10 198.19.1.20 echo-request|allow|new|proto icmp type
icmp 198.19.1.20 198.19.1.10 echo-reply|allow|reply|proto icmp type
arp 198.19.1.10 198.19.1.20|allow|arp|-
ether 88cc|deny|other|-
vlan 200 tcp 198.19.2.30:40000 198.19.2.40:5432 S|allow|new|port 5432
vlan 100 tcp 198.19.2.30:40000 198.19.2.40:5432 S|deny|default|default deny
vlan 300 tcp 198.19.2.30:40001 198.19.2.40:9 S|allow|new|default segment 300
icmp 2001:db8:1::10 2001:db8:1::20 echo-request id 9|allow|new|proto icmp6
nd ns 2001:db8:1::10 2001:db8:1::20|allow|nd|-
tcp 198.19.1.30:40000 198.19.1.10:80 S|deny|default|default deny
EOF
}

# explain_pcap: $T/explain.pcap from explain_cases.
explain_pcap() {
	explain_cases | cut -d'|' -f1 | gen make "$T/explain.pcap"
}

# rule_of TEXT: "explain.policy:LINE" of the rule holding TEXT, or "-".
rule_of() {
	if [ "$1" = - ]; then
		echo -
	else
		echo "explain.policy:$(lno "$T/explain.policy" "$1")"
	fi
}

@test "--check accepts a good policy with includes and prints its summary" {
	cd "$T"
	run vnet-acl --check -p good.policy
	echo "$output"
	[ "$status" -eq 0 ]
	# groups web api prod db backend v6 (prod on two lines, one group;
	# any not counted), workloads web api db, 7 rules (defaults are not).
	[ "$output" = "good.policy: ok: 6 groups, 3 workloads, 7 rules" ]
}

@test "--check warns of what is valid but likely wrong: empty groups, rules that never match, duplicates" {
	cd "$T"
	cat >w.policy <<-'EOF'
		workload web mac 02:00:c6:13:01:0a ip 198.19.1.10 label app=web
		workload ghost label app=db
		group web label app=web
		group db label app=db
		group nobody label app=none
		group dbs group db
		group ghosts workload ghost
		group net prefix 198.19.0.0/16
		group webs group web
		allow from web to net proto tcp port 80-90
		allow from web to net proto tcp port 85
		allow from web to net proto tcp port 80-90
		deny egress from web to net proto tcp port 81
		allow from webs to any proto udp port 53
		deny from web to net proto udp port 53
		allow from web to net proto sctp port 3868
	EOF
	rc=0
	vnet-acl --check -p w.policy >check.out 2>check.err || rc=$?
	cat check.err
	# Valid: exit 0 and the summary; the warnings on stderr only.
	[ "$rc" -eq 0 ]
	[ "$(cat check.out)" = "w.policy: ok: 7 groups, 2 workloads, 7 rules" ]
	diff - check.err <<-'EOF'
		vnet-acl: w.policy:4: warning: group 'db' matches no workload: no workload with a mac or an ip has label app=db
		vnet-acl: w.policy:5: warning: group 'nobody' matches no workload: no workload with a mac or an ip has label app=none
		vnet-acl: w.policy:6: warning: group 'dbs' matches no workload: group 'db' matches none
		vnet-acl: w.policy:7: warning: group 'ghosts' matches no workload: workload 'ghost' has no mac and no ip
		vnet-acl: w.policy:11: warning: rule never matches: w.policy:10 (allow) covers all it matches
		vnet-acl: w.policy:12: warning: duplicate rule: w.policy:10 is the same
		vnet-acl: w.policy:13: warning: rule never matches: w.policy:10 (allow) covers all it matches
		vnet-acl: w.policy:15: warning: rule never matches: w.policy:14 (allow) covers all it matches
	EOF
	# The policy runs as written: the shadowed deny never decides.
	gen make w.pcap <<<'tcp 198.19.1.10:40000 198.19.1.20:81 S'
	explain -p w.policy w.pcap | grep -q "	allow	new	w.policy:10$"
	# The policies of these tests have nothing to warn of.
	for f in good explain matrix quota reload-v1 reload-v2 reload-v3 reload-revoke; do
		vnet-acl --check -p "$f.policy" >/dev/null 2>check.err
		[ ! -s check.err ] || { cat check.err; return 1; }
	done
}

@test "SCTP ports in rules, as a NetworkPolicy has them: matched, tracked as UDP is, explained" {
	cd "$T"
	cat >s.policy <<-'EOF'
		group net prefix 198.19.0.0/16
		allow from net to net proto sctp port 3868,9899
		deny from net to net proto sctp sport 5000
	EOF
	run vnet-acl --check -p s.policy
	[ "$status" -eq 0 ]
	gen make s.pcap <<-'EOF'
		sctp 198.19.1.10:40000 198.19.1.20:3868
		sctp 198.19.1.20:3868 198.19.1.10:40000 len 16
		sctp 198.19.1.10:40000 198.19.1.20:3868 len 16
		sctp 198.19.1.10:5000 198.19.1.20:80
		sctp 198.19.1.10:40001 198.19.1.20:81
		udp 198.19.1.10:40002 198.19.1.20:3868
	EOF
	explain -p s.policy s.pcap >s.tsv
	cat s.tsv
	diff - <(cut -f4- s.tsv) <<-'EOF'
		sctp 198.19.1.10:40000 > 198.19.1.20:3868	allow	new	s.policy:2
		sctp 198.19.1.20:3868 > 198.19.1.10:40000	allow	reply	s.policy:2
		sctp 198.19.1.10:40000 > 198.19.1.20:3868	allow	established	s.policy:2
		sctp 198.19.1.10:5000 > 198.19.1.20:80	deny	policy	s.policy:3
		sctp 198.19.1.10:40001 > 198.19.1.20:81	deny	default	default
		udp 198.19.1.10:40002 > 198.19.1.20:3868	deny	default	default
	EOF
	# JSON has its ports; the connection table dumps it as sctp.
	explain --json -p s.policy --ct-dump ct.tsv s.pcap | head -1 >s.json
	jq -e '.proto == "sctp" and .sport == 40000 and .dport == 3868' s.json
	grep -q '^0	sctp	198.19.1.10	40000	198.19.1.20	3868	UDP_REPLIED	egress	' ct.tsv
	# The filter passes what is allowed, byte for byte.
	acl_filter stats.txt -p s.policy <s.pcap >passed.pcap
	[ "$status" -eq 0 ]
	[ "$(ctr_in stats.txt passed_egress)" -eq 3 ]
	diff - <(gen dump passed.pcap | cut -f3) <<-'EOF'
		sctp 198.19.1.10:40000 > 198.19.1.20:3868
		sctp 198.19.1.20:3868 > 198.19.1.10:40000
		sctp 198.19.1.10:40000 > 198.19.1.20:3868
	EOF
}

# check_bad FILE LINE REGEX: --check on FILE exits 2, says nothing on
# stdout, and names FILE:LINE: with a message matching REGEX on stderr.
check_bad() {
	local rc=0
	vnet-acl --check -p "$1" >"$T/check.out" 2>"$T/check.err" || rc=$?
	echo "--check -p $1: status $rc, stderr: $(cat "$T/check.err")"
	[ "$rc" -eq 2 ]
	[ ! -s "$T/check.out" ]
	grep -qE -- "(^|[ /])$1:$2: .*$3" "$T/check.err"
}

@test "--check refuses a bad policy: exit 2 and FILE:LINE: what is wrong" {
	cd "$T"
	printf 'group web prefix 198.19.1.0/24\n\nallow from web to dbs proto tcp port 5432\n' >p1.policy
	check_bad p1.policy 3 "unknown group 'dbs'"
	printf 'group web prefix 198.19.1.0/24\nallow from 198.19.1.10 to web\n' >p2.policy
	check_bad p2.policy 2 "expected a group name"
	# A continued line is reported at its first line.
	printf '# c\ngroup a prefix 198.19.1.0/24\nallow from a \\\n\tto a \\\n\tproto any port 80\n' >p3.policy
	check_bad p3.policy 3 "'port'"
	printf 'group a prefix 198.19.1.0/24\nallow from a to a proto tcp type echo-request\n' >p4.policy
	check_bad p4.policy 2 "'type'"
	# No forward references between groups.
	printf 'group a group b\ngroup b prefix 198.19.1.0/24\n' >p5.policy
	check_bad p5.policy 1 "unknown group 'b'"
	printf 'group a prefix 198.19.1.0/24\nallow from a to a proto tcp port 70000\n' >p6.policy
	check_bad p6.policy 2 "70000"
	# An error in an included file names that file and its line.
	mkdir -p sub
	printf 'group a prefix 198.19.1.0/24\n' >sub/ok.policy
	printf '# inc\n\nallow from a to nowhere\n' >sub/bad.policy
	printf 'include sub/ok.policy\ninclude sub/bad.policy\n' >p7.policy
	rc=0
	vnet-acl --check -p p7.policy >/dev/null 2>"$T/check.err" || rc=$?
	cat "$T/check.err"
	[ "$rc" -eq 2 ]
	grep -qE "sub/bad\.policy:3: .*unknown group 'nowhere'" "$T/check.err"
	# An include cycle is an error, not a hang.
	printf 'include c2.policy\n' >c1.policy
	printf 'group a prefix 198.19.1.0/24\ninclude c1.policy\n' >c2.policy
	rc=0
	timeout 10 vnet-acl --check -p c1.policy >/dev/null 2>"$T/check.err" || rc=$?
	cat "$T/check.err"
	[ "$rc" -eq 2 ]
	grep -qE "c[12]\.policy:[12]: .*cycle" "$T/check.err"
	# A missing file: exit 2, named.
	rc=0
	vnet-acl --check -p nonexistent.policy 2>"$T/check.err" || rc=$?
	cat "$T/check.err"
	[ "$rc" -eq 2 ]
	grep -q "nonexistent.policy" "$T/check.err"
}

@test "--explain prints one TSV line per frame: verdict, reason and deciding rule" {
	explain_pcap
	cd "$T"
	rc=0
	explain -p explain.policy explain.pcap >out.tsv 2>err || rc=$?
	cat err
	[ "$rc" -eq 0 ]
	cat out.tsv
	# The full lines of the IPv4, ARP and non-IP frames ...
	cat >want.tsv <<EOF
1	egress	0	tcp 198.19.1.10:40000 > 198.19.1.20:8080 [S]	allow	new	$(rule_of "port 8080 log")
2	egress	0	tcp 198.19.1.20:8080 > 198.19.1.10:40000 [S.]	allow	reply	$(rule_of "port 8080 log")
3	egress	0	tcp 198.19.1.10:40000 > 198.19.1.20:8080 [.]	allow	established	$(rule_of "port 8080 log")
4	egress	0	tcp 198.19.1.10:40001 > 198.19.1.20:9090 [S]	deny	default	$(rule_of "default deny")
5	egress	0	tcp 198.19.1.10:40002 > 198.19.1.20:22 [S]	reject	policy	$(rule_of "port 22")
6	egress	0	tcp 198.19.1.10:40003 > 198.19.1.20:8080 [.]	deny	invalid	-
7	egress	0	udp 198.19.1.10:5000 > 198.19.1.20:53	allow	new	$(rule_of "port 53")
8	egress	0	udp 198.19.1.20:53 > 198.19.1.10:5000	allow	reply	$(rule_of "port 53")
9	egress	0	icmp 198.19.1.10 > 198.19.1.20 echo-request	allow	new	$(rule_of "proto icmp type")
10	egress	0	icmp 198.19.1.20 > 198.19.1.10 echo-reply	allow	reply	$(rule_of "proto icmp type")
11	egress	0	arp who-has 198.19.1.20 tell 198.19.1.10	allow	arp	-
12	egress	0	ether 0x88cc	deny	other	-
13	egress	200	tcp 198.19.2.30:40000 > 198.19.2.40:5432 [S]	allow	new	$(rule_of "port 5432")
14	egress	100	tcp 198.19.2.30:40000 > 198.19.2.40:5432 [S]	deny	default	$(rule_of "default deny")
15	egress	300	tcp 198.19.2.30:40001 > 198.19.2.40:9 [S]	allow	new	$(rule_of "default segment 300")
EOF
	head -n 15 out.tsv | diff want.tsv -
	# ... and every column but the summary of the IPv6 ones.
	cat >want6.tsv <<EOF
16	egress	0	allow	new	$(rule_of "proto icmp6")
17	egress	0	allow	nd	-
18	egress	0	deny	default	$(rule_of "default deny")
EOF
	tail -n +16 out.tsv | cut -f1-3,5- | diff want6.tsv -
	[ "$(wc -l <out.tsv)" -eq 18 ]
	# The same from stdin; in direction ingress the last SYN is allowed.
	explain --dir ingress -p explain.policy <explain.pcap >in.tsv
	diff <(head -n 17 out.tsv | sed 's/\tegress\t/\tingress\t/') \
		<(head -n 17 in.tsv)
	[ "$(sed -n 18p in.tsv | cut -f5-)" = "allow	new	$(rule_of "allow ingress")" ]
}

@test "--explain --json writes one object per frame with the documented keys" {
	need_cmd python3
	explain_pcap
	cd "$T"
	explain --json -p explain.policy explain.pcap >out.json
	cat out.json
	explain_cases >cases
	# Every line an object with exactly the keys; the verdict, reason
	# and rule of every frame as in the TSV test.
	python3 - "$T" <<'EOF'
import json, subprocess, sys
T = sys.argv[1]
keys = {"frame", "dir", "segment", "proto", "src", "dst", "sport", "dport",
        "verdict", "reason", "rule", "rule_text"}
lines = open(T + "/out.json").read().splitlines()
cases = open(T + "/cases").read().splitlines()
pol = open(T + "/explain.policy").read().splitlines()
assert len(lines) == len(cases), (len(lines), len(cases))
def rule(text):
    if text == "-":
        return None
    for i, l in enumerate(pol, 1):
        if text in l:
            return "explain.policy:%d" % i, " ".join(l.split("#")[0].split())
    raise SystemExit("no rule " + text)
for i, (l, c) in enumerate(zip(lines, cases), 1):
    o = json.loads(l)
    assert set(o) == keys, (i, sorted(o))
    spec, verdict, reason, text = c.split("|")
    assert o["frame"] == i, (i, o)
    assert o["dir"] == "egress", (i, o)
    assert (o["verdict"], o["reason"]) == (verdict, reason), (i, o, c)
    r = rule(text)
    if r is None:
        assert o["rule"] in (None, "-"), (i, o)
    else:
        assert o["rule"] == r[0], (i, o, r)
        assert o["rule_text"] == r[1], (i, o, r)
# Frame 1 in full (proto as a name or a number).
o = json.loads(lines[0])
assert o["segment"] == 0 and o["src"] == "198.19.1.10" and \
    o["dst"] == "198.19.1.20" and o["sport"] == 40000 and \
    o["dport"] == 8080 and o["proto"] in ("tcp", 6), o
o = json.loads(lines[12])
assert o["segment"] == 200 and o["dport"] == 5432, o
o = json.loads(lines[15])
assert o["src"] == "2001:db8:1::10" and o["proto"] in ("icmp6", "ipv6-icmp", 58), o
print("json ok")
EOF
}

# passed_frames IN OUT VERDICTS: OUT holds exactly the frames of IN whose
# verdict (one a line in VERDICTS) is allow, byte for byte, in order.
passed_frames() {
	gen dump "$1" --hex | cut -f2- | paste - "$3" |
		awk -F'\t' '$4 == "allow" { print $1 "\t" $2 "\t" $3 }' >"$T/want.dump"
	gen dump "$2" --hex | cut -f2- >"$T/got.dump"
	diff "$T/want.dump" "$T/got.dump"
}

@test "--log writes the frames it drops and a log rule's new connections to stderr, rate-limited" {
	explain_pcap
	cd "$T"
	rc=0
	explain --log -p explain.policy explain.pcap >out.tsv 2>err || rc=$?
	cat err
	[ "$rc" -eq 0 ]
	# The 6 frames not allowed and the new connection of the log rule;
	# not its reply and established packets.
	[ "$(grep -c '^vnet-acl: ' err)" -eq 7 ]
	grep -qxF "vnet-acl: allow egress segment 0: tcp 198.19.1.10:40000 > 198.19.1.20:8080 [S] (new $(rule_of "port 8080 log"))" err
	grep -qxF "vnet-acl: deny egress segment 0: tcp 198.19.1.10:40001 > 198.19.1.20:9090 [S] (default $(rule_of "default deny"))" err
	grep -qxF "vnet-acl: reject egress segment 0: tcp 198.19.1.10:40002 > 198.19.1.20:22 [S] (policy $(rule_of "port 22"))" err
	grep -qxF "vnet-acl: deny egress segment 0: tcp 198.19.1.10:40003 > 198.19.1.20:8080 [.] (invalid)" err
	grep -qxF "vnet-acl: deny egress segment 0: ether 0x88cc (other)" err
	grep -qxF "vnet-acl: deny egress segment 100: tcp 198.19.2.30:40000 > 198.19.2.40:5432 [S] (default $(rule_of "default deny"))" err
	# Without --log, nothing.
	explain -p explain.policy explain.pcap >/dev/null 2>err2
	cat err2
	[ ! -s err2 ]
	# 30 denied SYNs at one instant, then one 10 s later (by the pcap
	# clock): a burst of 20 lines, and the count of those held back.
	{
		for i in $(seq 1 30); do
			echo "at 0 tcp 198.19.1.10:$((41000 + i)) 198.19.1.20:9090 S"
		done
		echo "at 10 tcp 198.19.1.10:42000 198.19.1.20:9090 S"
	} | gen make flood.pcap
	explain --log -p explain.policy flood.pcap >/dev/null 2>err3
	[ "$(grep -c '^vnet-acl: deny egress segment 0: tcp ' err3)" -eq 21 ]
	grep -q ':41020 > .*(default .*)$' err3
	fails grep -q ':41021 > ' err3
	grep -q ':42000 > .* (10 similar messages suppressed)$' err3
}

@test "as a one-way filter passes the allowed frames unchanged and drops the rest" {
	explain_pcap
	explain_cases | cut -d'|' -f2 >"$T/verdicts"
	cd "$T"
	acl_filter stats -p explain.policy <explain.pcap >out.pcap
	[ "$status" -eq 0 ]
	cat stats
	passed_frames explain.pcap out.pcap verdicts
	[ "$(ctr_in stats frames_egress)" -eq 18 ]
	[ "$(ctr_in stats frames_ingress)" -eq 0 ]
	[ "$(ctr_in stats passed_egress)" -eq 12 ]
	[ "$(ctr_in stats allowed_new)" -eq 6 ]
	[ "$(ctr_in stats allowed_established)" -eq 4 ]
	[ "$(ctr_in stats allowed_arp)" -eq 1 ]
	[ "$(ctr_in stats allowed_nd)" -eq 1 ]
	[ "$(ctr_in stats drop_default)" -eq 3 ]
	[ "$(ctr_in stats drop_policy)" -eq 1 ]
	[ "$(ctr_in stats drop_invalid)" -eq 1 ]
	[ "$(ctr_in stats drop_other)" -eq 1 ]
	# A one-way filter cannot answer the reject.
	[ "$(ctr_in stats rejects_sent)" -eq 0 ]
	[ "$(ctr_in stats reject_unsendable)" -eq 1 ]
	[ "$(ctr_in stats ct_created)" -eq 6 ]
	[ "$(ctr_in stats ct_entries)" -eq 6 ]
	# Per-rule counters name the rule that decided.
	r=$(rule_of "port 8080 log")
	[ "$(ctr_in stats "rule:$r:conns")" -eq 1 ]
	[ "$(ctr_in stats "rule:$r:packets")" -eq 3 ]
	r=$(rule_of "default deny")
	[ "$(ctr_in stats "rule:$r:packets")" -eq 3 ]
	[ "$(ctr_in stats "rule:$r:conns")" -eq 0 ]
	r=$(rule_of "port 22")
	[ "$(ctr_in stats "rule:$r:packets")" -eq 1 ]
	r=$(rule_of "allow ingress")
	[ "$(ctr_in stats "rule:$r:packets")" -eq 0 ]

	# --dir ingress: the ingress-only rule lets the last SYN through.
	sed '$s/.*/allow/' verdicts >verdicts.in
	acl_filter stats.in --dir ingress -p explain.policy <explain.pcap >in.pcap
	[ "$status" -eq 0 ]
	passed_frames explain.pcap in.pcap verdicts.in
	[ "$(ctr_in stats.in frames_ingress)" -eq 18 ]
	[ "$(ctr_in stats.in passed_ingress)" -eq 13 ]
	[ "$(ctr_in stats.in "rule:$r:conns")" -eq 1 ]
}

# replay_spec: a few thousand frames over three segments and about two
# minutes of capture time: handshakes, unanswered SYNs, UDP, denied
# ports, and idle gaps past the short timeouts the replay test sets.
replay_spec() {
	awk 'BEGIN {
		t = 0
		for (i = 0; i < 720; i++) {
			s = i % 3 + 1; seg = s * 100
			src = "198.19." s ".10"; dst = "198.19." s ".20"
			p = 10000 + i
			if (i % 90 == 89) t += 9
			t += 0.013
			printf "at %.3f vlan %d tcp %s:%d %s:8080 S\n", t, seg, src, p, dst
			if (i % 4 != 3) {
				printf "at %.3f vlan %d tcp %s:8080 %s:%d SA\n", t + 0.001, seg, dst, src, p
				printf "at %.3f vlan %d tcp %s:%d %s:8080 A len 200\n", t + 0.002, seg, src, p, dst
			}
			if (i % 5 == 0) {
				printf "at %.3f vlan %d udp %s:%d %s:53\n", t + 0.003, seg, src, p, dst
				if (i % 10 == 0)
					printf "at %.3f vlan %d udp %s:53 %s:%d\n", t + 0.004, seg, dst, src, p
			}
			if (i % 11 == 0)
				printf "at %.3f vlan %d tcp %s:%d %s:9090 S\n", t + 0.005, seg, src, p, dst
			if (i % 13 == 0)
				printf "at %.3f vlan %d tcp %s:%d %s:22 S\n", t + 0.006, seg, src, p, dst
			t += 0.007
		}
	}'
}

@test "replays a capture deterministically with --clock pcap: same output, same counters" {
	replay_spec | gen make "$T/replay.pcap"
	# Everything in 198.19.0.0/16 may talk on 8080 and 53.
	cat >"$T/replay.policy" <<'EOF'
group all prefix 198.19.0.0/16
allow from all to all proto tcp port 8080
allow from all to all proto udp port 53
reject from all to all proto tcp port 22
EOF
	cd "$T"
	args=(-p replay.policy --ct-max 64 --ct-reserve 4 --ct-quota 20
		--timeout tcp-syn=5s --timeout tcp-est=6s --timeout udp=5s
		--timeout udp-stream=5s)
	for run in 1 2; do
		acl_filter "stats$run" "${args[@]}" --ct-dump "ct$run.tsv" \
			<replay.pcap >"out$run.pcap"
		[ "$status" -eq 0 ]
	done
	cmp out1.pcap out2.pcap
	diff <(grep -P '\t' stats1) <(grep -P '\t' stats2)
	cmp ct1.tsv ct2.tsv
	cat stats1
	# The run had something to reproduce: expiry by capture time (the
	# capture spans minutes, the run a fraction of a second), evictions
	# and refusals.
	[ "$(ctr_in stats1 ct_expired)" -gt 0 ]
	[ "$(ctr_in stats1 ct_evicted)" -gt 0 ]
	[ "$(ctr_in stats1 drop_ct_quota)" -gt 0 ]
	[ "$(ctr_in stats1 drop_policy)" -gt 0 ]
	[ "$(ctr_in stats1 drop_default)" -gt 0 ]
	[ "$(ctr_in stats1 passed_egress)" -gt 1000 ]
	[ "$(gen dump out1.pcap | wc -l)" -eq "$(ctr_in stats1 passed_egress)" ]
}

# SYN / handshake spec lines: syn SEG SRC SPORT DST DPORT.
syn() { echo "vlan $1 tcp $2:$3 $4:$5 S"; }
synack() { echo "vlan $1 tcp $4:$5 $2:$3 SA"; }
handshake() { syn "$@"; synack "$@"; echo "vlan $1 tcp $2:$3 $4:$5 A"; }

@test "a segment at its quota evicts its own unanswered entries, then refuses; counts are exact" {
	{
		# Segment 100, quota 4: ten unanswered SYNs, six evicted.
		for p in $(seq 1001 1010); do syn 100 198.19.1.10 $p 198.19.1.20 80; done
		# The four kept are answered: no longer evictable ...
		for p in $(seq 1007 1010); do synack 100 198.19.1.10 $p 198.19.1.20 80; done
		# ... an answer to an evicted one is invalid ...
		synack 100 198.19.1.10 1001 198.19.1.20 80
		# ... and two more SYNs find the segment full of its own.
		syn 100 198.19.1.10 1011 198.19.1.20 80
		syn 100 198.19.1.10 1012 198.19.1.20 80
		# Segment 200 has its own quota, 6: seven SYNs, one evicted.
		for p in $(seq 2001 2007); do syn 200 198.19.2.10 $p 198.19.2.20 80; done
	} | gen make "$T/quota.pcap"
	cd "$T"
	acl_filter stats -p quota.policy --ct-max 16 --ct-reserve 4 \
		--ct-quota 4 --ct-quota 200=6 --ct-dump ct.tsv \
		<quota.pcap >out.pcap
	[ "$status" -eq 0 ]
	cat stats ct.tsv
	[ "$(ctr_in stats frames_egress)" -eq 24 ]
	[ "$(ctr_in stats passed_egress)" -eq 21 ]
	[ "$(ctr_in stats ct_created)" -eq 17 ]
	[ "$(ctr_in stats ct_evicted)" -eq 7 ]
	[ "$(ctr_in stats drop_ct_quota)" -eq 2 ]
	[ "$(ctr_in stats drop_ct_full)" -eq 0 ]
	[ "$(ctr_in stats drop_invalid)" -eq 1 ]
	[ "$(ctr_in stats ct_entries)" -eq 10 ]
	[ "$(ctr_in stats "rule:quota.policy:$(lno quota.policy 'port 80'):conns")" -eq 17 ]
	# What passed: all the SYNs but the last two of segment 100, the
	# four answers to kept entries.
	gen dump out.pcap | cut -f2- >got
	{
		for p in $(seq 1001 1010); do echo "100	tcp 198.19.1.10:$p > 198.19.1.20:80 S"; done
		for p in $(seq 1007 1010); do echo "100	tcp 198.19.1.20:80 > 198.19.1.10:$p SA"; done
		for p in $(seq 2001 2007); do echo "200	tcp 198.19.2.10:$p > 198.19.2.20:80 S"; done
	} | diff - got
	# The table at exit: 1007-1010 answered in 100, 2002-2007 in 200.
	[ "$(awk '$1 == 100' ct.tsv | wc -l)" -eq 4 ]
	[ "$(awk '$1 == 100 && $4 >= 1007 && $4 <= 1010 && $7 == "SYN_RECV"' ct.tsv | wc -l)" -eq 4 ]
	[ "$(awk '$1 == 200 && $4 >= 2002 && $7 == "SYN_SENT"' ct.tsv | wc -l)" -eq 6 ]
}

@test "a full table refuses new connections, the reserved share still admits management" {
	{
		# Segment 100 fills its quota (8) with established connections;
		# two more SYNs are over quota.
		for p in $(seq 3001 3008); do handshake 100 198.19.1.10 $p 198.19.1.20 80; done
		syn 100 198.19.1.10 3009 198.19.1.20 80
		syn 100 198.19.1.10 3010 198.19.1.20 80
		# Segment 200 takes the rest of the unreserved share (16 - 4):
		# further SYNs find the table full.
		for p in $(seq 4001 4004); do handshake 200 198.19.2.10 $p 198.19.2.20 80; done
		syn 200 198.19.2.10 4005 198.19.2.20 80
		syn 200 198.19.2.10 4006 198.19.2.20 80
		# Management SSH in the flooded segment 100 (a reserve rule).
		handshake 100 198.19.9.1 5001 198.19.1.20 22
		# Three more fill the last entries, a fourth evicts the oldest
		# unanswered one.
		for p in $(seq 5002 5005); do syn 100 198.19.9.1 $p 198.19.1.20 22; done
		# An ordinary SYN in an idle segment: the table is full.
		syn 300 198.19.3.10 6001 198.19.3.20 80
	} | gen make "$T/full.pcap"
	cd "$T"
	acl_filter stats -p quota.policy --ct-max 16 --ct-reserve 4 \
		--ct-quota 8 --ct-dump ct.tsv <full.pcap >out.pcap
	[ "$status" -eq 0 ]
	cat stats ct.tsv
	[ "$(ctr_in stats frames_egress)" -eq 48 ]
	[ "$(ctr_in stats passed_egress)" -eq 43 ]
	[ "$(ctr_in stats ct_created)" -eq 17 ]
	[ "$(ctr_in stats drop_ct_quota)" -eq 2 ]
	[ "$(ctr_in stats drop_ct_full)" -eq 3 ]
	[ "$(ctr_in stats ct_evicted)" -eq 1 ]
	[ "$(ctr_in stats ct_entries)" -eq 16 ]
	[ "$(ctr_in stats "rule:quota.policy:$(lno quota.policy 'port 22 reserve'):conns")" -eq 5 ]
	[ "$(ctr_in stats "rule:quota.policy:$(lno quota.policy 'port 80'):conns")" -eq 12 ]
	# The management handshake went through whole.
	gen dump out.pcap | cut -f2- >got
	grep -qx '100	tcp 198.19.9.1:5001 > 198.19.1.20:22 S' got
	grep -qx '100	tcp 198.19.1.20:22 > 198.19.9.1:5001 SA' got
	grep -qx '100	tcp 198.19.9.1:5001 > 198.19.1.20:22 A' got
	[ "$(grep -cE ':(3009|3010|4005|4006|6001) ' got)" -eq 0 ]
	# Evicted: 5002, the oldest unanswered entry.
	[ "$(awk '$4 == 5001 && $7 == "ESTABLISHED"' ct.tsv | wc -l)" -eq 1 ]
	[ "$(awk '$4 == 5002' ct.tsv | wc -l)" -eq 0 ]
	[ "$(awk '$4 >= 5003 && $4 <= 5005 && $7 == "SYN_SENT"' ct.tsv | wc -l)" -eq 3 ]
}

@test "ARP and neighbour discovery pass by default, and are dropped by arp deny / nd deny" {
	cat >"$T/l2.spec" <<'EOF'
arp 198.19.1.10 198.19.1.20
arp-reply 198.19.1.20 198.19.1.10
nd ns 2001:db8:1::10 2001:db8:1::20
nd na 2001:db8:1::20 2001:db8:1::10
nd rs fe80::1 ff02::2
nd mld fe80::1 ff02::16
ether 88cc
icmp 2001:db8:1::10 2001:db8:1::20 echo-request
EOF
	gen make "$T/l2.pcap" <"$T/l2.spec"
	cd "$T"
	acl_filter stats -p explain.policy <l2.pcap >out.pcap
	[ "$status" -eq 0 ]
	cat stats
	[ "$(ctr_in stats allowed_arp)" -eq 2 ]
	[ "$(ctr_in stats allowed_nd)" -eq 4 ]
	[ "$(ctr_in stats drop_other)" -eq 1 ]
	[ "$(ctr_in stats passed_egress)" -eq 7 ]
	# The same with arp deny, nd deny, other allow.
	{ cat explain.policy; printf 'arp deny\nnd deny\nother allow\n'; } >l2.policy
	acl_filter stats2 -p l2.policy <l2.pcap >out2.pcap
	[ "$status" -eq 0 ]
	cat stats2
	[ "$(ctr_in stats2 drop_arp)" -eq 2 ]
	[ "$(ctr_in stats2 drop_nd)" -eq 4 ]
	[ "$(ctr_in stats2 allowed_arp)" -eq 0 ]
	[ "$(ctr_in stats2 allowed_nd)" -eq 0 ]
	[ "$(ctr_in stats2 allowed_other)" -eq 1 ]
	[ "$(ctr_in stats2 passed_egress)" -eq 2 ]
	gen dump out2.pcap | cut -f3 >got
	printf '%s\n' "ether 0x88cc" "icmp6 2001:db8:1::10 > 2001:db8:1::20 128/0" | diff - got
	explain -p l2.policy l2.pcap | cut -f5,6 >why
	printf 'deny\tarp\ndeny\tarp\ndeny\tnd\ndeny\tnd\ndeny\tnd\ndeny\tnd\nallow\tother\nallow\tnew\n' | diff - why
}

# --- the live overlay -------------------------------------------------------

# start_workload NAME POLICY [VNET-ACL ARGS...]: namespace NS_NAME for
# workload NAME (web api cli db, see the drawing) with its tap eth0 and
# addresses, behind its chain (background process vnet_NAME) on its host;
# the vnet-acl's pid in $T/NAME.pid.
start_workload() {
	local name=$1 pol=$2 host vni ip ip6='' mac here there ns
	shift 2
	case $name in
	web) host=$A vni=100 ip=198.19.1.10 ip6=2001:db8:1::10 mac=02:00:c6:13:01:0a ;;
	api) host=$B vni=100 ip=198.19.1.20 ip6=2001:db8:1::20 mac=02:00:c6:13:01:14 ;;
	cli) host=$A vni=200 ip=198.19.2.30 mac=02:00:c6:13:02:1e ;;
	db) host=$B vni=200 ip=198.19.2.40 mac=02:00:c6:13:02:28 ;;
	esac
	if [ "$host" = "$A" ]; then
		here=198.18.0.1 there=198.18.0.2
	else
		here=198.18.0.2 there=198.18.0.1
	fi
	mkns ns "w$name"
	printf -v "NS_$name" '%s' "$ns"
	bg "vnet_$name" ip netns exec "$host" vnet-pipe \
		ip netns exec "$ns" vnet-tap "tap:eth0,mtu=1450,mac=$mac" = \
		vnet-acl -v -p "$pol" --pidfile "$T/$name.pid" "$@" = \
		vnet-encap --vni "$vni" --dstport $((4689 + vni)) \
		-o "udp:$here" --remote "$there"
	wait_link "$ns" eth0
	ip -n "$ns" addr add "$ip/24" dev eth0
	[ -z "$ip6" ] || ip -n "$ns" addr add "$ip6/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	wait_for 50 test -s "$T/$name.pid"
}

ns_of() {
	local v="NS_$1"
	echo "${!v}"
}

# serve NAME SPEC...: echo servers (net.py serve) in workload NAME.
serve() {
	local name=$1
	shift
	rm -f "$T/serve.$name.ready"
	bg "serve_$name" ip netns exec "$(ns_of "$name")" timeout 300 \
		python3 "$ACL/net.py" serve "$T/serve.$name.ready" "$@"
	wait_for 100 test -e "$T/serve.$name.ready"
}

# probe FROM PROTO ADDR PORT [TIMEOUT]: the outcome of one exchange with
# an echo server (ok, refused, unreachable, timeout, ...).
probe() {
	local ns
	ns=$(ns_of "$1")
	shift
	ip netns exec "$ns" timeout 20 python3 "$ACL/net.py" probe "$@"
}

# probe_is WANT FROM PROTO ADDR PORT [TIMEOUT]
probe_is() {
	local want=$1 got
	shift
	got=$(probe "$@") || true
	echo "probe $*: $got (want $want)"
	[ "$got" = "$want" ]
}

# probe_all: lines "WANT FROM PROTO ADDR PORT TIMEOUT" on stdin, probed
# all at once (the denied ones each wait out their timeout).
probe_all() {
	local i=0 n want args bad=0 pids=()
	while read -r want args; do
		[ -n "$want" ] || continue
		echo "$want $args" >"$T/want.$i"
		# shellcheck disable=SC2086  # args split on purpose
		probe $args >"$T/probe.$i" 2>&1 &
		pids+=($!)
		i=$((i + 1))
	done
	wait "${pids[@]}" || true
	for ((n = 0; n < i; n++)); do
		read -r want args <"$T/want.$n"
		echo "probe $args: $(cat "$T/probe.$n") (want $want)"
		[ "$(cat "$T/probe.$n")" = "$want" ] || bad=1
	done
	return $bad
}

# pings FROM ADDR: ping answered (2 requests).
pings() {
	ip netns exec "$(ns_of "$1")" ping -n -c 2 -i 0.2 -W 3 "$2"
}

# no_ping FROM ADDR: one request, no answer within 1 s.
no_ping() {
	! ip netns exec "$(ns_of "$1")" ping -n -c 1 -W 1 "$2"
}

# acl_counters NAME...: a fresh set of counters from each NAME's vnet-acl
# (SIGUSR1), complete in its log.
acl_counters() {
	local name log n s1 s2
	for name; do
		log=$(log_of "vnet_$name")
		n=$(grep -c '^frames_egress' "$log" || true)
		kill -USR1 "$(cat "$T/$name.pid")"
		wait_for 50 bash -c "[ \$(grep -c '^frames_egress' '$log') -gt $n ]" ||
			return 1
		# The set is written line by line: wait until the log is still.
		s1=-1
		for ((n = 0; n < 50; n++)); do
			s2=$(stat -c %s "$log")
			[ "$s1" = "$s2" ] && break
			s1=$s2
			sleep 0.1
		done
	done
}

# c NAME COUNTER: from NAME's last set of counters.
c() {
	ctr_in "$(log_of "vnet_$1")" "$2"
}

# r NAME TEXT KIND: per-rule counter KIND (packets/bytes/conns) of the
# rule holding TEXT in $P, from NAME's last set.
r() {
	c "$1" "rule:$P:$(lno "$P" "$2"):$3"
}

@test "policy matrix across an overlay: allowed pairs connect, denied ones fail, rules counted" {
	need_root
	need_cmd ping
	setup_hosts
	P=$T/matrix.policy
	for w in web api cli db; do
		start_workload $w "$P"
	done
	serve api tcp:198.19.1.20:8080 tcp:198.19.1.20:9090 \
		udp:198.19.1.20:5353 udp:198.19.1.20:5354 \
		"tcp:[2001:db8:1::20]:8080" "tcp:[2001:db8:1::20]:9090"
	serve web tcp:198.19.1.10:8080 udp:198.19.1.10:5353
	serve db tcp:198.19.2.40:5432 tcp:198.19.2.40:22 \
		udp:198.19.2.40:53 udp:198.19.2.40:161
	serve cli tcp:198.19.2.30:7000 udp:198.19.2.30:7000

	# Allowed, each answered (return traffic flows), v4 and v6.
	pings web 198.19.1.20
	pings web 2001:db8:1::20
	probe_is ok web tcp 198.19.1.20 8080
	probe_is ok web tcp 2001:db8:1::20 8080
	probe_is ok web udp 198.19.1.20 5353
	pings cli 198.19.2.40
	probe_is ok cli tcp 198.19.2.40 5432
	probe_is ok cli udp 198.19.2.40 53
	# Rejected: refused at once (a RST), unreachable (ICMP prohibited).
	probe_is refused cli tcp 198.19.2.40 22 3
	probe_is unreachable cli udp 198.19.2.40 161 3
	# Denied: nothing comes back.  Another port, the other way round,
	# anything new toward the client-only workload.
	probe_all <<'EOF'
timeout web tcp 198.19.1.20 9090 1.5
timeout web tcp 2001:db8:1::20 9090 1.5
timeout web udp 198.19.1.20 5354 1.5
timeout api tcp 198.19.1.10 8080 1.5
timeout api udp 198.19.1.10 5353 1.5
timeout db tcp 198.19.2.30 7000 1.5
timeout db udp 198.19.2.30 7000 1.5
EOF
	no_ping api 198.19.1.10
	no_ping db 198.19.2.30
	# The client's own connections still work.
	probe_is ok cli tcp 198.19.2.40 5432

	acl_counters web api cli db
	for w in web api cli db; do
		echo "--- $w"
		last_block "$(log_of "vnet_$w")" | grep -v '	0$'
	done
	# Both ends of web -> api counted each connection once, on its rule.
	for w in web api; do
		[ "$(r $w 'port 8080' conns)" -eq 2 ]
		[ "$(r $w 'port 5353' conns)" -eq 1 ]
		[ "$(r $w 'proto icmp type' conns)" -eq 1 ]
		[ "$(r $w 'proto icmp6 type' conns)" -eq 1 ]
		[ "$(r $w 'port 8080' packets)" -gt 6 ]
		[ "$(c $w allowed_established)" -gt 0 ]
		[ "$(c $w allowed_nd)" -gt 0 ]
		[ "$(c $w allowed_arp)" -gt 0 ]
		[ "$(c $w drop_policy)" -eq 0 ]
	done
	# web's denied tries died at web's vnet-acl (builtin default), api's
	# at api's.
	[ "$(c web rule:default:packets)" -ge 3 ]
	[ "$(c web drop_default)" -ge 3 ]
	[ "$(c api rule:default:packets)" -ge 3 ]
	[ "$(c api drop_default)" -ge 3 ]
	[ "$(c api passed_ingress)" -gt 0 ]
	[ "$(c web passed_ingress)" -gt 0 ]
	# clients -> db: allowed on both ends.
	for w in cli db; do
		[ "$(r $w 'port 5432' conns)" -eq 2 ]
		[ "$(r $w 'db proto udp port 53' conns)" -eq 1 ]
		[ "$(r $w 'to db proto icmp' conns)" -eq 1 ]
	done
	# The rejects were decided and answered at the client's end: db's
	# vnet-acl never saw them.
	[ "$(c cli rejects_sent)" -ge 2 ]
	[ "$(r cli 'port 22' packets)" -ge 1 ]
	[ "$(r cli 'port 161' packets)" -ge 1 ]
	[ "$(r db 'port 22' packets)" -eq 0 ]
	[ "$(r db 'port 161' packets)" -eq 0 ]
	[ "$(c db rejects_sent)" -eq 0 ]
	# db -> client: db's end let it out (egress rule), the client's end
	# refused it (ingress rule): one TCP, one UDP, one ping.
	[ "$(r db 'allow egress from db' conns)" -eq 3 ]
	[ "$(r cli 'deny ingress' packets)" -ge 3 ]
	[ "$(r cli 'deny ingress' conns)" -eq 0 ]
	[ "$(c cli drop_policy)" -ge 3 ]
}

# transfer_start FILE GO...: receive on api 8080 into $T/received, send
# FILE from web pausing at 5 MB, 10 MB, ... until each $T/GO exists.
transfer_start() {
	local f=$1 at=5242880 pauses=() g
	shift
	for g; do
		pauses+=(--pause "$at:$T/$g")
		at=$((at + 5242880))
	done
	rm -f "$T/received" "$T/received.ready"
	bg recv ip netns exec "$(ns_of api)" timeout 120 \
		python3 "$ACL/net.py" recv 198.19.1.20 8080 "$T/received" 30
	wait_for 100 test -e "$T/received.ready"
	bg send ip netns exec "$(ns_of web)" timeout 120 \
		python3 "$ACL/net.py" send 198.19.1.20 8080 "$f" "${pauses[@]}"
}

received_at_least() {
	[ "$(stat -c %s "$T/received" 2>/dev/null || echo 0)" -ge "$1" ]
}

# reloaded N: the web vnet-acl logged its Nth successful reload.
reloaded() {
	[ "$(grep -c "reloaded $P" "$(log_of vnet_web)")" -ge "$1" ]
}

two_workloads() {
	need_root
	need_cmd ping
	setup_hosts
	P=$T/p.policy
	cp "$T/reload-v1.policy" "$P"
	start_workload web "$P"
	start_workload api "$P"
}

@test "a 20 MB transfer that stays allowed survives a SIGHUP reload and a --reload" {
	two_workloads
	want=$(make_blob "$T/blob" 20)
	transfer_start "$T/blob" go1 go2
	wait_for 300 received_at_least 5242880
	# A larger policy that still allows it, by another rule: SIGHUP.
	cp "$T/reload-v2.policy" "$P"
	kill -HUP "$(cat "$T/web.pid")"
	wait_for 100 reloaded 1
	touch "$T/go1"
	wait_for 300 received_at_least 10485760
	# Once more with vnet-acl --reload (it checks the file first).
	cp "$T/reload-v3.policy" "$P"
	run vnet-acl --reload "$T/web.pid" -p "$P"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 100 reloaded 2
	touch "$T/go2"
	wait "$(pid_of send)"
	wait "$(pid_of recv)"
	[ "$(sha256sum <"$T/received" | cut -d' ' -f1)" = "$want" ]
	grep "reloaded $P" "$(log_of vnet_web)"
	grep -q "reloaded $P: 6 rules, generation 2, 0 connections revoked" "$(log_of vnet_web)"
	grep -q "reloaded $P: 3 rules, generation 3, 0 connections revoked" "$(log_of vnet_web)"
	acl_counters web
	[ "$(c web reloads)" -eq 2 ]
	[ "$(c web reload_failed)" -eq 0 ]
	[ "$(c web ct_revoked)" -eq 0 ]
	[ "$(c web policy_generation)" -eq 3 ]
	[ "$(c web drop_invalid)" -eq 0 ]
	# The connection now belongs to v3's 8080 rule.
	[ "$(r web 'port 8080 log' packets)" -gt 0 ]
	[ "$(r web 'port 1-1023' packets)" -eq 0 ]
}

@test "a reload that revokes a connection stops its transfer" {
	two_workloads
	want=$(make_blob "$T/blob" 20)
	transfer_start "$T/blob" go1
	wait_for 300 received_at_least 5242880
	cp "$T/reload-revoke.policy" "$P"
	kill -HUP "$(cat "$T/web.pid")"
	wait_for 100 reloaded 1
	grep "reloaded $P" "$(log_of vnet_web)"
	grep -q "reloaded $P: 2 rules, generation 2, 1 connections revoked" "$(log_of vnet_web)"
	touch "$T/go1"
	# The sender stalls: its next send times out (net.py: 5 s).
	rc=0
	wait "$(pid_of send)" || rc=$?
	cat "$(log_of send)"
	[ "$rc" -ne 0 ]
	grep -q 'timed out' "$(log_of send)"
	got=$(stat -c %s "$T/received")
	echo "received $got bytes"
	[ "$got" -lt 20971520 ]
	[ "$(sha256sum <"$T/received" | cut -d' ' -f1)" != "$want" ]
	acl_counters web
	[ "$(c web ct_revoked)" -ge 1 ]
	[ "$(c web reloads)" -eq 1 ]
	# The connection's later packets found no entry: invalid.
	[ "$(c web drop_invalid)" -ge 1 ]
	# And a new connection is refused by the new policy.
	probe_is timeout web tcp 198.19.1.20 8080 1.5
	pings web 198.19.1.20
}

@test "a bad policy on reload is refused with FILE:LINE and the old one stays in force" {
	two_workloads
	serve api tcp:198.19.1.20:8080 tcp:198.19.1.20:9090
	probe_is ok web tcp 198.19.1.20 8080
	cp "$T/reload-bad.policy" "$P"
	bad=$(lno "$P" "to dbs")
	kill -HUP "$(cat "$T/web.pid")"
	wait_for 50 grep -q "reload refused" "$(log_of vnet_web)"
	grep "reload refused" "$(log_of vnet_web)"
	grep -q "reload refused: $P:$bad: unknown group 'dbs' (keeping generation 1)" \
		"$(log_of vnet_web)"
	acl_counters web
	[ "$(c web reload_failed)" -eq 1 ]
	[ "$(c web reloads)" -eq 0 ]
	[ "$(c web policy_generation)" -eq 1 ]
	# v1 still decides: 8080 connects, 9090 (allowed only by the bad
	# file) does not.
	probe_is ok web tcp 198.19.1.20 8080
	probe_is timeout web tcp 198.19.1.20 9090 1.5
	pings web 198.19.1.20
	# vnet-acl --reload checks the file first: exit 2, FILE:LINE, and
	# the running vnet-acl is not signalled.
	rc=0
	vnet-acl --reload "$T/web.pid" -p "$P" 2>"$T/reload.err" || rc=$?
	cat "$T/reload.err"
	[ "$rc" -eq 2 ]
	grep -q "$P:$bad: unknown group 'dbs'" "$T/reload.err"
	acl_counters web
	[ "$(c web reload_failed)" -eq 1 ]
	[ "$(grep -c 'reload refused' "$(log_of vnet_web)")" -eq 1 ]
	# A pid file naming another program: exit 1, that program untouched.
	bg sleeper sleep 60
	echo "$(pid_of sleeper)" >"$T/other.pid"
	rc=0
	vnet-acl --reload "$T/other.pid" 2>"$T/reload.err" || rc=$?
	cat "$T/reload.err"
	[ "$rc" -eq 1 ]
	grep -q "$T/other.pid: pid $(pid_of sleeper) is not vnet-acl" "$T/reload.err"
	kill -0 "$(pid_of sleeper)"
}

@test "ARP crosses the overlay by default and stops at arp deny" {
	two_workloads
	pings web 198.19.1.20
	acl_counters web
	[ "$(c web allowed_arp)" -ge 1 ]
	[ "$(c web drop_arp)" -eq 0 ]
	{ cat "$T/reload-v1.policy"; echo "arp deny"; } >"$P"
	kill -HUP "$(cat "$T/web.pid")"
	wait_for 100 reloaded 1
	ip -n "$(ns_of web)" neigh flush all
	ip -n "$(ns_of api)" neigh flush all
	no_ping web 198.19.1.20
	acl_counters web
	[ "$(c web drop_arp)" -ge 1 ]
	# Back to the default: neighbours resolve again.
	cp "$T/reload-v1.policy" "$P"
	kill -HUP "$(cat "$T/web.pid")"
	wait_for 100 reloaded 2
	pings web 198.19.1.20
}
