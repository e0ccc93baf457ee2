# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# kill-peer.sh - bystander of the kill scenario: wait for the receiver's
# message on TCP port 5002 (sent after the sender died), then ping it.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
ping_retry "$peer" 150 >/dev/null || fail "no answer from $peer before the kill"
mark "ping $peer ok before the kill"
# busybox nc quits at EOF on its stdin: let a child read the socket.
nc -l -p 5002 -e sh -c 'cat >/tmp/msg'
msg=$(cat /tmp/msg)
[ "$msg" = after-kill ] || fail "unexpected message '$msg' on port 5002"
ping -c 3 -W 3 "$peer" || fail "no answer from $peer after the kill"
pass "still reach $peer after the sender died"
