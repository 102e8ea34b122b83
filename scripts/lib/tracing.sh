# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Tracing helpers for labs that attach to tracepoints/kprobes. Source after common.sh.
#   tracefs_ensure        make sure tracefs is mounted (tracepoint ids live there); sets TRACEFS
#   errno_name MSG        EPERM/EINVAL/... for the strerror() text found in MSG (empty if none)

# tracefs is where the kernel publishes tracepoint ids (events/GROUP/NAME/id). Minimal VMs may
# not mount it; mounting it is harmless and, like bpffs, it is left mounted.
tracefs_ensure() {
	TRACEFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
	[ -z "$TRACEFS" ] || return 0
	TRACEFS=/sys/kernel/tracing
	[ -d "$TRACEFS" ] || die "$TRACEFS does not exist: this kernel has no tracefs" "tracepoints need CONFIG_TRACING"
	run mount -t tracefs tracefs "$TRACEFS" || die "cannot mount tracefs on $TRACEFS"
}

errno_name() { # MSG
	case "$1" in
	*"Operation not permitted"*) echo EPERM ;;
	*"Permission denied"*) echo EACCES ;;
	*"Invalid argument"*) echo EINVAL ;;
	*"Operation not supported"*) echo EOPNOTSUPP ;;
	*"Unknown error 524"* | *"-524"*) echo ENOTSUPP ;;
	*"No such file or directory"*) echo ENOENT ;;
	*"Device or resource busy"*) echo EBUSY ;;
	*"Argument list too long"*) echo E2BIG ;;
	esac
}
