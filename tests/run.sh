#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh -- run one pass of the suite against one build directory and append
# "passed failed skipped" to a counts file; tests/summary.sh adds them up.
#
#   sh tests/run.sh --build DIR --label NAME --counts FILE
#                   [--fuzz-seconds N] [--no-fuzz] [--no-lint] [--only-fuzz]
#
# Environment: BATS_FILTER (a regex passed to bats --filter), VNET_TEST_STRICT.

build=build label=plain counts= fuzz_seconds=10
do_fuzz=1 do_lint=1 do_unit=1 do_bats=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--label) label=$2; shift ;;
	--counts) counts=$2; shift ;;
	--fuzz-seconds) fuzz_seconds=$2; shift ;;
	--no-fuzz) do_fuzz=0 ;;
	--no-lint) do_lint=0 ;;
	--only-fuzz) do_lint=0 do_unit=0 do_bats=0 ;;
	*) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build="$top/$build" ;;
esac
[ -d "$build" ] || { echo "run.sh: no build directory $build" >&2; exit 2; }
log="$build/check-$label.log"
: > "$log"
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); printf 'ok      [%s] %s\n' "$label" "$1"; }
notok() { fail=$((fail + 1)); printf 'FAILED  [%s] %s\n' "$label" "$1"; }

# TAP from a unit test binary or from bats, counted line by line.
tap() {
	while IFS= read -r line; do
		case $line in
		"ok "*"# skip"*|"ok "*"# SKIP"*)
			skip=$((skip + 1)); printf 'skip    [%s] %s\n' "$label" "${line#ok }" ;;
		"ok "*) ok "$2: ${line#ok }" ;;
		"not ok "*) notok "$2: ${line#not ok }" ;;
		"#"*) printf '        %s\n' "$line" ;;
		esac
	done <<TAP
$1
TAP
}

if [ $do_lint = 1 ] && command -v mandoc >/dev/null 2>&1; then
	for m in "$top"/man/*.[1-8]; do
		[ -e "$m" ] || continue
		if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
			ok "mandoc -Tlint ${m##*/}"
		else
			notok "mandoc -Tlint ${m##*/}"; printf '%s\n' "$out" | sed 's/^/        /'
		fi
	done
fi

if [ $do_unit = 1 ]; then
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>>"$log"); rc=$?
		tap "$out" "${t##*/}"
		[ $rc = 0 ] || notok "${t##*/} exited $rc (see $log)"
	done
fi

if [ $do_fuzz = 1 ]; then
	for f in "$build"/fuzz/*; do
		[ -x "$f" ] || continue
		name=${f##*/}
		work=$(mktemp -d)
		[ -d "$top/tests/fuzz/corpus/$name" ] && cp "$top/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null
		if "$f" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$build/fuzz-$name-" "$work" >>"$log" 2>&1; then
			ok "fuzz $name for ${fuzz_seconds}s"
		else
			notok "fuzz $name (artifact in $build/fuzz-$name-*, log $log)"
		fi
		rm -rf "$work"
	done
fi

if [ $do_bats = 1 ]; then
	if command -v bats >/dev/null 2>&1; then
		out=$(VNET_BIN="$build/bin" VNET_BUILD="$build" \
			bats --tap ${BATS_FILTER:+--filter "$BATS_FILTER"} \
			"$top"/tests/bats 2>>"$log")
		tap "$out" bats
	else
		notok "bats not installed (sh contrib/install-deps)"
	fi
fi

[ -n "$counts" ] && echo "$pass $fail $skip" >> "$counts"
[ $fail = 0 ]
