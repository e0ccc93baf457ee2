#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# metrics_scrape.sh - what Prometheus scrapes cost forwarding on a switch
# with many ports
#
# Usage: bash bench/metrics_scrape.sh [BUILD_DIR]
#
# Starts sockswitch with a unix metrics endpoint, attaches BENCH_IDLE (1000)
# idle ports with ssbench, and measures
#   1. the time of one scrape (curl, time_total) and the size of the text,
#      median of 20 in a row, and the time the switch took to format it
#      (its sockswitch_metrics_format_seconds), median of 20;
#   2. frames/s of one pair of 64-byte senders (ssbench, BENCH_SECONDS, 5 s)
#      with no scraper, then with BENCH_SCRAPERS (4) curl loops scraping as
#      fast as they can; printed side by side with the number of scrapes
#      served meanwhile.
# Needs curl. BUILD_DIR defaults to <repo>/build.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
sw=$build/switch/sockswitch
ssb=$build/bench/ssbench
idle=${BENCH_IDLE:-1000}
secs=${BENCH_SECONDS:-5}
scrapers=${BENCH_SCRAPERS:-4}

command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
[ -x "$sw" ] && [ -x "$ssb" ] || { echo "build $build first"; exit 1; }

tmp=$(mktemp -d /tmp/ss-scrape-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

ulimit -n 8192
"$sw" --listen "unix:$tmp/sw.sock" --metrics "unix:$tmp/m.sock" \
	--control none --max-ports $((idle + 64)) >"$tmp/sw.log" 2>&1 &
swpid=$!
pids+=("$swpid")
# wait_line FILE PATTERN SECONDS: until a line of FILE matches, or fail
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	cat "$1"
	exit 1
}
wait_line "$tmp/sw.log" '^ready' 10

scrape() {
	curl -s -o /dev/null -w '%{time_total} %{size_download}\n' \
		--unix-socket "$tmp/m.sock" http://localhost/metrics
}

# Idle ports first; ssbench keeps them while it holds.
"$ssb" --unix "$tmp/sw.sock" --idle "$idle" -p 1 -s 64 -S 0 -P 0 \
	--hold 3600 >"$tmp/idle.log" 2>&1 &
pids+=("$!")
wait_line "$tmp/idle.log" '^HOLD' 60

for _ in $(seq 20); do scrape; done | sort -n | awk '
	{ t[NR] = $1; s = $2 }
	END { printf "scrape: %d ports, median %.1f ms, %d bytes\n",
	      '"$idle"' + 2, t[int((NR + 1) / 2)] * 1000, s }'

for _ in $(seq 20); do
	sleep 0.1 # past the reuse window: each scrape formats anew
	curl -s --unix-socket "$tmp/m.sock" http://localhost/metrics |
		awk '/^sockswitch_metrics_format_seconds / { print $2 * 1000 }'
done | sort -n | awk '{ t[NR] = $1 }
	END { printf "format: median %.2f ms, min %.2f ms " \
	      "(sockswitch_metrics_format_seconds)\n", t[int((NR + 1) / 2)], t[1] }'

fps() {
	"$ssb" --unix "$tmp/sw.sock" -p 1 -s 64 -S "$secs" -P 0 2>/dev/null |
		sed -n 's/^RESULT test=tput mode=switch .* fps=\([0-9]*\) .*/\1/p'
}

cpu() { awk '{ print $14 + $15 }' "/proc/$swpid/stat"; }

# The switch's own CPU per scrape, with nothing else to do.
: >"$tmp/count"
spids=()
c0=$(cpu)
for _ in $(seq "$scrapers"); do
	(while :; do scrape >>"$tmp/count"; done) &
	spids+=("$!")
	pids+=("$!")
done
sleep "$secs"
for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; done
c1=$(cpu)
n=$(wc -l <"$tmp/count")
awk -v n="$n" -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v s="$secs" \
	'BEGIN { printf "scrapers alone: %d scrapes in %d s, switch CPU %.2f ms " \
	"per scrape (format, reuse and send)\n", n, s, c / hz * 1000 / n }'

base=$(fps)
echo "forwarding, no scraper:   $base frames/s"
: >"$tmp/count"
spids=()
for _ in $(seq "$scrapers"); do
	(while :; do scrape >>"$tmp/count"; done) &
	spids+=("$!")
	pids+=("$!")
done
c0=$(cpu)
loaded=$(fps)
c1=$(cpu)
for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; done
n=$(wc -l <"$tmp/count")
echo "forwarding, $scrapers scrapers: $loaded frames/s ($n scrapes served)"
awk -v b="$base" -v l="$loaded" -v n="$n" -v c=$((c1 - c0)) \
	-v hz="$(getconf CLK_TCK)" 'BEGIN {
	if (b > 0) printf "cost: %.0f%% fewer frames/s", (1 - l / b) * 100
	if (n > 0) printf "; switch CPU %.2f ms per scrape (with forwarding)",
		c / hz * 1000 / n
	printf "\n" }'
