#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# doctor: what this kernel lets bpflab do, and why not the rest. Every probe asks the kernel
# itself (scripts/lib/features.sh, the same probes the labs use to fail early): attach probes
# run on a veth pair in a private network namespace, probe programs are pinned under a
# private bpffs directory, and both are gone when doctor ends.
set -euo pipefail

PROG=doctor.sh
LAB=doctor
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

usage() {
	cat <<EOF
Usage: $PROG [--json] [-v]

Checks the kernel (BTF, bpffs, JIT, cgroup2, lockdown) and each BPF feature the labs use
(XDP native/generic, tc clsact, prog arrays, array-of-maps, sockhash + sk_msg, perf event
array, ring buffer, tracepoints, kprobes, fentry/freplace, BPF_PROG_TEST_RUN, FOU, IPIP),
then says which labs and attach paths run here, and why the others do not.

Options:
  --json          one JSON object on stdout
  -v, --verbose   show the output of probes that fail
  -h, --help      this help
EOF
}

OPT_JSON=0
ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--json) OPT_JSON=1 ;;
	--step | --dry-run) usage_error "$1: doctor only probes (it changes nothing that outlives it)" ;;
	*) parse_common_opt "$1" || usage_error "unknown argument '$1'" ;;
	esac
	shift
done
need_root "${ARGS[@]}"
check_prereq bpftool:bpftool jq:jq ip:iproute2 tc:iproute2 unshare:util-linux

# Scratch pins for the probes, on this bpffs; removed on every exit.
SCRATCH=$BPFLAB_PIN-doctor-$$
trap 'rm -rf "$SCRATCH"; rmdir "$BPFLAB_PIN" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# Results: "SECTION<TAB>NAME<TAB>ok|no|skip<TAB>DETAIL" lines.
RESULTS=""
declare -A OK=()
result() { # SECTION NAME STATE DETAIL
	RESULTS+="$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\n'
	[ "$3" != ok ] || OK[$2]=1
}
# Record a probe: ok on status 0, skip on 2 (not probed), no otherwise.
probe() { # SECTION NAME FUNCTION [ARGS...]
	local s=0
	FEAT_REASON=""
	"${@:3}" || s=$?
	case $s in
	0) result "$1" "$2" ok "$FEAT_REASON" ;;
	2) result "$1" "$2" skip "$FEAT_REASON" ;;
	*) result "$1" "$2" no "$FEAT_REASON" ;;
	esac
}
# Pseudo-probes for the system section: a test and the detail to print.
sys_check() { # NAME DETAIL_OK DETAIL_NO TEST...
	if "${@:4}"; then result system "$1" ok "$2"; else result system "$1" no "$3"; fi
}

# ---- system
KERNEL="$(uname -r) ($(uname -m))"
result system kernel ok "$KERNEL"
sys_check btf "$BPFLAB_BTF" "$BPFLAB_BTF missing: no CO-RE (CONFIG_DEBUG_INFO_BTF)" test -r "$BPFLAB_BTF"
bpffs=$(awk '$3 == "bpf" { print $2; exit }' /proc/mounts)
sys_check bpffs "mounted on $bpffs" "not mounted (mount -t bpf bpf /sys/fs/bpf; scripts/deps.sh does)" test -n "$bpffs"
jit=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo "?")
sys_check jit "bpf_jit_enable=$jit" "bpf_jit_enable=$jit: programs run in the interpreter" test "$jit" != 0 -a "$jit" != "?"
cg=$(cgroup2_root)
sys_check cgroup2 "mounted on $cg" "no cgroup2 mount (sock_ops needs cgroup v2)" test -n "$cg"
ld=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null || true)
if [ -z "$ld" ]; then
	result system lockdown skip "unknown (/sys/kernel/security/lockdown not readable: no securityfs or no lockdown LSM)"
elif [ "$ld" = none ]; then
	result system lockdown ok "none"
else
	result system lockdown no "$ld: the kernel refuses what could read or change kernel memory (kprobes, fentry, ...)"
fi
tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
sys_check tracefs "mounted on $tracefs" "not mounted (the labs mount it: mount -t tracefs tracefs /sys/kernel/tracing)" test -n "$tracefs"

# ---- features
if [ -n "$bpffs" ]; then
	probe feature xdp_native feat_net "$SCRATCH/net" xdpdrv
	probe feature xdp_generic feat_net "$SCRATCH/net" xdpgeneric
	probe feature tc_clsact feat_net "$SCRATCH/net" clsact
	probe feature test_run feat_net "$SCRATCH/net" test_run
else
	for f in xdp_native xdp_generic tc_clsact test_run; do result feature "$f" skip "not probed: no bpffs"; done
fi
probe feature prog_array feat_map_type prog_array
probe feature array_of_maps feat_map_type array_of_maps
sockhash_skmsg() { feat_map_type sockhash && feat_prog_type sk_msg && feat_prog_type sock_ops && FEAT_REASON="sockhash maps, sk_msg and sock_ops programs load"; }
probe feature sockhash_skmsg sockhash_skmsg
probe feature perf_event_array feat_map_type perf_event_array
probe feature ringbuf feat_map_type ringbuf
probe feature tracepoint feat_tracepoint sock:inet_sock_set_state
probe feature kprobe feat_kprobe tcp_connect
# freplace needs the same BPF trampolines as fentry: one probe answers both.
if [ -n "$bpffs" ]; then
	probe feature fentry_freplace feat_fentry_load "$SCRATCH/fentry"
else
	result feature fentry_freplace skip "not probed: no bpffs"
fi
probe feature fou feat_fou
probe feature ipip feat_ipip

# ---- labs and attach paths: what runs here, and the first missing feature when not
why_not() { # FEATURE... -> prints the first that is not ok, with its reason
	local f
	for f in "$@"; do
		[ -n "${OK[$f]:-}" ] || {
			awk -F'\t' -v n="$f" '$2 == n { print n ": " $4; exit }' <<<"$RESULTS"
			return 0
		}
	done
}
need() { # SECTION NAME WHAT FEATURE...  (FEATURE "a|b": either)
	local sec=$1 name=$2 what=$3 f alt miss=()
	shift 3
	for f in "$@"; do
		if [[ $f == *"|"* ]]; then
			alt=0
			for a in ${f//|/ }; do [ -z "${OK[$a]:-}" ] || alt=1; done
			[ "$alt" = 1 ] || miss+=("${f%%|*}")
		elif [ -z "${OK[$f]:-}" ]; then
			miss+=("$f")
		fi
	done
	if [ ${#miss[@]} = 0 ]; then
		result "$sec" "$name" ok "$what"
	else
		result "$sec" "$name" no "$(why_not "${miss[@]}")"
	fi
}
need lab lab2 "XDP on a veth, sock_ops + sk_msg redirect" "xdp_native|xdp_generic" sockhash_skmsg cgroup2
need lab tailcall "tc clsact + prog array" tc_clsact prog_array test_run
need lab chain "XDP chain over a prog array" "xdp_native|xdp_generic" prog_array test_run
need lab xdpcap "capture hook (prog array) + perf event array" "xdp_native|xdp_generic" prog_array perf_event_array
need lab glb "GLB forwarder (array of maps)" "xdp_native|xdp_generic" array_of_maps test_run
need lab bpf2bpf "connection events (kprobe, fentry or tracepoint)" "kprobe|fentry_freplace|tracepoint" perf_event_array
need path "bpf2bpf kprobe" "k_tcp_connect/k_hashdance on kprobes (the source's own demo)" kprobe
need path "bpf2bpf fentry" "f_tcp_connect/f_hashdance on fentry" fentry_freplace
need path "bpf2bpf tracepoint" "sock:inet_sock_set_state" tracepoint
need path "xdp native (veth)" "driver mode" xdp_native
need path "xdp generic (lo)" "skb mode" xdp_generic
need path "glb FOU interop" "GUE decapsulated by Linux FOU in a backend" fou
need path "libxdp dispatcher" "xdp-loader load of several programs (freplace)" fentry_freplace
need path "xdpdump" "fentry/fexit around the XDP program" fentry_freplace

if [ "$OPT_JSON" = 1 ]; then
	jq -Rn '[inputs | select(length > 0) | split("\t") | {section: .[0], name: .[1], state: .[2], detail: .[3]}]
		| {kernel: (map(select(.name == "kernel"))[0].detail),
		   system: (map(select(.section == "system")) | map({(.name): {state, detail}}) | add),
		   features: (map(select(.section == "feature")) | map({(.name): {state, detail}}) | add),
		   labs: (map(select(.section == "lab")) | map({(.name): {state, detail}}) | add),
		   paths: (map(select(.section == "path")) | map({(.name): {state, detail}}) | add)}' <<<"$RESULTS"
	exit 0
fi
section() {
	echo "$1"
	awk -F'\t' -v s="$2" '$1 == s { printf "  %-4s %-20s %s\n", $3, $2, $4 }' <<<"$RESULTS"
}
echo "bpflab doctor: kernel $KERNEL"
section "system:" system
section "features:" feature
section "labs (runs here, or the first missing feature):" lab
section "attach paths and peers:" path
