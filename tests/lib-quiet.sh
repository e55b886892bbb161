#!/bin/sh
# SPDX-License-Identifier: ISC
# lib-quiet.sh -- lib/ never prints, logs or exits (STYLE.md, Errors):
# names every line of lib/*.c that calls the log module (vnet_log*),
# touches stdout or stderr, prints with printf/puts/perror/err/warn, or
# exits, and fails if there is one.  The exceptions are the logging
# module itself (lib/log.c) and the main()-helpers for option parsing
# (lib/tool.c, lib/opt.c).  Comments and the text of string literals
# are stripped first.
#
#   sh tests/lib-quiet.sh [LIBDIR]      (default: lib/ of this tree)

dir=${1:-$(dirname "$0")/../lib}
cc=${CC:-cc}
bad=0
for f in "$dir"/*.c; do
	case ${f##*/} in
	log.c | tool.c | opt.c) continue ;;
	esac
	# The source without its comments (but the strings), one statement
	# per line as written.
	if ! src=$($cc -fpreprocessed -dD -E -P "$f" 2>/dev/null); then
		src=$(cat "$f")
	fi
	# String literals are text, not calls: "stdout is a terminal" is a
	# message, not a use of stdout.
	hits=$(printf '%s\n' "$src" |
		sed 's/"\([^"\\]\|\\.\)*"/""/g' | grep -E \
		'\bvnet_log[a-z_]*[[:space:]]*\(|\b(stderr|stdout)\b|\b(printf|vprintf|puts|putchar|perror|v?warnx?|v?errx?|exit|_exit|abort)[[:space:]]*\(') &&
		{
			printf '%s\n' "$hits" | sed "s|^[[:space:]]*|${f#"$dir"/}: |"
			bad=1
		}
done
if [ "$bad" = 1 ]; then
	echo "lib-quiet: lib/ must not print, log or exit: return the error (err.h) and let the program report it" >&2
	exit 1
fi
exit 0
