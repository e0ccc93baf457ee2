# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# bulk-ring.sh - send bulk_data to the first peer in $SW_PEERS while
# receiving it from another guest, at the same time; check the checksum.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
peer=${SW_PEERS%% *}
[ -n "$peer" ] || fail "no sw.peers"
want=$(bulk_data | sha256sum | cut -d' ' -f1)
bulk_data >/tmp/send
# busybox nc quits at EOF on its stdin: let a child read the socket.
nc -l -p 5001 -e sh -c 'cat >/tmp/recv' &
rpid=$!
ping_retry "$peer" 150 >/dev/null || fail "no answer from $peer"
nc_send "$peer" 5001 /tmp/send
mark "sent $(wc -c </tmp/send) bytes to $peer"
wait $rpid || fail "receiving nc failed"
got=$(sha256sum </tmp/recv | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "checksum mismatch: got $got ($(wc -c </tmp/recv) bytes), want $want"
pass "sent to $peer and received $(wc -c </tmp/recv) bytes, sha256 ok"
