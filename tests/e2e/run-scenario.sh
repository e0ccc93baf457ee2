#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run-scenario.sh - run one e2e scenario: sockswitch plus QEMU guests
#
# Usage: run-scenario.sh SCENARIO [SOCKSWITCH]
#
# Scenarios:
#   selftest  two guests wired QEMU to QEMU (no switch): proves the image
#   ping3     three guests on three transports (-netdev socket, stream unix,
#             stream inet) ping each other in every direction
#   ping6     IPv6 link-local pings between three guests (one of them joins
#             the switch over TCP on ::1 when the host has it)
#   bulk      5.5 MB over TCP at MTU 9000, sha256 checked, jumbo frames seen
#   bulk_ring three such transfers at once, g1 -> g2 -> g3 -> g1
#   kill      a guest's QEMU killed mid-transfer: the others still talk and
#             the switch logs that the port closed
#   vde       two guests on -netdev vde (the vde:DIR listener, one asking
#             for port 7) and one on stream unix ping each other
#   dgram     three guests on the datagram listeners (-netdev dgram unix,
#             -netdev socket,udp=, -netdev dgram inet) and one on a unix
#             stream ping each other in every direction
# E2E_SWITCH_ARGS adds options to the switch (e.g. --hub); see lib.sh for
# the other E2E_* variables.
# Exit: 0 pass, 1 fail (every console log and the switch log are printed),
# 77 skipped (no qemu, no readable kernel, ...).

set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

scenario=${1:?usage: run-scenario.sh SCENARIO [SOCKSWITCH]}
switch=${2:-}
LINGER=sw.linger=600	# guests stay up until the runner is done

need_switch() {
	[ -n "$switch" ] || e2e_fail "scenario $scenario needs the sockswitch binary"
	# shellcheck disable=SC2086 # E2E_SWITCH_ARGS is a list of words
	sw_start "$switch" -v "$@" ${E2E_SWITCH_ARGS:-}
}

scenario_selftest() {
	local sock=$E2E_WORK/direct.sock i
	# g1 listens on a unix socket, g2 connects to it once it exists (a
	# QEMU 7.2 stream client never retries).
	guest_start g1 1 "stream,id=net0,server=on,addr.type=unix,addr.path=$sock" \
		virtio-net-pci sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2 $LINGER
	for i in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || e2e_fail "g1 did not create $sock"
	guest_start g2 2 "stream,id=net0,server=off,addr.type=unix,addr.path=$sock" \
		e1000 sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1 $LINGER
	guests_booted g1 g2
	guests_result g1 g2
}

scenario_ping3() {
	need_switch
	guest_start g1 1 "$(netdev_for socket net0)" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2,10.0.0.3 $LINGER
	guest_start g2 2 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.3 $LINGER
	guest_start g3 3 "$(netdev_for inet net0)" e1000 \
		sw.ip=10.0.0.3/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2 $LINGER
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	sw_stats
	sw_stop
}

scenario_ping6() {
	local t3=inet
	# g3 reaches the switch over TCP on ::1 when the host has IPv6 loopback.
	if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
		need_switch --listen 'tcp:[::1]:0'
		[ -n "$SW_TCP6_PORT" ] || e2e_fail "no tcp:[::1] port in the switch's output"
		t3=inet6
	else
		e2e_log "no ::1 on this host: g3 uses 127.0.0.1"
		need_switch
	fi
	# Link-local addresses are EUI-64 from the MACs 52:54:00:00:00:0N.
	guest_start g1 1 "$(netdev_for unix net0)" virtio-net-pci \
		sw.cmd=ping6 sw.peers=fe80::5054:ff:fe00:2,fe80::5054:ff:fe00:3 $LINGER
	guest_start g2 2 "$(netdev_for socket net0)" virtio-net-pci \
		sw.cmd=ping6 sw.peers=fe80::5054:ff:fe00:1,fe80::5054:ff:fe00:3 $LINGER
	guest_start g3 3 "$(netdev_for $t3 net0)" e1000 \
		sw.cmd=ping6 sw.peers=fe80::5054:ff:fe00:1,fe80::5054:ff:fe00:2 $LINGER
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	sw_stats
	sw_stop
}

scenario_bulk() {
	need_switch
	guest_start g1 1 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.mtu="${E2E_BULK_MTU:-9000}" sw.cmd=bulk-recv $LINGER
	guest_start g2 2 "$(netdev_for inet net0)" virtio-net-pci \
		sw.ip=10.0.0.2/24 sw.mtu="${E2E_BULK_MTU:-9000}" sw.cmd=bulk-send sw.peers=10.0.0.1 $LINGER
	guests_booted g1 g2
	guests_result g1 g2
	grep -a 'E2E-MARK' "${GUEST_LOG[g1]}" "${GUEST_LOG[g2]}" | tr -d '\r' >&2
	sw_stats
	sw_stop
}

scenario_bulk_ring() {
	need_switch
	# Three transfers at once, g1 -> g2 -> g3 -> g1, each guest sending
	# and receiving at the same time, at MTU 9000.
	guest_start g1 1 "$(netdev_for socket net0)" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.mtu=9000 sw.cmd=bulk-ring sw.peers=10.0.0.2 $LINGER
	guest_start g2 2 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.2/24 sw.mtu=9000 sw.cmd=bulk-ring sw.peers=10.0.0.3 $LINGER
	guest_start g3 3 "$(netdev_for inet net0)" e1000 \
		sw.ip=10.0.0.3/24 sw.mtu=9000 sw.cmd=bulk-ring sw.peers=10.0.0.1 $LINGER
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	sw_stats
	sw_stop
}

scenario_kill() {
	need_switch
	guest_start g1 1 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.cmd=kill-recv sw.peers=10.0.0.2 $LINGER
	guest_start g2 2 "$(netdev_for inet net0)" virtio-net-pci \
		sw.ip=10.0.0.2/24 sw.cmd=kill-peer sw.peers=10.0.0.1 $LINGER
	guest_start g3 3 "$(netdev_for socket net0)" virtio-net-pci \
		sw.ip=10.0.0.3/24 sw.cmd=kill-send sw.peers=10.0.0.1 $LINGER
	guests_booted g1 g2 g3
	guest_wait g1 'E2E-MARK g1 transfer-running'
	local closed_before
	closed_before=$(grep -c 'port .*closed' "$E2E_WORK/switch.log" || true)
	guest_kill g3
	guests_result g1 g2
	local _
	for _ in $(seq 50); do
		[ "$(grep -c 'port .*closed' "$E2E_WORK/switch.log" || true)" -gt "$closed_before" ] && break
		sleep 0.1
	done
	local closed
	closed=$(grep 'port .*closed' "$E2E_WORK/switch.log" | tail -n +$((closed_before + 1)))
	[ -n "$closed" ] || e2e_fail "the switch did not log that g3's port closed"
	echo "$closed" >&2
	# Only g3 went away: exactly one port may have closed.
	[ "$(echo "$closed" | wc -l)" -eq 1 ] ||
		e2e_fail "more than one port closed after killing g3"
	sw_stats
	sw_stop
}

scenario_vde() {
	local dir=$E2E_WORK/vde
	need_switch --listen "vde:$dir"
	[ -S "$dir/ctl" ] || e2e_fail "switch is ready but $dir/ctl is not a socket"
	guest_start g1 1 "vde,id=net0,sock=$dir" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2,10.0.0.3 $LINGER
	guest_start g2 2 "vde,id=net0,sock=$dir,port=7" e1000 \
		sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.3 $LINGER
	guest_start g3 3 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.3/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2 $LINGER
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	grep -q 'port 7 (vde: QEMU.*connected on vde:' "$E2E_WORK/switch.log" ||
		e2e_fail "QEMU's port=7 request was not honoured with its description"
	sw_stats
	sw_stop
	[ ! -e "$dir" ] || e2e_fail "$dir should be removed when the switch stops"
}

# free_udp_port: a UDP port of 127.0.0.1 nobody is bound to right now.
free_udp_port() {
	local p _
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! command -v ss >/dev/null ||
			[ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	e2e_fail "no free UDP port found"
}

scenario_dgram() {
	local dsock=$E2E_WORK/dg.sock udp p2 p3
	need_switch --listen udp:127.0.0.1:0 --listen "unixgram:$dsock"
	udp=$(sed -n 's/^listening on udp:127\.0\.0\.1:\([0-9][0-9]*\) .*$/\1/p' \
		"$E2E_WORK/switch.out" | head -n 1)
	if [ -z "$udp" ] || [ "$udp" = 0 ]; then
		e2e_fail "no udp port in the switch's output"
	fi
	[ -S "$dsock" ] || e2e_fail "switch is ready but $dsock is not a socket"
	p2=$(free_udp_port)
	p3=$(free_udp_port)
	guest_start g1 1 "dgram,id=net0,local.type=unix,local.path=$E2E_WORK/g1.sock,remote.type=unix,remote.path=$dsock" \
		virtio-net-pci sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2,10.0.0.3,10.0.0.4 $LINGER
	guest_start g2 2 "socket,id=net0,udp=127.0.0.1:$udp,localaddr=127.0.0.1:$p2" \
		e1000 sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.3,10.0.0.4 $LINGER
	guest_start g3 3 "dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$p3,remote.type=inet,remote.host=127.0.0.1,remote.port=$udp" \
		virtio-net-pci sw.ip=10.0.0.3/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2,10.0.0.4 $LINGER
	guest_start g4 4 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.4/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2,10.0.0.3 $LINGER
	guests_booted g1 g2 g3 g4
	guests_result g1 g2 g3 g4
	sw_stats
	grep -q 'transport=unixgram' "$E2E_WORK/switch.log" ||
		e2e_fail "no unixgram port in the switch's stats"
	[ "$(grep -c 'stats port=.*transport=udp' "$E2E_WORK/switch.log")" -ge 2 ] ||
		e2e_fail "expected two udp ports in the switch's stats"
	sw_stop
	[ ! -e "$dsock" ] || e2e_fail "switch left $dsock behind"
}

declare -F "scenario_$scenario" >/dev/null || e2e_fail "unknown scenario $scenario"
e2e_init
t0=$(e2e_now)
"scenario_$scenario"
e2e_log "PASS $scenario in $(e2e_since "$t0") s"
