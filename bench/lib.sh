# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# lib.sh - what the small benchmark scripts (vxlan.sh, vhost.sh) share:
# the programs of BUILD, a temporary directory and every process started
# into `pids`, all ended (by pid) and removed at exit.
#
# bench_init NAME BUILD: set sw and ssb (BUILD's sockswitch and ssbench,
# or exit 2 saying which is missing), tmp (a new directory) and pids
# (empty), and the EXIT trap that ends them.

bench_init() {
	local name=$1 build=$2
	sw=$build/switch/sockswitch ssb=$build/bench/ssbench
	[[ -x $sw && -x $ssb ]] || {
		echo "$name: no $sw or $ssb (build targets sockswitch ssbench)" >&2
		exit 2
	}
	pids=()
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/${name%.sh}bench.XXXXXX")
	trap bench_cleanup EXIT
}

# shellcheck disable=SC2317 # run by the EXIT trap
bench_cleanup() {
	local p
	for p in "${pids[@]}"; do
		if kill "$p" 2>/dev/null; then
			wait "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$tmp"
}

# bench_wait_ready OUT: wait up to 10 s for "ready" in a switch's stdout
# file OUT; exit 1 with its output and stderr (OUT less .out, plus .err)
# if it never comes.
bench_wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qs '^ready' "$1" && return 0
		sleep 0.1
	done
	echo "switch not ready: $(cat "$1" "${1%.out}.err")" >&2
	exit 1
}
