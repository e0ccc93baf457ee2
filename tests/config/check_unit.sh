#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_unit.sh - systemd-analyze verify the example unit in configs/
#
# Usage: check_unit.sh SOCKSWITCH CONFIG_DIR
#
# The unit's ExecStart names the installed binary; a copy pointing at the
# built SOCKSWITCH is verified instead. Exit 77 (skip) without
# systemd-analyze.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SOCKSWITCH CONFIG_DIR" >&2
	exit 2
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
found=0
for unit in "$2"/*.service; do
	[ -e "$unit" ] || continue
	found=1
	name=$(basename "$unit")
	sed "s|/usr/local/bin/sockswitch|$1|" "$unit" >"$dir/$name"
	if ! grep -q "^ExecStart=$1 " "$dir/$name"; then
		echo "not ok - $name: ExecStart should name /usr/local/bin/sockswitch"
		exit 1
	fi
	if ! out=$(systemd-analyze verify "$dir/$name" 2>&1) || [ -n "$out" ]; then
		echo "not ok - $name"
		echo "$out" | sed 's/^/#   /'
		exit 1
	fi
	echo "ok - $name"
done
[ "$found" -eq 1 ] || { echo "not ok - no *.service in $2"; exit 1; }
