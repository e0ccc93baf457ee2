#!/bin/sh
# SPDX-License-Identifier: MIT
# check-layers.sh SRCDIR - the daemon's layers call one way only.
#
#   switch/core/       the forwarding core: no daemon header, no I/O
#                      headers of the daemon, no clock, no logging
#   switch/transport/  ports and listeners: never the control layer,
#                      capture, metrics or the reload engine's internals
#                      (registering a reload hook is the public API)
#   switch/            at most 8 .c files loose (process glue only)
#
# Prints every violation as FILE:LINE: text and exits 1 if there is one.
set -eu
cd "$1"
fail=0

# violations PATTERN DIR WHAT: grep -E PATTERN in DIR's C files, code only
# (comment lines starting with " *" or "/*" or "//" are skipped).
violations() {
	pattern=$1 dir=$2 what=$3
	hits=$(grep -nE "$pattern" $(find "$dir" -name '*.[ch]' | sort) |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
	if [ -n "$hits" ]; then
		echo "FAIL: $what:"
		echo "$hits" | sed 's/^/  /'
		fail=1
	fi
}

# The core: only its own headers and libc.
violations '#include "(sockswitchd|control/|transport/|config/|log)' \
	switch/core "the core includes a daemon header"
violations '\b(clock_gettime|time\(|gettimeofday|log_(msg|info|warn|warnx|error|debug)|printf|fprintf|syslog|ev_[a-z_]+)\(' \
	switch/core "the core reads the clock, logs or touches the loop"
violations '\b(read|write|send|recv|sendmsg|recvmsg|sendmmsg|recvmmsg|socket|open|close)\(' \
	switch/core "the core does I/O"

# Transports: nothing upward.
violations '#include "(control/|[a-z_]*control[a-z_]*\.h|capture|metrics|reload)' \
	switch/transport "a transport includes the control layer, capture, metrics or reload"
violations '\b(ctl_[a-z_]+|capture_[a-z_]+|metrics_[a-z_]+|swd_reload|reload_set_builder)\(' \
	switch/transport "a transport calls the control layer, capture, metrics or the reload engine"

n=$(find switch -maxdepth 1 -name '*.c' | wc -l)
if [ "$n" -gt 8 ]; then
	echo "FAIL: $n .c files directly in switch/ (at most 8):"
	find switch -maxdepth 1 -name '*.c' | sort | sed 's/^/  /'
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "layers OK: core and transports call no layer above them; $n .c files in switch/"
