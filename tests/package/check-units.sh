#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-units.sh - the installed systemd user units pass systemd-analyze verify
#
# Usage: check-units.sh BUILD_DIR
#
# Installs BUILD_DIR with `cmake --install --prefix TMP/usr' (no DESTDIR,
# so that ExecStart names a binary that exists and shows the prefix given
# at install time reaches the units), then verifies sockswitch.service and
# the template as the instance sockswitch@lab.service, with the installed
# man pages on MANPATH for their Documentation= lines. Any output of
# systemd-analyze fails. Exit 77 (skip) without systemd-analyze or man.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
for tool in systemd-analyze man; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian packages systemd, man-db)"
		exit 77
	fi
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
if ! cmake --install "$1" --prefix "$tmp/usr" >"$tmp/log" 2>&1; then
	cat "$tmp/log"
	echo "not ok - cmake --install failed"
	exit 1
fi
units=$tmp/usr/lib/systemd/user
fail=0
for unit in sockswitch.service sockswitch@lab.service; do
	tpl=$(echo "$unit" | sed 's/@[^.]*\./@./')
	if ! grep -q "^ExecStart=$tmp/usr/bin/sockswitch " "$units/$tpl"; then
		echo "not ok - $tpl: ExecStart is not $tmp/usr/bin/sockswitch"
		fail=1
		continue
	fi
	if ! out=$(MANPATH="$tmp/usr/share/man" \
		systemd-analyze verify "$units/$unit" 2>&1) || [ -n "$out" ]; then
		echo "not ok - $unit"
		echo "$out" | sed 's/^/#   /'
		fail=1
	else
		echo "ok - $unit"
	fi
done
exit $fail
