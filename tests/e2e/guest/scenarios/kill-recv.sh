# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# kill-recv.sh - receive an endless stream on TCP port 5001; once it stops
# (the runner kills the sender's QEMU), check that the first peer in
# $SW_PEERS still answers, then tell that peer (TCP port 5002) to check us.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
# busybox nc quits at EOF on its stdin: let a child read the socket.
nc -l -p 5001 -e sh -c 'cat >/dev/null' &
base=$(rx_bytes)
end=$(($(now) + 240))
until [ $(($(rx_bytes) - base)) -gt 2000000 ]; do
	[ "$(now)" -ge "$end" ] && fail "the transfer did not start"
	sleep 1
done
mark "transfer-running"
# Stalled = under 100 kB received in 4 s.
end=$(($(now) + 120))
last=$(rx_bytes)
while :; do
	sleep 4
	cur=$(rx_bytes)
	[ $((cur - last)) -lt 100000 ] && break
	last=$cur
	[ "$(now)" -ge "$end" ] && fail "the transfer never stopped (sender not killed?)"
done
mark "transfer-stalled"
ping_retry "$peer" 30 >/dev/null || fail "no answer from $peer after the sender died"
mark "ping $peer ok after the kill"
end=$(($(now) + 30))
until echo after-kill | nc "$peer" 5002; do
	[ "$(now)" -ge "$end" ] && fail "cannot reach $peer:5002 after the sender died"
	sleep 1
done
pass "still reach $peer after the sender died"
