# SPDX-License-Identifier: MIT
# shellcheck shell=sh
#
# lib.sh - helpers sourced by the guest scenario scripts

pass() { echo "E2E-RESULT: PASS $SW_NAME${1:+ $1}"; exit 0; }
fail() { echo "E2E-RESULT: FAIL $SW_NAME $*"; exit 1; }
mark() { echo "E2E-MARK $SW_NAME $*"; }

# now: seconds since boot
now() { read -r t _ </proc/uptime; echo "${t%.*}"; }

# ping_retry ADDR SECS [ping options]: ping until one round trip works (the
# peer may still be booting, its port not yet up), for at most SECS seconds;
# then 3 more pings, of which at least one must be answered (busybox ping's
# exit status).
ping_retry() {
	addr=$1 end=$(($(now) + $2))
	shift 2
	until ping -c 1 -W 1 "$@" "$addr" >/dev/null 2>&1; do
		[ "$(now)" -ge "$end" ] && return 1
		sleep 1
	done
	ping -c 3 -W 3 "$@" "$addr"
}

# nc_send ADDR PORT FILE: send FILE to ADDR:PORT over TCP, retrying for up
# to 60 s while the connection is refused (the receiver may not listen
# yet); fail after that.
nc_send() {
	end=$(($(now) + 60))
	until nc "$1" "$2" <"$3"; do
		[ "$(now)" -ge "$end" ] && fail "cannot send to $1:$2"
		sleep 1
	done
}

rx_bytes() { cat /sys/class/net/eth0/statistics/rx_bytes; }
rx_packets() { cat /sys/class/net/eth0/statistics/rx_packets; }

# bulk_data: the deterministic payload of the bulk scenarios (about 5.5 MB)
bulk_data() { seq 1 800000; }
