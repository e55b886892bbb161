# SPDX-License-Identifier: ISC
# shellcheck shell=sh disable=SC2154 # lab: set by the runbook that sources this
# runbook.sh -- sourced by the runbooks of contrib/runbooks: how a step
# is shown and run.  Each runbook is an operator's session on the hosts
# of a vnet-lab(1) lab: "[HOST]$ CMD" is what one would type on HOST, and
# the comment after a lab-only command says what it is on a real node
# (kill -HUP of the node is "systemctl reload vnet-node@NAME").
# POSIX sh; every wait is bounded.

rb=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
if command -v vnet-lab >/dev/null 2>&1; then
	lab_bin=vnet-lab
else
	lab_bin=$here/../vnet-lab
fi
tab=$(printf '\t')

die() {
	printf '%s: %s\n' "$rb" "$*" >&2
	exit 1
}
usage() {
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0" | sed -n '/^usage:/,/^$/p' >&2
	exit 2
}
step() {
	printf '\n## %s\n' "$*"
}
# on HOST CMD...: CMD on HOST, shown.
on() {
	h=$1
	shift
	printf '[%s]$ %s\n' "$h" "$*"
	"$lab_bin" exec "$lab" "$h" "$@"
}
# quiet HOST CMD...: CMD on HOST, not shown (the runbook's own checks).
quiet() {
	h=$1
	shift
	"$lab_bin" exec "$lab" "$h" "$@"
}
conf_of() {
	"$lab_bin" conf "$lab" "$1" || exit 1
}
# node_of CONF: the node name of a vnet.conf.
node_of() {
	sed 's/#.*//' "$1" | awk '$1 == "node" && NF == 2 { print $2; exit }'
}
# hosts: the lab's hosts that run a node, and are up.
hosts() {
	sed 's/#.*//' "$lab" | awk '$1 == "host" && NF == 4 { print $2 }' |
		while read -r h; do
			"$lab_bin" pid "$lab" "$h" >/dev/null 2>&1 && echo "$h"
		done
}
# check HOST FILE: vnet-node check of FILE on HOST (its errors shown).
check() {
	on "$1" vnet-node -f "$2" check
}
# stage FILE: a copy of FILE next to it, to edit and check; its name.
stage() {
	cp "$1" "$1.new.$$" || die "cannot copy $1"
	printf '%s\n' "$1.new.$$"
}
# commit NEW FILE: NEW in place of FILE, whole (mv).
commit() {
	printf '$ mv %s %s\n' "${1##*/}" "${2##*/}"
	mv "$1" "$2" || die "cannot move $1 over $2"
}
# reload HOST: SIGHUP to HOST's vnet-node.
reload() {
	pid=$("$lab_bin" pid "$lab" "$1") || exit 1
	printf '[%s]$ kill -HUP %s     # systemctl reload vnet-node@%s\n' "$1" "$pid" \
		"$(node_of "$(conf_of "$1")")"
	kill -HUP "$pid" || die "cannot signal the node of host $1"
}
# chains HOST: "WORKLOAD<TAB>STATE<TAB>PID" of HOST's node; STATE is
# running once the chain and all its members are up.
chains() {
	quiet "$1" vnet-node -f "$(conf_of "$1")" --tsv status 2>/dev/null |
		awk -F "$tab" '$1 == "chain" { n++; w[n] = $2; s[$2] = $6; p[$2] = $5 }
			$1 == "member" { m[$2]++; if ($6 == "up") up[$2]++ }
			END { for (i = 1; i <= n; i++) {
				x = w[i]
				st = s[x] == "running" && m[x] > 0 && up[x] == m[x] ? "running" : s[x]
				printf "%s\t%s\t%s\n", x, st, p[x] } }'
}
# wait_chain HOST WORKLOAD running|gone [OLDPID]: until the chain runs
# (with another pid than OLDPID), or is gone; 10 s at most.
wait_chain() {
	i=0
	while [ $i -lt 100 ]; do
		st=$(chains "$1" | awk -F "$tab" -v w="$2" -v old="${4:-}" '$1 == w {
			print ($2 == "running" && $3 != old) ? "running" : "starting"; f = 1 }
			END { if (!f) print "gone" }')
		[ "$st" = "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	die "host $1: workload $2 is not $3 after 10 s (see vnet-node status and the node's log)"
}
# wait_all HOST: every chain of HOST running with its members up.
wait_all() {
	for w in $(chains "$1" | cut -f1); do
		wait_chain "$1" "$w" running
	done
}
# files_of CONF: CONF and the files it includes, to any depth.
files_of() {
	printf '%s\n' "$1"
	d=$(dirname "$1")
	sed 's/#.*//' "$1" | awk '$1 == "include" && NF == 2 { print $2 }' |
		while read -r f; do
			case $f in /*) ;; *) f=$d/$f ;; esac
			files_of "$f"
		done
}
# nargs N MIN MAX: the runbook's usage unless MIN <= N <= MAX.
nargs() {
	if [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then usage; fi
}
