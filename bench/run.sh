#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh - the benchmark of issue 7: sockswitch against the direct link and
# vde_switch, every target printed as a TARGET line
#
# Usage: bash bench/run.sh            full run (about 10 minutes)
#        bash bench/run.sh --smoke    a few seconds per case, checks that
#                                     everything runs; no PASS/FAIL enforced
#
# One run drives the same generator (ssbench) against four targets:
#   direct          two hosts joined by a unix socketpair (the limit)
#   sockswitch      sockswitch --listen unix:DIR/sw.sock (stream transport)
#   sockswitch-vde  sockswitch --listen vde:DIR/ssvde (when this build has
#                   the VDE listener), hosts attach through libvdeplug
#   vde_switch      Debian's vde_switch -s DIR/vde, hosts attach through
#                   libvdeplug
# interleaved: every repetition runs every case on every target before the
# next repetition starts. It reports medians and min-max, then the scale,
# MAC table, memory, overload, strace and callgrind cases, then one line
#   TARGET <name> measured=<value> goal=<goal> PASS|FAIL|N/A
# per target of issue 7 (REF lines give vde_switch's figures beside them).
# Missing tools (vde_switch, libvdeplug, valgrind, strace) are installed
# from Debian with apt-get (root or sudo) in a full run; --smoke exits 77
# instead when vde_switch or libvdeplug is missing.
#
# Environment: BUILD_DIR (default <repo>/build-bench), SOCKSWITCH_BIN and
# SSBENCH_BIN (use these binaries, build nothing), BENCH_REPS (3),
# BENCH_SECONDS (3, per throughput test), BENCH_PINGPONG (10000 round trips),
# BENCH_IDLE (1000 idle ports), BENCH_CG_FRAMES (20000 frames per sender in
# the first callgrind run; the second sends 3x), BENCH_FILL_MACS (8176),
# BENCH_NO_INSTALL=1 (never run apt-get), BENCH_NO_VALGRIND=1 (no
# callgrind, e.g. for sanitizer builds), BENCH_KEEP=1 (keep the temporary
# directory with every log).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=0
case ${1:-} in
--smoke) smoke=1 ;;
"") ;;
-h | --help)
	sed -n '4,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "run.sh: unknown argument $1 (try --help)" >&2
	exit 2
	;;
esac

if ((smoke)); then
	reps=${BENCH_REPS:-1} secs=${BENCH_SECONDS:-0.2}
	pp=${BENCH_PINGPONG:-200} idle_n=${BENCH_IDLE:-50}
	cg_frames=${BENCH_CG_FRAMES:-500}
else
	reps=${BENCH_REPS:-3} secs=${BENCH_SECONDS:-3}
	pp=${BENCH_PINGPONG:-10000} idle_n=${BENCH_IDLE:-1000}
	cg_frames=${BENCH_CG_FRAMES:-20000}
fi
fill_macs=${BENCH_FILL_MACS:-8176}
build=${BUILD_DIR:-$root/build-bench}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ssbench.XXXXXX")
res=$dir/results.txt # "<target> rep=N RESULT ..." lines
: >"$res"
pids=()    # every process started here, killed by pid at exit
failed=0   # ssbench runs that did not end cleanly
ss_pid='' ssv_pid='' vde_pid=''
ss_sock=$dir/sw.sock ss_log=$dir/ss.err vde_dir=$dir/vde
ssv_dir=$dir/ssvde ssv_log=$dir/ssv.err
have_ssv=0 have_vde=0 have_strace=0 have_cg=0
ssv_why="sockswitch --listen vde: not available in this build"

log() { printf 'run.sh: %s\n' "$*" >&2; }

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaps it
stop_pid() {
	local i
	kill -0 "$1" 2>/dev/null || {
		wait "$1" 2>/dev/null || true
		return 0
	}
	kill -TERM "$1" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 ignored SIGTERM for 5 s, killing it"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local p
	for p in "${pids[@]}"; do
		stop_pid "$p"
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT

skip() {
	echo "run.sh: SKIP: $*"
	exit 77
}

# Install what a full run needs from Debian; --smoke skips instead.
ensure_deps() {
	local need=() sudo=
	command -v vde_switch >/dev/null || need+=(vde2)
	[[ -f /usr/include/libvdeplug.h ]] || need+=(libvdeplug-dev vdeplug)
	command -v valgrind >/dev/null || need+=(valgrind)
	command -v strace >/dev/null || need+=(strace)
	((${#need[@]})) || return 0
	if ((smoke)); then
		command -v vde_switch >/dev/null &&
			[[ -f /usr/include/libvdeplug.h ]] && return 0
		skip "missing Debian packages ${need[*]} (vde_switch, libvdeplug)"
	fi
	if [[ ${BENCH_NO_INSTALL:-0} == 1 ]]; then
		log "missing ${need[*]}; BENCH_NO_INSTALL=1, their cases are N/A"
		return 0
	fi
	if [[ $(id -u) != 0 ]]; then
		command -v sudo >/dev/null || {
			log "missing ${need[*]} and no sudo; their cases are N/A"
			return 0
		}
		sudo=sudo
	fi
	log "installing ${need[*]}"
	$sudo apt-get update -qq >&2 || true
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${need[@]}" >&2 ||
		log "apt-get install failed; those cases are N/A"
}

build_all() {
	if [[ -n ${SOCKSWITCH_BIN:-} && -n ${SSBENCH_BIN:-} ]]; then
		sw_bin=$SOCKSWITCH_BIN ssb_bin=$SSBENCH_BIN
		return 0
	fi
	if [[ ! -f $build/CMakeCache.txt ]]; then
		cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
			-DBUILD_TESTING=OFF >&2
	fi
	cmake --build "$build" -j2 --target sockswitch ssbench >&2
	sw_bin=$build/switch/sockswitch ssb_bin=$build/bench/ssbench
}

# start_ss NAME URL [wrapper...]: sockswitch in the foreground, its control
# socket DIR/NAME.ctl (never the user's default one), logs in
# DIR/NAME.out and DIR/NAME.err; sets start_pid; returns 1 if no "ready"
start_ss() {
	local name=$1 url=$2 i
	shift 2
	"$@" "$sw_bin" --foreground --listen "$url" --control "$dir/$name.ctl" \
		>"$dir/$name.out" 2>"$dir/$name.err" &
	start_pid=$!
	pids+=("$start_pid")
	for ((i = 0; i < 300; i++)); do
		grep -qs '^ready' "$dir/$name.out" && return 0
		kill -0 "$start_pid" 2>/dev/null || break
		sleep 0.1
	done
	log "sockswitch --listen $url did not get ready:"
	tail -n 5 "$dir/$name.err" >&2
	stop_pid "$start_pid"
	return 1
}

# start_vde NAME [wrapper...]: vde_switch -s DIR/NAME in the foreground;
# its console reads a FIFO this shell holds open (it exits on EOF)
start_vde() {
	local name=$1 i fd
	shift
	mkfifo "$dir/$name.in"
	# shellcheck disable=SC2034 # fd only has to stay open
	exec {fd}<>"$dir/$name.in"
	"$@" vde_switch -s "$dir/$name" -n $((idle_n + 64)) \
		<"$dir/$name.in" >"$dir/$name.out" 2>"$dir/$name.err" &
	start_pid=$!
	pids+=("$start_pid")
	# fd stays open (no EOF for vde_switch) until this shell exits
	for ((i = 0; i < 300; i++)); do
		[[ -S $dir/$name/ctl ]] && return 0
		kill -0 "$start_pid" 2>/dev/null || break
		sleep 0.1
	done
	log "vde_switch -s $dir/$name did not start:"
	tail -n 5 "$dir/$name.err" >&2
	stop_pid "$start_pid"
	return 1
}

# target_args TARGET: set targs to ssbench's options for it
target_args() {
	case $1 in
	direct) targs=(--direct) ;;
	sockswitch) targs=(--unix "$ss_sock" --switch-pid "$ss_pid"
		--switch-log "$ss_log") ;;
	sockswitch-vde) targs=(--vde "$ssv_dir" --switch-pid "$ssv_pid"
		--switch-log "$ssv_log") ;;
	vde_switch) targs=(--vde "$vde_dir" --switch-pid "$vde_pid"
		--max-frame 1518) ;;
	esac
}

# bench TAG REP TARGET ssbench-options...: one ssbench run; its RESULT
# lines go to $res as "TAG rep=REP RESULT ..."; output kept in DIR/runs.log
bench() {
	local tag=$1 rep=$2 targs=() rc=0
	target_args "$3"
	shift 3
	"$ssb_bin" "${targs[@]}" "$@" >"$dir/run.txt" 2>>"$dir/runs.log" ||
		rc=$?
	{
		echo "== $tag rep=$rep: ssbench ${targs[*]} $* (exit $rc)"
		cat "$dir/run.txt"
	} >>"$dir/runs.log"
	if ((rc)); then
		failed=$((failed + 1))
		log "$tag rep $rep: ssbench exited $rc (see runs.log)"
	fi
	sed -n "s/^RESULT /$tag rep=$rep RESULT /p" "$dir/run.txt" >>"$res"
}

# vals TAG TEST PAIRS SIZE FIELD: FIELD of every clean matching result
vals() {
	awk -v t="$1" -v te="$2" -v p="$3" -v s="$4" -v f="$5" '$1 == t {
		delete kv
		for (i = 2; i <= NF; i++) {
			eq = index($i, "=")
			if (eq) kv[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		if (kv["test"] == te && kv["pairs"] == p && kv["size"] == s &&
		    kv["status"] == "ok" && kv[f] != "-" && kv[f] != "")
			print kv[f]
	}' "$res"
}

# stat: "median min max n" of numbers on stdin ("- - - 0" if none)
stat() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - - 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR], NR }'
}

med() { vals "$@" | stat | cut -d' ' -f1; }
sum() { vals "$@" | awk '{ s += $1 } END { print NR ? s : "-" }'; }

# calc EXPR A B: EXPR of awk variables a and b to 3 decimals; "-" if A or
# B is "-" or empty, or EXPR divides by b and B is 0
calc() {
	case "$2 $3" in
	-* | *" -" | " "* | *" ") echo - && return 0 ;;
	esac
	[[ $1 == *"/ b"* ]] && awk -v b="$3" 'BEGIN { exit b + 0 != 0 }' &&
		echo - && return 0
	awk -v a="$2" -v b="$3" "BEGIN { printf \"%.3f\", $1 }"
}

# verdict VALUE OP GOAL: PASS, FAIL, or N/A when VALUE is "-"
verdict() {
	awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
		if (v == "-" || v == "") { print "N/A"; exit }
		if (op == ">=") ok = v + 0 >= g + 0
		else if (op == "<=") ok = v + 0 <= g + 0
		else if (op == "<") ok = v + 0 < g + 0
		else ok = v + 0 == g + 0
		print ok ? "PASS" : "FAIL" }'
}

# target NAME MEASURED GOAL VERDICT: one TARGET line; a bare N/A of a
# sockswitch-vde target gets the reason
target() {
	local v=$4
	[[ $v == N/A && $1 == *sockswitch-vde* ]] && ((!have_ssv)) &&
		v="N/A ($ssv_why)"
	printf 'TARGET %s measured=%s goal=%s %s\n' "$1" "$2" "$3" "$v"
}
ref() { printf 'REF %s %s\n' "$1" "$2"; }

tput_targets=(direct sockswitch)
cases_stream=("1 64" "4 64" "1 1500" "4 1500" "1 9000" "4 9000" "1 65000"
	"4 65000")

# Throughput matrix and ping-pong, every target in every repetition.
run_matrix() {
	local rep c t p s
	for ((rep = 1; rep <= reps; rep++)); do
		log "repetition $rep of $reps: throughput and ping-pong"
		for c in "${cases_stream[@]}"; do
			read -r p s <<<"$c"
			for t in "${tput_targets[@]}"; do
				((s > 1518)) && [[ $t == *vde* ]] && continue
				bench "$t" "$rep" "$t" --pairs "$p" --size "$s" \
					--seconds "$secs" --pingpong 0
			done
		done
		for t in "${tput_targets[@]}"; do
			bench "$t" "$rep" "$t" --seconds 0 --pingpong "$pp"
		done
	done
}

cell() { # TAG PAIRS SIZE: "median (min-max)" of fps
	local m lo hi n
	read -r m lo hi n < <(vals "$1" tput "$2" "$3" fps | stat)
	((n)) || {
		echo "-"
		return 0
	}
	printf '%.0f (%.0f-%.0f)' "$m" "$lo" "$hi"
}

print_matrix() {
	local c p s t row
	echo
	echo "Throughput, delivered frames/s: median (min-max) of $reps runs of ${secs} s"
	echo
	row="| pairs x size |"
	for t in "${tput_targets[@]}"; do
		row+=" $t |"
	done
	echo "$row"
	echo "|---|$(printf -- '--:|%.0s' "${tput_targets[@]}")"
	for c in "${cases_stream[@]}"; do
		read -r p s <<<"$c"
		row="| $p x $s B |"
		for t in "${tput_targets[@]}"; do
			row+=" $(cell "$t" "$p" "$s") |"
		done
		echo "$row"
	done
	echo
	echo "Loss (frames sent - received, summed over the runs) and the drops the switch counted:"
	for c in "${cases_stream[@]}"; do
		read -r p s <<<"$c"
		for t in "${tput_targets[@]}"; do
			[[ $t == direct ]] && continue
			[[ $(sum "$t" tput "$p" "$s" sent) == - ]] && continue
			printf '  %-15s %u x %5u B: lost %s of %s, counted drops %s\n' \
				"$t" "$p" "$s" "$(sum "$t" tput "$p" "$s" loss)" \
				"$(sum "$t" tput "$p" "$s" sent)" \
				"$(sum "$t" tput "$p" "$s" sw_drop)"
		done
	done
	if [[ ${tput_targets[*]} == *vde* ]]; then
		echo "  VDE targets run 64 and 1500 B only (vde_switch truncates at 1518)"
	fi
	echo
	echo "Ping-pong, $pp round trips of 64 B: p50 / p99 us, median of $reps runs"
	for t in "${tput_targets[@]}"; do
		printf '  %-15s %s / %s\n' "$t" "$(med "$t" pingpong 1 64 p50_us)" \
			"$(med "$t" pingpong 1 64 p99_us)"
	done
}

# Scale: 2 pairs of 64 B with and without idle ports; full MAC table.
run_scale() {
	local rep t
	for ((rep = 1; rep <= reps; rep++)); do
		log "repetition $rep of $reps: scale ($idle_n idle ports) and full MAC table"
		for t in sockswitch sockswitch-vde vde_switch; do
			[[ $t == sockswitch-vde ]] && ((!have_ssv)) && continue
			[[ $t == vde_switch ]] && ((!have_vde)) && continue
			bench "$t-noidle" "$rep" "$t" --pairs 2 --size 64 \
				--seconds "$secs" --pingpong 0
			bench "$t-idle" "$rep" "$t" --pairs 2 --size 64 \
				--seconds "$secs" --pingpong 0 --idle "$idle_n"
		done
		bench sockswitch-macs-few "$rep" sockswitch --pairs 4 --size 64 \
			--seconds "$secs" --pingpong 0
		bench sockswitch-macs-full "$rep" sockswitch --pairs 4 --size 64 \
			--seconds "$secs" --pingpong 0 --fill-macs "$fill_macs"
		grep -o 'stats: [0-9]* ports, [0-9]* of [0-9]* mac entries' \
			"$ss_log" | tail -n 1 >"$dir/macs.txt" || true
	done
}

# Overload: receivers sleep 1 ms per 16 KiB read; a client attaches mid-way.
run_overload() {
	local rep t
	for ((rep = 1; rep <= reps; rep++)); do
		log "repetition $rep of $reps: overload"
		for t in sockswitch sockswitch-vde vde_switch; do
			[[ $t == sockswitch-vde ]] && ((!have_ssv)) && continue
			[[ $t == vde_switch ]] && ((!have_vde)) && continue
			bench "$t-overload" "$rep" "$t" --pairs 4 --size 1500 \
				--seconds "$secs" --pingpong 0 --rx-delay-us 1000 \
				--rx-chunk 16384 --probe
		done
	done
}

# strace -c on a running switch during one 4 x 64 B test: calls per frame
strace_pass() {
	local t=$1 pid=$2 sp i calls frames
	strace -c -f -q -o "$dir/strace-$t.txt" -p "$pid" 2>"$dir/strace.err" &
	sp=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$pid/status" && break
		kill -0 "$sp" 2>/dev/null || break
		sleep 0.1
	done
	if ((i == 50)) || ! kill -0 "$sp" 2>/dev/null; then
		kill -INT "$sp" 2>/dev/null || true
		wait "$sp" 2>/dev/null || true
		echo "-"
		return 0
	fi
	bench "$t-strace" 1 "$t" --pairs 4 --size 64 --seconds "$secs" \
		--pingpong 0
	kill -INT "$sp" 2>/dev/null || true
	wait "$sp" 2>/dev/null || true
	calls=$(awk '$NF == "total" { print $4 }' "$dir/strace-$t.txt")
	frames=$(sum "$t-strace" tput 4 64 received)
	calc "a / b" "${calls:--}" "$frames"
}

# callgrind_ir LABEL TARGET FRAMES [ssbench-options]: a fresh switch under
# callgrind forwards 4 x FRAMES frames of 64 B; prints "Ir frames". Runs in
# a subshell ($(...)), so the switch variables it sets stay local.
callgrind_ir() {
	local tag=cg-$1-$3 t=$2 n=$3 out ir
	shift 3
	out=$dir/$tag.out
	if [[ $t == vde_switch ]]; then
		start_vde "$tag" valgrind --tool=callgrind \
			--callgrind-out-file="$out" || return 1
		vde_pid=$start_pid vde_dir=$dir/$tag
	elif [[ $t == sockswitch-vde ]]; then
		start_ss "$tag" vde:"$dir/$tag.vde" valgrind \
			--tool=callgrind --callgrind-out-file="$out" || return 1
		ssv_pid=$start_pid ssv_dir=$dir/$tag.vde ssv_log=$dir/$tag.err
	else
		start_ss "$tag" unix:"$dir/$tag.sock" valgrind \
			--tool=callgrind --callgrind-out-file="$out" || return 1
		ss_pid=$start_pid ss_sock=$dir/$tag.sock ss_log=$dir/$tag.err
	fi
	bench "$tag" 1 "$t" --pairs 4 --size 64 --count "$n" --seconds 300 \
		--pingpong 0 "$@"
	stop_pid "$start_pid"
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out" 2>/dev/null)
	echo "${ir:--} $(sum "$tag" tput 4 64 received)"
}

# callgrind_per_frame LABEL TARGET [ssbench-options]:
# Ir per frame from two runs, FRAMES and 3 x FRAMES: the difference leaves
# out start-up, learning and shutdown
callgrind_per_frame() {
	local label=$1 t=$2 ir1 f1 ir3 f3
	shift 2
	read -r ir1 f1 < <(callgrind_ir "$label" "$t" "$cg_frames" "$@" ||
		echo "- -")
	read -r ir3 f3 < <(callgrind_ir "$label" "$t" $((3 * cg_frames)) "$@" ||
		echo "- -")
	awk -v a="$ir1" -v b="$f1" -v c="$ir3" -v d="$f3" 'BEGIN {
		if (a == "-" || c == "-" || b == "-" || d == "-" || d <= b) print "-"
		else printf "%.0f", (c - a) / (d - b) }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# mem_case TARGET: "idle_rss_kib per_port_kib" of a fresh switch
mem_case() {
	local t=$1 pid idle bp i n0 n1 full targs=()
	case $t in
	sockswitch)
		start_ss memss unix:"$dir/mem.sock" || return 1
		targs=(--unix "$dir/mem.sock")
		;;
	sockswitch-vde)
		start_ss memssv vde:"$dir/memvde" || return 1
		targs=(--vde "$dir/memvde")
		;;
	vde_switch)
		start_vde memvsw || return 1
		targs=(--vde "$dir/memvsw")
		;;
	esac
	pid=$start_pid
	sleep 0.5
	idle=$(rss_kib "$pid")
	"$ssb_bin" "${targs[@]}" --seconds 0 --pingpong 0 --idle "$idle_n" \
		--hold 120 >"$dir/hold.txt" 2>>"$dir/runs.log" &
	bp=$!
	pids+=("$bp")
	for ((i = 0; i < 600; i++)); do
		grep -qs '^HOLD' "$dir/hold.txt" && break
		kill -0 "$bp" 2>/dev/null || break
		sleep 0.1
	done
	# wait until the switch has taken every connection: fd count settles
	n0=-1
	for ((i = 0; i < 50; i++)); do
		n1=$(nfds "$pid")
		((n1 == n0 && n1 >= idle_n)) && break
		n0=$n1
		sleep 0.2
	done
	full=$(rss_kib "$pid")
	stop_pid "$bp"
	stop_pid "$pid"
	if ! grep -q "^HOLD ports=$idle_n" "$dir/hold.txt"; then
		log "$t: the idle ports did not all attach"
		echo "$idle -"
		return 0
	fi
	echo "$idle $(calc "(a - b) / $idle_n" "$full" "$idle")"
}

report() {
	local c p s g nl r d loss lost drops un t x y

	echo
	echo "## Targets"
	# stream transport against the direct link
	for c in "1 64 0.85 1" "4 64 0.85 1" "1 1500 0.65 0" "4 1500 0.55 0" \
		"1 9000 0.5 1" "4 9000 0.5 1" "1 65000 0.5 1" "4 65000 0.5 1"; do
		read -r p s g nl <<<"$c"
		r=$(calc "a / b" "$(med sockswitch tput "$p" "$s" fps)" \
			"$(med direct tput "$p" "$s" fps)")
		loss=$(sum sockswitch tput "$p" "$s" loss)
		x=$(verdict "$r" ">=" "$g")
		if ((nl)) && [[ $x == PASS && $loss != 0 ]]; then
			x=FAIL
		fi
		target "stream_${s}B_${p}pair_vs_direct" "$r(loss=$loss)" \
			">=$g$( ((nl)) && echo ',no-loss')" "$x"
	done
	# VDE transport, apples to apples
	for c in "1 64" "4 64" "1 1500" "4 1500"; do
		read -r p s <<<"$c"
		d=$(med vde_switch tput "$p" "$s" fps)
		ref "vde_switch_${s}B_${p}pair" "fps=$d lost=$(sum vde_switch tput "$p" "$s" loss) of $(sum vde_switch tput "$p" "$s" sent) (not counted by vde_switch)"
		if ((!have_ssv)); then
			target "vde_${s}B_${p}pair_vs_vde_switch" - ">=1.8,loss-counted" \
				"N/A ($ssv_why)"
			continue
		fi
		r=$(calc "a / b" "$(med sockswitch-vde tput "$p" "$s" fps)" "$d")
		lost=$(sum sockswitch-vde tput "$p" "$s" loss)
		drops=$(sum sockswitch-vde tput "$p" "$s" sw_drop)
		un=$(calc "a - b" "$lost" "$drops")
		x=$(verdict "$r" ">=" 1.8)
		[[ $x == PASS && $un != 0.000 ]] && x=FAIL
		target "vde_${s}B_${p}pair_vs_vde_switch" \
			"$r(lost=$lost,counted=$drops)" ">=1.8,loss-counted" "$x"
	done
	# latency
	d=$(med direct pingpong 1 64 p50_us)
	x=$(med vde_switch pingpong 1 64 p50_us)
	y=$(med vde_switch pingpong 1 64 p99_us)
	ref vde_switch_pingpong "p50_us=$x p99_us=$y"
	for t in sockswitch sockswitch-vde; do
		if [[ $t == sockswitch-vde ]] && ((!have_ssv)); then
			target "latency_${t}_p50_vs_direct" - "<=2.5" "N/A ($ssv_why)"
			continue
		fi
		r=$(calc "a / b" "$(med "$t" pingpong 1 64 p50_us)" "$d")
		target "latency_${t}_p50_vs_direct" "$r" "<=2.5" \
			"$(verdict "$r" "<=" 2.5)"
		r=$(calc "a / b" "$(med "$t" pingpong 1 64 p50_us)" "$x")
		target "latency_${t}_p50_vs_vde_switch" "$r" "<=1.0" \
			"$(verdict "$r" "<=" 1.0)"
		r=$(calc "a / b" "$(med "$t" pingpong 1 64 p99_us)" "$y")
		target "latency_${t}_p99_vs_vde_switch" "$r" "<=1.0" \
			"$(verdict "$r" "<=" 1.0)"
	done
	# CPU and system calls per frame, 4 x 64 B
	ref vde_switch_cpu_us_per_frame_4x64 "$(med vde_switch tput 4 64 sw_cpu_us_per_frame)"
	ref vde_switch_syscalls_per_frame_4x64 "${sc_vde:--}"
	for t in sockswitch sockswitch-vde; do
		if [[ $t == sockswitch-vde ]] && ((!have_ssv)); then
			target "cpu_us_per_frame_4x64_$t" - "<=1.0" "N/A ($ssv_why)"
			target "syscalls_per_frame_4x64_$t" - "<=0.1" "N/A ($ssv_why)"
			continue
		fi
		r=$(med "$t" tput 4 64 sw_cpu_us_per_frame)
		target "cpu_us_per_frame_4x64_$t" "$r" "<=1.0" "$(verdict "$r" "<=" 1.0)"
		[[ $t == sockswitch ]] && r=${sc_ss:--} || r=${sc_ssv:--}
		x=$(verdict "$r" "<=" 0.1)
		((have_strace)) || x="N/A (no strace)"
		target "syscalls_per_frame_4x64_$t" "$r" "<=0.1" "$x"
	done
	# callgrind
	x="N/A (no numeric goal: reported beside vde_switch=${cg_vde:--})"
	((have_cg)) || x="N/A (no valgrind)"
	target callgrind_ir_per_frame_4x64_sockswitch "${cg_ss:--}" report "$x"
	((have_ssv)) && target callgrind_ir_per_frame_4x64_sockswitch-vde \
		"${cg_ssv:--}" report "$x"
	ref vde_switch_callgrind_ir_per_frame_4x64 "${cg_vde:--} (issue 7: ~334)"
	# scale
	for t in sockswitch sockswitch-vde vde_switch; do
		r=$(calc "a / b" "$(med "$t-idle" tput 2 64 fps)" \
			"$(med "$t-noidle" tput 2 64 fps)")
		case $t in
		vde_switch) ref "vde_switch_scale_${idle_n}_idle" "ratio=$r" ;;
		sockswitch-vde) ((have_ssv)) || r=- ;&
		*) target "scale_${idle_n}_idle_ports_$t" "$r" ">=0.90" \
			"$(verdict "$r" ">=" 0.90)" ;;
		esac
	done
	# full MAC table: callgrind cost per frame, rate as a second view
	r=$(calc "a / b" "${cg_full:--}" "${cg_ss:--}")
	target full_mac_table_ir_per_frame_vs_empty "$r" "<=1.10" \
		"$(verdict "$r" "<=" 1.10)"
	r=$(calc "b / a" "$(med sockswitch-macs-full tput 4 64 fps)" \
		"$(med sockswitch-macs-few tput 4 64 fps)")
	ref full_mac_table_rate_cost "empty/full fps=$r $(cat "$dir/macs.txt" 2>/dev/null)"
	# memory
	for t in sockswitch sockswitch-vde vde_switch; do
		read -r x y <<<"${mem[$t]:-- -}"
		if [[ $t == vde_switch ]]; then
			ref vde_switch_memory "idle_rss_kib=$x per_idle_port_kib=$y"
			continue
		fi
		target "memory_idle_rss_kib_$t" "$x" "<4096" "$(verdict "$x" "<" 4096)"
		target "memory_per_idle_port_kib_$t" "$y" "<=4" \
			"$(verdict "$y" "<=" 4)"
	done
	# overload
	for t in sockswitch sockswitch-vde vde_switch; do
		lost=$(sum "$t-overload" tput 4 1500 loss)
		drops=$(sum "$t-overload" tput 4 1500 sw_drop)
		r=$(vals "$t-overload" tput 4 1500 attach_ms | stat | cut -d' ' -f3)
		# a probe frame that never arrived counts as a miss, not as fast
		x=$(vals "$t-overload" tput 4 1500 sent | wc -l)
		y=$(vals "$t-overload" tput 4 1500 attach_ms | wc -l)
		((x > y)) && r="timeout($((x - y))/$x)"
		if [[ $t == vde_switch ]]; then
			ref vde_switch_overload "lost=$lost counted=- attach_ms_max=$r"
			continue
		fi
		un=$(calc "a - b" "$lost" "$drops")
		target "overload_drops_counted_$t" "lost=$lost,counted=$drops" \
			"all-counted" "$(verdict "$un" "==" 0)"
		x=$(verdict "$r" "<=" 100)
		[[ $r == timeout* ]] && x=FAIL
		target "overload_attach_ms_max_$t" "$r" "<=100" "$x"
	done
	awk '$1 ~ /-overload$/ { for (i = 4; i <= NF; i++)
		if ($i ~ /^sw_drop_reasons=/ || $i ~ /^attach_ms=/)
			printf " %s", $i; if ($1 ~ /-overload$/) print "  (" $1 " " $2 ")" }' \
		"$res" | sed 's/^/  overload:/'
}

main() {
	local t
	declare -gA mem=()
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	ensure_deps
	build_all
	if ! "$ssb_bin" --vde /nonexistent --seconds 0 --pingpong 0 \
		>/dev/null 2>&1; then
		((smoke)) && skip "ssbench was built without libvdeplug"
		log "ssbench was built without libvdeplug: VDE cases are N/A"
	fi
	command -v strace >/dev/null && have_strace=1
	command -v valgrind >/dev/null && [[ ${BENCH_NO_VALGRIND:-0} != 1 ]] &&
		have_cg=1

	start_ss ss unix:"$dir/sw.sock"
	ss_pid=$start_pid
	if start_ss ssv vde:"$dir/ssvde" 2>>"$dir/runs.log"; then
		ssv_pid=$start_pid have_ssv=1
		tput_targets+=(sockswitch-vde)
	else
		log "$ssv_why"
	fi
	if command -v vde_switch >/dev/null && start_vde vde; then
		vde_pid=$start_pid have_vde=1
		tput_targets+=(vde_switch)
	fi

	echo "# bench/run.sh$( ((smoke)) && echo ' --smoke') $(date -u '+%Y-%m-%d %H:%M:%S UTC')," \
		"$(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# $reps repetitions, ${secs} s per throughput test, $pp ping-pong round trips," \
		"$idle_n idle ports; targets: ${tput_targets[*]}"
	((have_ssv)) || echo "# sockswitch VDE listener: not available in this build"

	run_matrix
	print_matrix
	run_scale
	run_overload
	if ((have_strace)); then
		log "system calls per frame (strace -c)"
		sc_ss=$(strace_pass sockswitch "$ss_pid")
		((have_ssv)) && sc_ssv=$(strace_pass sockswitch-vde "$ssv_pid")
		((have_vde)) && sc_vde=$(strace_pass vde_switch "$vde_pid")
	fi
	for t in sockswitch sockswitch-vde vde_switch; do
		[[ $t == sockswitch-vde ]] && ((!have_ssv)) && continue
		[[ $t == vde_switch ]] && ((!have_vde)) && continue
		log "memory: $t with $idle_n idle ports"
		mem[$t]=$(mem_case "$t" || echo "- -")
	done
	if ((have_cg)); then
		log "callgrind: instructions per forwarded frame"
		cg_ss=$(callgrind_per_frame ss sockswitch)
		cg_full=$(callgrind_per_frame ssfull sockswitch \
			--fill-macs "$fill_macs")
		((have_vde)) && cg_vde=$(callgrind_per_frame vde vde_switch)
		((have_ssv)) && cg_ssv=$(callgrind_per_frame ssv sockswitch-vde)
	fi
	report | tee "$dir/report.txt"
	echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	if ((failed)); then
		log "$failed ssbench runs failed; see runs.log (BENCH_KEEP=1 keeps it)"
		((smoke)) && exit 1
	fi
	((smoke)) || return 0
	# the smoke run fails only when a case that must run measured nothing
	if grep -E '^TARGET (stream_|latency_sockswitch_|cpu_us_per_frame_4x64_sockswitch |scale_[0-9]+_idle_ports_sockswitch |memory_[a-z_]+_sockswitch |overload_[a-z_]+_sockswitch )' \
		"$dir/report.txt" | grep -E 'measured=(-|lost=-)'; then
		log "smoke: the cases above measured nothing"
		exit 1
	fi
	return 0
}

main
