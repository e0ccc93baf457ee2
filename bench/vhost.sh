#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vhost.sh - vhost-user ports against stream ports, same switch, same run
# (docs/performance.md "vhost-user ports", issue 20's targets)
#
# Usage: bash bench/vhost.sh BUILD [ROUNDS [SECONDS]]
#
# Each round starts a fresh sockswitch with two listeners, unix:s.sock
# (stream, as QEMU -netdev stream) and vhost-user:vu.sock, and runs one
# ssbench over both (--unix and --vhost: each test on both transports in
# turn) for 1 and 4 pairs at 64, 1500 and 9000 bytes, SECONDS (default 3)
# each, with the switch's CPU time per frame (--switch-pid). ROUNDS
# (default 3) rounds; medians are reported. Then, with 4 pairs of 64 B,
# strace -c -f counts the switch's system calls per forwarded frame on each
# transport. Printed: every RESULT line, a table of medians, and
#   TARGET vhost_64B_<N>pair_fps_vs_stream measured=R goal=>=3 PASS|FAIL
#   TARGET vhost_<S>B_<N>pair_bytes_vs_stream measured=R goal=>=2 PASS|FAIL
# (S 1500 and 9000), plus SYSCALLS lines. Frames lost count against a
# transport (only frames received are in fps). BUILD is a cmake build
# directory with switch/sockswitch and bench/ssbench (Release:
# cmake -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF, targets sockswitch
# ssbench). Exit 1 if a run failed or a target was missed.
set -euo pipefail
(($# >= 1)) || {
	sed -n '6,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
build=$1 rounds=${2:-3} secs=${3:-3}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init vhost.sh "$build"

# start_switch DIR: a fresh switch in DIR; sets swpid
start_switch() {
	local d=$1
	"$sw" --foreground --listen unix:"$d/s.sock" \
		--listen vhost-user:"$d/vu.sock" --control none \
		>"$d/sw.out" 2>"$d/sw.err" &
	swpid=$!
	pids+=("$swpid")
	bench_wait_ready "$d/sw.out"
}

stop_switch() {
	kill "$swpid" 2>/dev/null || true
	wait "$swpid" 2>/dev/null || true
	pids=("${pids[@]/$swpid/}")
}

res=$tmp/results
failed=0
for ((r = 1; r <= rounds; r++)); do
	d=$(mktemp -d "$tmp/round.XXXXXX")
	start_switch "$d"
	if ! "$ssb" --unix "$d/s.sock" --vhost "$d/vu.sock" -p 1,4 \
		-s 64,1500,9000 -S "$secs" -P 0 --switch-pid "$swpid" \
		--switch-log "$d/sw.err" >"$d/ssb.out" 2>"$d/ssb.err"; then
		echo "vhost.sh: ssbench failed in round $r: $(tail -3 "$d/ssb.err")" >&2
		failed=1
	fi
	stop_switch
	grep '^RESULT test=tput mode=switch' "$d/ssb.out" |
		sed "s/^RESULT /round=$r /" | tee -a "$res"
done

# val TRANSPORT PAIRS SIZE FIELD: the field of every clean result, a line each
val() {
	awk -v t="$1" -v p="$2" -v s="$3" -v f="$4" '{
		delete kv
		for (i = 1; i <= NF; i++) {
			eq = index($i, "=")
			if (eq) kv[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		if (kv["transport"] == t && kv["pairs"] == p &&
		    kv["size"] == s && kv["status"] == "ok")
			print kv[f]
	}' "$res"
}
median() {
	grep -v '^-$' | sort -g |
		awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'
}
med() { val "$@" | median; }

printf '\n| pairs | size | transport | frames/s | Mbit/s | switch µs/frame | sender calls/frame | receiver calls/frame | lost |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for p in 1 4; do
	for s in 64 1500 9000; do
		for t in stream vhost-user; do
			printf '| %s | %s B | %s | %.0f | %.0f | %s | %s | %s | %s |\n' \
				"$p" "$s" "$t" "$(med "$t" "$p" "$s" fps)" \
				"$(med "$t" "$p" "$s" mbps)" \
				"$(med "$t" "$p" "$s" sw_cpu_us_per_frame)" \
				"$(med "$t" "$p" "$s" writes_per_frame)" \
				"$(med "$t" "$p" "$s" rx_calls_per_frame)" \
				"$(val "$t" "$p" "$s" loss | awk '{ s += $1 } END { print s + 0 }')"
		done
	done
done

# System calls of the switch per forwarded frame, 4 x 64 B, per transport.
syscalls() {
	local t=$1 opt d st frames calls
	d=$(mktemp -d "$tmp/strace.XXXXXX")
	start_switch "$d"
	[[ $t == stream ]] && opt=(--unix "$d/s.sock") ||
		opt=(--vhost "$d/vu.sock")
	strace -c -f -q -o "$d/strace.txt" -p "$swpid" &
	st=$!
	sleep 0.5
	"$ssb" "${opt[@]}" -p 4 -s 64 -S 2 -P 0 >"$d/ssb.out" 2>&1 || true
	kill -INT "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	stop_switch
	frames=$(awk '/^RESULT test=tput mode=switch/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^received=/) {
			split($i, kv, "="); print kv[2] } }' "$d/ssb.out" | head -1)
	calls=$(awk '$NF == "total" { print $(NF - 2) }' "$d/strace.txt")
	awk -v t="$t" -v f="${frames:-0}" -v c="${calls:-0}" 'BEGIN {
		printf "SYSCALLS transport=%s frames=%d calls=%d per_frame=%s\n",
			t, f, c, f ? sprintf("%.4f", c / f) : "-" }'
}
echo
if command -v strace >/dev/null; then
	syscalls stream
	syscalls vhost-user
else
	echo "SYSCALLS skipped: strace is not installed (Debian package strace)"
fi

# target NAME RATIO GOAL
target() {
	local v
	v=$(awk -v r="$2" -v g="$3" 'BEGIN {
		if (r == "-" || r == "") print "N/A"
		else print ((r + 0 >= g + 0) ? "PASS" : "FAIL") }')
	[[ $v == PASS ]] || failed=1
	printf 'TARGET %s measured=%s goal=>=%s %s\n' "$1" "$2" "$3" "$v"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf "%.2f", a / b }'
}
echo
for p in 1 4; do
	target "vhost_64B_${p}pair_fps_vs_stream" \
		"$(ratio "$(med vhost-user "$p" 64 fps)" "$(med stream "$p" 64 fps)")" 3
	for s in 1500 9000; do
		target "vhost_${s}B_${p}pair_bytes_vs_stream" \
			"$(ratio "$(med vhost-user "$p" "$s" mbps)" \
				"$(med stream "$p" "$s" mbps)")" 2
	done
done
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
