#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make vmtest: run bats suites inside a VM on Debian's stock kernel (qemu), where kprobes,
# fentry/freplace, FOU and libxdp's dispatcher work. The VM shares the host's / read-only
# and the repository writable (same path) over virtio-9p; it has no network device.
#   tests/vm/vmtest.sh [-t SECS] [-v] [WORD...]      WORD: see tests/vm/lane.sh
# Prints the console and the TAP stream, ends with "vm: N passed, N failed, N skipped" and
# exits with the suite's status. Exits 0 with "vmtest: skipped: REASON" when the VM cannot
# be had (no qemu, no kernel package, no way to install them).
set -euo pipefail
PROG=vmtest.sh
cd "$(dirname "$0")/../.."
REPO=$(pwd)
BUILD=${BPFLAB_BUILD:-$REPO/build}
VERBOSE=0 TIMEOUT=""
die() {
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 1
}
skip() {
	echo "vmtest: skipped: $*"
	exit 0
}
usage() {
	sed -n '3,9s/^# \{0,1\}//p' "$0"
	echo "Options: -t SECS hard timeout (default: 1200 for the lane, 10800 for 'all': it ran over 2 h under TCG on 2 cores), -v kernel messages too, and the guest's processes every 4 min"
}
while [ $# -gt 0 ]; do
	case $1 in
	-t)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "$PROG: -t needs a number of seconds" >&2; exit 2; }
		TIMEOUT=$2
		shift
		;;
	-v) VERBOSE=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "$PROG: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "must run as root (qemu's 9p server must read the whole host /)" "sudo $0 $*"
[ $# -gt 0 ] || set -- lane
bash tests/vm/lane.sh --check "$@" || exit 2
if [ -z "$TIMEOUT" ]; then
	TIMEOUT=1200
	[[ " $* " != *" all "* ]] || TIMEOUT=10800
fi

# ---- what the VM needs: qemu, a Debian kernel with its modules, busybox (scripts/deps.sh vm)
QEMU=qemu-system-x86_64
if ! command -v "$QEMU" >/dev/null || ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1; then
	command -v apt-get >/dev/null || skip "no $QEMU or no Debian kernel, and no apt-get to install them"
	scripts/deps.sh vm >&2 || skip "scripts/deps.sh vm could not install qemu-system-x86 / linux-image-amd64"
fi
command -v "$QEMU" >/dev/null || skip "$QEMU not found (Debian package qemu-system-x86)"
# shellcheck disable=SC2012 # kernel file names: ls -v sorts versions
KERNEL=$(ls -v /boot/vmlinuz-*-amd64 2>/dev/null | tail -n1)
[ -n "$KERNEL" ] || skip "no /boot/vmlinuz-*-amd64 (Debian package linux-image-amd64)"
KVER=${KERNEL#/boot/vmlinuz-}
[ -f "/lib/modules/$KVER/modules.dep" ] || skip "/lib/modules/$KVER is missing (reinstall linux-image-$KVER)"
ls "${BPFLAB_VM_CACHE:-/var/cache/bpflab}"/busybox-static_*.deb >/dev/null 2>&1 ||
	scripts/deps.sh vm >&2 || skip "busybox-static could not be downloaded (scripts/deps.sh vm)"
[ -x "$BUILD/bpfids" ] || die "$BUILD is not built" "run 'make' first (make vmtest does)"

INITRD=$BUILD/vm/initramfs-$KVER.cpio.gz
tests/vm/initramfs.sh "$KVER" "$INITRD"

# ---- accelerator: KVM where the CPU has it (checked with a short boot), TCG otherwise
ACCEL=(-accel tcg -cpu max)
accel_why="no vmx/svm CPU flag"
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
	# A kernel with no root panics and exits (-no-reboot): a few seconds with working KVM.
	if timeout 20 "$QEMU" -accel kvm -cpu host -m 256 -nodefaults -display none -no-reboot \
		-kernel "$KERNEL" -append "panic=-1" </dev/null >/dev/null 2>&1; then
		ACCEL=(-accel kvm -cpu host)
	else
		accel_why="KVM did not boot within 20 s"
	fi
fi

OUT=$(mktemp -d /tmp/bpflab-vmtest.XXXXXX)
# qemu must not outlive us, however we end (timeout kills it on time; this on a signal).
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local pid
	pid=$(cat "$OUT/qemu.pid" 2>/dev/null) || pid=""
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
printf '%s\n' "$@" >"$OUT/args"

quiet=quiet
[ "$VERBOSE" = 1 ] && quiet=""
echo "vmtest: $KERNEL under ${ACCEL[*]:1:1} (${ACCEL[1]} because: $([ "${ACCEL[1]}" = kvm ] && echo "KVM works" || echo "$accel_why")), timeout ${TIMEOUT}s, job: $*"
start=$(date +%s)
# The console is the guest's serial port on our stdout; the guest has no network device.
# In the background with `wait`: a TERM or INT sent to this script alone then runs the trap
# at once (bash defers traps while a foreground pipeline runs), and the trap kills qemu.
{
	qrc=0
	timeout -k 5 "$TIMEOUT" "$QEMU" "${ACCEL[@]}" -m 2G -smp 2 -nodefaults -no-user-config \
		-display none -no-reboot -nic none -serial stdio -pidfile "$OUT/qemu.pid" \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 mitigations=off $quiet bpflab.stage2=$REPO/tests/vm/guest.sh" \
		-virtfs "local,path=/,mount_tag=bpflab_root,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$REPO,mount_tag=bpflab_repo,security_model=none,multidevs=remap" \
		-virtfs "local,path=$OUT,mount_tag=bpflab_out,security_model=none" \
		</dev/null 2>"$OUT/qemu.err" || qrc=$?
	echo "$qrc" >"$OUT/qemu.rc"
} | sed -u 's/\r$//' &
wait $! || true
qrc=$(cat "$OUT/qemu.rc" 2>/dev/null || echo 1)
echo "vmtest: qemu exited $qrc after $(($(date +%s) - start)) s"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vmtest: error: hard timeout (${TIMEOUT}s): qemu killed" >&2
	rc=1
fi
grep -v '^$' "$OUT/qemu.err" >&2 || true
if [ -f "$OUT/status" ]; then
	rc=${rc:-$(cat "$OUT/status")}
else
	echo "vmtest: error: the VM ended without a result (see the console above)" >&2
	rc=1
fi
if [ -f "$OUT/peers.txt" ]; then
	# Kept for the write-ups (labs/chain.md, labs/xdpcap.md) and make bench (peers.csv, read by
	# scripts/bench/b-peers.sh): build/ is the project's scratch.
	cp "$OUT/peers.txt" "$BUILD/vm/peers.txt"
	rm -f "$BUILD/vm/peers.csv"
	[ ! -f "$OUT/peers.csv" ] || cp "$OUT/peers.csv" "$BUILD/vm/peers.csv"
	echo "vmtest: peer comparisons (also in $BUILD/vm/peers.txt):"
	cat "$OUT/peers.txt"
fi
[ ! -f "$OUT/summary" ] || echo "vm: $(cat "$OUT/summary")"
exit "$rc"
