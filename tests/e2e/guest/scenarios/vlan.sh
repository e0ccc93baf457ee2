# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# vlan.sh - VLAN isolation (e2e_vlan): every peer in $SW_PEERS must answer,
# and an address of the same subnet in another VLAN must not. $SW_ARG is
# the guest's role:
#   access10  on an access port of VLAN 10 (10.0.0.1); 10.0.0.2, on VLAN
#             20, must stay silent
#   access20  on an access port of VLAN 20 (10.0.0.2, and 10.0.1.2 for
#             the trunk guest's VLAN 20 side); 10.0.0.1 must stay silent
#   trunk     on a trunk of 10 and 20: the kernel's 802.1Q makes eth0.10
#             (10.0.0.3) and eth0.20 (10.0.1.3); 10.0.0.2 is asked for on
#             VLAN 10, where it is not, and must stay silent
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
[ -n "$SW_PEERS" ] || fail "no sw.peers"

# vlan_if VID ADDR: eth0.VID with ADDR, up (ip, or busybox vconfig)
vlan_if() {
	ip link add link eth0 name "eth0.$1" type vlan id "$1" 2>/dev/null ||
		vconfig add eth0 "$1" || fail "cannot make eth0.$1 (no 802.1Q?)"
	ip addr add "$2" dev "eth0.$1" || fail "cannot give eth0.$1 $2"
	ip link set "eth0.$1" up
}

case $SW_ARG in
access10) silent=10.0.0.2 ;;
access20)
	ip addr add 10.0.1.2/24 dev eth0 || fail "cannot add 10.0.1.2"
	silent=10.0.0.1
	;;
trunk)
	vlan_if 10 10.0.0.3/24
	vlan_if 20 10.0.1.3/24
	mark "eth0.10 and eth0.20 up"
	silent=10.0.0.2
	;;
*) fail "unknown role $SW_ARG" ;;
esac
for p in $SW_PEERS; do
	ping_retry "$p" 150 || fail "no answer from $p"
	mark "ping $p ok"
done
# The peers answer, so the links work: an answer now would have crossed
# VLANs.
if ping -c 3 -W 2 "$silent" >/dev/null 2>&1; then
	fail "$silent answered from another VLAN"
fi
mark "no answer from $silent (another VLAN), as it should be"
pass "pinged $SW_PEERS; $silent unreachable"
