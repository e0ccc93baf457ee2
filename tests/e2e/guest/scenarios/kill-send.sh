# SPDX-License-Identifier: MIT
# kill-send.sh - send an endless stream to the first peer's TCP port 5001
# until the runner kills this guest's QEMU.
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
ping_retry "$peer" 150 >/dev/null || fail "no answer from $peer"
end=$(($(now) + 60))
while :; do
	mark "sending"
	cat /dev/zero | nc "$peer" 5001
	[ "$(now)" -ge "$end" ] && break
	sleep 1
done
fail "the transfer ended before this guest was killed"
