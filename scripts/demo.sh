#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo.sh - three QEMU guests on one sockswitch, each on another transport
#
# Usage: scripts/demo.sh [SOCKSWITCH]   (default: build/switch/sockswitch)
# Needs qemu-system-x86_64, busybox-static and a readable /boot/vmlinuz-*.
# Everything it starts is stopped again when it ends (or on Ctrl-C).

set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/e2e/lib.sh"
switch=${1:-$root/build/switch/sockswitch}

e2e_init	# guest image (cached), work directory, cleanup trap
sw_start "$switch"
echo "--- the switch says:"
cat "$E2E_WORK/switch.out"

# Three guests, one per transport; each pings the other two.
guest_start g1 1 "$(netdev_for socket net0)" virtio-net-pci \
	sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2,10.0.0.3 sw.linger=600
guest_start g2 2 "$(netdev_for unix net0)" virtio-net-pci \
	sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.3 sw.linger=600
guest_start g3 3 "$(netdev_for inet net0)" e1000 \
	sw.ip=10.0.0.3/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2 sw.linger=600
guests_booted g1 g2 g3
guests_result g1 g2 g3
for g in g1 g2 g3; do
	echo "--- console of $g:"
	grep -aE '^(PING|64 bytes|E2E-)' "${GUEST_LOG[$g]}" | tr -d '\r'
done

ctl=$(dirname "$switch")/../plug/sockswitchctl
if [ -x "$ctl" ]; then
	for c in status ports macs; do
		echo "--- sockswitchctl $c:"
		"$ctl" -s "$E2E_WORK/control.sock" "$c"
	done
fi
echo "--- port table (SIGUSR1):"
sw_stats 2>&1
sw_stop
echo "--- demo done; guests are stopped by the exit trap"
