# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the scripts that source this file
# Shared functions for bpflab lab scripts. Source it; do not run it.
#
# A lab script sets PROG (its name) and LAB (its pin subdirectory) and defines usage(),
# then uses:
#   run CMD...        print CMD (the teaching trace, on stderr), pause with --step, skip with --dry-run
#   run_quiet CMD...  like run, but tolerate failure silently (for idempotent teardown)
#   die MSG [HINT]    one clear error line (+ "Hint:" line), exit 1
#   usage_error MSG   message + usage on stderr, exit 2
#   parse_common_opt  handles --step --dry-run -v -h; returns 1 if the word is not one of them
#   need_root "$@"    re-exec through sudo when not root (dry-run needs no root)
#   check_prereq cmd:package ...   missing tool -> error naming the Debian package
#   check_btf, check_bpffs, cgroup2_root, pin_dir, state_* (see below)
#   netns_up/netns_down/netns_exists, cgroup_remove, xdp_attach/xdp_detach

BPFLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BPFLAB_BUILD:-$BPFLAB_ROOT/build}
# ${VAR-default}, not ${VAR:-default}: an explicitly empty value is an error (lab_main), not the default.
BPFLAB_PIN=${BPFLAB_PIN-/sys/fs/bpf/bpflab}
BPFLAB_RUN=${BPFLAB_RUN-/run/bpflab}
DRY_RUN=${DRY_RUN:-0}
STEP=${STEP:-0}
VERBOSE=${VERBOSE:-0}
PROG=${PROG:-$(basename "$0")}

die() {
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 1
}
warn() { echo "$PROG: warning: $*" >&2; }
info() { echo "$PROG: $*" >&2; }
usage_error() {
	echo "$PROG: $*" >&2
	usage >&2
	exit 2
}

# The trace: every command that changes or inspects BPF/network state is printed
# exactly as a student would type it.
trace() {
	local q
	printf -v q '%q ' "$@"
	printf '+ %s\n' "${q% }" >&2
}

step_pause() {
	[ "$STEP" = 1 ] || return 0
	[ "$DRY_RUN" = 1 ] && return 0
	local ans
	if [ "${LAB_ROLLBACK:-0}" = 1 ]; then
		printf '    [step] Enter: run it; q: stop and roll back what this up made; k: stop and keep it: ' >&2
	else
		printf '    [step] Enter: run it; q: stop here: ' >&2
	fi
	read -r ans || ans=q
	case "$ans" in
	q) die "stopped at the --step prompt" ;;
	k)
		[ "${LAB_ROLLBACK:-0}" = 1 ] || die "stopped at the --step prompt"
		trap - EXIT INT TERM
		info "stopped at the --step prompt; kept what was made: '$PROG down' removes it"
		exit 1
		;;
	esac
}

run() {
	trace "$@"
	[ "$DRY_RUN" = 1 ] && return 0
	step_pause
	"$@"
}

# Teardown steps must not stop at the first thing already gone.
run_quiet() {
	trace "$@"
	[ "$DRY_RUN" = 1 ] && return 0
	step_pause
	"$@" >/dev/null 2>&1 || true
}

parse_common_opt() {
	case "$1" in
	--step) STEP=1 ;;
	--dry-run) DRY_RUN=1 ;;
	-v | --verbose) VERBOSE=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*) return 1 ;;
	esac
}

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	[ "$DRY_RUN" = 1 ] && return 0
	if command -v sudo >/dev/null; then
		exec sudo -E "$0" "$@"
	fi
	die "must run as root" "run it as root, or install sudo"
}

# check_prereq bpftool:bpftool ip:iproute2 ...
check_prereq() {
	local spec cmd pkg
	for spec in "$@"; do
		cmd=${spec%%:*}
		pkg=${spec#*:}
		command -v "$cmd" >/dev/null ||
			die "'$cmd' not found (Debian package: $pkg)" "run 'make deps' (scripts/deps.sh) to install everything bpflab needs"
	done
}

BPFLAB_BTF=${BPFLAB_BTF:-/sys/kernel/btf/vmlinux}
check_btf() {
	[ -r "$BPFLAB_BTF" ] ||
		die "$BPFLAB_BTF is missing: this kernel has no BTF" "CO-RE needs a kernel built with CONFIG_DEBUG_INFO_BTF=y"
}

# The objects a lab loads must have been built.
check_built() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || die "$f is missing" "run 'make' first"
	done
}

check_bpffs() {
	local d=$BPFLAB_PIN
	while [ ! -d "$d" ]; do d=$(dirname "$d"); done
	[ "$(stat -f -c %T "$d")" = bpf_fs ] ||
		die "$BPFLAB_PIN is not on a bpffs mount" "mount it with: mount -t bpf bpf /sys/fs/bpf (scripts/deps.sh does)"
}

# The cgroup v2 mount point: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified on hybrid ones.
cgroup2_root() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

pin_dir() { echo "$BPFLAB_PIN/$LAB"; }

# ---- state: what `up` created, so `down` can undo it after a failed or killed `up`.
# bpffs cannot hold regular files, so state lives under $BPFLAB_RUN, one file per pin dir.
state_file() {
	local key
	key=$(pin_dir | tr '/' '_')
	echo "$BPFLAB_RUN/state$key"
}
state_set() { # KEY VALUE
	[ "$DRY_RUN" = 1 ] && return 0
	mkdir -p "$BPFLAB_RUN"
	printf '%s=%q\n' "$1" "$2" >>"$(state_file)"
}
state_load() {
	local f
	f=$(state_file)
	# shellcheck disable=SC1090 # path computed at run time
	[ -f "$f" ] && . "$f"
	[ -f "$f" ]
}
state_clear() {
	[ "$DRY_RUN" = 1 ] && return 0
	rm -f "$(state_file)"
}

# ---- network namespace topology (xdp-tutorial testenv style)
#   host: HOSTIF HOSTIP/24  <-- veth -->  netns NS: PEERIF PEERIP/24
netns_up() { # NS HOSTIF PEERIF HOSTIP PEERIP
	local ns=$1 hif=$2 pif=$3 hip=$4 pip=$5 hmac pmac
	run ip netns add "$ns"
	run ip link add "$hif" type veth peer name "$pif" netns "$ns"
	# No IPv6 DAD and static neighbours: the first packet is not lost to address resolution.
	run sysctl -q -w "net.ipv6.conf.$hif.accept_dad=0"
	run ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$pif.accept_dad=0"
	run ip addr add "$hip/24" dev "$hif"
	run ip -n "$ns" addr add "$pip/24" dev "$pif"
	run ip link set "$hif" up
	run ip -n "$ns" link set "$pif" up
	run ip -n "$ns" link set lo up
	if [ "$DRY_RUN" = 1 ]; then
		hmac=HOST_MAC pmac=PEER_MAC
	else
		hmac=$(cat "/sys/class/net/$hif/address")
		pmac=$(ip netns exec "$ns" cat "/sys/class/net/$pif/address")
	fi
	run ip neigh replace "$pip" lladdr "$pmac" dev "$hif" nud permanent
	run ip -n "$ns" neigh replace "$hip" lladdr "$hmac" dev "$pif" nud permanent
}

netns_exists() { # NS
	local out
	out=$(ip netns list 2>/dev/null) || return 1
	awk '{ print $1 }' <<<"$out" | grep -qxF "$1"
}

netns_down() { # NS HOSTIF
	local ns=$1 hif=$2 pids
	if [ -n "$hif" ] && ip link show "$hif" >/dev/null 2>&1; then
		run_quiet ip link del "$hif"
	elif [ -n "$hif" ]; then
		info "device $hif was already gone"
	fi
	if netns_exists "$ns"; then
		# A namespace with processes in it would linger after `ip netns del`.
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ') || true
		# shellcheck disable=SC2086 # pid list is word-split on purpose
		[ -z "$pids" ] || run_quiet kill -9 $pids
		run_quiet ip netns del "$ns"
	else
		info "network namespace $ns was already gone"
	fi
}

# ---- a dedicated cgroup v2 directory
cgroup_remove() { # PATH: move leftover processes to the parent, then remove
	local cg=$1 pid
	[ -d "$cg" ] || return 0
	while read -r pid; do
		trace sh -c "echo $pid > $(dirname "$cg")/cgroup.procs"
		[ "$DRY_RUN" = 1 ] || echo "$pid" >"$(dirname "$cg")/cgroup.procs" 2>/dev/null || true
	done <"$cg/cgroup.procs"
	run_quiet rmdir "$cg"
}

# ---- XDP attach with the mode that works: native where the driver has it, generic otherwise (lo).
# Sets XDP_MODE to the bpftool attach type used (xdpdrv or xdpgeneric).
xdp_attach() { # PINNED_PROG DEV
	local prog=$1 dev=$2 err
	XDP_MODE=xdpdrv
	trace bpftool net attach xdpdrv pinned "$prog" dev "$dev"
	if [ "$DRY_RUN" = 1 ]; then return 0; fi
	step_pause
	if err=$(bpftool net attach xdpdrv pinned "$prog" dev "$dev" 2>&1); then
		return 0
	fi
	[ "$VERBOSE" = 1 ] && echo "$err" >&2
	case "$err" in
	*"resource busy"* | *EBUSY* | *"File exists"*)
		die "cannot attach XDP to $dev: another XDP program is attached" "see it with: bpftool net show dev $dev" ;;
	*"not supported"*) ;; # the driver has no native XDP (lo, most virtual devices but veth)
	*) die "cannot attach XDP to $dev: $(printf '%s\n' "$err" | grep -v '^Warning\|^If it used\|^$' | tail -n1)" "the kernel's full answer: bpftool net attach xdpdrv pinned $prog dev $dev" ;;
	esac
	info "native XDP not available on $dev, falling back to generic (skb) mode"
	XDP_MODE=xdpgeneric
	run bpftool net attach xdpgeneric pinned "$prog" dev "$dev" ||
		die "cannot attach XDP to $dev in generic mode" "see what is attached: bpftool net show dev $dev"
}

xdp_detach() { # DEV MODE
	ip link show "$1" >/dev/null 2>&1 || return 0
	run_quiet bpftool net detach "$2" dev "$1"
}

# The XDP program id attached to DEV (empty if none).
# A query, safe under `set -euo pipefail` when DEV is gone (teardown calls it on anything).
xdp_prog_id() {
	local out
	out=$(ip -d link show "$1" 2>/dev/null) || return 0
	sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p' <<<"$out" | head -n1
}

# The bpftool attach type of the XDP program on DEV: xdpdrv, xdpgeneric or xdpoffload (empty if none).
xdp_attached_mode() {
	local out
	out=$(ip -d link show "$1" 2>/dev/null) || return 0
	case "$out" in
	*"prog/xdpgeneric "*) echo xdpgeneric ;;
	*"prog/xdpoffload "*) echo xdpoffload ;;
	*"prog/xdp "*) echo xdpdrv ;;
	esac
}

# Remove a lab's pin directory: only pins and the directories holding them. Refuses a
# directory that is not on bpffs (a BPFLAB_PIN pointing at an ordinary file system must never
# lose files), and stays on that one file system.
pins_remove() { # DIR
	local top
	top=$(dirname "$1")
	if [ -d "$1" ]; then
		if [ "$(stat -f -c %T "$1")" != bpf_fs ]; then
			warn "$1 is not on bpffs: not removing it (it holds no pins of bpflab)"
			return 0
		fi
		trace rm -r "$1"
		if [ "$DRY_RUN" != 1 ]; then
			step_pause
			find "$1" -xdev -depth \( -type d -o -type f \) -delete 2>/dev/null || true
		fi
	fi
	# The shared top directory goes too when it is empty and no other lab run is using it
	# (also when DIR was already gone: removed by hand, say).
	[ -d "$top" ] && [ "$(stat -f -c %T "$top")" = bpf_fs ] || return 0
	if [ -z "$(find "$top" -mindepth 1 -maxdepth 1 ! -path "$1" 2>/dev/null)" ] && lab_alone; then
		run_quiet rmdir "$top"
	fi
}
