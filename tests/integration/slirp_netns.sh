#!/bin/bash
# SPDX-License-Identifier: MIT
#
# slirp_netns.sh - the slirp uplink with real kernel stacks: two network
# namespaces, each behind a tap attached to one sockswitch by name, get
# different DHCP leases from libslirp at once, fetch a file from an HTTP
# server on the host's loopback through the gateway address 10.0.2.2, and
# a hostfwd rule from host 127.0.0.1:PORT reaches a server inside the
# namespace that got the first lease.
#
# Usage: slirp_netns.sh SOCKSWITCH_BINARY
# Needs root, ip, /dev/net/tun, busybox and python3; exits 77 (SKIP) with
# a message otherwise. Every process started is recorded by pid and ended
# by that pid from the EXIT trap, with the namespaces and taps
# (uplink_lib.sh).

set -u

SW=${1:?usage: slirp_netns.sh SOCKSWITCH_BINARY}
TAG=ss$$
NS_A=${TAG}a
NS_B=${TAG}b
TAP_A=${TAG}ta
TAP_B=${TAG}tb

# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"

log() { printf 'slirp_netns: %s\n' "$*" >&2; }

need_root_net
command -v busybox >/dev/null || skip "no busybox (Debian package busybox-static)"
command -v python3 >/dev/null || skip "no python3 (for the host's HTTP server)"
ip netns add "${TAG}probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "${TAG}probe"
# wait_re FILE REGEX SECONDS: until a line of FILE matches
wait_re() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A free TCP port on 127.0.0.1 (the kernel picks; closed again at once).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the host's HTTP server, on loopback only ---------------------------
mkdir -p "$T/www" "$T/www_a"
TOKEN_HOST="host-$RANDOM-$RANDOM"
TOKEN_A="guest-a-$RANDOM-$RANDOM"
echo "$TOKEN_HOST" >"$T/www/hello.txt"
echo "$TOKEN_A" >"$T/www_a/a.txt"
# A bulk file: libslirp sends faster than one frame at a time, so this
# goes through the switch's backlog of frames from slirp.
head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/www/bulk.bin"
BULK_SUM=$(cksum <"$T/www/bulk.bin")
cp "$T/www/bulk.bin" "$T/www_a/bulk.bin"
HTTP_PORT=$(free_port)
start_bg http.log python3 -m http.server --bind 127.0.0.1 \
	--directory "$T/www" "$HTTP_PORT"

# --- taps and the switch ---------------------------------------------------
add_tap "$TAP_A"
add_tap "$TAP_B"
FWD_PORT=$(free_port)
start_bg sw.log "$SW" --listen "unix:$T/sw.sock" --uplink "tap:$TAP_A" \
	--uplink "tap:$TAP_B" \
	--uplink "slirp,hostname=slirptest,domainname=lab.example,dnssearch=a.example,hostfwd=tcp:127.0.0.1:$FWD_PORT-:8080"
SW_PID=$BG
wait_re "$T/sw.log" '^ready pid=' 10 || fail "the switch did not start"
wait_re "$T/sw.log" "\\(tap $TAP_B\\) up" 10 || fail "tap uplinks not up"
wait_re "$T/sw.log" '\(slirp 10\.0\.2\.0/24[^)]*\) up' 10 ||
	fail "slirp uplink not up"

# The switch holds the taps' descriptors; their interfaces now move into
# the namespaces, which keeps the attachment.
cat >"$T/udhcpc.sh" <<'EOF'
#!/bin/sh
# udhcpc hook: apply the lease, default route via the router, note the lease
case "$1" in
bound | renew)
	busybox ip addr flush dev "$interface"
	busybox ip addr add "$ip/$mask" dev "$interface"
	busybox ip route add default via "$router" dev "$interface"
	echo "$ip $router $dns ${hostname:--} ${domain:--} ${search:--}" >"$LEASE_FILE"
	;;
esac
exit 0
EOF
chmod +x "$T/udhcpc.sh"

dhcp() { # NS TAP
	LEASE_FILE="$T/lease.$1" ip netns exec "$1" \
		env LEASE_FILE="$T/lease.$1" \
		busybox udhcpc -i "$2" -n -q -t 10 -T 2 -s "$T/udhcpc.sh" \
		>"$T/udhcpc.$1.log" 2>&1 ||
		fail "no DHCP lease in $1: $(cat "$T/udhcpc.$1.log")"
	[ -s "$T/lease.$1" ] || fail "udhcpc in $1 reported no lease"
}

add_netns "$NS_A" "$NS_B"
in_ns "$NS_A" "$TAP_A"
in_ns "$NS_B" "$TAP_B"
dhcp "$NS_A" "$TAP_A"
read -r IP_A ROUTER_A DNS_A HOST_A DOMAIN_A SEARCH_A <"$T/lease.$NS_A"
log "$NS_A leased $IP_A (router $ROUTER_A, dns $DNS_A, hostname $HOST_A, domain $DOMAIN_A, search $SEARCH_A)"
[ "$IP_A" = 10.0.2.15 ] || fail "first lease is $IP_A, expected 10.0.2.15"
[ "$ROUTER_A" = 10.0.2.2 ] || fail "router is $ROUTER_A, expected 10.0.2.2"
[ "$DNS_A" = 10.0.2.3 ] || fail "dns is $DNS_A, expected 10.0.2.3"
[ "$HOST_A" = slirptest ] || fail "hostname is $HOST_A, expected slirptest"
[ "$DOMAIN_A" = lab.example ] || fail "domain is $DOMAIN_A, expected lab.example"
[ "$SEARCH_A" = a.example ] || fail "search is $SEARCH_A, expected a.example"
dhcp "$NS_B" "$TAP_B"
read -r IP_B ROUTER_B _ <"$T/lease.$NS_B"
log "$NS_B leased $IP_B (router $ROUTER_B)"
[ "$IP_B" != "$IP_A" ] || fail "both namespaces got $IP_A"
case "$IP_B" in
10.0.2.1[5-9] | 10.0.2.2[0-9] | 10.0.2.30) ;;
*) fail "second lease $IP_B is outside libslirp's pool 10.0.2.15-30" ;;
esac
# Both leases hold at once: each namespace still has its address.
ip -n "$NS_A" -4 addr show dev "$TAP_A" | grep -q "inet $IP_A/" ||
	fail "$NS_A lost $IP_A"
ip -n "$NS_B" -4 addr show dev "$TAP_B" | grep -q "inet $IP_B/" ||
	fail "$NS_B lost $IP_B"

# --- out through NAT: the host's loopback server at the gateway ----------
for ns in "$NS_A" "$NS_B"; do
	got=$(ip netns exec "$ns" busybox timeout 30 busybox wget -q -O - \
		"http://10.0.2.2:$HTTP_PORT/hello.txt" 2>"$T/wget.$ns.log")
	[ "$got" = "$TOKEN_HOST" ] ||
		fail "$ns fetched \`$got' from 10.0.2.2:$HTTP_PORT, expected \`$TOKEN_HOST' ($(cat "$T/wget.$ns.log"))"
	log "$ns fetched the host's file through 10.0.2.2:$HTTP_PORT"
done

got=$(ip netns exec "$NS_A" busybox timeout 120 busybox wget -q -O - \
	"http://10.0.2.2:$HTTP_PORT/bulk.bin" 2>"$T/wget.bulk.log" | cksum)
[ "$got" = "$BULK_SUM" ] ||
	fail "16 MiB fetched by $NS_A differs: cksum $got, expected $BULK_SUM ($(cat "$T/wget.bulk.log"))"
log "$NS_A fetched 16 MiB intact from the host"

# --- in through hostfwd: host 127.0.0.1:FWD_PORT -> first lease :8080 ----
start_bg httpd.log ip netns exec "$NS_A" busybox httpd -f -p 8080 \
	-h "$T/www_a"
got=
for _ in $(seq 1 50); do
	got=$(busybox timeout 10 busybox wget -q -O - \
		"http://127.0.0.1:$FWD_PORT/a.txt" 2>/dev/null) && break
	sleep 0.2
done
[ "$got" = "$TOKEN_A" ] ||
	fail "host 127.0.0.1:$FWD_PORT gave \`$got', expected \`$TOKEN_A' from $NS_A's server"
log "hostfwd 127.0.0.1:$FWD_PORT reached the server in $NS_A ($IP_A:8080)"
got=$(busybox timeout 120 busybox wget -q -O - \
	"http://127.0.0.1:$FWD_PORT/bulk.bin" 2>"$T/wget.fwd.log" | cksum)
[ "$got" = "$BULK_SUM" ] ||
	fail "16 MiB through hostfwd differs: cksum $got, expected $BULK_SUM ($(cat "$T/wget.fwd.log"))"
log "16 MiB came out of $NS_A intact through hostfwd"

# --- counters: frames really went through the slirp port ----------------
kill -USR1 "$SW_PID"
wait_re "$T/sw.log" 'stats port=[0-9]+ name=slirp .* rx_frames=[1-9]' 10 ||
	fail "no stats line with frames for the slirp port"
grep -E 'stats port=[0-9]+ name=slirp ' "$T/sw.log" | tail -1 >&2

stop_pid "$SW_PID"
clean_logs
log "PASS"
exit 0
