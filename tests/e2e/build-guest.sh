#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-guest.sh - build the e2e guest image (an initramfs) at test time
#
# Usage: build-guest.sh OUTDIR
#
# Writes OUTDIR/guest.cpio.gz (busybox-static, the NIC and 802.1Q modules of the host
# kernel, tests/e2e/guest/init as /init and the baked scenario scripts) and
# OUTDIR/kernel (a text file naming the kernel to boot it with). Nothing
# binary lives in the repository. The image is rebuilt only when one of its
# inputs changes: OUTDIR/guest.key holds a hash of all of them.
#
# Environment: E2E_KERNEL (kernel image, default the newest /boot/vmlinuz-*),
# E2E_MODDIR (default /lib/modules/VERSION), E2E_BUSYBOX (default: the
# busybox on PATH; it must be static).
#
# Exit: 0 built or up to date, 77 a prerequisite is missing (ctest SKIP),
# 1 any other error.

set -eu

die() { echo "build-guest: $*" >&2; exit 1; }
skip() { echo "build-guest: SKIP: $*" >&2; exit 77; }

[ $# -eq 1 ] || die "usage: build-guest.sh OUTDIR"
out=$1
src=$(cd "$(dirname "$0")" && pwd)

# Modules the guest NICs need, and 802.1Q for the VLAN scenario (eth0.10);
# their dependencies come from modules.dep.
MODULES="virtio_net virtio_pci e1000 8021q"

kernel=${E2E_KERNEL:-}
if [ -z "$kernel" ]; then
	# shellcheck disable=SC2012 # kernel file names are plain
	kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1) || true
fi
if [ -z "$kernel" ] || [ ! -e "$kernel" ]; then
	skip "no kernel ${kernel:-/boot/vmlinuz-*} (Debian package linux-image-amd64)"
fi
[ -r "$kernel" ] || skip "kernel $kernel is not readable by $(id -un) (run as root or set E2E_KERNEL)"
kver=${kernel##*/vmlinuz-}
moddir=${E2E_MODDIR:-/lib/modules/$kver}
[ -r "$moddir/modules.dep" ] || skip "no $moddir/modules.dep for kernel $kernel"

busybox=${E2E_BUSYBOX:-$(command -v busybox || true)}
[ -n "$busybox" ] || skip "busybox not found (Debian package busybox-static)"
if file_out=$(LC_ALL=C file -L "$busybox" 2>/dev/null); then
	case $file_out in
	*dynamically*) skip "$busybox is dynamically linked; install busybox-static" ;;
	esac
fi

# Resolve dependencies in load order (dependencies first) from modules.dep.
# Each line of modules.dep is "path: dep1 dep2 ..." with paths relative to
# $moddir; a name matches with any compression suffix and with - or _.
modpath() {
	awk -F: -v m="$1" '{
		n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n)
		gsub(/-/, "_", n)
		if (n == m) { print $1; exit }
	}' "$moddir/modules.dep"
}
order=""
add_module() { # $1 = path relative to $moddir
	case " $order " in *" $1 "*) return 0 ;; esac
	deps=$(awk -F: -v p="$1" '$1 == p { print $2; exit }' "$moddir/modules.dep")
	for d in $deps; do
		add_module "$d"
	done
	order="$order $1"
}
for m in $MODULES; do
	p=$(modpath "$m")
	if [ -z "$p" ]; then
		# Built into the kernel: nothing to load.
		grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null ||
			echo "build-guest: warning: module $m not found in $moddir" >&2
		continue
	fi
	add_module "$p"
done

# Cache key: every input of the image.
key=$( {
	echo "kernel $kernel $kver"
	ls -l "$kernel"
	for p in $order; do ls -lL "$moddir/$p"; done
	ls -lL "$busybox"
	cat "$0" "$src/guest/init" "$src"/guest/scenarios/*.sh
} | sha256sum | cut -d' ' -f1)

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9 2>/dev/null || true	# serialise concurrent builds when flock exists
if [ -f "$out/guest.cpio.gz" ] && [ "$(cat "$out/guest.key" 2>/dev/null)" = "$key" ]; then
	echo "build-guest: up to date: $out/guest.cpio.gz (kernel $kernel)"
	exit 0
fi

root=$(mktemp -d "$out/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp" "$root/run" "$root/lib/modules" "$root/scenarios"
cp "$busybox" "$root/bin/busybox"
# Install the applet symlinks with the host busybox's own list.
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
ln -sf ../bin/busybox "$root/sbin/init"
cp "$src/guest/init" "$root/init"
chmod 755 "$root/init"
for s in "$src"/guest/scenarios/*.sh; do
	cp "$s" "$root/scenarios/"
done
chmod 755 "$root"/scenarios/*.sh

# Modules go in uncompressed: busybox insmod may not read .ko.xz/.ko.zst.
: >"$root/etc/modules"
for p in $order; do
	name=${p##*/}
	case $name in
	*.ko) cp "$moddir/$p" "$root/lib/modules/$name" ;;
	*.ko.xz) xz -dc "$moddir/$p" >"$root/lib/modules/${name%.xz}" 2>/dev/null ||
		"$busybox" xzcat "$moddir/$p" >"$root/lib/modules/${name%.xz}" ;;
	*.ko.gz) gzip -dc "$moddir/$p" >"$root/lib/modules/${name%.gz}" ;;
	*.ko.zst) command -v zstd >/dev/null || skip "$p is zstd-compressed; install zstd"
		zstd -qdc "$moddir/$p" >"$root/lib/modules/${name%.zst}" ;;
	*) die "unknown module file $p" ;;
	esac
	name=${name%.ko*}.ko
	echo "$name" >>"$root/etc/modules"
done
echo "$kver" >"$root/etc/kernel-version"

(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) |
	gzip -1 >"$out/guest.cpio.gz.tmp"
mv "$out/guest.cpio.gz.tmp" "$out/guest.cpio.gz"
echo "$kernel" >"$out/kernel"
echo "$key" >"$out/guest.key"
echo "build-guest: built $out/guest.cpio.gz ($(wc -c <"$out/guest.cpio.gz") bytes; kernel $kernel; modules:$(tr '\n' ' ' <"$root/etc/modules" | sed 's/^/ /'))"
