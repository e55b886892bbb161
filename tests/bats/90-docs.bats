#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# 90-docs: every program has its man page and completions, and every long
# option in a program's option table is documented in its man page and
# offered by its bash and zsh completions.

load lib

top=$BATS_TEST_DIRNAME/../..

# The C programs and their long options, read from the getopt tables.
c_programs() {
	local d
	for d in "$top"/cmd/vnet-*/; do
		d=${d%/}
		ls "$d"/*.c >/dev/null 2>&1 && echo "${d##*/}"
	done
}

long_options() {
	sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", \(no\|required\|optional\)_argument.*/\1/p' \
		"$top"/cmd/"$1"/*.c | sort -u
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
		# (vnet-pipe parses its few options by hand: no table to check.)
		[ -n "$(long_options "$p")" ] || continue
		for o in $(echo "$out" | sed -n 's/^--\([a-z0-9-]*\)=\{0,1\}$/\1/p'); do
			long_options "$p" | grep -qx -- "$o" ||
				{ echo "$p: completion offers --$o, which $p does not take"; return 1; }
		done
	done
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
	run sh "$top/tests/lib-quiet.sh" "$d"
	rm -rf "$d"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^bad[12]\.c: ' <<<"$output")" -eq 2 ]
	! grep -q 'comment' <<<"$output"
}
