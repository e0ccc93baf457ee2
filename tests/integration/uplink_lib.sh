#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_lib.sh - shared helpers for the uplink tests (sourced).
# Needs SOCKSWITCH_BIN. Every process started is recorded and killed by
# pid; every namespace and link made through add_netns/add_tap (or named
# to del_at_exit) is removed at exit, as is $T, also on a SKIP (the
# traps are set when this file is sourced). A script may set AT_EXIT to a
# command to run last in the cleanup.

T=$(mktemp -d "${TMPDIR:-/tmp}/ssuplink.XXXXXX")
chmod 755 "$T"
PIDS=""
NETNS=""
LINKS=""
AT_EXIT=""
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

# lib_cleanup: kill what we started, remove our namespaces and links,
# show logs on failure, remove $T.
lib_cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	for n in $NETNS; do
		ip netns del "$n" 2>/dev/null
	done
	for l in $LINKS; do
		ip link del "$l" 2>/dev/null
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

# lib_exit: the EXIT trap: clean up, run $AT_EXIT, keep the exit status.
lib_exit() {
	st=$?
	[ "$st" = 0 ] || FAILED=1
	lib_cleanup
	[ -z "$AT_EXIT" ] || $AT_EXIT
	exit "$st"
}

trap lib_exit EXIT
trap 'exit 1' INT TERM

# add_netns NS...: create network namespaces, deleted at exit.
add_netns() {
	for n in "$@"; do
		NETNS="$NETNS $n"
		ip netns add "$n" || fail "ip netns add $n"
	done
}

# del_at_exit DEV...: delete these links (in this namespace) at exit.
del_at_exit() {
	LINKS="$LINKS $*"
}

# add_tap DEV [ARG...]: `ip tuntap add dev DEV mode tap ARG...'; the
# link is deleted at exit.
add_tap() {
	dev=$1
	shift
	del_at_exit "$dev"
	ip tuntap add dev "$dev" mode tap "$@" || fail "ip tuntap add $dev"
}

# in_ns NS DEV [ADDR]: move DEV into NS, bring it and lo up, give it
# ADDR/24.
in_ns() {
	ip link set "$2" netns "$1" || fail "cannot move $2 into $1"
	[ -z "${3:-}" ] || ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$1" link set lo up
}

# ping_ok NS ADDR [WHAT]: from NS, ADDR answers pings (busybox); else fail
# with WHAT (default: NS cannot ping ADDR through the switch).
ping_ok() {
	ip netns exec "$1" busybox ping -c 2 -w 20 "$2" >"$T/ping.log" 2>&1 ||
		fail "${3:-$1 cannot ping $2 through the switch}: $(cat "$T/ping.log")"
	echo "ok: $1 pings $2"
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
