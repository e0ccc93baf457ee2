#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - install the Debian 12 packages sockswitch needs, only
# those that are missing. Run as root (or with sudo).
#
#   sh scripts/install-deps.sh           build and run (make run, make install)
#   sh scripts/install-deps.sh --test    also every test (make test)
set -eu

usage() {
	echo "usage: sh scripts/install-deps.sh [--test]" >&2
	exit 2
}
TEST=0
case $#:${1:-} in
0:) ;;
1:--test) TEST=1 ;;
*) usage ;;
esac

# Build and run: compiler, CMake, the libraries. libslirp is the slirp
# uplink (its pkg-config file requires the glib headers); sockswitch-plug
# links libvdeplug; metrics (libmicrohttpd) and capture (libpcap) are
# loaded when used, but their headers are needed to build.
PKGS="make gcc libc6-dev cmake pkg-config libev-dev libjansson-dev
libslirp-dev libglib2.0-dev libvdeplug-dev libmicrohttpd-dev libpcap-dev"

if [ "$TEST" -eq 1 ]; then
	# Unit tests: Criterion. End-to-end tests: QEMU, a kernel and busybox
	# for the guests. shellcheck lints the test scripts and clang-format
	# checks the C style.
	PKGS="$PKGS libcriterion-dev qemu-system-x86 linux-image-amd64
	busybox-static shellcheck clang-format"
	# vde_plug, dpipe and vde_switch: the vde:DIR listener's real clients
	# and peer.
	PKGS="$PKGS vdeplug vde2"
	# Metrics and capture tests: promtool (prometheus), tcpdump, curl.
	PKGS="$PKGS prometheus tcpdump curl"
	# Uplink tests: passt, network namespaces (iproute2), a fetch (curl)
	# from a test HTTP server (python3); ping from kernel VTEPs (vxlan).
	PKGS="$PKGS passt iproute2 python3 iputils-ping"
	# Open vSwitch, a VXLAN peer of the vxlan uplink (vxlan_ovs.py runs
	# its own daemons on the userspace datapath; no kernel module needed).
	PKGS="$PKGS openvswitch-switch"
	# DPDK's dpdk-testpmd: its virtio-user port is a vhost-user frontend
	# (integration_vhost_dpdk), run without hugepages.
	PKGS="$PKGS dpdk"
	# sockswitch-admin's test: the NAT rules it makes (nft, in the test's
	# network namespace).
	PKGS="$PKGS nftables"
	# bench/run.sh: system calls per frame (strace) and instructions per
	# frame (valgrind --tool=callgrind).
	PKGS="$PKGS strace valgrind"
	# The units are checked with systemd-analyze verify; the man pages
	# render with man and groff; the Debian package is built with
	# debhelper and dpkg-dev and checked with lintian.
	PKGS="$PKGS systemd man-db groff-base debhelper dpkg-dev fakeroot lintian"
	# The bounded libFuzzer run (ctest label fuzz, docs/fuzzing.md): clang
	# and its runtimes (libFuzzer, ASan, UBSan), only recommended by clang.
	PKGS="$PKGS clang libclang-rt-14-dev"
fi

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
# Packages that ship a system service (Open vSwitch) are installed for the
# tests, which start their own daemons: keep the package from starting
# its service (it would also fail without the openvswitch kernel module)
# with a policy-rc.d of our own, unless the machine has one already.
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && ours=1
fi
$SUDO apt-get update -qq
rc=0
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	--no-install-recommends $missing || rc=$?
[ "$ours" -eq 1 ] && $SUDO rm -f "$policy"
exit "$rc"
