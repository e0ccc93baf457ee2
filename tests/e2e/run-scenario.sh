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
#   restart   g1 listens (-netdev stream,server=on; the switch dials it with
#             --connect), g2 on -netdev dgram unix, g3 on -netdev socket,udp=;
#             they ping, the switch is stopped and started again with the
#             same arguments, and the same guests (not restarted) ping again
#   slirp     two guests behind --uplink slirp: different DHCP leases
#             (udhcpc), a file fetched from a host HTTP server via 10.0.2.2,
#             hostfwd from the host to the guest leased 10.0.2.15
#   mcast     in a network namespace of its own (lo only, multicast route
#             on lo): g1 and g2 on a QEMU multicast hub (-netdev
#             socket,mcast=230.0.0.1:PORT,localaddr=127.0.0.1), the switch
#             joined to it (--uplink mcast:...), g3 on a switch port: all
#             ping each other
#   vlan      g1 on an access port of VLAN 10, g2 on one of VLAN 20, g3 on
#             a trunk of both with the kernel's 802.1Q (eth0.10, eth0.20),
#             modes set with sockswitchctl vlan: pings within a VLAN work,
#             a ping to the same subnet in the other VLAN gets no answer
#             (E2E_SOCKSWITCHCTL: the sockswitchctl binary)
#   vhost     g1 and g2 on the vhost-user listener (the switch as their
#             virtio-net backend), g3 on stream unix, MTU 9000: they ping
#             each other, g2 sends g1 5.5 MB over TCP (sha256 checked),
#             resets its virtio device (unbind and bind virtio_net) and
#             pings again on the same port; then g2's QEMU is killed: its
#             port goes, g1 and g3 still ping; last the switch restarts
#             and g1's QEMU (reconnect=1) comes back on a running port
#             (E2E_SOCKSWITCHCTL as vlan)
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
	local sock=$E2E_WORK/direct.sock
	# g1 listens on a unix socket, g2 connects to it once it exists (a
	# QEMU 7.2 stream client never retries).
	guest_start g1 1 "stream,id=net0,server=on,addr.type=unix,addr.path=$sock" \
		virtio-net-pci sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2 $LINGER
	wait_socket "$sock" g1
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

# free_port u|t: a UDP (u) or TCP (t) port of 127.0.0.1 nobody is bound to
# right now.
free_port() {
	local p _
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! command -v ss >/dev/null ||
			[ -z "$(ss "-Hl${1}n" "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	e2e_fail "no free port found (ss -l${1}n)"
}
free_udp_port() { free_port u; }

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

# wait_socket PATH WHO: wait (10 s at most) until WHO has created the
# socket PATH.
wait_socket() {
	local _
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	e2e_fail "$2 did not create $1"
}

# sw_wait_log REGEX WHAT: wait (30 s at most) for a line of the running
# switch's log matching REGEX (grep -E); fail naming WHAT.
sw_wait_log() {
	local _
	for _ in $(seq 300); do
		grep -qE "$1" "$E2E_WORK/switch.log" && return 0
		sleep 0.1
	done
	e2e_fail "the switch did not log $2 (/$1/) within 30 s"
}

# sw_port_traffic TRANSPORT...: in the last SIGUSR1 stats of the running
# switch, a port of each TRANSPORT must have received and sent frames.
sw_port_traffic() {
	local t line
	for t in "$@"; do
		line=$(grep "stats port=.* transport=$t " "$E2E_WORK/switch.log" | tail -n 1)
		[ -n "$line" ] || e2e_fail "no $t port in the switch's stats"
		echo "$line" | grep -qE ' rx_frames=[1-9]' ||
			e2e_fail "the $t port received no frames: $line"
		echo "$line" | grep -qE ' tx_frames=[1-9]' ||
			e2e_fail "the $t port sent no frames: $line"
	done
}

# The QEMU 7.2 reconnect story: g1 listens (-netdev stream,server=on) and
# the switch dials it (--connect); g2 (-netdev dgram unix) and g3 (-netdev
# socket,udp=) send datagrams to the switch's unixgram:/udp: listeners. The
# switch is stopped and started again with the same arguments; the guests,
# never restarted, must ping each other again.
scenario_restart() {
	local g1sock=$E2E_WORK/g1net.sock dsock=$E2E_WORK/dg.sock udp p3 g up
	udp=$(free_udp_port)
	p3=$(free_udp_port)
	[ "$udp" != "$p3" ] || p3=$(free_udp_port)
	local args=(--connect "unix:$g1sock" --listen "unixgram:$dsock"
		--listen "udp:127.0.0.1:$udp")
	guest_start g1 1 "stream,id=net0,server=on,addr.type=unix,addr.path=$g1sock" \
		virtio-net-pci sw.ip=10.0.0.1/24 sw.cmd=restart-ping sw.peers=10.0.0.2,10.0.0.3 $LINGER
	wait_socket "$g1sock" g1
	need_switch "${args[@]}"
	up="port [0-9]+ \(connect unix:$g1sock\) up"
	guest_start g2 2 "dgram,id=net0,local.type=unix,local.path=$E2E_WORK/g2net.sock,remote.type=unix,remote.path=$dsock" \
		e1000 sw.ip=10.0.0.2/24 sw.cmd=restart-ping sw.peers=10.0.0.1,10.0.0.3 $LINGER
	guest_start g3 3 "socket,id=net0,udp=127.0.0.1:$udp,localaddr=127.0.0.1:$p3" \
		virtio-net-pci sw.ip=10.0.0.3/24 sw.cmd=restart-ping sw.peers=10.0.0.1,10.0.0.2 $LINGER
	sw_wait_log "$up" "that it dialled g1"
	guests_booted g1 g2 g3
	for g in g1 g2 g3; do
		guest_wait $g "E2E-MARK $g before-restart ok"
	done
	# A guest that lost a ping under load would move on before the switch
	# stops: then the restart would not be tested at all.
	for g in g1 g2 g3; do
		if grep -aqE "E2E-MARK $g outage|E2E-RESULT: [A-Z]+ $g" "${GUEST_LOG[$g]}"; then
			e2e_fail "guest $g saw an outage while the first switch was still up"
		fi
	done
	sw_stats
	sw_port_traffic connect unixgram udp
	sw_stop
	e2e_log "first switch stopped; waiting for every guest to notice"
	mv "$E2E_WORK/switch.log" "$E2E_WORK/switch-first.log"
	mv "$E2E_WORK/switch.out" "$E2E_WORK/switch-first.out"
	for g in g1 g2 g3; do
		guest_wait $g "E2E-MARK $g outage seen"
	done
	e2e_log "starting the switch again with the same arguments"
	need_switch "${args[@]}"
	sw_wait_log "$up" "that it dialled g1 again"
	grep -E "$up" "$E2E_WORK/switch.log" >&2
	guests_result g1 g2 g3
	sw_stats
	sw_port_traffic connect unixgram udp
	sw_stop
	[ ! -e "$dsock" ] || e2e_fail "switch left $dsock behind"
}

# Two guests behind one slirp uplink: each gets its own DHCP lease, fetches
# a file from an HTTP server on the host's loopback through the gateway
# 10.0.2.2, and serves its name on port 8080; the hostfwd rule reaches the
# guest leased 10.0.2.15 from the host.
scenario_slirp() {
	local www=$E2E_WORK/www sha http_pid http_port hostport i g l fwd='' got
	command -v python3 >/dev/null || e2e_skip "python3 not found (the test HTTP server)"
	command -v curl >/dev/null || e2e_skip "curl not found"
	mkdir -p "$www"
	seq 1 40000 >"$www/data.txt"
	sha=$(sha256sum "$www/data.txt" | cut -d' ' -f1)
	python3 -u -m http.server --bind 127.0.0.1 --directory "$www" 0 \
		>"$E2E_WORK/http.out" 2>&1 </dev/null &
	http_pid=$!
	E2E_PIDS+=("$http_pid")
	for i in $(seq 100); do
		http_port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9][0-9]*\) .*/\1/p' \
			"$E2E_WORK/http.out" | head -n 1)
		[ -n "$http_port" ] && break
		kill -0 "$http_pid" 2>/dev/null || e2e_fail "the HTTP server exited at startup"
		sleep 0.1
	done
	[ -n "$http_port" ] || e2e_fail "the HTTP server did not start in 10 s"
	e2e_log "HTTP server pid $http_pid on 127.0.0.1:$http_port"
	hostport=$(free_port t)
	need_switch --uplink "slirp,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:$hostport-:8080"
	guest_start g1 1 "$(netdev_for unix net0)" virtio-net-pci \
		sw.cmd=slirp-dhcp "sw.arg=$http_port:$sha" $LINGER
	guest_start g2 2 "$(netdev_for inet net0)" e1000 \
		sw.cmd=slirp-dhcp "sw.arg=$http_port:$sha" $LINGER
	guests_booted g1 g2
	guests_result g1 g2
	local leases=()
	for g in g1 g2; do
		l=$(tr -d '\r' <"${GUEST_LOG[$g]}" | grep -aoE "E2E-MARK $g lease [0-9.]+" |
			head -n 1 | awk '{ print $4 }')
		e2e_log "guest $g: lease $l"
		leases+=("$l")
		[ "$l" = 10.0.2.15 ] && fwd=$g
	done
	[ "${leases[0]}" != "${leases[1]}" ] || e2e_fail "both guests got the lease ${leases[0]}"
	[ "$(printf '%s\n' "${leases[@]}" | sort | tr '\n' ' ')" = "10.0.2.15 10.0.2.16 " ] ||
		e2e_fail "expected the leases 10.0.2.15 and 10.0.2.16, got ${leases[*]}"
	# hostfwd with an empty guest address goes to the first lease, 10.0.2.15.
	got=$(curl -sS --max-time 30 --retry 3 --retry-all-errors \
		"http://127.0.0.1:$hostport/" 2>&1) ||
		e2e_fail "curl http://127.0.0.1:$hostport/ (hostfwd to 10.0.2.15:8080) failed: $got"
	[ "$got" = "sockswitch-e2e $fwd 10.0.2.15" ] ||
		e2e_fail "hostfwd answer '$got', expected 'sockswitch-e2e $fwd 10.0.2.15'"
	e2e_log "hostfwd 127.0.0.1:$hostport -> 10.0.2.15:8080 answered: $got"
	sw_stats
	sw_port_traffic slirp
	sw_stop
	e2e_stop_pid "$http_pid" || true
	e2e_forget_pid "$http_pid"
}

# Two guests on a QEMU multicast hub and one on the switch, which joins the
# hub as one more member (--uplink mcast:). Everything runs in a network
# namespace of its own (re-entered below), so the hub reaches nobody else.
scenario_mcast() {
	local port hub line echoes tx
	ip link set lo up
	ip route add 224.0.0.0/4 dev lo
	port=$(free_udp_port)
	hub=230.0.0.1:$port
	need_switch --uplink "mcast:$hub,localaddr=127.0.0.1"
	sw_wait_log "port [0-9]+ \(mcast $hub,localaddr=127\.0\.0\.1\) up" \
		"that it joined the hub"
	guest_start g1 1 "socket,id=net0,mcast=$hub,localaddr=127.0.0.1" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.cmd=ping-all sw.peers=10.0.0.2,10.0.0.3 $LINGER
	guest_start g2 2 "socket,id=net0,mcast=$hub,localaddr=127.0.0.1" e1000 \
		sw.ip=10.0.0.2/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.3 $LINGER
	guest_start g3 3 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.3/24 sw.cmd=ping-all sw.peers=10.0.0.1,10.0.0.2 $LINGER
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	sw_stats
	sw_port_traffic mcast
	# The hub echoed the switch's own datagrams back: dropped and counted,
	# never more than it sent (some may still be on their way).
	line=$(grep 'stats port=.* transport=mcast ' "$E2E_WORK/switch.log" | tail -n 1)
	echoes=$(echo "$line" | sed -n 's/.* mcast_echoes=\([0-9]*\).*/\1/p')
	tx=$(echo "$line" | sed -n 's/.* tx_frames=\([0-9]*\).*/\1/p')
	if [ -z "$echoes" ] || [ "$echoes" -eq 0 ] || [ "$echoes" -gt "$tx" ]; then
		e2e_fail "expected 0 < mcast_echoes <= tx_frames: $line"
	fi
	sw_stop
}

# need_ctl: set SW_CTL, the sockswitchctl binary (E2E_SOCKSWITCHCTL, or
# the one built next to the switch); python3 reads its --json output.
need_ctl() {
	SW_CTL=${E2E_SOCKSWITCHCTL:-$(dirname "$switch")/../plug/sockswitchctl}
	[ -x "$SW_CTL" ] || e2e_fail "no sockswitchctl at $SW_CTL (set E2E_SOCKSWITCHCTL)"
	command -v python3 >/dev/null || e2e_skip "python3 not found"
}

# sw_ports PROGRAM ARG: run the python3 PROGRAM on the running switch's
# port table (sockswitchctl --json ports) as `ports`, with ARG as `arg`.
sw_ports() {
	"$SW_CTL" -s "$E2E_WORK/control.sock" --json ports |
		python3 -c "import json, sys
ports = json.load(sys.stdin)
arg = sys.argv[1]
$1" "$2"
}

# port_of NAME: the id of guest NAME's switch port, found by its QEMU's
# pid in the port's peer ("unix pid=N ...", "vhost-user pid=N ..."); empty
# when it has none.
port_of() {
	sw_ports 'print(*[p["id"] for p in ports
             if "pid=%s " % arg in p["peer"] + " "])' "${GUEST_PID[$1]}"
}

# ports_of TRANSPORT: how many ports of TRANSPORT the switch has.
ports_of() {
	sw_ports 'print(sum(p["transport"] == arg for p in ports))' "$1"
}

# wait_port_of NAME: set PORT_ID to port_of NAME, waiting up to 10 s for
# the port to appear.
wait_port_of() {
	local _
	PORT_ID=
	for _ in $(seq 100); do
		PORT_ID=$(port_of "$1")
		[ -n "$PORT_ID" ] && return 0
		sleep 0.1
	done
	e2e_fail "no switch port for guest $1 (QEMU pid ${GUEST_PID[$1]})"
}

# port_vlan NAME MODE...: sockswitchctl vlan on guest NAME's port.
port_vlan() {
	wait_port_of "$1"
	shift
	"$SW_CTL" -s "$E2E_WORK/control.sock" vlan "$PORT_ID" "$@" >&2 ||
		e2e_fail "sockswitchctl vlan $PORT_ID $* failed"
}

scenario_vlan() {
	need_ctl
	need_switch
	guest_start g1 1 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.1/24 sw.cmd=vlan sw.arg=access10 sw.peers=10.0.0.3 $LINGER
	port_vlan g1 access 10
	guest_start g2 2 "$(netdev_for unix net0)" virtio-net-pci \
		sw.ip=10.0.0.2/24 sw.cmd=vlan sw.arg=access20 sw.peers=10.0.1.3 $LINGER
	port_vlan g2 access 20
	guest_start g3 3 "$(netdev_for unix net0)" e1000 \
		sw.cmd=vlan sw.arg=trunk sw.peers=10.0.0.1,10.0.1.2 $LINGER
	port_vlan g3 trunk 10,20
	guests_booted g1 g2 g3
	guests_result g1 g2 g3
	"$SW_CTL" -s "$E2E_WORK/control.sock" ports >&2
	sw_stats
	sw_stop
}

# Two guests on the vhost-user listener (the switch is their virtio-net
# backend) and one on the unix stream listener, at MTU 9000. After the
# pings and g2's bulk transfer to g1, g2 resets its virtio device, which
# stops its queues and starts them again on the same connection: the
# same port, which must carry pings again. Then g2's QEMU is killed: its
# port is removed and g1 and g3 still reach each other.
scenario_vhost() {
	local vsock=$E2E_WORK/vhost.sock g id2 vh _
	need_ctl
	need_switch --listen "vhost-user:$vsock"
	[ -S "$vsock" ] || e2e_fail "switch is ready but $vsock is not a socket"
	guest_start g1 1 "vhost-user:$vsock" virtio-net-pci sw.ip=10.0.0.1/24 \
		sw.mtu=9000 sw.cmd=vhost sw.arg=recv sw.peers=10.0.0.2,10.0.0.3 $LINGER
	guest_start g2 2 "vhost-user:$vsock" virtio-net-pci sw.ip=10.0.0.2/24 \
		sw.mtu=9000 sw.cmd=vhost sw.arg=reset sw.peers=10.0.0.1,10.0.0.3 $LINGER
	guest_start g3 3 "$(netdev_for unix net0)" e1000 sw.ip=10.0.0.3/24 \
		sw.mtu=9000 sw.cmd=vhost sw.arg=watch sw.peers=10.0.0.2,10.0.0.1 $LINGER
	wait_port_of g2
	id2=$PORT_ID
	guests_booted g1 g2 g3
	guests_result g2
	guest_wait g1 'E2E-MARK g1 watching'
	guest_wait g3 'E2E-MARK g3 watching'
	for g in g1 g3; do
		if grep -aq "E2E-MARK $g 10.0.0.2 gone" "${GUEST_LOG[$g]}"; then
			e2e_fail "guest $g lost g2 before it was killed"
		fi
	done
	# The reset kept g2's connection and its port; the switch saw its
	# queues stop, and they run again.
	[ "$(port_of g2)" = "$id2" ] ||
		e2e_fail "g2's port changed across its reset: $id2, now '$(port_of g2)'"
	[ "$(ports_of vhost-user)" = 2 ] ||
		e2e_fail "expected 2 vhost-user ports, the switch has $(ports_of vhost-user)"
	vh=$(sw_ports 'v = [p for p in ports if p["id"] == int(arg)][0]["vhost_user"]
print("ok" if v["running"] and v["queue_stops"] >= 1 else v)' "$id2")
	[ "$vh" = ok ] ||
		e2e_fail "g2's port $id2 after its reset: expected running and queue_stops >= 1: $vh"
	sw_stats
	sw_port_traffic vhost-user unix
	guest_kill g2
	sw_wait_log "port $id2 \(vhost-user pid=${GUEST_PID[g2]} [^)]*\) closed" \
		"that g2's port $id2 closed"
	grep -E "port $id2 \(.*\) closed" "$E2E_WORK/switch.log" >&2
	guests_result g1 g3
	[ -z "$(port_of g2)" ] || e2e_fail "g2's port $id2 is still there"
	[ "$(ports_of vhost-user)" = 1 ] ||
		e2e_fail "expected 1 vhost-user port after the kill, the switch has $(ports_of vhost-user)"
	"$SW_CTL" -s "$E2E_WORK/control.sock" ports >&2
	sw_stats
	# The switch restarts: g1's QEMU (reconnect=1 on its chardev) dials
	# again by itself and negotiates from the start (features, memory,
	# queues); its new port must run.
	sw_stop
	[ ! -e "$vsock" ] || e2e_fail "switch left $vsock behind"
	need_switch --listen "vhost-user:$vsock"
	wait_port_of g1
	for _ in $(seq 100); do
		vh=$(sw_ports 'v = [p for p in ports if p["id"] == int(arg)][0]["vhost_user"]
print("ok" if v["running"] else v)' "$PORT_ID")
		[ "$vh" = ok ] && break
		sleep 0.1
	done
	[ "$vh" = ok ] ||
		e2e_fail "g1 reconnected after the switch restarted, but its port $PORT_ID does not run: $vh"
	e2e_log "g1's QEMU reconnected after the switch restarted: port $PORT_ID running"
	"$SW_CTL" -s "$E2E_WORK/control.sock" ports >&2
	sw_stop
	[ ! -e "$vsock" ] || e2e_fail "switch left $vsock behind"
}

# e2e_mcast runs in a network namespace of its own (lo only): re-run this
# script inside a new one before anything starts.
if [ "$scenario" = mcast ] && [ -z "${E2E_NETNS:-}" ]; then
	command -v unshare >/dev/null || e2e_skip "unshare not found (util-linux)"
	command -v ip >/dev/null || e2e_skip "ip not found (iproute2)"
	for u in "unshare -n" "unshare -rn"; do
		# shellcheck disable=SC2086 # $u is a command and its option
		if $u true 2>/dev/null; then
			E2E_NETNS=1 exec $u bash "$0" "$@"
		fi
	done
	e2e_skip "cannot make a network namespace (unshare -n needs root or user namespaces)"
fi

declare -F "scenario_$scenario" >/dev/null || e2e_fail "unknown scenario $scenario"
e2e_init
t0=$(e2e_now)
"scenario_$scenario"
e2e_log "PASS $scenario in $(e2e_since "$t0") s"
