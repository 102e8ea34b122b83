# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # PINFILL is used by the scripts that source this file
# Helpers for labs built on prog arrays (tail calls, chains): pinfill, pinned ids, a tc
# clsact ingress attachment, and bpf run-time stats. Source after common.sh.
#
#   PINFILL                            path of build/pinfill
#   pinned_id prog|map PATH            id of a pinned program or map (empty if not pinned)
#   prog_array_empty MAP_PIN           delete every occupied slot (pinfill del each)
#   tc_ingress_attach DEV PIN PREF     clsact qdisc (if missing) + direct-action filter
#   tc_qdisc_missing DEV               true when DEV has no clsact qdisc (up will own it)
#   tc_ingress_detach DEV PREF OWNED   remove our filter, and the qdisc if we created it
#   tc_ingress_prog_id DEV PREF        id of the program in our filter (empty if none)
#   bpf_stats_enable / bpf_stats_restore HOLDER   kernel.bpf_stats_enabled (run_cnt/run_time_ns),
#                                      shared by all labs up at once

PINFILL=$BUILD_DIR/pinfill

pinned_id() { # prog|map PATH
	[ -e "$2" ] || return 0
	bpftool -j "$1" show pinned "$2" 2>/dev/null | jq -r '.id // empty'
}

# Before its pins go, empty a prog array by hand: the kernel would flush it when the last user
# reference goes, but the programs in it reference the array back; breaking that cycle
# ourselves does not depend on the deferred flush.
prog_array_empty() { # MAP_PIN
	[ -e "$1" ] || return 0
	run_quiet "$PINFILL" clear "$1"
}

# Our filter is the one at PREF with handle 1: down deletes exactly that (pref and handle
# and kind), never "every filter at a pref" (pref 0 would mean all of them).
TC_HANDLE=1
tc_ingress_attach() { # DEV PIN PREF
	local dev=$1 pin=$2 pref=$3
	! tc_qdisc_missing "$dev" || run tc qdisc add dev "$dev" clsact
	# direct-action: the program's return value is the tc verdict (no separate action).
	run tc filter add dev "$dev" ingress pref "$pref" handle "$TC_HANDLE" bpf direct-action pinned "$pin" ||
		die "cannot attach $pin to tc ingress of $dev" "a filter with pref $pref may exist already: tc filter show dev $dev ingress"
}

tc_qdisc_missing() { # DEV
	local out
	out=$(tc qdisc show dev "$1" 2>/dev/null) || return 0
	! grep -q '^qdisc clsact' <<<"$out"
}

tc_ingress_detach() { # DEV PREF QDISC_OWNED
	local dev=$1 pref=$2 owned=${3:-0}
	ip link show "$dev" >/dev/null 2>&1 || return 0
	if [ "$owned" = 1 ]; then
		run_quiet tc qdisc del dev "$dev" clsact
	else
		run_quiet tc filter del dev "$dev" ingress pref "$pref" handle "$TC_HANDLE" bpf
	fi
}

# Safe under `set -euo pipefail` when DEV is gone.
tc_ingress_prog_id() { # DEV PREF
	local out
	out=$(tc filter show dev "$1" ingress pref "$2" handle "$TC_HANDLE" 2>/dev/null) || return 0
	sed -n "s/.* bpf .* handle 0x$(printf %x "$TC_HANDLE") .* id \([0-9]*\) .*/\1/p" <<<"$out" | head -n1
}

# A pinned map's entries as {"key": value} (bpftool -j puts BTF-typed data under .formatted).
map_json() { # PIN
	bpftool -j map dump pinned "$1" 2>/dev/null | jq -c 'map(.formatted // .) | map({(.key | tostring): (.value // .values)}) | add // {}'
}

# kernel.bpf_stats_enabled is one switch for the whole machine, while several labs (and test
# runs, in sandboxes too) may be up at once: each one registers as a holder; the first sets the
# switch (and remembers its old value), the last one out puts the old value back. Every read
# and write of the registry, and the switch itself, happens under one lock. The registry lives
# in /dev/shm, which sandboxes share with the host (their /run is private; the switch is not).
BPF_STATS_DIR=${BPF_STATS_DIR:-/dev/shm/bpflab-bpfstats}

# The holder's file name: HOLDER (a pin dir) in this mount namespace. Sandboxes share
# /dev/shm but each has its own /sys/fs/bpf/bpflab/chain: the namespace keeps them apart.
bpf_stats_holder() { # HOLDER
	local ns
	ns=$(readlink /proc/self/ns/mnt 2>/dev/null) || ns=
	echo "${ns//[^0-9]/}${1//\//_}"
}

bpf_stats_enable() { # HOLDER (a name unique to this lab instance, e.g. its pin dir)
	local holder
	holder=$(bpf_stats_holder "$1")
	trace sysctl -q -w kernel.bpf_stats_enabled=1
	[ "$DRY_RUN" = 1 ] && return 0
	step_pause
	mkdir -p "$BPF_STATS_DIR/holders"
	{
		flock 9
		if [ -z "$(ls -A "$BPF_STATS_DIR/holders")" ]; then
			sysctl -n kernel.bpf_stats_enabled >"$BPF_STATS_DIR/orig" 2>/dev/null || echo 0 >"$BPF_STATS_DIR/orig"
		fi
		: >"$BPF_STATS_DIR/holders/$holder"
		sysctl -q -w kernel.bpf_stats_enabled=1
	} 9>"$BPF_STATS_DIR/lock"
}

# Only the last holder out puts the switch back, and only then is the command shown
# (--dry-run shows what a real run would do).
bpf_stats_restore() { # HOLDER
	local holder others
	holder=$(bpf_stats_holder "$1")
	[ -e "$BPF_STATS_DIR/holders/$holder" ] || return 0
	{
		flock 9
		others=$(find "$BPF_STATS_DIR/holders" -mindepth 1 ! -name "$holder")
		if [ -z "$others" ]; then
			run_quiet sysctl -q -w "kernel.bpf_stats_enabled=$(cat "$BPF_STATS_DIR/orig" 2>/dev/null || echo 0)"
			[ "$DRY_RUN" = 1 ] || rm -f "$BPF_STATS_DIR/orig"
		fi
		[ "$DRY_RUN" = 1 ] || rm -f "$BPF_STATS_DIR/holders/$holder"
	} 9>"$BPF_STATS_DIR/lock"
}
