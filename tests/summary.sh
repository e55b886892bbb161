#!/bin/sh
# SPDX-License-Identifier: ISC
# summary.sh -- add up the "passed failed skipped" lines of a counts file and
# print the one closing line; exit 1 if anything failed or nothing ran.
p=0 f=0 s=0
if [ -r "$1" ]; then
	while read -r a b c; do p=$((p + a)); f=$((f + b)); s=$((s + c)); done < "$1"
fi
[ $p -gt 0 ] || f=$((f + 1))
if [ "${VNET_TEST_STRICT:-0}" = 1 ] && [ $s -gt 0 ]; then
	echo "summary: $s skipped and VNET_TEST_STRICT=1: skips count as failures"
	f=$((f + s))
fi
echo "$p passed, $f failed, $s skipped"
[ $f = 0 ]
