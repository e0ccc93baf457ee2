#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vxlan.sh - two sockswitch instances joined by VXLAN against the same
# two joined by --connect (docs/performance.md "VXLAN")
#
# Usage: bash bench/vxlan.sh BUILD [ROUNDS [SECONDS]]
#
# Switch A (unix listener a.sock) and switch B (b.sock) run on loopback,
# joined either by a vxlan uplink each (A 127.0.0.1 <-> B 127.0.0.2, VNI
# 42, port 4789) or by B's --connect to A's tcp:127.0.0.1 listener. One
# ssbench pair (--pairs 1) sends from a host on A to a host on B, one
# frame per system call, for SECONDS (default 3) at 64 and 1500 bytes;
# ROUNDS (default 3) repetitions, the two links interleaved. Printed: every
# run's RESULT fields (frames/s received, Mbit/s, loss), then the medians
# and the VXLAN / --connect ratio per size. Loss is what the receiving side
# never got: a stream link pushes back on the sender, VXLAN (UDP) cannot,
# so its excess is dropped (counted by the switches as vxlan_rx_overruns
# and tx_queue_full) and only what arrives counts.
# BUILD is a cmake build directory with switch/sockswitch and
# bench/ssbench (Release: cmake -DCMAKE_BUILD_TYPE=Release
# -DBUILD_TESTING=OFF, targets sockswitch ssbench).
set -euo pipefail
(($# >= 1)) || {
	sed -n '6,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
build=$1 rounds=${2:-3} secs=${3:-3}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init vxlan.sh "$build"
tport=$((20000 + $$ % 20000))

# One run: prints "FPS MBPS LOSS_PCT".
run_case() {
	local link=$1 size=$2 d line
	d=$(mktemp -d "$tmp/run.XXXXXX")
	if [[ $link == vxlan ]]; then
		"$sw" --foreground --listen unix:"$d/a.sock" \
			--uplink vxlan,vni=42,remote=127.0.0.2,local=127.0.0.1 \
			>"$d/a.out" 2>"$d/a.err" &
		pids+=($!)
		"$sw" --foreground --listen unix:"$d/b.sock" \
			--uplink vxlan,vni=42,remote=127.0.0.1,local=127.0.0.2 \
			>"$d/b.out" 2>"$d/b.err" &
		pids+=($!)
	else
		"$sw" --foreground --listen unix:"$d/a.sock" \
			--listen tcp:127.0.0.1:"$tport" \
			>"$d/a.out" 2>"$d/a.err" &
		pids+=($!)
		bench_wait_ready "$d/a.out"
		"$sw" --foreground --listen unix:"$d/b.sock" \
			--connect tcp:127.0.0.1:"$tport" \
			>"$d/b.out" 2>"$d/b.err" &
		pids+=($!)
	fi
	bench_wait_ready "$d/a.out"
	bench_wait_ready "$d/b.out"
	sleep 0.3 # the uplinks come up
	line=$("$ssb" --unix "$d/a.sock" --rx-unix "$d/b.sock" --pairs 1 \
		--size "$size" --seconds "$secs" -P 0 2>"$d/ssb.err" |
		grep '^RESULT test=tput' | head -1)
	kill "${pids[@]: -2}" 2>/dev/null || true
	wait "${pids[@]: -2}" 2>/dev/null || true
	pids=("${pids[@]:0:${#pids[@]}-2}")
	[[ -n $line ]] || {
		echo "vxlan.sh: ssbench failed: $(cat "$d/ssb.err")" >&2
		exit 1
	}
	echo "$link size=$size $line" >&2
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
		v[kv[1]] = kv[2] } }
		END { print v["fps"], v["mbps"], v["loss_pct"] }' <<<"$line"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A fps mbps loss
for ((r = 1; r <= rounds; r++)); do
	for size in 64 1500; do
		for link in vxlan connect; do
			read -r f m l < <(run_case "$link" "$size")
			fps[$link.$size]+="$f "
			mbps[$link.$size]+="$m "
			loss[$link.$size]+="$l "
		done
	done
done

printf '\n| size | link | frames/s (median of %d) | Mbit/s | loss %% |\n' \
	"$rounds"
printf '|---|---|---|---|---|\n'
for size in 64 1500; do
	for link in vxlan connect; do
		printf '| %s B | %s | %.0f | %.0f | %s |\n' "$size" "$link" \
			"$(tr ' ' '\n' <<<"${fps[$link.$size]}" | grep . | median)" \
			"$(tr ' ' '\n' <<<"${mbps[$link.$size]}" | grep . | median)" \
			"$(tr ' ' '\n' <<<"${loss[$link.$size]}" | grep . | median)"
	done
done
for size in 64 1500; do
	v=$(tr ' ' '\n' <<<"${fps[vxlan.$size]}" | grep . | median)
	c=$(tr ' ' '\n' <<<"${fps[connect.$size]}" | grep . | median)
	awk -v s="$size" -v v="$v" -v c="$c" \
		'BEGIN { printf "RATIO size=%s vxlan/connect=%.2f\n", s, v / c }'
done
