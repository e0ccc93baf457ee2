#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# budget.sh - the measurements of docs/performance.md "Memory budget"
#
# Usage:
#   bash bench/budget.sh cg BASE_BUILD NEW_BUILD [ROUNDS]
#       callgrind Ir per forwarded frame, 4 x 64 B over streams, of two
#       builds interleaved (bench/cg_mac.sh with 20000 and 60000 frames
#       per sender; NEW_BUILD's ssbench drives both)
#   bash bench/budget.sh flood BUILD PORTS FRAMES [SWITCH OPTION...]
#       PORTS clients that never read, a reader and a broadcaster
#       (bench/budget_flood.py): RSS before, at the peak, after, and
#       after those ports closed
#   bash bench/budget.sh capture BUILD NCAP BUFFER SECONDS [SWITCH OPTION...]
#       NCAP whole-switch captures, each with BUFFER bytes, into FIFOs
#       that nobody reads (NCAP 0: none); then ssbench 4 pairs x 64 B for
#       SECONDS: frames received and the switch's peak RSS
# A BUILD is a cmake build directory with switch/sockswitch,
# plug/sockswitchctl and bench/ssbench (Release: cmake
# -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/stalled_captures.sh
. "$here/stalled_captures.sh"

usage() {
	sed -n '6,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Ir per frame of one build: (Ir(60000) - Ir(20000)) / (4 x 40000).
cg_one() {
	local build=$1 ssb=$2 a b
	a=$(bash "$here/cg_mac.sh" "$build/switch/sockswitch" "$ssb" x 20000 |
		sed 's/.* ir=\([0-9]*\).*/\1/')
	b=$(bash "$here/cg_mac.sh" "$build/switch/sockswitch" "$ssb" x 60000 |
		sed 's/.* ir=\([0-9]*\).*/\1/')
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 160000 }'
}

cmd_cg() {
	(($# >= 2)) || usage
	local base=$1 new=$2 rounds=${3:-6} r ib in
	for ((r = 1; r <= rounds; r++)); do
		ib=$(cg_one "$base" "$new/bench/ssbench")
		in=$(cg_one "$new" "$new/bench/ssbench")
		awk -v r="$r" -v b="$ib" -v n="$in" 'BEGIN {
			printf "round %d: base %s new %s Ir/frame (%+.1f %%)\n",
				r, b, n, (n / b - 1) * 100 }'
	done
}

cmd_flood() {
	(($# >= 3)) || usage
	local build=$1
	shift
	python3 "$here/budget_flood.py" "$build/switch/sockswitch" \
		"$build/plug/sockswitchctl" "$@"
}

cmd_capture() {
	(($# >= 4)) || usage
	local build=$1 ncap=$2 buffer=$3 secs=$4 i rcv peak
	shift 4
	# Global: the EXIT trap uses them after this function returned.
	d=$(mktemp -d "${TMPDIR:-/tmp}/ssbudget.XXXXXX")
	"$build/switch/sockswitch" --foreground --listen unix:"$d/sw.sock" \
		--control "$d/ctl.sock" "$@" >"$d/out" 2>"$d/err" &
	pid=$!
	trap 'kill -TERM "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
	for ((i = 0; i < 100; i++)); do
		grep -qs '^ready' "$d/out" && break
		sleep 0.1
	done
	stalled_captures "$build/plug/sockswitchctl" "$d/ctl.sock" "$d" \
		"$ncap" "$buffer"
	rcv=$(nice -n 19 "$build/bench/ssbench" --unix "$d/sw.sock" --pairs 4 \
		--size 64 --seconds "$secs" --pingpong 0 2>/dev/null |
		sed -n 's/^RESULT test=tput.* received=\([0-9]*\).*/\1/p')
	peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	echo "captures=$ncap buffer=$buffer seconds=$secs received=${rcv:--}" \
		"peak_rss_kb=$peak"
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
cg) cmd_cg "$@" ;;
flood) cmd_flood "$@" ;;
capture) cmd_capture "$@" ;;
*) usage ;;
esac
