# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# bulk-send.sh - send bulk_data to the first peer's TCP port 5001
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
bulk_data >/tmp/send
ping_retry "$peer" 150 >/dev/null || fail "no answer from $peer"
# A single jumbo ping in each direction when the MTU allows it.
if [ "$SW_MTU" -gt 8000 ]; then
	ping -c 2 -W 3 -s 8000 "$peer" >/dev/null || fail "no answer to 8000-byte ping"
	mark "8000-byte ping ok"
fi
t0=$(now)
nc_send "$peer" 5001 /tmp/send
pass "sent $(wc -c </tmp/send) bytes to $peer in $(($(now) - t0)) s"
