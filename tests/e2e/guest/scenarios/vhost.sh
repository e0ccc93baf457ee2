# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# vhost.sh - the vhost scenario. Every guest first pings every peer in
# $SW_PEERS (with 8000 data bytes too at MTU 9000). The first peer has a part to play; $SW_ARG is this guest's:
#   reset  send bulk_data to the first peer's TCP port 5001, reset the
#          virtio device (unbind and bind virtio_net: the vhost-user
#          backend sees the rings stopped and set up again), ping every
#          peer again, tell each "reset-done" on TCP port 5002; the
#          runner then kills this guest's QEMU
#   recv   receive bulk_data on TCP port 5001 and check its sha256 (and,
#          at a large MTU, that the frames were jumbo), then as watch
#   watch  wait for "reset-done" on TCP port 5002, ping the first peer
#          (the guest that reset), mark "watching", ping it every second
#          until it stops answering (its QEMU killed), then every other
#          peer must still answer
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
[ -n "$SW_PEERS" ] || fail "no sw.peers"
first=${SW_PEERS%% *}
others=${SW_PEERS#"$first"}

for p in $SW_PEERS; do
	ping_retry "$p" 150 >/dev/null || fail "no answer from $p"
	mark "ping $p ok"
done
# An 8000-byte ping of each peer too when the MTU allows: jumbo frames
# both ways between every pair.
if [ "$SW_MTU" -gt 8000 ]; then
	for p in $SW_PEERS; do
		ping -c 2 -W 3 -s 8000 "$p" >/dev/null || fail "no answer from $p to an 8000-byte ping"
	done
	mark "8000-byte pings ok"
fi

# virtio_reset: unbind eth0's virtio device from virtio_net and bind it
# again (the driver resets the device both ways), then configure the new
# eth0 as init did.
virtio_reset() {
	drv=/sys/bus/virtio/drivers/virtio_net
	dev=$(readlink /sys/class/net/eth0/device)
	dev=${dev##*/}
	[ -n "$dev" ] || fail "eth0 has no virtio device"
	echo "$dev" >"$drv/unbind" || fail "cannot unbind $dev from virtio_net"
	[ ! -e /sys/class/net/eth0 ] || fail "eth0 still there after unbinding $dev"
	echo "$dev" >"$drv/bind" || fail "cannot bind $dev to virtio_net again"
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
	[ -e /sys/class/net/eth0 ] || fail "no eth0 after binding $dev again"
	ip link set eth0 mtu "$SW_MTU" || fail "cannot set mtu $SW_MTU after the reset"
	ip addr add "$SW_IP" dev eth0 || fail "cannot add $SW_IP after the reset"
	ip link set eth0 up
	mark "virtio reset: $dev unbound and bound again, eth0 up"
}

send_reset() {
	bulk_data >/tmp/send
	t0=$(now)
	nc_send "$first" 5001 /tmp/send
	mark "sent $(wc -c </tmp/send) bytes to $first in $(($(now) - t0)) s"
	virtio_reset
	for p in $SW_PEERS; do
		ping_retry "$p" 60 >/dev/null || fail "no answer from $p after the reset"
		mark "ping $p ok after the reset"
	done
	echo reset-done >/tmp/done
	for p in $SW_PEERS; do
		nc_send "$p" 5002 /tmp/done
	done
	pass "sent bulk_data, reset the virtio device, pinged $SW_PEERS again"
}

recv() {
	want=$(bulk_data | sha256sum | cut -d' ' -f1)
	rxb0=$(rx_bytes) rxp0=$(rx_packets)
	# busybox nc quits at EOF on its stdin: let a child read the socket.
	nc -l -p 5001 -e sh -c 'cat >/tmp/recv' || fail "nc -l 5001 failed"
	rxb=$(($(rx_bytes) - rxb0)) rxp=$(($(rx_packets) - rxp0))
	avg=$((rxb / (rxp > 0 ? rxp : 1)))
	got=$(sha256sum </tmp/recv | cut -d' ' -f1)
	n=$(wc -c </tmp/recv)
	[ "$got" = "$want" ] || fail "checksum mismatch: got $got ($n bytes), want $want"
	mark "received $n bytes in $rxp frames (average $avg bytes), sha256 ok"
	# At MTU 9000 a frame spans several receive buffers (mergeable).
	if [ "$SW_MTU" -gt 3000 ] && [ "$avg" -lt 3000 ]; then
		fail "average frame $avg bytes at MTU $SW_MTU: no jumbo frames"
	fi
	sha="sha256 ok, average frame $avg bytes, "
}

watch() {
	nc -l -p 5002 -e sh -c 'cat >/tmp/msg' || fail "nc -l 5002 failed"
	[ "$(cat /tmp/msg)" = reset-done ] || fail "unexpected message '$(cat /tmp/msg)' on port 5002"
	ping_retry "$first" 30 >/dev/null || fail "no answer from $first after its reset"
	mark "watching $first"
	# Gone = 3 pings in a row unanswered (a single loss under load is not).
	end=$(($(now) + 300))
	miss=0
	while [ $miss -lt 3 ]; do
		if ping -c 1 -W 2 "$first" >/dev/null 2>&1; then
			miss=0
			sleep 1
		else
			miss=$((miss + 1))
		fi
		[ "$(now)" -ge "$end" ] && fail "$first kept answering for 300 s: never killed"
	done
	mark "$first gone"
	for p in $others; do
		ping_retry "$p" 30 || fail "no answer from $p after $first went away"
		mark "ping $p ok after $first went away"
	done
	pass "${sha}$first reset and gone, still reach${others:- nobody else}"
}

sha=
case $SW_ARG in
reset) send_reset ;;
recv)
	recv
	watch
	;;
watch) watch ;;
*) fail "unknown role $SW_ARG" ;;
esac
