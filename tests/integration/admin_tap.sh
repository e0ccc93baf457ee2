#!/bin/sh
# SPDX-License-Identifier: MIT
# admin_tap.sh - sockswitch-admin in a network namespace of its own (root).
#
# Every sockswitch-admin runs in the test's namespace (ip netns exec), with
# a temporary --state-dir and --config, so the taps, addresses and nft
# table it makes never touch the host. Checks: bad names, users and
# addresses are refused with the reason; --dry-run prints the commands and
# makes nothing; `tap add --user nobody --address --nat' makes a tap owned
# by 65534, the address and the table, and a second run converges; a
# sockswitch run as nobody attaches the tap (carrier) and the namespace's
# kernel answers a switch client's ARP for the host address; taps made
# with plain `ip tuntap add' (or re-created under a recorded name) are
# refused by `tap del' and `tap add'; a bridged tap takes the bridge's MTU
# and a high MAC; the sudo policy file; --forward; `tap del' removes the
# tap, its record and the table.
# Env: SOCKSWITCH_BIN, SOCKSWITCH_ADMIN (the configured script).
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"
need_root_net
command -v nft >/dev/null 2>&1 || skip "no nft (Debian package nftables)"
command -v setpriv >/dev/null 2>&1 || skip "no setpriv (util-linux)"
command -v python3 >/dev/null 2>&1 || skip "no python3 (the ARP client)"
[ -x "${SOCKSWITCH_ADMIN:-}" ] || fail "SOCKSWITCH_ADMIN is not an executable"
getent passwd 65534 >/dev/null || skip "no user 65534 (nobody)"
here=$(cd "$(dirname "$0")" && pwd)

id=$(($$ % 100000))
NS=ssadm$id
TAP=sat$id FOR=saf$id RE=sar$id BR=sab$id BT=sabt$id RT=sart$id
P1=sap$id P2=saq$id FW=saw$id
NET=10.$((id % 200 + 20)).$((id / 200 % 250))
NET2=10.$((id % 200 + 20)).$((id / 200 % 250 + 1))
STATE=$T/state
CONF=$T/admin.conf
add_netns "$NS"
ip netns exec "$NS" nft list tables >/dev/null 2>&1 ||
	skip "nft does not work in a network namespace here"

# admin ARG...: sockswitch-admin in the namespace; output in $T/out.log.
admin() {
	ip netns exec "$NS" "$SOCKSWITCH_ADMIN" --state-dir "$STATE" \
		--config "$CONF" "$@" >"$T/out.log" 2>&1
}

# admin_ok ARG...: it succeeds.
admin_ok() {
	admin "$@" || fail "sockswitch-admin $*: status $?: $(cat "$T/out.log")"
}

# admin_fails STATUS TEXT ARG...: it exits STATUS and says TEXT.
admin_fails() {
	want=$1 text=$2
	shift 2
	admin "$@"
	st=$?
	[ "$st" = "$want" ] ||
		fail "sockswitch-admin $*: status $st, not $want: $(cat "$T/out.log")"
	grep -qF -- "$text" "$T/out.log" ||
		fail "sockswitch-admin $*: no \`$text' in: $(cat "$T/out.log")"
	echo "ok: $* -> $(head -n 1 "$T/out.log")"
}

# link_exists DEV / table_exists: in the namespace.
link_exists() {
	ip -n "$NS" link show dev "$1" >/dev/null 2>&1
}
table_exists() {
	ip netns exec "$NS" nft list table ip sockswitch-admin >/dev/null 2>&1
}
in_ns_cat() {
	ip netns exec "$NS" cat "$1"
}

# ---- bad input
admin_fails 2 "16 characters, at most 15" tap add 0123456789abcdef --user nobody
admin_fails 2 "'/' is not allowed" tap add a/b --user nobody
admin_fails 2 "whitespace is not allowed" tap add "a b" --user nobody
admin_fails 2 "':' is not allowed" tap add a:b --user nobody
admin_fails 2 "\`*' is not allowed" tap del "tap*"
admin_fails 2 "empty name" tap add "" --user nobody
admin_fails 2 "unknown user" tap add "$TAP" --user no-such-user-$id
admin_fails 2 "unknown group" tap add "$TAP" --user nobody --group no-such-group-$id
admin_fails 2 "--user USER is required" tap add "$TAP"
admin_fails 2 "the prefix must be 8 to 30" tap add "$TAP" --user nobody --address 10.1.2.3/32
admin_fails 2 "is not an IPv4 address" tap add "$TAP" --user nobody --address 10.1.300.1/24
admin_fails 2 "that is the network address" tap add "$TAP" --user nobody --address "$NET.0/24"
admin_fails 2 "--nat needs --address" tap add "$TAP" --user nobody --nat
admin_fails 2 "--bridge \`ev/il': '/' is not allowed" tap add "$TAP" --user nobody --bridge ev/il
admin_fails 2 "tap del takes none of: --user" tap del "$TAP" --user nobody
admin_fails 2 "unknown option" tap add "$TAP" --user nobody --no-such-option
link_exists "$TAP" && fail "a refused add made $TAP"

# ---- --dry-run, before and after the command: commands, nothing made
for where in before after; do
	if [ $where = before ]; then
		admin_ok --dry-run tap add "$TAP" --user nobody --address "$NET.1/24" --nat
	else
		admin_ok tap add "$TAP" --user nobody --address "$NET.1/24" --nat --dry-run
	fi
	for line in "ip tuntap add dev $TAP mode tap user 65534" \
		"ip addr replace $NET.1/24 dev $TAP" "ip link set dev $TAP up" \
		"nft -f - <<'EOF'" "add table ip sockswitch-admin" \
		"ip saddr $NET.0/24 oifname != \"$TAP\" masquerade"; do
		grep -qF -- "$line" "$T/out.log" ||
			fail "--dry-run ($where) does not print \`$line': $(cat "$T/out.log")"
	done
	link_exists "$TAP" && fail "--dry-run ($where) made $TAP"
	table_exists && fail "--dry-run ($where) made the nft table"
	[ ! -e "$STATE/taps/$TAP" ] || fail "--dry-run ($where) wrote a record"
done
echo "ok: --dry-run (before and after the command) prints the commands, makes nothing"

# ---- add: owner 65534, address, NAT table; twice converges
admin_ok tap add "$TAP" --user nobody --address "$NET.1/24" --nat
grep -qF "nobody can now run: sockswitch --uplink tap:$TAP" "$T/out.log" ||
	fail "add does not tell the user's command: $(cat "$T/out.log")"
[ "$(in_ns_cat "/sys/class/net/$TAP/owner")" = 65534 ] ||
	fail "$TAP owner is $(in_ns_cat "/sys/class/net/$TAP/owner"), not 65534"
ip -n "$NS" -4 addr show dev "$TAP" | grep -q "inet $NET.1/24 " ||
	fail "$TAP has no $NET.1/24: $(ip -n "$NS" addr show dev "$TAP")"
table_exists || fail "no nft table ip sockswitch-admin after add --nat"
ip netns exec "$NS" nft list table ip sockswitch-admin >"$T/nft1" 2>&1
grep -q "ip saddr $NET.0/24 oifname != \"$TAP\" masquerade" "$T/nft1" ||
	fail "no masquerade rule for $NET.0/24: $(cat "$T/nft1")"
ip -n "$NS" addr show dev "$TAP" >"$T/addr1"
echo "ok: tap $TAP owned by 65534, host address $NET.1/24, NAT table"

admin_ok tap add "$TAP" --user nobody --address "$NET.1/24" --nat
grep -qF "already there, converged" "$T/out.log" ||
	fail "second add: $(cat "$T/out.log")"
ip netns exec "$NS" nft list table ip sockswitch-admin >"$T/nft2" 2>&1
ip -n "$NS" addr show dev "$TAP" >"$T/addr2"
cmp -s "$T/nft1" "$T/nft2" || fail "second add changed the rules: $(cat "$T/nft2")"
cmp -s "$T/addr1" "$T/addr2" || fail "second add changed the addresses: $(cat "$T/addr2")"
[ "$(ip -n "$NS" -4 addr show dev "$TAP" | grep -c inet)" = 1 ] ||
	fail "more than one address on $TAP"
[ "$(grep -c masquerade "$T/nft2")" = 1 ] || fail "more than one masquerade rule"
echo "ok: add twice converges (same address, same rules)"
admin_fails 1 "exists with user \`nobody (65534)', not \`root (0)'" \
	tap add "$TAP" --user root --address "$NET.1/24" --nat
admin_fails 1 "overlaps $NET.1/24 on $TAP" tap add "$P1" --user nobody --address "$NET.9/24"

admin_ok tap list
grep -q "^$TAP  *nobody(65534)  *$NET.1/24  *yes  *-  *idle$" "$T/out.log" ||
	fail "tap list: $(cat "$T/out.log")"
echo "ok: tap list shows $TAP idle"

# ---- sockswitch as nobody attaches it; the kernel answers ARP
mkdir "$T/nobody" && chown 65534:65534 "$T/nobody"
start_bg sw.log ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 \
	--clear-groups "$SOCKSWITCH_BIN" --listen "unix:$T/nobody/sw.sock" \
	--uplink "tap:$TAP" -v
SW=$BG
wait_log sw.log "(tap $TAP) up"
wait_for -S "$T/nobody/sw.sock"
ip -n "$NS" link show dev "$TAP" | grep -q LOWER_UP ||
	fail "no carrier on $TAP: $(ip -n "$NS" link show dev "$TAP")"
[ "$(in_ns_cat "/sys/class/net/$TAP/carrier")" = 1 ] || fail "carrier is not 1"
admin_ok tap list
grep -q "^$TAP .* in-use$" "$T/out.log" || fail "tap list: $(cat "$T/out.log")"
echo "ok: sockswitch as nobody attached $TAP (carrier, tap list in-use)"

cat >"$T/arp.py" <<'PY'
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from sstest import Client
path, target, me = sys.argv[2:5]
mac = bytes.fromhex("525400ad0001")
c = Client(path, mac)
req = (b"\xff" * 6 + mac + b"\x08\x06"
       + struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + mac
       + socket.inet_aton(me) + b"\0" * 6 + socket.inet_aton(target))
req += b"\0" * (60 - len(req))
for _ in range(10):
    c.send_raw(req)
    for _, f in c.recv_all(0.5, 3.0):
        if (f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02"
                and f[28:32] == socket.inet_aton(target)
                and f[38:42] == socket.inet_aton(me)):
            print(f[22:28].hex(":"))
            sys.exit(0)
sys.exit(1)
PY
got=$(python3 "$T/arp.py" "$here" "$T/nobody/sw.sock" "$NET.1" "$NET.2") ||
	fail "no ARP reply for $NET.1 through the switch"
want=$(ip -n "$NS" -o link show dev "$TAP" | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
[ "$got" = "$want" ] || fail "ARP reply says $NET.1 is at $got, the tap is $want"
echo "ok: the namespace's kernel answers ARP for $NET.1 ($got) to a switch client"

# ---- only what it made
ip -n "$NS" tuntap add dev "$FOR" mode tap || fail "ip tuntap add $FOR"
admin_fails 1 "\`$FOR' was not made by sockswitch-admin" tap del "$FOR"
admin_fails 1 "\`$FOR' was not made by sockswitch-admin" tap add "$FOR" --user nobody
link_exists "$FOR" || fail "$FOR was deleted"
[ "$(in_ns_cat "/sys/class/net/$FOR/owner")" = -1 ] || fail "$FOR owner changed"
admin_fails 1 "\`lo' was not made by sockswitch-admin" tap del lo
admin_ok tap add "$RE" --user nobody
ip -n "$NS" link del "$RE" || fail "ip link del $RE"
ip -n "$NS" tuntap add dev "$RE" mode tap || fail "ip tuntap add $RE"
admin_fails 1 "deleted and re-created by someone else" tap del "$RE"
admin_fails 1 "deleted and re-created by someone else" tap add "$RE" --user nobody
link_exists "$RE" || fail "the re-created $RE was deleted"
echo "ok: taps made by others, under a new or a recorded name, are refused"

# ---- a bridged tap: the bridge's MTU, a MAC that stays above the others
ip -n "$NS" link add "$BR" type bridge || fail "ip link add $BR"
ip -n "$NS" link set "$BR" mtu 1400
admin_fails 2 "--address and --bridge exclude each other" \
	tap add "$BT" --user nobody --bridge "$BR" --address "$NET2.1/24"
admin_fails 1 "no such bridge" tap add "$BT" --user nobody --bridge "${BR}x"
admin_fails 1 "$FOR: not a bridge" tap add "$BT" --user nobody --bridge "$FOR"
admin_ok tap add "$BT" --user nobody --bridge "$BR"
info=$(ip -n "$NS" -o link show dev "$BT")
case $info in
*" mtu 1400 "*" master $BR "*"link/ether fe:"*) ;;
*) fail "bridged tap: $info" ;;
esac
admin_ok tap add "$BT" --user nobody --bridge "$BR"
[ "$(ip -n "$NS" -o link show dev "$BT")" = "$info" ] ||
	fail "second bridged add changed $BT: $(ip -n "$NS" -o link show dev "$BT")"
echo "ok: bridged tap: master $BR, mtu 1400, MAC fe:..., converges"

# ---- the policy under sudo (SUDO_USER), from a root-owned file only
sudo_admin() {
	ip netns exec "$NS" env SUDO_USER=nobody "$SOCKSWITCH_ADMIN" \
		--state-dir "$STATE" --config "$CONF" "$@" >"$T/out.log" 2>&1
}
admin_ok tap add "$RT" --user root
sudo_admin tap add "$P1"
grep -qF "no policy file" "$T/out.log" || fail "sudo without policy: $(cat "$T/out.log")"
printf '%s\n' "# who tap bridge count" "nobody tap - 1" "@nogroup tap $BR 1" >"$CONF"
chown 65534 "$CONF"
sudo_admin tap add "$P1"
grep -qF "is owned by uid 65534, not root" "$T/out.log" ||
	fail "a policy file nobody owns was read: $(cat "$T/out.log")"
chown 0 "$CONF"
chmod 666 "$CONF"
sudo_admin tap add "$P1"
grep -qF "is writable by others" "$T/out.log" ||
	fail "a world-writable policy file was read: $(cat "$T/out.log")"
chmod 644 "$CONF"
sudo_admin tap add "$P1" || fail "sudo add $P1: $(cat "$T/out.log")"
[ "$(in_ns_cat "/sys/class/net/$P1/owner")" = 65534 ] || fail "$P1 is not nobody's"
sudo_admin tap add "$P2"
grep -qF "has made 1 tap(s) on no bridge through sudo, the most" "$T/out.log" ||
	fail "second sudo tap: $(cat "$T/out.log")"
sudo_admin tap add "$P2" --bridge "$BR" || fail "sudo add on $BR (@nogroup): $(cat "$T/out.log")"
sudo_admin --state-dir "$T/fresh" tap add "$P2"
grep -qF "under sudo only an existing one is used" "$T/out.log" ||
	fail "sudo with a fresh state directory: $(cat "$T/out.log")"
[ ! -e "$T/fresh" ] || fail "sudo made a state directory"
sudo_admin tap add "$P2" --user root
grep -qF "may only make taps for themselves" "$T/out.log" ||
	fail "sudo tap for root: $(cat "$T/out.log")"
sudo_admin tap add "$P2" --address "$NET2.1/24"
grep -qF "may not use --address through sudo" "$T/out.log" ||
	fail "sudo --address: $(cat "$T/out.log")"
sudo_admin tap del "$RT"
grep -qF "was made by root, not by nobody" "$T/out.log" ||
	fail "sudo del of root's tap: $(cat "$T/out.log")"
link_exists "$RT" || fail "a refused sudo del deleted $RT"
for t in "$P1" "$P2"; do
	sudo_admin tap del "$t" || fail "sudo del of own tap $t: $(cat "$T/out.log")"
	link_exists "$t" && fail "$t is still there"
done
echo "ok: sudo policy: counts, own taps only, no addresses, root-owned file only"

# ---- --forward: asked for and reported
admin_ok tap add "$FW" --user nobody --address "$NET2.1/24" --nat --out "$BR" --forward
grep -qF "net.ipv4.ip_forward 0 -> 1" "$T/out.log" || fail "--forward: $(cat "$T/out.log")"
[ "$(in_ns_cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward is not 1"
admin_ok tap del "$FW"
grep -qF "ip_forward stays 1" "$T/out.log" || fail "del --forward: $(cat "$T/out.log")"
table_exists || fail "deleting $FW took the table of $TAP with it"
echo "ok: --forward sets ip_forward and says so; del leaves the other tap's rules"

# ---- del: the tap (in use: the switch sees it go), its record, the table
admin_ok tap del "$TAP"
grep -qF "in use by a program" "$T/out.log" || fail "del in use: $(cat "$T/out.log")"
link_exists "$TAP" && fail "$TAP is still there after tap del"
table_exists && fail "the nft table is still there after the last NAT tap went"
[ ! -e "$STATE/taps/$TAP" ] || fail "the record of $TAP is still there"
wait_log sw.log "the tap device went away"
alive "$SW" "the switch"
stop_pid "$SW"
echo "ok: tap del removed $TAP, its record and the nft table"

for t in "$BT" "$RT" "$RE"; do
	rm -f "$STATE/taps/$RE" # forgotten after checking, as the error says
	admin tap del "$t"
done
link_exists "$RE" || fail "$RE (not ours) was deleted"
admin_ok tap list
grep -qF "no taps made by sockswitch-admin" "$T/out.log" ||
	fail "taps left: $(cat "$T/out.log")"
clean_logs
echo "PASS"
