# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# ping-all.sh - ping every peer in $SW_PEERS (IPv4), each must answer
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
[ -n "$SW_PEERS" ] || fail "no sw.peers"
for p in $SW_PEERS; do
	ping_retry "$p" 150 || fail "no answer from $p"
	mark "ping $p ok"
done
# One ping of 1400 data bytes each way as well: not only small frames.
for p in $SW_PEERS; do
	ping -c 2 -W 3 -s 1400 "$p" >/dev/null || fail "no answer from $p to 1400-byte ping"
done
pass "pinged $SW_PEERS"
