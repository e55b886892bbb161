#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 95-tree: the tree keeps its own rules.  Every command a test runs comes
# from a package that contrib/install-deps installs (or from an Essential
# package every Debian system has), so a missing install step fails here on
# every machine, not only on a fresh one; and doc/HACKING names every
# source file, so the map of where things live stays true.

load lib

top=$BATS_TEST_DIRNAME/../..

# The packages install-deps names.
deps_packages() {
	sed -n '/^pkgs="/,/"$/p' "$top/contrib/install-deps" |
		sed 's/^pkgs=//; s/"//g' | tr ' ' '\n' | sed '/^$/d'
}

# Commands the tests name: each word after need_cmd, and every word in a
# command position of a test script (line start, after | ; && || $( or
# `run`, `ip netns exec NS`, `timeout N`) that is an executable file on
# PATH rather than a builtin, a function or one of ours.
test_commands() {
	{
		grep -rhoE 'need_cmd( +[A-Za-z0-9_.+-]+)+' "$top/tests" |
			sed 's/^need_cmd//' | tr ' ' '\n'
		# Scripts as the shell runs them: no here-documents (data,
		# Python, policies), no comments.
		awk '
			skip { t = $0; sub(/^\t+/, "", t); if (t == skip) skip = ""; next }
			match($0, /<<-?[ ]*["\047]?[A-Za-z_]+/) {
				m = substr($0, RSTART, RLENGTH)
				sub(/^<<-?[ ]*["\047]?/, "", m); skip = m
			}
			{ print }' "$top"/tests/bats/*.bats "$top"/tests/bats/*.bash \
			"$top"/tests/*.sh |
			sed 's/#.*//' |
			grep -oE '(^|[|;&(`]|\$\(|\brun|\bexec +[^ ]+|\btimeout +[0-9.]+s?|\bthen|\bdo|\belse) *[a-z][a-z0-9_.+-]*' |
			grep -oE '[a-z][a-z0-9_.+-]*$'
	} | sed '/^$/d' | sort -u
}

@test "every command the tests run comes from a package contrib/install-deps installs" {
	need_cmd dpkg dpkg-query apt-cache
	local closure c t path real pkg missing=
	closure=$(mktemp)
	# The named packages with everything they pull in (Depends and
	# PreDepends, recursively), as apt would install them.
	apt-cache depends --recurse --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances \
		$(deps_packages) 2>/dev/null | grep -v '^ ' | sed 's/:.*//' |
		sort -u >"$closure"
	[ -s "$closure" ] || { rm -f "$closure"; echo "apt-cache depends gave nothing (run apt-get update)"; return 1; }
	for c in $(test_commands); do
		t=$(type -t "$c" 2>/dev/null) || t=
		[ "$t" = file ] || continue
		case $(type -P "$c") in "$VNET_BIN"/* | "$top"/*) continue ;; esac
		# What a fresh Debian system would run: the system's own
		# directories, not a hand-installed copy earlier on PATH.
		path=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin type -P "$c") ||
			{ missing="$missing $c(not installed here)"; continue; }
		real=$(readlink -f "$path")
		pkg=
		for p in "$real" "${real#/usr}" "$path" "/usr$path" "${path#/usr}"; do
			pkg=$(dpkg -S "$p" 2>/dev/null | grep -v '^diversion by' |
				head -n 1 | cut -d: -f1)
			[ -n "$pkg" ] && break
		done
		if [ -z "$pkg" ]; then
			missing="$missing $c($path: no package)"
			continue
		fi
		grep -qx -- "$pkg" "$closure" && continue
		# Essential and required packages are on every Debian system.
		case $(dpkg-query -W -f='${Essential} ${Priority}' "$pkg" 2>/dev/null) in
		yes* | *required) continue ;;
		esac
		missing="$missing $c(from $pkg)"
	done
	rm -f "$closure"
	if [ -n "$missing" ]; then
		echo "commands the tests run whose package contrib/install-deps does not install:$missing"
		return 1
	fi
}

@test "the command scan finds the commands the tests are known to run" {
	# Guards the scan itself: if its patterns stopped matching, the test
	# above would pass with nothing checked.
	local cmds
	cmds=$(test_commands)
	for c in ip tcpdump tshark python3 zsh mandoc nfcapd socat jq; do
		grep -qx -- "$c" <<<"$cmds" || { echo "scan misses $c"; return 1; }
	done
}

@test "doc/HACKING names every source file of lib/ and cmd/" {
	local f base missing=
	for f in "$top"/lib/*.c "$top"/cmd/*/*.c "$top"/cmd/*/*.h; do
		base=${f#"$top"/}
		case $base in
		lib/*) base=${base#lib/} ;;
		cmd/*) base=${base#cmd/} ;;
		esac
		# lib files by name, cmd files as PROG/FILE or beside a sibling
		# on the same line ("acl.c, acl.h").
		grep -qE "(^|[ /,])${base##*/}([ ,]|$)" "$top/doc/HACKING" ||
			missing="$missing $base"
	done
	[ -z "$missing" ] || { echo "not in doc/HACKING:$missing"; return 1; }
}

@test "no test asserts with a bare '! CMD' that cannot fail it" {
	# set -e ignores a negated command, so "! grep ..." in the middle of
	# a test asserts nothing; only as the last command of a function or
	# test does its status count.  Use fails (lib.bash) instead.
	local bad
	bad=$(awk '
		FNR == 1 { prev = "" }
		prev != "" && $0 !~ /^[ \t]*$/ {
			if ($0 !~ /^[ \t]*}/) print prev
			prev = ""
		}
		/^[ \t]+! / { prev = FILENAME ":" FNR ": " $0 }
		' "$top"/tests/bats/*.bats "$top"/tests/bats/*.bash)
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
