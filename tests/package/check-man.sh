#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-man.sh - the man pages render without a warning and follow --help
#
# Usage: check-man.sh MAN_DIR SOCKSWITCH SOCKSWITCHCTL SOCKSWITCH_PLUG
#                     SOCKSWITCH_ADMIN
#
# Every page in MAN_DIR renders with `man --warnings -l' and
# `groff -man -ww -z' printing nothing, and every long option of the
# four programs' --help (and every sockswitchctl command) appears in
# its page, every key of docs/config.md in sockswitch.json(5), and each
# .TH names the version of --version. Exit 77 (skip) without man or groff.
set -u

if [ $# -ne 5 ]; then
	echo "usage: $0 MAN_DIR SOCKSWITCH SOCKSWITCHCTL SOCKSWITCH_PLUG SOCKSWITCH_ADMIN" >&2
	exit 2
fi
for tool in man groff; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian packages man-db, groff)"
		exit 77
	fi
done
fail=0
found=0
for page in "$1"/*.[1-8]; do
	[ -e "$page" ] || continue
	found=1
	name=$(basename "$page")
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	out2=$(groff -man -ww -z "$page" 2>&1)
	if [ -n "$out$out2" ]; then
		echo "not ok - $name renders with warnings"
		printf '%s\n%s\n' "$out" "$out2" | sed '/^$/d; s/^/#   /'
		fail=1
	else
		echo "ok - $name renders silently"
	fi
done
[ "$found" -eq 1 ] || { echo "not ok - no man page in $1"; exit 1; }

# The .TH line carries the programs' version (sockswitch --version).
ver=$("$2" --version | sed -n 's/^sockswitch \([0-9.]*\).*/\1/p')
for page in "$1"/*.[1-8]; do
	if ! grep -q "^\.TH .*\"sockswitch $ver\"" "$page"; then
		echo "not ok - $(basename "$page"): .TH should say \"sockswitch $ver\""
		fail=1
	fi
done

# has_option PAGE OPTION: the page names OPTION (\- for each dash).
has_option() {
	pat=$(printf '%s' "$2" | sed 's/-/\\\\-/g')
	grep -q -- "$pat" "$1"
}
# check_options PROGRAM PAGE: every --long option of PROGRAM --help.
check_options() {
	missing=""
	for o in $("$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		has_option "$2" "$o" || missing="$missing $o"
	done
	if [ -n "$missing" ]; then
		echo "not ok - $(basename "$2") lacks$missing"
		fail=1
	else
		echo "ok - $(basename "$2") names every option of --help"
	fi
}
check_options "$2" "$1/sockswitch.1"
check_options "$3" "$1/sockswitchctl.1"
check_options "$4" "$1/sockswitch-plug.1"
check_options "$5" "$1/sockswitch-admin.8"

# Every command in the Commands: section of sockswitchctl --help.
missing=""
for c in $("$3" --help | sed -n '/^Commands:/,/^$/p' |
	sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'); do
	grep -q "^\.B[IR]* *\"*$(printf '%s' "$c" | sed 's/-/\\\\-/g')" \
		"$1/sockswitchctl.1" || missing="$missing $c"
done
if [ -n "$missing" ]; then
	echo "not ok - sockswitchctl.1 lacks the commands$missing"
	fail=1
else
	echo "ok - sockswitchctl.1 names every command of --help"
fi

# Every key of the config file in sockswitch.json(5), from the key table
# of docs/config.md next to the pages (when the tree has it).
cfg=$1/../docs/config.md
if [ -f "$cfg" ]; then
	missing=""
	# shellcheck disable=SC2013,SC2016 # keys are words; `...` is literal
	for k in $(sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' "$cfg" | sort -u); do
		grep -q "^\.B $k\$" "$1/sockswitch.json.5" || missing="$missing $k"
	done
	if [ -n "$missing" ]; then
		echo "not ok - sockswitch.json.5 lacks the keys$missing"
		fail=1
	else
		echo "ok - sockswitch.json.5 names every key of docs/config.md"
	fi
fi
exit $fail
