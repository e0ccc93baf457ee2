#!/bin/sh
# SPDX-License-Identifier: MIT
# plug_daemon.sh - sockswitch-plug --daemon --pidfile bridging a sockswitch
# to a real vde_switch, checked end to end with shell tools only: a
# broadcast frame written to Debian's vde_plug (2-byte framing) comes out
# of a second sockswitch-plug on the sockswitch side (4-byte framing).
# Needs SOCKSWITCH_BIN, SOCKSWITCH_PLUG_BIN; exit 77 (skip) without vde2.
set -eu

for t in vde_switch vde_plug; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: $t is not installed (Debian vde2, vdeplug)"
		exit 77
	fi
done
: "${SOCKSWITCH_BIN:?}" "${SOCKSWITCH_PLUG_BIN:?}"
PLUG=$SOCKSWITCH_PLUG_BIN

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugd.XXXXXX")
pids=""
cleanup() {
	for f in "$tmp"/vde.pid "$tmp"/plug.pid; do
		[ -s "$f" ] && pids="$pids $(cat "$f")"
	done
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.err; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	exit 1
}

# wait_for CMD...: retry CMD for up to 10 s
wait_for() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt 100 ] && return 1
		sleep 0.1
	done
}

vde_switch -s "$tmp/vde" -d -p "$tmp/vde.pid" 2>"$tmp/vde.err" ||
	fail "vde_switch did not start"
wait_for test -S "$tmp/vde/ctl" || fail "no $tmp/vde/ctl"

"$SOCKSWITCH_BIN" --foreground --listen "unix:$tmp/sw.sock" \
	>"$tmp/sw.out" 2>"$tmp/sw.err" &
pids="$pids $!"
wait_for grep -q ready "$tmp/sw.out" || fail "sockswitch not ready"

# The plug under test, detached.
"$PLUG" --daemon --pidfile "$tmp/plug.pid" --description plug-daemon-test \
	"unix:$tmp/sw.sock" "vde://$tmp/vde" 2>"$tmp/plugd.err" ||
	fail "sockswitch-plug --daemon exited $?"
wait_for test -s "$tmp/plug.pid" || fail "no pidfile"
kill -0 "$(cat "$tmp/plug.pid")" || fail "pid in the pidfile is not running"
wait_for grep -q "connected" "$tmp/sw.err" || fail "plug not on sockswitch"

# A listener on the sockswitch side: stdout to a file, stdin held open.
mkfifo "$tmp/in1" "$tmp/in2"
"$PLUG" "unix:$tmp/sw.sock" - <"$tmp/in1" >"$tmp/got" 2>"$tmp/rx.err" &
pids="$pids $!"
exec 3>"$tmp/in1"
wait_for sh -c "[ \$(grep -c connected '$tmp/sw.err') -ge 2 ]" ||
	fail "listener not on sockswitch"

# A sender on the vde_switch side; 2-byte length 100, then the frame:
# broadcast, source 02:00:00:00:00:09, ethertype 88b5, 86 bytes of 'x'.
vde_plug "vde://$tmp/vde" <"$tmp/in2" >/dev/null 2>"$tmp/vp.err" &
pids="$pids $!"
exec 4>"$tmp/in2"
payload=$(printf '%86s' '' | tr ' ' x)
# shellcheck disable=SC2059 # the format is the frame, octal escapes
send() {
	printf '\000\144\377\377\377\377\377\377\002\000\000\000\000\011\210\265%s' \
		"$payload" >&4
}
# vde_plug attaches asynchronously: resend until the frame crosses.
i=0
while [ "$(wc -c <"$tmp/got")" -lt 104 ]; do
	i=$((i + 1))
	[ "$i" -gt 50 ] && fail "no frame crossed vde_switch -> sockswitch"
	send
	sleep 0.2
done
head -c 4 "$tmp/got" | od -An -tx1 | grep -q "00 00 00 64" ||
	fail "4-byte length 100 expected: $(head -c 4 "$tmp/got" | od -An -tx1)"
head -c 104 "$tmp/got" | tail -c 86 | grep -q "^$payload\$" ||
	fail "frame payload changed"

pid=$(cat "$tmp/plug.pid")
kill -USR1 "$pid" || fail "SIGUSR1"
kill "$pid"
wait_for sh -c "! kill -0 $pid" || fail "plug did not exit on SIGTERM"
[ -e "$tmp/plug.pid" ] && fail "pidfile not removed"
echo "PASS: --daemon --pidfile plug bridges sockswitch and vde_switch"
