#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_passt.sh - a passt uplink serving one client (root only).
#
# The switch starts passt itself (--uplink passt) and attaches a tap that
# is then moved into a network namespace: the one client. Its kernel stack
# gets passt's DHCP lease (busybox udhcpc) and fetches a file from an HTTP
# server on the host's loopback through the gateway address, which passt
# maps to the host. Then passt is killed: the switch starts a new one and
# the client fetches again. A passt:PATH uplink to a socket nobody serves
# keeps retrying meanwhile.
# Env: SOCKSWITCH_BIN, SSTAPFD_BIN.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"
need_root_net
command -v passt >/dev/null 2>&1 || skip "no passt (Debian package passt)"
command -v busybox >/dev/null 2>&1 || skip "no busybox (udhcpc)"
command -v curl >/dev/null 2>&1 || skip "no curl"
command -v python3 >/dev/null 2>&1 || skip "no python3 (test HTTP server)"
ip route show default | grep -q . ||
	skip "passt needs a default route on the host to pick addresses"

id=$(($$ % 100000))
G=ssg$id NSG=ssupg$id

# The host service: a file served on loopback only.
mkdir "$T/www" && echo "hello through passt $id" >"$T/www/hello.txt"
start_bg http.log python3 -u -m http.server --bind 127.0.0.1 \
	--directory "$T/www" 0
wait_log http.log "Serving HTTP on"
port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$T/http.log" | head -n 1)
[ -n "$port" ] || fail "no port in the HTTP server's output"

add_netns "$NSG"
add_tap "$G"
start_bg sw.log "$SOCKSWITCH_BIN" --listen "unix:$T/sw.sock" \
	--uplink passt --uplink "tap:$G" --uplink "passt:$T/none.sock" -v
SW=$BG
wait_log sw.log "(tap $G) up"
wait_log sw.log "started passt"
wait_log sw.log "(passt $T/none.sock): cannot connect"
in_ns "$NSG" "$G"

cat >"$T/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
# busybox udhcpc event script: configure the lease, write it down.
case "$1" in
bound | renew)
	busybox ifconfig "$interface" "$ip" netmask "$subnet" up
	ip route replace default via "$router" dev "$interface"
	echo "$ip $router" >"$LEASE_FILE"
	;;
esac
exit 0
SCRIPT
chmod 755 "$T/udhcpc.sh"

# lease_and_fetch: DHCP from passt, then GET the file via the gateway.
lease_and_fetch() {
	rm -f "$T/lease"
	LEASE_FILE="$T/lease" ip netns exec "$NSG" busybox udhcpc -i "$G" \
		-n -q -t 10 -T 2 -s "$T/udhcpc.sh" >"$T/udhcpc.log" 2>&1 ||
		fail "no DHCP lease from passt: $(cat "$T/udhcpc.log")"
	read -r addr gw <"$T/lease" || fail "the lease script did not run"
	echo "ok: lease $addr, gateway $gw"
	ip netns exec "$NSG" curl -sS --max-time 20 -o "$T/got.txt" \
		"http://$gw:$port/hello.txt" ||
		fail "cannot fetch http://$gw:$port/ from the namespace"
	cmp -s "$T/got.txt" "$T/www/hello.txt" || fail "wrong content fetched"
	echo "ok: fetched the host's file through passt"
}
lease_and_fetch

# passt dies: the switch starts a new one and the client gets through again.
ppid=$(sed -n 's/.*(passt pid \([0-9]*\)) up.*/\1/p' "$T/sw.log" | head -n 1)
[ -n "$ppid" ] || fail "no passt pid in the log"
n=$(log_lines sw.log)
kill "$ppid" || fail "cannot signal passt"
wait_log sw.log "(passt pid $ppid): " 20 "$n"
wait_log sw.log "started passt" 60 "$n"
ip -n "$NSG" addr flush dev "$G"
lease_and_fetch
echo "ok: passt restarted after it died"

alive "$SW" "the switch"
stop_pid "$SW"
grep -q "stopped passt" "$T/sw.log" || fail "passt not stopped at exit"

# passt:PATH takes passt's only client slot; a second switch is told so.
mkdir "$T/nobody" && chown 65534:65534 "$T/nobody"
start_bg passt.log passt -f -q -s "$T/nobody/passt.sock"
wait_for -S "$T/nobody/passt.sock"
start_bg sw4.log "$SOCKSWITCH_BIN" --listen "unix:$T/sw4.sock" \
	--uplink "passt:$T/nobody/passt.sock"
SW4=$BG
wait_log sw4.log "(passt $T/nobody/passt.sock) up"
start_bg sw5.log "$SOCKSWITCH_BIN" --listen "unix:$T/sw5.sock" \
	--uplink "passt:$T/nobody/passt.sock"
SW5=$BG
wait_log sw5.log "passt serves one client"
alive "$SW5" "the second passt client switch"
stop_pid "$SW5"
stop_pid "$SW4"
echo "ok: passt:PATH attaches; a second client is told passt is taken"
clean_logs
echo "PASS"
