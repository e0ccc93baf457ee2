#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# setting_cost.sh - what a setting costs the hot path (docs/performance.md
# "VLANs", "Spanning tree")
#
# Usage: bash bench/setting_cost.sh BUILD vlan|limit|stp [ROUNDS [SECONDS]]
#
# The 4 x 64 B stream case of bench/run.sh with the setting on against the
# same case without it, same binaries, interleaved. The settings:
#   vlan	every port an access port of VLAN 10 (a config with "vlan": 10
#		on the listener)
#   limit	storm control on every port, high enough never to drop
#		("broadcast_limit": 10000000 on the listener)
#   stp		spanning tree on (--stp: 802.1D defaults), every port an
#		edge port, forwarding (BPDUs go to each port every 2 s)
# Measured:
#   - callgrind: Ir per forwarded frame, (Ir(60000) - Ir(20000)) over
#     4 x 40000 frames (bench/cg_mac.sh), ROUNDS rounds (default 2);
#   - throughput: ssbench --pairs 4 --size 64 --seconds SECONDS (default
#     3), 2 x ROUNDS + 1 repetitions of each, printing every run's frames/s
#     and the switch's CPU time per frame (user + system, from
#     /proc/PID/stat), then the medians and their ratio.
# BUILD is a cmake build directory with switch/sockswitch and
# bench/ssbench (Release: cmake -DCMAKE_BUILD_TYPE=Release
# -DBUILD_TESTING=OFF, targets sockswitch ssbench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# >= 1)) || {
	sed -n '6,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
build=$1 feature=${2:-} rounds=${3:-2} secs=${4:-3}
key=
case $feature in
vlan) on=vlan10 key='"vlan": 10' ;;
limit) on=limit key='"broadcast_limit": 10000000' ;;
stp) on=stp ;;
*)
	echo "setting_cost.sh: the setting is vlan, limit or stp" >&2
	exit 2
	;;
esac
sw=$build/switch/sockswitch ssb=$build/bench/ssbench
[[ -x $sw && -x $ssb ]] || {
	echo "setting_cost.sh: no $sw or $ssb (build targets sockswitch ssbench)" >&2
	exit 2
}

# Ir per frame of one case: the setting on (1) or not (empty).
cg_case() {
	local k='' s='' a b
	if [[ -n $1 && -n $key ]]; then k=$key; elif [[ -n $1 ]]; then s=1; fi
	a=$(CG_LISTEN=$k CG_STP=$s bash "$here/cg_mac.sh" "$sw" "$ssb" x 20000 |
		sed 's/.* ir=\([0-9]*\).*/\1/')
	b=$(CG_LISTEN=$k CG_STP=$s bash "$here/cg_mac.sh" "$sw" "$ssb" x 60000 |
		sed 's/.* ir=\([0-9]*\).*/\1/')
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 160000 }'
}

# One throughput run: prints "FPS CPU_US_PER_FRAME".
tput_case() {
	local set=$1 d pid line
	d=$(mktemp -d "${TMPDIR:-/tmp}/settingcost.XXXXXX")
	if [[ -n $set && -n $key ]]; then
		printf '{"listen": [{"url": "unix:%s", %s}]}\n' \
			"$d/sw.sock" "$key" >"$d/sw.json"
		"$sw" --foreground --config "$d/sw.json" >"$d/out" 2>"$d/err" &
	elif [[ -n $set ]]; then
		"$sw" --foreground --stp --listen unix:"$d/sw.sock" \
			>"$d/out" 2>"$d/err" &
	else
		"$sw" --foreground --listen unix:"$d/sw.sock" \
			>"$d/out" 2>"$d/err" &
	fi
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -qs '^ready' "$d/out" && break
		sleep 0.1
	done
	"$ssb" --unix "$d/sw.sock" --switch-pid "$pid" --pairs 4 --size 64 \
		--seconds "$secs" --pingpong 0 >"$d/run.txt" 2>"$d/ssb.err" ||
		true
	kill -TERM "$pid"
	wait "$pid" || true
	line=$(grep -m1 '^RESULT test=tput mode=switch' "$d/run.txt" || true)
	rm -rf "$d"
	[[ -n $line ]] || {
		echo "setting_cost.sh: ssbench printed no result" >&2
		exit 1
	}
	awk '{ for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "fps") f = kv[2]
		if (kv[1] == "sw_cpu_us_per_frame") c = kv[2]
	} print f, c }' <<<"$line"
}

echo "# callgrind, Ir per forwarded frame"
for ((r = 1; r <= rounds; r++)); do
	n=$(cg_case "")
	v=$(cg_case 1)
	awk -v r="$r" -v n="$n" -v v="$v" -v on="$on" 'BEGIN {
		printf "round %d: none %s %s %s (%+.1f %%)\n", r, n, on, v,
			(v / n - 1) * 100 }'
done
echo "# throughput, ssbench --pairs 4 --size 64 --seconds $secs"
reps=$((2 * rounds + 1))
: >"${TMPDIR:-/tmp}/settingcost.$$"
for ((r = 1; r <= reps; r++)); do
	for c in none "$on"; do
		if [[ $c == none ]]; then res=$(tput_case ""); else res=$(tput_case 1); fi
		echo "$c $res" | tee -a "${TMPDIR:-/tmp}/settingcost.$$"
	done
done
awk -v on="$on" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1; n[k]++; f[k, n[k]] = $2; c[k, n[k]] = $3 }
END {
	for (k in n) {
		for (i = 1; i <= n[k]; i++) { ff[i] = f[k, i]; cc[i] = c[k, i] }
		mf[k] = median(ff, n[k]); mc[k] = median(cc, n[k])
		printf "median %s: %.0f frames/s, %.3f us CPU per frame\n",
			k, mf[k], mc[k]
	}
	printf "%s / none: frames/s %+.1f %%, CPU per frame %+.1f %%\n", on,
		(mf[on] / mf["none"] - 1) * 100,
		(mc[on] / mc["none"] - 1) * 100
}' "${TMPDIR:-/tmp}/settingcost.$$"
rm -f "${TMPDIR:-/tmp}/settingcost.$$"
