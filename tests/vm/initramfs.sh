#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the vmtest initramfs: busybox-static + the virtio/9p modules Debian's kernel has as
# modules (its own initrd lacks them) + tests/vm/init. About 1.4 MB; rebuilt only when the
# kernel, busybox or init changes.
#   tests/vm/initramfs.sh KVER OUT.cpio.gz
set -euo pipefail
PROG=initramfs.sh
die() {
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 1
}
[ $# = 2 ] || {
	echo "usage: $0 KVER OUT.cpio.gz" >&2
	exit 2
}
KVER=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MODDIR=/lib/modules/$KVER
VM_CACHE=${BPFLAB_VM_CACHE:-/var/cache/bpflab}
[ -f "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep is missing" "install the kernel: scripts/deps.sh vm"
deb=$(find "$VM_CACHE" -maxdepth 1 -name 'busybox-static_*.deb' 2>/dev/null | sort | tail -n1)
[ -n "$deb" ] ||
	die "no busybox-static .deb in $VM_CACHE" "run: scripts/deps.sh vm"
# Modules the root filesystem needs, as they depend on each other (from modules.dep).
WANT=(virtio_pci 9pnet_virtio 9p)

# Up to date?
stamp="$KVER $(basename "$deb") $(md5sum <"$HERE/init" | cut -d' ' -f1)"
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
dpkg-deb -x "$deb" "$tmp/bb"
cp "$tmp/bb/bin/busybox" "$root/bin/busybox"
for a in sh mount umount insmod mkdir switch_root cat echo poweroff sleep; do
	ln -s busybox "$root/bin/$a"
done

# Depth-first over modules.dep: every module after the modules it needs.
declare -A seen=()
order=()
add_mod() { # PATH (relative to MODDIR)
	local path=$1 d
	[ -z "${seen[$path]:-}" ] || return 0
	seen[$path]=1
	# shellcheck disable=SC2013 # one line, words wanted
	for d in $(awk -v m="$path:" '$1 == m { $1 = ""; print }' "$MODDIR/modules.dep"); do
		add_mod "$d"
	done
	order+=("$path")
}
for m in "${WANT[@]}"; do
	p=$(awk -F: -v m="/$m.ko" 'index($1, m) && substr($1, length($1) - length(m) + 1) == m { print $1; exit }' "$MODDIR/modules.dep")
	# Built in (=y) on some kernels: nothing to load then.
	[ -n "$p" ] || continue
	add_mod "$p"
done
for p in "${order[@]}"; do
	case $p in
	*.ko) cp "$MODDIR/$p" "$root/lib/modules/" ;;
	*.ko.xz) xz -dc "$MODDIR/$p" >"$root/lib/modules/$(basename "${p%.xz}")" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$p" >"$root/lib/modules/$(basename "${p%.zst}")" ;;
	*.ko.gz) gzip -dc "$MODDIR/$p" >"$root/lib/modules/$(basename "${p%.gz}")" ;;
	esac
	p=$(basename "$p")
	echo "${p%%.ko*}.ko"
done >"$root/lib/modules/order"
cp "$HERE/init" "$root/init"
chmod 755 "$root/init"
mkdir -p "$(dirname "$OUT")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$OUT.new"
mv "$OUT.new" "$OUT"
echo "$stamp" >"$OUT.stamp"
echo "$PROG: $OUT ($(stat -c %s "$OUT") bytes, modules: $(tr '\n' ' ' <"$root/lib/modules/order"))"
