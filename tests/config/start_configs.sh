#!/bin/sh
# SPDX-License-Identifier: MIT
#
# start_configs.sh - start the daemon on every shipped example config, as a
# new user on a fresh machine would
#
# Usage: start_configs.sh SOCKSWITCH CONFIG_DIR
#
# Each CONFIG_DIR/*.json (globbed now) is started with a fresh, empty
# XDG_RUNTIME_DIR and HOME: the directories its sockets and pidfile need
# do not exist yet. It must print "ready" with its sockets under those
# two directories, and stop with status 0 on SIGTERM. --foreground keeps a "daemon": true config attached, so its
# status can be checked. Uplinks that need root or a running peer (tap,
# bridge, passt, connect) only retry: the config still starts.
#
# When it can, the script runs itself in a new network namespace (as root,
# or with a user namespace), so the configs' fixed TCP ports and tap
# devices cannot collide with anything else on the machine.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SOCKSWITCH CONFIG_DIR" >&2
	exit 2
fi
bin=$1
cfgdir=$2

if [ -z "${SS_START_NETNS:-}" ] && command -v unshare >/dev/null; then
	for u in "unshare -n" "unshare -rn"; do
		if $u true 2>/dev/null; then
			SS_START_NETNS=1 exec $u sh "$0" "$@"
		fi
	done
fi
if [ -n "${SS_START_NETNS:-}" ]; then
	echo "# in a network namespace of its own"
	ip link set lo up 2>/dev/null || true
fi

pass=0
fail=0
work=$(mktemp -d) || exit 2
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	sed 's/^/#   /' "$dir/out" "$dir/err" 2>/dev/null
}

# ready_or_gone: wait up to 10 s for "ready" on stdout; 0 if it came.
ready_or_gone() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q '^ready' "$dir/out" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

n=0
for f in "$cfgdir"/*.json; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	dir=$work/$n
	mkdir -p "$dir/xdg" "$dir/home" && chmod 700 "$dir/xdg" && : >"$dir/out" ||
		exit 2
	XDG_RUNTIME_DIR=$dir/xdg HOME=$dir/home "$bin" --foreground \
		--config "$f" >"$dir/out" 2>"$dir/err" </dev/null &
	pid=$!
	if ! ready_or_gone; then
		not_ok "$f starts on a fresh XDG_RUNTIME_DIR"
		continue
	fi
	# Its sockets live under the runtime directory or HOME, not at a
	# path that only exists for one user on one machine.
	outside=$(sed -n 's/^listening on \(unix\|unixgram\|vde\):\([^ ]*\).*/\2/p' \
		"$dir/out" | grep -v "^$dir/")
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	if [ "$rc" -ne 0 ]; then
		echo "# exit $rc on SIGTERM" >>"$dir/err"
		not_ok "$f starts on a fresh XDG_RUNTIME_DIR"
		continue
	fi
	if [ -n "$outside" ]; then
		echo "# sockets outside XDG_RUNTIME_DIR and HOME: $outside" \
			>>"$dir/err"
		not_ok "$f starts on a fresh XDG_RUNTIME_DIR"
		continue
	fi
	# What it made under the fresh runtime directory is private.
	bad=$(find "$dir/xdg" -mindepth 1 -type d ! -perm 700 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "# directories not mode 0700: $bad" >>"$dir/err"
		not_ok "$f starts on a fresh XDG_RUNTIME_DIR"
		continue
	fi
	pass=$((pass + 1))
	echo "ok - $f starts on a fresh XDG_RUNTIME_DIR and stops"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
