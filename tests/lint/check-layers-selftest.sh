#!/bin/sh
# SPDX-License-Identifier: MIT
# check-layers-selftest.sh SRCDIR - check-layers.sh passes on the tree and
# fails on each kind of violation planted in a copy of it.
set -eu
src=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/switch" "$tmp/switch"
sh "$here/check-layers.sh" "$tmp" >/dev/null || {
	echo "FAIL: the clean tree does not pass"
	exit 1
}

# expect_fail NAME FILE LINE: plant LINE at the end of FILE, expect a FAIL.
expect_fail() {
	rm -rf "$tmp/t"
	mkdir "$tmp/t"
	cp -r "$src/switch" "$tmp/t/switch"
	printf '%s\n' "$3" >>"$tmp/t/$2"
	if sh "$here/check-layers.sh" "$tmp/t" >"$tmp/out" 2>&1; then
		echo "FAIL: $1 was not caught"
		exit 1
	fi
	grep -q '^FAIL:' "$tmp/out" || {
		echo "FAIL: $1: no FAIL line"
		exit 1
	}
	echo "caught: $1"
}

expect_fail "transport includes control" switch/transport/stream.c \
	'#include "control/control.h"'
expect_fail "transport calls ctl_emit" switch/transport/dgram.c \
	'static void f(struct swd *d) { ctl_emit(d, "X", 0); }'
expect_fail "transport calls capture" switch/transport/uplink.c \
	'static void g(struct swd *d, struct port *p) { capture_port_closed(d, p); }'
expect_fail "core includes the daemon header" switch/core/sw.c \
	'#include "sockswitchd.h"'
expect_fail "core reads the clock" switch/core/txq.c \
	'static void h(void) { struct timespec t; clock_gettime(0, &t); }'
expect_fail "core logs" switch/core/mactable.c \
	'static void k(void) { log_info("x"); }'
mkdir -p "$tmp/u"
cp -r "$src/switch" "$tmp/u/switch"
for i in 1 2 3 4 5 6 7 8 9; do
	: >"$tmp/u/switch/loose$i.c"
done
if sh "$here/check-layers.sh" "$tmp/u" >/dev/null 2>&1; then
	echo "FAIL: 9+ loose .c files in switch/ were not caught"
	exit 1
fi
echo "caught: too many .c files in switch/"
echo "check-layers selftest OK"
