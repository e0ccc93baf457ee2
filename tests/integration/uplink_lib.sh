#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_lib.sh - shared helpers for the uplink tests (sourced).
# Needs SOCKSWITCH_BIN. Every process started is recorded and killed by
# pid; namespaces and links are removed by the caller's cleanup.

T=$(mktemp -d "${TMPDIR:-/tmp}/ssuplink.XXXXXX")
chmod 755 "$T"
PIDS=""
FAILED=0

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	FAILED=1
	exit 1
}

need_root_net() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and taps)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
	ip netns list >/dev/null 2>&1 || skip "ip netns does not work here"
}

# lib_cleanup: kill what we started, show logs on failure, remove $T.
lib_cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$FAILED" = 1 ] || [ -n "${UPLINK_SHOW_LOGS:-}" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f"
			tail -n 60 "$f"
		done
	fi
	rm -rf "$T"
}

# start_bg LOG CMD...: run CMD in the background, output to $T/LOG; sets BG.
start_bg() {
	log=$1
	shift
	"$@" >"$T/$log" 2>&1 &
	BG=$!
	PIDS="$PIDS $BG"
}

# wait_log LOG PATTERN [SECONDS] [FROM-LINE]: wait for a fixed string.
wait_log() {
	n=0
	limit=$((${3:-20} * 10))
	from=${4:-1}
	while [ "$n" -lt "$limit" ]; do
		if tail -n "+$from" "$T/$1" 2>/dev/null | grep -qF -- "$2"; then
			return 0
		fi
		sleep 0.1
		n=$((n + 1))
	done
	fail "no \`$2' in $1 within ${3:-20} s"
}

# log_lines LOG: how many lines LOG has (to wait for what comes next).
log_lines() {
	wc -l <"$T/$1"
}

# alive PID WHAT: the process is still running.
alive() {
	kill -0 "$1" 2>/dev/null || fail "$2 is not running any more"
}

# stop_pid PID: SIGTERM and wait; the exit status must be 0.
stop_pid() {
	kill "$1"
	wait "$1"
	st=$?
	PIDS=$(echo "$PIDS" | sed "s/ $1\b//")
	[ "$st" = 0 ] || fail "pid $1 exited with status $st"
}

# clean_logs: no sanitizer report in any log (ASan/UBSan builds).
clean_logs() {
	if grep -l -e "Sanitizer" -e "runtime error:" "$T"/*.log; then
		fail "sanitizer report in the logs above"
	fi
}

# wait_for TEST PATH: wait until `test TEST PATH' holds (-S socket, -e any).
wait_for() {
	n=0
	while ! test "$1" "$2" && [ "$n" -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	test "$1" "$2" || fail "no $2 within 20 s"
}
