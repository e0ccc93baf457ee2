#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-install.sh - `make install DESTDIR=D PREFIX=/usr' lays out every file
#
# Usage: check-install.sh BUILD_DIR SOURCE_DIR
#
# Installs BUILD_DIR with `cmake --install --prefix /usr' and DESTDIR set
# (what the Makefile's install target runs, as `make -n install' shows
# here), then checks that every expected file is there, the binaries
# (and sbin/sockswitch-admin) executable, the units' ExecStart at /usr/bin
# and no @VARIABLE@ left.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
	exit 2
fi
build=$1
src=$2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0
not_ok() {
	echo "not ok - $*"
	fail=1
}

# The Makefile passes DESTDIR and PREFIX on to cmake --install.
cmd=$(make -n -C "$src" install BUILD="$build" DESTDIR=/stage PREFIX=/usr |
	grep 'cmake --install')
case $cmd in
*"DESTDIR='/stage' cmake --install $build --prefix '/usr'"*)
	echo "ok - make install runs: $cmd" ;;
*) not_ok "make install should run DESTDIR=... cmake --install --prefix, got: $cmd" ;;
esac

if ! DESTDIR="$tmp/stage" cmake --install "$build" --prefix /usr \
	>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	not_ok "cmake --install failed"
	exit 1
fi
d=$tmp/stage/usr
for f in bin/sockswitch bin/sockswitchctl bin/sockswitch-plug \
	sbin/sockswitch-admin; do
	if [ -x "$d/$f" ] && [ -f "$d/$f" ]; then
		echo "ok - $f"
	else
		not_ok "$f is missing or not executable"
	fi
done
for f in share/man/man1/sockswitch.1 share/man/man1/sockswitchctl.1 \
	share/man/man1/sockswitch-plug.1 share/man/man5/sockswitch.json.5 \
	share/man/man8/sockswitch-admin.8 \
	lib/systemd/user/sockswitch.service \
	lib/systemd/user/sockswitch@.service \
	share/bash-completion/completions/sockswitch \
	share/bash-completion/completions/sockswitchctl \
	share/doc/sockswitch/README.md share/doc/sockswitch/install.md \
	share/doc/sockswitch/config.md share/doc/sockswitch/control.md; do
	if [ -s "$d/$f" ]; then
		echo "ok - $f"
	else
		not_ok "$f is missing"
	fi
done
# Every example config, under its own name.
for c in "$src"/configs/*.json; do
	f=share/doc/sockswitch/examples/$(basename "$c")
	if cmp -s "$c" "$d/$f"; then
		echo "ok - $f"
	else
		not_ok "$f is missing or differs from configs/"
	fi
done
for u in sockswitch.service sockswitch@.service; do
	f=$d/lib/systemd/user/$u
	[ -f "$f" ] || continue
	if grep -q '^ExecStart=/usr/bin/sockswitch ' "$f" &&
		! grep -v '^#' "$f" | grep -q '@[A-Z_]*@'; then
		echo "ok - $u: ExecStart=/usr/bin/sockswitch"
	else
		not_ok "$u: ExecStart should be /usr/bin/sockswitch:"
		grep -n 'ExecStart\|@' "$f" | sed 's/^/#   /'
	fi
done
# sockswitch-admin is configured: its version, no @VARIABLE@ left.
f=$d/sbin/sockswitch-admin
if [ -x "$f" ] && ! grep -q '@[A-Z_]*@' "$f" &&
	"$f" --version | grep -q '^sockswitch-admin [0-9]'; then
	echo "ok - sbin/sockswitch-admin --version: $("$f" --version)"
else
	not_ok "sbin/sockswitch-admin is not configured (@VARIABLE@ or no version)"
fi
# Nothing outside the prefix.
extra=$(cd "$tmp/stage" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$extra" ] || not_ok "files outside PREFIX: $extra"
# The completions at least parse.
for f in "$d"/share/bash-completion/completions/*; do
	bash -n "$f" || not_ok "$f: bash syntax error"
done
exit $fail
