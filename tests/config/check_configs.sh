#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_configs.sh - run sockswitch --check-config over the example configs
#
# Usage: check_configs.sh SOCKSWITCH CONFIG_DIR BAD_DIR
#
# Every CONFIG_DIR/*.json (globbed now, so a new example is picked up
# without editing anything) must exit 0 and print "FILE: configuration OK".
# Every BAD_DIR/NAME.json must exit 1 and print "FILE:" followed by the
# text of BAD_DIR/NAME.err (LINE:COL: $.path: message).
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 SOCKSWITCH CONFIG_DIR BAD_DIR" >&2
	exit 2
fi
bin=$1
cfgdir=$2
baddir=$3
pass=0
fail=0
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}

not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	sed 's/^/#   /' "$out"
}

for f in "$cfgdir"/*.json; do
	if [ ! -e "$f" ]; then
		echo "# no *.json in $cfgdir" >"$out"
		not_ok "examples present"
		break
	fi
	if "$bin" --check-config "$f" >"$out" 2>&1 &&
	    grep -qF -- "$f: configuration OK" "$out"; then
		ok "$f passes"
	else
		not_ok "$f passes"
	fi
done

for f in "$baddir"/*.json; do
	[ -e "$f" ] || continue
	expect=${f%.json}.err
	if [ ! -r "$expect" ]; then
		echo "# missing $expect" >"$out"
		not_ok "$f fails"
		continue
	fi
	want="$f:$(cat "$expect")"
	"$bin" --check-config "$f" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$want" "$out"; then
		ok "$f fails as expected"
	else
		echo "# exit $rc, wanted 1 and: $want" >>"$out"
		not_ok "$f fails as expected"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
