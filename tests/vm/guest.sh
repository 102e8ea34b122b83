#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmtest stage 2: PID 1 inside the VM, on the host's / (read-only 9p). Mounts what a
# booted Debian has (tmpfs /tmp /run /root, bpffs, cgroup2 at /sys/fs/cgroup, tracefs,
# debugfs), the repository (writable 9p share at the host's path) and the result share,
# runs tests/vm/lane.sh with the job's arguments, writes its exit status and powers off.
# If this script dies, the kernel panics (PID 1 exited) and qemu exits (-no-reboot).
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
OUT=/run/vmtest
REPO=$(cd "$(dirname "$0")/../.." && pwd)
O9P=trans=virtio,version=9p2000.L,msize=262144

off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
}
mnt() { # TYPE WHERE [OPTIONS]
	mount -t "$1" ${3:+-o "$3"} "$1" "$2" || echo "vmtest guest: warning: cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mnt devpts /dev/pts
# devtmpfs has no /dev/fd (bash process substitution needs it): udev makes these on a real boot.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mnt tmpfs /dev/shm
for d in /tmp /run /root /var/tmp; do mnt tmpfs "$d" mode=1777; done
chmod 700 /root
mnt bpf /sys/fs/bpf
mnt cgroup2 /sys/fs/cgroup
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mkdir -p "$OUT"
mount -t 9p -o "$O9P" bpflab_out "$OUT" || {
	echo "vmtest guest: error: cannot mount the result share"
	off
}
# The repository keeps its host path; under the guest's own tmpfs (/tmp, /run, /root: a clone
# in /tmp, as CI may make) that directory does not exist until made.
mkdir -p "$REPO"
# cache=mmap: the host reads what the guest writes into build/ after the run.
mount -t 9p -o "$O9P,cache=mmap" bpflab_repo "$REPO" || {
	echo "vmtest guest: error: cannot mount the repository share on $REPO"
	echo 1 >"$OUT/status"
	off
}
hostname bpflab-vm
ip link set lo up
cd "$REPO" || off
export VMTEST=1
mapfile -t args <"$OUT/args"
echo "vmtest guest: $(uname -r), up in $(cut -d' ' -f1 /proc/uptime) s; running: tests/vm/lane.sh ${args[*]}"
# With -v (no "quiet" on the kernel command line), the guest's processes every 4 minutes: what a
# test that hangs is waiting for (it found a bare `wait` waiting for bats' timeout watchdog).
if ! grep -qw quiet /proc/cmdline; then
	(while sleep 240; do
		echo "vmtest guest: processes at $(cut -d' ' -f1 /proc/uptime) s:"
		# shellcheck disable=SC2009 # the whole table, kernel threads left out
		ps -eo pid,ppid,stat,wchan:28,etime,args | grep -v ' \[' || true
	done) &
fi
rc=0
VMTEST_OUT=$OUT bash tests/vm/lane.sh "${args[@]}" </dev/null || rc=$?
echo "$rc" >"$OUT/status"
off
