#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - install the Debian 12 packages sockswitch needs to build
# and test, only those that are missing. Run as root (or with sudo).
set -eu

# Build: compiler, CMake, libraries. Tests: Criterion; QEMU, a kernel and
# busybox for the guests of the end-to-end tests; shellcheck lints the test
# scripts and clang-format checks the C style. libslirp is the slirp uplink
# (its pkg-config file requires the glib headers).
PKGS="make gcc libc6-dev cmake pkg-config libev-dev libjansson-dev
libcriterion-dev
libslirp-dev libglib2.0-dev
qemu-system-x86 linux-image-amd64 busybox-static shellcheck clang-format"
# sockswitch-plug links libvdeplug; the tests use vde_plug, dpipe and
# vde_switch (the vde:DIR listener's real clients and peer).
PKGS="$PKGS libvdeplug-dev vdeplug vde2"
# Metrics (libmicrohttpd) and capture (libpcap); their tests use curl,
# promtool (prometheus) and tcpdump.
PKGS="$PKGS libmicrohttpd-dev libpcap-dev prometheus tcpdump curl"
# Uplink tests: passt, network namespaces (iproute2), a fetch (curl) from
# a test HTTP server (python3).
PKGS="$PKGS passt iproute2 python3"
# bench/run.sh: system calls per frame (strace) and instructions per frame
# (valgrind --tool=callgrind).
PKGS="$PKGS strace valgrind"
# configs/sockswitch.service is checked with systemd-analyze verify.
PKGS="$PKGS systemd"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "install-deps: missing packages:$missing" >&2
		echo "install-deps: run as root: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	--no-install-recommends $missing
