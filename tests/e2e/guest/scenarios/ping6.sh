# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# ping6.sh - IPv6 link-local ping of every peer in $SW_PEERS (fe80::...)
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
[ -n "$SW_PEERS" ] || fail "no sw.peers"
# Wait until our link-local address has passed duplicate address detection:
# in /proc/net/if_inet6 the fifth column holds the flags, 0x40 = tentative.
end=$(($(now) + 30))
while :; do
	line=$(grep '^fe80.* eth0$' /proc/net/if_inet6)
	if [ -n "$line" ]; then
		# shellcheck disable=SC2086 # split into the columns
		set -- $line
		[ $((0x$5 & 0x40)) -eq 0 ] && break
	fi
	[ "$(now)" -ge "$end" ] && fail "no link-local address out of DAD: ${line:-none}"
	usleep 200000
done
mark "link-local $(ip -6 addr show dev eth0 scope link | grep -o 'fe80[^ ]*') ready"
for p in $SW_PEERS; do
	ping_retry "$p%eth0" 150 -6 || fail "no answer from $p%eth0"
	mark "ping6 $p ok"
done
pass "pinged $SW_PEERS"
