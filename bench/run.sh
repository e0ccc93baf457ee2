#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh - build sockswitch and ssbench, run the benchmark matrix, print it
#
# Usage: bash bench/run.sh [extra ssbench options, e.g. --seconds 1]
#
# Starts a private sockswitch on a unix socket in a mktemp -d directory, runs
# ssbench over direct socketpairs and through the switch (1 and 4 pairs x
# 64/1500/9000 bytes, plus ping-pong of 64-byte frames), reports the switch's
# CPU time per forwarded frame and, when strace works, its system calls per
# frame. Environment: BUILD_DIR (default <repo>/build-bench), BENCH_KEEP=1
# keeps the temporary directory with the switch's logs, BENCH_TCP=1 attaches
# the hosts over TCP 127.0.0.1 instead (direct links then use loopback TCP).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ssbench.XXXXXX")
sw_pid=
strace_pid=
target=()

log() { printf 'run.sh: %s\n' "$*" >&2; }

cleanup() {
	local i
	if [[ -n $strace_pid ]] && kill -0 "$strace_pid" 2>/dev/null; then
		kill -INT "$strace_pid" 2>/dev/null || true
		wait "$strace_pid" 2>/dev/null || true
	fi
	if [[ -n $sw_pid ]] && kill -0 "$sw_pid" 2>/dev/null; then
		kill -TERM "$sw_pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$sw_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$sw_pid" 2>/dev/null; then
			log "sockswitch (pid $sw_pid) ignored SIGTERM for 5 s, killing it"
			kill -KILL "$sw_pid" 2>/dev/null || true
		fi
		wait "$sw_pid" 2>/dev/null || log "sockswitch exited with status $?"
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT

# utime + stime of a process, in clock ticks (fields 14 and 15 of stat;
# they are counted after the ")" that ends the command name)
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}

# frames the switch delivered, summed over the RESULT lines of mode=switch
# (a ping-pong round trip, timed or warm-up, is two forwarded frames)
switch_frames() {
	awk '$1 == "RESULT" && / mode=switch / {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "received") n += kv[2]
			if (kv[1] == "n" || kv[1] == "warmup") n += 2 * kv[2]
		}
	} END { print n + 0 }' "$1"
}

build_all() {
	if [[ ! -f $build/CMakeCache.txt ]]; then
		cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
			-DBUILD_TESTING=OFF >&2
	fi
	cmake --build "$build" -j2 --target sockswitch ssbench >&2
}

start_switch() {
	local i
	local url=unix:$dir/sw.sock port
	if [[ ${BENCH_TCP:-0} == 1 ]]; then
		url=tcp:127.0.0.1:0
	fi
	"$build/switch/sockswitch" --foreground --listen "$url" \
		>"$dir/sw.out" 2>"$dir/sw.err" &
	sw_pid=$!
	# bounded wait for the "ready" line (100 x 0.1 s)
	for ((i = 0; i < 100; i++)); do
		if grep -q '^ready' "$dir/sw.out"; then
			target=(--unix "$dir/sw.sock")
			[[ $url == unix:* ]] && return 0
			port=$(sed -n 's/^listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' \
				"$dir/sw.out" | head -n 1)
			target=(--tcp "127.0.0.1:$port")
			[[ -n $port ]] && return 0
			log "no TCP port in the switch's listening line"
			return 1
		fi
		if ! kill -0 "$sw_pid" 2>/dev/null; then
			log "sockswitch exited before printing ready:"
			cat "$dir/sw.out" "$dir/sw.err" >&2
			sw_pid=
			return 1
		fi
		sleep 0.1
	done
	log "sockswitch printed no ready line within 10 s; stdout was:"
	cat "$dir/sw.out" >&2
	return 1
}

# Attach strace -c to the switch; sets strace_pid, returns 1 if it can't.
strace_attach() {
	local i
	strace -c -f -q -o "$dir/strace.txt" -p "$sw_pid" 2>"$dir/strace.err" &
	strace_pid=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$sw_pid/status" &&
			return 0
		kill -0 "$strace_pid" 2>/dev/null || break
		sleep 0.1
	done
	strace_detach
	return 1
}

strace_detach() {
	kill -INT "$strace_pid" 2>/dev/null || true
	wait "$strace_pid" 2>/dev/null || true
	strace_pid=
}

# One short switch test under strace -c: $1 = label, rest = ssbench options.
# Prints the switch's system calls per forwarded frame, in total and by call.
strace_pass() {
	local label=$1 frames calls
	shift
	if ! strace_attach; then
		echo "system calls per frame: skipped (strace cannot attach:" \
			"$(head -c 200 "$dir/strace.err" | tr '\n' ' '))"
		return 0
	fi
	"$build/bench/ssbench" "${target[@]}" "$@" \
		>"$dir/strace_run.txt" 2>/dev/null || true
	strace_detach
	frames=$(switch_frames "$dir/strace_run.txt")
	calls=$(awk '$NF == "total" { print $4 }' "$dir/strace.txt")
	if [[ -z $calls || $frames -eq 0 ]]; then
		echo "system calls per frame, $label: no data"
		return 0
	fi
	awk -v f="$frames" -v c="$calls" -v l="$label" 'BEGIN {
		printf "system calls per frame, %s: %.3f (%d calls / %d frames)\n",
			l, c / f, c, f }'
	awk -v f="$frames" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
		printf "  %-16s %8.3f per frame\n", $NF, $4 / f }' "$dir/strace.txt"
}

strace_all() {
	if ! command -v strace >/dev/null; then
		echo "system calls per frame: skipped (no strace)"
		return 0
	fi
	strace_pass "1 x 1500 B throughput, 2 s under strace" --pairs 1 \
		--size 1500 --seconds 2 --pingpong 0
	strace_pass "64 B ping-pong, under strace" --seconds 0 --pingpong 2000
}

main() {
	local t0 t1 frames hz
	build_all
	start_switch
	echo "# ssbench $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs," \
		"kernel $(uname -r), transport ${target[0]#--}," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	t0=$(cpu_ticks "$sw_pid")
	"$build/bench/ssbench" "${target[@]}" --direct --pairs 1,4 \
		--size 64,1500,9000 --seconds 3 --pingpong 10000 \
		--switch-pid "$sw_pid" --switch-log "$dir/sw.err" "$@" |
		tee "$dir/result.txt" || log "ssbench reported a failed test"
	if ! kill -0 "$sw_pid" 2>/dev/null; then
		log "sockswitch died during the run; its stderr:"
		tail -n 20 "$dir/sw.err" >&2
		sw_pid=
		exit 1
	fi
	t1=$(cpu_ticks "$sw_pid")
	frames=$(switch_frames "$dir/result.txt")
	hz=$(getconf CLK_TCK)
	echo
	awk -v t="$((t1 - t0))" -v hz="$hz" -v f="$frames" 'BEGIN {
		printf "switch CPU time (utime+stime) per forwarded frame, whole " \
			"run: %.2f us (%.2f s / %d frames)\n",
			f ? t / hz * 1e6 / f : 0, t / hz, f }'
	strace_all
	echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}

main "$@"
