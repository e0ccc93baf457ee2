#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-deb.sh - dpkg-buildpackage builds a .deb with every installed file
#
# Usage: check-deb.sh SOURCE_DIR
#
# Copies the tree (git's tracked and untracked files, without build
# directories) into a temporary directory and runs
# `dpkg-buildpackage -us -uc -b' there, so the .deb it writes to the
# parent directory stays in the temporary one. Checks that the changelog
# version is the project's, that `dpkg-deb -c' lists the binaries, man
# pages, units, completion and docs, that Depends came from shlibs, and
# that lintian (when installed) reports no error or warning. Exit 77
# (skip) without dpkg-buildpackage/debhelper or with build deps missing.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 SOURCE_DIR" >&2
	exit 2
fi
src=$1
for tool in dpkg-buildpackage dh fakeroot; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian packages dpkg-dev, debhelper, fakeroot)"
		exit 77
	fi
done
if ! out=$(cd "$src" && dpkg-checkbuilddeps 2>&1); then
	echo "SKIP: $out"
	exit 77
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sockswitch"
if [ -d "$src/.git" ] || [ -f "$src/.git" ]; then
	(cd "$src" && git ls-files -z -co --exclude-standard) |
		(cd "$src" && tar --null --ignore-failed-read -T - -cf -) |
		tar -C "$tmp/sockswitch" -xf -
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$tmp/sockswitch" -xf -
fi
fail=0
not_ok() {
	echo "not ok - $*"
	fail=1
}

# debian/changelog's version is project(VERSION) of CMakeLists.txt.
want=$(sed -n 's/^project(sockswitch VERSION \([0-9.]*\).*/\1/p' \
	"$tmp/sockswitch/CMakeLists.txt")
got=$(cd "$tmp/sockswitch" && dpkg-parsechangelog -S Version)
if [ -n "$want" ] && [ "${got%%-*}" = "$want" ]; then
	echo "ok - debian/changelog version $got is the project's $want"
else
	not_ok "debian/changelog version $got, CMakeLists.txt project() $want"
fi

if ! (cd "$tmp/sockswitch" && dpkg-buildpackage -us -uc -b) \
	>"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log" | sed 's/^/#   /'
	echo "not ok - dpkg-buildpackage -us -uc -b failed"
	exit 1
fi
echo "ok - dpkg-buildpackage -us -uc -b"
deb=""
for f in "$tmp"/sockswitch_*.deb; do
	[ -e "$f" ] && deb=$f
done
if [ -z "$deb" ]; then
	echo "not ok - no sockswitch_*.deb in the build's parent directory"
	exit 1
fi
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/contents"
for f in usr/bin/sockswitch usr/bin/sockswitchctl usr/bin/sockswitch-plug \
	usr/share/man/man1/sockswitch.1.gz usr/share/man/man1/sockswitchctl.1.gz \
	usr/share/man/man1/sockswitch-plug.1.gz \
	usr/share/man/man5/sockswitch.json.5.gz \
	usr/sbin/sockswitch-admin usr/share/man/man8/sockswitch-admin.8.gz \
	usr/lib/systemd/user/sockswitch.service \
	usr/lib/systemd/user/sockswitch@.service \
	usr/share/bash-completion/completions/sockswitch \
	usr/share/bash-completion/completions/sockswitchctl \
	usr/share/doc/sockswitch/copyright \
	usr/share/doc/sockswitch/examples/two-guest-lab.json; do
	if grep -qx "\./$f" "$tmp/contents"; then
		echo "ok - $(basename "$deb") has /$f"
	else
		not_ok "$(basename "$deb") lacks /$f"
	fi
done
dep=$(dpkg-deb -f "$deb" Depends)
case $dep in
*libev4*libjansson4*) echo "ok - Depends: $dep" ;;
*) not_ok "Depends lacks libev4 and libjansson4 (shlibs): $dep" ;;
esac
# dh_installsystemduser --no-enable: postinst re-enables a unit only for
# a user who had it enabled (debian-installed), never on a new install.
dpkg-deb -I "$deb" postinst >"$tmp/postinst" 2>/dev/null
if grep -q 'user enable' "$tmp/postinst" &&
	! grep -q 'user debian-installed' "$tmp/postinst"; then
	not_ok "postinst enables the user units for every user"
else
	echo "ok - postinst enables no unit on a new install"
fi

if command -v lintian >/dev/null 2>&1; then
	# lintian warns when it runs as root; tags are lines "X: package...".
	lintian --pedantic "$tmp"/sockswitch_*.changes >"$tmp/lintian" 2>&1
	sed 's/^/#   /' "$tmp/lintian"
	if grep -q '^[EW]: ' "$tmp/lintian"; then
		not_ok "lintian reports errors or warnings"
	else
		echo "ok - lintian: no error or warning"
	fi
else
	echo "# lintian is not installed: not run"
fi
exit $fail
