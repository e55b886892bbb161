#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 90-docs: every program has its man page and completions; every option
# in a program's option table (as its --help lists it) is documented in
# its man page and offered by its bash and zsh completions, which offer
# nothing else; the usage is the man page SYNOPSIS; a letter means one
# thing in every program; and no program takes a prefix of a long name.

load lib
bats_require_minimum_version 1.5.0

top=$BATS_TEST_DIRNAME/../..

teardown() {
	vnet_teardown
}

# The programs whose --help lists an option table: the C programs (lib/opt.c
# writes it) and the scripts, cmd/PROG/PROG.sh, which write it the same way.
c_programs() {
	local d
	for d in "$top"/cmd/vnet-*/; do
		d=${d%/}
		{ ls "$d"/*.c >/dev/null 2>&1 || [ -f "$d/${d##*/}.sh" ]; } &&
			echo "${d##*/}"
	done
}

# A program's option table, from its --help (lib/opt.c writes it from the
# table): one line an option, "LETTER NAME ARG", - where there is none.
table() {
	"$1" --help | sed -n '/^options:$/,$ {
		s/^  -\([[:alnum:]]\), --\([a-z0-9-]*\) \([^ ][^ ]*\).*/\1 \2 \3/p
		t
		s/^  -\([[:alnum:]]\), --\([a-z0-9-]*\).*/\1 \2 -/p
		t
		s/^      --\([a-z0-9-]*\) \([^ ][^ ]*\).*/- \1 \2/p
		t
		s/^      --\([a-z0-9-]*\).*/- \1 -/p
	}'
}

long_options() {
	table "$1" | cut -d' ' -f2 | sort -u
}

# "LETTER NAME" of the options that have a letter.
lettered() {
	table "$1" | awk '$1 != "-" { print $1, $2 }' | sort -u
}

# The usage lines of --help, and the SYNOPSIS of the man page as mandoc
# writes it (arguments, underlined, in capitals), without white space.
usage_synopsis() {
	"$1" --help | sed -n '1,/^$/p' | sed 's/^usage://' | tr -d ' \t\n'
}

man_synopsis() {
	mandoc -Tascii "$top/man/$1.8" |
		sed 's/_\x08\(.\)/\U\1/g; s/.\x08//g' |
		sed -n '/^SYNOPSIS$/,/^[A-Z]/p' | sed '1d;$d' | tr -d ' \t\n'
}

# The body of a program's function in the zsh completion.
zsh_function() {
	local f=_${1//-/_}
	sed -n "/^$f() {\$/,/^}\$/p" "$top/completions/zsh/_vnet"
}

@test "every program has a man page, a bash completion and a place in the zsh completion" {
	local p d missing=
	for d in "$top"/cmd/vnet-*/; do
		p=${d%/}
		p=${p##*/}
		[ -f "$top/man/$p.8" ] || missing="$missing man/$p.8"
		[ -f "$top/completions/bash/$p" ] || missing="$missing completions/bash/$p"
		head -1 "$top/completions/zsh/_vnet" | grep -qw -- "$p" ||
			missing="$missing _vnet:#compdef:$p"
		grep -q "^  $p) _" "$top/completions/zsh/_vnet" ||
			missing="$missing _vnet:case:$p"
		grep -q "Xr $p 8" "$top/man/vnet.7" || missing="$missing vnet.7:$p"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "every long option of every C program is in its man page and its completions" {
	local p o n=0 missing=
	for p in $(c_programs); do
		for o in $(long_options "$p"); do
			n=$((n + 1))
			# mdoc writes --opt as "Fl \-opt", inner hyphens maybe as \- too.
			sed 's/\\-/-/g' "$top/man/$p.8" | grep -q -- "Fl -$o\\b" ||
				missing="$missing $p.8:--$o"
			grep -q -- "--$o\\b" "$top/completions/bash/$p" ||
				missing="$missing bash/$p:--$o"
			grep -q -- "--$o\\b" "$top/completions/zsh/_vnet" ||
				missing="$missing _vnet:--$o"
		done
	done
	[ "$n" -gt 50 ] || { echo "only $n options found: is the table pattern stale?"; return 1; }
	[ -z "$missing" ] || { echo "undocumented:$missing"; return 1; }
}

@test "the bash completions load and offer only options the programs take" {
	need_cmd bash
	local p o out
	for p in $(c_programs); do
		[ -n "$(long_options "$p")" ] ||
			{ echo "$p: no options in its --help"; return 1; }
		out=$(bash -c '
			source "$1" || exit 1
			spec=$(complete -p "$2") || exit 1
			fn=${spec#*-F }; fn=${fn%% *}
			COMP_WORDS=("$2" --); COMP_CWORD=1
			COMP_LINE="$2 --"; COMP_POINT=${#COMP_LINE}
			"$fn" "$2" -- "$2"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$top/completions/bash/$p" "$p")
		# It offers --help, and nothing the program does not take.
		echo "$out" | grep -qx -- '--help' ||
			{ echo "$p: no --help among: $out"; return 1; }
		for o in $(echo "$out" | sed -n 's/^--\([a-z0-9-]*\)=\{0,1\}$/\1/p'); do
			long_options "$p" | grep -qx -- "$o" ||
				{ echo "$p: completion offers --$o, which $p does not take"; return 1; }
		done
	done
}

@test "the bash completions offer the letters of the options and no other" {
	need_cmd bash
	local p l o out bad=
	for p in $(c_programs); do
		out=$(bash -c '
			source "$1" || exit 1
			spec=$(complete -p "$2") || exit 1
			fn=${spec#*-F }; fn=${fn%% *}
			COMP_WORDS=("$2" -); COMP_CWORD=1
			COMP_LINE="$2 -"; COMP_POINT=${#COMP_LINE}
			"$fn" "$2" - "$2"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$top/completions/bash/$p" "$p")
		for l in $(echo "$out" | sed -n 's/^-\([[:alnum:]]\)$/\1/p'); do
			lettered "$p" | grep -q "^$l " || bad="$bad $p:-$l"
		done
		# The letters the option cases handle ("-R | --right)").
		for l in $(grep -E '^[[:space:]]+-[^ ]*( \| [^ ]*)*\)$' \
			"$top/completions/bash/$p" | grep -o -- '\(^\|[[:space:]]\)-[[:alnum:]]\b' |
			tr -d ' \t-'); do
			lettered "$p" | grep -q "^$l " || bad="$bad $p:case:-$l"
		done
		while read -r l o; do
			echo "$out" | grep -qx -- "-$l" || bad="$bad $p:no:-$l"
		done < <(lettered "$p")
	done
	[ -z "$bad" ] || { echo "wrong letters:$bad"; return 1; }
}

@test "the zsh completion of each program offers its options and no other" {
	local p o l body n=0 bad=
	for p in $(c_programs); do
		body=$(zsh_function "$p")
		[ -n "$body" ] || { echo "no _${p//-/_} in _vnet"; return 1; }
		for o in $(long_options "$p"); do
			n=$((n + 1))
			echo "$body" | grep -q -- "--$o\b" || bad="$bad $p:no:--$o"
		done
		for o in $(echo "$body" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
			long_options "$p" | grep -qx -- "${o#--}" || bad="$bad $p:$o"
		done
		# Letters as {-X+,--name=} or {-X,--name}: the table's pairs.
		diff <(echo "$body" |
			sed -n 's/.*{-\([[:alnum:]]\)+\{0,1\},--\([a-z0-9-]*\)=\{0,1\}}.*/\1 \2/p' |
			sort -u) <(lettered "$p") >&2 || bad="$bad $p:letters"
	done
	[ "$n" -gt 50 ] || { echo "only $n options found"; return 1; }
	[ -z "$bad" ] || { echo "wrong:$bad"; return 1; }
}

@test "a letter means one thing in every program and its man page" {
	local p l o bad=
	# Across programs: a letter names one long option, a long option has
	# one letter.
	bad=$(for p in $(c_programs); do lettered "$p"; done | sort -u |
		awk '{ n[$1]++; m[$2]++; a[$1] = a[$1] " --" $2; b[$2] = b[$2] " -" $1 }
		END { for (l in n) if (n[l] > 1) print "-" l ":" a[l]
		      for (o in m) if (m[o] > 1) print "--" o ":" b[o] }')
	[ -z "$bad" ] || { echo "letters with two meanings: $bad"; return 1; }
	for p in $(c_programs); do
		# Each lettered option is listed as ".It Fl X ... , Fl \-name".
		while read -r l o; do
			sed 's/\\-/-/g' "$top/man/$p.8" |
				grep -q -- "^\.It Fl $l\([ ,].*\)\{0,1\}Fl -$o\b" ||
				bad="$bad $p.8:-$l/--$o"
		done < <(lettered "$p")
		# And the page lists no letter the program does not take.
		for l in $(sed -n 's/^\.It Fl \([[:alnum:]]\)\([ ,].*\)\{0,1\}$/\1/p' "$top/man/$p.8"); do
			lettered "$p" | grep -q "^$l " || bad="$bad $p.8:-$l"
		done
	done
	[ -z "$bad" ] || { echo "man pages:$bad"; return 1; }
}

@test "--help goes to stdout, exits 0, fits 80 columns and its usage is the SYNOPSIS" {
	need_cmd mandoc
	local p bad=
	for p in $(c_programs); do
		run -0 --separate-stderr "$p" --help
		[ -z "$stderr" ] || bad="$bad $p:stderr"
		[[ ${lines[0]} == "usage: $p "* ]] || bad="$bad $p:usage"
		[ "$(echo "$output" | awk 'length > 80' | wc -l)" -eq 0 ] ||
			bad="$bad $p:width"
		if [ "$(usage_synopsis "$p")" != "$(man_synopsis "$p")" ]; then
			echo "$p --help: $(usage_synopsis "$p")"
			echo "$p.8:    $(man_synopsis "$p")"
			bad="$bad $p:synopsis"
		fi
	done
	[ -z "$bad" ] || { echo "bad:$bad"; return 1; }
}

@test "no program takes a prefix of a long option: exit 2, unknown option" {
	local p o pre n=0 bad=
	for p in $(c_programs); do
		for o in $(long_options "$p"); do
			pre=${o%?}
			# A prefix that is itself an option is not a prefix here.
			long_options "$p" | grep -qx -- "$pre" && continue
			n=$((n + 1))
			# With a value in case it takes one, and a chain for
			# vnet-pipe: the option must fail, not what follows.
			run --separate-stderr timeout 10 "$p" "--$pre" x = true </dev/null
			[ "$status" -eq 2 ] && [[ $stderr == *"unknown option '--$pre'"* ]] ||
				bad="$bad $p:--$pre($status)"
			run --separate-stderr timeout 10 "$p" "--$pre=x" </dev/null
			[ "$status" -eq 2 ] && [[ $stderr == *"unknown option '--$pre'"* ]] ||
				bad="$bad $p:--$pre=x($status)"
		done
	done
	[ "$n" -gt 50 ] || { echo "only $n prefixes tried"; return 1; }
	[ -z "$bad" ] || { echo "prefixes taken:$bad"; return 1; }
}

@test "the zsh completion parses" {
	need_cmd zsh
	zsh -n "$top/completions/zsh/_vnet"
}

@test "lib/ never prints, logs or exits: only log.c and the main()-helpers do" {
	run sh "$top/tests/lib-quiet.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	# The check finds what it is for: a copy of lib/ with one module
	# that logs and one that prints, comments aside, is refused.
	local d
	d=$(mktemp -d)
	cp "$top"/lib/*.c "$d"/
	printf '%s\n' '/* vnet_log(x), fprintf(stderr) in a comment are fine */' \
		'int f(void) { return fprintf(stderr, "x"); }' >"$d/bad1.c"
	printf '%s\n' 'void g(void) { vnet_log(0, "y"); }' >"$d/bad2.c"
	# Words in a message are not calls; a call with such a message is.
	printf '%s\n' 'const char *m = "stdout is a terminal: exit(2)";' >"$d/good3.c"
	printf '%s\n' 'int h(void) { return fputs("stdout", stdout); }' >"$d/bad3.c"
	run sh "$top/tests/lib-quiet.sh" "$d"
	rm -rf "$d"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^bad[123]\.c: ' <<<"$output")" -eq 3 ]
	fails grep -q 'comment' <<<"$output"
	fails grep -q '^good3\.c' <<<"$output"
}

# The counter names of a man page's COUNTERS list (its first list), in
# order.
man_counters() {
	sed -n '/^\.Sh COUNTERS$/,/^\.Sh /p' "$top/man/$1.8" |
		sed -n '/^\.Bl /,/^\.El$/p' | sed '/^\.El$/q' |
		sed -n 's/^\.It Li \([a-z0-9_]*\)$/\1/p'
}

# The counter names PROG writes with --stats, in order, from a run on an
# empty input (per-rule counters of vnet-acl aside).  vnet-tap needs a
# tap: it runs in namespace $ns.
stats_counters() {
	local d=$BATS_TEST_TMPDIR
	: >"$d/empty.pcap"
	printf 'default deny\n' >"$d/c.policy"
	case $1 in
	vnet-encap)
		vnet-encap --vni 7 --local 198.18.0.1 -r 198.18.0.2 --stats \
			-i "pcap:$d/empty.pcap" </dev/null 2>&1 >/dev/null ;;
	vnet-acl)
		vnet-acl -p "$d/c.policy" --stats </dev/null 2>&1 >/dev/null \
			3>&- 4>&- ;;
	vnet-route)
		printf 'tenant t\n' >"$d/r.conf"
		vnet-route -f "$d/r.conf" --stats </dev/null 2>&1 >/dev/null \
			3>&- 4>&- ;;
	vnet-flowexport)
		vnet-flowexport --sink --json /dev/null --stats </dev/null 2>&1 ;;
	vnet-tap)
		ip netns exec "$ns" vnet-tap --inject --stats vm0 </dev/null 2>&1 ;;
	*)
		echo "no way to run $1 --stats" ;;
	esac | grep -v '^rule:' | cut -f1
}

@test "every COUNTERS list of a man page is what the program writes, in its order" {
	need_root
	need_cmd mandoc
	local p n=0 bad=
	mkns ns d
	for p in $(c_programs); do
		grep -q '^\.Sh COUNTERS$' "$top/man/$p.8" || continue
		n=$((n + 1))
		if ! diff <(man_counters "$p") <(stats_counters "$p") >"$BATS_TEST_TMPDIR/diff"; then
			echo "$p.8 COUNTERS (<) and $p --stats (>):"
			cat "$BATS_TEST_TMPDIR/diff"
			bad="$bad $p"
		fi
	done
	# vnet-tap, vnet-encap, vnet-acl and vnet-flowexport have one.
	[ "$n" -ge 4 ] || { echo "only $n pages with COUNTERS"; return 1; }
	[ -z "$bad" ] || { echo "out of order or missing:$bad"; return 1; }
}

@test "every program prints the one version, the one of lib/vnet/tool.h" {
	local p v want n=0
	want=$(sed -n 's/^#define VNET_VERSION "\(.*\)"$/\1/p' "$top/lib/vnet/tool.h")
	[ -n "$want" ]
	for p in $(c_programs); do
		n=$((n + 1))
		v=$("$p" --version)
		[ "$v" = "$p $want" ] || { echo "$p --version: '$v', want '$p $want'"; return 1; }
		[ "$("$p" -V)" = "$v" ]
	done
	[ "$n" -ge 5 ]
}
