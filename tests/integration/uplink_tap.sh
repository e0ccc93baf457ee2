#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_tap.sh - tap uplinks between two network namespaces (root only).
#
# One switch attaches tap A by name and tap B through an inherited
# descriptor (sstapfd), both created in this namespace and then moved into
# namespaces of their own, where two kernel stacks ping each other through
# the switch. Then: tap A is deleted and re-created (the switch re-attaches
# on its own), a missing tap appears late, and the failure modes (EBUSY,
# not your tap, no such tap) are shown with the daemon still running.
# Env: SOCKSWITCH_BIN, SSTAPFD_BIN.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"
need_root_net
command -v busybox >/dev/null 2>&1 || skip "no busybox (for ping)"

id=$(($$ % 100000))
A=ssa$id B=ssb$id M=ssm$id P=ssp$id N=ssn$id
NSA=ssupa$id NSB=ssupb$id

del_at_exit "$B" # made by sstapfd

add_netns "$NSA" "$NSB"
add_tap "$A"

start_bg sw.log "$SSTAPFD_BIN" "$B" 5 "$SOCKSWITCH_BIN" \
	--listen "unix:$T/sw.sock" --uplink "tap:$A" --uplink tap-fd:5 \
	--uplink "tap:$M" -v
SW=$BG
wait_log sw.log "(tap $A) up"
wait_log sw.log "(tap-fd 5 $B) up"
wait_log sw.log "no tap device \`$M'"
echo "ok: tap by name and by descriptor attached; missing tap $M retrying"

in_ns "$NSA" "$A" 10.79.0.1
in_ns "$NSB" "$B" 10.79.0.2
ping_ok "$NSA" 10.79.0.2
ping_ok "$NSB" 10.79.0.1

# A bulk TCP transfer arrives intact (checksum, no timing asserted).
if command -v python3 >/dev/null 2>&1; then
	cat >"$T/bulk.py" <<'PY'
import hashlib, socket, sys
h, n = hashlib.sha256(), 0
if sys.argv[1] == "recv":
    s = socket.socket()
    s.bind((sys.argv[2], 5001))
    s.listen(1)
    open(sys.argv[3], "w").close()
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        h.update(d)
        n += len(d)
else:
    c = socket.create_connection((sys.argv[2], 5001), timeout=60)
    block = bytes(range(256)) * 256
    for i in range(320):
        d = block[i % 256:] + block[:i % 256]
        c.sendall(d)
        h.update(d)
        n += len(d)
    c.close()
print(n, h.hexdigest())
PY
	start_bg bulk-recv.log ip netns exec "$NSB" python3 "$T/bulk.py" recv \
		10.79.0.2 "$T/bulk-ready"
	RECV=$BG
	wait_for -e "$T/bulk-ready"
	ip netns exec "$NSA" python3 "$T/bulk.py" send 10.79.0.2 \
		>"$T/bulk-send.log" 2>&1 || fail "bulk send failed"
	wait "$RECV" || fail "bulk receive failed"
	PIDS=$(echo "$PIDS" | sed "s/ $RECV\b//")
	cmp -s "$T/bulk-send.log" "$T/bulk-recv.log" ||
		fail "bulk data differs: sent $(cat "$T/bulk-send.log"), got $(cat "$T/bulk-recv.log")"
	echo "ok: 20 MiB of TCP through the two taps arrived intact"
fi

# The tap goes away and comes back: the switch re-attaches by itself.
n=$(log_lines sw.log)
ip -n "$NSA" link del "$A" || fail "cannot delete $A"
wait_log sw.log "the tap device went away" 20 "$n"
n=$(log_lines sw.log)
add_tap "$A"
wait_log sw.log "(tap $A) up" 60 "$n"
in_ns "$NSA" "$A" 10.79.0.1
ping_ok "$NSA" 10.79.0.2
echo "ok: a deleted and re-created tap is re-attached"

# The missing tap appears: the retry attaches it.
add_tap "$M"
wait_log sw.log "(tap $M) up" 60
echo "ok: a tap created after the start is attached by the retry"

# EBUSY: a second switch cannot take a tap that is attached.
start_bg sw2.log "$SOCKSWITCH_BIN" --listen "unix:$T/sw2.sock" \
	--uplink "tap:$M"
SW2=$BG
wait_log sw2.log "already attached to another program"
alive "$SW2" "the second switch"
stop_pid "$SW2"
echo "ok: EBUSY names the cause; the daemon keeps running"

# As an unprivileged user: its own tap works, root's tap and a missing
# one fail with the cause and the fix.
mkdir "$T/nobody" && chown 65534:65534 "$T/nobody"
add_tap "$P" user 0
add_tap "$N" user 65534
start_bg sw3.log setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SOCKSWITCH_BIN" --listen "unix:$T/nobody/sw.sock" \
	--uplink "tap:$P" --uplink "tap:$N" --uplink "tap:${M}x"
SW3=$BG
wait_log sw3.log "(tap $N) up"
wait_log sw3.log "not your tap: \`$P' belongs to user 0"
wait_log sw3.log "no tap device \`${M}x'"
wait_log sw3.log "sockswitch-admin tap add ${M}x --user 65534"
wait_log sw3.log "ip tuntap add dev ${M}x mode tap user 65534"
alive "$SW3" "the unprivileged switch"
stop_pid "$SW3"
echo "ok: unprivileged: own tap attached, EPERM and missing tap explained"

alive "$SW" "the switch"
stop_pid "$SW"
grep -q "final port=.*transport=tap" "$T/sw.log" || fail "no final stats"
clean_logs
echo "PASS"
