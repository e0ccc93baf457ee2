#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cg_mac.sh - callgrind micro-run for MAC learning and eviction (issue 13)
#
# Usage: bash bench/cg_mac.sh SOCKSWITCH SSBENCH LABEL COUNT [ssbench options]
#
# Starts SOCKSWITCH under valgrind --tool=callgrind on a unix socket, lets
# SSBENCH send 4 pairs x COUNT frames of 64 B (plus e.g. --fill-macs N:
# one extra port sprays N source addresses first), stops the switch and
# prints "LABEL ir=<instructions> received=<frames>". Two runs with COUNT
# and 3 x COUNT give Ir per forwarded frame; runs with and without
# --fill-macs give Ir per sprayed address. Much shorter than bench/run.sh
# (seconds), and only what docs/performance.md "MAC eviction" reports.
# With CG_CAPTURES=N (and CG_CTL=SOCKSWITCHCTL, CG_BUFFER=BYTES, default
# 4096), N whole-switch captures into FIFOs nobody reads run during the
# test (bench/budget.sh uses it for the cost of stalled captures).
# With CG_VLAN=N in the environment the listener makes every port an
# access port of VLAN N (a config file with "vlan": N), for the VLAN cost;
# CG_LISTEN='"KEY": VALUE' gives the listener any other key the same way
# (e.g. '"broadcast_limit": 10000000', for the cost of storm control);
# with CG_STP=1 spanning tree is on (--stp), for its cost.
set -euo pipefail
(($# >= 4)) || {
	sed -n '6,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
sw=$1 ssb=$2 label=$3 n=$4
shift 4
d=$(mktemp -d "${TMPDIR:-/tmp}/cgmac.XXXXXX")
ncap=${CG_CAPTURES:-0}
ctlopt=()
((ncap == 0)) || ctlopt=(--control "$d/ctl.sock")
where=(--listen unix:"$d/sw.sock")
key=${CG_LISTEN:-}
[[ -z ${CG_VLAN:-} ]] || key="\"vlan\": $CG_VLAN"
if [[ -n $key ]]; then
	printf '{"listen": [{"url": "unix:%s", %s}]}\n' \
		"$d/sw.sock" "$key" >"$d/sw.json"
	where=(--config "$d/sw.json")
fi
[[ -z ${CG_STP:-} ]] || where+=(--stp)
nice -n 19 valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" \
	"$sw" --foreground "${where[@]}" "${ctlopt[@]}" \
	>"$d/out" 2>"$d/err" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
for ((i = 0; i < 600; i++)); do
	grep -qs '^ready' "$d/out" && break
	sleep 0.1
done
# shellcheck source=bench/stalled_captures.sh
. "$(dirname "${BASH_SOURCE[0]}")/stalled_captures.sh"
stalled_captures "${CG_CTL:-}" "$d/ctl.sock" "$d" "$ncap" "${CG_BUFFER:-4096}"
nice -n 19 "$ssb" --unix "$d/sw.sock" --switch-pid "$pid" \
	--switch-log "$d/err" --pairs 4 --size 64 --count "$n" --seconds 300 \
	--pingpong 0 "$@" >"$d/run.txt" 2>"$d/ssb.err" || true
kill -TERM "$pid"
wait "$pid" || true
ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$d/cg.out")
rcv=$(sed -n 's/^RESULT .*received=\([0-9]*\).*/\1/p' "$d/run.txt" | head -1)
echo "$label ir=${ir:--} received=${rcv:--}"
