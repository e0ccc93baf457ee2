# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# bulk-recv.sh - receive bulk_data on TCP port 5001 and check its checksum;
# also check that the frames were really jumbo frames when the MTU is large.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
want=$(bulk_data | sha256sum | cut -d' ' -f1)
size=$(bulk_data | wc -c)
mark "listening, expecting $size bytes sha256 $want"
rxb0=$(rx_bytes) rxp0=$(rx_packets)
# busybox nc quits at EOF on its stdin: let a child read the socket.
nc -l -p 5001 -e sh -c 'cat >/tmp/recv' || fail "nc -l failed"
rxb=$(($(rx_bytes) - rxb0)) rxp=$(($(rx_packets) - rxp0))
got=$(sha256sum </tmp/recv | cut -d' ' -f1)
n=$(wc -c </tmp/recv)
avg=$((rxb / (rxp > 0 ? rxp : 1)))
mark "received $n bytes in $rxp frames (average $avg bytes)"
[ "$got" = "$want" ] || fail "checksum mismatch: got $got ($n bytes), want $want ($size bytes)"
# With MTU 9000 most frames carry ~9000 bytes; 3000 proves they exceed 1500.
if [ "$SW_MTU" -gt 3000 ] && [ "$avg" -lt 3000 ]; then
	fail "average frame $avg bytes at MTU $SW_MTU: no jumbo frames"
fi
pass "sha256 $got $n bytes avg-frame $avg"
