# SPDX-License-Identifier: ISC
# shellcheck shell=sh disable=SC2154 # prog, verbose: the including program's
# lib/sh/log.sh -- the logging of the shell programs (vnet-node,
# vnet-fabric), put in place of their "# @include lib/sh/log.sh" line
# when they are built.  They set prog, verbose and usage().
#
# log LEVEL MESSAGE...: "PROG: LEVEL: MESSAGE" on stderr, with the
# sd-daemon(3) priority prefix when stderr is the journal; info and
# debug only with -v and -vv.
log() {
	lvl=$1
	shift
	case $lvl in
	error) n=3 ;;
	warning) n=4 ;;
	notice) n=5 ;;
	info) n=6; [ "$verbose" -ge 1 ] || return 0 ;;
	*) n=7; [ "$verbose" -ge 2 ] || return 0 ;;
	esac
	if [ -n "${JOURNAL_STREAM:-}" ]; then
		printf '<%s>%s: %s: %s\n' "$n" "$prog" "$lvl" "$*" >&2
	else
		printf '%s: %s: %s\n' "$prog" "$lvl" "$*" >&2
	fi
}

# usage_error MESSAGE: the message and the usage on stderr, exit 2.
usage_error() {
	printf '%s: %s\n' "$prog" "$1" >&2
	usage >&2
	exit 2
}
