#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_unit.sh - systemd-analyze verify the unit templates in configs/
#
# Usage: check_unit.sh SOCKSWITCH CONFIG_DIR MAN_DIR
#
# configs/*.service.in name the binary as @SOCKSWITCH_BINDIR@/sockswitch
# (filled in by `make install`); here the directory of the built
# SOCKSWITCH is filled in, the man pages of their Documentation= are
# looked up in MAN_DIR, and a template (NAME@.service) is verified as an
# instance (NAME@lab.service). tests/package/check-units.sh verifies the
# installed units. Exit 77 (skip) without systemd-analyze.
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 SOCKSWITCH CONFIG_DIR MAN_DIR" >&2
	exit 2
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi
bindir=$(cd "$(dirname "$1")" && pwd) || exit 2
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
# man(1) looks for MANPATH/man1/sockswitch.1
mkdir "$dir/man" "$dir/man/man1" "$dir/man/man5" &&
	cp "$3"/*.1 "$dir/man/man1/" && cp "$3"/*.5 "$dir/man/man5/"
found=0
for unit in "$2"/*.service.in; do
	[ -e "$unit" ] || continue
	found=1
	name=$(basename "$unit" .in)
	sed "s|@SOCKSWITCH_BINDIR@|$bindir|g" "$unit" >"$dir/$name"
	if grep -v '^#' "$dir/$name" | grep -q '@[A-Z_]*@'; then
		echo "not ok - $name: an @VARIABLE@ is left"
		exit 1
	fi
	if ! grep -q "^ExecStart=$bindir/sockswitch " "$dir/$name"; then
		echo "not ok - $name: ExecStart should be @SOCKSWITCH_BINDIR@/sockswitch"
		exit 1
	fi
	check=$name
	case $name in
	*@.service) check=${name%@.service}@lab.service ;;
	esac
	if ! out=$(MANPATH="$dir/man" systemd-analyze verify "$dir/$check" 2>&1) ||
		[ -n "$out" ]; then
		echo "not ok - $check"
		echo "$out" | sed 's/^/#   /'
		exit 1
	fi
	echo "ok - $check"
done
[ "$found" -eq 1 ] || { echo "not ok - no *.service.in in $2"; exit 1; }
