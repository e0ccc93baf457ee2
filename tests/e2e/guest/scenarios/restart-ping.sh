# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# restart-ping.sh - the restart scenario: ping every peer in $SW_PEERS, mark
# "before-restart ok", keep pinging in rounds until a peer stops answering
# (the runner has stopped the switch), mark "outage", then every peer must
# answer again (the runner has started the switch again; this guest's QEMU
# was never restarted).
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
[ -n "$SW_PEERS" ] || fail "no sw.peers"
for p in $SW_PEERS; do
	ping_retry "$p" 150 >/dev/null || fail "no answer from $p before the restart"
done
mark "before-restart ok"
end=$(($(now) + 300))
silent=
while [ -z "$silent" ]; do
	for p in $SW_PEERS; do
		ping -c 1 -W 2 "$p" >/dev/null 2>&1 || { silent=$p; break; }
	done
	[ -n "$silent" ] && break
	[ "$(now)" -ge "$end" ] && fail "peers kept answering for 300 s: the switch never went away"
	sleep 1
done
mark "outage seen ($silent silent)"
for p in $SW_PEERS; do
	ping_retry "$p" 150 || fail "no answer from $p after the switch restart"
	mark "ping $p ok after the restart"
done
pass "pinged $SW_PEERS before and after the switch restart"
