#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_bridge.sh - bridge:BRIDGE uplinks through qemu-bridge-helper.
#
# Everything happens in a network namespace with a test bridge; the
# helper's ACL file /etc/qemu/bridge.conf (a fixed path) is provided on a
# tmpfs mounted over /etc/qemu in a private mount namespace, so the host's
# file is never written (an empty /etc/qemu is created, and removed again,
# only if it did not exist). Checked: as root the helper's tap joins the
# bridge and a namespace behind a second (named) tap pings the bridge's
# address through the switch; as an unprivileged user a root-owned setuid
# copy of the helper works and a plain copy fails with the fix; a bridge
# the ACL does not allow fails with the fix; the daemon keeps running.
# Env: SOCKSWITCH_BIN.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"
need_root_net
HELPER=/usr/lib/qemu/qemu-bridge-helper
[ -x "$HELPER" ] || skip "no $HELPER (Debian package qemu-system-common)"
command -v unshare >/dev/null 2>&1 || skip "no unshare (util-linux)"
command -v busybox >/dev/null 2>&1 || skip "no busybox (for ping)"

id=$(($$ % 100000))
BR=ssbr$id C=ssc$id NSBR=ssupbr$id NSC=ssupc$id

if [ ! -d /etc/qemu ]; then
	mkdir /etc/qemu || skip "cannot create /etc/qemu (mount point)"
	AT_EXIT="rmdir /etc/qemu"
fi
add_netns "$NSBR" "$NSC"
ip -n "$NSBR" link add "$BR" type bridge || fail "cannot create a bridge"
ip -n "$NSBR" addr add 10.80.0.1/24 dev "$BR"
ip -n "$NSBR" link set "$BR" up
ip -n "$NSBR" link set lo up
ip -n "$NSBR" tuntap add dev "$C" mode tap || fail "ip tuntap add"

# Copies of the helper: plain, and setuid root (as an admin would).
cp "$HELPER" "$T/qbh-plain" || fail "cannot copy the helper"
cp "$HELPER" "$T/qbh-suid" || fail "cannot copy the helper"
chown root:root "$T/qbh-suid" || fail "chown"
chmod 4755 "$T/qbh-suid" || fail "chmod"
mkdir "$T/nobody" && chown 65534:65534 "$T/nobody"

# in_acl LOG CMD...: run CMD in $NSBR with `allow $BR' as the helper's ACL.
in_acl() {
	log=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	start_bg "$log" unshare -m sh -c \
		'mount -t tmpfs -o mode=755 sockswitch-test /etc/qemu &&
		 echo "allow $0" >/etc/qemu/bridge.conf &&
		 chmod 644 /etc/qemu/bridge.conf && exec "$@"' \
		"$BR" ip netns exec "$NSBR" "$@"
}

in_acl sw.log "$SOCKSWITCH_BIN" --listen "unix:$T/sw.sock" \
	--uplink "bridge:$BR" --uplink "tap:$C" --uplink "bridge:${BR}x" -v
SW=$BG
wait_log sw.log "(bridge $BR tap "
wait_log sw.log "(tap $C) up"
wait_log sw.log "access denied by acl file"
wait_log sw.log "allow the bridge in /etc/qemu/bridge.conf (\`allow ${BR}x')"
echo "ok: the helper's tap is up; a bridge not in the ACL fails with the fix"
ip -n "$NSBR" link show master "$BR" | grep -q "tap" ||
	fail "the helper's tap is not a port of $BR"
ip -n "$NSBR" link set "$C" netns "$NSC" || fail "cannot move $C"
ip -n "$NSC" addr add 10.80.0.2/24 dev "$C"
ip -n "$NSC" link set "$C" up
ping_ok "$NSC" 10.80.0.1 "no ping from behind the switch to the bridge"
echo "ok: $NSC pings the bridge address through the switch and the helper's tap"
alive "$SW" "the switch"

# Unprivileged: the plain copy cannot make a tap, the setuid one can.
in_acl sw2.log setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SOCKSWITCH_BIN" --listen "unix:$T/nobody/sw.sock" \
	--uplink "bridge:$BR,helper=$T/qbh-plain" \
	--uplink "bridge:$BR,helper=$T/qbh-suid"
SW2=$BG
wait_log sw2.log "make it setuid root (\`chmod u+s $T/qbh-plain')"
wait_log sw2.log "(bridge $BR tap "
grep "(bridge $BR tap .*) up" "$T/sw2.log" | grep -q "port 2 " ||
	fail "the setuid helper's uplink (port 2) should be up"
alive "$SW2" "the unprivileged switch"
stop_pid "$SW2"
echo "ok: unprivileged with a setuid helper works; without setuid, the fix is named"

stop_pid "$SW"
clean_logs
echo "PASS"
