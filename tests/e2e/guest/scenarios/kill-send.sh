# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# kill-send.sh - send an endless stream to the first peer's TCP port 5001
# until the runner kills this guest's QEMU.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
ping_retry "$peer" 150 >/dev/null || fail "no answer from $peer"
end=$(($(now) + 60))
while :; do
	mark "sending"
	nc "$peer" 5001 </dev/zero
	[ "$(now)" -ge "$end" ] && break
	sleep 1
done
fail "the transfer ended before this guest was killed"
