#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bpf2bpf lab: two programs share one __noinline subprogram, handle_new_connection(), that
# reports every new TCP connection through the perf event array `events`.
#
#   connect() ---> [k_tcp_connect | f_tcp_connect | tp_conn_out] --call--+
#                                                                        +--> handle_new_connection()
#   accept side -> [k_hashdance   | f_hashdance   | tp_conn_in ] --call--+        |
#                                                                     perf_event_output
#                                                                                 v
#                                  build/conn_events <--- ${BPFLAB_PIN}/bpf2bpf/events
#
# up picks the first hook kind the kernel allows: kprobe, then fentry, then the
# sock:inet_sock_set_state tracepoint. Programs are loaded and pinned by bpftool; build/linkpin
# attaches a pinned program and pins the link (bpftool 7.1 cannot attach these), so `down`
# detaches by removing the link pins.
set -euo pipefail

PROG=bpf2bpf.sh
LAB=bpf2bpf
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

OBJ=$BUILD_DIR/conn_trace.bpf.o
OBJ_INLINE=$BUILD_DIR/conn_trace_inline.bpf.o
OBJ_FENTRY=$BUILD_DIR/conn_trace_fentry.bpf.o
LINKPIN=$BUILD_DIR/linkpin
CONN_EVENTS=$BUILD_DIR/conn_events
TP=sock:inet_sock_set_state
# Programs of build/conn_trace.bpf.o, in `compare` order.
PROGS=(k_tcp_connect k_hashdance tp_conn_out tp_conn_in)

usage() {
	cat <<EOF
Usage: $PROG [options] up|down|status|watch|compare

  up        load and pin build/conn_trace.bpf.o, probe kprobe -> fentry -> tracepoint,
            attach the first pair that works and pin its links (idempotent)
  down      detach (remove the link pins) and remove every pin up made (idempotent)
  status    what is pinned and attached, and which hook was chosen (--json for JSON)
  watch     print new TCP connections until Ctrl-C (build/conn_events on the pinned map)
  compare   load the __noinline and the always_inline build side by side and print ELF
            sizes, xlated/JIT sizes, verifier-processed insns and the bpf2bpf call lines

Options:
  --hook kprobe|fentry|tracepoint   use this hook kind only (up fails if the kernel refuses it)
  --json          status / watch output as JSON
  --count N       watch: stop after N events
  --timeout SECS  watch: stop after SECS seconds
  --step          pause before each command
  --dry-run       print the commands, change nothing
  -v, --verbose   show the output of probes that fail
  -h, --help      this help

Environment: BPFLAB_PIN (pin root, default /sys/fs/bpf/bpflab; pins go to \$BPFLAB_PIN/bpf2bpf).
EOF
}

PIN=$(pin_dir)
P_EVENTS=$PIN/events
P_LINK_OUT=$PIN/link_out
P_LINK_IN=$PIN/link_in

is_up() {
	state_load && [ "${COMPLETE:-0}" = 1 ] && [ -e "$P_LINK_OUT" ] && [ -e "$P_LINK_IN" ]
}

# ---- hook probes: each sets REASON and returns non-zero when the hook cannot be used.
# The error line of a failed command, without the tool's "name: error: " prefix.
first_error() {
	sed -n 's/^[a-z_]*: error: //p; s/^libbpf: .*load failed: //p' | head -n1
}

probe_kprobe() {
	local fn out
	for fn in tcp_connect inet_csk_complete_hashdance; do
		trace "$LINKPIN" probe kprobe "$fn"
		step_pause
		if ! out=$("$LINKPIN" probe kprobe "$fn" 2>&1); then
			[ "$VERBOSE" = 1 ] && echo "$out" >&2
			REASON=$(first_error <<<"$out")
			return 1
		fi
	done
}

# fentry cannot be probed without loading: load the fentry pair for real, sharing the pinned
# `events` map (kept if it works, removed if not).
FENTRY_LOAD=(bpftool prog loadall "$OBJ_FENTRY" "$PIN/fentry" map name events pinned "$P_EVENTS")
probe_fentry() {
	local out err name
	trace "${FENTRY_LOAD[@]}"
	step_pause
	if out=$("${FENTRY_LOAD[@]}" 2>&1); then
		return 0
	fi
	[ "$VERBOSE" = 1 ] && echo "$out" >&2
	run_quiet rm -rf "$PIN/fentry"
	err=$(first_error <<<"$out")
	[ -n "$err" ] || err=$(tail -n1 <<<"$out")
	name=$(errno_name "$err")
	REASON="load failed: ${name:+$name (}$err${name:+)}"
	[ "$name" != EPERM ] || REASON+=" - no BPF trampolines here (lockdown, or no JIT/ftrace support)"
	return 1
}

probe_tracepoint() {
	local out
	trace "$LINKPIN" probe tracepoint "$TP"
	step_pause
	if ! out=$("$LINKPIN" probe tracepoint "$TP" 2>&1); then
		[ "$VERBOSE" = 1 ] && echo "$out" >&2
		REASON=$(first_error <<<"$out")
		return 1
	fi
}

# Sets HOOK to the first hook kind that works (or OPT_HOOK), printing each decision.
choose_hook() {
	local kind
	HOOK=
	echo "probing hooks (kprobe, then fentry, then tracepoint):"
	for kind in kprobe fentry tracepoint; do
		if [ -n "$HOOK" ] || { [ -n "$OPT_HOOK" ] && [ "$OPT_HOOK" != "$kind" ]; }; then
			printf '  %-11s not probed (%s)\n' "$kind:" "${HOOK:+$HOOK chosen}${HOOK:-not asked for with --hook}"
			continue
		fi
		if [ "$DRY_RUN" = 1 ]; then
			# Probes load and attach for real: in a dry run, show the path of the asked (or usual) hook.
			if [ "$kind" = "${OPT_HOOK:-tracepoint}" ]; then
				HOOK=$kind
				printf '  %-11s chosen (dry run: probes not run)\n' "$kind:"
			else
				case $kind in
				kprobe) trace "$LINKPIN" probe kprobe tcp_connect ;;
				fentry) trace "${FENTRY_LOAD[@]}" ;;
				tracepoint) trace "$LINKPIN" probe tracepoint "$TP" ;;
				esac
			fi
			continue
		fi
		REASON=
		if "probe_$kind"; then
			HOOK=$kind
			case $kind in
			kprobe) REASON="tcp_connect and inet_csk_complete_hashdance can be probed" ;;
			fentry) REASON="the fentry pair loaded (BPF trampolines work)" ;;
			tracepoint) REASON="$TP exists (SYN_SENT->ESTABLISHED out, SYN_RECV->ESTABLISHED in)" ;;
			esac
			printf '  %-11s chosen: %s\n' "$kind:" "$REASON"
		else
			printf '  %-11s not used: %s\n' "$kind:" "$REASON"
		fi
	done
	[ -n "$HOOK" ] || die "no usable hook for the connection programs${OPT_HOOK:+ (--hook $OPT_HOOK)}" \
		"kprobes need CONFIG_KPROBE_EVENTS, fentry needs BPF trampolines, the tracepoint needs tracefs"
}

attach_hook() {
	case $HOOK in
	kprobe)
		run "$LINKPIN" kprobe "$PIN/k_tcp_connect" tcp_connect "$P_LINK_OUT"
		run "$LINKPIN" kprobe "$PIN/k_hashdance" inet_csk_complete_hashdance "$P_LINK_IN"
		;;
	fentry)
		run "$LINKPIN" fentry "$PIN/fentry/f_tcp_connect" "$P_LINK_OUT"
		run "$LINKPIN" fentry "$PIN/fentry/f_hashdance" "$P_LINK_IN"
		;;
	tracepoint)
		run "$LINKPIN" tracepoint "$PIN/tp_conn_out" "$TP" "$P_LINK_OUT"
		run "$LINKPIN" tracepoint "$PIN/tp_conn_in" "$TP" "$P_LINK_IN"
		;;
	esac
}

cmd_up() {
	need_root up "${ARGS[@]}"
	check_prereq bpftool:bpftool
	check_btf
	check_bpffs
	check_built "$OBJ" "$OBJ_FENTRY" "$LINKPIN" "$CONN_EVENTS"
	# No device or netns in this lab: only pins, links and the state file.
	DEV="" NS=""
	lab_up_begin || return 0
	tracefs_ensure

	# From here on, any exit before the end (error, die, Ctrl-C) rolls back whatever was made.
	lab_up_rollback_on_failure
	run mkdir -p "$PIN"
	# The kprobe and tracepoint pairs load everywhere (loading needs no kprobe support);
	# pinmaps pins `events` by its map name for conn_events and the fentry pair.
	run bpftool prog loadall "$OBJ" "$PIN" pinmaps "$PIN"
	choose_hook
	state_set HOOK "$HOOK"
	attach_hook
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "bpf2bpf is up: hook $HOOK, links pinned at $P_LINK_OUT and $P_LINK_IN"
	echo "  watch connections: $PROG watch      (or: $CONN_EVENTS $P_EVENTS)"
	echo "  see the call:      bpftool prog dump xlated pinned $PIN/${PROGS[2]} | grep 'call pc'"
}

cmd_down() {
	need_root down "${ARGS[@]}"
	local had_state=0 l
	lab_down_begin && had_state=1
	# Removing a link pin drops the last reference to the link: that is the detach.
	for l in "$P_LINK_OUT" "$P_LINK_IN"; do
		[ ! -e "$l" ] || run_quiet rm -f "$l"
	done
	lab_down_finish "$had_state"
}

# JSON of the program or link pinned at PATH ("null" if none).
pinned_json() { # prog|link PATH
	[ -e "$2" ] || {
		echo null
		return
	}
	bpftool -j "$1" show pinned "$2" 2>/dev/null || echo null
}

cmd_status() {
	need_root status "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	local up=false p progs="[]" links="[]"
	state_load || true
	is_up && up=true
	for p in "$PIN"/* "$PIN"/fentry/*; do
		if [ ! -e "$p" ] || [ -d "$p" ]; then continue; fi
		case $p in
		"$P_EVENTS") ;;
		"$P_LINK_OUT" | "$P_LINK_IN") links=$(jq -c --arg pin "$p" --argjson o "$(pinned_json link "$p")" '. + [{pin: $pin} + $o]' <<<"$links") ;;
		*) progs=$(jq -c --arg pin "$p" --argjson o "$(pinned_json prog "$p")" '. + [{pin: $pin} + $o]' <<<"$progs") ;;
		esac
	done
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg hook "${HOOK:-}" --argjson progs "$progs" \
			--argjson links "$links" --argjson events "$(pinned_json map "$P_EVENTS")" \
			'{up: $up, pin_dir: $pin, hook: (if $hook == "" then null else $hook end),
			  programs: [$progs[] | {name, id, type, pin}], links: [$links[] | {pin, id, prog_id, type}],
			  events: (if $events == null then null else {id: $events.id, type: $events.type} end)}'
		return 0
	fi
	echo "bpf2bpf: $([ "$up" = true ] && echo "up, hook ${HOOK:-?}" || echo down)  (pins: $PIN)"
	[ -e "$PIN" ] || return 0
	echo "--- pinned programs (each carries its own copy of handle_new_connection after load)"
	for p in $(jq -r '.[].pin' <<<"$progs"); do run bpftool prog show pinned "$p"; done
	echo "--- links (rm the pin to detach)"
	for p in $(jq -r '.[].pin' <<<"$links"); do run bpftool link show pinned "$p"; done
	[ ! -e "$P_EVENTS" ] || {
		echo "--- events map"
		run bpftool map show pinned "$P_EVENTS"
	}
}

cmd_watch() {
	need_root watch "${ARGS[@]}"
	check_built "$CONN_EVENTS"
	[ -e "$P_EVENTS" ] || [ "$DRY_RUN" = 1 ] || die "$P_EVENTS is not pinned" "run: $PROG up"
	is_up || [ "$DRY_RUN" = 1 ] || warn "the programs are not attached (up incomplete?): no events will come"
	run "$CONN_EVENTS" "${WATCH_ARGS[@]}" "$P_EVENTS"
}

# ---- compare: the measured version of "bpf2bpf keeps one copy of the function".
CMP_DIR=$PIN/compare

compare_cleanup() {
	STEP=0 run_quiet rm -rf "$CMP_DIR"
	rm -rf "${CMP_TMP:-}"
	# Leave the lab's own pin dir if it is up; remove it and the root when compare made them.
	rmdir "$PIN" 2>/dev/null || true
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
}

# Section size in bytes from `llvm-objdump -h` (hex there).
elf_section_bytes() { # OBJ SECTION
	local hex
	hex=$(llvm-objdump -h "$1" | awk -v s="$2" '$2 == s { print $3; exit }')
	echo $((16#${hex:-0}))
}

# Bytes of all executable sections (programs + .text).
elf_code_bytes() { # OBJ
	local hex sum=0
	for hex in $(llvm-objdump -h "$1" | awk '$NF == "TEXT" { print $3 }'); do
		sum=$((sum + 16#$hex))
	done
	echo "$sum"
}

# Instructions of function NAME in the ELF (symbol size / 8 bytes per insn).
elf_func_insns() { # OBJ NAME
	llvm-readelf -s "$1" | awk -v f="$2" '$4 == "FUNC" && $8 == f { print $3 / 8; exit }'
}

# Verifier "processed N insns" for program NAME in a `bpftool -d prog loadall` log.
verified_insns() { # LOG NAME
	awk -v p="prog '$2':" 'index($0, p) && /BEGIN PROG LOAD LOG/ { on = 1 }
		on && /^processed [0-9]+ insns/ { print $2; exit }' "$1"
}

stack_depth() { # LOG NAME
	awk -v p="prog '$2':" 'index($0, p) && /BEGIN PROG LOAD LOG/ { on = 1 }
		on && /^stack depth/ { print $3; exit }' "$1"
}

row() { printf '%-15s %-24s %14s %14s\n' "$@"; }

cmd_compare() {
	need_root compare "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq llvm-objdump:llvm llvm-readelf:llvm
	check_bpffs
	check_built "$OBJ" "$OBJ_INLINE"
	local v p
	CMP_TMP=$(mktemp -d)
	if [ "$DRY_RUN" = 1 ]; then
		trap 'rm -rf "$CMP_TMP"' EXIT
	else
		trap compare_cleanup EXIT
		trap 'exit 1' INT TERM
		[ ! -e "$CMP_DIR" ] || run rm -rf "$CMP_DIR"
	fi
	run mkdir -p "$CMP_DIR"
	for v in noinline inline; do
		local o=$OBJ
		[ $v = noinline ] || o=$OBJ_INLINE
		trace llvm-objdump -h "$o"
		# -d: libbpf debug output including each program's verifier log.
		trace bpftool -d prog loadall "$o" "$CMP_DIR/$v" pinmaps "$CMP_DIR/$v"
		[ "$DRY_RUN" = 1 ] && continue
		step_pause
		bpftool -d prog loadall "$o" "$CMP_DIR/$v" pinmaps "$CMP_DIR/$v" >"$CMP_TMP/$v.log" 2>&1 ||
			die "cannot load $o: $(grep -m1 -i 'error' "$CMP_TMP/$v.log")" "run with the same command by hand to see the verifier log"
		for p in "${PROGS[@]}"; do
			bpftool -j prog show pinned "$CMP_DIR/$v/$p" >"$CMP_TMP/$v.$p.json"
			bpftool prog dump xlated pinned "$CMP_DIR/$v/$p" >"$CMP_TMP/$v.$p.xlated"
		done
	done
	for p in "${PROGS[@]}"; do trace bpftool prog dump xlated pinned "$CMP_DIR/noinline/$p"; done
	[ "$DRY_RUN" = 1 ] && return 0

	echo
	echo "build/conn_trace.bpf.o (__noinline)  vs  build/conn_trace_inline.bpf.o (always_inline)"
	echo
	row "program" "measure" "__noinline" "always_inline"
	row "---------------" "------------------------" "--------------" "--------------"
	row "(object)" "ELF .text bytes" "$(elf_section_bytes "$OBJ" .text)" "$(elf_section_bytes "$OBJ_INLINE" .text)"
	row "(object)" "ELF code bytes, all" "$(elf_code_bytes "$OBJ")" "$(elf_code_bytes "$OBJ_INLINE")"
	row "(object)" "ELF file bytes" "$(stat -c %s "$OBJ")" "$(stat -c %s "$OBJ_INLINE")"
	row "(.text)" "ELF insns, subprogram" "$(elf_func_insns "$OBJ" handle_new_connection)" "-"
	local t_x=(0 0) t_j=(0 0) t_v=(0 0) i x j
	for p in "${PROGS[@]}"; do
		local xs=() js=() vs=() es=() ss=()
		i=0
		for v in noinline inline; do
			x=$(jq '.bytes_xlated / 8' "$CMP_TMP/$v.$p.json")
			j=$(jq '.bytes_jited' "$CMP_TMP/$v.$p.json")
			xs+=("$x") js+=("$j") vs+=("$(verified_insns "$CMP_TMP/$v.log" "$p")")
			ss+=("$(stack_depth "$CMP_TMP/$v.log" "$p")")
			t_x[i]=$((t_x[i] + x)) t_j[i]=$((t_j[i] + j)) t_v[i]=$((t_v[i] + ${vs[i]:-0}))
			i=$((i + 1))
		done
		es=("$(elf_func_insns "$OBJ" "$p")" "$(elf_func_insns "$OBJ_INLINE" "$p")")
		row "$p" "ELF insns (own section)" "${es[0]}" "${es[1]}"
		row "$p" "xlated insns" "${xs[0]}" "${xs[1]}"
		row "$p" "JIT image bytes" "${js[0]}" "${js[1]}"
		row "$p" "verifier processed insns" "${vs[0]}" "${vs[1]}"
		row "$p" "stack depth (verifier)" "${ss[0]}" "${ss[1]}"
	done
	row "(all 4)" "xlated insns" "${t_x[0]}" "${t_x[1]}"
	row "(all 4)" "JIT image bytes" "${t_j[0]}" "${t_j[1]}"
	row "(all 4)" "verifier processed insns" "${t_v[0]}" "${t_v[1]}"
	echo
	echo "bpf2bpf call instructions (bpftool prog dump xlated ... | grep 'call pc'):"
	for p in "${PROGS[@]}"; do
		for v in noinline inline; do
			x=$(grep -E 'call pc[+-]' "$CMP_TMP/$v.$p.xlated" | sed 's/^ *//' | paste -sd ';' -) || true
			printf '  %-8s %-14s %s\n' "$v" "$p" "${x:-(none)}"
		done
	done
}

OPT_HOOK="" OPT_JSON=0 ACTION=""
ARGS=() WATCH_ARGS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--hook)
		[ $# -ge 2 ] || usage_error "--hook needs kprobe, fentry or tracepoint"
		case $2 in kprobe | fentry | tracepoint) ;; *) usage_error "--hook: unknown hook kind '$2'" ;; esac
		OPT_HOOK=$2 ARGS+=("$1" "$2")
		shift
		;;
	--count | --timeout)
		[ $# -ge 2 ] || usage_error "$1 needs a number"
		[[ $2 =~ ^[0-9]+([.][0-9]+)?$ ]] || usage_error "$1: '$2' is not a number"
		[ "$1" = --timeout ] || [[ $2 =~ ^[0-9]+$ ]] || usage_error "$1: '$2' is not a whole number"
		WATCH_ARGS+=("$1" "$2") ARGS+=("$1" "$2")
		shift
		;;
	--json) OPT_JSON=1 WATCH_ARGS+=("$1") ARGS+=("$1") ;;
	up | down | status | watch | compare)
		[ -z "$ACTION" ] || usage_error "only one subcommand at a time"
		ACTION=$1
		;;
	*)
		parse_common_opt "$1" || usage_error "unknown argument '$1'"
		ARGS+=("$1")
		;;
	esac
	shift
done
[ -n "$ACTION" ] || usage_error "missing subcommand"
"cmd_$ACTION"
