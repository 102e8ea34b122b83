#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything bpflab uses (Debian/Ubuntu, apt), and mount bpffs if it is missing.
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` only then.
#   scripts/deps.sh         what the labs and `make test` need
#   scripts/deps.sh bench   that plus what only `make bench` uses (plots, the nftables comparison)
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

die() { echo "deps.sh: error: $*" >&2; exit 1; }

case "${1:-}" in
"") ;;
bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
*) echo "usage: $0 [bench]" >&2; exit 2 ;;
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

# bpffs: pins live there. Some minimal VMs do not mount it at boot.
if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
	echo "deps.sh: mounting bpffs on /sys/fs/bpf"
	mount -t bpf bpf /sys/fs/bpf
fi

[ -r /sys/kernel/btf/vmlinux ] || echo "deps.sh: warning: /sys/kernel/btf/vmlinux missing: CO-RE objects cannot be built on this kernel" >&2
grep -q ' cgroup2 ' /proc/mounts || echo "deps.sh: warning: no cgroup2 mount found: the sockops part of lab 2 needs cgroup v2" >&2
exit 0
