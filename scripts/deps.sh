#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything bpflab uses (Debian/Ubuntu, apt), and mount bpffs if it is missing.
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` only then.
#   scripts/deps.sh         what the labs and `make test` need
#   scripts/deps.sh bench   that plus what only `make bench` uses (plots, the nftables comparison)
#   scripts/deps.sh vm      that plus the second kernel for `make vmtest` (tests/vm/): Debian's
#                           stock kernel, qemu, xdp-tools (the peers), and busybox-static for the
#                           initramfs, downloaded and kept as a .deb only (never installed)
set -euo pipefail

PACKAGES=(
	clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config make gcc
	bpftool iproute2 tcpdump iputils-ping libpcap-dev
	bats shellcheck sockperf iperf3 jq procps psmisc socat ethtool
	libclang-rt-dev
	graphviz # scripts/graph.sh draws the live objects (dot: PNG, SVG)
)
# Only `make bench` needs these (scripts/bench/): `make test` runs the smoke mode without them.
BENCH_PACKAGES=(gnuplot-nox nftables)
# `vm` group: ~620 MB. Installing linux-image-amd64 does not change how this machine boots
# (no boot loader is configured here); --no-install-recommends keeps qemu's GUI stack out.
VM_PACKAGES=(qemu-system-x86 linux-image-amd64 xdp-tools cpio)
# tests/vm/initramfs.sh unpacks busybox from here (busybox-static conflicts with busybox).
VM_CACHE=${BPFLAB_VM_CACHE:-/var/cache/bpflab}

die() { echo "deps.sh: error: $*" >&2; exit 1; }

case "${1:-}" in
"") ;;
bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
vm) PACKAGES+=("${VM_PACKAGES[@]}") ;;
*) echo "usage: $0 [bench|vm]" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || die "must run as root (try: sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: install these packages by hand: ${PACKAGES[*]}"

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "deps.sh: all packages present"
fi

if [ "${1:-}" = vm ] && ! ls "$VM_CACHE"/busybox-static_*.deb >/dev/null 2>&1; then
	echo "deps.sh: downloading busybox-static into $VM_CACHE (kept as a .deb, not installed)"
	mkdir -p "$VM_CACHE"
	(cd "$VM_CACHE" && apt-get download -qq busybox-static 2>/dev/null) ||
		{ apt-get update -qq && (cd "$VM_CACHE" && apt-get download -qq busybox-static); } ||
		die "cannot download busybox-static (needed for the vmtest initramfs)"
fi

# bpffs: pins live there. Some minimal VMs do not mount it at boot.
if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
	echo "deps.sh: mounting bpffs on /sys/fs/bpf"
	mount -t bpf bpf /sys/fs/bpf
fi

[ -r /sys/kernel/btf/vmlinux ] || echo "deps.sh: warning: /sys/kernel/btf/vmlinux missing: CO-RE objects cannot be built on this kernel" >&2
grep -q ' cgroup2 ' /proc/mounts || echo "deps.sh: warning: no cgroup2 mount found: the sockops part of lab 2 needs cgroup v2" >&2
exit 0
