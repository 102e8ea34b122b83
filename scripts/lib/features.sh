# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # FEAT_* are read by the scripts that source this file
# Feature probes: one place that asks the kernel "does X work here?", for scripts/doctor.sh
# and for labs that fail early with the same words. Source after common.sh and tracing.sh.
#
# Each feat_* function returns 0 when the feature works and sets FEAT_REASON to what was
# found: on failure the kernel's own refusal (EPERM, "no kprobe PMU", ...). Probes that need
# a built object say "not probed" (status 2) when it is missing. Probe commands are traced
# like every other command; their output is shown only with -v.

# The error line of a failed command, without the tool's "name: error: " prefix.
feat_first_error() {
	sed -n 's/^[a-z_]*: error: //p; s/^libbpf: .*load failed: //p' | head -n1
}

# Run a probe command (traced, paused with --step); its output is in FEAT_OUT.
feat_run() {
	trace "$@"
	step_pause
	if FEAT_OUT=$("$@" 2>&1); then
		return 0
	fi
	[ "$VERBOSE" != 1 ] || echo "$FEAT_OUT" >&2
	return 1
}

# FEAT_REASON from a failed command's output, with the errno name when there is one.
# iproute2 says the kernel's answer first ("RTNETLINK answers: ..."), then a generic line.
feat_refusal() { # PREFIX
	local err name
	err=$(feat_first_error <<<"$FEAT_OUT")
	[ -n "$err" ] || err=$(sed -n 's/^RTNETLINK answers: //p; s/^Error: //p' <<<"$FEAT_OUT" | head -n1)
	[ -n "$err" ] || err=$(grep -v '^$' <<<"$FEAT_OUT" | tail -n1)
	name=$(errno_name "$err")
	FEAT_REASON="$1${name:+$name (}$err${name:+)}"
}

feat_need_built() { # FILE...
	local f
	for f in "$@"; do
		[ -e "$f" ] || {
			FEAT_REASON="not probed: $f is missing (run make)"
			return 2
		}
	done
}

# ---- tracing hooks (the bpf2bpf lab's three paths)
feat_kprobe() { # [FUNC...]  attachable through the kprobe PMU
	local fn
	feat_need_built "$BUILD_DIR/linkpin" || return
	[ $# -gt 0 ] || set -- tcp_connect
	for fn in "$@"; do
		feat_run "$BUILD_DIR/linkpin" probe kprobe "$fn" || {
			FEAT_REASON=$(feat_first_error <<<"$FEAT_OUT")
			return 1
		}
	done
	FEAT_REASON="$* can be probed (kprobe PMU)"
}

feat_tracepoint() { # [GROUP:NAME]
	local tp=${1:-sock:inet_sock_set_state}
	feat_need_built "$BUILD_DIR/linkpin" || return
	feat_run "$BUILD_DIR/linkpin" probe tracepoint "$tp" || {
		FEAT_REASON=$(feat_first_error <<<"$FEAT_OUT")
		return 1
	}
	FEAT_REASON="$tp exists"
}

# fentry cannot be probed without loading a program: load the bpf2bpf lab's fentry pair into
# DIR (bpftool loadall ARGS may share maps). Kept when it works; DIR removed when not.
FEAT_FENTRY_OBJ=$BUILD_DIR/conn_trace_fentry.bpf.o
feat_fentry_load() { # DIR [bpftool loadall extra args...]
	local dir=$1
	shift
	feat_need_built "$FEAT_FENTRY_OBJ" || return
	if feat_run bpftool prog loadall "$FEAT_FENTRY_OBJ" "$dir" "$@"; then
		FEAT_REASON="fentry programs load (BPF trampolines work)"
		return 0
	fi
	run_quiet rm -rf "$dir"
	feat_refusal "load failed: "
	[[ $FEAT_REASON != *EPERM* ]] || FEAT_REASON+=" - no BPF trampolines here (lockdown, or no JIT/ftrace support)"
	return 1
}

# ---- what `bpftool feature probe kernel` says (the kernel loads a tiny program/map of each type)
FEAT_KERNEL_JSON=""
feat_kernel_probe() {
	[ -z "$FEAT_KERNEL_JSON" ] || return 0
	trace bpftool -j feature probe kernel
	FEAT_KERNEL_JSON=$(bpftool -j feature probe kernel 2>/dev/null) || FEAT_KERNEL_JSON='{}'
}
feat_map_type() { # TYPE (prog_array, array_of_maps, sockhash, perf_event_array, ringbuf, ...)
	feat_kernel_probe
	if [ "$(jq -r --arg k "have_${1}_map_type" '.map_types[$k] // false' <<<"$FEAT_KERNEL_JSON")" = true ]; then
		FEAT_REASON="map type $1 can be created"
		return 0
	fi
	FEAT_REASON="the kernel refuses to create a $1 map (bpftool feature probe kernel)"
	return 1
}
feat_prog_type() { # TYPE (xdp, sched_cls, sk_msg, sock_ops, tracepoint, kprobe, tracing, ext)
	feat_kernel_probe
	if [ "$(jq -r --arg k "have_${1}_prog_type" '.program_types[$k] // false' <<<"$FEAT_KERNEL_JSON")" = true ]; then
		FEAT_REASON="program type $1 loads"
		return 0
	fi
	FEAT_REASON="the kernel refuses to load a $1 program (bpftool feature probe kernel)"
	return 1
}

# ---- attach probes on a veth pair in a private network namespace (gone when the probe ends)
# Runs once; FEAT_NET holds one "NAME ok|no DETAIL" line per attach kind: xdpdrv xdpgeneric
# clsact test_run. Programs are pinned under DIR (on bpffs) and removed by the caller.
FEAT_NET=""
feat_net_probe() { # DIR
	local dir=$1 frame
	[ -z "$FEAT_NET" ] || return 0
	if ! feat_need_built "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BUILD_DIR/tailcall.bpf.o"; then
		FEAT_NET="all no $FEAT_REASON"
		return 0
	fi
	frame=$(mktemp)
	head -c 64 /dev/zero >"$frame"
	run mkdir -p "$dir"
	# Each step prints its own result line (and its trace on fd 3); a failure does not stop
	# the next. The veth pair and the namespace vanish when the inner bash exits.
	trace unshare --net bash -c "(veth pair; XDP native, generic, test run; clsact probes)"
	step_pause
	# shellcheck disable=SC2016 # expanded by the inner bash
	FEAT_OUT=$(unshare --net bash -c '
		t() { local q; printf -v q "%q " "$@"; echo "+   ${q% }" >&3; }
		p() { local n=$1 o; shift; t "$@"; if o=$("$@" 2>&1); then echo "$n ok $5"; else echo "$n no $(echo "$o" | grep -v "^$" | tail -n1)"; fi; }
		t ip link add bpflabd0 type veth peer name bpflabd1
		ip link add bpflabd0 type veth peer name bpflabd1 && ip link set bpflabd0 up && ip link set bpflabd1 up
		t bpftool prog load "$1" "$3/xdp"
		bpftool prog load "$1" "$3/xdp" 2>&1 || exit 1
		p xdpdrv bpftool net attach xdpdrv pinned "$3/xdp" dev bpflabd0
		p xdpgeneric bpftool net attach xdpgeneric pinned "$3/xdp" dev bpflabd1
		p test_run bpftool prog run pinned "$3/xdp" data_in "$4" repeat 1
		t bpftool prog loadall "$2" "$3/tc"
		bpftool prog loadall "$2" "$3/tc" >/dev/null 2>&1
		p clsact tc qdisc add dev bpflabd0 clsact
		p clsact_filter tc filter add dev bpflabd0 ingress pref 1 bpf direct-action pinned "$3/tc/classifier_0"
		exit 0' _ "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BUILD_DIR/tailcall.bpf.o" "$dir" "$frame" 3>&2 2>&1) || true
	rm -f "$frame"
	[ "$VERBOSE" != 1 ] || echo "$FEAT_OUT" >&2
	FEAT_NET=$(grep -E '^(xdpdrv|xdpgeneric|test_run|clsact|clsact_filter) ' <<<"$FEAT_OUT") ||
		FEAT_NET="all no cannot load build/xdp_drop_ping.bpf.o: $(feat_first_error <<<"$FEAT_OUT")"
}
feat_net() { # DIR xdpdrv|xdpgeneric|test_run|clsact
	local line kind=$2 what
	feat_net_probe "$1"
	# clsact works only when both the qdisc and the filter did.
	[ "$kind" != clsact ] || ! grep -q '^clsact ok' <<<"$FEAT_NET" || kind=clsact_filter
	line=$(grep -E "^($kind|all) " <<<"$FEAT_NET" | head -n1)
	case $2 in
	xdpdrv) what="native (driver) XDP attaches to a veth" ;;
	xdpgeneric) what="generic (skb) XDP attaches" ;;
	test_run) what="BPF_PROG_TEST_RUN runs an XDP program on a frame" ;;
	clsact) what="a direct-action BPF filter attaches at clsact ingress" ;;
	esac
	if [[ $line == "$kind ok"* ]]; then
		FEAT_REASON=$what
		return 0
	fi
	FEAT_REASON=${line#* no }
	FEAT_REASON=${FEAT_REASON:-not probed}
	return 1
}

# ---- tunnels the GLB lab's backends decapsulate with (in a private network namespace)
feat_fou() {
	if feat_run unshare --net ip fou add port 5555 gue; then
		FEAT_REASON="ip fou add works (GUE decapsulation in the kernel)"
		return 0
	fi
	feat_refusal "ip fou add: "
	[[ $FEAT_REASON == *ENOENT* ]] || return 1
	# Debian's 6.1 builds fou as a module without the genetlink alias that would autoload it:
	# `ip fou add` says ENOENT until someone runs `modprobe fou`.
	if modinfo -n fou >/dev/null 2>&1; then
		FEAT_REASON="fou is a module here, not loaded: 'ip fou add' works after 'modprobe fou'"
		return 0
	fi
	FEAT_REASON+=" - no FOU in this kernel (CONFIG_NET_FOU)"
	return 1
}
feat_ipip() {
	if feat_run unshare --net ip link add bpflabt0 type ipip local 198.18.0.1 remote 198.18.0.2; then
		FEAT_REASON="ipip tunnels can be created"
		return 0
	fi
	feat_refusal "ip link add type ipip: "
	return 1
}

# A lab's `up` fails early, with the doctor's words, when FEATURE does not work here.
feat_need() { # FEATURE-FUNCTION [ARGS...]
	"feat_$1" "${@:2}" && return 0
	die "this kernel cannot run this: $1: $FEAT_REASON" "scripts/doctor.sh lists what works here and why"
}
