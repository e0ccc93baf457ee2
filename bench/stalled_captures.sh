# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# stalled_captures.sh - sourced by bench/cg_mac.sh and bench/budget.sh
#
# stalled_captures SOCKSWITCHCTL CTL_SOCKET DIR N BUFFER: N whole-switch
# captures of BUFFER bytes each into FIFOs DIR/f0... that the calling
# shell holds open and never reads (their readers are stalled).
stalled_captures() {
	local ctl=$1 sock=$2 dir=$3 n=$4 buffer=$5 i
	for ((i = 0; i < n; i++)); do
		mkfifo "$dir/f$i"
		# shellcheck disable=SC2034 # held open, never read
		exec {fd}<>"$dir/f$i"
		"$ctl" -s "$sock" capture start port=all file="$dir/f$i" \
			buffer="$buffer" >/dev/null
	done
}
