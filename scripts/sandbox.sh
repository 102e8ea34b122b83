#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A private bpflab sandbox: run CMD (default: an interactive shell) where every lab can use its
# default names, invisible to the host and to other sandboxes.
#
#   host                                   sandbox (new mount + network namespace)
#   <cgroup2>/bpflab-sbx-ID   --bind-->    <cgroup2 mount point>  (mkdir bpflab lands inside)
#                                          /sys/fs/bpf   its own bpffs instance (private pins)
#                                          /sys          its own sysfs (the sandbox's devices)
#                                          /run          tmpfs (ip netns names, lab state, locks)
#
# Leaving the sandbox removes everything it made: its processes are killed, its cgroup subtree
# removed; pins, namespaces and devices go with the mount and network namespaces, and BPF
# objects with their last reference. Program, map and link ids stay global (bpftool prog list
# still shows the host's programs).
set -euo pipefail

PROG=sandbox.sh
usage() {
	cat <<EOF
Usage: $PROG [-h] [CMD [ARG...]]

Run CMD (default: an interactive shell) in a private sandbox: own network namespace, own bpffs
at /sys/fs/bpf, own sysfs, tmpfs on /run, and a dedicated cgroup bound at the cgroup v2 mount
point. Inside, run the labs with their default names (scripts/lab2.sh up ...). Everything is
removed when CMD (or the shell) exits. Exit status: CMD's.

An instructor with one lab server can give each student: sudo scripts/sandbox.sh
EOF
}

die() {
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 1
}

cgroup2_root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts; }

# ---- inside: PID 1 of nothing special, just the first process of the new namespaces.
inner() { # CGROUP_DIR HOST_CG2_MOUNT CMD...
	local cg=$1 m=$2
	shift 2
	echo $$ >"$cg/cgroup.procs"
	mount --make-rprivate /
	# /run first: the staging point for the cgroup bind must survive the new /sys.
	mount -t tmpfs -o mode=755 tmpfs /run
	mkdir /run/.bpflab-cgroup
	mount --bind "$cg" /run/.bpflab-cgroup
	mount -t sysfs sysfs /sys
	mount -t bpf -o mode=700 bpf /sys/fs/bpf
	if [ "$m" != /sys/fs/cgroup ]; then
		# Hybrid layout (cgroup2 at /sys/fs/cgroup/unified): recreate the mount point.
		mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
		mkdir -p "$m"
	fi
	mount --move /run/.bpflab-cgroup "$m"
	rmdir /run/.bpflab-cgroup
	# Tracepoint programs need tracefs (bpf2bpf lab); absent or refused is not fatal.
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
	ip link set lo up
	export BPFLAB_SANDBOX=$cg
	if [ $# -eq 0 ]; then
		echo "bpflab sandbox: labs run here with their default names; 'exit' removes everything." >&2
		set -- "${SHELL:-/bin/bash}"
	fi
	exec "$@"
}

if [ "${1:-}" = --inner ]; then
	shift
	inner "$@"
fi

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
-*)
	echo "$PROG: unknown option '$1'" >&2
	usage >&2
	exit 2
	;;
esac

[ "$(id -u)" = 0 ] || die "must run as root" "sudo $0 $*"
command -v unshare >/dev/null || die "'unshare' not found (Debian package: util-linux)"
grep -qw bpf /proc/filesystems || die "this kernel has no bpffs" "CONFIG_BPF_SYSCALL=y is needed"
CG2=$(cgroup2_root)
[ -n "$CG2" ] || die "no cgroup v2 mount found" "mount one: mount -t cgroup2 none /sys/fs/cgroup/unified"

# The sandbox's cgroup: a child of the cgroup2 mount's root as this process sees it.
CG=$(mktemp -d "$CG2/bpflab-sbx-XXXXXX") || die "cannot create a cgroup under $CG2"

# Kill every process in the subtree, wait (bounded) until they are gone, remove it bottom-up.
# shellcheck disable=SC2317 # a trap handler
cleanup() {
	local i d pid
	trap - EXIT TERM HUP
	[ -d "$CG" ] || return 0
	for ((i = 0; i < 50; i++)); do
		if [ -e "$CG/cgroup.kill" ]; then
			echo 1 >"$CG/cgroup.kill" 2>/dev/null || true
		else
			while IFS= read -r d; do
				while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$d/cgroup.procs"
			done < <(find "$CG" -type d)
		fi
		[ -z "$(find "$CG" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
		sleep 0.1
	done
	find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[ ! -d "$CG" ] || echo "$PROG: warning: could not remove $CG (processes still in it?)" >&2
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
# Ctrl-C belongs to what runs inside (the shell, a lab script); leave when it exits.
trap : INT

rc=0
unshare --mount --net --fork --propagation private -- "$0" --inner "$CG" "$CG2" "$@" || rc=$?
exit "$rc"
