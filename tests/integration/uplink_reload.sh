#!/bin/sh
# SPDX-License-Identifier: MIT
# uplink_reload.sh - reload starts, keeps and stops tap uplinks (root only).
#
# A switch with a config file attaches tap A; a reload (SIGHUP) adds tap B
# and leaves A untouched (attached once, no second "up"); two kernel
# stacks in namespaces ping each other through the taps; a reload that
# drops A closes its port while B keeps forwarding.
# Env: SOCKSWITCH_BIN.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/uplink_lib.sh"
need_root_net
command -v busybox >/dev/null 2>&1 || skip "no busybox (for ping)"

id=$(($$ % 100000))
A=ssra$id B=ssrb$id C=ssrc$id
NSA=ssrla$id NSB=ssrlb$id NSC=ssrlc$id

config() {
	printf '{"listen": ["unix:%s/sw.sock"], "uplinks": [%s]}\n' "$T" "$1" \
		>"$T/sw.json"
}

add_netns "$NSA" "$NSB" "$NSC"
for l in "$A" "$B" "$C"; do
	add_tap "$l"
done

config "\"tap:$A\", \"tap:$C\""
start_bg sw.log "$SOCKSWITCH_BIN" --config "$T/sw.json" --control none -v
SW=$BG
wait_log sw.log "(tap $A) up"
wait_log sw.log "(tap $C) up"
in_ns "$NSA" "$A" 10.78.0.1
in_ns "$NSC" "$C" 10.78.0.3

n=$(log_lines sw.log)
config "\"tap:$A\", \"tap:$C\", \"tap:$B\""
kill -HUP "$SW"
wait_log sw.log "started uplink tap:$B" 20 "$n"
wait_log sw.log "(tap $B) up" 20 "$n"
in_ns "$NSB" "$B" 10.78.0.2
ping_ok "$NSA" 10.78.0.2 "A cannot ping B after the reload"
[ "$(grep -cF "(tap $A) up" "$T/sw.log")" = 1 ] ||
	fail "tap $A was re-attached by the reload"
echo "ok: reload added tap $B; tap $A stayed attached and forwards"

n=$(log_lines sw.log)
config "\"tap:$B\", \"tap:$C\""
kill -HUP "$SW"
wait_log sw.log "stopped uplink tap:$A" 20 "$n"
wait_log sw.log "(tap $A) closed: uplink removed from the config" 20 "$n"
ping_ok "$NSC" 10.78.0.2 "C cannot ping B after A was removed"
if ip netns exec "$NSA" busybox ping -c 1 -w 3 10.78.0.2 >/dev/null 2>&1; then
	fail "A still reaches B after its uplink was removed"
fi
alive "$SW" "the switch"
stop_pid "$SW"
clean_logs
echo "ok: reload removed tap $A; B and C keep forwarding"
