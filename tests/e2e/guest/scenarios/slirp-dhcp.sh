# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# slirp-dhcp.sh - the slirp scenario: get a lease with busybox udhcpc from
# the switch's slirp uplink, serve "sockswitch-e2e NAME LEASE" with busybox
# httpd on port 8080 (the host reaches it through hostfwd), and fetch
# /data.txt from the host's HTTP server through the gateway 10.0.2.2.
# $SW_ARG is HTTPPORT:SHA256 of data.txt.
# shellcheck source=tests/e2e/guest/scenarios/lib.sh
. /scenarios/lib.sh
port=${SW_ARG%%:*}
sha=${SW_ARG#*:}
if [ -z "$port" ] || [ -z "$sha" ]; then
	fail "sw.arg must be HTTPPORT:SHA256"
fi

# The image has no udhcpc default script: this one sets the address, the
# default route, and records the lease.
cat >/tmp/udhcpc.sh <<'SCRIPT'
#!/bin/sh
case $1 in
deconfig) ip addr flush dev "$interface" ;;
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface"
		break
	done
	echo "$ip" >/tmp/lease
	;;
esac
SCRIPT
chmod 755 /tmp/udhcpc.sh
udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 40 -T 3 ||
	fail "no DHCP lease from the slirp uplink (udhcpc failed)"
lease=$(cat /tmp/lease 2>/dev/null)
[ -n "$lease" ] || fail "udhcpc succeeded but the script recorded no lease"
mark "lease $lease"
ip route | grep -q '^default via 10\.0\.2\.2 ' ||
	fail "no default route via 10.0.2.2: $(ip route | tr '\n' ';')"

mkdir -p /tmp/www
echo "sockswitch-e2e $SW_NAME $lease" >/tmp/www/index.html
httpd -p 8080 -h /tmp/www || fail "busybox httpd did not start"

# Debian's static busybox wget segfaults (on the host too), so fetch with
# nc: its -e child writes the request and reads the answer until the server
# closes the connection (HTTP/1.0).
fetch() { # URLPATH OUTFILE
	rm -f /tmp/resp "$2"
	nc -w 20 10.0.2.2 "$port" -e sh -c \
		"printf 'GET $1 HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n'; cat >/tmp/resp" ||
		return 1
	head -n 1 /tmp/resp | grep -q '^HTTP/1\.[01] 200 ' || return 1
	awk 'body { print } /^\r?$/ { body = 1 }' /tmp/resp >"$2"
}
ok=
for _ in 1 2 3 4 5; do
	if fetch /data.txt /tmp/data.txt; then
		ok=1
		break
	fi
	sleep 2
done
[ -n "$ok" ] || fail "GET http://10.0.2.2:$port/data.txt failed 5 times: $(head -n 1 /tmp/resp 2>/dev/null)"
got=$(sha256sum /tmp/data.txt | cut -d' ' -f1)
[ "$got" = "$sha" ] ||
	fail "data.txt: sha256 $got, expected $sha ($(wc -c </tmp/data.txt) bytes)"
pass "lease $lease, fetched $(wc -c </tmp/data.txt) bytes from 10.0.2.2:$port (sha256 ok), httpd on :8080"
