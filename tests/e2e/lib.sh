# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# lib.sh - host side of the e2e tests: switch, guests, markers, cleanup
#
# Sourced by run-scenario.sh and scripts/demo.sh (bash). Every process it
# starts is recorded by pid and ended from the EXIT trap, never by name.
# Everything lives in one mktemp -d directory ($E2E_WORK), removed at exit
# unless E2E_KEEP=1.
#
# Environment: E2E_QEMU (default qemu-system-x86_64), E2E_ACCEL (default
# kvm when a probe guest boots with it, else tcg), E2E_IMAGE_DIR (where
# build-guest.sh caches the image), E2E_TIMEOUT (seconds the whole scenario
# may take from e2e_init on, default 600), E2E_KEEP=1 (keep the work
# directory), E2E_KEEP_ON_FAIL=1 (keep it only when the scenario fails).

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_QEMU=${E2E_QEMU:-qemu-system-x86_64}
E2E_TIMEOUT=${E2E_TIMEOUT:-600}
E2E_END=
E2E_WORK=
E2E_FAILED=0
SW_PID=
declare -A GUEST_PID GUEST_LOG GUEST_T0
E2E_PIDS=()

e2e_log() { printf 'e2e: %s\n' "$*" >&2; }
e2e_skip() { e2e_log "SKIP: $*"; exit 77; }
e2e_now() { date +%s.%N | cut -c1-14; }
e2e_since() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

# e2e_init: check the prerequisites (exit 77 if one is missing), build or
# reuse the guest image, create the work directory and the EXIT trap.
e2e_init() {
	command -v "$E2E_QEMU" >/dev/null ||
		e2e_skip "$E2E_QEMU not found (Debian package qemu-system-x86)"
	E2E_IMAGE_DIR=${E2E_IMAGE_DIR:-${TMPDIR:-/tmp}/sockswitch-e2e-image}
	local rc=0
	"$E2E_SRC/build-guest.sh" "$E2E_IMAGE_DIR" >&2 || rc=$?
	[ $rc -eq 77 ] && e2e_skip "cannot build the guest image (see above)"
	[ $rc -eq 0 ] || { e2e_log "FAIL: build-guest.sh exited $rc"; exit 1; }
	E2E_KERNEL=$(cat "$E2E_IMAGE_DIR/kernel")
	E2E_INITRD=$E2E_IMAGE_DIR/guest.cpio.gz
	E2E_END=$(($(date +%s) + E2E_TIMEOUT))
	E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/sockswitch-e2e.XXXXXX")
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	[ -n "${E2E_ACCEL:-}" ] || e2e_pick_accel
	e2e_log "work directory $E2E_WORK, accel $E2E_ACCEL, kernel $E2E_KERNEL"
}

# e2e_pick_accel: KVM if a guest really boots with it, else TCG. An openable
# /dev/kvm is not enough: under nested virtualisation KVM guests can hang or
# QEMU can abort. The answer is cached next to the image.
e2e_pick_accel() {
	local cache=$E2E_IMAGE_DIR/accel log=$E2E_WORK/kvm-probe.log pid i
	if [ -f "$cache" ]; then
		E2E_ACCEL=$(cat "$cache")
		return
	fi
	E2E_ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		# Without sw.cmd the guest prints a result at once and powers off.
		"$E2E_QEMU" -machine accel=kvm -m 256 -nodefaults -display none \
			-vga none -no-reboot -serial "file:$log" -kernel "$E2E_KERNEL" \
			-initrd "$E2E_INITRD" -append "console=ttyS0 quiet panic=-1" \
			>/dev/null 2>&1 </dev/null &
		pid=$!
		E2E_PIDS+=("$pid")
		for i in $(seq 150); do
			grep -aq 'E2E-RESULT' "$log" 2>/dev/null && E2E_ACCEL=kvm && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		e2e_forget_pid "$pid"
		[ $E2E_ACCEL = kvm ] || e2e_log "/dev/kvm is there but a KVM guest did not boot in 15 s: using TCG"
	fi
	echo "$E2E_ACCEL" >"$cache"
}

# e2e_stop_pid PID: SIGTERM, then SIGKILL after 5 s; return its exit status.
e2e_stop_pid() {
	local pid=$1 i rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		e2e_log "pid $pid ignored SIGTERM; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}

# e2e_forget_pid PID: PID has been reaped; the EXIT trap must not touch it.
e2e_forget_pid() {
	local p keep=()
	for p in "${E2E_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	E2E_PIDS=("${keep[@]}")
}

e2e_cleanup() {
	local rc=$? i
	trap - EXIT
	[ $rc -ne 0 ] && [ $rc -ne 77 ] && E2E_FAILED=1
	# Newest first: the guests, then the switch (it then logs their leaving).
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		e2e_stop_pid "${E2E_PIDS[i]}" || true
	done
	[ $E2E_FAILED -ne 0 ] && e2e_dump_logs
	if [ -n "$E2E_WORK" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ] || { [ $E2E_FAILED -ne 0 ] && [ -n "${E2E_KEEP_ON_FAIL:-}" ]; }; then
			e2e_log "logs kept in $E2E_WORK"
		else
			rm -rf "$E2E_WORK"
		fi
	fi
	exit $rc
}

e2e_dump_logs() {
	local f
	for f in "$E2E_WORK"/*.log "$E2E_WORK"/*.out; do
		[ -f "$f" ] || continue
		echo "======== ${f##*/} ========"
		tr -d '\r' <"$f" | tail -n 200
	done
}

# e2e_fail MESSAGE: the scenario failed; print why and every log, exit 1.
e2e_fail() {
	e2e_log "FAIL: $*"
	E2E_FAILED=1
	exit 1
}

# sw_start SOCKSWITCH [ARGS...]: start the switch listening on
# $E2E_WORK/sw.sock and an ephemeral port of 127.0.0.1 (ARGS may add
# --listen tcp:[::1]:0), its control socket at $E2E_WORK/control.sock;
# wait for "ready". Sets SW_PID, SW_UNIX (socket path), SW_TCP_PORT and
# SW_TCP6_PORT (empty without an IPv6 listener).
sw_start() {
	local bin=$1 i port
	shift
	[ -x "$bin" ] || e2e_fail "switch binary $bin not found or not executable"
	SW_UNIX=$E2E_WORK/sw.sock
	"$bin" --foreground --listen "unix:$SW_UNIX" --listen tcp:127.0.0.1:0 \
		--control "$E2E_WORK/control.sock" "$@" \
		>"$E2E_WORK/switch.out" 2>"$E2E_WORK/switch.log" </dev/null &
	SW_PID=$!
	E2E_PIDS+=("$SW_PID")
	for i in $(seq 100); do
		grep -q '^ready' "$E2E_WORK/switch.out" && break
		kill -0 "$SW_PID" 2>/dev/null || e2e_fail "switch exited during startup"
		sleep 0.1
	done
	grep -q '^ready' "$E2E_WORK/switch.out" || e2e_fail "switch not ready after 10 s"
	# "listening on URL  qemu: ...": the URL's last :NUMBER is the bound port.
	port=$(sed -n 's/^listening on tcp[^ ]*:\([0-9][0-9]*\)\/\{0,1\}\( .*\)\{0,1\}$/\1/p' \
		"$E2E_WORK/switch.out" | head -n 1)
	if [ -z "$port" ] || [ "$port" = 0 ]; then
		e2e_fail "no TCP port in the switch's output"
	fi
	SW_TCP_PORT=$port
	# An IPv6 listener, when one was asked for: "listening on tcp:[::1]:N".
	SW_TCP6_PORT=$(sed -n 's/^listening on tcp:\[::1\]:\([0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p' \
		"$E2E_WORK/switch.out" | head -n 1)
	[ -S "$SW_UNIX" ] || e2e_fail "switch is ready but $SW_UNIX is not a socket"
	e2e_log "switch pid $SW_PID ready: unix $SW_UNIX, tcp 127.0.0.1:$SW_TCP_PORT"
}

# sw_stats: ask the switch for its port table (SIGUSR1), print it.
sw_stats() {
	local n i
	n=$(grep -c 'stats' "$E2E_WORK/switch.log" || true)
	kill -USR1 "$SW_PID" || e2e_fail "cannot signal the switch"
	for i in $(seq 50); do
		[ "$(grep -c 'stats' "$E2E_WORK/switch.log" || true)" -gt "$n" ] && break
		sleep 0.1
	done
	sleep 0.2
	grep 'stats' "$E2E_WORK/switch.log" | tail -n +$((n + 1)) | grep . >&2 ||
		e2e_fail "the switch logged no stats on SIGUSR1"
}

# sw_stop: SIGTERM the switch; it must exit 0 and remove its socket file.
sw_stop() {
	local rc=0
	e2e_stop_pid "$SW_PID" || rc=$?
	e2e_forget_pid "$SW_PID"
	[ $rc -eq 0 ] || e2e_fail "switch exited with status $rc on SIGTERM"
	[ ! -e "$SW_UNIX" ] || e2e_fail "switch left $SW_UNIX behind"
	SW_PID=
}

# netdev_for TRANSPORT ID: the -netdev argument that joins the switch.
netdev_for() {
	case $1 in
	socket) echo "socket,id=$2,connect=127.0.0.1:$SW_TCP_PORT" ;;
	unix) echo "stream,id=$2,server=off,addr.type=unix,addr.path=$SW_UNIX" ;;
	inet) echo "stream,id=$2,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=$SW_TCP_PORT" ;;
	inet6) echo "stream,id=$2,server=off,addr.type=inet,addr.host=::1,addr.port=$SW_TCP6_PORT" ;;
	*) e2e_fail "unknown transport $1" ;;
	esac
}

# guest_start NAME N NETDEV NIC [KERNEL ARGS...]: boot guest NAME with MAC
# 52:54:00:00:00:0N, the -netdev argument NETDEV (its id must be net0) and
# the NIC model NIC (virtio-net-pci or e1000). Its console goes to
# $E2E_WORK/NAME.log. no_timer_check: under TCG on a busy host the
# kernel's IO-APIC timer check can fail and panic ("IO-APIC + timer
# doesn't work!"), seen once in e2e_restart.
# NETDEV vhost-user:PATH joins the vhost-user backend listening at PATH
# instead: the guest's RAM is then a shared memfd of the same size (the
# backend maps it), and the NIC must be virtio-net-pci, given vectors=0
# (QEMU 7.2 under TCG crashes in its MSI-X vector notifiers when a
# vhost-user netdev starts on a device with MSI-X vectors). The chardev
# has reconnect=1: QEMU dials the socket again, every second, after the
# switch restarts.
guest_start() {
	local name=$1 n=$2 netdev=$3 nic=$4 mem=256 net
	shift 4
	GUEST_LOG[$name]=$E2E_WORK/$name.log
	GUEST_T0[$name]=$(e2e_now)
	net=(-netdev "$netdev" -device "$nic,netdev=net0,mac=52:54:00:00:00:0$n")
	case $netdev in
	vhost-user:*)
		net=(-object "memory-backend-memfd,id=mem0,size=${mem}M,share=on"
			-numa "node,memdev=mem0"
			-chardev "socket,id=vu0,path=${netdev#vhost-user:},reconnect=1"
			-netdev "vhost-user,id=net0,chardev=vu0"
			-device "$nic,netdev=net0,vectors=0,mac=52:54:00:00:00:0$n")
		;;
	esac
	"$E2E_QEMU" -machine "accel=$E2E_ACCEL" -m $mem -smp 1 \
		-nodefaults -display none -vga none -no-reboot \
		-serial "file:${GUEST_LOG[$name]}" \
		-kernel "$E2E_KERNEL" -initrd "$E2E_INITRD" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check sw.name=$name $*" \
		"${net[@]}" >"$E2E_WORK/$name.qemu.out" 2>&1 </dev/null &
	GUEST_PID[$name]=$!
	E2E_PIDS+=("${GUEST_PID[$name]}")
	e2e_log "guest $name pid ${GUEST_PID[$name]}: -netdev $netdev -device $nic ($*)"
}

# guest_kill NAME: SIGKILL the guest's QEMU (a crash, not a shutdown).
guest_kill() {
	local pid=${GUEST_PID[$1]}
	kill -KILL "$pid" || e2e_fail "cannot kill guest $1 (pid $pid)"
	wait "$pid" 2>/dev/null || true
	e2e_forget_pid "$pid"
	e2e_log "guest $1: killed QEMU pid $pid"
}

# guest_wait NAME REGEX: wait until the console of NAME has a line matching
# REGEX (grep -E); fail if the guest's QEMU exits first or the scenario's
# time (E2E_TIMEOUT) runs out.
guest_wait() {
	local name=$1 re=$2
	while ! grep -aqE "$re" "${GUEST_LOG[$name]}" 2>/dev/null; do
		if ! kill -0 "${GUEST_PID[$name]}" 2>/dev/null; then
			grep -aqE "$re" "${GUEST_LOG[$name]}" 2>/dev/null && return 0
			e2e_fail "guest $name exited before printing /$re/"
		fi
		[ "$(date +%s)" -ge "$E2E_END" ] &&
			e2e_fail "guest $name: no /$re/ within E2E_TIMEOUT=$E2E_TIMEOUT s"
		sleep 0.2
	done
}

# guests_result NAME...: wait for every guest's E2E-RESULT line and print
# it; fail as soon as one guest reports FAIL, exits without a result, or the
# scenario's time runs out.
guests_result() {
	local name line left=("$@") rest
	while [ ${#left[@]} -gt 0 ]; do
		rest=()
		for name in "${left[@]}"; do
			# Not anchored at ^: a kernel message may share the line.
			line=$(tr -d '\r' <"${GUEST_LOG[$name]}" 2>/dev/null |
				grep -aoE "E2E-RESULT: (PASS|FAIL) $name( .*)?\$" | head -n 1 || true)
			if [ -n "$line" ]; then
				e2e_log "guest $name: $line (after $(e2e_since "${GUEST_T0[$name]}") s)"
				case $line in
				"E2E-RESULT: PASS "*) ;;
				*) e2e_fail "guest $name: $line" ;;
				esac
			else
				kill -0 "${GUEST_PID[$name]}" 2>/dev/null ||
					e2e_fail "guest $name exited without a result"
				rest+=("$name")
			fi
		done
		left=("${rest[@]}")
		[ ${#left[@]} -eq 0 ] && break
		[ "$(date +%s)" -ge "$E2E_END" ] &&
			e2e_fail "no result from ${left[*]} within E2E_TIMEOUT=$E2E_TIMEOUT s"
		sleep 0.2
	done
}

# guests_booted NAME...: wait until each guest's init has configured eth0;
# print how long each took (wall clock since its QEMU started, and the
# guest kernel's uptime at that point).
guests_booted() {
	local name up left=("$@") rest
	while [ ${#left[@]} -gt 0 ]; do
		rest=()
		for name in "${left[@]}"; do
			if grep -aq 'E2E-BOOTED ' "${GUEST_LOG[$name]}" 2>/dev/null; then
				up=$(grep -aoE 'E2E-BOOTED [^ ]+ uptime=[0-9.]+' "${GUEST_LOG[$name]}" | sed 's/.*uptime=//')
				e2e_log "guest $name booted in $(e2e_since "${GUEST_T0[$name]}") s (guest uptime $up s)"
			else
				kill -0 "${GUEST_PID[$name]}" 2>/dev/null ||
					e2e_fail "guest $name exited before booting"
				rest+=("$name")
			fi
		done
		left=("${rest[@]}")
		[ ${#left[@]} -eq 0 ] && break
		[ "$(date +%s)" -ge "$E2E_END" ] &&
			e2e_fail "guests ${left[*]} not booted within E2E_TIMEOUT=$E2E_TIMEOUT s"
		sleep 0.2
	done
}
